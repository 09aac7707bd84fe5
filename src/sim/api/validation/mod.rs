//! Validation of objects on create and update, with upstream field paths and wording.
//!
//! Mirrors: `k8s.io/apimachinery/pkg/util/validation/field` (error types, `ErrorBody`, aggregation
//! with duplicates dropped), `apierrors.NewInvalid` (`Deployment.apps "web" is invalid: [...]`,
//! one `StatusCause` per field error) and, per kind, `pkg/apis/core/validation`,
//! `pkg/apis/apps/validation`, `pkg/apis/batch/validation`, `pkg/apis/rbac/validation`,
//! `pkg/apis/coordination/validation`, `pkg/apis/discovery/validation`,
//! `pkg/apis/scheduling/validation`.
//! Simplified: the rules a student meets (object metadata, labels and annotations, selectors and
//! template labels, containers and ports, resources and quantities, restart policies, Service ports,
//! ConfigMap/Secret keys, RBAC rules and bindings, immutable fields on update), not every rule
//! upstream has (volumes beyond names, probes, security contexts, topology constraints). Objects
//! are validated as sent, without defaulting: a field upstream would default (a container port's
//! protocol, a namespaced object's namespace) is accepted when absent.
//! Go values in messages (`map[string]string{"app":"web"}`, `v1.LabelSelector{...}`) are rendered
//! the way Go's `%#v` prints them.

pub mod names;
mod rules;

use std::collections::BTreeMap;

use serde_json::Value;

use super::resources::ResourceInfo;
use crate::sim::apiserver::request::{ApiError, StatusCause, StatusReason};

/// `field.ErrorType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    NotFound,
    Required,
    Duplicate,
    Invalid,
    NotSupported,
    Forbidden,
    TooLong,
}

impl ErrorType {
    /// The `StatusCause.reason` string.
    pub fn reason(self) -> &'static str {
        match self {
            ErrorType::NotFound => "FieldValueNotFound",
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::TooLong => "FieldValueTooLong",
        }
    }

    fn text(self) -> &'static str {
        match self {
            ErrorType::NotFound => "Not found",
            ErrorType::Required => "Required value",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::Invalid => "Invalid value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TooLong => "Too long",
        }
    }
}

/// One `field.Error`. `bad_value` is already rendered as Go prints it (`"web"`, `-1`, `map[...]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub error_type: ErrorType,
    pub field: String,
    pub bad_value: String,
    pub detail: String,
}

impl FieldError {
    pub fn required(field: &str, detail: &str) -> Self {
        Self::new(ErrorType::Required, field, String::new(), detail)
    }
    pub fn forbidden(field: &str, detail: &str) -> Self {
        Self::new(ErrorType::Forbidden, field, String::new(), detail)
    }
    pub fn invalid(field: &str, bad_value: String, detail: &str) -> Self {
        Self::new(ErrorType::Invalid, field, bad_value, detail)
    }
    pub fn duplicate(field: &str, bad_value: String) -> Self {
        Self::new(ErrorType::Duplicate, field, bad_value, "")
    }
    pub fn not_found(field: &str, bad_value: String) -> Self {
        Self::new(ErrorType::NotFound, field, bad_value, "")
    }
    pub fn not_supported(field: &str, bad_value: String, valid: &[&str]) -> Self {
        let quoted: Vec<String> = valid.iter().map(|v| go_quote(v)).collect();
        let detail = if valid.is_empty() {
            String::new()
        } else {
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(ErrorType::NotSupported, field, bad_value, &detail)
    }
    pub fn too_long(field: &str, max_bytes: usize) -> Self {
        Self::new(
            ErrorType::TooLong,
            field,
            String::new(),
            &format!("must have at most {max_bytes} bytes"),
        )
    }

    fn new(error_type: ErrorType, field: &str, bad_value: String, detail: &str) -> Self {
        FieldError {
            error_type,
            field: field.to_string(),
            bad_value,
            detail: detail.to_string(),
        }
    }

    /// `ErrorBody()`: the message without the field.
    pub fn body(&self) -> String {
        let mut s = match self.error_type {
            ErrorType::Required | ErrorType::Forbidden | ErrorType::TooLong => {
                self.error_type.text().to_string()
            }
            _ => format!("{}: {}", self.error_type.text(), self.bad_value),
        };
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// `apierrors.NewInvalid(qualifiedKind, name, errs)`.
pub fn invalid_error(info: &ResourceInfo, name: &str, errs: &[FieldError]) -> ApiError {
    let mut seen = std::collections::BTreeSet::new();
    let unique: Vec<&FieldError> = errs.iter().filter(|e| seen.insert(e.to_string())).collect();
    let aggregate = match unique.as_slice() {
        [one] => one.to_string(),
        many => format!(
            "[{}]",
            many.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let qualified_kind = if info.group.is_empty() {
        info.kind.to_string()
    } else {
        format!("{}.{}", info.kind, info.group)
    };
    let mut err = ApiError::new(
        StatusReason::Invalid,
        format!("{qualified_kind} {name:?} is invalid: {aggregate}"),
    );
    err.kind = Some(info.kind.to_string());
    err.name = Some(name.to_string());
    err.causes = errs
        .iter()
        .map(|e| StatusCause {
            reason: e.error_type.reason().to_string(),
            message: e.body(),
            field: e.field.clone(),
        })
        .collect();
    err
}

/// Validation of a new object (`ValidateDeployment`, `ValidatePodCreate`, ...). Call after
/// [`super::strict_check`]; fields of the wrong type read as absent here.
pub fn validate_create(info: &ResourceInfo, obj: &Value) -> Result<(), ApiError> {
    if super::decode::nesting_depth(obj) > super::decode::MAX_NESTING_DEPTH {
        return Err(ApiError::bad_request(format!(
            "{} exceeds the nesting limit of {}",
            info.kind,
            super::decode::MAX_NESTING_DEPTH
        )));
    }
    let errs = rules::validate_object(info, obj);
    finish(info, obj, errs)
}

/// Validation of an update (`ValidateDeploymentUpdate`, ...): the new object must be valid, and
/// fields upstream makes immutable must not change.
pub fn validate_update(info: &ResourceInfo, old: &Value, new: &Value) -> Result<(), ApiError> {
    for v in [old, new] {
        if super::decode::nesting_depth(v) > super::decode::MAX_NESTING_DEPTH {
            return Err(ApiError::bad_request(format!(
                "{} exceeds the nesting limit of {}",
                info.kind,
                super::decode::MAX_NESTING_DEPTH
            )));
        }
    }
    let mut errs = rules::validate_update(info, old, new);
    errs.extend(rules::validate_object(info, new));
    finish(info, new, errs)
}

fn finish(info: &ResourceInfo, obj: &Value, errs: Vec<FieldError>) -> Result<(), ApiError> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(invalid_error(info, super::name(obj), &errs))
    }
}

/// Go's `%q` of a string (close enough: Rust's escapes for control characters differ in form).
pub fn go_quote(s: &str) -> String {
    format!("{s:?}")
}

/// Go's `%#v` of a `map[string]string`: keys sorted, `map[string]string(nil)` when absent.
pub fn go_string_map(m: Option<&BTreeMap<String, String>>) -> String {
    match m {
        None => "map[string]string(nil)".to_string(),
        Some(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}:{}", go_quote(k), go_quote(v)))
                .collect();
            format!("map[string]string{{{}}}", parts.join(", "))
        }
    }
}

/// A JSON value as field errors print it: strings quoted, numbers and booleans bare.
pub fn go_value(v: &Value) -> String {
    match v {
        Value::String(s) => go_quote(s),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::resources::by_kind;
    use serde_json::json;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx", "ports": [{"containerPort": 80}]}]}
                }
            }
        })
    }

    fn deploy_info() -> &'static ResourceInfo {
        by_kind("apps/v1", "Deployment").unwrap()
    }

    fn message_of(obj: &Value) -> String {
        validate_create(deploy_info(), obj).unwrap_err().message
    }

    #[test]
    fn a_valid_deployment_passes() {
        validate_create(deploy_info(), &deployment()).unwrap();
    }

    #[test]
    fn each_deployment_rule_reports_its_upstream_message() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("/spec/selector", Value::Null, "Deployment.apps \"web\" is invalid: spec.selector: Required value"),
            ("/spec/replicas", json!(-1), "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
            ("/spec/selector/matchLabels/app", json!("db"), "Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`"),
            ("/spec/template/spec/containers/0/image", json!(""), "Deployment.apps \"web\" is invalid: spec.template.spec.containers[0].image: Required value"),
            ("/spec/template/spec/containers/0/ports/0/containerPort", json!(70000), "Deployment.apps \"web\" is invalid: spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"),
            ("/spec/template/spec/restartPolicy", json!("Never"), "Deployment.apps \"web\" is invalid: spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""),
            ("/metadata/name", json!("Web"), "Deployment.apps \"Web\" is invalid: metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
        ];
        for (pointer, value, expected) in cases {
            let mut d = deployment();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            match d.pointer_mut(parent).unwrap_or_else(|| panic!("{pointer}")) {
                Value::Object(m) => {
                    m.insert(key.to_string(), value);
                }
                Value::Array(a) => a[key.parse::<usize>().unwrap()] = value,
                _ => panic!("{pointer}"),
            }
            assert_eq!(message_of(&d), expected, "{pointer}");
        }
    }

    #[test]
    fn several_errors_are_aggregated_in_brackets_with_one_cause_each() {
        let mut d = deployment();
        d["spec"]["template"]["spec"]["containers"] = json!([
            {"name": "app", "image": "a"},
            {"name": "app", "image": ""}
        ]);
        let err = validate_create(deploy_info(), &d).unwrap_err();
        assert_eq!(err.code, 422);
        assert_eq!(
            err.message,
            "Deployment.apps \"web\" is invalid: [spec.template.spec.containers[1].name: Duplicate value: \"app\", spec.template.spec.containers[1].image: Required value]"
        );
        let reasons: Vec<&str> = err.causes.iter().map(|c| c.reason.as_str()).collect();
        assert_eq!(reasons, ["FieldValueDuplicate", "FieldValueRequired"]);
        assert_eq!(
            err.causes[1].field,
            "spec.template.spec.containers[1].image"
        );
        assert_eq!(err.causes[1].message, "Required value");
        assert_eq!(err.name.as_deref(), Some("web"));
    }

    #[test]
    fn requests_above_limits_are_refused() {
        let mut d = deployment();
        d["spec"]["template"]["spec"]["containers"][0]["resources"] =
            json!({"requests": {"cpu": "2"}, "limits": {"cpu": "1000m", "memory": "128Mi"}});
        assert_eq!(
            message_of(&d),
            "Deployment.apps \"web\" is invalid: spec.template.spec.containers[0].resources.requests[cpu]: Invalid value: \"2\": must be less than or equal to cpu limit of 1"
        );
    }

    #[test]
    fn a_changed_deployment_selector_is_immutable() {
        let old = deployment();
        let mut new = deployment();
        new["spec"]["selector"]["matchLabels"]["app"] = json!("web2");
        new["spec"]["template"]["metadata"]["labels"]["app"] = json!("web2");
        let err = validate_update(deploy_info(), &old, &new).unwrap_err();
        assert_eq!(
            err.message,
            "Deployment.apps \"web\" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
        );
        validate_update(deploy_info(), &old, &old).unwrap();
        let mut renamed = deployment();
        renamed["metadata"]["name"] = json!("other");
        assert!(validate_update(deploy_info(), &old, &renamed)
            .unwrap_err()
            .message
            .contains("metadata.name: Invalid value: \"other\": field is immutable"));
    }

    #[test]
    fn object_meta_rules_follow_the_kind() {
        let ns = by_kind("v1", "Namespace").unwrap();
        let err = validate_create(ns, &json!({"metadata": {"name": "a.b"}})).unwrap_err();
        assert_eq!(err.message, "Namespace \"a.b\" is invalid: metadata.name: Invalid value: \"a.b\": must not contain dots");
        let err =
            validate_create(ns, &json!({"metadata": {"name": "a", "namespace": "x"}})).unwrap_err();
        assert_eq!(
            err.message,
            "Namespace \"a\" is invalid: metadata.namespace: Forbidden: not allowed on this type"
        );
        let cm = by_kind("v1", "ConfigMap").unwrap();
        let err = validate_create(cm, &json!({"metadata": {}})).unwrap_err();
        assert_eq!(err.message, "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required");
        let err = validate_create(
            cm,
            &json!({"metadata": {"name": "c", "labels": {"a b": "x"}}, "data": {"bad key": "v"}}),
        )
        .unwrap_err();
        assert_eq!(err.causes.len(), 2);
        assert_eq!(err.causes[0].field, "metadata.labels");
        assert_eq!(err.causes[1].field, "data[bad key]");
    }

    #[test]
    fn service_ports_are_checked() {
        let svc = by_kind("v1", "Service").unwrap();
        let err = validate_create(
            svc,
            &json!({"metadata": {"name": "web"}, "spec": {"ports": [
            {"port": 80, "targetPort": "http"}, {"port": 0, "targetPort": 70000}]}}),
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "Service \"web\" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value, spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive, spec.ports[1].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive]"
        );
        let err =
            validate_create(svc, &json!({"metadata": {"name": "web"}, "spec": {}})).unwrap_err();
        assert_eq!(
            err.message,
            "Service \"web\" is invalid: spec.ports: Required value"
        );
    }

    #[test]
    fn jobs_need_an_explicit_restart_policy() {
        let job = by_kind("batch/v1", "Job").unwrap();
        let obj = json!({"metadata": {"name": "pi"}, "spec": {"template": {"spec": {
            "containers": [{"name": "pi", "image": "perl"}]}}}});
        assert_eq!(
            validate_create(job, &obj).unwrap_err().message,
            "Job.batch \"pi\" is invalid: spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""
        );
    }

    #[test]
    fn role_bindings_check_role_ref_and_subjects() {
        let rb = by_kind("rbac.authorization.k8s.io/v1", "RoleBinding").unwrap();
        let obj = json!({"metadata": {"name": "b"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Pod", "name": "r"},
            "subjects": [{"kind": "Robot", "name": "x"}]});
        let err = validate_create(rb, &obj).unwrap_err();
        assert_eq!(
            err.message,
            "RoleBinding.rbac.authorization.k8s.io \"b\" is invalid: [roleRef.kind: Unsupported value: \"Pod\": supported values: \"Role\", \"ClusterRole\", subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"]"
        );
    }
}
