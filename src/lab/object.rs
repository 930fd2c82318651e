//! What a run can create, and how it is written in a ledger.

use serde::{Deserialize, Serialize};

use super::Before;
use crate::netlink::{LinkKind, RuleSpec};
use crate::sys::netns_fs::NsId;

/// Where a link is: its namespace (by name and identity) and its index
/// there. A veth's record keeps its other end's, so teardown can wait for
/// that end to go with its namespace instead of looking for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub ns: String,
    pub ns_id: Option<NsId>,
    pub index: u32,
}

/// One object a run created, identified so that teardown never touches
/// anything else (namespaces by inode, links by namespace and index). In a
/// ledger it is a JSON object whose `type` names the variant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
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
        kind: LinkKind,
        /// For a veth: where its other end is (ledgers written before
        /// peers were recorded have none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
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
        #[serde(default = "unicast")]
        kind: String,
        metric: Option<u32>,
        /// The routing table; None for the main table.
        table: Option<u32>,
        /// Who made it (RTPROT_*), when the script said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proto: Option<u8>,
    },
    /// A neighbour entry added in a namespace the run did not create.
    Neigh {
        ns: String,
        ns_id: Option<NsId>,
        index: u32,
        link: String,
        ip: String,
        /// A proxy entry (`ip neigh add proxy`), not a neighbour's address.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        proxy: bool,
    },
    /// A forwarding entry put on a link the run did not create.
    Fdb {
        ns: String,
        ns_id: Option<NsId>,
        index: u32,
        link: String,
        mac: String,
        /// A VXLAN entry's remote end, its network and port.
        dst: Option<String>,
        vni: Option<u32>,
        port: Option<u16>,
        vlan: Option<u16>,
        /// In the table of the link's bridge, not the link's own.
        master: bool,
        /// That bridge, as it was (teardown leaves an entry alone once the
        /// link is on another).
        #[serde(default)]
        bridge: Option<u32>,
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
    /// A policy routing rule added in a namespace the run did not create.
    Rule {
        ns: String,
        ns_id: Option<NsId>,
        v6: bool,
        priority: Option<u32>,
        /// Prefixes as `ip rule` writes them.
        from: Option<String>,
        to: Option<String>,
        iif: Option<String>,
        oif: Option<String>,
        fwmark: Option<u32>,
        table: u32,
    },
    /// A setting of a link the lab did not make (outside its namespaces),
    /// as it was before the lab changed it: teardown puts it back.
    Was {
        ns: String,
        ns_id: Option<NsId>,
        index: u32,
        /// The link's name once changed (so teardown knows it is the same).
        link: String,
        before: Before,
    },
    /// A sysctl the run changed in a namespace it did not create, with the
    /// value it had before (teardown writes it back).
    Sysctl {
        ns: String,
        ns_id: Option<NsId>,
        key: String,
        before: String,
    },
    /// The lab's nftables table in a namespace (its rules go with it).
    NftTable {
        ns: String,
        ns_id: Option<NsId>,
        /// "inet netscript_LAB", as nft names it.
        table: String,
        /// The run's mark in the table's comment ("netscript NONCE"):
        /// teardown deletes a table of that name only if it has it.
        #[serde(default)]
        nonce: String,
    },
    Process {
        pid: u32,
        start: u64,
        netns: String,
        /// The session of a program that leads its own process group
        /// (`spawn`'s): what it leaves in that group is the lab's too.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<u32>,
    },
    /// A file the run wrote (`lab::file`, `ns.etc_file`), with the
    /// directories it made for it, outermost first (removed if empty).
    File {
        path: String,
        #[serde(default)]
        dirs: Vec<String>,
    },
}

impl Object {
    /// Whether it is namespace `name`, or lives in it (and so goes with it).
    pub fn lives_in(&self, name: &str) -> bool {
        match self {
            Object::Netns { name: n, .. } | Object::Attached { name: n, .. } => n == name,
            Object::Process { netns, .. } => netns == name,
            Object::File { .. } => false,
            Object::Link { ns, .. }
            | Object::Addr { ns, .. }
            | Object::Route { ns, .. }
            | Object::Neigh { ns, .. }
            | Object::NftTable { ns, .. }
            | Object::Sysctl { ns, .. }
            | Object::Fdb { ns, .. }
            | Object::Qdisc { ns, .. }
            | Object::PortVlan { ns, .. }
            | Object::Rule { ns, .. }
            | Object::Was { ns, .. } => ns == name,
        }
    }

    /// For a setting (an address, route, neighbour entry, qdisc or bridge
    /// VLAN): the namespace it is in, by name and identity.
    pub fn setting_ns(&self) -> Option<(&str, Option<NsId>)> {
        match self {
            Object::Addr { ns, ns_id, .. }
            | Object::Route { ns, ns_id, .. }
            | Object::Neigh { ns, ns_id, .. }
            | Object::NftTable { ns, ns_id, .. }
            | Object::Sysctl { ns, ns_id, .. }
            | Object::Fdb { ns, ns_id, .. }
            | Object::Qdisc { ns, ns_id, .. }
            | Object::PortVlan { ns, ns_id, .. }
            | Object::Rule { ns, ns_id, .. }
            | Object::Was { ns, ns_id, .. } => Some((ns, *ns_id)),
            _ => None,
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
            Object::Neigh {
                ns,
                link,
                ip,
                proxy,
                ..
            } => {
                let what = if *proxy { "proxy entry" } else { "neighbour" };
                format!("{what} {ip} on {link} (in {ns})")
            }
            Object::Fdb {
                ns, link, mac, dst, ..
            } => {
                let to = dst.as_ref().map_or(String::new(), |d| format!(" to {d}"));
                format!("forwarding entry {mac}{to} on {link} (in {ns})")
            }
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
            Object::Rule { ns, .. } => {
                let spec = self.rule().map(|r| r.describe());
                format!("rule {} (in {ns})", spec.unwrap_or_default())
            }
            Object::Was {
                ns, link, before, ..
            } => {
                let was = before.describe(link);
                format!("{was} as before (in {ns})")
            }
            Object::NftTable { ns, table, .. } => format!("nftables table {table} (in {ns})"),
            Object::Sysctl {
                ns, key, before, ..
            } => format!("sysctl {key}: {before} as before (in {ns})"),
            Object::Process { pid, netns, .. } => format!("process {pid} (in {netns})"),
            Object::File { path, .. } => format!("file {path}"),
        }
    }

    /// A recorded rule as the one to delete.
    pub fn rule(&self) -> crate::error::Result<RuleSpec> {
        let Object::Rule {
            v6,
            priority,
            from,
            to,
            iif,
            oif,
            fwmark,
            table,
            ..
        } = self
        else {
            return Err(crate::error::Error::invalid(
                "read a rule",
                "not a rule record",
            ));
        };
        let prefix = |p: &Option<String>| p.as_deref().map(crate::cidr::parse).transpose();
        Ok(RuleSpec {
            v6: *v6,
            priority: *priority,
            from: prefix(from)?,
            to: prefix(to)?,
            iif: iif.clone(),
            oif: oif.clone(),
            fwmark: *fwmark,
            table: *table,
        })
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

    /// Whether this record is of what `intent` announced: a link by its
    /// namespace, name and kind (its index is known only once it is made),
    /// a veth also by its other end (the intent names the end outside the
    /// lab's namespaces, the record the one the script named), anything
    /// else exactly.
    pub fn fulfils(&self, intent: &Object) -> bool {
        if let (
            Object::Link {
                ns,
                ns_id,
                kind: LinkKind::Veth,
                peer: Some(p),
                ..
            },
            Object::Link {
                ns: i_ns,
                ns_id: i_id,
                kind: LinkKind::Veth,
                peer: Some(i_p),
                ..
            },
        ) = (self, intent)
            && (ns, ns_id) == (&i_p.ns, &i_p.ns_id)
            && (&p.ns, &p.ns_id) == (i_ns, i_id)
        {
            return true;
        }
        if let (Object::Rule { .. }, Object::Rule { priority: None, .. }) = (self, intent) {
            // A rule's priority is known once made if none was asked for.
            let mut asked = self.clone();
            if let Object::Rule { priority, .. } = &mut asked {
                *priority = None;
            }
            return asked == *intent;
        }
        match (self, intent) {
            (
                Object::Link {
                    ns: a,
                    ns_id: ai,
                    name: x,
                    kind: k,
                    ..
                },
                Object::Link {
                    ns: b,
                    ns_id: bi,
                    name: y,
                    kind: l,
                    ..
                },
            ) => a == b && ai == bi && x == y && k == l,
            _ => self == intent,
        }
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
}

fn unicast() -> String {
    "unicast".into()
}

#[cfg(test)]
#[path = "object_tests.rs"]
mod tests;
