//! `cargo xtask bench`: the native criterion benches, then the scheduler workload compiled to
//! wasm and timed in headless Chromium, then one report set against the project's targets.
//!
//! Speed is reported here and never asserted in tests: a timed test fails on a busy machine
//! and passes on a fast one, and says nothing either way.
//!
//! Native figures come from criterion's own files (`target/criterion/**/new/`), the median
//! time per iteration and the elements per iteration, rather than from its console text.
//! The wasm figure comes from the `wasm-bench:` lines `tests/wasm_bench.rs` logs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::proc;
use crate::toolchain;
use crate::Flags;

/// Criterion settings that keep the three native benches to a few minutes on 2 cores.
const WARM_UP_SECONDS: &str = "1";
const MEASUREMENT_SECONDS: &str = "4";
/// The 5,000-node run takes seconds per round in a browser; the runner's default is 20 s.
const BROWSER_TEST_TIMEOUT_SECONDS: &str = "600";

pub const STORE_WRITES_ID: &str = "store/put 1 KiB with one prefix watcher drained";
pub const POD_CREATES_ID: &str =
    "apiserver/create pod (authn, RBAC, admission, validation, storage, trace)";
pub const SCHEDULER_ID: &str = "scheduler/SchedulingBasic/5000Nodes_10000Pods";
/// `benches/lab.rs`: one iteration each, reported in milliseconds.
pub const LAB_IDS: [(&str, &str); 3] = [
    ("lab/boot", "lab boot (kubeadm, to settled), native ms"),
    (
        "lab/create deployment, 100 replicas",
        "kubectl create deployment --replicas=100 to settled, native ms",
    ),
    (
        "lab/scale deployment from 100 to 1000",
        "kubectl scale 100 to 1000 replicas to settled, native ms",
    ),
];

const STORE_TARGET_PER_SECOND: f64 = 200_000.0;
const POD_CREATES_TARGET_PER_SECOND: f64 = 20_000.0;
const SCHEDULER_TARGET_PODS_PER_SECOND: f64 = 50_000.0;
/// kube-scheduler CI's threshold for SchedulingBasic/5000Nodes_10000Pods.
const UPSTREAM_SCHEDULER_PODS_PER_SECOND: f64 = 680.0;

/// The wasm builds measured: the one the site ships, and optionally the speed-optimised one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WasmProfile {
    /// `[profile.release]`: opt-level "z", LTO, one codegen unit (what `cargo xtask dist` builds,
    /// before its wasm-opt -Oz pass).
    Shipped,
    /// `[profile.bench]`: the same with opt-level 3.
    Speed,
}

impl WasmProfile {
    fn cargo_args(self) -> &'static [&'static str] {
        match self {
            WasmProfile::Shipped => &["--release"],
            WasmProfile::Speed => &["--profile", "bench"],
        }
    }

    fn label(self) -> &'static str {
        match self {
            WasmProfile::Shipped => "wasm, shipped profile (opt-level z, LTO)",
            WasmProfile::Speed => "wasm, opt-level 3 (LTO)",
        }
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    let flags = Flags(args);
    flags.check_known(&[
        "--no-native",
        "--no-wasm",
        "--no-page",
        "--opt-level-3",
        "--page-marks",
        "--page-runs",
    ])?;
    let started = SystemTime::now();

    let mut native = Vec::new();
    if !flags.has("--no-native") {
        proc::run(proc::cargo().args([
            "bench",
            "--bench",
            "store",
            "--bench",
            "apiserver",
            "--bench",
            "scheduler",
            "--bench",
            "lab",
            "--bench",
            "serve_load",
            "--",
            "--warm-up-time",
            WARM_UP_SECONDS,
            "--measurement-time",
            MEASUREMENT_SECONDS,
        ]))?;
        native = read_criterion(&criterion_dir(), started)?;
    }

    let mut wasm = Vec::new();
    if !flags.has("--no-wasm") {
        toolchain::ensure_wasm_toolchain()?;
        let browser = toolchain::ensure_browser()?;
        let mut profiles = vec![WasmProfile::Shipped];
        if flags.has("--opt-level-3") {
            profiles.push(WasmProfile::Speed);
        }
        for profile in profiles {
            let rounds = run_wasm(profile, &browser.chromedriver)?;
            wasm.push((profile, rounds));
        }
    }

    let mut page = None;
    if !flags.has("--no-page") {
        toolchain::ensure_wasm_toolchain()?;
        let browser = toolchain::ensure_browser()?;
        // --page-marks: the page records its spans (feature `page-marks`) and each long task
        // is printed with the spans inside it.
        let marks = flags.has("--page-marks");
        let extra: &[&str] = if marks { &["page-marks"] } else { &[] };
        let dist = crate::site::build_with(
            crate::site::Profile::Release,
            crate::site::WasmOpt::On,
            extra,
        )?;
        // --page-runs N: the page's figures N times on the same build (one build and wasm-opt,
        // a few minutes, for the several runs a median needs on a shared machine).
        let runs = page_runs(&flags)?;
        // Each run with the machine's load average before and after it (/proc/loadavg).
        let load = || {
            std::fs::read_to_string("/proc/loadavg")
                .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_default()
        };
        for run in 1..=runs {
            let before = load();
            let figures = crate::page_bench::run(&browser, &dist, marks)?;
            println!(
                "\npage run {run} of {runs}, load average {before} before, {} after",
                load()
            );
            if run < runs {
                println!("{}", page_report(&figures));
            } else {
                page = Some(figures);
            }
        }
    }

    let machine = Machine::probe();
    println!("\n{}", report(&machine, &native, &wasm));
    if let Some(page) = page {
        println!("\n{}", page_report(&page));
    }
    Ok(())
}

/// `--page-runs N`: how many times the page is measured (1 without it).
fn page_runs(flags: &Flags) -> Result<usize, String> {
    match flags.value("--page-runs")? {
        None => Ok(1),
        Some(n) => n
            .parse()
            .ok()
            .filter(|&n| n >= 1)
            .ok_or(format!("--page-runs {n}: a number of runs, at least 1")),
    }
}

fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::root().join("target"));
    target.join("criterion")
}

/// One criterion result: elements per second at the median time per iteration.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    pub id: String,
    pub per_second: f64,
}

/// Reads `new/benchmark.json` + `new/estimates.json` for every benchmark written since `since`
/// (older files are results of an earlier run, not of this one).
fn read_criterion(dir: &Path, since: SystemTime) -> Result<Vec<Measured>, String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            let benchmark = path.join("new/benchmark.json");
            let estimates = path.join("new/estimates.json");
            if benchmark.is_file() && estimates.is_file() {
                let fresh = std::fs::metadata(&estimates)
                    .and_then(|m| m.modified())
                    .map(|t| t >= since)
                    .unwrap_or(false);
                if fresh {
                    let b = std::fs::read_to_string(&benchmark).map_err(|e| e.to_string())?;
                    let e = std::fs::read_to_string(&estimates).map_err(|e| e.to_string())?;
                    if let Some(m) = parse_criterion(&b, &e) {
                        found.push(m);
                    }
                }
            } else if path.file_name().is_some_and(|n| n != "report") {
                stack.push(path);
            }
        }
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(found)
}

/// Elements/s from criterion's files; `None` when the bench declared no element throughput.
pub fn parse_criterion(benchmark_json: &str, estimates_json: &str) -> Option<Measured> {
    let b: serde_json::Value = serde_json::from_str(benchmark_json).ok()?;
    let e: serde_json::Value = serde_json::from_str(estimates_json).ok()?;
    let id = b.get("full_id")?.as_str()?.to_string();
    let elements = b.get("throughput")?.get("Elements")?.as_f64()?;
    let median_ns = e.get("median")?.get("point_estimate")?.as_f64()?;
    if median_ns <= 0.0 {
        return None;
    }
    Some(Measured {
        id,
        per_second: elements / (median_ns / 1e9),
    })
}

/// Builds and runs `tests/wasm_bench.rs` in headless Chromium; returns pods/s of every round.
fn run_wasm(profile: WasmProfile, chromedriver: &Path) -> Result<Vec<f64>, String> {
    let mut cmd = proc::cargo();
    cmd.args([
        "test",
        "--target",
        "wasm32-unknown-unknown",
        "--test",
        "wasm_bench",
    ])
    .args(profile.cargo_args())
    .args(["--", "--nocapture"])
    .env(
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
        "wasm-bindgen-test-runner",
    )
    // Integration tests also build the `kube-sandbox` binary, which keeps the profile's
    // panic = "abort" while the test takes "unwind": the library is then built twice into the
    // same file names and LTO can read a half-written copy. One strategy, one build. On
    // wasm32-unknown-unknown a panic aborts either way. (Cargo already ignores `panic` in the
    // bench profile.)
    .env("CARGO_PROFILE_RELEASE_PANIC", "unwind")
    .env("CHROMEDRIVER", chromedriver)
    .env("WASM_BINDGEN_TEST_TIMEOUT", BROWSER_TEST_TIMEOUT_SECONDS);
    toolchain::with_tools_path(&mut cmd);
    let out = proc::run_streaming(&mut cmd)?;
    if !out.success {
        return Err(format!(
            "the wasm benchmark ({}) {}",
            profile.label(),
            out.describe_failure()
        ));
    }
    let rounds = parse_wasm_rounds(&out.lines);
    if rounds.is_empty() {
        return Err("the wasm benchmark logged no `wasm-bench: round=` line".to_string());
    }
    Ok(rounds)
}

/// The `pods_per_second=` of every `wasm-bench: round=` line.
pub fn parse_wasm_rounds(lines: &[String]) -> Vec<f64> {
    lines
        .iter()
        .filter_map(|line| {
            let rest = &line[line.find("wasm-bench: round=")?..];
            let value = rest
                .split_whitespace()
                .find_map(|field| field.strip_prefix("pods_per_second="))?;
            value.parse::<f64>().ok()
        })
        .collect()
}

pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    })
}

/// `1234567.8` → `"1,234,568"`.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if value < 0.0 && digits != "0" {
        out.insert(0, '-');
    }
    out
}

/// Where the figures were measured, for the report's first line.
pub struct Machine {
    pub date: String,
    pub cores: usize,
    pub cpu: String,
    pub browser: String,
}

impl Machine {
    fn probe() -> Machine {
        let date = proc::output(Command::new("date").args(["-u", "+%Y-%m-%d"]))
            .map(|d| d.trim().to_string())
            .unwrap_or_else(|| "unknown date".to_string());
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, name)| name.trim().to_string())
            })
            .unwrap_or_else(|| "unknown CPU".to_string());
        let browser = proc::output(Command::new("chromium").arg("--version"))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| "Chromium".to_string());
        Machine {
            date,
            cores,
            cpu,
            browser,
        }
    }
}

/// The page's figures as a Markdown table: main-thread blocking while the cluster works, the
/// animation's frames, memory. The targets are issue 9's and 12's.
pub fn page_report(page: &crate::page_bench::PageFigures) -> String {
    let mut out = String::from(
        "The page in headless Chromium (release build)\n\n| what | measured | target |\n| --- | ---: | ---: |\n",
    );
    out.push_str(&format!(
        "| terminal usable after navigation (median of 5 cold loads, as the three below) | {:.0} ms | 250 ms |\n",
        page.terminal_ready_ms
    ));
    out.push_str(&format!(
        "| total blocking time at load | {:.0} ms | 50 ms |\n",
        page.load_blocking_ms
    ));
    out.push_str(&format!(
        "| the lab booted (in slices after the first frame): after navigation, longest task | {:.0} ms, {:.0} ms | -, 50 ms |\n",
        page.booted_ms, page.boot_longest_task_ms
    ));
    for c in &page.commands {
        out.push_str(&format!(
            "| `{}`: typing it (chromedriver, about 20 keys a task): longest task | {:.0} ms | - |\n",
            c.line, c.typing_longest_task_ms
        ));
        out.push_str(&format!(
            "| `{}`: from the Enter, longest main-thread task | {:.0} ms ({} over 50 ms) | 50 ms |\n",
            c.line, c.longest_task_ms, c.long_tasks
        ));
        out.push_str(&format!(
            "| `{}`: longest task after the Enter's own | {:.0} ms ({} over 50 ms) | 50 ms |\n",
            c.line, c.work_longest_task_ms, c.work_long_tasks
        ));
        out.push_str(&format!(
            "| `{}`: longest animation frame (a task and its rendering) | {:.0} ms ({} over 50 ms) | 50 ms |\n",
            c.line, c.longest_frame_ms, c.long_frames
        ));
        out.push_str(&format!(
            "| `{}`: from the Enter until the cluster settled | {:.0} ms | - |\n",
            c.line, c.settle_ms
        ));
    }
    out.push_str(&format!(
        "| frame interval while animating, 50 web pods at 1×: p95 / worst | {:.1} / {:.1} ms | 16.7 ms |\n",
        page.frame_p95_ms, page.frame_max_ms
    ));
    out.push_str(&format!(
        "| wasm memory at 1,000 pods | {:.1} MB | 24 MB |\n",
        page.wasm_memory_bytes / 1_000_000.0
    ));
    out
}

/// The report as a Markdown table, ready for `docs/benchmarks.md`.
pub fn report(machine: &Machine, native: &[Measured], wasm: &[(WasmProfile, Vec<f64>)]) -> String {
    let find = |id: &str| native.iter().find(|m| m.id == id).map(|m| m.per_second);
    let mut out = format!(
        "Benchmarks, {} ({} cores, {}; {})\n\n\
         | what | measured | target | note |\n| --- | ---: | ---: | --- |\n",
        machine.date, machine.cores, machine.cpu, machine.browser
    );
    let mut row = |what: &str, value: Option<f64>, target: Option<f64>, note: String| {
        let measured = value
            .map(thousands)
            .unwrap_or_else(|| "not run".to_string());
        let target_text = target.map(thousands).unwrap_or_else(|| "-".to_string());
        let verdict = match (value, target) {
            (Some(v), Some(t)) if v >= t => "meets the target".to_string(),
            (Some(v), Some(t)) => format!("{:.0}% of the target", v / t * 100.0),
            _ => String::new(),
        };
        let note = [verdict, note]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        out.push_str(&format!(
            "| {what} | {measured} | {target_text} | {note} |\n"
        ));
    };
    row(
        "store writes/s (1 KiB, one prefix watcher)",
        find(STORE_WRITES_ID),
        Some(STORE_TARGET_PER_SECOND),
        String::new(),
    );
    row(
        "pod creates/s through the apiserver",
        find(POD_CREATES_ID),
        Some(POD_CREATES_TARGET_PER_SECOND),
        String::new(),
    );
    let scheduler = find(SCHEDULER_ID);
    row(
        "scheduler pods/s, SchedulingBasic 5000 nodes / 10000 pods, native",
        scheduler,
        Some(SCHEDULER_TARGET_PODS_PER_SECOND),
        scheduler
            .map(|s| {
                format!(
                    "{:.1}x kube-scheduler CI's 680 pods/s",
                    s / UPSTREAM_SCHEDULER_PODS_PER_SECOND
                )
            })
            .unwrap_or_default(),
    );
    for (id, what) in LAB_IDS {
        // One iteration per element: the rate's inverse is the time of one run.
        let ms = find(id).map(|per_second| 1000.0 / per_second);
        row(what, ms, None, String::new());
    }
    for (profile, rounds) in wasm {
        let value = median(rounds);
        let mut notes = Vec::new();
        if let (Some(w), Some(n)) = (value, scheduler) {
            notes.push(format!("{:.2}x native", w / n));
        }
        if let Some(w) = value {
            notes.push(format!(
                "{:.1}x kube-scheduler CI's 680",
                w / UPSTREAM_SCHEDULER_PODS_PER_SECOND
            ));
        }
        notes.push(format!("median of {} rounds", rounds.len()));
        row(
            &format!("the same, {} in headless Chromium", profile.label()),
            value,
            None,
            notes.join("; "),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BENCHMARK_JSON: &str = r#"{"group_id":"scheduler","function_id":"SchedulingBasic/5000Nodes_10000Pods","value_str":null,"throughput":{"Elements":10000},"full_id":"scheduler/SchedulingBasic/5000Nodes_10000Pods","directory_name":"scheduler/SchedulingBasic_5000Nodes_10000Pods","title":"scheduler/SchedulingBasic/5000Nodes_10000Pods"}"#;
    const ESTIMATES_JSON: &str = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0},"point_estimate":2.5e8,"standard_error":1.0},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0},"point_estimate":2.0e8,"standard_error":1.0}}"#;

    #[test]
    fn criterion_files_give_elements_per_second_at_the_median() {
        let m = parse_criterion(BENCHMARK_JSON, ESTIMATES_JSON);
        assert_eq!(
            m,
            Some(Measured {
                id: SCHEDULER_ID.to_string(),
                // 10,000 pods in 0.2 s.
                per_second: 50_000.0
            })
        );
    }

    #[test]
    fn a_bench_without_element_throughput_is_not_a_rate() {
        let no_throughput = BENCHMARK_JSON.replace(r#"{"Elements":10000}"#, "null");
        assert_eq!(parse_criterion(&no_throughput, ESTIMATES_JSON), None);
        assert_eq!(parse_criterion("not json", ESTIMATES_JSON), None);
    }

    #[test]
    fn wasm_rounds_are_read_from_the_runner_output_and_other_lines_ignored() {
        let lines: Vec<String> = [
            "running 1 test",
            "wasm-bench: setup_ms=812.0 nodes=5000 pods=10000",
            "wasm-bench: round=0 elapsed_ms=400.0 pods_per_second=25000",
            "  wasm-bench: round=1 elapsed_ms=500.0 pods_per_second=20000",
            "wasm-bench: round=2 elapsed_ms=oops pods_per_second=not-a-number",
            "test result: ok. 1 passed; 0 failed",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(parse_wasm_rounds(&lines), vec![25_000.0, 20_000.0]);
    }

    #[test]
    fn the_median_of_odd_and_even_counts_and_of_nothing() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN]), None);
    }

    #[test]
    fn page_runs_are_one_without_the_option_and_at_least_one_with_it() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<String>>();
        assert_eq!(page_runs(&Flags(&args(&["--no-native"]))), Ok(1));
        assert_eq!(page_runs(&Flags(&args(&["--page-runs", "3"]))), Ok(3));
        assert!(page_runs(&Flags(&args(&["--page-runs", "0"]))).is_err());
        assert!(page_runs(&Flags(&args(&["--page-runs", "three"]))).is_err());
        assert!(page_runs(&Flags(&args(&["--page-runs"]))).is_err());
    }

    #[test]
    fn the_page_report_gives_the_typing_apart_from_the_lines_figures() {
        let page = crate::page_bench::PageFigures {
            commands: vec![crate::page_bench::CommandFigures {
                line: "kubectl scale deployment web --replicas=1000".into(),
                typing_longest_task_ms: 120.4,
                longest_task_ms: 59.0,
                long_tasks: 1,
                work_longest_task_ms: 59.0,
                work_long_tasks: 1,
                longest_frame_ms: 61.0,
                long_frames: 2,
                settle_ms: 4_000.0,
            }],
            ..Default::default()
        };
        let text = page_report(&page);
        let line = "`kubectl scale deployment web --replicas=1000`";
        assert!(
            text.contains(&format!(
                "| {line}: typing it (chromedriver, about 20 keys a task): longest task | 120 ms | - |"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "| {line}: from the Enter, longest main-thread task | 59 ms (1 over 50 ms) | 50 ms |"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "| {line}: longest animation frame (a task and its rendering) | 61 ms (2 over 50 ms) | 50 ms |"
            )),
            "{text}"
        );
    }

    #[test]
    fn figures_are_printed_with_thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1_000.0), "1,000");
        assert_eq!(thousands(1_234_567.8), "1,234,568");
        assert_eq!(thousands(-20_000.0), "-20,000");
    }

    #[test]
    fn the_report_compares_with_targets_upstream_and_native() {
        let machine = Machine {
            date: "2026-11-22".into(),
            cores: 2,
            cpu: "Test CPU".into(),
            browser: "Chromium 1".into(),
        };
        let native = vec![
            Measured {
                id: STORE_WRITES_ID.into(),
                per_second: 100_000.0,
            },
            Measured {
                id: SCHEDULER_ID.into(),
                per_second: 68_000.0,
            },
        ];
        let wasm = vec![(WasmProfile::Shipped, vec![34_000.0, 30_000.0, 40_000.0])];
        let text = report(&machine, &native, &wasm);
        assert!(text.contains("2026-11-22 (2 cores"), "{text}");
        assert!(
            text.contains("| 100,000 | 200,000 | 50% of the target |"),
            "{text}"
        );
        assert!(text.contains("| not run | 20,000 |"), "{text}");
        assert!(
            text.contains(
                "| 68,000 | 50,000 | meets the target; 100.0x kube-scheduler CI's 680 pods/s |"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "| 34,000 | - | 0.50x native; 50.0x kube-scheduler CI's 680; median of 3 rounds |"
            ),
            "{text}"
        );
    }
}
