//! The compact schema the apiserver's strict decoding walks (`src/sim/api/schema.txt`) has one
//! source of truth: the `k8s-openapi` types, through their `schemars` JSON schemas. This test
//! regenerates it and compares; `UPDATE_SCHEMA=1 cargo test --test api_schema` rewrites the file.
//!
//! It also checks the schema walk against the old oracle: decoding into the `k8s-openapi` type and
//! serializing back. Both must accept and refuse the same bodies.

use k8s_openapi::api::{
    apps::v1 as apps, batch::v1 as batch, coordination::v1 as coordination, core::v1 as core,
    discovery::v1 as discovery, rbac::v1 as rbac, scheduling::v1 as scheduling,
};
use kube_sandbox::sim::api::{check_kind, decode_documents, resources::RESOURCES, strict_check};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};

#[path = "support/served_schemas.rs"]
mod served_schemas;
use served_schemas::{served_definitions, short};

const SCHEMA_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/sim/api/schema.txt");

/// Definitions that are leaves for strict decoding: each has its own decoder with its own errors.
const LEAVES: &[(&str, &str)] = &[
    ("io.k8s.apimachinery.pkg.api.resource.Quantity", "quantity"),
    (
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
        "int-or-string",
    ),
    ("io.k8s.apimachinery.pkg.apis.meta.v1.Time", "time"),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
        "micro-time",
    ),
    ("io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1", "json"),
    ("io.k8s.apimachinery.pkg.runtime.RawExtension", "json"),
];

/// One schema (a property, an item, a map value) as a compact type expression.
fn expression(schema: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return match LEAVES.iter().find(|(n, _)| *n == name) {
            Some((_, leaf)) => leaf.to_string(),
            None => short(name).to_string(),
        };
    }
    if schema.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        return "int-or-string".to_string();
    }
    let format = schema.get("format").and_then(Value::as_str);
    match (schema.get("type").and_then(Value::as_str), format) {
        (Some("string"), Some("byte")) => "bytes".to_string(),
        (Some("string"), _) => "string".to_string(),
        (Some("boolean"), _) => "boolean".to_string(),
        (Some("integer"), Some("int32")) => "int32".to_string(),
        (Some("integer"), Some("int64")) => "int64".to_string(),
        (Some("number"), Some("double")) => "number".to_string(),
        (Some("array"), _) => format!("[]{}", expression(&schema["items"])),
        (Some("object"), _) if schema.get("additionalProperties").is_some() => {
            format!("{{}}{}", expression(&schema["additionalProperties"]))
        }
        _ => panic!("a schema strict decoding does not know: {schema}"),
    }
}

/// The compact schema of every served kind, as committed in `src/sim/api/schema.txt`.
fn compact_schema() -> String {
    let (kinds, definitions) = served_definitions();
    let mut out = String::from(
        "# Strict decoding schema of the served kinds, generated from k8s-openapi 0.29 (feature\n\
         # \"latest\") by tests/api_schema.rs. Do not edit: UPDATE_SCHEMA=1 cargo test --test api_schema\n\
         # `kind <Kind> <definition>`, then `type <definition>` and one ` <field> <type>` line per field.\n",
    );
    for (kind, name) in &kinds {
        out.push_str(&format!("kind {kind} {name}\n"));
    }
    for (name, schema) in &definitions {
        if LEAVES.iter().any(|(n, _)| n == name) {
            continue;
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        assert!(
            schema.get("type").and_then(Value::as_str) == Some("object"),
            "{name} is neither a struct nor a known leaf: {schema}"
        );
        out.push_str(&format!("type {}\n", short(name)));
        for (field, property) in properties.into_iter().flatten() {
            out.push_str(&format!(" {field} {}\n", expression(property)));
        }
    }
    out
}

#[test]
fn the_committed_schema_is_what_k8s_openapi_generates() {
    let generated = compact_schema();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(SCHEMA_PATH, &generated).expect("write schema.txt");
        return;
    }
    let committed = std::fs::read_to_string(SCHEMA_PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "src/sim/api/schema.txt is stale: run UPDATE_SCHEMA=1 cargo test --test api_schema"
    );
}

// ---------------------------------------------------------------------------------------------
// The oracle: strict decoding as it was done before the schema, by decoding into the typed
// `k8s-openapi` struct and serializing back. Natively only, so it costs the wasm bundle nothing.

fn via<T: DeserializeOwned + Serialize>(obj: &Value) -> Result<Value, String> {
    let typed: T = serde_json::from_value(obj.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

fn round_trip(kind: &str, obj: &Value) -> Result<Value, String> {
    match kind {
        "ConfigMap" => via::<core::ConfigMap>(obj),
        "Endpoints" => via::<core::Endpoints>(obj),
        "Event" => via::<core::Event>(obj),
        "Namespace" => via::<core::Namespace>(obj),
        "Node" => via::<core::Node>(obj),
        "Pod" => via::<core::Pod>(obj),
        "ReplicationController" => via::<core::ReplicationController>(obj),
        "ResourceQuota" => via::<core::ResourceQuota>(obj),
        "Secret" => via::<core::Secret>(obj),
        "ServiceAccount" => via::<core::ServiceAccount>(obj),
        "Service" => via::<core::Service>(obj),
        "DaemonSet" => via::<apps::DaemonSet>(obj),
        "Deployment" => via::<apps::Deployment>(obj),
        "ReplicaSet" => via::<apps::ReplicaSet>(obj),
        "CronJob" => via::<batch::CronJob>(obj),
        "Job" => via::<batch::Job>(obj),
        "Lease" => via::<coordination::Lease>(obj),
        "EndpointSlice" => via::<discovery::EndpointSlice>(obj),
        "ClusterRoleBinding" => via::<rbac::ClusterRoleBinding>(obj),
        "ClusterRole" => via::<rbac::ClusterRole>(obj),
        "RoleBinding" => via::<rbac::RoleBinding>(obj),
        "Role" => via::<rbac::Role>(obj),
        "PriorityClass" => via::<scheduling::PriorityClass>(obj),
        other => Err(format!("no typed form for kind {other:?}")),
    }
}

/// Does the typed round trip keep every non-null key of the input?
fn round_trip_drops_a_key(input: &Value, stored: &Value) -> bool {
    match (input, stored) {
        (Value::Object(a), Value::Object(b)) => a.iter().any(|(k, v)| {
            !v.is_null()
                && match b.get(k) {
                    None => true,
                    Some(o) => round_trip_drops_a_key(v, o),
                }
        }),
        (Value::Array(a), Value::Array(b)) => {
            a.iter().zip(b).any(|(x, y)| round_trip_drops_a_key(x, y))
        }
        _ => false,
    }
}

/// Quantities written as YAML numbers (`cpu: 1`) come back from the typed form as strings.
fn numbers_in_quantity_maps_as_strings(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if ["capacity", "allocatable", "limits", "requests"].contains(&k.as_str()) {
                    if let Value::Object(q) = child {
                        for value in q.values_mut() {
                            if let Value::Number(n) = value {
                                *value = Value::String(n.to_string());
                            }
                        }
                    }
                }
                numbers_in_quantity_maps_as_strings(child);
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(numbers_in_quantity_maps_as_strings),
        _ => {}
    }
}

const FIXTURES: &[&str] = &[
    include_str!("fixtures/manifests/workloads.yaml"),
    include_str!("fixtures/manifests/config.yaml"),
    include_str!("fixtures/manifests/network.yaml"),
    include_str!("fixtures/manifests/rbac.yaml"),
];

fn fixture_documents() -> Vec<Value> {
    FIXTURES
        .iter()
        .flat_map(|text| decode_documents(text).expect("fixture decodes"))
        .collect()
}

#[test]
fn every_documented_manifest_keeps_every_field_in_its_typed_form() {
    for doc in fixture_documents() {
        let info = check_kind(&doc).expect("served kind");
        strict_check(info, &doc).unwrap_or_else(|e| panic!("{}: {e}", info.kind));
        let back = round_trip(info.kind, &doc).expect("typed form");
        let mut expected = doc.clone();
        numbers_in_quantity_maps_as_strings(&mut expected);
        assert_eq!(back, expected, "{} round trip", info.kind);
    }
}

/// Every path to a value in `v`, as JSON pointers.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                pointers(child, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Every fixture with every value in turn replaced by values of each JSON type, and with an
/// unknown key added to every object: the schema walk refuses exactly what the typed decoding
/// refuses, with the same words for the wrong type.
#[test]
fn the_schema_walk_accepts_and_refuses_what_the_typed_decoding_does() {
    let replacements = [
        json!("x"),
        json!("1Gi"),
        json!("2024-01-02T03:04:05Z"),
        json!("aGVsbG8="),
        json!(7),
        json!(-3),
        json!(3000000000u64),
        json!(2.5),
        json!(true),
        Value::Null,
        json!([]),
        json!(["x"]),
        json!({}),
        json!({"zz": 1}),
    ];
    let mut compared = 0;
    for doc in fixture_documents() {
        let info = check_kind(&doc).expect("served kind");
        let mut paths = Vec::new();
        pointers(&doc, String::new(), &mut paths);
        let mut mutants = Vec::new();
        for path in &paths {
            if path.is_empty() || path == "/apiVersion" || path == "/kind" {
                continue;
            }
            for r in &replacements {
                let mut m = doc.clone();
                if let Some(slot) = m.pointer_mut(path) {
                    *slot = r.clone();
                }
                mutants.push(m);
            }
            if doc.pointer(path).is_some_and(Value::is_object) {
                let mut m = doc.clone();
                if let Some(Value::Object(map)) = m.pointer_mut(path) {
                    map.insert("zz".into(), json!(1));
                }
                mutants.push(m);
            }
        }
        for m in mutants {
            let new = strict_check(info, &m).map_err(|e| e.message);
            let old = match round_trip(info.kind, &m) {
                Err(e) => Err(e),
                Ok(stored) if round_trip_drops_a_key(&m, &stored) => {
                    Err("strict decoding error".to_string())
                }
                Ok(_) => Ok(()),
            };
            match (&old, &new) {
                (Ok(()), Ok(())) => {}
                (Err(o), Err(n)) if o.contains("strict decoding error") => {
                    assert!(
                        n.contains("strict decoding error"),
                        "{m}\nold: {o}\nnew: {n}"
                    )
                }
                (Err(o), Err(n)) => {
                    // The old path came from a search; the message itself must be serde's.
                    assert!(n.ends_with(o.as_str()), "{m}\nold: {o}\nnew: {n}")
                }
                // Quantities are checked after decoding, as before: the typed form accepts any
                // string as a Quantity.
                (Ok(()), Err(n)) if n.contains("quantities must match") => {}
                _ => panic!("{m}\nold: {old:?}\nnew: {new:?}"),
            }
            compared += 1;
        }
    }
    assert!(compared > 1000, "only {compared} mutants compared");
}

/// Secret `data` is checked by a local base64 check, not `k8s-openapi`'s `ByteString`: it must
/// refuse what that refuses, with its words (its `base64` 0.22 words one error differently from
/// the newer crate the check uses).
#[test]
fn bytes_are_refused_as_k8s_openapi_byte_string_refuses_them() {
    let secret = RESOURCES.iter().find(|r| r.kind == "Secret").unwrap();
    let values = [
        json!("aGVsbG8="),
        json!(""),
        Value::Null,
        json!("not base64!"),
        json!("aGVsbG9="),
        json!("aGVsbA=x"),
        json!("aGVsbG8"),
        json!("a"),
        json!("===="),
        json!("aGk=aGk="),
        json!("aGVsbG8=\n"),
        json!(5),
        json!(["aGk="]),
    ];
    for value in values {
        let old = serde_json::from_value::<k8s_openapi::ByteString>(value.clone())
            .map(drop)
            .map_err(|e| format!("data.k: {e}"));
        let body = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                          "data": {"k": value}});
        let new = strict_check(secret, &body).map_err(|e| e.message);
        match (&old, &new) {
            (Ok(()), Ok(())) => {}
            (Err(o), Err(n)) => assert!(n.ends_with(o.as_str()), "{value}\nold: {o}\nnew: {n}"),
            _ => panic!("{value}\nold: {old:?}\nnew: {new:?}"),
        }
    }
}
