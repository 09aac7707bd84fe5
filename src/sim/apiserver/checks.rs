//! The apiserver's calls into `sim::api` (decoding, validation, selectors), each behind one small
//! function so that when branch `api` lands each body becomes a one-line call.
//!
//! Until then: validation accepts what reaches it (the generic name checks live in `registry`),
//! and selectors use the small fallback parser below (equality-, inequality- and set-based
//! requirements, as `kubectl get -l` and `--field-selector` accept).

use serde_json::Value;

use super::ApiError;
use crate::sim::api::resources::ResourceInfo;

/// Unknown fields are a BadRequest (kubectl's server-side field validation, `Strict`).
pub fn strict_check(_info: &ResourceInfo, _object: &Value) -> Result<(), ApiError> {
    Ok(())
}

/// Per-kind validation on create: `Invalid` with field causes.
pub fn validate_create(_info: &ResourceInfo, _object: &Value) -> Result<(), ApiError> {
    Ok(())
}

/// Per-kind validation on update (immutable fields and the like).
pub fn validate_update(_info: &ResourceInfo, _old: &Value, _new: &Value) -> Result<(), ApiError> {
    Ok(())
}

/// A parsed `-l` / `--field-selector` string: every requirement must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

impl Selector {
    /// True when every requirement holds for `lookup` (a label or field value by key).
    pub fn matches(&self, lookup: impl Fn(&str) -> Option<String>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::Equals(k, v) => lookup(k).as_deref() == Some(v.as_str()),
            Requirement::NotEquals(k, v) => lookup(k).as_deref() != Some(v.as_str()),
            Requirement::In(k, vs) => lookup(k).is_some_and(|x| vs.contains(&x)),
            Requirement::NotIn(k, vs) => lookup(k).is_none_or(|x| !vs.contains(&x)),
            Requirement::Exists(k) => lookup(k).is_some(),
            Requirement::DoesNotExist(k) => lookup(k).is_none(),
        })
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.requirements.iter().map(|r| match r {
            Requirement::Equals(k, _)
            | Requirement::NotEquals(k, _)
            | Requirement::In(k, _)
            | Requirement::NotIn(k, _)
            | Requirement::Exists(k)
            | Requirement::DoesNotExist(k) => k.as_str(),
        })
    }
}

/// Splits on commas that are not inside `( )`.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn set_values(rest: &str) -> Option<Vec<String>> {
    let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(
        inner
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect(),
    )
}

/// Parses a label selector string; the error text is the apiserver's 400 message.
pub fn parse_label_selector(text: &str) -> Result<Selector, ApiError> {
    parse_selector(text, true)
}

/// Parses a field selector: only `=`, `==` and `!=`.
pub fn parse_field_selector(text: &str) -> Result<Selector, ApiError> {
    parse_selector(text, false)
}

fn parse_selector(text: &str, sets: bool) -> Result<Selector, ApiError> {
    let mut requirements = Vec::new();
    if text.trim().is_empty() {
        return Ok(Selector { requirements });
    }
    let invalid = |part: &str| {
        ApiError::bad_request(format!(
            "unable to parse requirement: found '{}', expected: identifier",
            part.trim()
        ))
    };
    for part in split_top_level(text) {
        let part = part.trim();
        if part.is_empty() {
            return Err(invalid(part));
        }
        let requirement = if let Some((k, v)) = part.split_once("!=") {
            Requirement::NotEquals(k.trim().into(), v.trim().into())
        } else if let Some((k, v)) = part.split_once("==") {
            Requirement::Equals(k.trim().into(), v.trim().into())
        } else if let Some((k, v)) = part.split_once('=') {
            Requirement::Equals(k.trim().into(), v.trim().into())
        } else if !sets {
            return Err(ApiError::bad_request(format!(
                "invalid selector: '{text}'; can't understand '{part}'"
            )));
        } else if let Some((k, rest)) = part.split_once(" notin ") {
            Requirement::NotIn(
                k.trim().into(),
                set_values(rest).ok_or_else(|| invalid(part))?,
            )
        } else if let Some((k, rest)) = part.split_once(" in ") {
            Requirement::In(
                k.trim().into(),
                set_values(rest).ok_or_else(|| invalid(part))?,
            )
        } else if let Some(k) = part.strip_prefix('!') {
            Requirement::DoesNotExist(k.trim().into())
        } else {
            Requirement::Exists(part.into())
        };
        requirements.push(requirement);
    }
    Ok(Selector { requirements })
}

/// The value a field selector compares for `field` (`metadata.name`, `spec.nodeName`,
/// `status.phase`, `involvedObject.name`), or None when the field is not set.
pub fn field_value(object: &Value, field: &str) -> Option<String> {
    let mut cursor = object;
    for part in field.split('.') {
        cursor = cursor.get(part)?;
    }
    match cursor {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The fields each kind lets a field selector name, as upstream's `GetAttrs`/field label
/// conversion functions; every kind accepts `metadata.name` and `metadata.namespace`.
pub fn field_supported(kind: &str, field: &str) -> bool {
    if matches!(field, "metadata.name" | "metadata.namespace") {
        return true;
    }
    let extra: &[&str] = match kind {
        "Pod" => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        "Event" => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        "Node" => &["spec.unschedulable"],
        "Namespace" => &["status.phase"],
        "Secret" => &["type"],
        "ReplicaSet" | "ReplicationController" => &["status.replicas"],
        "Job" => &["status.successful"],
        _ => &[],
    };
    extra.contains(&field)
}
