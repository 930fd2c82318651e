//! Where a link sits: its bridge (`set_master`, `nomaster`), its
//! namespace (`set_netns`), and `del`. A link netscript did not make is
//! moved or deleted only with `#{ force: true }`.

use crate::api::convert::RhaiResultOf;
use crate::api::convert::{bool_option, check_options, ns_arg};
use crate::api::link::on;
use crate::api::{Link, NetnsOrName};
use crate::error::{Error, Result};
use crate::lab::ops::Op;
use crate::ns::Ns;
use rhai::Map;
use rhai::plugin::*;

#[export_module]
pub mod link_place {
    use super::*;

    /// Make the link a port of a bridge (a bridge Link or its name, in the same
    /// namespace), or a member of a VRF (`link::add_vrf`) the same way. A
    /// bridge port forwards as soon as this returns.
    ///
    /// `ip link set dev X master BRIDGE`
    ///
    /// ```rhai
    /// let br = bridge::add("br0");
    /// br.up();
    /// let l = link::add_veth("veth1.2", "veth1.1");
    /// l.set_master(br);          // or l.set_master("br0")
    /// print(l.master);           // br0
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn set_master(ctx: NativeCallContext, l: &mut Link, bridge: Link) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| {
            if bridge.ns() != *ns {
                return Err(Error::invalid(
                    "set the master of a link",
                    format!(
                        "the bridge is in namespace \"{}\" and the link in \"{}\"",
                        bridge.ns().name(),
                        ns.name()
                    ),
                )
                .with_help(
                    "a port and its bridge must be in the same namespace: move one with set_netns",
                ));
            }
            op.set_master(ns, i, bridge.index())
        })
    }

    #[rhai_fn(global, name = "set_master", pure, volatile, return_raw)]
    pub fn set_master_named(
        ctx: NativeCallContext,
        l: &mut Link,
        bridge: &str,
    ) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| {
            let bridge = op.net.link_by_name(ns, bridge)?;
            op.set_master(ns, i, bridge.index)
        })
    }

    /// Release the link from its bridge.
    ///
    /// `ip link set dev X nomaster`
    ///
    /// ```rhai
    /// let br = bridge::add("br0");
    /// let l = link::add_veth("a", "b");
    /// l.set_master(br);
    /// l.nomaster();
    /// print(l.master == ());   // true
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn nomaster(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| op.nomaster(ns, i))
    }

    /// Delete the link (for a veth, both ends go). A link netscript did not
    /// create (one that was there before, like the machine's eth0) is refused
    /// unless the options say `#{ force: true }`. Links a netscript lab made,
    /// and every link inside a namespace one made, need no force.
    ///
    /// `ip link del dev X`
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.del();
    /// print(link::list().len());   // 1 (lo)
    /// ```
    #[rhai_fn(global, name = "del", pure, volatile, return_raw)]
    pub fn del_with(ctx: NativeCallContext, l: &mut Link, options: Map) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| {
            let force = force(op, ns, i, &options, "delete")?;
            op.del_link(ns, i, force)
        })
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn del(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<()> {
        del_with(ctx, l, Map::new())
    }

    /// Move the link into another namespace (a Netns or a name). The handle
    /// follows it. Moving costs the kernel ~20 ms; creating the end in place with
    /// `link::add_veth(.., #{ netns })` is faster. As with `del`, moving a link
    /// netscript did not create needs `#{ force: true }`.
    ///
    /// `ip link set dev X netns NS`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let l = link::add_veth("veth1.1", "veth1.2");
    /// l.set_netns(r1);
    /// print(l.netns.name);   // r1
    /// l.set_netns("host");
    /// print(l.netns.name);   // host
    /// ```
    #[rhai_fn(global, name = "set_netns", pure, volatile, return_raw)]
    pub fn set_netns_with(
        ctx: NativeCallContext,
        l: &mut Link,
        ns: NetnsOrName,
        options: Map,
    ) -> RhaiResultOf<()> {
        let moved = on(&ctx, l, |op, from, i| {
            let target = ns_arg("the target namespace", &ns).map_err(|e| e.at_arg(0))?;
            let force = force(op, from, i, &options, "move")?;
            Ok((op.move_link(from, i, &target, force)?, target))
        })?;
        let (link, target) = moved;
        l.relocate(target, link.index);
        Ok(())
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn set_netns(ctx: NativeCallContext, l: &mut Link, ns: NetnsOrName) -> RhaiResultOf<()> {
        set_netns_with(ctx, l, ns, Map::new())
    }
}

/// `#{ force }` of a delete or move: whether to change a link netscript
/// did not make. (The link's name is looked up only for a message.)
fn force(op: &Op, ns: &Ns, index: u32, options: &Map, verb: &str) -> Result<bool> {
    if options.is_empty() {
        return Ok(false);
    }
    let action = format!("{verb} link \"{}\"", op.link_name(ns, index));
    check_options(&action, options, &["force"])?;
    Ok(bool_option(options, "force")?.unwrap_or(false))
}
