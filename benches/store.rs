//! Store throughput: writes with a watcher attached (drained as it goes), and a prefix range.
//!
//! Run with `cargo bench --bench store`. Target: 200,000 writes/s natively.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kube_sandbox::sim::etcd::{bytes, RangeEnd, RangeRequest, Store};

/// About the size of a small Pod serialized as JSON.
const VALUE_BYTES: usize = 1024;
/// Distinct pod names the writes cycle through.
const PODS: usize = 10_000;
/// Compact every this many writes, as the apiserver compacts every 5 minutes, so memory stays bounded.
const COMPACT_EVERY_WRITES: u64 = 10_000;

fn pod_keys() -> Vec<String> {
    (0..PODS)
        .map(|n| format!("/registry/pods/default/web-{n}"))
        .collect()
}

fn writes_with_a_watcher(c: &mut Criterion) {
    let keys = pod_keys();
    let template = vec![b'x'; VALUE_BYTES];
    let mut group = c.benchmark_group("store");
    group.throughput(Throughput::Elements(1));
    group.bench_function("put 1 KiB with one prefix watcher drained", |b| {
        let mut store = Store::new();
        let watch = store
            .watch("/registry/pods/", RangeEnd::Prefix, None, true)
            .expect("watch");
        let mut n: u64 = 0;
        b.iter(|| {
            // A fresh value per write, as the apiserver serializes a fresh object each time.
            let value = bytes(&template);
            let result = store.put(&keys[(n % PODS as u64) as usize], value);
            black_box(store.take_events(watch));
            n += 1;
            if n.is_multiple_of(COMPACT_EVERY_WRITES) {
                store.compact(result.revision).expect("compact");
            }
            result.revision
        });
    });
    group.finish();
}

fn range_by_prefix(c: &mut Criterion) {
    let mut store = Store::new();
    let value = bytes(vec![b'x'; VALUE_BYTES]);
    for n in 0..1_000 {
        store.put(&format!("/registry/pods/default/web-{n}"), value.clone());
        store.put(
            &format!("/registry/services/default/svc-{n}"),
            value.clone(),
        );
    }
    let req = RangeRequest::prefix("/registry/pods/");
    let mut group = c.benchmark_group("store");
    group.throughput(Throughput::Elements(1_000));
    group.bench_function("range a prefix of 1000 of 2000 keys", |b| {
        b.iter(|| black_box(store.range(&req).expect("range").count));
    });
    group.finish();
}

criterion_group!(benches, writes_with_a_watcher, range_by_prefix);
criterion_main!(benches);
