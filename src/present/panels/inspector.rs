//! The Inspector panel: any object as `kubectl get -o yaml` prints it, its events as
//! `kubectl describe` lists them, its owners up to the top (Pod → ReplicaSet → Deployment) and
//! its dependents down (Deployment → ReplicaSets → Pods), each a link the page can follow.
//!
//! Mirrors: `kubectl get KIND NAME -o yaml` (the object decoded as the apiserver serves it, with
//! `resourceVersion` from the key's `mod_revision`, printed by kubectl's own YAML printer),
//! describe's `Events:` table (the same `describe::event_lines`), and the garbage collector's
//! ownership graph (`metadata.ownerReferences`, matched by uid, over `GC_RESOURCES`).
//! Simplified: everything is read straight from the store at a revision, so looking never adds
//! a request to the trace; event ages count back from the cluster's clock now, also when the
//! panel reads an older revision. The owner chain follows the controller reference (else the
//! first). Pods, Events, Leases, EndpointSlices and Endpoints are taken to own nothing (nothing
//! in the sandbox makes them owners), so a Deployment of a thousand pods is not followed by a
//! thousand scans for the pods' dependents.

use crate::sim::api::JsonPointer;
use serde_json::Value;

use crate::sim::api::resources::{self, ResourceInfo, RESOURCES};
use crate::sim::apiserver::backend::{RangeRequest, Revision, Store};
use crate::sim::apiserver::decode_object;
use crate::sim::cluster::Cluster;
use crate::sim::controller::controller_utils::owner_references;
use crate::sim::controller::garbage_collector::GC_RESOURCES;
use crate::sim::kubectl::describe::event_lines;
pub use crate::sim::kubectl::describe::EventLine;
use crate::sim::kubectl::yaml::to_yaml;
pub use crate::sim::trace::ObjectRef;

/// How far up an owner chain and down a dependents tree the panel goes: a loop of references
/// (which a student can write with `kubectl edit`) must not hang the page.
pub const OWNER_DEPTH_MAX: usize = 8;

/// At most this many dependents are listed under one object (the rest are counted).
pub const DEPENDENTS_PER_OBJECT_MAX: usize = 200;

/// A place the page can go: the object's kind (to show) and its reference (to open it with
/// [`inspect`]; `uid` set when read from the object).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// `Deployment`, `ReplicaSet`, `Pod`.
    pub kind: String,
    pub target: ObjectRef,
}

/// One dependent and, below it, its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependent {
    pub link: Link,
    pub dependents: Vec<Dependent>,
    /// Dependents beyond [`DEPENDENTS_PER_OBJECT_MAX`], not listed.
    pub unlisted: usize,
}

/// Everything the Inspector shows of one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspected {
    pub link: Link,
    /// The store revision read at.
    pub revision: Revision,
    /// The object's `resourceVersion`: its key's `mod_revision`.
    pub mod_revision: Revision,
    /// Byte for byte what `kubectl get KIND NAME -o yaml` prints.
    pub yaml: String,
    /// As the `Events:` table of `kubectl describe` lists them, oldest first.
    pub events: Vec<EventLine>,
    /// From the topmost owner down to the object itself: `[Deployment, ReplicaSet, Pod]` for a
    /// Deployment's pod, `[Pod]` for a bare pod.
    pub owner_chain: Vec<Link>,
    /// The object itself at the root, the objects whose ownerReferences name it below, and
    /// theirs below them.
    pub dependents: Dependent,
}

/// One resource and how many objects it has, for the page's object picker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceCount {
    /// As a request names it: `pods`.
    pub resource: String,
    pub kind: String,
    pub namespaced: bool,
    pub count: usize,
}

fn range_at(mut request: RangeRequest, at: Option<Revision>) -> RangeRequest {
    if let Some(at) = at {
        request = request.at_revision(at);
    }
    request
}

/// Every served resource with its object count at `at` (None: the newest), in
/// `kubectl api-resources` order: count-only ranges, nothing copied.
pub fn resource_counts(store: &Store, at: Option<Revision>) -> Vec<ResourceCount> {
    RESOURCES
        .iter()
        .map(|info| {
            let mut request = range_at(RangeRequest::prefix(info.prefix(None)), at);
            request.count_only = true;
            ResourceCount {
                resource: info.plural.to_string(),
                kind: info.kind.to_string(),
                namespaced: info.namespaced,
                count: store.range(&request).map_or(0, |r| r.count),
            }
        })
        .collect()
}

/// The objects of `resource` (a plural: `pods`) in `namespace` (None: all) at `at`, in key
/// order, from their keys alone (no value decoded, so `uid` is None).
pub fn objects_of(
    store: &Store,
    resource: &str,
    namespace: Option<&str>,
    at: Option<Revision>,
) -> Vec<ObjectRef> {
    let Some(info) = resources::by_plural(resource) else {
        return Vec::new();
    };
    let mut request = range_at(RangeRequest::prefix(info.prefix(namespace)), at);
    request.keys_only = true;
    store.range(&request).map_or_else(
        |_| Vec::new(),
        |r| {
            r.kvs
                .iter()
                .filter_map(|kv| ObjectRef::from_key(&kv.key, None))
                .collect()
        },
    )
}

/// The object at `target` as the apiserver would serve it at `at`, with its mod_revision.
fn read(store: &Store, target: &ObjectRef, at: Option<Revision>) -> Option<(Value, Revision)> {
    let info = resources::by_plural(&target.resource)?;
    let key = info.key(target.namespace.as_deref(), &target.name);
    let result = store.range(&range_at(RangeRequest::single(key), at)).ok()?;
    let kv = result.kvs.first()?;
    Some((decode_object(kv)?, kv.mod_revision))
}

fn link_of(info: &ResourceInfo, object: &Value) -> Option<Link> {
    Some(Link {
        kind: info.kind.to_string(),
        target: ObjectRef::of(info.plural, object)?,
    })
}

/// Inspects `target` at store revision `at` (None: the newest). None when it does not exist
/// then (or that revision is compacted).
pub fn inspect(cluster: &Cluster, target: &ObjectRef, at: Option<Revision>) -> Option<Inspected> {
    let store = cluster.store();
    let info = resources::by_plural(&target.resource)?;
    let (object, mod_revision) = read(store, target, at)?;
    let link = link_of(info, &object)?;
    Some(Inspected {
        revision: at.unwrap_or_else(|| store.revision()),
        mod_revision,
        yaml: to_yaml(&object),
        events: events_of(store, &link, at, cluster.unix_seconds()),
        owner_chain: owner_chain(store, target, at),
        dependents: dependent_tree(store, target, at)?,
        link,
    })
}

/// `target` as `kubectl get -o yaml` prints it at `at`; None when it does not exist then.
pub fn object_yaml(store: &Store, target: &ObjectRef, at: Option<Revision>) -> Option<String> {
    read(store, target, at).map(|(object, _)| to_yaml(&object))
}

/// Does `haystack` contain `needle`? A cheap look at raw bytes before decoding JSON.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// The events about `link` in its namespace (`default` for a cluster-scoped object, as
/// describe looks), as describe lists them, ages counted back from `now_unix_seconds`.
pub fn events_of(
    store: &Store,
    link: &Link,
    at: Option<Revision>,
    now_unix_seconds: i64,
) -> Vec<EventLine> {
    let Some(info) = resources::by_plural("events") else {
        return Vec::new();
    };
    let namespace = link.target.namespace.as_deref().unwrap_or("default");
    let request = range_at(RangeRequest::prefix(info.prefix(Some(namespace))), at);
    let Ok(result) = store.range(&request) else {
        return Vec::new();
    };
    let name = link.target.name.as_bytes();
    let events: Vec<Value> = result
        .kvs
        .iter()
        .filter(|kv| contains(&kv.value, name))
        .filter_map(decode_object)
        .collect();
    event_lines(&events, &link.kind, &link.target.name, now_unix_seconds)
}

/// The owner reference the chain follows: the controller, else the first.
fn followed_owner(object: &Value) -> Option<&Value> {
    let refs = owner_references(object);
    refs.iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .or_else(|| refs.first())
}

/// From the topmost owner down to `target` itself (see [`Inspected::owner_chain`]); empty when
/// `target` does not exist at `at`. An owner that is gone (the garbage collector has not caught
/// up) ends the chain.
pub fn owner_chain(store: &Store, target: &ObjectRef, at: Option<Revision>) -> Vec<Link> {
    let mut chain = Vec::new();
    let mut current = target.clone();
    while chain.len() <= OWNER_DEPTH_MAX {
        let Some(info) = resources::by_plural(&current.resource) else {
            break;
        };
        let Some((object, _)) = read(store, &current, at) else {
            break;
        };
        let Some(link) = link_of(info, &object) else {
            break;
        };
        if chain.iter().any(|l: &Link| l.target == link.target) {
            break;
        }
        chain.push(link);
        let owner = followed_owner(&object).and_then(|r| {
            let text = |field: &str| r.get(field).and_then(Value::as_str).unwrap_or("");
            let owner_info = resources::by_kind(text("apiVersion"), text("kind"))?;
            // A namespaced object's owner is in its namespace, or cluster-scoped.
            let namespace = current
                .namespace
                .as_deref()
                .filter(|_| owner_info.namespaced);
            Some(ObjectRef::new(owner_info.plural, namespace, text("name")))
        });
        match owner {
            Some(owner) => current = owner,
            None => break,
        }
    }
    chain.reverse();
    chain
}

/// Kinds nothing in the sandbox makes an owner (see the module docs).
fn owns_nothing(kind: &str) -> bool {
    matches!(
        kind,
        "Pod" | "Event" | "Lease" | "EndpointSlice" | "Endpoints"
    )
}

/// `target` at the root and, below, the objects whose ownerReferences name it (by uid), and
/// theirs below them, at `at`; siblings in `GC_RESOURCES` order, then key order. None when
/// `target` does not exist then.
pub fn dependent_tree(
    store: &Store,
    target: &ObjectRef,
    at: Option<Revision>,
) -> Option<Dependent> {
    let info = resources::by_plural(&target.resource)?;
    let (object, _) = read(store, target, at)?;
    let (dependents, unlisted) = dependents_of(store, info, &object, at, &mut Vec::new(), 0);
    Some(Dependent {
        link: link_of(info, &object)?,
        dependents,
        unlisted,
    })
}

fn dependents_of(
    store: &Store,
    info: &ResourceInfo,
    owner: &Value,
    at: Option<Revision>,
    seen: &mut Vec<String>,
    depth: usize,
) -> (Vec<Dependent>, usize) {
    let uid = owner
        .ptr("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("");
    if uid.is_empty() || depth >= OWNER_DEPTH_MAX || owns_nothing(info.kind) {
        return (Vec::new(), 0);
    }
    if seen.iter().any(|s| s == uid) {
        return (Vec::new(), 0);
    }
    seen.push(uid.to_string());
    // A namespaced owner's dependents are in its namespace; a cluster-scoped one's anywhere.
    let namespace = owner
        .ptr("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|_| info.namespaced);
    let mut found = Vec::new();
    let mut unlisted = 0;
    for dependent_info in GC_RESOURCES.iter().filter_map(|r| resources::by_plural(r)) {
        if namespace.is_some() && !dependent_info.namespaced {
            continue;
        }
        let request = range_at(RangeRequest::prefix(dependent_info.prefix(namespace)), at);
        let Ok(result) = store.range(&request) else {
            continue;
        };
        for kv in &result.kvs {
            // Only values that mention the uid are decoded.
            if !contains(&kv.value, uid.as_bytes()) {
                continue;
            }
            let Some(object) = decode_object(kv) else {
                continue;
            };
            let owned = owner_references(&object)
                .iter()
                .any(|r| r.get("uid").and_then(Value::as_str) == Some(uid));
            if !owned {
                continue;
            }
            if found.len() >= DEPENDENTS_PER_OBJECT_MAX {
                unlisted += 1;
                continue;
            }
            let Some(link) = link_of(dependent_info, &object) else {
                continue;
            };
            let (below, below_unlisted) =
                dependents_of(store, dependent_info, &object, at, seen, depth + 1);
            found.push(Dependent {
                link,
                dependents: below,
                unlisted: below_unlisted,
            });
        }
    }
    (found, unlisted)
}
