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
//! Simplified: the graph is rebuilt from the current objects on each pass (upstream keeps it
//! incrementally from its informers) over the kinds listed in [`GC_RESOURCES`]; references to
//! other kinds are treated as live; no verification GET before deleting.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::controller_utils::{is_being_deleted, key_of, owner_references, uid};
use super::{credentials, merge_patch};
use crate::sim::api::resources;
use crate::sim::apiserver::request::PropagationPolicy;
use crate::sim::apiserver::Credentials;
use crate::sim::component::{Component, Context, Decision, ObjectEvent, Reconcile};
use crate::sim::trace::{Actor, Seq};

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

#[derive(Default)]
pub struct GarbageCollector {
    cause: Option<Seq>,
}

impl GarbageCollector {
    pub fn new() -> Self {
        GarbageCollector::default()
    }
}

fn finalizers(obj: &Value) -> Vec<String> {
    obj.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn without_finalizer(obj: &Value, finalizer: &str) -> Value {
    let rest: Vec<String> = finalizers(obj)
        .into_iter()
        .filter(|f| f != finalizer)
        .collect();
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

fn describe(resource: &str, obj: &Value) -> String {
    format!("{resource} {}", key_of(obj))
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
        self.cause = Some(ev.seq);
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        let Some(cause) = self.cause.take() else {
            return out;
        };
        let mut objects: Vec<(&'static str, Value)> = Vec::new();
        for resource in GC_RESOURCES {
            for obj in ctx.lister.list(resource, None) {
                objects.push((resource, obj));
            }
        }
        let by_uid: BTreeMap<String, usize> = objects
            .iter()
            .enumerate()
            .map(|(i, (_, o))| (uid(o).to_string(), i))
            .collect();
        // owner uid → (dependent index, blockOwnerDeletion)
        let mut dependents: BTreeMap<String, Vec<(usize, bool)>> = BTreeMap::new();
        for (i, (_, o)) in objects.iter().enumerate() {
            for r in owner_references(o) {
                let owner_uid = r
                    .get("uid")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let blocks = r.get("blockOwnerDeletion").and_then(Value::as_bool) == Some(true);
                dependents.entry(owner_uid).or_default().push((i, blocks));
            }
        }
        let no_deps = Vec::new();
        for (i, (resource, obj)) in objects.iter().enumerate() {
            let my_uid = uid(obj).to_string();
            let deps = dependents.get(&my_uid).unwrap_or(&no_deps);
            let fins = finalizers(obj);
            let deleting = is_being_deleted(obj);

            // Orphan: drop the references to this owner, then the finalizer.
            if deleting && fins.iter().any(|f| f == ORPHAN_FINALIZER) {
                let mut d = Decision::new(
                    "OrphanDependents",
                    format!(
                        "{} is deleted with propagationPolicy Orphan: {} dependent(s) keep running without it",
                        describe(resource, obj),
                        deps.len()
                    ),
                )
                .caused_by(cause);
                for (j, _) in deps {
                    let (dep_resource, dep) = &objects[*j];
                    let refs: Vec<Value> = owner_references(dep)
                        .iter()
                        .filter(|r| r.get("uid").and_then(Value::as_str) != Some(my_uid.as_str()))
                        .cloned()
                        .collect();
                    d.actions.push(merge_patch(
                        dep_resource,
                        dep,
                        json!({"metadata": {"ownerReferences": refs}}),
                    ));
                }
                d.actions.push(merge_patch(
                    resource,
                    obj,
                    without_finalizer(obj, ORPHAN_FINALIZER),
                ));
                out.decisions.push(d);
                continue;
            }

            // Foreground: delete the dependents; let the owner go when none blocks it.
            if deleting && fins.iter().any(|f| f == FOREGROUND_FINALIZER) {
                let mut d = Decision::new("DeleteDependents", String::new()).caused_by(cause);
                for (j, _) in deps {
                    let (dep_resource, dep) = &objects[*j];
                    if is_being_deleted(dep) {
                        continue;
                    }
                    let has_own = dependents.get(uid(dep)).is_some_and(|v| !v.is_empty());
                    let mut request = super::delete(dep_resource, dep);
                    if has_own {
                        request.delete_options.propagation_policy =
                            Some(PropagationPolicy::Foreground);
                    }
                    d.actions.push(request);
                }
                let blocking = deps.iter().filter(|(_, b)| *b).count();
                if blocking == 0 {
                    d.message = format!(
                        "{} (foreground deletion): no dependent blocks it any more: removing the foregroundDeletion finalizer",
                        describe(resource, obj)
                    );
                    d.actions.push(merge_patch(
                        resource,
                        obj,
                        without_finalizer(obj, FOREGROUND_FINALIZER),
                    ));
                } else {
                    d.message = format!(
                        "{} (foreground deletion): waiting for {blocking} dependent(s) with blockOwnerDeletion; deleting {} of them",
                        describe(resource, obj),
                        d.actions.len()
                    );
                }
                if !d.actions.is_empty() {
                    out.decisions.push(d);
                }
                continue;
            }

            // attemptToDeleteItem: owners gone?
            let refs = owner_references(obj);
            if refs.is_empty() || deleting {
                continue;
            }
            let absent: Vec<&Value> = refs
                .iter()
                .filter(|r| {
                    covered(r)
                        && !by_uid.contains_key(r.get("uid").and_then(Value::as_str).unwrap_or(""))
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
                            describe(resource, obj),
                            names.join(", ")
                        ),
                    )
                    .caused_by(cause)
                    .action(super::delete(resource, obj)),
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
                            describe(resource, obj),
                            names.join(", ")
                        ),
                    )
                    .caused_by(cause)
                    .action(merge_patch(
                        resource,
                        obj,
                        json!({"metadata": {"ownerReferences": live}}),
                    )),
                );
            }
            let _ = i;
        }
        out
    }
}
