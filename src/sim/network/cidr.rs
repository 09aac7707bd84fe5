//! IPv4 CIDR blocks (`10.244.1.0/24`): parsing, membership and address arithmetic.
//!
//! Mirrors: Go's `net.ParseCIDR` for IPv4, including its refusal of a host part
//! (`10.244.1.5/24` parses, as Go does, to the network `10.244.1.0/24`).
//! Simplified: IPv4 only.

use std::fmt;
use std::net::Ipv4Addr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Cidr {
    network: Ipv4Addr,
    prefix_len: u8,
}

impl Ipv4Cidr {
    /// For constants known to be well formed; masks off host bits.
    pub const fn new_unchecked(addr: Ipv4Addr, prefix_len: u8) -> Self {
        assert!(prefix_len <= 32, "prefix length above 32");
        let bits = u32::from_be_bytes(addr.octets()) & mask(prefix_len);
        let o = bits.to_be_bytes();
        Ipv4Cidr {
            network: Ipv4Addr::new(o[0], o[1], o[2], o[3]),
            prefix_len,
        }
    }

    /// Parses `a.b.c.d/n`; errors as Go's `net.ParseCIDR` words them.
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = || format!("invalid CIDR address: {text}");
        let (addr, len) = text.split_once('/').ok_or_else(invalid)?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| invalid())?;
        if len.is_empty() || len.len() > 2 || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let prefix_len: u8 = len.parse().map_err(|_| invalid())?;
        if prefix_len > 32 {
            return Err(invalid());
        }
        Ok(Ipv4Cidr::new_unchecked(addr, prefix_len))
    }

    pub fn network(&self) -> Ipv4Addr {
        self.network
    }

    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// Number of addresses in the block, network and broadcast included.
    pub fn size(&self) -> u64 {
        1u64 << (32 - self.prefix_len as u32)
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & mask(self.prefix_len) == u32::from(self.network)
    }

    /// The address `offset` places after the network address, if it is inside the block.
    pub fn nth(&self, offset: u64) -> Option<Ipv4Addr> {
        if offset >= self.size() {
            return None;
        }
        Some(Ipv4Addr::from(u32::from(self.network) + offset as u32))
    }

    /// The offset of `ip` from the network address, if `ip` is inside the block.
    pub fn offset_of(&self, ip: Ipv4Addr) -> Option<u64> {
        self.contains(ip)
            .then(|| (u32::from(ip) - u32::from(self.network)) as u64)
    }

    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) | !mask(self.prefix_len))
    }
}

const fn mask(prefix_len: u8) -> u32 {
    if prefix_len == 0 {
        0
    } else {
        u32::MAX << (32 - prefix_len as u32)
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cidr_parses_and_prints_back_as_its_network() {
        let table = [
            ("10.244.1.0/24", "10.244.1.0/24"),
            ("10.244.1.5/24", "10.244.1.0/24"),
            ("10.96.0.0/12", "10.96.0.0/12"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("172.16.20.11/32", "172.16.20.11/32"),
        ];
        for (input, want) in table {
            assert_eq!(
                Ipv4Cidr::parse(input).map(|c| c.to_string()),
                Ok(want.to_string())
            );
        }
    }

    #[test]
    fn malformed_cidrs_are_refused_with_gos_message() {
        for input in [
            "",
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0/8",
            "x/8",
            "10.0.0.0/+8",
        ] {
            assert_eq!(
                Ipv4Cidr::parse(input),
                Err(format!("invalid CIDR address: {input}")),
                "{input:?}"
            );
        }
    }

    #[test]
    fn membership_and_arithmetic_agree_at_the_edges() {
        let c = Ipv4Cidr::parse("10.96.0.0/12").unwrap();
        assert_eq!(c.size(), 1 << 20);
        assert!(c.contains(Ipv4Addr::new(10, 111, 255, 255)));
        assert!(!c.contains(Ipv4Addr::new(10, 112, 0, 0)));
        assert_eq!(c.broadcast(), Ipv4Addr::new(10, 111, 255, 255));
        assert_eq!(c.nth(10), Some(Ipv4Addr::new(10, 96, 0, 10)));
        assert_eq!(c.nth(1 << 20), None);
        assert_eq!(c.offset_of(Ipv4Addr::new(10, 96, 1, 0)), Some(256));
        assert_eq!(c.offset_of(Ipv4Addr::new(10, 95, 1, 0)), None);
    }
}
