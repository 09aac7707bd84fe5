//! `kubectl describe deployment` as kubectl 1.32 prints it: the rolling-update strategy, the pod
//! template's containers (ports, environment, mounts), volumes, node selectors and tolerations,
//! the conditions, and the old and new ReplicaSets after a rollout. (`tests/serve_kubectl.rs`
//! compares the whole text with the real kubectl's; only the events' ages differ there.)
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/lab_shell.rs"]
mod lab_shell;
use lab_shell::{lab, ok};

#[test]
fn describe_deployment_shows_the_template_the_conditions_and_both_replica_sets() {
    let mut sh = lab();
    ok(
        &mut sh,
        "kubectl apply -f - <<EOF\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx\n        ports:\n        - containerPort: 80\n        env:\n        - name: MODE\n          value: blue\nEOF\n",
    );
    ok(&mut sh, "kubectl set image deployment/web nginx=nginx:1.27");
    let text = ok(&mut sh, "kubectl describe deployment web");
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?} in\n{text}"))
            .to_string()
    };
    assert_eq!(
        line("RollingUpdateStrategy:"),
        "RollingUpdateStrategy:  25% max unavailable, 25% max surge"
    );
    // kubectl's tabwriter aligns each run of lines with tabs: `Environment:` alone ends one.
    assert!(
        text.contains(
            "   nginx:\n    Image:      nginx:1.27\n    Port:       80/TCP\n    Host Port:  0/TCP\n    Environment:\n      MODE:        blue\n    Mounts:        <none>\n  Volumes:         <none>\n  Node-Selectors:  <none>\n  Tolerations:     <none>\n"
        ),
        "{text}"
    );
    assert!(text.contains("Conditions:\n  Type           Status  Reason\n  ----           ------  ------\n  Available      True    MinimumReplicasAvailable\n  Progressing    True    NewReplicaSetAvailable\n"), "{text}");
    // After the env change the first ReplicaSet is old and scaled to 0.
    let rs_names = ok(
        &mut sh,
        "kubectl get rs -o name --sort-by=.metadata.creationTimestamp",
    );
    let names: Vec<&str> = rs_names
        .lines()
        .map(|l| l.trim_start_matches("replicaset.apps/"))
        .collect();
    assert_eq!(names.len(), 2, "{rs_names}");
    assert_eq!(
        line("OldReplicaSets:"),
        format!("OldReplicaSets:  {} (0/0 replicas created)", names[0])
    );
    assert_eq!(
        line("NewReplicaSet:"),
        format!("NewReplicaSet:   {} (2/2 replicas created)", names[1])
    );
}

#[test]
fn a_template_volume_and_its_mount_read_as_kubectl_prints_them() {
    let mut sh = lab();
    ok(
        &mut sh,
        "kubectl apply -f - <<EOF\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: envd\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: envd}\n  template:\n    metadata:\n      labels: {app: envd}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx\n        ports:\n        - containerPort: 80\n        env:\n        - name: MODE\n          value: blue\n        volumeMounts:\n        - name: data\n          mountPath: /data\n      volumes:\n      - name: data\n        emptyDir: {}\nEOF\n",
    );
    let text = ok(&mut sh, "kubectl describe deployment envd");
    // The real kubectl 1.32's text for this manifest, from `serve`.
    let expected = "   nginx:
    Image:      nginx
    Port:       80/TCP
    Host Port:  0/TCP
    Environment:
      MODE:  blue
    Mounts:
      /data from data (rw)
  Volumes:
   data:
    Type:          EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:        
    SizeLimit:     <unset>
  Node-Selectors:  <none>
  Tolerations:     <none>
";
    assert!(text.contains(expected), "{text}");
}

#[test]
fn a_kind_describe_cannot_print_yet_says_so_and_an_unknown_one_is_unknown() {
    let mut sh = lab();
    assert_eq!(
        lab_shell::fails(&mut sh, "kubectl describe secret x"),
        "error: \"kubectl describe secrets\" is a real kubectl command that this sandbox does not run yet\n"
    );
    assert_eq!(
        lab_shell::fails(&mut sh, "kubectl describe nope x"),
        "error: the server doesn't have a resource type \"nope\"\n"
    );
}

#[test]
fn describe_serviceaccount_reads_as_kubectl_prints_it() {
    let mut sh = lab();
    // The real kubectl 1.32's text for the lab's `default` service account, from `serve`.
    assert_eq!(
        ok(&mut sh, "kubectl describe sa default"),
        "Name:                default\nNamespace:           default\nLabels:              <none>\nAnnotations:         <none>\nImage pull secrets:  <none>\nMountable secrets:   <none>\nTokens:              <none>\nEvents:              <none>\n"
    );
}
