//! `l.fdb()`, `l.fdb_add`, `l.fdb_append`, `l.fdb_del`: the forwarding
//! database of a bridge or VXLAN link.

use rhai::plugin::*;
use rhai::{Array, Dynamic, INT, Map};

use crate::api::Link;
use crate::api::convert::{RhaiResultOf, check_options, int_option, option};
use crate::api::link::on;
use crate::api::session;
use crate::error::{Error, Result};
use crate::netlink::{FdbEntry, FdbSpec};

#[export_module]
pub mod link_fdb {
    use super::*;

    /// The forwarding database entries of this link: for a bridge, those of
    /// its ports and its own; for a port or a VXLAN link, its own. Each is
    /// `#{ mac, dev, state }` with `state` "permanent" (a link's own
    /// address), "static" (added) or "learned" (seen in traffic), and, when
    /// present, `vlan`, `dst`, `vni` and `port` (a VXLAN entry's remote end,
    /// network and UDP port), and `self: true` for an entry of the link itself rather
    /// than of its bridge.
    ///
    /// `bridge -n NS fdb show br BR` (or `dev DEV`)
    ///
    /// ```rhai
    /// let h1 = netns::add("h1");
    /// let h2 = netns::add("h2");
    /// let br = bridge::add("br0");
    /// br.up();
    /// let a = link::add_veth("eth0", "p1", #{ netns: h1 });
    /// let b = link::add_veth("eth0", "p2", #{ netns: h2 });
    /// for l in [a, b] { l.peer.set_master(br); l.peer.up(); l.up(); }
    /// a.addr_add("10.0.0.1/24");
    /// b.addr_add("10.0.0.2/24");
    /// h1.ping("10.0.0.2");
    /// let learned = br.fdb().filter(|e| e.state == "learned" && e.mac == a.mac);
    /// print(learned.map(|e| e.dev));   // ["p1"]
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn fdb(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<Array> {
        let (entries, links) = session::read(&ctx, |net| {
            l.check()?;
            Ok((net.fdb(&l.ns())?, net.links(&l.ns())?))
        })?;
        let me = l.index();
        let name_of = |i: u32| {
            links
                .iter()
                .find(|k| k.index == i)
                .map_or(Dynamic::UNIT, |k| k.name.clone().into())
        };
        Ok(entries
            .into_iter()
            .filter(|e| e.dev == me || (e.master == Some(me) && !e.on_self))
            .map(|e| entry_map(&e, name_of(e.dev)))
            .collect())
    }

    /// Add a forwarding entry for `mac`. On a bridge port it goes in its
    /// bridge's table (`bridge fdb add ... master static sticky`): frames to
    /// `mac` leave by this port, whatever the bridge learns (a MAC it had
    /// learned is pinned: `bridge fdb replace`). On a VXLAN link it says
    /// which remote end has `mac`: options `dst` (required there), `vni` and
    /// `port` (when not the link's own); the MAC 00:00:00:00:00:00 is where
    /// frames for unknown MACs and broadcasts go. Options: `vlan` (a bridge
    /// port's VLAN) and `state`: "static" (the default), "permanent" (on a
    /// bridge: the bridge's own address) or, on a VXLAN link, "dynamic" (ages
    /// out; read back as "learned"). An entry on a link the lab did not make
    /// is removed with the lab.
    ///
    /// `bridge fdb add MAC dev DEV [dst IP] [vni N] [port P] [vlan V] master|self static [sticky]`
    ///
    /// ```rhai
    /// let br = bridge::add("br0");
    /// let a = link::add_veth("a", "a-br");
    /// a.peer.set_master(br);
    /// a.peer.fdb_add("02:00:00:00:00:0a");
    /// print(br.fdb().filter(|e| e.mac == "02:00:00:00:00:0a"));   // [#{"dev": "a-br", "mac": "02:00:00:00:00:0a", "state": "static"}]
    /// ```
    #[rhai_fn(global, name = "fdb_add", pure, volatile, return_raw)]
    pub fn fdb_add_with(
        ctx: NativeCallContext,
        l: &mut Link,
        mac: &str,
        options: Map,
    ) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| {
            let entry = spec(mac, &options, true)?;
            op.fdb_add(ns, &op.net.link_by_index(ns, i)?, entry, false)
        })
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn fdb_add(ctx: NativeCallContext, l: &mut Link, mac: &str) -> RhaiResultOf<()> {
        fdb_add_with(ctx, l, mac, Map::new())
    }

    /// Add one more remote end for `mac` (00:00:00:00:00:00, or a multicast
    /// MAC) on a VXLAN link: with one `dst` per other end, a VXLAN link with
    /// `learning: false` sends broadcasts and unknown MACs to each (head-end
    /// replication), with no multicast in the underlay. An entry that was
    /// there keeps its state. Fails with kind "exists" if `mac` goes to that
    /// remote already (the kernel would take it without a word); a unicast
    /// MAC has one remote, given by `fdb_add`.
    ///
    /// `bridge fdb append MAC dev DEV dst IP [vni N] [port P] self static`
    ///
    /// ```rhai
    /// let vx = link::add_vxlan("vx0", #{ id: 42, learning: false });
    /// for far in ["192.0.2.2", "192.0.2.3"] {
    ///     vx.fdb_append("00:00:00:00:00:00", #{ dst: far });
    /// }
    /// print(vx.fdb().map(|e| e.dst));   // ["192.0.2.2", "192.0.2.3"]
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn fdb_append(
        ctx: NativeCallContext,
        l: &mut Link,
        mac: &str,
        options: Map,
    ) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| {
            let entry = spec(mac, &options, true)?;
            op.fdb_add(ns, &op.net.link_by_index(ns, i)?, entry, true)
        })
    }

    /// Delete the forwarding entry for `mac` that `fdb_add` or `fdb_append`
    /// made (with `#{ dst }`, only that remote end of a VXLAN entry; with
    /// `vlan`, `vni` or `port`, the entry with those). Fails with kind
    /// "not_found" if there is none.
    ///
    /// `bridge fdb del MAC dev DEV [dst IP] [vni N] [port P] [vlan V] master|self`
    ///
    /// ```rhai
    /// let vx = link::add_vxlan("vx0", #{ id: 42 });
    /// vx.fdb_add("02:00:00:00:00:0b", #{ dst: "192.0.2.2" });
    /// vx.fdb_del("02:00:00:00:00:0b");
    /// print(vx.fdb().filter(|e| e.mac == "02:00:00:00:00:0b"));   // []
    /// ```
    #[rhai_fn(global, name = "fdb_del", pure, volatile, return_raw)]
    pub fn fdb_del_with(
        ctx: NativeCallContext,
        l: &mut Link,
        mac: &str,
        options: Map,
    ) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| {
            let entry = spec(mac, &options, false)?;
            op.fdb_del(ns, &op.net.link_by_index(ns, i)?, entry)
        })
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn fdb_del(ctx: NativeCallContext, l: &mut Link, mac: &str) -> RhaiResultOf<()> {
        fdb_del_with(ctx, l, mac, Map::new())
    }
}

/// An entry from a MAC and `#{ dst, vni, port, vlan, state }` (no state
/// for a delete); which table it goes in is the operation's to say.
fn spec(mac: &str, opts: &Map, adding: bool) -> Result<FdbSpec> {
    let keys: &[&str] = if adding {
        &["dst", "vni", "port", "vlan", "state"]
    } else {
        &["dst", "vni", "port", "vlan"]
    };
    check_options("change a forwarding entry", opts, keys)?;
    let dst = option(opts, "dst", |v| {
        v.to_string().parse().map_err(|_| {
            Error::invalid(
                format!("use {v} as option `dst`"),
                "not an IPv4 or IPv6 address",
            )
            .with_help("the remote end's underlay address, like 192.0.2.2")
        })
    })?;
    let state = option(opts, "state", |v| match v.to_string().as_str() {
        "static" => Ok("static"),
        "permanent" => Ok("permanent"),
        "dynamic" => Ok("dynamic"),
        other => Err(Error::invalid(
            format!("use {other:?} as a forwarding entry's state"),
            "the states are static, permanent, dynamic",
        )),
    })?;
    Ok(FdbSpec {
        mac: crate::mac::parse(mac).map_err(|e| e.at_arg(0))?,
        dev: 0,
        master: false,
        vlan: int_option(opts, "vlan", 1..=4094)?.map(|n| n as u16),
        dst,
        vni: int_option(opts, "vni", 0..=0xff_ffff)?.map(|n| n as u32),
        port: int_option(opts, "port", 1..=65535)?.map(|n| n as u16),
        state: state.unwrap_or("static"),
        bridge: None,
    })
}

fn entry_map(e: &FdbEntry, dev: Dynamic) -> Dynamic {
    let mut m = Map::new();
    m.insert("mac".into(), e.mac.clone().into());
    m.insert("dev".into(), dev);
    m.insert("state".into(), e.state.into());
    if let Some(v) = e.vlan {
        m.insert("vlan".into(), INT::from(v).into());
    }
    if let Some(d) = e.dst {
        m.insert("dst".into(), d.to_string().into());
    }
    if let Some(v) = e.vni {
        m.insert("vni".into(), INT::from(v).into());
    }
    if let Some(p) = e.port {
        m.insert("port".into(), INT::from(p).into());
    }
    if e.on_self {
        m.insert("self".into(), true.into());
    }
    Dynamic::from_map(m)
}
