//! The kubelet's node side: Lease heartbeats, node status, static pods and their mirrors on
//! master, and the failures a lesson injects.

use serde_json::{json, Value};

use kube_sandbox::sim::apiserver::{ApiRequest, Credentials, Verb};
use kube_sandbox::sim::cluster::Cluster;
use kube_sandbox::sim::component::Lister;
use kube_sandbox::sim::kubelet::cri::{Behaviour, ScriptedRuntime};
use kube_sandbox::sim::kubelet::failures::{Failure, NodeHandle};
use kube_sandbox::sim::kubelet::{Kubelet, NodeConfig};
use kube_sandbox::sim::trace::TraceKind;

fn runtime() -> ScriptedRuntime {
    let control_plane = [
        "registry.k8s.io/etcd:3.5.16-0",
        "registry.k8s.io/kube-apiserver:v1.32.0",
        "registry.k8s.io/kube-controller-manager:v1.32.0",
        "registry.k8s.io/kube-scheduler:v1.32.0",
    ];
    let mut rt = ScriptedRuntime::new().with_image("nginx", 72_938_000, Behaviour::default());
    for image in control_plane {
        rt = rt
            .with_image(image, 30_000_000, Behaviour::default())
            .with_present(image);
    }
    rt
}

fn cluster_with(nodes: &[&str]) -> (Cluster, Vec<NodeHandle>) {
    let mut cluster = Cluster::new(11);
    let mut handles = Vec::new();
    for node in nodes {
        let rt = runtime();
        let kubelet = Kubelet::new(
            NodeConfig::lab(node).unwrap(),
            Box::new(move || Box::new(rt.clone())),
        );
        handles.push(kubelet.handle());
        cluster.add_component(Box::new(kubelet));
    }
    cluster.run_until_idle(0);
    (cluster, handles)
}

fn get(cluster: &Cluster, resource: &str, ns: Option<&str>, name: &str) -> Option<Value> {
    Lister::new(cluster.store()).get(resource, ns, name)
}

fn renew_time(cluster: &Cluster, node: &str) -> String {
    get(cluster, "leases", Some("kube-node-lease"), node)
        .and_then(|l| l["spec"]["renewTime"].as_str().map(str::to_string))
        .unwrap_or_default()
}

fn ready(cluster: &Cluster, node: &str) -> (String, String, String) {
    let n = get(cluster, "nodes", None, node).unwrap();
    let c = n["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap()
        .clone();
    let s = |f: &str| c[f].as_str().unwrap_or("").to_string();
    (s("status"), s("reason"), s("message"))
}

fn bind_nginx(cluster: &mut Cluster, name: &str, node: &str) {
    let admin = Credentials::admin;
    cluster
        .submit(
            ApiRequest::new(admin(), Verb::Create, "pods")
                .namespace("default")
                .body(
                    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                       "spec": {"containers": [{"name": "web", "image": "nginx"}]}}),
                ),
        )
        .unwrap();
    cluster
        .submit(
            ApiRequest::new(admin(), Verb::Create, "pods")
                .namespace("default")
                .name(name)
                .subresource("binding")
                .body(
                    json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                             "target": {"apiVersion": "v1", "kind": "Node", "name": node}}),
                ),
        )
        .unwrap();
}

#[test]
fn the_lease_is_renewed_every_ten_seconds_and_stops_with_the_kubelet() {
    let (mut cluster, _) = cluster_with(&["node1"]);
    let lease = get(&cluster, "leases", Some("kube-node-lease"), "node1").unwrap();
    assert_eq!(lease["spec"]["holderIdentity"], "node1");
    assert_eq!(lease["spec"]["leaseDurationSeconds"], 40);
    assert_eq!(lease["metadata"]["ownerReferences"][0]["kind"], "Node");
    assert_eq!(renew_time(&cluster, "node1"), "2025-06-01T00:00:00.000000Z");
    cluster.advance(25_000);
    assert_eq!(renew_time(&cluster, "node1"), "2025-06-01T00:00:20.000000Z");
    assert!(cluster.stop_component("kubelet@node1"));
    cluster.advance(60_000);
    assert_eq!(
        renew_time(&cluster, "node1"),
        "2025-06-01T00:00:20.000000Z",
        "no heartbeat while stopped"
    );
    assert!(cluster.start_component("kubelet@node1"));
    cluster.advance(1_000);
    assert_eq!(renew_time(&cluster, "node1"), "2025-06-01T00:01:25.000000Z");
}

#[test]
fn node_status_reports_ready_with_upstreams_words_and_kubeadm_allocatable() {
    let (cluster, _) = cluster_with(&["node1"]);
    assert_eq!(
        ready(&cluster, "node1"),
        (
            "True".into(),
            "KubeletReady".into(),
            "kubelet is posting ready status".into()
        )
    );
    let n = get(&cluster, "nodes", None, "node1").unwrap();
    assert_eq!(n["status"]["allocatable"]["memory"], "946176Ki");
    assert_eq!(n["status"]["capacity"]["cpu"], "1");
    assert_eq!(n["status"]["nodeInfo"]["kubeletVersion"], "v1.32.0");
    assert_eq!(
        n["status"]["nodeInfo"]["containerRuntimeVersion"],
        "containerd://1.7.24"
    );
    assert_eq!(n["status"]["nodeInfo"]["osImage"], "Ubuntu 22.04.4 LTS");
    assert_eq!(n["status"]["addresses"][0]["address"], "172.16.20.12");
}

#[test]
fn node_status_is_written_on_change_or_every_five_minutes() {
    let (mut cluster, _) = cluster_with(&["node2"]);
    let heartbeat = |c: &Cluster| {
        get(c, "nodes", None, "node2").unwrap()["status"]["conditions"][3]["lastHeartbeatTime"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let first = heartbeat(&cluster);
    cluster.advance(120_000);
    assert_eq!(heartbeat(&cluster), first, "nothing changed: no write");
    cluster.advance(200_000);
    assert_eq!(heartbeat(&cluster), "2025-06-01T00:05:00Z");
    // A pulled image changes status.images: written at the next 10 s check.
    bind_nginx(&mut cluster, "web", "node2");
    cluster.advance(20_000);
    let images = get(&cluster, "nodes", None, "node2").unwrap()["status"]["images"].clone();
    assert!(images
        .to_string()
        .contains("docker.io/library/nginx:latest"));
}

#[test]
fn a_stopped_runtime_turns_the_node_not_ready_as_upstream_words_it() {
    let (mut cluster, handles) = cluster_with(&["node1"]);
    handles[0].inject(Failure::StopRuntime);
    cluster.advance(20_000);
    assert_eq!(
        ready(&cluster, "node1").0,
        "True",
        "30 s of grace before it counts as down"
    );
    cluster.advance(20_000);
    assert_eq!(
        ready(&cluster, "node1"),
        (
            "False".into(),
            "KubeletNotReady".into(),
            "container runtime is down".into()
        )
    );
    cluster.advance(160_000);
    let message = ready(&cluster, "node1").2;
    assert!(
        message.starts_with(
            "container runtime is down,PLEG is not healthy: pleg was last seen active 3m"
        ),
        "{message}"
    );
    handles[0].inject(Failure::StartRuntime);
    cluster.advance(12_000);
    assert_eq!(ready(&cluster, "node1").1, "KubeletReady");
}

#[test]
fn master_runs_the_control_plane_as_static_pods_with_mirror_pods() {
    let (mut cluster, _) = cluster_with(&["master"]);
    cluster.advance(30_000);
    for name in [
        "etcd-master",
        "kube-apiserver-master",
        "kube-controller-manager-master",
        "kube-scheduler-master",
    ] {
        let p = get(&cluster, "pods", Some("kube-system"), name)
            .unwrap_or_else(|| panic!("{name} has no mirror"));
        assert!(p["metadata"]["annotations"]["kubernetes.io/config.mirror"].is_string());
        assert_eq!(
            p["metadata"]["annotations"]["kubernetes.io/config.source"],
            "file"
        );
        assert_eq!(p["metadata"]["ownerReferences"][0]["kind"], "Node");
        assert_eq!(p["metadata"]["ownerReferences"][0]["name"], "master");
        assert_eq!(p["spec"]["priorityClassName"], "system-node-critical");
        assert_eq!(p["status"]["phase"], "Running", "{name}");
        // hostNetwork: the pod IP is the node's.
        assert_eq!(p["status"]["podIP"], "172.16.20.11");
    }
    // A deleted mirror pod comes back; the static pod itself never stopped.
    cluster
        .submit(
            ApiRequest::new(Credentials::admin(), Verb::Delete, "pods")
                .namespace("kube-system")
                .name("kube-scheduler-master"),
        )
        .unwrap();
    cluster.advance(35_000);
    assert!(get(
        &cluster,
        "pods",
        Some("kube-system"),
        "kube-scheduler-master"
    )
    .is_some());
}

#[test]
fn a_killed_container_exits_137_and_restarts() {
    let (mut cluster, handles) = cluster_with(&["node1"]);
    bind_nginx(&mut cluster, "web", "node1");
    cluster.advance(10_000);
    handles[0].inject(Failure::KillContainer {
        namespace: "default".into(),
        pod: "web".into(),
        container: "web".into(),
    });
    cluster.advance(5_000);
    let p = get(&cluster, "pods", Some("default"), "web").unwrap();
    let s = &p["status"]["containerStatuses"][0];
    assert_eq!(s["lastState"]["terminated"]["exitCode"], 137);
    assert_eq!(s["restartCount"], 1);
    assert!(s["state"]["running"].is_object());
}

#[test]
fn exhausting_node_memory_oom_kills_the_biggest_container() {
    let (mut cluster, handles) = cluster_with(&["node1"]);
    bind_nginx(&mut cluster, "small", "node1");
    bind_nginx(&mut cluster, "big", "node1");
    cluster.advance(15_000);
    handles[0].inject(Failure::LeakMemory {
        namespace: "default".into(),
        pod: "big".into(),
        container: "web".into(),
        bytes_per_second: 1 << 20,
    });
    cluster.advance(10_000);
    handles[0].inject(Failure::ExhaustNodeMemory);
    cluster.advance(12_000);
    let big = get(&cluster, "pods", Some("default"), "big").unwrap();
    assert_eq!(
        big["status"]["containerStatuses"][0]["lastState"]["terminated"]["reason"],
        "OOMKilled"
    );
    let small = get(&cluster, "pods", Some("default"), "small").unwrap();
    assert_eq!(small["status"]["containerStatuses"][0]["restartCount"], 0);
    let n = get(&cluster, "nodes", None, "node1").unwrap();
    assert_eq!(
        n["status"]["conditions"][0]["status"], "True",
        "MemoryPressure"
    );
}

#[test]
fn a_rebooted_vm_recreates_its_containers_with_a_restart_counted() {
    let (mut cluster, handles) = cluster_with(&["node1"]);
    bind_nginx(&mut cluster, "web", "node1");
    cluster.advance(10_000);
    handles[0].inject(Failure::StopVm);
    cluster.advance(1_000);
    cluster.stop_component("kubelet@node1");
    cluster.advance(60_000);
    handles[0].inject(Failure::StartVm);
    cluster.start_component("kubelet@node1");
    cluster.advance(20_000);
    let p = get(&cluster, "pods", Some("default"), "web").unwrap();
    let s = &p["status"]["containerStatuses"][0];
    assert_eq!(s["restartCount"], 1);
    assert!(s["state"]["running"].is_object());
}

#[test]
fn a_node_cut_off_the_network_stops_heartbeating_and_catches_up_after() {
    let (mut cluster, handles) = cluster_with(&["node1"]);
    cluster.advance(5_000);
    handles[0].inject(Failure::CutNetwork);
    cluster.advance(1_000);
    bind_nginx(&mut cluster, "web", "node1");
    let before = renew_time(&cluster, "node1");
    cluster.advance(60_000);
    assert_eq!(renew_time(&cluster, "node1"), before);
    assert!(
        get(&cluster, "pods", Some("default"), "web").unwrap()["status"]["containerStatuses"]
            .is_null()
    );
    let failed = cluster.trace().events().iter().any(|e| {
        matches!(&e.kind, TraceKind::Decision { reason, .. } if reason == "FailedToUpdateLease")
            && e.actor.vm == "node1"
    });
    assert!(failed);
    handles[0].inject(Failure::RestoreNetwork);
    cluster.advance(20_000);
    assert_ne!(renew_time(&cluster, "node1"), before);
    let p = get(&cluster, "pods", Some("default"), "web").unwrap();
    assert_eq!(p["status"]["phase"], "Running");
}

#[test]
fn top_figures_sum_containers_per_pod_and_add_the_system_per_node() {
    let (mut cluster, handles) = cluster_with(&["node1"]);
    bind_nginx(&mut cluster, "web", "node1");
    cluster.advance(10_000);
    let pods = handles[0].pod_usage();
    let web = pods.get("default/web").unwrap();
    assert_eq!(web.memory_bytes(), 3 * 1024 * 1024);
    let node = handles[0].node_usage();
    assert_eq!(
        node.memory_bytes,
        web.memory_bytes() + kube_sandbox::sim::kubelet::stats::SYSTEM_MEMORY_BYTES
    );
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    let run = || {
        let (mut cluster, _) = cluster_with(&["master", "node1"]);
        bind_nginx(&mut cluster, "web", "node1");
        cluster.advance(30_000);
        serde_json::to_string(cluster.trace()).unwrap()
    };
    assert_eq!(run(), run());
}
