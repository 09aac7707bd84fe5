//! How long a reload takes to bring back a long session: 200 typical lines run live, saved,
//! then restored by replay ([`Session::restore`]), timed. Run with
//! `cargo run --profile chaos --example restore_time` (opt-level 3); `cargo bench --bench lab`
//! measures the same restore with criterion. The page runs wasm about 2.5 to 4 times slower.

use std::time::Instant;

use kube_sandbox::present::saved::typical_lines;
use kube_sandbox::present::session::Session;

fn main() {
    let lines = typical_lines(200);
    let started = Instant::now();
    let mut live = Session::new(1);
    for line in &lines {
        live.run_line(line);
    }
    let live_ms = started.elapsed().as_secs_f64() * 1e3;
    let saved = live.saved();
    let json = saved.encode();
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let restored = Session::restore(&saved).expect("the session replays");
        times.push(started.elapsed().as_secs_f64() * 1e3);
        assert_eq!(restored.trace_fingerprint(), live.trace_fingerprint());
    }
    times.sort_by(f64::total_cmp);
    let boot = {
        let started = Instant::now();
        let _ = Session::new(1);
        started.elapsed().as_secs_f64() * 1e3
    };
    println!(
        "{} lines: live {live_ms:.0} ms; restore median {:.0} ms (min {:.0}, max {:.0}), of which boot {boot:.0} ms; saved JSON {} bytes; {} trace events",
        lines.len(),
        times[2],
        times[0],
        times[4],
        json.len(),
        live.cluster().trace().next_seq()
    );
}
