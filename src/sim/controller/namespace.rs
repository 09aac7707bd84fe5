//! The namespace controller: a Terminating namespace is emptied, then finalized.
//!
//! Mirrors: `pkg/controller/namespace/deletion/namespaced_resources_deleter.go` (`Delete`: for a
//! namespace with a deletionTimestamp, delete every namespaced resource in it; while anything
//! remains, try again later; when nothing remains, remove the `kubernetes` finalizer from
//! `spec.finalizers` through the `finalize` subresource, after which the apiserver removes the
//! namespace).
//! Simplified: no `NamespaceDeletionContentFailure`-style status conditions; retries every second
//! while content remains (upstream re-queues with back-off).

use crate::sim::api::JsonPointer;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::controller_utils::is_being_deleted;
use super::{credentials, request};
use crate::sim::api::resources::RESOURCES;
use crate::sim::apiserver::{Credentials, Verb};
use crate::sim::clock::{seconds_to_ticks, Ticks};
use crate::sim::component::{Component, Context, Decision, ObjectEvent, Reconcile};
use crate::sim::trace::{Actor, Seq};

pub const FINALIZER_KUBERNETES: &str = "kubernetes";
pub const RETRY_TICKS: Ticks = seconds_to_ticks(1);

#[derive(Default)]
pub struct NamespaceController {
    /// Terminating namespaces, with the delivery that told us.
    terminating: BTreeMap<String, Seq>,
}

impl NamespaceController {
    pub fn new() -> Self {
        NamespaceController::default()
    }
}

impl Component for NamespaceController {
    fn name(&self) -> String {
        "namespace-controller".to_string()
    }

    fn actor(&self) -> Actor {
        Actor::controller(&self.name())
    }

    fn credentials(&self) -> Credentials {
        credentials()
    }

    fn watches(&self) -> Vec<&'static str> {
        vec!["namespaces"]
    }

    fn observe(&mut self, ev: &ObjectEvent) {
        if ev.event == crate::sim::trace::WatchEventType::Deleted {
            self.terminating.remove(ev.name());
        } else if is_being_deleted(&ev.object) {
            self.terminating.insert(ev.name().to_string(), ev.seq);
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        let mut waiting = false;
        for (ns, cause) in self.terminating.clone() {
            let Some(namespace) = ctx.lister.get("namespaces", None, &ns) else {
                self.terminating.remove(&ns);
                continue;
            };
            let mut remaining = 0;
            let mut d = Decision::new("NamespaceContentDeletion", String::new()).caused_by(cause);
            for info in RESOURCES.iter().filter(|r| r.namespaced) {
                for obj in ctx.lister.list(info.plural, Some(&ns)) {
                    remaining += 1;
                    if !is_being_deleted(&obj) {
                        d.actions.push(super::delete(info.plural, &obj));
                    }
                }
            }
            if remaining > 0 {
                waiting = true;
                if !d.actions.is_empty() {
                    d.message = format!(
                        "namespace {ns} is Terminating: {remaining} object(s) left; deleting {}",
                        d.actions.len()
                    );
                    out.decisions.push(d);
                }
                continue;
            }
            let finalizers: Vec<Value> = namespace
                .ptr("/spec/finalizers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if !finalizers.iter().any(|f| f == FINALIZER_KUBERNETES) {
                continue;
            }
            let rest: Vec<Value> = finalizers
                .into_iter()
                .filter(|f| f != FINALIZER_KUBERNETES)
                .collect();
            let mut body = namespace.clone();
            body["spec"]["finalizers"] = json!(rest);
            if let Some(meta) = body.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("resourceVersion");
            }
            out.decisions.push(
                Decision::new(
                    "NamespaceFinalize",
                    format!("namespace {ns} is empty: removing the \"kubernetes\" finalizer"),
                )
                .caused_by(cause)
                .action(
                    request(Verb::Update, "namespaces", None)
                        .name(ns.clone())
                        .subresource("finalize")
                        .body(body),
                ),
            );
        }
        if waiting {
            out.requeue_after = Some(RETRY_TICKS);
        }
        out
    }
}
