//! The live topology, read from the kernel across the host and every named
//! namespace: links with their state and addresses, which veth ends pair
//! up, which links are bridge ports, routes, and the rules of netscript's
//! nftables tables.

use serde_json::{Value, json};

use crate::lab::{Ledger, Object};
use crate::netlink::LinkKind;
use crate::netlink::Netlink;
use crate::ns::Ns;

#[derive(Clone, Debug)]
pub struct LinkView {
    pub name: String,
    pub index: u32,
    pub kind: LinkKind,
    pub up: bool,
    pub state: String,
    pub mtu: u32,
    pub mac: String,
    pub addresses: Vec<String>,
    pub master: Option<String>,
    /// The other end of a veth: (namespace, link name).
    pub peer: Option<(String, String)>,
    /// The link a VLAN or macvlan sits on: (namespace, link name).
    pub parent: Option<(String, String)>,
    /// A root qdisc someone added (a shape, an impairment), as `tc`
    /// would be given it; None for the kernel's default.
    pub qdisc: Option<String>,
    /// A VXLAN's network identifier.
    pub vni: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct RouteView {
    pub dst: String,
    pub gateway: Option<String>,
    pub dev: Option<String>,
}

/// A rule of a netscript table (`inet netscript_LAB`).
#[derive(Clone, Debug)]
pub struct RuleView {
    pub table: String,
    pub chain: String,
    pub rule: String,
    pub packets: u64,
}

#[derive(Clone, Debug)]
pub struct NetnsView {
    pub name: String,
    pub links: Vec<LinkView>,
    pub routes: Vec<RouteView>,
    pub firewall: Vec<RuleView>,
}

#[derive(Clone, Debug)]
pub struct Snapshot {
    pub namespaces: Vec<NetnsView>,
}

/// Read every namespace (host first). With a ledger, only what that lab
/// made: its namespaces whole, and in others its links, their peers and
/// the ports of its bridges.
pub fn snapshot(net: &Netlink, only: Option<&Ledger>) -> Snapshot {
    snapshot_of(net, only, true)
}

/// `snapshot`, without asking for qdiscs (a graph does not draw them).
pub fn snapshot_without_qdiscs(net: &Netlink, only: Option<&Ledger>) -> Snapshot {
    snapshot_of(net, only, false)
}

fn snapshot_of(net: &Netlink, only: Option<&Ledger>, with_qdiscs: bool) -> Snapshot {
    let mut namespaces = Vec::new();
    for ns in Ns::all().unwrap_or_default() {
        let Ok(links) = net.links(&ns) else { continue };
        let all_addrs = net.all_addrs(&ns).unwrap_or_default();
        let qdiscs = if with_qdiscs {
            net.root_qdiscs(&ns).unwrap_or_default()
        } else {
            Vec::new()
        };
        let mut views = Vec::new();
        for l in &links {
            let addresses = all_addrs
                .iter()
                .filter(|(i, _)| *i == l.index)
                .map(|(_, c)| crate::cidr::format(*c))
                .collect();
            let master = l
                .master
                .and_then(|m| links.iter().find(|x| x.index == m))
                .map(|m| m.name.clone());
            let named = |found: crate::error::Result<Option<(Ns, u32)>>| match found {
                Ok(Some((other, index))) => net
                    .link_by_index(&other, index)
                    .ok()
                    .map(|p| (other.name().to_string(), p.name)),
                _ => None,
            };
            let peer = named(net.peer_of(&ns, l));
            let parent = match net.parent_of(&ns, l) {
                Ok(Some((other, index))) if other == ns => links
                    .iter()
                    .find(|p| p.index == index)
                    .map(|p| (ns.name().to_string(), p.name.clone())),
                found => named(found),
            };
            views.push(LinkView {
                name: l.name.clone(),
                index: l.index,
                kind: l.kind.clone(),
                up: l.up,
                state: l.oper.clone(),
                mtu: l.mtu,
                mac: l.mac.clone(),
                addresses,
                master,
                peer,
                parent,
                qdisc: qdiscs
                    .iter()
                    .find(|(i, q)| *i == l.index && q.added)
                    .map(|(_, q)| q.describe()),
                vni: (l.kind == LinkKind::Vxlan)
                    .then(|| vni(net, &ns, l.index))
                    .flatten(),
            });
        }
        let routes = net
            .routes(&ns)
            .unwrap_or_default()
            .into_iter()
            .map(|r| RouteView {
                dst: r.dst.map_or("default".to_string(), crate::cidr::format),
                gateway: r.gateway.map(|g| g.to_string()),
                dev: r
                    .dev
                    .and_then(|i| links.iter().find(|l| l.index == i))
                    .map(|l| l.name.clone()),
            })
            .collect();
        namespaces.push(NetnsView {
            name: ns.name().to_string(),
            links: views,
            routes,
            firewall: firewall_of(&ns),
        });
    }
    let mut snap = Snapshot { namespaces };
    if let Some(ledger) = only {
        snap.keep_lab(ledger);
    }
    snap
}

impl Snapshot {
    fn keep_lab(&mut self, ledger: &Ledger) {
        let lab_ns: Vec<&str> = ledger
            .objects
            .iter()
            .filter_map(|o| match o {
                Object::Netns { name, .. } | Object::Attached { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        let lab_links: Vec<(String, String)> = ledger
            .objects
            .iter()
            .filter_map(|o| match o {
                Object::Link { ns, name, .. } => Some((ns.clone(), name.clone())),
                _ => None,
            })
            .collect();
        // Links elsewhere that belong to the lab: its own, peers of links in
        // its namespaces or of its links, and ports of its bridges.
        let mut wanted: Vec<(String, String)> = lab_links.clone();
        for ns in self
            .namespaces
            .iter()
            .filter(|n| lab_ns.contains(&n.name.as_str()))
        {
            for l in &ns.links {
                if let Some(p) = &l.peer {
                    wanted.push(p.clone());
                }
            }
        }
        for ns in &self.namespaces {
            for l in &ns.links {
                let mine = wanted.contains(&(ns.name.clone(), l.name.clone()));
                if mine && let Some(p) = &l.peer {
                    wanted.push(p.clone());
                }
                if let Some(m) = &l.master
                    && wanted.contains(&(ns.name.clone(), m.clone()))
                {
                    wanted.push((ns.name.clone(), l.name.clone()));
                }
            }
        }
        for ns in &mut self.namespaces {
            if lab_ns.contains(&ns.name.as_str()) {
                continue;
            }
            let name = ns.name.clone();
            ns.links
                .retain(|l| wanted.contains(&(name.clone(), l.name.clone())));
            ns.routes
                .retain(|r| r.dev.as_ref().is_some_and(|d| ns_has(&ns.links, d)));
            let table = crate::lab::ops::table_of(&ledger.name);
            ns.firewall.retain(|r| r.table == table);
        }
        self.namespaces.retain(|n| {
            lab_ns.contains(&n.name.as_str()) || !n.links.is_empty() || !n.firewall.is_empty()
        });
    }

    /// The documented JSON form (docs/show.md).
    pub fn to_json(&self) -> Value {
        json!({
            "namespaces": self.namespaces.iter().map(|ns| json!({
                "name": ns.name,
                "links": ns.links.iter().map(|l| json!({
                    "name": l.name,
                    "index": l.index,
                    "kind": l.kind.as_str(),
                    "up": l.up,
                    "state": l.state,
                    "mtu": l.mtu,
                    "mac": l.mac,
                    "addresses": l.addresses,
                    "master": l.master,
                    "peer": l.peer.as_ref().map(|(n, l)| json!({"netns": n, "link": l})),
                    "parent": l.parent.as_ref().map(|(n, l)| json!({"netns": n, "link": l})),
                    "qdisc": l.qdisc,
                    "vni": l.vni,
                })).collect::<Vec<_>>(),
                "routes": ns.routes.iter().map(|r| json!({"dst": r.dst, "gateway": r.gateway, "dev": r.dev})).collect::<Vec<_>>(),
                "firewall": ns.firewall.iter().map(|r| json!({"table": r.table, "chain": r.chain, "rule": r.rule, "packets": r.packets})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>()
        })
    }

    /// A readable tree: namespaces, their links (bridge ports under their
    /// bridge), peers and addresses, then routes.
    pub fn to_tree(&self) -> String {
        let mut out = String::new();
        for ns in &self.namespaces {
            out.push_str(&format!("{}\n", ns.name));
            // A stacked link is named as `ip` names it: eth0.10@eth0, and
            // with its parent's namespace when that is another one.
            let shown_name = |l: &LinkView| match &l.parent {
                Some((pns, pl)) if *pns == ns.name => format!("{}@{pl}", l.name),
                Some((pns, pl)) => format!("{}@{pns}/{pl}", l.name),
                None => l.name.clone(),
            };
            let width = ns
                .links
                .iter()
                .map(|l| shown_name(l).chars().count())
                .max()
                .unwrap_or(0)
                + 2;
            let line = |l: &LinkView, indent: &str| {
                let state = if l.up { l.state.clone() } else { "down".into() };
                let head = format!("{indent}{}", shown_name(l));
                let mut s = format!("{head:<w$}{:<10}{:<15}", l.kind, state, w = width + 6);
                if !l.addresses.is_empty() {
                    let shown: Vec<&String> = l
                        .addresses
                        .iter()
                        .filter(|a| !crate::cidr::is_link_local_text(a))
                        .collect();
                    s.push_str(
                        &shown
                            .iter()
                            .map(|a| a.as_str())
                            .collect::<Vec<_>>()
                            .join(" "),
                    );
                }
                if let Some((pn, pl)) = &l.peer {
                    s.push_str(&format!("  <-> {pn}/{pl}"));
                }
                if let Some(q) = &l.qdisc {
                    s.push_str(&format!("  [{q}]"));
                }
                s.trim_end().to_string()
            };
            for l in ns.links.iter().filter(|l| l.master.is_none()) {
                out.push_str(&line(l, "  "));
                out.push('\n');
                let ports: Vec<&LinkView> = ns
                    .links
                    .iter()
                    .filter(|p| p.master.as_deref() == Some(&l.name))
                    .collect();
                for (i, p) in ports.iter().enumerate() {
                    let branch = if i + 1 == ports.len() {
                        "  └ "
                    } else {
                        "  ├ "
                    };
                    out.push_str(&line(p, &format!("  {branch}")));
                    out.push('\n');
                }
            }
            for l in ns.links.iter().filter(|l| {
                l.master
                    .as_ref()
                    .is_some_and(|m| !ns.links.iter().any(|x| &x.name == m))
            }) {
                out.push_str(&line(l, "  "));
                out.push('\n');
            }
            for r in ns
                .routes
                .iter()
                .filter(|r| !crate::cidr::is_link_local_text(&r.dst))
            {
                let via = r
                    .gateway
                    .as_ref()
                    .map(|g| format!(" via {g}"))
                    .unwrap_or_default();
                let dev = r
                    .dev
                    .as_ref()
                    .map(|d| format!(" dev {d}"))
                    .unwrap_or_default();
                out.push_str(&format!("  route {}{via}{dev}\n", r.dst));
            }
            for r in &ns.firewall {
                out.push_str(&format!(
                    "  nft {}: {}  ({} packets)\n",
                    r.chain, r.rule, r.packets
                ));
            }
        }
        out
    }
}

/// The rules of every netscript table in `ns`; none where nftables is
/// not installed.
fn firewall_of(ns: &Ns) -> Vec<RuleView> {
    if crate::sys::nft::available().is_err() {
        return Vec::new();
    }
    let Ok(file) = ns.open() else {
        return Vec::new();
    };
    let tables = crate::sys::nft::run(&file, "list tables").unwrap_or_default();
    let mut out = Vec::new();
    for table in tables.lines().filter_map(|l| l.strip_prefix("table ")) {
        // Only names netscript gives (the kernel takes any bytes in a name,
        // and the name goes back into nft text here).
        let words: Vec<&str> = table.split_whitespace().collect();
        let ours = words.len() == 2
            && words[1].strip_prefix("netscript_").is_some_and(|rest| {
                !rest.is_empty()
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
            });
        if !ours {
            continue;
        }
        let Ok(text) = crate::sys::nft::run(&file, &format!("list table {table}")) else {
            continue;
        };
        for r in crate::lab::ops::parse_listing(&text) {
            out.push(RuleView {
                table: table.to_string(),
                chain: r.chain,
                rule: r.rule,
                packets: r.packets,
            });
        }
    }
    out
}

fn ns_has(links: &[LinkView], name: &str) -> bool {
    links.iter().any(|l| l.name == name)
}

/// A VXLAN link's network identifier, as `ip -d link` shows it.
fn vni(net: &Netlink, ns: &Ns, index: u32) -> Option<u32> {
    net.link_details(ns, index)
        .ok()?
        .into_iter()
        .find_map(|(key, value)| match (key, value) {
            ("id", crate::netlink::Detail::Int(id)) => u32::try_from(id).ok(),
            _ => None,
        })
}
