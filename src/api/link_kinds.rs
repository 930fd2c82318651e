//! More link kinds in the `link` module: dummy, macvlan and vxlan (VLAN
//! links are in `vlan.rs`, VRFs in `vrf.rs`).

use std::net::IpAddr;

use rhai::{Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, check_options, ns_arg, option, raise};
use super::{LinkHandle, Net, func, record};
use crate::error::{Error, Result};
use crate::netlink::{LinkInfo, Vxlan, macvlan_mode};
use crate::ns::Ns;

pub(super) fn created(
    ctx: &NativeCallContext,
    ns: &Ns,
    info: &LinkInfo,
    kind: &str,
    command: String,
) {
    record::change(ctx, || command);
    record::created(
        ctx,
        crate::lab::Object::link(ns, info.index, &info.name, kind),
    );
}

pub(super) fn target(opts: &Map, default: Ns) -> Result<Ns> {
    Ok(option(opts, "netns", |v| ns_arg("option `netns`", v))?.unwrap_or(default))
}

pub(super) fn netns_clause(parent: &Ns, target: &Ns) -> String {
    if parent == target {
        String::new()
    } else {
        format!(" netns {}", record::netns_arg(target))
    }
}

const VXLAN_DOC: &str = r#"
Create a VXLAN tunnel end named `name`: an Ethernet link whose frames
travel in UDP to the other end, so a lab can span machines. Options:
`id` (the VNI, 0 to 16777215; required), `remote` (the other end's
underlay address, or a multicast group), `local` (this end's underlay
address), `dev` (the underlay Link), `port` (UDP port, default 4789, the
IANA port; note that `ip` defaults to 8472), and `netns` (where the device
goes, default the namespace of `dev`, or the host). Its UDP socket lives
in the namespace of `dev` if given, otherwise where the device goes.

`ip link add NAME [netns NS] type vxlan id ID [local L] [remote R | group G] [dev D] dstport PORT`

```rhai
let vx = link::add_vxlan("vx42", #{ id: 42, local: "192.0.2.1", remote: "192.0.2.2" });
print(vx.kind);   // vxlan
```"#;

/// An address option; None when absent.
fn ip_option(opts: &Map, key: &str) -> Result<Option<IpAddr>> {
    option(opts, key, |v| {
        let text = v.to_string();
        text.parse().map_err(|_| {
            Error::invalid(
                format!("use {text:?} as option `{key}`"),
                "not an IPv4 or IPv6 address",
            )
            .with_help("give an address without a prefix length, like 192.0.2.2")
        })
    })
}

/// An integer option in `range`.
fn int_option(opts: &Map, key: &str, range: std::ops::RangeInclusive<i64>) -> Result<Option<i64>> {
    option(opts, key, |v| match v.as_int() {
        Ok(n) if range.contains(&n) => Ok(n),
        Ok(n) => Err(Error::invalid(
            format!("use {n} as option `{key}`"),
            format!("`{key}` must be from {} to {}", range.start(), range.end()),
        )),
        Err(t) => Err(Error::invalid(
            format!("use a {t} as option `{key}`"),
            format!("`{key}` must be an integer"),
        )),
    })
}

/// The underlay device of a vxlan: its namespace and index.
fn dev_option(n: &Net, opts: &Map) -> Result<Option<(Ns, LinkInfo)>> {
    option(opts, "dev", |v| {
        let Some(dev) = v.clone().try_cast::<LinkHandle>() else {
            return Err(Error::invalid(
                format!("use a {} as option `dev`", v.type_name()),
                "`dev` must be a Link",
            )
            .with_help("pass a link handle, like link::get(\"eth0\")"));
        };
        dev.check()?;
        let info = n.link_by_index(&dev.ns(), dev.index())?;
        Ok((dev.ns(), info))
    })
}

fn add_vxlan(n: &Net, ctx: &NativeCallContext, name: &str, opts: &Map) -> Res<LinkHandle> {
    let action = format!("create vxlan link \"{name}\"");
    check_options(
        &action,
        opts,
        &["id", "remote", "local", "dev", "port", "netns"],
    )
    .or_raise(ctx)?;
    let id = int_option(opts, "id", 0..=0xff_ffff).or_raise(ctx)?;
    let Some(id) = id else {
        return Err(raise(
            ctx,
            Error::invalid(
                action,
                "option `id` (the VXLAN network identifier) is missing",
            )
            .with_help("give one: #{ id: 42, remote: \"192.0.2.2\" }"),
        ));
    };
    let port = int_option(opts, "port", 1..=65535)
        .or_raise(ctx)?
        .unwrap_or(4789);
    let local = ip_option(opts, "local").or_raise(ctx)?;
    let remote = ip_option(opts, "remote").or_raise(ctx)?;
    if let (Some(l), Some(r)) = (local, remote)
        && l.is_ipv4() != r.is_ipv4()
    {
        return Err(raise(
            ctx,
            Error::invalid(
                action,
                format!("`local` {l} and `remote` {r} are not of one family"),
            )
            .with_help("use two IPv4 or two IPv6 addresses"),
        ));
    }
    let dev = dev_option(n, opts).or_raise(ctx)?;
    let ns = target(opts, dev.as_ref().map_or(Ns::Host, |(ns, _)| ns.clone())).or_raise(ctx)?;
    let underlay = dev.as_ref().map_or(ns.clone(), |(ns, _)| ns.clone());
    let vx = Vxlan {
        id: id as u32,
        local,
        remote,
        dev: dev.as_ref().map(|(_, d)| d.index),
        port: port as u16,
    };
    let info = n.add_vxlan(&underlay, &ns, name, &vx).or_raise(ctx)?;
    let mut command = format!(
        "ip {}link add {name}{} type vxlan id {id}",
        record::ip_n(&underlay),
        netns_clause(&underlay, &ns)
    );
    if let Some(l) = local {
        command.push_str(&format!(" local {l}"));
    }
    match remote {
        Some(r) if r.is_multicast() => command.push_str(&format!(" group {r}")),
        Some(r) => command.push_str(&format!(" remote {r}")),
        None => {}
    }
    if let Some((_, d)) = &dev {
        command.push_str(&format!(" dev {}", d.name));
    }
    command.push_str(&format!(" dstport {port}"));
    created(ctx, &ns, &info, "vxlan", command);
    Ok(LinkHandle::new(ns, info.index))
}

const DUMMY_DOC: &str = r#"
Create a dummy link: an Ethernet device that goes nowhere, to hold an
address (a router's loopback, a service address, a route's `dev`) in the
host or, with `#{ netns }`, directly in another namespace. Like `ip`, it
starts down.

`ip [-n NS] link add NAME type dummy`

```rhai
// needs a kernel with dummy links (CONFIG_DUMMY)
let r1 = netns::add("r1");
let lo1 = link::add_dummy("lo1", #{ netns: r1 });
lo1.addr_add("192.0.2.1/32");
lo1.up();
print(lo1.kind);      // dummy
print(lo1.addrs()[0]);   // 192.0.2.1/32
```"#;

fn add_dummy(n: &Net, ctx: &NativeCallContext, name: &str, opts: &Map) -> Res<LinkHandle> {
    check_options(&format!("create dummy link \"{name}\""), opts, &["netns"]).or_raise(ctx)?;
    let ns = target(opts, Ns::Host).or_raise(ctx)?;
    let info = n.add_dummy(&ns, name).or_raise(ctx)?;
    let command = format!("ip {}link add {name} type dummy", record::ip_n(&ns));
    created(ctx, &ns, &info, "dummy", command);
    Ok(LinkHandle::new(ns, info.index))
}

pub fn register(m: &mut Module, net: &Net) {
    super::vrf::register(m, net);
    let n = net.clone();
    func("add_dummy", &["name: &str", "Link"], DUMMY_DOC)
        .set_into_module(m, move |ctx: NativeCallContext<'_>, name: &str| {
            add_dummy(&n, &ctx, name, &Map::new())
        });
    let n = net.clone();
    func(
        "add_dummy",
        &["name: &str", "options: Map", "Link"],
        DUMMY_DOC,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, name: &str, opts: Map| add_dummy(&n, &ctx, name, &opts),
    );
    super::vlan::register(m, net);

    let n = net.clone();
    func(
        "add_vxlan",
        &["name: &str", "options: Map", "Link"],
        VXLAN_DOC,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, name: &str, opts: Map| add_vxlan(&n, &ctx, name, &opts),
    );

    let macvlan_doc = r#"
Create a macvlan link on `parent` in `mode` ("bridge", "private",
"vepa", "passthru" or "source"), named `#{ name }` or the first free
macvlanN, in the parent's namespace or, with `#{ netns }`, directly in
another one (the usual way to give a namespace its own MAC on a NIC).

`ip link add link PARENT name NAME [netns NS] type macvlan mode MODE`

```rhai
let r1 = netns::add("r1");
let uplink = link::add_veth("uplink", "uplink-peer");
let mv = link::add_macvlan(uplink, "bridge", #{ netns: r1, name: "eth0" });
print(mv.kind);         // macvlan
print(mv.netns.name);   // r1
```"#;
    for with_opts in [false, true] {
        let n = net.clone();
        let params: &[&str] = if with_opts {
            &["parent: Link", "mode: &str", "options: Map", "Link"]
        } else {
            &["parent: Link", "mode: &str", "Link"]
        };
        let f = move |ctx: NativeCallContext<'_>,
                      parent: LinkHandle,
                      mode: &str,
                      opts: Map|
              -> Res<LinkHandle> {
            check_options("create a macvlan link", &opts, &["name", "netns"]).or_raise(&ctx)?;
            parent.check().or_raise(&ctx)?;
            let m = macvlan_mode(mode).or_raise(&ctx)?;
            let pns = parent.ns();
            let p = n.link_by_index(&pns, parent.index()).or_raise(&ctx)?;
            let ns = target(&opts, pns.clone()).or_raise(&ctx)?;
            let name = match opts.get("name") {
                Some(v) => v.to_string(),
                None => {
                    let taken: Vec<String> = n
                        .links(&ns)
                        .or_raise(&ctx)?
                        .into_iter()
                        .map(|l| l.name)
                        .collect();
                    (0..)
                        .map(|i| format!("macvlan{i}"))
                        .find(|c| !taken.contains(c))
                        .unwrap_or_default()
                }
            };
            let info = n.add_macvlan(&pns, p.index, &name, m, &ns).or_raise(&ctx)?;
            let command = format!(
                "ip {}link add link {} name {name}{} type macvlan mode {mode}",
                record::ip_n(&pns),
                p.name,
                netns_clause(&pns, &ns)
            );
            created(&ctx, &ns, &info, "macvlan", command);
            Ok(LinkHandle::new(ns, info.index))
        };
        if with_opts {
            func("add_macvlan", params, macvlan_doc).set_into_module(m, f);
        } else {
            func("add_macvlan", params, macvlan_doc).set_into_module(
                m,
                move |ctx: NativeCallContext<'_>, parent: LinkHandle, mode: &str| {
                    f(ctx, parent, mode, Map::new())
                },
            );
        }
    }
}
