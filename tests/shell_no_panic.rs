//! No line a student types or pastes makes the shell panic: random command lines built from
//! kubectl's and bash's own vocabulary, random bytes, and random YAML documents applied through
//! a heredoc, all against the real cluster.
#![cfg(not(target_arch = "wasm32"))]

use kube_sandbox::sim::cluster::Cluster;
use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;
use proptest::prelude::*;

#[path = "support/shell_words.rs"]
mod shell_words;
use shell_words::WORDS;

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(WORDS).prop_map(str::to_string),
        1 => "[ -~]{0,12}",
        1 => any::<String>().prop_map(|s| s.chars().take(12).collect()),
    ]
}

fn line() -> impl Strategy<Value = String> {
    proptest::collection::vec(word(), 0..10).prop_map(|ws| ws.join(" "))
}

/// A YAML-ish document: real keys and shapes mixed with junk.
fn yaml_doc() -> impl Strategy<Value = String> {
    let key = proptest::sample::select(
        &[
            "apiVersion",
            "kind",
            "metadata",
            "name",
            "namespace",
            "labels",
            "spec",
            "replicas",
            "selector",
            "matchLabels",
            "template",
            "containers",
            "image",
            "ports",
            "containerPort",
            "data",
            "status",
            "x",
            "- name",
            "-",
            "---",
            "...",
            "{",
            "[",
            "&a",
            "*a",
            "<<",
        ][..],
    );
    let value = proptest::sample::select(
        &[
            "",
            "v1",
            "apps/v1",
            "Deployment",
            "Pod",
            "Namespace",
            "ConfigMap",
            "web",
            "3",
            "-1",
            "true",
            "null",
            "{}",
            "[]",
            "[1, 2",
            "'x'",
            "\"y",
            "nginx",
            "80",
            "1e999",
            "~",
            "|",
            ">-",
            "*a",
            "&a x",
        ][..],
    );
    proptest::collection::vec((0usize..8, key, value), 0..24).prop_map(|lines| {
        lines
            .into_iter()
            .map(|(indent, k, v)| format!("{}{k}: {v}", " ".repeat(indent)))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Every failure says something: on the terminal (nslookup's NXDOMAIN, as the real one, on
/// stdout), or in the file a `>` sent stdout to (`> out nslookup x` prints nothing, as in bash).
/// The one failure that is silent on purpose is curl's with `-s` and without `-S`, as curl's.
fn failure_says_something(line: &str, out: &kube_sandbox::sim::kubectl::Output) -> bool {
    out.exit_code == 0
        || !out.stderr.is_empty()
        || !out.stdout.is_empty()
        || line.contains('>')
        || curl_told_to_be_silent(line)
}

fn curl_told_to_be_silent(line: &str) -> bool {
    let mut words = line.split_whitespace().skip_while(|w| *w != "curl").skip(1);
    words.any(|w| {
        w == "--silent"
            || (w.starts_with('-') && !w.starts_with("--") && w.contains('s') && !w.contains('S'))
    })
}

fn lab_shell() -> Shell<Lab> {
    let mut sh = Shell::new(Lab::boot(1));
    sh.set_settle_ticks(2_000);
    sh
}

fn shell() -> Shell<Cluster> {
    let mut sh = Shell::new(Cluster::new(1));
    sh.set_settle_ticks(2_000);
    sh
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn no_typed_line_panics(lines in proptest::collection::vec(line(), 1..6)) {
        let mut sh = shell();
        for l in &lines {
            let out = sh.run_line(l);
            prop_assert!(failure_says_something(l, &out), "silent failure for {l:?}");
        }
        sh.run_line("EOF");
    }

    #[test]
    fn no_typed_line_panics_on_the_lab(lines in proptest::collection::vec(line(), 1..6)) {
        // The booted lab: VMs, kube-proxy and CoreDNS behind ssh, crictl, curl and the verbs.
        let mut sh = lab_shell();
        for l in &lines {
            let out = sh.run_line(l);
            prop_assert!(failure_says_something(l, &out), "silent failure for {l:?}");
        }
    }

    #[test]
    fn no_pasted_manifest_panics(docs in proptest::collection::vec(yaml_doc(), 1..3)) {
        let mut sh = shell();
        for verb in ["apply", "create", "delete"] {
            sh.run_line(&format!("kubectl {verb} -f - <<EOF"));
            for doc in &docs {
                for l in doc.lines() {
                    sh.run_line(l);
                }
                sh.run_line("---");
            }
            let out = sh.run_line("EOF");
            prop_assert!(!sh.is_continuing());
            prop_assert!(out.exit_code == 0 || !out.stderr.is_empty());
        }
    }
}

#[test]
fn an_unfinished_heredoc_keeps_buffering_instead_of_failing() {
    let mut sh = shell();
    sh.run_line("cat <<END > f");
    for _ in 0..1000 {
        sh.run_line("EOF");
    }
    assert!(sh.is_continuing());
    sh.run_line("END");
    assert!(!sh.is_continuing());
    assert_eq!(sh.run_line("cat f").stdout.lines().count(), 1000);
}
