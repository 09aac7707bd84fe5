//! The student's terminal: a small shell with `kubectl` and `etcdctl`, over the simulated cluster.
//!
//! Mirrors: kubectl (v1.32) for `get`, `apply`, `create`, `delete`, `api-resources`, `version`,
//! with its table columns, `-o yaml|json|wide|name|jsonpath=…|custom-columns=…`, `--sort-by`,
//! `-L`, and error texts; etcdctl v3 `get`; and the
//! parts of bash a lab sheet uses (quoting, heredocs, `>` into files, `cat`, `ls`, `echo`).
//! Simplified: kubectl talks to the apiserver only through [`ApiClient::call`], with no HTTP,
//! kubeconfig, discovery or OpenAPI download; the shell has no variables, globs or pipes.
//!
//! The native binary (`src/main.rs`) and the browser terminal both drive [`shell::Shell`]:
//! `Shell::new(Lab::boot(seed))` (or `Shell::new(Cluster::new(seed))` without VMs), then `run_line` per typed line ([`Output`]: stdout, stderr in
//! red, exit code, clear screen), `prompt()` (`[root@master ~]# `, `[root@node1 ~]# ` after
//! `ssh node1`, or `> ` inside a heredoc).
//!
//! | file | what |
//! | --- | --- |
//! | `words.rs` | bash word splitting, quotes, `<<EOF`, `>`, `|`, `;`, `&&` |
//! | `shell.rs` | the shell: heredoc buffering, virtual files, builtins, settling the cluster |
//! | `cmd.rs` | kubectl's flags and commands |
//! | `create_kinds.rs` | `kubectl create configmap`, `secret`, `service`, `job`, `role`, ...: the generators |
//! | `apply.rs` | client-side apply: last-applied annotation and the three-way patch |
//! | `table.rs` | `kubectl get` tables, AGE, tabwriter alignment |
//! | `jsonpath.rs` | client-go's JSONPath templates, and Go's value printing |
//! | `printers.rs` | `-o jsonpath`, `-o custom-columns`, `--sort-by` |
//! | `yaml.rs` | `-o yaml` / `-o json` byte for byte |
//! | `errors.rs` | kubectl's error wording |
//! | `etcdctl.rs` | `etcdctl get` and its output formats |
//! | `backend.rs` | the [`Backend`] the shell needs, implemented for the real `Cluster` |
//! | `lab_backend.rs` | the same for the booted `Lab`: the cluster plus its VMs' handles |
//! | `explain.rs` | `kubectl explain`, over the docs the shell is handed (`www/explain.txt`) |
//! | `logs.rs`, `top.rs`, `describe.rs`, `exec.rs` | kubectl's node-side commands |
//! | `node_verbs.rs`, `port_forward_cmd.rs`, `auth_cmd.rs` | `cordon`, `drain`, `taint`; `port-forward`; `auth can-i`, `cluster-info`, `api-versions` |
//! | `run_expose.rs`, `labels_cmd.rs`, `scale_set.rs`, `rollout.rs` | the workload verbs: `run`, `expose`, `label`, `annotate`, `scale`, `set image`, `patch`, `rollout` (`verb_util.rs`: their shared flags and look-ups) |
//! | `node_cmds.rs` | the VMs: `ssh`, `crictl`, `docker`, `systemctl`, `vagrant halt/up` |

pub mod apply;
pub mod auth_cmd;
pub mod backend;
pub mod cmd;
pub mod create_kinds;
pub mod describe;
pub mod docker_cmd;
pub mod docker_run;
pub mod edit;
pub mod errors;
pub mod etcdctl;
pub mod exec;
pub mod explain;
pub mod json;
pub mod jsonpath;
pub mod lab_backend;
pub mod labels_cmd;
pub mod logs;
pub mod net_cmds;
pub mod node_cmds;
pub mod node_verbs;
pub mod port_forward_cmd;
pub mod printers;
pub mod rollout;
pub mod run_expose;
pub mod scale_set;
pub mod shell;
pub mod table;
pub mod top;
pub mod verb_util;
pub mod words;
pub mod yaml;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

use crate::sim::apiserver::request::ApiClient;
use crate::sim::clock::Ticks;
use crate::sim::etcd::{RangeRequest, RangeResult, StoreError};
use crate::sim::kubelet::failures::NodeHandle;
use crate::sim::trace::Seq;

pub use shell::Shell;

/// What the terminal shows for one command: standard output, standard error (the browser draws
/// it in red) and the exit status (`$?`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
    /// `clear` was typed: the terminal wipes its screen before showing this output.
    pub clear_screen: bool,
}

impl Output {
    /// The value of `result`; an error is added to stderr and the exit code set to 1, for
    /// commands that go on with their next target (`let Some(x) = out.keep(r) else { continue }`).
    pub fn keep<T, E: AsRef<str>>(&mut self, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(text) => {
                self.stderr.push_str(text.as_ref());
                self.exit_code = 1;
                None
            }
        }
    }

    pub fn ok(stdout: impl Into<String>) -> Self {
        Output {
            stdout: stdout.into(),
            ..Output::default()
        }
    }

    /// A failure with exit code 1; `stderr` should end with a newline.
    pub fn fail(stderr: impl Into<String>) -> Self {
        Output {
            stderr: stderr.into(),
            exit_code: 1,
            ..Output::default()
        }
    }

    /// Appends another command's output (for `a; b` and heredoc bodies).
    pub fn append(&mut self, other: Output) {
        self.stdout.push_str(&other.stdout);
        self.stderr.push_str(&other.stderr);
        self.exit_code = other.exit_code;
        self.clear_screen |= other.clear_screen;
    }
}

/// What the shell needs from the cluster: the apiserver (for kubectl), time (for `sleep` and
/// AGE) and a read-only view of etcd (for etcdctl, which talks to etcd directly, not the
/// apiserver, exactly like on a kubeadm master).
pub trait Backend: ApiClient {
    /// Lets the control loops run until nothing is pending, or at most `limit_ticks` of time.
    /// False when the limit stopped it with work still going on.
    fn settle(&mut self, limit_ticks: Ticks) -> bool;
    /// The same settle, to be run in slices with [`Backend::settle_slice`]; None when this
    /// backend cannot (the shell then settles at once).
    fn begin_settle(&mut self, _limit_ticks: Ticks) -> Option<crate::sim::cluster::Run> {
        None
    }
    /// At most `budget` rounds of a settle begun with [`Backend::begin_settle`]; once settled,
    /// whether it ended idle (false: the limit stopped it).
    fn settle_slice(
        &mut self,
        _run: &mut crate::sim::cluster::Run,
        _budget: usize,
    ) -> Option<bool> {
        Some(true)
    }
    /// The shell is about to run one complete `line` on `host`: the backend records the line as
    /// the root of what it causes. None for a backend without a trace.
    fn begin_command(&mut self, _line: &str, _host: &str) -> Option<Seq> {
        None
    }
    /// The line that `begin_command` returned `command` for is done and its work settled.
    fn end_command(&mut self, _command: Seq, _idle: bool) {}
    /// Moves simulated time forward by `ticks`, running whatever falls due.
    fn advance(&mut self, ticks: Ticks);
    /// The simulated wall clock, for kubectl's AGE column.
    fn unix_seconds(&self) -> i64;
    /// An etcd v3 Range, as `etcdctl get` sends it.
    fn etcd_range(&self, request: &RangeRequest) -> Result<RangeResult, StoreError>;
    /// The whole cluster, for requests across its network (`curl`, `nslookup`,
    /// `iptables-save`); None for a backend that has no network.
    fn cluster_mut(&mut self) -> Option<&mut crate::sim::cluster::Cluster> {
        None
    }

    // The node side (`kubectl logs/top/exec`, `crictl`, `systemctl`, `ssh`): defaults for a
    // backend without VMs, where those commands answer as on a cluster with no reachable node.

    /// Simulated time in ticks (crictl's CREATED column, log reads, exec).
    fn now_ticks(&self) -> Ticks {
        0
    }
    /// The VMs, in the order the page draws them.
    fn node_names(&self) -> Vec<String> {
        Vec::new()
    }
    /// The handle of VM `node`: failures in; usage figures and its containerd out.
    fn node(&self, _node: &str) -> Option<NodeHandle> {
        None
    }
    /// Is the component (`kubelet@node1`) running? None when there is no such component.
    fn component_running(&self, _name: &str) -> Option<bool> {
        None
    }
    /// `systemctl stop|start`: stops or starts a component; false when there is none.
    fn set_component_running(&mut self, _name: &str, _running: bool) -> bool {
        false
    }
    /// Has a component (`kubelet@node2`) reconcile at the next step: a failure was queued on
    /// its node's handle. False when there is no such component.
    fn wake_component(&mut self, _name: &str) -> bool {
        false
    }
}

/// Reads a file the virtual file system lacks (the native binary's real disk); the browser has
/// none.
pub type FileReader = Box<dyn Fn(&str) -> Option<String>>;
