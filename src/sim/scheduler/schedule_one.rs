//! One scheduling cycle for one pod: the pure core of kube-scheduler.
//!
//! Mirrors: `pkg/scheduler/schedule_one.go` (`schedulePod`, `findNodesThatFitPod`,
//! `findNodesThatPassFilters`, `prioritizeNodes`, `selectHost`, `numFeasibleNodesToFind`) and
//! `framework/runtime/framework.go` (`RunPreFilterPlugins`, `RunFilterPlugins`, `RunScorePlugins`).
//! Simplified: filters run one node at a time (upstream runs 16 goroutines, which only changes
//! which extra nodes get checked past the quota); nominated pods of other preemptors are not added
//! to nodes during Filter; no extenders.

use std::collections::BTreeMap;

use crate::sim::api::core_v1::Pod;

use super::fit_error::fit_error_message;
use super::framework::{
    num_feasible_nodes_to_find, Code, CycleState, ExtensionPoint, NodeScore, Profile, RecordDetail,
    Status,
};
use super::node_info::{PodInfo, Snapshot};
use super::plugins::default_preemption;
use super::record::{
    CycleRecord, Failure, FilterResult, NodeFilterRecord, NodeScoreRecord, Pick, PluginOutcome,
    PluginScore, TieBreak,
};
use crate::sim::rng::Rng;
use crate::sim::sort::StableSort;

/// `ErrNoNodesAvailable`.
pub const NO_NODES_AVAILABLE: &str = "no nodes available to schedule pods";

/// The scheduling algorithm with the little state it keeps between cycles.
pub struct Algorithm {
    pub profile: Profile,
    /// Where the next cycle's walk over the nodes starts, so that with percentageOfNodesToScore
    /// below 100% every node gets its turn (`nextStartNodeIndex`).
    pub next_start_node_index: usize,
}

impl Algorithm {
    pub fn new(profile: Profile) -> Algorithm {
        Algorithm {
            profile,
            next_start_node_index: 0,
        }
    }

    /// Schedules one pod against the snapshot. Pure apart from the RNG draws (tie-breaks,
    /// preemption's random offset) and the round-robin index; the caller applies the result
    /// (assume + bind, or FailedScheduling + requeue).
    pub fn schedule_one(&mut self, pod: &Pod, snapshot: &Snapshot, rng: &mut Rng) -> CycleRecord {
        let info = snapshot.pod_info(pod);
        self.schedule_pod_info(&info, snapshot, rng)
    }

    pub fn schedule_pod_info(
        &mut self,
        pod: &PodInfo,
        snapshot: &Snapshot,
        rng: &mut Rng,
    ) -> CycleRecord {
        let mut record = schedule(
            &self.profile,
            pod,
            snapshot,
            rng,
            self.next_start_node_index,
        );
        if !snapshot.is_empty() {
            self.next_start_node_index =
                (record.start_node_index + record.evaluated_nodes) % snapshot.len();
        }
        // Keep the field meaningful for the UI even when the nominated node short-circuited.
        record.start_node_index %= snapshot.len().max(1);
        record
    }
}

/// Runs PreFilter for every plugin; returns which plugins' Filter to skip, or the rejection.
pub(crate) fn run_pre_filter(
    profile: &Profile,
    pod: &PodInfo,
    snapshot: &Snapshot,
    state: &mut CycleState,
    outcomes: Option<&mut Vec<PluginOutcome>>,
) -> Result<Vec<bool>, Status> {
    let mut skip = vec![false; profile.plugins.len()];
    let mut outcomes = outcomes;
    for (i, entry) in profile.plugins.iter().enumerate() {
        let points = entry.plugin.extension_points();
        if !points.contains(&ExtensionPoint::Filter) {
            continue;
        }
        if !points.contains(&ExtensionPoint::PreFilter) {
            continue;
        }
        let status = entry.plugin.pre_filter(pod, snapshot, state);
        if let Some(out) = outcomes.as_deref_mut() {
            out.push(PluginOutcome {
                plugin: entry.plugin.name().to_string(),
                code: status.code,
                message: status.message(),
            });
        }
        match status.code {
            Code::Skip => skip[i] = true,
            Code::Success => {}
            _ => return Err(status.with_plugin(entry.plugin.name())),
        }
    }
    Ok(skip)
}

/// The Filter plugins to run this cycle, in profile order: those with a Filter extension point
/// whose PreFilter did not answer Skip. Computed once per cycle, not once per node.
pub(crate) fn active_filters(profile: &Profile, skip: &[bool]) -> Vec<usize> {
    profile
        .plugins
        .iter()
        .enumerate()
        .filter(|(i, e)| {
            !skip[*i]
                && e.plugin
                    .extension_points()
                    .contains(&ExtensionPoint::Filter)
        })
        .map(|(i, _)| i)
        .collect()
}

/// Runs the Filter plugins on one node in profile order, stopping at the first rejection.
pub(crate) fn run_filter(
    profile: &Profile,
    pod: &PodInfo,
    node: &super::node_info::NodeInfo,
    state: &CycleState,
    filters: &[usize],
    mut trail: Option<&mut Vec<FilterResult>>,
) -> Status {
    for &i in filters {
        let plugin = &profile.plugins[i].plugin;
        let status = plugin.filter(pod, node, state);
        if let Some(t) = trail.as_deref_mut() {
            t.push(FilterResult {
                plugin: plugin.name().to_string(),
                code: status.code,
                reasons: status.reasons.clone(),
            });
        }
        if !status.is_success() {
            return status.with_plugin(plugin.name());
        }
    }
    Status::success()
}

fn schedule(
    profile: &Profile,
    pod: &PodInfo,
    snapshot: &Snapshot,
    rng: &mut Rng,
    start: usize,
) -> CycleRecord {
    let full = profile.record_detail == RecordDetail::Full;
    let n = snapshot.len();
    let mut record = CycleRecord {
        pod: pod.key(),
        num_all_nodes: n,
        num_nodes_to_find: num_feasible_nodes_to_find(profile.percentage_of_nodes_to_score, n),
        start_node_index: if n == 0 { 0 } else { start % n },
        evaluated_nodes: 0,
        feasible_nodes: 0,
        pre_filter: Vec::new(),
        filter: Vec::new(),
        pre_score: Vec::new(),
        scores: Vec::new(),
        pick: None,
        failure: None,
        preemption: None,
    };
    if n == 0 {
        record.failure = Some(Failure {
            message: NO_NODES_AVAILABLE.to_string(),
            unschedulable_plugins: Vec::new(),
            reasons: Vec::new(),
        });
        return record;
    }

    let mut state = CycleState::default();
    // Node index → the status of the plugin that rejected it (upstream's NodeToStatus).
    let mut rejected: BTreeMap<usize, Status> = BTreeMap::new();
    let mut feasible: Vec<usize> = Vec::with_capacity(record.num_nodes_to_find.min(n));
    let mut pre_filter_msg: Option<String> = None;

    match run_pre_filter(
        profile,
        pod,
        snapshot,
        &mut state,
        full.then_some(&mut record.pre_filter),
    ) {
        Err(status) => {
            // A PreFilter rejection applies to every node alike.
            pre_filter_msg = Some(status.message());
            for i in 0..n {
                rejected.insert(i, status.clone());
            }
            record.evaluated_nodes = 0;
        }
        Ok(skip) => {
            let skip = active_filters(profile, &skip);
            // A nominated node (from an earlier preemption) is tried first and alone.
            let nominated = snapshot.node_index(&pod.nominated_node_name);
            let mut nominated_fits = false;
            if let Some(i) = nominated {
                let mut trail = full.then(Vec::new);
                let status = run_filter(
                    profile,
                    pod,
                    &snapshot.nodes()[i],
                    &state,
                    &skip,
                    trail.as_mut(),
                );
                if let Some(results) = trail {
                    record.filter.push(NodeFilterRecord {
                        node: snapshot.nodes()[i].name.clone(),
                        passed: status.is_success(),
                        results,
                    });
                }
                if status.is_success() {
                    nominated_fits = true;
                    feasible.push(i);
                }
            }
            if !nominated_fits {
                record.filter.clear();
                let to_find = record.num_nodes_to_find;
                let mut processed = 0;
                let mut i = record.start_node_index;
                for _ in 0..n {
                    let node = &snapshot.nodes()[i];
                    let mut trail = full.then(Vec::new);
                    let status = run_filter(profile, pod, node, &state, &skip, trail.as_mut());
                    processed += 1;
                    if let Some(results) = trail {
                        record.filter.push(NodeFilterRecord {
                            node: node.name.clone(),
                            passed: status.is_success(),
                            results,
                        });
                    }
                    if status.is_success() {
                        feasible.push(i);
                        if feasible.len() >= to_find {
                            break;
                        }
                    } else {
                        rejected.insert(i, status);
                    }
                    // Wrap around without a division per node.
                    i += 1;
                    if i == n {
                        i = 0;
                    }
                }
                record.evaluated_nodes = processed;
            } else {
                record.evaluated_nodes = 1;
                record.start_node_index = start;
            }
        }
    }
    record.feasible_nodes = feasible.len();

    if feasible.is_empty() {
        let mut failure = failure_of(n, pre_filter_msg.as_deref(), &rejected);
        if profile
            .plugins
            .iter()
            .any(|e| e.plugin.name() == default_preemption::NAME)
        {
            let outcome = default_preemption::preempt(profile, pod, snapshot, &rejected, rng);
            if !outcome.message.is_empty() {
                failure.message = fit_error_message(
                    n,
                    pre_filter_msg.as_deref(),
                    rejected.values(),
                    Some(&outcome.message),
                );
            }
            record.preemption = Some(outcome);
        }
        record.failure = Some(failure);
        return record;
    }

    if feasible.len() == 1 {
        let how = if snapshot.node_index(&pod.nominated_node_name) == Some(feasible[0]) {
            TieBreak::NominatedNode
        } else {
            TieBreak::OnlyFeasibleNode
        };
        record.pick = Some(Pick {
            node: snapshot.nodes()[feasible[0]].name.clone(),
            score: None,
            how,
        });
        return record;
    }

    let totals = prioritize_nodes(
        profile,
        pod,
        snapshot,
        &feasible,
        &mut state,
        &mut record,
        full,
    );
    record.pick = Some(select_host(snapshot, &feasible, &totals, rng, full));
    record
}

fn failure_of(
    n: usize,
    pre_filter_msg: Option<&str>,
    rejected: &BTreeMap<usize, Status>,
) -> Failure {
    let mut plugins: Vec<String> = rejected.values().map(|s| s.plugin.to_string()).collect();
    plugins.stable_sort();
    plugins.dedup();
    let mut histogram: BTreeMap<&str, usize> = BTreeMap::new();
    if pre_filter_msg.is_none() {
        for status in rejected.values() {
            for reason in &status.reasons {
                *histogram.entry(reason.as_str()).or_insert(0) += 1;
            }
        }
    }
    let mut reasons: Vec<(String, usize)> = histogram
        .into_iter()
        .map(|(r, c)| (r.to_string(), c))
        .collect();
    reasons.stable_sort_by_key(|(r, c)| format!("{c} {r}"));
    Failure {
        message: fit_error_message(n, pre_filter_msg, rejected.values(), None),
        unschedulable_plugins: plugins,
        reasons,
    }
}

/// PreScore, Score, NormalizeScore and weights; returns each feasible node's total.
fn prioritize_nodes(
    profile: &Profile,
    pod: &PodInfo,
    snapshot: &Snapshot,
    feasible: &[usize],
    state: &mut CycleState,
    record: &mut CycleRecord,
    full: bool,
) -> Vec<i64> {
    let mut totals = vec![0i64; feasible.len()];
    let mut table: Vec<Vec<PluginScore>> = if full {
        vec![Vec::new(); feasible.len()]
    } else {
        Vec::new()
    };
    let mut scores: Vec<NodeScore> = Vec::with_capacity(feasible.len());
    for entry in profile.at(ExtensionPoint::Score) {
        let plugin = &entry.plugin;
        if plugin
            .extension_points()
            .contains(&ExtensionPoint::PreScore)
        {
            let status = plugin.pre_score(pod, snapshot, feasible, state);
            if full {
                record.pre_score.push(PluginOutcome {
                    plugin: plugin.name().to_string(),
                    code: status.code,
                    message: status.message(),
                });
            }
            // A plugin with nothing to say for this pod adds nothing (upstream skips its Score).
            if status.code == Code::Skip {
                continue;
            }
        }
        plugin.score_nodes(pod, snapshot, feasible, state, &mut scores);
        let raw: Vec<i64> = if full {
            scores.iter().map(|s| s.score).collect()
        } else {
            Vec::new()
        };
        plugin.normalize_score(pod, &mut scores, state);
        for (k, s) in scores.iter().enumerate() {
            let weighted = s.score * entry.weight;
            totals[k] += weighted;
            if full {
                table[k].push(PluginScore {
                    plugin: plugin.name().to_string(),
                    raw: raw[k],
                    normalized: s.score,
                    weight: entry.weight,
                    weighted,
                });
            }
        }
    }
    if full {
        record.scores = feasible
            .iter()
            .zip(table)
            .zip(&totals)
            .map(|((&i, plugins), &total)| NodeScoreRecord {
                node: snapshot.nodes()[i].name.clone(),
                plugins,
                total,
            })
            .collect();
    }
    totals
}

/// `selectHost`: the highest total wins; ties are broken uniformly at random by reservoir
/// sampling, in one pass: the k-th tied node replaces the current pick with probability 1/k.
fn select_host(
    snapshot: &Snapshot,
    feasible: &[usize],
    totals: &[i64],
    rng: &mut Rng,
    full: bool,
) -> Pick {
    let best = totals.iter().copied().max().unwrap_or(0);
    let mut count = 0u64;
    let mut selected = 0usize;
    let mut tied_nodes = Vec::new();
    for (k, &total) in totals.iter().enumerate() {
        if total != best {
            continue;
        }
        count += 1;
        if full && tied_nodes.len() < 16 {
            tied_nodes.push(snapshot.nodes()[feasible[k]].name.clone());
        }
        if count == 1 || rng.below(count) == 0 {
            selected = k;
        }
    }
    let how = if count > 1 {
        TieBreak::Reservoir {
            candidates: count as usize,
            tied_nodes,
        }
    } else {
        TieBreak::HighestScore
    };
    Pick {
        node: snapshot.nodes()[feasible[selected]].name.clone(),
        score: Some(best),
        how,
    }
}
