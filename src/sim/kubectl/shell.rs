//! The shell of the student's terminal on `master`: one line in, what the terminal shows out.
//!
//! Mirrors: an interactive bash as root on a kubeadm master: `kubectl` and `etcdctl` on the PATH,
//! heredocs (`kubectl apply -f - <<EOF` ... `EOF`, `cat <<EOF > web.yaml`), `>`/`>>` into files,
//! `cat`, `ls`, `rm`, `echo`, `sleep`, `clear`, `;` and `&&`, `VAR=value` prefixes
//! (`ETCDCTL_API=3 etcdctl ...`), and bash's `command not found` (exit 127).
//! Pipes into `grep`, `head`, `tail` and `wc`. `ssh node1` moves the shell to a worker VM
//! (`node_cmds.rs`: `crictl`, `docker`, `systemctl`, `iptables`, `poweroff`, `exit`), where
//! kubectl has no kubeconfig; `ssh node2 COMMAND ARGS...` runs one line there, as OpenSSH does
//! (the words joined with spaces for the remote shell, its output and exit status back, the
//! terminal staying where it was). `mv` renames files and moves kubeadm's manifests in and out
//! of `/etc/kubernetes/manifests`; `ls` and `cat` see them there (and wherever they were moved).
//! Simplified: files live in a small in-memory file system (path → text) in the home directory,
//! shared by every VM; besides them the shell knows only kubeadm's files in `/etc/kubernetes`
//! (and manifests moved to `/tmp` or `/root`); no variables are expanded, no globs; grep matches
//! fixed strings, not regular expressions; `ls` prints one line (as on a wide terminal); `ssh`
//! passes no standard input to the remote command; `sleep N` advances simulated time at once.

use std::collections::BTreeMap;

use super::cmd::{self, Ctx};
use super::etcdctl;
use super::net_cmds;
use super::node_cmds;
use super::words::{tokenize, Token};
use super::{Backend, FileReader, Output};
use crate::sim::clock::{Ticks, TICKS_PER_SECOND};

/// How long the cluster may run after each line by default: 120 simulated seconds.
pub const DEFAULT_SETTLE_TICKS: Ticks = 120 * TICKS_PER_SECOND;

/// The prompt of the master VM's root shell.
pub const PROMPT: &str = "[root@master ~]# ";
/// bash's `PS2`, shown while a heredoc is being typed.
pub const CONTINUATION_PROMPT: &str = "> ";

/// Limits that keep what a student pastes or writes from growing memory without bound: a file
/// may hold a manifest over the apiserver's 3 MiB limit (to meet its error), the disk a few.
const MAX_FILE_BYTES: usize = 4 << 20;
const MAX_FILES: usize = 256;
const MAX_DISK_BYTES: usize = 16 << 20;

/// A heredoc being typed: the command waits for its body.
struct Pending {
    /// The line that opened the heredoc, for the trace's `Command` once the body is complete.
    line: String,
    tokens: Vec<Token>,
    delimiter: String,
    strip_tabs: bool,
    body: String,
}

pub struct Shell<B: Backend> {
    backend: B,
    files: BTreeMap<String, String>,
    /// Variables set with `export NAME=value`, and for one command its `NAME=value` prefixes
    /// (`DOCKER_BUILDKIT=0 docker build .`).
    env: BTreeMap<String, String>,
    command_env: BTreeMap<String, String>,
    pending: Option<Pending>,
    settle_ticks: Ticks,
    file_reader: Option<FileReader>,
    /// `kubectl explain`'s docs: `www/explain.txt`, read from disk or fetched by the page.
    explain_docs: Option<String>,
    /// `$?`: the exit status of the last complete command.
    last_exit_code: i32,
    /// The VM the terminal is on (`ssh node1`) and the VMs powered off.
    node: node_cmds::NodeState,
    /// `kubectl port-forward`s left running, as if started with `&`.
    forwards: Vec<super::port_forward_cmd::ActiveForward>,
    /// What those background jobs print straight to the terminal, past pipes and redirects.
    terminal_notes: String,
    /// Did every settle of the current line end idle (not stopped by the settle limit)?
    settled_idle: bool,
    /// Leave a line's settle to the caller ([`Shell::settle_slice`]): the page runs it in
    /// slices so it can draw meanwhile.
    defer_settle: bool,
    /// The settle a line left owed, when deferred, and the line's `Command` event, whose
    /// `Settled` is recorded when the settle ends.
    owed: Option<crate::sim::cluster::Run>,
    owed_command: Option<crate::sim::trace::Seq>,
    /// An editor is attached (the page's): `kubectl edit` opens the object in it.
    editor: bool,
    /// The edit the editor has open, and whether it opened with the last line.
    edit: Option<super::edit::PendingEdit>,
    edit_opened: bool,
    /// The line of the last edit saved, for the trace's label of its patch.
    last_edit_line: Option<String>,
    /// How many `ssh HOST COMMAND`s the running command is inside (their `exit` ends the remote
    /// command, not the terminal's session).
    remote_depth: usize,
}

impl<B: Backend> Shell<B> {
    pub fn new(backend: B) -> Self {
        Shell {
            backend,
            files: BTreeMap::new(),
            env: BTreeMap::new(),
            command_env: BTreeMap::new(),
            pending: None,
            settle_ticks: DEFAULT_SETTLE_TICKS,
            file_reader: None,
            explain_docs: None,
            last_exit_code: 0,
            node: node_cmds::NodeState::default(),
            forwards: Vec::new(),
            terminal_notes: String::new(),
            settled_idle: true,
            defer_settle: false,
            owed: None,
            owed_command: None,
            editor: false,
            edit: None,
            edit_opened: false,
            last_edit_line: None,
            remote_depth: 0,
        }
    }

    /// Leave each line's settle to [`Shell::settle_slice`] instead of running it before
    /// `run_line` returns. A line typed while a settle is owed first finishes it, so the trace is
    /// the same either way.
    pub fn set_defer_settle(&mut self, defer: bool) {
        self.defer_settle = defer;
    }

    /// Is the cluster still working on the last line (a deferred settle not yet finished)?
    pub fn settling(&self) -> bool {
        self.owed.is_some()
    }

    /// Runs at most `budget` rounds of the owed settle; true when nothing is owed any more (the
    /// line's `Settled` is then recorded).
    pub fn settle_slice(&mut self, budget: usize) -> bool {
        let Some(mut run) = self.owed.take() else {
            return true;
        };
        match self.backend.settle_slice(&mut run, budget) {
            Some(idle) => {
                self.settled_idle &= idle;
                let command = self.owed_command.take();
                self.end_command(command);
                true
            }
            None => {
                self.owed = Some(run);
                false
            }
        }
    }

    fn finish_owed_settle(&mut self) {
        while !self.settle_slice(usize::MAX) {}
    }

    /// The end of a line: its `Settled` now, or when its owed settle ends.
    fn end_or_defer(&mut self, command: Option<crate::sim::trace::Seq>) {
        if self.owed.is_some() {
            self.owed_command = command;
        } else {
            self.end_command(command);
        }
    }

    /// The VM the terminal is on: `master`, or a worker after `ssh node1`.
    pub fn host(&self) -> &str {
        &self.node.host
    }

    /// The exit status of the last complete command (`$?`).
    pub fn last_exit_code(&self) -> i32 {
        self.last_exit_code
    }

    /// How long the cluster may run after each complete line.
    pub fn set_settle_ticks(&mut self, ticks: Ticks) {
        self.settle_ticks = ticks;
    }

    /// A fallback for `-f PATH` and `cat PATH` when the virtual file system lacks the path.
    pub fn set_file_reader(&mut self, reader: FileReader) {
        self.file_reader = Some(reader);
    }

    /// Hands `kubectl explain` its docs (`www/explain.txt`); until then it says they are missing.
    pub fn set_explain_docs(&mut self, docs: String) {
        self.explain_docs = Some(docs);
    }

    /// Whether `line` is a `kubectl explain` that would find no docs: the page fetches them
    /// first, then runs the line. The command word is found as kubectl finds it, past `-n NS`
    /// and `--as USER`.
    pub fn wants_explain_docs(&self, line: &str) -> bool {
        let mut words = line.split_whitespace();
        let kubectl = matches!(words.next(), Some("kubectl" | "k"));
        let args: Vec<String> = words.map(String::from).collect();
        let command = super::verb_util::first_word(&args, super::verb_util::GLOBAL);
        self.explain_docs.is_none() && kubectl && command.is_some_and(|i| args[i] == "explain")
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }

    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }

    /// The virtual file system: path (relative to `/root`) → contents.
    pub fn files(&self) -> &BTreeMap<String, String> {
        &self.files
    }

    /// Saves `text` at `path` in the virtual file system, as an editor saves a file; the same
    /// limits as a redirect (`bash: ...: No space left on device`, or the file is too big).
    pub fn write_file(&mut self, path: &str, text: &str) -> Result<(), String> {
        let path = normalize(path);
        self.room_for(&path, text.len())?;
        self.files.insert(path, text.to_string());
        Ok(())
    }

    /// Whether `path` may become `len` bytes long: bash's words when the file is over its size
    /// limit or the disk (files or bytes) is full.
    fn room_for(&self, path: &str, len: usize) -> Result<(), String> {
        let old = self.files.get(path).map(String::len);
        if old.is_none() && self.files.len() >= MAX_FILES {
            return Err(format!("bash: {path}: No space left on device\n"));
        }
        if len > MAX_FILE_BYTES {
            return Err(format!("bash: {path}: File too large\n"));
        }
        let used: usize = self.files.values().map(String::len).sum();
        if used - old.unwrap_or(0) + len > MAX_DISK_BYTES {
            return Err(format!("bash: {path}: No space left on device\n"));
        }
        Ok(())
    }

    /// Attaches an editor: `kubectl edit` then opens the object for it (see [`Shell::save_edit`]).
    pub fn attach_editor(&mut self) {
        self.editor = true;
    }

    /// The text of an edit the last line opened, once: the editor opens it.
    pub fn take_opened_edit(&mut self) -> Option<String> {
        if !std::mem::take(&mut self.edit_opened) {
            return None;
        }
        self.edit.as_ref().map(|e| e.text.clone())
    }

    /// The editor saved `text`: kubectl's edit loop goes on from there. An empty or unchanged
    /// text cancels; a change is patched, traced under the line that opened the edit; a
    /// refused save keeps the edit open.
    pub fn save_edit(&mut self, text: &str) -> Output {
        use super::edit::{merge_patch, strip_comments, EDIT_CANCELLED};
        self.finish_owed_settle();
        let Some(edit) = self.edit.take() else {
            return Output::fail("error: no edit is open: run kubectl edit KIND NAME first\n");
        };
        let body = strip_comments(text);
        if body.trim().is_empty() {
            return Output {
                stderr: EDIT_CANCELLED.into(),
                ..Output::default()
            };
        }
        let edited = match crate::sim::api::decode::decode_documents(&body) {
            Ok(mut docs) if docs.len() == 1 => docs.remove(0),
            Ok(_) => {
                self.edit = Some(edit);
                return Output::fail("error: the edited file must hold exactly one object\n");
            }
            Err(e) => {
                self.edit = Some(edit);
                return Output::fail(format!("error: {e}\n"));
            }
        };
        let Some(patch) = merge_patch(&edit.original, &edited) else {
            return Output {
                stderr: EDIT_CANCELLED.into(),
                ..Output::default()
            };
        };
        let mut words: Vec<String> = vec!["kubectl".into(), "patch".into()];
        words.extend(edit.target.iter().cloned());
        words.extend([
            "--type".into(),
            "merge".into(),
            "-p".into(),
            patch.to_string(),
        ]);
        self.last_edit_line = Some(edit.line.clone());
        let command = self.begin_command(&edit.line);
        let mut out = self.builtin(&words, None);
        self.settle();
        self.last_exit_code = out.exit_code;
        self.end_or_defer(command);
        if out.exit_code == 0 {
            out.stdout = out.stdout.replace(" patched\n", " edited\n");
        } else {
            self.edit = Some(edit);
        }
        out
    }

    /// The line of the edit open or last saved (`kubectl edit deployment web`).
    pub fn open_edit_line(&self) -> Option<String> {
        self.edit
            .as_ref()
            .map(|e| e.line.clone())
            .or_else(|| self.last_edit_line.clone())
    }

    /// The editor was closed without saving.
    pub fn cancel_edit(&mut self) -> Output {
        match self.edit.take() {
            Some(_) => Output {
                stderr: super::edit::EDIT_CANCELLED.into(),
                ..Output::default()
            },
            None => Output::default(),
        }
    }

    /// `kubectl edit TARGET`: reads the object as `kubectl get TARGET -o yaml` does and opens
    /// it in the attached editor.
    fn open_edit(&mut self, words: &[String]) -> Output {
        let target: Vec<String> = words.iter().skip(2).cloned().collect();
        if target.iter().all(|w| w.starts_with('-')) {
            return Output::fail(
                "error: You must provide one or more resources by argument or filename.\n",
            );
        }
        let mut get: Vec<String> = vec!["kubectl".into(), "get".into()];
        get.extend(target.iter().cloned());
        get.extend(["-o".into(), "yaml".into()]);
        let out = self.builtin(&get, None);
        if out.exit_code != 0 {
            return out;
        }
        let original = match crate::sim::api::decode::decode_documents(&out.stdout) {
            Ok(mut docs) if docs.len() == 1 => docs.remove(0),
            _ => return Output::fail("error: kubectl edit opens one object at a time here\n"),
        };
        self.edit = Some(super::edit::PendingEdit {
            line: words.join(" "),
            target,
            original,
            text: format!("{}{}", super::edit::EDIT_HEADER, out.stdout),
        });
        self.edit_opened = true;
        Output::default()
    }

    /// True while a heredoc body is being typed.
    pub fn is_continuing(&self) -> bool {
        self.pending.is_some()
    }

    pub fn prompt(&self) -> &'static str {
        if self.is_continuing() {
            CONTINUATION_PROMPT
        } else {
            node_cmds::prompt(&self.node.host)
        }
    }

    /// Runs one typed line. Inside a heredoc the line is buffered and the output is empty until
    /// the terminator arrives; then the whole command runs and the cluster settles.
    ///
    /// Pasted text with several lines runs line by line, as a terminal would feed it; the
    /// outputs are joined in order.
    pub fn run_line(&mut self, line: &str) -> Output {
        self.finish_owed_settle();
        let line = line.strip_suffix('\n').unwrap_or(line);
        if line.contains('\n') {
            let mut out = Output::default();
            for part in line.split('\n') {
                out.append(self.run_line(part));
            }
            return out;
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(mut pending) = self.pending.take() {
            let candidate = if pending.strip_tabs {
                line.trim_start_matches('\t')
            } else {
                line
            };
            if candidate == pending.delimiter {
                // The whole heredoc is the line the trace shows, as the student typed it.
                let typed = format!("{}\n{}{line}", pending.line, pending.body);
                let command = self.begin_command(&typed);
                let mut out = self.execute(&pending.tokens, Some(&pending.body));
                out.stdout
                    .insert_str(0, &std::mem::take(&mut self.terminal_notes));
                self.settle();
                self.last_exit_code = out.exit_code;
                self.end_or_defer(command);
                return out;
            }
            if pending.body.len() + candidate.len() < MAX_FILE_BYTES {
                pending.body.push_str(candidate);
                pending.body.push('\n');
            }
            self.pending = Some(pending);
            return Output::default();
        }
        // A line that opens a heredoc is not complete yet: its Command is recorded when the
        // delimiter arrives. A blank line runs nothing and is not traced.
        let opens_heredoc = matches!(tokenize(line), Ok(tokens)
            if tokens.iter().any(|t| matches!(t, Token::HereDoc { .. })));
        let command = if opens_heredoc || line.trim().is_empty() {
            None
        } else {
            self.begin_command(line)
        };
        let (expanded, substitution_errors) = self.substitute_commands(line, 0);
        let mut out = self.run_complete_line(&expanded, line);
        out.stderr.insert_str(0, &substitution_errors);
        self.end_or_defer(command);
        out
    }

    /// Starts the trace's `Command` for one complete line, typed on the current host.
    fn begin_command(&mut self, line: &str) -> Option<crate::sim::trace::Seq> {
        self.settled_idle = true;
        let host = self.node.host.clone();
        self.backend.begin_command(line, &host)
    }

    /// Records that the line's work settled (every settle of the line ended idle, or not).
    fn end_command(&mut self, command: Option<crate::sim::trace::Seq>) {
        if let Some(command) = command {
            self.backend.end_command(command, self.settled_idle);
        }
    }

    /// Lets the cluster run after a command, remembering whether the limit stopped it.
    /// Deferred ([`Shell::set_defer_settle`]), the settle is owed to [`Shell::settle_slice`].
    fn settle(&mut self) {
        if self.defer_settle {
            if let Some(run) = self.backend.begin_settle(self.settle_ticks) {
                self.owed = Some(run);
                return;
            }
        }
        let idle = self.backend.settle(self.settle_ticks);
        self.settled_idle &= idle;
    }

    /// Bash's command substitution, `$(COMMAND)`: runs COMMAND (settling the cluster after it,
    /// as any line) and puts its output in its place, trailing newlines removed; outside double
    /// quotes its lines become words. Not inside single quotes; `$((` arithmetic is left alone.
    /// Returns the line and what the substituted commands wrote to stderr.
    fn substitute_commands(&mut self, line: &str, depth: usize) -> (String, String) {
        const MAX_DEPTH: usize = 8;
        if !line.contains("$(") {
            return (line.to_string(), String::new());
        }
        let mut out = String::with_capacity(line.len());
        let mut errors = String::new();
        let chars: Vec<char> = line.chars().collect();
        let (mut single, mut double) = (false, false);
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '\\' if !single => {
                    out.push(c);
                    if let Some(&next) = chars.get(i + 1) {
                        out.push(next);
                    }
                    i += 2;
                    continue;
                }
                '\'' if !double => single = !single,
                '"' if !single => double = !double,
                '$' if !single
                    && chars.get(i + 1) == Some(&'(')
                    && chars.get(i + 2) != Some(&'(')
                    && depth < MAX_DEPTH =>
                {
                    if let Some(end) = closing_paren(&chars, i + 2) {
                        let inner: String = chars[i + 2..end].iter().collect();
                        let (inner, inner_errors) = self.substitute_commands(&inner, depth + 1);
                        errors.push_str(&inner_errors);
                        let result = self.run_complete_line(&inner, &inner);
                        // The substituted command's effects are settled before the line uses
                        // its output, as bash waits for it.
                        self.finish_owed_settle();
                        errors.push_str(&result.stderr);
                        let text = result.stdout.trim_end_matches('\n');
                        if double {
                            out.push_str(text);
                        } else {
                            out.push_str(&text.split_whitespace().collect::<Vec<_>>().join(" "));
                        }
                        i = end + 1;
                        continue;
                    }
                }
                _ => {}
            }
            out.push(c);
            i += 1;
        }
        (out, errors)
    }

    /// One complete line (no heredoc body pending): tokenized, run, and settled. `typed` is the
    /// line before `$(...)` substitution, kept with a heredoc it opens.
    fn run_complete_line(&mut self, line: &str, typed: &str) -> Output {
        let tokens = match tokenize(line) {
            Ok(t) => t,
            Err(e) => {
                self.last_exit_code = 2;
                return Output {
                    stderr: format!("{e}\n"),
                    exit_code: 2,
                    ..Output::default()
                };
            }
        };
        if tokens.is_empty() {
            return Output::default();
        }
        let heredoc = tokens.iter().find_map(|t| match t {
            Token::HereDoc {
                delimiter,
                strip_tabs,
            } => Some((delimiter.clone(), *strip_tabs)),
            _ => None,
        });
        if let Some((delimiter, strip_tabs)) = heredoc {
            self.pending = Some(Pending {
                line: typed.to_string(),
                tokens,
                delimiter,
                strip_tabs,
                body: String::new(),
            });
            return Output::default();
        }
        let mut out = self.execute(&tokens, None);
        out.stdout
            .insert_str(0, &std::mem::take(&mut self.terminal_notes));
        self.settle();
        self.last_exit_code = out.exit_code;
        out
    }

    /// Runs a list of commands separated by `;` and `&&`.
    fn execute(&mut self, tokens: &[Token], heredoc: Option<&str>) -> Output {
        let mut out = Output::default();
        let mut run_next = true;
        let mut start = 0;
        for (i, token) in tokens
            .iter()
            .enumerate()
            .chain(std::iter::once((tokens.len(), &Token::Semicolon)))
        {
            let separator = match token {
                Token::Semicolon => Some(false),
                Token::AndIf => Some(true),
                _ => None,
            };
            if let Some(needs_success) = separator {
                let command = tokens.get(start..i).unwrap_or(&[]);
                if run_next && !command.is_empty() {
                    out.append(self.pipeline(command, heredoc));
                    self.last_exit_code = out.exit_code;
                } else if command.is_empty() && i < tokens.len() {
                    let op = if needs_success { "&&" } else { ";" };
                    out.stderr.push_str(&format!(
                        "bash: syntax error near unexpected token `{op}'\n"
                    ));
                    out.exit_code = 2;
                    return out;
                }
                run_next = !needs_success || out.exit_code == 0;
                start = i + 1;
            }
        }
        out
    }

    /// `a | b | c`: each command's standard output is the next one's standard input; the
    /// pipeline's status is the last command's, as in bash.
    fn pipeline(&mut self, tokens: &[Token], heredoc: Option<&str>) -> Output {
        let segments: Vec<&[Token]> = tokens.split(|t| *t == Token::Pipe).collect();
        if segments.len() > 1 && segments.iter().any(|s| s.is_empty()) {
            return Output {
                stderr: "bash: syntax error near unexpected token `|'\n".to_string(),
                exit_code: 2,
                ..Output::default()
            };
        }
        let mut carried: Option<String> = None;
        let mut stderr = String::new();
        let mut last = Output::default();
        for segment in segments {
            let out = self.simple_command(segment, heredoc, carried.take());
            stderr.push_str(&out.stderr);
            carried = Some(out.stdout.clone());
            last = out;
        }
        last.stderr = stderr;
        last
    }

    fn simple_command(
        &mut self,
        tokens: &[Token],
        heredoc: Option<&str>,
        piped: Option<String>,
    ) -> Output {
        let mut words: Vec<String> = Vec::new();
        let mut redirect: Option<(String, bool)> = None;
        let mut stdin: Option<String> = piped;
        let mut iter = tokens.iter();
        while let Some(token) = iter.next() {
            match token {
                // `$?` is the one parameter this shell expands: labs use `echo $?` to show
                // kubectl's exit status.
                Token::Word(w) if w == "$?" => words.push(self.last_exit_code.to_string()),
                Token::Word(w) => words.push(w.clone()),
                Token::RedirectOut | Token::RedirectAppend | Token::RedirectIn => {
                    let op = match token {
                        Token::RedirectOut => ">",
                        Token::RedirectAppend => ">>",
                        _ => "<",
                    };
                    let Some(Token::Word(target)) = iter.next() else {
                        return Output {
                            stderr: format!("bash: syntax error near unexpected token `{op}'\n"),
                            exit_code: 2,
                            ..Output::default()
                        };
                    };
                    if matches!(token, Token::RedirectIn) {
                        match self.read(target) {
                            Some(text) => stdin = Some(text),
                            None => {
                                return Output {
                                    stderr: format!("bash: {target}: No such file or directory\n"),
                                    exit_code: 1,
                                    ..Output::default()
                                }
                            }
                        }
                    } else {
                        redirect = Some((target.clone(), matches!(token, Token::RedirectAppend)));
                    }
                }
                Token::HereDoc { .. } => stdin = heredoc.map(String::from),
                Token::Pipe | Token::Semicolon | Token::AndIf => {}
            }
        }
        // `ETCDCTL_API=3 etcdctl ...`: assignments before the command only set its environment.
        let first_command = words
            .iter()
            .position(|w| !is_assignment(w))
            .unwrap_or(words.len());
        let rest = words.split_off(first_command);
        self.command_env = self.env.clone();
        for assignment in &words {
            if let Some((name, value)) = assignment.split_once('=') {
                self.command_env.insert(name.to_string(), value.to_string());
            }
        }
        let words = rest;
        let mut out = self.builtin(&words, stdin.as_deref());
        if let Some((path, append)) = redirect {
            let path = normalize(&path);
            let text = std::mem::take(&mut out.stdout);
            let kept = if append {
                self.files.get(&path).map_or(0, String::len)
            } else {
                0
            };
            if let Err(e) = self.room_for(&path, kept + text.len()) {
                // bash opens (and truncates) the file before the command writes, and the
                // write fails: a `>` leaves it empty, a `>>` as it was.
                if !append && self.room_for(&path, 0).is_ok() {
                    self.files.insert(path, String::new());
                }
                out.stderr.push_str(&e);
                out.exit_code = 1;
                return out;
            }
            let entry = self.files.entry(path).or_default();
            if !append {
                entry.clear();
            }
            entry.push_str(&text);
        }
        out
    }

    fn builtin(&mut self, words: &[String], stdin: Option<&str>) -> Output {
        let Some((name, args)) = words.split_first() else {
            return Output::default();
        };
        if name == "ssh" {
            if let Some(at) = node_cmds::ssh_destination(args) {
                if let (Some(target), Some(command)) = (args.get(at), args.get(at + 1..)) {
                    if !command.is_empty() {
                        return self.ssh_command(target, command);
                    }
                }
            }
        }
        if self.remote_depth > 0 && matches!(name.as_str(), "exit" | "logout") {
            // The remote command's shell just ends, with the status given.
            let code = args.first().and_then(|a| a.parse::<i32>().ok());
            return Output {
                exit_code: code.unwrap_or(self.last_exit_code),
                ..Output::default()
            };
        }
        #[cfg(feature = "image-chapter")]
        if name == "curl" {
            // A port `docker run -p` published on this VM answers before the cluster's network.
            let now = self.backend.now_ticks();
            let runtime = self.backend.node(&self.node.host).and_then(|h| h.runtime());
            if let Some(out) = runtime.and_then(|rt| super::docker_run::curl(args, &rt, now)) {
                return out;
            }
        }
        #[cfg(feature = "image-chapter")]
        if name == "docker" {
            let invocation = super::docker_cmd::Invocation {
                args,
                env: &self.command_env,
                files: &self.files,
            };
            if let Some(out) =
                super::docker_cmd::run(&invocation, &mut self.node, &mut self.backend)
            {
                return out;
            }
        }
        if let Some(out) = node_cmds::run(name, args, &mut self.node, &mut self.backend) {
            return out;
        }
        match name.as_str() {
            "kubectl" | "k" if self.node.host != "master" => Output::fail(node_cmds::NO_KUBECONFIG),
            "kubectl" | "k" if self.editor && args.first().is_some_and(|a| a == "edit") => {
                self.open_edit(words)
            }
            "kubectl" | "k" => {
                if let Some(out) = self
                    .backend
                    .cluster_mut()
                    .and_then(|c| net_cmds::kubectl_exec(args, c))
                {
                    return out;
                }
                let files = &self.files;
                let reader = &self.file_reader;
                let read = move |path: &str| -> Option<String> {
                    files
                        .get(&normalize(path))
                        .cloned()
                        .or_else(|| reader.as_ref().and_then(|r| r(path)))
                };
                let mut ctx = Ctx {
                    backend: &mut self.backend,
                    stdin,
                    read_file: &read,
                    impersonate: None,
                    explain_docs: self.explain_docs.as_deref(),
                };
                let host = &self.node.host;
                super::port_forward_cmd::run_in_shell(args, &mut ctx, host, &mut self.forwards)
                    .unwrap_or_else(|| cmd::run(args, &mut ctx))
            }
            "etcdctl" => etcdctl::run(args, &self.backend),
            n if net_cmds::VM_COMMANDS.contains(&n) && self.backend.cluster_mut().is_some() => {
                match self.backend.cluster_mut() {
                    Some(cluster) if n == "iptables-save" => {
                        let host = &self.node.host;
                        let typed = self.node.typed_rules.get(host).cloned().unwrap_or_default();
                        net_cmds::iptables_save(host, args, cluster, &typed)
                    }
                    Some(cluster) => (n == "curl")
                        .then(|| {
                            let (host, forwards) = (&self.node.host, &mut self.forwards);
                            let notes = &mut self.terminal_notes;
                            super::port_forward_cmd::curl(host, args, forwards, notes, cluster)
                        })
                        .flatten()
                        .unwrap_or_else(|| net_cmds::run_on_vm(&self.node.host, n, args, cluster)),
                    None => Output::default(),
                }
            }
            "cat" => {
                if args.is_empty() {
                    return Output::ok(stdin.unwrap_or(""));
                }
                let mut out = Output::default();
                for path in args {
                    match self.read(path) {
                        Some(text) => out.stdout.push_str(&text),
                        None => {
                            out.stderr
                                .push_str(&format!("cat: {path}: No such file or directory\n"));
                            out.exit_code = 1;
                        }
                    }
                }
                out
            }
            "ls" => self.ls(args),
            "mv" => self.mv(args),
            "rm" => {
                let mut out = Output::default();
                for path in args.iter().filter(|a| !a.starts_with('-')) {
                    if self.files.remove(&normalize(path)).is_none()
                        && !args.contains(&"-f".to_string())
                    {
                        out.stderr.push_str(&format!(
                            "rm: cannot remove '{path}': No such file or directory\n"
                        ));
                        out.exit_code = 1;
                    }
                }
                out
            }
            "echo" => {
                let (newline, rest) = match args.first().map(String::as_str) {
                    Some("-n") => (false, args.get(1..).unwrap_or(&[])),
                    _ => (true, args),
                };
                let mut text = rest.join(" ");
                if newline {
                    text.push('\n');
                }
                Output::ok(text)
            }
            "sleep" => {
                let Some(arg) = args.first() else {
                    return Output::fail(
                        "sleep: missing operand\nTry 'sleep --help' for more information.\n",
                    );
                };
                match parse_seconds(arg) {
                    Some(ticks) => {
                        self.backend.advance(ticks);
                        Output::default()
                    }
                    None => Output::fail(format!(
                        "sleep: invalid time interval '{arg}'\nTry 'sleep --help' for more information.\n"
                    )),
                }
            }
            "grep" => grep(args, stdin),
            "head" | "tail" => head_tail(name == "head", args, stdin),
            "wc" => {
                let text = stdin.unwrap_or("");
                match args.first().map(String::as_str) {
                    Some("-l") => Output::ok(format!("{}\n", text.matches('\n').count())),
                    _ => Output::ok(format!(
                        "{} {} {}\n",
                        text.matches('\n').count(),
                        text.split_whitespace().count(),
                        text.len()
                    )),
                }
            }
            "clear" => Output {
                clear_screen: true,
                ..Output::default()
            },
            "help" => Output::ok(SHELL_HELP),
            "pwd" => Output::ok("/root\n"),
            "export" => {
                for assignment in args.iter().filter(|a| is_assignment(a)) {
                    if let Some((name, value)) = assignment.split_once('=') {
                        self.env.insert(name.to_string(), value.to_string());
                    }
                }
                Output::default()
            }
            "cd" | "true" | "history" => Output::default(),
            "false" => Output {
                exit_code: 1,
                ..Output::default()
            },
            "whoami" => Output::ok("root\n"),
            _ => Output {
                stderr: format!("bash: {name}: command not found\n"),
                exit_code: 127,
                ..Output::default()
            },
        }
    }

    fn read(&self, path: &str) -> Option<String> {
        if let Some(file) = node_cmds::manifest_at(&self.node, &absolute(path)) {
            return node_cmds::manifest_text(&self.node, file);
        }
        self.files
            .get(&normalize(path))
            .cloned()
            .or_else(|| self.file_reader.as_ref().and_then(|r| r(path)))
    }

    /// `ssh HOST COMMAND ARGS...`: as OpenSSH does, the words are joined with spaces and the
    /// remote shell runs that line (so `ssh node2 'a; b'` runs both there); its output and exit
    /// status are the command's, and the terminal stays on the VM it was on.
    fn ssh_command(&mut self, target: &str, command: &[String]) -> Output {
        let host = match node_cmds::ssh_host(target, &self.node, &self.backend) {
            Ok(host) => host,
            Err(out) => return out,
        };
        let here = std::mem::replace(&mut self.node.host, host);
        self.remote_depth += 1;
        let (line, substitution_errors) = self.substitute_commands(&command.join(" "), 1);
        let mut out = match tokenize(&line) {
            Ok(tokens) => self.execute(&tokens, None),
            Err(e) => Output {
                stderr: format!("bash: -c: {e}\n"),
                exit_code: 2,
                ..Output::default()
            },
        };
        out.stderr.insert_str(0, &substitution_errors);
        self.remote_depth -= 1;
        // Back where the session started, unless that VM was powered off meanwhile.
        self.node.host = if self.node.halted.contains(&here) {
            "master".to_string()
        } else {
            here
        };
        out
    }

    /// The names in directory `dir` (absolute) that this shell knows, sorted; None for a
    /// directory whose contents it does not model.
    fn dir_entries(&self, dir: &str) -> Option<Vec<String>> {
        let mut names: Vec<String> = match dir {
            "/root" => self.files.keys().cloned().collect(),
            "/etc/kubernetes" if self.node.host == "master" => [
                "admin.conf",
                "controller-manager.conf",
                "kubelet.conf",
                "manifests",
                "pki",
                "scheduler.conf",
                "super-admin.conf",
            ]
            .map(String::from)
            .to_vec(),
            "/etc/kubernetes" => ["kubelet.conf", "manifests", "pki"]
                .map(String::from)
                .to_vec(),
            "/etc/kubernetes/manifests" | "/tmp" => Vec::new(),
            _ => return None,
        };
        for (_, path) in node_cmds::manifest_paths(&self.node, &self.node.host) {
            if let Some((parent, name)) = path.rsplit_once('/') {
                if parent == dir {
                    names.push(name.to_string());
                }
            }
        }
        names.sort();
        Some(names)
    }

    /// `ls [PATH...]`: the home directory, the directories of kubeadm's files, and files.
    fn ls(&self, args: &[String]) -> Output {
        let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        let line = |names: Vec<String>| {
            if names.is_empty() {
                String::new()
            } else {
                format!("{}\n", names.join("  "))
            }
        };
        if paths.is_empty() {
            return Output::ok(line(self.dir_entries("/root").unwrap_or_default()));
        }
        let mut out = Output::default();
        let (mut files, mut dirs) = (Vec::new(), Vec::new());
        for path in &paths {
            let abs = absolute(path);
            if let Some(names) = self.dir_entries(&abs) {
                dirs.push((path.as_str(), names));
            } else if self.files.contains_key(&normalize(path))
                || node_cmds::manifest_at(&self.node, &abs).is_some()
            {
                files.push(path.to_string());
            } else {
                out.stderr.push_str(&format!(
                    "ls: cannot access '{path}': No such file or directory\n"
                ));
                out.exit_code = 2;
            }
        }
        // As GNU ls: the files named first, then each directory (headed when there are several).
        out.stdout.push_str(&line(files.clone()));
        let headed = paths.len() > 1;
        for (i, (path, names)) in dirs.into_iter().enumerate() {
            if headed {
                if i > 0 || !files.is_empty() {
                    out.stdout.push('\n');
                }
                out.stdout.push_str(&format!("{path}:\n"));
            }
            out.stdout.push_str(&line(names));
        }
        out
    }

    /// `mv SOURCE... DEST`: renames files in the home directory, and moves kubeadm's manifests
    /// on master in and out of `/etc/kubernetes/manifests` (see `node_cmds::move_manifest`).
    fn mv(&mut self, args: &[String]) -> Output {
        let operands: Vec<&str> = args
            .iter()
            .map(String::as_str)
            .filter(|a| !a.starts_with('-') || *a == "-")
            .collect();
        let Some((dest, sources)) = operands.split_last() else {
            return Output::fail(
                "mv: missing file operand\nTry 'mv --help' for more information.\n",
            );
        };
        if sources.is_empty() {
            return Output::fail(format!(
                "mv: missing destination file operand after '{dest}'\nTry 'mv --help' for more information.\n"
            ));
        }
        let dest_abs = absolute(dest);
        let into_dir = is_dir(&dest_abs);
        if dest.ends_with('/') && !into_dir {
            let src = sources[0];
            return Output::fail(format!(
                "mv: cannot move '{src}' to '{dest}': Not a directory\n"
            ));
        }
        if sources.len() > 1 && !into_dir {
            return Output::fail(format!("mv: target '{dest}' is not a directory\n"));
        }
        let mut out = Output::default();
        for src in sources {
            let from = absolute(src);
            let base = from.rsplit('/').next().unwrap_or("");
            let (to, shown) = if into_dir {
                let to = format!("{}/{base}", dest_abs.trim_end_matches('/'));
                (to, format!("{}/{base}", dest.trim_end_matches('/')))
            } else {
                (dest_abs.clone(), dest.to_string())
            };
            out.append(self.mv_one(src, &from, &to, &shown));
        }
        out
    }

    fn mv_one(&mut self, src: &str, from: &str, to: &str, shown: &str) -> Output {
        let manifest = node_cmds::manifest_at(&self.node, from);
        let home_file = from
            .strip_prefix("/root/")
            .filter(|key| self.files.contains_key(*key));
        if manifest.is_none() && home_file.is_none() {
            return Output::fail(format!(
                "mv: cannot stat '{src}': No such file or directory\n"
            ));
        }
        let parent = to.rsplit_once('/').map_or("/", |(p, _)| p);
        if !is_dir(if parent.is_empty() { "/" } else { parent }) {
            return Output::fail(format!(
                "mv: cannot move '{src}' to '{shown}': No such file or directory\n"
            ));
        }
        if from == to {
            return Output::fail(format!("mv: '{src}' and '{shown}' are the same file\n"));
        }
        if let Some(file) = manifest {
            let out = node_cmds::move_manifest(file, src, to, &mut self.node, &mut self.backend);
            if out.exit_code == 0 {
                // Moved over a file of the home directory: that file is replaced.
                if let Some(key) = to.strip_prefix("/root/") {
                    self.files.remove(key);
                }
            }
            return out;
        }
        let (Some(key), Some(to_key)) = (home_file, to.strip_prefix("/root/")) else {
            return Output::fail(format!(
                "mv: this shell keeps your own files in /root only: not moving '{src}' to '{shown}'\n"
            ));
        };
        if node_cmds::manifest_at(&self.node, to).is_some() {
            return Output::fail(format!(
                "mv: the sandbox keeps kubeadm's manifests as kubeadm wrote them: not moving '{src}' over '{shown}'\n"
            ));
        }
        if let Some(text) = self.files.remove(key) {
            self.files.insert(to_key.to_string(), text);
        }
        Output::default()
    }
}

/// The directories `mv` can move into: the home directory, `/tmp`, and kubeadm's.
fn is_dir(abs: &str) -> bool {
    matches!(
        abs,
        "/" | "/etc" | "/etc/kubernetes" | "/etc/kubernetes/manifests" | "/root" | "/tmp"
    )
}

/// `path` as an absolute path from `/root` (the shell's working directory): `~`, `.` and `..`
/// resolved, repeated and trailing slashes dropped.
fn absolute(path: &str) -> String {
    let relative = if path == "~" {
        "/root"
    } else {
        path.strip_prefix("~/").unwrap_or(path)
    };
    crate::sim::runtime::build::join("/root", relative)
}

const SHELL_HELP: &str =
    "This is the root shell on the master node of a simulated Kubernetes cluster.

  kubectl get|apply|create|delete ...   talk to the kube-apiserver
  kubectl run|expose|label|scale|set image|rollout|patch ...
  kubectl cordon|drain|taint|port-forward|auth can-i ...
  etcdctl get KEY [--prefix] [--keys-only] [-w json] [--rev N]
                                        read etcd directly, as the apiserver stores objects
  cat <<EOF > web.yaml ... EOF          write a file;  kubectl apply -f - <<EOF ... EOF
  cat FILE, ls, mv, rm FILE, echo TEXT  files in your home directory
  kubectl logs|describe|top|exec ...    the node side: logs, events, usage, commands in a container
  ssh node1, exit                       move to another VM; crictl ps|images|pods, docker ps|images
  ssh node2 COMMAND                     run one command on another VM and stay where you are
  systemctl stop|start kubelet|containerd, crictl stop ID, docker kill ID
                                        break things on the VM you are on
  iptables -A|-D OUTPUT -d 172.16.20.11 -j DROP
                                        cut a worker off the control plane, and mend it
  mv /etc/kubernetes/manifests/kube-scheduler.yaml /etc/kubernetes/
                                        stop a static pod (mv it back into manifests/ to start it)
  vagrant halt node2, vagrant up node2  power a VM off and on (as on the host of the Vagrant lab)
  curl URL, nslookup NAME, iptables-save -t nat
                                        the network: Services, kube-proxy's rules, cluster DNS
  sleep N                               let N simulated seconds pass
  clear, help
";

/// The index of the `)` closing a `$(` whose body starts at `start`, skipping quoted text and
/// nested parentheses.
fn closing_paren(chars: &[char], start: usize) -> Option<usize> {
    let (mut depth, mut single, mut double) = (0usize, false, false);
    let mut i = start;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' if !single => i += 1,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '(' if !single && !double => depth += 1,
            ')' if !single && !double => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `grep [-i] [-v] [-c] [-E|-F] PATTERN`: a fixed-string match (no regular expressions here).
fn grep(args: &[String], stdin: Option<&str>) -> Output {
    let mut ignore_case = false;
    let mut invert = false;
    let mut count = false;
    let mut pattern: Option<&str> = None;
    for arg in args {
        match arg.as_str() {
            "-i" => ignore_case = true,
            "-v" => invert = true,
            "-c" => count = true,
            "-E" | "-F" | "-e" => {}
            a if a.starts_with('-') && pattern.is_none() && a.len() > 1 => {
                return Output {
                    stderr: format!("grep: invalid option -- '{}'\nUsage: grep [OPTION]... PATTERNS [FILE]...\n", a.trim_start_matches('-')),
                    exit_code: 2,
                    ..Output::default()
                };
            }
            a if pattern.is_none() => pattern = Some(a),
            _ => {}
        }
    }
    let Some(pattern) = pattern else {
        return Output {
            stderr: "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n".to_string(),
            exit_code: 2,
            ..Output::default()
        };
    };
    let needle = if ignore_case {
        pattern.to_lowercase()
    } else {
        pattern.to_string()
    };
    let mut matched = Vec::new();
    for line in stdin.unwrap_or("").lines() {
        let hay = if ignore_case {
            line.to_lowercase()
        } else {
            line.to_string()
        };
        if hay.contains(&needle) != invert {
            matched.push(line);
        }
    }
    let exit_code = i32::from(matched.is_empty());
    let stdout = if count {
        format!("{}\n", matched.len())
    } else {
        matched.iter().map(|l| format!("{l}\n")).collect()
    };
    Output {
        stdout,
        exit_code,
        ..Output::default()
    }
}

/// `head`/`tail` with `-n N` or `-N` (10 lines by default).
fn head_tail(head: bool, args: &[String], stdin: Option<&str>) -> Output {
    let mut n: usize = 10;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let value = if arg == "-n" {
            iter.next().map(String::as_str)
        } else if let Some(v) = arg.strip_prefix("-n") {
            Some(v)
        } else {
            arg.strip_prefix('-')
        };
        match value.and_then(|v| v.parse::<usize>().ok()) {
            Some(v) => n = v,
            None => {
                let cmd = if head { "head" } else { "tail" };
                return Output::fail(format!(
                    "{cmd}: invalid number of lines: '{}'\n",
                    value.unwrap_or(arg)
                ));
            }
        }
    }
    let lines: Vec<&str> = stdin.unwrap_or("").lines().collect();
    let chosen = if head {
        lines.iter().take(n).copied().collect::<Vec<_>>()
    } else {
        lines
            .iter()
            .skip(lines.len().saturating_sub(n))
            .copied()
            .collect()
    };
    Output::ok(chosen.iter().map(|l| format!("{l}\n")).collect::<String>())
}

fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

/// `./web.yaml`, `~/web.yaml` and `/root/web.yaml` are the same file.
fn normalize(path: &str) -> String {
    let p = path
        .strip_prefix("/root/")
        .or_else(|| path.strip_prefix("~/"))
        .unwrap_or(path);
    let p = p.trim_start_matches("./");
    p.to_string()
}

/// `5`, `0.5`, `2s`, `1m`: coreutils sleep's forms, in ticks (capped at a simulated day).
fn parse_seconds(arg: &str) -> Option<Ticks> {
    let (number, unit_seconds) = match arg.char_indices().last() {
        Some((i, 's')) => (&arg[..i], 1.0),
        Some((i, 'm')) => (&arg[..i], 60.0),
        Some((i, 'h')) => (&arg[..i], 3600.0),
        Some((i, 'd')) => (&arg[..i], 86_400.0),
        _ => (arg, 1.0),
    };
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let seconds = (value * unit_seconds).min(86_400.0);
    Some((seconds * TICKS_PER_SECOND as f64).round() as Ticks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleep_accepts_coreutils_intervals() {
        for (arg, ticks) in [
            ("5", Some(5_000)),
            ("0.5", Some(500)),
            ("2s", Some(2_000)),
            ("1m", Some(60_000)),
            ("x", None),
            ("-1", None),
            ("", None),
            ("s", None),
        ] {
            assert_eq!(parse_seconds(arg), ticks, "{arg}");
        }
    }

    #[test]
    fn file_paths_in_the_home_directory_are_one_file() {
        for p in ["web.yaml", "./web.yaml", "~/web.yaml", "/root/web.yaml"] {
            assert_eq!(normalize(p), "web.yaml");
        }
    }

    #[test]
    fn only_name_equals_value_words_are_assignments() {
        assert!(is_assignment("ETCDCTL_API=3"));
        assert!(!is_assignment("--image=nginx"));
        assert!(!is_assignment("1X=2"));
        assert!(!is_assignment("kubectl"));
    }
}
