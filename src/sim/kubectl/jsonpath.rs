//! kubectl's JSONPath templates: `{.items[*].metadata.name}`, `{range .items[*]}…{end}`,
//! filters `[?(@.type=="Ready")]`, and how their results print.
//!
//! Mirrors: `k8s.io/client-go/util/jsonpath` (`parser.go`, `jsonpath.go`) as kubectl v1.32 runs
//! it: the same grammar (text outside `{}` printed as is; inside: `.field`, `['key']`, `[i]`,
//! `[a:b:c]`, `[*]`, `[i,j]` unions, `..` recursive descent, `*` wildcards, `[?(@.x op y)]` and
//! `[?(@.x)]` filters, quoted text with Go escapes, `range`/`end`), the same parse and execution
//! error texts (`unclosed action`, `unterminated array`, `not in range, nothing to end`,
//! `array index out of bounds: index 5, length 1`, `incompatible types for comparison`), missing
//! keys printing nothing (kubectl's `--allow-missing-template-keys=true`), and the printing:
//! results of one action joined by a space, maps and lists as compact Go JSON, scalars as Go's
//! `fmt.Print` does. Also Go's `%v` / `%#v` / `%q` formatting that kubectl's messages and
//! custom-columns cells use, and `sortorder.NaturalLess` for `--sort-by`.
//! Simplified: maps are walked in sorted key order where Go's map order is random (`*`, `..`);
//! ranges nest at most [`RANGE_DEPTH_MAX`] deep and one run visits at most [`STEPS_MAX`]
//! values, so a typed template can neither overflow the stack nor hang the tab.
//!
//! Written here rather than taken from a crate: the JSONPath crates on crates.io implement
//! RFC 9535 / Goessner paths (`$.items[*].name`), not kubectl's `{}` templates with text,
//! `range`/`end`, Go-typed comparisons and Go's printing; all of that is the part students see.

use std::borrow::Cow;
use std::cell::Cell;

use crate::sim::sort::StableSort;
use serde_json::{Number, Value};

/// How deep `{range}` blocks may nest before the template is refused.
pub const RANGE_DEPTH_MAX: usize = 32;
/// How many values one execution may produce before it is stopped.
pub const STEPS_MAX: usize = 2_000_000;

/// One step inside an action (`{...}`), as upstream's node types.
#[derive(Clone, Debug, PartialEq)]
enum Node {
    Text(String),
    Field(String),
    Wildcard,
    Recursive,
    Array([Param; 3]),
    Union(Vec<Vec<Node>>),
    Filter {
        left: Vec<Node>,
        right: Vec<Node>,
        operator: String,
    },
    Int(i64),
    Float(f64),
    Bool(bool),
    Identifier(String),
}

/// One bound of `[start:end:step]`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Param {
    value: i64,
    known: bool,
    /// `end` derived from `start` (`[3]` means `[3:4]`).
    derived: bool,
}

/// Top level of a template: literal text, or one `{...}` action.
#[derive(Clone, Debug, PartialEq)]
enum Root {
    Text(String),
    Action(Vec<Node>),
}

/// A parsed template.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonPath {
    roots: Vec<Root>,
}

type Item<'a> = Cow<'a, Value>;

struct Parser {
    input: Vec<char>,
    pos: usize,
    start: usize,
}

fn is_terminator(c: Option<char>) -> bool {
    matches!(
        c,
        None | Some(' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}')
    )
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

/// Go's `%#U` for a rune in a message: `U+0021 '!'`.
fn go_rune(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} '{c}'", c as u32)
    }
}

impl Parser {
    fn new(text: &str) -> Self {
        Parser {
            input: text.chars().collect(),
            pos: 0,
            start: 0,
        }
    }

    fn next(&mut self) -> Option<char> {
        let c = self.input.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn peek(&self) -> Option<char> {
        self.input.get(self.pos).copied()
    }

    fn consume(&mut self) -> String {
        let text: String = self.input[self.start..self.pos].iter().collect();
        self.start = self.pos;
        text
    }

    fn rest_starts_with(&self, prefix: &str) -> bool {
        let prefix: Vec<char> = prefix.chars().collect();
        self.input.get(self.pos..self.pos + prefix.len()) == Some(&prefix[..])
    }

    /// The char before the one just read (`p.input[p.pos-2]` upstream).
    fn before_last(&self) -> Option<char> {
        self.pos
            .checked_sub(2)
            .and_then(|i| self.input.get(i))
            .copied()
    }

    fn parse_text(&mut self) -> Result<Vec<Root>, String> {
        let mut roots = Vec::new();
        loop {
            if self.peek() == Some('{') {
                if self.pos > self.start {
                    roots.push(Root::Text(self.consume()));
                }
                self.pos += 1;
                self.consume();
                let mut list = Vec::new();
                self.parse_inside_action(&mut list)?;
                roots.push(Root::Action(list));
                continue;
            }
            if self.next().is_none() {
                break;
            }
        }
        if self.pos > self.start {
            roots.push(Root::Text(self.consume()));
        }
        Ok(roots)
    }

    /// Parses one action up to and including its `}`.
    fn parse_inside_action(&mut self, list: &mut Vec<Node>) -> Result<(), String> {
        loop {
            if self.rest_starts_with("}") {
                self.pos += 1;
                self.consume();
                return Ok(());
            }
            if self.rest_starts_with("[?(") {
                self.parse_filter(list)?;
                continue;
            }
            if self.rest_starts_with("..") {
                self.parse_recursive(list)?;
                continue;
            }
            match self.next() {
                None | Some('\r' | '\n') => return Err("unclosed action".to_string()),
                Some(' ' | '@' | '$') => {
                    self.consume();
                }
                Some('[') => self.parse_array(list)?,
                Some(q @ ('"' | '\'')) => self.parse_quote(list, q)?,
                Some('.') => self.parse_field(list),
                Some(c) if c == '+' || c == '-' || c.is_ascii_digit() => {
                    self.pos -= 1;
                    self.parse_number(list)?;
                }
                Some(c) if is_alphanumeric(c) => {
                    self.pos -= 1;
                    self.parse_identifier(list);
                }
                Some(c) => return Err(format!("unrecognized character in action: {}", go_rune(c))),
            }
        }
    }

    fn parse_identifier(&mut self, list: &mut Vec<Node>) {
        while !is_terminator(self.peek()) {
            self.pos += 1;
        }
        let value = self.consume();
        match value.as_str() {
            "true" => list.push(Node::Bool(true)),
            "false" => list.push(Node::Bool(false)),
            _ => list.push(Node::Identifier(value)),
        }
    }

    fn parse_recursive(&mut self, list: &mut Vec<Node>) -> Result<(), String> {
        if list.last() == Some(&Node::Recursive) {
            return Err("invalid multiple recursive descent".to_string());
        }
        self.pos += 2;
        self.consume();
        list.push(Node::Recursive);
        if self.peek().is_some_and(is_alphanumeric) {
            self.parse_field(list);
        }
        Ok(())
    }

    fn parse_number(&mut self, list: &mut Vec<Node>) -> Result<(), String> {
        if matches!(self.peek(), Some('+' | '-')) {
            self.pos += 1;
        }
        while matches!(self.peek(), Some(c) if c == '.' || c.is_ascii_digit()) {
            self.pos += 1;
        }
        let value = self.consume();
        if let Ok(i) = value.parse::<i64>() {
            list.push(Node::Int(i));
        } else if let Some(f) = parse_go_float(&value) {
            list.push(Node::Float(f));
        } else {
            return Err(format!("cannot parse number {value}"));
        }
        Ok(())
    }

    fn parse_array(&mut self, list: &mut Vec<Node>) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated array".to_string()),
                Some(']') => break,
                Some(_) => {}
            }
        }
        let text = self.consume();
        // Strip the brackets: `text` is `[` … `]`.
        let inner = text
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or_default();
        let inner = if inner == "*" { ":" } else { inner };

        let parts: Vec<&str> = inner.split(',').collect();
        if parts.len() > 1 {
            let mut union = Vec::new();
            for part in parts {
                union.push(parse_action(&format!("[{}]", part.trim_matches(' ')))?);
            }
            list.push(Node::Union(union));
            return Ok(());
        }
        if let Some(key) = inner
            .strip_prefix('\'')
            .and_then(|k| k.strip_suffix('\''))
            .filter(|k| !k.contains('\''))
        {
            list.extend(parse_action(&format!(".{key}"))?);
            return Ok(());
        }
        let Some(groups) = slice_groups(inner) else {
            return Err(format!("invalid array index {inner}"));
        };
        let mut params = [Param::default(); 3];
        for i in 0..3 {
            let raw = groups[i];
            if !raw.is_empty() {
                let raw = if i > 0 { &raw[1..] } else { raw };
                if i > 0 && raw.is_empty() {
                    params[i].known = false;
                } else {
                    params[i].known = true;
                    params[i].value = raw
                        .parse::<i64>()
                        .map_err(|_| format!("array index {raw} is not a number"))?;
                }
            } else if i == 1 {
                params[i] = Param {
                    value: params[0].value.saturating_add(1),
                    known: true,
                    derived: true,
                };
            }
        }
        list.push(Node::Array(params));
        Ok(())
    }

    fn parse_filter(&mut self, list: &mut Vec<Node>) -> Result<(), String> {
        self.pos += 3;
        self.consume();
        let mut begin = false;
        let mut end = false;
        let mut pair = '"';
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated filter".to_string()),
                Some(q @ ('"' | '\'')) => {
                    if !begin {
                        begin = true;
                        pair = q;
                        continue;
                    }
                    if self.before_last() != Some('\\') && q == pair {
                        end = true;
                    }
                }
                Some(')') if begin == end => break,
                Some(_) => {}
            }
        }
        if self.next() != Some(']') {
            return Err("unclosed array expect ]".to_string());
        }
        let consumed = self.consume();
        let text = consumed.strip_suffix(")]").unwrap_or_default();
        match split_comparison(text) {
            None => list.push(Node::Filter {
                left: parse_action(text)?,
                right: Vec::new(),
                operator: "exists".to_string(),
            }),
            Some((left, operator, right)) => list.push(Node::Filter {
                left: parse_action(left)?,
                right: parse_action(right)?,
                operator: operator.to_string(),
            }),
        }
        Ok(())
    }

    fn parse_quote(&mut self, list: &mut Vec<Node>, quote: char) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated quoted string".to_string()),
                Some(c) if c == quote && self.before_last() != Some('\\') => break,
                Some(_) => {}
            }
        }
        let value = self.consume();
        let text =
            unquote_extend(&value).map_err(|e| format!("unquote string {value} error {e}"))?;
        list.push(Node::Text(text));
        Ok(())
    }

    fn parse_field(&mut self, list: &mut Vec<Node>) {
        self.consume();
        loop {
            match self.peek() {
                Some('\\') => {
                    self.pos += 1;
                    if self.peek().is_some() {
                        self.pos += 1;
                    }
                }
                c if is_terminator(c) => break,
                _ => self.pos += 1,
            }
        }
        let value = self.consume();
        if value == "*" {
            list.push(Node::Wildcard);
        } else {
            list.push(Node::Field(value.replace('\\', "")));
        }
    }
}

/// `parseAction`: parses `text` as the inside of one action.
fn parse_action(text: &str) -> Result<Vec<Node>, String> {
    let mut parser = Parser::new(&format!("{{{text}}}"));
    let roots = parser.parse_text()?;
    match roots.into_iter().next() {
        Some(Root::Action(list)) => Ok(list),
        _ => Err("unclosed action".to_string()),
    }
}

/// `^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$`, as three groups (empty when absent).
fn slice_groups(text: &str) -> Option<[&str; 3]> {
    fn number_end(s: &str, from: usize) -> usize {
        let bytes = s.as_bytes();
        let mut i = from;
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    }
    let mut groups = [""; 3];
    let first = number_end(text, 0);
    groups[0] = &text[..first];
    let mut at = first;
    for group in groups.iter_mut().skip(1) {
        if text.as_bytes().get(at) == Some(&b':') {
            let end = number_end(text, at + 1);
            *group = &text[at..end];
            at = end;
        }
    }
    (at == text.len()).then_some(groups)
}

/// `^([^!<>=]+)([!<>=]+)(.+?)$`: left side, operator, right side.
fn split_comparison(text: &str) -> Option<(&str, &str, &str)> {
    let is_op = |c: char| matches!(c, '!' | '<' | '>' | '=');
    let op_start = text.find(is_op)?;
    if op_start == 0 {
        return None;
    }
    let after = &text[op_start..];
    let op_len = after.find(|c: char| !is_op(c)).unwrap_or(after.len());
    let right = &after[op_len..];
    if right.is_empty() || right.contains('\n') {
        return None;
    }
    Some((&text[..op_start], &after[..op_len], right))
}

/// Go's `strconv.ParseFloat` for what the number scanner accepts (digits, dots, a sign).
fn parse_go_float(text: &str) -> Option<f64> {
    let digits = text.trim_start_matches(['+', '-']);
    if digits.is_empty() || digits == "." || digits.matches('.').count() > 1 {
        return None;
    }
    text.parse::<f64>().ok()
}

/// `UnquoteExtend`: Go's `strconv.Unquote`, also for single-quoted strings.
fn unquote_extend(s: &str) -> Result<String, &'static str> {
    const SYNTAX: &str = "invalid syntax";
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 2 {
        return Err(SYNTAX);
    }
    let quote = chars[0];
    if quote != chars[chars.len() - 1] || (quote != '"' && quote != '\'') {
        return Err(SYNTAX);
    }
    let body = &chars[1..chars.len() - 1];
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = body.get(i) {
        i += 1;
        if c == quote {
            return Err(SYNTAX);
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = body.get(i) else {
            return Err(SYNTAX);
        };
        i += 1;
        let simple = match e {
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            '\\' => Some('\\'),
            '\'' | '"' if e == quote => Some(e),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            continue;
        }
        let (radix, len) = match e {
            'x' => (16, 2),
            'u' => (16, 4),
            'U' => (16, 8),
            '0'..='7' => (8, 3),
            _ => return Err(SYNTAX),
        };
        let start = if radix == 8 { i - 1 } else { i };
        let digits: String = body.get(start..start + len).ok_or(SYNTAX)?.iter().collect();
        let value = u32::from_str_radix(&digits, radix).map_err(|_| SYNTAX)?;
        i = start + len;
        match e {
            // \x and octal escapes are bytes; kept as the char of that value when ASCII.
            'x' | '0'..='7' if value > 0xff => return Err(SYNTAX),
            'x' | '0'..='7' if value >= 0x80 => out.push(char::REPLACEMENT_CHARACTER),
            _ => out.push(char::from_u32(value).ok_or(SYNTAX)?),
        }
    }
    Ok(out)
}

impl JsonPath {
    /// Parses a template; the error is upstream's parser message (`unterminated array`).
    pub fn parse(template: &str) -> Result<JsonPath, String> {
        let roots = Parser::new(template).parse_text()?;
        let mut depth = 0usize;
        for root in &roots {
            if let Root::Action(list) = root {
                if list.contains(&Node::Identifier("range".to_string())) {
                    depth += 1;
                    if depth > RANGE_DEPTH_MAX {
                        return Err(format!(
                            "range blocks nest more than {RANGE_DEPTH_MAX} deep"
                        ));
                    }
                } else if list.contains(&Node::Identifier("end".to_string())) {
                    depth = depth.saturating_sub(1);
                }
            }
        }
        Ok(JsonPath { roots })
    }

    /// Every action's results, in template order (`FindResults`); missing keys give no result.
    pub fn find_results<'a>(&self, data: &'a Value) -> Result<Vec<Vec<Item<'a>>>, String> {
        let exec = Exec {
            steps: Cell::new(0),
        };
        let mut groups = Vec::new();
        exec.run(&self.roots, Cow::Borrowed(data), 0, &mut groups)?;
        Ok(groups)
    }

    /// The template's output (`Execute` + `PrintResults`): each action's results joined by a
    /// space, maps and lists as compact JSON.
    pub fn execute(&self, data: &Value) -> Result<String, String> {
        let mut out = String::new();
        for group in self.find_results(data)? {
            let texts: Vec<String> = group.iter().map(|v| print_result(v)).collect();
            out.push_str(&texts.join(" "));
        }
        Ok(out)
    }

    /// `-o jsonpath-as-json`: each action's results as an indented JSON array.
    pub fn execute_as_json(&self, data: &Value) -> Result<String, String> {
        let mut out = String::new();
        for group in self.find_results(data)? {
            let array = Value::Array(group.into_iter().map(Cow::into_owned).collect());
            out.push_str(&go_json_indent(&array));
            out.push('\n');
        }
        Ok(out)
    }
}

/// How one result prints: containers as Go's compact JSON, scalars as `fmt.Print`.
fn print_result(v: &Value) -> String {
    match v {
        Value::Object(_) | Value::Array(_) => go_json(v),
        Value::Null => "null".to_string(),
        other => go_v(other),
    }
}

struct Exec {
    steps: Cell<usize>,
}

fn is_identifier(node: &Node, name: &str) -> bool {
    matches!(node, Node::Identifier(n) if n == name)
}

impl Exec {
    fn count(&self, n: usize) -> Result<(), String> {
        let total = self.steps.get().saturating_add(n);
        self.steps.set(total);
        if total > STEPS_MAX {
            return Err(format!(
                "the template visits more than {STEPS_MAX} values; narrow it down"
            ));
        }
        Ok(())
    }

    /// Runs `roots` on `data`, appending each action's results to `groups`; returns the index
    /// just after the `{end}` that closed this block (or `roots.len()`).
    fn run<'a>(
        &self,
        roots: &[Root],
        data: Item<'a>,
        depth: usize,
        groups: &mut Vec<Vec<Item<'a>>>,
    ) -> Result<usize, String> {
        let mut i = 0;
        while let Some(root) = roots.get(i) {
            i += 1;
            let list = match root {
                Root::Text(text) => {
                    groups.push(vec![Cow::Owned(Value::String(text.clone()))]);
                    continue;
                }
                Root::Action(list) => list,
            };
            let is_range = list.iter().any(|n| is_identifier(n, "range"));
            if !is_range && list.iter().any(|n| is_identifier(n, "end")) {
                // Nodes before `end` still run (and can fail), as upstream's walk does.
                let before: Vec<Node> = list
                    .iter()
                    .take_while(|n| !is_identifier(n, "end"))
                    .cloned()
                    .collect();
                self.eval_list(vec![data.clone()], &before)?;
                if depth == 0 {
                    return Err("not in range, nothing to end".to_string());
                }
                return Ok(i);
            }
            let nodes: Vec<Node> = list
                .iter()
                .filter(|n| !is_identifier(n, "range"))
                .cloned()
                .collect();
            let results = self.eval_list(vec![data.clone()], &nodes)?;
            if !is_range {
                groups.push(results);
                continue;
            }
            let body = &roots[i..];
            let mut consumed = body.len();
            if results.is_empty() {
                // Still walk the body to find its `end`; what it prints is dropped.
                let mut dropped = Vec::new();
                consumed = self.run(body, Cow::Owned(Value::Null), depth + 1, &mut dropped)?;
            }
            for item in results {
                consumed = self.run(body, item, depth + 1, groups)?;
            }
            i += consumed;
        }
        Ok(roots.len())
    }

    fn eval_list<'a>(&self, input: Vec<Item<'a>>, nodes: &[Node]) -> Result<Vec<Item<'a>>, String> {
        let mut current = input;
        for node in nodes {
            current = self.walk(current, node)?;
            self.count(current.len())?;
        }
        Ok(current)
    }

    fn walk<'a>(&self, input: Vec<Item<'a>>, node: &Node) -> Result<Vec<Item<'a>>, String> {
        match node {
            Node::Text(text) => Ok(vec![Cow::Owned(Value::String(text.clone()))]),
            Node::Int(i) => Ok(input.iter().map(|_| Cow::Owned(Value::from(*i))).collect()),
            Node::Float(f) => Ok(input
                .iter()
                .map(|_| Cow::Owned(Number::from_f64(*f).map_or(Value::Null, Value::Number)))
                .collect()),
            Node::Bool(b) => Ok(input.iter().map(|_| Cow::Owned(Value::Bool(*b))).collect()),
            Node::Identifier(name) => match name.as_str() {
                "range" => Ok(input),
                "end" => Ok(Vec::new()),
                other => Err(format!("unrecognized identifier {other}")),
            },
            Node::Field(name) => Ok(input
                .into_iter()
                .filter_map(|v| child(v, |v| v.as_object().and_then(|m| m.get(name))))
                .collect()),
            Node::Wildcard => Ok(input.into_iter().flat_map(children).collect()),
            Node::Recursive => {
                let mut out = Vec::new();
                for v in input {
                    self.recursive(v, &mut out)?;
                }
                Ok(out)
            }
            Node::Array(params) => {
                let mut out = Vec::new();
                for v in input {
                    if v.is_null() {
                        continue;
                    }
                    let len = match v.as_ref() {
                        Value::Array(a) => a.len(),
                        other => return Err(format!("{} is not array or slice", go_type(other))),
                    };
                    let Some((start, end, step)) = slice_bounds(params, len)? else {
                        return Ok(out);
                    };
                    let mut index = start;
                    while index < end {
                        if let Some(e) =
                            child(v.clone(), |a| a.as_array().and_then(|a| a.get(index)))
                        {
                            out.push(e);
                        }
                        index = index.saturating_add(step);
                    }
                }
                Ok(out)
            }
            Node::Union(lists) => {
                let mut out = Vec::new();
                for list in lists {
                    out.extend(self.eval_list(input.clone(), list)?);
                }
                Ok(out)
            }
            Node::Filter {
                left,
                right,
                operator,
            } => {
                let mut out = Vec::new();
                for v in input {
                    let items = match v.as_ref() {
                        Value::Array(a) => a.len(),
                        other => {
                            return Err(format!(
                                "{} is not array or slice and cannot be filtered",
                                go_v(other)
                            ))
                        }
                    };
                    for index in 0..items {
                        let Some(element) =
                            child(v.clone(), |a| a.as_array().and_then(|a| a.get(index)))
                        else {
                            continue;
                        };
                        let lefts = self.eval_list(vec![element.clone()], left);
                        if operator == "exists" {
                            if lefts.is_ok_and(|l| !l.is_empty()) {
                                out.push(element);
                            }
                            continue;
                        }
                        let lefts = lefts?;
                        let l = match lefts.as_slice() {
                            [] => continue,
                            [one] => one.clone(),
                            _ => return Err("can only compare one element at a time".to_string()),
                        };
                        let rights = self.eval_list(vec![element.clone()], right)?;
                        let r = match rights.as_slice() {
                            [] => continue,
                            [one] => one.clone(),
                            _ => return Err("can only compare one element at a time".to_string()),
                        };
                        if compare(&l, &r, operator)? {
                            out.push(element);
                        }
                    }
                }
                Ok(out)
            }
        }
    }

    /// `..`: every value that has children, then its descendants (upstream's order).
    fn recursive<'a>(&self, v: Item<'a>, out: &mut Vec<Item<'a>>) -> Result<(), String> {
        let kids = children(v.clone());
        if kids.is_empty() {
            return Ok(());
        }
        self.count(kids.len())?;
        out.push(v);
        for kid in kids {
            self.recursive(kid, out)?;
        }
        Ok(())
    }
}

/// A child of `v` chosen by `pick`, borrowed when `v` is borrowed.
fn child<'a>(v: Item<'a>, pick: impl Fn(&Value) -> Option<&Value>) -> Option<Item<'a>> {
    match v {
        Cow::Borrowed(b) => pick(b).map(Cow::Borrowed),
        Cow::Owned(o) => pick(&o).cloned().map(Cow::Owned),
    }
}

/// Map values (sorted keys), list elements, or a string's bytes, as `*` sees them.
fn children(v: Item<'_>) -> Vec<Item<'_>> {
    match v {
        Cow::Borrowed(Value::Object(m)) => m.values().map(Cow::Borrowed).collect(),
        Cow::Borrowed(Value::Array(a)) => a.iter().map(Cow::Borrowed).collect(),
        Cow::Owned(Value::Object(m)) => m.into_iter().map(|(_, v)| Cow::Owned(v)).collect(),
        Cow::Owned(Value::Array(a)) => a.into_iter().map(Cow::Owned).collect(),
        other => match other.as_ref() {
            Value::String(s) => s.bytes().map(|b| Cow::Owned(Value::from(b))).collect(),
            _ => Vec::new(),
        },
    }
}

/// `evalArray`'s bounds: `(start, end, step)`, or `None` for an empty selection.
fn slice_bounds(params: &[Param; 3], len: usize) -> Result<Option<(usize, usize, usize)>, String> {
    let length = i64::try_from(len).unwrap_or(i64::MAX);
    let mut start = if params[0].known { params[0].value } else { 0 };
    if start < 0 {
        start = start.saturating_add(length);
    }
    let mut end = if params[1].known {
        params[1].value
    } else {
        length
    };
    if end < 0 || (end == 0 && params[1].derived) {
        end = end.saturating_add(length);
    }
    if end == start {
        return Ok(None);
    }
    if start >= length || start < 0 {
        return Err(format!(
            "array index out of bounds: index {start}, length {length}"
        ));
    }
    if end > length || end < 0 {
        return Err(format!(
            "array index out of bounds: index {}, length {length}",
            end.saturating_sub(1)
        ));
    }
    if start > end {
        return Err(format!(
            "starting index {start} is greater than ending index {end}"
        ));
    }
    let step = if params[2].known {
        if params[2].value <= 0 {
            return Err("step must be > 0".to_string());
        }
        params[2].value
    } else {
        1
    };
    // All three are now within 0..=len.
    let as_usize = |n: i64| usize::try_from(n).unwrap_or(usize::MAX);
    Ok(Some((as_usize(start), as_usize(end), as_usize(step))))
}

/// The Go kinds the template package compares.
#[derive(PartialEq)]
enum Kind {
    Bool,
    Int,
    Float,
    String,
}

fn basic_kind(v: &Value) -> Result<Kind, String> {
    match v {
        Value::Bool(_) => Ok(Kind::Bool),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Kind::Int),
        Value::Number(_) => Ok(Kind::Float),
        Value::String(_) => Ok(Kind::String),
        _ => Err("invalid type for comparison".to_string()),
    }
}

/// The forked `text/template` comparisons (`eq`, `ne`, `lt`, …) on two values.
fn compare(left: &Value, right: &Value, operator: &str) -> Result<bool, String> {
    if !matches!(operator, "<" | ">" | "==" | "!=" | "<=" | ">=") {
        return Err(format!("unrecognized filter operator {operator}"));
    }
    let (kl, kr) = (basic_kind(left)?, basic_kind(right)?);
    if kl != kr {
        return Err("incompatible types for comparison".to_string());
    }
    let ordering = match (left, right) {
        (Value::Bool(a), Value::Bool(b)) => {
            return match operator {
                "==" => Ok(a == b),
                "!=" => Ok(a != b),
                _ => Err("invalid type for comparison".to_string()),
            };
        }
        (Value::String(a), Value::String(b)) => a.cmp(b),
        (Value::Number(a), Value::Number(b)) if kl == Kind::Int => match (a.as_i64(), b.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => a.as_u64().cmp(&b.as_u64()),
        },
        (Value::Number(a), Value::Number(b)) => {
            let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            match x.partial_cmp(&y) {
                Some(o) => o,
                None => return Ok(operator == "!="),
            }
        }
        _ => return Err("incompatible types for comparison".to_string()),
    };
    use std::cmp::Ordering::*;
    Ok(match operator {
        "<" => ordering == Less,
        ">" => ordering == Greater,
        "==" => ordering == Equal,
        "!=" => ordering != Equal,
        "<=" => ordering != Greater,
        _ => ordering != Less,
    })
}

/// kubectl's `RelaxedJSONPathExpression`: `.a.b`, `a.b`, `{a.b}` and `{.a.b}` all mean `{.a.b}`.
pub fn relaxed_expression(expression: &str) -> Result<String, String> {
    if expression.is_empty() {
        return Ok(String::new());
    }
    let inner = match expression
        .strip_prefix('{')
        .and_then(|e| e.strip_suffix('}'))
    {
        Some(inner) => inner,
        None => expression,
    };
    // `\.?` gives way when the dot is all there is: `{.}` means the field `.`.
    let inner = inner
        .strip_prefix('.')
        .filter(|i| !i.is_empty())
        .unwrap_or(inner);
    if inner.is_empty() || inner.contains(['{', '}']) {
        return Err("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'".to_string());
    }
    Ok(format!("{{.{inner}}}"))
}

fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "map[string]interface {}",
        Value::Array(_) => "[]interface {}",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::Null => "<nil>",
    }
}

fn sorted_entries(m: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = m.iter().collect();
    entries.stable_sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// Go's `%v` / `fmt.Sprint` of a decoded JSON value: `map[app:web]`, `[a b]`, `<nil>`.
pub fn go_v(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_number(n),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(go_v).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => format!(
            "map[{}]",
            sorted_entries(m)
                .into_iter()
                .map(|(k, v)| format!("{k}:{}", go_v(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

/// Go's `%#v` of a decoded JSON value, as kubectl's jsonpath error dumps the object.
pub fn go_sharp_v(v: &Value) -> String {
    fn inner(v: &Value) -> String {
        match v {
            Value::Null => "interface {}(nil)".to_string(),
            Value::String(s) => go_quote(s),
            other => go_sharp_v(other),
        }
    }
    match v {
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_number(n),
        Value::String(s) => go_quote(s),
        Value::Array(a) => format!(
            "[]interface {{}}{{{}}}",
            a.iter().map(inner).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "map[string]interface {{}}{{{}}}",
            sorted_entries(m)
                .into_iter()
                .map(|(k, v)| format!("{}:{}", go_quote(k), inner(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn go_number(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    go_float(n.as_f64().unwrap_or(0.0))
}

/// Go's `%v` for a float64 (`%g`, shortest digits): `%e` style for exponents below -4 or from
/// 6 on (`1e+06`), as `strconv` decides for the shortest precision.
pub fn go_float(f: f64) -> String {
    if f == 0.0 || !f.is_finite() {
        return f.to_string();
    }
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exponent.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        f.to_string()
    }
}

/// Go's `strconv.Quote`: `"a\tb"` with Go's escapes.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn go_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // encoding/json escapes HTML-significant characters and line separators.
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn go_json_number(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let sci = format!("{f:e}");
        let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
        let exp: i32 = exponent.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{}", exp.abs())
    } else {
        f.to_string()
    }
}

fn write_json(v: &Value, indent: Option<usize>, out: &mut String) {
    let newline = |out: &mut String, level: usize| {
        if indent.is_some() {
            out.push('\n');
            out.push_str(&"    ".repeat(level));
        }
    };
    let level = indent.unwrap_or(0);
    let deeper = indent.map(|l| l + 1);
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(&b.to_string()),
        Value::Number(n) => out.push_str(&go_json_number(n)),
        Value::String(s) => go_json_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                write_json(e, deeper, out);
            }
            if !a.is_empty() {
                newline(out, level);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, e)) in sorted_entries(m).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                go_json_string(k, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(e, deeper, out);
            }
            if !m.is_empty() {
                newline(out, level);
            }
            out.push('}');
        }
    }
}

/// Go's `json.Marshal`: compact, keys sorted, `<>&` escaped.
pub fn go_json(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, None, &mut out);
    out
}

/// Go's `json.MarshalIndent(v, "", "    ")`.
pub fn go_json_indent(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, Some(0), &mut out);
    out
}

/// `sortorder.NaturalLess`: digit runs compare as numbers (`pod-2` < `pod-10`), digits sort
/// before other characters, other bytes compare as bytes.
pub fn natural_less(a: &str, b: &str) -> bool {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        let (cx, cy) = (x[i], y[j]);
        let (dx, dy) = (cx.is_ascii_digit(), cy.is_ascii_digit());
        if dx != dy {
            return dx;
        }
        if !dx {
            if cx != cy {
                return cx < cy;
            }
            i += 1;
            j += 1;
            continue;
        }
        while i < x.len() && x[i] == b'0' {
            i += 1;
        }
        while j < y.len() && y[j] == b'0' {
            j += 1;
        }
        let (nz_x, nz_y) = (i, j);
        while i < x.len() && x[i].is_ascii_digit() {
            i += 1;
        }
        while j < y.len() && y[j].is_ascii_digit() {
            j += 1;
        }
        let (len_x, len_y) = (i - nz_x, j - nz_y);
        if len_x != len_y {
            return len_x < len_y;
        }
        let (nx, ny) = (&x[nz_x..i], &y[nz_y..j]);
        if nx != ny {
            return nx < ny;
        }
        if nz_x != nz_y {
            return nz_x < nz_y;
        }
    }
    x.len() < y.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pods() -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                {"metadata": {"name": "web-1", "labels": {"app": "web"}},
                 "spec": {"nodeName": "node1", "containers": [{"name": "nginx", "image": "nginx"}]},
                 "status": {"podIP": "10.244.1.5", "conditions": [
                     {"type": "Initialized", "status": "True"},
                     {"type": "Ready", "status": "True"}]}},
                {"metadata": {"name": "web-2", "labels": {"app": "web"}},
                 "spec": {"nodeName": "node2", "replicas": 3, "containers": [
                     {"name": "nginx", "image": "nginx:1.27"}, {"name": "log", "image": "busybox"}]},
                 "status": {"conditions": [{"type": "Ready", "status": "False"}]}}
            ]
        })
    }

    fn run(template: &str) -> Result<String, String> {
        JsonPath::parse(template)?.execute(&pods())
    }

    #[test]
    fn templates_print_as_kubectl_prints_them() {
        let table = [
            ("{.items[*].metadata.name}", "web-1 web-2"),
            ("{.items[*].spec.nodeName}", "node1 node2"),
            (
                "{range .items[*]}{.metadata.name}{\"\\t\"}{end}",
                "web-1\tweb-2\t",
            ),
            (
                "{range .items[*]}{.metadata.name}{\"\\n\"}{end}",
                "web-1\nweb-2\n",
            ),
            (
                "{.items[*].status.conditions[?(@.type==\"Ready\")].status}",
                "True False",
            ),
            ("{.items[0].status.podIP}", "10.244.1.5"),
            ("{.items[1].status.podIP}", ""),
            ("{.items[-1].metadata.name}", "web-2"),
            ("{.items[0:1].metadata.name}", "web-1"),
            ("{.items[0,1].metadata.name}", "web-1 web-2"),
            ("{.items[0].metadata.labels}", "{\"app\":\"web\"}"),
            ("{.items[0]['metadata']['name']}", "web-1"),
            ("{$.kind}", "List"),
            (
                "{.kind} has {.items[1].spec.replicas} replicas",
                "List has 3 replicas",
            ),
            ("plain text", "plain text"),
            ("{..image}", "nginx nginx:1.27 busybox"),
            ("{.items[?(@.spec.replicas)].metadata.name}", "web-2"),
            ("{.items[?(@.spec.replicas>=3)].metadata.name}", "web-2"),
            ("{.items[*].spec.containers[*].name}", "nginx nginx log"),
            (
                "{range .items[*]}[{range .spec.containers[*]}{.name},{end}]{end}",
                "[nginx,][nginx,log,]",
            ),
            ("{.items[0].metadata.name.*}", "119 101 98 45 49"),
            ("{true}{1.5}{-3}", "true1.5-3"),
            ("{.items[0].spec.nope}", ""),
            ("{range .missing[*]}x{end}after", "after"),
        ];
        for (template, want) in table {
            assert_eq!(run(template).as_deref(), Ok(want), "{template}");
        }
    }

    #[test]
    fn a_bad_template_is_refused_with_the_parsers_words() {
        let table = [
            ("{.items[}", "unterminated array"),
            ("{.metadata.name", "unclosed action"),
            ("{!}", "unrecognized character in action: U+0021 '!'"),
            ("{.a[?(@.x==\"y\"]}", "unterminated filter"),
            ("{.a[a]}", "invalid array index a"),
            ("{.a[?(@.x)x]}", "unclosed array expect ]"),
            ("{\"abc}", "unterminated quoted string"),
            ("{.a[1:x]}", "invalid array index 1:x"),
            ("{....a}", "invalid multiple recursive descent"),
            ("{.a[-]}", "array index - is not a number"),
            ("{\"\\q\"}", "unquote string \"\\q\" error invalid syntax"),
            ("{+}", "cannot parse number +"),
        ];
        for (template, want) in table {
            assert_eq!(
                JsonPath::parse(template),
                Err(want.to_string()),
                "{template}"
            );
        }
    }

    #[test]
    fn a_template_that_cannot_run_fails_with_the_executors_words() {
        let table = [
            ("{.metadata.name}{end}", "not in range, nothing to end"),
            ("{foo}", "unrecognized identifier foo"),
            (
                "{.items[5]}",
                "array index out of bounds: index 5, length 2",
            ),
            (
                "{.items[0:5]}",
                "array index out of bounds: index 4, length 2",
            ),
            (
                "{.items[1:0]}",
                "starting index 1 is greater than ending index 0",
            ),
            ("{.items[0:1:0]}", "step must be > 0"),
            ("{.kind[0]}", "string is not array or slice"),
            ("{[0]}", "map[string]interface {} is not array or slice"),
            (
                "{.items[?(@.metadata.name==3)]}",
                "incompatible types for comparison",
            ),
            (
                "{.items[?(@.spec.containers[*].name==\"x\")]}",
                "can only compare one element at a time",
            ),
            (
                "{.kind[?(@.x)]}",
                "List is not array or slice and cannot be filtered",
            ),
        ];
        for (template, want) in table {
            assert_eq!(run(template), Err(want.to_string()), "{template}");
        }
    }

    #[test]
    fn jsonpath_as_json_prints_each_actions_results_as_an_indented_array() {
        let path = JsonPath::parse("{.items[*].metadata.name}").expect("parses");
        assert_eq!(
            path.execute_as_json(&pods()),
            Ok("[\n    \"web-1\",\n    \"web-2\"\n]\n".to_string())
        );
    }

    #[test]
    fn go_formatting_matches_fmt_and_encoding_json() {
        let v = json!({"b": [1, "x", null], "a": {"c": 0.5}, "h": "<&>"});
        assert_eq!(go_v(&v), "map[a:map[c:0.5] b:[1 x <nil>] h:<&>]");
        assert_eq!(
            go_sharp_v(&v),
            "map[string]interface {}{\"a\":map[string]interface {}{\"c\":0.5}, \"b\":[]interface {}{1, \"x\", interface {}(nil)}, \"h\":\"<&>\"}"
        );
        assert_eq!(
            go_json(&v),
            "{\"a\":{\"c\":0.5},\"b\":[1,\"x\",null],\"h\":\"\\u003c\\u0026\\u003e\"}"
        );
        assert_eq!(go_quote("{\"\\t\"}"), "\"{\\\"\\\\t\\\"}\"");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(go_float(1e6), "1e+06");
        assert_eq!(go_float(123456.0), "123456");
    }

    #[test]
    fn relaxed_expressions_all_become_one_braced_path() {
        for input in [
            ".metadata.name",
            "metadata.name",
            "{metadata.name}",
            "{.metadata.name}",
        ] {
            assert_eq!(
                relaxed_expression(input).as_deref(),
                Ok("{.metadata.name}"),
                "{input}"
            );
        }
        assert!(relaxed_expression("{{.x}}").is_err());
    }

    #[test]
    fn natural_order_puts_pod_2_before_pod_10() {
        let table = [
            ("pod-2", "pod-10", true),
            ("pod-10", "pod-2", false),
            ("a", "b", true),
            ("a", "a", false),
            ("a1", "a01", true),
            ("1", "a", true),
            ("abc", "ab", false),
        ];
        for (a, b, want) in table {
            assert_eq!(natural_less(a, b), want, "{a} < {b}");
        }
    }

    #[test]
    fn nesting_and_work_are_bounded() {
        let deep = "{range .items[*]}".repeat(RANGE_DEPTH_MAX + 1);
        assert!(JsonPath::parse(&deep).is_err());
        // A chain 60 maps deep: six nested `..` ranges would visit C(60, 6) = 5e7 values.
        let mut chain = json!("leaf");
        for _ in 0..60 {
            chain = json!({ "a": chain });
        }
        let wide = format!("{}{{..}}", "{range ..}".repeat(6));
        let result = JsonPath::parse(&wide).and_then(|p| p.execute(&chain));
        assert!(result.is_err(), "a runaway template is stopped");
    }
}
