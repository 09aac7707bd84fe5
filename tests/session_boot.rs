//! The page's boot: `Session::starting` runs the kubeadm boot in slices after the first frame.
//! Sliced or not, it is the same boot: the same trace, and the same cluster for the first line.

mod common;

use common::CREATE;
use kube_sandbox::present::session::Session;
use kube_sandbox::sim::lab::{Lab, BOOT_SETTLE_TICKS};

/// Runs the boot in slices of `budget` rounds; returns how many slices it took.
fn boot_in_slices(session: &mut Session, budget: usize) -> usize {
    let mut slices = 0;
    while session.booting() {
        assert_eq!(session.work(budget), None, "the boot adds no beats");
        slices += 1;
    }
    slices
}

#[test]
fn a_boot_in_slices_is_the_boot_in_one_go() {
    let booted = Session::new(1);
    assert!(!booted.busy() && !booted.booting());

    let mut session = Session::starting(1);
    assert!(session.booting() && session.busy());
    let slices = boot_in_slices(&mut session, 3);
    assert!(slices >= 50, "a boot of {slices} slices was not sliced");
    assert!(!session.busy());
    assert_eq!(session.trace_fingerprint(), booted.trace_fingerprint());
    assert_eq!(session.timeline().len(), 0);
    assert_eq!(session.scene(0), booted.scene(0));
}

#[test]
fn the_first_frame_shows_the_vms_and_the_boot_fills_them() {
    let mut session = Session::starting(1);
    let first = session.scene(0);
    assert_eq!(
        first.nodes.keys().collect::<Vec<_>>(),
        ["master", "node1", "node2"],
        "the VMs are on the first frame"
    );
    let pods = |view: &kube_sandbox::present::cluster_view::ClusterView| {
        view.pods_by_node.values().map(Vec::len).sum::<usize>()
    };
    assert_eq!(pods(&first), 0, "no component has run yet");
    boot_in_slices(&mut session, 50);
    let booted = session.scene(0);
    assert!(
        pods(&booted) >= 10,
        "control plane, CoreDNS, kube-proxy and flannel: {:?}",
        booted.pods_by_node
    );
}

#[test]
fn a_line_typed_while_the_lab_boots_runs_on_the_booted_lab() {
    let mut at_once = Session::new(1);
    let (expected, _) = at_once.run_line(CREATE);

    let mut session = Session::starting(1);
    session.work(20);
    assert!(session.booting(), "typed mid-boot");
    let (out, first) = session.run_line(CREATE);
    assert_eq!(out, expected);
    assert_eq!(first, Some(0), "the line's beats are the first");
    assert!(!session.booting());
    assert_eq!(session.trace_fingerprint(), at_once.trace_fingerprint());
    assert_eq!(session.timeline().len(), at_once.timeline().len());
}

#[test]
fn a_slice_is_a_part_of_a_step_so_one_step_is_not_one_long_task() {
    let steps = Lab::boot_staged(1)
        .cluster
        .run_until_idle(BOOT_SETTLE_TICKS)
        .steps;
    let mut session = Session::starting(1);
    let slices = boot_in_slices(&mut session, 1);
    // Each step is its deliveries and then each component with work, one per slice.
    assert!(
        slices > 2 * steps,
        "{slices} slices for {steps} steps: steps were not split"
    );
}
