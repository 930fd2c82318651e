//! Scheduled calls for fault injection: `after(delay, f)` and
//! `every(period, f)` run while the script waits in `sleep` or
//! `wait_until`, on the script's own thread (Rhai is single-threaded), and
//! are dropped when the script ends.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use rhai::{Dynamic, FnPtr, NativeCallContext};

use super::convert::{RhaiResultOf, raise};
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
pub struct Timers(RefCell<Scheduled>);

#[derive(Default)]
struct Scheduled {
    pending: Vec<Pending>,
    last_id: u64,
}

impl Timers {
    pub fn schedule(&self, after: Duration, every: Option<Duration>, f: FnPtr) -> Timer {
        let mut s = self.0.borrow_mut();
        s.last_id += 1;
        let id = s.last_id;
        s.pending.push(Pending {
            id,
            due: Instant::now() + after,
            every,
            f,
        });
        Timer(id)
    }

    /// When the next scheduled call falls due, if any is pending.
    pub fn next_due(&self) -> Option<Instant> {
        self.0.borrow().pending.iter().map(|t| t.due).min()
    }

    /// Run the calls that are due now, earliest first. A periodic one is
    /// rescheduled before it runs, so it may cancel itself.
    pub fn run_due(&self, ctx: &NativeCallContext) -> RhaiResultOf<()> {
        while let Some(f) = self.take_due(Instant::now()) {
            let _: Dynamic = f.call_within_context(ctx, ())?;
        }
        Ok(())
    }

    /// The earliest call due at `now`, rescheduled or removed.
    fn take_due(&self, now: Instant) -> Option<FnPtr> {
        let timers = &mut self.0.borrow_mut().pending;
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
    }

    /// Wait until `until`, running scheduled calls as they fall due.
    pub fn wait(&self, ctx: &NativeCallContext, until: Instant) -> RhaiResultOf<()> {
        loop {
            self.run_due(ctx)?;
            let now = Instant::now();
            if now >= until {
                return Ok(());
            }
            if crate::interrupt::requested() {
                return Err(raise(ctx, Error::new(Kind::Timeout, "wait", "interrupted")));
            }
            let wake = self.next_due().map_or(until, |d| d.min(until));
            let nap = wake
                .saturating_duration_since(now)
                .min(Duration::from_millis(100));
            std::thread::sleep(nap);
        }
    }

    /// Stop a scheduled call; cancelling twice is harmless.
    pub fn cancel(&self, t: &Timer) {
        self.0.borrow_mut().pending.retain(|x| x.id != t.0);
    }
}
