//! Listening TCP sockets of a namespace, read from /proc/net/tcp{,6} by a
//! thread inside it (what `ss -tln` shows).

use std::fs::File;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::Result;
use crate::sys::netns_fs;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listener {
    pub proto: &'static str,
    pub addr: IpAddr,
    pub port: u16,
}

const LISTEN: &str = "0A";

pub fn listening(ns: &File) -> Result<Vec<Listener>> {
    let tables = netns_fs::run_in(ns, || {
        ["tcp", "tcp6"].map(|t| {
            std::fs::read_to_string(format!("/proc/thread-self/net/{t}")).unwrap_or_default()
        })
    })?;
    let mut out: Vec<Listener> = Vec::new();
    for (proto, text) in ["tcp", "tcp6"].into_iter().zip(tables) {
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.get(3) != Some(&LISTEN) {
                continue;
            }
            if let Some((addr, port)) = fields.get(1).and_then(|f| parse_endpoint(f)) {
                out.push(Listener { proto, addr, port });
            }
        }
    }
    out.sort_by_key(|l| (l.port, l.proto, l.addr));
    out.dedup();
    Ok(out)
}

/// "0100007F:0050" -> 127.0.0.1:80; IPv6 is four 32-bit words, each in
/// host (little-endian) byte order.
fn parse_endpoint(text: &str) -> Option<(IpAddr, u16)> {
    let (addr, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let addr = match addr.len() {
        8 => IpAddr::V4(Ipv4Addr::from(
            u32::from_str_radix(addr, 16).ok()?.swap_bytes(),
        )),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                let word = u32::from_str_radix(&addr[i * 8..i * 8 + 8], 16).ok()?;
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some((addr, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_decode_like_ss() {
        assert_eq!(
            parse_endpoint("0100007F:0050"),
            Some(("127.0.0.1".parse().unwrap(), 80))
        );
        assert_eq!(
            parse_endpoint("00000000:1F90"),
            Some(("0.0.0.0".parse().unwrap(), 8080))
        );
        assert_eq!(
            parse_endpoint("00000000000000000000000001000000:0016"),
            Some(("::1".parse().unwrap(), 22))
        );
        assert_eq!(
            parse_endpoint("00000000000000000000000000000000:0050"),
            Some(("::".parse().unwrap(), 80))
        );
    }
}
