//! A node's content store: which layer blobs and images it holds, and the pulls in progress.
//!
//! ```text
//!   PullImage(nginx) ─▶ Resolving (HEAD the manifest) ─▶ for each layer:
//!        present already ─────────────────────────────▶ "Already exists"
//!        missing ─▶ queued "Waiting" ─▶ "Downloading" (shares the node's bandwidth)
//!                                        ─▶ "Download complete" ─▶ "Pull complete"
//!   all layers present ─▶ the image is registered under its tag: Done
//! ```
//! A layer missing from two pulls at once is downloaded once. The node's bandwidth is shared
//! equally by the (at most three) layers downloading at a time, so a pull's duration is
//! `bytes missing / bandwidth` however the layers interleave.
//!
//! Mirrors: containerd's content store and CRI image service (`PullImage` dedup, `ImageStatus`,
//! `RemoveImage` deleting every tag of the image, layer GC) and `docker pull`'s per-layer states.
//! Simplified: unpacking takes no time; no registry mirrors; a layer's snapshot id is assigned
//! when its download completes.

use std::collections::{BTreeMap, BTreeSet};

use super::reference::ImageRef;
use super::registry::{ImageSpec, PullError, Registries};
use crate::sim::clock::Ticks;

/// How long resolving a reference (the manifest HEAD request) takes.
pub const RESOLVE_TICKS: Ticks = 300;
/// containerd's and dockerd's default `max_concurrent_downloads`.
pub const CONCURRENT_DOWNLOADS_MAX: usize = 3;
/// A lab VM's share of a modest uplink: 10 MB/s.
pub const DEFAULT_BANDWIDTH_BYTES_PER_SECOND: u64 = 10_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredLayer {
    pub size_bytes: u64,
    /// The overlayfs snapshot directory number it was unpacked into.
    pub snapshot_id: u64,
}

/// An image the node holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRecord {
    /// `sha256:...` config digest.
    pub id: String,
    /// `docker.io/library/nginx:1.27`, ...
    pub repo_tags: BTreeSet<String>,
    /// `docker.io/library/nginx@sha256:...`.
    pub repo_digests: BTreeSet<String>,
    pub size_bytes: u64,
    pub spec: ImageSpec,
    /// Pinned images (the sandbox image) are never garbage-collected.
    pub pinned: bool,
    pub pulled_tick: Ticks,
}

/// One layer's state in a pull, worded as `docker pull` prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerState {
    PullingFsLayer,
    AlreadyExists,
    Waiting,
    Downloading,
    DownloadComplete,
    PullComplete,
}

impl LayerState {
    pub fn as_str(self) -> &'static str {
        match self {
            LayerState::PullingFsLayer => "Pulling fs layer",
            LayerState::AlreadyExists => "Already exists",
            LayerState::Waiting => "Waiting",
            LayerState::Downloading => "Downloading",
            LayerState::DownloadComplete => "Download complete",
            LayerState::PullComplete => "Pull complete",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerProgress {
    pub digest: String,
    pub size_bytes: u64,
    pub done_bytes: u64,
    pub state: LayerState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PullPhase {
    Resolving {
        until_tick: Ticks,
    },
    Downloading,
    Done {
        image_id: String,
        finished_tick: Ticks,
    },
    Failed {
        error: PullError,
        finished_tick: Ticks,
    },
}

/// A pull the node is doing (or has just finished).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pull {
    /// The normalized reference, `docker.io/library/nginx:latest`.
    pub reference: String,
    pub started_tick: Ticks,
    pub phase: PullPhase,
    resolved: Result<ImageSpec, PullError>,
    /// Layers that were present when the pull resolved.
    already: BTreeSet<String>,
    /// Bytes this pull had to download (missing layers, counted once).
    pub bytes_to_download: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Download {
    digest: String,
    size_bytes: u64,
    /// Progress in thousandths of a byte, so integer bandwidth shares never lose time.
    done_millibytes: u128,
}

/// What `advance` reports; the kubelet turns these into Events (`Pulled`, `Failed`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PullEvent {
    Completed {
        reference: String,
        image_id: String,
        size_bytes: u64,
        bytes_downloaded: u64,
        started_tick: Ticks,
        finished_tick: Ticks,
    },
    Failed {
        reference: String,
        error: PullError,
        finished_tick: Ticks,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageStore {
    pub bandwidth_bytes_per_second: u64,
    layers: BTreeMap<String, StoredLayer>,
    images: BTreeMap<String, ImageRecord>,
    /// normalized reference -> image id.
    tags: BTreeMap<String, String>,
    pulls: BTreeMap<String, Pull>,
    downloads: Vec<Download>,
    next_snapshot_id: u64,
    last_tick: Ticks,
}

impl ImageStore {
    pub fn new(bandwidth_bytes_per_second: u64) -> Self {
        ImageStore {
            bandwidth_bytes_per_second,
            layers: BTreeMap::new(),
            images: BTreeMap::new(),
            tags: BTreeMap::new(),
            pulls: BTreeMap::new(),
            downloads: Vec::new(),
            next_snapshot_id: 1,
            last_tick: 0,
        }
    }

    /// Installs an image at once (what kubeadm's `config images pull` left on the node).
    pub fn preload(&mut self, spec: &ImageSpec, reference: &str, pinned: bool, now: Ticks) {
        for layer in &spec.layers {
            self.store_layer(&layer.digest, layer.size_bytes);
        }
        self.register(spec, reference, now);
        if let Some(record) = self.images.get_mut(&spec.id) {
            record.pinned |= pinned;
        }
    }

    fn store_layer(&mut self, digest: &str, size_bytes: u64) {
        if !self.layers.contains_key(digest) {
            let snapshot_id = self.next_snapshot_id;
            self.next_snapshot_id += 1;
            self.layers.insert(
                digest.to_string(),
                StoredLayer {
                    size_bytes,
                    snapshot_id,
                },
            );
        }
    }

    /// A new writable-layer snapshot number for a container.
    pub fn new_snapshot_id(&mut self) -> u64 {
        let id = self.next_snapshot_id;
        self.next_snapshot_id += 1;
        id
    }

    fn register(&mut self, spec: &ImageSpec, reference: &str, now: Ticks) {
        // A tag that moved leaves its old image behind, untagged (`<none>`).
        if let Some(old_id) = self.tags.insert(reference.to_string(), spec.id.clone()) {
            if old_id != spec.id {
                if let Some(old) = self.images.get_mut(&old_id) {
                    old.repo_tags.remove(reference);
                }
            }
        }
        let record = self
            .images
            .entry(spec.id.clone())
            .or_insert_with(|| ImageRecord {
                id: spec.id.clone(),
                repo_tags: BTreeSet::new(),
                repo_digests: BTreeSet::new(),
                size_bytes: spec.size_bytes(),
                spec: spec.clone(),
                pinned: false,
                pulled_tick: now,
            });
        if !reference.contains('@') {
            record.repo_tags.insert(reference.to_string());
        }
        record
            .repo_digests
            .insert(format!("{}@{}", spec.repository, spec.manifest_digest));
    }

    pub fn layer(&self, digest: &str) -> Option<&StoredLayer> {
        self.layers.get(digest)
    }

    pub fn layers(&self) -> &BTreeMap<String, StoredLayer> {
        &self.layers
    }

    /// Bytes of layer blobs on disk.
    pub fn disk_bytes(&self) -> u64 {
        self.layers.values().map(|l| l.size_bytes).sum()
    }

    /// Finds an image by normalized reference, by `docker.io/...@sha256:` digest, or by id
    /// (full, or a prefix of at least 12 hex digits as crictl accepts).
    pub fn find(&self, key: &str) -> Option<&ImageRecord> {
        if let Some(id) = self.tags.get(key) {
            return self.images.get(id);
        }
        if let Some(record) = self.images.values().find(|r| r.repo_digests.contains(key)) {
            return Some(record);
        }
        let hex = key.strip_prefix("sha256:").unwrap_or(key);
        if hex.len() >= 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut matches = self
                .images
                .values()
                .filter(|r| r.id.trim_start_matches("sha256:").starts_with(hex));
            let first = matches.next();
            if matches.next().is_none() {
                return first;
            }
        }
        None
    }

    pub fn has_image(&self, reference: &ImageRef) -> bool {
        self.find(&reference.to_string()).is_some()
    }

    pub fn images(&self) -> impl Iterator<Item = &ImageRecord> {
        self.images.values()
    }

    /// `RemoveImage`: every tag of the image goes, then layers no other image uses.
    pub fn remove(&mut self, key: &str) -> bool {
        let Some(id) = self.find(key).map(|r| r.id.clone()) else {
            return false;
        };
        self.images.remove(&id);
        self.tags.retain(|_, v| *v != id);
        let used: BTreeSet<&String> = self
            .images
            .values()
            .flat_map(|r| r.spec.layers.iter().map(|l| &l.digest))
            .collect();
        let in_flight: BTreeSet<&String> = self.downloads.iter().map(|d| &d.digest).collect();
        let unused: Vec<String> = self
            .layers
            .keys()
            .filter(|d| !used.contains(d) && !in_flight.contains(d))
            .cloned()
            .collect();
        for digest in unused {
            self.layers.remove(&digest);
        }
        true
    }

    /// `docker rmi REF`: the tag goes; the image (and layers no other image uses) goes with its
    /// last tag. Returns the image id and whether the image itself was deleted; None when no
    /// image has that tag.
    pub fn untag(&mut self, reference: &str) -> Option<(String, bool)> {
        let id = self.tags.remove(reference)?;
        let record = self.images.get_mut(&id)?;
        record.repo_tags.remove(reference);
        if !record.repo_tags.is_empty() || record.pinned {
            return Some((id, false));
        }
        self.remove(&id);
        Some((id, true))
    }

    /// Starts a pull (or joins the one already running for the same reference). The outcome is
    /// decided now but reported after the resolve round trip, as a real registry answers.
    pub fn start_pull(&mut self, reference: &ImageRef, registries: &Registries, now: Ticks) {
        self.advance(now);
        let key = reference.to_string();
        if let Some(pull) = self.pulls.get(&key) {
            if matches!(
                pull.phase,
                PullPhase::Resolving { .. } | PullPhase::Downloading
            ) {
                return;
            }
        }
        self.pulls.insert(
            key.clone(),
            Pull {
                reference: key,
                started_tick: now,
                phase: PullPhase::Resolving {
                    until_tick: now + RESOLVE_TICKS,
                },
                resolved: registries.resolve(reference).cloned(),
                already: BTreeSet::new(),
                bytes_to_download: 0,
            },
        );
    }

    pub fn pull(&self, reference: &str) -> Option<&Pull> {
        self.pulls.get(reference)
    }

    pub fn pulls(&self) -> impl Iterator<Item = &Pull> {
        self.pulls.values()
    }

    /// Per-layer progress of a pull, for the UI and a `docker pull`-style view.
    pub fn pull_progress(&self, reference: &str) -> Vec<LayerProgress> {
        let Some(pull) = self.pulls.get(reference) else {
            return Vec::new();
        };
        let Ok(spec) = &pull.resolved else {
            return Vec::new();
        };
        let resolving = matches!(pull.phase, PullPhase::Resolving { .. });
        let mut lowers_present = true;
        spec.layers
            .iter()
            .map(|layer| {
                let present = self.layers.contains_key(&layer.digest);
                let download = self.downloads.iter().position(|d| d.digest == layer.digest);
                let (state, done_bytes) = if resolving {
                    (LayerState::PullingFsLayer, 0)
                } else if pull.already.contains(&layer.digest) {
                    (LayerState::AlreadyExists, layer.size_bytes)
                } else if present && lowers_present {
                    (LayerState::PullComplete, layer.size_bytes)
                } else if present {
                    (LayerState::DownloadComplete, layer.size_bytes)
                } else {
                    match download {
                        Some(i) if i < CONCURRENT_DOWNLOADS_MAX => (
                            LayerState::Downloading,
                            (self.downloads[i].done_millibytes / 1000) as u64,
                        ),
                        _ => (LayerState::Waiting, 0),
                    }
                };
                lowers_present &= present;
                LayerProgress {
                    digest: layer.digest.clone(),
                    size_bytes: layer.size_bytes,
                    done_bytes,
                    state,
                }
            })
            .collect()
    }

    /// Moves every pull forward to `now`; returns pulls that finished on the way, in order.
    ///
    /// Event-driven: jump to the next resolution or layer completion, share the bandwidth among
    /// the active downloads over that span, repeat until `now`.
    pub fn advance(&mut self, now: Ticks) -> Vec<PullEvent> {
        let mut events = Vec::new();
        let now = now.max(self.last_tick);
        let mut t = self.last_tick;
        loop {
            self.finish_resolutions(t, &mut events);
            self.finish_pulls(t, &mut events);
            let next_resolution = self
                .pulls
                .values()
                .filter_map(|p| match p.phase {
                    PullPhase::Resolving { until_tick } => Some(until_tick),
                    _ => None,
                })
                .min();
            let active = self.downloads.len().min(CONCURRENT_DOWNLOADS_MAX);
            // Thousandths of a byte per tick for each active layer (bytes/s = millibytes/ms).
            let share = if active == 0 {
                0
            } else {
                self.bandwidth_bytes_per_second as u128 / active as u128
            };
            let next_completion = if share == 0 {
                None
            } else {
                self.downloads[..active]
                    .iter()
                    .map(|d| {
                        let remaining =
                            (d.size_bytes as u128 * 1000).saturating_sub(d.done_millibytes);
                        let ticks = remaining.div_ceil(share).clamp(1, u64::MAX as u128 / 4) as u64;
                        t.saturating_add(ticks)
                    })
                    .min()
            };
            let next = [next_resolution, next_completion]
                .into_iter()
                .flatten()
                .min();
            let step_to = match next {
                Some(next) if next <= now => next.max(t),
                _ => now,
            };
            let dt = (step_to - t) as u128;
            for d in self.downloads[..active].iter_mut() {
                d.done_millibytes =
                    (d.done_millibytes + dt * share).min(d.size_bytes as u128 * 1000);
            }
            t = step_to;
            let (finished, rest): (Vec<Download>, Vec<Download>) = self
                .downloads
                .drain(..)
                .partition(|d| d.done_millibytes >= d.size_bytes as u128 * 1000);
            self.downloads = rest;
            for d in finished {
                self.store_layer(&d.digest, d.size_bytes);
            }
            if next.is_none_or(|next| next > now) {
                break;
            }
        }
        self.finish_resolutions(now, &mut events);
        self.finish_pulls(now, &mut events);
        self.last_tick = now;
        events
    }

    fn finish_resolutions(&mut self, t: Ticks, events: &mut Vec<PullEvent>) {
        let mut to_queue = Vec::new();
        for pull in self.pulls.values_mut() {
            let PullPhase::Resolving { until_tick } = pull.phase else {
                continue;
            };
            if until_tick > t {
                continue;
            }
            match &pull.resolved {
                Err(error) => {
                    pull.phase = PullPhase::Failed {
                        error: error.clone(),
                        finished_tick: until_tick,
                    };
                    events.push(PullEvent::Failed {
                        reference: pull.reference.clone(),
                        error: error.clone(),
                        finished_tick: until_tick,
                    });
                }
                Ok(spec) => {
                    pull.phase = PullPhase::Downloading;
                    for layer in &spec.layers {
                        if self.layers.contains_key(&layer.digest) {
                            pull.already.insert(layer.digest.clone());
                        } else {
                            to_queue.push((layer.digest.clone(), layer.size_bytes));
                        }
                    }
                }
            }
        }
        for (digest, size_bytes) in to_queue {
            if !self.downloads.iter().any(|d| d.digest == digest) {
                // Count bytes against the pull that first asked for them.
                if let Some(pull) = self.pulls.values_mut().find(|p| {
                    p.phase == PullPhase::Downloading
                        && p.resolved
                            .as_ref()
                            .is_ok_and(|s| s.layers.iter().any(|l| l.digest == digest))
                        && !p.already.contains(&digest)
                }) {
                    pull.bytes_to_download += size_bytes;
                }
                self.downloads.push(Download {
                    digest,
                    size_bytes,
                    done_millibytes: 0,
                });
            }
        }
    }

    fn finish_pulls(&mut self, t: Ticks, events: &mut Vec<PullEvent>) {
        let done: Vec<(String, ImageSpec)> = self
            .pulls
            .values()
            .filter(|p| p.phase == PullPhase::Downloading)
            .filter_map(|p| {
                let spec = p.resolved.as_ref().ok()?;
                spec.layers
                    .iter()
                    .all(|l| self.layers.contains_key(&l.digest))
                    .then(|| (p.reference.clone(), spec.clone()))
            })
            .collect();
        for (reference, spec) in done {
            self.register(&spec, &reference, t);
            if let Some(pull) = self.pulls.get_mut(&reference) {
                pull.phase = PullPhase::Done {
                    image_id: spec.id.clone(),
                    finished_tick: t,
                };
                events.push(PullEvent::Completed {
                    reference,
                    image_id: spec.id.clone(),
                    size_bytes: spec.size_bytes(),
                    bytes_downloaded: pull.bytes_to_download,
                    started_tick: pull.started_tick,
                    finished_tick: t,
                });
            }
        }
    }

    /// Aborts every pull in progress (the runtime went down).
    pub fn abort_pulls(&mut self, now: Ticks) -> Vec<String> {
        let mut aborted = Vec::new();
        for pull in self.pulls.values_mut() {
            if matches!(
                pull.phase,
                PullPhase::Resolving { .. } | PullPhase::Downloading
            ) {
                pull.phase = PullPhase::Failed {
                    error: PullError {
                        reference: pull.reference.clone(),
                        kind: super::registry::PullErrorKind::Canceled,
                    },
                    finished_tick: now,
                };
                aborted.push(pull.reference.clone());
            }
        }
        self.downloads.clear();
        aborted
    }
}

/// `imagePullPolicy`, whose decision is the kubelet's; the texts are here with the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

impl PullPolicy {
    /// The default the API server fills in: `Always` for `:latest` or no tag, else `IfNotPresent`.
    pub fn default_for(image: &str) -> PullPolicy {
        match super::reference::parse_image_ref(image) {
            Ok(r) if r.digest.is_none() && r.tag.as_deref().is_none_or(|t| t == "latest") => {
                PullPolicy::Always
            }
            _ => PullPolicy::IfNotPresent,
        }
    }

    /// Should the kubelet pull? `Err` is the `ErrImageNeverPull` message.
    pub fn decide(self, image: &str, present: bool) -> Result<bool, String> {
        match (self, present) {
            (PullPolicy::Always, _) => Ok(true),
            (PullPolicy::IfNotPresent, present) => Ok(!present),
            (PullPolicy::Never, true) => Ok(false),
            (PullPolicy::Never, false) => Err(err_image_never_pull(image)),
        }
    }
}

/// The kubelet's `ErrImageNeverPull` message for `image` as the pod spec wrote it.
pub fn err_image_never_pull(image: &str) -> String {
    format!("Container image \"{image}\" is not present with pull policy of Never")
}
