//! NodeName: a pod that names its node (`spec.nodeName`) fits only that node.
//!
//! Mirrors: `pkg/scheduler/framework/plugins/nodename/node_name.go`.
//! (Pods created with `spec.nodeName` already set never reach the scheduler; this plugin matters
//! for pods whose nodeName is set while they wait, and for preemption's dry runs.)

use crate::sim::scheduler::framework::{ClusterEvent, CycleState, ExtensionPoint, Plugin, Status};
use crate::sim::scheduler::node_info::{NodeInfo, PodInfo};

pub const NAME: &str = "NodeName";
/// `ErrReason`.
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

pub struct NodeName;

pub fn fits(pod: &PodInfo, node: &NodeInfo) -> bool {
    pod.node_name.is_empty() || pod.node_name == node.name
}

impl Plugin for NodeName {
    fn name(&self) -> &'static str {
        NAME
    }
    fn extension_points(&self) -> &'static [ExtensionPoint] {
        &[ExtensionPoint::Filter]
    }
    fn events_to_register(&self) -> &'static [ClusterEvent] {
        &[ClusterEvent::NodeAdd]
    }
    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _state: &CycleState) -> Status {
        if fits(pod, node) {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scheduler::testing::{filter_one, node, pod};

    #[test]
    fn node_names_are_matched_as_upstream() {
        let cases = [
            ("no host specified", pod("p").build(), true),
            ("host matches", pod("p").node_name("foo").build(), true),
            (
                "host doesn't match",
                pod("p").node_name("bar").build(),
                false,
            ),
        ];
        for (name, p, want) in cases {
            let status = filter_one(&NodeName, &p, node("foo").build());
            assert_eq!(status.is_success(), want, "{name}");
            if !want {
                assert_eq!(status.reasons, [ERR_REASON], "{name}");
            }
        }
    }
}
