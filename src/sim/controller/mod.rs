//! kube-controller-manager: one process, many control loops, one file per controller.
//!
//! Mirrors: `cmd/kube-controller-manager` (one binary that starts every controller with shared
//! informers and one identity) and `pkg/controller/*` (each controller's sync verbs).
//! Simplified: the controllers run as one [`Component`] named `kube-controller-manager`, so
//! `Cluster::stop_component("kube-controller-manager")` stops all of them at once (the cluster
//! stops components by exact name); each controller is still its own `Component` and can run
//! alone in a test. A controller reads the apiserver's current objects through the `Lister`
//! (our informer cache is always fresh) and uses its watch events only to know which keys to
//! sync and why (the event's seq is each decision's cause).

pub mod controller_utils;
pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod deployment_util;
pub mod endpoints;
pub mod endpointslice;
pub mod garbage_collector;
pub mod job;
pub mod namespace;
pub mod node_lifecycle;
pub mod podgc;
pub mod recreate;
pub mod replicaset;
pub mod resourcequota;
pub mod rollback;
pub mod rolling;
pub mod service_lb;

use std::collections::{BTreeMap, VecDeque};

use serde_json::Value;

use crate::sim::apiserver::events::{build_event, record_request, EventSpec, EventType};
use crate::sim::apiserver::request::PatchType;
use crate::sim::apiserver::{ApiError, ApiRequest, ApiResponse, Credentials, Verb};
use crate::sim::clock::Ticks;
use crate::sim::component::{Component, Context, Decision, DecisionId, ObjectEvent, Reconcile};
use crate::sim::trace::{Actor, ObjectRef, Seq};

/// The name the whole group answers to.
pub const CONTROLLER_MANAGER: &str = "kube-controller-manager";

/// kube-controller-manager's client certificate (`/etc/kubernetes/controller-manager.conf`).
pub fn credentials() -> Credentials {
    Credentials::ClientCertificate {
        common_name: "system:kube-controller-manager".to_string(),
        organizations: Vec::new(),
    }
}

pub fn actor() -> Actor {
    Actor::new(CONTROLLER_MANAGER, "master")
}

/// A request as the controller-manager sends it (the cluster sets the credentials again).
pub fn request(verb: Verb, resource: &str, namespace: Option<&str>) -> ApiRequest {
    let mut r = ApiRequest::new(credentials(), verb, resource);
    r.namespace = namespace.filter(|n| !n.is_empty()).map(str::to_string);
    r
}

/// A JSON merge patch of one object (`kubectl patch --type merge`), the way controllers here
/// write: no resourceVersion, so it applies to whatever is current.
pub fn merge_patch(resource: &str, obj: &Value, patch: Value) -> ApiRequest {
    let ns = crate::sim::api::namespace(obj);
    request(Verb::Patch, resource, Some(ns))
        .name(crate::sim::api::name(obj))
        .patch(PatchType::Merge, patch)
}

/// A merge patch of the `status` subresource.
pub fn status_patch(resource: &str, obj: &Value, status: Value) -> ApiRequest {
    merge_patch(resource, obj, serde_json::json!({ "status": status })).subresource("status")
}

pub fn delete(resource: &str, obj: &Value) -> ApiRequest {
    let ns = crate::sim::api::namespace(obj);
    request(Verb::Delete, resource, Some(ns)).name(crate::sim::api::name(obj))
}

/// The create request of a core/v1 Event about `involved`, written by `component`.
pub fn event(
    ctx: &mut Context,
    involved: &Value,
    event_type: EventType,
    reason: &str,
    message: &str,
    component: &str,
) -> ApiRequest {
    let spec = EventSpec {
        event_type,
        reason,
        message,
        component,
        host: "",
    };
    let body = build_event(involved, &spec, ctx.clock, ctx.rng, ctx.events_named);
    record_request(credentials(), body)
}

/// A work queue of keys, each remembering the latest delivery that asked for it.
#[derive(Clone, Debug, Default)]
pub struct WorkQueue {
    keys: BTreeMap<String, Seq>,
}

impl WorkQueue {
    pub fn add(&mut self, key: impl Into<String>, seq: Seq) {
        self.keys.insert(key.into(), seq);
    }

    pub fn take(&mut self) -> BTreeMap<String, Seq> {
        std::mem::take(&mut self.keys)
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Every controller of the manager, each as its own component.
pub fn controllers() -> Vec<Box<dyn Component>> {
    vec![
        Box::new(deployment::DeploymentController::new()),
        Box::new(replicaset::ReplicaSetController::replica_sets()),
        Box::new(replicaset::ReplicaSetController::replication_controllers()),
        Box::new(node_lifecycle::NodeLifecycleController::new()),
        Box::new(node_lifecycle::TaintEvictionController::new()),
        Box::new(daemonset::DaemonSetsController::new()),
        Box::new(job::JobController::new()),
        Box::new(cronjob::CronJobController::new()),
        Box::new(endpoints::EndpointsController::new()),
        Box::new(endpointslice::EndpointSliceController::new()),
        Box::new(namespace::NamespaceController::new()),
        Box::new(garbage_collector::GarbageCollector::new()),
        Box::new(podgc::PodGcController::new()),
        Box::new(service_lb::ServiceLbController::new()),
        Box::new(resourcequota::ResourceQuotaController::new()),
    ]
}

/// The controller-manager as the cluster runs it: one component named
/// `kube-controller-manager` holding every controller (see the module doc).
pub fn controller_manager() -> Vec<Box<dyn Component>> {
    vec![Box::new(ControllerManager::new(controllers()))]
}

/// Many controllers behind one `Component`: events go to the controllers that watch their
/// resource, reconcile runs the controllers with work, responses go back to whoever sent the
/// request.
pub struct ControllerManager {
    controllers: Vec<Box<dyn Component>>,
    /// Told something since its last reconcile.
    dirty: Vec<bool>,
    due_ticks: Vec<Option<Ticks>>,
    /// Which controller sent each request of the last reconcile, in order: the cluster answers
    /// them in that order through `on_response`.
    senders: VecDeque<usize>,
    /// The loop the reconcile in progress goes on with (0: a new reconcile).
    next_loop: usize,
    /// That loop stopped in the middle of its own reconcile (`Reconcile::unfinished`): it is
    /// called again, whatever it wants.
    resuming: bool,
}

impl ControllerManager {
    pub fn new(controllers: Vec<Box<dyn Component>>) -> Self {
        let n = controllers.len();
        ControllerManager {
            controllers,
            dirty: vec![true; n],
            due_ticks: vec![None; n],
            senders: VecDeque::new(),
            next_loop: 0,
            resuming: false,
        }
    }

    /// Whether loop `i` has something to do now.
    fn wants(&self, i: usize, now: Ticks) -> bool {
        self.dirty[i] || self.due_ticks[i].is_some_and(|d| d <= now)
    }

    pub fn controller_names(&self) -> Vec<String> {
        self.controllers.iter().map(|c| c.name()).collect()
    }
}

impl Component for ControllerManager {
    fn name(&self) -> String {
        CONTROLLER_MANAGER.to_string()
    }

    fn actor(&self) -> Actor {
        actor()
    }

    fn credentials(&self) -> Credentials {
        credentials()
    }

    fn watches(&self) -> Vec<&'static str> {
        let mut all: Vec<&'static str> =
            self.controllers.iter().flat_map(|c| c.watches()).collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    fn observe(&mut self, event: &ObjectEvent) {
        for (i, c) in self.controllers.iter_mut().enumerate() {
            if c.watches().contains(&event.resource) {
                c.observe(event);
                self.dirty[i] = true;
            }
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        if self.next_loop == 0 {
            self.senders.clear();
        }
        while self.next_loop < self.controllers.len() {
            let i = self.next_loop;
            self.next_loop += 1;
            if !std::mem::take(&mut self.resuming) && !self.wants(i, ctx.now) {
                continue;
            }
            self.dirty[i] = false;
            let c = &mut self.controllers[i];
            let result = c.reconcile(ctx);
            if !result.unfinished {
                self.due_ticks[i] = result.requeue_after.map(|after| ctx.now + after.max(1));
            }
            for decision in result.decisions {
                let name = c.name();
                let mut decision = decision;
                decision.message = format!("{name}: {}", decision.message);
                // The manager is one process; the trace names the loop that decided.
                decision.actor.get_or_insert_with(|| c.actor());
                // Ids are each loop's own: the loop's index in the high bits keeps them apart,
                // and `on_recorded` hands the seq back to the loop that named the decision.
                let tag = |id: DecisionId| DecisionId(((i as u64) << 32) | id.0);
                decision.id = decision.id.map(tag);
                decision.after = decision.after.map(tag);
                self.senders
                    .extend(std::iter::repeat_n(i, decision.actions.len()));
                out.decisions.push(decision);
            }
            // A loop that stopped in its own reconcile goes on in the next call.
            if result.unfinished {
                self.next_loop = i;
                self.resuming = true;
                out.unfinished = true;
                return out;
            }
            // One loop per call while another has work: at 1,000 pods one loop's sync takes
            // milliseconds, and the page runs each call as its own part.
            if (self.next_loop..self.controllers.len()).any(|j| self.wants(j, ctx.now)) {
                out.unfinished = true;
                return out;
            }
        }
        self.next_loop = 0;
        out.requeue_after = self
            .due_ticks
            .iter()
            .flatten()
            .min()
            .map(|d| d.saturating_sub(ctx.now).max(1));
        out
    }

    fn on_recorded(&mut self, id: DecisionId, seq: Seq) {
        if let Some(c) = self.controllers.get_mut((id.0 >> 32) as usize) {
            c.on_recorded(DecisionId(id.0 & 0xffff_ffff), seq);
        }
    }

    fn requeue_after_responses(&mut self) -> Option<Ticks> {
        let mut soonest: Option<Ticks> = None;
        for c in self.controllers.iter_mut() {
            if let Some(after) = c.requeue_after_responses() {
                soonest = Some(soonest.map_or(after, |s| s.min(after)));
            }
        }
        soonest
    }

    fn on_not_sent(&mut self, request: &ApiRequest) {
        // The unsent request still had its place in `senders`: without this every later
        // answer of the reconcile would go to the loop before its sender (chaos seed 249).
        if let Some(i) = self.senders.pop_front() {
            if let Some(c) = self.controllers.get_mut(i) {
                c.on_not_sent(request);
            }
        }
    }

    fn on_response(&mut self, request: &ApiRequest, result: &Result<ApiResponse, ApiError>) {
        if let Some(i) = self.senders.pop_front() {
            if let Some(c) = self.controllers.get_mut(i) {
                c.on_response(request, result);
                // A failed write is worth another look on the next pass.
                if result.is_err() {
                    self.dirty[i] = true;
                }
            }
        }
    }
}

/// What one sync decided is about the object it synced: names the `resource` object at `key`
/// (`namespace/name`, or a name; its uid from the lister when it still exists) in every decision
/// from `first` on that names nothing yet.
pub fn about_synced(
    out: &mut Reconcile,
    first: usize,
    lister: &crate::sim::component::Lister,
    resource: &str,
    key: &str,
) {
    let (namespace, name) = match key.split_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, key),
    };
    let object = lister
        .get(resource, namespace, name)
        .and_then(|o| ObjectRef::of(resource, &o))
        .unwrap_or_else(|| ObjectRef::new(resource, namespace, name));
    for decision in out.decisions.iter_mut().skip(first) {
        decision.object.get_or_insert_with(|| object.clone());
    }
}

/// One decision with no requests: the controller looked and found nothing to do. Used sparingly
/// (only when a student would ask "why did nothing happen?").
pub fn note(reason: &str, message: impl Into<String>, cause: Seq) -> Decision {
    Decision::new(reason, message).caused_by(cause)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::apiserver::backend::Store;
    use crate::sim::clock::Clock;
    use crate::sim::component::{EventsNamed, Lister};
    use crate::sim::rng::Rng;

    /// A loop that decides `reason` once each time it is told something.
    struct Loop(&'static str);

    impl Component for Loop {
        fn name(&self) -> String {
            self.0.to_string()
        }
        fn actor(&self) -> Actor {
            Actor::controller(self.0)
        }
        fn credentials(&self) -> Credentials {
            Credentials::admin()
        }
        fn watches(&self) -> Vec<&'static str> {
            vec!["pods"]
        }
        fn observe(&mut self, _event: &ObjectEvent) {}
        fn reconcile(&mut self, _ctx: &mut Context) -> Reconcile {
            Reconcile {
                decisions: vec![Decision::new(self.0, "")],
                requeue_after: Some(10),
                ..Reconcile::default()
            }
        }
    }

    fn reasons(r: &Reconcile) -> Vec<&str> {
        r.decisions.iter().map(|d| d.reason.as_str()).collect()
    }

    #[test]
    fn the_manager_runs_one_loop_per_call_while_another_has_work_then_finishes() {
        let loops: Vec<Box<dyn Component>> = ["a", "b", "c"]
            .into_iter()
            .map(|n| Box::new(Loop(n)) as Box<dyn Component>)
            .collect();
        let mut manager = ControllerManager::new(loops);
        let (store, clock, mut rng) = (Store::new(), Clock::default(), Rng::new(1));
        let mut named = EventsNamed::default();
        let mut call = |manager: &mut ControllerManager, now: Ticks| {
            let mut ctx = Context {
                now,
                clock: &clock,
                rng: &mut rng,
                events_named: &mut named,
                cause: None,
                lister: Lister::new(&store),
            };
            manager.reconcile(&mut ctx)
        };
        // All three are dirty at the start: three calls, the last one finished.
        let first = call(&mut manager, 0);
        assert_eq!((reasons(&first), first.unfinished), (vec!["a"], true));
        let second = call(&mut manager, 0);
        assert_eq!((reasons(&second), second.unfinished), (vec!["b"], true));
        let third = call(&mut manager, 0);
        assert_eq!((reasons(&third), third.unfinished), (vec!["c"], false));
        assert_eq!(third.requeue_after, Some(10));
        // Only b has work: one call does it and finishes.
        manager.dirty[1] = true;
        let only = call(&mut manager, 5);
        assert_eq!((reasons(&only), only.unfinished), (vec!["b"], false));
    }
}
