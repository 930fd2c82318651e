//! `link::add_vxlan`: tunnel ends that carry Ethernet in UDP.

use std::net::IpAddr;

use rhai::plugin::*;
use rhai::{INT, Map};

use super::target;
use crate::api::Link;
use crate::api::convert::{RhaiResultOf, bool_option, check_options, int_option, option};
use crate::api::session::op;
use crate::error::{Error, Result};
use crate::netlink::{LinkInfo, Netlink, Vxlan, VxlanTune};
use crate::ns::Ns;

#[export_module]
pub mod link_vxlan {
    use super::*;

    /// Create a VXLAN tunnel end named `name`: an Ethernet link whose frames
    /// travel in UDP to the other ends, so a lab can span machines. Options:
    /// `id` (the VNI, 0 to 16777215; required), `remote` (the other end's
    /// underlay address) or `group` (a multicast group, with `dev`), `local`
    /// (this end's underlay address), `dev` (the underlay Link), `port` (UDP
    /// port, default 4789, the IANA port; `ip` defaults to 8472), `netns`
    /// (where the device goes, default the namespace of `dev`, or the host);
    /// and the kernel's settings: `learning` (learn remote MACs from traffic;
    /// default true; false for a forwarding database filled by `fdb_append`),
    /// `ttl` and `tos` of the outer packets (0 to 255), `srcport` (the UDP
    /// source port range, [low, high]), `udpcsum` (checksums on IPv4),
    /// `ageing` (seconds a learned entry lives) and `proxy` (answer ARP from
    /// the forwarding database). Its UDP socket lives in the namespace of `dev`
    /// if given, otherwise where the device goes. `l.info()` reads them back.
    ///
    /// `ip link add NAME [netns NS] type vxlan id ID [local L] [remote R | group G] [dev D] dstport PORT [no]learning [ttl T] [tos T] [srcport LO HI] ...`
    ///
    /// ```rhai
    /// let vx = link::add_vxlan("vx42", #{ id: 42, local: "192.0.2.1", remote: "192.0.2.2" });
    /// print(vx.kind);   // vxlan
    /// let quiet = link::add_vxlan("vx43", #{ id: 43, learning: false, srcport: [4000, 5000] });
    /// print(quiet.info().srcport);   // [4000, 5000]
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn add_vxlan(ctx: NativeCallContext, name: &str, options: Map) -> RhaiResultOf<Link> {
        op(&ctx, |op| {
            let action = format!("create vxlan link \"{name}\"");
            let known = [
                "id", "remote", "group", "local", "dev", "port", "netns", "learning", "ttl", "tos",
                "srcport", "udpcsum", "ageing", "proxy",
            ];
            check_options(&action, &options, &known)?;
            let Some(id) = int_option(&options, "id", 0..=0xff_ffff)? else {
                return Err(Error::invalid(
                    action,
                    "option `id` (the VXLAN network identifier) is missing",
                )
                .with_help("give one: #{ id: 42, remote: \"192.0.2.2\" }"));
            };
            let port = int_option(&options, "port", 1..=65535)?.unwrap_or(4789);
            let dev = dev_option(op.net, &options)?;
            let ns = target(
                &options,
                dev.as_ref().map_or(Ns::Host, |(ns, _)| ns.clone()),
            )?;
            let underlay = dev.as_ref().map_or(ns.clone(), |(ns, _)| ns.clone());
            let vx = Vxlan {
                id: id as u32,
                local: ip_option(&options, "local")?,
                remote: ip_option(&options, "remote")?,
                group: ip_option(&options, "group")?,
                dev: dev.as_ref().map(|(_, d)| d.index),
                port: port as u16,
                tune: tune(&options)?,
            };
            vx.check(&action)?;
            let dev_name = dev.as_ref().map(|(_, d)| d.name.as_str());
            let info = op.add_vxlan(&underlay, &ns, name, &vx, dev_name)?;
            Ok(Link::new(ns, info.index))
        })
    }
}

/// The kernel's settings of a VXLAN end, from its options.
fn tune(opts: &Map) -> Result<VxlanTune> {
    let byte = |key| Ok::<_, Error>(int_option(opts, key, 0..=255)?.map(|n| n as u8));
    let srcport = option(opts, "srcport", |v| {
        let range = v
            .clone()
            .into_typed_array::<INT>()
            .ok()
            .filter(|r| r.len() == 2);
        match range.as_deref() {
            Some(&[lo, hi]) if 1 <= lo && lo <= hi && hi <= 65535 => Ok((lo as u16, hi as u16)),
            _ => Err(Error::invalid(
                format!("use {v} as option `srcport`"),
                "`srcport` is [low, high], ports from 1 to 65535, low first",
            )),
        }
    })?;
    Ok(VxlanTune {
        learning: bool_option(opts, "learning")?,
        ttl: byte("ttl")?,
        tos: byte("tos")?,
        srcport,
        udpcsum: bool_option(opts, "udpcsum")?,
        ageing: int_option(opts, "ageing", 0..=u32::MAX as i64)?.map(|n| n as u32),
        proxy: bool_option(opts, "proxy")?,
    })
}

/// An address option; None when absent.
fn ip_option(opts: &Map, key: &str) -> Result<Option<IpAddr>> {
    option(opts, key, |v| {
        let text = v.to_string();
        text.parse().map_err(|_| {
            Error::invalid(
                format!("use {text:?} as option `{key}`"),
                "not an IPv4 or IPv6 address",
            )
            .with_help("give an address without a prefix length, like 192.0.2.2")
        })
    })
}

/// The underlay device of a vxlan: its namespace and the link.
fn dev_option(net: &Netlink, opts: &Map) -> Result<Option<(Ns, LinkInfo)>> {
    option(opts, "dev", |v| {
        let Some(dev) = v.clone().try_cast::<Link>() else {
            return Err(Error::invalid(
                format!("use a {} as option `dev`", v.type_name()),
                "`dev` must be a Link",
            )
            .with_help("pass a link handle, like link::get(\"eth0\")"));
        };
        dev.check()?;
        let info = net.link_by_index(&dev.ns(), dev.index())?;
        Ok((dev.ns(), info))
    })
}
