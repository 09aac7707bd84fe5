//! The simulated cloud provider's LoadBalancer controller: a `type: LoadBalancer` Service shows
//! `EXTERNAL-IP <pending>` until, after a short provisioning delay, an address from the pool is
//! written to `status.loadBalancer.ingress`.
//!
//! Mirrors: `k8s.io/cloud-provider/controllers/service` (`service-lb-controller` of
//! cloud-controller-manager): `syncLoadBalancerIfNeeded` emits `EnsuringLoadBalancer`, asks the
//! provider, then patches the status and emits `EnsuredLoadBalancer`; a deleted Service (or one
//! changed away from LoadBalancer) gives its address back (`DeletedLoadBalancer`). The pool is
//! what MetalLB would hand out on the VMs' network (172.16.20.200-250, lowest free first).
//! Simplified: it runs inside kube-controller-manager's loop (a kubeadm lab has no
//! cloud-controller-manager); no finalizer `service.kubernetes.io/load-balancer-cleanup`; the
//! pool lives in the controller, so after a restart addresses already written are not re-read.

use crate::sim::api::JsonPointer;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{credentials, event, status_patch, WorkQueue};
use crate::sim::apiserver::events::EventType;
use crate::sim::apiserver::Credentials;
use crate::sim::clock::{Ticks, TICKS_PER_SECOND};
use crate::sim::component::{Component, Context, Decision, ObjectEvent, Reconcile};
use crate::sim::network::service_ip::LoadBalancerPool;
use crate::sim::trace::{Actor, Seq, WatchEventType};

/// How long the simulated provider takes to provision a load balancer.
pub const LB_PROVISION_TICKS: Ticks = 3 * TICKS_PER_SECOND;

const COMPONENT: &str = "service-controller";

fn is_load_balancer(svc: &Value) -> bool {
    svc.ptr("/spec/type").and_then(Value::as_str) == Some("LoadBalancer")
}

fn has_ingress(svc: &Value) -> bool {
    svc.ptr("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

#[derive(Clone, Debug, Default)]
pub struct ServiceLbController {
    pool: LoadBalancerPool,
    queue: WorkQueue,
    /// `namespace/name` → (the tick the provider is done, the delivery that asked).
    provisioning: BTreeMap<String, (Ticks, Seq)>,
}

impl ServiceLbController {
    pub fn new() -> Self {
        ServiceLbController::default()
    }
}

fn split_key(key: &str) -> (&str, &str) {
    key.split_once('/').unwrap_or(("default", key))
}

impl Component for ServiceLbController {
    fn name(&self) -> String {
        "service-lb-controller".to_string()
    }

    fn actor(&self) -> Actor {
        Actor::controller(&self.name())
    }

    fn credentials(&self) -> Credentials {
        credentials()
    }

    fn watches(&self) -> Vec<&'static str> {
        vec!["services"]
    }

    fn observe(&mut self, e: &ObjectEvent) {
        let key = format!("{}/{}", e.namespace().unwrap_or("default"), e.name());
        if e.event == WatchEventType::Deleted || !is_load_balancer(&e.object) {
            self.provisioning.remove(&key);
            if self.pool.release(&key).is_some() && e.event != WatchEventType::Deleted {
                // Changed away from LoadBalancer: the status must lose its address too.
                self.queue.add(key, e.seq);
            }
            return;
        }
        if !has_ingress(&e.object) {
            self.queue.add(key, e.seq);
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        for (key, seq) in self.queue.take() {
            let (ns, name) = split_key(&key);
            let Some(svc) = ctx.lister.get("services", Some(ns), name) else {
                continue;
            };
            if !is_load_balancer(&svc) {
                if has_ingress(&svc) {
                    out.decisions.push(
                        Decision::new("DeletedLoadBalancer", "Deleted load balancer")
                            .caused_by(seq)
                            .action(status_patch("services", &svc, json!({"loadBalancer": {}}))),
                    );
                }
                continue;
            }
            if has_ingress(&svc) || self.provisioning.contains_key(&key) {
                continue;
            }
            let due = ctx.now + LB_PROVISION_TICKS;
            self.provisioning.insert(key.clone(), (due, seq));
            let ev = event(
                ctx,
                &svc,
                EventType::Normal,
                "EnsuringLoadBalancer",
                "Ensuring load balancer",
                COMPONENT,
            );
            out.decisions.push(
                Decision::new(
                    "EnsuringLoadBalancer",
                    format!("Ensuring load balancer for {key}"),
                )
                .caused_by(seq)
                .action(ev),
            );
        }
        let due: Vec<String> = self
            .provisioning
            .iter()
            .filter(|(_, (t, _))| *t <= ctx.now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            let Some((_, seq)) = self.provisioning.remove(&key) else {
                continue;
            };
            let (ns, name) = split_key(&key);
            let Some(svc) = ctx.lister.get("services", Some(ns), name) else {
                continue;
            };
            if !is_load_balancer(&svc) || has_ingress(&svc) {
                continue;
            }
            let Some(ip) = self.pool.assign(&key) else {
                // The pool is spent: EXTERNAL-IP stays <pending>, as with a full MetalLB pool.
                let ev = event(
                    ctx,
                    &svc,
                    EventType::Warning,
                    "SyncLoadBalancerFailed",
                    "Error syncing load balancer: failed to ensure load balancer: no available IPs",
                    COMPONENT,
                );
                out.decisions.push(
                    Decision::new("SyncLoadBalancerFailed", "no available IPs")
                        .caused_by(seq)
                        .action(ev),
                );
                continue;
            };
            let ev = event(
                ctx,
                &svc,
                EventType::Normal,
                "EnsuredLoadBalancer",
                "Ensured load balancer",
                COMPONENT,
            );
            out.decisions.push(
                Decision::new(
                    "EnsuredLoadBalancer",
                    format!("Ensured load balancer for {key}: ingress IP {ip}"),
                )
                .caused_by(seq)
                .action(status_patch(
                    "services",
                    &svc,
                    json!({"loadBalancer": {"ingress": [{"ip": ip.to_string(), "ipMode": "VIP"}]}}),
                ))
                .action(ev),
            );
        }
        out.requeue_after = self
            .provisioning
            .values()
            .map(|(t, _)| t.saturating_sub(ctx.now))
            .min();
        out
    }
}
