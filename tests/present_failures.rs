//! The Failures panel's buttons run real lines: each stop and start line of every row runs on a
//! fresh lab without an error, and the stop a container button's line stops a running container.

use kube_sandbox::present::failures::{killable, rows, Target};
use kube_sandbox::present::session::Session;

#[test]
fn every_stop_and_start_line_runs_cleanly_and_the_vm_row_halts_and_boots_the_vm() {
    let all = rows();
    for target in [
        Target::Vm,
        Target::Kubelet,
        Target::Containerd,
        Target::Network,
        Target::Scheduler,
        Target::ControllerManager,
    ] {
        assert!(all.iter().any(|r| r.target == target), "{target:?}");
    }
    assert!(!all
        .iter()
        .any(|r| r.vm == "master" && r.target == Target::Vm));
    for row in &all {
        let mut session = Session::new(1);
        for line in [&row.stop, &row.start] {
            let (out, _) = session.run_line(line);
            assert_eq!(out.exit_code, 0, "{line}: {}", out.stderr);
            assert!(out.stderr.is_empty(), "{line}: {}", out.stderr);
        }
        assert_eq!(
            session.host(),
            "master",
            "{}: the terminal stays on master",
            row.stop
        );
    }
    let mut session = Session::new(1);
    session.run_line("vagrant halt node2");
    session.run_line("sleep 60");
    let (nodes, _) = session.run_line("kubectl get node node2 --no-headers");
    assert!(nodes.stdout.contains("NotReady"), "{}", nodes.stdout);
}

#[test]
fn a_running_web_container_can_be_stopped_from_its_button_and_comes_back() {
    let mut session = Session::new(1);
    session.run_line("kubectl create deployment web --image=nginx --replicas=3");
    let containers = killable(&session);
    let web: Vec<_> = containers
        .iter()
        .filter(|k| k.pod.starts_with("default/web-"))
        .collect();
    assert_eq!(web.len(), 3, "{containers:?}");
    assert!(containers.iter().all(|k| k.node != "master"));
    let target = web[0];
    assert!(target
        .line
        .starts_with(&format!("ssh {} crictl stop ", target.node)));
    let (out, _) = session.run_line(&target.line);
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    session.run_line("sleep 30");
    let name = target.pod.trim_start_matches("default/");
    let (pod, _) = session.run_line(&format!("kubectl get pod {name} --no-headers"));
    let restarts = pod.stdout.split_whitespace().nth(3).unwrap_or("");
    assert!(restarts.starts_with('1'), "restarted once: {}", pod.stdout);
}
