//! The resource-quota controller: keeps each ResourceQuota's `status` true to its namespace.
//!
//! Mirrors: `pkg/controller/resourcequota/resource_quota_controller.go` `syncResourceQuota`:
//! `status.hard` is copied from `spec.hard` and `status.used` is recalculated from the objects
//! of the namespace (`quota.CalculateUsage`, every hard resource listed, 0 when unused), written
//! with one status update when either differs. Its quota monitors re-sync a namespace when an
//! object there is deleted or a pod ends (what the admission plugin charged is released only
//! here); a new or changed quota is synced at once, which is what arms admission for it.
//! Simplified: it watches the kinds the controller-manager already watches (pods, services,
//! configmaps, secrets, replication controllers, deployments, replica sets, daemon sets, jobs)
//! and its quotas; a `count/` of another kind is charged by admission and recalculated with the
//! namespace's next change, not by a monitor of its own nor the 5-minute full resync
//! (`--resource-quota-sync-period`).

use crate::sim::api::JsonPointer;
use std::collections::BTreeMap;

use serde_json::Value;

use super::{credentials, request};
use crate::sim::api::quota::{self, calculate_usage, list_json, resource_list};
use crate::sim::api::resources::{by_plural, RESOURCES};
use crate::sim::apiserver::{Credentials, Verb};
use crate::sim::component::{Component, Context, Decision, ObjectEvent, Reconcile};
use crate::sim::trace::{Actor, ObjectRef, Seq};

pub const COMPONENT: &str = "resourcequota-controller";

/// What a quota can charge and this controller watches (see the module doc).
const WATCHED: [&str; 10] = [
    "resourcequotas",
    "pods",
    "services",
    "configmaps",
    "secrets",
    "replicationcontrollers",
    "deployments",
    "replicasets",
    "daemonsets",
    "jobs",
];

#[derive(Default)]
pub struct ResourceQuotaController {
    /// Namespaces where something changed, with the delivery that said so.
    dirty: BTreeMap<String, Seq>,
}

impl ResourceQuotaController {
    pub fn new() -> Self {
        ResourceQuotaController::default()
    }
}

impl Component for ResourceQuotaController {
    fn name(&self) -> String {
        COMPONENT.to_string()
    }

    fn actor(&self) -> Actor {
        Actor::controller(COMPONENT)
    }

    fn credentials(&self) -> Credentials {
        credentials()
    }

    fn watches(&self) -> Vec<&'static str> {
        WATCHED.to_vec()
    }

    fn observe(&mut self, ev: &ObjectEvent) {
        if let Some(ns) = ev.namespace() {
            self.dirty.insert(ns.to_string(), ev.seq);
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        let Some(rq) = by_plural("resourcequotas") else {
            return out;
        };
        for (ns, cause) in std::mem::take(&mut self.dirty) {
            for q in ctx.lister.list("resourcequotas", Some(&ns)) {
                let hard = resource_list(q.ptr("/spec/hard"));
                // Only the kinds some hard resource names are listed.
                let listed: Vec<(&'static _, Vec<Value>)> = RESOURCES
                    .iter()
                    .filter(|i| i.namespaced && hard.keys().any(|k| quota::tracks(i, k)))
                    .map(|i| (i, ctx.lister.list(i.plural, Some(&ns))))
                    .collect();
                let objects = listed
                    .iter()
                    .flat_map(|(i, l)| l.iter().map(move |o| (*i, o)));
                let used = calculate_usage(&hard, objects);
                let old_hard = resource_list(q.ptr("/status/hard"));
                let old_used = resource_list(q.ptr("/status/used"));
                if old_hard == hard && old_used == used {
                    continue;
                }
                let name = crate::sim::api::name(&q);
                let mut new = q.clone();
                new["status"] =
                    serde_json::json!({"hard": list_json(&hard), "used": list_json(&used)});
                out.decisions.push(
                    Decision::new(
                        "SyncResourceQuota",
                        format!(
                            "resourcequota {ns}/{name}: used {} of hard {}",
                            quota::pretty(&used),
                            quota::pretty(&hard)
                        ),
                    )
                    .caused_by(cause)
                    .about(
                        ObjectRef::of(rq.plural, &q)
                            .unwrap_or_else(|| ObjectRef::new(rq.plural, Some(&ns), name)),
                    )
                    .action(
                        request(Verb::Update, rq.plural, Some(&ns))
                            .name(name)
                            .subresource("status")
                            .body(new),
                    ),
                );
            }
        }
        out
    }
}
