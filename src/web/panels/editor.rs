//! The YAML editor: write or paste a manifest, or start from one of the course's; Apply saves it
//! as `editor.yaml` and runs `kubectl apply -f editor.yaml` in the terminal. An error is marked
//! at its line in the gutter and listed with kubectl's own words; the text stays as typed.

use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::{on_click, EditorState, PanelAction};
use crate::present::editor::EXAMPLES;
use crate::present::i18n::{text, Lang, Msg};

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub lang: Lang,
    pub state: EditorState,
    pub can_run: bool,
    pub on_action: Callback<PanelAction>,
}

#[function_component(EditorPanel)]
pub fn editor_panel(props: &EditorProps) -> Html {
    let lang = props.lang;
    let area = use_node_ref();
    let gutter = use_node_ref();
    let oninput = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(el) = e.target_dyn_into::<HtmlTextAreaElement>() {
                on_action.emit(PanelAction::EditorText(el.value()));
            }
        })
    };
    // The line numbers follow the text as it scrolls.
    let onscroll = {
        let (area, gutter) = (area.clone(), gutter.clone());
        Callback::from(move |_: Event| {
            if let (Some(a), Some(g)) = (
                area.cast::<HtmlTextAreaElement>(),
                gutter.cast::<web_sys::HtmlElement>(),
            ) {
                g.set_scroll_top(a.scroll_top());
            }
        })
    };
    let onchange_example = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<HtmlSelectElement>() {
                if let Ok(i) = el.value().parse::<usize>() {
                    on_action.emit(PanelAction::EditorExample(i));
                    el.set_value("");
                }
            }
        })
    };
    let emit = |action: PanelAction| on_click(&props.on_action, action);
    // Puts the cursor where a marker points, in the text.
    let go_to = |line: usize, column: usize| {
        let area = area.clone();
        Callback::from(move |_| {
            let Some(el) = area.cast::<HtmlTextAreaElement>() else {
                return;
            };
            let value = el.value();
            let offset: usize = value
                .split_inclusive('\n')
                .take(line.saturating_sub(1))
                .map(|l| l.encode_utf16().count())
                .sum::<usize>()
                + column.saturating_sub(1);
            let _ = el.focus();
            let _ = el.set_selection_range(offset as u32, offset as u32);
        })
    };
    let lines = props.state.text.lines().count().max(1);
    let marked = |n: usize| props.state.markers.iter().any(|m| m.line == n);
    html! {
        <div class="editor" data-editor-panel="">
            <div class="editor__bar">
                <label class="editor__examples">
                    <span>{ text(lang, Msg::EditorExamples) }</span>
                    <select onchange={onchange_example} data-editor-examples="">
                        <option value="" selected=true>{ "…" }</option>
                        { for EXAMPLES.iter().enumerate().map(|(i, e)| html! {
                            <option value={ i.to_string() } data-example={ e.id }>
                                { if lang == Lang::Ko { e.title_ko } else { e.title_en } }
                            </option>
                        }) }
                    </select>
                </label>
                if props.state.editing.is_some() {
                    <span class="editor__edit-actions">
                        <button type="button" class="editor__apply" onclick={ emit(PanelAction::EditorSave) }
                            data-editor-save="" disabled={ !props.can_run }>
                            { text(lang, Msg::EditorSave) }
                        </button>
                        <button type="button" class="editor__cancel" onclick={ emit(PanelAction::EditorCancel) }
                            data-editor-cancel="">
                            { text(lang, Msg::ResetNo) }
                        </button>
                    </span>
                } else {
                    <button type="button" class="editor__apply" onclick={ emit(PanelAction::EditorApply) }
                        data-editor-apply="" disabled={ !props.can_run }>
                        { text(lang, Msg::EditorApply) }
                    </button>
                }
            </div>
            if let Some(line) = &props.state.editing {
                <p class="editor__editing" data-editing={ line.clone() }>
                    <code>{ line }</code>{ " · " }{ text(lang, Msg::EditorEditing) }
                </p>
            }
            <div class="editor__body">
                <div class="editor__gutter" ref={gutter} aria-hidden="true">
                    { for (1..=lines).map(|n| html! {
                        <div class={ classes!("editor__num", marked(n).then_some("is-marked")) }>{ n }</div>
                    }) }
                </div>
                <textarea class="editor__text" ref={ area.clone() } data-editor="" spellcheck="false"
                    aria-label={ text(lang, Msg::EditorTextLabel) }
                    value={ props.state.text.clone() } {oninput} {onscroll}
                    aria-invalid={ (!props.state.markers.is_empty()).to_string() } />
            </div>
            if !props.state.markers.is_empty() {
                <ul class="editor__markers" data-editor-markers="">
                    { for props.state.markers.iter().map(|m| html! {
                        <li>
                            <button type="button" class="editor__marker" onclick={ go_to(m.line, m.column) }
                                data-marker-line={ m.line.to_string() } data-marker-column={ m.column.to_string() }>
                                { format!("{} {}:{}", text(lang, Msg::EditorErrorAt), m.line, m.column) }
                            </button>
                        </li>
                    }) }
                </ul>
            }
            if let Some((stdout, stderr)) = &props.state.answer {
                <div class="editor__answer" data-editor-answer="" role="status">
                    <h3 class="panel__subtitle">{ text(lang, Msg::EditorResult) }</h3>
                    if !stdout.is_empty() { <pre class="editor__out">{ stdout }</pre> }
                    if !stderr.is_empty() { <pre class="editor__err">{ stderr }</pre> }
                </div>
            } else {
                <p class="panel__hint">{ text(lang, Msg::EditorHint) }</p>
            }
        </div>
    }
}
