//! Script control, found without a module prefix: `exit`, timers
//! (`after`, `every`, `sleep`), `wait_until`, `pingall` and `show`.

use std::time::{Duration, Instant};

use rhai::plugin::*;
use rhai::{Dynamic, EvalAltResult, FLOAT, FnPtr, INT, Map};

use crate::api::convert::{RhaiResultOf, raise, seconds};
use crate::api::session::Session;
use crate::api::timers::Timer;
use crate::error::{Error, Kind, Result};

/// A time: seconds (`0.5`) or as tc writes times (`"500ms"`, `"2s"`).
pub type Delay = Dynamic;

#[export_module]
pub mod script_control {
    use super::*;

    /// Stop the script now with exit status `code` (0 to 255; 0 when
    /// omitted); the rest of the script does not run.
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// if !r1.ping("127.0.0.1") { exit(1); }
    /// print("reachable");   // reachable
    /// exit(0);
    /// print("not printed");
    /// ```
    #[rhai_fn(global, name = "exit", volatile, return_raw)]
    pub fn exit_with(ctx: NativeCallContext, code: INT) -> RhaiResultOf<()> {
        // A shell would take 256 as 0: a status out of range is a mistake,
        // not a success.
        let Ok(code @ 0..=255) = u8::try_from(code).map(i32::from) else {
            let e = Error::invalid(
                format!("exit with status {code}"),
                "an exit status is from 0 to 255",
            )
            .at_arg(0);
            return Err(raise(&ctx, e));
        };
        stop(&ctx, code)
    }

    // Any other value (1.5, "x") is a mistake, not a success: Rhai's own
    // `exit` would take it and end with status 0.
    #[rhai_fn(global, name = "exit", volatile, return_raw)]
    pub fn exit_other(ctx: NativeCallContext, code: Dynamic) -> RhaiResultOf<()> {
        let e = Error::invalid(
            format!("exit with status {code:?}"),
            format!(
                "an exit status is an integer from 0 to 255, not a {}",
                code.type_name()
            ),
        )
        .at_arg(0);
        Err(raise(&ctx, e))
    }

    #[rhai_fn(global, volatile, return_raw)]
    pub fn exit(ctx: NativeCallContext) -> RhaiResultOf<()> {
        stop(&ctx, 0)
    }

    /// Call `f` once, `delay` from now (seconds, or a time like "500ms", "2s"),
    /// while the script waits in `sleep` or `wait_until`; for fault injection
    /// during a test. Returns a Timer that `cancel()` stops. Calls still pending
    /// when the script ends are dropped.
    ///
    /// `(sleep DELAY; CMD) &`
    ///
    /// ```rhai
    /// let l = link::add_veth("a", "b");
    /// l.up();
    /// after("100ms", || l.down());
    /// print(l.is_up);   // true
    /// sleep(0.3);
    /// print(l.is_up);   // false
    /// ```
    #[rhai_fn(global, volatile, return_raw)]
    pub fn after(ctx: NativeCallContext, delay: Delay, f: FnPtr) -> RhaiResultOf<Timer> {
        let d = delay_of("a delay", &delay).map_err(|e| raise(&ctx, e))?;
        Ok(Session::of(&ctx).timers.schedule(d, None, f))
    }

    /// Call `f` every `period` (seconds, or a time like "500ms"; at least 1 ms),
    /// first one period from now, while the script waits in `sleep` or
    /// `wait_until`; until `cancel()` or the end of the script. A call that
    /// overruns skips the ticks it missed.
    ///
    /// `while sleep PERIOD; do CMD; done &`
    ///
    /// ```rhai
    /// let n = [0];
    /// let t = every("50ms", || n[0] += 1);
    /// sleep(0.28);
    /// t.cancel();
    /// print(n[0] >= 4 && n[0] <= 6);   // true
    /// ```
    #[rhai_fn(global, volatile, return_raw)]
    pub fn every(ctx: NativeCallContext, period: Delay, f: FnPtr) -> RhaiResultOf<Timer> {
        let d = delay_of("a period", &period).map_err(|e| raise(&ctx, e))?;
        if d < MIN_PERIOD {
            let e = Error::invalid(
                format!("call a function every {} µs", d.as_micros()),
                "a period is at least 1 ms",
            )
            .with_help("give a period like \"10ms\" or 0.5")
            .at_arg(0);
            return Err(raise(&ctx, e));
        }
        Ok(Session::of(&ctx).timers.schedule(d, Some(d), f))
    }

    /// Stop a scheduled call (`after` or `every`); cancelling twice is harmless.
    ///
    /// ```rhai
    /// let t = after(0.1, || print("never"));
    /// t.cancel();
    /// sleep(0.2);
    /// print("done");   // done
    /// ```
    #[rhai_fn(global, pure, volatile)]
    pub fn cancel(ctx: NativeCallContext, t: &mut Timer) {
        Session::of(&ctx).timers.cancel(t);
    }

    /// Wait `delay` (seconds, or a time like "500ms"), running the calls
    /// scheduled with `after` and `every` as they fall due. Ctrl-C interrupts it.
    /// (It replaces Rhai's own `sleep`, which runs nothing while it waits.)
    ///
    /// `sleep DELAY`
    ///
    /// ```rhai
    /// let t = timestamp();
    /// sleep("200ms");
    /// print(t.elapsed >= 0.2);   // true
    /// ```
    #[rhai_fn(global, volatile, return_raw)]
    pub fn sleep(ctx: NativeCallContext, seconds: FLOAT) -> RhaiResultOf<()> {
        sleep_for(&ctx, seconds.into())
    }

    // One function per type: Rhai's own sleep(FLOAT) and sleep(INT) would
    // otherwise win over a Dynamic parameter.
    #[rhai_fn(global, name = "sleep", volatile, return_raw)]
    pub fn sleep_int(ctx: NativeCallContext, seconds: INT) -> RhaiResultOf<()> {
        sleep_for(&ctx, seconds.into())
    }

    #[rhai_fn(global, name = "sleep", volatile, return_raw)]
    pub fn sleep_text(ctx: NativeCallContext, delay: &str) -> RhaiResultOf<()> {
        sleep_for(&ctx, delay.to_string().into())
    }

    /// Call `check` until it returns true or `seconds` have passed; whether it
    /// did. For "wait until reachable" in recipes, instead of sleeping. Calls
    /// scheduled with `after` and `every` run while it waits.
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let p = r1.spawn(["busybox", "nc", "-l", "-p", "8080"]);
    /// print(wait_until(|| r1.listening().len() > 0, 5));   // true
    /// print(wait_until(|| false, 0.1));                     // false
    /// ```
    #[rhai_fn(global, volatile, return_raw)]
    pub fn wait_until(
        ctx: NativeCallContext,
        check: FnPtr,
        seconds: Seconds,
    ) -> RhaiResultOf<bool> {
        let limit = super::seconds("the time to wait", &seconds).map_err(|e| raise(&ctx, e))?;
        let start = Instant::now();
        loop {
            let ok: Dynamic = check.call_within_context(&ctx, ())?;
            if ok.as_bool().unwrap_or(false) {
                return Ok(true);
            }
            if start.elapsed() >= limit {
                return Ok(false);
            }
            if crate::interrupt::requested() {
                return Err(raise(
                    &ctx,
                    Error::new(Kind::Timeout, "wait", "interrupted"),
                ));
            }
            // Scheduled calls run while waiting.
            let nap = Instant::now() + Duration::from_millis(20);
            Session::of(&ctx).timers.wait(&ctx, nap)?;
        }
    }

    /// Every namespace with an address pings every address of every other
    /// namespace (natively, many at once, flushing the neighbour entries it made
    /// as it goes so big labs do not overflow the machine's table). Returns
    /// `#{ sent, dropped, pairs: [#{ from, to, address, ok }] }`. Options:
    /// `pairs: "spanning"` (each namespace pings only the next: a cheap check of
    /// a big lab), `timeout` (seconds per ping, default 1), `neighbours:
    /// "static"` (no ARP or neighbour discovery: each source and its targets
    /// get permanent entries for each other while it pings, removed after;
    /// only in namespaces this run made, never the host's or a container's;
    /// for big labs, never for a lab that tests ARP itself; `--trace` shows
    /// each entry added and deleted), `neighbours: "learned"` (the default).
    ///
    /// `netscript pingall [--spanning] [--static-neighbours]`
    ///
    /// ```rhai
    /// let a = netns::add("a");
    /// let b = netns::add("b");
    /// let e = link::add_veth("eth0", "eth0", #{ netns: a, peer_netns: b });
    /// e.addr_add("10.0.0.1/24");
    /// e.peer.addr_add("10.0.0.2/24");
    /// e.up();
    /// e.peer.up();
    /// let r = pingall();
    /// print(`${r.dropped}/${r.sent}`);   // 0/2
    /// print(pingall(#{ neighbours: "static" }).dropped);   // 0
    /// print(a.neighs().len());   // 0
    /// ```
    #[rhai_fn(global, name = "pingall", volatile, return_raw)]
    pub fn pingall_with(ctx: NativeCallContext, options: Map) -> RhaiResultOf<Map> {
        super::super::lab::run_pingall(&ctx, options)
    }

    #[rhai_fn(global, volatile, return_raw)]
    pub fn pingall(ctx: NativeCallContext) -> RhaiResultOf<Map> {
        super::super::lab::run_pingall(&ctx, Map::new())
    }

    /// Print the live topology as `netscript show` draws it: each namespace
    /// with its links (bridge ports under their bridge), veth peers,
    /// addresses and routes. `lab::snapshot()` gives the same as data.
    ///
    /// `netscript show`
    ///
    /// ```rhai
    /// let a = netns::add("a");
    /// show();
    /// // host
    /// //   lo      loopback  UNKNOWN ...
    /// // a
    /// //   lo      loopback  UNKNOWN ...
    /// ```
    #[rhai_fn(global, volatile, return_raw)]
    pub fn show(ctx: NativeCallContext) -> RhaiResultOf<()> {
        let snap = crate::api::session::read(&ctx, |net| Ok(crate::show::snapshot(net, None)))?;
        crate::api::print_line(snap.to_tree().trim_end());
        Ok(())
    }
}

/// A number of seconds: an int or a float.
pub type Seconds = Dynamic;

/// The shortest period of `every`: shorter ones would only spin.
const MIN_PERIOD: Duration = Duration::from_millis(1);

fn sleep_for(ctx: &NativeCallContext, d: Dynamic) -> RhaiResultOf<()> {
    let d = delay_of("the time to sleep", &d).map_err(|e| raise(ctx, e))?;
    Session::of(ctx).timers.wait(ctx, Instant::now() + d)
}

/// A delay as seconds (`0.5`) or as tc writes times (`"500ms"`, `"2s"`).
fn delay_of(what: &str, value: &Dynamic) -> Result<Duration> {
    if let Ok(text) = value.clone().into_immutable_string() {
        let us = crate::units::time_us(&text)?;
        if us == 0 {
            return Err(
                Error::invalid(format!("use {text:?} as {what}"), "it must be above 0")
                    .about(text.as_str()),
            );
        }
        return Ok(Duration::from_micros(us));
    }
    seconds(what, value)
}

/// `exit`: Rhai's own stops the script but its value does not reach the
/// runner, so the status is kept in the session first.
fn stop(ctx: &NativeCallContext, status: i32) -> RhaiResultOf<()> {
    Session::of(ctx).set_exit_status(status);
    Err(EvalAltResult::Exit(Dynamic::from_int(status as INT), ctx.call_position()).into())
}
