//! Where a request comes from: API Gateway's `requestContext.http.sourceIp` (HTTP API,
//! payload 2.0), the address of the TCP peer that connected to API Gateway, parsed into the
//! network a rate limit counts (`rate_limit`).
//!
//! An IPv6 address counts by its /64: one subscriber line or host is routinely given a
//! whole /64 (SLAAC, privacy addresses), so counting single IPv6 addresses would hand one
//! attacker 2^64 fresh sources. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is the
//! IPv4 address it carries.
//!
//! A missing or malformed `sourceIp` (never sent by API Gateway; a hand-made event, a
//! misconfigured proxy) is not an error to the caller, who cannot set it: it is
//! [`SourceAddress::Unknown`], one shared source, so such requests are still limited
//! (together) and can never escape the limits by leaving the address out.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The network one request is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceAddress {
    V4(Ipv4Addr),
    /// The /64 prefix of an IPv6 address (the low 64 bits zero).
    V6Net(Ipv6Addr),
    /// No usable `sourceIp`: one bucket for every such request.
    Unknown,
}

impl SourceAddress {
    /// From an address.
    pub fn from_ip(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::V4(v4),
                None => {
                    let bits = u128::from(v6) & !u128::from(u64::MAX);
                    Self::V6Net(Ipv6Addr::from(bits))
                }
            },
        }
    }

    /// From `sourceIp` as API Gateway passes it (`"203.0.113.10"`, `"2001:db8::1"`);
    /// anything else, or nothing, is `Unknown`. Never fails: the value is the
    /// infrastructure's, not the caller's.
    pub fn from_source_ip(source_ip: Option<&str>) -> Self {
        // Bounded: no address is longer than 45 characters; anything far longer is not one.
        match source_ip.map(str::trim).filter(|s| s.len() <= 64).map(str::parse::<IpAddr>) {
            Some(Ok(ip)) => Self::from_ip(ip),
            _ => Self::Unknown,
        }
    }

    pub fn is_known(self) -> bool {
        self != Self::Unknown
    }

    /// The canonical text hashed into counters' keys (`v4:…`, `v6:…/64`, `unknown`).
    pub fn canonical(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for SourceAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V4(ip) => write!(f, "v4:{ip}"),
            Self::V6Net(net) => write!(f, "v6:{net}/64"),
            Self::Unknown => f.write_str("unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> SourceAddress {
        SourceAddress::from_source_ip(Some(text))
    }

    #[test]
    fn ipv4_addresses_are_themselves() {
        assert_eq!(parse("203.0.113.10"), SourceAddress::V4(Ipv4Addr::new(203, 0, 113, 10)));
        assert_eq!(parse("127.0.0.2").canonical(), "v4:127.0.0.2");
        assert_ne!(parse("127.0.0.1"), parse("127.0.0.2"));
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_bit_prefix() {
        let a = parse("2001:db8:1:2:aaaa:bbbb:cccc:dddd");
        let b = parse("2001:db8:1:2::1");
        let other = parse("2001:db8:1:3::1");
        assert_eq!(a, b, "one /64 is one source");
        assert_ne!(a, other);
        assert_eq!(a.canonical(), "v6:2001:db8:1:2::/64");
        assert_eq!(parse("::1").canonical(), "v6:::/64");
    }

    #[test]
    fn ipv4_mapped_ipv6_is_the_ipv4_address() {
        assert_eq!(parse("::ffff:198.51.100.7"), parse("198.51.100.7"));
    }

    #[test]
    fn a_missing_or_malformed_source_is_the_one_unknown_source() {
        for text in ["", " ", "localhost", "1.2.3", "1.2.3.4:80", "[::1]", "256.1.1.1", "1.2.3.4, 5.6.7.8"] {
            assert_eq!(parse(text), SourceAddress::Unknown, "{text:?}");
        }
        assert_eq!(SourceAddress::from_source_ip(None), SourceAddress::Unknown);
        assert_eq!(parse(&"1".repeat(10_000)), SourceAddress::Unknown);
        assert!(!SourceAddress::Unknown.is_known() && parse("10.0.0.1").is_known());
        assert_eq!(SourceAddress::Unknown.canonical(), "unknown");
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        assert_eq!(parse(" 10.0.0.1 "), parse("10.0.0.1"));
    }
}
