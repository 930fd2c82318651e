//! More link kinds: dummy, 802.1Q/802.1ad VLAN, VRF, macvlan, vxlan.

use std::os::fd::AsRawFd;

use std::net::IpAddr;

use rtnetlink::packet_route::link::{LinkAttribute, MacVlanMode, VlanProtocol};
use rtnetlink::{LinkDummy, LinkMacVlan, LinkVlan, LinkVrf, LinkVxlan};

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
            .with_help("the modes are bridge, private, vepa, passthru, source")
            .about(other));
        }
    })
}

impl Netlink {
    /// `ip -n NS link add NAME type dummy`: created directly in `ns`.
    pub fn add_dummy(&self, ns: &Ns, name: &str) -> Result<LinkInfo> {
        let action = format!("create dummy link \"{name}\"");
        super::link_info::check_ifname(&action, name)?;
        self.create_link(ns, LinkDummy::new(name).build(), &action, name, None)
    }

    /// `ip -n NS link add NAME type vrf table TABLE`: created directly in
    /// `ns`.
    pub fn add_vrf(&self, ns: &Ns, name: &str, table: u32) -> Result<LinkInfo> {
        let action = format!("create vrf link \"{name}\"");
        super::link_info::check_ifname(&action, name)?;
        self.create_link(ns, LinkVrf::new(name, table).build(), &action, name, None)
    }

    /// `ip [-n PARENT_NS] link add link PARENT name NAME [netns NS] type
    /// vlan id ID [protocol 802.1ad]`
    pub fn add_vlan(
        &self,
        parent_ns: &Ns,
        parent: u32,
        name: &str,
        id: u16,
        qinq: bool,
        target: &Ns,
    ) -> Result<LinkInfo> {
        let action = format!("create vlan link \"{name}\"");
        super::link_info::check_ifname(&action, name)?;
        let protocol = if qinq {
            VlanProtocol::Ieee8021Ad
        } else {
            VlanProtocol::Ieee8021Q
        };
        let msg = LinkVlan::new(name, parent, id).protocol(protocol).build();
        self.create_in(parent_ns, target, msg, &action, name)
    }

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
        super::link_info::check_ifname(&action, name)?;
        let msg = LinkMacVlan::new(name, parent, mode).build();
        self.create_in(parent_ns, target, msg, &action, name)
    }

    /// `ip [-n UNDERLAY_NS] link add NAME [netns NS] type vxlan id ID
    /// [local L] [remote R] [dev DEV] dstport PORT`. The UDP socket lives
    /// in `underlay` (where `local`, `remote` and `dev` are), the device
    /// itself is created directly in `target`.
    pub fn add_vxlan(
        &self,
        underlay: &Ns,
        target: &Ns,
        name: &str,
        vx: &Vxlan,
    ) -> Result<LinkInfo> {
        let action = format!("create vxlan link \"{name}\"");
        super::link_info::check_ifname(&action, name)?;
        let mut b = LinkVxlan::new(name, vx.id).port(vx.port);
        match vx.local {
            Some(IpAddr::V4(a)) => b = b.local(a),
            Some(IpAddr::V6(a)) => b = b.local6(a),
            None => {}
        }
        match vx.remote {
            Some(IpAddr::V4(a)) if a.is_multicast() => b = b.group(a),
            Some(IpAddr::V6(a)) if a.is_multicast() => b = b.group6(a),
            Some(IpAddr::V4(a)) => b = b.remote(a),
            Some(IpAddr::V6(a)) => b = b.remote6(a),
            None => {}
        }
        if let Some(dev) = vx.dev {
            b = b.dev(dev);
        }
        self.create_in(underlay, target, b.build(), &action, name)
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
        self.send_create(parent_ns, msg, action, name, Some((target, name)), target)
    }
}

/// The settings of a VXLAN tunnel end.
#[derive(Debug, Clone)]
pub struct Vxlan {
    /// The VXLAN network identifier, 0..2^24.
    pub id: u32,
    /// This end's underlay address.
    pub local: Option<IpAddr>,
    /// The other end (unicast), or a multicast group.
    pub remote: Option<IpAddr>,
    /// The underlay device's index, in the underlay namespace.
    pub dev: Option<u32>,
    /// The UDP destination port.
    pub port: u16,
}
