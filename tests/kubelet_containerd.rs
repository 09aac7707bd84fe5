//! The kubelet driving the real simulated containerd (`sim::runtime`) with its registries:
//! the stories of the course notes with the runtime's own images, sizes and app behaviours.

use serde_json::{json, Value};

use kube_sandbox::sim::apiserver::{ApiRequest, Credentials, Verb};
use kube_sandbox::sim::cluster::Cluster;
use kube_sandbox::sim::component::Lister;
use kube_sandbox::sim::kubelet::Kubelet;

fn cluster(nodes: &[&str]) -> Cluster {
    let mut cluster = Cluster::new(3);
    for node in nodes {
        cluster.add_component(Box::new(Kubelet::lab(node).unwrap()));
    }
    cluster.run_until_idle(0);
    cluster
}

fn run_pod(cluster: &mut Cluster, pod: Value, node: &str) {
    let name = pod["metadata"]["name"].as_str().unwrap().to_string();
    let admin = Credentials::admin;
    cluster
        .submit(
            ApiRequest::new(admin(), Verb::Create, "pods")
                .namespace("default")
                .body(pod),
        )
        .unwrap();
    cluster
        .submit(
            ApiRequest::new(admin(), Verb::Create, "pods")
                .namespace("default")
                .name(name.clone())
                .subresource("binding")
                .body(
                    json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                             "target": {"apiVersion": "v1", "kind": "Node", "name": node}}),
                ),
        )
        .unwrap();
}

fn pod(cluster: &Cluster, ns: &str, name: &str) -> Value {
    Lister::new(cluster.store())
        .get("pods", Some(ns), name)
        .unwrap()
}

fn events(cluster: &Cluster, name: &str) -> Vec<String> {
    let mut list: Vec<(i64, String)> = Lister::new(cluster.store())
        .list("events", Some("default"))
        .into_iter()
        .filter(|e| e["involvedObject"]["name"] == name)
        .map(|e| {
            (
                e["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0),
                format!(
                    "{}: {}",
                    e["reason"].as_str().unwrap_or(""),
                    e["message"].as_str().unwrap_or("")
                ),
            )
        })
        .collect();
    list.sort();
    list.into_iter().map(|(_, t)| t).collect()
}

#[test]
fn nginx_runs_on_node1_through_containerd() {
    let mut cluster = cluster(&["node1"]);
    run_pod(
        &mut cluster,
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
               "spec": {"containers": [{"name": "nginx", "image": "nginx",
                   "readinessProbe": {"httpGet": {"path": "/", "port": 80}}}]}}),
        "node1",
    );
    cluster.advance(30_000);
    let p = pod(&cluster, "default", "web");
    let s = &p["status"]["containerStatuses"][0];
    assert_eq!(p["status"]["phase"], "Running", "{:#}", p["status"]);
    assert_eq!(s["ready"], true);
    assert!(s["imageID"]
        .as_str()
        .unwrap()
        .starts_with("docker.io/library/nginx@sha256:"));
    let seen = events(&cluster, "web");
    assert_eq!(seen[0], "Pulling: Pulling image \"nginx\"");
    assert!(
        seen[1].starts_with("Pulled: Successfully pulled image \"nginx\" in "),
        "{seen:?}"
    );
    assert!(seen[1].ends_with(" bytes."));
    assert_eq!(
        &seen[2..4],
        [
            "Created: Created container: nginx",
            "Started: Started container nginx"
        ]
    );
}

#[test]
fn a_misspelled_image_backs_off_through_containerd() {
    let mut cluster = cluster(&["node2"]);
    run_pod(
        &mut cluster,
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
               "spec": {"containers": [{"name": "web", "image": "ngnix"}]}}),
        "node2",
    );
    cluster.advance(5_000);
    let p = pod(&cluster, "default", "web");
    assert_eq!(
        p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
        "ImagePullBackOff"
    );
    let seen = events(&cluster, "web");
    assert!(seen.contains(&"Failed: Failed to pull image \"ngnix\": rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/library/ngnix:latest\": failed to resolve reference \"docker.io/library/ngnix:latest\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed".to_string()), "{seen:#?}");
}

#[test]
fn the_crasher_image_crash_loops_through_containerd() {
    let mut cluster = cluster(&["node1"]);
    run_pod(
        &mut cluster,
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "crash"},
               "spec": {"containers": [{"name": "crash", "image": "hub.example.com/crasher:1.0"}]}}),
        "node1",
    );
    cluster.advance(90_000);
    let p = pod(&cluster, "default", "crash");
    let s = &p["status"]["containerStatuses"][0];
    assert!(s["restartCount"].as_u64().unwrap() >= 2, "{s:#}");
    assert!(s["lastState"]["terminated"]["exitCode"].as_i64().unwrap() != 0);
    assert!(events(&cluster, "crash")
        .iter()
        .any(|e| e.starts_with("BackOff: Back-off restarting failed container crash")));
}

#[test]
fn master_runs_the_kubeadm_control_plane_through_containerd() {
    let mut cluster = cluster(&["master"]);
    cluster.advance(60_000);
    for name in [
        "etcd-master",
        "kube-apiserver-master",
        "kube-controller-manager-master",
        "kube-scheduler-master",
    ] {
        let p = pod(&cluster, "kube-system", name);
        let s = &p["status"]["containerStatuses"][0];
        assert_eq!(p["status"]["phase"], "Running", "{name}: {:#}", p["status"]);
        assert_eq!(s["restartCount"], 0, "{name}: {s:#}");
        assert_eq!(s["ready"], true, "{name}: {s:#}");
    }
}
