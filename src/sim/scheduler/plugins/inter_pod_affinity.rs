//! InterPodAffinity: pods that must (or prefer to) run near, or away from, other pods, where
//! "near" means the same value of a node label (`topologyKey`: a node, a zone).
//!
//! Mirrors: `pkg/scheduler/framework/plugins/interpodaffinity/` (`filtering.go`, `scoring.go`).
//! Simplified: `namespaceSelector` other than empty (all namespaces) matches no namespace, since
//! the scheduler here does not watch Namespaces; `matchLabelKeys`/`mismatchLabelKeys` ignored.

use std::collections::BTreeMap;

use crate::sim::api::core_v1::{PodAffinityTerm, WeightedPodAffinityTerm};

use crate::sim::scheduler::framework::{
    ClusterEvent, CycleState, ExtensionPoint, NodeScore, Plugin, Status, MAX_NODE_SCORE,
};
use crate::sim::scheduler::labels::{selector_is_empty, selector_matches};
use crate::sim::scheduler::node_info::{NodeInfo, PodInfo, Snapshot};

pub const NAME: &str = "InterPodAffinity";
/// `ErrReasonExistingAntiAffinityRulesNotMatch`.
pub const ERR_REASON_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
/// `ErrReasonAffinityRulesNotMatch`.
pub const ERR_REASON_AFFINITY: &str = "node(s) didn't match pod affinity rules";
/// `ErrReasonAntiAffinityRulesNotMatch`.
pub const ERR_REASON_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";

const PRE_FILTER_KEY: &str = "PreFilterInterPodAffinity";
const PRE_SCORE_KEY: &str = "PreScoreInterPodAffinity";

type TopologyCounts = BTreeMap<(String, String), i64>;

pub struct InterPodAffinity {
    /// `hardPodAffinityWeight`: how much an existing pod's *required* affinity to the incoming
    /// pod counts when scoring (default 1).
    pub hard_pod_affinity_weight: i64,
}

impl Default for InterPodAffinity {
    fn default() -> Self {
        InterPodAffinity {
            hard_pod_affinity_weight: 1,
        }
    }
}

/// Whether `term` (declared by a pod in `owner_namespace`) selects `target`.
pub fn term_matches(term: &PodAffinityTerm, owner_namespace: &str, target: &PodInfo) -> bool {
    let namespaces = term.namespaces.as_deref().unwrap_or(&[]);
    let ns_ok = match &term.namespace_selector {
        Some(sel) if selector_is_empty(sel) => true,
        Some(_) => namespaces.contains(&target.namespace),
        None if namespaces.is_empty() => target.namespace == owner_namespace,
        None => namespaces.contains(&target.namespace),
    };
    // A nil label selector selects nothing.
    ns_ok
        && term
            .label_selector
            .as_ref()
            .is_some_and(|s| selector_matches(s, &target.labels))
}

fn required_affinity(pod: &PodInfo) -> &[PodAffinityTerm] {
    pod.spec()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.pod_affinity.as_ref())
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_deref()
        })
        .unwrap_or(&[])
}

fn required_anti_affinity(pod: &PodInfo) -> &[PodAffinityTerm] {
    pod.spec()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_deref()
        })
        .unwrap_or(&[])
}

fn preferred_affinity(pod: &PodInfo) -> &[WeightedPodAffinityTerm] {
    pod.spec()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.pod_affinity.as_ref())
        .and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_deref()
        })
        .unwrap_or(&[])
}

fn preferred_anti_affinity(pod: &PodInfo) -> &[WeightedPodAffinityTerm] {
    pod.spec()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_deref()
        })
        .unwrap_or(&[])
}

fn bump(counts: &mut TopologyCounts, node: &NodeInfo, key: &str, by: i64) {
    if let Some(value) = node.labels.get(key) {
        *counts.entry((key.to_string(), value.clone())).or_insert(0) += by;
    }
}

struct FilterState {
    /// Domains where an existing pod's required anti-affinity selects the incoming pod.
    existing_anti_affinity: TopologyCounts,
    /// Domains holding pods that match all of the incoming pod's required affinity terms.
    affinity: TopologyCounts,
    /// Domains holding pods the incoming pod's required anti-affinity selects.
    anti_affinity: TopologyCounts,
}

impl Plugin for InterPodAffinity {
    fn name(&self) -> &'static str {
        NAME
    }
    fn extension_points(&self) -> &'static [ExtensionPoint] {
        &[
            ExtensionPoint::PreFilter,
            ExtensionPoint::Filter,
            ExtensionPoint::PreScore,
            ExtensionPoint::Score,
        ]
    }
    fn events_to_register(&self) -> &'static [ClusterEvent] {
        &[
            ClusterEvent::NodeAdd,
            ClusterEvent::NodeUpdate,
            ClusterEvent::AssignedPodAdd,
            ClusterEvent::AssignedPodUpdate,
            ClusterEvent::AssignedPodDelete,
        ]
    }

    fn pre_filter(&self, pod: &PodInfo, snapshot: &Snapshot, state: &mut CycleState) -> Status {
        let affinity = required_affinity(pod);
        let anti = required_anti_affinity(pod);
        if affinity.is_empty() && anti.is_empty() && !snapshot.have_pods_with_affinity() {
            return Status::skip();
        }
        let mut s = FilterState {
            existing_anti_affinity: TopologyCounts::new(),
            affinity: TopologyCounts::new(),
            anti_affinity: TopologyCounts::new(),
        };
        for node in snapshot.nodes() {
            for existing in &node.pods {
                for term in required_anti_affinity(existing) {
                    if term_matches(term, &existing.namespace, pod) {
                        bump(&mut s.existing_anti_affinity, node, &term.topology_key, 1);
                    }
                }
                if !affinity.is_empty()
                    && affinity
                        .iter()
                        .all(|t| term_matches(t, &pod.namespace, existing))
                {
                    for term in affinity {
                        bump(&mut s.affinity, node, &term.topology_key, 1);
                    }
                }
                for term in anti {
                    if term_matches(term, &pod.namespace, existing) {
                        bump(&mut s.anti_affinity, node, &term.topology_key, 1);
                    }
                }
            }
        }
        state.write(PRE_FILTER_KEY, s);
        Status::success()
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo, state: &CycleState) -> Status {
        let Some(s) = state.read::<FilterState>(PRE_FILTER_KEY) else {
            return Status::success();
        };
        // satisfyPodAffinity
        let affinity = required_affinity(pod);
        let mut pods_exist = true;
        for term in affinity {
            match node.labels.get(&term.topology_key) {
                Some(value) => {
                    if s.affinity
                        .get(&(term.topology_key.clone(), value.clone()))
                        .copied()
                        .unwrap_or(0)
                        <= 0
                    {
                        pods_exist = false;
                    }
                }
                None => return Status::unresolvable(ERR_REASON_AFFINITY),
            }
        }
        if !pods_exist {
            // The first pod of a group that selects itself may go anywhere: otherwise no pod of
            // a self-affine group could ever be placed.
            let self_match = affinity
                .iter()
                .all(|t| term_matches(t, &pod.namespace, pod));
            if !(s.affinity.is_empty() && self_match) {
                return Status::unresolvable(ERR_REASON_AFFINITY);
            }
        }
        // satisfyPodAntiAffinity
        for term in required_anti_affinity(pod) {
            if let Some(value) = node.labels.get(&term.topology_key) {
                if s.anti_affinity
                    .get(&(term.topology_key.clone(), value.clone()))
                    .copied()
                    .unwrap_or(0)
                    > 0
                {
                    return Status::unschedulable(ERR_REASON_ANTI_AFFINITY);
                }
            }
        }
        // satisfyExistingPodsAntiAffinity
        for (key, value) in &node.labels {
            if s.existing_anti_affinity
                .get(&(key.clone(), value.clone()))
                .copied()
                .unwrap_or(0)
                > 0
            {
                return Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
            }
        }
        Status::success()
    }

    fn pre_score(
        &self,
        pod: &PodInfo,
        snapshot: &Snapshot,
        _feasible: &[usize],
        state: &mut CycleState,
    ) -> Status {
        let preferred = preferred_affinity(pod);
        let preferred_anti = preferred_anti_affinity(pod);
        if preferred.is_empty() && preferred_anti.is_empty() && !snapshot.have_pods_with_affinity()
        {
            return Status::skip();
        }
        let mut scores = TopologyCounts::new();
        for node in snapshot.nodes() {
            for existing in &node.pods {
                for t in preferred {
                    if term_matches(&t.pod_affinity_term, &pod.namespace, existing) {
                        bump(
                            &mut scores,
                            node,
                            &t.pod_affinity_term.topology_key,
                            i64::from(t.weight),
                        );
                    }
                }
                for t in preferred_anti {
                    if term_matches(&t.pod_affinity_term, &pod.namespace, existing) {
                        bump(
                            &mut scores,
                            node,
                            &t.pod_affinity_term.topology_key,
                            -i64::from(t.weight),
                        );
                    }
                }
                if existing.has_affinity {
                    if self.hard_pod_affinity_weight > 0 {
                        for t in required_affinity(existing) {
                            if term_matches(t, &existing.namespace, pod) {
                                bump(
                                    &mut scores,
                                    node,
                                    &t.topology_key,
                                    self.hard_pod_affinity_weight,
                                );
                            }
                        }
                    }
                    for t in preferred_affinity(existing) {
                        if term_matches(&t.pod_affinity_term, &existing.namespace, pod) {
                            bump(
                                &mut scores,
                                node,
                                &t.pod_affinity_term.topology_key,
                                i64::from(t.weight),
                            );
                        }
                    }
                    for t in preferred_anti_affinity(existing) {
                        if term_matches(&t.pod_affinity_term, &existing.namespace, pod) {
                            bump(
                                &mut scores,
                                node,
                                &t.pod_affinity_term.topology_key,
                                -i64::from(t.weight),
                            );
                        }
                    }
                }
            }
        }
        if scores.is_empty() {
            return Status::skip();
        }
        state.write(PRE_SCORE_KEY, scores);
        Status::success()
    }

    fn score(
        &self,
        _pod: &PodInfo,
        node: &NodeInfo,
        _snapshot: &Snapshot,
        state: &CycleState,
    ) -> i64 {
        let Some(scores) = state.read::<TopologyCounts>(PRE_SCORE_KEY) else {
            return 0;
        };
        scores
            .iter()
            .filter(|((key, value), _)| node.labels.get(key) == Some(value))
            .map(|(_, score)| *score)
            .sum()
    }

    fn normalize_score(&self, _pod: &PodInfo, scores: &mut [NodeScore], _state: &CycleState) {
        let min = scores.iter().map(|s| s.score).min().unwrap_or(0);
        let max = scores.iter().map(|s| s.score).max().unwrap_or(0);
        let diff = max - min;
        for s in scores {
            s.score = if diff > 0 {
                MAX_NODE_SCORE * (s.score - min) / diff
            } else {
                0
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scheduler::framework::Code;
    use crate::sim::scheduler::testing::{filter_each, node, pod, score_each};

    fn nodes() -> Vec<crate::sim::api::core_v1::Node> {
        vec![
            node("machine1")
                .label("region", "r1")
                .label("zone", "z11")
                .build(),
            node("machine2")
                .label("region", "r1")
                .label("zone", "z12")
                .build(),
            node("machine3")
                .label("region", "r2")
                .label("zone", "z21")
                .build(),
        ]
    }

    #[test]
    fn a_pod_that_does_not_match_any_required_affinity_is_rejected_everywhere() {
        let p = pod("p")
            .pod_affinity("service", "securityscan", "region")
            .build();
        let existing = vec![pod("e")
            .label("service", "other")
            .node_name("machine1")
            .build()];
        let statuses = filter_each(&InterPodAffinity::default(), &p, nodes(), existing);
        for s in &statuses {
            assert_eq!(s.code, Code::UnschedulableAndUnresolvable);
            assert_eq!(s.reasons, [ERR_REASON_AFFINITY]);
        }
    }

    #[test]
    fn required_affinity_admits_every_node_in_the_matching_pods_region() {
        let p = pod("p")
            .pod_affinity("service", "securityscan", "region")
            .build();
        let existing = vec![pod("e")
            .label("service", "securityscan")
            .node_name("machine1")
            .build()];
        let ok: Vec<bool> = filter_each(&InterPodAffinity::default(), &p, nodes(), existing)
            .iter()
            .map(|s| s.is_success())
            .collect();
        assert_eq!(ok, [true, true, false]);
    }

    #[test]
    fn the_first_pod_of_a_self_affine_group_may_go_anywhere() {
        let p = pod("p")
            .label("app", "db")
            .pod_affinity("app", "db", "zone")
            .build();
        let statuses = filter_each(&InterPodAffinity::default(), &p, nodes(), vec![]);
        assert!(statuses.iter().all(|s| s.is_success()), "{statuses:?}");
    }

    #[test]
    fn required_anti_affinity_keeps_the_pod_out_of_the_matching_pods_zone() {
        let p = pod("p").pod_anti_affinity("app", "web", "region").build();
        let existing = vec![pod("e").label("app", "web").node_name("machine1").build()];
        let statuses = filter_each(&InterPodAffinity::default(), &p, nodes(), existing);
        assert_eq!(statuses[0].reasons, [ERR_REASON_ANTI_AFFINITY]);
        assert_eq!(statuses[1].reasons, [ERR_REASON_ANTI_AFFINITY]);
        assert!(statuses[2].is_success());
    }

    #[test]
    fn an_existing_pods_anti_affinity_keeps_the_incoming_pod_away() {
        let p = pod("p").label("app", "web").build();
        let existing = vec![pod("e")
            .pod_anti_affinity("app", "web", "zone")
            .node_name("machine2")
            .build()];
        let statuses = filter_each(&InterPodAffinity::default(), &p, nodes(), existing);
        assert!(statuses[0].is_success());
        assert_eq!(statuses[1].reasons, [ERR_REASON_EXISTING_ANTI_AFFINITY]);
        assert_eq!(statuses[1].code, Code::Unschedulable);
        assert!(statuses[2].is_success());
    }

    #[test]
    fn preferred_affinity_scores_the_matching_region_highest() {
        let p = pod("p")
            .preferred_pod_affinity(5, "security", "S1", "region")
            .build();
        let existing = vec![pod("e")
            .label("security", "S1")
            .node_name("machine1")
            .build()];
        assert_eq!(
            score_each(&InterPodAffinity::default(), &p, nodes(), existing),
            [100, 100, 0]
        );
    }

    #[test]
    fn preferred_anti_affinity_scores_the_matching_zone_lowest() {
        let p = pod("p")
            .preferred_pod_anti_affinity(5, "security", "S1", "zone")
            .build();
        let existing = vec![pod("e")
            .label("security", "S1")
            .node_name("machine1")
            .build()];
        assert_eq!(
            score_each(&InterPodAffinity::default(), &p, nodes(), existing),
            [0, 100, 100]
        );
    }

    #[test]
    fn without_any_affinity_in_the_cluster_the_plugin_skips() {
        let statuses = filter_each(
            &InterPodAffinity::default(),
            &pod("p").build(),
            nodes(),
            vec![],
        );
        assert!(statuses.iter().all(|s| s.is_success()));
        assert_eq!(
            score_each(
                &InterPodAffinity::default(),
                &pod("p").build(),
                nodes(),
                vec![]
            ),
            [0, 0, 0]
        );
    }
}
