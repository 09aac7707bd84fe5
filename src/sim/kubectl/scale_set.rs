//! `kubectl scale`, `kubectl set image` and `kubectl patch`: the verbs that change one field of
//! a workload in place.
//!
//! Mirrors: kubectl v1.32 `pkg/cmd/scale` (`--replicas`, `--current-replicas`, `-l`, `--all`,
//! `deployment.apps/web scaled`), `pkg/cmd/set/set_image.go` (`CONTAINER=IMAGE`, `*=IMAGE`,
//! `unable to find container named "x"`, nothing printed when the image is already set) and
//! `pkg/cmd/patch` (`-p`, `--patch-file`, `--type=strategic|merge|json`, `patched` /
//! `patched (no change)`).
//! Simplified: scale patches `spec.replicas` on the object itself rather than going through the
//! `scale` subresource (same effect, one request); no `--resource-version`, `--timeout`, `-f`.

use crate::sim::api::JsonPointer;
use serde_json::{json, Value};

use super::cmd::Ctx;
use super::verb_util::{self as vu, error, usage_error, DryRun, Flag, Takes};
use super::Output;
use crate::sim::apiserver::patch::{json_patch, merge_patch, strategic_merge_patch};
use crate::sim::apiserver::request::PatchType;

const SCALE_FLAGS: &[Flag] = &[
    ("replicas", None, Takes::Value),
    ("current-replicas", None, Takes::Value),
    ("selector", Some('l'), Takes::Value),
    ("all", None, Takes::Bool),
    ("dry-run", None, Takes::Optional),
    ("output", Some('o'), Takes::Value),
];

/// Kinds with a `scale` subresource in this cluster.
const SCALABLE: &[&str] = &[
    "deployments",
    "replicasets",
    "replicationcontrollers",
    "statefulsets",
];

fn int_flag(path: &str, p: &vu::Parsed, long: &str) -> Result<Option<i64>, Output> {
    match p.value(long) {
        None => Ok(None),
        Some(text) => text.parse::<i32>().map(|n| Some(i64::from(n))).map_err(|_| {
            vu::flag_error(
                path,
                &format!("invalid argument \"{text}\" for \"--{long}\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax"),
            )
        }),
    }
}

/// `kubectl scale TYPE NAME --replicas=N`.
pub fn scale(args: &[String], ctx: &mut Ctx) -> Output {
    const PATH: &str = "kubectl scale";
    let p = match vu::parse(PATH, args, SCALE_FLAGS, false) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if p.bool("help").unwrap_or(false) {
        return Output::ok(SCALE_HELP);
    }
    let format = match vu::output_format(&p) {
        Ok(f) => f,
        Err(out) => return out,
    };
    let (dry, warning) = match vu::dry_run(&p) {
        Ok(d) => d,
        Err(out) => return out,
    };
    let replicas = match int_flag(PATH, &p, "replicas") {
        Ok(r) => r.unwrap_or(-1),
        Err(out) => return out,
    };
    let current = match int_flag(PATH, &p, "current-replicas") {
        Ok(r) => r.unwrap_or(-1),
        Err(out) => return out,
    };
    if replicas < 0 {
        return error(
            "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0",
        );
    }
    if p.positional.is_empty() {
        return usage_error(PATH, "You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'");
    }
    let all = p.bool("all").unwrap_or(false);
    let targets = match vu::resolve(ctx, &p.positional, &p.namespace(), p.value("selector"), all) {
        Ok(t) => t,
        Err(out) => return out,
    };
    if targets.is_empty() {
        return Output::fail("No resources found\n");
    }
    let mut out = Output {
        stderr: warning,
        ..Output::default()
    };
    for t in targets {
        if !SCALABLE.contains(&t.info.plural) {
            // The apiserver has no `scale` subresource for this kind.
            out.stderr.push_str(
                "Error from server (NotFound): the server could not find the requested resource\n",
            );
            out.exit_code = 1;
            continue;
        }
        let Some(obj) = out.keep(vu::get(ctx, &t)) else {
            continue;
        };
        let now = obj
            .ptr("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        if current >= 0 && current != now {
            out.stderr.push_str(&format!(
                "error: Expected replicas to be {current}, was {now}\n"
            ));
            out.exit_code = 1;
            continue;
        }
        let body = json!({"spec": {"replicas": replicas}});
        let after = match dry {
            DryRun::Client => merge_patch(&obj, &body),
            _ => match out.keep(vu::patch(
                ctx,
                &t,
                PatchType::Merge,
                body,
                dry,
                // kubectl scale names no field manager: the apiserver takes its user agent's.
                "kubectl",
            )) {
                Some(o) => o,
                None => continue,
            },
        };
        out.stdout.push_str(&vu::print_result(
            &after,
            &t.reference(),
            &format,
            &format!("scaled{}", dry.suffix()),
        ));
    }
    out
}

const SET_IMAGE_FLAGS: &[Flag] = &[
    ("selector", Some('l'), Takes::Value),
    ("all", None, Takes::Bool),
    ("dry-run", None, Takes::Optional),
    ("output", Some('o'), Takes::Value),
];

/// `kubectl set SUBCOMMAND ...`: only `image` here.
pub fn set(args: &[String], ctx: &mut Ctx) -> Output {
    let sub = vu::first_word(args, &[]);
    match sub.and_then(|i| args.get(i).map(|s| (i, s.as_str()))) {
        Some((i, "image")) => {
            let mut rest = args.to_vec();
            rest.remove(i);
            set_image(&rest, ctx)
        }
        Some((_, other @ ("env" | "resources" | "selector" | "serviceaccount" | "subject"))) => {
            Output::fail(format!(
                "error: \"kubectl set {other}\" is a real kubectl command that this sandbox does not run yet\n"
            ))
        }
        Some((_, other)) => Output::fail(format!(
            "error: unknown command \"{other}\" for \"kubectl set\"\n\nDid you mean this?\n\timage\n\n"
        )),
        None => Output::ok(SET_HELP),
    }
}

/// Sets `image` on the containers named `name` (`*`: all) in a pod spec; true when found.
fn set_container_image(spec: &mut Value, name: &str, image: &str) -> bool {
    let mut found = false;
    for list in ["initContainers", "containers"] {
        if let Some(cs) = spec.get_mut(list).and_then(Value::as_array_mut) {
            for c in cs {
                if name == "*" || c.get("name").and_then(Value::as_str) == Some(name) {
                    c["image"] = json!(image);
                    found = true;
                }
            }
        }
    }
    found
}

fn set_image(args: &[String], ctx: &mut Ctx) -> Output {
    const PATH: &str = "kubectl set image";
    let p = match vu::parse(PATH, args, SET_IMAGE_FLAGS, false) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if p.bool("help").unwrap_or(false) {
        return Output::ok(SET_HELP);
    }
    let format = match vu::output_format(&p) {
        Ok(f) => f,
        Err(out) => return out,
    };
    let (dry, warning) = match vu::dry_run(&p) {
        Ok(d) => d,
        Err(out) => return out,
    };
    let split = p
        .positional
        .iter()
        .position(|a| a.contains('='))
        .unwrap_or(p.positional.len());
    let (resources, image_args) = p.positional.split_at(split);
    if image_args.is_empty() {
        return error("at least one image update is required");
    }
    let mut images = Vec::new();
    for a in image_args {
        match a.split_once('=') {
            Some((c, i)) if !c.is_empty() && !i.is_empty() => {
                images.push((c.to_string(), i.to_string()))
            }
            _ => return error(&format!("invalid image format: {a}")),
        }
    }
    if resources.is_empty() {
        return usage_error(
            PATH,
            "one or more resources must be specified as <resource> <name> or <resource>/<name>",
        );
    }
    let all = p.bool("all").unwrap_or(false);
    let targets = match vu::resolve(ctx, resources, &p.namespace(), p.value("selector"), all) {
        Ok(t) => t,
        Err(out) => return out,
    };
    let mut out = Output {
        stderr: warning,
        ..Output::default()
    };
    for t in targets {
        let Some(pointer) = vu::pod_spec_pointer(t.info) else {
            out.stderr.push_str(&format!(
                "error: {} is not a pod template: only pods and workloads have images\n",
                t.reference()
            ));
            out.exit_code = 1;
            continue;
        };
        let Some(obj) = out.keep(vu::get(ctx, &t)) else {
            continue;
        };
        let mut changed = obj.clone();
        let Some(spec) = changed.pointer_mut(pointer) else {
            continue;
        };
        let mut missing = None;
        for (container, image) in &images {
            if !set_container_image(spec, container, image) {
                missing = Some(container.clone());
            }
        }
        if let Some(name) = missing {
            out.stderr.push_str(&format!(
                "error: unable to find container named \"{name}\"\n"
            ));
            out.exit_code = 1;
            continue;
        }
        if changed == obj {
            // kubectl skips an empty patch without a word.
            continue;
        }
        let body = json!({ "spec": strip_to_containers(&changed, pointer) });
        let after = match dry {
            DryRun::Client => changed,
            _ => match out.keep(vu::patch(
                ctx,
                &t,
                PatchType::StrategicMerge,
                body,
                dry,
                "kubectl-set",
            )) {
                Some(o) => o,
                None => continue,
            },
        };
        out.stdout.push_str(&vu::print_result(
            &after,
            &t.reference(),
            &format,
            &format!("image updated{}", dry.suffix()),
        ));
    }
    out
}

/// The strategic patch body under `spec` that carries only the containers' names and images.
fn strip_to_containers(obj: &Value, pointer: &str) -> Value {
    let spec = obj.ptr(pointer).cloned().unwrap_or(Value::Null);
    let mut pod_spec = serde_json::Map::new();
    for list in ["initContainers", "containers"] {
        if let Some(cs) = spec.get(list).and_then(Value::as_array) {
            let slim: Vec<Value> = cs
                .iter()
                .map(|c| json!({"name": c.get("name"), "image": c.get("image")}))
                .collect();
            pod_spec.insert(list.to_string(), Value::Array(slim));
        }
    }
    // `/spec/template/spec` → {"template": {"spec": ...}}; `/spec` → the pod spec itself.
    let mut body = Value::Object(pod_spec);
    let inner: Vec<&str> = pointer
        .trim_start_matches("/spec")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    for key in inner.iter().rev() {
        body = json!({ *key: body });
    }
    body
}

const PATCH_FLAGS: &[Flag] = &[
    ("patch", Some('p'), Takes::Value),
    ("patch-file", None, Takes::Value),
    ("type", None, Takes::Value),
    ("dry-run", None, Takes::Optional),
    ("output", Some('o'), Takes::Value),
    ("subresource", None, Takes::Value),
];

/// `kubectl patch TYPE NAME -p PATCH [--type=strategic|merge|json]`.
pub fn patch(args: &[String], ctx: &mut Ctx) -> Output {
    const PATH: &str = "kubectl patch";
    let p = match vu::parse(PATH, args, PATCH_FLAGS, false) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if p.bool("help").unwrap_or(false) {
        return Output::ok(PATCH_HELP);
    }
    let format = match vu::output_format(&p) {
        Ok(f) => f,
        Err(out) => return out,
    };
    let (dry, warning) = match vu::dry_run(&p) {
        Ok(d) => d,
        Err(out) => return out,
    };
    let patch_type = match p.value("type").unwrap_or("strategic") {
        "strategic" => PatchType::StrategicMerge,
        "merge" => PatchType::Merge,
        "json" => PatchType::Json,
        other => {
            return error(&format!(
                "--type must be one of [json merge strategic], not \"{other}\""
            ))
        }
    };
    let text = match (p.value("patch"), p.value("patch-file")) {
        (Some(_), Some(_)) => return error("cannot specify --patch and --patch-file together"),
        (Some(t), None) => t.to_string(),
        (None, Some(file)) => match (ctx.read_file)(file) {
            Some(t) => t,
            None => {
                return error(&format!(
                    "unable to read patch file: open {file}: no such file or directory"
                ))
            }
        },
        (None, None) => {
            return usage_error(
                PATH,
                "must specify --patch or --patch-file containing the contents of the patch",
            )
        }
    };
    // kubectl reads the patch as YAML (a superset of JSON) and sends it as JSON.
    let body = match crate::sim::api::decode::decode_documents(&text) {
        Ok(mut docs) if docs.len() == 1 => docs.pop().unwrap_or(Value::Null),
        Ok(_) => {
            return error(&format!(
                "unable to parse \"{text}\": not a single document"
            ))
        }
        Err(e) => return error(&format!("unable to parse \"{text}\": {e}")),
    };
    let shape_ok = match patch_type {
        PatchType::Json => body.is_array(),
        _ => body.is_object(),
    };
    if !shape_ok {
        return error(&format!(
            "unable to parse \"{text}\": json: cannot unmarshal {} into Go value of type {}",
            match &body {
                Value::Array(_) => "array",
                Value::Object(_) => "object",
                Value::String(_) => "string",
                Value::Number(_) => "number",
                Value::Bool(_) => "bool",
                Value::Null => "null",
            },
            if patch_type == PatchType::Json {
                "jsonpatch.Patch"
            } else {
                "map[string]interface {}"
            }
        ));
    }
    if p.positional.is_empty() {
        return usage_error(PATH, "You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'");
    }
    let targets = match vu::resolve(ctx, &p.positional, &p.namespace(), None, false) {
        Ok(t) => t,
        Err(out) => return out,
    };
    let mut out = Output {
        stderr: warning,
        ..Output::default()
    };
    for t in targets {
        let Some(before) = out.keep(vu::get(ctx, &t)) else {
            continue;
        };
        let after = if dry == DryRun::Client {
            let applied = match patch_type {
                PatchType::Merge => Ok(merge_patch(&before, &body)),
                // `--type` offers no apply: it never reaches here.
                PatchType::StrategicMerge | PatchType::Apply { .. } => {
                    strategic_merge_patch(&before, &body)
                }
                PatchType::Json => json_patch(&before, &body),
            };
            match applied {
                Ok(o) => o,
                Err(e) => {
                    out.stderr.push_str(&format!("error: {e}\n"));
                    out.exit_code = 1;
                    continue;
                }
            }
        } else if let Some(sub) = p.value("subresource") {
            if sub != "status" {
                out.stderr.push_str(&format!(
                    "error: invalid subresource value: \"{sub}\". Must be one of [status scale]\n"
                ));
                out.exit_code = 1;
                continue;
            }
            let mut req = vu::admin(crate::sim::apiserver::request::Verb::Patch, t.info)
                .name(t.name.clone())
                .subresource("status")
                .patch(patch_type, body.clone());
            req.dry_run = dry == DryRun::Server;
            req.field_manager = Some("kubectl-patch".into());
            if let Some(ns) = &t.namespace {
                req = req.namespace(ns.clone());
            }
            match ctx.call(req) {
                Ok(r) => r.body,
                Err(e) => {
                    out.stderr.push_str(&super::errors::api_error_text(&e));
                    out.exit_code = 1;
                    continue;
                }
            }
        } else {
            match out.keep(vu::patch(
                ctx,
                &t,
                patch_type,
                body.clone(),
                dry,
                "kubectl-patch",
            )) {
                Some(o) => o,
                None => continue,
            }
        };
        let word = if same_object(&before, &after) {
            "patched (no change)"
        } else {
            "patched"
        };
        out.stdout.push_str(&vu::print_result(
            &after,
            &t.reference(),
            &format,
            &format!("{word}{}", dry.suffix()),
        ));
    }
    out
}

/// kubectl's `DeepEqual(before, after)`, blind to what the apiserver stamps on every write.
fn same_object(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("resourceVersion");
            m.remove("managedFields");
        }
        v
    };
    strip(a) == strip(b)
}

const SCALE_HELP: &str = "Set a new size for a deployment, replica set, replication controller, or stateful set.

Examples:
  # Scale a replica set named 'foo' to 3
  kubectl scale --replicas=3 rs/foo

  # If the deployment named mysql's current size is 2, scale mysql to 3
  kubectl scale --current-replicas=2 --replicas=3 deployment/mysql

Usage:
  kubectl scale [--resource-version=version] [--current-replicas=count] --replicas=COUNT (-f FILENAME | TYPE NAME) [options]
";

const SET_HELP: &str = "Configure application resources.

 These commands help you make changes to existing application resources.

Available Commands (in this sandbox):
  image           Update the image of a pod template

Examples:
  # Set a deployment's nginx container image to 'nginx:1.9.1', and its busybox container image to 'busybox'
  kubectl set image deployment/nginx busybox=busybox nginx=nginx:1.9.1

  # Update image of all containers of deployment frontend to 'nginx:1.9.1'
  kubectl set image deployments frontend *=nginx:1.9.1

Usage:
  kubectl set image (-f FILENAME | TYPE NAME) CONTAINER_NAME_1=CONTAINER_IMAGE_1 ... CONTAINER_NAME_N=CONTAINER_IMAGE_N [options]
";

const PATCH_HELP: &str = "Update fields of a resource using strategic merge patch, a JSON merge patch, or a JSON patch.

Examples:
  # Partially update a node using a strategic merge patch, specifying the patch as JSON
  kubectl patch node k8s-node-1 -p '{\"spec\":{\"unschedulable\":true}}'

  # Update a container's image using a JSON patch with positional arrays
  kubectl patch pod valid-pod --type='json' -p='[{\"op\": \"replace\", \"path\": \"/spec/containers/0/image\", \"value\":\"new image\"}]'

Usage:
  kubectl patch (-f FILENAME | TYPE NAME) [-p PATCH|--patch-file FILE] [options]
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_image_patches_only_names_and_images_under_the_template() {
        let d = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]}}}});
        assert_eq!(
            strip_to_containers(&d, "/spec/template/spec"),
            json!({"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}})
        );
        let pod = json!({"spec": {"containers": [{"name": "a", "image": "x"}]}});
        assert_eq!(
            strip_to_containers(&pod, "/spec"),
            json!({"containers": [{"name": "a", "image": "x"}]})
        );
    }

    #[test]
    fn a_star_sets_every_container_and_an_unknown_name_is_not_found() {
        let mut spec =
            json!({"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]});
        assert!(set_container_image(&mut spec, "*", "z"));
        assert_eq!(spec["containers"][1]["image"], "z");
        assert!(!set_container_image(&mut spec, "c", "z"));
    }

    #[test]
    fn a_patch_that_only_bumps_the_resource_version_is_no_change() {
        let a = json!({"metadata": {"name": "w", "resourceVersion": "5"}, "spec": {"replicas": 1}});
        let b = json!({"metadata": {"name": "w", "resourceVersion": "6"}, "spec": {"replicas": 1}});
        assert!(same_object(&a, &b));
        let c = json!({"metadata": {"name": "w"}, "spec": {"replicas": 2}});
        assert!(!same_object(&a, &c));
    }
}
