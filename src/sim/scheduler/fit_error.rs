//! The FailedScheduling message.
//!
//! Mirrors: `framework.FitError.Error()` in `pkg/scheduler/framework/types.go`:
//! `0/3 nodes are available: <n reason>, <n reason>. <postFilter message>.`
//! Each reason is counted once per node that gave it, written `"<count> <reason>"`, and the
//! entries are sorted *as strings* (so `10 ...` sorts before `2 ...`, exactly as upstream).
//! The PostFilter message (`preemption: 0/3 nodes are available: ...`) is itself a FitError
//! message ending in `.`, and the separator adds another: real clusters show `pod..` at the end.

use std::collections::BTreeMap;

use super::framework::Status;
use crate::sim::sort::StableSort;

/// `NoNodeAvailableMsg` + the reasons + the PostFilter message.
pub fn fit_error_message<'a>(
    num_all_nodes: usize,
    pre_filter_msg: Option<&str>,
    statuses: impl Iterator<Item = &'a Status>,
    post_filter_msg: Option<&str>,
) -> String {
    let mut message = format!("0/{num_all_nodes} nodes are available:");
    match pre_filter_msg.filter(|m| !m.is_empty()) {
        Some(pre) => message.push_str(&format!(" {pre}.")),
        None => {
            let histogram = reason_histogram(statuses);
            if !histogram.is_empty() {
                message.push_str(&format!(" {}.", histogram.join(", ")));
            }
        }
    }
    if let Some(post) = post_filter_msg.filter(|m| !m.is_empty()) {
        message.push_str(&format!(" {post}."));
    }
    message
}

/// `"<count> <reason>"` per distinct reason, sorted as strings.
pub fn reason_histogram<'a>(statuses: impl Iterator<Item = &'a Status>) -> Vec<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for status in statuses {
        for reason in &status.reasons {
            *counts.entry(reason.as_str()).or_insert(0) += 1;
        }
    }
    let mut entries: Vec<String> = counts
        .into_iter()
        .map(|(r, c)| format!("{c} {r}"))
        .collect();
    entries.stable_sort();
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_counted_per_node_and_sorted_as_strings() {
        let mut statuses = vec![Status::unresolvable(
            "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
        )];
        statuses.extend((0..2).map(|_| Status::unschedulable("Insufficient cpu")));
        assert_eq!(
            fit_error_message(3, None, statuses.iter(), None),
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu."
        );
    }

    #[test]
    fn counts_sort_as_strings_so_ten_comes_before_two() {
        let mut statuses: Vec<Status> = (0..10)
            .map(|_| Status::unschedulable("Insufficient memory"))
            .collect();
        statuses.extend((0..2).map(|_| Status::unschedulable("Insufficient cpu")));
        assert_eq!(
            fit_error_message(12, None, statuses.iter(), None),
            "0/12 nodes are available: 10 Insufficient memory, 2 Insufficient cpu."
        );
    }

    #[test]
    fn a_node_with_several_reasons_counts_in_each() {
        let s = Status {
            code: crate::sim::scheduler::framework::Code::Unschedulable,
            reasons: vec!["Insufficient cpu".into(), "Insufficient memory".into()],
            plugin: "NodeResourcesFit",
        };
        assert_eq!(
            fit_error_message(1, None, std::iter::once(&s), Some("preemption: not eligible due to preemptionPolicy=Never.")),
            "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: not eligible due to preemptionPolicy=Never.."
        );
    }

    #[test]
    fn a_pre_filter_rejection_replaces_the_node_reasons() {
        let s = Status::unschedulable("ignored");
        assert_eq!(
            fit_error_message(
                3,
                Some("pod has unbound immediate PersistentVolumeClaims"),
                std::iter::once(&s),
                None
            ),
            "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims."
        );
    }
}
