//! The picture as SVG, laid out by `layout.rs`: namespaces as boxes,
//! bridges as ellipses, a group of alike hosts as a stack of boxes, each
//! veth a line with the interface (and addresses) of each end written
//! near that end.

use std::fmt::Write;

use super::graph::{Graph, Kind, xml};
use super::layout::{Placed, node_width, place};

impl Graph {
    pub fn svg(&self) -> String {
        let placed = place(self);
        let pos = &placed.pos;
        let (w, h) = (placed.width, placed.height);
        let mut out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"Helvetica, Arial, sans-serif\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        );
        for e in &self.edges {
            let (a, b) = (pos[e.from], pos[e.to]);
            let _ = writeln!(
                out,
                "<g class=\"veth\"><line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#5a6b7b\" stroke-width=\"1.5\"/>",
                a.0, a.1, b.0, b.1
            );
            for (label, own, other, above) in [
                (&e.from_label, e.from, e.to, true),
                (&e.to_label, e.to, e.from, false),
            ] {
                let (x, y, anchor) = label_at(self, &placed, own, other, above);
                let _ = writeln!(
                    out,
                    "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"10\" text-anchor=\"{anchor}\" fill=\"#1d3557\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
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
                    let w = node_width(self, i);
                    let _ = writeln!(
                        out,
                        "<g class=\"netns\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"30\" rx=\"5\" fill=\"#dbe9f6\" stroke=\"#2b6cb0\"/><text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"middle\">{}</text></g>",
                        x - w / 2.0,
                        y - 15.0,
                        y + 5.0,
                        xml(&n.label)
                    );
                }
                Kind::Group => {
                    // Three boxes stacked: many alike namespaces.
                    let w = node_width(self, i);
                    out.push_str("<g class=\"netns-group\">");
                    for k in [2.0, 1.0, 0.0] {
                        let _ = write!(
                            out,
                            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"30\" rx=\"5\" fill=\"#dbe9f6\" stroke=\"#2b6cb0\"/>",
                            x - w / 2.0 + 4.0 * k,
                            y - 15.0 - 4.0 * k,
                        );
                    }
                    let _ = writeln!(
                        out,
                        "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"middle\">{}</text><text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" font-weight=\"bold\">{}</text></g>",
                        y + 5.0,
                        xml(&n.label),
                        y + 30.0,
                        xml(&n.detail)
                    );
                }
            }
        }
        out.push_str("</svg>\n");
        out
    }
}

/// Where the label of node `own`'s end of its edge to `other` goes. In a
/// part drawn in layers, centred on the line: the lower end's a fifth of
/// the way up, the upper end's two fifths of the way from the lower end,
/// where edges that meet at the upper node have spread apart. Elsewhere
/// (circles), just past the node's box and running away from it, one
/// end's label above the line and the other's below, so that the labels
/// of two edges leaving a node to either side do not meet.
fn label_at(
    g: &Graph,
    placed: &Placed,
    own: usize,
    other: usize,
    above: bool,
) -> (f64, f64, &'static str) {
    let (p, q) = (placed.pos[own], placed.pos[other]);
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    if placed.layered[own] {
        let lower = p.1 >= q.1;
        let t = if lower { 0.2 } else { 0.58 };
        return (p.0 + dx * t, p.1 + dy * t, "middle");
    }
    // Where many edges meet (a star's bridge), out where they have spread.
    let dist = if placed.degree[own] > 4 {
        0.3 * len
    } else {
        (node_width(g, own) / 2.0 + 8.0).min(0.35 * len)
    };
    let (x, y) = (p.0 + dx / len * dist, p.1 + dy / len * dist);
    let anchor = if dx >= 0.0 { "start" } else { "end" };
    (x, y + if above { -5.0 } else { 12.0 }, anchor)
}
