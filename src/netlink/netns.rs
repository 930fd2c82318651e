//! Namespaces: the `ip netns` verbs that need netlink.

use std::os::fd::AsRawFd;

use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::nsid::{NsidAttribute, NsidMessage};

use super::Netlink;
use super::request::{self, GET};
use crate::error::{Error, Result};
use crate::ns::Ns;
use crate::sys::netns_fs;

/// Loopback is always index 1 in a fresh namespace.
const LOOPBACK_INDEX: u32 = 1;

impl Netlink {
    /// `ip netns add NAME; ip -n NAME link set lo up`
    pub fn add_netns(&self, name: &str) -> Result<()> {
        self.create_with_conn(name)?;
        let ns = Ns::Named(name.to_string());
        if let Err(e) = self.set_up(&ns, LOOPBACK_INDEX, true) {
            let _ = self.del_netns(name);
            return Err(e);
        }
        Ok(())
    }

    /// `ip netns del NAME`. Veths with an end elsewhere are deleted first,
    /// so their other ends are gone when this returns instead of whenever
    /// the kernel frees the namespace.
    pub fn del_netns(&self, name: &str) -> Result<()> {
        netns_fs::validate_name(name)?;
        let ns = Ns::Named(name.to_string());
        if let Ok(links) = self.links(&ns) {
            for l in links
                .iter()
                .filter(|l| l.kind == "veth" && l.link_netnsid.is_some())
            {
                let _ = self.del_link(&ns, l.index);
            }
        }
        self.forget(&ns);
        netns_fs::delete(name)
    }

    /// The id namespace `target` has inside namespace `from` (what
    /// IFLA_LINK_NETNSID refers to), if one was assigned.
    pub fn nsid_of(&self, from: &Ns, target: &Ns) -> Result<Option<i32>> {
        let file = target.open()?;
        let handle = self.handle(from)?;
        let mut msg = NsidMessage::default();
        msg.attributes
            .push(NsidAttribute::Fd(file.as_raw_fd() as u32));
        let replies = self
            .block_on(request::send(&handle, M::GetNsId(msg), GET))
            .map_err(|e| {
                Error::errno(
                    format!("look up the id of namespace \"{}\"", target.name()),
                    e,
                )
                .in_netns(from.name())
            })?;
        for reply in replies {
            if let M::NewNsId(m) = reply {
                for attr in m.attributes {
                    if let NsidAttribute::Id(id) = attr {
                        return Ok((id >= 0).then_some(id));
                    }
                }
            }
        }
        Ok(None)
    }
}
