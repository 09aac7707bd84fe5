//! `kubectl create SUBCOMMAND NAME ...`: the generators that build one object from flags.
//!
//! Mirrors: kubectl v1.32 `pkg/cmd/create` for `configmap`, `secret generic|tls|docker-registry`,
//! `service clusterip|nodeport|loadbalancer|externalname`, `serviceaccount`, `job`, `cronjob`,
//! `role`, `clusterrole`, `rolebinding`, `clusterrolebinding`, `quota`, `priorityclass`: the
//! object field for field (what `--dry-run=client -o yaml` prints), the namespace only with `-n`,
//! `--save-config`, `--dry-run`, `-o yaml|json|name`, the `kind.group/NAME created` line, and the
//! errors of the common mistakes (`exactly one NAME is required, got 0`, `required flag(s)`,
//! `invalid literal source`, a bad `--tcp`, a rule without verbs).
//! Simplified: no `--append-hash`, no directories for `--from-file`, no key-name validation, a
//! TLS pair is only checked to be PEM of the right kinds (not that the key matches), a role's
//! special verbs (`bind`, `use`, ...) are not checked against their resources; CronJob and
//! ResourceQuota are built but the apiserver does not serve them (so `create job --from` and a
//! real create of either fail as on a server without them).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::cmd::{kind_ref, Ctx};
use super::errors::api_error_text;
use super::verb_util::{self as vu, error, usage_error, DryRun, Flag, Parsed, Takes};
use super::Output;
use crate::sim::api::resources::{by_plural, lookup, ResourceInfo};
use crate::sim::apiserver::request::Verb;

/// Every generator as `kubectl create WORDS`, with the resource it builds; bit `i` of a flag's
/// mask below is `KINDS[i]`.
const KINDS: &[(&str, &str)] = &[
    ("configmap", "configmaps"),
    ("secret docker-registry", "secrets"),
    ("secret generic", "secrets"),
    ("secret tls", "secrets"),
    ("service clusterip", "services"),
    ("service nodeport", "services"),
    ("service loadbalancer", "services"),
    ("service externalname", "services"),
    ("serviceaccount", "serviceaccounts"),
    ("job", "jobs"),
    ("cronjob", "cronjobs"),
    ("role", "roles"),
    ("clusterrole", "clusterroles"),
    ("rolebinding", "rolebindings"),
    ("clusterrolebinding", "clusterrolebindings"),
    ("quota", "resourcequotas"),
    ("priorityclass", "priorityclasses"),
];
const CM: u32 = 1;
const DOCKER: u32 = 2;
const GEN: u32 = 4;
const TLS: u32 = 8;
const CIP: u32 = 16;
const NP: u32 = 32;
const EXT: u32 = 128;
const SVC: u32 = 16 | 32 | 64 | 128;
const JOB: u32 = 512;
const CJ: u32 = 1024;
const ROLE: u32 = 2048;
const CR: u32 = 4096;
const RB: u32 = 8192;
const CRB: u32 = 16384;
const QUOTA: u32 = 32768;
const PC: u32 = 65536;

const V: Takes = Takes::Value;
/// Each flag and the generators that take it.
const FLAGS: &[(Flag, u32)] = &[
    (("dry-run", None, Takes::Optional), !0),
    (("output", Some('o'), V), !0),
    (("save-config", None, Takes::Bool), !0),
    (("field-manager", None, V), !0),
    (("validate", None, Takes::Optional), !0),
    (("from-literal", None, V), CM | GEN),
    (("from-file", None, V), CM | GEN | DOCKER),
    (("from-env-file", None, V), CM | GEN),
    (("type", None, V), GEN),
    (("cert", None, V), TLS),
    (("key", None, V), TLS),
    (("docker-server", None, V), DOCKER),
    (("docker-username", None, V), DOCKER),
    (("docker-password", None, V), DOCKER),
    (("docker-email", None, V), DOCKER),
    (("tcp", None, V), SVC),
    (("clusterip", None, V), CIP),
    (("node-port", None, V), NP),
    (("external-name", None, V), EXT),
    (("image", None, V), JOB | CJ),
    (("from", None, V), JOB),
    (("schedule", None, V), CJ),
    (("restart", None, V), CJ),
    (("verb", None, V), ROLE | CR),
    (("resource", None, V), ROLE | CR),
    (("resource-name", None, V), ROLE | CR),
    (("non-resource-url", None, V), CR),
    (("aggregation-rule", None, V), CR),
    (("clusterrole", None, V), RB | CRB),
    (("role", None, V), RB),
    (("user", None, V), RB | CRB),
    (("group", None, V), RB | CRB),
    (("serviceaccount", None, V), RB | CRB),
    (("hard", None, V), QUOTA),
    (("scopes", None, V), QUOTA),
    (("value", None, V), PC),
    (("global-default", None, Takes::Bool), PC),
    (("description", None, V), PC),
    (("preemption-policy", None, V), PC),
];

/// cobra's required flags, checked before anything else.
const REQUIRED: &[(&str, u32)] = &[
    ("clusterrole", CRB),
    ("external-name", EXT),
    ("image", CJ),
    ("schedule", CJ),
];

/// The kinds the sandbox's apiserver does not serve, so that kubectl can still build them.
const UNSERVED: &[ResourceInfo] = &[
    ResourceInfo {
        kind: "CronJob",
        plural: "cronjobs",
        singular: "cronjob",
        short_names: &["cj"],
        group: "batch",
        version: "v1",
        namespaced: true,
        etcd_prefix: "cronjobs",
    },
    ResourceInfo {
        kind: "ResourceQuota",
        plural: "resourcequotas",
        singular: "resourcequota",
        short_names: &["quota"],
        group: "",
        version: "v1",
        namespaced: true,
        etcd_prefix: "resourcequotas",
    },
];

const RBAC: &str = "rbac.authorization.k8s.io";

type Res<T> = Result<T, Output>;

fn fail<T>(message: String) -> Res<T> {
    Err(error(&message))
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
        // The type is the first word that is no flag (nor `-n`'s value).
        let words: Vec<usize> = (0..args.len())
            .filter(|&i| {
                !args[i].starts_with('-')
                    && (i == 0 || !matches!(args[i - 1].as_str(), "-n" | "--namespace"))
            })
            .collect();
        let path = format!("kubectl create {sub}");
        let Some(&first) = words.first() else {
            let types: Vec<&str> = KINDS
                .iter()
                .filter_map(|(k, _)| k.strip_prefix(sub)?.strip_prefix(' '))
                .collect();
            return Some(Output::fail(format!(
                "Usage:\n  {path} ({}) [options]\n\nUse \"{path} <command> --help\" for more information about a given command.\n",
                types.join(" | ")
            )));
        };
        full = format!("{sub} {}", args[first]);
        if !KINDS.iter().any(|k| k.0 == full) {
            let all: Vec<&str> = words.iter().map(|&i| args[i].as_str()).collect();
            let message = format!("unknown command \"{}\"", all.join(" "));
            return Some(usage_error(&path, &message));
        }
        args.remove(first);
    }
    let index = KINDS.iter().position(|k| k.0 == full)?;
    Some(generate(index, &args, ctx).unwrap_or_else(|out| out))
}

fn generate(index: usize, args: &[String], ctx: &mut Ctx) -> Res<Output> {
    let (command, plural) = KINDS[index];
    let bit = 1u32 << index;
    let path = format!("kubectl create {command}");
    let defs: Vec<Flag> = FLAGS
        .iter()
        .filter(|f| f.1 & bit != 0)
        .map(|f| f.0)
        .collect();
    let p = vu::parse(&path, args, &defs, true)?;
    if p.has("help") {
        return Ok(Output::ok(format!("Usage:\n  {path} NAME [options]\n")));
    }
    let missing: Vec<String> = REQUIRED
        .iter()
        .filter(|r| r.1 & bit != 0 && p.value(r.0).is_none())
        .map(|r| format!("\"{}\"", r.0))
        .collect();
    if !missing.is_empty() {
        return fail(format!("required flag(s) {} not set", missing.join(", ")));
    }
    let [name] = p.positional.as_slice() else {
        let message = format!("exactly one NAME is required, got {}", p.positional.len());
        return Err(usage_error(&path, &message));
    };
    let format = vu::output_format(&p)?;
    let (dry, warning) = vu::dry_run(&p)?;
    let info = by_plural(plural)
        .or_else(|| UNSERVED.iter().find(|r| r.plural == plural))
        .ok_or_else(|| error("internal: unknown resource"))?;
    let mut out = Output {
        stderr: warning,
        ..Output::default()
    };
    let mut obj = json!({"apiVersion": info.api_version(), "kind": info.kind,
        "metadata": {"creationTimestamp": null, "name": name}});
    build(bit, &path, name, &p, ctx, &mut obj, &mut out.stderr)?;
    if let (true, Some(ns)) = (info.namespaced, p.value("namespace")) {
        obj["metadata"]["namespace"] = json!(ns);
    }
    if p.has("save-config") {
        let text = serde_json::to_string(&obj).unwrap_or_default() + "\n";
        obj["metadata"]["annotations"] = json!({ super::apply::LAST_APPLIED: text });
    }
    let reference = format!("{}/{name}", kind_ref(info));
    let line = format!("created{}", dry.suffix());
    if dry != DryRun::Client {
        let mut req = vu::admin(Verb::Create, info).body(obj);
        req.dry_run = dry == DryRun::Server;
        req.field_manager = Some(p.value("field-manager").unwrap_or("kubectl-create").into());
        if info.namespaced {
            req = req.namespace(p.namespace());
        }
        obj = ctx
            .backend
            .call(req)
            .map_err(|e| Output::fail(out.stderr.clone() + &api_error_text(&e)))?
            .body;
    }
    out.stdout = vu::print_result(&obj, &reference, &format, &line);
    Ok(out)
}

/// Every value of a `StringSlice` flag: repeated and comma-separated.
fn list(p: &Parsed, long: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in p.values(long).iter().flat_map(|v| v.split(',')) {
        if !out.iter().any(|o| o == v) {
            out.push(v.to_string());
        }
    }
    out
}

fn int(p: &Parsed, path: &str, long: &str) -> Res<i64> {
    let text = p.value(long).unwrap_or("0");
    text.parse::<i32>().map(i64::from).map_err(|_| {
        vu::flag_error(
            path,
            &format!("invalid argument \"{text}\" for \"--{long}\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax"),
        )
    })
}

/// Fills in what the generator for `bit` adds to the bare object.
fn build(
    bit: u32,
    path: &str,
    name: &str,
    p: &Parsed,
    ctx: &mut Ctx,
    obj: &mut Value,
    warnings: &mut String,
) -> Res<()> {
    let mut spec = Map::new();
    match bit {
        CM | GEN => {
            if let Some(data) = sources(p, ctx, bit == CM, name)? {
                obj["data"] = data;
            }
            if let Some(t) = p.value("type").filter(|t| !t.is_empty()) {
                obj["type"] = json!(t);
            }
            return Ok(());
        }
        TLS => {
            let (Some(cert), Some(key)) = (p.value("cert"), p.value("key")) else {
                return fail("key and cert must be specified".into());
            };
            let read = |path: &str| {
                (ctx.read_file)(path).ok_or_else(|| {
                    error(&format!(
                        "Cannot read file {path}, open {path}: no such file or directory"
                    ))
                })
            };
            let (cert, key) = (read(cert)?, read(key)?);
            for (text, want, what) in [
                (&cert, "CERTIFICATE-----", "certificate"),
                (&key, "PRIVATE KEY-----", "key"),
            ] {
                if !text.contains(want) {
                    return fail(format!("tls: failed to find any PEM data in {what} input"));
                }
            }
            obj["data"] = json!({"tls.crt": B64.encode(cert), "tls.key": B64.encode(key)});
            obj["type"] = json!("kubernetes.io/tls");
            return Ok(());
        }
        DOCKER => {
            let data = if p.values("from-file").is_empty() {
                let (Some(user), Some(pass)) =
                    (p.value("docker-username"), p.value("docker-password"))
                else {
                    return fail("either --from-file or the combination of --docker-username, --docker-password and --docker-server is required".into());
                };
                let server = p
                    .value("docker-server")
                    .unwrap_or("https://index.docker.io/v1/");
                let q = |s: &str| Value::from(s).to_string();
                let email = p
                    .value("docker-email")
                    .map(|e| format!(",\"email\":{}", q(e)))
                    .unwrap_or_default();
                let config = format!(
                    "{{\"auths\":{{{}:{{\"username\":{},\"password\":{}{email},\"auth\":{}}}}}}}",
                    q(server),
                    q(user),
                    q(pass),
                    q(&B64.encode(format!("{user}:{pass}")))
                );
                json!({".dockerconfigjson": B64.encode(config)})
            } else {
                sources(p, ctx, false, name)?.unwrap_or_default()
            };
            obj["data"] = data;
            obj["type"] = json!("kubernetes.io/dockerconfigjson");
            return Ok(());
        }
        b if b & SVC != 0 => {
            let node_port = int(p, path, "node-port")?;
            let mut ports = Vec::new();
            for tcp in list(p, "tcp") {
                let mut parts = tcp.split(':');
                let port_text = parts.next().unwrap_or("");
                let port: u64 = match port_text.parse() {
                    Ok(n) if n <= 65535 => n,
                    Ok(_) => {
                        return fail(format!(
                            "strconv.ParseUint: parsing \"{port_text}\": value out of range"
                        ))
                    }
                    Err(_) => {
                        return fail(format!(
                            "strconv.ParseUint: parsing \"{port_text}\": invalid syntax"
                        ))
                    }
                };
                let target = match parts.next() {
                    None => json!(port),
                    Some(t) => match t.parse::<i64>() {
                        Ok(n) if (1..=65535).contains(&n) => json!(n),
                        Ok(_) => return fail("must be between 1 and 65535, inclusive".into()),
                        Err(_) => json!(t),
                    },
                };
                let mut entry = json!({"name": tcp.replace(':', "-"), "port": port,
                    "protocol": "TCP", "targetPort": target});
                if node_port > 0 {
                    entry["nodePort"] = json!(node_port);
                }
                ports.push(entry);
            }
            let headless = p.value("clusterip") == Some("None");
            if ports.is_empty() && !headless && b != EXT {
                return fail("at least one tcp port specifier must be provided".into());
            }
            if !ports.is_empty() {
                spec.insert("ports".into(), json!(ports));
            }
            for (flag, field) in [
                ("clusterip", "clusterIP"),
                ("external-name", "externalName"),
            ] {
                if let Some(v) = p.value(flag) {
                    spec.insert(field.into(), json!(v));
                }
            }
            let kind = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]
                [(b.trailing_zeros() - 4) as usize];
            spec.insert("selector".into(), json!({ "app": name }));
            spec.insert("type".into(), json!(kind));
            obj["metadata"]["labels"] = json!({ "app": name });
            obj["status"] = json!({"loadBalancer": {}});
        }
        JOB | CJ => {
            let command = p.after_dashdash.clone().unwrap_or_default();
            let image = p.value("image");
            if bit == JOB {
                if let Some(from) = p.value("from") {
                    if image.is_some() {
                        return fail("either --image or --from must be specified".into());
                    }
                    if !command.is_empty() {
                        return fail("cannot specify --from and command".into());
                    }
                    return job_from(ctx, from, p, obj);
                }
            }
            let Some(image) = image else {
                return fail("either --image or --from must be specified".into());
            };
            let mut container = json!({"image": image, "name": name, "resources": {}});
            if !command.is_empty() {
                container["command"] = json!(command);
            }
            let restart =
                p.value("restart")
                    .unwrap_or(if bit == JOB { "Never" } else { "OnFailure" });
            let template = json!({"template": {"metadata": {"creationTimestamp": null},
                "spec": {"containers": [container], "restartPolicy": restart}}});
            if bit == JOB {
                obj["spec"] = template;
            } else {
                spec.insert(
                    "jobTemplate".into(),
                    json!({"metadata": {"creationTimestamp": null, "name": name}, "spec": template}),
                );
                spec.insert("schedule".into(), json!(p.value("schedule")));
            }
        }
        ROLE | CR => return rules(bit, p, obj, warnings),
        RB | CRB => {
            let kind = match (p.value("clusterrole"), p.value("role")) {
                (Some(r), None) => ("ClusterRole", r),
                (None, Some(r)) => ("Role", r),
                _ => return fail("exactly one of clusterrole or role must be specified".into()),
            };
            obj["roleRef"] = json!({"apiGroup": RBAC, "kind": kind.0, "name": kind.1});
            let mut subjects = Vec::new();
            for (flag, kind) in [("user", "User"), ("group", "Group")] {
                for s in p.values(flag) {
                    subjects.push(json!({"apiGroup": RBAC, "kind": kind, "name": s}));
                }
            }
            for s in p.values("serviceaccount") {
                match s.split_once(':') {
                    Some((ns, n)) if !ns.is_empty() && !n.is_empty() => {
                        subjects.push(json!({"kind": "ServiceAccount", "name": n, "namespace": ns}))
                    }
                    _ => return fail("serviceaccount must be <namespace>:<name>".into()),
                }
            }
            if !subjects.is_empty() {
                obj["subjects"] = json!(subjects);
            }
            return Ok(());
        }
        QUOTA => {
            let mut hard = Map::new();
            for item in p
                .value("hard")
                .unwrap_or("")
                .split(',')
                .filter(|s| !s.is_empty())
            {
                let Some((k, v)) = item.split_once('=') else {
                    return fail(format!(
                        "Invalid argument syntax {item}, expected <resource>=<value>"
                    ));
                };
                if !v
                    .trim_start_matches(['+', '-'])
                    .starts_with(|c: char| c.is_ascii_digit() || c == '.')
                {
                    return fail("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'".into());
                }
                hard.insert(k.into(), json!(v));
            }
            if !hard.is_empty() {
                spec.insert("hard".into(), Value::Object(hard));
            }
            if p.value("scopes").is_some() {
                spec.insert("scopes".into(), json!(list(p, "scopes")));
            }
        }
        PC => {
            obj["value"] = json!(int(p, path, "value")?);
            obj["preemptionPolicy"] = json!(p
                .value("preemption-policy")
                .unwrap_or("PreemptLowerPriority"));
            if let Some(d) = p.value("description").filter(|d| !d.is_empty()) {
                obj["description"] = json!(d);
            }
            if p.has("global-default") {
                obj["globalDefault"] = json!(true);
            }
            return Ok(());
        }
        _ => return Ok(()),
    }
    if bit & (JOB | QUOTA | CJ) != 0 {
        obj["status"] = json!({});
    }
    if !spec.is_empty() || bit == QUOTA {
        obj["spec"] = Value::Object(spec);
    }
    Ok(())
}

/// `--from-file`, `--from-literal` and `--from-env-file` as a ConfigMap's or Secret's data;
/// `None` when there is none.
fn sources(p: &Parsed, ctx: &Ctx, plain: bool, name: &str) -> Res<Option<Value>> {
    let files = list(p, "from-file");
    let literals = p.values("from-literal");
    let envs = p.values("from-env-file");
    if !envs.is_empty() && !(files.is_empty() && literals.is_empty()) {
        return fail("from-env-file cannot be combined with from-file or from-literal".into());
    }
    let read = |path: &str| {
        (ctx.read_file)(path)
            .ok_or_else(|| error(&format!("error reading {path}: no such file or directory")))
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for f in &files {
        let (key, path) = match f.split_once('=') {
            Some(("", path)) => return fail(format!("key name for file path {path} missing")),
            Some((k, path)) => (k, path),
            None => (f.rsplit('/').next().unwrap_or(f), f.as_str()),
        };
        pairs.push((key.into(), read(path)?));
    }
    for l in literals {
        match l.split_once('=') {
            Some((k, v)) if !k.is_empty() => pairs.push((k.into(), v.into())),
            _ => return fail(format!("invalid literal source {l}, expected key=value")),
        }
    }
    for path in envs {
        for line in read(path)?.lines().map(str::trim_start) {
            if let (false, Some((k, v))) = (line.starts_with('#'), line.split_once('=')) {
                pairs.push((k.into(), v.into()));
            }
        }
    }
    let mut data = Map::new();
    for (k, v) in pairs {
        if data.contains_key(&k) {
            return fail(if plain {
                format!("cannot add key \"{k}\", another key by that name already exists in Data for ConfigMap \"{name}\"")
            } else {
                format!("cannot add key {k}, another key by that name already exists")
            });
        }
        let v = if plain { v } else { B64.encode(v) };
        data.insert(k, json!(v));
    }
    Ok((!data.is_empty()).then_some(Value::Object(data)))
}

/// A Role's or ClusterRole's rules (`generateResourcePolicyRules`): one rule per API group of
/// the resources, sorted by group, then one for the non-resource URLs; or a ClusterRole's
/// aggregation rule.
fn rules(bit: u32, p: &Parsed, obj: &mut Value, warnings: &mut String) -> Res<()> {
    let mut verbs = list(p, "verb");
    if verbs.iter().any(|v| v == "*") {
        verbs = vec!["*".into()];
    }
    let resources = list(p, "resource");
    let mut names = Vec::new();
    for n in p.values("resource-name") {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    let urls = list(p, "non-resource-url");
    let mut labels = Map::new();
    for pair in p
        .values("aggregation-rule")
        .iter()
        .flat_map(|v| v.split(','))
    {
        if let Some((k, v)) = pair.split_once('=') {
            labels.insert(k.into(), json!(v));
        }
    }
    if !labels.is_empty() {
        if !(urls.is_empty() && verbs.is_empty() && resources.is_empty() && names.is_empty()) {
            return fail("aggregation rule must be specified without nonResourceURLs, verbs, resources or resourceNames".into());
        }
        obj["aggregationRule"] = json!({"clusterRoleSelectors": [{"matchLabels": labels}]});
        obj["rules"] = Value::Null;
        return Ok(());
    }
    if verbs.is_empty() {
        return fail("at least one verb must be specified".into());
    }
    if resources.is_empty() && (bit == ROLE || urls.is_empty()) {
        return fail(
            if bit == ROLE {
                "at least one resource must be specified"
            } else {
                "one of resource or nonResourceURL must be specified"
            }
            .into(),
        );
    }
    let mut groups: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for r in &resources {
        if r == "*" {
            groups = [(String::new(), vec![r.clone()])].into();
            break;
        }
        let (typed, sub) = match r.split_once('/') {
            Some((t, s)) => (t, format!("/{s}")),
            None => (r.as_str(), String::new()),
        };
        if typed.is_empty() || typed.starts_with('.') {
            return fail("resource must be specified if apiGroup/subresource specified".into());
        }
        let Some(info) = lookup(typed) else {
            // kubectl prints the RESTMapper's no-match error without `error: `.
            let (bare, group) = match typed.split_once('.') {
                Some((r, g)) => (r, format!(" in group \"{g}\"")),
                None => (typed, String::new()),
            };
            return Err(Output::fail(format!(
                "the server doesn't have a resource type \"{bare}\"{group}\n"
            )));
        };
        let list = groups.entry(info.group.into()).or_default();
        let resource = format!("{}{sub}", info.plural);
        if !list.contains(&resource) {
            list.push(resource);
        }
    }
    for v in verbs.iter().filter(|_| !resources.is_empty()) {
        if !" * get delete list create update patch watch proxy deletecollection use bind escalate impersonate "
            .contains(&format!(" {v} "))
        {
            warnings.push_str(&format!("Warning: '{v}' is not a standard resource verb\n"));
        }
    }
    let mut rules: Vec<Value> = groups
        .into_iter()
        .map(|(g, r)| {
            let mut rule = json!({"apiGroups": [g], "resources": r, "verbs": verbs});
            if !names.is_empty() {
                rule["resourceNames"] = json!(names);
            }
            rule
        })
        .collect();
    if !urls.is_empty() {
        for v in &verbs {
            if !" * get post put delete patch head options ".contains(&format!(" {v} ")) {
                return fail(format!("invalid verb: '{v}' for nonResourceURL"));
            }
        }
        for u in &urls {
            if u != "*" && !u.starts_with('/') {
                return fail("nonResourceURL should start with /".into());
            }
            if u[..u.len() - 1].contains('*') {
                return fail(
                    "nonResourceURL only supports wildcard matches when '*' is at the end".into(),
                );
            }
        }
        rules.push(json!({"nonResourceURLs": urls, "verbs": verbs}));
    }
    obj["rules"] = json!(rules);
    Ok(())
}

/// `create job NAME --from=cronjob/CJ`: the CronJob's job template, owned by it and marked
/// `cronjob.kubernetes.io/instantiate: manual`.
fn job_from(ctx: &mut Ctx, from: &str, p: &Parsed, obj: &mut Value) -> Res<()> {
    let (typed, source) = from.split_once('/').unwrap_or((from, ""));
    let Some(info) = lookup(typed) else {
        return fail(format!(
            "the server doesn't have a resource type \"{typed}\""
        ));
    };
    let target = vu::Target {
        info,
        namespace: Some(p.namespace()),
        name: source.into(),
    };
    let cj = vu::get(ctx, &target).map_err(Output::fail)?;
    if info.kind != "CronJob" {
        return fail("from must be an existing cronjob".into());
    }
    let template = &cj["spec"]["jobTemplate"];
    let mut annotations = json!({"cronjob.kubernetes.io/instantiate": "manual"});
    if let Some(extra) = template
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
    {
        for (k, v) in extra {
            annotations[k] = v.clone();
        }
    }
    let meta = &mut obj["metadata"];
    meta["annotations"] = annotations;
    if let Some(labels) = template.pointer("/metadata/labels") {
        meta["labels"] = labels.clone();
    }
    meta["ownerReferences"] = json!([{"apiVersion": "batch/v1", "controller": true,
        "kind": "CronJob", "name": source, "uid": cj["metadata"]["uid"]}]);
    obj["spec"] = template["spec"].clone();
    obj["status"] = json!({});
    Ok(())
}
