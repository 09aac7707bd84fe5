//! The Failures panel: buttons that break the cluster and mend it. Each runs the line a student
//! could type (`vagrant halt node2`, `ssh node2 systemctl stop kubelet`, ...) in the terminal, so
//! it is seen there and animated like any other command. Below them, a reset with a
//! confirmation, and the seed.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::{on_click, PanelAction};
use crate::present::failures::{killable, rows, Target};
use crate::present::i18n::{text, Lang, Msg};
use crate::web::SharedSession;

#[derive(Properties, PartialEq)]
pub struct FailuresProps {
    pub lang: Lang,
    pub session: SharedSession,
    pub stamp: (usize, bool),
    pub confirm_reset: bool,
    pub can_run: bool,
    pub on_action: Callback<PanelAction>,
}

fn target_label(lang: Lang, target: Target) -> &'static str {
    match target {
        Target::Vm => text(lang, Msg::FailureVm),
        Target::Kubelet => "kubelet",
        Target::Containerd => "containerd",
        Target::Network => text(lang, Msg::FailureNetwork),
        Target::Scheduler => "kube-scheduler",
        Target::ControllerManager => "kube-controller-manager",
    }
}

#[function_component(FailuresPanel)]
pub fn failures_panel(props: &FailuresProps) -> Html {
    let lang = props.lang;
    let run = |line: &str| on_click(&props.on_action, PanelAction::Run(line.to_string()));
    let words = |t: Target| {
        if t == Target::Network {
            (Msg::FailureCut, Msg::FailureRestore)
        } else {
            (Msg::FailureStop, Msg::FailureStart)
        }
    };
    let all = rows();
    let vms: Vec<&str> = {
        let mut v: Vec<&str> = all.iter().map(|r| r.vm).collect();
        v.dedup();
        v
    };
    let containers = killable(&props.session.0.borrow());
    let seed = props.session.0.borrow().seed();
    let seed_input = use_node_ref();
    let reset = {
        let (on_action, seed_input) = (props.on_action.clone(), seed_input.clone());
        Callback::from(move |_| {
            let seed = seed_input
                .cast::<HtmlInputElement>()
                .and_then(|i| i.value().trim().parse::<u64>().ok())
                .unwrap_or(seed);
            on_action.emit(PanelAction::Reset(seed));
        })
    };
    let ask = |yes: bool| on_click(&props.on_action, PanelAction::AskReset(yes));
    html! {
        <div class="failures" data-failures-panel="">
            <p class="panel__hint">{ text(lang, Msg::FailuresHint) }</p>
            { for vms.iter().map(|vm| html! {
                <section class="failures__vm" data-failure-vm={ vm.to_string() }>
                    <h3 class="panel__subtitle">{ vm }</h3>
                    <table class="failures__table">
                        <tbody>
                            { for all.iter().filter(|r| r.vm == *vm).map(|r| {
                                let (stop, start) = words(r.target);
                                html! {
                                    <tr data-failure={ r.target.id() }>
                                        <th scope="row">
                                            { target_label(lang, r.target) }
                                            <code class="failures__line">{ &r.stop }</code>
                                        </th>
                                        <td>
                                            <button type="button" class="failures__stop" title={ r.stop.clone() }
                                                data-failure-stop={ format!("{}/{}", r.vm, r.target.id()) }
                                                disabled={ !props.can_run } onclick={ run(&r.stop) }>
                                                { text(lang, stop) }
                                            </button>
                                        </td>
                                        <td>
                                            <button type="button" class="failures__start" title={ r.start.clone() }
                                                data-failure-start={ format!("{}/{}", r.vm, r.target.id()) }
                                                disabled={ !props.can_run } onclick={ run(&r.start) }>
                                                { text(lang, start) }
                                            </button>
                                        </td>
                                    </tr>
                                }
                            }) }
                        </tbody>
                    </table>
                </section>
            }) }
            <section class="failures__kill">
                <h3 class="panel__subtitle">{ text(lang, Msg::FailureKill) }</h3>
                if containers.is_empty() {
                    <p class="panel__hint">{ text(lang, Msg::FailureNoContainers) }</p>
                } else {
                    <ul class="failures__containers">
                        { for containers.iter().map(|c| html! {
                            <li>
                                <button type="button" class="failures__stop" title={ c.line.clone() }
                                    data-failure-kill={ c.pod.clone() } disabled={ !props.can_run }
                                    onclick={ run(&c.line) }>
                                    { text(lang, Msg::FailureStop) }
                                </button>
                                <span>{ format!("{} · {} · {}", c.pod, c.container, c.node) }</span>
                            </li>
                        }) }
                    </ul>
                }
            </section>
            <section class="failures__reset">
                <label class="failures__seed">
                    <span>{ text(lang, Msg::Seed) }</span>
                    <input type="number" min="0" ref={seed_input} value={ seed.to_string() } data-seed="" />
                </label>
                if props.confirm_reset {
                    <div class="failures__confirm" role="alertdialog" aria-label={ text(lang, Msg::ResetCluster) }>
                        <p>{ text(lang, Msg::ResetConfirm) }</p>
                        <button type="button" class="failures__stop" data-reset-yes="" onclick={reset}>
                            { text(lang, Msg::ResetYes) }
                        </button>
                        <button type="button" data-reset-no="" onclick={ ask(false) }>{ text(lang, Msg::ResetNo) }</button>
                    </div>
                } else {
                    <button type="button" class="failures__stop" data-reset="" onclick={ ask(true) }>
                        { text(lang, Msg::ResetCluster) }
                    </button>
                }
            </section>
        </div>
    }
}
