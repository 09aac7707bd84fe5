//! `kubectl label` and `kubectl annotate`: add, overwrite or remove keys in an object's
//! `metadata.labels` / `metadata.annotations`.
//!
//! Mirrors: kubectl v1.32 `pkg/cmd/label` and `pkg/cmd/annotate`: `KEY=VAL` and `KEY-`
//! arguments after the resources, `--overwrite`, `-l`, `--all`, `--dry-run`, the errors
//! (`'gpu' already has a value (true), and --overwrite is false`, `at least one label update is
//! required`) and the result words (`labeled`, `unlabeled`, `not labeled`, `annotated`,
//! `label "x" not found.`). The change goes to the apiserver as a JSON merge patch.
//! Simplified: no `--list`, `--resource-version`, `--field-selector` or `-f`.

use crate::sim::api::JsonPointer;
use serde_json::{Map, Value};

use super::cmd::Ctx;
use super::verb_util::{self as vu, error, usage_error, DryRun, Flag, Takes};
use super::Output;
use crate::sim::apiserver::patch::merge_patch;
use crate::sim::apiserver::request::PatchType;

/// Which map the command edits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum What {
    Labels,
    Annotations,
}

impl What {
    fn command(self) -> &'static str {
        match self {
            What::Labels => "label",
            What::Annotations => "annotate",
        }
    }

    fn field(self) -> &'static str {
        match self {
            What::Labels => "labels",
            What::Annotations => "annotations",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            What::Labels => "label",
            What::Annotations => "annotation",
        }
    }
}

const FLAGS: &[Flag] = &[
    ("overwrite", None, Takes::Bool),
    ("selector", Some('l'), Takes::Value),
    ("all", None, Takes::Bool),
    ("all-namespaces", Some('A'), Takes::Bool),
    ("dry-run", None, Takes::Optional),
    ("output", Some('o'), Takes::Value),
];

/// The updates a line asks for: keys to set, keys to remove.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Updates {
    pub set: Vec<(String, String)>,
    pub remove: Vec<String>,
}

/// `KEY=VAL` and `KEY-` into updates (kubectl's `parseLabels` / `parseAnnotations`).
pub fn parse_updates(args: &[String], what: What) -> Result<Updates, String> {
    let mut out = Updates::default();
    for arg in args {
        if let Some((k, v)) = arg.split_once('=') {
            if k.is_empty() || (what == What::Labels && v.contains('=')) {
                return Err(format!("invalid {} format: {arg}", what.noun()));
            }
            out.set.push((k.to_string(), v.to_string()));
        } else if let Some(k) = arg.strip_suffix('-').filter(|k| !k.is_empty()) {
            out.remove.push(k.to_string());
        } else {
            return Err(format!("invalid {} format: {arg}", what.noun()));
        }
    }
    for k in &out.remove {
        if out.set.iter().any(|(s, _)| s == k) {
            return Err(format!(
                "can not both modify and remove {} in the same command",
                match what {
                    What::Labels => "a label",
                    What::Annotations => "an annotation",
                }
            ));
        }
    }
    Ok(out)
}

/// The merge patch for `updates` against the object's current map, or the overwrite error.
pub fn update_patch(
    current: &Map<String, Value>,
    updates: &Updates,
    overwrite: bool,
) -> Result<Map<String, Value>, String> {
    let mut patch = Map::new();
    for (k, v) in &updates.set {
        if let Some(old) = current.get(k).and_then(Value::as_str) {
            if !overwrite && old != v {
                return Err(format!(
                    "'{k}' already has a value ({old}), and --overwrite is false"
                ));
            }
        }
        patch.insert(k.clone(), Value::String(v.clone()));
    }
    for k in &updates.remove {
        patch.insert(k.clone(), Value::Null);
    }
    Ok(patch)
}

/// `kubectl label|annotate TYPE NAME KEY=VAL ... KEY-`.
pub fn run(args: &[String], ctx: &mut Ctx, what: What) -> Output {
    let path = format!("kubectl {}", what.command());
    let p = match vu::parse(&path, args, FLAGS, false) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if p.bool("help").unwrap_or(false) {
        return Output::ok(match what {
            What::Labels => LABEL_HELP,
            What::Annotations => ANNOTATE_HELP,
        });
    }
    let format = match vu::output_format(&p) {
        Ok(f) => f,
        Err(out) => return out,
    };
    let (dry, warning) = match vu::dry_run(&p) {
        Ok(d) => d,
        Err(out) => return out,
    };
    // kubectl takes the first word with `=` or a trailing `-` as the start of the updates.
    let split = p
        .positional
        .iter()
        .position(|a| a.contains('=') || (a.ends_with('-') && a.len() > 1))
        .unwrap_or(p.positional.len());
    let (resources, update_args) = p.positional.split_at(split);
    if update_args.is_empty() {
        return usage_error(
            &path,
            &format!("at least one {} update is required", what.noun()),
        );
    }
    let updates = match parse_updates(update_args, what) {
        Ok(u) => u,
        Err(e) => return error(&e),
    };
    if resources.is_empty() {
        return error(
            "one or more resources must be specified as <resource> <name> or <resource>/<name>",
        );
    }
    let all = p.bool("all").unwrap_or(false);
    let selector = p.value("selector");
    if all && selector.is_some() {
        return error("cannot set --all and --selector at the same time");
    }
    let overwrite = p.bool("overwrite").unwrap_or(false);
    let targets = match vu::resolve(ctx, resources, &p.namespace(), selector, all) {
        Ok(t) => t,
        Err(out) => return out,
    };
    let mut out = Output {
        stderr: warning,
        ..Output::default()
    };
    for target in targets {
        let Some(obj) = out.keep(vu::get(ctx, &target)) else {
            continue;
        };
        let current = obj
            .ptr(&format!("/metadata/{}", what.field()))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let patch = match update_patch(&current, &updates, overwrite) {
            Ok(p) => p,
            Err(e) => {
                out.stderr.push_str(&format!("error: {e}\n"));
                out.exit_code = 1;
                continue;
            }
        };
        if what == What::Labels {
            for k in &updates.remove {
                if !current.contains_key(k) {
                    out.stdout.push_str(&format!("label \"{k}\" not found.\n"));
                }
            }
        }
        let body = serde_json::json!({"metadata": {what.field(): patch}});
        let after = match dry {
            DryRun::Client => merge_patch(&obj, &body),
            _ => match vu::patch(
                ctx,
                &target,
                PatchType::Merge,
                body,
                dry,
                &format!("kubectl-{}", what.command()),
            ) {
                Ok(o) => o,
                Err(text) => {
                    out.stderr.push_str(&text);
                    out.exit_code = 1;
                    continue;
                }
            },
        };
        let after_map = after
            .ptr(&format!("/metadata/{}", what.field()))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let word = match what {
            What::Annotations => "annotated",
            // kubectl compares the maps' JSON: a shorter map without --overwrite is "unlabeled".
            What::Labels if after_map == current => "not labeled",
            What::Labels if !overwrite && after_map.len() < current.len() => "unlabeled",
            What::Labels => "labeled",
        };
        out.stdout.push_str(&vu::print_result(
            &after,
            &target.reference(),
            &format,
            &format!("{word}{}", dry.suffix()),
        ));
    }
    out
}

const LABEL_HELP: &str = "Update the labels on a resource.

  *  A label key and value must begin with a letter or number, and may contain letters, numbers, hyphens, dots, and underscores, up to 63 characters each.
  *  If --overwrite is true, then existing labels can be overwritten, otherwise attempting to overwrite a label will result in an error.

Examples:
  # Update pod 'foo' with the label 'unhealthy' and the value 'true'
  kubectl label pods foo unhealthy=true

  # Update pod 'foo' with the label 'status' and the value 'unhealthy', overwriting any existing value
  kubectl label --overwrite pods foo status=unhealthy

  # Update all pods in the namespace
  kubectl label pods --all status=unhealthy

  # Update pod 'foo' by removing a label named 'bar' if it exists
  kubectl label pods foo bar-

Usage:
  kubectl label [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N [--resource-version=version] [options]
";

const ANNOTATE_HELP: &str = "Update the annotations on one or more resources.

Examples:
  # Update pod 'foo' with the annotation 'description' and the value 'my frontend'
  kubectl annotate pods foo description='my frontend'

  # Update pod 'foo' by removing an annotation named 'description' if it exists
  kubectl annotate pods foo description-

Usage:
  kubectl annotate [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N [--resource-version=version] [options]
";

#[cfg(test)]
mod tests {
    use super::*;

    fn s(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn updates_are_parsed_from_key_value_and_key_dash_words() {
        let u = parse_updates(&s(&["gpu=true", "old-"]), What::Labels).unwrap();
        assert_eq!(u.set, vec![("gpu".to_string(), "true".to_string())]);
        assert_eq!(u.remove, vec!["old".to_string()]);
        assert_eq!(
            parse_updates(&s(&["a=1", "a-"]), What::Labels).unwrap_err(),
            "can not both modify and remove a label in the same command"
        );
        assert!(parse_updates(&s(&["=x"]), What::Labels).is_err());
        // Annotation values may hold '=' (URLs, JSON).
        assert!(parse_updates(&s(&["a=b=c"]), What::Annotations).is_ok());
    }

    #[test]
    fn changing_a_label_needs_overwrite_but_setting_the_same_value_does_not() {
        let mut current = Map::new();
        current.insert("gpu".into(), Value::String("true".into()));
        let change = Updates {
            set: vec![("gpu".into(), "false".into())],
            remove: vec![],
        };
        assert_eq!(
            update_patch(&current, &change, false).unwrap_err(),
            "'gpu' already has a value (true), and --overwrite is false"
        );
        assert!(update_patch(&current, &change, true).is_ok());
        let same = Updates {
            set: vec![("gpu".into(), "true".into())],
            remove: vec![],
        };
        assert!(update_patch(&current, &same, false).is_ok());
    }
}
