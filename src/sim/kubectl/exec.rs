//! `kubectl exec POD [-c C] -- CMD ...`: runs one command in a running container.
//!
//! Mirrors: kubectl v1.32 `exec` (the `--` rule, `Defaulted container`, `command terminated
//! with exit code N`) over the CRI's ExecSync, run by the container's own interpreter
//! (`crate::sim::runtime::apps`: `cat`, `echo`, `env`, `hostname`, `ls`, `ps`, ...).
//! Simplified: no interactive session: `-it` is accepted and the command runs to completion.

use crate::sim::api::JsonPointer;
use serde_json::Value;

use super::cmd::Ctx;
use super::logs::{default_container, resolve_pod, str_at, usage_error};
use super::verb_util::{parse, Flag, Takes};
use super::Output;

const EXEC_FLAGS: &[Flag] = &[
    ("container", Some('c'), Takes::Value),
    ("stdin", Some('i'), Takes::Bool),
    ("tty", Some('t'), Takes::Bool),
    ("quiet", Some('q'), Takes::Bool),
];

/// `kubectl exec ARGS...` (without `exec`).
pub fn run(args: &[String], ctx: &mut Ctx) -> Output {
    let a = match parse("kubectl exec", args, EXEC_FLAGS, true) {
        Ok(a) => a,
        Err(out) => return out,
    };
    if a.has("help") {
        return Output::ok(
            "Execute a command in a container.\n\nExamples:\n  kubectl exec web -- ls /usr/share/nginx/html\n  kubectl exec web -c nginx -- env\n",
        );
    }
    let Some(target) = a.positional.first() else {
        return usage_error(
            "exec",
            "expected 'exec (POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...]'.\nPOD or TYPE/NAME is a required argument for the exec command",
        );
    };
    if a.positional.len() > 1 {
        return Output::fail(
            "error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\nSee 'kubectl exec -h' for help and examples\n",
        );
    }
    let command = a.after_dashdash.clone().unwrap_or_default();
    if command.is_empty() {
        return Output::fail("error: you must specify at least one command for the container\n");
    }
    let mut notes = String::new();
    let pod = match resolve_pod(ctx, &a.namespace(), target, &mut notes) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let phase = str_at(&pod, "/status/phase");
    if phase == "Succeeded" || phase == "Failed" {
        return Output::fail(format!(
            "{notes}error: cannot exec into a container in a completed pod; current phase is {phase}\n"
        ));
    }
    let container = match a.value("container") {
        Some(c) => c.to_string(),
        None => match default_container(&pod, &mut notes) {
            Some(c) => c,
            None => return Output::fail("error: pod has no containers\n"),
        },
    };
    let pod_name = str_at(&pod, "/metadata/name");
    let exists = pod
        .ptr("/spec/containers")
        .and_then(Value::as_array)
        .is_some_and(|cs| cs.iter().any(|c| str_at(c, "/name") == container));
    if !exists {
        return Output::fail(format!(
            "{notes}Error from server (BadRequest): container {container} is not valid for pod {pod_name}\n"
        ));
    }
    let running_id = pod
        .ptr("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|ss| ss.iter().find(|s| str_at(s, "/name") == container))
        .filter(|s| s.ptr("/state/running").is_some())
        .and_then(|s| {
            str_at(s, "/containerID")
                .split_once("://")
                .map(|(_, id)| id.to_string())
        });
    let Some(id) = running_id else {
        return Output::fail(format!(
            "{notes}error: unable to upgrade connection: container not found (\"{container}\")\n"
        ));
    };
    let node = str_at(&pod, "/spec/nodeName").to_string();
    let now = ctx.backend.now_ticks();
    let Some(runtime) = ctx.backend.node(&node).and_then(|h| h.runtime()) else {
        return Output::fail(format!(
            "{notes}error: unable to upgrade connection: container not found (\"{container}\")\n"
        ));
    };
    let result = runtime.borrow_mut().exec_sync(&id, &command, now);
    match result {
        Ok(r) => {
            let mut out = Output {
                stdout: r.stdout,
                stderr: notes + &r.stderr,
                exit_code: r.exit_code,
                ..Output::default()
            };
            if r.exit_code != 0 {
                out.stderr.push_str(&format!(
                    "command terminated with exit code {}\n",
                    r.exit_code
                ));
            }
            out
        }
        Err(e) => Output::fail(format!(
            "{notes}error: Internal error occurred: error executing command in container: {e}\n"
        )),
    }
}
