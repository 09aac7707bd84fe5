//! Static pods: `/etc/kubernetes/manifests` on master, as `kubeadm init` writes it, and the
//! mirror pods the kubelet creates for them.
//!
//! Mirrors: kubeadm 1.32's manifests (`cmd/kubeadm/app/phases/controlplane/manifests.go`,
//! `phases/etcd/local.go`): images `registry.k8s.io/...:v1.32.0` and `etcd:3.5.16-0`, their
//! command lines, hostNetwork, priorityClassName `system-node-critical`, the probes on
//! 127.0.0.1 / the advertise address. And the kubelet's file source + mirror client
//! (`pkg/kubelet/config/file.go`, `pkg/kubelet/pod/mirror_client.go`): the pod is named
//! `<name>-<node>`, its uid is a hash of the manifest, its mirror carries the annotations
//! `kubernetes.io/config.hash`, `kubernetes.io/config.mirror`, `kubernetes.io/config.source`,
//! `kubernetes.io/config.seen` and an ownerReference to the Node.
//! Simplified: certificates and volumes are listed in the command lines but not mounted; the
//! hash is FNV-1a of the manifest JSON rather than md5 of the Go struct. The manifests are data,
//! not files a student can edit: `mv` moves one out of the directory and back (the kubelet then
//! stops or restarts its pod, see `mod.rs`), `cat` prints it as kubeadm wrote it.

use crate::sim::api::JsonPointer;
use serde_json::{json, Value};

/// The path kubeadm writes and the kubelet's `staticPodPath` reads.
pub const MANIFESTS_DIR: &str = "/etc/kubernetes/manifests";

fn probe(host: &str, path: &str, port: u16, scheme: &str, initial: u64, failure: u64) -> Value {
    json!({
        "failureThreshold": failure,
        "httpGet": {"host": host, "path": path, "port": port, "scheme": scheme},
        "initialDelaySeconds": initial,
        "periodSeconds": 10,
        "timeoutSeconds": 15,
    })
}

fn manifest(
    component: &str,
    image: &str,
    command: Vec<String>,
    cpu_request: &str,
    memory_request: Option<&str>,
    probes: [(&str, Value); 3],
    annotations: Value,
) -> Value {
    let mut requests = json!({"cpu": cpu_request});
    if let Some(m) = memory_request {
        requests["memory"] = json!(m);
    }
    let mut container = json!({
        "command": command,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "name": component,
        "resources": {"requests": requests},
    });
    for (field, p) in probes {
        container[field] = p;
    }
    let mut metadata = json!({
        "labels": {"component": component, "tier": "control-plane"},
        "name": component,
        "namespace": "kube-system",
    });
    if annotations.as_object().is_some_and(|a| !a.is_empty()) {
        metadata["annotations"] = annotations;
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "containers": [container],
            "hostNetwork": true,
            "priority": 2000001000,
            "priorityClassName": "system-node-critical",
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        },
        "status": {},
    })
}

fn args(program: &str, flags: &[(&str, String)]) -> Vec<String> {
    std::iter::once(program.to_string())
        .chain(flags.iter().map(|(k, v)| format!("--{k}={v}")))
        .collect()
}

/// The four manifests of `/etc/kubernetes/manifests` for a control plane at `ip`, by file name.
pub fn kubeadm_manifests(ip: &str) -> Vec<(&'static str, Value)> {
    let pki = "/etc/kubernetes/pki";
    let etcd = manifest(
        "etcd",
        "registry.k8s.io/etcd:3.5.16-0",
        args(
            "etcd",
            &[
                ("advertise-client-urls", format!("https://{ip}:2379")),
                ("cert-file", format!("{pki}/etcd/server.crt")),
                ("client-cert-auth", "true".into()),
                ("data-dir", "/var/lib/etcd".into()),
                ("experimental-initial-corrupt-check", "true".into()),
                ("experimental-watch-progress-notify-interval", "5s".into()),
                ("initial-advertise-peer-urls", format!("https://{ip}:2380")),
                ("initial-cluster", format!("master=https://{ip}:2380")),
                ("key-file", format!("{pki}/etcd/server.key")),
                (
                    "listen-client-urls",
                    format!("https://127.0.0.1:2379,https://{ip}:2379"),
                ),
                ("listen-metrics-urls", "http://127.0.0.1:2381".into()),
                ("listen-peer-urls", format!("https://{ip}:2380")),
                ("name", "master".into()),
                ("peer-cert-file", format!("{pki}/etcd/peer.crt")),
                ("peer-client-cert-auth", "true".into()),
                ("peer-key-file", format!("{pki}/etcd/peer.key")),
                ("peer-trusted-ca-file", format!("{pki}/etcd/ca.crt")),
                ("snapshot-count", "10000".into()),
                ("trusted-ca-file", format!("{pki}/etcd/ca.crt")),
            ],
        ),
        "100m",
        Some("100Mi"),
        [
            (
                "livenessProbe",
                probe("127.0.0.1", "/livez", 2381, "HTTP", 10, 8),
            ),
            (
                "readinessProbe",
                probe("127.0.0.1", "/readyz", 2381, "HTTP", 0, 3),
            ),
            (
                "startupProbe",
                probe("127.0.0.1", "/readyz", 2381, "HTTP", 10, 24),
            ),
        ],
        json!({"kubeadm.kubernetes.io/etcd.advertise-client-urls": format!("https://{ip}:2379")}),
    );
    let apiserver = manifest(
        "kube-apiserver",
        "registry.k8s.io/kube-apiserver:v1.32.0",
        args(
            "kube-apiserver",
            &[
                ("advertise-address", ip.to_string()),
                ("allow-privileged", "true".into()),
                ("authorization-mode", "Node,RBAC".into()),
                ("client-ca-file", format!("{pki}/ca.crt")),
                ("enable-admission-plugins", "NodeRestriction".into()),
                ("enable-bootstrap-token-auth", "true".into()),
                ("etcd-cafile", format!("{pki}/etcd/ca.crt")),
                ("etcd-certfile", format!("{pki}/apiserver-etcd-client.crt")),
                ("etcd-keyfile", format!("{pki}/apiserver-etcd-client.key")),
                ("etcd-servers", "https://127.0.0.1:2379".into()),
                (
                    "kubelet-client-certificate",
                    format!("{pki}/apiserver-kubelet-client.crt"),
                ),
                (
                    "kubelet-client-key",
                    format!("{pki}/apiserver-kubelet-client.key"),
                ),
                (
                    "kubelet-preferred-address-types",
                    "InternalIP,ExternalIP,Hostname".into(),
                ),
                ("secure-port", "6443".into()),
                (
                    "service-account-issuer",
                    "https://kubernetes.default.svc.cluster.local".into(),
                ),
                ("service-account-key-file", format!("{pki}/sa.pub")),
                ("service-account-signing-key-file", format!("{pki}/sa.key")),
                ("service-cluster-ip-range", "10.96.0.0/12".into()),
                ("tls-cert-file", format!("{pki}/apiserver.crt")),
                ("tls-private-key-file", format!("{pki}/apiserver.key")),
            ],
        ),
        "250m",
        None,
        [
            ("livenessProbe", probe(ip, "/livez", 6443, "HTTPS", 10, 8)),
            ("readinessProbe", probe(ip, "/readyz", 6443, "HTTPS", 0, 3)),
            ("startupProbe", probe(ip, "/livez", 6443, "HTTPS", 10, 24)),
        ],
        json!({"kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": format!("{ip}:6443")}),
    );
    let controller_manager = manifest(
        "kube-controller-manager",
        "registry.k8s.io/kube-controller-manager:v1.32.0",
        args(
            "kube-controller-manager",
            &[
                ("allocate-node-cidrs", "true".into()),
                (
                    "authentication-kubeconfig",
                    "/etc/kubernetes/controller-manager.conf".into(),
                ),
                (
                    "authorization-kubeconfig",
                    "/etc/kubernetes/controller-manager.conf".into(),
                ),
                ("bind-address", "127.0.0.1".into()),
                ("client-ca-file", format!("{pki}/ca.crt")),
                ("cluster-cidr", "10.244.0.0/16".into()),
                ("cluster-name", "kubernetes".into()),
                ("cluster-signing-cert-file", format!("{pki}/ca.crt")),
                ("cluster-signing-key-file", format!("{pki}/ca.key")),
                ("controllers", "*,bootstrapsigner,tokencleaner".into()),
                (
                    "kubeconfig",
                    "/etc/kubernetes/controller-manager.conf".into(),
                ),
                ("leader-elect", "true".into()),
                (
                    "requestheader-client-ca-file",
                    format!("{pki}/front-proxy-ca.crt"),
                ),
                ("root-ca-file", format!("{pki}/ca.crt")),
                ("service-account-private-key-file", format!("{pki}/sa.key")),
                ("service-cluster-ip-range", "10.96.0.0/12".into()),
                ("use-service-account-credentials", "true".into()),
            ],
        ),
        "200m",
        None,
        [
            (
                "livenessProbe",
                probe("127.0.0.1", "/healthz", 10257, "HTTPS", 10, 8),
            ),
            (
                "startupProbe",
                probe("127.0.0.1", "/healthz", 10257, "HTTPS", 10, 24),
            ),
            ("readinessProbe", Value::Null),
        ],
        json!({}),
    );
    let scheduler = manifest(
        "kube-scheduler",
        "registry.k8s.io/kube-scheduler:v1.32.0",
        args(
            "kube-scheduler",
            &[
                (
                    "authentication-kubeconfig",
                    "/etc/kubernetes/scheduler.conf".into(),
                ),
                (
                    "authorization-kubeconfig",
                    "/etc/kubernetes/scheduler.conf".into(),
                ),
                ("bind-address", "127.0.0.1".into()),
                ("kubeconfig", "/etc/kubernetes/scheduler.conf".into()),
                ("leader-elect", "true".into()),
            ],
        ),
        "100m",
        None,
        [
            (
                "livenessProbe",
                probe("127.0.0.1", "/healthz", 10259, "HTTPS", 10, 8),
            ),
            (
                "startupProbe",
                probe("127.0.0.1", "/healthz", 10259, "HTTPS", 10, 24),
            ),
            ("readinessProbe", Value::Null),
        ],
        json!({}),
    );
    let mut out = vec![
        ("etcd.yaml", etcd),
        ("kube-apiserver.yaml", apiserver),
        ("kube-controller-manager.yaml", controller_manager),
        ("kube-scheduler.yaml", scheduler),
    ];
    // A Null probe means "this component has none": drop the key.
    for (_, m) in out.iter_mut() {
        if let Some(Value::Object(c)) = m.pointer_mut("/spec/containers/0") {
            c.retain(|_, v| !v.is_null());
        }
    }
    out
}

/// `kubernetes.io/config.hash`: a stable hash of the manifest (32 hex digits, as md5 prints).
pub fn config_hash(manifest: &Value) -> String {
    let text = manifest.to_string();
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x8422_2325_cbf2_9ce4;
    for byte in text.bytes() {
        a = (a ^ byte as u64).wrapping_mul(0x100_0000_01b3);
        b = (b ^ byte as u64)
            .wrapping_mul(0x100_0000_01b3)
            .rotate_left(5);
    }
    format!("{a:016x}{b:016x}")
}

/// The static pod as the kubelet runs it: named `<name>-<node>`, bound to the node, its uid the
/// config hash (upstream does the same: a static pod's UID is its hash).
pub fn static_pod(manifest: &Value, node: &str, seen: &str) -> Value {
    let hash = config_hash(manifest);
    let mut pod = manifest.clone();
    let name = manifest
        .ptr("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("static");
    pod["metadata"]["name"] = json!(format!("{name}-{node}"));
    pod["metadata"]["uid"] = json!(hash);
    let annotations = pod["metadata"]
        .as_object_mut()
        .map(|m| m.entry("annotations").or_insert_with(|| json!({})));
    if let Some(Value::Object(a)) = annotations {
        a.insert("kubernetes.io/config.hash".into(), json!(hash));
        a.insert("kubernetes.io/config.seen".into(), json!(seen));
        a.insert("kubernetes.io/config.source".into(), json!("file"));
    }
    pod["spec"]["nodeName"] = json!(node);
    pod["spec"]["restartPolicy"] = json!("Always");
    pod["spec"]["terminationGracePeriodSeconds"] = json!(30);
    pod["spec"]["tolerations"] = json!([{"effect": "NoExecute", "operator": "Exists"}]);
    pod
}

/// The mirror pod's body for the apiserver: the static pod, plus the mirror annotation and an
/// ownerReference to the Node, so that `kubectl get pods -n kube-system` shows it.
pub fn mirror_pod(static_pod: &Value, node: &str, node_uid: &str) -> Value {
    let mut pod = static_pod.clone();
    let hash = pod
        .ptr("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if let Some(Value::Object(meta)) = pod.get_mut("metadata") {
        meta.remove("uid");
        if let Some(Value::Object(a)) = meta.get_mut("annotations") {
            a.insert("kubernetes.io/config.mirror".into(), json!(hash));
        }
        meta.insert(
            "ownerReferences".into(),
            json!([{"apiVersion": "v1", "controller": true, "kind": "Node",
                    "name": node, "uid": node_uid}]),
        );
    }
    if let Some(o) = pod.as_object_mut() {
        o.remove("status");
    }
    pod
}

/// Is this pod object a mirror pod? (the kubelet never runs a mirror: it runs the static pod)
pub fn is_mirror(pod: &Value) -> bool {
    pod.ptr("/metadata/annotations/kubernetes.io~1config.mirror")
        .is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeadm_writes_four_manifests_with_real_images_on_the_host_network() {
        let manifests = kubeadm_manifests("172.16.20.11");
        let names: Vec<&str> = manifests.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            names,
            [
                "etcd.yaml",
                "kube-apiserver.yaml",
                "kube-controller-manager.yaml",
                "kube-scheduler.yaml"
            ]
        );
        let images: Vec<&str> = manifests
            .iter()
            .filter_map(|(_, m)| m.ptr("/spec/containers/0/image").and_then(Value::as_str))
            .collect();
        assert_eq!(images[0], "registry.k8s.io/etcd:3.5.16-0");
        assert_eq!(images[1], "registry.k8s.io/kube-apiserver:v1.32.0");
        for (_, m) in &manifests {
            assert_eq!(m["spec"]["hostNetwork"], true);
            assert_eq!(m["spec"]["priorityClassName"], "system-node-critical");
        }
        let apiserver = &manifests[1].1;
        let command = apiserver["spec"]["containers"][0]["command"]
            .as_array()
            .unwrap();
        assert!(command.contains(&json!("--advertise-address=172.16.20.11")));
        assert!(apiserver["spec"]["containers"][0]
            .get("readinessProbe")
            .is_some());
        assert!(manifests[3].1["spec"]["containers"][0]
            .get("readinessProbe")
            .is_none());
    }

    #[test]
    fn a_mirror_pod_points_back_at_its_static_pod_and_node() {
        let (_, etcd) = &kubeadm_manifests("172.16.20.11")[0];
        let pod = static_pod(etcd, "master", "2025-06-01T00:00:00Z");
        assert_eq!(pod["metadata"]["name"], "etcd-master");
        let mirror = mirror_pod(&pod, "master", "node-uid");
        assert!(is_mirror(&mirror));
        assert!(!is_mirror(&pod));
        assert_eq!(
            mirror["metadata"]["annotations"]["kubernetes.io/config.mirror"],
            pod["metadata"]["uid"]
        );
        assert_eq!(mirror["metadata"]["ownerReferences"][0]["kind"], "Node");
        assert!(mirror["metadata"].get("uid").is_none());
        assert_eq!(config_hash(etcd), config_hash(etcd));
        assert_eq!(config_hash(etcd).len(), 32);
    }
}
