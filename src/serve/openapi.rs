//! `/openapi/v3`: the OpenAPI v3 documents of the served group-versions, the way kube-apiserver
//! serves them: each group-version's paths (with the operations' `x-kubernetes-action`,
//! `x-kubernetes-group-version-kind` and the `fieldValidation` parameter) and its
//! `components.schemas`, one per definition its kinds reach, each kind's carrying
//! `x-kubernetes-group-version-kind`, fields with their types, `$ref`s
//! (`#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec`, inside a one-element `allOf` beside
//! the field's description, as kube-openapi writes them), `required` lists and unwrapped
//! descriptions (kubectl explain wraps them at 76 columns itself).
//!
//! One truth: the schemas are read from `www/explain.txt`, which the built-in `kubectl explain`
//! prints from (generated from k8s-openapi by `tests/api_explain.rs`), so the real kubectl explain
//! against `serve` prints what the built-in one prints. Native only: the page fetches that file
//! on demand and its module does not carry this copy.
//!
//! Simplified: no enums, formats or defaults (the docs have none); no strategic-merge-patch
//! metadata (`x-kubernetes-patch-merge-key`, `x-kubernetes-list-type`), so the PATCH operations
//! advertise no request body: kubectl apply then finds no v3 patch support for the kind and
//! builds its strategic merge patch from its own Go types, which carry the real merge keys (and
//! `/openapi/v2`, its next choice, is not served). No `hash` in the root's URLs, so kubectl
//! fetches a document each time it needs one instead of caching it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::{group_versions, gv_path, SERVER_GIT_VERSION};
use crate::sim::api::resources::{ResourceInfo, RESOURCES};
use crate::sim::kubectl::explain::definition;

/// kubectl explain's docs, the schemas' one source: definitions, fields, descriptions.
pub const EXPLAIN_DOCS: &str = include_str!("../../www/explain.txt");

/// The prefix every definition name in the docs leaves out.
const PREFIX: &str = "io.k8s.";

fn schema_ref(short: &str) -> String {
    format!("#/components/schemas/{PREFIX}{short}")
}

/// `/openapi/v3`: one entry per group-version, pointing at its document.
pub fn openapi_root() -> Value {
    let paths: Map<String, Value> = group_versions()
        .into_iter()
        .map(|(g, v)| {
            let path = gv_path(g, v);
            let url = format!("/openapi/v3/{path}");
            (path, json!({ "serverRelativeURL": url }))
        })
        .collect();
    json!({ "paths": paths })
}

/// A field's schema from its type as explain prints it (`[]Container`, `map[string]string`,
/// `ObjectMeta`, `integer`) and the definition it leads to.
fn field_schema(printed: &str, reference: Option<&str>) -> Value {
    if let Some(items) = printed.strip_prefix("[]") {
        json!({"type": "array", "items": field_schema(items, reference)})
    } else if let Some(values) = printed.strip_prefix("map[string]") {
        json!({"type": "object", "additionalProperties": field_schema(values, reference)})
    } else if let Some(reference) = reference {
        json!({"$ref": schema_ref(reference)})
    } else if printed == "Object" {
        json!({"type": "object"})
    } else {
        json!({ "type": printed })
    }
}

/// The type a definition's schema has: the primitive kubectl explain prints for a field of it
/// (`string` for `Time`, which OpenAPI serves as a string), `object` for one with fields, none
/// for the rest (`IntOrString`, `Quantity`), which explain names by the definition.
fn schema_type(printed_as: Option<&str>, has_fields: bool) -> Option<&str> {
    match printed_as {
        Some(t @ ("string" | "integer" | "number" | "boolean")) => Some(t),
        _ => has_fields.then_some("object"),
    }
}

/// `components.schemas` for these kinds: every definition they reach, each kind's with its
/// group-version-kind.
fn schemas(kinds: &[&ResourceInfo]) -> Map<String, Value> {
    let kind_definitions: BTreeMap<&str, &str> = EXPLAIN_DOCS
        .lines()
        .filter_map(|l| l.strip_prefix("kind ")?.split_once(' '))
        .collect();
    let mut gvks: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    let mut todo: Vec<&str> = Vec::new();
    for r in kinds {
        if let Some(def) = kind_definitions.get(r.kind) {
            gvks.entry(def)
                .or_default()
                .push(json!({"group": r.group, "version": r.version, "kind": r.kind}));
            todo.push(def);
        }
    }
    // Every reachable definition, and how explain prints a field of it (the element's type).
    let mut seen: BTreeSet<&str> = todo.iter().copied().collect();
    let mut printed_as: BTreeMap<&str, &str> = BTreeMap::new();
    while let Some(name) = todo.pop() {
        let Some((_, fields)) = definition(EXPLAIN_DOCS, name) else {
            continue;
        };
        for (_, printed, reference, _, _) in fields {
            let Some(reference) = reference else { continue };
            let element = printed
                .trim_start_matches("[]")
                .trim_start_matches("map[string]");
            printed_as.entry(reference).or_insert(element);
            if seen.insert(reference) {
                todo.push(reference);
            }
        }
    }
    let mut out = Map::new();
    for name in seen {
        let Some((doc, fields)) = definition(EXPLAIN_DOCS, name) else {
            continue;
        };
        let mut properties = Map::new();
        let mut required = Vec::new();
        for (field, printed, reference, is_required, field_doc) in fields {
            let mut schema = field_schema(printed, reference);
            if schema.get("$ref").is_some() {
                // OpenAPI 3.0 ignores the siblings of a `$ref`: kube-openapi wraps it.
                schema = json!({ "allOf": [schema] });
            }
            if !field_doc.is_empty() {
                schema["description"] = json!(unescape(field_doc));
            }
            properties.insert(field.to_string(), schema);
            if is_required {
                required.push(field);
            }
        }
        let mut schema = Map::new();
        if !doc.is_empty() {
            schema.insert("description".into(), json!(unescape(doc)));
        }
        if let Some(t) = schema_type(printed_as.get(name).copied(), !properties.is_empty()) {
            schema.insert("type".into(), json!(t));
        }
        if !properties.is_empty() {
            schema.insert("properties".into(), Value::Object(properties));
        }
        if !required.is_empty() {
            schema.insert("required".into(), json!(required));
        }
        if let Some(gvk) = gvks.remove(name) {
            schema.insert("x-kubernetes-group-version-kind".into(), json!(gvk));
        }
        out.insert(format!("{PREFIX}{name}"), Value::Object(schema));
    }
    out
}

/// The docs write each newline of a description as `\n`.
fn unescape(doc: &str) -> String {
    doc.replace("\\n", "\n")
}

/// `/openapi/v3/apis/apps/v1`: the paths of each served kind and the schemas they use. The
/// `fieldValidation` query parameter is how kubectl learns that the server validates fields
/// itself: it then sends `fieldValidation=Strict` and leaves the check to the apiserver.
pub fn openapi_document(group: &str, version: &str) -> Option<Value> {
    let served: Vec<&ResourceInfo> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .collect();
    if served.is_empty() {
        return None;
    }
    let root = format!("/{}", gv_path(group, version));
    let field_validation = json!({
        "name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}
    });
    let mut paths = Map::new();
    for r in &served {
        let gvk = json!({"group": group, "version": version, "kind": r.kind});
        let op = |action: &str| {
            json!({
                "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": gvk,
                "parameters": [field_validation],
                "responses": {"200": {"description": "OK"}},
            })
        };
        let collection = if r.namespaced {
            format!("{root}/namespaces/{{namespace}}/{}", r.plural)
        } else {
            format!("{root}/{}", r.plural)
        };
        paths.insert(
            format!("{collection}/{{name}}"),
            json!({"get": op("get"), "put": op("put"), "patch": op("patch"), "delete": op("delete")}),
        );
        paths.insert(collection, json!({"get": op("list"), "post": op("post")}));
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": SERVER_GIT_VERSION},
        "paths": paths,
        "components": {"schemas": schemas(&served)},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemas_of(group: &str) -> Map<String, Value> {
        let doc = openapi_document(group, "v1").expect("a served group-version");
        doc["components"]["schemas"].as_object().unwrap().clone()
    }

    #[test]
    fn each_kind_has_its_group_version_kind_and_its_fields() {
        let apps = schemas_of("apps");
        let deployment = &apps["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(
            deployment["x-kubernetes-group-version-kind"],
            json!([{"group": "apps", "version": "v1", "kind": "Deployment"}])
        );
        assert_eq!(deployment["type"], "object");
        assert_eq!(
            deployment["properties"]["spec"]["allOf"],
            json!([{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}])
        );
        let spec = &apps["io.k8s.api.apps.v1.DeploymentSpec"];
        assert_eq!(spec["required"], json!(["selector", "template"]));
        assert_eq!(spec["properties"]["replicas"]["type"], "integer");
        // Definitions of other groups that a kind reaches are in its group-version's document,
        // without a group-version-kind of their own.
        let pod_spec = &apps["io.k8s.api.core.v1.PodSpec"];
        assert_eq!(
            pod_spec["properties"]["containers"]["items"],
            json!({"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"})
        );
        assert!(apps.contains_key("io.k8s.api.core.v1.Container"));
        assert!(
            !apps.contains_key("io.k8s.api.core.v1.Pod"),
            "Pod is core's"
        );
        let core = schemas_of("");
        assert_eq!(
            core["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"],
            json!([{"group": "", "version": "v1", "kind": "Pod"}])
        );
        assert!(core["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]
            .get("x-kubernetes-group-version-kind")
            .is_none());
        // Time is served as a string, which explain prints as `string`.
        assert_eq!(
            core["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]["type"],
            "string"
        );
        assert_eq!(
            core["io.k8s.api.core.v1.ConfigMap"]["properties"]["data"],
            json!({"type": "object", "additionalProperties": {"type": "string"},
                "description": core["io.k8s.api.core.v1.ConfigMap"]["properties"]["data"]["description"]})
        );
    }

    #[test]
    fn descriptions_are_unwrapped_for_kubectl_to_wrap() {
        let apps = schemas_of("apps");
        let doc = apps["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]
            ["progressDeadlineSeconds"]["description"]
            .as_str()
            .unwrap();
        assert!(
            doc.starts_with(
                "The maximum time in seconds for a deployment to make progress before it is considered to be failed."
            ),
            "{doc}"
        );
        assert!(!doc.contains('\n'), "{doc}");
        // The explain docs wrapped this one after `YAML`.
        let core = schemas_of("");
        let time = core["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]["description"]
            .as_str()
            .unwrap();
        assert!(time.contains("marshaling to YAML and JSON."), "{time}");
    }

    #[test]
    fn every_ref_names_a_schema_of_the_same_document() {
        for (group, version) in group_versions() {
            let Some(doc) = openapi_document(group, version) else {
                continue;
            };
            let schemas = doc["components"]["schemas"].as_object().unwrap();
            let text = doc.to_string();
            let mut refs = 0;
            for piece in text.split("\"$ref\":\"").skip(1) {
                let target = &piece[..piece.find('"').unwrap()];
                let name = target.strip_prefix("#/components/schemas/").unwrap();
                assert!(schemas.contains_key(name), "{group}/{version}: {target}");
                refs += 1;
            }
            assert!(refs > 0, "{group}/{version} has no refs");
        }
        assert!(openapi_document("apps", "v9").is_none());
    }

    #[test]
    fn no_patch_operation_offers_a_strategic_merge_patch_body() {
        // kubectl apply would then compute its patches from these schemas, which have no merge keys.
        let doc = openapi_document("apps", "v1").unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            if let Some(patch) = item.get("patch") {
                assert!(patch.get("requestBody").is_none(), "{path}");
            }
        }
    }
}
