//! `kubectl auth can-i`, `kubectl cluster-info` and `kubectl api-versions`: what the student may do,
//! and where the cluster answers.
//!
//! Mirrors: kubectl v1.32 `pkg/cmd/auth/cani.go` (`yes`, `no` with exit code 1, `-q`, `-A`,
//! `--subresource`, `TYPE/NAME`, `Warning: the server doesn't have a resource type 'x'`, its usage
//! error), the global `--as`/`--as-group` impersonation flags (the impersonated user also gets
//! `system:authenticated`, and a service account's groups, as the apiserver's impersonation filter
//! adds them), `pkg/cmd/clusterinfo` (the control plane line, one line per `kube-system` Service
//! labelled `kubernetes.io/cluster-service=true`, named by its `kubernetes.io/name` label, and the
//! closing `cluster-info dump` hint), and `api-versions` (discovery's group versions, sorted).
//! Simplified: the apiserver serves no SelfSubjectAccessReview, so `can-i` reads the RBAC objects
//! through the apiserver (as the admin) and evaluates them with the apiserver's own authorizer
//! (`apiserver::rbac`), including its `system:masters` rule; `--list` is not offered; `--as` works
//! for `auth can-i` only; no colours in `cluster-info`; `api-versions` lists the groups this
//! sandbox serves, not a full kubeadm cluster's.

use std::collections::BTreeSet;

use serde_json::Value;

use super::cmd::Ctx;
use super::errors::api_error_text;
use super::verb_util::{parse, Flag, Takes};
use super::Output;
use crate::sim::api::resources::{lookup, RESOURCES};
use crate::sim::apiserver::authn::{UserInfo, AUTHENTICATED_GROUP};
use crate::sim::apiserver::rbac::{Attributes, RbacIndex};
use crate::sim::apiserver::request::{ApiRequest, Credentials, Verb};

/// Where kubeadm's admin.conf points kubectl: the master's advertise address.
pub const APISERVER_URL: &str = "https://172.16.20.11:6443";

/// The verbs `can-i` knows without a warning (`isKnownResourceVerb` in cani.go).
const KNOWN_VERBS: &[&str] = &[
    "*",
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "use",
    "bind",
    "impersonate",
    "escalate",
    "approve",
    "sign",
];

const AUTH_FLAGS: &[Flag] = &[
    ("all-namespaces", Some('A'), Takes::Bool),
    ("list", None, Takes::Bool),
    ("no-headers", None, Takes::Bool),
    ("quiet", Some('q'), Takes::Bool),
    ("subresource", None, Takes::Value),
    ("as", None, Takes::Value),
    ("as-group", None, Takes::Value),
];

/// `kubectl auth SUBCOMMAND ...`.
pub fn run(args: &[String], ctx: &mut Ctx) -> Output {
    // The subcommand is the first word that is not a flag or a flag's value.
    let sub = super::verb_util::first_word(args, AUTH_FLAGS).map(|i| (i, args[i].as_str()));
    match sub {
        Some((i, "can-i")) => {
            let mut rest = args.to_vec();
            rest.remove(i);
            can_i(&rest, ctx)
        }
        Some((_, "whoami" | "reconcile")) => Output::fail(
            "error: this sandbox runs \"kubectl auth can-i\" only; \"whoami\" and \"reconcile\" are real kubectl commands it does not run yet\n",
        ),
        Some((_, other)) => Output::fail(format!(
            "error: unknown command \"{other}\" for \"kubectl auth\"\nRun 'kubectl auth --help' for usage.\n"
        )),
        None => Output::ok(
            "Inspect authorization.\n\nAvailable Commands:\n  can-i       Check whether an action is allowed\n  reconcile   Reconciles rules for RBAC role, role binding, cluster role, and cluster role binding objects\n  whoami      Experimental: Check self subject attributes\n\nUsage:\n  kubectl auth [flags] [options]\n",
        ),
    }
}

/// The user a request is evaluated as: the admin certificate, or whom `--as` impersonates.
fn user_for(as_user: Option<&str>, as_groups: &[String]) -> UserInfo {
    let mut user = match as_user {
        None => UserInfo {
            name: "kubernetes-admin".to_string(),
            groups: vec!["kubeadm:cluster-admins".to_string()],
        },
        Some(name) => {
            let mut groups: Vec<String> = as_groups.to_vec();
            // The impersonation filter gives a service account its groups.
            let parts: Vec<&str> = name.split(':').collect();
            if let ["system", "serviceaccount", ns, _] = parts.as_slice() {
                for g in [
                    "system:serviceaccounts".to_string(),
                    format!("system:serviceaccounts:{ns}"),
                ] {
                    if !groups.contains(&g) {
                        groups.push(g);
                    }
                }
            }
            UserInfo {
                name: name.to_string(),
                groups,
            }
        }
    };
    if !user.groups.iter().any(|g| g == AUTHENTICATED_GROUP) {
        user.groups.push(AUTHENTICATED_GROUP.to_string());
    }
    user
}

fn items(ctx: &mut Ctx, plural: &str) -> Result<Vec<Value>, Output> {
    let req = ApiRequest::new(Credentials::admin(), Verb::List, plural);
    let resp = ctx
        .backend
        .call(req)
        .map_err(|e| Output::fail(api_error_text(&e)))?;
    Ok(resp
        .body
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

fn can_i(args: &[String], ctx: &mut Ctx) -> Output {
    let parsed = match parse("kubectl auth can-i", args, AUTH_FLAGS, true) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if parsed.has("help") {
        return Output::ok("Check whether an action is allowed.\n\nUsage:\n  kubectl auth can-i VERB [TYPE | TYPE/NAME | NONRESOURCEURL] [options]\n");
    }
    if parsed.has("list") {
        return Output::fail(
            "error: \"kubectl auth can-i --list\" is a real kubectl option that this sandbox does not run yet\n",
        );
    }
    let [verb, target] = parsed.positional.as_slice() else {
        return Output::fail("error: you must specify two arguments: verb resource or verb resource/resourceName.\nSee 'kubectl auth can-i -h' for help and examples.\n");
    };
    let mut out = Output::default();
    let quiet = parsed.has("quiet");
    if target.starts_with('/') {
        // Non-resource URLs (`/healthz`): the sandbox's RBAC has no non-resource rules, so
        // only system:masters may.
        let user = user_for(parsed.value("as"), parsed.values("as-group"));
        let allowed = user.groups.iter().any(|g| g == "system:masters")
            || user.groups.iter().any(|g| g == "kubeadm:cluster-admins");
        return answer(allowed, quiet, out);
    }
    let (resource_arg, name) = match target.split_once('/') {
        Some((r, n)) => (r, Some(n)),
        None => (target.as_str(), None),
    };
    let resource_arg = resource_arg.to_ascii_lowercase();
    let (group, resource, namespaced) = if resource_arg == "*" {
        ("*".to_string(), "*".to_string(), true)
    } else {
        match lookup(&resource_arg) {
            Some(info) => (
                info.group.to_string(),
                info.plural.to_string(),
                info.namespaced,
            ),
            None => {
                let (res, grp) = resource_arg
                    .split_once('.')
                    .unwrap_or((resource_arg.as_str(), ""));
                if grp.is_empty() {
                    out.stderr.push_str(&format!(
                        "Warning: the server doesn't have a resource type '{res}'\n"
                    ));
                } else {
                    out.stderr.push_str(&format!(
                        "Warning: the server doesn't have a resource type '{res}' in group '{grp}'\n"
                    ));
                }
                (grp.to_string(), res.to_string(), true)
            }
        }
    };
    if !KNOWN_VERBS.contains(&verb.as_str()) {
        out.stderr
            .push_str(&format!("Warning: verb '{verb}' is not a known verb\n"));
    }
    let all_namespaces = parsed.has("all-namespaces");
    let namespace = parsed.namespace();
    let namespace = (namespaced && !all_namespaces).then_some(namespace.as_str());
    let user = user_for(parsed.value("as"), parsed.values("as-group"));
    let mut lists = Vec::new();
    for plural in [
        "clusterroles",
        "clusterrolebindings",
        "roles",
        "rolebindings",
    ] {
        match items(ctx, plural) {
            Ok(list) => lists.push(list),
            Err(out) => return out,
        }
    }
    let [cr, crb, r, rb] = lists.as_slice() else {
        return Output::fail("error: RBAC objects could not be read\n");
    };
    let index = RbacIndex::build(cr.iter(), crb.iter(), r.iter(), rb.iter());
    let subresource = parsed.value("subresource").filter(|s| !s.is_empty());
    let attributes = Attributes {
        user: &user,
        verb,
        api_group: &group,
        resource: &resource,
        subresource,
        namespace,
        name,
    };
    answer(index.authorize(&attributes).is_ok(), quiet, out)
}

fn answer(allowed: bool, quiet: bool, mut out: Output) -> Output {
    if !quiet {
        out.stdout.push_str(if allowed { "yes\n" } else { "no\n" });
    }
    out.exit_code = if allowed { 0 } else { 1 };
    out
}

/// `kubectl cluster-info` and `kubectl api-versions`.
pub fn info(command: &str, args: &[String], ctx: &mut Ctx) -> Output {
    let parsed = match parse(&format!("kubectl {command}"), args, &[], true) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if command == "api-versions" {
        if let Some(extra) = parsed.positional.first() {
            return Output::fail(format!(
                "error: unknown command \"{extra}\" for \"kubectl api-versions\"\n"
            ));
        }
        let versions: BTreeSet<String> = RESOURCES.iter().map(|r| r.api_version()).collect();
        let mut text = String::new();
        for v in versions {
            text.push_str(&v);
            text.push('\n');
        }
        return Output::ok(text);
    }
    match parsed.positional.first().map(String::as_str) {
        None => {}
        Some("dump") => {
            return Output::fail(
                "error: \"kubectl cluster-info dump\" is a real kubectl command that this sandbox does not run yet\n",
            )
        }
        Some(other) => {
            return Output::fail(format!(
                "error: unknown command \"{other}\" for \"kubectl cluster-info\"\n"
            ))
        }
    }
    let mut req = ApiRequest::new(Credentials::admin(), Verb::List, "services")
        .namespace("kube-system".to_string());
    req.list_options.label_selector = Some("kubernetes.io/cluster-service=true".to_string());
    let services = match ctx.backend.call(req) {
        Ok(resp) => resp
            .body
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        Err(e) => return Output::fail(api_error_text(&e)),
    };
    let mut text = format!("Kubernetes control plane is running at {APISERVER_URL}\n");
    for svc in &services {
        let text_at = |p: &str| svc.pointer(p).and_then(Value::as_str).unwrap_or("");
        let name = text_at("/metadata/name");
        let namespace = text_at("/metadata/namespace");
        let mut target = name.to_string();
        if let Some(port) = svc.pointer("/spec/ports/0") {
            let port_name = port.get("name").and_then(Value::as_str).unwrap_or("");
            let https =
                port_name == "https" || port.get("port").and_then(Value::as_i64) == Some(443);
            // utilnet.JoinSchemeNamePort: `scheme:name:port`, `name:port` or `name`.
            target = match (https, port_name.is_empty()) {
                (true, _) => format!("https:{name}:{port_name}"),
                (false, false) => format!("{name}:{port_name}"),
                (false, true) => name.to_string(),
            };
        }
        let shown = match text_at("/metadata/labels/kubernetes.io~1name") {
            "" => name,
            label => label,
        };
        text.push_str(&format!(
            "{shown} is running at {APISERVER_URL}/api/v1/namespaces/{namespace}/services/{target}/proxy\n"
        ));
    }
    text.push_str(
        "\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n",
    );
    Output::ok(text)
}
