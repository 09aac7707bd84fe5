//! The Yew app: the only code that touches the DOM or browser storage.
//!
//! Mirrors: yew's `function_todomvc` and `game_of_life` shapes: one action enum and one reducer own
//! the UI state (an owned model: the [`Session`] and its [`Player`]); a timer moves the player;
//! leaf components ([`vm::VmCard`], [`terminal::Terminal`], [`player::PlayerBar`]) take data and
//! callbacks as props. Everything the page knows of the cluster comes through `present`: this
//! module imports nothing from `sim`.

pub mod flight;
pub mod keep;
#[cfg(feature = "lessons")]
pub mod lesson;
pub mod panels;
pub mod player;
pub mod terminal;
pub mod vm;

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::storage::{LocalStorage, Storage};
use gloo::timers::callback::Timeout;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::present::cluster_view::ClusterView;
use crate::present::i18n::{self, text, Lang, Msg};
#[cfg(feature = "lessons")]
use crate::present::lessons::{LessonRun, LessonsModel};
use crate::present::narration::{sentence, step_title};
use crate::present::player::{Player, PlayerAction};
use crate::present::scrollback::{Line, Scrollback};
use crate::present::session::Session;
use crate::present::timeline::{Detail, Place};
use crate::present::topology::Topology;
use panels::{Dock, PanelAction, PanelKind, Panels};
use terminal::Terminal;
use vm::VmCard;

/// Where the chosen language is remembered between visits.
const LANG_STORAGE_KEY: &str = "kube-sandbox.lang";
/// Where the speed and the animation switch are remembered.
const SPEED_STORAGE_KEY: &str = "kube-sandbox.speed";
const ANIMATE_STORAGE_KEY: &str = "kube-sandbox.animate";

/// Runs when the wasm module is instantiated: mounts the app on `#app` if the page has one.
/// (Test pages have none, and mount the app themselves.)
#[wasm_bindgen(start)]
pub fn start() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    if let Some(root) = root {
        root.set_text_content(None);
        let props = AppProps {
            keep: true,
            ..AppProps::default()
        };
        yew::Renderer::<App>::with_root_and_props(root, props).render();
    }
}

/// The language remembered from an earlier visit, if storage is readable and holds a known code.
pub fn stored_lang() -> Option<Lang> {
    let code: String = LocalStorage::get(LANG_STORAGE_KEY).ok()?;
    Lang::from_code(&code)
}

/// A performance mark the page benchmark reads (`terminal-ready`, `lab-booted`).
fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

/// The page benchmark's clock (`performance.now()`, the long tasks' timeline), with the Cargo
/// feature `page-marks` only: without it, 0 and nothing is recorded.
#[cfg(feature = "page-marks")]
pub(crate) fn span_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

#[cfg(not(feature = "page-marks"))]
#[inline(always)]
pub(crate) fn span_now() -> f64 {
    0.0
}

/// Records `[name, start, now]` in `window.__spans` for the page benchmark (feature
/// `page-marks`), which sets the spans beside the long tasks they fall in.
#[cfg(feature = "page-marks")]
pub(crate) fn span(name: &str, start: f64) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let end = span_now();
    let key = JsValue::from_str("__spans");
    let spans = match js_sys::Reflect::get(&window, &key)
        .ok()
        .and_then(|v| v.dyn_into::<js_sys::Array>().ok())
    {
        Some(spans) => spans,
        None => {
            let spans = js_sys::Array::new();
            let _ = js_sys::Reflect::set(&window, &key, &spans);
            spans
        }
    };
    spans.push(&js_sys::Array::of3(
        &JsValue::from_str(name),
        &JsValue::from_f64(start),
        &JsValue::from_f64(end),
    ));
}

#[cfg(not(feature = "page-marks"))]
#[inline(always)]
pub(crate) fn span(_name: &str, _start: f64) {}

/// Fetches `url` (relative to the page) and hands its text to `done`, or None when it could not
/// be fetched or read. With promise callbacks rather than futures: no executor for a fetch in
/// the page (about 575 bytes of gzip less than JsFuture on spawn_local, measured with
/// `explain.txt`). Each callback runs once; they are left to the page (a few bytes).
fn fetch_text(url: &str, done: impl Fn(Option<String>) + 'static) {
    let done = Rc::new(done);
    // A rejected fetch or body read hands over an error, which is no string: None.
    let callback = |done: Rc<dyn Fn(Option<String>)>| {
        Closure::<dyn FnMut(JsValue)>::new(move |v: JsValue| done(v.as_string()))
    };
    let (failed, finish) = (callback(done.clone()), callback(done.clone()));
    let response = Closure::<dyn FnMut(JsValue)>::new(move |r: JsValue| {
        let text = r
            .dyn_into::<web_sys::Response>()
            .ok()
            .filter(web_sys::Response::ok);
        match text.and_then(|r| r.text().ok()) {
            Some(text) => drop(text.then2(&finish, &finish)),
            None => done(None),
        }
    });
    if let Some(window) = web_sys::window() {
        drop(window.fetch_with_str(url).then2(&response, &failed));
    }
    response.forget();
    failed.forget();
}

/// Fetches the lesson list, then each lesson file it names, from the same host (on demand:
/// when the picker first opens, or at once for a restored lesson in progress).
#[cfg(feature = "lessons")]
fn fetch_lessons(state: &UseReducerHandle<UiState>) {
    let model = state.lessons.0.clone();
    let index = model.index_url();
    let state = state.clone();
    fetch_text(&index.clone(), move |text| {
        let files = text
            .as_deref()
            .and_then(|t| crate::present::lessons::pack_index(&index, t).ok())
            .unwrap_or_default();
        state.dispatch(Action::Lesson(lesson::LessonAction::IndexLoaded(text)));
        for file in files {
            let state = state.clone();
            let url = model.file_url(&file);
            fetch_text(&url, move |text| {
                state.dispatch(Action::Lesson(lesson::LessonAction::FileLoaded(
                    file.clone(),
                    text,
                )))
            });
        }
    });
}

/// Fetches `explain.txt` (beside `index.html`; kept out of the wasm, see docs/build.md) the
/// first time a line needs it, then runs that line: kubectl explain's answer shows when the
/// docs have arrived, or its "not loaded" error if they could not be fetched.
fn fetch_explain_docs(state: UseReducerHandle<UiState>, then: impl Fn() -> Action + 'static) {
    // The docs go to the session (no line runs meanwhile), then the line runs as typed.
    fetch_text("explain.txt", move |docs| {
        if let Some(docs) = docs {
            state.session.0.borrow_mut().set_explain_docs(docs);
        }
        state.dispatch(then())
    });
}

/// Storage can be disabled (private mode, file://): a choice then lasts for this visit only.
fn remember<T: serde::Serialize>(key: &str, value: T) {
    let _ = LocalStorage::set(key, value);
}

/// The size of the module's linear memory, for the page benchmark (`data-wasm-memory`).
fn wasm_memory_bytes() -> u32 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .dyn_into::<js_sys::ArrayBuffer>()
                .map(|b| b.byte_length())
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

/// The player as the student left it: speed and the animation switch.
fn stored_player() -> Player {
    let mut player = Player::default();
    if let Ok(speed) = LocalStorage::get::<usize>(SPEED_STORAGE_KEY) {
        player.speed = speed.min(crate::present::player::SPEEDS.len() - 1);
    }
    if let Ok(animate) = LocalStorage::get::<bool>(ANIMATE_STORAGE_KEY) {
        player.animate = animate;
    }
    player
}

/// The seed of the lab the page boots: the same as the native shell's default, so a transcript
/// from `kube-sandbox shell` reads the same in the browser.
pub const LAB_SEED: u64 = 1;

/// The one session (and through it the one cluster) of the page. Cloning the UI state shares it;
/// two states are equal when they share the same session.
#[derive(Clone)]
pub struct SharedSession(pub Rc<RefCell<Session>>);

impl PartialEq for SharedSession {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for SharedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedSession")
    }
}

/// What the page shows and remembers, changed only by [`Action`]s.
#[derive(Clone, Debug, PartialEq)]
pub struct UiState {
    pub lang: Lang,
    pub topology: Topology,
    /// Shared with the terminal's view, copied only when a line is added.
    pub scrollback: Rc<Scrollback>,
    pub session: SharedSession,
    pub player: Player,
    /// The scene at the playhead, read when the playhead moves.
    pub view: ClusterView,
    /// `[root@master ~]#`, or `>` while a heredoc is being typed.
    pub prompt: String,
    /// The VM the terminal is on (`ssh node1` moves it).
    pub host: String,
    /// How many beats the timeline has (the session's, cached for rendering).
    pub beats: usize,
    /// The cluster is still working on the last line; counts the slices run so far, so each
    /// slice schedules the next.
    pub working: Option<u64>,
    /// The line's work settled in the last slice (its first beat): the player moves to it, and
    /// the scene is read, in the next task, not after the slice (at 1,000 pods the scene is
    /// tens of ms, a slice is up to 12).
    pub finished: Option<usize>,
    /// The look-inside panels: which are open, and what they are about.
    pub panels: Panels,
    /// Autosave, restore, export, import, share ([`keep`]).
    pub keep: keep::Keep,
    /// The lesson picker and the lesson in progress: shared between states (the reducer clones
    /// the state at every beat), copied only when a lesson action changes it.
    #[cfg(feature = "lessons")]
    pub lessons: SharedLessons,
}

/// The lessons' model behind an `Rc`: two states are equal when they share it.
#[cfg(feature = "lessons")]
#[derive(Clone, Debug, Default)]
pub struct SharedLessons(pub Rc<LessonsModel>);

#[cfg(feature = "lessons")]
impl PartialEq for SharedLessons {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[cfg(feature = "lessons")]
impl std::ops::Deref for SharedLessons {
    type Target = LessonsModel;
    fn deref(&self) -> &LessonsModel {
        &self.0
    }
}

#[cfg(feature = "lessons")]
impl SharedLessons {
    fn edit(&mut self) -> &mut LessonsModel {
        Rc::make_mut(&mut self.0)
    }
}

pub enum Action {
    SetLang(Lang),
    /// A line the user typed into the terminal and submitted.
    Submit(String),
    Player(PlayerAction),
    /// Run a slice of the cluster's work on the last line.
    Work,
    /// Unfold (true) or fold the apiserver's stages and the bookkeeping requests.
    AllStages(bool),
    Panel(PanelAction),
    #[cfg(feature = "lessons")]
    Lesson(lesson::LessonAction),
    /// Escape: closes the panel in front.
    CloseFrontPanel,
    /// Keeping the work: restore, notices, a new session.
    Keep(keep::KeepAction),
}

/// How long one slice of the cluster's work may keep the main thread, in milliseconds: well
/// under a frame's 16 ms budget would starve the simulation; over 50 ms is a long task.
const WORK_SLICE_MS: f64 = 12.0;

/// How many pods of the scene at a line's end one task decodes (about 40 µs each in the page:
/// a slice's worth).
const SCENE_PODS_PER_TASK: usize = 250;

impl UiState {
    pub fn new(lang: Lang) -> UiState {
        UiState::with_seed(lang, LAB_SEED)
    }

    /// A fresh lab from `seed`: the first frame shows its VMs while the boot runs in slices.
    pub fn with_seed(lang: Lang, seed: u64) -> UiState {
        UiState::with_session(lang, Session::starting(seed))
    }

    /// The page on `session` (a fresh lab, or a lesson's start).
    pub fn with_session(lang: Lang, session: Session) -> UiState {
        let working = session.busy().then_some(0);
        let view = session.scene(0);
        let prompt = session.prompt();
        let host = session.host();
        UiState {
            lang,
            topology: Topology::initial(),
            scrollback: Rc::new({
                let mut s = Scrollback::new();
                s.push(Line::Note(Msg::TerminalWelcome));
                s
            }),
            session: SharedSession(Rc::new(RefCell::new(session))),
            player: stored_player(),
            view,
            prompt,
            host,
            beats: 0,
            working,
            finished: None,
            panels: Panels::default(),
            keep: keep::Keep::default(),
            #[cfg(feature = "lessons")]
            lessons: SharedLessons(Rc::new(LessonsModel::new(
                crate::present::lessons::pack_dir(
                    &web_sys::window()
                        .and_then(|w| w.location().search().ok())
                        .unwrap_or_default(),
                ),
            ))),
        }
    }

    #[cfg(feature = "lessons")]
    fn lesson(&mut self, action: lesson::LessonAction) {
        use lesson::LessonAction;
        match action {
            LessonAction::TogglePicker => {
                let model = self.lessons.edit();
                model.picker_open = !model.picker_open;
            }
            LessonAction::IndexLoaded(text) => {
                self.lessons.edit().index_loaded(text.as_deref());
                self.lesson_resume();
            }
            LessonAction::FileLoaded(file, text) => {
                self.lessons.edit().file_loaded(&file, text.as_deref());
                self.lesson_resume();
            }
            LessonAction::Start(id) => {
                let Some(found) = self.lessons.lesson(&id).cloned() else {
                    return;
                };
                let (session, run) = LessonRun::start(found, js_sys::Date::now());
                let mut lessons = std::mem::take(&mut self.lessons);
                let model = lessons.edit();
                model.run = Some(run);
                model.picker_open = false;
                self.replace_session_with(session);
                self.lessons = lessons;
                // The lesson's lab is the session now: it is what the page keeps (saved at once).
                self.keep.replay = None;
                self.keep.saved_inputs = None;
                self.beats = self.session.0.borrow().timeline().len();
                self.move_player(PlayerAction::Live);
            }
            LessonAction::Hint => {
                if let Some(run) = &mut self.lessons.edit().run {
                    run.reveal_hint();
                }
            }
            LessonAction::Check => self.lesson_check(),
            LessonAction::Leave => self.lessons.edit().run = None,
        }
        self.keep_lesson_progress();
    }

    /// A saved lesson carries on once the restored lab is back and its file has arrived.
    #[cfg(feature = "lessons")]
    fn lesson_resume(&mut self) {
        if self.working.is_some() || self.lessons.pending.is_none() {
            return;
        }
        let session = self.session.clone();
        self.lessons.edit().resume(&session.0.borrow());
    }

    /// Hands the lesson's place to the session, which the page saves with its inputs.
    #[cfg(feature = "lessons")]
    fn keep_lesson_progress(&mut self) {
        if self.lessons.pending.is_some() {
            return;
        }
        let progress = self.lessons.run.as_ref().map(LessonRun::progress);
        self.session.0.borrow_mut().set_lesson_progress(progress);
    }

    /// Runs the lesson's checks once the cluster is done with the last line.
    fn lesson_check(&mut self) {
        #[cfg(feature = "lessons")]
        {
            self.lesson_resume();
            self.lesson_check_now();
            self.keep_lesson_progress();
        }
    }

    #[cfg(feature = "lessons")]
    fn lesson_check_now(&mut self) {
        if self.working.is_some() || self.lessons.run.is_none() {
            return;
        }
        let session = self.session.clone();
        if let Some(run) = &mut self.lessons.edit().run {
            run.check(&session.0.borrow(), js_sys::Date::now());
        }
    }

    /// Echoes the line after the prompt it was typed at, runs it, shows what the shell printed
    /// (stderr apart, as a terminal colours it), then lets the player animate what it did.
    fn run_line(&mut self, line: &str) -> crate::present::session::TerminalOutput {
        self.echo(line);
        let (output, first) = {
            let mut session = self.session.0.borrow_mut();
            let result = session.submit_line(line);
            self.prompt = session.prompt();
            self.host = session.host();
            result
        };
        if let Some(text) = &output.edit {
            // kubectl edit: the object opens in the editor, as in $EDITOR.
            let editor = &mut self.panels.editor;
            editor.text = text.clone();
            editor.editing = Some(line.to_string());
            editor.markers.clear();
            editor.answer = None;
            self.panels.open(PanelKind::Editor);
        }
        self.show_output(&output, first);
        output
    }

    /// The line in the terminal, after the prompt it was typed at.
    fn echo(&mut self, line: &str) {
        Rc::make_mut(&mut self.scrollback).push(Line::Command {
            prompt: Rc::from(self.prompt.as_str()),
            text: Rc::from(line),
        });
    }

    /// What the shell printed, in the terminal: `clear` wipes the screen first; stderr apart, as
    /// a terminal colours it.
    fn print(&mut self, output: &crate::present::session::TerminalOutput) {
        let scrollback = Rc::make_mut(&mut self.scrollback);
        if output.clear_screen {
            scrollback.clear();
        }
        if !output.stdout.is_empty() {
            scrollback.push(Line::Output(Rc::from(output.stdout.as_str())));
        }
        if !output.stderr.is_empty() {
            scrollback.push(Line::Error(Rc::from(output.stderr.as_str())));
        }
    }

    /// What a line (or an editor's save) printed, in the terminal, and its beats to the player.
    fn show_output(
        &mut self,
        output: &crate::present::session::TerminalOutput,
        first: Option<usize>,
    ) {
        self.print(output);
        {
            let session = self.session.0.borrow();
            self.beats = session.timeline().len();
            self.working = session.busy().then_some(0);
        }
        if let Some(first) = first {
            self.move_player(PlayerAction::CommandRan { first });
        }
    }

    fn panel(&mut self, action: PanelAction) {
        use crate::present::editor::{apply_line, markers, EDITOR_FILE, EXAMPLES};
        match action {
            PanelAction::Toggle(kind) => {
                if self.panels.open.last() == Some(&kind) {
                    self.panels.close(kind);
                } else {
                    self.panels.open(kind);
                }
            }
            PanelAction::Close(kind) => self.panels.close(kind),
            PanelAction::PickPod(pod) => {
                if self.panels.pod.as_ref() != Some(&pod) {
                    self.panels.attempt = None;
                }
                self.panels.pod = Some(pod);
                self.panels.open(PanelKind::Journey);
            }
            PanelAction::ScheduleOf(pod) => {
                if self.panels.pod.as_ref() != Some(&pod) {
                    self.panels.attempt = None;
                }
                self.panels.pod = Some(pod);
                self.panels.open(PanelKind::Scheduler);
            }
            PanelAction::Inspect(key) => {
                self.panels.inspect = Some(key);
                self.panels.open(PanelKind::Inspector);
            }
            PanelAction::InspectNone => self.panels.inspect = None,
            PanelAction::InspectKind(kind) => self.panels.inspect_kind = Some(kind),
            PanelAction::EtcdPrefix(prefix) => {
                self.panels.etcd_prefix = (!prefix.is_empty()).then_some(prefix)
            }
            PanelAction::EtcdKey(key) => self.panels.etcd_key = Some(key),
            PanelAction::EtcdKeyOpen(key) => {
                self.panels.etcd_prefix = key.rsplit_once('/').map(|(p, _)| format!("{p}/"));
                self.panels.etcd_key = Some(key);
                self.panels.open(PanelKind::Etcd);
            }
            PanelAction::EditorText(text) => self.panels.editor.text = text,
            PanelAction::EditorExample(i) => {
                if let Some(example) = EXAMPLES.get(i) {
                    self.panels.editor.text = example.text.to_string();
                    self.panels.editor.markers.clear();
                    self.panels.editor.answer = None;
                }
            }
            PanelAction::EditorApply => {
                let text = self.panels.editor.text.clone();
                let saved = self.session.0.borrow_mut().write_file(EDITOR_FILE, &text);
                let (stdout, stderr) = match saved {
                    Ok(()) => {
                        let out = self.run_line(&apply_line());
                        (out.stdout, out.stderr)
                    }
                    Err(message) => (String::new(), message),
                };
                self.panels.editor.markers = markers(&text, &stderr);
                self.panels.editor.answer = Some((stdout, stderr));
            }
            PanelAction::EditorSave => {
                let text = self.panels.editor.text.clone();
                let (output, first) = self.session.0.borrow_mut().save_edit(&text);
                self.show_output(&output, first);
                let editor = &mut self.panels.editor;
                editor.markers = markers(&text, &output.stderr);
                if output.exit_code == 0 {
                    editor.editing = None;
                }
                editor.answer = Some((output.stdout, output.stderr));
            }
            PanelAction::EditorCancel => {
                let output = self.session.0.borrow_mut().cancel_edit();
                self.show_output(&output, None);
                self.panels.editor.editing = None;
                self.panels.editor.answer = Some((output.stdout, output.stderr));
            }
            PanelAction::Run(line) => {
                self.run_line(&line);
            }
            PanelAction::Seek(played) => self.move_player(PlayerAction::Seek(played)),
            PanelAction::Attempt(n) => self.panels.attempt = Some(n),
            PanelAction::AskReset(ask) => self.panels.confirm_reset = ask,
            PanelAction::Reset(seed) => {
                let panels = Panels {
                    confirm_reset: false,
                    pod: None,
                    attempt: None,
                    inspect: None,
                    inspect_kind: None,
                    etcd_prefix: None,
                    etcd_key: None,
                    ..self.panels.clone()
                };
                let (player, keep) = (self.player, std::mem::take(&mut self.keep));
                #[cfg(feature = "lessons")]
                let mut lessons = std::mem::take(&mut self.lessons);
                #[cfg(feature = "lessons")]
                {
                    lessons.edit().run = None;
                }
                *self = UiState::with_seed(self.lang, seed);
                self.player.speed = player.speed;
                self.player.animate = player.animate;
                self.panels = panels;
                #[cfg(feature = "lessons")]
                {
                    self.lessons = lessons;
                }
                // The new lab is saved as it is, in place of the old session.
                self.keep = keep::Keep {
                    saved_inputs: None,
                    replay: None,
                    ..keep
                };
            }
        }
    }

    /// One slice of the cluster's work: rounds of the simulation until the slice's time is up or
    /// the line's work has settled (then its beats play).
    fn work(&mut self) {
        if self.replaying() {
            return self.replay_slice();
        }
        if self.finished.is_some() {
            return self.finish(false);
        }
        let started = js_sys::Date::now();
        let slice_start = span_now();
        let was_booting = self.session.0.borrow().booting();
        let done = {
            let mut session = self.session.0.borrow_mut();
            loop {
                // One round at a time: a round can take a few ms (the boot's first ones most),
                // and the slice's time is checked after each.
                let round_start = span_now();
                let round = session.work(1);
                if span_now() - round_start > 10.0 {
                    span(
                        if round.is_some() {
                            "last round"
                        } else {
                            "round"
                        },
                        round_start,
                    );
                }
                if let Some(first) = round {
                    break Some(first);
                }
                if !session.busy() {
                    break None;
                }
                if js_sys::Date::now() - started > WORK_SLICE_MS {
                    break None;
                }
            }
        };
        let session = self.session.0.borrow();
        if was_booting && !session.booting() {
            mark("lab-booted");
        }
        // One more task when the line settled: its scene.
        let more = session.busy() || done.is_some();
        self.working = more.then(|| self.working.unwrap_or(0) + 1);
        self.beats = session.timeline().len();
        if was_booting {
            // While the lab boots the scene is the live cluster: the boot as it goes.
            self.view = session.scene(0);
        }
        drop(session);
        span("slice", slice_start);
        self.finished = done;
    }

    /// The end of a line's work, a task after its last slice: the player moves to its beats and
    /// the scene at the new playhead is read.
    fn finish(&mut self, at_once: bool) {
        let Some(first) = self.finished else {
            return;
        };
        let scene = span_now();
        // The scene's pods are decoded a task's share at a time first (`SCENE_PODS_PER_TASK`),
        // unless a line is waiting (`at_once`).
        let mut player = self.player;
        let warm = {
            let session = self.session.0.borrow();
            player.apply(PlayerAction::CommandRan { first }, session.timeline());
            at_once || session.warm_scene(player.played, SCENE_PODS_PER_TASK)
        };
        if !warm {
            self.working = Some(self.working.unwrap_or(0) + 1);
            span("warm", scene);
            return;
        }
        self.finished = None;
        self.working = self.session.0.borrow().busy().then_some(0);
        self.move_player(PlayerAction::CommandRan { first });
        span("scene", scene);
    }

    fn move_player(&mut self, action: PlayerAction) {
        let before = self.player.played;
        {
            let session = self.session.0.borrow();
            self.player.apply(action, session.timeline());
            if self.player.played != before || matches!(action, PlayerAction::CommandRan { .. }) {
                self.view = session.scene(self.player.played);
            }
        }
        match action {
            PlayerAction::Faster | PlayerAction::Slower | PlayerAction::Speed(_) => {
                remember(SPEED_STORAGE_KEY, self.player.speed)
            }
            PlayerAction::SetAnimate(on) => remember(ANIMATE_STORAGE_KEY, on),
            _ => {}
        }
    }
}

impl Reducible for UiState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let clone = span_now();
        let mut next = (*self).clone();
        span("clone", clone);
        let runs = matches!(
            action,
            Action::Submit(_)
                | Action::Panel(
                    PanelAction::Run(_)
                        | PanelAction::EditorApply
                        | PanelAction::EditorSave
                        | PanelAction::EditorCancel
                )
        );
        if runs {
            // What the student does next comes after the whole restored session, and after the
            // last line's end.
            while next.replaying() && !next.keep.wants_docs {
                next.replay_slice();
            }
            next.finish(true);
        }
        match action {
            Action::Keep(action) => next.keep_action(action),
            Action::SetLang(lang) => next.lang = lang,
            Action::Submit(line) => {
                let submit = span_now();
                #[cfg(feature = "lessons")]
                if next.lessons.run.is_some() {
                    if let Some(run) = &mut next.lessons.edit().run {
                        run.record_line(&line);
                    }
                }
                next.run_line(&line);
                next.lesson_check();
                span("submit", submit);
            }
            #[cfg(feature = "lessons")]
            Action::Lesson(action) => next.lesson(action),
            Action::Panel(action) => next.panel(action),
            Action::CloseFrontPanel => {
                if let Some(kind) = next.panels.open.last().copied() {
                    next.panels.close(kind);
                }
            }
            Action::Player(action) => next.move_player(action),
            Action::Work => {
                next.work();
                next.lesson_check();
            }
            Action::AllStages(all) => {
                let detail = if all { Detail::Full } else { Detail::Folded };
                let played = next
                    .session
                    .0
                    .borrow_mut()
                    .set_detail(detail, next.player.played);
                next.beats = next.session.0.borrow().timeline().len();
                next.move_player(PlayerAction::Seek(played));
            }
        }
        let autosave = span_now();
        next.autosave();
        span("autosave", autosave);
        Rc::new(next)
    }
}

#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    /// Start in this language instead of the remembered one (tests use it).
    #[prop_or_default]
    pub lang: Option<Lang>,
    /// Autosave and restore the session (the page does; test pages do not).
    #[prop_or_default]
    pub keep: bool,
}

/// The keys of the player, when focus is not in a text field: space, ← →, PgUp/PgDn, Home, End.
fn player_key(event: &KeyboardEvent) -> Option<PlayerAction> {
    let target = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
    let tag = target.as_ref().map(|t| t.tag_name()).unwrap_or_default();
    if matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT") {
        return None;
    }
    if event.ctrl_key() || event.meta_key() || event.alt_key() {
        return None;
    }
    let action = match event.key().as_str() {
        " " if tag != "BUTTON" => PlayerAction::TogglePlay,
        "ArrowLeft" if event.shift_key() => PlayerAction::PreviousStep,
        "ArrowRight" if event.shift_key() => PlayerAction::NextStep,
        "ArrowLeft" => PlayerAction::Back,
        "ArrowRight" => PlayerAction::Forward,
        "PageUp" => PlayerAction::PreviousStep,
        "PageDown" => PlayerAction::NextStep,
        "Home" => PlayerAction::Start,
        "End" => PlayerAction::Live,
        _ => return None,
    };
    Some(action)
}

/// The page benchmark's span from `start` to the render's effects (feature `page-marks`).
#[cfg(feature = "page-marks")]
#[hook]
fn use_render_span(start: f64) {
    use_effect(move || span("render", start));
}

#[cfg(not(feature = "page-marks"))]
#[hook]
fn use_render_span(_start: f64) {}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    // The page benchmark's spans: this function, and from its start to its effects (after the
    // DOM commit and the children's renders).
    let render = span_now();
    use_render_span(render);
    let (initial, keep) = (props.lang, props.keep);
    let state = use_reducer(move || {
        let mut state = UiState::new(initial.or_else(stored_lang).unwrap_or_default());
        if keep {
            state.keep_on_load();
        }
        state
    });
    let lang = state.lang;

    use_effect_with(lang, |lang| {
        remember(LANG_STORAGE_KEY, lang.code());
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            if let Some(html) = doc.document_element() {
                let _ = html.set_attribute("lang", lang.code());
            }
            doc.set_title(text(*lang, Msg::AppTitle));
        }
    });

    // The player's clock: while playing, one timeout per beat, for the beat's time at this speed.
    {
        let beat_ms = state
            .player
            .beat_ms(state.session.0.borrow().timeline())
            .unwrap_or(16);
        let state = state.clone();
        use_effect_with((state.player, state.beats), move |(player, _)| {
            let timeout = player.playing.then(|| {
                Timeout::new(beat_ms, move || {
                    state.dispatch(Action::Player(PlayerAction::Elapsed))
                })
            });
            move || drop(timeout)
        });
    }

    // The cluster's work on the last line, one slice per task, so frames keep coming.
    {
        let state = state.clone();
        use_effect_with(state.working, move |working| {
            let timeout = working.map(|_| {
                Timeout::new(0, move || {
                    let dispatch = span_now();
                    state.dispatch(Action::Work);
                    span("dispatch", dispatch);
                })
            });
            move || drop(timeout)
        });
    }

    // For the page benchmark: when the terminal first is on screen.
    use_effect_with((), |_| mark("terminal-ready"));

    // A share link's state, read after the first frame; explain's docs for a replayed line.
    {
        let state = state.clone();
        use_effect_with(keep, move |keep| {
            let keep = *keep;
            if keep {
                keep::open_share_link(state.clone());
            }
            // A share link pasted into the address bar of an open page changes only the
            // fragment: no load, so the page reads it when it changes.
            let listener = keep.then(|| {
                web_sys::window().map(|w| {
                    EventListener::new(&w, "hashchange", move |_| {
                        keep::open_share_link(state.clone())
                    })
                })
            });
            move || drop(listener)
        });
    }
    {
        let state = state.clone();
        use_effect_with(state.keep.wants_docs, move |wants| {
            if *wants {
                keep::fetch_docs_for_replay(state);
            }
        });
    }

    // The player's keys, anywhere on the page outside a text field.
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
                let options = EventListenerOptions::enable_prevent_default();
                EventListener::new_with_options(&doc, "keydown", options, move |event| {
                    let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
                        return;
                    };
                    if event.key() == "Escape" {
                        state.dispatch(Action::CloseFrontPanel);
                        return;
                    }
                    if let Some(action) = player_key(event) {
                        event.prevent_default();
                        state.dispatch(Action::Player(action));
                    }
                })
            });
            move || drop(listener)
        });
    }

    let on_submit = {
        let state = state.clone();
        Callback::from(move |line: String| {
            // For the page benchmark: the long tasks after this one are the cluster's work.
            mark("line-submitted");
            if state.session.0.borrow().wants_explain_docs(&line) {
                fetch_explain_docs(state.clone(), move || Action::Submit(line.clone()));
            } else {
                state.dispatch(Action::Submit(line));
            }
        })
    };
    let on_panel = {
        let state = state.clone();
        Callback::from(move |action: PanelAction| state.dispatch(Action::Panel(action)))
    };
    let on_pick = {
        let state = state.clone();
        Callback::from(move |pod: String| state.dispatch(Action::Panel(PanelAction::PickPod(pod))))
    };
    #[cfg(feature = "lessons")]
    let on_lesson = {
        let state = state.clone();
        Callback::from(move |action: lesson::LessonAction| {
            let first_open = matches!(action, lesson::LessonAction::TogglePicker)
                && state.lessons.files.is_none();
            if first_open {
                fetch_lessons(&state);
            }
            state.dispatch(Action::Lesson(action));
        })
    };
    // A restored session with a lesson in progress: its list and files are fetched at once.
    #[cfg(feature = "lessons")]
    {
        let state = state.clone();
        let wanted = state.lessons.pending.is_some() && state.lessons.files.is_none();
        use_effect_with(wanted, move |wanted| {
            if *wanted {
                fetch_lessons(&state);
            }
        });
    }
    let on_player = {
        let state = state.clone();
        Callback::from(move |action: PlayerAction| state.dispatch(Action::Player(action)))
    };
    // The lessons' button and panel; a build without them (Cargo feature `lessons`, which the
    // shipped page has: docs/build.md) shows neither.
    #[cfg(feature = "lessons")]
    let (lesson_toggle, lesson_panel) = (
        html! {
            <button type="button" class={ classes!("lesson-toggle", (state.lessons.picker_open || state.lessons.run.is_some()).then_some("is-active")) }
                data-lessons-toggle="" onclick={
                    let on_lesson = on_lesson.clone();
                    Callback::from(move |_| on_lesson.emit(lesson::LessonAction::TogglePicker))
                }>
                { crate::present::lessons::words(lang, crate::present::lessons::Words::Lessons) }
            </button>
        },
        html! {
            <lesson::LessonPanel {lang} model={ state.lessons.0.clone() }
                busy={ state.working.is_some() } on_action={ on_lesson.clone() } />
        },
    );
    #[cfg(not(feature = "lessons"))]
    let (lesson_toggle, lesson_panel) = (Html::default(), Html::default());
    let prompt = state.prompt.clone();
    let title = i18n::terminal_title(lang, &state.host);

    let session = state.session.0.borrow();
    let timeline = session.timeline();
    let player = state.player;
    let current = player.current().and_then(|i| timeline.beats.get(i));
    let step = player.step(timeline);
    let live = player.is_live(timeline);
    // The places the beat in play touches: lit on the cards.
    let active: Rc<Vec<String>> = Rc::new(match current {
        Some(beat) if !live || player.playing => std::iter::once(&beat.from)
            .chain(beat.to.iter())
            .map(Place::id)
            .collect(),
        _ => Vec::new(),
    });
    let narration = match current {
        None => text(lang, Msg::NarrationIdle).to_string(),
        Some(beat) => sentence(lang, beat),
    };
    let wait = current
        .filter(|b| b.waited_ticks >= 1000)
        .map(|b| crate::present::narration::duration(b.waited_ticks));
    // At live with nothing playing, nothing is in flight (a dot left over would sit where the
    // last beat ended, even after the layout moved).
    let flight = current
        .filter(|_| player.animate && (player.playing || !live))
        .map(|beat| flight::FlightSpec {
            key: player.played,
            from: beat.from.id(),
            to: beat.to.iter().map(Place::id).collect(),
            label: flight::label(beat),
            ms: player.beat_ms(timeline).unwrap_or(600),
            kind: beat.kind.name(),
        });

    let html = html! {
        <div class="app" data-app-ready="true" data-wasm-memory={ wasm_memory_bytes().to_string() }>
            <header class="topbar">
                <div class="brand">
                    <span class="brand__mark" aria-hidden="true">{ "⎈" }</span>
                    <div>
                        <h1 class="brand__title" id="app-title">{ text(lang, Msg::AppTitle) }</h1>
                        <p class="brand__tagline">{ text(lang, Msg::AppTagline) }</p>
                    </div>
                </div>
                { lesson_toggle }
                if props.keep {
                    <keep::KeepBar {lang} state={ state.clone() } />
                }
                <LangSwitch {lang} on_change={
                    let state = state.clone();
                    Callback::from(move |l| state.dispatch(Action::SetLang(l)))
                } />
            </header>
            <div class="workspace">
                <section class="stage">
                    <div class="narration" aria-live="polite" data-narration="">
                        if let Some(step) = step {
                            <span class="narration__step" data-narration-step={ step.to_string() }>
                                { format!("{} {step}", text(lang, Msg::Step)) }
                            </span>
                            <span class="narration__title">{ step_title(lang, step) }</span>
                        }
                        <p class="narration__text">
                            { narration }
                            if let Some(wait) = wait {
                                <span class="narration__wait">{ format!(" ⏱ {wait} ({})", text(lang, Msg::SimulatedWait)) }</span>
                            }
                        </p>
                    </div>
                    <main class="cluster" aria-label={ text(lang, Msg::ClusterLabel) }>
                        { for state.topology.vms.iter().map(|vm| html! {
                            <VmCard key={ vm.name.clone() } vm={ vm.clone() }
                                node={ state.view.nodes.get(&vm.name).cloned() }
                                pods={ state.view.pods_on(&vm.name).to_vec() }
                                active={ active.clone() } {lang} on_pick={ on_pick.clone() }
                                picked={ state.panels.pod.clone() } />
                        }) }
                    </main>
                    <div class="outside">
                        <div class={ classes!("registry", active.contains(&"registry".to_string()).then_some("is-active")) }
                            data-place="registry">
                            { text(lang, Msg::Registry) }
                        </div>
                        if !state.view.unscheduled.is_empty() {
                            <vm::Unscheduled pods={ state.view.unscheduled.clone() } {lang}
                                on_pick={ on_pick.clone() } picked={ state.panels.pod.clone() } />
                        }
                    </div>
                    <player::PlayerBar {lang} {player} beats={ timeline.len() } {step}
                        commands={ timeline.commands.iter().map(|c| c.first).collect::<Vec<_>>() }
                        first_kept={ timeline.first_kept }
                        all_stages={ session.detail() == Detail::Full }
                        on_all_stages={
                            let state = state.clone();
                            Callback::from(move |all| state.dispatch(Action::AllStages(all)))
                        }
                        on_action={ on_player } />
                </section>
                <aside class="side">
                    { lesson_panel }
                    <Dock {lang} panels={ state.panels.clone() } session={ state.session.clone() }
                        stamp={ (state.beats, state.working.is_some()) }
                        can_run={ state.prompt != ">" } on_action={ on_panel } />
                    <Terminal {lang} {title} {prompt} scrollback={ state.scrollback.clone() } {on_submit}
                        busy={ state.working.is_some() }
                        booting={ state.session.0.borrow().booting() }
                        place={ Place::Terminal(state.host.clone()).id() }
                        active={ active.contains(&Place::Terminal(state.host.clone()).id()) } />
                </aside>
                <flight::Flight spec={ flight } />
            </div>
        </div>
    };
    span("view", render);
    html
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
