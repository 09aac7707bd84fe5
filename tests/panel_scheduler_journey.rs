//! The look-inside panels on the golden command (`kubectl create deployment web --image=nginx
//! --replicas=3` on a fresh lab) and on a pod no node can take: the scheduler panel's tables and
//! the journey from the student's line to a Ready pod (src/present/panels).

mod common;

use common::{created, CREATE};
use kube_sandbox::present::i18n::Lang;
use kube_sandbox::present::panels::journey::{journey_panel, label, JourneyKind};
use kube_sandbox::present::panels::scheduler::{
    explain_cell, explain_outcome, scheduled_pods, scheduler_panel, FilterCell, HowPicked, Outcome,
    WakeEvent,
};
use kube_sandbox::present::session::Session;
use kube_sandbox::present::timeline::STEPS;

const TAINT: &str = "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }";

fn web_pods(session: &Session) -> Vec<String> {
    let pods: Vec<String> = scheduled_pods(session)
        .into_iter()
        .filter(|p| p.starts_with("default/web-"))
        .collect();
    assert_eq!(pods.len(), 3, "{pods:?}");
    pods
}

#[test]
fn the_scheduler_panel_of_a_web_pod_shows_why_master_was_out_and_who_won() {
    let session = created();
    for pod in web_pods(&session) {
        let panel = scheduler_panel(&session, &pod).expect("a cycle");
        let cycle = &panel.cycle;
        assert_eq!(panel.cycles.len(), 1, "{pod}: one cycle");
        assert_eq!(cycle.attempt, 1);
        // Filter: master is out by TaintToleration, with upstream's words; the workers pass.
        let nodes: Vec<&str> = cycle.filter_rows.iter().map(|r| r.node.as_str()).collect();
        assert_eq!(nodes.len(), 3, "{nodes:?}");
        let taint = cycle
            .filter_plugins
            .iter()
            .position(|p| p == "TaintToleration")
            .expect("a TaintToleration column");
        let master = cycle
            .filter_rows
            .iter()
            .find(|r| r.node == "master")
            .expect("a master row");
        assert!(!master.passed);
        assert_eq!(
            master.cells[taint],
            FilterCell::Rejected {
                code: "UnschedulableAndUnresolvable".into(),
                reasons: vec![TAINT.into()],
            }
        );
        assert!(
            master.cells[taint + 1..]
                .iter()
                .all(|c| *c == FilterCell::NotRun),
            "after a rejection the later plugins do not run: {master:?}"
        );
        assert!(explain_cell(Lang::Ko, &master.cells[taint]).contains(TAINT));
        for worker in cycle.filter_rows.iter().filter(|r| r.node != "master") {
            assert!(worker.passed, "{worker:?}");
            assert!(worker.cells.iter().all(|c| *c == FilterCell::Passed));
        }
        // Score: the two workers, and the winner has the highest total.
        let max = cycle.score_rows.iter().map(|r| r.total).max();
        assert_eq!(cycle.score_rows.len(), 2);
        for row in &cycle.score_rows {
            assert_eq!(row.cells.len(), cycle.score_plugins.len());
            let sum: i64 = row.cells.iter().map(|c| c.weighted).sum();
            assert_eq!(sum, row.total, "{row:?}");
            for c in &row.cells {
                assert_eq!(c.normalized * c.weight, c.weighted, "{c:?}");
            }
        }
        let Outcome::Picked { node, total, how } = &cycle.outcome else {
            panic!("{pod} was not placed: {:?}", cycle.outcome);
        };
        // Equal totals are a tie the seeded RNG broke; otherwise the highest total won.
        let tied = cycle
            .score_rows
            .iter()
            .filter(|r| Some(r.total) == max)
            .count();
        match how {
            HowPicked::Reservoir { tied: n, nodes } => {
                assert_eq!((*n, nodes.len()), (tied, tied));
                assert!(nodes.contains(node));
            }
            other => assert_eq!((other, tied), (&HowPicked::HighestScore, 1)),
        }
        assert!(node == "node1" || node == "node2", "{node}");
        let winner = cycle.score_rows.iter().find(|r| &r.node == node);
        assert_eq!(winner.map(|r| r.total), max);
        assert_eq!(*total, max);
        // The playhead can go to the cycle: its beat is a step-5 beat.
        let beat = &session.timeline().beats[cycle.played - 1];
        assert_eq!((beat.seq, beat.step), (cycle.seq, Some(5)));
        for lang in Lang::ALL {
            assert!(explain_outcome(lang, &cycle.outcome).contains(node.as_str()));
        }
    }
}

/// A pod asking for more CPU than any node has, applied through a heredoc as a student types it.
fn with_a_pod_too_big_for_any_node() -> Session {
    let mut session = created();
    let manifest = [
        "kubectl apply -f - <<EOF",
        "apiVersion: v1",
        "kind: Pod",
        "metadata:",
        "  name: big",
        "spec:",
        "  containers:",
        "  - name: app",
        "    image: nginx",
        "    resources:",
        "      requests:",
        "        cpu: \"64\"",
        "EOF",
    ];
    let mut last = None;
    for line in manifest {
        last = Some(session.run_line(line).0);
    }
    let out = last.expect("lines ran");
    assert_eq!(out.stdout, "pod/big created\n", "{}", out.stderr);
    session
}

#[test]
fn a_pod_no_node_can_take_shows_its_failed_scheduling_message_and_what_would_wake_it() {
    let session = with_a_pod_too_big_for_any_node();
    assert!(scheduled_pods(&session).contains(&"default/big".to_string()));
    let panel = scheduler_panel(&session, "default/big").expect("a cycle of big");
    let cycle = &panel.cycle;
    let Outcome::Unschedulable(pending) = &cycle.outcome else {
        panic!("big was placed: {:?}", cycle.outcome);
    };
    assert!(
        pending.message.starts_with("0/3 nodes are available: ")
            && pending.message.contains(TAINT)
            && pending.message.contains("Insufficient cpu"),
        "{}",
        pending.message
    );
    assert!(pending.plugins.contains(&"NodeResourcesFit".to_string()));
    assert!(pending.plugins.contains(&"TaintToleration".to_string()));
    let wake: Vec<WakeEvent> = pending.wake_on.iter().map(|w| w.event).collect();
    for event in [
        WakeEvent::NodeAdd,
        WakeEvent::NodeUpdate,
        WakeEvent::AssignedPodDelete,
        WakeEvent::UnschedulableTimeout,
    ] {
        assert!(wake.contains(&event), "{event:?} not in {wake:?}");
    }
    let freed = pending
        .wake_on
        .iter()
        .find(|w| w.event == WakeEvent::AssignedPodDelete)
        .expect("a pod deleted may free cpu");
    assert_eq!(freed.plugins, ["NodeResourcesFit"]);
    assert!(cycle.score_rows.is_empty());
    assert!(cycle.filter_rows.iter().all(|r| !r.passed));
    let ko = explain_outcome(Lang::Ko, &cycle.outcome);
    assert!(
        ko.contains("Pending") && ko.contains(&pending.message),
        "{ko}"
    );
}

#[test]
fn the_journey_of_a_web_pod_goes_from_the_typed_line_through_steps_one_to_eight_to_ready() {
    let session = created();
    let pod = web_pods(&session).remove(0);
    let journey = journey_panel(&session, &pod).expect("a journey");
    let steps: Vec<u8> = journey.steps.iter().filter_map(|s| s.step).collect();
    let mut seen = steps.clone();
    seen.dedup();
    assert_eq!(seen, STEPS.to_vec(), "{steps:?}");
    for pair in journey.steps.windows(2) {
        assert!(pair[0].seq < pair[1].seq);
        assert!(pair[0].tick <= pair[1].tick);
        assert_eq!(pair[1].since_previous_ticks, pair[1].tick - pair[0].tick);
    }
    // The chain of causes starts at the student's line and ends with the pod stored, made by
    // the deployment's ReplicaSet.
    let chain = journey.causal_chain();
    assert_eq!(
        chain[0].kind,
        JourneyKind::Command {
            line: CREATE.into(),
            host: "master".into()
        }
    );
    let lineage = journey.lineage();
    assert_eq!(lineage[0], "deployments default/web");
    assert!(
        lineage[1].starts_with("replicasets default/web-"),
        "{lineage:?}"
    );
    assert_eq!(lineage.last(), Some(&format!("pods {pod}")));
    assert!(chain
        .iter()
        .any(|s| s.controller.as_deref() == Some("replicaset-controller")));
    // The path: queue and cycle, binding, the kubelet, the sandbox, the pull with its layers,
    // the container, and Ready at the end.
    let kinds: Vec<&JourneyKind> = journey.steps.iter().map(|s| &s.kind).collect();
    let position = |what: &dyn Fn(&JourneyKind) -> bool| {
        kinds
            .iter()
            .position(|k| what(k))
            .unwrap_or_else(|| panic!("missing in {kinds:#?}"))
    };
    let cycle = position(&|k| matches!(k, JourneyKind::Cycle { node: Some(_), .. }));
    let bound = position(&|k| matches!(k, JourneyKind::Bound { .. }));
    let seen_by_kubelet = position(
        &|k| matches!(k, JourneyKind::Watched { watcher, .. } if watcher.starts_with("kubelet@")),
    );
    let sandbox =
        position(&|k| matches!(k, JourneyKind::Cri { call, .. } if call == "RunPodSandbox"));
    let pull = position(&|k| matches!(k, JourneyKind::Pull { .. }));
    let start =
        position(&|k| matches!(k, JourneyKind::Cri { call, .. } if call == "StartContainer"));
    let ready = position(&|k| matches!(k, JourneyKind::Ready { .. }));
    assert!(journey.created < cycle);
    assert!(cycle < bound && bound < seen_by_kubelet && seen_by_kubelet < sandbox);
    assert!(sandbox < pull && pull < start && start < ready);
    assert_eq!(
        ready,
        journey.steps.len() - 1,
        "Ready is where the journey ends"
    );
    let JourneyKind::Pull { image, layers } = kinds[pull] else {
        unreachable!()
    };
    assert_eq!(image, "nginx");
    assert!(layers.len() > 1, "{layers:?}");
    assert!(layers.iter().all(|l| l.size_bytes > 0));
    // The pull takes simulated time: Ready comes seconds after the line.
    assert!(journey.steps[ready].since_start_ticks > 0);
    let node = match kinds[bound] {
        JourneyKind::Bound { node, .. } => node.clone(),
        _ => unreachable!(),
    };
    assert!(node == "node1" || node == "node2", "{node}");
    assert_eq!(
        journey.steps[seen_by_kubelet].vm, node,
        "the kubelet of the node it was bound to"
    );
    // Each step can move the playhead to its beat, in order, and reads in both languages.
    for pair in journey.steps.windows(2) {
        assert!(pair[0].played <= pair[1].played);
    }
    for step in &journey.steps {
        assert!(step.played >= 1 && step.played <= session.timeline().len());
        let ko = label(Lang::Ko, step);
        let en = label(Lang::En, step);
        assert!(
            ko.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
            "{ko}"
        );
        assert!(
            !en.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
            "{en}"
        );
    }
}

#[test]
fn the_journey_of_a_pending_pod_ends_at_its_failed_cycle() {
    let session = with_a_pod_too_big_for_any_node();
    let journey = journey_panel(&session, "default/big").expect("a journey");
    let JourneyKind::Command { line, .. } = &journey.causal_chain()[0].kind else {
        panic!("{:?}", journey.causal_chain()[0]);
    };
    assert!(
        line.starts_with("kubectl apply -f - <<EOF\napiVersion: v1"),
        "{line}"
    );
    assert!(journey.steps.iter().any(|s| matches!(
        &s.kind,
        JourneyKind::Cycle { node: None, failure: Some(m), .. } if m.contains("Insufficient cpu")
    )));
    assert!(!journey.steps.iter().any(|s| matches!(
        s.kind,
        JourneyKind::Ready { .. } | JourneyKind::Bound { .. }
    )));
}

#[test]
fn no_panel_for_a_pod_the_trace_never_saw() {
    let session = created();
    assert!(scheduler_panel(&session, "default/nope").is_none());
    assert!(journey_panel(&session, "default/nope").is_none());
}
