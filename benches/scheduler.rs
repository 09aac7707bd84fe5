//! A SchedulingBasic-like run of the pure scheduling core: 5,000 nodes, 1,000 pods already
//! bound, then 10,000 pods scheduled one after another (each assumed before the next), all
//! default plugins on, `RecordDetail::Summary` (no per-node table).
//!
//! Mirrors: kube-scheduler's `test/integration/scheduler_perf` `SchedulingBasic/5000Nodes_10000Pods`
//! (node-default.yaml: 4 CPU, 32Gi, 110 pods; pod-default.yaml: 100m CPU, 500Mi, pause image).
//! Upstream's CI threshold for that case is 680 pods/s; this prints pods/s and the ratio.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use k8s_openapi::api::core::v1::Pod;

use kube_sandbox::sim::rng::Rng;
use kube_sandbox::sim::scheduler::testing::{node, pod};
use kube_sandbox::sim::scheduler::{Algorithm, Profile, RecordDetail, Snapshot};

const NODES: usize = 5_000;
const INIT_PODS: usize = 1_000;
const PODS: usize = 10_000;
const UPSTREAM_THRESHOLD_PODS_PER_SECOND: f64 = 680.0;

fn sample_pod(name: &str) -> Pod {
    pod(name)
        .image("registry.k8s.io/pause:3.10")
        .request_cpu("100m")
        .request_memory("500Mi")
        .build()
}

fn cluster() -> Snapshot {
    let nodes = (0..NODES).map(|i| {
        node(&format!("scheduler-perf-{i:05}"))
            .cpu("4")
            .memory("32Gi")
            .pods(110)
            .build()
    });
    let init = (0..INIT_PODS).map(|i| {
        let mut p = sample_pod(&format!("init-{i}"));
        if let Some(spec) = p.spec.as_mut() {
            spec.node_name = Some(format!("scheduler-perf-{:05}", i % NODES));
        }
        p
    });
    Snapshot::from_objects(nodes, init)
}

/// Schedules every pod, assuming each on its node; returns how many were placed.
fn run(mut snapshot: Snapshot, pods: &[Arc<Pod>], seed: u64) -> usize {
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

/// This thread's time on a CPU, in nanoseconds (Linux `/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn scheduling_basic(c: &mut Criterion) {
    let base = cluster();
    let pods: Vec<Arc<Pod>> = (0..PODS)
        .map(|i| Arc::new(sample_pod(&format!("pod-{i}"))))
        .collect();

    // A few plain timed runs first, for the headline figure. The machine may be shared, so the
    // thread's own on-CPU time is reported beside wall time.
    for round in 0..3 {
        let snapshot = base.clone();
        let cpu_start = thread_cpu_ns();
        let start = Instant::now();
        let placed = run(snapshot, &pods, 1);
        let seconds = start.elapsed().as_secs_f64();
        let cpu_seconds = thread_cpu_ns()
            .zip(cpu_start)
            .map(|(end, start)| (end - start) as f64 / 1e9);
        assert_eq!(placed, PODS, "every pod fits in SchedulingBasic");
        let wall = PODS as f64 / seconds;
        print!(
            "SchedulingBasic 5000 nodes / 10000 pods, run {round}: {wall:.0} pods/s wall ({:.1}x upstream's 680)",
            wall / UPSTREAM_THRESHOLD_PODS_PER_SECOND
        );
        match cpu_seconds {
            Some(cpu) => {
                let on_cpu = PODS as f64 / cpu;
                println!(
                    ", {on_cpu:.0} pods/s per on-CPU second ({:.1}x)",
                    on_cpu / UPSTREAM_THRESHOLD_PODS_PER_SECOND
                )
            }
            None => println!(),
        }
    }

    let mut group = c.benchmark_group("scheduler");
    group.sample_size(10);
    group.throughput(Throughput::Elements(PODS as u64));
    group.bench_function("SchedulingBasic/5000Nodes_10000Pods", |b| {
        b.iter_batched(
            || base.clone(),
            |snapshot| black_box(run(snapshot, &pods, 1)),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, scheduling_basic);
criterion_main!(benches);
