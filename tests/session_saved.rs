//! Keeping the student's work: a session saved (seed + inputs) and restored by replaying it is
//! the session that was saved: the same trace, store revision, objects, timeline, files and
//! shell state, through the JSON that storage, the export file and the share link carry.

use kube_sandbox::present::editor::{apply_line, EDITOR_FILE, EXAMPLES};
use kube_sandbox::present::saved::{Input, RestoreError, SavedState, SCHEMA_VERSION};
use kube_sandbox::present::session::Session;
use proptest::prelude::*;

/// A student's session touching every kind of input: typed lines, a heredoc, the editor's
/// Apply (a file, then a line), `kubectl edit` refused, saved and cancelled, simulated time,
/// VM power, ssh, and lines that fail.
fn live_session() -> Session {
    let mut s = Session::new(1);
    let run = |s: &mut Session, line: &str| s.submit_line(line).0;
    run(
        &mut s,
        "kubectl create deployment web --image=nginx --replicas=3",
    );
    run(&mut s, "kubectl get pods -o wide");
    run(&mut s, "kubectl apply -f - <<EOF");
    for line in [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: settings",
        "data:",
        "  mode: lab",
        "EOF",
    ] {
        run(&mut s, line);
    }
    let example = EXAMPLES[0].text;
    s.write_file(EDITOR_FILE, example)
        .expect("the editor saves");
    run(&mut s, &apply_line());
    let out = run(&mut s, "kubectl edit deployment web");
    let text = out.edit.expect("kubectl edit opens the editor");
    let (bad, _) = s.save_edit(&text.replace("\n  replicas: 3\n", "\n  replicas: -1\n"));
    assert_ne!(bad.exit_code, 0, "a refused edit stays open");
    let (good, _) = s.save_edit(&text.replace("\n  replicas: 3\n", "\n  replicas: 4\n"));
    assert_eq!(
        good.stdout, "deployment.apps/web edited\n",
        "{}",
        good.stderr
    );
    run(&mut s, "kubectl edit deployment web");
    s.cancel_edit();
    run(&mut s, "kubectl scale deployment web --replicas=2");
    run(&mut s, "kubectl get pods --no-such-flag");
    run(&mut s, "vagrant halt node2");
    run(&mut s, "sleep 60");
    run(&mut s, "ssh node1");
    run(&mut s, "crictl ps");
    run(&mut s, "exit");
    run(
        &mut s,
        "kubectl expose deployment web --port=80 --type=NodePort",
    );
    run(&mut s, "echo done > notes.txt");
    while s.busy() {
        s.work(usize::MAX);
    }
    s
}

/// What must be equal between a live session and its restored copy. Reads only (the outputs
/// below come from lines run on each afterwards, the same lines on both).
fn assert_same(live: &mut Session, restored: &mut Session) {
    assert_eq!(restored.trace_fingerprint(), live.trace_fingerprint());
    assert_eq!(
        restored.cluster().store().revision(),
        live.cluster().store().revision()
    );
    let commands = |s: &Session| {
        s.timeline()
            .commands
            .iter()
            .map(|c| (c.line.clone(), c.host.clone(), c.first, c.end))
            .collect::<Vec<_>>()
    };
    assert_eq!(commands(restored), commands(live));
    assert_eq!(restored.timeline().len(), live.timeline().len());
    assert_eq!(restored.live(), live.live());
    assert_eq!(restored.prompt(), live.prompt());
    assert_eq!(restored.host(), live.host());
    assert_eq!(restored.saved(), live.saved());
    for line in [
        "kubectl get all -A -o yaml",
        "kubectl get nodes",
        "cat notes.txt",
        "ls",
    ] {
        let (a, _) = live.run_line(line);
        let (b, _) = restored.run_line(line);
        assert_eq!(b, a, "{line}");
    }
    assert_eq!(restored.trace_fingerprint(), live.trace_fingerprint());
}

#[test]
fn a_restored_session_is_the_session_that_was_saved() {
    let mut live = live_session();
    let saved = live.saved();
    assert_eq!(saved.schema, SCHEMA_VERSION);
    assert!(saved.inputs.len() >= 25, "{:#?}", saved.inputs);
    assert!(saved
        .inputs
        .iter()
        .any(|i| matches!(i, Input::Edit { exit: 0, .. })));
    let mut restored = Session::restore(&saved).expect("the saved session replays");
    assert_same(&mut live, &mut restored);
}

#[test]
fn export_then_import_gives_the_same_state() {
    let mut live = live_session();
    live.set_lesson_progress(Some(serde_json::json!({"lesson": "tour", "step": 3})));
    let text = live.saved().encode();
    let imported = SavedState::decode(&text).expect("the export reads back");
    assert_eq!(imported, live.saved());
    let mut restored = Session::restore(&imported).expect("the import replays");
    assert_eq!(
        restored.lesson_progress(),
        Some(&serde_json::json!({"lesson": "tour", "step": 3}))
    );
    assert_same(&mut live, &mut restored);
    // And saved again, it is the same file.
    assert_eq!(restored.saved().encode(), live.saved().encode());
}

#[test]
fn a_session_saved_mid_heredoc_comes_back_mid_heredoc() {
    let mut live = Session::new(1);
    live.run_line("kubectl create namespace team");
    live.run_line("cat <<EOF > pod.yaml");
    live.run_line("apiVersion: v1");
    let mut restored = Session::restore(&live.saved()).expect("replays");
    assert_eq!(restored.prompt(), ">");
    for s in [&mut live, &mut restored] {
        s.run_line("kind: Namespace");
        s.run_line("EOF");
    }
    assert_same(&mut live, &mut restored);
}

#[test]
fn a_restore_from_another_seed_is_another_cluster_and_the_seed_is_kept() {
    let mut live = Session::new(42);
    live.run_line("kubectl create deployment web --image=nginx --replicas=3");
    let saved = live.saved();
    assert_eq!(saved.seed, 42);
    let mut restored = Session::restore(&saved).expect("replays");
    assert_eq!(restored.seed(), 42);
    assert_same(&mut live, &mut restored);
}

#[test]
fn a_line_that_now_ends_differently_stops_the_replay_with_its_place() {
    let mut saved = SavedState::new(1);
    saved.inputs = vec![
        Input::Line {
            line: "kubectl create deployment web --image=nginx".into(),
            exit: 0,
        },
        Input::Line {
            line: "kubectl get deployment nothere".into(),
            exit: 0,
        },
    ];
    let err = Session::restore(&saved).err().expect("the replay diverges");
    assert_eq!(
        err,
        RestoreError::Diverged {
            index: 1,
            line: "kubectl get deployment nothere".into(),
            saved: 0,
            now: 1,
        }
    );
    assert!(err
        .to_string()
        .contains("input 2 (`kubectl get deployment nothere`)"));
}

/// A small saved session, made once for the corruption cases.
static SAVED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let mut live = Session::new(1);
    live.run_line("kubectl create deployment web --image=nginx --replicas=1");
    live.run_line("kubectl get pods");
    live.saved().encode()
});

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever storage or a link hands over, decoding gives a state or an error, never a panic;
    /// a state that decodes replays or stops with an error, never a panic.
    #[test]
    fn corrupted_states_never_panic(cut in 0usize..400, flip in 0usize..400, byte in any::<u8>()) {
        let mut bytes = SAVED.clone().into_bytes();
        if !bytes.is_empty() {
            let at = flip % bytes.len();
            bytes[at] = byte;
        }
        bytes.truncate(cut.max(1).min(bytes.len()));
        let corrupted = String::from_utf8_lossy(&bytes);
        if let Ok(state) = SavedState::decode(&corrupted) {
            if state.inputs.len() <= 4 {
                let _ = Session::restore(&state);
            }
        }
    }
}
