//! `l.capture()`: packets on a link, as data a script can assert on.

use std::sync::{Arc, Mutex};

use rhai::plugin::*;
use rhai::{Array, Dynamic, Map};

use crate::api::Link;
use crate::api::convert::{RhaiResultOf, check_options, int_option, option, seconds};
use crate::api::link::on;
use crate::capture::{Limits, Running};

/// A capture running on a link (`l.capture()`), shared by the copies of
/// the handle a script makes.
#[derive(Clone)]
pub struct Capture(Arc<Mutex<Running>>);

#[export_module]
pub mod link_capture {
    use super::*;

    /// Capture the packets this link sends and receives, from now until
    /// `cap.stop()` (or `cap.wait()`, when `count` or `seconds` is given).
    /// The socket is opened inside the link's namespace; the filter is
    /// tcpdump's (`man 7 pcap-filter`), compiled by libpcap and run in the
    /// kernel. Options: `count` (stop after this many packets), `seconds`,
    /// `filter`.
    ///
    /// `ip netns exec NS tcpdump -i LINK [-c COUNT] FILTER`
    ///
    /// ```rhai
    /// let a = netns::add("a");
    /// let b = netns::add("b");
    /// let e = link::add_veth("eth0", "eth0", #{ netns: a, peer_netns: b });
    /// e.addr_add("10.0.0.1/24");
    /// e.peer.addr_add("10.0.0.2/24");
    /// e.up();
    /// e.peer.up();
    /// let cap = e.capture(#{ filter: "icmp", count: 2 });
    /// a.ping("10.0.0.2");
    /// let seen = cap.wait();
    /// print(seen.map(|p| p.summary));   // ["10.0.0.1 > 10.0.0.2: ICMP echo request, id ...
    /// print(seen[1].direction);   // in
    /// ```
    #[rhai_fn(global, name = "capture", pure, volatile, return_raw)]
    pub fn capture_with(
        ctx: NativeCallContext,
        l: &mut Link,
        options: Map,
    ) -> RhaiResultOf<Capture> {
        on(&ctx, l, |op, ns, index| {
            let name = op.link_name(ns, index);
            check_options("capture", &options, &["count", "seconds", "filter"])?;
            let limits = Limits {
                count: int_option(&options, "count", 1..=10_000_000)?.map(|n| n as usize),
                seconds: option(&options, "seconds", |v| seconds("seconds", v))?,
            };
            let filter = match options.get("filter") {
                Some(f) => {
                    crate::sys::bpf::compile(&f.to_string()).map_err(|e| e.at_option("filter"))?
                }
                None => Vec::new(),
            };
            let source = crate::capture::open(ns, index, format!("{}/{name}", ns.name()), &filter)?;
            Ok(Capture(Arc::new(Mutex::new(Running::start(
                vec![source],
                limits,
            )))))
        })
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn capture(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<Capture> {
        capture_with(ctx, l, Map::new())
    }

    /// Stop the capture now; the packets it saw, in order, each
    /// `#{ time, link, direction, length, protocol, src, dst, summary }`
    /// (`time` in seconds since the capture started, `direction` "in" or
    /// "out", `src`/`dst` IP addresses, or MACs below IP).
    ///
    /// ```rhai
    /// let a = netns::add("a");
    /// let cap = a.link("lo").capture();
    /// print(cap.stop());   // []
    /// ```
    #[rhai_fn(global, pure, volatile)]
    pub fn stop(c: &mut Capture) -> Array {
        let mut running = c.0.lock().unwrap_or_else(|e| e.into_inner());
        packets(&running.stop(), &running)
    }

    /// Wait until the capture has its `count` packets or its `seconds`
    /// are over (or Ctrl-C), then stop it; its packets, as `cap.stop()`.
    /// Calls scheduled with `after`/`every` run meanwhile.
    ///
    /// ```rhai
    /// let a = netns::add("a");
    /// let cap = a.link("lo").capture(#{ seconds: 0.2 });
    /// print(cap.wait().len());   // 0
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn wait(ctx: NativeCallContext, c: &mut Capture) -> RhaiResultOf<Array> {
        loop {
            let done = c.0.lock().unwrap_or_else(|e| e.into_inner()).done();
            if done || crate::interrupt::requested() {
                return Ok(stop(c));
            }
            crate::api::session::Session::of(&ctx).timers.wait(
                &ctx,
                std::time::Instant::now() + std::time::Duration::from_millis(10),
            )?;
        }
    }

    #[rhai_fn(global, name = "to_string", pure)]
    pub fn to_string(c: &mut Capture) -> String {
        let running = c.0.lock().unwrap_or_else(|e| e.into_inner());
        format!("Capture({})", running.names.join(", "))
    }

    #[rhai_fn(global, name = "to_debug", pure)]
    pub fn to_debug(c: &mut Capture) -> String {
        to_string(c)
    }
}

/// The packets as script maps.
fn packets(seen: &[(usize, crate::sys::capture::Frame)], running: &Running) -> Array {
    seen.iter()
        .map(|(link, f)| {
            let s = crate::capture::decode::decode(&f.data);
            let mut m = Map::new();
            let since = f.time.saturating_sub(running.started).as_secs_f64();
            m.insert("time".into(), Dynamic::from_float(since));
            m.insert(
                "link".into(),
                running.names.get(*link).cloned().unwrap_or_default().into(),
            );
            m.insert(
                "direction".into(),
                if f.outgoing { "out" } else { "in" }.into(),
            );
            m.insert("length".into(), (f.length as i64).into());
            m.insert("protocol".into(), s.protocol.into());
            m.insert("src".into(), s.src.into());
            m.insert("dst".into(), s.dst.into());
            m.insert("summary".into(), s.text.into());
            Dynamic::from_map(m)
        })
        .collect()
}
