//! `ns.ping_stats`: a run of echoes with their round-trip times, like
//! `ping -c N` prints at its end.

use rhai::{Dynamic, Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, check_options, option, seconds};
use super::netns_methods::ping_target;
use super::{NetnsHandle, method, record};
use crate::error::{Error, Result};
use crate::sys::ping;

const DOC: &str = r#"
Send `count` ICMP echoes (default 5) to `address` from this namespace,
one every `interval` seconds (default 0.2), wait up to `timeout` seconds
(default 1) after the last one for the answers, and say what came back:
`#{ sent, received, loss, min, avg, max, mdev }`, with `loss` in percent
and the round-trip times in milliseconds (`mdev`, their standard
deviation as `ping` prints it, measures jitter; `()` when nothing came
back). The
way to measure what an impairment does. A duplicated answer counts once.

`ip netns exec NS ping -c COUNT -i INTERVAL -W TIMEOUT ADDRESS`

```rhai
let r1 = netns::add("r1");
r1.link("lo").addr_add("10.9.9.9/32");
let s = r1.ping_stats("10.9.9.9", #{ count: 3, interval: 0.05 });
print(`${s.sent} ${s.received} ${s.loss}`);   // 3 3 0.0
print(s.max < 100.0);                         // true
print(s.mdev >= 0.0);                         // true
print(r1.ping_stats("10.9.9.8", #{ count: 2, timeout: 0.2 }).received);   // 0
```"#;

struct Options {
    count: u32,
    interval: std::time::Duration,
    timeout: std::time::Duration,
}

fn options(opts: &Map) -> Result<Options> {
    check_options("ping", opts, &["count", "interval", "timeout"])?;
    let count = option(opts, "count", |v| {
        v.as_int()
            .ok()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| {
                Error::invalid(
                    format!("use {v} as option `count`"),
                    "`count` is a number of echoes from 1 to 10000",
                )
            })
    })?;
    let interval = option(opts, "interval", |v| seconds("option `interval`", v))?;
    let timeout = option(opts, "timeout", |v| seconds("option `timeout`", v))?;
    Ok(Options {
        count: count.unwrap_or(5),
        interval: interval.unwrap_or(std::time::Duration::from_millis(200)),
        timeout: timeout.unwrap_or(std::time::Duration::from_secs(1)),
    })
}

fn ms(d: &std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn ping_stats(ctx: &NativeCallContext, ns: &NetnsHandle, address: &str, opts: &Map) -> Res<Map> {
    let o = options(opts).or_raise(ctx)?;
    let ip = ping_target(address).or_raise(ctx)?;
    let file = ns.ns.open().or_raise(ctx)?;
    record::look(ctx, || {
        format!(
            "{}ping -c {} -i {} -W {} {address}",
            record::exec_prefix(&ns.ns),
            o.count,
            o.interval.as_secs_f64(),
            o.timeout.as_secs_f64()
        )
    });
    let s = ping::stats(&file, ip, o.count, o.interval, o.timeout)
        .map_err(|e| e.in_netns(ns.ns.name()))
        .or_raise(ctx)?;
    let received = s.rtts.len() as u32;
    let mut map = Map::new();
    map.insert("sent".into(), Dynamic::from(i64::from(s.sent)));
    map.insert("received".into(), Dynamic::from(i64::from(received)));
    let loss = if s.sent == 0 {
        100.0
    } else {
        f64::from(s.sent - received) * 100.0 / f64::from(s.sent)
    };
    map.insert(
        "loss".into(),
        Dynamic::from_float((loss * 1000.0).round() / 1000.0),
    );
    let times: Vec<f64> = s.rtts.iter().map(ms).collect();
    let round = |x: f64| Dynamic::from_float((x * 1000.0).round() / 1000.0);
    let (min, avg, max, mdev) = if times.is_empty() {
        (Dynamic::UNIT, Dynamic::UNIT, Dynamic::UNIT, Dynamic::UNIT)
    } else {
        let n = times.len() as f64;
        let mean = times.iter().sum::<f64>() / n;
        let square_mean = times.iter().map(|t| t * t).sum::<f64>() / n;
        (
            Dynamic::from_float(times.iter().copied().fold(f64::MAX, f64::min)),
            round(mean),
            Dynamic::from_float(times.iter().copied().fold(0.0, f64::max)),
            round((square_mean - mean * mean).max(0.0).sqrt()),
        )
    };
    map.insert("min".into(), min);
    map.insert("avg".into(), avg);
    map.insert("max".into(), max);
    map.insert("mdev".into(), mdev);
    Ok(map)
}

pub fn register(m: &mut Module) {
    method(
        "ping_stats",
        &["ns: &mut Netns", "address: &str", "Map"],
        DOC,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, address: &str| -> Res<Map> {
            ping_stats(&ctx, ns, address, &Map::new())
        },
    );
    method(
        "ping_stats",
        &["ns: &mut Netns", "address: &str", "options: Map", "Map"],
        DOC,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, address: &str, opts: Map| -> Res<Map> {
            ping_stats(&ctx, ns, address, &opts)
        },
    );
}
