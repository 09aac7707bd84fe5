//! Golden trace of `kubectl create deployment web --image=nginx --replicas=3` on a fresh lab: every
//! event the command caused, rendered one per line, compared exactly with
//! `tests/fixtures/lab/create_deployment.trace` (`UPDATE_GOLDEN=1` rewrites it). A change in any
//! component that alters what the student would see animated shows up here as a diff to review.
//!
//! The same trace must also tell the eight deployment steps of the lesson, in order.

use std::collections::BTreeSet;
use std::path::PathBuf;

use kube_sandbox::sim::apiserver::Verb;
use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;
use kube_sandbox::sim::trace::{ApiStage, TraceEvent, TraceKind, WatchEventType};

const COMMAND: &str = "kubectl create deployment web --image=nginx --replicas=3";

/// The events the command caused: the shell's `Command` event and every event whose chain of
/// causes leads back to it, from the moment the line was typed until the shell settled. Heartbeats, node status
/// updates and the clock's ticks in the same window have other causes and are left out.
fn command_trace() -> Vec<TraceEvent> {
    let mut shell = Shell::new(Lab::boot(1).cluster);
    let start = shell.backend().trace().len();
    let out = shell.run_line(COMMAND);
    assert_eq!(
        out.stdout, "deployment.apps/web created\n",
        "{}",
        out.stderr
    );
    let window = &shell.backend().trace().events()[start..];
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
        TraceKind::Command { line, host } => format!("command on {host}: {line}"),
        TraceKind::Settled { command, idle } => format!(
            "settled {command} {}",
            if *idle { "idle" } else { "at the limit" }
        ),
    }
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
