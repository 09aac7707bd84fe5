//! The trace of a fixed session, as a fingerprint kept in a fixture that the browser test
//! (`tests/web.rs`) checks too: the same seed and commands give the same trace natively and in
//! wasm. `UPDATE_GOLDEN=1 cargo test --test trace_fingerprint` rewrites the fixture when the
//! simulation changes on purpose.
#![cfg(not(target_arch = "wasm32"))]

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

#[path = "support/fingerprint_session.rs"]
mod session;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/trace_fingerprint.txt"
);

#[test]
fn the_session_trace_matches_the_fingerprint_the_browser_checks() {
    let fingerprint = session::run(|seed| Shell::new(Lab::boot(seed)));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(FIXTURE, format!("{fingerprint}\n")).expect("write the fixture");
    }
    let expected = std::fs::read_to_string(FIXTURE).unwrap_or_default();
    assert_eq!(
        fingerprint,
        expected.trim(),
        "seed {}: the trace changed (UPDATE_GOLDEN=1 if on purpose)",
        session::SEED
    );
}

#[test]
fn another_seed_gives_another_fingerprint() {
    let a = session::run(|seed| Shell::new(Lab::boot(seed)));
    let b = session::run(|seed| Shell::new(Lab::boot(seed + 1)));
    assert_ne!(a, b);
}
