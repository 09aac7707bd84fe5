//! The kinds the sandbox serves, and how kubectl names them.
//!
//! Mirrors: the apiserver's discovery documents (`kubectl api-resources`) and the storage prefixes
//! kube-apiserver uses in etcd (`/registry/<prefix>/<namespace>/<name>`).
//! Simplified: one served version per group; no aggregated APIs or CRDs.

/// One row of `kubectl api-resources`, plus where the apiserver keeps it in etcd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    pub kind: &'static str,
    /// The resource name in URLs and RBAC rules: `pods`, `deployments`.
    pub plural: &'static str,
    pub singular: &'static str,
    pub short_names: &'static [&'static str],
    /// `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub namespaced: bool,
    /// The etcd key prefix under `/registry/`; not always the plural (`minions`, `services/specs`).
    pub etcd_prefix: &'static str,
}

impl ResourceInfo {
    /// `v1` for the core group, `apps/v1` otherwise.
    pub fn api_version(&self) -> String {
        group_version(self.group, self.version)
    }

    /// `deployments.apps`, as kubectl names a resource in messages; `pods` for the core group.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The etcd key of one object: `/registry/pods/default/web`, `/registry/minions/node1`.
    pub fn key(&self, namespace: Option<&str>, name: &str) -> String {
        match (self.namespaced, namespace) {
            (true, Some(ns)) => format!("/registry/{}/{}/{}", self.etcd_prefix, ns, name),
            _ => format!("/registry/{}/{}", self.etcd_prefix, name),
        }
    }

    /// The prefix that ranges over all objects of this resource, in one namespace or in all.
    pub fn prefix(&self, namespace: Option<&str>) -> String {
        match (self.namespaced, namespace) {
            (true, Some(ns)) => format!("/registry/{}/{}/", self.etcd_prefix, ns),
            _ => format!("/registry/{}/", self.etcd_prefix),
        }
    }
}

macro_rules! resource {
    ($kind:literal, $plural:literal, $singular:literal, [$($short:literal),*], $group:literal,
     $version:literal, $namespaced:literal, $prefix:literal) => {
        ResourceInfo {
            kind: $kind,
            plural: $plural,
            singular: $singular,
            short_names: &[$($short),*],
            group: $group,
            version: $version,
            namespaced: $namespaced,
            etcd_prefix: $prefix,
        }
    };
}

/// `apps/v1`, or `v1` for the core group: an `apiVersion` and a discovery `groupVersion`.
pub fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// The review APIs that have no storage: (group, version, resource, kind). `kubectl auth can-i`
/// posts a SelfSubjectAccessReview, `kubectl auth whoami` a SelfSubjectReview; discovery and
/// `kubectl api-resources` list them beside the stored kinds.
pub const REVIEWS: &[(&str, &str, &str, &str)] = &[
    (
        "authentication.k8s.io",
        "v1",
        "selfsubjectreviews",
        "SelfSubjectReview",
    ),
    (
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        "SelfSubjectAccessReview",
    ),
];

/// Every served resource, in `kubectl api-resources` order (core group first, then by group).
pub const RESOURCES: &[ResourceInfo] = &[
    resource!(
        "ConfigMap",
        "configmaps",
        "configmap",
        ["cm"],
        "",
        "v1",
        true,
        "configmaps"
    ),
    resource!(
        "Endpoints",
        "endpoints",
        "endpoints",
        ["ep"],
        "",
        "v1",
        true,
        "services/endpoints"
    ),
    resource!("Event", "events", "event", ["ev"], "", "v1", true, "events"),
    resource!(
        "Namespace",
        "namespaces",
        "namespace",
        ["ns"],
        "",
        "v1",
        false,
        "namespaces"
    ),
    resource!("Node", "nodes", "node", ["no"], "", "v1", false, "minions"),
    resource!("Pod", "pods", "pod", ["po"], "", "v1", true, "pods"),
    resource!(
        "ReplicationController",
        "replicationcontrollers",
        "replicationcontroller",
        ["rc"],
        "",
        "v1",
        true,
        "controllers"
    ),
    resource!(
        "ResourceQuota",
        "resourcequotas",
        "resourcequota",
        ["quota"],
        "",
        "v1",
        true,
        "resourcequotas"
    ),
    resource!("Secret", "secrets", "secret", [], "", "v1", true, "secrets"),
    resource!(
        "ServiceAccount",
        "serviceaccounts",
        "serviceaccount",
        ["sa"],
        "",
        "v1",
        true,
        "serviceaccounts"
    ),
    resource!(
        "Service",
        "services",
        "service",
        ["svc"],
        "",
        "v1",
        true,
        "services/specs"
    ),
    resource!(
        "DaemonSet",
        "daemonsets",
        "daemonset",
        ["ds"],
        "apps",
        "v1",
        true,
        "daemonsets"
    ),
    resource!(
        "Deployment",
        "deployments",
        "deployment",
        ["deploy"],
        "apps",
        "v1",
        true,
        "deployments"
    ),
    resource!(
        "ReplicaSet",
        "replicasets",
        "replicaset",
        ["rs"],
        "apps",
        "v1",
        true,
        "replicasets"
    ),
    resource!(
        "CronJob",
        "cronjobs",
        "cronjob",
        ["cj"],
        "batch",
        "v1",
        true,
        "cronjobs"
    ),
    resource!("Job", "jobs", "job", [], "batch", "v1", true, "jobs"),
    resource!(
        "Lease",
        "leases",
        "lease",
        [],
        "coordination.k8s.io",
        "v1",
        true,
        "leases"
    ),
    resource!(
        "EndpointSlice",
        "endpointslices",
        "endpointslice",
        [],
        "discovery.k8s.io",
        "v1",
        true,
        "endpointslices"
    ),
    resource!(
        "ClusterRoleBinding",
        "clusterrolebindings",
        "clusterrolebinding",
        [],
        "rbac.authorization.k8s.io",
        "v1",
        false,
        "clusterrolebindings"
    ),
    resource!(
        "ClusterRole",
        "clusterroles",
        "clusterrole",
        [],
        "rbac.authorization.k8s.io",
        "v1",
        false,
        "clusterroles"
    ),
    resource!(
        "RoleBinding",
        "rolebindings",
        "rolebinding",
        [],
        "rbac.authorization.k8s.io",
        "v1",
        true,
        "rolebindings"
    ),
    resource!(
        "Role",
        "roles",
        "role",
        [],
        "rbac.authorization.k8s.io",
        "v1",
        true,
        "roles"
    ),
    resource!(
        "PriorityClass",
        "priorityclasses",
        "priorityclass",
        ["pc"],
        "scheduling.k8s.io",
        "v1",
        false,
        "priorityclasses"
    ),
];

/// Resolves a name the way kubectl does: plural, singular, short name, kind (any case), or a
/// group-qualified form such as `deployments.apps` or `deploy.apps`. `kubectl get deploy` → Deployment.
pub fn lookup(name: &str) -> Option<&'static ResourceInfo> {
    let lower = name.to_ascii_lowercase();
    let (bare, group) = match lower.split_once('.') {
        Some((bare, group)) => (bare.to_string(), Some(group.to_string())),
        None => (lower, None),
    };
    RESOURCES.iter().find(|r| {
        let group_ok = match &group {
            None => true,
            Some(g) => r.group == g || (g == "v1" && r.group.is_empty()),
        };
        group_ok
            && (r.plural == bare
                || r.singular == bare
                || r.kind.eq_ignore_ascii_case(&bare)
                || r.short_names.contains(&bare.as_str()))
    })
}

/// Finds the resource for a manifest's `apiVersion` and `kind`.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .find(|r| r.kind == kind && r.api_version() == api_version)
}

/// Finds a resource by its plural name, as in an API request path.
pub fn by_plural(plural: &str) -> Option<&'static ResourceInfo> {
    RESOURCES.iter().find(|r| r.plural == plural)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_names_resolve_by_plural_singular_short_name_and_kind() {
        for (typed, kind) in [
            ("pods", "Pod"),
            ("pod", "Pod"),
            ("po", "Pod"),
            ("Pod", "Pod"),
            ("deploy", "Deployment"),
            ("deployments.apps", "Deployment"),
            ("svc", "Service"),
            ("ep", "Endpoints"),
            ("no", "Node"),
            ("ns", "Namespace"),
            ("rs", "ReplicaSet"),
            ("clusterrolebindings", "ClusterRoleBinding"),
        ] {
            assert_eq!(lookup(typed).map(|r| r.kind), Some(kind), "{typed}");
        }
        assert_eq!(lookup("deploy.batch"), None);
        assert_eq!(lookup("pdos"), None);
    }

    #[test]
    fn keys_follow_kube_apiserver_storage_prefixes() {
        let pods = lookup("pods").unwrap();
        assert_eq!(
            pods.key(Some("default"), "web"),
            "/registry/pods/default/web"
        );
        assert_eq!(pods.prefix(None), "/registry/pods/");
        assert_eq!(
            lookup("node").unwrap().key(None, "node1"),
            "/registry/minions/node1"
        );
        assert_eq!(
            lookup("svc").unwrap().key(Some("default"), "kubernetes"),
            "/registry/services/specs/default/kubernetes"
        );
    }

    #[test]
    fn api_versions_carry_the_group() {
        assert_eq!(
            by_kind("apps/v1", "Deployment").unwrap().plural,
            "deployments"
        );
        assert_eq!(by_kind("v1", "Deployment"), None);
        assert_eq!(lookup("pods").unwrap().api_version(), "v1");
        assert_eq!(
            lookup("leases").unwrap().api_version(),
            "coordination.k8s.io/v1"
        );
    }

    #[test]
    fn every_resource_has_distinct_plural_and_short_names() {
        let mut seen = std::collections::BTreeSet::new();
        for r in RESOURCES {
            assert!(seen.insert(r.plural), "{}", r.plural);
            for s in r.short_names {
                assert!(seen.insert(s), "{s}");
            }
        }
    }
}
