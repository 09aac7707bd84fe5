//! SHA-256, so image, layer and manifest digests are real `sha256:<64 hex>` values derived from
//! descriptive strings (`"layer debian bookworm-slim rootfs"`), the same on every run; kube-proxy's
//! chain names (`crate::sim::network::chain_hash`) hash through here too.
//!
//! Mirrors: FIPS 180-4 SHA-256, as `crypto/sha256` computes it for containerd and kube-proxy.
//! Simplified: whole-message only (no streaming); we only ever hash short strings.

use sha2::{Digest, Sha256};

/// The SHA-256 of `data` as 32 bytes.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Lowercase hex of the SHA-256 of `text` (64 characters).
pub fn sha256_hex(text: &str) -> String {
    sha256(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `sha256:<hex>`, the form OCI descriptors and `crictl inspecti` use.
pub fn digest_of(text: &str) -> String {
    format!("sha256:{}", sha256_hex(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_fips_test_vectors() {
        assert_eq!(
            sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }
}
