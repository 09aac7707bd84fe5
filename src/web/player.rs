//! The player bar: the eight steps (the one in play lit), the time controls and the timeline.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::present::i18n::{text, Lang, Msg};
use crate::present::narration::{step_short, step_title};
use crate::present::player::{Player, PlayerAction, SPEEDS};
use crate::present::timeline::{Step, STEPS};

#[derive(Properties, PartialEq)]
pub struct PlayerBarProps {
    pub lang: Lang,
    pub player: Player,
    /// How many beats the timeline has.
    pub beats: usize,
    /// The step in play.
    pub step: Option<Step>,
    /// Where each command's beats start, for the marks on the timeline.
    pub commands: Vec<usize>,
    /// The playhead cannot go back before this (a long session's oldest history is gone).
    #[prop_or_default]
    pub first_kept: usize,
    /// Every apiserver stage and bookkeeping request is shown.
    #[prop_or_default]
    pub all_stages: bool,
    #[prop_or_default]
    pub on_all_stages: Callback<bool>,
    pub on_action: Callback<PlayerAction>,
}

/// The controls' icons, drawn as SVG so they need no font.
fn icon(path: &'static str) -> Html {
    html! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <path d={ path } fill="currentColor" />
        </svg>
    }
}

const ICON_PLAY: &str = "M7 4v16l13-8z";
const ICON_PAUSE: &str = "M6 4h4v16H6zM14 4h4v16h-4z";
const ICON_BACK: &str = "M17 4v16L6 12z";
const ICON_FORWARD: &str = "M7 4v16l11-8z";
const ICON_STEP_BACK: &str = "M5 4h3v16H5zM20 4v16L9 12z";
const ICON_STEP_FORWARD: &str = "M16 4h3v16h-3zM4 4v16l11-8z";

fn speed_label(speed: f64) -> String {
    if speed < 1.0 {
        format!("{speed}×")
    } else {
        format!("{}×", speed as u32)
    }
}

#[function_component(PlayerBar)]
pub fn player_bar(props: &PlayerBarProps) -> Html {
    let PlayerBarProps {
        lang,
        player,
        beats,
        step,
        on_action,
        ..
    } = props;
    let lang = *lang;
    let act = |action: PlayerAction| {
        let on_action = on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(action))
    };
    let live = player.played >= *beats;
    let playing = player.playing && !live;
    let on_seek = {
        let on_action = on_action.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(value) = input.value().parse::<usize>() {
                on_action.emit(PlayerAction::Seek(value));
            }
        })
    };
    let on_speed = {
        let on_action = on_action.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(value) = input.value().parse::<usize>() {
                on_action.emit(PlayerAction::Speed(value));
            }
        })
    };
    let on_animate = {
        let on_action = on_action.clone();
        let on = player.animate;
        Callback::from(move |_: MouseEvent| on_action.emit(PlayerAction::SetAnimate(!on)))
    };
    let value_text = format!("{} / {}", player.played, beats);
    html! {
        <nav class="player" aria-label={ text(lang, Msg::PlayerLabel) } data-player="">
            <ol class="steps" aria-label={ text(lang, Msg::StepsLabel) }>
                { for STEPS.into_iter().map(|s| {
                    let current = *step == Some(s);
                    html! {
                        <li class={ classes!("steps__item", current.then_some("is-current")) }
                            data-step={ s.to_string() }
                            aria-current={ current.then_some("step") }
                            title={ step_title(lang, s) }>
                            <span class="steps__number">{ s }</span>
                            <span class="steps__title">{ step_short(lang, s) }</span>
                        </li>
                    }
                }) }
            </ol>
            <div class="controls">
                <button type="button" class="control" onclick={ act(PlayerAction::PreviousStep) }
                    aria-label={ text(lang, Msg::StepBack) } title={ text(lang, Msg::StepBack) }>{ icon(ICON_STEP_BACK) }</button>
                <button type="button" class="control" onclick={ act(PlayerAction::Back) }
                    aria-label={ text(lang, Msg::BeatBack) } title={ text(lang, Msg::BeatBack) }>{ icon(ICON_BACK) }</button>
                <button type="button" class="control control--play" data-play=""
                    onclick={ act(PlayerAction::TogglePlay) }
                    aria-label={ text(lang, if playing { Msg::Pause } else { Msg::Play }) }
                    title={ text(lang, if playing { Msg::Pause } else { Msg::Play }) }>
                    { icon(if playing { ICON_PAUSE } else { ICON_PLAY }) }
                </button>
                <button type="button" class="control" onclick={ act(PlayerAction::Forward) }
                    aria-label={ text(lang, Msg::BeatForward) } title={ text(lang, Msg::BeatForward) }>{ icon(ICON_FORWARD) }</button>
                <button type="button" class="control" onclick={ act(PlayerAction::NextStep) }
                    aria-label={ text(lang, Msg::StepForward) } title={ text(lang, Msg::StepForward) }>{ icon(ICON_STEP_FORWARD) }</button>
                <input type="range" role="slider" class="timeline" data-timeline=""
                    min={ props.first_kept.to_string() } max={ beats.to_string() } step="1"
                    value={ player.played.to_string() }
                    aria-label={ text(lang, Msg::TimelineLabel) }
                    aria-valuemin={ props.first_kept.to_string() } aria-valuemax={ beats.to_string() }
                    aria-valuenow={ player.played.to_string() }
                    aria-valuetext={ value_text.clone() }
                    oninput={ on_seek } />
                <span class="timeline__count">{ value_text }</span>
                <button type="button" class={ classes!("control", "control--live", live.then_some("is-live")) }
                    data-live="" aria-pressed={ live.to_string() }
                    onclick={ act(PlayerAction::Live) }>{ text(lang, Msg::Live) }</button>
                <label class="speed">
                    <span>{ text(lang, Msg::Speed) }</span>
                    <select data-speed="" onchange={ on_speed }>
                        { for SPEEDS.iter().enumerate().map(|(i, s)| html! {
                            <option value={ i.to_string() } selected={ i == player.speed }>{ speed_label(*s) }</option>
                        }) }
                    </select>
                </label>
                <button type="button" class="control control--toggle" data-animate={ player.animate.to_string() }
                    aria-pressed={ player.animate.to_string() } onclick={ on_animate }>
                    { format!("{} {}", text(lang, Msg::Animation), if player.animate { "ON" } else { "OFF" }) }
                </button>
                <button type="button" class="control control--toggle" data-all-stages={ props.all_stages.to_string() }
                    aria-pressed={ props.all_stages.to_string() }
                    onclick={ let cb = props.on_all_stages.clone(); let all = props.all_stages;
                        Callback::from(move |_: MouseEvent| cb.emit(!all)) }>
                    { text(lang, Msg::AllStages) }
                </button>

            </div>
            <p class="keys-help">
                { text(lang, Msg::KeysHelp) }
                if props.first_kept > 0 {
                    <span class="history-note" data-history-from={ props.first_kept.to_string() }>
                        { format!(" · {}", text(lang, Msg::HistoryBounded)) }
                    </span>
                }
            </p>
        </nav>
    }
}
