//! Reading the store the way the invariants need it: every object of a resource, decoded, and
//! the few fields they compare. Written apart from the controllers' own helpers on purpose: an
//! invariant that shared its reading with the code it checks would share its bugs.

use crate::sim::api::JsonPointer;
use serde_json::Value;

use crate::sim::api::resources;
use crate::sim::apiserver::backend::RangeRequest;
use crate::sim::apiserver::decode_object;
use crate::sim::cluster::Cluster;

/// Every object of a resource (its plural: `pods`, `nodes`), from its etcd prefix, decoded (with
/// `resourceVersion` set).
pub fn list(cluster: &Cluster, resource: &str) -> Vec<Value> {
    let info = resources::by_plural(resource);
    assert!(info.is_some(), "no resource {resource:?}");
    let Some(prefix) = info.map(|i| i.prefix(None)) else {
        return Vec::new();
    };
    let Ok(result) = cluster.store().range(&RangeRequest::prefix(prefix)) else {
        return Vec::new();
    };
    result.kvs.iter().filter_map(decode_object).collect()
}

pub fn int(obj: &Value, pointer: &str) -> i64 {
    obj.ptr(pointer).and_then(Value::as_i64).unwrap_or(0)
}

pub fn text<'v>(obj: &'v Value, pointer: &str) -> &'v str {
    obj.ptr(pointer).and_then(Value::as_str).unwrap_or("")
}

/// `namespace/name`, or `name` for a cluster-scoped object.
pub fn key(obj: &Value) -> String {
    match text(obj, "/metadata/namespace") {
        "" => text(obj, "/metadata/name").to_string(),
        ns => format!("{ns}/{}", text(obj, "/metadata/name")),
    }
}

pub fn uid(obj: &Value) -> &str {
    text(obj, "/metadata/uid")
}

pub fn condition_true(obj: &Value, kind: &str) -> bool {
    obj.ptr("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some(kind)
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

pub fn controller_uid(obj: &Value) -> Option<&str> {
    obj.ptr("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))?
        .get("uid")?
        .as_str()
}

pub fn being_deleted(obj: &Value) -> bool {
    obj.ptr("/metadata/deletionTimestamp").is_some()
}

/// Succeeded or Failed: the pod will never run again.
pub fn terminal(pod: &Value) -> bool {
    matches!(text(pod, "/status/phase"), "Succeeded" | "Failed")
}

/// `FilterActivePods`: neither terminal nor being deleted.
pub fn active(pod: &Value) -> bool {
    !terminal(pod) && !being_deleted(pod)
}

pub fn ready(pod: &Value) -> bool {
    condition_true(pod, "Ready")
}

/// What `kubectl get pods` counts in READY: every container ready.
pub fn containers_ready(pod: &Value) -> bool {
    pod.ptr("/status/containerStatuses")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            !cs.is_empty()
                && cs
                    .iter()
                    .all(|c| c.get("ready").and_then(Value::as_bool) == Some(true))
        })
}

/// A static pod's mirror: the kubelet writes it already bound, the scheduler never sees it.
pub fn is_mirror(pod: &Value) -> bool {
    pod.ptr("/metadata/annotations/kubernetes.io~1config.mirror")
        .is_some()
}

pub fn node_name(pod: &Value) -> &str {
    text(pod, "/spec/nodeName")
}

/// The objects whose controller is `owner`.
pub fn owned_by<'a>(objects: &'a [Value], owner: &Value) -> Vec<&'a Value> {
    objects
        .iter()
        .filter(|o| controller_uid(o) == Some(uid(owner)))
        .collect()
}

/// A taint as the API writes it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: String,
}

impl std::fmt::Display for Taint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}:{}", self.key, self.value, self.effect)
    }
}

pub fn taints(node: &Value) -> Vec<Taint> {
    node.ptr("/spec/taints")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| Taint {
                    key: text(t, "/key").to_string(),
                    value: text(t, "/value").to_string(),
                    effect: text(t, "/effect").to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `v1.Toleration.ToleratesTaint`: the effect matches (or is empty), and the key matches with
/// `Exists` (an empty key with `Exists` matches every taint) or key and value match with `Equal`.
pub fn tolerates(pod: &Value, taint: &Taint) -> bool {
    let Some(tolerations) = pod.ptr("/spec/tolerations").and_then(Value::as_array) else {
        return false;
    };
    tolerations.iter().any(|t| {
        let effect = text(t, "/effect");
        let key = text(t, "/key");
        if !effect.is_empty() && effect != taint.effect {
            return false;
        }
        if key.is_empty() {
            // An empty key with `Exists` matches all keys; with `Equal` it is invalid.
            return text(t, "/operator") == "Exists";
        }
        key == taint.key
            && match text(t, "/operator") {
                "Exists" => true,
                _ => text(t, "/value") == taint.value,
            }
    })
}

/// The pod's requests as the scheduler counts them (`computePodResourceRequest`): the sum over
/// its containers, or the largest init container's if that is more. `(cpu millis, memory bytes)`.
pub fn pod_requests(pod: &Value) -> (i64, i64) {
    let of = |c: &Value| {
        (
            quantity(
                c,
                "/resources/requests/cpu",
                crate::sim::api::quantity::cpu_millis,
            ),
            quantity(
                c,
                "/resources/requests/memory",
                crate::sim::api::quantity::memory_bytes,
            ),
        )
    };
    let containers = |field: &str| -> Vec<(i64, i64)> {
        pod.ptr(&format!("/spec/{field}"))
            .and_then(Value::as_array)
            .map(|cs| cs.iter().map(of).collect())
            .unwrap_or_default()
    };
    let (mut cpu, mut memory) = containers("containers")
        .into_iter()
        .fold((0, 0), |(c, m), (c2, m2)| (c + c2, m + m2));
    for (c, m) in containers("initContainers") {
        cpu = cpu.max(c);
        memory = memory.max(m);
    }
    (cpu, memory)
}

/// A node's `status.allocatable`, `(cpu millis, memory bytes)`.
pub fn allocatable(node: &Value) -> (i64, i64) {
    (
        quantity(
            node,
            "/status/allocatable/cpu",
            crate::sim::api::quantity::cpu_millis,
        ),
        quantity(
            node,
            "/status/allocatable/memory",
            crate::sim::api::quantity::memory_bytes,
        ),
    )
}

fn quantity<E>(obj: &Value, pointer: &str, parse: fn(&str) -> Result<i64, E>) -> i64 {
    match obj.ptr(pointer) {
        Some(Value::String(s)) => parse(s).unwrap_or(0),
        Some(Value::Number(n)) => parse(&n.to_string()).unwrap_or(0),
        _ => 0,
    }
}
