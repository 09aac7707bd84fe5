//! The apiserver's request path, one behaviour per test, as a student would meet it with kubectl.

use kube_sandbox::sim::apiserver::request::{PatchType, PropagationPolicy};
use kube_sandbox::sim::apiserver::{
    ApiError, ApiRequest, ApiResponse, Credentials, StatusReason, Verb,
};
use kube_sandbox::sim::cluster::Cluster;
use serde_json::{json, Value};

fn admin(verb: Verb, resource: &str) -> ApiRequest {
    ApiRequest::new(Credentials::admin(), verb, resource)
}

fn pod(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
           "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}})
}

fn create_pod(c: &mut Cluster, ns: &str, name: &str) -> Value {
    c.submit(admin(Verb::Create, "pods").namespace(ns).body(pod(name)))
        .expect("pod created")
        .body
}

fn get(
    c: &mut Cluster,
    resource: &str,
    ns: Option<&str>,
    name: &str,
) -> Result<ApiResponse, ApiError> {
    let mut r = admin(Verb::Get, resource).name(name);
    r.namespace = ns.map(str::to_string);
    c.submit(r)
}

fn create_namespace(c: &mut Cluster, name: &str) {
    c.submit(
        admin(Verb::Create, "namespaces")
            .body(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})),
    )
    .expect("namespace created");
    c.run_until_idle(0);
}

fn student() -> Credentials {
    Credentials::BearerToken("student-token".into())
}

fn cluster_with_student() -> Cluster {
    let mut c = Cluster::new(7);
    c.add_user_token("student-token", "student", &[]);
    c
}

fn bind(
    c: &mut Cluster,
    kind: &str,
    ns: Option<&str>,
    name: &str,
    role_kind: &str,
    role: &str,
    subject: Value,
) {
    let mut body = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": [subject]});
    let resource = if kind == "RoleBinding" {
        "rolebindings"
    } else {
        "clusterrolebindings"
    };
    let mut r = admin(Verb::Create, resource);
    if let Some(ns) = ns {
        body["metadata"]["namespace"] = json!(ns);
        r = r.namespace(ns);
    }
    c.submit(r.body(body)).expect("binding created");
}

// ---- authentication -------------------------------------------------------------------------

#[test]
fn a_request_without_credentials_is_unauthorized() {
    let mut c = Cluster::new(1);
    let err = c
        .submit(ApiRequest::new(Credentials::None, Verb::List, "pods").namespace("default"))
        .unwrap_err();
    assert_eq!(
        (err.code, err.reason, err.message.as_str()),
        (401, StatusReason::Unauthorized, "Unauthorized")
    );
}

#[test]
fn an_unknown_bearer_token_is_unauthorized() {
    let mut c = Cluster::new(1);
    let err = c
        .submit(ApiRequest::new(
            Credentials::BearerToken("guess".into()),
            Verb::List,
            "pods",
        ))
        .unwrap_err();
    assert_eq!(err.code, 401);
}

#[test]
fn a_service_account_token_stops_working_when_its_account_is_deleted() {
    let mut c = Cluster::new(1);
    let token = c.service_account_token("default", "default");
    let attempt = |c: &mut Cluster| {
        c.submit(
            ApiRequest::new(Credentials::BearerToken(token.clone()), Verb::List, "pods")
                .namespace("default"),
        )
    };
    // Authenticated, but the default account has no RBAC: 403, not 401.
    let err = attempt(&mut c).unwrap_err();
    assert_eq!(
        err.message,
        "pods is forbidden: User \"system:serviceaccount:default:default\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\""
    );
    c.stop_component("serviceaccount-controller");
    c.submit(
        admin(Verb::Delete, "serviceaccounts")
            .namespace("default")
            .name("default"),
    )
    .unwrap();
    assert_eq!(attempt(&mut c).unwrap_err().code, 401);
}

// ---- authorization --------------------------------------------------------------------------

#[test]
fn a_student_without_bindings_gets_kubectls_forbidden_texts() {
    let mut c = cluster_with_student();
    for (request, message) in [
        (
            ApiRequest::new(student(), Verb::List, "pods").namespace("kube-system"),
            "pods is forbidden: User \"student\" cannot list resource \"pods\" in API group \"\" in the namespace \"kube-system\"",
        ),
        (
            ApiRequest::new(student(), Verb::Get, "pods").namespace("default").name("web"),
            "pods \"web\" is forbidden: User \"student\" cannot get resource \"pods\" in API group \"\" in the namespace \"default\"",
        ),
        (
            ApiRequest::new(student(), Verb::List, "nodes"),
            "nodes is forbidden: User \"student\" cannot list resource \"nodes\" in API group \"\" at the cluster scope",
        ),
        (
            ApiRequest::new(student(), Verb::Create, "deployments").namespace("default").body(json!({})),
            "deployments.apps is forbidden: User \"student\" cannot create resource \"deployments\" in API group \"apps\" in the namespace \"default\"",
        ),
        (
            ApiRequest::new(student(), Verb::Create, "pods").namespace("default").name("web").subresource("binding"),
            "pods \"web\" is forbidden: User \"student\" cannot create resource \"pods/binding\" in API group \"\" in the namespace \"default\"",
        ),
    ] {
        let err = c.submit(request).unwrap_err();
        assert_eq!((err.code, err.message.as_str()), (403, message));
        assert_eq!(err.reason, StatusReason::Forbidden);
    }
}

#[test]
fn a_rolebinding_grants_one_namespace_only() {
    let mut c = cluster_with_student();
    create_namespace(&mut c, "dev");
    bind(
        &mut c,
        "RoleBinding",
        Some("dev"),
        "student-edit",
        "ClusterRole",
        "edit",
        json!({"kind": "User", "name": "student", "apiGroup": "rbac.authorization.k8s.io"}),
    );
    let created = c.submit(
        ApiRequest::new(student(), Verb::Create, "pods")
            .namespace("dev")
            .body(pod("web")),
    );
    assert_eq!(created.unwrap().code, 201);
    let err = c
        .submit(ApiRequest::new(student(), Verb::List, "pods").namespace("kube-system"))
        .unwrap_err();
    assert_eq!(err.code, 403);
}

#[test]
fn a_role_in_the_namespace_limits_verbs_and_resources() {
    let mut c = cluster_with_student();
    c.submit(
        admin(Verb::Create, "roles")
            .namespace("default")
            .body(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "pod-reader", "namespace": "default"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]})),
    )
    .unwrap();
    bind(
        &mut c,
        "RoleBinding",
        Some("default"),
        "read-pods",
        "Role",
        "pod-reader",
        json!({"kind": "User", "name": "student"}),
    );
    assert!(c
        .submit(ApiRequest::new(student(), Verb::List, "pods").namespace("default"))
        .is_ok());
    let err = c
        .submit(
            ApiRequest::new(student(), Verb::Delete, "pods")
                .namespace("default")
                .name("x"),
        )
        .unwrap_err();
    assert_eq!(err.code, 403);
}

#[test]
fn a_clusterrolebinding_grants_every_namespace() {
    let mut c = cluster_with_student();
    bind(
        &mut c,
        "ClusterRoleBinding",
        None,
        "student-view",
        "ClusterRole",
        "view",
        json!({"kind": "User", "name": "student"}),
    );
    for ns in ["default", "kube-system"] {
        assert!(
            c.submit(ApiRequest::new(student(), Verb::List, "pods").namespace(ns))
                .is_ok(),
            "{ns}"
        );
    }
    let err = c
        .submit(
            ApiRequest::new(student(), Verb::Create, "pods")
                .namespace("default")
                .body(pod("x")),
        )
        .unwrap_err();
    assert_eq!(err.code, 403);
}

#[test]
fn a_service_account_subject_and_its_groups_are_matched() {
    let mut c = Cluster::new(3);
    let token = c.service_account_token("default", "default");
    bind(
        &mut c,
        "RoleBinding",
        Some("default"),
        "sa-view",
        "ClusterRole",
        "view",
        json!({"kind": "ServiceAccount", "name": "default", "namespace": "default"}),
    );
    let sa = Credentials::BearerToken(token);
    assert!(c
        .submit(ApiRequest::new(sa.clone(), Verb::List, "pods").namespace("default"))
        .is_ok());
    bind(
        &mut c,
        "ClusterRoleBinding",
        None,
        "all-sa-view",
        "ClusterRole",
        "view",
        json!({"kind": "Group", "name": "system:serviceaccounts"}),
    );
    assert!(c
        .submit(ApiRequest::new(sa, Verb::List, "pods").namespace("kube-system"))
        .is_ok());
}

// ---- admission --------------------------------------------------------------------------------

#[test]
fn a_created_pod_gets_namespace_uid_timestamp_service_account_and_default_tolerations() {
    let mut c = Cluster::new(1);
    c.advance(90_000);
    let pod = create_pod(&mut c, "default", "web");
    assert_eq!(pod["metadata"]["namespace"], "default");
    assert_eq!(pod["metadata"]["uid"].as_str().map(str::len), Some(36));
    assert_eq!(pod["metadata"]["creationTimestamp"], "2025-06-01T00:01:30Z");
    assert_eq!(pod["spec"]["serviceAccountName"], "default");
    assert_eq!(
        pod["spec"]["tolerations"],
        json!([
            {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
            {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}
        ])
    );
    assert_eq!(pod["status"]["phase"], "Pending");
    assert!(pod["metadata"].get("generation").is_none());
}

#[test]
fn generate_name_gets_five_safe_characters() {
    let mut c = Cluster::new(1);
    let body = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-"},
                      "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
    let created = c
        .submit(admin(Verb::Create, "pods").namespace("default").body(body))
        .unwrap()
        .body;
    let name = created["metadata"]["name"].as_str().unwrap();
    assert_eq!(name.len(), 9, "{name}");
    assert!(name.starts_with("web-"));
    let no_name = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}});
    let err = c
        .submit(
            admin(Verb::Create, "configmaps")
                .namespace("default")
                .body(no_name),
        )
        .unwrap_err();
    assert_eq!(err.message, "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required");
    assert_eq!(err.code, 422);
}

#[test]
fn a_pod_naming_a_missing_service_account_is_refused_by_the_serviceaccount_plugin() {
    let mut c = Cluster::new(1);
    let mut body = pod("web");
    body["spec"]["serviceAccountName"] = json!("robot");
    let err = c
        .submit(admin(Verb::Create, "pods").namespace("default").body(body))
        .unwrap_err();
    assert_eq!(err.code, 403);
    assert_eq!(
        err.message,
        "pods \"web\" is forbidden: error looking up service account default/robot: serviceaccount \"robot\" not found"
    );
}

#[test]
fn namespace_lifecycle_refuses_missing_and_terminating_namespaces() {
    let mut c = Cluster::new(1);
    let err = c
        .submit(
            admin(Verb::Create, "configmaps")
                .namespace("nope")
                .body(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})),
        )
        .unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        (404, "namespaces \"nope\" not found")
    );

    create_namespace(&mut c, "dev");
    let deleted = c
        .submit(admin(Verb::Delete, "namespaces").name("dev"))
        .unwrap()
        .body;
    assert_eq!(deleted["status"]["phase"], "Terminating");
    let err = c
        .submit(
            admin(Verb::Create, "configmaps")
                .namespace("dev")
                .body(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})),
        )
        .unwrap_err();
    assert_eq!(
        err.message,
        "configmaps \"x\" is forbidden: unable to create new content in namespace dev because it is being terminated"
    );

    let err = c
        .submit(admin(Verb::Delete, "namespaces").name("kube-system"))
        .unwrap_err();
    assert_eq!(
        err.message,
        "namespaces \"kube-system\" is forbidden: this namespace may not be deleted"
    );
}

#[test]
fn a_deployment_starts_at_generation_one_and_counts_spec_changes_only() {
    let mut c = Cluster::new(1);
    let body = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}});
    let d = c
        .submit(
            admin(Verb::Create, "deployments")
                .namespace("default")
                .body(body),
        )
        .unwrap()
        .body;
    assert_eq!(d["metadata"]["generation"], 1);
    assert_eq!(d["spec"]["strategy"]["type"], "RollingUpdate");
    let patch = |c: &mut Cluster, p: Value| {
        c.submit(
            admin(Verb::Patch, "deployments")
                .namespace("default")
                .name("web")
                .patch(PatchType::StrategicMerge, p),
        )
        .unwrap()
        .body
    };
    let d = patch(&mut c, json!({"metadata": {"labels": {"tier": "front"}}}));
    assert_eq!(d["metadata"]["generation"], 1);
    let d = patch(&mut c, json!({"spec": {"replicas": 3}}));
    assert_eq!(d["metadata"]["generation"], 2);
}

// ---- storage: conflicts -----------------------------------------------------------------------

#[test]
fn creating_an_existing_name_is_already_exists() {
    let mut c = Cluster::new(1);
    create_pod(&mut c, "default", "web");
    let err = c
        .submit(
            admin(Verb::Create, "pods")
                .namespace("default")
                .body(pod("web")),
        )
        .unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        (409, "pods \"web\" already exists")
    );
}

#[test]
fn an_update_with_a_stale_resource_version_is_a_conflict() {
    let mut c = Cluster::new(1);
    let v1 = create_pod(&mut c, "default", "web");
    let mut label = v1.clone();
    label["metadata"]["labels"]["v"] = json!("2");
    let v2 = c
        .submit(
            admin(Verb::Update, "pods")
                .namespace("default")
                .name("web")
                .body(label),
        )
        .unwrap()
        .body;
    assert_ne!(
        v2["metadata"]["resourceVersion"],
        v1["metadata"]["resourceVersion"]
    );
    let mut stale = v1.clone();
    stale["metadata"]["labels"]["v"] = json!("3");
    let err = c
        .submit(
            admin(Verb::Update, "pods")
                .namespace("default")
                .name("web")
                .body(stale),
        )
        .unwrap_err();
    assert_eq!(err.code, 409);
    assert_eq!(
        err.message,
        "Operation cannot be fulfilled on pods \"web\": the object has been modified; please apply your changes to the latest version and try again"
    );
}

#[test]
fn the_resource_version_is_the_mod_revision_and_not_stored_in_the_value() {
    let mut c = Cluster::new(1);
    let created = create_pod(&mut c, "default", "web");
    let kv = c.store().get("/registry/pods/default/web").unwrap();
    assert_eq!(
        created["metadata"]["resourceVersion"],
        kv.mod_revision.to_string()
    );
    let stored: Value = serde_json::from_slice(&kv.value).unwrap();
    assert!(stored["metadata"].get("resourceVersion").is_none());
}

// ---- deletion -----------------------------------------------------------------------------------

fn scheduled_pod(c: &mut Cluster, name: &str) {
    create_pod(c, "default", name);
    c.submit(
        admin(Verb::Create, "pods")
            .namespace("default")
            .name(name)
            .subresource("binding")
            .body(
                json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                     "target": {"apiVersion": "v1", "kind": "Node", "name": "node1"}}),
            ),
    )
    .unwrap();
}

#[test]
fn deleting_a_scheduled_pod_is_graceful_and_a_zero_grace_delete_finishes_it() {
    let mut c = Cluster::new(1);
    scheduled_pod(&mut c, "web");
    let marked = c
        .submit(admin(Verb::Delete, "pods").namespace("default").name("web"))
        .unwrap()
        .body;
    assert_eq!(
        marked["metadata"]["deletionTimestamp"],
        "2025-06-01T00:00:30Z"
    );
    assert_eq!(marked["metadata"]["deletionGracePeriodSeconds"], 30);
    assert!(get(&mut c, "pods", Some("default"), "web").is_ok());
    let mut now = admin(Verb::Delete, "pods").namespace("default").name("web");
    now.delete_options.grace_period_seconds = Some(0);
    c.submit(now).unwrap();
    assert_eq!(
        get(&mut c, "pods", Some("default"), "web")
            .unwrap_err()
            .message,
        "pods \"web\" not found"
    );
}

#[test]
fn deleting_an_unscheduled_pod_is_immediate() {
    let mut c = Cluster::new(1);
    create_pod(&mut c, "default", "web");
    c.submit(admin(Verb::Delete, "pods").namespace("default").name("web"))
        .unwrap();
    assert_eq!(
        get(&mut c, "pods", Some("default"), "web")
            .unwrap_err()
            .code,
        404
    );
}

#[test]
fn an_object_with_finalizers_stays_until_the_last_one_is_removed() {
    let mut c = Cluster::new(1);
    c.submit(
        admin(Verb::Create, "configmaps")
            .namespace("default")
            .body(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cfg", "finalizers": ["example.com/keep"]}})),
    )
    .unwrap();
    let marked = c
        .submit(
            admin(Verb::Delete, "configmaps")
                .namespace("default")
                .name("cfg"),
        )
        .unwrap()
        .body;
    assert!(marked["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(marked["metadata"]["deletionGracePeriodSeconds"], 0);
    assert!(get(&mut c, "configmaps", Some("default"), "cfg").is_ok());
    c.submit(
        admin(Verb::Patch, "configmaps")
            .namespace("default")
            .name("cfg")
            .patch(PatchType::Merge, json!({"metadata": {"finalizers": null}})),
    )
    .unwrap();
    assert_eq!(
        get(&mut c, "configmaps", Some("default"), "cfg")
            .unwrap_err()
            .code,
        404
    );
}

#[test]
fn propagation_policies_become_the_garbage_collectors_finalizers() {
    let mut c = Cluster::new(1);
    for (name, policy, finalizer) in [
        ("a", PropagationPolicy::Orphan, "orphan"),
        ("b", PropagationPolicy::Foreground, "foregroundDeletion"),
    ] {
        c.submit(
            admin(Verb::Create, "configmaps")
                .namespace("default")
                .body(json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}})),
        )
        .unwrap();
        let mut del = admin(Verb::Delete, "configmaps")
            .namespace("default")
            .name(name);
        del.delete_options.propagation_policy = Some(policy);
        let marked = c.submit(del).unwrap().body;
        assert_eq!(
            marked["metadata"]["finalizers"],
            json!([finalizer]),
            "{name}"
        );
    }
    let mut del = admin(Verb::Delete, "configmaps")
        .namespace("default")
        .name("c");
    del.delete_options.propagation_policy = Some(PropagationPolicy::Background);
    assert_eq!(c.submit(del).unwrap_err().code, 404);
}

// ---- patches --------------------------------------------------------------------------------------

#[test]
fn the_three_patch_types_change_what_they_should() {
    let mut c = Cluster::new(1);
    create_pod(&mut c, "default", "web");
    let patch = |c: &mut Cluster, t: PatchType, p: Value| {
        c.submit(
            admin(Verb::Patch, "pods")
                .namespace("default")
                .name("web")
                .patch(t, p),
        )
    };
    // kubectl label: a merge patch.
    let p = patch(
        &mut c,
        PatchType::Merge,
        json!({"metadata": {"labels": {"tier": "front"}}}),
    )
    .unwrap()
    .body;
    assert_eq!(
        p["metadata"]["labels"],
        json!({"app": "web", "tier": "front"})
    );
    // kubectl set image: strategic, containers merged by name.
    let p = patch(
        &mut c,
        PatchType::StrategicMerge,
        json!({"spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}}),
    )
    .unwrap()
    .body;
    assert_eq!(p["spec"]["containers"][0]["image"], "nginx:1.28");
    assert_eq!(
        p["spec"]["containers"][0]["imagePullPolicy"],
        "IfNotPresent"
    );
    assert_eq!(p["spec"]["containers"].as_array().unwrap().len(), 1);
    // RFC 6902.
    let p = patch(
        &mut c,
        PatchType::Json,
        json!([{"op": "add", "path": "/metadata/annotations", "value": {"note": "hi"}}]),
    )
    .unwrap()
    .body;
    assert_eq!(p["metadata"]["annotations"]["note"], "hi");
    let err = patch(
        &mut c,
        PatchType::Json,
        json!([{"op": "remove", "path": "/metadata/nothing"}]),
    )
    .unwrap_err();
    assert_eq!(err.code, 422);
    assert_eq!(
        err.message,
        "remove operation does not apply: doc is missing path: \"/metadata/nothing\""
    );
}

// ---- subresources ------------------------------------------------------------------------------

#[test]
fn the_status_subresource_changes_status_only_and_the_main_resource_keeps_status() {
    let mut c = Cluster::new(1);
    let created = create_pod(&mut c, "default", "web");
    let mut body = created.clone();
    body["status"]["phase"] = json!("Running");
    body["spec"]["activeDeadlineSeconds"] = json!(5);
    let updated = c
        .submit(
            admin(Verb::Update, "pods")
                .namespace("default")
                .name("web")
                .subresource("status")
                .body(body),
        )
        .unwrap()
        .body;
    assert_eq!(updated["status"]["phase"], "Running");
    assert!(updated["spec"].get("activeDeadlineSeconds").is_none());

    let mut body = updated.clone();
    body["status"]["phase"] = json!("Failed");
    body["metadata"]["labels"]["x"] = json!("y");
    let updated = c
        .submit(
            admin(Verb::Update, "pods")
                .namespace("default")
                .name("web")
                .body(body),
        )
        .unwrap()
        .body;
    assert_eq!(updated["status"]["phase"], "Running");
    assert_eq!(updated["metadata"]["labels"]["x"], "y");
}

#[test]
fn binding_sets_the_node_once_and_refuses_a_second_node() {
    let mut c = Cluster::new(1);
    scheduled_pod(&mut c, "web");
    let pod = get(&mut c, "pods", Some("default"), "web").unwrap().body;
    assert_eq!(pod["spec"]["nodeName"], "node1");
    assert_eq!(pod["status"]["conditions"][0]["type"], "PodScheduled");
    let err = c
        .submit(
            admin(Verb::Create, "pods")
                .namespace("default")
                .name("web")
                .subresource("binding")
                .body(json!({"target": {"kind": "Node", "name": "node2"}})),
        )
        .unwrap_err();
    assert_eq!(err.code, 409);
    assert_eq!(
        err.message,
        "Operation cannot be fulfilled on pods/binding \"web\": pod web is already assigned to node \"node1\""
    );
}

// ---- lists ------------------------------------------------------------------------------------------

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn lists_filter_by_label_and_field_selectors() {
    let mut c = Cluster::new(1);
    create_pod(&mut c, "default", "a");
    scheduled_pod(&mut c, "b");
    create_pod(&mut c, "default", "c");
    let list = |c: &mut Cluster, labels: Option<&str>, fields: Option<&str>| {
        let mut r = admin(Verb::List, "pods").namespace("default");
        r.list_options.label_selector = labels.map(str::to_string);
        r.list_options.field_selector = fields.map(str::to_string);
        c.submit(r)
    };
    let all = list(&mut c, None, None).unwrap().body;
    assert_eq!(all["kind"], "PodList");
    assert_eq!(all["apiVersion"], "v1");
    assert_eq!(
        all["metadata"]["resourceVersion"],
        c.store().revision().to_string()
    );
    assert_eq!(all["items"][0]["kind"], "Pod");
    for (labels, fields, expected) in [
        (Some("app=a"), None, vec!["a"]),
        (Some("app!=a"), None, vec!["b", "c"]),
        (Some("app in (a,c)"), None, vec!["a", "c"]),
        (Some("app notin (a)"), None, vec!["b", "c"]),
        (Some("tier"), None, vec![]),
        (None, Some("spec.nodeName=node1"), vec!["b"]),
        (None, Some("metadata.name!=b"), vec!["a", "c"]),
        (
            Some("app"),
            Some("status.phase=Pending,metadata.name=c"),
            vec!["c"],
        ),
    ] {
        let got = names(&list(&mut c, labels, fields).unwrap().body);
        assert_eq!(got, expected, "{labels:?} {fields:?}");
    }
    let err = list(&mut c, None, Some("spec.image=nginx")).unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        (400, "field label not supported: spec.image")
    );
}

#[test]
fn a_list_across_namespaces_and_a_cluster_scoped_list() {
    let mut c = Cluster::new(1);
    let nodes = c.submit(admin(Verb::List, "nodes")).unwrap().body;
    assert_eq!(names(&nodes), vec!["master", "node1", "node2"]);
    assert_eq!(nodes["kind"], "NodeList");
    let sas = c.submit(admin(Verb::List, "serviceaccounts")).unwrap().body;
    assert_eq!(sas["items"].as_array().unwrap().len(), 4);
    let deployments = c.submit(admin(Verb::List, "deployments")).unwrap().body;
    assert_eq!(
        (
            deployments["apiVersion"].as_str(),
            deployments["kind"].as_str()
        ),
        (Some("apps/v1"), Some("DeploymentList"))
    );
}

#[test]
fn a_body_of_the_wrong_shape_is_a_bad_request_not_a_panic() {
    let mut c = Cluster::new(1);
    for body in [
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": "nope"}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": "x", "spec": {}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": {"containers": [1]}}),
    ] {
        let err = c
            .submit(
                admin(Verb::Create, "pods")
                    .namespace("default")
                    .body(body.clone()),
            )
            .unwrap_err();
        assert!(matches!(err.code, 400 | 422), "{body}: {err:?}");
    }
    let err = c
        .submit(
            admin(Verb::Create, "pods")
                .namespace("default")
                .body(json!([1, 2])),
        )
        .unwrap_err();
    assert_eq!(err.code, 400);
    for patch in [
        json!("x"),
        json!([1]),
        json!({"spec": {"containers": [{"image": "x"}]}}),
    ] {
        create_pod(&mut c, "default", "p");
        let r = c.submit(
            admin(Verb::Patch, "pods")
                .namespace("default")
                .name("p")
                .patch(PatchType::StrategicMerge, patch.clone()),
        );
        assert!(r.is_err(), "{patch}");
        c.submit(admin(Verb::Delete, "pods").namespace("default").name("p"))
            .unwrap();
    }
}
