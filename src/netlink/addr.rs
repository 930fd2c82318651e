//! Addresses: the `ip addr` verbs.

use std::net::IpAddr;

use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::address::{AddressAttribute, AddressFlags, AddressMessage};

use super::Netlink;
use super::request::{self, CHANGE, CREATE, DUMP};
use super::types::Cidr;
use crate::error::{Error, Result};
use crate::ns::Ns;

impl Netlink {
    /// `ip -n NS addr add ADDR/LEN dev X` (IPv6 with `nodad`: usable at once).
    pub fn addr_add(&self, ns: &Ns, index: u32, cidr: Cidr) -> Result<()> {
        let msg = addr_message(index, cidr, true);
        let handle = self.handle(ns)?;
        self.block_on(request::send(&handle, M::NewAddress(msg), CREATE))
            .map(|_| ())
            .map_err(|errno| self.add_error(ns, index, cidr, errno))
    }

    /// The error `addr_add` would give if the link has `cidr` already (the
    /// kernel's rule: the same IPv4 address and prefix, or the same IPv6
    /// address), found by asking first.
    pub fn addr_taken(&self, ns: &Ns, index: u32, cidr: Cidr) -> Result<Option<Error>> {
        let taken = self
            .addrs(ns, index)?
            .into_iter()
            .any(|(ip, len)| ip == cidr.0 && (ip.is_ipv6() || len == cidr.1));
        Ok(taken.then(|| self.add_error(ns, index, cidr, libc::EEXIST)))
    }

    fn add_error(&self, ns: &Ns, index: u32, cidr: Cidr, errno: i32) -> Error {
        let e = Error::errno(
            format!(
                "add address {}/{} to {}",
                cidr.0,
                cidr.1,
                self.link_label(ns, index)
            ),
            errno,
        )
        .in_netns(ns.name());
        if errno == libc::EEXIST {
            Error {
                reason: "the link already has this address".into(),
                help: Some("check l.addrs() first, or addr_del it".into()),
                ..e
            }
        } else {
            e
        }
    }

    /// `ip -n NS addr del ADDR/LEN dev X`
    pub fn addr_del(&self, ns: &Ns, index: u32, cidr: Cidr) -> Result<()> {
        let msg = addr_message(index, cidr, false);
        let handle = self.handle(ns)?;
        self.block_on(request::send(&handle, M::DelAddress(msg), CHANGE))
            .map(|_| ())
            .map_err(|errno| {
                let e = Error::errno(
                    format!(
                        "delete address {}/{} from {}",
                        cidr.0,
                        cidr.1,
                        self.link_label(ns, index)
                    ),
                    errno,
                )
                .in_netns(ns.name());
                if errno == libc::EADDRNOTAVAIL {
                    Error {
                        kind: crate::error::Kind::NotFound,
                        reason: "the link has no such address".into(),
                        help: Some("l.addrs() lists the addresses it has".into()),
                        ..e
                    }
                } else {
                    e
                }
            })
    }

    /// `ip -n NS addr show dev X`: addresses in kernel order (IPv4 first).
    pub fn addrs(&self, ns: &Ns, index: u32) -> Result<Vec<Cidr>> {
        Ok(self
            .all_addrs(ns)?
            .into_iter()
            .filter(|(i, _)| *i == index)
            .map(|(_, c)| c)
            .collect())
    }

    /// `ip -n NS addr show`: every address with the index of its link, in
    /// one dump (for views of a whole namespace).
    pub fn all_addrs(&self, ns: &Ns) -> Result<Vec<(u32, Cidr)>> {
        let handle = self.handle(ns)?;
        let replies = self
            .block_on(request::send(
                &handle,
                M::GetAddress(AddressMessage::default()),
                DUMP,
            ))
            .map_err(|e| Error::errno("list addresses", e).in_netns(ns.name()))?;
        let mut out = Vec::new();
        for reply in replies {
            let M::NewAddress(m) = reply else { continue };
            let mut local = None;
            let mut address = None;
            for attr in m.attributes {
                match attr {
                    AddressAttribute::Local(ip) => local = Some(ip),
                    AddressAttribute::Address(ip) => address = Some(ip),
                    _ => {}
                }
            }
            if let Some(ip) = local.or(address) {
                out.push((m.header.index, (ip, m.header.prefix_len)));
            }
        }
        Ok(out)
    }

    pub(super) fn link_label(&self, ns: &Ns, index: u32) -> String {
        match self.link_by_index(ns, index) {
            Ok(l) => format!("link \"{}\"", l.name),
            Err(_) => format!("link #{index}"),
        }
    }
}

/// Like `ip addr add`: no broadcast address unless asked for (`brd +`).
fn addr_message(index: u32, (ip, len): Cidr, adding: bool) -> AddressMessage {
    let mut msg = AddressMessage::default();
    msg.header.index = index;
    msg.header.prefix_len = len;
    match ip {
        IpAddr::V4(_) => {
            msg.header.family = AddressFamily::Inet;
            msg.attributes.push(AddressAttribute::Local(ip));
            msg.attributes.push(AddressAttribute::Address(ip));
        }
        IpAddr::V6(_) => {
            msg.header.family = AddressFamily::Inet6;
            msg.attributes.push(AddressAttribute::Address(ip));
            if adding {
                msg.attributes
                    .push(AddressAttribute::Flags(AddressFlags::Nodad));
            }
        }
    }
    msg
}
