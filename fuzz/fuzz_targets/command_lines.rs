//! Whole command lines on the booted lab (`Shell::new(Lab::boot(1))`), as a student types them:
//! kubectl's verbs, etcdctl, ssh into the VMs, crictl, systemctl, vagrant, curl, heredocs and
//! redirections. The shell must answer every line with output or a kubectl-like error.
//!
//! An input is one of two things:
//! - text (any input not starting with byte 0xFF, which never occurs in UTF-8): its lines are
//!   typed as they are. The seeds are lines from the project's fixtures and tests;
//! - 0xFF then bytes that drive [`kube_sandbox_fuzz::Lines`]: lines built from tables of verbs,
//!   resources, names and flags, so mutations stay plausible and reach deep into each verb.
//!
//! Booting takes about 100 ms, so one lab serves many inputs and is booted again every
//! [`INPUTS_PER_BOOT`] inputs to keep its state (and the time each line takes) bounded. A crash
//! that needs earlier inputs' state may then not reproduce alone; `FUZZ_PRINT_LINES=1` prints
//! the lines an input types, to turn a structured crash into a readable regression test.
#![no_main]

use std::cell::RefCell;

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;
use libfuzzer_sys::fuzz_target;

/// Inputs run on one booted lab before it is booted again. Few: after a few hundred inputs'
/// workloads (DaemonSets, Deployments, Services) a `sleep 400` took up to 78 s instead of 1.5.
const INPUTS_PER_BOOT: u32 = 16;
/// Simulated time the shell lets the cluster settle after each line (as `shell_no_panic.rs`).
const SETTLE_TICKS: u64 = 2_000;

struct Booted {
    shell: Shell<Lab>,
    inputs: u32,
}

fn boot() -> Booted {
    let mut shell = Shell::new(Lab::boot(1));
    shell.set_settle_ticks(SETTLE_TICKS);
    Booted { shell, inputs: 0 }
}

thread_local! {
    static LAB: RefCell<Option<Booted>> = const { RefCell::new(None) };
}

fuzz_target!(|data: &[u8]| {
    let lines = kube_sandbox_fuzz::lines_of(data);
    if std::env::var_os("FUZZ_PRINT_LINES").is_some() {
        for line in &lines {
            eprintln!("line: {line:?}");
        }
    }
    LAB.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|b| b.inputs >= INPUTS_PER_BOOT) {
            *slot = Some(boot());
        }
        let booted = slot.as_mut().expect("booted above");
        booted.inputs += 1;
        for line in &lines {
            booted.shell.run_line(line);
        }
        // Close a heredoc or an ssh session the input left open, so the next input starts at
        // the lab's prompt.
        if booted.shell.is_continuing() {
            booted.shell.run_line("EOF");
        }
        if booted.shell.is_continuing() {
            *slot = None;
        } else if booted.shell.host() != "master" {
            booted.shell.run_line("exit");
        }
    });
});
