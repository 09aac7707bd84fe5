//! TaintToleration: a node's NoSchedule/NoExecute taints keep out pods that do not tolerate them;
//! PreferNoSchedule taints only lower the node's score.
//!
//! Mirrors: `pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go`.
//! Simplified: no QueueingHint (a node update requeues every pod this plugin rejected).

use crate::sim::api::core_v1::{Taint, Toleration};

use crate::sim::scheduler::framework::{
    default_normalize_score, ClusterEvent, CycleState, ExtensionPoint, NodeScore, Plugin, Status,
    MAX_NODE_SCORE,
};
use crate::sim::scheduler::labels::tolerated;
use crate::sim::scheduler::node_info::{NodeInfo, PodInfo, Snapshot};

pub const NAME: &str = "TaintToleration";
const PRE_SCORE_STATE_KEY: &str = "PreScoreTaintToleration";

pub struct TaintToleration;

fn tolerations(pod: &PodInfo) -> &[Toleration] {
    pod.spec()
        .and_then(|s| s.tolerations.as_deref())
        .unwrap_or(&[])
}

/// The first NoSchedule/NoExecute taint the pod does not tolerate, if any
/// (`v1helper.FindMatchingUntoleratedTaint`).
pub fn untolerated_taint<'a>(pod: &PodInfo, node: &'a NodeInfo) -> Option<&'a Taint> {
    let tolerations = tolerations(pod);
    node.taints
        .iter()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .find(|t| !tolerated(tolerations, t))
}

/// `node(s) had untolerated taint {key: value}`; an absent value prints as empty.
pub fn untolerated_reason(taint: &Taint) -> String {
    format!(
        "node(s) had untolerated taint {{{}: {}}}",
        taint.key,
        taint.value.as_deref().unwrap_or("")
    )
}

/// How many PreferNoSchedule taints the pod does not tolerate (only tolerations whose effect is
/// empty or PreferNoSchedule count here).
pub fn count_intolerable_prefer_no_schedule(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let prefer: Vec<Toleration> = tolerations(pod)
        .iter()
        .filter(|t| {
            matches!(
                t.effect.as_deref(),
                None | Some("") | Some("PreferNoSchedule")
            )
        })
        .cloned()
        .collect();
    node.taints
        .iter()
        .filter(|t| t.effect == "PreferNoSchedule" && !tolerated(&prefer, t))
        .count() as i64
}

impl Plugin for TaintToleration {
    fn name(&self) -> &'static str {
        NAME
    }
    fn extension_points(&self) -> &'static [ExtensionPoint] {
        &[
            ExtensionPoint::Filter,
            ExtensionPoint::PreScore,
            ExtensionPoint::Score,
        ]
    }
    fn events_to_register(&self) -> &'static [ClusterEvent] {
        &[ClusterEvent::NodeAdd, ClusterEvent::NodeUpdate]
    }
    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _state: &CycleState) -> Status {
        match untolerated_taint(pod, node) {
            None => Status::success(),
            Some(taint) => Status::unresolvable(untolerated_reason(taint)),
        }
    }
    fn pre_score(
        &self,
        _pod: &PodInfo,
        snapshot: &Snapshot,
        feasible: &[usize],
        state: &mut CycleState,
    ) -> Status {
        // Nothing to count when no feasible node has a PreferNoSchedule taint: every node would
        // score the same, so skip the per-node work (the normalized result is identical).
        let any = feasible.iter().any(|&i| {
            snapshot.nodes()[i]
                .taints
                .iter()
                .any(|t| t.effect == "PreferNoSchedule")
        });
        state.write(PRE_SCORE_STATE_KEY, any);
        Status::success()
    }
    fn score(
        &self,
        pod: &PodInfo,
        node: &NodeInfo,
        _snapshot: &Snapshot,
        state: &CycleState,
    ) -> i64 {
        if node.taints.is_empty() || state.read::<bool>(PRE_SCORE_STATE_KEY) == Some(&false) {
            return 0;
        }
        count_intolerable_prefer_no_schedule(pod, node)
    }
    fn normalize_score(&self, _pod: &PodInfo, scores: &mut [NodeScore], _state: &CycleState) {
        default_normalize_score(MAX_NODE_SCORE, true, scores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scheduler::framework::Code;
    use crate::sim::scheduler::testing::{filter_one, node, pod, score_each};

    #[test]
    fn filter_follows_upstream_cases() {
        let dedicated =
            |user: &str, effect: &str| node("n").taint("dedicated", user, effect).build();
        let cases = [
            (
                "a pod having no tolerations can't be scheduled onto a node with nonempty taints",
                pod("p").build(),
                dedicated("user1", "NoSchedule"),
                Some("node(s) had untolerated taint {dedicated: user1}"),
            ),
            (
                "a pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule",
                pod("p").toleration("dedicated", "Equal", "user1", "NoSchedule").build(),
                dedicated("user1", "NoSchedule"),
                None,
            ),
            (
                "a pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule",
                pod("p").toleration("dedicated", "Equal", "user2", "NoSchedule").build(),
                dedicated("user1", "NoSchedule"),
                Some("node(s) had untolerated taint {dedicated: user1}"),
            ),
            (
                "a pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on the node",
                pod("p").toleration("foo", "Exists", "", "NoSchedule").build(),
                node("n").taint("foo", "bar", "NoSchedule").build(),
                None,
            ),
            (
                "a pod has multiple tolerations, node has multiple taints, all the taints are tolerated",
                pod("p")
                    .toleration("dedicated", "Equal", "user2", "NoSchedule")
                    .toleration("foo", "Exists", "", "NoSchedule")
                    .build(),
                node("n")
                    .taint("dedicated", "user2", "NoSchedule")
                    .taint("foo", "bar", "NoSchedule")
                    .build(),
                None,
            ),
            (
                "a pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn't match, can't be scheduled onto the node",
                pod("p").toleration("foo", "Equal", "bar", "PreferNoSchedule").build(),
                node("n").taint("foo", "bar", "NoSchedule").build(),
                Some("node(s) had untolerated taint {foo: bar}"),
            ),
            (
                "the pod has a toleration that keys and values match the taint on the node, the effect of toleration is empty, and the effect of taint is NoSchedule. Pod can be scheduled onto the node",
                pod("p").toleration("foo", "Equal", "bar", "").build(),
                node("n").taint("foo", "bar", "NoSchedule").build(),
                None,
            ),
            (
                "the pod has a toleration that key and value don't match the taint on the node, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
                pod("p").toleration("dedicated", "Equal", "user2", "NoSchedule").build(),
                node("n").taint("dedicated", "user1", "PreferNoSchedule").build(),
                None,
            ),
            (
                "the pod has no toleration, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
                pod("p").build(),
                node("n").taint("dedicated", "user1", "PreferNoSchedule").build(),
                None,
            ),
            (
                "the control-plane taint has no value and prints as an empty value",
                pod("p").build(),
                node("n").taint("node-role.kubernetes.io/control-plane", "", "NoSchedule").build(),
                Some("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"),
            ),
        ];
        for (name, p, n, want) in cases {
            let status = filter_one(&TaintToleration, &p, n);
            match want {
                None => assert!(status.is_success(), "{name}: {status:?}"),
                Some(reason) => {
                    assert_eq!(status.code, Code::UnschedulableAndUnresolvable, "{name}");
                    assert_eq!(status.reasons, [reason], "{name}");
                }
            }
        }
    }

    #[test]
    fn nodes_with_tolerated_taints_score_higher_than_nodes_with_intolerable_ones() {
        let p = pod("p")
            .toleration("foo", "Equal", "bar", "PreferNoSchedule")
            .build();
        let scores = score_each(
            &TaintToleration,
            &p,
            vec![
                node("a").taint("foo", "bar", "PreferNoSchedule").build(),
                node("b").taint("foo", "blah", "PreferNoSchedule").build(),
            ],
            vec![],
        );
        assert_eq!(scores, [100, 0]);
    }

    #[test]
    fn nodes_whose_taints_are_all_tolerated_score_the_same_however_many_they_have() {
        let p = pod("p")
            .toleration("cpu-type", "Equal", "arm64", "PreferNoSchedule")
            .toleration("disk-type", "Equal", "ssd", "PreferNoSchedule")
            .build();
        let scores = score_each(
            &TaintToleration,
            &p,
            vec![
                node("a").build(),
                node("b")
                    .taint("cpu-type", "arm64", "PreferNoSchedule")
                    .build(),
                node("c")
                    .taint("cpu-type", "arm64", "PreferNoSchedule")
                    .taint("disk-type", "ssd", "PreferNoSchedule")
                    .build(),
            ],
            vec![],
        );
        assert_eq!(scores, [100, 100, 100]);
    }

    #[test]
    fn the_more_intolerable_taints_a_node_has_the_lower_it_scores() {
        let p = pod("p")
            .toleration("foo", "Equal", "bar", "PreferNoSchedule")
            .build();
        let scores = score_each(
            &TaintToleration,
            &p,
            vec![
                node("a").build(),
                node("b")
                    .taint("cpu-type", "arm64", "PreferNoSchedule")
                    .build(),
                node("c")
                    .taint("cpu-type", "arm64", "PreferNoSchedule")
                    .taint("disk-type", "ssd", "PreferNoSchedule")
                    .build(),
            ],
            vec![],
        );
        assert_eq!(scores, [100, 50, 0]);
    }

    #[test]
    fn no_schedule_taints_do_not_lower_the_score() {
        let scores = score_each(
            &TaintToleration,
            &pod("p").build(),
            vec![
                node("a").build(),
                node("b").taint("cpu-type", "arm64", "NoSchedule").build(),
            ],
            vec![],
        );
        assert_eq!(scores, [100, 100]);
    }
}
