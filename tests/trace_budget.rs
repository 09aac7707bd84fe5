//! A long session within a memory budget: the trace forgets whole typed lines from its oldest
//! end, seqs stay absolute, and the store's history is compacted to where the trace begins.

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;
use kube_sandbox::sim::trace::TraceKind;

#[test]
fn over_budget_the_oldest_lines_go_and_the_store_is_compacted_where_the_trace_begins() {
    let mut shell = Shell::new(Lab::boot(1));
    // Boot writes about 2 500 events and a Deployment of three pods about 600: a budget of
    // 3 000 holds one such line and a bit.
    shell.backend_mut().set_trace_capacity_events(3_000);
    assert_eq!(shell.backend().history_floor(), (0, 0), "boot fits");
    let lines = [
        "kubectl create deployment web --image=nginx --replicas=3",
        "kubectl scale deployment web --replicas=1",
        "kubectl create deployment api --image=nginx --replicas=2",
    ];
    for line in lines {
        shell.run_line(line);
    }
    let lab = shell.backend();
    let trace = lab.trace();
    assert!(trace.len() <= 3_000, "{} events kept", trace.len());
    let first = trace.events().first().expect("events kept");
    let (floor_seq, floor_revision) = lab.history_floor();
    assert!(floor_seq > 0, "something was dropped");
    assert_eq!(first.seq, floor_seq, "seqs stay absolute");
    assert_eq!(trace.first_seq(), floor_seq);
    assert!(
        matches!(first.kind, TraceKind::Command { .. }),
        "the trace starts with a whole line: {:?}",
        first.kind
    );
    assert!(trace.get(floor_seq - 1).is_none());
    assert_eq!(trace.next_seq(), floor_seq + trace.len() as u64);
    // The last line is kept whole, with its Settled.
    let last_root = trace
        .events()
        .iter()
        .rev()
        .find(|e| matches!(&e.kind, TraceKind::Command { line, .. } if line == lines[2]))
        .expect("the last line is kept");
    assert!(trace
        .since(last_root.seq)
        .iter()
        .any(|e| matches!(e.kind, TraceKind::Settled { command, .. } if command == last_root.seq)));
    // The store forgot what the trace forgot, and no more: every kept commit is readable.
    assert!(floor_revision > 0);
    assert_eq!(lab.store().compact_revision(), floor_revision);
    for e in trace.events() {
        if let TraceKind::StoreCommit { revision, .. } = e.kind {
            assert!(revision > floor_revision, "commit @{revision} kept");
        }
    }
}
