//! Node lifecycle and taint eviction through the cluster: a node that stops heartbeating.

mod controller_support;

use controller_support::*;
use kube_sandbox::sim::apiserver::request::PatchType;
use kube_sandbox::sim::apiserver::Verb;
use kube_sandbox::sim::cluster::Cluster;
use serde_json::{json, Value};

fn renew(c: &mut Cluster, node: &str, n: u64) {
    let renew_time = format!("2025-06-01T00:{:02}:{:02}.000000Z", (n / 60) % 60, n % 60);
    let lease = json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": node, "namespace": "kube-node-lease"},
        "spec": {"holderIdentity": node, "leaseDurationSeconds": 40, "renewTime": renew_time}});
    if get(c, "leases", Some("kube-node-lease"), node).is_none() {
        c.submit(admin(Verb::Create, "leases", Some("kube-node-lease")).body(lease))
            .unwrap();
    } else {
        patch(
            c,
            "leases",
            Some("kube-node-lease"),
            node,
            json!({"spec": {"renewTime": renew_time}}),
        )
        .unwrap();
    }
}

fn ready(node: &Value) -> String {
    node["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == json!("Ready"))
        .unwrap()["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn taint_keys(node: &Value) -> Vec<String> {
    node.pointer("/spec/taints")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    format!(
                        "{}:{}",
                        t["key"].as_str().unwrap(),
                        t["effect"].as_str().unwrap()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Lets `seconds` pass in 5-second steps while master and node1 keep renewing their leases.
fn run_with_heartbeats(c: &mut Cluster, seconds: u64, beat: &mut u64, also_node2: bool) {
    for _ in 0..seconds / 5 {
        *beat += 5;
        renew(c, "master", *beat);
        renew(c, "node1", *beat);
        if also_node2 {
            renew(c, "node2", *beat);
        }
        c.advance(5_000);
    }
}

#[test]
fn a_silent_node_goes_unknown_at_40_s_gets_tainted_and_its_pods_are_evicted_at_300_s() {
    let mut c = cluster();
    create(
        &mut c,
        "deployments",
        Some("default"),
        deployment("web", 2, "nginx:1.27"),
    );
    settle(&mut c);
    let on_node2: Vec<String> = live_pods(&c, "default")
        .iter()
        .filter(|p| p["spec"]["nodeName"] == json!("node2"))
        .map(name)
        .collect();
    assert_eq!(on_node2.len(), 1);
    let mut beat = 0;
    // Everyone heartbeats for a while; then node2 falls silent.
    run_with_heartbeats(&mut c, 20, &mut beat, true);
    // The last renewal happened at the start of the last 5-second step.
    let silent_from = c.now() - 5_000;
    run_with_heartbeats(&mut c, 30, &mut beat, false);
    let node2 = get(&c, "nodes", None, "node2").unwrap();
    assert_eq!(
        ready(&node2),
        "True",
        "35 s of silence is within the grace period"
    );
    run_with_heartbeats(&mut c, 10, &mut beat, false);
    let node2 = get(&c, "nodes", None, "node2").unwrap();
    assert!(c.now() - silent_from <= 45_000);
    assert_eq!(ready(&node2), "Unknown");
    let cond = node2["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == json!("Ready"))
        .unwrap()
        .clone();
    assert_eq!(cond["reason"], json!("NodeStatusUnknown"));
    assert_eq!(
        cond["message"],
        json!("Kubelet stopped posting node status.")
    );
    let keys = taint_keys(&node2);
    assert!(
        keys.contains(&"node.kubernetes.io/unreachable:NoExecute".to_string()),
        "{keys:?}"
    );
    assert!(
        keys.contains(&"node.kubernetes.io/unreachable:NoSchedule".to_string()),
        "{keys:?}"
    );
    assert_eq!(ready(&get(&c, "nodes", None, "node1").unwrap()), "True");
    // The pod there is marked not ready but not yet evicted.
    let pod = get(&c, "pods", Some("default"), &on_node2[0]).unwrap();
    assert!(!is_ready(&pod));
    assert!(!terminating(&pod));

    // The default toleration is 300 s.
    run_with_heartbeats(&mut c, 290, &mut beat, false);
    assert!(
        !terminating(&get(&c, "pods", Some("default"), &on_node2[0]).unwrap()),
        "not before 300 s"
    );
    run_with_heartbeats(&mut c, 15, &mut beat, false);
    let pod = get(&c, "pods", Some("default"), &on_node2[0]).unwrap();
    assert!(terminating(&pod), "evicted after tolerationSeconds");
    let events: Vec<String> = list(&c, "events", Some("default"))
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        events.contains(&format!("Marking for deletion Pod default/{}", on_node2[0])),
        "{events:?}"
    );
    // The ReplicaSet replaces it (the old one stays Terminating: its kubelet is unreachable).
    assert_eq!(live_pods(&c, "default").len(), 2);

    // node2 comes back: heartbeat and Ready status; the taints go.
    renew(&mut c, "node2", beat + 1);
    c.submit(admin(Verb::Patch, "nodes", None).name("node2").subresource("status").patch(PatchType::Merge, json!({"status": {"conditions": [
        {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
         "lastHeartbeatTime": "2025-06-01T01:00:00Z", "lastTransitionTime": "2025-06-01T01:00:00Z"}]}}))).unwrap();
    run_with_heartbeats(&mut c, 5, &mut beat, true);
    let node2 = get(&c, "nodes", None, "node2").unwrap();
    assert!(taint_keys(&node2).is_empty(), "{:?}", taint_keys(&node2));
}

#[test]
fn a_restarted_controller_manager_gives_every_node_a_fresh_grace_period() {
    let mut c = cluster();
    assert!(c.stop_component("kube-controller-manager"));
    c.advance(60_000);
    assert!(c.start_component("kube-controller-manager"));
    c.run_until_idle(0);
    assert_eq!(
        ready(&get(&c, "nodes", None, "node1").unwrap()),
        "True",
        "no heartbeat seen yet is not silence"
    );
    c.advance(35_000);
    assert_eq!(ready(&get(&c, "nodes", None, "node1").unwrap()), "True");
    c.advance(10_000);
    // Nobody plays the kubelets here: every node falls silent, master too.
    for node in ["master", "node1", "node2"] {
        assert_eq!(
            ready(&get(&c, "nodes", None, node).unwrap()),
            "Unknown",
            "{node}"
        );
    }
}
