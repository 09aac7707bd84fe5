//! Components: the control loops that watch the cluster and return what they want done.
//!
//! Mirrors: client-go's informer + work-queue + reconcile shape (kube-rs `watcher` → `reflector`
//! → `Controller`): a component is told about changes (`observe`, its informer cache), then asked
//! to `reconcile`, and answers with intents. It never calls another component and never touches
//! the store; the cluster applies its intents through the apiserver under its own identity, so
//! every write it makes is authenticated, authorized, admitted, validated, stored and traced.
//! Simplified: one informer per resource per component (no shared informer factory); a
//! component's work queue is its own business (it sees every event its informers select, in
//! revision order).

use crate::sim::api::JsonPointer;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::sim::api::resources;
use crate::sim::api::FieldSelector;
use crate::sim::apiserver::backend::{KeyValue, Store};
use crate::sim::apiserver::{decode_object, ApiError, ApiRequest, ApiResponse, Credentials, Verb};
use crate::sim::clock::{Clock, Ticks};
use crate::sim::rng::Rng;
use crate::sim::trace::{Actor, ObjectRef, Seq, TraceKind, WatchEventType};

/// One change an informer hands to its component: `Added` (first seen, including the initial
/// list), `Modified` (a later write), `Deleted` (the key is gone; `object` is its last state).
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectEvent {
    pub event: WatchEventType,
    /// The plural resource the watch is on: `pods`, `nodes`.
    pub resource: &'static str,
    pub key: String,
    /// The store revision of the change (the object's resourceVersion, or the delete's revision).
    pub revision: i64,
    pub object: Value,
    /// The `WatchDelivery` trace event: name it as the cause of what this event leads to.
    pub seq: Seq,
}

impl ObjectEvent {
    pub fn name(&self) -> &str {
        self.object
            .ptr("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.object
            .ptr("/metadata/namespace")
            .and_then(Value::as_str)
    }
}

/// Read-only access to the objects as the apiserver would return them: the informers' caches.
/// Components read through this; they never write through it.
pub struct Lister<'a> {
    store: &'a Store,
    cache: Option<&'a RefCell<DecodeCache>>,
}

/// The objects a [`Lister`] decoded, each at the revision it was decoded at, shared by every
/// reconcile: upstream's informers hold decoded objects, and a ReplicaSet of 1,000 pods must not
/// cost 1,000 JSON decodes on each sync. An entry is used only while its key's revision is
/// unchanged, so a read through the cache is exactly a read of the store; a key gone from the
/// store leaves the cache at the next list that covers it.
#[derive(Clone, Debug, Default)]
pub struct DecodeCache {
    objects: BTreeMap<String, (i64, Arc<Value>)>,
}

impl DecodeCache {
    /// Objects held.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    fn object(&mut self, kv: &KeyValue) -> Option<Arc<Value>> {
        if let Some((revision, object)) = self.objects.get(&kv.key) {
            if *revision == kv.mod_revision {
                return Some(Arc::clone(object));
            }
        }
        let object = Arc::new(decode_object(kv)?);
        let entry = (kv.mod_revision, Arc::clone(&object));
        self.objects.insert(kv.key.clone(), entry);
        Some(object)
    }

    /// The objects under `prefix` now, in key order, decoding only what changed since the last
    /// read; keys gone from the store leave the cache. The store's keys and the cache's are both
    /// in order, so one walk over the two pairs them up: no lookup (a comparison of long keys
    /// sharing their `/registry/pods/default/` prefix) and no key copied per object.
    fn list(&mut self, store: &Store, prefix: &str) -> Vec<Arc<Value>> {
        let mut objects = Vec::new();
        let mut changed: Vec<(String, (i64, Arc<Value>))> = Vec::new();
        let mut gone: Vec<String> = Vec::new();
        {
            let mut cached = self
                .objects
                .range::<str, _>((
                    std::ops::Bound::Included(prefix),
                    std::ops::Bound::Unbounded,
                ))
                .take_while(|(k, _)| k.starts_with(prefix))
                .peekable();
            for kv in store.live_under(prefix) {
                // Cached keys before this one are no longer in the store.
                while let Some((key, _)) = cached.next_if(|(k, _)| k.as_str() < kv.key.as_str()) {
                    gone.push(key.clone());
                }
                let hit = cached
                    .next_if(|(k, _)| k.as_str() == kv.key.as_str())
                    .filter(|(_, (revision, _))| *revision == kv.mod_revision);
                if let Some((_, (_, object))) = hit {
                    objects.push(Arc::clone(object));
                } else if let Some(object) = decode_object(kv) {
                    let object = Arc::new(object);
                    objects.push(Arc::clone(&object));
                    changed.push((kv.key.clone(), (kv.mod_revision, object)));
                }
            }
            gone.extend(cached.map(|(key, _)| key.clone()));
        }
        for key in gone {
            self.objects.remove(&key);
        }
        self.objects.extend(changed);
        objects
    }
}

impl<'a> Lister<'a> {
    pub fn new(store: &'a Store) -> Self {
        Lister { store, cache: None }
    }

    /// A lister that keeps what it decodes in `cache` for the next reconciles.
    pub fn cached(store: &'a Store, cache: &'a RefCell<DecodeCache>) -> Self {
        Lister {
            store,
            cache: Some(cache),
        }
    }

    /// All objects of a resource, in one namespace or all, in key order, shared with the cache
    /// instead of decoded for each caller.
    pub fn list_shared(&self, resource: &str, namespace: Option<&str>) -> Vec<Arc<Value>> {
        let Some(info) = resources::by_plural(resource) else {
            return Vec::new();
        };
        let Some(cache) = self.cache else {
            return self
                .list(resource, namespace)
                .into_iter()
                .map(Arc::new)
                .collect();
        };
        let prefix = info.prefix(namespace);
        cache.borrow_mut().list(self.store, &prefix)
    }

    pub fn get(&self, resource: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let info = resources::by_plural(resource)?;
        decode_object(&self.store.get(&info.key(namespace, name))?)
    }

    /// One object, shared with the cache: a reconcile that reads the same objects at every sync
    /// (the kubelet's status manager reads each of its pods) decodes one only when it changed.
    pub fn get_shared(
        &self,
        resource: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Arc<Value>> {
        let key = resources::by_plural(resource)?.key(namespace, name);
        let kv = self.store.get(&key);
        let Some(cache) = self.cache else {
            return decode_object(&kv?).map(Arc::new);
        };
        let mut cache = cache.borrow_mut();
        match kv {
            Some(kv) => cache.object(&kv),
            None => {
                cache.objects.remove(&key);
                None
            }
        }
    }

    /// All objects of a resource, in one namespace or all, in key order.
    pub fn list(&self, resource: &str, namespace: Option<&str>) -> Vec<Value> {
        match resources::by_plural(resource) {
            Some(info) => crate::sim::apiserver::registry_list(self.store, info, namespace),
            None => Vec::new(),
        }
    }
}

/// What a reconcile may use: the time, the cluster's one RNG, and read access to the objects.
pub struct Context<'a> {
    pub now: Ticks,
    pub clock: &'a Clock,
    pub rng: &'a mut Rng,
    /// How many Events were named in this millisecond, across components: upstream names an
    /// Event `<object>.<UnixNano in hex>`, so events list in the order they happened; our clock
    /// has milliseconds, and this count orders the events of one millisecond.
    pub events_named: &'a mut EventsNamed,
    /// The latest delivery that made this component run (None when a timer fired).
    pub cause: Option<Seq>,
    pub lister: Lister<'a>,
}

/// The millisecond of the last Event named, and how many were named in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventsNamed {
    pub tick: Ticks,
    pub count: u64,
}

impl EventsNamed {
    /// The next Event's place within millisecond `tick`: 0, 1, 2, ...
    pub fn next(&mut self, tick: Ticks) -> u64 {
        if self.tick != tick {
            *self = EventsNamed { tick, count: 0 };
        }
        self.count += 1;
        self.count - 1
    }
}

/// A decision a component took, with the requests that carry it out. The cluster records it as a
/// `Decision` trace event caused by `cause` (or the context's cause), then each request caused by
/// the decision: delivery → decision → request → commit.
///
/// A component may also report a step taken on its behalf by something the trace draws apart (the
/// kubelet's CRI calls are containerd's): [`Decision::step`] records `kind` as `actor` instead.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decision {
    /// A short upstream-style word: `Scheduled`, `SuccessfulCreate`, `FailedScheduling`.
    pub reason: String,
    pub message: String,
    pub cause: Option<Seq>,
    pub actions: Vec<ApiRequest>,
    /// Who took it, when that is not the component itself: a loop of kube-controller-manager
    /// (the manager runs many loops as one component), or something the trace draws apart (the
    /// kubelet's CRI calls are containerd's). The decision and its requests are traced as this
    /// actor.
    pub actor: Option<Actor>,
    /// What to record instead of a `Decision { reason, message }`.
    pub kind: Option<TraceKind>,
    /// The component's own name for this decision: the cluster tells it the seq it got
    /// ([`Component::on_recorded`]), and later decisions of the same reconcile may name it as
    /// their cause ([`Decision::after`]).
    pub id: Option<DecisionId>,
    /// Caused by the decision of the same reconcile with this id (recorded before this one);
    /// takes precedence over `cause`.
    pub after: Option<DecisionId>,
    /// The object it is about, when the component knows (the Deployment it scaled, the Pod it
    /// bound): the trace event names it.
    pub object: Option<ObjectRef>,
}

/// A component's name for one of its decisions; unique among that component's decisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DecisionId(pub u64);

impl Decision {
    pub fn new(reason: &str, message: impl Into<String>) -> Self {
        Decision {
            reason: reason.to_string(),
            message: message.into(),
            ..Decision::default()
        }
    }

    /// A step recorded as `kind` by `actor` (containerd's CRI call, the registry serving a blob,
    /// a scheduling cycle), rather than as a `Decision`.
    pub fn step(actor: Actor, kind: TraceKind) -> Self {
        Decision {
            actor: Some(actor),
            kind: Some(kind),
            ..Decision::default()
        }
    }

    /// Says which object the decision is about.
    pub fn about(mut self, object: ObjectRef) -> Self {
        self.object = Some(object);
        self
    }

    pub fn caused_by(mut self, seq: Seq) -> Self {
        self.cause = Some(seq);
        self
    }

    pub fn action(mut self, request: ApiRequest) -> Self {
        self.actions.push(request);
        self
    }

    pub fn id(mut self, id: DecisionId) -> Self {
        self.id = Some(id);
        self
    }

    pub fn after(mut self, id: DecisionId) -> Self {
        self.after = Some(id);
        self
    }
}

/// A reconcile's answer: its decisions (with their requests) and when to run again.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reconcile {
    pub decisions: Vec<Decision>,
    /// Run again after this many ticks even if nothing changes (resync, back-off, heartbeat).
    pub requeue_after: Option<Ticks>,
    /// It stopped with work left (the scheduler after a batch of pods): run again in the next
    /// step, at the same time, after the others had their turn.
    pub more: bool,
    /// It did part of this reconcile (the controller manager, one loop): call it again for the
    /// rest before anything is applied. Nothing else runs in between, so the decisions, in the
    /// order the calls made them, are those of one call; the page runs each call as its own part.
    pub unfinished: bool,
}

/// A control loop. See the module doc.
pub trait Component {
    /// The name `stop`/`start` use: `serviceaccount-controller`, `kube-scheduler`, `kubelet@node1`.
    fn name(&self) -> String;
    /// Who it is in the trace: component and VM.
    fn actor(&self) -> Actor;
    /// Its identity at the apiserver; the cluster sets it on every request it returns.
    fn credentials(&self) -> Credentials;
    /// The resources it informs on.
    fn watches(&self) -> Vec<&'static str>;
    /// The field selector its informer on `resource` sends (client-go's `fields.OneTermEqualSelector`,
    /// as the kubelet's `spec.nodeName=<node>`); None watches everything. The cluster filters the
    /// initial list and every change with it, as the apiserver's watch cache does: an object that
    /// starts matching arrives as `Added`, one that stops matching as `Deleted`.
    fn watch_selector(&self, _resource: &str) -> Option<FieldSelector> {
        None
    }
    /// Informer cache update; mark work to do here.
    fn observe(&mut self, event: &ObjectEvent);
    /// Do the work marked so far.
    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile;
    /// The seq the cluster recorded a decision under, for each decision that carried an `id`:
    /// what a component needs to name it as the cause of a later step (a pull that finishes is
    /// caused by the `PullImage` that started it, not by whatever delivery came last).
    fn on_recorded(&mut self, _id: DecisionId, _seq: Seq) {}
    /// Started again after a stop (`systemctl start kubelet`): a new process, which forgets
    /// what only the old one knew (the kubelet registers its Node again if it is gone).
    fn on_restart(&mut self) {}
    /// The apiserver's answer to one of its requests (a component may requeue on failure).
    fn on_response(&mut self, _request: &ApiRequest, _result: &Result<ApiResponse, ApiError>) {}
    /// One of its requests was not sent: the Event that reports how the request before it went,
    /// when that request was refused. Each request gets either this or `on_response`, in order.
    fn on_not_sent(&mut self, _request: &ApiRequest) {}
    /// Asked after the requests of a reconcile were answered: how soon to reconcile again, for a
    /// component that learnt from a refusal it has something to report (a `FailedCreate`).
    fn requeue_after_responses(&mut self) -> Option<Ticks> {
        None
    }
    /// The component as itself, for the simulated network (curl reads kube-proxy's rules and
    /// reaches a pod's app through its kubelet). None for components nothing needs to reach.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        None
    }
}

/// Mirrors: `pkg/controller/serviceaccount/serviceaccounts_controller.go` — every active namespace
/// gets a ServiceAccount named `default`, recreated if someone deletes it.
/// Simplified: runs as `system:kube-controller-manager` rather than its own service account.
#[derive(Clone, Debug, Default)]
pub struct ServiceAccountsController {
    /// Namespaces to sync, each with the delivery that asked for it.
    queue: std::collections::BTreeMap<String, Seq>,
    /// Creates sent and not yet seen in the informer (upstream's expectations).
    in_flight: std::collections::BTreeSet<String>,
}

pub const DEFAULT_SERVICE_ACCOUNT: &str = "default";

impl ServiceAccountsController {
    pub fn new() -> Self {
        ServiceAccountsController::default()
    }
}

impl Component for ServiceAccountsController {
    fn name(&self) -> String {
        "serviceaccount-controller".to_string()
    }

    fn actor(&self) -> Actor {
        Actor::controller(&self.name())
    }

    fn credentials(&self) -> Credentials {
        Credentials::ClientCertificate {
            common_name: "system:kube-controller-manager".to_string(),
            organizations: Vec::new(),
        }
    }

    fn watches(&self) -> Vec<&'static str> {
        vec!["namespaces", "serviceaccounts"]
    }

    fn observe(&mut self, event: &ObjectEvent) {
        match (event.resource, event.event) {
            ("namespaces", WatchEventType::Added | WatchEventType::Modified) => {
                self.queue.insert(event.name().to_string(), event.seq);
            }
            ("namespaces", WatchEventType::Deleted) => {
                self.queue.remove(event.name());
            }
            ("serviceaccounts", WatchEventType::Added)
                if event.name() == DEFAULT_SERVICE_ACCOUNT =>
            {
                if let Some(ns) = event.namespace() {
                    self.in_flight.remove(ns);
                }
            }
            ("serviceaccounts", WatchEventType::Deleted)
                if event.name() == DEFAULT_SERVICE_ACCOUNT =>
            {
                if let Some(ns) = event.namespace() {
                    self.queue.insert(ns.to_string(), event.seq);
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        for (namespace, seq) in std::mem::take(&mut self.queue) {
            let Some(ns) = ctx.lister.get("namespaces", None, &namespace) else {
                continue;
            };
            let terminating = ns.ptr("/metadata/deletionTimestamp").is_some();
            let exists = ctx
                .lister
                .get("serviceaccounts", Some(&namespace), DEFAULT_SERVICE_ACCOUNT)
                .is_some();
            if terminating || exists || self.in_flight.contains(&namespace) {
                continue;
            }
            self.in_flight.insert(namespace.clone());
            let body = serde_json::json!({
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": DEFAULT_SERVICE_ACCOUNT, "namespace": namespace},
            });
            out.decisions.push(
                Decision::new(
                    "EnsureServiceAccount",
                    format!("namespace {namespace} has no ServiceAccount \"default\": creating it"),
                )
                .caused_by(seq)
                .action(
                    ApiRequest::new(self.credentials(), Verb::Create, "serviceaccounts")
                        .namespace(namespace.clone())
                        .body(body),
                ),
            );
        }
        out
    }

    fn on_response(&mut self, request: &ApiRequest, result: &Result<ApiResponse, ApiError>) {
        // A failed create (other than AlreadyExists) is retried on the namespace's next change.
        if let (Err(e), Some(ns)) = (result, &request.namespace) {
            if e.reason != crate::sim::apiserver::StatusReason::AlreadyExists {
                self.in_flight.remove(ns);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::apiserver::backend::RangeEnd;
    use serde_json::json;

    fn put(store: &mut Store, name: &str, image: &str) {
        let key = format!("/registry/pods/default/{name}");
        let object = json!({
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": image}]},
        });
        store.put(&key, serde_json::to_vec(&object).unwrap().into());
    }

    fn images(objects: &[Arc<Value>]) -> Vec<(String, String)> {
        objects
            .iter()
            .map(|o| {
                let name = o["metadata"]["name"].as_str().unwrap().to_string();
                let image = o["spec"]["containers"][0]["image"].as_str().unwrap();
                (name, image.to_string())
            })
            .collect()
    }

    #[test]
    fn a_list_through_the_decode_cache_reads_what_the_store_holds_after_updates_and_deletes() {
        let mut store = Store::new();
        let cache = RefCell::new(DecodeCache::default());
        put(&mut store, "a", "nginx:1.24");
        put(&mut store, "b", "nginx:1.24");
        put(&mut store, "c", "nginx:1.24");

        let first = Lister::cached(&store, &cache).list_shared("pods", Some("default"));
        assert_eq!(first.len(), 3);
        assert_eq!(cache.borrow().len(), 3);
        let again = Lister::cached(&store, &cache).list_shared("pods", Some("default"));
        assert!(
            Arc::ptr_eq(&first[0], &again[0]),
            "an unchanged object is not decoded again"
        );

        put(&mut store, "b", "nginx:1.25");
        store.delete_range("/registry/pods/default/c", RangeEnd::Single);
        let cached = Lister::cached(&store, &cache).list_shared("pods", Some("default"));
        let fresh = Lister::new(&store).list("pods", Some("default"));
        let fresh: Vec<Arc<Value>> = fresh.into_iter().map(Arc::new).collect();
        assert_eq!(
            cached, fresh,
            "a read through the cache is a read of the store"
        );
        assert_eq!(
            images(&cached),
            [
                ("a".into(), "nginx:1.24".into()),
                ("b".into(), "nginx:1.25".into())
            ]
        );
        let b = store.get("/registry/pods/default/b").unwrap();
        let revision = cached[1]["metadata"]["resourceVersion"].as_str().unwrap();
        assert_eq!(revision, b.mod_revision.to_string());
        assert_eq!(cache.borrow().len(), 2, "the deleted pod leaves the cache");

        let lister = Lister::cached(&store, &cache);
        let b = lister.get_shared("pods", Some("default"), "b").unwrap();
        assert!(
            Arc::ptr_eq(&b, &cached[1]),
            "a get shares what a list decoded"
        );
        assert_eq!(lister.get_shared("pods", Some("default"), "c"), None);
    }
}
