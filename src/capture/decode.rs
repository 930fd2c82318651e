//! What a captured packet is, in a line: protocol, source, destination
//! and a summary the way tcpdump writes one ("10.0.0.1 > 10.0.0.2: ICMP
//! echo request, id 7, seq 1"). Ethernet, 802.1Q, ARP, IPv4, IPv6, ICMP,
//! ICMPv6, TCP and UDP are read; anything else is named by its EtherType
//! or IP protocol number.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A packet, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// "ARP", "ICMP", "ICMPv6", "TCP", "UDP", "IPv4", "IPv6" or "Ethernet".
    pub protocol: String,
    /// The IP (or, below IP, MAC) addresses.
    pub src: String,
    pub dst: String,
    pub text: String,
}

fn mac(b: &[u8]) -> String {
    crate::mac::format(b)
}

pub fn decode(frame: &[u8]) -> Summary {
    let ether = |text: String| Summary {
        protocol: "Ethernet".into(),
        src: frame.get(6..12).map_or_else(String::new, mac),
        dst: frame.get(0..6).map_or_else(String::new, mac),
        text,
    };
    let Some(mut kind) = be16(frame, 12) else {
        return ether(format!("truncated frame, {} bytes", frame.len()));
    };
    let mut at = 14;
    if kind == 0x8100 || kind == 0x88a8 {
        let vlan = be16(frame, 14).unwrap_or(0) & 0x0fff;
        kind = be16(frame, 16).unwrap_or(0);
        at = 18;
        let mut s = decode_l3(kind, &frame[at.min(frame.len())..])
            .unwrap_or_else(|| ether(format!("ethertype 0x{kind:04x}")));
        s.text = format!("vlan {vlan}, {}", s.text);
        return s;
    }
    decode_l3(kind, &frame[at..]).unwrap_or_else(|| ether(format!("ethertype 0x{kind:04x}")))
}

fn decode_l3(kind: u16, p: &[u8]) -> Option<Summary> {
    match kind {
        0x0806 => arp(p),
        0x0800 => {
            let ihl = usize::from(p.first()? & 0x0f) * 4;
            let src = IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(p.get(12..16)?).ok()?));
            let dst = IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(p.get(16..20)?).ok()?));
            Some(transport(
                src,
                dst,
                *p.get(9)?,
                p.get(ihl..).unwrap_or(&[]),
                false,
            ))
        }
        0x86dd => {
            let src = IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(p.get(8..24)?).ok()?));
            let dst = IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(p.get(24..40)?).ok()?));
            // Past hop-by-hop, routing and destination options headers
            // (MLD reports come after a hop-by-hop one).
            let (mut next, mut at) = (*p.get(6)?, 40);
            while matches!(next, 0 | 43 | 60) {
                let len = (usize::from(*p.get(at + 1)?) + 1) * 8;
                next = *p.get(at)?;
                at += len;
            }
            Some(transport(src, dst, next, p.get(at..).unwrap_or(&[]), true))
        }
        _ => None,
    }
}

fn arp(p: &[u8]) -> Option<Summary> {
    let ip = |at: usize| -> Option<String> {
        Some(Ipv4Addr::from(<[u8; 4]>::try_from(p.get(at..at + 4)?).ok()?).to_string())
    };
    let (sender, target) = (ip(14)?, ip(24)?);
    let text = match be16(p, 6)? {
        1 => format!("ARP, Request who-has {target} tell {sender}"),
        2 => format!("ARP, Reply {sender} is-at {}", mac(p.get(8..14)?)),
        op => format!("ARP, op {op}"),
    };
    Some(Summary {
        protocol: "ARP".into(),
        src: sender,
        dst: target,
        text,
    })
}

fn transport(src: IpAddr, dst: IpAddr, proto: u8, p: &[u8], v6: bool) -> Summary {
    let (protocol, what) = match (proto, v6) {
        (1, false) => ("ICMP", icmp(p, false)),
        (58, true) => ("ICMPv6", icmp(p, true)),
        (6, _) => (
            "TCP",
            ports(p)
                .map(|(s, d)| (s, d, tcp_flags(p)))
                .map_or("TCP".into(), |(s, d, f)| {
                    format!("port {s} > {d}: TCP [{f}]")
                }),
        ),
        (17, _) => (
            "UDP",
            ports(p).map_or("UDP".into(), |(s, d)| format!("port {s} > {d}: UDP")),
        ),
        (other, false) => ("IPv4", format!("IP protocol {other}")),
        (other, true) => ("IPv6", format!("next header {other}")),
    };
    Summary {
        protocol: protocol.into(),
        src: src.to_string(),
        dst: dst.to_string(),
        text: format!("{src} > {dst}: {what}"),
    }
}

fn icmp(p: &[u8], v6: bool) -> String {
    let name = if v6 { "ICMP6" } else { "ICMP" };
    let (Some(&kind), Some(&code)) = (p.first(), p.get(1)) else {
        return format!("{name}, truncated");
    };
    let echo = |what: &str| {
        format!(
            "{name} echo {what}, id {}, seq {}",
            be16(p, 4).unwrap_or(0),
            be16(p, 6).unwrap_or(0)
        )
    };
    match (v6, kind) {
        (false, 8) | (true, 128) => echo("request"),
        (false, 0) | (true, 129) => echo("reply"),
        (false, 3) | (true, 1) => format!("{name} destination unreachable, code {code}"),
        (false, 11) | (true, 3) => format!("{name} time exceeded, code {code}"),
        (true, 133) => "ICMP6 router solicitation".into(),
        (true, 134) => "ICMP6 router advertisement".into(),
        (true, 135) => "ICMP6 neighbor solicitation".into(),
        (true, 136) => "ICMP6 neighbor advertisement".into(),
        (true, 143) => "ICMP6 multicast listener report v2".into(),
        _ => format!("{name} type {kind}, code {code}"),
    }
}

fn ports(p: &[u8]) -> Option<(u16, u16)> {
    Some((be16(p, 0)?, be16(p, 2)?))
}

fn tcp_flags(p: &[u8]) -> String {
    let flags = p.get(13).copied().unwrap_or(0);
    let names = [
        (0x02, 'S'),
        (0x01, 'F'),
        (0x04, 'R'),
        (0x08, 'P'),
        (0x10, '.'),
    ];
    names
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, c)| *c)
        .collect()
}

fn be16(p: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*p.get(at)?, *p.get(at + 1)?]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_icmp_echo_request() {
        let mut f = vec![0u8; 14 + 20 + 8];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        f[14] = 0x45;
        f[23] = 1;
        f[26..30].copy_from_slice(&[10, 0, 0, 1]);
        f[30..34].copy_from_slice(&[10, 0, 0, 2]);
        f[34] = 8;
        f[38..40].copy_from_slice(&[0, 7]);
        f[40..42].copy_from_slice(&[0, 1]);
        let s = super::decode(&f);
        assert_eq!(s.protocol, "ICMP");
        assert_eq!((s.src.as_str(), s.dst.as_str()), ("10.0.0.1", "10.0.0.2"));
        assert_eq!(
            s.text,
            "10.0.0.1 > 10.0.0.2: ICMP echo request, id 7, seq 1"
        );
        assert_eq!(super::decode(&f[..10]).text, "truncated frame, 10 bytes");
    }
}
