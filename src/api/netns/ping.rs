//! Pings from a namespace: `ns.ping`, `ns.probe`, `ns.unreachable`,
//! `ns.ping_stats`.

use std::time::Duration;

use rhai::plugin::*;
use rhai::{Array, Dynamic, Map};

use crate::api::Netns;
use crate::api::convert::{RhaiResultOf, check_options, int_option, option, seconds};
use crate::api::session::op;
use crate::error::{Error, Result};
use crate::lab::ops::{Echoes, ping_target};
use crate::sys::ping::{Stats, Timing};

#[export_module]
pub mod netns_ping {
    use super::*;

    /// Whether `address` answers an ICMP echo sent from this namespace (IPv4 or
    /// IPv6). Each echo waits 1 s for its reply; echoes are retried until 3 s have
    /// passed. With `#{ timeout: seconds }` the retries stop after that long
    /// instead (a quick negative check). An address with no route, or whose route
    /// or firewall drops the echo (blackhole, unreachable, prohibit), is `false`
    /// at once; only a mistake (a link-local address, which needs an interface)
    /// is an error. With `#{ ttl }` (1 to 255) the echoes leave with that TTL
    /// (hop limit). Uses a raw socket inside the namespace; no `ping` binary
    /// needed.
    ///
    /// `ip netns exec NS ping -c 1 -W 1 [-t TTL] ADDRESS`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// r1.link("lo").addr_add("10.9.9.9/32");
    /// print(r1.ping("10.9.9.9"));                        // true
    /// print(r1.ping("127.0.0.1"));                       // true
    /// print(r1.ping("10.9.9.8", #{ timeout: 0.2 }));     // false
    /// ```
    #[rhai_fn(global, name = "ping", pure, volatile, return_raw)]
    pub fn ping_with(
        ctx: NativeCallContext,
        ns: &mut Netns,
        address: &str,
        options: Map,
    ) -> RhaiResultOf<bool> {
        op(&ctx, |op| {
            let timing = timing("ping", &options)?;
            op.ping(&ns.ns, address, timing)
        })
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn ping(ctx: NativeCallContext, ns: &mut Netns, address: &str) -> RhaiResultOf<bool> {
        ping_with(ctx, ns, address, Map::new())
    }

    /// Ping `address` once and say what came back, as `ping -v` and
    /// traceroute do: `#{ ok, error, from, ttl, rtt, type, code }`. For a
    /// reply `ok` is true, `from` the address, `ttl` the TTL (hop limit) it
    /// arrived with (64 less one per router on the way back) and `rtt` the
    /// round trip in milliseconds. Otherwise `error` names what happened: an
    /// ICMP error a router sent back ("net_unreachable", "host_unreachable",
    /// "port_unreachable", "prohibited", "ttl_exceeded", "frag_needed",
    /// "unreachable", ...), with its sender in `from` and its ICMP `type` and
    /// `code`; the same names with `from: ()` when this namespace's own routes
    /// refused the echo; or "lost" when nothing came back (routers send ICMP
    /// errors to one host about once a second: `net.ipv4.icmp_ratelimit` and
    /// `net.ipv6.icmp.ratelimit`). Options as `ping`: `timeout`, and `ttl` to
    /// find the router that many hops away.
    ///
    /// `ip netns exec NS ping -c 1 -v [-t TTL] ADDRESS`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// r1.link("lo").addr_add("10.9.9.9/32");
    /// let p = r1.probe("10.9.9.9");
    /// print(`${p.ok} ${p.from} ${p.ttl} ${p.rtt < 100.0}`);   // true 10.9.9.9 64 true
    /// r1.route_add("10.66.0.0/16", #{ type: "unreachable" });
    /// print(r1.probe("10.66.0.1").error);                   // host_unreachable
    /// print(r1.probe("10.9.9.8", #{ timeout: 0.2 }).error);  // net_unreachable
    /// ```
    #[rhai_fn(global, name = "probe", pure, volatile, return_raw)]
    pub fn probe_with(
        ctx: NativeCallContext,
        ns: &mut Netns,
        address: &str,
        options: Map,
    ) -> RhaiResultOf<Map> {
        let a = op(&ctx, |op| {
            op.probe(&ns.ns, address, timing("probe", &options)?)
        })?;
        let text =
            |ip: Option<std::net::IpAddr>| ip.map_or(Dynamic::UNIT, |i| i.to_string().into());
        let int = |n: Option<u8>| n.map_or(Dynamic::UNIT, |n| Dynamic::from_int(n.into()));
        Ok([
            ("ok", Dynamic::from(a.what == "reply")),
            (
                "error",
                if a.what == "reply" {
                    Dynamic::UNIT
                } else {
                    a.what.into()
                },
            ),
            ("from", text(a.from)),
            ("ttl", int(a.ttl)),
            (
                "rtt",
                a.rtt.map_or(Dynamic::UNIT, |d| {
                    Dynamic::from_float((d.as_secs_f64() * 1e6).round() / 1e3)
                }),
            ),
            ("type", int(a.icmp.map(|i| i.0))),
            ("code", int(a.icmp.map(|i| i.1))),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v))
        .collect())
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn probe(ctx: NativeCallContext, ns: &mut Netns, address: &str) -> RhaiResultOf<Map> {
        probe_with(ctx, ns, address, Map::new())
    }

    /// Ping every address in `addresses` from this namespace at once and return
    /// the addresses that never answered: `[]` means every one did. The quick way
    /// to check that a hub reaches all its hosts. One socket per address family;
    /// up to 64 addresses are pinged at a time, each retried every second until it
    /// answers or its `timeout` (default 3 s) runs out, so N silent addresses take
    /// about N / 64 × timeout. An address the kernel refuses to send to (a
    /// prohibit route, a firewall) counts as unanswered. The neighbour entries
    /// the probes made are removed afterwards (not those that were there
    /// before, nor pinned ones), so probing many addresses does not fill the
    /// neighbour table the whole machine shares.
    ///
    /// `for a in ADDRESSES; do ip netns exec NS ping -c 1 $a & done; wait`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// r1.link("lo").addr_add("10.9.9.9/32");
    /// print(r1.unreachable(["10.9.9.9", "127.0.0.1"]));              // []
    /// print(r1.unreachable(["10.9.9.9", "10.9.9.8"], #{ timeout: 0.2 }));  // ["10.9.9.8"]
    /// ```
    #[rhai_fn(global, name = "unreachable", pure, volatile, return_raw)]
    pub fn unreachable_with(
        ctx: NativeCallContext,
        ns: &mut Netns,
        addresses: Array,
        options: Map,
    ) -> RhaiResultOf<Array> {
        let answers = op(&ctx, |op| {
            let timing = timing("ping a list of addresses", &options)?;
            op.ping_many(&ns.ns, &texts(&addresses)?, timing)
        })?;
        Ok(addresses
            .into_iter()
            .zip(answers)
            .filter(|(_, ok)| !ok)
            .map(|(a, _)| a)
            .collect())
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn unreachable(
        ctx: NativeCallContext,
        ns: &mut Netns,
        addresses: Array,
    ) -> RhaiResultOf<Array> {
        unreachable_with(ctx, ns, addresses, Map::new())
    }

    /// Send `count` ICMP echoes (default 5) to `address` from this namespace,
    /// one every `interval` seconds (default 0.2), wait up to `timeout` seconds
    /// (default 1) after the last one for the answers, and say what came back:
    /// `#{ sent, received, loss, min, avg, max, mdev }`, with `loss` in percent
    /// and the round-trip times in milliseconds (`mdev`, their standard
    /// deviation as `ping` prints it, measures jitter; `()` when nothing came
    /// back). The
    /// way to measure what an impairment does. A duplicated answer counts once.
    ///
    /// `ip netns exec NS ping -c COUNT -i INTERVAL -W TIMEOUT ADDRESS`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// r1.link("lo").addr_add("10.9.9.9/32");
    /// let s = r1.ping_stats("10.9.9.9", #{ count: 3, interval: 0.05 });
    /// print(`${s.sent} ${s.received} ${s.loss}`);   // 3 3 0.0
    /// print(s.max < 100.0);                         // true
    /// print(s.mdev >= 0.0);                         // true
    /// print(r1.ping_stats("10.9.9.8", #{ count: 2, timeout: 0.2 }).received);   // 0
    /// ```
    #[rhai_fn(global, name = "ping_stats", pure, volatile, return_raw)]
    pub fn ping_stats_with(
        ctx: NativeCallContext,
        ns: &mut Netns,
        address: &str,
        options: Map,
    ) -> RhaiResultOf<Map> {
        let stats = op(&ctx, |op| {
            op.ping_stats(&ns.ns, address, &echoes(&options)?)
        })?;
        Ok(summary(&stats))
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn ping_stats(ctx: NativeCallContext, ns: &mut Netns, address: &str) -> RhaiResultOf<Map> {
        ping_stats_with(ctx, ns, address, Map::new())
    }
}

/// `#{ timeout, ttl }` of the ping methods.
fn timing(action: &str, opts: &Map) -> Result<Timing> {
    check_options(action, opts, &["timeout", "ttl"])?;
    let mut timing = Timing {
        ttl: int_option(opts, "ttl", 1..=255)?.map(|n| n as u8),
        ..Timing::default()
    };
    if let Some(t) = opts.get("timeout") {
        let secs = seconds("option `timeout`", t)?;
        timing.deadline = secs;
        timing.per_try = timing.per_try.min(secs);
    }
    Ok(timing)
}

/// A list of addresses, as the strings they must be, each one checked in
/// turn.
fn texts(addresses: &Array) -> Result<Vec<String>> {
    addresses
        .iter()
        .map(|a| {
            let text = a.clone().into_string().map_err(|t| {
                Error::invalid(
                    "ping a list of addresses",
                    format!("the list holds a {t}, not an address string"),
                )
                .with_help("give addresses as strings: [\"10.0.0.2\", \"10.0.0.3\"]")
            })?;
            ping_target(&text)?;
            Ok(text)
        })
        .collect()
}

/// `#{ count, interval, timeout }` of `ping_stats`.
fn echoes(opts: &Map) -> Result<Echoes> {
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
    Ok(Echoes {
        count: count.unwrap_or(5),
        interval: interval.unwrap_or(Duration::from_millis(200)),
        timeout: timeout.unwrap_or(Duration::from_secs(1)),
    })
}

/// What came back, as `ping` sums it up: times in ms to the microsecond.
fn summary(s: &Stats) -> Map {
    let ms = |d: &Duration| (d.as_secs_f64() * 1e6).round() / 1e3;
    let round = |x: f64| Dynamic::from_float((x * 1000.0).round() / 1000.0);
    let received = s.rtts.len() as u32;
    let loss = if s.sent == 0 {
        100.0
    } else {
        f64::from(s.sent - received) * 100.0 / f64::from(s.sent)
    };
    let times: Vec<f64> = s.rtts.iter().map(ms).collect();
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
    let mut map = Map::new();
    map.insert("sent".into(), Dynamic::from(i64::from(s.sent)));
    map.insert("received".into(), Dynamic::from(i64::from(received)));
    map.insert("loss".into(), round(loss));
    map.insert("min".into(), min);
    map.insert("avg".into(), avg);
    map.insert("max".into(), max);
    map.insert("mdev".into(), mdev);
    map
}
