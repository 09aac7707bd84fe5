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

use crate::sim::api::{json_template, JsonPointer};
use serde_json::{json, Value};

/// The path kubeadm writes and the kubelet's `staticPodPath` reads.
pub const MANIFESTS_DIR: &str = "/etc/kubernetes/manifests";

/// The four manifests of `/etc/kubernetes/manifests` (kubeadm's, for a control plane at `${ip}`), in
/// the order [`kubeadm_manifests`] names them. Text, not `json!`: data packs far smaller in the
/// wasm module than the code that would build it (docs/build.md).
const KUBEADM_MANIFESTS: &str = r#"[
  {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
      "annotations": {"kubeadm.kubernetes.io/etcd.advertise-client-urls": "https://${ip}:2379"},
      "labels": {"component": "etcd", "tier": "control-plane"},
      "name": "etcd",
      "namespace": "kube-system"
    },
    "spec": {
      "containers": [
        {
          "command": [
            "etcd", "--advertise-client-urls=https://${ip}:2379",
            "--cert-file=/etc/kubernetes/pki/etcd/server.crt", "--client-cert-auth=true",
            "--data-dir=/var/lib/etcd", "--experimental-initial-corrupt-check=true",
            "--experimental-watch-progress-notify-interval=5s",
            "--initial-advertise-peer-urls=https://${ip}:2380",
            "--initial-cluster=master=https://${ip}:2380",
            "--key-file=/etc/kubernetes/pki/etcd/server.key",
            "--listen-client-urls=https://127.0.0.1:2379,https://${ip}:2379",
            "--listen-metrics-urls=http://127.0.0.1:2381", "--listen-peer-urls=https://${ip}:2380",
            "--name=master", "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt",
            "--peer-client-cert-auth=true", "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key",
            "--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt", "--snapshot-count=10000",
            "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt"
          ],
          "image": "registry.k8s.io/etcd:3.5.16-0",
          "imagePullPolicy": "IfNotPresent",
          "livenessProbe": {
            "failureThreshold": 8,
            "httpGet": {"host": "127.0.0.1", "path": "/livez", "port": 2381, "scheme": "HTTP"},
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "timeoutSeconds": 15
          },
          "name": "etcd",
          "readinessProbe": {
            "failureThreshold": 3,
            "httpGet": {"host": "127.0.0.1", "path": "/readyz", "port": 2381, "scheme": "HTTP"},
            "initialDelaySeconds": 0,
            "periodSeconds": 10,
            "timeoutSeconds": 15
          },
          "resources": {"requests": {"cpu": "100m", "memory": "100Mi"}},
          "startupProbe": {
            "failureThreshold": 24,
            "httpGet": {"host": "127.0.0.1", "path": "/readyz", "port": 2381, "scheme": "HTTP"},
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "timeoutSeconds": 15
          }
        }
      ],
      "hostNetwork": true,
      "priority": 2000001000,
      "priorityClassName": "system-node-critical",
      "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}
    },
    "status": {}
  },
  {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
      "annotations": {"kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": "${ip}:6443"},
      "labels": {"component": "kube-apiserver", "tier": "control-plane"},
      "name": "kube-apiserver",
      "namespace": "kube-system"
    },
    "spec": {
      "containers": [
        {
          "command": [
            "kube-apiserver", "--advertise-address=${ip}", "--allow-privileged=true",
            "--authorization-mode=Node,RBAC", "--client-ca-file=/etc/kubernetes/pki/ca.crt",
            "--enable-admission-plugins=NodeRestriction", "--enable-bootstrap-token-auth=true",
            "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
            "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
            "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
            "--etcd-servers=https://127.0.0.1:2379",
            "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
            "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
            "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname", "--secure-port=6443",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
            "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
            "--service-cluster-ip-range=10.96.0.0/12",
            "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
            "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key"
          ],
          "image": "registry.k8s.io/kube-apiserver:v1.32.0",
          "imagePullPolicy": "IfNotPresent",
          "livenessProbe": {
            "failureThreshold": 8,
            "httpGet": {"host": "${ip}", "path": "/livez", "port": 6443, "scheme": "HTTPS"},
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "timeoutSeconds": 15
          },
          "name": "kube-apiserver",
          "readinessProbe": {
            "failureThreshold": 3,
            "httpGet": {"host": "${ip}", "path": "/readyz", "port": 6443, "scheme": "HTTPS"},
            "initialDelaySeconds": 0,
            "periodSeconds": 10,
            "timeoutSeconds": 15
          },
          "resources": {"requests": {"cpu": "250m"}},
          "startupProbe": {
            "failureThreshold": 24,
            "httpGet": {"host": "${ip}", "path": "/livez", "port": 6443, "scheme": "HTTPS"},
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "timeoutSeconds": 15
          }
        }
      ],
      "hostNetwork": true,
      "priority": 2000001000,
      "priorityClassName": "system-node-critical",
      "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}
    },
    "status": {}
  },
  {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
      "labels": {"component": "kube-controller-manager", "tier": "control-plane"},
      "name": "kube-controller-manager",
      "namespace": "kube-system"
    },
    "spec": {
      "containers": [
        {
          "command": [
            "kube-controller-manager", "--allocate-node-cidrs=true",
            "--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf",
            "--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf",
            "--bind-address=127.0.0.1", "--client-ca-file=/etc/kubernetes/pki/ca.crt",
            "--cluster-cidr=10.244.0.0/16", "--cluster-name=kubernetes",
            "--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt",
            "--cluster-signing-key-file=/etc/kubernetes/pki/ca.key",
            "--controllers=*,bootstrapsigner,tokencleaner",
            "--kubeconfig=/etc/kubernetes/controller-manager.conf", "--leader-elect=true",
            "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
            "--root-ca-file=/etc/kubernetes/pki/ca.crt",
            "--service-account-private-key-file=/etc/kubernetes/pki/sa.key",
            "--service-cluster-ip-range=10.96.0.0/12", "--use-service-account-credentials=true"
          ],
          "image": "registry.k8s.io/kube-controller-manager:v1.32.0",
          "imagePullPolicy": "IfNotPresent",
          "livenessProbe": {
            "failureThreshold": 8,
            "httpGet": {"host": "127.0.0.1", "path": "/healthz", "port": 10257, "scheme": "HTTPS"},
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "timeoutSeconds": 15
          },
          "name": "kube-controller-manager",
          "resources": {"requests": {"cpu": "200m"}},
          "startupProbe": {
            "failureThreshold": 24,
            "httpGet": {"host": "127.0.0.1", "path": "/healthz", "port": 10257, "scheme": "HTTPS"},
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "timeoutSeconds": 15
          }
        }
      ],
      "hostNetwork": true,
      "priority": 2000001000,
      "priorityClassName": "system-node-critical",
      "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}
    },
    "status": {}
  },
  {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
      "labels": {"component": "kube-scheduler", "tier": "control-plane"},
      "name": "kube-scheduler",
      "namespace": "kube-system"
    },
    "spec": {
      "containers": [
        {
          "command": [
            "kube-scheduler", "--authentication-kubeconfig=/etc/kubernetes/scheduler.conf",
            "--authorization-kubeconfig=/etc/kubernetes/scheduler.conf", "--bind-address=127.0.0.1",
            "--kubeconfig=/etc/kubernetes/scheduler.conf", "--leader-elect=true"
          ],
          "image": "registry.k8s.io/kube-scheduler:v1.32.0",
          "imagePullPolicy": "IfNotPresent",
          "livenessProbe": {
            "failureThreshold": 8,
            "httpGet": {"host": "127.0.0.1", "path": "/healthz", "port": 10259, "scheme": "HTTPS"},
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "timeoutSeconds": 15
          },
          "name": "kube-scheduler",
          "resources": {"requests": {"cpu": "100m"}},
          "startupProbe": {
            "failureThreshold": 24,
            "httpGet": {"host": "127.0.0.1", "path": "/healthz", "port": 10259, "scheme": "HTTPS"},
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "timeoutSeconds": 15
          }
        }
      ],
      "hostNetwork": true,
      "priority": 2000001000,
      "priorityClassName": "system-node-critical",
      "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}
    },
    "status": {}
  }
]"#;

/// The four manifests of `/etc/kubernetes/manifests` for a control plane at `ip`, by file name.
pub fn kubeadm_manifests(ip: &str) -> Vec<(&'static str, Value)> {
    // `${ip}` also stands inside longer strings (`https://${ip}:2379`), so it is set in the text.
    let manifests = json_template(&KUBEADM_MANIFESTS.replace("${ip}", ip), &[]);
    let Value::Array(manifests) = manifests else {
        unreachable!("the kubeadm manifests are a list")
    };
    [
        "etcd.yaml",
        "kube-apiserver.yaml",
        "kube-controller-manager.yaml",
        "kube-scheduler.yaml",
    ]
    .into_iter()
    .zip(manifests)
    .collect()
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
