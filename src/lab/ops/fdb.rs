//! Forwarding entries of bridges and VXLAN links. One added on a link the
//! lab did not make, outside its namespaces, is recorded on its own
//! (written ahead), so that teardown removes it.

use super::{Op, ip_n, q};
use crate::error::{Error, Kind, Result};
use crate::lab::Object;
use crate::netlink::{Detail, FdbSpec, FdbWrite, LinkInfo, LinkKind};
use crate::ns::Ns;

impl Op<'_> {
    /// `bridge fdb add|append MAC dev DEV ...`.
    pub fn fdb_add(&self, ns: &Ns, dev: &LinkInfo, entry: FdbSpec, append: bool) -> Result<()> {
        self.fdb_add_as(ns, dev, entry, append, &|e| self.learned(ns, e))
    }

    /// `fdb_add`, told by `learned` whether the bridge learned an entry's
    /// MAC (many entries at once ask a table read once, not per entry).
    pub(super) fn fdb_add_as(
        &self,
        ns: &Ns,
        dev: &LinkInfo,
        entry: FdbSpec,
        append: bool,
        learned: &dyn Fn(&FdbSpec) -> Result<bool>,
    ) -> Result<()> {
        let mut entry = self.placed(ns, dev, entry, append)?;
        let mac = crate::mac::format(&entry.mac);
        if append {
            // The kernel takes a second append of one remote without a
            // word, and gives an existing entry the state asked for: said
            // here, and its state kept, so that the lab never records (and
            // removes) another's remote nor changes its entry.
            let defaults = self.remote_defaults(ns, dev);
            let known: Vec<_> = self
                .net
                .fdb(ns)?
                .into_iter()
                .filter(|e| e.dev == dev.index && e.mac == mac)
                .collect();
            let same = |v: Option<u32>, p: Option<u16>| {
                (v.or(defaults.0), p.or(defaults.1))
                    == (entry.vni.or(defaults.0), entry.port.or(defaults.1))
            };
            if known
                .iter()
                .any(|e| e.dst == entry.dst && same(e.vni, e.port))
            {
                let to = entry.dst.map(|d| d.to_string()).unwrap_or_default();
                let e = Error::new(
                    Kind::Exists,
                    format!("append forwarding entry {mac}"),
                    format!("{mac} already goes to {to} on \"{}\"", dev.name),
                );
                return Err(e
                    .in_netns(ns.name())
                    .with_help("it is there already; delete it first to make it the lab's"));
            }
            if let Some(e) = known.first() {
                entry.state = if e.state == "learned" {
                    "dynamic"
                } else {
                    e.state
                };
            }
        }
        let entry = &entry;
        let record = (!self.lab.made_link(ns.name(), dev.index) && self.outlives(ns))
            .then(|| record(ns, dev, entry));
        let how = self.ahead(record.as_slice(), || {
            self.write_fdb(ns, entry, append, learned)
        })?;
        let verb = match how {
            FdbWrite::Add => "add",
            FdbWrite::Append => "append",
            FdbWrite::Replace => "replace",
        };
        self.change(|| command(verb, ns, dev, entry));
        self.confirm(record.into_iter().collect())
    }

    /// `bridge fdb del MAC dev DEV ...`.
    pub fn fdb_del(&self, ns: &Ns, dev: &LinkInfo, entry: FdbSpec) -> Result<()> {
        let entry = &self.placed(ns, dev, entry, false)?;
        self.net.fdb_del(ns, entry)?;
        self.change(|| command("del", ns, dev, entry));
        // Without `dst`, every remote of the MAC went; with it, the one of
        // that network and port (the link's own when not given).
        let d = match entry.dst {
            Some(_) => self.remote_defaults(ns, dev),
            None => (None, None),
        };
        let mac = crate::mac::format(&entry.mac);
        self.lab.removed(|o| {
            matches!(o, Object::Fdb { ns: n, index, mac: m, dst, vni, port, vlan, master, .. }
                if n == ns.name() && *index == dev.index && *m == mac && *vlan == entry.vlan && *master == entry.master
                    && (entry.dst.is_none()
                        || (*dst == entry.dst.map(|d| d.to_string())
                            && vni.or(d.0) == entry.vni.or(d.0)
                            && port.or(d.1) == entry.port.or(d.1))))
        });
        Ok(())
    }

    /// Write `entry`: appended, or added; a MAC its bridge had learned
    /// gives way (the entry pins it to the port, as asked), while one
    /// someone added stays theirs (EEXIST). How it was written.
    fn write_fdb(
        &self,
        ns: &Ns,
        entry: &FdbSpec,
        append: bool,
        learned: &dyn Fn(&FdbSpec) -> Result<bool>,
    ) -> Result<FdbWrite> {
        if append {
            return self
                .net
                .fdb_add(ns, entry, FdbWrite::Append)
                .map(|_| FdbWrite::Append);
        }
        match self.net.fdb_add(ns, entry, FdbWrite::Add) {
            Err(e) if e.kind == Kind::Exists && entry.master && learned(entry)? => self
                .net
                .fdb_add(ns, entry, FdbWrite::Replace)
                .map(|_| FdbWrite::Replace),
            written => written.map(|_| FdbWrite::Add),
        }
    }

    /// Whether the bridge of a port's `entry` learned its MAC.
    fn learned(&self, ns: &Ns, entry: &FdbSpec) -> Result<bool> {
        let mac = crate::mac::format(&entry.mac);
        Ok(self.net.fdb(ns)?.iter().any(|e| {
            e.mac == mac && e.master == entry.bridge && e.vlan == entry.vlan && e.state == "learned"
        }))
    }

    /// Which table the entry goes in: a VXLAN link's or a bridge's own, or
    /// for a port of a bridge its bridge's; and what that table takes.
    fn placed(&self, ns: &Ns, dev: &LinkInfo, mut entry: FdbSpec, append: bool) -> Result<FdbSpec> {
        let action = format!("change the forwarding entries of \"{}\"", dev.name);
        entry.dev = dev.index;
        let remote = entry.dst.is_some() || entry.vni.is_some() || entry.port.is_some();
        let port = dev.master.is_some_and(|m| {
            self.net
                .link_by_index(ns, m)
                .is_ok_and(|b| b.kind == LinkKind::Bridge)
        });
        let flood = entry.mac == [0; 6] || entry.mac[0] & 1 == 1;
        let why = if dev.kind == LinkKind::Vxlan {
            entry.master = false;
            match (append, entry.dst, entry.vlan) {
                (true, None, _) => "fdb_append adds a remote: it needs `dst`",
                (true, _, _) if !flood => {
                    "fdb_append adds remotes for 00:00:00:00:00:00 or a multicast MAC; a unicast MAC has one remote: use fdb_add"
                }
                (_, _, Some(_)) => "a VXLAN link's entries have no `vlan`",
                _ => return Ok(entry),
            }
        } else if dev.kind == LinkKind::Bridge || port {
            entry.master = dev.kind != LinkKind::Bridge;
            entry.bridge = if entry.master {
                dev.master
            } else {
                Some(dev.index)
            };
            if append {
                "only a VXLAN link keeps several remotes for one MAC (fdb_append)"
            } else if entry.state == "dynamic" {
                "a bridge takes static or permanent entries; dynamic ones it learns itself"
            } else if remote {
                "`dst`, `vni` and `port` are for a VXLAN link's entries"
            } else {
                return Ok(entry);
            }
        } else {
            "it is neither a bridge, a port of a bridge nor a VXLAN link"
        };
        Err(Error::invalid(action, why).with_help(
            "put entries on a bridge port (for its bridge) or on a VXLAN link (with `dst`)",
        ))
    }

    /// A VXLAN link's own network and port: what its entries mean when
    /// they do not say (the kernel lists them only when they differ).
    fn remote_defaults(&self, ns: &Ns, dev: &LinkInfo) -> (Option<u32>, Option<u16>) {
        if dev.kind != LinkKind::Vxlan {
            return (None, None);
        }
        let details = self.net.link_details(ns, dev.index).unwrap_or_default();
        let int = |key: &str| {
            details.iter().find_map(|(k, v)| match v {
                Detail::Int(n) if *k == key => Some(*n),
                _ => None,
            })
        };
        (
            int("id").and_then(|n| u32::try_from(n).ok()),
            int("port").and_then(|n| u16::try_from(n).ok()),
        )
    }
}

fn record(ns: &Ns, dev: &LinkInfo, entry: &FdbSpec) -> Object {
    Object::Fdb {
        ns: ns.name().to_string(),
        ns_id: ns.id(),
        index: dev.index,
        link: dev.name.clone(),
        mac: crate::mac::format(&entry.mac),
        dst: entry.dst.map(|d| d.to_string()),
        vni: entry.vni,
        port: entry.port,
        vlan: entry.vlan,
        master: entry.master,
        bridge: entry.bridge,
    }
}

fn command(verb: &str, ns: &Ns, dev: &LinkInfo, entry: &FdbSpec) -> String {
    let mac = crate::mac::format(&entry.mac);
    let words = if verb == "del" {
        entry.place_words()
    } else {
        entry.words()
    };
    format!(
        "bridge {}fdb {verb} {mac} dev {}{words}",
        ip_n(ns),
        q(&dev.name)
    )
}
