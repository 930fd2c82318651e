//! Routes: the `ip route` verbs, main table.

use std::net::IpAddr;

use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteHeader, RouteMessage, RouteNextHop,
    RouteProtocol, RouteScope, RouteType, RouteVia,
};

use super::Netlink;
use super::request::{self, CREATE, DUMP};
use super::types::{Cidr, NextHop, RouteInfo};
use crate::error::{Error, Result};
use crate::ns::Ns;

/// What a route does with the packets it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    /// Forward them (via a gateway or out of a link).
    Unicast,
    /// Drop them silently.
    Blackhole,
    /// Drop them with ICMP "network unreachable".
    Unreachable,
    /// Drop them with ICMP "administratively prohibited".
    Prohibit,
    /// Go on to the next policy rule, as if this table had no route.
    Throw,
}

impl RouteKind {
    /// By the names `ip route` uses.
    pub fn parse(name: &str) -> Result<RouteKind> {
        Ok(match name {
            "unicast" => RouteKind::Unicast,
            "blackhole" => RouteKind::Blackhole,
            "unreachable" => RouteKind::Unreachable,
            "prohibit" => RouteKind::Prohibit,
            "throw" => RouteKind::Throw,
            other => {
                return Err(Error::invalid(
                    format!("use {other:?} as a route type"),
                    "not a route type",
                )
                .with_help("the types are unicast, blackhole, unreachable, prohibit, throw"));
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            RouteKind::Unicast => "unicast",
            RouteKind::Blackhole => "blackhole",
            RouteKind::Unreachable => "unreachable",
            RouteKind::Prohibit => "prohibit",
            RouteKind::Throw => "throw",
        }
    }

    fn netlink(self) -> RouteType {
        match self {
            RouteKind::Unicast => RouteType::Unicast,
            RouteKind::Blackhole => RouteType::BlackHole,
            RouteKind::Unreachable => RouteType::Unreachable,
            RouteKind::Prohibit => RouteType::Prohibit,
            RouteKind::Throw => RouteType::Throw,
        }
    }
}

/// A route of the main table to add or delete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSpec {
    /// None for the default route.
    pub dst: Option<Cidr>,
    pub v6: bool,
    pub gateway: Option<IpAddr>,
    /// Out of this link (index in the route's namespace).
    pub dev: Option<u32>,
    pub kind: RouteKind,
    /// The route's priority: lower wins among routes to one destination.
    pub metric: Option<u32>,
    /// The routing table (a VRF's); None for the main table.
    pub table: Option<u32>,
    /// The paths of a multipath (ECMP) route; then `gateway` and `dev` are
    /// None.
    pub paths: Vec<PathSpec>,
    /// Who made it (RTPROT_*); None for `boot`, as `ip route add`.
    pub proto: Option<u8>,
    /// RT_SCOPE_*; None for link with no gateway, else global, as `ip`.
    pub scope: Option<u8>,
    /// The source address for packets that take it (`src`, RTA_PREFSRC).
    pub src: Option<IpAddr>,
}

/// One path of a multipath route to add: `nexthop via GW [dev DEV] weight W`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathSpec {
    pub gateway: Option<IpAddr>,
    /// The link's index, and its name for traces.
    pub dev: Option<(u32, String)>,
    /// 1 to 256.
    pub weight: u16,
}

impl RouteSpec {
    /// "default" or the destination prefix, as `ip route` writes it.
    pub fn dst_text(&self) -> String {
        self.dst.map_or("default".to_string(), crate::cidr::format)
    }

    /// `DST via GW` as `ip route` would print it ("blackhole DST" for the
    /// dropping kinds; "metric N" when set).
    pub fn describe(&self) -> String {
        let dst = self.dst_text();
        let mut text = match self.kind {
            RouteKind::Unicast => dst,
            kind => format!("{} {dst}", kind.name()),
        };
        if let Some(gw) = self.gateway {
            text.push_str(&format!(" via {gw}"));
        }
        if let Some(m) = self.metric {
            text.push_str(&format!(" metric {m}"));
        }
        if let Some(t) = self.table {
            text.push_str(&format!(" table {t}"));
        }
        if let Some(p) = self.proto {
            text.push_str(&format!(" proto {}", super::proto_name(p)));
        }
        if let Some(s) = self.scope {
            text.push_str(&format!(" scope {}", super::scope_name(s)));
        }
        if let Some(src) = self.src {
            text.push_str(&format!(" src {src}"));
        }
        // `ip` takes nothing after the paths.
        for p in &self.paths {
            text.push_str(" nexthop");
            if let Some(gw) = p.gateway {
                text.push_str(&format!(" via {gw}"));
            }
            if let Some((_, name)) = &p.dev {
                // Quoted as a shell word: the text goes into `--trace`.
                let name = shlex::try_quote(name).unwrap_or_default();
                text.push_str(&format!(" dev {name}"));
            }
            text.push_str(&format!(" weight {}", p.weight));
        }
        text
    }

    /// A route from the strings a ledger keeps (`gateway` "" for none).
    pub fn from_text(
        dst: &str,
        gateway: &str,
        kind: &str,
        metric: Option<u32>,
        table: Option<u32>,
    ) -> Result<RouteSpec> {
        let gateway: Option<IpAddr> = match gateway {
            "" => None,
            g => Some(g.parse().map_err(|_| {
                Error::invalid(format!("use {g:?} as a gateway"), "not an address")
            })?),
        };
        let dst = match dst {
            "default" => None,
            d => Some(crate::cidr::parse(d)?),
        };
        let v6 = dst.map_or(gateway.is_some_and(|g| g.is_ipv6()), |(ip, _)| ip.is_ipv6());
        Ok(RouteSpec {
            dst,
            v6,
            gateway,
            dev: None,
            kind: RouteKind::parse(kind)?,
            metric,
            table,
            paths: Vec::new(),
            proto: None,
            scope: None,
            src: None,
        })
    }
}

impl Netlink {
    /// `ip -n NS route add [TYPE] DST [via GW] [dev DEV] [metric N]`
    pub fn route_add(&self, ns: &Ns, route: &RouteSpec) -> Result<()> {
        let handle = self.handle(ns)?;
        self.block_on(request::send(
            &handle,
            M::NewRoute(route_message(route)),
            CREATE,
        ))
        .map(|_| ())
        .map_err(|errno| {
            let e =
                Error::errno(format!("add route {}", route.describe()), errno).in_netns(ns.name());
            match (errno, route.gateway) {
                (libc::EEXIST, _) => Error {
                    reason: "a route to this destination with this metric already exists".into(),
                    help: Some("give it another metric, or delete the other first".into()),
                    ..e
                },
                (libc::EINVAL, _) if route.src.is_some_and(|s| !self.has_address(ns, s)) => Error {
                    reason: format!(
                        "the source {} is not an address of this namespace",
                        route.src.unwrap_or(IpAddr::from([0, 0, 0, 0]))
                    ),
                    help: Some("add it to one of its links first".into()),
                    ..e
                },
                (libc::ENETUNREACH, Some(gw)) => Error {
                    reason: format!("the gateway {gw} is not on any connected subnet"),
                    help: Some(
                        "add an address in the gateway's subnet to a link that is up first".into(),
                    ),
                    ..e
                },
                _ => e,
            }
        })
    }

    /// Whether `ip` is an address of a link in `ns`.
    fn has_address(&self, ns: &Ns, ip: IpAddr) -> bool {
        self.all_addrs(ns)
            .is_ok_and(|all| all.iter().any(|(_, (a, _))| *a == ip))
    }

    /// `ip -n NS route del [TYPE] DST [via GW] [metric N]`
    pub fn route_del(&self, ns: &Ns, route: &RouteSpec) -> Result<()> {
        let handle = self.handle(ns)?;
        let mut msg = route_message(route);
        // Any scope, and any protocol unless one is given, as `ip route
        // del` asks: a route is known by the rest.
        msg.header.scope = RouteScope::NoWhere;
        msg.header.protocol = route
            .proto
            .map_or(RouteProtocol::Unspec, RouteProtocol::from);
        self.block_on(request::send(
            &handle,
            M::DelRoute(msg),
            super::request::CHANGE,
        ))
        .map(|_| ())
        .map_err(|errno| {
            let e = Error::errno(format!("delete route {}", route.describe()), errno)
                .in_netns(ns.name());
            if errno == libc::ESRCH {
                Error {
                    kind: crate::error::Kind::NotFound,
                    reason: "there is no such route".into(),
                    ..e
                }
            } else {
                e
            }
        })
    }

    /// `ip -n NS route show; ip -n NS -6 route show`
    pub fn routes(&self, ns: &Ns) -> Result<Vec<RouteInfo>> {
        self.routes_in(ns, u32::from(RouteHeader::RT_TABLE_MAIN))
    }

    /// `ip -n NS route show table TABLE; ip -n NS -6 route show table TABLE`
    pub fn routes_in(&self, ns: &Ns, table: u32) -> Result<Vec<RouteInfo>> {
        let handle = self.handle(ns)?;
        let mut out = Vec::new();
        for family in [AddressFamily::Inet, AddressFamily::Inet6] {
            let mut msg = RouteMessage::default();
            msg.header.address_family = family;
            let replies = self
                .block_on(request::send(&handle, M::GetRoute(msg), DUMP))
                .map_err(|e| Error::errno("list routes", e).in_netns(ns.name()))?;
            out.extend(replies.into_iter().filter_map(|r| parse_route(r, table)));
        }
        // Routes that name a nexthop object (as FRR's zebra makes them)
        // get its paths, as `ip route` shows them.
        let mut objects = None;
        Ok(out
            .into_iter()
            .map(|(mut info, nh_id)| {
                if let Some(id) = nh_id {
                    let all =
                        objects.get_or_insert_with(|| super::nexthop::dump(ns).unwrap_or_default());
                    let (gateway, dev, hops) = super::nexthop::resolve(all, id);
                    info.gateway = info.gateway.or(gateway);
                    info.dev = info.dev.or(dev);
                    if info.nexthops.is_empty() {
                        info.nexthops = hops;
                    }
                }
                info
            })
            .collect())
    }
}

/// A route, and the nexthop object it names (if it names one).
fn parse_route(msg: M, want_table: u32) -> Option<(RouteInfo, Option<u32>)> {
    let M::NewRoute(m) = msg else { return None };
    let kind = match m.header.kind {
        RouteType::Unicast => RouteKind::Unicast,
        RouteType::BlackHole => RouteKind::Blackhole,
        RouteType::Unreachable => RouteKind::Unreachable,
        RouteType::Prohibit => RouteKind::Prohibit,
        RouteType::Throw => RouteKind::Throw,
        _ => return None,
    };
    if m.header.flags.contains(RouteFlags::Cloned) {
        return None;
    }
    let mut table = u32::from(m.header.table);
    let mut info = RouteInfo {
        dst: None,
        gateway: None,
        dev: None,
        kind: kind.name().into(),
        metric: None,
        nexthops: Vec::new(),
        proto: m.header.protocol.into(),
        scope: m.header.scope.into(),
        src: None,
    };
    let mut nh_id = None;
    for attr in m.attributes {
        match attr {
            RouteAttribute::Table(t) => table = t,
            RouteAttribute::NhId(id) => nh_id = Some(id),
            RouteAttribute::Destination(a) => {
                info.dst = ip_of(a).map(|ip| (ip, m.header.destination_prefix_length))
            }
            RouteAttribute::Gateway(a) => info.gateway = ip_of(a),
            RouteAttribute::Oif(i) => info.dev = Some(i),
            RouteAttribute::Priority(p) => info.metric = Some(p),
            RouteAttribute::PrefSource(a) => info.src = ip_of(a),
            RouteAttribute::MultiPath(hops) => {
                info.nexthops = hops.into_iter().map(next_hop).collect();
            }
            _ => {}
        }
    }
    (table == want_table).then_some((info, nh_id))
}

/// One path of a multipath route: its gateway (an IPv4 route may name an
/// IPv6 one, RTA_VIA), link and weight.
fn next_hop(hop: RouteNextHop) -> NextHop {
    let gateway = hop.attributes.into_iter().find_map(|a| match a {
        RouteAttribute::Gateway(a) => ip_of(a),
        RouteAttribute::Via(RouteVia::Inet(v4)) => Some(IpAddr::V4(v4)),
        RouteAttribute::Via(RouteVia::Inet6(v6)) => Some(IpAddr::V6(v6)),
        _ => None,
    });
    NextHop {
        gateway,
        dev: hop.interface_index,
        weight: u16::from(hop.hops) + 1,
    }
}

fn ip_of(a: RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v4) => Some(v4.into()),
        RouteAddress::Inet6(v6) => Some(v6.into()),
        _ => None,
    }
}

fn route_message(route: &RouteSpec) -> RouteMessage {
    let mut msg = RouteMessage::default();
    msg.header.address_family = if route.v6 {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    match route.table {
        None => msg.header.table = RouteHeader::RT_TABLE_MAIN,
        Some(t) => {
            // Tables past 255 are named by the attribute alone.
            msg.header.table = u8::try_from(t).unwrap_or(RouteHeader::RT_TABLE_UNSPEC);
            msg.attributes.push(RouteAttribute::Table(t));
        }
    }
    msg.header.protocol = route.proto.map_or(RouteProtocol::Boot, RouteProtocol::from);
    let direct = route.kind == RouteKind::Unicast && route.gateway.is_none();
    msg.header.scope = match route.scope {
        Some(s) => RouteScope::from(s),
        None if direct && route.paths.is_empty() => RouteScope::Link,
        None => RouteScope::Universe,
    };
    msg.header.kind = route.kind.netlink();
    if let Some((ip, len)) = route.dst {
        msg.header.destination_prefix_length = len;
        msg.attributes
            .push(RouteAttribute::Destination(RouteAddress::from(ip)));
    }
    if let Some(gw) = route.gateway {
        msg.attributes
            .push(RouteAttribute::Gateway(RouteAddress::from(gw)));
    }
    if let Some(dev) = route.dev {
        msg.attributes.push(RouteAttribute::Oif(dev));
    }
    if let Some(metric) = route.metric {
        msg.attributes.push(RouteAttribute::Priority(metric));
    }
    if let Some(src) = route.src {
        msg.attributes
            .push(RouteAttribute::PrefSource(RouteAddress::from(src)));
    }
    if !route.paths.is_empty() {
        let hops = route
            .paths
            .iter()
            .map(|p| {
                let mut hop = RouteNextHop::default();
                hop.hops = u8::try_from(p.weight.saturating_sub(1)).unwrap_or(u8::MAX);
                hop.interface_index = p.dev.as_ref().map_or(0, |(i, _)| *i);
                hop.attributes = p
                    .gateway
                    .map(|gw| RouteAttribute::Gateway(RouteAddress::from(gw)))
                    .into_iter()
                    .collect();
                hop
            })
            .collect();
        msg.attributes.push(RouteAttribute::MultiPath(hops));
    }
    msg
}
