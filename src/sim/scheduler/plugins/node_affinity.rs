//! NodeAffinity: `spec.nodeSelector` and required node affinity must match the node's labels;
//! preferred node affinity adds the weights of the terms a node matches to its score.
//!
//! Mirrors: `pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go`.
//! Simplified: no `addedAffinity` plugin argument, no PreFilterResult narrowing for
//! `matchFields: metadata.name` (the Filter still checks it).

use crate::sim::scheduler::framework::{
    default_normalize_score, ClusterEvent, CycleState, ExtensionPoint, NodeScore, Plugin, Status,
    MAX_NODE_SCORE,
};
use crate::sim::scheduler::labels::{node_selector_term_matches, node_selector_terms_match};
use crate::sim::scheduler::node_info::{NodeInfo, PodInfo, Snapshot};

pub const NAME: &str = "NodeAffinity";
/// `ErrReasonPod`.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";

pub struct NodeAffinity;

/// Whether the node satisfies the pod's nodeSelector and required node affinity
/// (`GetRequiredNodeAffinity(pod).Match(node)`).
pub fn fits(pod: &PodInfo, node: &NodeInfo) -> bool {
    let Some(spec) = pod.spec() else { return true };
    if let Some(selector) = &spec.node_selector {
        for (key, value) in selector {
            if node.labels.get(key) != Some(value) {
                return false;
            }
        }
    }
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|na| {
            na.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    match required {
        None => true,
        Some(selector) => {
            node_selector_terms_match(&selector.node_selector_terms, &node.labels, &node.name)
        }
    }
}

/// Sum of the weights of the preferred terms the node matches.
pub fn preferred_weight(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let preferred = pod
        .spec()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|na| {
            na.preferred_during_scheduling_ignored_during_execution
                .as_deref()
        })
        .unwrap_or(&[]);
    preferred
        .iter()
        .filter(|t| {
            t.weight != 0 && node_selector_term_matches(&t.preference, &node.labels, &node.name)
        })
        .map(|t| i64::from(t.weight))
        .sum()
}

impl Plugin for NodeAffinity {
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
        &[ClusterEvent::NodeAdd, ClusterEvent::NodeUpdate]
    }
    fn pre_filter(&self, pod: &PodInfo, _snapshot: &Snapshot, _state: &mut CycleState) -> Status {
        let Some(spec) = pod.spec() else {
            return Status::skip();
        };
        let required = spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .is_some_and(|na| {
                na.required_during_scheduling_ignored_during_execution
                    .is_some()
            });
        if !required && spec.node_selector.is_none() {
            return Status::skip();
        }
        Status::success()
    }
    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _state: &CycleState) -> Status {
        if fits(pod, node) {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON_POD)
        }
    }
    fn pre_score(
        &self,
        pod: &PodInfo,
        _snapshot: &Snapshot,
        _feasible: &[usize],
        _state: &mut CycleState,
    ) -> Status {
        let has_preferred = pod
            .spec()
            .and_then(|s| s.affinity.as_ref())
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|na| {
                na.preferred_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .is_some_and(|p| !p.is_empty());
        if has_preferred {
            Status::success()
        } else {
            Status::skip()
        }
    }
    fn score(
        &self,
        pod: &PodInfo,
        node: &NodeInfo,
        _snapshot: &Snapshot,
        _state: &CycleState,
    ) -> i64 {
        preferred_weight(pod, node)
    }
    fn normalize_score(&self, _pod: &PodInfo, scores: &mut [NodeScore], _state: &CycleState) {
        default_normalize_score(MAX_NODE_SCORE, false, scores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::core_v1::{
        Affinity, NodeAffinity as K8sNodeAffinity, NodeSelector, NodeSelectorTerm,
    };
    use crate::sim::scheduler::testing::{filter_one, node, pod, score_each};

    #[test]
    fn filter_follows_upstream_cases() {
        let empty_term = {
            let mut p = pod("p").build();
            if let Some(spec) = p.spec.as_mut() {
                spec.affinity = Some(Affinity {
                    node_affinity: Some(K8sNodeAffinity {
                        required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                            node_selector_terms: vec![NodeSelectorTerm {
                                match_expressions: Some(vec![]),
                                match_fields: None,
                            }],
                        }),
                        preferred_during_scheduling_ignored_during_execution: None,
                    }),
                    ..Default::default()
                });
            }
            p
        };
        let cases = [
            ("no selector", pod("p").build(), node("n").build(), true),
            ("missing labels", pod("p").node_selector("foo", "bar").build(), node("n").build(), false),
            (
                "same labels",
                pod("p").node_selector("foo", "bar").build(),
                node("n").label("foo", "bar").build(),
                true,
            ),
            (
                "node labels are superset",
                pod("p").node_selector("foo", "bar").build(),
                node("n").label("foo", "bar").label("baz", "blah").build(),
                true,
            ),
            (
                "node labels are subset",
                pod("p").node_selector("foo", "bar").node_selector("baz", "blah").build(),
                node("n").label("foo", "bar").build(),
                false,
            ),
            (
                "pod with matchExpressions using In operator that matches the existing node",
                pod("p").required_node_affinity("foo", "In", &["bar", "value2"]).build(),
                node("n").label("foo", "bar").build(),
                true,
            ),
            (
                "pod with matchExpressions using Gt operator that matches the existing node",
                pod("p").required_node_affinity("kernel-version", "Gt", &["0204"]).build(),
                node("n").label("kernel-version", "0206").build(),
                true,
            ),
            (
                "pod with matchExpressions using NotIn operator that matches the existing node",
                pod("p").required_node_affinity("mem-type", "NotIn", &["DDR", "DDR2"]).build(),
                node("n").label("mem-type", "DDR3").build(),
                true,
            ),
            (
                "pod with matchExpressions using Exists operator that matches the existing node",
                pod("p").required_node_affinity("GPU", "Exists", &[]).build(),
                node("n").label("GPU", "NVIDIA-GRID-K1").build(),
                true,
            ),
            (
                "pod with affinity that don't match node's labels won't schedule onto the node",
                pod("p").required_node_affinity("foo", "In", &["value1", "value2"]).build(),
                node("n").label("foo", "bar").build(),
                false,
            ),
            (
                "pod with an empty MatchExpressions is not a valid value and matches no node",
                empty_term,
                node("n").label("foo", "bar").build(),
                false,
            ),
            (
                "pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels and will schedule onto the node",
                pod("p")
                    .required_node_affinity("foo", "In", &["bar", "value2"])
                    .required_node_affinity("diffkey", "In", &["wrong", "value2"])
                    .build(),
                node("n").label("foo", "bar").build(),
                true,
            ),
            (
                "pod with nodeSelector gpu=true fits only the node labelled so",
                pod("p").node_selector("gpu", "true").build(),
                node("n").label("gpu", "false").build(),
                false,
            ),
        ];
        for (name, p, n, want) in cases {
            let status = filter_one(&NodeAffinity, &p, n);
            assert_eq!(status.is_success(), want, "{name}: {status:?}");
            if !want {
                assert_eq!(status.reasons, [ERR_REASON_POD], "{name}");
            }
        }
    }

    #[test]
    fn without_preferences_every_node_scores_zero() {
        let scores = score_each(
            &NodeAffinity,
            &pod("p").build(),
            vec![node("a").build(), node("b").build()],
            vec![],
        );
        assert_eq!(scores, [0, 0]);
    }

    #[test]
    fn only_the_matching_node_gets_the_top_score() {
        let p = pod("p")
            .preferred_node_affinity(2, "foo", "In", &["bar"])
            .build();
        let scores = score_each(
            &NodeAffinity,
            &p,
            vec![
                node("m1").label("foo", "bar").build(),
                node("m2").label("key", "value").build(),
                node("m3").build(),
            ],
            vec![],
        );
        assert_eq!(scores, [100, 0, 0]);
    }

    #[test]
    fn nodes_matching_different_preferences_score_by_their_summed_weights() {
        let p = pod("p")
            .preferred_node_affinity(2, "foo", "In", &["bar"])
            .preferred_node_affinity(4, "key", "In", &["value"])
            .preferred_node_affinity(5, "az", "In", &["az1"])
            .build();
        let scores = score_each(
            &NodeAffinity,
            &p,
            vec![
                node("m1").label("foo", "bar").build(),
                node("m2").label("key", "value").build(),
                node("m5")
                    .label("foo", "bar")
                    .label("key", "value")
                    .label("az", "az1")
                    .build(),
            ],
            vec![],
        );
        assert_eq!(scores, [18, 36, 100]);
    }
}
