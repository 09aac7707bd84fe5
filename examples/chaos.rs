//! The fault-schedule runner behind `cargo xtask chaos` (see `docs/chaos.md`).
//!
//! `cargo run --profile chaos --example chaos -- [--seeds N] [--from S] [--threads T]
//! [--no-shrink] [--out DIR]`: plays the schedules of seeds `S..S+N` on as many threads, prints
//! progress, and for each failing seed its violations, its schedule, a shrunk schedule that still
//! fails, and a replay script written to `DIR/seed-<S>.sh` (for `kube-sandbox shell --seed S`).
//! Exits 1 when any seed failed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use kube_sandbox::chaos::{self, Failure};

/// Failures shrunk per run, the lowest seeds first.
const SHRINK_MAX: usize = 3;

struct Options {
    seeds: u64,
    from: u64,
    threads: usize,
    shrink: bool,
    out: PathBuf,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        seeds: 100,
        from: 0,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        shrink: true,
        out: PathBuf::from("target/chaos"),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{arg} needs a value"))
                .cloned()
        };
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{arg}: not a number: {v:?}"))
        };
        match arg.as_str() {
            "--seeds" => options.seeds = number(value()?)?,
            "--from" => options.from = number(value()?)?,
            "--threads" => options.threads = number(value()?)?.max(1) as usize,
            "--no-shrink" => options.shrink = false,
            "--out" => options.out = PathBuf::from(value()?),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("chaos: {e}");
            return ExitCode::from(2);
        }
    };
    // A panic inside a schedule is caught and reported with its seed; the default hook would
    // print it a second time, out of place among the progress lines.
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let next = AtomicU64::new(options.from);
    let done = AtomicUsize::new(0);
    let failures: Mutex<Vec<Failure>> = Mutex::new(Vec::new());
    let end = options.from + options.seeds;
    println!(
        "chaos: seeds {}..{end} on {} threads",
        options.from, options.threads
    );
    std::thread::scope(|scope| {
        for _ in 0..options.threads {
            scope.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= end {
                    return;
                }
                let result = chaos::run_seed(seed);
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if let Err(failure) = result {
                    println!("FAIL {failure}");
                    failures
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(failure);
                }
                if n % 50 == 0 || n as u64 == options.seeds {
                    println!(
                        "chaos: {n}/{} seeds, {} failed, {:.1} s",
                        options.seeds,
                        failures.lock().map_or(0, |f| f.len()),
                        started.elapsed().as_secs_f64()
                    );
                    let _ = std::io::stdout().flush();
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let mut failures = failures.into_inner().unwrap_or_else(|e| e.into_inner());
    failures.sort_by_key(|f| f.seed);
    println!(
        "chaos: {} seeds in {:.1} s ({:.0} ms per seed per thread), {} failed",
        options.seeds,
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 * options.threads as f64 / options.seeds.max(1) as f64,
        failures.len()
    );
    if failures.is_empty() {
        return ExitCode::SUCCESS;
    }
    let _ = std::fs::create_dir_all(&options.out);
    for (i, failure) in failures.iter().enumerate() {
        println!("\n==== seed {} ====\n{failure}", failure.seed);
        // Shrinking replays the schedule tens of times: the first few failures are enough to
        // start from (the others are often the same bug).
        let reported = if options.shrink && i < SHRINK_MAX {
            let shrunk = chaos::shrink(failure);
            println!("shrunk to {} steps:\n{shrunk}", shrunk.schedule.len());
            shrunk
        } else {
            failure.clone()
        };
        let path = options.out.join(format!("seed-{}.sh", failure.seed));
        match std::fs::write(&path, reported.replay_script()) {
            Ok(()) => println!(
                "replay: cargo run --release --bin kube-sandbox -- shell --seed {} < {}",
                failure.seed,
                path.display()
            ),
            Err(e) => println!("could not write {}: {e}", path.display()),
        }
    }
    println!(
        "\nchaos: failing seeds: {}",
        failures
            .iter()
            .map(|f| f.seed.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    ExitCode::FAILURE
}
