//! The etcd panel: the store's revisions, the `/registry` key tree (a resource, then a
//! namespace, then its keys with `create_revision`, `mod_revision` and `version`), the history
//! of the key picked, diffed revision by revision, and the watches that hear of it.

use yew::prelude::*;

use super::{on_click, PanelAction};
use crate::present::i18n::{text, Lang, Msg};
use crate::present::panels::etcd::{
    key_history, key_tree, keys_under, object_of_key, summary, watching, Change, DiffOp,
};
use crate::web::SharedSession;

/// A key list shows at most this many keys (etcd's `--limit`); the rest are counted.
const KEYS_SHOWN_MAX: usize = 60;
/// A diff shows this many unchanged lines around each change.
const DIFF_CONTEXT_LINES: usize = 1;

#[derive(Properties, PartialEq)]
pub struct EtcdProps {
    pub lang: Lang,
    pub session: SharedSession,
    pub stamp: (usize, bool),
    /// The tree node open (a resource's or a namespace's prefix).
    pub prefix: Option<String>,
    pub etcd_key: Option<String>,
    pub on_action: Callback<PanelAction>,
}

#[function_component(EtcdPanel)]
pub fn etcd_panel(props: &EtcdProps) -> Html {
    let lang = props.lang;
    let session = props.session.0.borrow();
    let cluster = session.cluster();
    let store = cluster.store();
    let head = summary(cluster);
    let tree = key_tree(store, None);
    let emit = |action: PanelAction| on_click(&props.on_action, action);
    let open_prefix = props.prefix.clone().unwrap_or_default();
    let key_list = |prefix: &str| -> Html {
        let list = keys_under(store, prefix, None, KEYS_SHOWN_MAX);
        html! {
            <ul class="etcd__keys" data-etcd-keys={ prefix.to_string() }>
                { for list.rows.iter().map(|row| html! {
                    <li>
                        <button type="button" class={ classes!("etcd__key", (props.etcd_key.as_deref() == Some(row.key.as_str())).then_some("is-picked")) }
                            data-etcd-key={ row.key.clone() } onclick={ emit(PanelAction::EtcdKey(row.key.clone())) }>
                            { &row.name }
                        </button>
                        <span class="etcd__revs" title="create_revision · mod_revision · version">
                            { format!("c{} · m{} · v{}", row.create_revision, row.mod_revision, row.version) }
                        </span>
                    </li>
                }) }
                if list.more {
                    <li class="panel__hint">{ format!("{} {}", list.count - list.rows.len(), text(lang, Msg::EtcdMore)) }</li>
                }
            </ul>
        }
    };
    html! {
        <div class="etcd" data-etcd-panel="">
            <dl class="etcd__head">
                <div><dt>{ text(lang, Msg::EtcdRevision) }</dt><dd data-etcd-revision="">{ head.revisions.current }</dd></div>
                <div><dt>{ text(lang, Msg::EtcdCompacted) }</dt><dd>{ head.revisions.compacted }</dd></div>
                <div><dt>{ text(lang, Msg::EtcdLiveKeys) }</dt><dd>{ head.live_keys }</dd></div>
            </dl>
            if let Some(key) = &props.etcd_key {
                { history(props, key, &head.watches) }
            } else {
                <p class="panel__hint">{ text(lang, Msg::EtcdPickKey) }</p>
            }
            <h3 class="panel__subtitle">{ text(lang, Msg::EtcdTree) }</h3>
            <ul class="etcd__tree" role="tree">
                { for tree.groups.iter().map(|g| {
                    let open = open_prefix.starts_with(&g.prefix);
                    html! {
                        <li role="treeitem" aria-expanded={ open.to_string() }>
                            <button type="button" class="etcd__group" data-etcd-prefix={ g.prefix.clone() }
                                onclick={ emit(PanelAction::EtcdPrefix(if open { String::new() } else { g.prefix.clone() })) }>
                                { format!("{} {}/ ({})", if open { "▾" } else { "▸" }, g.segment, g.count) }
                            </button>
                            if open && g.namespaces.is_empty() {
                                { key_list(&g.prefix) }
                            } else if open {
                                <ul role="group" class="etcd__namespaces">
                                    { for g.namespaces.iter().map(|ns| {
                                        let ns_open = open_prefix == ns.prefix;
                                        html! {
                                            <li role="treeitem" aria-expanded={ ns_open.to_string() }>
                                                <button type="button" class="etcd__group" data-etcd-prefix={ ns.prefix.clone() }
                                                    onclick={ emit(PanelAction::EtcdPrefix(if ns_open { g.prefix.clone() } else { ns.prefix.clone() })) }>
                                                    { format!("{} {}/ ({})", if ns_open { "▾" } else { "▸" }, ns.namespace, ns.count) }
                                                </button>
                                                if ns_open { { key_list(&ns.prefix) } }
                                            </li>
                                        }
                                    }) }
                                </ul>
                            }
                        </li>
                    }
                }) }
            </ul>
        </div>
    }
}

fn history(
    props: &EtcdProps,
    key: &str,
    watches: &[crate::present::panels::etcd::OpenWatch],
) -> Html {
    let lang = props.lang;
    let session = props.session.0.borrow();
    let Some(h) = key_history(session.cluster().store(), key) else {
        return html! {};
    };
    let inspect =
        object_of_key(key).map(|target| on_click(&props.on_action, PanelAction::Inspect(target)));
    let hearing = watching(watches, key);
    html! {
        <section class="etcd__history" data-etcd-history={ key.to_string() }>
            <h3 class="panel__subtitle">
                { text(lang, Msg::EtcdHistory) }{ " · " }<code>{ key }</code>
                if let Some(onclick) = inspect {
                    { " " }<button type="button" class="link" {onclick}>{ text(lang, Msg::InspectObject) }</button>
                }
            </h3>
            if h.older_unlisted > 0 {
                <p class="panel__hint">{ format!("{} {}", h.older_unlisted, text(lang, Msg::EtcdOlderUnlisted)) }</p>
            }
            <ol class="etcd__entries">
                { for h.entries.iter().rev().map(|e| {
                    let change = match e.change {
                        Change::Created => Msg::EtcdCreated,
                        Change::Modified => Msg::EtcdModified,
                        Change::Deleted => Msg::EtcdDeleted,
                    };
                    html! {
                        <li class="etcd__entry" data-etcd-revision-entry={ e.revision.to_string() }>
                            <div class="etcd__entry-head">
                                <strong>{ format!("rev {}", e.revision) }</strong>
                                <span class={ classes!("etcd__change", format!("etcd__change--{}", text(Lang::En, change))) }>{ text(lang, change) }</span>
                                <span class="etcd__revs">{ format!("create_revision {} · version {} · {} B", e.create_revision, e.version, e.value_bytes) }</span>
                            </div>
                            if !e.diff.changed_fields.is_empty() {
                                <div class="etcd__fields">
                                    { format!("{}: ", text(lang, Msg::EtcdChangedFields)) }
                                    <code>{ e.diff.changed_fields.join(", ") }</code>
                                </div>
                            }
                            if e.change == Change::Modified {
                                { diff_view(&e.diff.lines) }
                            }
                        </li>
                    }
                }) }
            </ol>
            <h3 class="panel__subtitle">{ text(lang, Msg::EtcdWatches) }</h3>
            <table class="etcd__watches">
                <thead><tr><th>{ text(lang, Msg::EtcdHolder) }</th><th>{ "prefix" }</th><th>{ "fieldSelector" }</th></tr></thead>
                <tbody>
                    { for hearing.iter().map(|w| html! {
                        <tr data-watch-holder={ w.holder.clone() }>
                            <td>{ &w.holder }</td>
                            <td><code>{ &w.prefix }</code></td>
                            <td><code>{ w.field_selector.clone().unwrap_or_default() }</code></td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </section>
    }
}

/// The changed lines of a diff, with a line of context around each run.
fn diff_view(lines: &[crate::present::panels::etcd::DiffLine]) -> Html {
    let changed: Vec<bool> = lines.iter().map(|l| l.op != DiffOp::Same).collect();
    let near = |i: usize| {
        let lo = i.saturating_sub(DIFF_CONTEXT_LINES);
        let hi = (i + DIFF_CONTEXT_LINES + 1).min(lines.len());
        changed[lo..hi].iter().any(|c| *c)
    };
    let mut out = Vec::new();
    let mut skipped = false;
    for (i, line) in lines.iter().enumerate() {
        if !near(i) {
            skipped = true;
            continue;
        }
        if skipped {
            out.push(html! { <span class="diff__gap">{ "⋯\n" }</span> });
            skipped = false;
        }
        let (class, sign) = match line.op {
            DiffOp::Same => ("diff__same", ' '),
            DiffOp::Removed => ("diff__removed", '-'),
            DiffOp::Added => ("diff__added", '+'),
        };
        out.push(html! { <span class={ class }>{ format!("{sign} {}\n", line.text) }</span> });
    }
    html! { <pre class="diff" data-diff="">{ for out }</pre> }
}
