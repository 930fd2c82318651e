//! The forwarding database of bridges and VXLAN links: `bridge fdb show`,
//! `add`, `append` and `del`.

use std::net::IpAddr;

use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};

use super::Netlink;
use super::request::{self, APPEND, CHANGE, CREATE, DUMP, REPLACE};
use crate::error::{Error, Result};
use crate::ns::Ns;

/// One entry, as `bridge fdb show` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdbEntry {
    pub mac: String,
    /// The link the entry is on (a bridge port, a VXLAN link, a bridge).
    pub dev: u32,
    /// The bridge it belongs to, for an entry a bridge keeps for its port.
    pub master: Option<u32>,
    pub vlan: Option<u16>,
    /// The remote end, for a VXLAN entry.
    pub dst: Option<IpAddr>,
    pub vni: Option<u32>,
    pub port: Option<u16>,
    /// "permanent" (the link's own address), "static" (added), or
    /// "learned" (seen in traffic).
    pub state: &'static str,
    /// An entry of the link itself (`self`), not of its bridge.
    pub on_self: bool,
}

/// How `fdb_add` writes an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdbWrite {
    /// A new entry: fails if the MAC has one.
    Add,
    /// One more remote for the MAC.
    Append,
    /// In place of the one the MAC has.
    Replace,
}

/// An entry to add or delete: `bridge fdb add MAC dev DEV ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdbSpec {
    pub mac: [u8; 6],
    pub dev: u32,
    /// In the table of the link's bridge (`master`), or the link's own
    /// (`self`: a VXLAN link's remotes, a bridge's own addresses).
    pub master: bool,
    pub vlan: Option<u16>,
    /// A VXLAN entry's remote end, its network and UDP port.
    pub dst: Option<IpAddr>,
    pub vni: Option<u32>,
    pub port: Option<u16>,
    /// "static" (kept, forwarded to the port), "permanent" (kept; on a
    /// bridge: the bridge's own address) or "dynamic" (ages out).
    pub state: &'static str,
    /// The bridge whose table it is in (not sent: for the ledger).
    pub bridge: Option<u32>,
}

impl FdbSpec {
    /// The words after `bridge fdb add MAC dev DEV`, as `bridge` takes them.
    pub fn words(&self) -> String {
        let sticky = if self.sticky() { " sticky" } else { "" };
        format!("{} {}{sticky}", self.place_words(), self.state)
    }

    /// A static entry in a bridge's table stays on its port whatever the
    /// bridge learns (NTF_STICKY): what an added entry is for.
    fn sticky(&self) -> bool {
        self.master && self.state == "static"
    }

    /// The words that say which entry it is (for `bridge fdb del`).
    pub fn place_words(&self) -> String {
        let mut text = String::new();
        if let Some(d) = self.dst {
            text.push_str(&format!(" dst {d}"));
        }
        if let Some(v) = self.vni {
            text.push_str(&format!(" vni {v}"));
        }
        if let Some(p) = self.port {
            text.push_str(&format!(" port {p}"));
        }
        if let Some(v) = self.vlan {
            text.push_str(&format!(" vlan {v}"));
        }
        text.push_str(if self.master { " master" } else { " self" });
        text
    }

    fn message(&self) -> NeighbourMessage {
        let mut msg = NeighbourMessage::default();
        msg.header.family = AddressFamily::Bridge;
        msg.header.ifindex = self.dev;
        msg.header.flags = match (self.master, self.sticky()) {
            (true, true) => NeighbourFlags::Controller | NeighbourFlags::Sticky,
            (true, false) => NeighbourFlags::Controller,
            _ => NeighbourFlags::Own,
        };
        // As `bridge` sends them: NUD_NOARP marks a static entry.
        let (reachable, noarp, permanent) = (0x02, 0x40, 0x80);
        msg.header.state = NeighbourState::from(match self.state {
            "permanent" => noarp | permanent,
            "dynamic" => reachable,
            _ => noarp | reachable,
        });
        let attrs = &mut msg.attributes;
        attrs.push(NeighbourAttribute::LinkLayerAddress(self.mac.to_vec()));
        if let Some(v) = self.vlan {
            attrs.push(NeighbourAttribute::Vlan(v));
        }
        match self.dst {
            Some(IpAddr::V4(a)) => {
                attrs.push(NeighbourAttribute::Destination(NeighbourAddress::Inet(a)))
            }
            Some(IpAddr::V6(a)) => {
                attrs.push(NeighbourAttribute::Destination(NeighbourAddress::Inet6(a)))
            }
            None => {}
        }
        if let Some(v) = self.vni {
            attrs.push(NeighbourAttribute::Vni(v));
        }
        if let Some(p) = self.port {
            attrs.push(NeighbourAttribute::Port(p));
        }
        msg
    }
}

impl Netlink {
    /// `bridge -n NS fdb add|append|replace ENTRY`: `Append` adds one more
    /// remote to a VXLAN entry (head-end replication), `Replace` takes the
    /// place of an entry the bridge learned.
    pub fn fdb_add(&self, ns: &Ns, entry: &FdbSpec, how: FdbWrite) -> Result<()> {
        let handle = self.handle(ns)?;
        let flags = match how {
            FdbWrite::Add => CREATE,
            FdbWrite::Append => APPEND,
            FdbWrite::Replace => REPLACE,
        };
        let mac = crate::mac::format(&entry.mac);
        self.block_on(request::send(&handle, M::NewNeighbour(entry.message()), flags))
            .map(|_| ())
            .map_err(|errno| {
                let e = Error::errno(format!("add forwarding entry {mac}"), errno).in_netns(ns.name());
                match errno {
                    libc::EEXIST => Error {
                        reason: format!("{mac} already has an entry here"),
                        help: Some("delete it first, or use fdb_append to add a remote to a VXLAN entry".into()),
                        ..e
                    },
                    libc::EAFNOSUPPORT => Error {
                        reason: "the remote is not of the VXLAN link's address family".into(),
                        help: Some("a VXLAN link made with IPv4 addresses (or none) takes IPv4 remotes; one with IPv6 ones, IPv6".into()),
                        ..e
                    },
                    libc::EINVAL => Error {
                        reason: format!("the link does not take this entry for {mac}"),
                        help: Some("a bridge port takes a unicast MAC; a VXLAN link a MAC (or 00:00:00:00:00:00 for all unknown ones) with `dst`".into()),
                        ..e
                    },
                    _ => e,
                }
            })
    }

    /// `bridge -n NS fdb del ENTRY` (with `dst`, only that remote of a
    /// VXLAN entry).
    pub fn fdb_del(&self, ns: &Ns, entry: &FdbSpec) -> Result<()> {
        let handle = self.handle(ns)?;
        let mac = crate::mac::format(&entry.mac);
        self.block_on(request::send(
            &handle,
            M::DelNeighbour(entry.message()),
            CHANGE,
        ))
        .map(|_| ())
        .map_err(|errno| {
            let e =
                Error::errno(format!("delete forwarding entry {mac}"), errno).in_netns(ns.name());
            if errno == libc::ENOENT {
                Error {
                    kind: crate::error::Kind::NotFound,
                    reason: format!("there is no such entry for {mac}"),
                    ..e
                }
            } else {
                e
            }
        })
    }

    /// Every entry in `ns` (`bridge -n NS fdb show`), in the kernel's order.
    pub fn fdb(&self, ns: &Ns) -> Result<Vec<FdbEntry>> {
        let handle = self.handle(ns)?;
        let mut msg = NeighbourMessage::default();
        msg.header.family = AddressFamily::Bridge;
        let replies = self
            .block_on(request::send(&handle, M::GetNeighbour(msg), DUMP))
            .map_err(|e| Error::errno("list the forwarding database", e).in_netns(ns.name()))?;
        Ok(replies.into_iter().filter_map(parse_entry).collect())
    }
}

fn parse_entry(msg: M) -> Option<FdbEntry> {
    let M::NewNeighbour(n) = msg else { return None };
    if n.header.family != AddressFamily::Bridge {
        return None;
    }
    let mut entry = FdbEntry {
        mac: String::new(),
        dev: n.header.ifindex,
        master: None,
        vlan: None,
        dst: None,
        vni: None,
        port: None,
        // A bridge reports one state; a VXLAN link the bits it was given.
        state: match u16::from(n.header.state) {
            s if s & 0x80 != 0 => "permanent",
            s if s & 0x40 != 0 => "static",
            _ => "learned",
        },
        on_self: n.header.flags.contains(NeighbourFlags::Own),
    };
    for attr in n.attributes {
        match attr {
            NeighbourAttribute::LinkLayerAddress(mac) => entry.mac = crate::mac::format(&mac),
            NeighbourAttribute::Controller(m) => entry.master = Some(m),
            NeighbourAttribute::Vlan(v) => entry.vlan = Some(v),
            NeighbourAttribute::Vni(v) => entry.vni = Some(v),
            NeighbourAttribute::Destination(a) => entry.dst = address(a),
            NeighbourAttribute::Port(p) => entry.port = Some(p),
            _ => {}
        }
    }
    Some(entry)
}

/// A VXLAN entry's remote: the kernel gives it in a message of the bridge
/// family, so its length says which kind of address it is.
fn address(a: NeighbourAddress) -> Option<IpAddr> {
    match a {
        NeighbourAddress::Inet(v4) => Some(v4.into()),
        NeighbourAddress::Inet6(v6) => Some(v6.into()),
        NeighbourAddress::Other(bytes) => match bytes.len() {
            4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
            16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
            _ => None,
        },
        _ => None,
    }
}
