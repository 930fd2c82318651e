//! Addresses with prefix lengths, parsed and checked the way `ip` does.

use std::net::{IpAddr, Ipv6Addr};

use ipnet::{IpAdd, IpNet, Ipv6Net};

use crate::error::{Error, Result};

/// An address and its prefix length: "10.0.0.1/24", "2001:db8::1/64".
pub type Cidr = (IpAddr, u8);

/// Parse "ADDR/LEN", or a bare "ADDR" meaning a host prefix (/32 or /128),
/// as `ip addr add` does.
pub fn parse(text: &str) -> Result<Cidr> {
    parse_of(text).map_err(|e| e.about(text))
}

fn parse_of(text: &str) -> Result<Cidr> {
    let action = format!("use {text:?} as an address");
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let ip: IpAddr = addr.trim().parse().map_err(|_| {
        Error::invalid(
            action.clone(),
            format!("{addr:?} is not an IPv4 or IPv6 address"),
        )
        .with_help("write it like 10.0.0.1/24 or 2001:db8::1/64")
    })?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => max,
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= max => n,
            _ => {
                return Err(Error::invalid(
                    action,
                    format!("the prefix length {l:?} is not a number from 0 to {max}"),
                )
                .with_help(format!(
                    "an {} prefix length is 0..={max}",
                    if ip.is_ipv4() { "IPv4" } else { "IPv6" }
                )));
            }
        },
    };
    Ok((ip, len))
}

/// Parse a route destination: "default" or a network prefix whose host bits
/// are zero. `family_of` picks the family of "default".
pub fn parse_destination(text: &str, family_of: IpAddr) -> Result<Option<Cidr>> {
    destination_of(text, family_of).map_err(|e| e.about(text))
}

fn destination_of(text: &str, family_of: IpAddr) -> Result<Option<Cidr>> {
    if text == "default" {
        return Ok(None);
    }
    let (ip, len) = parse(text)?;
    let network = network_of(ip, len);
    if network != ip {
        return Err(Error::invalid(
            format!("use {text:?} as a route destination"),
            "the address has host bits set for its prefix length",
        )
        .with_help(format!("did you mean \"{network}/{len}\"?")));
    }
    if ip.is_ipv4() != family_of.is_ipv4() {
        return Err(Error::invalid(
            format!("route {text} via {family_of}"),
            "the destination and the gateway are of different IP versions",
        ));
    }
    Ok(Some((ip, len)))
}

/// The prefix as ipnet knows it (the address keeps its host bits).
fn net((ip, len): Cidr) -> IpNet {
    IpNet::new(ip, len).expect("a parsed prefix length fits its family")
}

/// The address with everything past the prefix cleared.
pub fn network_of(ip: IpAddr, len: u8) -> IpAddr {
    net((ip, len)).network()
}

/// Whether `ip` is an IPv6 link-local address (fe80::/10).
pub fn is_link_local(ip: IpAddr) -> bool {
    let fe80 = Ipv6Net::new(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10);
    matches!((ip, fe80), (IpAddr::V6(v6), Ok(link_local)) if link_local.contains(&v6))
}

/// Whether a CIDR string is IPv6 link-local ("fe80::1/64").
pub fn is_link_local_text(cidr: &str) -> bool {
    parse(cidr).is_ok_and(|(ip, _)| is_link_local(ip))
}

pub fn format((ip, len): Cidr) -> String {
    format!("{ip}/{len}")
}

/// The n-th address of `block` ("10.0.0.0/24", 5 -> "10.0.0.5/24").
pub fn host(block: &str, n: i64) -> Result<String> {
    let block_net = net(parse(block)?);
    let host_bits = u32::from(block_net.max_prefix_len() - block_net.prefix_len());
    let size = 1u128.checked_shl(host_bits).unwrap_or(u128::MAX);
    if n < 0 || (n as u128) >= size {
        return Err(Error::invalid(
            format!("take address {n} of {block}"),
            format!("{block} has addresses 0 to {}", size - 1),
        )
        .at_arg(1));
    }
    let ip = match block_net.network() {
        IpAddr::V4(v4) => IpAddr::V4(v4.saturating_add(n as u32)),
        IpAddr::V6(v6) => IpAddr::V6(v6.saturating_add(n as u128)),
    };
    Ok(format((ip, block_net.prefix_len())))
}

/// The first `count` subnets of length `prefix` inside `block`.
pub fn subnets(block: &str, prefix: i64, count: i64) -> Result<Vec<String>> {
    let block_net = net(parse(block)?);
    let (len, max) = (block_net.prefix_len(), block_net.max_prefix_len());
    let action = format!("split {block} into /{prefix} subnets");
    let all = u8::try_from(prefix)
        .ok()
        .and_then(|p| block_net.trunc().subnets(p).ok())
        .ok_or_else(|| {
            Error::invalid(
                action.clone(),
                format!("the prefix must be between {len} and {max}"),
            )
            .at_arg(1)
        })?;
    let available = 1u128
        .checked_shl((prefix - i64::from(len)) as u32)
        .unwrap_or(u128::MAX);
    if count < 0 || count as u128 > available {
        return Err(Error::invalid(action, format!("it has {available} of them")).at_arg(2));
    }
    Ok(all.take(count as usize).map(|n| n.to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_ip_addr_add() {
        assert_eq!(format(parse("10.0.0.1/24").unwrap()), "10.0.0.1/24");
        assert_eq!(format(parse("10.0.0.1").unwrap()), "10.0.0.1/32");
        assert_eq!(format(parse("2001:db8::1/64").unwrap()), "2001:db8::1/64");
        assert_eq!(
            parse("10.0.0.1/33").unwrap_err().kind,
            crate::error::Kind::Invalid
        );
        assert!(
            parse("100.100.100.300/24")
                .unwrap_err()
                .reason
                .contains("not an IPv4")
        );
        assert!(parse("10.0.0.1/x").is_err());
    }

    #[test]
    fn destinations_must_be_networks() {
        let gw: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(parse_destination("default", gw).unwrap(), None);
        assert_eq!(parse_destination("10.1.0.0/16", gw).unwrap().unwrap().1, 16);
        let e = parse_destination("10.1.2.3/16", gw).unwrap_err();
        assert_eq!(e.help.unwrap(), "did you mean \"10.1.0.0/16\"?");
        assert!(parse_destination("2001:db8::/64", gw).is_err());
    }
}

#[cfg(test)]
mod pool_tests {
    #[test]
    fn pools_and_subnets() {
        assert_eq!(super::host("10.0.0.0/24", 1).unwrap(), "10.0.0.1/24");
        assert_eq!(super::host("10.0.0.7/24", 1).unwrap(), "10.0.0.1/24");
        assert!(super::host("10.0.0.0/30", 4).is_err());
        assert_eq!(
            super::host("2001:db8::/64", 255).unwrap(),
            "2001:db8::ff/64"
        );
        assert_eq!(
            super::subnets("10.0.0.0/16", 30, 2).unwrap(),
            ["10.0.0.0/30", "10.0.0.4/30"]
        );
        assert!(super::subnets("10.0.0.0/24", 16, 1).is_err());
        assert!(super::subnets("10.0.0.0/24", 26, 5).is_err());
    }
}
