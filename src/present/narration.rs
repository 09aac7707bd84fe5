//! Narration: one plain sentence per beat, and a title per deployment step, in Korean and English.
//!
//! The sentences are made from what the beat carries (the object, the node, the reason), so they
//! are true of what happened. Upstream words stay as upstream writes them (`Scheduled`,
//! `Insufficient cpu`, a component's own message): the sentence around them is translated.
//! Korean particles are attached to Korean nouns (`node2 노드를`), never to a name whose reading
//! the page cannot know.

use crate::present::i18n::Lang;
use crate::present::timeline::{Beat, BeatKind, Step};
use crate::sim::clock::TICKS_PER_SECOND;
use crate::sim::trace::{ApiStage, ImageAction};

/// The title of a deployment step.
pub fn step_title(lang: Lang, step: Step) -> &'static str {
    match (lang, step) {
        (Lang::Ko, 1) => "kubectl이 API 서버에 요청을 보냅니다",
        (Lang::En, 1) => "kubectl sends the request",
        (Lang::Ko, 2) => "API 서버가 인증하고, 권한을 확인하고, 검증합니다",
        (Lang::En, 2) => "The API server authenticates, authorizes, admits and validates",
        (Lang::Ko, 3) => "etcd가 저장하고 지켜보는 구성 요소에 알립니다",
        (Lang::En, 3) => "etcd stores it and the watchers are notified",
        (Lang::Ko, 4) => "컨트롤러 매니저가 ReplicaSet과 파드를 만듭니다",
        (Lang::En, 4) => "The controller-manager creates the ReplicaSet and the Pods",
        (Lang::Ko, 5) => "스케줄러가 노드를 골라 바인딩합니다",
        (Lang::En, 5) => "The scheduler picks a node and binds the pod",
        (Lang::Ko, 6) => "그 노드의 kubelet이 자기 파드를 봅니다",
        (Lang::En, 6) => "The kubelet on that node sees its pod",
        (Lang::Ko, 7) => "컨테이너 런타임이 이미지를 받고 컨테이너를 시작합니다",
        (Lang::En, 7) => "The container runtime pulls the image and starts the container",
        (Lang::Ko, _) => "파드가 Running이 되고, 상태가 API 서버를 거쳐 etcd에 기록됩니다",
        (Lang::En, _) => "The pod is Running; its status goes back through the API server to etcd",
    }
}

/// A step's name in a word or two, for the steps bar (the full title is its tooltip).
pub fn step_short(lang: Lang, step: Step) -> &'static str {
    match (lang, step) {
        (Lang::Ko, 1) => "kubectl 요청",
        (Lang::En, 1) => "kubectl request",
        (Lang::Ko, 2) => "API 서버 검사",
        (Lang::En, 2) => "API server checks",
        (Lang::Ko, 3) => "etcd 저장·알림",
        (Lang::En, 3) => "etcd, watch",
        (Lang::Ko, 4) => "컨트롤러",
        (Lang::En, 4) => "controller",
        (Lang::Ko, 5) => "스케줄러",
        (Lang::En, 5) => "scheduler",
        (Lang::Ko, 6) => "kubelet",
        (Lang::En, 6) => "kubelet",
        (Lang::Ko, 7) => "이미지·컨테이너",
        (Lang::En, 7) => "image, container",
        (Lang::Ko, _) => "Running·상태",
        (Lang::En, _) => "Running, status",
    }
}

/// A stage of the apiserver's request path, in words.
pub fn stage_name(lang: Lang, stage: ApiStage) -> &'static str {
    use ApiStage as S;
    match (lang, stage) {
        (Lang::Ko, S::Authentication) => "인증",
        (Lang::En, S::Authentication) => "authentication",
        (Lang::Ko, S::Authorization) => "인가(RBAC)",
        (Lang::En, S::Authorization) => "authorization (RBAC)",
        (Lang::Ko, S::MutatingAdmission) => "변경 어드미션",
        (Lang::En, S::MutatingAdmission) => "mutating admission",
        (Lang::Ko, S::Validation) => "유효성 검사",
        (Lang::En, S::Validation) => "validation",
        (Lang::Ko, S::ValidatingAdmission) => "검증 어드미션",
        (Lang::En, S::ValidatingAdmission) => "validating admission",
        (Lang::Ko, S::Storage) => "저장",
        (Lang::En, S::Storage) => "storage",
    }
}

/// `/registry/pods/default/web-x` → `pods default/web-x`: what a key names, for a sentence.
pub fn object_of_key(key: &str) -> String {
    let rest = key.strip_prefix("/registry/").unwrap_or(key);
    let mut parts = rest.splitn(2, '/');
    let resource = parts.next().unwrap_or("");
    let name = parts.next().unwrap_or("");
    let resource = match resource {
        "minions" => "nodes",
        "services" => "services",
        other => other,
    };
    let name = name.strip_prefix("specs/").unwrap_or(name);
    format!("{resource} {name}")
}

/// A duration of simulated time as people say it: `7.5 s`, `6 min`.
pub fn duration(ticks: u64) -> String {
    let tenths = ticks * 10 / TICKS_PER_SECOND;
    if tenths >= 600 && tenths.is_multiple_of(600) {
        format!("{} min", tenths / 600)
    } else if tenths >= 600 {
        format!("{} min {} s", tenths / 600, tenths % 600 / 10)
    } else if tenths.is_multiple_of(10) {
        format!("{} s", tenths / 10)
    } else {
        format!("{}.{} s", tenths / 10, tenths % 10)
    }
}

fn target(
    resource: &str,
    subresource: &Option<String>,
    namespace: &Option<String>,
    name: &Option<String>,
) -> String {
    let mut t = resource.to_string();
    if let Some(sub) = subresource {
        t = format!("{t}/{sub}");
    }
    match (namespace, name) {
        (Some(ns), Some(n)) => format!("{t} {ns}/{n}"),
        (None, Some(n)) => format!("{t} {n}"),
        (Some(ns), None) => format!("{t} ({ns})"),
        (None, None) => t,
    }
}

/// Who a beat's sender is, as a sentence names it.
fn sender(beat: &Beat) -> String {
    match &beat.from {
        crate::present::timeline::Place::Terminal(_) => "kubectl".to_string(),
        crate::present::timeline::Place::Registry => "registry".to_string(),
        crate::present::timeline::Place::Box { vm, component } => {
            if component.is_control_plane() {
                component.name().to_string()
            } else {
                format!("{}({vm})", component.name())
            }
        }
    }
}

/// The text after `Successfully assigned default/web-x to node2`: the pod and the node.
fn assigned(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix("Successfully assigned ")?;
    let (pod, node) = rest.rsplit_once(" to ")?;
    Some((pod, node))
}

/// The few words a flying message carries: the verb and resource of a request, the revision of a
/// commit, the kind of a watch event, a decision's reason. Upstream words, so the same in both
/// languages.
pub fn label(beat: &Beat) -> String {
    match &beat.kind {
        BeatKind::Command { line, .. } => {
            let mut l: String = line.chars().take(48).collect();
            if line.chars().count() > 48 {
                l.push('…');
            }
            l
        }
        BeatKind::Request {
            verb,
            resource,
            subresource,
            ..
        } => match subresource {
            Some(sub) => format!("{} {resource}/{sub}", verb.as_str().to_uppercase()),
            None => format!("{} {resource}", verb.as_str().to_uppercase()),
        },
        BeatKind::Checks { .. } => "authn ✓ authz ✓ admission ✓ validation ✓".to_string(),
        BeatKind::Stage { stage, passed, .. } => {
            format!("{stage:?} {}", if *passed { "✓" } else { "✗" })
        }
        BeatKind::Refused { code, .. } => format!("{code} ✗"),
        BeatKind::Response { code } => code.to_string(),
        BeatKind::Commit {
            revision, deleted, ..
        } => {
            if *deleted {
                format!("DELETE · rev {revision}")
            } else {
                format!("PUT · rev {revision}")
            }
        }
        BeatKind::Watch { key, event, .. } => {
            let change = event.as_str();
            let object = object_of_key(key);
            let resource = object.split(' ').next().unwrap_or("");
            format!("{change} {resource}")
        }
        BeatKind::Decision { reason, .. } => reason.clone(),
        BeatKind::Cri { call, .. } => call.clone(),
        BeatKind::Layers {
            count, size_bytes, ..
        } => format!("{count} layer(s) · {}", bytes(*size_bytes)),
        BeatKind::Image {
            action,
            moved,
            moved_bytes,
            ..
        } => format!(
            "docker {} · {moved} layer(s) · {}",
            image_verb(*action),
            bytes(*moved_bytes)
        ),
        BeatKind::Cycle { picked, .. } => match picked {
            Some(node) => format!("Filter · Score → {node}"),
            None => "Filter → 0 nodes".to_string(),
        },
        BeatKind::TimePassed => format!("⏱ {}", duration(beat.waited_ticks)),
        BeatKind::Settled => "✓".to_string(),
    }
}

/// A byte count as `docker pull` prints it: `1.2 MB`, `512 kB`.
/// `docker build|push|pull`.
fn image_verb(action: ImageAction) -> &'static str {
    match action {
        ImageAction::Build => "build",
        ImageAction::Push => "push",
        ImageAction::Pull => "pull",
    }
}

/// What Docker did with an image's layers, in a sentence: the course's point that layers
/// already there are not built or moved again.
fn image_sentence(
    lang: Lang,
    action: ImageAction,
    image: &str,
    host: &str,
    moved: usize,
    moved_bytes: u64,
    cached: usize,
) -> String {
    let size = bytes(moved_bytes);
    match (action, lang) {
        (ImageAction::Build, Lang::Ko) => format!(
            "{host}의 도커가 {image} 이미지를 빌드합니다: 새로 만들거나 받은 레이어 {moved}개({size}), 캐시에 있던 레이어 {cached}개"
        ),
        (ImageAction::Build, Lang::En) => format!(
            "Docker on {host} builds {image}: {moved} layer(s) made or downloaded ({size}), {cached} from its cache"
        ),
        (ImageAction::Push, Lang::Ko) => format!(
            "{host}의 도커가 {image}를 레지스트리에 올립니다: 레이어 {moved}개를 보내고({size}), {cached}개는 레지스트리에 이미 있습니다"
        ),
        (ImageAction::Push, Lang::En) => format!(
            "Docker on {host} pushes {image}: {moved} layer(s) uploaded ({size}), {cached} already in the registry"
        ),
        (ImageAction::Pull, Lang::Ko) => format!(
            "레지스트리가 {host}의 도커에 {image} 레이어 {moved}개를 보냅니다({size}), {cached}개는 이미 있습니다"
        ),
        (ImageAction::Pull, Lang::En) => format!(
            "The registry sends {moved} layer(s) of {image} to Docker on {host} ({size}); {cached} were already there"
        ),
    }
}

pub fn bytes(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.1} MB", n as f64 / 1_000_000.0)
    } else if n >= 1_000 {
        format!("{} kB", n / 1_000)
    } else {
        format!("{n} B")
    }
}

/// A filter plugin's reason in plain words, beside upstream's (which stays as upstream writes
/// it): `node(s) had untolerated taint {...}` → `허용하지 않은 테인트가 있습니다`. None for a
/// reason the table does not know; the caller then shows upstream's words alone.
pub fn filter_reason_words(lang: Lang, reason: &str) -> Option<&'static str> {
    let r = reason.to_ascii_lowercase();
    let (ko, en) = if r.contains("untolerated taint") {
        (
            "허용하지 않은 테인트가 있습니다",
            "the node has a taint the pod does not tolerate",
        )
    } else if r.contains("insufficient cpu") {
        ("CPU가 부족합니다", "not enough CPU left on the node")
    } else if r.contains("insufficient memory") {
        ("메모리가 부족합니다", "not enough memory left on the node")
    } else if r.contains("affinity/selector") || r.contains("node selector") {
        (
            "노드 셀렉터/어피니티가 맞지 않습니다",
            "the node's labels do not match the pod's node selector or affinity",
        )
    } else if r.contains("unschedulable") {
        (
            "스케줄 금지(cordon) 상태입니다",
            "the node is cordoned (unschedulable)",
        )
    } else if r.contains("too many pods") {
        (
            "파드 수가 한도에 찼습니다",
            "the node already runs as many pods as it may",
        )
    } else if r.contains("ports") {
        (
            "호스트 포트가 겹칩니다",
            "a host port the pod asks for is taken",
        )
    } else if r.contains("requested node name") {
        (
            "파드가 지정한 노드 이름과 다릅니다",
            "it is not the node the pod names in spec.nodeName",
        )
    } else if r.contains("anti-affinity") {
        (
            "파드 안티어피니티 규칙에 걸립니다",
            "a pod anti-affinity rule keeps the pod off this node",
        )
    } else if r.contains("pod affinity") {
        (
            "파드 어피니티 규칙이 맞지 않습니다",
            "the pod affinity rules are not met on this node",
        )
    } else if r.contains("topology spread") {
        (
            "토폴로지 분산 제약을 어깁니다",
            "placing the pod here would break its topology spread constraints",
        )
    } else {
        return None;
    };
    Some(match lang {
        Lang::Ko => ko,
        Lang::En => en,
    })
}

/// The sentence for one beat.
pub fn sentence(lang: Lang, beat: &Beat) -> String {
    use Lang::{En, Ko};
    match (&beat.kind, lang) {
        (BeatKind::Command { line, host }, Ko) => format!("{host}에서 명령을 실행합니다: {line}"),
        (BeatKind::Command { line, host }, En) => format!("On {host}, you run: {line}"),
        (
            BeatKind::Request {
                verb,
                resource,
                subresource,
                namespace,
                name,
            },
            lang,
        ) => {
            let what = target(resource, subresource, namespace, name);
            let verb = verb.as_str().to_uppercase();
            let from = sender(beat);
            match lang {
                Ko => format!("{from} → API 서버: {verb} {what} 요청"),
                En => format!("{from} sends the API server a request: {verb} {what}"),
            }
        }
        (BeatKind::Checks { stages }, lang) => {
            let names: Vec<&str> = stages
                .iter()
                .filter(|s| **s != ApiStage::Storage)
                .map(|s| stage_name(lang, *s))
                .collect();
            match lang {
                Ko => format!(
                    "API 서버가 요청을 확인합니다: {} 모두 통과",
                    names.join(" → ")
                ),
                En => format!(
                    "The API server checks the request: {}, all passed",
                    names.join(" → ")
                ),
            }
        }
        (
            BeatKind::Stage {
                stage,
                passed,
                detail,
            },
            lang,
        ) => {
            let name = stage_name(lang, *stage);
            match (lang, passed) {
                (Ko, true) => format!("API 서버의 {name} 단계 통과: {detail}"),
                (Ko, false) => format!("API 서버의 {name} 단계에서 거절: {detail}"),
                (En, true) => format!("The API server's {name} passes: {detail}"),
                (En, false) => format!("The API server's {name} refuses: {detail}"),
            }
        }
        (
            BeatKind::Refused {
                stage,
                code,
                message,
            },
            lang,
        ) => {
            let at = stage.map(|s| stage_name(lang, s)).unwrap_or("");
            match lang {
                Ko if at.is_empty() => {
                    format!("API 서버가 요청을 거절했습니다 ({code}): {message}")
                }
                Ko => format!("API 서버가 {at} 단계에서 요청을 거절했습니다 ({code}): {message}"),
                En if at.is_empty() => {
                    format!("The API server refuses the request ({code}): {message}")
                }
                En => format!("The API server refuses the request at {at} ({code}): {message}"),
            }
        }
        (BeatKind::Response { code }, Ko) => format!("API 서버가 응답합니다: {code}"),
        (BeatKind::Response { code }, En) => format!("The API server answers: {code}"),
        (
            BeatKind::Commit {
                key,
                revision,
                deleted,
            },
            lang,
        ) => match (lang, deleted) {
            (Ko, false) => format!("etcd가 {key} 키를 리비전 {revision}에 저장합니다"),
            (Ko, true) => format!("etcd가 {key} 키를 지웁니다 (리비전 {revision})"),
            (En, false) => format!("etcd stores {key} at revision {revision}"),
            (En, true) => format!("etcd deletes {key} (revision {revision})"),
        },
        (
            BeatKind::Watch {
                key,
                event,
                watchers,
                ..
            },
            lang,
        ) => {
            let object = object_of_key(key);
            let change = event.as_str();
            let who = watchers.join(", ");
            match lang {
                Ko => format!(
                    "API 서버가 watch 중인 구성 요소({who})에게 알립니다: {change} {object}"
                ),
                En => format!("The API server tells its watchers ({who}): {change} {object}"),
            }
        }
        (
            BeatKind::Decision {
                reason,
                message,
                controller,
            },
            lang,
        ) => decision(lang, beat, reason, message, controller.as_deref()),
        (
            BeatKind::Cri {
                call,
                pod,
                container,
                image,
                layers,
            },
            lang,
        ) => cri(
            lang,
            beat,
            call,
            pod.as_deref(),
            container.as_deref(),
            image.as_deref(),
            *layers,
        ),
        (
            BeatKind::Layers {
                repository,
                node,
                count,
                size_bytes,
            },
            Ko,
        ) => format!(
            "레지스트리가 {node} 노드의 containerd에 {repository} 레이어 {count}개를 보냅니다 ({})",
            bytes(*size_bytes)
        ),
        (
            BeatKind::Layers {
                repository,
                node,
                count,
                size_bytes,
            },
            En,
        ) => format!(
            "The registry sends {count} layer(s) of {repository} to containerd on {node} ({})",
            bytes(*size_bytes)
        ),
        (
            BeatKind::Image {
                action,
                image,
                host,
                moved,
                moved_bytes,
                cached,
            },
            lang,
        ) => image_sentence(lang, *action, image, host, *moved, *moved_bytes, *cached),
        (
            BeatKind::Cycle {
                pod,
                picked,
                rejected,
                totals,
                tied,
                failure,
            },
            lang,
        ) => cycle(
            lang,
            pod,
            picked.as_deref(),
            rejected,
            totals,
            *tied,
            failure.as_deref(),
        ),
        (BeatKind::TimePassed, Ko) => {
            format!("시뮬레이션 시간이 {} 흐릅니다", duration(beat.waited_ticks))
        }
        (BeatKind::TimePassed, En) => {
            format!("{} of simulated time passes", duration(beat.waited_ticks))
        }
        (BeatKind::Settled, Ko) => "이 명령이 일으킨 일이 모두 끝났습니다".to_string(),
        (BeatKind::Settled, En) => "Everything this command set in motion has settled".to_string(),
    }
}

fn cri(
    lang: Lang,
    beat: &Beat,
    call: &str,
    pod: Option<&str>,
    container: Option<&str>,
    image: Option<&str>,
    layers: Option<(usize, usize, u64)>,
) -> String {
    use Lang::{En, Ko};
    let node = beat.from.vm().unwrap_or("");
    let pod = pod.unwrap_or("");
    let container = container.unwrap_or("");
    match (call, lang) {
        ("RunPodSandbox", Ko) => format!("{node}의 kubelet이 containerd에 {pod} 파드의 샌드박스(네트워크 네임스페이스, pause 컨테이너)를 만들게 합니다 (RunPodSandbox)"),
        ("RunPodSandbox", En) => format!("The kubelet on {node} has containerd create the sandbox of pod {pod} (network namespace, pause container): RunPodSandbox"),
        ("PullImage", lang) => {
            let image = image.unwrap_or("");
            let (total, cached, download) = layers.unwrap_or((0, 0, 0));
            match lang {
                Ko => format!("{node}의 containerd가 이미지 {image}를 받습니다: 레이어 {total}개 중 {cached}개는 이미 있고, {}를 내려받습니다 (PullImage)", bytes(download)),
                En => format!("containerd on {node} pulls {image}: {cached} of {total} layers already exist, {} to download (PullImage)", bytes(download)),
            }
        }
        ("CreateContainer", Ko) => format!("containerd가 {pod} 파드의 {container} 컨테이너를 만듭니다 (CreateContainer)"),
        ("CreateContainer", En) => format!("containerd creates container {container} of pod {pod} (CreateContainer)"),
        ("StartContainer", Ko) => format!("containerd가 {container} 컨테이너를 시작합니다 (StartContainer)"),
        ("StartContainer", En) => format!("containerd starts container {container} (StartContainer)"),
        (call, Ko) => format!("{node}의 kubelet이 containerd를 부릅니다: {call} {pod} {container}"),
        (call, En) => format!("The kubelet on {node} calls containerd: {call} {pod} {container}"),
    }
}

fn cycle(
    lang: Lang,
    pod: &str,
    picked: Option<&str>,
    rejected: &[(String, String, String)],
    totals: &[(String, i64)],
    tied: usize,
    failure: Option<&str>,
) -> String {
    use Lang::{En, Ko};
    let why: Vec<String> = rejected
        .iter()
        .map(
            |(node, plugin, reason)| match (lang, filter_reason_words(Lang::Ko, reason)) {
                (Ko, Some(ko)) => format!("{node} 노드는 {ko} ({plugin}: {reason})"),
                (Ko, None) => format!("{node} 노드는 제외 ({plugin}: {reason})"),
                (En, _) => format!("{node} is out ({plugin}: {reason})"),
            },
        )
        .collect();
    let scores: Vec<String> = totals.iter().map(|(n, t)| format!("{n} {t}")).collect();
    let mut out = match (picked, lang) {
        (Some(node), Ko) => format!("스케줄러가 {pod} 파드를 놓을 노드로 {node} 노드를 골랐습니다"),
        (Some(node), En) => format!("The scheduler picks {node} for pod {pod}"),
        (None, Ko) => format!(
            "스케줄러가 {pod} 파드를 놓을 노드를 찾지 못했습니다: {}",
            failure.unwrap_or("")
        ),
        (None, En) => format!(
            "The scheduler finds no node for pod {pod}: {}",
            failure.unwrap_or("")
        ),
    };
    if !why.is_empty() {
        out.push_str(": ");
        out.push_str(&why.join("; "));
    }
    if picked.is_some() && !scores.is_empty() {
        out.push_str(&match lang {
            Ko => format!(". 점수: {}", scores.join(", ")),
            En => format!(". Scores: {}", scores.join(", ")),
        });
        if tied > 1 {
            out.push_str(&match lang {
                Ko => format!(" (최고점 동점 {tied}개 중 무작위)"),
                En => format!(" (a random pick among {tied} tied at the top)"),
            });
        }
    }
    out
}

fn decision(
    lang: Lang,
    beat: &Beat,
    reason: &str,
    message: &str,
    controller: Option<&str>,
) -> String {
    use Lang::{En, Ko};
    let who = controller
        .map(str::to_string)
        .unwrap_or_else(|| sender(beat));
    // The component's own message, without the loop name it starts with.
    let said = controller
        .and_then(|c| message.strip_prefix(c))
        .and_then(|m| m.strip_prefix(": "))
        .unwrap_or(message);
    let waited = duration(beat.waited_ticks);
    match (reason, lang) {
        ("Scheduled", _) => match (assigned(message), lang) {
            (Some((pod, node)), Ko) => {
                format!("스케줄러가 {pod} 파드를 {node} 노드에 배정했습니다")
            }
            (Some((pod, node)), En) => format!("The scheduler assigns pod {pod} to {node}"),
            (None, Ko) => format!("스케줄러가 노드를 골랐습니다: {message}"),
            (None, En) => format!("The scheduler picks a node: {message}"),
        },
        ("FailedScheduling", Ko) => {
            format!("스케줄러가 파드를 놓을 노드를 찾지 못했습니다: {message}")
        }
        ("FailedScheduling", En) => format!("The scheduler finds no node for the pod: {message}"),
        ("Pulling", Ko) => {
            format!("kubelet이 컨테이너 런타임에 이미지를 받아 오게 합니다: {message}")
        }
        ("Pulling", En) => {
            format!("The kubelet has the container runtime pull the image: {message}")
        }
        ("Pulled", Ko) => format!("이미지를 받았습니다 (시뮬레이션 시간 {waited} 걸림): {message}"),
        ("Pulled", En) => {
            format!("The image is pulled (took {waited} of simulated time): {message}")
        }
        ("Created", Ko) => format!("컨테이너 런타임이 컨테이너를 만들었습니다: {message}"),
        ("Created", En) => format!("The container runtime creates the container: {message}"),
        ("Started", Ko) => format!("컨테이너가 시작되었습니다: {message}"),
        ("Started", En) => format!("The container starts: {message}"),
        ("PodRunning", Ko) => format!("파드가 Running 상태가 되었습니다: {message}"),
        ("PodRunning", En) => format!("The pod is Running: {message}"),
        ("ScalingReplicaSet", Ko) => format!("{who}가 ReplicaSet의 크기를 정합니다: {said}"),
        ("ScalingReplicaSet", En) => format!("{who} sizes a ReplicaSet: {said}"),
        ("SuccessfulCreate", Ko) => format!("{who}가 파드를 만듭니다: {said}"),
        ("SuccessfulCreate", En) => format!("{who} creates a pod: {said}"),
        ("SuccessfulDelete", Ko) => format!("{who}가 파드를 지웁니다: {said}"),
        ("SuccessfulDelete", En) => format!("{who} deletes a pod: {said}"),
        ("NodeFailure", Ko) => format!("{who}의 VM에 장애가 생겼습니다: {said}"),
        ("NodeFailure", En) => format!("A failure on {who}'s VM: {said}"),
        (_, Ko) => format!("{who}의 판단 — {reason}: {said}"),
        (_, En) => format!("{who} decides — {reason}: {said}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::present::timeline::Place;
    use crate::sim::apiserver::Verb;
    use crate::sim::trace::WatchEventType;

    fn has_hangul(s: &str) -> bool {
        s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
    }

    fn beat(kind: BeatKind) -> Beat {
        Beat {
            seq: 0,
            last_seq: 0,
            command: 0,
            step: None,
            kind,
            from: Place::apiserver(),
            to: vec![Place::etcd()],
            tick: 0,
            waited_ticks: 7_500,
            revision: 1,
        }
    }

    /// One beat of every kind; a new kind must be added here (the match makes it a compile error
    /// to forget).
    fn every_kind() -> Vec<BeatKind> {
        let kinds = vec![
            BeatKind::Command {
                line: "kubectl get pods".into(),
                host: "master".into(),
            },
            BeatKind::Request {
                verb: Verb::Create,
                resource: "deployments".into(),
                subresource: None,
                namespace: Some("default".into()),
                name: Some("web".into()),
            },
            BeatKind::Checks {
                stages: vec![ApiStage::Authentication, ApiStage::Authorization],
            },
            BeatKind::Stage {
                stage: ApiStage::Validation,
                passed: true,
                detail: "valid".into(),
            },
            BeatKind::Refused {
                stage: Some(ApiStage::Authorization),
                code: 403,
                message: "forbidden".into(),
            },
            BeatKind::Response { code: 200 },
            BeatKind::Commit {
                key: "/registry/deployments/default/web".into(),
                revision: 207,
                deleted: false,
            },
            BeatKind::Watch {
                key: "/registry/pods/default/web-1".into(),
                revision: 208,
                event: WatchEventType::Added,
                watchers: vec!["kube-scheduler".into(), "kubelet@node1".into()],
            },
            BeatKind::Decision {
                reason: "Something".into(),
                message: "m".into(),
                controller: None,
            },
            BeatKind::Cri {
                call: "PullImage".into(),
                pod: Some("default/web-1".into()),
                container: None,
                image: Some("nginx".into()),
                layers: Some((7, 2, 60_000_000)),
            },
            BeatKind::Layers {
                repository: "docker.io/library/nginx".into(),
                node: "node1".into(),
                count: 5,
                size_bytes: 60_000_000,
            },
            BeatKind::Image {
                action: ImageAction::Push,
                image: "docker.io/devbelly/kubia:latest".into(),
                host: "master".into(),
                moved: 1,
                moved_bytes: 367,
                cached: 6,
            },
            BeatKind::Cycle {
                pod: "default/web-1".into(),
                picked: Some("node2".into()),
                rejected: vec![(
                    "master".into(),
                    "TaintToleration".into(),
                    "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
                        .into(),
                )],
                totals: vec![("node1".into(), 180), ("node2".into(), 190)],
                tied: 1,
                failure: None,
            },
            BeatKind::TimePassed,
            BeatKind::Settled,
        ];
        for kind in &kinds {
            // Exhaustive on purpose: a new kind fails to compile until it is listed above.
            match kind {
                BeatKind::Command { .. }
                | BeatKind::Request { .. }
                | BeatKind::Checks { .. }
                | BeatKind::Stage { .. }
                | BeatKind::Refused { .. }
                | BeatKind::Response { .. }
                | BeatKind::Commit { .. }
                | BeatKind::Watch { .. }
                | BeatKind::Decision { .. }
                | BeatKind::Cri { .. }
                | BeatKind::Layers { .. }
                | BeatKind::Image { .. }
                | BeatKind::Cycle { .. }
                | BeatKind::TimePassed
                | BeatKind::Settled => {}
            }
        }
        kinds
    }

    #[test]
    fn every_beat_kind_has_a_sentence_in_both_languages() {
        for kind in every_kind() {
            let b = beat(kind);
            let ko = sentence(Lang::Ko, &b);
            let en = sentence(Lang::En, &b);
            assert!(has_hangul(&ko), "{}: no Korean in {ko:?}", b.kind.name());
            assert!(
                !has_hangul(&en),
                "{}: Korean in English {en:?}",
                b.kind.name()
            );
            assert!(!en.trim().is_empty(), "{}", b.kind.name());
        }
    }

    #[test]
    fn every_step_has_a_title_in_both_languages() {
        for step in crate::present::timeline::STEPS {
            assert!(has_hangul(step_title(Lang::Ko, step)), "{step}");
            assert!(!has_hangul(step_title(Lang::En, step)), "{step}");
        }
        assert_ne!(step_title(Lang::En, 7), step_title(Lang::En, 8));
    }

    #[test]
    fn the_scheduler_sentence_names_the_pod_and_the_node() {
        let b = beat(BeatKind::Decision {
            reason: "Scheduled".into(),
            message: "Successfully assigned default/web-1 to node2".into(),
            controller: None,
        });
        assert_eq!(
            sentence(Lang::Ko, &b),
            "스케줄러가 default/web-1 파드를 node2 노드에 배정했습니다"
        );
        assert_eq!(
            sentence(Lang::En, &b),
            "The scheduler assigns pod default/web-1 to node2"
        );
    }

    #[test]
    fn a_decision_of_common_reasons_reads_in_korean_without_english_frame() {
        for reason in [
            "Pulling",
            "Pulled",
            "Created",
            "Started",
            "ScalingReplicaSet",
            "SuccessfulCreate",
            "FailedScheduling",
        ] {
            let b = beat(BeatKind::Decision {
                reason: reason.into(),
                message: "x".into(),
                controller: Some("replicaset-controller".into()),
            });
            assert!(has_hangul(&sentence(Lang::Ko, &b)), "{reason}");
        }
    }

    #[test]
    fn the_scheduler_cycle_says_which_node_it_picked_and_why_master_was_out() {
        let b = beat(BeatKind::Cycle {
            pod: "default/web-1".into(),
            picked: Some("node2".into()),
            rejected: vec![
                (
                    "master".into(),
                    "TaintToleration".into(),
                    "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
                        .into(),
                ),
                (
                    "node1".into(),
                    "NodeResourcesFit".into(),
                    "Insufficient cpu".into(),
                ),
            ],
            totals: vec![("node2".into(), 190)],
            tied: 1,
            failure: None,
        });
        assert_eq!(
            sentence(Lang::Ko, &b),
            "스케줄러가 default/web-1 파드를 놓을 노드로 node2 노드를 골랐습니다: master 노드는 허용하지 않은 테인트가 있습니다 (TaintToleration: node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }); node1 노드는 CPU가 부족합니다 (NodeResourcesFit: Insufficient cpu). 점수: node2 190"
        );
        assert!(sentence(Lang::En, &b).starts_with(
            "The scheduler picks node2 for pod default/web-1: master is out (TaintToleration"
        ));
    }

    #[test]
    fn durations_read_as_people_say_them() {
        for (ticks, want) in [
            (7_500, "7.5 s"),
            (1_000, "1 s"),
            (360_000, "6 min"),
            (90_000, "1 min 30 s"),
            (0, "0 s"),
        ] {
            assert_eq!(duration(ticks), want);
        }
    }

    #[test]
    fn keys_read_as_the_objects_they_hold() {
        assert_eq!(
            object_of_key("/registry/pods/default/web-1"),
            "pods default/web-1"
        );
        assert_eq!(object_of_key("/registry/minions/node1"), "nodes node1");
    }
}
