//! Neighbour entries of a `Netns`: `ip neigh` as methods.

use std::net::IpAddr;

use rhai::{Array, Dynamic, Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res};
use super::{LinkHandle, Net, NetnsHandle, method, record};
use crate::error::{Error, Result};
use crate::lab::Object;
use crate::netlink::LinkInfo;

fn parse_ip(text: &str) -> Result<IpAddr> {
    text.parse().map_err(|_| {
        Error::invalid(
            format!("use {text:?} as a neighbour address"),
            "not an IPv4 or IPv6 address",
        )
        .with_help("give a plain address like 10.0.0.2, without a prefix length")
        .about(text)
    })
}

/// "aa:bb:cc:dd:ee:ff" (or with '-') as six bytes.
fn parse_mac(text: &str) -> Result<[u8; 6]> {
    let parts: Vec<&str> = text.split([':', '-']).collect();
    let bytes: Vec<u8> = parts
        .iter()
        .filter(|p| p.len() == 2)
        .filter_map(|p| u8::from_str_radix(p, 16).ok())
        .collect();
    <[u8; 6]>::try_from(bytes.as_slice())
        .ok()
        .filter(|_| parts.len() == 6)
        .ok_or_else(|| {
            Error::invalid(
                format!("use {text:?} as a MAC address"),
                "a MAC address is six two-digit hex bytes",
            )
            .with_help("write it like 02:00:00:00:00:01")
            .about(text)
        })
}

/// The link a method names by handle or by name, which must be in `ns`
/// (neighbour and route methods take their `dev` this way).

fn add(
    n: &Net,
    ctx: &NativeCallContext,
    ns: &NetnsHandle,
    ip: &str,
    mac: &str,
    dev: &Dynamic,
) -> Res<()> {
    let addr = parse_ip(ip).or_raise(ctx)?;
    let lladdr = parse_mac(mac).or_raise(ctx)?;
    let LinkInfo { index, name, .. } = super::convert::link_in(n, &ns.ns, dev).or_raise(ctx)?;
    n.neigh_add(&ns.ns, index, addr, lladdr).or_raise(ctx)?;
    record::change(ctx, || {
        format!(
            "ip {}neigh add {addr} lladdr {} dev {name}",
            record::ip_n(&ns.ns),
            mac.to_lowercase()
        )
    });
    let lab = record::lab(ctx);
    if !lab.owns_netns(ns.ns.name()) {
        lab.created(Object::Neigh {
            ns: ns.ns.name().to_string(),
            ns_id: ns.ns.id(),
            index,
            link: name,
            ip: addr.to_string(),
        });
    }
    Ok(())
}

fn del(n: &Net, ctx: &NativeCallContext, ns: &NetnsHandle, ip: &str, dev: &Dynamic) -> Res<()> {
    let addr = parse_ip(ip).or_raise(ctx)?;
    let LinkInfo { index, name, .. } = super::convert::link_in(n, &ns.ns, dev).or_raise(ctx)?;
    n.neigh_del(&ns.ns, index, addr).or_raise(ctx)?;
    record::change(ctx, || {
        format!("ip {}neigh del {addr} dev {name}", record::ip_n(&ns.ns))
    });
    let text = addr.to_string();
    let here = ns.ns.name().to_string();
    record::lab(ctx).removed(|o| {
        matches!(o, Object::Neigh { ns, index: i, ip, .. } if *ns == here && *i == index && *ip == text)
    });
    Ok(())
}

pub fn register(m: &mut Module, net: &Net) {
    let add_doc = r#"
Add a permanent neighbour entry: `ip` is reached at `mac` through `dev` (a
Link of this namespace, or its name). No ARP or neighbour discovery is
needed for it afterwards. Fails with kind "exists" if `ip` already has an
entry on that link.

`ip -n NS neigh add IP lladdr MAC dev DEV`

```rhai
let r1 = netns::add("r1");
let eth = link::add_veth("eth0", "peer0", #{ netns: r1 });
r1.neigh_add("10.0.0.2", "02:00:00:00:00:02", eth);
r1.neigh_add("2001:db8::2", "02:00:00:00:00:02", "eth0");
print(r1.neighs()[0]);   // #{"dev": "eth0", "ip": "10.0.0.2", "mac": "02:00:00:00:00:02", "state": "permanent"}
```"#;
    for with_handle in [true, false] {
        let n = net.clone();
        let params: &[&str] = if with_handle {
            &["ns: &mut Netns", "ip: &str", "mac: &str", "dev: Link"]
        } else {
            &["ns: &mut Netns", "ip: &str", "mac: &str", "dev: &str"]
        };
        let reg = method("neigh_add", params, add_doc);
        if with_handle {
            reg.set_into_module(
                m,
                move |ctx: NativeCallContext<'_>,
                      ns: &mut NetnsHandle,
                      ip: &str,
                      mac: &str,
                      dev: LinkHandle| {
                    add(&n, &ctx, ns, ip, mac, &Dynamic::from(dev))
                },
            );
        } else {
            reg.set_into_module(
                m,
                move |ctx: NativeCallContext<'_>,
                      ns: &mut NetnsHandle,
                      ip: &str,
                      mac: &str,
                      dev: &str| {
                    add(&n, &ctx, ns, ip, mac, &Dynamic::from(dev.to_string()))
                },
            );
        }
    }

    let del_doc = r#"
Delete the neighbour entry of `ip` on `dev` (a Link or its name). Fails
with kind "not_found" if there is none.

`ip -n NS neigh del IP dev DEV`

```rhai
let r1 = netns::add("r1");
let eth = link::add_veth("eth0", "peer0", #{ netns: r1 });
r1.neigh_add("10.0.0.2", "02:00:00:00:00:02", eth);
r1.neigh_del("10.0.0.2", eth);
print(r1.neighs());   // []
```"#;
    for with_handle in [true, false] {
        let n = net.clone();
        let params: &[&str] = if with_handle {
            &["ns: &mut Netns", "ip: &str", "dev: Link"]
        } else {
            &["ns: &mut Netns", "ip: &str", "dev: &str"]
        };
        let reg = method("neigh_del", params, del_doc);
        if with_handle {
            reg.set_into_module(
                m,
                move |ctx: NativeCallContext<'_>,
                      ns: &mut NetnsHandle,
                      ip: &str,
                      dev: LinkHandle| {
                    del(&n, &ctx, ns, ip, &Dynamic::from(dev))
                },
            );
        } else {
            reg.set_into_module(
                m,
                move |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, ip: &str, dev: &str| {
                    del(&n, &ctx, ns, ip, &Dynamic::from(dev.to_string()))
                },
            );
        }
    }

    let n = net.clone();
    method(
        "neighs",
        &["ns: &mut Netns", "Array"],
        r#"
The neighbour (ARP and NDP) entries of this namespace: maps of `ip`,
`mac` ("" while unresolved), `dev` (the link's name) and `state`
("permanent", "reachable", "stale", "failed", ...).

`ip -n NS neigh show`

```rhai
let r1 = netns::add("r1");
let eth = link::add_veth("eth0", "peer0", #{ netns: r1 });
r1.neigh_add("10.0.0.9", "02:00:00:00:00:09", eth);
for e in r1.neighs() { print(`${e.ip} ${e.mac} ${e.state}`); }   // 10.0.0.9 02:00:00:00:00:09 permanent
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle| -> Res<Array> {
            record::look(&ctx, || format!("ip {}neigh show", record::ip_n(&ns.ns)));
            let links = n.links(&ns.ns).or_raise(&ctx)?;
            let entries = n.neighs(&ns.ns).or_raise(&ctx)?;
            Ok(entries
                .into_iter()
                .map(|e| {
                    let dev = links
                        .iter()
                        .find(|l| l.index == e.index)
                        .map_or(String::new(), |l| l.name.clone());
                    let mut map = Map::new();
                    map.insert("ip".into(), e.ip.to_string().into());
                    map.insert("mac".into(), e.mac.into());
                    map.insert("dev".into(), dev.into());
                    map.insert("state".into(), e.state.into());
                    Dynamic::from_map(map)
                })
                .collect())
        },
    );
}
