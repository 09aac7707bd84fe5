//! The names kube-proxy gives its per-Service and per-endpoint chains.
//!
//! Mirrors: `portProtoHash` and `servicePortEndpointChainName` in
//! `pkg/proxy/iptables/proxier.go`: `KUBE-SVC-` + the first 16 characters of
//! base32(sha256(servicePortName + protocol)), where the service port name is
//! `namespace/name:port` (`namespace/name` when the port is unnamed) and the protocol is lower
//! case (`tcp`); a `KUBE-SEP-` name hashes the endpoint (`10.244.1.5:80`) in as well. iptables
//! limits chain names to 28 characters, which is why the name is a hash at all.
//!
//! SHA-256 (FIPS 180-4) and RFC 4648 base32 are written out here rather than taken from crates:
//! about a hundred lines, checked against the standard test vectors below and against chain names
//! seen on real clusters, and no new dependency for the wasm bundle.

/// `KUBE-SVC-…` for a service port, e.g. `default/kubernetes:https` + `tcp`.
pub fn service_chain(service_port_name: &str, protocol: &str) -> String {
    format!("KUBE-SVC-{}", port_proto_hash(service_port_name, protocol))
}

/// `KUBE-EXT-…`: where NodePort and LoadBalancer traffic enters before masquerading.
pub fn external_chain(service_port_name: &str, protocol: &str) -> String {
    format!("KUBE-EXT-{}", port_proto_hash(service_port_name, protocol))
}

/// `KUBE-SEP-…` for one endpoint of a service port.
pub fn endpoint_chain(service_port_name: &str, protocol: &str, endpoint: &str) -> String {
    let digest = sha256(format!("{service_port_name}{protocol}{endpoint}").as_bytes());
    format!("KUBE-SEP-{}", &base32_std(&digest)[..16])
}

fn port_proto_hash(service_port_name: &str, protocol: &str) -> String {
    let digest = sha256(format!("{service_port_name}{protocol}").as_bytes());
    base32_std(&digest)[..16].to_string()
}

/// RFC 4648 base32 with the standard alphabet and `=` padding (Go's `base32.StdEncoding`).
pub fn base32_std(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let bits = block.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64);
        // Each 5-byte block yields 8 symbols; a short block yields ceil(bits/5) and padding.
        let symbols = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < symbols {
                let index = (bits >> (35 - 5 * i)) & 0x1F;
                out.push(ALPHABET[index as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 of `message` (FIPS 180-4).
pub fn sha256(message: &[u8]) -> [u8; 32] {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    // Padding: a 1 bit, zeros, then the message length in bits as a big-endian u64, so the
    // padded length is a multiple of 64 bytes.
    let mut padded = message.to_vec();
    padded.push(0x80);
    while padded.len() % 64 != 56 {
        padded.push(0);
    }
    padded.extend_from_slice(&((message.len() as u64).wrapping_mul(8)).to_be_bytes());

    for block in padded.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (state, v) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *state = state.wrapping_add(v);
        }
    }
    let mut out = [0u8; 32];
    for (i, word) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn sha256_matches_the_fips_test_vectors() {
        let table = [
            (
                "",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                "abc",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            ),
        ];
        for (input, want) in table {
            assert_eq!(hex(&sha256(input.as_bytes())), want, "{input:?}");
        }
    }

    #[test]
    fn base32_matches_the_rfc_4648_test_vectors() {
        let table = [
            ("", ""),
            ("f", "MY======"),
            ("fo", "MZXQ===="),
            ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======"),
        ];
        for (input, want) in table {
            assert_eq!(base32_std(input.as_bytes()), want, "{input:?}");
        }
    }

    #[test]
    fn service_chains_are_named_as_on_every_kubeadm_cluster() {
        // These four names appear in `iptables-save` on any kubeadm cluster: the names depend
        // only on the service port name and protocol, never on the cluster.
        let table = [
            (
                "default/kubernetes:https",
                "tcp",
                "KUBE-SVC-NPX46M4PTMTKRN6Y",
            ),
            (
                "kube-system/kube-dns:dns",
                "udp",
                "KUBE-SVC-TCOU7JCQXEZGVUNU",
            ),
            (
                "kube-system/kube-dns:dns-tcp",
                "tcp",
                "KUBE-SVC-ERIFXISQEP7F7OF4",
            ),
            (
                "kube-system/kube-dns:metrics",
                "tcp",
                "KUBE-SVC-JD5MR3NA4I4DYORP",
            ),
        ];
        for (name, protocol, want) in table {
            assert_eq!(service_chain(name, protocol), want, "{name}");
        }
    }

    #[test]
    fn chain_names_match_upstreams_proxier_test_expectations() {
        // pkg/proxy/iptables/proxier_test.go: service ns1/svc1 port p80 with endpoints
        // 10.180.0.1:80 and 10.180.0.2:80.
        assert_eq!(
            service_chain("ns1/svc1:p80", "tcp"),
            "KUBE-SVC-XPGD46QRK7WJZT7O"
        );
        assert_eq!(
            endpoint_chain("ns1/svc1:p80", "tcp", "10.180.0.1:80"),
            "KUBE-SEP-SXIVWICOYRO3J4NJ"
        );
        assert_eq!(
            endpoint_chain("ns1/svc1:p80", "tcp", "10.180.0.2:80"),
            "KUBE-SEP-LXVODXWDISEETFEF"
        );
    }

    #[test]
    fn endpoint_chains_differ_per_endpoint_and_fit_iptables_limit() {
        let a = endpoint_chain("default/web", "tcp", "10.244.1.5:80");
        let b = endpoint_chain("default/web", "tcp", "10.244.2.5:80");
        assert_ne!(a, b);
        assert!(a.starts_with("KUBE-SEP-") && a.len() == 25, "{a}");
        assert!(a.len() <= 28);
    }
}
