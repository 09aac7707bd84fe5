//! `kubectl run` and `kubectl expose`: a Pod from a name and an image, and a Service in front of
//! an existing object.
//!
//! Mirrors: kubectl v1.32 `run` (`pkg/cmd/run`: label `run=NAME` unless `--labels`, `--port`,
//! `--env`, `--restart`, `--command`, the words after `--` as args or command, `dnsPolicy:
//! ClusterFirst`) and `expose` (`pkg/cmd/expose`: the selector and ports introspected from a
//! pod, service, replication controller, replica set or deployment; ports named `port-1`, ...
//! when there are several; the target port equal to the port unless `--target-port`).
//! Simplified: no `-i/-t/--rm` (the terminal cannot attach), no `--overrides`, no `-f` for
//! expose.

use crate::sim::api::JsonPointer;
use serde_json::{json, Map, Value};

use super::cmd::Ctx;
use super::errors::api_error_text;
use super::verb_util::{self as vu, error, usage_error, DryRun, Flag, Takes, Target};
use super::Output;
use crate::sim::api::resources::lookup;
use crate::sim::apiserver::request::Verb;

const RUN_FLAGS: &[Flag] = &[
    ("image", None, Takes::Value),
    ("port", None, Takes::Value),
    ("labels", Some('l'), Takes::Value),
    ("restart", None, Takes::Value),
    ("env", None, Takes::Value),
    ("annotations", None, Takes::Value),
    ("image-pull-policy", None, Takes::Value),
    ("command", None, Takes::Bool),
    ("dry-run", None, Takes::Optional),
    ("output", Some('o'), Takes::Value),
    ("stdin", Some('i'), Takes::Bool),
    ("tty", Some('t'), Takes::Bool),
    ("rm", None, Takes::Bool),
    ("attach", None, Takes::Bool),
    ("expose", None, Takes::Bool),
];

/// `k=v,k2=v2` (kubectl's `ParseLabels`).
fn parse_pairs(spec: &str, what: &str) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for part in spec.split(',') {
        match part.split_once('=') {
            Some((k, v)) if !k.is_empty() && !v.contains('=') => {
                out.insert(k.to_string(), json!(v));
            }
            _ => return Err(format!("invalid {what} spec: {part}")),
        }
    }
    Ok(out)
}

/// The Pod `kubectl run` sends, field for field.
pub fn run_pod(
    name: &str,
    image: &str,
    labels: Map<String, Value>,
    port: Option<i32>,
    env: &[(String, String)],
    restart: &str,
    command: Option<(&[String], bool)>,
) -> Value {
    let mut container = json!({"image": image, "name": name, "resources": {}});
    if let Some((words, as_command)) = command.filter(|(w, _)| !w.is_empty()) {
        container[if as_command { "command" } else { "args" }] = json!(words);
    }
    if !env.is_empty() {
        container["env"] = env
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
    }
    if let Some(p) = port {
        container["ports"] = json!([{ "containerPort": p }]);
    }
    crate::sim::api::json_template(
        r#"{
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"creationTimestamp": null, "labels": "${labels}", "name": "${name}"},
        "spec": {
            "containers": ["${container}"],
            "dnsPolicy": "ClusterFirst",
            "restartPolicy": "${restart}"
        },
        "status": {}
    }"#,
        &[
            ("labels", Value::Object(labels)),
            ("name", name.into()),
            ("container", container),
            ("restart", restart.into()),
        ],
    )
}

/// `kubectl run NAME --image=IMAGE ...`.
pub fn run(args: &[String], ctx: &mut Ctx) -> Output {
    const PATH: &str = "kubectl run";
    let p = match vu::parse(PATH, args, RUN_FLAGS, true) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if p.bool("help").unwrap_or(false) {
        return Output::ok(RUN_HELP);
    }
    let format = match vu::output_format(&p) {
        Ok(f) => f,
        Err(out) => return out,
    };
    let Some(image) = p.value("image") else {
        return error("required flag(s) \"image\" not set");
    };
    let Some(name) = p.positional.first() else {
        return usage_error(PATH, "NAME is required for run");
    };
    if ["stdin", "tty", "rm", "attach"]
        .iter()
        .any(|f| p.bool(f).unwrap_or(false))
    {
        return error("attaching to a pod (-i, -t, --rm, --attach) is a real kubectl feature this sandbox does not run yet: run the pod, then use `kubectl logs` or `kubectl exec`");
    }
    // kubectl takes extra words before `--` as the command too.
    let mut words: Vec<String> = p.positional.get(1..).unwrap_or(&[]).to_vec();
    words.extend(p.after_dashdash.clone().unwrap_or_default());
    let restart = p.value("restart").unwrap_or("Always");
    if !matches!(restart, "Always" | "OnFailure" | "Never") {
        return usage_error(PATH, &format!("invalid restart policy: {restart}"));
    }
    let port = match p.value("port") {
        None | Some("") => None,
        Some(text) => match text.parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => return error(&format!("strconv.Atoi: parsing \"{text}\": invalid syntax")),
        },
    };
    let labels = match p.value("labels") {
        Some(spec) => match parse_pairs(spec, "label") {
            Ok(l) => l,
            Err(e) => return error(&e),
        },
        None => {
            let mut m = Map::new();
            m.insert("run".into(), json!(name));
            m
        }
    };
    let mut env = Vec::new();
    for e in p.values("env") {
        match e.split_once('=') {
            Some((k, v)) if !k.is_empty() => env.push((k.to_string(), v.to_string())),
            _ => return error(&format!("invalid env: {e}")),
        }
    }
    let as_command = p.bool("command").unwrap_or(false);
    let mut pod = run_pod(
        name,
        image,
        labels,
        port,
        &env,
        restart,
        Some((&words, as_command)),
    );
    if let Some(policy) = p.value("image-pull-policy") {
        pod["spec"]["containers"][0]["imagePullPolicy"] = json!(policy);
    }
    let mut annotations = Map::new();
    for a in p.values("annotations") {
        match a.split_once('=') {
            Some((k, v)) => {
                annotations.insert(k.to_string(), json!(v));
            }
            None => return error(&format!("invalid annotation spec: {a}")),
        }
    }
    if !annotations.is_empty() {
        pod["metadata"]["annotations"] = Value::Object(annotations);
    }
    let mut out = Output::default();
    if p.bool("expose").unwrap_or(false) {
        // kubectl creates the Service first, selecting the pod's labels on its port.
        let Some(port) = port else {
            return error("--port must be set when exposing a service");
        };
        let service = json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"creationTimestamp": null, "name": name},
            "spec": {
                "ports": [{"port": port, "protocol": "TCP", "targetPort": port}],
                "selector": pod["metadata"]["labels"].clone()
            },
            "status": {"loadBalancer": {}}
        });
        out = create(
            ctx,
            service,
            "services",
            &p,
            &format,
            "created",
            "kubectl-run",
        );
        if out.exit_code != 0 {
            return out;
        }
    }
    let mut pod_out = create(ctx, pod, "pods", &p, &format, "created", "kubectl-run");
    if !out.stderr.is_empty() {
        // The bare `--dry-run` warning is printed once per command, not per object.
        if let Ok((_, warning)) = vu::dry_run(&p) {
            pod_out.stderr = pod_out.stderr.replacen(&warning, "", 1);
        }
    }
    out.append(pod_out);
    out
}

/// Sends (or, for `--dry-run=client`, only prints) a create of `object`.
fn create(
    ctx: &mut Ctx,
    object: Value,
    plural: &str,
    p: &vu::Parsed,
    format: &str,
    verb: &str,
    field_manager: &str,
) -> Output {
    let (dry, warning) = match vu::dry_run(p) {
        Ok(d) => d,
        Err(out) => return out,
    };
    let Some(info) = lookup(plural) else {
        return error("internal: unknown resource");
    };
    let reference = format!(
        "{}/{}",
        super::cmd::kind_ref(info),
        crate::sim::api::name(&object)
    );
    let mut out = Output {
        stderr: warning,
        ..Output::default()
    };
    if dry == DryRun::Client {
        out.stdout = vu::print_built(
            &object,
            &reference,
            format,
            &format!("{verb}{}", dry.suffix()),
        );
        return out;
    }
    let mut req = vu::admin(Verb::Create, info)
        .namespace(p.namespace())
        .body(object);
    req.dry_run = dry == DryRun::Server;
    req.field_manager = Some(field_manager.to_string());
    match ctx.call(req) {
        Ok(resp) => {
            out.stdout = vu::print_built(
                &resp.body,
                &reference,
                format,
                &format!("{verb}{}", dry.suffix()),
            )
        }
        Err(e) => {
            out.stderr.push_str(&api_error_text(&e));
            out.exit_code = 1;
        }
    }
    out
}

const EXPOSE_FLAGS: &[Flag] = &[
    ("port", None, Takes::Value),
    ("target-port", None, Takes::Value),
    ("type", None, Takes::Value),
    ("name", None, Takes::Value),
    ("protocol", None, Takes::Value),
    ("selector", None, Takes::Value),
    ("labels", Some('l'), Takes::Value),
    ("external-ip", None, Takes::Value),
    ("cluster-ip", None, Takes::Value),
    ("load-balancer-ip", None, Takes::Value),
    ("session-affinity", None, Takes::Value),
    ("dry-run", None, Takes::Optional),
    ("output", Some('o'), Takes::Value),
];

/// The selector of the exposed object, or why there is none (expose's `MapBasedSelectorForObject`).
fn selector_of(kind: &str, obj: &Value) -> Result<Map<String, Value>, String> {
    let found = match kind {
        "Pod" => obj.ptr("/metadata/labels"),
        "Service" | "ReplicationController" => obj.ptr("/spec/selector"),
        _ => {
            if let Some(exprs) = obj
                .ptr("/spec/selector/matchExpressions")
                .and_then(Value::as_array)
                .filter(|e| !e.is_empty())
            {
                return Err(format!(
                    "couldn't convert expressions - \"{}\" to map-based selector format",
                    serde_json::to_string(exprs).unwrap_or_default()
                ));
            }
            obj.ptr("/spec/selector/matchLabels")
        }
    };
    match found.and_then(Value::as_object) {
        Some(m) if !m.is_empty() => Ok(m.clone()),
        _ => Err(match kind {
            "Pod" => "the pod has no labels and cannot be exposed".to_string(),
            "Service" => "the service has no pod selector set".to_string(),
            _ => format!("the {} has no selector", kind.to_ascii_lowercase()),
        }),
    }
}

/// The ports of the exposed object with their protocols (expose's `PortsForObject` and
/// `ProtocolsForObject`): a pod's or template's container ports, a service's ports.
fn ports_of(kind: &str, obj: &Value) -> Vec<(i64, String)> {
    let protocol = |p: &Value| {
        p.get("protocol")
            .and_then(Value::as_str)
            .unwrap_or("TCP")
            .to_string()
    };
    if kind == "Service" {
        return obj
            .ptr("/spec/ports")
            .and_then(Value::as_array)
            .map(|ports| {
                ports
                    .iter()
                    .filter_map(|p| Some((p.get("port")?.as_i64()?, protocol(p))))
                    .collect()
            })
            .unwrap_or_default();
    }
    let spec = if kind == "Pod" {
        obj.get("spec")
    } else {
        obj.ptr("/spec/template/spec")
    };
    let mut out = Vec::new();
    for c in spec
        .and_then(|s| s.get("containers"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for p in c
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = p.get("containerPort").and_then(Value::as_i64) {
                out.push((n, protocol(p)));
            }
        }
    }
    out
}

/// `kubectl expose TYPE NAME ...`.
pub fn expose(args: &[String], ctx: &mut Ctx) -> Output {
    const PATH: &str = "kubectl expose";
    let p = match vu::parse(PATH, args, EXPOSE_FLAGS, false) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if p.bool("help").unwrap_or(false) {
        return Output::ok(EXPOSE_HELP);
    }
    let format = match vu::output_format(&p) {
        Ok(f) => f,
        Err(out) => return out,
    };
    if p.positional.is_empty() {
        return usage_error(PATH, "You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'");
    }
    let ns = p.namespace();
    let found = match vu::resolve(ctx, &p.positional, &ns, None, false) {
        Ok(t) => t,
        Err(out) => return out,
    };
    let mut out = Output::default();
    for target in found {
        let one = expose_one(ctx, &p, &target, &format);
        let failed = one.exit_code != 0;
        out.append(one);
        if failed {
            break;
        }
    }
    out
}

fn expose_one(ctx: &mut Ctx, p: &vu::Parsed, target: &Target, format: &str) -> Output {
    const PATH: &str = "kubectl expose";
    let kind = target.info.kind;
    if !matches!(
        kind,
        "Pod" | "Service" | "ReplicationController" | "ReplicaSet" | "Deployment"
    ) {
        return error(&format!("cannot expose a {kind}"));
    }
    let obj = match vu::get(ctx, target) {
        Ok(o) => o,
        Err(text) => return Output::fail(text),
    };
    let selector = match p.value("selector") {
        Some(spec) => match parse_pairs(spec, "selector") {
            Ok(s) => s,
            Err(e) => return error(&e),
        },
        None => match selector_of(kind, &obj) {
            Ok(s) => s,
            Err(e) => {
                return usage_error(
                    PATH,
                    &format!(
                        "couldn't retrieve selectors via --selector flag or introspection: {e}"
                    ),
                )
            }
        },
    };
    let introspected = ports_of(kind, &obj);
    let ports: Vec<(i64, String)> = match p.value("port") {
        Some(text) => {
            let mut ports = Vec::new();
            for part in text.split(',') {
                match part.parse::<i64>() {
                    Ok(n) => {
                        let proto = introspected
                            .iter()
                            .find(|(port, _)| *port == n)
                            .map(|(_, proto)| proto.clone())
                            .unwrap_or_else(|| "TCP".to_string());
                        ports.push((n, proto));
                    }
                    Err(_) => {
                        return error(&format!("strconv.Atoi: parsing \"{part}\": invalid syntax"))
                    }
                }
            }
            ports
        }
        None => introspected,
    };
    if ports.is_empty() {
        return usage_error(PATH, "couldn't find port via --port flag or introspection");
    }
    let many = ports.len() > 1;
    let service_ports: Vec<Value> = ports
        .iter()
        .enumerate()
        .map(|(i, (port, proto))| {
            let mut sp = Map::new();
            if many {
                sp.insert("name".into(), json!(format!("port-{}", i + 1)));
            }
            sp.insert("port".into(), json!(port));
            sp.insert(
                "protocol".into(),
                json!(p.value("protocol").unwrap_or(proto)),
            );
            let target = match p.value("target-port") {
                Some(t) => match t.parse::<i64>() {
                    Ok(n) => json!(n),
                    Err(_) => json!(t),
                },
                None => json!(port),
            };
            sp.insert("targetPort".into(), target);
            Value::Object(sp)
        })
        .collect();
    let name = p.value("name").unwrap_or(&target.name).to_string();
    let labels = match p.value("labels") {
        Some(spec) => match parse_pairs(spec, "label") {
            Ok(l) => Value::Object(l),
            Err(e) => return error(&e),
        },
        None => obj.ptr("/metadata/labels").cloned().unwrap_or(Value::Null),
    };
    let mut metadata = json!({"creationTimestamp": null, "name": name});
    if labels.as_object().is_some_and(|m| !m.is_empty()) {
        metadata["labels"] = labels;
    }
    let mut spec = json!({"ports": service_ports, "selector": selector});
    if let Some(t) = p.value("type") {
        spec["type"] = json!(t);
    }
    if let Some(ip) = p.value("cluster-ip") {
        spec["clusterIP"] = json!(ip);
    }
    if let Some(ips) = p.value("external-ip") {
        spec["externalIPs"] = json!(ips.split(',').collect::<Vec<_>>());
    }
    if let Some(ip) = p.value("load-balancer-ip") {
        spec["loadBalancerIP"] = json!(ip);
    }
    if let Some(a) = p.value("session-affinity") {
        spec["sessionAffinity"] = json!(a);
    }
    let service = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata,
        "spec": spec,
        "status": {"loadBalancer": {}}
    });
    create(
        ctx,
        service,
        "services",
        p,
        format,
        "exposed",
        "kubectl-expose",
    )
}

const RUN_HELP: &str = "Create and run a particular image in a pod.

Examples:
  # Start a nginx pod
  kubectl run nginx --image=nginx

  # Start a hazelcast pod and let the container expose port 5701
  kubectl run hazelcast --image=hazelcast/hazelcast --port=5701

  # Start a busybox pod and keep it in the foreground, don't restart it if it exits
  kubectl run busybox --image=busybox --restart=Never -- sleep 3600

Options (in this sandbox):
    --image='': The image for the container to run.
    --port='': The port that this container exposes.
    -l, --labels='': Comma separated labels to apply to the pod. Will override previous values.
    --env=[]: Environment variables to set in the container.
    --restart='Always': The restart policy for this Pod. Legal values [Always, OnFailure, Never].
    --expose=false: If true, create a ClusterIP service associated with the pod. Requires `--port`.
    --command=false: If true and extra arguments are present, use them as the 'command' field in the container, rather than the 'args' field which is the default.
    --dry-run='none': Must be \"none\", \"server\", or \"client\".
    -o, --output='': Output format. One of: (json, yaml, name).

Usage:
  kubectl run NAME --image=image [--env=\"key=value\"] [--port=port] [--dry-run=server|client] [--overrides=inline-json] [--command] -- [COMMAND] [args...] [options]
";

const EXPOSE_HELP: &str = "Expose a resource as a new Kubernetes service.

 Looks up a deployment, service, replica set, replication controller or pod by name and uses the selector for that resource as the selector for a new service on the specified port. A deployment or replica set will be exposed as a service only if its selector is convertible to a selector that service supports, i.e. when the selector contains only the matchLabels component. Note that if no port is specified via --port and the exposed resource has multiple ports, all will be re-used by the new service. Also if no labels are specified, the new service will re-use the labels from the resource it exposes.

 Possible resources include (case insensitive):

 pod (po), service (svc), replicationcontroller (rc), deployment (deploy), replicaset (rs)

Examples:
  # Create a service for a replicated nginx, which serves on port 80 and connects to the containers on port 8000
  kubectl expose rc nginx --port=80 --target-port=8000

  # Create a service for a pod valid-pod, which serves on port 444 with the name \"frontend\"
  kubectl expose pod valid-pod --port=444 --name=frontend

Usage:
  kubectl expose (-f FILENAME | TYPE NAME) [--port=port] [--protocol=TCP|UDP|SCTP] [--target-port=number-or-name] [--name=name] [--external-ip=external-ip-of-service] [--type=type] [options]
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_pod_carries_run_label_port_and_args_as_kubectl_sends_them() {
        let mut labels = Map::new();
        labels.insert("run".into(), json!("kubia"));
        let words = vec!["sh".to_string(), "-c".to_string()];
        let pod = run_pod(
            "kubia",
            "luksa/kubia",
            labels,
            Some(8080),
            &[("K".into(), "V".into())],
            "Never",
            Some((&words, false)),
        );
        assert_eq!(pod["metadata"]["labels"]["run"], "kubia");
        assert_eq!(pod["spec"]["containers"][0]["args"], json!(["sh", "-c"]));
        assert_eq!(
            pod["spec"]["containers"][0]["ports"],
            json!([{"containerPort": 8080}])
        );
        assert_eq!(pod["spec"]["restartPolicy"], "Never");
        assert_eq!(pod["spec"]["dnsPolicy"], "ClusterFirst");
    }

    #[test]
    fn expose_introspects_ports_and_selectors_like_kubectl() {
        let d = json!({"spec": {"selector": {"matchLabels": {"app": "web"}},
            "template": {"spec": {"containers": [{"ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}]}]}}}});
        assert_eq!(
            ports_of("Deployment", &d),
            vec![(80, "TCP".to_string()), (53, "UDP".to_string())]
        );
        assert_eq!(selector_of("Deployment", &d).unwrap()["app"], "web");
        let bare = json!({"metadata": {"name": "x"}, "spec": {"containers": [{}]}});
        assert_eq!(
            selector_of("Pod", &bare).unwrap_err(),
            "the pod has no labels and cannot be exposed"
        );
        assert!(ports_of("Pod", &bare).is_empty());
    }
}
