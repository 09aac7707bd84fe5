//! The add-ons a fresh kubeadm cluster runs: CoreDNS, kube-proxy and a CNI agent (flannel), plus
//! the two PriorityClasses the apiserver creates at start.
//!
//! Mirrors: kube-apiserver's `scheduling/bootstrap-system-priority-classes` post-start hook
//! (`system-node-critical` 2000001000, `system-cluster-critical` 2000000000); `kubeadm init phase
//! addon coredns` and `addon kube-proxy` (cmd/kubeadm/app/phases/addons/dns and proxy manifests:
//! the `coredns` ServiceAccount, ClusterRole and binding, ConfigMap with kubeadm's Corefile,
//! Deployment with two replicas, the `kube-dns` Service at 10.96.0.10; the `kube-proxy`
//! ServiceAccount, ConfigMap and DaemonSet); and `kubectl apply -f kube-flannel.yml` (v0.26.1:
//! namespace `kube-flannel`, ServiceAccount, RBAC, ConfigMap `kube-flannel-cfg`, DaemonSet
//! `kube-flannel-ds`).
//! Simplified: every object is written by kubeadm's super-admin identity through the apiserver
//! (so each is validated, stored and traced); flannel's two `install-cni*` init containers are left
//! out (the lab's containerd already has the CNI binaries and config in place, and the simulated
//! flannel image has no `cp`); the KubeProxyConfiguration keeps the fields a student reads.

use crate::sim::api::{json_template, JsonPointer};
use serde_json::{json, Value};

use super::apiserver::{ApiRequest, Verb};
use super::cluster::{super_admin, Cluster};
use super::trace::Actor;

/// The cluster DNS Service's address: the tenth address of the service CIDR 10.96.0.0/12.
pub const DNS_SERVICE_IP: &str = "10.96.0.10";
pub const COREDNS_IMAGE: &str = "registry.k8s.io/coredns/coredns:v1.11.3";
pub const KUBE_PROXY_IMAGE: &str = "registry.k8s.io/kube-proxy:v1.32.0";
/// flannel's own image, as kube-flannel.yml v0.26.1 names it.
pub const FLANNEL_IMAGE: &str = "docker.io/flannel/flannel:v0.26.1";
/// The cluster's pod network, which every node's podCIDR is carved from.
pub const CLUSTER_CIDR: &str = "10.244.0.0/16";

/// kubeadm's Corefile (cmd/kubeadm/app/phases/addons/dns/manifests.go, `CoreDNSConfigMap`) with
/// the default DNS domain `cluster.local`.
pub const COREFILE: &str = ".:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
";

/// The add-on objects in the order they are created: (plural resource, actor, object).
/// The PriorityClasses come first, as the apiserver makes them before kubeadm's phases run.
pub fn addon_objects() -> Vec<(&'static str, Actor, Value)> {
    let apiserver = Actor::apiserver();
    let kubeadm = Actor::new("kubeadm", "master");
    let kubectl = Actor::kubectl();
    let mut out: Vec<(&'static str, Actor, Value)> = Vec::new();
    for (resource, object) in priority_classes() {
        out.push((resource, apiserver.clone(), object));
    }
    for (resource, object) in coredns() {
        out.push((resource, kubeadm.clone(), object));
    }
    for (resource, object) in kube_proxy() {
        out.push((resource, kubeadm.clone(), object));
    }
    // The student installs the CNI after `kubeadm init`, as the course notes do.
    for (resource, object) in flannel() {
        out.push((resource, kubectl.clone(), object));
    }
    out
}

/// Writes every add-on object through the apiserver. A refusal is a bug in these manifests (or
/// in the apiserver), never user input, so it asserts.
pub fn install(cluster: &mut Cluster) {
    for (resource, actor, body) in addon_objects() {
        let namespace = body
            .ptr("/metadata/namespace")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut request = ApiRequest::new(super_admin(), Verb::Create, resource).body(body);
        request.namespace = namespace;
        let handled = cluster.submit_as(&actor, None, request);
        assert!(
            handled.result.is_ok(),
            "add-on object refused: {:?}",
            handled.result
        );
    }
}

/// One add-on object, written as JSON text with `"${name}"` variables ([`json_template`]).
fn manifest(text: &str, vars: &[(&str, Value)]) -> Value {
    json_template(text, vars)
}

fn priority_classes() -> Vec<(&'static str, Value)> {
    let class = |name: &str, value: i64, description: &str| {
        (
            "priorityclasses",
            manifest(
                r#"{
                "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                "metadata": {"name": "${name}"},
                "value": "${value}",
                "globalDefault": false,
                "preemptionPolicy": "PreemptLowerPriority",
                "description": "${description}"
            }"#,
                &[
                    ("name", json!(name)),
                    ("value", json!(value)),
                    ("description", json!(description)),
                ],
            ),
        )
    };
    vec![
        class(
            "system-node-critical",
            2_000_001_000,
            "Used for system critical pods that must not be moved from their current node.",
        ),
        class(
            "system-cluster-critical",
            2_000_000_000,
            "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
        ),
    ]
}

fn service_account(name: &str, namespace: &str, labels: Value) -> (&'static str, Value) {
    let mut metadata = json!({"name": name, "namespace": namespace});
    if labels.as_object().is_some_and(|m| !m.is_empty()) {
        metadata["labels"] = labels;
    }
    (
        "serviceaccounts",
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata}),
    )
}

fn binding_to_service_account(
    name: &str,
    role: &str,
    account: &str,
    namespace: &str,
) -> (&'static str, Value) {
    (
        "clusterrolebindings",
        manifest(
            r#"{
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "${name}"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "${role}"},
            "subjects": [{"kind": "ServiceAccount", "name": "${account}", "namespace": "${namespace}"}]
        }"#,
            &[
                ("name", json!(name)),
                ("role", json!(role)),
                ("account", json!(account)),
                ("namespace", json!(namespace)),
            ],
        ),
    )
}

fn coredns() -> Vec<(&'static str, Value)> {
    let labels = json!({"k8s-app": "kube-dns"});
    vec![
        service_account("coredns", "kube-system", json!({})),
        (
            "clusterroles",
            manifest(
                r#"{
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": "system:coredns"},
                "rules": [
                    {"apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"],
                     "verbs": ["list", "watch"]},
                    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"],
                     "verbs": ["list", "watch"]}
                ]
            }"#,
                &[],
            ),
        ),
        binding_to_service_account("system:coredns", "system:coredns", "coredns", "kube-system"),
        (
            "configmaps",
            manifest(
                r#"{
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "coredns", "namespace": "kube-system"},
                "data": {"Corefile": "${COREFILE}"}
            }"#,
                &[("COREFILE", json!(COREFILE))],
            ),
        ),
        (
            "deployments",
            // The tolerations are kubeadm's: the control-plane taint, so CoreDNS can start before
            // any worker joins. `dnsPolicy: Default`: CoreDNS resolves upstream names through the
            // node's resolver.
            manifest(
                r#"{
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "coredns", "namespace": "kube-system", "labels": "${labels}"},
                "spec": {
                    "replicas": 2,
                    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
                    "selector": {"matchLabels": "${labels}"},
                    "template": {
                        "metadata": {"labels": "${labels}"},
                        "spec": {
                            "priorityClassName": "system-cluster-critical",
                            "serviceAccountName": "coredns",
                            "affinity": {"podAntiAffinity": {
                                "preferredDuringSchedulingIgnoredDuringExecution": [{
                                    "weight": 100,
                                    "podAffinityTerm": {
                                        "labelSelector": {"matchExpressions": [
                                            {"key": "k8s-app", "operator": "In", "values": ["kube-dns"]}
                                        ]},
                                        "topologyKey": "kubernetes.io/hostname"
                                    }
                                }]
                            }},
                            "tolerations": [
                                {"key": "CriticalAddonsOnly", "operator": "Exists"},
                                {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
                            ],
                            "nodeSelector": {"kubernetes.io/os": "linux"},
                            "containers": [{
                                "name": "coredns",
                                "image": "${COREDNS_IMAGE}",
                                "imagePullPolicy": "IfNotPresent",
                                "resources": {
                                    "limits": {"memory": "170Mi"},
                                    "requests": {"cpu": "100m", "memory": "70Mi"}
                                },
                                "args": ["-conf", "/etc/coredns/Corefile"],
                                "volumeMounts": [{"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": true}],
                                "ports": [
                                    {"containerPort": 53, "name": "dns", "protocol": "UDP"},
                                    {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                                    {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}
                                ],
                                "securityContext": {
                                    "allowPrivilegeEscalation": false,
                                    "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                                    "readOnlyRootFilesystem": true
                                },
                                "livenessProbe": {
                                    "httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"},
                                    "initialDelaySeconds": 60, "timeoutSeconds": 5,
                                    "successThreshold": 1, "failureThreshold": 5
                                },
                                "readinessProbe": {
                                    "httpGet": {"path": "/ready", "port": 8181, "scheme": "HTTP"}
                                }
                            }],
                            "dnsPolicy": "Default",
                            "volumes": [{"name": "config-volume", "configMap": {
                                "name": "coredns",
                                "items": [{"key": "Corefile", "path": "Corefile"}]
                            }}]
                        }
                    }
                }
            }"#,
                &[
                    ("labels", json!(labels)),
                    ("COREDNS_IMAGE", json!(COREDNS_IMAGE)),
                ],
            ),
        ),
        (
            "services",
            manifest(
                r#"{
                "apiVersion": "v1", "kind": "Service",
                "metadata": {
                    "name": "kube-dns", "namespace": "kube-system",
                    "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                               "kubernetes.io/name": "CoreDNS"},
                    "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}
                },
                "spec": {
                    "clusterIP": "${DNS_SERVICE_IP}",
                    "ports": [
                        {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                        {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                        {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}
                    ],
                    "selector": {"k8s-app": "kube-dns"}
                }
            }"#,
                &[("DNS_SERVICE_IP", json!(DNS_SERVICE_IP))],
            ),
        ),
    ]
}

/// kube-proxy's KubeProxyConfiguration as kubeadm writes it for this cluster (iptables mode).
fn kube_proxy_config() -> String {
    format!(
        "apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
bindAddressHardFail: false
clientConnection:
  acceptContentTypes: \"\"
  burst: 0
  contentType: \"\"
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: {CLUSTER_CIDR}
configSyncPeriod: 0s
conntrack:
  maxPerCore: null
  min: null
  tcpCloseWaitTimeout: null
  tcpEstablishedTimeout: null
enableProfiling: false
healthzBindAddress: \"\"
hostnameOverride: \"\"
iptables:
  localhostNodePorts: null
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
kind: KubeProxyConfiguration
metricsBindAddress: \"\"
mode: \"\"
nodePortAddresses: null
oomScoreAdj: null
portRange: \"\"
showHiddenMetricsForVersion: \"\"
"
    )
}

const KUBE_PROXY_KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: https://172.16.20.11:6443
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
";

fn kube_proxy() -> Vec<(&'static str, Value)> {
    let labels = json!({"k8s-app": "kube-proxy"});
    vec![
        service_account("kube-proxy", "kube-system", json!({})),
        // The bootstrap ClusterRole kube-proxy's binding points at (the apiserver's RBAC
        // bootstrap policy; the lab's `boot_rbac` leaves it out).
        (
            "clusterroles",
            manifest(
                r#"{
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": "system:node-proxier",
                             "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
                "rules": [
                    {"apiGroups": [""], "resources": ["endpoints", "services"], "verbs": ["list", "watch"]},
                    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]},
                    {"apiGroups": ["", "events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch", "update"]},
                    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "watch"]}
                ]
            }"#,
                &[],
            ),
        ),
        binding_to_service_account(
            "kubeadm:node-proxier",
            "system:node-proxier",
            "kube-proxy",
            "kube-system",
        ),
        (
            "configmaps",
            manifest(
                r#"{
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "kube-proxy", "namespace": "kube-system",
                             "labels": {"app": "kube-proxy"}},
                "data": {"config.conf": "${kube_proxy_config}", "kubeconfig.conf": "${KUBE_PROXY_KUBECONFIG}"}
            }"#,
                &[
                    ("kube_proxy_config", json!(kube_proxy_config())),
                    ("KUBE_PROXY_KUBECONFIG", json!(KUBE_PROXY_KUBECONFIG)),
                ],
            ),
        ),
        (
            "daemonsets",
            manifest(
                r#"{
                "apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": "${labels}"},
                "spec": {
                    "selector": {"matchLabels": "${labels}"},
                    "updateStrategy": {"type": "RollingUpdate"},
                    "template": {
                        "metadata": {"labels": "${labels}"},
                        "spec": {
                            "containers": [{
                                "name": "kube-proxy",
                                "image": "${KUBE_PROXY_IMAGE}",
                                "imagePullPolicy": "IfNotPresent",
                                "command": [
                                    "/usr/local/bin/kube-proxy",
                                    "--config=/var/lib/kube-proxy/config.conf",
                                    "--hostname-override=$(NODE_NAME)"
                                ],
                                "securityContext": {"privileged": true},
                                "volumeMounts": [
                                    {"mountPath": "/var/lib/kube-proxy", "name": "kube-proxy"},
                                    {"mountPath": "/run/xtables.lock", "name": "xtables-lock"},
                                    {"mountPath": "/lib/modules", "name": "lib-modules", "readOnly": true}
                                ],
                                "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]
                            }],
                            "hostNetwork": true,
                            "serviceAccountName": "kube-proxy",
                            "volumes": [
                                {"name": "kube-proxy", "configMap": {"name": "kube-proxy"}},
                                {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}},
                                {"name": "lib-modules", "hostPath": {"path": "/lib/modules"}}
                            ],
                            "tolerations": [{"operator": "Exists"}],
                            "nodeSelector": {"kubernetes.io/os": "linux"},
                            "priorityClassName": "system-node-critical"
                        }
                    }
                }
            }"#,
                &[
                    ("labels", json!(labels)),
                    ("KUBE_PROXY_IMAGE", json!(KUBE_PROXY_IMAGE)),
                ],
            ),
        ),
    ]
}

const FLANNEL_CNI_CONF: &str = r#"{
  "name": "cbr0",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "flannel",
      "delegate": {
        "hairpinMode": true,
        "isDefaultGateway": true
      }
    },
    {
      "type": "portmap",
      "capabilities": {
        "portMappings": true
      }
    }
  ]
}
"#;

fn flannel_net_conf() -> String {
    format!(
        "{{\n  \"Network\": \"{CLUSTER_CIDR}\",\n  \"EnableNFTables\": false,\n  \"Backend\": {{\n    \"Type\": \"vxlan\"\n  }}\n}}\n"
    )
}

fn flannel() -> Vec<(&'static str, Value)> {
    let flannel_labels = json!({"k8s-app": "flannel"});
    vec![
        (
            "namespaces",
            manifest(
                r#"{
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "kube-flannel", "labels": {
                    "k8s-app": "flannel", "pod-security.kubernetes.io/enforce": "privileged"}}
            }"#,
                &[],
            ),
        ),
        service_account("flannel", "kube-flannel", flannel_labels.clone()),
        (
            "clusterroles",
            manifest(
                r#"{
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": "flannel", "labels": "${flannel_labels}"},
                "rules": [
                    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
                    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]},
                    {"apiGroups": [""], "resources": ["nodes/status"], "verbs": ["patch"]}
                ]
            }"#,
                &[("flannel_labels", json!(flannel_labels))],
            ),
        ),
        binding_to_service_account("flannel", "flannel", "flannel", "kube-flannel"),
        (
            "configmaps",
            manifest(
                r#"{
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "kube-flannel-cfg", "namespace": "kube-flannel",
                             "labels": {"app": "flannel", "k8s-app": "flannel", "tier": "node"}},
                "data": {"cni-conf.json": "${FLANNEL_CNI_CONF}", "net-conf.json": "${flannel_net_conf}"}
            }"#,
                &[
                    ("FLANNEL_CNI_CONF", json!(FLANNEL_CNI_CONF)),
                    ("flannel_net_conf", json!(flannel_net_conf())),
                ],
            ),
        ),
        (
            "daemonsets",
            manifest(
                r#"{
                "apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": {"name": "kube-flannel-ds", "namespace": "kube-flannel",
                             "labels": {"app": "flannel", "k8s-app": "flannel", "tier": "node"}},
                "spec": {
                    "selector": {"matchLabels": {"app": "flannel", "k8s-app": "flannel"}},
                    "template": {
                        "metadata": {"labels": {"app": "flannel", "k8s-app": "flannel", "tier": "node"}},
                        "spec": {
                            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                                "nodeSelectorTerms": [{"matchExpressions": [
                                    {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}
                                ]}]
                            }}},
                            "hostNetwork": true,
                            "priorityClassName": "system-node-critical",
                            "tolerations": [{"operator": "Exists", "effect": "NoSchedule"}],
                            "serviceAccountName": "flannel",
                            "containers": [{
                                "name": "kube-flannel",
                                "image": "${FLANNEL_IMAGE}",
                                "command": ["/opt/bin/flanneld"],
                                "args": ["--ip-masq", "--kube-subnet-mgr"],
                                "resources": {"requests": {"cpu": "100m", "memory": "50Mi"}},
                                "securityContext": {"privileged": false,
                                                    "capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
                                "env": [
                                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                                    {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                                    {"name": "EVENT_QUEUE_DEPTH", "value": "5000"}
                                ],
                                "volumeMounts": [
                                    {"name": "run", "mountPath": "/run/flannel"},
                                    {"name": "flannel-cfg", "mountPath": "/etc/kube-flannel/"},
                                    {"name": "xtables-lock", "mountPath": "/run/xtables.lock"}
                                ]
                            }],
                            "volumes": [
                                {"name": "run", "hostPath": {"path": "/run/flannel"}},
                                {"name": "cni-plugin", "hostPath": {"path": "/opt/cni/bin"}},
                                {"name": "cni", "hostPath": {"path": "/etc/cni/net.d"}},
                                {"name": "flannel-cfg", "configMap": {"name": "kube-flannel-cfg"}},
                                {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}}
                            ]
                        }
                    }
                }
            }"#,
                &[("FLANNEL_IMAGE", json!(FLANNEL_IMAGE))],
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::runtime::registry::{CNI_IMAGE, KUBEADM_IMAGES};

    #[test]
    fn every_add_on_image_is_one_the_lab_registry_serves() {
        for image in [COREDNS_IMAGE, KUBE_PROXY_IMAGE] {
            assert!(KUBEADM_IMAGES.contains(&image), "{image}");
        }
        assert_eq!(FLANNEL_IMAGE, CNI_IMAGE);
    }

    #[test]
    fn priority_classes_come_before_the_pods_that_name_them() {
        let objects = addon_objects();
        let first_workload = objects
            .iter()
            .position(|(r, _, _)| *r == "deployments" || *r == "daemonsets");
        let last_class = objects
            .iter()
            .rposition(|(r, _, _)| *r == "priorityclasses");
        assert!(
            last_class < first_workload,
            "{last_class:?} {first_workload:?}"
        );
    }
}
