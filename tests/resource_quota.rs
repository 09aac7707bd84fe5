//! ResourceQuotas from the terminal of the booted lab: admission refuses what would go past a
//! quota with upstream's words, the ReplicaSet says so in its events and conditions, and the
//! resource-quota controller keeps `status.used` true as pods come and go.
#![cfg(not(target_arch = "wasm32"))]

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

#[path = "support/lab_shell.rs"]
mod lab_shell;
use lab_shell::{fails, lab, ok};

/// Writes `text` to `file` on the lab's disk through a heredoc, as a student would.
fn write(sh: &mut Shell<Lab>, file: &str, text: &str) {
    sh.run_line(&format!("cat > {file} <<EOF"));
    for line in text.lines() {
        sh.run_line(line);
    }
    ok(sh, "EOF");
}

/// The columns of one row of `kubectl get` output (split on runs of two or more spaces).
fn row(table: &str, name: &str) -> Vec<String> {
    let line = table
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no row {name} in\n{table}"));
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

fn running_pods(sh: &mut Shell<Lab>, selector: &str) -> usize {
    ok(sh, &format!("kubectl get pods -l {selector} --no-headers"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count()
}

#[test]
fn a_pod_quota_stops_the_third_replica_and_the_replica_set_says_why() {
    let mut sh = lab();
    assert_eq!(
        ok(&mut sh, "kubectl create quota q --hard=pods=2"),
        "resourcequota/q created\n"
    );
    let table = ok(&mut sh, "kubectl get quota");
    assert!(
        table.starts_with("NAME   AGE   REQUEST     LIMIT\n"),
        "{table}"
    );
    assert_eq!(row(&table, "q")[2], "pods: 0/2");

    ok(
        &mut sh,
        "kubectl create deployment web --image=nginx --replicas=3",
    );
    assert_eq!(running_pods(&mut sh, "app=web"), 2);
    assert_eq!(
        row(&ok(&mut sh, "kubectl get quota q"), "q")[2],
        "pods: 2/2"
    );

    let rs = ok(&mut sh, "kubectl get rs -l app=web -o name");
    let rs = rs.trim().trim_start_matches("replicaset.apps/").to_string();
    let described = ok(&mut sh, &format!("kubectl describe rs {rs}"));
    let failed = described
        .lines()
        .find(|l| l.contains("FailedCreate") && l.contains("Warning"))
        .unwrap_or_else(|| panic!("no FailedCreate event in\n{described}"));
    let prefix = format!("Error creating: pods \"{rs}-");
    let message = &failed[failed.find("Error creating").expect("the message")..];
    assert!(message.starts_with(&prefix), "{message}");
    assert!(
        message.ends_with(
            "\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2"
        ),
        "{message}"
    );
    assert!(described.contains("2 current / 3 desired\n"), "{described}");
    assert!(
        described.contains("Conditions:\n  Type             Status  Reason\n  ----             ------  ------\n  ReplicaFailure   True    FailedCreate\n"),
        "{described}"
    );
    let described = ok(&mut sh, "kubectl describe quota q");
    assert_eq!(
        described,
        "Name:       q\nNamespace:  default\nResource    Used  Hard\n--------    ----  ----\npods        2     2\n"
    );
    assert!(ok(&mut sh, "kubectl describe ns default").contains(
        "Resource Quotas\n  Name:     q\n  Resource  Used  Hard\n  --------  ---   ---\n  pods      2     2\n"
    ));

    // Scaling down frees a pod in the quota and the ReplicaSet stops failing.
    ok(&mut sh, "kubectl scale deployment web --replicas=1");
    assert_eq!(running_pods(&mut sh, "app=web"), 1);
    assert_eq!(
        row(&ok(&mut sh, "kubectl get quota q"), "q")[2],
        "pods: 1/2"
    );
    let described = ok(&mut sh, &format!("kubectl describe rs {rs}"));
    assert!(!described.contains("ReplicaFailure"), "{described}");

    // A pod deleted by hand is replaced; the count stays honest throughout.
    let pod = ok(&mut sh, "kubectl get pods -l app=web -o name");
    ok(&mut sh, &format!("kubectl delete {}", pod.trim()));
    ok(&mut sh, "sleep 60");
    assert_eq!(
        row(&ok(&mut sh, "kubectl get quota q"), "q")[2],
        "pods: 1/2"
    );

    // Back to three: two fit, the third is refused again.
    ok(&mut sh, "kubectl scale deployment web --replicas=3");
    assert_eq!(running_pods(&mut sh, "app=web"), 2);
    let err = fails(&mut sh, "kubectl run extra --image=nginx");
    assert_eq!(
        err,
        "Error from server (Forbidden): pods \"extra\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2\n"
    );
}

#[test]
fn a_cpu_quota_wants_every_container_to_request_cpu() {
    let mut sh = lab();
    ok(&mut sh, "kubectl create namespace team");
    ok(
        &mut sh,
        "kubectl create quota compute -n team --hard=requests.cpu=1,limits.memory=1Gi",
    );
    assert_eq!(
        fails(&mut sh, "kubectl run bare -n team --image=nginx"),
        "Error from server (Forbidden): pods \"bare\" is forbidden: failed quota: compute: must specify limits.memory for: bare; requests.cpu for: bare\n"
    );
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: sized\n  namespace: team\nspec:\n  containers:\n  - name: app\n    image: nginx\n    resources:\n      requests:\n        cpu: 600m\n      limits:\n        memory: 256Mi\n";
    write(&mut sh, "sized.yaml", yaml);
    ok(&mut sh, "kubectl apply -f sized.yaml");
    let table = ok(&mut sh, "kubectl get quota -n team");
    assert_eq!(
        row(&table, "compute")[2..],
        ["requests.cpu: 600m/1", "limits.memory: 256Mi/1Gi"]
    );
    // A second pod of the same size would take requests.cpu to 1200m.
    write(&mut sh, "twin.yaml", &yaml.replace("sized", "twin"));
    assert_eq!(
        fails(&mut sh, "kubectl apply -f twin.yaml"),
        "Error from server (Forbidden): error when creating \"twin.yaml\": pods \"twin\" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1\n"
    );
    // Values must be quantities, and counts whole and not negative.
    assert_eq!(
        fails(&mut sh, "kubectl create quota bad -n team --hard=pods=-1"),
        "error: failed to create quota: ResourceQuota \"bad\" is invalid: spec.hard[pods]: Invalid value: \"-1\": must be greater than or equal to 0\n"
    );
    assert!(
        fails(&mut sh, "kubectl create quota bad -n team --hard=pods=1.5")
            .contains("spec.hard[pods]: Invalid value: \"1500m\": must be an integer")
    );
}

#[test]
fn a_job_whose_pod_is_refused_counts_no_active_pod_and_says_why() {
    let mut sh = lab();
    ok(&mut sh, "kubectl create quota none --hard=pods=0");
    ok(&mut sh, "kubectl create job once --image=busybox");
    assert_eq!(
        ok(&mut sh, "kubectl get job once -o jsonpath={.status.active}"),
        "0"
    );
    let events = ok(
        &mut sh,
        "kubectl get events --field-selector reason=FailedCreate",
    );
    let line = events
        .lines()
        .find(|l| l.contains("job/once"))
        .unwrap_or_else(|| panic!("no FailedCreate for the job in\n{events}"));
    assert!(line.contains("Warning   FailedCreate"), "{line}");
    assert!(
        line.ends_with(
            "is forbidden: exceeded quota: none, requested: pods=1, used: pods=0, limited: pods=0"
        ),
        "{line}"
    );
    // Once the quota is gone the job's pod is created on the next retry.
    ok(&mut sh, "kubectl delete quota none");
    ok(&mut sh, "sleep 90");
    assert_eq!(
        ok(&mut sh, "kubectl get pods -l job-name=once --no-headers")
            .lines()
            .count(),
        1
    );
}
