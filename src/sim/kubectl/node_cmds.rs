//! The VMs from the terminal: `ssh node1`/`exit`, `crictl`, `docker`, `systemctl`, and the
//! course's Vagrant controls, each with its real consequence in the cluster.
//!
//! Mirrors: root shells on the kubeadm + Vagrant lab's VMs: `crictl ps [-a]|images|pods`,
//! `crictl stop ID`, `docker ps [-a]|images`, `docker kill ID` against the VM's containerd;
//! `systemctl stop|start|status kubelet|containerd`; `poweroff`; kubectl on a worker without
//! admin.conf (`The connection to the server localhost:8080 was refused ...`).
//! Simplified: `vagrant halt node2` / `vagrant up node2` are typed in this same terminal on
//! `master`, standing for the student's host terminal in the Vagrantfile's directory (the course
//! lab's way to power a VM off and on); `master` itself cannot be halted, because the sandbox's
//! control plane lives there. `systemctl stop containerd` reaches the kubelet's runtime at its
//! next sync (within 1 s).

use std::collections::BTreeSet;

use super::Backend;
use super::Output;
use crate::sim::kubelet::failures::Failure;
use crate::sim::runtime::views;

/// Where the terminal is, and which VMs are powered off.
#[derive(Clone, Debug)]
pub struct NodeState {
    pub host: String,
    pub halted: BTreeSet<String>,
}

impl Default for NodeState {
    fn default() -> Self {
        NodeState {
            host: "master".to_string(),
            halted: BTreeSet::new(),
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
const DOCKER_DOWN: &str = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n";

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

fn ssh(args: &[String], state: &mut NodeState, backend: &mut dyn Backend) -> Output {
    let Some(target) = args.iter().find(|a| !a.starts_with('-')) else {
        return Output {
            stderr: "usage: ssh [-46AaCfGgKkMNnqsTtVvXxYy] destination [command [argument ...]]\n"
                .into(),
            exit_code: 255,
            ..Output::default()
        };
    };
    let host = target.rsplit('@').next().unwrap_or(target);
    let host = match host {
        "172.16.20.11" => "master",
        "172.16.20.12" => "node1",
        "172.16.20.13" => "node2",
        h => h,
    };
    if !backend.node_names().iter().any(|n| n == host) {
        return Output {
            stderr: format!("ssh: Could not resolve hostname {host}: Name or service not known\n"),
            exit_code: 255,
            ..Output::default()
        };
    }
    if state.halted.contains(host) {
        return Output {
            stderr: format!("ssh: connect to host {host} port 22: No route to host\n"),
            exit_code: 255,
            ..Output::default()
        };
    }
    state.host = host.to_string();
    Output::ok("Last login: from 172.16.20.1\n")
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
        "images" => Output::ok(views::docker_images(&runtime, now)),
        "" => Output::ok("Usage:  docker [OPTIONS] COMMAND\n\nCommands:\n  ps        List containers\n  images    List images\n  kill      Kill one or more running containers\n"),
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
        ("start" | "restart", "kubelet") => {
            backend.set_component_running(&component, true);
            Output::default()
        }
        ("stop", "containerd") => {
            handle.inject(Failure::StopRuntime);
            Output::default()
        }
        ("start" | "restart", "containerd") => {
            handle.inject(Failure::StartRuntime);
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
