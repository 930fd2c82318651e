//! Reading links: lookups by name and index, dumps, the link a veth's
//! other end (or a VLAN's parent) is, and RTM_NEWLINK messages as LinkInfo.

use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::link::{
    LinkAttribute, LinkExtentMask, LinkFlags, LinkInfo as Nla, LinkLayerType, LinkMessage,
};

use super::request::{self, DUMP, GET};
use super::types::LinkStats;
use super::{LinkInfo, LinkKind, Netlink};
use crate::error::{Error, Kind, Result};
use crate::ns::Ns;

impl Netlink {
    /// `ip -n NS link show NAME`
    pub fn link_by_name(&self, ns: &Ns, name: &str) -> Result<LinkInfo> {
        let action = format!("find link \"{name}\"");
        check_ifname(&action, name).map_err(|e| e.in_netns(ns.name()))?;
        match self.get_named(ns, name) {
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

    /// Whether `ns` has a link called `name`: one lookup, without the
    /// search of every namespace that `link_by_name`'s error hint makes
    /// (a lab checks every new name, so that search would make building
    /// N links cost N² lookups).
    pub fn has_link(&self, ns: &Ns, name: &str) -> bool {
        self.get_named(ns, name).is_ok()
    }

    /// RTM_GETLINK of `name` in `ns` (once dying links have gone).
    fn get_named(&self, ns: &Ns, name: &str) -> std::result::Result<LinkInfo, i32> {
        self.wait_dying();
        let mut msg = brief();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        self.get_link(ns, msg)
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

/// A RTM_GETLINK request that asks the kernel to leave out the counters.
fn brief() -> LinkMessage {
    let mut msg = LinkMessage::default();
    msg.attributes
        .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
    msg
}

pub(super) fn parse_link(msg: M) -> Option<LinkInfo> {
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
        stats: LinkStats::default(),
        alias: String::new(),
        txqlen: 0,
    };
    for attr in msg.attributes {
        match attr {
            LinkAttribute::IfName(n) => info.name = n,
            LinkAttribute::Mtu(m) => info.mtu = m,
            LinkAttribute::IfAlias(a) => info.alias = a,
            LinkAttribute::TxQueueLen(q) => info.txqlen = q,
            LinkAttribute::Address(a) => info.mac = crate::mac::format(&a),
            LinkAttribute::OperState(s) => info.oper = s.to_string().to_uppercase(),
            LinkAttribute::Controller(m) if m != 0 => info.master = Some(m),
            LinkAttribute::Link(l) if l != 0 => info.link = Some(l),
            LinkAttribute::LinkNetNsId(id) if id >= 0 => info.link_netnsid = Some(id),
            LinkAttribute::Stats64(s) => {
                info.stats = LinkStats {
                    rx_packets: s.rx_packets,
                    tx_packets: s.tx_packets,
                    rx_bytes: s.rx_bytes,
                    tx_bytes: s.tx_bytes,
                    rx_errors: s.rx_errors,
                    tx_errors: s.tx_errors,
                    rx_dropped: s.rx_dropped,
                    tx_dropped: s.tx_dropped,
                }
            }
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
