//! The kubelet through the whole cluster: pods bound (through the binding subresource, as the
//! scheduler would) to a node whose kubelet runs them on a scripted runtime.

use serde_json::{json, Value};

use kube_sandbox::sim::apiserver::request::DeleteOptions;
use kube_sandbox::sim::apiserver::{ApiRequest, Credentials, Verb};
use kube_sandbox::sim::cluster::Cluster;
use kube_sandbox::sim::component::Lister;
use kube_sandbox::sim::kubelet::cri::{Behaviour, ScriptedRuntime};
use kube_sandbox::sim::kubelet::failures::NodeHandle;
use kube_sandbox::sim::kubelet::{Kubelet, NodeConfig};
use kube_sandbox::sim::trace::{Actor, CriCall, TraceKind};

const NGINX_BYTES: u64 = 72_938_000;

fn registry() -> ScriptedRuntime {
    let crashing = Behaviour {
        exit_after: Some((2_000, 1)),
        ..Behaviour::default()
    };
    let sick = Behaviour {
        // Healthy for 30 s, then /healthz answers 500.
        http_status_from: vec![(0, 200), (30_000, 500)],
        ..Behaviour::default()
    };
    let leaking = Behaviour {
        memory_bytes: 10 << 20,
        memory_growth_bytes_per_second: 5 << 20,
        ..Behaviour::default()
    };
    let stubborn = Behaviour {
        // Ignores SIGTERM: only SIGKILL at the end of the grace period stops it.
        stop_after_ticks: None,
        ..Behaviour::default()
    };
    ScriptedRuntime::new()
        .with_image("nginx", NGINX_BYTES, Behaviour::default())
        .with_image(
            "busybox",
            4_300_000,
            Behaviour {
                exit_after: Some((3_000, 0)),
                ..Behaviour::default()
            },
        )
        .with_image("crasher", 1_400_000, crashing)
        .with_image("sick", 1_400_000, sick)
        .with_image("leaker", 1_400_000, leaking)
        .with_image("stubborn", 1_400_000, stubborn)
}

fn cluster_with_kubelet(node: &str) -> (Cluster, NodeHandle) {
    let mut cluster = Cluster::new(7);
    let runtime = registry();
    let kubelet = Kubelet::new(
        NodeConfig::lab(node).unwrap(),
        Box::new(move || Box::new(runtime.clone())),
    );
    let handle = kubelet.handle();
    cluster.add_component(Box::new(kubelet));
    cluster.run_until_idle(0);
    (cluster, handle)
}

fn run_pod(cluster: &mut Cluster, pod: Value, node: &str) {
    let name = pod["metadata"]["name"].as_str().unwrap().to_string();
    cluster
        .submit(
            ApiRequest::new(Credentials::admin(), Verb::Create, "pods")
                .namespace("default")
                .body(pod),
        )
        .unwrap();
    cluster
        .submit(
            ApiRequest::new(Credentials::admin(), Verb::Create, "pods")
                .namespace("default")
                .name(name.clone())
                .subresource("binding")
                .body(
                    json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                             "target": {"apiVersion": "v1", "kind": "Node", "name": node}}),
                ),
        )
        .unwrap();
}

fn pod(cluster: &Cluster, name: &str) -> Option<Value> {
    Lister::new(cluster.store()).get("pods", Some("default"), name)
}

/// The Events about a pod, in the order they were recorded: `reason: message`.
fn events(cluster: &Cluster, name: &str) -> Vec<String> {
    // Event names end in the time they were first made, so name order is first-seen order; a
    // repeat is the same Event with its count up (client-go's correlator): listed count times.
    let mut list: Vec<(String, String, usize)> = Lister::new(cluster.store())
        .list("events", Some("default"))
        .into_iter()
        .filter(|e| e["involvedObject"]["name"] == name)
        .map(|e| {
            (
                e["metadata"]["name"].as_str().unwrap_or("").to_string(),
                format!(
                    "{}: {}",
                    e["reason"].as_str().unwrap_or(""),
                    e["message"].as_str().unwrap_or("")
                ),
                e["count"].as_u64().unwrap_or(1) as usize,
            )
        })
        .collect();
    list.sort();
    list.into_iter()
        .flat_map(|(_, text, count)| std::iter::repeat_n(text, count))
        .collect()
}

fn simple(name: &str, image: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"containers": [{"name": name, "image": image}]}})
}

fn container_status(pod: &Value) -> &Value {
    &pod["status"]["containerStatuses"][0]
}

#[test]
fn an_nginx_pod_goes_from_binding_to_running_with_upstreams_events() {
    let (mut cluster, _) = cluster_with_kubelet("node1");
    run_pod(&mut cluster, simple("web", "nginx"), "node1");
    cluster.advance(1_000);
    let creating = pod(&cluster, "web").unwrap();
    assert_eq!(creating["status"]["phase"], "Pending");
    assert_eq!(
        container_status(&creating)["state"]["waiting"]["reason"],
        "ContainerCreating"
    );
    assert_eq!(creating["status"]["podIP"], "10.244.1.2");
    assert_eq!(creating["status"]["hostIP"], "172.16.20.12");
    cluster.advance(10_000);
    let running = pod(&cluster, "web").unwrap();
    assert_eq!(running["status"]["phase"], "Running");
    let status = container_status(&running);
    assert_eq!(status["ready"], true);
    assert_eq!(status["started"], true);
    assert_eq!(status["restartCount"], 0);
    assert_eq!(status["image"], "docker.io/library/nginx:latest");
    assert!(status["imageID"]
        .as_str()
        .unwrap()
        .starts_with("docker.io/library/nginx@sha256:"));
    let id = status["containerID"].as_str().unwrap();
    assert!(id.starts_with("containerd://") && id.len() == "containerd://".len() + 64);
    let conditions: Vec<(String, String)> = running["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap().into(),
                c["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expect = |t: &str| (t.to_string(), "True".to_string());
    assert_eq!(
        conditions,
        vec![
            expect("PodReadyToStartContainers"),
            expect("Initialized"),
            expect("Ready"),
            expect("ContainersReady"),
            expect("PodScheduled")
        ]
    );
    // 72,938,000 bytes at 14 MB/s: 5.21 s; the PLEG sees it at the next relist.
    assert_eq!(
        events(&cluster, "web"),
        vec![
            "Pulling: Pulling image \"nginx\"",
            "Pulled: Successfully pulled image \"nginx\" in 5.21s (5.21s including waiting). Image size: 72938000 bytes.",
            "Created: Created container: web",
            "Started: Started container web",
        ]
    );
    let any_event = Lister::new(cluster.store()).list("events", Some("default"));
    assert_eq!(any_event[0]["source"]["component"], "kubelet");
    assert_eq!(any_event[0]["source"]["host"], "node1");
    assert_eq!(
        any_event[0]["involvedObject"]["fieldPath"],
        "spec.containers{web}"
    );
    // Every kubelet decision is traced with the kubelet@node1 actor.
    assert!(cluster
        .trace()
        .events()
        .iter()
        .any(|e| e.actor.component == "kubelet"
            && e.actor.vm == "node1"
            && matches!(&e.kind, TraceKind::Decision { reason, .. } if reason == "PodRunning")));
}

#[test]
fn a_crashing_container_backs_off_10_20_40_seconds_and_up_to_five_minutes() {
    let (mut cluster, _) = cluster_with_kubelet("node1");
    run_pod(&mut cluster, simple("web", "crasher"), "node1");
    // Record the tick of every restart (restartCount going up).
    let mut restarts: Vec<(u64, u64)> = Vec::new();
    let mut last = 0;
    let mut saw_backoff_message = None;
    for _ in 0..1_500 {
        cluster.advance(1_000);
        let p = pod(&cluster, "web").unwrap();
        let count = container_status(&p)["restartCount"].as_u64().unwrap_or(0);
        if count != last {
            restarts.push((count, cluster.now() / 1000));
            last = count;
        }
        if count == 2 && saw_backoff_message.is_none() {
            if let Some(m) = container_status(&p)["state"]["waiting"]["message"].as_str() {
                saw_backoff_message = Some(m.to_string());
            }
        }
    }
    let gaps: Vec<u64> = restarts.windows(2).map(|w| w[1].1 - w[0].1).collect();
    // Each attempt runs 2 s before it crashes; the wait after it doubles: 10, 20, 40, ... 300;
    // then 1 s more: the re-pull (pull policy Always for an untagged image) and the PLEG relist.
    let waits: Vec<u64> = gaps.iter().map(|g| g - 2 - 1).collect();
    assert_eq!(
        &waits[..7],
        &[10, 20, 40, 80, 160, 300, 300],
        "restarts {restarts:?}"
    );
    let uid = pod(&cluster, "web").unwrap()["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        saw_backoff_message.unwrap(),
        format!("back-off 20s restarting failed container=web pod=web_default({uid})")
    );
    let p = pod(&cluster, "web").unwrap();
    assert_eq!(p["status"]["phase"], "Running");
    assert_eq!(
        container_status(&p)["lastState"]["terminated"]["exitCode"],
        1
    );
    assert!(events(&cluster, "web").contains(&format!(
        "BackOff: Back-off restarting failed container web in pod web_default({uid})"
    )));
}

#[test]
fn a_misspelled_image_gives_err_image_pull_then_image_pull_back_off() {
    let (mut cluster, _) = cluster_with_kubelet("node2");
    run_pod(&mut cluster, simple("web", "ngnix"), "node2");
    cluster.advance(1_000);
    let p = pod(&cluster, "web").unwrap();
    assert_eq!(
        container_status(&p)["state"]["waiting"]["reason"],
        "ErrImagePull"
    );
    cluster.advance(2_000);
    let p = pod(&cluster, "web").unwrap();
    assert_eq!(
        container_status(&p)["state"]["waiting"]["reason"],
        "ImagePullBackOff"
    );
    assert_eq!(
        container_status(&p)["state"]["waiting"]["message"],
        "Back-off pulling image \"ngnix\""
    );
    assert_eq!(p["status"]["phase"], "Pending");
    let seen = events(&cluster, "web");
    assert_eq!(seen[0], "Pulling: Pulling image \"ngnix\"");
    assert!(seen[1].starts_with("Failed: Failed to pull image \"ngnix\": rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/library/ngnix:latest\""));
    assert_eq!(seen[2], "Failed: Error: ErrImagePull");
    assert_eq!(seen[3], "BackOff: Back-off pulling image \"ngnix\"");
    assert_eq!(seen[4], "Failed: Error: ImagePullBackOff");
    // The second pull comes 10 s after the first failure, the third 20 s after the second.
    cluster.advance(60_000);
    let pulls = events(&cluster, "web")
        .iter()
        .filter(|e| e.starts_with("Pulling"))
        .count();
    assert_eq!(pulls, 3);
}

#[test]
fn a_failing_liveness_probe_restarts_the_container_with_upstreams_words() {
    let (mut cluster, _) = cluster_with_kubelet("node1");
    let web = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "web", "image": "sick",
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "initialDelaySeconds": 5}}]}});
    run_pod(&mut cluster, web, "node1");
    cluster.advance(90_000);
    let seen = events(&cluster, "web");
    let unhealthy = seen
        .iter()
        .filter(|e| {
            *e == "Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 500"
        })
        .count();
    assert_eq!(unhealthy, 3, "{seen:#?}");
    assert!(seen
        .contains(&"Killing: Container web failed liveness probe, will be restarted".to_string()));
    let p = pod(&cluster, "web").unwrap();
    assert_eq!(container_status(&p)["restartCount"], 1);
    assert!(container_status(&p)["state"]["running"].is_object());
}

#[test]
fn readiness_keeps_the_pod_unready_until_it_passes() {
    let (mut cluster, _) = cluster_with_kubelet("node1");
    let web = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "web", "image": "nginx",
            "readinessProbe": {"tcpSocket": {"port": 80}, "initialDelaySeconds": 15}}]}});
    run_pod(&mut cluster, web, "node1");
    cluster.advance(12_000);
    let p = pod(&cluster, "web").unwrap();
    assert_eq!(p["status"]["phase"], "Running");
    assert_eq!(container_status(&p)["ready"], false);
    let ready = &p["status"]["conditions"][2];
    assert_eq!(ready["reason"], "ContainersNotReady");
    assert_eq!(ready["message"], "containers with unready status: [web]");
    cluster.advance(15_000);
    let p = pod(&cluster, "web").unwrap();
    assert_eq!(container_status(&p)["ready"], true);
}

#[test]
fn a_container_past_its_memory_limit_is_oom_killed_with_exit_137() {
    let (mut cluster, _) = cluster_with_kubelet("node1");
    let web = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "web", "image": "leaker",
            "resources": {"limits": {"memory": "64Mi"}}}]}});
    run_pod(&mut cluster, web, "node1");
    cluster.advance(20_000);
    let p = pod(&cluster, "web").unwrap();
    let last = &container_status(&p)["lastState"]["terminated"];
    assert_eq!(last["reason"], "OOMKilled");
    assert_eq!(last["exitCode"], 137);
}

#[test]
fn init_containers_run_to_completion_in_order_before_the_app() {
    let (mut cluster, _) = cluster_with_kubelet("node1");
    let web = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
        "spec": {"initContainers": [{"name": "first", "image": "busybox"}, {"name": "second", "image": "busybox"}],
                 "containers": [{"name": "web", "image": "nginx"}]}});
    run_pod(&mut cluster, web, "node1");
    cluster.advance(2_000);
    let p = pod(&cluster, "web").unwrap();
    assert_eq!(p["status"]["phase"], "Pending");
    assert_eq!(
        p["status"]["conditions"][1]["message"],
        "containers with incomplete status: [first second]"
    );
    assert_eq!(
        container_status(&p)["state"]["waiting"]["reason"],
        "PodInitializing"
    );
    cluster.advance(20_000);
    let p = pod(&cluster, "web").unwrap();
    assert_eq!(p["status"]["phase"], "Running");
    let init = p["status"]["initContainerStatuses"].as_array().unwrap();
    assert!(init
        .iter()
        .all(|c| c["state"]["terminated"]["reason"] == "Completed"));
    let started = |i: usize| {
        init[i]["state"]["terminated"]["startedAt"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let finished = |i: usize| {
        init[i]["state"]["terminated"]["finishedAt"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(finished(0) <= started(1));
}

#[test]
fn a_never_restarting_job_pod_succeeds_and_frees_its_ip() {
    let (mut cluster, _) = cluster_with_kubelet("node1");
    let job = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "once"},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "once", "image": "busybox"}]}});
    run_pod(&mut cluster, job, "node1");
    cluster.advance(10_000);
    let p = pod(&cluster, "once").unwrap();
    assert_eq!(p["status"]["phase"], "Succeeded");
    assert_eq!(p["status"]["conditions"][2]["reason"], "PodCompleted");
    assert_eq!(container_status(&p)["state"]["terminated"]["exitCode"], 0);
}

#[test]
fn a_graceful_delete_runs_pre_stop_then_stops_and_removes_the_pod() {
    let (mut cluster, _) = cluster_with_kubelet("node1");
    let web = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
        "spec": {"terminationGracePeriodSeconds": 20,
                 "containers": [{"name": "web", "image": "stubborn",
                     "lifecycle": {"preStop": {"exec": {"command": ["sh", "-c", "sleep 5"]}}}}]}});
    run_pod(&mut cluster, web, "node1");
    cluster.advance(5_000);
    assert_eq!(pod(&cluster, "web").unwrap()["status"]["phase"], "Running");
    cluster
        .submit(
            ApiRequest::new(Credentials::admin(), Verb::Delete, "pods")
                .namespace("default")
                .name("web"),
        )
        .unwrap();
    cluster.advance(1_000);
    let p = pod(&cluster, "web").expect("still there during its grace period");
    assert!(p["metadata"]["deletionTimestamp"].is_string());
    assert!(events(&cluster, "web").contains(&"Killing: Stopping container web".to_string()));
    // The container ignores SIGTERM: SIGKILL at the end of the 20 s grace period.
    cluster.advance(15_000);
    assert!(
        pod(&cluster, "web").is_some(),
        "gone before the grace period ended"
    );
    cluster.advance(6_000);
    assert!(
        pod(&cluster, "web").is_none(),
        "the kubelet finishes the delete with grace 0"
    );
    // The delete that removed it was the kubelet's, with grace 0.
    let kubelet_delete = cluster.trace().events().iter().any(|e| {
        e.actor.component == "kubelet"
            && matches!(&e.kind, TraceKind::Request { verb: Verb::Delete, resource, .. } if resource == "pods")
    });
    assert!(kubelet_delete);
}

#[test]
fn a_force_delete_stops_the_containers_at_once() {
    let (mut cluster, handle) = cluster_with_kubelet("node1");
    run_pod(&mut cluster, simple("web", "nginx"), "node1");
    cluster.advance(10_000);
    assert_eq!(handle.pod_usage().len(), 1);
    let mut request = ApiRequest::new(Credentials::admin(), Verb::Delete, "pods")
        .namespace("default")
        .name("web");
    request.delete_options = DeleteOptions {
        grace_period_seconds: Some(0),
        propagation_policy: None,
    };
    cluster.submit(request).unwrap();
    cluster.advance(2_000);
    assert!(pod(&cluster, "web").is_none());
    assert!(handle.pod_usage().is_empty());
}

/// The kubelet's decisions about one pod, in trace order: `tick reason`.
fn kubelet_decisions(cluster: &Cluster, pod: &str) -> Vec<String> {
    cluster
        .trace()
        .events()
        .iter()
        .filter(|e| e.actor.component == "kubelet")
        .filter_map(|e| match &e.kind {
            TraceKind::Decision { reason, message }
                if message.starts_with(&format!("default/{pod}:")) =>
            {
                Some(format!("{:>6} {reason}", e.tick))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn the_kubelets_steps_for_an_nginx_pod_have_simulated_timings() {
    let (mut cluster, _) = cluster_with_kubelet("node1");
    run_pod(&mut cluster, simple("web", "nginx"), "node1");
    cluster.advance(12_000);
    let golden = [
        "     0 SandboxCreated",
        "     0 Pulling",
        "     0 StatusUpdate",
        "  6000 Pulled",
        "  6000 Created",
        "  6000 Started",
        "  6000 PodRunning",
        "  6000 StatusUpdate",
    ];
    assert_eq!(kubelet_decisions(&cluster, "web"), golden);
}

/// The trace event a step names as its cause.
fn cause_of<'a>(
    cluster: &'a Cluster,
    e: &kube_sandbox::sim::trace::TraceEvent,
) -> &'a kube_sandbox::sim::trace::TraceEvent {
    let cause = e.cause.expect("a caused step");
    cluster
        .trace()
        .get(cause)
        .expect("the cause is in the trace")
}

fn is_kubelet_decision(e: &kube_sandbox::sim::trace::TraceEvent, wanted: &str) -> bool {
    e.actor.component == "kubelet"
        && matches!(&e.kind, TraceKind::Decision { reason, .. } if reason == wanted)
}

#[test]
fn a_graceful_delete_is_traced_as_containerds_stop_and_removal_caused_by_the_kubelets_decisions() {
    let (mut cluster, _) = cluster_with_kubelet("node1");
    let web = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
        "spec": {"terminationGracePeriodSeconds": 20,
                 "containers": [{"name": "web", "image": "stubborn"}]}});
    run_pod(&mut cluster, web, "node1");
    cluster.advance(5_000);
    cluster
        .submit(
            ApiRequest::new(Credentials::admin(), Verb::Delete, "pods")
                .namespace("default")
                .name("web"),
        )
        .unwrap();
    cluster.advance(25_000);
    assert!(pod(&cluster, "web").is_none());
    let cri = |call: CriCall| -> Vec<&kube_sandbox::sim::trace::TraceEvent> {
        cluster
            .trace()
            .events()
            .iter()
            .filter(|e| matches!(&e.kind, TraceKind::Cri { call: c, pod: Some(p), .. } if *c == call && p == "default/web"))
            .collect()
    };
    let stop = cri(CriCall::StopContainer);
    assert_eq!(stop.len(), 1);
    assert_eq!(*stop[0].actor, Actor::new("containerd", "node1"));
    assert!(is_kubelet_decision(cause_of(&cluster, stop[0]), "Killing"));
    // SIGKILL at the end of the grace period: the exit is the StopContainer's doing, 20 s on,
    // whatever the kubelet was told in between.
    let died = cluster
        .trace()
        .events()
        .iter()
        .find(|e| is_kubelet_decision(e, "ContainerDied"))
        .expect("the container died");
    assert_eq!(died.cause, Some(stop[0].seq));
    assert_eq!(
        died.tick - stop[0].tick,
        20_000,
        "SIGKILL at the end of the 20 s grace period"
    );
    for call in [
        CriCall::StopPodSandbox,
        CriCall::RemovePodSandbox,
        CriCall::RemoveContainer,
    ] {
        let steps = cri(call.clone());
        assert_eq!(steps.len(), 1, "{call:?}");
        assert!(is_kubelet_decision(
            cause_of(&cluster, steps[0]),
            "PodTerminated"
        ));
    }
}

#[test]
fn a_restart_after_crash_loop_back_off_is_caused_by_the_back_off() {
    let (mut cluster, _) = cluster_with_kubelet("node1");
    run_pod(&mut cluster, simple("web", "crasher"), "node1");
    cluster.advance(60_000);
    let events = cluster.trace().events();
    let backoffs: Vec<u64> = events
        .iter()
        .filter(|e| is_kubelet_decision(e, "BackOff"))
        .map(|e| e.seq)
        .collect();
    assert!(backoffs.len() >= 2, "{backoffs:?}");
    // The crasher's tag is implicit (:latest, pull policy Always): each restart pulls first.
    let restarts: Vec<&kube_sandbox::sim::trace::TraceEvent> = events
        .iter()
        .filter(|e| is_kubelet_decision(e, "Pulling"))
        .filter(|e| e.cause.is_some_and(|c| backoffs.contains(&c)))
        .collect();
    assert!(
        restarts.len() >= 2,
        "restarts caused by a back-off: {}",
        restarts.len()
    );
    // A crash is caused by the StartContainer of the run that crashed.
    for died in events
        .iter()
        .filter(|e| is_kubelet_decision(e, "ContainerDied"))
    {
        assert!(matches!(
            cause_of(&cluster, died).kind,
            TraceKind::Cri {
                call: CriCall::StartContainer,
                ..
            }
        ));
    }
}
