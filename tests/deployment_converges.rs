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
