//! The kube-scheduler component: informers on pods, nodes, PriorityClasses and ReplicaSets, its
//! own scheduling queue, and one scheduling cycle per popped pod, whose outcome it returns as
//! intents (bind, or FailedScheduling event + `PodScheduled=False` status, + preemption). Each
//! cycle's record goes into the trace as data (`TraceKind::SchedulingCycle`), right before the
//! `Scheduled`/`FailedScheduling` decision it causes.
//!
//! Mirrors: `pkg/scheduler/scheduler.go` and `eventhandlers.go` (which informer event becomes
//! which queue operation or cluster event), `schedule_one.go` (`scheduleOne`: cycle → assume →
//! bind; `handleSchedulingFailure`).
//! Simplified: the snapshot is rebuilt from the informer caches at each reconcile (the lab has
//! three nodes); binding is asynchronous as upstream's, through the cluster applying the intent,
//! and a failed binding forgets the assumed pod and requeues it.

use crate::sim::api::JsonPointer;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::sim::api::core_v1::{Node, Pod};
use crate::sim::api::selector::LabelSelector;
use serde_json::Value;

use super::framework::{ClusterEvent, Profile};
use super::intents::{preempted_event, requests_for};
use super::node_info::{PriorityClassInfo, Snapshot};
use super::plugins::default_binder::scheduler_credentials;
use super::queue::SchedulingQueue;
use super::record::CycleRecord;
use super::schedule_one::Algorithm;
use crate::sim::apiserver::{ApiError, ApiRequest, ApiResponse, Credentials};
use crate::sim::component::{Component, Context, Decision, DecisionId, ObjectEvent, Reconcile};
use crate::sim::trace::{Actor, ObjectRef, Seq, TraceKind, WatchEventType};

/// How many recent cycle records the UI can look at.
pub const RECORDS_KEPT: usize = 64;

/// Scheduling cycles in one reconcile: upstream's scheduler takes one pod at a time while the
/// other components go on; a batch keeps a scale to 1,000 replicas from being one long step (the
/// rest of the queue is scheduled in the next steps, at the same simulated time).
pub const CYCLES_PER_RECONCILE: usize = 32;

/// What an informer event asks the queue to do, applied at the next reconcile (where the time is
/// known).
#[derive(Clone, Debug)]
enum QueueOp {
    Add(Arc<Pod>),
    Update(Arc<Pod>),
    Delete(String),
    Event(ClusterEvent),
}

pub struct Scheduler {
    algorithm: Algorithm,
    queue: SchedulingQueue,
    nodes: BTreeMap<String, Box<Node>>,
    /// Pods bound to a node, by `namespace/name`.
    assigned: BTreeMap<String, Box<Pod>>,
    /// Pods this scheduler bound but has not yet seen bound (upstream's assumed pods).
    assumed: BTreeMap<String, Box<(Pod, String)>>,
    priority_classes: BTreeMap<String, Box<PriorityClassInfo>>,
    controller_selectors: BTreeMap<String, Box<LabelSelector>>,
    inbox: Vec<(QueueOp, Seq)>,
    /// The delivery that last touched each pending pod: the cause of its cycle's decision.
    causes: BTreeMap<String, Seq>,
    records: Vec<CycleRecord>,
    /// Names this scheduler's cycle events, for its decisions to name them as their cause.
    next_decision_id: u64,
}

fn key_of(namespace: Option<&str>, name: &str) -> String {
    format!("{}/{}", namespace.unwrap_or("default"), name)
}

fn is_pending_for_us(pod: &Pod) -> bool {
    let spec = pod.spec.as_ref();
    spec.and_then(|s| s.node_name.as_deref())
        .unwrap_or("")
        .is_empty()
        && spec
            .and_then(|s| s.scheduler_name.as_deref())
            .is_none_or(|n| n == "default-scheduler")
        && pod.metadata.deletion_timestamp.is_none()
        && !matches!(
            pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        )
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler::new(Profile::default_profile())
    }
}

impl Scheduler {
    pub fn new(profile: Profile) -> Scheduler {
        let queue = SchedulingQueue::new(profile.events_by_plugin());
        Scheduler {
            algorithm: Algorithm::new(profile),
            queue,
            nodes: BTreeMap::new(),
            assigned: BTreeMap::new(),
            assumed: BTreeMap::new(),
            priority_classes: BTreeMap::new(),
            controller_selectors: BTreeMap::new(),
            inbox: Vec::new(),
            causes: BTreeMap::new(),
            records: Vec::new(),
            next_decision_id: 0,
        }
    }

    /// The most recent cycles, oldest first (the scheduler panel).
    pub fn records(&self) -> &[CycleRecord] {
        &self.records
    }

    pub fn queue(&self) -> &SchedulingQueue {
        &self.queue
    }

    fn snapshot(&self) -> Snapshot {
        let bound =
            self.assigned
                .values()
                .map(|pod| (**pod).clone())
                .chain(self.assumed.values().map(|assumed| {
                    let (pod, node) = &**assumed;
                    let mut pod = pod.clone();
                    if let Some(spec) = pod.spec.as_mut() {
                        spec.node_name = Some(node.clone());
                    }
                    pod
                }));
        let mut snapshot =
            Snapshot::from_objects(self.nodes.values().map(|n| (**n).clone()), bound);
        snapshot.priority_classes = self.priority_classes.clone();
        snapshot.controller_selectors = self.controller_selectors.clone();
        snapshot
    }

    fn observe_pod(&mut self, event: &ObjectEvent) {
        let Some(pod) = crate::sim::api::typed::typed::<Pod>(&event.object) else {
            return;
        };
        let key = key_of(event.namespace(), event.name());
        let was_assigned = self.assigned.contains_key(&key);
        let bound = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .is_some_and(|n| !n.is_empty());
        match event.event {
            WatchEventType::Deleted => {
                self.assigned.remove(&key);
                self.assumed.remove(&key);
                self.inbox.push((QueueOp::Delete(key.clone()), event.seq));
                if was_assigned || bound {
                    self.inbox
                        .push((QueueOp::Event(ClusterEvent::AssignedPodDelete), event.seq));
                }
            }
            _ if bound => {
                self.assumed.remove(&key);
                self.assigned.insert(key.clone(), Box::new(pod));
                self.inbox.push((QueueOp::Delete(key.clone()), event.seq));
                let cluster_event = if was_assigned {
                    ClusterEvent::AssignedPodUpdate
                } else {
                    ClusterEvent::AssignedPodAdd
                };
                self.inbox.push((QueueOp::Event(cluster_event), event.seq));
            }
            WatchEventType::Added => {
                if is_pending_for_us(&pod) && !self.assumed.contains_key(&key) {
                    self.causes.insert(key, event.seq);
                    self.inbox.push((QueueOp::Add(Arc::new(pod)), event.seq));
                }
            }
            WatchEventType::Modified => {
                if is_pending_for_us(&pod) {
                    self.inbox.push((QueueOp::Update(Arc::new(pod)), event.seq));
                } else {
                    self.inbox.push((QueueOp::Delete(key), event.seq));
                }
            }
        }
    }

    fn observe_node(&mut self, event: &ObjectEvent) {
        let name = event.name().to_string();
        let cluster_event = match event.event {
            WatchEventType::Deleted => {
                self.nodes.remove(&name);
                ClusterEvent::NodeDelete
            }
            kind => {
                let Some(node) = crate::sim::api::typed::typed::<Node>(&event.object) else {
                    return;
                };
                let before = self.nodes.insert(name, Box::new(node.clone()));
                // Heartbeats change only status conditions; they cannot help a pending pod.
                if kind == WatchEventType::Modified
                    && before.is_some_and(|b| {
                        b.spec == node.spec
                            && b.metadata.labels == node.metadata.labels
                            && b.status.as_ref().map(|s| &s.allocatable)
                                == node.status.as_ref().map(|s| &s.allocatable)
                    })
                {
                    return;
                }
                if kind == WatchEventType::Added {
                    ClusterEvent::NodeAdd
                } else {
                    ClusterEvent::NodeUpdate
                }
            }
        };
        self.inbox.push((QueueOp::Event(cluster_event), event.seq));
    }

    fn observe_priority_class(&mut self, event: &ObjectEvent) {
        let name = event.name().to_string();
        if event.event == WatchEventType::Deleted {
            self.priority_classes.remove(&name);
            return;
        }
        let object = &event.object;
        self.priority_classes.insert(
            name,
            Box::new(PriorityClassInfo {
                value: object.get("value").and_then(Value::as_i64).unwrap_or(0) as i32,
                global_default: object
                    .get("globalDefault")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                preemption_policy_never: object.get("preemptionPolicy").and_then(Value::as_str)
                    == Some("Never"),
            }),
        );
    }

    fn observe_replica_set(&mut self, event: &ObjectEvent) {
        let key = format!(
            "{}/ReplicaSet/{}",
            event.namespace().unwrap_or("default"),
            event.name()
        );
        if event.event == WatchEventType::Deleted {
            self.controller_selectors.remove(&key);
            return;
        }
        let selector = event
            .object
            .ptr("/spec/selector")
            .and_then(crate::sim::api::typed::typed::<LabelSelector>);
        if let Some(selector) = selector {
            self.controller_selectors.insert(key, Box::new(selector));
        }
    }

    /// Per-node filter and score lines for the trace, from a Full record.
    fn detail_decisions(record: &CycleRecord, cause: Option<Seq>) -> Vec<Decision> {
        let mut out = Vec::new();
        for row in &record.filter {
            let message = match row.results.last() {
                Some(last) if !row.passed => format!(
                    "{}: {} rejected it: {}",
                    row.node,
                    last.plugin,
                    last.reasons.join(", ")
                ),
                _ => format!("{}: passed all filters", row.node),
            };
            let reason = if row.passed {
                "FilterPassed"
            } else {
                "FilterFailed"
            };
            let mut d = Decision::new(reason, message);
            d.cause = cause;
            out.push(d);
        }
        for row in &record.scores {
            let parts: Vec<String> = row
                .plugins
                .iter()
                .map(|p| format!("{} {}×{}={}", p.plugin, p.normalized, p.weight, p.weighted))
                .collect();
            let mut d = Decision::new(
                "Score",
                format!("{}: {} ({})", row.node, row.total, parts.join(", ")),
            );
            d.cause = cause;
            out.push(d);
        }
        out
    }
}

impl Component for Scheduler {
    fn name(&self) -> String {
        "kube-scheduler".to_string()
    }

    fn actor(&self) -> Actor {
        Actor::new("kube-scheduler", "master")
    }

    fn credentials(&self) -> Credentials {
        scheduler_credentials()
    }

    fn watches(&self) -> Vec<&'static str> {
        vec!["nodes", "pods", "priorityclasses", "replicasets"]
    }

    fn observe(&mut self, event: &ObjectEvent) {
        match event.resource {
            "pods" => self.observe_pod(event),
            "nodes" => self.observe_node(event),
            "priorityclasses" => self.observe_priority_class(event),
            "replicasets" => self.observe_replica_set(event),
            _ => {}
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let now = ctx.now;
        for (op, _seq) in std::mem::take(&mut self.inbox) {
            match op {
                QueueOp::Add(pod) => {
                    self.queue.add(pod, now);
                }
                QueueOp::Update(pod) => {
                    let key = key_of(
                        pod.metadata.namespace.as_deref(),
                        pod.metadata.name.as_deref().unwrap_or(""),
                    );
                    if self.queue.where_is(&key).is_none() && !self.assumed.contains_key(&key) {
                        self.queue.add(pod, now);
                    } else {
                        self.queue.update(pod, now);
                    }
                }
                QueueOp::Delete(key) => {
                    self.queue.delete(&key);
                }
                QueueOp::Event(event) => {
                    self.queue.on_event(event, now);
                }
            }
        }
        self.queue.flush(now);

        let mut out = Reconcile::default();
        // The snapshot copies every bound pod: only worth making when a pod waits.
        let mut snapshot = match self.queue.has_active() {
            true => self.snapshot(),
            false => Snapshot::default(),
        };
        let mut cycles = 0;
        while let Some(queued) = self.queue.pop() {
            cycles += 1;
            let info = snapshot.pod_info_arc(Arc::clone(&queued.pod));
            let record = self.algorithm.schedule_pod_info(&info, &snapshot, ctx.rng);
            let cause = self.causes.get(&queued.key).copied().or(ctx.cause);
            // Every decision of one scheduling cycle is about the pod it scheduled.
            let meta = &queued.pod.metadata;
            let about = meta.name.as_deref().map(|name| {
                ObjectRef::new("pods", meta.namespace.as_deref(), name)
                    .with_uid(meta.uid.as_deref())
            });
            out.decisions
                .extend(
                    Self::detail_decisions(&record, cause)
                        .into_iter()
                        .map(|mut d| {
                            d.object.clone_from(&about);
                            d
                        }),
                );
            let requests = requests_for(&info, &record, now);
            let mut decision = match record.selected_node() {
                Some(node) => {
                    let node = node.to_string();
                    snapshot.assume(&info, &node);
                    self.assumed.insert(
                        queued.key.clone(),
                        Box::new(((*queued.pod).clone(), node.clone())),
                    );
                    self.queue.done(&queued.key);
                    self.causes.remove(&queued.key);
                    Decision::new(
                        "Scheduled",
                        format!("Successfully assigned {} to {node}", queued.key),
                    )
                }
                None => {
                    let plugins: BTreeSet<String> = record
                        .failure
                        .as_ref()
                        .map(|f| f.unschedulable_plugins.iter().cloned().collect())
                        .unwrap_or_default();
                    self.queue.add_unschedulable(queued.clone(), plugins, now);
                    let message = record.failure_message().unwrap_or_default().to_string();
                    let mut d = Decision::new("FailedScheduling", message);
                    if let Some(p) = &record.preemption {
                        if let Some(node) = &p.nominated_node {
                            for victim in &p.victims {
                                if let Some(v) = snapshot
                                    .node(node)
                                    .and_then(|n| n.pods.iter().find(|v| &v.key() == victim))
                                {
                                    d.actions.push(preempted_event(v, &info, node, now));
                                }
                            }
                        }
                    }
                    d
                }
            };
            // The cycle as data, right before the outcome it led to: the decision is caused by
            // the cycle, the cycle by what queued the pod.
            self.next_decision_id += 1;
            let cycle_id = DecisionId(self.next_decision_id);
            let mut cycle = Decision::step(
                self.actor(),
                TraceKind::SchedulingCycle(Box::new(record.clone())),
            )
            .id(cycle_id);
            cycle.cause = cause;
            // The cycle is about the same pod as its outcome.
            cycle.object.clone_from(&about);
            out.decisions.push(cycle);
            decision.cause = cause;
            decision.after = Some(cycle_id);
            decision.object = about;
            decision.actions.extend(requests);
            out.decisions.push(decision);
            self.records.push(record);
            if self.records.len() > RECORDS_KEPT {
                self.records.remove(0);
            }
            if cycles == CYCLES_PER_RECONCILE && self.queue.has_active() {
                out.more = true;
                break;
            }
        }
        out.requeue_after = self
            .queue
            .next_wake_ticks()
            .map(|t| t.saturating_sub(now).max(1));
        out
    }

    fn on_response(&mut self, request: &ApiRequest, result: &Result<ApiResponse, ApiError>) {
        // A refused binding: forget the assumed pod and try it again (`handleBindingCycleError`).
        if request.subresource.as_deref() == Some("binding") && result.is_err() {
            let key = key_of(
                request.namespace.as_deref(),
                request.name.as_deref().unwrap_or(""),
            );
            if let Some((pod, _)) = self.assumed.remove(&key).map(|assumed| *assumed) {
                self.inbox.push((QueueOp::Add(Arc::new(pod)), 0));
            }
        }
    }
}
