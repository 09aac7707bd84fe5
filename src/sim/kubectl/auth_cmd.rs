//! `kubectl auth can-i`, `kubectl auth whoami`, `kubectl cluster-info` and `kubectl api-versions`:
//! who the student is, what they may do, and where the cluster answers.
//!
//! Mirrors: kubectl v1.32 `pkg/cmd/auth/cani.go` (`yes`, `no` with exit code 1, `-q`, `-A`,
//! `--subresource`, `TYPE/NAME`, `Warning: the server doesn't have a resource type 'x'`, its usage
//! error; `--list`: the rules broken down per verb, compacted per resource and sorted by their Go
//! string, in the columns Resources, Non-Resource URLs, Resource Names, Verbs), `whoami.go` (the
//! ATTRIBUTE/VALUE table or the SelfSubjectReview with `-o`), both for the user `--as` and
//! `--as-group` name (`apiserver::authn::impersonated`), `pkg/cmd/clusterinfo` (the control plane line, one line per `kube-system` Service
//! labelled `kubernetes.io/cluster-service=true`, named by its `kubernetes.io/name` label, and the
//! closing `cluster-info dump` hint), and `api-versions` (discovery's group versions, sorted).
//! Simplified: the apiserver serves no SelfSubjectAccessReview, SelfSubjectRulesReview or
//! SelfSubjectReview, so `can-i` reads the RBAC objects through the apiserver (as the admin) and
//! evaluates them with the apiserver's own authorizer (`apiserver::rbac`), including its
//! `system:masters` rule, and `whoami` names the admin certificate's user or the impersonated one;
//! the lab's bootstrap policy has no `system:basic-user`/`system:discovery` roles, so `--list`
//! shows fewer rules than a kubeadm cluster's; no colours in `cluster-info`; `api-versions` lists the groups this
//! sandbox serves, not a full kubeadm cluster's.

use crate::sim::api::JsonPointer;
use std::collections::BTreeSet;

use serde_json::Value;

use super::cmd::Ctx;
use super::errors::api_error_text;
use super::json;
use super::table::tabwrite;
use super::verb_util::{parse, Flag, Takes};
use super::yaml::to_yaml;
use super::Output;
use crate::sim::api::resources::{group_version, lookup, RESOURCES, REVIEWS};
use crate::sim::apiserver::authn::{self, UserInfo};
use crate::sim::apiserver::rbac::{Attributes, PolicyRule, RbacIndex};
use crate::sim::apiserver::request::{ApiRequest, Credentials, Verb};
use crate::sim::sort::StableSort;

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
        Some((i, "whoami")) => {
            let mut rest = args.to_vec();
            rest.remove(i);
            whoami(&rest, ctx)
        }
        Some((_, "reconcile")) => Output::fail(
            "error: \"kubectl auth reconcile\" is a real kubectl command that this sandbox does not run yet\n",
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
fn user_of(ctx: &Ctx) -> UserInfo {
    match &ctx.impersonate {
        None => authn::impersonated("kubernetes-admin", &["kubeadm:cluster-admins".to_string()]),
        Some(asked) => authn::impersonated(&asked.user, &asked.groups),
    }
}

/// `kubectl auth whoami`: the user the apiserver sees (a SelfSubjectReview's status).
fn whoami(args: &[String], ctx: &mut Ctx) -> Output {
    let p = match parse(
        "kubectl auth whoami",
        args,
        &[("output", Some('o'), Takes::Value)],
        false,
    ) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let user = user_of(ctx);
    let review = serde_json::json!({
        "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview",
        "metadata": {"creationTimestamp": null},
        "status": {"userInfo": {"groups": user.groups, "username": user.name}}
    });
    match p.value("output").unwrap_or("") {
        "" => Output::ok(tabwrite(&[
            vec!["ATTRIBUTE".into(), "VALUE".into()],
            vec!["Username".into(), user.name],
            vec!["Groups".into(), format!("[{}]", user.groups.join(" "))],
        ])),
        "yaml" => Output::ok(to_yaml(&review)),
        "json" => Output::ok(json::sorted(&review)),
        other => super::verb_util::error(&format!(
            "unable to match a printer suitable for the output format \"{other}\", allowed formats are: json,yaml"
        )),
    }
}

/// `kubectl auth can-i --list`: the rules the user holds here, broken down to one verb each,
/// merged again per resource, and sorted as kubectl sorts them (by the rule's Go string).
fn list(ctx: &mut Ctx, index: &RbacIndex, namespace: &str, no_headers: bool) -> Output {
    let mut merged: Vec<PolicyRule> = Vec::new();
    for rule in index.rules_for(&user_of(ctx), namespace) {
        for group in &rule.api_groups {
            for resource in &rule.resources {
                let same = |r: &&mut PolicyRule| {
                    r.api_groups == [group.clone()]
                        && r.resources == [resource.clone()]
                        && r.resource_names == rule.resource_names
                };
                let at = match merged.iter_mut().position(|r| same(&r)) {
                    Some(at) => at,
                    None => {
                        merged.push(PolicyRule {
                            api_groups: vec![group.clone()],
                            resources: vec![resource.clone()],
                            resource_names: rule.resource_names.clone(),
                            ..PolicyRule::default()
                        });
                        merged.len() - 1
                    }
                };
                for verb in &rule.verbs {
                    if !merged[at].verbs.contains(verb) {
                        merged[at].verbs.push(verb.clone());
                    }
                }
            }
        }
        for url in &rule.non_resource_urls {
            for verb in &rule.verbs {
                merged.push(PolicyRule {
                    verbs: vec![verb.clone()],
                    non_resource_urls: vec![url.clone()],
                    ..PolicyRule::default()
                });
            }
        }
    }
    let go = |v: &[String]| format!("[{}]", v.join(" "));
    let key = |r: &PolicyRule| {
        let fields = [
            &r.verbs,
            &r.api_groups,
            &r.resources,
            &r.resource_names,
            &r.non_resource_urls,
        ];
        fields.map(|f| go(f)).join(",")
    };
    merged.stable_sort_by_key(key);
    let mut rows = Vec::new();
    if !no_headers {
        rows.push(
            ["Resources", "Non-Resource URLs", "Resource Names", "Verbs"]
                .map(String::from)
                .to_vec(),
        );
    }
    for r in &merged {
        // kubectl's CombineResourceGroup: `pods`, `deployments.apps`, `pods/log`.
        let resource = match (r.resources.first(), r.api_groups.first()) {
            (None, _) => String::new(),
            (Some(res), group) => {
                let (base, sub) = res
                    .split_once('/')
                    .map_or((res.as_str(), None), |(b, s)| (b, Some(s)));
                let mut text = base.to_string();
                if let Some(g) = group.filter(|g| !g.is_empty()) {
                    text = format!("{text}.{g}");
                }
                if let Some(sub) = sub {
                    text = format!("{text}/{sub}");
                }
                text
            }
        };
        rows.push(vec![
            resource,
            go(&r.non_resource_urls),
            go(&r.resource_names),
            go(&r.verbs),
        ]);
    }
    Output::ok(tabwrite(&rows))
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
        return match rbac(ctx) {
            Ok(index) => list(ctx, &index, &parsed.namespace(), parsed.has("no-headers")),
            Err(out) => out,
        };
    }
    let [verb, target] = parsed.positional.as_slice() else {
        return Output::fail("error: you must specify two arguments: verb resource or verb resource/resourceName.\nSee 'kubectl auth can-i -h' for help and examples.\n");
    };
    let mut out = Output::default();
    let quiet = parsed.has("quiet");
    if target.starts_with('/') {
        let allowed = crate::sim::apiserver::rbac::non_resource_allowed(&user_of(ctx));
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
    if !namespaced && !all_namespaces {
        // As the real kubectl 1.32 warns (checked against it: tests/serve_kubectl.rs).
        out.stderr.push_str(&format!(
            "Warning: resource '{resource}' is not namespace scoped\n\n"
        ));
    }
    let namespace = parsed.namespace();
    let namespace = (namespaced && !all_namespaces).then_some(namespace.as_str());
    let user = user_of(ctx);
    let index = match rbac(ctx) {
        Ok(index) => index,
        Err(out) => return out,
    };
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

/// The RBAC policy as the apiserver's authorizer holds it.
fn rbac(ctx: &mut Ctx) -> Result<RbacIndex, Output> {
    crate::sim::apiserver::rbac::read_index(&mut *ctx.backend)
        .map_err(|e| Output::fail(api_error_text(&e)))
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
        let reviews = REVIEWS
            .iter()
            .map(|(group, version, _, _)| group_version(group, version));
        let versions: BTreeSet<String> = RESOURCES
            .iter()
            .map(|r| r.api_version())
            .chain(reviews)
            .collect();
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
    let services = match ctx.call(req) {
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
        let text_at = |p: &str| svc.ptr(p).and_then(Value::as_str).unwrap_or("");
        let name = text_at("/metadata/name");
        let namespace = text_at("/metadata/namespace");
        let mut target = name.to_string();
        if let Some(port) = svc.ptr("/spec/ports/0") {
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
