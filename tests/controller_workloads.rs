//! Jobs, DaemonSets, Endpoints/EndpointSlices and namespace deletion through the cluster.

mod controller_support;

use controller_support::*;
use kube_sandbox::sim::apiserver::request::{DeleteOptions, PatchType};
use kube_sandbox::sim::apiserver::Verb;
use kube_sandbox::sim::cluster::Cluster;
use serde_json::{json, Value};

fn set_phase(c: &mut Cluster, ns: &str, pod: &str, phase: &str) {
    c.submit(
        admin(Verb::Patch, "pods", Some(ns))
            .name(pod)
            .subresource("status")
            .patch(PatchType::Merge, json!({"status": {"phase": phase}})),
    )
    .unwrap();
}

fn condition(obj: &Value, kind: &str) -> Option<Value> {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c["type"] == json!(kind))
        .cloned()
}

#[test]
fn a_job_fails_after_its_backoff_limit_with_growing_back_off() {
    let mut c = cluster();
    create(
        &mut c,
        "jobs",
        Some("default"),
        json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "pi"},
        "spec": {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "pi", "image": "perl", "command": ["perl", "-e", "exit 1"]}]}}}}),
    );
    c.run_until_idle(0);
    let mut created_at = Vec::new();
    for _ in 0..10 {
        let pods = live_pods(&c, "default");
        for p in pods
            .iter()
            .filter(|p| p["status"]["phase"] == json!("Pending"))
        {
            let n = name(p);
            assert!(n.starts_with("pi-") && n.len() == 8, "{n}");
            assert_eq!(
                p["metadata"]["labels"]["batch.kubernetes.io/job-name"],
                json!("pi")
            );
            assert_eq!(p["metadata"]["labels"]["job-name"], json!("pi"));
            assert!(p["metadata"]["labels"]["controller-uid"].is_string());
            created_at.push(c.now());
            set_phase(&mut c, "default", &n, "Failed");
        }
        c.run_until_idle(0);
        let job = get(&c, "jobs", Some("default"), "pi").unwrap();
        if condition(&job, "Failed").is_some() {
            break;
        }
        c.advance(5_000);
    }
    assert_eq!(created_at.len(), 3, "backoffLimit 2: three pods in all");
    // Observed in 5-second steps: the waits are 10 s then 20 s.
    assert_eq!(created_at[1] - created_at[0], 10_000);
    assert_eq!(created_at[2] - created_at[1], 20_000);
    let job = get(&c, "jobs", Some("default"), "pi").unwrap();
    let failed = condition(&job, "Failed").unwrap();
    assert_eq!(failed["reason"], json!("BackoffLimitExceeded"));
    assert_eq!(
        failed["message"],
        json!("Job has reached the specified backoff limit")
    );
    assert_eq!(job["status"]["failed"], json!(3));
    let reasons: Vec<String> = list(&c, "events", Some("default"))
        .iter()
        .map(|e| e["reason"].as_str().unwrap().to_string())
        .collect();
    assert!(reasons.contains(&"BackoffLimitExceeded".to_string()));
}

#[test]
fn a_job_completes_when_its_completions_succeed() {
    let mut c = cluster();
    create(
        &mut c,
        "jobs",
        Some("default"),
        json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "pi"},
        "spec": {"completions": 2, "parallelism": 2, "template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "pi", "image": "perl"}]}}}}),
    );
    c.run_until_idle(0);
    let pods = live_pods(&c, "default");
    assert_eq!(pods.len(), 2, "parallelism 2");
    for p in &pods {
        set_phase(&mut c, "default", &name(p), "Succeeded");
    }
    c.run_until_idle(0);
    let job = get(&c, "jobs", Some("default"), "pi").unwrap();
    assert_eq!(
        condition(&job, "Complete").unwrap()["status"],
        json!("True")
    );
    assert_eq!(job["status"]["succeeded"], json!(2));
    assert_eq!(list(&c, "pods", Some("default")).len(), 2, "no more pods");
}

#[test]
fn a_daemon_set_puts_one_pod_per_eligible_node_pinned_by_node_affinity() {
    let mut c = cluster();
    let ds = |name: &str, tolerate_control_plane: bool| {
        let mut spec = json!({"containers": [{"name": "agent", "image": "busybox"}]});
        if tolerate_control_plane {
            spec["tolerations"] = json!([{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]);
        }
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name},
               "spec": {"selector": {"matchLabels": {"app": name}},
                        "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}})
    };
    create(
        &mut c,
        "daemonsets",
        Some("kube-system"),
        ds("agent", false),
    );
    create(&mut c, "daemonsets", Some("kube-system"), ds("proxy", true));
    c.run_until_idle(0);
    let pods = list(&c, "pods", Some("kube-system"));
    let nodes_of = |prefix: &str| {
        let mut v: Vec<String> = pods
            .iter()
            .filter(|p| name(p).starts_with(prefix))
            .map(|p| {
                p["spec"]["affinity"]["nodeAffinity"]
                    ["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]
                    ["matchFields"][0]["values"][0]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(nodes_of("agent-"), ["node1", "node2"]);
    assert_eq!(nodes_of("proxy-"), ["master", "node1", "node2"]);
    let tolerations = pods[0]["spec"]["tolerations"].as_array().unwrap();
    assert!(tolerations
        .iter()
        .any(|t| t["key"] == json!("node.kubernetes.io/unreachable")
            && t["effect"] == json!("NoExecute")));
    assert!(tolerations
        .iter()
        .any(|t| t["key"] == json!("node.kubernetes.io/disk-pressure")));
    let agent = get(&c, "daemonsets", Some("kube-system"), "agent").unwrap();
    assert_eq!(agent["status"]["desiredNumberScheduled"], json!(2));
    assert_eq!(agent["status"]["currentNumberScheduled"], json!(2));
    // A deleted daemon pod comes back on its node.
    let victim = pods
        .iter()
        .find(|p| name(p).starts_with("agent-"))
        .map(name)
        .unwrap();
    delete(
        &mut c,
        "pods",
        Some("kube-system"),
        &victim,
        DeleteOptions::default(),
    )
    .unwrap();
    c.run_until_idle(0);
    assert_eq!(
        list(&c, "pods", Some("kube-system"))
            .iter()
            .filter(|p| name(p).starts_with("agent-"))
            .count(),
        2
    );
}

fn web_service(c: &mut Cluster) {
    let mut d = deployment("web", 2, "nginx:1.27");
    d["spec"]["template"]["spec"]["containers"][0]["ports"] =
        json!([{"name": "http", "containerPort": 8080}]);
    create(c, "deployments", Some("default"), d);
    create(
        c,
        "services",
        Some("default"),
        json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}),
    );
    settle(c);
}

#[test]
fn endpoints_follow_pod_readiness_with_named_ports_resolved() {
    let mut c = cluster();
    web_service(&mut c);
    let ep = get(&c, "endpoints", Some("default"), "web").unwrap();
    let subset = &ep["subsets"][0];
    assert_eq!(subset["addresses"].as_array().unwrap().len(), 2);
    assert_eq!(
        subset["ports"],
        json!([{"name": "http", "port": 8080, "protocol": "TCP"}])
    );
    assert_eq!(subset["addresses"][0]["targetRef"]["kind"], json!("Pod"));
    assert!(subset["addresses"][0]["nodeName"].is_string());
    // One pod stops being ready.
    let pod = name(&live_pods(&c, "default")[0]);
    c.submit(
        admin(Verb::Patch, "pods", Some("default"))
            .name(pod.clone())
            .subresource("status")
            .patch(
                PatchType::Merge,
                json!({"status": {"conditions": [{"type": "Ready", "status": "False"}]}}),
            ),
    )
    .unwrap();
    c.run_until_idle(0);
    let ep = get(&c, "endpoints", Some("default"), "web").unwrap();
    let subset = &ep["subsets"][0];
    assert_eq!(subset["addresses"].as_array().unwrap().len(), 1);
    assert_eq!(
        subset["notReadyAddresses"][0]["targetRef"]["name"],
        json!(pod)
    );

    let slices = list(&c, "endpointslices", Some("default"));
    let ours: Vec<&Value> = slices
        .iter()
        .filter(|s| s["metadata"]["labels"]["kubernetes.io/service-name"] == json!("web"))
        .collect();
    assert_eq!(ours.len(), 1);
    let slice = ours[0];
    assert!(name(slice).starts_with("web-"));
    assert_eq!(
        slice["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"],
        json!("endpointslice-controller.k8s.io")
    );
    assert_eq!(slice["addressType"], json!("IPv4"));
    assert_eq!(
        slice["ports"],
        json!([{"name": "http", "port": 8080, "protocol": "TCP"}])
    );
    let eps = slice["endpoints"].as_array().unwrap();
    assert_eq!(eps.len(), 2);
    let not_ready = eps
        .iter()
        .find(|e| e["targetRef"]["name"] == json!(pod))
        .unwrap();
    assert_eq!(
        not_ready["conditions"],
        json!({"ready": false, "serving": false, "terminating": false})
    );
    assert_eq!(
        slice["metadata"]["ownerReferences"][0]["kind"],
        json!("Service")
    );
}

#[test]
fn deleting_a_namespace_empties_it_then_removes_the_kubernetes_finalizer() {
    let mut c = cluster();
    create(
        &mut c,
        "namespaces",
        None,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}),
    );
    create(
        &mut c,
        "deployments",
        Some("team"),
        deployment("web", 2, "nginx:1.27"),
    );
    settle(&mut c);
    assert_eq!(live_pods(&c, "team").len(), 2);
    delete(&mut c, "namespaces", None, "team", DeleteOptions::default()).unwrap();
    c.run_until_idle(0);
    let ns = get(&c, "namespaces", None, "team").expect("Terminating while pods terminate");
    assert_eq!(ns["status"]["phase"], json!("Terminating"));
    for _ in 0..10 {
        play_kubelets(&mut c, false);
        c.advance(1_000);
    }
    assert!(get(&c, "namespaces", None, "team").is_none());
    assert!(list(&c, "pods", Some("team")).is_empty());
    assert!(list(&c, "deployments", Some("team")).is_empty());
}
