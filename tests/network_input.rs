//! Whatever a student types as a name, a CIDR or a port pair, networking answers with a value.

use kube_sandbox::sim::network::dns::{ClusterDns, ResolvConf};
use kube_sandbox::sim::network::port_forward::parse_port;
use kube_sandbox::sim::network::Ipv4Cidr;
use proptest::prelude::*;

proptest! {
    #[test]
    fn no_typed_text_panics_dns_cidr_or_port_parsing(text in ".{0,80}") {
        let dns = ClusterDns::default();
        let _ = dns.nslookup(&text, &ResolvConf::for_pod("default"));
        let _ = dns.answer(&text);
        let _ = Ipv4Cidr::parse(&text);
        let _ = parse_port(&text);
    }
}
