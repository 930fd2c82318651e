//! Undoing what a lab set on things that outlive it: addresses, routes,
//! neighbour and forwarding entries, qdiscs and bridge VLANs it added, and
//! the settings of links it did not make, put back as they were.

use crate::lab::{Before, Object};
use crate::netlink::{Netlink, RouteSpec};
use crate::ns::Ns;

/// Take off an address, route, neighbour entry, qdisc or bridge VLAN the
/// lab added in `ns` (or put back a bridge VLAN it took away, or a link
/// setting it changed).
pub(super) fn undo_setting(net: &Netlink, ns: &Ns, o: &Object) -> Result<(), Skip> {
    let done = match o {
        Object::Addr { index, cidr, .. } => {
            crate::cidr::parse(cidr).and_then(|c| net.addr_del(ns, *index, c))
        }
        Object::Route {
            dst,
            gateway,
            kind,
            metric,
            table,
            proto,
            ..
        } => RouteSpec::from_text(dst, gateway, kind, *metric, *table)
            .and_then(|r| net.route_del(ns, &RouteSpec { proto: *proto, ..r })),
        Object::Neigh {
            index, ip, proxy, ..
        } => match ip.parse() {
            Ok(ip) if *proxy => net.proxy(ns, *index, ip, false),
            Ok(ip) => net.neigh_del(ns, *index, ip),
            Err(_) => return Err(Skip::Failed(format!("{ip:?} is not an address"))),
        },
        Object::Fdb {
            index,
            link,
            master,
            bridge,
            ..
        } if !net
            .link_by_index(ns, *index)
            .is_ok_and(|l| l.name == *link && (!master || l.master == *bridge)) =>
        {
            return Err(gone("the link is gone, renamed or on another bridge"));
        }
        Object::Fdb { .. } => match fdb_spec(o) {
            Some(entry) => net.fdb_del(ns, &entry),
            None => return Err(Skip::Failed("a damaged record".into())),
        },
        Object::NftTable { table, nonce, .. } => return drop_table(ns, table, nonce),
        Object::Sysctl { key, before, .. } => ns
            .open()
            .and_then(|f| crate::sys::sysctl::write(&f, key, before)),
        Object::Qdisc { index, .. } => net.clear_qdisc(ns, *index),
        Object::PortVlan {
            index,
            link,
            bridge,
            vid,
            on_bridge,
            added,
            pvid,
            untagged,
            ..
        } => {
            // Only on the same link, still on the same bridge.
            let same = net.link_by_index(ns, *index).is_ok_and(|l| {
                l.name == *link
                    && if *on_bridge {
                        *index == *bridge
                    } else {
                        l.master == Some(*bridge)
                    }
            });
            if !same {
                return Err(gone("it is no longer a port of the bridge it was on"));
            }
            let v = crate::netlink::PortVlan {
                port: *index,
                vid: *vid,
                pvid: *pvid,
                untagged: *untagged,
            };
            net.bridge_vlan(ns, &v, *on_bridge, !*added)
        }
        Object::Rule { .. } => o.rule().and_then(|rule| net.rule_del(ns, &rule)),
        Object::Was {
            index,
            link,
            before,
            ..
        } => return restore(net, ns, *index, link, before),
        _ => Ok(()),
    };
    done.map_err(Skip::from)
}

/// Put back a setting of link `index` of `ns`, if it still is the link the
/// lab changed (by the name it left it with).
fn restore(net: &Netlink, ns: &Ns, index: u32, link: &str, before: &Before) -> Result<(), Skip> {
    match net.link_by_index(ns, index) {
        Ok(info) if info.name == link => {}
        Ok(_) => return Err(gone("the link at its place now has another name")),
        Err(_) => return Err(gone("the link is gone")),
    }
    match before {
        Before::Up(up) => net.set_up(ns, index, *up),
        Before::Mtu(mtu) => net.set_mtu(ns, index, *mtu),
        Before::Name(name) => net.rename(ns, index, name),
        Before::Master(master) => net.set_master(ns, index, *master),
        Before::Bridge {
            index: bridge,
            name,
        } => {
            let same = net
                .link_by_index(ns, *bridge)
                .is_ok_and(|b| b.name == *name && b.kind == crate::netlink::LinkKind::Bridge);
            if !same {
                return Err(gone("the bridge it was a port of is gone"));
            }
            net.set_master(ns, index, Some(*bridge))
        }
        Before::Mac(mac) => crate::mac::parse(mac).and_then(|m| net.set_mac(ns, index, m)),
        Before::Alias(alias) => net.set_alias(ns, index, alias),
        Before::Txqlen(len) => net.set_txqlen(ns, index, *len),
    }
    .map_err(Skip::from)
}

/// The entry a forwarding record names, to delete it.
fn fdb_spec(o: &Object) -> Option<crate::netlink::FdbSpec> {
    let Object::Fdb {
        index,
        mac,
        dst,
        vni,
        port,
        vlan,
        master,
        ..
    } = o
    else {
        return None;
    };
    Some(crate::netlink::FdbSpec {
        mac: crate::mac::parse(mac).ok()?,
        dev: *index,
        master: *master,
        vlan: *vlan,
        dst: match dst {
            Some(d) => Some(d.parse().ok()?),
            None => None,
        },
        vni: *vni,
        port: *port,
        state: "static",
        bridge: None,
    })
}

/// Why an object was not removed.
pub(super) enum Skip {
    /// It had gone, or what is there now is not what the lab made:
    /// nothing to do.
    Gone(String),
    /// Removing it failed: it is still there.
    Failed(String),
}

pub(super) fn gone(why: &str) -> Skip {
    Skip::Gone(why.to_string())
}

impl From<crate::error::Error> for Skip {
    fn from(e: crate::error::Error) -> Skip {
        if e.kind == crate::error::Kind::NotFound {
            Skip::Gone(e.reason)
        } else {
            Skip::Failed(e.reason)
        }
    }
}

/// Delete the lab's nftables table `table` in `ns`, if it still is the one
/// this lab's run made (its comment carries the run's `nonce`; a ledger
/// written before there were nonces has none).
fn drop_table(ns: &Ns, table: &str, nonce: &str) -> Result<(), Skip> {
    let file = ns.open().map_err(Skip::from)?;
    let listing =
        crate::sys::nft::run(&file, &format!("list table {table}")).map_err(Skip::from)?;
    if !nonce.is_empty() && !listing.contains(&format!("comment \"netscript {nonce}\"")) {
        return Err(gone(
            "the table of that name now is not the one the lab made",
        ));
    }
    crate::sys::nft::run(&file, &format!("delete table {table}"))
        .map(|_| ())
        .map_err(Skip::from)
}
