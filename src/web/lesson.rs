//! The lesson panel: the picker, the step beside the cluster (task, hints one by one, checks with
//! their marks, Check and Reset), and the summary with the time taken and the completion code.
//! The model is `present::lessons`; the lesson files are fetched on demand from the same host.

use yew::prelude::*;

use crate::present::i18n::Lang;
use crate::present::lessons::{duration_text, text, words, LessonsModel, Words};

#[derive(Clone, Debug, PartialEq)]
pub enum LessonAction {
    /// Open or close the picker (the first open fetches the list).
    TogglePicker,
    IndexLoaded(Option<String>),
    FileLoaded(String, Option<String>),
    /// Start (or restart) the lesson with this id on a fresh lab.
    Start(String),
    Hint,
    Check,
    Leave,
}

/// A lesson's text with its `code` spans (between backticks) set as code.
fn rich(text: &str) -> Html {
    html! {
        { for text.split('`').enumerate().map(|(i, part)| if i % 2 == 1 {
            html! { <code class="lesson__code-inline">{ part.to_string() }</code> }
        } else {
            html! { { part.to_string() } }
        }) }
    }
}

#[derive(Properties)]
pub struct LessonPanelProps {
    pub lang: Lang,
    /// Compared by pointer: the page shares one model until a lesson action changes it.
    pub model: std::rc::Rc<LessonsModel>,
    /// The cluster is still working: checks run when it is done.
    pub busy: bool,
    pub on_action: Callback<LessonAction>,
}

impl PartialEq for LessonPanelProps {
    fn eq(&self, other: &Self) -> bool {
        self.lang == other.lang
            && self.busy == other.busy
            && std::rc::Rc::ptr_eq(&self.model, &other.model)
            && self.on_action == other.on_action
    }
}

#[function_component(LessonPanel)]
pub fn lesson_panel(props: &LessonPanelProps) -> Html {
    let lang = props.lang;
    let model = &props.model;
    let act = |a: LessonAction| {
        let cb = props.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(a.clone()))
    };
    if let Some(run) = &model.run {
        let lesson = run.lesson();
        let total = lesson.steps.len();
        let body = match (run.summary(), lesson.steps.get(run.step())) {
            (Some(summary), _) => html! {
                <div class="lesson__summary" data-lesson-summary="">
                    <p class="lesson__done">{ words(lang, Words::Done) }</p>
                    <p class="lesson__text">{ rich(text(lang, &lesson.finish)) }</p>
                    <dl class="lesson__facts">
                        <dt>{ words(lang, Words::TimeTaken) }</dt>
                        <dd data-lesson-seconds={ summary.seconds.to_string() }>{ duration_text(lang, summary.seconds) }</dd>
                        <dt>{ words(lang, Words::CompletionCode) }</dt>
                        <dd class="lesson__code" data-lesson-code={ summary.code.clone() }>{ summary.code.clone() }</dd>
                    </dl>
                    <p class="lesson__help">{ rich(words(lang, Words::CodeHelp)) }</p>
                    <details class="lesson__lines">
                        <summary>{ format!("{} ({})", words(lang, Words::YourLines), summary.lines.len()) }</summary>
                        <pre>{ summary.lines.join("\n") }</pre>
                    </details>
                </div>
            },
            (None, Some(step)) => {
                let shown = run.hints_shown();
                html! {
                    <div class="lesson__step" data-lesson-step={ (run.step() + 1).to_string() }>
                        <p class="lesson__progress">{ format!("{} {}/{total}", words(lang, Words::Step), run.step() + 1) }</p>
                        if run.step() == 0 {
                            <details class="lesson__intro">
                                <summary>{ words(lang, Words::Intro) }</summary>
                                <p class="lesson__text">{ rich(text(lang, &lesson.intro)) }</p>
                            </details>
                        }
                        <p class="lesson__task">{ rich(text(lang, &step.task)) }</p>
                        <ul class="lesson__hints">
                            { for step.hints.iter().take(shown).map(|h| html! {
                                <li class="lesson__hint">{ rich(text(lang, h)) }</li>
                            }) }
                        </ul>
                        <p class="lesson__checks-title">{ words(lang, Words::Checks) }</p>
                        <ul class="lesson__checks">
                            { for step.checks.iter().map(|c| {
                                let passed = run.marks().get(&c.id).copied().unwrap_or(false);
                                html! {
                                    <li class={ classes!("lesson__check", passed.then_some("is-passed")) }
                                        data-check={ c.id.clone() } data-passed={ passed.to_string() }>
                                        <span class="lesson__mark" aria-hidden="true">{ if passed { "✓" } else { "○" } }</span>
                                        <span>{ rich(text(lang, &c.text)) }</span>
                                    </li>
                                }
                            }) }
                        </ul>
                        <div class="lesson__buttons">
                            <button type="button" class="lesson__button lesson__button--main" data-lesson-check=""
                                disabled={ props.busy } onclick={ act(LessonAction::Check) }>
                                { words(lang, Words::Check) }
                            </button>
                            <button type="button" class="lesson__button" data-lesson-hint=""
                                disabled={ shown >= step.hints.len() } onclick={ act(LessonAction::Hint) }>
                                { if shown >= step.hints.len() && !step.hints.is_empty() { words(lang, Words::NoMoreHints) } else { words(lang, Words::Hint) } }
                            </button>
                        </div>
                    </div>
                }
            }
            (None, None) => html! {},
        };
        return html! {
            <section class="lesson" data-lesson={ lesson.id.clone() } aria-label={ words(lang, Words::Lessons) }>
                <header class="lesson__head">
                    <h2 class="lesson__title">{ text(lang, &lesson.title) }</h2>
                    <button type="button" class="lesson__button" data-lesson-reset=""
                        onclick={ act(LessonAction::Start(lesson.id.clone())) }>{ words(lang, Words::Reset) }</button>
                    <button type="button" class="lesson__button" data-lesson-leave=""
                        onclick={ act(LessonAction::Leave) }>{ words(lang, Words::Leave) }</button>
                </header>
                { body }
            </section>
        };
    }
    if !model.picker_open {
        return html! {};
    }
    html! {
        <section class="lesson lesson--picker" data-lesson-picker="" aria-label={ words(lang, Words::PickLesson) }>
            <header class="lesson__head">
                <h2 class="lesson__title">{ words(lang, Words::PickLesson) }</h2>
            </header>
            if let Some(error) = &model.error {
                <p class="lesson__error">{ error.clone() }</p>
            }
            if model.files.is_none() && model.error.is_none() {
                <p class="lesson__text">{ words(lang, Words::Loading) }</p>
            }
            <ol class="lesson__list">
                { for model.entries.iter().map(|entry| match &entry.lesson {
                    Ok(lesson) => html! {
                        <li>
                            <button type="button" class="lesson__pick" data-lesson-pick={ lesson.id.clone() }
                                onclick={ act(LessonAction::Start(lesson.id.clone())) }>
                                { text(lang, &lesson.title) }
                            </button>
                        </li>
                    },
                    Err(error) => html! { <li class="lesson__error">{ error.clone() }</li> },
                }) }
            </ol>
        </section>
    }
}
