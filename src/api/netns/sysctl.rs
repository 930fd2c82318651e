//! `ns.sysctl` (read or set) and `ns.forwarding`.

use rhai::Dynamic;
use rhai::plugin::*;

use crate::api::Netns;
use crate::api::convert::RhaiResultOf;
use crate::api::session::{self, op};

#[export_module]
pub mod netns_sysctl {
    use super::*;

    /// Read (`ns.sysctl(key)`) or set (`ns.sysctl(key, value)`) a network sysctl
    /// of this namespace. Only `net.*` keys, which belong to the namespace; the
    /// value is returned and given as a string (numbers are accepted too).
    ///
    /// `ip netns exec NS sysctl [-w] KEY[=VALUE]`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// print(r1.sysctl("net.ipv4.ip_forward"));        // 0
    /// r1.sysctl("net.ipv4.ip_forward", 1);
    /// print(r1.sysctl("net.ipv4.ip_forward"));        // 1
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn sysctl(ctx: NativeCallContext, ns: &mut Netns, key: &str) -> RhaiResultOf<String> {
        session::read(&ctx, |_| {
            let file = ns.ns.open()?;
            crate::sys::sysctl::read(&file, key).map_err(|e| e.in_netns(ns.ns.name()))
        })
    }

    #[rhai_fn(global, name = "sysctl", pure, volatile, return_raw)]
    pub fn set_sysctl(
        ctx: NativeCallContext,
        ns: &mut Netns,
        key: &str,
        value: Dynamic,
    ) -> RhaiResultOf<()> {
        let value = if value.is_bool() {
            (value.as_bool().unwrap_or(false) as u8).to_string()
        } else {
            value.to_string()
        };
        op(&ctx, |op| op.set_sysctls(&ns.ns, &[(key, &value)]))
    }

    /// Turn IP forwarding on or off for IPv4 and IPv6 in this namespace: what a
    /// router namespace needs.
    ///
    /// `ip netns exec NS sysctl -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1`
    ///
    /// ```rhai
    /// let router = netns::add("router");
    /// router.forwarding(true);
    /// print(router.sysctl("net.ipv4.ip_forward"));            // 1
    /// print(router.sysctl("net.ipv6.conf.all.forwarding"));   // 1
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn forwarding(ctx: NativeCallContext, ns: &mut Netns, on: bool) -> RhaiResultOf<()> {
        let v = if on { "1" } else { "0" };
        let keys = ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"];
        op(&ctx, |op| op.set_sysctls(&ns.ns, &keys.map(|k| (k, v))))
    }
}
