//! The test summary: every check counted, one `N passed, M failed` line at the very end.

use std::process::ExitCode;

use crate::proc::Streamed;

#[derive(Debug, Default)]
pub struct Summary {
    pub passed: u64,
    pub failed: u64,
}

pub fn section(title: &str) {
    println!("\n==> {title}");
}

impl Summary {
    /// One check of our own (the size budget, an end-to-end step).
    pub fn record(&mut self, name: &str, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.passed += 1;
                println!("check {name} ... ok");
            }
            Err(e) => {
                self.failed += 1;
                println!("check {name} ... FAILED\n    {}", e.replace('\n', "\n    "));
            }
        }
    }

    /// Adds the counts of every `test result:` line of a cargo test run (libtest prints one
    /// per test binary and per doc-test run). A run that failed without reporting a failed
    /// test (it did not compile, a test binary crashed) counts as one failure.
    pub fn add_cargo_test(&mut self, run: Result<Streamed, String>) {
        let run = match run {
            Ok(r) => r,
            Err(e) => return self.record("test run started", Err(e)),
        };
        let (passed, failed) = count_test_results(&run.lines);
        self.passed += passed;
        self.failed += failed;
        if !run.success && failed == 0 {
            self.record("test run exits successfully", Err(run.describe_failure()));
        }
    }
}

/// Sums `N passed; M failed` over every libtest `test result:` line.
pub fn count_test_results(lines: &[String]) -> (u64, u64) {
    let mut passed = 0;
    let mut failed = 0;
    for line in lines {
        let Some(at) = line.find("test result:") else {
            continue;
        };
        for part in line[at..].split(';') {
            let words: Vec<&str> = part.split_whitespace().collect();
            // "test result: ok. 14 passed" / " 0 failed"
            if let [.., n, "passed"] = words.as_slice() {
                passed += n.parse::<u64>().unwrap_or(0);
            }
            if let [n, "failed"] = words.as_slice() {
                failed += n.parse::<u64>().unwrap_or(0);
            }
        }
    }
    (passed, failed)
}

/// Prints the summary as the very last line and turns it into the process exit code.
pub fn exit_code(summary: Summary) -> ExitCode {
    println!("\n{} passed, {} failed", summary.passed, summary.failed);
    if summary.failed == 0 && summary.passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn every_test_result_line_is_added_up() {
        let out = lines(
            "running 3 tests\n\
             test a ... ok\n\
             test result: ok. 14 passed; 0 failed; 0 ignored; 0 measured; 7 filtered out; finished in 0.00s\n\
             test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n\
             test result: ok. 0 passed; 0 failed; 0 ignored\n",
        );
        assert_eq!(count_test_results(&out), (16, 1));
    }

    #[test]
    fn lines_that_only_mention_passed_are_not_counted() {
        let out = lines("3 passed the check\ntest foo ... ok\n");
        assert_eq!(count_test_results(&out), (0, 0));
    }

    #[test]
    fn a_failed_run_without_a_failed_test_counts_as_one_failure() {
        let mut s = Summary::default();
        s.add_cargo_test(Ok(Streamed {
            success: false,
            code: Some(101),
            lines: lines("error[E0425]: cannot find value"),
        }));
        assert_eq!((s.passed, s.failed), (0, 1));
    }

    #[test]
    fn a_run_with_no_tests_at_all_is_not_green() {
        let code = exit_code(Summary::default());
        assert_eq!(code, ExitCode::FAILURE);
    }
}
