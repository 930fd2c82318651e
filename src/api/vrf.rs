//! VRFs in the `link` module: separate routing domains in one namespace.

use rhai::{Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, check_options};
use super::link_kinds::{created, target};
use super::{LinkHandle, Net, func, record};
use crate::error::Error;
use crate::ns::Ns;

const VRF_DOC: &str = r#"
Create a VRF (a separate routing domain in one namespace) that routes by
`table` (1 to 4294967295, not the kernel's own 253, 254 or 255), in the
host or, with `#{ netns }`, directly in another namespace. Links join it
with `.set_master(vrf)`; routes go in its table with `ns.route_add(dst,
#{ ..., table })`. Like `ip`, it starts down.

`ip [-n NS] link add NAME type vrf table TABLE`

```rhai
// needs a kernel with VRF (CONFIG_NET_VRF)
let r1 = netns::add("r1");
let red = link::add_vrf("red", 10, #{ netns: r1 });
red.up();
let eth = link::add_veth("eth0", "peer0", #{ netns: r1 });
eth.set_master(red);
eth.addr_add("10.0.0.1/24");
eth.up();
print(red.kind);   // vrf
print(r1.routes(#{ table: 10 }).len() > 0);   // true
```"#;

fn add_vrf(
    n: &Net,
    ctx: &NativeCallContext,
    name: &str,
    table: i64,
    opts: &Map,
) -> Res<LinkHandle> {
    check_options(&format!("create vrf link \"{name}\""), opts, &["netns"]).or_raise(ctx)?;
    let table = u32::try_from(table)
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
        .or_raise(ctx)?;
    let ns = target(opts, Ns::Host).or_raise(ctx)?;
    let info = n.add_vrf(&ns, name, table).or_raise(ctx)?;
    let command = format!(
        "ip {}link add {name} type vrf table {table}",
        record::ip_n(&ns)
    );
    created(ctx, &ns, &info, "vrf", command);
    Ok(LinkHandle::new(ns, info.index))
}

pub fn register(m: &mut Module, net: &Net) {
    let n = net.clone();
    func("add_vrf", &["name: &str", "table: i64", "Link"], VRF_DOC).set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, name: &str, table: i64| {
            add_vrf(&n, &ctx, name, table, &Map::new())
        },
    );
    let n = net.clone();
    func(
        "add_vrf",
        &["name: &str", "table: i64", "options: Map", "Link"],
        VRF_DOC,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, name: &str, table: i64, opts: Map| {
            add_vrf(&n, &ctx, name, table, &opts)
        },
    );
}
