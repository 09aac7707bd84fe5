//! The typed views of `src/sim/api/core_v1.rs` (and the `LabelSelector` of
//! `src/sim/api/selector.rs`) are written by hand, field by field, each with its wire name. A
//! misspelled wire name (`nodeSelecter`) would not fail to decode: serde ignores the real key and
//! reads the field as absent, and the scheduler would quietly ignore what a student wrote.
//!
//! So each view is checked against the schema generated from `k8s-openapi`
//! (`src/sim/api/schema.txt`, itself checked by `tests/api_schema.rs`): a body with every field of
//! the schema filled in, nested all the way down, is read into the view and written back
//! (`Serialize` is derived for this). Everything written back must be at a path the schema has,
//! with the value that was read there; a field the view has under a name the schema does not know
//! comes back as a key that is not in the body.

use kube_sandbox::sim::api::core_v1::{EndpointSlice, Node, Pod, Service};
use kube_sandbox::sim::api::schema::{schema, FieldType};
use kube_sandbox::sim::api::selector::LabelSelector;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Map, Value};

/// Deeper than any served kind nests its structs; a bound in case a definition ever refers to
/// itself.
const DEPTH_MAX: usize = 24;

/// A value of the type with every field of every struct present.
fn full(ty: &FieldType, depth: usize) -> Value {
    assert!(
        depth < DEPTH_MAX,
        "the schema nests deeper than {DEPTH_MAX}"
    );
    match ty {
        FieldType::String => json!("x"),
        FieldType::Int32 | FieldType::Int64 => json!(7),
        FieldType::Number => json!(2.5),
        FieldType::Boolean => json!(true),
        FieldType::IntOrString => json!(8080),
        FieldType::Quantity => json!("250m"),
        FieldType::Time => json!("2024-01-02T03:04:05Z"),
        FieldType::MicroTime => json!("2024-01-02T03:04:05.000000Z"),
        FieldType::Bytes => json!("aGVsbG8="),
        FieldType::Json => json!({"free": "form"}),
        FieldType::Array(item) => json!([full(item, depth + 1)]),
        FieldType::Map(value) => json!({"key": full(value, depth + 1)}),
        FieldType::Struct(i) => {
            let def = schema().get(*i).expect("a struct index of the schema");
            let fields: Map<String, Value> = def
                .fields
                .iter()
                .map(|(name, field)| (name.to_string(), full(field, depth + 1)))
                .collect();
            Value::Object(fields)
        }
    }
}

/// Every difference between what was written back and what was read, as `path: what`.
fn differences(path: &str, back: &Value, body: &Value, out: &mut Vec<String>) {
    match (back, body) {
        (Value::Object(back), Value::Object(body)) => {
            for (key, value) in back {
                let at = format!("{path}.{key}");
                match body.get(key) {
                    Some(read) => differences(&at, value, read, out),
                    None => out.push(format!("{at}: not a field of the schema")),
                }
            }
        }
        (Value::Array(back), Value::Array(body)) if back.len() == body.len() => {
            for (i, (value, read)) in back.iter().zip(body).enumerate() {
                differences(&format!("{path}[{i}]"), value, read, out);
            }
        }
        _ if back != body => out.push(format!("{path}: read {body}, wrote back {back}")),
        _ => {}
    }
}

/// Reads the full body of a definition into `T`, writes it back and compares; returns how many
/// values came back, so a caller can see the view read something.
fn check<T: DeserializeOwned + Serialize>(name: &str, ty: FieldType) -> usize {
    let body = full(&ty, 0);
    let view: T = serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("{name}: the full body does not decode into the view: {e}"));
    let back = serde_json::to_value(&view).expect("a view serializes");
    let mut found = Vec::new();
    differences(name, &back, &body, &mut found);
    assert!(
        found.is_empty(),
        "{name}: the view's wire names or types disagree with schema.txt:\n{}",
        found.join("\n")
    );
    leaves(&back)
}

fn leaves(v: &Value) -> usize {
    match v {
        Value::Object(map) => map.values().map(leaves).sum(),
        Value::Array(items) => items.iter().map(leaves).sum(),
        Value::Null => 0,
        _ => 1,
    }
}

fn kind(kind: &str) -> FieldType {
    schema()
        .kind_type(kind)
        .unwrap_or_else(|| panic!("schema.txt has no kind {kind}"))
}

fn definition(name: &str) -> FieldType {
    let i = schema()
        .structs
        .iter()
        .position(|d| d.definition == name)
        .unwrap_or_else(|| panic!("schema.txt has no type {name}"));
    FieldType::Struct(i)
}

#[test]
fn every_field_of_the_pod_view_has_its_wire_name_and_type() {
    assert!(check::<Pod>("Pod", kind("Pod")) > 50);
}

#[test]
fn every_field_of_the_node_view_has_its_wire_name_and_type() {
    assert!(check::<Node>("Node", kind("Node")) > 10);
}

#[test]
fn every_field_of_the_service_view_has_its_wire_name_and_type() {
    assert!(check::<Service>("Service", kind("Service")) > 10);
}

#[test]
fn every_field_of_the_endpoint_slice_view_has_its_wire_name_and_type() {
    assert!(check::<EndpointSlice>("EndpointSlice", kind("EndpointSlice")) > 10);
}

#[test]
fn the_label_selector_has_the_wire_names_of_meta_v1() {
    let ty = definition("apimachinery.pkg.apis.meta.v1.LabelSelector");
    assert_eq!(check::<LabelSelector>("LabelSelector", ty), 4);
}

/// The check itself: a view with a wrong wire name is caught.
#[test]
fn a_misspelled_wire_name_is_found() {
    #[derive(serde::Deserialize, Serialize)]
    struct Misspelled {
        #[serde(rename = "matchLabels")]
        labels: Option<std::collections::BTreeMap<String, String>>,
        #[serde(rename = "matchExpression")]
        expressions: Option<Vec<Value>>,
    }
    let ty = definition("apimachinery.pkg.apis.meta.v1.LabelSelector");
    let caught = std::panic::catch_unwind(|| check::<Misspelled>("LabelSelector", ty));
    let message = caught
        .err()
        .and_then(|e| e.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(
        message.contains("LabelSelector.matchExpression: not a field of the schema"),
        "{message}"
    );
}
