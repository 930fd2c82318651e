//! A route as a script describes it, checked and made into a `RouteSpec`:
//! which options go together, and the family of the destination.

use std::net::IpAddr;

use crate::error::{Error, Result};
use crate::netlink::{PathSpec, RouteKind, RouteSpec};

/// What a script gave for one route, each part already of its type.
#[derive(Default)]
pub struct RouteArgs {
    pub via: Option<IpAddr>,
    /// The route's link: its index, and its name for traces.
    pub dev: Option<(u32, String)>,
    pub kind: Option<RouteKind>,
    pub metric: Option<u32>,
    pub table: Option<u32>,
    pub paths: Vec<PathSpec>,
    pub proto: Option<u8>,
    pub scope: Option<u8>,
    pub src: Option<IpAddr>,
}

impl RouteArgs {
    /// The route to `destination` ("default" or a prefix), and the name of
    /// its link.
    pub fn spec(self, destination: &str) -> Result<(RouteSpec, Option<String>)> {
        let kind = self.kind.unwrap_or(RouteKind::Unicast);
        let action = format!("route {destination}");
        let direct = self.via.is_some() || self.dev.is_some();
        if kind != RouteKind::Unicast && direct {
            let why = format!("a {} route takes no `via` or `dev`", kind.name());
            return Err(Error::invalid(action, why));
        }
        if kind == RouteKind::Unicast && !direct && self.paths.is_empty() {
            return Err(Error::invalid(
                action,
                "a route needs `via` (a gateway) or `dev` (a link)",
            )
            .with_help("or give #{ type: \"blackhole\" } to drop the packets"));
        }
        let multipath = |why: &str| {
            Error::invalid(&action, why)
                .with_help("drop `via`, `dev` and `type`, or give one path without `nexthops`")
                .at_option("nexthops")
        };
        if !self.paths.is_empty() && (direct || kind != RouteKind::Unicast) {
            return Err(multipath(
                "a route with `nexthops` has its gateways and links in them",
            ));
        }
        let families: Vec<bool> = self
            .paths
            .iter()
            .filter_map(|p| p.gateway)
            .map(|g| g.is_ipv6())
            .collect();
        if families.windows(2).any(|w| w[0] != w[1]) {
            return Err(multipath(
                "the gateways of one route are all IPv4 or all IPv6",
            ));
        }
        // The family of a multipath route is its paths'.
        let gateway = self
            .via
            .or_else(|| self.paths.iter().find_map(|p| p.gateway));
        let dst = match gateway {
            Some(gw) => crate::cidr::parse_destination(destination, gw)?,
            None if destination == "default" => None,
            None => {
                let (ip, len) = crate::cidr::parse(destination)?;
                crate::cidr::parse_destination(destination, ip)?.or(Some((ip, len)))
            }
        };
        let v6 = match (dst, gateway.or(self.src)) {
            (Some((ip, _)), _) | (None, Some(ip)) => ip.is_ipv6(),
            (None, None) => false,
        };
        if let Some(src) = self.src.filter(|s| s.is_ipv6() != v6) {
            let family = if v6 { "IPv6" } else { "IPv4" };
            return Err(Error::invalid(
                action,
                format!("the source {src} is not {family}, as the route is"),
            )
            .at_option("src"));
        }
        let route = RouteSpec {
            dst,
            v6,
            gateway: self.via,
            dev: self.dev.as_ref().map(|d| d.0),
            kind,
            metric: self.metric,
            table: self.table,
            paths: self.paths,
            proto: self.proto,
            scope: self.scope,
            src: self.src,
        };
        Ok((route, self.dev.map(|d| d.1)))
    }
}
