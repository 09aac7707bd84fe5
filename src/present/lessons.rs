//! A lesson in progress: which step the student is on, the hints shown, the checks' marks, the
//! lines typed, and the summary at the end (time taken and a completion code).
//!
//! The lesson's checks are evaluated by the core ([`crate::sim::lessons`]) against the session's
//! store and trace; this model only keeps the student's place. It runs the checks after every
//! line (the page calls [`LessonRun::after_line`] once a line's work has settled) and when the
//! student presses Check; a step whose checks all pass moves the lesson to the next one.
//!
//! A teacher verifies a completion code with [`verify`]: the lines replayed on a fresh lab from
//! the lesson's seed and setup must pass every step, and give the same code.

use std::collections::BTreeMap;

use crate::present::i18n::Lang;
use crate::present::session::Session;
use crate::sim::lessons::{self, Lesson, Text};
use crate::sim::trace::Seq;

pub use crate::sim::lessons::{load, LessonError};

/// The built-in lessons: `lessons/index.yaml` lists their files, in order. Shipped in `dist/`
/// and fetched on demand; natively they are read from the repository.
pub const BUILTIN_DIR: &str = "lessons";

/// A lesson pack's index: the file names it lists, in order (`files:` in `index.yaml`).
pub fn pack_index(file: &str, text: &str) -> Result<Vec<String>, LessonError> {
    let error = |message: String| LessonError {
        file: file.to_string(),
        line: None,
        field: "files".to_string(),
        message,
    };
    let docs = crate::sim::api::yaml::documents(text).map_err(|e| LessonError {
        file: file.to_string(),
        line: e.line.map(|l| l as usize),
        field: String::new(),
        message: e.message,
    })?;
    let files = docs
        .first()
        .and_then(|d| d.get("files"))
        .and_then(|f| f.as_array())
        .ok_or_else(|| error("expected `files:`, a list of lesson file names".into()))?;
    files
        .iter()
        .map(|f| {
            f.as_str()
                .filter(|s| is_plain_file_name(s))
                .map(str::to_string)
                .ok_or_else(|| {
                    error(format!(
                        "{f}: expected a file name beside index.yaml (no '/' or '..')"
                    ))
                })
        })
        .collect()
}

/// A name in the pack's own folder: the page fetches it relative to the index, never elsewhere.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('/')
        && !name.contains('\\')
        && !name.starts_with('.')
        && name.ends_with(".yaml")
}

pub fn text(lang: Lang, text: &Text) -> &str {
    match lang {
        Lang::Ko => &text.ko,
        Lang::En => &text.en,
    }
}

/// The end of a lesson, as the summary shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub code: String,
    pub seconds: u64,
    pub lines: Vec<String>,
}

/// One student's run of one lesson.
#[derive(Clone, Debug)]
pub struct LessonRun {
    lesson: Lesson,
    /// The trace's seq when the student started: what the setup did is not judged.
    since: Seq,
    step: usize,
    hints_shown: usize,
    lines: Vec<String>,
    /// The current step's checks, by id, as last evaluated.
    marks: BTreeMap<String, bool>,
    started_ms: f64,
    finished_ms: Option<f64>,
}

impl LessonRun {
    /// A fresh lab from the lesson's seed, its setup lines run, and the lesson at its first
    /// step. Returns the session the page then drives.
    pub fn start(lesson: Lesson, now_ms: f64) -> (Session, LessonRun) {
        let mut session = Session::new(lesson.seed);
        for line in &lesson.setup {
            session.run_line(line);
        }
        let since = session.cluster().trace().next_seq();
        let mut run = LessonRun {
            lesson,
            since,
            step: 0,
            hints_shown: 0,
            lines: Vec::new(),
            marks: BTreeMap::new(),
            started_ms: now_ms,
            finished_ms: None,
        };
        run.evaluate(&session);
        (session, run)
    }

    pub fn lesson(&self) -> &Lesson {
        &self.lesson
    }

    /// The step the student is on (0-based); `steps.len()` once finished.
    pub fn step(&self) -> usize {
        self.step
    }

    pub fn finished(&self) -> bool {
        self.step >= self.lesson.steps.len()
    }

    pub fn hints_shown(&self) -> usize {
        self.hints_shown
    }

    /// Shows the next hint of the current step, if it has one more.
    pub fn reveal_hint(&mut self) {
        let count = self
            .lesson
            .steps
            .get(self.step)
            .map_or(0, |s| s.hints.len());
        if self.hints_shown < count {
            self.hints_shown += 1;
        }
    }

    /// The current step's checks as last evaluated.
    pub fn marks(&self) -> &BTreeMap<String, bool> {
        &self.marks
    }

    /// A line the student typed (every line, heredoc lines too: a replay types them again).
    pub fn record_line(&mut self, line: &str) {
        if !self.finished() {
            self.lines.push(line.to_string());
        }
    }

    /// A line's work has settled: run the checks. Returns whether the lesson moved on.
    pub fn after_line(&mut self, session: &Session, now_ms: f64) -> bool {
        self.check(session, now_ms)
    }

    /// Runs the current step's checks; while every check of the step passes, the lesson moves
    /// to the next step (whose checks are then run too). Returns whether it moved.
    pub fn check(&mut self, session: &Session, now_ms: f64) -> bool {
        let mut moved = false;
        while !self.finished() {
            self.evaluate(session);
            if !self.marks.values().all(|passed| *passed) {
                break;
            }
            self.step += 1;
            self.hints_shown = 0;
            moved = true;
            if self.finished() {
                self.finished_ms = Some(now_ms);
                self.marks.clear();
            }
        }
        moved
    }

    fn evaluate(&mut self, session: &Session) {
        self.marks = match self.lesson.steps.get(self.step) {
            Some(step) => lessons::results(step, session.cluster(), self.since),
            None => BTreeMap::new(),
        };
    }

    /// The summary, once every step has passed.
    pub fn summary(&self) -> Option<Summary> {
        let end = self.finished_ms?;
        Some(Summary {
            code: lessons::completion_code(&self.lesson, &self.lines),
            seconds: ((end - self.started_ms).max(0.0) / 1000.0).round() as u64,
            lines: self.lines.clone(),
        })
    }
}

/// Replays `lines` on a fresh lab from the lesson's start, as the page runs them (checks after
/// each line), and returns the completion code if they finish the lesson; otherwise which step
/// they did not pass.
pub fn verify(lesson: &Lesson, lines: &[String]) -> Result<String, String> {
    let (mut session, mut run) = LessonRun::start(lesson.clone(), 0.0);
    for line in lines {
        run.record_line(line);
        session.run_line(line);
        run.after_line(&session, 0.0);
    }
    if run.finished() {
        Ok(lessons::completion_code(lesson, lines))
    } else {
        let failing: Vec<String> = run
            .marks
            .iter()
            .filter(|(_, p)| !**p)
            .map(|(id, _)| id.clone())
            .collect();
        Err(format!(
            "the lines do not finish the lesson: step {} of {} fails {}",
            run.step + 1,
            lesson.steps.len(),
            failing.join(", ")
        ))
    }
}
