//! Real kubectl as the judge of ours: each line runs with the real kubectl against
//! `kube-sandbox serve` and with the built-in kubectl on a lab booted from the same seed, after the
//! same earlier lines, and the two answers are compared byte for byte (stdout, stderr, exit code).
//!
//! Needs a real `kubectl` on PATH (kubectl 1.32 is on this project's machines); without one the
//! test says so and passes without comparing. `SERVE_DIFF=1` prints every difference.

use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;

use kube_sandbox::serve::net::{serve, Options, Started};
use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

/// The corpus: each line, and whether the two must agree byte for byte. A line that does not is
/// listed with the reason (docs/serve.md keeps the same list).
const CORPUS: &[(&str, Expect)] = &[
    (
        "kubectl version",
        Expect::Differs("real kubectl prints its own client version"),
    ),
    ("kubectl get nodes", Expect::Same),
    ("kubectl get nodes -o wide", Expect::Same),
    ("kubectl get no", Expect::Same),
    ("kubectl get node node1", Expect::Same),
    ("kubectl get nodes --show-labels", Expect::Same),
    ("kubectl get pods -A", Expect::Same),
    ("kubectl get pods --all-namespaces -o wide", Expect::Same),
    ("kubectl get pods -n kube-system", Expect::Same),
    (
        "kubectl get pods -n kube-system -l k8s-app=kube-dns",
        Expect::Same,
    ),
    ("kubectl get pods", Expect::Same),
    ("kubectl get ns", Expect::Same),
    ("kubectl get namespaces", Expect::Same),
    ("kubectl get deployments -A", Expect::Same),
    ("kubectl get ds -n kube-system", Expect::Same),
    ("kubectl get rs -n kube-system", Expect::Same),
    ("kubectl get svc -A", Expect::Same),
    ("kubectl get services", Expect::Same),
    ("kubectl get cm -n kube-system", Expect::Same),
    ("kubectl get sa", Expect::Same),
    ("kubectl get endpoints -n kube-system", Expect::Same),
    (
        "kubectl get clusterrolebindings cluster-admin",
        Expect::Same,
    ),
    ("kubectl get pod nope", Expect::Same),
    ("kubectl get pods -n nope", Expect::Same),
    ("kubectl get deploy nope", Expect::Same),
    ("kubectl get node nope", Expect::Same),
    ("kubectl get widgets", Expect::Same),
    ("kubectl run nginx --image=nginx", Expect::Same),
    ("kubectl get pods", Expect::Same),
    ("kubectl get pods -o wide", Expect::Same),
    ("kubectl get pod nginx", Expect::Same),
    ("kubectl label pod nginx tier=web", Expect::Same),
    ("kubectl get pods --show-labels", Expect::Same),
    ("kubectl get pods -l tier=web", Expect::Same),
    ("kubectl annotate pod nginx note=hi", Expect::Same),
    ("kubectl delete pod nginx", Expect::Same),
    ("kubectl get pods", Expect::Same),
    ("kubectl delete pod nginx", Expect::Same),
];

#[derive(Clone, Copy, Debug)]
enum Expect {
    Same,
    Differs(&'static str),
}

fn real_kubectl() -> Option<PathBuf> {
    let out = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .ok()?;
    out.status.success().then(|| PathBuf::from("kubectl"))
}

#[test]
fn real_kubectl_and_the_built_in_kubectl_print_the_same() {
    let Some(kubectl) = real_kubectl() else {
        eprintln!("SKIPPED: no real kubectl on PATH to compare with");
        return;
    };
    let dir = std::env::temp_dir().join(format!("kube-sandbox-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    let (tx, rx) = mpsc::channel::<Started>();
    let options = Options {
        seed: 1,
        port: 0,
        kubeconfig: kubeconfig.clone(),
        settle_seconds: 120,
    };
    std::thread::spawn(move || {
        serve(options, |started| tx.send(started.clone()).unwrap()).unwrap();
    });
    let started = rx.recv().expect("serve starts");
    let mut shell = Shell::new(Lab::boot(1));
    let show = std::env::var_os("SERVE_DIFF").is_some();
    let mut same = 0;
    let mut failures = Vec::new();
    for (line, expect) in CORPUS {
        let args: Vec<&str> = line.split_whitespace().skip(1).collect();
        let real = Command::new(&kubectl)
            .args(&args)
            .env("KUBECONFIG", &started.kubeconfig)
            .env("KUBECACHEDIR", dir.join("cache"))
            .output()
            .expect("kubectl runs");
        let ours = shell.run_line(line);
        let real_out = String::from_utf8_lossy(&real.stdout);
        let real_err = String::from_utf8_lossy(&real.stderr);
        let real_code = real.status.code().unwrap_or(-1);
        let identical =
            real_out == ours.stdout && real_err == ours.stderr && real_code == ours.exit_code;
        if identical {
            same += 1;
        }
        if show && !identical {
            eprintln!(
                "--- {line}\nreal ({real_code}):\n{real_out}{real_err}\nours ({}):\n{}{}",
                ours.exit_code, ours.stdout, ours.stderr
            );
        }
        if matches!(expect, Expect::Same) && !identical {
            failures.push(*line);
        }
    }
    eprintln!(
        "serve: {same} of {} lines identical between real kubectl and the built-in one",
        CORPUS.len()
    );
    assert!(
        failures.is_empty(),
        "lines that should print the same do not (SERVE_DIFF=1 shows how): {failures:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
