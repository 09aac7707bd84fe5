//! `kube-sandbox serve`: the sandbox's apiserver over HTTP, so that the real kubectl (and any
//! client library) drives the same cluster the page shows.
//!
//! Mirrors: kube-apiserver's REST mapping (`/api/v1/namespaces/{ns}/{resource}/{name}/{sub}`,
//! `/apis/{group}/{version}/...`), `/version`, the legacy discovery documents (`APIVersions`,
//! `APIGroupList`, `APIResourceList`), server-side printing (`Accept: ...;as=Table`, the
//! `meta.k8s.io/v1` Table with the built-in printer's columns) and `metav1.Status` errors.
//! Every request goes through the same [`Cluster::submit`] as the terminal's kubectl: authn, RBAC,
//! admission, validation, storage and the trace.
//! Simplified (docs/serve.md has the whole list): no aggregated discovery (kubectl falls back to
//! the legacy documents), OpenAPI v3 schemas without enums or patch metadata and no
//! `/openapi/v2` ([`openapi`]), watches without bookmarks that start at the current revision, no
//! server-side apply, `exec` or `portforward`.
//!
//! This module is the protocol without the network: [`ApiServer::handle`] takes a parsed HTTP
//! request and answers it, so it is tested natively with no socket. [`net`] puts TLS, HTTP/1.1
//! and the lab's thread in front of it (hyper and rustls); [`proto`] reads protobuf bodies;
//! [`openapi`] builds the OpenAPI v3 documents.

pub mod net;
pub mod openapi;
pub mod proto;

pub use openapi::{openapi_document, openapi_root};

use serde_json::{json, Map, Value};

use crate::sim::api::resources::{ResourceInfo, RESOURCES};
use crate::sim::apiserver::rbac::Attributes;
use crate::sim::apiserver::request::{
    Credentials, DeleteOptions, Impersonate, PatchType, PropagationPolicy, REST_VERBS,
};
use crate::sim::apiserver::{
    ApiError, ApiRequest, ApiResponse, StatusReason, UserInfo, Verb, STATUS_RESOURCES,
};
use crate::sim::clock::{Ticks, TICKS_PER_SECOND};
pub use crate::sim::cluster::WatchHandle;
use crate::sim::kubectl::cmd::ALL_CATEGORY;
use crate::sim::kubectl::{logs, table};
use crate::sim::lab::Lab;

/// The version `/version` reports: the one the terminal's `kubectl version` prints.
pub const SERVER_GIT_VERSION: &str = "v1.32.0";

/// Where the kubeconfig's cluster entry says the apiserver is, as seen from the student's
/// machine; `/api` reports the in-lab address (master's), as kubeadm's apiserver does.
const LAB_APISERVER: &str = "172.16.20.11:6443";

/// One HTTP request, as the front end parsed it.
#[derive(Clone, Debug, Default)]
pub struct HttpRequest {
    pub method: String,
    /// The path without the query: `/api/v1/namespaces/default/pods`.
    pub path: String,
    /// The raw query string without `?`.
    pub query: String,
    pub accept: String,
    pub content_type: String,
    /// The `Authorization` header's value.
    pub authorization: Option<String>,
    pub impersonate_user: Option<String>,
    pub impersonate_groups: Vec<String>,
    pub body: Vec<u8>,
}

/// The answer: status code, content type and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// A watch: the body is a stream of events, one JSON object per line, which
    /// [`ApiServer::poll_watches`] hands out as the lab changes.
    pub watch: Option<WatchHandle>,
}

/// A watch an HTTP client holds open.
struct OpenWatch {
    handle: WatchHandle,
    /// `kubectl get -w` asks for each event's object as a one-row Table of this kind.
    table: Option<&'static ResourceInfo>,
}

impl HttpResponse {
    fn json(status: u16, value: &Value) -> Self {
        HttpResponse {
            status,
            content_type: "application/json",
            body: serde_json::to_vec(value).unwrap_or_default(),
            watch: None,
        }
    }

    /// The body as JSON, for tests and logs.
    pub fn json_body(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// What a path names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Route<'a> {
    Version,
    /// `/api`: the core group's versions.
    CoreVersions,
    /// `/apis`: every other group.
    Groups,
    /// `/api/v1`, `/apis/apps/v1`: the resources of one group-version.
    Resources {
        group: &'a str,
        version: &'a str,
    },
    /// `/openapi/v3`: where each group-version's document is.
    OpenApiRoot,
    /// `/openapi/v3/api/v1`, `/openapi/v3/apis/apps/v1`.
    OpenApi {
        group: &'a str,
        version: &'a str,
    },
    /// A resource, a collection or a subresource.
    Object {
        info: &'static ResourceInfo,
        namespace: Option<String>,
        name: Option<String>,
        subresource: Option<String>,
    },
    NotFound,
}

fn route(path: &str) -> Route<'_> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match parts.as_slice() {
        ["version"] => return Route::Version,
        ["openapi", "v3"] => return Route::OpenApiRoot,
        ["openapi", "v3", "api", version] => return Route::OpenApi { group: "", version },
        ["openapi", "v3", "apis", group, version] => return Route::OpenApi { group, version },
        ["api"] => return Route::CoreVersions,
        ["apis"] => return Route::Groups,
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Route::NotFound,
    };
    if rest.is_empty() {
        return Route::Resources { group, version };
    }
    let served = |plural: &str| {
        RESOURCES
            .iter()
            .find(|r| r.group == group && r.version == version && r.plural == plural)
    };
    // `namespaces/{ns}/{resource}/...` is a namespaced resource, unless what follows the
    // namespace's name is one of the namespace's own subresources.
    let (namespace, rest) = match rest {
        ["namespaces", ns, resource, tail @ ..]
            if !matches!(*resource, "status" | "finalize") || !tail.is_empty() =>
        {
            (Some(ns.to_string()), {
                let mut v = vec![*resource];
                v.extend_from_slice(tail);
                v
            })
        }
        other => (None, other.to_vec()),
    };
    let Some(info) = served(rest[0]) else {
        return Route::NotFound;
    };
    if info.namespaced != namespace.is_some() && !(rest.len() == 1 && namespace.is_none()) {
        // A namespaced resource by name needs its namespace; a cluster-scoped one has none.
        return Route::NotFound;
    }
    match rest.as_slice() {
        [_] => Route::Object {
            info,
            namespace,
            name: None,
            subresource: None,
        },
        [_, name] => Route::Object {
            info,
            namespace,
            name: Some(name.to_string()),
            subresource: None,
        },
        [_, name, sub] => Route::Object {
            info,
            namespace,
            name: Some(name.to_string()),
            subresource: Some(sub.to_string()),
        },
        _ => Route::NotFound,
    }
}

/// `metav1.Status` for a failed request: what kubectl prints as `Error from server (Reason): ...`.
pub fn status_of(error: &ApiError) -> Value {
    let mut details = Map::new();
    if let Some(name) = &error.name {
        details.insert("name".into(), json!(name));
    }
    if let Some(kind) = &error.kind {
        details.insert("kind".into(), json!(kind));
    }
    if !error.causes.is_empty() {
        let causes: Vec<Value> = error
            .causes
            .iter()
            .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
            .collect();
        details.insert("causes".into(), Value::Array(causes));
    }
    let mut status = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": error.message,
        "code": error.code,
    });
    if error.reason != StatusReason::Unknown {
        status["reason"] = json!(error.reason.as_str());
    }
    if !details.is_empty() {
        status["details"] = Value::Object(details);
    }
    status
}

/// `/version`: what `kubectl version` prints as the server's.
pub fn version_document() -> Value {
    json!({
        "major": "1",
        "minor": SERVER_GIT_VERSION.trim_start_matches("v1.").split('.').next().unwrap_or(""),
        "gitVersion": SERVER_GIT_VERSION,
        "gitTreeState": "clean",
        "goVersion": "go1.23.3",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// The review APIs that have no storage: (group, version, resource, kind). `kubectl auth can-i`
/// posts a SelfSubjectAccessReview, `kubectl auth whoami` a SelfSubjectReview.
const REVIEWS: &[(&str, &str, &str, &str)] = &[
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

/// The groups other than core, in [`RESOURCES`] order, each once, then the review groups.
fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    let served = RESOURCES.iter().map(|r| (r.group, r.version));
    let reviews = REVIEWS.iter().map(|(g, v, _, _)| (*g, *v));
    for gv in served.chain(reviews).filter(|(g, _)| !g.is_empty()) {
        if !out.contains(&gv) {
            out.push(gv);
        }
    }
    out
}

/// `/apis`: `APIGroupList`.
pub fn group_list() -> Value {
    let groups: Vec<Value> = groups()
        .into_iter()
        .map(|(group, version)| {
            let gv = json!({"groupVersion": format!("{group}/{version}"), "version": version});
            json!({"name": group, "versions": [gv.clone()], "preferredVersion": gv})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/api/v1`, `/apis/apps/v1`: `APIResourceList`, with the subresources the apiserver serves.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let served: Vec<&ResourceInfo> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .collect();
    let reviews: Vec<Value> = REVIEWS
        .iter()
        .filter(|(g, v, _, _)| *g == group && *v == version)
        .map(|(_, _, plural, kind)| {
            json!({"name": plural, "singularName": plural.trim_end_matches('s'),
                "namespaced": false, "kind": kind, "verbs": ["create"]})
        })
        .collect();
    if served.is_empty() && reviews.is_empty() {
        return None;
    }
    let mut resources = reviews;
    for r in served {
        let mut entry = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": REST_VERBS,
        });
        if !r.short_names.is_empty() {
            entry["shortNames"] = json!(r.short_names);
        }
        if ALL_CATEGORY.contains(&r.plural) {
            entry["categories"] = json!(["all"]);
        }
        resources.push(entry);
        if STATUS_RESOURCES.contains(&r.plural) {
            resources.push(json!({
                "name": format!("{}/status", r.plural),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
        if r.plural == "pods" {
            for (sub, kind, group, version) in [
                ("binding", "Binding", "", "v1"),
                ("eviction", "Eviction", "policy", "v1"),
            ] {
                let mut e = json!({
                    "name": format!("pods/{sub}"),
                    "singularName": "",
                    "namespaced": true,
                    "kind": kind,
                    "verbs": ["create"],
                });
                if !group.is_empty() {
                    e["group"] = json!(group);
                    e["version"] = json!(version);
                }
                resources.push(e);
            }
        }
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }))
}

/// The group-versions served, core first: `("", "v1")`, `("apps", "v1")`, ...
fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out = vec![("", "v1")];
    out.extend(groups());
    out
}

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// "Name" for "NAME", "Nominated Node" for "NOMINATED NODE": a Table's column names, which
/// kubectl prints upper-cased.
fn column_name(header: &str) -> String {
    header
        .split(' ')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_string() + &chars.as_str().to_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A get or list answer as a `meta.k8s.io/v1` Table: the built-in printer's columns (the wide
/// ones at priority 1, shown by `-o wide`), one row per object with its metadata, which kubectl
/// uses for `-A`'s NAMESPACE column and `--show-labels`.
pub fn to_table(info: &ResourceInfo, body: &Value, now_unix: i64) -> Value {
    let narrow = table::header(info, false).len();
    let columns: Vec<Value> = table::header(info, true)
        .iter()
        .enumerate()
        .map(|(i, h)| {
            json!({
                "name": column_name(h),
                "type": "string",
                "format": if i == 0 { "name" } else { "" },
                "description": "",
                "priority": if i < narrow { 0 } else { 1 },
            })
        })
        .collect();
    let single = [body.clone()];
    let items: &[Value] = match body.get("items").and_then(Value::as_array) {
        Some(items) => items,
        None => &single,
    };
    let rows: Vec<Value> = items
        .iter()
        .map(|obj| {
            let name = obj
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            json!({
                "cells": table::row(info, obj, name, true, now_unix),
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
                },
            })
        })
        .collect();
    let mut metadata = json!({});
    if let Some(rv) = body.pointer("/metadata/resourceVersion") {
        metadata["resourceVersion"] = rv.clone();
    }
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": columns,
        "rows": rows,
    })
}

/// The value of one query parameter.
fn param<'q>(query: &'q [(String, String)], key: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The query's `key=value` pairs, percent-decoded.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn patch_type(content_type: &str) -> Option<PatchType> {
    match content_type.split(';').next().unwrap_or("").trim() {
        "application/json-patch+json" => Some(PatchType::Json),
        "application/merge-patch+json" => Some(PatchType::Merge),
        "application/strategic-merge-patch+json" => Some(PatchType::StrategicMerge),
        _ => None,
    }
}

fn propagation(text: &str) -> Option<PropagationPolicy> {
    match text {
        "Orphan" => Some(PropagationPolicy::Orphan),
        "Background" => Some(PropagationPolicy::Background),
        "Foreground" => Some(PropagationPolicy::Foreground),
        _ => None,
    }
}

/// Whether the client asked for server-side printing (`kubectl get` does).
fn wants_table(accept: &str) -> bool {
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.contains("as=Table"))
}

/// The lab behind the HTTP front end.
pub struct ApiServer {
    lab: Lab,
    settle_ticks: Ticks,
    watches: Vec<OpenWatch>,
}

impl ApiServer {
    /// Boots the lab from `seed`; `tokens` are static bearer tokens as (token, user, groups).
    pub fn new(seed: u64, tokens: &[(&str, &str, &[&str])]) -> Self {
        let mut lab = Lab::boot(seed);
        for (token, user, groups) in tokens {
            lab.cluster.add_user_token(token, user, groups);
        }
        ApiServer {
            lab,
            settle_ticks: crate::sim::kubectl::shell::DEFAULT_SETTLE_TICKS,
            watches: Vec::new(),
        }
    }

    /// Simulated seconds the cluster may run after each write (as after a terminal line); 0:
    /// writes do not move time (the wall clock does, through [`ApiServer::advance`]).
    pub fn set_settle_seconds(&mut self, seconds: u64) {
        self.settle_ticks = seconds.saturating_mul(TICKS_PER_SECOND);
    }

    /// Lets `ticks` of simulated time pass, firing every timer on the way (`--clock wall`).
    pub fn advance(&mut self, ticks: Ticks) {
        if ticks > 0 {
            self.lab.cluster.advance(ticks);
        }
    }

    pub fn lab(&self) -> &Lab {
        &self.lab
    }

    /// Each open watch's new events since the last call, as the lines of its stream
    /// (`{"type":"ADDED","object":{...}}`), oldest first.
    pub fn poll_watches(&mut self) -> Vec<(WatchHandle, Vec<u8>)> {
        let now = self.lab.cluster.unix_seconds();
        let mut out = Vec::new();
        for watch in &self.watches {
            let mut lines = Vec::new();
            for (kind, object) in self.lab.cluster.poll_watch(watch.handle) {
                let object = match watch.table {
                    Some(info) => to_table(info, &object, now),
                    None => object,
                };
                let event = json!({"type": kind.as_str(), "object": object});
                lines.extend(serde_json::to_vec(&event).unwrap_or_default());
                lines.push(b'\n');
            }
            if !lines.is_empty() {
                out.push((watch.handle, lines));
            }
        }
        out
    }

    /// The client went away: the lab stops the watch.
    pub fn close_watch(&mut self, handle: WatchHandle) {
        self.watches.retain(|w| w.handle != handle);
        self.lab.cluster.close_watch(handle);
    }

    pub fn handle(&mut self, req: &HttpRequest) -> HttpResponse {
        match self.answer(req) {
            Ok(response) => response,
            Err(error) => HttpResponse::json(error.code, &status_of(&error)),
        }
    }

    fn answer(&mut self, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        if req.method == "POST" {
            match req.path.as_str() {
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" => {
                    return self.access_review(req)
                }
                "/apis/authentication.k8s.io/v1/selfsubjectreviews" => {
                    return self.self_review(req)
                }
                _ => {}
            }
        }
        let (info, namespace, name, subresource) = match route(&req.path) {
            Route::Version => return Ok(HttpResponse::json(200, &version_document())),
            Route::CoreVersions => {
                let doc = json!({
                    "kind": "APIVersions",
                    "versions": ["v1"],
                    "serverAddressByClientCIDRs": [
                        {"clientCIDR": "0.0.0.0/0", "serverAddress": LAB_APISERVER}
                    ],
                });
                return Ok(HttpResponse::json(200, &doc));
            }
            Route::Groups => return Ok(HttpResponse::json(200, &group_list())),
            Route::Resources { group, version } => {
                let doc = resource_list(group, version).ok_or_else(ApiError::not_served)?;
                return Ok(HttpResponse::json(200, &doc));
            }
            Route::OpenApiRoot => return Ok(HttpResponse::json(200, &openapi_root())),
            Route::OpenApi { group, version } => {
                let doc = openapi_document(group, version).ok_or_else(ApiError::not_served)?;
                return Ok(HttpResponse::json(200, &doc));
            }
            Route::NotFound => return Err(ApiError::not_served()),
            Route::Object {
                info,
                namespace,
                name,
                subresource,
            } => (info, namespace, name, subresource),
        };
        let query = query_pairs(&req.query);
        let param = |key: &str| param(&query, key);
        let verb = match (req.method.as_str(), name.is_some()) {
            ("GET", _) if param("watch").is_some_and(|w| w == "true" || w == "1") => Verb::Watch,
            ("GET", true) => Verb::Get,
            ("GET", false) => Verb::List,
            ("POST", _) => Verb::Create,
            ("PUT", true) => Verb::Update,
            ("PATCH", true) => Verb::Patch,
            ("DELETE", true) => Verb::Delete,
            ("DELETE", false) => Verb::DeleteCollection,
            _ => {
                return Err(ApiError::new(
                    StatusReason::MethodNotAllowed,
                    "the server does not allow this method on the requested resource",
                ))
            }
        };
        let mut request = ApiRequest::new(credentials_of(req), verb, info.plural);
        request.namespace = namespace;
        request.name = name;
        request.subresource = subresource;
        if let Some(user) = &req.impersonate_user {
            request.impersonate = Some(Impersonate {
                user: user.clone(),
                groups: req.impersonate_groups.clone(),
            });
        }
        request.list_options.label_selector = param("labelSelector").map(str::to_string);
        request.list_options.field_selector = param("fieldSelector").map(str::to_string);
        request.dry_run = param("dryRun") == Some("All");
        request.field_manager = param("fieldManager").map(str::to_string);
        let body = body_of(req, verb == Verb::Patch)?;
        match verb {
            Verb::Patch => {
                let kind = patch_type(&req.content_type).ok_or_else(|| {
                    ApiError::new(
                        StatusReason::Unknown,
                        format!(
                            "the server does not support patch type {:?} yet",
                            req.content_type
                        ),
                    )
                })?;
                request.patch_type = Some(kind);
                request.body = body;
            }
            Verb::Delete | Verb::DeleteCollection => {
                let options = body.unwrap_or_else(|| json!({}));
                request.delete_options = DeleteOptions {
                    grace_period_seconds: options
                        .get("gracePeriodSeconds")
                        .and_then(Value::as_i64)
                        .or_else(|| param("gracePeriodSeconds").and_then(|g| g.parse().ok())),
                    propagation_policy: options
                        .get("propagationPolicy")
                        .and_then(Value::as_str)
                        .or_else(|| param("propagationPolicy"))
                        .and_then(propagation),
                };
                if options.pointer("/dryRun/0") == Some(&json!("All")) {
                    request.dry_run = true;
                }
            }
            _ => request.body = body,
        }
        match request.subresource.as_deref() {
            Some("log") if info.plural == "pods" && verb == Verb::Get => {
                return self.log(request, &query);
            }
            Some("scale") if SCALED.contains(&info.plural) => return self.scale(request),
            _ => {}
        }
        if verb == Verb::Watch {
            if let Some(name) = request.name.take() {
                // `watch` on one object: the collection, narrowed to its name.
                request.list_options.field_selector = Some(format!("metadata.name={name}"));
            }
            let (handle, _) = self.lab.cluster.open_watch(request)?;
            let table = wants_table(&req.accept).then_some(info);
            self.watches.push(OpenWatch { handle, table });
            return Ok(HttpResponse {
                status: 200,
                content_type: "application/json",
                body: Vec::new(),
                watch: Some(handle),
            });
        }
        let response = self.submit(request)?;
        if matches!(verb, Verb::Get | Verb::List) && wants_table(&req.accept) {
            let table = to_table(info, &response.body, self.lab.cluster.unix_seconds());
            return Ok(HttpResponse::json(response.code, &table));
        }
        Ok(HttpResponse::json(response.code, &response.body))
    }
}

/// The kinds with a `scale` subresource (`autoscaling/v1` Scale), as kubectl scale uses it.
const SCALED: &[&str] = &["deployments", "replicasets", "replicationcontrollers"];

/// `matchLabels` as the Scale's `status.selector` text: `app=web,tier=db`.
fn selector_text(obj: &Value) -> String {
    let labels = obj
        .pointer("/spec/selector/matchLabels")
        .or_else(|| {
            obj.pointer("/spec/selector")
                .filter(|_| obj["kind"] == "ReplicationController")
        })
        .and_then(Value::as_object);
    labels
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// The `autoscaling/v1` Scale of a Deployment, ReplicaSet or ReplicationController.
fn scale_of(obj: &Value) -> Value {
    let meta = |field: &str| {
        obj.pointer(&format!("/metadata/{field}"))
            .cloned()
            .unwrap_or(Value::Null)
    };
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta("name"),
            "namespace": meta("namespace"),
            "uid": meta("uid"),
            "resourceVersion": meta("resourceVersion"),
            "creationTimestamp": meta("creationTimestamp"),
        },
        "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(1))},
        "status": {
            "replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)),
            "selector": selector_text(obj),
        },
    })
}

/// The replica count a write to `scale` asks for: a Scale (PUT), a merge or strategic patch
/// `{"spec":{"replicas":N}}`, or a JSON patch replacing `/spec/replicas`.
fn wanted_replicas(body: Option<&Value>) -> Option<i64> {
    let body = body?;
    if let Some(ops) = body.as_array() {
        return ops
            .iter()
            .find(|op| op["path"] == "/spec/replicas")
            .and_then(|op| op["value"].as_i64());
    }
    body.pointer("/spec/replicas").and_then(Value::as_i64)
}

/// The request's body as JSON: JSON as sent, or Kubernetes protobuf decoded (client-go's typed
/// clients, `kubectl create deployment` and `auth can-i` among them, send protobuf). A patch is
/// always JSON.
fn body_of(req: &HttpRequest, patch: bool) -> Result<Option<Value>, ApiError> {
    let media = req.content_type.split(';').next().unwrap_or("").trim();
    if req.body.is_empty() {
        Ok(None)
    } else if media == "application/vnd.kubernetes.protobuf" && !patch {
        proto::decode(&req.body)
            .map(Some)
            .map_err(|e| ApiError::bad_request(format!("failed to decode the protobuf body: {e}")))
    } else {
        serde_json::from_slice(&req.body).map(Some).map_err(|e| {
            ApiError::bad_request(format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/vnd.kubernetes.protobuf: {e}"
            ))
        })
    }
}

/// The credentials of a request's `Authorization` header.
fn credentials_of(req: &HttpRequest) -> Credentials {
    match req
        .authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
    {
        Some(token) => Credentials::BearerToken(token.trim().to_string()),
        None => Credentials::None,
    }
}

impl ApiServer {
    /// One request through the apiserver; a write (not a dry run) then lets the lab settle, as
    /// after a terminal line, unless the wall clock moves time (`settle_ticks` 0).
    fn submit(&mut self, request: ApiRequest) -> Result<ApiResponse, ApiError> {
        let writes = !matches!(request.verb, Verb::Get | Verb::List) && !request.dry_run;
        let answer = self.lab.cluster.submit(request);
        if writes && self.settle_ticks > 0 {
            self.lab.cluster.run_until_settled(self.settle_ticks);
        }
        answer
    }

    /// Who the request is, after impersonation, as the apiserver's authentication sees it.
    fn user_of(&mut self, req: &HttpRequest) -> Result<UserInfo, ApiError> {
        let credentials = credentials_of(req);
        let user = self
            .lab
            .cluster
            .apiserver_mut()
            .authenticator
            .authenticate(&credentials, |_, _| true)?;
        Ok(match &req.impersonate_user {
            Some(name) => crate::sim::apiserver::authn::impersonated(name, &req.impersonate_groups),
            None => user,
        })
    }

    /// `SelfSubjectReview`: `kubectl auth whoami`.
    fn self_review(&mut self, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        let user = self.user_of(req)?;
        let review = json!({
            "kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": null},
            "status": {"userInfo": {"username": user.name, "groups": user.groups}},
        });
        Ok(HttpResponse::json(201, &review))
    }

    /// `SelfSubjectAccessReview`: `kubectl auth can-i`, answered by the apiserver's RBAC
    /// authorizer over the cluster's Roles and bindings.
    fn access_review(&mut self, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        let user = self.user_of(req)?;
        let mut review = body_of(req, false)?.unwrap_or_else(|| json!({}));
        let index = crate::sim::apiserver::rbac::read_index(&mut self.lab.cluster)?;
        let attr = |key: &str| {
            review
                .pointer(&format!("/spec/resourceAttributes/{key}"))
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let allowed = if review.pointer("/spec/resourceAttributes").is_some() {
            let (verb, group, resource) = (
                attr("verb").unwrap_or_default(),
                attr("group").unwrap_or_default(),
                attr("resource").unwrap_or_default(),
            );
            let (subresource, namespace, name) =
                (attr("subresource"), attr("namespace"), attr("name"));
            index
                .authorize(&Attributes {
                    user: &user,
                    verb: &verb,
                    api_group: &group,
                    resource: &resource,
                    subresource: subresource.as_deref(),
                    namespace: namespace.as_deref(),
                    name: name.as_deref(),
                })
                .is_ok()
        } else {
            crate::sim::apiserver::rbac::non_resource_allowed(&user)
        };
        review["status"] = json!({ "allowed": allowed });
        if review.get("metadata").is_none() {
            review["metadata"] = json!({"creationTimestamp": null});
        }
        Ok(HttpResponse::json(201, &review))
    }

    /// `GET pods/NAME/log`: the container's log from its node's runtime, as plain text.
    fn log(
        &mut self,
        mut request: ApiRequest,
        query: &[(String, String)],
    ) -> Result<HttpResponse, ApiError> {
        let param = |key: &str| param(query, key);
        request.subresource = None;
        let pod = self.submit(request)?.body;
        let names: Vec<&str> = pod
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .map(|cs| cs.iter().filter_map(|c| c["name"].as_str()).collect())
            .unwrap_or_default();
        let pod_name = pod
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let container = match (param("container"), names.as_slice()) {
            (Some(c), _) => c.to_string(),
            (None, [only]) => only.to_string(),
            (None, _) => {
                return Err(ApiError::bad_request(format!(
                    "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                    names.join(" ")
                )))
            }
        };
        let previous = param("previous") == Some("true");
        let id =
            logs::container_log_id(&pod, &container, previous).map_err(ApiError::bad_request)?;
        let tail = param("tailLines").and_then(|t| t.parse::<usize>().ok());
        let timestamps = param("timestamps") == Some("true");
        let node = pod
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or("");
        let text = match self.lab.node(node).and_then(|h| h.runtime()) {
            Some(runtime) => logs::log_text(&runtime.borrow(), &id, tail, timestamps),
            None => String::new(),
        };
        Ok(HttpResponse {
            status: 200,
            content_type: "text/plain",
            body: text.into_bytes(),
            watch: None,
        })
    }

    /// `scale`: read from the object, written as a merge patch of its `spec.replicas`.
    fn scale(&mut self, mut request: ApiRequest) -> Result<HttpResponse, ApiError> {
        request.subresource = None;
        let verb = request.verb;
        if verb == Verb::Get {
            let obj = self.submit(request)?.body;
            return Ok(HttpResponse::json(200, &scale_of(&obj)));
        }
        let replicas = wanted_replicas(request.body.as_ref())
            .ok_or_else(|| ApiError::bad_request("the scale request does not set spec.replicas"))?;
        request.verb = Verb::Patch;
        request.patch_type = Some(PatchType::Merge);
        request.body = Some(json!({"spec": {"replicas": replicas}}));
        Ok(HttpResponse::json(
            200,
            &scale_of(&self.submit(request)?.body),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "admin-token";

    fn server() -> ApiServer {
        ApiServer::new(
            1,
            &[(TOKEN, "kubernetes-admin", &["kubeadm:cluster-admins"])],
        )
    }

    fn get(path: &str, query: &str, accept: &str) -> HttpRequest {
        HttpRequest {
            method: "GET".into(),
            path: path.into(),
            query: query.into(),
            accept: accept.into(),
            authorization: Some(format!("Bearer {TOKEN}")),
            ..HttpRequest::default()
        }
    }

    #[test]
    fn paths_name_what_kube_apiserver_names() {
        assert_eq!(route("/version"), Route::Version);
        assert_eq!(
            route("/apis/apps/v1"),
            Route::Resources {
                group: "apps",
                version: "v1"
            }
        );
        let Route::Object {
            info,
            namespace,
            name,
            subresource,
        } = route("/api/v1/namespaces/default/pods/web/status")
        else {
            panic!("not an object route");
        };
        assert_eq!(
            (info.plural, namespace.as_deref(), name.as_deref()),
            ("pods", Some("default"), Some("web"))
        );
        assert_eq!(subresource.as_deref(), Some("status"));
        // A namespace's own subresource is not a namespaced resource called `status`.
        let Route::Object {
            info, subresource, ..
        } = route("/api/v1/namespaces/dev/finalize")
        else {
            panic!("not an object route");
        };
        assert_eq!(
            (info.plural, subresource.as_deref()),
            ("namespaces", Some("finalize"))
        );
        assert_eq!(route("/apis/apps/v1/deployments").clone(), {
            let info = RESOURCES
                .iter()
                .find(|r| r.plural == "deployments")
                .unwrap();
            Route::Object {
                info,
                namespace: None,
                name: None,
                subresource: None,
            }
        });
        assert_eq!(
            route("/apis/apps/v1/namespaces/default/widgets"),
            Route::NotFound
        );
        assert_eq!(route("/api/v1/pods/web"), Route::NotFound);
        assert_eq!(route("/apis/batch/v9/jobs"), Route::NotFound);
    }

    #[test]
    fn discovery_lists_every_served_resource_once_with_its_short_names() {
        let core = resource_list("", "v1").unwrap();
        let names: Vec<&str> = core["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        for r in RESOURCES.iter().filter(|r| r.group.is_empty()) {
            assert_eq!(
                names.iter().filter(|n| **n == r.plural).count(),
                1,
                "{}",
                r.plural
            );
        }
        assert!(names.contains(&"pods/status") && names.contains(&"pods/eviction"));
        let pods = &core["resources"][names.iter().position(|n| *n == "pods").unwrap()];
        assert_eq!(pods["shortNames"], json!(["po"]));
        assert_eq!(pods["categories"], json!(["all"]));
        let groups = group_list();
        assert!(groups["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["name"] == "apps" && g["preferredVersion"]["groupVersion"] == "apps/v1"));
        assert!(resource_list("apps", "v9").is_none());
    }

    #[test]
    fn kubectl_get_gets_the_built_in_printers_columns_as_a_table() {
        let mut server = server();
        let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
        let answer = server.handle(&get("/api/v1/nodes", "limit=500", accept));
        assert_eq!(answer.status, 200);
        let table = answer.json_body();
        assert_eq!(table["kind"], "Table");
        let columns: Vec<(&str, i64)> = table["columnDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["name"].as_str().unwrap(), c["priority"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            &columns[..6],
            &[
                ("Name", 0),
                ("Status", 0),
                ("Roles", 0),
                ("Age", 0),
                ("Version", 0),
                ("Internal-ip", 1)
            ]
        );
        let names: Vec<&Value> = table["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["cells"][0])
            .collect();
        assert_eq!(names, [&json!("master"), &json!("node1"), &json!("node2")]);
        assert_eq!(table["rows"][0]["cells"][1], "Ready");
        assert_eq!(table["rows"][0]["object"]["metadata"]["name"], "master");
        // Without `as=Table` the same path answers the NodeList itself.
        let plain = server.handle(&get("/api/v1/nodes", "", "application/json"));
        assert_eq!(plain.json_body()["kind"], "NodeList");
    }

    #[test]
    fn a_watch_streams_each_change_once_in_order_and_as_table_rows_for_kubectl_get() {
        let mut server = server();
        let opened = server.handle(&get(
            "/api/v1/namespaces/default/configmaps",
            "watch=true",
            "application/json",
        ));
        assert_eq!(opened.status, 200);
        let plain = opened.watch.expect("a watch stream");
        let table = server
            .handle(&get(
                "/api/v1/namespaces/default/configmaps",
                "watch=1",
                "application/json;as=Table;v=v1;g=meta.k8s.io",
            ))
            .watch
            .expect("a watch stream");
        assert!(server.poll_watches().is_empty(), "nothing changed yet");
        for (i, name) in ["a", "b"].iter().enumerate() {
            let mut create = get("/api/v1/namespaces/default/configmaps", "", "");
            create.method = "POST".into();
            create.body = serde_json::to_vec(&json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name}, "data": {"n": i.to_string()}}))
            .unwrap();
            assert_eq!(server.handle(&create).status, 201);
        }
        let polled = server.poll_watches();
        let lines = |handle: WatchHandle| -> Vec<Value> {
            let (_, bytes) = polled.iter().find(|(h, _)| *h == handle).expect("events");
            bytes
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| serde_json::from_slice(l).unwrap())
                .collect()
        };
        let events = lines(plain);
        let seen: Vec<(&Value, &Value)> = events
            .iter()
            .map(|e| (&e["type"], &e["object"]["metadata"]["name"]))
            .collect();
        assert_eq!(
            seen,
            [
                (&json!("ADDED"), &json!("a")),
                (&json!("ADDED"), &json!("b"))
            ]
        );
        let rows = lines(table);
        assert_eq!(rows[0]["object"]["kind"], "Table");
        assert_eq!(rows[1]["object"]["rows"][0]["cells"][0], "b");
        // Once a client leaves, its watch is closed and polls no more.
        server.close_watch(plain);
        server.close_watch(table);
        let mut delete = get("/api/v1/namespaces/default/configmaps/a", "", "");
        delete.method = "DELETE".into();
        assert_eq!(server.handle(&delete).status, 200);
        assert!(server.poll_watches().is_empty());
    }

    #[test]
    fn openapi_v3_is_served_where_kubectl_looks_and_v2_is_not() {
        let mut server = server();
        let root = server.handle(&get("/openapi/v3", "", "application/json"));
        let url = root.json_body()["paths"]["apis/apps/v1"]["serverRelativeURL"].clone();
        assert_eq!(url, "/openapi/v3/apis/apps/v1");
        let doc = server.handle(&get(url.as_str().unwrap(), "", "application/json"));
        assert_eq!(doc.status, 200);
        assert_eq!(
            doc.json_body()["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"]
                ["x-kubernetes-group-version-kind"],
            json!([{"group": "apps", "version": "v1", "kind": "Deployment"}])
        );
        // kubectl apply would build its patches from a v2 document: without merge keys, it
        // must fall back to its Go types instead.
        assert_eq!(server.handle(&get("/openapi/v2", "", "")).status, 404);
        assert_eq!(
            server
                .handle(&get("/openapi/v3/apis/apps/v9", "", ""))
                .status,
            404
        );
    }

    #[test]
    fn errors_are_status_objects_with_the_apiservers_reason_and_code() {
        let mut server = server();
        let missing = server.handle(&get("/api/v1/namespaces/default/pods/nope", "", ""));
        assert_eq!(missing.status, 404);
        let status = missing.json_body();
        assert_eq!(status["kind"], "Status");
        assert_eq!(status["reason"], "NotFound");
        assert_eq!(status["message"], "pods \"nope\" not found");
        let mut anonymous = get("/api/v1/nodes", "", "");
        anonymous.authorization = None;
        let denied = server.handle(&anonymous);
        assert_eq!(
            (denied.status, denied.json_body()["reason"].clone()),
            (401, json!("Unauthorized"))
        );
        let unknown = server.handle(&get("/apis/example.com/v1/widgets", "", ""));
        assert_eq!(unknown.status, 404);
        let mut bad = get("/api/v1/namespaces/default/configmaps", "", "");
        bad.method = "POST".into();
        bad.body = b"{not json".to_vec();
        assert_eq!(server.handle(&bad).json_body()["reason"], "BadRequest");
    }

    #[test]
    fn a_create_goes_through_admission_and_settles_like_a_terminal_line() {
        let mut server = server();
        let body = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}},
        });
        let mut create = get(
            "/apis/apps/v1/namespaces/default/deployments",
            "fieldManager=kubectl-create&fieldValidation=Strict",
            "application/json",
        );
        create.method = "POST".into();
        create.content_type = "application/json".into();
        create.body = serde_json::to_vec(&body).unwrap();
        let created = server.handle(&create);
        assert_eq!(
            created.status,
            201,
            "{}",
            String::from_utf8_lossy(&created.body)
        );
        // Defaulted by admission, as the terminal's kubectl would see it.
        assert_eq!(
            created.json_body()["spec"]["strategy"]["type"],
            "RollingUpdate"
        );
        let pods = server
            .handle(&get(
                "/api/v1/namespaces/default/pods",
                "labelSelector=app%3Dweb",
                "application/json",
            ))
            .json_body();
        let phases: Vec<&Value> = pods["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["status"]["phase"])
            .collect();
        assert_eq!(phases, [&json!("Running"), &json!("Running")]);
        // The same name again is refused with AlreadyExists.
        let again = server.handle(&create);
        assert_eq!(again.status, 409);
        assert_eq!(again.json_body()["reason"], "AlreadyExists");
    }
}
