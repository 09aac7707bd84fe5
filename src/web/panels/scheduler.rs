//! The Scheduler panel: one pod's scheduling cycle as the framework ran it: the filter table
//! (plugin × node: passed, upstream's reason, or not run), the score table (raw, normalized,
//! weight, weighted, totals), the winner and the tie-break, in plain words beside upstream's.
//! A pending pod shows its `FailedScheduling` message and the cluster events that retry it.

use yew::prelude::*;

use super::{on_click, PanelAction};
use crate::present::i18n::{text, Lang, Msg};
use crate::present::panels::scheduler::{
    explain_cell, explain_outcome, explain_pre_filter, explain_wake, scheduler_panel,
    scheduler_panel_attempt, FilterCell, Outcome,
};
use crate::web::SharedSession;

#[derive(Properties, PartialEq)]
pub struct SchedulerProps {
    pub lang: Lang,
    pub session: SharedSession,
    pub stamp: (usize, bool),
    pub pod: Option<String>,
    /// The cycle picked (1-based attempt); None: the latest.
    pub attempt: Option<usize>,
    pub on_action: Callback<PanelAction>,
}

#[function_component(SchedulerView)]
pub fn scheduler_view(props: &SchedulerProps) -> Html {
    let lang = props.lang;
    let Some(pod) = &props.pod else {
        return html! { <p class="panel__hint">{ text(lang, Msg::PickPodHint) }</p> };
    };
    let session = props.session.0.borrow();
    let panel = match props.attempt {
        Some(n) => {
            scheduler_panel_attempt(&session, pod, n).or_else(|| scheduler_panel(&session, pod))
        }
        None => scheduler_panel(&session, pod),
    };
    let Some(panel) = panel else {
        return html! {
            <div class="scheduler" data-scheduler={ pod.clone() }>
                <strong>{ pod }</strong>
                <p class="panel__hint">{ text(lang, Msg::SchedulerNoCycle) }</p>
            </div>
        };
    };
    let emit = |action: PanelAction| on_click(&props.on_action, action);
    let c = &panel.cycle;
    let rejected: Vec<(String, String, String)> = c
        .filter_rows
        .iter()
        .flat_map(|row| {
            row.cells
                .iter()
                .zip(&c.filter_plugins)
                .filter_map(move |(cell, plugin)| {
                    matches!(cell, FilterCell::Rejected { .. })
                        .then(|| (row.node.clone(), plugin.clone(), explain_cell(lang, cell)))
                })
        })
        .collect();
    html! {
        <div class="scheduler" data-scheduler={ pod.clone() } data-attempt={ c.attempt.to_string() }>
            <div class="inspector__links">
                <strong class="journey__pod">{ pod }</strong>
                <button type="button" class="link" onclick={ emit(PanelAction::PickPod(pod.clone())) }>{ text(lang, Msg::PanelJourney) }</button>
                <button type="button" class="link" onclick={ emit(PanelAction::Seek(c.played)) }>{ text(lang, Msg::SchedulerShowCycle) }</button>
            </div>
            if panel.cycles.len() > 1 {
                <div class="scheduler__cycles" role="group" aria-label={ text(lang, Msg::SchedulerCycle) }>
                    { for panel.cycles.iter().map(|s| html! {
                        <button type="button" class={ classes!("inspector__kind", (s.attempt == c.attempt).then_some("is-picked")) }
                            aria-pressed={ (s.attempt == c.attempt).to_string() }
                            onclick={ emit(PanelAction::Attempt(s.attempt)) }>
                            { format!("{} {} → {}", text(lang, Msg::SchedulerAttempt), s.attempt, s.node.clone().unwrap_or_else(|| "Pending".into())) }
                        </button>
                    }) }
                </div>
            }
            <p class="panel__hint">
                { format!("{} {} · {} {} / {} / {}", text(lang, Msg::SchedulerCycle), c.attempt, text(lang, Msg::SchedulerNodes), c.nodes_total, c.nodes_evaluated, c.nodes_feasible) }
            </p>
            <div class={ classes!("scheduler__result", matches!(c.outcome, Outcome::Unschedulable(_)).then_some("is-pending")) } data-scheduler-result="">
                <strong>{ format!("{}: ", text(lang, Msg::SchedulerResult)) }</strong>{ explain_outcome(lang, &c.outcome) }
            </div>
            if let Some(rejection) = &c.pre_filter_rejection {
                <p class="scheduler__reject">{ explain_pre_filter(lang, rejection) }</p>
            }
            if !c.filter_plugins.is_empty() {
                <h3 class="panel__subtitle">{ text(lang, Msg::SchedulerFilter) }</h3>
                <table class="scheduler__table" data-filter-table="">
                    <thead>
                        <tr>
                            <th>{ text(lang, Msg::SchedulerPlugin) }</th>
                            { for c.filter_rows.iter().map(|r| html! {
                                <th class={ classes!((!r.passed).then_some("is-rejected")) }>{ format!("{} {}", &r.node, if r.passed { "✓" } else { "✗" }) }</th>
                            }) }
                        </tr>
                    </thead>
                    <tbody>
                        { for c.filter_plugins.iter().enumerate().map(|(i, plugin)| html! {
                            <tr>
                                <th scope="row">{ plugin }</th>
                                { for c.filter_rows.iter().map(|r| {
                                    let cell = r.cells.get(i);
                                    let (class, mark, state) = match cell {
                                        Some(FilterCell::Passed) => ("cell--passed", "✓", "passed"),
                                        Some(FilterCell::Rejected { .. }) => ("cell--rejected", "✗", "rejected"),
                                        _ => ("cell--notrun", "·", "not-run"),
                                    };
                                    let title = cell.map(|c| explain_cell(lang, c)).unwrap_or_default();
                                    html! {
                                        <td class={ class } data-filter-node={ r.node.clone() } data-filter-plugin={ plugin.clone() }
                                            data-cell={ state } title={ title }>{ mark }</td>
                                    }
                                }) }
                            </tr>
                        }) }
                    </tbody>
                </table>
                if !rejected.is_empty() {
                    <ul class="scheduler__reasons" data-filter-reasons="">
                        { for rejected.iter().map(|(node, plugin, words)| html! {
                            <li data-rejected-node={ node.clone() } data-rejected-by={ plugin.clone() }>
                                <strong>{ format!("{node} · {plugin}: ") }</strong>{ words }
                            </li>
                        }) }
                    </ul>
                }
            }
            if !c.score_rows.is_empty() {
                <h3 class="panel__subtitle">{ text(lang, Msg::SchedulerScore) }</h3>
                <table class="scheduler__table" data-score-table="">
                    <thead>
                        <tr>
                            <th>{ text(lang, Msg::SchedulerPlugin) }</th>
                            { for c.score_rows.iter().map(|r| html! { <th>{ &r.node }</th> }) }
                        </tr>
                    </thead>
                    <tbody>
                        { for c.score_plugins.iter().enumerate().map(|(i, plugin)| html! {
                            <tr>
                                <th scope="row">{ plugin }</th>
                                { for c.score_rows.iter().map(|r| match r.cells.get(i) {
                                    Some(s) => html! {
                                        <td title={ format!("raw {} → normalized {} × weight {} = {}", s.raw, s.normalized, s.weight, s.weighted) }>
                                            <span class="score__calc">{ format!("{}→{}×{}", s.raw, s.normalized, s.weight) }</span>
                                            <strong>{ format!(" {}", s.weighted) }</strong>
                                        </td>
                                    },
                                    None => html! { <td>{ "·" }</td> },
                                }) }
                            </tr>
                        }) }
                        <tr class="score__total">
                            <th scope="row">{ text(lang, Msg::SchedulerTotal) }</th>
                            { for c.score_rows.iter().map(|r| html! { <td data-score-total={ r.node.clone() }><strong>{ r.total }</strong></td> }) }
                        </tr>
                    </tbody>
                </table>
                <p class="panel__hint">{ text(lang, Msg::SchedulerScoreHelp) }</p>
            }
            if let Outcome::Unschedulable(pending) = &c.outcome {
                <h3 class="panel__subtitle">{ text(lang, Msg::SchedulerWakeOn) }</h3>
                <ul class="scheduler__wake" data-wake-on="">
                    { for pending.wake_on.iter().map(|w| html! {
                        <li>{ format!("{} ({}) ", explain_wake(lang, w.event), w.event.name()) }
                            if !w.plugins.is_empty() { <code>{ w.plugins.join(", ") }</code> }
                        </li>
                    }) }
                </ul>
            }
        </div>
    }
}
