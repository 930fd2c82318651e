//! What `ip -d link show` adds for a link of a kind: a VXLAN's network and
//! ends, a VLAN's id, a macvlan's mode, a bridge's options, a VRF's table.
//! Named as the options that make them, so a script can compare.

use std::net::IpAddr;

use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::link::{
    BridgeStpState, InfoBridge, InfoData, InfoMacVlan, InfoVlan, InfoVrf, InfoVxlan, LinkAttribute,
    LinkExtentMask, LinkInfo as Nla, LinkMessage, VlanProtocol,
};

use super::Netlink;
use super::request::{self, GET};
use crate::error::{Error, Result};
use crate::ns::Ns;

/// One value of a link's details.
#[derive(Clone, Debug, PartialEq)]
pub enum Detail {
    Int(i64),
    Bool(bool),
    Text(String),
    /// A range of numbers, such as a VXLAN's source ports.
    Range(u16, u16),
}

impl Netlink {
    /// The kind-specific settings of link `index`, in the order listed.
    pub fn link_details(&self, ns: &Ns, index: u32) -> Result<Vec<(&'static str, Detail)>> {
        let handle = self.handle(ns)?;
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        msg.attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        let replies = self
            .block_on(request::send(&handle, M::GetLink(msg), GET))
            .map_err(|e| Error::errno(format!("read link #{index}"), e).in_netns(ns.name()))?;
        let data = replies.into_iter().find_map(|r| match r {
            M::NewLink(m) => m.attributes.into_iter().find_map(|a| match a {
                LinkAttribute::LinkInfo(infos) => infos.into_iter().find_map(|i| match i {
                    Nla::Data(d) => Some(d),
                    _ => None,
                }),
                _ => None,
            }),
            _ => None,
        });
        Ok(data.map(details).unwrap_or_default())
    }
}

fn details(data: InfoData) -> Vec<(&'static str, Detail)> {
    use Detail::*;
    let int = |n: u64| Int(i64::try_from(n).unwrap_or(i64::MAX));
    let mut out = Vec::new();
    match data {
        InfoData::Vxlan(nlas) => {
            for nla in nlas {
                let ip = |a: IpAddr| {
                    let key = if a.is_multicast() { "group" } else { "remote" };
                    (key, Text(a.to_string()))
                };
                out.push(match nla {
                    InfoVxlan::Id(id) => ("id", int(id.into())),
                    InfoVxlan::Group(a) if !a.is_unspecified() => ip(a.into()),
                    InfoVxlan::Group6(a) if !a.is_unspecified() => ip(a.into()),
                    InfoVxlan::Local(a) if !a.is_unspecified() => ("local", Text(a.to_string())),
                    InfoVxlan::Local6(a) if !a.is_unspecified() => ("local", Text(a.to_string())),
                    InfoVxlan::Port(p) => ("port", int(p.into())),
                    InfoVxlan::PortRange((lo, hi)) if hi != 0 => ("srcport", Range(lo, hi)),
                    InfoVxlan::Ttl(t) => ("ttl", int(t.into())),
                    InfoVxlan::Tos(t) => ("tos", int(t.into())),
                    InfoVxlan::Learning(b) => ("learning", Bool(b)),
                    InfoVxlan::Ageing(s) => ("ageing", int(s.into())),
                    InfoVxlan::Proxy(b) => ("proxy", Bool(b)),
                    InfoVxlan::UDPCsum(b) => ("udpcsum", Bool(b)),
                    _ => continue,
                });
            }
        }
        InfoData::Vlan(nlas) => {
            for nla in nlas {
                out.push(match nla {
                    InfoVlan::Id(id) => ("id", int(id.into())),
                    InfoVlan::Protocol(VlanProtocol::Ieee8021Ad) => {
                        ("protocol", Text("802.1ad".into()))
                    }
                    InfoVlan::Protocol(_) => ("protocol", Text("802.1Q".into())),
                    _ => continue,
                });
            }
        }
        InfoData::MacVlan(nlas) => {
            for nla in nlas {
                if let InfoMacVlan::Mode(mode) = nla {
                    out.push(("mode", Text(mode.to_string())));
                }
            }
        }
        InfoData::Vrf(nlas) => {
            for nla in nlas {
                if let InfoVrf::TableId(t) = nla {
                    out.push(("table", int(t.into())));
                }
            }
        }
        InfoData::Bridge(nlas) => {
            for nla in nlas {
                out.push(match nla {
                    InfoBridge::StpState(s) => ("stp", Bool(s != BridgeStpState::Disabled)),
                    // Hundredths of a second in the kernel, seconds in scripts.
                    InfoBridge::AgeingTime(cs) => ("ageing", int((cs / 100).into())),
                    InfoBridge::VlanFiltering(b) => ("vlan_filtering", Bool(b)),
                    InfoBridge::MulticastSnooping(b) => ("mcast_snooping", Bool(b)),
                    InfoBridge::MulticastQuerier(b) => ("mcast_querier", Bool(b)),
                    _ => continue,
                });
            }
        }
        _ => {}
    }
    out
}
