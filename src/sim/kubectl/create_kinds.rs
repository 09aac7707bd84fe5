//! `kubectl create SUBCOMMAND NAME ...`: the generators that build one object from flags.
//!
//! Mirrors: kubectl v1.32 `pkg/cmd/create` for `configmap`, `secret generic|tls`,
//! `service clusterip|nodeport|loadbalancer|externalname`, `serviceaccount`, `job`, `cronjob`,
//! `role`, `clusterrole`, `rolebinding`, `clusterrolebinding`, `quota`, `priorityclass`: the
//! object field for field (what `--dry-run=client -o yaml` prints), the namespace only with `-n`,
//! `--save-config`, `--dry-run`, `-o yaml|json|name`, the `kind.group/NAME created` line, and the
//! errors of the common mistakes (`exactly one NAME is required, got 0`, `required flag(s)`,
//! `invalid literal source`, a bad `--tcp`, a rule without verbs).
//! Simplified: no `secret docker-registry`, no `--append-hash`, `--field-manager` or directories for `--from-file`; keys and
//! quantities are left to the apiserver; a TLS pair is only checked to be PEM of the right kinds
//! (not that the key matches); a role's special verbs (`bind`, `use`, ...) are not checked
//! against their resources and unknown verbs bring no warning.
//! `create job --from=cronjob/X` makes the Job from the CronJob's template as kubectl's
//! `createJobFromCronJob` does.
//!
//! Each generator is data: the object's JSON text after `metadata.name` (`@` is the name), and
//! the flags that land at a JSON pointer; code only for what needs it (data sources, ports,
//! rules, subjects). Templates rather than `json!` keep the page small.

use crate::sim::api::JsonPointer;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::cmd::{kind_ref, Ctx};
use super::errors::api_error_text;
use super::verb_util::{self as vu, error, usage_error, DryRun, Flag, Parsed, Takes};
use super::Output;
use crate::sim::api::resources::{by_plural, lookup};
use crate::sim::apiserver::ApiError;

/// Every generator: `kubectl create WORDS`, the resource, and the object's JSON after
/// `"metadata":{"creationTimestamp":null,"name":@`. Bit `i` of a flag's mask is `KINDS[i]`.
const KINDS: &[(&str, &str, &str)] = &[
    ("configmap", "configmaps", "}}"),
    ("secret generic", "secrets", "}}"),
    ("secret tls", "secrets", r#"},"type":"kubernetes.io/tls"}"#),
    ("service clusterip", "services", SVC),
    ("service nodeport", "services", SVC),
    ("service loadbalancer", "services", SVC),
    ("service externalname", "services", SVC),
    ("serviceaccount", "serviceaccounts", "}}"),
    (
        "job",
        "jobs",
        r#"},"spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":@,"resources":{}}],"restartPolicy":"Never"}}},"status":{}}"#,
    ),
    (
        "cronjob",
        "cronjobs",
        r#"},"spec":{"jobTemplate":{"metadata":{"creationTimestamp":null,"name":@},"spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":@,"resources":{}}],"restartPolicy":"OnFailure"}}}}},"status":{}}"#,
    ),
    ("role", "roles", "}}"),
    ("clusterrole", "clusterroles", "}}"),
    ("rolebinding", "rolebindings", RB_T),
    ("clusterrolebinding", "clusterrolebindings", RB_T),
    ("quota", "resourcequotas", r#"},"spec":{},"status":{}}"#),
    (
        "priorityclass",
        "priorityclasses",
        r#"},"preemptionPolicy":"PreemptLowerPriority","value":0}"#,
    ),
];
/// The service type is set from the command word.
const SVC: &str =
    r#","labels":{"app":@}},"spec":{"selector":{"app":@}},"status":{"loadBalancer":{}}}"#;
const RB_T: &str = r#"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io"}}"#;

const CM: u32 = 1;
const GEN: u32 = 2;
const TLS: u32 = 4;
const CIP: u32 = 8;
const EXT: u32 = 64;
const SVC_ANY: u32 = 8 | 16 | 32 | 64;
const JOB: u32 = 256;
const CJ: u32 = 512;
const ROLE: u32 = 1024;
const CR: u32 = 2048;
const RB: u32 = 4096;
const CRB: u32 = 8192;
const QUOTA: u32 = 16384;
const PC: u32 = 32768;
const DATA: u32 = CM | GEN;

/// Each flag, the generators that take it, and where a plain string value lands (`""`: code
/// reads it).
const FLAGS: &[(&str, u32, &str)] = &[
    ("dry-run", !0, ""),
    ("output", !0, ""),
    ("save-config", !0, ""),
    ("from-literal", DATA, ""),
    ("from-file", DATA, ""),
    ("from-env-file", DATA, ""),
    ("type", GEN, "/type"),
    ("cert", TLS, ""),
    ("key", TLS, ""),
    ("tcp", SVC_ANY, ""),
    ("clusterip", CIP, "/spec/clusterIP"),
    ("node-port", 16, ""),
    ("external-name", EXT, "/spec/externalName"),
    ("image", JOB, "/spec/template/spec/containers/0/image"),
    (
        "image",
        CJ,
        "/spec/jobTemplate/spec/template/spec/containers/0/image",
    ),
    ("from", JOB, ""),
    ("schedule", CJ, "/spec/schedule"),
    (
        "restart",
        CJ,
        "/spec/jobTemplate/spec/template/spec/restartPolicy",
    ),
    ("verb", ROLE | CR, ""),
    ("resource", ROLE | CR, ""),
    ("resource-name", ROLE | CR, ""),
    ("non-resource-url", CR, ""),
    ("aggregation-rule", CR, ""),
    ("clusterrole", RB | CRB, "/roleRef/name"),
    ("role", RB, "/roleRef/name"),
    ("user", RB | CRB, ""),
    ("group", RB | CRB, ""),
    ("serviceaccount", RB | CRB, ""),
    ("hard", QUOTA, ""),
    ("scopes", QUOTA, ""),
    ("value", PC, ""),
    ("global-default", PC, ""),
    ("description", PC, "/description"),
    ("preemption-policy", PC, "/preemptionPolicy"),
];

/// cobra's required flags, checked before anything else.
const REQUIRED: &[(&str, u32)] = &[
    ("clusterrole", CRB),
    ("external-name", EXT),
    ("image", CJ),
    ("schedule", CJ),
];

/// How `kubectl create KIND` words an error from the apiserver: most generators wrap it
/// (`error: failed to create configmap: configmaps "app" already exists`), `role`,
/// `clusterrole` (and `namespace`) print it as `Error from server (Reason): ...`. Checked
/// against the real kubectl 1.32 (tests/serve_kubectl.rs).
pub(super) fn create_error_text(command: &str, error: &ApiError) -> String {
    match failed_to_create(command) {
        Some(prefix) => format!("error: {prefix}{}\n", error.message),
        None => api_error_text(error),
    }
}

/// The wrapping of [`create_error_text`], by the words after `kubectl create`.
fn failed_to_create(command: &str) -> Option<&'static str> {
    Some(match command {
        "configmap" => "failed to create configmap: ",
        // No colon: kubectl's own wording.
        "secret generic" | "secret tls" | "secret docker-registry" => "failed to create secret ",
        "service clusterip" => "failed to create ClusterIP service: ",
        "service nodeport" => "failed to create NodePort service: ",
        "service loadbalancer" => "failed to create LoadBalancer service: ",
        "service externalname" => "failed to create ExternalName service: ",
        "serviceaccount" => "failed to create serviceaccount: ",
        "job" => "failed to create job: ",
        "cronjob" => "failed to create cronjob: ",
        "rolebinding" => "failed to create rolebinding: ",
        "clusterrolebinding" => "failed to create clusterrolebinding: ",
        "quota" => "failed to create quota: ",
        "priorityclass" => "failed to create priorityclass: ",
        "deployment" => "failed to create deployment: ",
        _ => return None,
    })
}

/// What failed, as the whole stderr text.
type Res<T> = Result<T, String>;

fn fail<T>(message: &str) -> Res<T> {
    Err(format!("error: {message}\n"))
}

/// `s` as a JSON string.
fn quote(s: &str) -> String {
    Value::from(s).to_string()
}

/// Sets the member a JSON pointer names; its parent exists in every template.
fn set(obj: &mut Value, pointer: &str, value: Value) {
    if let Some((parent, key)) = pointer.rsplit_once('/') {
        if let Some(Value::Object(map)) = obj.pointer_mut(parent) {
            map.insert(key.into(), value);
        }
    }
}

/// `kubectl create SUB ARGS...`, or `None` when `SUB` is not one of these generators.
pub(super) fn run(sub: &str, args: &[String], ctx: &mut Ctx) -> Option<Output> {
    let sub = match sub {
        "cm" => "configmap",
        "sa" => "serviceaccount",
        "cj" => "cronjob",
        "resourcequota" => "quota",
        "pc" => "priorityclass",
        "svc" => "service",
        s => s,
    };
    let mut args = args.to_vec();
    let mut full = sub.to_string();
    if matches!(sub, "secret" | "service") {
        // The type is the first word that is no flag (nor a flag's value).
        let path = format!("kubectl create {sub}");
        let Some(first) = vu::first_word(&args, &[]) else {
            let types: Vec<&str> = KINDS
                .iter()
                .filter_map(|k| k.0.strip_prefix(sub)?.strip_prefix(' '))
                .collect();
            return Some(Output::fail(format!(
                "Usage:\n  {path} ({}) [options]\n",
                types.join(" | ")
            )));
        };
        full = format!("{sub} {}", args[first]);
        if !KINDS.iter().any(|k| k.0 == full) {
            // kubectl names every word left (`DefaultSubCommandRun`).
            let words: Vec<&str> = args[first..]
                .iter()
                .map(String::as_str)
                .filter(|w| !w.starts_with('-'))
                .collect();
            let message = format!("unknown command \"{}\"", words.join(" "));
            return Some(usage_error(&path, &message));
        }
        args.remove(first);
    }
    let index = KINDS.iter().position(|k| k.0 == full)?;
    Some(generate(index, &args, ctx).unwrap_or_else(|out| out))
}

fn generate(index: usize, args: &[String], ctx: &mut Ctx) -> Result<Output, Output> {
    let (command, plural, tail) = KINDS[index];
    let bit = 1u32 << index;
    let path = format!("kubectl create {command}");
    let defs: Vec<Flag> = FLAGS
        .iter()
        .filter(|f| f.1 & bit != 0)
        .map(|f| {
            let takes = match f.0 {
                "dry-run" => Takes::Optional,
                "save-config" | "global-default" => Takes::Bool,
                _ => Takes::Value,
            };
            (f.0, (f.0 == "output").then_some('o'), takes)
        })
        .collect();
    let p = vu::parse(&path, args, &defs, true)?;
    if p.has("help") {
        return Ok(Output::ok(format!("Usage:\n  {path} NAME [options]\n")));
    }
    let missing: Vec<String> = REQUIRED
        .iter()
        .filter(|r| r.1 & bit != 0 && p.value(r.0).is_none())
        .map(|r| quote(r.0))
        .collect();
    if !missing.is_empty() {
        let message = format!("required flag(s) {} not set", missing.join(", "));
        return Err(error(&message));
    }
    let [name] = p.positional.as_slice() else {
        let message = format!("exactly one NAME is required, got {}", p.positional.len());
        return Err(usage_error(&path, &message));
    };
    let format = vu::output_format(&p)?;
    let (dry, warning) = vu::dry_run(&p)?;
    let info = by_plural(plural).ok_or_else(|| error(plural))?;
    let text = format!(
        r#"{{"apiVersion":"{}","kind":"{}","metadata":{{"creationTimestamp":null,"name":@{tail}"#,
        info.api_version(),
        info.kind
    );
    let mut obj: Value =
        crate::sim::api::json_from_str(&text.replace('@', &quote(name))).unwrap_or_default();
    for (flag, mask, pointer) in FLAGS {
        if let (true, false, Some(v)) = (mask & bit != 0, pointer.is_empty(), p.value(flag)) {
            set(&mut obj, pointer, v.into());
        }
    }
    build(bit, &path, name, &p, ctx, &mut obj).map_err(Output::fail)?;
    if let (JOB, Some(from)) = (bit, p.value("from")) {
        obj = job_from_cronjob(ctx, &p, name, from).map_err(Output::fail)?;
    }
    if let (true, Some(ns)) = (info.namespaced, p.value("namespace")) {
        set(&mut obj, "/metadata/namespace", ns.into());
    }
    if p.has("save-config") {
        let text = obj.to_string() + "\n";
        set(
            &mut obj,
            "/metadata/annotations",
            json!({ super::apply::LAST_APPLIED: text }),
        );
    }
    let reference = format!("{}/{name}", kind_ref(info));
    if dry != DryRun::Client {
        obj = vu::create(ctx, info, obj, dry, Some(p.namespace()))
            .map_err(|e| Output::fail(warning.clone() + &create_error_text(command, &e)))?;
    }
    Ok(Output {
        stdout: vu::print_built(
            &obj,
            &reference,
            &format,
            &format!("created{}", dry.suffix()),
        ),
        stderr: warning,
        ..Output::default()
    })
}

/// `createJobFromCronJob`: the cronjob's job template as a Job named `name`, annotated
/// `cronjob.kubernetes.io/instantiate: manual`, owned by the cronjob (controller, without
/// blockOwnerDeletion, as kubectl does to need no `cronjobs/finalizers` permission).
fn job_from_cronjob(ctx: &mut Ctx, p: &Parsed, name: &str, from: &str) -> Res<Value> {
    let Some((kind, from_name)) = from.split_once('/').filter(|(_, n)| !n.contains('/')) else {
        return fail("from must be of the form resource/name");
    };
    let Some(info) = lookup(kind) else {
        return fail(&format!(
            "the server doesn't have a resource type {}",
            quote(kind)
        ));
    };
    let mut req = vu::admin(crate::sim::apiserver::Verb::Get, info).name(from_name.to_string());
    if info.namespaced {
        req = req.namespace(p.namespace());
    }
    let cj = ctx.call(req).map_err(|e| api_error_text(&e))?.body;
    if info.kind != "CronJob" {
        let version = info.version;
        return fail(&format!("unknown object type *{version}.{}", info.kind));
    }
    let template = cj.ptr("/spec/jobTemplate").unwrap_or(&Value::Null);
    let mut annotations = json!({"cronjob.kubernetes.io/instantiate": "manual"});
    if let Some(Value::Object(extra)) = template.ptr("/metadata/annotations") {
        for (k, v) in extra {
            annotations[k] = v.clone();
        }
    }
    let mut job = json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"annotations": annotations, "creationTimestamp": null, "name": name,
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob",
                "name": from_name, "uid": cj.ptr("/metadata/uid"), "controller": true}]},
        "spec": template.get("spec").cloned().unwrap_or(json!({})), "status": {}});
    if let Some(labels) = template.ptr("/metadata/labels") {
        job["metadata"]["labels"] = labels.clone();
    }
    Ok(job)
}

/// Every value of a `StringSlice` flag, repeated and comma-separated, without repeats.
fn list(p: &Parsed, long: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in p.values(long).iter().flat_map(|v| v.split(',')) {
        if !out.iter().any(|o| o == v) {
            out.push(v.into());
        }
    }
    out
}

/// What a generator adds that is more than a string at a pointer.
fn build(bit: u32, path: &str, name: &str, p: &Parsed, ctx: &Ctx, obj: &mut Value) -> Res<()> {
    let read = |file: &str, why: &str| {
        (ctx.read_file)(file).ok_or_else(|| format!("error: {}\n", why.replace('@', file)))
    };
    let int = |long: &str| {
        let text = p.value(long).unwrap_or("0");
        text.parse::<i32>().map_err(|_| {
            format!("Error: invalid argument \"{text}\" for \"--{long}\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax\nSee '{path} --help' for usage.\n")
        })
    };
    if bit & DATA != 0 {
        // --from-file, --from-literal, --from-env-file: the data, base64 for a Secret.
        let files = list(p, "from-file");
        let literals = p.values("from-literal");
        let envs = p.values("from-env-file");
        let mut pairs: Vec<(String, String)> = Vec::new();
        for f in &files {
            let (key, file) = f
                .split_once('=')
                .unwrap_or((f.rsplit('/').next().unwrap_or(f), f));
            pairs.push((
                key.into(),
                read(file, "error reading @: no such file or directory")?,
            ));
        }
        for l in literals {
            match l.split_once('=') {
                Some((k, v)) if !k.is_empty() => pairs.push((k.into(), v.into())),
                _ => return fail(&format!("invalid literal source {l}, expected key=value")),
            }
        }
        for file in envs {
            for line in read(file, "error reading @: no such file or directory")?.lines() {
                let line = line.trim_start();
                if let (false, Some((k, v))) = (line.starts_with('#'), line.split_once('=')) {
                    pairs.push((k.into(), v.into()));
                }
            }
        }
        let mut data = Map::new();
        for (k, v) in pairs {
            if data.contains_key(&k) {
                return fail(&if bit == CM {
                    format!("cannot add key \"{k}\", another key by that name already exists in Data for ConfigMap \"{name}\"")
                } else {
                    format!("cannot add key {k}, another key by that name already exists")
                });
            }
            data.insert(k, (if bit == CM { v } else { B64.encode(v) }).into());
        }
        if !data.is_empty() {
            obj["data"] = data.into();
        }
    }
    if bit == TLS {
        let (Some(cert), Some(key)) = (p.value("cert"), p.value("key")) else {
            return fail("key and cert must be specified");
        };
        let mut data = Map::new();
        for (file, pem, what, field) in [
            (cert, "CERTIFICATE-----", "certificate", "tls.crt"),
            (key, "PRIVATE KEY-----", "key", "tls.key"),
        ] {
            let text = read(
                file,
                "Cannot read file @, open @: no such file or directory",
            )?;
            if !text.contains(pem) {
                return fail(&format!("tls: failed to find any PEM data in {what} input"));
            }
            data.insert(field.into(), B64.encode(text).into());
        }
        obj["data"] = data.into();
    }
    if bit & SVC_ANY != 0 {
        let node_port = int("node-port")?;
        let mut ports = Vec::new();
        for tcp in list(p, "tcp") {
            let (port, target) = tcp.split_once(':').unwrap_or((tcp.as_str(), tcp.as_str()));
            let target = target.split(':').next().unwrap_or(target);
            let Ok(number) = port.parse::<u16>() else {
                let why = if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
                    "value out of range"
                } else {
                    "invalid syntax"
                };
                return fail(&format!(
                    "strconv.ParseUint: parsing {}: {why}",
                    quote(port)
                ));
            };
            let target: Value = match target.parse::<i64>() {
                Ok(n) if (1..65536).contains(&n) || target == port => n.into(),
                Ok(_) => return fail("must be between 1 and 65535, inclusive"),
                Err(_) => target.into(),
            };
            let mut entry = json!({"name": tcp.replace(':', "-"), "port": number,
                "protocol": "TCP", "targetPort": target});
            if node_port > 0 {
                entry["nodePort"] = node_port.into();
            }
            ports.push(entry);
        }
        if ports.is_empty() && bit != EXT && p.value("clusterip") != Some("None") {
            return fail("at least one tcp port specifier must be provided");
        }
        if !ports.is_empty() {
            set(obj, "/spec/ports", ports.into());
        }
        let kind = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]
            [(bit.trailing_zeros() - 3) as usize];
        set(obj, "/spec/type", kind.into());
    }
    if bit == JOB || bit == CJ {
        if bit == JOB {
            match (p.value("image"), p.value("from")) {
                (Some(_), None) => {}
                (None, Some(_)) if p.after_dashdash.as_ref().is_some_and(|c| !c.is_empty()) => {
                    return fail("cannot specify --from and command");
                }
                (None, Some(_)) => {} // the job comes from the cronjob, in `generate`
                _ => return fail("either --image or --from must be specified"),
            }
        }
        if let Some(command) = p.after_dashdash.as_ref().filter(|c| !c.is_empty()) {
            let image = FLAGS.iter().find(|f| f.0 == "image" && f.1 == bit);
            let pointer = image.map(|f| f.2).unwrap_or("").replace("image", "command");
            set(obj, &pointer, command.clone().into());
        }
    }
    if bit == ROLE || bit == CR {
        return rules(bit, p, obj);
    }
    if bit & (RB | CRB) != 0 {
        let kind = match (p.value("clusterrole"), p.value("role")) {
            (Some(_), None) => "ClusterRole",
            (None, Some(_)) => "Role",
            _ => return fail("exactly one of clusterrole or role must be specified"),
        };
        set(obj, "/roleRef/kind", kind.into());
        let mut subjects = Vec::new();
        for (flag, kind) in [
            ("user", "User"),
            ("group", "Group"),
            ("serviceaccount", "ServiceAccount"),
        ] {
            for s in p.values(flag) {
                let mut subject = json!({"kind": kind, "name": s});
                if flag == "serviceaccount" {
                    match s.split_once(':') {
                        Some((ns, n)) if !ns.is_empty() && !n.is_empty() => {
                            subject["name"] = n.into();
                            subject["namespace"] = ns.into();
                        }
                        _ => return fail("serviceaccount must be <namespace>:<name>"),
                    }
                } else {
                    subject["apiGroup"] = "rbac.authorization.k8s.io".into();
                }
                subjects.push(subject);
            }
        }
        if !subjects.is_empty() {
            obj["subjects"] = subjects.into();
        }
    }
    if bit == QUOTA {
        let mut hard = Map::new();
        for item in list(p, "hard") {
            let Some((k, v)) = item.split_once('=') else {
                return fail(&format!(
                    "Invalid argument syntax {item}, expected <resource>=<value>"
                ));
            };
            hard.insert(k.into(), v.into());
        }
        if !hard.is_empty() {
            set(obj, "/spec/hard", hard.into());
        }
        if p.value("scopes").is_some() {
            set(obj, "/spec/scopes", list(p, "scopes").into());
        }
    }
    if bit == PC {
        obj["value"] = int("value")?.into();
        if p.has("global-default") {
            obj["globalDefault"] = true.into();
        }
    }
    Ok(())
}

/// A Role's or ClusterRole's rules (`generateResourcePolicyRules`): one rule per API group of
/// the resources, sorted by group, then one for the non-resource URLs; or a ClusterRole's
/// aggregation rule.
fn rules(bit: u32, p: &Parsed, obj: &mut Value) -> Res<()> {
    let mut verbs = list(p, "verb");
    if verbs.iter().any(|v| v == "*") {
        verbs = vec!["*".into()];
    }
    let resources = list(p, "resource");
    let names = p.values("resource-name");
    let urls = list(p, "non-resource-url");
    let mut labels = Map::new();
    for pair in list(p, "aggregation-rule") {
        if let Some((k, v)) = pair.split_once('=') {
            labels.insert(k.into(), v.into());
        }
    }
    if !labels.is_empty() {
        if !(urls.is_empty() && verbs.is_empty() && resources.is_empty() && names.is_empty()) {
            return fail("aggregation rule must be specified without nonResourceURLs, verbs, resources or resourceNames");
        }
        obj["aggregationRule"] = json!({"clusterRoleSelectors": [{"matchLabels": labels}]});
        obj["rules"] = Value::Null;
        return Ok(());
    }
    if verbs.is_empty() {
        return fail("at least one verb must be specified");
    }
    if resources.is_empty() && (bit == ROLE || urls.is_empty()) {
        return fail(if bit == ROLE {
            "at least one resource must be specified"
        } else {
            "one of resource or nonResourceURL must be specified"
        });
    }
    // (group, resources), kept sorted by group.
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for r in &resources {
        if r == "*" {
            groups = vec![("", vec![r.clone()])];
            break;
        }
        let (typed, sub) = r.split_once('/').map_or((r.as_str(), ""), |(t, s)| (t, s));
        let Some(info) = lookup(typed) else {
            // kubectl prints the RESTMapper's no-match error without `error: `.
            let bare = typed.split('.').next().unwrap_or(typed);
            return Err(format!(
                "the server doesn't have a resource type {}\n",
                quote(bare)
            ));
        };
        let resource = if sub.is_empty() {
            info.plural.to_string()
        } else {
            format!("{}/{sub}", info.plural)
        };
        match groups.iter_mut().find(|g| g.0 == info.group) {
            Some(g) if g.1.contains(&resource) => {}
            Some(g) => g.1.push(resource),
            None => {
                let at = groups.iter().filter(|g| g.0 < info.group).count();
                groups.insert(at, (info.group, vec![resource]));
            }
        }
    }
    let mut rules: Vec<Value> = Vec::new();
    for (group, resources) in groups {
        let mut rule = json!({"apiGroups": [group], "resources": resources, "verbs": verbs});
        if !names.is_empty() {
            rule["resourceNames"] = names.into();
        }
        rules.push(rule);
    }
    if !urls.is_empty() {
        rules.push(json!({"nonResourceURLs": urls, "verbs": verbs}));
    }
    obj["rules"] = rules.into();
    Ok(())
}
