//! Fixtures for the controller tests: a cluster with the controller-manager, and a stand-in for
//! the scheduler and the kubelets (bind, report Ready, finish graceful deletions).
#![allow(dead_code)]

use kube_sandbox::sim::apiserver::request::{DeleteOptions, PatchType};
use kube_sandbox::sim::apiserver::{ApiError, ApiRequest, ApiResponse, Credentials, Verb};
use kube_sandbox::sim::cluster::Cluster;
use kube_sandbox::sim::component::Lister;
use kube_sandbox::sim::controller;
use serde_json::{json, Value};

pub fn cluster() -> Cluster {
    let mut c = Cluster::new(42);
    for component in controller::controller_manager() {
        c.add_component(component);
    }
    c.run_until_idle(0);
    c
}

pub fn admin(verb: Verb, resource: &str, ns: Option<&str>) -> ApiRequest {
    let mut r = ApiRequest::new(Credentials::admin(), verb, resource);
    r.namespace = ns.map(str::to_string);
    r
}

pub fn create(c: &mut Cluster, resource: &str, ns: Option<&str>, body: Value) -> Value {
    c.submit(admin(Verb::Create, resource, ns).body(body))
        .unwrap_or_else(|e| panic!("create {resource}: {e}"))
        .body
}

pub fn patch(
    c: &mut Cluster,
    resource: &str,
    ns: Option<&str>,
    name: &str,
    body: Value,
) -> Result<ApiResponse, ApiError> {
    c.submit(
        admin(Verb::Patch, resource, ns)
            .name(name)
            .patch(PatchType::Merge, body),
    )
}

pub fn delete(
    c: &mut Cluster,
    resource: &str,
    ns: Option<&str>,
    name: &str,
    options: DeleteOptions,
) -> Result<ApiResponse, ApiError> {
    let mut r = admin(Verb::Delete, resource, ns).name(name);
    r.delete_options = options;
    c.submit(r)
}

pub fn list(c: &Cluster, resource: &str, ns: Option<&str>) -> Vec<Value> {
    Lister::new(c.store()).list(resource, ns)
}

pub fn get(c: &Cluster, resource: &str, ns: Option<&str>, name: &str) -> Option<Value> {
    Lister::new(c.store()).get(resource, ns, name)
}

pub fn name(v: &Value) -> String {
    v.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

pub fn deployment(name: &str, replicas: i64, image: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": name, "labels": {"app": name}},
           "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}},
                                 "spec": {"containers": [{"name": "nginx", "image": image}]}}}})
}

pub fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == json!("Ready") && c["status"] == json!("True"))
        })
}

pub fn terminating(pod: &Value) -> bool {
    pod.pointer("/metadata/deletionTimestamp").is_some()
}

/// Live pods (not terminating) in a namespace.
pub fn live_pods(c: &Cluster, ns: &str) -> Vec<Value> {
    list(c, "pods", Some(ns))
        .into_iter()
        .filter(|p| !terminating(p))
        .collect()
}

pub fn kubelet(node: &str) -> Credentials {
    kube_sandbox::sim::cluster::node_credentials(node)
}

/// Plays the scheduler and the kubelets for one round: binds pending pods (node1, node2 in
/// turn), reports bound pods Running and Ready, removes pods whose graceful deletion began.
/// Returns whether it changed anything.
pub fn play_kubelets(c: &mut Cluster, ready: bool) -> bool {
    let mut changed = false;
    let pods = list(c, "pods", None);
    for (i, pod) in pods.iter().enumerate() {
        let ns = pod["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default")
            .to_string();
        let pod_name = name(pod);
        let node = pod
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or("");
        if terminating(pod) {
            let r = delete(
                c,
                "pods",
                Some(&ns),
                &pod_name,
                DeleteOptions {
                    grace_period_seconds: Some(0),
                    propagation_policy: None,
                },
            );
            changed |= r.is_ok();
            continue;
        }
        if node.is_empty() {
            let target = if i % 2 == 0 { "node1" } else { "node2" };
            let r = c.submit(
                admin(Verb::Create, "pods", Some(&ns))
                    .name(pod_name.clone())
                    .subresource("binding")
                    .body(json!({"apiVersion": "v1", "kind": "Binding",
                                 "metadata": {"name": pod_name}, "target": {"kind": "Node", "name": target}})),
            );
            changed |= r.is_ok();
            continue;
        }
        if ready
            && !is_ready(pod)
            && pod.pointer("/status/phase") != Some(&json!("Succeeded"))
            && pod.pointer("/status/phase") != Some(&json!("Failed"))
        {
            let r = c.submit(
                admin(Verb::Patch, "pods", Some(&ns))
                    .name(pod_name)
                    .subresource("status")
                    .patch(PatchType::Merge, json!({"status": {"phase": "Running", "podIP": format!("10.244.{}.{}", if node == "node1" { 1 } else { 2 }, 10 + i),
                        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2025-06-01T00:00:00Z"}]}})),
            );
            changed |= r.is_ok();
        }
    }
    changed
}

/// Settles the cluster with the kubelet stand-in until neither has anything left to do;
/// `check` runs after every round.
pub fn settle_with(c: &mut Cluster, mut check: impl FnMut(&Cluster)) {
    for _ in 0..200 {
        c.run_until_idle(0);
        check(c);
        if !play_kubelets(c, true) {
            c.run_until_idle(0);
            check(c);
            return;
        }
    }
    panic!("the cluster did not settle");
}

pub fn settle(c: &mut Cluster) {
    settle_with(c, |_| {});
}
