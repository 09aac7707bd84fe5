//! What the workload verbs (`run`, `expose`, `label`, `annotate`, `scale`, `set`, `patch`,
//! `rollout`) share: a pflag-style parser with repeatable flags, `TYPE NAME` / `TYPE/NAME`
//! resolution, and the get/patch requests they send as `kubernetes-admin`.
//!
//! Mirrors: cobra/pflag's flag errors (`unknown flag: --generator`, `flag needs an argument`),
//! cli-runtime's resource builder (`kubectl scale deployment web`, `deploy/web`, `-l`, `--all`)
//! and kubectl's `--dry-run=none|client|server`.
//! Simplified: no `-f FILE` for these verbs; every target is resolved by the apiserver's GET.

use std::collections::BTreeMap;

use serde_json::Value;

use super::cmd::{kind_ref, targets, Ctx};
use super::errors::api_error_text;
use super::Output;
use crate::sim::api::resources::ResourceInfo;
use crate::sim::apiserver::request::{
    ApiError, ApiRequest, Credentials, Impersonate, PatchType, Verb,
};

/// How a flag takes its value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Takes {
    /// `--overwrite`, `--overwrite=false`.
    Bool,
    /// `--image nginx`, `--image=nginx`.
    Value,
    /// `--dry-run`: a value only with `=`; bare means the deprecated "client".
    Optional,
}

/// One flag: long name, shorthand, how it takes its value.
pub(super) type Flag = (&'static str, Option<char>, Takes);

/// Flags every verb here accepts, as kubectl's global and common flags.
const COMMON: &[Flag] = &[
    ("namespace", Some('n'), Takes::Value),
    ("help", Some('h'), Takes::Bool),
];

/// kubectl's global flags that take a value, beside `-n`: they may come before the command
/// word, which is the first word that is neither a flag nor one of their values.
pub(super) const GLOBAL: &[Flag] = &[("as", None, Takes::Value), ("as-group", None, Takes::Value)];

/// `--as` and `--as-group`, wherever they stand before `--`: kubectl's global flags, sent as
/// the impersonation headers of every request the line makes.
pub(super) fn impersonation(args: &[String]) -> Result<Option<Impersonate>, Output> {
    let (mut user, mut groups) = (None, Vec::new());
    let mut words = args.iter().take_while(|a| *a != "--");
    while let Some(arg) = words.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        if flag == "--as" || flag == "--as-group" {
            let value = inline.or_else(|| words.next().cloned()).unwrap_or_default();
            match flag {
                "--as" => user = Some(value),
                _ => groups.push(value),
            }
        }
    }
    match user.filter(|u| !u.is_empty()) {
        Some(user) => Ok(Some(Impersonate { user, groups })),
        None if groups.is_empty() => Ok(None),
        None => Err(error(
            "requesting uid, groups or user-extra for kubernetes-admin without impersonating a user",
        )),
    }
}

/// A parsed command line: positionals, every value of each flag seen, and the words after `--`.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    pub positional: Vec<String>,
    pub flags: BTreeMap<&'static str, Vec<String>>,
    pub after_dashdash: Option<Vec<String>>,
}

impl Parsed {
    /// The last value given for `long`.
    pub fn value(&self, long: &str) -> Option<&str> {
        self.flags
            .get(long)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    pub fn values(&self, long: &str) -> &[String] {
        self.flags.get(long).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A boolean flag; `Err` is pflag's text for a value that is no boolean.
    pub fn bool(&self, long: &str) -> Result<bool, String> {
        match self.value(long) {
            None => Ok(false),
            Some("true" | "1" | "t" | "T" | "TRUE" | "True") => Ok(true),
            Some("false" | "0" | "f" | "F" | "FALSE" | "False") => Ok(false),
            Some(v) => Err(format!(
                "invalid argument \"{v}\" for \"--{long}\" flag: strconv.ParseBool: parsing \"{v}\": invalid syntax"
            )),
        }
    }

    pub fn namespace(&self) -> String {
        self.value("namespace").unwrap_or("default").to_string()
    }

    /// A boolean flag that is set. `parse` has refused a value that is no boolean already.
    pub fn has(&self, long: &str) -> bool {
        self.bool(long) == Ok(true)
    }
}

/// cobra's answer to a bad flag: `Error: MESSAGE` and where to look.
pub(super) fn flag_error(command_path: &str, message: &str) -> Output {
    Output::fail(format!(
        "Error: {message}\nSee '{command_path} --help' for usage.\n"
    ))
}

/// kubectl's `UsageErrorf`: `error: MESSAGE` and `See '... -h'`.
pub(super) fn usage_error(command_path: &str, message: &str) -> Output {
    Output::fail(format!(
        "error: {message}\nSee '{command_path} -h' for help and examples\n"
    ))
}

/// A plain `error: MESSAGE`.
pub(super) fn error(message: &str) -> Output {
    Output::fail(format!("error: {message}\n"))
}

/// Where the command word is, as cobra finds a subcommand: the first word that is neither a flag
/// nor the value of one of `defs` (or the common and global flags) given as its own word.
pub(super) fn first_word(args: &[String], defs: &[Flag]) -> Option<usize> {
    let takes_value = |d: &&Flag, arg: &str| {
        d.2 == Takes::Value
            && match arg.strip_prefix("--") {
                Some(long) => d.0 == long,
                None => arg.len() == 2 && d.1 == arg.chars().nth(1),
            }
    };
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        if arg == "--" {
            return None;
        }
        if arg == "-" || !arg.starts_with('-') {
            return Some(i);
        }
        let mut all = defs.iter().chain(COMMON).chain(GLOBAL);
        i += 1 + usize::from(all.any(|d| takes_value(&d, arg)));
    }
    None
}

/// Splits `args` as pflag does for `defs` plus the common flags; with `keep_dashdash` the words
/// after `--` are kept apart (`kubectl run NAME -- COMMAND`), else they become positionals.
pub(super) fn parse(
    command_path: &str,
    args: &[String],
    defs: &[Flag],
    keep_dashdash: bool,
) -> Result<Parsed, Output> {
    let all: Vec<Flag> = defs.iter().chain(COMMON).chain(GLOBAL).copied().collect();
    let mut out = Parsed::default();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        if arg == "--" {
            let rest = args.get(i..).unwrap_or(&[]).to_vec();
            if keep_dashdash {
                out.after_dashdash = Some(rest);
            } else {
                out.positional.extend(rest);
            }
            break;
        }
        if arg == "-" || !arg.starts_with('-') {
            out.positional.push(arg.clone());
            continue;
        }
        let (def, inline, shown) = if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            match all.iter().find(|d| d.0 == name) {
                Some(d) => (*d, inline, format!("--{name}")),
                None => return Err(flag_error(command_path, &format!("unknown flag: --{name}"))),
            }
        } else {
            // pflag's shorthands: `-it` is `-i -t`; a flag with a value takes the rest of the
            // word (`-cnginx`, `-c=nginx`) or the next word; an error names what is left.
            let mut shorts = &arg[1..];
            while let Some(c) = shorts.chars().next() {
                let rest = &shorts[c.len_utf8()..];
                let Some(d) = all.iter().find(|d| d.1 == Some(c)) else {
                    return Err(flag_error(
                        command_path,
                        &format!("unknown shorthand flag: '{c}' in -{shorts}"),
                    ));
                };
                let (value, next) = if rest.len() > 1 && rest.starts_with('=') {
                    (rest[1..].to_string(), "")
                } else {
                    match d.2 {
                        Takes::Bool => ("true".to_string(), rest),
                        Takes::Optional => (String::new(), rest),
                        Takes::Value if !rest.is_empty() => (rest.to_string(), ""),
                        Takes::Value => match args.get(i) {
                            Some(v) => {
                                i += 1;
                                (v.clone(), "")
                            }
                            None => {
                                return Err(flag_error(
                                    command_path,
                                    &format!("flag needs an argument: '{c}' in -{shorts}"),
                                ))
                            }
                        },
                    }
                };
                out.flags.entry(d.0).or_default().push(value);
                shorts = next;
            }
            continue;
        };
        let value = match def.2 {
            Takes::Bool => inline.unwrap_or_else(|| "true".to_string()),
            Takes::Optional => inline.unwrap_or_default(),
            Takes::Value => match inline {
                Some(v) => v,
                None => match args.get(i) {
                    Some(v) => {
                        i += 1;
                        v.clone()
                    }
                    None => {
                        return Err(flag_error(
                            command_path,
                            &format!("flag needs an argument: {shown}"),
                        ))
                    }
                },
            },
        };
        out.flags.entry(def.0).or_default().push(value);
    }
    for (long, values) in &out.flags {
        let Some(def) = all.iter().find(|d| d.0 == *long && d.2 == Takes::Bool) else {
            continue;
        };
        if let (Some(v), Err(_)) = (values.last(), out.bool(long)) {
            // pflag names the flag with its shorthand: "-f, --follow".
            let shown = match def.1 {
                Some(c) => format!("-{c}, --{long}"),
                None => format!("--{long}"),
            };
            return Err(flag_error(
                command_path,
                &format!(
                    "invalid argument \"{v}\" for \"{shown}\" flag: strconv.ParseBool: parsing \"{v}\": invalid syntax"
                ),
            ));
        }
    }
    Ok(out)
}

/// `--dry-run` as kubectl reads it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum DryRun {
    None,
    Client,
    Server,
}

impl DryRun {
    /// The suffix of a success line: `pod/x created (dry run)`.
    pub fn suffix(self) -> &'static str {
        match self {
            DryRun::None => "",
            DryRun::Client => " (dry run)",
            DryRun::Server => " (server dry run)",
        }
    }
}

/// The `--dry-run` flag, with the deprecation warning for the bare form.
pub(super) fn dry_run(p: &Parsed) -> Result<(DryRun, String), Output> {
    match p.value("dry-run") {
        None | Some("none") => Ok((DryRun::None, String::new())),
        Some("client") => Ok((DryRun::Client, String::new())),
        Some("") => Ok((
            DryRun::Client,
            "--dry-run is deprecated and can be replaced with --dry-run=client.\n".to_string(),
        )),
        Some("server") => Ok((DryRun::Server, String::new())),
        Some(other) => Err(error(&format!(
            "Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\"."
        ))),
    }
}

/// One object a verb acts on.
#[derive(Clone, Debug)]
pub(super) struct Target {
    pub info: &'static ResourceInfo,
    pub namespace: Option<String>,
    pub name: String,
}

impl Target {
    /// `deployment.apps/web`: how kubectl names it in its result lines.
    pub fn reference(&self) -> String {
        format!("{}/{}", kind_ref(self.info), self.name)
    }
}

/// `TYPE NAME...`, `TYPE/NAME...`, or `TYPE` with `-l SELECTOR` / `--all`: the objects, listed
/// through the apiserver when no name is given.
pub(super) fn resolve(
    ctx: &mut Ctx,
    args: &[String],
    namespace: &str,
    selector: Option<&str>,
    all: bool,
) -> Result<Vec<Target>, Output> {
    let groups = targets(args)?;
    let mut out = Vec::new();
    for (info, names) in groups {
        let ns = info.namespaced.then(|| namespace.to_string());
        if names.is_empty() {
            if selector.is_none() && !all {
                return Err(error(
                    "resource(s) were provided, but no name was specified",
                ));
            }
            let mut req = admin(Verb::List, info);
            if let Some(ns) = &ns {
                req = req.namespace(ns.clone());
            }
            req.list_options.label_selector = selector.map(String::from);
            let resp = ctx
                .call(req)
                .map_err(|e| Output::fail(api_error_text(&e)))?;
            if let Some(items) = resp.body.get("items").and_then(Value::as_array) {
                for item in items {
                    out.push(Target {
                        info,
                        namespace: ns.clone(),
                        name: crate::sim::api::name(item).to_string(),
                    });
                }
            }
        } else {
            if selector.is_some() {
                return Err(error(
                    "selectors and the all flag cannot be used when passing resource/name arguments",
                ));
            }
            for name in names {
                out.push(Target {
                    info,
                    namespace: ns.clone(),
                    name,
                });
            }
        }
    }
    Ok(out)
}

pub(super) fn admin(verb: Verb, info: &ResourceInfo) -> ApiRequest {
    ApiRequest::new(Credentials::admin(), verb, info.plural)
}

/// Sends what `kubectl create` creates: as field manager `kubectl-create`, only validated under
/// `--dry-run=server`, with the line's impersonation (`Ctx::call`).
pub(super) fn create(
    ctx: &mut Ctx,
    info: &ResourceInfo,
    obj: Value,
    dry: DryRun,
    namespace: Option<String>,
) -> Result<Value, ApiError> {
    let mut req = admin(Verb::Create, info).body(obj);
    req.dry_run = dry == DryRun::Server;
    req.field_manager = Some("kubectl-create".into());
    if let (true, Some(ns)) = (info.namespaced, namespace) {
        req = req.namespace(ns);
    }
    ctx.call(req).map(|r| r.body)
}

/// GETs the target; the error is kubectl's text.
pub(super) fn get(ctx: &mut Ctx, t: &Target) -> Result<Value, String> {
    let mut req = admin(Verb::Get, t.info).name(t.name.clone());
    if let Some(ns) = &t.namespace {
        req = req.namespace(ns.clone());
    }
    ctx.call(req)
        .map(|r| r.body)
        .map_err(|e| api_error_text(&e))
}

/// PATCHes the target as `field_manager`; with `dry` Server the apiserver only validates.
pub(super) fn patch(
    ctx: &mut Ctx,
    t: &Target,
    patch_type: PatchType,
    body: Value,
    dry: DryRun,
    field_manager: &str,
) -> Result<Value, String> {
    let mut req = admin(Verb::Patch, t.info)
        .name(t.name.clone())
        .patch(patch_type, body);
    req.dry_run = dry == DryRun::Server;
    req.field_manager = Some(field_manager.to_string());
    if let Some(ns) = &t.namespace {
        req = req.namespace(ns.clone());
    }
    ctx.call(req)
        .map(|r| r.body)
        .map_err(|e| api_error_text(&e))
}

/// LISTs `plural` in `namespace` (e.g. a Deployment's ReplicaSets).
pub(super) fn list(ctx: &mut Ctx, plural: &str, namespace: &str) -> Result<Vec<Value>, String> {
    let req = ApiRequest::new(Credentials::admin(), Verb::List, plural).namespace(namespace);
    ctx.call(req)
        .map(|r| {
            r.body
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .map_err(|e| api_error_text(&e))
}

/// The pod template of a workload (`spec.template`), or the pod's own spec for a Pod.
pub(super) fn pod_spec_pointer(info: &ResourceInfo) -> Option<&'static str> {
    match info.plural {
        "pods" => Some("/spec"),
        "deployments"
        | "replicasets"
        | "replicationcontrollers"
        | "daemonsets"
        | "statefulsets"
        | "jobs" => Some("/spec/template/spec"),
        "cronjobs" => Some("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

/// Go's `time.ParseDuration` for the forms a student types (`30s`, `5m`, `1m30s`, `500ms`, `0`),
/// in ticks (milliseconds).
pub fn parse_duration_ticks(text: &str) -> Option<u64> {
    if text == "0" {
        return Some(0);
    }
    let mut total: f64 = 0.0;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let per_unit_ms = match &rest[..unit_len] {
            "ms" => 1.0,
            "s" => 1_000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * per_unit_ms;
    }
    (total.is_finite() && total < 1e15).then_some(total as u64)
}

/// The `-o` formats the mutating verbs print (kubectl's `PrintFlags` for them): none, yaml,
/// json or name; anything else is kubectl's printer error.
pub(super) fn output_format(p: &Parsed) -> Result<String, Output> {
    let format = p.value("output").unwrap_or("").to_string();
    if matches!(format.as_str(), "" | "yaml" | "json" | "name") {
        Ok(format)
    } else {
        Err(error(&format!(
            "unable to match a printer suitable for the output format \"{format}\", allowed formats are: json,name,yaml"
        )))
    }
}

/// kubectl's `OmitManagedFieldsPrinter`: `-o yaml|json` leave out `metadata.managedFields`
/// (of an object, or of each item of a list) unless `--show-managed-fields`.
pub(super) fn omit_managed_fields(doc: &mut Value) {
    if let Some(items) = doc.get_mut("items").and_then(Value::as_array_mut) {
        items.iter_mut().for_each(omit_managed_fields);
    }
    if let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
}

/// What a mutating verb prints for one object: `deployment.apps/web scaled` (`line` is the
/// word after the reference), or the object for `-o yaml|json`, or the reference for `-o name`.
pub(super) fn print_result(obj: &Value, reference: &str, format: &str, line: &str) -> String {
    // Only server-side apply records managedFields: without it the object is printed as is.
    let without;
    let obj = if cfg!(feature = "server-side-apply") && matches!(format, "yaml" | "json") {
        let mut copy = obj.clone();
        omit_managed_fields(&mut copy);
        without = copy;
        &without
    } else {
        obj
    };
    match format {
        "yaml" => super::yaml::to_yaml(obj),
        "json" => super::json::sorted(obj),
        "name" => format!("{reference}\n"),
        _ => format!("{reference} {line}\n"),
    }
}

/// [`print_result`] for an object kubectl built itself (a generator's, `run`'s, `expose`'s):
/// kubectl holds it as a typed struct, so `-o json` keeps the struct's field order.
pub(super) fn print_built(obj: &Value, reference: &str, format: &str, line: &str) -> String {
    match format {
        "json" => super::json::typed(obj),
        _ => print_result(obj, reference, format, line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn shorthands_combine_as_pflag_combines_them() {
        const EXEC: &[Flag] = &[
            ("container", Some('c'), Takes::Value),
            ("stdin", Some('i'), Takes::Bool),
            ("tty", Some('t'), Takes::Bool),
        ];
        let a = parse("kubectl exec", &words("web -it -- sh"), EXEC, true).expect("parses");
        assert!(a.has("stdin") && a.has("tty"));
        assert_eq!(a.positional, ["web"]);
        // A flag with a value takes the rest of the word, or the next word.
        let a = parse("kubectl exec", &words("web -icnginx"), EXEC, true).expect("parses");
        assert_eq!(
            (a.has("stdin"), a.value("container")),
            (true, Some("nginx"))
        );
        let a = parse("kubectl exec", &words("web -tc db"), EXEC, true).expect("parses");
        assert_eq!((a.has("tty"), a.value("container")), (true, Some("db")));
        let a = parse("kubectl exec", &words("web -t=false"), EXEC, true).expect("parses");
        assert!(!a.has("tty"));
        // An error names the shorthands left when it stopped.
        let err = |line: &str| {
            parse("kubectl exec", &words(line), EXEC, true)
                .err()
                .unwrap()
                .stderr
        };
        assert_eq!(
            err("web -itz"),
            "Error: unknown shorthand flag: 'z' in -z\nSee 'kubectl exec --help' for usage.\n"
        );
        assert_eq!(
            err("web -ic"),
            "Error: flag needs an argument: 'c' in -c\nSee 'kubectl exec --help' for usage.\n"
        );
    }

    const DEFS: &[Flag] = &[
        ("image", None, Takes::Value),
        ("env", None, Takes::Value),
        ("overwrite", None, Takes::Bool),
        ("selector", Some('l'), Takes::Value),
        ("dry-run", None, Takes::Optional),
    ];

    #[test]
    fn repeated_flags_keep_every_value_and_dashdash_is_kept_apart() {
        let p = parse(
            "kubectl run",
            &words("x --env=A=1 --env B=2 -lapp=web --overwrite -- sh -c true"),
            DEFS,
            true,
        )
        .unwrap();
        assert_eq!(p.values("env"), ["A=1", "B=2"]);
        assert_eq!(p.value("selector"), Some("app=web"));
        assert_eq!(p.bool("overwrite"), Ok(true));
        assert_eq!(p.positional, ["x"]);
        assert_eq!(p.after_dashdash.unwrap(), ["sh", "-c", "true"]);
    }

    #[test]
    fn unknown_and_incomplete_flags_are_refused_as_cobra_does() {
        let e = parse("kubectl run", &words("x --generator=run/v1"), DEFS, true).unwrap_err();
        assert_eq!(
            e.stderr,
            "Error: unknown flag: --generator\nSee 'kubectl run --help' for usage.\n"
        );
        let e = parse("kubectl run", &words("x --image"), DEFS, true).unwrap_err();
        assert_eq!(
            e.stderr,
            "Error: flag needs an argument: --image\nSee 'kubectl run --help' for usage.\n"
        );
        let e = parse("kubectl label", &words("--overwrite=maybe"), DEFS, false).unwrap_err();
        assert!(e.stderr.contains("strconv.ParseBool"));
    }

    #[test]
    fn durations_read_as_go_reads_them() {
        assert_eq!(parse_duration_ticks("30s"), Some(30_000));
        assert_eq!(parse_duration_ticks("1m30s"), Some(90_000));
        assert_eq!(parse_duration_ticks("500ms"), Some(500));
        assert_eq!(parse_duration_ticks("0"), Some(0));
        assert_eq!(parse_duration_ticks("30"), None);
        assert_eq!(parse_duration_ticks("x"), None);
        assert_eq!(parse_duration_ticks(""), None);
    }
}
