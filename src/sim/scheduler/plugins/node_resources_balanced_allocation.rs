//! NodeResourcesBalancedAllocation: prefers nodes whose CPU and memory would be used in equal
//! shares after placing the pod, so no resource runs out while the other sits idle.
//!
//! Mirrors: `pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go`.
//! Simplified: cpu and memory only (upstream's default resources).

use crate::sim::scheduler::framework::{
    ClusterEvent, CycleState, ExtensionPoint, Plugin, Status, MAX_NODE_SCORE,
};
use crate::sim::scheduler::node_info::{NodeInfo, PodInfo, Snapshot};

pub const NAME: &str = "NodeResourcesBalancedAllocation";

pub struct NodeResourcesBalancedAllocation;

/// `balancedResourceScorer`: 100 × (1 − standard deviation of the requested fractions); with two
/// resources the deviation is half their difference. Fractions above 1 count as 1.
pub fn balanced_score(requested: &[i64], allocatable: &[i64]) -> i64 {
    // At most a handful of resources: a fixed buffer keeps this allocation-free per node.
    let mut buffer = [0.0f64; 8];
    let mut len = 0;
    for (&r, &a) in requested.iter().zip(allocatable) {
        if a == 0 || len == buffer.len() {
            continue;
        }
        buffer[len] = (r as f64 / a as f64).min(1.0);
        len += 1;
    }
    let fractions = &buffer[..len];
    let std = match fractions.len() {
        2 => ((fractions[0] - fractions[1]) / 2.0).abs(),
        n if n > 2 => {
            let mean = fractions.iter().sum::<f64>() / n as f64;
            (fractions
                .iter()
                .map(|f| (f - mean) * (f - mean))
                .sum::<f64>()
                / n as f64)
                .sqrt()
        }
        _ => 0.0,
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

impl Plugin for NodeResourcesBalancedAllocation {
    fn name(&self) -> &'static str {
        NAME
    }
    fn extension_points(&self) -> &'static [ExtensionPoint] {
        &[ExtensionPoint::PreScore, ExtensionPoint::Score]
    }
    fn events_to_register(&self) -> &'static [ClusterEvent] {
        &[]
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
        // Upstream scores balance on the real requests (`useRequested`), not the defaults.
        let requested = [
            node.requested.cpu_millis + pod.requests.cpu_millis,
            node.requested.memory_bytes + pod.requests.memory_bytes,
        ];
        let allocatable = [node.allocatable.cpu_millis, node.allocatable.memory_bytes];
        balanced_score(&requested, &allocatable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scheduler::testing::{node, pod, score_each};

    #[test]
    fn equal_shares_score_full_marks_and_unequal_ones_lose_half_the_difference() {
        let p = pod("p").request_cpu("3000m").request_memory("5000").build();
        let scores = score_each(
            &NodeResourcesBalancedAllocation,
            &p,
            vec![
                // 0.75 cpu vs 0.5 memory → std 0.125 → 87
                node("node1").cpu_millis(4000).memory("10000").build(),
                // 0.5 vs 0.5 → 100
                node("node2").cpu_millis(6000).memory("10000").build(),
            ],
            vec![],
        );
        assert_eq!(scores, [87, 100]);
    }

    #[test]
    fn fractions_above_one_count_as_one() {
        assert_eq!(balanced_score(&[3000, 30000], &[1000, 20000]), 100);
        assert_eq!(balanced_score(&[0, 20000], &[1000, 20000]), 50);
    }

    #[test]
    fn three_resources_use_the_full_standard_deviation() {
        // fractions 0.2, 0.5, 0.8: mean 0.5, variance 0.06, std 0.2449 → 75
        assert_eq!(balanced_score(&[2, 5, 8], &[10, 10, 10]), 75);
    }
}
