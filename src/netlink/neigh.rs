//! Neighbour (ARP/NDP) entries: the `ip neigh` verbs netscript needs.

use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::neighbour::{NeighbourAttribute, NeighbourMessage, NeighbourState};

use super::Netlink;
use super::request::{self, CHANGE, DUMP};
use crate::error::{Error, Result};
use crate::ns::Ns;

impl Netlink {
    /// `ip -n NS neigh flush all`: drop the learned entries (not the
    /// permanent ones). Returns how many went.
    pub fn neigh_flush(&self, ns: &Ns) -> Result<usize> {
        let handle = self.handle(ns)?;
        let replies = self
            .block_on(request::send(
                &handle,
                M::GetNeighbour(NeighbourMessage::default()),
                DUMP,
            ))
            .map_err(|e| Error::errno("list neighbours", e).in_netns(ns.name()))?;
        let mut flushed = 0;
        for reply in replies {
            let M::NewNeighbour(n) = reply else { continue };
            if matches!(
                n.header.state,
                NeighbourState::Permanent | NeighbourState::Noarp
            ) {
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
