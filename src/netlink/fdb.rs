//! The forwarding database of bridges and VXLAN links: `bridge fdb show`.

use std::net::IpAddr;

use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};

use super::Netlink;
use super::request::{self, DUMP};
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
    /// "permanent" (the link's own address), "static" (added), or
    /// "learned" (seen in traffic).
    pub state: &'static str,
    /// An entry of the link itself (`self`), not of its bridge.
    pub on_self: bool,
}

impl Netlink {
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
        state: match n.header.state {
            NeighbourState::Permanent => "permanent",
            NeighbourState::Noarp => "static",
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
            NeighbourAttribute::Destination(NeighbourAddress::Inet(a)) => {
                entry.dst = Some(a.into())
            }
            NeighbourAttribute::Destination(NeighbourAddress::Inet6(a)) => {
                entry.dst = Some(a.into())
            }
            _ => {}
        }
    }
    Some(entry)
}
