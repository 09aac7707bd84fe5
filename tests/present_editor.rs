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

#[test]
fn kubectl_edit_opens_the_object_in_the_editor_and_a_save_patches_it_as_kubectl_edit_does() {
    let mut session = Session::new(1);
    session.run_line("kubectl create deployment web --image=nginx --replicas=3");
    let (out, _) = session.run_line("kubectl edit deployment web");
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    let text = out.edit.expect("the editor opens");
    assert!(
        text.starts_with("# Please edit the object below."),
        "{text}"
    );
    assert!(text.contains("\n  replicas: 3\n"), "{text}");

    // Nothing changed: kubectl's own words, and no request.
    let (out, first) = session.save_edit(&text);
    assert_eq!(out.stderr, "Edit cancelled, no changes made.\n");
    assert_eq!(first, None);

    // A refused change keeps the edit open; a good one is patched and traced under the line.
    session.run_line("kubectl edit deployment web");
    let bad = text.replace("\n  replicas: 3\n", "\n  replicas: -1\n");
    let (out, _) = session.save_edit(&bad);
    assert_ne!(out.exit_code, 0);
    assert!(
        out.stderr.contains("spec.replicas: Invalid value: -1"),
        "{}",
        out.stderr
    );
    let good = text.replace("\n  replicas: 3\n", "\n  replicas: 5\n");
    let (out, first) = session.save_edit(&good);
    assert_eq!(out.stdout, "deployment.apps/web edited\n", "{}", out.stderr);
    while session.busy() {
        session.work(usize::MAX);
    }
    assert!(first.is_some() || session.timeline().commands.len() > 2);
    let (replicas, _) = session.run_line("kubectl get deployment web -o jsonpath={.spec.replicas}");
    assert_eq!(replicas.stdout, "5");
    let edits = session
        .timeline()
        .commands
        .iter()
        .filter(|c| c.line == "kubectl edit deployment web")
        .count();
    assert!(edits >= 2, "the save is traced under the edit's line");

    // An object that is not there: kubectl's NotFound, and no editor.
    let (out, _) = session.run_line("kubectl edit deployment nope");
    assert_eq!(out.edit, None);
    assert_eq!(
        out.stderr,
        "Error from server (NotFound): deployments.apps \"nope\" not found\n"
    );
}
