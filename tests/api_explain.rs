//! `kubectl explain`'s docs (`www/explain.txt`) have one source of truth: the `k8s-openapi`
//! types, through their `schemars` JSON schemas, as `tests/api_schema.rs` does for strict
//! decoding. This test regenerates the file and compares; `UPDATE_EXPLAIN=1 cargo test --test
//! api_explain` rewrites it. The page fetches the file on the first `kubectl explain`; the wasm
//! never embeds it.
//!
//! The format (documented in the file's header too), one record a line:
//! - `kind <Kind> <definition>`: a served kind and its definition;
//! - `type <definition> <description>`: a definition (its name without `io.k8s.`), then its fields
//!   as ` <field> <type> <ref> <required> <description>`: `<type>` as kubectl explain prints it
//!   (`string`, `[]Container`, `map[string]Quantity`), `<ref>` the definition the field leads to
//!   (through arrays and maps) or `-`, `<required>` `r` or `-`;
//! - descriptions are wrapped at 76 columns as kubectl explain wraps them (go-wordwrap), each
//!   newline written as `\n` (no description has a backslash before an `n`): the page only
//!   indents them.

#[path = "support/served_schemas.rs"]
mod served_schemas;
use serde_json::Value;
use served_schemas::{served_definitions, short};

const EXPLAIN_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/www/explain.txt");

/// Definitions that OpenAPI v3 serves as strings: kubectl explain names them `string`.
const STRINGS: &[&str] = &[
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
];

/// Fields k8s-openapi requires (its Rust fields are not `Option`) that the apiserver's OpenAPI
/// leaves optional, so kubectl explain prints no `-required-` for them. Event's metadata is
/// required upstream too.
const OPTIONAL_IN_KINDS: &[&str] = &["metadata", "spec"];

/// A property's type as kubectl explain's `typeGuess` prints it, and the definition it leads to.
fn type_of(schema: &Value) -> (String, Option<String>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        let printed = if STRINGS.contains(&name) {
            "string"
        } else {
            name.rsplit('.').next().unwrap_or("Object")
        };
        return (printed.to_string(), Some(short(name).to_string()));
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => {
            let (t, r) = type_of(&schema["items"]);
            (format!("[]{t}"), r)
        }
        Some("object")
            if schema
                .get("additionalProperties")
                .is_some_and(Value::is_object) =>
        {
            let (t, r) = type_of(&schema["additionalProperties"]);
            (format!("map[string]{t}"), r)
        }
        Some("object") | None => ("Object".to_string(), None),
        Some(t) => (t.to_string(), None),
    }
}

/// A description as kubectl explain prints it, wrapped at 76 columns (the width of every
/// description it prints but in `--recursive`, which prints none), each newline as `\n` (no
/// description has a backslash before an `n`).
fn escape(text: &str) -> String {
    assert!(!text.contains("\\n"), "a description with \\n: {text}");
    wrap(text, 76).replace('\n', "\\n")
}

/// go-wordwrap's `WrapString`, which kubectl's `wrap` template function runs: text breaks at
/// white space once a line would pass `lim` characters; a longer word stays whole; white space
/// before a newline is dropped only when it would pass the limit.
fn wrap(text: &str, lim: usize) -> String {
    let (mut out, mut word, mut space) = (String::new(), String::new(), String::new());
    let (mut current, mut word_len, mut space_len) = (0, 0, 0);
    for c in text.chars() {
        if c == '\n' {
            if word.is_empty() && current + space_len > lim {
                space.clear();
            }
            out.push_str(&space);
            out.push_str(&word);
            (space, word, space_len, word_len) = (String::new(), String::new(), 0, 0);
            out.push(c);
            current = 0;
        } else if c.is_whitespace() && c != '\u{a0}' {
            if space.is_empty() || !word.is_empty() {
                current += space_len + word_len;
                out.push_str(&space);
                out.push_str(&word);
                (space, word, space_len, word_len) = (String::new(), String::new(), 0, 0);
            }
            space.push(c);
            space_len += 1;
        } else {
            word.push(c);
            word_len += 1;
            if current + space_len + word_len > lim && word_len < lim {
                out.push('\n');
                current = 0;
                space.clear();
                space_len = 0;
            }
        }
    }
    if !word.is_empty() || current + space_len <= lim {
        out.push_str(&space);
    }
    out + &word
}

#[test]
fn descriptions_wrap_as_go_wordwrap() {
    assert_eq!(wrap("aaa bbb ccc", 7), "aaa bbb\nccc");
    assert_eq!(wrap("aaa bbb ccc", 6), "aaa\nbbb\nccc");
    // A word longer than the limit stays whole, on its own line.
    assert_eq!(
        wrap("a https://example.com/long b", 8),
        "a\nhttps://example.com/long\nb"
    );
    // Newlines are kept; spaces before one are dropped only past the limit.
    assert_eq!(wrap("ab  \ncd", 10), "ab  \ncd");
    assert_eq!(wrap("abcd   \ncd", 5), "abcd\ncd");
}

/// The docs of every served kind and every definition they reach, as committed in
/// `www/explain.txt`.
fn explain_docs() -> String {
    let (kinds, definitions) = served_definitions();
    let mut out = String::from(
        "# kubectl explain's docs of the served kinds, generated from k8s-openapi 0.29 (feature \"latest\")\n\
         # by tests/api_explain.rs. Do not edit: UPDATE_EXPLAIN=1 cargo test --test api_explain\n\
         # `kind <Kind> <definition>`; `type <definition> <description>`, then one line per field:\n\
         # ` <field> <type as explain prints it> <definition it leads to, or -> <r if required, or -> <description>`.\n\
         # Descriptions are wrapped at 76 columns as kubectl explain prints them; `\\n` is a newline.\n",
    );
    for (kind, name) in &kinds {
        out.push_str(&format!("kind {kind} {name}\n"));
    }
    for (name, schema) in &definitions {
        let description = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        out.push_str(&format!("type {} {}\n", short(name), escape(description)));
        let root = kinds.values().any(|k| short(name) == k);
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|f| {
                !root || short(name) == "api.core.v1.Event" || !OPTIONAL_IN_KINDS.contains(f)
            })
            .collect();
        let properties = schema.get("properties").and_then(Value::as_object);
        for (field, property) in properties.into_iter().flatten() {
            let (printed, reference) = type_of(property);
            let description = property.get("description").and_then(Value::as_str);
            out.push_str(&format!(
                " {field} {printed} {} {} {}\n",
                reference.as_deref().unwrap_or("-"),
                if required.contains(&field.as_str()) {
                    "r"
                } else {
                    "-"
                },
                escape(description.unwrap_or("")),
            ));
        }
    }
    out
}

#[test]
fn the_committed_explain_docs_are_what_k8s_openapi_generates() {
    let generated = explain_docs();
    if std::env::var_os("UPDATE_EXPLAIN").is_some() {
        std::fs::write(EXPLAIN_PATH, &generated).expect("write www/explain.txt");
        return;
    }
    let committed = std::fs::read_to_string(EXPLAIN_PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "www/explain.txt is stale: run UPDATE_EXPLAIN=1 cargo test --test api_explain"
    );
}
