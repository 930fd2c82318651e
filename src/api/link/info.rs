//! `l.info()`: everything `ip -d link show` says about one link, as a map.

use rhai::plugin::*;
use rhai::{Dynamic, INT, Map};

use crate::api::convert::RhaiResultOf;
use crate::api::{Link, session};
use crate::netlink::Detail;

#[export_module]
pub mod link_info {
    use super::*;

    /// The link in one map: `name`, `index`, `kind`, `mtu`, `mac`, `up`,
    /// `carrier`, `state`, `alias`, `txqueuelen`, `master` (the bridge's name
    /// or `()`), `peer` (a veth's other end, a Link), and what its kind adds,
    /// named as the options that set it: a VXLAN's `id`, `remote` or
    /// `group`, `local`, `port`, `srcport` ([low, high]), `ttl` (0: the
    /// kernel's default), `tos` (1: inherited), `learning`, `ageing`,
    /// `proxy`, `udpcsum`; a VLAN's `id` and `protocol`; a macvlan's `mode`; a
    /// bridge's `stp`, `ageing`, `vlan_filtering`, `mcast_snooping`,
    /// `mcast_querier`; a VRF's `table`.
    ///
    /// `ip -d link show dev X`
    ///
    /// ```rhai
    /// let vx = link::add_vxlan("vx0", #{ id: 42, remote: "192.0.2.2", learning: false, ttl: 8 });
    /// let i = vx.info();
    /// print(`${i.kind} ${i.id} ${i.remote} ${i.port} ${i.learning} ${i.ttl}`);   // vxlan 42 192.0.2.2 4789 false 8
    /// let br = bridge::add("br0", #{ stp: true });
    /// print(br.info().stp);   // true
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn info(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<Map> {
        session::read(&ctx, |net| {
            l.check()?;
            let (ns, index) = (l.ns(), l.index());
            let i = net.link_by_index(&ns, index)?;
            let master = match i.master {
                Some(m) => net.link_by_index(&ns, m)?.name.into(),
                None => Dynamic::UNIT,
            };
            let peer = net
                .peer_of(&ns, &i)?
                .map_or(Dynamic::UNIT, |(ns, at)| Dynamic::from(Link::new(ns, at)));
            let mut map: Map = [
                ("name", i.name.clone().into()),
                ("index", INT::from(i.index).into()),
                ("kind", i.kind.as_str().into()),
                ("mtu", INT::from(i.mtu).into()),
                ("mac", i.mac.clone().into()),
                ("up", i.up.into()),
                ("carrier", i.carrier.into()),
                ("state", i.oper.clone().into()),
                ("alias", i.alias.clone().into()),
                ("txqueuelen", INT::from(i.txqlen).into()),
                ("master", master),
                ("peer", peer),
            ]
            .into_iter()
            .map(|(k, v)| (k.into(), v))
            .collect();
            for (key, value) in net.link_details(&ns, index)? {
                map.insert(key.into(), detail(value));
            }
            Ok(map)
        })
    }
}

fn detail(d: Detail) -> Dynamic {
    match d {
        Detail::Int(n) => n.into(),
        Detail::Bool(b) => b.into(),
        Detail::Text(t) => t.into(),
        Detail::Range(lo, hi) => vec![Dynamic::from(INT::from(lo)), INT::from(hi).into()].into(),
    }
}
