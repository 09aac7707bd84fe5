//! NodeResourcesFit: the pod's requests must fit in what the node's allocatable leaves after the
//! pods already there; with the default `LeastAllocated` strategy, emptier nodes score higher.
//!
//! Mirrors: `pkg/scheduler/framework/plugins/noderesources/fit.go` and `least_allocated.go`.
//! Simplified: no extended resources, no MostAllocated/RequestedToCapacityRatio strategies.
//! As in Kubernetes up to 1.33, a request larger than the whole node is `Unschedulable` (not
//! `UnschedulableAndUnresolvable`), so preemption still tries the node.

use crate::sim::scheduler::framework::{
    ClusterEvent, CycleState, ExtensionPoint, Plugin, Status, MAX_NODE_SCORE,
};
use crate::sim::scheduler::node_info::{NodeInfo, PodInfo, Snapshot};

pub const NAME: &str = "NodeResourcesFit";

/// One resource the node lacks for the pod (`InsufficientResource`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsufficientResource {
    pub resource_name: &'static str,
    /// `Too many pods`, `Insufficient cpu`, ...
    pub reason: &'static str,
    pub requested: i64,
    pub used: i64,
    pub capacity: i64,
}

/// The scoring strategy's resources and their weights (`ResourceSpec`); default cpu 1, memory 1.
#[derive(Clone, Debug)]
pub struct NodeResourcesFit {
    pub cpu_weight: i64,
    pub memory_weight: i64,
}

impl Default for NodeResourcesFit {
    fn default() -> Self {
        NodeResourcesFit {
            cpu_weight: 1,
            memory_weight: 1,
        }
    }
}

/// `fitsRequest`: every resource the node lacks, pod count first, then cpu, memory,
/// ephemeral-storage (upstream's order, which is also the order of the reasons in the message).
pub fn fits(pod: &PodInfo, node: &NodeInfo) -> Vec<InsufficientResource> {
    let mut insufficient = Vec::new();
    let allowed_pods = node.allocatable.pods;
    if node.pods.len() as i64 + 1 > allowed_pods {
        insufficient.push(InsufficientResource {
            resource_name: "pods",
            reason: "Too many pods",
            requested: 1,
            used: node.pods.len() as i64,
            capacity: allowed_pods,
        });
    }
    let want = &pod.requests;
    if want.cpu_millis == 0 && want.memory_bytes == 0 && want.ephemeral_storage_bytes == 0 {
        return insufficient;
    }
    let checks = [
        (
            "cpu",
            "Insufficient cpu",
            want.cpu_millis,
            node.requested.cpu_millis,
            node.allocatable.cpu_millis,
        ),
        (
            "memory",
            "Insufficient memory",
            want.memory_bytes,
            node.requested.memory_bytes,
            node.allocatable.memory_bytes,
        ),
        (
            "ephemeral-storage",
            "Insufficient ephemeral-storage",
            want.ephemeral_storage_bytes,
            node.requested.ephemeral_storage_bytes,
            node.allocatable.ephemeral_storage_bytes,
        ),
    ];
    for (resource_name, reason, requested, used, capacity) in checks {
        if requested > 0 && requested > capacity - used {
            insufficient.push(InsufficientResource {
                resource_name,
                reason,
                requested,
                used,
                capacity,
            });
        }
    }
    insufficient
}

/// `leastRequestedScore`: the free share of the node after placing the pod, 0..=100.
fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

impl NodeResourcesFit {
    /// `leastResourceScorer` over cpu and memory with the scoring defaults for pods that
    /// request nothing (so an idle node still looks busier after each best-effort pod).
    pub fn least_allocated_score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        let cpu = least_requested_score(
            node.non_zero_requested.cpu_millis + pod.non_zero_requests.cpu_millis,
            node.allocatable.cpu_millis,
        );
        let memory = least_requested_score(
            node.non_zero_requested.memory_bytes + pod.non_zero_requests.memory_bytes,
            node.allocatable.memory_bytes,
        );
        let weight_sum = self.cpu_weight + self.memory_weight;
        if weight_sum == 0 {
            return 0;
        }
        (cpu * self.cpu_weight + memory * self.memory_weight) / weight_sum
    }
}

impl Plugin for NodeResourcesFit {
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
            ClusterEvent::AssignedPodDelete,
        ]
    }
    fn pre_filter(&self, _pod: &PodInfo, _snapshot: &Snapshot, _state: &mut CycleState) -> Status {
        // Upstream computes the pod's requests here; PodInfo already carries them.
        Status::success()
    }
    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _state: &CycleState) -> Status {
        // The common case, a node with room, answered without building the list of shortfalls.
        let (want, used, cap) = (&pod.requests, &node.requested, &node.allocatable);
        if (node.pods.len() as i64) < cap.pods
            && want.cpu_millis <= cap.cpu_millis - used.cpu_millis
            && want.memory_bytes <= cap.memory_bytes - used.memory_bytes
            && want.ephemeral_storage_bytes
                <= cap.ephemeral_storage_bytes - used.ephemeral_storage_bytes
        {
            return Status::success();
        }
        let insufficient = fits(pod, node);
        if insufficient.is_empty() {
            return Status::success();
        }
        Status {
            code: crate::sim::scheduler::framework::Code::Unschedulable,
            reasons: insufficient.iter().map(|r| r.reason.to_string()).collect(),
            plugin: "",
        }
    }
    fn pre_score(
        &self,
        _pod: &PodInfo,
        _snapshot: &Snapshot,
        _feasible: &[usize],
        _state: &mut CycleState,
    ) -> Status {
        Status::success()
    }
    fn score(
        &self,
        pod: &PodInfo,
        node: &NodeInfo,
        _snapshot: &Snapshot,
        _state: &CycleState,
    ) -> i64 {
        self.least_allocated_score(pod, node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scheduler::framework::Code;
    use crate::sim::scheduler::testing::{filter_each, node, pod, score_each, PodBuilder};

    /// A pod requesting `cpu` millis and `mem` bytes, like upstream's `newResourcePod`.
    fn res(name: &str, cpu: i64, mem: i64) -> PodBuilder {
        let mut b = pod(name);
        if cpu > 0 {
            b = b.request_cpu(&format!("{cpu}m"));
        }
        if mem > 0 {
            b = b.request_memory(&mem.to_string());
        }
        b
    }

    fn with_init(b: PodBuilder, cpu: i64, mem: i64) -> crate::sim::api::core_v1::Pod {
        let init = res("init", cpu, mem).build();
        let mut p = b.build();
        if let (Some(spec), Some(init_spec)) = (p.spec.as_mut(), init.spec) {
            spec.init_containers = Some(init_spec.containers);
        }
        p
    }

    #[test]
    fn filter_follows_upstream_enough_requests_cases() {
        // Node: 10 milli-CPU, 20 bytes of memory, 32 pods, as upstream's makeAllocatableResources(10, 20, 32).
        type Case<'a> = (
            &'a str,
            crate::sim::api::core_v1::Pod,
            (i64, i64),
            Vec<&'a str>,
        );
        let cases: Vec<Case> = vec![
            ("no resources requested always fits", pod("p").build(), (10, 20), vec![]),
            (
                "too many resources fails",
                res("p", 1, 1).build(),
                (10, 20),
                vec!["Insufficient cpu", "Insufficient memory"],
            ),
            (
                "too many resources fails due to init container cpu",
                with_init(res("p", 1, 1), 3, 1),
                (8, 19),
                vec!["Insufficient cpu"],
            ),
            (
                "too many resources fails due to init container memory",
                with_init(res("p", 1, 1), 1, 3),
                (9, 19),
                vec!["Insufficient memory"],
            ),
            (
                "init container fits because it's the max, not sum, of containers and init containers",
                with_init(res("p", 1, 1), 1, 1),
                (9, 19),
                vec![],
            ),
            ("both resources fit", res("p", 1, 1).build(), (5, 5), vec![]),
            ("one resource memory fits", res("p", 2, 1).build(), (9, 5), vec!["Insufficient cpu"]),
            ("one resource cpu fits", res("p", 1, 2).build(), (5, 19), vec!["Insufficient memory"]),
            ("equal edge case", res("p", 5, 1).build(), (5, 19), vec![]),
            (
                "equal edge case for init container",
                with_init(res("p", 4, 1), 5, 1),
                (5, 19),
                vec![],
            ),
        ];
        for (name, p, (used_cpu, used_mem), want) in cases {
            let existing = res("existing", used_cpu, used_mem).node_name("n").build();
            let n = node("n").cpu_millis(10).memory("20").pods(32).build();
            let status =
                filter_each(&NodeResourcesFit::default(), &p, vec![n], vec![existing]).remove(0);
            if want.is_empty() {
                assert!(status.is_success(), "{name}: {status:?}");
            } else {
                assert_eq!(status.code, Code::Unschedulable, "{name}");
                assert_eq!(status.reasons, want, "{name}");
            }
        }
    }

    #[test]
    fn filter_counts_pods_against_the_allowed_pod_number() {
        let cases = [
            (
                "even without specified resources, predicate fails when there's no space for additional pod",
                pod("p").build(),
                vec!["Too many pods"],
            ),
            (
                "even if both resources fit, predicate fails when there's no space for additional pod",
                res("p", 1, 1).build(),
                vec!["Too many pods"],
            ),
            (
                "even for equal edge case, predicate fails when there's no space for additional pod",
                res("p", 5, 1).build(),
                vec!["Too many pods"],
            ),
            (
                "when the pod also lacks cpu, both reasons are kept, pods first",
                res("p", 6, 1).build(),
                vec!["Too many pods", "Insufficient cpu"],
            ),
        ];
        for (name, p, want) in cases {
            let existing = res("existing", 5, 5).node_name("n").build();
            let n = node("n").cpu_millis(10).memory("20").pods(1).build();
            let status =
                filter_each(&NodeResourcesFit::default(), &p, vec![n], vec![existing]).remove(0);
            assert_eq!(status.reasons, want, "{name}");
        }
    }

    #[test]
    fn least_allocated_prefers_the_node_with_the_larger_free_share() {
        // cpu: (4000-3000)*100/4000 = 25, memory: 50 → 37; cpu (6000-3000)*100/6000 = 50, memory 50 → 50.
        let scores = score_each(
            &NodeResourcesFit::default(),
            &res("p", 3000, 5000).build(),
            vec![
                node("node1").cpu_millis(4000).memory("10000").build(),
                node("node2").cpu_millis(6000).memory("10000").build(),
            ],
            vec![],
        );
        assert_eq!(scores, [37, 50]);
    }

    #[test]
    fn least_allocated_counts_scheduled_pods_and_zero_for_overcommitted_resources() {
        // node1: cpu (10000-6000-3000)*100/10000 = 10, memory (20000-0-5000)*100/20000 = 75 → 42
        // node2: cpu (10000-6000-3000)=10, memory 5000+... existing requests 21000 > 20000 → 0 → 5
        let scores = score_each(
            &NodeResourcesFit::default(),
            &res("p", 3000, 5000).build(),
            vec![
                node("node1").cpu_millis(10000).memory("20000").build(),
                node("node2").cpu_millis(10000).memory("20000").build(),
            ],
            vec![
                res("a", 6000, 0).node_name("node1").build(),
                res("b", 6000, 16000).node_name("node2").build(),
            ],
        );
        // node1's existing pod requests no memory, so it counts the 200Mi default when scoring:
        // far above 20000 bytes, memory scores 0 there too.
        assert_eq!(scores, [5, 5]);
    }

    #[test]
    fn pods_requesting_nothing_still_count_default_requests_when_scoring() {
        let scores = score_each(
            &NodeResourcesFit::default(),
            &pod("p").build(),
            vec![node("node1").cpu_millis(1000).memory("1Gi").build()],
            vec![],
        );
        // cpu (1000-100)*100/1000 = 90, memory (1024-200)*100/1024 = 80 → 85
        assert_eq!(scores, [85]);
    }
}
