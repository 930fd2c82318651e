//! `ns.route_add`, `ns.route_del`, `ns.routes()`: `ip route` as methods.

use std::net::IpAddr;

use rhai::plugin::*;
use rhai::{Array, Dynamic, Map};

use crate::api::Netns;
use crate::api::convert::{RhaiResultOf, check_options, link_in, option, take_force};
use crate::api::session::{self, op};
use crate::error::{Error, Result};
use crate::lab::ops::RouteArgs;
use crate::netlink::{Netlink, PathSpec, RouteKind, RouteSpec};
use crate::ns::Ns;

#[export_module]
pub mod netns_routes {
    use super::*;

    /// Add a route in the main table. `destination` is "default" or a network
    /// prefix ("10.2.0.0/16", "2001:db8:2::/64"). With a string it is reached via
    /// that gateway; with options: `via` (a gateway), `dev` (a Link or link
    /// name, for a directly connected route), `metric` (lower wins among routes
    /// to one destination), `type`: "unicast" (the default), or "blackhole",
    /// "unreachable", "prohibit" to drop the packets (silently, or with an ICMP
    /// error), "throw" to go on to the next policy rule, and `table` (another
    /// routing table than main, such as a VRF's). `nexthops` makes a multipath
    /// (ECMP) route, as routing daemons do: an array of paths `#{ via, dev,
    /// weight }` (a gateway or a link or both; weight 1 to 256, default 1),
    /// instead of `via` and `dev`. `proto` says who made it ("static", "bgp",
    /// "ospf", ... or 1 to 255; default "boot", as `ip`), `scope` how far it
    /// reaches ("global", "link", "host"; default link for a route out of a
    /// link with no gateway, else global), `src` the source address for
    /// packets that take it (one of the namespace's own).
    ///
    /// `ip -n NS route add [TYPE] DESTINATION [via GATEWAY] [dev DEV] [metric N] [table T] [proto P] [scope S] [src ADDR]`
    /// (`... nexthop via GW [dev DEV] weight W ...` for `nexthops`)
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let l = link::add_veth("eth0", "peer0", #{ netns: r1 });
    /// l.addr_add("10.0.0.1/24");
    /// l.up();
    /// r1.route_add("default", "10.0.0.254");
    /// r1.route_add("10.2.0.0/16", "10.0.0.2");
    /// r1.route_add("10.2.0.0/16", #{ via: "10.0.0.3", metric: 200 });
    /// r1.route_add("10.66.0.0/16", #{ type: "blackhole" });
    /// r1.route_add("10.77.0.0/16", #{ dev: l });
    /// r1.route_add("10.88.0.0/16", #{ via: "10.0.0.2", proto: "bgp", src: "10.0.0.1" });
    /// print(r1.routes().filter(|r| r.dst == "10.88.0.0/16")[0].proto);   // bgp
    /// print(r1.routes().filter(|r| r.dst == "10.66.0.0/16"));   // [#{"dev": (), "dst": "10.66.0.0/16", "gateway": (), "type": "blackhole"}]
    /// r1.route_add("10.8.0.0/16", #{ nexthops: [#{ via: "10.0.0.2" }, #{ via: "10.0.0.3", weight: 3 }] });
    /// print(r1.routes().filter(|r| r.dst == "10.8.0.0/16")[0].nexthops.map(|h| h.weight));   // [1, 3]
    /// ```
    #[rhai_fn(global, name = "route_add", pure, volatile, return_raw)]
    pub fn route_add_with(
        ctx: NativeCallContext,
        ns: &mut Netns,
        destination: &str,
        options: Map,
    ) -> RhaiResultOf<()> {
        op(&ctx, |op| {
            let (route, dev) = spec(op.net, &ns.ns, destination, &options)?;
            op.route_add(&ns.ns, &route, dev.as_deref())
        })
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn route_add(
        ctx: NativeCallContext,
        ns: &mut Netns,
        destination: &str,
        gateway: &str,
    ) -> RhaiResultOf<()> {
        route_add_with(ctx, ns, destination, via(gateway))
    }

    /// Delete a route of the main table (or of `#{ table }`), given as
    /// `route_add` took it (a gateway, or options; `type` and `metric` pick among
    /// several routes to one destination). Fails with kind "not_found" if there
    /// is no such route. A route no lab added, outside the namespaces a lab made
    /// (the machine's own), is refused with kind "permission" unless
    /// `#{ force: true }`: no rollback puts it back.
    ///
    /// `ip -n NS route del [TYPE] DESTINATION [via GATEWAY] [metric N] [table T]`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// r1.route_add("10.66.0.0/16", #{ type: "unreachable" });
    /// r1.route_del("10.66.0.0/16", #{ type: "unreachable" });
    /// print(r1.routes());   // []
    /// ```
    #[rhai_fn(global, name = "route_del", pure, volatile, return_raw)]
    pub fn route_del_with(
        ctx: NativeCallContext,
        ns: &mut Netns,
        destination: &str,
        options: Map,
    ) -> RhaiResultOf<()> {
        op(&ctx, |op| {
            let mut options = options.clone();
            let force = take_force(&mut options)?;
            let (route, dev) = spec(op.net, &ns.ns, destination, &options)?;
            op.route_del(&ns.ns, &route, dev.as_deref(), force)
        })
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn route_del(
        ctx: NativeCallContext,
        ns: &mut Netns,
        destination: &str,
        gateway: &str,
    ) -> RhaiResultOf<()> {
        route_del_with(ctx, ns, destination, via(gateway))
    }

    /// The routes of the main table (or, with `#{ table }`, of that table: a
    /// VRF's), IPv4 then IPv6, each `#{ dst, gateway, dev }`: `dst` is "default"
    /// or a prefix, `gateway` and `dev` are strings or `()`. A route that drops
    /// packets also has `type` ("blackhole", "unreachable", "prohibit", or
    /// "throw" for one that sends the lookup on to the next rule), and one
    /// whose metric is not the default (0 for IPv4, 1024 for IPv6) has `metric`.
    /// As `ip route` shows them, `proto` is there unless it is "boot" (what
    /// `route_add` makes; connected routes are "kernel"), `scope` unless it is
    /// "global", and `src` when the route has a preferred source.
    /// A multipath (ECMP) route, as routing daemons install them, has
    /// `nexthops`, one `#{ gateway, dev, weight }` per path (and `gateway` and
    /// `dev` `()`); `route_del(dst, gateway)` with any of its gateways removes it.
    /// A route that names a kernel nexthop object (`ip nexthop`, as FRR's
    /// zebra makes them by default) shows that object's paths the same way.
    ///
    /// `ip -n NS route show [table TABLE]; ip -n NS -6 route show [table TABLE]`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let eth = link::add_veth("eth0", "peer", #{ netns: r1 });
    /// eth.addr_add("10.1.0.1/24");
    /// eth.up();
    /// r1.route_add("default", "10.1.0.254");
    /// r1.route_add("10.99.0.0/16", #{ type: "unreachable", table: 10 });
    /// let v4 = r1.routes().filter(|r| !r.dst.contains(":"));
    /// print(v4[0]);   // #{"dev": "eth0", "dst": "default", "gateway": "10.1.0.254"}
    /// print(v4[1]);   // #{"dev": "eth0", "dst": "10.1.0.0/24", "gateway": (), "proto": "kernel", "scope": "link", "src": "10.1.0.1"}
    /// print(r1.routes(#{ table: 10 }));   // [#{"dev": (), "dst": "10.99.0.0/16", "gateway": (), "type": "unreachable"}]
    /// ```
    #[rhai_fn(global, name = "routes", pure, volatile, return_raw)]
    pub fn routes_with(
        ctx: NativeCallContext,
        ns: &mut Netns,
        options: Map,
    ) -> RhaiResultOf<Array> {
        let (routes, links) = session::read(&ctx, |net| {
            check_options("list routes", &options, &["table"])?;
            let table = table_option(&options)?.unwrap_or(254);
            Ok((net.routes_in(&ns.ns, table)?, net.links(&ns.ns)?))
        })?;
        let name_of = |i: u32| links.iter().find(|l| l.index == i).map(|l| l.name.clone());
        Ok(routes
            .into_iter()
            .map(|r| {
                let mut map = Map::new();
                let v6 = r.dst.is_some_and(|(ip, _)| ip.is_ipv6())
                    || r.gateway.is_some_and(|g| g.is_ipv6());
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
                if !r.nexthops.is_empty() {
                    let hops: Array = r
                        .nexthops
                        .iter()
                        .map(|h| {
                            let mut hop = Map::new();
                            let gw = h.gateway.map_or(Dynamic::UNIT, |g| g.to_string().into());
                            hop.insert("gateway".into(), gw);
                            hop.insert(
                                "dev".into(),
                                name_of(h.dev).map_or(Dynamic::UNIT, Dynamic::from),
                            );
                            hop.insert("weight".into(), i64::from(h.weight).into());
                            Dynamic::from_map(hop)
                        })
                        .collect();
                    map.insert("nexthops".into(), hops.into());
                }
                let default_metric = if v6 { 1024 } else { 0 };
                if let Some(metric) = r.metric.filter(|m| *m != default_metric) {
                    map.insert("metric".into(), (metric as i64).into());
                }
                // As `ip route` shows them: a protocol but boot, a scope
                // but global.
                if r.proto != 3 {
                    map.insert("proto".into(), crate::netlink::proto_name(r.proto).into());
                }
                if r.scope != 0 {
                    map.insert("scope".into(), crate::netlink::scope_name(r.scope).into());
                }
                if let Some(src) = r.src {
                    map.insert("src".into(), src.to_string().into());
                }
                Dynamic::from_map(map)
            })
            .collect())
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn routes(ctx: NativeCallContext, ns: &mut Netns) -> RhaiResultOf<Array> {
        routes_with(ctx, ns, Map::new())
    }
}

fn via(gateway: &str) -> Map {
    let mut m = Map::new();
    m.insert("via".into(), gateway.into());
    m
}

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
    option(opts, "table", |t| {
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

/// A route from a destination and its options, with the name of its link.
fn spec(
    net: &Netlink,
    ns: &Ns,
    destination: &str,
    opts: &Map,
) -> Result<(RouteSpec, Option<String>)> {
    const KEYS: &[&str] = &[
        "via", "dev", "type", "metric", "table", "nexthops", "proto", "scope", "src",
    ];
    check_options("route", opts, KEYS)?;
    let text =
        |key: &str, parse: fn(&str) -> Result<u8>| option(opts, key, |v| parse(&v.to_string()));
    let args = RouteArgs {
        // Not at the option: the plain form's gateway is an argument.
        via: opts
            .get("via")
            .map(|v| gateway(&v.to_string()))
            .transpose()?,
        dev: option(opts, "dev", |d| link_in(net, ns, d))?.map(|d| (d.index, d.name)),
        kind: option(opts, "type", |t| RouteKind::parse(&t.to_string()))?,
        metric: option(opts, "metric", |m| {
            m.as_int()
                .ok()
                .and_then(|m| u32::try_from(m).ok())
                .ok_or_else(|| {
                    Error::invalid(
                        format!("use {m} as a route metric"),
                        "a metric is an integer from 0 to 4294967295",
                    )
                })
        })?,
        table: table_option(opts)?,
        paths: option(opts, "nexthops", |hops| paths(net, ns, destination, hops))?
            .unwrap_or_default(),
        proto: text("proto", crate::netlink::proto_number)?,
        scope: text("scope", crate::netlink::scope_number)?,
        src: option(opts, "src", |v| source(&v.to_string()))?,
    };
    args.spec(destination)
}

fn source(text: &str) -> Result<IpAddr> {
    text.parse().map_err(|_| {
        Error::invalid(
            format!("use {text:?} as a route's source"),
            "not an IPv4 or IPv6 address",
        )
        .with_help(
            "the source is an address of this namespace, like 10.0.0.1, without a prefix length",
        )
    })
}

/// The paths of a multipath route: an array of `#{ via, dev, weight }`,
/// each with a gateway or a link (or both), all of one address family.
fn paths(net: &Netlink, ns: &Ns, destination: &str, hops: &Dynamic) -> Result<Vec<PathSpec>> {
    let bad = |why: &str| {
        Error::invalid(format!("route {destination}"), why)
            .with_help("write them like #{ nexthops: [#{ via: \"10.0.0.2\" }, #{ via: \"10.0.1.2\", weight: 2 }] }")
            .at_option("nexthops")
    };
    let list = hops
        .read_lock::<Array>()
        .ok_or_else(|| bad("`nexthops` is an array of maps"))?;
    if list.is_empty() {
        return Err(bad("`nexthops` needs at least one path"));
    }
    let mut out = Vec::new();
    for hop in list.iter() {
        let hop = hop
            .read_lock::<Map>()
            .ok_or_else(|| bad("each path is a map like #{ via, dev, weight }"))?;
        check_options("route path", &hop, &["via", "dev", "weight"])?;
        let gateway = hop
            .get("via")
            .map(|v| gateway(&v.to_string()))
            .transpose()?;
        let dev = hop
            .get("dev")
            .map(|d| link_in(net, ns, d))
            .transpose()?
            .map(|d| (d.index, d.name));
        if gateway.is_none() && dev.is_none() {
            return Err(bad("each path needs `via` (a gateway) or `dev` (a link)"));
        }
        let weight = match hop.get("weight") {
            None => 1,
            Some(w) => w
                .as_int()
                .ok()
                .and_then(|w| u16::try_from(w).ok())
                .filter(|w| (1..=256).contains(w))
                .ok_or_else(|| bad("a path's weight is from 1 to 256"))?,
        };
        out.push(PathSpec {
            gateway,
            dev,
            weight,
        });
    }
    Ok(out)
}
