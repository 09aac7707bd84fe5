//! The longest parts of a step while the cluster works on a line, natively: what the page's
//! main thread would run as one task (`Session::work(1)` is one part). Run with
//! `cargo run --profile chaos --example slice_profile` (opt-level 3; the page's build is
//! opt-level "z", so expect its figures several times higher). Prints each line's part count
//! and its ten longest parts, with how many trace events each recorded and whose.
#[path = "common/bench_lines.rs"]
mod bench_lines;
use bench_lines::bench_lines;
use kube_sandbox::present::session::Session;
use std::collections::BTreeMap;
use std::time::Instant;
fn main() {
    let mut s = Session::starting(1);
    while s.busy() {
        s.work(1_000_000);
    }
    let lines = bench_lines();
    for line in &lines {
        let t = Instant::now();
        let _ = s.submit_line(line);
        eprintln!("submit {line}: {:?}", t.elapsed());
        let mut worst = vec![];
        let mut n = 0;
        while s.busy() {
            let before = s.cluster().trace().next_seq();
            let t = Instant::now();
            s.work(1);
            let d = t.elapsed();
            n += 1;
            let after = s.cluster().trace().next_seq();
            let mut actors: BTreeMap<String, usize> = BTreeMap::new();
            for e in s.cluster().trace().since(before) {
                *actors
                    .entry(format!("{:?}{:?}", e.actor.component, e.actor.controller))
                    .or_default() += 1;
            }
            worst.push((d, n, after - before, format!("{actors:?}"), t));
        }
        // What the page does next in the same task: the scene at the new playhead.
        let t = Instant::now();
        let _ = s.scene(s.timeline().len());
        eprintln!("scene at the end of the line: {:?}", t.elapsed());
        if std::env::var_os("SLICE_PROFILE_CLOCK").is_some() {
            eprintln!("    began {t:?}");
        }
        worst.sort_by_key(|w| std::cmp::Reverse(w.0));
        eprintln!("{n} parts; worst:");
        for w in worst.iter().take(10) {
            eprintln!(
                "  {:?} part {} events {} {}",
                w.0,
                w.1,
                w.2,
                &w.3[..w.3.len().min(200)]
            );
            // With SLICE_PROFILE_CLOCK set: when the part began (CLOCK_MONOTONIC on Linux), for
            // `perf record -k CLOCK_MONOTONIC` and `perf script --time` on that part alone.
            if std::env::var_os("SLICE_PROFILE_CLOCK").is_some() {
                eprintln!("    began {:?}", w.4);
            }
        }
    }
}
