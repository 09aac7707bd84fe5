//! A fresh sandbox is a fresh kubeadm cluster: what `kubectl get pods -A -o wide` lists, where the
//! add-ons run and why, and that the boot is deterministic, stageable and fast.

use std::collections::BTreeMap;
use std::time::Instant;

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::{Lab, BOOT_SETTLE_TICKS};
use kube_sandbox::sim::trace::TraceKind;

/// One row of `kubectl get pods -A -o wide`.
#[derive(Debug)]
struct Row {
    namespace: String,
    name: String,
    ready: String,
    status: String,
    ip: String,
    node: String,
}

fn pods_wide(shell: &mut Shell<kube_sandbox::sim::cluster::Cluster>) -> Vec<Row> {
    let out = shell.run_line("kubectl get pods -A -o wide --no-headers");
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    out.stdout
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            assert!(f.len() >= 8, "short row: {line}");
            Row {
                namespace: f[0].into(),
                name: f[1].into(),
                ready: f[2].into(),
                status: f[3].into(),
                ip: f[6].into(),
                node: f[7].into(),
            }
        })
        .collect()
}

const NODE_IPS: [(&str, &str); 3] = [
    ("master", "172.16.20.11"),
    ("node1", "172.16.20.12"),
    ("node2", "172.16.20.13"),
];

fn pod_cidr_prefix(node: &str) -> &'static str {
    match node {
        "master" => "10.244.0.",
        "node1" => "10.244.1.",
        "node2" => "10.244.2.",
        other => panic!("unknown node {other}"),
    }
}

/// A generated suffix as upstream makes it: 5 characters from the safe alphabet.
fn is_suffix(s: &str, len: usize) -> bool {
    s.len() == len && s.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c))
}

#[test]
fn a_fresh_lab_lists_the_twelve_pods_of_a_kubeadm_cluster_all_running() {
    let mut shell = Shell::new(Lab::boot(1).cluster);
    let rows = pods_wide(&mut shell);
    assert_eq!(rows.len(), 12, "{rows:#?}");
    for row in &rows {
        assert_eq!(
            (row.ready.as_str(), row.status.as_str()),
            ("1/1", "Running"),
            "{row:?}"
        );
    }
    let static_pods: Vec<&str> = rows
        .iter()
        .filter(|r| r.name.ends_with("-master"))
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        static_pods,
        [
            "etcd-master",
            "kube-apiserver-master",
            "kube-controller-manager-master",
            "kube-scheduler-master"
        ]
    );
    // Pod names as upstream generates them.
    let mut per_prefix: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for row in &rows {
        if let Some(rest) = row.name.strip_prefix("coredns-") {
            let (hash, suffix) = rest.split_once('-').expect("coredns-<hash>-<suffix>");
            // The pod-template-hash: a 32-bit hash, safe-encoded (6 to 10 characters).
            assert!(
                (6..=10).contains(&hash.len()) && is_suffix(hash, hash.len()),
                "{}",
                row.name
            );
            assert!(is_suffix(suffix, 5), "{}", row.name);
            assert_eq!(row.namespace, "kube-system");
            per_prefix.entry("coredns").or_default().push(row);
        } else if let Some(suffix) = row.name.strip_prefix("kube-proxy-") {
            assert!(is_suffix(suffix, 5), "{}", row.name);
            assert_eq!(row.namespace, "kube-system");
            per_prefix.entry("kube-proxy").or_default().push(row);
        } else if let Some(suffix) = row.name.strip_prefix("kube-flannel-ds-") {
            assert!(is_suffix(suffix, 5), "{}", row.name);
            assert_eq!(row.namespace, "kube-flannel");
            per_prefix.entry("kube-flannel-ds").or_default().push(row);
        }
    }
    assert_eq!(per_prefix["coredns"].len(), 2);
    // DaemonSets: one pod on every node, on the node's own address (hostNetwork).
    for ds in ["kube-proxy", "kube-flannel-ds"] {
        let mut nodes: Vec<(&str, &str)> = per_prefix[ds]
            .iter()
            .map(|r| (r.node.as_str(), r.ip.as_str()))
            .collect();
        nodes.sort();
        assert_eq!(nodes, NODE_IPS, "{ds}");
    }
    // Static pods are hostNetwork too.
    for row in rows.iter().filter(|r| r.name.ends_with("-master")) {
        assert_eq!(
            (row.node.as_str(), row.ip.as_str()),
            ("master", "172.16.20.11")
        );
    }
    // CoreDNS runs in the pod network: an address from its node's podCIDR.
    for row in &per_prefix["coredns"] {
        assert!(
            row.ip.starts_with(pod_cidr_prefix(&row.node)),
            "{row:?} not in its node's podCIDR"
        );
    }
}

#[test]
fn coredns_lands_where_the_scheduler_decided_and_it_spread_the_two_replicas() {
    let lab = Lab::boot(1);
    let trace = lab.cluster.trace();
    let bound: Vec<String> = trace
        .events()
        .iter()
        .filter(|e| e.actor.component == "kube-scheduler")
        .filter_map(|e| match &e.kind {
            TraceKind::Decision { reason, message }
                if reason == "Scheduled" && message.contains("kube-system/coredns-") =>
            {
                message.rsplit(' ').next().map(str::to_string)
            }
            _ => None,
        })
        .collect();
    assert_eq!(bound.len(), 2, "two Scheduled decisions for coredns");
    // The preferred anti-affinity (and the roomier workers) spread them over two nodes.
    assert_ne!(bound[0], bound[1], "{bound:?}");
    let mut shell = Shell::new(lab.cluster);
    let mut placed: Vec<String> = pods_wide(&mut shell)
        .into_iter()
        .filter(|r| r.name.starts_with("coredns-"))
        .map(|r| r.node)
        .collect();
    placed.sort();
    let mut decided = bound.clone();
    decided.sort();
    assert_eq!(
        placed, decided,
        "the pods run where the scheduler bound them"
    );
}

#[test]
fn the_add_on_objects_read_back_as_kubeadm_and_kube_flannel_yml_write_them() {
    let mut shell = Shell::new(Lab::boot(1).cluster);
    let svc = shell.run_line("kubectl get svc kube-dns -n kube-system --no-headers");
    let f: Vec<&str> = svc.stdout.split_whitespace().collect();
    assert_eq!(
        f.get(..5),
        Some(
            &[
                "kube-dns",
                "ClusterIP",
                "10.96.0.10",
                "<none>",
                "53/UDP,53/TCP,9153/TCP"
            ][..]
        ),
        "{}",
        svc.stdout
    );
    let pc = shell.run_line("kubectl get priorityclasses --no-headers");
    let classes: Vec<(String, String)> = pc
        .stdout
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f.get(1).unwrap_or(&"").to_string())
        })
        .collect();
    assert!(
        classes.contains(&("system-cluster-critical".into(), "2000000000".into())),
        "{}",
        pc.stdout
    );
    assert!(
        classes.contains(&("system-node-critical".into(), "2000001000".into())),
        "{}",
        pc.stdout
    );
    let corefile = shell.run_line("kubectl get configmap coredns -n kube-system -o yaml");
    assert!(
        corefile
            .stdout
            .contains("kubernetes cluster.local in-addr.arpa ip6.arpa"),
        "{}",
        corefile.stdout
    );
    let ds = shell.run_line("kubectl get ds -A --no-headers");
    let names: Vec<String> = ds
        .stdout
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{}/{} {}/{}", f[0], f[1], f[2], f[4])
        })
        .collect();
    assert_eq!(
        names,
        [
            "kube-flannel/kube-flannel-ds 3/3",
            "kube-system/kube-proxy 3/3"
        ],
        "{}",
        ds.stdout
    );
    let dns_pods = shell.run_line("kubectl get pods -n kube-system -l k8s-app=kube-dns -o yaml");
    assert!(
        dns_pods
            .stdout
            .contains("priorityClassName: system-cluster-critical"),
        "{}",
        dns_pods.stdout
    );
    // The Priority admission plugin turned the class name into its value.
    assert!(
        dns_pods.stdout.contains("priority: 2000000000"),
        "{}",
        dns_pods.stdout
    );
    let proxy = shell.run_line("kubectl get pods -n kube-system -l k8s-app=kube-proxy -o yaml");
    assert!(
        proxy.stdout.contains("priority: 2000001000"),
        "{}",
        proxy.stdout
    );
}

#[test]
fn the_same_seed_boots_the_same_trace_and_the_same_pod_names() {
    let a = Lab::boot(7);
    let b = Lab::boot(7);
    assert_eq!(a.cluster.trace(), b.cluster.trace());
    let names = |lab: Lab| {
        let mut shell = Shell::new(lab.cluster);
        shell.run_line("kubectl get pods -A -o wide").stdout
    };
    assert_eq!(names(a), names(b));
}

#[test]
fn a_staged_boot_has_written_the_add_ons_but_no_pod_until_it_is_stepped() {
    let mut staged = Lab::boot_staged(3);
    let pods_now = staged
        .cluster
        .store()
        .range(&kube_sandbox::sim::etcd::RangeRequest::prefix(
            "/registry/pods/",
        ))
        .map(|r| r.kvs.len())
        .unwrap_or(usize::MAX);
    assert_eq!(pods_now, 0, "nothing has reconciled yet");
    assert!(staged.cluster.has_pending_work());
    // Cluster::new already let its ServiceAccount controller run; the lab's own components
    // (scheduler, controller-manager's loops, kubelets) have only listed.
    let decided: Vec<String> = staged
        .cluster
        .trace()
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::Decision { reason, .. } if reason != "EnsureServiceAccount" => {
                Some(format!("{}@{} {reason}", e.actor.component, e.actor.vm))
            }
            _ => None,
        })
        .collect();
    assert!(decided.is_empty(), "nothing decided yet: {decided:#?}");
    // One step at a time reaches what `boot` returns, event for event.
    let mut steps = 0;
    while staged.cluster.step() {
        steps += 1;
    }
    assert!(steps > 1, "the boot is played in several steps ({steps})");
    staged.cluster.run_until_idle(BOOT_SETTLE_TICKS);
    let booted = Lab::boot(3);
    assert_eq!(staged.cluster.trace(), booted.cluster.trace());
}

#[test]
fn the_boot_is_quick_enough_to_run_at_page_load() {
    let started = Instant::now();
    let lab = Lab::boot(1);
    let took = started.elapsed();
    let events = lab.cluster.trace().len();
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    eprintln!(
        "Lab::boot ({profile}): {:.1} ms, {events} trace events, {} simulated s",
        took.as_secs_f64() * 1000.0,
        lab.cluster.now() / 1000
    );
    // Generous: a regression that makes the boot quadratic shows up here long before a browser.
    assert!(took.as_secs() < 30, "boot took {took:?}");
}
