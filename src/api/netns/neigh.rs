//! `ns.neigh_add`, `ns.neigh_del`, `ns.neighs()`, `ns.neigh_flush`, and
//! proxy entries (`ns.proxy_add`, `ns.proxy_del`, `ns.proxies()`): `ip
//! neigh` as methods.

use std::net::IpAddr;

use rhai::plugin::*;
use rhai::{Array, Dynamic, INT, Map};

use crate::api::convert::{RhaiResultOf, link_in};
use crate::api::session::op;
use crate::api::{Link, LinkOrName, Netns};
use crate::error::{Error, Result};
use crate::lab::ops::{Op, ip_n};

#[export_module]
pub mod netns_neigh {
    use super::*;

    /// Add a permanent neighbour entry: `ip` is reached at `mac` through `dev` (a
    /// Link of this namespace, or its name). No ARP or neighbour discovery is
    /// needed for it afterwards. Fails with kind "exists" if `ip` already has an
    /// entry on that link.
    ///
    /// `ip -n NS neigh add IP lladdr MAC dev DEV`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let eth = link::add_veth("eth0", "peer0", #{ netns: r1 });
    /// r1.neigh_add("10.0.0.2", "02:00:00:00:00:02", eth);
    /// r1.neigh_add("2001:db8::2", "02:00:00:00:00:02", "eth0");
    /// print(r1.neighs()[0]);   // #{"dev": "eth0", "ip": "10.0.0.2", "mac": "02:00:00:00:00:02", "state": "permanent"}
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn neigh_add(
        ctx: NativeCallContext,
        ns: &mut Netns,
        ip: &str,
        mac: &str,
        dev: Link,
    ) -> RhaiResultOf<()> {
        op(&ctx, |op| add(op, ns, ip, mac, &Dynamic::from(dev)))
    }

    #[rhai_fn(global, name = "neigh_add", pure, volatile, return_raw)]
    pub fn neigh_add_named(
        ctx: NativeCallContext,
        ns: &mut Netns,
        ip: &str,
        mac: &str,
        dev: &str,
    ) -> RhaiResultOf<()> {
        op(&ctx, |op| add(op, ns, ip, mac, &dev.into()))
    }

    /// Delete the neighbour entry of `ip` on `dev` (a Link or its name). Fails
    /// with kind "not_found" if there is none.
    ///
    /// `ip -n NS neigh del IP dev DEV`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let eth = link::add_veth("eth0", "peer0", #{ netns: r1 });
    /// r1.neigh_add("10.0.0.2", "02:00:00:00:00:02", eth);
    /// r1.neigh_del("10.0.0.2", eth);
    /// print(r1.neighs());   // []
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn neigh_del(
        ctx: NativeCallContext,
        ns: &mut Netns,
        ip: &str,
        dev: Link,
    ) -> RhaiResultOf<()> {
        op(&ctx, |op| del(op, ns, ip, &Dynamic::from(dev)))
    }

    #[rhai_fn(global, name = "neigh_del", pure, volatile, return_raw)]
    pub fn neigh_del_named(
        ctx: NativeCallContext,
        ns: &mut Netns,
        ip: &str,
        dev: &str,
    ) -> RhaiResultOf<()> {
        op(&ctx, |op| del(op, ns, ip, &dev.into()))
    }

    /// The neighbour (ARP and NDP) entries of this namespace: maps of `ip`,
    /// `mac` ("" while unresolved), `dev` (the link's name) and `state`
    /// ("permanent", "reachable", "stale", "failed", ...). As `ip neigh show`,
    /// it leaves out the kernel's own multicast and broadcast mappings (states
    /// "noarp" and "none").
    ///
    /// `ip -n NS neigh show`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let eth = link::add_veth("eth0", "peer0", #{ netns: r1 });
    /// r1.neigh_add("10.0.0.9", "02:00:00:00:00:09", eth);
    /// for e in r1.neighs() { print(`${e.ip} ${e.mac} ${e.state}`); }   // 10.0.0.9 02:00:00:00:00:09 permanent
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn neighs(ctx: NativeCallContext, ns: &mut Netns) -> RhaiResultOf<Array> {
        let (links, entries) = op(&ctx, |op| {
            op.look(|| format!("ip {}neigh show", ip_n(&ns.ns)));
            Ok((op.net.links(&ns.ns)?, op.net.neighs(&ns.ns)?))
        })?;
        // As `ip neigh show`: not the kernel's own multicast and broadcast
        // mappings (state noarp).
        Ok(entries
            .into_iter()
            .filter(|e| e.state != "noarp" && e.state != "none")
            .map(|e| {
                let dev = links
                    .iter()
                    .find(|l| l.index == e.index)
                    .map_or(String::new(), |l| l.name.clone());
                let mut map = Map::new();
                map.insert("ip".into(), e.ip.to_string().into());
                map.insert("mac".into(), e.mac.into());
                map.insert("dev".into(), dev.into());
                map.insert("state".into(), e.state.into());
                Dynamic::from_map(map)
            })
            .collect())
    }

    /// Forget the neighbour entries this namespace learned (on `dev` only,
    /// given a Link or a name), so the next packet asks again: what a test of
    /// a changed topology needs. Permanent entries stay. Returns how many
    /// went.
    ///
    /// `ip -n NS neigh flush all` (`dev DEV`)
    ///
    /// ```rhai
    /// let a = netns::add("a");
    /// let b = netns::add("b");
    /// let e = link::add_veth("eth0", "eth0", #{ netns: a, peer_netns: b });
    /// e.addr_add("10.0.0.1/24");
    /// e.peer.addr_add("10.0.0.2/24");
    /// e.up();
    /// e.peer.up();
    /// a.ping("10.0.0.2");
    /// print(a.neigh_flush());   // 1
    /// print(a.neighs());        // []
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn neigh_flush(ctx: NativeCallContext, ns: &mut Netns) -> RhaiResultOf<INT> {
        op(&ctx, |op| Ok(op.neigh_flush(&ns.ns, None)? as INT))
    }

    #[rhai_fn(global, name = "neigh_flush", pure, volatile, return_raw)]
    pub fn neigh_flush_on(
        ctx: NativeCallContext,
        ns: &mut Netns,
        dev: LinkOrName,
    ) -> RhaiResultOf<INT> {
        op(&ctx, |op| {
            let dev = link_in(op.net, &ns.ns, &dev)?;
            Ok(op.neigh_flush(&ns.ns, Some(&dev))? as INT)
        })
    }

    /// Answer ARP requests (IPv4) or neighbour solicitations (IPv6) for `ip`
    /// arriving on `dev` (a Link or its name) with this namespace's MAC, as a
    /// router does for hosts it stands in for (`ip neigh add proxy`). Takes
    /// effect with forwarding on and a route to `ip` through another link,
    /// and for IPv6 `net.ipv6.conf.DEV.proxy_ndp` = 1. Fails with kind "exists" if `ip` is proxied on `dev` already.
    ///
    /// `ip -n NS neigh add proxy IP dev DEV`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let eth = link::add_veth("eth0", "peer0", #{ netns: r1 });
    /// r1.proxy_add("10.0.0.7", eth);
    /// print(r1.proxies());   // [#{"dev": "eth0", "ip": "10.0.0.7"}]
    /// r1.proxy_del("10.0.0.7", "eth0");
    /// print(r1.proxies());   // []
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn proxy_add(
        ctx: NativeCallContext,
        ns: &mut Netns,
        ip: &str,
        dev: LinkOrName,
    ) -> RhaiResultOf<()> {
        op(&ctx, |op| {
            op.proxy(&ns.ns, &link_in(op.net, &ns.ns, &dev)?, parse_ip(ip)?, true)
        })
    }

    /// Stop answering for `ip` on `dev` (a Link or its name), as `proxy_add`
    /// began. Fails with kind "not_found" if it is not proxied there.
    ///
    /// `ip -n NS neigh del proxy IP dev DEV`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// link::add_veth("eth0", "peer0", #{ netns: r1 });
    /// r1.proxy_add("2001:db8::7", "eth0");
    /// r1.proxy_del("2001:db8::7", "eth0");
    /// print(r1.proxies());   // []
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn proxy_del(
        ctx: NativeCallContext,
        ns: &mut Netns,
        ip: &str,
        dev: LinkOrName,
    ) -> RhaiResultOf<()> {
        op(&ctx, |op| {
            op.proxy(
                &ns.ns,
                &link_in(op.net, &ns.ns, &dev)?,
                parse_ip(ip)?,
                false,
            )
        })
    }

    /// The addresses this namespace answers for (`proxy_add`), each
    /// `#{ ip, dev }`.
    ///
    /// `ip -n NS neigh show proxy`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// link::add_veth("eth0", "peer0", #{ netns: r1 });
    /// r1.proxy_add("10.0.0.7", "eth0");
    /// print(r1.proxies());   // [#{"dev": "eth0", "ip": "10.0.0.7"}]
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn proxies(ctx: NativeCallContext, ns: &mut Netns) -> RhaiResultOf<Array> {
        let (links, entries) = op(&ctx, |op| {
            op.look(|| format!("ip {}neigh show proxy", ip_n(&ns.ns)));
            Ok((op.net.links(&ns.ns)?, op.net.proxies(&ns.ns)?))
        })?;
        let name = |i: u32| {
            links
                .iter()
                .find(|l| l.index == i)
                .map_or(String::new(), |l| l.name.clone())
        };
        Ok(entries
            .into_iter()
            .map(|(ip, i)| {
                Dynamic::from_map(
                    [
                        ("ip".into(), ip.to_string().into()),
                        ("dev".into(), name(i).into()),
                    ]
                    .into(),
                )
            })
            .collect())
    }
}

fn add(op: &Op, ns: &Netns, ip: &str, mac: &str, dev: &Dynamic) -> Result<()> {
    let addr = parse_ip(ip)?;
    let lladdr = crate::mac::parse(mac)?;
    let dev = link_in(op.net, &ns.ns, dev)?;
    op.neigh_add(&ns.ns, &dev, addr, (lladdr, mac))
}

fn del(op: &Op, ns: &Netns, ip: &str, dev: &Dynamic) -> Result<()> {
    let addr = parse_ip(ip)?;
    let dev = link_in(op.net, &ns.ns, dev)?;
    op.neigh_del(&ns.ns, &dev, addr)
}

fn parse_ip(text: &str) -> Result<IpAddr> {
    text.parse().map_err(|_| {
        Error::invalid(
            format!("use {text:?} as a neighbour address"),
            "not an IPv4 or IPv6 address",
        )
        .with_help("give a plain address like 10.0.0.2, without a prefix length")
        .about(text)
    })
}
