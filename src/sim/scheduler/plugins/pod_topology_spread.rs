//! PodTopologySpread: keeps matching pods spread over topology domains (nodes, zones).
//! `DoNotSchedule` constraints filter: placing the pod must not make the count in its domain
//! exceed the emptiest domain's by more than `maxSkew`. `ScheduleAnyway` constraints (and the
//! system defaults, for pods of a ReplicaSet, StatefulSet or Service) only score: fewer matching
//! pods in a node's domains, higher score.
//!
//! Mirrors: `pkg/scheduler/framework/plugins/podtopologyspread/` (`filtering.go`, `scoring.go`,
//! `common.go`, system default constraints: zone maxSkew 5, hostname maxSkew 3, ScheduleAnyway).
//! Simplified: `matchLabelKeys` is merged into the selector; the default selector comes from
//! `Snapshot::controller_selectors`, falling back to the pod's own labels when its controller is
//! not known (a ReplicaSet's selector is a subset of its pod template's labels).

use std::collections::BTreeMap;

use crate::sim::api::selector::{LabelSelector, LabelSelectorRequirement};

use crate::sim::scheduler::framework::{
    ClusterEvent, CycleState, ExtensionPoint, NodeScore, Plugin, Status, MAX_NODE_SCORE,
};
use crate::sim::scheduler::labels::{selector_is_empty, selector_matches};
use crate::sim::scheduler::node_info::{NodeInfo, PodInfo, Snapshot};
use crate::sim::scheduler::plugins::{node_affinity, taint_toleration};

pub const NAME: &str = "PodTopologySpread";
/// `ErrReasonConstraintsNotMatch`.
pub const ERR_REASON_CONSTRAINTS_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints";
/// `ErrReasonNodeLabelNotMatch`.
pub const ERR_REASON_NODE_LABEL_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

const PRE_FILTER_KEY: &str = "PreFilterPodTopologySpread";
const PRE_SCORE_KEY: &str = "PreScorePodTopologySpread";
const HOSTNAME: &str = "kubernetes.io/hostname";

/// One constraint, with its selector resolved (`topologySpreadConstraint`).
#[derive(Clone, Debug)]
pub struct Constraint {
    pub max_skew: i64,
    pub topology_key: String,
    pub selector: LabelSelector,
    pub min_domains: i64,
    pub honor_node_affinity: bool,
    pub honor_node_taints: bool,
}

pub struct PodTopologySpread {
    /// Used when a pod has no constraints of its own (`defaultingType: System`).
    pub default_constraints: Vec<(i64, &'static str)>,
}

impl Default for PodTopologySpread {
    fn default() -> Self {
        PodTopologySpread {
            default_constraints: vec![(5, "topology.kubernetes.io/zone"), (3, HOSTNAME)],
        }
    }
}

/// The pod's own constraints with this `whenUnsatisfiable`.
fn pod_constraints(pod: &PodInfo, when: &str) -> Vec<Constraint> {
    let constraints = pod
        .spec()
        .and_then(|s| s.topology_spread_constraints.as_deref())
        .unwrap_or(&[]);
    constraints
        .iter()
        .filter(|c| c.when_unsatisfiable == when)
        .map(|c| {
            let mut selector = c.label_selector.clone().unwrap_or_default();
            // matchLabelKeys: the pod's own values for these keys narrow the selector.
            for key in c.match_label_keys.iter().flatten() {
                if let Some(value) = pod.labels.get(key) {
                    selector.match_expressions.push(LabelSelectorRequirement {
                        key: key.clone(),
                        operator: "In".into(),
                        values: vec![value.clone()],
                    });
                }
            }
            Constraint {
                max_skew: i64::from(c.max_skew),
                topology_key: c.topology_key.clone(),
                selector,
                min_domains: i64::from(c.min_domains.unwrap_or(1)),
                honor_node_affinity: c.node_affinity_policy.as_deref() != Some("Ignore"),
                honor_node_taints: c.node_taints_policy.as_deref() == Some("Honor"),
            }
        })
        .collect()
}

/// `DefaultSelector`: what the pod's controllers and Services select.
fn default_selector(pod: &PodInfo, snapshot: &Snapshot) -> Option<LabelSelector> {
    let mut selector = LabelSelector::default();
    let mut found = false;
    for owner in pod.pod.metadata.owner_references.iter().flatten() {
        if owner.controller != Some(true) {
            continue;
        }
        if !matches!(
            owner.kind.as_str(),
            "ReplicaSet" | "StatefulSet" | "ReplicationController"
        ) {
            continue;
        }
        let key = format!("{}/{}/{}", pod.namespace, owner.kind, owner.name);
        let from = match snapshot.controller_selectors.get(&key) {
            Some(s) => (**s).clone(),
            None => LabelSelector {
                match_labels: pod.labels.clone(),
                match_expressions: Vec::new(),
            },
        };
        merge(&mut selector, from);
        found = true;
    }
    let prefix = format!("{}/Service/", pod.namespace);
    for (key, service_selector) in snapshot.controller_selectors.range(prefix.clone()..) {
        if !key.starts_with(&prefix) {
            break;
        }
        if !selector_is_empty(service_selector) && selector_matches(service_selector, &pod.labels) {
            merge(&mut selector, (**service_selector).clone());
            found = true;
        }
    }
    (found && !selector_is_empty(&selector)).then_some(selector)
}

fn merge(into: &mut LabelSelector, from: LabelSelector) {
    into.match_labels.extend(from.match_labels);
    into.match_expressions.extend(from.match_expressions);
}

/// How many pods on the node count for a constraint: same namespace, not terminating, selected.
fn count_matching(node: &NodeInfo, selector: &LabelSelector, namespace: &str) -> i64 {
    node.pods
        .iter()
        .filter(|p| {
            !p.terminating && p.namespace == namespace && selector_matches(selector, &p.labels)
        })
        .count() as i64
}

/// Whether the node's pods count at all under the constraint's node inclusion policies.
fn node_included(c: &Constraint, pod: &PodInfo, node: &NodeInfo) -> bool {
    (!c.honor_node_affinity || node_affinity::fits(pod, node))
        && (!c.honor_node_taints || taint_toleration::untolerated_taint(pod, node).is_none())
}

/// PreFilter state: matching pods per (constraint, domain value).
struct FilterState {
    constraints: Vec<Constraint>,
    /// Per constraint: domain value → matching pods.
    counts: Vec<BTreeMap<String, i64>>,
}

impl FilterState {
    fn min_match(&self, i: usize) -> i64 {
        let c = &self.constraints[i];
        let counts = &self.counts[i];
        if (counts.len() as i64) < c.min_domains {
            return 0;
        }
        counts.values().copied().min().unwrap_or(0)
    }
}

/// PreScore state.
struct ScoreState {
    constraints: Vec<Constraint>,
    /// Per constraint: domain value → matching pods (not used for hostname: counted per node).
    counts: Vec<BTreeMap<String, i64>>,
    /// `log(domains + 2)`: constraints over many domains weigh more.
    weights: Vec<f64>,
    ignored: Vec<bool>,
}

impl Plugin for PodTopologySpread {
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
            ClusterEvent::NodeDelete,
            ClusterEvent::AssignedPodAdd,
            ClusterEvent::AssignedPodUpdate,
            ClusterEvent::AssignedPodDelete,
        ]
    }

    fn pre_filter(&self, pod: &PodInfo, snapshot: &Snapshot, state: &mut CycleState) -> Status {
        let constraints = pod_constraints(pod, "DoNotSchedule");
        if constraints.is_empty() {
            return Status::skip();
        }
        let mut counts = vec![BTreeMap::new(); constraints.len()];
        for node in snapshot.nodes() {
            // Only nodes carrying every constraint's key form domains.
            if !constraints
                .iter()
                .all(|c| node.labels.contains_key(&c.topology_key))
            {
                continue;
            }
            for (i, c) in constraints.iter().enumerate() {
                if !node_included(c, pod, node) {
                    continue;
                }
                let value = node.labels[&c.topology_key].clone();
                *counts[i].entry(value).or_insert(0) +=
                    count_matching(node, &c.selector, &pod.namespace);
            }
        }
        state.write(
            PRE_FILTER_KEY,
            FilterState {
                constraints,
                counts,
            },
        );
        Status::success()
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo, state: &CycleState) -> Status {
        let Some(s) = state.read::<FilterState>(PRE_FILTER_KEY) else {
            return Status::success();
        };
        for (i, c) in s.constraints.iter().enumerate() {
            let Some(value) = node.labels.get(&c.topology_key) else {
                return Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
            };
            let self_match = i64::from(selector_matches(&c.selector, &pod.labels));
            let match_num = s.counts[i].get(value).copied().unwrap_or(0);
            let skew = match_num + self_match - s.min_match(i);
            if skew > c.max_skew {
                return Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
            }
        }
        Status::success()
    }

    fn pre_score(
        &self,
        pod: &PodInfo,
        snapshot: &Snapshot,
        feasible: &[usize],
        state: &mut CycleState,
    ) -> Status {
        let own = pod_constraints(pod, "ScheduleAnyway");
        let has_any_own = pod
            .spec()
            .and_then(|s| s.topology_spread_constraints.as_ref())
            .is_some_and(|c| !c.is_empty());
        let (constraints, system_defaulted) = if has_any_own {
            (own, false)
        } else {
            let Some(selector) = default_selector(pod, snapshot) else {
                return Status::skip();
            };
            let defaults = self
                .default_constraints
                .iter()
                .map(|(max_skew, key)| Constraint {
                    max_skew: *max_skew,
                    topology_key: key.to_string(),
                    selector: selector.clone(),
                    min_domains: 1,
                    honor_node_affinity: true,
                    honor_node_taints: false,
                })
                .collect();
            (defaults, true)
        };
        if constraints.is_empty() {
            return Status::skip();
        }
        // With the system defaults a node needs only some of the keys (nodes without zones
        // still spread by hostname); with the pod's own constraints it needs all of them.
        let require_all = !system_defaulted;
        let mut ignored = vec![false; snapshot.len()];
        let mut domains: Vec<BTreeMap<String, i64>> = vec![BTreeMap::new(); constraints.len()];
        let mut considered = 0usize;
        for &i in feasible {
            let node = &snapshot.nodes()[i];
            if require_all
                && !constraints
                    .iter()
                    .all(|c| node.labels.contains_key(&c.topology_key))
            {
                ignored[i] = true;
                continue;
            }
            considered += 1;
            for (k, c) in constraints.iter().enumerate() {
                if c.topology_key == HOSTNAME {
                    continue;
                }
                if let Some(value) = node.labels.get(&c.topology_key) {
                    domains[k].entry(value.clone()).or_insert(0);
                }
            }
        }
        let weights = constraints
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let size = if c.topology_key == HOSTNAME {
                    considered
                } else {
                    domains[k].len()
                };
                ((size + 2) as f64).ln()
            })
            .collect();
        for node in snapshot.nodes() {
            if require_all
                && !constraints
                    .iter()
                    .all(|c| node.labels.contains_key(&c.topology_key))
            {
                continue;
            }
            for (k, c) in constraints.iter().enumerate() {
                if c.topology_key == HOSTNAME || !node_included(c, pod, node) {
                    continue;
                }
                let Some(value) = node.labels.get(&c.topology_key) else {
                    continue;
                };
                if let Some(count) = domains[k].get_mut(value) {
                    *count += count_matching(node, &c.selector, &pod.namespace);
                }
            }
        }
        state.write(
            PRE_SCORE_KEY,
            ScoreState {
                constraints,
                counts: domains,
                weights,
                ignored,
            },
        );
        Status::success()
    }

    fn score(
        &self,
        pod: &PodInfo,
        node: &NodeInfo,
        snapshot: &Snapshot,
        state: &CycleState,
    ) -> i64 {
        let Some(s) = state.read::<ScoreState>(PRE_SCORE_KEY) else {
            return 0;
        };
        if snapshot
            .node_index(&node.name)
            .is_some_and(|i| s.ignored[i])
        {
            return 0;
        }
        let mut score = 0.0;
        for (k, c) in s.constraints.iter().enumerate() {
            let Some(value) = node.labels.get(&c.topology_key) else {
                continue;
            };
            let count = if c.topology_key == HOSTNAME {
                count_matching(node, &c.selector, &pod.namespace)
            } else {
                s.counts[k].get(value).copied().unwrap_or(0)
            };
            score += count as f64 * s.weights[k] + (c.max_skew - 1) as f64;
        }
        score.round() as i64
    }

    fn normalize_score(&self, _pod: &PodInfo, scores: &mut [NodeScore], state: &CycleState) {
        let Some(s) = state.read::<ScoreState>(PRE_SCORE_KEY) else {
            return;
        };
        let mut min = i64::MAX;
        let mut max = 0;
        for ns in scores.iter() {
            if s.ignored[ns.node] {
                continue;
            }
            min = min.min(ns.score);
            max = max.max(ns.score);
        }
        for ns in scores.iter_mut() {
            if s.ignored[ns.node] {
                ns.score = 0;
            } else if max == 0 {
                ns.score = MAX_NODE_SCORE;
            } else {
                ns.score = MAX_NODE_SCORE * (max + min - ns.score) / max;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scheduler::framework::Code;
    use crate::sim::scheduler::testing::{filter_each, node, pod, score_each};

    fn zoned(name: &str, zone: &str) -> crate::sim::api::core_v1::Node {
        node(name).label("zone", zone).build()
    }

    fn foo(name: &str, on: &str) -> crate::sim::api::core_v1::Pod {
        pod(name).label("foo", "").node_name(on).build()
    }

    #[test]
    fn no_existing_pods_means_every_node_fits() {
        let p = pod("p")
            .label("foo", "")
            .spread(1, "zone", "DoNotSchedule", "x")
            .build();
        let statuses = filter_each(
            &PodTopologySpread::default(),
            &p,
            vec![zoned("node-a", "zone1"), zoned("node-x", "zone2")],
            vec![],
        );
        assert!(statuses.iter().all(|s| s.is_success()), "{statuses:?}");
    }

    #[test]
    fn a_pod_goes_only_to_the_zone_with_fewer_matching_pods_when_max_skew_is_one() {
        // zone1 has 3 pods with app=x, zone2 has 1: placing in zone1 makes skew 3+1-1 = 3 > 1.
        let p = pod("p")
            .label("app", "x")
            .spread(1, "zone", "DoNotSchedule", "x")
            .build();
        let existing = vec![
            pod("a1").label("app", "x").node_name("node-a").build(),
            pod("a2").label("app", "x").node_name("node-a").build(),
            pod("b1").label("app", "x").node_name("node-b").build(),
            pod("x1").label("app", "x").node_name("node-x").build(),
        ];
        let statuses = filter_each(
            &PodTopologySpread::default(),
            &p,
            vec![
                zoned("node-a", "zone1"),
                zoned("node-b", "zone1"),
                zoned("node-x", "zone2"),
                zoned("node-y", "zone2"),
            ],
            existing,
        );
        let ok: Vec<bool> = statuses.iter().map(|s| s.is_success()).collect();
        assert_eq!(ok, [false, false, true, true]);
        assert_eq!(statuses[0].reasons, [ERR_REASON_CONSTRAINTS_NOT_MATCH]);
        assert_eq!(statuses[0].code, Code::Unschedulable);
    }

    #[test]
    fn a_node_without_the_topology_key_is_unresolvable() {
        let p = pod("p")
            .label("app", "x")
            .spread(1, "zone", "DoNotSchedule", "x")
            .build();
        let statuses = filter_each(
            &PodTopologySpread::default(),
            &p,
            vec![zoned("node-a", "zone1"), node("bare").build()],
            vec![],
        );
        // Nodes are in name order: "bare" first.
        assert_eq!(statuses[0].code, Code::UnschedulableAndUnresolvable);
        assert_eq!(statuses[0].reasons, [ERR_REASON_NODE_LABEL_NOT_MATCH]);
        assert!(statuses[1].is_success());
    }

    #[test]
    fn pods_in_other_namespaces_and_unmatched_pods_do_not_count() {
        let p = pod("p")
            .label("app", "x")
            .spread(1, "kubernetes.io/hostname", "DoNotSchedule", "x")
            .build();
        let existing = vec![
            pod("other-ns")
                .namespace("kube-system")
                .label("app", "x")
                .node_name("n1")
                .build(),
            foo("unmatched", "n1"),
        ];
        let statuses = filter_each(
            &PodTopologySpread::default(),
            &p,
            vec![node("n1").build(), node("n2").build()],
            existing,
        );
        assert!(statuses.iter().all(|s| s.is_success()), "{statuses:?}");
    }

    #[test]
    fn schedule_anyway_scores_emptier_hosts_higher() {
        // hostname constraint maxSkew 1: n1 has 2 matching pods, n2 has 0.
        // weight ln(2+2); raw n1 = round(2·1.386) = 3, n2 = 0 → normalized n1 = 100·(3+0−3)/3 = 0, n2 = 100.
        let p = pod("p")
            .label("app", "x")
            .spread(1, "kubernetes.io/hostname", "ScheduleAnyway", "x")
            .build();
        let existing = vec![
            pod("a").label("app", "x").node_name("n1").build(),
            pod("b").label("app", "x").node_name("n1").build(),
        ];
        let scores = score_each(
            &PodTopologySpread::default(),
            &p,
            vec![node("n1").build(), node("n2").build()],
            existing,
        );
        assert_eq!(scores, [0, 100]);
    }

    #[test]
    fn replica_set_pods_spread_by_the_system_defaults() {
        let p = pod("web-3")
            .label("app", "web")
            .owner("ReplicaSet", "web-abc")
            .build();
        let existing = vec![pod("web-1")
            .label("app", "web")
            .owner("ReplicaSet", "web-abc")
            .node_name("node1")
            .build()];
        let scores = score_each(
            &PodTopologySpread::default(),
            &p,
            vec![node("node1").build(), node("node2").build()],
            existing,
        );
        assert!(scores[1] > scores[0], "{scores:?}");
    }

    #[test]
    fn pods_without_a_controller_or_constraints_are_not_scored() {
        let scores = score_each(
            &PodTopologySpread::default(),
            &pod("p").label("app", "web").build(),
            vec![node("node1").build(), node("node2").build()],
            vec![pod("q").label("app", "web").node_name("node1").build()],
        );
        assert_eq!(scores, [0, 0]);
    }
}
