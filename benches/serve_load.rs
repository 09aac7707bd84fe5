//! `kube-sandbox serve` under the serve issue's load: 1,000 pods with a watch on each (and one
//! on them all), 100 real kubectl processes listing the pods at once, then every pod labelled,
//! annotated and deleted. Checks that every watch saw each change of its pod once and in order,
//! and reports the kubectl requests' latencies (p50, p99, max) as kubectl measured them.
//!
//! Run with `cargo bench --bench serve_load` (`cargo xtask bench` runs it with the others).
//! Needs a real `kubectl` on PATH; without one it says so and stops.

#[path = "../tests/support/serve_load.rs"]
mod serve_load;

fn main() {
    // `cargo bench` hands every bench criterion's arguments; this one takes none.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if !serve_load::real_kubectl() {
        eprintln!("serve load: SKIPPED, no real kubectl on PATH");
        return;
    }
    let started = std::time::Instant::now();
    let report = serve_load::run(1000, 100);
    print!("{}", report.lines());
    println!(
        "serve load: the whole run took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
