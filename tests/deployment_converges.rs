//! A Deployment converges once its faults are healed: what `kubectl get deploy` and
//! `kubectl get rs` say is ready is what the pods say (issue 13).
//!
//! The invariant, checked over the whole store after the lab has been given time to settle:
//! * every ReplicaSet's `status.replicas` is the number of active pods it owns, and its
//!   `readyReplicas` and `availableReplicas` the number of those that are Ready (no
//!   minReadySeconds here, so available = ready);
//! * every Deployment's counts are the sums over the ReplicaSets it owns;
//! * every Running pod whose containers are all ready (`kubectl get pods` shows `1/1 Running`) is
//!   Ready, and the other way round: the kubelet's Ready condition agrees with its container
//!   statuses, so the student's two views of one pod agree.

use kube_sandbox::present::session::Session;
use kube_sandbox::sim::apiserver::backend::RangeRequest;
use kube_sandbox::sim::apiserver::decode_object;
use kube_sandbox::sim::cluster::Cluster;
use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;
use kube_sandbox::sim::rng::Rng;
use serde_json::Value;

// ---- reading the store ---------------------------------------------------------------------

fn list(cluster: &Cluster, resource: &str) -> Vec<Value> {
    let prefix = format!("/registry/{resource}/");
    let Ok(result) = cluster.store().range(&RangeRequest::prefix(prefix)) else {
        return Vec::new();
    };
    result.kvs.iter().filter_map(decode_object).collect()
}

fn int(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn text<'v>(obj: &'v Value, pointer: &str) -> &'v str {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn condition_true(obj: &Value, kind: &str) -> bool {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some(kind)
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

fn controller_uid(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))?
        .get("uid")?
        .as_str()
}

fn being_deleted(obj: &Value) -> bool {
    obj.pointer("/metadata/deletionTimestamp").is_some()
}

/// What `kubectl get pods` counts in READY: every container ready.
fn containers_ready(pod: &Value) -> bool {
    pod.pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            !cs.is_empty()
                && cs
                    .iter()
                    .all(|c| c.get("ready").and_then(Value::as_bool) == Some(true))
        })
}

/// Every way the store breaks the invariant of the module doc, in words.
fn violations(cluster: &Cluster) -> Vec<String> {
    let pods = list(cluster, "pods");
    let rss = list(cluster, "replicasets");
    let deploys = list(cluster, "deployments");
    let mut out = Vec::new();
    for pod in pods.iter().filter(|p| !being_deleted(p)) {
        if text(pod, "/status/phase") == "Running"
            && containers_ready(pod) != condition_true(pod, "Ready")
        {
            out.push(format!(
                "pod {}/{}: containers ready {}, condition Ready {}",
                text(pod, "/metadata/namespace"),
                text(pod, "/metadata/name"),
                containers_ready(pod),
                condition_true(pod, "Ready")
            ));
        }
    }
    // (active, ready) pods owned by the ReplicaSet with this uid (`FilterActivePods`).
    let owned = |uid: &str| {
        let active: Vec<&Value> = pods
            .iter()
            .filter(|p| controller_uid(p) == Some(uid) && !being_deleted(p))
            .filter(|p| !matches!(text(p, "/status/phase"), "Succeeded" | "Failed"))
            .collect();
        let ready = active.iter().filter(|p| condition_true(p, "Ready")).count();
        (active.len() as i64, ready as i64)
    };
    let counts = |obj: &Value| {
        (
            int(obj, "/status/replicas"),
            int(obj, "/status/readyReplicas"),
            int(obj, "/status/availableReplicas"),
        )
    };
    for rs in &rss {
        let (active, ready) = owned(text(rs, "/metadata/uid"));
        if counts(rs) != (active, ready, ready) {
            out.push(format!(
                "replicaset {}: status (replicas, ready, available) {:?}, owns {active} active pods, {ready} Ready",
                text(rs, "/metadata/name"),
                counts(rs)
            ));
        }
    }
    for d in &deploys {
        let (active, ready) = rss
            .iter()
            .filter(|rs| controller_uid(rs) == Some(text(d, "/metadata/uid")))
            .map(|rs| owned(text(rs, "/metadata/uid")))
            .fold((0, 0), |(a, r), (a2, r2)| (a + a2, r + r2));
        if counts(d) != (active, ready, ready) {
            out.push(format!(
                "deployment {}: status (replicas, ready, available) {:?}, owns {active} active pods, {ready} Ready",
                text(d, "/metadata/name"),
                counts(d)
            ));
        }
    }
    out
}

/// Nothing left to happen: every node Ready, no pod terminating, every Deployment's pods all
/// there and Ready, and the invariant holds. With every fault healed, a cluster in this state
/// stays in it.
fn at_rest(cluster: &Cluster) -> bool {
    list(cluster, "nodes")
        .iter()
        .all(|n| condition_true(n, "Ready"))
        && !list(cluster, "pods").iter().any(being_deleted)
        && list(cluster, "deployments").iter().all(|d| {
            let want = int(d, "/spec/replicas");
            int(d, "/status/replicas") == want && int(d, "/status/readyReplicas") == want
        })
        && violations(cluster).is_empty()
}

// ---- issue 13, as reported -----------------------------------------------------------------

fn session_run(session: &mut Session, line: &str) -> String {
    let (out, _) = session.run_line(line);
    assert_eq!(out.exit_code, 0, "{line}: {}{}", out.stdout, out.stderr);
    out.stdout
}

/// The `web-` pods, as `(name, node)` from `kubectl get pods -o wide`.
fn web_pods(session: &mut Session) -> Vec<(String, String)> {
    session_run(session, "kubectl get pods -o wide --no-headers")
        .lines()
        .filter(|l| l.starts_with("web-"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[6].to_string())
        })
        .collect()
}

#[test]
fn a_deployment_reports_3_of_3_once_a_stopped_kubelet_and_a_halted_node_are_back() {
    let mut s = Session::new(1);
    session_run(
        &mut s,
        "kubectl create deployment web --image=nginx --replicas=3",
    );
    session_run(&mut s, "kubectl cordon node1");
    session_run(&mut s, "ssh node2 systemctl stop kubelet");
    session_run(&mut s, "vagrant halt node1");
    // Past the node monitor grace period (40 s): both nodes NotReady, their pods marked
    // NotReady by the node lifecycle controller (MarkPodsNotReady).
    session_run(&mut s, "sleep 60");
    let (victim, _) = web_pods(&mut s)
        .into_iter()
        .find(|(_, node)| node == "node1")
        .expect("a web pod on node1");
    session_run(&mut s, &format!("kubectl delete pod {victim} --wait=false"));
    session_run(&mut s, "vagrant up node1");
    session_run(&mut s, "ssh node2 systemctl start kubelet");
    session_run(&mut s, "kubectl uncordon node1");
    session_run(&mut s, "sleep 400");

    let pods = session_run(&mut s, "kubectl get pods --no-headers");
    let web: Vec<&str> = pods.lines().filter(|l| l.starts_with("web-")).collect();
    assert_eq!(web.len(), 3, "{pods}");
    for line in &web {
        assert!(
            line.contains(" 1/1 ") && line.contains(" Running "),
            "{pods}"
        );
    }
    // The kubelet on node2 was stopped while the node lifecycle controller marked its pods
    // NotReady; started again, it must report them Ready again, though nothing on the node
    // changed, so the ReplicaSet and the Deployment count them.
    let deploy = session_run(&mut s, "kubectl get deploy web --no-headers");
    assert!(deploy.starts_with("web   3/3 "), "{deploy}");
    let rs = session_run(&mut s, "kubectl get rs --no-headers");
    let rs: Vec<&str> = rs.lines().next().unwrap_or("").split_whitespace().collect();
    assert_eq!(rs.get(1..4), Some(&["3", "3", "3"][..]), "{rs:?}");
    assert_eq!(violations(s.cluster()), Vec::<String>::new());
}

// ---- random fault schedules ----------------------------------------------------------------

const NODES: [&str; 2] = ["node1", "node2"];
/// Schedules each lab plays one after the other (five labs, one test each: 50 schedules).
const ROUNDS: u64 = 10;
/// Fault steps per schedule.
const STEPS_MIN: u64 = 3;
const STEPS_MAX: u64 = 6;
/// What the lab is given after the heal, in slices (see [`at_rest`] for why it may stop early).
const SETTLE_SECONDS: u64 = 400;
const SETTLE_SLICE_SECONDS: u64 = 20;

/// The node's packets to master dropped: it cannot reach the apiserver (nor be told anything).
const CUT_OFF: &str = "iptables -A OUTPUT -d 172.16.20.11 -j DROP";
/// One such rule deleted (it fails when there is none).
const MEND: &str = "iptables -D OUTPUT -d 172.16.20.11 -j DROP";

/// One step of a schedule, drawn from `rng` (the project's SplitMix64, seeded per schedule).
/// `DELETE` stands for deleting one web pod, chosen when the step runs.
fn draw_step(rng: &mut Rng) -> String {
    let node = NODES[rng.below(NODES.len() as u64) as usize];
    match rng.below(12) {
        0 => format!("kubectl cordon {node}"),
        1 => format!("kubectl uncordon {node}"),
        2 => format!("ssh {node} systemctl stop kubelet"),
        3 => format!("ssh {node} systemctl start kubelet"),
        4 => format!("vagrant halt {node}"),
        5 => format!("vagrant up {node}"),
        6 => format!("ssh {node} {CUT_OFF}"),
        7 => format!("ssh {node} {MEND}"),
        8 => "DELETE".to_string(),
        9 => format!(
            "kubectl scale deployment web --replicas={}",
            1 + rng.below(4)
        ),
        // Some sleeps cross the node monitor grace period (40 s), most do not.
        _ => format!("sleep {}", 5 + rng.below(56)),
    }
}

/// Every fault undone: both VMs up, both kubelets running, no DROP rule left (a VM's boot
/// clears its rules, a rule may have been added twice), both nodes schedulable.
fn heal(shell: &mut Shell<Lab>, played: &mut Vec<String>) {
    for n in NODES {
        play(shell, &format!("vagrant up {n}"), true, played);
        play(
            shell,
            &format!("ssh {n} systemctl start kubelet"),
            true,
            played,
        );
        for _ in 0..STEPS_MAX {
            let line = format!("ssh {n} {MEND}");
            played.push(line.clone());
            if shell.run_line(&line).exit_code != 0 {
                break;
            }
        }
        play(shell, &format!("kubectl uncordon {n}"), true, played);
    }
}

/// Runs a line of the schedule; a fault may fail as it would on the lab (`ssh` to a halted VM:
/// `No route to host`), so only `must_succeed` lines are checked.
fn play(shell: &mut Shell<Lab>, line: &str, must_succeed: bool, played: &mut Vec<String>) {
    played.push(line.to_string());
    let out = shell.run_line(line);
    if !must_succeed {
        return;
    }
    assert_eq!(
        out.exit_code,
        0,
        "{line}: {}{}\nlines so far:\n{}",
        out.stdout,
        out.stderr,
        played.join("\n")
    );
}

/// `kubectl delete pod` of one live web pod picked by `rng`, if there is one.
fn delete_line(shell: &Shell<Lab>, rng: &mut Rng) -> Option<String> {
    let names: Vec<String> = list(&shell.backend().cluster, "pods")
        .iter()
        .filter(|p| text(p, "/metadata/labels/app") == "web" && !being_deleted(p))
        .map(|p| text(p, "/metadata/name").to_string())
        .collect();
    if names.is_empty() {
        return None;
    }
    let name = &names[rng.below(names.len() as u64) as usize];
    Some(format!("kubectl delete pod {name} --wait=false"))
}

/// Plays `ROUNDS` schedules on a lab booted from `lab_seed`, each drawn from its own seed
/// (`first_schedule..`): a few fault steps, the heal, up to [`SETTLE_SECONDS`] to settle, then
/// the invariant. The lab carries what one schedule left to the next, as a student's does.
fn schedules_on_one_lab_leave_every_workload_status_counting_its_ready_pods(lab_seed: u64) {
    let started = std::time::Instant::now();
    let mut shell = Shell::new(Lab::boot(lab_seed));
    let mut played = Vec::new();
    play(
        &mut shell,
        "kubectl create deployment web --image=nginx --replicas=3",
        true,
        &mut played,
    );
    for round in 0..ROUNDS {
        let schedule = lab_seed * ROUNDS + round;
        let mut rng = Rng::new(schedule);
        played.push(format!("# schedule {schedule}"));
        let steps = STEPS_MIN + rng.below(STEPS_MAX - STEPS_MIN + 1);
        for _ in 0..steps {
            let step = draw_step(&mut rng);
            let line = if step == "DELETE" {
                match delete_line(&shell, &mut rng) {
                    Some(line) => line,
                    None => continue,
                }
            } else {
                step
            };
            play(&mut shell, &line, false, &mut played);
        }
        heal(&mut shell, &mut played);
        let mut slept = 0;
        while slept < SETTLE_SECONDS && !at_rest(&shell.backend().cluster) {
            play(
                &mut shell,
                &format!("sleep {SETTLE_SLICE_SECONDS}"),
                true,
                &mut played,
            );
            slept += SETTLE_SLICE_SECONDS;
        }
        let broken = violations(&shell.backend().cluster);
        assert!(
            broken.is_empty(),
            "lab seed {lab_seed}, schedule {schedule}, {slept} s after the heal:\n{}\n\nlines since boot:\n{}\n\n{}",
            broken.join("\n"),
            played.join("\n"),
            shell.run_line("kubectl get deploy,rs,pods -A -o wide").stdout
        );
    }
    eprintln!(
        "lab seed {lab_seed}: {ROUNDS} schedules in {:?}",
        started.elapsed()
    );
}

// One test per lab, so that the harness runs them side by side.

#[test]
fn after_random_faults_are_healed_on_lab_1_every_workload_status_counts_its_ready_pods() {
    schedules_on_one_lab_leave_every_workload_status_counting_its_ready_pods(1);
}

#[test]
fn after_random_faults_are_healed_on_lab_2_every_workload_status_counts_its_ready_pods() {
    schedules_on_one_lab_leave_every_workload_status_counting_its_ready_pods(2);
}

#[test]
fn after_random_faults_are_healed_on_lab_3_every_workload_status_counts_its_ready_pods() {
    schedules_on_one_lab_leave_every_workload_status_counting_its_ready_pods(3);
}

#[test]
fn after_random_faults_are_healed_on_lab_4_every_workload_status_counts_its_ready_pods() {
    schedules_on_one_lab_leave_every_workload_status_counting_its_ready_pods(4);
}

#[test]
fn after_random_faults_are_healed_on_lab_5_every_workload_status_counts_its_ready_pods() {
    schedules_on_one_lab_leave_every_workload_status_counting_its_ready_pods(5);
}
