//! The session: the one lab a page (or a test) drives, the lines run on it, and the timeline of
//! what each line made the cluster do.
//!
//! This is the page's only door into the simulation: `src/web` talks to a [`Session`] and reads
//! [`Timeline`], [`ClusterView`] and the narration; it never imports `src/sim`.
//! Going back in time is reading the past (the timeline and the store's MVCC history at a
//! revision), never running anything again.

use std::collections::BTreeMap;

use crate::present::cluster_view::{ChipCache, ClusterView};
use crate::present::saved::{Input, RestoreError, SavedState};
use crate::present::timeline::{CommandBeats, Detail, Timeline};
use crate::sim::cluster::Run;
use crate::sim::cluster::{VM_POWERED_OFF, VM_POWERED_ON};
use crate::sim::kubectl::shell::CONTINUATION_PROMPT;
use crate::sim::kubectl::Shell;
use crate::sim::lab::{Lab, BOOT_SETTLE_TICKS};
use crate::sim::trace::{Seq, TraceKind};

/// What the terminal shows after a line: the shell's output, verbatim.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TerminalOutput {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
    /// `clear`: the terminal wipes its screen first.
    pub clear_screen: bool,
    /// `kubectl edit` opened this text in the editor: the page shows it there.
    pub edit: Option<String>,
}

impl From<crate::sim::kubectl::Output> for TerminalOutput {
    fn from(out: crate::sim::kubectl::Output) -> Self {
        TerminalOutput {
            stdout: out.stdout,
            stderr: out.stderr,
            exit_code: out.exit_code,
            clear_screen: out.clear_screen,
            edit: None,
        }
    }
}

/// The lab, its shell, and the timeline of the lines run so far.
pub struct Session {
    seed: u64,
    shell: Shell<Lab>,
    timeline: Timeline,
    detail: Detail,
    /// Lines of a heredoc being typed: they become one command when its terminator arrives.
    /// (The first line, the trace's length and the store's revision before it.)
    pending: Option<(String, usize, i64)>,
    /// The lab's boot, while it is still running ([`Session::starting`]).
    booting: Option<Run>,
    /// The line the cluster is still working on (the same three).
    working: Option<(String, usize, i64)>,
    /// Its beats so far, made from its events as they come, and the trace's seq they reach.
    building: Option<(CommandBeats, Seq)>,
    /// The pod chips the scenes made, for the next scenes.
    chips: std::cell::RefCell<ChipCache>,
    /// When a VM was powered off (true) or booted (false), by the trace event that says so: the
    /// store does not know a VM is off, only that its node stops reporting.
    power: BTreeMap<Seq, (String, bool)>,
    /// Each command's window of the trace, to build the timeline again in another detail.
    windows: Vec<Window>,
    /// Everything done to the session since its boot, in order: with the seed, the whole state
    /// ([`Session::saved`], [`Session::restore`]).
    log: Vec<Input>,
    /// The lesson's progress, opaque here: saved and restored with the log.
    lesson: Option<serde_json::Value>,
    /// How many times it was handed over ([`Session::changes`]).
    lesson_changes: usize,
}

/// One command's place in the trace: its line, where it ran, its events `start..end`, and the
/// store's revision before it.
struct Window {
    line: String,
    host: String,
    start: Seq,
    end: Seq,
    revision: i64,
}

impl Session {
    /// Boots the lab from `seed`: the session as [`Session::starting`] leaves it once its boot
    /// has run to the end.
    pub fn new(seed: u64) -> Session {
        let mut session = Session::starting(seed);
        session.finish_work();
        session
    }

    /// The lab from `seed` with its boot still to run: the VMs, components and add-on objects
    /// exist ([`Lab::boot_staged`]), and [`Session::work`] runs the boot in slices (the page
    /// draws the first frame before it) until the cluster is as [`Lab::boot`] leaves it, with the
    /// same trace. The boot is not a command: it adds no beats. A line submitted before the
    /// boot ends first finishes it.
    pub fn starting(seed: u64) -> Session {
        let lab = Lab::boot_staged(seed);
        let booting = Some(lab.cluster.begin_idle(BOOT_SETTLE_TICKS));
        let timeline = Timeline {
            base_revision: lab.cluster.store().revision(),
            ..Timeline::default()
        };
        let mut shell = Shell::new(lab);
        shell.set_defer_settle(true);
        // The page's editor is kubectl edit's $EDITOR.
        shell.attach_editor();
        Session {
            seed,
            booting,
            working: None,
            building: None,
            chips: Default::default(),
            shell,
            timeline,
            detail: Detail::default(),
            pending: None,
            power: BTreeMap::new(),
            windows: Vec::new(),
            log: Vec::new(),
            lesson: None,
            lesson_changes: 0,
        }
    }

    /// What to save to build this session again: its seed and everything done to it.
    pub fn saved(&self) -> SavedState {
        SavedState {
            lesson: self.lesson.clone(),
            inputs: self.log.clone(),
            ..SavedState::new(self.seed)
        }
    }

    /// Counts the changes to what [`Session::saved`] returns (inputs, lesson progress): the page
    /// saves again when it moves.
    pub fn changes(&self) -> usize {
        self.log.len() + self.lesson_changes
    }

    /// Boots the lab from the saved seed and replays every saved input to the end: the same
    /// trace, store, revision and timeline as the session that was saved. Stops at the first
    /// input that ends differently than it did ([`RestoreError::Diverged`]).
    pub fn restore(saved: &SavedState) -> Result<Session, RestoreError> {
        let mut session = Session::starting(saved.seed);
        for (index, input) in saved.inputs.iter().enumerate() {
            session.replay(index, input)?;
        }
        session.finish_work();
        session.lesson = saved.lesson.clone();
        Ok(session)
    }

    /// Replays one saved input (the `index`-th) as it was first done, leaving its work to
    /// [`Session::work`] as a typed line does (the page replays in its slices). The output is
    /// what the terminal showed then.
    pub fn replay(
        &mut self,
        index: usize,
        input: &Input,
    ) -> Result<(TerminalOutput, Option<usize>), RestoreError> {
        let (result, saved_exit) = match input {
            Input::Line { line, exit } => (self.submit_line(line), *exit),
            Input::Edit { edit, exit } => (self.save_edit(edit), *exit),
            Input::File { file, text } => {
                // A file the editor could not save then cannot be saved now either.
                let _ = self.write_file(file, text);
                return Ok((TerminalOutput::default(), None));
            }
            Input::CancelEdit { .. } => return Ok((self.cancel_edit(), None)),
        };
        if result.0.exit_code != saved_exit {
            let line = match input {
                Input::Line { line, .. } => line.clone(),
                _ => self.shell.open_edit_line().unwrap_or_default(),
            };
            return Err(RestoreError::Diverged {
                index,
                line,
                saved: saved_exit,
                now: result.0.exit_code,
            });
        }
        Ok(result)
    }

    /// The lesson's progress as last handed over ([`Session::set_lesson_progress`]).
    pub fn lesson_progress(&self) -> Option<&serde_json::Value> {
        self.lesson.as_ref()
    }

    /// Keeps the lesson's progress with the session, to be saved with it (the page autosaves
    /// after the action that hands it over).
    pub fn set_lesson_progress(&mut self, progress: Option<serde_json::Value>) {
        if self.lesson != progress {
            self.lesson = progress;
            self.lesson_changes += 1;
        }
    }

    /// Bounds the trace (and so the history the player can go back through) to `events`; for
    /// tests of a long session without running one.
    pub fn set_trace_capacity_events(&mut self, events: usize) {
        self.shell
            .backend_mut()
            .cluster
            .set_trace_capacity_events(events);
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The shell's prompt without its trailing space: `[root@master ~]#`, `>` in a heredoc.
    pub fn prompt(&self) -> String {
        self.shell.prompt().trim_end().to_string()
    }

    /// The VM the terminal is on (`ssh node1` moves it).
    pub fn host(&self) -> String {
        self.shell.host().to_string()
    }

    /// The cluster itself, for the panels' view models (`present::panels`), which read its
    /// store and trace. Read-only: everything that changes it goes through a line.
    pub fn cluster(&self) -> &crate::sim::cluster::Cluster {
        &self.shell.backend().cluster
    }

    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// The trace's fingerprint (see `Trace::fingerprint`): the same natively and in the page.
    pub fn trace_fingerprint(&self) -> String {
        self.shell.backend().cluster.trace().fingerprint()
    }

    /// Runs one line as the terminal's shell runs it and lets the cluster settle, then adds
    /// what it made the cluster do to the timeline. Returns where the line's beats start, if it
    /// completed a command.
    pub fn run_line(&mut self, line: &str) -> (TerminalOutput, Option<usize>) {
        let (output, first) = self.submit_line(line);
        if first.is_some() {
            return (output, first);
        }
        while self.busy() {
            if let Some(first) = self.work(usize::MAX) {
                return (output, Some(first));
            }
        }
        (output, None)
    }

    /// Runs one line and returns its output at once; the cluster's work after it is left to
    /// [`Session::work`] (the page runs it in slices between frames). A command that needs no
    /// work completes here and returns where its beats start.
    pub fn submit_line(&mut self, line: &str) -> (TerminalOutput, Option<usize>) {
        self.finish_work();
        let (start, revision) = match &self.pending {
            Some((_, start, revision)) => (*start, *revision),
            None => (
                self.shell.backend().cluster.trace().next_seq() as usize,
                self.shell.backend().cluster.store().revision(),
            ),
        };
        let label = match &self.pending {
            Some((first, ..)) => first.clone(),
            None => line.to_string(),
        };
        let out = self.shell.run_line(line);
        let output = TerminalOutput {
            edit: self.shell.take_opened_edit(),
            ..TerminalOutput::from(out)
        };
        self.log.push(Input::Line {
            line: line.to_string(),
            exit: output.exit_code,
        });
        if self.shell.prompt() == CONTINUATION_PROMPT {
            self.pending = Some((label, start, revision));
            return (output, None);
        }
        self.pending = None;
        if line.trim().is_empty() {
            return (output, None);
        }
        self.working = Some((label, start, revision));
        (output, self.work(0))
    }

    /// Whether `line` is a `kubectl explain` that has no docs yet: the page fetches
    /// `explain.txt` first (see [`Session::set_explain_docs`]), then runs the line.
    pub fn wants_explain_docs(&self, line: &str) -> bool {
        self.shell.wants_explain_docs(line)
    }

    /// Hands `kubectl explain` its docs (`www/explain.txt`, fetched on demand by the page).
    pub fn set_explain_docs(&mut self, docs: String) {
        self.shell.set_explain_docs(docs);
    }

    /// Saves `text` as a file in the terminal's home directory (the editor saves before it
    /// applies); the shell's own message when it cannot.
    pub fn write_file(&mut self, path: &str, text: &str) -> Result<(), String> {
        self.log.push(Input::File {
            file: path.to_string(),
            text: text.to_string(),
        });
        self.shell.write_file(path, text)
    }

    /// The editor saved an edit `kubectl edit` opened: kubectl's edit loop goes on (cancelled,
    /// edited, or refused and still open). A change is traced under the line that opened the
    /// edit; returns where its beats start, as [`Session::submit_line`] does.
    pub fn save_edit(&mut self, text: &str) -> (TerminalOutput, Option<usize>) {
        self.finish_work();
        let start = self.shell.backend().cluster.trace().next_seq() as usize;
        let revision = self.shell.backend().cluster.store().revision();
        let out = self.shell.save_edit(text);
        let output = TerminalOutput::from(out);
        self.log.push(Input::Edit {
            edit: text.to_string(),
            exit: output.exit_code,
        });
        if self.shell.backend().cluster.trace().next_seq() as usize == start {
            return (output, None);
        }
        let label = self.shell.open_edit_line().unwrap_or_default();
        self.working = Some((label, start, revision));
        (output, self.work(0))
    }

    /// The editor closed an edit without saving: kubectl's `Edit cancelled, no changes made.`
    pub fn cancel_edit(&mut self) -> TerminalOutput {
        self.log.push(Input::CancelEdit { cancel_edit: true });
        let out = self.shell.cancel_edit();
        TerminalOutput::from(out)
    }

    /// Lets the last line's work end before the next thing runs, as a shell waits for it.
    fn finish_work(&mut self) {
        while self.busy() {
            if self.work(usize::MAX).is_some() {
                break;
            }
        }
    }

    /// Is the cluster still booting, or working on the last line?
    pub fn busy(&self) -> bool {
        self.booting.is_some() || self.working.is_some()
    }

    /// Is the lab's boot still running?
    pub fn booting(&self) -> bool {
        self.booting.is_some()
    }

    /// Runs at most `budget` rounds of the cluster's work: the boot's, then the last line's. When
    /// a line's work has settled, its beats join the timeline and this returns where they start.
    pub fn work(&mut self, budget: usize) -> Option<usize> {
        if let Some(run) = &mut self.booting {
            let cluster = &mut self.shell.backend_mut().cluster;
            let ended = cluster.continue_run(run, budget).is_some();
            // Before the first command the scene is the live store: the boot as it goes.
            self.timeline.base_revision = cluster.store().revision();
            if ended {
                self.booting = None;
            }
            return None;
        }
        self.working.as_ref()?;
        let settled = self.shell.settle_slice(budget);
        self.build_working();
        if !settled {
            return None;
        }
        let (label, start, revision) = self.working.take()?;
        let first = self.timeline.len();
        let (beats, _) = self.building.take()?;
        let trace = self.shell.backend().cluster.trace();
        let host = self.host();
        self.timeline.finish_command(beats);
        self.windows.push(Window {
            line: label,
            host,
            start: start as Seq,
            end: trace.next_seq(),
            revision,
        });
        let (first_seq, compacted) = self.shell.backend().cluster.history_floor();
        self.timeline.keep_from(first_seq, compacted);
        Some(first)
    }

    /// Feeds the working line's new trace events to its beats (and notes the VMs they power on
    /// or off), so that its end is not one long task.
    fn build_working(&mut self) {
        let Some((label, start, revision)) = &self.working else {
            return;
        };
        let (beats, fed) = self.building.get_or_insert_with(|| {
            let host = self.shell.host();
            let beats = self
                .timeline
                .begin_command(label, host, *revision, self.detail);
            (beats, *start as Seq)
        });
        let trace = self.shell.backend().cluster.trace();
        let events = trace.since(*fed);
        for event in events {
            if let TraceKind::Decision { reason, .. } = &event.kind {
                let halted = match reason.as_str() {
                    VM_POWERED_OFF => true,
                    VM_POWERED_ON => false,
                    _ => continue,
                };
                self.power
                    .insert(event.seq, (event.actor.vm.clone(), halted));
            }
        }
        beats.feed(events);
        *fed = trace.next_seq();
    }

    pub fn detail(&self) -> Detail {
        self.detail
    }

    /// Folds or unfolds the timeline (the apiserver's stages, the bookkeeping requests): the
    /// beats are made again from the trace. Returns where `played` beats played in the old
    /// timeline lands in the new one: the same moment of the trace.
    pub fn set_detail(&mut self, detail: Detail, played: usize) -> usize {
        let at_seq = played
            .checked_sub(1)
            .and_then(|i| self.timeline.beats.get(i))
            .map(|b| b.last_seq);
        self.detail = detail;
        // The working line's beats are made again in the new detail at the next slice.
        self.building = None;
        let trace = self.shell.backend().cluster.trace();
        let mut timeline = Timeline {
            base_revision: self.timeline.base_revision,
            ..Timeline::default()
        };
        for w in &self.windows {
            let events: Vec<_> = trace
                .since(w.start)
                .iter()
                .take_while(|e| e.seq < w.end)
                .cloned()
                .collect();
            timeline.push_command(&w.line, &w.host, &events, w.revision, detail);
        }
        let (first_seq, compacted) = self.shell.backend().cluster.history_floor();
        timeline.keep_from(first_seq, compacted);
        self.timeline = timeline;
        match at_seq {
            Some(seq) => self.timeline.played_at_seq(seq),
            None => 0,
        }
    }

    /// The cluster as the animation shows it when `played` beats have played: the store read at
    /// that beat's revision, and the VMs powered off by then.
    pub fn scene(&self, played: usize) -> ClusterView {
        let store = self.shell.backend().cluster.store();
        let revision = self.timeline.revision_at(played);
        let mut view = ClusterView::at_cached(store, revision, &mut self.chips.borrow_mut());
        let upto = played
            .checked_sub(1)
            .and_then(|i| self.timeline.beats.get(i))
            .map(|b| b.last_seq);
        if let Some(upto) = upto {
            for (vm, halted) in self.power.range(..=upto).map(|(_, v)| v) {
                if let Some(node) = view.nodes.get_mut(vm) {
                    node.halted = *halted;
                }
            }
        }
        view
    }

    /// Makes the chips of at most `budget` pods of the scene at `played` (see [`Session::scene`])
    /// that it would otherwise decode; true when the scene has every chip it needs.
    pub fn warm_scene(&self, played: usize, budget: usize) -> bool {
        let store = self.shell.backend().cluster.store();
        let revision = self.timeline.revision_at(played);
        self.chips.borrow_mut().warm(store, revision, budget)
    }

    /// The live cluster, ahead of any animation.
    pub fn live(&self) -> ClusterView {
        self.scene(self.timeline.len())
    }
}
