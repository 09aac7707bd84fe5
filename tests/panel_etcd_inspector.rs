//! The etcd and Inspector panels' view models (src/present/panels) after the golden command,
//! `kubectl create deployment web --image=nginx --replicas=3` on a fresh lab, checked against
//! what `etcdctl` and `kubectl` print in the terminal.

mod common;

use base64::Engine;
use common::created;
use kube_sandbox::present::panels::etcd::{
    self, key_history, key_tree, keys_under, Change, DiffOp,
};
use kube_sandbox::present::panels::inspector::{self, inspect, owner_chain, Dependent};
use kube_sandbox::present::session::Session;
use kube_sandbox::sim::trace::ObjectRef;
use serde_json::Value;

const WEB_KEY: &str = "/registry/deployments/default/web";

fn run(session: &mut Session, line: &str) -> String {
    let (out, _) = session.run_line(line);
    assert_eq!(out.exit_code, 0, "{line}: {}", out.stderr);
    out.stdout
}

fn web_pods(session: &Session) -> Vec<ObjectRef> {
    inspector::objects_of(session.cluster().store(), "pods", Some("default"), None)
        .into_iter()
        .filter(|p| p.name.starts_with("web-"))
        .collect()
}

fn kinds_and_names(links: &[inspector::Link]) -> Vec<(String, String)> {
    links
        .iter()
        .map(|l| (l.kind.clone(), l.target.name.clone()))
        .collect()
}

#[test]
fn the_deployments_history_counts_versions_up_from_its_create_revision_to_its_mod_revision() {
    let session = created();
    let store = session.cluster().store();
    let history = key_history(store, WEB_KEY).expect("the store remembers the deployment");
    let entries = &history.entries;
    assert!(entries.len() >= 2, "{entries:?}");
    assert!(!history.compacted_before);
    assert_eq!(history.older_unlisted, 0);

    let now = store.get(WEB_KEY).expect("web exists");
    assert_eq!(entries[0].revision, now.create_revision);
    assert_eq!(entries[0].change, Change::Created);
    assert!(entries[1..].iter().all(|e| e.change == Change::Modified));
    assert!(
        entries.windows(2).all(|w| w[0].revision < w[1].revision),
        "revisions not strictly increasing: {:?}",
        entries.iter().map(|e| e.revision).collect::<Vec<_>>()
    );
    let versions: Vec<i64> = entries.iter().map(|e| e.version).collect();
    assert_eq!(versions, (1..=entries.len() as i64).collect::<Vec<_>>());
    assert!(entries
        .iter()
        .all(|e| e.create_revision == now.create_revision));
    let last = entries.last().unwrap();
    assert_eq!(
        (last.revision, last.version),
        (now.mod_revision, now.version)
    );

    // The first entry is the whole object, added; a later one names what the controllers wrote.
    assert!(entries[0].diff.lines.iter().all(|l| l.op == DiffOp::Added));
    assert!(entries[0]
        .diff
        .lines
        .iter()
        .any(|l| l.text == "kind: Deployment"));
    let status_change = entries[1..]
        .iter()
        .find(|e| {
            e.diff
                .changed_fields
                .iter()
                .any(|f| f.starts_with("status"))
        })
        .expect("some revision changes the status");
    let (added, _) = status_change.diff.counts();
    assert!(added > 0, "{:?}", status_change.diff);
    let ready = entries
        .iter()
        .filter(|e| {
            e.diff
                .changed_fields
                .iter()
                .any(|f| f == "status.readyReplicas")
        })
        .last()
        .expect("a revision where the pods became ready");
    assert!(
        ready
            .diff
            .lines
            .iter()
            .any(|l| l.op == DiffOp::Added && l.text == "  readyReplicas: 3"),
        "{:?}",
        ready.diff.lines
    );
}

#[test]
fn a_diff_between_any_two_revisions_shows_the_replicas_coming_up() {
    let session = created();
    let store = session.cluster().store();
    let now = store.get(WEB_KEY).unwrap();
    let diff = etcd::diff_revisions(store, WEB_KEY, now.create_revision, now.mod_revision)
        .expect("both revisions are readable");
    // The status was empty at creation (`status: {}`, as the apiserver stores it): each field
    // it gained is named.
    assert!(
        diff.changed_fields
            .iter()
            .any(|f| f == "status.availableReplicas"),
        "{:?}",
        diff.changed_fields
    );
    assert!(!diff.changed_fields.iter().any(|f| f == "status"));
    assert!(diff
        .lines
        .iter()
        .any(|l| l.op == DiffOp::Added && l.text == "  availableReplicas: 3"));
    // Before the deployment existed, everything is new.
    let before =
        etcd::diff_revisions(store, WEB_KEY, now.create_revision - 1, now.create_revision).unwrap();
    assert!(before.lines.iter().all(|l| l.op == DiffOp::Added));
}

#[test]
fn the_panel_agrees_with_etcdctl_get_write_out_json() {
    let mut session = created();
    let out = run(
        &mut session,
        "ETCDCTL_API=3 etcdctl get /registry/deployments/default/web -w json",
    );
    let response: Value = serde_json::from_str(&out).expect("etcdctl prints JSON");
    let kv = &response["kvs"][0];
    let key = base64::engine::general_purpose::STANDARD
        .decode(kv["key"].as_str().unwrap())
        .unwrap();
    assert_eq!(key, WEB_KEY.as_bytes());
    let etcdctl = (
        kv["create_revision"].as_i64().unwrap(),
        kv["mod_revision"].as_i64().unwrap(),
        kv["version"].as_i64().unwrap(),
    );

    let store = session.cluster().store();
    let listed = keys_under(store, "/registry/deployments/default/", None, 0);
    let row = listed
        .rows
        .iter()
        .find(|r| r.name == "web")
        .expect("web in the list");
    assert_eq!(
        (row.create_revision, row.mod_revision, row.version),
        etcdctl
    );
    let last = key_history(store, WEB_KEY).unwrap().entries.pop().unwrap();
    assert_eq!((last.create_revision, last.revision, last.version), etcdctl);
    assert_eq!(
        response["header"]["revision"].as_i64(),
        Some(etcd::revisions(store).current)
    );
    // And the value etcdctl prints is the one the history shows last.
    let value = base64::engine::general_purpose::STANDARD
        .decode(kv["value"].as_str().unwrap())
        .unwrap();
    assert_eq!(value.len(), last.value_bytes);
}

#[test]
fn the_key_tree_counts_what_etcdctl_lists() {
    let mut session = created();
    let listed = run(
        &mut session,
        "etcdctl get /registry/pods/default/ --prefix --keys-only",
    );
    let keys: Vec<&str> = listed.lines().filter(|l| !l.is_empty()).collect();
    let store = session.cluster().store();
    let tree = key_tree(store, None);
    let pods = tree
        .groups
        .iter()
        .find(|g| g.segment == "pods")
        .expect("a pods group");
    assert_eq!(pods.resource.as_deref(), Some("pods"));
    let default = pods
        .namespaces
        .iter()
        .find(|n| n.namespace == "default")
        .expect("pods in default");
    assert_eq!(default.count, keys.len());
    assert_eq!(default.count, 3);
    let under = keys_under(store, &default.prefix, None, 0);
    assert_eq!(
        under
            .rows
            .iter()
            .map(|r| r.key.as_str())
            .collect::<Vec<_>>(),
        keys
    );
    // A limit pages like etcd's: count is all of them, more says some were left out.
    let page = keys_under(store, &default.prefix, None, 2);
    assert_eq!((page.rows.len(), page.count, page.more), (2, 3, true));
    // The groups add up, services split into specs and endpoints, nodes are minions.
    assert_eq!(
        tree.groups.iter().map(|g| g.count).sum::<usize>(),
        tree.count
    );
    for segment in ["services/specs", "services/endpoints", "minions"] {
        assert!(
            tree.groups.iter().any(|g| g.segment == segment),
            "{segment}"
        );
    }
    let nodes = tree.groups.iter().find(|g| g.segment == "minions").unwrap();
    assert_eq!((nodes.count, nodes.namespaces.len()), (3, 0));
    // Read at the revision before the command, the tree has no web pods.
    let before = session.timeline().base_revision;
    let then = key_tree(store, Some(before));
    let pods_then = then.groups.iter().find(|g| g.segment == "pods").unwrap();
    assert!(pods_then
        .namespaces
        .iter()
        .all(|n| n.namespace != "default"));
}

#[test]
fn the_open_watches_are_the_components_informers() {
    let session = created();
    let summary = etcd::summary(session.cluster());
    assert_eq!(
        summary.watches.len(),
        session.cluster().store().watch_count()
    );
    let scheduler_pods = summary
        .watches
        .iter()
        .find(|w| w.holder == "kube-scheduler" && w.resource == "pods")
        .expect("the scheduler watches pods");
    assert_eq!(scheduler_pods.prefix, "/registry/pods/");
    let kubelet = summary
        .watches
        .iter()
        .find(|w| w.holder == "kubelet@node1" && w.resource == "pods")
        .expect("node1's kubelet watches pods");
    assert_eq!(
        kubelet.field_selector.as_deref(),
        Some("spec.nodeName=node1")
    );
    let pod_key = format!("/registry/pods/default/{}", web_pods(&session)[0].name);
    let hearing = etcd::watching(&summary.watches, &pod_key);
    assert!(hearing.iter().any(|w| w.holder == "kube-scheduler"));
    assert!(hearing.iter().all(|w| w.resource == "pods"));
    assert_eq!(
        summary.revisions.current,
        session.cluster().store().revision()
    );
    assert_eq!(summary.revisions.compacted, 0);
}

#[test]
fn the_inspectors_yaml_is_kubectls() {
    let mut session = created();
    for (resource, kubectl_kind) in [("deployments", "deployment"), ("pods", "pod")] {
        let name = match resource {
            "pods" => web_pods(&session)[0].name.clone(),
            _ => "web".to_string(),
        };
        let printed = run(
            &mut session,
            &format!("kubectl get {kubectl_kind} {name} -o yaml"),
        );
        let target = ObjectRef::new(resource, Some("default"), &name);
        let inspected = inspect(session.cluster(), &target, None).expect("it exists");
        assert_eq!(inspected.yaml, printed, "{resource} {name}");
        assert_eq!(
            inspector::object_yaml(session.cluster().store(), &target, None).as_deref(),
            Some(printed.as_str())
        );
    }
}

#[test]
fn a_web_pods_owner_chain_is_deployment_replicaset_pod() {
    let session = created();
    let pod = web_pods(&session).remove(0);
    let chain = owner_chain(session.cluster().store(), &pod, None);
    let names = kinds_and_names(&chain);
    let rs = names[1].1.clone();
    assert!(rs.starts_with("web-") && pod.name.starts_with(&format!("{rs}-")));
    assert_eq!(
        names,
        [
            ("Deployment".to_string(), "web".to_string()),
            ("ReplicaSet".to_string(), rs),
            ("Pod".to_string(), pod.name.clone()),
        ]
    );
    assert!(chain.iter().all(|l| l.target.uid.is_some()));
    assert_eq!(chain[0].target.resource, "deployments");
}

#[test]
fn the_deployments_dependents_are_its_replicaset_and_below_it_three_pods() {
    let session = created();
    let target = ObjectRef::new("deployments", Some("default"), "web");
    let tree = inspector::dependent_tree(session.cluster().store(), &target, None).unwrap();
    assert_eq!(tree.link.kind, "Deployment");
    let replicasets: Vec<&Dependent> = tree.dependents.iter().collect();
    assert_eq!(replicasets.len(), 1, "{replicasets:?}");
    assert_eq!(replicasets[0].link.kind, "ReplicaSet");
    let mut pods: Vec<String> = replicasets[0]
        .dependents
        .iter()
        .map(|d| {
            assert_eq!(d.link.kind, "Pod");
            assert!(d.dependents.is_empty());
            d.link.target.name.clone()
        })
        .collect();
    pods.sort();
    let mut want: Vec<String> = web_pods(&session).into_iter().map(|p| p.name).collect();
    want.sort();
    assert_eq!(pods, want);
    assert_eq!(pods.len(), 3);
}

#[test]
fn a_web_pods_events_are_describes_scheduled_pulling_pulled_created_started() {
    let mut session = created();
    let pod = web_pods(&session).remove(0);
    let inspected = inspect(session.cluster(), &pod, None).unwrap();
    let reasons: Vec<&str> = inspected.events.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(
        reasons,
        ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    );
    assert_eq!(inspected.events[0].from, "default-scheduler");
    assert!(inspected.events[1..].iter().all(|e| e.from == "kubelet"));
    // Each row is one line of describe's Events table, in the same order.
    let described = run(&mut session, &format!("kubectl describe pod {}", pod.name));
    let table: Vec<Vec<String>> = described
        .lines()
        .skip_while(|l| !l.starts_with("Events:"))
        .skip(3)
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect();
    assert_eq!(table.len(), inspected.events.len(), "{described}");
    for (row, event) in table.iter().zip(&inspected.events) {
        assert_eq!(row[0], event.event_type);
        assert_eq!(row[1], event.reason);
        assert_eq!(row[2], event.age);
        assert_eq!(row[3], event.from);
        assert_eq!(row[4..].join(" "), event.message);
    }
}

#[test]
fn the_picker_lists_kinds_with_counts_and_objects_by_kind() {
    let session = created();
    let store = session.cluster().store();
    let counts = inspector::resource_counts(store, None);
    let count = |r: &str| counts.iter().find(|c| c.resource == r).map(|c| c.count);
    assert_eq!(count("deployments"), Some(2)); // web and coredns
    assert_eq!(count("nodes"), Some(3));
    let deployments = inspector::objects_of(store, "deployments", None, None);
    assert!(deployments
        .iter()
        .any(|d| d.namespace.as_deref() == Some("default") && d.name == "web"));
    assert!(inspector::objects_of(store, "no-such-resource", None, None).is_empty());
    assert!(inspect(
        session.cluster(),
        &ObjectRef::new("pods", Some("default"), "nope"),
        None
    )
    .is_none());
}

#[test]
fn a_deleted_pods_history_ends_in_a_tombstone_and_the_inspector_still_reads_it_before() {
    let mut session = created();
    let pod = web_pods(&session).remove(0);
    let key = format!("/registry/pods/default/{}", pod.name);
    let alive = session.cluster().store().revision();
    run(&mut session, &format!("kubectl delete pod {}", pod.name));
    let store = session.cluster().store();
    let history = key_history(store, &key).unwrap();
    let last = history.entries.last().unwrap();
    assert_eq!(
        (
            last.change,
            last.version,
            last.create_revision,
            last.value_bytes
        ),
        (Change::Deleted, 0, 0, 0)
    );
    assert!(last.diff.lines.iter().all(|l| l.op == DiffOp::Removed));
    assert!(!last.diff.lines.is_empty());
    assert!(inspect(session.cluster(), &pod, None).is_none());
    let then = inspect(session.cluster(), &pod, Some(alive)).expect("it existed then");
    assert_eq!(then.link.target.name, pod.name);
    assert_eq!(then.owner_chain.len(), 3);
    // The ReplicaSet made another pod: still three below it.
    let rs = then.owner_chain[1].target.clone();
    let tree = inspector::dependent_tree(store, &rs, None).unwrap();
    assert_eq!(tree.dependents.len(), 3);
    assert!(tree
        .dependents
        .iter()
        .all(|d| d.link.target.name != pod.name));
}
