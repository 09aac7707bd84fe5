//! Bursts of pod creates larger than one call of the ReplicaSet controller builds (its
//! `PODS_PER_CALL`, so that the page runs a burst of 500 as parts of their own) leave the trace
//! as one call made it: the fixture was written by the controller that built a whole burst in
//! one call. `UPDATE_GOLDEN=1 cargo test --test burst_fingerprint` rewrites it when the
//! simulation changes on purpose.
#![cfg(not(target_arch = "wasm32"))]

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/burst_fingerprint.txt"
);

#[test]
fn a_burst_built_over_several_calls_leaves_the_trace_of_one() {
    let mut shell = Shell::new(Lab::boot(1));
    for line in [
        // Slow-start batches 1, 2, 4, ..., 64 and the rest: 200 pods, then 130 more.
        "kubectl create deployment web --image=nginx --replicas=200",
        "kubectl scale deployment web --replicas=330",
        "kubectl get pods --no-headers",
    ] {
        shell.run_line(line);
    }
    let fingerprint = shell.backend().trace().fingerprint();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(FIXTURE, format!("{fingerprint}\n")).expect("write the fixture");
    }
    let expected = std::fs::read_to_string(FIXTURE).unwrap_or_default();
    assert_eq!(fingerprint, expected.trim(), "the trace changed");
    let pods = shell.run_line("kubectl get pods --no-headers").stdout;
    assert_eq!(pods.lines().count(), 330);
}
