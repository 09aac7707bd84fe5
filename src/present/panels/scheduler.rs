//! The scheduler panel: one pod's scheduling cycle as the tables kube-scheduler filled in. A row
//! per node and a column per Filter plugin (passed, rejected with upstream's reason, or not run
//! because an earlier plugin already rejected the node), the Score table of the feasible nodes
//! (raw, normalized, weight, weighted, total), the winner and how the tie was broken; for a pod
//! no node takes, the `FailedScheduling` message and the cluster events that would wake it.
//!
//! ```text
//!            │ NodeUnschedulable │ TaintToleration           │ NodeAffinity │ NodeResourcesFit │
//!   master   │ ✓                 │ ✗ untolerated taint {...} │ ·            │ ·                │
//!   node1    │ ✓                 │ ✓                         │ ✓            │ ✓                │ → Score
//! ```
//!
//! Everything is read from the trace (`TraceKind::SchedulingCycle`, the cycle record the
//! scheduler wrote) and from the store at the cycle's revision; nothing is computed again.
//!
//! Mirrors: `pkg/scheduler/schedule_one.go` (`findNodesThatFitPod`, `prioritizeNodes`,
//! `selectHost`), `framework/types.go` (`FitError`), and for the wake-up events the plugins'
//! `EventsToRegister` as the scheduling queue uses them (`Profile::events_by_plugin`).
//! Simplified: QueueingHints are the registered events alone, as in the sim's queue.

use std::collections::BTreeMap;

use crate::present::i18n::Lang;
use crate::present::narration::filter_reason_words;
use crate::present::session::Session;
use crate::sim::apiserver::backend::RangeRequest;
use crate::sim::clock::Ticks;
use crate::sim::scheduler::framework::{ClusterEvent, Code};
use crate::sim::scheduler::record::{CycleRecord, TieBreak};
use crate::sim::scheduler::Profile;
use crate::sim::trace::{Events, Seq, TraceEvent, TraceKind};

/// The panel for one pod: its cycles, and one of them in full.
#[derive(Clone, Debug, PartialEq)]
pub struct SchedulerPanel {
    /// `namespace/name`.
    pub pod: String,
    /// Every cycle of this pod (its latest life) still in the trace, oldest first.
    pub cycles: Vec<CycleSummary>,
    /// The cycle shown, in full: `cycles[cycle.attempt - 1]`.
    pub cycle: CycleView,
}

/// One cycle in the picker: when, and what came of it.
#[derive(Clone, Debug, PartialEq)]
pub struct CycleSummary {
    /// 1 for the pod's first cycle.
    pub attempt: usize,
    /// The cycle's trace event.
    pub seq: Seq,
    pub tick: Ticks,
    /// Where the playhead goes to show this cycle (`Timeline::played_through_seq`).
    pub played: usize,
    /// The node picked; None when the cycle failed.
    pub node: Option<String>,
}

/// One scheduling cycle as tables.
#[derive(Clone, Debug, PartialEq)]
pub struct CycleView {
    pub attempt: usize,
    pub seq: Seq,
    pub tick: Ticks,
    pub played: usize,
    /// Nodes in the scheduler's snapshot, how many the Filter plugins looked at, how many passed.
    pub nodes_total: usize,
    pub nodes_evaluated: usize,
    pub nodes_feasible: usize,
    /// A PreFilter plugin rejected the pod before any node was looked at.
    pub pre_filter_rejection: Option<PreFilterRejection>,
    /// The Filter table's columns: the Filter plugins that ran on some node, in the order they run.
    pub filter_plugins: Vec<String>,
    /// The Filter table's rows: every node in the cluster at the cycle's revision.
    pub filter_rows: Vec<FilterRow>,
    /// The Score table's columns.
    pub score_plugins: Vec<String>,
    /// The Score table's rows: the feasible nodes (none when only one passed: upstream does not
    /// score then).
    pub score_rows: Vec<ScoreRow>,
    pub outcome: Outcome,
}

/// PreFilter said no for every node at once.
#[derive(Clone, Debug, PartialEq)]
pub struct PreFilterRejection {
    pub plugin: String,
    /// Upstream's code: `Unschedulable`, `UnschedulableAndUnresolvable`, `Error`.
    pub code: String,
    pub message: String,
}

/// One node's Filter results, one cell per column of [`CycleView::filter_plugins`].
#[derive(Clone, Debug, PartialEq)]
pub struct FilterRow {
    pub node: String,
    /// Every Filter plugin passed it.
    pub passed: bool,
    /// The Filter plugins looked at it (false: the cycle stopped before reaching it, or
    /// PreFilter rejected the pod).
    pub evaluated: bool,
    pub cells: Vec<FilterCell>,
}

/// One plugin's verdict on one node.
#[derive(Clone, Debug, PartialEq)]
pub enum FilterCell {
    Passed,
    /// Upstream's code and reasons (`node(s) had untolerated taint {...}`).
    Rejected {
        code: String,
        reasons: Vec<String>,
    },
    /// Not run: an earlier plugin already rejected the node, or the node was not evaluated.
    NotRun,
}

/// One feasible node's scores, one cell per column of [`CycleView::score_plugins`].
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreRow {
    pub node: String,
    pub cells: Vec<ScoreCell>,
    /// The sum of the weighted scores.
    pub total: i64,
}

/// One plugin's score of one node: the plugin's own number, scaled to 0..=100, times its weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScoreCell {
    pub raw: i64,
    pub normalized: i64,
    pub weight: i64,
    pub weighted: i64,
}

/// What the cycle came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Picked {
        node: String,
        /// The winning total, when scoring ran.
        total: Option<i64>,
        how: HowPicked,
    },
    Unschedulable(Pending),
}

/// How the winner was chosen among the feasible nodes (`selectHost`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HowPicked {
    /// Only one node passed the filters: upstream skips scoring.
    OnlyFeasibleNode,
    /// The pod's nominated node (from an earlier preemption) passed the filters.
    NominatedNode,
    /// One node had the highest total.
    HighestScore,
    /// `tied` nodes shared the highest total; one was drawn at random (reservoir sampling with
    /// the cluster's seeded RNG). `nodes` names at most 16 of them.
    Reservoir { tied: usize, nodes: Vec<String> },
}

/// A pod no node took: why, and what would make the queue try it again.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    /// The `FailedScheduling` event's message, verbatim (`0/3 nodes are available: ...`).
    pub message: String,
    /// The plugins that rejected some node.
    pub plugins: Vec<String>,
    /// `reason → number of nodes`, as in the message.
    pub reasons: Vec<(String, usize)>,
    /// The events that move the pod out of unschedulablePods, in the queue's order.
    pub wake_on: Vec<WakeUp>,
    pub preemption: Option<Preemption>,
}

/// One event that would wake the pod, and the rejecting plugins that registered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WakeUp {
    pub event: WakeEvent,
    /// Empty for what wakes any pending pod (its own update, the 5-minute flush, a back-off).
    pub plugins: Vec<String>,
}

/// What can move a pod out of the scheduling queue's unschedulablePods: upstream's cluster
/// events (`framework.ClusterEvent`) and the queue's own timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WakeEvent {
    NodeAdd,
    /// A node's labels, taints, allocatable or `spec.unschedulable` changed.
    NodeUpdate,
    NodeDelete,
    AssignedPodAdd,
    AssignedPodUpdate,
    AssignedPodDelete,
    /// The pending pod itself changed (not only its status).
    PodUpdate,
    /// It waited 5 minutes (`podMaxInUnschedulablePodsDuration`).
    UnschedulableTimeout,
    /// No plugin rejected it (an error): it is retried once its back-off (1 s, doubling up to
    /// 10 s) is over.
    BackoffComplete,
}

impl WakeEvent {
    /// Upstream's name for it.
    pub fn name(self) -> &'static str {
        match self {
            WakeEvent::NodeAdd => "NodeAdd",
            WakeEvent::NodeUpdate => "NodeUpdate",
            WakeEvent::NodeDelete => "NodeDelete",
            WakeEvent::AssignedPodAdd => "AssignedPodAdd",
            WakeEvent::AssignedPodUpdate => "AssignedPodUpdate",
            WakeEvent::AssignedPodDelete => "AssignedPodDelete",
            WakeEvent::PodUpdate => "PodUpdate",
            WakeEvent::UnschedulableTimeout => "UnschedulableTimeout",
            WakeEvent::BackoffComplete => "BackoffComplete",
        }
    }

    fn of(event: ClusterEvent) -> WakeEvent {
        match event {
            ClusterEvent::NodeAdd => WakeEvent::NodeAdd,
            ClusterEvent::NodeUpdate => WakeEvent::NodeUpdate,
            ClusterEvent::NodeDelete => WakeEvent::NodeDelete,
            ClusterEvent::AssignedPodAdd => WakeEvent::AssignedPodAdd,
            ClusterEvent::AssignedPodUpdate => WakeEvent::AssignedPodUpdate,
            ClusterEvent::AssignedPodDelete => WakeEvent::AssignedPodDelete,
            ClusterEvent::UnschedulableTimeout => WakeEvent::UnschedulableTimeout,
        }
    }
}

/// What preemption found: the node the pod will wait for and the pods to delete there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preemption {
    pub nominated_node: Option<String>,
    /// `namespace/name` of each victim.
    pub victims: Vec<String>,
    /// The `preemption: ...` part of the message; empty when preemption found a node.
    pub message: String,
}

/// The pods with a scheduling cycle in the trace, in the order of their first cycle: the
/// panel's picker.
pub fn scheduled_pods(session: &Session) -> Vec<String> {
    let mut pods: Vec<String> = Vec::new();
    for (_, record) in cycles(session.cluster().trace().events()) {
        if !pods.contains(&record.pod) {
            pods.push(record.pod.clone());
        }
    }
    pods
}

/// The panel for `pod` (`namespace/name`), showing its latest cycle. None when the trace holds
/// no cycle of it.
pub fn scheduler_panel(session: &Session, pod: &str) -> Option<SchedulerPanel> {
    scheduler_panel_attempt(session, pod, usize::MAX)
}

/// The panel for `pod` showing its cycle number `attempt` (1 for the first; past the last, the
/// latest).
pub fn scheduler_panel_attempt(
    session: &Session,
    pod: &str,
    attempt: usize,
) -> Option<SchedulerPanel> {
    let timeline = session.timeline();
    let events = pod_cycles(session, pod);
    let cycles: Vec<CycleSummary> = events
        .iter()
        .enumerate()
        .map(|(i, (event, record))| CycleSummary {
            attempt: i + 1,
            seq: event.seq,
            tick: event.tick,
            played: timeline.played_through_seq(event.seq),
            node: record.selected_node().map(str::to_string),
        })
        .collect();
    let index = attempt.clamp(1, cycles.len().max(1)) - 1;
    let (_, record) = events.get(index)?;
    let summary = &cycles[index];
    let revision = timeline.revision_at(summary.played);
    let nodes = nodes_at(session, revision);
    let cycle = cycle_view(summary, record, &nodes);
    Some(SchedulerPanel {
        pod: pod.to_string(),
        cycles,
        cycle,
    })
}

/// Every cycle record in `events`, with its event.
fn cycles(events: Events<'_>) -> impl Iterator<Item = (&TraceEvent, &CycleRecord)> {
    events.iter().filter_map(|e| match &e.kind {
        TraceKind::SchedulingCycle(record) => Some((e, record.as_ref())),
        _ => None,
    })
}

/// The cycles of `pod`'s latest life: a pod deleted and created again under the same name is
/// another object (another uid), with cycles of its own.
fn pod_cycles<'a>(session: &'a Session, pod: &str) -> Vec<(&'a TraceEvent, &'a CycleRecord)> {
    let all: Vec<_> = cycles(session.cluster().trace().events())
        .filter(|(_, r)| r.pod == pod)
        .collect();
    let uid_of = |e: &TraceEvent| e.object.as_ref().and_then(|o| o.uid.clone());
    let latest = all.last().and_then(|(e, _)| uid_of(e));
    all.into_iter()
        .filter(|(e, _)| latest.is_none() || uid_of(e) == latest)
        .collect()
}

/// The nodes in the store at `revision`, by name; empty when that revision was compacted.
fn nodes_at(session: &Session, revision: i64) -> Vec<String> {
    const PREFIX: &str = "/registry/minions/";
    let request = RangeRequest {
        keys_only: true,
        ..RangeRequest::prefix(PREFIX).at_revision(revision.max(1))
    };
    match session.cluster().store().range(&request) {
        Ok(result) => result
            .kvs
            .iter()
            .filter_map(|kv| kv.key.strip_prefix(PREFIX).map(str::to_string))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn code_name(code: Code) -> String {
    format!("{code:?}")
}

fn cycle_view(summary: &CycleSummary, record: &CycleRecord, nodes: &[String]) -> CycleView {
    let pre_filter_rejection = record
        .pre_filter
        .iter()
        .find(|o| !matches!(o.code, Code::Success | Code::Skip))
        .map(|o| PreFilterRejection {
            plugin: o.plugin.clone(),
            code: code_name(o.code),
            message: o.message.clone(),
        });
    // Every node runs the same Filter plugins in the same order until one rejects it, so the
    // longest row lists every plugin that ran.
    let filter_plugins: Vec<String> = record
        .filter
        .iter()
        .max_by_key(|row| row.results.len())
        .map(|row| row.results.iter().map(|r| r.plugin.clone()).collect())
        .unwrap_or_default();
    let mut filter_rows: Vec<FilterRow> = record
        .filter
        .iter()
        .map(|row| FilterRow {
            node: row.node.clone(),
            passed: row.passed,
            evaluated: true,
            cells: filter_plugins
                .iter()
                .map(
                    |plugin| match row.results.iter().find(|r| &r.plugin == plugin) {
                        Some(r) if r.code == Code::Success => FilterCell::Passed,
                        Some(r) => FilterCell::Rejected {
                            code: code_name(r.code),
                            reasons: r.reasons.clone(),
                        },
                        None => FilterCell::NotRun,
                    },
                )
                .collect(),
        })
        .collect();
    for node in nodes {
        if !filter_rows.iter().any(|r| &r.node == node) {
            filter_rows.push(FilterRow {
                node: node.clone(),
                passed: false,
                evaluated: false,
                cells: vec![FilterCell::NotRun; filter_plugins.len()],
            });
        }
    }
    let score_plugins: Vec<String> = record
        .scores
        .first()
        .map(|row| row.plugins.iter().map(|p| p.plugin.clone()).collect())
        .unwrap_or_default();
    let score_rows = record
        .scores
        .iter()
        .map(|row| ScoreRow {
            node: row.node.clone(),
            cells: row
                .plugins
                .iter()
                .map(|p| ScoreCell {
                    raw: p.raw,
                    normalized: p.normalized,
                    weight: p.weight,
                    weighted: p.weighted,
                })
                .collect(),
            total: row.total,
        })
        .collect();
    CycleView {
        attempt: summary.attempt,
        seq: summary.seq,
        tick: summary.tick,
        played: summary.played,
        nodes_total: record.num_all_nodes,
        nodes_evaluated: record.evaluated_nodes,
        nodes_feasible: record.feasible_nodes,
        pre_filter_rejection,
        filter_plugins,
        filter_rows,
        score_plugins,
        score_rows,
        outcome: outcome(record),
    }
}

fn outcome(record: &CycleRecord) -> Outcome {
    if let Some(pick) = &record.pick {
        let how = match &pick.how {
            TieBreak::OnlyFeasibleNode => HowPicked::OnlyFeasibleNode,
            TieBreak::NominatedNode => HowPicked::NominatedNode,
            TieBreak::HighestScore => HowPicked::HighestScore,
            TieBreak::Reservoir {
                candidates,
                tied_nodes,
            } => HowPicked::Reservoir {
                tied: *candidates,
                nodes: tied_nodes.clone(),
            },
        };
        return Outcome::Picked {
            node: pick.node.clone(),
            total: pick.score,
            how,
        };
    }
    let failure = record.failure.as_ref();
    let plugins = failure
        .map(|f| f.unschedulable_plugins.clone())
        .unwrap_or_default();
    Outcome::Unschedulable(Pending {
        message: failure.map(|f| f.message.clone()).unwrap_or_default(),
        reasons: failure.map(|f| f.reasons.clone()).unwrap_or_default(),
        wake_on: wake_on(&plugins),
        plugins,
        preemption: record.preemption.as_ref().map(|p| Preemption {
            nominated_node: p.nominated_node.clone(),
            victims: p.victims.clone(),
            message: p.message.clone(),
        }),
    })
}

/// The events that would move a pod the `plugins` rejected, as the scheduling queue decides
/// (`SchedulingQueue::on_event` with the profile's `events_by_plugin`), then what wakes any
/// pending pod.
fn wake_on(plugins: &[String]) -> Vec<WakeUp> {
    if plugins.is_empty() {
        // `add_unschedulable` with no rejecting plugin: backoffQ, not unschedulablePods.
        return vec![WakeUp {
            event: WakeEvent::BackoffComplete,
            plugins: Vec::new(),
        }];
    }
    let registered = Profile::default_profile().events_by_plugin();
    let mut by_event: BTreeMap<WakeEvent, Vec<String>> = BTreeMap::new();
    for plugin in plugins {
        for event in registered.get(plugin).into_iter().flatten() {
            by_event
                .entry(WakeEvent::of(*event))
                .or_default()
                .push(plugin.clone());
        }
    }
    by_event.entry(WakeEvent::PodUpdate).or_default();
    by_event.entry(WakeEvent::UnschedulableTimeout).or_default();
    by_event
        .into_iter()
        .map(|(event, plugins)| WakeUp { event, plugins })
        .collect()
}

/// One Filter cell in plain words, with upstream's reason beside them.
pub fn explain_cell(lang: Lang, cell: &FilterCell) -> String {
    match (cell, lang) {
        (FilterCell::Passed, Lang::Ko) => "통과".to_string(),
        (FilterCell::Passed, Lang::En) => "passed".to_string(),
        (FilterCell::NotRun, Lang::Ko) => {
            "실행 안 됨: 앞선 플러그인이 이미 이 노드를 제외했습니다".to_string()
        }
        (FilterCell::NotRun, Lang::En) => {
            "not run: an earlier plugin had already ruled this node out".to_string()
        }
        (FilterCell::Rejected { reasons, .. }, lang) => {
            let upstream = reasons.join(", ");
            let words: Vec<&str> = reasons
                .iter()
                .filter_map(|r| filter_reason_words(lang, r))
                .collect();
            match (words.is_empty(), lang) {
                (true, Lang::Ko) => format!("제외됨 ({upstream})"),
                (true, Lang::En) => format!("ruled out ({upstream})"),
                (false, _) => format!("{} ({upstream})", words.join(", ")),
            }
        }
    }
}

/// How the winner was picked, in plain words.
pub fn explain_pick(lang: Lang, node: &str, how: &HowPicked) -> String {
    match (how, lang) {
        (HowPicked::OnlyFeasibleNode, Lang::Ko) => {
            format!("필터를 통과한 노드가 {node} 노드 하나뿐이라 점수를 매기지 않고 골랐습니다")
        }
        (HowPicked::OnlyFeasibleNode, Lang::En) => {
            format!("{node} was the only node to pass the filters, so no scoring was needed")
        }
        (HowPicked::NominatedNode, Lang::Ko) => format!(
            "선점(preemption)으로 지명된 {node} 노드가 필터를 통과해 바로 골랐습니다"
        ),
        (HowPicked::NominatedNode, Lang::En) => format!(
            "{node}, the node nominated by an earlier preemption, passed the filters and was taken"
        ),
        (HowPicked::HighestScore, Lang::Ko) => {
            format!("{node} 노드의 총점이 가장 높았습니다")
        }
        (HowPicked::HighestScore, Lang::En) => format!("{node} had the highest total score"),
        (HowPicked::Reservoir { tied, .. }, Lang::Ko) => format!(
            "최고점이 같은 노드 {tied}개 중에서 무작위로 {node} 노드를 골랐습니다 (selectHost)"
        ),
        (HowPicked::Reservoir { tied, .. }, Lang::En) => format!(
            "{tied} nodes tied for the highest total; {node} was drawn at random among them (selectHost)"
        ),
    }
}

/// A wake-up event in plain words.
pub fn explain_wake(lang: Lang, event: WakeEvent) -> &'static str {
    use WakeEvent as W;
    match (event, lang) {
        (W::NodeAdd, Lang::Ko) => "노드가 새로 추가될 때",
        (W::NodeAdd, Lang::En) => "a node is added",
        (W::NodeUpdate, Lang::Ko) => {
            "노드의 레이블, 테인트, 할당 가능 자원, 스케줄 금지 여부가 바뀔 때"
        }
        (W::NodeUpdate, Lang::En) => {
            "a node's labels, taints, allocatable resources or unschedulable flag change"
        }
        (W::NodeDelete, Lang::Ko) => "노드가 삭제될 때",
        (W::NodeDelete, Lang::En) => "a node is deleted",
        (W::AssignedPodAdd, Lang::Ko) => "다른 파드가 노드에 배정될 때",
        (W::AssignedPodAdd, Lang::En) => "another pod is assigned to a node",
        (W::AssignedPodUpdate, Lang::Ko) => "노드에 배정된 파드가 바뀔 때",
        (W::AssignedPodUpdate, Lang::En) => "a pod on a node changes",
        (W::AssignedPodDelete, Lang::Ko) => "노드의 파드가 삭제되어 자원이 풀릴 때",
        (W::AssignedPodDelete, Lang::En) => "a pod on a node is deleted, freeing what it used",
        (W::PodUpdate, Lang::Ko) => "이 파드 자체의 스펙이나 레이블이 바뀔 때",
        (W::PodUpdate, Lang::En) => "this pod's own spec or labels change",
        (W::UnschedulableTimeout, Lang::Ko) => "5분이 지나면 (큐가 다시 시도합니다)",
        (W::UnschedulableTimeout, Lang::En) => "5 minutes pass (the queue tries it again)",
        (W::BackoffComplete, Lang::Ko) => "백오프(1초에서 두 배씩, 최대 10초)가 끝나면 다시 시도",
        (W::BackoffComplete, Lang::En) => {
            "its back-off (1 s, doubling up to 10 s) is over and it is tried again"
        }
    }
}

/// The cycle's outcome in plain words: the pick and how, or why no node took the pod.
pub fn explain_outcome(lang: Lang, outcome: &Outcome) -> String {
    match (outcome, lang) {
        (Outcome::Picked { node, how, .. }, lang) => explain_pick(lang, node, how),
        (Outcome::Unschedulable(p), Lang::Ko) => format!(
            "어느 노드에도 놓을 수 없어 파드가 Pending으로 남습니다: {}",
            p.message
        ),
        (Outcome::Unschedulable(p), Lang::En) => format!(
            "No node can take the pod, so it stays Pending: {}",
            p.message
        ),
    }
}

/// A PreFilter rejection in plain words.
pub fn explain_pre_filter(lang: Lang, rejection: &PreFilterRejection) -> String {
    let PreFilterRejection {
        plugin, message, ..
    } = rejection;
    match lang {
        Lang::Ko => format!(
            "{plugin} 플러그인이 PreFilter 단계에서 모든 노드를 한꺼번에 제외했습니다: {message}"
        ),
        Lang::En => {
            format!("{plugin} ruled out every node at once, in PreFilter: {message}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_hangul(s: &str) -> bool {
        s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
    }

    #[test]
    fn a_pod_rejected_by_taints_and_cpu_wakes_on_node_changes_and_pod_deletions() {
        let wake: Vec<WakeEvent> = wake_on(&["TaintToleration".into(), "NodeResourcesFit".into()])
            .into_iter()
            .map(|w| w.event)
            .collect();
        assert_eq!(
            wake,
            [
                WakeEvent::NodeAdd,
                WakeEvent::NodeUpdate,
                WakeEvent::AssignedPodDelete,
                WakeEvent::PodUpdate,
                WakeEvent::UnschedulableTimeout,
            ]
        );
    }

    #[test]
    fn a_failure_no_plugin_caused_is_retried_after_back_off() {
        let wake = wake_on(&[]);
        assert_eq!(wake.len(), 1);
        assert_eq!(wake[0].event, WakeEvent::BackoffComplete);
    }

    #[test]
    fn every_cell_and_wake_event_has_words_in_both_languages() {
        let cells = [
            FilterCell::Passed,
            FilterCell::NotRun,
            FilterCell::Rejected {
                code: "UnschedulableAndUnresolvable".into(),
                reasons: vec![
                    "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
                        .into(),
                ],
            },
        ];
        for cell in &cells {
            assert!(has_hangul(&explain_cell(Lang::Ko, cell)), "{cell:?}");
            assert!(!has_hangul(&explain_cell(Lang::En, cell)), "{cell:?}");
        }
        assert_eq!(
            explain_cell(Lang::Ko, &cells[2]),
            "허용하지 않은 테인트가 있습니다 (node(s) had untolerated taint {node-role.kubernetes.io/control-plane: })"
        );
        for event in [
            WakeEvent::NodeAdd,
            WakeEvent::NodeUpdate,
            WakeEvent::NodeDelete,
            WakeEvent::AssignedPodAdd,
            WakeEvent::AssignedPodUpdate,
            WakeEvent::AssignedPodDelete,
            WakeEvent::PodUpdate,
            WakeEvent::UnschedulableTimeout,
            WakeEvent::BackoffComplete,
        ] {
            assert!(has_hangul(explain_wake(Lang::Ko, event)), "{event:?}");
            assert!(!has_hangul(explain_wake(Lang::En, event)), "{event:?}");
        }
    }
}
