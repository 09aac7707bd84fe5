//! A rollout that makes no progress for `progressDeadlineSeconds` is reported as stuck (issue 13):
//! `Progressing False ProgressDeadlineExceeded`, and `kubectl rollout status` says so, as upstream.

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

fn run(shell: &mut Shell<Lab>, line: &str) -> (i32, String, String) {
    let out = shell.run_line(line);
    (out.exit_code, out.stdout, out.stderr)
}

const PROGRESSING: &str =
    "kubectl get deploy web -o jsonpath='{.status.conditions[?(@.type==\"Progressing\")].reason}'";

#[test]
fn an_image_that_cannot_be_pulled_exceeds_the_progress_deadline_after_600_seconds() {
    let mut shell = Shell::new(Lab::boot(1));
    let (code, _, err) = run(
        &mut shell,
        "kubectl create deployment web --image=nginx:no-such-tag --replicas=2",
    );
    assert_eq!(code, 0, "{err}");
    // Its pods were created: that is progress (more updated replicas), and the deadline counts
    // from it. Then none becomes ready.
    assert_eq!(run(&mut shell, PROGRESSING).1, "ReplicaSetUpdated");
    run(&mut shell, "sleep 500");
    assert_eq!(run(&mut shell, PROGRESSING).1, "ReplicaSetUpdated");
    run(&mut shell, "sleep 120");
    assert_eq!(run(&mut shell, PROGRESSING).1, "ProgressDeadlineExceeded");
    let (_, status, _) = run(
        &mut shell,
        "kubectl get deploy web -o jsonpath='{.status.conditions[?(@.type==\"Progressing\")].status}'",
    );
    assert_eq!(status, "False");
    let (_, message, _) = run(
        &mut shell,
        "kubectl get deploy web -o jsonpath='{.status.conditions[?(@.type==\"Progressing\")].message}'",
    );
    assert!(
        message.starts_with("ReplicaSet \"web-")
            && message.ends_with("\" has timed out progressing."),
        "{message}"
    );
    let (code, _, err) = run(&mut shell, "kubectl rollout status deployment/web");
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "error: deployment \"web\" exceeded its progress deadline\n"
    );
    // A fix starts a new rollout, which progresses and completes.
    run(
        &mut shell,
        "kubectl set image deployment/web nginx=nginx:1.27",
    );
    run(&mut shell, "sleep 60");
    assert_eq!(run(&mut shell, PROGRESSING).1, "NewReplicaSetAvailable");
    let (code, out, err) = run(&mut shell, "kubectl rollout status deployment/web");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "deployment \"web\" successfully rolled out\n");
}

#[test]
fn a_rollout_that_keeps_progressing_never_times_out_and_a_finished_one_stays_finished() {
    let mut shell = Shell::new(Lab::boot(2));
    run(
        &mut shell,
        "kubectl create deployment web --image=nginx --replicas=3",
    );
    run(&mut shell, "sleep 30");
    assert_eq!(run(&mut shell, PROGRESSING).1, "NewReplicaSetAvailable");
    // Long after, with nothing new to do, it is still a finished rollout.
    run(&mut shell, "sleep 900");
    assert_eq!(run(&mut shell, PROGRESSING).1, "NewReplicaSetAvailable");
    let (_, out, _) = run(&mut shell, "kubectl get deploy web --no-headers");
    assert!(out.starts_with("web   3/3 "), "{out}");
}

#[test]
fn a_shorter_deadline_from_the_manifest_is_the_one_counted() {
    let mut shell = Shell::new(Lab::boot(3));
    shell
        .write_file(
            "web.yaml",
            "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  progressDeadlineSeconds: 30
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:no-such-tag
",
        )
        .expect("the file is written");
    let (code, _, err) = run(&mut shell, "kubectl apply -f web.yaml");
    assert_eq!(code, 0, "{err}");
    run(&mut shell, "sleep 45");
    assert_eq!(run(&mut shell, PROGRESSING).1, "ProgressDeadlineExceeded");
}
