//! Forwarding entries of bridges and VXLAN links. One added on a link the
//! lab did not make, outside its namespaces, is recorded on its own
//! (written ahead), so that teardown removes it.

use super::{Op, ip_n, q};
use crate::error::{Error, Kind, Result};
use crate::lab::Object;
use crate::netlink::{FdbSpec, LinkInfo, LinkKind};
use crate::ns::Ns;

impl Op<'_> {
    /// `bridge fdb add|append MAC dev DEV ...`.
    pub fn fdb_add(&self, ns: &Ns, dev: &LinkInfo, entry: FdbSpec, append: bool) -> Result<()> {
        let entry = &placed(dev, entry, append)?;
        // The kernel takes a second append of one remote without a word:
        // said here, so that the lab never records (and removes) another's.
        if append && self.has_remote(ns, entry)? {
            let mac = crate::mac::format(&entry.mac);
            let dst = entry.dst.map(|d| d.to_string()).unwrap_or_default();
            let e = Error::new(
                Kind::Exists,
                format!("append forwarding entry {mac}"),
                format!("{mac} already goes to {dst} on \"{}\"", dev.name),
            );
            return Err(e
                .in_netns(ns.name())
                .with_help("it is there already; delete it first to make it the lab's"));
        }
        let record = (!self.lab.made_link(ns.name(), dev.index) && self.outlives(ns))
            .then(|| record(ns, dev, entry));
        self.ahead(record.as_slice(), || self.net.fdb_add(ns, entry, append))?;
        let verb = if append { "append" } else { "add" };
        self.change(|| command(verb, ns, dev, entry));
        self.confirm(record.into_iter().collect())
    }

    /// `bridge fdb del MAC dev DEV ...`.
    pub fn fdb_del(&self, ns: &Ns, dev: &LinkInfo, entry: FdbSpec) -> Result<()> {
        let entry = &placed(dev, entry, false)?;
        self.net.fdb_del(ns, entry)?;
        self.change(|| command("del", ns, dev, entry));
        let gone = record(ns, dev, entry);
        // Without `dst`, every remote of the MAC went.
        self.lab.removed(|o| match (o, &gone) {
            (
                Object::Fdb {
                    ns: n,
                    index,
                    mac,
                    dst,
                    vlan,
                    master,
                    ..
                },
                Object::Fdb {
                    mac: m,
                    dst: d,
                    vlan: v,
                    master: ma,
                    ..
                },
            ) => {
                n == ns.name()
                    && *index == dev.index
                    && mac == m
                    && vlan == v
                    && master == ma
                    && (d.is_none() || dst == d)
            }
            _ => false,
        });
        Ok(())
    }
}

/// Which table the entry goes in: a VXLAN link's or a bridge's own, or
/// for a bridge port its bridge's; and what that table takes.
fn placed(dev: &LinkInfo, mut entry: FdbSpec, append: bool) -> Result<FdbSpec> {
    let action = format!("change the forwarding entries of \"{}\"", dev.name);
    entry.dev = dev.index;
    let remote = entry.dst.is_some() || entry.vni.is_some() || entry.port.is_some();
    let why = if dev.kind == LinkKind::Vxlan {
        entry.master = false;
        match (append, entry.dst, entry.vlan) {
            (true, None, _) => "fdb_append adds a remote: it needs `dst`",
            (_, _, Some(_)) => "a VXLAN link's entries have no `vlan`",
            _ => return Ok(entry),
        }
    } else if dev.kind == LinkKind::Bridge || dev.master.is_some() {
        entry.master = dev.kind != LinkKind::Bridge;
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
        "it is neither a bridge, a bridge port nor a VXLAN link"
    };
    Err(Error::invalid(action, why)
        .with_help("put entries on a bridge port (for its bridge) or on a VXLAN link (with `dst`)"))
}

impl Op<'_> {
    /// Whether the VXLAN link already sends `entry`'s MAC to its remote.
    fn has_remote(&self, ns: &Ns, entry: &FdbSpec) -> Result<bool> {
        let mac = crate::mac::format(&entry.mac);
        Ok(self.net.fdb(ns)?.iter().any(|e| {
            e.dev == entry.dev
                && e.mac == mac
                && e.dst == entry.dst
                && (entry.vni.is_none() || e.vni == entry.vni)
                && (entry.port.is_none() || e.port == entry.port)
        }))
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
    }
}

fn command(verb: &str, ns: &Ns, dev: &LinkInfo, entry: &FdbSpec) -> String {
    let mac = crate::mac::format(&entry.mac);
    let mut words = entry.words();
    if verb == "del" {
        // `del` takes no state.
        words.truncate(words.rfind(' ').unwrap_or(words.len()));
    }
    format!(
        "bridge {}fdb {verb} {mac} dev {}{words}",
        ip_n(ns),
        q(&dev.name)
    )
}
