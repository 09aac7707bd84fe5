//! Golden transcripts: a script typed into the shell over the real cluster, compared with
//! `tests/fixtures/shell/*.out`. Set `UPDATE_GOLDEN=1` to rewrite a transcript after checking
//! the difference by eye.
#![cfg(not(target_arch = "wasm32"))]

use kube_sandbox::sim::cluster::Cluster;
use kube_sandbox::sim::kubectl::Shell;

/// Types each line of `script` and records what a terminal would show: the prompt and the line,
/// then standard output, then standard error marked with `!` (the browser draws it in red),
/// then a non-zero exit code.
fn transcript(seed: u64, script: &str) -> String {
    let mut shell = Shell::new(Cluster::new(seed));
    let mut out = String::new();
    for line in script.lines() {
        out.push_str(shell.prompt());
        out.push_str(line);
        out.push('\n');
        let result = shell.run_line(line);
        out.push_str(&result.stdout);
        for err in result.stderr.lines() {
            out.push_str("! ");
            out.push_str(err);
            out.push('\n');
        }
        if result.exit_code != 0 {
            out.push_str(&format!("[exit {}]\n", result.exit_code));
        }
    }
    out
}

fn check_golden(name: &str) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/shell/");
    let script = std::fs::read_to_string(format!("{dir}{name}.sh")).unwrap_or_default();
    assert!(!script.is_empty(), "missing script {name}.sh");
    let actual = transcript(1, &script);
    let golden_path = format!("{dir}{name}.out");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let _ = std::fs::write(&golden_path, &actual);
    }
    let expected = std::fs::read_to_string(&golden_path).unwrap_or_default();
    if actual != expected {
        for (i, (a, e)) in actual.lines().zip(expected.lines()).enumerate() {
            if a != e {
                panic!(
                    "{name}: first difference at line {}:\n  got:  {a}\n  want: {e}",
                    i + 1
                );
            }
        }
        panic!(
            "{name}: transcripts differ in length ({} vs {} lines)",
            actual.lines().count(),
            expected.lines().count()
        );
    }
}

#[test]
fn a_deployment_applied_from_a_heredoc_is_listed_read_from_etcd_and_deleted() {
    check_golden("deploy_web");
}

#[test]
fn the_same_seed_and_script_give_the_same_transcript() {
    let script = "kubectl create deployment web --image=nginx --replicas=2\nkubectl get deploy web -o json\nkubectl get events -A\n";
    assert_eq!(transcript(7, script), transcript(7, script));
}

#[test]
fn the_native_binary_prints_bare_output_without_a_prompt_when_piped() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let child = Command::new(env!("CARGO_BIN_EXE_kube-sandbox"))
        .args(["shell", "--seed", "3", "--settle=10"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        panic!("could not start the kube-sandbox binary");
    };
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(
            b"kubectl create namespace lab\nkubectl get ns lab -o name\nkubectl get pdos\n",
        );
    }
    let Ok(output) = child.wait_with_output() else {
        panic!("the kube-sandbox binary did not finish");
    };
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "namespace/lab created\nnamespace/lab\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: the server doesn't have a resource type \"pdos\"\n"
    );
    assert_eq!(output.status.code(), Some(1), "the last line's exit code");
}

#[test]
fn the_native_binary_refuses_bad_flags_clearly() {
    use std::process::Command;
    let Ok(output) = Command::new(env!("CARGO_BIN_EXE_kube-sandbox"))
        .args(["shell", "--sed", "3"])
        .output()
    else {
        panic!("could not start the kube-sandbox binary");
    };
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).starts_with("kube-sandbox: unknown flag: --sed\n")
    );
    let Ok(help) = Command::new(env!("CARGO_BIN_EXE_kube-sandbox"))
        .arg("--help")
        .output()
    else {
        panic!("could not start the kube-sandbox binary");
    };
    assert!(String::from_utf8_lossy(&help.stdout).starts_with("Usage: kube-sandbox shell"));
}

#[test]
fn mistakes_get_the_messages_kubectl_and_the_apiserver_give() {
    check_golden("errors");
}
