//! `-o json`, byte for byte as kubectl prints it.
//!
//! Mirrors: kubectl's JSON printer, `json.MarshalIndent` with four spaces and Go's HTML-safe
//! escapes (`\u003c`). An object read from the server or from a file is an unstructured map in
//! kubectl, so its keys print sorted ([`sorted`]); an object kubectl built itself
//! (`create deployment|configmap|...`, `run`, `expose`) is a typed Go struct, so its fields print
//! in declaration order ([`typed`]: `TypeMeta` first, then `ObjectMeta`, the kind's own fields,
//! `Spec`, `Status`). YAML is always sorted.
//! Simplified: only the types these generators produce are listed; a field or type missing here
//! prints after the listed ones, in sorted order.

use serde_json::Value;

/// One Go struct: its JSON field names in declaration order, each with the struct it holds
/// (`"spec:PodSpec"`), or none for a scalar, a map or a type not listed here.
#[rustfmt::skip]
const TYPES: &[(&str, &[&str])] = &[
    ("ObjectMeta", &["name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
        "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
        "labels", "annotations", "ownerReferences", "finalizers", "managedFields"]),
    ("Deployment", &["kind", "apiVersion", "metadata:ObjectMeta", "spec:DeploymentSpec", "status"]),
    ("DeploymentSpec", &["replicas", "selector:LabelSelector", "template:PodTemplateSpec",
        "strategy:DeploymentStrategy", "minReadySeconds", "revisionHistoryLimit", "paused",
        "progressDeadlineSeconds"]),
    ("DeploymentStrategy", &["type", "rollingUpdate"]),
    ("LabelSelector", &["matchLabels", "matchExpressions"]),
    ("PodTemplateSpec", &["metadata:ObjectMeta", "spec:PodSpec"]),
    ("Pod", &["kind", "apiVersion", "metadata:ObjectMeta", "spec:PodSpec", "status"]),
    ("PodSpec", &["volumes", "initContainers:Container", "containers:Container",
        "ephemeralContainers", "restartPolicy", "terminationGracePeriodSeconds",
        "activeDeadlineSeconds", "dnsPolicy", "nodeSelector", "serviceAccountName",
        "serviceAccount", "automountServiceAccountToken", "nodeName", "hostNetwork", "hostPID",
        "hostIPC", "shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname",
        "subdomain", "affinity", "schedulerName", "tolerations", "hostAliases",
        "priorityClassName", "priority", "dnsConfig", "readinessGates", "runtimeClassName",
        "enableServiceLinks", "preemptionPolicy", "overhead", "topologySpreadConstraints",
        "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates", "resourceClaims", "resources"]),
    ("Container", &["name", "image", "command", "args", "workingDir", "ports:ContainerPort",
        "envFrom", "env:EnvVar", "resources", "resizePolicy", "restartPolicy", "volumeMounts",
        "volumeDevices", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle",
        "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy",
        "securityContext", "stdin", "stdinOnce", "tty"]),
    ("ContainerPort", &["name", "hostPort", "containerPort", "protocol", "hostIP"]),
    ("EnvVar", &["name", "value", "valueFrom"]),
    ("Job", &["kind", "apiVersion", "metadata:ObjectMeta", "spec:JobSpec", "status"]),
    ("JobSpec", &["parallelism", "completions", "activeDeadlineSeconds", "podFailurePolicy",
        "successPolicy", "backoffLimit", "backoffLimitPerIndex", "maxFailedIndexes",
        "selector:LabelSelector", "manualSelector", "template:PodTemplateSpec",
        "ttlSecondsAfterFinished", "completionMode", "suspend", "podReplacementPolicy",
        "managedBy"]),
    ("CronJob", &["kind", "apiVersion", "metadata:ObjectMeta", "spec:CronJobSpec", "status"]),
    ("CronJobSpec", &["schedule", "timeZone", "startingDeadlineSeconds", "concurrencyPolicy",
        "suspend", "jobTemplate:JobTemplateSpec", "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit"]),
    ("JobTemplateSpec", &["metadata:ObjectMeta", "spec:JobSpec"]),
    ("Service", &["kind", "apiVersion", "metadata:ObjectMeta", "spec:ServiceSpec", "status"]),
    ("ServiceSpec", &["ports:ServicePort", "selector", "clusterIP", "clusterIPs", "type",
        "externalIPs", "sessionAffinity", "loadBalancerIP", "loadBalancerSourceRanges",
        "externalName", "externalTrafficPolicy", "healthCheckNodePort",
        "publishNotReadyAddresses", "sessionAffinityConfig", "ipFamilies", "ipFamilyPolicy",
        "allocateLoadBalancerNodePorts", "loadBalancerClass", "internalTrafficPolicy",
        "trafficDistribution"]),
    ("ServicePort", &["name", "protocol", "appProtocol", "port", "targetPort", "nodePort"]),
    ("ConfigMap", &["kind", "apiVersion", "metadata:ObjectMeta", "immutable", "data",
        "binaryData"]),
    ("Secret", &["kind", "apiVersion", "metadata:ObjectMeta", "immutable", "data", "stringData",
        "type"]),
    ("ServiceAccount", &["kind", "apiVersion", "metadata:ObjectMeta", "secrets",
        "imagePullSecrets", "automountServiceAccountToken"]),
    ("Namespace", &["kind", "apiVersion", "metadata:ObjectMeta", "spec", "status"]),
    ("ResourceQuota", &["kind", "apiVersion", "metadata:ObjectMeta", "spec:ResourceQuotaSpec",
        "status"]),
    ("ResourceQuotaSpec", &["hard", "scopes", "scopeSelector"]),
    ("PriorityClass", &["kind", "apiVersion", "metadata:ObjectMeta", "value", "globalDefault",
        "description", "preemptionPolicy"]),
    ("Role", &["kind", "apiVersion", "metadata:ObjectMeta", "rules:PolicyRule"]),
    ("ClusterRole", &["kind", "apiVersion", "metadata:ObjectMeta", "rules:PolicyRule",
        "aggregationRule:AggregationRule"]),
    ("PolicyRule", &["verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"]),
    ("AggregationRule", &["clusterRoleSelectors:LabelSelector"]),
    ("RoleBinding", &["kind", "apiVersion", "metadata:ObjectMeta", "subjects:Subject",
        "roleRef:RoleRef"]),
    ("ClusterRoleBinding", &["kind", "apiVersion", "metadata:ObjectMeta", "subjects:Subject",
        "roleRef:RoleRef"]),
    ("Subject", &["kind", "apiGroup", "name", "namespace"]),
    ("RoleRef", &["apiGroup", "kind", "name"]),
];

fn fields(type_name: &str) -> &'static [&'static str] {
    TYPES.iter().find(|t| t.0 == type_name).map_or(&[], |t| t.1)
}

/// A map's `-o json`: every key sorted.
pub fn sorted(value: &Value) -> String {
    pretty(value, "")
}

/// A typed object's `-o json`: its kind's fields in the Go struct's order.
pub fn typed(obj: &Value) -> String {
    pretty(obj, obj.get("kind").and_then(Value::as_str).unwrap_or(""))
}

fn pretty(value: &Value, type_name: &str) -> String {
    let mut out = String::new();
    write(&mut out, value, type_name, 0);
    out.push('\n');
    out
}

fn indent(out: &mut String, depth: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n("    ", depth));
}

/// Writes `value`, a `type_name` struct (or a list of them); `""` keeps a map's sorted order.
fn write(out: &mut String, value: &Value, type_name: &str, depth: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            let listed = fields(type_name);
            let field = |key: &str| listed.iter().position(|f| f.split(':').next() == Some(key));
            let mut keys: Vec<(&String, Option<usize>)> =
                map.keys().map(|k| (k, field(k))).collect();
            // Listed fields first in declaration order, then the rest sorted (a stable sort).
            keys.sort_by_key(|k| k.1.unwrap_or(usize::MAX));
            out.push('{');
            for (i, (key, at)) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, depth + 1);
                go_escaped(out, &Value::from(key.as_str()).to_string());
                out.push_str(": ");
                let child = at
                    .and_then(|at| listed[at].split_once(':'))
                    .map_or("", |f| f.1);
                write(out, &map[key], child, depth + 1);
            }
            indent(out, depth);
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, depth + 1);
                write(out, item, type_name, depth + 1);
            }
            indent(out, depth);
            out.push(']');
        }
        other => go_escaped(out, &other.to_string()),
    }
}

/// Go's HTML-safe escapes; these characters only occur inside JSON strings.
fn go_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_fields_follow_the_struct_and_maps_stay_sorted() {
        let obj = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "b", "labels": {"z": "1", "a": "2"}, "creationTimestamp": null},
            "roleRef": {"name": "view", "kind": "ClusterRole", "apiGroup": "g"},
            "subjects": [{"name": "alice", "kind": "User"}],
            "zzz": {"b": 1, "a": []}
        });
        assert_eq!(
            typed(&obj),
            r#"{
    "kind": "RoleBinding",
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "metadata": {
        "name": "b",
        "creationTimestamp": null,
        "labels": {
            "a": "2",
            "z": "1"
        }
    },
    "subjects": [
        {
            "kind": "User",
            "name": "alice"
        }
    ],
    "roleRef": {
        "apiGroup": "g",
        "kind": "ClusterRole",
        "name": "view"
    },
    "zzz": {
        "a": [],
        "b": 1
    }
}
"#
        );
    }

    #[test]
    fn sorted_is_serde_jsons_pretty_print_with_gos_escapes() {
        let obj = json!({"kind": "Pod", "apiVersion": "v1", "spec": {"containers": [
            {"name": "a<b>", "image": "x&y", "args": ["\u{2028}", 1.5, -3, true, null, {}, []]}]},
            "k<": "\"\\\n"});
        let serde = serde_json::to_string_pretty(&obj)
            .unwrap()
            .replace("  ", "    ");
        let go = serde
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
            .replace('\u{2028}', "\\u2028");
        assert_eq!(sorted(&obj), go + "\n");
        let back: Value = serde_json::from_str(&typed(&obj)).unwrap();
        assert_eq!(back, obj);
        assert!(typed(&obj).starts_with("{\n    \"kind\": \"Pod\",\n    \"apiVersion\""));
    }
}
