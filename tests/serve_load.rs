//! `kube-sandbox serve` under load, small enough for every test run: 40 pods, a watch on each
//! and one on them all, 10 real kubectl processes at once, then a label, an annotation and the
//! Deployment's deletion. Every pod's watch must see exactly its events, once each, in order.
//! `cargo bench --bench serve_load` runs the same at 1,000 pods and 100 kubectl processes and
//! reports the latencies.
//!
//! Needs a real `kubectl` on PATH; without one the test says so and passes without running.

#[path = "support/serve_load.rs"]
mod serve_load;

#[test]
fn every_watch_sees_each_change_of_its_pod_once_and_in_order() {
    if !serve_load::real_kubectl() {
        eprintln!("SKIPPED: no real kubectl on PATH");
        return;
    }
    let report = serve_load::run(40, 10);
    eprint!("{}", report.lines());
    assert_eq!(report.watches, 41);
    // Each kubectl lists the pods at least once (discovery may come from its cache).
    assert!(report.latencies_ms.len() >= 10, "{:?}", report.latencies_ms);
}
