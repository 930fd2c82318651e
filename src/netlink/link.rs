//! Links: the `ip link` verbs.

use std::os::fd::AsRawFd;

use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::link::{InfoData, InfoKind, InfoVeth, LinkAttribute, LinkMessage};
use rtnetlink::{LinkMessageBuilder, LinkUnspec};

use super::link_info::{check_ifname, parse_link};
use super::request::{self, CHANGE, CREATE, CREATE_ECHO};
use super::{LinkInfo, Netlink};
use crate::error::{Error, Kind, Result};
use crate::ns::Ns;

impl Netlink {
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
        let kind = kind_of(&msg);
        let replies = match self.block_on(request::send(&handle, M::NewLink(msg), flags)) {
            Ok(replies) => replies,
            Err(errno) => {
                return Err(self.create_error(ns, (action, &kind), name, peer, errno));
            }
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

    /// The error of a RTM_NEWLINK, saying which name is taken on EEXIST
    /// and what provides a kind the kernel lacks.
    fn create_error(
        &self,
        ns: &Ns,
        (action, kind): (&str, &str),
        name: &str,
        peer: Option<(&Ns, &str)>,
        errno: i32,
    ) -> Error {
        let mut err = Error::errno(action, errno).in_netns(ns.name());
        if errno == libc::EOPNOTSUPP {
            err.kind = Kind::Unsupported;
            err.reason = format!("this kernel has no {kind} links");
            err.help = Some(match provider(kind) {
                Some((module, option)) => format!(
                    "load its module (modprobe {module}), or use a kernel built with {option}"
                ),
                None => {
                    "load the kernel module for it (modprobe), or use a kernel built with it".into()
                }
            });
        }
        if errno == libc::EEXIST {
            let taken = match peer {
                Some((peer_ns, peer)) if !self.has_link(ns, name) => {
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

    /// `ip link set dev X address MAC`
    pub fn set_mac(&self, ns: &Ns, index: u32, mac: [u8; 6]) -> Result<()> {
        let text = crate::mac::format(&mac);
        let msg = LinkUnspec::new_with_index(index)
            .address(mac.to_vec())
            .build();
        self.set_link(
            ns,
            index,
            msg,
            &format!("set the MAC address of {{}} to {text}"),
        )
    }

    /// `ip link set dev X alias TEXT` ("" removes it).
    pub fn set_alias(&self, ns: &Ns, index: u32, alias: &str) -> Result<()> {
        // Its bytes without a NUL, as `ip` sends them: the kernel counts a
        // NUL in (and would refuse a 255-byte alias for it).
        const IFLA_IFALIAS: u16 = 20;
        let text = rtnetlink::packet_core::DefaultNla::new(IFLA_IFALIAS, alias.as_bytes().to_vec());
        let msg = LinkUnspec::new_with_index(index)
            .append_extra_attribute(LinkAttribute::Other(text))
            .build();
        self.set_link(ns, index, msg, "set the alias of {}")
    }

    /// `ip link set dev X txqueuelen N`
    pub fn set_txqlen(&self, ns: &Ns, index: u32, len: u32) -> Result<()> {
        let msg = LinkUnspec::new_with_index(index).txqueuelen(len).build();
        self.set_link(ns, index, msg, &format!("set txqueuelen {len} on {{}}"))
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
                let e = self.link_error(ns, index, &verb, errno);
                if errno == libc::EXFULL {
                    return crate::error::Error {
                        reason: "the bridge has 1023 ports, the most the kernel allows a bridge"
                            .into(),
                        help: Some(
                            "spread the hosts over several bridges joined in a tree \
                             (topo::tree), or route between smaller segments"
                                .into(),
                        ),
                        ..e
                    };
                }
                e
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

    pub(super) fn link_error(&self, ns: &Ns, index: u32, verb: &str, errno: i32) -> Error {
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
}

/// The kind of link a RTM_NEWLINK asks for ("dummy", "vlan", ...).
fn kind_of(msg: &LinkMessage) -> String {
    msg.attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|i| match i {
                rtnetlink::packet_route::link::LinkInfo::Kind(k) => Some(k.to_string()),
                _ => None,
            }),
            _ => None,
        })
        .unwrap_or_default()
}

/// The module and kernel option that provide a kind of link.
fn provider(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        "dummy" => ("dummy", "CONFIG_DUMMY"),
        "vlan" => ("8021q", "CONFIG_VLAN_8021Q"),
        "vrf" => ("vrf", "CONFIG_NET_VRF"),
        "macvlan" => ("macvlan", "CONFIG_MACVLAN"),
        "vxlan" => ("vxlan", "CONFIG_VXLAN"),
        "veth" => ("veth", "CONFIG_VETH"),
        "bridge" => ("bridge", "CONFIG_BRIDGE"),
        _ => return None,
    })
}
