//! The session both fingerprint tests run: a fresh lab, a Deployment, its pods deleted and
//! replaced, time passing.

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

pub const SEED: u64 = 1;

pub const LINES: &[&str] = &[
    "kubectl create deployment web --image=nginx --replicas=3",
    "kubectl get pods -o wide",
    "kubectl delete pod -l app=web --wait=false",
    "sleep 30",
    "kubectl get pods",
];

/// Runs the session on the shell `boot` gives for SEED and returns the trace's fingerprint.
pub fn run(boot: impl Fn(u64) -> Shell<Lab>) -> String {
    let mut shell = boot(SEED);
    for line in LINES {
        shell.run_line(line);
    }
    shell.backend().trace().fingerprint()
}
