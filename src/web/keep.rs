//! Keeping the student's work: autosave to `localStorage`, the restore on load (replayed in the
//! page's work slices, so the page keeps drawing), export to and import from a `.json` file, and
//! a share link carrying the state compressed in the URL fragment (`#s=`).
//!
//! What is saved is `present::saved::SavedState` (seed + inputs); this module only moves its
//! text between the session and the browser. The compression is the browser's own
//! `CompressionStream("deflate-raw")` and base64 its `btoa`/`atob`: no compressor in the wasm.

use std::rc::Rc;

use gloo::storage::{LocalStorage, Storage};
use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::{Action, UiState};
use crate::present::i18n::{text, Lang, Msg};
use crate::present::player::PlayerAction;
use crate::present::saved::{Input, RestoreError, SavedState, STORAGE_KEY};
use crate::present::session::Session;

/// The fragment that carries a shared state: `#s=` and the state, deflated and base64url.
const SHARE_PREFIX: &str = "#s=";
/// How long one slice of a replay may keep the main thread: longer than a typed line's slice
/// (the page is not animating meanwhile, and each slice ends with a render), still under the
/// 50 ms of a long task.
const REPLAY_SLICE_MS: f64 = 30.0;
/// The name of the exported file.
const EXPORT_FILE: &str = "kube-sandbox-session.json";

/// What the page tells the student about their saved work.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// A saved state could not be brought back (storage or a link): the page started fresh.
    Broken(RestoreError),
    /// A file could not be imported: the session is unchanged.
    ImportFailed(RestoreError),
    /// A share link could not be read: the autosaved session goes on.
    LinkFailed,
    /// A share link's state replaced the autosaved session (downloadable from the notice).
    Shared,
    /// The link to share, to copy.
    ShareLink(String),
    /// Storage refused the autosave (full or disabled).
    SaveFailed,
}

/// The page's part in keeping the work: the replay under way, what was saved last, a notice.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Keep {
    /// Persist at all: the real page does; test pages (which mount the app themselves) do not,
    /// so one test's lines never come back in the next.
    pub enabled: bool,
    /// The state being replayed and the index of its next input.
    pub replay: Option<(Rc<SavedState>, usize)>,
    /// The session's [`Session::changes`] when last saved; `None`: save at the next chance.
    pub saved_inputs: Option<usize>,
    pub notice: Option<Notice>,
    /// The text of a state that could not be restored, or of the session a link replaced: the
    /// notice offers it as a download.
    pub found: Option<Rc<str>>,
    /// The replay waits for `kubectl explain`'s docs (fetched as for a typed line).
    pub wants_docs: bool,
    /// They were fetched once: if they could not be, the line runs without them.
    pub docs_tried: bool,
}

pub enum KeepAction {
    /// Replace the session with this state, replayed; with a notice and text to offer.
    Restore(Rc<SavedState>, Option<Notice>, Option<Rc<str>>),
    Notice(Notice, Option<Rc<str>>),
    Dismiss,
    /// Clear the saved session and start a fresh lab.
    NewSession,
    /// `kubectl explain`'s docs arrived (or failed): the replay goes on.
    DocsReady,
}

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// The shared state in the page's address, if it was opened from a share link.
fn share_fragment() -> Option<String> {
    let hash = window()?.location().hash().ok()?;
    hash.strip_prefix(SHARE_PREFIX).map(str::to_string)
}

/// Takes the share link's fragment out of the address (a reload then restores the autosave,
/// which by then holds the shared state and what was done since).
fn clear_fragment() {
    let Some(w) = window() else { return };
    let location = w.location();
    let url = format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    if let Ok(history) = w.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

fn stored_text() -> Option<String> {
    LocalStorage::raw().get_item(STORAGE_KEY).ok().flatten()
}

impl UiState {
    /// The page as it opens: the autosaved session replayed, or a fresh lab with a notice when
    /// what was saved cannot be read. (A share link is read after the first frame: see
    /// [`open_share_link`].)
    pub(super) fn keep_on_load(&mut self) {
        self.keep.enabled = true;
        self.keep.saved_inputs = Some(0);
        if share_fragment().is_some() {
            return;
        }
        let Some(found) = stored_text() else { return };
        match SavedState::decode(&found) {
            Ok(saved) => self.begin_replay(Rc::new(saved)),
            Err(e) => {
                self.keep.notice = Some(Notice::Broken(e));
                self.keep.found = Some(Rc::from(found));
            }
        }
    }

    /// Starts over from `saved`'s seed and replays its inputs in the work slices.
    fn begin_replay(&mut self, saved: Rc<SavedState>) {
        let keep = std::mem::take(&mut self.keep);
        self.replace_session(saved.seed);
        self.session
            .0
            .borrow_mut()
            .set_lesson_progress(saved.lesson.clone());
        // The lesson carries on once the lab is restored and its file fetched (the page fetches
        // the list at once when a lesson is pending).
        #[cfg(feature = "lessons")]
        {
            self.lessons.edit().pending = saved.lesson.clone();
        }
        self.keep = Keep {
            replay: Some((saved, 0)),
            saved_inputs: None,
            wants_docs: false,
            ..keep
        };
        self.working = Some(self.working.unwrap_or(0) + 1);
    }

    /// A fresh lab from `seed` in place of this one, keeping the view choices (language, speed,
    /// the animation switch).
    fn replace_session(&mut self, seed: u64) {
        self.replace_session_with(Session::starting(seed));
    }

    /// `session` (a fresh lab, or a lesson's start) in place of this one, keeping the view
    /// choices and what the page keeps.
    pub(super) fn replace_session_with(&mut self, session: Session) {
        let player = self.player;
        let keep = std::mem::take(&mut self.keep);
        *self = UiState::with_session(self.lang, session);
        self.player.speed = player.speed;
        self.player.animate = player.animate;
        self.keep = keep;
    }

    pub(super) fn keep_action(&mut self, action: KeepAction) {
        match action {
            KeepAction::Restore(saved, notice, found) => {
                self.begin_replay(saved);
                self.keep.notice = notice;
                self.keep.found = found;
            }
            KeepAction::Notice(notice, found) => {
                self.keep.notice = Some(notice);
                self.keep.found = found;
            }
            KeepAction::Dismiss => {
                self.keep.notice = None;
                self.keep.found = None;
            }
            KeepAction::NewSession => {
                if self.keep.enabled {
                    LocalStorage::delete(STORAGE_KEY);
                }
                self.keep.replay = None;
                self.keep.notice = None;
                self.keep.found = None;
                self.replace_session(super::LAB_SEED);
                self.keep.saved_inputs = Some(0);
            }
            KeepAction::DocsReady => {
                self.keep.wants_docs = false;
                self.keep.docs_tried = true;
                self.working = Some(self.working.unwrap_or(0) + 1);
            }
        }
    }

    /// Is a saved session being replayed?
    pub(super) fn replaying(&self) -> bool {
        self.keep.replay.is_some()
    }

    /// One slice of the replay: the cluster's work and the next saved inputs, each shown in the
    /// terminal as when it was typed, until the slice's time is up.
    pub(super) fn replay_slice(&mut self) {
        let started = js_sys::Date::now();
        loop {
            if self.session.0.borrow().busy() {
                self.session.0.borrow_mut().work(1);
            } else if !self.replay_next() {
                break;
            }
            if js_sys::Date::now() - started > REPLAY_SLICE_MS {
                break;
            }
        }
        let session = self.session.0.borrow();
        self.beats = session.timeline().len();
        // The cluster fills as the replay goes, as the boot does.
        self.view = session.live();
        let more = self.keep.replay.is_some() && !self.keep.wants_docs;
        self.working = (more || session.busy()).then(|| self.working.unwrap_or(0) + 1);
        drop(session);
        if self.keep.replay.is_none() {
            super::mark("session-restored");
            self.move_player(PlayerAction::Live);
            let session = self.session.0.borrow();
            self.view = session.scene(self.player.played);
        }
    }

    /// Replays the next saved input; false when there is none to run now (the replay ended,
    /// failed, or waits for docs).
    fn replay_next(&mut self) -> bool {
        let Some((saved, next)) = self.keep.replay.clone() else {
            return false;
        };
        let Some(input) = saved.inputs.get(next) else {
            self.keep.replay = None;
            self.keep.saved_inputs = Some(self.session.0.borrow().changes());
            return false;
        };
        if let Input::Line { line, .. } = input {
            if !self.keep.docs_tried && self.session.0.borrow().wants_explain_docs(line) {
                self.keep.wants_docs = true;
                return false;
            }
            self.echo(line);
        }
        let result = self.session.0.borrow_mut().replay(next, input);
        match result {
            Ok((output, _)) => {
                {
                    let session = self.session.0.borrow();
                    self.prompt = session.prompt();
                    self.host = session.host();
                }
                self.print(&output);
                if let Some(text) = output.edit {
                    let editor = &mut self.panels.editor;
                    editor.text = text;
                    editor.editing = match input {
                        Input::Line { line, .. } => Some(line.clone()),
                        _ => None,
                    };
                }
                if let Input::Edit { exit: 0, .. } | Input::CancelEdit { .. } = input {
                    self.panels.editor.editing = None;
                }
                self.keep.replay = Some((saved, next + 1));
                true
            }
            Err(e) => {
                let found = Rc::from(saved.encode());
                self.keep.replay = None;
                self.replace_session(super::LAB_SEED);
                self.keep.saved_inputs = Some(0);
                self.keep.notice = Some(Notice::Broken(e));
                self.keep.found = Some(found);
                false
            }
        }
    }

    /// Writes the session to storage when it has had new inputs (never in the middle of a
    /// replay: a reload then restores the whole saved session again).
    pub(super) fn autosave(&mut self) {
        if !self.keep.enabled || self.replaying() {
            return;
        }
        let inputs = self.session.0.borrow().changes();
        if self.keep.saved_inputs == Some(inputs) {
            return;
        }
        let text = self.session.0.borrow().saved().encode();
        match LocalStorage::raw().set_item(STORAGE_KEY, &text) {
            Ok(()) => self.keep.saved_inputs = Some(inputs),
            Err(_) => {
                // Once per session: the notice stays until dismissed.
                self.keep.saved_inputs = Some(inputs);
                self.keep.notice = Some(Notice::SaveFailed);
            }
        }
    }
}

/// Offers `text` as a file download, through a Blob and an object URL.
fn download(name: &str, text: &str) {
    let Some(document) = window().and_then(|w| w.document()) else {
        return;
    };
    let parts = Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = document.create_element("a") {
        let _ = a.set_attribute("href", &url);
        let _ = a.set_attribute("download", name);
        if let Some(a) = a.dyn_ref::<web_sys::HtmlElement>() {
            a.click();
        }
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

#[wasm_bindgen]
extern "C" {
    /// The browser's `CompressionStream` and `DecompressionStream` (web-sys has them only behind
    /// its unstable APIs): a `{ readable, writable }` pair for `pipeThrough`.
    #[wasm_bindgen(js_name = CompressionStream)]
    type Deflate;
    #[wasm_bindgen(constructor, js_class = "CompressionStream", catch)]
    fn new(format: &str) -> Result<Deflate, JsValue>;
    #[wasm_bindgen(js_name = DecompressionStream)]
    type Inflate;
    #[wasm_bindgen(constructor, js_class = "DecompressionStream", catch)]
    fn new(format: &str) -> Result<Inflate, JsValue>;
}

/// Pipes `bytes` through a transform stream; the promise gives an `ArrayBuffer`.
fn through(bytes: &[u8], pair: &JsValue) -> Result<Promise, JsValue> {
    let parts = Array::of1(&Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts)?;
    let stream = blob
        .stream()
        .pipe_through(pair.unchecked_ref::<web_sys::ReadableWritablePair>());
    web_sys::Response::new_with_opt_readable_stream(Some(&stream))?.array_buffer()
}

/// Calls `done` once with the promise's value, or `None` if it failed.
fn settle(promise: Promise, done: impl FnOnce(Option<JsValue>) + 'static) {
    let done = Rc::new(std::cell::RefCell::new(Some(done)));
    let ok = {
        let done = done.clone();
        Closure::once(move |v: JsValue| {
            if let Some(f) = done.borrow_mut().take() {
                f(Some(v))
            }
        })
    };
    let failed = Closure::once(move |_: JsValue| {
        if let Some(f) = done.borrow_mut().take() {
            f(None)
        }
    });
    drop(promise.then2(&ok, &failed));
    ok.forget();
    failed.forget();
}

/// base64url without padding, through the browser's `btoa`.
fn to_base64url(bytes: &[u8]) -> Option<String> {
    let binary: String = bytes.iter().map(|&b| char::from(b)).collect();
    let b64 = window()?.btoa(&binary).ok()?;
    Some(
        b64.trim_end_matches('=')
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect(),
    )
}

fn from_base64url(text: &str) -> Option<Vec<u8>> {
    let mut b64: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !b64.len().is_multiple_of(4) {
        b64.push('=');
    }
    let binary = window()?.atob(&b64).ok()?;
    binary.chars().map(|c| u8::try_from(c).ok()).collect()
}

/// Makes the share link of `text` (the saved state): the page's address with `#s=` and the
/// state deflated and base64url; `done` gets it, or `None` if the browser could not.
fn share_link(text: &str, done: impl FnOnce(Option<String>) + 'static) {
    let promise = Deflate::new("deflate-raw").and_then(|d| through(text.as_bytes(), &d));
    let Ok(promise) = promise else {
        return done(None);
    };
    settle(promise, move |buffer| {
        let link = buffer.and_then(|b| {
            let bytes = Uint8Array::new(&b).to_vec();
            let location = window()?.location();
            let base = format!("{}{}", location.origin().ok()?, location.pathname().ok()?);
            Some(format!("{base}{SHARE_PREFIX}{}", to_base64url(&bytes)?))
        });
        done(link)
    });
}

/// Reads a share link's fragment back into the state's text.
fn read_share(fragment: &str, done: impl FnOnce(Option<String>) + 'static) {
    let Some(bytes) = from_base64url(fragment) else {
        return done(None);
    };
    let Ok(promise) = Inflate::new("deflate-raw").and_then(|i| through(&bytes, &i)) else {
        return done(None);
    };
    settle(promise, move |buffer| {
        done(buffer.and_then(|b| String::from_utf8(Uint8Array::new(&b).to_vec()).ok()))
    });
}

/// After the first frame: a page opened from a share link restores the link's state. The
/// session autosaved here before is replaced (a teacher's link is opened to see the teacher's
/// sandbox), but it is not lost: the notice offers it as a download.
pub(super) fn open_share_link(state: UseReducerHandle<UiState>) {
    let Some(fragment) = share_fragment() else {
        return;
    };
    clear_fragment();
    read_share(&fragment, move |text| {
        let previous = stored_text().map(Rc::from);
        let keep = |action| state.dispatch(Action::Keep(action));
        match text.as_deref().map(SavedState::decode) {
            Some(Ok(saved)) => {
                let replaced = previous.filter(|p: &Rc<str>| {
                    SavedState::decode(p).is_ok_and(|old| !old.inputs.is_empty() && old != saved)
                });
                let notice = replaced.is_some().then_some(Notice::Shared);
                keep(KeepAction::Restore(Rc::new(saved), notice, replaced))
            }
            _ => {
                if let Some(Ok(saved)) = previous.as_deref().map(SavedState::decode) {
                    keep(KeepAction::Restore(Rc::new(saved), None, None));
                }
                keep(KeepAction::Notice(Notice::LinkFailed, None))
            }
        }
    });
}

/// Reads an imported file and restores it, or says why not (the session is then unchanged).
fn import(file: web_sys::File, state: UseReducerHandle<UiState>) {
    settle(file.text(), move |text| {
        let text = text.and_then(|t| t.as_string()).unwrap_or_default();
        let action = match SavedState::decode(&text) {
            Ok(saved) => KeepAction::Restore(Rc::new(saved), None, None),
            Err(e) => KeepAction::Notice(Notice::ImportFailed(e), None),
        };
        state.dispatch(Action::Keep(action));
    });
}

/// `kubectl explain`'s docs for a replayed line, then the replay goes on.
pub(super) fn fetch_docs_for_replay(state: UseReducerHandle<UiState>) {
    super::fetch_explain_docs(state, || Action::Keep(KeepAction::DocsReady));
}

fn saved_text(session: &Session) -> String {
    session.saved().encode()
}

#[derive(Properties, PartialEq)]
pub struct KeepBarProps {
    pub lang: Lang,
    pub state: UseReducerHandle<UiState>,
}

/// The session's controls (export, import, share link, new session) and the notice about the
/// saved work, under the top bar.
#[function_component(KeepBar)]
pub fn keep_bar(props: &KeepBarProps) -> Html {
    let lang = props.lang;
    let state = props.state.clone();
    let keep = &state.keep;
    let dispatch = |action: fn() -> KeepAction| {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::Keep(action())))
    };
    let export = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            download(EXPORT_FILE, &saved_text(&state.session.0.borrow()));
        })
    };
    let share = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            let text = saved_text(&state.session.0.borrow());
            let state = state.clone();
            share_link(&text, move |link| {
                if let Some(link) = link {
                    state.dispatch(Action::Keep(KeepAction::Notice(
                        Notice::ShareLink(link),
                        None,
                    )));
                }
            });
        })
    };
    let new_session = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            let sure = window()
                .and_then(|w| {
                    w.confirm_with_message(text(lang, Msg::SessionNewConfirm))
                        .ok()
                })
                .unwrap_or(true);
            if sure {
                state.dispatch(Action::Keep(KeepAction::NewSession));
            }
        })
    };
    let on_file = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let input = e.target_dyn_into::<web_sys::HtmlInputElement>();
            let file = input
                .as_ref()
                .and_then(|i| i.files())
                .and_then(|f| f.get(0));
            if let Some(file) = file {
                import(file, state.clone());
            }
            if let Some(input) = input {
                input.set_value("");
            }
        })
    };
    let download_found = {
        let found = keep.found.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(found) = &found {
                download(EXPORT_FILE, found);
            }
        })
    };
    let restoring = keep.replay.as_ref().map(|(saved, next)| {
        format!(
            "{} … {next}/{}",
            text(lang, Msg::SessionRestoring),
            saved.inputs.len()
        )
    });
    let notice = keep.notice.as_ref().map(|notice| {
        let (heading, detail) = match notice {
            Notice::Broken(e) => (text(lang, e.heading()), Some(e.to_string())),
            Notice::ImportFailed(e) => (text(lang, Msg::SessionImportFailed), Some(e.to_string())),
            Notice::LinkFailed => (text(lang, Msg::SessionLinkFailed), None),
            Notice::Shared => (text(lang, Msg::SessionShared), None),
            Notice::SaveFailed => (text(lang, Msg::SessionSaveFailed), None),
            Notice::ShareLink(_) => (text(lang, Msg::SessionShareLink), None),
        };
        let kind = match notice {
            Notice::ShareLink(_) | Notice::Shared => "info",
            _ => "problem",
        };
        html! {
            <div class={ classes!("keep__notice", format!("keep__notice--{kind}")) } role="status"
                data-keep-notice={ kind }>
                <p>{ heading }</p>
                if let Some(detail) = detail {
                    <code class="keep__detail">{ detail }</code>
                }
                if let Notice::ShareLink(link) = notice {
                    <input class="keep__link" type="text" readonly=true value={ link.clone() }
                        data-share-link="" onfocus={ Callback::from(|e: FocusEvent| {
                            if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() { i.select(); }
                        }) } />
                }
                if keep.found.is_some() {
                    <button type="button" data-action="download-found" onclick={ download_found }>
                        { text(lang, Msg::SessionDownloadFound) }
                    </button>
                }
                <button type="button" data-action="dismiss" onclick={ dispatch(|| KeepAction::Dismiss) }>
                    { text(lang, Msg::SessionDismiss) }
                </button>
            </div>
        }
    });
    html! {
        <div class="keep" data-keep="">
            <div class="keep__actions" role="group" aria-label={ text(lang, Msg::SessionLabel) }>
                <button type="button" data-action="export" onclick={ export }>{ text(lang, Msg::SessionExport) }</button>
                <label class="keep__import" data-action="import">
                    { text(lang, Msg::SessionImport) }
                    <input type="file" accept=".json,application/json" data-import-file="" onchange={ on_file } />
                </label>
                <button type="button" data-action="share" onclick={ share }>{ text(lang, Msg::SessionShare) }</button>
                <button type="button" data-action="reset-session" onclick={ new_session }>{ text(lang, Msg::SessionNew) }</button>
                if let Some(restoring) = restoring {
                    <span class="keep__restoring" data-restoring="" role="status">{ restoring }</span>
                }
            </div>
            { for notice }
        </div>
    }
}
