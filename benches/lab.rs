//! The lab as the page runs it, natively: the kubeadm boot (what the page runs in slices after
//! its first frame), `kubectl create deployment web --image=nginx --replicas=100` on a booted
//! lab, and `kubectl scale deployment web --replicas=1000` after it, each until the cluster has
//! settled (pods pulled, started and Ready); then `kubectl get pods` at 1,000 pods; and the
//! restore of a saved session of 200 typical lines (what a reload replays).
//!
//! Run with `cargo bench --bench lab`. The page's own figures (the same work in headless
//! Chromium, and the longest main-thread task) are in `cargo xtask bench`'s page report; these
//! say how much of them is the simulation itself.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use kube_sandbox::present::session::Session;
use kube_sandbox::sim::lab::Lab;

const SEED: u64 = 1;
const CREATE_100: &str = "kubectl create deployment web --image=nginx --replicas=100";
const SCALE_1000: &str = "kubectl scale deployment web --replicas=1000";

/// Runs `line` on `session` to the end and checks kubectl's answer.
fn run(session: &mut Session, line: &str, expected: &str) {
    let (out, _) = session.run_line(line);
    assert_eq!(out.stdout, expected, "{line}: {}", out.stderr);
}

fn lab(c: &mut Criterion) {
    let mut group = c.benchmark_group("lab");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1));
    group.bench_function("boot", |b| b.iter(|| black_box(Lab::boot(SEED))));
    group.bench_function("create deployment, 100 replicas", |b| {
        b.iter_batched(
            || Session::new(SEED),
            |mut session| {
                run(&mut session, CREATE_100, "deployment.apps/web created\n");
                session
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("scale deployment from 100 to 1000", |b| {
        b.iter_batched(
            || {
                let mut session = Session::new(SEED);
                run(&mut session, CREATE_100, "deployment.apps/web created\n");
                session
            },
            |mut session| {
                run(&mut session, SCALE_1000, "deployment.apps/web scaled\n");
                session
            },
            BatchSize::PerIteration,
        )
    });
    // What a student types most, on the biggest lab the page runs: one table of 1,000 pods (the
    // line's trace and settle included, as on the page).
    let mut big = Session::new(SEED);
    run(&mut big, CREATE_100, "deployment.apps/web created\n");
    run(&mut big, SCALE_1000, "deployment.apps/web scaled\n");
    group.bench_function("get pods at 1000 pods", |b| {
        b.iter(|| {
            let (out, _) = big.run_line("kubectl get pods");
            assert_eq!(out.stdout.lines().count(), 1001);
            black_box(out)
        })
    });
    // A reload of a long session: 200 typical lines replayed from their saved state
    // (`Session::restore`), the boot included. The page runs this in its work slices.
    let long = {
        let mut live = Session::new(SEED);
        for line in kube_sandbox::present::saved::typical_lines(200) {
            live.run_line(&line);
        }
        live.saved()
    };
    group.bench_function("restore 200 typical lines", |b| {
        b.iter(|| black_box(Session::restore(&long).expect("the saved session replays")))
    });
    group.finish();
}

criterion_group!(benches, lab);
criterion_main!(benches);
