//! `l.up()`, `l.down()`, `l.rename`, `l.set_mtu`, `l.set_mac`,
//! `l.set_alias`, `l.set_txqueuelen`.

use crate::api::Link;
use crate::api::convert::RhaiResultOf;
use crate::api::link::on;
use crate::error::Error;
use rhai::INT;
use rhai::plugin::*;

#[export_module]
pub mod link_state {
    use super::*;

    /// Bring the link up. Returns once the kernel has applied the change, so a
    /// bridge port is forwarding when the next call runs (no sleep needed).
    ///
    /// `ip link set dev X up`
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.up();
    /// print(l.is_up);   // true
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn up(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| op.set_up(ns, i, true))
    }

    /// Bring the link down.
    ///
    /// `ip link set dev X down`
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.up();
    /// l.down();
    /// print(l.is_up);   // false
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn down(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| op.set_up(ns, i, false))
    }

    /// Rename the link; this handle (and copies of it) follow it.
    ///
    /// `ip link set dev X name NAME`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let l = link::add_veth("veth1.1", "veth1.2", #{ netns: r1 });
    /// l.rename("eth0");
    /// print(r1.link("eth0") == l);   // true
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn rename(ctx: NativeCallContext, l: &mut Link, name: &str) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| op.rename(ns, i, name))
    }

    /// Set the MTU in bytes.
    ///
    /// `ip link set dev X mtu N`
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.set_mtu(9000);
    /// print(l.mtu);   // 9000
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn set_mtu(ctx: NativeCallContext, l: &mut Link, mtu: INT) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| op.set_mtu(ns, i, mtu_arg(mtu)?))
    }

    /// Set the hardware (MAC) address, "aa:bb:cc:dd:ee:ff": a unicast one (its
    /// first byte even; 02:… are the locally administered ones labs use). On a
    /// link the lab did not make, the old address comes back with the lab's
    /// teardown.
    ///
    /// `ip link set dev X address MAC`
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.set_mac("02:00:00:00:00:01");
    /// print(l.mac);   // 02:00:00:00:00:01
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn set_mac(ctx: NativeCallContext, l: &mut Link, mac: &str) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| op.set_mac(ns, i, mac_arg(mac)?))
    }

    /// Give the link a description (`ip link`'s "alias"), up to 255 bytes;
    /// "" removes it. On a link the lab did not make, the old one comes back
    /// with the lab's teardown.
    ///
    /// `ip link set dev X alias TEXT`
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.set_alias("uplink to r2");
    /// print(l.alias);   // uplink to r2
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn set_alias(ctx: NativeCallContext, l: &mut Link, alias: &str) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| {
            if alias.len() > 255 || alias.contains('\0') {
                let why = "an alias is at most 255 bytes (IFALIASZ), without NUL";
                return Err(Error::invalid("set the alias of a link", why).at_arg(0));
            }
            op.set_alias(ns, i, alias)
        })
    }

    /// Set the length of the link's transmit queue, in packets (0 to
    /// 4294967295; 1000 is Ethernet's default, a veth's is 1000 too).
    ///
    /// `ip link set dev X txqueuelen N`
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.set_txqueuelen(64);
    /// print(l.txqueuelen);   // 64
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn set_txqueuelen(ctx: NativeCallContext, l: &mut Link, len: INT) -> RhaiResultOf<()> {
        on(&ctx, l, |op, ns, i| {
            let len = u32::try_from(len).map_err(|_| {
                Error::invalid(
                    format!("set txqueuelen {len}"),
                    "a queue length is from 0 to 4294967295",
                )
                .at_arg(0)
            })?;
            op.set_txqlen(ns, i, len)
        })
    }
}

/// A unicast MAC address (the kernel refuses a multicast one).
fn mac_arg(text: &str) -> crate::error::Result<[u8; 6]> {
    let mac = crate::mac::parse(text).map_err(|e| e.at_arg(0))?;
    if mac[0] & 1 == 1 {
        return Err(Error::invalid(
            format!("use {text:?} as a link's MAC address"),
            "it is a multicast address (its first byte is odd)",
        )
        .with_help("use a unicast one like 02:00:00:00:00:01")
        .about(text)
        .at_arg(0));
    }
    Ok(mac)
}

/// An MTU: what any link could take (each kind has its own limits, which
/// the kernel checks).
fn mtu_arg(mtu: INT) -> crate::error::Result<u32> {
    u32::try_from(mtu)
        .ok()
        .filter(|m| (68..=65536).contains(m))
        .ok_or_else(|| {
            Error::invalid(
                format!("set the MTU to {mtu}"),
                "an MTU is from 68 (the IPv4 minimum) to 65536",
            )
            .with_help("Ethernet links use 1500; jumbo frames 9000")
            .at_arg(0)
        })
}
