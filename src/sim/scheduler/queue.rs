//! The scheduling queue: which pending pod the scheduler tries next, and when a pod that did
//! not fit is tried again.
//!
//! Mirrors: `pkg/scheduler/internal/queue/scheduling_queue.go` (`PriorityQueue`).
//!
//! ```text
//!   new pod ──▶ activeQ ──pop──▶ cycle ──fits──▶ bind (leaves the queue)
//!                 ▲  ▲                  └─no──▶ unschedulablePods ──cluster event that can help──┐
//!                 │  └──── backoff expired ◀── backoffQ ◀── still backing off ◀─────────────────┤
//!                 └──────────────── backoff over ◀──────────────────────────────────────────────┘
//!   unschedulablePods ──stayed 5 min (flush)──▶ activeQ / backoffQ
//! ```
//! activeQ is ordered by PrioritySort: higher `spec.priority` first, then the earlier queue
//! timestamp. A pod's back-off is 1 s after its first failed attempt, doubling per attempt, at
//! most 10 s (`podInitialBackoffSeconds`, `podMaxBackoffSeconds`).
//!
//! Simplified: QueueingHints are reduced to the event registrations they refine: a cluster event
//! moves a pod only if one of the plugins that rejected it registered that event (upstream's
//! behaviour with the `SchedulerQueueingHints` gate off). The 30 s flush loop is exact: a pod
//! leaves unschedulablePods as soon as it has waited 5 minutes, not at the next 30 s tick.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::sim::api::core_v1::Pod;
use serde::{Deserialize, Serialize};

use super::framework::ClusterEvent;
use crate::sim::clock::{seconds_to_ticks, Ticks};

pub const POD_INITIAL_BACKOFF_TICKS: Ticks = seconds_to_ticks(1);
pub const POD_MAX_BACKOFF_TICKS: Ticks = seconds_to_ticks(10);
/// `podMaxInUnschedulablePodsDuration`.
pub const POD_MAX_IN_UNSCHEDULABLE_PODS_TICKS: Ticks = seconds_to_ticks(5 * 60);

/// A pod waiting in the queue, with what the queue remembers about its attempts.
#[derive(Clone, Debug)]
pub struct QueuedPodInfo {
    pub pod: Arc<Pod>,
    /// `namespace/name`.
    pub key: String,
    pub priority: i32,
    /// When the pod last entered a sub-queue (ordering in activeQ, back-off start).
    pub timestamp_ticks: Ticks,
    pub initial_attempt_ticks: Option<Ticks>,
    pub attempts: u32,
    /// Plugins that rejected it last time; only their events requeue it.
    pub unschedulable_plugins: BTreeSet<String>,
    /// The scheduling cycle that popped it last.
    pub scheduling_cycle: u64,
}

/// Where a pod is, for the UI's queue panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueueName {
    /// Ready to be scheduled, in PrioritySort order.
    Active,
    /// Failed recently; waits out its back-off, then returns to activeQ.
    Backoff,
    /// Did not fit; waits for a cluster event that might help, or 5 minutes.
    Unschedulable,
    /// Popped and being scheduled.
    InFlight,
}

/// One move between sub-queues, returned so the scheduler can trace it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueMove {
    pub pod: String,
    pub to: QueueName,
    /// `PodAdd`, `NodeAdd`, `BackoffComplete`, `UnschedulableTimeout`, `ScheduleAttemptFailure`...
    pub event: String,
}

pub struct SchedulingQueue {
    /// Ordered by (higher priority, earlier timestamp, arrival sequence).
    active: BTreeMap<(Reverse<i32>, Ticks, u64), String>,
    /// Ordered by (back-off expiry, arrival sequence).
    backoff: BTreeMap<(Ticks, u64), String>,
    unschedulable: BTreeSet<String>,
    pods: BTreeMap<String, (QueueName, QueuedPodInfo, u64)>,
    events_by_plugin: BTreeMap<String, Vec<ClusterEvent>>,
    /// Events that would move no pod out of unschedulablePods: each was handled since a pod
    /// last went in, and moved every pod it could. A pod entering clears it. (At 1,000 pods a
    /// kubelet's status patches bring hundreds of events per reconcile, each of which walked
    /// every unschedulable pod.)
    quiet_events: BTreeSet<ClusterEvent>,
    scheduling_cycle: u64,
    /// The cycle during which the last cluster event moved pods: a pod failing in a cycle that
    /// began before it goes to backoffQ, not unschedulablePods, since that event may help it.
    move_request_cycle: u64,
    seq: u64,
}

impl SchedulingQueue {
    /// `events_by_plugin` is `Profile::events_by_plugin()`.
    pub fn new(events_by_plugin: BTreeMap<String, Vec<ClusterEvent>>) -> SchedulingQueue {
        SchedulingQueue {
            active: BTreeMap::new(),
            backoff: BTreeMap::new(),
            unschedulable: BTreeSet::new(),
            pods: BTreeMap::new(),
            events_by_plugin,
            quiet_events: BTreeSet::new(),
            scheduling_cycle: 0,
            move_request_cycle: 0,
            seq: 0,
        }
    }

    pub fn scheduling_cycle(&self) -> u64 {
        self.scheduling_cycle
    }

    pub fn len(&self) -> usize {
        self.pods.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pods.is_empty()
    }

    /// Some pod waits in activeQ: `pop` has something to give.
    pub fn has_active(&self) -> bool {
        !self.active.is_empty()
    }

    pub fn where_is(&self, key: &str) -> Option<QueueName> {
        self.pods.get(key).map(|(q, _, _)| *q)
    }

    /// Pods per sub-queue, in queue order (for the UI).
    pub fn active_keys(&self) -> Vec<String> {
        self.active.values().cloned().collect()
    }

    pub fn backoff_keys(&self) -> Vec<String> {
        self.backoff.values().cloned().collect()
    }

    pub fn unschedulable_keys(&self) -> Vec<String> {
        self.unschedulable.iter().cloned().collect()
    }

    fn key_of(pod: &Pod) -> String {
        format!(
            "{}/{}",
            pod.metadata.namespace.as_deref().unwrap_or("default"),
            pod.metadata.name.as_deref().unwrap_or("")
        )
    }

    fn priority_of(pod: &Pod) -> i32 {
        pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0)
    }

    /// `calculateBackoffDuration`: 1 s, 2 s, 4 s, 8 s, then 10 s.
    pub fn backoff_duration(attempts: u32) -> Ticks {
        let mut duration = POD_INITIAL_BACKOFF_TICKS;
        for _ in 1..attempts {
            if duration > POD_MAX_BACKOFF_TICKS - duration {
                return POD_MAX_BACKOFF_TICKS;
            }
            duration += duration;
        }
        duration.min(POD_MAX_BACKOFF_TICKS)
    }

    fn backoff_expiry(info: &QueuedPodInfo) -> Ticks {
        info.timestamp_ticks + Self::backoff_duration(info.attempts)
    }

    fn detach(&mut self, key: &str) -> Option<QueuedPodInfo> {
        let (queue, info, seq) = self.pods.remove(key)?;
        match queue {
            QueueName::Active => {
                self.active
                    .remove(&(Reverse(info.priority), info.timestamp_ticks, seq));
            }
            QueueName::Backoff => {
                self.backoff.remove(&(Self::backoff_expiry(&info), seq));
            }
            QueueName::Unschedulable => {
                self.unschedulable.remove(key);
            }
            QueueName::InFlight => {}
        }
        Some(info)
    }

    fn place(&mut self, info: QueuedPodInfo, queue: QueueName) {
        self.seq += 1;
        let seq = self.seq;
        let key = info.key.clone();
        match queue {
            QueueName::Active => {
                self.active.insert(
                    (Reverse(info.priority), info.timestamp_ticks, seq),
                    key.clone(),
                );
            }
            QueueName::Backoff => {
                self.backoff
                    .insert((Self::backoff_expiry(&info), seq), key.clone());
            }
            QueueName::Unschedulable => {
                self.unschedulable.insert(key.clone());
                self.quiet_events.clear();
            }
            QueueName::InFlight => {}
        }
        self.pods.insert(key, (queue, info, seq));
    }

    /// A new pending pod (informer Add): straight to activeQ.
    pub fn add(&mut self, pod: Arc<Pod>, now: Ticks) -> QueueMove {
        let key = Self::key_of(&pod);
        let previous = self.detach(&key);
        let info = QueuedPodInfo {
            priority: Self::priority_of(&pod),
            key: key.clone(),
            timestamp_ticks: now,
            initial_attempt_ticks: previous.as_ref().and_then(|p| p.initial_attempt_ticks),
            attempts: previous.as_ref().map_or(0, |p| p.attempts),
            unschedulable_plugins: BTreeSet::new(),
            scheduling_cycle: 0,
            pod,
        };
        self.place(info, QueueName::Active);
        QueueMove {
            pod: key,
            to: QueueName::Active,
            event: "PodAdd".into(),
        }
    }

    /// The pending pod changed (labels, tolerations...): it may fit now, so it leaves
    /// unschedulablePods for backoffQ or activeQ; elsewhere it just takes the new object.
    pub fn update(&mut self, pod: Arc<Pod>, now: Ticks) -> Option<QueueMove> {
        let key = Self::key_of(&pod);
        let (queue, _, _) = self.pods.get(&key)?;
        let queue = *queue;
        let mut info = self.detach(&key)?;
        let changed = is_pod_updated(&info.pod, &pod);
        info.pod = pod;
        if queue == QueueName::Unschedulable && changed {
            let to = if Self::backoff_expiry(&info) > now {
                QueueName::Backoff
            } else {
                QueueName::Active
            };
            self.place(info, to);
            return Some(QueueMove {
                pod: key,
                to,
                event: "PodUpdate".into(),
            });
        }
        self.place(info, queue);
        None
    }

    /// The pod was deleted or bound by someone else.
    pub fn delete(&mut self, key: &str) -> bool {
        self.detach(key).is_some()
    }

    /// Pops the next pod from activeQ and starts a scheduling cycle for it.
    pub fn pop(&mut self) -> Option<QueuedPodInfo> {
        let (_, key) = self.active.pop_first()?;
        let (_, mut info, _) = self.pods.remove(&key)?;
        self.scheduling_cycle += 1;
        info.attempts += 1;
        info.scheduling_cycle = self.scheduling_cycle;
        if info.initial_attempt_ticks.is_none() {
            info.initial_attempt_ticks = Some(info.timestamp_ticks);
        }
        self.place(info.clone(), QueueName::InFlight);
        Some(info)
    }

    /// The pod was bound (or assumed): it leaves the queue.
    pub fn done(&mut self, key: &str) {
        self.detach(key);
    }

    /// `AddUnschedulableIfNotPresent`: the cycle failed. With rejecting plugins the pod waits in
    /// unschedulablePods for an event, unless an event arrived during its cycle (then backoffQ);
    /// with none (an error) it goes to backoffQ.
    pub fn add_unschedulable(
        &mut self,
        mut info: QueuedPodInfo,
        plugins: BTreeSet<String>,
        now: Ticks,
    ) -> QueueMove {
        self.detach(&info.key);
        info.timestamp_ticks = now;
        info.unschedulable_plugins = plugins;
        let to = if info.unschedulable_plugins.is_empty()
            || self.move_request_cycle >= info.scheduling_cycle
        {
            QueueName::Backoff
        } else {
            QueueName::Unschedulable
        };
        let key = info.key.clone();
        self.place(info, to);
        QueueMove {
            pod: key,
            to,
            event: "ScheduleAttemptFailure".into(),
        }
    }

    /// `MoveAllToActiveOrBackoffQueue`: a cluster event happened; every unschedulable pod that a
    /// plugin registered for this event rejected moves on (to backoffQ if still backing off).
    pub fn on_event(&mut self, event: ClusterEvent, now: Ticks) -> Vec<QueueMove> {
        self.move_request_cycle = self.scheduling_cycle;
        if self.quiet_events.contains(&event) {
            return Vec::new();
        }
        let timeout = event == ClusterEvent::UnschedulableTimeout;
        let plugins: Vec<&str> = self
            .events_by_plugin
            .iter()
            .filter(|(_, events)| events.contains(&event))
            .map(|(plugin, _)| plugin.as_str())
            .collect();
        // The pods map holds every unschedulable pod, in the same key order as `unschedulable`:
        // one walk, no lookup per pod.
        let keys: Vec<String> = self
            .pods
            .iter()
            .filter(|(_, (queue, info, _))| {
                *queue == QueueName::Unschedulable
                    && (timeout
                        || info.unschedulable_plugins.is_empty()
                        || info
                            .unschedulable_plugins
                            .iter()
                            .any(|p| plugins.contains(&p.as_str())))
            })
            .map(|(key, _)| key.clone())
            .collect();
        let name = format!("{event:?}");
        let moves = keys
            .iter()
            .filter_map(|key| self.requeue(key, now, &name))
            .collect();
        // Every pod this event could move has moved (a requeue never enters unschedulablePods).
        self.quiet_events.insert(event);
        moves
    }

    fn requeue(&mut self, key: &str, now: Ticks, event: &str) -> Option<QueueMove> {
        let info = self.detach(key)?;
        let to = if Self::backoff_expiry(&info) > now {
            QueueName::Backoff
        } else {
            QueueName::Active
        };
        let mut info = info;
        if to == QueueName::Active {
            info.timestamp_ticks = now;
        }
        self.place(info, to);
        Some(QueueMove {
            pod: key.to_string(),
            to,
            event: event.to_string(),
        })
    }

    /// `flushBackoffQCompleted` and `flushUnschedulablePodsLeftover`, at time `now`.
    pub fn flush(&mut self, now: Ticks) -> Vec<QueueMove> {
        let mut moves = Vec::new();
        while let Some((&(expiry, seq), _)) = self.backoff.first_key_value() {
            if expiry > now {
                break;
            }
            let Some(key) = self.backoff.remove(&(expiry, seq)) else {
                break;
            };
            if let Some((_, mut info, _)) = self.pods.remove(&key) {
                info.timestamp_ticks = now;
                self.place(info, QueueName::Active);
                moves.push(QueueMove {
                    pod: key,
                    to: QueueName::Active,
                    event: "BackoffComplete".into(),
                });
            }
        }
        let stale: Vec<String> = self
            .unschedulable
            .iter()
            .filter(|k| {
                self.pods.get(*k).is_some_and(|(_, info, _)| {
                    now.saturating_sub(info.timestamp_ticks) >= POD_MAX_IN_UNSCHEDULABLE_PODS_TICKS
                })
            })
            .cloned()
            .collect();
        for key in stale {
            moves.extend(self.requeue(&key, now, "UnschedulableTimeout"));
        }
        moves
    }

    /// When `flush` next has something to do: a back-off ending or a 5-minute wait running out.
    pub fn next_wake_ticks(&self) -> Option<Ticks> {
        let backoff = self.backoff.keys().next().map(|(expiry, _)| *expiry);
        let leftover = self
            .unschedulable
            .iter()
            .filter_map(|k| self.pods.get(k))
            .map(|(_, info, _)| info.timestamp_ticks + POD_MAX_IN_UNSCHEDULABLE_PODS_TICKS)
            .min();
        match (backoff, leftover) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Upstream's `isPodUpdated`: did anything but the status and the bookkeeping fields change?
/// (The lean ObjectMeta has no managedFields to strip.)
/// A status-only write (the scheduler's own `PodScheduled=False`) cannot make a pod schedulable,
/// so it does not move it out of the unschedulable pods.
fn is_pod_updated(old: &Pod, new: &Pod) -> bool {
    let strip = |pod: &Pod| {
        let mut metadata = pod.metadata.clone();
        metadata.resource_version = None;
        metadata.generation = None;
        metadata.finalizers = None;
        metadata
    };
    old.spec != new.spec || strip(old) != strip(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scheduler::framework::Profile;
    use crate::sim::scheduler::testing::pod;

    fn queue() -> SchedulingQueue {
        SchedulingQueue::new(Profile::default_profile().events_by_plugin())
    }

    fn plugins(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn active_q_pops_higher_priority_first_then_earlier_arrivals() {
        let mut q = queue();
        q.add(Arc::new(pod("low-early").priority(0).build()), 0);
        q.add(Arc::new(pod("high-late").priority(1000).build()), 5);
        q.add(Arc::new(pod("low-late").priority(0).build()), 7);
        let order: Vec<String> = std::iter::from_fn(|| q.pop().map(|p| p.key)).collect();
        assert_eq!(
            order,
            ["default/high-late", "default/low-early", "default/low-late"]
        );
    }

    #[test]
    fn backoff_doubles_from_one_second_up_to_ten() {
        let got: Vec<Ticks> = (1..=6).map(SchedulingQueue::backoff_duration).collect();
        assert_eq!(got, [1000, 2000, 4000, 8000, 10000, 10000]);
    }

    #[test]
    fn an_unschedulable_pod_waits_for_an_event_its_plugin_registered() {
        let mut q = queue();
        q.add(Arc::new(pod("big").build()), 0);
        let info = q.pop().unwrap_or_else(|| panic!("queued"));
        q.add_unschedulable(info, plugins(&["NodeResourcesFit"]), 100);
        assert_eq!(q.where_is("default/big"), Some(QueueName::Unschedulable));
        // A pod being added to some node cannot free resources: no move.
        assert!(q.on_event(ClusterEvent::AssignedPodAdd, 200).is_empty());
        assert_eq!(q.where_is("default/big"), Some(QueueName::Unschedulable));
        // A pod deleted may: the pod moves, to backoffQ while its 1 s back-off lasts.
        let moves = q.on_event(ClusterEvent::AssignedPodDelete, 600);
        assert_eq!(moves[0].to, QueueName::Backoff);
        assert!(q.flush(1099).is_empty());
        assert_eq!(q.flush(1100)[0].to, QueueName::Active);
        assert_eq!(q.pop().map(|p| p.attempts), Some(2));
    }

    #[test]
    fn an_event_during_the_cycle_sends_the_failed_pod_to_backoff_instead() {
        let mut q = queue();
        q.add(Arc::new(pod("p").build()), 0);
        let info = q.pop().unwrap_or_else(|| panic!("queued"));
        q.on_event(ClusterEvent::NodeAdd, 10);
        let mv = q.add_unschedulable(info, plugins(&["TaintToleration"]), 20);
        assert_eq!(mv.to, QueueName::Backoff);
    }

    #[test]
    fn unschedulable_pods_are_flushed_after_five_minutes() {
        let mut q = queue();
        q.add(Arc::new(pod("p").build()), 0);
        let info = q.pop().unwrap_or_else(|| panic!("queued"));
        q.add_unschedulable(info, plugins(&["NodeAffinity"]), 1_000);
        assert_eq!(q.next_wake_ticks(), Some(301_000));
        assert!(q.flush(300_999).is_empty());
        let moves = q.flush(301_000);
        assert_eq!(
            (moves[0].to, moves[0].event.as_str()),
            (QueueName::Active, "UnschedulableTimeout")
        );
    }

    #[test]
    fn updating_an_unschedulable_pod_moves_it() {
        let mut q = queue();
        q.add(Arc::new(pod("p").build()), 0);
        let info = q.pop().unwrap_or_else(|| panic!("queued"));
        q.add_unschedulable(info, plugins(&["NodeAffinity"]), 0);
        let mv = q.update(Arc::new(pod("p").label("x", "y").build()), 5_000);
        assert_eq!(mv.map(|m| m.to), Some(QueueName::Active));
    }

    #[test]
    fn a_status_only_update_leaves_an_unschedulable_pod_where_it_is() {
        let mut q = queue();
        q.add(Arc::new(pod("p").build()), 0);
        let info = q.pop().unwrap_or_else(|| panic!("queued"));
        q.add_unschedulable(info, plugins(&["NodeAffinity"]), 0);
        let mut written = pod("p").build();
        written.metadata.resource_version = Some("42".into());
        written.status = Some(Default::default());
        assert_eq!(q.update(Arc::new(written), 5_000), None);
        assert!(q.pop().is_none(), "nothing became active");
    }

    #[test]
    fn an_event_handled_once_moves_a_pod_that_entered_after_it() {
        let mut q = queue();
        q.add(Arc::new(pod("a").build()), 0);
        let info = q.pop().unwrap_or_else(|| panic!("queued"));
        q.add_unschedulable(info, plugins(&["NodeResourcesFit"]), 0);
        // To backoffQ (its 1 s back-off lasts): out of the way of the next pop.
        let first = q.on_event(ClusterEvent::AssignedPodDelete, 500);
        assert_eq!(first.len(), 1);
        assert!(q.on_event(ClusterEvent::AssignedPodDelete, 500).is_empty());
        // A second pod fails after the event was handled: the same event moves it.
        q.add(Arc::new(pod("b").build()), 500);
        let info = q.pop().unwrap_or_else(|| panic!("queued"));
        q.add_unschedulable(info, plugins(&["NodeResourcesFit"]), 2_000);
        assert_eq!(q.where_is("default/b"), Some(QueueName::Unschedulable));
        let moves = q.on_event(ClusterEvent::AssignedPodDelete, 3_000);
        let moved: Vec<&str> = moves.iter().map(|m| m.pod.as_str()).collect();
        assert_eq!(moved, ["default/b"]);
    }
}
