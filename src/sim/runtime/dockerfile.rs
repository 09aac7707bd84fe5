//! A Dockerfile read into instructions, with the line each one starts on.
//!
//! ```text
//!   # comment                      skipped
//!   FROM node:7                    Instruction { line: 2, keyword: From, args: "node:7" }
//!   RUN apt-get update && \        one instruction: continuation lines are joined
//!       apt-get install -y curl
//!   ENTRYPOINT ["node", "app.js"]  exec form: a JSON array of strings
//! ```
//!
//! Mirrors: buildkit `frontend/dockerfile/parser` (line continuations with `\`, comments,
//! keywords case-insensitive, exec form as JSON, shell form otherwise) and the instruction
//! parser's errors (`unknown instruction: ADDD (did you mean ADD?)`, `ADD requires at least two
//! arguments`, `no build stage in current context`).
//! Simplified: no parser directives (`# syntax=`, `# escape=`), no heredocs inside the
//! Dockerfile, no variable substitution except `$VAR`/`${VAR}` from earlier ENV lines in
//! WORKDIR; ONBUILD and multi-stage `FROM ... AS` are read but a build uses its last stage.

use std::fmt;

/// What an instruction does to the image being built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Keyword {
    From,
    Add,
    Copy,
    Run,
    Env,
    Workdir,
    Expose,
    Cmd,
    Entrypoint,
    Label,
    User,
    Arg,
    Volume,
    StopSignal,
    Maintainer,
}

/// Every instruction name BuildKit accepts, for the `did you mean` suggestion.
const NAMES: [(&str, Option<Keyword>); 18] = [
    ("ADD", Some(Keyword::Add)),
    ("ARG", Some(Keyword::Arg)),
    ("CMD", Some(Keyword::Cmd)),
    ("COPY", Some(Keyword::Copy)),
    ("ENTRYPOINT", Some(Keyword::Entrypoint)),
    ("ENV", Some(Keyword::Env)),
    ("EXPOSE", Some(Keyword::Expose)),
    ("FROM", Some(Keyword::From)),
    ("HEALTHCHECK", None),
    ("LABEL", Some(Keyword::Label)),
    ("MAINTAINER", Some(Keyword::Maintainer)),
    ("ONBUILD", None),
    ("RUN", Some(Keyword::Run)),
    ("SHELL", None),
    ("STOPSIGNAL", Some(Keyword::StopSignal)),
    ("USER", Some(Keyword::User)),
    ("VOLUME", Some(Keyword::Volume)),
    ("WORKDIR", Some(Keyword::Workdir)),
];

impl Keyword {
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, k)| *k == Some(self))
            .map_or("", |(n, _)| n)
    }

    /// Does the instruction change the file system (a numbered step in BuildKit's output)?
    pub fn makes_layer(self) -> bool {
        matches!(
            self,
            Keyword::Add | Keyword::Copy | Keyword::Run | Keyword::Workdir
        )
    }
}

/// One instruction, as written (continuations joined).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// 1-based line the instruction starts on.
    pub line: usize,
    /// Last line it spans (the same as `line` without continuations).
    pub end_line: usize,
    pub keyword: Keyword,
    /// Everything after the keyword, trimmed.
    pub args: String,
}

impl Instruction {
    /// `ADD app.js /app.js`: the instruction with its keyword upper-cased, as Docker echoes it.
    pub fn text(&self) -> String {
        format!("{} {}", self.keyword.name(), self.args)
    }

    /// The exec form's words (`["node", "app.js"]`), or None for the shell form.
    pub fn exec_form(&self) -> Option<Vec<String>> {
        if !self.args.starts_with('[') {
            return None;
        }
        crate::sim::api::json_from_str::<Vec<String>>(&self.args).ok()
    }

    /// The words of CMD/ENTRYPOINT/RUN: the exec form as is, the shell form under `/bin/sh -c`.
    pub fn command_words(&self) -> Vec<String> {
        self.exec_form()
            .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into(), self.args.clone()])
    }

    /// Whitespace-separated arguments; the exec form's JSON array for ADD/COPY.
    pub fn words(&self) -> Vec<String> {
        self.exec_form().unwrap_or_else(|| {
            self.args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .map(str::to_string)
                .collect()
        })
    }

    /// `KEY=VALUE KEY2="V 2"` or the legacy `KEY VALUE` of ENV and LABEL.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let args = self.args.trim();
        let first = args.split_whitespace().next().unwrap_or("");
        if !first.contains('=') {
            let value = args[first.len()..].trim().to_string();
            return vec![(first.to_string(), value)];
        }
        let mut pairs = Vec::new();
        let mut chars = args.chars().peekable();
        while chars.peek().is_some() {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
            let mut value = String::new();
            let mut quote: Option<char> = None;
            while let Some(&c) = chars.peek() {
                match (quote, c) {
                    (None, '"' | '\'') => quote = Some(c),
                    (Some(q), c) if c == q => quote = None,
                    (None, c) if c.is_whitespace() => break,
                    (_, c) => value.push(c),
                }
                chars.next();
            }
            if !key.is_empty() {
                pairs.push((key, value));
            }
        }
        pairs
    }
}

/// A Dockerfile that cannot be read: BuildKit's text and the line it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "dockerfile parse error on line {}: {}",
            self.line, self.message
        )
    }
}

/// Limits on what a pasted Dockerfile may hold.
const INSTRUCTIONS_MAX: usize = 200;

/// Reads a Dockerfile. An empty one, or one whose first instruction is not FROM (ARG aside),
/// is an error as in BuildKit.
pub fn parse(text: &str) -> Result<Vec<Instruction>, ParseError> {
    let mut instructions = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((index, raw)) = lines.next() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let line = index + 1;
        let mut end_line = line;
        let mut joined = String::new();
        let mut current = trimmed.to_string();
        // A trailing backslash continues the instruction; comment lines inside are dropped.
        while let Some(head) = current.strip_suffix('\\') {
            joined.push_str(head);
            match lines.next() {
                Some((i, next)) => {
                    end_line = i + 1;
                    let next = next.trim();
                    current = if next.starts_with('#') {
                        "\\".to_string()
                    } else {
                        next.to_string()
                    };
                }
                None => {
                    current = String::new();
                }
            }
        }
        joined.push_str(&current);
        let (word, rest) = match joined.split_once(char::is_whitespace) {
            Some((w, r)) => (w.to_string(), r.trim().to_string()),
            None => (joined.clone(), String::new()),
        };
        let upper = word.to_ascii_uppercase();
        let keyword = match NAMES.iter().find(|(n, _)| *n == upper) {
            Some((_, Some(k))) => *k,
            Some((name, None)) => {
                return Err(ParseError {
                    line,
                    message: format!("{name} is not supported by this sandbox"),
                })
            }
            None => {
                let mut message = format!("unknown instruction: {word}");
                if let Some(suggestion) = suggest(&upper) {
                    message.push_str(&format!(" (did you mean {suggestion}?)"));
                }
                return Err(ParseError { line, message });
            }
        };
        if let Some(message) = arity_error(keyword, &rest) {
            return Err(ParseError { line, message });
        }
        if instructions.len() >= INSTRUCTIONS_MAX {
            return Err(ParseError {
                line,
                message: format!("more than {INSTRUCTIONS_MAX} instructions"),
            });
        }
        instructions.push(Instruction {
            line,
            end_line,
            keyword,
            args: rest,
        });
    }
    Ok(instructions)
}

/// The instruction parser's argument checks (buildkit `instructions/parse.go`).
fn arity_error(keyword: Keyword, args: &str) -> Option<String> {
    let count = args
        .split_whitespace()
        .filter(|w| !w.starts_with("--"))
        .count();
    let name = keyword.name();
    match keyword {
        Keyword::Add | Keyword::Copy if count < 2 => {
            Some(format!("{name} requires at least two arguments, but only one was provided. Destination could not be determined"))
        }
        Keyword::From if count == 2 || count > 3 => {
            Some("FROM requires either one or three arguments".to_string())
        }
        Keyword::From
        | Keyword::Run
        | Keyword::Workdir
        | Keyword::Expose
        | Keyword::User
        | Keyword::Env
        | Keyword::Label
        | Keyword::Arg
        | Keyword::Volume
        | Keyword::StopSignal
        | Keyword::Maintainer
            if count == 0 =>
        {
            Some(format!("{name} requires at least one argument"))
        }
        _ => None,
    }
}

/// The instruction name nearest to a misspelt one (at most two edits away), as BuildKit's
/// `suggest` package offers.
fn suggest(word: &str) -> Option<&'static str> {
    NAMES
        .iter()
        .map(|(n, _)| (edit_distance(word, n), *n))
        .filter(|(d, _)| *d <= 2 && *d < word.len())
        .min()
        .map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_courses_dockerfile_is_three_instructions() {
        let parsed =
            parse("FROM node:7\nADD app.js /app.js\nENTRYPOINT [\"node\", \"app.js\"]\n").unwrap();
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[0].keyword, Keyword::From);
        assert_eq!(parsed[1].text(), "ADD app.js /app.js");
        assert_eq!(parsed[2].line, 3);
        assert_eq!(
            parsed[2].exec_form(),
            Some(vec!["node".to_string(), "app.js".to_string()])
        );
    }

    #[test]
    fn comments_blank_lines_and_continuations_keep_line_numbers() {
        let parsed =
            parse("# base\n\nfrom node:7\nRUN apt-get update && \\\n  apt-get install -y curl\nrun true\n")
                .unwrap();
        assert_eq!(parsed[0].line, 3);
        assert_eq!(parsed[1].args, "apt-get update && apt-get install -y curl");
        assert_eq!((parsed[1].line, parsed[1].end_line), (4, 5));
        assert_eq!(parsed[2].line, 6);
        assert_eq!(parsed[2].keyword, Keyword::Run);
    }

    #[test]
    fn an_unknown_instruction_names_its_line_and_the_nearest_name() {
        let err = parse("FROM node:7\nADDD app.js /app.js\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(
            err.to_string(),
            "dockerfile parse error on line 2: unknown instruction: ADDD (did you mean ADD?)"
        );
        let far = parse("FROM node:7\nBANANA x\n").unwrap_err();
        assert_eq!(far.message, "unknown instruction: BANANA");
    }

    #[test]
    fn env_and_label_read_both_forms() {
        let parsed = parse("ENV A=1 B=\"two words\"\nENV LEGACY some value\n").unwrap();
        assert_eq!(
            parsed[0].pairs(),
            vec![("A".into(), "1".into()), ("B".into(), "two words".into())]
        );
        assert_eq!(
            parsed[1].pairs(),
            vec![("LEGACY".into(), "some value".into())]
        );
    }

    #[test]
    fn add_with_one_argument_is_refused() {
        let err = parse("FROM node:7\nADD app.js\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err
            .message
            .starts_with("ADD requires at least two arguments"));
    }
}
