//! The methods of a bridge Link: `br.set_bridge` and its VLAN membership
//! (`br.vlan_add`, `br.vlan_del`, `br.vlans()`).

use rhai::plugin::*;
use rhai::{Array, Dynamic, INT, Map};

use crate::api::convert::{RhaiResultOf, bool_option, check_options, forced, link_in, vlan_id};
use crate::api::script::bridge::{OPTIONS, bridge_options};
use crate::api::session::{self, op};
use crate::api::{Link, LinkOrName};
use crate::error::{Error, Result};
use crate::lab::ops::{BridgePort, Op};
use crate::netlink::LinkKind;
use crate::netlink::PortVlan;

#[export_module]
pub mod link_bridge {
    use super::*;

    /// Change a bridge's options while the lab runs: `stp`, `ageing`,
    /// `vlan_filtering`, `mcast_snooping` and `mcast_querier`, as in
    /// `bridge::add`. Options left out keep their values. Fails with kind
    /// "invalid" on a link that is not a bridge; a bridge netscript did not
    /// make (say docker0) needs `force: true`, and is not restored at teardown.
    ///
    /// `ip link set dev BR type bridge [stp_state 0|1] [ageing_time CS] ...`
    ///
    /// ```rhai
    /// let br = bridge::add("br0");
    /// br.set_bridge(#{ stp: true, ageing: 30 });
    /// print(br.kind);   // bridge
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn set_bridge(ctx: NativeCallContext, br: &mut Link, options: Map) -> RhaiResultOf<()> {
        op(&ctx, |op| {
            br.check()?;
            let known: Vec<&str> = OPTIONS.iter().chain(&["force"]).copied().collect();
            check_options("set bridge options", &options, &known)?;
            let force = forced(&options)?;
            op.set_bridge(&br.ns(), br.index(), force, || bridge_options(&options))
        })
    }

    /// Make `port` (a Link or a name: a port of this bridge, or the bridge
    /// itself for its own interface) a member of VLAN `vid` (1 to 4094) on a
    /// bridge made with `#{ vlan_filtering: true }`. Options: `pvid` (untagged
    /// frames arriving on the port join this VLAN) and `untagged` (frames of
    /// this VLAN leave the port untagged); both default to false, so the port
    /// is a tagged trunk member. A port in the kernel's default VLAN 1 stays
    /// there: remove it with `vlan_del` to keep a port out of it.
    ///
    /// `bridge vlan add dev PORT vid VID [pvid] [untagged] [self]`
    ///
    /// ```rhai
    /// // needs a kernel with bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)
    /// let br = bridge::add("br0", #{ vlan_filtering: true });
    /// let h1 = link::add_veth("h1", "h1-br");
    /// h1.peer.set_master(br);
    /// br.vlan_add(h1.peer, 10, #{ pvid: true, untagged: true });
    /// br.vlan_del(h1.peer, 1);
    /// br.vlan_add(br, 10);
    /// print(br.vlans().filter(|v| v.port == "h1-br"));   // [#{"port": "h1-br", "pvid": true, "untagged": true, "vid": 10}]
    /// ```
    #[rhai_fn(global, name = "vlan_add", pure, volatile, return_raw)]
    pub fn vlan_add_with(
        ctx: NativeCallContext,
        br: &mut Link,
        port: LinkOrName,
        vid: INT,
        options: Map,
    ) -> RhaiResultOf<()> {
        op(&ctx, |op| {
            check_options("add a port to a VLAN", &options, &["pvid", "untagged"])?;
            on_port(op, br, &port, |at| {
                let flag = |key| Ok::<_, Error>(bool_option(&options, key)?.unwrap_or(false));
                let v = PortVlan {
                    port: at.port.index,
                    vid: bridge_vid(vid)?,
                    pvid: flag("pvid")?,
                    untagged: flag("untagged")?,
                };
                op.bridge_vlan_add(at, v)
            })
        })
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn vlan_add(
        ctx: NativeCallContext,
        br: &mut Link,
        port: LinkOrName,
        vid: INT,
    ) -> RhaiResultOf<()> {
        vlan_add_with(ctx, br, port, vid, Map::new())
    }

    /// Take `port` (a port of this bridge, or the bridge itself) out of VLAN
    /// `vid`; it is an error if it is not a member.
    ///
    /// `bridge vlan del dev PORT vid VID [self]`
    ///
    /// ```rhai
    /// // needs a kernel with bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)
    /// let br = bridge::add("br0", #{ vlan_filtering: true });
    /// let h1 = link::add_veth("h1", "h1-br");
    /// h1.peer.set_master(br);
    /// br.vlan_del(h1.peer, 1);
    /// print(br.vlans().filter(|v| v.port == "h1-br"));   // []
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn vlan_del(
        ctx: NativeCallContext,
        br: &mut Link,
        port: LinkOrName,
        vid: INT,
    ) -> RhaiResultOf<()> {
        op(&ctx, |op| {
            on_port(op, br, &port, |at| op.bridge_vlan_del(at, bridge_vid(vid)?))
        })
    }

    /// The VLANs of this bridge's ports and of the bridge itself, one map per
    /// port and VLAN: `#{ port, vid, pvid, untagged }`, ports in the kernel's
    /// order. Empty for a bridge without `vlan_filtering` on a kernel that
    /// lacks it.
    ///
    /// `bridge vlan show`
    ///
    /// ```rhai
    /// // needs a kernel with bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)
    /// let br = bridge::add("br0", #{ vlan_filtering: true });
    /// print(br.vlans());   // [#{"port": "br0", "pvid": true, "untagged": true, "vid": 1}]
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn vlans(ctx: NativeCallContext, br: &mut Link) -> RhaiResultOf<Array> {
        let (links, vlans) = session::read(&ctx, |net| {
            br.check()?;
            let ns = br.ns();
            Ok((net.links(&ns)?, net.bridge_vlans(&ns)?))
        })?;
        let mine = |index: u32| {
            links
                .iter()
                .find(|l| l.index == index && (index == br.index() || l.master == Some(br.index())))
        };
        Ok(vlans
            .into_iter()
            .filter_map(|v| {
                let port = mine(v.port)?;
                let mut map = Map::new();
                map.insert("port".into(), port.name.clone().into());
                map.insert("vid".into(), Dynamic::from(i64::from(v.vid)));
                map.insert("pvid".into(), v.pvid.into());
                map.insert("untagged".into(), v.untagged.into());
                Some(Dynamic::from(map))
            })
            .collect())
    }
}

/// A bridge VLAN: 1 to 4094.
fn bridge_vid(id: INT) -> Result<u16> {
    match vlan_id(id)? {
        0 => Err(Error::invalid("use VLAN 0 on a bridge", "bridge VLANs are 1 to 4094").at_arg(1)),
        v => Ok(v),
    }
}

/// Do `f` on the port named by `port`: the bridge itself, or one of its
/// ports.
fn on_port(
    op: &Op,
    br: &Link,
    port: &LinkOrName,
    f: impl FnOnce(&BridgePort) -> Result<()>,
) -> Result<()> {
    br.check()?;
    let ns = br.ns();
    let bridge = op.net.link_by_index(&ns, br.index())?;
    if bridge.kind != LinkKind::Bridge {
        return Err(Error::invalid(
            format!("manage VLANs of \"{}\"", bridge.name),
            format!("it is a {} link, not a bridge", bridge.kind),
        )
        .with_help("call vlan_add on the bridge, with the port as its argument"));
    }
    let p = link_in(op.net, &ns, port).map_err(|e| e.at_arg(0))?;
    let on_bridge = p.index == bridge.index;
    if !on_bridge && p.master != Some(bridge.index) {
        return Err(Error::invalid(
            format!("manage VLANs of \"{}\"", p.name),
            format!("it is not a port of bridge \"{}\"", bridge.name),
        )
        .with_help(format!("add it first: .set_master(\"{}\")", bridge.name))
        .at_arg(0));
    }
    f(&BridgePort {
        ns: &ns,
        bridge: br.index(),
        port: &p,
        on_bridge,
    })
}
