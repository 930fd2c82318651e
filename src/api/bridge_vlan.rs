//! VLAN membership on bridges with `vlan_filtering`: `br.vlan_add`,
//! `br.vlan_del` and `br.vlans()`.

use rhai::{Array, Dynamic, Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, bool_option, check_options};
use super::neigh::link_in;
use super::vlan::vlan_id;
use super::{LinkHandle, Net, method, record};
use crate::error::{Error, Result};
use crate::lab::Object;
use crate::netlink::{LinkInfo, PortVlan};

const ADD_DOC: &str = r#"
Make `port` (a Link or a name: a port of this bridge, or the bridge
itself for its own interface) a member of VLAN `vid` (1 to 4094) on a
bridge made with `#{ vlan_filtering: true }`. Options: `pvid` (untagged
frames arriving on the port join this VLAN) and `untagged` (frames of
this VLAN leave the port untagged); both default to false, so the port
is a tagged trunk member. A port in the kernel's default VLAN 1 stays
there: remove it with `vlan_del` to keep a port out of it.

`bridge vlan add dev PORT vid VID [pvid] [untagged] [self]`

```rhai
// needs a kernel with bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)
let br = bridge::add("br0", #{ vlan_filtering: true });
let h1 = link::add_veth("h1", "h1-br");
h1.peer.set_master(br);
br.vlan_add(h1.peer, 10, #{ pvid: true, untagged: true });
br.vlan_del(h1.peer, 1);
br.vlan_add(br, 10);
print(br.vlans().filter(|v| v.port == "h1-br"));   // [#{"port": "h1-br", "pvid": true, "untagged": true, "vid": 10}]
```"#;

/// The port named by `port`: the bridge itself, or one of its ports.
fn port_of(n: &Net, br: &LinkHandle, port: &Dynamic) -> Result<(LinkInfo, bool)> {
    br.check()?;
    let ns = br.ns();
    let bridge = n.link_by_index(&ns, br.index())?;
    if bridge.kind != "bridge" {
        return Err(Error::invalid(
            format!("manage VLANs of \"{}\"", bridge.name),
            format!("it is a {} link, not a bridge", bridge.kind),
        )
        .with_help("call vlan_add on the bridge, with the port as its argument"));
    }
    let p = link_in(n, &ns, port).map_err(|e| e.at_arg(0))?;
    if p.index == bridge.index {
        return Ok((p, true));
    }
    if p.master != Some(bridge.index) {
        return Err(Error::invalid(
            format!("manage VLANs of \"{}\"", p.name),
            format!("it is not a port of bridge \"{}\"", bridge.name),
        )
        .with_help(format!("add it first: .set_master(\"{}\")", bridge.name))
        .at_arg(0));
    }
    Ok((p, false))
}

fn vid(id: rhai::INT) -> Result<u16> {
    match vlan_id(id)? {
        0 => Err(Error::invalid("use VLAN 0 on a bridge", "bridge VLANs are 1 to 4094").at_arg(1)),
        v => Ok(v),
    }
}

fn flag(opts: &Map, key: &str) -> Result<bool> {
    Ok(bool_option(opts, key)?.unwrap_or(false))
}

/// A membership changed on a port the run did not create goes in the
/// ledger, so that teardown changes it back. (Changes on the lab's own
/// ports go with the ports.)
fn remember(
    ctx: &NativeCallContext,
    br: &LinkHandle,
    p: &LinkInfo,
    v: &PortVlan,
    on_bridge: bool,
    added: bool,
) {
    if !outlives_the_lab(ctx, br, p) {
        return;
    }
    let ns = br.ns();
    record::lab(ctx).created(Object::PortVlan {
        ns: ns.name().to_string(),
        ns_id: ns.id(),
        index: p.index,
        link: p.name.clone(),
        bridge: br.index(),
        vid: v.vid,
        on_bridge,
        added,
        pvid: v.pvid,
        untagged: v.untagged,
    });
}

/// Whether port `p` of `br` stays after the lab's teardown.
fn outlives_the_lab(ctx: &NativeCallContext, br: &LinkHandle, p: &LinkInfo) -> bool {
    let lab = record::lab(ctx);
    let ns = br.ns();
    !lab.owns_netns(ns.name()) && lab.link_at(ns.name(), p.index).is_none()
}

fn bridge_n(br: &LinkHandle) -> String {
    format!("bridge {}", record::ip_n(&br.ns()))
}

fn change(
    n: &Net,
    ctx: &NativeCallContext,
    br: &LinkHandle,
    port: &Dynamic,
    id: rhai::INT,
    opts: &Map,
    add: bool,
) -> Res<()> {
    if add {
        check_options("add a port to a VLAN", opts, &["pvid", "untagged"]).or_raise(ctx)?;
    }
    let (p, on_bridge) = port_of(n, br, port).or_raise(ctx)?;
    let v = PortVlan {
        port: p.index,
        vid: vid(id).or_raise(ctx)?,
        pvid: flag(opts, "pvid").or_raise(ctx)?,
        untagged: flag(opts, "untagged").or_raise(ctx)?,
    };
    // The kernel says nothing when asked to remove a VLAN a port is not
    // in, so that is looked up first (with the flags teardown would put
    // back).
    let mut v = v;
    if !add {
        let member = n
            .bridge_vlans(&br.ns())
            .or_raise(ctx)?
            .into_iter()
            .find(|m| m.port == p.index && m.vid == v.vid);
        if let Some(m) = member {
            v = m;
        } else {
            return Err(super::convert::raise(
                ctx,
                Error::not_found(
                    format!("remove \"{}\" from VLAN {}", p.name, v.vid),
                    "it is not a member of that VLAN",
                )
                .with_help("br.vlans() lists the ports' VLANs")
                .at_arg(1),
            ));
        }
    }
    // On a port the run did not make, an add may also change what was
    // there: the same VLAN's flags, or which VLAN is the PVID. Those are
    // recorded first, so teardown puts them back after undoing the add.
    let mut before = Vec::new();
    if add && outlives_the_lab(ctx, br, &p) {
        for m in n.bridge_vlans(&br.ns()).or_raise(ctx)? {
            if m.port == p.index && (m.vid == v.vid || (v.pvid && m.pvid)) {
                before.push(m);
            }
        }
    }
    n.bridge_vlan(&br.ns(), &v, on_bridge, add).or_raise(ctx)?;
    for m in &before {
        remember(ctx, br, &p, m, on_bridge, false);
    }
    // A VLAN that was there already is put back as it was, not deleted.
    if !before.iter().any(|m| m.vid == v.vid) {
        remember(ctx, br, &p, &v, on_bridge, add);
    }
    record::change(ctx, || {
        format!(
            "{}vlan {} dev {} vid {}{}{}{}",
            bridge_n(br),
            if add { "add" } else { "del" },
            p.name,
            v.vid,
            if add && v.pvid { " pvid" } else { "" },
            if add && v.untagged { " untagged" } else { "" },
            if on_bridge { " self" } else { "" }
        )
    });
    Ok(())
}

pub fn register(m: &mut Module, net: &Net) {
    for with_opts in [false, true] {
        let n = net.clone();
        let params: &[&str] = if with_opts {
            &[
                "br: &mut Link",
                "port: Link|String",
                "vid: i64",
                "options: Map",
            ]
        } else {
            &["br: &mut Link", "port: Link|String", "vid: i64"]
        };
        let f = move |ctx: NativeCallContext<'_>,
                      br: &mut LinkHandle,
                      port: Dynamic,
                      id: rhai::INT,
                      opts: Map| change(&n, &ctx, br, &port, id, &opts, true);
        if with_opts {
            method("vlan_add", params, ADD_DOC).set_into_module(m, f);
        } else {
            method("vlan_add", params, ADD_DOC).set_into_module(
                m,
                move |ctx: NativeCallContext<'_>,
                      br: &mut LinkHandle,
                      port: Dynamic,
                      id: rhai::INT| { f(ctx, br, port, id, Map::new()) },
            );
        }
    }

    let n = net.clone();
    method(
        "vlan_del",
        &["br: &mut Link", "port: Link|String", "vid: i64"],
        r#"
Take `port` (a port of this bridge, or the bridge itself) out of VLAN
`vid`; it is an error if it is not a member.

`bridge vlan del dev PORT vid VID [self]`

```rhai
// needs a kernel with bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)
let br = bridge::add("br0", #{ vlan_filtering: true });
let h1 = link::add_veth("h1", "h1-br");
h1.peer.set_master(br);
br.vlan_del(h1.peer, 1);
print(br.vlans().filter(|v| v.port == "h1-br"));   // []
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, br: &mut LinkHandle, port: Dynamic, id: rhai::INT| {
            change(&n, &ctx, br, &port, id, &Map::new(), false)
        },
    );

    let n = net.clone();
    method(
        "vlans",
        &["br: &mut Link", "Array"],
        r#"
The VLANs of this bridge's ports and of the bridge itself, one map per
port and VLAN: `#{ port, vid, pvid, untagged }`, ports in the kernel's
order. Empty for a bridge without `vlan_filtering` on a kernel that
lacks it.

`bridge vlan show`

```rhai
// needs a kernel with bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)
let br = bridge::add("br0", #{ vlan_filtering: true });
print(br.vlans());   // [#{"port": "br0", "pvid": true, "untagged": true, "vid": 1}]
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, br: &mut LinkHandle| -> Res<Array> {
            br.check().or_raise(&ctx)?;
            let ns = br.ns();
            let links = n.links(&ns).or_raise(&ctx)?;
            let mine = |index: u32| {
                links.iter().find(|l| {
                    l.index == index && (index == br.index() || l.master == Some(br.index()))
                })
            };
            let vlans = n.bridge_vlans(&ns).or_raise(&ctx)?;
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
        },
    );
}
