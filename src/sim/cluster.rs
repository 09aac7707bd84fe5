//! The cluster: one world that owns the store, the apiserver, the clock, the RNG, the trace and
//! every component, and advances them in explicit, deterministic steps.
//!
//! Mirrors: how a kubeadm cluster comes up (kubeadm's super-admin writes namespaces and RBAC, the
//! kubelets register their Nodes) and how control loops talk to the apiserver (watch → reconcile
//! → write), in the shape of turmoil's `Sim::step` / madsim's single-threaded world.
//! Simplified: no network latency; a step is "deliver everything pending, then run every component
//! with work"; time moves only when the loop is idle and a timer is due, or on `advance`.
//!
//! One step, in order:
//! 1. take every pending watch event of every running component's informers; deliver them in
//!    revision order (ties: registration order), each recorded as a `WatchDelivery` caused by the
//!    `StoreCommit` that produced it;
//! 2. run `reconcile` for each running component that was told something or whose timer is due,
//!    in registration order;
//! 3. record each decision (caused by what the component names, else its delivery), tell the
//!    component the seq of each decision it gave an id, and send its requests through the
//!    apiserver as that component (each request caused by its decision).

use crate::sim::api::{json_template, json_text, JsonPointer};
use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::sim::api::resources;
use crate::sim::api::FieldSelector;
use crate::sim::apiserver::backend::{
    self, Bytes, RangeEnd, Revision, Store, WatchEventKind, WatchId,
};
use crate::sim::apiserver::checks::ListFilter;
use crate::sim::apiserver::events::EventCorrelator;
use crate::sim::apiserver::rbac::Attributes;
use crate::sim::apiserver::{
    decode_object, ApiClient, ApiError, ApiRequest, ApiResponse, Apiserver, Credentials, Env,
    Handled, Verb,
};
use crate::sim::clock::{Clock, Ticks};
use crate::sim::component::{
    Component, Context, DecisionId, DecodeCache, EventsNamed, Lister, ObjectEvent,
    ServiceAccountsController,
};
use crate::sim::rng::Rng;
use crate::sim::sort::StableSort;
use crate::sim::trace::{
    Actor, Component as TraceComponent, ObjectRef, Seq, Trace, TraceKind, WatchEventType,
};
use crate::sim::vms::LAB_VMS;

/// A bound on the steps one `run_until_idle` may take: a loop that never settles is a bug, and
/// the UI must stay responsive.
pub const MAX_STEPS_PER_RUN: usize = 10_000;

/// How long only heartbeats must have been written before [`Cluster::run_until_settled`] calls
/// the cluster settled: one kubelet Lease renewal period (10 s).
pub const QUIET_WINDOW_TICKS: Ticks = 10 * crate::sim::clock::TICKS_PER_SECOND;

/// Node heartbeats: what a settled cluster keeps writing.
pub const HEARTBEAT_KEY_PREFIX: &str = "/registry/leases/kube-node-lease/";

/// kubeadm's `super-admin.conf` identity: group `system:masters`, which bypasses RBAC. kubeadm uses
/// it once, to create the RBAC that lets `kubernetes-admin` in.
/// The reasons of the trace events that say a VM was powered off or on ([`Cluster::note_vm_power`]).
pub const VM_POWERED_OFF: &str = "VmPoweredOff";
pub const VM_POWERED_ON: &str = "VmPoweredOn";

pub fn super_admin() -> Credentials {
    Credentials::ClientCertificate {
        common_name: "kubernetes-super-admin".to_string(),
        organizations: vec!["system:masters".to_string()],
    }
}

/// A kubelet's client certificate: `system:node:<name>` in group `system:nodes`.
pub fn node_credentials(node: &str) -> Credentials {
    Credentials::ClientCertificate {
        common_name: format!("system:node:{node}"),
        organizations: vec!["system:nodes".to_string()],
    }
}

struct Slot {
    component: Box<dyn Component>,
    running: bool,
    watches: Vec<Informer>,
    /// Told something since its last reconcile; the latest delivery's seq.
    pending_cause: Option<Option<Seq>>,
    due_ticks: Option<Ticks>,
    /// The component's event recorder: repeats of an event become patches of its count.
    events: EventCorrelator,
}

/// One informer of a component: the resource, its etcd watch, and the field selector the
/// component asked the apiserver for (a kubelet's `spec.nodeName=<node>`).
struct Informer {
    resource: &'static str,
    id: WatchId,
    selector: Option<FieldSelector>,
}

/// See [`Cluster::network_parts`].
pub struct NetworkParts<'a> {
    pub store: &'a Store,
    pub trace: &'a mut Trace,
    pub rng: &'a mut Rng,
    pub now: Ticks,
    /// The line being run (curl's first hop names it as its cause).
    pub cause: Option<Seq>,
    pub components: Vec<&'a mut (dyn Component + 'static)>,
}

/// The whole cluster's state that a restore needs: the store, time and the RNG.
#[derive(Clone, Debug)]
pub struct ClusterSnapshot {
    pub store: backend::Snapshot,
    pub clock: Clock,
    pub rng: Rng,
    /// How many events the trace had recorded; a restored cluster starts a new trace.
    pub trace_len: usize,
    /// Events named so far in the current millisecond (see [`Context::events_named`]).
    pub events_named: EventsNamed,
}

/// A watch a client opened (`kubectl get -w`); poll it with [`Cluster::poll_watch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct WatchHandle(u64);

struct ClientWatch {
    id: WatchId,
    filter: ListFilter,
    /// The resource and the etcd prefix it watches, for [`Cluster::open_watches`].
    resource: &'static str,
    prefix: String,
}

/// One open etcd watch and who holds it, as the etcd panel lists them ([`Cluster::open_watches`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenWatch {
    /// The store's watch id (etcd's `watch_id`).
    pub id: WatchId,
    /// The component's name (`kube-scheduler`, `kubelet@node1`), or `kubectl` for a client's
    /// `get -w`.
    pub holder: String,
    /// The resource its informer is for: `pods`.
    pub resource: String,
    /// The etcd key prefix watched: `/registry/pods/`.
    pub prefix: String,
    /// The field selector sent with it, as typed (`spec.nodeName=node1`); None watches all.
    pub field_selector: Option<String>,
}

/// What `run_until_idle` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    pub steps: usize,
    /// False when it stopped at `MAX_STEPS_PER_RUN` with work still pending.
    pub idle: bool,
}

/// How far a step has got: the next slot to reconcile, and whether it has done anything.
struct StepInProgress {
    next_slot: usize,
    happened: bool,
    /// The watch events taken at the step's start, not yet delivered.
    delivering: Option<Delivering>,
    /// The last reconcile's decisions not yet applied: a reconcile at 1,000 pods sends hundreds
    /// of requests, applied [`REQUESTS_PER_PART`] at a time, in order, before the next slot.
    applying: Option<Applying>,
    /// A reconcile that did part of its work (see [`crate::sim::component::Reconcile::unfinished`]).
    reconciling: Option<Reconciling>,
}

/// A reconcile called again for the rest of its work, with nothing else in between, before its
/// decisions (kept here, in order) are applied.
struct Reconciling {
    index: usize,
    cause: Option<Seq>,
    decisions: Vec<crate::sim::component::Decision>,
}

/// At most this many requests of one reconcile are sent in one part of a step.
const REQUESTS_PER_PART: usize = 32;
/// At most this many watch events are delivered in one part of a step.
const DELIVERIES_PER_PART: usize = 256;

/// A step's watch events, in delivery order, with the decodes they share.
struct Delivering {
    events: std::vec::IntoIter<(Revision, usize, usize, backend::WatchEvent)>,
    decoded: Decoded,
}

/// The decisions of one reconcile, being recorded and sent.
struct Applying {
    index: usize,
    now: Ticks,
    cause: Option<Seq>,
    actor: Actor,
    credentials: Credentials,
    /// The seqs of this reconcile's decisions that carry an id, for `Decision::after`.
    recorded: BTreeMap<DecisionId, Seq>,
    decisions: std::vec::IntoIter<crate::sim::component::Decision>,
    /// The decision being sent: its seq, actor and requests not yet sent, and whether one of
    /// its requests was refused.
    current: Option<(Seq, Actor, std::vec::IntoIter<ApiRequest>, bool)>,
}

/// A run of the cluster in progress, driven in slices by [`Cluster::continue_run`]: until idle
/// ([`Cluster::begin_idle`]) or until settled ([`Cluster::begin_settle`]). Where it must stop,
/// and its steps so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    deadline: Ticks,
    steps: usize,
    /// A settle's watch on writes; None for a run until idle.
    settle: Option<Quiet>,
}

/// What a settle has seen of the writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Quiet {
    /// The last write that was not a heartbeat.
    last_change_ticks: Ticks,
    /// The trace up to here has been looked at for writes.
    seen: Seq,
}

pub struct Cluster {
    store: Store,
    apiserver: Apiserver,
    clock: Clock,
    rng: Rng,
    trace: Trace,
    events_named: EventsNamed,
    /// A step the page's slices stopped part-way ([`Cluster::step_part`]).
    step_in_progress: Option<StepInProgress>,
    slots: Vec<Slot>,
    /// The `StoreCommit` event of each revision, for deliveries to name as their cause.
    commit_seqs: BTreeMap<Revision, Seq>,
    client_watches: BTreeMap<WatchHandle, ClientWatch>,
    next_client_watch: u64,
    /// The `Command` event of the line the shell is running, if any: the cause of whatever a
    /// client (kubectl, etcdctl, curl, systemctl) does without another cause.
    command_root: Option<Seq>,
    /// What the components' listers decoded, kept for the next reconciles.
    decoded: std::cell::RefCell<DecodeCache>,
}

impl Cluster {
    /// A fresh kubeadm-style cluster: namespaces, RBAC, the `kubernetes` Service and three
    /// registered Nodes, all written through the apiserver and traced; then the loop settles
    /// (the ServiceAccount controller creates each namespace's `default` account).
    pub fn new(seed: u64) -> Cluster {
        let mut cluster = Cluster::empty(seed, Store::new(), Clock::default());
        cluster.add_default_components();
        cluster.boot();
        cluster.run_until_idle(0);
        cluster
    }

    fn empty(seed: u64, store: Store, clock: Clock) -> Cluster {
        Cluster {
            store,
            apiserver: Apiserver::new(),
            clock,
            rng: Rng::new(seed),
            trace: Trace::new(),
            events_named: EventsNamed::default(),
            step_in_progress: None,
            slots: Vec::new(),
            commit_seqs: BTreeMap::new(),
            client_watches: BTreeMap::new(),
            next_client_watch: 0,
            command_root: None,
            decoded: Default::default(),
        }
    }

    fn add_default_components(&mut self) {
        self.add_component(Box::new(ServiceAccountsController::new()));
    }

    /// Rebuilds a cluster from a snapshot: the same store, time and RNG, so the same next
    /// requests give the same revisions, uids and timestamps. Components start again and re-list.
    pub fn restore(snapshot: ClusterSnapshot) -> Result<Cluster, String> {
        let store = Store::restore(snapshot.store).map_err(|e| e.to_string())?;
        let mut cluster = Cluster::empty(0, store, snapshot.clock);
        cluster.rng = snapshot.rng;
        cluster.events_named = snapshot.events_named;
        cluster.add_default_components();
        Ok(cluster)
    }

    /// Rebuilds a cluster from an etcd snapshot alone (`etcdctl snapshot restore`): the objects
    /// and revisions come back; time restarts at boot and the RNG from `seed`.
    pub fn from_etcd_snapshot(seed: u64, snapshot: backend::Snapshot) -> Result<Cluster, String> {
        let store = Store::restore(snapshot).map_err(|e| e.to_string())?;
        let mut cluster = Cluster::empty(seed, store, Clock::default());
        cluster.add_default_components();
        Ok(cluster)
    }

    pub fn snapshot(&self) -> ClusterSnapshot {
        ClusterSnapshot {
            store: self.store.snapshot(),
            clock: self.clock.clone(),
            rng: self.rng.clone(),
            trace_len: self.trace.next_seq() as usize,
            events_named: self.events_named,
        }
    }

    // ---- read access -------------------------------------------------------------------------

    /// The store, for `etcdctl get` and the UI's etcd panel.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    pub fn now(&self) -> Ticks {
        self.clock.now()
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Seconds of the simulated wall clock, for kubectl's AGE column.
    pub fn unix_seconds(&self) -> i64 {
        self.clock.unix_seconds()
    }

    pub fn apiserver_mut(&mut self) -> &mut Apiserver {
        &mut self.apiserver
    }

    /// What the apiserver's RBAC authorizer answers for `attributes` (see
    /// [`Apiserver::authorize`]).
    pub fn authorize(&mut self, attributes: &Attributes) -> Result<String, String> {
        self.apiserver.authorize(&self.store, attributes)
    }

    /// The names of the components, in registration order, with whether each runs.
    pub fn components(&self) -> Vec<(String, bool)> {
        self.slots
            .iter()
            .map(|s| (s.component.name(), s.running))
            .collect()
    }

    /// Every open etcd watch and its holder: each running component's informers (in registration
    /// order), then the clients' `get -w` watches. Read-only, for the etcd panel.
    pub fn open_watches(&self) -> Vec<OpenWatch> {
        let mut open = Vec::new();
        for slot in self.slots.iter().filter(|s| s.running) {
            for informer in &slot.watches {
                let prefix = resources::by_plural(informer.resource)
                    .map(|info| info.prefix(None))
                    .unwrap_or_default();
                let field_selector = informer.selector.as_ref().map(|s| {
                    let terms: Vec<String> = s
                        .requirements
                        .iter()
                        .map(|r| {
                            let op = if r.not_equal { "!=" } else { "=" };
                            format!("{}{op}{}", r.field, r.value)
                        })
                        .collect();
                    terms.join(",")
                });
                open.push(OpenWatch {
                    id: informer.id,
                    holder: slot.component.name(),
                    resource: informer.resource.to_string(),
                    prefix,
                    field_selector,
                });
            }
        }
        for watch in self.client_watches.values() {
            open.push(OpenWatch {
                id: watch.id,
                holder: "kubectl".to_string(),
                resource: watch.resource.to_string(),
                prefix: watch.prefix.clone(),
                field_selector: None,
            });
        }
        open
    }

    // ---- identities --------------------------------------------------------------------------

    /// A static token (`--token-auth-file`) for a user such as `student`.
    pub fn add_user_token(&mut self, token: &str, user: &str, groups: &[&str]) {
        self.apiserver
            .authenticator
            .add_static_token(token, user, groups);
    }

    /// Issues a token for a service account (it must exist when the token is used).
    pub fn service_account_token(&mut self, namespace: &str, name: &str) -> String {
        let token = format!("sa.{}", self.rng.name_suffix(32));
        self.apiserver
            .authenticator
            .add_service_account_token(&token, namespace, name);
        token
    }

    // ---- requests ----------------------------------------------------------------------------

    /// What kubectl calls: one request as the `kubectl` actor, traced from the Request event on.
    pub fn submit(&mut self, request: ApiRequest) -> Result<ApiResponse, ApiError> {
        self.submit_as(&Actor::kubectl(), None, request).result
    }

    // ---- command roots -----------------------------------------------------------------------

    /// The shell runs one complete `line` on `host`: records it as a `Command` event, the cause
    /// of every client request until [`Cluster::end_command`] that has no other cause.
    /// The line is kept whole up to [`MAX_TRACED_LINE_BYTES`]; of a longer one (a paste), the
    /// start and `…`, so that no line makes the trace grow without bound.
    pub fn begin_command(&mut self, line: &str, host: &str) -> Seq {
        let seq = self.trace.record(
            self.clock.now(),
            Actor::shell(host),
            TraceKind::Command {
                line: traced_line(line),
                host: host.to_string(),
            },
            None,
        );
        self.command_root = Some(seq);
        seq
    }

    /// The line of `command` is done and the cluster settled after it (`idle` false: the settle
    /// limit stopped it): records `Settled` and forgets the root.
    pub fn end_command(&mut self, command: Seq, idle: bool) -> Seq {
        let host = match self.trace.get(command).map(|e| &e.kind) {
            Some(TraceKind::Command { host, .. }) => host.clone(),
            _ => LAB_VMS[0].name.to_string(),
        };
        let seq = self.trace.record(
            self.clock.now(),
            Actor::shell(&host),
            TraceKind::Settled { command, idle },
            // The root may have been dropped from a bounded trace in a very long line.
            self.trace.get(command).map(|e| e.seq),
        );
        self.command_root = None;
        self.follow_trace_floor();
        seq
    }

    /// The `Command` event of the line being run, if any.
    pub fn command_root(&self) -> Option<Seq> {
        self.command_root
    }

    /// One request from any actor, with the event that caused it; a request with no cause sent
    /// while the shell runs a line (kubectl's) is caused by that line's `Command` event.
    pub fn submit_as(&mut self, actor: &Actor, cause: Option<Seq>, request: ApiRequest) -> Handled {
        let cause = cause.or(self.command_root);
        let handled = self.apiserver.handle(
            Env {
                store: &mut self.store,
                trace: &mut self.trace,
                clock: &self.clock,
                rng: &mut self.rng,
            },
            actor,
            cause,
            request,
        );
        for commit in &handled.commits {
            self.commit_seqs.insert(commit.revision, commit.seq);
        }
        handled
    }

    /// `kubectl get -w`: a `watch` request (authenticated, authorized for the verb `watch`,
    /// traced) that answers with the current list, then reports later changes through
    /// [`Cluster::poll_watch`].
    pub fn open_watch(
        &mut self,
        request: ApiRequest,
    ) -> Result<(WatchHandle, ApiResponse), ApiError> {
        self.open_watch_from(request, None)
    }

    /// [`Cluster::open_watch`], but the stream starts after `revision` (a client's
    /// `resourceVersion`) instead of after the list; 410 Expired if it was compacted.
    pub fn open_watch_from(
        &mut self,
        mut request: ApiRequest,
        revision: Option<Revision>,
    ) -> Result<(WatchHandle, ApiResponse), ApiError> {
        request.verb = Verb::Watch;
        let filter = ListFilter::parse(
            resources::by_plural(&request.resource).map_or("", |r| r.kind),
            request.list_options.label_selector.as_deref(),
            request.list_options.field_selector.as_deref(),
        );
        let info = resources::by_plural(&request.resource);
        let namespace = request.namespace.clone().filter(|ns| !ns.is_empty());
        let listed = self.submit(request)?;
        let (Some(info), Ok(filter)) = (info, filter) else {
            return Err(ApiError::bad_request("watch could not be opened"));
        };
        let revision = revision.unwrap_or_else(|| {
            listed
                .body
                .ptr("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<Revision>().ok())
                .unwrap_or_else(|| self.store.revision())
        });
        let prefix = info.prefix(namespace.as_deref().filter(|_| info.namespaced));
        let id = self
            .store
            .watch(&prefix, RangeEnd::Prefix, Some(revision + 1), true)
            .map_err(|e| {
                ApiError::new(crate::sim::apiserver::StatusReason::Expired, e.to_string())
            })?;
        let handle = WatchHandle(self.next_client_watch);
        self.next_client_watch += 1;
        self.client_watches.insert(
            handle,
            ClientWatch {
                id,
                filter,
                resource: info.plural,
                prefix,
            },
        );
        Ok((handle, listed))
    }

    /// The changes since the last poll, oldest first, as a watch stream with the request's
    /// selectors reports them (see [`selected_watch_event`]).
    pub fn poll_watch(&mut self, handle: WatchHandle) -> Vec<(WatchEventType, Value)> {
        let Some(watch) = self.client_watches.get(&handle) else {
            return Vec::new();
        };
        self.store
            .take_events(watch.id)
            .iter()
            .filter_map(|event| {
                selected_watch_event(event, |o| watch.filter.matches(o), &mut Decoded::default())
            })
            .collect()
    }

    /// Stops a client watch (kubectl exits). False if it was not open.
    pub fn close_watch(&mut self, handle: WatchHandle) -> bool {
        match self.client_watches.remove(&handle) {
            Some(watch) => self.store.cancel_watch(watch.id),
            None => false,
        }
    }

    /// `etcdctl put`: a write straight into etcd, behind the apiserver's back (traced, watched).
    pub fn etcd_put(&mut self, key: &str, value: Bytes) -> Revision {
        let revision = self.store.put(key, value).revision;
        let stored = self.store.get(key);
        let (create_revision, version) = stored
            .as_ref()
            .map_or((revision, 1), |kv| (kv.create_revision, kv.version));
        let uid = stored.as_ref().and_then(stored_uid);
        self.record_direct_commit(key, revision, (create_revision, version), uid, false);
        revision
    }

    /// `etcdctl del`: returns how many keys were deleted.
    pub fn etcd_delete(&mut self, key: &str, range_end: RangeEnd) -> usize {
        let result = self.store.delete_range(key, range_end);
        if result.deleted > 0 {
            let uid = result.prev_kvs.first().and_then(stored_uid);
            self.record_direct_commit(key, result.revision, (0, 0), uid, true);
        }
        result.deleted
    }

    /// Records that a VM was powered off or on (`vagrant halt`, `vagrant up`). The store cannot
    /// say it (a halted node only stops reporting), so the page learns it from this event.
    /// Caused by the line that did it.
    pub fn note_vm_power(&mut self, vm: &str, on: bool) -> Seq {
        let (reason, state) = if on {
            (VM_POWERED_ON, "booted")
        } else {
            (VM_POWERED_OFF, "powered off")
        };
        self.trace.record(
            self.clock.now(),
            Actor::of(TraceComponent::Kubelet, vm),
            TraceKind::Decision {
                reason: reason.to_string(),
                message: format!("the VM {vm} is {state}"),
            },
            self.command_root,
        )
    }

    /// Records what Docker on `host` did with an image (`docker build|push|pull`), caused by
    /// the line that did it. A push is the registry's step (it receives the layers); a build
    /// or pull is the VM's runtime's.
    pub fn note_image(
        &mut self,
        action: crate::sim::trace::ImageAction,
        image: &str,
        host: &str,
        layers: Vec<crate::sim::trace::LayerPull>,
    ) -> Seq {
        let component = match action {
            crate::sim::trace::ImageAction::Push => TraceComponent::Registry,
            _ => TraceComponent::Containerd,
        };
        self.trace.record(
            self.clock.now(),
            Actor::of(component, host),
            TraceKind::Image {
                action,
                image: image.to_string(),
                host: host.to_string(),
                layers,
            },
            self.command_root,
        )
    }

    /// `(create_revision, version)` are etcd's KeyValue fields after the write (0, 0 for a
    /// delete's tombstone).
    fn record_direct_commit(
        &mut self,
        key: &str,
        revision: Revision,
        (create_revision, version): (Revision, i64),
        uid: Option<String>,
        deleted: bool,
    ) {
        let seq = self.trace.record_about(
            self.clock.now(),
            Actor::etcd(),
            TraceKind::StoreCommit {
                key: key.to_string(),
                revision,
                create_revision,
                version,
                deleted,
            },
            // etcdctl's write: caused by the line that ran it.
            self.command_root,
            ObjectRef::from_key(key, uid.as_deref()),
        );
        self.commit_seqs.insert(revision, seq);
        // The apiserver's parsed RBAC may be stale now.
        self.apiserver.invalidate_rbac();
    }

    // ---- components --------------------------------------------------------------------------

    /// What a request across the simulated network (curl, nslookup) needs at once: the objects,
    /// the trace its hops go to, the cluster's RNG (kube-proxy's random endpoint choice) and the
    /// running components (kube-proxy's rules, the kubelets that reach the pods' apps).
    pub fn network_parts(&mut self) -> NetworkParts<'_> {
        NetworkParts {
            store: &self.store,
            trace: &mut self.trace,
            rng: &mut self.rng,
            now: self.clock.now(),
            cause: self.command_root,
            components: self
                .slots
                .iter_mut()
                .filter(|s| s.running)
                .map(|s| s.component.as_mut())
                .collect(),
        }
    }

    /// Registers a component and starts it (its informers list, then watch).
    pub fn add_component(&mut self, component: Box<dyn Component>) {
        self.slots.push(Slot {
            component,
            running: false,
            watches: Vec::new(),
            pending_cause: None,
            due_ticks: None,
            events: EventCorrelator::default(),
        });
        let index = self.slots.len() - 1;
        self.start_slot(index);
    }

    /// Stops a component by name: its watches close and it does nothing until started again.
    /// Returns false if no component has that name.
    pub fn stop_component(&mut self, name: &str) -> bool {
        let Some(index) = self.slots.iter().position(|s| s.component.name() == name) else {
            return false;
        };
        let watches = std::mem::take(&mut self.slots[index].watches);
        for informer in watches {
            self.store.cancel_watch(informer.id);
        }
        let slot = &mut self.slots[index];
        slot.running = false;
        slot.pending_cause = None;
        slot.due_ticks = None;
        self.trace.record(
            self.clock.now(),
            slot.component.actor(),
            TraceKind::Decision {
                reason: "Stopped".into(),
                message: format!("{name} stopped"),
            },
            // `systemctl stop`, or a failure the student injected.
            self.command_root,
        );
        true
    }

    /// Starts a stopped component: like a restarted process, its informers list everything
    /// again (as `Added`) and then watch from there.
    pub fn start_component(&mut self, name: &str) -> bool {
        let Some(index) = self.slots.iter().position(|s| s.component.name() == name) else {
            return false;
        };
        if !self.slots[index].running {
            self.slots[index].component.on_restart();
            self.start_slot(index);
        }
        true
    }

    /// Has a running component reconcile at the next step, as if it had been told something:
    /// for what reaches it outside the store (a failure queued on a kubelet's node handle by the
    /// shell's `iptables` or `mv`), so the line's settle covers what it does about it. Its
    /// decisions are caused by the command being run. False if no component has that name.
    pub fn wake_component(&mut self, name: &str) -> bool {
        let Some(slot) = self.slots.iter_mut().find(|s| s.component.name() == name) else {
            return false;
        };
        if slot.running && slot.pending_cause.is_none() {
            slot.pending_cause = Some(self.command_root);
        }
        true
    }

    fn start_slot(&mut self, index: usize) {
        let revision = self.store.revision();
        let resources = self.slots[index].component.watches();
        let mut initial: Vec<(&'static str, Value, Revision, String)> = Vec::new();
        let mut watches = Vec::new();
        for resource in resources {
            let Some(info) = resources::by_plural(resource) else {
                continue;
            };
            let prefix = info.prefix(None);
            let selector = self.slots[index].component.watch_selector(resource);
            // The initial list is filtered as the watch is: a kubelet lists only its node's pods.
            for object in crate::sim::apiserver::registry_list(&self.store, info, None)
                .into_iter()
                .filter(|o| selector.as_ref().is_none_or(|s| s.matches(o)))
            {
                let rv = object
                    .ptr("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<Revision>().ok())
                    .unwrap_or(0);
                let key = info.key(
                    object.ptr("/metadata/namespace").and_then(Value::as_str),
                    object
                        .ptr("/metadata/name")
                        .and_then(Value::as_str)
                        .unwrap_or(""),
                );
                initial.push((resource, object, rv, key));
            }
            if let Ok(id) = self
                .store
                .watch(&prefix, RangeEnd::Prefix, Some(revision + 1), true)
            {
                watches.push(Informer {
                    resource,
                    id,
                    selector,
                });
            }
        }
        initial.stable_sort_by(|a, b| (a.2, &a.3).cmp(&(b.2, &b.3)));
        let slot = &mut self.slots[index];
        slot.running = true;
        slot.watches = watches;
        slot.pending_cause = Some(None);
        for (resource, object, revision, key) in initial {
            let cause = self.commit_seqs.get(&revision).copied();
            let about = ObjectRef::of(resource, &object);
            let seq = self.trace.record_about(
                self.clock.now(),
                slot.component.actor(),
                TraceKind::WatchDelivery {
                    watcher: slot.component.name(),
                    key: key.clone(),
                    revision,
                    event: WatchEventType::Added,
                },
                cause,
                about,
            );
            slot.component.observe(&ObjectEvent {
                event: WatchEventType::Added,
                resource,
                key,
                revision,
                object,
                seq,
            });
            slot.pending_cause = Some(Some(seq));
        }
    }

    // ---- the loop ----------------------------------------------------------------------------

    /// Does a component have work now (told something, or a timer due)? Watch events not yet
    /// delivered are not counted: `step()` reports whether it delivered any.
    pub fn has_pending_work(&self) -> bool {
        let now = self.clock.now();
        self.slots.iter().any(|s| {
            s.running && (s.pending_cause.is_some() || s.due_ticks.is_some_and(|d| d <= now))
        })
    }

    /// The earliest timer of a running component.
    /// Runs until the cluster has settled: nothing is pending and, for a whole
    /// [`QUIET_WINDOW_TICKS`], nothing was written but node heartbeats (Leases in
    /// `kube-node-lease`); or until `limit_ticks` of simulated time have passed.
    ///
    /// The outcome is not `idle` when the limit stopped it with work still going on.
    ///
    /// [`Cluster::run_until_idle`] never returns early on a booted lab: kubelets renew their
    /// Leases every 10 s forever. This is what a student waits for after typing a command: the
    /// work it caused is done (pods pulled, started, ready), and the clock stops there rather
    /// than racing on through heartbeats.
    pub fn run_until_settled(&mut self, limit_ticks: Ticks) -> RunOutcome {
        let mut run = self.begin_settle(limit_ticks);
        self.finish_run(&mut run)
    }

    /// The start of [`Cluster::run_until_settled`], to be driven in slices by
    /// [`Cluster::continue_run`] (the page does, so it can draw between slices). Run to the
    /// end, the slices do exactly what one call does: the same steps, the same trace.
    pub fn begin_settle(&self, limit_ticks: Ticks) -> Run {
        Run {
            settle: Some(Quiet {
                // Before this run the cluster counts as quiet: a command that changed nothing (a
                // read) returns at once instead of waiting out a window.
                last_change_ticks: self.clock.now().saturating_sub(QUIET_WINDOW_TICKS),
                seen: self.trace.next_seq(),
            }),
            ..self.begin_idle(limit_ticks)
        }
    }

    /// Runs at most `budget` rounds (a part of a step, or a move of the clock to the next timer)
    /// of a run; `Some` once it has ended: idle, or settled.
    pub fn continue_run(&mut self, run: &mut Run, budget: usize) -> Option<RunOutcome> {
        for _ in 0..budget {
            if run.steps >= MAX_STEPS_PER_RUN {
                return Some(RunOutcome {
                    steps: run.steps,
                    idle: false,
                });
            }
            // A step that delivered or ran nothing means every component is caught up (watches
            // opened by kubectl are not components' work, so they cannot keep this spinning).
            let Some(stepped) = self.step_part() else {
                continue;
            };
            if let Some(quiet) = &mut run.settle {
                for event in self.trace.since(quiet.seen) {
                    if let TraceKind::StoreCommit { key, .. } = &event.kind {
                        if !key.starts_with(HEARTBEAT_KEY_PREFIX) {
                            quiet.last_change_ticks = event.tick;
                        }
                    }
                }
                quiet.seen = self.trace.next_seq();
            }
            if stepped {
                run.steps += 1;
                continue;
            }
            let outcome = |idle| {
                Some(RunOutcome {
                    steps: run.steps,
                    idle,
                })
            };
            let due = self.next_timer();
            let Some(quiet) = run.settle else {
                match due {
                    Some(due) if due <= run.deadline => self.move_clock_to(due),
                    _ => return outcome(true),
                }
                continue;
            };
            let quiet_from = quiet.last_change_ticks.saturating_add(QUIET_WINDOW_TICKS);
            match due {
                Some(due) if due <= run.deadline => {
                    if due > quiet_from {
                        return outcome(true);
                    }
                    self.move_clock_to(due);
                }
                // The limit stops it before the quiet window is over: the work may go on (an
                // image still pulling, a back-off), so this is not settled.
                Some(due) if due <= quiet_from => return outcome(false),
                _ => return outcome(true),
            }
        }
        None
    }

    fn finish_run(&mut self, run: &mut Run) -> RunOutcome {
        loop {
            if let Some(outcome) = self.continue_run(run, usize::MAX) {
                return outcome;
            }
        }
    }

    pub fn next_timer(&self) -> Option<Ticks> {
        self.slots
            .iter()
            .filter(|s| s.running)
            .filter_map(|s| s.due_ticks)
            .min()
    }

    /// One deterministic step (see the module doc). Returns whether anything happened.
    pub fn step(&mut self) -> bool {
        loop {
            if let Some(happened) = self.step_part() {
                return happened;
            }
        }
    }

    /// One part of a step: its deliveries, or the next component's reconcile. `Some` (whether
    /// the step did anything) when the step is complete. The page runs a step in parts so that
    /// one step at 1,000 pods is not one long task; the parts run in the step's order, so the
    /// trace is the same. Nothing else happens between the parts: every run (a settle, a boot,
    /// a sleep) ends at the end of a step.
    fn step_part(&mut self) -> Option<bool> {
        let Some(mut part) = self.step_in_progress.take() else {
            let delivering = self.take_watch_events();
            // Events a selector filters out still count as work done: the step took them off
            // the watch, and a caller looping until idle must not mistake that for nothing
            // happening.
            let delivered = delivering.events.len() > 0;
            self.step_in_progress = Some(StepInProgress {
                next_slot: 0,
                happened: delivered,
                delivering: Some(delivering),
                applying: None,
                reconciling: None,
            });
            return None;
        };
        if let Some(delivering) = part.delivering.take() {
            part.delivering = self.deliver(delivering, DELIVERIES_PER_PART);
            self.step_in_progress = Some(part);
            return None;
        }
        if let Some(applying) = part.applying.take() {
            part.applying = self.apply(applying, REQUESTS_PER_PART);
            self.step_in_progress = Some(part);
            return None;
        }
        let now = self.clock.now();
        // The next slot with work, unless a reconcile is still under way.
        while part.reconciling.is_none() && part.next_slot < self.slots.len() {
            let index = part.next_slot;
            part.next_slot += 1;
            part.reconciling = self.reconcile_slot(index, now);
            part.happened |= part.reconciling.is_some();
        }
        if let Some(reconciling) = part.reconciling.take() {
            match self.reconcile_part(reconciling, now) {
                Ok(applying) => part.applying = Some(applying),
                Err(reconciling) => part.reconciling = Some(reconciling),
            }
            self.step_in_progress = Some(part);
            return None;
        }
        self.follow_trace_floor();
        Some(part.happened)
    }

    // ---- bounded history ---------------------------------------------------------------------

    /// Keeps at most `capacity_events` trace events (see [`crate::sim::trace::TRACE_EVENTS_MAX`]);
    /// the store's history follows the trace's floor.
    pub fn set_trace_capacity_events(&mut self, capacity_events: usize) {
        self.trace.set_capacity_events(capacity_events);
        self.follow_trace_floor();
    }

    /// How far back a page can go: the oldest trace event kept, and the store's compaction
    /// revision (every revision from it on can still be read). The two agree: the revision is
    /// the store as it was when that event happened.
    pub fn history_floor(&self) -> (Seq, Revision) {
        (self.trace.first_seq(), self.store.compact_revision())
    }

    /// After the trace dropped old commands, compacts the store at the revision current when the
    /// oldest kept event happened (the last commit before it), so the store keeps no history the
    /// trace can no longer explain, and forgets the dropped commits' seqs; without this both
    /// would grow for the whole session.
    fn follow_trace_floor(&mut self) {
        let floor = self.trace.first_seq();
        if floor == 0 {
            return;
        }
        // Commits are recorded in revision order, so their seqs grow with the revision.
        let revision = self
            .commit_seqs
            .iter()
            .take_while(|(_, seq)| **seq < floor)
            .map(|(revision, _)| *revision)
            .last();
        let Some(revision) = revision else {
            return;
        };
        if revision > self.store.compact_revision() && revision <= self.store.revision() {
            // Checked above: compaction can only fail for a revision already compacted or in the
            // future.
            let compacted = self.store.compact(revision);
            debug_assert!(compacted.is_ok(), "{compacted:?}");
        }
        self.commit_seqs = self.commit_seqs.split_off(&(revision + 1));
    }

    /// Takes every watch's new events off the store, in the order they are delivered.
    fn take_watch_events(&mut self) -> Delivering {
        let mut pending: Vec<(Revision, usize, usize, backend::WatchEvent)> = Vec::new();
        for (index, slot) in self.slots.iter().enumerate() {
            if !slot.running {
                continue;
            }
            for (informer, watch) in slot.watches.iter().enumerate() {
                for event in self.store.take_events(watch.id) {
                    pending.push((event.kv.mod_revision, index, informer, event));
                }
            }
        }
        // Ordered by revision, then component, then key: the same on every run.
        pending.stable_sort_by(|a, b| (a.0, a.1, &a.3.kv.key).cmp(&(b.0, b.1, &b.3.kv.key)));
        Delivering {
            events: pending.into_iter(),
            decoded: Decoded::default(),
        }
    }

    /// Delivers at most `budget` of the events taken; what is left when the budget runs out.
    fn deliver(&mut self, mut d: Delivering, budget: usize) -> Option<Delivering> {
        let now = self.clock.now();
        let decoded = &mut d.decoded;
        for (revision, index, informer, event) in d.events.by_ref().take(budget) {
            let watch = &self.slots[index].watches[informer];
            let resource = watch.resource;
            let selected = match &watch.selector {
                Some(selector) => selected_watch_event(&event, |o| selector.matches(o), decoded),
                None => watch_event(&event, decoded),
            };
            let Some((kind, object)) = selected else {
                continue;
            };
            let cause = self.commit_seqs.get(&revision).copied();
            let about = ObjectRef::from_key(
                &event.kv.key,
                object.ptr("/metadata/uid").and_then(Value::as_str),
            );
            let slot = &mut self.slots[index];
            let seq = self.trace.record_about(
                now,
                slot.component.actor(),
                TraceKind::WatchDelivery {
                    watcher: slot.component.name(),
                    key: event.kv.key.clone(),
                    revision,
                    event: kind,
                },
                cause,
                about,
            );
            slot.component.observe(&ObjectEvent {
                event: kind,
                resource,
                key: event.kv.key,
                revision,
                object,
                seq,
            });
            slot.pending_cause = Some(Some(seq));
        }
        (d.events.len() > 0).then_some(d)
    }

    /// Slot `index`'s reconcile, not yet called, if it has work (told something, or a timer
    /// due at `now`); [`Self::reconcile_part`] calls it and [`Self::apply`] applies its decisions.
    fn reconcile_slot(&mut self, index: usize, now: Ticks) -> Option<Reconciling> {
        let slot = &mut self.slots[index];
        let timer_due = slot.due_ticks.is_some_and(|d| d <= now);
        if !slot.running || (slot.pending_cause.is_none() && !timer_due) {
            return None;
        }
        Some(Reconciling {
            index,
            cause: slot.pending_cause.take().flatten(),
            decisions: Vec::new(),
        })
    }

    /// Calls the component's reconcile: its decisions to apply, or, when it has more of this
    /// reconcile to do, the reconcile to call again in the next part.
    fn reconcile_part(&mut self, mut r: Reconciling, now: Ticks) -> Result<Applying, Reconciling> {
        let slot = &mut self.slots[r.index];
        let cause = r.cause;
        let mut ctx = Context {
            now,
            clock: &self.clock,
            rng: &mut self.rng,
            events_named: &mut self.events_named,
            cause,
            lister: Lister::cached(&self.store, &self.decoded),
        };
        let result = slot.component.reconcile(&mut ctx);
        r.decisions.extend(result.decisions);
        if result.unfinished {
            return Err(r);
        }
        slot.due_ticks = result.requeue_after.map(|after| now + after.max(1));
        if result.more {
            slot.pending_cause = Some(cause);
        }
        Ok(Applying {
            index: r.index,
            now,
            cause,
            actor: slot.component.actor(),
            credentials: slot.component.credentials(),
            recorded: BTreeMap::new(),
            decisions: r.decisions.into_iter(),
            current: None,
        })
    }

    /// Records a reconcile's decisions and sends their requests, in order, at most `budget`
    /// requests; what is left when the budget runs out.
    fn apply(&mut self, mut a: Applying, mut budget: usize) -> Option<Applying> {
        loop {
            if let Some((decision_seq, actor, requests, refused)) = &mut a.current {
                for mut request in requests.by_ref() {
                    // An Event reports how the request before it went (`SuccessfulCreate` after
                    // a create): after a refused request it is not sent, as upstream records
                    // the success only once the call returned.
                    if *refused && request.resource == "events" && request.verb == Verb::Create {
                        self.slots[a.index].component.on_not_sent(&request);
                        continue;
                    }
                    request.credentials = a.credentials.clone();
                    let slot = &mut self.slots[a.index];
                    let repeat = slot.events.correlate(&request);
                    let sent = repeat.as_ref().unwrap_or(&request);
                    let handled = self.submit_as(actor, Some(*decision_seq), sent.clone());
                    let slot = &mut self.slots[a.index];
                    *refused = handled.result.is_err();
                    if *refused {
                        slot.events.refused(sent);
                    }
                    slot.component.on_response(&request, &handled.result);
                    budget = budget.saturating_sub(1);
                    if budget == 0 {
                        return Some(a);
                    }
                }
                a.current = None;
            }
            let Some(decision) = a.decisions.next() else {
                let slot = &mut self.slots[a.index];
                if let Some(after) = slot.component.requeue_after_responses() {
                    let due = a.now + after.max(1);
                    slot.due_ticks = Some(slot.due_ticks.map_or(due, |d| d.min(due)));
                }
                return None;
            };
            let kind = decision.kind.unwrap_or(TraceKind::Decision {
                reason: decision.reason,
                message: decision.message,
            });
            let decision_cause = decision
                .after
                .and_then(|id| a.recorded.get(&id).copied())
                .or(decision.cause)
                .or(a.cause);
            let actor = decision.actor.unwrap_or_else(|| a.actor.clone());
            let decision_seq = self.trace.record_about(
                a.now,
                actor.clone(),
                kind,
                decision_cause,
                decision.object,
            );
            if let Some(id) = decision.id {
                a.recorded.insert(id, decision_seq);
                self.slots[a.index].component.on_recorded(id, decision_seq);
            }
            a.current = Some((decision_seq, actor, decision.actions.into_iter(), false));
        }
    }

    /// Steps until nothing is pending and no timer falls within `limit_ticks` from now; when idle
    /// with a timer inside the limit, moves the clock to it.
    pub fn run_until_idle(&mut self, limit_ticks: Ticks) -> RunOutcome {
        let mut run = self.begin_idle(limit_ticks);
        self.finish_run(&mut run)
    }

    /// The start of [`Cluster::run_until_idle`], to be driven in slices by
    /// [`Cluster::continue_run`] (the page boots the lab so, drawing between slices). Run to the
    /// end, the slices do exactly what one call does: the same steps, the same trace.
    pub fn begin_idle(&self, limit_ticks: Ticks) -> Run {
        Run {
            deadline: self.clock.now().saturating_add(limit_ticks),
            steps: 0,
            settle: None,
        }
    }

    /// `sleep N`: lets `ticks` of simulated time pass, firing every timer on the way.
    pub fn advance(&mut self, ticks: Ticks) -> RunOutcome {
        let target = self.clock.now().saturating_add(ticks);
        let outcome = self.run_until_idle(ticks);
        if self.clock.now() < target {
            self.move_clock_to(target);
        }
        outcome
    }

    fn move_clock_to(&mut self, ticks: Ticks) {
        if ticks <= self.clock.now() {
            return;
        }
        self.clock.advance_to(ticks);
        self.trace.record(
            ticks,
            Actor::of(TraceComponent::Clock, "master"),
            TraceKind::TimePassed { to_ticks: ticks },
            None,
        );
    }

    // ---- boot --------------------------------------------------------------------------------

    fn boot(&mut self) {
        let kubeadm = Actor::of(TraceComponent::Kubeadm, "master");
        let send = |cluster: &mut Cluster,
                    actor: &Actor,
                    credentials: Credentials,
                    resource: &str,
                    body: Value| {
            let namespace = body
                .ptr("/metadata/namespace")
                .and_then(Value::as_str)
                .map(str::to_string);
            let mut request = ApiRequest::new(credentials, Verb::Create, resource).body(body);
            request.namespace = namespace;
            let handled = cluster.submit_as(actor, None, request);
            assert!(
                handled.result.is_ok(),
                "boot object refused: {:?}",
                handled.result
            );
        };
        for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
            send(
                self,
                &kubeadm,
                super_admin(),
                "namespaces",
                json_text(
                    r#"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "${ns}"}}"#,
                    &[("ns", ns)],
                ),
            );
        }
        for (resource, body) in boot_rbac() {
            send(self, &kubeadm, super_admin(), resource, body);
        }
        send(
            self,
            &kubeadm,
            super_admin(),
            "services",
            json_template(
                r#"{
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "kubernetes", "namespace": "default",
                             "labels": {"component": "apiserver", "provider": "kubernetes"}},
                "spec": {"clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"],
                         "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                         "internalTrafficPolicy": "Cluster",
                         "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}
            }"#,
                &[],
            ),
        );
        // The apiserver's endpoint reconciler: the `kubernetes` Service has no selector, so its
        // Endpoints and EndpointSlice name the apiserver's own address, not pods.
        let apiserver = Actor::apiserver();
        let master_ip: &[(&str, &str)] = &[("master_ip", LAB_VMS[0].ip)];
        send(
            self,
            &apiserver,
            super_admin(),
            "endpoints",
            json_text(
                r#"{
                "apiVersion": "v1", "kind": "Endpoints",
                "metadata": {"name": "kubernetes", "namespace": "default",
                             "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
                "subsets": [{"addresses": [{"ip": "${master_ip}"}],
                             "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}]
            }"#,
                master_ip,
            ),
        );
        send(
            self,
            &apiserver,
            super_admin(),
            "endpointslices",
            json_text(
                r#"{
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": "kubernetes", "namespace": "default",
                             "labels": {"kubernetes.io/service-name": "kubernetes"}},
                "addressType": "IPv4",
                "endpoints": [{"addresses": ["${master_ip}"], "conditions": {"ready": true}}],
                "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]
            }"#,
                master_ip,
            ),
        );
        for vm in LAB_VMS {
            let (name, ip, cpus, cidr) = (vm.name, vm.ip, vm.vcpus, vm.pod_cidr);
            let kubelet = Actor::of(TraceComponent::Kubelet, name);
            send(
                self,
                &kubelet,
                node_credentials(name),
                "nodes",
                node_object(name, ip, cpus, cidr),
            );
        }
    }
}

/// The `metadata.uid` of a stored object, for the trace; None for a value that is not one.
fn stored_uid(kv: &backend::KeyValue) -> Option<String> {
    decode_object(kv)?
        .ptr("/metadata/uid")?
        .as_str()
        .map(str::to_string)
}

/// An etcd watch event as a Kubernetes watch event: a put of a new key is `Added`, of an existing
/// key `Modified`; a delete is `Deleted` with the object's last state (from `prev_kv`).
fn watch_event(
    event: &backend::WatchEvent,
    decoded: &mut Decoded,
) -> Option<(WatchEventType, Value)> {
    match event.kind {
        WatchEventKind::Put => {
            let kind = if event.kv.create_revision == event.kv.mod_revision {
                WatchEventType::Added
            } else {
                WatchEventType::Modified
            };
            Some((kind, decoded.object(&event.kv)?))
        }
        WatchEventKind::Delete => {
            let mut last = decoded.object(event.prev_kv.as_ref()?)?;
            at_revision(&mut last, event.kv.mod_revision);
            Some((WatchEventType::Deleted, last))
        }
    }
}

/// A deleted object's last state as a watch delivers it: with the delete's revision as its
/// resourceVersion, as the apiserver's etcd3 watcher sets it (`versioner.UpdateObject(oldObj,
/// e.rev)`), so a client that resumes from the last event's resourceVersion is not told of the
/// delete a second time.
fn at_revision(object: &mut Value, revision: Revision) {
    if let Some(Value::Object(meta)) = object.get_mut("metadata") {
        meta.insert("resourceVersion".into(), json!(revision.to_string()));
    }
}

/// The objects of the last watch event decoded, for the next watcher of the same event: one
/// change is delivered to every component that watches its resource, one after another.
#[derive(Default)]
struct Decoded {
    /// Keyed by the value's allocation and revision: the store keeps one allocation per write.
    last: Vec<(backend::Bytes, Revision, Option<Value>)>,
}

impl Decoded {
    /// Room for an event's object and its previous state.
    const KEPT: usize = 2;

    fn object(&mut self, kv: &backend::KeyValue) -> Option<Value> {
        let hit = self.last.iter().find(|(bytes, revision, _)| {
            std::sync::Arc::ptr_eq(bytes, &kv.value) && *revision == kv.mod_revision
        });
        if let Some((_, _, object)) = hit {
            return object.clone();
        }
        let object = decode_object(kv);
        if self.last.len() == Self::KEPT {
            self.last.remove(0);
        }
        self.last
            .push((kv.value.clone(), kv.mod_revision, object.clone()));
        object
    }
}

/// An etcd watch event as a watcher with a selector sees it, the way the apiserver's watch cache
/// filters a selected watch (`cacheWatcher.convertToWatchEvent`): what the watcher is told
/// depends on whether the object matched before the change and matches after it.
///
/// ```text
///   before \ after   matches      does not (or deleted)
///   matches          Modified     Deleted (the last matching state)
///   does not / new   Added        nothing
/// ```
/// A kubelet's `spec.nodeName=<node>` watch thus sees a pod as Added when it is bound to its node.
/// When etcd no longer has the previous state (compacted), the change counts as it would
/// unselected: a put that matches is Added or Modified by its revisions.
fn selected_watch_event(
    event: &backend::WatchEvent,
    matches: impl Fn(&Value) -> bool,
    decoded: &mut Decoded,
) -> Option<(WatchEventType, Value)> {
    let (kind, object) = watch_event(event, decoded)?;
    let previous = event.prev_kv.as_ref().and_then(|kv| decoded.object(kv));
    let was = previous.as_ref().map(&matches);
    match kind {
        // A delete's `object` is already the last state.
        WatchEventType::Deleted => matches(&object).then_some((kind, object)),
        _ => match (was, matches(&object)) {
            (Some(true), true) => Some((WatchEventType::Modified, object)),
            (Some(false), true) => Some((WatchEventType::Added, object)),
            (None, true) => Some((kind, object)),
            // Out of the selection: the last state that was in it, at this event's revision.
            (Some(true), false) => previous.map(|mut p| {
                at_revision(&mut p, event.kv.mod_revision);
                (WatchEventType::Deleted, p)
            }),
            (_, false) => None,
        },
    }
}

impl ApiClient for Cluster {
    fn call(&mut self, request: ApiRequest) -> Result<ApiResponse, ApiError> {
        self.submit(request)
    }
}

/// One Node as its kubelet registers it.
pub fn node_object(name: &str, ip: &str, cpus: u32, pod_cidr: &str) -> Value {
    // 1 GiB of RAM; the kubelet keeps the 100Mi hard-eviction threshold out of allocatable.
    let mut node = json_text(
        r#"{
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "${name}", "labels": {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": "${name}",
            "kubernetes.io/os": "linux"
        }, "annotations": {
            "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///var/run/containerd/containerd.sock",
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {"podCIDR": "${pod_cidr}", "podCIDRs": ["${pod_cidr}"]},
        "status": {
            "capacity": {"cpu": "${cpus}", "ephemeral-storage": "19475Mi", "hugepages-2Mi": "0",
                         "memory": "1048576Ki", "pods": "110"},
            "allocatable": {"cpu": "${cpus}", "ephemeral-storage": "19475Mi", "hugepages-2Mi": "0",
                            "memory": "946176Ki", "pods": "110"},
            "addresses": [{"type": "InternalIP", "address": "${ip}"}, {"type": "Hostname", "address": "${name}"}],
            "conditions": [
                {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory",
                 "message": "kubelet has sufficient memory available",
                 "lastHeartbeatTime": "${t0}", "lastTransitionTime": "${t0}"},
                {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure",
                 "message": "kubelet has no disk pressure",
                 "lastHeartbeatTime": "${t0}", "lastTransitionTime": "${t0}"},
                {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID",
                 "message": "kubelet has sufficient PID available",
                 "lastHeartbeatTime": "${t0}", "lastTransitionTime": "${t0}"},
                {"type": "Ready", "status": "True", "reason": "KubeletReady",
                 "message": "kubelet is posting ready status",
                 "lastHeartbeatTime": "${t0}", "lastTransitionTime": "${t0}"}
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64", "bootID": "", "containerRuntimeVersion": "containerd://1.7.24",
                "kernelVersion": "6.8.0-51-generic", "kubeProxyVersion": "v1.32.0",
                "kubeletVersion": "v1.32.0", "machineID": "", "operatingSystem": "linux",
                "osImage": "Ubuntu 24.04.1 LTS", "systemUUID": ""
            }
        }
    }"#,
        &[
            ("name", name),
            ("ip", ip),
            ("cpus", &cpus.to_string()),
            ("pod_cidr", pod_cidr),
            ("t0", &crate::sim::clock::Clock::default().rfc3339()),
        ],
    );
    if name == "master" {
        if let Some(Value::Object(labels)) = node.pointer_mut("/metadata/labels") {
            for key in [
                "node-role.kubernetes.io/control-plane",
                "node.kubernetes.io/exclude-from-external-load-balancers",
            ] {
                labels.insert(key.into(), "".into());
            }
        }
        node["spec"]["taints"] = json_template(
            r#"[{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}]"#,
            &[],
        );
    }
    node
}

/// The RBAC a kubeadm cluster starts with, trimmed to what the sandbox's users and components use.
/// Simplified: the component roles are broader than upstream's bootstrap policy.
pub fn boot_rbac() -> Vec<(&'static str, Value)> {
    let objects = json_template(
        r#"[
        {"kind": "ClusterRole", "metadata": {"name": "cluster-admin", "labels": "${defaults}"},
         "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]},
        {"kind": "ClusterRole", "metadata": {"name": "admin", "labels": "${defaults}"},
         "rules": [
            {"apiGroups": [""], "resources": "${workloads}", "verbs": "${WRITE}"},
            {"apiGroups": ["apps"], "resources": "${apps}", "verbs": "${WRITE}"},
            {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": "${WRITE}"},
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"],
             "verbs": "${WRITE}"}]},
        {"kind": "ClusterRole", "metadata": {"name": "edit", "labels": "${defaults}"},
         "rules": [
            {"apiGroups": [""], "resources": "${workloads}", "verbs": "${WRITE}"},
            {"apiGroups": ["apps"], "resources": "${apps}", "verbs": "${WRITE}"},
            {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": "${WRITE}"}]},
        {"kind": "ClusterRole", "metadata": {"name": "view", "labels": "${defaults}"},
         "rules": [
            {"apiGroups": [""], "resources": ["pods", "pods/log", "pods/status", "services",
             "endpoints", "configmaps", "serviceaccounts", "events", "replicationcontrollers",
             "namespaces"], "verbs": "${READ}"},
            {"apiGroups": ["apps"], "resources": "${apps}", "verbs": "${READ}"},
            {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": "${READ}"}]},
        {"kind": "ClusterRole", "metadata": {"name": "system:kube-scheduler", "labels": "${defaults}"},
         "rules": [
            {"apiGroups": [""], "resources": ["pods", "nodes", "namespaces", "services",
             "persistentvolumeclaims"], "verbs": "${READ}"},
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]},
            {"apiGroups": [""], "resources": ["pods/binding", "bindings"], "verbs": ["create"]},
            {"apiGroups": [""], "resources": ["pods/status"], "verbs": ["patch", "update"]},
            {"apiGroups": ["", "events.k8s.io"], "resources": ["events"],
             "verbs": ["create", "patch", "update"]},
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
             "verbs": ["create", "get", "update"]},
            {"apiGroups": ["apps"], "resources": ["replicasets", "statefulsets"], "verbs": "${READ}"}]},
        {"kind": "ClusterRole",
         "metadata": {"name": "system:kube-controller-manager", "labels": "${defaults}"},
         "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]},
        {"kind": "ClusterRole", "metadata": {"name": "system:node", "labels": "${defaults}"},
         "rules": [
            {"apiGroups": [""], "resources": ["pods", "nodes", "services", "endpoints",
             "configmaps", "secrets", "namespaces"], "verbs": "${READ}"},
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "delete"]},
            {"apiGroups": [""], "resources": ["pods/status", "nodes/status"],
             "verbs": ["patch", "update"]},
            {"apiGroups": [""], "resources": ["nodes"], "verbs": ["create", "delete", "patch", "update"]},
            {"apiGroups": ["", "events.k8s.io"], "resources": ["events"],
             "verbs": ["create", "patch", "update"]},
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
             "verbs": ["create", "delete", "get", "patch", "update"]}]},
        {"kind": "ClusterRoleBinding", "metadata": {"name": "cluster-admin"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
         "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]},
        {"kind": "ClusterRoleBinding", "metadata": {"name": "kubeadm:cluster-admins"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
         "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "kubeadm:cluster-admins"}]},
        {"kind": "ClusterRoleBinding", "metadata": {"name": "system:kube-scheduler"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:kube-scheduler"},
         "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "system:kube-scheduler"}]},
        {"kind": "ClusterRoleBinding", "metadata": {"name": "system:kube-controller-manager"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                     "name": "system:kube-controller-manager"},
         "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                       "name": "system:kube-controller-manager"}]},
        {"kind": "ClusterRoleBinding", "metadata": {"name": "system:node"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:node"},
         "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:nodes"}]}
    ]"#,
        &[
            (
                "defaults",
                json_template(r#"{"kubernetes.io/bootstrapping": "rbac-defaults"}"#, &[]),
            ),
            ("READ", json_template(r#"["get", "list", "watch"]"#, &[])),
            ("WRITE", crate::sim::apiserver::request::REST_VERBS.into()),
            (
                "workloads",
                json_template(
                    r#"["pods", "pods/log", "pods/status", "services", "endpoints", "configmaps",
                    "secrets", "serviceaccounts", "events", "replicationcontrollers",
                    "persistentvolumeclaims"]"#,
                    &[],
                ),
            ),
            (
                "apps",
                json_template(
                    r#"["deployments", "deployments/scale", "replicasets", "replicasets/scale",
                    "daemonsets", "statefulsets"]"#,
                    &[],
                ),
            ),
        ],
    );
    let Value::Array(objects) = objects else {
        unreachable!("the boot RBAC is a list")
    };
    objects
        .into_iter()
        .map(|mut object| {
            object["apiVersion"] = "rbac.authorization.k8s.io/v1".into();
            let resource = if object["kind"] == "ClusterRole" {
                "clusterroles"
            } else {
                "clusterrolebindings"
            };
            (resource, object)
        })
        .collect()
}

/// How much of a typed line the trace keeps: more than any line typed by hand, far less than a
/// paste can be.
pub const MAX_TRACED_LINE_BYTES: usize = 4096;

fn traced_line(line: &str) -> String {
    let kept = crate::sim::text::head(line, MAX_TRACED_LINE_BYTES);
    if kept.len() == line.len() {
        return line.to_string();
    }
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::etcd::KeyValue;

    /// A pod's put (or delete) as etcd reports it to a watch with `prev_kv`.
    fn event(
        kind: WatchEventKind,
        node_before: Option<&str>,
        node_after: Option<&str>,
    ) -> backend::WatchEvent {
        let kv = |node: Option<&str>, create: Revision, rev: Revision| {
            let pod = json!({"metadata": {"name": "web", "namespace": "default"},
                             "spec": {"nodeName": node}});
            KeyValue {
                key: "/registry/pods/default/web".into(),
                create_revision: create,
                mod_revision: rev,
                version: 1,
                value: serde_json::to_vec(&pod).expect("json").into(),
                lease: 0,
            }
        };
        let prev_kv = node_before.map(|n| kv(Some(n).filter(|n| !n.is_empty()), 5, 5));
        let kv = match (&kind, &prev_kv) {
            (WatchEventKind::Delete, Some(prev)) => KeyValue {
                mod_revision: 6,
                value: Vec::new().into(),
                ..prev.clone()
            },
            (_, Some(_)) => kv(node_after.filter(|n| !n.is_empty()), 5, 6),
            (_, None) => kv(node_after.filter(|n| !n.is_empty()), 6, 6),
        };
        backend::WatchEvent { kind, kv, prev_kv }
    }

    #[test]
    fn a_field_selected_watch_sees_objects_enter_and_leave_its_selection() {
        let selector = FieldSelector::parse("spec.nodeName=node1").expect("selector");
        let seen = |e: backend::WatchEvent| {
            selected_watch_event(&e, |o| selector.matches(o), &mut Decoded::default())
                .map(|(kind, _)| kind)
        };
        use WatchEventKind::{Delete, Put};
        use WatchEventType::{Added, Deleted, Modified};
        let cases = [
            (
                "a new pod not bound here is not seen",
                event(Put, None, Some("")),
                None,
            ),
            (
                "a new pod bound here is Added",
                event(Put, None, Some("node1")),
                Some(Added),
            ),
            (
                "binding a pod here makes it Added",
                event(Put, Some(""), Some("node1")),
                Some(Added),
            ),
            (
                "a change to a pod here is Modified",
                event(Put, Some("node1"), Some("node1")),
                Some(Modified),
            ),
            (
                "a pod leaving the selection is Deleted",
                event(Put, Some("node1"), Some("node2")),
                Some(Deleted),
            ),
            (
                "a pod elsewhere changing is not seen",
                event(Put, Some("node2"), Some("node2")),
                None,
            ),
            (
                "deleting a pod here is Deleted",
                event(Delete, Some("node1"), None),
                Some(Deleted),
            ),
            (
                "deleting a pod elsewhere is not seen",
                event(Delete, Some("node2"), None),
                None,
            ),
        ];
        for (name, e, want) in cases {
            assert_eq!(seen(e), want, "{name}");
        }
    }
}

#[cfg(test)]
mod decoded_tests {
    use super::*;
    use crate::sim::etcd::KeyValue;

    fn kv(value: &backend::Bytes, revision: Revision) -> KeyValue {
        KeyValue {
            key: "/registry/pods/default/web".into(),
            create_revision: 1,
            mod_revision: revision,
            version: 1,
            value: value.clone(),
            lease: 0,
        }
    }

    #[test]
    fn a_decoded_object_is_reused_only_for_the_same_write() {
        let web: backend::Bytes = br#"{"metadata":{"name":"web"}}"#.to_vec().into();
        let db: backend::Bytes = br#"{"metadata":{"name":"db"}}"#.to_vec().into();
        let mut decoded = Decoded::default();
        let rv = |o: Option<Value>| o.and_then(|o| o.ptr("/metadata/resourceVersion").cloned());
        assert_eq!(rv(decoded.object(&kv(&web, 5))), Some(json!("5")));
        // The same bytes under another revision are another write: its own resourceVersion.
        assert_eq!(rv(decoded.object(&kv(&web, 6))), Some(json!("6")));
        assert_eq!(rv(decoded.object(&kv(&web, 5))), Some(json!("5")));
        let name = decoded
            .object(&kv(&db, 7))
            .and_then(|o| o.ptr("/metadata/name").cloned());
        assert_eq!(name, Some(json!("db")));
        assert_eq!(decoded.last.len(), Decoded::KEPT, "bounded");
    }
}
