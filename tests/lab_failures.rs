//! Failure stories, end to end, as a student plays them in the sandbox: break one part of the
//! cluster, watch what `kubectl` shows, mend it, watch the cluster heal.
//!
//! Each story boots the lab, drives it through the shell (and, for what a shell cannot do, the
//! cluster's own handles: stopping a component, a node's failures), and asserts what kubectl
//! prints.

use kube_sandbox::sim::apiserver::backend::RangeRequest;
use kube_sandbox::sim::apiserver::decode_object;
use kube_sandbox::sim::clock::TICKS_PER_SECOND;
use kube_sandbox::sim::cluster::Cluster;
use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::kubelet::failures::Failure;
use kube_sandbox::sim::lab::Lab;
use kube_sandbox::sim::trace::TraceKind;
use serde_json::Value;

const SETTLE_TICKS: u64 = 120 * TICKS_PER_SECOND;

fn shell(seed: u64) -> Shell<Cluster> {
    Shell::new(Lab::boot(seed).cluster)
}

fn run(shell: &mut Shell<Cluster>, line: &str) -> String {
    let out = shell.run_line(line);
    assert_eq!(out.exit_code, 0, "{line}: {}{}", out.stdout, out.stderr);
    out.stdout
}

/// `kubectl get pods -o wide --no-headers`, as (name, status, node) of the pods whose name
/// starts with `prefix`.
fn pods(shell: &mut Shell<Cluster>, prefix: &str) -> Vec<(String, String, String)> {
    let out = shell.run_line("kubectl get pods -o wide --no-headers");
    out.stdout
        .lines()
        .filter(|l| l.starts_with(prefix))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[2].to_string(), f[6].to_string())
        })
        .collect()
}

fn web_manifest(replicas: u32, image: &str) -> String {
    format!(
        "kubectl apply -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: {image}
EOF"
    )
}

// ---- 1. kube-scheduler stopped -------------------------------------------------------------

#[test]
fn with_the_scheduler_stopped_new_pods_stay_pending_and_are_placed_once_it_starts_again() {
    let mut sh = shell(11);
    assert!(sh.backend_mut().stop_component("kube-scheduler"));
    run(
        &mut sh,
        "kubectl create deployment web --image=nginx --replicas=2",
    );
    let pending = pods(&mut sh, "web-");
    assert_eq!(pending.len(), 2, "the controllers still create the pods");
    for (name, status, node) in &pending {
        assert_eq!(
            (status.as_str(), node.as_str()),
            ("Pending", "<none>"),
            "{name}"
        );
    }
    let events = run(&mut sh, "kubectl get events");
    assert!(
        !events.contains("Scheduled") && !events.contains("FailedScheduling"),
        "nobody schedules, so nobody reports it:\n{events}"
    );

    assert!(sh.backend_mut().start_component("kube-scheduler"));
    sh.backend_mut().run_until_settled(SETTLE_TICKS);
    let placed = pods(&mut sh, "web-");
    assert_eq!(placed.len(), 2);
    for (name, status, node) in &placed {
        assert_eq!(status, "Running", "{name}");
        assert!(node == "node1" || node == "node2", "{name} on {node}");
    }
    let events = run(&mut sh, "kubectl get events");
    assert_eq!(
        events
            .lines()
            .filter(|l| l.contains("Scheduled") && l.contains("Successfully assigned default/web-"))
            .count(),
        2,
        "{events}"
    );
}

// ---- 2. kube-controller-manager stopped ----------------------------------------------------

#[test]
fn with_the_controller_manager_stopped_a_deleted_pod_is_not_replaced_until_it_starts_again() {
    let mut sh = shell(12);
    run(
        &mut sh,
        "kubectl create deployment web --image=nginx --replicas=2",
    );
    let before = pods(&mut sh, "web-");
    assert_eq!(before.len(), 2);
    assert!(sh.backend_mut().stop_component("kube-controller-manager"));
    let victim = before[0].0.clone();
    let out = run(&mut sh, &format!("kubectl delete pod {victim}"));
    assert_eq!(out, format!("pod \"{victim}\" deleted\n"));
    run(&mut sh, "sleep 60");
    let after = pods(&mut sh, "web-");
    assert_eq!(
        after.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(),
        [before[1].0.as_str()],
        "nobody replaces the deleted pod"
    );
    let deploy = run(&mut sh, "kubectl get deploy web --no-headers");
    // The Deployment's status is the controller's too: it still says what it last saw.
    assert!(deploy.starts_with("web "), "{deploy}");

    assert!(sh.backend_mut().start_component("kube-controller-manager"));
    sh.backend_mut().run_until_settled(SETTLE_TICKS);
    let healed = pods(&mut sh, "web-");
    assert_eq!(healed.len(), 2, "{healed:?}");
    assert!(healed.iter().all(|p| p.1 == "Running"), "{healed:?}");
    assert!(healed.iter().all(|p| p.0 != victim), "a new pod, new name");
    let deploy = run(&mut sh, "kubectl get deploy web --no-headers");
    assert!(deploy.starts_with("web   2/2 "), "{deploy}");
}

// ---- 3. node2 stops heartbeating -----------------------------------------------------------

fn node_status(sh: &mut Shell<Cluster>, node: &str) -> String {
    let out = run(sh, "kubectl get nodes --no-headers");
    out.lines()
        .find(|l| l.starts_with(&format!("{node} ")))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("")
        .to_string()
}

#[test]
fn a_silent_node_goes_not_ready_is_tainted_and_its_pods_move_after_five_minutes() {
    let mut sh = shell(13);
    run(
        &mut sh,
        "kubectl create deployment web --image=nginx --replicas=2",
    );
    let before = pods(&mut sh, "web-");
    let on_node2: Vec<String> = before
        .iter()
        .filter(|p| p.2 == "node2")
        .map(|p| p.0.clone())
        .collect();
    assert!(
        !on_node2.is_empty(),
        "the scheduler spread them: {before:?}"
    );

    assert!(sh.backend_mut().stop_component("kubelet@node2"));
    run(&mut sh, "sleep 25");
    assert_eq!(
        node_status(&mut sh, "node2"),
        "Ready",
        "within the 40 s grace period"
    );
    run(&mut sh, "sleep 25");
    assert_eq!(node_status(&mut sh, "node2"), "NotReady");
    let node = run(&mut sh, "kubectl get node node2 -o yaml");
    assert!(
        node.contains("key: node.kubernetes.io/unreachable"),
        "{node}"
    );
    assert!(node.contains("effect: NoExecute"), "{node}");
    // The pods are not moved yet: they tolerate `unreachable` for 300 s.
    let waiting = pods(&mut sh, "web-");
    assert!(
        on_node2
            .iter()
            .all(|name| waiting.iter().any(|p| &p.0 == name && p.2 == "node2")),
        "{waiting:?}"
    );

    run(&mut sh, "sleep 300");
    sh.backend_mut().run_until_settled(SETTLE_TICKS);
    let after = pods(&mut sh, "web-");
    let running: Vec<&(String, String, String)> =
        after.iter().filter(|p| p.1 == "Running").collect();
    assert_eq!(running.len(), 2, "{after:?}");
    assert!(
        running.iter().all(|p| p.2 == "node1"),
        "replacements on node1: {after:?}"
    );
    // The evicted pods stay Terminating: their kubelet cannot confirm they stopped.
    for name in &on_node2 {
        if let Some(p) = after.iter().find(|p| &p.0 == name) {
            assert_eq!(p.1, "Terminating", "{p:?}");
        }
    }
    let events = run(&mut sh, "kubectl get events");
    assert!(events.contains("TaintManagerEviction"), "{events}");
}

#[test]
fn a_node_cut_off_the_network_goes_not_ready_the_same_way() {
    let Lab { cluster, nodes } = Lab::boot(17);
    let mut sh = Shell::new(cluster);
    let node2 = nodes
        .iter()
        .find(|(name, _)| name == "node2")
        .map(|(_, handle)| handle)
        .expect("the lab has node2");
    node2.inject(Failure::CutNetwork);
    run(&mut sh, "sleep 25");
    assert_eq!(node_status(&mut sh, "node2"), "Ready");
    run(&mut sh, "sleep 25");
    assert_eq!(node_status(&mut sh, "node2"), "NotReady");
    assert_eq!(
        node_status(&mut sh, "node1"),
        "Ready",
        "only node2 went silent"
    );
    let node = run(&mut sh, "kubectl get node node2 -o yaml");
    assert!(
        node.contains("key: node.kubernetes.io/unreachable"),
        "{node}"
    );
}

// ---- 4. not enough CPU ---------------------------------------------------------------------

#[test]
fn a_pod_asking_for_more_cpu_than_any_worker_has_stays_pending_with_upstreams_reason() {
    let mut sh = shell(14);
    run(
        &mut sh,
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
        cpu: 950m
EOF",
    );
    let big = pods(&mut sh, "big");
    assert_eq!(big, [("big".into(), "Pending".into(), "<none>".into())]);
    let events = run(&mut sh, "kubectl get events");
    let line = events
        .lines()
        .find(|l| l.contains("pod/big"))
        .unwrap_or_else(|| panic!("no event for pod/big:\n{events}"));
    assert!(line.contains("Warning"), "{line}");
    assert!(line.contains("FailedScheduling"), "{line}");
    assert!(
        line.contains("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."),
        "{line}"
    );
}

// ---- 5. a rolling update -------------------------------------------------------------------

/// Ready, not-terminating pods labelled `app=web` in the store at `revision`.
fn ready_web_pods(cluster: &Cluster, revision: i64) -> (usize, usize) {
    let request = RangeRequest::prefix("/registry/pods/default/").at_revision(revision);
    let Ok(result) = cluster.store().range(&request) else {
        return (0, 0);
    };
    let mut ready = 0;
    let mut new_image = 0;
    for kv in &result.kvs {
        let Some(pod) = decode_object(kv) else {
            continue;
        };
        if pod.pointer("/metadata/labels/app").and_then(Value::as_str) != Some("web")
            || pod.pointer("/metadata/deletionTimestamp").is_some()
        {
            continue;
        }
        let is_ready = pod
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    c.get("type").and_then(Value::as_str) == Some("Ready")
                        && c.get("status").and_then(Value::as_str) == Some("True")
                })
            });
        if is_ready {
            ready += 1;
            if pod
                .pointer("/spec/containers/0/image")
                .and_then(Value::as_str)
                == Some("nginx:1.27")
            {
                new_image += 1;
            }
        }
    }
    (ready, new_image)
}

#[test]
fn a_rolling_update_never_drops_below_replicas_minus_max_unavailable_ready_pods() {
    const REPLICAS: usize = 4;
    // The default strategy: 25% of 4 → maxUnavailable 1, maxSurge 1.
    const MAX_UNAVAILABLE: usize = 1;
    let mut sh = shell(15);
    run(&mut sh, &web_manifest(REPLICAS as u32, "nginx:1.26"));
    let start_revision = sh.backend().store().revision();
    assert_eq!(ready_web_pods(sh.backend(), start_revision), (REPLICAS, 0));

    // Apply the new image, then play the rollout one step at a time.
    sh.set_settle_ticks(0);
    let out = run(&mut sh, &web_manifest(REPLICAS as u32, "nginx:1.27"));
    assert_eq!(out, "deployment.apps/web configured\n");
    let cluster = sh.backend_mut();
    let deadline = cluster.now() + SETTLE_TICKS;
    let mut samples = vec![ready_web_pods(cluster, cluster.store().revision())];
    loop {
        if !cluster.step() {
            match cluster.next_timer() {
                Some(due) if due <= deadline => {
                    let now = cluster.now();
                    cluster.advance(due.saturating_sub(now));
                }
                _ => break,
            }
        }
        samples.push(ready_web_pods(cluster, cluster.store().revision()));
        if samples.last() == Some(&(REPLICAS, REPLICAS)) {
            break;
        }
    }
    let low = samples.iter().map(|s| s.0).min().unwrap_or(0);
    assert!(
        low >= REPLICAS - MAX_UNAVAILABLE,
        "ready dropped to {low}: {samples:?}"
    );
    assert_eq!(samples.last(), Some(&(REPLICAS, REPLICAS)), "{samples:?}");
    // Between the samples too: every state etcd ever stored during the rollout.
    let end_revision = cluster.store().revision();
    for revision in start_revision..=end_revision {
        let (ready, _) = ready_web_pods(cluster, revision);
        assert!(
            ready >= REPLICAS - MAX_UNAVAILABLE,
            "revision {revision}: {ready} ready"
        );
    }
    sh.set_settle_ticks(SETTLE_TICKS);
    sh.backend_mut().run_until_settled(SETTLE_TICKS);
    // Right after the rollout the replaced pods still show Terminating, as on a real cluster;
    // they end their grace period (nginx quits on SIGQUIT, the kubelet confirms) within 30 s.
    run(&mut sh, "sleep 30");
    let images = run(&mut sh, "kubectl get deploy web -o wide --no-headers");
    assert!(images.contains(" nginx:1.27 "), "{images}");
    let after = pods(&mut sh, "web-");
    assert_eq!(after.len(), REPLICAS, "the old pods are gone: {after:?}");
    assert!(after.iter().all(|p| p.1 == "Running"), "{after:?}");
    let rs = run(&mut sh, "kubectl get rs --no-headers");
    let desired: Vec<&str> = rs
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    let mut desired_sorted = desired.clone();
    desired_sorted.sort();
    assert_eq!(
        desired_sorted,
        ["0", "4"],
        "old ReplicaSet scaled to 0:\n{rs}"
    );
}

// ---- 6. scale to zero and back -------------------------------------------------------------

#[test]
fn scaling_to_zero_removes_every_pod_and_scaling_back_brings_three_new_ones() {
    let mut sh = shell(16);
    run(&mut sh, &web_manifest(3, "nginx"));
    let first = pods(&mut sh, "web-");
    assert_eq!(first.len(), 3);
    run(&mut sh, &web_manifest(0, "nginx"));
    let out = sh.run_line("kubectl get pods");
    assert_eq!(out.stderr, "No resources found in default namespace.\n");
    let deploy = run(&mut sh, "kubectl get deploy web --no-headers");
    assert!(deploy.starts_with("web   0/0 "), "{deploy}");

    run(&mut sh, &web_manifest(3, "nginx"));
    let again = pods(&mut sh, "web-");
    assert_eq!(again.len(), 3, "{again:?}");
    assert!(again.iter().all(|p| p.1 == "Running"), "{again:?}");
    assert!(
        again.iter().all(|p| first.iter().all(|f| f.0 != p.0)),
        "new pods, new names"
    );
    let deploy = run(&mut sh, "kubectl get deploy web --no-headers");
    assert!(deploy.starts_with("web   3/3 "), "{deploy}");
    // The same ReplicaSet served both: the template did not change.
    let rs = run(&mut sh, "kubectl get rs --no-headers");
    assert_eq!(rs.lines().count(), 1, "{rs}");
    // Scaling went through the controllers: a SuccessfulDelete and a SuccessfulCreate.
    let trace = sh.backend().trace();
    assert!(trace.events().iter().any(|e| matches!(&e.kind,
        TraceKind::Decision { reason, .. } if reason == "SuccessfulDelete")));
}

// ---- 5. a static pod's manifest moved out and back -----------------------------------------

#[test]
fn a_static_pod_put_back_while_it_still_stops_starts_again_once_it_has_stopped() {
    let Lab { cluster, nodes } = Lab::boot(19);
    let mut sh = Shell::new(cluster);
    let master = nodes
        .iter()
        .find(|(name, _)| name == "master")
        .map(|(_, handle)| handle)
        .expect("the lab has master");
    let mirror = |sh: &mut Shell<Cluster>| {
        sh.run_line("kubectl get pod kube-scheduler-master -n kube-system --no-headers")
            .stdout
    };
    assert!(mirror(&mut sh).contains(" Running "));
    // Both in one sync: the restore waits for the old worker to finish stopping.
    master.inject(Failure::RemoveStaticPod {
        name: "kube-scheduler".into(),
    });
    master.inject(Failure::RestoreStaticPod {
        name: "kube-scheduler".into(),
    });
    assert!(sh.backend_mut().wake_component("kubelet@master"));
    sh.backend_mut().run_until_settled(SETTLE_TICKS);
    assert!(mirror(&mut sh).contains(" Running "), "{}", mirror(&mut sh));
    let trace = sh.backend().trace();
    let reasons: Vec<&str> = trace
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::Decision { reason, .. }
                if ["DeleteMirrorPod", "CreateMirrorPod"].contains(&reason.as_str()) =>
            {
                Some(reason.as_str())
            }
            _ => None,
        })
        .collect();
    assert!(
        reasons.ends_with(&["DeleteMirrorPod", "CreateMirrorPod"]),
        "the old mirror goes, a new one comes: {reasons:?}"
    );
}
