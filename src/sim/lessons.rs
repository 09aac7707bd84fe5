//! Lessons: classroom exercises as data files, and the checks that judge a student's work.
//!
//! A lesson is a YAML file (read with the project's own reader, [`crate::sim::api::yaml`]): a
//! title, an introduction and a finish text in Korean and English; a starting cluster (a seed and
//! setup lines); and steps, each with a task, hints revealed one by one, checks, and a scripted
//! solution (what the tests run, and what a teacher reads). `docs/lessons.md` teaches the format.
//!
//! A check is a declarative predicate, not code, over the cluster's **state** (the store's
//! objects now) and its **trace** (what happened since the lesson started), so a lesson can judge
//! the process and not only the end:
//!
//! | predicate | passes when |
//! | --- | --- |
//! | `object` | objects of a resource matching name / labels / fields exist (`count`, `min`) |
//! | `event` | the trace has events of a kind (request, decision, commit, cri, scheduling, watch, command) by an actor, about an object, caused by a line containing some text, `after` another event |
//! | `command` | a line the student ran contains all of `all` and one of `any` |
//!
//! A broken file gives an error naming the file, the line and the field
//! (`lessons/04-labels.yaml:31: steps[1].checks[0].object.resource: unknown resource "podz"`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use saphyr_parser::{Event, Parser};
use serde_json::Value;

use super::api::labels::{parse_selector, Selector};
use super::api::resources::{self, ResourceInfo};
use super::cluster::Cluster;
use super::etcd::RangeRequest;
use super::trace::{Component, Events, Seq, TraceEvent, TraceKind};

/// The most steps, hints per step and checks per step a lesson may have: a lesson is a short
/// exercise, and a file that is too big is a mistake, not a longer lesson.
pub const STEPS_MAX: usize = 32;
pub const HINTS_MAX: usize = 8;
pub const CHECKS_MAX: usize = 16;
/// The most setup or solution lines of a step or of the start.
pub const LINES_MAX: usize = 64;
/// The deepest chain of `after:` a check may use.
pub const AFTER_DEPTH_MAX: usize = 4;

/// Text in the page's two languages.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Text {
    pub ko: String,
    pub en: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    /// A short id from the file (`labels`), used in hooks and the completion code.
    pub id: String,
    /// Where it was loaded from, for messages.
    pub file: String,
    pub title: Text,
    pub intro: Text,
    pub finish: Text,
    pub seed: u64,
    /// Lines run on a fresh lab before the student starts (not judged).
    pub setup: Vec<String>,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub task: Text,
    pub hints: Vec<Text>,
    pub checks: Vec<Check>,
    /// A scripted solution: lines that, typed after the previous steps' solutions, pass this
    /// step's checks.
    pub solution: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub id: String,
    /// What the student is shown beside the check's mark.
    pub text: Text,
    pub predicate: Predicate,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Predicate {
    Object(ObjectQuery),
    Event(EventQuery),
    Command(CommandQuery),
}

/// How many matches pass: exactly `exactly`, or at least `min` (1 unless told).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    pub exactly: Option<usize>,
    pub min: usize,
}

impl Count {
    fn passes(self, n: usize) -> bool {
        match self.exactly {
            Some(e) => n == e,
            None => n >= self.min,
        }
    }
}

/// Objects in the store now.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectQuery {
    pub resource: &'static ResourceInfo,
    /// None: every namespace (a cluster-scoped resource has none).
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub name_prefix: Option<String>,
    pub selector: Option<SelectorText>,
    /// `spec.nodeName: node2`; a segment may be an index (`containers.0.image`) or pick an
    /// element of a list by a field (`conditions[type=Ready].status`).
    pub fields: Vec<(String, Value)>,
    pub count: Count,
}

/// A label selector with the text it was parsed from (the parsed form has no equality).
#[derive(Clone, Debug)]
pub struct SelectorText {
    pub text: String,
    pub selector: Selector,
}

impl PartialEq for SelectorText {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// The kinds of trace events a check can look for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Request,
    Decision,
    Commit,
    Cri,
    Scheduling,
    Command,
    /// A component's informer was told of a change (`message_contains` matches the key).
    Watch,
}

impl EventKind {
    const NAMES: [(&'static str, EventKind); 7] = [
        ("request", EventKind::Request),
        ("decision", EventKind::Decision),
        ("commit", EventKind::Commit),
        ("cri", EventKind::Cri),
        ("scheduling", EventKind::Scheduling),
        ("command", EventKind::Command),
        ("watch", EventKind::Watch),
    ];

    fn of(kind: &TraceKind) -> Option<EventKind> {
        Some(match kind {
            TraceKind::Request { .. } => EventKind::Request,
            TraceKind::Decision { .. } => EventKind::Decision,
            TraceKind::StoreCommit { .. } => EventKind::Commit,
            TraceKind::Cri { .. } => EventKind::Cri,
            TraceKind::SchedulingCycle(_) => EventKind::Scheduling,
            TraceKind::Command { .. } => EventKind::Command,
            TraceKind::WatchDelivery { .. } => EventKind::Watch,
            _ => return None,
        })
    }
}

/// Events in the trace since the lesson started.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct EventQuery {
    pub kind: Option<EventKind>,
    pub component: Option<Component>,
    /// kube-controller-manager's loop (`replicaset-controller`).
    pub controller: Option<String>,
    pub vm: Option<String>,
    /// A decision's reason (`Scheduled`, `SuccessfulCreate`, `TaintManagerEviction`).
    pub reason: Option<String>,
    /// A request's verb (`create`, `patch`, `delete`).
    pub verb: Option<String>,
    pub subresource: Option<String>,
    /// A CRI call's name (`PullImage`, `StartContainer`).
    pub call: Option<String>,
    /// Text the event's message or detail contains (a decision's message, a CRI call's detail,
    /// a commit's key).
    pub message_contains: Option<String>,
    /// The object the event is about: its resource (plural), namespace, name or name prefix.
    pub resource: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub name_prefix: Option<String>,
    /// The line the event chains back to (its command root) contains this text: "the replicas
    /// were changed with kubectl scale".
    pub line_contains: Option<String>,
    /// Only events after the first event this query matches.
    pub after: Option<Box<EventQuery>>,
    pub count: Option<Count>,
}

/// Lines the student ran.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CommandQuery {
    /// Every one of these is in the line.
    pub all: Vec<String>,
    /// At least one of these is in the line (when any are given).
    pub any: Vec<String>,
    pub host: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// A lesson file that cannot be loaded: where, which field, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    pub file: String,
    /// 1-based; None when the field is missing from a map that itself has no line.
    pub line: Option<usize>,
    /// `steps[1].checks[0].object.resource`; empty for the file as a whole.
    pub field: String,
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for LessonError {}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn path_text(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The 1-based line where the node at `path` is written (a map entry's key line), found by
/// walking the YAML's events once more: the reader builds plain values, and only an error needs
/// a position. For a path that is not in the text (a missing field), the line of its deepest
/// ancestor that is.
fn line_of(text: &str, path: &[Seg]) -> Option<usize> {
    enum Frame {
        Seq(usize),
        /// The key waiting for its value, and its line.
        Map(Option<(String, usize)>),
    }
    let mut stack: Vec<Frame> = Vec::new();
    // The path of the node the next event starts, and the line of its key when it has one.
    let mut current: Vec<Seg> = Vec::new();
    let mut best: Option<(usize, usize)> = None; // (matched depth, line)
    let mut parser = Parser::new_from_str(text);
    // A node starts: where is it?
    let note = |current: &[Seg], line: usize, best: &mut Option<(usize, usize)>| {
        let depth = current.iter().zip(path).take_while(|(a, b)| a == b).count();
        if depth == current.len() && best.is_none_or(|(d, _)| depth > d) {
            *best = Some((depth, line));
        }
    };
    while let Some(Ok((event, span))) = parser.next_event() {
        let line = span.start.line();
        // Where the node that starts here sits, from its parent frame.
        let starts_node = matches!(
            event,
            Event::Scalar(..)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
                | Event::Alias(_)
        );
        if starts_node {
            match stack.last_mut() {
                Some(Frame::Map(key @ None)) => {
                    // A key.
                    if let Event::Scalar(text, ..) = &event {
                        *key = Some((text.to_string(), line));
                    } else {
                        *key = Some((String::new(), line));
                    }
                    continue;
                }
                Some(Frame::Map(Some((key, key_line)))) => {
                    let key_line = *key_line;
                    current.push(Seg::Key(key.clone()));
                    note(&current, key_line, &mut best);
                }
                Some(Frame::Seq(index)) => {
                    current.push(Seg::Index(*index));
                    *index += 1;
                    note(&current, line, &mut best);
                }
                None => note(&current, line, &mut best),
            }
        }
        match event {
            Event::SequenceStart(..) => stack.push(Frame::Seq(0)),
            Event::MappingStart(..) => stack.push(Frame::Map(None)),
            Event::SequenceEnd | Event::MappingEnd => {
                stack.pop();
                end_value(&mut stack, &mut current);
            }
            Event::Scalar(..) | Event::Alias(_) => end_value(&mut stack, &mut current),
            _ => {}
        }
        if best.is_some_and(|(d, _)| d == path.len()) {
            break;
        }
    }
    fn end_value(stack: &mut [Frame], current: &mut Vec<Seg>) {
        match stack.last_mut() {
            Some(Frame::Map(key)) => {
                *key = None;
                current.pop();
            }
            Some(Frame::Seq(_)) => {
                current.pop();
            }
            None => {}
        }
    }
    best.map(|(_, line)| line)
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/// Reads one field of the document, knowing where it is, so every error can say so.
struct Reader<'a> {
    file: &'a str,
    text: &'a str,
}

/// A map being read: its fields are taken one by one, and any left over is an error (a typo
/// in a teacher's file should not be silently ignored).
struct Fields<'v> {
    map: &'v serde_json::Map<String, Value>,
    path: Vec<Seg>,
    taken: BTreeSet<&'static str>,
}

impl Reader<'_> {
    fn error(&self, path: &[Seg], message: impl Into<String>) -> LessonError {
        LessonError {
            file: self.file.to_string(),
            line: line_of(self.text, path),
            field: path_text(path),
            message: message.into(),
        }
    }

    fn fields<'v>(&self, value: &'v Value, path: &[Seg]) -> Result<Fields<'v>, LessonError> {
        match value {
            Value::Object(map) => Ok(Fields {
                map,
                path: path.to_vec(),
                taken: BTreeSet::new(),
            }),
            _ => Err(self.error(path, "expected a map of fields")),
        }
    }

    fn done(&self, fields: Fields<'_>) -> Result<(), LessonError> {
        for key in fields.map.keys() {
            if !fields.taken.contains(key.as_str()) {
                let allowed: Vec<&str> = fields.taken.iter().copied().collect();
                return Err(self.error(
                    &child(&fields.path, key),
                    format!("unknown field (expected one of: {})", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }

    fn optional<'v>(&self, f: &mut Fields<'v>, key: &'static str) -> Option<&'v Value> {
        f.taken.insert(key);
        f.map.get(key).filter(|v| !v.is_null())
    }

    fn required<'v>(
        &self,
        f: &mut Fields<'v>,
        key: &'static str,
    ) -> Result<&'v Value, LessonError> {
        self.optional(f, key)
            .ok_or_else(|| self.error(&child(&f.path, key), "missing required field"))
    }

    fn string(&self, value: &Value, path: &[Seg]) -> Result<String, LessonError> {
        match value {
            Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
            Value::String(_) => Err(self.error(path, "must not be empty")),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(self.error(path, "expected text")),
        }
    }

    fn opt_string(
        &self,
        f: &mut Fields<'_>,
        key: &'static str,
    ) -> Result<Option<String>, LessonError> {
        match self.optional(f, key) {
            Some(v) => self.string(v, &child(&f.path, key)).map(Some),
            None => Ok(None),
        }
    }

    fn text(&self, f: &mut Fields<'_>, key: &'static str) -> Result<Text, LessonError> {
        let value = self.required(f, key)?;
        self.text_at(value, &child(&f.path, key))
    }

    /// A `{ko, en}` text at `path`.
    fn text_at(&self, value: &Value, path: &[Seg]) -> Result<Text, LessonError> {
        let mut t = self.fields(value, path)?;
        let ko = self.string(self.required(&mut t, "ko")?, &child(path, "ko"))?;
        let en = self.string(self.required(&mut t, "en")?, &child(path, "en"))?;
        self.done(t)?;
        Ok(Text { ko, en })
    }

    fn list<'v>(
        &self,
        value: &'v Value,
        path: &[Seg],
        max: usize,
    ) -> Result<&'v [Value], LessonError> {
        match value {
            Value::Array(items) if items.len() <= max => Ok(items),
            Value::Array(items) => Err(self.error(
                path,
                format!("too many items: {} (at most {max})", items.len()),
            )),
            _ => Err(self.error(path, "expected a list")),
        }
    }

    fn lines(&self, f: &mut Fields<'_>, key: &'static str) -> Result<Vec<String>, LessonError> {
        let Some(value) = self.optional(f, key) else {
            return Ok(Vec::new());
        };
        let path = child(&f.path, key);
        self.list(value, &path, LINES_MAX)?
            .iter()
            .enumerate()
            .map(|(i, v)| self.string(v, &index(&path, i)))
            .collect()
    }

    fn count(&self, f: &mut Fields<'_>) -> Result<Count, LessonError> {
        let number = |this: &Self,
                      f: &mut Fields<'_>,
                      key: &'static str|
         -> Result<Option<usize>, LessonError> {
            match this.optional(f, key) {
                None => Ok(None),
                Some(v) => v
                    .as_u64()
                    .filter(|n| *n <= 10_000)
                    .map(|n| Some(n as usize))
                    .ok_or_else(|| {
                        this.error(
                            &child(&f.path, key),
                            "expected a whole number from 0 to 10000",
                        )
                    }),
            }
        };
        let exactly = number(self, f, "count")?;
        let min = number(self, f, "min")?;
        if exactly.is_some() && min.is_some() {
            return Err(self.error(&child(&f.path, "min"), "give count or min, not both"));
        }
        Ok(Count {
            exactly,
            min: min.unwrap_or(1),
        })
    }
}

fn child(path: &[Seg], key: &str) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(Seg::Key(key.to_string()));
    p
}

fn index(path: &[Seg], i: usize) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(Seg::Index(i));
    p
}

/// Loads one lesson from its file's text. `file` is how errors name it (`lessons/04-labels.yaml`).
pub fn load(file: &str, text: &str) -> Result<Lesson, LessonError> {
    let r = Reader { file, text };
    let docs = super::api::yaml::documents(text).map_err(|e| LessonError {
        file: file.to_string(),
        line: e.line.map(|l| l as usize),
        field: String::new(),
        message: e.message,
    })?;
    let doc = match docs.as_slice() {
        [doc] => doc,
        [] => return Err(r.error(&[], "the file is empty")),
        _ => {
            return Err(r.error(
                &[],
                "a lesson file holds one document (no `---` between two)",
            ))
        }
    };
    let mut f = r.fields(doc, &[])?;
    let id = r.string(r.required(&mut f, "id")?, &[Seg::Key("id".into())])?;
    if !id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(r.error(
            &[Seg::Key("id".into())],
            "use lowercase letters, digits and '-'",
        ));
    }
    let title = r.text(&mut f, "title")?;
    let intro = r.text(&mut f, "intro")?;
    let finish = r.text(&mut f, "finish")?;
    let (seed, setup) = match r.optional(&mut f, "start") {
        None => (1, Vec::new()),
        Some(v) => {
            let path = vec![Seg::Key("start".into())];
            let mut s = r.fields(v, &path)?;
            let seed = match r.optional(&mut s, "seed") {
                None => 1,
                Some(v) => v
                    .as_u64()
                    .ok_or_else(|| r.error(&child(&path, "seed"), "expected a whole number"))?,
            };
            let setup = r.lines(&mut s, "setup")?;
            r.done(s)?;
            (seed, setup)
        }
    };
    let steps_value = r.required(&mut f, "steps")?;
    let steps_path = vec![Seg::Key("steps".into())];
    let items = r.list(steps_value, &steps_path, STEPS_MAX)?;
    if items.is_empty() {
        return Err(r.error(&steps_path, "a lesson needs at least one step"));
    }
    let mut steps = Vec::new();
    for (i, item) in items.iter().enumerate() {
        steps.push(step(&r, item, &index(&steps_path, i))?);
    }
    r.done(f)?;
    Ok(Lesson {
        id,
        file: file.to_string(),
        title,
        intro,
        finish,
        seed,
        setup,
        steps,
    })
}

fn step(r: &Reader<'_>, value: &Value, path: &[Seg]) -> Result<Step, LessonError> {
    let mut f = r.fields(value, path)?;
    let task = r.text(&mut f, "task")?;
    let mut hints = Vec::new();
    if let Some(v) = r.optional(&mut f, "hints") {
        let hp = child(path, "hints");
        for (i, h) in r.list(v, &hp, HINTS_MAX)?.iter().enumerate() {
            hints.push(r.text_at(h, &index(&hp, i))?);
        }
    }
    let cp = child(path, "checks");
    let items = r.list(r.required(&mut f, "checks")?, &cp, CHECKS_MAX)?;
    if items.is_empty() {
        return Err(r.error(&cp, "a step needs at least one check"));
    }
    let mut checks: Vec<Check> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let c = check(r, item, &index(&cp, i))?;
        if checks.iter().any(|o| o.id == c.id) {
            return Err(r.error(
                &child(&index(&cp, i), "id"),
                format!("duplicate check id {:?}", c.id),
            ));
        }
        checks.push(c);
    }
    let solution = r.lines(&mut f, "solution")?;
    r.done(f)?;
    Ok(Step {
        task,
        hints,
        checks,
        solution,
    })
}

fn check(r: &Reader<'_>, value: &Value, path: &[Seg]) -> Result<Check, LessonError> {
    let mut f = r.fields(value, path)?;
    let id = r.string(r.required(&mut f, "id")?, &child(path, "id"))?;
    let text = r.text(&mut f, "text")?;
    let kinds = ["object", "event", "command"];
    let given: Vec<&str> = kinds
        .into_iter()
        .filter(|k| f.map.get(*k).is_some())
        .collect();
    let predicate = match given.as_slice() {
        ["object"] => {
            let p = child(path, "object");
            Predicate::Object(object_query(r, r.required(&mut f, "object")?, &p)?)
        }
        ["event"] => {
            let p = child(path, "event");
            Predicate::Event(event_query(r, r.required(&mut f, "event")?, &p, 0)?)
        }
        ["command"] => {
            let p = child(path, "command");
            Predicate::Command(command_query(r, r.required(&mut f, "command")?, &p)?)
        }
        [] => {
            return Err(r.error(path, "a check needs one of: object, event, command"));
        }
        _ => {
            return Err(r.error(
                &child(path, given[1]),
                "a check has exactly one of: object, event, command",
            ))
        }
    };
    r.done(f)?;
    Ok(Check {
        id,
        text,
        predicate,
    })
}

fn resource(r: &Reader<'_>, f: &mut Fields<'_>) -> Result<&'static ResourceInfo, LessonError> {
    let p = child(&f.path, "resource");
    let name = r.string(r.required(f, "resource")?, &p)?;
    resources::lookup(&name).ok_or_else(|| {
        r.error(
            &p,
            format!(
                "unknown resource {name:?} (write it as kubectl does: pods, deployments, nodes)"
            ),
        )
    })
}

fn object_query(r: &Reader<'_>, value: &Value, path: &[Seg]) -> Result<ObjectQuery, LessonError> {
    let mut f = r.fields(value, path)?;
    let resource = resource(r, &mut f)?;
    let namespace = r.opt_string(&mut f, "namespace")?;
    let name = r.opt_string(&mut f, "name")?;
    let name_prefix = r.opt_string(&mut f, "name_prefix")?;
    let selector = match r.opt_string(&mut f, "selector")? {
        None => None,
        Some(text) => Some(SelectorText {
            selector: parse_selector(&text).map_err(|e| r.error(&child(path, "selector"), e))?,
            text,
        }),
    };
    let mut fields = Vec::new();
    if let Some(v) = r.optional(&mut f, "fields") {
        let fp = child(path, "fields");
        let Value::Object(map) = v else {
            return Err(r.error(&fp, "expected a map of field paths to values"));
        };
        for (key, expected) in map {
            if matches!(expected, Value::Array(_) | Value::Object(_)) {
                return Err(r.error(
                    &child(&fp, key),
                    "expected a single value (text, number, true or false)",
                ));
            }
            if let Err(message) = parse_field_path(key) {
                return Err(r.error(&child(&fp, key), message));
            }
            fields.push((key.clone(), expected.clone()));
        }
    }
    let count = r.count(&mut f)?;
    r.done(f)?;
    Ok(ObjectQuery {
        resource,
        namespace,
        name,
        name_prefix,
        selector,
        fields,
        count,
    })
}

fn event_query(
    r: &Reader<'_>,
    value: &Value,
    path: &[Seg],
    depth: usize,
) -> Result<EventQuery, LessonError> {
    let mut f = r.fields(value, path)?;
    let kind = match r.opt_string(&mut f, "kind")? {
        None => None,
        Some(k) => Some(
            EventKind::NAMES
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, kind)| *kind)
                .ok_or_else(|| {
                    let names: Vec<&str> = EventKind::NAMES.iter().map(|(n, _)| *n).collect();
                    r.error(
                        &child(path, "kind"),
                        format!("unknown kind {k:?} (expected one of: {})", names.join(", ")),
                    )
                })?,
        ),
    };
    let component = match r.opt_string(&mut f, "component")? {
        None => None,
        Some(c) => Some(Component::from_name(&c).ok_or_else(|| {
            let names: Vec<&str> = Component::ALL.iter().map(|c| c.name()).collect();
            r.error(
                &child(path, "component"),
                format!(
                    "unknown component {c:?} (expected one of: {})",
                    names.join(", ")
                ),
            )
        })?),
    };
    let resource = match r.opt_string(&mut f, "resource")? {
        None => None,
        Some(name) => Some(
            resources::lookup(&name)
                .map(|info| info.plural.to_string())
                .ok_or_else(|| {
                    r.error(
                        &child(path, "resource"),
                        format!("unknown resource {name:?}"),
                    )
                })?,
        ),
    };
    let after = match r.optional(&mut f, "after") {
        None => None,
        Some(_) if depth >= AFTER_DEPTH_MAX => {
            return Err(r.error(
                &child(path, "after"),
                format!("`after` nests at most {AFTER_DEPTH_MAX} deep"),
            ))
        }
        Some(v) => Some(Box::new(event_query(
            r,
            v,
            &child(path, "after"),
            depth + 1,
        )?)),
    };
    let count = if f.map.contains_key("count") || f.map.contains_key("min") {
        Some(r.count(&mut f)?)
    } else {
        f.taken.insert("count");
        f.taken.insert("min");
        None
    };
    let q = EventQuery {
        kind,
        component,
        controller: r.opt_string(&mut f, "controller")?,
        vm: r.opt_string(&mut f, "vm")?,
        reason: r.opt_string(&mut f, "reason")?,
        verb: r.opt_string(&mut f, "verb")?,
        subresource: r.opt_string(&mut f, "subresource")?,
        call: r.opt_string(&mut f, "call")?,
        message_contains: r.opt_string(&mut f, "message_contains")?,
        resource,
        namespace: r.opt_string(&mut f, "namespace")?,
        name: r.opt_string(&mut f, "name")?,
        name_prefix: r.opt_string(&mut f, "name_prefix")?,
        line_contains: r.opt_string(&mut f, "line_contains")?,
        after,
        count,
    };
    r.done(f)?;
    Ok(q)
}

fn command_query(r: &Reader<'_>, value: &Value, path: &[Seg]) -> Result<CommandQuery, LessonError> {
    let mut f = r.fields(value, path)?;
    let words = |r: &Reader<'_>,
                 f: &mut Fields<'_>,
                 key: &'static str|
     -> Result<Vec<String>, LessonError> {
        let p = child(&f.path, key);
        match r.optional(f, key) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![r.string(&Value::String(s.clone()), &p)?]),
            Some(v) => r
                .list(v, &p, 16)?
                .iter()
                .enumerate()
                .map(|(i, w)| r.string(w, &index(&p, i)))
                .collect(),
        }
    };
    let all = words(r, &mut f, "all")?;
    let any = words(r, &mut f, "any")?;
    if all.is_empty() && any.is_empty() {
        return Err(r.error(path, "a command check needs `all` or `any`"));
    }
    let host = r.opt_string(&mut f, "host")?;
    r.done(f)?;
    Ok(CommandQuery { all, any, host })
}

// ---------------------------------------------------------------------------------------------
// Field paths
// ---------------------------------------------------------------------------------------------

#[derive(Debug, PartialEq)]
enum FieldSeg<'a> {
    Key(&'a str),
    Index(usize),
    /// `conditions[type=Ready]`: the list `conditions`, its first element whose `type` is `Ready`.
    Find(&'a str, &'a str, &'a str),
}

fn parse_field_path(path: &str) -> Result<Vec<FieldSeg<'_>>, String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        if part.is_empty() {
            return Err(format!("field path {path:?} has an empty segment"));
        }
        if let Some((list, rest)) = part.split_once('[') {
            let inner = rest.strip_suffix(']').ok_or_else(|| {
                format!("field path segment {part:?}: expected name[field=value]")
            })?;
            let (k, v) = inner.split_once('=').ok_or_else(|| {
                format!("field path segment {part:?}: expected name[field=value]")
            })?;
            out.push(FieldSeg::Find(list, k, v));
        } else if let Ok(i) = part.parse::<usize>() {
            out.push(FieldSeg::Index(i));
        } else {
            out.push(FieldSeg::Key(part));
        }
    }
    Ok(out)
}

fn field<'v>(object: &'v Value, path: &str) -> Option<&'v Value> {
    let segs = parse_field_path(path).ok()?;
    let mut at = object;
    for seg in segs {
        at = match seg {
            FieldSeg::Key(k) => at.get(k)?,
            FieldSeg::Index(i) => at.get(i)?,
            FieldSeg::Find(list, k, v) => at.get(list)?.as_array()?.iter().find(|e| {
                e.get(k)
                    .is_some_and(|x| scalar_eq(x, &Value::String(v.to_string())))
            })?,
        };
    }
    Some(at)
}

/// Scalars compare as YAML authors mean them: `"true"` and `true`, `"3"` and `3` are equal.
fn scalar_eq(actual: &Value, expected: &Value) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match (text(actual), text(expected)) {
        (Some(a), Some(e)) => a == e,
        _ => actual == expected,
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/// Whether `check` holds on `cluster` now, reading its trace from `since` (the lesson's start:
/// what the setup lines did is not the student's work).
pub fn passes(check: &Check, cluster: &Cluster, since: Seq) -> bool {
    match &check.predicate {
        Predicate::Object(q) => q.count.passes(matching_objects(q, cluster)),
        Predicate::Event(q) => {
            let events = cluster.trace().since(since);
            let n = matching_events(q, cluster, events).len();
            q.count
                .unwrap_or(Count {
                    exactly: None,
                    min: 1,
                })
                .passes(n)
        }
        Predicate::Command(q) => cluster.trace().since(since).iter().any(|e| {
            let TraceKind::Command { line, host } = &e.kind else {
                return false;
            };
            q.host.as_ref().is_none_or(|h| h == host)
                && q.all.iter().all(|w| line.contains(w.as_str()))
                && (q.any.is_empty() || q.any.iter().any(|w| line.contains(w.as_str())))
        }),
    }
}

fn matching_objects(q: &ObjectQuery, cluster: &Cluster) -> usize {
    let namespace = q.namespace.as_deref().filter(|_| q.resource.namespaced);
    let request = RangeRequest::prefix(q.resource.prefix(namespace));
    let Ok(result) = cluster.store().range(&request) else {
        return 0;
    };
    result
        .kvs
        .iter()
        .filter_map(|kv| serde_json::from_slice::<Value>(&kv.value).ok())
        .filter(|o| {
            let name = o
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            q.name.as_ref().is_none_or(|n| n == name)
                && q.name_prefix
                    .as_ref()
                    .is_none_or(|p| name.starts_with(p.as_str()))
                && q.selector
                    .as_ref()
                    .is_none_or(|s| s.selector.matches_labels_of(o))
                && q.fields
                    .iter()
                    .all(|(path, expected)| field(o, path).is_some_and(|v| scalar_eq(v, expected)))
        })
        .count()
}

/// The events of `events` that `q` matches, in order.
fn matching_events<'e>(
    q: &EventQuery,
    cluster: &Cluster,
    events: Events<'e>,
) -> Vec<&'e TraceEvent> {
    let after = match &q.after {
        None => None,
        Some(inner) => match matching_events(inner, cluster, events).first() {
            Some(first) => Some(first.seq),
            // What this one must follow never happened.
            None => return Vec::new(),
        },
    };
    events
        .iter()
        .filter(|e| after.is_none_or(|a| e.seq > a) && event_matches(q, cluster, e))
        .collect()
}

fn event_matches(q: &EventQuery, cluster: &Cluster, e: &TraceEvent) -> bool {
    let is = |want: &Option<String>, have: Option<&str>| {
        want.as_ref().is_none_or(|w| have == Some(w.as_str()))
    };
    if q.kind.is_some() && q.kind != EventKind::of(&e.kind) {
        return false;
    }
    if q.component.is_some_and(|c| c != e.actor.component)
        || !is(&q.controller, e.actor.controller.as_deref())
        || !is(&q.vm, Some(&e.actor.vm))
    {
        return false;
    }
    let (reason, verb, subresource, call, message): (
        Option<&str>,
        Option<&str>,
        Option<&str>,
        Option<String>,
        Option<&str>,
    ) = match &e.kind {
        TraceKind::Decision { reason, message } => (Some(reason), None, None, None, Some(message)),
        TraceKind::Request {
            verb, subresource, ..
        } => (
            None,
            Some(verb.as_str()),
            subresource.as_deref(),
            None,
            None,
        ),
        TraceKind::Cri { call, detail, .. } => (
            None,
            None,
            None,
            Some(call.name().to_string()),
            Some(detail),
        ),
        TraceKind::StoreCommit { key, .. } => (None, None, None, None, Some(key)),
        TraceKind::Command { line, .. } => (None, None, None, None, Some(line)),
        TraceKind::WatchDelivery { key, .. } => (None, None, None, None, Some(key)),
        _ => (None, None, None, None, None),
    };
    if !is(&q.reason, reason)
        || !is(&q.verb, verb)
        || !is(&q.subresource, subresource)
        || !is(&q.call, call.as_deref())
        || q.message_contains
            .as_ref()
            .is_some_and(|m| !message.is_some_and(|t| t.contains(m.as_str())))
    {
        return false;
    }
    // The object: a request names what was asked for; others their ObjectRef.
    let (resource, namespace, name) = match (&e.kind, &e.object) {
        (_, Some(o)) => (
            Some(o.resource.as_str()),
            o.namespace.as_deref(),
            Some(o.name.as_str()),
        ),
        (
            TraceKind::Request {
                resource,
                namespace,
                name,
                ..
            },
            None,
        ) => (
            Some(resource.as_str()),
            namespace.as_deref(),
            name.as_deref(),
        ),
        // A CRI call is about the pod it names (`namespace/name`).
        (TraceKind::Cri { pod: Some(pod), .. }, None) => match pod.split_once('/') {
            Some((ns, name)) => (Some("pods"), Some(ns), Some(name)),
            None => (Some("pods"), None, Some(pod.as_str())),
        },
        _ => (None, None, None),
    };
    if !is(&q.resource, resource)
        || !is(&q.namespace, namespace)
        || !is(&q.name, name)
        || q.name_prefix
            .as_ref()
            .is_some_and(|p| !name.is_some_and(|n| n.starts_with(p.as_str())))
    {
        return false;
    }
    if let Some(want) = &q.line_contains {
        let root = cluster
            .trace()
            .causal_chain(e.seq)
            .first()
            .and_then(|s| cluster.trace().get(*s));
        let line = match root.map(|r| &r.kind) {
            Some(TraceKind::Command { line, .. }) => line.as_str(),
            _ => return false,
        };
        if !line.contains(want.as_str()) {
            return false;
        }
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Completion codes
// ---------------------------------------------------------------------------------------------

/// The code a student shows a teacher: derived from the lesson's id, its seed and every line
/// the student typed, in order. A teacher verifies it by replaying those lines on a fresh lab
/// (`kube-sandbox verify-code`): the same lines give the same code, and the replay must pass
/// every step's checks, so the code cannot be made without lines that solve the lesson.
/// 8 characters of Crockford base32 over FNV-1a 64 (FNV for the reason `Trace::fingerprint`
/// uses it: stable across releases and platforms). Not a secret: proof of work, not of identity.
pub fn completion_code(lesson: &Lesson, lines: &[String]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(PRIME);
        }
        hash = (hash ^ 0xff).wrapping_mul(PRIME);
    };
    feed(lesson.id.as_bytes());
    feed(lesson.seed.to_string().as_bytes());
    for line in lines {
        feed(line.as_bytes());
    }
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut code = String::new();
    for i in 0..8 {
        if i == 4 {
            code.push('-');
        }
        code.push(ALPHABET[((hash >> (i * 5)) & 31) as usize] as char);
    }
    code
}

/// The ids of the checks of `step` that do not pass.
pub fn failing(step: &Step, cluster: &Cluster, since: Seq) -> Vec<String> {
    step.checks
        .iter()
        .filter(|c| !passes(c, cluster, since))
        .map(|c| c.id.clone())
        .collect()
}

/// A map of check id to whether it passes, for one step.
pub fn results(step: &Step, cluster: &Cluster, since: Seq) -> BTreeMap<String, bool> {
    step.checks
        .iter()
        .map(|c| (c.id.clone(), passes(c, cluster, since)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_path_reads_keys_indexes_and_a_list_element_by_its_field() {
        let node = serde_json::json!({
            "status": {"conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}]},
            "spec": {"containers": [{"image": "nginx:1.25"}]}
        });
        assert_eq!(
            field(&node, "status.conditions[type=Ready].status"),
            Some(&Value::from("True"))
        );
        assert_eq!(
            field(&node, "spec.containers.0.image"),
            Some(&Value::from("nginx:1.25"))
        );
        assert_eq!(field(&node, "spec.containers.1.image"), None);
        assert!(parse_field_path("a..b").is_err());
        assert!(parse_field_path("a[b]").is_err());
    }

    #[test]
    fn line_of_finds_the_key_of_a_nested_field_and_the_parent_of_a_missing_one() {
        let text = "id: x\nsteps:\n  - task: t\n    checks:\n      - id: a\n        object:\n          resource: podz\n";
        let path = |s: &[&str]| -> Vec<Seg> {
            s.iter()
                .map(|p| {
                    p.parse()
                        .map(Seg::Index)
                        .unwrap_or_else(|_| Seg::Key(p.to_string()))
                })
                .collect()
        };
        assert_eq!(
            line_of(
                text,
                &path(&["steps", "0", "checks", "0", "object", "resource"])
            ),
            Some(7)
        );
        assert_eq!(
            line_of(text, &path(&["steps", "0", "checks", "0", "id"])),
            Some(5)
        );
        assert_eq!(
            line_of(text, &path(&["steps", "0", "checks", "0", "text"])),
            Some(5)
        );
        assert_eq!(line_of(text, &path(&["id"])), Some(1));
    }

    #[test]
    fn a_completion_code_changes_with_every_line_and_has_a_readable_shape() {
        let lesson = load(
            "t.yaml",
            "id: t\ntitle: {ko: 가, en: a}\nintro: {ko: 가, en: a}\nfinish: {ko: 가, en: a}\nsteps:\n  - task: {ko: 가, en: a}\n    checks:\n      - id: c\n        text: {ko: 가, en: a}\n        command: {all: kubectl}\n",
        )
        .unwrap();
        let a = completion_code(&lesson, &["kubectl get pods".into()]);
        let b = completion_code(&lesson, &["kubectl get pod".into()]);
        assert_ne!(a, b);
        assert_eq!(a, completion_code(&lesson, &["kubectl get pods".into()]));
        assert_eq!(a.len(), 9);
        assert_eq!(a.as_bytes()[4], b'-');
    }
}
