//! The scheduler benchmark compiled to wasm and run in headless Chromium: the same
//! SchedulingBasic workload as `benches/scheduler.rs` (`sim::scheduler::bench_workload`), timed
//! with `performance.now()`.
//!
//! Not part of `cargo xtask test`: `cargo xtask bench` runs it, optimised, with
//! `cargo test --target wasm32-unknown-unknown --test wasm_bench --release` (and `--profile bench`),
//! and reads the `wasm-bench:` lines it logs. Natively this file compiles to nothing.
#![cfg(target_arch = "wasm32")]

use kube_sandbox::sim::scheduler::bench_workload::{cluster, pods, run, NODES, PODS, SEED};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: milliseconds, the browser's monotonic clock (coarsened to 100 µs
    /// without cross-origin isolation, far below a run of hundreds of milliseconds).
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Timed rounds; xtask takes the median, as criterion reports the median natively.
const ROUNDS: usize = 5;

#[wasm_bindgen_test]
fn scheduling_basic_5000_nodes_10000_pods() {
    let build_start = performance_now();
    let base = cluster();
    let pods = pods();
    let build_ms = performance_now() - build_start;
    console_log!("wasm-bench: setup_ms={build_ms:.1} nodes={NODES} pods={PODS}");
    for round in 0..ROUNDS {
        let snapshot = base.clone();
        let start = performance_now();
        let placed = run(snapshot, &pods, SEED);
        let elapsed_ms = performance_now() - start;
        // A workload that placed fewer pods did less work: its speed would mean nothing.
        assert_eq!(placed, PODS, "every pod fits in SchedulingBasic");
        let pods_per_second = PODS as f64 / (elapsed_ms / 1e3);
        console_log!(
            "wasm-bench: round={round} elapsed_ms={elapsed_ms:.1} pods_per_second={pods_per_second:.0}"
        );
    }
}
