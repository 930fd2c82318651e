//! `l.netem(...)`: impairments on a link's egress (delay, loss, ...).

use rhai::plugin::*;
use rhai::{Dynamic, Map};

use crate::api::Link;
use crate::api::convert::{RhaiResultOf, check_options, forced, option};
use crate::api::session::op;
use crate::error::{Error, Result};
use crate::lab::ops::RootQdisc;
use crate::netlink::Netem;
use crate::units::{percent_text, rate_text, time_text};

#[export_module]
pub mod link_netem {
    use super::*;

    /// Impair what leaves this link, like a long or bad line: `delay` (a time
    /// like tc writes it: "20ms", "1s", "500us"), `jitter` (a random variation
    /// of the delay, needs `delay`), `loss`, `duplicate`, `corrupt` (a
    /// percentage of packets: "1%", "0.5%", or a number of percent), `reorder`
    /// (a percentage of packets sent at once, ahead of the delayed ones; needs
    /// `delay`) every `gap`th packet (default 1), `rate` (like "10mbit") and
    /// `limit` (packets the queue holds, default 1000). Replaces the link's
    /// qdisc (a `shape` too), so it can be changed while traffic flows; every
    /// option not given is off. Malformed or out-of-range values are errors. An
    /// impairment on a link the lab did not create is taken off at teardown; a
    /// qdisc someone else put there is replaced only with `#{ force: true }`.
    ///
    /// `tc qdisc replace dev X root netem limit 1000 delay 20ms 5ms loss 1%`
    ///
    /// ```rhai
    /// // needs a kernel with netem (CONFIG_NET_SCH_NETEM)
    /// let l = link::add_veth("a", "b");
    /// l.netem(#{ delay: "20ms", jitter: "5ms", loss: "1%" });
    /// print(l.qdisc().kind);    // netem
    /// print(l.qdisc().delay);   // 20ms
    /// print(l.qdisc().loss);    // 1%
    /// l.netem(#{ delay: "50ms", rate: "10mbit" });
    /// print(l.qdisc().rate);    // 10mbit
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn netem(ctx: NativeCallContext, l: &mut Link, options: Map) -> RhaiResultOf<()> {
        op(&ctx, |op| {
            l.check()?;
            let settings = netem_options(&options)?;
            let info = op.net.link_by_index(&l.ns(), l.index())?;
            let q = RootQdisc::Netem(settings);
            op.replace_qdisc(&l.ns(), &info, &q, forced(&options)?)
        })
    }
}

const KEYS: &[&str] = &[
    "delay",
    "jitter",
    "loss",
    "duplicate",
    "corrupt",
    "reorder",
    "gap",
    "rate",
    "limit",
    "force",
];

/// A time option in nanoseconds; a bare number is refused (tc would
/// read microseconds, which nobody means by `delay: 20`).
fn time_option(opts: &Map, key: &str) -> Result<Option<u64>> {
    option(opts, key, |v| {
        let text = v.to_string();
        let bare = !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '.');
        if bare && text.parse::<f64>() != Ok(0.0) {
            return Err(Error::invalid(
                format!("use {text} as option `{key}`"),
                "a time needs a unit",
            )
            .with_help(format!("write e.g. #{{ {key}: \"{text}ms\" }}")));
        }
        Ok(crate::units::time_us(&text)? * 1000)
    })
}

/// A percentage option as the kernel's fraction of `u32::MAX`.
fn percent_option(opts: &Map, key: &str) -> Result<Option<u32>> {
    option(opts, key, |v| {
        let text = match v.as_float() {
            Ok(f) => f.to_string(),
            Err(_) => v.to_string(),
        };
        let p = crate::units::percent(&text)?;
        Ok((p / 100.0 * f64::from(u32::MAX)).round() as u32)
    })
}

fn count_option(opts: &Map, key: &str) -> Result<Option<u32>> {
    option(opts, key, |v| {
        v.as_int()
            .ok()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n >= 1)
            .ok_or_else(|| {
                Error::invalid(
                    format!("use {v} as option `{key}`"),
                    format!("`{key}` is a count of packets, at least 1"),
                )
            })
    })
}

/// Netem settings from the options map.
fn netem_options(opts: &Map) -> Result<Netem> {
    let action = "impair a link";
    check_options(action, opts, KEYS)?;
    let delay_ns = time_option(opts, "delay")?.unwrap_or(0);
    let jitter_ns = time_option(opts, "jitter")?.unwrap_or(0);
    let reorder = percent_option(opts, "reorder")?.unwrap_or(0);
    let needs_delay = |key: &str, what: &str| {
        Error::invalid(action, format!("`{key}` {what} without a `delay`"))
            .with_help(format!(
                "give a delay too: #{{ delay: \"10ms\", {key}: ... }}"
            ))
            .at_option(key)
    };
    // The kernel keeps a jitter in 31 bits of nanoseconds.
    if jitter_ns > i32::MAX as u64 {
        return Err(Error::invalid(action, "a jitter is at most 2.1 s")
            .with_help("give a smaller jitter, like \"500ms\"")
            .at_option("jitter"));
    }
    if jitter_ns > 0 && delay_ns == 0 {
        return Err(needs_delay("jitter", "varies nothing"));
    }
    if reorder > 0 && delay_ns == 0 {
        return Err(needs_delay("reorder", "has nothing to overtake"));
    }
    let gap = count_option(opts, "gap")?;
    if gap.is_some() && reorder == 0 {
        return Err(Error::invalid(action, "`gap` only applies with `reorder`")
            .with_help("give a reorder percentage too, or leave `gap` out")
            .at_option("gap"));
    }
    let rate = option(
        opts,
        "rate",
        |v| Ok(crate::units::rate(&v.to_string())? / 8),
    )?;
    Ok(Netem {
        delay_ns,
        jitter_ns,
        loss: percent_option(opts, "loss")?.unwrap_or(0),
        duplicate: percent_option(opts, "duplicate")?.unwrap_or(0),
        corrupt: percent_option(opts, "corrupt")?.unwrap_or(0),
        reorder,
        gap: if reorder > 0 { gap.unwrap_or(1) } else { 0 },
        rate: rate.unwrap_or(0),
        limit: count_option(opts, "limit")?.unwrap_or(1000),
    })
}

/// What `l.qdisc()` shows of a netem: what is on, and its queue's limit.
pub(super) fn describe(n: &Netem, map: &mut Map) {
    let mut put = |key: &str, value: Dynamic| {
        map.insert(key.into(), value);
    };
    put("limit", Dynamic::from(i64::from(n.limit)));
    if n.delay_ns > 0 {
        put("delay", time_text(n.delay_ns).into());
    }
    if n.jitter_ns > 0 {
        put("jitter", time_text(n.jitter_ns).into());
    }
    for (key, p) in n.percents() {
        put(key, percent_text(p).into());
    }
    if n.reorder > 0 {
        put("gap", Dynamic::from(i64::from(n.gap)));
    }
    if n.rate > 0 {
        put("rate", rate_text(n.rate).into());
    }
}
