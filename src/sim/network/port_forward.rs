//! `kubectl port-forward`: parsing the port pairs and the lines kubectl prints.
//!
//! Mirrors: client-go's `tools/portforward` (`parsePorts`, its error texts and its
//! `Forwarding from 127.0.0.1:8080 -> 80` / `Forwarding from [::1]:8080 -> 80` lines, and
//! `Handling connection for 8080` per connection), and kubectl's translation of a Service port
//! to the pod's container port (`svc/web 8080:80` forwards to the `targetPort`).
//!
//! Simplified: a named `targetPort` must be resolved by the caller; only numbers are handled.

use crate::sim::api::core_v1::IntOrString;
use crate::sim::api::core_v1::Service;

/// One `LOCAL:REMOTE` pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForwardedPort {
    pub local: u16,
    pub remote: u16,
}

fn parse_u16(text: &str) -> Result<u16, String> {
    let syntax = || format!("strconv.ParseUint: parsing \"{text}\": invalid syntax");
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax());
    }
    text.parse::<u16>()
        .map_err(|_| format!("strconv.ParseUint: parsing \"{text}\": value out of range"))
}

/// `8080:80`, `80` (same both sides) or `:80` (local port chosen by the OS; here, 0).
pub fn parse_port(spec: &str) -> Result<ForwardedPort, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (local, remote) = match parts.as_slice() {
        [one] => (*one, *one),
        [l, r] => (if l.is_empty() { "0" } else { *l }, *r),
        _ => return Err(format!("invalid port format '{spec}'")),
    };
    let local = parse_u16(local).map_err(|e| format!("error parsing local port '{local}': {e}"))?;
    let remote =
        parse_u16(remote).map_err(|e| format!("error parsing remote port '{remote}': {e}"))?;
    if remote == 0 {
        return Err("remote port must be > 0".to_string());
    }
    Ok(ForwardedPort { local, remote })
}

/// The lines kubectl prints once the tunnel is up.
pub fn forwarding_lines(port: ForwardedPort) -> Vec<String> {
    vec![
        format!(
            "Forwarding from 127.0.0.1:{} -> {}",
            port.local, port.remote
        ),
        format!("Forwarding from [::1]:{} -> {}", port.local, port.remote),
    ]
}

/// Printed for each connection made to the local port.
pub fn handling_connection_line(local: u16) -> String {
    format!("Handling connection for {local}")
}

/// What the kubelet writes on a connection's error stream when nothing in the pod listens on
/// `port`: containerd's `PortForward` error (it dials localhost inside the sandbox's network
/// namespace, IPv4 then IPv6), wrapped by the kubelet's stream handler. The namespace's name is
/// made from the sandbox id here; containerd's is a random `cni-` UUID.
pub fn refused_text(port: u16, sandbox_id: &str) -> String {
    let hex: String = sandbox_id
        .chars()
        .chain(std::iter::repeat('0'))
        .take(32)
        .collect();
    let netns = format!(
        "/var/run/netns/cni-{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    );
    format!(
        "error forwarding port {port} to pod {sandbox_id}, uid : failed to execute portforward in network namespace \"{netns}\": failed to connect to localhost:{port} inside namespace \"{sandbox_id}\", IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6 [::1]:{port}: connect: connection refused "
    )
}

/// What kubectl prints (klog's error line, after its `E0601 00:00:05.000000 ... portforward.go:424] `
/// prefix) when a connection's error stream carried `error`; kubectl then ends the forward with
/// `error: lost connection to pod`.
pub fn unhandled_error(port: ForwardedPort, error: &str) -> String {
    let quoted = format!(
        "an error occurred forwarding {} -> {}: {error}",
        port.local, port.remote
    )
    .replace('\\', "\\\\")
    .replace('"', "\\\"");
    format!("\"Unhandled Error\" err=\"{quoted}\"")
}

/// For `port-forward svc/NAME L:P`: the container port behind the Service port `P`.
pub fn service_port_to_container_port(service: &Service, port: u16) -> Result<u16, String> {
    let name = service.metadata.name.clone().unwrap_or_default();
    let ports = service
        .spec
        .as_ref()
        .and_then(|s| s.ports.clone())
        .unwrap_or_default();
    let p = ports
        .iter()
        .find(|p| p.port == port as i32)
        .ok_or_else(|| format!("error: Service {name} does not have a service port {port}"))?;
    match &p.target_port {
        None => Ok(port),
        Some(IntOrString::Int(n)) => u16::try_from(*n)
            .map_err(|_| format!("error: Service {name} has an invalid targetPort {n}")),
        Some(IntOrString::String(s)) => s.parse::<u16>().map_err(|_| {
            format!("error: named targetPort {s} of Service {name} must be resolved against a pod")
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_pairs_parse_as_kubectl_parses_them() {
        let ok = |l, r| {
            Ok(ForwardedPort {
                local: l,
                remote: r,
            })
        };
        let table: [(&str, Result<ForwardedPort, String>); 7] = [
            ("8080:80", ok(8080, 80)),
            ("80", ok(80, 80)),
            (":80", ok(0, 80)),
            ("1:2:3", Err("invalid port format '1:2:3'".into())),
            ("8080:abc", Err("error parsing remote port 'abc': strconv.ParseUint: parsing \"abc\": invalid syntax".into())),
            ("70000:80", Err("error parsing local port '70000': strconv.ParseUint: parsing \"70000\": value out of range".into())),
            ("8080:0", Err("remote port must be > 0".into())),
        ];
        for (spec, want) in table {
            assert_eq!(parse_port(spec), want, "{spec}");
        }
    }

    #[test]
    fn kubectl_prints_both_loopback_addresses() {
        assert_eq!(
            forwarding_lines(ForwardedPort {
                local: 8080,
                remote: 80
            }),
            [
                "Forwarding from 127.0.0.1:8080 -> 80",
                "Forwarding from [::1]:8080 -> 80"
            ]
        );
    }

    #[test]
    fn a_service_port_forwards_to_its_target_port() {
        let svc = super::super::fixtures::service("default", "web")
            .named_port("", 80, 8080, "TCP", None)
            .build();
        assert_eq!(service_port_to_container_port(&svc, 80), Ok(8080));
        assert_eq!(
            service_port_to_container_port(&svc, 81),
            Err("error: Service web does not have a service port 81".into())
        );
    }
}
