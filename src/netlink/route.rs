//! Routes: the `ip route` verbs, main table.

use std::net::IpAddr;

use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteHeader, RouteMessage, RouteProtocol, RouteScope,
    RouteType,
};

use super::Netlink;
use super::request::{self, CREATE, DUMP};
use super::types::{Cidr, RouteInfo};
use crate::error::{Error, Result};
use crate::ns::Ns;

impl Netlink {
    /// `ip -n NS route add DST via GW` (DST None: `default`).
    pub fn route_add(&self, ns: &Ns, dst: Option<Cidr>, gateway: IpAddr) -> Result<()> {
        let msg = route_message(dst, gateway);
        let shown = match dst {
            Some((ip, len)) => format!("{ip}/{len}"),
            None => "default".into(),
        };
        let handle = self.handle(ns)?;
        self.block_on(request::send(&handle, M::NewRoute(msg), CREATE))
            .map(|_| ())
            .map_err(|errno| {
                let e = Error::errno(format!("add route {shown} via {gateway}"), errno)
                    .in_netns(ns.name());
                match errno {
                    libc::EEXIST => Error {
                        reason: "a route to this destination already exists".into(),
                        ..e
                    },
                    libc::ENETUNREACH => Error {
                        reason: format!("the gateway {gateway} is not on any connected subnet"),
                        help: Some(
                            "add an address in the gateway's subnet to a link that is up first"
                                .into(),
                        ),
                        ..e
                    },
                    _ => e,
                }
            })
    }

    /// `ip -n NS route del DST via GW`, with DST and GW as `routes()`
    /// shows them ("default" or a prefix; an address).
    pub fn route_del(&self, ns: &Ns, dst: &str, gateway: &str) -> Result<()> {
        let action = format!("delete route {dst} via {gateway}");
        let gw: IpAddr = gateway
            .parse()
            .map_err(|_| Error::invalid(action.clone(), "not an address"))?;
        let dst = crate::cidr::parse_destination(dst, gw)?;
        let handle = self.handle(ns)?;
        self.block_on(request::send(
            &handle,
            M::DelRoute(route_message(dst, gw)),
            super::request::CHANGE,
        ))
        .map(|_| ())
        .map_err(|errno| Error::errno(action, errno).in_netns(ns.name()))
    }

    /// `ip -n NS route show; ip -n NS -6 route show`
    pub fn routes(&self, ns: &Ns) -> Result<Vec<RouteInfo>> {
        let handle = self.handle(ns)?;
        let mut out = Vec::new();
        for family in [AddressFamily::Inet, AddressFamily::Inet6] {
            let mut msg = RouteMessage::default();
            msg.header.address_family = family;
            let replies = self
                .block_on(request::send(&handle, M::GetRoute(msg), DUMP))
                .map_err(|e| Error::errno("list routes", e).in_netns(ns.name()))?;
            out.extend(replies.into_iter().filter_map(parse_route));
        }
        Ok(out)
    }
}

fn parse_route(msg: M) -> Option<RouteInfo> {
    let M::NewRoute(m) = msg else { return None };
    if m.header.flags.contains(RouteFlags::Cloned) || m.header.kind != RouteType::Unicast {
        return None;
    }
    let mut table = u32::from(m.header.table);
    let mut info = RouteInfo {
        dst: None,
        gateway: None,
        dev: None,
    };
    for attr in m.attributes {
        match attr {
            RouteAttribute::Table(t) => table = t,
            RouteAttribute::Destination(a) => {
                info.dst = ip_of(a).map(|ip| (ip, m.header.destination_prefix_length))
            }
            RouteAttribute::Gateway(a) => info.gateway = ip_of(a),
            RouteAttribute::Oif(i) => info.dev = Some(i),
            _ => {}
        }
    }
    (table == u32::from(RouteHeader::RT_TABLE_MAIN)).then_some(info)
}

fn ip_of(a: RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v4) => Some(v4.into()),
        RouteAddress::Inet6(v6) => Some(v6.into()),
        _ => None,
    }
}

fn route_message(dst: Option<Cidr>, gateway: IpAddr) -> RouteMessage {
    let mut msg = RouteMessage::default();
    msg.header.address_family = if gateway.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    msg.header.table = RouteHeader::RT_TABLE_MAIN;
    msg.header.protocol = RouteProtocol::Boot;
    msg.header.scope = RouteScope::Universe;
    msg.header.kind = RouteType::Unicast;
    if let Some((ip, len)) = dst {
        msg.header.destination_prefix_length = len;
        msg.attributes
            .push(RouteAttribute::Destination(RouteAddress::from(ip)));
    }
    msg.attributes
        .push(RouteAttribute::Gateway(RouteAddress::from(gateway)));
    msg
}
