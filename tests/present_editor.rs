//! The YAML editor's examples and markers against the real shell: each example applies through
//! `kubectl apply -f editor.yaml` as the page runs it, and a typo is marked where it is.

use kube_sandbox::present::editor::{apply_line, markers, EDITOR_FILE, EXAMPLES};
use kube_sandbox::present::session::Session;

fn apply(session: &mut Session, text: &str) -> (String, String) {
    session.write_file(EDITOR_FILE, text).expect("saved");
    let (out, _) = session.run_line(&apply_line());
    (out.stdout, out.stderr)
}

#[test]
fn every_example_applies_cleanly_and_its_pods_start_except_the_gpu_pod() {
    for example in EXAMPLES {
        let mut session = Session::new(1);
        let (stdout, stderr) = apply(&mut session, example.text);
        assert!(stderr.is_empty(), "{}: {stderr}", example.id);
        assert!(stdout.contains(" created"), "{}: {stdout}", example.id);
        let (out, _) = session.run_line("sleep 60");
        assert!(out.stderr.is_empty());
        let (pods, _) = session.run_line("kubectl get pods -A --no-headers");
        let mine: Vec<&str> = pods
            .stdout
            .lines()
            .filter(|l| {
                let name = l.split_whitespace().nth(1).unwrap_or("");
                ["web-", "kubia", "fluentd-", "hello-"]
                    .iter()
                    .any(|p| name.starts_with(p))
            })
            .collect();
        assert!(!mine.is_empty(), "{}: no pods\n{}", example.id, pods.stdout);
        for line in mine {
            let status = line.split_whitespace().nth(3).unwrap_or("");
            let want: &[&str] = match example.id {
                "gpu-pod" => &["Pending"],
                "job" => &["Completed", "Running"],
                _ => &["Running"],
            };
            assert!(want.contains(&status), "{}: {line}", example.id);
        }
    }
}

#[test]
fn a_typo_applied_from_the_editor_is_refused_with_kubectls_words_and_marked_at_its_line() {
    let mut session = Session::new(1);
    let text = EXAMPLES[0]
        .text
        .replace("        image: nginx:1.27", "        imagee: nginx:1.27");
    let (stdout, stderr) = apply(&mut session, &text);
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(
        stderr,
        "Error from server (BadRequest): error when creating \"editor.yaml\": Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.template.spec.containers[0].imagee\"\n"
    );
    let marks = markers(&text, &stderr);
    assert_eq!(marks.len(), 1);
    let line = text.lines().nth(marks[0].line - 1).unwrap();
    assert_eq!(line, "        imagee: nginx:1.27");
    assert_eq!(marks[0].column, 9);
    // The text is the student's: still in the file, as typed.
    let (cat, _) = session.run_line("cat editor.yaml");
    assert_eq!(cat.stdout, text);
}
