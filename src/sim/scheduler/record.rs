//! What one scheduling cycle did, node by node and plugin by plugin: the scheduler panel draws
//! this table, and the trace carries it.
//!
//! Cost: with `RecordDetail::Summary` a record holds only counts, the pick and the failure
//! histogram (a few hundred bytes whatever the cluster size), so the 5,000-node benchmark pays
//! nothing per node; `RecordDetail::Full` adds one row per evaluated node.

use serde::{Deserialize, Serialize};

use super::framework::Code;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleRecord {
    /// `namespace/name`.
    pub pod: String,
    pub num_all_nodes: usize,
    /// How many feasible nodes were enough (percentageOfNodesToScore).
    pub num_nodes_to_find: usize,
    /// Where the round-robin walk over the nodes started this cycle.
    pub start_node_index: usize,
    pub evaluated_nodes: usize,
    pub feasible_nodes: usize,
    pub pre_filter: Vec<PluginOutcome>,
    /// Full detail only: per evaluated node, the Filter plugins in the order they ran.
    pub filter: Vec<NodeFilterRecord>,
    pub pre_score: Vec<PluginOutcome>,
    /// Full detail only: per feasible node, each Score plugin's raw, normalized, weighted score.
    pub scores: Vec<NodeScoreRecord>,
    pub pick: Option<Pick>,
    pub failure: Option<Failure>,
    pub preemption: Option<PreemptionRecord>,
}

impl CycleRecord {
    /// The node the pod goes to, if the cycle found one.
    pub fn selected_node(&self) -> Option<&str> {
        self.pick.as_ref().map(|p| p.node.as_str())
    }

    /// The FailedScheduling message, if the cycle failed.
    pub fn failure_message(&self) -> Option<&str> {
        self.failure.as_ref().map(|f| f.message.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginOutcome {
    pub plugin: String,
    pub code: Code,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeFilterRecord {
    pub node: String,
    pub passed: bool,
    /// Every plugin run on this node; the last one is the one that rejected it, if any.
    pub results: Vec<FilterResult>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterResult {
    pub plugin: String,
    pub code: Code,
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeScoreRecord {
    pub node: String,
    pub plugins: Vec<PluginScore>,
    pub total: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginScore {
    pub plugin: String,
    pub raw: i64,
    pub normalized: i64,
    pub weight: i64,
    pub weighted: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    pub node: String,
    /// The winning total, when scoring ran.
    pub score: Option<i64>,
    pub how: TieBreak,
}

/// How the node was chosen among the feasible ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TieBreak {
    /// Only one node passed the filters: upstream skips scoring entirely.
    OnlyFeasibleNode,
    /// The pod's nominated node (from an earlier preemption) passed the filters.
    NominatedNode,
    /// One node had the highest total.
    HighestScore,
    /// Several nodes shared the highest total; reservoir sampling with the cluster's seeded RNG
    /// picked one uniformly (`selectHost`). `tied_nodes` lists at most 16 of them, with
    /// `RecordDetail::Full` only.
    Reservoir {
        candidates: usize,
        tied_nodes: Vec<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The FailedScheduling event message, as upstream's `FitError.Error()` writes it.
    pub message: String,
    /// Plugins that rejected at least one node: the queue requeues the pod on their events.
    pub unschedulable_plugins: Vec<String>,
    /// `reason → number of nodes`, sorted as in the message.
    pub reasons: Vec<(String, usize)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreemptionRecord {
    /// The node the pod will wait for, once its victims are gone.
    pub nominated_node: Option<String>,
    /// `namespace/name` of the pods to delete to make room.
    pub victims: Vec<String>,
    /// Per candidate node examined: its victims (empty when no victims were needed or found).
    pub candidates: Vec<CandidateRecord>,
    /// The `preemption: ...` part of the message, or empty when preemption found a node.
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateRecord {
    pub node: String,
    pub victims: Vec<String>,
}
