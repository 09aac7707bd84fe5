//! YAML and JSON output for `-o yaml` / `-o json`, byte for byte as kubectl prints them.
//!
//! Mirrors: kubectl's YAML printer, which marshals the object to JSON, reads it back as a map and
//! emits it with sigs.k8s.io/yaml (go-yaml v2): keys sorted, two-space indent, sequences not
//! indented under their key, strings quoted only when a plain scalar would be read back as
//! something else (`"true"`, `"123"`, `""`, timestamps get double quotes; indicators such as
//! `*` or `- x` get single quotes), multi-line strings as literal blocks (`|`, `|-`), and long plain
//! strings folded past column 80. `-o json` is in `json.rs`.
//! Simplified: double-quoted scalars are never folded; floats use Rust's shortest form.

use serde_json::Value;

/// go-yaml's `best_width`: plain and single-quoted scalars break at a space past this column.
const BEST_WIDTH: usize = 80;

/// The whole document, ending with a newline, as `kubectl get -o yaml` prints it.
pub fn to_yaml(value: &Value) -> String {
    let mut w = Writer::default();
    match value {
        Value::Object(map) if !map.is_empty() => w.map(map, 0, false),
        Value::Array(items) if !items.is_empty() => w.list(items, 0, false),
        other => {
            w.scalar_value(other, 0);
            w.newline();
        }
    }
    w.out
}

#[derive(Default)]
struct Writer {
    out: String,
    /// Characters written on the current line.
    column: usize,
}

impl Writer {
    fn push(&mut self, s: &str) {
        for c in s.chars() {
            if c == '\n' {
                self.column = 0;
            } else {
                self.column += 1;
            }
        }
        self.out.push_str(s);
    }

    fn newline(&mut self) {
        self.push("\n");
    }

    fn indent(&mut self, indent: usize) {
        self.push(&" ".repeat(indent));
    }

    /// A block mapping whose keys sit at `indent`. `inline_first`: the first key continues a
    /// line that already holds `- ` (a mapping inside a sequence).
    fn map(&mut self, map: &serde_json::Map<String, Value>, indent: usize, inline_first: bool) {
        for (i, (key, value)) in map.iter().enumerate() {
            if i > 0 || !inline_first {
                self.indent(indent);
            }
            let key_text = scalar_text(key, true);
            self.push(&key_text);
            self.push(":");
            match value {
                Value::Object(inner) if !inner.is_empty() => {
                    self.newline();
                    self.map(inner, indent + 2, false);
                }
                // go-yaml writes a sequence inside a mapping at the key's own indent.
                Value::Array(items) if !items.is_empty() => {
                    self.newline();
                    self.list(items, indent, false);
                }
                other => {
                    self.push(" ");
                    self.scalar_value(other, indent + 2);
                    self.newline();
                }
            }
        }
    }

    fn list(&mut self, items: &[Value], indent: usize, inline_first: bool) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 || !inline_first {
                self.indent(indent);
            }
            self.push("- ");
            match item {
                Value::Object(inner) if !inner.is_empty() => self.map(inner, indent + 2, true),
                Value::Array(inner) if !inner.is_empty() => self.list(inner, indent + 2, true),
                other => {
                    self.scalar_value(other, indent + 2);
                    self.newline();
                }
            }
        }
    }

    /// A scalar (or empty collection) after `key: ` or `- `; `indent` is where continuation
    /// lines of a folded or literal string start.
    fn scalar_value(&mut self, value: &Value, indent: usize) {
        match value {
            Value::Null => self.push("null"),
            Value::Bool(b) => self.push(if *b { "true" } else { "false" }),
            Value::Number(n) => self.push(&n.to_string()),
            Value::Object(_) => self.push("{}"),
            Value::Array(_) => self.push("[]"),
            Value::String(s) => self.string(s, indent),
        }
    }

    fn string(&mut self, s: &str, indent: usize) {
        match style_of(s, false) {
            Style::Plain => self.folded(s, indent, false),
            Style::SingleQuoted => {
                self.push("'");
                self.folded(&s.replace('\'', "''"), indent, true);
                self.push("'");
            }
            Style::DoubleQuoted => self.push(&double_quoted(s)),
            Style::Literal => self.literal(s, indent),
        }
    }

    /// Writes `s`, breaking at a single space once past column 80, as go-yaml's emitter does.
    fn folded(&mut self, s: &str, indent: usize, quoted: bool) {
        let chars: Vec<char> = s.chars().collect();
        let mut previous_space = false;
        for (i, &c) in chars.iter().enumerate() {
            let next_is_space = chars.get(i + 1) == Some(&' ');
            let inner = !quoted || (i > 0 && i + 1 < chars.len());
            if c == ' ' && !previous_space && !next_is_space && inner && self.column > BEST_WIDTH {
                self.newline();
                self.indent(indent);
            } else {
                let mut buf = [0u8; 4];
                self.push(c.encode_utf8(&mut buf));
            }
            previous_space = c == ' ';
        }
    }

    fn literal(&mut self, s: &str, indent: usize) {
        self.push("|");
        if s.starts_with(' ') || s.starts_with('\n') {
            // An indentation indicator, or the reader would take the spaces as indentation.
            self.push("2");
        }
        let trailing_newlines = s.len() - s.trim_end_matches('\n').len();
        match trailing_newlines {
            0 => self.push("-"),
            1 => {}
            _ => self.push("+"),
        }
        let body = s.strip_suffix('\n').unwrap_or(s);
        for line in body.split('\n') {
            self.newline();
            if !line.is_empty() {
                self.indent(indent);
                self.push(line);
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// A key as text: keys are strings in this model.
fn scalar_text(s: &str, is_key: bool) -> String {
    match style_of(s, is_key) {
        Style::Plain => s.to_string(),
        Style::SingleQuoted => format!("'{}'", s.replace('\'', "''")),
        Style::DoubleQuoted | Style::Literal => double_quoted(s),
    }
}

fn style_of(s: &str, is_key: bool) -> Style {
    if resolves_to_non_string(s) {
        return Style::DoubleQuoted;
    }
    let special = s
        .chars()
        .any(|c| !(c == '\n' || (c >= ' ' && c != '\u{7f}')) || c == '\u{feff}');
    let space_break = s.contains(" \n");
    if special || space_break {
        return Style::DoubleQuoted;
    }
    if s.contains('\n') {
        let trailing_space = s.ends_with(' ');
        let break_space = s.contains("\n ");
        if is_key || trailing_space || break_space && s.starts_with(' ') {
            return Style::DoubleQuoted;
        }
        return Style::Literal;
    }
    if plain_allowed(s) {
        Style::Plain
    } else {
        Style::SingleQuoted
    }
}

/// go-yaml's scalar analysis for block context: indicators, `: `, ` #`, edge spaces.
fn plain_allowed(s: &str) -> bool {
    if s.is_empty() || s.starts_with(' ') || s.ends_with(' ') {
        return false;
    }
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    let chars: Vec<char> = s.chars().collect();
    let blank_at = |i: usize| chars.get(i).is_none_or(|c| *c == ' ');
    for (i, &c) in chars.iter().enumerate() {
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => return false,
                '?' | ':' | '-' if blank_at(1) => return false,
                _ => {}
            }
        } else {
            match c {
                ':' if blank_at(i + 1) => return false,
                '#' if chars.get(i - 1) == Some(&' ') => return false,
                _ => {}
            }
        }
    }
    true
}

/// Would a plain scalar be read back as null, a bool, a number or a timestamp (go-yaml v2's
/// `resolve`)? Then it must be double-quoted to stay a string.
fn resolves_to_non_string(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
        ".NaN", ".NAN",
    ];
    if WORDS.contains(&s) {
        return true;
    }
    is_int(s) || is_float(s) || is_base60_float(s) || is_timestamp(s)
}

fn is_int(s: &str) -> bool {
    let plain: String = s.chars().filter(|c| *c != '_').collect();
    let body = plain
        .strip_prefix('-')
        .or_else(|| plain.strip_prefix('+'))
        .unwrap_or(&plain);
    let radix_digits =
        |digits: &str, radix: u32| !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
    if let Some(hex) = body.strip_prefix("0x") {
        return radix_digits(hex, 16);
    }
    if let Some(oct) = body.strip_prefix("0o") {
        return radix_digits(oct, 8);
    }
    if let Some(bin) = body.strip_prefix("0b") {
        return radix_digits(bin, 2);
    }
    radix_digits(body, 10)
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_float(s: &str) -> bool {
    let body = s
        .strip_prefix('-')
        .or_else(|| s.strip_prefix('+'))
        .unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && digits(frac),
        Some((int, frac)) => !int.is_empty() && digits(int) && digits(frac),
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = match exponent {
        None => true,
        Some(e) => {
            let e = e
                .strip_prefix('-')
                .or_else(|| e.strip_prefix('+'))
                .unwrap_or(e);
            !e.is_empty() && digits(e)
        }
    };
    mantissa_ok && exponent_ok
}

/// YAML 1.1 sexagesimal numbers such as `1:20`.
fn is_base60_float(s: &str) -> bool {
    let body = s
        .strip_prefix('-')
        .or_else(|| s.strip_prefix('+'))
        .unwrap_or(s);
    let (body, _frac) = match body.split_once('.') {
        Some((b, f)) if f.chars().all(|c| c.is_ascii_digit() || c == '_') => (b, Some(f)),
        Some(_) => return false,
        None => (body, None),
    };
    let mut parts = body.split(':');
    let first = parts.next().unwrap_or("");
    let first_ok = first.chars().next().is_some_and(|c| c.is_ascii_digit())
        && first.chars().all(|c| c.is_ascii_digit() || c == '_');
    let mut rest = 0;
    for part in parts {
        rest += 1;
        let ok = matches!(part.len(), 1 | 2)
            && part.chars().all(|c| c.is_ascii_digit())
            && (part.len() == 1 || part.as_bytes().first().is_some_and(|d| *d <= b'5'));
        if !ok {
            return false;
        }
    }
    first_ok && rest > 0
}

/// `2006-1-2`, optionally followed by `T15:4:5` / ` 15:4:5` and more: go-yaml reads these as
/// timestamps, so kubectl quotes `creationTimestamp: "2025-06-01T00:00:00Z"`.
fn is_timestamp(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    let field = |min: usize, max: usize, i: &mut usize| {
        let start = *i;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() && *i - start < max {
            *i += 1;
        }
        *i - start >= min
    };
    if !field(4, 4, &mut i) || bytes.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    if !field(1, 2, &mut i) || bytes.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    if !field(1, 2, &mut i) {
        return false;
    }
    if i == bytes.len() {
        return true;
    }
    if !matches!(bytes.get(i), Some(b'T' | b't' | b' ')) {
        return false;
    }
    i += 1;
    if !field(1, 2, &mut i) || bytes.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    if !field(1, 2, &mut i) || bytes.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    if !field(1, 2, &mut i) {
        return false;
    }
    // Fractions and a zone (`Z`, `+09:00`) may follow.
    s[i..]
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'Z' | '+' | '-' | ':'))
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{feff}' => out.push_str("\\uFEFF"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_that_yaml_would_misread_are_double_quoted() {
        for (s, expected) in [
            ("true", "\"true\""),
            ("no", "\"no\""),
            ("123", "\"123\""),
            ("0x1F", "\"0x1F\""),
            ("1.5", "\"1.5\""),
            ("1e3", "\"1e3\""),
            ("", "\"\""),
            ("null", "\"null\""),
            ("~", "\"~\""),
            ("1:20", "\"1:20\""),
            ("2025-06-01T00:00:00Z", "\"2025-06-01T00:00:00Z\""),
            ("2025-06-01", "\"2025-06-01\""),
            ("nginx", "nginx"),
            ("nginx:1.25", "nginx:1.25"),
            ("10.244.1.5", "10.244.1.5"),
            ("100m", "100m"),
            ("128Mi", "128Mi"),
            ("v1.32.0", "v1.32.0"),
            ("*", "'*'"),
            ("- x", "'- x'"),
            ("a: b", "'a: b'"),
            ("a #b", "'a #b'"),
            (" lead", "' lead'"),
            ("it's", "it's"),
            ("'q'", "'''q'''"),
            ("tab\there", "\"tab\\there\""),
            ("{}", "'{}'"),
            (
                "node-role.kubernetes.io/control-plane",
                "node-role.kubernetes.io/control-plane",
            ),
        ] {
            assert_eq!(scalar_text(s, false), expected, "{s:?}");
        }
    }

    #[test]
    fn a_deployment_prints_as_kubectl_create_dry_run_prints_it() {
        let deployment = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"creationTimestamp": null, "labels": {"app": "web"}, "name": "web"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "strategy": {},
                "template": {"metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
                    "spec": {"containers": [{"image": "nginx", "name": "nginx", "resources": {}}]}}},
            "status": {}
        });
        let expected =
            include_str!("../../../tests/fixtures/shell/create_deployment_web_replicas_3.yaml");
        assert_eq!(to_yaml(&deployment), expected);
    }

    #[test]
    fn sequences_sit_at_their_keys_indent_and_nest_inline() {
        let v = json!({"a": [1, [2, 3], {"b": [], "c": {}}], "d": []});
        assert_eq!(
            to_yaml(&v),
            "a:\n- 1\n- - 2\n  - 3\n- b: []\n  c: {}\nd: []\n"
        );
    }

    #[test]
    fn multi_line_strings_are_literal_blocks_with_chomping() {
        let v = json!({"m": {"a": "x\ny\n", "b": "x\ny", "c": "x\n\n"}});
        assert_eq!(
            to_yaml(&v),
            "m:\n  a: |\n    x\n    y\n  b: |-\n    x\n    y\n  c: |+\n    x\n\n"
        );
    }

    #[test]
    fn long_plain_strings_fold_past_column_eighty() {
        let words = "word ".repeat(30);
        let message = words.trim_end();
        let text = to_yaml(&json!({ "message": message }));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 1, "{text}");
        assert!(lines[1].starts_with("  word"), "{text}");
        assert!(lines[0].chars().count() <= 85, "{text}");
        // Folding never loses a word.
        let rejoined = text
            .trim_start_matches("message: ")
            .split_whitespace()
            .count();
        assert_eq!(rejoined, 30);
    }
}

#[cfg(test)]
mod golden {
    use super::*;

    /// Real `kubectl create configmap tricky --from-literal=... --dry-run=client` output, as JSON
    /// and as YAML: every quoting, block and folding rule must reproduce the YAML from the JSON.
    #[test]
    fn tricky_strings_print_exactly_as_real_kubectl_prints_them() {
        let json_text = include_str!("../../../tests/fixtures/shell/tricky_configmap.json");
        let expected = include_str!("../../../tests/fixtures/shell/tricky_configmap.yaml");
        let value: Value = serde_json::from_str(json_text).unwrap_or(Value::Null);
        let actual = to_yaml(&value);
        for (i, (a, e)) in actual.lines().zip(expected.lines()).enumerate() {
            assert_eq!(a, e, "line {}", i + 1);
        }
        assert_eq!(actual, expected);
    }
}
