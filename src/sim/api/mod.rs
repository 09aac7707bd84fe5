//! The Kubernetes object model: the kinds served ([`resources`]), decoding, strict decoding,
//! validation, quantities, labels and selectors.
//!
//! Objects travel through the core as `serde_json::Value` (the shape the apiserver stores in etcd)
//! and are read as typed structs where a component needs their fields ([`typed::typed`]): the lean
//! views of [`core_v1`] (Pod, Node, Service, EndpointSlice, with `k8s-openapi`'s names; the page
//! does not link `k8s-openapi` at all, native tests check the views against it). Text becomes
//! objects in two steps: YAML (or JSON) → one `serde_json::Value` per document
//! ([`decode_documents`], saphyr-parser events), then Value → typed with `typed::typed` (serde through `&Value`).
//! Why not YAML straight into `k8s_openapi` types: the YAML deserializer
//! would be monomorphised once per API type, which measured 2.6 MB of wasm against 1.4 MB for the
//! one-Value route (`shared/TOOLCHAIN.md`); the Value route also gives one place to refuse deep
//! nesting and to find unknown fields.
//!
//! The apiserver calls, in order: [`check_kind`] (REST mapping), [`strict_check`] (BadRequest on
//! unknown fields or bad quantities), [`validate_create`] / [`validate_update`] (Invalid, with one
//! cause per field error).
//!
//! Mirrors: `k8s.io/api` field names, `k8s.io/apimachinery` decoding and validation.
//! Simplified: one served version per kind; no defaulting here (the apiserver engineer applies
//! defaults); validation covers the rules students meet, listed in [`validation`].

pub mod core_v1;
pub mod cron;
pub mod decode;
pub mod labels;
pub mod quantity;
pub mod quota;
pub mod resources;
pub mod schema;
pub mod selector;
pub mod typed;
pub mod validation;
pub(crate) mod yaml;

use std::collections::BTreeMap;

use serde_json::Value;

pub use decode::{check_kind, decode_documents, DecodeError, DecodeErrorKind};

/// Reads JSON text. Every reader of JSON text in the crate goes through serde_json's slice
/// reader, so the page links one JSON parser, not also its `&str` twin (about 7 KB of wasm,
/// measured): the two give the same values and the same errors for text that is already UTF-8.
pub fn json_from_str<T: serde::de::DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
}

/// An object written as JSON text; each string `"${name}"` in it is replaced by the value `vars`
/// gives that name. Why text and not `json!`: the macro expands every key and value into code,
/// and gzip packs the same object as text several times better (the add-on manifests were the
/// largest literals of the wasm module; the boot's objects followed, docs/build.md). Keys are
/// sorted either way (no `preserve_order`), so the text gives the same `Value` as the macro; a
/// number is an integer unless written with a point, as in `json!`. The text is ours, never user
/// input, so a parse error or an unnamed variable is a bug.
pub fn json_template(text: &str, vars: &[(&str, Value)]) -> Value {
    let mut object: Value = json_from_str(text).expect("JSON template is valid JSON");
    fill(&mut object, vars);
    object
}

/// [`json_template`] whose variables are all strings: the caller passes `&str`s, and the
/// `Value`s are made here once rather than at every call site (smaller in the wasm module).
/// These texts are made by the hundred at 1,000 pods (events, owner references, leases), so
/// each is parsed once and cloned after: a clone costs a fraction of a parse.
pub fn json_text(text: &'static str, vars: &[(&str, &str)]) -> Value {
    thread_local! {
        /// By the text's address and length: a `'static` text never moves.
        static PARSED: std::cell::RefCell<Vec<((usize, usize), Value)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let key = (text.as_ptr() as usize, text.len());
    let mut object = PARSED.with(|parsed| {
        let mut parsed = parsed.borrow_mut();
        if let Some((_, template)) = parsed.iter().find(|(k, _)| *k == key) {
            return template.clone();
        }
        let template: Value = json_from_str(text).expect("JSON template is valid JSON");
        parsed.push((key, template.clone()));
        template
    });
    let vars: Vec<(&str, Value)> = vars.iter().map(|(n, v)| (*n, Value::from(*v))).collect();
    fill(&mut object, &vars);
    object
}

fn fill(value: &mut Value, vars: &[(&str, Value)]) {
    let named = match value {
        Value::String(s) => s.strip_prefix("${").and_then(|rest| rest.strip_suffix('}')),
        Value::Array(items) => {
            items.iter_mut().for_each(|v| fill(v, vars));
            None
        }
        Value::Object(map) => {
            map.values_mut().for_each(|v| fill(v, vars));
            None
        }
        _ => None,
    };
    if let Some(name) = named {
        let found = vars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone());
        assert!(found.is_some(), "JSON template names no value {name}");
        if let Some(v) = found {
            *value = v;
        }
    }
}

/// `Value::pointer` without its allocations: serde_json unescapes every token of the pointer into
/// a new `String` before looking it up, two allocations per step of every `"/metadata/name"`
/// read. The simulation reads fields this way hundreds of thousands of times a second at 1,000
/// pods, so this was about 15% of its time (perf, `examples/slice_profile`). The same answers as
/// `pointer` (RFC 6901: `~1` is `/`, `~0` is `~`; array indexes without a sign or leading zero).
pub trait JsonPointer {
    fn ptr(&self, pointer: &str) -> Option<&Value>;
}

impl JsonPointer for Value {
    fn ptr(&self, pointer: &str) -> Option<&Value> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        let mut target = self;
        for token in rest.split('/') {
            if token.contains('~') {
                let token = token.replace("~1", "/").replace("~0", "~");
                target = step(target, &token)?;
            } else {
                target = step(target, token)?;
            }
        }
        Some(target)
    }
}

fn step<'v>(target: &'v Value, token: &str) -> Option<&'v Value> {
    match target {
        Value::Object(map) => map.get(token),
        Value::Array(list) => {
            if token.starts_with('+') || (token.len() > 1 && token.starts_with('0')) {
                return None;
            }
            list.get(token.parse::<usize>().ok()?)
        }
        _ => None,
    }
}
pub use labels::{parse_selector, Selector};
pub use quantity::{cpu_millis, memory_bytes, Quantity, QuantityError};
pub use resources::ResourceInfo;
pub use selector::{FieldSelector, LabelSelector};
pub use typed::strict_check;
pub use validation::{validate_create, validate_update};

/// The parts of `metadata` every component reads, borrowed from the object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectMetaRef<'a> {
    pub name: &'a str,
    pub generate_name: &'a str,
    /// Empty for cluster-scoped objects (and namespaced ones not yet defaulted).
    pub namespace: &'a str,
    pub uid: &'a str,
    pub resource_version: &'a str,
    pub labels: BTreeMap<&'a str, &'a str>,
    pub annotations: BTreeMap<&'a str, &'a str>,
}

/// Reads `metadata` from any object; missing fields read as empty.
pub fn object_meta(obj: &Value) -> ObjectMetaRef<'_> {
    let meta = obj.get("metadata");
    let text = |f: &str| {
        meta.and_then(|m| m.get(f))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let map = |f: &str| -> BTreeMap<&str, &str> {
        meta.and_then(|m| m.get(f))
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)))
                    .collect()
            })
            .unwrap_or_default()
    };
    ObjectMetaRef {
        name: text("name"),
        generate_name: text("generateName"),
        namespace: text("namespace"),
        uid: text("uid"),
        resource_version: text("resourceVersion"),
        labels: map("labels"),
        annotations: map("annotations"),
    }
}

/// `metadata.name`, or `""`.
pub fn name(obj: &Value) -> &str {
    obj.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metadata.namespace`, or `""`.
pub fn namespace(obj: &Value) -> &str {
    obj.pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metadata.labels` as an ordered map of owned strings (what selectors match against).
pub fn labels(obj: &Value) -> BTreeMap<String, String> {
    string_map(obj.pointer("/metadata/labels"))
}

/// A JSON object of strings as a `BTreeMap`; non-string values are skipped.
pub fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_accessors_read_missing_fields_as_empty() {
        let pod = json!({"metadata": {"name": "web", "labels": {"app": "web", "n": 1}}});
        let meta = object_meta(&pod);
        assert_eq!(meta.name, "web");
        assert_eq!(meta.namespace, "");
        assert_eq!(meta.labels.get("app"), Some(&"web"));
        assert_eq!(meta.labels.len(), 1);
        assert_eq!(name(&json!(3)), "");
        assert_eq!(labels(&pod).len(), 1);
    }

    #[test]
    fn ptr_answers_as_serde_json_pointer_does() {
        let doc = json!({
            "a": {"b": [10, {"c": "d"}], "": {"": 1}},
            "x/y": 2, "m~n": 3, "01": 4, "e": null,
        });
        for pointer in [
            "",
            "/",
            "/a",
            "/a/b",
            "/a/b/0",
            "/a/b/1/c",
            "/a/b/2",
            "/a/b/01",
            "/a/b/+1",
            "/a/b/-1",
            "/a/b/1/c/z",
            "/a//",
            "/a/",
            "x",
            "/x~1y",
            "/m~0n",
            "/m~1n",
            "/01",
            "/e",
            "/e/f",
            "/a/b/00",
            "/a/b/0x",
            "/a/b/1/c/",
        ] {
            assert_eq!(doc.ptr(pointer), doc.pointer(pointer), "{pointer:?}");
        }
    }
}
