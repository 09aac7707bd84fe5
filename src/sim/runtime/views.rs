//! What `crictl` and `docker` print on a node, from the runtime's state.
//!
//! Mirrors: crictl v1.32's `ps`, `ps -a`, `images`, `pods` tables (Go tabwriter, min width 20,
//! padding 3; ids cut to 13; newest first) and docker's `ps`/`images` (min width 10, padding 3;
//! ids cut to 12; `k8s_<container>_<pod>_<namespace>_<uid>_<attempt>` names as dockershim made
//! them); go-units' `HumanDuration` and `HumanSizeWithPrecision(size, 3)`.
//! Simplified: no filters besides `-a`; `docker` sees the CRI containers as dockershim showed them.

use super::cri::{ContainerState, PodSandboxState, Runtime};
use super::reference::parse_image_ref;
use crate::sim::clock::{Ticks, TICKS_PER_SECOND};
use crate::sim::sort::StableSort;

/// Go's `text/tabwriter` with `padchar ' '` and no flags: every column but the last is padded to
/// its widest cell plus `padding`, and at least `min_width`.
pub fn tabwrite(rows: &[Vec<String>], min_width: usize, padding: usize) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            widths[i] = widths[i].max((cell.chars().count() + padding).max(min_width));
        }
    }
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

/// go-units `HumanDuration`: `Less than a second`, `5 seconds`, `About a minute`, `3 hours`...
pub fn human_duration(ticks: Ticks) -> String {
    let seconds = ticks / TICKS_PER_SECOND;
    let minutes = seconds / 60;
    // Hours round to nearest, as go-units does with `d.Hours() + 0.5`.
    let hours = (ticks + 1_800_000) / 3_600_000;
    if seconds < 1 {
        "Less than a second".into()
    } else if seconds == 1 {
        "1 second".into()
    } else if seconds < 60 {
        format!("{seconds} seconds")
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", ticks / 3_600_000 / 24 / 365)
    }
}

/// go-units `HumanSizeWithPrecision(size, 3)`: decimal units, three significant digits (`%.3g`).
pub fn human_size(bytes: u64) -> String {
    human_size_with_precision(bytes, 3)
}

/// go-units `HumanSizeWithPrecision(size, precision)` (`HumanSize` is precision 4).
pub fn human_size_with_precision(bytes: u64, precision: usize) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    format!("{}{}", format_g(size, precision), UNITS[unit])
}

/// Go's `%.{precision}g` for 0 <= v < 1000 (precision 3 or 4): significant digits, trailing
/// zeros trimmed.
fn format_g(v: f64, precision: usize) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits_before = if v >= 100.0 {
        3
    } else if v >= 10.0 {
        2
    } else {
        1
    };
    let decimals = precision.saturating_sub(digits_before);
    let s = format!("{v:.decimals$}");
    // Rounding up to 1000 needs a fourth digit, which `%.3g` writes as an exponent.
    if s.starts_with("1000") && precision <= 3 {
        return "1e+03".into();
    }
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

pub fn short(id: &str, n: usize) -> String {
    id.trim_start_matches("sha256:").chars().take(n).collect()
}

/// `crictl ps` (running only) or `crictl ps -a`.
pub fn crictl_ps(runtime: &Runtime, now: Ticks, all: bool) -> String {
    let mut rows = vec![[
        "CONTAINER",
        "IMAGE",
        "CREATED",
        "STATE",
        "NAME",
        "ATTEMPT",
        "POD ID",
        "POD",
        "NAMESPACE",
    ]
    .map(String::from)
    .to_vec()];
    for c in runtime.containers_newest_first(None) {
        if !all && c.state != ContainerState::ContainerRunning {
            continue;
        }
        let (pod, namespace) = runtime
            .sandbox(&c.pod_sandbox_id)
            .map(|s| (s.config.name.clone(), s.config.namespace.clone()))
            .unwrap_or_default();
        if namespace == DOCKER_NAMESPACE {
            // crictl reads containerd's `k8s.io` namespace; dockerd's containers are in `moby`.
            continue;
        }
        rows.push(vec![
            short(&c.id, 13),
            short(&c.image_id, 13),
            format!("{} ago", human_duration(now.saturating_sub(c.created_tick))),
            c.state.crictl().to_string(),
            c.config.name.clone(),
            c.config.attempt.to_string(),
            short(&c.pod_sandbox_id, 13),
            pod,
            namespace,
        ]);
    }
    tabwrite(&rows, 20, 3)
}

/// `crictl images`: images sorted by their first tag (then digest, then id), one row per tag;
/// an image with no tag shows its repository and `<none>`.
pub fn crictl_images(runtime: &Runtime) -> String {
    let mut images: Vec<_> = runtime.images().images().collect();
    let first = |set: &std::collections::BTreeSet<String>| set.iter().next().cloned();
    images.stable_sort_by(|a, b| match (first(&a.repo_tags), first(&b.repo_tags)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => match (first(&a.repo_digests), first(&b.repo_digests)) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => a.id.cmp(&b.id),
        },
    });
    let mut rows = vec![["IMAGE", "TAG", "IMAGE ID", "SIZE"]
        .map(String::from)
        .to_vec()];
    for image in images {
        let id = short(&image.id, 13);
        let size = human_size(image.size_bytes);
        let repo_from_digest = first(&image.repo_digests)
            .and_then(|d| d.split('@').next().map(str::to_string))
            .unwrap_or_else(|| "<none>".into());
        if image.repo_tags.is_empty() {
            rows.push(vec![repo_from_digest, "<none>".into(), id, size]);
            continue;
        }
        for tag_ref in &image.repo_tags {
            // The tag is what follows the last ':' (a registry port comes before a '/').
            let (repo, tag) = match tag_ref.rsplit_once(':') {
                Some((repo, tag)) => (repo.to_string(), tag.to_string()),
                None => ("errorRepoTag".into(), "errorRepoTag".into()),
            };
            rows.push(vec![repo, tag, id.clone(), size.clone()]);
        }
    }
    tabwrite(&rows, 20, 3)
}

/// `crictl pods`.
pub fn crictl_pods(runtime: &Runtime, now: Ticks) -> String {
    let mut rows = vec![[
        "POD ID",
        "CREATED",
        "STATE",
        "NAME",
        "NAMESPACE",
        "ATTEMPT",
        "RUNTIME",
    ]
    .map(String::from)
    .to_vec()];
    for s in runtime.sandboxes_newest_first() {
        if s.config.namespace == DOCKER_NAMESPACE {
            continue;
        }
        rows.push(vec![
            short(&s.id, 13),
            format!("{} ago", human_duration(now.saturating_sub(s.created_tick))),
            match s.state {
                PodSandboxState::SandboxReady => "Ready",
                PodSandboxState::SandboxNotReady => "NotReady",
            }
            .to_string(),
            s.config.name.clone(),
            s.config.namespace.clone(),
            s.config.attempt.to_string(),
            "(default)".to_string(),
        ]);
    }
    tabwrite(&rows, 20, 3)
}

/// Docker's `Ellipsis(s, 20)` then `strconv.Quote`.
fn docker_command(argv: &[String]) -> String {
    let command = argv.join(" ");
    let chars: Vec<char> = command.chars().collect();
    let cut: String = if chars.len() > 20 {
        chars[..19].iter().collect::<String>() + "…"
    } else {
        command
    };
    format!("{cut:?}")
}

/// `docker ps` / `docker ps -a`: pause containers appear as `k8s_POD_...`.
/// The sandbox namespace of containers `docker run` made (dockerd's containerd namespace);
/// the kubelet's are in `k8s.io`'s pods' namespaces.
pub const DOCKER_NAMESPACE: &str = "moby";
/// The sandbox label holding `docker run -p`'s `HOST:CONTAINER` pairs, comma-separated.
pub const PUBLISHED_PORTS_LABEL: &str = "sandbox.docker.ports";

/// PORTS of `docker ps` for a running container with published ports.
fn published_ports(sandbox: &super::PodSandbox, state: ContainerState) -> String {
    let Some(ports) = sandbox.config.labels.get(PUBLISHED_PORTS_LABEL) else {
        return String::new();
    };
    if state != ContainerState::ContainerRunning {
        return String::new();
    }
    ports
        .split(',')
        .filter_map(|pair| pair.split_once(':'))
        .flat_map(|(host, container)| {
            [
                format!("0.0.0.0:{host}->{container}/tcp"),
                format!("[::]:{host}->{container}/tcp"),
            ]
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn docker_ps(runtime: &Runtime, now: Ticks, all: bool) -> String {
    struct Row {
        created: Ticks,
        cells: Vec<String>,
    }
    let mut rows: Vec<Row> = Vec::new();
    let status = |state: ContainerState,
                  started: Option<Ticks>,
                  finished: Option<Ticks>,
                  code: i32| match state {
        ContainerState::ContainerRunning => format!(
            "Up {}",
            human_duration(now.saturating_sub(started.unwrap_or(now)))
        ),
        ContainerState::ContainerExited => format!(
            "Exited ({code}) {} ago",
            human_duration(now.saturating_sub(finished.unwrap_or(now)))
        ),
        ContainerState::ContainerCreated => "Created".into(),
        ContainerState::ContainerUnknown => "Dead".into(),
    };
    for s in runtime.sandboxes_newest_first() {
        let ready = s.state == PodSandboxState::SandboxReady;
        if !all && !ready || s.config.namespace == DOCKER_NAMESPACE {
            continue;
        }
        let c = &s.config;
        rows.push(Row {
            created: s.created_tick,
            cells: vec![
                short(&s.id, 12),
                super::cri::SANDBOX_IMAGE.to_string(),
                "\"/pause\"".into(),
                format!("{} ago", human_duration(now.saturating_sub(s.created_tick))),
                if ready {
                    format!("Up {}", human_duration(now.saturating_sub(s.created_tick)))
                } else {
                    let stopped = s.stopped_tick.unwrap_or(now);
                    format!(
                        "Exited (0) {} ago",
                        human_duration(now.saturating_sub(stopped))
                    )
                },
                String::new(),
                format!("k8s_POD_{}_{}_{}_{}", c.name, c.namespace, c.uid, c.attempt),
            ],
        });
    }
    for ctr in runtime.containers_newest_first(None) {
        if !all && ctr.state != ContainerState::ContainerRunning {
            continue;
        }
        let Some(s) = runtime.sandbox(&ctr.pod_sandbox_id) else {
            continue;
        };
        let image = parse_image_ref(&ctr.config.image)
            .map(|r| match r.tag_or_latest() {
                Some(tag) if r.tag.is_some() => format!("{}:{tag}", r.familiar_name()),
                _ => r.familiar_name(),
            })
            .unwrap_or_else(|_| ctr.config.image.clone());
        rows.push(Row {
            created: ctr.created_tick,
            cells: vec![
                short(&ctr.id, 12),
                image,
                docker_command(&ctr.argv),
                format!(
                    "{} ago",
                    human_duration(now.saturating_sub(ctr.created_tick))
                ),
                status(
                    ctr.state,
                    ctr.started_tick,
                    ctr.finished_tick,
                    ctr.exit_code,
                ),
                published_ports(s, ctr.state),
                if s.config.namespace == DOCKER_NAMESPACE {
                    ctr.config.name.clone()
                } else {
                    format!(
                        "k8s_{}_{}_{}_{}_{}",
                        ctr.config.name,
                        s.config.name,
                        s.config.namespace,
                        s.config.uid,
                        ctr.config.attempt
                    )
                },
            ],
        });
    }
    rows.stable_sort_by(|a, b| b.created.cmp(&a.created).then(a.cells[0].cmp(&b.cells[0])));
    let mut table = vec![[
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ]
    .map(String::from)
    .to_vec()];
    table.extend(rows.into_iter().map(|r| r.cells));
    tabwrite(&table, 10, 3)
}

/// `docker images`: newest image first, unpacked sizes.
pub fn docker_images(runtime: &Runtime, now: Ticks) -> String {
    docker_images_of(runtime, now, None)
}

/// `docker images [REPOSITORY[:TAG]]`: only the rows of that repository (and tag).
pub fn docker_images_of(
    runtime: &Runtime,
    now: Ticks,
    only: Option<(&str, Option<&str>)>,
) -> String {
    let now_unix = runtime.config.epoch_unix_seconds + (now / TICKS_PER_SECOND) as i64;
    let mut entries: Vec<(i64, String, String, String, u64)> = Vec::new();
    for image in runtime.images().images() {
        let id = short(&image.id, 12);
        let created = image.spec.created_unix_seconds;
        let tags: Vec<(String, String)> = if image.repo_tags.is_empty() {
            vec![("<none>".into(), "<none>".into())]
        } else {
            image
                .repo_tags
                .iter()
                .map(|t| match parse_image_ref(t) {
                    Ok(r) => (r.familiar_name(), r.tag.unwrap_or_else(|| "<none>".into())),
                    Err(_) => (t.clone(), "<none>".into()),
                })
                .collect()
        };
        for (repo, tag) in tags {
            let wanted = only.is_none_or(|(r, t)| r == repo && t.is_none_or(|t| t == tag));
            if wanted {
                entries.push((created, repo, tag, id.clone(), image.spec.unpacked_bytes));
            }
        }
    }
    entries.stable_sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut rows = vec![["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]
        .map(String::from)
        .to_vec()];
    for (created, repo, tag, id, size) in entries {
        let age_ticks = (now_unix - created).max(0) as u64 * TICKS_PER_SECOND;
        rows.push(vec![
            repo,
            tag,
            id,
            format!("{} ago", human_duration(age_ticks)),
            human_size(size),
        ]);
    }
    tabwrite(&rows, 10, 3)
}

/// `docker pull`-style progress lines for a pull in progress (as on a terminal wider than 110).
pub fn pull_progress_lines(runtime: &Runtime, reference: &str) -> Vec<String> {
    runtime
        .pull_progress(reference)
        .iter()
        .map(|l| {
            let id = short(&l.digest, 12);
            match l.state {
                super::image_store::LayerState::Downloading => {
                    // docker's jsonmessage progress bar: 50 cells, one per 2 %.
                    let percent =
                        (l.done_bytes as u128 * 100 / (l.size_bytes.max(1)) as u128) as usize;
                    let cells = (percent / 2).min(50);
                    format!(
                        "{id}: Downloading [{}>{}] {:>8}/{}",
                        "=".repeat(cells),
                        " ".repeat(50 - cells),
                        human_size_with_precision(l.done_bytes, 4),
                        human_size_with_precision(l.size_bytes, 4)
                    )
                }
                state => format!("{id}: {}", state.as_str()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_go_units_prints_them() {
        let table = [
            (0, "Less than a second"),
            (1_000, "1 second"),
            (59_000, "59 seconds"),
            (60_000, "About a minute"),
            (119_000, "About a minute"),
            (120_000, "2 minutes"),
            (3_599_000, "59 minutes"),
            (3_600_000, "About an hour"),
            (5_400_000, "2 hours"),
            (47 * 3_600_000, "47 hours"),
            (3 * 86_400_000, "3 days"),
            (20 * 86_400_000, "2 weeks"),
            (90 * 86_400_000, "3 months"),
            (3 * 365 * 86_400_000, "3 years"),
        ];
        for (ticks, want) in table {
            assert_eq!(human_duration(ticks), want, "{ticks}");
        }
    }

    #[test]
    fn sizes_have_three_significant_digits_in_decimal_units() {
        let table = [
            (0, "0B"),
            (999, "999B"),
            (320_368, "320kB"),
            (3_642_247, "3.64MB"),
            (72_182_004, "72.2MB"),
            (192_004_117, "192MB"),
            (999_999, "1e+03kB"),
            (1_500_000_000, "1.5GB"),
        ];
        for (bytes, want) in table {
            assert_eq!(human_size(bytes), want, "{bytes}");
        }
    }

    #[test]
    fn tabwriter_pads_every_column_but_the_last() {
        let rows = vec![
            vec!["A".to_string(), "BB".into(), "C".into()],
            vec!["a-very-long-cell-value".to_string(), "b".into(), "c".into()],
        ];
        assert_eq!(
            tabwrite(&rows, 20, 3),
            "A                        BB                  C\na-very-long-cell-value   b                   c\n"
        );
    }

    #[test]
    fn docker_commands_are_cut_at_twenty_characters_and_quoted() {
        let argv: Vec<String> = ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"]
            .map(String::from)
            .to_vec();
        assert_eq!(docker_command(&argv), "\"/docker-entrypoint.…\"");
        assert_eq!(
            docker_command(&["sleep".into(), "3600".into()]),
            "\"sleep 3600\""
        );
    }
}
