
#[test]
fn each_pod_traces_back_through_the_replica_set_to_the_kubectl_request() {
    let mut c = cluster();
    let start = c.trace().len();
    create(&mut c, "deployments", Some("default"), deployment("web", 1, "nginx:1.27"));
    c.run_until_idle(0);
    let events = c.trace().events();
    let pod_commit = events[start..]
        .iter()
        .find(|e| matches!(&e.kind, TraceKind::StoreCommit { key, .. } if key.starts_with("/registry/pods/default/web-")))
        .expect("a pod was stored");
    let chain: Vec<String> = c
        .trace()
        .causal_chain(pod_commit.seq)
        .into_iter()
        .filter_map(|s| c.trace().get(s))
        .filter_map(|e| match &e.kind {
            TraceKind::Request { resource, .. } => Some(format!("{}:request {resource}", e.actor.component)),
            TraceKind::Decision { reason, .. } => Some(format!("{}:{reason}", e.actor.component)),
            TraceKind::WatchDelivery { key, .. } => Some(format!("deliver {}", key.split('/').nth(2).unwrap_or(""))),
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
