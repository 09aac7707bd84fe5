//! The timeline: the trace of each command the student ran, turned into beats the page animates.
//!
//! A *beat* is one message from a place to a place (a component box on a VM), or one thing a
//! component did where it stands, with the deployment step it belongs to and how long the page
//! shows it. Beats are made from the trace alone, so the animation is always what the simulated
//! components really did.
//!
//! ```text
//!  trace:  Command ─ Request ─ Authn ─ Authz ─ Admit ─ Valid ─ VAdmit ─ Storage ─ Commit ─ Response ─ Watch ─ Watch ...
//!  beats:  Command   Request   ╰──────────── Checks (folded) ───────────╯          Commit              Watch (fan-out)
//! ```
//!
//! Folding, by default: the apiserver's stages of a request become one `Checks` beat (only for the
//! student's own requests; a component's request shows as the request and its commit), the
//! `Response` is shown only when nothing was stored (a read, or a refusal), the deliveries of one
//! revision to several watchers fly out together, and what a student does not need to follow is
//! left out: Event objects, node leases and kubelet heartbeats, the clock's own ticks between them.
//! [`Detail::Full`] unfolds the stages and keeps everything.
//!
//! The eight steps are those of the course notes (and `../shared/DESIGN.md`):
//! 1 kubectl sends the request · 2 the apiserver authenticates, validates, admits · 3 etcd stores it
//! and notifies the watchers · 4 the controller-manager creates the ReplicaSet and Pods · 5 the
//! scheduler picks a node and binds · 6 the kubelet on that node sees its pod · 7 the container
//! runtime pulls the image and starts the container · 8 the pod is Running and its status goes
//! back through the apiserver to etcd.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::present::topology::Component;
use crate::sim::apiserver::Verb;
use crate::sim::chunked::Chunked;
use crate::sim::clock::{Ticks, TICKS_PER_SECOND};
use crate::sim::scheduler::record::{CycleRecord, TieBreak};
use crate::sim::trace::{
    Actor, ApiStage, CriCall, ImageAction, Seq, TraceEvent, TraceKind, WatchEventType,
};

/// A deployment step, 1 to 8.
pub type Step = u8;

/// Every step, in order.
pub const STEPS: [Step; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

/// Somewhere a message leaves from or arrives at: a component box on a VM, the student's
/// terminal, or the image registry outside the cluster.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Place {
    /// The terminal on a VM (where kubectl, etcdctl, curl run).
    Terminal(String),
    /// A component on a VM.
    Box { vm: String, component: Component },
    /// The image registry (Docker Hub), outside the cluster.
    Registry,
}

impl Place {
    fn on(vm: &str, component: Component) -> Place {
        Place::Box {
            vm: vm.to_string(),
            component,
        }
    }

    pub fn apiserver() -> Place {
        Place::on("master", Component::KubeApiserver)
    }

    pub fn etcd() -> Place {
        Place::on("master", Component::Etcd)
    }

    /// The stable id the page puts on the element (`data-place="master/kube-apiserver"`).
    pub fn id(&self) -> String {
        match self {
            Place::Terminal(vm) => format!("{vm}/kubectl"),
            Place::Box { vm, component } => format!("{vm}/{}", component.id()),
            Place::Registry => "registry".to_string(),
        }
    }

    /// The VM the place is on, if any.
    pub fn vm(&self) -> Option<&str> {
        match self {
            Place::Terminal(vm) | Place::Box { vm, .. } => Some(vm),
            Place::Registry => None,
        }
    }

    /// Where an actor of the trace is drawn: the one mapping from the core's actors to the
    /// page's boxes. None for actors the page does not draw (the clock, kubeadm at boot).
    pub fn of(actor: &Actor) -> Option<Place> {
        use crate::sim::trace::Component as Actor;
        let vm = actor.vm.as_str();
        let component = match actor.component {
            Actor::Kubectl | Actor::Shell => return Some(Place::Terminal(vm.into())),
            Actor::Registry => return Some(Place::Registry),
            Actor::KubeApiserver => Component::KubeApiserver,
            Actor::Etcd => Component::Etcd,
            Actor::KubeScheduler => Component::KubeScheduler,
            Actor::KubeControllerManager => Component::KubeControllerManager,
            Actor::Kubelet => Component::Kubelet,
            Actor::Containerd => Component::ContainerRuntime,
            // A packet's way through a VM's rules and links is kube-proxy's doing; CoreDNS's
            // answers are drawn there too (it runs as pods, not a box of its own).
            Actor::KubeProxy | Actor::Netfilter | Actor::Network | Actor::CoreDns => {
                Component::KubeProxy
            }
            Actor::Kubeadm | Actor::Clock => return None,
        };
        Some(Place::on(vm, component))
    }
}

/// What a beat shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BeatKind {
    /// The student ran a line.
    Command { line: String, host: String },
    /// A client sends a request to the apiserver.
    Request {
        verb: Verb,
        resource: String,
        subresource: Option<String>,
        namespace: Option<String>,
        name: Option<String>,
    },
    /// The apiserver's checks of a request, folded: every stage passed.
    Checks { stages: Vec<ApiStage> },
    /// One stage, unfolded ([`Detail::Full`]).
    Stage {
        stage: ApiStage,
        passed: bool,
        detail: String,
    },
    /// The apiserver refused a request at `stage`; the request goes no further.
    Refused {
        stage: Option<ApiStage>,
        code: u16,
        message: String,
    },
    /// The apiserver answered without storing anything (a read).
    Response { code: u16 },
    /// etcd stored (or deleted) a key.
    Commit {
        key: String,
        revision: i64,
        deleted: bool,
    },
    /// The apiserver tells the components watching a key about its change.
    Watch {
        key: String,
        revision: i64,
        event: WatchEventType,
        watchers: Vec<String>,
    },
    /// A component decided something (`Scheduled`, `SuccessfulCreate`, `Pulled`, ...).
    Decision {
        reason: String,
        message: String,
        /// kube-controller-manager's loop, when the actor is one (`deployment-controller`).
        controller: Option<String>,
    },
    /// The kubelet asks containerd for something (a CRI call): run the pod's sandbox, pull its
    /// image (each layer, cached or downloaded), create and start a container, stop it.
    Cri {
        call: String,
        pod: Option<String>,
        container: Option<String>,
        image: Option<String>,
        /// `(layers, of them already on the node, bytes to download)` of a pull.
        layers: Option<(usize, usize, u64)>,
    },
    /// The registry sends layers to a node's containerd.
    Layers {
        repository: String,
        node: String,
        count: usize,
        size_bytes: u64,
    },
    /// Docker on a VM built, pushed or pulled an image: how many layers moved (built,
    /// uploaded, downloaded) and how many the destination had already.
    Image {
        action: ImageAction,
        image: String,
        host: String,
        moved: usize,
        moved_bytes: u64,
        cached: usize,
    },
    /// One scheduling cycle: which nodes the filters rejected and why, the scores, the pick.
    Cycle {
        pod: String,
        picked: Option<String>,
        /// `(node, plugin, reason)` for each node a filter rejected.
        rejected: Vec<(String, String, String)>,
        /// `(node, total)` for each scored node.
        totals: Vec<(String, i64)>,
        /// How many nodes shared the top score (1: a clear winner).
        tied: usize,
        failure: Option<String>,
    },
    /// Simulated time passed with nothing to show (`sleep`, waiting for a timer).
    TimePassed,
    /// Everything the command set in motion has settled.
    Settled,
}

impl BeatKind {
    /// A name per kind, for tests that walk every kind.
    pub fn name(&self) -> &'static str {
        match self {
            BeatKind::Command { .. } => "Command",
            BeatKind::Request { .. } => "Request",
            BeatKind::Checks { .. } => "Checks",
            BeatKind::Stage { .. } => "Stage",
            BeatKind::Refused { .. } => "Refused",
            BeatKind::Response { .. } => "Response",
            BeatKind::Commit { .. } => "Commit",
            BeatKind::Watch { .. } => "Watch",
            BeatKind::Decision { .. } => "Decision",
            BeatKind::Cri { .. } => "Cri",
            BeatKind::Layers { .. } => "Layers",
            BeatKind::Image { .. } => "Image",
            BeatKind::Cycle { .. } => "Cycle",
            BeatKind::TimePassed => "TimePassed",
            BeatKind::Settled => "Settled",
        }
    }
}

/// One animated message or action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Beat {
    /// The first trace event this beat shows.
    pub seq: Seq,
    /// The last trace event folded into it.
    pub last_seq: Seq,
    /// Which command (index into [`Timeline::commands`]) it belongs to.
    pub command: usize,
    pub step: Option<Step>,
    pub kind: BeatKind,
    pub from: Place,
    /// Where it goes: one place, several for a watch fan-out, the same as `from` for an action a
    /// component takes where it stands.
    pub to: Vec<Place>,
    /// The simulated time of its last event.
    pub tick: Ticks,
    /// Simulated time since the beat before it: a long wait (an image pull's seconds) is shown
    /// compressed, with this duration on screen.
    pub waited_ticks: Ticks,
    /// The store's revision once this beat has played: the scene at this beat reads the store
    /// at this revision.
    pub revision: i64,
}

impl Beat {
    /// How long the page shows this beat at 1× speed, in milliseconds. One message in flight at
    /// a time, slow enough to follow; a long simulated wait is compressed to at most 2 s.
    pub fn display_ms(&self) -> u32 {
        let base = match &self.kind {
            BeatKind::Command { .. } => 700,
            BeatKind::Request { .. } => 800,
            BeatKind::Checks { .. } => 1000,
            BeatKind::Stage { .. } => 450,
            BeatKind::Refused { .. } => 1800,
            BeatKind::Response { .. } => 600,
            BeatKind::Commit { .. } => 700,
            BeatKind::Watch { .. } => 800,
            BeatKind::Decision { .. } => 900,
            BeatKind::Cri { .. } => 900,
            BeatKind::Layers { .. } | BeatKind::Image { .. } => 1100,
            BeatKind::Cycle { .. } => 1400,
            BeatKind::TimePassed => 900,
            BeatKind::Settled => 500,
        };
        let waited_seconds = (self.waited_ticks / TICKS_PER_SECOND).min(10) as u32;
        base + waited_seconds * 110
    }
}

/// One line the student ran, and where its beats are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandSpan {
    pub line: String,
    pub host: String,
    /// Its beats: `beats[first..end]`.
    pub first: usize,
    pub end: usize,
}

/// How much the timeline shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Detail {
    /// Stages folded, bookkeeping (Events, leases, heartbeats) left out.
    #[default]
    Folded,
    /// Every stage and every request.
    Full,
}

/// Every command's beats, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    /// In chunks, as the trace (`sim::chunked`): at 1,000 pods a doubling `Vec` of beats held
    /// two copies of the timeline for a moment, and a page's memory keeps its peak.
    pub beats: Chunked<Beat>,
    pub commands: Vec<CommandSpan>,
    /// The store's revision before the first command: the scene at the session's start.
    pub base_revision: i64,
    /// The playhead cannot go back before this many beats played: the trace and the store's
    /// history were bounded, and what is older is gone (0 until a long session reaches it).
    pub first_kept: usize,
}

/// What the builder remembers of a request while its stages go by.
#[derive(Clone, Debug)]
struct RequestInfo {
    client: Arc<Actor>,
    hidden: bool,
    /// The student's own request (its stages are shown as step 2).
    from_student: bool,
    stored: bool,
    stages: Vec<ApiStage>,
}

impl Timeline {
    /// Adds the beats of one command: `events` are the trace events from the moment the line was
    /// run until it settled (the window), `revision_before` the store's revision before it ran.
    pub fn push_command(
        &mut self,
        line: &str,
        host: &str,
        events: &[TraceEvent],
        revision_before: i64,
        detail: Detail,
    ) {
        let mut beats = self.begin_command(line, host, revision_before, detail);
        beats.feed(events);
        self.finish_command(beats);
    }

    /// Starts the beats of the next command, to be fed its events while the cluster works on it
    /// and added with [`Timeline::finish_command`] once it settled: the same beats as
    /// [`Timeline::push_command`], without one long task at the end of a line of 60,000 events.
    pub fn begin_command(
        &self,
        line: &str,
        host: &str,
        revision_before: i64,
        detail: Detail,
    ) -> CommandBeats {
        CommandBeats {
            line: line.to_string(),
            host: host.to_string(),
            builder: Builder {
                detail,
                command: self.commands.len(),
                revision: revision_before,
                last_tick: 0,
                requests: BTreeMap::new(),
                beats: Chunked::default(),
            },
            start: None,
            last: None,
        }
    }

    /// Adds a command's beats, closed by its `Settled` beat.
    pub fn finish_command(&mut self, mut beats: CommandBeats) {
        let first = self.beats.len();
        let (start_seq, start_tick) = beats.start.unwrap_or((0, 0));
        if beats.start.is_none() {
            beats.push_start(start_seq, start_tick);
        }
        let CommandBeats {
            line,
            host,
            mut builder,
            last,
            ..
        } = beats;
        let command = builder.command;
        let (end_seq, end_tick) = last.unwrap_or((start_seq, start_tick));
        let waited = end_tick.saturating_sub(builder.last_tick);
        let revision = builder.revision;
        builder.beats.push(Beat {
            seq: end_seq,
            last_seq: end_seq,
            command,
            step: None,
            kind: BeatKind::Settled,
            from: Place::Terminal(host.clone()),
            to: vec![Place::Terminal(host.clone())],
            tick: end_tick,
            waited_ticks: waited,
            revision,
        });
        self.beats.extend(builder.beats);
        self.commands.push(CommandSpan {
            line,
            host,
            first,
            end: self.beats.len(),
        });
    }

    pub fn len(&self) -> usize {
        self.beats.len()
    }

    pub fn is_empty(&self) -> bool {
        self.beats.is_empty()
    }

    /// Forgets what the cluster no longer remembers: the beats of commands whose trace was
    /// dropped (`first_seq`) or whose store revisions were compacted (`compacted`). They stay in
    /// the list (indices do not move under the player) but the playhead stops at the first
    /// command still whole.
    pub fn keep_from(&mut self, first_seq: Seq, compacted: i64) {
        let first = self
            .commands
            .iter()
            .find(|c| {
                self.beats
                    .get(c.first)
                    .is_some_and(|b| b.seq >= first_seq && b.revision >= compacted)
            })
            .map(|c| c.first)
            .unwrap_or(self.beats.len());
        // The scene at `first_kept` beats played is the revision of the beat before it.
        self.first_kept = first.max(self.first_kept).min(self.beats.len());
        if self.first_kept > 0 {
            self.base_revision = self.revision_at(self.first_kept);
        }
    }

    /// How many beats have played once the trace reached `seq`: the beats whose events all came
    /// at or before it.
    pub fn played_at_seq(&self, seq: Seq) -> usize {
        self.beats.partition_point(|b| b.last_seq <= seq)
    }

    /// The beat that shows trace event `seq`: the one whose events `seq..=last_seq` hold it.
    /// None for an event no beat shows (before the first command, or between two).
    pub fn beat_of_seq(&self, seq: Seq) -> Option<usize> {
        let i = self.beats.partition_point(|b| b.last_seq < seq);
        self.beats.get(i).filter(|b| b.seq <= seq).map(|_| i)
    }

    /// Where the playhead goes to show trace event `seq` as just played: past the beat that
    /// shows it, or (for an event no beat shows) past every beat up to it. What a panel's "show
    /// me this in the animation" uses.
    pub fn played_through_seq(&self, seq: Seq) -> usize {
        match self.beat_of_seq(seq) {
            Some(i) => i + 1,
            None => self.played_at_seq(seq),
        }
    }

    /// The store revision the scene shows when `played` beats have played (0: the start).
    pub fn revision_at(&self, played: usize) -> i64 {
        match played.checked_sub(1).and_then(|i| self.beats.get(i)) {
            Some(beat) => beat.revision,
            None => self.base_revision,
        }
    }

    /// The steps in the order their first beat comes, within one command.
    pub fn steps_of(&self, command: usize) -> Vec<Step> {
        let Some(span) = self.commands.get(command) else {
            return Vec::new();
        };
        let mut seen = Vec::new();
        for beat in self.beats.range(span.first, span.end) {
            if let Some(step) = beat.step {
                if !seen.contains(&step) {
                    seen.push(step);
                }
            }
        }
        seen
    }
}

/// One command's beats while they are made (see [`Timeline::begin_command`]).
pub struct CommandBeats {
    line: String,
    host: String,
    builder: Builder,
    /// The first event's seq and tick: where the `Command` beat stands.
    start: Option<(Seq, Ticks)>,
    /// The last event's: where the `Settled` beat will.
    last: Option<(Seq, Ticks)>,
}

impl CommandBeats {
    /// The command's next events, in trace order.
    pub fn feed<'a>(&mut self, events: impl IntoIterator<Item = &'a TraceEvent>) {
        for event in events {
            if self.start.is_none() {
                self.push_start(event.seq, event.tick);
            }
            self.builder.event(event);
            self.last = Some((event.seq, event.tick));
        }
    }

    fn push_start(&mut self, seq: Seq, tick: Ticks) {
        self.start = Some((seq, tick));
        self.builder.last_tick = tick;
        let host = &self.host;
        self.builder.beats.push(Beat {
            seq,
            last_seq: seq,
            command: self.builder.command,
            step: Some(1),
            kind: BeatKind::Command {
                line: self.line.clone(),
                host: host.clone(),
            },
            from: Place::Terminal(host.clone()),
            to: vec![Place::Terminal(host.clone())],
            tick,
            waited_ticks: 0,
            revision: self.builder.revision,
        });
    }
}

struct Builder {
    detail: Detail,
    command: usize,
    revision: i64,
    last_tick: Ticks,
    requests: BTreeMap<Seq, RequestInfo>,
    beats: Chunked<Beat>,
}

/// Requests a student does not need to follow: Events are bookkeeping, leases and a kubelet's
/// node status are its heartbeat.
fn is_bookkeeping(client: &Actor, resource: &str, subresource: Option<&str>) -> bool {
    resource == "events"
        || resource == "leases"
        || (who(client) == "kubelet" && resource == "nodes" && subresource == Some("status"))
}

fn is_student(actor: &Actor) -> bool {
    matches!(who(actor), "kubectl" | "etcdctl" | "shell" | "curl")
}

/// The component's name as the trace gives it: the one place that reads the actor's name.
fn who(actor: &Actor) -> &str {
    actor.component.name()
}

/// The step a request (and its stages, commit and deliveries) belongs to, by who sent it: the
/// student's own is step 1 (then 2 and 3), a controller's 4, the scheduler's bind 5, a kubelet's
/// status 8.
fn step_of_client(client: &Actor) -> Option<Step> {
    match who(client) {
        "kubectl" | "etcdctl" | "shell" | "curl" => Some(1),
        "kube-controller-manager" => Some(4),
        "kube-scheduler" => Some(5),
        "kubelet" => Some(8),
        _ => None,
    }
}

/// The step of what a component decides where it stands.
fn step_of_decision(actor: &Actor, reason: &str) -> Option<Step> {
    match who(actor) {
        "kube-controller-manager" => Some(4),
        "kube-scheduler" => Some(5),
        "containerd" | "registry" => Some(7),
        "kubelet" => match reason {
            "PodRunning" => Some(8),
            "Pulling" | "Pulled" | "Created" | "Started" | "SandboxCreated" | "SandboxChanged"
            | "Failed" | "BackOff" | "ErrImagePull" | "ImagePullBackOff" => Some(7),
            _ => None,
        },
        _ => None,
    }
}

impl Builder {
    fn push(
        &mut self,
        event: &TraceEvent,
        step: Option<Step>,
        kind: BeatKind,
        from: Place,
        to: Vec<Place>,
    ) {
        let waited_ticks = event.tick.saturating_sub(self.last_tick);
        self.last_tick = event.tick;
        self.beats.push(Beat {
            seq: event.seq,
            last_seq: event.seq,
            command: self.command,
            step,
            kind,
            from,
            to,
            tick: event.tick,
            waited_ticks,
            revision: self.revision,
        });
    }

    /// The request an apiserver event belongs to (stages, response and commit chain back to it).
    fn request_of(&self, event: &TraceEvent) -> Option<Seq> {
        // The apiserver handles one request at a time, so its stages, its commits, its response
        // and the deliveries of those commits all come after their request and before the next:
        // the latest request at or before the cause is theirs.
        let cause = event.cause?;
        self.requests
            .range(..=cause)
            .next_back()
            .map(|(seq, _)| *seq)
    }

    fn event(&mut self, event: &TraceEvent) {
        let full = self.detail == Detail::Full;
        match &event.kind {
            TraceKind::Request {
                verb,
                resource,
                subresource,
                namespace,
                name,
                ..
            } => {
                let hidden =
                    !full && is_bookkeeping(&event.actor, resource, subresource.as_deref());
                let from_student = is_student(&event.actor);
                self.requests.insert(
                    event.seq,
                    RequestInfo {
                        client: Arc::clone(&event.actor),
                        hidden,
                        from_student,
                        stored: false,
                        stages: Vec::new(),
                    },
                );
                if hidden {
                    return;
                }
                let Some(from) = Place::of(&event.actor) else {
                    return;
                };
                let step = step_of_client(&event.actor);
                self.push(
                    event,
                    step,
                    BeatKind::Request {
                        verb: *verb,
                        resource: resource.clone(),
                        subresource: subresource.clone(),
                        namespace: namespace.clone(),
                        name: name.clone(),
                    },
                    from,
                    vec![Place::apiserver()],
                );
            }
            TraceKind::ApiStage {
                stage,
                passed,
                detail,
            } => {
                let Some(request) = self.request_of(event) else {
                    return;
                };
                let info = self
                    .requests
                    .get_mut(&request)
                    .expect("request_of names a known request");
                info.stages.push(*stage);
                let (hidden, from_student) = (info.hidden, info.from_student);
                let step = if from_student {
                    Some(2)
                } else {
                    step_of_client(&info.client)
                };
                if hidden {
                    return;
                }
                if !*passed {
                    // Shown with the response, which carries the code and the message.
                    return;
                }
                if full {
                    self.push(
                        event,
                        step,
                        BeatKind::Stage {
                            stage: *stage,
                            passed: *passed,
                            detail: detail.clone(),
                        },
                        Place::apiserver(),
                        vec![Place::apiserver()],
                    );
                } else if from_student && *stage == ApiStage::ValidatingAdmission {
                    let stages = self.requests[&request].stages.clone();
                    self.push(
                        event,
                        Some(2),
                        BeatKind::Checks { stages },
                        Place::apiserver(),
                        vec![Place::apiserver()],
                    );
                }
            }
            TraceKind::StoreCommit {
                key,
                revision,
                deleted,
                ..
            } => {
                self.revision = self.revision.max(*revision);
                let request = self.request_of(event);
                let info = request.and_then(|r| self.requests.get_mut(&r));
                let (hidden, step) = match info {
                    Some(info) => {
                        info.stored = true;
                        let step = if info.from_student {
                            Some(3)
                        } else {
                            step_of_client(&info.client)
                        };
                        (info.hidden, step)
                    }
                    None => (false, None),
                };
                if hidden {
                    // The beat before it now shows the store as it is after this write too.
                    if let Some(last) = self.beats.last_mut() {
                        last.revision = self.revision;
                    }
                    return;
                }
                self.push(
                    event,
                    step,
                    BeatKind::Commit {
                        key: key.clone(),
                        revision: *revision,
                        deleted: *deleted,
                    },
                    Place::apiserver(),
                    vec![Place::etcd()],
                );
            }
            TraceKind::Response { code, message, .. } => {
                let Some(request) = self.request_of(event) else {
                    return;
                };
                let Some(info) = self.requests.get(&request) else {
                    return;
                };
                if info.hidden {
                    return;
                }
                let Some(client) = Place::of(&info.client) else {
                    return;
                };
                let step = if info.from_student { Some(2) } else { None };
                if *code >= 400 {
                    let stage = info.stages.last().copied();
                    self.push(
                        event,
                        step,
                        BeatKind::Refused {
                            stage,
                            code: *code,
                            message: message.clone(),
                        },
                        Place::apiserver(),
                        vec![client],
                    );
                } else if !info.stored && (info.from_student || full) {
                    self.push(
                        event,
                        step,
                        BeatKind::Response { code: *code },
                        Place::apiserver(),
                        vec![client],
                    );
                }
            }
            TraceKind::WatchDelivery {
                watcher,
                key,
                revision,
                event: change,
            } => {
                // Deliveries of a write nobody needs to follow are left out with the write.
                let origin = self
                    .request_of(event)
                    .and_then(|r| self.requests.get(&r).map(|i| (r, i.clone())));
                if let Some((_, info)) = &origin {
                    if info.hidden {
                        return;
                    }
                }
                if !full
                    && (key.starts_with("/registry/events/")
                        || key.starts_with("/registry/leases/"))
                {
                    return;
                }
                let Some(to) = Place::of(&event.actor) else {
                    return;
                };
                // A kubelet told of its pod is step 6; otherwise a delivery belongs to the step
                // of the write it tells about (the student's own write: step 3).
                let step = if who(&event.actor) == "kubelet" && key.starts_with("/registry/pods/") {
                    Some(6)
                } else {
                    match &origin {
                        Some((_, info)) if info.from_student => Some(3),
                        Some((_, info)) => step_of_client(&info.client),
                        None => None,
                    }
                };
                // One fan-out per revision: the deliveries of one change fly out together.
                if let Some(last) = self.beats.last_mut() {
                    if let BeatKind::Watch {
                        revision: r,
                        watchers,
                        ..
                    } = &mut last.kind
                    {
                        if *r == *revision && last.step == step {
                            watchers.push(watcher.clone());
                            if !last.to.contains(&to) {
                                last.to.push(to);
                            }
                            last.last_seq = event.seq;
                            return;
                        }
                    }
                }
                self.push(
                    event,
                    step,
                    BeatKind::Watch {
                        key: key.clone(),
                        revision: *revision,
                        event: *change,
                        watchers: vec![watcher.clone()],
                    },
                    Place::apiserver(),
                    vec![to],
                );
            }
            TraceKind::Decision { reason, message } => {
                let Some(at) = Place::of(&event.actor) else {
                    return;
                };
                if !full && is_bookkeeping_decision(&event.actor, reason) {
                    return;
                }
                let step = step_of_decision(&event.actor, reason);
                self.push(
                    event,
                    step,
                    BeatKind::Decision {
                        reason: reason.clone(),
                        message: message.clone(),
                        controller: event.actor.controller.clone(),
                    },
                    at.clone(),
                    vec![at],
                );
            }
            TraceKind::Cri {
                call,
                pod,
                container,
                ..
            } => {
                let Some(runtime) = Place::of(&event.actor) else {
                    return;
                };
                let kubelet = Place::on(&event.actor.vm, Component::Kubelet);
                let (name, image, layers) = match call {
                    CriCall::PullImage { image, layers } => {
                        let cached = layers.iter().filter(|l| l.cached).count();
                        let bytes = layers
                            .iter()
                            .filter(|l| !l.cached)
                            .map(|l| l.size_bytes)
                            .sum();
                        (
                            "PullImage",
                            Some(image.clone()),
                            Some((layers.len(), cached, bytes)),
                        )
                    }
                    other => (other.name(), None, None),
                };
                let step = match call {
                    CriCall::RunPodSandbox
                    | CriCall::PullImage { .. }
                    | CriCall::CreateContainer
                    | CriCall::StartContainer => Some(7),
                    _ => None,
                };
                self.push(
                    event,
                    step,
                    BeatKind::Cri {
                        call: name.to_string(),
                        pod: pod.clone(),
                        container: container.clone(),
                        image,
                        layers,
                    },
                    kubelet,
                    vec![runtime],
                );
            }
            TraceKind::RegistryBlob {
                repository,
                size_bytes,
                node,
                ..
            } => {
                // The layers of one pull fly together.
                if let Some(last) = self.beats.last_mut() {
                    if let BeatKind::Layers {
                        repository: r,
                        node: n,
                        count,
                        size_bytes: total,
                    } = &mut last.kind
                    {
                        if r == repository && n == node {
                            *count += 1;
                            *total += size_bytes;
                            last.last_seq = event.seq;
                            return;
                        }
                    }
                }
                self.push(
                    event,
                    Some(7),
                    BeatKind::Layers {
                        repository: repository.clone(),
                        node: node.clone(),
                        count: 1,
                        size_bytes: *size_bytes,
                    },
                    Place::Registry,
                    vec![Place::on(node, Component::ContainerRuntime)],
                );
            }
            TraceKind::SchedulingCycle(record) => {
                let Some(at) = Place::of(&event.actor) else {
                    return;
                };
                self.push(event, Some(5), cycle_beat(record), at.clone(), vec![at]);
            }
            // Docker on a VM: a build stays on the VM, a push flies to the registry, a pull
            // from it; the beat counts the layers that moved and those already there.
            TraceKind::Image {
                action,
                image,
                host,
                layers,
            } => {
                let moved: Vec<_> = layers.iter().filter(|l| !l.cached).collect();
                let runtime = Place::on(host, Component::ContainerRuntime);
                let (from, to) = match action {
                    ImageAction::Build => (runtime.clone(), runtime),
                    ImageAction::Push => (runtime, Place::Registry),
                    ImageAction::Pull => (Place::Registry, runtime),
                };
                self.push(
                    event,
                    None,
                    BeatKind::Image {
                        action: *action,
                        image: image.clone(),
                        host: host.clone(),
                        moved: moved.len(),
                        moved_bytes: moved.iter().map(|l| l.size_bytes).sum(),
                        cached: layers.len() - moved.len(),
                    },
                    from,
                    vec![to],
                );
            }
            // The line and its end are the command's first and last beats (`push_command`).
            TraceKind::Command { .. } | TraceKind::Settled { .. } => {}
            TraceKind::TimePassed { .. } => {
                // Merged: one beat for a run of quiet time.
                if let Some(last) = self.beats.last_mut() {
                    if last.kind == BeatKind::TimePassed {
                        last.waited_ticks += event.tick.saturating_sub(self.last_tick);
                        last.tick = event.tick;
                        last.last_seq = event.seq;
                        self.last_tick = event.tick;
                        return;
                    }
                }
                self.push(
                    event,
                    None,
                    BeatKind::TimePassed,
                    Place::etcd(),
                    vec![Place::etcd()],
                );
            }
        }
    }
}

/// Decisions that are a component's housekeeping rather than a step: a kubelet's heartbeat; the
/// scheduler's per-plugin lines, which its cycle beat already tells as data.
fn is_bookkeeping_decision(actor: &Actor, reason: &str) -> bool {
    match who(actor) {
        "kubelet" => matches!(reason, "NodeStatus" | "Heartbeat" | "LeaseRenewed"),
        "kube-scheduler" => matches!(reason, "FilterFailed" | "FilterPassed" | "Score"),
        _ => false,
    }
}

/// What a student needs of a scheduling cycle: who was rejected and why, the totals, the pick.
fn cycle_beat(record: &CycleRecord) -> BeatKind {
    let rejected = record
        .filter
        .iter()
        .filter(|n| !n.passed)
        .filter_map(|n| {
            let last = n.results.last()?;
            Some((n.node.clone(), last.plugin.clone(), last.reasons.join(", ")))
        })
        .collect();
    let totals = record
        .scores
        .iter()
        .map(|s| (s.node.clone(), s.total))
        .collect();
    let tied = match record.pick.as_ref().map(|p| &p.how) {
        Some(TieBreak::Reservoir { candidates, .. }) => *candidates,
        _ => 1,
    };
    BeatKind::Cycle {
        pod: record.pod.clone(),
        picked: record.selected_node().map(str::to_string),
        rejected,
        totals,
        tied,
        failure: record.failure_message().map(str::to_string),
    }
}
