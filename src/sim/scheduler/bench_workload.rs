//! The SchedulingBasic workload, defined once for every place that measures it: the native
//! criterion bench (`benches/scheduler.rs`) and the same run compiled to wasm in headless
//! Chromium (`tests/wasm_bench.rs`, run by `cargo xtask bench`). One definition keeps the two
//! figures comparable: same nodes, same pods, same plugins, same seed.
//!
//! Mirrors: kube-scheduler's `test/integration/scheduler_perf` `SchedulingBasic/5000Nodes_10000Pods`
//! (`node-default.yaml`: 4 CPU, 32Gi, 110 pods; `pod-default.yaml`: 100m CPU, 500Mi, pause image;
//! 1,000 pods already bound before the measured 10,000).
//! Simplified: the pure scheduling core only (no apiserver, no informers, no binding API call);
//! each placed pod is assumed into the snapshot before the next, as the scheduler cache does.
//! `RecordDetail::Summary`, so no per-node table is recorded for the UI.

use std::sync::Arc;

use crate::sim::api::core_v1::Pod;

use crate::sim::rng::Rng;
use crate::sim::scheduler::testing::{node, pod};
use crate::sim::scheduler::{Algorithm, Profile, RecordDetail, Snapshot};

/// Nodes in the cluster.
pub const NODES: usize = 5_000;
/// Pods bound before the measured run starts (upstream's `initPods`).
pub const INIT_PODS: usize = 1_000;
/// Pods scheduled in the measured run.
pub const PODS: usize = 10_000;
/// kube-scheduler CI's threshold for this case (`SchedulingBasic/5000Nodes_10000Pods`).
pub const UPSTREAM_THRESHOLD_PODS_PER_SECOND: f64 = 680.0;
/// The seed for tie-breaking among equally scored nodes; fixed so every run does the same work.
pub const SEED: u64 = 1;

/// `pod-default.yaml`: one pause container requesting 100m CPU and 500Mi.
pub fn sample_pod(name: &str) -> Pod {
    pod(name)
        .image("registry.k8s.io/pause:3.10")
        .request_cpu("100m")
        .request_memory("500Mi")
        .build()
}

fn node_name(index: usize) -> String {
    format!("scheduler-perf-{index:05}")
}

/// The cluster before the measured run: `NODES` nodes and `INIT_PODS` pods spread over them.
pub fn cluster() -> Snapshot {
    let nodes = (0..NODES).map(|i| {
        node(&node_name(i))
            .cpu("4")
            .memory("32Gi")
            .pods(110)
            .build()
    });
    let init = (0..INIT_PODS).map(|i| {
        let mut p = sample_pod(&format!("init-{i}"));
        if let Some(spec) = p.spec.as_mut() {
            spec.node_name = Some(node_name(i % NODES));
        }
        p
    });
    Snapshot::from_objects(nodes, init)
}

/// The `PODS` pods the measured run schedules, in order.
pub fn pods() -> Vec<Arc<Pod>> {
    (0..PODS)
        .map(|i| Arc::new(sample_pod(&format!("pod-{i}"))))
        .collect()
}

/// Schedules every pod with all default plugins, assuming each on its node before the next;
/// returns how many were placed. This is the part both benchmarks time.
pub fn run(mut snapshot: Snapshot, pods: &[Arc<Pod>], seed: u64) -> usize {
    let mut algorithm =
        Algorithm::new(Profile::default_profile().with_record_detail(RecordDetail::Summary));
    let mut rng = Rng::new(seed);
    let mut placed = 0;
    for p in pods {
        let info = snapshot.pod_info_arc(Arc::clone(p));
        let record = algorithm.schedule_pod_info(&info, &snapshot, &mut rng);
        if let Some(node) = record.selected_node() {
            let node = node.to_string();
            snapshot.assume(&info, &node);
            placed += 1;
        }
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small slice of the workload: the full one is for benchmarks, not for `cargo test`.
    #[test]
    fn a_slice_of_the_workload_places_every_pod_and_spreads_them_over_nodes() {
        let snapshot = cluster();
        let some_pods: Vec<Arc<Pod>> = pods().into_iter().take(50).collect();
        assert_eq!(run(snapshot.clone(), &some_pods, SEED), 50);
        // Spreading (LeastAllocated, PodTopologySpread defaults) keeps a pod per node this early.
        let mut after = snapshot;
        let mut algorithm =
            Algorithm::new(Profile::default_profile().with_record_detail(RecordDetail::Summary));
        let mut rng = Rng::new(SEED);
        let mut chosen = std::collections::BTreeSet::new();
        for p in &some_pods {
            let info = after.pod_info_arc(Arc::clone(p));
            let record = algorithm.schedule_pod_info(&info, &after, &mut rng);
            let node = record.selected_node().map(str::to_string);
            assert!(node.is_some(), "{} was not placed", info.key());
            let node = node.unwrap_or_default();
            after.assume(&info, &node);
            chosen.insert(node);
        }
        assert_eq!(chosen.len(), 50, "50 pods on 50 different nodes");
    }

    #[test]
    fn the_cluster_has_every_node_and_the_init_pods_bound_round_robin() {
        let snapshot = cluster();
        assert_eq!(snapshot.len(), NODES);
        let bound: usize = snapshot.nodes().iter().map(|n| n.pods.len()).sum();
        assert_eq!(bound, INIT_PODS);
        let first = snapshot.node(&node_name(0)).map(|n| n.pods.len());
        assert_eq!(first, Some(1));
        let last = snapshot.node(&node_name(NODES - 1)).map(|n| n.pods.len());
        assert_eq!(
            last,
            Some(0),
            "1,000 init pods fill the first 1,000 of 5,000 nodes"
        );
    }
}
