//! `kubectl apply --server-side` on the booted lab: an apply creates and owns its fields, another
//! manager's write takes the fields it changes, a second apply conflicts on them with
//! kube-apiserver's message and kubectl's advice, and `--force-conflicts` takes them back.
#![cfg(all(not(target_arch = "wasm32"), feature = "server-side-apply"))]

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

#[path = "support/lab_shell.rs"]
mod lab_shell;
use lab_shell::{fails, lab, ok};

/// The deployment `web` in namespace `ssa` with `replicas`, applied server-side with `flags`.
fn apply(sh: &mut Shell<Lab>, replicas: u32, flags: &str) -> kube_sandbox::sim::kubectl::Output {
    sh.run_line(&format!(
        "kubectl apply --server-side {flags} -n ssa -f - <<EOF\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    tier: front\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: nginx\n        image: nginx\nEOF\n"
    ))
}

const REPLICAS: &str = "kubectl get deploy web -n ssa -o jsonpath={.spec.replicas}";

#[test]
fn an_apply_creates_and_owns_the_fields_it_sets() {
    let mut sh = lab();
    ok(&mut sh, "kubectl create namespace ssa");
    let out = apply(&mut sh, 2, "");
    assert_eq!(out.stderr, "");
    assert_eq!(out.stdout, "deployment.apps/web serverside-applied\n");
    assert_eq!(
        ok(
            &mut sh,
            "kubectl get deploy web -n ssa -o jsonpath={.metadata.managedFields[0].manager}"
        ),
        "kubectl"
    );
    // -o yaml leaves managedFields out, as kubectl does, unless asked.
    assert!(!ok(&mut sh, "kubectl get deploy web -n ssa -o yaml").contains("managedFields"));
    let shown = ok(
        &mut sh,
        "kubectl get deploy web -n ssa -o yaml --show-managed-fields",
    );
    assert!(
        shown.contains("    manager: kubectl\n    operation: Apply\n"),
        "{shown}"
    );
    assert!(shown.contains("f:replicas: {}"), "{shown}");
    // The controllers' writes are recorded too: the revision annotation and the status.
    assert!(
        shown.contains("manager: kube-controller-manager"),
        "{shown}"
    );
    assert!(shown.contains("subresource: status"), "{shown}");
    // The deployment works as any other: its pods run.
    assert_eq!(
        ok(
            &mut sh,
            "kubectl get deploy web -n ssa -o jsonpath={.status.readyReplicas}"
        ),
        "2"
    );
    // The same apply again changes nothing and still says so.
    assert_eq!(
        apply(&mut sh, 2, "").stdout,
        "deployment.apps/web serverside-applied\n"
    );
    // A server dry run says it and stores nothing.
    assert_eq!(
        apply(&mut sh, 5, "--dry-run=server").stdout,
        "deployment.apps/web serverside-applied (server dry run)\n"
    );
    assert_eq!(ok(&mut sh, REPLICAS), "2");
}

#[test]
fn a_scale_takes_replicas_and_the_next_apply_conflicts_until_forced() {
    let mut sh = lab();
    ok(&mut sh, "kubectl create namespace ssa");
    apply(&mut sh, 2, "");
    ok(&mut sh, "kubectl scale deploy web -n ssa --replicas=4");
    let out = apply(&mut sh, 2, "");
    assert_eq!(out.exit_code, 1);
    assert!(
        out.stderr.starts_with(
            "error: Apply failed with 1 conflict: conflict with \"kubectl\" using apps/v1: .spec.replicas\nPlease review the fields above--they currently have other managers."
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.ends_with("#conflicts\n"));
    assert_eq!(ok(&mut sh, REPLICAS), "4");
    // The same value is no conflict: the field is shared.
    assert_eq!(apply(&mut sh, 4, "").exit_code, 0);
    // Forced, the applier takes it.
    let forced = apply(&mut sh, 2, "--force-conflicts");
    assert_eq!(forced.stdout, "deployment.apps/web serverside-applied\n");
    assert_eq!(ok(&mut sh, REPLICAS), "2");
}

#[test]
fn a_set_image_conflicts_by_the_containers_name_and_a_dropped_label_goes() {
    let mut sh = lab();
    ok(&mut sh, "kubectl create namespace ssa");
    apply(&mut sh, 1, "");
    ok(
        &mut sh,
        "kubectl set image deploy/web -n ssa nginx=nginx:1.27",
    );
    let err = apply(&mut sh, 1, "").stderr;
    assert!(
        err.starts_with("error: Apply failed with 1 conflict: conflict with \"kubectl-set\" using apps/v1: .spec.template.spec.containers[name=\"nginx\"].image\n"),
        "{err}"
    );
    // An apply without the label it applied before removes it: no one else owns it.
    let out = sh.run_line(
        "kubectl apply --server-side --force-conflicts -n ssa -f - <<EOF\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: nginx\n        image: nginx\nEOF\n",
    );
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    assert_eq!(
        ok(
            &mut sh,
            "kubectl get deploy web -n ssa -o jsonpath={.metadata.labels}"
        ),
        ""
    );
}

#[test]
fn kubectls_own_refusals() {
    let mut sh = lab();
    assert_eq!(
        fails(&mut sh, "kubectl apply --force-conflicts -f web.yaml"),
        "error: --force-conflicts only works with --server-side\n"
    );
    assert_eq!(
        fails(&mut sh, "kubectl apply --server-side --dry-run=client -f web.yaml"),
        "error: --dry-run=client doesn't work with --server-side (did you mean --dry-run=server instead?)\n"
    );
}
