//! kube-scheduler as a component of the running cluster: it sees pending pods through its
//! informer, schedules them, and binds them through the apiserver's binding subresource.

use kube_sandbox::sim::apiserver::{ApiRequest, Credentials, Verb};
use kube_sandbox::sim::cluster::Cluster;
use kube_sandbox::sim::scheduler::Scheduler;
use kube_sandbox::sim::trace::TraceKind;
use serde_json::{json, Value};

fn create_pod(c: &mut Cluster, name: &str, cpu: &str, extra_spec: Value) {
    let mut spec = json!({"containers": [{"name": "app", "image": "nginx",
                          "resources": {"requests": {"cpu": cpu}}}]});
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra_spec.as_object()) {
        for (k, v) in extra {
            spec.insert(k.clone(), v.clone());
        }
    }
    let body = json!({"apiVersion": "v1", "kind": "Pod",
                      "metadata": {"name": name, "namespace": "default"}, "spec": spec});
    let created = c.submit(
        ApiRequest::new(Credentials::admin(), Verb::Create, "pods")
            .namespace("default")
            .body(body),
    );
    assert!(created.is_ok(), "{created:?}");
}

fn get_pod(c: &mut Cluster, name: &str) -> Value {
    c.submit(
        ApiRequest::new(Credentials::admin(), Verb::Get, "pods")
            .namespace("default")
            .name(name),
    )
    .map(|r| r.body)
    .unwrap_or(Value::Null)
}

fn cluster_with_scheduler(seed: u64) -> Cluster {
    let mut c = Cluster::new(seed);
    c.add_component(Box::new(Scheduler::default()));
    c.run_until_idle(0);
    c
}

#[test]
fn a_pending_pod_is_bound_to_a_worker_through_the_binding_subresource() {
    let mut c = cluster_with_scheduler(1);
    create_pod(&mut c, "web", "100m", json!({}));
    c.run_until_idle(0);
    let pod = get_pod(&mut c, "web");
    let node = pod["spec"]["nodeName"].as_str().unwrap_or("");
    assert!(node == "node1" || node == "node2", "{pod}");
    let scheduled = c.trace().events().iter().any(|e| {
        matches!(&e.kind, TraceKind::Decision { reason, message }
            if reason == "Scheduled" && message == &format!("Successfully assigned default/web to {node}"))
    });
    assert!(scheduled);
    let master_rejected = c.trace().events().iter().any(|e| {
        matches!(&e.kind, TraceKind::Decision { reason, message }
            if reason == "FilterFailed" && message.starts_with("master: TaintToleration rejected it"))
    });
    assert!(master_rejected);
}

#[test]
fn a_pod_too_big_for_any_node_gets_failed_scheduling_and_the_unschedulable_condition() {
    let mut c = cluster_with_scheduler(2);
    create_pod(&mut c, "big", "2", json!({}));
    c.run_until_idle(0);
    let pod = get_pod(&mut c, "big");
    assert_eq!(pod["spec"]["nodeName"], Value::Null);
    let conditions = pod["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let scheduled = conditions.iter().find(|c| c["type"] == "PodScheduled");
    let Some(scheduled) = scheduled else {
        panic!("no PodScheduled condition: {pod}")
    };
    assert_eq!(scheduled["status"], "False");
    assert_eq!(scheduled["reason"], "Unschedulable");
    let message = scheduled["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu."),
        "{message}"
    );
    let events = c
        .submit(ApiRequest::new(Credentials::admin(), Verb::List, "events").namespace("default"))
        .map(|r| r.body)
        .unwrap_or(Value::Null);
    let failed = events["items"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|e| e["reason"] == "FailedScheduling" && e["type"] == "Warning");
    assert!(failed, "{events}");
}

#[test]
fn an_unschedulable_pod_is_scheduled_once_a_node_frees_up() {
    let mut c = cluster_with_scheduler(3);
    create_pod(
        &mut c,
        "a",
        "800m",
        json!({"nodeSelector": {"kubernetes.io/hostname": "node1"}}),
    );
    c.run_until_idle(0);
    create_pod(
        &mut c,
        "b",
        "800m",
        json!({"nodeSelector": {"kubernetes.io/hostname": "node1"}}),
    );
    c.run_until_idle(0);
    assert_eq!(get_pod(&mut c, "b")["spec"]["nodeName"], Value::Null);
    // `--grace-period=0 --force`: no kubelet runs here to finish a graceful deletion.
    let mut delete = ApiRequest::new(Credentials::admin(), Verb::Delete, "pods")
        .namespace("default")
        .name("a");
    delete.delete_options.grace_period_seconds = Some(0);
    let deleted = c.submit(delete);
    assert!(deleted.is_ok(), "{deleted:?}");
    // The deletion is an AssignedPodDelete event NodeResourcesFit registered: b moves to the
    // back-off queue and is tried again once its back-off is over.
    c.advance(15_000);
    c.run_until_idle(0);
    let b = get_pod(&mut c, "b");
    assert!(get_pod(&mut c, "a").is_null());
    assert_eq!(b["spec"]["nodeName"], "node1", "{b}");
}

#[test]
fn the_same_seed_schedules_the_same_way_twice() {
    let run = |seed: u64| {
        let mut c = cluster_with_scheduler(seed);
        for i in 0..6 {
            create_pod(&mut c, &format!("p{i}"), "100m", json!({}));
        }
        c.run_until_idle(0);
        let placed: Vec<Value> = (0..6)
            .map(|i| get_pod(&mut c, &format!("p{i}"))["spec"]["nodeName"].clone())
            .collect();
        (placed, c.trace().events().to_vec())
    };
    let (a, trace_a) = run(11);
    let (b, trace_b) = run(11);
    assert_eq!(a, b);
    assert_eq!(trace_a, trace_b);
    assert!(a.iter().all(|n| n == "node1" || n == "node2"), "{a:?}");
}

#[test]
fn a_long_queue_is_scheduled_in_batches_that_let_the_other_components_run_in_between() {
    use kube_sandbox::sim::scheduler::CYCLES_PER_RECONCILE;
    let mut c = cluster_with_scheduler(5);
    let pods = 2 * CYCLES_PER_RECONCILE + 22;
    for i in 0..pods {
        create_pod(&mut c, &format!("web-{i}"), "1m", json!({}));
    }
    let start = c.now();
    let cycles = |c: &Cluster| {
        c.trace()
            .events()
            .iter()
            .filter(|e| matches!(e.kind, TraceKind::SchedulingCycle(_)))
            .count()
    };
    let mut per_step = Vec::new();
    let mut before = cycles(&c);
    while c.step() {
        let after = cycles(&c);
        if after > before {
            per_step.push(after - before);
        }
        before = after;
    }
    assert_eq!(per_step, [CYCLES_PER_RECONCILE, CYCLES_PER_RECONCILE, 22]);
    assert_eq!(c.now(), start, "the batches run at the same simulated time");
    for i in 0..pods {
        let pod = get_pod(&mut c, &format!("web-{i}"));
        assert!(
            pod["spec"]["nodeName"].is_string(),
            "web-{i} is bound: {pod}"
        );
    }
}
