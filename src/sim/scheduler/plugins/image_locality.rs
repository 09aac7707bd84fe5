//! ImageLocality: prefers nodes that already have the pod's images, weighted by image size and
//! by how rare the image is in the cluster (an image on every node is no reason to pick one).
//!
//! Mirrors: `pkg/scheduler/framework/plugins/imagelocality/image_locality.go`.

use crate::sim::scheduler::framework::CycleState;
use crate::sim::scheduler::framework::{ExtensionPoint, Plugin, MAX_NODE_SCORE};
use crate::sim::scheduler::node_info::{NodeInfo, PodInfo, Snapshot};

pub const NAME: &str = "ImageLocality";

const MB: i64 = 1024 * 1024;
/// Below this the score is 0: small images pull quickly anyway.
const MIN_THRESHOLD_BYTES: i64 = 23 * MB;
/// Per container; the total threshold scales with the number of containers.
const MAX_CONTAINER_THRESHOLD_BYTES: i64 = 1000 * MB;

pub struct ImageLocality;

/// `sumImageScores`: each of the pod's images present on the node counts its size, scaled by
/// the share of nodes that have it.
pub fn sum_image_scores(pod: &PodInfo, node: &NodeInfo, snapshot: &Snapshot) -> i64 {
    let total_nodes = snapshot.len().max(1) as f64;
    pod.images
        .iter()
        .filter_map(|image| {
            let size = node.image_sizes.get(image)?;
            let spread = snapshot.image_num_nodes(image) as f64 / total_nodes;
            Some((*size as f64 * spread) as i64)
        })
        .sum()
}

/// `calculatePriority`: the summed size, clamped to the thresholds, mapped onto 0..=100.
pub fn calculate_priority(sum_scores: i64, num_containers: usize) -> i64 {
    let max_threshold = MAX_CONTAINER_THRESHOLD_BYTES * num_containers.max(1) as i64;
    let clamped = sum_scores.clamp(MIN_THRESHOLD_BYTES, max_threshold);
    MAX_NODE_SCORE * (clamped - MIN_THRESHOLD_BYTES) / (max_threshold - MIN_THRESHOLD_BYTES)
}

impl Plugin for ImageLocality {
    fn name(&self) -> &'static str {
        NAME
    }
    fn extension_points(&self) -> &'static [ExtensionPoint] {
        &[ExtensionPoint::Score]
    }
    fn score(
        &self,
        pod: &PodInfo,
        node: &NodeInfo,
        snapshot: &Snapshot,
        _state: &CycleState,
    ) -> i64 {
        if node.image_sizes.is_empty() {
            return 0;
        }
        calculate_priority(sum_image_scores(pod, node, snapshot), pod.images.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scheduler::testing::{node, pod, score_each};

    fn nodes() -> Vec<crate::sim::api::core_v1::Node> {
        vec![
            node("node1")
                .image(&["gcr.io/40:latest", "gcr.io/40:v1"], 40 * MB)
                .image(&["gcr.io/250:latest"], 250 * MB)
                .build(),
            node("node2")
                .image(&["gcr.io/300:latest", "gcr.io/300:v1"], 300 * MB)
                .image(&["gcr.io/2000:latest"], 2000 * MB)
                .build(),
        ]
    }

    #[test]
    fn two_images_spread_on_two_nodes_prefer_the_larger_image_one() {
        // node1: 40MB × 1/2 = 20MB < 23MB → 0.
        // node2: 300MB × 1/2 = 150MB → 100 × (150 − 23) / (2000 − 23) = 6.
        let p = pod("p")
            .image("gcr.io/40")
            .container("c2", "gcr.io/300")
            .build();
        assert_eq!(score_each(&ImageLocality, &p, nodes(), vec![]), [0, 6]);
    }

    #[test]
    fn two_images_on_one_node_prefer_this_node() {
        // node1: (40 + 250) × 1/2 = 145MB → 100 × (145 − 23) / (2000 − 23) = 6.
        let p = pod("p")
            .image("gcr.io/40")
            .container("c2", "gcr.io/250")
            .build();
        assert_eq!(score_each(&ImageLocality, &p, nodes(), vec![]), [6, 0]);
    }

    #[test]
    fn an_image_larger_than_the_threshold_scores_full_marks() {
        // node2: 2000MB × 1/2 = 1000MB ≥ the one-container threshold → 100.
        let p = pod("p").image("gcr.io/2000").build();
        assert_eq!(score_each(&ImageLocality, &p, nodes(), vec![]), [0, 100]);
    }

    #[test]
    fn a_tagged_image_is_matched_by_its_tag_and_an_untagged_one_as_latest() {
        let p = pod("p").image("gcr.io/300:v1").build();
        let scores = score_each(&ImageLocality, &p, nodes(), vec![]);
        assert!(scores[1] > 0 && scores[0] == 0, "{scores:?}");
    }
}
