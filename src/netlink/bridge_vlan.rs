//! VLAN membership of bridge ports (and of the bridge itself), for
//! bridges with `vlan_filtering`: `bridge vlan add|del|show`.

use rtnetlink::LinkBridgeVlan;
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::link::{
    AfSpecBridge, BridgeVlanInfoFlags, LinkAttribute, LinkExtentMask, LinkMessage,
};

use super::Netlink;
use super::request::{self, CHANGE, DUMP};
use crate::error::{Error, Result};
use crate::ns::Ns;

/// One VLAN a port belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortVlan {
    /// The port's index (the bridge's own for the bridge itself).
    pub port: u32,
    pub vid: u16,
    /// Untagged frames arriving on the port join this VLAN.
    pub pvid: bool,
    /// Frames of this VLAN leave the port untagged.
    pub untagged: bool,
}

impl Netlink {
    /// `bridge [-n NS] vlan add|del dev PORT vid VID [pvid] [untagged]
    /// [self]`: `on_bridge` for the bridge's own membership (`self`).
    pub fn bridge_vlan(&self, ns: &Ns, v: &PortVlan, on_bridge: bool, add: bool) -> Result<()> {
        let mut flags = BridgeVlanInfoFlags::empty();
        if v.pvid {
            flags |= BridgeVlanInfoFlags::Pvid;
        }
        if v.untagged {
            flags |= BridgeVlanInfoFlags::Untagged;
        }
        let mut b = LinkBridgeVlan::new(v.port).vlan(v.vid, flags);
        if on_bridge {
            b = b.bridge_self();
        }
        let msg = b.build();
        let handle = self.handle(ns)?;
        let request = if add {
            M::SetLink(msg)
        } else {
            M::DelLink(msg)
        };
        self.block_on(request::send(&handle, request, CHANGE))
            .map(|_| ())
            .map_err(|errno| {
                let verb = if add { "add" } else { "remove" };
                let what = self.link_label(ns, v.port);
                let mut e = Error::errno(format!("{verb} VLAN {} on {what}", v.vid), errno)
                    .in_netns(ns.name());
                if errno == libc::EOPNOTSUPP {
                    e.kind = crate::error::Kind::Unsupported;
                    e.reason = "this kernel's bridges do not support VLAN filtering".into();
                    e.help = Some("use a kernel built with CONFIG_BRIDGE_VLAN_FILTERING".into());
                }
                e
            })
    }

    /// Every port's VLANs in `ns` (`bridge -n NS vlan show`).
    pub fn bridge_vlans(&self, ns: &Ns) -> Result<Vec<PortVlan>> {
        let mut msg = LinkMessage::default();
        msg.header.interface_family = AddressFamily::Bridge;
        msg.attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::Brvlan]));
        let handle = self.handle(ns)?;
        let replies = self
            .block_on(request::send(&handle, M::GetLink(msg), DUMP))
            .map_err(|e| Error::errno("list bridge VLANs", e).in_netns(ns.name()))?;
        let mut out = Vec::new();
        for r in replies {
            let M::NewLink(m) = r else { continue };
            for a in m.attributes {
                let LinkAttribute::AfSpecBridge(specs) = a else {
                    continue;
                };
                for s in specs {
                    if let AfSpecBridge::VlanInfo(info) = s {
                        out.push(PortVlan {
                            port: m.header.index,
                            vid: info.vid,
                            pvid: info.flags.contains(BridgeVlanInfoFlags::Pvid),
                            untagged: info.flags.contains(BridgeVlanInfoFlags::Untagged),
                        });
                    }
                }
            }
        }
        Ok(out)
    }
}
