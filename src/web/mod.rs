//! The Yew app: the only code that touches the DOM or browser storage.
//!
//! Mirrors: yew's `function_todomvc` shape: one action enum and one reducer own the UI state;
//! leaf components ([`vm::VmCard`], [`terminal::Terminal`]) take data and callbacks as props.
//! Simplified: the cluster is the static [`Topology::initial`] and the terminal answers every
//! line with a "not connected yet" note, until the core and the shell are wired in through
//! [`UiState::run_line`].

pub mod terminal;
pub mod vm;

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use yew::prelude::*;

use crate::present::i18n::{self, text, Lang, Msg};
use crate::present::topology::Topology;
use terminal::{Line, Terminal};
use vm::VmCard;

/// Where the chosen language is remembered between visits.
const LANG_STORAGE_KEY: &str = "kube-sandbox.lang";

/// The scrollback keeps this many lines; older ones scroll away, as in a real terminal.
pub const SCROLLBACK_LINES_MAX: usize = 500;

/// Runs when the wasm module is instantiated: mounts the app on `#app` if the page has one.
/// (Test pages have none, and mount the app themselves.)
#[wasm_bindgen(start)]
pub fn start() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    if let Some(root) = root {
        root.set_inner_html("");
        yew::Renderer::<App>::with_root(root).render();
    }
}

/// The language remembered from an earlier visit, if storage is readable and holds a known code.
pub fn stored_lang() -> Option<Lang> {
    let storage = web_sys::window()?.local_storage().ok()??;
    Lang::from_code(&storage.get_item(LANG_STORAGE_KEY).ok()??)
}

fn remember_lang(lang: Lang) {
    // Storage can be disabled (private mode, file://): the choice then lasts for this visit only.
    if let Some(Ok(Some(storage))) = web_sys::window().map(|w| w.local_storage()) {
        let _ = storage.set_item(LANG_STORAGE_KEY, lang.code());
    }
}

/// What the page shows and remembers, changed only by [`Action`]s.
#[derive(Clone, Debug, PartialEq)]
pub struct UiState {
    pub lang: Lang,
    pub topology: Topology,
    pub lines: Vec<Line>,
}

pub enum Action {
    SetLang(Lang),
    /// A line the user typed into the terminal and submitted.
    Submit(String),
}

impl UiState {
    pub fn new(lang: Lang) -> UiState {
        UiState {
            lang,
            topology: Topology::initial(),
            lines: vec![Line::Note(Msg::TerminalWelcome)],
        }
    }

    fn prompt(&self) -> String {
        self.topology
            .shell_host()
            .map(|vm| vm.prompt())
            .unwrap_or_default()
    }

    /// Echoes the line after the prompt, then its answer. The shell will take over here
    /// (`fn(&mut State, &str) -> String`); until then every non-empty line gets the same note.
    fn run_line(&mut self, line: &str) {
        self.lines.push(Line::Command {
            prompt: self.prompt(),
            text: line.to_string(),
        });
        if !line.trim().is_empty() {
            self.lines.push(Line::Note(Msg::NotConnected));
        }
        let overflow = self.lines.len().saturating_sub(SCROLLBACK_LINES_MAX);
        self.lines.drain(..overflow);
    }
}

impl Reducible for UiState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::SetLang(lang) => next.lang = lang,
            Action::Submit(line) => next.run_line(&line),
        }
        Rc::new(next)
    }
}

#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    /// Start in this language instead of the remembered one (tests use it).
    #[prop_or_default]
    pub lang: Option<Lang>,
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let initial = props.lang;
    let state = use_reducer(move || UiState::new(initial.or_else(stored_lang).unwrap_or_default()));
    let lang = state.lang;

    use_effect_with(lang, |lang| {
        remember_lang(*lang);
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            if let Some(html) = doc.document_element() {
                let _ = html.set_attribute("lang", lang.code());
            }
            doc.set_title(text(*lang, Msg::AppTitle));
        }
    });

    let on_submit = {
        let state = state.clone();
        Callback::from(move |line: String| state.dispatch(Action::Submit(line)))
    };
    let host = state.topology.shell_host();
    let prompt = host.map(|vm| vm.prompt()).unwrap_or_default();
    let title = i18n::terminal_title(lang, host.map(|vm| vm.name.as_str()).unwrap_or_default());

    html! {
        <div class="app" data-app-ready="true">
            <header class="topbar">
                <div class="brand">
                    <span class="brand__mark" aria-hidden="true">{ "⎈" }</span>
                    <div>
                        <h1 class="brand__title" id="app-title">{ text(lang, Msg::AppTitle) }</h1>
                        <p class="brand__tagline">{ text(lang, Msg::AppTagline) }</p>
                    </div>
                </div>
                <LangSwitch {lang} on_change={
                    let state = state.clone();
                    Callback::from(move |l| state.dispatch(Action::SetLang(l)))
                } />
            </header>
            <main class="cluster" aria-label={ text(lang, Msg::ClusterLabel) }>
                { for state.topology.vms.iter().map(|vm| html! {
                    <VmCard key={ vm.name.clone() } vm={ vm.clone() } {lang} />
                }) }
            </main>
            <Terminal {lang} {title} {prompt} lines={ state.lines.clone() } {on_submit} />
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct LangSwitchProps {
    pub lang: Lang,
    pub on_change: Callback<Lang>,
}

/// Korean / English, top right: one button per language, the current one pressed.
#[function_component(LangSwitch)]
pub fn lang_switch(props: &LangSwitchProps) -> Html {
    html! {
        <div class="lang-switch" role="group" aria-label={ text(props.lang, Msg::LanguageSwitchLabel) }>
            { for Lang::ALL.into_iter().map(|l| {
                let on_change = props.on_change.clone();
                let pressed = l == props.lang;
                html! {
                    <button type="button" lang={ l.code() } data-lang={ l.code() }
                        class={ classes!("lang-switch__option", pressed.then_some("is-active")) }
                        aria-pressed={ pressed.to_string() }
                        onclick={ Callback::from(move |_| on_change.emit(l)) }>
                        { l.endonym() }
                    </button>
                }
            }) }
        </div>
    }
}
