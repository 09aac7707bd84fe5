//! Server-side apply and the field ownership it keeps in `metadata.managedFields`.
//!
//! Mirrors: `k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager` over
//! `sigs.k8s.io/structured-merge-diff`: a field set per manager (`fieldsV1`: `f:<field>`,
//! `k:{"<key>":<value>}` for an item of a list merged by key, `v:<value>` for an item of a set,
//! `.` for an item owned as a whole), an apply that conflicts when it sets a field another manager
//! owns to another value (`409 Conflict`, "Apply failed with 1 conflict: conflict with
//! \"kubectl-scale\" using apps/v1: .spec.replicas"), `force=true` that takes such fields over,
//! an apply that removes the fields its manager applied before and no one else owns, and updates
//! that move the fields they change to their manager (operation `Update`).
//! Simplified: lists merge by the strategic-merge keys of [`super::patch::list_strategy`] (one
//! key, where the OpenAPI schema lists `containerPort` and `protocol` for ports); only objects
//! that were applied once carry managedFields (a create or update of any other object records
//! none), so the first apply to such an object finds its fields owned by `before-first-apply`,
//! as kube-apiserver does for objects stored before it tracked ownership.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::patch::{list_strategy, strategic_merge_patch, ListStrategy};
use super::request::{ApiError, StatusCause, StatusReason};

/// One field: the `fieldsV1` keys from the object's root to it.
type FieldPath = Vec<String>;
type FieldSet = BTreeSet<FieldPath>;

/// The manager kube-apiserver names the fields of an object stored before managedFields.
const BEFORE_FIRST_APPLY: &str = "before-first-apply";

/// Metadata the apiserver sets: never in a field set.
const SYSTEM_METADATA: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
    "managedFields",
];

/// One `managedFields` entry, read.
#[derive(Clone, Debug)]
struct Entry {
    manager: String,
    operation: String,
    api_version: String,
    subresource: String,
    time: String,
    fields: FieldSet,
}

impl Entry {
    fn same_owner(&self, other: &Entry) -> bool {
        self.manager == other.manager
            && self.operation == other.operation
            && self.subresource == other.subresource
            && (self.operation == "Apply" || self.api_version == other.api_version)
    }

    /// How a conflict names this manager: `"kubectl-scale" using apps/v1` for an update.
    fn describe(&self) -> String {
        let mut text = format!("{:?}", self.manager);
        if !self.subresource.is_empty() {
            text += &format!(" with subresource {:?}", self.subresource);
        }
        if self.operation == "Update" {
            text += &format!(" using {}", self.api_version);
        }
        text
    }

    fn to_value(&self) -> Value {
        let mut entry = Map::new();
        entry.insert("apiVersion".into(), json!(self.api_version));
        entry.insert("fieldsType".into(), json!("FieldsV1"));
        entry.insert("fieldsV1".into(), fields_v1(&self.fields));
        entry.insert("manager".into(), json!(self.manager));
        entry.insert("operation".into(), json!(self.operation));
        if !self.subresource.is_empty() {
            entry.insert("subresource".into(), json!(self.subresource));
        }
        entry.insert("time".into(), json!(self.time));
        Value::Object(entry)
    }
}

/// The object's managedFields, read; None when it has none.
fn entries(object: &Value) -> Option<Vec<Entry>> {
    let list = object.get("metadata")?.get("managedFields")?.as_array()?;
    let read = list
        .iter()
        .filter_map(|e| {
            let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let mut fields = FieldSet::new();
            read_fields_v1(e.get("fieldsV1")?, &mut Vec::new(), &mut fields);
            Some(Entry {
                manager: s("manager"),
                operation: s("operation"),
                api_version: s("apiVersion"),
                subresource: s("subresource"),
                time: s("time"),
                fields,
            })
        })
        .collect::<Vec<_>>();
    (!read.is_empty()).then_some(read)
}

fn set_entries(object: &mut Value, list: &[Entry]) {
    let values: Vec<Value> = list
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(Entry::to_value)
        .collect();
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        if values.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(values));
        }
    }
}

/// The fields `object` sets, as a field set. `status` is left out unless `status` is true, and
/// then only status is in.
fn field_set(object: &Value, status: bool) -> FieldSet {
    let mut out = FieldSet::new();
    let Some(map) = object.as_object() else {
        return out;
    };
    for (key, value) in map {
        let wanted = match key.as_str() {
            "apiVersion" | "kind" => false,
            "status" => status,
            _ => !status,
        };
        if !wanted {
            continue;
        }
        let mut path = vec![format!("f:{key}")];
        if key == "metadata" {
            for (field, v) in value.as_object().into_iter().flatten() {
                if SYSTEM_METADATA.contains(&field.as_str()) {
                    continue;
                }
                path.push(format!("f:{field}"));
                collect(v, "metadata", field, &mut path, &mut out);
                path.pop();
            }
        } else {
            collect(value, "", key, &mut path, &mut out);
        }
    }
    out
}

/// Adds the leaves under `value` (field `field` of an object that is field `parent` of its own).
fn collect(value: &Value, parent: &str, field: &str, path: &mut FieldPath, out: &mut FieldSet) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                path.push(format!("f:{k}"));
                collect(v, field, k, path, out);
                path.pop();
            }
        }
        Value::Array(items) => match list_strategy(parent, field) {
            ListStrategy::MergeByKey(key) => {
                for item in items {
                    let Some(k) = item.get(key) else { continue };
                    path.push(format!("k:{{{:?}:{k}}}", key));
                    out.insert(path.clone());
                    for (f, v) in item.as_object().into_iter().flatten() {
                        path.push(format!("f:{f}"));
                        collect(v, field, f, path, out);
                        path.pop();
                    }
                    path.pop();
                }
            }
            ListStrategy::MergeSet => {
                for item in items {
                    path.push(format!("v:{item}"));
                    out.insert(path.clone());
                    path.pop();
                }
            }
            ListStrategy::Replace => {
                out.insert(path.clone());
            }
        },
        _ => {
            out.insert(path.clone());
        }
    }
}

/// The `fieldsV1` object of a field set: each field a key, `{}` at a leaf, `.` where an owned
/// item also has owned fields.
fn fields_v1(fields: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in fields {
        let mut node = &mut root;
        for element in path {
            node = node
                .entry(element.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("fieldsV1 nodes are objects");
        }
    }
    // An owned path that has children is marked with ".".
    fn mark(node: &mut Map<String, Value>, path: &mut FieldPath, fields: &FieldSet) {
        let keys: Vec<String> = node.keys().cloned().collect();
        for key in keys {
            path.push(key.clone());
            if let Some(Value::Object(child)) = node.get_mut(&key) {
                if !child.is_empty() && fields.contains(path) {
                    child.insert(".".into(), json!({}));
                }
                mark(child, path, fields);
            }
            path.pop();
        }
    }
    mark(&mut root, &mut Vec::new(), fields);
    Value::Object(root)
}

fn read_fields_v1(node: &Value, path: &mut FieldPath, out: &mut FieldSet) {
    let Some(map) = node.as_object() else { return };
    if (map.is_empty() || map.contains_key(".")) && !path.is_empty() {
        out.insert(path.clone());
    }
    for (key, child) in map {
        if key == "." {
            continue;
        }
        path.push(key.clone());
        read_fields_v1(child, path, out);
        path.pop();
    }
}

/// The value at `path` in `object`, if it is there.
fn value_at<'v>(object: &'v Value, path: &[String]) -> Option<&'v Value> {
    let mut at = object;
    for element in path {
        at = step(at, element)?;
    }
    Some(at)
}

fn step<'v>(at: &'v Value, element: &str) -> Option<&'v Value> {
    if let Some(field) = element.strip_prefix("f:") {
        return at.get(field);
    }
    let items = at.as_array()?;
    if let Some(key) = element.strip_prefix("k:") {
        let (k, v) = key_of(key)?;
        return items.iter().find(|item| item.get(&k) == Some(&v));
    }
    let wanted: Value = serde_json::from_str(element.strip_prefix("v:")?).ok()?;
    items.iter().find(|item| **item == wanted)
}

/// `{"name":"web"}` → (`name`, "web").
fn key_of(text: &str) -> Option<(String, Value)> {
    let Value::Object(map) = serde_json::from_str::<Value>(text).ok()? else {
        return None;
    };
    map.into_iter().next()
}

/// Removes the field at `path` from `object` (a map's key, a list's item), and the maps that
/// leaves empty: Go's `omitempty` drops them when the object is stored.
fn remove_at(at: &mut Value, path: &[String]) {
    let Some((element, rest)) = path.split_first() else {
        return;
    };
    let field = element.strip_prefix("f:");
    if rest.is_empty() {
        match (field, at) {
            (Some(field), Value::Object(map)) => {
                map.remove(field);
            }
            (None, Value::Array(items)) => {
                let wanted = element_matcher(element);
                items.retain(|i| !wanted(i));
            }
            _ => {}
        }
        return;
    }
    let child = match field {
        Some(field) => at.get_mut(field),
        None => {
            let wanted = element_matcher(element);
            at.as_array_mut()
                .and_then(|items| items.iter_mut().find(|i| wanted(i)))
        }
    };
    let Some(child) = child else { return };
    remove_at(child, rest);
    if let (Some(field), true) = (field, child.as_object().is_some_and(Map::is_empty)) {
        if let Some(map) = at.as_object_mut() {
            map.remove(field);
        }
    }
}

fn element_matcher(element: &str) -> impl Fn(&Value) -> bool {
    let key = element.strip_prefix("k:").and_then(key_of);
    let value: Option<Value> = element
        .strip_prefix("v:")
        .and_then(|v| serde_json::from_str(v).ok());
    move |item| match (&key, &value) {
        (Some((k, v)), _) => item.get(k) == Some(v),
        (None, Some(v)) => item == v,
        _ => false,
    }
}

/// How structured-merge-diff prints a path: `.spec.containers[name="web"].image`.
fn path_text(path: &[String]) -> String {
    let mut text = String::new();
    for element in path {
        if let Some(field) = element.strip_prefix("f:") {
            text += ".";
            text += field;
        } else if let Some((k, v)) = element.strip_prefix("k:").and_then(key_of) {
            text += &format!("[{k}={v}]");
        } else if let Some(v) = element.strip_prefix("v:") {
            text += &format!("[={v}]");
        }
    }
    text
}

/// Whether `path` is an item's own node with fields under it in `set` (not a leaf to compare).
fn is_item_node(path: &[String], set: &FieldSet) -> bool {
    path.last().is_some_and(|e| e.starts_with("k:"))
        && set
            .range(path.to_vec()..)
            .nth(1)
            .is_some_and(|next| next.starts_with(path))
}

/// kube-apiserver's apply conflict: `409 Conflict`, one cause per field.
fn conflict_error(conflicts: &[(String, FieldPath)]) -> ApiError {
    let message = if let [(manager, path)] = conflicts {
        format!(
            "Apply failed with 1 conflict: conflict with {manager}: {}",
            path_text(path)
        )
    } else {
        let managers: BTreeSet<&String> = conflicts.iter().map(|(m, _)| m).collect();
        let mut lines = Vec::new();
        for manager in managers {
            lines.push(format!("conflicts with {manager}:"));
            for (_, path) in conflicts.iter().filter(|(m, _)| m == manager) {
                lines.push(format!("- {}", path_text(path)));
            }
        }
        format!(
            "Apply failed with {} conflicts: {}",
            conflicts.len(),
            lines.join("\n")
        )
    };
    let mut e = ApiError::new(StatusReason::Conflict, message);
    e.causes = conflicts
        .iter()
        .map(|(manager, path)| StatusCause {
            reason: "FieldManagerConflict".into(),
            message: format!("conflict with {manager}"),
            field: path_text(path),
        })
        .collect();
    e
}

/// What an apply asks: who applies, with which object, and whether it takes conflicting fields.
pub struct Apply<'a> {
    pub manager: &'a str,
    pub config: &'a Value,
    pub force: bool,
    pub api_version: &'a str,
    pub time: String,
}

/// An apply that creates: the object to create, with the applier owning what it set.
pub fn apply_create(apply: &Apply) -> Value {
    let mut object = apply.config.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
    }
    let entry = Entry {
        manager: apply.manager.to_string(),
        operation: "Apply".into(),
        api_version: apply.api_version.to_string(),
        subresource: String::new(),
        time: apply.time.clone(),
        fields: field_set(apply.config, false),
    };
    set_entries(&mut object, &[entry]);
    object
}

/// An apply to the stored object `live`: the object to store, or the conflicts.
pub fn apply_update(live: &Value, apply: &Apply) -> Result<Value, ApiError> {
    let applied = field_set(apply.config, false);
    let mut owners = entries(live).unwrap_or_else(|| {
        vec![Entry {
            manager: BEFORE_FIRST_APPLY.into(),
            operation: "Update".into(),
            api_version: apply.api_version.to_string(),
            subresource: String::new(),
            time: apply.time.clone(),
            fields: field_set(live, false),
        }]
    });
    let mine = Entry {
        manager: apply.manager.to_string(),
        operation: "Apply".into(),
        api_version: apply.api_version.to_string(),
        subresource: String::new(),
        time: apply.time.clone(),
        fields: applied.clone(),
    };
    let mut conflicts = Vec::new();
    for other in owners.iter_mut().filter(|e| !e.same_owner(&mine)) {
        let taken: Vec<FieldPath> = applied
            .iter()
            .filter(|path| other.fields.contains(*path) && !is_item_node(path, &applied))
            .filter(|path| value_at(apply.config, path) != value_at(live, path))
            .cloned()
            .collect();
        if apply.force {
            for path in &taken {
                other.fields.remove(path);
            }
        } else {
            conflicts.extend(taken.into_iter().map(|p| (other.describe(), p)));
        }
    }
    if !conflicts.is_empty() {
        return Err(conflict_error(&conflicts));
    }
    let mut config = apply.config.clone();
    if let Some(map) = config.as_object_mut() {
        map.remove("status");
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
        }
    }
    let mut merged = strategic_merge_patch(live, &config)
        .map_err(|message| ApiError::new(StatusReason::Invalid, message))?;
    // What this manager applied before and no longer does, and no one else owns, goes.
    let before = owners
        .iter()
        .find(|e| e.same_owner(&mine))
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    let mut removed: Vec<&FieldPath> = before
        .iter()
        .filter(|path| !applied.contains(*path))
        .filter(|path| {
            !owners
                .iter()
                .any(|e| !e.same_owner(&mine) && e.fields.contains(*path))
        })
        .collect();
    removed.sort_by_key(|path| std::cmp::Reverse(path.len()));
    for path in removed {
        remove_at(&mut merged, path);
    }
    match owners.iter_mut().find(|e| e.same_owner(&mine)) {
        Some(entry) => *entry = mine,
        None => owners.push(mine),
    }
    set_entries(&mut merged, &owners);
    // An apply that changes nothing but the time of its entry is not a write.
    if without_times(&merged) == without_times(live) {
        return Ok(live.clone());
    }
    Ok(merged)
}

/// `object` with the times of its managedFields entries taken out, to compare.
fn without_times(object: &Value) -> Value {
    let mut copy = object.clone();
    if let Some(list) = copy
        .get_mut("metadata")
        .and_then(|m| m.get_mut("managedFields"))
        .and_then(Value::as_array_mut)
    {
        for entry in list.iter_mut().filter_map(Value::as_object_mut) {
            entry.remove("time");
        }
    }
    copy
}

/// Whether a write from `old` to `new` touches field ownership: either carries managedFields.
pub fn keeps_fields(old: &Value, new: &Value) -> bool {
    let has = |o: &Value| {
        o.get("metadata")
            .and_then(|m| m.get("managedFields"))
            .is_some()
    };
    has(old) || has(new)
}

/// After an update or patch by `manager` from `old` to `new`: when the object tracks ownership,
/// the fields the write changed move to `manager`'s `Update` entry. `new` keeps `old`'s
/// managedFields when its own are absent, as a PUT without them does.
pub fn track_update(
    old: &Value,
    new: &mut Value,
    manager: &str,
    subresource: Option<&str>,
    api_version: &str,
    time: String,
) {
    if new
        .get("metadata")
        .and_then(|m| m.get("managedFields"))
        .is_none()
    {
        if let Some(kept) = old.get("metadata").and_then(|m| m.get("managedFields")) {
            if let Some(meta) = new.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.insert("managedFields".into(), kept.clone());
            }
        }
    }
    let Some(mut owners) = entries(new) else {
        return;
    };
    let status = subresource == Some("status");
    let before = field_set(old, status);
    let after = field_set(new, status);
    // A leaf whose value changed, and an item that is new as a whole.
    let changed: FieldSet = after
        .iter()
        .filter(|path| match is_item_node(path, &after) {
            true => value_at(old, path).is_none(),
            false => value_at(old, path) != value_at(new, path),
        })
        .cloned()
        .collect();
    let gone: FieldSet = before.difference(&after).cloned().collect();
    if changed.is_empty() && gone.is_empty() {
        return;
    }
    let mine = Entry {
        manager: manager.to_string(),
        operation: "Update".into(),
        api_version: api_version.to_string(),
        subresource: subresource.unwrap_or("").to_string(),
        time,
        fields: FieldSet::new(),
    };
    for entry in owners.iter_mut() {
        entry
            .fields
            .retain(|p| !changed.contains(p) && !gone.contains(p));
    }
    match owners.iter_mut().find(|e| e.same_owner(&mine)) {
        Some(entry) => {
            entry.fields.extend(changed);
            entry.time = mine.time;
        }
        None => owners.push(Entry {
            fields: changed,
            ..mine
        }),
    }
    set_entries(new, &owners);
}

/// The manager a write without `fieldManager` is recorded under: kube-apiserver takes the
/// client's user agent (`kube-controller-manager/v1.32.0 ...`); here, the component's user.
pub fn default_manager(user: &str) -> String {
    match user {
        "system:kube-controller-manager" => "kube-controller-manager".into(),
        "system:kube-scheduler" => "kube-scheduler".into(),
        u if u.starts_with("system:node:") => "kubelet".into(),
        u => u.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply<'a>(manager: &'a str, config: &'a Value, force: bool) -> Apply<'a> {
        Apply {
            manager,
            config,
            force,
            api_version: "apps/v1",
            time: "2025-06-01T00:00:00Z".into(),
        }
    }

    fn deployment(replicas: i64, image: &str) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": image}]}}}
        })
    }

    #[test]
    fn an_apply_that_creates_owns_every_field_it_set_in_fields_v1() {
        let created = apply_create(&apply("kubectl", &deployment(3, "nginx"), false));
        let entry = &created["metadata"]["managedFields"][0];
        assert_eq!(entry["manager"], "kubectl");
        assert_eq!(entry["operation"], "Apply");
        let fields = &entry["fieldsV1"];
        assert_eq!(fields["f:spec"]["f:replicas"], json!({}));
        assert_eq!(fields["f:metadata"]["f:labels"]["f:app"], json!({}));
        assert!(fields["f:metadata"].get("f:name").is_none());
        let container =
            &fields["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"];
        assert_eq!(container["."], json!({}));
        assert_eq!(container["f:image"], json!({}));
        // Reading the entry back gives the same set.
        let read = entries(&created).unwrap();
        assert_eq!(read[0].fields, field_set(&deployment(3, "nginx"), false));
    }

    #[test]
    fn an_update_takes_the_fields_it_changes_and_an_apply_then_conflicts_on_them() {
        let live = apply_create(&apply("kubectl", &deployment(3, "nginx"), false));
        let mut scaled = live.clone();
        scaled["spec"]["replicas"] = json!(5);
        track_update(
            &live,
            &mut scaled,
            "kubectl-scale",
            None,
            "apps/v1",
            "t".into(),
        );
        let owners = entries(&scaled).unwrap();
        let replicas = vec!["f:spec".to_string(), "f:replicas".to_string()];
        assert!(!owners[0].fields.contains(&replicas));
        assert!(owners[1].fields.contains(&replicas));
        assert_eq!(owners[1].manager, "kubectl-scale");

        let e =
            apply_update(&scaled, &apply("kubectl", &deployment(3, "nginx"), false)).unwrap_err();
        assert_eq!(e.reason, StatusReason::Conflict);
        assert_eq!(
            e.message,
            "Apply failed with 1 conflict: conflict with \"kubectl-scale\" using apps/v1: .spec.replicas"
        );
        assert_eq!(e.causes[0].field, ".spec.replicas");

        // The same value is no conflict: the field is shared.
        assert!(apply_update(&scaled, &apply("kubectl", &deployment(5, "nginx"), false)).is_ok());
        // Applying what is there already changes nothing, not even the entry's time.
        let config = deployment(3, "nginx");
        let mut later = apply("kubectl", &config, false);
        later.time = "2025-06-01T01:00:00Z".into();
        assert_eq!(apply_update(&live, &later).unwrap(), live);

        // Forced, the applier takes the field.
        let forced =
            apply_update(&scaled, &apply("kubectl", &deployment(3, "nginx"), true)).unwrap();
        assert_eq!(forced["spec"]["replicas"], 3);
        let owners = entries(&forced).unwrap();
        assert!(owners.iter().all(|e| e.manager == "kubectl"));
    }

    #[test]
    fn a_field_the_manager_stops_applying_is_removed_unless_another_owns_it() {
        let mut config = deployment(3, "nginx");
        config["metadata"]["labels"]["tier"] = json!("front");
        let live = apply_create(&apply("kubectl", &config, false));
        let again = apply_update(&live, &apply("kubectl", &deployment(3, "nginx"), false)).unwrap();
        assert!(again["metadata"]["labels"].get("tier").is_none());
        assert_eq!(again["metadata"]["labels"]["app"], "web");
        // Without its last label, the map goes too.
        let mut bare = deployment(3, "nginx");
        bare["metadata"].as_object_mut().unwrap().remove("labels");
        let bare = apply_update(&again, &apply("kubectl", &bare, false)).unwrap();
        assert!(bare["metadata"].get("labels").is_none(), "{bare}");
    }

    #[test]
    fn a_changed_container_image_names_the_item_by_its_key() {
        let live = apply_create(&apply("kubectl", &deployment(3, "nginx"), false));
        let mut set = live.clone();
        set["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.27");
        track_update(&live, &mut set, "kubectl-set", None, "apps/v1", "t".into());
        let e = apply_update(&set, &apply("kubectl", &deployment(3, "nginx"), false)).unwrap_err();
        assert_eq!(
            e.message,
            "Apply failed with 1 conflict: conflict with \"kubectl-set\" using apps/v1: .spec.template.spec.containers[name=\"nginx\"].image"
        );
    }

    #[test]
    fn an_object_without_managed_fields_is_owned_by_before_first_apply() {
        let mut live = deployment(1, "nginx");
        live["metadata"]["uid"] = json!("u");
        let e = apply_update(&live, &apply("kubectl", &deployment(3, "nginx"), false)).unwrap_err();
        assert!(e
            .message
            .contains("\"before-first-apply\" using apps/v1: .spec.replicas"));
        // And an update of an object that never was applied records nothing.
        let mut changed = live.clone();
        changed["spec"]["replicas"] = json!(2);
        track_update(
            &live,
            &mut changed,
            "kubectl-scale",
            None,
            "apps/v1",
            "t".into(),
        );
        assert!(changed["metadata"].get("managedFields").is_none());
    }

    #[test]
    fn conflicts_with_two_managers_list_each_managers_fields() {
        let e = conflict_error(&[
            ("\"b\"".into(), vec!["f:spec".into(), "f:replicas".into()]),
            ("\"a\"".into(), vec!["f:metadata".into(), "f:labels".into()]),
        ]);
        assert_eq!(
            e.message,
            "Apply failed with 2 conflicts: conflicts with \"a\":\n- .metadata.labels\nconflicts with \"b\":\n- .spec.replicas"
        );
    }
}
