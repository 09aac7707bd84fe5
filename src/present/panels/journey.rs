//! The journey panel: one pod's whole path, from the line the student typed to the moment the
//! pod was Ready, as the trace's `cause` links tell it.
//!
//! ```text
//!  kubectl create deployment ─▶ apiserver checks ─▶ etcd ─▶ deployment-controller ─▶ ReplicaSet
//!  ─▶ replicaset-controller ─▶ Pod stored ─▶ scheduler queue ─▶ cycle ─▶ binding ─▶ kubelet sees it
//!  ─▶ RunPodSandbox ─▶ PullImage (layers) ─▶ Create/StartContainer ─▶ Running ─▶ Ready=True stored
//! ```
//!
//! The path is the causal chain (`Trace::causal_chain`) of the pod's first status write with
//! `Ready=True`, read back from the store at that revision (or, for a pod that never got there,
//! of its latest event that chains back through its creation), plus the CRI calls its kubelet's
//! decisions on that chain made. Each step keeps its trace seq, the timeline beat that shows it
//! and that beat's deployment step (1–8), so the panel and the animation tell the same story.
//!
//! Simplified: the apiserver's stages are one "checks" step, shown for the student's own request
//! only (as the folded timeline does); the scheduler's per-node lines are its cycle step (the
//! scheduler panel has the tables); a kubelet decision that only asks containerd or the apiserver
//! for something is told by that call.

use crate::sim::api::JsonPointer;
use std::collections::BTreeSet;

use serde_json::Value;

use crate::present::i18n::Lang;
use crate::present::narration::{bytes, duration, object_of_key, stage_name};
use crate::present::session::Session;
use crate::present::timeline::{Place, Step};
use crate::sim::apiserver::backend::{RangeRequest, Store};
use crate::sim::apiserver::decode_object;
use crate::sim::clock::Ticks;
use crate::sim::trace::{
    ApiStage, Component, CriCall, Events, Seq, Trace, TraceEvent, TraceKind, WatchEventType,
};

/// One pod's path.
#[derive(Clone, Debug, PartialEq)]
pub struct JourneyPanel {
    /// `namespace/name`.
    pub pod: String,
    /// In trace order.
    pub steps: Vec<JourneyStep>,
    /// The index of the step that stored the pod: `steps[..=created]` is the causal chain from
    /// the student's line to the pod's creation ([`JourneyPanel::causal_chain`]).
    pub created: usize,
}

impl JourneyPanel {
    /// The causes of the pod, from the student's line (or the oldest event the trace still
    /// keeps) to the write that created it.
    pub fn causal_chain(&self) -> &[JourneyStep] {
        &self.steps[..=self.created]
    }

    /// The objects the chain created one after the other (`deployments default/web`,
    /// `replicasets default/web-6dc5cd68db`, `pods default/web-6dc5cd68db-x2`).
    pub fn lineage(&self) -> Vec<String> {
        let mut objects: Vec<String> = Vec::new();
        for step in self.causal_chain() {
            if let JourneyKind::Stored { key, .. } = &step.kind {
                let object = object_of_key(key);
                if !objects.contains(&object) {
                    objects.push(object);
                }
            }
        }
        objects
    }
}

/// One step of the path.
#[derive(Clone, Debug, PartialEq)]
pub struct JourneyStep {
    /// The trace event.
    pub seq: Seq,
    /// Where the playhead goes to show it (`Timeline::played_through_seq`).
    pub played: usize,
    /// The deployment step (1–8) of the beat that shows it; None when no beat does or the beat
    /// has no step.
    pub step: Option<Step>,
    /// Simulated time of the event.
    pub tick: Ticks,
    /// Since the journey's first step (the student's line).
    pub since_start_ticks: Ticks,
    /// Since the step before it.
    pub since_previous_ticks: Ticks,
    /// Who did it: the component's upstream name (`kube-scheduler`), its VM, and for
    /// kube-controller-manager which loop (`replicaset-controller`).
    pub component: String,
    pub vm: String,
    pub controller: Option<String>,
    /// The box the page draws it at.
    pub place: Option<Place>,
    pub kind: JourneyKind,
}

/// What happened at a step.
#[derive(Clone, Debug, PartialEq)]
pub enum JourneyKind {
    /// The student typed the line.
    Command { line: String, host: String },
    /// A client sent the apiserver a request; `verb` is the RBAC verb (`create`, `patch`).
    Request {
        verb: String,
        resource: String,
        subresource: Option<String>,
        name: Option<String>,
    },
    /// The apiserver's checks of the student's request passed.
    Checks { stages: Vec<ApiStage> },
    /// etcd stored a key.
    Stored { key: String, revision: i64 },
    /// A component's watch told it of a change.
    Watched {
        watcher: String,
        key: String,
        event: WatchEventType,
    },
    /// A component decided something (`ScalingReplicaSet`, `SuccessfulCreate`, `Pulled`,
    /// `PodRunning`); `message` is its own, verbatim.
    Decided { reason: String, message: String },
    /// A scheduling cycle for the pod: its node, or the FailedScheduling message.
    Cycle {
        /// 1 for the pod's first cycle.
        attempt: usize,
        /// From the pod's creation to this cycle: its time in the scheduling queue.
        queued_ticks: Ticks,
        node: Option<String>,
        failure: Option<String>,
    },
    /// The binding was stored: the pod has its node.
    Bound { node: String, revision: i64 },
    /// The kubelet had containerd do something (`RunPodSandbox`, `CreateContainer`,
    /// `StartContainer`); `detail` is containerd's own words.
    Cri {
        call: String,
        container: Option<String>,
        detail: String,
    },
    /// containerd pulled the image, layer by layer.
    Pull { image: String, layers: Vec<Layer> },
    /// The pod's status with `Ready=True` was stored.
    Ready { revision: i64 },
}

/// One layer of an image pull.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    pub digest: String,
    pub size_bytes: u64,
    /// The node had it already ("Already exists"); otherwise it was downloaded.
    pub cached: bool,
}

impl Layer {
    fn downloaded_bytes(layers: &[Layer]) -> u64 {
        layers
            .iter()
            .filter(|l| !l.cached)
            .map(|l| l.size_bytes)
            .sum()
    }
}

/// The journey of `pod` (`namespace/name`), its latest life. None when the trace does not hold
/// its creation.
pub fn journey_panel(session: &Session, pod: &str) -> Option<JourneyPanel> {
    let cluster = session.cluster();
    let trace = cluster.trace();
    let key = format!("/registry/pods/{pod}");
    let creation = trace.events().iter().rev().find(|e| {
        matches!(&e.kind, TraceKind::StoreCommit { key: k, version: 1, deleted: false, .. } if *k == key)
    })?;
    let life = life_of(trace, creation, &key);
    let ready = life.iter().find(|e| match &e.kind {
        TraceKind::StoreCommit {
            key: k, revision, ..
        } => *k == key && is_ready_at(cluster.store(), &key, *revision),
        _ => false,
    });
    let uid = creation.object.as_ref().and_then(|o| o.uid.as_deref());
    let end = ready.or_else(|| {
        life.iter()
            .rev()
            .filter(|e| is_about(e, pod, uid))
            .find(|e| trace.causal_chain(e.seq).contains(&creation.seq))
    });
    let mut path: BTreeSet<Seq> = trace.causal_chain(creation.seq).into_iter().collect();
    if let Some(end) = end {
        path.extend(trace.causal_chain(end.seq));
    }
    let end_seq = path.last().copied().unwrap_or(creation.seq);
    // The CRI calls the kubelet's decisions on the path made for this pod.
    let calls: Vec<Seq> = life
        .iter()
        .take_while(|e| e.seq <= end_seq)
        .filter(|e| {
            matches!(&e.kind, TraceKind::Cri { pod: Some(p), .. } if p == pod)
                && e.cause.is_some_and(|c| path.contains(&c))
        })
        .map(|e| e.seq)
        .collect();
    path.extend(calls);
    let events: Vec<&TraceEvent> = path.iter().filter_map(|s| trace.get(*s)).collect();
    let steps = Builder::new(session, &key, creation, ready.map(|e| e.seq)).steps(&events);
    let created = steps.iter().position(|s| s.seq == creation.seq)?;
    Some(JourneyPanel {
        pod: pod.to_string(),
        steps,
        created,
    })
}

/// The events from the pod's creation up to its deletion (the end of this life).
fn life_of<'a>(trace: &'a Trace, creation: &TraceEvent, key: &str) -> Events<'a> {
    let since = trace.since(creation.seq);
    let end = since
        .iter()
        .position(
            |e| matches!(&e.kind, TraceKind::StoreCommit { key: k, deleted: true, .. } if k == key),
        )
        .map_or(since.len(), |i| i + 1);
    since.prefix(end)
}

/// Is `event` about `pod` (this life of it, when the event knows the uid)?
fn is_about(event: &TraceEvent, pod: &str, uid: Option<&str>) -> bool {
    event.object.as_ref().is_some_and(|o| {
        o.resource == "pods"
            && pod.split_once('/') == Some((o.namespace.as_deref().unwrap_or(""), &o.name))
            && (uid.is_none() || o.uid.is_none() || o.uid.as_deref() == uid)
    })
}

/// Did the pod stored at `key` have `Ready=True` at `revision`? False when that revision was
/// compacted away.
fn is_ready_at(store: &Store, key: &str, revision: i64) -> bool {
    let Ok(result) = store.range(&RangeRequest::single(key).at_revision(revision)) else {
        return false;
    };
    let Some(pod) = result.kvs.first().and_then(decode_object) else {
        return false;
    };
    pod.ptr("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// Turns the path's events into steps.
struct Builder<'a> {
    session: &'a Session,
    key: &'a str,
    creation: &'a TraceEvent,
    ready: Option<Seq>,
}

impl<'a> Builder<'a> {
    fn new(
        session: &'a Session,
        key: &'a str,
        creation: &'a TraceEvent,
        ready: Option<Seq>,
    ) -> Self {
        Builder {
            session,
            key,
            creation,
            ready,
        }
    }

    fn steps(&self, events: &[&TraceEvent]) -> Vec<JourneyStep> {
        // A kubelet decision that only asks for a CRI call or a request on the path is told by
        // that call.
        let asked: BTreeSet<Seq> = events
            .iter()
            .filter(|e| matches!(e.kind, TraceKind::Cri { .. } | TraceKind::Request { .. }))
            .filter_map(|e| e.cause)
            .collect();
        let mut steps: Vec<JourneyStep> = Vec::new();
        let mut request: Option<&TraceEvent> = None;
        let mut stages: Vec<ApiStage> = Vec::new();
        let mut attempts = 0;
        let mut picked: Option<String> = None;
        for event in events {
            let kind = match &event.kind {
                TraceKind::Command { line, host } => JourneyKind::Command {
                    line: line.clone(),
                    host: host.clone(),
                },
                TraceKind::Request {
                    verb,
                    resource,
                    subresource,
                    name,
                    ..
                } => {
                    request = Some(event);
                    stages.clear();
                    JourneyKind::Request {
                        verb: verb.as_str().to_string(),
                        resource: resource.clone(),
                        subresource: subresource.clone(),
                        name: name.clone(),
                    }
                }
                TraceKind::ApiStage { stage, .. } => {
                    stages.push(*stage);
                    let from_student = request.is_some_and(|r| {
                        matches!(r.actor.component, Component::Kubectl | Component::Shell)
                    });
                    if *stage != ApiStage::ValidatingAdmission || !from_student {
                        continue;
                    }
                    JourneyKind::Checks {
                        stages: stages.clone(),
                    }
                }
                TraceKind::StoreCommit { key, revision, .. } => {
                    let binding = request.is_some_and(|r| {
                        matches!(&r.kind, TraceKind::Request { subresource: Some(s), .. } if s == "binding")
                    });
                    if Some(event.seq) == self.ready {
                        JourneyKind::Ready {
                            revision: *revision,
                        }
                    } else if binding && key == self.key {
                        JourneyKind::Bound {
                            node: picked.clone().unwrap_or_default(),
                            revision: *revision,
                        }
                    } else {
                        JourneyKind::Stored {
                            key: key.clone(),
                            revision: *revision,
                        }
                    }
                }
                TraceKind::WatchDelivery {
                    watcher,
                    key,
                    event: change,
                    ..
                } => JourneyKind::Watched {
                    watcher: watcher.clone(),
                    key: key.clone(),
                    event: *change,
                },
                TraceKind::Decision { reason, message } => {
                    let told_by_cycle = event.actor.component == Component::KubeScheduler;
                    let told_by_call =
                        event.actor.component == Component::Kubelet && asked.contains(&event.seq);
                    if told_by_cycle || told_by_call {
                        continue;
                    }
                    JourneyKind::Decided {
                        reason: reason.clone(),
                        message: message.clone(),
                    }
                }
                TraceKind::SchedulingCycle(record) => {
                    attempts += 1;
                    picked = record.selected_node().map(str::to_string);
                    JourneyKind::Cycle {
                        attempt: attempts,
                        queued_ticks: event.tick.saturating_sub(self.creation.tick),
                        node: picked.clone(),
                        failure: record.failure_message().map(str::to_string),
                    }
                }
                TraceKind::Cri {
                    call: CriCall::PullImage { image, layers },
                    ..
                } => JourneyKind::Pull {
                    image: image.clone(),
                    layers: layers
                        .iter()
                        .map(|l| Layer {
                            digest: l.digest.clone(),
                            size_bytes: l.size_bytes,
                            cached: l.cached,
                        })
                        .collect(),
                },
                TraceKind::Cri {
                    call,
                    container,
                    detail,
                    ..
                } => JourneyKind::Cri {
                    call: format!("{call:?}"),
                    container: container.clone(),
                    detail: detail.clone(),
                },
                TraceKind::Response { .. }
                | TraceKind::RegistryBlob { .. }
                | TraceKind::Image { .. }
                | TraceKind::TimePassed { .. }
                | TraceKind::Settled { .. } => continue,
            };
            steps.push(self.step(event, kind, steps.first(), steps.last()));
        }
        steps
    }

    fn step(
        &self,
        event: &TraceEvent,
        kind: JourneyKind,
        first: Option<&JourneyStep>,
        previous: Option<&JourneyStep>,
    ) -> JourneyStep {
        let timeline = self.session.timeline();
        let step = timeline
            .beat_of_seq(event.seq)
            .and_then(|i| timeline.beats[i].step);
        JourneyStep {
            seq: event.seq,
            played: timeline.played_through_seq(event.seq),
            step,
            tick: event.tick,
            since_start_ticks: first.map_or(0, |f| event.tick.saturating_sub(f.tick)),
            since_previous_ticks: previous.map_or(0, |p| event.tick.saturating_sub(p.tick)),
            component: event.actor.component.name().to_string(),
            vm: event.actor.vm.clone(),
            controller: event.actor.controller.clone(),
            place: Place::of(&event.actor),
            kind,
        }
    }
}

/// Who a label names: the controller loop, or the component (on its VM, for a node's own).
fn who(step: &JourneyStep) -> String {
    match (&step.controller, step.component.as_str()) {
        (Some(controller), _) => controller.clone(),
        (None, "kubelet" | "containerd") => format!("{}({})", step.component, step.vm),
        (None, component) => component.to_string(),
    }
}

/// A component's message without the `loop: ` or `namespace/pod: ` it starts with.
fn said<'m>(step: &JourneyStep, message: &'m str) -> &'m str {
    message
        .split_once(": ")
        .filter(|(head, _)| {
            step.controller.as_deref() == Some(*head) || (!head.contains(' ') && head.contains('/'))
        })
        .map_or(message, |(_, rest)| rest)
}

/// The step in a sentence, Korean or English. Upstream words (reasons, keys, calls, messages)
/// stay as upstream writes them.
pub fn label(lang: Lang, step: &JourneyStep) -> String {
    use Lang::{En, Ko};
    let who = who(step);
    match (&step.kind, lang) {
        (JourneyKind::Command { line, host }, lang) => {
            // A heredoc is one command of many lines: its first line names it.
            let mut first = line.lines().next().unwrap_or("").to_string();
            if line.contains('\n') {
                first.push_str(" …");
            }
            match lang {
                Ko => format!("{host}에서 입력한 명령: {first}"),
                En => format!("You type on {host}: {first}"),
            }
        }
        (
            JourneyKind::Request {
                verb,
                resource,
                subresource,
                name,
            },
            lang,
        ) => {
            let mut what = format!("{} {resource}", verb.to_uppercase());
            if let Some(sub) = subresource {
                what = format!("{what}/{sub}");
            }
            if let Some(name) = name {
                what = format!("{what} {name}");
            }
            match lang {
                Ko => format!("{who} → API 서버: {what} 요청"),
                En => format!("{who} asks the API server: {what}"),
            }
        }
        (JourneyKind::Checks { stages }, lang) => {
            let names: Vec<&str> = stages.iter().map(|s| stage_name(lang, *s)).collect();
            match lang {
                Ko => format!("API 서버의 검사를 모두 통과: {}", names.join(" → ")),
                En => format!("The API server's checks pass: {}", names.join(" → ")),
            }
        }
        (JourneyKind::Stored { key, revision }, Ko) => {
            format!("etcd가 {key} 키를 리비전 {revision}에 저장합니다")
        }
        (JourneyKind::Stored { key, revision }, En) => {
            format!("etcd stores {key} at revision {revision}")
        }
        (JourneyKind::Watched { watcher, key, .. }, lang) => {
            let object = object_of_key(key);
            match (watcher.strip_prefix("kubelet@"), watcher.as_str(), lang) {
                (Some(node), _, Ko) => format!("{node}의 kubelet이 자기 노드에 배정된 파드를 봅니다"),
                (Some(node), _, En) => {
                    format!("The kubelet on {node} sees the pod bound to its node")
                }
                (None, "kube-scheduler", Ko) => {
                    "스케줄러가 노드 없는 새 파드를 보고 스케줄링 큐에 넣습니다".to_string()
                }
                (None, "kube-scheduler", En) => {
                    "The scheduler sees a pod with no node and puts it in its queue".to_string()
                }
                (None, _, Ko) => format!("{watcher}: watch로 변경을 전달받습니다 ({object})"),
                (None, _, En) => format!("{watcher} learns through its watch: {object}"),
            }
        }
        (JourneyKind::Decided { reason, message }, lang) => {
            let said = said(step, message);
            match (reason.as_str(), lang) {
                ("PodRunning", Ko) => "모든 컨테이너가 시작되어 파드가 Running이 됩니다".to_string(),
                ("PodRunning", En) => "Every container has started: the pod is Running".to_string(),
                ("Pulled", Ko) => format!("이미지를 다 받았습니다: {said}"),
                ("Pulled", En) => format!("The image is pulled: {said}"),
                (_, Ko) => format!("{who}의 판단 — {reason}: {said}"),
                (_, En) => format!("{who} decides — {reason}: {said}"),
            }
        }
        (
            JourneyKind::Cycle {
                attempt,
                queued_ticks,
                node,
                failure,
            },
            lang,
        ) => {
            let queued = duration(*queued_ticks);
            match (node, lang) {
                (Some(node), Ko) => format!(
                    "스케줄러가 {node} 노드를 고릅니다 ({attempt}번째 시도, 생성 후 큐에서 {queued})"
                ),
                (Some(node), En) => format!(
                    "The scheduler picks {node} (attempt {attempt}, {queued} after the pod was created)"
                ),
                (None, Ko) => format!(
                    "스케줄러가 놓을 노드를 찾지 못합니다 ({attempt}번째 시도): {}",
                    failure.as_deref().unwrap_or("")
                ),
                (None, En) => format!(
                    "The scheduler finds no node (attempt {attempt}): {}",
                    failure.as_deref().unwrap_or("")
                ),
            }
        }
        (JourneyKind::Bound { node, revision }, Ko) => {
            format!("바인딩이 저장되어 파드가 {node} 노드에 배정됩니다 (리비전 {revision})")
        }
        (JourneyKind::Bound { node, revision }, En) => {
            format!("The binding is stored: the pod is assigned to {node} (revision {revision})")
        }
        (JourneyKind::Cri { call, container, .. }, lang) => {
            let container = container.as_deref().unwrap_or("");
            let vm = &step.vm;
            match (call.as_str(), lang) {
                ("RunPodSandbox", Ko) => format!("{vm}의 containerd가 파드의 샌드박스(네트워크 네임스페이스, pause 컨테이너)를 만듭니다 (RunPodSandbox)"),
                ("RunPodSandbox", En) => format!("{who} creates the pod's sandbox, its network namespace and pause container (RunPodSandbox)"),
                ("CreateContainer", Ko) => format!("{vm}의 containerd가 {container} 컨테이너를 만듭니다 (CreateContainer)"),
                ("CreateContainer", En) => format!("{who} creates container {container} (CreateContainer)"),
                ("StartContainer", Ko) => format!("{vm}의 containerd가 {container} 컨테이너를 시작합니다 (StartContainer)"),
                ("StartContainer", En) => format!("{who} starts container {container} (StartContainer)"),
                (call, Ko) => format!("{vm}의 containerd: {call} {container}"),
                (call, En) => format!("{who}: {call} {container}"),
            }
        }
        (JourneyKind::Pull { image, layers }, lang) => {
            let cached = layers.iter().filter(|l| l.cached).count();
            let download = bytes(Layer::downloaded_bytes(layers));
            let total = layers.len();
            match lang {
                Ko => format!("{}의 containerd가 이미지 {image}를 받습니다: 레이어 {total}개 중 {cached}개는 이미 있고, {download}를 내려받습니다 (PullImage)", step.vm),
                En => format!("{who} pulls {image}: {cached} of {total} layers already there, {download} to download (PullImage)"),
            }
        }
        (JourneyKind::Ready { revision }, Ko) => format!(
            "파드가 Ready=True가 되었고, 그 상태가 API 서버를 거쳐 etcd에 저장됩니다 (리비전 {revision})"
        ),
        (JourneyKind::Ready { revision }, En) => format!(
            "The pod is Ready=True; its status goes through the API server to etcd (revision {revision})"
        ),
    }
}

/// One layer in words: `sha256:d03645d1ea32 · 28.2 MB · 내려받음`.
pub fn layer_label(lang: Lang, layer: &Layer) -> String {
    let digest: String = layer.digest.chars().take(19).collect();
    let how = match (layer.cached, lang) {
        (true, Lang::Ko) => "이미 있음",
        (true, Lang::En) => "already exists",
        (false, Lang::Ko) => "내려받음",
        (false, Lang::En) => "downloaded",
    };
    format!("{digest} · {} · {how}", bytes(layer.size_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(kind: JourneyKind, component: &str, controller: Option<&str>) -> JourneyStep {
        JourneyStep {
            seq: 0,
            played: 0,
            step: None,
            tick: 0,
            since_start_ticks: 0,
            since_previous_ticks: 0,
            component: component.into(),
            vm: "node1".into(),
            controller: controller.map(str::to_string),
            place: None,
            kind,
        }
    }

    #[test]
    fn a_heredoc_is_named_by_its_first_line() {
        let s = step(
            JourneyKind::Command {
                line: "kubectl apply -f - <<EOF\nkind: Pod\nEOF".into(),
                host: "master".into(),
            },
            "shell",
            None,
        );
        assert_eq!(
            label(Lang::En, &s),
            "You type on master: kubectl apply -f - <<EOF …"
        );
    }

    #[test]
    fn a_decision_reads_without_the_loop_or_pod_it_starts_with() {
        let controller = step(
            JourneyKind::Decided {
                reason: "SuccessfulCreate".into(),
                message: "replicaset-controller: ReplicaSet web-1: creating 3".into(),
            },
            "kube-controller-manager",
            Some("replicaset-controller"),
        );
        assert_eq!(
            label(Lang::En, &controller),
            "replicaset-controller decides — SuccessfulCreate: ReplicaSet web-1: creating 3"
        );
        let kubelet = step(
            JourneyKind::Decided {
                reason: "Pulled".into(),
                message: "default/web-1: Successfully pulled image \"nginx\"".into(),
            },
            "kubelet",
            None,
        );
        assert_eq!(
            label(Lang::Ko, &kubelet),
            "이미지를 다 받았습니다: Successfully pulled image \"nginx\""
        );
    }

    #[test]
    fn a_layer_says_whether_it_was_downloaded() {
        let layer = Layer {
            digest: "sha256:d03645d1ea32b70b024f5ba20ce993126bd0d04edef1b920529ec5fbada0ec12"
                .into(),
            size_bytes: 28_227_259,
            cached: false,
        };
        assert_eq!(
            layer_label(Lang::Ko, &layer),
            "sha256:d03645d1ea32 · 28.2 MB · 내려받음"
        );
    }
}
