//! `metav1.LabelSelector` (matchLabels + matchExpressions) and field selectors.
//!
//! Mirrors: `metav1.LabelSelectorAsSelector` (a missing selector selects nothing, an empty one
//! everything), `k8s.io/apimachinery/pkg/fields` parsing (`metadata.name=x`, `==`, `!=`, comma =
//! AND) and the apiserver's per-kind field label support (`pkg/apis/core/v1/conversion.go`): kinds
//! with their own field labels answer `field label not supported: <f>`, the others
//! `"<f>" is not a known field selector: only "metadata.name", "metadata.namespace"`.
//! Simplified: field values are read straight from the stored JSON object.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::core_v1::null_default;
use super::labels::{Operator, Requirement, Selector};

/// `LabelSelectorRequirement` (meta.v1). Decoded as `k8s-openapi` decodes it: a missing or `null`
/// field reads as empty, unknown keys are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct LabelSelectorRequirement {
    #[serde(rename = "key", deserialize_with = "null_default")]
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`, as written.
    #[serde(rename = "operator", deserialize_with = "null_default")]
    pub operator: String,
    #[serde(rename = "values", deserialize_with = "null_default")]
    pub values: Vec<String>,
}

/// A selector as it appears in a spec (`spec.selector` of a Deployment, `labelSelector` of an
/// affinity term or a topology spread constraint). Absent and empty lists are the same to every
/// reader, so they are one value here; whether the selector itself is absent is an `Option` around
/// it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct LabelSelector {
    #[serde(rename = "matchLabels", deserialize_with = "null_default")]
    pub match_labels: BTreeMap<String, String>,
    #[serde(rename = "matchExpressions", deserialize_with = "null_default")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

impl LabelSelector {
    /// Reads a selector object; fields of the wrong type read as empty (strict decoding has refused
    /// those before anything stored could reach here).
    pub fn from_value(v: &Value) -> LabelSelector {
        let match_labels = super::string_map(v.get("matchLabels"));
        let match_expressions = v
            .get("matchExpressions")
            .and_then(Value::as_array)
            .map(|exprs| {
                exprs
                    .iter()
                    .map(|e| LabelSelectorRequirement {
                        key: e
                            .get("key")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        operator: e
                            .get("operator")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        values: e
                            .get("values")
                            .and_then(Value::as_array)
                            .map(|vs| {
                                vs.iter()
                                    .filter_map(|v| v.as_str().map(str::to_string))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        LabelSelector {
            match_labels,
            match_expressions,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// `metav1.LabelSelectorAsSelector`.
    pub fn to_selector(&self) -> Result<Selector, String> {
        let mut selector = Selector::everything();
        for (k, v) in &self.match_labels {
            selector.add(Requirement::new(k, Operator::Equals, vec![v.clone()])?);
        }
        for e in &self.match_expressions {
            let op = match e.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => return Err(format!("{other:?} is not a valid label selector operator")),
            };
            selector.add(Requirement::new(&e.key, op, e.values.clone())?);
        }
        Ok(selector)
    }

    /// Whether a label set is selected; an invalid selector selects nothing.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.to_selector().is_ok_and(|s| s.matches(labels))
    }
}

/// A `spec.selector` that may be absent: absent selects nothing, as upstream.
pub fn selector_from_optional(v: Option<&Value>) -> Result<Selector, String> {
    match v {
        None | Some(Value::Null) => Ok(Selector::nothing()),
        Some(v) => LabelSelector::from_value(v).to_selector(),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRequirement {
    pub field: String,
    pub value: String,
    /// `!=` rather than `=`/`==`.
    pub not_equal: bool,
}

/// `--field-selector metadata.name=web,status.phase!=Running`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector {
    pub requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    /// `fields.ParseSelector`.
    pub fn parse(input: &str) -> Result<FieldSelector, String> {
        let mut requirements = Vec::new();
        for part in split_unescaped_commas(input) {
            if part.is_empty() {
                continue;
            }
            let (field, value, not_equal) = if let Some((f, v)) = part.split_once("!=") {
                (f, v, true)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, v, false)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, v, false)
            } else {
                return Err(format!(
                    "invalid selector: '{input}'; can't understand '{part}'"
                ));
            };
            requirements.push(FieldRequirement {
                field: field.to_string(),
                value: value.replace("\\,", ",").replace("\\=", "="),
                not_equal,
            });
        }
        Ok(FieldSelector { requirements })
    }

    /// Refuses fields the apiserver cannot select on for this kind, with upstream's message.
    pub fn check_supported(&self, kind: &str) -> Result<(), String> {
        let extra = supported_fields(kind);
        for r in &self.requirements {
            let f = r.field.as_str();
            if f == "metadata.name" || f == "metadata.namespace" || extra.contains(&f) {
                continue;
            }
            return Err(if extra.is_empty() {
                format!(
                    "{f:?} is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
                )
            } else {
                format!("field label not supported: {f}")
            });
        }
        Ok(())
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.requirements.iter().all(|r| {
            let have = field_value(obj, &r.field);
            (have == r.value) != r.not_equal
        })
    }
}

fn split_unescaped_commas(input: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut escaped) = (0, false);
    for (i, c) in input.char_indices() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, ',') => {
                parts.push(&input[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&input[start..]);
    parts
}

/// The field labels beyond metadata.name/namespace each kind registers upstream.
fn supported_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "Pod" => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
        ],
        "Node" => &["spec.unschedulable"],
        "Namespace" => &["status.phase"],
        "Secret" => &["type"],
        "ReplicationController" | "ReplicaSet" => &["status.replicas"],
        "Job" => &["status.successful"],
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
        _ => &[],
    }
}

/// The string a field selector compares: strings as they are, numbers and booleans printed,
/// `spec.unschedulable` and `spec.hostNetwork` defaulting to `false` as upstream.
fn field_value(obj: &Value, field: &str) -> String {
    let mut v = Some(obj);
    for part in field.split('.') {
        v = v.and_then(|v| v.get(part));
    }
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(items)) if field == "status.podIPs" => items
            .first()
            .and_then(|i| i.get("ip"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        _ if field == "spec.unschedulable" || field == "spec.hostNetwork" => "false".to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn match_labels_and_match_expressions_must_all_hold() {
        let sel = LabelSelector::from_value(&json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "staging"]},
                {"key": "legacy", "operator": "DoesNotExist"}
            ]
        }));
        assert!(sel.matches(&labels(&[("app", "web"), ("env", "prod")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("env", "dev")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("env", "prod"), ("legacy", "1")])));
        assert!(!sel.matches(&labels(&[("env", "prod")])));
    }

    #[test]
    fn an_empty_selector_selects_everything_and_a_missing_one_nothing() {
        let any = labels(&[("a", "b")]);
        assert!(LabelSelector::from_value(&json!({})).matches(&any));
        assert!(!selector_from_optional(None).unwrap().matches(&any));
        assert!(selector_from_optional(Some(&json!({})))
            .unwrap()
            .matches(&any));
    }

    #[test]
    fn an_unknown_operator_is_an_error_and_selects_nothing() {
        let sel = LabelSelector::from_value(&json!({
            "matchExpressions": [{"key": "a", "operator": "Equals", "values": ["b"]}]
        }));
        assert_eq!(
            sel.to_selector().unwrap_err(),
            "\"Equals\" is not a valid label selector operator"
        );
        assert!(!sel.matches(&labels(&[("a", "b")])));
    }

    #[test]
    fn field_selectors_compare_object_fields() {
        let pod = json!({
            "metadata": {"name": "web-1", "namespace": "default"},
            "spec": {"nodeName": "node1"},
            "status": {"phase": "Running"}
        });
        for (selector, expected) in [
            ("metadata.name=web-1", true),
            ("metadata.name==web-2", false),
            ("spec.nodeName=node1,status.phase!=Running", false),
            ("status.phase!=Pending", true),
            ("spec.nodeName=", false),
            ("spec.hostNetwork=false", true),
            ("", true),
        ] {
            let s = FieldSelector::parse(selector).unwrap();
            assert_eq!(s.matches(&pod), expected, "{selector}");
        }
    }

    #[test]
    fn unsupported_field_selectors_are_refused_with_upstream_messages() {
        let s = FieldSelector::parse("spec.foo=x").unwrap();
        assert_eq!(
            s.check_supported("Deployment").unwrap_err(),
            "\"spec.foo\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
        );
        assert_eq!(
            s.check_supported("Pod").unwrap_err(),
            "field label not supported: spec.foo"
        );
        assert!(FieldSelector::parse("spec.nodeName=n")
            .unwrap()
            .check_supported("Pod")
            .is_ok());
        assert_eq!(
            FieldSelector::parse("nonsense").unwrap_err(),
            "invalid selector: 'nonsense'; can't understand 'nonsense'"
        );
    }
}
