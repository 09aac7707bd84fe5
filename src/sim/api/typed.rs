//! Typed access to objects, and the apiserver's strict decoding.
//!
//! Mirrors: the apiserver's `serializer.WithStrictDecoding` path
//! (`k8s.io/apimachinery/pkg/runtime/serializer/json`): a body with a field the schema does not
//! have is refused with `<Kind> in version "<v>" cannot be handled as a <Kind>: strict decoding
//! error: unknown field "<path>"`, a BadRequest.
//! Simplified: unknown fields are found by decoding into the `k8s-openapi` type, serializing it
//! back, and walking the input against the result: a non-null input key missing from the round
//! trip is unknown. Maps with free keys (labels, data, selectors) survive the round trip whole, so
//! they need no special case. A field of the wrong type is reported with serde's wording and the
//! field path, not Go's `json: cannot unmarshal ...` wording.

use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

use super::decode::{nesting_depth, MAX_NESTING_DEPTH};
use super::quantity::Quantity;
use super::resources::ResourceInfo;
use crate::sim::apiserver::request::ApiError;

use k8s_openapi::api::{
    apps::v1 as apps, batch::v1 as batch, coordination::v1 as coordination, core::v1 as core,
    discovery::v1 as discovery, rbac::v1 as rbac, scheduling::v1 as scheduling,
};

/// Decodes `obj` as the typed object of `info.kind` and serializes it back: the shape the
/// apiserver would store. Errors carry the field path (`spec.replicas: invalid type: ...`).
pub fn round_trip(info: &ResourceInfo, obj: &Value) -> Result<Value, String> {
    match info.kind {
        "ConfigMap" => via::<core::ConfigMap>(obj),
        "Endpoints" => via::<core::Endpoints>(obj),
        "Event" => via::<core::Event>(obj),
        "Namespace" => via::<core::Namespace>(obj),
        "Node" => via::<core::Node>(obj),
        "Pod" => via::<core::Pod>(obj),
        "ReplicationController" => via::<core::ReplicationController>(obj),
        "Secret" => via::<core::Secret>(obj),
        "ServiceAccount" => via::<core::ServiceAccount>(obj),
        "Service" => via::<core::Service>(obj),
        "DaemonSet" => via::<apps::DaemonSet>(obj),
        "Deployment" => via::<apps::Deployment>(obj),
        "ReplicaSet" => via::<apps::ReplicaSet>(obj),
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

/// Reads a stored object as its `k8s-openapi` type (`typed::<Pod>(&value)`); `None` if it does not
/// fit, which for an object that went through [`strict_check`] only happens on a bug.
pub fn typed<T: DeserializeOwned>(obj: &Value) -> Option<T> {
    serde_json::from_value(obj.clone()).ok()
}

fn via<T: DeserializeOwned + Serialize>(obj: &Value) -> Result<Value, String> {
    match serde_json::from_value::<T>(obj.clone()) {
        Ok(typed) => serde_json::to_value(&typed).map_err(|e| e.to_string()),
        Err(e) => {
            let message = e.to_string();
            let path = blame::<T>(obj, &message);
            Err(if path.is_empty() {
                message
            } else {
                format!("{path}: {message}")
            })
        }
    }
}

/// Finds the field a decoding error is about, without a path-tracking deserializer: descend from
/// the root, at each level into the first child whose removal makes the error go away (or change).
///
/// Why not `serde_path_to_error`: it wraps the deserializer, so every k8s-openapi type's
/// `Deserialize` is compiled a second time; that was an eighth of the wasm bundle. This search
/// costs a few dozen decodes of one object, and only when decoding already failed.
fn blame<T: DeserializeOwned>(obj: &Value, message: &str) -> String {
    let still_fails_the_same =
        |candidate: &Value| match serde_json::from_value::<T>(candidate.clone()) {
            Ok(_) => false,
            Err(e) => e.to_string() == message,
        };
    let mut path: Vec<Segment> = Vec::new();
    let mut node = obj;
    'descend: for _ in 0..=MAX_NESTING_DEPTH {
        let children: Vec<Segment> = match node {
            Value::Object(map) => map.keys().cloned().map(Segment::Key).collect(),
            Value::Array(items) => (0..items.len()).map(Segment::Index).collect(),
            _ => break,
        };
        for child in children {
            let mut trial = obj.clone();
            if let Some(parent) = pointer_mut(&mut trial, &path) {
                match (&child, parent) {
                    (Segment::Key(k), Value::Object(map)) => {
                        map.remove(k);
                    }
                    (Segment::Index(i), Value::Array(items)) => {
                        items.remove(*i);
                    }
                    _ => continue,
                }
            }
            if !still_fails_the_same(&trial) {
                node = match (&child, node) {
                    (Segment::Key(k), Value::Object(map)) => &map[k],
                    (Segment::Index(i), Value::Array(items)) => &items[*i],
                    _ => break 'descend,
                };
                path.push(child);
                continue 'descend;
            }
        }
        break;
    }
    let mut out = String::new();
    for segment in &path {
        match segment {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

enum Segment {
    Key(String),
    Index(usize),
}

fn pointer_mut<'a>(value: &'a mut Value, path: &[Segment]) -> Option<&'a mut Value> {
    let mut node = value;
    for segment in path {
        node = match (segment, node) {
            (Segment::Key(k), Value::Object(map)) => map.get_mut(k)?,
            (Segment::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

/// The apiserver's strict decoding of a create/update body: every field must exist in the schema
/// and every quantity must parse. A BadRequest names each unknown field by its upstream path.
pub fn strict_check(info: &ResourceInfo, obj: &Value) -> Result<(), ApiError> {
    let refuse = |detail: String| {
        let mut err = ApiError::bad_request(format!(
            "{kind} in version {version:?} cannot be handled as a {kind}: {detail}",
            kind = info.kind,
            version = info.version
        ));
        err.kind = Some(info.kind.to_string());
        err
    };
    if nesting_depth(obj) > MAX_NESTING_DEPTH {
        return Err(refuse(format!("exceeded max depth of {MAX_NESTING_DEPTH}")));
    }
    if !obj.is_object() {
        return Err(refuse(
            "json: cannot unmarshal into an object: not a map".to_string(),
        ));
    }
    let stored = round_trip(info, obj).map_err(refuse)?;
    let mut unknown = Vec::new();
    unknown_fields(obj, &stored, &mut String::new(), &mut unknown);
    if !unknown.is_empty() {
        let list: Vec<String> = unknown
            .iter()
            .map(|p| format!("unknown field {p:?}"))
            .collect();
        return Err(refuse(format!(
            "strict decoding error: {}",
            list.join(", ")
        )));
    }
    if let Some(message) = first_bad_quantity(&stored) {
        return Err(refuse(message));
    }
    Ok(())
}

/// Collects the upstream paths (`spec.template.spec.containers[0].imagee`) of input keys the typed
/// round trip dropped. Recursion depth is bounded by the caller's nesting check.
fn unknown_fields(input: &Value, stored: &Value, path: &mut String, out: &mut Vec<String>) {
    match (input, stored) {
        (Value::Object(in_map), Value::Object(out_map)) => {
            for (key, value) in in_map {
                if value.is_null() {
                    continue;
                }
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                match out_map.get(key) {
                    None => out.push(path.clone()),
                    Some(o) => unknown_fields(value, o, path, out),
                }
                path.truncate(len);
            }
        }
        (Value::Array(in_items), Value::Array(out_items)) => {
            for (i, (a, b)) in in_items.iter().zip(out_items).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                unknown_fields(a, b, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Keys whose values are maps of resource name → quantity.
const QUANTITY_MAPS: &[&str] = &[
    "limits",
    "requests",
    "capacity",
    "allocatable",
    "overhead",
    "hard",
    "used",
];

/// The first quantity that does not parse, as `resource.Quantity`'s UnmarshalJSON words it. In
/// Kubernetes this is a decoding error (BadRequest), not a validation error, and kubectl shows it so.
fn first_bad_quantity(v: &Value) -> Option<String> {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                for (key, child) in map {
                    let is_quantity_map = QUANTITY_MAPS.contains(&key.as_str());
                    match child {
                        Value::Object(q) if is_quantity_map => {
                            for value in q.values() {
                                if let Some(s) = value.as_str() {
                                    if let Err(e) = Quantity::parse(s) {
                                        return Some(e.to_string());
                                    }
                                }
                            }
                        }
                        Value::String(s) if key == "sizeLimit" => {
                            if let Err(e) = Quantity::parse(s) {
                                return Some(e.to_string());
                            }
                        }
                        _ => stack.push(child),
                    }
                }
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::resources::by_kind;
    use serde_json::json;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"any.key/x": "y"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{
                        "name": "nginx", "image": "nginx:1.27",
                        "ports": [{"containerPort": 80}],
                        "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}}
                    }]}
                }
            },
            "status": {"replicas": 2}
        })
    }

    fn info(api_version: &str, kind: &str) -> &'static ResourceInfo {
        by_kind(api_version, kind).unwrap()
    }

    #[test]
    fn a_known_object_with_free_form_maps_and_int_or_string_passes() {
        strict_check(info("apps/v1", "Deployment"), &deployment()).unwrap();
    }

    #[test]
    fn a_misspelled_field_is_refused_with_its_upstream_path() {
        let mut d = deployment();
        d["spec"]["template"]["spec"]["containers"][0]["imagee"] = json!("nginx");
        let err = strict_check(info("apps/v1", "Deployment"), &d).unwrap_err();
        assert_eq!(err.code, 400);
        assert_eq!(
            err.message,
            "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.template.spec.containers[0].imagee\""
        );
    }

    #[test]
    fn several_unknown_fields_are_listed_together() {
        let mut d = deployment();
        d["spec"]["replica"] = json!(3);
        d["metadata"]["nam"] = json!("x");
        let err = strict_check(info("apps/v1", "Deployment"), &d).unwrap_err();
        assert!(
            err.message.ends_with(
                "strict decoding error: unknown field \"metadata.nam\", unknown field \"spec.replica\""
            ),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_null_unknown_field_is_ignored_as_json_null_is() {
        let mut d = deployment();
        d["spec"]["nothing"] = Value::Null;
        strict_check(info("apps/v1", "Deployment"), &d).unwrap();
    }

    #[test]
    fn a_field_of_the_wrong_type_is_refused_with_its_path() {
        let mut d = deployment();
        d["spec"]["replicas"] = json!("three");
        let err = strict_check(info("apps/v1", "Deployment"), &d).unwrap_err();
        assert!(
            err.message
                .starts_with("Deployment in version \"v1\" cannot be handled as a Deployment: spec.replicas: invalid type"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_malformed_quantity_is_a_decoding_error() {
        let mut d = deployment();
        d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] =
            json!("half");
        let err = strict_check(info("apps/v1", "Deployment"), &d).unwrap_err();
        assert_eq!(
            err.message,
            "Deployment in version \"v1\" cannot be handled as a Deployment: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        );
    }

    #[test]
    fn every_served_kind_has_a_typed_form() {
        for r in crate::sim::api::resources::RESOURCES {
            let obj =
                json!({"apiVersion": r.api_version(), "kind": r.kind, "metadata": {"name": "x"}});
            // RBAC bindings require roleRef, EndpointSlice requires addressType/endpoints and
            // Event requires involvedObject: those fail as missing fields, never as unknown kinds.
            if let Err(e) = round_trip(r, &obj) {
                assert!(e.contains("missing field"), "{}: {e}", r.kind);
            }
        }
    }
}
