//! Admission: the plugins that change (mutating) or refuse (validating) a write after it is
//! authorized, and the defaulting the registry does before it.
//!
//! Mirrors: `plugin/pkg/admission/serviceaccount` (ServiceAccount: `default` account, refused when
//! the account does not exist), `plugin/pkg/admission/defaulttolerationseconds`,
//! `k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle` (NamespaceLifecycle),
//! `plugin/pkg/admission/priority` (Priority: `spec.priority` from the named PriorityClass), the registry's
//! `BeforeCreate` (namespace, uid, creationTimestamp, generation, generateName) and the scheme
//! defaults of `pkg/apis/core/v1/defaults.go` / `pkg/apis/apps/v1/defaults.go` for pods and the
//! workload templates.
//! Simplified: the ServiceAccount plugin does not add the projected `kube-api-access-*` token
//! volume; defaults cover the fields `kubectl get -o yaml` shows most often, not every field.

use crate::sim::api::JsonPointer;
use serde_json::{json, Map, Value};

use super::request::{ApiError, StatusReason};

/// Namespaces the NamespaceLifecycle plugin never lets anyone delete.
pub const IMMORTAL_NAMESPACES: [&str; 3] = ["default", "kube-system", "kube-public"];

pub const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";
pub const UNREACHABLE_TAINT: &str = "node.kubernetes.io/unreachable";
/// `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds`.
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;

/// `admission.NewForbidden`: `pods "web" is forbidden: <why>` (no name: `pods is forbidden: ...`).
pub fn forbidden(qualified_plural: &str, name: &str, why: &str) -> ApiError {
    let message = if name.is_empty() {
        format!("{qualified_plural} is forbidden: {why}")
    } else {
        format!("{qualified_plural} \"{name}\" is forbidden: {why}")
    };
    ApiError::new(StatusReason::Forbidden, message)
}

fn ensure_object<'a>(parent: &'a mut Value, field: &str) -> &'a mut Map<String, Value> {
    if !parent.get(field).is_some_and(Value::is_object) {
        parent[field] = json!({});
    }
    match parent.get_mut(field) {
        Some(Value::Object(m)) => m,
        _ => unreachable!("just set to an object"),
    }
}

/// A map's member `field`, made an empty object first unless it is one.
fn object_in<'a>(map: &'a mut Map<String, Value>, field: &str) -> &'a mut Map<String, Value> {
    let value = map.entry(field).or_insert_with(|| json!({}));
    if !value.is_object() {
        *value = json!({});
    }
    match value {
        Value::Object(m) => m,
        _ => unreachable!("just set to an object"),
    }
}

fn default_field(map: &mut Map<String, Value>, field: &str, value: Value) {
    if map.get(field).is_none_or(Value::is_null) {
        map.insert(field.to_string(), value);
    }
}

/// [`default_field`] for each `(field, value as JSON text)`: the defaults are data, not code that
/// builds each value (smaller in the wasm module, docs/build.md), and a value is read only when
/// the field is missing.
fn default_fields(map: &mut Map<String, Value>, fields: &[(&str, &str)]) {
    for (field, value) in fields {
        if map.get(*field).is_none_or(Value::is_null) {
            let value = crate::sim::api::json_from_str(value).expect("a default is valid JSON");
            map.insert(field.to_string(), value);
        }
    }
}

/// The ServiceAccount plugin's mutation: pods run as `default` unless they name an account.
/// Returns the account name to look up (None for mirror pods, which the plugin skips).
pub fn service_account_default(pod: &mut Value) -> Option<String> {
    let mirror = pod
        .ptr("/metadata/annotations/kubernetes.io~1config.mirror")
        .is_some();
    let spec = ensure_object(pod, "spec");
    let name = spec
        .get("serviceAccountName")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .or_else(|| {
            spec.get("serviceAccount")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        })
        .unwrap_or("default")
        .to_string();
    spec.insert("serviceAccountName".into(), json!(name));
    spec.insert("serviceAccount".into(), json!(name));
    (!mirror).then_some(name)
}

/// The ServiceAccount plugin's refusal when the account is missing.
pub fn service_account_missing(pod_name: &str, namespace: &str, account: &str) -> ApiError {
    forbidden(
        "pods",
        pod_name,
        &format!(
            "error looking up service account {namespace}/{account}: serviceaccount \"{account}\" not found"
        ),
    )
}

/// DefaultTolerationSeconds: tolerate not-ready and unreachable nodes for 300 s before eviction,
/// unless the pod already tolerates those taints.
pub fn default_toleration_seconds(pod: &mut Value) -> bool {
    let spec = ensure_object(pod, "spec");
    let tolerations = spec
        .entry("tolerations")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(list) = tolerations else {
        return false;
    };
    let tolerates = |list: &Vec<Value>, key: &str| {
        list.iter().any(|t| {
            let effect = t.get("effect").and_then(Value::as_str).unwrap_or("");
            let t_key = t.get("key").and_then(Value::as_str).unwrap_or("");
            let op = t.get("operator").and_then(Value::as_str).unwrap_or("Equal");
            (effect.is_empty() || effect == "NoExecute")
                && (t_key == key || (t_key.is_empty() && op == "Exists"))
        })
    };
    let mut added = false;
    for key in [NOT_READY_TAINT, UNREACHABLE_TAINT] {
        if !tolerates(list, key) {
            list.push(json!({
                "effect": "NoExecute",
                "key": key,
                "operator": "Exists",
                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS
            }));
            added = true;
        }
    }
    added
}

/// `imagePullPolicy` defaults to Always for `:latest` or untagged images, else IfNotPresent.
fn pull_policy(image: &str) -> &'static str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    match last.split_once(':') {
        Some((_, "latest")) | None if !image.contains('@') => "Always",
        _ => "IfNotPresent",
    }
}

fn default_container(container: &mut Value) {
    let image = container
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let Value::Object(c) = container else { return };
    default_field(c, "imagePullPolicy", pull_policy(&image).into());
    default_fields(
        c,
        &[
            ("terminationMessagePath", r#""/dev/termination-log""#),
            ("terminationMessagePolicy", r#""File""#),
            ("resources", "{}"),
        ],
    );
    // Limits without requests: requests default to the limits.
    if let Some(limits) = c.get("resources").and_then(|r| r.get("limits")).cloned() {
        if let Some(Value::Object(res)) = c.get_mut("resources") {
            let requests = res.entry("requests").or_insert_with(|| json!({}));
            if let (Value::Object(req), Value::Object(lim)) = (requests, limits) {
                for (k, v) in lim {
                    req.entry(k).or_insert(v);
                }
            }
        }
    }
    if let Some(Value::Array(ports)) = c.get_mut("ports") {
        for p in ports.iter_mut().filter_map(Value::as_object_mut) {
            default_field(p, "protocol", "TCP".into());
        }
    }
}

/// The two classes kube-apiserver always has (its `bootstrap-system-priority-classes` hook):
/// (name, value).
pub const SYSTEM_PRIORITY_CLASSES: [(&str, i64); 2] = [
    ("system-node-critical", 2_000_001_000),
    ("system-cluster-critical", 2_000_000_000),
];

/// The Priority plugin: a pod naming a PriorityClass gets that class's value (and preemption
/// policy) in `spec.priority`. `class` is the stored PriorityClass, if any; the system classes
/// resolve even before their objects are written, as the apiserver creates them at start.
/// Returns the note for the trace, or the Forbidden upstream answers for an unknown class.
/// Simplified: no globalDefault class for pods that name none.
pub fn resolve_priority(
    pod: &mut Value,
    pod_name: &str,
    class: Option<&Value>,
) -> Result<Option<String>, ApiError> {
    let Some(name) = pod
        .ptr("/spec/priorityClassName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
    else {
        return Ok(None);
    };
    let system = SYSTEM_PRIORITY_CLASSES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v);
    let (value, policy) = match (class, system) {
        (Some(c), _) => (
            c.get("value").and_then(Value::as_i64).unwrap_or(0),
            c.get("preemptionPolicy")
                .and_then(Value::as_str)
                .unwrap_or("PreemptLowerPriority")
                .to_string(),
        ),
        (None, Some(v)) => (v, "PreemptLowerPriority".to_string()),
        (None, None) => {
            return Err(forbidden(
                "pods",
                pod_name,
                &format!("no PriorityClass with name {name} was found"),
            ))
        }
    };
    if let Some(Value::Object(spec)) = pod.get_mut("spec") {
        spec.insert("priority".into(), json!(value));
        spec.insert("preemptionPolicy".into(), json!(policy));
    }
    Ok(Some(format!("Priority: {name} = {value}")))
}

/// `SetDefaults_PodSpec` and its containers.
pub fn default_pod_spec(spec: &mut Map<String, Value>) {
    default_fields(
        spec,
        &[
            ("restartPolicy", r#""Always""#),
            ("terminationGracePeriodSeconds", "30"),
            ("dnsPolicy", r#""ClusterFirst""#),
            ("securityContext", "{}"),
            ("schedulerName", r#""default-scheduler""#),
        ],
    );
    for field in ["containers", "initContainers"] {
        if let Some(Value::Array(containers)) = spec.get_mut(field) {
            containers.iter_mut().for_each(default_container);
        }
    }
}

/// The QoS class kubelet and `kubectl describe` show, from the containers' requests and limits.
pub fn qos_class(spec: &Value) -> &'static str {
    let containers = spec
        .get("containers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut any = false;
    let mut guaranteed = !containers.is_empty();
    for c in containers {
        let req = c.ptr("/resources/requests");
        let lim = c.ptr("/resources/limits");
        any |= req.is_some_and(|r| r.as_object().is_some_and(|m| !m.is_empty()))
            || lim.is_some_and(|l| l.as_object().is_some_and(|m| !m.is_empty()));
        for r in ["cpu", "memory"] {
            let l = lim.and_then(|l| l.get(r));
            if l.is_none() || req.and_then(|q| q.get(r)) != l {
                guaranteed = false;
            }
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}

/// Scheme defaults for the kinds whose objects users write most. Returns what was defaulted,
/// for the trace.
pub fn apply_defaults(kind: &str, object: &mut Value) {
    match kind {
        "Pod" => {
            let spec = ensure_object(object, "spec");
            default_pod_spec(spec);
            let spec_copy = object.get("spec").cloned().unwrap_or(Value::Null);
            let status = ensure_object(object, "status");
            default_fields(status, &[("phase", r#""Pending""#)]);
            default_field(status, "qosClass", qos_class(&spec_copy).into());
            if let Some(Value::Object(spec)) = object.get_mut("spec") {
                default_fields(
                    spec,
                    &[
                        ("enableServiceLinks", "true"),
                        ("priority", "0"),
                        ("preemptionPolicy", r#""PreemptLowerPriority""#),
                    ],
                );
            }
        }
        "Deployment" | "ReplicaSet" | "DaemonSet" | "Job" => {
            let spec = ensure_object(object, "spec");
            if kind == "Deployment" || kind == "ReplicaSet" {
                default_fields(spec, &[("replicas", "1")]);
            }
            if kind == "Deployment" {
                // SetDefaults_Deployment: an empty strategy (`strategy: {}` from
                // `kubectl create deployment`) is a rolling update of 25% / 25%.
                let strategy = object_in(spec, "strategy");
                default_fields(strategy, &[("type", r#""RollingUpdate""#)]);
                if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
                    let rolling = object_in(strategy, "rollingUpdate");
                    default_fields(
                        rolling,
                        &[("maxUnavailable", r#""25%""#), ("maxSurge", r#""25%""#)],
                    );
                }
                default_fields(
                    spec,
                    &[
                        ("revisionHistoryLimit", "10"),
                        ("progressDeadlineSeconds", "600"),
                    ],
                );
            }
            if kind == "DaemonSet" {
                default_fields(
                    spec,
                    &[
                        (
                            "updateStrategy",
                            r#"{"type": "RollingUpdate",
                                "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}"#,
                        ),
                        ("revisionHistoryLimit", "10"),
                    ],
                );
            }
            if kind == "Job" {
                default_fields(
                    spec,
                    &[
                        ("backoffLimit", "6"),
                        ("completions", "1"),
                        ("parallelism", "1"),
                    ],
                );
            }
            if let Some(template_spec) = spec
                .get_mut("template")
                .and_then(|t| t.get_mut("spec"))
                .and_then(Value::as_object_mut)
            {
                default_pod_spec(template_spec);
                if kind == "Job" {
                    // A Job's pods must not restart forever; the API requires Never or OnFailure.
                    if template_spec.get("restartPolicy").and_then(Value::as_str) == Some("Always")
                    {
                        template_spec.insert("restartPolicy".into(), "Never".into());
                    }
                }
            }
            if let Some(template_meta) = spec.get_mut("template").and_then(Value::as_object_mut) {
                default_fields(template_meta, &[("metadata", "{}")]);
            }
        }
        "CronJob" => {
            // SetDefaults_CronJob; the job template gets only its pod template's defaults (the
            // Job's own, backoffLimit and the rest, come when a Job is made from it).
            let spec = ensure_object(object, "spec");
            default_fields(
                spec,
                &[
                    ("concurrencyPolicy", r#""Allow""#),
                    ("suspend", "false"),
                    ("successfulJobsHistoryLimit", "3"),
                    ("failedJobsHistoryLimit", "1"),
                ],
            );
            if let Some(template) = spec
                .get_mut("jobTemplate")
                .and_then(|t| t.get_mut("spec"))
                .and_then(|s| s.get_mut("template"))
                .and_then(Value::as_object_mut)
            {
                if let Some(Value::Object(pod_spec)) = template.get_mut("spec") {
                    default_pod_spec(pod_spec);
                }
                default_fields(template, &[("metadata", "{}")]);
            }
        }
        "Service" => {
            let spec = ensure_object(object, "spec");
            default_fields(
                spec,
                &[("type", r#""ClusterIP""#), ("sessionAffinity", r#""None""#)],
            );
            if let Some(Value::Array(ports)) = spec.get_mut("ports") {
                for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                    default_field(p, "protocol", "TCP".into());
                    if let Some(port) = p.get("port").cloned() {
                        default_field(p, "targetPort", port);
                    }
                }
            }
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            // SetDefaults_Subject: users and groups are RBAC subjects; service accounts are core.
            if let Some(Value::Array(subjects)) = object.get_mut("subjects") {
                for s in subjects.iter_mut().filter_map(Value::as_object_mut) {
                    let group = match s.get("kind").and_then(Value::as_str) {
                        Some("User" | "Group") => "rbac.authorization.k8s.io",
                        _ => "",
                    };
                    if s.get("apiGroup")
                        .and_then(Value::as_str)
                        .is_none_or(str::is_empty)
                    {
                        s.insert("apiGroup".into(), json!(group));
                    }
                }
            }
        }
        "Namespace" => {
            // NamespaceDefaultLabelName: every namespace carries its own name as a label.
            let name = object.ptr("/metadata/name").cloned().unwrap_or(Value::Null);
            if name.is_string() {
                let metadata = ensure_object(object, "metadata");
                let labels = metadata.entry("labels").or_insert_with(|| json!({}));
                if let Value::Object(labels) = labels {
                    labels.insert("kubernetes.io/metadata.name".into(), name);
                }
            }
            let spec = ensure_object(object, "spec");
            default_fields(spec, &[("finalizers", r#"["kubernetes"]"#)]);
            let status = ensure_object(object, "status");
            default_fields(status, &[("phase", r#""Active""#)]);
        }
        _ => {}
    }
}

/// What NamespaceLifecycle needs to know about the request's namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamespaceState {
    Missing,
    Active,
    Terminating,
}

/// NamespaceLifecycle on create: no new content in a missing or terminating namespace.
pub fn namespace_lifecycle_create(
    qualified_plural: &str,
    name: &str,
    namespace: &str,
    state: NamespaceState,
) -> Result<(), ApiError> {
    match state {
        NamespaceState::Active => Ok(()),
        NamespaceState::Missing => Err(ApiError::not_found("namespaces", namespace)),
        NamespaceState::Terminating => Err(forbidden(
            qualified_plural,
            name,
            &format!(
                "unable to create new content in namespace {namespace} because it is being terminated"
            ),
        )),
    }
}

/// NamespaceLifecycle on delete: `default`, `kube-system` and `kube-public` stay.
pub fn namespace_lifecycle_delete(name: &str) -> Result<(), ApiError> {
    if IMMORTAL_NAMESPACES.contains(&name) {
        return Err(forbidden(
            "namespaces",
            name,
            "this namespace may not be deleted",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_naming_a_priority_class_gets_its_value_and_an_unknown_class_is_forbidden() {
        let pod = |class: &str| json!({"spec": {"priorityClassName": class, "priority": 0}});
        let high = json!({"value": 1000, "preemptionPolicy": "Never"});
        let cases: [(&str, Option<&Value>, Result<i64, &str>); 4] = [
            ("high", Some(&high), Ok(1000)),
            ("system-cluster-critical", None, Ok(2_000_000_000)),
            ("system-node-critical", None, Ok(2_000_001_000)),
            (
                "nope",
                None,
                Err("pods \"p\" is forbidden: no PriorityClass with name nope was found"),
            ),
        ];
        for (class, stored, want) in cases {
            let mut p = pod(class);
            match (resolve_priority(&mut p, "p", stored), want) {
                (Ok(Some(_)), Ok(v)) => assert_eq!(p["spec"]["priority"], json!(v), "{class}"),
                (Err(e), Err(msg)) => assert_eq!(e.message, msg),
                (got, want) => panic!("{class}: got {got:?}, want {want:?}"),
            }
        }
        let mut none = json!({"spec": {}});
        assert_eq!(resolve_priority(&mut none, "p", None).ok(), Some(None));
        let mut never = pod("high");
        let _ = resolve_priority(&mut never, "p", Some(&high));
        assert_eq!(never["spec"]["preemptionPolicy"], "Never");
    }

    #[test]
    fn images_without_a_tag_or_with_latest_are_always_pulled() {
        for (image, policy) in [
            ("nginx", "Always"),
            ("nginx:latest", "Always"),
            ("nginx:1.27", "IfNotPresent"),
            ("registry:5000/app", "Always"),
            ("registry:5000/app:v2", "IfNotPresent"),
            ("nginx@sha256:abcd", "IfNotPresent"),
        ] {
            assert_eq!(pull_policy(image), policy, "{image}");
        }
    }

    #[test]
    fn default_toleration_seconds_respects_an_existing_toleration() {
        let mut pod = json!({"spec": {"tolerations": [
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10}
        ]}});
        assert!(default_toleration_seconds(&mut pod));
        let list = pod["spec"]["tolerations"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1]["key"], NOT_READY_TAINT);
        assert_eq!(list[1]["tolerationSeconds"], 300);
    }

    #[test]
    fn qos_follows_requests_and_limits() {
        let best = json!({"containers": [{"name": "a"}]});
        let guaranteed = json!({"containers": [{"resources": {
            "requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}}]});
        let burstable = json!({"containers": [{"resources": {"requests": {"cpu": "100m"}}}]});
        assert_eq!(qos_class(&best), "BestEffort");
        assert_eq!(qos_class(&guaranteed), "Guaranteed");
        assert_eq!(qos_class(&burstable), "Burstable");
    }
}
