//! The player's view of the golden command: `kubectl create deployment web --image=nginx
//! --replicas=3` on a fresh lab, as the page animates it (src/present).

use kube_sandbox::present::cluster_view::Health;
use kube_sandbox::present::i18n::Lang;
use kube_sandbox::present::narration::{sentence, step_title};
use kube_sandbox::present::player::{Player, PlayerAction};
use kube_sandbox::present::session::Session;
use kube_sandbox::present::timeline::{BeatKind, Detail, Place, STEPS};
use kube_sandbox::sim::trace::ApiStage;

const CREATE: &str = "kubectl create deployment web --image=nginx --replicas=3";

fn created() -> Session {
    let mut session = Session::new(1);
    let (out, first) = session.run_line(CREATE);
    assert_eq!(
        out.stdout, "deployment.apps/web created\n",
        "{}",
        out.stderr
    );
    assert_eq!(first, Some(0));
    session
}

fn web_pods_placed(session: &Session, played: usize) -> Vec<(String, String)> {
    let view = session.scene(played);
    view.pods_by_node
        .iter()
        .flat_map(|(node, pods)| pods.iter().map(move |p| (node.clone(), p.name.clone())))
        .filter(|(_, name)| name.starts_with("web-"))
        .collect()
}

#[test]
fn the_create_line_tells_steps_one_to_eight_in_order() {
    let session = created();
    let timeline = session.timeline();
    assert_eq!(timeline.commands.len(), 1);
    assert_eq!(timeline.steps_of(0), STEPS.to_vec());
}

#[test]
fn before_step_five_no_pod_is_on_a_node_and_at_the_end_three_run_on_the_workers() {
    let session = created();
    let timeline = session.timeline();
    let first_bind = timeline
        .beats
        .iter()
        .position(|b| b.step == Some(5))
        .expect("a step-5 beat");
    for played in 0..=first_bind {
        assert!(
            web_pods_placed(&session, played).is_empty(),
            "a web pod is on a node after {played} beats, before the scheduler's first step-5 beat"
        );
    }
    // Before the controller's pods exist there are no web pods at all, and the scene at the
    // session's start is the booted lab.
    let start = session.scene(0);
    assert!(start.all_pods().all(|(_, p)| !p.name.starts_with("web-")));
    assert!(start
        .pods_on("master")
        .iter()
        .any(|p| p.name == "kube-apiserver-master"));
    let end = session.scene(timeline.len());
    let placed = web_pods_placed(&session, timeline.len());
    assert_eq!(placed.len(), 3, "{placed:?}");
    assert!(
        placed
            .iter()
            .all(|(node, _)| node == "node1" || node == "node2"),
        "{placed:?}"
    );
    for (_, pod) in end.all_pods().filter(|(_, p)| p.name.starts_with("web-")) {
        assert_eq!(
            (pod.status.as_str(), pod.health),
            ("Running", Health::Good),
            "{pod:?}"
        );
    }
    assert!(end.nodes.values().all(|n| n.readiness.attr() == "true"));
}

#[test]
fn the_scene_never_runs_ahead_of_the_playhead() {
    let session = created();
    let timeline = session.timeline();
    let mut last = timeline.revision_at(0);
    for played in 0..=timeline.len() {
        let revision = timeline.revision_at(played);
        assert!(
            revision >= last,
            "revisions go forward as the playhead does"
        );
        assert_eq!(session.scene(played).revision, revision.max(1));
        last = revision;
    }
    let running_at = |played: usize| {
        session
            .scene(played)
            .all_pods()
            .filter(|(_, p)| p.name.starts_with("web-") && p.status == "Running")
            .count()
    };
    assert_eq!(running_at(timeline.len()), 3);
    let halfway = timeline.len() / 2;
    assert!(
        running_at(halfway) < 3,
        "halfway through, not every pod runs yet"
    );
}

#[test]
fn every_beat_flies_between_drawn_places_and_has_words_in_both_languages() {
    let session = created();
    for beat in &session.timeline().beats {
        assert!(!beat.to.is_empty());
        for lang in Lang::ALL {
            assert!(!sentence(lang, beat).is_empty());
        }
    }
    for step in STEPS {
        assert!(!step_title(Lang::Ko, step).is_empty());
    }
}

#[test]
fn the_student_request_goes_from_the_terminal_to_the_apiserver_then_to_etcd() {
    let session = created();
    let beats = &session.timeline().beats;
    let request = beats
        .iter()
        .find(
            |b| matches!(&b.kind, BeatKind::Request { resource, .. } if resource == "deployments"),
        )
        .expect("the create request");
    assert_eq!(request.from, Place::Terminal("master".into()));
    assert_eq!(request.to, vec![Place::apiserver()]);
    assert_eq!(request.step, Some(1));
    let commit = beats
        .iter()
        .find(|b| matches!(&b.kind, BeatKind::Commit { key, .. } if key == "/registry/deployments/default/web"))
        .expect("the commit");
    assert_eq!(
        (commit.to.clone(), commit.step),
        (vec![Place::etcd()], Some(3))
    );
}

#[test]
fn watch_deliveries_of_a_pod_reach_only_the_kubelet_of_its_node() {
    let session = created();
    for beat in &session.timeline().beats {
        if let BeatKind::Watch { key, watchers, .. } = &beat.kind {
            let Some(pod) = key.strip_prefix("/registry/pods/default/") else {
                continue;
            };
            let node = session
                .scene(session.timeline().len())
                .all_pods()
                .find(|(_, p)| p.name == pod)
                .and_then(|(n, _)| n.map(str::to_string));
            for w in watchers.iter().filter(|w| w.starts_with("kubelet@")) {
                assert_eq!(
                    Some(w.trim_start_matches("kubelet@").to_string()),
                    node,
                    "{key} told to {w}"
                );
            }
        }
    }
}

#[test]
fn stepping_back_before_step_five_shows_no_placed_pod_and_live_shows_three() {
    let session = created();
    let timeline = session.timeline();
    let mut player = Player::default();
    player.apply(PlayerAction::CommandRan { first: 0 }, timeline);
    player.apply(PlayerAction::Live, timeline);
    let first_bind = timeline
        .beats
        .iter()
        .position(|b| b.step == Some(5))
        .expect("a step-5 beat");
    // ← until the playhead is before the scheduler's first beat.
    while player.played > first_bind {
        player.apply(PlayerAction::Back, timeline);
    }
    assert!(player.step(timeline).is_some_and(|s| s < 5));
    assert!(web_pods_placed(&session, player.played).is_empty());
    player.apply(PlayerAction::Live, timeline);
    assert_eq!(web_pods_placed(&session, player.played).len(), 3);
}

#[test]
fn halting_node2_shows_it_halted_then_not_ready_and_its_pods_move_to_node1() {
    let mut session = created();
    let (out, _) = session.run_line("vagrant halt node2");
    assert!(out.stderr.is_empty(), "{}", out.stderr);

    let after_halt = session.live();
    assert!(after_halt.nodes["node2"].halted);
    session.run_line("sleep 360");
    let end = session.live();
    assert_eq!(
        end.nodes["node2"].readiness.attr(),
        "unknown",
        "{:?}",
        end.nodes["node2"]
    );
    let web_on_node1 = end
        .pods_on("node1")
        .iter()
        .filter(|p| p.name.starts_with("web-") && p.status == "Running")
        .count();
    assert_eq!(web_on_node1, 3, "{end:?}");
    // Before the halt's beats the scene showed node2 up.
    let before = session.timeline().commands[1].first;
    assert!(!session.scene(before).nodes["node2"].halted);
}

#[test]
fn each_web_pod_is_scheduled_with_master_rejected_by_its_taint_and_pulled_from_the_registry() {
    let session = created();
    let beats = &session.timeline().beats;
    let cycles: Vec<_> = beats
        .iter()
        .filter_map(|b| match &b.kind {
            BeatKind::Cycle {
                pod,
                picked,
                rejected,
                ..
            } if pod.starts_with("default/web-") => Some((picked.clone(), rejected.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(cycles.len(), 3, "one cycle per web pod");
    for (picked, rejected) in &cycles {
        assert!(
            matches!(picked.as_deref(), Some("node1" | "node2")),
            "{picked:?}"
        );
        assert!(
            rejected
                .iter()
                .any(|(node, plugin, reason)| node == "master"
                    && plugin == "TaintToleration"
                    && reason
                        .contains("untolerated taint {node-role.kubernetes.io/control-plane: }")),
            "{rejected:?}"
        );
    }
    // Step 7 is drawn kubelet → containerd → registry → containerd.
    let pull = beats
        .iter()
        .find(|b| matches!(&b.kind, BeatKind::Cri { call, .. } if call == "PullImage"))
        .expect("a PullImage beat");
    assert_eq!(pull.step, Some(7));
    assert!(matches!(&pull.from, Place::Box { component, .. } if component.id() == "kubelet"));
    let layers = beats
        .iter()
        .find(|b| matches!(&b.kind, BeatKind::Layers { .. }))
        .expect("layers sent by the registry");
    assert_eq!(layers.from, Place::Registry);
    assert!(
        matches!(&layers.kind, BeatKind::Layers { count, size_bytes, .. } if *count > 0 && *size_bytes > 0)
    );
}

#[test]
fn a_long_session_keeps_the_history_it_can_still_show_and_the_playhead_stops_there() {
    let mut session = Session::new(1);
    // A small budget, so a few commands reach it: the create is about 580 events, a scale 280.
    session.set_trace_capacity_events(1_000);
    session.run_line(CREATE);
    for replicas in [4, 2, 3] {
        session.run_line(&format!(
            "kubectl scale deployment web --replicas={replicas}"
        ));
    }
    let timeline = session.timeline();
    assert!(
        timeline.first_kept > 0,
        "the first command's history is gone"
    );
    let mut player = Player::default();
    player.apply(PlayerAction::Live, timeline);
    player.apply(PlayerAction::Start, timeline);
    assert_eq!(player.played, timeline.first_kept);
    // What is kept still reads: the nodes and the web pods at the oldest point kept.
    let oldest = session.scene(player.played);
    assert_eq!(oldest.nodes.len(), 3, "{oldest:?}");
    assert!(oldest.all_pods().any(|(_, p)| p.name.starts_with("web-")));
}

#[test]
fn unfolding_shows_every_apiserver_stage_and_keeps_the_playhead_at_the_same_moment() {
    let mut session = created();
    let folded = session.timeline().len();
    let scheduler_at = session
        .timeline()
        .beats
        .iter()
        .position(|b| b.step == Some(5))
        .expect("a step-5 beat")
        + 1;
    let seq = session.timeline().beats[scheduler_at - 1].last_seq;
    let played = session.set_detail(Detail::Full, scheduler_at);
    let full = session.timeline();
    assert!(
        full.len() > folded,
        "{} beats unfolded, {folded} folded",
        full.len()
    );
    assert_eq!(
        full.beats[played - 1].last_seq,
        seq,
        "the same moment of the trace"
    );
    let stages = full
        .beats
        .iter()
        .filter(|b| matches!(b.kind, BeatKind::Stage { .. }))
        .count();
    assert!(stages >= 5, "{stages} stage beats");
    assert_eq!(session.timeline().steps_of(0), STEPS.to_vec());
    let back = session.set_detail(Detail::Folded, played);
    assert_eq!(session.timeline().len(), folded);
    assert_eq!(back, scheduler_at);
}

#[test]
fn a_refused_request_stops_at_the_apiserver_with_the_reason() {
    let mut session = Session::new(1);
    let (out, first) = session.run_line("kubectl create deployment Web --image=nginx");
    assert!(
        !out.stderr.is_empty(),
        "the apiserver refuses an upper-case name"
    );
    let beats = session.timeline().beats.from(first.expect("a command"));
    let refused = beats
        .iter()
        .find_map(|b| match &b.kind {
            BeatKind::Refused {
                stage,
                code,
                message,
            } => Some((*stage, *code, message.clone(), b.to.clone())),
            _ => None,
        })
        .expect("a Refused beat");
    assert_eq!(refused.1, 422, "{refused:?}");
    assert_eq!(refused.0, Some(ApiStage::Validation), "{refused:?}");
    assert!(refused.2.contains("Web"), "{refused:?}");
    assert_eq!(refused.3, vec![Place::Terminal("master".into())]);
    assert!(
        !beats
            .iter()
            .any(|b| matches!(b.kind, BeatKind::Commit { .. })),
        "nothing was stored"
    );
    for lang in Lang::ALL {
        let b = beats
            .iter()
            .find(|b| matches!(b.kind, BeatKind::Refused { .. }))
            .unwrap();
        assert!(sentence(lang, b).contains("422"));
    }
}

#[test]
fn the_cluster_work_run_in_small_slices_gives_the_same_trace_and_timeline_as_one_settle() {
    let lines = [
        CREATE,
        "kubectl scale deployment web --replicas=5",
        "sleep 30",
    ];
    let mut whole = Session::new(1);
    for line in lines {
        whole.run_line(line);
    }
    // The page's way: the output at once, then the work one round at a time.
    let mut sliced = Session::new(1);
    let mut slices = 0;
    for line in lines {
        let (_, mut first) = sliced.submit_line(line);
        while first.is_none() && sliced.busy() {
            first = sliced.work(1);
            slices += 1;
        }
        assert!(first.is_some(), "{line} completed");
    }
    assert!(
        slices > lines.len() * 10,
        "the work was really sliced ({slices} slices)"
    );
    assert_eq!(sliced.trace_fingerprint(), whole.trace_fingerprint());
    assert_eq!(sliced.timeline(), whole.timeline());
    // The beats were made slice by slice as the events came; made again from each line's whole
    // window of the trace, they are the same.
    let built = sliced.timeline().clone();
    sliced.set_detail(sliced.detail(), 0);
    assert_eq!(sliced.timeline(), &built);
}

#[test]
fn unfolding_while_the_cluster_still_works_makes_the_working_line_in_the_new_detail() {
    let mut session = Session::new(1);
    let (_, mut first) = session.submit_line(CREATE);
    for _ in 0..20 {
        first = first.or_else(|| session.work(1));
    }
    assert!(
        first.is_none() && session.busy(),
        "the line is still working"
    );
    session.set_detail(Detail::Full, 0);
    while first.is_none() && session.busy() {
        first = session.work(1);
    }
    let built = session.timeline().clone();
    session.set_detail(Detail::Full, 0);
    assert_eq!(session.timeline(), &built);
    assert!(built.beats.len() > 100, "{} beats", built.beats.len());
}

#[test]
fn docker_build_push_and_pull_are_beats_between_the_vm_and_the_registry() {
    let mut session = Session::new(1);
    for line in [
        "echo \"const os = require('os'); // You've hit\" > app.js",
        "echo 'FROM node:7' > Dockerfile",
        "echo 'ADD app.js /app.js' >> Dockerfile",
        "echo 'ENTRYPOINT [\"node\", \"app.js\"]' >> Dockerfile",
        "docker build -t devbelly/kubia .",
        "docker login -u devbelly -p secret",
        "docker push devbelly/kubia",
        "ssh node2 docker pull devbelly/kubia",
    ] {
        let (out, _) = session.run_line(line);
        assert_eq!(out.exit_code, 0, "{line}: {}", out.stderr);
    }
    let images: Vec<_> = session
        .timeline()
        .beats
        .iter()
        .filter(|b| matches!(b.kind, BeatKind::Image { .. }))
        .collect();
    assert_eq!(images.len(), 3);
    let places: Vec<(Place, Place)> = images
        .iter()
        .map(|b| (b.from.clone(), b.to[0].clone()))
        .collect();
    assert_eq!(
        places[1].1,
        Place::Registry,
        "the push flies to the registry"
    );
    assert_eq!(places[2].0, Place::Registry, "the pull comes from it");
    assert_eq!(
        sentence(Lang::En, images[1]),
        format!(
            "Docker on master pushes docker.io/devbelly/kubia:latest: 1 layer(s) uploaded ({} B), 6 already in the registry",
            "const os = require('os'); // You've hit\n".len()
        )
    );
    assert!(sentence(Lang::Ko, images[2]).starts_with(
        "레지스트리가 node2의 도커에 docker.io/devbelly/kubia:latest 레이어 7개를 보냅니다"
    ));
}
