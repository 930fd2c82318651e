//! `l.addrs()`, `l.addr_add`, `l.addr_del`: a link's addresses.

use crate::api::convert::{RhaiResultOf, force_option};
use crate::api::link::on;
use crate::api::{Link, session};
use crate::cidr;
use rhai::plugin::*;
use rhai::{Array, Map};

#[export_module]
pub mod link_addr {
    use super::*;

    /// The link's addresses as CIDR strings, IPv4 first, in the order `ip addr`
    /// shows them (including IPv6 link-local ones once the link is up).
    ///
    /// `ip addr show dev X`
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.addr_add("10.0.0.1/24");
    /// l.addr_add("2001:db8::1/64");
    /// print(l.addrs());   // ["10.0.0.1/24", "2001:db8::1/64"]
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn addrs(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<Array> {
        let addrs = session::read(&ctx, |net| {
            l.check()?;
            net.link_by_index(&l.ns(), l.index())?;
            net.addrs(&l.ns(), l.index())
        })?;
        Ok(addrs.into_iter().map(|c| cidr::format(c).into()).collect())
    }

    /// Add an address, "ADDR/LEN" (a bare address means /32 or /128). IPv6
    /// addresses skip duplicate address detection, so they work at once.
    ///
    /// `ip addr add CIDR dev X` (IPv6: `... nodad`)
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.addr_add("100.100.100.10/24");
    /// print(l.addrs());   // ["100.100.100.10/24"]
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn addr_add(ctx: NativeCallContext, l: &mut Link, cidr: &str) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| op.addr_add(ns, i, cidr::parse(cidr)?))
    }

    /// Remove an address, given as it was added. An address no lab added, on a
    /// link no lab made, outside the lab's namespaces (the machine's own) is
    /// refused with kind "permission" unless `#{ force: true }`: no rollback
    /// puts it back.
    ///
    /// `ip addr del CIDR dev X`
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.addr_add("10.0.0.1/24");
    /// l.addr_del("10.0.0.1/24");
    /// print(l.addrs());   // []
    /// ```
    #[rhai_fn(global, name = "addr_del", pure, volatile, return_raw)]
    pub fn addr_del_with(
        ctx: NativeCallContext,
        l: &mut Link,
        cidr: &str,
        options: Map,
    ) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| {
            let force = force_option(&format!("delete address {cidr}"), &options)?;
            op.addr_del(ns, i, cidr::parse(cidr)?, force)
        })
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn addr_del(ctx: NativeCallContext, l: &mut Link, cidr: &str) -> RhaiResultOf<()> {
        addr_del_with(ctx, l, cidr, Map::new())
    }
}
