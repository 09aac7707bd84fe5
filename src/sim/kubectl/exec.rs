//! `kubectl exec POD [-c C] -- CMD ...`: runs one command in a running container.
//!
//! Mirrors: kubectl v1.32 `exec` (the `--` rule, `Defaulted container`, `command terminated
//! with exit code N`) over the CRI's ExecSync, run by the container's own interpreter
//! (`crate::sim::runtime::apps`: `cat`, `echo`, `env`, `hostname`, `ls`, `ps`, ...).
//! Simplified: no interactive session: `-it` is accepted and the command runs to completion;
//! `-i` hands the command the line's whole stdin (a pipe or a heredoc) at once.

use crate::sim::api::JsonPointer;
use serde_json::Value;

use crate::sim::clock::Ticks;
use crate::sim::kubelet::failures::NodeHandle;
use crate::sim::runtime::apps::ExecResult;
use crate::sim::runtime::Runtime;
use std::cell::RefCell;
use std::rc::Rc;

use super::cmd::Ctx;
use super::logs::{
    container_names, container_status, default_container, resolve_pod, str_at, usage_error,
};
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
    // kubectl exec picks the pod of a TYPE/NAME without saying how many it found (that note is
    // `kubectl logs`'s).
    let mut found = String::new();
    let pod = match resolve_pod(ctx, &a.namespace(), target, &mut found) {
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
    let node = ctx.backend.node(str_at(&pod, "/spec/nodeName"));
    let now = ctx.backend.now_ticks();
    // `-i`: the line's stdin (a pipe or a heredoc) goes to the command.
    let stdin = ctx.stdin.filter(|_| a.has("stdin"));
    match exec_in_pod(node.as_ref(), &pod, &container, &command, stdin, now) {
        ExecOutcome::Ran(r) => {
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
        ExecOutcome::Invalid(message) => Output::fail(format!(
            "{notes}Error from server (BadRequest): {message}\n"
        )),
        ExecOutcome::NotRunning(text) => Output::fail(format!(
            "{notes}error: unable to upgrade connection: {text}\n"
        )),
        ExecOutcome::Failed(message) => Output::fail(format!(
            "{notes}error: Internal error occurred: {message}\n"
        )),
    }
}

/// How an exec request ended, as the apiserver and the node answer it. The terminal's kubectl
/// prints it; `kube-sandbox serve` sends it over the wire (`src/serve`), so both run the command
/// through [`exec_in_pod`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecOutcome {
    /// The command ran: its output and exit code.
    Ran(ExecResult),
    /// The apiserver refused before reaching the node: a BadRequest Status's message
    /// (`container x is not valid for pod p`, `pod p does not have a host assigned`).
    Invalid(String),
    /// The kubelet found no running container of that name: its plain-text answer, which kubectl
    /// prints after `unable to upgrade connection: `.
    NotRunning(String),
    /// The runtime could not start the command: the kubelet's InternalError message.
    Failed(String),
}

/// The running container an exec reaches, after the apiserver's checks (`streamLocation`: the
/// container is the pod's, the pod has a node) and the kubelet's (the container runs): its
/// node's runtime and the container's id, or the refusal.
pub fn exec_target(
    node: Option<&NodeHandle>,
    pod: &Value,
    container: &str,
) -> Result<(Rc<RefCell<Runtime>>, String), ExecOutcome> {
    let pod_name = str_at(pod, "/metadata/name");
    if !container_names(pod).iter().any(|c| c == container) {
        return Err(ExecOutcome::Invalid(format!(
            "container {container} is not valid for pod {pod_name}"
        )));
    }
    if str_at(pod, "/spec/nodeName").is_empty() {
        return Err(ExecOutcome::Invalid(format!(
            "pod {pod_name} does not have a host assigned"
        )));
    }
    let running_id = container_status(pod, container)
        .filter(|s| s.ptr("/state/running").is_some())
        .and_then(|s| {
            str_at(s, "/containerID")
                .split_once("://")
                .map(|(_, id)| id.to_string())
        });
    match (running_id, node.and_then(|h| h.runtime())) {
        (Some(id), Some(runtime)) => Ok((runtime, id)),
        _ => Err(ExecOutcome::NotRunning(format!(
            "container not found (\"{container}\")"
        ))),
    }
}

/// Runs `command` in `container` of `pod` on its node's runtime (the CRI's ExecSync), once
/// [`exec_target`] found the container running; `stdin` is what `-i` sent, whole.
pub fn exec_in_pod(
    node: Option<&NodeHandle>,
    pod: &Value,
    container: &str,
    command: &[String],
    stdin: Option<&str>,
    now: Ticks,
) -> ExecOutcome {
    let (runtime, id) = match exec_target(node, pod, container) {
        Ok(target) => target,
        Err(refused) => return refused,
    };
    let result = runtime
        .borrow_mut()
        .exec_with_stdin(&id, command, stdin, now);
    match result {
        Ok(r) => ExecOutcome::Ran(r),
        Err(e) => ExecOutcome::Failed(format!("error executing command in container: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refusal(pod: &Value, container: &str) -> ExecOutcome {
        exec_target(None, pod, container).expect_err("refused")
    }

    #[test]
    fn the_apiserver_and_the_kubelet_refuse_before_anything_runs() {
        let pending = json!({"metadata": {"name": "web"}, "spec": {
            "initContainers": [{"name": "init"}], "containers": [{"name": "nginx"}]}});
        assert_eq!(
            refusal(&pending, "db"),
            ExecOutcome::Invalid("container db is not valid for pod web".into())
        );
        // An init container is the pod's too; unscheduled, the pod has no node to reach.
        assert_eq!(
            refusal(&pending, "init"),
            ExecOutcome::Invalid("pod web does not have a host assigned".into())
        );
        let waiting = json!({"metadata": {"name": "web"}, "spec": {"nodeName": "node1",
            "containers": [{"name": "nginx"}]}, "status": {"containerStatuses": [{"name": "nginx",
            "containerID": "containerd://abc", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}});
        assert_eq!(
            refusal(&waiting, "nginx"),
            ExecOutcome::NotRunning("container not found (\"nginx\")".into())
        );
        // Running by its status, but no runtime to reach: still not found, never a panic.
        let mut running = waiting.clone();
        running["status"]["containerStatuses"][0]["state"] = json!({"running": {}});
        assert_eq!(
            refusal(&running, "nginx"),
            ExecOutcome::NotRunning("container not found (\"nginx\")".into())
        );
    }
}
