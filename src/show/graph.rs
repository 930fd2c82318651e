//! The topology as a picture: namespaces as boxes, bridges as round nodes,
//! veth pairs as edges labelled with both interface names and addresses.
//! DOT and Mermaid as text; SVG laid out here (no Graphviz needed): the
//! bridges in the middle, the namespaces on a circle around them.

use std::fmt::Write;

use super::snapshot::{LinkView, Snapshot};
use crate::netlink::LinkKind;

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Netns,
    Bridge,
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

impl Graph {
    pub fn from(snap: &Snapshot) -> Graph {
        let mut g = Graph::default();
        let mut index_of =
            |g: &mut Graph, id: String, label: String, detail: String, kind: Kind| -> usize {
                if let Some(i) = g.nodes.iter().position(|n| n.id == id) {
                    return i;
                }
                g.nodes.push(Node {
                    id,
                    label,
                    detail,
                    kind,
                });
                g.nodes.len() - 1
            };
        // Where a link attaches: its bridge if it is a port, else its namespace.
        let endpoint =
            |g: &mut Graph,
             index_of: &mut dyn FnMut(&mut Graph, String, String, String, Kind) -> usize,
             ns: &str,
             l: &LinkView| {
                if let Some(br) = &l.master {
                    let detail = snap
                        .namespaces
                        .iter()
                        .find(|n| n.name == ns)
                        .and_then(|n| n.links.iter().find(|x| &x.name == br))
                        .map(|b| global(&b.addresses))
                        .unwrap_or_default();
                    let label = if ns == "host" {
                        br.clone()
                    } else {
                        format!("{br} ({ns})")
                    };
                    index_of(g, format!("br:{ns}/{br}"), label, detail, Kind::Bridge)
                } else {
                    index_of(
                        g,
                        format!("ns:{ns}"),
                        ns.to_string(),
                        String::new(),
                        Kind::Netns,
                    )
                }
            };
        for ns in &snap.namespaces {
            if ns.name != "host" {
                index_of(
                    &mut g,
                    format!("ns:{}", ns.name),
                    ns.name.clone(),
                    String::new(),
                    Kind::Netns,
                );
            }
        }
        let mut seen: Vec<(String, String)> = Vec::new();
        for ns in &snap.namespaces {
            for l in ns.links.iter().filter(|l| l.kind == LinkKind::Veth) {
                let Some((pns, pname)) = &l.peer else {
                    continue;
                };
                if seen.contains(&(pns.clone(), pname.clone())) {
                    continue;
                }
                seen.push((ns.name.clone(), l.name.clone()));
                let Some(peer) = snap
                    .namespaces
                    .iter()
                    .find(|n| &n.name == pns)
                    .and_then(|n| n.links.iter().find(|x| &x.name == pname))
                else {
                    continue;
                };
                let a = endpoint(&mut g, &mut index_of, &ns.name, l);
                let b = endpoint(&mut g, &mut index_of, pns, peer);
                g.edges.push(Edge {
                    from: a,
                    to: b,
                    from_label: end_label(l),
                    to_label: end_label(peer),
                });
            }
        }
        g
    }

    pub fn dot(&self) -> String {
        let mut out = String::from(
            "graph lab {\n  graph [overlap=false, splines=true];\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
        );
        for (i, n) in self.nodes.iter().enumerate() {
            let shape = if n.kind == Kind::Bridge {
                "ellipse"
            } else {
                "box"
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

    /// An SVG picture: bridges on a line through the middle, namespaces on
    /// a circle around them, labels at both ends of every edge.
    pub fn svg(&self) -> String {
        let bridges: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].kind == Kind::Bridge)
            .collect();
        let boxes: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].kind == Kind::Netns)
            .collect();
        let radius = (boxes.len() as f64 * 150.0 / std::f64::consts::TAU).max(170.0)
            + 40.0 * bridges.len().saturating_sub(1) as f64;
        let size = 2.0 * radius + 260.0;
        let (cx, cy) = (size / 2.0, size / 2.0);
        let mut pos = vec![(cx, cy); self.nodes.len()];
        for (k, &i) in bridges.iter().enumerate() {
            let spread = 140.0 * (k as f64 - (bridges.len() as f64 - 1.0) / 2.0);
            pos[i] = (cx + spread, cy);
        }
        for (k, &i) in boxes.iter().enumerate() {
            let angle = std::f64::consts::TAU * k as f64 / boxes.len().max(1) as f64
                - std::f64::consts::FRAC_PI_2;
            pos[i] = (cx + radius * angle.cos(), cy + radius * angle.sin());
        }
        let mut out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size:.0}\" height=\"{size:.0}\" viewBox=\"0 0 {size:.0} {size:.0}\" font-family=\"Helvetica, Arial, sans-serif\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        );
        for e in &self.edges {
            let (a, b) = (pos[e.from], pos[e.to]);
            let _ = writeln!(
                out,
                "<g class=\"veth\"><line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#5a6b7b\" stroke-width=\"1.5\"/>",
                a.0, a.1, b.0, b.1
            );
            for (label, from, to) in [(&e.from_label, a, b), (&e.to_label, b, a)] {
                // Near its own end, a quarter of the way along.
                let (x, y) = (
                    from.0 + (to.0 - from.0) * 0.28,
                    from.1 + (to.1 - from.1) * 0.28,
                );
                let _ = writeln!(
                    out,
                    "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#1d3557\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
                    xml(label)
                );
            }
            out.push_str("</g>\n");
        }
        for (i, n) in self.nodes.iter().enumerate() {
            let (x, y) = pos[i];
            match n.kind {
                Kind::Bridge => {
                    let _ = writeln!(
                        out,
                        "<g class=\"bridge\"><ellipse cx=\"{x:.1}\" cy=\"{y:.1}\" rx=\"58\" ry=\"26\" fill=\"#ffe8a3\" stroke=\"#b8860b\"/>"
                    );
                    let _ = writeln!(
                        out,
                        "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>",
                        y - 2.0,
                        xml(&n.label)
                    );
                    if !n.detail.is_empty() {
                        let _ = writeln!(
                            out,
                            "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"middle\">{}</text>",
                            y + 12.0,
                            xml(&n.detail)
                        );
                    }
                    out.push_str("</g>\n");
                }
                Kind::Netns => {
                    let w = (n.label.chars().count() as f64 * 8.0 + 24.0).max(56.0);
                    let _ = writeln!(
                        out,
                        "<g class=\"netns\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"30\" rx=\"5\" fill=\"#dbe9f6\" stroke=\"#2b6cb0\"/><text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"middle\">{}</text></g>",
                        x - w / 2.0,
                        y - 15.0,
                        y + 5.0,
                        xml(&n.label)
                    );
                }
            }
        }
        out.push_str("</svg>\n");
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
