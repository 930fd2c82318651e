//! Kernel nexthop objects (`ip nexthop`), which routes name by id
//! (RTA_NH_ID) instead of carrying their gateways: FRR's zebra installs
//! routes this way by default. The rtnetlink crate has no nexthop
//! messages, so this is one RTM_GETNEXTHOP dump on a plain netlink socket
//! opened inside the namespace, read just far enough to say where each
//! nexthop (or group of them) leads.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::types::NextHop;
use crate::error::{Error, Result};
use crate::ns::Ns;

const RTM_NEWNEXTHOP: u16 = 104;
const RTM_GETNEXTHOP: u16 = 106;
const NHA_ID: u16 = 1;
const NHA_GROUP: u16 = 2;
const NHA_OIF: u16 = 5;
const NHA_GATEWAY: u16 = 6;

/// Where a nexthop object leads.
#[derive(Clone, Debug, Default)]
pub struct Nexthop {
    pub gateway: Option<IpAddr>,
    pub dev: Option<u32>,
    /// For a group: its members (id, weight as the kernel counts it).
    pub group: Vec<(u32, u8)>,
}

/// The nexthop objects of `ns`, by id; none where the kernel has no
/// nexthop objects.
pub fn dump(ns: &Ns) -> Result<HashMap<u32, Nexthop>> {
    let file = ns.open()?;
    let fd = crate::sys::netns_fs::run_in(&file, || {
        // SAFETY: socket(2) with constant arguments; owned at once.
        let fd = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_ROUTE,
            )
        };
        (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
    })?
    .ok_or_else(|| Error::from_io("open a netlink socket", &std::io::Error::last_os_error()))?;
    // nlmsghdr (16 bytes) + nhmsg (8 bytes, all zero: every family).
    let mut request = [0u8; 24];
    request[0..4].copy_from_slice(&24u32.to_ne_bytes());
    request[4..6].copy_from_slice(&RTM_GETNEXTHOP.to_ne_bytes());
    let flags = (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16;
    request[6..8].copy_from_slice(&flags.to_ne_bytes());
    request[8..12].copy_from_slice(&1u32.to_ne_bytes());
    // SAFETY: send(2) of our buffer on our socket.
    if unsafe { libc::send(fd.as_raw_fd(), request.as_ptr().cast(), request.len(), 0) } < 0 {
        return Err(Error::from_io(
            "list nexthops",
            &std::io::Error::last_os_error(),
        ));
    }
    let mut out = HashMap::new();
    let mut buf = vec![0u8; 65536];
    loop {
        // SAFETY: recv(2) into our buffer.
        let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n <= 0 {
            return Ok(out);
        }
        let mut at = 0;
        let end = n as usize;
        while at + 16 <= end {
            let len = u32_at(&buf, at) as usize;
            let kind = u16_at(&buf, at + 4);
            if len < 16 || at + len > end {
                return Ok(out);
            }
            match i32::from(kind) {
                libc::NLMSG_DONE | libc::NLMSG_ERROR => return Ok(out),
                _ if kind == RTM_NEWNEXTHOP && len >= 24 => {
                    let family = buf[at + 16];
                    if let Some((id, nh)) = parse(&buf[at + 24..at + len], family) {
                        out.insert(id, nh);
                    }
                }
                _ => {}
            }
            at += (len + 3) & !3;
        }
    }
}

fn parse(attrs: &[u8], family: u8) -> Option<(u32, Nexthop)> {
    let mut id = None;
    let mut nh = Nexthop::default();
    let mut at = 0;
    while at + 4 <= attrs.len() {
        let len = usize::from(u16_at(attrs, at));
        let kind = u16_at(attrs, at + 2) & 0x3fff;
        if len < 4 || at + len > attrs.len() {
            break;
        }
        let data = &attrs[at + 4..at + len];
        match kind {
            NHA_ID if data.len() >= 4 => id = Some(u32_at(data, 0)),
            NHA_OIF if data.len() >= 4 => nh.dev = Some(u32_at(data, 0)),
            NHA_GATEWAY => {
                nh.gateway = match (i32::from(family), data.len()) {
                    (libc::AF_INET, 4) => Some(IpAddr::V4(Ipv4Addr::new(
                        data[0], data[1], data[2], data[3],
                    ))),
                    (libc::AF_INET6, 16) => {
                        Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(data).ok()?)))
                    }
                    _ => None,
                }
            }
            // struct nexthop_grp: u32 id, u8 weight, u8, u16.
            NHA_GROUP => {
                nh.group = data.chunks_exact(8).map(|m| (u32_at(m, 0), m[4])).collect();
            }
            _ => {}
        }
        at += (len + 3) & !3;
    }
    id.map(|id| (id, nh))
}

/// The paths of nexthop `id`: one for a plain nexthop (as the route's
/// gateway and link), several for a group.
pub fn resolve(
    all: &HashMap<u32, Nexthop>,
    id: u32,
) -> (Option<IpAddr>, Option<u32>, Vec<NextHop>) {
    let Some(nh) = all.get(&id) else {
        return (None, None, Vec::new());
    };
    if nh.group.is_empty() {
        return (nh.gateway, nh.dev, Vec::new());
    }
    let hops = nh
        .group
        .iter()
        .filter_map(|(member, weight)| {
            let m = all.get(member)?;
            Some(NextHop {
                gateway: m.gateway,
                dev: m.dev?,
                weight: u16::from(*weight) + 1,
            })
        })
        .collect();
    (None, None, hops)
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
