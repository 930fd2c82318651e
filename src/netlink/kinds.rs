//! More link kinds: macvlan.

use std::os::fd::AsRawFd;

use rtnetlink::LinkMacVlan;
use rtnetlink::packet_route::link::{LinkAttribute, MacVlanMode};

use super::{LinkInfo, Netlink};
use crate::error::{Error, Result};
use crate::ns::Ns;

/// Macvlan modes by the names `ip link ... type macvlan mode MODE` takes.
pub fn macvlan_mode(name: &str) -> Result<MacVlanMode> {
    Ok(match name {
        "bridge" => MacVlanMode::Bridge,
        "private" => MacVlanMode::Private,
        "vepa" => MacVlanMode::Vepa,
        "passthru" => MacVlanMode::Passthrough,
        "source" => MacVlanMode::Source,
        other => {
            return Err(Error::invalid(
                format!("use macvlan mode {other:?}"),
                "not a macvlan mode",
            )
            .with_help("the modes are bridge, private, vepa, passthru, source"));
        }
    })
}

impl Netlink {
    /// `ip [-n PARENT_NS] link add link PARENT name NAME [netns NS] type macvlan mode MODE`
    pub fn add_macvlan(
        &self,
        parent_ns: &Ns,
        parent: u32,
        name: &str,
        mode: MacVlanMode,
        target: &Ns,
    ) -> Result<LinkInfo> {
        let action = format!("create macvlan link \"{name}\"");
        super::link::check_ifname(&action, name)?;
        let msg = LinkMacVlan::new(name, parent, mode).build();
        self.create_in(parent_ns, target, msg, &action, name)
    }

    /// Create a link whose lower device is in `parent_ns`, directly inside
    /// `target` (IFLA_NET_NS_FD), so nothing is moved afterwards.
    fn create_in(
        &self,
        parent_ns: &Ns,
        target: &Ns,
        mut msg: rtnetlink::packet_route::link::LinkMessage,
        action: &str,
        name: &str,
    ) -> Result<LinkInfo> {
        let file = target.open()?;
        if target != parent_ns {
            msg.attributes
                .push(LinkAttribute::NetNsFd(file.as_raw_fd()));
        }
        self.send_create(parent_ns, msg, action, name, Some((target, name)))?;
        self.link_by_name(target, name)
    }
}
