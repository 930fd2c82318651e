//! Links on a parent link: `link::add_vlan` and `link::add_macvlan`.

use rhai::plugin::*;
use rhai::{INT, Map};

use super::target;
use crate::api::Link;
use crate::api::convert::{RhaiResultOf, check_options, option, vlan_id};
use crate::api::session::op;
use crate::error::{Error, Result};
use crate::lab::ops::VlanSpec;

#[export_module]
pub mod link_on_parent {
    use super::*;

    /// Create an 802.1Q VLAN link on `parent` (any Ethernet link: a veth end, a
    /// bridge, a bridge port) with VLAN id `id` (0 to 4094): frames sent on it
    /// leave `parent` tagged with `id`, and tagged frames arriving on `parent`
    /// come out of it untagged. Named `#{ name }`, or PARENT.ID like `ip`
    /// writes it (which must fit in 15 bytes); created in the parent's namespace
    /// or, with `#{ netns }`, directly in another one. `#{ protocol: "802.1ad" }`
    /// makes a service VLAN (Q-in-Q); the default is "802.1q".
    ///
    /// `ip link add link PARENT name PARENT.ID [netns NS] type vlan id ID [protocol 802.1ad]`
    ///
    /// ```rhai
    /// // needs a kernel with 802.1Q VLANs (CONFIG_VLAN_8021Q)
    /// let trunk = link::add_veth("trunk", "trunk-peer");
    /// let v10 = link::add_vlan(trunk, 10);
    /// print(v10.name);   // trunk.10
    /// print(v10.kind);   // vlan
    /// let r1 = netns::add("r1");
    /// let v20 = link::add_vlan(trunk, 20, #{ name: "eth20", netns: r1 });
    /// print(v20.netns.name);   // r1
    /// ```
    #[rhai_fn(name = "add_vlan", volatile, return_raw)]
    pub fn add_vlan_with(
        ctx: NativeCallContext,
        parent: Link,
        id: INT,
        options: Map,
    ) -> RhaiResultOf<Link> {
        op(&ctx, |op| {
            check_options(
                "create a vlan link",
                &options,
                &["name", "netns", "protocol"],
            )?;
            parent.check()?;
            let pns = parent.ns();
            let spec = VlanSpec {
                parent_ns: &pns,
                parent: parent.index(),
                id: vlan_id(id)?,
                qinq: qinq(&options)?,
            };
            let ns = target(&options, pns.clone())?;
            let name = options.get("name").map(|v| v.to_string());
            let info = op.add_vlan(&spec, name.as_deref(), &ns)?;
            Ok(Link::new(ns, info.index))
        })
    }

    #[rhai_fn(volatile, return_raw)]
    pub fn add_vlan(ctx: NativeCallContext, parent: Link, id: INT) -> RhaiResultOf<Link> {
        add_vlan_with(ctx, parent, id, Map::new())
    }

    /// Create a macvlan link on `parent` in `mode` ("bridge", "private",
    /// "vepa", "passthru" or "source"), named `#{ name }` or the first free
    /// macvlanN, in the parent's namespace or, with `#{ netns }`, directly in
    /// another one (the usual way to give a namespace its own MAC on a NIC).
    ///
    /// `ip link add link PARENT name NAME [netns NS] type macvlan mode MODE`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let uplink = link::add_veth("uplink", "uplink-peer");
    /// let mv = link::add_macvlan(uplink, "bridge", #{ netns: r1, name: "eth0" });
    /// print(mv.kind);         // macvlan
    /// print(mv.netns.name);   // r1
    /// ```
    #[rhai_fn(name = "add_macvlan", volatile, return_raw)]
    pub fn add_macvlan_with(
        ctx: NativeCallContext,
        parent: Link,
        mode: &str,
        options: Map,
    ) -> RhaiResultOf<Link> {
        op(&ctx, |op| {
            check_options("create a macvlan link", &options, &["name", "netns"])?;
            parent.check()?;
            crate::netlink::macvlan_mode(mode)?;
            let pns = parent.ns();
            let ns = target(&options, pns.clone())?;
            let name = options.get("name").map(|v| v.to_string());
            let at = (&pns, parent.index());
            let info = op.add_macvlan(at, mode, name.as_deref(), &ns)?;
            Ok(Link::new(ns, info.index))
        })
    }

    #[rhai_fn(volatile, return_raw)]
    pub fn add_macvlan(ctx: NativeCallContext, parent: Link, mode: &str) -> RhaiResultOf<Link> {
        add_macvlan_with(ctx, parent, mode, Map::new())
    }
}

/// `protocol` of `#{ protocol }`: true for 802.1ad.
fn qinq(opts: &Map) -> Result<bool> {
    Ok(option(opts, "protocol", |v| {
        match v.to_string().to_ascii_lowercase().as_str() {
            "802.1q" => Ok(false),
            "802.1ad" => Ok(true),
            other => Err(Error::invalid(
                format!("use {other:?} as a VLAN protocol"),
                "not a VLAN protocol",
            )
            .with_help("the protocols are \"802.1q\" (the default) and \"802.1ad\"")),
        }
    })?
    .unwrap_or(false))
}
