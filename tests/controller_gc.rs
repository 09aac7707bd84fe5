//! The garbage collector through the cluster: background, foreground and orphan deletion.

mod controller_support;

use controller_support::*;
use kube_sandbox::sim::apiserver::request::{DeleteOptions, PropagationPolicy};
use serde_json::{json, Value};

fn with_policy(policy: Option<PropagationPolicy>) -> DeleteOptions {
    DeleteOptions {
        grace_period_seconds: None,
        propagation_policy: policy,
    }
}

fn web(c: &mut kube_sandbox::sim::cluster::Cluster) {
    create(
        c,
        "deployments",
        Some("default"),
        deployment("web", 2, "nginx:1.27"),
    );
    settle(c);
    assert_eq!(list(c, "replicasets", Some("default")).len(), 1);
    assert_eq!(live_pods(c, "default").len(), 2);
}

#[test]
fn background_deletion_removes_the_owner_first_then_its_dependents() {
    let mut c = cluster();
    web(&mut c);
    delete(
        &mut c,
        "deployments",
        Some("default"),
        "web",
        with_policy(Some(PropagationPolicy::Background)),
    )
    .unwrap();
    assert!(
        get(&c, "deployments", Some("default"), "web").is_none(),
        "the owner goes at once"
    );
    c.run_until_idle(0);
    assert!(list(&c, "replicasets", Some("default")).is_empty());
    assert!(live_pods(&c, "default").is_empty(), "pods are terminating");
    settle(&mut c);
    assert!(list(&c, "pods", Some("default")).is_empty());
}

#[test]
fn foreground_deletion_keeps_the_owner_until_blocking_dependents_are_gone() {
    let mut c = cluster();
    web(&mut c);
    delete(
        &mut c,
        "deployments",
        Some("default"),
        "web",
        with_policy(Some(PropagationPolicy::Foreground)),
    )
    .unwrap();
    c.run_until_idle(0);
    let d =
        get(&c, "deployments", Some("default"), "web").expect("still there while pods terminate");
    assert_eq!(d["metadata"]["finalizers"], json!(["foregroundDeletion"]));
    assert!(d.pointer("/metadata/deletionTimestamp").is_some());
    let rs = &list(&c, "replicasets", Some("default"))[0];
    assert!(
        rs.pointer("/metadata/deletionTimestamp").is_some(),
        "the replica set is being deleted too"
    );
    settle(&mut c);
    assert!(get(&c, "deployments", Some("default"), "web").is_none());
    assert!(list(&c, "replicasets", Some("default")).is_empty());
    assert!(list(&c, "pods", Some("default")).is_empty());
}

#[test]
fn orphan_deletion_leaves_the_dependents_running_without_an_owner() {
    let mut c = cluster();
    web(&mut c);
    delete(
        &mut c,
        "deployments",
        Some("default"),
        "web",
        with_policy(Some(PropagationPolicy::Orphan)),
    )
    .unwrap();
    settle(&mut c);
    assert!(get(&c, "deployments", Some("default"), "web").is_none());
    let rss = list(&c, "replicasets", Some("default"));
    assert_eq!(rss.len(), 1);
    assert!(rss[0]
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_none_or(|a| a.is_empty()));
    assert_eq!(
        live_pods(&c, "default").len(),
        2,
        "the replica set still keeps its pods"
    );
}
