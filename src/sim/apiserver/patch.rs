//! The three patch types kubectl sends.
//!
//! Mirrors: RFC 7386 JSON merge patch; `k8s.io/apimachinery/pkg/util/strategicpatch` (lists merged
//! by the `patchMergeKey` of their Go field, `$patch: delete|replace` directives,
//! `$deleteFromPrimitiveList/<field>`); RFC 6902 JSON patch (add, remove, replace, move, copy, test)
//! with the error texts of `evanphx/json-patch`.
//! Simplified: merge keys come from a table of field names (with the parent field to tell container
//! ports from service ports) instead of the Go struct tags; `$setElementOrder` and `$retainKeys`
//! are accepted and ignored (the merged order is: existing items, then new ones).

use serde_json::{Map, Value};

/// How a list field is patched strategically: merged by a key, merged as a set, or replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListStrategy {
    MergeByKey(&'static str),
    /// Primitive lists with `patchStrategy:"merge"` (metadata.finalizers): a union.
    MergeSet,
    Replace,
}

/// The patch strategy of list field `field` whose parent field is `parent` (the enclosing object's
/// field name, or "" at the top). From the `patchStrategy`/`patchMergeKey` tags in k8s.io/api.
pub fn list_strategy(parent: &str, field: &str) -> ListStrategy {
    use ListStrategy::*;
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "resourceClaims" => MergeByKey("name"),
        "hostAliases" => MergeByKey("ip"),
        "ports"
            if matches!(
                parent,
                "containers" | "initContainers" | "ephemeralContainers"
            ) =>
        {
            MergeByKey("containerPort")
        }
        "ports" => MergeByKey("port"),
        "volumeMounts" => MergeByKey("mountPath"),
        "volumeDevices" => MergeByKey("devicePath"),
        "conditions" => MergeByKey("type"),
        "addresses" if parent == "status" => MergeByKey("type"),
        "ownerReferences" => MergeByKey("uid"),
        "topologySpreadConstraints" => MergeByKey("topologyKey"),
        "finalizers" if parent == "metadata" => MergeSet,
        _ => Replace,
    }
}

/// RFC 7386: objects merge recursively, `null` deletes, anything else replaces.
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let Value::Object(patch_map) = patch else {
        return patch.clone();
    };
    let mut result = match target {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    for (k, v) in patch_map {
        if v.is_null() {
            result.remove(k);
        } else {
            let merged = merge_patch(result.get(k).unwrap_or(&Value::Null), v);
            result.insert(k.clone(), merged);
        }
    }
    Value::Object(result)
}

/// A strategic merge patch over `target`; Err is the apiserver's 400/422 message.
pub fn strategic_merge_patch(target: &Value, patch: &Value) -> Result<Value, String> {
    strategic_object(target, patch, "")
}

fn strategic_object(target: &Value, patch: &Value, parent: &str) -> Result<Value, String> {
    let Value::Object(patch_map) = patch else {
        return Ok(patch.clone());
    };
    if patch_map.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut replaced = patch_map.clone();
        replaced.remove("$patch");
        return Ok(Value::Object(replaced));
    }
    if let Some(directive) = patch_map.get("$patch") {
        if directive.as_str() != Some("delete") {
            return Err(format!("Unknown patch type: {directive}"));
        }
    }
    let mut result = match target {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    for (k, v) in patch_map {
        if k == "$patch" || k == "$retainKeys" || k.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            let remove: Vec<&Value> = v.as_array().map(|a| a.iter().collect()).unwrap_or_default();
            if let Some(Value::Array(items)) = result.get_mut(field) {
                items.retain(|x| !remove.contains(&x));
            }
            continue;
        }
        if v.is_null() {
            result.remove(k);
            continue;
        }
        let existing = result.get(k).cloned().unwrap_or(Value::Null);
        let merged = match (v, &existing) {
            (Value::Array(patch_items), _) => {
                strategic_list(existing.as_array(), patch_items, parent, k)?
            }
            (Value::Object(obj), _)
                if obj.get("$patch").and_then(Value::as_str) == Some("delete") =>
            {
                result.remove(k);
                continue;
            }
            (Value::Object(_), _) => strategic_object(&existing, v, k)?,
            _ => v.clone(),
        };
        result.insert(k.clone(), merged);
    }
    Ok(Value::Object(result))
}

fn strategic_list(
    existing: Option<&Vec<Value>>,
    patch: &[Value],
    parent: &str,
    field: &str,
) -> Result<Value, String> {
    let mut items: Vec<Value> = existing.cloned().unwrap_or_default();
    match list_strategy(parent, field) {
        ListStrategy::Replace => Ok(Value::Array(
            patch
                .iter()
                .filter(|p| p.get("$patch").is_none())
                .cloned()
                .collect(),
        )),
        ListStrategy::MergeSet => {
            for p in patch {
                if !items.contains(p) {
                    items.push(p.clone());
                }
            }
            Ok(Value::Array(items))
        }
        ListStrategy::MergeByKey(key) => {
            for p in patch {
                if p.get("$patch").and_then(Value::as_str) == Some("replace") {
                    let mut only: Vec<Value> = Vec::new();
                    for q in patch.iter().filter(|q| q.get("$patch").is_none()) {
                        only.push(q.clone());
                    }
                    return Ok(Value::Array(only));
                }
                let Some(id) = p.get(key) else {
                    return Err(format!(
                        "map: {p} does not contain declared merge key: {key}"
                    ));
                };
                let position = items.iter().position(|x| x.get(key) == Some(id));
                let delete = p.get("$patch").and_then(Value::as_str) == Some("delete");
                match (position, delete) {
                    (Some(i), true) => {
                        items.remove(i);
                    }
                    (None, true) => {}
                    (Some(i), false) => items[i] = strategic_object(&items[i], p, field)?,
                    (None, false) => items.push(strategic_object(&Value::Null, p, field)?),
                }
            }
            Ok(Value::Array(items))
        }
    }
}

/// Unescapes one RFC 6901 reference token.
fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn split_pointer(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("JSON pointer must start with '/': {path:?}"));
    };
    Ok(rest.split('/').map(unescape).collect())
}

fn get_parent<'a>(doc: &'a mut Value, tokens: &[String]) -> Option<&'a mut Value> {
    let mut cursor = doc;
    for t in tokens {
        cursor = match cursor {
            Value::Object(m) => m.get_mut(t)?,
            Value::Array(a) => a.get_mut(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cursor)
}

fn remove_at(doc: &mut Value, path: &str, op: &str) -> Result<Value, String> {
    let tokens = split_pointer(path)?;
    let missing = || format!("{op} operation does not apply: doc is missing path: \"{path}\"");
    let Some((last, parents)) = tokens.split_last() else {
        return Err(missing());
    };
    match get_parent(doc, parents) {
        Some(Value::Object(m)) => m.remove(last).ok_or_else(missing),
        Some(Value::Array(a)) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => Ok(a.remove(i)),
            _ => Err(missing()),
        },
        _ => Err(missing()),
    }
}

fn add_at(doc: &mut Value, path: &str, value: Value, replace: bool) -> Result<(), String> {
    let op = if replace { "replace" } else { "add" };
    let tokens = split_pointer(path)?;
    let missing = || format!("{op} operation does not apply: doc is missing path: \"{path}\"");
    let Some((last, parents)) = tokens.split_last() else {
        *doc = value;
        return Ok(());
    };
    match get_parent(doc, parents) {
        Some(Value::Object(m)) => {
            if replace && !m.contains_key(last) {
                return Err(missing());
            }
            m.insert(last.clone(), value);
            Ok(())
        }
        Some(Value::Array(a)) => {
            if replace {
                let i = last.parse::<usize>().map_err(|_| missing())?;
                let slot = a.get_mut(i).ok_or_else(missing)?;
                *slot = value;
                return Ok(());
            }
            if last == "-" {
                a.push(value);
                return Ok(());
            }
            match last.parse::<usize>() {
                Ok(i) if i <= a.len() => {
                    a.insert(i, value);
                    Ok(())
                }
                _ => Err(missing()),
            }
        }
        _ => Err(missing()),
    }
}

fn lookup(doc: &Value, path: &str) -> Option<Value> {
    let mut cursor = doc;
    for t in split_pointer(path).ok()? {
        cursor = match cursor {
            Value::Object(m) => m.get(&t)?,
            Value::Array(a) => a.get(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cursor.clone())
}

/// RFC 6902: applies the operations in order; any failure fails the whole patch.
pub fn json_patch(target: &Value, patch: &Value) -> Result<Value, String> {
    let Some(ops) = patch.as_array() else {
        return Err("json: cannot unmarshal object into Go value of type jsonpatch.Patch".into());
    };
    let mut doc = target.clone();
    for op in ops {
        let kind = op.get("op").and_then(Value::as_str).unwrap_or("");
        let path = op.get("path").and_then(Value::as_str);
        let from = op.get("from").and_then(Value::as_str);
        let value = op.get("value").cloned();
        let need = |what: Option<&str>, name: &str| {
            what.map(str::to_string)
                .ok_or_else(|| format!("{kind} operation missing {name} field"))
        };
        match kind {
            "add" | "replace" => {
                let path = need(path, "path")?;
                let value = value.ok_or_else(|| format!("{kind} operation missing value"))?;
                add_at(&mut doc, &path, value, kind == "replace")?;
            }
            "remove" => {
                remove_at(&mut doc, &need(path, "path")?, "remove")?;
            }
            "move" => {
                let moved = remove_at(&mut doc, &need(from, "from")?, "move")?;
                add_at(&mut doc, &need(path, "path")?, moved, false)?;
            }
            "copy" => {
                let from = need(from, "from")?;
                let copied = lookup(&doc, &from).ok_or_else(|| {
                    format!("copy operation does not apply: doc is missing from path: \"{from}\"")
                })?;
                add_at(&mut doc, &need(path, "path")?, copied, false)?;
            }
            "test" => {
                let path = need(path, "path")?;
                if lookup(&doc, &path) != value {
                    return Err(format!("testing value {path} failed: test failed"));
                }
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_merge_patch_null_deletes_and_lists_replace() {
        let out = merge_patch(
            &json!({"a": 1, "b": {"c": 2, "d": 3}, "l": [1, 2]}),
            &json!({"b": {"c": null, "e": 4}, "l": [9]}),
        );
        assert_eq!(out, json!({"a": 1, "b": {"d": 3, "e": 4}, "l": [9]}));
    }

    #[test]
    fn a_strategic_patch_merges_containers_by_name_and_ports_by_container_port() {
        let pod = json!({"spec": {"containers": [
            {"name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80}]},
            {"name": "side", "image": "busybox"}]}});
        let patch = json!({"spec": {"containers": [
            {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 443}]}]}});
        let out = strategic_merge_patch(&pod, &patch).unwrap();
        assert_eq!(out["spec"]["containers"][0]["image"], "nginx:1.27");
        assert_eq!(
            out["spec"]["containers"][0]["ports"],
            json!([{"containerPort": 80}, {"containerPort": 443}])
        );
        assert_eq!(out["spec"]["containers"][1]["image"], "busybox");
    }

    #[test]
    fn a_strategic_patch_replaces_tolerations_and_deletes_by_directive() {
        let pod = json!({"spec": {"tolerations": [{"key": "a"}], "volumes": [{"name": "v"}, {"name": "w"}]}});
        let patch = json!({"spec": {"tolerations": [{"key": "b"}], "volumes": [{"name": "v", "$patch": "delete"}]}});
        let out = strategic_merge_patch(&pod, &patch).unwrap();
        assert_eq!(out["spec"]["tolerations"], json!([{"key": "b"}]));
        assert_eq!(out["spec"]["volumes"], json!([{"name": "w"}]));
    }

    #[test]
    fn finalizers_merge_as_a_set_and_delete_from_primitive_list() {
        let obj = json!({"metadata": {"finalizers": ["a", "b"]}});
        let out =
            strategic_merge_patch(&obj, &json!({"metadata": {"finalizers": ["b", "c"]}})).unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["a", "b", "c"]));
        let out = strategic_merge_patch(
            &obj,
            &json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}),
        )
        .unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["b"]));
    }

    #[test]
    fn a_json_patch_applies_in_order_and_fails_whole_on_a_missing_path() {
        let doc = json!({"spec": {"replicas": 1, "l": [1, 2]}});
        let out = json_patch(
            &doc,
            &json!([
                {"op": "replace", "path": "/spec/replicas", "value": 3},
                {"op": "add", "path": "/spec/l/-", "value": 3},
                {"op": "remove", "path": "/spec/l/0"},
                {"op": "copy", "from": "/spec/replicas", "path": "/spec/copied"},
                {"op": "test", "path": "/spec/copied", "value": 3}
            ]),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"spec": {"replicas": 3, "l": [2, 3], "copied": 3}})
        );
        let err = json_patch(
            &doc,
            &json!([{"op": "replace", "path": "/spec/nope", "value": 1}]),
        )
        .unwrap_err();
        assert_eq!(
            err,
            "replace operation does not apply: doc is missing path: \"/spec/nope\""
        );
    }
}
