//! NodePorts: a pod asking for a host port fits only nodes where no other pod holds it.
//!
//! Mirrors: `pkg/scheduler/framework/plugins/nodeports/node_ports.go`.

use crate::sim::scheduler::framework::{ClusterEvent, CycleState, ExtensionPoint, Plugin, Status};
use crate::sim::scheduler::node_info::{NodeInfo, PodInfo, Snapshot};

pub const NAME: &str = "NodePorts";
/// `ErrReason`.
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

pub struct NodePorts;

/// Whether none of the pod's host ports conflicts with one already used on the node.
pub fn fits(pod: &PodInfo, node: &NodeInfo) -> bool {
    !pod.host_ports
        .iter()
        .any(|want| node.used_ports.iter().any(|used| used.conflicts_with(want)))
}

impl Plugin for NodePorts {
    fn name(&self) -> &'static str {
        NAME
    }
    fn extension_points(&self) -> &'static [ExtensionPoint] {
        &[ExtensionPoint::PreFilter, ExtensionPoint::Filter]
    }
    fn events_to_register(&self) -> &'static [ClusterEvent] {
        &[ClusterEvent::NodeAdd, ClusterEvent::AssignedPodDelete]
    }
    fn pre_filter(&self, pod: &PodInfo, _snapshot: &Snapshot, _state: &mut CycleState) -> Status {
        if pod.host_ports.is_empty() {
            Status::skip()
        } else {
            Status::success()
        }
    }
    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _state: &CycleState) -> Status {
        if fits(pod, node) {
            Status::success()
        } else {
            Status::unschedulable(ERR_REASON)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scheduler::framework::Code;
    use crate::sim::scheduler::testing::{filter_each, node, pod};

    type Port<'a> = (&'a str, &'a str, i32);

    fn with_ports(name: &str, ports: &[Port]) -> crate::sim::scheduler::testing::PodBuilder {
        ports.iter().fold(pod(name), |b, (proto, ip, port)| {
            b.host_port(proto, ip, *port)
        })
    }

    #[test]
    fn host_ports_conflict_as_upstream() {
        let cases: Vec<(&str, Vec<Port>, Vec<Port>, bool)> = vec![
            ("nothing running", vec![], vec![], true),
            (
                "other port",
                vec![("UDP", "127.0.0.1", 8080)],
                vec![("UDP", "127.0.0.1", 9090)],
                true,
            ),
            (
                "same udp port",
                vec![("UDP", "127.0.0.1", 8080)],
                vec![("UDP", "127.0.0.1", 8080)],
                false,
            ),
            (
                "same tcp port",
                vec![("TCP", "127.0.0.1", 8080)],
                vec![("TCP", "127.0.0.1", 8080)],
                false,
            ),
            (
                "different host ip",
                vec![("TCP", "127.0.0.1", 8080)],
                vec![("TCP", "127.0.0.2", 8080)],
                true,
            ),
            (
                "different protocol",
                vec![("UDP", "127.0.0.1", 8080)],
                vec![("TCP", "127.0.0.1", 8080)],
                true,
            ),
            (
                "second udp port conflict",
                vec![("UDP", "127.0.0.1", 8000), ("UDP", "127.0.0.1", 8080)],
                vec![("UDP", "127.0.0.1", 8080)],
                false,
            ),
            (
                "first tcp port conflict",
                vec![("TCP", "127.0.0.1", 8001), ("UDP", "127.0.0.1", 8080)],
                vec![("TCP", "127.0.0.1", 8001), ("UDP", "127.0.0.1", 8081)],
                false,
            ),
            (
                "first tcp port conflict due to 0.0.0.0 hostIP",
                vec![("TCP", "0.0.0.0", 8001)],
                vec![("TCP", "127.0.0.1", 8001)],
                false,
            ),
            (
                "TCP hostPort conflict due to 0.0.0.0 hostIP",
                vec![("TCP", "10.0.10.10", 8001), ("TCP", "0.0.0.0", 8001)],
                vec![("TCP", "0.0.0.0", 8001)],
                false,
            ),
            (
                "second different protocol",
                vec![("UDP", "127.0.0.1", 8001)],
                vec![("TCP", "0.0.0.0", 8001)],
                true,
            ),
            (
                "UDP hostPort conflict due to 0.0.0.0 hostIP",
                vec![("UDP", "127.0.0.1", 8001)],
                vec![("TCP", "0.0.0.0", 8001), ("UDP", "0.0.0.0", 8001)],
                false,
            ),
            (
                "an empty hostIP means 0.0.0.0",
                vec![("TCP", "", 80)],
                vec![("TCP", "10.0.0.1", 80)],
                false,
            ),
        ];
        for (name, wanted, used, want) in cases {
            let p = with_ports("p", &wanted).build();
            let existing = with_ports("existing", &used).node_name("n").build();
            let status =
                filter_each(&NodePorts, &p, vec![node("n").build()], vec![existing]).remove(0);
            assert_eq!(status.is_success(), want, "{name}: {status:?}");
            if !want {
                assert_eq!(status.code, Code::Unschedulable, "{name}");
                assert_eq!(status.reasons, [ERR_REASON], "{name}");
            }
        }
    }
}
