//! The ReplicaSet controller, which also serves ReplicationControllers (one code, two kinds).
//!
//! Mirrors: `pkg/controller/replicaset/replica_set.go` (`syncReplicaSet`, `manageReplicas` with
//! `slowStartBatch` and `BurstReplicas`, `getPodsToDelete`, `calculateStatus` in
//! `replica_set_utils.go`, expectations) and `pkg/controller/replication` (the same controller
//! over core/v1 ReplicationControllers), with `ClaimPods` from `controller_ref_manager.go`
//! (adopt orphans that match the selector, release pods that no longer match).
//! Simplified: pod names are chosen here (generateName + 5 characters from the cluster's RNG,
//! sent as `metadata.name` beside `generateName`) so that the `SuccessfulCreate` Event can name
//! the pod in the same pass; minReadySeconds is not modelled (available = ready); the batches of
//! one sync are all sent in that sync, one decision per batch.

use crate::sim::api::JsonPointer;
use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::controller_utils::{
    self as cu, get_pods_to_delete, is_being_deleted, is_controlled_by, is_pod_active,
    is_pod_ready, key_of, slow_start_batches, ControllerExpectations, BURST_REPLICAS,
    SLOW_START_INITIAL_BATCH_SIZE,
};
use super::{credentials, event, merge_patch, request, status_patch, WorkQueue};
use crate::sim::api::labels::{Operator, Requirement, Selector};
use crate::sim::api::selector::selector_from_optional;
use crate::sim::apiserver::events::EventType;
use crate::sim::apiserver::{ApiError, ApiRequest, ApiResponse, Credentials, Verb};
use crate::sim::clock::{seconds_to_ticks, Ticks};
use crate::sim::component::DecisionId;
use crate::sim::component::{Component, Context, Decision, ObjectEvent, Reconcile};
use crate::sim::trace::{Actor, Seq, WatchEventType};

/// Which kind this instance manages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    ReplicaSet,
    ReplicationController,
}

impl Kind {
    fn resource(self) -> &'static str {
        match self {
            Kind::ReplicaSet => "replicasets",
            Kind::ReplicationController => "replicationcontrollers",
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Kind::ReplicaSet => "ReplicaSet",
            Kind::ReplicationController => "ReplicationController",
        }
    }

    /// The event source component, as upstream names it.
    fn component(self) -> &'static str {
        match self {
            Kind::ReplicaSet => "replicaset-controller",
            Kind::ReplicationController => "replication-controller",
        }
    }
}

pub struct ReplicaSetController {
    kind: Kind,
    queue: WorkQueue,
    /// Namespaces where a pod without a controller appeared or changed: look for an adopter.
    orphan_namespaces: std::collections::BTreeMap<String, Seq>,
    expectations: ControllerExpectations,
    /// Pod key → owner key of the deletes sent, to lower expectations if one fails.
    deleting: std::collections::BTreeMap<String, String>,
    /// Refused pod creates, reported and retried on the work queue's back-off.
    failures: cu::CreateFailures,
    /// A reconcile that stopped in the middle of a burst of creates: the next call goes on
    /// where it stopped (`Reconcile::unfinished`).
    resume: Option<Resume>,
}

/// At most this many pods are built in one call of the reconcile: a burst of 500 (upstream's
/// `burstReplicas`) is built over several calls, which the page runs as parts of their own.
/// Nothing is applied between the calls, so the decisions are those of one call.
const PODS_PER_CALL: usize = 64;

/// Where a reconcile stopped: the burst being built, then the keys still to sync.
struct Resume {
    burst: Burst,
    keys: std::collections::VecDeque<(String, Seq)>,
}

/// A burst of creates for one ReplicaSet, in its slow-start batches (one decision each).
struct Burst {
    key: String,
    rs: Value,
    template: Value,
    prefix: String,
    cause: Seq,
    /// The batches' sizes still to start, and how many there are in all.
    batches: std::collections::VecDeque<usize>,
    count: usize,
    /// `desired N, have M: creating D`.
    summary: String,
    /// The batch being built, and how many pods it still lacks.
    current: Option<(Decision, usize)>,
    /// The sync's decisions after the creates (its status), sent once the burst is done.
    tail: Vec<Decision>,
}

/// `DefaultControllerRateLimiter`'s per-item back-off: 5 ms doubling to 1000 s.
const FAILURE_BACKOFF_BASE_TICKS: Ticks = 5;
const FAILURE_BACKOFF_MAX_TICKS: Ticks = seconds_to_ticks(1000);

impl ReplicaSetController {
    pub fn replica_sets() -> Self {
        ReplicaSetController {
            kind: Kind::ReplicaSet,
            queue: WorkQueue::default(),
            orphan_namespaces: Default::default(),
            expectations: ControllerExpectations::default(),
            deleting: Default::default(),
            failures: cu::CreateFailures::new(
                FAILURE_BACKOFF_BASE_TICKS,
                FAILURE_BACKOFF_MAX_TICKS,
            ),
            resume: None,
        }
    }

    pub fn replication_controllers() -> Self {
        ReplicaSetController {
            kind: Kind::ReplicationController,
            ..ReplicaSetController::replica_sets()
        }
    }

    /// The owner key of a pod's controllerRef if it is one of ours.
    fn owner_key(&self, pod: &Value) -> Option<String> {
        let r = cu::get_controller_of(pod)?;
        if r.get("kind").and_then(Value::as_str) != Some(self.kind.kind()) {
            return None;
        }
        let name = r.get("name").and_then(Value::as_str)?;
        Some(format!("{}/{name}", crate::sim::api::namespace(pod)))
    }
}

/// The selector of a ReplicaSet (`metav1.LabelSelector`) or a ReplicationController (a plain
/// map, defaulting to the template's labels).
pub fn selector_of(kind: Kind, obj: &Value) -> Selector {
    match kind {
        Kind::ReplicaSet => selector_from_optional(obj.ptr("/spec/selector"))
            .unwrap_or_else(|_| Selector::nothing()),
        Kind::ReplicationController => {
            let map = obj
                .ptr("/spec/selector")
                .filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
                .or_else(|| obj.ptr("/spec/template/metadata/labels"));
            let labels = crate::sim::api::string_map(map);
            if labels.is_empty() {
                return Selector::nothing();
            }
            let mut s = Selector::everything();
            for (k, v) in labels {
                match Requirement::new(&k, Operator::Equals, vec![v]) {
                    Ok(r) => s.add(r),
                    Err(_) => return Selector::nothing(),
                }
            }
            s
        }
    }
}

/// `calculateStatus`: counts over the active pods the controller owns.
pub fn calculate_status(rs: &Value, kind: Kind, pods: &[&Value]) -> Value {
    let template_labels = crate::sim::api::string_map(rs.ptr("/spec/template/metadata/labels"));
    // Read in place: a label map per pod was most of a sync's allocations at 1,000 pods.
    let fully_labeled = pods
        .iter()
        .filter(|p| {
            let labels = p.ptr("/metadata/labels");
            template_labels.iter().all(|(k, v)| {
                labels.and_then(|l| l.get(k)).and_then(Value::as_str) == Some(v.as_str())
            })
        })
        .count();
    let ready = pods.iter().filter(|p| is_pod_ready(p)).count();
    let generation = rs
        .ptr("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let _ = kind;
    json!({
        "replicas": pods.len(),
        "fullyLabeledReplicas": fully_labeled,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": generation,
    })
}

fn status_differs(rs: &Value, new: &Value) -> bool {
    let fields = [
        "replicas",
        "fullyLabeledReplicas",
        "readyReplicas",
        "availableReplicas",
        "observedGeneration",
    ];
    fields.iter().any(|f| {
        let old = rs
            .ptr(&format!("/status/{f}"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        new.get(*f).and_then(Value::as_i64).unwrap_or(0) != old
    })
}

impl ReplicaSetController {
    /// `syncReplicaSet` for one key; the burst it stopped in, if it built its call's pods
    /// (the sync's status is that burst's tail).
    fn sync_replica_set(
        &mut self,
        ctx: &mut Context,
        key: &str,
        cause: Seq,
        out: &mut Reconcile,
        budget: &mut usize,
    ) -> Option<Burst> {
        let (ns, name) = cu::split_key(key);
        let Some(rs) = ctx.lister.get(self.kind.resource(), ns, name) else {
            self.expectations.delete(key);
            return None;
        };
        let ns = ns.unwrap_or("default");
        let selector = selector_of(self.kind, &rs);
        let shared = ctx.lister.list_shared("pods", Some(ns));
        let all_pods: Vec<&Value> = shared.iter().map(|p| &**p).collect();

        // ClaimPods: ours, plus orphans that match (unless we are going away); release ours
        // that no longer match.
        let mut claimed: Vec<&Value> = Vec::new();
        let mut adopt = Decision::new("Adopt", String::new()).caused_by(cause);
        let mut release = Decision::new("Release", String::new()).caused_by(cause);
        for &pod in &all_pods {
            let matches = selector.matches_labels_of(pod);
            if is_controlled_by(pod, &rs) {
                if matches {
                    claimed.push(pod);
                } else {
                    let refs: Vec<Value> = cu::owner_references(pod)
                        .iter()
                        .filter(|r| r.get("uid").and_then(Value::as_str) != Some(cu::uid(&rs)))
                        .cloned()
                        .collect();
                    release.actions.push(merge_patch(
                        "pods",
                        pod,
                        json!({"metadata": {"ownerReferences": refs}}),
                    ));
                }
            } else if cu::get_controller_of(pod).is_none()
                && matches
                && !is_being_deleted(&rs)
                && is_pod_active(pod)
            {
                let mut refs = cu::owner_references(pod).to_vec();
                refs.push(cu::new_controller_ref(&rs));
                adopt.actions.push(merge_patch(
                    "pods",
                    pod,
                    json!({"metadata": {"ownerReferences": refs}}),
                ));
                claimed.push(pod);
            }
        }
        if !adopt.actions.is_empty() {
            adopt.message = format!(
                "{} {name}: adopting {} orphan pod(s) that match its selector",
                self.kind.kind(),
                adopt.actions.len()
            );
            out.decisions.push(adopt);
        }
        if !release.actions.is_empty() {
            release.message = format!(
                "{} {name}: releasing {} pod(s) that no longer match its selector",
                self.kind.kind(),
                release.actions.len()
            );
            out.decisions.push(release);
        }

        let active: Vec<&Value> = claimed
            .iter()
            .copied()
            .filter(|p| is_pod_active(p))
            .collect();
        let mut unfinished = None;
        if self.expectations.satisfied(key) && !is_being_deleted(&rs) {
            unfinished =
                self.manage_replicas(ctx, &rs, key, &active, &all_pods, cause, out, budget);
        }

        let mut status = calculate_status(&rs, self.kind, &active);
        // The ReplicaFailure condition says why pods are missing while a create is refused.
        let old_failure = rs
            .ptr("/status/conditions")
            .and_then(Value::as_array)
            .and_then(|c| c.iter().find(|c| c["type"] == "ReplicaFailure"));
        let failure = self.failures.message(key);
        if let Some(message) = failure {
            let same = old_failure.filter(|c| c["message"] == message);
            status["conditions"] = json!([same.cloned().unwrap_or_else(|| json!({
                "type": "ReplicaFailure", "status": "True",
                "lastTransitionTime": ctx.clock.rfc3339(),
                "reason": "FailedCreate", "message": message,
            }))]);
        } else if old_failure.is_some() {
            status["conditions"] = Value::Null;
        }
        let conditions_differ =
            old_failure.map(|c| &c["message"]) != failure.map(Value::from).as_ref();
        if status_differs(&rs, &status) || conditions_differ {
            let decisions = match &mut unfinished {
                Some(burst) => &mut burst.tail,
                None => &mut out.decisions,
            };
            decisions.push(
                Decision::new(
                    "UpdateStatus",
                    format!(
                        "{} {name}: replicas {}, ready {}, available {}",
                        self.kind.kind(),
                        status["replicas"],
                        status["readyReplicas"],
                        status["availableReplicas"]
                    ),
                )
                .caused_by(cause)
                .action(status_patch(self.kind.resource(), &rs, status)),
            );
        }
        unfinished
    }

    /// Builds a burst's batches into `out` until it is done (its tail too: None) or `budget` pods
    /// were built in this call (the burst, to go on with in the next call).
    fn build_burst(
        &mut self,
        ctx: &mut Context,
        mut burst: Burst,
        out: &mut Reconcile,
        budget: &mut usize,
    ) -> Option<Burst> {
        loop {
            let (mut d, mut left) = match burst.current.take() {
                Some(current) => current,
                None => {
                    let Some(size) = burst.batches.pop_front() else {
                        out.decisions.append(&mut burst.tail);
                        return None;
                    };
                    let number = burst.count - burst.batches.len();
                    let d = Decision::new(
                        "SuccessfulCreate",
                        format!(
                            "{} (slow-start batch {number} of {}: {size})",
                            burst.summary, burst.count
                        ),
                    )
                    .caused_by(burst.cause)
                    .id(DecisionId(0));
                    (d, size)
                }
            };
            while left > 0 {
                if *budget == 0 {
                    burst.current = Some((d, left));
                    return Some(burst);
                }
                let rs = &burst.rs;
                let mut pod = cu::pod_from_template(rs, &burst.template, &burst.prefix);
                let pod_name = cu::generate_name(&burst.prefix, ctx.rng);
                pod["metadata"]["name"] = json!(pod_name);
                d.actions.push(
                    request(Verb::Create, "pods", Some(crate::sim::api::namespace(rs))).body(pod),
                );
                d.actions.push(event(
                    ctx,
                    rs,
                    EventType::Normal,
                    "SuccessfulCreate",
                    &format!("Created pod: {pod_name}"),
                    self.kind.component(),
                ));
                left -= 1;
                *budget -= 1;
            }
            out.decisions.push(d);
        }
    }

    /// `manageReplicas`: create or delete pods until the active count is `spec.replicas`; the
    /// burst of creates it stopped in, if it built its call's pods.
    #[allow(clippy::too_many_arguments)]
    fn manage_replicas(
        &mut self,
        ctx: &mut Context,
        rs: &Value,
        key: &str,
        active: &[&Value],
        all_pods: &[&Value],
        cause: Seq,
        out: &mut Reconcile,
        budget: &mut usize,
    ) -> Option<Burst> {
        let name = crate::sim::api::name(rs);
        let want = rs
            .ptr("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1)
            .max(0) as usize;
        let have = active.len();
        let kind = self.kind.kind();
        if have >= want {
            // A sync with nothing to create forgets the back-off (`queue.Forget`).
            self.failures.forget(key);
        }
        let backing_off = self.failures.backing_off(key, ctx.now);
        if have < want && !backing_off {
            let diff = (want - have).min(BURST_REPLICAS);
            self.expectations.expect_creations(key, diff);
            let batches: std::collections::VecDeque<usize> =
                slow_start_batches(diff, SLOW_START_INITIAL_BATCH_SIZE).into();
            let burst = Burst {
                key: key.to_string(),
                rs: rs.clone(),
                template: rs.ptr("/spec/template").cloned().unwrap_or(json!({})),
                prefix: format!("{name}-"),
                cause,
                count: batches.len(),
                batches,
                summary: format!("{kind} {name}: desired {want}, have {have}: creating {diff}"),
                current: None,
                tail: Vec::new(),
            };
            return self.build_burst(ctx, burst, out, budget);
        } else if have > want {
            let diff = (have - want).min(BURST_REPLICAS);
            let victims = get_pods_to_delete(active, all_pods, diff);
            self.expectations.expect_deletions(key, victims.len());
            let mut d = Decision::new(
                "SuccessfulDelete",
                format!("{kind} {name}: desired {want}, have {have}: deleting {diff}"),
            )
            .caused_by(cause);
            for pod in victims {
                self.deleting.insert(key_of(pod), key.to_string());
                d.actions.push(super::delete("pods", pod));
                d.actions.push(event(
                    ctx,
                    rs,
                    EventType::Normal,
                    "SuccessfulDelete",
                    &format!("Deleted pod: {}", crate::sim::api::name(pod)),
                    self.kind.component(),
                ));
            }
            out.decisions.push(d);
        }
        None
    }
}

impl Component for ReplicaSetController {
    fn name(&self) -> String {
        self.kind.component().to_string()
    }

    fn actor(&self) -> Actor {
        Actor::controller(&self.name())
    }

    fn credentials(&self) -> Credentials {
        credentials()
    }

    fn watches(&self) -> Vec<&'static str> {
        vec![self.kind.resource(), "pods"]
    }

    fn observe(&mut self, ev: &ObjectEvent) {
        if ev.resource == self.kind.resource() {
            let key = key_of(&ev.object);
            // A spec change not yet observed (a scale): try creating again at once.
            let generation = ev.object.ptr("/metadata/generation");
            if generation != ev.object.ptr("/status/observedGeneration") {
                self.failures.retry_now(&key);
            }
            self.queue.add(key, ev.seq);
            return;
        }
        match self.owner_key(&ev.object) {
            Some(owner) => {
                self.failures.retry_now(&owner);
                match ev.event {
                    WatchEventType::Added => self.expectations.creation_observed(&owner),
                    // A graceful delete shows first as a deletionTimestamp (upstream's updatePod
                    // counts it then); its final removal is not counted twice.
                    WatchEventType::Deleted if !is_being_deleted(&ev.object) => {
                        self.expectations.deletion_observed(&owner)
                    }
                    WatchEventType::Modified if is_being_deleted(&ev.object) => {
                        self.expectations.deletion_observed(&owner)
                    }
                    _ => {}
                }
                self.queue.add(owner, ev.seq);
            }
            None if cu::get_controller_of(&ev.object).is_none()
                && ev.event != WatchEventType::Deleted =>
            {
                self.orphan_namespaces
                    .insert(crate::sim::api::namespace(&ev.object).to_string(), ev.seq);
            }
            None => {}
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        let mut budget = PODS_PER_CALL;
        let keys = match self.resume.take() {
            Some(Resume { burst, keys }) => {
                // Go on with the burst, then with the keys after it.
                let key = burst.key.clone();
                let unfinished = self.build_burst(ctx, burst, &mut out, &mut budget);
                super::about_synced(&mut out, 0, &ctx.lister, self.kind.resource(), &key);
                if let Some(burst) = unfinished {
                    self.resume = Some(Resume { burst, keys });
                    out.unfinished = true;
                    return out;
                }
                keys
            }
            None => self.keys_to_sync(ctx, &mut out),
        };
        self.sync_keys(ctx, keys, out, budget)
    }

    // Refusals to report

    fn on_recorded(&mut self, _id: DecisionId, seq: Seq) {
        self.failures.create_recorded(seq);
    }

    fn requeue_after_responses(&mut self) -> Option<Ticks> {
        // A refusal is reported on the next pass, not with the next unrelated event.
        self.failures.unreported().then_some(1)
    }

    fn on_response(&mut self, request: &ApiRequest, result: &Result<ApiResponse, ApiError>) {
        // A create or delete that failed will never be observed: lower the expectation, as
        // upstream does after a failed call; the next event syncs the owner again.
        if request.resource != "pods" {
            return;
        }
        let pod_key = format!(
            "{}/{}",
            request.namespace.as_deref().unwrap_or(""),
            request.name.as_deref().unwrap_or("")
        );
        match request.verb {
            Verb::Create => {
                let owner = request.body.as_ref().and_then(|b| self.owner_key(b));
                if let (Some(owner), Err(e)) = (owner, result) {
                    self.expectations.creation_observed(&owner);
                    self.failures.refused(owner, &e.message);
                }
            }
            Verb::Delete => {
                if let Some(owner) = self.deleting.remove(&pod_key) {
                    if result.is_err() {
                        self.expectations.deletion_observed(&owner);
                    }
                }
            }
            _ => {}
        }
    }
}

impl ReplicaSetController {
    /// The keys a new reconcile syncs, in order, with their causes: the work queue's, the
    /// refusals to report (their `FailedCreate` decisions go into `out` first) and the back-offs
    /// that ended.
    fn keys_to_sync(
        &mut self,
        ctx: &mut Context,
        out: &mut Reconcile,
    ) -> std::collections::VecDeque<(String, Seq)> {
        let mut work = self.queue.take();
        // Refusals to report (`FailedCreate`, caused by the decision that sent the create),
        // and back-offs that ended.
        for f in self.failures.report(ctx.now) {
            let (ns, name) = cu::split_key(&f.key);
            if let Some(rs) = ctx.lister.get(self.kind.resource(), ns, name) {
                let kind = self.kind.kind();
                let message = &f.message;
                out.decisions.push(
                    Decision::new("FailedCreate", format!("{kind} {name}: {message}"))
                        .caused_by(f.cause)
                        .action(event(
                            ctx,
                            &rs,
                            EventType::Warning,
                            "FailedCreate",
                            message,
                            self.kind.component(),
                        )),
                );
            }
            work.entry(f.key).or_insert(f.cause);
        }
        for (key, cause) in self.failures.due(ctx.now) {
            work.entry(key).or_insert(cause);
        }
        for (ns, seq) in std::mem::take(&mut self.orphan_namespaces) {
            for rs in ctx.lister.list(self.kind.resource(), Some(&ns)) {
                work.entry(key_of(&rs)).or_insert(seq);
            }
        }
        let keys: BTreeSet<String> = work.keys().cloned().collect();
        keys.into_iter()
            .map(|key| {
                let cause = work[&key];
                (key, cause)
            })
            .collect()
    }

    /// Syncs `keys` in order; stops in a burst when this call has built its pods.
    fn sync_keys(
        &mut self,
        ctx: &mut Context,
        mut keys: std::collections::VecDeque<(String, Seq)>,
        mut out: Reconcile,
        mut budget: usize,
    ) -> Reconcile {
        while let Some((key, cause)) = keys.pop_front() {
            let first = out.decisions.len();
            let unfinished = self.sync_replica_set(ctx, &key, cause, &mut out, &mut budget);
            super::about_synced(&mut out, first, &ctx.lister, self.kind.resource(), &key);
            if let Some(burst) = unfinished {
                self.resume = Some(Resume { burst, keys });
                out.unfinished = true;
                return out;
            }
        }
        out.requeue_after = self.failures.requeue_after(ctx.now);
        out
    }
}
