//! The Yew app: the only code that touches the DOM or browser storage.
//!
//! Mirrors: yew's `function_todomvc` shape: one action enum and one reducer own the UI state;
//! leaf components ([`vm::VmCard`], [`terminal::Terminal`]) take data and callbacks as props.
//! The terminal runs the same [`Shell`] as the native `kube-sandbox shell`, on the lab cluster
//! booted by [`Lab::boot`]; the VM cards show the live pods of [`ClusterView`].

pub mod terminal;
pub mod vm;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use yew::prelude::*;

use crate::present::cluster_view::ClusterView;
use crate::present::i18n::{self, text, Lang, Msg};
use crate::present::topology::Topology;
use crate::sim::kubectl::Shell;
use crate::sim::lab::Lab;
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

/// The seed of the lab the page boots: the same as the native shell's default, so a transcript
/// from `kube-sandbox shell` reads the same in the browser.
pub const LAB_SEED: u64 = 1;

/// The one shell (and through it the one cluster) of the page. Cloning the UI state shares it;
/// two states are equal when they share the same shell.
#[derive(Clone)]
pub struct SharedShell(pub Rc<RefCell<Shell<Lab>>>);

impl PartialEq for SharedShell {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for SharedShell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedShell")
    }
}

/// What the page shows and remembers, changed only by [`Action`]s.
#[derive(Clone, Debug, PartialEq)]
pub struct UiState {
    pub lang: Lang,
    pub topology: Topology,
    pub lines: Vec<Line>,
    pub shell: SharedShell,
    /// The live pods, re-read from the cluster after every command.
    pub view: ClusterView,
    /// `[root@master ~]#`, or `>` while a heredoc is being typed.
    pub prompt: String,
    /// The VM the terminal is on (`ssh node1` moves it).
    pub host: String,
}

pub enum Action {
    SetLang(Lang),
    /// A line the user typed into the terminal and submitted.
    Submit(String),
}

impl UiState {
    pub fn new(lang: Lang) -> UiState {
        let shell = Shell::new(Lab::boot(LAB_SEED));
        let view = ClusterView::of(shell.backend());
        let prompt = shell.prompt().trim_end().to_string();
        let host = shell.host().to_string();
        UiState {
            lang,
            topology: Topology::initial(),
            lines: vec![Line::Note(Msg::TerminalWelcome)],
            shell: SharedShell(Rc::new(RefCell::new(shell))),
            view,
            prompt,
            host,
        }
    }

    /// Echoes the line after the prompt it was typed at, runs it in the shell, shows what the
    /// shell printed (stderr apart, as a terminal colours it), then re-reads the live pods.
    fn run_line(&mut self, line: &str) {
        self.lines.push(Line::Command {
            prompt: self.prompt.clone(),
            text: line.to_string(),
        });
        let output = {
            let mut shell = self.shell.0.borrow_mut();
            let output = shell.run_line(line);
            self.prompt = shell.prompt().trim_end().to_string();
            self.host = shell.host().to_string();
            self.view = ClusterView::of(shell.backend());
            output
        };
        if output.clear_screen {
            self.lines.clear();
        }
        if !output.stdout.is_empty() {
            self.lines.push(Line::Output(output.stdout));
        }
        if !output.stderr.is_empty() {
            self.lines.push(Line::Error(output.stderr));
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
    let prompt = state.prompt.clone();
    let title = i18n::terminal_title(lang, &state.host);

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
                    <VmCard key={ vm.name.clone() } vm={ vm.clone() }
                        pods={ state.view.pods_on(&vm.name).to_vec() } {lang} />
                }) }
                if !state.view.unscheduled.is_empty() {
                    <vm::Unscheduled pods={ state.view.unscheduled.clone() } {lang} />
                }
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
