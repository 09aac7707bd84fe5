//! Golden trace of `kubectl create deployment web --image=nginx --replicas=3` on a fresh lab: every
//! event the command caused, rendered one per line, compared exactly with
//! `tests/fixtures/lab/create_deployment.trace` (`UPDATE_GOLDEN=1` rewrites it). A change in any
//! component that alters what the student would see animated shows up here as a diff to review.
//!
//! The same trace must also tell the eight deployment steps of the lesson, in order.

use std::collections::BTreeSet;
use std::path::PathBuf;

use kube_sandbox::sim::apiserver::Verb;
use kube_sandbox::sim::cluster::Cluster;
use kube_sandbox::sim::component::Lister;
use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;
use kube_sandbox::sim::scheduler::record::{CycleRecord, TieBreak};
use kube_sandbox::sim::trace::{ApiStage, CriCall, Events, TraceEvent, TraceKind, WatchEventType};

const COMMAND: &str = "kubectl create deployment web --image=nginx --replicas=3";

/// The lab after the command, and where the command's window starts in its trace.
fn run_command() -> (Shell<Cluster>, usize) {
    let mut shell = Shell::new(Lab::boot(1).cluster);
    let start = shell.backend().trace().len();
    let out = shell.run_line(COMMAND);
    assert_eq!(
        out.stdout, "deployment.apps/web created\n",
        "{}",
        out.stderr
    );
    (shell, start)
}

/// The events the command caused: the shell's `Command` event and every event whose chain of
/// causes leads back to it, from the moment the line was typed until the shell settled. Heartbeats, node status
/// updates and the clock's ticks in the same window have other causes and are left out.
fn command_trace() -> Vec<TraceEvent> {
    let (shell, start) = run_command();
    let window = shell.backend().trace().events().tail(start);
    let root = window
        .iter()
        .find(|e| matches!(&e.kind, TraceKind::Command { line, .. } if line == COMMAND))
        .map(|e| e.seq)
        .expect("the shell recorded the line");
    let mut caused = BTreeSet::new();
    let mut kept = Vec::new();
    for e in window {
        if e.seq == root || e.cause.is_some_and(|c| caused.contains(&c)) {
            caused.insert(e.seq);
            kept.push(e.clone());
        }
    }
    assert!(
        kept.len() < window.len(),
        "heartbeats in the window are not the command's"
    );
    kept
}

fn summary(kind: &TraceKind) -> String {
    match kind {
        TraceKind::Request {
            verb,
            resource,
            subresource,
            namespace,
            name,
            user,
        } => {
            let mut target = resource.clone();
            if let Some(sub) = subresource {
                target = format!("{target}/{sub}");
            }
            let object = match (namespace, name) {
                (Some(ns), Some(n)) => format!(" {ns}/{n}"),
                (Some(ns), None) => format!(" in {ns}"),
                (None, Some(n)) => format!(" {n}"),
                (None, None) => String::new(),
            };
            format!(
                "request {verb:?} {target}{object} as {}",
                user.as_deref().unwrap_or("-")
            )
        }
        TraceKind::ApiStage {
            stage,
            passed,
            detail,
        } => format!(
            "stage {stage:?} {} {detail}",
            if *passed { "ok" } else { "REFUSED" }
        ),
        TraceKind::Response {
            code,
            message,
            resource_version,
        } => {
            let rv = resource_version
                .map(|rv| format!(" rv={rv}"))
                .unwrap_or_default();
            format!("response {code}{rv} {message}")
                .trim_end()
                .to_string()
        }
        TraceKind::StoreCommit {
            key,
            revision,
            create_revision,
            version,
            deleted,
        } => format!(
            "commit {}{key} @{revision} (create {create_revision}, version {version})",
            if *deleted { "DELETE " } else { "" }
        ),
        TraceKind::WatchDelivery {
            watcher,
            key,
            revision,
            event,
        } => format!("watch {watcher} {event:?} {key} @{revision}"),
        TraceKind::Decision { reason, message } => format!("decide {reason}: {message}"),
        TraceKind::TimePassed { to_ticks } => format!("time → {to_ticks}"),
        TraceKind::Cri {
            call,
            pod,
            container,
            detail,
        } => {
            let name = match call {
                CriCall::PullImage { .. } => "PullImage".to_string(),
                other => format!("{other:?}"),
            };
            let mut line = format!(
                "cri {name} {}{}: {detail}",
                pod.as_deref().unwrap_or("-"),
                container
                    .as_deref()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default()
            );
            if let CriCall::PullImage { image, layers } = call {
                let layers: Vec<String> = layers
                    .iter()
                    .map(|l| {
                        format!(
                            "{} {}B {}",
                            short_digest(&l.digest),
                            l.size_bytes,
                            if l.cached {
                                "Already exists"
                            } else {
                                "download"
                            }
                        )
                    })
                    .collect();
                line.push_str(&format!(" [{image}: {}]", layers.join(", ")));
            }
            line
        }
        TraceKind::RegistryBlob {
            repository,
            digest,
            size_bytes,
            node,
        } => format!(
            "blob GET /v2/{repository}/blobs/{} {size_bytes}B to {node}",
            short_digest(digest)
        ),
        TraceKind::SchedulingCycle(record) => cycle_summary(record),
        TraceKind::Image {
            action,
            image,
            host,
            layers,
        } => format!(
            "docker {action:?} {image} on {host}: {} of {} layers moved",
            layers.iter().filter(|l| !l.cached).count(),
            layers.len()
        ),
        TraceKind::Command { line, host } => format!("command on {host}: {line}"),
        TraceKind::Settled { command, idle } => format!(
            "settled {command} {}",
            if *idle { "idle" } else { "at the limit" }
        ),
    }
}

fn short_digest(digest: &str) -> &str {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    &hex[..hex.len().min(12)]
}

/// One scheduling cycle on one line: filters per node, scores per node, the pick.
fn cycle_summary(record: &CycleRecord) -> String {
    let filters: Vec<String> = record
        .filter
        .iter()
        .map(|row| match row.results.last() {
            Some(last) if !row.passed => {
                format!("{} ✗ {} {}", row.node, last.plugin, last.reasons.join(", "))
            }
            _ => format!("{} ✓", row.node),
        })
        .collect();
    let scores: Vec<String> = record
        .scores
        .iter()
        .map(|row| {
            let plugins: Vec<String> = row
                .plugins
                .iter()
                .map(|p| {
                    format!(
                        "{} {}→{}×{}={}",
                        p.plugin, p.raw, p.normalized, p.weight, p.weighted
                    )
                })
                .collect();
            format!("{} {} ({})", row.node, row.total, plugins.join(", "))
        })
        .collect();
    let outcome = match (&record.pick, &record.failure) {
        (Some(pick), _) => format!("pick {} {:?}", pick.node, pick.how),
        (None, Some(failure)) => format!("failed {}", failure.message),
        (None, None) => "no outcome".to_string(),
    };
    format!(
        "cycle {}: filter [{}] score [{}] {outcome}",
        record.pod,
        filters.join("; "),
        scores.join("; ")
    )
}

/// One line per event: `seq tick actor[/controller]@vm summary [object uid] <- cause`.
fn render(events: &[TraceEvent]) -> String {
    let mut out = String::new();
    for e in events {
        let cause = e.cause.map(|c| format!(" <- {c}")).unwrap_or_default();
        let object = e
            .object
            .as_ref()
            .map(|o| match &o.uid {
                Some(uid) => format!(" [{o} uid {uid}]"),
                None => format!(" [{o}]"),
            })
            .unwrap_or_default();
        // A loop of kube-controller-manager is shown as `kube-controller-manager/<loop>`.
        let actor = match &e.actor.controller {
            Some(loop_name) => format!("{}/{loop_name}", e.actor.component),
            None => e.actor.component.to_string(),
        };
        out.push_str(&format!(
            "{:>6} {:>7} {actor}@{} {}{object}{cause}\n",
            e.seq,
            e.tick,
            e.actor.vm,
            summary(&e.kind).replace('\n', "\\n")
        ));
    }
    out
}

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lab/create_deployment.trace")
}

#[test]
fn the_create_deployment_trace_matches_the_golden_file() {
    let rendered = render(&command_trace());
    let path = golden_path();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("fixture dir")).expect("mkdir fixtures");
        std::fs::write(&path, &rendered).expect("write golden");
        return;
    }
    let golden = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    if golden != rendered {
        let first = golden
            .lines()
            .zip(rendered.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(golden.lines().count().min(rendered.lines().count()));
        panic!(
            "trace differs from {} at line {} (UPDATE_GOLDEN=1 rewrites it)\n golden: {}\n    now: {}",
            path.display(),
            first + 1,
            golden.lines().nth(first).unwrap_or("<end>"),
            rendered.lines().nth(first).unwrap_or("<end>")
        );
    }
}

#[test]
fn the_same_command_on_the_same_seed_gives_the_same_trace() {
    assert_eq!(render(&command_trace()), render(&command_trace()));
}

/// The first event at or after `from` that `matches`, as its index.
fn find(
    events: &[TraceEvent],
    from: usize,
    what: &str,
    matches: impl Fn(&TraceEvent) -> bool,
) -> usize {
    events[from..]
        .iter()
        .position(matches)
        .map(|i| i + from)
        .unwrap_or_else(|| panic!("step not found after event {from}: {what}"))
}

fn is_web_pod_key(key: &str) -> bool {
    key.starts_with("/registry/pods/default/web-")
}

#[test]
fn the_trace_tells_the_eight_deployment_steps_in_order() {
    let events = command_trace();
    // 1 kubectl sends the request.
    let s1 = find(&events, 0, "kubectl's create", |e| {
        e.actor.component == "kubectl"
            && matches!(&e.kind, TraceKind::Request { verb: Verb::Create, resource, .. } if resource == "deployments")
    });
    let request_seq = events[s1].seq;
    // 2 the apiserver authenticates, authorizes, admits and validates it.
    let mut at = s1;
    for stage in [
        ApiStage::Authentication,
        ApiStage::Authorization,
        ApiStage::MutatingAdmission,
        ApiStage::Validation,
        ApiStage::ValidatingAdmission,
    ] {
        at = find(&events, at, &format!("{stage:?}"), |e| {
            e.actor.component == "kube-apiserver"
                && matches!(&e.kind, TraceKind::ApiStage { stage: s, passed: true, .. } if *s == stage)
        });
    }
    let s2 = at;
    // 3 etcd stores the Deployment and notifies the watchers.
    let s3 = find(
        &events,
        s2,
        "etcd commit of the Deployment",
        |e| matches!(&e.kind, TraceKind::StoreCommit { key, .. } if key == "/registry/deployments/default/web"),
    );
    let commit_seq = events[s3].seq;
    find(
        &events,
        s3,
        "controller-manager told of the Deployment",
        |e| {
            e.cause == Some(commit_seq)
                && matches!(
                    &e.kind,
                    TraceKind::WatchDelivery {
                        event: WatchEventType::Added,
                        ..
                    }
                )
        },
    );
    // 4 controller-manager creates the ReplicaSet, then the Pods.
    let rs = find(&events, s3, "ReplicaSet create", |e| {
        e.actor.component == "kube-controller-manager"
            && matches!(&e.kind, TraceKind::Request { verb: Verb::Create, resource, .. } if resource == "replicasets")
    });
    let s4 = find(&events, rs, "Pod create", |e| {
        e.actor.component == "kube-controller-manager"
            && matches!(&e.kind, TraceKind::Request { verb: Verb::Create, resource, .. } if resource == "pods")
    });
    // 5 the scheduler picks a node and binds.
    let decided = find(&events, s4, "Scheduled", |e| {
        e.actor.component == "kube-scheduler"
            && matches!(&e.kind, TraceKind::Decision { reason, .. } if reason == "Scheduled")
    });
    let s5 = find(&events, decided, "binding", |e| {
        e.actor.component == "kube-scheduler"
            && matches!(&e.kind, TraceKind::Request { subresource: Some(sub), .. } if sub == "binding")
    });
    // 6 the kubelet on that node sees its pod.
    let s6 = find(&events, s5, "kubelet sees its pod", |e| {
        e.actor.component == "kubelet"
            && matches!(&e.kind, TraceKind::WatchDelivery { key, .. } if is_web_pod_key(key))
    });
    // 7 the runtime pulls the image and starts the container.
    let pulled = find(
        &events,
        s6,
        "image pulled",
        |e| matches!(&e.kind, TraceKind::Decision { reason, .. } if reason == "Pulled" || reason == "Pulling"),
    );
    let s7 = find(
        &events,
        pulled,
        "container started",
        |e| matches!(&e.kind, TraceKind::Decision { reason, .. } if reason == "Started"),
    );
    // 8 the pod is Running and its status goes back through the apiserver to etcd.
    let status = find(&events, s7, "status written", |e| {
        e.actor.component == "kubelet"
            && matches!(&e.kind, TraceKind::Request { subresource: Some(sub), resource, .. } if resource == "pods" && sub == "status")
    });
    let s8 = find(
        &events,
        status,
        "status committed",
        |e| matches!(&e.kind, TraceKind::StoreCommit { key, .. } if is_web_pod_key(key)),
    );
    assert!(s1 < s2 && s2 < s3 && s3 < s4 && s4 < s5 && s5 < s6 && s6 < s7 && s7 < s8);
    // Every step leads back to the student's request (the rendering keeps only such events, so
    // each step's cause is an earlier kept event).
    for step in [s2, s3, s4, s5, s6, s7, s8] {
        let cause = events[step].cause.expect("a caused event");
        assert!(
            events[..step].iter().any(|e| e.seq == cause),
            "event {} has its cause outside the command's trace",
            events[step].seq
        );
    }
    assert_eq!(events[s1].seq, request_seq);
}

#[test]
fn a_kubelet_is_told_only_about_the_pods_bound_to_its_node() {
    let (shell, start) = run_command();
    let lister = Lister::new(shell.backend().store());
    let mut seen_by_own_kubelet = BTreeSet::new();
    for e in shell.backend().trace().events().tail(start) {
        let TraceKind::WatchDelivery { watcher, key, .. } = &e.kind else {
            continue;
        };
        let Some(node) = watcher.strip_prefix("kubelet@") else {
            continue;
        };
        let Some(pod) = key.strip_prefix("/registry/pods/default/") else {
            continue;
        };
        let object = lister
            .get("pods", Some("default"), pod)
            .expect("the web pods still exist");
        let bound_to = object.pointer("/spec/nodeName").and_then(|v| v.as_str());
        assert_eq!(
            bound_to,
            Some(node),
            "event {}: {watcher} was told about {key}, bound to {bound_to:?}",
            e.seq
        );
        seen_by_own_kubelet.insert(pod.to_string());
    }
    assert_eq!(
        seen_by_own_kubelet.len(),
        3,
        "each web pod reached the kubelet of its node"
    );
}

/// The kubelet decision `reason` about `pod` (`default/web-...`), as its seq.
fn kubelet_decisions(events: Events<'_>, reason: &str) -> Vec<(String, u64)> {
    events
        .iter()
        .filter(|e| e.actor.component == "kubelet")
        .filter_map(|e| match &e.kind {
            TraceKind::Decision { reason: r, message } if r == reason => {
                let pod = message.split(':').next()?.to_string();
                Some((pod, e.seq))
            }
            _ => None,
        })
        .collect()
}

fn is_decision(trace: &kube_sandbox::sim::trace::Trace, seq: u64, reason: &str, pod: &str) -> bool {
    trace.get(seq).is_some_and(|e| {
        matches!(&e.kind, TraceKind::Decision { reason: r, message } if r == reason && message.starts_with(&format!("{pod}:")))
    })
}

#[test]
fn each_pull_and_start_is_caused_by_the_step_that_led_to_it_not_by_the_last_delivery() {
    let (shell, start) = run_command();
    let trace = shell.backend().trace();
    let window = trace.events().tail(start);
    let pulled = kubelet_decisions(window, "Pulled");
    let started = kubelet_decisions(window, "Started");
    assert_eq!(pulled.len(), 3, "three web pods pulled nginx");
    assert_eq!(started.len(), 3);
    for (pod, seq) in pulled {
        let chain = trace.causal_chain(seq);
        assert!(
            chain
                .iter()
                .any(|s| is_decision(trace, *s, "Pulling", &pod)),
            "{pod}: Pulled ({seq}) does not lead back to its Pulling: {chain:?}"
        );
        // The pull ended on its own timer: the PullImage that started it is the direct cause.
        let cause = trace.get(seq).and_then(|e| e.cause).expect("a cause");
        assert!(matches!(
            &trace.get(cause).expect("cause").kind,
            TraceKind::Cri { call: CriCall::PullImage { .. }, pod: Some(p), .. } if *p == pod
        ));
    }
    for (pod, seq) in started {
        let chain = trace.causal_chain(seq);
        for before in ["Created", "Pulled", "Pulling"] {
            assert!(
                chain.iter().any(|s| is_decision(trace, *s, before, &pod)),
                "{pod}: Started ({seq}) does not lead back to {before}: {chain:?}"
            );
        }
    }
}

#[test]
fn containerd_makes_each_cri_call_caused_by_the_kubelet_decision_that_asked_for_it() {
    let (shell, start) = run_command();
    let trace = shell.backend().trace();
    let window = trace.events().tail(start);
    let mut calls: BTreeSet<(String, String)> = BTreeSet::new();
    let mut blobs_by_node: std::collections::BTreeMap<String, usize> = Default::default();
    for e in window {
        match &e.kind {
            TraceKind::Cri { call, pod, .. } => {
                assert_eq!(e.actor.component, "containerd");
                let asked_by = trace
                    .get(e.cause.expect("a CRI call has a cause"))
                    .expect("cause");
                assert_eq!(asked_by.actor.component, "kubelet", "event {}", e.seq);
                assert_eq!(asked_by.actor.vm, e.actor.vm);
                let name = match call {
                    CriCall::PullImage { image, layers } => {
                        assert_eq!(image, "nginx");
                        assert!(!layers.is_empty() && layers.iter().all(|l| l.size_bytes > 0));
                        "PullImage".to_string()
                    }
                    other => format!("{other:?}"),
                };
                calls.insert((pod.clone().unwrap_or_default(), name));
            }
            TraceKind::RegistryBlob { node, .. } => {
                assert_eq!(
                    (e.actor.component.name(), e.actor.vm.as_str()),
                    ("registry", "master")
                );
                let pull = trace
                    .get(e.cause.expect("a blob has a cause"))
                    .expect("cause");
                assert!(matches!(
                    pull.kind,
                    TraceKind::Cri {
                        call: CriCall::PullImage { .. },
                        ..
                    }
                ));
                assert_eq!(&pull.actor.vm, node);
                *blobs_by_node.entry(node.clone()).or_default() += 1;
            }
            _ => {}
        }
    }
    let pods: BTreeSet<String> = calls.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(pods.len(), 3);
    for pod in &pods {
        for call in [
            "RunPodSandbox",
            "PullImage",
            "CreateContainer",
            "StartContainer",
        ] {
            assert!(
                calls.contains(&(pod.clone(), call.to_string())),
                "{pod}: no {call}"
            );
        }
    }
    // Two pods on node1 pull nginx at once: containerd fetches each layer once per node.
    let nginx_layers = blobs_by_node.values().copied().max().unwrap_or(0);
    assert!(nginx_layers > 0);
    assert!(
        blobs_by_node.values().all(|n| *n == nginx_layers),
        "{blobs_by_node:?}"
    );
}

#[test]
fn a_heartbeat_is_caused_by_the_one_before_it_whose_timer_it_ends() {
    let (shell, _) = run_command();
    let trace = shell.backend().trace();
    for node in ["master", "node1", "node2"] {
        for reason in ["RenewLease", "NodeStatusUpdate"] {
            let beats: Vec<&TraceEvent> = trace
                .events()
                .iter()
                .filter(|e| e.actor.component == "kubelet" && e.actor.vm == node)
                .filter(|e| matches!(&e.kind, TraceKind::Decision { reason: r, .. } if r == reason))
                .collect();
            // Node status is written only when it changed (or every 5 minutes); Leases every 10 s.
            assert!(
                reason == "NodeStatusUpdate" || beats.len() > 2,
                "{node} {reason}: {}",
                beats.len()
            );
            for pair in beats.windows(2) {
                assert_eq!(pair[1].cause, Some(pair[0].seq), "{node} {reason}");
            }
        }
    }
}

/// Each cycle event of the trace, with the decision it caused.
fn cycles(trace: &kube_sandbox::sim::trace::Trace, from: usize) -> Vec<(CycleRecord, TraceEvent)> {
    let events = trace.events().tail(from);
    events
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::SchedulingCycle(record) => {
                let outcome = events
                    .iter()
                    .find(|d| {
                        d.cause == Some(e.seq) && matches!(d.kind, TraceKind::Decision { .. })
                    })
                    .unwrap_or_else(|| panic!("cycle {} caused no decision", e.seq));
                assert_eq!(e.actor.component, "kube-scheduler");
                Some(((**record).clone(), outcome.clone()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn each_scheduling_cycle_is_in_the_trace_as_data_and_causes_its_decision() {
    let (shell, start) = run_command();
    let trace = shell.backend().trace();
    let cycles = cycles(trace, start);
    assert_eq!(cycles.len(), 3, "one cycle per web pod");
    for (record, outcome) in &cycles {
        assert!(record.pod.starts_with("default/web-"), "{}", record.pod);
        let master = record
            .filter
            .iter()
            .find(|row| row.node == "master")
            .expect("master was filtered");
        assert!(!master.passed);
        let rejected_by = master.results.last().expect("a verdict");
        assert_eq!(rejected_by.plugin, "TaintToleration");
        assert_eq!(
            rejected_by.reasons,
            ["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"]
        );
        let pick = record.pick.as_ref().expect("a pick");
        assert!(
            pick.node == "node1" || pick.node == "node2",
            "{}",
            pick.node
        );
        let best = record.scores.iter().map(|s| s.total).max().expect("scores");
        let picked = record
            .scores
            .iter()
            .find(|s| s.node == pick.node)
            .expect("the pick was scored");
        assert_eq!(
            picked.total, best,
            "{}: picked below the top score",
            record.pod
        );
        for row in &record.scores {
            let sum: i64 = row.plugins.iter().map(|p| p.weighted).sum();
            assert_eq!(row.total, sum);
            assert!(row
                .plugins
                .iter()
                .all(|p| p.weighted == p.normalized * p.weight));
        }
        let tied = record.scores.iter().filter(|s| s.total == best).count();
        match &pick.how {
            TieBreak::Reservoir { candidates, .. } => assert_eq!(*candidates, tied),
            TieBreak::HighestScore => assert_eq!(tied, 1),
            other => panic!("unexpected tie-break {other:?}"),
        }
        assert!(matches!(
            &outcome.kind,
            TraceKind::Decision { reason, message } if reason == "Scheduled" && message.ends_with(&format!("to {}", pick.node))
        ));
    }
}

#[test]
fn a_pod_that_fits_nowhere_has_its_failed_cycle_in_the_trace() {
    let mut shell = Shell::new(Lab::boot(1).cluster);
    let start = shell.backend().trace().len();
    let out = shell.run_line(
        "kubectl apply -f - <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: big
spec:
  containers:
  - name: app
    image: nginx
    resources:
      requests:
        cpu: \"2\"
EOF",
    );
    assert_eq!(out.stdout, "pod/big created\n", "{}", out.stderr);
    let cycles = cycles(shell.backend().trace(), start);
    let (record, outcome) = cycles.first().expect("a cycle for pod/big");
    assert_eq!(record.pod, "default/big");
    assert!(record.pick.is_none());
    let message = record.failure_message().expect("a failure").to_string();
    assert!(
        message.starts_with("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu."),
        "{message}"
    );
    assert!(matches!(
        &outcome.kind,
        TraceKind::Decision { reason, message: m } if reason == "FailedScheduling" && *m == message
    ));
}

#[test]
fn the_typed_trace_round_trips_through_json() {
    let events = command_trace();
    let json = serde_json::to_string(&events).expect("serializable");
    let back: Vec<TraceEvent> = serde_json::from_str(&json).expect("deserializable");
    assert_eq!(back, events);
    assert!(events
        .iter()
        .any(|e| matches!(e.kind, TraceKind::SchedulingCycle(_))));
}

#[test]
fn a_second_pull_on_a_node_finds_every_layer_already_there_and_fetches_nothing() {
    let (mut shell, _) = run_command();
    let start = shell.backend().trace().len();
    let out = shell.run_line("kubectl scale deployment web --replicas=4");
    assert_eq!(out.stdout, "deployment.apps/web scaled\n", "{}", out.stderr);
    let window = shell.backend().trace().events().tail(start);
    // `nginx` has no tag: imagePullPolicy Always, so the new pod pulls again.
    let pulls: Vec<&TraceEvent> = window
        .iter()
        .filter(|e| {
            matches!(
                &e.kind,
                TraceKind::Cri {
                    call: CriCall::PullImage { .. },
                    ..
                }
            )
        })
        .collect();
    assert_eq!(pulls.len(), 1);
    let TraceKind::Cri {
        call: CriCall::PullImage { layers, .. },
        ..
    } = &pulls[0].kind
    else {
        unreachable!("filtered above")
    };
    assert!(
        !layers.is_empty() && layers.iter().all(|l| l.cached),
        "{layers:?}"
    );
    assert!(
        !window
            .iter()
            .any(|e| matches!(e.kind, TraceKind::RegistryBlob { .. })),
        "no layer was fetched"
    );
}

#[test]
fn every_commit_of_the_web_pods_leads_back_to_the_typed_line_and_the_line_settles() {
    let mut shell = Shell::new(Lab::boot(1));
    let start = shell.backend().trace().len() as u64;
    shell.run_line(COMMAND);
    let trace = shell.backend().trace();
    let root = trace
        .since(start)
        .iter()
        .find(|e| matches!(&e.kind, TraceKind::Command { line, host } if line == COMMAND && host == "master"))
        .expect("the line is a Command event");
    assert_eq!(root.actor.component, "shell");
    assert_eq!(root.cause, None, "a typed line is a root");
    let leads_to_root = |seq| trace.causal_chain(seq).first() == Some(&root.seq);
    let mut pod_commits = 0;
    let mut status_requests = 0;
    for e in trace.since(start) {
        match &e.kind {
            TraceKind::StoreCommit { key, .. } if is_web_pod_key(key) => {
                pod_commits += 1;
                assert!(leads_to_root(e.seq), "commit {} of {key}", e.seq);
            }
            TraceKind::Request {
                resource,
                subresource: Some(sub),
                ..
            } if resource == "pods" && sub == "status" => {
                status_requests += 1;
                assert!(leads_to_root(e.seq), "status update {}", e.seq);
            }
            _ => {}
        }
    }
    // Three creates, three bindings, and each pod's status on its way to Running.
    assert!(pod_commits >= 9, "{pod_commits} pod commits");
    assert!(status_requests >= 3, "{status_requests} status updates");
    let settled = trace
        .since(root.seq)
        .iter()
        .filter(|e| matches!(e.kind, TraceKind::Settled { command, .. } if command == root.seq))
        .collect::<Vec<_>>();
    assert_eq!(settled.len(), 1, "one Settled per line");
    assert!(matches!(
        settled[0].kind,
        TraceKind::Settled { idle: true, .. }
    ));
    assert_eq!(settled[0].cause, Some(root.seq));
    assert_eq!(
        settled[0].seq + 1,
        trace.len() as u64,
        "Settled is the line's last event"
    );
}

#[test]
fn a_heredoc_is_one_command_recorded_when_its_delimiter_arrives() {
    let mut shell = Shell::new(Lab::boot(1));
    let start = shell.backend().trace().len() as u64;
    let commands = |shell: &Shell<Lab>| {
        shell
            .backend()
            .trace()
            .since(start)
            .iter()
            .filter_map(|e| match &e.kind {
                TraceKind::Command { line, .. } => Some((e.seq, line.clone())),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    shell.run_line("kubectl apply -f - <<EOF");
    shell.run_line("apiVersion: v1");
    shell.run_line("kind: ConfigMap");
    shell.run_line("metadata: {name: cm}");
    assert!(commands(&shell).is_empty(), "the line is not complete yet");
    let out = shell.run_line("EOF");
    assert_eq!(out.stdout, "configmap/cm created\n", "{}", out.stderr);
    let found = commands(&shell);
    assert_eq!(
        found.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>(),
        ["kubectl apply -f - <<EOF\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\nEOF"]
    );
    let trace = shell.backend().trace();
    let commit = trace
        .since(start)
        .iter()
        .find(|e| matches!(&e.kind, TraceKind::StoreCommit { key, .. } if key == "/registry/configmaps/default/cm"))
        .expect("the ConfigMap was stored");
    assert_eq!(trace.causal_chain(commit.seq).first(), Some(&found[0].0));
}

#[test]
fn a_line_stopped_by_the_settle_limit_is_settled_but_not_idle() {
    let mut shell = Shell::new(Lab::boot(1));
    // One simulated second: the image pulls alone take longer.
    shell.set_settle_ticks(1_000);
    shell.run_line(COMMAND);
    let trace = shell.backend().trace();
    let last = trace.events().last().expect("events");
    assert!(
        matches!(last.kind, TraceKind::Settled { idle: false, .. }),
        "{:?}",
        last.kind
    );
}
