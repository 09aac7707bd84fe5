//! The saved state: what keeps a student's sandbox across a reload, in a file, or in a link.
//!
//! The simulation is deterministic (same seed + same inputs = same trace), so the seed and the
//! log of what the student did to the session are the whole state: [`Session::restore`] boots the
//! lab from the seed and replays the log, and the cluster, its trace, its store's revisions and
//! the timeline come out as they were. Nothing of the cluster itself is stored.
//!
//! ```text
//! { "schema": 1, "seed": 1,
//!   "inputs": [ {"line": "kubectl create deployment web --image=nginx", "exit": 0},
//!               {"line": "cat <<EOF > web.yaml", "exit": 0}, {"line": "EOF", "exit": 0},
//!               {"file": "editor.yaml", "text": "apiVersion: v1\n..."},
//!               {"edit": "apiVersion: apps/v1\n...", "exit": 0}, {"cancel_edit": true} ],
//!   "lesson": <opaque to this module: the lesson's own progress> }
//! ```
//!
//! The inputs besides typed lines: a heredoc's lines are lines (the shell joins them); the
//! editor's Apply saves `editor.yaml` (a `file`) and then runs a line; `kubectl edit`'s editor
//! saves (`edit`) or closes (`cancel_edit`). `sleep` and `vagrant halt` are lines (simulated time
//! and VM power live in the cluster). The player's speed, the animation switch and the open panels
//! are view choices, not state: the page keeps them apart.
//!
//! Each line keeps the exit status it had: a replay where a line ends differently (a saved state
//! from an older simulation whose behaviour changed) stops with [`RestoreError::Diverged`]
//! instead of showing a cluster the student never had.
//!
//! [`Session::restore`]: crate::present::session::Session::restore

use serde_json::{Map, Value};

/// The version of the saved state's shape and meaning. Bump it when an old state would replay
/// into something else: a changed input kind, or a simulation change that moves the trace.
pub const SCHEMA_VERSION: u32 = 1;

/// Where the page autosaves the session (`localStorage`).
pub const STORAGE_KEY: &str = "kube-sandbox.session";

/// Limits on what is accepted from storage, a file or a link, so a pasted or doctored state
/// cannot grow memory or the replay without bound: the same order as the shell's own limits (a
/// heredoc or an edit may carry a large manifest).
pub const MAX_INPUTS: usize = 20_000;
pub const MAX_SAVED_BYTES: usize = 8 << 20;

/// One thing the student did to the session, in the order done. In JSON each is an object told
/// apart by its key (`line`, `file`, `edit`, `cancel_edit`), as the example above shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A line typed (or pasted) into the terminal, or run by a button: with the exit status it
    /// ended with (0 for a heredoc's lines before its terminator).
    Line { line: String, exit: i32 },
    /// The editor saved a file before applying it (`editor.yaml`).
    File { file: String, text: String },
    /// The editor saved the object `kubectl edit` opened.
    Edit { edit: String, exit: i32 },
    /// The editor closed `kubectl edit`'s object without saving.
    CancelEdit { cancel_edit: bool },
}

/// Everything needed to build the session again.
///
/// Read and written through `serde_json::Value` by hand rather than with serde's derives: the
/// page already links `Value`'s parser and printer, and derived (untagged) deserializers cost
/// about 20 KB of wasm before optimisation for these few fields.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedState {
    pub schema: u32,
    pub seed: u64,
    pub inputs: Vec<Input>,
    /// The lesson's progress, kept and given back as it was handed over: its shape belongs to
    /// the lessons.
    pub lesson: Option<Value>,
}

/// Why a saved state could not be brought back. Shown to the student (with
/// [`crate::present::i18n`]'s heading) and never a panic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreError {
    /// Not a saved state at all: not JSON, or JSON of another shape.
    Unreadable(String),
    /// A saved state of another schema version (an older or newer page).
    Schema { found: u32 },
    /// Over [`MAX_SAVED_BYTES`] or [`MAX_INPUTS`].
    TooLarge,
    /// Replaying input `index` (0-based) ended with another exit status than it had.
    Diverged {
        index: usize,
        line: String,
        saved: i32,
        now: i32,
    },
}

impl std::fmt::Display for RestoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestoreError::Unreadable(why) => write!(f, "not a saved sandbox: {why}"),
            RestoreError::Schema { found } => write!(
                f,
                "saved by another version of the sandbox (schema {found}, this page reads {SCHEMA_VERSION})"
            ),
            RestoreError::TooLarge => write!(
                f,
                "too large: over {MAX_SAVED_BYTES} bytes or {MAX_INPUTS} inputs"
            ),
            RestoreError::Diverged {
                index,
                line,
                saved,
                now,
            } => write!(
                f,
                "input {} (`{}`) ended with exit status {now} on replay, {saved} when it was saved",
                index + 1,
                first_line(line)
            ),
        }
    }
}

impl Input {
    fn to_value(&self) -> Value {
        let mut input = Map::new();
        let mut put = |key: &str, value: Value| input.insert(key.to_string(), value);
        match self {
            Input::Line { line, exit } => {
                put("line", line.as_str().into());
                put("exit", (*exit).into());
            }
            Input::File { file, text } => {
                put("file", file.as_str().into());
                put("text", text.as_str().into());
            }
            Input::Edit { edit, exit } => {
                put("edit", edit.as_str().into());
                put("exit", (*exit).into());
            }
            Input::CancelEdit { cancel_edit } => {
                put("cancel_edit", (*cancel_edit).into());
            }
        }
        Value::Object(input)
    }

    fn from_value(value: &Value) -> Option<Input> {
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
        let exit = || {
            let exit = value.get("exit").and_then(Value::as_i64)?;
            i32::try_from(exit).ok()
        };
        let keys = value.as_object()?.len();
        if let Some(line) = text("line") {
            return (keys == 2).then_some(Input::Line {
                line,
                exit: exit()?,
            });
        }
        if let Some(file) = text("file") {
            let text = text("text")?;
            return (keys == 2).then_some(Input::File { file, text });
        }
        if let Some(edit) = text("edit") {
            return (keys == 2).then_some(Input::Edit {
                edit,
                exit: exit()?,
            });
        }
        let cancel_edit = value.get("cancel_edit")?.as_bool()?;
        (keys == 1).then_some(Input::CancelEdit { cancel_edit })
    }
}

impl RestoreError {
    /// The sentence the page shows above the details: what happened, and that it started fresh.
    pub fn heading(&self) -> crate::present::i18n::Msg {
        use crate::present::i18n::Msg;
        match self {
            RestoreError::Unreadable(_) => Msg::SessionBroken,
            RestoreError::Schema { .. } => Msg::SessionSchema,
            RestoreError::TooLarge => Msg::SessionTooLarge,
            RestoreError::Diverged { .. } => Msg::SessionDiverged,
        }
    }
}

/// A line's first line (a heredoc's opening line), at most 80 characters: for messages.
fn first_line(line: &str) -> String {
    let first = line.lines().next().unwrap_or("");
    match first.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &first[..at]),
        None => first.to_string(),
    }
}

impl SavedState {
    /// A fresh session's state: the lab from `seed`, nothing done yet.
    pub fn new(seed: u64) -> SavedState {
        SavedState {
            schema: SCHEMA_VERSION,
            seed,
            inputs: Vec::new(),
            lesson: None,
        }
    }

    /// The state as JSON text: what storage, the export file and the share link carry.
    pub fn encode(&self) -> String {
        let inputs = self.inputs.iter().map(Input::to_value).collect();
        let mut state = Map::new();
        state.insert("schema".into(), self.schema.into());
        state.insert("seed".into(), self.seed.into());
        state.insert("inputs".into(), Value::Array(inputs));
        if let Some(lesson) = &self.lesson {
            state.insert("lesson".into(), lesson.clone());
        }
        Value::Object(state).to_string()
    }

    /// Reads a saved state, checking its schema version first (so that a state of another
    /// version says so, whatever else changed in its shape) and its limits.
    pub fn decode(text: &str) -> Result<SavedState, RestoreError> {
        if text.len() > MAX_SAVED_BYTES {
            return Err(RestoreError::TooLarge);
        }
        let unreadable = |why: &str| RestoreError::Unreadable(why.to_string());
        let value: Value = crate::sim::api::json_from_str(text)
            .map_err(|e| RestoreError::Unreadable(format!("not JSON ({e})")))?;
        let schema = value.get("schema").and_then(Value::as_u64);
        match schema {
            Some(s) if s == u64::from(SCHEMA_VERSION) => {}
            Some(s) => {
                return Err(RestoreError::Schema {
                    found: u32::try_from(s).unwrap_or(u32::MAX),
                })
            }
            None => return Err(unreadable("no \"schema\" version number")),
        }
        let seed = value
            .get("seed")
            .and_then(Value::as_u64)
            .ok_or_else(|| unreadable("no \"seed\" (a whole number)"))?;
        let list = value
            .get("inputs")
            .and_then(Value::as_array)
            .ok_or_else(|| unreadable("no \"inputs\" list"))?;
        if list.len() > MAX_INPUTS {
            return Err(RestoreError::TooLarge);
        }
        let mut inputs = Vec::with_capacity(list.len());
        for (i, input) in list.iter().enumerate() {
            let input = Input::from_value(input).ok_or_else(|| {
                RestoreError::Unreadable(format!(
                    "input {} is not a line, file, edit or cancel_edit",
                    i + 1
                ))
            })?;
            inputs.push(input);
        }
        Ok(SavedState {
            schema: SCHEMA_VERSION,
            seed,
            inputs,
            lesson: value.get("lesson").filter(|l| !l.is_null()).cloned(),
        })
    }

    /// How many lines were typed (heredoc bodies counted line by line), for a summary.
    pub fn lines(&self) -> usize {
        self.inputs
            .iter()
            .filter(|i| matches!(i, Input::Line { .. }))
            .count()
    }
}

/// `n` lines of a typical student session (deployments made, looked at, scaled, exposed,
/// updated, labelled and deleted, ten at a time), for the restore benchmark (`benches/lab.rs`,
/// `examples/restore_time.rs`): how long a reload of a long session takes.
pub fn typical_lines(n: usize) -> Vec<String> {
    let round = |i: usize| {
        [
            format!("kubectl create deployment web{i} --image=nginx --replicas=3"),
            "kubectl get pods".to_string(),
            "kubectl get pods -o wide".to_string(),
            format!("kubectl describe deployment web{i}"),
            format!("kubectl scale deployment web{i} --replicas=5"),
            format!("kubectl expose deployment web{i} --port=80"),
            "kubectl get svc".to_string(),
            format!("kubectl get deployment web{i} -o yaml"),
            format!("kubectl label pods -l app=web{i} tier=front"),
            format!("kubectl get pods -l app=web{i} --show-labels"),
            format!("kubectl set image deployment/web{i} nginx=nginx:1.27"),
            format!("kubectl rollout status deployment/web{i}"),
            "kubectl get rs".to_string(),
            "kubectl get events".to_string(),
            "etcdctl get /registry/pods --prefix --keys-only".to_string(),
            "kubectl get nodes".to_string(),
            format!("kubectl scale deployment web{i} --replicas=1"),
            "kubectl get all".to_string(),
            format!("kubectl delete service web{i}"),
            format!("kubectl delete deployment web{i}"),
        ]
    };
    (0..).flat_map(round).take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_reads_back_as_written() {
        let state = SavedState {
            schema: SCHEMA_VERSION,
            seed: 7,
            inputs: vec![
                Input::Line {
                    line: "kubectl get pods".into(),
                    exit: 0,
                },
                Input::File {
                    file: "editor.yaml".into(),
                    text: "kind: Pod\n".into(),
                },
                Input::Edit {
                    edit: "x".into(),
                    exit: 1,
                },
                Input::CancelEdit { cancel_edit: true },
            ],
            lesson: Some(serde_json::json!({"id": "tour", "step": 2})),
        };
        assert_eq!(SavedState::decode(&state.encode()), Ok(state));
    }

    #[test]
    fn bad_states_say_what_is_wrong() {
        let cases: &[(&str, &str)] = &[
            ("", "not a saved sandbox: not JSON"),
            ("{", "not a saved sandbox: not JSON"),
            ("[]", "no \"schema\""),
            ("{\"seed\":1,\"inputs\":[]}", "no \"schema\""),
            (
                "{\"schema\":2,\"seed\":1,\"inputs\":[]}",
                "schema 2, this page reads 1",
            ),
            ("{\"schema\":-1,\"seed\":1}", "no \"schema\""),
            ("{\"schema\":99999999999,\"seed\":1}", "schema 4294967295"),
            ("{\"schema\":1,\"inputs\":[]}", "no \"seed\""),
            ("{\"schema\":1,\"seed\":1}", "no \"inputs\""),
            ("{\"schema\":1,\"seed\":1,\"inputs\":[{\"line\":\"ls\"}]}", "input 1 is not"),
            ("{\"schema\":1,\"seed\":1,\"inputs\":[{\"line\":\"ls\",\"exit\":0,\"x\":1}]}", "input 1 is not"),
            ("{\"schema\":1,\"seed\":1,\"inputs\":[{\"line\":\"ls\",\"exit\":0},{\"file\":\"a\"}]}", "input 2 is not"),
            ("{\"schema\":1,\"seed\":1,\"inputs\":[{\"edit\":\"a\",\"exit\":9999999999}]}", "input 1 is not"),
            (
                "{\"schema\":1,\"seed\":-3,\"inputs\":[]}",
                "not a saved sandbox",
            ),
            (
                "{\"schema\":1,\"seed\":1,\"inputs\":[{\"line\":3}]}",
                "not a saved sandbox",
            ),
            (
                "{\"schema\":1,\"seed\":1,\"inputs\":[{\"what\":\"x\"}]}",
                "not a saved sandbox",
            ),
            (
                "{\"schema\":1,\"seed\":1,\"inputs\":{}}",
                "not a saved sandbox",
            ),
        ];
        for (text, expected) in cases {
            let err = SavedState::decode(text).expect_err(text);
            let message = err.to_string();
            assert!(
                message.contains(expected),
                "{text:?}: {message:?} should contain {expected:?}"
            );
        }
        let huge = " ".repeat(MAX_SAVED_BYTES + 1);
        assert_eq!(SavedState::decode(&huge), Err(RestoreError::TooLarge));
    }
}
