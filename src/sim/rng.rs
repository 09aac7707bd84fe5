//! The cluster's one seeded random number generator.
//!
//! SplitMix64 (Steele, Lea, Flood 2014), written out here rather than taken from `rand_chacha`:
//! its whole state is one `u64` that serializes with a cluster snapshot, so a restored cluster
//! draws the same numbers it would have drawn, and it is bit-identical on x86_64 and wasm32.
//! Every random choice in the core (name suffixes, uids, tie-breaks) comes from here.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rng {
    state: u64,
}

/// The alphabet Kubernetes uses for generated name suffixes (`k8s.io/apimachinery/pkg/util/rand`):
/// no vowels, so no words; no `0`, `1`, `3` that look like letters.
pub const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (Lemire's multiply-shift; the bias is below 2^-32 for our bounds).
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0, "Rng::below(0)");
        ((self.next_u64() as u128 * bound as u128) >> 64) as u64
    }

    /// A generated-name suffix such as `x2k4q`, as `metadata.generateName` gets.
    pub fn name_suffix(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| SAFE_ALPHABET[self.below(SAFE_ALPHABET.len() as u64) as usize] as char)
            .collect()
    }

    /// A version-4 UUID for `metadata.uid`.
    pub fn uuid(&mut self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xFFFF,
            hi & 0xFFFF,
            lo >> 48,
            lo & 0xFFFF_FFFF_FFFF
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_numbers() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(Rng::new(8).next_u64(), xs[0]);
    }

    #[test]
    fn splitmix64_matches_the_reference_sequence() {
        // First outputs of the reference C implementation seeded with 1234567.
        let mut rng = Rng::new(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn name_suffixes_use_only_the_safe_alphabet() {
        let mut rng = Rng::new(1);
        let suffix = rng.name_suffix(500);
        assert_eq!(suffix.len(), 500);
        assert!(suffix.bytes().all(|c| SAFE_ALPHABET.contains(&c)));
    }

    #[test]
    fn uuids_are_version_4_and_variant_1() {
        let uuid = Rng::new(3).uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{uuid}");
    }
}
