//! `cargo xtask fuzz`: the libFuzzer targets in `fuzz/` (cargo-fuzz, nightly), seeded from the
//! project's own fixtures, with a table of what each run reached (docs/fuzz.md).
//!
//! Corpus directories, in the order libFuzzer is given them (it writes new inputs to the first):
//! - `fuzz/corpus/T`: what earlier runs found (not committed);
//! - `fuzz/seeds/T`: written on every run from `tests/fixtures`, the editor's examples and the
//!   lines the tests type (not committed: the fixtures are the one place for them);
//! - `fuzz/regressions/T`: every crash input found so far (committed), each also a `#[test]`.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::proc::{describe, output, run};
use crate::Flags;

/// The targets, in the order a run without `--target` takes them, with the longest input
/// libFuzzer may make for each (manifests and scripts are longer than one template).
const TARGETS: &[(&str, usize)] = &[
    ("manifest", 8192),
    ("shell_words", 1024),
    ("jsonpath", 2048),
    ("command_lines", 4096),
];

/// Cases per target when neither `--cases` nor `--seconds` is given: a quick check.
const DEFAULT_CASES: u64 = 10_000;

/// What one target's run reached, from libFuzzer's last status line and final stats.
#[derive(Debug, Default, PartialEq)]
struct Stats {
    runs: u64,
    seconds: u64,
    exec_per_sec: u64,
    cov: u64,
    ft: u64,
    corpus: u64,
    /// Where libFuzzer wrote the input that crashed, if one did.
    crash: Option<String>,
}

pub fn run_fuzz(args: &[String]) -> Result<(), String> {
    let flags = Flags(args);
    flags.check_known(&["--cases", "--target", "--seconds"])?;
    let number = |name: &str| -> Result<Option<u64>, String> {
        flags
            .value(name)?
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("{name}: not a number: {v:?}"))
            })
            .transpose()
    };
    let seconds = number("--seconds")?;
    let cases = number("--cases")?.or(seconds.is_none().then_some(DEFAULT_CASES));
    let targets: Vec<(&str, usize)> = match flags.value("--target")? {
        None => TARGETS.to_vec(),
        Some(t) => vec![*TARGETS.iter().find(|(name, _)| *name == t).ok_or_else(|| {
            let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
            format!("--target: one of {}, not {t:?}", names.join(", "))
        })?],
    };
    ensure_nightly()?;
    ensure_cargo_fuzz()?;
    let fuzz_dir = crate::root().join("fuzz");
    let seeds = seeds::write_all(&crate::root(), &fuzz_dir.join("seeds"))?;
    println!("ok  seed corpus: {seeds} inputs from the fixtures and tests");

    let mut results = Vec::new();
    for (target, max_len) in targets {
        let stats = run_target(&fuzz_dir, target, max_len, cases, seconds)?;
        results.push((target, stats));
    }
    println!("\n{}", report(&results));
    let crashed: Vec<String> = results
        .iter()
        .filter_map(|(t, s)| s.crash.as_ref().map(|c| format!("{t}: {c}")))
        .collect();
    if crashed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "crashes found (minimise with `cargo +nightly fuzz tmin -s none -a TARGET FILE` in fuzz/):\n  {}",
            crashed.join("\n  ")
        ))
    }
}

fn ensure_nightly() -> Result<(), String> {
    let list = output(Command::new("rustup").args(["toolchain", "list"]))
        .ok_or("rustup not found: cargo-fuzz needs a nightly toolchain from rustup")?;
    if list.lines().any(|l| l.starts_with("nightly")) {
        println!("ok  nightly toolchain");
        return Ok(());
    }
    println!("--> installing the nightly toolchain (rustup, minimal profile)");
    run(Command::new("rustup").args(["toolchain", "install", "nightly", "--profile", "minimal"]))
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    if let Some(v) = output(Command::new("cargo-fuzz").arg("--version")) {
        println!("ok  {}", v.trim());
        return Ok(());
    }
    println!("--> installing cargo-fuzz (cargo install, about 4 minutes)");
    run(crate::proc::cargo().args(["install", "cargo-fuzz", "--locked"]))
}

/// `cargo +nightly fuzz run`, with the stable toolchain's variables from `cargo xtask` removed
/// so rustup's proxy picks nightly. `-s none`: the targets are safe Rust, where a sanitizer
/// finds nothing and halves the speed; `-a`: debug assertions and overflow checks, as in
/// `cargo test`, so an overflow is a crash here too.
fn run_target(
    fuzz_dir: &Path,
    target: &str,
    max_len: usize,
    cases: Option<u64>,
    seconds: Option<u64>,
) -> Result<Stats, String> {
    let corpus = fuzz_dir.join("corpus").join(target);
    std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    let mut cmd = Command::new("cargo");
    for var in ["CARGO", "RUSTC", "RUSTDOC", "RUSTUP_TOOLCHAIN"] {
        cmd.env_remove(var);
    }
    cmd.current_dir(fuzz_dir)
        .args(["+nightly", "fuzz", "run", "-s", "none", "-a", target])
        .arg(&corpus)
        .arg(fuzz_dir.join("seeds").join(target));
    let regressions = fuzz_dir.join("regressions").join(target);
    if regressions.is_dir() {
        cmd.arg(&regressions);
    }
    cmd.args(["--", "-print_final_stats=1"])
        .arg(format!("-max_len={max_len}"));
    if let Some(n) = cases {
        cmd.arg(format!("-runs={n}"));
    }
    if let Some(s) = seconds {
        cmd.arg(format!("-max_total_time={s}"));
    }
    println!("\n== fuzz target {target}\n$ {}", describe(&cmd));
    let mut child = cmd
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", describe(&cmd)))?;
    // libFuzzer reports on stderr: one line per new input and its dictionary at the end. Echo
    // what says how the run goes (every 2^n-th status line, errors, the final stats).
    let mut lines = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if worth_echoing(&line) {
                eprintln!("{line}");
            }
            lines.push(line);
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let stats = parse_stats(&lines);
    if !status.success() && stats.crash.is_none() {
        return Err(format!("fuzz target {target} failed to run ({status})"));
    }
    Ok(stats)
}

fn worth_echoing(line: &str) -> bool {
    if let Some(rest) = line.strip_prefix('#') {
        let n: u64 = rest
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|d| d.parse().ok())
            .unwrap_or(0);
        return n.is_power_of_two() && n >= 1024
            || !line.contains("NEW ") && !line.contains("REDUCE ");
    }
    !line.starts_with('"') && !line.starts_with("###") && !line.trim_start().starts_with("NEW_FUNC")
}

fn field(line: &str, name: &str) -> Option<u64> {
    let rest = &line[line.find(name)? + name.len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn parse_stats(lines: &[String]) -> Stats {
    let mut stats = Stats::default();
    for line in lines {
        if line.starts_with('#') && line.contains(" cov: ") {
            stats.cov = field(line, "cov:").unwrap_or(stats.cov);
            stats.ft = field(line, "ft:").unwrap_or(stats.ft);
            stats.corpus = field(line, "corp:").unwrap_or(stats.corpus);
        } else if let Some(rest) = line.strip_prefix("Done ") {
            stats.runs = field(rest, "").unwrap_or(0);
            stats.seconds = field(rest, "runs in").unwrap_or(0);
        } else if line.starts_with("stat::number_of_executed_units:") {
            stats.runs = field(line, "_units:").unwrap_or(stats.runs);
        } else if line.starts_with("stat::average_exec_per_sec:") {
            stats.exec_per_sec = field(line, "_sec:").unwrap_or(0);
        } else if let Some(i) = line.find("Test unit written to ") {
            // `slow-unit-…` is only the slowest input so far; a crash, timeout, oom or leak
            // is a failure.
            let path = line[i + "Test unit written to ".len()..].trim();
            if !path.contains("/slow-unit-") {
                stats.crash = Some(path.to_string());
            }
        }
    }
    stats
}

fn report(results: &[(&str, Stats)]) -> String {
    let mut out = String::from(
        "target          cases      seconds  exec/s   cov     ft      corpus  result\n",
    );
    let mut total = 0;
    for (target, s) in results {
        total += s.runs;
        let result = match &s.crash {
            Some(path) => format!("CRASH {path}"),
            None => "no panic".to_string(),
        };
        let _ = writeln!(
            out,
            "{target:<15} {:<10} {:<8} {:<8} {:<7} {:<7} {:<7} {result}",
            s.runs, s.seconds, s.exec_per_sec, s.cov, s.ft, s.corpus
        );
    }
    let _ = write!(out, "total           {total}");
    out
}

/// The seed corpus, rebuilt from the project's own inputs on every run.
mod seeds {
    use std::path::{Path, PathBuf};

    /// Writes `seeds/T/NNNN` for every target; returns how many inputs were written.
    pub fn write_all(root: &Path, seeds: &Path) -> Result<usize, String> {
        let fixtures = root.join("tests/fixtures");
        let read =
            |p: PathBuf| std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()));
        let files_in = |dir: &str, exts: &[&str]| -> Result<Vec<String>, String> {
            let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures.join(dir))
                .map_err(|e| format!("tests/fixtures/{dir}: {e}"))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| exts.iter().any(|e| x == *e)))
                .collect();
            paths.sort();
            paths.into_iter().map(read).collect()
        };
        let scripts = files_in("shell", &["sh"])?;
        let test_lines = test_lines(root)?;
        let editor = string_fields(&read(root.join("src/present/editor.rs"))?, "text: \"");

        let mut manifests = files_in("manifests", &["yaml"])?;
        manifests.extend(files_in("shell", &["yaml", "json"])?);
        manifests.extend(editor);
        manifests.extend(scripts.iter().flat_map(|s| heredoc_bodies(s)));

        let script_lines: Vec<String> = scripts
            .iter()
            .flat_map(|s| s.lines().map(str::to_string))
            .chain(test_lines.iter().cloned())
            .collect();

        let jsonpath_fixture = read(fixtures.join("jsonpath_kubectl_v1_32.json"))?;
        let mut templates: Vec<String> =
            serde_json::from_str::<serde_json::Value>(&jsonpath_fixture)
                .map_err(|e| format!("jsonpath fixture: {e}"))?["cases"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["template"].as_str().map(str::to_string))
                .collect();
        templates.extend(script_lines.iter().flat_map(|l| output_templates(l)));

        let mut command_lines = scripts.clone();
        command_lines.extend(test_lines);
        let mut count = 0;
        count += write(
            seeds,
            "manifest",
            manifests.iter().map(|s| s.as_bytes().to_vec()),
        )?;
        count += write(
            seeds,
            "shell_words",
            script_lines.iter().map(|s| s.as_bytes().to_vec()),
        )?;
        count += write(
            seeds,
            "jsonpath",
            templates.iter().map(|s| s.as_bytes().to_vec()),
        )?;
        // Besides the text seeds, a few inputs of the line generator (0xFF, then its bytes).
        let structured = (0..32u64).map(|seed| {
            let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            let mut bytes = vec![0xff];
            bytes.extend((0..96).map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            }));
            bytes
        });
        count += write(
            seeds,
            "command_lines",
            command_lines
                .iter()
                .map(|s| s.as_bytes().to_vec())
                .chain(structured),
        )?;
        Ok(count)
    }

    fn write(
        seeds: &Path,
        target: &str,
        inputs: impl Iterator<Item = Vec<u8>>,
    ) -> Result<usize, String> {
        let dir = seeds.join(target);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut n = 0;
        for input in inputs.filter(|i| !i.is_empty()) {
            let path = dir.join(format!("{n:04}"));
            std::fs::write(&path, input).map_err(|e| format!("{}: {e}", path.display()))?;
            n += 1;
        }
        Ok(n)
    }

    /// The lines the tests type: every `run_line("…")` in `tests/*.rs`.
    fn test_lines(root: &Path) -> Result<Vec<String>, String> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join("tests"))
            .map_err(|e| format!("tests/: {e}"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .collect();
        paths.sort();
        let mut lines = Vec::new();
        for p in paths {
            let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            lines.extend(string_fields(&text, "run_line(\""));
        }
        lines.sort();
        lines.dedup();
        Ok(lines)
    }

    /// Every Rust string literal that follows `marker` (which ends with its opening quote).
    pub fn string_fields(source: &str, marker: &str) -> Vec<String> {
        source
            .match_indices(marker)
            .filter_map(|(i, _)| rust_string(&source[i + marker.len()..]))
            .collect()
    }

    /// The value of a string literal's body up to its closing quote: `\n`, `\t`, `\"`, `\\`,
    /// `\'`, `\u{…}` and a backslash-newline continuation, as rustc reads them.
    pub fn rust_string(body: &str) -> Option<String> {
        let mut out = String::new();
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => match chars.next()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '0' => out.push('\0'),
                    '\n' => {
                        let rest = chars.as_str().trim_start();
                        chars = rest.chars();
                    }
                    'u' => {
                        let rest = chars.as_str().strip_prefix('{')?;
                        let end = rest.find('}')?;
                        out.push(char::from_u32(u32::from_str_radix(&rest[..end], 16).ok()?)?);
                        chars = rest[end + 1..].chars();
                    }
                    other => out.push(other),
                },
                c => out.push(c),
            }
        }
        None
    }

    /// The bodies of `<<EOF … EOF` heredocs in a script.
    fn heredoc_bodies(script: &str) -> Vec<String> {
        let mut bodies = Vec::new();
        let mut body: Option<String> = None;
        for line in script.lines() {
            match body.as_mut() {
                Some(b) if line == "EOF" => bodies.push(std::mem::take(b)),
                Some(b) => {
                    b.push_str(line);
                    b.push('\n');
                }
                None => {}
            }
            if line == "EOF" {
                body = None;
            } else if body.is_none() && line.contains("<<EOF") {
                body = Some(String::new());
            }
        }
        bodies
    }

    /// The templates of `-o jsonpath=…` and `-o custom-columns=…` in a line, quotes removed.
    fn output_templates(line: &str) -> Vec<String> {
        line.split_whitespace()
            .filter_map(|w| {
                let w = w.trim_start_matches("-o=").trim_start_matches("--output=");
                let (format, template) = w.split_once('=')?;
                matches!(format, "jsonpath" | "jsonpath-as-json" | "custom-columns")
                    .then(|| template.trim_matches(|c| c == '\'' || c == '"').to_string())
            })
            .collect()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn string_literals_are_read_as_rustc_reads_them() {
            assert_eq!(
                rust_string(r#"a\"b\\c\n" rest"#).as_deref(),
                Some("a\"b\\c\n")
            );
            assert_eq!(rust_string("x\\\n    y\""), Some("xy".to_string()));
            assert_eq!(rust_string(r#"\u{d55c}""#), Some("한".to_string()));
            assert_eq!(rust_string("unterminated"), None);
        }

        #[test]
        fn heredoc_bodies_are_the_lines_between_the_markers() {
            let script = "kubectl apply -f - <<EOF\nkind: Pod\nEOF\nkubectl get pods\n";
            assert_eq!(heredoc_bodies(script), vec!["kind: Pod\n".to_string()]);
        }

        #[test]
        fn output_templates_are_found_in_a_line() {
            let line = "kubectl get pods -o=jsonpath='{.items[*].metadata.name}' -o custom-columns=N:.metadata.name";
            assert_eq!(
                output_templates(line),
                vec!["{.items[*].metadata.name}", "N:.metadata.name"]
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_final_status_and_stats_are_read_from_libfuzzers_output() {
        let lines: Vec<String> = [
            "#1048576\tpulse  cov: 1200 ft: 4000 corp: 300/20Kb exec/s: 9000 rss: 60Mb",
            "#1200000\tDONE   cov: 1234 ft: 5678 corp: 321/22Kb lim: 4096 exec/s: 9500 rss: 61Mb",
            "Done 1200000 runs in 126 second(s)",
            "stat::number_of_executed_units: 1200000",
            "stat::average_exec_per_sec:     9523",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            parse_stats(&lines),
            Stats {
                runs: 1_200_000,
                seconds: 126,
                exec_per_sec: 9523,
                cov: 1234,
                ft: 5678,
                corpus: 321,
                crash: None,
            }
        );
    }

    #[test]
    fn a_crash_names_the_file_libfuzzer_wrote() {
        let lines = vec![
            "artifact_prefix='/w/fuzz/artifacts/jsonpath/'; Test unit written to /w/fuzz/artifacts/jsonpath/crash-ab12".to_string(),
        ];
        assert_eq!(
            parse_stats(&lines).crash.as_deref(),
            Some("/w/fuzz/artifacts/jsonpath/crash-ab12")
        );
    }

    #[test]
    fn the_slowest_input_is_not_a_crash() {
        let lines = vec![
            "artifact_prefix='/w/a/'; Test unit written to /w/a/slow-unit-e24b663f".to_string(),
        ];
        assert_eq!(parse_stats(&lines).crash, None);
    }

    #[test]
    fn every_target_has_a_file_in_the_fuzz_crate() {
        for (target, _) in TARGETS {
            let path: std::path::PathBuf =
                crate::root().join(format!("fuzz/fuzz_targets/{target}.rs"));
            assert!(path.is_file(), "{}", path.display());
        }
    }
}
