//! The message catalogue: every string the page shows, in Korean and English.
//!
//! Mirrors: the idea of a message catalogue (gettext, Project Fluent): the UI names a message,
//! the catalogue picks the words for the reader's language.
//! Simplified: the catalogue is Rust code, one exhaustive `match` per message. A missing
//! translation is a compile error instead of a blank at run time, and the strings cost nothing
//! beyond their bytes in the wasm module (Fluent or rust-i18n find a missing key only at run
//! time and add a parser and bundle to the download).
//!
//! What is never translated: component and object names (`kube-apiserver`, `Pod`), and
//! everything kubectl or etcdctl print: the terminal shows them exactly as the real tools do.

use crate::present::topology::Component;

/// A language the page can be read in. Korean first: most of our students read it first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lang {
    #[default]
    Ko,
    En,
}

impl Lang {
    /// In the order the language switch shows them.
    pub const ALL: [Lang; 2] = [Lang::Ko, Lang::En];

    /// The BCP 47 code, for `<html lang>` and for remembering the choice.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }

    /// Reads back a stored code; anything else (an old or edited value) is `None`.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|lang| lang.code() == code.trim())
    }

    /// The name of this language in itself, as a language switch shows it.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::Ko => "한국어",
            Lang::En => "English",
        }
    }
}

/// Every fixed string of the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    AppTitle,
    AppTagline,
    LanguageSwitchLabel,
    ClusterLabel,
    RoleControlPlane,
    RoleWorker,
    ControlPlaneComponents,
    NodeComponents,
    Pods,
    /// The pods area of a VM before anything runs there.
    NoPods,
    /// One line on what a component does, under its name.
    ComponentSummary(Component),
    TerminalLabel,
    TerminalPlaceholder,
    TerminalWelcome,
    TerminalRun,
    /// The strip of pods that no node has taken yet (Pending, unscheduled).
    Unscheduled,
    /// The player's controls.
    PlayerLabel,
    Play,
    Pause,
    BeatBack,
    BeatForward,
    StepBack,
    StepForward,
    Live,
    Speed,
    TimelineLabel,
    /// The animation switch (teachers can turn it off).
    Animation,
    /// The stage's steps list.
    StepsLabel,
    /// "Step" before a step's number.
    Step,
    /// The narration before any command ran.
    NarrationIdle,
    /// The narration once the playhead is live and nothing is playing.
    NarrationLive,
    /// How long the simulated wait of a beat was.
    SimulatedWait,
    /// A VM's state badges.
    NodeReady,
    NodeNotReady,
    NodeUnknown,
    NodeHalted,
    NodeCordoned,
    /// The image registry box.
    Registry,
    /// Pods grouped by owner on a crowded card: "pods".
    PodsCount,
    /// Keyboard help under the controls.
    KeysHelp,
    /// The terminal while the cluster works on the last line.
    Working,
    /// The terminal while the lab boots, before the first command.
    Booting,
    /// Beside the timeline once a long session's oldest history is gone.
    HistoryBounded,
    /// The switch that unfolds the apiserver's stages and the bookkeeping requests.
    AllStages,
    /// A node's taints, before the list.
    Taints,
    /// A strip of tabs that opens the look-inside panels.
    PanelsLabel,
    PanelJourney,
    PanelScheduler,
    PanelEtcd,
    PanelInspector,
    PanelEditor,
    PanelFailures,
    PanelClose,
    /// A panel about one pod, before one is picked.
    PickPodHint,
    PodLabel,
    EditorApply,
    EditorExamples,
    /// Under the editor: what Apply does.
    EditorHint,
    EditorTextLabel,
    /// Before an error's line number.
    EditorErrorAt,
    EditorResult,
    /// Above the failure buttons.
    FailuresHint,
    FailureStop,
    FailureStart,
    FailureVm,
    FailureNetwork,
    FailureCut,
    FailureRestore,
    FailureKill,
    FailureNoContainers,
    ResetCluster,
    ResetConfirm,
    ResetYes,
    ResetNo,
    SessionLabel,
    SessionExport,
    SessionImport,
    SessionShare,
    SessionNew,
    SessionNewConfirm,
    SessionRestoring,
    SessionShareLink,
    SessionBroken,
    SessionSchema,
    SessionDiverged,
    SessionTooLarge,
    SessionImportFailed,
    SessionLinkFailed,
    SessionShared,
    SessionSaveFailed,
    SessionDownloadFound,
    SessionDismiss,
    Seed,
    EtcdRevision,
    EtcdCompacted,
    EtcdLiveKeys,
    EtcdTree,
    EtcdPickKey,
    EtcdHistory,
    /// Before a count of older revisions not listed.
    EtcdOlderUnlisted,
    EtcdWatches,
    EtcdAllWatches,
    EtcdHolder,
    EtcdCreated,
    EtcdModified,
    EtcdDeleted,
    /// After a number: keys a list left out.
    EtcdMore,
    EtcdChangedFields,
    /// A link from a key or pod to the Inspector.
    InspectObject,
    InspectorPick,
    InspectorGone,
    InspectorOwners,
    InspectorDependents,
    InspectorEvents,
    InspectorNoEvents,
    InspectorBack,
    /// A link from an object to its etcd key.
    EtcdKeyLink,
    JourneyLineage,
    JourneyTime,
    JourneyTook,
    JourneySeekHint,
    SchedulerCycle,
    SchedulerAttempt,
    /// Before the node counts of a cycle.
    SchedulerNodes,
    SchedulerFilter,
    SchedulerScore,
    SchedulerPlugin,
    SchedulerTotal,
    SchedulerResult,
    SchedulerWakeOn,
    SchedulerShowCycle,
    SchedulerNoCycle,
    /// Under the score table.
    SchedulerScoreHelp,
    EditorSave,
    /// Beside the kubectl edit line the editor has open.
    EditorEditing,
}

impl Msg {
    /// Every message, for tests that check the whole catalogue.
    pub fn all() -> Vec<Msg> {
        let mut all = vec![
            Msg::AppTitle,
            Msg::AppTagline,
            Msg::LanguageSwitchLabel,
            Msg::ClusterLabel,
            Msg::RoleControlPlane,
            Msg::RoleWorker,
            Msg::ControlPlaneComponents,
            Msg::NodeComponents,
            Msg::Pods,
            Msg::NoPods,
            Msg::TerminalLabel,
            Msg::TerminalPlaceholder,
            Msg::TerminalWelcome,
            Msg::TerminalRun,
            Msg::Unscheduled,
            Msg::PlayerLabel,
            Msg::Play,
            Msg::Pause,
            Msg::BeatBack,
            Msg::BeatForward,
            Msg::StepBack,
            Msg::StepForward,
            Msg::Live,
            Msg::Speed,
            Msg::TimelineLabel,
            Msg::Animation,
            Msg::StepsLabel,
            Msg::Step,
            Msg::NarrationIdle,
            Msg::NarrationLive,
            Msg::SimulatedWait,
            Msg::NodeReady,
            Msg::NodeNotReady,
            Msg::NodeUnknown,
            Msg::NodeHalted,
            Msg::NodeCordoned,
            Msg::Registry,
            Msg::PodsCount,
            Msg::KeysHelp,
            Msg::Working,
            Msg::Booting,
            Msg::HistoryBounded,
            Msg::AllStages,
            Msg::Taints,
            Msg::PanelsLabel,
            Msg::PanelJourney,
            Msg::PanelScheduler,
            Msg::PanelEtcd,
            Msg::PanelInspector,
            Msg::PanelEditor,
            Msg::PanelFailures,
            Msg::PanelClose,
            Msg::PickPodHint,
            Msg::PodLabel,
            Msg::EditorApply,
            Msg::EditorExamples,
            Msg::EditorHint,
            Msg::EditorTextLabel,
            Msg::EditorErrorAt,
            Msg::EditorResult,
            Msg::FailuresHint,
            Msg::FailureStop,
            Msg::FailureStart,
            Msg::FailureVm,
            Msg::FailureNetwork,
            Msg::FailureCut,
            Msg::FailureRestore,
            Msg::FailureKill,
            Msg::FailureNoContainers,
            Msg::ResetCluster,
            Msg::ResetConfirm,
            Msg::ResetYes,
            Msg::ResetNo,
            Msg::SessionLabel,
            Msg::SessionExport,
            Msg::SessionImport,
            Msg::SessionShare,
            Msg::SessionNew,
            Msg::SessionNewConfirm,
            Msg::SessionRestoring,
            Msg::SessionShareLink,
            Msg::SessionBroken,
            Msg::SessionSchema,
            Msg::SessionDiverged,
            Msg::SessionTooLarge,
            Msg::SessionImportFailed,
            Msg::SessionLinkFailed,
            Msg::SessionShared,
            Msg::SessionSaveFailed,
            Msg::SessionDownloadFound,
            Msg::SessionDismiss,
            Msg::Seed,
            Msg::EtcdRevision,
            Msg::EtcdCompacted,
            Msg::EtcdLiveKeys,
            Msg::EtcdTree,
            Msg::EtcdPickKey,
            Msg::EtcdHistory,
            Msg::EtcdOlderUnlisted,
            Msg::EtcdWatches,
            Msg::EtcdAllWatches,
            Msg::EtcdHolder,
            Msg::EtcdCreated,
            Msg::EtcdModified,
            Msg::EtcdDeleted,
            Msg::EtcdMore,
            Msg::EtcdChangedFields,
            Msg::InspectObject,
            Msg::InspectorPick,
            Msg::InspectorGone,
            Msg::InspectorOwners,
            Msg::InspectorDependents,
            Msg::InspectorEvents,
            Msg::InspectorNoEvents,
            Msg::InspectorBack,
            Msg::EtcdKeyLink,
            Msg::JourneyLineage,
            Msg::JourneyTime,
            Msg::JourneyTook,
            Msg::JourneySeekHint,
            Msg::SchedulerCycle,
            Msg::SchedulerAttempt,
            Msg::SchedulerNodes,
            Msg::SchedulerFilter,
            Msg::SchedulerScore,
            Msg::SchedulerPlugin,
            Msg::SchedulerTotal,
            Msg::SchedulerResult,
            Msg::SchedulerWakeOn,
            Msg::SchedulerShowCycle,
            Msg::SchedulerNoCycle,
            Msg::SchedulerScoreHelp,
            Msg::EditorSave,
            Msg::EditorEditing,
        ];
        all.extend(
            Component::CONTROL_PLANE
                .into_iter()
                .chain(Component::NODE)
                .map(Msg::ComponentSummary),
        );
        all
    }
}

/// The words for `msg` in `lang`.
pub fn text(lang: Lang, msg: Msg) -> &'static str {
    use Component as C;
    use Lang::{En, Ko};
    match (msg, lang) {
        (Msg::AppTitle, Ko) => "쿠버네티스 샌드박스",
        (Msg::AppTitle, En) => "Kube Sandbox",
        (Msg::AppTagline, Ko) => "브라우저 탭 하나에서 돌아가는 쿠버네티스 클러스터",
        (Msg::AppTagline, En) => "A Kubernetes cluster that lives in a browser tab",
        (Msg::LanguageSwitchLabel, Ko) => "언어",
        (Msg::LanguageSwitchLabel, En) => "Language",
        (Msg::ClusterLabel, Ko) => "클러스터의 가상 머신",
        (Msg::ClusterLabel, En) => "Virtual machines of the cluster",
        (Msg::RoleControlPlane, Ko) => "컨트롤 플레인",
        (Msg::RoleControlPlane, En) => "control plane",
        (Msg::RoleWorker, Ko) => "워커 노드",
        (Msg::RoleWorker, En) => "worker node",
        (Msg::ControlPlaneComponents, Ko) => "컨트롤 플레인 구성 요소",
        (Msg::ControlPlaneComponents, En) => "Control-plane components",
        (Msg::NodeComponents, Ko) => "노드 구성 요소",
        (Msg::NodeComponents, En) => "Node components",
        (Msg::Pods, Ko) => "파드",
        (Msg::Pods, En) => "Pods",
        (Msg::NoPods, Ko) => "아직 실행 중인 파드가 없습니다",
        (Msg::NoPods, En) => "No pods running yet",
        (Msg::ComponentSummary(c), Ko) => match c {
            C::KubeApiserver => "모든 요청의 관문: 인증·검증 후 etcd에 저장",
            C::Etcd => "클러스터 상태를 담는 키-값 저장소",
            C::KubeScheduler => "새 파드를 실행할 노드를 고름",
            C::KubeControllerManager => "원하는 상태에 맞춰 ReplicaSet과 파드를 만듦",
            C::Kubelet => "이 노드에 배정된 파드를 실행하고 상태를 보고",
            C::KubeProxy => "Service로 오는 트래픽을 파드로 전달",
            C::ContainerRuntime => "컨테이너 런타임: 이미지를 받아 컨테이너 실행",
        },
        (Msg::ComponentSummary(c), En) => match c {
            C::KubeApiserver => "Front door: authenticates, validates, stores in etcd",
            C::Etcd => "Key-value store that holds the cluster state",
            C::KubeScheduler => "Picks the node each new pod runs on",
            C::KubeControllerManager => "Creates ReplicaSets and pods to match the desired state",
            C::Kubelet => "Runs the pods bound to this node, reports their status",
            C::KubeProxy => "Routes Service traffic to pods",
            C::ContainerRuntime => "Container runtime: pulls images, runs containers",
        },
        (Msg::TerminalLabel, Ko) => "터미널",
        (Msg::TerminalLabel, En) => "Terminal",
        (Msg::TerminalPlaceholder, Ko) => "kubectl get nodes",
        (Msg::TerminalPlaceholder, En) => "kubectl get nodes",
        (Msg::TerminalWelcome, Ko) => {
            "master에 root로 접속했습니다. kubectl 명령을 입력해 보세요. 예: kubectl get nodes"
        }
        (Msg::TerminalWelcome, En) => {
            "Logged in to master as root. Type a kubectl command, for example: kubectl get nodes"
        }
        (Msg::TerminalRun, Ko) => "실행",
        (Msg::TerminalRun, En) => "Run",
        (Msg::Unscheduled, Ko) => "노드 배정을 기다리는 파드",
        (Msg::Unscheduled, En) => "Pods waiting for a node",
        (Msg::PlayerLabel, Ko) => "애니메이션 재생 제어",
        (Msg::PlayerLabel, En) => "Animation controls",
        (Msg::Play, Ko) => "재생",
        (Msg::Play, En) => "Play",
        (Msg::Pause, Ko) => "일시 정지",
        (Msg::Pause, En) => "Pause",
        (Msg::BeatBack, Ko) => "한 동작 뒤로",
        (Msg::BeatBack, En) => "One event back",
        (Msg::BeatForward, Ko) => "한 동작 앞으로",
        (Msg::BeatForward, En) => "One event forward",
        (Msg::StepBack, Ko) => "이전 단계",
        (Msg::StepBack, En) => "Previous step",
        (Msg::StepForward, Ko) => "다음 단계",
        (Msg::StepForward, En) => "Next step",
        (Msg::Live, Ko) => "Live (지금)",
        (Msg::Live, En) => "Live",
        (Msg::Speed, Ko) => "속도",
        (Msg::Speed, En) => "Speed",
        (Msg::TimelineLabel, Ko) => "타임라인",
        (Msg::TimelineLabel, En) => "Timeline",
        (Msg::Animation, Ko) => "애니메이션",
        (Msg::Animation, En) => "Animation",
        (Msg::StepsLabel, Ko) => "파드 배포의 8단계",
        (Msg::StepsLabel, En) => "The eight steps of a pod deployment",
        (Msg::Step, Ko) => "단계",
        (Msg::Step, En) => "Step",
        (Msg::NarrationIdle, Ko) => {
            "터미널에 명령을 입력하면 클러스터가 한 일을 한 단계씩 보여 줍니다. 예: kubectl create deployment web --image=nginx --replicas=3"
        }
        (Msg::NarrationIdle, En) => {
            "Type a command in the terminal and watch what the cluster does, step by step. Try: kubectl create deployment web --image=nginx --replicas=3"
        }
        (Msg::NarrationLive, Ko) => "지금 상태입니다. ← 키나 타임라인으로 지난 일을 다시 볼 수 있습니다.",
        (Msg::NarrationLive, En) => "This is now. Press ← or drag the timeline to look back.",
        (Msg::SimulatedWait, Ko) => "시뮬레이션 시간",
        (Msg::SimulatedWait, En) => "simulated time",
        (Msg::NodeReady, Ko) => "Ready (정상)",
        (Msg::NodeReady, En) => "Ready",
        (Msg::NodeNotReady, Ko) => "NotReady (준비 안 됨)",
        (Msg::NodeNotReady, En) => "NotReady",
        (Msg::NodeUnknown, Ko) => "NotReady (응답 없음)",
        (Msg::NodeUnknown, En) => "NotReady (no heartbeat)",
        (Msg::NodeHalted, Ko) => "전원 꺼짐",
        (Msg::NodeHalted, En) => "Powered off",
        (Msg::NodeCordoned, Ko) => "스케줄 금지 (cordon)",
        (Msg::NodeCordoned, En) => "SchedulingDisabled",
        (Msg::Registry, Ko) => "이미지 레지스트리 (Docker Hub)",
        (Msg::Registry, En) => "Image registry (Docker Hub)",
        (Msg::PodsCount, Ko) => "개",
        (Msg::PodsCount, En) => "pods",
        (Msg::KeysHelp, Ko) => "스페이스 재생/정지 · ←→ 한 동작 · PgUp/PgDn 단계 · Home 처음 · End 지금",
        (Msg::AllStages, Ko) => "모든 단계 보기",
        (Msg::AllStages, En) => "Every stage",
        (Msg::PanelsLabel, Ko) => "들여다보기 패널",
        (Msg::PanelsLabel, En) => "Look inside",
        (Msg::PanelJourney, Ko) => "여정",
        (Msg::PanelJourney, En) => "Journey",
        (Msg::PanelScheduler, Ko) => "스케줄러",
        (Msg::PanelScheduler, En) => "Scheduler",
        (Msg::PanelEtcd, Ko) => "etcd 키",
        (Msg::PanelEtcd, En) => "etcd",
        (Msg::PanelInspector, Ko) => "오브젝트",
        (Msg::PanelInspector, En) => "Inspector",
        (Msg::PanelEditor, Ko) => "편집기",
        (Msg::PanelEditor, En) => "Editor",
        (Msg::PanelFailures, Ko) => "장애 주입",
        (Msg::PanelFailures, En) => "Failures",
        (Msg::PanelClose, Ko) => "패널 닫기",
        (Msg::PanelClose, En) => "Close panel",
        (Msg::PickPodHint, Ko) => "VM 카드나 대기 줄에서 파드를 눌러 고르세요.",
        (Msg::PickPodHint, En) => "Pick a pod: click one on a VM card or in the waiting strip.",
        (Msg::PodLabel, Ko) => "파드",
        (Msg::PodLabel, En) => "Pod",
        (Msg::EditorApply, Ko) => "적용 (kubectl apply)",
        (Msg::EditorApply, En) => "Apply (kubectl apply)",
        (Msg::EditorExamples, Ko) => "예제",
        (Msg::EditorExamples, En) => "Examples",
        (Msg::EditorHint, Ko) => "적용하면 editor.yaml 로 저장한 뒤 터미널에서 kubectl apply -f editor.yaml 을 실행합니다.",
        (Msg::EditorHint, En) => "Apply saves the text as editor.yaml and runs kubectl apply -f editor.yaml in the terminal.",
        (Msg::EditorTextLabel, Ko) => "매니페스트 (YAML)",
        (Msg::EditorTextLabel, En) => "Manifest (YAML)",
        (Msg::EditorErrorAt, Ko) => "줄",
        (Msg::EditorErrorAt, En) => "line",
        (Msg::EditorResult, Ko) => "API 서버의 답",
        (Msg::EditorResult, En) => "What the apiserver answered",
        (Msg::FailuresHint, Ko) => "버튼은 학생이 입력할 수 있는 명령을 터미널에서 실행합니다. 무슨 일이 일어나는지 애니메이션으로 보세요.",
        (Msg::FailuresHint, En) => "Each button runs a line a student could type, in the terminal. Watch what the cluster does about it.",
        (Msg::FailureStop, Ko) => "중지",
        (Msg::FailureStop, En) => "Stop",
        (Msg::FailureStart, Ko) => "시작",
        (Msg::FailureStart, En) => "Start",
        (Msg::FailureVm, Ko) => "VM 전원",
        (Msg::FailureVm, En) => "VM power",
        (Msg::FailureNetwork, Ko) => "API 서버와의 네트워크",
        (Msg::FailureNetwork, En) => "Network to the apiserver",
        (Msg::FailureCut, Ko) => "끊기",
        (Msg::FailureCut, En) => "Cut",
        (Msg::FailureRestore, Ko) => "복구",
        (Msg::FailureRestore, En) => "Restore",
        (Msg::FailureKill, Ko) => "컨테이너 종료",
        (Msg::FailureKill, En) => "Stop a container",
        (Msg::FailureNoContainers, Ko) => "실행 중인 컨테이너가 없습니다.",
        (Msg::FailureNoContainers, En) => "No container is running.",
        (Msg::ResetCluster, Ko) => "클러스터 초기화",
        (Msg::ResetCluster, En) => "Reset cluster",
        (Msg::ResetConfirm, Ko) => "정말 초기화할까요? 클러스터와 터미널 기록이 모두 처음으로 돌아갑니다.",
        (Msg::ResetConfirm, En) => "Reset the cluster? The cluster and the terminal start over.",
        (Msg::ResetYes, Ko) => "초기화",
        (Msg::ResetYes, En) => "Reset",
        (Msg::ResetNo, Ko) => "취소",
        (Msg::ResetNo, En) => "Cancel",
        (Msg::SessionLabel, Ko) => "세션: 저장, 내보내기, 공유",
        (Msg::SessionLabel, En) => "Session: save, export, share",
        (Msg::SessionExport, Ko) => "내보내기",
        (Msg::SessionExport, En) => "Export",
        (Msg::SessionImport, Ko) => "가져오기",
        (Msg::SessionImport, En) => "Import",
        (Msg::SessionShare, Ko) => "공유 링크",
        (Msg::SessionShare, En) => "Share link",
        (Msg::SessionNew, Ko) => "새 세션",
        (Msg::SessionNew, En) => "New session",
        (Msg::SessionNewConfirm, Ko) => "새 세션을 시작할까요? 지금 클러스터와 입력한 명령이 모두 지워집니다. 필요하면 먼저 내보내기로 저장하세요.",
        (Msg::SessionNewConfirm, En) => "Start a new session? This cluster and every command typed in it are cleared. Export it first to keep it.",
        (Msg::SessionRestoring, Ko) => "저장된 세션을 되살리는 중",
        (Msg::SessionRestoring, En) => "Restoring your saved session",
        (Msg::SessionShareLink, Ko) => "이 링크를 열면 지금의 샌드박스가 그대로 열립니다:",
        (Msg::SessionShareLink, En) => "Opening this link opens this sandbox as it is now:",
        (Msg::SessionBroken, Ko) => "저장된 세션을 읽을 수 없어 새로 시작했습니다.",
        (Msg::SessionBroken, En) => "Your saved session could not be read, so the sandbox started fresh.",
        (Msg::SessionSchema, Ko) => "다른 버전의 샌드박스에서 저장된 세션이라 새로 시작했습니다.",
        (Msg::SessionSchema, En) => "Your saved session was made by another version of the sandbox, so it started fresh.",
        (Msg::SessionDiverged, Ko) => "저장된 세션을 다시 실행하던 중 결과가 달라져 새로 시작했습니다.",
        (Msg::SessionDiverged, En) => "Replaying your saved session gave a different result, so the sandbox started fresh.",
        (Msg::SessionTooLarge, Ko) => "저장된 세션이 너무 커서 새로 시작했습니다.",
        (Msg::SessionTooLarge, En) => "Your saved session is too large, so the sandbox started fresh.",
        (Msg::SessionImportFailed, Ko) => "이 파일은 가져올 수 없습니다. 지금 세션은 그대로입니다.",
        (Msg::SessionImportFailed, En) => "This file cannot be imported. Your session is unchanged.",
        (Msg::SessionLinkFailed, Ko) => "공유 링크를 열 수 없습니다. 저장된 세션으로 계속합니다.",
        (Msg::SessionLinkFailed, En) => "The shared link cannot be opened. Your saved session goes on.",
        (Msg::SessionShared, Ko) => "공유 링크의 샌드박스를 열었습니다. 이전 세션은 아래에서 내려받을 수 있습니다.",
        (Msg::SessionShared, En) => "Opened the shared sandbox. Your previous session can be downloaded below.",
        (Msg::SessionSaveFailed, Ko) => "브라우저 저장소에 저장하지 못했습니다. 새로 고치기 전에 내보내기로 저장하세요.",
        (Msg::SessionSaveFailed, En) => "The browser's storage refused the save. Export your session before reloading.",
        (Msg::SessionDownloadFound, Ko) => "찾은 내용 내려받기",
        (Msg::SessionDownloadFound, En) => "Download what was found",
        (Msg::SessionDismiss, Ko) => "닫기",
        (Msg::SessionDismiss, En) => "Close",
        (Msg::Seed, Ko) => "시드",
        (Msg::Seed, En) => "Seed",
        (Msg::EtcdRevision, Ko) => "현재 리비전",
        (Msg::EtcdRevision, En) => "Current revision",
        (Msg::EtcdCompacted, Ko) => "압축된 리비전",
        (Msg::EtcdCompacted, En) => "Compacted revision",
        (Msg::EtcdLiveKeys, Ko) => "키 개수",
        (Msg::EtcdLiveKeys, En) => "Keys",
        (Msg::EtcdTree, Ko) => "/registry 키 트리",
        (Msg::EtcdTree, En) => "The /registry key tree",
        (Msg::EtcdPickKey, Ko) => "키를 누르면 그 키의 리비전 이력이 보입니다.",
        (Msg::EtcdPickKey, En) => "Click a key to see its history across revisions.",
        (Msg::EtcdHistory, Ko) => "이 키의 이력",
        (Msg::EtcdHistory, En) => "History of this key",
        (Msg::EtcdOlderUnlisted, Ko) => "더 오래된 리비전",
        (Msg::EtcdOlderUnlisted, En) => "older revisions not listed",
        (Msg::EtcdWatches, Ko) => "이 키를 지켜보는 워치",
        (Msg::EtcdWatches, En) => "Watches that hear of this key",
        (Msg::EtcdAllWatches, Ko) => "열린 워치",
        (Msg::EtcdAllWatches, En) => "Open watches",
        (Msg::EtcdHolder, Ko) => "가진 쪽",
        (Msg::EtcdHolder, En) => "Held by",
        (Msg::EtcdCreated, Ko) => "생성",
        (Msg::EtcdCreated, En) => "created",
        (Msg::EtcdModified, Ko) => "수정",
        (Msg::EtcdModified, En) => "modified",
        (Msg::EtcdDeleted, Ko) => "삭제",
        (Msg::EtcdDeleted, En) => "deleted",
        (Msg::EtcdMore, Ko) => "개 더 있음",
        (Msg::EtcdMore, En) => "more",
        (Msg::EtcdChangedFields, Ko) => "바뀐 필드",
        (Msg::EtcdChangedFields, En) => "Changed fields",
        (Msg::InspectObject, Ko) => "오브젝트 보기",
        (Msg::InspectObject, En) => "Inspect",
        (Msg::InspectorPick, Ko) => "종류를 고르고 오브젝트를 누르세요.",
        (Msg::InspectorPick, En) => "Pick a kind, then an object.",
        (Msg::InspectorGone, Ko) => "이 오브젝트는 지금 저장소에 없습니다.",
        (Msg::InspectorGone, En) => "This object is not in the store now.",
        (Msg::InspectorOwners, Ko) => "소유자 사슬",
        (Msg::InspectorOwners, En) => "Owner chain",
        (Msg::InspectorDependents, Ko) => "이 오브젝트에 딸린 오브젝트",
        (Msg::InspectorDependents, En) => "Dependents",
        (Msg::InspectorEvents, Ko) => "이벤트",
        (Msg::InspectorEvents, En) => "Events",
        (Msg::InspectorNoEvents, Ko) => "이벤트가 없습니다.",
        (Msg::InspectorNoEvents, En) => "No events.",
        (Msg::InspectorBack, Ko) => "다른 오브젝트",
        (Msg::InspectorBack, En) => "Another object",
        (Msg::EtcdKeyLink, Ko) => "etcd 키 보기",
        (Msg::EtcdKeyLink, En) => "etcd key",
        (Msg::JourneyLineage, Ko) => "만든 순서",
        (Msg::JourneyLineage, En) => "Created by",
        (Msg::JourneyTime, Ko) => "시각",
        (Msg::JourneyTime, En) => "Time",
        (Msg::JourneyTook, Ko) => "걸린 시간",
        (Msg::JourneyTook, En) => "Took",
        (Msg::JourneySeekHint, Ko) => "단계를 누르면 재생 위치가 그때로 옮겨집니다.",
        (Msg::JourneySeekHint, En) => "Click a step to move the playhead there.",
        (Msg::SchedulerCycle, Ko) => "스케줄링 사이클",
        (Msg::SchedulerCycle, En) => "Scheduling cycle",
        (Msg::SchedulerAttempt, Ko) => "시도",
        (Msg::SchedulerAttempt, En) => "attempt",
        (Msg::SchedulerNodes, Ko) => "노드: 전체 / 검사 / 통과",
        (Msg::SchedulerNodes, En) => "Nodes: all / evaluated / feasible",
        (Msg::SchedulerFilter, Ko) => "필터: 노드를 걸러냄",
        (Msg::SchedulerFilter, En) => "Filter: which nodes can take the pod",
        (Msg::SchedulerScore, Ko) => "점수: 통과한 노드에 점수 매기기",
        (Msg::SchedulerScore, En) => "Score: ranking the nodes that passed",
        (Msg::SchedulerPlugin, Ko) => "플러그인",
        (Msg::SchedulerPlugin, En) => "Plugin",
        (Msg::SchedulerTotal, Ko) => "합계",
        (Msg::SchedulerTotal, En) => "Total",
        (Msg::SchedulerResult, Ko) => "결과",
        (Msg::SchedulerResult, En) => "Result",
        (Msg::SchedulerWakeOn, Ko) => "이 이벤트가 일어나면 다시 시도합니다",
        (Msg::SchedulerWakeOn, En) => "It is retried when one of these happens",
        (Msg::SchedulerShowCycle, Ko) => "애니메이션에서 이 사이클 보기",
        (Msg::SchedulerShowCycle, En) => "Show this cycle in the animation",
        (Msg::SchedulerNoCycle, Ko) => "이 파드는 아직 스케줄링 사이클을 거치지 않았습니다.",
        (Msg::SchedulerNoCycle, En) => "This pod has not been through a scheduling cycle.",
        (Msg::SchedulerScoreHelp, Ko) => "칸: 원점수 → 정규화 × 가중치 = 가중 점수",
        (Msg::SchedulerScoreHelp, En) => "Cell: raw → normalized × weight = weighted",
        (Msg::EditorSave, Ko) => "저장 (kubectl edit)",
        (Msg::EditorSave, En) => "Save (kubectl edit)",
        (Msg::EditorEditing, Ko) => "저장하면 바뀐 부분만 PATCH로 보냅니다. 아무것도 안 바꾸면 편집이 취소됩니다.",
        (Msg::EditorEditing, En) => "Save sends what changed as a PATCH; saving it unchanged cancels the edit.",
        (Msg::Taints, Ko) => "테인트",
        (Msg::Taints, En) => "Taints",
        (Msg::HistoryBounded, Ko) => "오래된 기록은 지워졌습니다: 타임라인은 남은 명령부터 돌아볼 수 있습니다",
        (Msg::HistoryBounded, En) => "The oldest history is gone: the timeline goes back to the commands still kept",
        (Msg::Working, Ko) => "클러스터가 일하는 중…",
        (Msg::Working, En) => "The cluster is working…",
        (Msg::Booting, Ko) => "클러스터가 부팅하는 중…",
        (Msg::Booting, En) => "The cluster is booting…",
        (Msg::KeysHelp, En) => "Space play/pause · ←→ one event · PgUp/PgDn step · Home start · End live",
    }
}

/// The terminal's title bar: which user on which VM the shell belongs to.
pub fn terminal_title(lang: Lang, host: &str) -> String {
    format!("{} · root@{host}", text(lang, Msg::TerminalLabel))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_hangul(s: &str) -> bool {
        s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
    }

    #[test]
    fn korean_is_the_default_language() {
        assert_eq!(Lang::default(), Lang::Ko);
    }

    #[test]
    fn a_stored_language_code_reads_back_and_junk_is_refused() {
        let table = [
            ("ko", Some(Lang::Ko)),
            ("en", Some(Lang::En)),
            (" en\n", Some(Lang::En)),
            ("EN", None),
            ("", None),
            ("fr", None),
        ];
        for (code, want) in table {
            assert_eq!(Lang::from_code(code), want, "{code:?}");
        }
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
    }

    #[test]
    fn every_message_has_words_in_every_language() {
        for msg in Msg::all() {
            for lang in Lang::ALL {
                assert!(!text(lang, msg).trim().is_empty(), "{msg:?} in {lang:?}");
            }
        }
    }

    #[test]
    fn korean_prose_is_written_in_hangul() {
        // The placeholder is a command line: the same in every language.
        for msg in Msg::all()
            .into_iter()
            .filter(|m| *m != Msg::TerminalPlaceholder)
        {
            assert!(
                has_hangul(text(Lang::Ko, msg)),
                "{msg:?} has no Korean text"
            );
        }
    }

    #[test]
    fn english_prose_has_no_hangul_left_in_it() {
        for msg in Msg::all() {
            assert!(!has_hangul(text(Lang::En, msg)), "{msg:?} has Korean text");
        }
    }

    #[test]
    fn the_title_differs_between_languages_so_the_switch_is_visible() {
        assert_ne!(text(Lang::Ko, Msg::AppTitle), text(Lang::En, Msg::AppTitle));
    }

    #[test]
    fn the_terminal_title_names_the_user_and_host() {
        assert_eq!(terminal_title(Lang::En, "master"), "Terminal · root@master");
        assert_eq!(terminal_title(Lang::Ko, "node1"), "터미널 · root@node1");
    }
}
