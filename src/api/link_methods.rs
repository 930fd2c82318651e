//! Methods and properties of a `Link` handle.

use rhai::{Array, Dynamic, Module, NativeCallContext};

use super::convert::{OrRaise, Res, raise};
use super::{LinkHandle, Net, NetnsHandle, getter, method, record};
use crate::error::{Error, Kind};
use crate::lab::Object;
use crate::netlink::LinkInfo;

pub fn register(m: &mut Module, net: &Net) {
    properties(m, net);
    state_changes(m, net);
    addresses(m, net);
    placement(m, net);
    super::link_ownership::register(m, net);

    let n = net.clone();
    method(
        "to_string",
        &["l: &mut Link", "String"],
        "Text form: `Link(\"eth0\" in r1)`.",
    )
    .set_into_module(m, move |l: &mut LinkHandle| display(&n, l));
    let n = net.clone();
    method(
        "to_debug",
        &["l: &mut Link", "String"],
        "Debug form: `Link(\"eth0\" in r1)`.",
    )
    .set_into_module(m, move |l: &mut LinkHandle| display(&n, l));
    method(
        "==",
        &["a: Link", "b: Link", "bool"],
        "Whether two handles are the same link.",
    )
    .set_into_module(m, |a: LinkHandle, b: LinkHandle| a.same_link(&b));
    method(
        "!=",
        &["a: Link", "b: Link", "bool"],
        "Whether two handles are different links.",
    )
    .set_into_module(m, |a: LinkHandle, b: LinkHandle| !a.same_link(&b));
}

/// The link's current name, for traces ("#INDEX" if it is gone).
pub(super) fn name_of(net: &Net, l: &LinkHandle) -> String {
    net.link_by_index(&l.ns(), l.index())
        .map_or(format!("#{}", l.index()), |i| i.name)
}

fn cidr_text(c: crate::cidr::Cidr) -> String {
    crate::cidr::format(c)
}

fn display(net: &Net, l: &LinkHandle) -> String {
    match net.link_by_index(&l.ns(), l.index()) {
        Ok(info) => format!("Link(\"{}\" in {})", info.name, l.ns().name()),
        Err(_) => format!("Link(#{} in {}, gone)", l.index(), l.ns().name()),
    }
}

fn info(net: &Net, ctx: &NativeCallContext, l: &LinkHandle) -> Res<LinkInfo> {
    l.check().or_raise(ctx)?;
    net.link_by_index(&l.ns(), l.index()).or_raise(ctx)
}

/// A read-only property computed from the link's current kernel state.
fn info_property(
    m: &mut Module,
    net: &Net,
    prop: &str,
    ty: &str,
    doc: &str,
    read: fn(LinkInfo) -> Dynamic,
) {
    let n = net.clone();
    getter(prop, &["l: &mut Link", ty], doc).set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle| -> Res<Dynamic> {
            Ok(read(info(&n, &ctx, l)?))
        },
    );
}

fn properties(m: &mut Module, net: &Net) {
    info_property(
        m,
        net,
        "name",
        "String",
        r#"
The link's current name (it follows renames).

```rhai
let l = link::add_veth("a", "b");
l.rename("c");
print(l.name);   // c
```"#,
        |i| i.name.into(),
    );

    info_property(
        m,
        net,
        "index",
        "i64",
        r#"
The interface index in its namespace.

```rhai
print(link::get("lo").index);   // 1
```"#,
        |i| Dynamic::from_int(i.index as rhai::INT),
    );

    info_property(
        m,
        net,
        "kind",
        "String",
        r#"
The link type: "veth", "bridge", "loopback", "dummy", … ("device" when the
kernel reports none, e.g. a physical NIC).

`ip -d link show` (the line after `link/ether`)

```rhai
print(bridge::add("br0").kind);   // bridge
```"#,
        |i| i.kind.into(),
    );

    info_property(
        m,
        net,
        "mtu",
        "i64",
        r#"
The MTU in bytes.

```rhai
let l = link::add_veth("a", "b");
print(l.mtu);   // 1500
```"#,
        |i| Dynamic::from_int(i.mtu as rhai::INT),
    );

    info_property(
        m,
        net,
        "mac",
        "String",
        r#"
The hardware address, as "aa:bb:cc:dd:ee:ff".

```rhai
let l = link::add_veth("a", "b");
print(l.mac.len());   // 17
```"#,
        |i| i.mac.into(),
    );

    info_property(
        m,
        net,
        "is_up",
        "bool",
        r#"
The administrative state: true after `up()` (the `UP` flag of `ip link`).

```rhai
let l = link::add_veth("a", "b");
print(l.is_up);   // false
l.up();
print(l.is_up);   // true
```"#,
        |i| i.up.into(),
    );

    info_property(
        m,
        net,
        "state",
        "String",
        r#"
The operational state as `ip link` prints it: "UP", "DOWN",
"LOWERLAYERDOWN", "UNKNOWN", …

```rhai
let l = link::add_veth("a", "b");
l.up();
print(l.state);   // LOWERLAYERDOWN (the peer is still down)
l.peer.up();
print(l.state);   // UP
```"#,
        |i| i.oper.into(),
    );

    let n = net.clone();
    getter(
        "netns",
        &["l: &mut Link", "Netns"],
        r#"
The namespace the link is in now (it follows moves).

```rhai
let r1 = netns::add("r1");
let l = link::add_veth("a", "b");
l.set_netns(r1);
print(l.netns.name);   // r1
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle| -> Res<NetnsHandle> {
            info(&n, &ctx, l)?;
            Ok(NetnsHandle { ns: l.ns() })
        },
    );

    let n = net.clone();
    getter(
        "master",
        &["l: &mut Link", "Dynamic"],
        r#"
The name of the bridge this link is a port of, or `()`.

`ip link show dev X` (the `master` field)

```rhai
let br = bridge::add("br0");
let l = link::add_veth("a", "b");
print(l.master == ());   // true
l.set_master(br);
print(l.master);   // br0
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle| -> Res<Dynamic> {
            let Some(master) = info(&n, &ctx, l)?.master else {
                return Ok(Dynamic::UNIT);
            };
            Ok(n.link_by_index(&l.ns(), master).or_raise(&ctx)?.name.into())
        },
    );

    let n = net.clone();
    getter(
        "peer",
        &["l: &mut Link", "Dynamic"],
        r#"
The other end of a veth, in whatever namespace it is; `()` for other kinds.

```rhai
let r1 = netns::add("r1");
let v = link::add_veth("a", "b", #{ peer_netns: r1 });
print(v.peer.name);         // b
print(v.peer.netns.name);   // r1
print(v.peer.peer.name);    // a
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle| -> Res<Dynamic> {
            let me = info(&n, &ctx, l)?;
            Ok(match n.peer_of(&l.ns(), &me).or_raise(&ctx)? {
                Some((ns, index)) => Dynamic::from(LinkHandle::new(ns, index)),
                None => Dynamic::UNIT,
            })
        },
    );
}

fn state_changes(m: &mut Module, net: &Net) {
    let n = net.clone();
    method(
        "up",
        &["l: &mut Link"],
        r#"
Bring the link up. Returns once the kernel has applied the change, so a
bridge port is forwarding when the next call runs (no sleep needed).

`ip link set dev X up`

```rhai
let l = link::add_veth("a", "b");
l.up();
print(l.is_up);   // true
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle| -> Res<()> {
            l.check().or_raise(&ctx)?;
            n.set_up(&l.ns(), l.index(), true).or_raise(&ctx)?;
            record::change(&ctx, || {
                format!(
                    "ip {}link set dev {} up",
                    record::ip_n(&l.ns()),
                    name_of(&n, l)
                )
            });
            // Reading the link back flushes its pending carrier events; then
            // the same for the other end of a veth, which may be a bridge
            // port. Without carrier the other end is down, and nothing
            // changed there.
            if let Ok(me) = n.link_by_index(&l.ns(), l.index())
                && me.carrier
                && let Ok(Some((peer_ns, peer))) = n.peer_of(&l.ns(), &me)
            {
                n.settle(&peer_ns, peer);
            }
            Ok(())
        },
    );

    let n = net.clone();
    method(
        "down",
        &["l: &mut Link"],
        r#"
Bring the link down.

`ip link set dev X down`

```rhai
let l = link::add_veth("a", "b");
l.up();
l.down();
print(l.is_up);   // false
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle| -> Res<()> {
            l.check().or_raise(&ctx)?;
            n.set_up(&l.ns(), l.index(), false).or_raise(&ctx)?;
            record::change(&ctx, || {
                format!(
                    "ip {}link set dev {} down",
                    record::ip_n(&l.ns()),
                    name_of(&n, l)
                )
            });
            Ok(())
        },
    );

    let n = net.clone();
    method(
        "rename",
        &["l: &mut Link", "name: &str"],
        r#"
Rename the link; this handle (and copies of it) follow it.

`ip link set dev X name NAME`

```rhai
let r1 = netns::add("r1");
let l = link::add_veth("veth1.1", "veth1.2", #{ netns: r1 });
l.rename("eth0");
print(r1.link("eth0") == l);   // true
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle, name: &str| -> Res<()> {
            l.check().or_raise(&ctx)?;
            let old = name_of(&n, l);
            n.rename(&l.ns(), l.index(), name).or_raise(&ctx)?;
            record::change(&ctx, || {
                format!("ip {}link set dev {old} name {name}", record::ip_n(&l.ns()))
            });
            crate::lab::current().link_moved(
                l.ns().name(),
                l.index(),
                &record::place(&l.ns(), l.index()),
                name,
            );
            Ok(())
        },
    );

    let n = net.clone();
    method(
        "set_mtu",
        &["l: &mut Link", "mtu: i64"],
        r#"
Set the MTU in bytes.

`ip link set dev X mtu N`

```rhai
let l = link::add_veth("a", "b");
l.set_mtu(9000);
print(l.mtu);   // 9000
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle, mtu: rhai::INT| -> Res<()> {
            l.check().or_raise(&ctx)?;
            let mtu = mtu_arg(mtu).or_raise(&ctx)?;
            n.set_mtu(&l.ns(), l.index(), mtu)
                .map_err(|e| e.invalid_arg(0))
                .or_raise(&ctx)?;
            record::change(&ctx, || {
                format!(
                    "ip {}link set dev {} mtu {mtu}",
                    record::ip_n(&l.ns()),
                    name_of(&n, l)
                )
            });
            Ok(())
        },
    );
}

fn addresses(m: &mut Module, net: &Net) {
    let n = net.clone();
    method(
        "addrs",
        &["l: &mut Link", "Array"],
        r#"
The link's addresses as CIDR strings, IPv4 first, in the order `ip addr`
shows them (including IPv6 link-local ones once the link is up).

`ip addr show dev X`

```rhai
let l = link::add_veth("a", "b");
l.addr_add("10.0.0.1/24");
l.addr_add("2001:db8::1/64");
print(l.addrs());   // ["10.0.0.1/24", "2001:db8::1/64"]
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle| -> Res<Array> {
            info(&n, &ctx, l)?;
            let addrs = n.addrs(&l.ns(), l.index()).or_raise(&ctx)?;
            Ok(addrs
                .into_iter()
                .map(|c| Dynamic::from(crate::cidr::format(c)))
                .collect())
        },
    );

    let n = net.clone();
    method(
        "addr_add",
        &["l: &mut Link", "cidr: &str"],
        r#"
Add an address, "ADDR/LEN" (a bare address means /32 or /128). IPv6
addresses skip duplicate address detection, so they work at once.

`ip addr add CIDR dev X` (IPv6: `... nodad`)

```rhai
let l = link::add_veth("a", "b");
l.addr_add("100.100.100.10/24");
print(l.addrs());   // ["100.100.100.10/24"]
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle, cidr: &str| -> Res<()> {
            l.check().or_raise(&ctx)?;
            let c = crate::cidr::parse(cidr).or_raise(&ctx)?;
            n.addr_add(&l.ns(), l.index(), c).or_raise(&ctx)?;
            // The link's name is looked up only for a trace or the ledger:
            // a round trip per address otherwise.
            let nodad = if c.0.is_ipv6() { " nodad" } else { "" };
            record::change(&ctx, || {
                format!(
                    "ip {}addr add {} dev {}{nodad}",
                    record::ip_n(&l.ns()),
                    cidr_text(c),
                    name_of(&n, l)
                )
            });
            let lab = crate::lab::current();
            if lab.link_at(l.ns().name(), l.index()).is_none() && !lab.owns_netns(l.ns().name()) {
                lab.created(Object::Addr {
                    ns: l.ns().name().to_string(),
                    ns_id: record::ns_id(&l.ns()),
                    index: l.index(),
                    link: name_of(&n, l),
                    cidr: cidr_text(c),
                });
            }
            Ok(())
        },
    );

    let n = net.clone();
    method(
        "addr_del",
        &["l: &mut Link", "cidr: &str"],
        r#"
Remove an address, given as it was added.

`ip addr del CIDR dev X`

```rhai
let l = link::add_veth("a", "b");
l.addr_add("10.0.0.1/24");
l.addr_del("10.0.0.1/24");
print(l.addrs());   // []
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle, cidr: &str| -> Res<()> {
            l.check().or_raise(&ctx)?;
            let c = crate::cidr::parse(cidr).or_raise(&ctx)?;
            n.addr_del(&l.ns(), l.index(), c)
                .map_err(|e| match e.kind {
                    Kind::NotFound | Kind::Invalid => e.at_arg(0),
                    _ => e,
                })
                .or_raise(&ctx)?;
            record::change(&ctx, || format!("ip {}addr del {} dev {}", record::ip_n(&l.ns()), cidr_text(c), name_of(&n, l)));
            let (ns, index, text) = (l.ns().name().to_string(), l.index(), cidr_text(c));
            crate::lab::current()
                .removed(|o| matches!(o, Object::Addr { ns: n, index: i, cidr, .. } if *n == ns && *i == index && *cidr == text));
            Ok(())
        },
    );
}

fn placement(m: &mut Module, net: &Net) {
    let master_doc = r#"
Make the link a port of a bridge (a bridge Link or its name, in the same
namespace), or a member of a VRF (`link::add_vrf`) the same way. A
bridge port forwards as soon as this returns.

`ip link set dev X master BRIDGE`

```rhai
let br = bridge::add("br0");
br.up();
let l = link::add_veth("veth1.2", "veth1.1");
l.set_master(br);          // or l.set_master("br0")
print(l.master);           // br0
```"#;
    let n = net.clone();
    method("set_master", &["l: &mut Link", "bridge: Link"], master_doc).set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle, br: LinkHandle| -> Res<()> {
            l.check().or_raise(&ctx)?;
            if br.ns() != l.ns() {
                let e = Error::invalid(
                    "set the master of a link",
                    format!(
                        "the bridge is in namespace \"{}\" and the link in \"{}\"",
                        br.ns().name(),
                        l.ns().name()
                    ),
                )
                .with_help(
                    "a port and its bridge must be in the same namespace: move one with set_netns",
                );
                return Err(raise(&ctx, e));
            }
            set_master(&n, &ctx, l, br.index())
        },
    );
    let n = net.clone();
    method("set_master", &["l: &mut Link", "bridge: &str"], master_doc).set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle, br: &str| -> Res<()> {
            l.check().or_raise(&ctx)?;
            let bridge = n.link_by_name(&l.ns(), br).or_raise(&ctx)?;
            set_master(&n, &ctx, l, bridge.index)
        },
    );

    let n = net.clone();
    method(
        "nomaster",
        &["l: &mut Link"],
        r#"
Release the link from its bridge.

`ip link set dev X nomaster`

```rhai
let br = bridge::add("br0");
let l = link::add_veth("a", "b");
l.set_master(br);
l.nomaster();
print(l.master == ());   // true
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle| -> Res<()> {
            l.check().or_raise(&ctx)?;
            n.set_master(&l.ns(), l.index(), None).or_raise(&ctx)?;
            record::change(&ctx, || {
                format!(
                    "ip {}link set dev {} nomaster",
                    record::ip_n(&l.ns()),
                    name_of(&n, l)
                )
            });
            Ok(())
        },
    );
}

fn set_master(n: &Net, ctx: &NativeCallContext, l: &LinkHandle, bridge: u32) -> Res<()> {
    n.set_master(&l.ns(), l.index(), Some(bridge))
        .map_err(|e| e.invalid_arg(0))
        .or_raise(ctx)?;
    record::change(ctx, || {
        let br = n
            .link_by_index(&l.ns(), bridge)
            .map(|b| b.name)
            .unwrap_or_default();
        format!(
            "ip {}link set dev {} master {br}",
            record::ip_n(&l.ns()),
            name_of(n, l)
        )
    });
    // A port that has carrier may start forwarding, and so give the bridge
    // carrier: flush both. A port without it changed nothing of the sort.
    if n.link_by_index(&l.ns(), l.index())
        .is_ok_and(|port| port.carrier)
    {
        n.settle(&l.ns(), bridge);
    }
    Ok(())
}

/// An MTU: what any link could take (each kind has its own limits, which
/// the kernel checks).
fn mtu_arg(mtu: rhai::INT) -> crate::error::Result<u32> {
    u32::try_from(mtu)
        .ok()
        .filter(|m| (68..=65536).contains(m))
        .ok_or_else(|| {
            crate::error::Error::invalid(
                format!("set the MTU to {mtu}"),
                "an MTU is from 68 (the IPv4 minimum) to 65536",
            )
            .with_help("Ethernet links use 1500; jumbo frames 9000")
            .at_arg(0)
        })
}
