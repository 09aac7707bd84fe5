//! A SchedulingBasic-like run of the pure scheduling core: 5,000 nodes, 1,000 pods already
//! bound, then 10,000 pods scheduled one after another (each assumed before the next), all
//! default plugins on, `RecordDetail::Summary` (no per-node table).
//!
//! The workload itself lives in `kube_sandbox::sim::scheduler::bench_workload`, shared with the
//! wasm run in headless Chromium (`tests/wasm_bench.rs`), so both time the same work.
//! Upstream's CI threshold for that case is 680 pods/s; this prints pods/s and the ratio.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use kube_sandbox::sim::api::core_v1::Pod;

use kube_sandbox::sim::scheduler::bench_workload::{
    cluster, pods, run, PODS, SEED, UPSTREAM_THRESHOLD_PODS_PER_SECOND,
};

/// This thread's time on a CPU, in nanoseconds (Linux `/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn scheduling_basic(c: &mut Criterion) {
    let base = cluster();
    let pods: Vec<Arc<Pod>> = pods();

    // A few plain timed runs first, for the headline figure. The machine may be shared, so the
    // thread's own on-CPU time is reported beside wall time.
    for round in 0..3 {
        let snapshot = base.clone();
        let cpu_start = thread_cpu_ns();
        let start = Instant::now();
        let placed = run(snapshot, &pods, SEED);
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
            |snapshot| black_box(run(snapshot, &pods, SEED)),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, scheduling_basic);
criterion_main!(benches);
