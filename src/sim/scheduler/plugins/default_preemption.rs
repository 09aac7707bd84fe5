//! DefaultPreemption (PostFilter): when no node fits, find a node where deleting pods of lower
//! priority would make room, and nominate it.
//!
//! Mirrors: `pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go` and
//! `pkg/scheduler/framework/preemption/preemption.go` (`Preempt`, `findCandidates`,
//! `nodesWherePreemptionMightHelp`, `dryRunPreemption`, `SelectVictimsOnNode`,
//! `pickOneNodeForPreemption`, `PodEligibleToPreemptOthers`).
//! Simplified: no PodDisruptionBudgets (no victim ever violates one), and each dry run re-runs
//! PreFilter on a copy of the snapshot instead of upstream's AddPod/RemovePod extensions.
//!
//! ```text
//! nodes ─▶ rejected UnschedulableAndUnresolvable? ─yes─▶ "Preemption is not helpful for scheduling"
//!             │ no
//!             ▼ remove every pod of lower priority ─ none? ─▶ "No preemption victims found for incoming pod"
//!             │                                    ─ still does not fit? ─▶ that Filter's reasons
//!             ▼ add them back, most important first, while the pod still fits ("reprieve")
//!           candidate: the pods that could not be reprieved are the victims
//! ```

use std::collections::BTreeMap;

use crate::sim::rng::Rng;
use crate::sim::scheduler::fit_error::fit_error_message;
use crate::sim::scheduler::framework::{Code, CycleState, ExtensionPoint, Plugin, Profile, Status};
use crate::sim::scheduler::node_info::{PodInfo, Snapshot};
use crate::sim::scheduler::record::{CandidateRecord, PreemptionRecord};
use crate::sim::scheduler::schedule_one::{active_filters, run_filter, run_pre_filter};
use crate::sim::sort::StableSort;

pub const NAME: &str = "DefaultPreemption";
pub const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
pub const NO_VICTIMS: &str = "No preemption victims found for incoming pod";
pub const NOT_ELIGIBLE_NEVER: &str = "not eligible due to preemptionPolicy=Never.";
pub const NOT_ELIGIBLE_TERMINATING: &str =
    "not eligible due to a terminating pod on the nominated node.";

/// `minCandidateNodesPercentage` and `minCandidateNodesAbsolute`: how many candidates are enough.
const MIN_CANDIDATE_NODES_PERCENTAGE: usize = 10;
const MIN_CANDIDATE_NODES_ABSOLUTE: usize = 100;

pub struct DefaultPreemption;

impl Plugin for DefaultPreemption {
    fn name(&self) -> &'static str {
        NAME
    }
    fn extension_points(&self) -> &'static [ExtensionPoint] {
        &[ExtensionPoint::PostFilter]
    }
}

/// `PodEligibleToPreemptOthers`: `Err(message)` when the pod may not preempt.
pub fn eligible(
    pod: &PodInfo,
    snapshot: &Snapshot,
    rejected: &BTreeMap<usize, Status>,
) -> Result<(), &'static str> {
    if pod.preemption_policy_never {
        return Err(NOT_ELIGIBLE_NEVER);
    }
    // A pod that already preempted waits for its victims to go instead of preempting again,
    // unless its nominated node can no longer help at all.
    if let Some(i) = snapshot.node_index(&pod.nominated_node_name) {
        let unresolvable = rejected
            .get(&i)
            .is_some_and(|s| s.code == Code::UnschedulableAndUnresolvable);
        if !unresolvable
            && snapshot.nodes()[i]
                .pods
                .iter()
                .any(|p| p.terminating && p.priority < pod.priority)
        {
            return Err(NOT_ELIGIBLE_TERMINATING);
        }
    }
    Ok(())
}

/// `MoreImportantPod`: higher priority first, then the one that started earlier.
fn more_important_first(a: &PodInfo, b: &PodInfo) -> std::cmp::Ordering {
    b.priority
        .cmp(&a.priority)
        .then(a.start_time_seconds.cmp(&b.start_time_seconds))
}

/// `SelectVictimsOnNode`: the fewest, least important pods whose removal lets the pod fit.
pub fn select_victims_on_node(
    profile: &Profile,
    pod: &PodInfo,
    snapshot: &Snapshot,
    node_index: usize,
) -> Result<Vec<PodInfo>, Status> {
    let node = &snapshot.nodes()[node_index];
    let mut potential: Vec<PodInfo> = node
        .pods
        .iter()
        .filter(|p| p.priority < pod.priority)
        .cloned()
        .collect();
    if potential.is_empty() {
        return Err(Status::unresolvable(NO_VICTIMS));
    }
    let mut trial = snapshot.clone();
    for victim in &potential {
        trial.remove_pod(&victim.namespace, &victim.name, &node.name);
    }
    let fits = |trial: &Snapshot| -> Status {
        let mut state = CycleState::default();
        match run_pre_filter(profile, pod, trial, &mut state, None) {
            Err(status) => status,
            Ok(skip) => {
                let filters = active_filters(profile, &skip);
                run_filter(
                    profile,
                    pod,
                    &trial.nodes()[node_index],
                    &state,
                    &filters,
                    None,
                )
            }
        }
    };
    let status = fits(&trial);
    if !status.is_success() {
        return Err(status);
    }
    potential.stable_sort_by(more_important_first);
    let mut victims = Vec::new();
    for candidate in potential {
        trial.add_pod_info(candidate.clone());
        if !fits(&trial).is_success() {
            trial.remove_pod(&candidate.namespace, &candidate.name, &node.name);
            victims.push(candidate);
        }
    }
    Ok(victims)
}

/// `pickOneNodeForPreemption` without PDBs: lowest highest-victim priority, then lowest sum of
/// priorities, then fewest victims, then the latest start among the most important victims,
/// then the first candidate.
fn pick_one(candidates: &[(usize, Vec<PodInfo>)]) -> Option<usize> {
    let key = |victims: &Vec<PodInfo>| {
        let highest = victims.iter().map(|v| v.priority).max().unwrap_or(i32::MIN);
        // Upstream shifts each priority by MaxInt32+1 so that negative priorities sum correctly.
        let sum: i64 = victims
            .iter()
            .map(|v| i64::from(v.priority) + i64::from(i32::MAX) + 1)
            .sum();
        let earliest_of_highest = victims
            .iter()
            .filter(|v| v.priority == highest)
            .map(|v| v.start_time_seconds)
            .min()
            .unwrap_or(i64::MAX);
        (
            highest,
            sum,
            victims.len(),
            std::cmp::Reverse(earliest_of_highest),
        )
    };
    candidates
        .iter()
        .enumerate()
        .min_by_key(|(k, (_, victims))| (key(victims), *k))
        .map(|(k, _)| k)
}

/// Runs the whole PostFilter. An empty `message` means a node was nominated.
pub fn preempt(
    profile: &Profile,
    pod: &PodInfo,
    snapshot: &Snapshot,
    rejected: &BTreeMap<usize, Status>,
    rng: &mut Rng,
) -> PreemptionRecord {
    let mut record = PreemptionRecord {
        nominated_node: None,
        victims: Vec::new(),
        candidates: Vec::new(),
        message: String::new(),
    };
    if let Err(message) = eligible(pod, snapshot, rejected) {
        record.message = format!("preemption: {message}");
        return record;
    }
    let n = snapshot.len();
    // nodesWherePreemptionMightHelp
    let mut statuses: BTreeMap<usize, Status> = BTreeMap::new();
    let mut potential = Vec::new();
    for i in 0..n {
        match rejected.get(&i) {
            Some(s) if s.code == Code::UnschedulableAndUnresolvable => {
                statuses.insert(i, Status::unresolvable(NOT_HELPFUL));
            }
            None => {
                // A node not in the map was never rejected for this pod; upstream treats it as
                // unresolvable for preemption too.
                statuses.insert(i, Status::unresolvable(NOT_HELPFUL));
            }
            Some(_) => potential.push(i),
        }
    }
    let mut candidates: Vec<(usize, Vec<PodInfo>)> = Vec::new();
    if !potential.is_empty() {
        // dryRunPreemption starts at a random offset and stops once it has enough candidates.
        let offset = rng.below(potential.len() as u64) as usize;
        let enough = (potential.len() * MIN_CANDIDATE_NODES_PERCENTAGE / 100)
            .max(MIN_CANDIDATE_NODES_ABSOLUTE)
            .min(potential.len());
        for k in 0..potential.len() {
            let i = potential[(offset + k) % potential.len()];
            match select_victims_on_node(profile, pod, snapshot, i) {
                Ok(victims) => {
                    record.candidates.push(CandidateRecord {
                        node: snapshot.nodes()[i].name.clone(),
                        victims: victims.iter().map(|v| v.key()).collect(),
                    });
                    candidates.push((i, victims));
                    if candidates.len() >= enough {
                        break;
                    }
                }
                Err(status) => {
                    statuses.insert(i, status);
                }
            }
        }
    }
    match pick_one(&candidates) {
        Some(k) => {
            let (i, victims) = &candidates[k];
            record.nominated_node = Some(snapshot.nodes()[*i].name.clone());
            record.victims = victims.iter().map(|v| v.key()).collect();
        }
        None => {
            record.message = format!(
                "preemption: {}",
                fit_error_message(n, None, statuses.values(), None)
            );
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scheduler::testing::{node, pod};

    fn snapshot(existing: Vec<crate::sim::api::core_v1::Pod>) -> Snapshot {
        Snapshot::from_objects(vec![node("node1").cpu("1").memory("1Gi").build()], existing)
    }

    #[test]
    fn only_as_many_low_priority_pods_as_needed_become_victims_the_rest_are_reprieved() {
        let s = snapshot(vec![
            pod("low-a")
                .priority(1)
                .request_cpu("400m")
                .node_name("node1")
                .build(),
            pod("low-b")
                .priority(2)
                .request_cpu("400m")
                .node_name("node1")
                .build(),
        ]);
        let preemptor = s.pod_info(&pod("p").priority(100).request_cpu("500m").build());
        let victims = select_victims_on_node(&Profile::default_profile(), &preemptor, &s, 0);
        // Reprieve goes most important first: low-b (priority 2) is kept, low-a must go.
        let names: Vec<String> = victims
            .unwrap_or_default()
            .iter()
            .map(|v| v.name.clone())
            .collect();
        assert_eq!(names, ["low-a"]);
    }

    #[test]
    fn pods_of_equal_or_higher_priority_are_never_victims() {
        let s = snapshot(vec![pod("peer")
            .priority(100)
            .request_cpu("800m")
            .node_name("node1")
            .build()]);
        let preemptor = s.pod_info(&pod("p").priority(100).request_cpu("500m").build());
        let status = select_victims_on_node(&Profile::default_profile(), &preemptor, &s, 0);
        assert_eq!(
            status.err().map(|s| s.reasons),
            Some(vec![NO_VICTIMS.to_string()])
        );
    }

    #[test]
    fn when_removing_every_lower_priority_pod_is_not_enough_the_filter_reason_is_kept() {
        let s = snapshot(vec![
            pod("low")
                .priority(0)
                .request_cpu("200m")
                .node_name("node1")
                .build(),
            pod("high")
                .priority(1000)
                .request_cpu("700m")
                .node_name("node1")
                .build(),
        ]);
        let preemptor = s.pod_info(&pod("p").priority(100).request_cpu("500m").build());
        let status = select_victims_on_node(&Profile::default_profile(), &preemptor, &s, 0);
        assert_eq!(
            status.err().map(|s| s.reasons),
            Some(vec!["Insufficient cpu".to_string()])
        );
    }

    #[test]
    fn the_candidate_whose_most_important_victim_matters_least_is_picked() {
        let s = Snapshot::from_objects(
            vec![node("a").cpu("1").build(), node("b").cpu("1").build()],
            vec![
                pod("a-victim")
                    .priority(50)
                    .request_cpu("1")
                    .node_name("a")
                    .build(),
                pod("b-victim")
                    .priority(10)
                    .request_cpu("1")
                    .node_name("b")
                    .build(),
            ],
        );
        let preemptor = s.pod_info(&pod("p").priority(100).request_cpu("1").build());
        let rejected: BTreeMap<usize, Status> = (0..2)
            .map(|i| (i, Status::unschedulable("Insufficient cpu")))
            .collect();
        let record = preempt(
            &Profile::default_profile(),
            &preemptor,
            &s,
            &rejected,
            &mut Rng::new(1),
        );
        assert_eq!(record.nominated_node.as_deref(), Some("b"));
        assert_eq!(record.victims, ["default/b-victim"]);
        assert_eq!(record.message, "");
    }

    #[test]
    fn a_pod_that_never_preempts_says_so() {
        let s = snapshot(vec![]);
        let preemptor = s.pod_info(&pod("p").priority(100).preemption_policy("Never").build());
        let record = preempt(
            &Profile::default_profile(),
            &preemptor,
            &s,
            &BTreeMap::new(),
            &mut Rng::new(1),
        );
        assert_eq!(
            record.message,
            "preemption: not eligible due to preemptionPolicy=Never."
        );
    }
}
