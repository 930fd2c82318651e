//! `link::add_vrf`: separate routing domains in one namespace.

use rhai::plugin::*;
use rhai::{INT, Map};

use super::target;
use crate::api::Link;
use crate::api::convert::{RhaiResultOf, check_options};
use crate::api::session::op;
use crate::error::{Error, Result};
use crate::ns::Ns;

#[export_module]
pub mod link_vrf {
    use super::*;

    /// Create a VRF (a separate routing domain in one namespace) that routes by
    /// `table` (1 to 4294967295, not the kernel's own 253, 254 or 255), in the
    /// host or, with `#{ netns }`, directly in another namespace. Links join it
    /// with `.set_master(vrf)`; routes go in its table with `ns.route_add(dst,
    /// #{ ..., table })`. Like `ip`, it starts down.
    ///
    /// `ip [-n NS] link add NAME type vrf table TABLE`
    ///
    /// ```rhai
    /// // needs a kernel with VRF (CONFIG_NET_VRF)
    /// let r1 = netns::add("r1");
    /// let red = link::add_vrf("red", 10, #{ netns: r1 });
    /// red.up();
    /// let eth = link::add_veth("eth0", "peer0", #{ netns: r1 });
    /// eth.set_master(red);
    /// eth.addr_add("10.0.0.1/24");
    /// eth.up();
    /// print(red.kind);   // vrf
    /// print(r1.routes(#{ table: 10 }).len() > 0);   // true
    /// ```
    #[rhai_fn(name = "add_vrf", volatile, return_raw)]
    pub fn add_vrf_with(
        ctx: NativeCallContext,
        name: &str,
        table: INT,
        options: Map,
    ) -> RhaiResultOf<Link> {
        op(&ctx, |op| {
            check_options(&format!("create vrf link \"{name}\""), &options, &["netns"])?;
            let table = vrf_table(name, table)?;
            let ns = target(&options, Ns::Host)?;
            let info = op.add_vrf(&ns, name, table)?;
            Ok(Link::new(ns, info.index))
        })
    }

    #[rhai_fn(volatile, return_raw)]
    pub fn add_vrf(ctx: NativeCallContext, name: &str, table: INT) -> RhaiResultOf<Link> {
        add_vrf_with(ctx, name, table, Map::new())
    }
}

/// A VRF's routing table: not 0 and not the kernel's own.
fn vrf_table(name: &str, table: INT) -> Result<u32> {
    u32::try_from(table)
        .ok()
        .filter(|t| !matches!(t, 0 | 253..=255))
        .ok_or_else(|| {
            Error::invalid(
                format!("use {table} as the table of vrf \"{name}\""),
                "a VRF's table is from 1 to 4294967295, and not 253, 254 or 255 (the kernel's own)",
            )
            .with_help("pick a table of its own for each VRF, like 10")
            .at_arg(1)
        })
}
