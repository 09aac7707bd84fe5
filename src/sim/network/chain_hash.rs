//! The names kube-proxy gives its per-Service and per-endpoint chains.
//!
//! Mirrors: `portProtoHash` and `servicePortEndpointChainName` in
//! `pkg/proxy/iptables/proxier.go`: `KUBE-SVC-` + the first 16 characters of
//! base32(sha256(servicePortName + protocol)), where the service port name is
//! `namespace/name:port` (`namespace/name` when the port is unnamed) and the protocol is lower
//! case (`tcp`); a `KUBE-SEP-` name hashes the endpoint (`10.244.1.5:80`) in as well. iptables
//! limits chain names to 28 characters, which is why the name is a hash at all.
//!
//! SHA-256 comes from the `sha2` crate (through `crate::sim::runtime::digest`, the one place the
//! project hashes); RFC 4648 base32 is a dozen lines written out here, checked against the RFC's
//! test vectors below and against chain names seen on real clusters.

use crate::sim::runtime::digest::sha256;

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
