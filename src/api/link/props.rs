//! The read-only properties of a Link (`l.name`, `l.mtu`, `l.peer`, ...),
//! its text form and equality.

use crate::api::convert::RhaiResultOf;
use crate::api::{Link, Netns, session};
use crate::netlink::LinkInfo;
use rhai::plugin::*;
use rhai::{Dynamic, INT};

#[export_module]
pub mod link_props {
    use super::*;

    /// The link's current name (it follows renames).
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.rename("c");
    /// print(l.name);   // c
    /// ```
    #[rhai_fn(global, get = "name", pure, volatile, return_raw)]
    pub fn name(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<String> {
        Ok(info(&ctx, l)?.name)
    }

    /// The interface index in its namespace.
    ///
    /// ```rhai
    /// print(link::get("lo").index);   // 1
    /// ```
    #[rhai_fn(global, get = "index", pure, volatile, return_raw)]
    pub fn index(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<INT> {
        Ok(info(&ctx, l)?.index as INT)
    }

    /// The link type: "veth", "bridge", "loopback", "dummy", … ("device" when the
    /// kernel reports none, e.g. a physical NIC).
    ///
    /// `ip -d link show` (the line after `link/ether`)
    ///
    /// ```rhai
    /// print(bridge::add("br0").kind);   // bridge
    /// ```
    #[rhai_fn(global, get = "kind", pure, volatile, return_raw)]
    pub fn kind(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<String> {
        Ok(info(&ctx, l)?.kind.to_string())
    }

    /// The MTU in bytes.
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// print(l.mtu);   // 1500
    /// ```
    #[rhai_fn(global, get = "mtu", pure, volatile, return_raw)]
    pub fn mtu(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<INT> {
        Ok(info(&ctx, l)?.mtu as INT)
    }

    /// The hardware address, as "aa:bb:cc:dd:ee:ff".
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// print(l.mac.len());   // 17
    /// ```
    #[rhai_fn(global, get = "mac", pure, volatile, return_raw)]
    pub fn mac(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<String> {
        Ok(info(&ctx, l)?.mac)
    }

    /// Whether the link has carrier (the `LOWER_UP` flag of `ip link`): a
    /// veth has it when both ends are up, a NIC when its cable is in.
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.up();
    /// print(l.carrier);   // false
    /// l.peer.up();
    /// print(l.carrier);   // true
    /// ```
    #[rhai_fn(global, get = "carrier", pure, volatile, return_raw)]
    pub fn carrier(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<bool> {
        Ok(info(&ctx, l)?.carrier)
    }

    /// The link's counters since it was made: `#{ rx_packets, tx_packets,
    /// rx_bytes, tx_bytes, rx_errors, tx_errors, rx_dropped, tx_dropped }`.
    ///
    /// `ip -s link show dev X`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let r2 = netns::add("r2");
    /// let a = link::add_veth("a", "b", #{ netns: r1, peer_netns: r2 });
    /// a.addr_add("10.0.0.1/24");
    /// a.peer.addr_add("10.0.0.2/24");
    /// a.up();
    /// a.peer.up();
    /// let before = a.stats().tx_packets;
    /// r1.ping("10.0.0.2");
    /// print(a.stats().tx_packets > before);   // true
    /// print(a.stats().rx_errors);             // 0
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn stats(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<rhai::Map> {
        let s = info(&ctx, l)?.stats;
        let count = |n: u64| Dynamic::from(INT::try_from(n).unwrap_or(INT::MAX));
        Ok([
            ("rx_packets", s.rx_packets),
            ("tx_packets", s.tx_packets),
            ("rx_bytes", s.rx_bytes),
            ("tx_bytes", s.tx_bytes),
            ("rx_errors", s.rx_errors),
            ("tx_errors", s.tx_errors),
            ("rx_dropped", s.rx_dropped),
            ("tx_dropped", s.tx_dropped),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), count(v)))
        .collect())
    }

    /// The link's description (`ip link`'s "alias"), "" for none.
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// print(l.alias == "");   // true
    /// ```
    #[rhai_fn(global, get = "alias", pure, volatile, return_raw)]
    pub fn alias(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<String> {
        Ok(info(&ctx, l)?.alias)
    }

    /// The length of the link's transmit queue, in packets (`qlen` in `ip link`).
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// print(l.txqueuelen);   // 1000
    /// ```
    #[rhai_fn(global, get = "txqueuelen", pure, volatile, return_raw)]
    pub fn txqueuelen(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<INT> {
        Ok(INT::from(info(&ctx, l)?.txqlen))
    }

    /// The administrative state: true after `up()` (the `UP` flag of `ip link`).
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// print(l.is_up);   // false
    /// l.up();
    /// print(l.is_up);   // true
    /// ```
    #[rhai_fn(global, get = "is_up", pure, volatile, return_raw)]
    pub fn is_up(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<bool> {
        Ok(info(&ctx, l)?.up)
    }

    /// The operational state as `ip link` prints it: "UP", "DOWN",
    /// "LOWERLAYERDOWN", "UNKNOWN", …
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.up();
    /// print(l.state);   // LOWERLAYERDOWN (the peer is still down)
    /// l.peer.up();
    /// print(l.state);   // UP
    /// ```
    #[rhai_fn(global, get = "state", pure, volatile, return_raw)]
    pub fn state(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<String> {
        Ok(info(&ctx, l)?.oper)
    }

    /// The namespace the link is in now (it follows moves).
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let l = link::add_veth("a", "b");
    /// l.set_netns(r1);
    /// print(l.netns.name);   // r1
    /// ```
    #[rhai_fn(global, get = "netns", pure, volatile, return_raw)]
    pub fn netns(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<Netns> {
        info(&ctx, l)?;
        Ok(Netns { ns: l.ns() })
    }

    /// The name of the bridge this link is a port of, or `()`.
    ///
    /// `ip link show dev X` (the `master` field)
    ///
    /// ```rhai
    /// let br = bridge::add("br0");
    /// let l = link::add_veth("a", "b");
    /// print(l.master == ());   // true
    /// l.set_master(br);
    /// print(l.master);   // br0
    /// ```
    #[rhai_fn(global, get = "master", pure, volatile, return_raw)]
    pub fn master(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<Dynamic> {
        let Some(master) = info(&ctx, l)?.master else {
            return Ok(Dynamic::UNIT);
        };
        session::read(&ctx, |net| {
            Ok(net.link_by_index(&l.ns(), master)?.name.into())
        })
    }

    /// The other end of a veth, in whatever namespace it is; `()` for other kinds.
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let v = link::add_veth("a", "b", #{ peer_netns: r1 });
    /// print(v.peer.name);         // b
    /// print(v.peer.netns.name);   // r1
    /// print(v.peer.peer.name);    // a
    /// ```
    #[rhai_fn(global, get = "peer", pure, volatile, return_raw)]
    pub fn peer(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<Dynamic> {
        let me = info(&ctx, l)?;
        session::read(&ctx, |net| {
            Ok(match net.peer_of(&l.ns(), &me)? {
                Some((ns, index)) => Dynamic::from(Link::new(ns, index)),
                None => Dynamic::UNIT,
            })
        })
    }

    /// Text form: `Link("eth0" in r1)`.
    #[rhai_fn(global, pure, volatile)]
    pub fn to_string(ctx: NativeCallContext, l: &mut Link) -> String {
        display(&ctx, l)
    }

    /// Debug form: `Link("eth0" in r1)`.
    #[rhai_fn(global, pure, volatile)]
    pub fn to_debug(ctx: NativeCallContext, l: &mut Link) -> String {
        display(&ctx, l)
    }

    /// Whether two handles are the same link.
    #[rhai_fn(global, name = "==", volatile)]
    pub fn same(a: Link, b: Link) -> bool {
        a.same_link(&b)
    }

    /// Whether two handles are different links.
    #[rhai_fn(global, name = "!=", volatile)]
    pub fn different(a: Link, b: Link) -> bool {
        !a.same_link(&b)
    }
}

/// The link as the kernel has it now.
fn info(ctx: &NativeCallContext, l: &Link) -> RhaiResultOf<LinkInfo> {
    session::read(ctx, |net| {
        l.check()?;
        net.link_by_index(&l.ns(), l.index())
    })
}

fn display(ctx: &NativeCallContext, l: &Link) -> String {
    match session::read(ctx, |net| net.link_by_index(&l.ns(), l.index())) {
        Ok(info) => format!("Link(\"{}\" in {})", info.name, l.ns().name()),
        Err(_) => format!("Link(#{} in {}, gone)", l.index(), l.ns().name()),
    }
}
