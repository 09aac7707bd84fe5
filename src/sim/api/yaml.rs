//! YAML text → one `serde_json::Value` per document, from the events of `saphyr-parser`.
//!
//! Mirrors: `sigs.k8s.io/yaml` `YAMLToJSON` as kubectl uses it: go-yaml decodes each document
//! (strictly: a repeated key is an error), map keys that are numbers or booleans become their
//! text, and the result is JSON. go-yaml's limits on alias expansion (`document contains excessive
//! aliasing`) and the merge key `<<` are kept.
//! Simplified: scalars resolve with the YAML 1.2 core schema (`yes`, `on`, `012` as octal and
//! `1_000` are YAML 1.1 forms that go-yaml v2 also reads; here they stay strings or decimals);
//! `.inf` and `.nan` are refused, since JSON has no such numbers; a syntax error's wording is the
//! parser's (the line and column are real); a map or list used as a key is refused outright.
//!
//! Why events and not a serde deserializer: the only target is `serde_json::Value`, and a small
//! builder over a push parser is a fraction of the wasm code of a generic serde layer.

use std::collections::{BTreeMap, BTreeSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Number, Value};

use super::decode::{DecodeError, DecodeErrorKind, MAX_DOCUMENTS, MAX_NESTING_DEPTH};

/// How many nodes aliases may add to one input, in total. A billion-laughs document (an anchor
/// holding ten aliases of an anchor holding ten aliases ...) grows tenfold per level; it is
/// refused here long before it can take the tab's memory. Real manifests alias a few hundred
/// nodes at most.
pub const MAX_ALIAS_NODES: usize = 100_000;

/// Parses every document of a YAML stream. Empty documents (nothing, or only `null`) are skipped.
pub fn documents(text: &str) -> Result<Vec<Value>, DecodeError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        match next {
            Ok((event, span)) => builder.on_event(event, span)?,
            Err(e) => {
                let mark = e.marker();
                return Err(at(e.info().to_string(), mark.line(), mark.col()));
            }
        }
    }
    Ok(builder.docs)
}

/// A syntax (or conversion) error at a 1-based line and 0-based column, the parser's marker.
fn at(message: String, line: usize, col: usize) -> DecodeError {
    DecodeError {
        kind: DecodeErrorKind::Yaml,
        message,
        line: Some(line as u64),
        column: Some(col as u64 + 1),
    }
}

fn at_span(message: String, span: Span) -> DecodeError {
    at(message, span.start.line(), span.start.col())
}

/// A value with what its size costs: nodes (for the alias budget) and nesting depth.
#[derive(Clone)]
struct Built {
    value: Value,
    nodes: usize,
    depth: usize,
}

/// A map key waiting for its value.
struct Key {
    name: String,
    /// A plain `<<`: the value is merged into the map, as go-yaml does.
    merge: bool,
    line: usize,
}

enum Collection {
    Seq(Vec<Value>),
    Map {
        map: Map<String, Value>,
        key: Option<Key>,
        /// Keys that came from a merge: an explicit key may override them without being a
        /// duplicate.
        merged: BTreeSet<String>,
    },
}

struct Frame {
    collection: Collection,
    anchor_id: usize,
    nodes: usize,
    depth: usize,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: BTreeMap<usize, Built>,
    root: Option<Value>,
    docs: Vec<Value>,
    alias_nodes: usize,
}

impl Builder {
    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<(), DecodeError> {
        match event {
            Event::DocumentStart(_) => {
                self.root = None;
                self.anchors.clear();
            }
            Event::DocumentEnd => {
                // An empty document, or one that is only `null`, is no object (kubectl skips it).
                if let Some(doc) = self.root.take().filter(|d| !d.is_null()) {
                    if self.docs.len() >= MAX_DOCUMENTS {
                        return Err(DecodeError {
                            kind: DecodeErrorKind::TooLarge,
                            message: format!(
                                "too many objects: at most {MAX_DOCUMENTS} in one input"
                            ),
                            line: Some(span.start.line() as u64),
                            column: None,
                        });
                    }
                    self.docs.push(doc);
                }
            }
            Event::Scalar(text, style, anchor_id, tag) => {
                let in_key = self.expects_key();
                let merge = in_key && style == ScalarStyle::Plain && tag.is_none() && text == "<<";
                let value = scalar(&text, style, tag.as_deref(), span)?;
                let built = Built {
                    value,
                    nodes: 1,
                    depth: 0,
                };
                if anchor_id > 0 {
                    self.anchors.insert(anchor_id, built.clone());
                }
                self.attach(built, merge, span)?;
            }
            Event::Alias(anchor_id) => {
                let Some(built) = self.anchors.get(&anchor_id).cloned() else {
                    return Err(at_span("unknown anchor".to_string(), span));
                };
                self.alias_nodes = self.alias_nodes.saturating_add(built.nodes);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(at_span(
                        "document contains excessive aliasing".to_string(),
                        span,
                    ));
                }
                self.check_depth(self.stack.len() + built.depth, span)?;
                self.attach(built, false, span)?;
            }
            Event::SequenceStart(anchor_id, _) => {
                self.open(Collection::Seq(Vec::new()), anchor_id, span)?
            }
            Event::MappingStart(anchor_id, _) => self.open(
                Collection::Map {
                    map: Map::new(),
                    key: None,
                    merged: BTreeSet::new(),
                },
                anchor_id,
                span,
            )?,
            Event::SequenceEnd | Event::MappingEnd => {
                // The parser pairs starts and ends; an end without a start is a parser bug.
                let Some(frame) = self.stack.pop() else {
                    return Err(at_span("unexpected end of collection".to_string(), span));
                };
                let value = match frame.collection {
                    Collection::Seq(items) => Value::Array(items),
                    Collection::Map { map, .. } => Value::Object(map),
                };
                let built = Built {
                    value,
                    nodes: frame.nodes,
                    depth: frame.depth,
                };
                if frame.anchor_id > 0 {
                    self.anchors.insert(frame.anchor_id, built.clone());
                }
                self.attach(built, false, span)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn expects_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                collection: Collection::Map { key: None, .. },
                ..
            })
        )
    }

    fn check_depth(&self, depth: usize, span: Span) -> Result<(), DecodeError> {
        if depth <= MAX_NESTING_DEPTH {
            return Ok(());
        }
        Err(DecodeError {
            kind: DecodeErrorKind::TooLarge,
            message: format!(
                "error converting YAML to JSON: yaml: line {}, column {}: exceeded max depth of {MAX_NESTING_DEPTH}",
                span.start.line(),
                span.start.col() + 1
            ),
            line: Some(span.start.line() as u64),
            column: Some(span.start.col() as u64 + 1),
        })
    }

    fn open(
        &mut self,
        collection: Collection,
        anchor_id: usize,
        span: Span,
    ) -> Result<(), DecodeError> {
        if self.expects_key() {
            return Err(at_span(
                "invalid map key: a map or list cannot be a key".to_string(),
                span,
            ));
        }
        // Refusing here, before the children arrive, keeps every later walk of the Value shallow.
        self.check_depth(self.stack.len() + 1, span)?;
        self.stack.push(Frame {
            collection,
            anchor_id,
            nodes: 1,
            depth: 1,
        });
        Ok(())
    }

    /// Puts a finished node where it belongs: the document root, the next list item, a map key,
    /// or the value of the pending key.
    fn attach(&mut self, built: Built, merge: bool, span: Span) -> Result<(), DecodeError> {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(built.value);
            return Ok(());
        };
        frame.nodes = frame.nodes.saturating_add(built.nodes);
        frame.depth = frame.depth.max(built.depth + 1);
        match &mut frame.collection {
            Collection::Seq(items) => items.push(built.value),
            Collection::Map {
                key: key @ None, ..
            } => {
                *key = Some(Key {
                    name: key_string(built.value, span)?,
                    merge,
                    line: span.start.line(),
                });
            }
            Collection::Map {
                map,
                key: key @ Some(_),
                merged,
            } => {
                let Some(key) = key.take() else {
                    return Ok(());
                };
                if key.merge {
                    return merge_into(map, merged, built.value, span);
                }
                if map.contains_key(&key.name) && !merged.remove(&key.name) {
                    // go-yaml's strict wording, which is what kubectl users search for.
                    return Err(DecodeError {
                        kind: DecodeErrorKind::Yaml,
                        message: format!(
                            "unmarshal errors:\n  line {}: key {:?} already set in map",
                            key.line, key.name
                        ),
                        line: None,
                        column: None,
                    });
                }
                map.insert(key.name, built.value);
            }
        }
        Ok(())
    }
}

/// `<<: *base` or `<<: [*a, *b]`: copies keys the map does not have yet; earlier sources win.
fn merge_into(
    map: &mut Map<String, Value>,
    merged: &mut BTreeSet<String>,
    value: Value,
    span: Span,
) -> Result<(), DecodeError> {
    let sources = match value {
        Value::Object(m) => vec![m],
        Value::Array(items) => {
            let mut maps = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::Object(m) => maps.push(m),
                    _ => return Err(merge_error(span)),
                }
            }
            maps
        }
        _ => return Err(merge_error(span)),
    };
    for source in sources {
        for (k, v) in source {
            if !map.contains_key(&k) {
                merged.insert(k.clone());
                map.insert(k, v);
            }
        }
    }
    Ok(())
}

fn merge_error(span: Span) -> DecodeError {
    at_span(
        "map merge requires map or sequence of maps as the value".to_string(),
        span,
    )
}

/// A key as `sigs.k8s.io/yaml` writes it into JSON: strings as they are, numbers and booleans as
/// their text; null has no JSON key.
fn key_string(value: Value, span: Span) -> Result<String, DecodeError> {
    match value {
        Value::String(s) => Ok(s),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            // Go formats float keys with 32-bit precision (`strconv.FormatFloat(f, 'g', -1, 32)`).
            (_, _, Some(f)) => (f as f32).to_string(),
            _ => n.to_string(),
        }),
        Value::Null => Err(at_span(
            "unsupported map key of type: <nil>, key: <nil>".to_string(),
            span,
        )),
        Value::Array(_) | Value::Object(_) => Err(at_span(
            "invalid map key: a map or list cannot be a key".to_string(),
            span,
        )),
    }
}

/// Resolves one scalar. Quoted and block scalars are strings; plain ones follow the core schema;
/// a core tag (`!!str`, `!!int`, ...) decides instead of the text; any other tag is ignored, as
/// go-yaml ignores tags it does not know.
fn scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    span: Span,
) -> Result<Value, DecodeError> {
    let core = tag
        .filter(|t| t.is_yaml_core_schema())
        .map(|t| t.suffix.as_str());
    let plain = style == ScalarStyle::Plain;
    let resolved = match core {
        Some("str") => return Ok(Value::String(text.to_string())),
        Some("binary") => return Ok(Value::String(binary(text, span)?)),
        Some(other) => Some(other),
        None if plain => None,
        None => return Ok(Value::String(text.to_string())),
    };
    let value = resolve_plain(text, span)?;
    let fits = match (resolved, &value) {
        (None, _) | (Some("map" | "seq"), _) => true,
        (Some("null"), Value::Null) | (Some("bool"), Value::Bool(_)) => true,
        (Some("int"), Value::Number(n)) => !n.is_f64(),
        (Some("float"), Value::Number(n)) => {
            return Ok(n
                .as_f64()
                .and_then(Number::from_f64)
                .map_or(value.clone(), Value::Number));
        }
        (Some(_), _) => false,
    };
    if fits {
        return Ok(value);
    }
    let found = match &value {
        Value::Null => "!!null",
        Value::Bool(_) => "!!bool",
        Value::Number(n) if n.is_f64() => "!!float",
        Value::Number(_) => "!!int",
        _ => "!!str",
    };
    Err(at_span(
        format!(
            "cannot decode {found} `{text}` as a !!{}",
            resolved.unwrap_or("str")
        ),
        span,
    ))
}

/// `!!binary`: go-yaml decodes base64 into a Go string; invalid UTF-8 is replaced when it
/// becomes JSON.
fn binary(text: &str, span: Span) -> Result<String, DecodeError> {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|_| {
            at_span(
                "!!binary value contains invalid base64 data".to_string(),
                span,
            )
        })
}

/// The YAML 1.2 core schema for an untagged plain scalar.
fn resolve_plain(text: &str, span: Span) -> Result<Value, DecodeError> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => {
            // JSON has no infinity or NaN: encoding/json refuses them the same way.
            let go = match text.as_bytes().first() {
                Some(b'-') => "-Inf",
                _ if text.ends_with(['n', 'N']) => "NaN",
                _ => "+Inf",
            };
            return Err(at_span(format!("json: unsupported value: {go}"), span));
        }
        _ => {}
    }
    if let Some(n) = integer(text) {
        return Ok(Value::Number(n));
    }
    if is_float(text) {
        if let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64) {
            return Ok(Value::Number(n));
        }
    }
    Ok(Value::String(text.to_string()))
}

/// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`. A decimal too large for 64 bits becomes a float,
/// as in go-yaml.
fn integer(text: &str) -> Option<Number> {
    let radix_digits = |prefix: &str, radix: u32| {
        let digits = text.strip_prefix(prefix)?;
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        i64::from_str_radix(digits, radix)
            .map(Number::from)
            .ok()
            .or_else(|| u64::from_str_radix(digits, radix).map(Number::from).ok())
    };
    if text.starts_with("0x") {
        return radix_digits("0x", 16);
    }
    if text.starts_with("0o") {
        return radix_digits("0o", 8);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i64>()
        .map(Number::from)
        .ok()
        .or_else(|| text.parse::<u64>().map(Number::from).ok())
        .or_else(|| text.parse::<f64>().ok().and_then(Number::from_f64))
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, checked by hand because Rust's float
/// parser also takes `inf`, `nan` and `infinity`.
fn is_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text).as_bytes();
    let digits = |s: &[u8], from: usize| {
        s.get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut i = digits(s, 0);
    let int_digits = i;
    let mut frac_digits = 0;
    if s.get(i) == Some(&b'.') {
        frac_digits = digits(s, i + 1);
        i += 1 + frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let exp_digits = digits(s, i);
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Value {
        let mut docs = documents(text).unwrap();
        assert_eq!(docs.len(), 1, "{text:?}");
        docs.remove(0)
    }

    #[test]
    fn plain_scalars_resolve_with_the_core_schema() {
        let cases: &[(&str, Value)] = &[
            ("true", Value::Bool(true)),
            ("False", Value::Bool(false)),
            ("~", Value::Null),
            ("NULL", Value::Null),
            ("", Value::Null),
            ("42", 42.into()),
            ("-7", (-7).into()),
            ("+12", 12.into()),
            ("0x1F", 31.into()),
            ("0o17", 15.into()),
            ("017", 17.into()),
            ("18446744073709551615", u64::MAX.into()),
            ("1.5", 1.5.into()),
            (".5", 0.5.into()),
            ("1e3", 1000.0.into()),
            ("-1.5e-3", (-0.0015).into()),
            ("yes", "yes".into()),
            ("on", "on".into()),
            ("1_000", "1_000".into()),
            ("0b101", "0b101".into()),
            ("0xZZ", "0xZZ".into()),
            ("3:25", "3:25".into()),
            ("1.2.3", "1.2.3".into()),
            ("e3", "e3".into()),
            ("infinity", "infinity".into()),
            ("100m", "100m".into()),
        ];
        for (text, want) in cases {
            assert_eq!(one(&format!("v: {text}"))["v"], *want, "{text:?}");
        }
    }

    #[test]
    fn quoted_and_block_scalars_are_always_strings() {
        let v = one("a: '1'\nb: \"true\"\nc: |\n  null\nd: >-\n  12\n");
        assert_eq!(
            v,
            serde_json::json!({"a":"1","b":"true","c":"null\n","d":"12"})
        );
    }

    #[test]
    fn core_tags_decide_the_type() {
        let v = one("a: !!str 12\nb: !!int '12'\nc: !!float 1\nd: !!bool 'true'\ne: !!null ''\nf: !custom x\ng: !!binary aGVsbG8=\n");
        assert_eq!(
            v,
            serde_json::json!({"a":"12","b":12,"c":1.0,"d":true,"e":null,"f":"x","g":"hello"})
        );
        let err = documents("x: !!int abc").unwrap_err();
        assert_eq!(err.message, "cannot decode !!str `abc` as a !!int");
        assert_eq!((err.line, err.column), (Some(1), Some(4)));
    }

    #[test]
    fn infinity_and_nan_are_refused_because_json_has_neither() {
        for (text, go) in [(".inf", "+Inf"), ("-.Inf", "-Inf"), (".nan", "NaN")] {
            let err = documents(&format!("a: 1\nb: {text}\n")).unwrap_err();
            assert_eq!(err.message, format!("json: unsupported value: {go}"));
            assert_eq!((err.line, err.column), (Some(2), Some(4)));
        }
    }

    #[test]
    fn keys_that_are_numbers_or_booleans_become_their_text() {
        let v = one("1: a\ntrue: b\n0x10: c\n1.5: d\n");
        assert_eq!(
            v,
            serde_json::json!({"1":"a","true":"b","16":"c","1.5":"d"})
        );
        assert!(documents("~: a").is_err());
        assert!(documents("[1, 2]: a").is_err());
        assert!(documents("{a: 1}: b").is_err());
    }

    #[test]
    fn a_repeated_key_names_the_line_of_the_repeat() {
        let err = documents("a: 1\nb:\n  c: 1\n  c: 2\n").unwrap_err();
        assert_eq!(
            err.message,
            "unmarshal errors:\n  line 4: key \"c\" already set in map"
        );
        // A number key and the same text quoted are the same JSON key.
        assert!(documents("1: a\n'1': b\n").is_err());
    }

    #[test]
    fn anchors_aliases_and_merge_keys_expand() {
        let v =
            one("base: &b {x: 1, y: 2}\ncopy: *b\nlist: [&s s, *s]\nmerged:\n  <<: *b\n  y: 3\n");
        assert_eq!(
            v,
            serde_json::json!({
                "base": {"x":1,"y":2},
                "copy": {"x":1,"y":2},
                "list": ["s","s"],
                "merged": {"x":1,"y":3},
            })
        );
        let err = documents("a: *nope").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(documents("a: &x 1\n<<: *x\n").is_err());
    }

    #[test]
    fn a_billion_laughs_document_is_refused_without_expanding() {
        let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = documents(&text).unwrap_err();
        assert_eq!(err.message, "document contains excessive aliasing");
        assert_eq!(err.kind, DecodeErrorKind::Yaml);
    }

    #[test]
    fn an_alias_cannot_nest_deeper_than_the_limit() {
        // Each alias doubles nothing but adds depth: 40 + 40 levels is past 64.
        let open = "[".repeat(40);
        let close = "]".repeat(40);
        let text = format!("a: &d {open}1{close}\nb: {open}*d{close}\n");
        let err = documents(&text).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::TooLarge);
    }

    #[test]
    fn documents_past_the_limit_are_refused() {
        let text = "a: 1\n---\n".repeat(MAX_DOCUMENTS + 1);
        assert_eq!(
            documents(&text).unwrap_err().kind,
            DecodeErrorKind::TooLarge
        );
        let text = "a: 1\n---\n".repeat(MAX_DOCUMENTS);
        assert_eq!(documents(&text).unwrap().len(), MAX_DOCUMENTS);
    }

    #[test]
    fn the_column_of_a_syntax_error_is_one_based() {
        let err = documents("a: b: c").unwrap_err();
        assert_eq!(
            err.message,
            "mapping values are not allowed in this context"
        );
        assert_eq!((err.line, err.column), (Some(1), Some(5)));
    }
}
