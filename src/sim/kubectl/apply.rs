//! Client-side `kubectl apply`: the last-applied annotation and the three-way patch.
//!
//! Mirrors: kubectl's `apply` (`GetModifiedConfiguration` and the strategic three-way merge of
//! apimachinery's `strategicpatch.CreateThreeWayMergePatch`): the patch sets what the manifest
//! (modified) changes against the live object (current), and deletes what the previous manifest
//! (original, from the annotation) had and the new one dropped. Lists with an upstream patch
//! merge key (`containers` by `name`, container `ports` by `containerPort`, ...) are merged element
//! by element; other lists are replaced whole.
//! A merged list that changes comes with its `$setElementOrder` directive (the order of the
//! manifest's elements by their merge keys).
//! Simplified: no `$setElementOrder` or `$deleteFromPrimitiveList` for lists of strings
//! (`finalizers`), no `retainKeys`; the patch merge keys are a small table of the fields students
//! apply, not the Go types' tags.

use crate::sim::api::JsonPointer;
use serde_json::{Map, Value};

/// The annotation client-side apply keeps its memory in.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The manifest as it is stored in the annotation, and the manifest with the annotation set:
/// kubectl serializes the object without the annotation itself (so `annotations: {}` appears
/// when it had none) and appends a newline.
pub fn with_last_applied(manifest: &Value) -> (String, Value) {
    let mut original = manifest.clone();
    if let Some(meta) = original.get_mut("metadata").and_then(Value::as_object_mut) {
        let annotations = meta
            .entry("annotations")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(map) = annotations.as_object_mut() {
            map.remove(LAST_APPLIED);
        } else {
            *annotations = Value::Object(Map::new());
        }
    }
    let text = format!(
        "{}\n",
        serde_json::to_string(&original).unwrap_or_else(|_| "{}".to_string())
    );
    let mut modified = original;
    if let Some(map) = modified
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        map.insert(LAST_APPLIED.to_string(), Value::String(text.clone()));
    }
    (text, modified)
}

/// The previous manifest stored on a live object, if any.
pub fn original_of(current: &Value) -> Option<Value> {
    current
        .ptr("/metadata/annotations")
        .and_then(|a| a.get(LAST_APPLIED))
        .and_then(Value::as_str)
        .and_then(|text| crate::sim::api::json_from_str(text).ok())
}

/// The strategic-merge patch that turns `current` into what `modified` asks for, deleting the
/// fields `original` set and `modified` no longer does. An empty object means "unchanged".
pub fn three_way_patch(original: Option<&Value>, modified: &Value, current: &Value) -> Value {
    let empty = Value::Object(Map::new());
    let original = original.unwrap_or(&empty);
    match diff_map(original, modified, current, "") {
        Some(patch) => patch,
        None => empty,
    }
}

/// The upstream `patchMergeKey` for a list field, judged by its name and its elements.
fn merge_key(field: &str, items: &[Value]) -> Option<&'static str> {
    let has = |key: &str| items.iter().all(|i| i.get(key).is_some());
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "hostAliases" => Some("ip"),
        "conditions" => Some("type"),
        "topologySpreadConstraints" => Some("topologyKey"),
        // Container ports merge by containerPort, Service ports by port.
        "ports" if has("containerPort") => Some("containerPort"),
        "ports" if has("port") => Some("port"),
        _ => None,
    }
}

fn diff_map(original: &Value, modified: &Value, current: &Value, _path: &str) -> Option<Value> {
    let (Some(m), cur) = (modified.as_object(), current.as_object()) else {
        return if modified == current {
            None
        } else {
            Some(modified.clone())
        };
    };
    let empty = Map::new();
    let c = cur.unwrap_or(&empty);
    let o = original.as_object().unwrap_or(&empty);
    let mut patch = Map::new();
    // Deletions: in the last manifest, gone from this one.
    for key in o.keys() {
        if !m.contains_key(key) && c.contains_key(key) {
            patch.insert(key.clone(), Value::Null);
        }
    }
    for (key, mv) in m {
        let cv = c.get(key);
        let ov = o.get(key).unwrap_or(&Value::Null);
        match (mv, cv) {
            (_, None) => {
                patch.insert(key.clone(), mv.clone());
            }
            (Value::Object(_), Some(cv @ Value::Object(_))) => {
                if let Some(sub) = diff_map(ov, mv, cv, key) {
                    patch.insert(key.clone(), sub);
                }
            }
            (Value::Array(ms), Some(Value::Array(cs))) => {
                if let Some(sub) = diff_list(key, ov.as_array().map(Vec::as_slice), ms, cs) {
                    // A merged list that changes comes with the order the manifest wants:
                    // `$setElementOrder/containers: [{name: nginx}, ...]`.
                    if let Some(merge) = merge_key(key, ms) {
                        let order = ms
                            .iter()
                            .filter_map(|item| {
                                let mut entry = Map::new();
                                entry.insert(merge.to_string(), item.get(merge)?.clone());
                                Some(Value::Object(entry))
                            })
                            .collect();
                        patch.insert(format!("$setElementOrder/{key}"), Value::Array(order));
                    }
                    patch.insert(key.clone(), sub);
                }
            }
            (mv, Some(cv)) => {
                if mv != cv {
                    patch.insert(key.clone(), mv.clone());
                }
            }
        }
    }
    if patch.is_empty() {
        None
    } else {
        Some(Value::Object(patch))
    }
}

fn diff_list(
    field: &str,
    original: Option<&[Value]>,
    modified: &[Value],
    current: &[Value],
) -> Option<Value> {
    let Some(key) = merge_key(field, modified) else {
        return if modified == current {
            None
        } else {
            Some(Value::Array(modified.to_vec()))
        };
    };
    let find = |list: &[Value], k: &Value| list.iter().find(|i| i.get(key) == Some(k)).cloned();
    let mut out = Vec::new();
    for item in modified {
        let Some(k) = item.get(key) else { continue };
        let orig = original.and_then(|o| find(o, k)).unwrap_or(Value::Null);
        match find(current, k) {
            None => out.push(item.clone()),
            Some(cur) => {
                if let Some(Value::Object(mut sub)) = diff_map(&orig, item, &cur, field) {
                    sub.insert(key.to_string(), k.clone());
                    out.push(Value::Object(sub));
                }
            }
        }
    }
    for item in original.unwrap_or(&[]) {
        let Some(k) = item.get(key) else { continue };
        let still_wanted = modified.iter().any(|m| m.get(key) == Some(k));
        if !still_wanted && find(current, k).is_some() {
            let mut directive = Map::new();
            directive.insert(key.to_string(), k.clone());
            directive.insert("$patch".to_string(), Value::String("delete".to_string()));
            out.push(Value::Object(directive));
        }
    }
    if out.is_empty() {
        None
    } else {
        Some(Value::Array(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(replicas: i64, image: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [
                {"name": "nginx", "image": image}]}}}})
    }

    /// What the apiserver would hold after creating `manifest`: defaults and status added.
    fn live(manifest: &Value) -> Value {
        let (_, mut obj) = with_last_applied(manifest);
        obj["metadata"]["uid"] = json!("u-1");
        obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = json!("Always");
        obj["status"] = json!({"replicas": 1});
        obj
    }

    #[test]
    fn the_annotation_holds_the_manifest_without_itself_and_ends_with_a_newline() {
        let (text, modified) = with_last_applied(&deployment(1, "nginx"));
        assert!(text.ends_with("}\n"));
        assert!(text.contains("\"annotations\":{}"), "{text}");
        assert_eq!(
            modified
                .ptr("/metadata/annotations")
                .and_then(|a| a.get(LAST_APPLIED)),
            Some(&Value::String(text))
        );
    }

    #[test]
    fn applying_the_same_manifest_again_patches_nothing() {
        let manifest = deployment(1, "nginx");
        let current = live(&manifest);
        let (_, modified) = with_last_applied(&manifest);
        let original = original_of(&current);
        assert_eq!(
            three_way_patch(original.as_ref(), &modified, &current),
            json!({})
        );
    }

    #[test]
    fn a_changed_image_patches_only_that_container_by_name() {
        let current = live(&deployment(1, "nginx"));
        let (text, modified) = with_last_applied(&deployment(1, "nginx:1.25"));
        let patch = three_way_patch(original_of(&current).as_ref(), &modified, &current);
        assert_eq!(
            patch,
            json!({"metadata": {"annotations": {LAST_APPLIED: text}},
                "spec": {"template": {"spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}],
                    "containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}})
        );
    }

    #[test]
    fn a_field_dropped_from_the_manifest_is_deleted_but_server_fields_stay() {
        let current = live(&deployment(3, "nginx"));
        let mut manifest = deployment(3, "nginx");
        if let Some(spec) = manifest["spec"].as_object_mut() {
            spec.remove("replicas");
        }
        let (_, modified) = with_last_applied(&manifest);
        let patch = three_way_patch(original_of(&current).as_ref(), &modified, &current);
        assert_eq!(patch.ptr("/spec/replicas"), Some(&Value::Null));
        assert_eq!(patch.ptr("/status"), None);
        assert_eq!(patch.ptr("/metadata/uid"), None);
    }

    #[test]
    fn a_container_dropped_from_the_manifest_gets_a_delete_directive() {
        let mut two = deployment(1, "nginx");
        two["spec"]["template"]["spec"]["containers"] =
            json!([{"name": "nginx", "image": "nginx"}, {"name": "side", "image": "busybox"}]);
        let current = live(&two);
        let (_, modified) = with_last_applied(&deployment(1, "nginx"));
        let patch = three_way_patch(original_of(&current).as_ref(), &modified, &current);
        assert_eq!(
            patch.ptr("/spec/template/spec/containers"),
            Some(&json!([{"name": "side", "$patch": "delete"}]))
        );
        assert_eq!(
            patch.ptr("/spec/template/spec/$setElementOrder~1containers"),
            Some(&json!([{"name": "nginx"}]))
        );
    }
}
