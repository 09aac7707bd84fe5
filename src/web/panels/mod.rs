//! The look-inside panels beside the scene: a strip of tabs (Journey, Scheduler, etcd,
//! Inspector, Editor, Failures) and the open panels under it, above the terminal.
//!
//! Mirrors: the WAI-ARIA tabs pattern (a `tablist` of `tab` buttons, each opening its
//! `tabpanel`), with panels that can also be closed. One panel shows at a time on a laptop; from
//! 1600 px wide the two most recently opened show side by side (the CSS decides, so resizing the
//! window needs no state). A panel renders only while open: its view model is read from the
//! session when it is drawn, never kept.

pub mod editor;
pub mod etcd;
pub mod failures;
pub mod inspector;
pub mod journey;
pub mod scheduler;

use yew::prelude::*;

use crate::present::editor::Marker;
use crate::present::i18n::{text, Lang, Msg};
pub use crate::present::panels::inspector::ObjectRef;
use crate::web::SharedSession;

/// How many panels can be open at once (side by side on a wide screen).
pub const OPEN_PANELS_MAX: usize = 2;

/// The panels, in the order of their tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelKind {
    Journey,
    Scheduler,
    Etcd,
    Inspector,
    Editor,
    Failures,
}

impl PanelKind {
    pub const ALL: [PanelKind; 6] = [
        PanelKind::Journey,
        PanelKind::Scheduler,
        PanelKind::Etcd,
        PanelKind::Inspector,
        PanelKind::Editor,
        PanelKind::Failures,
    ];

    /// Stable id: `data-panel`, `data-panel-tab`, and the element ids.
    pub fn id(self) -> &'static str {
        match self {
            PanelKind::Journey => "journey",
            PanelKind::Scheduler => "scheduler",
            PanelKind::Etcd => "etcd",
            PanelKind::Inspector => "inspector",
            PanelKind::Editor => "editor",
            PanelKind::Failures => "failures",
        }
    }

    pub fn title(self) -> Msg {
        match self {
            PanelKind::Journey => Msg::PanelJourney,
            PanelKind::Scheduler => Msg::PanelScheduler,
            PanelKind::Etcd => Msg::PanelEtcd,
            PanelKind::Inspector => Msg::PanelInspector,
            PanelKind::Editor => Msg::PanelEditor,
            PanelKind::Failures => Msg::PanelFailures,
        }
    }
}

/// The editor's text and what the last apply answered. The text is the student's: nothing but
/// their typing and the examples replaces it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EditorState {
    pub text: String,
    /// What kubectl printed for the last apply: stdout, stderr.
    pub answer: Option<(String, String)>,
    pub markers: Vec<Marker>,
    /// `kubectl edit ...` opened the text: Save finishes that edit instead of applying.
    pub editing: Option<String>,
}

/// What the panels show and remember.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panels {
    /// The open panels, most recently opened last.
    pub open: Vec<PanelKind>,
    /// The pod the Journey and Scheduler panels are about (`namespace/name`).
    pub pod: Option<String>,
    /// The scheduling cycle picked for the pod (None: its latest).
    pub attempt: Option<usize>,
    pub inspect: Option<ObjectRef>,
    /// The kind the Inspector's picker lists (a resource's plural).
    pub inspect_kind: Option<String>,
    /// The etcd tree's open node (a prefix), and the key whose history is shown.
    pub etcd_prefix: Option<String>,
    pub etcd_key: Option<String>,
    pub editor: EditorState,
    /// The reset button asked "are you sure?".
    pub confirm_reset: bool,
}

impl Default for Panels {
    fn default() -> Self {
        Panels {
            open: Vec::new(),
            pod: None,
            attempt: None,
            inspect: None,
            inspect_kind: None,
            etcd_prefix: None,
            etcd_key: None,
            editor: EditorState {
                text: crate::present::editor::EXAMPLES[0].text.to_string(),
                ..EditorState::default()
            },
            confirm_reset: false,
        }
    }
}

impl Panels {
    pub fn is_open(&self, kind: PanelKind) -> bool {
        self.open.contains(&kind)
    }

    /// Opens `kind` (or brings it to the front); the oldest closes past [`OPEN_PANELS_MAX`].
    pub fn open(&mut self, kind: PanelKind) {
        self.open.retain(|k| *k != kind);
        self.open.push(kind);
        let overflow = self.open.len().saturating_sub(OPEN_PANELS_MAX);
        self.open.drain(..overflow);
    }

    pub fn close(&mut self, kind: PanelKind) {
        self.open.retain(|k| *k != kind);
    }
}

/// What the panels ask the app to do.
#[derive(Clone, Debug, PartialEq)]
pub enum PanelAction {
    /// A tab: opens its panel, or closes it when it is the one in front.
    Toggle(PanelKind),
    Close(PanelKind),
    /// A pod chip was clicked: its journey opens.
    PickPod(String),
    /// Shows the scheduler panel for this pod.
    ScheduleOf(String),
    Inspect(ObjectRef),
    /// Back to the Inspector's picker.
    InspectNone,
    InspectKind(String),
    /// Opens a tree node of the etcd panel (empty: closes them all).
    EtcdPrefix(String),
    EtcdKey(String),
    /// Opens the etcd panel at this key.
    EtcdKeyOpen(String),
    EditorText(String),
    EditorExample(usize),
    EditorApply,
    /// Saves the edit `kubectl edit` opened, or closes it unsaved.
    EditorSave,
    EditorCancel,
    /// A failure button: run this line in the terminal.
    Run(String),
    /// Moves the playhead to after this many beats (a journey step, a cycle).
    Seek(usize),
    /// The scheduler panel's cycle (1-based attempt).
    Attempt(usize),
    AskReset(bool),
    Reset(u64),
}

/// A click that sends `action`: one closure type for every button of every panel, so the
/// wasm module carries one copy of it.
pub fn on_click(on_action: &Callback<PanelAction>, action: PanelAction) -> Callback<MouseEvent> {
    let on_action = on_action.clone();
    Callback::from(move |_| on_action.emit(action.clone()))
}

#[derive(Properties, PartialEq)]
pub struct DockProps {
    pub lang: Lang,
    pub panels: Panels,
    pub session: SharedSession,
    /// Changes whenever the cluster or the timeline does, so open panels read again.
    pub stamp: (usize, bool),
    /// The terminal waits for a heredoc's body: buttons that run lines wait too.
    pub can_run: bool,
    pub on_action: Callback<PanelAction>,
}

/// The tab strip and the open panels.
#[function_component(Dock)]
pub fn dock(props: &DockProps) -> Html {
    let lang = props.lang;
    let front = props.panels.open.last().copied();
    // A panel that opens below the fold (a narrow screen stacks the dock under the scene)
    // scrolls into view.
    use_effect_with(front, |front| {
        let panel = front.and_then(|kind| {
            web_sys::window()?
                .document()?
                .get_element_by_id(&format!("panel-{}", kind.id()))
        });
        if let Some(panel) = panel {
            let below = panel.get_bounding_client_rect().top()
                > web_sys::window()
                    .and_then(|w| w.inner_height().ok())
                    .and_then(|h| h.as_f64())
                    .unwrap_or(f64::MAX);
            if below {
                panel.scroll_into_view_with_bool(false);
            }
        }
    });
    html! {
        <div class={ classes!("dock", (!props.panels.open.is_empty()).then_some("dock--open")) }
            data-open-panels={ props.panels.open.len().to_string() }>
            <div class="dock__tabs" role="tablist" aria-label={ text(lang, Msg::PanelsLabel) }>
                { for PanelKind::ALL.into_iter().map(|kind| {
                    let open = props.panels.is_open(kind);
                    html! {
                        <button type="button" role="tab" id={ format!("tab-{}", kind.id()) }
                            class={ classes!("dock__tab", open.then_some("is-open"), (front == Some(kind)).then_some("is-front")) }
                            data-panel-tab={ kind.id() } aria-selected={ open.to_string() }
                            aria-controls={ format!("panel-{}", kind.id()) }
                            onclick={ on_click(&props.on_action, PanelAction::Toggle(kind)) }>
                            { text(lang, kind.title()) }
                        </button>
                    }
                }) }
            </div>
            if !props.panels.open.is_empty() {
                <div class="dock__panels">
                    { for props.panels.open.iter().map(|kind| render_panel(props, *kind)) }
                </div>
            }
        </div>
    }
}

fn render_panel(props: &DockProps, kind: PanelKind) -> Html {
    let lang = props.lang;
    let body = match kind {
        PanelKind::Editor => html! {
            <editor::EditorPanel {lang} state={ props.panels.editor.clone() }
                can_run={ props.can_run } on_action={ props.on_action.clone() } />
        },
        PanelKind::Failures => html! {
            <failures::FailuresPanel {lang} session={ props.session.clone() } stamp={ props.stamp }
                confirm_reset={ props.panels.confirm_reset }
                can_run={ props.can_run } on_action={ props.on_action.clone() } />
        },
        PanelKind::Etcd => html! {
            <etcd::EtcdPanel {lang} session={ props.session.clone() } stamp={ props.stamp }
                prefix={ props.panels.etcd_prefix.clone() } etcd_key={ props.panels.etcd_key.clone() }
                on_action={ props.on_action.clone() } />
        },
        PanelKind::Inspector => html! {
            <inspector::InspectorPanel {lang} session={ props.session.clone() } stamp={ props.stamp }
                target={ props.panels.inspect.clone() } kind={ props.panels.inspect_kind.clone() }
                on_action={ props.on_action.clone() } />
        },
        PanelKind::Journey => html! {
            <journey::JourneyView {lang} session={ props.session.clone() } stamp={ props.stamp }
                pod={ props.panels.pod.clone() } on_action={ props.on_action.clone() } />
        },
        PanelKind::Scheduler => html! {
            <scheduler::SchedulerView {lang} session={ props.session.clone() } stamp={ props.stamp }
                pod={ props.panels.pod.clone() } attempt={ props.panels.attempt }
                on_action={ props.on_action.clone() } />
        },
    };
    html! {
        <section class="panel" role="tabpanel" id={ format!("panel-{}", kind.id()) }
            data-panel={ kind.id() } aria-labelledby={ format!("tab-{}", kind.id()) }>
            <header class="panel__head">
                <h2 class="panel__title">{ text(lang, kind.title()) }</h2>
                <button type="button" class="panel__close" aria-label={ text(lang, Msg::PanelClose) }
                    title={ text(lang, Msg::PanelClose) } data-panel-close={ kind.id() }
                    onclick={ on_click(&props.on_action, PanelAction::Close(kind)) }>
                    { "×" }
                </button>
            </header>
            <div class="panel__body">{ body }</div>
        </section>
    }
}
