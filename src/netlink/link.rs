//! Links: the `ip link` verbs.

use std::os::fd::AsRawFd;

use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::link::{
    BridgeStpState, InfoBridge, InfoData, InfoKind, InfoVeth, LinkAttribute, LinkExtentMask,
    LinkFlags, LinkInfo as Nla, LinkLayerType, LinkMessage,
};
use rtnetlink::{LinkMessageBuilder, LinkUnspec};

use super::request::{self, CHANGE, CREATE, CREATE_ECHO, DUMP, GET};
use super::{LinkInfo, LinkKind, Netlink};
use crate::error::{Error, Kind, Result};
use crate::ns::Ns;

impl Netlink {
    /// `ip -n NS link show NAME`
    pub fn link_by_name(&self, ns: &Ns, name: &str) -> Result<LinkInfo> {
        let action = format!("find link \"{name}\"");
        check_ifname(&action, name).map_err(|e| e.in_netns(ns.name()))?;
        self.wait_dying();
        let mut msg = brief();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        match self.get_link(ns, msg) {
            Ok(info) => Ok(info),
            Err(errno) if errno == libc::ENODEV || errno == libc::ENOENT => {
                let err = Error::not_found(format!("find link \"{name}\""), "no such link")
                    .in_netns(ns.name())
                    .about(name);
                Err(self.hint_where_link_is(err, ns, name))
            }
            Err(errno) => {
                Err(Error::errno(format!("find link \"{name}\""), errno).in_netns(ns.name()))
            }
        }
    }

    /// `ip -n NS link show` of one index. A missing index means the link was
    /// deleted or moved away behind this handle's back.
    pub fn link_by_index(&self, ns: &Ns, index: u32) -> Result<LinkInfo> {
        let mut msg = brief();
        msg.header.index = index;
        self.get_link(ns, msg).map_err(|errno| {
            let action = format!("find link #{index}");
            if errno == libc::ENODEV && ns.open().is_err() {
                Error::not_found(action, "the link no longer exists: its namespace was deleted")
            } else if errno == libc::ENODEV {
                Error::not_found(action, "the link no longer exists (deleted, or moved to another namespace outside this handle)")
                    .in_netns(ns.name())
            } else {
                Error::errno(action, errno).in_netns(ns.name())
            }
        })
    }

    fn get_link(&self, ns: &Ns, msg: LinkMessage) -> std::result::Result<LinkInfo, i32> {
        let handle = self.handle(ns).map_err(|e| match (e.errno, e.kind) {
            (Some(errno), _) => errno,
            (None, crate::error::Kind::NotFound) => libc::ENODEV,
            (None, _) => libc::EIO,
        })?;
        let replies = self.block_on(request::send(&handle, M::GetLink(msg), GET))?;
        replies.into_iter().find_map(parse_link).ok_or(libc::ENODEV)
    }

    /// `ip -n NS link show`
    pub fn links(&self, ns: &Ns) -> Result<Vec<LinkInfo>> {
        self.wait_dying();
        self.dump_links(ns)
    }

    /// `links` without waiting for dying links first, and without counters
    /// (which nothing here reads, and which are most of what the kernel
    /// would send).
    pub(super) fn dump_links(&self, ns: &Ns) -> Result<Vec<LinkInfo>> {
        let handle = self.handle(ns)?;
        let replies = self
            .block_on(request::send(&handle, M::GetLink(brief()), DUMP))
            .map_err(|e| Error::errno("list links", e).in_netns(ns.name()))?;
        Ok(replies.into_iter().filter_map(parse_link).collect())
    }

    /// `ip -n NS link add NAME type veth peer name PEER netns PEER_NS`: both
    /// ends are created where they belong, so nothing has to be moved.
    pub fn add_veth(&self, ns: &Ns, name: &str, peer_ns: &Ns, peer: &str) -> Result<LinkInfo> {
        let action = format!("create veth pair \"{name}\"/\"{peer}\"");
        check_ifname(&action, name)?;
        check_ifname(&action, peer)?;
        if name == peer && ns == peer_ns {
            return Err(Error::invalid(
                action,
                "both ends have the same name in the same namespace",
            )
            .with_help("give the peer another name, or create it in another namespace"));
        }
        let peer_file = peer_ns.open()?;
        let mut peer_msg = LinkMessageBuilder::<LinkUnspec>::new()
            .name(peer.to_string())
            .build();
        if peer_ns != ns {
            peer_msg
                .attributes
                .push(LinkAttribute::NetNsFd(peer_file.as_raw_fd()));
        }
        let msg = LinkMessageBuilder::<LinkUnspec>::new_with_info_kind(InfoKind::Veth)
            .name(name.to_string())
            .set_info_data(InfoData::Veth(InfoVeth::Peer(peer_msg)))
            .build();
        let info = self.create_link(ns, msg, &action, name, Some((peer_ns, peer)))?;
        if peer_ns != ns {
            self.learn_veth_nsids(ns, &info, peer_ns);
        }
        Ok(info)
    }

    /// Both ends of a new cross-namespace veth name the other's namespace
    /// by an id: remember the pair now, so `.peer` never has to search.
    /// The peer is read back rather than asked for with RTM_GETNSID: the
    /// kernel assigns an id only when it writes one into a message, so
    /// right after the creation the peer's side has none yet.
    fn learn_veth_nsids(&self, ns: &Ns, info: &LinkInfo, peer_ns: &Ns) {
        if let Some(id) = info.link_netnsid {
            self.remember_nsid(ns, id, peer_ns);
        }
        if let Some(peer) = info.link
            && let Ok(peer_info) = self.link_by_index(peer_ns, peer)
            && let Some(id) = peer_info.link_netnsid
        {
            self.remember_nsid(peer_ns, id, ns);
        }
    }

    /// `ip -n NS link add name NAME type bridge [OPTIONS]` (created down,
    /// like `ip`).
    pub fn add_bridge(&self, ns: &Ns, name: &str, opts: &BridgeOptions) -> Result<LinkInfo> {
        let action = format!("create bridge \"{name}\"");
        check_ifname(&action, name)?;
        let data = bridge_data(opts);
        let mut b = LinkMessageBuilder::<LinkUnspec>::new_with_info_kind(InfoKind::Bridge)
            .name(name.to_string());
        if !data.is_empty() {
            b = b.set_info_data(InfoData::Bridge(data));
        }
        self.create_link(ns, b.build(), &action, name, None)
            .map_err(|e| no_vlan_filtering(e, opts))
    }

    /// `ip link set dev BR type bridge ...`: change a bridge's options.
    pub fn set_bridge(&self, ns: &Ns, index: u32, opts: &BridgeOptions) -> Result<()> {
        let info = self.link_by_index(ns, index)?;
        if info.kind != LinkKind::Bridge {
            return Err(Error::invalid(
                format!("set bridge options on \"{}\"", info.name),
                format!("it is a {} link, not a bridge", info.kind),
            )
            .in_netns(ns.name()));
        }
        let msg = LinkMessageBuilder::<LinkUnspec>::new_with_info_kind(InfoKind::Bridge)
            .index(index)
            .set_info_data(InfoData::Bridge(bridge_data(opts)))
            .build();
        // RTM_SETLINK ignores IFLA_LINKINFO: a kind's options change through
        // RTM_NEWLINK on the existing index, without NLM_F_CREATE.
        let handle = self.handle(ns)?;
        self.block_on(request::send(&handle, M::NewLink(msg), CHANGE))
            .map(|_| ())
            .map_err(|errno| self.link_error(ns, index, "set bridge options on {}", errno))
            .map_err(|e| no_vlan_filtering(e, opts))
    }

    /// Create a link in `ns` itself, and read it back.
    pub(super) fn create_link(
        &self,
        ns: &Ns,
        msg: LinkMessage,
        action: &str,
        name: &str,
        peer: Option<(&Ns, &str)>,
    ) -> Result<LinkInfo> {
        self.send_create(ns, msg, action, name, peer, ns)
    }

    /// Send a RTM_NEWLINK on the socket of `ns`; on EEXIST say which name is
    /// taken (`name` in `ns`, else `peer`'s name in its namespace). Returns
    /// the new link `name`, made in `made_in`: as the kernel echoed it, or
    /// else read back from there.
    ///
    /// The echo is asked for only when the link is made in `ns` itself: the
    /// kernel sends it from the link's namespace to the requester's port
    /// number, which in another namespace is some other socket's. (It is
    /// built before a master is applied: a create that names a master would
    /// have to read the link back instead.)
    pub(super) fn send_create(
        &self,
        ns: &Ns,
        msg: LinkMessage,
        action: &str,
        name: &str,
        peer: Option<(&Ns, &str)>,
        made_in: &Ns,
    ) -> Result<LinkInfo> {
        self.wait_dying();
        let handle = self.handle(ns)?;
        let elsewhere = msg.attributes.iter().any(|a| {
            matches!(
                a,
                LinkAttribute::NetNsFd(_)
                    | LinkAttribute::NetNsPid(_)
                    | LinkAttribute::IfNetnsId(_)
                    | LinkAttribute::LinkNetNsId(_)
            )
        });
        let flags = if elsewhere { CREATE } else { CREATE_ECHO };
        let replies = match self.block_on(request::send(&handle, M::NewLink(msg), flags)) {
            Ok(replies) => replies,
            Err(errno) => return Err(self.create_error(ns, action, name, peer, errno)),
        };
        match replies
            .into_iter()
            .filter_map(parse_link)
            .find(|l| l.name == name)
        {
            Some(echoed) => Ok(echoed),
            None => self.link_by_name(made_in, name),
        }
    }

    /// The error of a RTM_NEWLINK, saying which name is taken on EEXIST.
    fn create_error(
        &self,
        ns: &Ns,
        action: &str,
        name: &str,
        peer: Option<(&Ns, &str)>,
        errno: i32,
    ) -> Error {
        let mut err = Error::errno(action, errno).in_netns(ns.name());
        if errno == libc::EOPNOTSUPP {
            err.reason = "this kernel does not support links of this kind".into();
            err.help = Some(
                "load the kernel module for it (modprobe), or use a kernel built with it".into(),
            );
        }
        if errno == libc::EEXIST {
            let taken = match peer {
                Some((peer_ns, peer)) if self.link_by_name(ns, name).is_err() => {
                    err = err.about(peer);
                    format!(
                        "\"{peer}\" already exists in namespace \"{}\"",
                        peer_ns.name()
                    )
                }
                _ => {
                    err = err.about(name);
                    format!("\"{name}\" already exists in namespace \"{}\"", ns.name())
                }
            };
            err.reason = format!("a link named {taken}");
            err.help = Some("pick another name, or delete the existing link first".into());
        }
        err
    }

    /// `ip link set dev X up|down`
    pub fn set_up(&self, ns: &Ns, index: u32, up: bool) -> Result<()> {
        let b = LinkUnspec::new_with_index(index);
        let msg = if up { b.up() } else { b.down() }.build();
        self.set_link(
            ns,
            index,
            msg,
            if up { "bring {} up" } else { "bring {} down" },
        )
    }

    /// `ip link set dev X name NEW`
    pub fn rename(&self, ns: &Ns, index: u32, new: &str) -> Result<()> {
        self.wait_dying();
        check_ifname(&format!("rename a link to \"{new}\""), new)?;
        let msg = LinkUnspec::new_with_index(index)
            .name(new.to_string())
            .build();
        self.set_link(ns, index, msg, &format!("rename {{}} to \"{new}\""))
            .map_err(|e| {
                if e.errno == Some(libc::EEXIST) {
                    Error {
                        reason: format!("a link named \"{new}\" already exists"),
                        ..e
                    }
                    .about(new)
                } else {
                    e
                }
            })
    }

    /// `ip link set dev X mtu N`
    pub fn set_mtu(&self, ns: &Ns, index: u32, mtu: u32) -> Result<()> {
        let msg = LinkUnspec::new_with_index(index).mtu(mtu).build();
        self.set_link(ns, index, msg, &format!("set mtu {mtu} on {{}}"))
    }

    /// `ip link set dev X master BRIDGE`, or `nomaster` with `None`.
    pub fn set_master(&self, ns: &Ns, index: u32, master: Option<u32>) -> Result<()> {
        let b = LinkUnspec::new_with_index(index);
        let msg = match master {
            Some(m) => b.controller(m),
            None => b.nocontroller(),
        }
        .build();
        let handle = self.handle(ns)?;
        self.block_on(request::send(&handle, M::SetLink(msg), CHANGE))
            .map(|_| ())
            .map_err(|errno| {
                // Named only on failure: a lookup per success would cost a
                // round trip on every port added.
                let verb = match master {
                    Some(m) => format!("add {{}} to {}", self.link_label(ns, m)),
                    None => "release {} from its bridge".to_string(),
                };
                self.link_error(ns, index, &verb, errno)
            })
    }

    /// `ip link set dev X netns TARGET`. Returns the link as it is now seen
    /// in the target namespace (its index may have changed).
    pub fn set_netns(&self, ns: &Ns, index: u32, target: &Ns) -> Result<LinkInfo> {
        let before = self.link_by_index(ns, index)?;
        if ns == target {
            return Ok(before);
        }
        let file = target.open()?;
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        msg.attributes
            .push(LinkAttribute::NetNsFd(file.as_raw_fd()));
        self.set_link(
            ns,
            index,
            msg,
            &format!("move {{}} to namespace \"{}\"", target.name()),
        )
        .map_err(|e| {
            if e.errno == Some(libc::EEXIST) {
                Error {
                    reason: format!(
                        "a link named \"{}\" already exists in namespace \"{}\"",
                        before.name,
                        target.name()
                    ),
                    help: Some("rename one of them first".into()),
                    ..e
                }
            } else {
                e
            }
        })?;
        self.link_by_name(target, &before.name)
    }

    /// `ip link set dev X type bridge mcast_snooping 0`. Teardown does this
    /// to a bridge it is about to delete: without snooping the kernel drops
    /// each port without revisiting the multicast state of every other
    /// port (measured: about 12% faster for 1000 ports).
    pub fn stop_snooping(&self, ns: &Ns, index: u32) -> Result<()> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        msg.attributes.push(LinkAttribute::LinkInfo(vec![
            Nla::Kind(InfoKind::Bridge),
            Nla::Data(InfoData::Bridge(vec![InfoBridge::MulticastSnooping(false)])),
        ]));
        let handle = self.handle(ns)?;
        self.block_on(request::send(&handle, M::NewLink(msg), CHANGE))
            .map(|_| ())
            .map_err(|errno| self.link_error(ns, index, "stop snooping on {}", errno))
    }

    /// `ip link del dev X`
    pub fn del_link(&self, ns: &Ns, index: u32) -> Result<()> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        let handle = self.handle(ns)?;
        self.block_on(request::send(&handle, M::DelLink(msg), CHANGE))
            .map(|_| ())
            .map_err(|errno| self.link_error(ns, index, "delete {}", errno))
    }

    fn set_link(&self, ns: &Ns, index: u32, msg: LinkMessage, verb: &str) -> Result<()> {
        let handle = self.handle(ns)?;
        self.block_on(request::send(&handle, M::SetLink(msg), CHANGE))
            .map(|_| ())
            .map_err(|errno| self.link_error(ns, index, verb, errno))
    }

    fn link_error(&self, ns: &Ns, index: u32, verb: &str, errno: i32) -> Error {
        let what = self.link_label(ns, index);
        let mut err = Error::errno(verb.replace("{}", &what), errno).in_netns(ns.name());
        if errno == libc::ENODEV {
            err.reason = "the link no longer exists".into();
        }
        if errno == libc::EOPNOTSUPP && verb.starts_with("add {} to") {
            err.reason = "the master is not a bridge (or cannot take this kind of link)".into();
            err.help = Some("give set_master a bridge made with bridge::add".into());
        }
        err
    }

    /// Read a link back, which makes the kernel deliver its pending
    /// carrier/operstate events now instead of in the next linkwatch batch
    /// (up to a second later), so a bridge port forwards at once.
    pub fn settle(&self, ns: &Ns, index: u32) {
        let _ = self.link_by_index(ns, index);
    }

    /// Where the other end of a veth lives: its namespace and index there.
    pub fn peer_of(&self, ns: &Ns, info: &LinkInfo) -> Result<Option<(Ns, u32)>> {
        if info.kind != LinkKind::Veth {
            return Ok(None);
        }
        self.linked(ns, info, "find the peer of veth")
    }

    /// The link a stacked link sits on (a VLAN's, a macvlan's: IFLA_LINK),
    /// as (namespace, index), which may be in another namespace; None for
    /// a link on nothing, and for veths (see `peer_of`).
    pub fn parent_of(&self, ns: &Ns, info: &LinkInfo) -> Result<Option<(Ns, u32)>> {
        // A link in another namespace may have its parent's index.
        if info.kind == LinkKind::Veth
            || (info.link == Some(info.index) && info.link_netnsid.is_none())
        {
            return Ok(None);
        }
        self.linked(ns, info, "find the parent of")
    }

    /// Where IFLA_LINK and IFLA_LINK_NETNSID of `info` point.
    fn linked(&self, ns: &Ns, info: &LinkInfo, action: &str) -> Result<Option<(Ns, u32)>> {
        let Some(index) = info.link else {
            return Ok(None);
        };
        let Some(nsid) = info.link_netnsid else {
            return Ok(Some((ns.clone(), index)));
        };
        match self.ns_with_nsid(ns, nsid)? {
            Some(other) => Ok(Some((other, index))),
            None => Err(Error::not_found(
                format!("{action} \"{}\"", info.name),
                "its namespace has no name under /run/netns",
            )
            .in_netns(ns.name())),
        }
    }

    fn hint_where_link_is(&self, err: Error, missing_in: &Ns, name: &str) -> Error {
        let mut found = Vec::new();
        for ns in Ns::all().unwrap_or_default() {
            if &ns == missing_in {
                continue;
            }
            let mut msg = LinkMessage::default();
            msg.attributes.push(LinkAttribute::IfName(name.to_string()));
            if self.get_link(&ns, msg).is_ok() {
                found.push(format!("\"{}\"", ns.name()));
            }
        }
        if found.is_empty() {
            return err.with_help("list the links there with ns.links()");
        }
        let first = found[0].trim_matches('"').to_string();
        let access = if first == "host" {
            format!("link::get(\"{name}\")")
        } else {
            format!("netns::get(\"{first}\").link(\"{name}\")")
        };
        err.with_help(format!(
            "a link named \"{name}\" exists in namespace {}: use {access}",
            found.join(", ")
        ))
    }
}

/// Interface names follow the kernel's rules (IFNAMSIZ, no '/' or spaces).
pub(super) fn check_ifname(action: &str, name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "an interface name cannot be empty"
    } else if name.len() > 15 {
        "an interface name is at most 15 bytes (IFNAMSIZ)"
    } else if name == "."
        || name == ".."
        || name
            .chars()
            .any(|c| c == '/' || c == ':' || c == '%' || c.is_whitespace() || c.is_control())
    {
        "an interface name cannot contain '/', ':', '%', spaces or control characters, or be \".\" or \"..\""
    } else {
        return Ok(());
    };
    Err(Error::new(Kind::Invalid, action, format!("\"{name}\": {reason}")).about(name))
}

/// A RTM_GETLINK request that asks the kernel to leave out the counters.
fn brief() -> LinkMessage {
    let mut msg = LinkMessage::default();
    msg.attributes
        .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
    msg
}

fn parse_link(msg: M) -> Option<LinkInfo> {
    let M::NewLink(msg) = msg else { return None };
    // The kind the kernel names, if any (a physical NIC has none).
    let mut named: Option<LinkKind> = None;
    let mut info = LinkInfo {
        index: msg.header.index,
        name: String::new(),
        kind: LinkKind::Device,
        mtu: 0,
        mac: String::new(),
        up: msg.header.flags.contains(LinkFlags::Up),
        carrier: msg.header.flags.contains(LinkFlags::LowerUp),
        oper: "UNKNOWN".into(),
        master: None,
        link: None,
        link_netnsid: None,
    };
    for attr in msg.attributes {
        match attr {
            LinkAttribute::IfName(n) => info.name = n,
            LinkAttribute::Mtu(m) => info.mtu = m,
            LinkAttribute::Address(a) => info.mac = format_mac(&a),
            LinkAttribute::OperState(s) => info.oper = s.to_string().to_uppercase(),
            LinkAttribute::Controller(m) if m != 0 => info.master = Some(m),
            LinkAttribute::Link(l) if l != 0 => info.link = Some(l),
            LinkAttribute::LinkNetNsId(id) if id >= 0 => info.link_netnsid = Some(id),
            LinkAttribute::LinkInfo(infos) => {
                for i in infos {
                    if let Nla::Kind(kind) = i {
                        named = Some(LinkKind::from(kind.to_string()));
                    }
                }
            }
            _ => {}
        }
    }
    info.kind = match named {
        Some(kind) => kind,
        None if msg.header.link_layer_type == LinkLayerType::Loopback => LinkKind::Loopback,
        None => LinkKind::Device,
    };
    Some(info)
}

fn format_mac(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Settings of a new bridge; None leaves the kernel's default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BridgeOptions {
    pub stp: Option<bool>,
    /// How long a learned MAC address is kept, in hundredths of a second.
    pub ageing_cs: Option<u32>,
    pub vlan_filtering: Option<bool>,
    pub mcast_snooping: Option<bool>,
    pub mcast_querier: Option<bool>,
}

/// The IFLA_BR_* attributes for the options that are set.
fn bridge_data(opts: &BridgeOptions) -> Vec<InfoBridge> {
    let mut data = Vec::new();
    if let Some(stp) = opts.stp {
        data.push(InfoBridge::StpState(if stp {
            BridgeStpState::KernelStp
        } else {
            BridgeStpState::Disabled
        }));
    }
    if let Some(cs) = opts.ageing_cs {
        data.push(InfoBridge::AgeingTime(cs));
    }
    if let Some(on) = opts.vlan_filtering {
        data.push(InfoBridge::VlanFiltering(on));
    }
    if let Some(on) = opts.mcast_snooping {
        data.push(InfoBridge::MulticastSnooping(on));
    }
    if let Some(on) = opts.mcast_querier {
        data.push(InfoBridge::MulticastQuerier(on));
    }
    data
}

/// EOPNOTSUPP when VLAN filtering was asked for means this kernel lacks it.
fn no_vlan_filtering(e: Error, opts: &BridgeOptions) -> Error {
    if e.errno == Some(libc::EOPNOTSUPP) && opts.vlan_filtering == Some(true) {
        Error {
            reason: "this kernel's bridges do not support VLAN filtering".into(),
            help: Some("use a kernel built with CONFIG_BRIDGE_VLAN_FILTERING".into()),
            ..e
        }
    } else {
        e
    }
}
