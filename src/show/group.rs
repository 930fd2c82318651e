//! The second step of grouping a big picture: past `BRIDGES_ABOVE` leaf
//! bridges under one bridge, each with nothing but its group of hosts
//! below it (a big lab's leaves), one bridge node and one group stand for
//! them all: "t1 … t100 ×100" over "h1 … h10000 ×10000".

use std::collections::HashMap;

use super::graph::{Edge, Graph, Kind, Node};

/// Above this many alike leaf bridges under one bridge, one node.
pub const BRIDGES_ABOVE: usize = 16;

/// "a … b" from the first and last of a run of labels, each of which may
/// be a range itself.
fn span(first: &str, last: &str) -> String {
    let head = first.split(" … ").next().unwrap_or(first);
    let tail = last.rsplit(" … ").next().unwrap_or(last);
    if head == tail {
        head.to_string()
    } else {
        format!("{head} … {tail}")
    }
}

/// How many a group's detail ("×100") says it holds.
fn count(n: &Node) -> usize {
    n.detail.trim_start_matches('×').parse().unwrap_or(1)
}

pub fn alike_bridges(g: Graph) -> Graph {
    let mut edges_of: Vec<Vec<usize>> = vec![Vec::new(); g.nodes.len()];
    for (k, e) in g.edges.iter().enumerate() {
        edges_of[e.from].push(k);
        edges_of[e.to].push(k);
    }
    let other = |k: usize, i: usize| {
        let e = &g.edges[k];
        if e.from == i { e.to } else { e.from }
    };
    // A leaf bridge: two edges, one to a bridge above, one to a group.
    let mut under: HashMap<usize, Vec<(usize, usize, usize, usize)>> = HashMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        if n.kind != Kind::Bridge || edges_of[i].len() != 2 {
            continue;
        }
        let (a, b) = (edges_of[i][0], edges_of[i][1]);
        let (up, down) = match (
            g.nodes[other(a, i)].kind.clone(),
            g.nodes[other(b, i)].kind.clone(),
        ) {
            (Kind::Bridge, Kind::Group) => (a, b),
            (Kind::Group, Kind::Bridge) => (b, a),
            _ => continue,
        };
        under
            .entry(other(up, i))
            .or_default()
            .push((i, up, down, other(down, i)));
    }
    let merged: Vec<Vec<(usize, usize, usize, usize)>> = under
        .into_values()
        .filter(|leaves| leaves.len() > BRIDGES_ABOVE)
        .collect();
    if merged.is_empty() {
        return g;
    }
    let gone: std::collections::HashSet<usize> = merged
        .iter()
        .flatten()
        .flat_map(|(bridge, _, _, group)| [*bridge, *group])
        .collect();
    let mut out = Graph::default();
    let mut new_index = vec![usize::MAX; g.nodes.len()];
    for (i, n) in g.nodes.iter().enumerate() {
        if !gone.contains(&i) {
            new_index[i] = out.nodes.len();
            out.nodes.push(n.clone());
        }
    }
    for e in &g.edges {
        if !gone.contains(&e.from) && !gone.contains(&e.to) {
            out.edges.push(Edge {
                from: new_index[e.from],
                to: new_index[e.to],
                ..e.clone()
            });
        }
    }
    for mut leaves in merged {
        leaves.sort_by_key(|(bridge, ..)| super::graph::natural(&g.nodes[*bridge].label));
        let (first, last) = (leaves[0], leaves[leaves.len() - 1]);
        let parent = other(first.1, first.0);
        let bridge = out.nodes.len();
        out.nodes.push(Node {
            id: format!("bridges:{}", g.nodes[first.0].id),
            label: span(&g.nodes[first.0].label, &g.nodes[last.0].label),
            detail: format!("×{}", leaves.len()),
            kind: Kind::Bridge,
        });
        let hosts = out.nodes.len();
        let total: usize = leaves.iter().map(|l| count(&g.nodes[l.3])).sum();
        out.nodes.push(Node {
            id: format!("groups:{}", g.nodes[first.3].id),
            label: span(&g.nodes[first.3].label, &g.nodes[last.3].label),
            detail: format!("×{total}"),
            kind: Kind::Group,
        });
        // Labels of an edge, as seen from `near`'s end and the other's.
        let ends = |k: usize, near: usize| {
            let e = &g.edges[k];
            if e.from == near {
                (e.from_label.clone(), e.to_label.clone())
            } else {
                (e.to_label.clone(), e.from_label.clone())
            }
        };
        let (up_a, up_b) = (ends(first.1, parent), ends(last.1, parent));
        out.edges.push(Edge {
            from: new_index[parent],
            to: bridge,
            from_label: span(&up_a.0, &up_b.0),
            to_label: span(&up_a.1, &up_b.1),
        });
        let (down_a, down_b) = (ends(first.2, first.3), ends(last.2, last.3));
        out.edges.push(Edge {
            from: hosts,
            to: bridge,
            from_label: span(&down_a.0, &down_b.0),
            to_label: span(&down_a.1, &down_b.1),
        });
    }
    out
}
