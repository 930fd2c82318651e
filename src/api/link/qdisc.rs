//! `l.shape(...)`, `l.qdisc()`, `l.clear_qdisc()`: a link's egress queue.

use rhai::plugin::*;
use rhai::{Dynamic, Map};

use crate::api::Link;
use crate::api::convert::{RhaiResultOf, check_options, forced};
use crate::api::session::{self, op};
use crate::error::{Error, Result};
use crate::lab::ops::RootQdisc;
use crate::netlink::Tbf;

#[export_module]
pub mod link_qdisc {
    use super::*;

    /// Limit what leaves this link with a token bucket filter: `rate` (like tc:
    /// "10mbit", "1gbit", "500kbit"; "1mbps" is bytes), `burst` (bytes that may
    /// leave at once, like "32kb"; default 10 ms at the rate, at least one frame)
    /// and `latency` (how long a packet may wait, default "50ms") or `limit`
    /// (the queue's size in bytes). Replaces the link's qdisc, so it can be
    /// changed while traffic flows; malformed or out-of-range values are errors.
    /// A shape on a link the lab did not create is taken off at teardown; a
    /// qdisc someone else put there is replaced only with `#{ force: true }`.
    ///
    /// `tc qdisc replace dev X root tbf rate RATE burst BURST latency LATENCY`
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.shape(#{ rate: "10mbit", burst: "32kb", latency: "20ms" });
    /// print(l.qdisc().rate);    // 10mbit
    /// print(l.qdisc().burst);   // 32768
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn shape(ctx: NativeCallContext, l: &mut Link, options: Map) -> RhaiResultOf<()> {
        op(&ctx, |op| {
            l.check()?;
            let info = op.net.link_by_index(&l.ns(), l.index())?;
            let t = tbf(&options, info.mtu)?;
            op.replace_qdisc(&l.ns(), &info, &RootQdisc::Tbf(t), forced(&options)?)
        })
    }

    /// The link's root qdisc: `#{ kind }`, plus `rate`, `burst` and `limit` (in
    /// bytes) for a token bucket, and for a netem `limit` (packets) and what is
    /// on of `delay`, `jitter`, `loss`, `duplicate`, `corrupt`, `reorder`, `gap`
    /// and `rate`, written as `netem` takes them; `#{ kind: "noqueue" }` when it
    /// has none (a veth's default).
    ///
    /// `tc qdisc show dev X root`
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// print(l.qdisc());   // #{"kind": "noqueue"}
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn qdisc(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<Map> {
        let q = session::read(&ctx, |net| {
            l.check()?;
            net.qdisc(&l.ns(), l.index())
        })?;
        let mut map = Map::new();
        match q {
            None => {
                map.insert("kind".into(), "noqueue".into());
            }
            Some(q) => {
                map.insert("kind".into(), q.kind.into());
                if let Some(t) = q.tbf {
                    map.insert("rate".into(), crate::units::rate_text(t.rate).into());
                    map.insert("burst".into(), Dynamic::from(i64::from(t.burst)));
                    map.insert("limit".into(), Dynamic::from(i64::from(t.limit)));
                }
                if let Some(netem) = q.netem {
                    super::super::netem::describe(&netem, &mut map);
                }
            }
        }
        Ok(map)
    }

    /// Remove the link's root qdisc (a `shape` or a `netem`), back to the
    /// kernel's default. Nothing to remove is not an error; a qdisc someone else
    /// put on a link the lab did not make is removed only with `#{ force: true }`.
    ///
    /// `tc qdisc del dev X root`
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.shape(#{ rate: "1mbit" });
    /// l.clear_qdisc();
    /// print(l.qdisc().kind);   // noqueue
    /// ```
    #[rhai_fn(global, name = "clear_qdisc", pure, volatile, return_raw)]
    pub fn clear_qdisc_with(
        ctx: NativeCallContext,
        l: &mut Link,
        options: Map,
    ) -> RhaiResultOf<()> {
        op(&ctx, |op| {
            check_options("remove a qdisc", &options, &["force"])?;
            l.check()?;
            let info = op.net.link_by_index(&l.ns(), l.index())?;
            op.clear_qdisc(&l.ns(), &info, forced(&options)?)
        })
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn clear_qdisc(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<()> {
        clear_qdisc_with(ctx, l, Map::new())
    }
}

fn text_option(opts: &Map, key: &str) -> Option<String> {
    opts.get(key).map(|v| v.to_string())
}

/// Token bucket settings from `#{ rate, burst, latency | limit }` for a
/// link whose MTU is `mtu`.
fn tbf(opts: &Map, mtu: u32) -> Result<Tbf> {
    check_options(
        "shape a link",
        opts,
        &["rate", "burst", "latency", "limit", "force"],
    )?;
    let Some(rate) = text_option(opts, "rate") else {
        return Err(Error::invalid("shape a link", "option `rate` is missing")
            .with_help("give one: #{ rate: \"10mbit\" }"));
    };
    let rate = crate::units::rate(&rate)? / 8;
    let frame = u64::from(mtu) + 14;
    let burst = match text_option(opts, "burst") {
        Some(b) => crate::units::size(&b)?,
        // 10 ms at the rate, and never less than one full frame.
        None => (rate / 100).max(frame),
    };
    if burst < frame {
        return Err(Error::invalid(
            "shape a link",
            format!(
                "a burst of {burst} bytes is smaller than one frame ({frame} bytes at MTU {mtu})"
            ),
        )
        .with_help("such frames could never be sent: give a burst of at least the MTU + 14"));
    }
    let limit = match (text_option(opts, "latency"), text_option(opts, "limit")) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                "shape a link",
                "`latency` and `limit` both set the queue's length",
            )
            .with_help("give one of them"));
        }
        (_, Some(limit)) => crate::units::size(&limit)?,
        (latency, None) => {
            let us = crate::units::time_us(latency.as_deref().unwrap_or("50ms"))?;
            rate.saturating_mul(us) / 1_000_000 + burst
        }
    };
    Ok(Tbf {
        rate,
        burst: u32::try_from(burst).unwrap_or(u32::MAX),
        limit: u32::try_from(limit).unwrap_or(u32::MAX),
    })
}
