//! The garbage collector: ownerReferences decide what goes when an owner goes.
//!
//! Mirrors: `pkg/controller/garbagecollector` (the dependency graph built from
//! `metadata.ownerReferences`; `attemptToDeleteItem`: a dependent whose owners are all gone is
//! deleted, dangling references beside live owners are removed; `processDeletingDependentsItem`:
//! an owner deleted with `propagationPolicy: Foreground` carries the `foregroundDeletion`
//! finalizer until no dependent with `blockOwnerDeletion: true` is left; `orphanDependents`:
//! an owner deleted with `Orphan` carries the `orphan` finalizer until its dependents' references
//! to it are removed). Background deletion is the default: the owner goes at once and the
//! collector deletes the dependents afterwards.
//! Simplified: the graph covers the kinds listed in [`GC_RESOURCES`]; references to other kinds
//! are treated as live; no verification GET before deleting; a failed request is tried again
//! after the next change the collector sees, not after a rate-limited back-off.

use crate::sim::api::JsonPointer;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::controller_utils::{is_being_deleted, key_of, owner_references, uid};
use super::{credentials, merge_patch};
use crate::sim::api::resources;
use crate::sim::apiserver::request::PropagationPolicy;
use crate::sim::apiserver::{ApiError, ApiRequest, ApiResponse, Credentials, StatusReason};
use crate::sim::component::{Component, Context, Decision, ObjectEvent, Reconcile};
use crate::sim::trace::{Actor, Seq, WatchEventType};

/// The kinds the collector builds its graph over (owners and dependents).
pub const GC_RESOURCES: &[&str] = &[
    "deployments",
    "replicasets",
    "replicationcontrollers",
    "daemonsets",
    "jobs",
    "cronjobs",
    "pods",
    "services",
    "endpointslices",
    "configmaps",
    "secrets",
    "nodes",
    "leases",
];

pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";
pub const ORPHAN_FINALIZER: &str = "orphan";

/// One object in the dependency graph (upstream's `node`): what the collector needs of it.
struct Node {
    /// Index into [`GC_RESOURCES`]: with `key`, the order the collector looks at objects in.
    resource: usize,
    /// `namespace/name`, or `name` for a cluster-scoped object.
    key: String,
    owner_refs: Vec<Value>,
    finalizers: Vec<String>,
    deleting: bool,
}

impl Node {
    fn of(resource: usize, obj: &Value) -> Node {
        Node {
            resource,
            key: key_of(obj),
            owner_refs: owner_references(obj).to_vec(),
            finalizers: finalizers(obj),
            deleting: is_being_deleted(obj),
        }
    }

    fn resource(&self) -> &'static str {
        GC_RESOURCES[self.resource]
    }

    fn owner_uids(&self) -> impl Iterator<Item = &str> {
        self.owner_refs
            .iter()
            .map(|r| r.get("uid").and_then(Value::as_str).unwrap_or(""))
    }

    /// Enough of the object for a request about it: its namespace and name.
    fn object(&self) -> Value {
        match self.key.split_once('/') {
            Some((ns, name)) => json!({"metadata": {"namespace": ns, "name": name}}),
            None => json!({"metadata": {"name": self.key}}),
        }
    }

    fn describe(&self) -> String {
        format!("{} {}", self.resource(), self.key)
    }
}

/// The collector keeps its graph from its watches, as upstream's `GraphBuilder` does from its
/// informers, and looks again only at the objects a change can concern: the object itself, its
/// owners (a foreground owner waits for it) and, when it is gone, its dependents.
#[derive(Default)]
pub struct GarbageCollector {
    nodes: BTreeMap<String, Box<Node>>,
    /// owner uid → the uids of the objects that name it.
    dependents: BTreeMap<String, BTreeSet<String>>,
    /// uid → the delivery that made it worth a look.
    dirty: BTreeMap<String, Seq>,
    /// Objects whose request failed (resource, key): looked at again after the next change.
    failed: Vec<(String, String)>,
}

impl GarbageCollector {
    pub fn new() -> Self {
        GarbageCollector::default()
    }

    fn mark(&mut self, uid: &str, seq: Seq) {
        if !uid.is_empty() {
            self.dirty.insert(uid.to_string(), seq);
        }
    }

    fn unlink(&mut self, uid: &str) -> Option<Node> {
        let node = self.nodes.remove(uid)?;
        for owner in node.owner_uids() {
            if let Some(set) = self.dependents.get_mut(owner) {
                set.remove(uid);
                if set.is_empty() {
                    self.dependents.remove(owner);
                }
            }
        }
        Some(*node)
    }
}

fn finalizers(obj: &Value) -> Vec<String> {
    obj.ptr("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn without_finalizer(finalizers: &[String], finalizer: &str) -> Value {
    let rest: Vec<&String> = finalizers.iter().filter(|f| *f != finalizer).collect();
    json!({"metadata": {"finalizers": rest}})
}

/// Is the kind of this reference one the graph covers (so a missing uid means a missing owner)?
fn covered(reference: &Value) -> bool {
    let api_version = reference
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = reference.get("kind").and_then(Value::as_str).unwrap_or("");
    resources::by_kind(api_version, kind).is_some_and(|info| GC_RESOURCES.contains(&info.plural))
}

impl Component for GarbageCollector {
    fn name(&self) -> String {
        "garbage-collector-controller".to_string()
    }

    fn actor(&self) -> Actor {
        Actor::controller(&self.name())
    }

    fn credentials(&self) -> Credentials {
        credentials()
    }

    fn watches(&self) -> Vec<&'static str> {
        GC_RESOURCES.to_vec()
    }

    fn observe(&mut self, ev: &ObjectEvent) {
        let Some(resource) = GC_RESOURCES.iter().position(|r| *r == ev.resource) else {
            return;
        };
        let my_uid = uid(&ev.object).to_string();
        if let Some(old) = self.unlink(&my_uid) {
            for owner in old.owner_uids() {
                self.dirty.insert(owner.to_string(), ev.seq);
            }
        }
        if ev.event == WatchEventType::Deleted {
            for dependent in self.dependents.get(&my_uid).cloned().unwrap_or_default() {
                self.dirty.insert(dependent, ev.seq);
            }
            self.dirty.remove(&my_uid);
        } else {
            let node = Node::of(resource, &ev.object);
            for owner in node.owner_uids() {
                self.dependents
                    .entry(owner.to_string())
                    .or_default()
                    .insert(my_uid.clone());
                self.dirty.insert(owner.to_string(), ev.seq);
            }
            self.nodes.insert(my_uid.clone(), Box::new(node));
            self.mark(&my_uid, ev.seq);
        }
        for (resource, key) in std::mem::take(&mut self.failed) {
            let uids: Vec<String> = self
                .nodes
                .iter()
                .filter(|(_, n)| n.resource() == resource && n.key == key)
                .map(|(u, _)| u.clone())
                .collect();
            for u in uids {
                self.mark(&u, ev.seq);
            }
        }
    }

    fn on_response(&mut self, request: &ApiRequest, result: &Result<ApiResponse, ApiError>) {
        if let (Err(e), Some(name)) = (result, &request.name) {
            if e.reason != StatusReason::NotFound {
                let key = match &request.namespace {
                    Some(ns) => format!("{ns}/{name}"),
                    None => name.clone(),
                };
                self.failed.push((request.resource.clone(), key));
            }
        }
    }

    fn reconcile(&mut self, _ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        let mut dirty: Vec<(&Node, &String, Seq)> = std::mem::take(&mut self.dirty)
            .into_iter()
            .filter_map(|(u, seq)| {
                let (u, node) = self.nodes.get_key_value(&u)?;
                Some((&**node, u, seq))
            })
            .collect();
        // In the order a list of every kind would give them: by kind, then by key.
        dirty.sort_by(|a, b| (a.0.resource, &a.0.key).cmp(&(b.0.resource, &b.0.key)));
        let no_deps = BTreeSet::new();
        for (node, my_uid, cause) in dirty {
            let deps = self.dependents.get(my_uid).unwrap_or(&no_deps);
            let dep_nodes = || deps.iter().filter_map(|d| self.nodes.get(d));
            let obj = node.object();
            let has = |f: &str| node.finalizers.iter().any(|x| x == f);

            // Orphan: drop the references to this owner, then the finalizer.
            if node.deleting && has(ORPHAN_FINALIZER) {
                let mut d = Decision::new(
                    "OrphanDependents",
                    format!(
                        "{} is deleted with propagationPolicy Orphan: {} dependent(s) keep running without it",
                        node.describe(),
                        deps.len()
                    ),
                )
                .caused_by(cause);
                for dep in dep_nodes() {
                    let refs: Vec<Value> = dep
                        .owner_refs
                        .iter()
                        .filter(|r| r.get("uid").and_then(Value::as_str) != Some(my_uid.as_str()))
                        .cloned()
                        .collect();
                    d.actions.push(merge_patch(
                        dep.resource(),
                        &dep.object(),
                        json!({"metadata": {"ownerReferences": refs}}),
                    ));
                }
                d.actions.push(merge_patch(
                    node.resource(),
                    &obj,
                    without_finalizer(&node.finalizers, ORPHAN_FINALIZER),
                ));
                out.decisions.push(d);
                continue;
            }

            // Foreground: delete the dependents; let the owner go when none blocks it.
            if node.deleting && has(FOREGROUND_FINALIZER) {
                let mut d = Decision::new("DeleteDependents", String::new()).caused_by(cause);
                let mut blocking = 0;
                for (dep_uid, dep) in deps.iter().filter_map(|u| Some((u, self.nodes.get(u)?))) {
                    let blocks = dep.owner_refs.iter().any(|r| {
                        r.get("uid").and_then(Value::as_str) == Some(my_uid.as_str())
                            && r.get("blockOwnerDeletion").and_then(Value::as_bool) == Some(true)
                    });
                    blocking += usize::from(blocks);
                    if dep.deleting {
                        continue;
                    }
                    let has_own = self.dependents.get(dep_uid).is_some_and(|v| !v.is_empty());
                    let mut request = super::delete(dep.resource(), &dep.object());
                    if has_own {
                        request.delete_options.propagation_policy =
                            Some(PropagationPolicy::Foreground);
                    }
                    d.actions.push(request);
                }
                if blocking == 0 {
                    d.message = format!(
                        "{} (foreground deletion): no dependent blocks it any more: removing the foregroundDeletion finalizer",
                        node.describe()
                    );
                    d.actions.push(merge_patch(
                        node.resource(),
                        &obj,
                        without_finalizer(&node.finalizers, FOREGROUND_FINALIZER),
                    ));
                } else {
                    d.message = format!(
                        "{} (foreground deletion): waiting for {blocking} dependent(s) with blockOwnerDeletion; deleting {} of them",
                        node.describe(),
                        d.actions.len()
                    );
                }
                if !d.actions.is_empty() {
                    out.decisions.push(d);
                }
                continue;
            }

            // attemptToDeleteItem: owners gone?
            let refs = &node.owner_refs;
            if refs.is_empty() || node.deleting {
                continue;
            }
            let absent: Vec<&Value> = refs
                .iter()
                .filter(|r| {
                    covered(r)
                        && !self
                            .nodes
                            .contains_key(r.get("uid").and_then(Value::as_str).unwrap_or(""))
                })
                .collect();
            if absent.is_empty() {
                continue;
            }
            let names: Vec<String> = absent
                .iter()
                .map(|r| {
                    format!(
                        "{}/{}",
                        r.get("kind").and_then(Value::as_str).unwrap_or(""),
                        r.get("name").and_then(Value::as_str).unwrap_or("")
                    )
                })
                .collect();
            if absent.len() == refs.len() {
                out.decisions.push(
                    Decision::new(
                        "DeleteDependent",
                        format!(
                            "{}: its owner {} is gone: deleting it (background propagation)",
                            node.describe(),
                            names.join(", ")
                        ),
                    )
                    .caused_by(cause)
                    .action(super::delete(node.resource(), &obj)),
                );
            } else {
                let live: Vec<Value> = refs
                    .iter()
                    .filter(|r| !absent.iter().any(|a| a.get("uid") == r.get("uid")))
                    .cloned()
                    .collect();
                out.decisions.push(
                    Decision::new(
                        "RemoveDanglingReference",
                        format!(
                            "{}: owner {} is gone but others remain: removing the dangling reference",
                            node.describe(),
                            names.join(", ")
                        ),
                    )
                    .caused_by(cause)
                    .action(merge_patch(
                        node.resource(),
                        &obj,
                        json!({"metadata": {"ownerReferences": live}}),
                    )),
                );
            }
        }
        out
    }
}
