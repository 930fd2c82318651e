//! The `link` module: creating and finding links (`ip link`). Veth pairs,
//! dummies and lookups here; links on a parent (VLAN, macvlan), VXLAN and
//! VRF in files of their own.

mod on_parent;
mod vrf;
mod vxlan;

use rhai::plugin::*;
use rhai::{Array, Dynamic, Map, Module};

use crate::api::Link;
use crate::api::convert::{RhaiResultOf, check_options, ns_arg, option};
use crate::api::session::{self, op};
use crate::error::Result;
use crate::ns::Ns;

/// The whole `link` module.
pub(in crate::api) fn module() -> Module {
    let mut m = exported_module!(link_module);
    m.combine_flatten(exported_module!(on_parent::link_on_parent));
    m.combine_flatten(exported_module!(vxlan::link_vxlan));
    m.combine_flatten(exported_module!(vrf::link_vrf));
    m
}

/// `#{ netns }`: where a link goes (`default` when not given).
fn target(opts: &Map, default: Ns) -> Result<Ns> {
    Ok(option(opts, "netns", |v| ns_arg("option `netns`", v))?.unwrap_or(default))
}

#[export_module]
pub mod link_module {
    use super::*;

    /// Create a veth pair and return the `name` end (its `.peer` is the other).
    /// With options, each end is created directly in its namespace
    /// (`netns` for `name`, `peer_netns` for `peer_name`; each a Netns or a name,
    /// default the host), which is much faster than moving it afterwards.
    ///
    /// `ip link add NAME netns NS type veth peer name PEER netns PEER_NS`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let v = link::add_veth("veth1.1", "veth1.2");
    /// print(v.peer.name);                       // veth1.2
    /// let e = link::add_veth("eth0", "r1-eth0", #{ netns: r1 });
    /// print(e.netns.name);                      // r1
    /// print(e.peer.netns.name);                 // host
    /// ```
    #[rhai_fn(name = "add_veth", volatile, return_raw)]
    pub fn add_veth_with(
        ctx: NativeCallContext,
        name: &str,
        peer_name: &str,
        options: Map,
    ) -> RhaiResultOf<Link> {
        op(&ctx, |op| {
            check_options("create a veth pair", &options, &["netns", "peer_netns"])?;
            let pick = |key: &str| {
                option(&options, key, |v| ns_arg(&format!("option `{key}`"), v))
                    .map(|ns| ns.unwrap_or(Ns::Host))
            };
            let (ns, peer_ns) = (pick("netns")?, pick("peer_netns")?);
            let info = op.add_veth(&ns, name, &peer_ns, peer_name)?;
            Ok(Link::new(ns, info.index))
        })
    }

    #[rhai_fn(volatile, return_raw)]
    pub fn add_veth(ctx: NativeCallContext, name: &str, peer_name: &str) -> RhaiResultOf<Link> {
        add_veth_with(ctx, name, peer_name, Map::new())
    }

    /// The link called `name` in the host namespace (use `ns.link(name)` for
    /// another namespace). Fails with kind "not_found", naming the namespaces where
    /// a link of that name does exist.
    ///
    /// `ip link show NAME`
    ///
    /// ```rhai
    /// let lo = link::get("lo");
    /// print(lo.index);   // 1
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn get(ctx: NativeCallContext, name: &str) -> RhaiResultOf<Link> {
        let info = session::read(&ctx, |net| net.link_by_name(&Ns::Host, name))?;
        Ok(Link::new(Ns::Host, info.index))
    }

    /// Every link in the host namespace, in index order.
    ///
    /// `ip link show`
    ///
    /// ```rhai
    /// bridge::add("br0");
    /// for l in link::list() { print(`${l.name} ${l.kind}`); }   // lo loopback, br0 bridge
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn list(ctx: NativeCallContext) -> RhaiResultOf<Array> {
        let links = session::read(&ctx, |net| net.links(&Ns::Host))?;
        Ok(links
            .into_iter()
            .map(|l| Dynamic::from(Link::new(Ns::Host, l.index)))
            .collect())
    }

    /// Create a dummy link: an Ethernet device that goes nowhere, to hold an
    /// address (a router's loopback, a service address, a route's `dev`) in the
    /// host or, with `#{ netns }`, directly in another namespace. Like `ip`, it
    /// starts down.
    ///
    /// `ip [-n NS] link add NAME type dummy`
    ///
    /// ```rhai
    /// // needs a kernel with dummy links (CONFIG_DUMMY)
    /// let r1 = netns::add("r1");
    /// let lo1 = link::add_dummy("lo1", #{ netns: r1 });
    /// lo1.addr_add("192.0.2.1/32");
    /// lo1.up();
    /// print(lo1.kind);      // dummy
    /// print(lo1.addrs()[0]);   // 192.0.2.1/32
    /// ```
    #[rhai_fn(name = "add_dummy", volatile, return_raw)]
    pub fn add_dummy_with(ctx: NativeCallContext, name: &str, options: Map) -> RhaiResultOf<Link> {
        op(&ctx, |op| {
            check_options(
                &format!("create dummy link \"{name}\""),
                &options,
                &["netns"],
            )?;
            let ns = target(&options, Ns::Host)?;
            let info = op.add_dummy(&ns, name)?;
            Ok(Link::new(ns, info.index))
        })
    }

    #[rhai_fn(volatile, return_raw)]
    pub fn add_dummy(ctx: NativeCallContext, name: &str) -> RhaiResultOf<Link> {
        add_dummy_with(ctx, name, Map::new())
    }
}
