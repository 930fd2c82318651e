//! `lab::static_neighbours`: permanent neighbour entries between the
//! namespaces that share a subnet, made from what the kernel says each
//! link's address and MAC are. No ARP or neighbour discovery runs for
//! them afterwards, and permanent entries are not counted against the
//! kernel's garbage-collection thresholds (gc_thresh3 is shared by every
//! namespace on the machine): a big lab does not fill the machine's table.

use std::collections::HashMap;
use std::net::IpAddr;

use super::Op;
use super::static_fdb::L2Graph;
use crate::cidr;
use crate::error::{Kind, Result};
use crate::netlink::{LinkInfo, LinkKind};
use crate::ns::Ns;

/// One address of one link, with what a neighbour entry needs.
struct Member {
    ns: Ns,
    link: LinkInfo,
    ip: IpAddr,
    mac: [u8; 6],
}

impl Op<'_> {
    /// Permanent entries, both ways, between each of `hubs` (namespace
    /// names) and every other namespace on a subnet it is on; with no hubs,
    /// between every two namespaces on a subnet. With `fdb`, the bridges
    /// between them get static forwarding entries too (`static_fdb.rs`).
    /// The number of neighbour entries added.
    pub fn static_neighbours(&self, hubs: Option<&[String]>, fdb: bool) -> Result<usize> {
        let mut names = crate::sys::netns_fs::list()?;
        names.push("host".into());
        let mut segments: HashMap<(IpAddr, u8), Vec<Member>> = HashMap::new();
        let mut all_links = HashMap::new();
        for name in &names {
            let ns = Ns::named(name);
            let links = all_links.entry(ns.clone()).or_insert(self.net.links(&ns)?);
            for (index, (ip, len)) in self.net.all_addrs(&ns)? {
                let Some(link) = links.iter().find(|l| l.index == index) else {
                    continue;
                };
                let Ok(mac) = crate::mac::parse(&link.mac) else {
                    continue;
                };
                if link.kind == LinkKind::Loopback || ip.is_loopback() || cidr::is_link_local(ip) {
                    continue;
                }
                let member = Member {
                    ns: ns.clone(),
                    link: link.clone(),
                    ip,
                    mac,
                };
                segments
                    .entry((cidr::network_of(ip, len), len))
                    .or_default()
                    .push(member);
            }
        }
        let is_hub = |ns: &Ns| hubs.is_none_or(|h| h.iter().any(|n| n == ns.name()));
        if fdb {
            let graph = L2Graph::new(self, &all_links);
            for members in segments.values() {
                let node = |m: &Member| (m.ns.clone(), m.link.index);
                for hub in members.iter().filter(|m| is_hub(&m.ns)) {
                    let others: Vec<_> = members
                        .iter()
                        .filter(|m| m.ns != hub.ns)
                        .map(node)
                        .collect();
                    self.add_static_fdb(&graph, &graph.entries(&node(hub), &others))?;
                }
            }
        }
        let mut added = 0;
        for members in segments.values() {
            for a in members {
                for b in members {
                    if a.ns == b.ns || !(is_hub(&a.ns) || is_hub(&b.ns)) {
                        continue;
                    }
                    let text = crate::mac::format(&b.mac);
                    match self.neigh_add(&a.ns, &a.link, b.ip, (b.mac, &text)) {
                        Ok(()) => added += 1,
                        // Already there (made before, or by the kernel as
                        // permanent): left as it is.
                        Err(e) if e.kind == Kind::Exists => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(added)
    }
}
