//! Scheduled calls for fault injection: `after(delay, f)` and
//! `every(period, f)` run while the script waits in `sleep` or
//! `wait_until`, on the script's own thread (Rhai is single-threaded), and
//! are dropped when the script ends.

use std::time::{Duration, Instant};

use rhai::{Dynamic, FnPtr, NativeCallContext};

use super::convert::{Res, raise};
use super::session::Session;
use crate::error::{Error, Kind};

/// A scheduled call, as scripts hold it.
#[derive(Clone, Debug)]
pub struct Timer(u64);

struct Pending {
    id: u64,
    due: Instant,
    every: Option<Duration>,
    f: FnPtr,
}

/// The calls a session has scheduled.
#[derive(Default)]
pub struct Timers {
    pending: Vec<Pending>,
    last_id: u64,
}

pub fn schedule(
    ctx: &NativeCallContext,
    after: Duration,
    every: Option<Duration>,
    f: FnPtr,
) -> Timer {
    let session = Session::of(ctx);
    let mut timers = session.timers.borrow_mut();
    timers.last_id += 1;
    let id = timers.last_id;
    timers.pending.push(Pending {
        id,
        due: Instant::now() + after,
        every,
        f,
    });
    Timer(id)
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

/// Stop a scheduled call; cancelling twice is harmless.
pub fn cancel(ctx: &NativeCallContext, t: &Timer) {
    let session = Session::of(ctx);
    session.timers.borrow_mut().pending.retain(|x| x.id != t.0);
}
