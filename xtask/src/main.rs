//! Project automation: `cargo xtask serve | dist | test | screenshot | bench | chaos | fuzz`.
//!
//! Every command first makes sure the tools it needs are installed (each step skipped when
//! already satisfied, and saying what it installs), so a fresh clone needs nothing but Rust.

mod bench;
mod chaos;
mod e2e;
mod fuzz;
mod page_bench;
mod proc;
mod server;
mod site;
mod summary;
mod toolchain;
mod webdriver;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// How long wasm-bindgen-test-runner waits for the whole browser suite (`tests/web.rs`).
const BROWSER_SUITE_TIMEOUT_SECONDS: &str = "300";

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  serve [--dev] [--port N]     build the site and serve it on http://127.0.0.1:8080
  dist [--no-wasm-opt]         build a self-contained static site in dist/ and report its size
  test                         native tests, browser tests, size budget, end-to-end test
  e2e [--dev]                  only the end-to-end test, on a fresh dist/ (--dev: a debug build)
  screenshot [--out FILE] [--lang ko|en] [--run LINE]... [--width W] [--height H]
             [--wait-ms N] [--click SELECTOR]... [--click-before SELECTOR]... [--keys KEYS] [--dev]
                               a 1400x900 headless Chromium screenshot (default docs/screenshot.png)
  bench [--opt-level-3] [--no-native] [--no-wasm] [--page-marks] [--page-runs N]
                               native criterion benches (store, apiserver, scheduler, lab), then
                               the scheduler workload as wasm in headless Chromium, then the page
                               (--page-runs N: its figures N times on one build); one report
  chaos [--seeds N] [--from S] [--threads T] [--no-shrink]
                               random fault schedules on the lab, seeds S..S+N (default 0..100),
                               invariants checked during and after; a failure prints its seed,
                               its schedule and a shrunk schedule that still fails
  fuzz [--cases N] [--target T] [--seconds S]
                               libFuzzer (cargo-fuzz, nightly) on each target: manifest,
                               shell_words, jsonpath, command_lines; N cases (default 10000)
                               or S seconds per target; a table of cases, exec/s and coverage
";

/// The repository root: the parent of this crate.
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match command.as_str() {
        "serve" => serve(rest),
        "dist" => dist(rest),
        "test" => return summary::exit_code(test()),
        "e2e" => return summary::exit_code(e2e_only(rest)),
        "screenshot" => screenshot(rest),
        "bench" => bench::run(rest),
        "chaos" => chaos::run(rest),
        "fuzz" => fuzz::run_fuzz(rest),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Flags are few and simple: `--name` or `--name value`.
struct Flags<'a>(&'a [String]);

impl Flags<'_> {
    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|a| a == name)
    }

    fn value(&self, name: &str) -> Result<Option<&str>, String> {
        match self.0.iter().position(|a| a == name) {
            None => Ok(None),
            Some(i) => match self.0.get(i + 1) {
                Some(v) if !v.starts_with("--") => Ok(Some(v)),
                _ => Err(format!("{name} needs a value")),
            },
        }
    }

    /// Every value of a flag that may repeat (`--run A --run B`).
    fn values(&self, name: &str) -> Result<Vec<&str>, String> {
        let mut found = Vec::new();
        let mut args = self.0.iter();
        while let Some(a) = args.next() {
            if a == name {
                match args.next() {
                    Some(v) if !v.starts_with("--") => found.push(v.as_str()),
                    _ => return Err(format!("{name} needs a value")),
                }
            }
        }
        Ok(found)
    }

    fn check_known(&self, known: &[&str]) -> Result<(), String> {
        let mut args = self.0.iter();
        while let Some(a) = args.next() {
            if !known.contains(&a.as_str()) {
                return Err(format!("unknown option {a:?}\n{USAGE}"));
            }
            if matches!(
                a.as_str(),
                "--port"
                    | "--out"
                    | "--lang"
                    | "--run"
                    | "--width"
                    | "--height"
                    | "--wait-ms"
                    | "--keys"
                    | "--click"
                    | "--click-before"
                    | "--seeds"
                    | "--from"
                    | "--threads"
                    | "--cases"
                    | "--target"
                    | "--seconds"
                    | "--page-runs"
            ) {
                args.next();
            }
        }
        Ok(())
    }
}

fn serve(args: &[String]) -> Result<(), String> {
    let flags = Flags(args);
    flags.check_known(&["--dev", "--port", "--release"])?;
    let port: u16 = match flags.value("--port")? {
        Some(p) => p
            .parse()
            .map_err(|_| format!("--port: not a port: {p:?}"))?,
        None => 8080,
    };
    toolchain::ensure_wasm_toolchain()?;
    let profile = if flags.has("--dev") {
        site::Profile::Dev
    } else {
        site::Profile::Release
    };
    let dist = site::build(profile, site::WasmOpt::On)?;
    site::print_size_report(&site::size_report(&dist)?);
    let server = server::Server::bind(("127.0.0.1", port), &dist, "/", true)?;
    println!("\nKube Sandbox is served at {}", server.url());
    println!("(Ctrl-C stops the server)");
    server.run_forever();
    Ok(())
}

fn dist(args: &[String]) -> Result<(), String> {
    let flags = Flags(args);
    flags.check_known(&["--no-wasm-opt", "--release"])?;
    toolchain::ensure_wasm_toolchain()?;
    let opt = if flags.has("--no-wasm-opt") {
        site::WasmOpt::Off
    } else {
        site::WasmOpt::On
    };
    let dist = site::build(site::Profile::Release, opt)?;
    site::print_size_report(&site::size_report(&dist)?);
    println!("\n{} is ready: copy it to any static host.", dist.display());
    Ok(())
}

/// The end-to-end checks alone, for working on the page without the whole suite.
fn e2e_only(args: &[String]) -> summary::Summary {
    let mut summary = summary::Summary::default();
    let built = Flags(args)
        .check_known(&["--dev"])
        .and_then(|()| toolchain::ensure_wasm_toolchain())
        .and_then(|()| toolchain::ensure_browser())
        .and_then(|browser| {
            let profile = if Flags(args).has("--dev") {
                site::Profile::Dev
            } else {
                site::Profile::Release
            };
            Ok((browser, site::build(profile, site::WasmOpt::On)?))
        });
    match built {
        Ok((browser, dist)) => {
            summary::section("end-to-end: dist/ under /sandbox/ in headless Chromium");
            e2e::run(&browser, &dist, &mut summary);
        }
        Err(e) => summary.record("dist builds", Err(e)),
    }
    summary
}

fn screenshot(args: &[String]) -> Result<(), String> {
    let flags = Flags(args);
    flags.check_known(&[
        "--out",
        "--lang",
        "--run",
        "--width",
        "--height",
        "--wait-ms",
        "--keys",
        "--click",
        "--click-before",
        "--dev",
    ])?;
    let lines = flags.values("--run")?;
    let clicks = flags.values("--click")?;
    let clicks_before = flags.values("--click-before")?;
    let lang = flags.value("--lang")?.unwrap_or("ko");
    if !matches!(lang, "ko" | "en") {
        return Err(format!("--lang: ko or en, not {lang:?}"));
    }
    let number = |name: &str, default: u64| -> Result<u64, String> {
        match flags.value(name)? {
            Some(v) => v
                .parse()
                .map_err(|_| format!("{name}: not a number: {v:?}")),
            None => Ok(default),
        }
    };
    let shot = e2e::Shot {
        width: number("--width", 1400)?,
        height: number("--height", 900)?,
        wait_ms: number("--wait-ms", 0)?,
        keys: flags.value("--keys")?.unwrap_or(""),
        clicks,
        clicks_before,
    };
    let out = match flags.value("--out")? {
        Some(p) => PathBuf::from(p),
        None => root().join("docs/screenshot.png"),
    };
    toolchain::ensure_wasm_toolchain()?;
    let browser = toolchain::ensure_browser()?;
    // Korean glyphs render as boxes without a CJK font.
    toolchain::ensure_cjk_font()?;
    let profile = if flags.has("--dev") {
        site::Profile::Dev
    } else {
        site::Profile::Release
    };
    let dist = site::build(profile, site::WasmOpt::On)?;
    e2e::screenshot(&browser, &dist, &out, lang, &lines, &shot)?;
    println!("wrote {}", out.display());
    Ok(())
}

/// Everything, each counted into one summary. Setup failures count as failures too.
fn test() -> summary::Summary {
    let mut summary = summary::Summary::default();
    let setup = toolchain::ensure_wasm_toolchain()
        .and_then(|()| toolchain::ensure_etcd())
        .and_then(|()| toolchain::ensure_browser());
    let browser = match setup {
        Ok(b) => Some(b),
        Err(e) => {
            summary.record("toolchain is installed", Err(e));
            None
        }
    };

    summary::section("native tests: cargo test");
    summary.add_cargo_test(proc::run_streaming(
        proc::cargo().arg("test").arg("--workspace"),
    ));

    summary::section(&format!(
        "fault schedules: cargo xtask chaos --seeds {}",
        chaos::CI_SEEDS
    ));
    summary.record(
        &format!("{} fault schedules break no invariant", chaos::CI_SEEDS),
        proc::run(&mut chaos::runner(&[
            "--seeds".into(),
            chaos::CI_SEEDS.to_string(),
        ])),
    );

    let Some(browser) = browser else {
        return summary;
    };

    // What `wasm-pack test --headless --chrome` does, minus its `--tests` flag: that flag builds
    // every integration test for wasm32, and the native-only ones (proptest, real etcd) cannot be.
    // The same runner, wasm-bindgen-test-runner, drives headless Chromium through chromedriver.
    summary::section("browser tests: wasm-bindgen-test in headless Chromium");
    let mut browser_tests = proc::cargo();
    browser_tests
        .args([
            "test",
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            "web",
        ])
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        )
        .env("CHROMEDRIVER", &browser.chromedriver)
        // The runner's default of 20 s covers the whole suite, not one test: the suite took
        // 19.4 s on a green run and a busy machine pushed it past, failing CI with "Failed to
        // detect test as having been run".
        .env("WASM_BINDGEN_TEST_TIMEOUT", BROWSER_SUITE_TIMEOUT_SECONDS)
        .current_dir(root());
    toolchain::with_tools_path(&mut browser_tests);
    summary.add_cargo_test(proc::run_streaming(&mut browser_tests));

    summary::section("dist: release build and size budget");
    let dist = match site::build(site::Profile::Release, site::WasmOpt::On) {
        Ok(d) => d,
        Err(e) => {
            summary.record("dist builds", Err(e));
            return summary;
        }
    };
    match site::size_report(&dist) {
        Ok(report) => {
            site::print_size_report(&report);
            summary.record(
                &format!(
                    "gzip size of what the page loads at start (dist/ but explain.txt) is within {} bytes",
                    site::GZIP_BUDGET_BYTES
                ),
                site::check_budget(&report),
            );
        }
        Err(e) => summary.record("size report", Err(e)),
    }

    summary::section("end-to-end: dist/ under /sandbox/ in headless Chromium");
    e2e::run(&browser, &dist, &mut summary);
    summary
}
