//! `kubectl port-forward TARGET [LOCAL:]REMOTE...`, and `curl localhost:LOCAL` through it.
//!
//! Mirrors: kubectl v1.32 `pkg/cmd/portforward` (`pod/NAME`, `NAME`, `svc/NAME`, `deploy/NAME`;
//! a Service port translated to its `targetPort`, a named container port to its number; `error:
//! unable to forward port because pod is not running. Current status=Pending`; `TYPE/NAME and list
//! of ports are required for port-forward`) and client-go's `tools/portforward` (the
//! `Forwarding from 127.0.0.1:8080 -> 80` / `Forwarding from [::1]:8080 -> 80` lines, `Handling
//! connection for 8080` per connection, `address already in use` when a local port is taken).
//! Simplified: in a real terminal the command blocks until Ctrl-C; here it returns at once and the
//! forward stays active in the shell, as if run with `&`, until its pod is gone (then the next
//! connection prints `error: lost connection to pod` and the forward ends). A connection through
//! it is delivered from the master VM to the pod's IP over the simulated pod network, instead of
//! through the apiserver's `pods/portforward` stream and the kubelet; `:REMOTE` picks local ports
//! from 33000 upwards instead of a random free one.

use crate::sim::api::JsonPointer;
use serde_json::Value;

use super::cmd::Ctx;
use super::errors::api_error_text;
use super::logs::{resolve_pod, str_at, usage_error};
use super::verb_util::{parse, Flag, Takes};
use super::{net_cmds, Output};
use crate::sim::apiserver::request::{ApiRequest, Credentials, Verb};
use crate::sim::cluster::Cluster;
use crate::sim::component::Lister;
use crate::sim::kubelet::Kubelet;
use crate::sim::network::port_forward::{
    forwarding_lines, handling_connection_line, parse_port, refused_text, unhandled_error,
    ForwardedPort,
};
use crate::sim::runtime::shell::format_date;
use crate::sim::sort::StableSort;

/// First local port handed out for `:REMOTE`.
const AUTO_LOCAL_PORT_FIRST: u16 = 33000;

/// One running `kubectl port-forward`: connections to `local` on the VM `host` reach `remote`
/// on the pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveForward {
    pub host: String,
    pub local: u16,
    pub remote: u16,
    pub namespace: String,
    pub pod: String,
    /// The pod's uid: a new pod with the same name is not the forwarded one.
    pub uid: String,
}

const FLAGS: &[Flag] = &[
    ("address", None, Takes::Value),
    ("pod-running-timeout", None, Takes::Value),
];

/// `kubectl port-forward` without a shell to keep the forward in: prints what kubectl prints.
pub fn run(args: &[String], ctx: &mut Ctx) -> Output {
    let mut none = Vec::new();
    start(args, ctx, "master", &mut none)
}

/// From the shell: if this kubectl line is `port-forward`, runs it and keeps its forwards in
/// `active`.
pub fn run_in_shell(
    args: &[String],
    ctx: &mut Ctx,
    host: &str,
    active: &mut Vec<ActiveForward>,
) -> Option<Output> {
    let i = super::verb_util::first_word(args, super::verb_util::GLOBAL)?;
    if args[i] != "port-forward" {
        return None;
    }
    let mut rest = args.to_vec();
    rest.remove(i);
    Some(start(&rest, ctx, host, active))
}

/// The pod a Service forwards to: its selector's pods, running ones first (`GetFirstPod`).
fn service_pod(ctx: &mut Ctx, namespace: &str, name: &str) -> Result<(Value, Value), Output> {
    let get = ApiRequest::new(Credentials::admin(), Verb::Get, "services")
        .namespace(namespace.to_string())
        .name(name.to_string());
    let svc = ctx
        .call(get)
        .map_err(|e| Output::fail(api_error_text(&e)))?
        .body;
    let selector: Vec<String> = svc
        .ptr("/spec/selector")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    if selector.is_empty() {
        return Err(Output::fail(format!(
            "error: cannot attach to *v1.Service: invalid service '{name}': Service is defined without a selector\n"
        )));
    }
    let mut list =
        ApiRequest::new(Credentials::admin(), Verb::List, "pods").namespace(namespace.to_string());
    list.list_options.label_selector = Some(selector.join(","));
    let pods: Vec<Value> = ctx
        .call(list)
        .ok()
        .and_then(|r| r.body.get("items").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    let mut ranked: Vec<&Value> = pods.iter().collect();
    ranked.stable_sort_by_key(|p| {
        (
            str_at(p, "/status/phase") != "Running",
            str_at(p, "/metadata/name").to_string(),
        )
    });
    match ranked.first() {
        Some(pod) => Ok(((*pod).clone(), svc)),
        None => Err(Output::fail("error: timed out waiting for the condition\n")),
    }
}

/// `translateServicePortToTargetPort`: a Service port (number or name) to the pod's port.
fn service_target(svc: &Value, pod: &Value, remote: &str) -> Result<String, String> {
    let name = str_at(svc, "/metadata/name");
    let ports = svc
        .ptr("/spec/ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let found = ports.iter().find(|p| match remote.parse::<i64>() {
        Ok(n) => p.get("port").and_then(Value::as_i64) == Some(n),
        Err(_) => p.get("name").and_then(Value::as_str) == Some(remote),
    });
    let Some(port) = found else {
        return Err(match remote.parse::<i64>() {
            Ok(_) => format!("Service {name} does not have a service port {remote}"),
            Err(_) => format!("Service '{name}' does not have a named port '{remote}'"),
        });
    };
    match port.get("targetPort") {
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Ok(port
            .get("port")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            .to_string()),
    }
    .and_then(|target| container_port(pod, &target))
}

/// `convertPodNamedPortToNumber`: a named container port to its number.
fn container_port(pod: &Value, remote: &str) -> Result<String, String> {
    if remote.parse::<i64>().is_ok() || remote.is_empty() {
        return Ok(remote.to_string());
    }
    let number = pod
        .ptr("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("ports").and_then(Value::as_array))
        .flatten()
        .find(|p| p.get("name").and_then(Value::as_str) == Some(remote))
        .and_then(|p| p.get("containerPort").and_then(Value::as_i64));
    match number {
        Some(n) => Ok(n.to_string()),
        None => Err(format!(
            "Pod '{}' does not have a named port '{remote}'",
            str_at(pod, "/metadata/name")
        )),
    }
}

fn start(args: &[String], ctx: &mut Ctx, host: &str, active: &mut Vec<ActiveForward>) -> Output {
    let parsed = match parse("kubectl port-forward", args, FLAGS, true) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if parsed.has("help") {
        return Output::ok("Forward one or more local ports to a pod.\n\nUsage:\n  kubectl port-forward TYPE/NAME [options] [LOCAL_PORT:]REMOTE_PORT [...[LOCAL_PORT_N:]REMOTE_PORT_N]\n");
    }
    // `kubectl port-forward ... &`: the shell has no job control and keeps a lone `&` as a word;
    // backgrounding is what happens here anyway.
    let positional: Vec<String> = parsed
        .positional
        .iter()
        .filter(|w| w.as_str() != "&")
        .cloned()
        .collect();
    let Some((target, ports)) = positional.split_first().filter(|(_, p)| !p.is_empty()) else {
        return usage_error(
            "port-forward",
            "TYPE/NAME and list of ports are required for port-forward",
        );
    };
    let addresses: Vec<String> = parsed
        .value("address")
        .unwrap_or("localhost")
        .split(',')
        .map(str::to_string)
        .collect();
    for a in &addresses {
        if !matches!(a.as_str(), "localhost" | "127.0.0.1" | "::1" | "0.0.0.0") {
            return Output::fail(format!("error: {a} is not a valid IP\n"));
        }
    }
    let namespace = parsed.namespace();
    let kind = target
        .split_once('/')
        .map(|(k, _)| k.to_ascii_lowercase())
        .unwrap_or_default();
    let (pod, remotes) = if matches!(kind.as_str(), "svc" | "service" | "services") {
        let name = target.split_once('/').map(|(_, n)| n).unwrap_or("");
        let (pod, svc) = match service_pod(ctx, &namespace, name) {
            Ok(p) => p,
            Err(out) => return out,
        };
        let mut remotes = Vec::new();
        for spec in ports {
            let (local, remote) = spec.split_once(':').unwrap_or((spec, spec));
            match service_target(&svc, &pod, remote) {
                // The local port stays what was asked (`8080:80` → 8080; `80` → 80).
                Ok(r) => remotes.push(format!("{local}:{r}")),
                Err(e) => return Output::fail(format!("error: {e}\n")),
            }
        }
        (pod, remotes)
    } else {
        let mut notes = String::new();
        let pod = match resolve_pod(ctx, &namespace, target, &mut notes) {
            Ok(p) => p,
            Err(out) => return out,
        };
        let mut remotes = Vec::new();
        for spec in ports {
            let (local, remote) = spec.split_once(':').unwrap_or((spec, spec));
            match container_port(&pod, remote) {
                Ok(r) if spec.contains(':') => remotes.push(format!("{local}:{r}")),
                Ok(r) => remotes.push(r),
                Err(e) => return Output::fail(format!("error: {e}\n")),
            }
        }
        (pod, remotes)
    };
    let phase = str_at(&pod, "/status/phase");
    if phase != "Running" {
        return Output::fail(format!(
            "error: unable to forward port because pod is not running. Current status={phase}\n"
        ));
    }
    let mut parsed_ports = Vec::new();
    for spec in &remotes {
        match parse_port(spec) {
            Ok(p) => parsed_ports.push(p),
            Err(e) => return Output::fail(format!("error: {e}\n")),
        }
    }
    let mut out = Output::default();
    let mut opened = Vec::new();
    for mut port in parsed_ports {
        let taken = |local: u16, opened: &[ActiveForward]| {
            active
                .iter()
                .chain(opened.iter())
                .any(|f| f.host == host && f.local == local)
        };
        if port.local == 0 {
            let mut candidate = AUTO_LOCAL_PORT_FIRST;
            while taken(candidate, &opened) && candidate < u16::MAX {
                candidate += 1;
            }
            port.local = candidate;
        }
        if taken(port.local, &opened) {
            let l = port.local;
            out.stderr.push_str(&format!(
                "Unable to listen on port {l}: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 127.0.0.1:{l}: bind: address already in use unable to create listener: Error listen tcp6 [::1]:{l}: bind: address already in use]\n"
            ));
            continue;
        }
        for line in forwarding_lines(port) {
            let v6 = line.contains("[::1]");
            let shown = addresses.iter().any(|a| match a.as_str() {
                "localhost" => true,
                "::1" => v6,
                "127.0.0.1" => !v6,
                _ => false,
            });
            if shown {
                out.stdout.push_str(&line);
                out.stdout.push('\n');
            }
        }
        if addresses.iter().any(|a| a == "0.0.0.0") {
            out.stdout.push_str(&format!(
                "Forwarding from 0.0.0.0:{} -> {}\n",
                port.local, port.remote
            ));
        }
        opened.push(ActiveForward {
            host: host.to_string(),
            local: port.local,
            remote: port.remote,
            namespace: namespace.clone(),
            pod: str_at(&pod, "/metadata/name").to_string(),
            uid: str_at(&pod, "/metadata/uid").to_string(),
        });
    }
    if opened.is_empty() {
        let wanted: Vec<String> = remotes
            .iter()
            .filter_map(|s| parse_port(s).ok())
            .map(|p| format!("{{{} {}}}", p.local, p.remote))
            .collect();
        out.stderr.push_str(&format!(
            "error: unable to listen on any of the requested ports: [{}]\n",
            wanted.join(" ")
        ));
        out.exit_code = 1;
        return out;
    }
    active.extend(opened);
    out
}

/// curl's flags that take a value (as `net_cmds`' curl reads them).
const CURL_VALUE_FLAGS: &[&str] = &[
    "-m",
    "--max-time",
    "--connect-timeout",
    "-o",
    "--output",
    "-H",
    "--header",
    "-X",
    "--request",
    "-w",
    "--write-out",
    "-A",
    "--user-agent",
];

/// `curl [http://](localhost|127.0.0.1)[:PORT][/path]` on `host`: when a forward listens on that
/// port, the request goes to the forwarded pod, and the forward's own lines (`Handling connection
/// for 8080`, `error: lost connection to pod`) go to `terminal`: the background kubectl writes to
/// the terminal, not into curl's pipe or redirect. None when no forward is involved (curl runs
/// as usual).
/// A `curl` line's URL when it names this VM itself (`localhost`, `127.0.0.1`, `[::1]`).
pub struct LocalTarget {
    /// Where the URL is among curl's arguments.
    pub index: usize,
    pub port: u16,
    pub path: String,
}

/// Finds the URL among curl's arguments; Some only when it points at the VM itself.
pub fn curl_local_target(args: &[String]) -> Option<LocalTarget> {
    let mut index = None;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if CURL_VALUE_FLAGS.contains(&a.as_str()) {
            i += 2;
            continue;
        }
        if !a.starts_with('-') || a == "-" {
            index = Some(i);
            break;
        }
        i += 1;
    }
    let index = index?;
    let raw = args.get(index)?;
    let rest = raw
        .strip_prefix("http://")
        .or_else(|| raw.strip_prefix("https://"))
        .unwrap_or(raw);
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, "/"),
    };
    let (name, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(':') => (h, p.parse::<u16>().ok()?),
        _ => (authority, 80),
    };
    if !matches!(
        name.to_ascii_lowercase().as_str(),
        "localhost" | "127.0.0.1" | "[::1]"
    ) {
        return None;
    }
    Some(LocalTarget {
        index,
        port,
        path: path.to_string(),
    })
}

pub fn curl(
    host: &str,
    args: &[String],
    active: &mut Vec<ActiveForward>,
    terminal: &mut String,
    cluster: &mut Cluster,
) -> Option<Output> {
    let target = curl_local_target(args)?;
    let (index, port, path) = (target.index, target.port, target.path.as_str());
    let at = active
        .iter()
        .position(|f| f.host == host && f.local == port)?;
    let forward = active.get(at)?.clone();
    let pod = Lister::new(cluster.store()).get("pods", Some(&forward.namespace), &forward.pod);
    let alive = pod.as_ref().filter(|p| {
        str_at(p, "/metadata/uid") == forward.uid
            && str_at(p, "/status/phase") == "Running"
            && p.ptr("/metadata/deletionTimestamp").is_none()
    });
    let Some(pod) = alive else {
        // The forwarded pod is gone: kubectl port-forward has exited, nothing listens any more.
        active.remove(at);
        terminal.push_str("error: lost connection to pod\n");
        return Some(net_cmds::run_on_vm(host, "curl", args, cluster));
    };
    let ip = str_at(pod, "/status/podIP").to_string();
    let mut rewritten = args.to_vec();
    if let Some(slot) = rewritten.get_mut(index) {
        *slot = format!("http://{ip}:{}{path}", forward.remote);
    }
    terminal.push_str(&handling_connection_line(port));
    terminal.push('\n');
    let out = net_cmds::run_on_vm(host, "curl", &rewritten, cluster);
    if out.exit_code != CURL_COULD_NOT_CONNECT {
        return Some(out);
    }
    // Nothing listens in the pod: kubectl took curl's connection, then hears the kubelet's
    // error on the error stream, prints it and ends the forward; curl gets no reply at all.
    let unix = cluster.unix_seconds();
    let node = str_at(pod, "/spec/nodeName").to_string();
    let sandbox = pod_sandbox_id(cluster, &node, &forward.namespace, &forward.pod);
    let stamp = format_date(unix, Some("%m%d %H:%M:%S"));
    let pair = ForwardedPort {
        local: port,
        remote: forward.remote,
    };
    terminal.push_str(&format!(
        "E{stamp}.000000 {KUBECTL_PID:>7} portforward.go:424] {}\nerror: lost connection to pod\n",
        unhandled_error(pair, &refused_text(forward.remote, &sandbox))
    ));
    active.remove(at);
    let silent = out.stderr.is_empty();
    Some(Output {
        stderr: if silent {
            String::new()
        } else {
            "curl: (52) Empty reply from server\n".to_string()
        },
        exit_code: CURL_EMPTY_REPLY,
        ..Output::default()
    })
}

/// The id of the sandbox a pod runs in, as its node's kubelet knows it (port-forward's error
/// names it); empty if the kubelet has none.
pub fn pod_sandbox_id(cluster: &mut Cluster, node: &str, namespace: &str, pod: &str) -> String {
    let mut parts = cluster.network_parts();
    parts
        .components
        .iter_mut()
        .filter_map(|c| c.as_any_mut().and_then(|a| a.downcast_mut::<Kubelet>()))
        .find(|k| k.node() == node)
        .and_then(|k| k.sandbox_id(namespace, pod))
        .map(str::to_string)
        .unwrap_or_default()
}

/// curl's exit codes: could not connect, and the server sent nothing.
const CURL_COULD_NOT_CONNECT: i32 = 7;
const CURL_EMPTY_REPLY: i32 = 52;
/// The pid in the background kubectl's klog lines.
const KUBECTL_PID: u32 = 2817;
