//! The Deployment and ReplicaSet controllers through the cluster, with a stand-in kubelet.

mod controller_support;

use controller_support::*;
use kube_sandbox::sim::apiserver::request::DeleteOptions;
use kube_sandbox::sim::controller::rollback::undo_patch;
use kube_sandbox::sim::trace::TraceKind;
use serde_json::{json, Value};

fn owner_names(v: &Value) -> Vec<(String, bool, bool)> {
    v.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .map(|r| {
                    (
                        format!(
                            "{}/{}",
                            r["kind"].as_str().unwrap_or(""),
                            r["name"].as_str().unwrap_or("")
                        ),
                        r["controller"] == json!(true),
                        r["blockOwnerDeletion"] == json!(true),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_deployment_of_three_creates_one_replica_set_and_three_labelled_owned_pods() {
    let mut c = cluster();
    create(
        &mut c,
        "deployments",
        Some("default"),
        deployment("web", 3, "nginx:1.27"),
    );
    c.run_until_idle(0);
    let rss = list(&c, "replicasets", Some("default"));
    assert_eq!(rss.len(), 1);
    let rs = &rss[0];
    let rs_name = name(rs);
    let hash = rs["metadata"]["labels"]["pod-template-hash"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(rs_name, format!("web-{hash}"));
    assert_eq!(
        owner_names(rs),
        vec![("Deployment/web".to_string(), true, true)]
    );
    assert_eq!(
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        json!("1")
    );
    let pods = list(&c, "pods", Some("default"));
    assert_eq!(pods.len(), 3);
    for p in &pods {
        assert_eq!(p["metadata"]["labels"]["pod-template-hash"], json!(hash));
        assert_eq!(
            owner_names(p),
            vec![(format!("ReplicaSet/{rs_name}"), true, true)]
        );
        let n = name(p);
        assert!(
            n.starts_with(&format!("{rs_name}-")) && n.len() == rs_name.len() + 6,
            "{n}"
        );
    }
    // Events name what happened, in upstream's words.
    let events = list(&c, "events", Some("default"));
    let messages: Vec<String> = events
        .iter()
        .map(|e| e["message"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        messages.contains(&format!("Scaled up replica set {rs_name} from 0 to 3")),
        "{messages:?}"
    );
    assert_eq!(
        messages
            .iter()
            .filter(|m| m.starts_with("Created pod: "))
            .count(),
        3
    );
    // The trace shows slow-start batches 1 then 2.
    let batches = c
        .trace()
        .events()
        .iter()
        .filter(|e| matches!(&e.kind, TraceKind::Decision { reason, message } if reason == "SuccessfulCreate" && message.contains("slow-start batch")))
        .count();
    assert_eq!(batches, 2);

    settle(&mut c);
    let d = get(&c, "deployments", Some("default"), "web").unwrap();
    assert_eq!(d["status"]["readyReplicas"], json!(3));
    assert_eq!(d["status"]["availableReplicas"], json!(3));
    assert_eq!(d["status"]["updatedReplicas"], json!(3));
    assert_eq!(d["status"]["observedGeneration"], json!(1));
    let reasons: Vec<&str> = d["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        ["MinimumReplicasAvailable", "NewReplicaSetAvailable"]
    );
}

#[test]
fn a_deleted_pod_is_replaced_but_not_while_the_controller_manager_is_stopped() {
    let mut c = cluster();
    create(
        &mut c,
        "deployments",
        Some("default"),
        deployment("web", 3, "nginx:1.27"),
    );
    c.run_until_idle(0);
    let victim = name(&list(&c, "pods", Some("default"))[0]);
    delete(
        &mut c,
        "pods",
        Some("default"),
        &victim,
        DeleteOptions::default(),
    )
    .unwrap();
    c.run_until_idle(0);
    let pods = live_pods(&c, "default");
    assert_eq!(pods.len(), 3);
    assert!(pods.iter().all(|p| name(p) != victim));

    assert!(c.stop_component("kube-controller-manager"));
    let victim = name(&pods[0]);
    delete(
        &mut c,
        "pods",
        Some("default"),
        &victim,
        DeleteOptions::default(),
    )
    .unwrap();
    c.run_until_idle(0);
    assert_eq!(live_pods(&c, "default").len(), 2, "nobody replaces it");
    assert!(c.start_component("kube-controller-manager"));
    c.run_until_idle(0);
    assert_eq!(live_pods(&c, "default").len(), 3);
}

fn image_of(v: &Value) -> String {
    v.pointer("/spec/template/spec/containers/0/image")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

#[test]
fn a_rolling_update_keeps_enough_pods_ready_and_ends_with_the_old_replica_set_at_zero() {
    let mut c = cluster();
    create(
        &mut c,
        "deployments",
        Some("default"),
        deployment("web", 4, "nginx:1.26"),
    );
    settle(&mut c);
    let old_rs = name(&list(&c, "replicasets", Some("default"))[0]);
    patch(&mut c, "deployments", Some("default"), "web",
          json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}})).unwrap();
    // 4 replicas, 25%/25%: at most 5 pods, at least 3 ready.
    let mut min_ready = usize::MAX;
    let mut max_pods = 0;
    settle_with(&mut c, |c| {
        let pods = live_pods(c, "default");
        min_ready = min_ready.min(pods.iter().filter(|p| is_ready(p)).count());
        max_pods = max_pods.max(pods.len());
    });
    assert!(min_ready >= 3, "ready dropped to {min_ready}");
    assert!(max_pods <= 5, "surged to {max_pods}");
    let rss = list(&c, "replicasets", Some("default"));
    assert_eq!(rss.len(), 2);
    for rs in &rss {
        if name(rs) == old_rs {
            assert_eq!(rs["spec"]["replicas"], json!(0));
            assert_eq!(
                rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
                json!("1")
            );
        } else {
            assert_eq!(rs["spec"]["replicas"], json!(4));
            assert_eq!(image_of(rs), "nginx:1.27");
            assert_eq!(
                rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
                json!("2")
            );
        }
    }
    let pods = live_pods(&c, "default");
    assert_eq!(pods.len(), 4);
    let d = get(&c, "deployments", Some("default"), "web").unwrap();
    assert_eq!(d["status"]["updatedReplicas"], json!(4));
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        json!("2")
    );

    // Rollout undo: the client copies revision 1's template back; the old RS returns as rev 3.
    let undo = undo_patch(&d, &rss, 0).unwrap();
    patch(&mut c, "deployments", Some("default"), "web", undo).unwrap();
    settle(&mut c);
    let rss = list(&c, "replicasets", Some("default"));
    assert_eq!(rss.len(), 2, "no new replica set: the old one is reused");
    let back = rss.iter().find(|r| name(r) == old_rs).unwrap();
    assert_eq!(back["spec"]["replicas"], json!(4));
    assert_eq!(
        back["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        json!("3")
    );
    assert!(live_pods(&c, "default")
        .iter()
        .all(|p| p["spec"]["containers"][0]["image"] == json!("nginx:1.26")));
}

#[test]
fn scaling_to_zero_and_back_keeps_one_replica_set() {
    let mut c = cluster();
    create(
        &mut c,
        "deployments",
        Some("default"),
        deployment("web", 3, "nginx:1.27"),
    );
    settle(&mut c);
    patch(
        &mut c,
        "deployments",
        Some("default"),
        "web",
        json!({"spec": {"replicas": 0}}),
    )
    .unwrap();
    settle(&mut c);
    assert_eq!(live_pods(&c, "default").len(), 0);
    let events: Vec<String> = list(&c, "events", Some("default"))
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        events
            .iter()
            .any(|m| m.starts_with("Scaled down replica set web-") && m.ends_with("from 3 to 0")),
        "{events:?}"
    );
    patch(
        &mut c,
        "deployments",
        Some("default"),
        "web",
        json!({"spec": {"replicas": 2}}),
    )
    .unwrap();
    settle(&mut c);
    assert_eq!(live_pods(&c, "default").len(), 2);
    assert_eq!(list(&c, "replicasets", Some("default")).len(), 1);
    let d = get(&c, "deployments", Some("default"), "web").unwrap();
    assert_eq!(d["status"]["availableReplicas"], json!(2));
}

#[test]
fn a_paused_deployment_does_not_roll_until_resumed() {
    let mut c = cluster();
    create(
        &mut c,
        "deployments",
        Some("default"),
        deployment("web", 2, "nginx:1.26"),
    );
    settle(&mut c);
    patch(
        &mut c,
        "deployments",
        Some("default"),
        "web",
        json!({"spec": {"paused": true}}),
    )
    .unwrap();
    patch(&mut c, "deployments", Some("default"), "web",
          json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}})).unwrap();
    settle(&mut c);
    assert_eq!(list(&c, "replicasets", Some("default")).len(), 1);
    let d = get(&c, "deployments", Some("default"), "web").unwrap();
    let progressing = d["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == json!("Progressing"))
        .unwrap()
        .clone();
    assert_eq!(progressing["reason"], json!("DeploymentPaused"));
    patch(
        &mut c,
        "deployments",
        Some("default"),
        "web",
        json!({"spec": {"paused": false}}),
    )
    .unwrap();
    settle(&mut c);
    assert_eq!(list(&c, "replicasets", Some("default")).len(), 2);
    assert!(live_pods(&c, "default")
        .iter()
        .all(|p| p["spec"]["containers"][0]["image"] == json!("nginx:1.27")));
}

#[test]
fn recreate_removes_every_old_pod_before_the_first_new_one() {
    let mut c = cluster();
    let mut d = deployment("web", 3, "nginx:1.26");
    d["spec"]["strategy"] = json!({"type": "Recreate"});
    create(&mut c, "deployments", Some("default"), d);
    settle(&mut c);
    patch(&mut c, "deployments", Some("default"), "web",
          json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}})).unwrap();
    settle_with(&mut c, |c| {
        let pods = list(c, "pods", Some("default"));
        let old = pods
            .iter()
            .any(|p| p["spec"]["containers"][0]["image"] == json!("nginx:1.26"));
        let new = pods
            .iter()
            .any(|p| p["spec"]["containers"][0]["image"] == json!("nginx:1.27"));
        assert!(!(old && new), "old and new pods at once");
    });
    assert_eq!(live_pods(&c, "default").len(), 3);
}

#[test]
fn a_replication_controller_keeps_its_count_with_the_same_code() {
    let mut c = cluster();
    create(
        &mut c,
        "replicationcontrollers",
        Some("default"),
        json!({
        "apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "legacy"},
        "spec": {"replicas": 2, "selector": {"app": "legacy"},
                 "template": {"metadata": {"labels": {"app": "legacy"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}),
    );
    c.run_until_idle(0);
    let pods = live_pods(&c, "default");
    assert_eq!(pods.len(), 2);
    assert!(pods.iter().all(|p| name(p).starts_with("legacy-")));
}

#[test]
fn an_orphan_pod_matching_the_selector_is_adopted_instead_of_creating_one_more() {
    let mut c = cluster();
    create(
        &mut c,
        "pods",
        Some("default"),
        json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "stray", "labels": {"app": "rs1"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
    );
    create(
        &mut c,
        "replicasets",
        Some("default"),
        json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs1"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "rs1"}},
                 "template": {"metadata": {"labels": {"app": "rs1"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}),
    );
    c.run_until_idle(0);
    let pods = live_pods(&c, "default");
    assert_eq!(pods.len(), 2);
    let stray = get(&c, "pods", Some("default"), "stray").unwrap();
    assert_eq!(
        owner_names(&stray),
        vec![("ReplicaSet/rs1".to_string(), true, true)]
    );
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    let run = || {
        let mut c = cluster();
        create(
            &mut c,
            "deployments",
            Some("default"),
            deployment("web", 3, "nginx:1.27"),
        );
        settle(&mut c);
        c.trace().events().to_vec()
    };
    assert_eq!(run(), run());
}

#[test]
fn scaling_in_the_middle_of_a_rollout_grows_both_replica_sets_in_proportion() {
    let mut c = cluster();
    create(
        &mut c,
        "deployments",
        Some("default"),
        deployment("web", 10, "nginx:1.26"),
    );
    settle(&mut c);
    let old_rs = name(&list(&c, "replicasets", Some("default"))[0]);
    patch(&mut c, "deployments", Some("default"), "web",
          json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}})).unwrap();
    // No kubelet: the new pods never become ready, so the rollout stalls at its fenceposts.
    c.run_until_idle(0);
    let sizes = |c: &kube_sandbox::sim::cluster::Cluster| {
        let rss = list(c, "replicasets", Some("default"));
        let old = rss.iter().find(|r| name(r) == old_rs).unwrap()["spec"]["replicas"]
            .as_i64()
            .unwrap();
        let new = rss.iter().find(|r| name(r) != old_rs).unwrap()["spec"]["replicas"]
            .as_i64()
            .unwrap();
        (old, new)
    };
    // 10 replicas, maxSurge 3, maxUnavailable 2: old 8, new 5 (13 pods, 8 available).
    assert_eq!(sizes(&c), (8, 5));
    patch(
        &mut c,
        "deployments",
        Some("default"),
        "web",
        json!({"spec": {"replicas": 20}}),
    )
    .unwrap();
    c.run_until_idle(0);
    // 20 + maxSurge 5 = 25 allowed, 12 to add: 8 × 25/13 → 15, 5 × 25/13 → 10.
    assert_eq!(sizes(&c), (15, 10));
}

#[test]
fn old_replica_sets_beyond_the_revision_history_limit_are_deleted() {
    let mut c = cluster();
    let mut d = deployment("web", 1, "nginx:1.0");
    d["spec"]["revisionHistoryLimit"] = json!(1);
    create(&mut c, "deployments", Some("default"), d);
    settle(&mut c);
    for version in ["1.1", "1.2", "1.3"] {
        patch(&mut c, "deployments", Some("default"), "web",
              json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": format!("nginx:{version}")}]}}}})).unwrap();
        settle(&mut c);
    }
    let mut revisions: Vec<String> = list(&c, "replicasets", Some("default"))
        .iter()
        .map(|r| {
            r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    revisions.sort();
    assert_eq!(revisions, ["3", "4"], "the current one and one old one");
}

#[test]
fn a_hundred_replicas_roll_within_the_step_budget() {
    // Also the figure for the report: trace events and steps for a 100-pod rollout.
    let mut c = cluster();
    let start = c.trace().len();
    create(
        &mut c,
        "deployments",
        Some("default"),
        deployment("big", 100, "nginx:1.26"),
    );
    settle(&mut c);
    let created = c.trace().len() - start;
    patch(&mut c, "deployments", Some("default"), "big",
          json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}})).unwrap();
    let mut rounds = 0;
    settle_with(&mut c, |_| rounds += 1);
    let pods = live_pods(&c, "default");
    assert_eq!(pods.len(), 100);
    assert!(pods
        .iter()
        .all(|p| p["spec"]["containers"][0]["image"] == json!("nginx:1.27")));
    println!("100 replicas: {created} trace events to create; rollout settled in {rounds} kubelet rounds, trace now {}", c.trace().len());
}

#[test]
fn each_pod_traces_back_through_the_replica_set_to_the_kubectl_request() {
    let mut c = cluster();
    let start = c.trace().len();
    create(
        &mut c,
        "deployments",
        Some("default"),
        deployment("web", 1, "nginx:1.27"),
    );
    c.run_until_idle(0);
    let events = c.trace().events();
    let pod_commit = events
        .tail(start)
        .iter()
        .find(|e| matches!(&e.kind, TraceKind::StoreCommit { key, .. } if key.starts_with("/registry/pods/default/web-")))
        .expect("a pod was stored");
    let chain: Vec<String> = c
        .trace()
        .causal_chain(pod_commit.seq)
        .into_iter()
        .filter_map(|s| c.trace().get(s))
        .filter_map(|e| match &e.kind {
            TraceKind::Request { resource, .. } => {
                Some(format!("{}:request {resource}", e.actor.component))
            }
            TraceKind::Decision { reason, .. } => Some(format!("{}:{reason}", e.actor.component)),
            TraceKind::WatchDelivery { key, .. } => {
                Some(format!("deliver {}", key.split('/').nth(2).unwrap_or("")))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        chain,
        [
            "kubectl:request deployments",
            "deliver deployments",
            "kube-controller-manager:ScalingReplicaSet",
            "kube-controller-manager:request replicasets",
            "deliver replicasets",
            "kube-controller-manager:SuccessfulCreate",
            "kube-controller-manager:request pods",
        ]
    );
}
