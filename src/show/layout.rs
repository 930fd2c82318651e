//! Where each node of a picture goes, by the shape of the lab:
//!
//! - a **ring** (every node joined to exactly two others): a circle;
//! - a **star** (one bridge and the namespaces on it): the bridge in the
//!   middle, the namespaces on a circle around it;
//! - anything else, trees of bridges among them: **layers**, from the
//!   best-connected bridge down, each node centred over what hangs from
//!   it, and each leaf given room for its own box and for the labels of
//!   its edge, so labels do not run into their neighbours'.
//!
//! Each connected part is laid out on its own; the parts are stacked, and
//! the namespaces joined to nothing go in a row at the bottom.

use std::collections::VecDeque;

use super::graph::{Graph, Kind, natural};

/// Vertical distance between two layers.
const ROW: f64 = 150.0;
/// Space around a picture and between parts.
const MARGIN: f64 = 80.0;

/// Positions (centres) of the nodes, and the picture's size.
pub struct Placed {
    pub pos: Vec<(f64, f64)>,
    /// Whether each node is in a part drawn in layers (its edges' labels
    /// then go along the edge, where the fan has spread).
    pub layered: Vec<bool>,
    /// How many nodes each is joined to.
    pub degree: Vec<usize>,
    pub width: f64,
    pub height: f64,
}

/// How wide a node is drawn.
pub fn node_width(g: &Graph, i: usize) -> f64 {
    let n = &g.nodes[i];
    match n.kind {
        Kind::Bridge => 116.0,
        Kind::Netns | Kind::Group => (n.label.chars().count() as f64 * 8.0 + 24.0).max(56.0),
    }
}

/// How wide a label is drawn (10 px text).
fn label_width(text: &str) -> f64 {
    text.chars().count() as f64 * 6.0
}

pub fn place(g: &Graph) -> Placed {
    let n = g.nodes.len();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in &g.edges {
        if e.from != e.to {
            adj[e.from].push(e.to);
            adj[e.to].push(e.from);
        }
    }
    for a in &mut adj {
        a.sort_unstable();
        a.dedup();
    }
    let mut pos = vec![(0.0, 0.0); n];
    let mut layered = vec![false; n];
    let mut done = vec![false; n];
    let (mut width, mut y) = (0.0_f64, MARGIN);
    let mut alone = Vec::new();
    for start in 0..n {
        if done[start] {
            continue;
        }
        let part = component(&adj, start, &mut done);
        if part.len() == 1 {
            alone.push(start);
            continue;
        }
        let (w, h) = if let Some(ring) = ring_of(&adj, &part) {
            circle(g, &ring, None, (MARGIN, y), &mut pos);
            pendants(g, &adj, &ring, &part, (MARGIN, y), &mut pos)
        } else if let Some(hub) = star_hub(g, &adj, &part) {
            let rest: Vec<usize> = part.iter().copied().filter(|&i| i != hub).collect();
            circle(g, &rest, Some(hub), (MARGIN, y), &mut pos)
        } else {
            for &i in &part {
                layered[i] = true;
            }
            layers(g, &adj, &part, (MARGIN, y), &mut pos)
        };
        width = width.max(w);
        y += h + MARGIN;
    }
    let mut x = MARGIN;
    for &i in &alone {
        let w = node_width(g, i);
        pos[i] = (x + w / 2.0, y + 20.0);
        x += w + 30.0;
    }
    if !alone.is_empty() {
        width = width.max(x - MARGIN);
        y += 40.0 + MARGIN;
    }
    Placed {
        pos,
        layered,
        degree: adj.iter().map(Vec::len).collect(),
        width: width + 2.0 * MARGIN,
        height: y.max(2.0 * MARGIN),
    }
}

/// The nodes joined to `start`, marking them done.
fn component(adj: &[Vec<usize>], start: usize, done: &mut [bool]) -> Vec<usize> {
    let mut part = vec![start];
    done[start] = true;
    let mut k = 0;
    while k < part.len() {
        for &m in &adj[part[k]] {
            if !done[m] {
                done[m] = true;
                part.push(m);
            }
        }
        k += 1;
    }
    part
}

/// The ring of `part`, in order around it: the nodes left when those
/// joined to one other node (a router's hosts, say) are set aside, if
/// each of them is joined to exactly two of the others.
fn ring_of(adj: &[Vec<usize>], part: &[usize]) -> Option<Vec<usize>> {
    let core: Vec<usize> = part.iter().copied().filter(|&i| adj[i].len() > 1).collect();
    let on = |i: usize| core.contains(&i);
    let degree = |i: usize| adj[i].iter().filter(|&&m| on(m)).count();
    if core.len() < 3 || !core.iter().all(|&i| degree(i) == 2) {
        return None;
    }
    // Walk it, so that neighbours are next to each other on the circle.
    let mut ring = vec![core[0]];
    let mut prev = usize::MAX;
    while ring.len() < core.len() {
        let at = ring[ring.len() - 1];
        let next = adj[at]
            .iter()
            .copied()
            .find(|&m| on(m) && m != prev && !ring.contains(&m))?;
        prev = at;
        ring.push(next);
    }
    Some(ring)
}

/// The nodes of `part` outside `ring` (each joined to one ring node),
/// placed outside the circle beyond the node they hang from; the size
/// of the whole.
fn pendants(
    g: &Graph,
    adj: &[Vec<usize>],
    ring: &[usize],
    part: &[usize],
    origin: (f64, f64),
    pos: &mut [(f64, f64)],
) -> (f64, f64) {
    let step = ring.iter().map(|&i| node_width(g, i)).fold(150.0, f64::max);
    let radius = (ring.len() as f64 * step / std::f64::consts::TAU).max(170.0);
    let outer = radius + 150.0;
    let size = 2.0 * outer + 2.0 * step;
    let (cx, cy) = (origin.0 + size / 2.0, origin.1 + size / 2.0);
    let shift = (size - (2.0 * radius + 2.0 * step)) / 2.0;
    for &i in ring {
        pos[i] = (pos[i].0 + shift, pos[i].1 + shift);
    }
    for (k, &r) in ring.iter().enumerate() {
        let hanging: Vec<usize> = adj[r]
            .iter()
            .copied()
            .filter(|m| part.contains(m) && !ring.contains(m))
            .collect();
        let base =
            std::f64::consts::TAU * k as f64 / ring.len() as f64 - std::f64::consts::FRAC_PI_2;
        for (j, &p) in hanging.iter().enumerate() {
            let spread = 0.35 * (j as f64 - (hanging.len() as f64 - 1.0) / 2.0);
            let angle = base + spread;
            pos[p] = (cx + outer * angle.cos(), cy + outer * angle.sin());
        }
    }
    (size, size)
}

/// The bridge of a star: the one bridge of the part, every other node a
/// namespace joined to it alone.
fn star_hub(g: &Graph, adj: &[Vec<usize>], part: &[usize]) -> Option<usize> {
    let mut bridges = part.iter().filter(|&&i| g.nodes[i].kind == Kind::Bridge);
    let (Some(&hub), None) = (bridges.next(), bridges.next()) else {
        return None;
    };
    (part.len() > 3 && part.iter().all(|&i| i == hub || adj[i] == [hub])).then_some(hub)
}

/// `ring` on a circle (its centre `centre` if given) at `origin`; the
/// size used.
fn circle(
    g: &Graph,
    ring: &[usize],
    centre: Option<usize>,
    origin: (f64, f64),
    pos: &mut [(f64, f64)],
) -> (f64, f64) {
    let step = ring.iter().map(|&i| node_width(g, i)).fold(150.0, f64::max);
    let radius = (ring.len() as f64 * step / std::f64::consts::TAU).max(170.0);
    let size = 2.0 * radius + 2.0 * step;
    let (cx, cy) = (origin.0 + size / 2.0, origin.1 + size / 2.0);
    if let Some(c) = centre {
        pos[c] = (cx, cy);
    }
    for (k, &i) in ring.iter().enumerate() {
        let angle =
            std::f64::consts::TAU * k as f64 / ring.len() as f64 - std::f64::consts::FRAC_PI_2;
        pos[i] = (cx + radius * angle.cos(), cy + radius * angle.sin());
    }
    (size, size)
}

/// A layered tree from the best-connected bridge (or node) of `part`:
/// each node's children are the nodes first reached from it. The size
/// used.
fn layers(
    g: &Graph,
    adj: &[Vec<usize>],
    part: &[usize],
    origin: (f64, f64),
    pos: &mut [(f64, f64)],
) -> (f64, f64) {
    let root = centre(g, adj, part);
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); g.nodes.len()];
    let mut depth = vec![usize::MAX; g.nodes.len()];
    depth[root] = 0;
    let mut queue = VecDeque::from([root]);
    while let Some(i) = queue.pop_front() {
        for &m in &adj[i] {
            if depth[m] == usize::MAX {
                depth[m] = depth[i] + 1;
                children[i].push(m);
                queue.push_back(m);
            }
        }
        children[i].sort_by_key(|&c| natural(&g.nodes[c].label));
    }
    // Room for the labels of each node's edges.
    let mut label_room = vec![0.0_f64; g.nodes.len()];
    for e in &g.edges {
        let w = label_width(&e.from_label).max(label_width(&e.to_label));
        label_room[e.from] = label_room[e.from].max(w);
        label_room[e.to] = label_room[e.to].max(w);
    }
    let mut room = vec![0.0; g.nodes.len()];
    // Children after parents in BFS order: sum from the deepest up.
    let mut order: Vec<usize> = part.to_vec();
    order.sort_by_key(|&i| std::cmp::Reverse(depth[i]));
    for &i in &order {
        let own = node_width(g, i).max(label_room[i]) + 30.0;
        let below: f64 = children[i].iter().map(|&c| room[c]).sum();
        room[i] = own.max(below);
    }
    let mut deepest = 0;
    place_under(
        root,
        origin.0,
        origin.1 + 30.0,
        &children,
        &room,
        &depth,
        pos,
        &mut deepest,
    );
    (room[root], deepest as f64 * ROW + 60.0)
}

/// The root of a layered picture: the middle of the longest path between
/// bridges (the top of a tree of bridges), of two middles the one with
/// fewer namespaces on it (a spine before a leaf); without bridges, the
/// middle of the longest path.
fn centre(g: &Graph, adj: &[Vec<usize>], part: &[usize]) -> usize {
    let is_bridge = |i: usize| g.nodes[i].kind == Kind::Bridge;
    let bridges: Vec<usize> = part.iter().copied().filter(|&i| is_bridge(i)).collect();
    let only_bridges = !bridges.is_empty();
    let step = |i: usize| {
        adj[i]
            .iter()
            .copied()
            .filter(move |&m| !only_bridges || is_bridge(m))
    };
    // Breadth-first from `from`: each node's parent, and the last reached.
    let bfs = |from: usize| {
        let mut parent = vec![usize::MAX; g.nodes.len()];
        parent[from] = from;
        let mut queue = VecDeque::from([from]);
        let mut last = from;
        while let Some(i) = queue.pop_front() {
            last = i;
            for m in step(i) {
                if parent[m] == usize::MAX {
                    parent[m] = i;
                    queue.push_back(m);
                }
            }
        }
        (parent, last)
    };
    let start = if only_bridges { bridges[0] } else { part[0] };
    let (_, far) = bfs(start);
    let (parent, other) = bfs(far);
    let mut path = vec![other];
    while path[path.len() - 1] != far {
        path.push(parent[path[path.len() - 1]]);
    }
    let hosts_on = |i: usize| adj[i].iter().filter(|&&m| !is_bridge(m)).count();
    let middle = path[path.len() / 2];
    if path.len() % 2 == 0 {
        let before = path[path.len() / 2 - 1];
        if hosts_on(before) < hosts_on(middle) {
            return before;
        }
    }
    middle
}

/// Place `i` centred in its room starting at `left`, its children below.
#[allow(clippy::too_many_arguments)]
fn place_under(
    i: usize,
    left: f64,
    top: f64,
    children: &[Vec<usize>],
    room: &[f64],
    depth: &[usize],
    pos: &mut [(f64, f64)],
    deepest: &mut usize,
) {
    pos[i] = (left + room[i] / 2.0, top + depth[i] as f64 * ROW);
    *deepest = (*deepest).max(depth[i]);
    let below: f64 = children[i].iter().map(|&c| room[c]).sum();
    let mut x = left + (room[i] - below) / 2.0;
    for &c in &children[i] {
        place_under(c, x, top, children, room, depth, pos, deepest);
        x += room[c];
    }
}
