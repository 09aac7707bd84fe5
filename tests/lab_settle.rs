//! After each command the shell lets the lab settle: the work the command caused is done, and the
//! clock does not race on through node heartbeats.

use kube_sandbox::sim::clock::TICKS_PER_SECOND;
use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

const LIMIT_TICKS: u64 = 120 * TICKS_PER_SECOND;

#[test]
fn a_read_on_a_settled_lab_does_not_move_the_clock() {
    let mut lab = Lab::boot(1);
    let before = lab.cluster.now();
    lab.cluster.run_until_settled(LIMIT_TICKS);
    assert_eq!(
        lab.cluster.now(),
        before,
        "nothing was pending, so no time passes"
    );
}

#[test]
fn a_new_deployment_settles_once_its_pods_run_well_before_the_limit() {
    let mut shell = Shell::new(Lab::boot(1).cluster);
    let start = shell.backend().now();
    let out = shell.run_line("kubectl create deployment web --image=nginx --replicas=3");
    assert_eq!(out.stdout, "deployment.apps/web created\n");
    let took = shell.backend().now() - start;
    assert!(took < LIMIT_TICKS / 2, "settled after {took} ticks");
    let pods = shell.run_line("kubectl get pods --no-headers");
    let running = pods
        .stdout
        .lines()
        .filter(|l| l.contains(" Running "))
        .count();
    assert_eq!(running, 3, "{}", pods.stdout);
}

#[test]
fn heartbeats_alone_never_keep_a_run_busy_but_sleep_still_passes_time() {
    let mut shell = Shell::new(Lab::boot(2).cluster);
    let start = shell.backend().now();
    shell.run_line("sleep 30");
    assert_eq!(shell.backend().now() - start, 30 * TICKS_PER_SECOND);
}
