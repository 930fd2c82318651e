//! Routes of a `Netns`: `ip route` as methods.

use std::net::IpAddr;

use rhai::{Array, Dynamic, Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, check_options};
use super::{Net, NetnsHandle, method, record};
use crate::error::{Error, Result};
use crate::lab::Object;
use crate::netlink::{RouteKind, RouteSpec};
use crate::ns::Ns;

fn gateway(text: &str) -> Result<IpAddr> {
    text.parse().map_err(|_| {
        Error::invalid(
            format!("route via {text:?}"),
            format!("{text:?} is not an IPv4 or IPv6 address"),
        )
        .with_help("the gateway is a plain address like 10.0.0.254, without a prefix length")
        .about(text)
    })
}

/// A routing table number from option `table`: 1 to 2^32-1, but not the
/// kernel's own `local` (255) and `default` (253) tables; 254 is main.
fn table_option(opts: &Map) -> Result<Option<u32>> {
    super::convert::option(opts, "table", |t| {
        let bad = || {
            Error::invalid(
                format!("use {t} as a routing table"),
                "a table is a number from 1 to 4294967295, and not 253 (default) or 255 (local)",
            )
            .with_help("use the table of a VRF made with link::add_vrf, like #{ table: 10 }")
        };
        let n = t
            .as_int()
            .ok()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(bad)?;
        match n {
            0 | 253 | 255 => Err(bad()),
            254 => Ok(None),
            n => Ok(Some(n)),
        }
    })
    .map(Option::flatten)
}

/// A route from a destination and `#{ via, dev, type, metric, table }`.
fn spec(n: &Net, ns: &Ns, destination: &str, opts: &Map) -> Result<(RouteSpec, Option<String>)> {
    check_options("route", opts, &["via", "dev", "type", "metric", "table"])?;
    let table = table_option(opts)?;
    let kind = match opts.get("type") {
        Some(t) => RouteKind::parse(&t.to_string()).map_err(|e| e.at_option("type"))?,
        None => RouteKind::Unicast,
    };
    let via = opts
        .get("via")
        .map(|v| gateway(&v.to_string()))
        .transpose()?;
    let dev = opts
        .get("dev")
        .map(|d| super::convert::link_in(n, ns, d))
        .transpose()?;
    let metric = match opts.get("metric") {
        None => None,
        Some(m) => Some(
            m.as_int()
                .ok()
                .and_then(|m| u32::try_from(m).ok())
                .ok_or_else(|| {
                    Error::invalid(
                        format!("use {m} as a route metric"),
                        "a metric is an integer from 0 to 4294967295",
                    )
                    .at_option("metric")
                })?,
        ),
    };
    let action = format!("route {destination}");
    if kind != RouteKind::Unicast && (via.is_some() || dev.is_some()) {
        return Err(Error::invalid(
            action,
            format!(
                "a {} route drops packets: it takes no `via` or `dev`",
                kind.name()
            ),
        ));
    }
    if kind == RouteKind::Unicast && via.is_none() && dev.is_none() {
        return Err(
            Error::invalid(action, "a route needs `via` (a gateway) or `dev` (a link)")
                .with_help("or give #{ type: \"blackhole\" } to drop the packets"),
        );
    }
    let dst = match via {
        Some(gw) => crate::cidr::parse_destination(destination, gw)?,
        None if destination == "default" => None,
        None => {
            let (ip, len) = crate::cidr::parse(destination)?;
            crate::cidr::parse_destination(destination, ip)?.or(Some((ip, len)))
        }
    };
    let v6 = match (dst, via) {
        (Some((ip, _)), _) => ip.is_ipv6(),
        (None, Some(gw)) => gw.is_ipv6(),
        (None, None) => false,
    };
    let dev_name = dev.as_ref().map(|d| d.name.clone());
    Ok((
        RouteSpec {
            dst,
            v6,
            gateway: via,
            dev: dev.map(|d| d.index),
            kind,
            metric,
            table,
        },
        dev_name,
    ))
}

fn command(verb: &str, ns: &Ns, route: &RouteSpec, dev: &Option<String>) -> String {
    let mut text = format!("ip {}route {verb} {}", record::ip_n(ns), route.describe());
    if let Some(d) = dev {
        text.push_str(&format!(" dev {d}"));
    }
    text
}

fn add(
    n: &Net,
    ctx: &NativeCallContext,
    ns: &NetnsHandle,
    destination: &str,
    opts: &Map,
) -> Res<()> {
    let (route, dev) = spec(n, &ns.ns, destination, opts).or_raise(ctx)?;
    n.route_add(&ns.ns, &route).or_raise(ctx)?;
    record::change(ctx, || command("add", &ns.ns, &route, &dev));
    let lab = record::lab(ctx);
    if !lab.owns_netns(ns.ns.name()) {
        lab.created(Object::Route {
            ns: ns.ns.name().to_string(),
            ns_id: ns.ns.id(),
            dst: route.dst_text(),
            gateway: route.gateway.map_or(String::new(), |g| g.to_string()),
            kind: route.kind.name().into(),
            metric: route.metric,
            table: route.table,
        });
    }
    Ok(())
}

fn del(
    n: &Net,
    ctx: &NativeCallContext,
    ns: &NetnsHandle,
    destination: &str,
    opts: &Map,
) -> Res<()> {
    let (route, dev) = spec(n, &ns.ns, destination, opts).or_raise(ctx)?;
    n.route_del(&ns.ns, &route).or_raise(ctx)?;
    record::change(ctx, || command("del", &ns.ns, &route, &dev));
    let here = ns.ns.name().to_string();
    let dst = route.dst_text();
    record::lab(ctx).removed(|o| {
        matches!(o, Object::Route { ns, dst: d, kind, table, .. }
            if *ns == here && *d == dst && kind == route.kind.name() && *table == route.table)
    });
    Ok(())
}

fn via(gateway: &str) -> Map {
    let mut m = Map::new();
    m.insert("via".into(), gateway.into());
    m
}

type RouteVerb = fn(&Net, &NativeCallContext, &NetnsHandle, &str, &Map) -> Res<()>;

/// `name(destination, gateway)` and `name(destination, options)`.
fn register_both(m: &mut Module, net: &Net, name: &str, doc: &str, verb: RouteVerb) {
    let n = net.clone();
    method(
        name,
        &["ns: &mut Netns", "destination: &str", "gateway: &str"],
        doc,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, dst: &str, gw: &str| {
            verb(&n, &ctx, ns, dst, &via(gw))
        },
    );
    let n = net.clone();
    method(
        name,
        &["ns: &mut Netns", "destination: &str", "options: Map"],
        doc,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, dst: &str, opts: Map| {
            verb(&n, &ctx, ns, dst, &opts)
        },
    );
}

pub fn register(m: &mut Module, net: &Net) {
    let add_doc = r#"
Add a route in the main table. `destination` is "default" or a network
prefix ("10.2.0.0/16", "2001:db8:2::/64"). With a string it is reached via
that gateway; with options: `via` (a gateway), `dev` (a Link or link
name, for a directly connected route), `metric` (lower wins among routes
to one destination), `type`: "unicast" (the default), or "blackhole",
"unreachable", "prohibit" to drop the packets (silently, or with an ICMP
error), and `table` (another routing table than main, such as a VRF's).

`ip -n NS route add [TYPE] DESTINATION [via GATEWAY] [dev DEV] [metric N] [table T]`

```rhai
let r1 = netns::add("r1");
let l = link::add_veth("eth0", "peer0", #{ netns: r1 });
l.addr_add("10.0.0.1/24");
l.up();
r1.route_add("default", "10.0.0.254");
r1.route_add("10.2.0.0/16", "10.0.0.2");
r1.route_add("10.2.0.0/16", #{ via: "10.0.0.3", metric: 200 });
r1.route_add("10.66.0.0/16", #{ type: "blackhole" });
r1.route_add("10.77.0.0/16", #{ dev: l });
print(r1.routes().filter(|r| r.dst == "10.66.0.0/16"));   // [#{"dev": (), "dst": "10.66.0.0/16", "gateway": (), "type": "blackhole"}]
```"#;
    register_both(m, net, "route_add", add_doc, add);

    let del_doc = r#"
Delete a route of the main table (or of `#{ table }`), given as
`route_add` took it (a gateway, or options; `type` and `metric` pick among
several routes to one destination). Fails with kind "not_found" if there
is no such route.

`ip -n NS route del [TYPE] DESTINATION [via GATEWAY] [metric N] [table T]`

```rhai
let r1 = netns::add("r1");
r1.route_add("10.66.0.0/16", #{ type: "unreachable" });
r1.route_del("10.66.0.0/16", #{ type: "unreachable" });
print(r1.routes());   // []
```"#;
    register_both(m, net, "route_del", del_doc, del);

    let routes_doc = r#"
The routes of the main table (or, with `#{ table }`, of that table: a
VRF's), IPv4 then IPv6, each `#{ dst, gateway, dev }`: `dst` is "default"
or a prefix, `gateway` and `dev` are strings or `()`. A route that drops
packets also has `type` ("blackhole", "unreachable", "prohibit"), and one
whose metric is not the default (0 for IPv4, 1024 for IPv6) has `metric`.

`ip -n NS route show [table TABLE]; ip -n NS -6 route show [table TABLE]`

```rhai
let r1 = netns::add("r1");
let eth = link::add_veth("eth0", "peer", #{ netns: r1 });
eth.addr_add("10.1.0.1/24");
eth.up();
r1.route_add("default", "10.1.0.254");
r1.route_add("10.99.0.0/16", #{ type: "unreachable", table: 10 });
let v4 = r1.routes().filter(|r| !r.dst.contains(":"));
print(v4);   // [#{"dev": "eth0", "dst": "default", "gateway": "10.1.0.254"}, #{"dev": "eth0", "dst": "10.1.0.0/24", "gateway": ()}]
print(r1.routes(#{ table: 10 }));   // [#{"dev": (), "dst": "10.99.0.0/16", "gateway": (), "type": "unreachable"}]
```"#;
    let n = net.clone();
    method("routes", &["ns: &mut Netns", "Array"], routes_doc).set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle| -> Res<Array> {
            listed(&n, &ctx, ns, &Map::new())
        },
    );
    let n = net.clone();
    method(
        "routes",
        &["ns: &mut Netns", "options: Map", "Array"],
        routes_doc,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, opts: Map| -> Res<Array> {
            listed(&n, &ctx, ns, &opts)
        },
    );
}

/// `ns.routes(#{ table })` as maps.
fn listed(n: &Net, ctx: &NativeCallContext, ns: &NetnsHandle, opts: &Map) -> Res<Array> {
    check_options("list routes", opts, &["table"]).or_raise(ctx)?;
    let table = table_option(opts).or_raise(ctx)?.unwrap_or(254);
    let routes = n.routes_in(&ns.ns, table).or_raise(ctx)?;
    let links = n.links(&ns.ns).or_raise(ctx)?;
    let name_of = |i: u32| links.iter().find(|l| l.index == i).map(|l| l.name.clone());
    Ok(routes
        .into_iter()
        .map(|r| {
            let mut map = Map::new();
            let v6 =
                r.dst.is_some_and(|(ip, _)| ip.is_ipv6()) || r.gateway.is_some_and(|g| g.is_ipv6());
            let dst = r.dst.map_or("default".to_string(), crate::cidr::format);
            map.insert("dst".into(), dst.into());
            map.insert(
                "gateway".into(),
                r.gateway.map_or(Dynamic::UNIT, |g| g.to_string().into()),
            );
            map.insert(
                "dev".into(),
                r.dev.and_then(name_of).map_or(Dynamic::UNIT, Dynamic::from),
            );
            if r.kind != "unicast" {
                map.insert("type".into(), r.kind.into());
            }
            let default_metric = if v6 { 1024 } else { 0 };
            if let Some(metric) = r.metric.filter(|m| *m != default_metric) {
                map.insert("metric".into(), (metric as i64).into());
            }
            Dynamic::from_map(map)
        })
        .collect())
}
