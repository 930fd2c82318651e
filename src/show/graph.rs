//! The topology as a picture: namespaces as boxes, bridges as round nodes,
//! veth pairs as edges labelled with both interface names and addresses.
//! DOT and Mermaid as text; SVG laid out by netscript itself (no Graphviz
//! needed: `graph_svg.rs`, `layout.rs`). Past `GROUP_ABOVE` alike hosts on
//! a bridge, they are one node ("h1 … h1000 ×1000") unless expanded.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use super::snapshot::{LinkView, Snapshot};
use crate::netlink::LinkKind;

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Netns,
    Bridge,
    /// Alike hosts of one bridge, drawn as one node.
    Group,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub id: String,
    pub label: String,
    pub detail: String,
    pub kind: Kind,
}

#[derive(Clone, Debug)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    /// Interface name and addresses at each end.
    pub from_label: String,
    pub to_label: String,
}

#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

fn global(addrs: &[String]) -> String {
    addrs
        .iter()
        .filter(|a| !crate::cidr::is_link_local_text(a))
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

fn end_label(l: &LinkView) -> String {
    let a = global(&l.addresses);
    if a.is_empty() {
        l.name.clone()
    } else {
        format!("{} {a}", l.name)
    }
}

/// Above this many alike hosts on one bridge (a namespace whose one link
/// is a veth to a port of it), they are drawn as one node, unless asked
/// to expand.
pub const GROUP_ABOVE: usize = 32;

impl Graph {
    /// The picture of `snap`; alike hosts grouped per bridge unless
    /// `expand`.
    pub fn from(snap: &Snapshot, expand: bool) -> Graph {
        let mut b = Builder::default();
        let links: HashMap<(&str, &str), &LinkView> = snap
            .namespaces
            .iter()
            .flat_map(|n| {
                n.links
                    .iter()
                    .map(move |l| ((n.name.as_str(), l.name.as_str()), l))
            })
            .collect();
        let bridge_detail = |ns: &str, br: &str| {
            links
                .get(&(ns, br))
                .map(|b| global(&b.addresses))
                .unwrap_or_default()
        };
        // Where a link attaches: its bridge if it is a port, else its namespace.
        let endpoint = |b: &mut Builder, ns: &str, l: &LinkView| match &l.master {
            Some(br) => {
                let label = if ns == "host" {
                    br.clone()
                } else if let Some(machine) = ns.strip_suffix(":host") {
                    format!("{br} ({machine})")
                } else {
                    format!("{br} ({ns})")
                };
                let detail = bridge_detail(ns, br);
                b.node(format!("br:{ns}/{br}"), label, detail, Kind::Bridge)
            }
            None => b.node(
                format!("ns:{ns}"),
                ns.to_string(),
                String::new(),
                Kind::Netns,
            ),
        };
        let groups = if expand {
            HashMap::new()
        } else {
            alike_hosts(snap, &links)
        };
        for ns in &snap.namespaces {
            // The host is where bridges are, not a box (nor a machine's
            // host in a merged picture: MACHINE:host).
            let host = ns.name == "host" || ns.name.ends_with(":host");
            if !host && !groups.contains_key(ns.name.as_str()) {
                b.node(
                    format!("ns:{}", ns.name),
                    ns.name.clone(),
                    String::new(),
                    Kind::Netns,
                );
            }
        }
        let mut seen: HashSet<(&str, &str)> = HashSet::new();
        let mut grouped: HashMap<usize, Vec<(&LinkView, &LinkView, &str)>> = HashMap::new();
        for ns in &snap.namespaces {
            for l in ns.links.iter().filter(|l| l.kind == LinkKind::Veth) {
                let Some((pns, pname)) = &l.peer else {
                    continue;
                };
                if seen.contains(&(pns.as_str(), pname.as_str())) {
                    continue;
                }
                seen.insert((ns.name.as_str(), l.name.as_str()));
                let Some(peer) = links.get(&(pns.as_str(), pname.as_str())) else {
                    continue;
                };
                // A grouped host's veth joins its group's edge.
                let (host, port, port_ns, host_end) = if groups.contains_key(ns.name.as_str()) {
                    (ns.name.as_str(), *peer, pns.as_str(), l)
                } else if groups.contains_key(pns.as_str()) {
                    (pns.as_str(), l, ns.name.as_str(), *peer)
                } else {
                    let from = endpoint(&mut b, &ns.name, l);
                    let to = endpoint(&mut b, pns, peer);
                    b.g.edges.push(Edge {
                        from,
                        to,
                        from_label: end_label(l),
                        to_label: end_label(peer),
                    });
                    continue;
                };
                let bridge = endpoint(&mut b, port_ns, port);
                grouped
                    .entry(bridge)
                    .or_default()
                    .push((host_end, port, host));
            }
        }
        let mut bridges: Vec<_> = grouped.into_iter().collect();
        bridges.sort_by_key(|(bridge, _)| *bridge);
        for (bridge, mut members) in bridges {
            members.sort_by_key(|a| natural(a.2));
            let (first, last) = (members[0], members[members.len() - 1]);
            let label = format!("{} … {}", first.2, last.2);
            let detail = format!("×{}", members.len());
            let group = b.node(format!("group:{bridge}"), label, detail, Kind::Group);
            let same = |f: &dyn Fn(&LinkView) -> String| {
                let (a, z) = (f(first.0), f(last.0));
                if members.iter().all(|m| f(m.0) == a) {
                    a
                } else {
                    format!("{a} … {z}")
                }
            };
            let from_label = same(&|l: &LinkView| l.name.clone());
            let addrs = same(&|l: &LinkView| global(&l.addresses));
            let from_label = if addrs.trim().is_empty() {
                from_label
            } else {
                format!("{from_label} {addrs}")
            };
            b.g.edges.push(Edge {
                from: group,
                to: bridge,
                from_label,
                to_label: format!("{} … {}", first.1.name, last.1.name),
            });
        }
        // In a picture of several machines (namespaces named MACHINE:NS,
        // `graph --merge`), the VXLAN ends of one network on different
        // machines are joined, as the kernel joins them.
        let mut tunnels: Vec<(u32, &str, usize, &LinkView)> = Vec::new();
        for ns in &snap.namespaces {
            let Some((machine, _)) = ns.name.split_once(':') else {
                continue;
            };
            for l in &ns.links {
                if let Some(vni) = l.vni {
                    tunnels.push((vni, machine, endpoint(&mut b, &ns.name, l), l));
                }
            }
        }
        for (i, a) in tunnels.iter().enumerate() {
            for z in tunnels[i + 1..].iter().filter(|z| z.0 == a.0 && z.1 != a.1) {
                b.g.edges.push(Edge {
                    from: a.2,
                    to: z.2,
                    from_label: format!("{} VNI {}", a.3.name, a.0),
                    to_label: z.3.name.clone(),
                });
            }
        }
        b.g
    }

    pub fn dot(&self) -> String {
        let mut out = String::from(
            "graph lab {\n  graph [overlap=false, splines=true];\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
        );
        for (i, n) in self.nodes.iter().enumerate() {
            let shape = match n.kind {
                Kind::Bridge => "ellipse",
                Kind::Netns => "box",
                Kind::Group => "box3d",
            };
            let label = if n.detail.is_empty() {
                escape(&n.label)
            } else {
                format!("{}\\n{}", escape(&n.label), escape(&n.detail))
            };
            let _ = writeln!(out, "  n{i} [shape={shape}, label=\"{label}\"];");
        }
        for e in &self.edges {
            let _ = writeln!(
                out,
                "  n{} -- n{} [taillabel=\"{}\", headlabel=\"{}\"];",
                e.from,
                e.to,
                escape(&e.from_label),
                escape(&e.to_label)
            );
        }
        out.push_str("}\n");
        out
    }

    pub fn mermaid(&self) -> String {
        let mut out = String::from("graph LR\n");
        for (i, n) in self.nodes.iter().enumerate() {
            let label = if n.detail.is_empty() {
                n.label.clone()
            } else {
                format!("{}<br>{}", n.label, n.detail)
            };
            let label = label.replace('"', "'");
            match n.kind {
                Kind::Bridge => {
                    let _ = writeln!(out, "  n{i}((\"{label}\"))");
                }
                Kind::Netns => {
                    let _ = writeln!(out, "  n{i}[\"{label}\"]");
                }
                Kind::Group => {
                    let _ = writeln!(out, "  n{i}[[\"{label}\"]]");
                }
            }
        }
        for e in &self.edges {
            let _ = writeln!(
                out,
                "  n{} ---|\"{} — {}\"| n{}",
                e.from,
                e.from_label.replace('"', "'"),
                e.to_label.replace('"', "'"),
                e.to
            );
        }
        out
    }
}

/// Builds a graph, finding nodes by id.
#[derive(Default)]
struct Builder {
    g: Graph,
    ids: HashMap<String, usize>,
}

impl Builder {
    fn node(&mut self, id: String, label: String, detail: String, kind: Kind) -> usize {
        if let Some(&i) = self.ids.get(&id) {
            return i;
        }
        self.g.nodes.push(Node {
            id: id.clone(),
            label,
            detail,
            kind,
        });
        self.ids.insert(id, self.g.nodes.len() - 1);
        self.g.nodes.len() - 1
    }
}

/// The namespaces to draw as groups: per bridge, when more than
/// `GROUP_ABOVE` namespaces have as their only link in use (lo aside) a
/// veth whose other end is a port of it.
fn alike_hosts<'a>(
    snap: &'a Snapshot,
    links: &HashMap<(&str, &str), &LinkView>,
) -> HashMap<&'a str, (String, String)> {
    let mut per_bridge: HashMap<(String, String), Vec<&str>> = HashMap::new();
    for ns in snap.namespaces.iter().filter(|n| n.name != "host") {
        // Links other than veths that are down without an address (the
        // fallback tunnel devices, sit0 and the like, that some kernels
        // put in every new namespace) do not make a host unlike the
        // others; any other veth does.
        let mut own = ns.links.iter().filter(|l| {
            l.kind != LinkKind::Loopback
                && (l.kind == LinkKind::Veth || l.up || !l.addresses.is_empty())
        });
        let (Some(l), None) = (own.next(), own.next()) else {
            continue;
        };
        let Some((pns, pname)) = l.peer.as_ref().filter(|_| l.kind == LinkKind::Veth) else {
            continue;
        };
        if let Some(br) = links
            .get(&(pns.as_str(), pname.as_str()))
            .and_then(|p| p.master.clone())
        {
            per_bridge
                .entry((pns.clone(), br))
                .or_default()
                .push(&ns.name);
        }
    }
    per_bridge
        .into_iter()
        .filter(|(_, hosts)| hosts.len() > GROUP_ABOVE)
        .flat_map(|(bridge, hosts)| hosts.into_iter().map(move |h| (h, bridge.clone())))
        .collect()
}

/// "h10" after "h9": names compared with their digit runs as numbers.
pub(super) fn natural(name: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut digits = String::new();
    for c in name.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            if !digits.is_empty() {
                out.push((
                    std::mem::take(&mut text),
                    digits.parse().unwrap_or(u64::MAX),
                ));
                digits.clear();
            }
            text.push(c);
        }
    }
    out.push((text, digits.parse().unwrap_or(0)));
    out
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

pub(super) fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
