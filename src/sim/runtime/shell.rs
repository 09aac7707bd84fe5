//! A small POSIX-shell interpreter for the `sh -c "..."` scripts students give busybox and alpine
//! containers, run as a deterministic state machine over simulated time.
//!
//! ```text
//!   "while true; do echo $(date); sleep 5; done"
//!     parse ─▶ Node::While { cond, body } ─compile─▶  0: Run true
//!                                                     1: JumpIfFail 5
//!                                                     2: Run echo $(date)
//!                                                     3: Run sleep 5      <- yields: wake at t+5000
//!                                                     4: Jump 0
//!                                                     5: SetStatus 0
//! ```
//! Every instruction but `sleep` takes no simulated time; `sleep` yields until its wake tick.
//!
//! Mirrors: busybox `ash` for the shapes course scripts use: `;`, `&&`, `||`, `while`/`until`,
//! `for`, `if`/`elif`/`else`, `{ }`, quotes, `$VAR`, `${VAR}`, `$?`, `$((arith))`, `$(cmd)`,
//! `>`/`>>` redirection, and the builtins and applets `echo printf true false : exit sleep cat
//! date touch rm mkdir ls hostname env printenv test [ export cd pwd whoami id uname`.
//! Simplified: no pipes (`a | b` runs both, only `b`'s output is kept), no globbing, no field
//! splitting except in `for` lists, no functions; `$(cmd)` runs builtins only and takes no time.

use std::collections::BTreeMap;

use super::logs::Stream;
use crate::sim::clock::{rfc3339_from_unix, Ticks, TICKS_PER_SECOND};

/// Instructions one `run` may execute before yielding, so `while true; do :; done` cannot hang
/// the simulation: the script just falls behind simulated time, as a busy process would.
pub const INSTRUCTIONS_PER_RUN_MAX: usize = 20_000;
/// Longest script accepted (bytes); longer input is refused, not parsed.
const SCRIPT_BYTES_MAX: usize = 64 * 1024;
const NESTING_MAX: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Lit(String),
    Var(String),
    Arith(String),
    CommandSub(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
struct Word {
    parts: Vec<Part>,
    /// Was any of it quoted? A quoted empty string is still a word.
    quoted: bool,
}

impl Word {
    fn literal(&self) -> Option<String> {
        if self.quoted {
            return None;
        }
        let mut s = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(l) => s.push_str(l),
                _ => return None,
            }
        }
        Some(s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(Word),
    Sep,
    And,
    Or,
    Pipe,
    Redirect { fd: u8, append: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Redirect {
    fd: u8,
    append: bool,
    target: Word,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimpleCommand {
    words: Vec<Word>,
    redirects: Vec<Redirect>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    Simple(SimpleCommand),
    Seq(Vec<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    While {
        cond: Box<Node>,
        body: Box<Node>,
        until: bool,
    },
    For {
        var: String,
        items: Vec<Word>,
        body: Box<Node>,
    },
    If {
        branches: Vec<(Node, Node)>,
        otherwise: Option<Box<Node>>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Instr {
    Run(SimpleCommand),
    Jump(usize),
    JumpIfFail(usize),
    JumpIfOk(usize),
    SetStatus(i32),
    ForInit {
        slot: usize,
        items: Vec<Word>,
    },
    ForNext {
        slot: usize,
        var: String,
        end: usize,
    },
}

/// A parse error, printed as ash prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError(pub String);

// ---------------------------------------------------------------- tokenizer

// The last `end_word!` resets `in_word` for a loop that has ended.
#[allow(unused_assignments)]
fn tokenize(src: &str) -> Result<Vec<Token>, SyntaxError> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let mut word = Word::default();
    let mut lit = String::new();
    let mut in_word = false;
    let mut i = 0;

    fn flush_lit(word: &mut Word, lit: &mut String) {
        if !lit.is_empty() {
            word.parts.push(Part::Lit(std::mem::take(lit)));
        }
    }
    macro_rules! end_word {
        () => {
            if in_word {
                flush_lit(&mut word, &mut lit);
                tokens.push(Token::Word(std::mem::take(&mut word)));
                in_word = false;
            }
        };
    }

    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\r' => {
                end_word!();
                i += 1;
            }
            '\n' | ';' => {
                end_word!();
                tokens.push(Token::Sep);
                i += 1;
            }
            '#' if !in_word => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '&' => {
                end_word!();
                if chars.get(i + 1) == Some(&'&') {
                    tokens.push(Token::And);
                    i += 2;
                } else {
                    // Background jobs run in the foreground here.
                    tokens.push(Token::Sep);
                    i += 1;
                }
            }
            '|' => {
                end_word!();
                if chars.get(i + 1) == Some(&'|') {
                    tokens.push(Token::Or);
                    i += 2;
                } else {
                    tokens.push(Token::Pipe);
                    i += 1;
                }
            }
            '>' => {
                // `2>` and `1>` name the descriptor in the word just before.
                let mut fd = 1;
                if in_word && word.parts.is_empty() && !word.quoted && (lit == "1" || lit == "2") {
                    fd = if lit == "2" { 2 } else { 1 };
                    lit.clear();
                    in_word = false;
                } else {
                    end_word!();
                }
                let append = chars.get(i + 1) == Some(&'>');
                i += if append { 2 } else { 1 };
                tokens.push(Token::Redirect { fd, append });
            }
            '<' => {
                end_word!();
                i += 1;
            }
            '\'' => {
                in_word = true;
                word.quoted = true;
                i += 1;
                let start = i;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                if i >= chars.len() {
                    return Err(SyntaxError("unterminated quoted string".into()));
                }
                lit.extend(&chars[start..i]);
                i += 1;
            }
            '"' => {
                in_word = true;
                word.quoted = true;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(SyntaxError("unterminated quoted string".into())),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`')) => {
                            lit.push(chars[i + 1]);
                            i += 2;
                        }
                        Some('$') => {
                            flush_lit(&mut word, &mut lit);
                            i = dollar(&chars, i, &mut word, &mut lit)?;
                        }
                        Some(&ch) => {
                            lit.push(ch);
                            i += 1;
                        }
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.get(i + 1) {
                    Some('\n') => {}
                    Some(&ch) => lit.push(ch),
                    None => {}
                }
                i += 2;
            }
            '$' => {
                in_word = true;
                flush_lit(&mut word, &mut lit);
                i = dollar(&chars, i, &mut word, &mut lit)?;
            }
            _ => {
                in_word = true;
                lit.push(c);
                i += 1;
            }
        }
    }
    end_word!();
    Ok(tokens)
}

/// Reads one `$` expansion starting at `chars[i] == '$'`; returns the index after it.
fn dollar(
    chars: &[char],
    i: usize,
    word: &mut Word,
    lit: &mut String,
) -> Result<usize, SyntaxError> {
    let mut j = i + 1;
    let until_close =
        |open: char, close: char, from: usize| -> Result<(String, usize), SyntaxError> {
            let mut depth = 1;
            let mut k = from;
            while k < chars.len() {
                if chars[k] == open {
                    depth += 1;
                } else if chars[k] == close {
                    depth -= 1;
                    if depth == 0 {
                        return Ok((chars[from..k].iter().collect(), k + 1));
                    }
                }
                k += 1;
            }
            Err(SyntaxError(format!("missing '{close}'")))
        };
    match chars.get(j) {
        Some('(') if chars.get(j + 1) == Some(&'(') => {
            let (inner, next) = until_close('(', ')', j + 2)?;
            // `$((x))` closes with `))`: skip the second ')'.
            if chars.get(next) != Some(&')') {
                return Err(SyntaxError("missing '))'".into()));
            }
            word.parts.push(Part::Arith(inner));
            Ok(next + 1)
        }
        Some('(') => {
            let (inner, next) = until_close('(', ')', j + 1)?;
            word.parts.push(Part::CommandSub(inner));
            Ok(next)
        }
        Some('{') => {
            let (inner, next) = until_close('{', '}', j + 1)?;
            // `${VAR:-default}` keeps only the name; defaults are not modelled.
            let name: String = inner
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            word.parts.push(Part::Var(name));
            Ok(next)
        }
        Some(&c) if c == '?' || c == '$' || c == '#' || c.is_ascii_digit() => {
            word.parts.push(Part::Var(c.to_string()));
            Ok(j + 1)
        }
        Some(&c) if c.is_alphabetic() || c == '_' => {
            let start = j;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            word.parts.push(Part::Var(chars[start..j].iter().collect()));
            Ok(j)
        }
        _ => {
            lit.push('$');
            Ok(j)
        }
    }
}

// ---------------------------------------------------------------- parser

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek_keyword(&self) -> Option<String> {
        match self.tokens.get(self.pos) {
            Some(Token::Word(w)) => w.literal(),
            _ => None,
        }
    }

    fn skip_seps(&mut self) {
        while matches!(self.tokens.get(self.pos), Some(Token::Sep)) {
            self.pos += 1;
        }
    }

    fn expect_keyword(&mut self, keyword: &str) -> Result<(), SyntaxError> {
        self.skip_seps();
        if self.peek_keyword().as_deref() == Some(keyword) {
            self.pos += 1;
            Ok(())
        } else {
            Err(SyntaxError(match self.peek_keyword() {
                Some(found) => {
                    format!("unexpected word (expecting \"{keyword}\") near \"{found}\"")
                }
                None => format!("unexpected end of file (expecting \"{keyword}\")"),
            }))
        }
    }

    /// A list ends at end of input or at one of `stops` in command position.
    fn list(&mut self, stops: &[&str]) -> Result<Node, SyntaxError> {
        self.depth += 1;
        if self.depth > NESTING_MAX {
            return Err(SyntaxError("nesting too deep".into()));
        }
        let mut items = Vec::new();
        loop {
            self.skip_seps();
            match self.peek_keyword() {
                Some(k) if stops.contains(&k.as_str()) => break,
                _ => {}
            }
            if self.pos >= self.tokens.len() {
                break;
            }
            items.push(self.and_or(stops)?);
            match self.tokens.get(self.pos) {
                Some(Token::Sep | Token::Pipe) => self.pos += 1,
                None => break,
                Some(_) => {}
            }
        }
        self.depth -= 1;
        Ok(Node::Seq(items))
    }

    fn and_or(&mut self, stops: &[&str]) -> Result<Node, SyntaxError> {
        let mut left = self.command(stops)?;
        loop {
            match self.tokens.get(self.pos) {
                Some(Token::And) => {
                    self.pos += 1;
                    self.skip_seps();
                    let right = self.command(stops)?;
                    left = Node::And(Box::new(left), Box::new(right));
                }
                Some(Token::Or) => {
                    self.pos += 1;
                    self.skip_seps();
                    let right = self.command(stops)?;
                    left = Node::Or(Box::new(left), Box::new(right));
                }
                _ => return Ok(left),
            }
        }
    }

    fn command(&mut self, stops: &[&str]) -> Result<Node, SyntaxError> {
        match self.peek_keyword().as_deref() {
            Some(k @ ("while" | "until")) => {
                let until = k == "until";
                self.pos += 1;
                let cond = self.list(&["do"])?;
                self.expect_keyword("do")?;
                let body = self.list(&["done"])?;
                self.expect_keyword("done")?;
                Ok(Node::While {
                    cond: Box::new(cond),
                    body: Box::new(body),
                    until,
                })
            }
            Some("for") => {
                self.pos += 1;
                let var = match self.tokens.get(self.pos) {
                    Some(Token::Word(w)) => w.literal().unwrap_or_default(),
                    _ => String::new(),
                };
                if var.is_empty() {
                    return Err(SyntaxError("bad for loop variable".into()));
                }
                self.pos += 1;
                let mut items = Vec::new();
                if self.peek_keyword().as_deref() == Some("in") {
                    self.pos += 1;
                    while let Some(Token::Word(w)) = self.tokens.get(self.pos) {
                        items.push(w.clone());
                        self.pos += 1;
                    }
                }
                self.expect_keyword("do")?;
                let body = self.list(&["done"])?;
                self.expect_keyword("done")?;
                Ok(Node::For {
                    var,
                    items,
                    body: Box::new(body),
                })
            }
            Some("if") => {
                self.pos += 1;
                let mut branches = Vec::new();
                let mut otherwise = None;
                loop {
                    let cond = self.list(&["then"])?;
                    self.expect_keyword("then")?;
                    let body = self.list(&["elif", "else", "fi"])?;
                    branches.push((cond, body));
                    self.skip_seps();
                    match self.peek_keyword().as_deref() {
                        Some("elif") => self.pos += 1,
                        Some("else") => {
                            self.pos += 1;
                            otherwise = Some(Box::new(self.list(&["fi"])?));
                            self.expect_keyword("fi")?;
                            break;
                        }
                        _ => {
                            self.expect_keyword("fi")?;
                            break;
                        }
                    }
                }
                Ok(Node::If {
                    branches,
                    otherwise,
                })
            }
            Some("{") => {
                self.pos += 1;
                let body = self.list(&["}"])?;
                self.expect_keyword("}")?;
                Ok(body)
            }
            Some(k)
                if stops.contains(&k)
                    || ["do", "done", "then", "fi", "else", "elif", "}"].contains(&k) =>
            {
                Err(SyntaxError(format!("unexpected \"{k}\"")))
            }
            _ => self.simple(),
        }
    }

    fn simple(&mut self) -> Result<Node, SyntaxError> {
        let mut words = Vec::new();
        let mut redirects = Vec::new();
        loop {
            match self.tokens.get(self.pos) {
                Some(Token::Word(w)) => {
                    words.push(w.clone());
                    self.pos += 1;
                }
                Some(Token::Redirect { fd, append }) => {
                    let (fd, append) = (*fd, *append);
                    self.pos += 1;
                    match self.tokens.get(self.pos) {
                        Some(Token::Word(target)) => {
                            redirects.push(Redirect {
                                fd,
                                append,
                                target: target.clone(),
                            });
                            self.pos += 1;
                        }
                        _ => return Err(SyntaxError("unexpected redirection".into())),
                    }
                }
                _ => break,
            }
        }
        if words.is_empty() && redirects.is_empty() {
            let near = match self.tokens.get(self.pos) {
                Some(Token::And) => "&&",
                Some(Token::Or) => "||",
                Some(Token::Pipe) => "|",
                _ => ";",
            };
            return Err(SyntaxError(format!("unexpected \"{near}\"")));
        }
        Ok(Node::Simple(SimpleCommand { words, redirects }))
    }
}

fn compile(node: &Node, out: &mut Vec<Instr>, loop_slots: &mut usize) {
    match node {
        Node::Simple(cmd) => out.push(Instr::Run(cmd.clone())),
        Node::Seq(items) => items.iter().for_each(|n| compile(n, out, loop_slots)),
        Node::And(a, b) | Node::Or(a, b) => {
            compile(a, out, loop_slots);
            let jump_at = out.len();
            out.push(Instr::Jump(0));
            compile(b, out, loop_slots);
            let end = out.len();
            out[jump_at] = if matches!(node, Node::And(..)) {
                Instr::JumpIfFail(end)
            } else {
                Instr::JumpIfOk(end)
            };
        }
        Node::While { cond, body, until } => {
            let top = out.len();
            compile(cond, out, loop_slots);
            let exit_at = out.len();
            out.push(Instr::Jump(0));
            compile(body, out, loop_slots);
            out.push(Instr::Jump(top));
            let end = out.len();
            out[exit_at] = if *until {
                Instr::JumpIfOk(end)
            } else {
                Instr::JumpIfFail(end)
            };
            out.push(Instr::SetStatus(0));
        }
        Node::For { var, items, body } => {
            let slot = *loop_slots;
            *loop_slots += 1;
            out.push(Instr::ForInit {
                slot,
                items: items.clone(),
            });
            let top = out.len();
            out.push(Instr::Jump(0));
            compile(body, out, loop_slots);
            out.push(Instr::Jump(top));
            let end = out.len();
            out[top] = Instr::ForNext {
                slot,
                var: var.clone(),
                end,
            };
        }
        Node::If {
            branches,
            otherwise,
        } => {
            let mut to_end = Vec::new();
            for (cond, body) in branches {
                compile(cond, out, loop_slots);
                let skip_at = out.len();
                out.push(Instr::Jump(0));
                compile(body, out, loop_slots);
                to_end.push(out.len());
                out.push(Instr::Jump(0));
                let next = out.len();
                out[skip_at] = Instr::JumpIfFail(next);
            }
            match otherwise {
                Some(body) => compile(body, out, loop_slots),
                None => out.push(Instr::SetStatus(0)),
            }
            let end = out.len();
            for at in to_end {
                out[at] = Instr::Jump(end);
            }
        }
    }
}

// ---------------------------------------------------------------- machine

/// What the shell sees of its container: environment, files, hostname and the simulated clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellEnv {
    pub vars: BTreeMap<String, String>,
    pub hostname: String,
    pub epoch_unix_seconds: i64,
    /// Busybox says `sh: x: not found`; distros with bash-less dash say the same shape.
    pub shell_name: String,
    /// What `kubectl exec -i` sent on stdin, for the first command that reads it (`cat`).
    pub stdin: Option<String>,
}

/// The container's files (image files, mounted volumes and what the process wrote).
pub type Files = BTreeMap<String, String>;

/// Why `run` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Yield {
    /// Sleeping until this tick.
    Sleep(Ticks),
    /// The script ended or ran `exit`.
    Exit(i32),
    /// Ran out of its instruction budget; wants to run again on the next tick.
    Busy,
}

/// One running script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shell {
    program: Vec<Instr>,
    pc: usize,
    status: i32,
    loops: Vec<(Vec<String>, usize)>,
    /// `$0`, `$1`, ... as given after `sh -c SCRIPT`.
    positional: Vec<String>,
}

impl Shell {
    /// Parses a script; a syntax error is returned as ash prints it (`sh: syntax error: ...`).
    pub fn parse(script: &str, positional: Vec<String>) -> Result<Shell, SyntaxError> {
        if script.len() > SCRIPT_BYTES_MAX {
            return Err(SyntaxError("script too long".into()));
        }
        let tokens = tokenize(script)?;
        let mut parser = Parser {
            tokens,
            pos: 0,
            depth: 0,
        };
        let node = parser.list(&[])?;
        if parser.pos < parser.tokens.len() {
            let near = match parser.tokens.get(parser.pos) {
                Some(Token::Word(w)) => w.literal().unwrap_or_default(),
                _ => String::new(),
            };
            return Err(SyntaxError(format!("unexpected \"{near}\"")));
        }
        let mut program = Vec::new();
        let mut loop_slots = 0;
        compile(&node, &mut program, &mut loop_slots);
        Ok(Shell {
            program,
            pc: 0,
            status: 0,
            loops: vec![(Vec::new(), 0); loop_slots],
            positional,
        })
    }

    /// A single command given as argv (`command: ["sleep", "3600"]`): no parsing, no expansion.
    pub fn from_argv(argv: &[String]) -> Shell {
        let words = argv
            .iter()
            .map(|a| Word {
                parts: vec![Part::Lit(a.clone())],
                quoted: true,
            })
            .collect();
        Shell {
            program: vec![Instr::Run(SimpleCommand {
                words,
                redirects: Vec::new(),
            })],
            pc: 0,
            status: 0,
            loops: Vec::new(),
            positional: vec!["sh".into()],
        }
    }

    /// Runs from simulated time `t` until the script sleeps, exits, or uses its budget. Output
    /// goes to `out` stamped with `t` (nothing but `sleep` moves time).
    pub fn run(
        &mut self,
        t: Ticks,
        env: &mut ShellEnv,
        files: &mut Files,
        out: &mut Vec<(Stream, String)>,
    ) -> Yield {
        let mut budget = INSTRUCTIONS_PER_RUN_MAX;
        while budget > 0 {
            budget -= 1;
            let Some(instr) = self.program.get(self.pc).cloned() else {
                return Yield::Exit(self.status);
            };
            self.pc += 1;
            match instr {
                Instr::Jump(to) => self.pc = to,
                Instr::JumpIfFail(to) if self.status != 0 => self.pc = to,
                Instr::JumpIfOk(to) if self.status == 0 => self.pc = to,
                Instr::JumpIfFail(_) | Instr::JumpIfOk(_) => {}
                Instr::SetStatus(s) => self.status = s,
                Instr::ForInit { slot, items } => {
                    let mut values = Vec::new();
                    for w in &items {
                        let v = self.expand(w, t, env, files);
                        if w.quoted {
                            values.push(v);
                        } else {
                            values.extend(v.split_whitespace().map(str::to_string));
                        }
                    }
                    if let Some(l) = self.loops.get_mut(slot) {
                        *l = (values, 0);
                    }
                }
                Instr::ForNext { slot, var, end } => {
                    let next = self.loops.get_mut(slot).and_then(|(values, i)| {
                        let v = values.get(*i).cloned();
                        *i += 1;
                        v
                    });
                    match next {
                        Some(v) => {
                            env.vars.insert(var, v);
                        }
                        None => {
                            self.pc = end;
                            self.status = 0;
                        }
                    }
                }
                Instr::Run(cmd) => match self.run_simple(&cmd, t, env, files, out) {
                    Step::Status(s) => self.status = s,
                    Step::Sleep(ticks) => {
                        self.status = 0;
                        return Yield::Sleep(t.saturating_add(ticks));
                    }
                    Step::Exit(code) => return Yield::Exit(code),
                },
            }
        }
        Yield::Busy
    }

    fn expand(&self, word: &Word, t: Ticks, env: &ShellEnv, files: &Files) -> String {
        let mut s = String::new();
        for part in &word.parts {
            match part {
                Part::Lit(l) => s.push_str(l),
                Part::Var(name) => s.push_str(&self.lookup(name, env)),
                Part::Arith(expr) => s.push_str(&arith(expr, &|n| self.lookup(n, env)).to_string()),
                Part::CommandSub(script) => {
                    // Builtins only, no time passes: enough for `$(date)`, `$(hostname)`, `$(cat f)`.
                    let mut sub = match Shell::parse(script, self.positional.clone()) {
                        Ok(sub) => sub,
                        Err(_) => continue,
                    };
                    let mut out = Vec::new();
                    let mut sub_env = env.clone();
                    let mut sub_files = files.clone();
                    let _ = sub.run(t, &mut sub_env, &mut sub_files, &mut out);
                    let text: Vec<String> = out
                        .into_iter()
                        .filter(|(stream, _)| *stream == Stream::Stdout)
                        .map(|(_, line)| line)
                        .collect();
                    s.push_str(text.join("\n").trim_end_matches('\n'));
                }
            }
        }
        s
    }

    fn lookup(&self, name: &str, env: &ShellEnv) -> String {
        match name {
            "?" => self.status.to_string(),
            "$" => "1".into(),
            "#" => self.positional.len().saturating_sub(1).to_string(),
            _ => {
                if let Ok(n) = name.parse::<usize>() {
                    return self.positional.get(n).cloned().unwrap_or_default();
                }
                env.vars.get(name).cloned().unwrap_or_default()
            }
        }
    }

    fn run_simple(
        &mut self,
        cmd: &SimpleCommand,
        t: Ticks,
        env: &mut ShellEnv,
        files: &mut Files,
        out: &mut Vec<(Stream, String)>,
    ) -> Step {
        let argv: Vec<String> = cmd
            .words
            .iter()
            .map(|w| self.expand(w, t, env, files))
            .collect();
        // Leading NAME=value words are assignments.
        let assignments = argv.iter().take_while(|a| is_assignment(a)).count();
        for a in &argv[..assignments] {
            if let Some((k, v)) = a.split_once('=') {
                env.vars.insert(k.to_string(), v.to_string());
            }
        }
        let argv = &argv[assignments..];
        let mut captured = Vec::new();
        let step = match argv.first() {
            None => Step::Status(0),
            Some(_) => builtin(argv, t, env, files, &mut captured),
        };
        // Apply redirections: `> file` replaces, `>> file` appends, `2>` takes stderr.
        for redirect in &cmd.redirects {
            let target = self.expand(&redirect.target, t, env, files);
            let stream = if redirect.fd == 2 {
                Stream::Stderr
            } else {
                Stream::Stdout
            };
            let (taken, kept): (Vec<_>, Vec<_>) =
                captured.into_iter().partition(|(s, _)| *s == stream);
            captured = kept;
            if target == "/dev/null" || target.starts_with('&') {
                if target == "&1" {
                    captured.extend(taken.into_iter().map(|(_, l)| (Stream::Stdout, l)));
                }
                continue;
            }
            let text: String = taken.into_iter().map(|(_, l)| l + "\n").collect();
            let entry = files.entry(target).or_default();
            if redirect.append {
                entry.push_str(&text);
            } else {
                *entry = text;
            }
        }
        out.extend(captured);
        step
    }
}

fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

enum Step {
    Status(i32),
    Sleep(Ticks),
    Exit(i32),
}

/// `sleep` arguments: `5`, `0.5`, `1m`, `2h`, `infinity`.
fn parse_sleep_ticks(arg: &str) -> Option<Ticks> {
    if arg == "infinity" {
        return Some(Ticks::MAX / 4);
    }
    let (number, unit_ticks) = match arg.char_indices().last() {
        Some((i, 's')) => (&arg[..i], 1_000.0),
        Some((i, 'm')) => (&arg[..i], 60_000.0),
        Some((i, 'h')) => (&arg[..i], 3_600_000.0),
        Some((i, 'd')) => (&arg[..i], 86_400_000.0),
        _ => (arg, 1_000.0),
    };
    let value: f64 = number.parse().ok()?;
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    Some((value * unit_ticks).min((Ticks::MAX / 4) as f64) as Ticks)
}

/// `date` as busybox prints it: `Sun Jun  1 00:00:05 UTC 2025`, or `+FORMAT`.
pub fn format_date(unix_seconds: i64, format: Option<&str>) -> String {
    let rfc = rfc3339_from_unix(unix_seconds);
    let field = |a: usize, b: usize| rfc.get(a..b).unwrap_or("00").to_string();
    let (year, month, day) = (field(0, 4), field(5, 7), field(8, 10));
    let (hour, minute, second) = (field(11, 13), field(14, 16), field(17, 19));
    let weekday = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        [(unix_seconds.div_euclid(86_400) + 4).rem_euclid(7) as usize];
    let month_index: usize = month.parse().unwrap_or(1);
    let month_name = MONTHS
        .get(month_index.saturating_sub(1))
        .copied()
        .unwrap_or("Jan");
    let day_number: u32 = day.parse().unwrap_or(1);
    match format {
        None => {
            format!("{weekday} {month_name} {day_number:>2} {hour}:{minute}:{second} UTC {year}")
        }
        Some(f) => {
            let mut s = String::new();
            let mut chars = f.chars();
            while let Some(c) = chars.next() {
                if c != '%' {
                    s.push(c);
                    continue;
                }
                match chars.next() {
                    Some('Y') => s.push_str(&year),
                    Some('m') => s.push_str(&month),
                    Some('d') => s.push_str(&day),
                    Some('H') => s.push_str(&hour),
                    Some('M') => s.push_str(&minute),
                    Some('S') => s.push_str(&second),
                    Some('s') => s.push_str(&unix_seconds.to_string()),
                    Some('T') => s.push_str(&format!("{hour}:{minute}:{second}")),
                    Some('F') => s.push_str(&format!("{year}-{month}-{day}")),
                    Some('a') => s.push_str(weekday),
                    Some('b') => s.push_str(month_name),
                    Some('Z') => s.push_str("UTC"),
                    Some('%') => s.push('%'),
                    Some(other) => {
                        s.push('%');
                        s.push(other);
                    }
                    None => s.push('%'),
                }
            }
            s
        }
    }
}

pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn builtin(
    argv: &[String],
    t: Ticks,
    env: &mut ShellEnv,
    files: &mut Files,
    out: &mut Vec<(Stream, String)>,
) -> Step {
    let name = argv[0].rsplit('/').next().unwrap_or_default();
    let args = &argv[1..];
    let sh = env.shell_name.clone();
    let mut err = |text: String| out.push((Stream::Stderr, text));
    match name {
        "true" | ":" | "cd" | "export" | "set" | "trap" | "wait" | "sync" => {
            for a in args.iter().filter(|a| is_assignment(a)) {
                if let Some((k, v)) = a.split_once('=') {
                    env.vars.insert(k.to_string(), v.to_string());
                }
            }
            Step::Status(0)
        }
        "false" => Step::Status(1),
        "exit" => Step::Exit(match args.first() {
            // Exit codes are taken mod 256, as the kernel reports them.
            Some(code) => code
                .parse::<i64>()
                .map(|c| c.rem_euclid(256) as i32)
                .unwrap_or(2),
            None => 0,
        }),
        "sleep" => match args.first().map(|a| parse_sleep_ticks(a)) {
            Some(Some(ticks)) => Step::Sleep(ticks),
            Some(None) => {
                err(format!("sleep: invalid number '{}'", args[0]));
                Step::Status(1)
            }
            None => {
                err("BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.\n\nUsage: sleep [N]...".into());
                Step::Status(1)
            }
        },
        "echo" => {
            let (no_newline, words) = match args.first().map(String::as_str) {
                Some("-n") => (true, &args[1..]),
                Some("-e") => (false, &args[1..]),
                _ => (false, args),
            };
            let text = words.join(" ");
            push_text(out, Stream::Stdout, &text, no_newline);
            Step::Status(0)
        }
        "printf" => {
            let Some(format) = args.first() else {
                err("printf: usage: printf FORMAT [ARGUMENT...]".into());
                return Step::Status(1);
            };
            let mut rest = args[1..].iter();
            let mut text = String::new();
            let mut chars = format.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '%' => match chars.next() {
                        Some('s' | 'd' | 'i') => {
                            text.push_str(rest.next().map(String::as_str).unwrap_or(""))
                        }
                        Some('%') => text.push('%'),
                        Some(o) => {
                            text.push('%');
                            text.push(o);
                        }
                        None => text.push('%'),
                    },
                    '\\' => match chars.next() {
                        Some('n') => text.push('\n'),
                        Some('t') => text.push('\t'),
                        Some(o) => text.push(o),
                        None => {}
                    },
                    _ => text.push(c),
                }
            }
            let no_newline = !text.ends_with('\n');
            push_text(
                out,
                Stream::Stdout,
                text.strip_suffix('\n').unwrap_or(&text),
                no_newline,
            );
            Step::Status(0)
        }
        "date" => {
            let format = args.iter().find_map(|a| a.strip_prefix('+'));
            let now = env.epoch_unix_seconds + (t / TICKS_PER_SECOND) as i64;
            out.push((Stream::Stdout, format_date(now, format)));
            Step::Status(0)
        }
        "hostname" => {
            out.push((Stream::Stdout, env.hostname.clone()));
            Step::Status(0)
        }
        "whoami" => {
            out.push((Stream::Stdout, "root".into()));
            Step::Status(0)
        }
        "id" => {
            out.push((
                Stream::Stdout,
                "uid=0(root) gid=0(root) groups=0(root),10(wheel)".into(),
            ));
            Step::Status(0)
        }
        "uname" => {
            let text = if args.iter().any(|a| a == "-a") {
                format!("Linux {} 6.1.0-37-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.140-1 (2025-05-22) x86_64 GNU/Linux", env.hostname)
            } else {
                "Linux".into()
            };
            out.push((Stream::Stdout, text));
            Step::Status(0)
        }
        "pwd" => {
            out.push((Stream::Stdout, "/".into()));
            Step::Status(0)
        }
        "env" | "printenv" => {
            if let (Some(var), "printenv") = (args.first(), name) {
                return match env.vars.get(var) {
                    Some(v) => {
                        out.push((Stream::Stdout, v.clone()));
                        Step::Status(0)
                    }
                    None => Step::Status(1),
                };
            }
            for (k, v) in &env.vars {
                out.push((Stream::Stdout, format!("{k}={v}")));
            }
            Step::Status(0)
        }
        "cat" => {
            let mut status = 0;
            let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
            if paths.is_empty() || args.iter().any(|a| a == "-") {
                // No file: cat copies its stdin (what `kubectl exec -i` sent, once).
                let text = env.stdin.take().unwrap_or_default();
                if !text.is_empty() {
                    push_text(
                        out,
                        Stream::Stdout,
                        text.strip_suffix('\n').unwrap_or(&text),
                        !text.ends_with('\n'),
                    );
                }
            }
            for path in paths {
                match files.get(path) {
                    Some(text) if text.is_empty() => {}
                    Some(text) => push_text(
                        out,
                        Stream::Stdout,
                        text.strip_suffix('\n').unwrap_or(text),
                        !text.ends_with('\n'),
                    ),
                    None => {
                        out.push((
                            Stream::Stderr,
                            format!("cat: can't open '{path}': No such file or directory"),
                        ));
                        status = 1;
                    }
                }
            }
            Step::Status(status)
        }
        "touch" => {
            for path in args.iter().filter(|a| !a.starts_with('-')) {
                files.entry(path.clone()).or_default();
            }
            Step::Status(0)
        }
        "rm" => {
            let force = args.iter().any(|a| a.starts_with('-') && a.contains('f'));
            let mut status = 0;
            for path in args.iter().filter(|a| !a.starts_with('-')) {
                let dir_prefix = format!("{}/", path.trim_end_matches('/'));
                let before = files.len();
                files.remove(path);
                files.retain(|k, _| !k.starts_with(&dir_prefix));
                if files.len() == before && !force {
                    out.push((
                        Stream::Stderr,
                        format!("rm: can't remove '{path}': No such file or directory"),
                    ));
                    status = 1;
                }
            }
            Step::Status(status)
        }
        "mkdir" => Step::Status(0),
        "ls" => {
            let dir = args
                .iter()
                .find(|a| !a.starts_with('-'))
                .cloned()
                .unwrap_or_else(|| "/".into());
            let prefix = format!("{}/", dir.trim_end_matches('/'));
            let mut names: Vec<String> = files
                .keys()
                .filter_map(|k| k.strip_prefix(&prefix))
                .map(|rest| rest.split('/').next().unwrap_or_default().to_string())
                .collect();
            names.dedup();
            if names.is_empty() && !files.contains_key(&dir) {
                out.push((
                    Stream::Stderr,
                    format!("ls: {dir}: No such file or directory"),
                ));
                return Step::Status(1);
            }
            if names.is_empty() {
                out.push((Stream::Stdout, dir));
            }
            out.extend(names.into_iter().map(|n| (Stream::Stdout, n)));
            Step::Status(0)
        }
        "test" | "[" => {
            let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
            if name == "[" {
                if args.last() != Some(&"]") {
                    err("[: missing ]".into());
                    return Step::Status(2);
                }
                args.pop();
            }
            let negate = args.first() == Some(&"!");
            if negate {
                args.remove(0);
            }
            let result = match args.as_slice() {
                [] => false,
                [s] => !s.is_empty(),
                ["-f" | "-e" | "-r" | "-s", path] => files.contains_key(*path),
                ["-d", path] => {
                    let prefix = format!("{}/", path.trim_end_matches('/'));
                    files.keys().any(|k| k.starts_with(&prefix))
                }
                ["-z", s] => s.is_empty(),
                ["-n", s] => !s.is_empty(),
                [a, "=" | "==", b] => a == b,
                [a, "!=", b] => a != b,
                [a, op @ ("-eq" | "-ne" | "-lt" | "-le" | "-gt" | "-ge"), b] => {
                    match (a.trim().parse::<i64>(), b.trim().parse::<i64>()) {
                        (Ok(x), Ok(y)) => match *op {
                            "-eq" => x == y,
                            "-ne" => x != y,
                            "-lt" => x < y,
                            "-le" => x <= y,
                            "-gt" => x > y,
                            _ => x >= y,
                        },
                        _ => {
                            err(format!(
                                "sh: {}: bad number",
                                if a.trim().parse::<i64>().is_err() {
                                    a
                                } else {
                                    b
                                }
                            ));
                            return Step::Status(2);
                        }
                    }
                }
                _ => false,
            };
            Step::Status(if result != negate { 0 } else { 1 })
        }
        "kill" => Step::Status(0),
        "wget" | "curl" | "nc" | "nslookup" | "ping" => {
            // The network belongs to the network module; inside a lone container no name resolves.
            let host = args
                .iter()
                .rev()
                .find(|a| !a.starts_with('-'))
                .cloned()
                .unwrap_or_default();
            let host = host
                .trim_start_matches("http://")
                .split(['/', ':'])
                .next()
                .unwrap_or_default()
                .to_string();
            err(format!("{name}: bad address '{host}'"));
            Step::Status(1)
        }
        _ => {
            err(format!("{sh}: {}: not found", argv[0]));
            Step::Status(127)
        }
    }
}

fn push_text(out: &mut Vec<(Stream, String)>, stream: Stream, text: &str, _no_newline: bool) {
    // Logs are line-oriented; a trailing partial line is still a line for `kubectl logs`.
    for line in text.split('\n') {
        out.push((stream, line.to_string()));
    }
}

/// `$((...))`: integers with + - * / % and parentheses; unknown names are 0 as in sh.
fn arith(expr: &str, lookup: &dyn Fn(&str) -> String) -> i64 {
    let tokens: Vec<String> = {
        let mut tokens = Vec::new();
        let mut cur = String::new();
        for c in expr.chars() {
            if c.is_alphanumeric() || c == '_' || c == '$' {
                cur.push(c);
            } else {
                if !cur.is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
                if !c.is_whitespace() {
                    tokens.push(c.to_string());
                }
            }
        }
        if !cur.is_empty() {
            tokens.push(cur);
        }
        tokens
    };
    fn value(tok: &str, lookup: &dyn Fn(&str) -> String) -> i64 {
        let name = tok.trim_start_matches('$');
        name.parse()
            .unwrap_or_else(|_| lookup(name).trim().parse().unwrap_or(0))
    }
    fn expr_(t: &[String], i: &mut usize, l: &dyn Fn(&str) -> String, depth: usize) -> i64 {
        let mut v = term(t, i, l, depth);
        while let Some(op) = t.get(*i).map(String::as_str) {
            match op {
                "+" => {
                    *i += 1;
                    v = v.wrapping_add(term(t, i, l, depth));
                }
                "-" => {
                    *i += 1;
                    v = v.wrapping_sub(term(t, i, l, depth));
                }
                _ => break,
            }
        }
        v
    }
    fn term(t: &[String], i: &mut usize, l: &dyn Fn(&str) -> String, depth: usize) -> i64 {
        let mut v = atom(t, i, l, depth);
        while let Some(op) = t.get(*i).map(String::as_str) {
            match op {
                "*" => {
                    *i += 1;
                    v = v.wrapping_mul(atom(t, i, l, depth));
                }
                "/" | "%" => {
                    *i += 1;
                    let d = atom(t, i, l, depth);
                    v = if d == 0 {
                        0
                    } else if op == "/" {
                        v.wrapping_div(d)
                    } else {
                        v.wrapping_rem(d)
                    };
                }
                _ => break,
            }
        }
        v
    }
    fn atom(t: &[String], i: &mut usize, l: &dyn Fn(&str) -> String, depth: usize) -> i64 {
        let Some(tok) = t.get(*i) else { return 0 };
        *i += 1;
        match tok.as_str() {
            "(" if depth < 32 => {
                let v = expr_(t, i, l, depth + 1);
                if t.get(*i).map(String::as_str) == Some(")") {
                    *i += 1;
                }
                v
            }
            "-" if depth < 32 => atom(t, i, l, depth + 1).wrapping_neg(),
            _ => value(tok, l),
        }
    }
    let mut i = 0;
    expr_(&tokens, &mut i, lookup, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> ShellEnv {
        ShellEnv {
            vars: BTreeMap::from([("NAME".to_string(), "world".to_string())]),
            hostname: "web-7d4b9c8f5-x2k4q".into(),
            epoch_unix_seconds: crate::sim::clock::DEFAULT_EPOCH_UNIX_SECONDS,
            shell_name: "sh".into(),
            stdin: None,
        }
    }

    /// Runs a script to completion (sleeps included), returning (exit code, stdout lines, end tick).
    fn run_to_end(script: &str) -> (i32, Vec<String>, Ticks) {
        let mut shell = match Shell::parse(script, vec!["sh".into()]) {
            Ok(s) => s,
            Err(e) => return (2, vec![format!("syntax error: {}", e.0)], 0),
        };
        let mut env = env();
        let mut files = Files::new();
        let mut out = Vec::new();
        let mut t = 0;
        for _ in 0..1000 {
            match shell.run(t, &mut env, &mut files, &mut out) {
                Yield::Sleep(until) => t = until,
                Yield::Busy => t += 1,
                Yield::Exit(code) => {
                    let lines = out.into_iter().map(|(_, l)| l).collect();
                    return (code, lines, t);
                }
            }
        }
        (-1, vec![], t)
    }

    #[test]
    fn sh_c_scripts_of_the_common_shapes_behave_as_in_busybox() {
        let table: &[(&str, i32, &[&str])] = &[
            ("echo hi", 0, &["hi"]),
            ("exit 3", 3, &[]),
            ("false", 1, &[]),
            ("echo hello $NAME", 0, &["hello world"]),
            (
                "echo 'single $NAME' \"double $NAME\"",
                0,
                &["single $NAME double world"],
            ),
            ("false || echo fallback", 0, &["fallback"]),
            ("true && echo both; exit 7", 7, &["both"]),
            ("false && echo never", 1, &[]),
            (
                "for i in 1 2 3; do echo n=$i; done",
                0,
                &["n=1", "n=2", "n=3"],
            ),
            (
                "i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done",
                0,
                &["0", "1", "2"],
            ),
            (
                "if [ -f /nope ]; then echo yes; else echo no; fi",
                0,
                &["no"],
            ),
            (
                "touch /tmp/healthy; cat /tmp/healthy && echo ok",
                0,
                &["ok"],
            ),
            ("echo saved > /tmp/f; cat /tmp/f", 0, &["saved"]),
            (
                "cat /missing",
                1,
                &["cat: can't open '/missing': No such file or directory"],
            ),
            ("nosuchcmd", 127, &["sh: nosuchcmd: not found"]),
            ("echo $(hostname)", 0, &["web-7d4b9c8f5-x2k4q"]),
            ("date", 0, &["Sun Jun  1 00:00:00 UTC 2025"]),
            ("exit 300", 44, &[]),
            ("echo a; # comment\necho b", 0, &["a", "b"]),
            ("echo $((2 * (3 + 4)))", 0, &["14"]),
        ];
        for (script, code, lines) in table {
            let (got_code, got_lines, _) = run_to_end(script);
            let want: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            assert_eq!((got_code, got_lines), (*code, want), "{script}");
        }
    }

    #[test]
    fn sleep_moves_simulated_time_and_date_follows_it() {
        let (code, lines, end) = run_to_end("sleep 2; date +%T; sleep 0.5; date +%T");
        assert_eq!(code, 0);
        assert_eq!(lines, ["00:00:02", "00:00:02"]);
        assert_eq!(end, 2_500);
    }

    #[test]
    fn an_endless_loop_with_sleep_yields_at_each_sleep() {
        let mut shell = Shell::parse("while true; do echo tick; sleep 5; done", vec![]).unwrap();
        let (mut env, mut files, mut out) = (env(), Files::new(), Vec::new());
        assert_eq!(
            shell.run(0, &mut env, &mut files, &mut out),
            Yield::Sleep(5_000)
        );
        assert_eq!(
            shell.run(5_000, &mut env, &mut files, &mut out),
            Yield::Sleep(10_000)
        );
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn a_busy_loop_without_sleep_uses_its_budget_and_yields() {
        let mut shell = Shell::parse("while :; do :; done", vec![]).unwrap();
        let (mut env, mut files, mut out) = (env(), Files::new(), Vec::new());
        assert_eq!(shell.run(0, &mut env, &mut files, &mut out), Yield::Busy);
    }

    #[test]
    fn syntax_errors_are_values() {
        for script in [
            "echo 'open",
            "while true; do echo",
            "if true; then",
            "&& x",
            "done",
            "$((",
            "for; do",
        ] {
            assert!(Shell::parse(script, vec![]).is_err(), "{script}");
        }
    }
}
