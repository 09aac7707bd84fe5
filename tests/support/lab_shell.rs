//! The terminal's shell on a freshly booted lab, and the two ways a test runs a line on it.
#![allow(dead_code)]

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

/// The shell on the lab booted with seed 1.
pub fn lab() -> Shell<Lab> {
    Shell::new(Lab::boot(1))
}

/// Runs `line`, which must succeed; its stdout.
pub fn ok(sh: &mut Shell<Lab>, line: &str) -> String {
    let out = sh.run_line(line);
    assert_eq!(out.exit_code, 0, "{line}\n{}{}", out.stdout, out.stderr);
    out.stdout
}

/// Runs `line`, which must fail; its stderr.
pub fn fails(sh: &mut Shell<Lab>, line: &str) -> String {
    let out = sh.run_line(line);
    assert_ne!(out.exit_code, 0, "{line} succeeded:\n{}", out.stdout);
    out.stderr
}
