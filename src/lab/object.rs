//! What a run can create, and how it is written in a ledger.

use serde_json::{Value, json};

use crate::sys::netns_fs::NsId;

/// Where a link is: its namespace (by name and identity) and its index
/// there. A veth's record keeps its other end's, so teardown can wait for
/// that end to go with its namespace instead of looking for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub ns: String,
    pub ns_id: Option<NsId>,
    pub index: u32,
}

/// One object a run created, identified so that teardown never touches
/// anything else (namespaces by inode, links by namespace and index).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Object {
    Netns {
        name: String,
        id: NsId,
    },
    /// A name given to another process's namespace (`netns::attach`).
    Attached {
        name: String,
        id: NsId,
    },
    Link {
        ns: String,
        ns_id: Option<NsId>,
        index: u32,
        name: String,
        kind: String,
        /// For a veth: where its other end is.
        peer: Option<Place>,
    },
    /// An address added to a link the run did not create.
    Addr {
        ns: String,
        ns_id: Option<NsId>,
        index: u32,
        link: String,
        cidr: String,
    },
    /// A route added in a namespace the run did not create.
    Route {
        ns: String,
        ns_id: Option<NsId>,
        dst: String,
        /// "" when the route has none.
        gateway: String,
        /// "unicast", "blackhole", "unreachable" or "prohibit".
        kind: String,
        metric: Option<u32>,
        /// The routing table; None for the main table.
        table: Option<u32>,
    },
    /// A neighbour entry added in a namespace the run did not create.
    Neigh {
        ns: String,
        ns_id: Option<NsId>,
        index: u32,
        link: String,
        ip: String,
    },
    /// A qdisc put on a link the run did not create (`l.shape`).
    Qdisc {
        ns: String,
        ns_id: Option<NsId>,
        index: u32,
        link: String,
    },
    /// A bridge VLAN membership added to (or taken from) a port the run
    /// did not create; teardown does the opposite.
    PortVlan {
        ns: String,
        ns_id: Option<NsId>,
        index: u32,
        link: String,
        /// The bridge's index (the port's master, or the port itself).
        bridge: u32,
        vid: u16,
        /// The bridge's own membership (`bridge vlan ... self`).
        on_bridge: bool,
        /// Added by the run (else taken away, with these flags).
        added: bool,
        pvid: bool,
        untagged: bool,
    },
    Process {
        pid: u32,
        start: u64,
        netns: String,
    },
}

impl Object {
    /// Whether it is namespace `name`, or lives in it (and so goes with it).
    pub fn lives_in(&self, name: &str) -> bool {
        match self {
            Object::Netns { name: n, .. } | Object::Attached { name: n, .. } => n == name,
            Object::Process { netns, .. } => netns == name,
            Object::Link { ns, .. }
            | Object::Addr { ns, .. }
            | Object::Route { ns, .. }
            | Object::Neigh { ns, .. }
            | Object::Qdisc { ns, .. }
            | Object::PortVlan { ns, .. } => ns == name,
        }
    }

    /// How teardown and `netscript ls` name it.
    pub fn describe(&self) -> String {
        match self {
            Object::Netns { name, .. } => format!("namespace {name}"),
            Object::Attached { name, .. } => format!("attached name {name}"),
            Object::Link { ns, name, kind, .. } => format!("{kind} {name} (in {ns})"),
            Object::Addr { ns, link, cidr, .. } => format!("address {cidr} on {link} (in {ns})"),
            Object::Route {
                ns,
                dst,
                gateway,
                kind,
                metric,
                table,
                ..
            } => {
                let mut text = if kind == "unicast" {
                    format!("route {dst}")
                } else {
                    format!("{kind} route {dst}")
                };
                if !gateway.is_empty() {
                    text.push_str(&format!(" via {gateway}"));
                }
                if let Some(m) = metric {
                    text.push_str(&format!(" metric {m}"));
                }
                if let Some(t) = table {
                    text.push_str(&format!(" table {t}"));
                }
                format!("{text} (in {ns})")
            }
            Object::Neigh { ns, link, ip, .. } => format!("neighbour {ip} on {link} (in {ns})"),
            Object::Qdisc { ns, link, .. } => format!("qdisc on {link} (in {ns})"),
            Object::PortVlan {
                ns,
                link,
                vid,
                added,
                ..
            } => {
                let verb = if *added { "on" } else { "taken off" };
                format!("VLAN {vid} {verb} {link} (in {ns})")
            }
            Object::Process { pid, netns, .. } => format!("process {pid} (in {netns})"),
        }
    }

    /// Whether this is the record of link `index` in namespace `ns`.
    pub fn is_link_at(&self, ns: &str, index: u32) -> bool {
        matches!(self, Object::Link { ns: n, index: i, .. } if n == ns && *i == index)
    }

    /// Whether this is the record of a veth whose other end is link
    /// `index` in namespace `ns`.
    pub fn has_peer_at(&self, ns: &str, index: u32) -> bool {
        matches!(self, Object::Link { peer: Some(p), .. } if p.ns == ns && p.index == index)
    }

    /// Whether two records are the same object (a link is known by where
    /// it is, whatever its name).
    pub fn same(&self, other: &Object) -> bool {
        match (self, other) {
            (
                Object::Link {
                    ns: a,
                    ns_id: ai,
                    index: x,
                    ..
                },
                Object::Link {
                    ns: b,
                    ns_id: bi,
                    index: y,
                    ..
                },
            ) => a == b && ai == bi && x == y,
            _ => self == other,
        }
    }

    pub fn to_json(&self) -> Value {
        let id = |i: &Option<NsId>| i.map(|(d, n)| json!([d, n]));
        match self {
            Object::Netns { name, id: (d, n) } => {
                json!({"type": "netns", "name": name, "id": [d, n]})
            }
            Object::Attached { name, id: (d, n) } => {
                json!({"type": "attached", "name": name, "id": [d, n]})
            }
            Object::Link {
                ns,
                ns_id,
                index,
                name,
                kind,
                peer,
            } => {
                let mut v = json!({"type": "link", "ns": ns, "ns_id": id(ns_id), "index": index, "name": name, "kind": kind});
                if let Some(p) = peer {
                    v["peer"] = json!({"ns": p.ns, "ns_id": id(&p.ns_id), "index": p.index});
                }
                v
            }
            Object::Addr {
                ns,
                ns_id,
                index,
                link,
                cidr,
            } => {
                json!({"type": "addr", "ns": ns, "ns_id": id(ns_id), "index": index, "link": link, "cidr": cidr})
            }
            Object::Route {
                ns,
                ns_id,
                dst,
                gateway,
                kind,
                metric,
                table,
            } => {
                json!({"type": "route", "ns": ns, "ns_id": id(ns_id), "dst": dst, "gateway": gateway,
                       "kind": kind, "metric": metric, "table": table})
            }
            Object::Neigh {
                ns,
                ns_id,
                index,
                link,
                ip,
            } => {
                json!({"type": "neigh", "ns": ns, "ns_id": id(ns_id), "index": index, "link": link, "ip": ip})
            }
            Object::Qdisc {
                ns,
                ns_id,
                index,
                link,
            } => {
                json!({"type": "qdisc", "ns": ns, "ns_id": id(ns_id), "index": index, "link": link})
            }
            Object::PortVlan {
                ns,
                ns_id,
                index,
                link,
                bridge,
                vid,
                on_bridge,
                added,
                pvid,
                untagged,
            } => {
                json!({"type": "port_vlan", "ns": ns, "ns_id": id(ns_id), "index": index, "link": link,
                       "bridge": bridge, "vid": vid, "on_bridge": on_bridge, "added": added, "pvid": pvid, "untagged": untagged})
            }
            Object::Process { pid, start, netns } => {
                json!({"type": "process", "pid": pid, "start": start, "netns": netns})
            }
        }
    }

    pub fn from_json(v: &Value) -> Option<Object> {
        let s = |k: &str| v[k].as_str().map(str::to_string);
        let id = |k: &str| ns_id_from_json(&v[k]);
        Some(match v["type"].as_str()? {
            "netns" => Object::Netns {
                name: s("name")?,
                id: id("id")?,
            },
            "attached" => Object::Attached {
                name: s("name")?,
                id: id("id")?,
            },
            "link" => Object::Link {
                ns: s("ns")?,
                ns_id: id("ns_id"),
                index: v["index"].as_u64()? as u32,
                name: s("name")?,
                kind: s("kind")?,
                // Ledgers written before peers were recorded have none.
                peer: peer_from_json(&v["peer"]),
            },
            "addr" => Object::Addr {
                ns: s("ns")?,
                ns_id: id("ns_id"),
                index: v["index"].as_u64()? as u32,
                link: s("link")?,
                cidr: s("cidr")?,
            },
            "route" => Object::Route {
                ns: s("ns")?,
                ns_id: id("ns_id"),
                dst: s("dst")?,
                gateway: s("gateway")?,
                kind: s("kind").unwrap_or_else(|| "unicast".into()),
                metric: v["metric"].as_u64().map(|m| m as u32),
                table: v["table"].as_u64().map(|t| t as u32),
            },
            "neigh" => Object::Neigh {
                ns: s("ns")?,
                ns_id: id("ns_id"),
                index: v["index"].as_u64()? as u32,
                link: s("link")?,
                ip: s("ip")?,
            },
            "qdisc" => Object::Qdisc {
                ns: s("ns")?,
                ns_id: id("ns_id"),
                index: v["index"].as_u64()? as u32,
                link: s("link")?,
            },
            "port_vlan" => Object::PortVlan {
                ns: s("ns")?,
                ns_id: id("ns_id"),
                index: v["index"].as_u64()? as u32,
                link: s("link")?,
                bridge: v["bridge"].as_u64()? as u32,
                vid: v["vid"].as_u64()? as u16,
                on_bridge: v["on_bridge"].as_bool()?,
                added: v["added"].as_bool()?,
                pvid: v["pvid"].as_bool()?,
                untagged: v["untagged"].as_bool()?,
            },
            "process" => Object::Process {
                pid: v["pid"].as_u64()? as u32,
                start: v["start"].as_u64()?,
                netns: s("netns")?,
            },
            _ => return None,
        })
    }
}

fn ns_id_from_json(v: &Value) -> Option<NsId> {
    Some((v[0].as_u64()?, v[1].as_u64()?))
}

fn peer_from_json(v: &Value) -> Option<Place> {
    Some(Place {
        ns: v["ns"].as_str()?.to_string(),
        ns_id: ns_id_from_json(&v["ns_id"]),
        index: v["index"].as_u64()? as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let all = [
            Object::Netns {
                name: "r1".into(),
                id: (4, 4026532),
            },
            Object::Attached {
                name: "ctr".into(),
                id: (4, 5),
            },
            Object::Link {
                ns: "host".into(),
                ns_id: Some((4, 1)),
                index: 7,
                name: "veth1.2".into(),
                kind: "veth".into(),
                peer: None,
            },
            Object::Link {
                ns: "r1".into(),
                ns_id: Some((4, 2)),
                index: 2,
                name: "eth0".into(),
                kind: "veth".into(),
                peer: Some(Place {
                    ns: "host".into(),
                    ns_id: Some((4, 1)),
                    index: 9,
                }),
            },
            Object::Link {
                ns: "host".into(),
                ns_id: None,
                index: 3,
                name: "v1".into(),
                kind: "veth".into(),
                peer: Some(Place {
                    ns: "host".into(),
                    ns_id: None,
                    index: 4,
                }),
            },
            Object::Addr {
                ns: "host".into(),
                ns_id: None,
                index: 1,
                link: "lo".into(),
                cidr: "10.9.9.9/32".into(),
            },
            Object::Route {
                ns: "host".into(),
                ns_id: Some((4, 1)),
                dst: "10.2.0.0/16".into(),
                gateway: "10.0.0.2".into(),
                kind: "unicast".into(),
                metric: None,
                table: None,
            },
            Object::Route {
                ns: "host".into(),
                ns_id: None,
                dst: "10.66.0.0/16".into(),
                gateway: String::new(),
                kind: "blackhole".into(),
                metric: Some(5),
                table: Some(10),
            },
            Object::Neigh {
                ns: "host".into(),
                ns_id: Some((4, 1)),
                index: 3,
                link: "br0".into(),
                ip: "10.0.0.9".into(),
            },
            Object::Qdisc {
                ns: "host".into(),
                ns_id: Some((4, 1)),
                index: 2,
                link: "eth0".into(),
            },
            Object::PortVlan {
                ns: "host".into(),
                ns_id: Some((4, 1)),
                index: 5,
                link: "eth1".into(),
                bridge: 4,
                vid: 10,
                on_bridge: false,
                added: false,
                pvid: true,
                untagged: true,
            },
            Object::Process {
                pid: 42,
                start: 123456,
                netns: "r1".into(),
            },
        ];
        for o in all {
            assert_eq!(Object::from_json(&o.to_json()), Some(o.clone()));
        }
    }
}
