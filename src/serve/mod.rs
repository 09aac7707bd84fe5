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
//! `/openapi/v2` ([`openapi`]); `portforward` carries HTTP only ([`forward`]); `exec -i` runs
//! the command once stdin is closed, and `exec -it` into a shell runs each line on its own
//! ([`tty`]).
//!
//! This module is the protocol without the network: [`ApiServer::handle`] takes a parsed HTTP
//! request and answers it, so it is tested natively with no socket. [`net`] puts TLS, HTTP/1.1
//! and the lab's thread in front of it (hyper and rustls); [`proto`] reads protobuf bodies;
//! [`openapi`] builds the OpenAPI v3 documents.

pub mod forward;
pub mod net;
pub mod openapi;
pub mod proto;
pub mod spdy;
pub mod tty;

pub use openapi::{openapi_document, openapi_root};

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::sim::api::resources::{group_version, ResourceInfo, RESOURCES, REVIEWS};
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
use crate::sim::kubectl::{exec, logs, table};
use crate::sim::lab::Lab;
use crate::sim::runtime::apps::ExecResult;
use crate::sim::runtime::ContainerState;

/// The version `/version` reports: the one the terminal's `kubectl version` prints.
pub const SERVER_GIT_VERSION: &str = "v1.32.0";

/// Where the kubeconfig's cluster entry says the apiserver is, as seen from the student's
/// machine; `/api` reports the in-lab address (master's), as kubeadm's apiserver does.
const LAB_APISERVER: &str = "172.16.20.11:6443";

/// The kubeconfig's second user: a student who may work in `default` and nowhere else.
pub const STUDENT_USER: &str = "student";

/// Binds the `edit` ClusterRole to the `student` user in `default` (RoleBinding `student`), so
/// a student's kubectl may run and change workloads there and is refused everywhere else
/// (nodes, kube-system, RBAC itself). `serve` does it at start; the judge test does it to its
/// own lab too, so that both clusters hold the same objects.
pub fn grant_student(lab: &mut Lab) -> Result<(), ApiError> {
    let mut request = ApiRequest::new(Credentials::admin(), Verb::Create, "rolebindings");
    request.namespace = Some("default".to_string());
    request.body = Some(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": STUDENT_USER, "namespace": "default"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": STUDENT_USER}],
    }));
    lab.cluster.submit(request).map(|_| ())
}

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
    /// The `Upgrade` header: `websocket` for kubectl exec's first try, `SPDY/3.1` for its
    /// fallback.
    pub upgrade: Option<String>,
    /// The WebSocket subprotocols the client offers (`Sec-WebSocket-Protocol`), in its order.
    pub websocket_protocols: Vec<String>,
    /// `kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07`: the field manager of a write that
    /// names none is its first word, as kube-apiserver takes it.
    pub user_agent: Option<String>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A WebSocket upgrade that offers `protocol` (kubectl's exec and port-forward).
    pub fn offers_websocket(&self, protocol: &str) -> bool {
        self.upgrade
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
            && self.websocket_protocols.iter().any(|p| p == protocol)
    }
}

/// The answer: status code, content type and body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// A watch: the body is a stream of events, one JSON object per line, which
    /// [`ApiServer::poll_watches`] hands out as the lab changes.
    pub watch: Option<WatchHandle>,
    /// `kubectl logs -f` of a running container: `body` is the log so far, and
    /// [`ApiServer::poll_follows`] hands out the lines that come after it.
    pub follow: Option<FollowHandle>,
    /// `kubectl exec`: status 101, and what the upgraded WebSocket connection carries.
    pub exec: Option<ExecStream>,
    /// `kubectl port-forward`: status 101; the upgraded WebSocket carries a SPDY session whose
    /// HTTP requests [`ApiServer::forward_http`] answers.
    pub forward: Option<Box<ForwardTarget>>,
}

/// The pod a port-forward session reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardTarget {
    pub namespace: String,
    pub pod: String,
    /// A new pod with the same name is not the forwarded one.
    pub uid: String,
}

/// A log stream an HTTP client follows (`pods/NAME/log?follow=true`).
pub type FollowHandle = u64;

/// The WebSocket subprotocol kubectl 1.32 offers for exec (and only it: older servers that
/// speak v4 do not know its CLOSE signal, so client-go falls back to SPDY instead).
pub const EXEC_PROTOCOL: &str = "v5.channel.k8s.io";

/// What `kubectl port-forward` prints after `error upgrading connection: ` when it asks for
/// something other than SPDY tunnelled in a WebSocket (client-go before 1.31 dials SPDY itself).
pub const PORT_FORWARD_REFUSAL: &str = "kube-sandbox serve forwards ports over a WebSocket only (SPDY/3.1+portforward.k8s.io, what kubectl 1.31 and later offer first)";

/// The remote-command channels: each binary message's first byte says which stream it is.
pub const CHANNEL_STDOUT: u8 = 1;
pub const CHANNEL_STDERR: u8 = 2;
/// The error channel: one `metav1.Status` JSON at the end, success or why not.
pub const CHANNEL_ERROR: u8 = 3;

/// What an exec's upgraded connection carries, in order, before the server closes it normally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecStream {
    /// The subprotocol chosen, for `Sec-WebSocket-Protocol`.
    pub protocol: &'static str,
    /// Binary messages, each led by its channel byte.
    pub messages: Vec<Vec<u8>>,
    /// `exec -i`: nothing ran yet; read stdin until the client closes it, then run this.
    pub after_stdin: Option<Box<PendingExec>>,
}

/// An `exec -i` waiting for its stdin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingExec {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub command: Vec<String>,
    pub tty: bool,
    /// `-it` into a shell: an interactive session ([`tty`]) with this prompt, each line run
    /// on its own.
    pub interactive: Option<String>,
}

/// A followed container log.
struct OpenFollow {
    handle: FollowHandle,
    node: String,
    container_id: String,
    /// The next line to send ([`crate::sim::runtime::logs::LogBuffer::end_cursor`]).
    cursor: u64,
    timestamps: bool,
}

/// A watch an HTTP client holds open.
struct OpenWatch {
    handle: WatchHandle,
    info: &'static ResourceInfo,
    /// `kubectl get -w` asks for each event's object as a one-row Table of this kind.
    table: bool,
    /// A watch with no `resourceVersion` (or `0`) begins with an ADDED event for each object
    /// that exists, as the apiserver's "start at most recent" does; sent with the first poll.
    initial: Vec<Value>,
    /// `allowWatchBookmarks=true`: the client is told the revision it has seen, now and then.
    bookmarks: bool,
    /// The newest revision this watch has told its client about.
    seen: i64,
    last_bookmark: std::time::Instant,
}

/// How often a watch that asked for bookmarks gets one, when the store moved on without
/// anything for it (the apiserver sends them about once a minute).
const BOOKMARK_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

impl HttpResponse {
    fn json(status: u16, value: &Value) -> Self {
        HttpResponse {
            status,
            content_type: "application/json",
            body: serde_json::to_vec(value).unwrap_or_default(),
            ..HttpResponse::default()
        }
    }

    fn text(status: u16, text: String) -> Self {
        HttpResponse {
            status,
            content_type: "text/plain",
            body: text.into_bytes(),
            ..HttpResponse::default()
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
    /// `/sandbox/clock`: the simulated clock, read, paused, sped up and stepped.
    Clock,
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
        ["sandbox", "clock"] => return Route::Clock,
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
            let gv = json!({"groupVersion": group_version(group, version), "version": version});
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
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version(group, version),
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
    // A column is wide (priority 1) when the narrow printer leaves it out: events put their
    // wide SUBOBJECT and SOURCE before MESSAGE, which both show.
    let narrow = table::header(info, false);
    let columns: Vec<Value> = table::header(info, true)
        .iter()
        .enumerate()
        .map(|(i, h)| {
            json!({
                "name": column_name(h),
                "type": "string",
                "format": if i == 0 { "name" } else { "" },
                "description": "",
                "priority": if narrow.contains(h) { 0 } else { 1 },
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
    for key in ["resourceVersion", "continue", "remainingItemCount"] {
        if let Some(value) = body.get("metadata").and_then(|m| m.get(key)) {
            metadata[key] = value.clone();
        }
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

/// The patch type of a PATCH's `Content-Type`; `force` is the request's `force` parameter,
/// which only an apply takes.
fn patch_type(content_type: &str, force: bool) -> Option<PatchType> {
    match content_type.split(';').next().unwrap_or("").trim() {
        "application/json-patch+json" => Some(PatchType::Json),
        "application/merge-patch+json" => Some(PatchType::Merge),
        "application/strategic-merge-patch+json" => Some(PatchType::StrategicMerge),
        APPLY_PATCH => Some(PatchType::Apply { force }),
        _ => None,
    }
}

/// Server-side apply's media type: the body is YAML (kubectl sends JSON, which is YAML too).
const APPLY_PATCH: &str = "application/apply-patch+yaml";

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
    bookmark_every: std::time::Duration,
    /// Simulated seconds per wall-clock second (`--clock wall:SPEED`); 0 with `--clock settle`.
    speed: f64,
    paused: bool,
    follows: Vec<OpenFollow>,
    next_follow: FollowHandle,
    /// Each group-version's OpenAPI v3 document as served, by its path (`apis/apps/v1`).
    openapi: BTreeMap<String, HttpResponse>,
}

/// A `continue` token: the revision of the list's first chunk, read again for each later one
/// (the store keeps its history until compaction, as etcd does), and where the next chunk
/// starts. Opaque to clients, base64 of JSON as upstream's is.
#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    rv: i64,
    start: usize,
}

impl ContinueToken {
    fn encode(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE
            .encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(text: &str) -> Result<Self, ApiError> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE
            .decode(text)
            .map_err(|e| ApiError::bad_request(format!("continue key is not valid: {e}")))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("continue key is not valid: {e}")))
    }
}

/// One chunk of a list answer read at the first chunk's revision: the items from `start`, at
/// most `limit` of them, with `metadata.continue` and `remainingItemCount` when more remain.
fn chunk(mut list: Value, limit: Option<usize>, token: Option<&ContinueToken>) -> Value {
    let items = match list.get_mut("items").map(Value::take) {
        Some(Value::Array(items)) => items,
        _ => return list,
    };
    // A later chunk answers with its list's revision, not the store's newest.
    let revision = match token {
        Some(token) => json!(token.rv.to_string()),
        None => list
            .pointer("/metadata/resourceVersion")
            .cloned()
            .unwrap_or(Value::Null),
    };
    let start = token.map_or(0, |t| t.start);
    let rest = items.len().saturating_sub(start);
    let limit = limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
    let page: Vec<Value> = items.into_iter().skip(start).take(limit).collect();
    let mut metadata = json!({"resourceVersion": revision});
    if rest > limit {
        let token = ContinueToken {
            rv: revision.as_str().and_then(|r| r.parse().ok()).unwrap_or(0),
            start: start + limit,
        };
        metadata["continue"] = json!(token.encode());
        metadata["remainingItemCount"] = json!(rest - limit);
    }
    list["metadata"] = metadata;
    list["items"] = Value::Array(page);
    list
}

impl ApiServer {
    /// Boots the lab from `seed`; `tokens` are static bearer tokens as (token, user, groups).
    pub fn new(seed: u64, tokens: &[(&str, &str, &[&str])]) -> Self {
        let mut lab = Lab::boot(seed);
        for (token, user, groups) in tokens {
            lab.cluster.add_user_token(token, user, groups);
        }
        // A fresh lab has `edit` and no `student` binding: this cannot fail but is not hidden.
        if let Err(error) = grant_student(&mut lab) {
            eprintln!(
                "serve: the student's RoleBinding was not made: {}",
                error.message
            );
        }
        ApiServer {
            lab,
            settle_ticks: crate::sim::kubectl::shell::DEFAULT_SETTLE_TICKS,
            watches: Vec::new(),
            bookmark_every: BOOKMARK_EVERY,
            speed: 0.0,
            paused: false,
            follows: Vec::new(),
            next_follow: 0,
            openapi: BTreeMap::new(),
        }
    }

    /// Simulated seconds the cluster may run after each write (as after a terminal line); 0:
    /// writes do not move time (the wall clock does, through [`ApiServer::advance`]).
    pub fn set_settle_seconds(&mut self, seconds: u64) {
        self.settle_ticks = seconds.saturating_mul(TICKS_PER_SECOND);
    }

    /// How fast simulated time follows the wall clock: 0 when paused or with `--clock settle`.
    pub fn wall_speed(&self) -> f64 {
        if self.paused {
            0.0
        } else {
            self.speed
        }
    }

    pub fn set_wall_speed(&mut self, speed: f64) {
        self.speed = speed;
    }

    /// `/sandbox/clock`. GET reads it; POST (or PUT) with `pause=true|false`, `speed=X` (simulated
    /// seconds per second) and `step=DURATION` (`30s`, `5m`, `1h`: that much simulated time
    /// passes now, timers firing on the way). `kubectl get --raw /sandbox/clock` and `kubectl
    /// create --raw '/sandbox/clock?step=30s' -f /dev/null` reach it. A non-resource URL:
    /// only the cluster's admins may use it.
    fn clock(&mut self, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        let user = self.user_of(req)?;
        if !crate::sim::apiserver::rbac::non_resource_allowed(&user) {
            let verb = if req.method == "GET" { "get" } else { "post" };
            return Err(ApiError::new(
                StatusReason::Forbidden,
                format!(
                    "forbidden: User \"{}\" cannot {verb} path \"{}\"",
                    user.name, req.path
                ),
            ));
        }
        if matches!(req.method.as_str(), "POST" | "PUT") {
            let query = query_pairs(&req.query);
            let bad = |what: &str, text: &str| {
                ApiError::bad_request(format!("invalid {what} {text:?} for the sandbox clock"))
            };
            let pause = param(&query, "pause")
                .map(|p| p.parse::<bool>().map_err(|_| bad("pause", p)))
                .transpose()?;
            let speed = param(&query, "speed")
                .map(|s| {
                    s.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite() && *x >= 0.0 && *x <= 10_000.0)
                        .ok_or_else(|| bad("speed", s))
                })
                .transpose()?;
            let step = param(&query, "step")
                .map(|d| {
                    crate::sim::kubectl::verb_util::parse_duration_ticks(d)
                        .filter(|t| *t <= 24 * 3600 * TICKS_PER_SECOND)
                        .ok_or_else(|| bad("step", d))
                })
                .transpose()?;
            if let Some(pause) = pause {
                self.paused = pause;
            }
            if let Some(speed) = speed {
                self.speed = speed;
            }
            if let Some(ticks) = step {
                self.advance(ticks);
            }
        }
        let doc = json!({
            "kind": "SandboxClock",
            "time": crate::sim::clock::rfc3339_from_unix(self.lab.cluster.unix_seconds()),
            "paused": self.paused,
            "speed": self.speed,
            "settleSeconds": self.settle_ticks / TICKS_PER_SECOND,
        });
        Ok(HttpResponse::json(200, &doc))
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
        let revision = self.lab.cluster.store().revision();
        let mut out = Vec::new();
        for watch in &mut self.watches {
            let initial = std::mem::take(&mut watch.initial)
                .into_iter()
                .map(|object| ("ADDED", object));
            let changes = self.lab.cluster.poll_watch(watch.handle).into_iter();
            let mut lines = Vec::new();
            for (kind, object) in initial.chain(changes.map(|(k, o)| (k.as_str(), o))) {
                // Only a watch that gets bookmarks needs to know how far it has seen.
                if watch.bookmarks {
                    let rv = object.pointer("/metadata/resourceVersion");
                    if let Some(rv) = rv.and_then(Value::as_str).and_then(|r| r.parse().ok()) {
                        watch.seen = watch.seen.max(rv);
                    }
                }
                let object = match watch.table {
                    true => to_table(watch.info, &object, now),
                    false => object,
                };
                push_event(&mut lines, kind, object);
            }
            let quiet = watch.last_bookmark.elapsed() >= self.bookmark_every;
            if watch.bookmarks && lines.is_empty() && revision > watch.seen && quiet {
                // Every change up to `revision` was delivered or did not match the selector.
                let info = watch.info;
                let object = json!({
                    "kind": info.kind,
                    "apiVersion": info.api_version(),
                    "metadata": {"resourceVersion": revision.to_string()},
                });
                push_event(&mut lines, "BOOKMARK", object);
                watch.seen = revision;
                watch.last_bookmark = std::time::Instant::now();
            }
            if !lines.is_empty() {
                out.push((watch.handle, lines));
            }
        }
        out
    }

    /// How often a quiet watch that allows bookmarks gets one ([`BOOKMARK_EVERY`] by default).
    pub fn set_bookmark_every(&mut self, every: std::time::Duration) {
        self.bookmark_every = every;
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
                // The documents never change: each is built (from the explain docs) once.
                let key = gv_path(group, version);
                if !self.openapi.contains_key(&key) {
                    let doc = openapi_document(group, version).ok_or_else(ApiError::not_served)?;
                    self.openapi
                        .insert(key.clone(), HttpResponse::json(200, &doc));
                }
                return Ok(self.openapi[&key].clone());
            }
            Route::NotFound => return Err(ApiError::not_served()),
            Route::Clock => return self.clock(req),
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
        request.field_manager = param("fieldManager").map(str::to_string).or_else(|| {
            let agent = req.user_agent.as_deref()?.split('/').next()?;
            (!agent.is_empty()).then(|| agent.to_string())
        });
        let body = body_of(req, verb == Verb::Patch)?;
        match verb {
            Verb::Patch => {
                let kind = patch_type(&req.content_type, param("force") == Some("true"))
                    .ok_or_else(|| {
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
                return self.log(request, &query, req);
            }
            Some("exec") if info.plural == "pods" && matches!(verb, Verb::Get | Verb::Create) => {
                return self.exec(request, &query, req);
            }
            Some("portforward") if info.plural == "pods" => {
                return self.port_forward(request, req);
            }
            Some("scale") if SCALED.contains(&info.plural) => return self.scale(request),
            _ => {}
        }
        if verb == Verb::Watch {
            if let Some(name) = request.name.take() {
                // `watch` on one object: the collection, narrowed to its name.
                request.list_options.field_selector = Some(format!("metadata.name={name}"));
            }
            // `resourceVersion=N`: the changes after N (410 Expired if compacted); none, or
            // `0`: what exists now as ADDED events, then the changes after the list.
            let from = param("resourceVersion")
                .filter(|rv| !rv.is_empty() && *rv != "0")
                .map(|rv| {
                    rv.parse::<i64>().map_err(|_| {
                        ApiError::bad_request(format!("invalid resource version: {rv}"))
                    })
                })
                .transpose()?;
            let (handle, listed) = self.lab.cluster.open_watch_from(request, from)?;
            let initial = match (from, listed.body.get("items")) {
                (None, Some(Value::Array(items))) => items.clone(),
                _ => Vec::new(),
            };
            self.watches.push(OpenWatch {
                handle,
                info,
                table: wants_table(&req.accept),
                initial,
                bookmarks: param("allowWatchBookmarks") == Some("true"),
                seen: from.unwrap_or(0),
                last_bookmark: std::time::Instant::now(),
            });
            return Ok(HttpResponse {
                status: 200,
                content_type: "application/json",
                watch: Some(handle),
                ..HttpResponse::default()
            });
        }
        // `continue`: the list again at its first chunk's revision (410 Expired once compacted).
        let token = match param("continue").filter(|t| !t.is_empty() && verb == Verb::List) {
            Some(text) => Some(ContinueToken::decode(text)?),
            None => None,
        };
        if let Some(token) = &token {
            request.list_options.revision = Some(token.rv);
        }
        let mut response = self.submit(request).map_err(|e| match e.reason {
            StatusReason::Expired if token.is_some() => ApiError::new(
                StatusReason::Expired,
                "The provided continue parameter is too old to display a consistent list \
                 result. You can start a new list without the continue parameter.",
            ),
            _ => e,
        })?;
        if verb == Verb::List {
            let limit = param("limit").and_then(|l| l.parse().ok());
            response.body = chunk(response.body, limit, token.as_ref());
        }
        if matches!(verb, Verb::Get | Verb::List) && wants_table(&req.accept) {
            let table = to_table(info, &response.body, self.lab.cluster.unix_seconds());
            return Ok(HttpResponse::json(response.code, &table));
        }
        Ok(HttpResponse::json(response.code, &response.body))
    }
}

/// One line of a watch stream: `{"type":"ADDED","object":{...}}` and a newline.
fn push_event(lines: &mut Vec<u8>, kind: &str, object: Value) {
    let event = json!({"type": kind, "object": object});
    lines.extend(serde_json::to_vec(&event).unwrap_or_default());
    lines.push(b'\n');
}

/// The container a log or exec request names: `container`, else the pod's only one; the
/// apiserver's BadRequest when the pod has several.
fn container_param(pod: &Value, container: Option<&str>) -> Result<String, ApiError> {
    let names: Vec<&str> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| cs.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    let pod_name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    match (container, names.as_slice()) {
        (Some(c), _) => Ok(c.to_string()),
        (None, [only]) => Ok(only.to_string()),
        (None, _) => Err(ApiError::bad_request(format!(
            "a container name must be specified for pod {pod_name}, choose one of: [{}]",
            names.join(" ")
        ))),
    }
}

/// An exec refused before it ran, as the client reads it: the apiserver's Status, or the
/// kubelet's plain text (kubectl prints it after `unable to upgrade connection: `).
/// An InternalError Status on the error channel: the runtime could not run the command.
fn internal_error_message(why: &str) -> Vec<u8> {
    let status = status_of(&internal_error(why));
    channel(
        CHANNEL_ERROR,
        &serde_json::to_vec(&status).unwrap_or_default(),
    )
}

/// What an exec's outcome sends on the WebSocket, or the refusal that [`exec_refusal`] answers
/// before the upgrade.
fn outcome_messages(
    outcome: exec::ExecOutcome,
    tty: bool,
) -> Result<Vec<Vec<u8>>, exec::ExecOutcome> {
    match outcome {
        exec::ExecOutcome::Ran(result) => Ok(exec_messages(&result, tty)),
        exec::ExecOutcome::Failed(message) => Ok(vec![internal_error_message(&message)]),
        refused => Err(refused),
    }
}

fn exec_refusal(outcome: exec::ExecOutcome) -> HttpResponse {
    let status = |error: ApiError| HttpResponse::json(error.code, &status_of(&error));
    match outcome {
        exec::ExecOutcome::Invalid(message) => status(ApiError::bad_request(message)),
        exec::ExecOutcome::NotRunning(text) => HttpResponse::text(500, text),
        exec::ExecOutcome::Failed(message) => status(internal_error(&message)),
        exec::ExecOutcome::Ran(_) => status(internal_error("the command ran")),
    }
}

fn internal_error(message: &str) -> ApiError {
    ApiError::new(
        StatusReason::InternalError,
        format!("Internal error occurred: {message}"),
    )
}

/// One remote-command message: the channel byte, then the data.
fn channel(id: u8, data: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(data.len() + 1);
    message.push(id);
    message.extend_from_slice(data);
    message
}

/// The messages of a command that ran: stdout, stderr (on stdout with a TTY, which has one
/// stream), then the Status: `Success`, or `Failure` with reason `NonZeroExitCode` and the code
/// as the `ExitCode` cause's message, which kubectl prints as `command terminated with exit code
/// N` and exits with.
pub fn exec_messages(result: &ExecResult, tty: bool) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    if !result.stdout.is_empty() {
        messages.push(channel(CHANNEL_STDOUT, result.stdout.as_bytes()));
    }
    if !result.stderr.is_empty() {
        let id = if tty { CHANNEL_STDOUT } else { CHANNEL_STDERR };
        messages.push(channel(id, result.stderr.as_bytes()));
    }
    let status = if result.exit_code == 0 {
        json!({"metadata": {}, "status": "Success"})
    } else {
        json!({
            "metadata": {},
            "status": "Failure",
            "message": format!(
                "command terminated with non-zero exit code: exit status {}",
                result.exit_code
            ),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": result.exit_code.to_string()}]},
        })
    };
    messages.push(channel(
        CHANNEL_ERROR,
        &serde_json::to_vec(&status).unwrap_or_default(),
    ));
    messages
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
        // JSON first (kubectl sends it); an apply patch may also be YAML.
        match serde_json::from_slice(&req.body) {
            Ok(value) => Ok(Some(value)),
            Err(_) if media == APPLY_PATCH => {
                let text = String::from_utf8_lossy(&req.body);
                match crate::sim::api::yaml::documents(&text) {
                    Ok(mut docs) if docs.len() == 1 => Ok(docs.pop()),
                    Ok(_) => Err(ApiError::bad_request(
                        "error decoding YAML: the apply patch must be one object",
                    )),
                    Err(e) => Err(ApiError::bad_request(format!("error decoding YAML: {e}"))),
                }
            }
            Err(e) => Err(ApiError::bad_request(format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/vnd.kubernetes.protobuf: {e}"
            ))),
        }
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
            self.lab
                .cluster
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
        request: ApiRequest,
        query: &[(String, String)],
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        let param = |key: &str| param(query, key);
        let pod = self.pod_for_subresource(req, request, "get", "log")?;
        let container = container_param(&pod, param("container"))?;
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
        let follow = param("follow") == Some("true")
            && !previous
            && logs::container_running(&pod, &container);
        let mut response = HttpResponse::text(200, text);
        if follow {
            let cursor = self
                .lab
                .node(node)
                .and_then(|h| h.runtime())
                .and_then(|r| r.borrow().container_log(&id).map(|l| l.end_cursor()))
                .unwrap_or(0);
            self.next_follow += 1;
            self.follows.push(OpenFollow {
                handle: self.next_follow,
                node: node.to_string(),
                container_id: id,
                cursor,
                timestamps,
            });
            response.follow = Some(self.next_follow);
        }
        Ok(response)
    }

    /// RBAC for a pod's subresource that serve answers itself (`pods/log`, `pods/exec`,
    /// `pods/portforward`): the request's user (after impersonation) may `verb` it, or the
    /// Forbidden kube-apiserver gives.
    fn authorize_pod_subresource(
        &mut self,
        req: &HttpRequest,
        request: &ApiRequest,
        verb: &str,
        subresource: &str,
    ) -> Result<(), ApiError> {
        let user = self.user_of(req)?;
        let name = request.name.clone().unwrap_or_default();
        self.lab
            .cluster
            .authorize(&Attributes {
                user: &user,
                verb,
                api_group: "",
                resource: "pods",
                subresource: Some(subresource),
                namespace: request.namespace.as_deref(),
                name: Some(&name),
            })
            .map(|_| ())
            .map_err(|why| crate::sim::apiserver::admission::forbidden("pods", &name, &why))
    }

    /// The pod behind a subresource serve answers itself: kube-apiserver authorizes `verb` on
    /// `pods/SUBRESOURCE` for the user, then reads the pod as itself.
    fn pod_for_subresource(
        &mut self,
        req: &HttpRequest,
        mut request: ApiRequest,
        verb: &str,
        subresource: &str,
    ) -> Result<Value, ApiError> {
        self.authorize_pod_subresource(req, &request, verb, subresource)?;
        request.credentials = Credentials::admin();
        request.impersonate = None;
        request.subresource = None;
        request.verb = Verb::Get;
        request.body = None;
        Ok(self.submit(request)?.body)
    }

    /// `pods/NAME/exec` (kubectl exec): the apiserver's and the kubelet's checks, then, on a
    /// WebSocket upgrade offering [`EXEC_PROTOCOL`], the command through the same
    /// [`exec::exec_in_pod`] as the terminal's kubectl, its output and final Status as the
    /// messages of the upgraded connection. Without stdin the command runs to completion here, on
    /// the lab's thread; with it, once the client has sent it all ([`ApiServer::exec_with_stdin`]).
    fn exec(
        &mut self,
        request: ApiRequest,
        query: &[(String, String)],
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        let pod = self.pod_for_subresource(req, request, "create", "exec")?;
        let container = container_param(&pod, param(query, "container"))?;
        let command: Vec<String> = query
            .iter()
            .filter(|(k, _)| k == "command")
            .map(|(_, v)| v.clone())
            .collect();
        if command.is_empty() {
            return Err(ApiError::bad_request("you must specify at least 1 command"));
        }
        let node_name = pod
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or("");
        let node = self.lab.node(node_name);
        if !req.offers_websocket(EXEC_PROTOCOL) {
            // kubectl tries a WebSocket first and SPDY only when that upgrade failed: the same
            // refusal answers both, so it prints what the apiserver or the kubelet said.
            if let Err(refused) = exec::exec_target(node, &pod, &container) {
                return Ok(exec_refusal(refused));
            }
            return Err(ApiError::bad_request(format!(
                "kube-sandbox serve runs exec over a WebSocket ({EXEC_PROTOCOL}) only"
            )));
        }
        let tty = param(query, "tty") == Some("true");
        if param(query, "stdin") == Some("true") {
            // `-i`: the command runs once the client has sent all of stdin and closed it.
            if let Err(refused) = exec::exec_target(node, &pod, &container) {
                return Ok(exec_refusal(refused));
            }
            let text = |at: &str| pod.pointer(at).and_then(Value::as_str).unwrap_or("");
            let shell = command
                .first()
                .map(|c| c.rsplit('/').next().unwrap_or(c).to_string())
                .unwrap_or_default();
            let image = pod
                .pointer("/spec/containers")
                .and_then(Value::as_array)
                .and_then(|cs| cs.iter().find(|c| c["name"] == container.as_str()))
                .and_then(|c| c["image"].as_str())
                .unwrap_or("");
            let interactive = (tty
                && matches!(shell.as_str(), "sh" | "ash" | "bash" | "dash")
                && command.len() == 1)
                .then(|| match shell.as_str() {
                    "bash" => format!("root@{}:/# ", text("/metadata/name")),
                    _ if image.contains("busybox") || image.contains("alpine") => "/ # ".into(),
                    _ => "# ".into(),
                });
            return Ok(HttpResponse {
                status: 101,
                exec: Some(ExecStream {
                    protocol: EXEC_PROTOCOL,
                    messages: Vec::new(),
                    after_stdin: Some(Box::new(PendingExec {
                        namespace: text("/metadata/namespace").to_string(),
                        pod: text("/metadata/name").to_string(),
                        container,
                        command,
                        tty,
                        interactive,
                    })),
                }),
                ..HttpResponse::default()
            });
        }
        let now = self.lab.cluster.now();
        let outcome = exec::exec_in_pod(node, &pod, &container, &command, None, now);
        let messages = match outcome_messages(outcome, tty) {
            Ok(messages) => messages,
            Err(refused) => return Ok(exec_refusal(refused)),
        };
        Ok(HttpResponse {
            status: 101,
            exec: Some(ExecStream {
                protocol: EXEC_PROTOCOL,
                messages,
                after_stdin: None,
            }),
            ..HttpResponse::default()
        })
    }

    fn run_pending(
        &mut self,
        pending: &PendingExec,
        command: &[String],
        stdin: Option<&str>,
    ) -> exec::ExecOutcome {
        let pod = crate::sim::component::Lister::new(self.lab.cluster.store()).get(
            "pods",
            Some(&pending.namespace),
            &pending.pod,
        );
        match &pod {
            Some(pod) => {
                let node = self.lab.node(
                    pod.pointer("/spec/nodeName")
                        .and_then(Value::as_str)
                        .unwrap_or(""),
                );
                let now = self.lab.cluster.now();
                exec::exec_in_pod(node, pod, &pending.container, command, stdin, now)
            }
            None => exec::ExecOutcome::Failed(format!("pod {} is gone", pending.pod)),
        }
    }

    /// One line typed into an interactive `exec -it` shell, run as `SHELL -c LINE`: what it
    /// printed (stdout and stderr, as a TTY mixes them) and its exit code.
    pub fn exec_tty_line(&mut self, pending: &PendingExec, line: &str) -> (String, i32) {
        let shell = pending
            .command
            .first()
            .cloned()
            .unwrap_or_else(|| "sh".into());
        let command = [shell, "-c".to_string(), line.to_string()];
        match self.run_pending(pending, &command, None) {
            exec::ExecOutcome::Ran(r) => (r.stdout + &r.stderr, r.exit_code),
            exec::ExecOutcome::Failed(why)
            | exec::ExecOutcome::Invalid(why)
            | exec::ExecOutcome::NotRunning(why) => (format!("{why}\n"), 126),
        }
    }

    /// Runs an `exec -i` once its stdin is complete: the messages to send back.
    pub fn exec_with_stdin(&mut self, pending: &PendingExec, stdin: &str) -> Vec<Vec<u8>> {
        let command = pending.command.clone();
        let outcome = self.run_pending(pending, &command, Some(stdin));
        outcome_messages(outcome, pending.tty).unwrap_or_else(|refused| {
            let why = String::from_utf8_lossy(&exec_refusal(refused).body).into_owned();
            vec![internal_error_message(&why)]
        })
    }

    fn port_forward(
        &mut self,
        request: ApiRequest,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        let pod = self.pod_for_subresource(req, request, "create", "portforward")?;
        if !req.offers_websocket(forward::PORT_FORWARD_PROTOCOL) {
            return Err(ApiError::bad_request(PORT_FORWARD_REFUSAL));
        }
        let text = |at: &str| pod.pointer(at).and_then(Value::as_str).unwrap_or("");
        if text("/status/phase") != "Running" {
            // kubectl checks this itself first; a client that does not is told as kubelet would.
            return Err(ApiError::bad_request(format!(
                "unable to upgrade connection: pod {} is not running",
                text("/metadata/name")
            )));
        }
        Ok(HttpResponse {
            status: 101,
            forward: Some(Box::new(ForwardTarget {
                namespace: text("/metadata/namespace").to_string(),
                pod: text("/metadata/name").to_string(),
                uid: text("/metadata/uid").to_string(),
            })),
            ..HttpResponse::default()
        })
    }

    /// One HTTP request that came through a port-forward, delivered inside the pod's network
    /// namespace (from `127.0.0.1`, as the kubelet's forward connects to `localhost:PORT`).
    pub fn forward_http(
        &mut self,
        target: &ForwardTarget,
        ask: &forward::HttpAsk,
    ) -> forward::Answer {
        use crate::sim::runtime::apps::HttpOutcome;
        let lost = || forward::Answer::Failed(format!("pod {} is gone", target.pod));
        let Some(pod) = crate::sim::component::Lister::new(self.lab.cluster.store()).get(
            "pods",
            Some(&target.namespace),
            &target.pod,
        ) else {
            return lost();
        };
        let text = |at: &str| pod.pointer(at).and_then(Value::as_str).unwrap_or("");
        if text("/metadata/uid") != target.uid || text("/status/phase") != "Running" {
            return lost();
        }
        let Some(runtime) = self
            .lab
            .node(text("/spec/nodeName"))
            .and_then(|h| h.runtime())
        else {
            return lost();
        };
        let now = self.lab.cluster.now();
        let ids: Vec<String> = pod
            .pointer("/status/containerStatuses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|s| s.pointer("/state/running").is_some())
            .filter_map(|s| s.get("containerID").and_then(Value::as_str))
            .filter_map(|id| id.split_once("://").map(|(_, id)| id.to_string()))
            .collect();
        let mut runtime = runtime.borrow_mut();
        let mut outcome = HttpOutcome::Refused;
        for id in &ids {
            outcome = runtime.http_request(
                id,
                &ask.method,
                ask.port,
                &ask.path,
                "127.0.0.1",
                &ask.user_agent,
                now,
            );
            if outcome != HttpOutcome::Refused {
                break;
            }
        }
        match outcome {
            HttpOutcome::Response { status, body } => forward::Answer::Response {
                status,
                body,
                date: crate::sim::runtime::shell::format_date(
                    self.lab.cluster.unix_seconds(),
                    Some("%a, %d %b %Y %H:%M:%S GMT"),
                ),
            },
            HttpOutcome::NotHttp => forward::Answer::Closed,
            HttpOutcome::Refused => {
                // containerd's PortForward, wrapped by the kubelet's stream handler.
                drop(runtime);
                let node = text("/spec/nodeName").to_string();
                let sandbox = crate::sim::kubectl::port_forward_cmd::pod_sandbox_id(
                    &mut self.lab.cluster,
                    &node,
                    &target.namespace,
                    &target.pod,
                );
                forward::Answer::Failed(crate::sim::network::port_forward::refused_text(
                    ask.port, &sandbox,
                ))
            }
        }
    }

    /// Each followed log's lines since the last call, and whether it ended (the container no
    /// longer runs, or is gone): an ended one's stream closes after these lines.
    pub fn poll_follows(&mut self) -> Vec<(FollowHandle, Vec<u8>, bool)> {
        let mut out = Vec::new();
        for follow in &mut self.follows {
            let runtime = self.lab.node(&follow.node).and_then(|h| h.runtime());
            let Some(runtime) = runtime else {
                out.push((follow.handle, Vec::new(), true));
                continue;
            };
            let runtime = runtime.borrow();
            let mut text = Vec::new();
            if let Some(log) = runtime.container_log(&follow.container_id) {
                let (lines, cursor) = log.read_from(follow.cursor);
                text = logs::lines_text(&runtime, lines, follow.timestamps).into_bytes();
                follow.cursor = cursor;
            }
            let running = runtime
                .container_status(&follow.container_id)
                .is_ok_and(|c| c.state == ContainerState::ContainerRunning);
            if !text.is_empty() || !running {
                out.push((follow.handle, text, !running));
            }
        }
        let ended: Vec<FollowHandle> = out.iter().filter(|o| o.2).map(|o| o.0).collect();
        self.follows.retain(|f| !ended.contains(&f.handle));
        out
    }

    /// The client stopped following a log.
    pub fn close_follow(&mut self, handle: FollowHandle) {
        self.follows.retain(|f| f.handle != handle);
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
        // As kubectl does: list, then watch from the list's resourceVersion.
        let listed = server.handle(&get("/api/v1/namespaces/default/configmaps", "", ""));
        let rv = listed.json_body()["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .to_string();
        let opened = server.handle(&get(
            "/api/v1/namespaces/default/configmaps",
            &format!("watch=true&resourceVersion={rv}"),
            "application/json",
        ));
        assert_eq!(opened.status, 200);
        let plain = opened.watch.expect("a watch stream");
        let table = server
            .handle(&get(
                "/api/v1/namespaces/default/configmaps",
                &format!("watch=1&resourceVersion={rv}"),
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

    /// Creates `pod` in `default` through the server; the write settles, as a terminal line does.
    fn create_pod(server: &mut ApiServer, pod: Value) {
        created(server.handle(&post("/api/v1/namespaces/default/pods", pod)));
    }

    /// Checks that a create answered 201 Created, and gives the answer back.
    fn created(answer: HttpResponse) -> HttpResponse {
        let body = String::from_utf8_lossy(&answer.body).to_string();
        assert_eq!(answer.status, 201, "{body}");
        answer
    }

    /// kubectl 1.32's exec request: a WebSocket upgrade offering the v5 channel protocol.
    fn exec_request(pod: &str, query: &str) -> HttpRequest {
        HttpRequest {
            upgrade: Some("websocket".into()),
            websocket_protocols: vec![EXEC_PROTOCOL.into()],
            ..get(
                &format!("/api/v1/namespaces/default/pods/{pod}/exec"),
                &format!("{query}&stdout=true&stderr=true"),
                "",
            )
        }
    }

    /// The messages of an exec that was upgraded, split into (channel, text).
    fn exec_messages_of(response: &HttpResponse) -> Vec<(u8, String)> {
        assert_eq!(
            response.status,
            101,
            "{}",
            String::from_utf8_lossy(&response.body)
        );
        let stream = response.exec.as_ref().expect("an exec stream");
        assert_eq!(stream.protocol, "v5.channel.k8s.io");
        stream
            .messages
            .iter()
            .map(|m| (m[0], String::from_utf8_lossy(&m[1..]).into_owned()))
            .collect()
    }

    #[test]
    fn an_exec_sends_stdout_then_the_status_and_a_non_zero_exit_its_code() {
        let mut server = server();
        create_pod(
            &mut server,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}),
        );
        let ran = exec_messages_of(&server.handle(&exec_request("web", "command=hostname")));
        assert_eq!(ran[0], (CHANNEL_STDOUT, "web\n".to_string()));
        let (last, status) = ran.last().unwrap();
        assert_eq!(*last, CHANNEL_ERROR);
        let status: Value = serde_json::from_str(status).unwrap();
        assert_eq!(status["status"], "Success");
        // `sh -c 'exit 3'`: the Status kubectl turns into `command terminated with exit code 3`.
        let failed = exec_messages_of(
            &server.handle(&exec_request("web", "command=sh&command=-c&command=exit+3")),
        );
        assert_eq!(failed.len(), 1, "no output, only the Status: {failed:?}");
        let status: Value = serde_json::from_str(&failed[0].1).unwrap();
        assert_eq!(failed[0].0, CHANNEL_ERROR);
        assert_eq!(
            (&status["status"], &status["reason"]),
            (&json!("Failure"), &json!("NonZeroExitCode"))
        );
        assert_eq!(
            status["details"]["causes"][0],
            json!({"reason": "ExitCode", "message": "3"})
        );
        // A binary the image lacks: the runtime cannot start it, an InternalError Status.
        let missing = exec_messages_of(&server.handle(&exec_request("web", "command=nope")));
        let status: Value = serde_json::from_str(&missing[0].1).unwrap();
        assert_eq!((missing.len(), missing[0].0), (1, CHANNEL_ERROR));
        assert_eq!(status["reason"], "InternalError");
        assert!(status["message"]
            .as_str()
            .unwrap()
            .starts_with("Internal error occurred: error executing command in container: "));
    }

    #[test]
    fn an_exec_with_stdin_runs_once_stdin_is_closed_and_reads_it() {
        let mut server = server();
        create_pod(
            &mut server,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "box"},
                "spec": {"containers": [{"name": "box", "image": "busybox",
                    "command": ["sleep", "3600"]}]}}),
        );
        let upgraded = server.handle(&exec_request("box", "command=cat&stdin=true"));
        let exec = upgraded.exec.expect("upgraded");
        // Nothing ran yet: no messages until stdin is complete.
        assert!(exec.messages.is_empty());
        let pending = exec.after_stdin.expect("waits for stdin");
        let messages = server.exec_with_stdin(&pending, "hello\nworld\n");
        assert_eq!(messages[0], channel(CHANNEL_STDOUT, b"hello\nworld\n"));
        // `sh` without -c takes stdin as its script, with its exit code.
        let upgraded = server.handle(&exec_request("box", "command=sh&stdin=true"));
        let pending = upgraded.exec.and_then(|e| e.after_stdin).expect("waits");
        let messages = server.exec_with_stdin(&pending, "hostname\nexit 3\n");
        assert_eq!(messages[0], channel(CHANNEL_STDOUT, b"box\n"));
        let status: Value = serde_json::from_slice(&messages[1][1..]).unwrap();
        assert_eq!(status["details"]["causes"][0]["message"], "3");
        // `-it` into a shell is an interactive session with busybox's prompt; each line runs
        // on its own, with its output and exit code.
        let upgraded = server.handle(&exec_request("box", "command=sh&stdin=true&tty=true"));
        let pending = upgraded.exec.and_then(|e| e.after_stdin).expect("waits");
        assert_eq!(pending.interactive.as_deref(), Some("/ # "));
        assert_eq!(
            server.exec_tty_line(&pending, "hostname; ls /nope"),
            ("box\nls: /nope: No such file or directory\n".to_string(), 1)
        );
        // `-it` with a command that is not a shell, or `sh -c`, reads stdin to its end.
        let upgraded = server.handle(&exec_request("box", "command=cat&stdin=true&tty=true"));
        assert_eq!(
            upgraded
                .exec
                .and_then(|e| e.after_stdin)
                .expect("waits")
                .interactive,
            None
        );
        // Without -i, cat reads nothing.
        let ran = exec_messages_of(&server.handle(&exec_request("box", "command=cat")));
        assert_eq!(ran.len(), 1, "only the Status: {ran:?}");
    }

    #[test]
    fn a_log_needs_get_on_pods_log_not_only_on_pods() {
        let mut server = server();
        create_pod(
            &mut server,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}),
        );
        let role = |resources: Value| {
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": {"name": "reader"},
                "rules": [{"apiGroups": [""], "resources": resources, "verbs": ["get"]}]})
        };
        let roles = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles";
        created(server.handle(&post(roles, role(json!(["pods"])))));
        created(server.handle(&post(
            "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": "reader"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob"}]}),
        )));
        let as_bob = |path: &str| {
            let mut request = get(path, "", "application/json");
            request.impersonate_user = Some("bob".into());
            request
        };
        let pod = "/api/v1/namespaces/default/pods/web";
        assert_eq!(server.handle(&as_bob(pod)).status, 200);
        let log = server.handle(&as_bob(&format!("{pod}/log")));
        assert_eq!(log.status, 403);
        assert!(
            log.json_body()["message"].as_str().unwrap().starts_with(
                "pods \"web\" is forbidden: User \"bob\" cannot get resource \"pods/log\""
            ),
            "{}",
            log.json_body()
        );
        let mut update = post(
            &format!("{roles}/reader"),
            role(json!(["pods", "pods/log"])),
        );
        update.method = "PUT".into();
        assert_eq!(server.handle(&update).status, 200);
        assert_eq!(server.handle(&as_bob(&format!("{pod}/log"))).status, 200);
    }

    #[test]
    fn an_exec_refused_before_the_upgrade_answers_what_kubectl_prints() {
        let mut server = server();
        create_pod(
            &mut server,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}),
        );
        let missing_pod = server.handle(&exec_request("nope", "command=ls"));
        assert_eq!(
            (
                missing_pod.status,
                missing_pod.json_body()["reason"].clone()
            ),
            (404, json!("NotFound"))
        );
        let bad = server.handle(&exec_request("web", "command=ls&container=db"));
        assert_eq!(bad.status, 400);
        assert_eq!(
            bad.json_body()["message"],
            "container db is not valid for pod web"
        );
        assert!(bad.exec.is_none());
        // RBAC: `create` on `pods/exec`, which bob has not been given.
        let mut bob = exec_request("web", "command=ls");
        bob.impersonate_user = Some("bob".into());
        let forbidden = server.handle(&bob);
        assert_eq!(forbidden.status, 403);
        assert!(
            forbidden.json_body()["message"]
                .as_str()
                .unwrap()
                .starts_with(
                    "pods \"web\" is forbidden: User \"bob\" cannot create resource \"pods/exec\""
                ),
            "{}",
            forbidden.json_body()
        );
        // SPDY (kubectl's fallback) is refused after the same checks, and runs nothing.
        let mut spdy = exec_request("web", "command=ls");
        spdy.method = "POST".into();
        spdy.upgrade = Some("SPDY/3.1".into());
        spdy.websocket_protocols.clear();
        let refused = server.handle(&spdy);
        assert_eq!((refused.status, refused.exec.is_none()), (400, true));
        assert!(String::from_utf8_lossy(&refused.body).contains("WebSocket"));
        // port-forward is refused with a message that says so, not a bare 404.
        let forward = server.handle(&get(
            "/api/v1/namespaces/default/pods/web/portforward",
            "ports=80",
            "",
        ));
        assert_eq!(
            (forward.status, forward.json_body()["message"].clone()),
            (400, json!(PORT_FORWARD_REFUSAL))
        );
        // The kubelet's answer for a container that does not run is plain text, not a Status.
        let text = exec_refusal(exec::ExecOutcome::NotRunning(
            "container not found (\"nginx\")".into(),
        ));
        assert_eq!(
            (text.status, text.content_type, text.body.as_slice()),
            (500, "text/plain", &b"container not found (\"nginx\")"[..])
        );
    }

    #[test]
    fn with_a_tty_stderr_goes_to_stdout() {
        let result = ExecResult {
            exit_code: 1,
            stdout: "out\n".into(),
            stderr: "err\n".into(),
        };
        let channels =
            |tty| -> Vec<u8> { exec_messages(&result, tty).iter().map(|m| m[0]).collect() };
        assert_eq!(
            channels(false),
            [CHANNEL_STDOUT, CHANNEL_STDERR, CHANNEL_ERROR]
        );
        assert_eq!(
            channels(true),
            [CHANNEL_STDOUT, CHANNEL_STDOUT, CHANNEL_ERROR]
        );
        assert_eq!(&exec_messages(&result, false)[1][1..], b"err\n");
    }

    #[test]
    fn a_followed_log_sends_new_lines_and_ends_with_its_container() {
        let mut server = server();
        create_pod(
            &mut server,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "talk"},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "c",
                    "image": "busybox", "command": ["sh", "-c",
                        "echo one; sleep 600; echo two; sleep 5; echo three"]}]}}),
        );
        let opened = server.handle(&get(
            "/api/v1/namespaces/default/pods/talk/log",
            "follow=true",
            "",
        ));
        assert_eq!(
            opened.status,
            200,
            "{}",
            String::from_utf8_lossy(&opened.body)
        );
        assert_eq!(opened.body, b"one\n");
        let handle = opened
            .follow
            .expect("a running container's log is followed");
        // A second follower that leaves at once is forgotten: only the first gets lines.
        let left = server
            .handle(&get(
                "/api/v1/namespaces/default/pods/talk/log",
                "follow=true",
                "",
            ))
            .follow
            .expect("followed");
        assert_ne!(left, handle);
        server.close_follow(left);
        assert!(server.poll_follows().is_empty(), "nothing new yet");
        server.advance(700 * TICKS_PER_SECOND);
        let polled = server.poll_follows();
        assert_eq!(polled, [(handle, b"two\nthree\n".to_vec(), true)]);
        assert!(server.poll_follows().is_empty(), "an ended follow is gone");
        // The container has ended: a new follow answers the whole log and does not stay open.
        let again = server.handle(&get(
            "/api/v1/namespaces/default/pods/talk/log",
            "follow=true",
            "",
        ));
        assert_eq!(
            (again.body.as_slice(), again.follow),
            (&b"one\ntwo\nthree\n"[..], None)
        );
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
        let mut create = post("/apis/apps/v1/namespaces/default/deployments", body);
        create.query = "fieldManager=kubectl-create&fieldValidation=Strict".into();
        let created = created(server.handle(&create));
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

    fn events_of(polled: &[(WatchHandle, Vec<u8>)], handle: WatchHandle) -> Vec<Value> {
        polled
            .iter()
            .filter(|(h, _)| *h == handle)
            .flat_map(|(_, bytes)| bytes.split(|b| *b == b'\n'))
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect()
    }

    fn post(path: &str, body: Value) -> HttpRequest {
        let mut request = get(path, "", "application/json");
        request.method = "POST".into();
        request.content_type = "application/json".into();
        request.body = serde_json::to_vec(&body).unwrap();
        request
    }

    fn configmap(name: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}})
    }

    #[test]
    fn a_watch_starts_where_the_client_says_and_tells_a_quiet_client_where_it_is() {
        let mut server = server();
        let path = "/api/v1/namespaces/default/configmaps";
        assert_eq!(server.handle(&post(path, configmap("first"))).status, 201);
        let before = server.handle(&get(path, "", "")).json_body()["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(server.handle(&post(path, configmap("early"))).status, 201);
        // No resourceVersion: what exists now, as ADDED events, then the changes.
        let fresh = server.handle(&get(path, "watch=true", "")).watch.unwrap();
        // From the revision before `early`: `early` is a change this client has not seen.
        let replay = server
            .handle(&get(
                path,
                &format!("watch=true&resourceVersion={before}"),
                "",
            ))
            .watch
            .unwrap();
        let bad = server.handle(&get(path, "watch=true&resourceVersion=soon", ""));
        assert_eq!(bad.status, 400);
        let polled = server.poll_watches();
        let names = |events: &[Value]| -> Vec<String> {
            events
                .iter()
                .map(|e| format!("{} {}", e["type"], e["object"]["metadata"]["name"]))
                .collect()
        };
        assert_eq!(
            names(&events_of(&polled, fresh)),
            [r#""ADDED" "early""#, r#""ADDED" "first""#]
        );
        assert_eq!(names(&events_of(&polled, replay)), [r#""ADDED" "early""#]);

        // A client that allows bookmarks hears the store's revision when nothing matched.
        let now = server.lab().cluster.store().revision().to_string();
        let bookmarked = server
            .handle(&get(
                path,
                &format!("watch=true&resourceVersion={now}&allowWatchBookmarks=true"),
                "",
            ))
            .watch
            .unwrap();
        server.set_bookmark_every(std::time::Duration::ZERO);
        assert!(
            events_of(&server.poll_watches(), bookmarked).is_empty(),
            "nothing new yet"
        );
        let mut other = post(
            "/api/v1/namespaces/kube-system/configmaps",
            configmap("elsewhere"),
        );
        other.path = "/api/v1/namespaces/kube-system/configmaps".into();
        assert_eq!(server.handle(&other).status, 201);
        let events = events_of(&server.poll_watches(), bookmarked);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["type"], "BOOKMARK");
        assert_eq!(events[0]["object"]["kind"], "ConfigMap");
        let at: i64 = events[0]["object"]["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(at, server.lab().cluster.store().revision());
        assert!(
            events_of(&server.poll_watches(), bookmarked).is_empty(),
            "told once"
        );
    }

    #[test]
    fn a_limited_list_comes_in_chunks_of_one_snapshot() {
        let mut server = server();
        let path = "/api/v1/pods";
        let whole = server.handle(&get(path, "", "")).json_body();
        let all: Vec<Value> = whole["items"].as_array().unwrap().clone();
        assert!(all.len() > 5, "kube-system has its pods");
        let first = server.handle(&get(path, "limit=3", "")).json_body();
        assert_eq!(first["items"].as_array().unwrap()[..], all[..3]);
        assert_eq!(first["metadata"]["remainingItemCount"], all.len() - 3);
        // A pod made between chunks is not in this list: every chunk is the same snapshot.
        let made = post(
            "/api/v1/namespaces/default/pods",
            json!({"apiVersion": "v1",
            "kind": "Pod", "metadata": {"name": "aaa"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
        );
        assert_eq!(server.handle(&made).status, 201);
        let mut seen = first["items"].as_array().unwrap().clone();
        let mut token = first["metadata"]["continue"].as_str().unwrap().to_string();
        loop {
            let query = format!("limit=3&continue={token}");
            let chunk = server.handle(&get(path, &query, "")).json_body();
            assert_eq!(
                chunk["metadata"]["resourceVersion"],
                whole["metadata"]["resourceVersion"]
            );
            seen.extend(chunk["items"].as_array().unwrap().iter().cloned());
            match chunk["metadata"]["continue"].as_str() {
                Some(next) => token = next.to_string(),
                None => break,
            }
        }
        assert_eq!(seen, all);
        // Tables carry the token too (`kubectl get --chunk-size`).
        let table = server
            .handle(&get(
                path,
                "limit=2",
                "application/json;as=Table;v=v1;g=meta.k8s.io",
            ))
            .json_body();
        assert_eq!(table["rows"].as_array().unwrap().len(), 2);
        assert!(table["metadata"]["continue"].is_string());
        let bad = server.handle(&get(path, "limit=2&continue=!!", ""));
        assert_eq!(bad.status, 400);
        assert!(bad.json_body()["message"]
            .as_str()
            .unwrap()
            .starts_with("continue key is not valid"));
    }

    #[test]
    fn the_clock_is_read_stepped_paused_and_kept_from_students() {
        let mut server = ApiServer::new(
            1,
            &[
                (TOKEN, "kubernetes-admin", &["kubeadm:cluster-admins"]),
                ("student-token", STUDENT_USER, &[]),
            ],
        );
        server.set_wall_speed(2.0);
        let read = server.handle(&get("/sandbox/clock", "", "")).json_body();
        assert_eq!(read["speed"], 2.0);
        let before = server.lab().cluster.unix_seconds();
        let mut step = get("/sandbox/clock", "step=1m30s&pause=true", "");
        step.method = "POST".into();
        let stepped = server.handle(&step);
        assert_eq!(stepped.status, 200);
        assert_eq!(server.lab().cluster.unix_seconds(), before + 90);
        assert_eq!(stepped.json_body()["paused"], true);
        assert_eq!(server.wall_speed(), 0.0, "paused");
        step.query = "pause=false&speed=10".into();
        assert_eq!(server.handle(&step).status, 200);
        assert_eq!(server.wall_speed(), 10.0);
        step.query = "step=soon".into();
        assert_eq!(server.handle(&step).status, 400);
        let mut student = get("/sandbox/clock", "", "");
        student.authorization = Some("Bearer student-token".into());
        let refused = server.handle(&student);
        assert_eq!(refused.status, 403);
        assert_eq!(
            refused.json_body()["message"],
            "forbidden: User \"student\" cannot get path \"/sandbox/clock\""
        );
        // The student works in `default` and nowhere else.
        let pods = server.handle(&student_get(&student, "/api/v1/namespaces/default/pods"));
        assert_eq!(pods.status, 200);
        let nodes = server.handle(&student_get(&student, "/api/v1/nodes"));
        assert_eq!(nodes.status, 403);
    }

    fn student_get(student: &HttpRequest, path: &str) -> HttpRequest {
        HttpRequest {
            path: path.into(),
            ..student.clone()
        }
    }
}
