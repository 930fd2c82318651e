//! The `link` module: creating and finding links (`ip link`).

use rhai::{Array, Dynamic, Map, Module, NativeCallContext};

use crate::api::convert::{OrRaise, Res, check_options, ns_arg, option};
use crate::api::{LinkHandle, Net, func, record};
use crate::ns::Ns;

const VETH_DOC: &str = r#"
Create a veth pair and return the `name` end (its `.peer` is the other).
With options, each end is created directly in its namespace
(`netns` for `name`, `peer_netns` for `peer_name`; each a Netns or a name,
default the host), which is much faster than moving it afterwards.

`ip link add NAME netns NS type veth peer name PEER netns PEER_NS`

```rhai
let r1 = netns::add("r1");
let v = link::add_veth("veth1.1", "veth1.2");
print(v.peer.name);                       // veth1.2
let e = link::add_veth("eth0", "r1-eth0", #{ netns: r1 });
print(e.netns.name);                      // r1
print(e.peer.netns.name);                 // host
```"#;

fn veth_created(
    ctx: &NativeCallContext,
    ns: &Ns,
    info: &crate::netlink::LinkInfo,
    peer_ns: &Ns,
    peer: &str,
) {
    let name = &info.name;
    record::change(ctx, || match (ns, peer_ns) {
        (a, b) if a == b => format!(
            "ip {}link add {name} type veth peer name {peer}",
            record::ip_n(a)
        ),
        (Ns::Host, b) => format!(
            "ip link add {name} type veth peer name {peer} netns {}",
            record::netns_arg(b)
        ),
        (a, Ns::Host) => format!(
            "ip link add {peer} type veth peer name {name} netns {}",
            record::netns_arg(a)
        ),
        (a, b) => format!(
            "ip {}link add {name} type veth peer name {peer} netns {}",
            record::ip_n(a),
            record::netns_arg(b)
        ),
    });
    let peer_at = info.link.map(|index| crate::lab::Place::of(peer_ns, index));
    record::created(ctx, crate::lab::Object::veth(ns, info.index, name, peer_at));
}

/// Both ends named alike in one namespace: the peer's name is the one to
/// change.
fn add_veth(
    n: &Net,
    ns: &Ns,
    name: &str,
    peer_ns: &Ns,
    peer: &str,
) -> crate::error::Result<crate::netlink::LinkInfo> {
    n.add_veth(ns, name, peer_ns, peer).map_err(|e| {
        if name != peer {
            e
        } else if ns == peer_ns {
            e.invalid_arg(1)
        } else if e.kind == crate::error::Kind::Exists {
            // Same name at both ends: say which one is taken.
            let taken = if n.link_by_name(ns, name).is_ok() {
                0
            } else {
                1
            };
            e.at_arg(taken)
        } else {
            e
        }
    })
}

pub fn module(net: &Net) -> Module {
    let mut m = Module::new();

    let n = net.clone();
    func(
        "add_veth",
        &["name: &str", "peer_name: &str", "Link"],
        VETH_DOC,
    )
    .set_into_module(
        &mut m,
        move |ctx: NativeCallContext<'_>, name: &str, peer: &str| -> Res<LinkHandle> {
            let info = add_veth(&n, &Ns::Host, name, &Ns::Host, peer).or_raise(&ctx)?;
            veth_created(&ctx, &Ns::Host, &info, &Ns::Host, peer);
            Ok(LinkHandle::new(Ns::Host, info.index))
        },
    );

    let n = net.clone();
    func(
        "add_veth",
        &["name: &str", "peer_name: &str", "options: Map", "Link"],
        VETH_DOC,
    )
    .set_into_module(
        &mut m,
        move |ctx: NativeCallContext<'_>, name: &str, peer: &str, opts: Map| -> Res<LinkHandle> {
            check_options("create a veth pair", &opts, &["netns", "peer_netns"]).or_raise(&ctx)?;
            let pick = |key: &str| {
                option(&opts, key, |v| ns_arg(&format!("option `{key}`"), v))
                    .map(|ns| ns.unwrap_or(Ns::Host))
            };
            let ns = pick("netns").or_raise(&ctx)?;
            let peer_ns = pick("peer_netns").or_raise(&ctx)?;
            let info = add_veth(&n, &ns, name, &peer_ns, peer).or_raise(&ctx)?;
            veth_created(&ctx, &ns, &info, &peer_ns, peer);
            Ok(LinkHandle::new(ns, info.index))
        },
    );

    let n = net.clone();
    func(
        "get",
        &["name: &str", "Link"],
        r#"
The link called `name` in the host namespace (use `ns.link(name)` for
another namespace). Fails with kind "not_found", naming the namespaces where
a link of that name does exist.

`ip link show NAME`

```rhai
let lo = link::get("lo");
print(lo.index);   // 1
```"#,
    )
    .set_into_module(
        &mut m,
        move |ctx: NativeCallContext<'_>, name: &str| -> Res<LinkHandle> {
            let info = n.link_by_name(&Ns::Host, name).or_raise(&ctx)?;
            Ok(LinkHandle::new(Ns::Host, info.index))
        },
    );

    let n = net.clone();
    func(
        "list",
        &["Array"],
        r#"
Every link in the host namespace, in index order.

`ip link show`

```rhai
bridge::add("br0");
for l in link::list() { print(`${l.name} ${l.kind}`); }   // lo loopback, br0 bridge
```"#,
    )
    .set_into_module(&mut m, move |ctx: NativeCallContext<'_>| -> Res<Array> {
        let links = n.links(&Ns::Host).or_raise(&ctx)?;
        Ok(links
            .into_iter()
            .map(|l| Dynamic::from(LinkHandle::new(Ns::Host, l.index)))
            .collect())
    });

    crate::api::link_kinds::register(&mut m, net);
    m
}
