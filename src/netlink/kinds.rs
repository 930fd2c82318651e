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
        match vx.far() {
            Some(IpAddr::V4(a)) if a.is_multicast() => b = b.group(a),
            Some(IpAddr::V6(a)) if a.is_multicast() => b = b.group6(a),
            Some(IpAddr::V4(a)) => b = b.remote(a),
            Some(IpAddr::V6(a)) => b = b.remote6(a),
            None => {}
        }
        if let Some(dev) = vx.dev {
            b = b.dev(dev);
        }
        let t = &vx.tune;
        if let Some(on) = t.learning {
            b = b.learning(on);
        }
        if let Some(ttl) = t.ttl {
            b = b.ttl(ttl);
        }
        if let Some(tos) = t.tos {
            b = b.tos(tos);
        }
        if let Some((lo, hi)) = t.srcport {
            b = b.port_range(lo, hi);
        }
        if let Some(on) = t.udpcsum {
            b = b.udp_csum(on);
        }
        if let Some(s) = t.ageing {
            b = b.ageing(s);
        }
        if let Some(on) = t.proxy {
            b = b.proxy(on);
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
    /// The other end (a multicast address is taken as the group).
    pub remote: Option<IpAddr>,
    /// The multicast group the ends share.
    pub group: Option<IpAddr>,
    /// The underlay device's index, in the underlay namespace.
    pub dev: Option<u32>,
    /// The UDP destination port.
    pub port: u16,
    /// The settings left to the kernel's defaults when None.
    pub tune: VxlanTune,
}

/// A VXLAN end's settings past its addresses, as `ip link add ... type
/// vxlan` names them.
#[derive(Debug, Clone, Default)]
pub struct VxlanTune {
    /// Learn remote MACs from traffic (the kernel's default: on).
    pub learning: Option<bool>,
    pub ttl: Option<u8>,
    pub tos: Option<u8>,
    /// The UDP source ports, low and high.
    pub srcport: Option<(u16, u16)>,
    pub udpcsum: Option<bool>,
    /// Seconds a learned entry is kept.
    pub ageing: Option<u32>,
    /// Answer ARP and NDP from the forwarding database.
    pub proxy: Option<bool>,
}

impl Vxlan {
    /// The group or the other end, as IFLA_VXLAN_GROUP carries either.
    pub fn far(&self) -> Option<IpAddr> {
        self.group.or(self.remote)
    }

    /// Refuse what the kernel would, with reasons: both ends' families
    /// differ, a group that is not multicast, or without a link to join it.
    pub fn check(&self, action: &str) -> Result<()> {
        let bad = |why: String| Error::invalid(action, why);
        if self.remote.is_some() && self.group.is_some() {
            let why = "give `remote` (one other end) or `group` (multicast), not both";
            return Err(bad(why.into()).at_option("group"));
        }
        if let Some(g) = self.group.filter(|g| !g.is_multicast()) {
            let help = "a group is in 224.0.0.0/4 or ff00::/8; for one other end use `remote`";
            let e = bad(format!("{g} is not a multicast address")).with_help(help);
            return Err(e.at_option("group"));
        }
        if let Some(g) = self
            .far()
            .filter(|g| g.is_multicast() && self.dev.is_none())
        {
            let help = "give `dev`, like #{ group: \"239.1.1.1\", dev: link::get(\"eth0\") }";
            let why = format!("a multicast group ({g}) needs the underlay link that joins it");
            return Err(bad(why).with_help(help));
        }
        if let (Some(l), Some(r)) = (self.local, self.far())
            && l.is_ipv4() != r.is_ipv4()
        {
            let why = format!("`local` {l} and `remote` {r} are not of one family");
            return Err(bad(why).with_help("use two IPv4 or two IPv6 addresses"));
        }
        Ok(())
    }
}

impl VxlanTune {
    /// The `ip link add` words for them: " nolearning ttl 8 ...".
    pub fn words(&self) -> String {
        let flag = |on: Option<bool>, name: &str| match on {
            Some(true) => format!(" {name}"),
            Some(false) => format!(" no{name}"),
            None => String::new(),
        };
        let mut text = flag(self.learning, "learning");
        if let Some(t) = self.ttl {
            text.push_str(&format!(" ttl {t}"));
        }
        if let Some(t) = self.tos {
            // `ip` reads a TOS as hexadecimal.
            text.push_str(&format!(" tos 0x{t:02x}"));
        }
        if let Some((lo, hi)) = self.srcport {
            text.push_str(&format!(" srcport {lo} {hi}"));
        }
        text.push_str(&flag(self.udpcsum, "udpcsum"));
        if let Some(s) = self.ageing {
            text.push_str(&format!(" ageing {s}"));
        }
        text + flag(self.proxy, "proxy").as_str()
    }
}
