//! `cargo xtask chaos [--seeds N] [--from S] [--threads T] [--no-shrink]`: fault-schedule
//! simulation over many seeds (`src/chaos`, `docs/chaos.md`).
//!
//! The runner is the crate's `examples/chaos.rs`, built with the `chaos` profile (optimised, no
//! LTO, unwinding so a panicking schedule is reported with its seed): it plays the seeds on every
//! core, prints progress, and for each failing seed its violations, its schedule, a shrunk
//! schedule that still fails and a replay script under `target/chaos/`.

use std::process::Command;

use crate::proc;
use crate::Flags;

/// Seeds `cargo xtask test` plays: a few hundred, about a minute on two cores.
pub const CI_SEEDS: u64 = 200;

pub fn run(args: &[String]) -> Result<(), String> {
    let flags = Flags(args);
    flags.check_known(&["--seeds", "--from", "--threads", "--no-shrink"])?;
    let mut runner_args = Vec::new();
    for name in ["--seeds", "--from", "--threads"] {
        if let Some(value) = flags.value(name)? {
            value
                .parse::<u64>()
                .map_err(|_| format!("{name}: not a number: {value:?}"))?;
            runner_args.extend([name.to_string(), value.to_string()]);
        }
    }
    if flags.has("--no-shrink") {
        runner_args.push("--no-shrink".into());
    }
    proc::run(&mut runner(&runner_args))
}

/// `cargo run --profile chaos --example chaos -- ARGS`.
pub fn runner(args: &[String]) -> Command {
    let mut cmd = proc::cargo();
    cmd.args([
        "run",
        "--quiet",
        "--profile",
        "chaos",
        "--example",
        "chaos",
        "--",
    ])
    .args(args);
    cmd
}
