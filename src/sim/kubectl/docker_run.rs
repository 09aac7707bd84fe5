//! Containers Docker runs on a VM outside any pod: `docker run`, `logs`, `stop`, `rm`, `exec`,
//! and `curl localhost:PORT` reaching a port `docker run -p` published.
//!
//! ```text
//!   docker run --name kubia-container -p 8080:8080 -d kubia
//!     ─▶ a sandbox in the `moby` namespace (172.17.0.N, hostname = the id's first 12 digits)
//!     ─▶ the image's program started in it (the course's app.js: the kubia app)
//!   curl localhost:8080 ─▶ the published port ─▶ "You've hit 44d76963e8e1"
//! ```
//!
//! Mirrors: the docker CLI's `run` (the full id printed with `-d`; `Unable to find image
//! 'kubia:latest' locally` then a pull; `docker: Error response from daemon: ...` and `See
//! 'docker run --help'.`), name conflicts, `logs`, `stop`/`rm` printing the name as typed,
//! `rm` refusing a running container, `exec`; `docker stop` returning once the container
//! exited (node as PID 1 ignores SIGTERM: the SIGKILL after 10 s).
//! Simplified: the pull `docker run` does is printed to standard output (the real one writes
//! it to standard error) so it reads before the container's output; the container runs in the VM's containerd as a one-container sandbox (so
//! `docker ps` lists it beside the kubelet's containers); `docker run` without `-d` prints
//! the output the container has written after a simulated second and returns; `-it` is
//! accepted and ignored; ids come from a generator seeded by the VM, name and time.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::docker_cmd::{flag_value, pull_lines, pulled_layers, split_flag, transfer};
use super::node_cmds::{NodeState, DOCKER_DOWN};
use super::port_forward_cmd::curl_local_target;
use super::{Backend, Output};
use crate::sim::clock::TICKS_PER_SECOND;
use crate::sim::rng::Rng;
use crate::sim::runtime::apps::HttpOutcome;
use crate::sim::runtime::cri::generate_id;
use crate::sim::runtime::digest::sha256_hex;
use crate::sim::runtime::logs::Stream;
use crate::sim::runtime::reference::parse_image_ref;
use crate::sim::runtime::registry::Registries;
use crate::sim::runtime::views::{DOCKER_NAMESPACE, PUBLISHED_PORTS_LABEL};
use crate::sim::runtime::{Container, ContainerConfig, ContainerState, PodSandboxConfig, Runtime};
use crate::sim::trace::ImageAction;

/// At most this many containers `docker run` keeps on a VM (running or exited).
const CONTAINERS_MAX: usize = 64;

fn run_error(text: &str) -> Output {
    Output {
        stderr: format!("docker: {text}\n\nRun 'docker run --help' for more information\n"),
        exit_code: 125,
        ..Output::default()
    }
}

/// The subcommands this module owns; None leaves the line to the others.
pub fn run(
    args: &[String],
    state: &mut NodeState,
    backend: &mut dyn Backend,
    registries: &Rc<RefCell<Registries>>,
) -> Option<Output> {
    let (sub, rest) = args.split_first()?;
    let sub = match (sub.as_str(), rest.first().map(String::as_str)) {
        ("container", Some(verb)) => verb,
        (s, _) => s,
    };
    let rest = if args[0] == "container" {
        args.get(2..).unwrap_or(&[])
    } else {
        rest
    };
    if !matches!(sub, "run" | "logs" | "stop" | "rm" | "exec" | "start") {
        return None;
    }
    let Some(runtime) = backend.node(&state.host).and_then(|h| h.runtime()) else {
        return Some(Output::fail(DOCKER_DOWN));
    };
    if !runtime.borrow().is_up() {
        return Some(Output::fail(DOCKER_DOWN));
    }
    Some(match sub {
        "run" => docker_run(rest, state, backend, &runtime, registries),
        "logs" => logs(rest, &runtime.borrow()),
        "stop" => stop_or_rm(rest, &runtime, backend, false),
        "rm" => stop_or_rm(rest, &runtime, backend, true),
        "start" => Output::fail("Error response from daemon: the sandbox does not restart stopped containers: docker rm it and docker run it again\n"),
        _ => exec(rest, &runtime, backend),
    })
}

struct RunFlags {
    detach: bool,
    name: Option<String>,
    ports: Vec<(u16, u16)>,
    env: Vec<(String, String)>,
    image: String,
    command: Vec<String>,
}

fn run_flags(args: &[String]) -> Result<RunFlags, String> {
    let mut flags = RunFlags {
        detach: false,
        name: None,
        ports: Vec::new(),
        env: Vec::new(),
        image: String::new(),
        command: Vec::new(),
    };
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        if !arg.starts_with('-') || arg == "-" {
            flags.image = arg.clone();
            flags.command = args.get(i..).unwrap_or(&[]).to_vec();
            return Ok(flags);
        }
        let (name, inline) = split_flag(arg);
        let mut value = || flag_value(args, &mut i, name, inline.clone());
        match name {
            "-d" | "--detach" => flags.detach = true,
            "-i" | "-t" | "-it" | "-ti" | "--interactive" | "--tty" | "--rm" => {}
            "-dit" | "-itd" | "-dt" | "-td" => flags.detach = true,
            "--name" => flags.name = Some(value()?),
            "-p" | "--publish" => {
                let spec = value()?;
                let pair = spec
                    .rsplit_once(':')
                    .map_or((spec.as_str(), spec.as_str()), |(h, c)| {
                        (h.rsplit(':').next().unwrap_or(h), c)
                    });
                let container = pair.1.trim_end_matches("/tcp");
                match (pair.0.parse::<u16>(), container.parse::<u16>()) {
                    (Ok(h), Ok(c)) if h > 0 && c > 0 => flags.ports.push((h, c)),
                    _ => return Err(format!("invalid argument \"{spec}\" for \"-p, --publish\" flag: invalid containerPort: {container}")),
                }
            }
            "-e" | "--env" => {
                let pair = value()?;
                let (k, v) = pair.split_once('=').unwrap_or((&pair, ""));
                flags.env.push((k.to_string(), v.to_string()));
            }
            n => return Err(format!("unknown flag: {n}")),
        }
    }
    Err("\"docker run\" requires at least 1 argument.".to_string())
}

/// docker's names generator, in small: `adjective_scientist`.
fn generated_name(seed: &str) -> String {
    const LEFT: [&str; 8] = [
        "admiring", "brave", "clever", "eager", "focused", "jolly", "nifty", "quirky",
    ];
    const RIGHT: [&str; 8] = [
        "curie", "darwin", "hopper", "lovelace", "noether", "pike", "ritchie", "turing",
    ];
    let hex = sha256_hex(seed);
    let n = usize::from_str_radix(&hex[..4], 16).unwrap_or(0);
    format!("{}_{}", LEFT[n % 8], RIGHT[(n / 8) % 8])
}

/// The `docker run` containers of this VM: (container id, sandbox id, name).
fn docker_containers(runtime: &Runtime) -> Vec<(String, String, String)> {
    runtime
        .list_containers(None)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| {
            runtime
                .pod_sandbox_status(&c.pod_sandbox_id)
                .is_ok_and(|s| s.config.namespace == DOCKER_NAMESPACE)
        })
        .map(|c| {
            (
                c.id.clone(),
                c.pod_sandbox_id.clone(),
                c.config.name.clone(),
            )
        })
        .collect()
}

/// A container by name (`docker run` ones) or by id prefix (any).
fn find_container(runtime: &Runtime, key: &str) -> Option<(String, String)> {
    if let Some((id, sandbox, _)) = docker_containers(runtime)
        .into_iter()
        .find(|(_, _, name)| name == key.trim_start_matches('/'))
    {
        return Some((id, sandbox));
    }
    if key.is_empty() {
        return None;
    }
    let matches: Vec<(String, String)> = runtime
        .list_containers(None)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.id.starts_with(key))
        .map(|c| (c.id.clone(), c.pod_sandbox_id.clone()))
        .collect();
    match matches.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

fn no_such_container(key: &str) -> String {
    format!("Error response from daemon: No such container: {key}\n")
}

fn docker_run(
    args: &[String],
    state: &mut NodeState,
    backend: &mut dyn Backend,
    runtime: &Rc<RefCell<Runtime>>,
    registries: &Rc<RefCell<Registries>>,
) -> Output {
    let flags = match run_flags(args) {
        Ok(f) => f,
        Err(e) if e.starts_with('"') => {
            return Output {
                stderr: format!("docker: {e}\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'docker run --help' for more information\n"),
                exit_code: 125,
                ..Output::default()
            }
        }
        Err(e) => return run_error(&e),
    };
    let reference = match parse_image_ref(&flags.image) {
        Ok(r) => r,
        Err(e) => return run_error(&e.to_string()),
    };
    let now = backend.now_ticks();
    let existing = docker_containers(&runtime.borrow());
    let seed = format!("{} {} {now} {}", state.host, flags.image, existing.len());
    let name = flags.name.clone().unwrap_or_else(|| generated_name(&seed));
    if let Some((id, _, _)) = existing.iter().find(|(_, _, n)| *n == name) {
        return run_error(&format!("Error response from daemon: Conflict. The container name \"/{name}\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name."));
    }
    if existing.len() >= CONTAINERS_MAX {
        return run_error(&format!("Error response from daemon: the sandbox keeps at most {CONTAINERS_MAX} containers per VM: docker rm some"));
    }
    let published = published_on(&runtime.borrow());
    if let Some((host, _)) = flags.ports.iter().find(|(h, _)| published.contains_key(h)) {
        return run_error(&format!("Error response from daemon: driver failed programming external connectivity on endpoint {name}: Bind for 0.0.0.0:{host} failed: port is already allocated"));
    }
    let mut out = Output::default();
    if !runtime.borrow().has_image(&reference.to_string()) {
        let tag = reference.tag_or_latest().unwrap_or("latest");
        out.stdout.push_str(&format!(
            "Unable to find image '{}:{tag}' locally\n",
            reference.familiar_name()
        ));
        let spec = match registries.borrow().resolve(&reference) {
            Ok(spec) => spec.clone(),
            Err(e) => {
                let text = if e.is_not_found() {
                    format!(
                        "manifest for {}:{tag} not found: manifest unknown: manifest unknown",
                        reference.familiar_name()
                    )
                } else {
                    format!("pull access denied for {}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", reference.familiar_name())
                };
                let mut fail = run_error(&format!("Error response from daemon: {text}"));
                fail.stdout = out.stdout;
                return fail;
            }
        };
        let layers = pulled_layers(&runtime.borrow(), &spec);
        out.stdout
            .push_str(&format!("{tag}: Pulling from {}\n", reference.path));
        out.stdout.push_str(&pull_lines(&layers));
        out.stdout.push_str(&format!(
            "Digest: {}\nStatus: Downloaded newer image for {}:{tag}\n",
            spec.manifest_digest,
            reference.familiar_name()
        ));
        runtime
            .borrow_mut()
            .load_image(&spec, &reference.to_string(), now);
        let image = reference.to_string();
        transfer(backend, ImageAction::Pull, &image, &state.host, layers);
    }
    let now = backend.now_ticks();
    let mut rng = Rng::new(u64::from_str_radix(&sha256_hex(&seed)[..16], 16).unwrap_or(1));
    let uid = sha256_hex(&format!("container {seed} {name}"));
    let mut labels = BTreeMap::new();
    if !flags.ports.is_empty() {
        let pairs: Vec<String> = flags
            .ports
            .iter()
            .map(|(h, c)| format!("{h}:{c}"))
            .collect();
        labels.insert(PUBLISHED_PORTS_LABEL.to_string(), pairs.join(","));
    }
    // Docker names the container's host after its id: the id the sandbox's and then the
    // container's draw from the generator will give.
    let mut probe = rng.clone();
    let _sandbox_id = generate_id(&mut probe);
    let predicted_id = generate_id(&mut probe);
    let started = {
        let mut rt = runtime.borrow_mut();
        let sandbox = rt.run_pod_sandbox(
            PodSandboxConfig {
                name: name.clone(),
                namespace: DOCKER_NAMESPACE.to_string(),
                uid: uid.clone(),
                attempt: 0,
                hostname: predicted_id[..12].to_string(),
                ip: format!("172.17.0.{}", 2 + existing.len()),
                labels,
            },
            &mut rng,
            now,
        );
        sandbox.and_then(|sandbox| {
            let id = rt.create_container(
                &sandbox,
                ContainerConfig {
                    name: name.clone(),
                    attempt: 0,
                    image: flags.image.clone(),
                    command: Vec::new(),
                    args: flags.command.clone(),
                    env: flags.env.clone(),
                    memory_limit_bytes: None,
                    cpu_limit_millis: None,
                    files: Default::default(),
                    labels: BTreeMap::new(),
                },
                &mut rng,
                now,
            )?;
            rt.start_container(&id, now).map(|()| id)
        })
    };
    let id = match started {
        Ok(id) => {
            debug_assert_eq!(id, predicted_id, "the hostname is the container's id");
            id
        }
        Err(e) => {
            let text = e.to_string();
            let text = text
                .rsplit_once("desc = ")
                .map_or(text.as_str(), |(_, t)| t)
                .replace(
                    "failed to create containerd task: ",
                    "failed to create task for container: ",
                );
            let mut fail = run_error(&format!("Error response from daemon: {text}."));
            fail.exit_code = 127;
            fail.stdout = out.stdout;
            return fail;
        }
    };
    // Starting takes a moment (the shim, the network, the process): by the time the prompt is
    // back the program has begun, as a `curl` right after `docker run -d` finds.
    backend.advance(TICKS_PER_SECOND);
    if flags.detach {
        out.stdout.push_str(&format!("{id}\n"));
        return out;
    }
    // Attached: what the container wrote in that first second.
    let rt = runtime.borrow();
    if let Ok(c) = rt.container_status(&id) {
        write_log(c, &mut out);
        if c.state == ContainerState::ContainerExited {
            out.exit_code = c.exit_code;
        }
    }
    out
}

/// Host port → (container id, container port) for this VM's running `docker run` containers.
fn published_on(runtime: &Runtime) -> BTreeMap<u16, (String, u16)> {
    let mut out = BTreeMap::new();
    for (id, sandbox, _) in docker_containers(runtime) {
        let running = runtime
            .container_status(&id)
            .is_ok_and(|c| c.state == ContainerState::ContainerRunning);
        let Ok(s) = runtime.pod_sandbox_status(&sandbox) else {
            continue;
        };
        let Some(ports) = s
            .config
            .labels
            .get(PUBLISHED_PORTS_LABEL)
            .filter(|_| running)
        else {
            continue;
        };
        for pair in ports.split(',') {
            if let Some((h, c)) = pair.split_once(':') {
                if let (Ok(h), Ok(c)) = (h.parse(), c.parse()) {
                    out.insert(h, (id.clone(), c));
                }
            }
        }
    }
    out
}

fn logs(args: &[String], runtime: &Runtime) -> Output {
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let [key] = names.as_slice() else {
        return Output::fail("\"docker logs\" requires exactly 1 argument.\nSee 'docker logs --help'.\n\nUsage:  docker logs [OPTIONS] CONTAINER\n\nFetch the logs of a container\n");
    };
    let Some((id, _)) = find_container(runtime, key) else {
        return Output::fail(no_such_container(key));
    };
    let mut out = Output::default();
    if let Ok(c) = runtime.container_status(&id) {
        write_log(c, &mut out);
    }
    out
}

/// A container's log, each line to the stream it was written to.
fn write_log(container: &Container, out: &mut Output) {
    for line in container.log().lines() {
        let text = format!("{}\n", line.text);
        match line.stream {
            Stream::Stdout => out.stdout.push_str(&text),
            Stream::Stderr => out.stderr.push_str(&text),
        }
    }
}

fn stop_or_rm(
    args: &[String],
    runtime: &Rc<RefCell<Runtime>>,
    backend: &mut dyn Backend,
    remove: bool,
) -> Output {
    let force = args.iter().any(|a| a == "-f" || a == "--force");
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let verb = if remove { "rm" } else { "stop" };
    if names.is_empty() {
        return Output::fail(format!(
            "\"docker {verb}\" requires at least 1 argument.\nSee 'docker {verb} --help'.\n"
        ));
    }
    let now = backend.now_ticks();
    let mut out = Output::default();
    let mut stopping = Vec::new();
    let mut rt = runtime.borrow_mut();
    for key in names {
        let Some((id, sandbox)) = find_container(&rt, key) else {
            out.stderr.push_str(&no_such_container(key));
            out.exit_code = 1;
            continue;
        };
        let running = rt
            .container_status(&id)
            .is_ok_and(|c| c.state == ContainerState::ContainerRunning);
        let ours = rt
            .pod_sandbox_status(&sandbox)
            .is_ok_and(|s| s.config.namespace == DOCKER_NAMESPACE);
        if remove && running && !force {
            out.stderr.push_str(&format!("Error response from daemon: cannot remove container \"/{}\": container is running: stop the container before removing or force remove\n", key.trim_start_matches('/')));
            out.exit_code = 1;
            continue;
        }
        if remove && !ours {
            out.stderr.push_str(&format!("Error response from daemon: the kubelet owns container {key}: delete its pod with kubectl\n"));
            out.exit_code = 1;
            continue;
        }
        if running {
            if force {
                rt.kill_container(&id, now);
            } else {
                let _ = rt.stop_container(&id, STOP_GRACE_SECONDS, now);
                stopping.push(id.clone());
            }
        }
        if remove {
            let _ = rt.remove_container(&id, now);
            let _ = rt.stop_pod_sandbox(&sandbox, now);
            let _ = rt.remove_pod_sandbox(&sandbox, now);
        }
        out.stdout.push_str(&format!("{key}\n"));
    }
    drop(rt);
    // `docker stop` returns once the container has exited: at most the grace period and the
    // SIGKILL after it.
    for _ in 0..=STOP_GRACE_SECONDS {
        let exited = stopping.iter().all(|id| {
            runtime
                .borrow()
                .container_status(id)
                .is_ok_and(|c| c.state != ContainerState::ContainerRunning)
        });
        if exited {
            break;
        }
        backend.advance(TICKS_PER_SECOND);
    }
    out
}

/// `docker stop`'s default time before SIGKILL.
const STOP_GRACE_SECONDS: u64 = 10;

fn exec(args: &[String], runtime: &Rc<RefCell<Runtime>>, backend: &mut dyn Backend) -> Output {
    let mut i = 0;
    while args.get(i).is_some_and(|a| a.starts_with('-')) {
        i += 1;
    }
    let (Some(key), Some(command)) = (args.get(i), args.get(i + 1..).filter(|c| !c.is_empty()))
    else {
        return Output::fail("\"docker exec\" requires at least 2 arguments.\nSee 'docker exec --help'.\n\nUsage:  docker exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nExecute a command in a running container\n");
    };
    let now = backend.now_ticks();
    let mut rt = runtime.borrow_mut();
    let Some((id, _)) = find_container(&rt, key) else {
        return Output::fail(no_such_container(key));
    };
    match rt.exec_sync(&id, command, now) {
        Ok(result) => Output {
            stdout: result.stdout,
            stderr: result.stderr,
            exit_code: result.exit_code,
            ..Output::default()
        },
        Err(e) => {
            let text = e.to_string();
            let running = rt
                .container_status(&id)
                .is_ok_and(|c| c.state == ContainerState::ContainerRunning);
            if running {
                let desc = text
                    .rsplit_once("desc = ")
                    .map_or(text.as_str(), |(_, t)| t);
                Output {
                    stderr: format!("{desc}\n"),
                    exit_code: 126,
                    ..Output::default()
                }
            } else {
                Output::fail(format!(
                    "Error response from daemon: container {id} is not running\n"
                ))
            }
        }
    }
}

/// `curl localhost:PORT` on a VM where `docker run -p PORT:...` published that port.
pub fn curl(host_args: &[String], runtime: &Rc<RefCell<Runtime>>, now: u64) -> Option<Output> {
    let target = curl_local_target(host_args)?;
    let (id, container_port) = published_on(&runtime.borrow()).get(&target.port)?.clone();
    let outcome = runtime.borrow_mut().http_request(
        &id,
        "GET",
        container_port,
        &target.path,
        "172.17.0.1",
        "curl/7.76.1",
        now,
    );
    let silent = host_args
        .iter()
        .any(|a| a == "-s" || a == "-sS" || a == "--silent");
    Some(match outcome {
        HttpOutcome::Response { body, .. } => Output::ok(body),
        HttpOutcome::NotHttp => Output {
            stderr: if silent {
                String::new()
            } else {
                "curl: (1) Received HTTP/0.9 when not allowed\n".into()
            },
            exit_code: 1,
            ..Output::default()
        },
        _ => Output {
            stderr: if silent {
                String::new()
            } else {
                "curl: (56) Recv failure: Connection reset by peer\n".to_string()
            },
            exit_code: 56,
            ..Output::default()
        },
    })
}
