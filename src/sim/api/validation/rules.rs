//! The per-kind rules. Function names follow upstream's (`validate_object_meta` is
//! `ValidateObjectMeta`, `validate_pod_spec` is `ValidatePodSpec`) so a student can find theirs.

use crate::sim::api::JsonPointer;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::names::*;
use super::{go_quote, go_string_map, go_value, FieldError as E};
use crate::sim::api::quantity::Quantity;
use crate::sim::api::resources::ResourceInfo;
use crate::sim::api::selector::LabelSelector;

type Errs = Vec<E>;

const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES: usize = 256 * 1024;
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn child<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|c| !c.is_null())
}

fn nonnegative(errs: &mut Errs, v: &Value, key: &str, path: &str) {
    if let Some(n) = int(v, key) {
        if n < 0 {
            errs.push(E::invalid(
                &format!("{path}.{key}"),
                n.to_string(),
                "must be greater than or equal to 0",
            ));
        }
    }
}

/// Which name rule a kind uses (`ValidatePodName`, `ValidateServiceName`, ...).
fn name_rule(kind: &str) -> fn(&str) -> Vec<String> {
    match kind {
        "Namespace" => is_dns1123_label,
        "Service" => is_dns1035_label,
        "Role" | "RoleBinding" | "ClusterRole" | "ClusterRoleBinding" => is_valid_path_segment_name,
        _ => is_dns1123_subdomain,
    }
}

pub fn validate_object(info: &ResourceInfo, obj: &Value) -> Errs {
    let mut errs = validate_object_meta(info, obj.get("metadata").unwrap_or(&Value::Null));
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    match info.kind {
        "Pod" => validate_pod_spec(&mut errs, spec, "spec"),
        "Deployment" => validate_deployment_spec(&mut errs, spec),
        "ReplicaSet" => validate_replica_set_spec(&mut errs, spec, "deployment"),
        "DaemonSet" => validate_daemon_set_spec(&mut errs, spec),
        "ReplicationController" => validate_replication_controller_spec(&mut errs, spec),
        "Job" => validate_job_spec(&mut errs, spec),
        "CronJob" => validate_cron_job(&mut errs, obj, spec),
        "Service" => validate_service_spec(&mut errs, spec),
        "ConfigMap" | "Secret" => {
            validate_data_keys(&mut errs, info.kind, obj);
            validate_data_size(&mut errs, info.kind, obj);
        }
        "Role" | "ClusterRole" => validate_rules(&mut errs, obj, info.kind == "Role"),
        "RoleBinding" | "ClusterRoleBinding" => {
            validate_binding(&mut errs, obj, info.kind == "RoleBinding")
        }
        "Lease" => validate_lease_spec(&mut errs, spec),
        "EndpointSlice" => validate_endpoint_slice(&mut errs, obj),
        "Endpoints" => validate_endpoints(&mut errs, obj),
        "PriorityClass" => validate_priority_class(&mut errs, obj),
        "ResourceQuota" => validate_resource_quota(&mut errs, obj),
        "Event" => validate_event(&mut errs, obj),
        _ => {}
    }
    errs
}

/// `ValidateObjectMeta`.
fn validate_object_meta(info: &ResourceInfo, meta: &Value) -> Errs {
    let mut errs = Errs::new();
    let name_fn = name_rule(info.kind);
    let generate_name = s(meta, "generateName");
    if !generate_name.is_empty() {
        for msg in name_fn(mask_trailing_dash(generate_name, true)) {
            errs.push(E::invalid(
                "metadata.generateName",
                go_quote(generate_name),
                &msg,
            ));
        }
    }
    let name = s(meta, "name");
    if name.is_empty() {
        errs.push(E::required(
            "metadata.name",
            "name or generateName is required",
        ));
    } else {
        for msg in name_fn(name) {
            errs.push(E::invalid("metadata.name", go_quote(name), &msg));
        }
    }
    let namespace = meta.get("namespace").and_then(Value::as_str);
    if info.namespaced {
        // An absent namespace is filled in from the request before validation upstream.
        if namespace == Some("") {
            errs.push(E::required("metadata.namespace", ""));
        } else if let Some(ns) = namespace {
            for msg in is_dns1123_label(ns) {
                errs.push(E::invalid("metadata.namespace", go_quote(ns), &msg));
            }
        }
    } else if namespace.is_some_and(|ns| !ns.is_empty()) {
        errs.push(E::forbidden(
            "metadata.namespace",
            "not allowed on this type",
        ));
    }
    nonnegative(&mut errs, meta, "generation", "metadata");
    validate_labels(&mut errs, meta.get("labels"), "metadata.labels");
    validate_annotations(&mut errs, meta.get("annotations"), "metadata.annotations");
    errs
}

/// `ValidateLabels`: each key a qualified name, each value a label value.
fn validate_labels(errs: &mut Errs, labels: Option<&Value>, path: &str) {
    let Some(map) = labels.and_then(Value::as_object) else {
        return;
    };
    for (k, v) in map {
        for msg in is_qualified_name(k) {
            errs.push(E::invalid(path, go_quote(k), &msg));
        }
        let v = v.as_str().unwrap_or("");
        for msg in is_label_value(v) {
            errs.push(E::invalid(path, go_quote(v), &msg));
        }
    }
}

/// `ValidateAnnotations`: lower-cased keys are qualified names; the total size is bounded.
fn validate_annotations(errs: &mut Errs, annotations: Option<&Value>, path: &str) {
    let Some(map) = annotations.and_then(Value::as_object) else {
        return;
    };
    let mut total = 0;
    for (k, v) in map {
        for msg in is_qualified_name(&k.to_lowercase()) {
            errs.push(E::invalid(path, go_quote(k), &msg));
        }
        total += k.len() + v.as_str().map_or(0, str::len);
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES {
        errs.push(E::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
    }
}

/// `ValidatePodSpec` (the student-facing part).
fn validate_pod_spec(errs: &mut Errs, spec: &Value, path: &str) {
    let mut volume_names = BTreeSet::new();
    for (i, volume) in arr(spec, "volumes").iter().enumerate() {
        let p = format!("{path}.volumes[{i}].name");
        let name = s(volume, "name");
        if name.is_empty() {
            errs.push(E::required(&p, ""));
        } else {
            for msg in is_dns1123_label(name) {
                errs.push(E::invalid(&p, go_quote(name), &msg));
            }
            if !volume_names.insert(name.to_string()) {
                errs.push(E::duplicate(&p, go_quote(name)));
            }
        }
    }
    let mut container_names = BTreeSet::new();
    for field in ["initContainers", "containers"] {
        for (i, c) in arr(spec, field).iter().enumerate() {
            validate_container(
                errs,
                c,
                &format!("{path}.{field}[{i}]"),
                &mut container_names,
                &volume_names,
            );
        }
    }
    if arr(spec, "containers").is_empty() {
        errs.push(E::required(&format!("{path}.containers"), ""));
    }
    let restart_policy = s(spec, "restartPolicy");
    if !restart_policy.is_empty() && !["Always", "OnFailure", "Never"].contains(&restart_policy) {
        errs.push(E::not_supported(
            &format!("{path}.restartPolicy"),
            go_quote(restart_policy),
            &["Always", "OnFailure", "Never"],
        ));
    }
    let dns_policy = s(spec, "dnsPolicy");
    let dns_policies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
    if !dns_policy.is_empty() && !dns_policies.contains(&dns_policy) {
        errs.push(E::not_supported(
            &format!("{path}.dnsPolicy"),
            go_quote(dns_policy),
            &dns_policies,
        ));
    }
    validate_labels(
        errs,
        spec.get("nodeSelector"),
        &format!("{path}.nodeSelector"),
    );
    nonnegative(errs, spec, "terminationGracePeriodSeconds", path);
    if let Some(n) = int(spec, "activeDeadlineSeconds") {
        if n <= 0 {
            errs.push(E::invalid(
                &format!("{path}.activeDeadlineSeconds"),
                n.to_string(),
                "must be between 1 and 2147483647, inclusive",
            ));
        }
    }
    let node_name = s(spec, "nodeName");
    if !node_name.is_empty() {
        for msg in is_dns1123_subdomain(node_name) {
            errs.push(E::invalid(
                &format!("{path}.nodeName"),
                go_quote(node_name),
                &msg,
            ));
        }
    }
}

fn validate_container(
    errs: &mut Errs,
    c: &Value,
    path: &str,
    names: &mut BTreeSet<String>,
    volumes: &BTreeSet<String>,
) {
    let name = s(c, "name");
    let name_path = format!("{path}.name");
    if name.is_empty() {
        errs.push(E::required(&name_path, ""));
    } else {
        for msg in is_dns1123_label(name) {
            errs.push(E::invalid(&name_path, go_quote(name), &msg));
        }
        if !names.insert(name.to_string()) {
            errs.push(E::duplicate(&name_path, go_quote(name)));
        }
    }
    let image = s(c, "image");
    if image.is_empty() {
        errs.push(E::required(&format!("{path}.image"), ""));
    } else if image.trim() != image {
        errs.push(E::invalid(
            &format!("{path}.image"),
            go_quote(image),
            "must not have leading or trailing whitespace",
        ));
    }
    let pull = s(c, "imagePullPolicy");
    if !pull.is_empty() && !["Always", "IfNotPresent", "Never"].contains(&pull) {
        errs.push(E::not_supported(
            &format!("{path}.imagePullPolicy"),
            go_quote(pull),
            &["Always", "IfNotPresent", "Never"],
        ));
    }
    let mut port_names = BTreeSet::new();
    for (j, port) in arr(c, "ports").iter().enumerate() {
        let p = format!("{path}.ports[{j}]");
        let port_name = s(port, "name");
        if !port_name.is_empty() {
            for msg in is_valid_port_name(port_name) {
                errs.push(E::invalid(&format!("{p}.name"), go_quote(port_name), &msg));
            }
            if !port_names.insert(port_name.to_string()) {
                errs.push(E::duplicate(&format!("{p}.name"), go_quote(port_name)));
            }
        }
        match int(port, "containerPort") {
            None | Some(0) => errs.push(E::required(&format!("{p}.containerPort"), "")),
            Some(n) => {
                for msg in is_valid_port_num(n) {
                    errs.push(E::invalid(
                        &format!("{p}.containerPort"),
                        n.to_string(),
                        &msg,
                    ));
                }
            }
        }
        if let Some(n) = int(port, "hostPort").filter(|n| *n != 0) {
            for msg in is_valid_port_num(n) {
                errs.push(E::invalid(&format!("{p}.hostPort"), n.to_string(), &msg));
            }
        }
        validate_protocol(errs, port, &p);
    }
    for (j, mount) in arr(c, "volumeMounts").iter().enumerate() {
        let p = format!("{path}.volumeMounts[{j}]");
        let name = s(mount, "name");
        if name.is_empty() {
            errs.push(E::required(&format!("{p}.name"), ""));
        } else if !volumes.contains(name) {
            errs.push(E::not_found(&format!("{p}.name"), go_quote(name)));
        }
        if s(mount, "mountPath").is_empty() {
            errs.push(E::required(&format!("{p}.mountPath"), ""));
        }
    }
    if let Some(resources) = child(c, "resources") {
        validate_resource_requirements(errs, resources, &format!("{path}.resources"));
    }
}

fn validate_protocol(errs: &mut Errs, port: &Value, path: &str) {
    let protocol = s(port, "protocol");
    if !protocol.is_empty() && !["SCTP", "TCP", "UDP"].contains(&protocol) {
        errs.push(E::not_supported(
            &format!("{path}.protocol"),
            go_quote(protocol),
            &["SCTP", "TCP", "UDP"],
        ));
    }
}

/// `ValidateResourceRequirements`: quantities non-negative, requests no more than limits.
fn validate_resource_requirements(errs: &mut Errs, resources: &Value, path: &str) {
    let read = |field: &str| crate::sim::api::quota::resource_list(resources.get(field));
    let limits = read("limits");
    let requests = read("requests");
    for (field, map) in [("limits", &limits), ("requests", &requests)] {
        for (k, q) in map {
            if q.is_negative() {
                errs.push(E::invalid(
                    &format!("{path}.{field}[{k}]"),
                    go_quote(&q.canonical()),
                    "must be greater than or equal to 0",
                ));
            }
        }
    }
    for (k, request) in &requests {
        if let Some(limit) = limits.get(k) {
            if request > limit {
                errs.push(E::invalid(
                    &format!("{path}.requests[{k}]"),
                    go_quote(&request.canonical()),
                    &format!(
                        "must be less than or equal to {k} limit of {}",
                        limit.canonical()
                    ),
                ));
            }
        }
    }
}

/// `%#v` of a `*metav1.LabelSelector` as a field error prints it.
fn go_label_selector(sel: &LabelSelector) -> String {
    let labels = if sel.match_labels.is_empty() {
        go_string_map(None)
    } else {
        go_string_map(Some(&sel.match_labels))
    };
    let exprs = if sel.match_expressions.is_empty() {
        "[]v1.LabelSelectorRequirement(nil)".to_string()
    } else {
        let items: Vec<String> = sel
            .match_expressions
            .iter()
            .map(|e| {
                let values: Vec<String> = e.values.iter().map(|v| go_quote(v)).collect();
                format!(
                    "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:[]string{{{}}}}}",
                    go_quote(&e.key),
                    go_quote(&e.operator),
                    values.join(", ")
                )
            })
            .collect();
        format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
    };
    format!("v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{exprs}}}")
}

/// `ValidateLabelSelector`.
fn validate_label_selector(errs: &mut Errs, sel: &Value, path: &str) {
    for (i, e) in arr(sel, "matchExpressions").iter().enumerate() {
        let p = format!("{path}.matchExpressions[{i}]");
        let op = s(e, "operator");
        let has_values = !arr(e, "values").is_empty();
        match op {
            "In" | "NotIn" if !has_values => errs.push(E::required(
                &format!("{p}.values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            )),
            "Exists" | "DoesNotExist" if has_values => errs.push(E::forbidden(
                &format!("{p}.values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => errs.push(E::invalid(
                &format!("{p}.operator"),
                go_quote(other),
                "not a valid selector operator",
            )),
        }
        let key = s(e, "key");
        for msg in is_qualified_name(key) {
            errs.push(E::invalid(&format!("{p}.key"), go_quote(key), &msg));
        }
    }
    validate_labels(errs, sel.get("matchLabels"), &format!("{path}.matchLabels"));
}

/// The template part shared by ReplicaSet, Deployment and DaemonSet
/// (`ValidatePodTemplateSpecForReplicaSet`): labels match the selector, restartPolicy Always.
fn validate_template_for_selector(
    errs: &mut Errs,
    spec: &Value,
    selector: Option<&LabelSelector>,
    restart_policies: &[&str],
) {
    let Some(template) = child(spec, "template") else {
        errs.push(E::required("spec.template", ""));
        return;
    };
    let meta = template.get("metadata").unwrap_or(&Value::Null);
    let labels = crate::sim::api::string_map(meta.get("labels"));
    if let Some(sel) = selector {
        if let Ok(parsed) = sel.to_selector() {
            if !parsed.is_empty() && !parsed.matches(&labels) {
                let shown = if meta.get("labels").is_some_and(Value::is_object) {
                    go_string_map(Some(&labels))
                } else {
                    go_string_map(None)
                };
                errs.push(E::invalid(
                    "spec.template.metadata.labels",
                    shown,
                    "`selector` does not match template `labels`",
                ));
            }
        }
    }
    validate_labels(errs, meta.get("labels"), "spec.template.metadata.labels");
    validate_annotations(
        errs,
        meta.get("annotations"),
        "spec.template.metadata.annotations",
    );
    let pod_spec = template.get("spec").unwrap_or(&Value::Null);
    validate_pod_spec(errs, pod_spec, "spec.template.spec");
    let policy = s(pod_spec, "restartPolicy");
    if restart_policies.len() == 1 && !policy.is_empty() && policy != restart_policies[0] {
        errs.push(E::not_supported(
            "spec.template.spec.restartPolicy",
            go_quote(policy),
            restart_policies,
        ));
    }
}

/// Selector required and non-empty; returns it for the template check.
fn required_selector(errs: &mut Errs, spec: &Value, owner: &str) -> Option<LabelSelector> {
    let Some(sel_value) = child(spec, "selector") else {
        errs.push(E::required("spec.selector", ""));
        return None;
    };
    validate_label_selector(errs, sel_value, "spec.selector");
    let sel = LabelSelector::from_value(sel_value);
    if sel.is_empty() {
        errs.push(E::invalid(
            "spec.selector",
            go_label_selector(&sel),
            &format!("empty selector is invalid for {owner}"),
        ));
    }
    Some(sel)
}

/// `ValidateReplicaSetSpec` (the Deployment spec shares it, with its own owner in the message).
fn validate_replica_set_spec(errs: &mut Errs, spec: &Value, owner: &str) {
    nonnegative(errs, spec, "replicas", "spec");
    nonnegative(errs, spec, "minReadySeconds", "spec");
    let sel = required_selector(errs, spec, owner);
    validate_template_for_selector(errs, spec, sel.as_ref(), &["Always"]);
}

/// `ValidateDeploymentSpec`.
fn validate_deployment_spec(errs: &mut Errs, spec: &Value) {
    validate_replica_set_spec(errs, spec, "deployment");
    if let Some(strategy) = child(spec, "strategy") {
        let kind = s(strategy, "type");
        match kind {
            "Recreate" if child(strategy, "rollingUpdate").is_some() => errs.push(E::forbidden(
                "spec.strategy.rollingUpdate",
                "may not be specified when strategy `type` is 'Recreate'",
            )),
            "" | "Recreate" | "RollingUpdate" => {}
            other => errs.push(E::not_supported(
                "spec.strategy.type",
                go_quote(other),
                &["Recreate", "RollingUpdate"],
            )),
        }
        if let Some(ru) = child(strategy, "rollingUpdate") {
            let surge = ru.get("maxSurge");
            let unavailable = ru.get("maxUnavailable");
            let is_zero = |v: Option<&Value>| {
                matches!(v, Some(Value::Number(n)) if n.as_i64() == Some(0))
                    || matches!(v, Some(Value::String(s)) if s == "0%")
            };
            if is_zero(surge) && is_zero(unavailable) {
                errs.push(E::invalid(
                    "spec.strategy.rollingUpdate.maxUnavailable",
                    unavailable.map(go_value).unwrap_or_default(),
                    "may not be 0 when `maxSurge` is 0",
                ));
            }
            for (key, v) in [("maxSurge", surge), ("maxUnavailable", unavailable)] {
                validate_int_or_percent(errs, v, &format!("spec.strategy.rollingUpdate.{key}"));
            }
        }
    }
    nonnegative(errs, spec, "revisionHistoryLimit", "spec");
    if let (Some(deadline), min_ready) = (
        int(spec, "progressDeadlineSeconds"),
        int(spec, "minReadySeconds").unwrap_or(0),
    ) {
        if deadline <= min_ready {
            errs.push(E::invalid(
                "spec.progressDeadlineSeconds",
                deadline.to_string(),
                "must be greater than minReadySeconds",
            ));
        }
    }
}

fn validate_int_or_percent(errs: &mut Errs, v: Option<&Value>, path: &str) {
    match v {
        Some(Value::Number(n)) if n.as_i64().is_some_and(|n| n < 0) => errs.push(E::invalid(
            path,
            n.to_string(),
            "must be greater than or equal to 0",
        )),
        Some(Value::String(text)) => {
            let digits = text.strip_suffix('%');
            match digits.and_then(|d| d.parse::<u64>().ok()) {
                None => errs.push(E::invalid(
                    path,
                    go_quote(text),
                    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')".replace(",  or", ", or").as_str(),
                )),
                Some(p) if p > 100 && path.ends_with("maxUnavailable") => errs.push(E::invalid(
                    path,
                    go_quote(text),
                    "must not be greater than 100%",
                )),
                _ => {}
            }
        }
        _ => {}
    }
}

/// `ValidateDaemonSetSpec`.
fn validate_daemon_set_spec(errs: &mut Errs, spec: &Value) {
    let sel = required_selector(errs, spec, "daemonset");
    validate_template_for_selector(errs, spec, sel.as_ref(), &["Always"]);
    nonnegative(errs, spec, "minReadySeconds", "spec");
    nonnegative(errs, spec, "revisionHistoryLimit", "spec");
    if let Some(strategy) = child(spec, "updateStrategy") {
        let kind = s(strategy, "type");
        if !kind.is_empty() && kind != "OnDelete" && kind != "RollingUpdate" {
            errs.push(E::not_supported(
                "spec.updateStrategy.type",
                go_quote(kind),
                &["OnDelete", "RollingUpdate"],
            ));
        }
    }
}

/// `ValidateReplicationControllerSpec`. A missing selector is defaulted upstream from the
/// template's labels, so only a given one is compared.
fn validate_replication_controller_spec(errs: &mut Errs, spec: &Value) {
    nonnegative(errs, spec, "replicas", "spec");
    nonnegative(errs, spec, "minReadySeconds", "spec");
    let given = child(spec, "selector").and_then(Value::as_object);
    let selector = match given {
        Some(map) if map.is_empty() => {
            errs.push(E::required("spec.selector", ""));
            None
        }
        Some(_) => {
            validate_labels(errs, spec.get("selector"), "spec.selector");
            Some(LabelSelector {
                match_labels: crate::sim::api::string_map(spec.get("selector")),
                match_expressions: Vec::new(),
            })
        }
        None => None,
    };
    validate_template_for_selector(errs, spec, selector.as_ref(), &["Always"]);
}

/// `ValidateJobSpec`: counts non-negative, restartPolicy OnFailure or Never.
fn validate_job_spec(errs: &mut Errs, spec: &Value) {
    for key in [
        "parallelism",
        "completions",
        "backoffLimit",
        "ttlSecondsAfterFinished",
    ] {
        nonnegative(errs, spec, key, "spec");
    }
    if let Some(n) = int(spec, "activeDeadlineSeconds") {
        if n <= 0 {
            errs.push(E::invalid(
                "spec.activeDeadlineSeconds",
                n.to_string(),
                "must be greater than or equal to 0",
            ));
        }
    }
    // The apiserver generates the selector unless manualSelector is set; a given one must match.
    let selector = child(spec, "selector").map(LabelSelector::from_value);
    validate_template_for_selector(errs, spec, selector.as_ref(), &[]);
    let policy = spec
        .ptr("/template/spec/restartPolicy")
        .and_then(Value::as_str)
        .unwrap_or("");
    match policy {
        "OnFailure" | "Never" => {}
        "" => errs.push(E::required(
            "spec.template.spec.restartPolicy",
            "valid values: \"OnFailure\", \"Never\"",
        )),
        other => errs.push(E::not_supported(
            "spec.template.spec.restartPolicy",
            go_quote(other),
            &["OnFailure", "Never"],
        )),
    }
}

/// `ValidateCronJobCreate`: the name leaves room for the `-<minutes>` suffix of its Jobs, the
/// schedule parses (robfig/cron's message) and names no zone, the policy and limits, and the
/// job template as a Job's spec (`ValidateJobTemplateSpec`, its errors under
/// `spec.jobTemplate.spec`). Simplified: `spec.timeZone` knows only UTC (see `api::cron`).
fn validate_cron_job(errs: &mut Errs, obj: &Value, spec: &Value) {
    let name = obj
        .ptr("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    if name.len() > 52 {
        errs.push(E::invalid(
            "metadata.name",
            go_quote(name),
            "must be no more than 52 characters",
        ));
    }
    let schedule = s(spec, "schedule");
    if schedule.is_empty() {
        errs.push(E::required("spec.schedule", ""));
    } else {
        if let Err(e) = crate::sim::api::cron::parse(schedule) {
            errs.push(E::invalid("spec.schedule", go_quote(schedule), &e));
        }
        if schedule.contains("TZ") {
            errs.push(E::invalid(
                "spec.schedule",
                go_quote(schedule),
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            ));
        }
    }
    for key in [
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
    ] {
        nonnegative(errs, spec, key, "spec");
    }
    let policies = ["Allow", "Forbid", "Replace"];
    // Empty is defaulted to Allow before validation (upstream's Required never fires then).
    let policy = s(spec, "concurrencyPolicy");
    if !policy.is_empty() && !policies.contains(&policy) {
        let bad = go_quote(policy);
        errs.push(E::not_supported("spec.concurrencyPolicy", bad, &policies));
    }
    if let Some(zone) = spec.get("timeZone").and_then(Value::as_str) {
        if zone.is_empty() {
            let detail = "timeZone must be nil or non-empty string";
            errs.push(E::invalid("spec.timeZone", go_quote(zone), detail));
        } else if !matches!(zone, "UTC" | "Etc/UTC") {
            let detail = format!("unknown time zone {zone}");
            errs.push(E::invalid("spec.timeZone", go_quote(zone), &detail));
        }
    }
    let job_spec = spec.ptr("/jobTemplate/spec").unwrap_or(&Value::Null);
    if let Some(selector) = child(job_spec, "selector") {
        let shown = go_value(selector);
        let detail = "`selector` will be auto-generated";
        errs.push(E::invalid("spec.jobTemplate.spec.selector", shown, detail));
    }
    let mut template_errs = Vec::new();
    validate_job_spec(&mut template_errs, job_spec);
    for mut e in template_errs {
        e.field = format!("spec.jobTemplate.{}", e.field);
        errs.push(e);
    }
}

/// `ValidateService`: type, ports, names, target ports, selector labels.
fn validate_service_spec(errs: &mut Errs, spec: &Value) {
    let kind = s(spec, "type");
    let types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    if !kind.is_empty() && !types.contains(&kind) {
        errs.push(E::not_supported("spec.type", go_quote(kind), &types));
    }
    let ports = arr(spec, "ports");
    let headless = s(spec, "clusterIP") == "None";
    if kind == "ExternalName" {
        if s(spec, "externalName").is_empty() {
            errs.push(E::required("spec.externalName", ""));
        }
    } else if ports.is_empty() && !headless {
        errs.push(E::required("spec.ports", ""));
    }
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let p = format!("spec.ports[{i}]");
        let name = s(port, "name");
        if name.is_empty() {
            if ports.len() > 1 {
                errs.push(E::required(&format!("{p}.name"), ""));
            }
        } else {
            for msg in is_dns1123_label(name) {
                errs.push(E::invalid(&format!("{p}.name"), go_quote(name), &msg));
            }
            if !names.insert(name.to_string()) {
                errs.push(E::duplicate(&format!("{p}.name"), go_quote(name)));
            }
        }
        validate_protocol(errs, port, &p);
        let number = int(port, "port").unwrap_or(0);
        for msg in is_valid_port_num(number) {
            errs.push(E::invalid(&format!("{p}.port"), number.to_string(), &msg));
        }
        match port.get("targetPort") {
            Some(Value::Number(n)) => {
                let n = n.as_i64().unwrap_or(-1);
                if n != 0 {
                    for msg in is_valid_port_num(n) {
                        errs.push(E::invalid(&format!("{p}.targetPort"), n.to_string(), &msg));
                    }
                }
            }
            Some(Value::String(name)) => {
                for msg in is_valid_port_name(name) {
                    errs.push(E::invalid(&format!("{p}.targetPort"), go_quote(name), &msg));
                }
            }
            _ => {}
        }
        if let Some(node_port) = int(port, "nodePort").filter(|n| *n != 0) {
            if kind.is_empty() || kind == "ClusterIP" {
                errs.push(E::forbidden(
                    &format!("{p}.nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            } else if !(30000..=32767).contains(&node_port) {
                errs.push(E::invalid(
                    &format!("{p}.nodePort"),
                    node_port.to_string(),
                    "provided port is not in the valid range. The range of valid ports is 30000-32767",
                ));
            }
        }
    }
    validate_labels(errs, spec.get("selector"), "spec.selector");
}

/// ConfigMap and Secret keys (`ValidateConfigMap`, `ValidateSecret`).
fn validate_data_keys(errs: &mut Errs, kind: &str, obj: &Value) {
    let data = obj.get("data").and_then(Value::as_object);
    let other = if kind == "ConfigMap" {
        "binaryData"
    } else {
        "stringData"
    };
    for field in ["data", other] {
        if let Some(map) = obj.get(field).and_then(Value::as_object) {
            for key in map.keys() {
                for msg in is_config_map_key(key) {
                    errs.push(E::invalid(&format!("{field}[{key}]"), go_quote(key), &msg));
                }
                if field == "binaryData" && data.is_some_and(|d| d.contains_key(key)) {
                    errs.push(E::invalid(
                        "data",
                        go_quote(key),
                        "duplicate of key present in binaryData",
                    ));
                }
            }
        }
    }
    if kind == "Secret" && s(obj, "type") == "kubernetes.io/tls" {
        for key in ["tls.crt", "tls.key"] {
            let present = [data, obj.get("stringData").and_then(Value::as_object)]
                .iter()
                .any(|m| m.is_some_and(|m| m.contains_key(key)));
            if !present {
                errs.push(E::required(&format!("data[{key}]"), ""));
            }
        }
    }
}

/// What a ConfigMap or a Secret may hold in all: `core.MaxSecretSize`.
pub const MAX_SECRET_SIZE: usize = 1024 * 1024;

/// The bytes a base64 text decodes to (the object's `[]byte`), counted without decoding it.
fn base64_decoded_len(text: &str) -> usize {
    let padding = text.bytes().rev().take_while(|&b| b == b'=').count().min(2);
    (text.len() / 4 * 3).saturating_sub(padding)
}

/// The size half of `ValidateConfigMap` and `ValidateSecret`: the values, not the keys nor the
/// manifest, counted in bytes. A ConfigMap counts `data` and `binaryData` and names no field;
/// a Secret counts `data` once `stringData` is merged into it (the internal version the rule
/// runs on), and names `data`.
fn validate_data_size(errs: &mut Errs, kind: &str, obj: &Value) {
    let map = |field: &str| obj.get(field).and_then(Value::as_object);
    let text_len = |v: &Value| v.as_str().map_or(0, str::len);
    let bytes_len = |v: &Value| v.as_str().map_or(0, base64_decoded_len);
    let (total, field) = if kind == "ConfigMap" {
        let data: usize = map("data")
            .into_iter()
            .flatten()
            .map(|(_, v)| text_len(v))
            .sum();
        let binary: usize = map("binaryData")
            .into_iter()
            .flatten()
            .map(|(_, v)| bytes_len(v))
            .sum();
        // `field.NewPath("")` prints as `[]`.
        (data + binary, "[]")
    } else {
        let mut merged: BTreeMap<&str, usize> = BTreeMap::new();
        for (k, v) in map("data").into_iter().flatten() {
            merged.insert(k, bytes_len(v));
        }
        for (k, v) in map("stringData").into_iter().flatten() {
            merged.insert(k, text_len(v));
        }
        (merged.values().sum(), "data")
    };
    if total > MAX_SECRET_SIZE {
        errs.push(E::too_long(field, MAX_SECRET_SIZE));
    }
}

/// `ValidatePolicyRule` for Role and ClusterRole.
fn validate_rules(errs: &mut Errs, obj: &Value, namespaced: bool) {
    for (i, rule) in arr(obj, "rules").iter().enumerate() {
        let p = format!("rules[{i}]");
        if arr(rule, "verbs").is_empty() {
            errs.push(E::required(
                &format!("{p}.verbs"),
                "verbs must contain at least one value",
            ));
        }
        let non_resource = arr(rule, "nonResourceURLs");
        if !non_resource.is_empty() {
            if namespaced {
                errs.push(E::invalid(
                    &format!("{p}.nonResourceURLs"),
                    format!(
                        "[]string{{{}}}",
                        non_resource
                            .iter()
                            .map(go_value)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "namespaced rules cannot apply to non-resource URLs",
                ));
            }
            if !arr(rule, "apiGroups").is_empty() || !arr(rule, "resources").is_empty() {
                errs.push(E::invalid(
                    &format!("{p}.nonResourceURLs"),
                    format!(
                        "[]string{{{}}}",
                        non_resource
                            .iter()
                            .map(go_value)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "rules cannot apply to both regular resources and non-resource URLs",
                ));
            }
            continue;
        }
        if arr(rule, "apiGroups").is_empty() {
            errs.push(E::required(
                &format!("{p}.apiGroups"),
                "resource rules must supply at least one api group",
            ));
        }
    }
}

/// `ValidateRoleBinding` / `ValidateClusterRoleBinding`.
fn validate_binding(errs: &mut Errs, obj: &Value, namespaced: bool) {
    let role_ref = obj.get("roleRef").unwrap_or(&Value::Null);
    let group = s(role_ref, "apiGroup");
    if group != RBAC_GROUP {
        errs.push(E::not_supported(
            "roleRef.apiGroup",
            go_quote(group),
            &[RBAC_GROUP],
        ));
    }
    let kinds: &[&str] = if namespaced {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    let kind = s(role_ref, "kind");
    if !kinds.contains(&kind) {
        errs.push(E::not_supported("roleRef.kind", go_quote(kind), kinds));
    }
    let name = s(role_ref, "name");
    if name.is_empty() {
        errs.push(E::required("roleRef.name", ""));
    } else {
        for msg in is_valid_path_segment_name(name) {
            errs.push(E::invalid("roleRef.name", go_quote(name), &msg));
        }
    }
    for (i, subject) in arr(obj, "subjects").iter().enumerate() {
        let p = format!("subjects[{i}]");
        if s(subject, "name").is_empty() {
            errs.push(E::required(&format!("{p}.name"), ""));
        }
        let group = s(subject, "apiGroup");
        match s(subject, "kind") {
            "ServiceAccount" => {
                if !group.is_empty() {
                    errs.push(E::not_supported(
                        &format!("{p}.apiGroup"),
                        go_quote(group),
                        &[""],
                    ));
                }
                if s(subject, "namespace").is_empty() && !namespaced {
                    errs.push(E::required(&format!("{p}.namespace"), ""));
                }
            }
            "User" | "Group" => {
                if group != RBAC_GROUP {
                    errs.push(E::not_supported(
                        &format!("{p}.apiGroup"),
                        go_quote(group),
                        &[RBAC_GROUP],
                    ));
                }
            }
            other => errs.push(E::not_supported(
                &format!("{p}.kind"),
                go_quote(other),
                &["ServiceAccount", "User", "Group"],
            )),
        }
    }
}

fn go_role_ref(role_ref: &Value) -> String {
    format!(
        "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
        go_quote(s(role_ref, "apiGroup")),
        go_quote(s(role_ref, "kind")),
        go_quote(s(role_ref, "name"))
    )
}

/// `ValidateLeaseSpec`.
fn validate_lease_spec(errs: &mut Errs, spec: &Value) {
    if let Some(n) = int(spec, "leaseDurationSeconds") {
        if n <= 0 {
            errs.push(E::invalid(
                "spec.leaseDurationSeconds",
                n.to_string(),
                "must be greater than 0",
            ));
        }
    }
    if let Some(n) = int(spec, "leaseTransitions") {
        if n < 0 {
            errs.push(E::invalid(
                "spec.leaseTransitions",
                n.to_string(),
                "must be greater than or equal to 0",
            ));
        }
    }
}

/// `ValidateEndpointSlice`: address type, and at least one address per endpoint.
fn validate_endpoint_slice(errs: &mut Errs, obj: &Value) {
    let address_type = s(obj, "addressType");
    let types = ["IPv4", "IPv6", "FQDN"];
    if address_type.is_empty() {
        errs.push(E::required("addressType", ""));
    } else if !types.contains(&address_type) {
        errs.push(E::not_supported(
            "addressType",
            go_quote(address_type),
            &types,
        ));
    }
    for (i, endpoint) in arr(obj, "endpoints").iter().enumerate() {
        if arr(endpoint, "addresses").is_empty() {
            errs.push(E::required(
                &format!("endpoints[{i}].addresses"),
                "must contain at least 1 address",
            ));
        }
    }
    for (i, port) in arr(obj, "ports").iter().enumerate() {
        if let Some(n) = int(port, "port") {
            for msg in is_valid_port_num(n) {
                errs.push(E::invalid(&format!("ports[{i}].port"), n.to_string(), &msg));
            }
        }
        validate_protocol(errs, port, &format!("ports[{i}]"));
    }
}

/// `ValidateEndpoints`: each address has an IP, each port is in range.
fn validate_endpoints(errs: &mut Errs, obj: &Value) {
    for (i, subset) in arr(obj, "subsets").iter().enumerate() {
        for field in ["addresses", "notReadyAddresses"] {
            for (j, address) in arr(subset, field).iter().enumerate() {
                if s(address, "ip").is_empty() {
                    errs.push(E::required(&format!("subsets[{i}].{field}[{j}].ip"), ""));
                }
            }
        }
        for (j, port) in arr(subset, "ports").iter().enumerate() {
            let n = int(port, "port").unwrap_or(0);
            for msg in is_valid_port_num(n) {
                errs.push(E::invalid(
                    &format!("subsets[{i}].ports[{j}].port"),
                    n.to_string(),
                    &msg,
                ));
            }
            validate_protocol(errs, port, &format!("subsets[{i}].ports[{j}]"));
        }
    }
}

/// `ValidatePriorityClass`: `system-` names are reserved; user values at most one billion.
fn validate_priority_class(errs: &mut Errs, obj: &Value) {
    let name = crate::sim::api::name(obj);
    let system = ["system-node-critical", "system-cluster-critical"];
    if name.starts_with("system-") && !system.contains(&name) {
        errs.push(E::invalid(
            "metadata.name",
            go_quote(name),
            "priority class names with 'system-' prefix are reserved",
        ));
    }
    if let Some(value) = int(obj, "value") {
        if value > 1_000_000_000 && !system.contains(&name) {
            errs.push(E::forbidden(
                "value",
                "maximum allowed value of a user defined priority is 1000000000",
            ));
        }
    }
}

/// `ValidateResourceQuota`: each name a quota resource (`ValidateResourceQuotaResourceName`),
/// each quantity non-negative and whole for object counts (`ValidateResourceQuantityValue`), in
/// `spec.hard`, `status.hard` and `status.used`.
fn validate_resource_quota(errs: &mut Errs, obj: &Value) {
    use crate::sim::api::quota::{is_integer_resource, STANDARD_QUOTA_RESOURCES};
    for (field, path) in [
        ("/spec/hard", "spec.hard"),
        ("/status/hard", "status.hard"),
        ("/status/used", "status.used"),
    ] {
        let Some(Value::Object(list)) = obj.ptr(field) else {
            continue;
        };
        for (k, v) in list {
            let at = format!("{path}[{k}]");
            for msg in is_qualified_name(k) {
                errs.push(E::invalid(&at, go_quote(k), &msg));
            }
            if !k.contains('/') && !STANDARD_QUOTA_RESOURCES.contains(&k.as_str()) {
                errs.push(E::invalid(
                    &at,
                    go_quote(k),
                    "must be a standard resource for quota",
                ));
            }
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            let Ok(q) = Quantity::parse(&text) else {
                continue;
            };
            if q.is_negative() {
                let bad = go_quote(&q.canonical());
                errs.push(E::invalid(&at, bad, "must be greater than or equal to 0"));
            }
            if is_integer_resource(k) && q.milli_value() % 1000 != 0 {
                let bad = go_quote(&q.canonical());
                errs.push(E::invalid(&at, bad, "must be an integer"));
            }
        }
    }
}

/// `ValidateEvent` (core/v1): the involved object lives in the event's namespace.
fn validate_event(errs: &mut Errs, obj: &Value) {
    let event_ns = crate::sim::api::namespace(obj);
    let involved = obj.get("involvedObject").unwrap_or(&Value::Null);
    let ns = s(involved, "namespace");
    if !ns.is_empty() && !event_ns.is_empty() && ns != event_ns {
        errs.push(E::invalid(
            "involvedObject.namespace",
            go_quote(ns),
            "does not match event.namespace",
        ));
    }
}

/// Immutable fields: `ValidateObjectMetaUpdate` and each kind's `Validate<Kind>Update`.
pub fn validate_update(info: &ResourceInfo, old: &Value, new: &Value) -> Errs {
    let mut errs = Errs::new();
    for (field, path) in [
        ("/metadata/name", "metadata.name"),
        ("/metadata/namespace", "metadata.namespace"),
        ("/metadata/uid", "metadata.uid"),
        ("/metadata/creationTimestamp", "metadata.creationTimestamp"),
    ] {
        let (a, b) = (old.ptr(field), new.ptr(field));
        // Fields the client left out are filled from the stored object upstream.
        if let (Some(a), Some(b)) = (a, b) {
            if a != b {
                errs.push(E::invalid(path, go_value(b), "field is immutable"));
            }
        }
    }
    let immutable =
        |errs: &mut Errs, pointer: &str, path: &str, render: &dyn Fn(&Value) -> String| {
            let (a, b) = (old.ptr(pointer), new.ptr(pointer));
            if a != b {
                let shown = b.map(render).unwrap_or_else(|| "null".to_string());
                errs.push(E::invalid(path, shown, "field is immutable"));
            }
        };
    let selector = |v: &Value| go_label_selector(&LabelSelector::from_value(v));
    match info.kind {
        "Deployment" | "ReplicaSet" | "DaemonSet" => {
            immutable(&mut errs, "/spec/selector", "spec.selector", &selector)
        }
        "Job" => {
            immutable(&mut errs, "/spec/selector", "spec.selector", &selector);
            immutable(
                &mut errs,
                "/spec/completions",
                "spec.completions",
                &go_value,
            );
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            if old.get("roleRef") != new.get("roleRef") {
                errs.push(E::invalid(
                    "roleRef",
                    go_role_ref(new.get("roleRef").unwrap_or(&Value::Null)),
                    "cannot change roleRef",
                ));
            }
        }
        "Secret" | "ConfigMap" => {
            if old.get("immutable") == Some(&Value::Bool(true)) {
                for field in ["data", "binaryData"] {
                    if old.get(field) != new.get(field) {
                        errs.push(E::forbidden(
                            field,
                            "field is immutable when `immutable` is set",
                        ));
                    }
                }
                if new.get("immutable") != Some(&Value::Bool(true)) {
                    errs.push(E::forbidden(
                        "immutable",
                        "field is immutable when `immutable` is set",
                    ));
                }
            }
            if info.kind == "Secret" {
                immutable(&mut errs, "/type", "type", &go_value);
            }
        }
        "Service" => {
            let (a, b) = (
                s(old.get("spec").unwrap_or(&Value::Null), "clusterIP"),
                s(new.get("spec").unwrap_or(&Value::Null), "clusterIP"),
            );
            if !a.is_empty() && !b.is_empty() && a != b {
                errs.push(E::invalid(
                    "spec.clusterIPs[0]",
                    go_quote(b),
                    "may not change once set",
                ));
            }
        }
        "PriorityClass" => {
            if old.get("value") != new.get("value") {
                errs.push(E::forbidden("value", "may not be changed in an update."));
            }
        }
        "Pod" => {
            if old.get("spec").map(pod_spec_without_mutable)
                != new.get("spec").map(pod_spec_without_mutable)
            {
                errs.push(E::forbidden(
                    "spec",
                    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
                ));
            }
        }
        _ => {}
    }
    errs
}

/// A pod spec with the fields an update may change blanked out, for comparison.
fn pod_spec_without_mutable(spec: &Value) -> Value {
    let mut spec = spec.clone();
    if let Some(map) = spec.as_object_mut() {
        map.remove("activeDeadlineSeconds");
        map.remove("tolerations");
        map.remove("terminationGracePeriodSeconds");
        for field in ["containers", "initContainers"] {
            if let Some(Value::Array(items)) = map.get_mut(field) {
                for c in items {
                    if let Some(c) = c.as_object_mut() {
                        c.remove("image");
                    }
                }
            }
        }
    }
    spec
}
