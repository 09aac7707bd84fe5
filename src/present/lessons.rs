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
#[derive(Clone, Debug, PartialEq)]
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
        if self.hints_shown < hint_count(&self.lesson, self.step) {
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

    /// The student's place, as the saved session keeps it ([`Session::set_lesson_progress`]):
    /// the lesson's id and file, where in the trace it started, the step, the hints shown, the
    /// lines typed and the wall-clock start and end. The lab itself is the session's own inputs.
    pub fn progress(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.lesson.id,
            "file": self.lesson.file,
            "since": self.since,
            "step": self.step,
            "hints": self.hints_shown,
            "lines": self.lines,
            "started_ms": self.started_ms,
            "finished_ms": self.finished_ms,
        })
    }

    /// Carries on a lesson from [`LessonRun::progress`], on the session the saved inputs rebuilt:
    /// None when the progress is not this lesson's or does not fit it (a step or hint past its
    /// end, a start after the session's trace), so a broken save never leaves a lesson half-set.
    pub fn resume(
        lesson: Lesson,
        progress: &serde_json::Value,
        session: &Session,
    ) -> Option<LessonRun> {
        use serde_json::Value;
        if progress.get("id").and_then(Value::as_str) != Some(lesson.id.as_str()) {
            return None;
        }
        let number = |key: &str| progress.get(key).and_then(Value::as_u64);
        let since = number("since")?;
        let step = usize::try_from(number("step")?).ok()?;
        let hints_shown = usize::try_from(number("hints")?).ok()?;
        if step > lesson.steps.len()
            || hints_shown > hint_count(&lesson, step)
            || since > session.cluster().trace().next_seq()
        {
            return None;
        }
        let lines = progress
            .get("lines")?
            .as_array()?
            .iter()
            .map(|l| l.as_str().map(str::to_string))
            .collect::<Option<Vec<String>>>()?;
        let started_ms = progress.get("started_ms").and_then(Value::as_f64)?;
        let finished_ms = progress.get("finished_ms").and_then(Value::as_f64);
        let mut run = LessonRun {
            lesson,
            since,
            step,
            hints_shown,
            lines,
            marks: BTreeMap::new(),
            started_ms,
            finished_ms,
        };
        if !run.finished() {
            run.evaluate(session);
        }
        Some(run)
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

/// How many hints step `step` of `lesson` has (none past the last step).
fn hint_count(lesson: &Lesson, step: usize) -> usize {
    lesson.steps.get(step).map_or(0, |s| s.hints.len())
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

/// Where a lesson list comes from: the built-in lessons beside the page, or a teacher's pack
/// named by `?lessons=<path>` (a folder on the same static host holding an `index.yaml`).
pub fn pack_dir(query: &str) -> String {
    let query = query.strip_prefix('?').unwrap_or(query);
    for pair in query.split('&') {
        if let Some(value) = pair.strip_prefix("lessons=") {
            let value = percent_decode(value);
            let value = value.trim_end_matches('/');
            // Same host only: a relative path, no scheme, no protocol-relative `//`.
            if !value.is_empty()
                && !value.contains("://")
                && !value.starts_with("//")
                && !value.contains('\\')
            {
                return value.to_string();
            }
        }
    }
    BUILTIN_DIR.to_string()
}

/// `%2F` → `/`: enough for a path in a query string; anything undecodable is kept as typed.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', ..) => {
                out.push(b' ');
                i += 1;
            }
            (b, ..) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// One file of the list, as it arrives: a lesson, or why it could not be loaded (shown in the
/// picker so a teacher sees a broken file at once).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub file: String,
    pub lesson: Result<Lesson, String>,
}

/// The lesson picker and the lesson in progress, as the page shows them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LessonsModel {
    /// The folder the list comes from (`lessons`, or a pack's path).
    pub dir: String,
    /// The files the index lists, in order; None until it has arrived.
    pub files: Option<Vec<String>>,
    pub entries: Vec<Entry>,
    /// The index could not be fetched or read.
    pub error: Option<String>,
    pub picker_open: bool,
    pub run: Option<LessonRun>,
    /// A saved lesson's progress waiting for its lesson file and for the restored lab: the page
    /// fetches the list at once and resumes with [`LessonsModel::resume`].
    pub pending: Option<serde_json::Value>,
}

impl LessonsModel {
    pub fn new(dir: String) -> LessonsModel {
        LessonsModel {
            dir,
            ..LessonsModel::default()
        }
    }

    /// The index's URL, relative to the page.
    pub fn index_url(&self) -> String {
        format!("{}/index.yaml", self.dir)
    }

    pub fn file_url(&self, file: &str) -> String {
        format!("{}/{file}", self.dir)
    }

    /// The index arrived (or not): the files to fetch next.
    pub fn index_loaded(&mut self, text: Option<&str>) -> Vec<String> {
        let url = self.index_url();
        match text.map(|t| pack_index(&url, t)) {
            Some(Ok(files)) => {
                self.files = Some(files.clone());
                self.error = None;
                files
            }
            Some(Err(e)) => {
                self.error = Some(e.to_string());
                Vec::new()
            }
            None => {
                self.error = Some(format!("{url}: could not be fetched"));
                Vec::new()
            }
        }
    }

    /// A lesson file arrived (or not).
    pub fn file_loaded(&mut self, file: &str, text: Option<&str>) {
        let url = self.file_url(file);
        let lesson = match text {
            Some(text) => load(&url, text).map_err(|e| e.to_string()),
            None => Err(format!("{url}: could not be fetched")),
        };
        self.entries.retain(|e| e.file != file);
        self.entries.push(Entry {
            file: file.to_string(),
            lesson,
        });
        // In the index's order, whatever order the fetches answered in.
        let order = self.files.clone().unwrap_or_default();
        self.entries.sort_by_key(|e| {
            order
                .iter()
                .position(|f| *f == e.file)
                .unwrap_or(usize::MAX)
        });
    }

    /// Resumes the pending lesson once its file has arrived and `session` is the restored lab.
    /// Returns whether it did; a lesson that did not load, or progress that does not fit it,
    /// drops the progress (the lab stays as it was restored).
    pub fn resume(&mut self, session: &Session) -> bool {
        let Some(progress) = &self.pending else {
            return false;
        };
        let id = progress
            .get("id")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        let loaded = self
            .files
            .as_ref()
            .is_some_and(|f| f.len() == self.entries.len());
        let run = match self.lesson(id) {
            Some(lesson) => LessonRun::resume(lesson.clone(), progress, session),
            None if loaded || self.error.is_some() => None,
            None => return false,
        };
        self.pending = None;
        let resumed = run.is_some();
        self.run = run;
        resumed
    }

    /// The lesson with this id, if loaded.
    pub fn lesson(&self, id: &str) -> Option<&Lesson> {
        self.entries
            .iter()
            .filter_map(|e| e.lesson.as_ref().ok())
            .find(|l| l.id == id)
    }
}

/// The lesson panel's own words, Korean and English.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Words {
    Lessons,
    PickLesson,
    Loading,
    Step,
    Hint,
    NoMoreHints,
    Check,
    Reset,
    Leave,
    Done,
    TimeTaken,
    CompletionCode,
    CodeHelp,
    YourLines,
    Checks,
    Start,
    Intro,
}

pub fn words(lang: Lang, w: Words) -> &'static str {
    match (lang, w) {
        (Lang::Ko, Words::Lessons) => "실습",
        (Lang::En, Words::Lessons) => "Lessons",
        (Lang::Ko, Words::PickLesson) => "실습을 고르세요",
        (Lang::En, Words::PickLesson) => "Pick a lesson",
        (Lang::Ko, Words::Loading) => "불러오는 중…",
        (Lang::En, Words::Loading) => "Loading…",
        (Lang::Ko, Words::Step) => "단계",
        (Lang::En, Words::Step) => "Step",
        (Lang::Ko, Words::Hint) => "힌트 보기",
        (Lang::En, Words::Hint) => "Show a hint",
        (Lang::Ko, Words::NoMoreHints) => "힌트를 모두 보았습니다",
        (Lang::En, Words::NoMoreHints) => "No more hints",
        (Lang::Ko, Words::Check) => "확인",
        (Lang::En, Words::Check) => "Check",
        (Lang::Ko, Words::Reset) => "처음부터",
        (Lang::En, Words::Reset) => "Reset lesson",
        (Lang::Ko, Words::Leave) => "실습 닫기",
        (Lang::En, Words::Leave) => "Leave lesson",
        (Lang::Ko, Words::Done) => "완료했습니다!",
        (Lang::En, Words::Done) => "Lesson complete!",
        (Lang::Ko, Words::TimeTaken) => "걸린 시간",
        (Lang::En, Words::TimeTaken) => "Time taken",
        (Lang::Ko, Words::CompletionCode) => "완료 코드",
        (Lang::En, Words::CompletionCode) => "Completion code",
        (Lang::Ko, Words::CodeHelp) => "선생님께 코드와 아래 명령들을 보내세요. 선생님은 `kube-sandbox verify-code`로 확인합니다.",
        (Lang::En, Words::CodeHelp) => "Send your teacher the code and the lines below; they check it with `kube-sandbox verify-code`.",
        (Lang::Ko, Words::YourLines) => "입력한 명령",
        (Lang::En, Words::YourLines) => "Your lines",
        (Lang::Ko, Words::Checks) => "확인 항목",
        (Lang::En, Words::Checks) => "Checks",
        (Lang::Ko, Words::Start) => "시작",
        (Lang::En, Words::Start) => "Start",
        (Lang::Ko, Words::Intro) => "실습 소개",
        (Lang::En, Words::Intro) => "About this lesson",
    }
}

/// `3분 12초` / `3 min 12 s`.
pub fn duration_text(lang: Lang, seconds: u64) -> String {
    let (m, s) = (seconds / 60, seconds % 60);
    match lang {
        Lang::Ko if m > 0 => format!("{m}분 {s}초"),
        Lang::Ko => format!("{s}초"),
        Lang::En if m > 0 => format!("{m} min {s} s"),
        Lang::En => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pack_comes_from_the_query_and_stays_on_the_same_host() {
        assert_eq!(pack_dir(""), "lessons");
        assert_eq!(pack_dir("?lessons=packs/week3/"), "packs/week3");
        assert_eq!(pack_dir("?x=1&lessons=packs%2Fweek3"), "packs/week3");
        assert_eq!(pack_dir("?lessons=https://evil.example/x"), "lessons");
        assert_eq!(pack_dir("?lessons=//evil.example/x"), "lessons");
    }

    #[test]
    fn an_index_lists_plain_file_names_only() {
        assert_eq!(
            pack_index("i.yaml", "files: [a.yaml, b.yaml]\n").unwrap(),
            vec!["a.yaml", "b.yaml"]
        );
        assert!(pack_index("i.yaml", "files: [../x.yaml]\n").is_err());
        assert!(pack_index("i.yaml", "files: [sub/x.yaml]\n").is_err());
        assert!(pack_index("i.yaml", "lessons: []\n").is_err());
    }

    #[test]
    fn files_keep_the_index_order_and_a_broken_one_says_why() {
        let mut model = LessonsModel::new("lessons".into());
        let files = model.index_loaded(Some("files: [a.yaml, b.yaml]\n"));
        assert_eq!(files.len(), 2);
        model.file_loaded("b.yaml", Some("id: b\n"));
        model.file_loaded("a.yaml", None);
        assert_eq!(model.entries[0].file, "a.yaml");
        assert!(model.entries[0]
            .lesson
            .as_ref()
            .unwrap_err()
            .contains("could not be fetched"));
        let err = model.entries[1].lesson.as_ref().unwrap_err();
        assert!(err.starts_with("lessons/b.yaml"), "{err}");
        assert!(err.contains("title"), "{err}");
    }
}
