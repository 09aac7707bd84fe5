//! The terminal: a scrollback and one input line after the shell prompt.

use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::present::i18n::{text, Lang, Msg};
use crate::present::scrollback::{Line, Scrollback};

#[derive(Properties, PartialEq)]
pub struct TerminalProps {
    pub lang: Lang,
    pub title: AttrValue,
    pub prompt: AttrValue,
    pub scrollback: Rc<Scrollback>,
    pub on_submit: Callback<String>,
    /// Its `data-place` id (`master/kubectl`): messages fly from here to the apiserver.
    pub place: AttrValue,
    /// The beat in play touches it.
    pub active: bool,
    /// The cluster is still working on the last line.
    #[prop_or_default]
    pub busy: bool,
    /// ... or still booting.
    #[prop_or_default]
    pub booting: bool,
}

#[function_component(Terminal)]
pub fn terminal(props: &TerminalProps) -> Html {
    let input = use_node_ref();
    let scrollback = use_node_ref();

    // Keep the newest line in view, as a terminal does.
    {
        let scrollback = scrollback.clone();
        use_effect_with(props.scrollback.pushed(), move |_| {
            if let Some(el) = scrollback.cast::<web_sys::Element>() {
                let scroll = super::span_now();
                el.set_scroll_top(el.scroll_height());
                super::span("scroll", scroll);
            }
        });
    }

    let onsubmit = {
        let input = input.clone();
        let on_submit = props.on_submit.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(el) = input.cast::<HtmlInputElement>() {
                on_submit.emit(el.value());
                el.set_value("");
            }
        })
    };
    let focus_input = {
        let input = input.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(el) = input.cast::<HtmlInputElement>() {
                let _ = el.focus();
            }
        })
    };

    html! {
        <section class={ classes!("terminal", props.active.then_some("is-active")) }
            aria-label={ props.title.clone() } onclick={focus_input} data-place={ props.place.clone() }>
            <div class="terminal__bar">
                <span class="terminal__dots" aria-hidden="true"><i></i><i></i><i></i></span>
                <span class="terminal__title">{ &props.title }</span>
            </div>
            <div class="terminal__scrollback" ref={scrollback} role="log" aria-live="polite">
                { for props.scrollback.lines().iter().map(|line| render_line(props.lang, line)) }
            </div>
            if props.busy {
                <div class="terminal__busy" data-busy="" role="status">{ text(props.lang, if props.booting { Msg::Booting } else { Msg::Working }) }</div>
            }
            <form class="terminal__input-line" {onsubmit}>
                <label class="terminal__prompt" for="terminal-input">{ &props.prompt }</label>
                <input id="terminal-input" class="terminal__input" ref={input} type="text"
                    autocomplete="off" autocapitalize="off" spellcheck="false"
                    placeholder={ text(props.lang, Msg::TerminalPlaceholder) } />
                <button type="submit" class="terminal__run">{ text(props.lang, Msg::TerminalRun) }</button>
            </form>
        </section>
    }
}

fn render_line(lang: Lang, line: &Line) -> Html {
    match line {
        Line::Command { prompt, text } => html! {
            <div class="line line--command">
                <span class="terminal__prompt">{ &**prompt }</span>{ " " }<span>{ &**text }</span>
            </div>
        },
        Line::Note(msg) => html! { <div class="line line--note">{ text(lang, *msg) }</div> },
        Line::Output(out) => html! { <pre class="line line--output">{ &**out }</pre> },
        Line::Error(err) => html! { <pre class="line line--error">{ &**err }</pre> },
    }
}
