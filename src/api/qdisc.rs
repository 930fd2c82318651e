//! Shaping a link's egress: `tc qdisc` as `Link` methods.

use rhai::{Dynamic, Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, check_options};
use super::{LinkHandle, Net, method, record};
use crate::error::{Error, Result};
use crate::lab::Object;
use crate::netlink::Tbf;

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

pub(super) fn tc_n(l: &LinkHandle) -> String {
    format!("tc {}", record::ip_n(&l.ns()))
}

/// Whether the root qdisc of link `index` is the lab's to change: a link
/// it made or in a namespace it made, or one it has already shaped.
fn lab_qdisc(ctx: &NativeCallContext, ns: &crate::ns::Ns, index: u32) -> bool {
    let lab = record::lab(ctx);
    let here = ns.name();
    lab.owns_netns(here)
        || lab.link_at(here, index).is_some()
        || lab
            .objects()
            .iter()
            .any(|o| matches!(o, Object::Qdisc { ns: n, index: i, .. } if n == here && *i == index))
}

/// Refuse to replace a qdisc someone else put on a link (teardown would
/// leave the kernel's default, not theirs), unless `#{ force: true }`.
pub(super) fn guard(
    ctx: &NativeCallContext,
    n: &Net,
    ns: &crate::ns::Ns,
    index: u32,
    link: &str,
    opts: &Map,
    verb: &str,
) -> Result<()> {
    if super::convert::forced(opts)? || lab_qdisc(ctx, ns, index) {
        return Ok(());
    }
    match n.qdisc(ns, index)? {
        Some(q) if q.added => Err(Error::new(
            crate::error::Kind::Permission,
            format!("{verb} the {} qdisc of \"{link}\"", q.kind),
            "netscript did not put it there",
        )
        .in_netns(ns.name())
        .with_help(
            "teardown would leave the kernel's default qdisc, not this one; \
             to do it anyway, pass #{ force: true }",
        )),
        _ => Ok(()),
    }
}

/// A shape on a link the run did not create goes in the ledger, so that
/// teardown takes it off again (once, however often it was changed).
pub(super) fn remember(ctx: &NativeCallContext, ns: &crate::ns::Ns, index: u32, link: &str) {
    let lab = record::lab(ctx);
    let here = ns.name();
    if !lab_qdisc(ctx, ns, index) {
        lab.created(Object::Qdisc {
            ns: here.to_string(),
            ns_id: ns.id(),
            index,
            link: link.to_string(),
        });
    }
}

pub fn register(m: &mut Module, net: &Net) {
    let n = net.clone();
    method(
        "shape",
        &["l: &mut Link", "options: Map"],
        r#"
Limit what leaves this link with a token bucket filter: `rate` (like tc:
"10mbit", "1gbit", "500kbit"; "1mbps" is bytes), `burst` (bytes that may
leave at once, like "32kb"; default 10 ms at the rate, at least one frame)
and `latency` (how long a packet may wait, default "50ms") or `limit`
(the queue's size in bytes). Replaces the link's qdisc, so it can be
changed while traffic flows; malformed or out-of-range values are errors.
A shape on a link the lab did not create is taken off at teardown; a
qdisc someone else put there is replaced only with `#{ force: true }`.

`tc qdisc replace dev X root tbf rate RATE burst BURST latency LATENCY`

```rhai
let l = link::add_veth("a", "b");
l.shape(#{ rate: "10mbit", burst: "32kb", latency: "20ms" });
print(l.qdisc().rate);    // 10mbit
print(l.qdisc().burst);   // 32768
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle, opts: Map| -> Res<()> {
            l.check().or_raise(&ctx)?;
            let info = n.link_by_index(&l.ns(), l.index()).or_raise(&ctx)?;
            let t = tbf(&opts, info.mtu).or_raise(&ctx)?;
            guard(&ctx, &n, &l.ns(), l.index(), &info.name, &opts, "replace").or_raise(&ctx)?;
            n.set_tbf(&l.ns(), l.index(), &t).or_raise(&ctx)?;
            remember(&ctx, &l.ns(), l.index(), &info.name);
            record::change(&ctx, || {
                format!(
                    "{}qdisc replace dev {} root tbf {}",
                    tc_n(l),
                    info.name,
                    t.tc_args()
                )
            });
            Ok(())
        },
    );

    let n = net.clone();
    method(
        "qdisc",
        &["l: &mut Link", "Map"],
        r#"
The link's root qdisc: `#{ kind }`, plus `rate`, `burst` and `limit` (in
bytes) for a token bucket, and for a netem `limit` (packets) and what is
on of `delay`, `jitter`, `loss`, `duplicate`, `corrupt`, `reorder`, `gap`
and `rate`, written as `netem` takes them; `#{ kind: "noqueue" }` when it
has none (a veth's default).

`tc qdisc show dev X root`

```rhai
let l = link::add_veth("a", "b");
print(l.qdisc());   // #{"kind": "noqueue"}
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle| -> Res<Map> {
            l.check().or_raise(&ctx)?;
            let q = n.qdisc(&l.ns(), l.index()).or_raise(&ctx)?;
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
                        super::netem::describe(&netem, &mut map);
                    }
                }
            }
            Ok(map)
        },
    );

    let clear_doc = r#"
Remove the link's root qdisc (a `shape` or a `netem`), back to the
kernel's default. Nothing to remove is not an error; a qdisc someone else
put on a link the lab did not make is removed only with `#{ force: true }`.

`tc qdisc del dev X root`

```rhai
let l = link::add_veth("a", "b");
l.shape(#{ rate: "1mbit" });
l.clear_qdisc();
print(l.qdisc().kind);   // noqueue
```"#;
    let n = net.clone();
    method("clear_qdisc", &["l: &mut Link"], clear_doc).set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle| -> Res<()> {
            clear(&n, &ctx, l, &Map::new())
        },
    );
    let n = net.clone();
    method("clear_qdisc", &["l: &mut Link", "options: Map"], clear_doc).set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle, opts: Map| -> Res<()> {
            clear(&n, &ctx, l, &opts)
        },
    );
}

fn clear(n: &Net, ctx: &NativeCallContext, l: &LinkHandle, opts: &Map) -> Res<()> {
    check_options("remove a qdisc", opts, &["force"]).or_raise(ctx)?;
    l.check().or_raise(ctx)?;
    let info = n.link_by_index(&l.ns(), l.index()).or_raise(ctx)?;
    guard(ctx, n, &l.ns(), l.index(), &info.name, opts, "remove").or_raise(ctx)?;
    n.clear_qdisc(&l.ns(), l.index()).or_raise(ctx)?;
    let (ns, index) = (l.ns().name().to_string(), l.index());
    record::lab(ctx)
        .removed(|o| matches!(o, Object::Qdisc { ns: n, index: i, .. } if *n == ns && *i == index));
    record::change(ctx, || {
        format!("{}qdisc del dev {} root", tc_n(l), info.name)
    });
    Ok(())
}
