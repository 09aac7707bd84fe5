//! Small fixtures for scheduler tests and benchmarks:
//! `node("node1").cpu("1").memory("1Gi").taint("k", "v", "NoSchedule").build()`,
//! `pod("web").request_cpu("500m").node_selector("gpu", "true").build()`.
//!
//! Public (not `#[cfg(test)]`) so that `tests/scheduler_*.rs` and `benches/scheduler.rs` share
//! them; nothing outside tests uses it.

use std::collections::BTreeMap;

use crate::sim::api::core_v1::Quantity;
use crate::sim::api::core_v1::{
    Affinity, Container, ContainerImage, ContainerPort, Node, NodeAffinity, NodeSelector,
    NodeSelectorRequirement, NodeSelectorTerm, NodeSpec, NodeStatus, Pod, PodAffinity,
    PodAffinityTerm, PodAntiAffinity, PodSpec, PreferredSchedulingTerm, ResourceRequirements,
    Taint, Toleration, TopologySpreadConstraint, WeightedPodAffinityTerm,
};
use crate::sim::api::core_v1::{ObjectMeta, OwnerReference};
use crate::sim::api::selector::LabelSelector;

pub struct NodeBuilder {
    node: Node,
}

/// A node with the `kubernetes.io/hostname` label kubelet sets, 110 pods allocatable and no
/// CPU or memory until given some.
pub fn node(name: &str) -> NodeBuilder {
    let mut labels = BTreeMap::new();
    labels.insert("kubernetes.io/hostname".to_string(), name.to_string());
    let mut allocatable = BTreeMap::new();
    allocatable.insert("pods".to_string(), Quantity("110".into()));
    NodeBuilder {
        node: Node {
            metadata: ObjectMeta {
                name: Some(name.into()),
                labels: Some(labels),
                ..Default::default()
            },
            spec: Some(NodeSpec::default()),
            status: Some(NodeStatus {
                allocatable: Some(allocatable),
                ..Default::default()
            }),
        },
    }
}

impl NodeBuilder {
    fn allocatable(mut self, resource: &str, value: &str) -> Self {
        if let Some(status) = self.node.status.as_mut() {
            status
                .allocatable
                .get_or_insert_with(BTreeMap::new)
                .insert(resource.into(), Quantity(value.into()));
        }
        self
    }

    pub fn cpu(self, value: &str) -> Self {
        self.allocatable("cpu", value)
    }

    pub fn cpu_millis(self, millis: i64) -> Self {
        self.allocatable("cpu", &format!("{millis}m"))
    }

    pub fn memory(self, value: &str) -> Self {
        self.allocatable("memory", value)
    }

    pub fn pods(self, count: i64) -> Self {
        self.allocatable("pods", &count.to_string())
    }

    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.node
            .metadata
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    pub fn taint(mut self, key: &str, value: &str, effect: &str) -> Self {
        if let Some(spec) = self.node.spec.as_mut() {
            spec.taints.get_or_insert_with(Vec::new).push(Taint {
                key: key.into(),
                value: (!value.is_empty()).then(|| value.into()),
                effect: effect.into(),
            });
        }
        self
    }

    pub fn unschedulable(mut self) -> Self {
        if let Some(spec) = self.node.spec.as_mut() {
            spec.unschedulable = Some(true);
        }
        self
    }

    pub fn image(mut self, names: &[&str], size_bytes: i64) -> Self {
        if let Some(status) = self.node.status.as_mut() {
            status
                .images
                .get_or_insert_with(Vec::new)
                .push(ContainerImage {
                    names: Some(names.iter().map(|n| n.to_string()).collect()),
                    size_bytes: Some(size_bytes),
                });
        }
        self
    }

    pub fn build(self) -> Node {
        self.node
    }
}

pub struct PodBuilder {
    pod: Pod,
}

/// A pod in `default` with one container `app` running `nginx`, requesting nothing.
pub fn pod(name: &str) -> PodBuilder {
    PodBuilder {
        pod: Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                uid: Some(format!("uid-{name}")),
                ..Default::default()
            },
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "app".into(),
                    image: Some("nginx".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            status: None,
        },
    }
}

impl PodBuilder {
    fn spec(&mut self) -> &mut PodSpec {
        self.pod.spec.get_or_insert_with(PodSpec::default)
    }

    fn request(mut self, resource: &str, value: &str) -> Self {
        if let Some(c) = self.spec().containers.first_mut() {
            c.resources
                .get_or_insert_with(ResourceRequirements::default)
                .requests
                .get_or_insert_with(BTreeMap::new)
                .insert(resource.into(), Quantity(value.into()));
        }
        self
    }

    pub fn request_cpu(self, value: &str) -> Self {
        self.request("cpu", value)
    }

    pub fn request_memory(self, value: &str) -> Self {
        self.request("memory", value)
    }

    pub fn namespace(mut self, namespace: &str) -> Self {
        self.pod.metadata.namespace = Some(namespace.into());
        self
    }

    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.pod
            .metadata
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    pub fn image(mut self, image: &str) -> Self {
        if let Some(c) = self.spec().containers.first_mut() {
            c.image = Some(image.into());
        }
        self
    }

    /// Adds a container (for multi-container image tests).
    pub fn container(mut self, name: &str, image: &str) -> Self {
        self.spec().containers.push(Container {
            name: name.into(),
            image: Some(image.into()),
            ..Default::default()
        });
        self
    }

    pub fn host_port(mut self, protocol: &str, host_ip: &str, port: i32) -> Self {
        if let Some(c) = self.spec().containers.first_mut() {
            c.ports.get_or_insert_with(Vec::new).push(ContainerPort {
                host_port: Some(port),
                host_ip: (!host_ip.is_empty()).then(|| host_ip.into()),
                protocol: Some(protocol.into()),
            });
        }
        self
    }

    pub fn node_name(mut self, node: &str) -> Self {
        self.spec().node_name = Some(node.into());
        self
    }

    pub fn node_selector(mut self, key: &str, value: &str) -> Self {
        self.spec()
            .node_selector
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    fn node_affinity(&mut self) -> &mut NodeAffinity {
        self.spec()
            .affinity
            .get_or_insert_with(Affinity::default)
            .node_affinity
            .get_or_insert_with(NodeAffinity::default)
    }

    /// A required node affinity term with one expression (`key op values`); each call adds a term.
    pub fn required_node_affinity(mut self, key: &str, op: &str, values: &[&str]) -> Self {
        let term = NodeSelectorTerm {
            match_expressions: Some(vec![NodeSelectorRequirement {
                key: key.into(),
                operator: op.into(),
                values: Some(values.iter().map(|v| v.to_string()).collect()),
            }]),
            match_fields: None,
        };
        self.node_affinity()
            .required_during_scheduling_ignored_during_execution
            .get_or_insert_with(NodeSelector::default)
            .node_selector_terms
            .push(term);
        self
    }

    pub fn preferred_node_affinity(
        mut self,
        weight: i32,
        key: &str,
        op: &str,
        values: &[&str],
    ) -> Self {
        let term = PreferredSchedulingTerm {
            weight,
            preference: NodeSelectorTerm {
                match_expressions: Some(vec![NodeSelectorRequirement {
                    key: key.into(),
                    operator: op.into(),
                    values: Some(values.iter().map(|v| v.to_string()).collect()),
                }]),
                match_fields: None,
            },
        };
        self.node_affinity()
            .preferred_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(term);
        self
    }

    pub fn toleration(mut self, key: &str, operator: &str, value: &str, effect: &str) -> Self {
        self.spec()
            .tolerations
            .get_or_insert_with(Vec::new)
            .push(Toleration {
                key: (!key.is_empty()).then(|| key.into()),
                operator: (!operator.is_empty()).then(|| operator.into()),
                value: (!value.is_empty()).then(|| value.into()),
                effect: (!effect.is_empty()).then(|| effect.into()),
                toleration_seconds: None,
            });
        self
    }

    pub fn priority(mut self, priority: i32) -> Self {
        self.spec().priority = Some(priority);
        self
    }

    pub fn priority_class(mut self, class: &str) -> Self {
        self.spec().priority_class_name = Some(class.into());
        self
    }

    pub fn preemption_policy(mut self, policy: &str) -> Self {
        self.spec().preemption_policy = Some(policy.into());
        self
    }

    pub fn owner(mut self, kind: &str, name: &str) -> Self {
        self.pod
            .metadata
            .owner_references
            .get_or_insert_with(Vec::new)
            .push(OwnerReference {
                api_version: "apps/v1".into(),
                kind: kind.into(),
                name: name.into(),
                uid: format!("uid-{name}"),
                controller: Some(true),
                block_owner_deletion: Some(true),
            });
        self
    }

    /// A topology spread constraint over pods with label `app=<app>`.
    pub fn spread(
        mut self,
        max_skew: i32,
        topology_key: &str,
        when_unsatisfiable: &str,
        app: &str,
    ) -> Self {
        let constraint = TopologySpreadConstraint {
            max_skew,
            topology_key: topology_key.into(),
            when_unsatisfiable: when_unsatisfiable.into(),
            label_selector: Some(match_labels("app", app)),
            ..Default::default()
        };
        self.spec()
            .topology_spread_constraints
            .get_or_insert_with(Vec::new)
            .push(constraint);
        self
    }

    fn affinity(&mut self) -> &mut Affinity {
        self.spec().affinity.get_or_insert_with(Affinity::default)
    }

    /// Required pod affinity to pods labelled `key=value` in the same `topology_key` domain.
    pub fn pod_affinity(mut self, key: &str, value: &str, topology_key: &str) -> Self {
        let term = affinity_term(key, value, topology_key);
        self.affinity()
            .pod_affinity
            .get_or_insert_with(PodAffinity::default)
            .required_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(term);
        self
    }

    pub fn pod_anti_affinity(mut self, key: &str, value: &str, topology_key: &str) -> Self {
        let term = affinity_term(key, value, topology_key);
        self.affinity()
            .pod_anti_affinity
            .get_or_insert_with(PodAntiAffinity::default)
            .required_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(term);
        self
    }

    pub fn preferred_pod_affinity(
        mut self,
        weight: i32,
        key: &str,
        value: &str,
        topology_key: &str,
    ) -> Self {
        let term = WeightedPodAffinityTerm {
            weight,
            pod_affinity_term: affinity_term(key, value, topology_key),
        };
        self.affinity()
            .pod_affinity
            .get_or_insert_with(PodAffinity::default)
            .preferred_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(term);
        self
    }

    pub fn preferred_pod_anti_affinity(
        mut self,
        weight: i32,
        key: &str,
        value: &str,
        topology_key: &str,
    ) -> Self {
        let term = WeightedPodAffinityTerm {
            weight,
            pod_affinity_term: affinity_term(key, value, topology_key),
        };
        self.affinity()
            .pod_anti_affinity
            .get_or_insert_with(PodAntiAffinity::default)
            .preferred_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(term);
        self
    }

    pub fn build(self) -> Pod {
        self.pod
    }
}

pub fn match_labels(key: &str, value: &str) -> LabelSelector {
    let mut labels = BTreeMap::new();
    labels.insert(key.to_string(), value.to_string());
    LabelSelector {
        match_labels: labels,
        match_expressions: Vec::new(),
    }
}

fn affinity_term(key: &str, value: &str, topology_key: &str) -> PodAffinityTerm {
    PodAffinityTerm {
        label_selector: Some(match_labels(key, value)),
        topology_key: topology_key.into(),
        ..Default::default()
    }
}

/// The course's lab cluster: `master` (2 CPU, 1 GiB, control-plane NoSchedule taint), `node1`
/// and `node2` (1 CPU, 1 GiB each), no pods.
pub fn lab_nodes() -> Vec<Node> {
    vec![
        node("master")
            .cpu("2")
            .memory("1Gi")
            .label("node-role.kubernetes.io/control-plane", "")
            .taint("node-role.kubernetes.io/control-plane", "", "NoSchedule")
            .build(),
        node("node1").cpu("1").memory("1Gi").build(),
        node("node2").cpu("1").memory("1Gi").build(),
    ]
}

use super::framework::{Code, CycleState, ExtensionPoint, NodeScore, Plugin, Status};
use super::node_info::Snapshot;

/// Runs one plugin's PreFilter then Filter for `pod` on each node (with `existing` pods bound),
/// as the framework would: a PreFilter `Skip` means Filter passes. Returns one status per node.
pub fn filter_each(
    plugin: &dyn Plugin,
    pod: &Pod,
    nodes: Vec<Node>,
    existing: Vec<Pod>,
) -> Vec<Status> {
    let snapshot = Snapshot::from_objects(nodes, existing);
    let info = snapshot.pod_info(pod);
    let mut state = CycleState::default();
    let pre = if plugin
        .extension_points()
        .contains(&ExtensionPoint::PreFilter)
    {
        plugin.pre_filter(&info, &snapshot, &mut state)
    } else {
        Status::success()
    };
    snapshot
        .nodes()
        .iter()
        .map(|n| match pre.code {
            Code::Skip => Status::success(),
            Code::Success => plugin.filter(&info, n, &state),
            _ => pre.clone(),
        })
        .collect()
}

/// The one node's Filter status.
pub fn filter_one(plugin: &dyn Plugin, pod: &Pod, node: Node) -> Status {
    filter_each(plugin, pod, vec![node], vec![])
        .pop()
        .unwrap_or_else(Status::success)
}

/// Runs PreScore, Score and NormalizeScore over all nodes (all treated as feasible); a skipped
/// plugin scores every node 0, as the framework does.
pub fn score_each(
    plugin: &dyn Plugin,
    pod: &Pod,
    nodes: Vec<Node>,
    existing: Vec<Pod>,
) -> Vec<i64> {
    let snapshot = Snapshot::from_objects(nodes, existing);
    let info = snapshot.pod_info(pod);
    let mut state = CycleState::default();
    let feasible: Vec<usize> = (0..snapshot.len()).collect();
    if plugin
        .extension_points()
        .contains(&ExtensionPoint::PreScore)
        && plugin
            .pre_score(&info, &snapshot, &feasible, &mut state)
            .code
            == Code::Skip
    {
        return vec![0; snapshot.len()];
    }
    let mut scores: Vec<NodeScore> = feasible
        .iter()
        .map(|&i| NodeScore {
            node: i,
            score: plugin.score(&info, &snapshot.nodes()[i], &snapshot, &state),
        })
        .collect();
    plugin.normalize_score(&info, &mut scores, &state);
    scores.iter().map(|s| s.score).collect()
}
