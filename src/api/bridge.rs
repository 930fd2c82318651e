//! The `bridge` module: Linux bridges.

use rhai::{Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, bool_option, check_options, ns_arg, option};
use super::{LinkHandle, Net, func, method, record};
use crate::error::Error;
use crate::netlink::BridgeOptions;
use crate::ns::Ns;

const ADD_DOC: &str = r#"
Create a bridge. Like `ip`, it starts down: call `.up()` on it. Options:
`netns` (where to create it), `stp` (spanning tree on or off; off by
default), `ageing` (seconds a learned MAC address is kept; default 300),
`vlan_filtering`, `mcast_snooping` (default on) and `mcast_querier`
(default off; a querier stops a bridge from flooding every multicast
report to every port).

`ip link add name NAME type bridge [stp_state 0|1] [ageing_time CS] [vlan_filtering 0|1] [mcast_snooping 0|1] [mcast_querier 0|1]`

```rhai
let br = bridge::add("br0");
print(br.kind);    // bridge
print(br.is_up);   // false
br.up();
let r1 = netns::add("r1");
let br1 = bridge::add("br1", #{ netns: r1, stp: true, ageing: 30 });
print(br1.netns.name);   // r1
```"#;

/// `#{ stp, ageing, vlan_filtering, mcast_snooping, mcast_querier }`.
fn bridge_options(opts: &Map) -> crate::error::Result<BridgeOptions> {
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

/// The options as `ip link ... type bridge` writes them (" stp_state 1 ...").
fn options_text(o: &BridgeOptions) -> String {
    let bit = |b: bool| if b { 1 } else { 0 };
    let mut text = String::new();
    if let Some(stp) = o.stp {
        text.push_str(&format!(" stp_state {}", bit(stp)));
    }
    if let Some(cs) = o.ageing_cs {
        text.push_str(&format!(" ageing_time {cs}"));
    }
    for (name, value) in [
        ("vlan_filtering", o.vlan_filtering),
        ("mcast_snooping", o.mcast_snooping),
        ("mcast_querier", o.mcast_querier),
    ] {
        if let Some(v) = value {
            text.push_str(&format!(" {name} {}", bit(v)));
        }
    }
    text
}

fn created(ctx: &NativeCallContext, ns: &Ns, info: &crate::netlink::LinkInfo, o: &BridgeOptions) {
    record::change(ctx, || {
        format!(
            "ip {}link add name {} type bridge{}",
            record::ip_n(ns),
            info.name,
            options_text(o)
        )
    });
    record::created(
        ctx,
        crate::lab::Object::link(ns, info.index, &info.name, "bridge"),
    );
}

const OPTIONS: &[&str] = &[
    "stp",
    "ageing",
    "vlan_filtering",
    "mcast_snooping",
    "mcast_querier",
];

const SET_DOC: &str = r#"
Change a bridge's options while the lab runs: `stp`, `ageing`,
`vlan_filtering`, `mcast_snooping` and `mcast_querier`, as in
`bridge::add`. Options left out keep their values. Fails with kind
"invalid" on a link that is not a bridge; a bridge netscript did not
make (say docker0) needs `force: true`, and is not restored at teardown.

`ip link set dev BR type bridge [stp_state 0|1] [ageing_time CS] ...`

```rhai
let br = bridge::add("br0");
br.set_bridge(#{ stp: true, ageing: 30 });
print(br.kind);   // bridge
```"#;

/// `br.set_bridge(options)`.
pub fn register_methods(m: &mut Module, net: &Net) {
    let n = net.clone();
    method("set_bridge", &["br: &mut Link", "options: Map"], SET_DOC).set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, br: &mut LinkHandle, opts: Map| -> Res<()> {
            br.check().or_raise(&ctx)?;
            let known: Vec<&str> = OPTIONS.iter().chain(&["force"]).copied().collect();
            let action = "set bridge options";
            check_options(action, &opts, &known).or_raise(&ctx)?;
            let force = super::convert::forced(&opts).or_raise(&ctx)?;
            let (ns, index) = (br.ns(), br.index());
            super::session::op(&ctx, |op| op.guard(&ns, index, force, action))?;
            let o = bridge_options(&opts).or_raise(&ctx)?;
            n.set_bridge(&br.ns(), br.index(), &o).or_raise(&ctx)?;
            record::change(&ctx, || {
                let name = n
                    .link_by_index(&br.ns(), br.index())
                    .map(|l| l.name)
                    .unwrap_or_default();
                format!(
                    "ip {}link set dev {name} type bridge{}",
                    record::ip_n(&br.ns()),
                    options_text(&o)
                )
            });
            Ok(())
        },
    );
}

pub fn module(net: &Net) -> Module {
    let mut m = Module::new();

    let n = net.clone();
    func("add", &["name: &str", "Link"], ADD_DOC).set_into_module(
        &mut m,
        move |ctx: NativeCallContext<'_>, name: &str| -> Res<LinkHandle> {
            let o = BridgeOptions::default();
            let info = n.add_bridge(&Ns::Host, name, &o).or_raise(&ctx)?;
            created(&ctx, &Ns::Host, &info, &o);
            Ok(LinkHandle::new(Ns::Host, info.index))
        },
    );

    let n = net.clone();
    func("add", &["name: &str", "options: Map", "Link"], ADD_DOC).set_into_module(
        &mut m,
        move |ctx: NativeCallContext<'_>, name: &str, opts: Map| -> Res<LinkHandle> {
            let known: Vec<&str> = ["netns"].iter().chain(OPTIONS).copied().collect();
            check_options("create a bridge", &opts, &known).or_raise(&ctx)?;
            let o = bridge_options(&opts).or_raise(&ctx)?;
            let ns = option(&opts, "netns", |v| ns_arg("option `netns`", v))
                .or_raise(&ctx)?
                .unwrap_or(Ns::Host);
            let info = n.add_bridge(&ns, name, &o).or_raise(&ctx)?;
            created(&ctx, &ns, &info, &o);
            Ok(LinkHandle::new(ns, info.index))
        },
    );

    m
}
