//! The `bridge` module: Linux bridges.

use rhai::Map;
use rhai::plugin::*;

use crate::api::Link;
use crate::api::convert::{RhaiResultOf, bool_option, check_options, ns_arg, option};
use crate::api::session::op;
use crate::error::{Error, Result};
use crate::netlink::BridgeOptions;
use crate::ns::Ns;

/// The options a bridge has (besides where it is made).
pub(in crate::api) const OPTIONS: &[&str] = &[
    "stp",
    "ageing",
    "vlan_filtering",
    "mcast_snooping",
    "mcast_querier",
];

#[export_module]
pub mod bridge_module {
    use super::*;

    /// Create a bridge. Like `ip`, it starts down: call `.up()` on it. Options:
    /// `netns` (where to create it), `stp` (spanning tree on or off; off by
    /// default), `ageing` (seconds a learned MAC address is kept; default 300),
    /// `vlan_filtering`, `mcast_snooping` (default on) and `mcast_querier`
    /// (default off; a querier stops a bridge from flooding every multicast
    /// report to every port).
    ///
    /// `ip link add name NAME type bridge [stp_state 0|1] [ageing_time CS] [vlan_filtering 0|1] [mcast_snooping 0|1] [mcast_querier 0|1]`
    ///
    /// ```rhai
    /// let br = bridge::add("br0");
    /// print(br.kind);    // bridge
    /// print(br.is_up);   // false
    /// br.up();
    /// let r1 = netns::add("r1");
    /// let br1 = bridge::add("br1", #{ netns: r1, stp: true, ageing: 30 });
    /// print(br1.netns.name);   // r1
    /// ```
    #[rhai_fn(name = "add", volatile, return_raw)]
    pub fn add_with(ctx: NativeCallContext, name: &str, options: Map) -> RhaiResultOf<Link> {
        op(&ctx, |op| {
            let known: Vec<&str> = ["netns"].iter().chain(OPTIONS).copied().collect();
            check_options("create a bridge", &options, &known)?;
            let o = bridge_options(&options)?;
            let ns = option(&options, "netns", |v| ns_arg("option `netns`", v))?;
            let ns = ns.unwrap_or(Ns::Host);
            let info = op.add_bridge(&ns, name, &o)?;
            Ok(Link::new(ns, info.index))
        })
    }

    #[rhai_fn(volatile, return_raw)]
    pub fn add(ctx: NativeCallContext, name: &str) -> RhaiResultOf<Link> {
        add_with(ctx, name, Map::new())
    }
}

/// `#{ stp, ageing, vlan_filtering, mcast_snooping, mcast_querier }`.
pub(in crate::api) fn bridge_options(opts: &Map) -> Result<BridgeOptions> {
    let flag = |key: &str| bool_option(opts, key);
    let ageing_cs = option(opts, "ageing", |v| {
        let secs = v
            .as_float()
            .ok()
            .or_else(|| v.as_int().ok().map(|i| i as f64))
            .filter(|s| (0.0..=1_000_000.0).contains(s))
            .ok_or_else(|| {
                Error::invalid(
                    format!("use {v} as option `ageing`"),
                    "`ageing` is a number of seconds from 0 to 1000000",
                )
            })?;
        Ok((secs * 100.0).round() as u32)
    })?;
    Ok(BridgeOptions {
        stp: flag("stp")?,
        ageing_cs,
        vlan_filtering: flag("vlan_filtering")?,
        mcast_snooping: flag("mcast_snooping")?,
        mcast_querier: flag("mcast_querier")?,
    })
}
