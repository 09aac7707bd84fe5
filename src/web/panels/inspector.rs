//! The Inspector: any object as `kubectl get -o yaml` prints it, its events as `kubectl
//! describe` lists them, its owner chain (Deployment → ReplicaSet → Pod) and its dependents,
//! each a link to that object. Without an object, a picker: a kind, then one of its objects.

use yew::prelude::*;

use super::{on_click, PanelAction};
use crate::present::i18n::{text, Lang, Msg};
use crate::present::panels::etcd::key_of;
use crate::present::panels::inspector::{
    inspect, objects_of, resource_counts, Dependent, Link, ObjectRef,
};
use crate::web::SharedSession;

/// The picker lists at most this many objects of a kind.
const OBJECTS_SHOWN_MAX: usize = 80;

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    pub lang: Lang,
    pub session: SharedSession,
    pub stamp: (usize, bool),
    pub target: Option<ObjectRef>,
    /// The kind picked in the picker (a resource's plural).
    pub kind: Option<String>,
    pub on_action: Callback<PanelAction>,
}

fn link_label(link: &Link) -> String {
    format!("{}/{}", link.kind, link.target.name)
}

#[function_component(InspectorPanel)]
pub fn inspector_panel(props: &InspectorProps) -> Html {
    let lang = props.lang;
    let emit = |action: PanelAction| on_click(&props.on_action, action);
    let session = props.session.0.borrow();
    let cluster = session.cluster();
    let Some(target) = &props.target else {
        return picker(props);
    };
    let Some(object) = inspect(cluster, target, None) else {
        return html! {
            <div class="inspector">
                <p class="panel__hint" data-inspector-gone="">{ text(lang, Msg::InspectorGone) }</p>
                <button type="button" class="link" onclick={ emit(PanelAction::InspectNone) }>{ text(lang, Msg::InspectorBack) }</button>
            </div>
        };
    };
    let link_button = |link: &Link, current: bool| -> Html {
        html! {
            <button type="button" class={ classes!("link", current.then_some("is-current")) }
                data-inspect-link={ format!("{}/{}", link.kind, link.target.name) }
                onclick={ emit(PanelAction::Inspect(link.target.clone())) }>
                { link_label(link) }
            </button>
        }
    };
    fn tree(d: &Dependent, render: &dyn Fn(&Link) -> Html) -> Html {
        html! {
            <li>
                { render(&d.link) }
                if d.unlisted > 0 { <span class="panel__hint">{ format!(" +{}", d.unlisted) }</span> }
                if !d.dependents.is_empty() {
                    <ul>{ for d.dependents.iter().map(|c| tree(c, render)) }</ul>
                }
            </li>
        }
    }
    let is_pod = target.resource == "pods";
    let pod_key = format!(
        "{}/{}",
        target.namespace.clone().unwrap_or_default(),
        target.name
    );
    html! {
        <div class="inspector" data-inspector={ format!("{}/{}", object.link.kind, object.link.target.name) }>
            <div class="inspector__links">
                <button type="button" class="link" onclick={ emit(PanelAction::InspectNone) }>{ format!("← {}", text(lang, Msg::InspectorBack)) }</button>
                if let Some(key) = key_of(target) {
                    <button type="button" class="link" onclick={ emit(PanelAction::EtcdKeyOpen(key)) }>{ text(lang, Msg::EtcdKeyLink) }</button>
                }
                if is_pod {
                    <button type="button" class="link" onclick={ emit(PanelAction::PickPod(pod_key.clone())) }>{ text(lang, Msg::PanelJourney) }</button>
                    <button type="button" class="link" onclick={ emit(PanelAction::ScheduleOf(pod_key.clone())) }>{ text(lang, Msg::PanelScheduler) }</button>
                }
            </div>
            <h3 class="panel__subtitle">{ text(lang, Msg::InspectorOwners) }</h3>
            <ol class="inspector__chain" data-owner-chain="">
                { for object.owner_chain.iter().map(|l| html! {
                    <li data-owner-kind={ l.kind.clone() }>{ link_button(l, l.target == *target) }</li>
                }) }
            </ol>
            if !object.dependents.dependents.is_empty() {
                <h3 class="panel__subtitle">{ text(lang, Msg::InspectorDependents) }</h3>
                <ul class="inspector__tree" data-dependents="">
                    { for object.dependents.dependents.iter().map(|d| tree(d, &|l: &Link| link_button(l, false))) }
                </ul>
            }
            <h3 class="panel__subtitle">{ text(lang, Msg::InspectorEvents) }</h3>
            if object.events.is_empty() {
                <p class="panel__hint">{ text(lang, Msg::InspectorNoEvents) }</p>
            } else {
                <table class="inspector__events" data-events="">
                    <thead><tr><th>{ "Type" }</th><th>{ "Reason" }</th><th>{ "Age" }</th><th>{ "From" }</th><th>{ "Message" }</th></tr></thead>
                    <tbody>
                        { for object.events.iter().map(|e| html! {
                            <tr data-event-reason={ e.reason.clone() }>
                                <td>{ &e.event_type }</td><td>{ &e.reason }</td><td>{ &e.age }</td>
                                <td>{ &e.from }</td><td>{ &e.message }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
            <h3 class="panel__subtitle">{ format!("YAML · kubectl get {} {} -o yaml", target.resource, target.name) }</h3>
            <pre class="inspector__yaml" data-yaml="">{ &object.yaml }</pre>
        </div>
    }
}

fn picker(props: &InspectorProps) -> Html {
    let lang = props.lang;
    let session = props.session.0.borrow();
    let store = session.cluster().store();
    let emit = |action: PanelAction| on_click(&props.on_action, action);
    let counts = resource_counts(store, None);
    html! {
        <div class="inspector" data-inspector-picker="">
            <p class="panel__hint">{ text(lang, Msg::InspectorPick) }</p>
            <div class="inspector__kinds">
                { for counts.iter().filter(|c| c.count > 0).map(|c| {
                    let picked = props.kind.as_deref() == Some(c.resource.as_str());
                    html! {
                        <button type="button" class={ classes!("inspector__kind", picked.then_some("is-picked")) }
                            data-inspect-kind={ c.resource.clone() } aria-pressed={ picked.to_string() }
                            onclick={ emit(PanelAction::InspectKind(c.resource.clone())) }>
                            { format!("{} ({})", c.kind, c.count) }
                        </button>
                    }
                }) }
            </div>
            if let Some(kind) = &props.kind {
                <ul class="inspector__objects">
                    { for objects_of(store, kind, None, None).into_iter().take(OBJECTS_SHOWN_MAX).map(|o| {
                        let label = match &o.namespace {
                            Some(ns) => format!("{ns}/{}", o.name),
                            None => o.name.clone(),
                        };
                        html! {
                            <li><button type="button" class="link" data-inspect-object={ label.clone() }
                                onclick={ emit(PanelAction::Inspect(o.clone())) }>{ label }</button></li>
                        }
                    }) }
                </ul>
            }
        </div>
    }
}
