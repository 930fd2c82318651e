//! The forwarding entries that go with `lab::static_neighbours`: each
//! bridge between a hub and a host learns ahead of time which port the
//! host's MAC is behind (and which port the hub's is behind). Without them
//! a bridge floods the first frame to every unknown MAC out of all its
//! ports: pinging N hosts behind one bridge would deliver N² frames.
//!
//! The way from a hub to its hosts is found on the lab's layer-2 graph:
//! links are its nodes; a veth joins its two ends, a bridge joins its
//! ports. A hub whose part of the graph has a loop gets no entries (a
//! static entry on a port that STP blocks would swallow frames): its
//! bridges flood and learn as they always do.

use std::collections::{HashMap, HashSet, VecDeque};

use super::Op;
use crate::error::{Kind, Result};
use crate::netlink::{FdbSpec, LinkInfo, LinkKind};
use crate::ns::Ns;

/// A link, as a node of the layer-2 graph.
pub type Node = (Ns, u32);

/// The links of every namespace, and the layer-2 graph they make.
pub struct L2Graph {
    links: HashMap<Node, LinkInfo>,
    edges: HashMap<Node, Vec<Node>>,
}

impl L2Graph {
    /// The graph of `links` (every namespace's), veth peers found through
    /// `op`. A veth whose other end cannot be found is a dead end.
    pub fn new(op: &Op, all: &HashMap<Ns, Vec<LinkInfo>>) -> L2Graph {
        let mut g = L2Graph {
            links: HashMap::new(),
            edges: HashMap::new(),
        };
        // Both ends of a veth name each other: one edge per pair.
        let mut pairs = HashSet::new();
        for (ns, links) in all {
            let bridges: HashSet<u32> = links
                .iter()
                .filter(|m| m.kind == LinkKind::Bridge)
                .map(|m| m.index)
                .collect();
            for l in links {
                let node = (ns.clone(), l.index);
                g.links.insert(node.clone(), l.clone());
                // A port and its bridge (not a VRF's or a bond's links:
                // those join no layer-2 segment).
                if let Some(bridge) = l.master
                    && bridges.contains(&bridge)
                {
                    g.join(node.clone(), (ns.clone(), bridge));
                }
                if l.kind == LinkKind::Veth
                    && let Ok(Some(peer)) = op.net.peer_of(ns, l)
                    && pairs.insert(if node < peer {
                        (node.clone(), peer.clone())
                    } else {
                        (peer.clone(), node.clone())
                    })
                {
                    g.join(node, peer);
                }
            }
        }
        g
    }

    fn join(&mut self, a: Node, b: Node) {
        self.edges.entry(a.clone()).or_default().push(b.clone());
        self.edges.entry(b).or_default().push(a);
    }

    fn is_bridge(&self, node: &Node) -> bool {
        self.links
            .get(node)
            .is_some_and(|l| l.kind == LinkKind::Bridge)
    }

    /// Whether `port` is a port of bridge `bridge`.
    fn is_port_of(&self, port: &Node, bridge: &Node) -> bool {
        port.0 == bridge.0
            && self.is_bridge(bridge)
            && self.links.get(port).and_then(|l| l.master) == Some(bridge.1)
    }

    /// Each node reachable from `from`, with the node it was reached
    /// through; None if that part of the graph has a loop.
    fn tree_from(&self, from: &Node) -> Option<HashMap<Node, Option<Node>>> {
        let mut parent: HashMap<Node, Option<Node>> = HashMap::new();
        parent.insert(from.clone(), None);
        let mut queue = VecDeque::from([from.clone()]);
        while let Some(node) = queue.pop_front() {
            let came_from = parent.get(&node).cloned().flatten();
            for next in self.edges.get(&node).into_iter().flatten() {
                if Some(next) == came_from.as_ref() {
                    continue;
                }
                if parent.contains_key(next) {
                    return None;
                }
                parent.insert(next.clone(), Some(node.clone()));
                queue.push_back(next.clone());
            }
        }
        Some(parent)
    }

    /// The static entries that send frames from `hub` to each of `hosts`
    /// (and back) without flooding: (namespace, port, MAC of the link it
    /// leads to). Empty when the hub's part of the graph has a loop.
    pub fn entries(&self, hub: &Node, hosts: &[Node]) -> Vec<(Node, [u8; 6])> {
        let Some(tree) = self.tree_from(hub) else {
            return Vec::new();
        };
        let mac_of = |n: &Node| {
            self.links
                .get(n)
                .and_then(|l| crate::mac::parse(&l.mac).ok())
        };
        let mut out = Vec::new();
        for host in hosts {
            let Some(mac) = mac_of(host) else { continue };
            let mut at = host.clone();
            while let Some(Some(up)) = tree.get(&at) {
                if self.is_port_of(&at, up) {
                    out.push((at.clone(), mac));
                }
                at = up.clone();
            }
        }
        // Towards the hub: the port each bridge on the way was reached by.
        if let Some(mac) = mac_of(hub) {
            for (node, up) in &tree {
                if let Some(up) = up
                    && self.is_port_of(up, node)
                {
                    out.push((up.clone(), mac));
                }
            }
        }
        out
    }
}

impl Op<'_> {
    /// Add `entries` as static entries of their ports' bridges, each once;
    /// one the bridge already has (learned, or someone's) is left alone.
    pub(super) fn add_static_fdb(&self, g: &L2Graph, entries: &[(Node, [u8; 6])]) -> Result<()> {
        let mut done = HashSet::new();
        // What each namespace's bridges learned, read once.
        let mut learned: HashMap<Ns, HashSet<(String, Option<u32>)>> = HashMap::new();
        for ((ns, port), mac) in entries {
            if !done.insert((ns.clone(), *port, *mac)) {
                continue;
            }
            let Some(dev) = g.links.get(&(ns.clone(), *port)) else {
                continue;
            };
            let entry = FdbSpec {
                mac: *mac,
                dev: dev.index,
                master: true,
                vlan: None,
                dst: None,
                vni: None,
                port: None,
                state: "static",
                bridge: dev.master,
            };
            if !learned.contains_key(ns) {
                let table = self
                    .net
                    .fdb(ns)?
                    .into_iter()
                    .filter(|e| e.state == "learned" && e.vlan.is_none());
                let macs = table.map(|e| (e.mac, e.master)).collect();
                learned.insert(ns.clone(), macs);
            }
            let seen = &learned[ns];
            let was_learned = |e: &FdbSpec| {
                Ok(e.vlan.is_none() && seen.contains(&(crate::mac::format(&e.mac), e.bridge)))
            };
            match self.fdb_add_as(ns, dev, entry, false, &was_learned) {
                Ok(()) => {}
                Err(e) if e.kind == Kind::Exists => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
