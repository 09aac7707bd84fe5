//! The VMs from the terminal: `ssh node1`/`exit`, `crictl`, `docker`, `systemctl`, `iptables`,
//! kubeadm's manifests, and the course's Vagrant controls, each with its real consequence in the
//! cluster.
//!
//! Mirrors: root shells on the kubeadm + Vagrant lab's VMs: `crictl ps [-a]|images|pods`,
//! `crictl stop ID`, `docker ps [-a]|images`, `docker kill ID` against the VM's containerd
//! (`docker build|history|tag|rmi|inspect|login|push|pull` are in `docker_cmd.rs`, `docker
//! run|logs|stop|rm|exec` in `docker_run.rs`);
//! `systemctl stop|start|status kubelet|containerd`; `poweroff`; kubectl on a worker without
//! admin.conf (`The connection to the server localhost:8080 was refused ...`); OpenSSH's
//! destinations and errors (`ssh root@172.16.20.13`, `Could not resolve hostname`, `No route to
//! host`, exit 255); `iptables -A|-I|-D OUTPUT -d 172.16.20.11 -j DROP` on a worker, silent as
//! iptables is, listed by `iptables-save` beside kube-proxy's rules and gone at the next boot,
//! which cuts the node's kubelet off the apiserver (NotReady once the node monitor's 40 s grace
//! period is over); `mv` of `/etc/kubernetes/manifests/kube-scheduler.yaml` or
//! `kube-controller-manager.yaml` out of the directory and back, which stops and starts that
//! static pod, its mirror pod and the component it runs (see `kubelet/static_pods.rs`).
//! Simplified: `vagrant halt node2` / `vagrant up node2` are typed in this same terminal on
//! `master`, standing for the student's host terminal in the Vagrantfile's directory (the course
//! lab's way to power a VM off and on); `master` itself cannot be halted, because the sandbox's
//! control plane lives there, nor cut off by `iptables`, nor can etcd's or kube-apiserver's
//! manifest leave the directory (the shell says so). A failure queued on a kubelet
//! (`systemctl stop containerd`, the DROP rule, a moved manifest) wakes it, so it acts within the
//! line. The DROP rule is the one `iptables` rule modelled (others get the shell's note), and it
//! cuts the kubelet only: kube-proxy and flannel keep their last view, `curl` from the node
//! still reaches master, and so does ssh: on the real lab the `ssh node2 ...` from master that
//! typed the rule hangs (node2's replies to master are dropped) and the next `ssh node2` from
//! master times out, so the rule is deleted from `vagrant ssh node2` (VirtualBox's NAT) or from
//! node1; here `ssh node2 iptables -D ...` from master still works. A moved manifest's component (kube-scheduler; kube-controller-manager
//! with the ServiceAccount controller) stops and starts when the line runs, while its container
//! stops or starts at the kubelet's next sync.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use super::net_cmds::TypedRules;
use super::Backend;
use super::Output;
use crate::sim::kubelet::failures::Failure;
use crate::sim::kubelet::static_pods::{self, MANIFESTS_DIR};
use crate::sim::network::iptables::{Rule, Target};
use crate::sim::runtime::views;
use crate::sim::vms::{self, VmRole};

/// Where the terminal is, which VMs are powered off, and what the student changed on them.
#[derive(Clone, Debug)]
pub struct NodeState {
    pub host: String,
    pub halted: BTreeSet<String>,
    /// Filter rules typed with `iptables` on each VM; gone when the VM reboots.
    pub typed_rules: BTreeMap<String, TypedRules>,
    /// kubeadm's manifests moved away from `/etc/kubernetes/manifests` on master (by file name:
    /// `kube-scheduler.yaml` → `/etc/kubernetes/kube-scheduler.yaml`).
    pub moved_manifests: BTreeMap<String, String>,
    /// Docker's state on each VM besides its images (the build cache).
    pub docker: BTreeMap<String, super::docker_cmd::DockerEngine>,
}

impl Default for NodeState {
    fn default() -> Self {
        NodeState {
            host: "master".to_string(),
            halted: BTreeSet::new(),
            typed_rules: BTreeMap::new(),
            moved_manifests: BTreeMap::new(),
            docker: BTreeMap::new(),
        }
    }
}

/// The prompt of the VM the terminal is on.
pub fn prompt(host: &str) -> &'static str {
    match host {
        "node1" => "[root@node1 ~]# ",
        "node2" => "[root@node2 ~]# ",
        _ => "[root@master ~]# ",
    }
}

/// kubectl on a worker: kubeadm copies admin.conf to master only.
pub const NO_KUBECONFIG: &str =
    "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n";

/// crictl's fatal line when containerd does not answer (logrus text format; the time is added).
const CRICTL_DOWN: &str = "level=fatal msg=\"validate service connection: validate CRI v1 runtime API for endpoint \\\"unix:///run/containerd/containerd.sock\\\": rpc error: code = Unavailable desc = connection error: desc = \\\"transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: connection refused\\\"\"\n";
pub const DOCKER_DOWN: &str = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n";

/// What the docker commands of the image chapter say in a build without it.
#[cfg(not(feature = "image-chapter"))]
const IMAGE_CHAPTER_LEFT_OUT: &str = "not in this build of Kube Sandbox.\nThe course's image chapter does not fit the page's size\nbudget yet. It runs in the native shell:\n  cargo run --release --bin kube-sandbox -- shell";

/// Runs `name args` if it is a node command; None lets the shell try its other builtins.
pub fn run(
    name: &str,
    args: &[String],
    state: &mut NodeState,
    backend: &mut dyn Backend,
) -> Option<Output> {
    let out = match name {
        "ssh" => ssh(args, state, backend),
        "exit" | "logout" => {
            if state.host == "master" {
                Output::ok("logout\n(this is the sandbox's first shell: it stays open)\n")
            } else {
                let host = std::mem::replace(&mut state.host, "master".to_string());
                Output::ok(format!("logout\nConnection to {host} closed.\n"))
            }
        }
        "hostname" => Output::ok(format!("{}\n", state.host)),
        "crictl" => crictl(args, state, backend),
        "docker" => docker(args, state, backend),
        "systemctl" => systemctl(args, state, backend),
        "vagrant" => vagrant(args, state, backend),
        "iptables" => return iptables(args, state, backend),
        "poweroff" | "shutdown" | "halt" => {
            if state.host == "master" {
                Output::fail("poweroff: the sandbox keeps master running: its control plane lives there (try `vagrant halt node2`)\n")
            } else {
                let host = state.host.clone();
                power(&host, false, state, backend);
                state.host = "master".to_string();
                Output::ok(format!(
                    "Connection to {host} closed by remote host.\nConnection to {host} closed.\n"
                ))
            }
        }
        _ => return None,
    };
    Some(out)
}

/// OpenSSH's options that take an argument (`-p 22`, `-i KEY`, `-l root`, `-o NAME=VALUE`).
const SSH_OPTIONS_WITH_ARGUMENT: &str = "BbcDEeFIiJLlmOoPpQRSWw";

/// `ssh [options] destination [command [argument ...]]`: where the destination is in `args`
/// (the command, if any, is every word after it). None when there is no destination.
pub fn ssh_destination(args: &[String]) -> Option<usize> {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        match arg.strip_prefix('-') {
            Some("-") => return args.get(i + 1).map(|_| i + 1),
            Some(flags) if !flags.is_empty() => {
                // `-p 22` takes the next word; `-p22` and `-tt` do not.
                let last = flags.chars().last().unwrap_or(' ');
                let takes_next = flags.len() == 1 && SSH_OPTIONS_WITH_ARGUMENT.contains(last);
                i += if takes_next { 2 } else { 1 };
            }
            _ => return Some(i),
        }
    }
    None
}

/// ssh's answer when there is no destination.
pub fn ssh_usage() -> Output {
    Output {
        stderr: "usage: ssh [-46AaCfGgKkMNnqsTtVvXxYy] destination [command [argument ...]]\n"
            .into(),
        exit_code: 255,
        ..Output::default()
    }
}

/// The VM a destination names (`node2`, `root@node2`, `172.16.20.13`), or ssh's error when it
/// does not resolve or does not answer.
pub fn ssh_host(target: &str, state: &NodeState, backend: &dyn Backend) -> Result<String, Output> {
    let host = target.rsplit('@').next().unwrap_or(target);
    let host = vms::LAB_VMS
        .iter()
        .find(|vm| vm.ip == host)
        .map_or(host, |vm| vm.name);
    if !backend.node_names().iter().any(|n| n == host) {
        return Err(Output {
            stderr: format!("ssh: Could not resolve hostname {host}: Name or service not known\n"),
            exit_code: 255,
            ..Output::default()
        });
    }
    if state.halted.contains(host) {
        return Err(Output {
            stderr: format!("ssh: connect to host {host} port 22: No route to host\n"),
            exit_code: 255,
            ..Output::default()
        });
    }
    Ok(host.to_string())
}

/// `ssh node1`: the terminal moves to that VM's shell. (`ssh node1 COMMAND` runs COMMAND there
/// and stays here: the shell handles it, since any command can run remotely.)
fn ssh(args: &[String], state: &mut NodeState, backend: &mut dyn Backend) -> Output {
    let Some(target) = ssh_destination(args).and_then(|i| args.get(i)) else {
        return ssh_usage();
    };
    match ssh_host(target, state, backend) {
        Ok(host) => {
            state.host = host;
            Output::ok("Last login: from 172.16.20.1\n")
        }
        Err(out) => out,
    }
}

/// crictl's logrus prefix: `time="2025-06-01T00:02:08Z" `.
fn crictl_fatal(backend: &dyn Backend, text: &str) -> Output {
    Output::fail(format!(
        "time=\"{}\" {text}",
        crate::sim::clock::rfc3339_from_unix(backend.unix_seconds())
    ))
}

fn not_running_id(tool: &str, id: &str) -> Output {
    match tool {
        "docker" => Output::fail(format!(
            "Error response from daemon: No such container: {id}\n"
        )),
        _ => Output::fail(format!(
            "level=fatal msg=\"stopping the container \\\"{id}\\\": rpc error: code = NotFound desc = an error occurred when try to find container \\\"{id}\\\": not found\"\n"
        )),
    }
}

/// `crictl stop ID` / `docker kill ID`: finds the container by id prefix on this VM's runtime.
fn stop_container(
    tool: &str,
    args: &[String],
    state: &NodeState,
    backend: &mut dyn Backend,
    kill: bool,
) -> Output {
    let ids: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if ids.is_empty() {
        return Output::fail(format!("{tool}: ID cannot be empty\n"));
    }
    let Some(runtime) = backend.node(&state.host).and_then(|h| h.runtime()) else {
        return Output::fail(if tool == "docker" {
            DOCKER_DOWN
        } else {
            CRICTL_DOWN
        });
    };
    let now = backend.now_ticks();
    let mut runtime = runtime.borrow_mut();
    if !runtime.is_up() {
        return Output::fail(if tool == "docker" {
            DOCKER_DOWN
        } else {
            CRICTL_DOWN
        });
    }
    let mut out = Output::default();
    for id in ids {
        let full = runtime
            .list_containers(None)
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.id.starts_with(id.as_str()))
            .map(|c| c.id.clone())
            .collect::<Vec<_>>();
        let done = match full.as_slice() {
            [one] if kill => runtime.kill_container(one, now),
            [one] => runtime.stop_container(one, 10, now).is_ok(),
            _ => false,
        };
        if done {
            out.stdout.push_str(&format!("{id}\n"));
        } else if tool == "docker" {
            out.append(not_running_id(tool, id));
        } else {
            out.append(crictl_fatal(backend, &not_running_id(tool, id).stderr));
        }
    }
    out
}

fn crictl(args: &[String], state: &mut NodeState, backend: &mut dyn Backend) -> Output {
    let sub = args.first().map(String::as_str).unwrap_or("");
    let rest = args.get(1..).unwrap_or(&[]);
    if sub == "stop" {
        return stop_container("crictl", rest, state, backend, false);
    }
    let Some(runtime) = backend.node(&state.host).and_then(|h| h.runtime()) else {
        return crictl_fatal(backend, CRICTL_DOWN);
    };
    let now = backend.now_ticks();
    let runtime = runtime.borrow();
    if !runtime.is_up() && !sub.is_empty() {
        return crictl_fatal(backend, CRICTL_DOWN);
    }
    let all = rest.iter().any(|a| a == "-a" || a == "--all");
    match sub {
        "ps" => Output::ok(views::crictl_ps(&runtime, now, all)),
        "images" | "img" => Output::ok(views::crictl_images(&runtime)),
        "pods" => Output::ok(views::crictl_pods(&runtime, now)),
        "" | "help" | "-h" | "--help" => Output::ok(
            "NAME:\n   crictl - client for CRI\n\nCOMMANDS:\n   images   List images\n   pods     List pods\n   ps       List containers\n   stop     Stop one or more running containers\n",
        ),
        other => crictl_fatal(
            backend,
            &format!("level=fatal msg=\"no help topic for '{other}'\"\n"),
        ),
    }
}

fn docker(args: &[String], state: &mut NodeState, backend: &mut dyn Backend) -> Output {
    let sub = args.first().map(String::as_str).unwrap_or("");
    let rest = args.get(1..).unwrap_or(&[]);
    // The management commands' spellings: `docker image ls`, `docker container ls|kill`.
    let (sub, rest) = match (sub, rest.split_first()) {
        ("image", Some((verb, more))) if matches!(verb.as_str(), "ls" | "list") => ("images", more),
        ("container", Some((verb, more))) if matches!(verb.as_str(), "ls" | "list" | "ps") => {
            ("ps", more)
        }
        ("container", Some((verb, more))) if verb == "kill" => ("kill", more),
        _ => (sub, rest),
    };
    if sub == "kill" {
        return stop_container("docker", rest, state, backend, true);
    }
    let Some(runtime) = backend.node(&state.host).and_then(|h| h.runtime()) else {
        return Output::fail(DOCKER_DOWN);
    };
    let now = backend.now_ticks();
    let runtime = runtime.borrow();
    if !runtime.is_up() {
        return Output::fail(DOCKER_DOWN);
    }
    let all = rest.iter().any(|a| a == "-a" || a == "--all");
    match sub {
        "ps" => Output::ok(views::docker_ps(&runtime, now, all)),
        "images" => {
            // `docker images kubia` / `docker images kubia:v1`: that repository's rows.
            let reference = rest.iter().find(|a| !a.starts_with('-')).map(|name| {
                let r = crate::sim::runtime::reference::parse_image_ref(name).ok();
                let repo = r.as_ref().map_or(name.to_string(), |r| r.familiar_name());
                let tag = r.and_then(|r| r.tag).filter(|_| name.contains(':'));
                (repo, tag)
            });
            let only = reference.as_ref().map(|(r, t)| (r.as_str(), t.as_deref()));
            Output::ok(views::docker_images_of(&runtime, now, only))
        }
        "" => Output::ok("Usage:  docker [OPTIONS] COMMAND\n\nCommon Commands:\n  run       Create and run a new container from an image\n  exec      Execute a command in a running container\n  ps        List containers\n  build     Build an image from a Dockerfile\n  pull      Download an image from a registry\n  push      Upload an image to a registry\n  images    List images\n  login     Authenticate to a registry\n  logout    Log out from a registry\n\nManagement Commands:\n  image     Manage images\n\nCommands:\n  history   Show the history of an image\n  inspect   Return low-level information on Docker objects\n  kill      Kill one or more running containers\n  logs      Fetch the logs of a container\n  rm        Remove one or more containers\n  rmi       Remove one or more images\n  stop      Stop one or more running containers\n  tag       Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n"),
        #[cfg(not(feature = "image-chapter"))]
        "build" | "history" | "tag" | "rmi" | "inspect" | "login" | "logout" | "push" | "pull"
        | "run" | "logs" | "stop" | "rm" | "exec" | "image" | "builder" | "buildx" => {
            Output::fail(format!("docker {sub}: {IMAGE_CHAPTER_LEFT_OUT}\n"))
        }
        other => Output::fail(format!(
            "docker: '{other}' is not a docker command.\nSee 'docker --help'\n"
        )),
    }
}

/// Powers a VM off or on: the kubelet's VM failure plus its process stopping or starting.
pub fn power(host: &str, on: bool, state: &mut NodeState, backend: &mut dyn Backend) {
    let component = format!("kubelet@{host}");
    if let Some(h) = backend.node(host) {
        if let Some(cluster) = backend.cluster_mut() {
            cluster.note_vm_power(host, on);
        }
        if on {
            backend.set_component_running(&component, true);
            h.inject(Failure::StartVm);
            state.halted.remove(host);
            // Rules typed with `iptables` live in the kernel only: the boot starts without them.
            let typed = state.typed_rules.remove(host).unwrap_or_default();
            if typed.count(&apiserver_drop()) > 0 {
                h.inject(Failure::RestoreNetwork);
            }
        } else {
            h.inject(Failure::StopVm);
            backend.set_component_running(&component, false);
            state.halted.insert(host.to_string());
        }
    }
}

fn systemctl(args: &[String], state: &mut NodeState, backend: &mut dyn Backend) -> Output {
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (Some(verb), Some(unit)) = (words.first(), words.get(1)) else {
        return Output::fail("Too few arguments.\n");
    };
    let unit = unit.trim_end_matches(".service");
    let component = format!("kubelet@{}", state.host);
    let Some(handle) = backend.node(&state.host) else {
        return Output::fail(format!(
            "Failed to {verb} {unit}.service: Unit {unit}.service not found.\n"
        ));
    };
    match (*verb, unit) {
        ("stop", "kubelet") => {
            backend.set_component_running(&component, false);
            Output::default()
        }
        ("start", "kubelet") => {
            backend.set_component_running(&component, true);
            Output::default()
        }
        ("restart", "kubelet") => {
            // A new process: it registers its Node again if that was deleted.
            backend.set_component_running(&component, false);
            backend.set_component_running(&component, true);
            Output::default()
        }
        ("stop", "containerd") => {
            handle.inject(Failure::StopRuntime);
            backend.wake_component(&component);
            Output::default()
        }
        ("start" | "restart", "containerd") => {
            handle.inject(Failure::StartRuntime);
            backend.wake_component(&component);
            Output::default()
        }
        ("status" | "is-active", "kubelet" | "containerd") => {
            let active = if unit == "kubelet" {
                backend.component_running(&component).unwrap_or(false)
            } else {
                handle.runtime().is_some_and(|r| r.borrow().is_up())
            };
            if *verb == "is-active" {
                return Output {
                    stdout: if active { "active\n" } else { "inactive\n" }.into(),
                    exit_code: if active { 0 } else { 3 },
                    ..Output::default()
                };
            }
            let description = if unit == "kubelet" {
                "kubelet: The Kubernetes Node Agent"
            } else {
                "containerd container runtime"
            };
            Output {
                stdout: format!(
                    "● {unit}.service - {description}\n     Loaded: loaded (/usr/lib/systemd/system/{unit}.service; enabled; preset: disabled)\n     Active: {}\n",
                    if active { "active (running)" } else { "inactive (dead)" }
                ),
                exit_code: if active { 0 } else { 3 },
                ..Output::default()
            }
        }
        (verb @ ("stop" | "start" | "restart" | "status"), unit) => Output {
            stderr: format!("Failed to {verb} {unit}.service: Unit {unit}.service not found.\n"),
            exit_code: if verb == "status" { 4 } else { 5 },
            ..Output::default()
        },
        (verb, _) => Output::fail(format!("Unknown command verb '{verb}'.\n")),
    }
}

fn vagrant(args: &[String], state: &mut NodeState, backend: &mut dyn Backend) -> Output {
    let verb = args.first().map(String::as_str).unwrap_or("");
    let names: Vec<String> = args.get(1..).unwrap_or(&[]).to_vec();
    let all = backend.node_names();
    let targets: Vec<String> = if names.is_empty() { all.clone() } else { names };
    match verb {
        "status" => {
            let mut s = String::from("Current machine states:\n\n");
            for n in &all {
                let st = if state.halted.contains(n) { "poweroff" } else { "running" };
                s.push_str(&format!("{n:<25} {st} (virtualbox)\n"));
            }
            Output::ok(s)
        }
        "halt" | "up" => {
            let mut out = Output::default();
            for n in targets {
                if !all.contains(&n) {
                    out.append(Output::fail(format!(
                        "The machine with the name '{n}' was not found configured for\nthis Vagrant environment.\n"
                    )));
                    continue;
                }
                if n == "master" {
                    out.stdout.push_str("==> master: the sandbox keeps master running: its control plane lives there.\n");
                    continue;
                }
                let on = verb == "up";
                if on != state.halted.contains(&n) {
                    out.stdout.push_str(&format!(
                        "==> {n}: Machine already {}.\n",
                        if on { "running" } else { "halted" }
                    ));
                    continue;
                }
                power(&n, on, state, backend);
                if on {
                    out.stdout.push_str(&format!(
                        "Bringing machine '{n}' up with 'virtualbox' provider...\n==> {n}: Booting VM...\n==> {n}: Machine booted and ready!\n"
                    ));
                } else {
                    out.stdout
                        .push_str(&format!("==> {n}: Attempting graceful shutdown of VM...\n"));
                }
            }
            out
        }
        _ => Output::fail("Usage: vagrant [options] <command> [<args>]\n\n    halt    stops the vagrant machine\n    status  outputs status of the vagrant machine\n    up      starts and provisions the vagrant environment\n"),
    }
}

// ---- iptables ----------------------------------------------------------------------------------

/// `-A OUTPUT -d 172.16.20.11/32 -j DROP`: every packet from this VM to master is dropped, the
/// apiserver's 6443 included.
fn apiserver_drop() -> Rule {
    let master = vms::LAB_VMS
        .iter()
        .find(|vm| vm.role == VmRole::ControlPlane)
        .map_or(Ipv4Addr::UNSPECIFIED, |vm| {
            vm.ip.parse().unwrap_or(Ipv4Addr::UNSPECIFIED)
        });
    Rule::new("OUTPUT", Target::Drop).destination(master)
}

/// `iptables [-t filter] -A|-I|-D OUTPUT -d 172.16.20.11[/32] -j DROP` on a worker: the rule
/// that cuts the node off the control plane, the kubelet's `CutNetwork` while one such rule is
/// in place. None for any other iptables line (the shell then says what is simulated).
fn iptables(args: &[String], state: &mut NodeState, backend: &mut dyn Backend) -> Option<Output> {
    enum Op {
        Append,
        Insert,
        Delete,
    }
    let (mut op, mut chain, mut destination, mut target) = (None, None, None, None);
    let mut table = "filter";
    let mut words = args.iter().map(String::as_str).peekable();
    while let Some(word) = words.next() {
        match word {
            "-A" | "--append" => op = Some(Op::Append),
            "-I" | "--insert" => op = Some(Op::Insert),
            "-D" | "--delete" => op = Some(Op::Delete),
            "-t" | "--table" => table = words.next()?,
            "-d" | "--destination" | "--dst" => destination = Some(words.next()?),
            "-j" | "--jump" => target = Some(words.next()?),
            _ => return None,
        }
        if matches!(
            word,
            "-A" | "--append" | "-I" | "--insert" | "-D" | "--delete"
        ) {
            chain = Some(words.next()?);
            // `-I OUTPUT 1`: the rule number (1 is the head of the chain, where -I puts it).
            if matches!(word, "-I" | "--insert") && words.peek() == Some(&"1") {
                words.next();
            }
        }
    }
    let master = apiserver_drop().destination?;
    let to_master = destination.is_some_and(|d| {
        d.parse::<Ipv4Addr>()
            .map(|ip| ip == master.network())
            .or_else(|_| crate::sim::network::cidr::Ipv4Cidr::parse(d).map(|c| c == master))
            .unwrap_or(false)
    });
    if table != "filter" || chain != Some("OUTPUT") || target != Some("DROP") || !to_master {
        return None;
    }
    let op = op?;
    let handle = backend.node(&state.host)?;
    if vms::lab_vm(&state.host).is_some_and(|vm| vm.role == VmRole::ControlPlane) {
        return Some(Output::fail(format!(
            "iptables: the sandbox keeps {host} talking to itself: its control plane reaches the apiserver at {ip} too (cut a worker off instead: `ssh node2 iptables -A OUTPUT -d {ip} -j DROP`)\n",
            host = state.host,
            ip = master.network(),
        )));
    }
    let rule = apiserver_drop();
    let rules = state.typed_rules.entry(state.host.clone()).or_default();
    let before = rules.count(&rule);
    match op {
        Op::Append => rules.appended.push(rule.clone()),
        Op::Insert => rules.inserted.insert(0, rule.clone()),
        Op::Delete => {
            if !rules.delete(&rule) {
                return Some(Output::fail(
                    "iptables: Bad rule (does a matching rule exist in that chain?).\n",
                ));
            }
        }
    }
    let after = rules.count(&rule);
    if rules.is_empty() {
        state.typed_rules.remove(&state.host);
    }
    let failure = match (before, after) {
        (0, 1..) => Some(Failure::CutNetwork),
        (1.., 0) => Some(Failure::RestoreNetwork),
        _ => None,
    };
    if let Some(failure) = failure {
        handle.inject(failure);
        backend.wake_component(&format!("kubelet@{}", state.host));
    }
    Some(Output::default())
}

// ---- kubeadm's manifests -----------------------------------------------------------------------

/// Is `host` the control plane, whose kubelet runs the static pods of `MANIFESTS_DIR`?
fn runs_static_pods(host: &str) -> bool {
    vms::lab_vm(host).is_some_and(|vm| vm.role == VmRole::ControlPlane)
}

/// The components that run inside each static pod the sandbox lets a student stop. etcd and
/// kube-apiserver are not among them: the sandbox's own control plane is built on them.
fn components_of(file: &str) -> Option<&'static [&'static str]> {
    match file {
        "kube-scheduler.yaml" => Some(&["kube-scheduler"]),
        // The controller-manager's loops run as one component, and the ServiceAccount controller
        // (registered with the cluster itself) beside it.
        "kube-controller-manager.yaml" => Some(&[
            crate::sim::controller::CONTROLLER_MANAGER,
            "serviceaccount-controller",
        ]),
        _ => None,
    }
}

/// The path of each of kubeadm's manifest files on `host` now, by file name (none on workers).
pub fn manifest_paths(state: &NodeState, host: &str) -> Vec<(&'static str, String)> {
    if !runs_static_pods(host) {
        return Vec::new();
    }
    static_pods::kubeadm_manifests("")
        .into_iter()
        .map(|(file, _)| {
            let path = state
                .moved_manifests
                .get(file)
                .cloned()
                .unwrap_or_else(|| format!("{MANIFESTS_DIR}/{file}"));
            (file, path)
        })
        .collect()
}

/// The manifest file at absolute `path` on the terminal's VM, if one is there.
pub fn manifest_at(state: &NodeState, path: &str) -> Option<&'static str> {
    manifest_paths(state, &state.host)
        .into_iter()
        .find(|(_, p)| p == path)
        .map(|(file, _)| file)
}

/// The manifest's text, as kubeadm wrote it (`cat /etc/kubernetes/manifests/etcd.yaml`).
pub fn manifest_text(state: &NodeState, file: &str) -> Option<String> {
    let ip = vms::lab_vm(&state.host)?.ip;
    static_pods::kubeadm_manifests(ip)
        .into_iter()
        .find(|(f, _)| *f == file)
        .map(|(_, m)| super::yaml::to_yaml(&m))
}

/// Does the kubelet read a file at `path`? (every file of the directory but dotfiles)
fn in_manifests_dir(path: &str) -> bool {
    path.rsplit_once('/')
        .is_some_and(|(dir, name)| dir == MANIFESTS_DIR && !name.starts_with('.'))
}

/// `mv` of manifest `file` to absolute path `to` (checked by the shell: its directory exists).
/// Out of the manifests directory, the kubelet stops the static pod and its component stops;
/// back in, both start again. `typed` is how the student named the source, for messages.
pub fn move_manifest(
    file: &str,
    typed: &str,
    to: &str,
    state: &mut NodeState,
    backend: &mut dyn Backend,
) -> Output {
    let from = manifest_paths(state, &state.host)
        .into_iter()
        .find(|(f, _)| *f == file)
        .map(|(_, p)| p)
        .unwrap_or_default();
    if manifest_paths(state, &state.host)
        .iter()
        .any(|(f, p)| p == to && *f != file)
    {
        return Output::fail(format!(
            "mv: the sandbox keeps each of kubeadm's manifests in a file of its own: not moving '{typed}' over '{to}'\n"
        ));
    }
    let (was_in, now_in) = (in_manifests_dir(&from), in_manifests_dir(to));
    if was_in != now_in {
        let Some(components) = components_of(file) else {
            let name = file.trim_end_matches(".yaml");
            return Output::fail(format!(
                "mv: the sandbox keeps {name} running: its own control plane is built on it, so it cannot stop here (try kube-scheduler.yaml or kube-controller-manager.yaml)\n"
            ));
        };
        let name = file.trim_end_matches(".yaml").to_string();
        if let Some(handle) = backend.node(&state.host) {
            handle.inject(if now_in {
                Failure::RestoreStaticPod { name }
            } else {
                Failure::RemoveStaticPod { name }
            });
            backend.wake_component(&format!("kubelet@{}", state.host));
        }
        for component in components {
            backend.set_component_running(component, now_in);
        }
    }
    if to == format!("{MANIFESTS_DIR}/{file}") {
        state.moved_manifests.remove(file);
    } else {
        state
            .moved_manifests
            .insert(file.to_string(), to.to_string());
    }
    Output::default()
}
