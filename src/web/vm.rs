//! One VM card: its name, address and size, and a box per component running on it.

use std::rc::Rc;

use yew::prelude::*;

use crate::present::cluster_view::{group_by_owner, Health, NodeState, PodChip, Readiness};
use crate::present::i18n::{text, Lang, Msg};
use crate::present::topology::{Component, Role, Vm};

/// A card shows pods one by one up to this many; past it, grouped by owner with counts.
pub const POD_CHIPS_MAX: usize = 12;

#[derive(Properties, PartialEq)]
pub struct VmCardProps {
    pub vm: Vm,
    /// The node as the scene at the playhead has it (None before it registered).
    pub node: Option<NodeState>,
    /// The pods bound to this VM at the playhead.
    pub pods: Vec<PodChip>,
    /// The `data-place` ids the beat in play touches: lit.
    pub active: Rc<Vec<String>>,
    pub lang: Lang,
    /// A pod chip was clicked (`namespace/name`): its journey opens.
    #[prop_or_default]
    pub on_pick: Callback<String>,
    /// The pod the panels are about: its chip is marked.
    #[prop_or_default]
    pub picked: Option<String>,
}

/// The node's state badge: what `kubectl get nodes` would say, and a powered-off VM.
fn node_badge(lang: Lang, node: &NodeState) -> Html {
    let (class, msg) = if node.halted {
        ("badge--down", Msg::NodeHalted)
    } else {
        match node.readiness {
            Readiness::Ready => ("badge--ready", Msg::NodeReady),
            Readiness::NotReady => ("badge--down", Msg::NodeNotReady),
            Readiness::Unknown => ("badge--down", Msg::NodeUnknown),
        }
    };
    html! {
        <span class="vm__badges">
            <span class={ classes!("badge", class) } data-node-status="" title={ node.reason.clone() }>
                { text(lang, msg) }
            </span>
            if node.cordoned {
                <span class="badge badge--warn">{ text(lang, Msg::NodeCordoned) }</span>
            }
            if !node.taints.is_empty() {
                <span class="badge badge--taint" data-taints={ node.taints.join(",") }
                    title={ format!("{}: {}", text(lang, Msg::Taints), node.taints.join(", ")) }>
                    { format!("{} {}", text(lang, Msg::Taints), node.taints.len()) }
                </span>
            }
        </span>
    }
}

/// Pods grouped by owner, with counts: a card (or the unscheduled strip) with more pods than it
/// can show one by one.
fn pod_groups(lang: Lang, pods: &[PodChip]) -> Html {
    html! {
        <ul class="pods pods--grouped">
            { for group_by_owner(pods).into_iter().map(|g| html! {
                <li class={ classes!("pod", "pod--group", if g.bad > 0 { "pod--bad" } else if g.progressing > 0 { "pod--progressing" } else { "pod--good" }) }
                    data-pod-group={ g.owner.clone() } title={ g.owner.clone() }>
                    <span class="pod__name">{ g.owner.rsplit('/').next().unwrap_or("").to_string() }</span>
                    <span class="pod__status">{ format!("{} {} · Running {}", g.count, text(lang, Msg::PodsCount), g.good) }</span>
                </li>
            }) }
        </ul>
    }
}

#[function_component(VmCard)]
pub fn vm_card(props: &VmCardProps) -> Html {
    let VmCardProps {
        vm,
        node,
        pods,
        active,
        lang,
        on_pick,
        picked,
    } = props;
    let lang = *lang;
    let (role_class, role_msg) = match vm.role {
        Role::ControlPlane => ("vm--control-plane", Msg::RoleControlPlane),
        Role::Worker => ("vm--worker", Msg::RoleWorker),
    };
    let control_plane: Vec<Component> = vm.control_plane_components().collect();
    let ready = node.as_ref().map(|n| {
        if n.halted {
            "false"
        } else {
            n.readiness.attr()
        }
    });
    let halted = node.as_ref().is_some_and(|n| n.halted);
    let boxes = |components: Vec<Component>| -> Html {
        components
            .into_iter()
            .map(|c| {
                let place = format!("{}/{}", vm.name, c.id());
                let lit = active.contains(&place);
                html! { <ComponentBox component={c} {lang} {place} {lit} /> }
            })
            .collect()
    };
    html! {
        <section class={ classes!("vm", role_class, halted.then_some("vm--halted")) }
            data-vm={ vm.name.clone() } data-ready={ ready.unwrap_or("unknown") }
            aria-label={ vm.name.clone() }>
            <header class="vm__head">
                <h2 class="vm__name">{ &vm.name }</h2>
                <span class="vm__role">{ text(lang, role_msg) }</span>
                if let Some(node) = node {
                    { node_badge(lang, node) }
                }
            </header>
            <p class="vm__facts">
                <span class="vm__ip" data-ip="">{ vm.ip.to_string() }</span>
                <span class="vm__size">{ vm.vcpu_label() }</span>
                <span class="vm__size">{ vm.memory_label() }</span>
            </p>
            if !control_plane.is_empty() {
                <h3 class="vm__section">{ text(lang, Msg::ControlPlaneComponents) }</h3>
                <ul class="components components--control-plane">
                    { boxes(control_plane) }
                </ul>
            }
            <h3 class="vm__section">{ text(lang, Msg::NodeComponents) }</h3>
            <ul class="components components--node">
                { boxes(vm.node_components().collect()) }
            </ul>
            <h3 class="vm__section">{ text(lang, Msg::Pods) }</h3>
            <div class="vm__pods" data-pods="">
                if pods.is_empty() {
                    <span class="vm__pods-empty">{ text(lang, Msg::NoPods) }</span>
                } else if pods.len() > POD_CHIPS_MAX {
                    { pod_groups(lang, pods) }
                } else {
                    <ul class="pods">
                        { for pods.iter().map(|p| html! {
                            <Pod pod={ p.clone() } node={ vm.name.clone() } on_pick={ on_pick.clone() }
                                picked={ picked.as_deref() == Some(p.key().as_str()) } />
                        }) }
                    </ul>
                }
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ComponentBoxProps {
    pub component: Component,
    pub lang: Lang,
    /// Its `data-place` id: `master/kube-apiserver`.
    pub place: AttrValue,
    /// The beat in play touches it.
    pub lit: bool,
}

#[function_component(ComponentBox)]
pub fn component_box(props: &ComponentBoxProps) -> Html {
    let c = props.component;
    html! {
        <li class={ classes!("component", c.is_control_plane().then_some("component--control-plane"), props.lit.then_some("is-active")) }
            data-component={ c.id() } data-place={ props.place.clone() }
            title={ text(props.lang, Msg::ComponentSummary(c)) }>
            <span class="component__name">{ c.name() }</span>
        </li>
    }
}

#[derive(Properties, PartialEq)]
pub struct PodProps {
    pub pod: PodChip,
    /// The node it is bound to; empty while unscheduled.
    #[prop_or_default]
    pub node: AttrValue,
    #[prop_or_default]
    pub on_pick: Callback<String>,
    #[prop_or_default]
    pub picked: bool,
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
    let key = p.key();
    let onclick = {
        let (on_pick, key) = (props.on_pick.clone(), key.clone());
        Callback::from(move |_| on_pick.emit(key.clone()))
    };
    html! {
        <li class={ classes!("pod", health, props.picked.then_some("is-picked")) } data-pod={ key.clone() }
            data-node={ props.node.clone() } data-status={ p.status.clone() }>
            <button type="button" class="pod__pick" {onclick} title={ key.clone() }
                aria-pressed={ props.picked.to_string() }>
                <span class="pod__name">{ &p.name }</span>
                <span class="pod__status">{ &p.status }</span>
                <span class="pod__ready">{ &p.ready }</span>
            </button>
        </li>
    }
}

#[derive(Properties, PartialEq)]
pub struct UnscheduledProps {
    pub pods: Vec<PodChip>,
    pub lang: Lang,
    #[prop_or_default]
    pub on_pick: Callback<String>,
    #[prop_or_default]
    pub picked: Option<String>,
}

/// Pods no node has taken yet: they wait here until the scheduler binds them. Past
/// [`POD_CHIPS_MAX`], grouped by owner as a card groups its pods (at 1,000 pods, 780 wait: one
/// chip each was about 80 ms of the page's main thread to build in the DOM).
#[function_component(Unscheduled)]
pub fn unscheduled(props: &UnscheduledProps) -> Html {
    html! {
        <section class="unscheduled" data-unscheduled="">
            <h3 class="vm__section">{ text(props.lang, Msg::Unscheduled) }</h3>
            if props.pods.len() > POD_CHIPS_MAX {
                { pod_groups(props.lang, &props.pods) }
            } else {
                <ul class="pods">
                    { for props.pods.iter().map(|p| html! {
                        <Pod pod={ p.clone() } on_pick={ props.on_pick.clone() }
                            picked={ props.picked.as_deref() == Some(p.key().as_str()) } />
                    }) }
                </ul>
            }
        </section>
    }
}
