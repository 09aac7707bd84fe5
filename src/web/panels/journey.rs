//! The Journey panel: one pod's path from the student's line through every component, with
//! simulated times and durations, each step a button that moves the playhead there.

use yew::prelude::*;

use super::{on_click, PanelAction};
use crate::present::i18n::{text, Lang, Msg};
use crate::present::narration::duration;
use crate::present::panels::journey::{journey_panel, label, layer_label, JourneyKind};
use crate::web::SharedSession;

#[derive(Properties, PartialEq)]
pub struct JourneyProps {
    pub lang: Lang,
    pub session: SharedSession,
    pub stamp: (usize, bool),
    pub pod: Option<String>,
    pub on_action: Callback<PanelAction>,
}

#[function_component(JourneyView)]
pub fn journey_view(props: &JourneyProps) -> Html {
    let lang = props.lang;
    let Some(pod) = &props.pod else {
        return html! { <p class="panel__hint">{ text(lang, Msg::PickPodHint) }</p> };
    };
    let session = props.session.0.borrow();
    let Some(journey) = journey_panel(&session, pod) else {
        return html! { <p class="panel__hint">{ text(lang, Msg::PickPodHint) }</p> };
    };
    let emit = |action: PanelAction| on_click(&props.on_action, action);
    html! {
        <div class="journey" data-journey={ pod.clone() }>
            <div class="inspector__links">
                <strong class="journey__pod">{ pod }</strong>
                <button type="button" class="link" onclick={ emit(PanelAction::ScheduleOf(pod.clone())) }>{ text(lang, Msg::PanelScheduler) }</button>
                if let Some((ns, name)) = pod.split_once('/') {
                    <button type="button" class="link" onclick={ emit(PanelAction::Inspect(
                        crate::present::panels::inspector::ObjectRef::new("pods", Some(ns), name))) }>
                        { text(lang, Msg::InspectObject) }
                    </button>
                }
            </div>
            <p class="panel__hint">
                { format!("{}: {}", text(lang, Msg::JourneyLineage), journey.lineage().join(" → ")) }
            </p>
            <p class="panel__hint">{ text(lang, Msg::JourneySeekHint) }</p>
            <ol class="journey__steps">
                { for journey.steps.iter().enumerate().map(|(i, step)| {
                    let number = step.step.map(|s| s.to_string()).unwrap_or_default();
                    html! {
                        <li class={ classes!("journey__step", (i <= journey.created).then_some("journey__step--cause")) }
                            data-journey-step={ number.clone() }>
                            <button type="button" class="journey__seek" onclick={ emit(PanelAction::Seek(step.played)) }
                                title={ format!("{} +{}", text(lang, Msg::JourneyTime), duration(step.since_start_ticks)) }>
                                <span class="journey__num">{ number }</span>
                                <span class="journey__time">
                                    { format!("+{}", duration(step.since_start_ticks)) }
                                    if step.since_previous_ticks > 0 {
                                        <span class="journey__took">{ format!("Δ {}", duration(step.since_previous_ticks)) }</span>
                                    }
                                </span>
                                <span class="journey__text">{ label(lang, step) }</span>
                            </button>
                            if let JourneyKind::Pull { layers, .. } = &step.kind {
                                <ul class="journey__layers">
                                    { for layers.iter().map(|l| html! { <li>{ layer_label(lang, l) }</li> }) }
                                </ul>
                            }
                        </li>
                    }
                }) }
            </ol>
        </div>
    }
}
