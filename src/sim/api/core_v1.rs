//! Lean typed views of the kinds the scheduler and the network components read: Pod, Node,
//! Service and EndpointSlice.
//!
//! Mirrors: the `k8s-openapi` structs of the same names (`api::core::v1`, `api::discovery::v1`,
//! `ObjectMeta`, `OwnerReference`, `Quantity`, `IntOrString`): same type names, field names, field
//! types and wire names, and the same decoding rules (unknown keys ignored, `null` or a missing
//! required field read as its default). The label selectors inside affinity terms and spread
//! constraints are [`crate::sim::api::selector::LabelSelector`], the one the controllers use.
//! Simplified: fields that no reader here looks at (volumes, probes, env, security contexts,
//! container statuses, conditions, addresses, node system info, managedFields, resource limits and
//! claims, load-balancer port statuses, ...) are left out. Kept although nothing reads them: every
//! field of `Toleration` and `OwnerReference`, because the scheduling queue compares pod specs and
//! metadata (`is_pod_updated`), and tolerations and owner references may change on a live pod.
//! Why: every `Deserialize` of a `k8s-openapi` type tree is monomorphised with serde_json's Value
//! deserializer; the whole Pod and Node trees (every volume source, probe and status type)
//! measured as the largest block of the wasm module (README, "Size"), and the leaf types still
//! linked the crate into the module. `k8s-openapi`'s `Time` holds a `jiff::Timestamp`, whose parser
//! and error texts cost more than everything else a view reads; the local [`Time`] reads the text
//! with [`crate::sim::clock::parse_go_time`]. The `apiVersion`/`kind` check of the typed decoders is
//! not repeated: these views are only read from watch events of their own resource. A reader that
//! needs another field adds it here, with its wire name; `tests/typed_views.rs` checks every wire
//! name against `schema.txt`, which is generated from `k8s-openapi`.
//!
//! `Serialize` is derived for that test (and for nothing in the page: code that is never called
//! is not linked).

use std::collections::BTreeMap;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sim::api::selector::LabelSelector;
use crate::sim::clock::{parse_go_time, rfc3339_from_unix, TimeLayout};

/// A required field of a `k8s-openapi` type: `null` or missing reads as its default, as there.
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `Time` (meta.v1): an instant, written as RFC 3339 text (`2025-06-01T00:00:00Z`). Read as
/// `metav1.Time` reads it (Go's `time.Parse(time.RFC3339, ...)`, refusing what that refuses, with
/// its error text), kept as whole Unix seconds: the fraction is dropped, as `metav1.Time` drops it
/// when it writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time {
    pub unix_seconds: i64,
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Rfc3339;
        impl Visitor<'_> for Rfc3339 {
            type Value = Time;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(TIME_EXPECTED)
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Time, E> {
                parse_go_time(text, TimeLayout::Rfc3339)
                    .map(|unix_seconds| Time { unix_seconds })
                    .map_err(E::custom)
            }
        }
        d.deserialize_str(Rfc3339)
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&rfc3339_from_unix(self.unix_seconds))
    }
}

/// What a `Time` or `MicroTime` of the wrong JSON type is refused as expecting, the wording of the
/// `jiff` decoder behind `k8s-openapi`'s: ``invalid type: integer `5`, expected a timestamp
/// string``.
pub const TIME_EXPECTED: &str = "a timestamp string";

/// `Pod` (core.v1), the fields the scheduler and network read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Pod {
    #[serde(rename = "metadata", deserialize_with = "null_default")]
    pub metadata: ObjectMeta,
    #[serde(rename = "spec")]
    pub spec: Option<PodSpec>,
    #[serde(rename = "status")]
    pub status: Option<PodStatus>,
}

/// `PodSpec` (core.v1), the fields the scheduler and network read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct PodSpec {
    #[serde(rename = "activeDeadlineSeconds")]
    pub active_deadline_seconds: Option<i64>,
    #[serde(rename = "affinity")]
    pub affinity: Option<Affinity>,
    #[serde(rename = "automountServiceAccountToken")]
    pub automount_service_account_token: Option<bool>,
    #[serde(rename = "containers", deserialize_with = "null_default")]
    pub containers: Vec<Container>,
    #[serde(rename = "dnsPolicy")]
    pub dns_policy: Option<String>,
    #[serde(rename = "enableServiceLinks")]
    pub enable_service_links: Option<bool>,
    #[serde(rename = "hostIPC")]
    pub host_ipc: Option<bool>,
    #[serde(rename = "hostNetwork")]
    pub host_network: Option<bool>,
    #[serde(rename = "hostPID")]
    pub host_pid: Option<bool>,
    #[serde(rename = "hostUsers")]
    pub host_users: Option<bool>,
    #[serde(rename = "hostname")]
    pub hostname: Option<String>,
    #[serde(rename = "hostnameOverride")]
    pub hostname_override: Option<String>,
    #[serde(rename = "initContainers")]
    pub init_containers: Option<Vec<Container>>,
    #[serde(rename = "nodeName")]
    pub node_name: Option<String>,
    #[serde(rename = "nodeSelector")]
    pub node_selector: Option<BTreeMap<String, String>>,
    #[serde(rename = "overhead")]
    pub overhead: Option<BTreeMap<String, Quantity>>,
    #[serde(rename = "preemptionPolicy")]
    pub preemption_policy: Option<String>,
    #[serde(rename = "priority")]
    pub priority: Option<i32>,
    #[serde(rename = "priorityClassName")]
    pub priority_class_name: Option<String>,
    #[serde(rename = "resources")]
    pub resources: Option<ResourceRequirements>,
    #[serde(rename = "restartPolicy")]
    pub restart_policy: Option<String>,
    #[serde(rename = "runtimeClassName")]
    pub runtime_class_name: Option<String>,
    #[serde(rename = "schedulerName")]
    pub scheduler_name: Option<String>,
    #[serde(rename = "serviceAccount")]
    pub service_account: Option<String>,
    #[serde(rename = "serviceAccountName")]
    pub service_account_name: Option<String>,
    #[serde(rename = "setHostnameAsFQDN")]
    pub set_hostname_as_fqdn: Option<bool>,
    #[serde(rename = "shareProcessNamespace")]
    pub share_process_namespace: Option<bool>,
    #[serde(rename = "subdomain")]
    pub subdomain: Option<String>,
    #[serde(rename = "terminationGracePeriodSeconds")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(rename = "tolerations")]
    pub tolerations: Option<Vec<Toleration>>,
    #[serde(rename = "topologySpreadConstraints")]
    pub topology_spread_constraints: Option<Vec<TopologySpreadConstraint>>,
}

/// `PodStatus` (core.v1), the fields the scheduler and network read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct PodStatus {
    #[serde(rename = "allocatedResources")]
    pub allocated_resources: Option<BTreeMap<String, Quantity>>,
    /// Read by the scheduler, which writes `PodScheduled=False` only when it changes.
    #[serde(rename = "conditions")]
    pub conditions: Option<Vec<PodCondition>>,
    #[serde(rename = "hostIP")]
    pub host_ip: Option<String>,
    #[serde(rename = "message")]
    pub message: Option<String>,
    #[serde(rename = "nominatedNodeName")]
    pub nominated_node_name: Option<String>,
    #[serde(rename = "observedGeneration")]
    pub observed_generation: Option<i64>,
    #[serde(rename = "phase")]
    pub phase: Option<String>,
    #[serde(rename = "podIP")]
    pub pod_ip: Option<String>,
    #[serde(rename = "qosClass")]
    pub qos_class: Option<String>,
    #[serde(rename = "reason")]
    pub reason: Option<String>,
    #[serde(rename = "resize")]
    pub resize: Option<String>,
    #[serde(rename = "resources")]
    pub resources: Option<ResourceRequirements>,
    #[serde(rename = "startTime")]
    pub start_time: Option<Time>,
}

/// `PodCondition` (core.v1), the fields the scheduler reads: not its times or observedGeneration.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct PodCondition {
    #[serde(rename = "message")]
    pub message: Option<String>,
    #[serde(rename = "reason")]
    pub reason: Option<String>,
    #[serde(rename = "status", deserialize_with = "null_default")]
    pub status: String,
    #[serde(rename = "type", deserialize_with = "null_default")]
    pub type_: String,
}

/// `Container` (core.v1), the fields the scheduler and network read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Container {
    #[serde(rename = "args")]
    pub args: Option<Vec<String>>,
    #[serde(rename = "command")]
    pub command: Option<Vec<String>>,
    #[serde(rename = "image")]
    pub image: Option<String>,
    #[serde(rename = "imagePullPolicy")]
    pub image_pull_policy: Option<String>,
    #[serde(rename = "name", deserialize_with = "null_default")]
    pub name: String,
    #[serde(rename = "ports")]
    pub ports: Option<Vec<ContainerPort>>,
    #[serde(rename = "resources")]
    pub resources: Option<ResourceRequirements>,
    #[serde(rename = "restartPolicy")]
    pub restart_policy: Option<String>,
    #[serde(rename = "stdin")]
    pub stdin: Option<bool>,
    #[serde(rename = "stdinOnce")]
    pub stdin_once: Option<bool>,
    #[serde(rename = "terminationMessagePath")]
    pub termination_message_path: Option<String>,
    #[serde(rename = "terminationMessagePolicy")]
    pub termination_message_policy: Option<String>,
    #[serde(rename = "tty")]
    pub tty: Option<bool>,
    #[serde(rename = "workingDir")]
    pub working_dir: Option<String>,
}

/// `Node` (core.v1), the fields the scheduler and network read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Node {
    #[serde(rename = "metadata", deserialize_with = "null_default")]
    pub metadata: ObjectMeta,
    #[serde(rename = "spec")]
    pub spec: Option<NodeSpec>,
    #[serde(rename = "status")]
    pub status: Option<NodeStatus>,
}

/// `NodeSpec` (core.v1), the fields the scheduler and network read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct NodeSpec {
    #[serde(rename = "externalID")]
    pub external_id: Option<String>,
    #[serde(rename = "podCIDR")]
    pub pod_cidr: Option<String>,
    #[serde(rename = "podCIDRs")]
    pub pod_cidrs: Option<Vec<String>>,
    #[serde(rename = "providerID")]
    pub provider_id: Option<String>,
    #[serde(rename = "taints")]
    pub taints: Option<Vec<Taint>>,
    #[serde(rename = "unschedulable")]
    pub unschedulable: Option<bool>,
}

/// `Taint` (core.v1), without `timeAdded`: the node lifecycle controller writes it, nothing here
/// reads it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Taint {
    #[serde(rename = "effect", deserialize_with = "null_default")]
    pub effect: String,
    #[serde(rename = "key", deserialize_with = "null_default")]
    pub key: String,
    #[serde(rename = "value")]
    pub value: Option<String>,
}

/// `NodeStatus` (core.v1), the fields the scheduler and network read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct NodeStatus {
    #[serde(rename = "allocatable")]
    pub allocatable: Option<BTreeMap<String, Quantity>>,
    #[serde(rename = "capacity")]
    pub capacity: Option<BTreeMap<String, Quantity>>,
    #[serde(rename = "declaredFeatures")]
    pub declared_features: Option<Vec<String>>,
    #[serde(rename = "images")]
    pub images: Option<Vec<ContainerImage>>,
    #[serde(rename = "phase")]
    pub phase: Option<String>,
    #[serde(rename = "volumesInUse")]
    pub volumes_in_use: Option<Vec<String>>,
}

/// `Service` (core.v1), the fields the scheduler and network read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Service {
    #[serde(rename = "metadata", deserialize_with = "null_default")]
    pub metadata: ObjectMeta,
    #[serde(rename = "spec")]
    pub spec: Option<ServiceSpec>,
    #[serde(rename = "status")]
    pub status: Option<ServiceStatus>,
}

/// `ServiceSpec` (core.v1), the fields the scheduler and network read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ServiceSpec {
    #[serde(rename = "allocateLoadBalancerNodePorts")]
    pub allocate_load_balancer_node_ports: Option<bool>,
    #[serde(rename = "clusterIP")]
    pub cluster_ip: Option<String>,
    #[serde(rename = "clusterIPs")]
    pub cluster_ips: Option<Vec<String>>,
    #[serde(rename = "externalIPs")]
    pub external_ips: Option<Vec<String>>,
    #[serde(rename = "externalName")]
    pub external_name: Option<String>,
    #[serde(rename = "externalTrafficPolicy")]
    pub external_traffic_policy: Option<String>,
    #[serde(rename = "healthCheckNodePort")]
    pub health_check_node_port: Option<i32>,
    #[serde(rename = "internalTrafficPolicy")]
    pub internal_traffic_policy: Option<String>,
    #[serde(rename = "ipFamilies")]
    pub ip_families: Option<Vec<String>>,
    #[serde(rename = "ipFamilyPolicy")]
    pub ip_family_policy: Option<String>,
    #[serde(rename = "loadBalancerClass")]
    pub load_balancer_class: Option<String>,
    #[serde(rename = "loadBalancerIP")]
    pub load_balancer_ip: Option<String>,
    #[serde(rename = "loadBalancerSourceRanges")]
    pub load_balancer_source_ranges: Option<Vec<String>>,
    #[serde(rename = "ports")]
    pub ports: Option<Vec<ServicePort>>,
    #[serde(rename = "publishNotReadyAddresses")]
    pub publish_not_ready_addresses: Option<bool>,
    #[serde(rename = "selector")]
    pub selector: Option<BTreeMap<String, String>>,
    #[serde(rename = "sessionAffinity")]
    pub session_affinity: Option<String>,
    #[serde(rename = "trafficDistribution")]
    pub traffic_distribution: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
}

/// `ServiceStatus` (core.v1), the fields the scheduler and network read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ServiceStatus {
    #[serde(rename = "loadBalancer")]
    pub load_balancer: Option<LoadBalancerStatus>,
}

/// `EndpointSlice` (discovery.v1), the fields the scheduler and network read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct EndpointSlice {
    #[serde(rename = "addressType", deserialize_with = "null_default")]
    pub address_type: String,
    #[serde(rename = "endpoints")]
    pub endpoints: Option<Vec<Endpoint>>,
    #[serde(rename = "metadata", deserialize_with = "null_default")]
    pub metadata: ObjectMeta,
    #[serde(rename = "ports")]
    pub ports: Option<Vec<EndpointPort>>,
}

/// `Endpoint` (discovery.v1), the fields the scheduler and network read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Endpoint {
    #[serde(rename = "addresses", deserialize_with = "null_default")]
    pub addresses: Vec<String>,
    #[serde(rename = "conditions")]
    pub conditions: Option<EndpointConditions>,
    #[serde(rename = "deprecatedTopology")]
    pub deprecated_topology: Option<BTreeMap<String, String>>,
    #[serde(rename = "hostname")]
    pub hostname: Option<String>,
    #[serde(rename = "nodeName")]
    pub node_name: Option<String>,
    #[serde(rename = "zone")]
    pub zone: Option<String>,
}

/// `ObjectMeta` (meta.v1), without `managedFields`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ObjectMeta {
    #[serde(rename = "annotations")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(rename = "creationTimestamp")]
    pub creation_timestamp: Option<Time>,
    #[serde(rename = "deletionGracePeriodSeconds")]
    pub deletion_grace_period_seconds: Option<i64>,
    #[serde(rename = "deletionTimestamp")]
    pub deletion_timestamp: Option<Time>,
    #[serde(rename = "finalizers")]
    pub finalizers: Option<Vec<String>>,
    #[serde(rename = "generateName")]
    pub generate_name: Option<String>,
    #[serde(rename = "generation")]
    pub generation: Option<i64>,
    #[serde(rename = "labels")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "name")]
    pub name: Option<String>,
    #[serde(rename = "namespace")]
    pub namespace: Option<String>,
    #[serde(rename = "ownerReferences")]
    pub owner_references: Option<Vec<OwnerReference>>,
    #[serde(rename = "resourceVersion")]
    pub resource_version: Option<String>,
    #[serde(rename = "selfLink")]
    pub self_link: Option<String>,
    #[serde(rename = "uid")]
    pub uid: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Leaf types: what the scheduler and the network read inside the views above.

/// `resource.Quantity`: the text as written (`500m`, `1Gi`). A number is kept as its decimal text
/// (`cpu: 1` reads as `"1"`), as `k8s-openapi` reads it; [`crate::sim::scheduler::quantity`] and
/// [`super::quantity`] turn the text into numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Quantity(pub String);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = Quantity;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("Quantity")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
        }
        d.deserialize_any(Text)
    }
}

/// `intstr.IntOrString`: an int32 or a string, whichever JSON holds (`targetPort: 8080`,
/// `targetPort: http`). Refuses other JSON types and integers outside int32 with the words of
/// `k8s-openapi`'s decoder, which strict decoding reports (`expected IntOrString`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum IntOrString {
    Int(i32),
    String(String),
}

impl Default for IntOrString {
    fn default() -> Self {
        IntOrString::Int(0)
    }
}

impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Either;
        impl Visitor<'_> for Either {
            type Value = IntOrString;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("IntOrString")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntOrString, E> {
                i32::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &"a 32-bit integer"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntOrString, E> {
                i32::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &"a 32-bit integer"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntOrString, E> {
                Ok(IntOrString::String(v.to_string()))
            }
        }
        d.deserialize_any(Either)
    }
}

/// `Affinity` (core.v1).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Affinity {
    #[serde(rename = "nodeAffinity")]
    pub node_affinity: Option<NodeAffinity>,
    #[serde(rename = "podAffinity")]
    pub pod_affinity: Option<PodAffinity>,
    #[serde(rename = "podAntiAffinity")]
    pub pod_anti_affinity: Option<PodAntiAffinity>,
}

/// `NodeAffinity` (core.v1).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct NodeAffinity {
    #[serde(rename = "preferredDuringSchedulingIgnoredDuringExecution")]
    pub preferred_during_scheduling_ignored_during_execution: Option<Vec<PreferredSchedulingTerm>>,
    #[serde(rename = "requiredDuringSchedulingIgnoredDuringExecution")]
    pub required_during_scheduling_ignored_during_execution: Option<NodeSelector>,
}

/// `NodeSelector` (core.v1): its terms are ORed.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct NodeSelector {
    #[serde(rename = "nodeSelectorTerms", deserialize_with = "null_default")]
    pub node_selector_terms: Vec<NodeSelectorTerm>,
}

/// `NodeSelectorTerm` (core.v1): its requirements are ANDed.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct NodeSelectorTerm {
    #[serde(rename = "matchExpressions")]
    pub match_expressions: Option<Vec<NodeSelectorRequirement>>,
    #[serde(rename = "matchFields")]
    pub match_fields: Option<Vec<NodeSelectorRequirement>>,
}

/// `NodeSelectorRequirement` (core.v1): `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct NodeSelectorRequirement {
    #[serde(rename = "key", deserialize_with = "null_default")]
    pub key: String,
    #[serde(rename = "operator", deserialize_with = "null_default")]
    pub operator: String,
    #[serde(rename = "values")]
    pub values: Option<Vec<String>>,
}

/// `PreferredSchedulingTerm` (core.v1).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct PreferredSchedulingTerm {
    #[serde(rename = "preference", deserialize_with = "null_default")]
    pub preference: NodeSelectorTerm,
    #[serde(rename = "weight", deserialize_with = "null_default")]
    pub weight: i32,
}

/// `PodAffinity` (core.v1).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct PodAffinity {
    #[serde(rename = "preferredDuringSchedulingIgnoredDuringExecution")]
    pub preferred_during_scheduling_ignored_during_execution: Option<Vec<WeightedPodAffinityTerm>>,
    #[serde(rename = "requiredDuringSchedulingIgnoredDuringExecution")]
    pub required_during_scheduling_ignored_during_execution: Option<Vec<PodAffinityTerm>>,
}

/// `PodAntiAffinity` (core.v1) has exactly the fields of `PodAffinity`: one type, one decoder.
pub type PodAntiAffinity = PodAffinity;

/// `PodAffinityTerm` (core.v1).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct PodAffinityTerm {
    #[serde(rename = "labelSelector")]
    pub label_selector: Option<LabelSelector>,
    #[serde(rename = "namespaceSelector")]
    pub namespace_selector: Option<LabelSelector>,
    #[serde(rename = "namespaces")]
    pub namespaces: Option<Vec<String>>,
    #[serde(rename = "topologyKey", deserialize_with = "null_default")]
    pub topology_key: String,
}

/// `WeightedPodAffinityTerm` (core.v1).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct WeightedPodAffinityTerm {
    #[serde(rename = "podAffinityTerm", deserialize_with = "null_default")]
    pub pod_affinity_term: PodAffinityTerm,
    #[serde(rename = "weight", deserialize_with = "null_default")]
    pub weight: i32,
}

/// `ResourceRequirements` (core.v1), requests only: the scheduler fits and scores by requests.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ResourceRequirements {
    #[serde(rename = "requests")]
    pub requests: Option<BTreeMap<String, Quantity>>,
}

/// `Toleration` (core.v1), every field (see the module doc).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Toleration {
    #[serde(rename = "effect")]
    pub effect: Option<String>,
    #[serde(rename = "key")]
    pub key: Option<String>,
    #[serde(rename = "operator")]
    pub operator: Option<String>,
    #[serde(rename = "tolerationSeconds")]
    pub toleration_seconds: Option<i64>,
    #[serde(rename = "value")]
    pub value: Option<String>,
}

/// `TopologySpreadConstraint` (core.v1).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct TopologySpreadConstraint {
    #[serde(rename = "labelSelector")]
    pub label_selector: Option<LabelSelector>,
    #[serde(rename = "matchLabelKeys")]
    pub match_label_keys: Option<Vec<String>>,
    #[serde(rename = "maxSkew", deserialize_with = "null_default")]
    pub max_skew: i32,
    #[serde(rename = "minDomains")]
    pub min_domains: Option<i32>,
    #[serde(rename = "nodeAffinityPolicy")]
    pub node_affinity_policy: Option<String>,
    #[serde(rename = "nodeTaintsPolicy")]
    pub node_taints_policy: Option<String>,
    #[serde(rename = "topologyKey", deserialize_with = "null_default")]
    pub topology_key: String,
    #[serde(rename = "whenUnsatisfiable", deserialize_with = "null_default")]
    pub when_unsatisfiable: String,
}

/// `ContainerPort` (core.v1), what NodePorts reads: the host port, its IP and protocol.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ContainerPort {
    #[serde(rename = "hostIP")]
    pub host_ip: Option<String>,
    #[serde(rename = "hostPort")]
    pub host_port: Option<i32>,
    #[serde(rename = "protocol")]
    pub protocol: Option<String>,
}

/// `ContainerImage` (core.v1): what ImageLocality reads from a node's status.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ContainerImage {
    #[serde(rename = "names")]
    pub names: Option<Vec<String>>,
    #[serde(rename = "sizeBytes")]
    pub size_bytes: Option<i64>,
}

/// `ServicePort` (core.v1), without `appProtocol`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ServicePort {
    #[serde(rename = "name")]
    pub name: Option<String>,
    #[serde(rename = "nodePort")]
    pub node_port: Option<i32>,
    #[serde(rename = "port", deserialize_with = "null_default")]
    pub port: i32,
    #[serde(rename = "protocol")]
    pub protocol: Option<String>,
    #[serde(rename = "targetPort")]
    pub target_port: Option<IntOrString>,
}

/// `LoadBalancerStatus` (core.v1).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct LoadBalancerStatus {
    #[serde(rename = "ingress")]
    pub ingress: Option<Vec<LoadBalancerIngress>>,
}

/// `LoadBalancerIngress` (core.v1), without `ports` (port statuses) and `ipMode`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct LoadBalancerIngress {
    #[serde(rename = "hostname")]
    pub hostname: Option<String>,
    #[serde(rename = "ip")]
    pub ip: Option<String>,
}

/// `EndpointPort` (discovery.v1), without `appProtocol`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct EndpointPort {
    #[serde(rename = "name")]
    pub name: Option<String>,
    #[serde(rename = "port")]
    pub port: Option<i32>,
    #[serde(rename = "protocol")]
    pub protocol: Option<String>,
}

/// `EndpointConditions` (discovery.v1).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct EndpointConditions {
    #[serde(rename = "ready")]
    pub ready: Option<bool>,
    #[serde(rename = "serving")]
    pub serving: Option<bool>,
    #[serde(rename = "terminating")]
    pub terminating: Option<bool>,
}

/// `OwnerReference` (meta.v1), every field (see the module doc).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct OwnerReference {
    #[serde(rename = "apiVersion", deserialize_with = "null_default")]
    pub api_version: String,
    #[serde(rename = "blockOwnerDeletion")]
    pub block_owner_deletion: Option<bool>,
    #[serde(rename = "controller")]
    pub controller: Option<bool>,
    #[serde(rename = "kind", deserialize_with = "null_default")]
    pub kind: String,
    #[serde(rename = "name", deserialize_with = "null_default")]
    pub name: String,
    #[serde(rename = "uid", deserialize_with = "null_default")]
    pub uid: String,
}
