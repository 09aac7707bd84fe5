//! Label selectors, node selector terms and tolerations, as the scheduler's plugins read them.
//!
//! Mirrors: `k8s.io/apimachinery/pkg/labels` (`LabelSelectorAsSelector`),
//! `k8s.io/component-helpers/scheduling/corev1/nodeaffinity` and `v1helper.TolerationsTolerateTaint`.
//! Simplified: an unknown operator matches nothing (the apiserver's validation rejects it before
//! the scheduler can see it).

use std::collections::BTreeMap;

use crate::sim::api::core_v1::{NodeSelectorRequirement, NodeSelectorTerm, Taint, Toleration};
use crate::sim::api::selector::LabelSelector;

pub type Labels = BTreeMap<String, String>;

/// `metav1.LabelSelector` against a set of labels. An empty selector matches everything; callers
/// decide what a missing (nil) selector means, as upstream does (usually: nothing).
/// Unlike [`LabelSelector::matches`], keys and values are not validated first: the scheduler
/// trusts what the apiserver stored, as upstream's plugins do.
pub fn selector_matches(selector: &LabelSelector, labels: &Labels) -> bool {
    for (key, value) in &selector.match_labels {
        if labels.get(key) != Some(value) {
            return false;
        }
    }
    for requirement in &selector.match_expressions {
        let values = &requirement.values;
        let label = labels.get(&requirement.key);
        let ok = match requirement.operator.as_str() {
            "In" => label.is_some_and(|v| values.contains(v)),
            "NotIn" => label.is_none_or(|v| !values.contains(v)),
            "Exists" => label.is_some(),
            "DoesNotExist" => label.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// True when the selector has neither labels nor expressions (matches everything).
pub fn selector_is_empty(selector: &LabelSelector) -> bool {
    selector.match_labels.is_empty() && selector.match_expressions.is_empty()
}

/// One `NodeSelectorRequirement` against the node's labels (`matchExpressions`) or fields
/// (`matchFields`, where only `metadata.name` exists).
fn requirement_matches(requirement: &NodeSelectorRequirement, value: Option<&String>) -> bool {
    let values = requirement.values.as_deref().unwrap_or(&[]);
    match requirement.operator.as_str() {
        "In" => value.is_some_and(|v| values.contains(v)),
        "NotIn" => value.is_none_or(|v| !values.contains(v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        // Gt/Lt compare integers; exactly one value, both sides must parse.
        "Gt" | "Lt" => {
            let (Some(v), [bound]) = (value, values) else {
                return false;
            };
            let (Ok(v), Ok(bound)) = (v.parse::<i64>(), bound.parse::<i64>()) else {
                return false;
            };
            if requirement.operator == "Gt" {
                v > bound
            } else {
                v < bound
            }
        }
        _ => false,
    }
}

/// A node selector term: all its expressions and fields must match. A term with neither matches
/// nothing (upstream: "an empty term matches no objects").
pub fn node_selector_term_matches(
    term: &NodeSelectorTerm,
    labels: &Labels,
    node_name: &str,
) -> bool {
    let expressions = term.match_expressions.as_deref().unwrap_or(&[]);
    let fields = term.match_fields.as_deref().unwrap_or(&[]);
    if expressions.is_empty() && fields.is_empty() {
        return false;
    }
    let name = node_name.to_string();
    expressions
        .iter()
        .all(|r| requirement_matches(r, labels.get(&r.key)))
        && fields.iter().all(|r| {
            let value = (r.key == "metadata.name").then_some(&name);
            requirement_matches(r, value)
        })
}

/// Terms are ORed: the node matches when any term does.
pub fn node_selector_terms_match(
    terms: &[NodeSelectorTerm],
    labels: &Labels,
    node_name: &str,
) -> bool {
    terms
        .iter()
        .any(|t| node_selector_term_matches(t, labels, node_name))
}

/// `Toleration.ToleratesTaint`: effects must match (an empty effect tolerates all effects), keys
/// must match (an empty key with `Exists` tolerates every key), and for `Equal` (the default
/// operator) the values must be equal.
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect = toleration.effect.as_deref().unwrap_or("");
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or("");
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match toleration.operator.as_deref().unwrap_or("Equal") {
        "Exists" => true,
        "Equal" | "" => {
            toleration.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("")
        }
        _ => false,
    }
}

/// Whether any of the tolerations tolerates the taint.
pub fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| tolerates(t, taint))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::selector::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn label_selectors_combine_labels_and_expressions() {
        let l = labels(&[("app", "web"), ("tier", "front")]);
        let cases = [
            (LabelSelector::default(), true),
            (
                LabelSelector {
                    match_labels: labels(&[("app", "web")]),
                    ..Default::default()
                },
                true,
            ),
            (
                LabelSelector {
                    match_labels: labels(&[("app", "db")]),
                    ..Default::default()
                },
                false,
            ),
            (
                LabelSelector {
                    match_expressions: vec![expr("tier", "In", &["front", "back"])],
                    ..Default::default()
                },
                true,
            ),
            (
                LabelSelector {
                    match_expressions: vec![expr("tier", "NotIn", &["front"])],
                    ..Default::default()
                },
                false,
            ),
            (
                LabelSelector {
                    match_expressions: vec![expr("zone", "DoesNotExist", &[])],
                    ..Default::default()
                },
                true,
            ),
        ];
        for (selector, want) in cases {
            assert_eq!(selector_matches(&selector, &l), want, "{selector:?}");
        }
    }

    #[test]
    fn an_empty_node_selector_term_matches_no_node() {
        let term = NodeSelectorTerm::default();
        assert!(!node_selector_term_matches(
            &term,
            &labels(&[("a", "b")]),
            "n"
        ));
    }

    #[test]
    fn gt_and_lt_compare_integers_and_refuse_non_integers() {
        let req = |op: &str, v: &str| NodeSelectorTerm {
            match_expressions: Some(vec![NodeSelectorRequirement {
                key: "cores".into(),
                operator: op.into(),
                values: Some(vec![v.into()]),
            }]),
            ..Default::default()
        };
        let l = labels(&[("cores", "8")]);
        assert!(node_selector_term_matches(&req("Gt", "4"), &l, "n"));
        assert!(!node_selector_term_matches(&req("Lt", "4"), &l, "n"));
        assert!(!node_selector_term_matches(&req("Gt", "four"), &l, "n"));
    }

    #[test]
    fn match_fields_select_by_node_name() {
        let term = NodeSelectorTerm {
            match_fields: Some(vec![NodeSelectorRequirement {
                key: "metadata.name".into(),
                operator: "In".into(),
                values: Some(vec!["node1".into()]),
            }]),
            ..Default::default()
        };
        assert!(node_selector_term_matches(&term, &Labels::new(), "node1"));
        assert!(!node_selector_term_matches(&term, &Labels::new(), "node2"));
    }

    #[test]
    fn tolerations_match_taints_as_upstream() {
        let taint = Taint {
            key: "node-role.kubernetes.io/control-plane".into(),
            effect: "NoSchedule".into(),
            value: None,
        };
        let tol = |key: Option<&str>,
                   op: Option<&str>,
                   value: Option<&str>,
                   effect: Option<&str>| Toleration {
            key: key.map(Into::into),
            operator: op.map(Into::into),
            value: value.map(Into::into),
            effect: effect.map(Into::into),
            toleration_seconds: None,
        };
        let cases = [
            (tol(None, Some("Exists"), None, None), true),
            (
                tol(
                    Some("node-role.kubernetes.io/control-plane"),
                    Some("Exists"),
                    None,
                    Some("NoSchedule"),
                ),
                true,
            ),
            (
                tol(
                    Some("node-role.kubernetes.io/control-plane"),
                    None,
                    None,
                    None,
                ),
                true,
            ),
            (
                tol(
                    Some("node-role.kubernetes.io/control-plane"),
                    None,
                    Some("x"),
                    None,
                ),
                false,
            ),
            (
                tol(
                    Some("node-role.kubernetes.io/control-plane"),
                    Some("Exists"),
                    None,
                    Some("NoExecute"),
                ),
                false,
            ),
            (tol(Some("other"), Some("Exists"), None, None), false),
        ];
        for (t, want) in cases {
            assert_eq!(tolerates(&t, &taint), want, "{t:?}");
        }
    }
}
