//! One VM card: its name, address and size, and a box per component running on it.

use yew::prelude::*;

use crate::present::cluster_view::{Health, PodChip};
use crate::present::i18n::{text, Lang, Msg};
use crate::present::topology::{Component, Role, Vm};

#[derive(Properties, PartialEq)]
pub struct VmCardProps {
    pub vm: Vm,
    /// The pods bound to this VM, live.
    pub pods: Vec<PodChip>,
    pub lang: Lang,
}

#[function_component(VmCard)]
pub fn vm_card(props: &VmCardProps) -> Html {
    let VmCardProps { vm, pods, lang } = props;
    let lang = *lang;
    let (role_class, role_msg) = match vm.role {
        Role::ControlPlane => ("vm--control-plane", Msg::RoleControlPlane),
        Role::Worker => ("vm--worker", Msg::RoleWorker),
    };
    let control_plane: Vec<Component> = vm.control_plane_components().collect();
    html! {
        <section class={ classes!("vm", role_class) } data-vm={ vm.name.clone() } aria-label={ vm.name.clone() }>
            <header class="vm__head">
                <h2 class="vm__name">{ &vm.name }</h2>
                <span class="vm__role">{ text(lang, role_msg) }</span>
            </header>
            <p class="vm__facts">
                <span class="vm__ip" data-ip="">{ vm.ip.to_string() }</span>
                <span class="vm__size">{ vm.vcpu_label() }</span>
                <span class="vm__size">{ vm.memory_label() }</span>
            </p>
            if !control_plane.is_empty() {
                <h3 class="vm__section">{ text(lang, Msg::ControlPlaneComponents) }</h3>
                <ul class="components components--control-plane">
                    { for control_plane.into_iter().map(|c| html! { <ComponentBox component={c} {lang} /> }) }
                </ul>
            }
            <h3 class="vm__section">{ text(lang, Msg::Pods) }</h3>
            <div class="vm__pods" data-pods="">
                if pods.is_empty() {
                    <span class="vm__pods-empty">{ text(lang, Msg::NoPods) }</span>
                } else {
                    <ul class="pods">
                        { for pods.iter().map(|p| html! { <Pod pod={ p.clone() } /> }) }
                    </ul>
                }
            </div>
            <div class="vm__node-part">
                <h3 class="vm__section">{ text(lang, Msg::NodeComponents) }</h3>
                <ul class="components components--node">
                    { for vm.node_components().map(|c| html! { <ComponentBox component={c} {lang} /> }) }
                </ul>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ComponentBoxProps {
    pub component: Component,
    pub lang: Lang,
}

#[function_component(ComponentBox)]
pub fn component_box(props: &ComponentBoxProps) -> Html {
    let c = props.component;
    html! {
        <li class={ classes!("component", c.is_control_plane().then_some("component--control-plane")) }
            data-component={ c.id() }>
            <span class="component__name">{ c.name() }</span>
            <span class="component__summary">{ text(props.lang, Msg::ComponentSummary(c)) }</span>
        </li>
    }
}

#[derive(Properties, PartialEq)]
pub struct PodProps {
    pub pod: PodChip,
}

/// One pod: its name, and kubectl's READY and STATUS columns, coloured by health.
#[function_component(Pod)]
pub fn pod(props: &PodProps) -> Html {
    let p = &props.pod;
    let health = match p.health {
        Health::Good => "pod--good",
        Health::Progressing => "pod--progressing",
        Health::Bad => "pod--bad",
    };
    html! {
        <li class={ classes!("pod", health) } data-pod={ format!("{}/{}", p.namespace, p.name) }
            title={ format!("{}/{}", p.namespace, p.name) }>
            <span class="pod__name">{ &p.name }</span>
            <span class="pod__status">{ &p.status }</span>
            <span class="pod__ready">{ &p.ready }</span>
        </li>
    }
}

#[derive(Properties, PartialEq)]
pub struct UnscheduledProps {
    pub pods: Vec<PodChip>,
    pub lang: Lang,
}

/// Pods no node has taken yet: they wait here until the scheduler binds them.
#[function_component(Unscheduled)]
pub fn unscheduled(props: &UnscheduledProps) -> Html {
    html! {
        <section class="unscheduled" data-unscheduled="">
            <h3 class="vm__section">{ text(props.lang, Msg::Unscheduled) }</h3>
            <ul class="pods">
                { for props.pods.iter().map(|p| html! { <Pod pod={ p.clone() } /> }) }
            </ul>
        </section>
    }
}
