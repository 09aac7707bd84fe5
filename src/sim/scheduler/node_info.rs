//! What the scheduler knows about each node and pod during a cycle.
//!
//! Mirrors: `pkg/scheduler/framework/types.go` (`NodeInfo`, `PodInfo`, `Resource`,
//! `HostPortInfo`, `ImageStateSummary`) and `pkg/scheduler/util` (`DefaultMilliCPURequest`,
//! `DefaultMemoryRequest`), `k8s.io/component-helpers/resource` (`PodRequests`).
//! Simplified: no extended/scalar resources, no pod-level resources, no in-place resize status;
//! ephemeral-storage is tracked but only checked when a pod requests it.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::sim::api::core_v1::{Node, Pod, Quantity, Taint};
use crate::sim::api::selector::LabelSelector;

use super::labels::Labels;
use super::quantity;

/// Requests of a pod that states none still count this much CPU when *scoring* (not fitting),
/// so that many best-effort pods do not all land on one node (`schedutil.DefaultMilliCPURequest`).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// 200 MiB, `schedutil.DefaultMemoryRequest`.
pub const DEFAULT_MEMORY_REQUEST_BYTES: i64 = 200 * 1024 * 1024;

/// An amount of each resource the scheduler accounts for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Resources {
    pub cpu_millis: i64,
    pub memory_bytes: i64,
    pub ephemeral_storage_bytes: i64,
    /// Only meaningful for allocatable: how many pods the node accepts (`pods: 110`).
    pub pods: i64,
}

impl Resources {
    fn add(&mut self, other: &Resources) {
        self.cpu_millis += other.cpu_millis;
        self.memory_bytes += other.memory_bytes;
        self.ephemeral_storage_bytes += other.ephemeral_storage_bytes;
    }

    fn sub(&mut self, other: &Resources) {
        self.cpu_millis -= other.cpu_millis;
        self.memory_bytes -= other.memory_bytes;
        self.ephemeral_storage_bytes -= other.ephemeral_storage_bytes;
    }

    fn max(&mut self, other: &Resources) {
        self.cpu_millis = self.cpu_millis.max(other.cpu_millis);
        self.memory_bytes = self.memory_bytes.max(other.memory_bytes);
        self.ephemeral_storage_bytes = self
            .ephemeral_storage_bytes
            .max(other.ephemeral_storage_bytes);
    }

    fn from_list(list: Option<&BTreeMap<String, Quantity>>) -> Resources {
        let mut r = Resources::default();
        let Some(list) = list else { return r };
        if let Some(q) = list.get("cpu") {
            r.cpu_millis = quantity::cpu_millis(&q.0);
        }
        if let Some(q) = list.get("memory") {
            r.memory_bytes = quantity::bytes(&q.0);
        }
        if let Some(q) = list.get("ephemeral-storage") {
            r.ephemeral_storage_bytes = quantity::bytes(&q.0);
        }
        if let Some(q) = list.get("pods") {
            r.pods = quantity::count(&q.0);
        }
        r
    }
}

/// One host port a pod asks for: `(protocol, hostIP, hostPort)`; an empty hostIP means 0.0.0.0.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HostPort {
    pub protocol: String,
    pub ip: String,
    pub port: i32,
}

impl HostPort {
    /// Two host ports conflict on the same protocol and port when either listens on every
    /// address or both on the same one (`HostPortInfo.CheckConflict`).
    pub fn conflicts_with(&self, other: &HostPort) -> bool {
        self.port == other.port
            && self.protocol == other.protocol
            && (self.ip == "0.0.0.0" || other.ip == "0.0.0.0" || self.ip == other.ip)
    }
}

/// A pod as the scheduler reads it, with its requests summed once.
#[derive(Clone, Debug)]
pub struct PodInfo {
    pub pod: Arc<Pod>,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub labels: Labels,
    /// `spec.priority`, or resolved from its PriorityClass when admission did not set it.
    pub priority: i32,
    pub preemption_policy_never: bool,
    /// `spec.nodeName`, empty while pending.
    pub node_name: String,
    pub nominated_node_name: String,
    /// What the pod needs to fit: `max(sum(containers), max(initContainers)) + overhead`.
    pub requests: Resources,
    /// The same with the scoring defaults for containers that request nothing.
    pub non_zero_requests: Resources,
    pub host_ports: Vec<HostPort>,
    /// Container images, normalized with `:latest` when untagged (ImageLocality).
    pub images: Vec<String>,
    pub terminating: bool,
    /// Seconds since the epoch of `status.startTime`, or creation; for "more important pod".
    pub start_time_seconds: i64,
    pub has_affinity: bool,
    pub has_required_anti_affinity: bool,
}

impl PodInfo {
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    pub fn spec(&self) -> Option<&crate::sim::api::core_v1::PodSpec> {
        self.pod.spec.as_ref()
    }

    /// Builds the scheduler's view of a pod. `priority_of_class` resolves a PriorityClass name.
    pub fn new(pod: Arc<Pod>, priority_of_class: impl Fn(Option<&str>) -> (i32, bool)) -> PodInfo {
        let meta = &pod.metadata;
        let spec = pod.spec.as_ref();
        let (class_priority, class_never) =
            priority_of_class(spec.and_then(|s| s.priority_class_name.as_deref()));
        let priority = spec.and_then(|s| s.priority).unwrap_or(class_priority);
        let preemption_policy_never = match spec.and_then(|s| s.preemption_policy.as_deref()) {
            Some(p) => p == "Never",
            None => class_never,
        };

        let mut requests = Resources::default();
        let mut non_zero = Resources::default();
        let mut host_ports = Vec::new();
        let mut images = Vec::new();
        if let Some(spec) = spec {
            for c in &spec.containers {
                let r =
                    Resources::from_list(c.resources.as_ref().and_then(|r| r.requests.as_ref()));
                requests.add(&r);
                non_zero.add(&non_zero_of(&r));
                for p in c.ports.iter().flatten() {
                    if let Some(host_port) = p.host_port.filter(|hp| *hp > 0) {
                        host_ports.push(HostPort {
                            protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                            ip: p
                                .host_ip
                                .clone()
                                .filter(|ip| !ip.is_empty())
                                .unwrap_or_else(|| "0.0.0.0".into()),
                            port: host_port,
                        });
                    }
                }
            }
            // Init containers run one at a time before the app containers, so the pod needs the
            // largest of them, not their sum; restartable (sidecar) init containers keep running
            // and add to everything after them.
            let mut init_max = Resources::default();
            let mut init_max_nz = Resources::default();
            let mut sidecars = Resources::default();
            let mut sidecars_nz = Resources::default();
            for c in spec.init_containers.iter().flatten() {
                let r =
                    Resources::from_list(c.resources.as_ref().and_then(|r| r.requests.as_ref()));
                let nz = non_zero_of(&r);
                if c.restart_policy.as_deref() == Some("Always") {
                    sidecars.add(&r);
                    sidecars_nz.add(&nz);
                    init_max.max(&sidecars);
                    init_max_nz.max(&sidecars_nz);
                } else {
                    let mut with = sidecars;
                    with.add(&r);
                    let mut with_nz = sidecars_nz;
                    with_nz.add(&nz);
                    init_max.max(&with);
                    init_max_nz.max(&with_nz);
                }
            }
            requests.add(&sidecars);
            non_zero.add(&sidecars_nz);
            requests.max(&init_max);
            non_zero.max(&init_max_nz);
            let overhead = Resources::from_list(spec.overhead.as_ref());
            requests.add(&overhead);
            non_zero.add(&overhead);
            for c in spec
                .init_containers
                .iter()
                .flatten()
                .chain(spec.containers.iter())
            {
                if let Some(image) = &c.image {
                    images.push(normalized_image_name(image));
                }
            }
        }
        let affinity = spec.and_then(|s| s.affinity.as_ref());
        let has_affinity =
            affinity.is_some_and(|a| a.pod_affinity.is_some() || a.pod_anti_affinity.is_some());
        let has_required_anti_affinity = affinity
            .and_then(|a| a.pod_anti_affinity.as_ref())
            .and_then(|a| {
                a.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .is_some_and(|terms| !terms.is_empty());
        let status = pod.status.as_ref();
        let start_time_seconds = status
            .and_then(|s| s.start_time.as_ref())
            .or(meta.creation_timestamp.as_ref())
            .map(|t| t.unix_seconds)
            .unwrap_or(0);
        PodInfo {
            namespace: meta.namespace.clone().unwrap_or_else(|| "default".into()),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
            labels: meta.labels.clone().unwrap_or_default(),
            priority,
            preemption_policy_never,
            node_name: spec.and_then(|s| s.node_name.clone()).unwrap_or_default(),
            nominated_node_name: status
                .and_then(|s| s.nominated_node_name.clone())
                .unwrap_or_default(),
            requests,
            non_zero_requests: non_zero,
            host_ports,
            images,
            terminating: meta.deletion_timestamp.is_some(),
            start_time_seconds,
            has_affinity,
            has_required_anti_affinity,
            pod,
        }
    }
}

fn non_zero_of(r: &Resources) -> Resources {
    Resources {
        cpu_millis: if r.cpu_millis == 0 {
            DEFAULT_MILLI_CPU_REQUEST
        } else {
            r.cpu_millis
        },
        memory_bytes: if r.memory_bytes == 0 {
            DEFAULT_MEMORY_REQUEST_BYTES
        } else {
            r.memory_bytes
        },
        ephemeral_storage_bytes: r.ephemeral_storage_bytes,
        pods: 0,
    }
}

/// `nginx` → `nginx:latest`; a tag or digest is kept as written (`normalizedImageName`).
pub fn normalized_image_name(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') || last.contains('@') {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

/// A node and the pods the scheduler believes run on it (bound or assumed).
#[derive(Clone, Debug)]
pub struct NodeInfo {
    pub node: Arc<Node>,
    pub name: String,
    pub labels: Labels,
    pub unschedulable: bool,
    pub taints: Vec<Taint>,
    pub allocatable: Resources,
    /// Sum of the pods' requests, what NodeResourcesFit checks against allocatable.
    pub requested: Resources,
    /// Sum with scoring defaults for pods that request nothing (LeastAllocated scores this).
    pub non_zero_requested: Resources,
    pub pods: Vec<PodInfo>,
    pub used_ports: Vec<HostPort>,
    /// Image name → size in bytes, every name (tags and digests) of every image on the node.
    pub image_sizes: BTreeMap<String, i64>,
    pub pods_with_affinity: usize,
    pub pods_with_required_anti_affinity: usize,
}

impl NodeInfo {
    pub fn new(node: Arc<Node>) -> NodeInfo {
        let spec = node.spec.as_ref();
        let status = node.status.as_ref();
        let mut image_sizes = BTreeMap::new();
        for image in status.and_then(|s| s.images.as_ref()).into_iter().flatten() {
            for name in image.names.iter().flatten() {
                image_sizes.insert(name.clone(), image.size_bytes.unwrap_or(0));
            }
        }
        NodeInfo {
            name: node.metadata.name.clone().unwrap_or_default(),
            labels: node.metadata.labels.clone().unwrap_or_default(),
            unschedulable: spec.and_then(|s| s.unschedulable).unwrap_or(false),
            taints: spec.and_then(|s| s.taints.clone()).unwrap_or_default(),
            allocatable: Resources::from_list(status.and_then(|s| s.allocatable.as_ref())),
            requested: Resources::default(),
            non_zero_requested: Resources::default(),
            pods: Vec::new(),
            used_ports: Vec::new(),
            image_sizes,
            pods_with_affinity: 0,
            pods_with_required_anti_affinity: 0,
            node,
        }
    }

    pub fn add_pod(&mut self, pod: PodInfo) {
        self.requested.add(&pod.requests);
        self.non_zero_requested.add(&pod.non_zero_requests);
        self.used_ports.extend(pod.host_ports.iter().cloned());
        self.pods_with_affinity += usize::from(pod.has_affinity);
        self.pods_with_required_anti_affinity += usize::from(pod.has_required_anti_affinity);
        self.pods.push(pod);
    }

    /// Removes the pod with this namespace/name; returns it if it was there.
    pub fn remove_pod(&mut self, namespace: &str, name: &str) -> Option<PodInfo> {
        let i = self
            .pods
            .iter()
            .position(|p| p.namespace == namespace && p.name == name)?;
        let pod = self.pods.remove(i);
        self.requested.sub(&pod.requests);
        self.non_zero_requested.sub(&pod.non_zero_requests);
        for port in &pod.host_ports {
            if let Some(j) = self.used_ports.iter().position(|p| p == port) {
                self.used_ports.remove(j);
            }
        }
        self.pods_with_affinity -= usize::from(pod.has_affinity);
        self.pods_with_required_anti_affinity -= usize::from(pod.has_required_anti_affinity);
        Some(pod)
    }
}

/// A PriorityClass as the scheduler needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriorityClassInfo {
    pub value: i32,
    pub global_default: bool,
    pub preemption_policy_never: bool,
}

/// Everything one scheduling cycle reads: nodes in a fixed order (by name), the pods on them,
/// and the cluster-wide facts some plugins need. Upstream takes this snapshot of its cache at the
/// start of every cycle, so a cycle never sees the cluster change under it.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    nodes: Vec<NodeInfo>,
    index: BTreeMap<String, usize>,
    /// How many nodes have each image (ImageLocality spreads its score by this).
    image_num_nodes: BTreeMap<String, usize>,
    pub priority_classes: BTreeMap<String, Box<PriorityClassInfo>>,
    /// Selectors of the controllers (ReplicaSet, StatefulSet, ReplicationController) and Services
    /// a pod belongs to, keyed `namespace/Kind/name`: PodTopologySpread's system default
    /// constraints spread a pod among the pods these select.
    pub controller_selectors: BTreeMap<String, Box<LabelSelector>>,
    /// Pods whose node is not (yet) in the snapshot, so they appear when it does.
    orphans: Vec<PodInfo>,
    /// Pods with (anti-)affinity on the nodes, kept as a count so a cycle need not walk them.
    pods_with_affinity: usize,
}

impl Snapshot {
    pub fn new() -> Snapshot {
        Snapshot::default()
    }

    /// A snapshot of these nodes and the pods bound to them (pods without `spec.nodeName` are
    /// ignored: they are what the scheduler schedules, not what it schedules around).
    pub fn from_objects(
        nodes: impl IntoIterator<Item = Node>,
        pods: impl IntoIterator<Item = Pod>,
    ) -> Snapshot {
        let mut snapshot = Snapshot::new();
        for node in nodes {
            snapshot.upsert_node(node);
        }
        for pod in pods {
            snapshot.add_pod(pod);
        }
        snapshot
    }

    pub fn nodes(&self) -> &[NodeInfo] {
        &self.nodes
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.index.get(name).map(|&i| &self.nodes[i])
    }

    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    pub fn image_num_nodes(&self, image: &str) -> usize {
        self.image_num_nodes.get(image).copied().unwrap_or(0)
    }

    /// Adds a node or replaces it, keeping the pods already accounted on it.
    pub fn upsert_node(&mut self, node: Node) {
        let mut info = NodeInfo::new(Arc::new(node));
        let name = info.name.clone();
        if let Some(&i) = self.index.get(&name) {
            let old = std::mem::replace(&mut self.nodes[i], info);
            self.forget_images(&old);
            self.count_images(i);
            for pod in old.pods {
                self.nodes[i].add_pod(pod);
            }
        } else {
            let orphans = std::mem::take(&mut self.orphans);
            for pod in orphans {
                if pod.node_name == name {
                    self.pods_with_affinity += usize::from(pod.has_affinity);
                    info.add_pod(pod);
                } else {
                    self.orphans.push(pod);
                }
            }
            let at = self.nodes.partition_point(|n| n.name < name);
            self.nodes.insert(at, info);
            self.reindex();
            self.count_images(at);
        }
    }

    pub fn remove_node(&mut self, name: &str) -> Option<NodeInfo> {
        let i = self.index.get(name).copied()?;
        let node = self.nodes.remove(i);
        self.pods_with_affinity -= node.pods_with_affinity;
        self.forget_images(&node);
        self.reindex();
        Some(node)
    }

    fn reindex(&mut self) {
        self.index = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
    }

    fn count_images(&mut self, i: usize) {
        for image in self.nodes[i].image_sizes.keys() {
            *self.image_num_nodes.entry(image.clone()).or_insert(0) += 1;
        }
    }

    fn forget_images(&mut self, node: &NodeInfo) {
        for image in node.image_sizes.keys() {
            if let Some(n) = self.image_num_nodes.get_mut(image) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.image_num_nodes.remove(image);
                }
            }
        }
    }

    /// Resolves a PriorityClass name to its value and preemption policy; no name means the
    /// global default class, or 0 (upstream's admission plugin does this when a pod is created).
    pub fn priority_of_class(&self, class: Option<&str>) -> (i32, bool) {
        let found = match class {
            Some(name) => self.priority_classes.get(name),
            None => self.priority_classes.values().find(|c| c.global_default),
        };
        found.map_or((0, false), |c| (c.value, c.preemption_policy_never))
    }

    pub fn pod_info(&self, pod: &Pod) -> PodInfo {
        self.pod_info_arc(Arc::new(pod.clone()))
    }

    pub fn pod_info_arc(&self, pod: Arc<Pod>) -> PodInfo {
        PodInfo::new(pod, |class| self.priority_of_class(class))
    }

    /// Accounts a pod bound (or assumed) to `spec.nodeName`. Returns false when it has none.
    pub fn add_pod(&mut self, pod: Pod) -> bool {
        let info = self.pod_info(&pod);
        self.add_pod_info(info)
    }

    pub fn add_pod_info(&mut self, info: PodInfo) -> bool {
        if info.node_name.is_empty() {
            return false;
        }
        match self.index.get(&info.node_name) {
            Some(&i) => {
                self.pods_with_affinity += usize::from(info.has_affinity);
                self.nodes[i].add_pod(info)
            }
            None => self.orphans.push(info),
        }
        true
    }

    /// Reserve: the scheduler assumes the pod is on the node before the binding is confirmed, so
    /// the next cycle already counts its requests (upstream's `AssumePod`).
    pub fn assume(&mut self, pod: &PodInfo, node_name: &str) -> bool {
        let mut assumed = pod.clone();
        assumed.node_name = node_name.to_string();
        if !self.index.contains_key(node_name) {
            return false;
        }
        self.add_pod_info(assumed)
    }

    pub fn remove_pod(&mut self, namespace: &str, name: &str, node_name: &str) -> Option<PodInfo> {
        match self.index.get(node_name) {
            Some(&i) => {
                let removed = self.nodes[i].remove_pod(namespace, name)?;
                self.pods_with_affinity -= usize::from(removed.has_affinity);
                Some(removed)
            }
            None => {
                let i = self
                    .orphans
                    .iter()
                    .position(|p| p.namespace == namespace && p.name == name)?;
                Some(self.orphans.remove(i))
            }
        }
    }

    /// Whether any pod on any node has (anti-)affinity terms: InterPodAffinity skips its work
    /// when none has and the incoming pod has none either.
    pub fn have_pods_with_affinity(&self) -> bool {
        self.pods_with_affinity > 0
    }
}
