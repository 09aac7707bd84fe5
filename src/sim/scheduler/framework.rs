//! The scheduling framework: extension points, plugin statuses, cycle state and the profile.
//!
//! Mirrors: `pkg/scheduler/framework/interface.go` (`Code`, `Status`, the `*Plugin` interfaces),
//! `cycle_state.go`, `pkg/scheduler/apis/config/v1/default_plugins.go` (the default profile and
//! its score weights) and `framework/types.go` (`ClusterEvent`).
//!
//! A cycle for one pod walks the extension points in this order:
//!
//! ```text
//!  PreFilter ─▶ Filter (per node, stops at the first plugin that rejects) ─┬─▶ PreScore ─▶ Score
//!                                                                         │     ─▶ NormalizeScore
//!                   no node passed ─▶ PostFilter (DefaultPreemption)      │     ─▶ × weight ─▶ pick
//!                                                                         └─▶ Reserve ─▶ Bind
//! ```
//! Simplified: no QueueSort/Permit/PreBind/PostBind/Unreserve plugins (PrioritySort is built into
//! the queue, Reserve is the snapshot's `assume`), no extenders, one profile.

use std::any::Any;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::node_info::{NodeInfo, PodInfo, Snapshot};
use super::plugins;

/// Scores are in `0..=MAX_NODE_SCORE` after NormalizeScore (`framework.MaxNodeScore`).
pub const MAX_NODE_SCORE: i64 = 100;

/// `framework.Code`: how a plugin answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Code {
    Success,
    /// Something broke; the pod is retried after a back-off.
    Error,
    /// The pod does not fit now, but preemption might make room.
    Unschedulable,
    /// The pod does not fit, and removing pods would not change that: preemption skips the node.
    UnschedulableAndUnresolvable,
    /// The plugin has nothing to do for this pod; its later extension points are skipped too.
    Skip,
}

/// `framework.Status`: a code, the reasons users read, and which plugin said so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub code: Code,
    pub reasons: Vec<String>,
    pub plugin: &'static str,
}

impl Status {
    pub const fn success() -> Status {
        Status {
            code: Code::Success,
            reasons: Vec::new(),
            plugin: "",
        }
    }

    pub const fn skip() -> Status {
        Status {
            code: Code::Skip,
            reasons: Vec::new(),
            plugin: "",
        }
    }

    pub fn new(code: Code, reason: impl Into<String>) -> Status {
        Status {
            code,
            reasons: vec![reason.into()],
            plugin: "",
        }
    }

    pub fn unschedulable(reason: impl Into<String>) -> Status {
        Status::new(Code::Unschedulable, reason)
    }

    pub fn unresolvable(reason: impl Into<String>) -> Status {
        Status::new(Code::UnschedulableAndUnresolvable, reason)
    }

    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }

    pub fn is_rejected(&self) -> bool {
        matches!(
            self.code,
            Code::Unschedulable | Code::UnschedulableAndUnresolvable
        )
    }

    /// The reasons joined as upstream's `Status.Message()` does.
    pub fn message(&self) -> String {
        self.reasons.join(", ")
    }

    pub fn with_plugin(mut self, plugin: &'static str) -> Status {
        self.plugin = plugin;
        self
    }
}

/// Per-cycle data plugins compute in PreFilter/PreScore and read in Filter/Score, keyed by a
/// plugin-chosen key (`PreFilterPodTopologySpread`), as upstream's `CycleState`.
#[derive(Default)]
pub struct CycleState {
    entries: Vec<(&'static str, Box<dyn Any>)>,
}

impl CycleState {
    pub fn write<T: Any>(&mut self, key: &'static str, value: T) {
        self.entries.retain(|(k, _)| *k != key);
        self.entries.push((key, Box::new(value)));
    }

    pub fn read<T: Any>(&self, key: &'static str) -> Option<&T> {
        self.entries
            .iter()
            // Keys are string constants: comparing addresses first skips the byte compare.
            .find(|(k, _)| std::ptr::eq(*k, key) || *k == key)
            .and_then(|(_, v)| v.downcast_ref::<T>())
    }
}

/// The cluster changes that can make an unschedulable pod schedulable; each plugin registers the
/// ones that can resolve its own rejections (`EventsToRegister`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ClusterEvent {
    NodeAdd,
    /// Labels, taints, allocatable or `spec.unschedulable` of a node changed.
    NodeUpdate,
    NodeDelete,
    AssignedPodAdd,
    AssignedPodUpdate,
    AssignedPodDelete,
    /// A pod waited in unschedulablePods longer than 5 minutes.
    UnschedulableTimeout,
}

/// The extension points a plugin implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ExtensionPoint {
    PreFilter,
    Filter,
    PostFilter,
    PreScore,
    Score,
    Reserve,
    Bind,
}

/// One node's score from one plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeScore {
    /// Index into the snapshot's nodes.
    pub node: usize,
    pub score: i64,
}

/// A scheduler plugin. Each method is one extension point; the profile only calls those listed
/// in `extension_points`, so the defaults here are never reached for the others.
pub trait Plugin {
    fn name(&self) -> &'static str;
    fn extension_points(&self) -> &'static [ExtensionPoint];
    /// The cluster events that may make a pod this plugin rejected schedulable.
    fn events_to_register(&self) -> &'static [ClusterEvent] {
        &[]
    }

    /// Computes per-cycle state; `Skip` means this plugin's Filter has nothing to check.
    fn pre_filter(&self, _pod: &PodInfo, _snapshot: &Snapshot, _state: &mut CycleState) -> Status {
        Status::skip()
    }

    fn filter(&self, _pod: &PodInfo, _node: &NodeInfo, _state: &CycleState) -> Status {
        Status::success()
    }

    /// `Skip` means this plugin's Score has nothing to add for this pod.
    fn pre_score(
        &self,
        _pod: &PodInfo,
        _snapshot: &Snapshot,
        _feasible: &[usize],
        _state: &mut CycleState,
    ) -> Status {
        Status::skip()
    }

    fn score(
        &self,
        _pod: &PodInfo,
        _node: &NodeInfo,
        _snapshot: &Snapshot,
        _state: &CycleState,
    ) -> i64 {
        0
    }

    /// Scores every feasible node into `out`. The framework calls this once per plugin rather
    /// than `score` once per node: inside this default body `self.score` is a static call, so
    /// the per-node dynamic dispatch disappears (it matters at 5,000 nodes).
    fn score_nodes(
        &self,
        pod: &PodInfo,
        snapshot: &Snapshot,
        feasible: &[usize],
        state: &CycleState,
        out: &mut Vec<NodeScore>,
    ) {
        out.clear();
        let nodes = snapshot.nodes();
        out.extend(feasible.iter().map(|&i| NodeScore {
            node: i,
            score: self.score(pod, &nodes[i], snapshot, state),
        }));
    }

    /// Maps raw scores into `0..=MAX_NODE_SCORE`; plugins whose raw scores already are leave it.
    fn normalize_score(&self, _pod: &PodInfo, _scores: &mut [NodeScore], _state: &CycleState) {}
}

/// `helper.DefaultNormalizeScore`: scale to `0..=max` by the highest score, optionally reversed
/// (for plugins whose raw score counts something bad, like untolerated PreferNoSchedule taints).
pub fn default_normalize_score(max_priority: i64, reverse: bool, scores: &mut [NodeScore]) {
    let max_count = scores.iter().map(|s| s.score).max().unwrap_or(0);
    if max_count == 0 {
        if reverse {
            for s in scores {
                s.score = max_priority;
            }
        }
        return;
    }
    for s in scores {
        let mut score = s.score;
        score = max_priority * score / max_count;
        if reverse {
            score = max_priority - score;
        }
        s.score = score;
    }
}

/// How much a cycle writes down for the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordDetail {
    /// Counts, the pick, the tie and the failure reasons: cheap enough for thousands of nodes.
    Summary,
    /// Also every node's filter result per plugin and every score: the scheduler panel's table.
    Full,
}

/// One configured plugin: the plugin and its score weight (0 when it does not score).
pub struct PluginEntry {
    pub plugin: Box<dyn Plugin>,
    pub weight: i64,
}

/// A scheduler profile (`KubeSchedulerProfile`): which plugins run, in what order, how scores
/// are weighted, and how many feasible nodes are enough.
pub struct Profile {
    /// `default-scheduler`: pods choose a profile with `spec.schedulerName`.
    pub scheduler_name: String,
    pub plugins: Vec<PluginEntry>,
    /// `percentageOfNodesToScore`; `None` is the adaptive default (50% − nodes/125, at least 5%).
    pub percentage_of_nodes_to_score: Option<u32>,
    pub record_detail: RecordDetail,
}

impl Profile {
    /// Upstream's default plugins, in the order of `getDefaultPlugins()` (multiPoint), with its
    /// default weights: TaintToleration 3, NodeAffinity 2, PodTopologySpread 2,
    /// InterPodAffinity 2, NodeResourcesFit 1, NodeResourcesBalancedAllocation 1, ImageLocality 1.
    /// The volume plugins, SchedulingGates and PrioritySort have no counterpart here.
    pub fn default_profile() -> Profile {
        let entries: Vec<(Box<dyn Plugin>, i64)> = vec![
            (Box::new(plugins::node_unschedulable::NodeUnschedulable), 0),
            (Box::new(plugins::node_name::NodeName), 0),
            (Box::new(plugins::taint_toleration::TaintToleration), 3),
            (Box::new(plugins::node_affinity::NodeAffinity), 2),
            (Box::new(plugins::node_ports::NodePorts), 0),
            (
                Box::new(plugins::node_resources_fit::NodeResourcesFit::default()),
                1,
            ),
            (
                Box::new(plugins::pod_topology_spread::PodTopologySpread::default()),
                2,
            ),
            (
                Box::new(plugins::inter_pod_affinity::InterPodAffinity::default()),
                2,
            ),
            (Box::new(plugins::default_preemption::DefaultPreemption), 0),
            (
                Box::new(
                    plugins::node_resources_balanced_allocation::NodeResourcesBalancedAllocation,
                ),
                1,
            ),
            (Box::new(plugins::image_locality::ImageLocality), 1),
            (Box::new(plugins::default_binder::DefaultBinder), 0),
        ];
        Profile {
            scheduler_name: "default-scheduler".to_string(),
            plugins: entries
                .into_iter()
                .map(|(plugin, weight)| PluginEntry { plugin, weight })
                .collect(),
            percentage_of_nodes_to_score: None,
            record_detail: RecordDetail::Full,
        }
    }

    pub fn with_record_detail(mut self, detail: RecordDetail) -> Profile {
        self.record_detail = detail;
        self
    }

    /// The plugins that implement an extension point, in profile order.
    pub fn at(&self, point: ExtensionPoint) -> impl Iterator<Item = &PluginEntry> {
        self.plugins
            .iter()
            .filter(move |e| e.plugin.extension_points().contains(&point))
    }

    /// Plugin name → the cluster events that can resolve its rejections (the queue uses this).
    pub fn events_by_plugin(&self) -> BTreeMap<String, Vec<ClusterEvent>> {
        self.plugins
            .iter()
            .map(|e| {
                (
                    e.plugin.name().to_string(),
                    e.plugin.events_to_register().to_vec(),
                )
            })
            .collect()
    }
}

/// `numFeasibleNodesToFind`: below 100 nodes every node is checked; above, the adaptive
/// percentage (50% − nodes/125, never below 5%) but never fewer than 100 nodes.
pub fn num_feasible_nodes_to_find(
    percentage_of_nodes_to_score: Option<u32>,
    num_all_nodes: usize,
) -> usize {
    const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
    const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: i64 = 5;
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let mut percentage = i64::from(percentage_of_nodes_to_score.unwrap_or(0));
    if percentage == 0 {
        percentage = 50 - num_all_nodes as i64 / 125;
        if percentage < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND {
            percentage = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
        }
    }
    let num_nodes = (num_all_nodes as i64 * percentage / 100) as usize;
    num_nodes.max(MIN_FEASIBLE_NODES_TO_FIND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_clusters_check_every_node_and_large_ones_an_adaptive_share() {
        let cases = [
            (None, 3, 3),
            (None, 99, 99),
            (None, 100, 100),
            (None, 1000, 420), // 50 - 8 = 42%
            (None, 5000, 500), // 50 - 40 = 10%
            (None, 6000, 300), // 50 - 48 = 2% → 5%
            (Some(100), 5000, 5000),
            (Some(1), 1000, 100), // never fewer than 100
        ];
        for (pct, nodes, want) in cases {
            assert_eq!(
                num_feasible_nodes_to_find(pct, nodes),
                want,
                "{pct:?} {nodes}"
            );
        }
    }

    #[test]
    fn default_normalize_scales_by_the_highest_and_can_reverse() {
        let mk = |xs: &[i64]| -> Vec<NodeScore> {
            xs.iter()
                .enumerate()
                .map(|(i, &s)| NodeScore { node: i, score: s })
                .collect()
        };
        let mut s = mk(&[2, 4, 0]);
        default_normalize_score(100, false, &mut s);
        assert_eq!(s.iter().map(|x| x.score).collect::<Vec<_>>(), [50, 100, 0]);
        let mut s = mk(&[2, 4, 0]);
        default_normalize_score(100, true, &mut s);
        assert_eq!(s.iter().map(|x| x.score).collect::<Vec<_>>(), [50, 0, 100]);
        let mut s = mk(&[0, 0]);
        default_normalize_score(100, true, &mut s);
        assert_eq!(s.iter().map(|x| x.score).collect::<Vec<_>>(), [100, 100]);
    }
}
