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
//! - descriptions are unwrapped, each newline written as `\n` (no description has a backslash
//!   before an `n`): kubectl explain wraps them at 76 columns as it prints them, and
//!   `kube-sandbox serve` serves them in its OpenAPI v3 documents as they are.

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

/// A description on one line: each newline written as `\n` (no description has a backslash
/// before an `n`), the text otherwise as the apiserver's OpenAPI carries it. kubectl explain wraps
/// it at 76 columns when it prints it (the built-in one too), and `kube-sandbox serve` serves it
/// as it is in its OpenAPI v3 documents.
fn escape(text: &str) -> String {
    assert!(!text.contains("\\n"), "a description with \\n: {text}");
    text.replace('\n', "\\n")
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
         # Descriptions are unwrapped (kubectl explain wraps them at 76 columns); `\\n` is a newline.\n",
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
