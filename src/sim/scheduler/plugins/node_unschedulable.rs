//! NodeUnschedulable: cordoned nodes (`spec.unschedulable: true`, set by `kubectl cordon`) take
//! no new pods, unless the pod tolerates the `node.kubernetes.io/unschedulable:NoSchedule` taint.
//!
//! Mirrors: `pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go`.

use crate::sim::api::core_v1::Taint;

use crate::sim::scheduler::framework::{ClusterEvent, CycleState, ExtensionPoint, Plugin, Status};
use crate::sim::scheduler::labels::tolerated;
use crate::sim::scheduler::node_info::{NodeInfo, PodInfo};

pub const NAME: &str = "NodeUnschedulable";
/// `ErrReasonUnschedulable`.
pub const ERR_REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";

pub struct NodeUnschedulable;

/// Whether the pod may go to the node as far as cordoning is concerned.
pub fn fits(pod: &PodInfo, node: &NodeInfo) -> bool {
    if !node.unschedulable {
        return true;
    }
    let taint = Taint {
        key: "node.kubernetes.io/unschedulable".into(),
        effect: "NoSchedule".into(),
        value: None,
    };
    let tolerations = pod
        .spec()
        .and_then(|s| s.tolerations.as_deref())
        .unwrap_or(&[]);
    tolerated(tolerations, &taint)
}

impl Plugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        NAME
    }
    fn extension_points(&self) -> &'static [ExtensionPoint] {
        &[ExtensionPoint::Filter]
    }
    fn events_to_register(&self) -> &'static [ClusterEvent] {
        &[ClusterEvent::NodeAdd, ClusterEvent::NodeUpdate]
    }
    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _state: &CycleState) -> Status {
        if fits(pod, node) {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON_UNSCHEDULABLE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scheduler::framework::Code;
    use crate::sim::scheduler::testing::{filter_one, node, pod};

    #[test]
    fn a_schedulable_node_accepts_any_pod() {
        assert!(filter_one(&NodeUnschedulable, &pod("p").build(), node("n").build()).is_success());
    }

    #[test]
    fn a_cordoned_node_rejects_a_pod_without_the_toleration() {
        let status = filter_one(
            &NodeUnschedulable,
            &pod("p").build(),
            node("n").unschedulable().build(),
        );
        assert_eq!(status.code, Code::UnschedulableAndUnresolvable);
        assert_eq!(status.reasons, [ERR_REASON_UNSCHEDULABLE]);
    }

    #[test]
    fn a_cordoned_node_accepts_a_pod_tolerating_the_unschedulable_taint() {
        let p = pod("p")
            .toleration(
                "node.kubernetes.io/unschedulable",
                "Exists",
                "",
                "NoSchedule",
            )
            .build();
        assert!(filter_one(&NodeUnschedulable, &p, node("n").unschedulable().build()).is_success());
    }
}
