//! Scheduled calls for fault injection: `after(delay, f)` and
//! `every(period, f)` run while the script waits in `sleep` or
//! `wait_until`, on the script's own thread (Rhai is single-threaded), and
//! are dropped when the script ends.

use std::time::{Duration, Instant};

use rhai::{Dynamic, FnPtr, Module, NativeCallContext};

use super::convert::{OrRaise, Res, raise, seconds};
use super::session::Session;
use super::{func, method};
use crate::error::{Error, Kind, Result};

/// A scheduled call, as scripts hold it.
#[derive(Clone, Debug)]
pub struct TimerHandle(u64);

struct Timer {
    id: u64,
    due: Instant,
    every: Option<Duration>,
    f: FnPtr,
}

/// The calls a session has scheduled.
#[derive(Default)]
pub struct Timers {
    pending: Vec<Timer>,
    last_id: u64,
}

/// A delay as seconds (`0.5`) or as tc writes times (`"500ms"`, `"2s"`).
fn delay(what: &str, value: &Dynamic) -> Result<Duration> {
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

fn schedule(
    ctx: &NativeCallContext,
    after: Duration,
    every: Option<Duration>,
    f: FnPtr,
) -> TimerHandle {
    let session = Session::of(ctx);
    let mut timers = session.timers.borrow_mut();
    timers.last_id += 1;
    let id = timers.last_id;
    timers.pending.push(Timer {
        id,
        due: Instant::now() + after,
        every,
        f,
    });
    TimerHandle(id)
}

/// When the next scheduled call falls due, if any is pending.
pub fn next_due(ctx: &NativeCallContext) -> Option<Instant> {
    let session = Session::of(ctx);
    let timers = session.timers.borrow();
    timers.pending.iter().map(|t| t.due).min()
}

/// Run the calls that are due now, earliest first. A periodic one is
/// rescheduled before it runs, so it may cancel itself.
pub fn run_due(ctx: &NativeCallContext) -> Res<()> {
    let session = Session::of(ctx);
    loop {
        let now = Instant::now();
        let due = (|| {
            let timers = &mut session.timers.borrow_mut().pending;
            let i = timers
                .iter()
                .enumerate()
                .filter(|(_, t)| t.due <= now)
                .min_by_key(|(_, t)| t.due)
                .map(|(i, _)| i)?;
            let f = timers[i].f.clone();
            match timers[i].every {
                Some(period) => {
                    // Missed ticks are skipped, not bunched up.
                    while timers[i].due <= now {
                        timers[i].due += period;
                    }
                }
                None => {
                    timers.remove(i);
                }
            }
            Some(f)
        })();
        let Some(f) = due else { return Ok(()) };
        let _: Dynamic = f.call_within_context(ctx, ())?;
    }
}

/// Wait until `until`, running scheduled calls as they fall due.
pub fn wait(ctx: &NativeCallContext, until: Instant) -> Res<()> {
    loop {
        run_due(ctx)?;
        let now = Instant::now();
        if now >= until {
            return Ok(());
        }
        if crate::interrupt::requested() {
            return Err(raise(ctx, Error::new(Kind::Timeout, "wait", "interrupted")));
        }
        let wake = next_due(ctx).map_or(until, |d| d.min(until));
        let nap = wake
            .saturating_duration_since(now)
            .min(Duration::from_millis(100));
        std::thread::sleep(nap);
    }
}

pub fn register(m: &mut Module) {
    let after_doc = r#"
Call `f` once, `delay` from now (seconds, or a time like "500ms", "2s"),
while the script waits in `sleep` or `wait_until`; for fault injection
during a test. Returns a Timer that `cancel()` stops. Calls still pending
when the script ends are dropped.

`(sleep DELAY; CMD) &`

```rhai
let l = link::add_veth("a", "b");
l.up();
after("100ms", || l.down());
print(l.is_up);   // true
sleep(0.3);
print(l.is_up);   // false
```"#;
    method("after", &["delay: Dynamic", "f: FnPtr", "Timer"], after_doc).set_into_module(
        m,
        |ctx: NativeCallContext<'_>, d: Dynamic, f: FnPtr| -> Res<TimerHandle> {
            let d = delay("a delay", &d).or_raise(&ctx)?;
            Ok(schedule(&ctx, d, None, f))
        },
    );

    let every_doc = r#"
Call `f` every `period` (seconds, or a time like "500ms"), first one
period from now, while the script waits in `sleep` or `wait_until`; until
`cancel()` or the end of the script. A call that overruns skips the
ticks it missed.

`while sleep PERIOD; do CMD; done &`

```rhai
let n = [0];
let t = every("50ms", || n[0] += 1);
sleep(0.28);
t.cancel();
print(n[0] >= 4 && n[0] <= 6);   // true
```"#;
    method(
        "every",
        &["period: Dynamic", "f: FnPtr", "Timer"],
        every_doc,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, d: Dynamic, f: FnPtr| -> Res<TimerHandle> {
            let d = delay("a period", &d).or_raise(&ctx)?;
            Ok(schedule(&ctx, d, Some(d), f))
        },
    );

    method(
        "cancel",
        &["t: &mut Timer"],
        r#"
Stop a scheduled call (`after` or `every`); cancelling twice is harmless.

```rhai
let t = after(0.1, || print("never"));
t.cancel();
sleep(0.2);
print("done");   // done
```"#,
    )
    .set_into_module(m, |ctx: NativeCallContext<'_>, t: &mut TimerHandle| {
        let id = t.0;
        let session = Session::of(&ctx);
        session.timers.borrow_mut().pending.retain(|x| x.id != id);
    });

    let sleep_doc = r#"
Wait `delay` (seconds, or a time like "500ms"), running the calls
scheduled with `after` and `every` as they fall due. Ctrl-C interrupts it.
(It replaces Rhai's own `sleep`, which runs nothing while it waits.)

`sleep DELAY`

```rhai
let t = timestamp();
sleep("200ms");
print(t.elapsed >= 0.2);   // true
```"#;
    // One registration per type: Rhai's own sleep(FLOAT) and sleep(INT)
    // would otherwise win over a Dynamic parameter.
    fn sleep(ctx: NativeCallContext, d: Dynamic) -> Res<()> {
        let d = delay("the time to sleep", &d).or_raise(&ctx)?;
        wait(&ctx, Instant::now() + d)
    }
    func("sleep", &["seconds: float"], sleep_doc)
        .in_global_namespace()
        .set_into_module(m, |ctx: NativeCallContext<'_>, s: rhai::FLOAT| {
            sleep(ctx, s.into())
        });
    func("sleep", &["seconds: int"], sleep_doc)
        .in_global_namespace()
        .set_into_module(m, |ctx: NativeCallContext<'_>, s: rhai::INT| {
            sleep(ctx, s.into())
        });
    func("sleep", &["delay: &str"], sleep_doc)
        .in_global_namespace()
        .set_into_module(m, |ctx: NativeCallContext<'_>, s: &str| {
            sleep(ctx, s.to_string().into())
        });
}
