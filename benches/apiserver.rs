//! Pod creates through the whole apiserver path: authentication, RBAC, mutating admission
//! (ServiceAccount, DefaultTolerationSeconds, defaults), strict decoding and validation,
//! NamespaceLifecycle, the storage txn and the trace of every stage.
//!
//! Run with `cargo bench --bench apiserver`. Target: 20,000 pod creates/s natively.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kube_sandbox::sim::apiserver::{ApiRequest, Credentials, Verb};
use kube_sandbox::sim::cluster::Cluster;
use serde_json::{json, Value};

/// Creates per fresh cluster: the store and the trace grow with every create, so the measured
/// cost stays that of a cluster with a few thousand pods rather than of an ever-growing one.
const CREATES_PER_CLUSTER: u64 = 5_000;

fn pod(n: u64) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": format!("web-{n}"), "labels": {"app": "web"}},
           "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                    "ports": [{"containerPort": 80}],
                                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]}})
}

fn pod_creates(c: &mut Criterion) {
    let mut group = c.benchmark_group("apiserver");
    group.throughput(Throughput::Elements(1));
    group.bench_function(
        "create pod (authn, RBAC, admission, validation, storage, trace)",
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut done = 0;
                while done < iters {
                    let mut cluster = Cluster::new(1);
                    let batch = (iters - done).min(CREATES_PER_CLUSTER);
                    let requests: Vec<ApiRequest> = (0..batch)
                        .map(|n| {
                            ApiRequest::new(Credentials::admin(), Verb::Create, "pods")
                                .namespace("default")
                                .body(pod(n))
                        })
                        .collect();
                    let start = Instant::now();
                    for request in requests {
                        let created = cluster.submit(request);
                        assert!(created.is_ok(), "{created:?}");
                        black_box(created.ok());
                    }
                    total += start.elapsed();
                    done += batch;
                }
                total
            });
        },
    );
    group.finish();
}

criterion_group!(benches, pod_creates);
criterion_main!(benches);
