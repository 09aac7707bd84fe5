//! Authorization: may this user do this verb on this resource?
//!
//! Mirrors: `plugin/pkg/auth/authorizer/rbac` (rule matching, `RuleAllows`, the subject match of
//! `appliesTo`) behind the privileged-group authorizer that lets `system:masters` through, and the
//! Forbidden message of `k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go`.
//! Simplified: no aggregated ClusterRoles, no non-resource URLs, no Node authorizer (kubelets are
//! authorized by RBAC through the `system:nodes` group).

use std::collections::BTreeMap;

use serde_json::Value;

use super::authn::{UserInfo, MASTERS_GROUP};
use super::request::{ApiClient, ApiError, ApiRequest, Credentials, Verb};

/// What the authorizer is asked: `authorizer.Attributes` for a resource request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attributes<'a> {
    pub user: &'a UserInfo,
    pub verb: &'a str,
    pub api_group: &'a str,
    pub resource: &'a str,
    pub subresource: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
}

impl Attributes<'_> {
    /// `User "student" cannot list resource "pods" in API group "" in the namespace "kube-system"`.
    pub fn forbidden_reason(&self) -> String {
        let resource = match self.subresource {
            Some(sub) => format!("{}/{}", self.resource, sub),
            None => self.resource.to_string(),
        };
        match self.namespace.filter(|ns| !ns.is_empty()) {
            Some(ns) => format!(
                "User \"{}\" cannot {} resource \"{}\" in API group \"{}\" in the namespace \"{}\"",
                self.user.name, self.verb, resource, self.api_group, ns
            ),
            None => format!(
                "User \"{}\" cannot {} resource \"{}\" in API group \"{}\" at the cluster scope",
                self.user.name, self.verb, resource, self.api_group
            ),
        }
    }
}

/// One `rbacv1.PolicyRule`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyRule {
    pub verbs: Vec<String>,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub resource_names: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

impl PolicyRule {
    /// `RuleAllows`: verb, group, resource (with subresource as `pods/status`) and name all match.
    pub fn allows(&self, a: &Attributes) -> bool {
        let any = |list: &[String], item: &str| list.iter().any(|x| x == "*" || x == item);
        let resource_ok = self.resources.iter().any(|r| {
            let combined = match a.subresource {
                Some(sub) => format!("{}/{}", a.resource, sub),
                None => a.resource.to_string(),
            };
            r == "*" || *r == combined || a.subresource.is_some_and(|sub| *r == format!("*/{sub}"))
        });
        let name_ok = self.resource_names.is_empty()
            || a.name
                .is_some_and(|n| self.resource_names.iter().any(|x| x == n));
        any(&self.verbs, a.verb) && any(&self.api_groups, a.api_group) && resource_ok && name_ok
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Subject {
    kind: String,
    name: String,
    namespace: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Binding {
    /// `ClusterRoleBinding "x"` or `RoleBinding "x/y"`, for the decision's reason.
    describe: String,
    role_kind: String,
    role_name: String,
    subjects: Vec<Subject>,
}

impl Binding {
    /// `appliesTo`: the first subject this user matches, described as upstream's audit reason.
    fn applies_to(&self, user: &UserInfo, binding_namespace: &str) -> Option<String> {
        self.subjects.iter().find_map(|s| {
            let hit = match s.kind.as_str() {
                "User" => s.name == user.name,
                "Group" => user.groups.contains(&s.name),
                "ServiceAccount" => {
                    let ns = if s.namespace.is_empty() {
                        binding_namespace
                    } else {
                        &s.namespace
                    };
                    user.name == format!("system:serviceaccount:{ns}:{}", s.name)
                }
                _ => false,
            };
            hit.then(|| format!("{} \"{}\"", s.kind, s.name))
        })
    }
}

/// The RBAC objects, read from the store and parsed once until one of them changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RbacIndex {
    cluster_roles: BTreeMap<String, Vec<PolicyRule>>,
    roles: BTreeMap<(String, String), Vec<PolicyRule>>,
    cluster_bindings: Vec<Binding>,
    bindings: BTreeMap<String, Vec<Binding>>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn rules(object: &Value) -> Vec<PolicyRule> {
    object
        .get("rules")
        .and_then(Value::as_array)
        .map(|rules| {
            rules
                .iter()
                .map(|r| PolicyRule {
                    verbs: strings(r.get("verbs")),
                    api_groups: strings(r.get("apiGroups")),
                    resources: strings(r.get("resources")),
                    resource_names: strings(r.get("resourceNames")),
                    non_resource_urls: strings(r.get("nonResourceURLs")),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn meta<'a>(object: &'a Value, field: &str) -> &'a str {
    object
        .get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn binding(object: &Value, kind: &str) -> Binding {
    let role_ref = object.get("roleRef");
    let text = |v: Option<&Value>, f: &str| {
        v.and_then(|x| x.get(f))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let subjects = object
        .get("subjects")
        .and_then(Value::as_array)
        .map(|subjects| {
            subjects
                .iter()
                .map(|s| Subject {
                    kind: text(Some(s), "kind"),
                    name: text(Some(s), "name"),
                    namespace: text(Some(s), "namespace"),
                })
                .collect()
        })
        .unwrap_or_default();
    let describe = match meta(object, "namespace") {
        "" => format!("{kind} \"{}\"", meta(object, "name")),
        ns => format!("{kind} \"{}/{}\"", meta(object, "name"), ns),
    };
    Binding {
        describe,
        role_kind: text(role_ref, "kind"),
        role_name: text(role_ref, "name"),
        subjects,
    }
}

impl RbacIndex {
    /// Builds the index from the four kinds' objects (as stored).
    pub fn build<'a>(
        cluster_roles: impl Iterator<Item = &'a Value>,
        cluster_role_bindings: impl Iterator<Item = &'a Value>,
        roles: impl Iterator<Item = &'a Value>,
        role_bindings: impl Iterator<Item = &'a Value>,
    ) -> RbacIndex {
        let mut index = RbacIndex::default();
        for r in cluster_roles {
            index
                .cluster_roles
                .insert(meta(r, "name").to_string(), rules(r));
        }
        for r in roles {
            index.roles.insert(
                (
                    meta(r, "namespace").to_string(),
                    meta(r, "name").to_string(),
                ),
                rules(r),
            );
        }
        for b in cluster_role_bindings {
            index
                .cluster_bindings
                .push(binding(b, "ClusterRoleBinding"));
        }
        for b in role_bindings {
            index
                .bindings
                .entry(meta(b, "namespace").to_string())
                .or_default()
                .push(binding(b, "RoleBinding"));
        }
        index
    }

    fn role_rules(&self, kind: &str, name: &str, namespace: &str) -> &[PolicyRule] {
        let found = match kind {
            "ClusterRole" => self.cluster_roles.get(name),
            "Role" => self.roles.get(&(namespace.to_string(), name.to_string())),
            _ => None,
        };
        found.map(Vec::as_slice).unwrap_or(&[])
    }

    /// The rules `user` holds in `namespace` (cluster-wide ones and, with a namespace, those
    /// its RoleBindings give): what a SelfSubjectRulesReview answers.
    pub fn rules_for(&self, user: &UserInfo, namespace: &str) -> Vec<PolicyRule> {
        let cluster = self.cluster_bindings.iter().map(|b| (b, ""));
        let local = self.bindings.get(namespace).into_iter().flatten();
        let mut out = Vec::new();
        for (b, ns) in cluster.chain(local.map(|b| (b, namespace))) {
            if b.applies_to(user, ns).is_some() {
                out.extend_from_slice(self.role_rules(&b.role_kind, &b.role_name, ns));
            }
        }
        out
    }

    /// Ok(why it is allowed) or Err(why not), in upstream's audit-annotation words.
    pub fn authorize(&self, a: &Attributes) -> Result<String, String> {
        if a.user.groups.iter().any(|g| g == MASTERS_GROUP) {
            return Ok(format!("allowed: user is in group \"{MASTERS_GROUP}\""));
        }
        for b in &self.cluster_bindings {
            if let Some(subject) = b.applies_to(a.user, "") {
                if self
                    .role_rules(&b.role_kind, &b.role_name, "")
                    .iter()
                    .any(|r| r.allows(a))
                {
                    return Ok(format!(
                        "RBAC: allowed by {} of ClusterRole \"{}\" to {}",
                        b.describe, b.role_name, subject
                    ));
                }
            }
        }
        if let Some(ns) = a.namespace.filter(|ns| !ns.is_empty()) {
            for b in self.bindings.get(ns).map(Vec::as_slice).unwrap_or(&[]) {
                if let Some(subject) = b.applies_to(a.user, ns) {
                    if self
                        .role_rules(&b.role_kind, &b.role_name, ns)
                        .iter()
                        .any(|r| r.allows(a))
                    {
                        return Ok(format!(
                            "RBAC: allowed by {} of {} \"{}\" to {}",
                            b.describe, b.role_kind, b.role_name, subject
                        ));
                    }
                }
            }
        }
        Err(a.forbidden_reason())
    }
}

/// Whether `user` may reach a non-resource URL (`/healthz`): the sandbox's RBAC has no
/// non-resource rules, so only the admin groups may.
pub fn non_resource_allowed(user: &UserInfo) -> bool {
    user.groups
        .iter()
        .any(|g| g == MASTERS_GROUP || g == "kubeadm:cluster-admins")
}

/// The cluster's RBAC policy as the apiserver's authorizer holds it, read through `client` as
/// `kubernetes-admin` even under `--as` (the real `kubectl auth can-i` asks the apiserver with a
/// SelfSubjectAccessReview, which anyone may create): what the terminal's `can-i` (and its
/// `--list`) is answered with. `kube-sandbox serve` asks the apiserver's own authorizer instead
/// (`Cluster::authorize`).
pub fn read_index(client: &mut dyn ApiClient) -> Result<RbacIndex, ApiError> {
    let mut lists = Vec::new();
    for plural in [
        "clusterroles",
        "clusterrolebindings",
        "roles",
        "rolebindings",
    ] {
        let mut body = client
            .call(ApiRequest::new(Credentials::admin(), Verb::List, plural))?
            .body;
        lists.push(match body["items"].take() {
            Value::Array(items) => items,
            _ => Vec::new(),
        });
    }
    Ok(RbacIndex::build(
        lists[0].iter(),
        lists[1].iter(),
        lists[2].iter(),
        lists[3].iter(),
    ))
}
