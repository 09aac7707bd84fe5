//! `kubectl rollout status|history|undo|pause|resume|restart` for Deployments.
//!
//! Mirrors: kubectl v1.32 `pkg/cmd/rollout` and `pkg/polymorphichelpers`: the Deployment status
//! viewer's lines (`Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are
//! available...`, `deployment "web" successfully rolled out`, `exceeded its progress deadline`),
//! the history viewer's `REVISION  CHANGE-CAUSE` table from the Deployment's ReplicaSets, the
//! rollbacker (through [`crate::sim::controller::rollback::undo_patch`]), and the pause, resume
//! and restart patches (`kubectl.kubernetes.io/restartedAt`).
//! Simplified: `rollout status` cannot block a browser tab, so it advances simulated time one
//! second at a time through the [`super::Backend`] and prints each line the watch would have
//! printed (a line is printed again only when it changes), up to `--timeout` or
//! [`STATUS_CAP_TICKS`]. DaemonSets and StatefulSets are not rolled out by this sandbox's verbs.

use crate::sim::api::JsonPointer;
use serde_json::{json, Value};

use super::cmd::Ctx;
use super::verb_util::{self as vu, error, usage_error, Flag, Takes, Target};
use super::Output;
use crate::sim::apiserver::request::PatchType;
use crate::sim::clock::{rfc3339_from_unix, Ticks, TICKS_PER_SECOND};
use crate::sim::controller::controller_utils::is_controlled_by;
use crate::sim::controller::deployment_util::{self as du};
use crate::sim::controller::rollback::undo_patch;
use crate::sim::sort::StableSort;

/// How long `rollout status` without `--timeout` may wait, in simulated time: past the default
/// `progressDeadlineSeconds` (600 s), so a stuck rollout ends with the controller's verdict.
pub const STATUS_CAP_TICKS: Ticks = 11 * 60 * TICKS_PER_SECOND;

/// The step by which `rollout status` moves the clock between looks.
const POLL_TICKS: Ticks = TICKS_PER_SECOND;

const CHANGE_CAUSE_ANNOTATION: &str = "kubernetes.io/change-cause";
const RESTARTED_AT_ANNOTATION: &str = "kubectl.kubernetes.io/restartedAt";

const FLAGS: &[Flag] = &[
    ("timeout", None, Takes::Value),
    ("watch", Some('w'), Takes::Bool),
    ("revision", None, Takes::Value),
    ("to-revision", None, Takes::Value),
    ("selector", Some('l'), Takes::Value),
    ("dry-run", None, Takes::Optional),
    ("output", Some('o'), Takes::Value),
];

const SUBCOMMANDS: &[&str] = &["history", "pause", "restart", "resume", "status", "undo"];

/// `kubectl rollout SUBCOMMAND TYPE NAME`.
pub fn run(args: &[String], ctx: &mut Ctx) -> Output {
    let sub_index = vu::first_word(args, FLAGS);
    let Some((i, sub)) = sub_index.and_then(|i| args.get(i).map(|s| (i, s.clone()))) else {
        return Output::ok(HELP);
    };
    if !SUBCOMMANDS.contains(&sub.as_str()) {
        return Output::fail(format!(
            "error: unknown command \"{sub}\" for \"kubectl rollout\"\n"
        ));
    }
    let mut rest = args.to_vec();
    rest.remove(i);
    let path = format!("kubectl rollout {sub}");
    let p = match vu::parse(&path, &rest, FLAGS, false) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if p.bool("help").unwrap_or(false) {
        return Output::ok(HELP);
    }
    // Each subcommand defines its own flags; a flag of another one is unknown here.
    let allowed: &[&str] = match sub.as_str() {
        "status" => &["timeout", "watch", "revision", "selector"],
        "history" => &["revision", "selector", "output"],
        "undo" => &["to-revision", "selector", "dry-run", "output"],
        _ => &["selector", "output"],
    };
    if let Some(bad) = p
        .flags
        .keys()
        .find(|k| !allowed.contains(k) && !matches!(**k, "namespace" | "help"))
    {
        return vu::flag_error(&path, &format!("unknown flag: --{bad}"));
    }
    if p.positional.is_empty() {
        return usage_error(&path, "required resource not specified");
    }
    let targets = match vu::resolve(
        ctx,
        &p.positional,
        &p.namespace(),
        p.value("selector"),
        false,
    ) {
        Ok(t) => t,
        Err(out) => return out,
    };
    let mut out = Output::default();
    for t in targets {
        let one = if t.info.plural != "deployments" {
            error(&format!(
                "{} is not a Deployment: this sandbox rolls out Deployments only",
                t.reference()
            ))
        } else {
            match sub.as_str() {
                "status" => status(ctx, &p, &t),
                "history" => history(ctx, &p, &t),
                "undo" => undo(ctx, &p, &t),
                "pause" => pause_resume(ctx, &t, true),
                "resume" => pause_resume(ctx, &t, false),
                _ => restart(ctx, &t),
            }
        };
        out.stdout.push_str(&one.stdout);
        out.stderr.push_str(&one.stderr);
        out.exit_code = out.exit_code.max(one.exit_code);
    }
    out
}

/// The Deployment status viewer: the line to print, and whether the rollout is done.
pub fn status_line(d: &Value) -> Result<(String, bool), String> {
    let name = crate::sim::api::name(d);
    let generation = d
        .ptr("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let observed = du::status_i64(d, "observedGeneration");
    if generation > observed {
        return Ok((
            "Waiting for deployment spec update to be observed...\n".to_string(),
            false,
        ));
    }
    let timed_out = d
        .ptr("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            c.get("type").and_then(Value::as_str) == Some("Progressing")
                && c.get("reason").and_then(Value::as_str) == Some("ProgressDeadlineExceeded")
        });
    if timed_out {
        return Err(format!(
            "deployment \"{name}\" exceeded its progress deadline"
        ));
    }
    let spec_replicas = d.ptr("/spec/replicas").and_then(Value::as_i64);
    let updated = du::status_i64(d, "updatedReplicas");
    let replicas = du::status_i64(d, "replicas");
    let available = du::status_i64(d, "availableReplicas");
    if let Some(want) = spec_replicas.filter(|want| updated < *want) {
        return Ok((
            format!("Waiting for deployment \"{name}\" rollout to finish: {updated} out of {want} new replicas have been updated...\n"),
            false,
        ));
    }
    if replicas > updated {
        return Ok((
            format!(
                "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...\n",
                replicas - updated
            ),
            false,
        ));
    }
    if available < updated {
        return Ok((
            format!("Waiting for deployment \"{name}\" rollout to finish: {available} of {updated} updated replicas are available...\n"),
            false,
        ));
    }
    Ok((
        format!("deployment \"{name}\" successfully rolled out\n"),
        true,
    ))
}

fn status(ctx: &mut Ctx, p: &vu::Parsed, t: &Target) -> Output {
    let path = "kubectl rollout status";
    let limit_ticks = match p.value("timeout") {
        None => STATUS_CAP_TICKS,
        Some(text) => match vu::parse_duration_ticks(text) {
            // 0 means "wait forever" upstream; here forever is the cap.
            Some(0) => STATUS_CAP_TICKS,
            Some(t) => t.min(STATUS_CAP_TICKS),
            None => {
                return vu::flag_error(
                    path,
                    &format!("invalid argument \"{text}\" for \"--timeout\" flag: time: invalid duration \"{text}\""),
                )
            }
        },
    };
    let want_revision = match p.value("revision") {
        None => 0,
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n >= 0 => n,
            _ => {
                return vu::flag_error(
                    path,
                    &format!("invalid argument \"{text}\" for \"--revision\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax"),
                )
            }
        },
    };
    let watch = p.value("watch").is_none() || p.bool("watch").unwrap_or(true);
    let mut out = Output::default();
    let mut last = String::new();
    let mut waited_ticks: Ticks = 0;
    loop {
        let d = match vu::get(ctx, t) {
            Ok(d) => d,
            Err(text) => {
                out.stderr.push_str(&text);
                out.exit_code = 1;
                return out;
            }
        };
        if want_revision > 0 {
            let running = d
                .ptr(&format!(
                    "/metadata/annotations/{}",
                    du::REVISION_ANNOTATION.replace('/', "~1")
                ))
                .and_then(Value::as_str)
                .and_then(|r| r.parse::<i64>().ok())
                .unwrap_or(0);
            if running != want_revision {
                out.stderr.push_str(&format!(
                    "error: desired revision ({want_revision}) is different from the running revision ({running})\n"
                ));
                out.exit_code = 1;
                return out;
            }
        }
        match status_line(&d) {
            Err(e) => {
                out.stderr.push_str(&format!("error: {e}\n"));
                out.exit_code = 1;
                return out;
            }
            Ok((line, done)) => {
                if line != last {
                    out.stdout.push_str(&line);
                    last = line;
                }
                if done || !watch {
                    return out;
                }
            }
        }
        if waited_ticks >= limit_ticks {
            out.stderr
                .push_str("error: timed out waiting for the condition\n");
            out.exit_code = 1;
            return out;
        }
        ctx.backend.advance(POLL_TICKS);
        waited_ticks += POLL_TICKS;
    }
}

/// The Deployment's own ReplicaSets, by revision.
fn owned_replica_sets(ctx: &mut Ctx, d: &Value, ns: &str) -> Result<Vec<Value>, String> {
    let mut rss: Vec<Value> = vu::list(ctx, "replicasets", ns)?
        .into_iter()
        .filter(|rs| is_controlled_by(rs, d))
        .collect();
    rss.stable_sort_by_key(du::revision);
    Ok(rss)
}

fn history(ctx: &mut Ctx, p: &vu::Parsed, t: &Target) -> Output {
    let d = match vu::get(ctx, t) {
        Ok(d) => d,
        Err(text) => return Output::fail(text),
    };
    let ns = t.namespace.clone().unwrap_or_default();
    let rss = match owned_replica_sets(ctx, &d, &ns) {
        Ok(r) => r,
        Err(text) => return Output::fail(text),
    };
    if let Some(text) = p.value("revision") {
        let Ok(rev) = text.parse::<i64>() else {
            return vu::flag_error(
                "kubectl rollout history",
                &format!("invalid argument \"{text}\" for \"--revision\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax"),
            );
        };
        let Some(rs) = rss.iter().find(|rs| du::revision(rs) == rev) else {
            return error("unable to find the specified revision");
        };
        return Output::ok(format!(
            "{} with revision #{rev}\n{}\n",
            t.reference(),
            super::describe::tabwrite(&pod_template_text(
                rs.ptr("/spec/template").unwrap_or(&Value::Null)
            ))
        ));
    }
    if rss.is_empty() {
        return Output::ok(format!("{} \nNo rollout history found.\n", t.reference()));
    }
    let rows: Vec<(String, String)> = rss
        .iter()
        .map(|rs| {
            let cause = rs
                .ptr(&format!(
                    "/metadata/annotations/{}",
                    CHANGE_CAUSE_ANNOTATION.replace('/', "~1")
                ))
                .and_then(Value::as_str)
                .unwrap_or("<none>");
            (du::revision(rs).to_string(), cause.to_string())
        })
        .collect();
    // tabwriter with padding 2, as kubectl's history viewer writes it.
    let width = rows
        .iter()
        .map(|(r, _)| r.len())
        .chain(std::iter::once("REVISION".len()))
        .max()
        .unwrap_or(8)
        + 2;
    let mut text = format!("{} \n", t.reference());
    text.push_str(&format!("{:<width$}CHANGE-CAUSE\n", "REVISION"));
    for (rev, cause) in rows {
        text.push_str(&format!("{rev:<width$}{cause}\n"));
    }
    text.push('\n');
    Output::ok(text)
}

/// A pod template as `kubectl describe` prints it, for `rollout history --revision`.
fn pod_template_text(template: &Value) -> String {
    let mut text = String::from("Pod Template:\n");
    let labels = crate::sim::api::string_map(template.ptr("/metadata/labels"));
    let mut first = true;
    for (k, v) in &labels {
        if first {
            text.push_str(&format!("  Labels:\t{k}={v}\n"));
            first = false;
        } else {
            text.push_str(&format!("  \t{k}={v}\n"));
        }
    }
    if first {
        text.push_str("  Labels:\t<none>\n");
    }
    text.push_str("  Containers:\n");
    for c in template
        .ptr("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("");
        text.push_str(&format!("   {}:\n    Image:\t{}\n", s("name"), s("image")));
        let ports: Vec<String> = c
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| {
                format!(
                    "{}/{}",
                    p.get("containerPort").and_then(Value::as_i64).unwrap_or(0),
                    p.get("protocol").and_then(Value::as_str).unwrap_or("TCP")
                )
            })
            .collect();
        text.push_str(&format!(
            "    Port:\t{}\n",
            if ports.is_empty() {
                "<none>".to_string()
            } else {
                ports.join(", ")
            }
        ));
    }
    text
}

fn undo(ctx: &mut Ctx, p: &vu::Parsed, t: &Target) -> Output {
    let to_revision = match p.value("to-revision") {
        None => 0,
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n >= 0 => n,
            Ok(_) => return error("revision must be a positive integer"),
            Err(_) => {
                return vu::flag_error(
                    "kubectl rollout undo",
                    &format!("invalid argument \"{text}\" for \"--to-revision\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax"),
                )
            }
        },
    };
    let (dry, warning) = match vu::dry_run(p) {
        Ok(d) => d,
        Err(out) => return out,
    };
    let d = match vu::get(ctx, t) {
        Ok(d) => d,
        Err(text) => return Output::fail(text),
    };
    let ns = t.namespace.clone().unwrap_or_default();
    let rss = match owned_replica_sets(ctx, &d, &ns) {
        Ok(r) => r,
        Err(text) => return Output::fail(text),
    };
    let mut out = Output {
        stderr: warning,
        ..Output::default()
    };
    let patch = match undo_patch(&d, &rss, to_revision) {
        Ok(patch) => patch,
        Err(msg) if msg.starts_with("skipped rollback") => {
            out.stdout = format!("{} {msg}\n", t.reference());
            return out;
        }
        Err(msg) => {
            out.stderr.push_str(&format!("error: {msg}\n"));
            out.exit_code = 1;
            return out;
        }
    };
    if dry != vu::DryRun::Client {
        let body = undo_json_patch(&d, &rss, to_revision, &patch);
        if let Err(text) = vu::patch(ctx, t, PatchType::Json, body, dry, "kubectl") {
            out.stderr.push_str(&text);
            out.exit_code = 1;
            return out;
        }
    }
    out.stdout = format!("{} rolled back{}\n", t.reference(), dry.suffix());
    out
}

/// The JSON patch kubectl's rollbacker sends: replace `spec.template` with the old revision's
/// template (without its hash) and `metadata.annotations` with the copied ones. A merge patch
/// would turn the template's `creationTimestamp: null` into a deletion, so the template would
/// no longer match the old ReplicaSet's and the controller would make a new one.
fn undo_json_patch(d: &Value, rss: &[Value], to_revision: i64, merge: &Value) -> Value {
    let target = if to_revision == 0 {
        rss.len().checked_sub(2).and_then(|i| rss.get(i))
    } else {
        rss.iter().find(|rs| du::revision(rs) == to_revision)
    };
    let template = du::template_without_hash(
        target
            .and_then(|rs| rs.ptr("/spec/template"))
            .unwrap_or(&Value::Null),
    );
    let mut ops = vec![json!({"op": "replace", "path": "/spec/template", "value": template})];
    if let Some(copied) = merge
        .ptr("/metadata/annotations")
        .and_then(Value::as_object)
    {
        let mut annotations = d
            .ptr("/metadata/annotations")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (k, v) in copied {
            annotations.insert(k.clone(), v.clone());
        }
        ops.push(json!({"op": "add", "path": "/metadata/annotations", "value": annotations}));
    }
    Value::Array(ops)
}

fn pause_resume(ctx: &mut Ctx, t: &Target, pause: bool) -> Output {
    let d = match vu::get(ctx, t) {
        Ok(d) => d,
        Err(text) => return Output::fail(text),
    };
    let paused = d.ptr("/spec/paused").and_then(Value::as_bool) == Some(true);
    if paused == pause {
        // kubectl's patch would be empty: it says so and succeeds.
        let word = if pause {
            "already paused"
        } else {
            "already resumed"
        };
        return Output::ok(format!("{} {word}\n", t.reference()));
    }
    let body = json!({"spec": {"paused": if pause { Value::Bool(true) } else { Value::Null }}});
    match vu::patch(
        ctx,
        t,
        PatchType::Merge,
        body,
        vu::DryRun::None,
        "kubectl-rollout",
    ) {
        Ok(_) => Output::ok(format!(
            "{} {}\n",
            t.reference(),
            if pause { "paused" } else { "resumed" }
        )),
        Err(text) => Output::fail(text),
    }
}

fn restart(ctx: &mut Ctx, t: &Target) -> Output {
    let d = match vu::get(ctx, t) {
        Ok(d) => d,
        Err(text) => return Output::fail(text),
    };
    if d.ptr("/spec/paused").and_then(Value::as_bool) == Some(true) {
        return error(&format!(
            "deployments.apps \"{}\" can't restart paused deployment (run rollout resume first)",
            t.name
        ));
    }
    let now = rfc3339_from_unix(ctx.backend.unix_seconds());
    let body = json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT_ANNOTATION: now}}}}});
    match vu::patch(
        ctx,
        t,
        PatchType::StrategicMerge,
        body,
        vu::DryRun::None,
        "kubectl-rollout",
    ) {
        Ok(_) => Output::ok(format!("{} restarted\n", t.reference())),
        Err(text) => Output::fail(text),
    }
}

const HELP: &str = "Manage the rollout of one or many resources.

 Valid resource types include:

  *  deployments

Examples:
  # Rollback to the previous deployment
  kubectl rollout undo deployment/abc

  # Check the rollout status of a deployment
  kubectl rollout status deployment/abc

Available Commands:
  history       View rollout history
  pause         Mark the provided resource as paused
  restart       Restart a resource
  resume        Resume a paused resource
  status        Show the status of the rollout
  undo          Undo a previous rollout

Usage:
  kubectl rollout SUBCOMMAND [options]
";

#[cfg(test)]
mod tests {
    use super::*;

    fn d(spec: i64, gen: i64, observed: i64, replicas: i64, updated: i64, available: i64) -> Value {
        json!({"metadata": {"name": "web", "generation": gen},
               "spec": {"replicas": spec},
               "status": {"observedGeneration": observed, "replicas": replicas,
                          "updatedReplicas": updated, "availableReplicas": available}})
    }

    #[test]
    fn the_status_viewer_walks_through_kubectls_four_waiting_lines() {
        let cases = [
            (d(3, 2, 1, 3, 3, 3), "Waiting for deployment spec update to be observed...\n", false),
            (d(3, 2, 2, 4, 1, 3), "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...\n", false),
            (d(3, 2, 2, 4, 3, 3), "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...\n", false),
            (d(3, 2, 2, 3, 3, 1), "Waiting for deployment \"web\" rollout to finish: 1 of 3 updated replicas are available...\n", false),
            (d(3, 2, 2, 3, 3, 3), "deployment \"web\" successfully rolled out\n", true),
        ];
        for (obj, line, done) in cases {
            assert_eq!(status_line(&obj).unwrap(), (line.to_string(), done));
        }
    }

    #[test]
    fn a_deployment_past_its_progress_deadline_is_an_error() {
        let mut obj = d(3, 1, 1, 3, 3, 0);
        obj["status"]["conditions"] = json!([{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]);
        assert_eq!(
            status_line(&obj).unwrap_err(),
            "deployment \"web\" exceeded its progress deadline"
        );
    }
}
