//! The scheduler on the course's three-node lab cluster: master (2 CPU, 1 GiB, control-plane
//! taint), node1 and node2 (1 CPU, 1 GiB each).

use kube_sandbox::sim::rng::Rng;
use kube_sandbox::sim::scheduler::intents::requests_for;
use kube_sandbox::sim::scheduler::node_info::PriorityClassInfo;
use kube_sandbox::sim::scheduler::record::TieBreak;
use kube_sandbox::sim::scheduler::testing::{lab_nodes, node, pod};
use kube_sandbox::sim::scheduler::{Algorithm, CycleRecord, Profile, Snapshot};

fn lab() -> Snapshot {
    Snapshot::from_objects(lab_nodes(), vec![])
}

fn schedule(
    snapshot: &Snapshot,
    p: &kube_sandbox::sim::api::core_v1::Pod,
    seed: u64,
) -> CycleRecord {
    let mut algorithm = Algorithm::new(Profile::default_profile());
    algorithm.schedule_one(p, snapshot, &mut Rng::new(seed))
}

#[test]
fn a_pod_requesting_two_cpus_gets_upstreams_failed_scheduling_message() {
    let record = schedule(&lab(), &pod("big").request_cpu("2").build(), 1);
    assert_eq!(record.selected_node(), None);
    // Upstream (1.32) appends its "." separator after the preemption message, which itself
    // ends in ".": real clusters print "incoming pod..".
    assert_eq!(
        record.failure_message(),
        Some(
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. \
             preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.."
        )
    );
    let failure = record
        .failure
        .as_ref()
        .map(|f| f.unschedulable_plugins.clone());
    assert_eq!(
        failure,
        Some(vec![
            "NodeResourcesFit".to_string(),
            "TaintToleration".to_string()
        ])
    );
}

#[test]
fn a_pod_with_node_selector_gpu_true_goes_to_the_node_labelled_so() {
    let mut nodes = lab_nodes();
    nodes[2] = node("node2")
        .cpu("1")
        .memory("1Gi")
        .label("gpu", "true")
        .build();
    let snapshot = Snapshot::from_objects(nodes, vec![]);
    for seed in 0..20 {
        let record = schedule(
            &snapshot,
            &pod("cuda").node_selector("gpu", "true").build(),
            seed,
        );
        assert_eq!(record.selected_node(), Some("node2"), "seed {seed}");
        assert_eq!(
            record.pick.as_ref().map(|p| p.how.clone()),
            Some(TieBreak::OnlyFeasibleNode)
        );
    }
    let record = schedule(&lab(), &pod("cuda").node_selector("gpu", "true").build(), 0);
    assert_eq!(
        record.failure_message(),
        Some(
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node affinity/selector. \
             preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.."
        )
    );
}

#[test]
fn three_replicas_spread_over_node1_and_node2() {
    for seed in 0..10 {
        let mut snapshot = lab();
        let mut algorithm = Algorithm::new(Profile::default_profile());
        let mut rng = Rng::new(seed);
        let mut placed = Vec::new();
        for i in 0..3 {
            let p = pod(&format!("web-7d4b9c-{i}"))
                .label("app", "web")
                .owner("ReplicaSet", "web-7d4b9c")
                .request_cpu("100m")
                .request_memory("64Mi")
                .build();
            let record = algorithm.schedule_one(&p, &snapshot, &mut rng);
            let node = record.selected_node().map(str::to_string);
            let Some(node) = node else {
                panic!("replica {i} unschedulable: {record:?}")
            };
            let info = snapshot.pod_info(&p);
            assert!(snapshot.assume(&info, &node));
            placed.push(node);
        }
        let on_node1 = placed.iter().filter(|n| *n == "node1").count();
        let on_node2 = placed.iter().filter(|n| *n == "node2").count();
        assert_eq!(on_node1 + on_node2, 3, "never on master: {placed:?}");
        assert!(on_node1 >= 1 && on_node2 >= 1, "seed {seed}: {placed:?}");
    }
}

#[test]
fn the_full_record_shows_every_node_and_plugin() {
    let record = schedule(&lab(), &pod("web").request_cpu("100m").build(), 3);
    assert_eq!(record.filter.len(), 3);
    let master = record.filter.iter().find(|f| f.node == "master");
    let Some(master) = master else {
        panic!("no master row")
    };
    assert!(!master.passed);
    let last = master
        .results
        .last()
        .map(|r| (r.plugin.as_str(), r.reasons.clone()));
    assert_eq!(
        last,
        Some((
            "TaintToleration",
            vec![
                "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
                    .to_string()
            ]
        ))
    );
    assert_eq!(record.scores.len(), 2);
    for row in &record.scores {
        let sum: i64 = row.plugins.iter().map(|p| p.weighted).sum();
        assert_eq!(sum, row.total);
        let fit = row.plugins.iter().find(|p| p.plugin == "NodeResourcesFit");
        assert!(fit.is_some_and(|p| p.weight == 1 && p.normalized == p.raw));
        let taint = row.plugins.iter().find(|p| p.plugin == "TaintToleration");
        assert!(taint.is_some_and(|p| p.weight == 3 && p.weighted == 300));
    }
    // Two identical empty workers tie; the seeded reservoir picks one and says so.
    match record.pick.as_ref().map(|p| &p.how) {
        Some(TieBreak::Reservoir {
            candidates,
            tied_nodes,
        }) => {
            assert_eq!(*candidates, 2);
            assert_eq!(tied_nodes, &["node1".to_string(), "node2".to_string()]);
        }
        other => panic!("expected a tie, got {other:?}"),
    }
    let json = serde_json::to_string(&record).unwrap_or_default();
    let back: Result<CycleRecord, _> = serde_json::from_str(&json);
    assert_eq!(back.ok(), Some(record));
}

#[test]
fn tie_breaks_depend_only_on_the_seed() {
    let p = pod("web").build();
    let picks = |seed: u64| -> Vec<String> {
        let snapshot = lab();
        let mut algorithm = Algorithm::new(Profile::default_profile());
        let mut rng = Rng::new(seed);
        (0..32)
            .map(|_| {
                algorithm
                    .schedule_one(&p, &snapshot, &mut rng)
                    .selected_node()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(picks(42), picks(42));
    let all = picks(42);
    assert!(
        all.iter().any(|n| n == "node1") && all.iter().any(|n| n == "node2"),
        "{all:?}"
    );
}

#[test]
fn a_high_priority_pod_preempts_a_lower_priority_one_and_is_nominated() {
    let mut snapshot = Snapshot::from_objects(
        lab_nodes(),
        vec![
            pod("batch-1")
                .priority(0)
                .request_cpu("800m")
                .node_name("node1")
                .build(),
            pod("batch-2")
                .priority(0)
                .request_cpu("800m")
                .node_name("node2")
                .build(),
        ],
    );
    snapshot.priority_classes.insert(
        "high".into(),
        Box::new(PriorityClassInfo {
            value: 1000,
            global_default: false,
            preemption_policy_never: false,
        }),
    );
    let urgent = pod("urgent")
        .priority_class("high")
        .request_cpu("500m")
        .build();
    let record = schedule(&snapshot, &urgent, 7);
    let preemption = record
        .preemption
        .clone()
        .unwrap_or_else(|| panic!("no preemption: {record:?}"));
    let nominated = preemption.nominated_node.clone().unwrap_or_default();
    assert!(nominated == "node1" || nominated == "node2");
    let want_victim = if nominated == "node1" {
        "default/batch-1"
    } else {
        "default/batch-2"
    };
    assert_eq!(preemption.victims, [want_victim]);
    // Preemption found a node, so the message has no "preemption:" part.
    assert_eq!(
        record.failure_message(),
        Some("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.")
    );
    let info = snapshot.pod_info(&urgent);
    let requests = requests_for(&info, &record, 5_000);
    let verbs: Vec<String> = requests
        .iter()
        .map(|r| {
            format!(
                "{} {}{}",
                r.verb.as_str(),
                r.resource,
                r.subresource
                    .as_deref()
                    .map(|s| format!("/{s}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        verbs,
        [
            "delete pods",
            "patch pods/status",
            "create events",
            "patch pods/status"
        ]
    );
}

#[test]
fn a_pod_with_preemption_policy_never_does_not_preempt() {
    let snapshot = Snapshot::from_objects(
        lab_nodes(),
        vec![pod("batch-1")
            .priority(0)
            .request_cpu("800m")
            .node_name("node1")
            .build()],
    );
    let p = pod("polite")
        .priority(1000)
        .preemption_policy("Never")
        .request_cpu("2")
        .build();
    let record = schedule(&snapshot, &p, 1);
    assert_eq!(
        record.failure_message(),
        Some(
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. \
             preemption: not eligible due to preemptionPolicy=Never.."
        )
    );
}

#[test]
fn binding_a_scheduled_pod_posts_the_binding_and_a_scheduled_event() {
    let snapshot = lab();
    let p = pod("web")
        .node_selector("kubernetes.io/hostname", "node1")
        .build();
    let record = schedule(&snapshot, &p, 1);
    let requests = requests_for(&snapshot.pod_info(&p), &record, 2_000);
    assert_eq!(requests[0].subresource.as_deref(), Some("binding"));
    let message = requests[1].body.as_ref().map(|b| b["message"].clone());
    assert_eq!(
        message,
        Some(serde_json::json!(
            "Successfully assigned default/web to node1"
        ))
    );
}

#[test]
fn round_robin_start_moves_past_the_nodes_already_checked() {
    // 200 identical nodes: 100 are enough (minFeasibleNodesToFind), so each cycle starts where
    // the last one stopped.
    let nodes: Vec<_> = (0..200)
        .map(|i| node(&format!("n{i:03}")).cpu("4").memory("8Gi").build())
        .collect();
    let snapshot = Snapshot::from_objects(nodes, vec![]);
    let mut algorithm = Algorithm::new(Profile::default_profile());
    let mut rng = Rng::new(1);
    let first = algorithm.schedule_one(&pod("a").build(), &snapshot, &mut rng);
    let second = algorithm.schedule_one(&pod("b").build(), &snapshot, &mut rng);
    assert_eq!(
        (
            first.num_nodes_to_find,
            first.evaluated_nodes,
            first.start_node_index
        ),
        (100, 100, 0)
    );
    assert_eq!(second.start_node_index, 100);
    assert_eq!(algorithm.next_start_node_index, 0);
}
