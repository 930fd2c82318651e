//! Neighbour (ARP/NDP) entries: the `ip neigh` verbs.

use std::net::IpAddr;

use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use rtnetlink::packet_route::route::RouteType;

use super::Netlink;
use super::request::{self, CHANGE, CREATE, DUMP};
use crate::error::{Error, Result};
use crate::ns::Ns;

impl Netlink {
    /// `ip -n NS neigh flush all` (`dev DEV` with `index`): drop the
    /// learned entries (not the permanent ones). Returns how many went.
    pub fn neigh_flush(&self, ns: &Ns, index: Option<u32>) -> Result<usize> {
        let handle = self.handle(ns)?;
        let mut flushed = 0;
        for reply in self.dump_neighbours(ns)? {
            let M::NewNeighbour(n) = reply else { continue };
            if matches!(
                n.header.state,
                NeighbourState::Permanent | NeighbourState::Noarp
            ) || index.is_some_and(|i| i != n.header.ifindex)
            {
                continue;
            }
            let mut del = NeighbourMessage::default();
            del.header = n.header.clone();
            del.attributes = n
                .attributes
                .into_iter()
                .filter(|a| matches!(a, NeighbourAttribute::Destination(_)))
                .collect();
            if self
                .block_on(request::send(&handle, M::DelNeighbour(del), CHANGE))
                .is_ok()
            {
                flushed += 1;
            }
        }
        Ok(flushed)
    }
}

/// One neighbour entry, as `ip neigh show` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeighInfo {
    pub ip: IpAddr,
    /// "aa:bb:cc:dd:ee:ff", or empty when not (yet) resolved.
    pub mac: String,
    pub index: u32,
    /// "permanent", "reachable", "stale", "failed", ...
    pub state: String,
}

impl Netlink {
    /// `ip -n NS neigh add IP lladdr MAC dev DEV` (a permanent entry).
    pub fn neigh_add(&self, ns: &Ns, index: u32, ip: IpAddr, mac: [u8; 6]) -> Result<()> {
        let action = format!("add neighbour {ip}");
        let handle = self.handle(ns)?;
        let msg = neigh_message(index, ip, Some(mac));
        self.block_on(request::send(&handle, M::NewNeighbour(msg), CREATE))
            .map(|_| ())
            .map_err(|errno| {
                let e = Error::errno(action, errno).in_netns(ns.name());
                if errno == libc::EEXIST {
                    Error {
                        reason: format!("{ip} already has an entry on this link"),
                        help: Some("delete it first with ns.neigh_del(ip, dev)".into()),
                        ..e
                    }
                } else {
                    e
                }
            })
    }

    /// `ip -n NS neigh del IP dev DEV`
    pub fn neigh_del(&self, ns: &Ns, index: u32, ip: IpAddr) -> Result<()> {
        let handle = self.handle(ns)?;
        self.block_on(request::send(
            &handle,
            M::DelNeighbour(neigh_message(index, ip, None)),
            CHANGE,
        ))
        .map(|_| ())
        .map_err(|errno| {
            let e = Error::errno(format!("delete neighbour {ip}"), errno).in_netns(ns.name());
            if errno == libc::ENOENT {
                Error {
                    kind: crate::error::Kind::NotFound,
                    reason: format!("{ip} has no entry on this link"),
                    ..e
                }
            } else {
                e
            }
        })
    }

    /// `ip -n NS neigh add|del proxy IP dev DEV`: answer (or stop
    /// answering) ARP and neighbour solicitations for `ip` on the link.
    pub fn proxy(&self, ns: &Ns, index: u32, ip: IpAddr, add: bool) -> Result<()> {
        let handle = self.handle(ns)?;
        let mut msg = neigh_message(index, ip, None);
        msg.header.flags = NeighbourFlags::Proxy;
        let (verb, req) = match add {
            true => ("add", request::send(&handle, M::NewNeighbour(msg), CREATE)),
            false => (
                "delete",
                request::send(&handle, M::DelNeighbour(msg), CHANGE),
            ),
        };
        self.block_on(req).map(|_| ()).map_err(|errno| {
            let e = Error::errno(format!("{verb} proxy entry {ip}"), errno).in_netns(ns.name());
            match errno {
                libc::EEXIST => Error {
                    reason: format!("{ip} is already proxied on this link"),
                    ..e
                },
                libc::ENOENT => Error {
                    kind: crate::error::Kind::NotFound,
                    reason: format!("{ip} is not proxied on this link"),
                    ..e
                },
                _ => e,
            }
        })
    }

    /// `ip -n NS neigh show proxy`: the addresses answered for, and on
    /// which link.
    pub fn proxies(&self, ns: &Ns) -> Result<Vec<(IpAddr, u32)>> {
        let handle = self.handle(ns)?;
        let mut msg = NeighbourMessage::default();
        msg.header.flags = NeighbourFlags::Proxy;
        let replies = self
            .block_on(request::send(&handle, M::GetNeighbour(msg), DUMP))
            .map_err(|e| Error::errno("list proxy entries", e).in_netns(ns.name()))?;
        Ok(replies
            .into_iter()
            .filter_map(parse_neigh)
            .map(|n| (n.ip, n.index))
            .collect())
    }

    /// `ip -n NS neigh show` (IPv4 and IPv6), in the kernel's order.
    pub fn neighs(&self, ns: &Ns) -> Result<Vec<NeighInfo>> {
        Ok(self
            .dump_neighbours(ns)?
            .into_iter()
            .filter_map(parse_neigh)
            .collect())
    }

    fn dump_neighbours(&self, ns: &Ns) -> Result<Vec<M>> {
        let handle = self.handle(ns)?;
        self.block_on(request::send(
            &handle,
            M::GetNeighbour(NeighbourMessage::default()),
            DUMP,
        ))
        .map_err(|e| Error::errno("list neighbours", e).in_netns(ns.name()))
    }
}

fn neigh_message(index: u32, ip: IpAddr, mac: Option<[u8; 6]>) -> NeighbourMessage {
    let mut msg = NeighbourMessage::default();
    msg.header.ifindex = index;
    msg.header.state = NeighbourState::Permanent;
    msg.header.kind = RouteType::Unicast;
    let dst = match ip {
        IpAddr::V4(a) => {
            msg.header.family = AddressFamily::Inet;
            NeighbourAddress::Inet(a)
        }
        IpAddr::V6(a) => {
            msg.header.family = AddressFamily::Inet6;
            NeighbourAddress::Inet6(a)
        }
    };
    msg.attributes.push(NeighbourAttribute::Destination(dst));
    if let Some(mac) = mac {
        msg.attributes
            .push(NeighbourAttribute::LinkLayerAddress(mac.to_vec()));
    }
    msg
}

fn parse_neigh(reply: M) -> Option<NeighInfo> {
    let M::NewNeighbour(n) = reply else {
        return None;
    };
    let mut ip = None;
    let mut mac = String::new();
    for a in n.attributes {
        match a {
            NeighbourAttribute::Destination(NeighbourAddress::Inet(v4)) => {
                ip = Some(IpAddr::V4(v4))
            }
            NeighbourAttribute::Destination(NeighbourAddress::Inet6(v6)) => {
                ip = Some(IpAddr::V6(v6))
            }
            NeighbourAttribute::LinkLayerAddress(bytes) => {
                mac = bytes
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(":");
            }
            _ => {}
        }
    }
    let state = match n.header.state {
        NeighbourState::Incomplete => "incomplete",
        NeighbourState::Reachable => "reachable",
        NeighbourState::Stale => "stale",
        NeighbourState::Delay => "delay",
        NeighbourState::Probe => "probe",
        NeighbourState::Failed => "failed",
        NeighbourState::Noarp => "noarp",
        NeighbourState::Permanent => "permanent",
        _ => "none",
    };
    Some(NeighInfo {
        ip: ip?,
        mac,
        index: n.header.ifindex,
        state: state.into(),
    })
}
