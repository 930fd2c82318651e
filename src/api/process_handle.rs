//! The `Process` handle of a program started with `ns.spawn`.

use std::time::{Duration, Instant};

use rhai::plugin::*;
use rhai::{Dynamic, INT, Map};

use super::Process;
use super::convert::{RhaiResultOf, raise, seconds};
use super::session::{Session, op};
use crate::error::Kind;

#[export_module]
pub mod process_methods {
    use super::*;

    /// The process id (as the machine's `ps` shows it).
    ///
    /// ```rhai
    /// let p = netns::add("r1").spawn("sleep 5");
    /// print(p.pid > 1);   // true
    /// ```
    #[rhai_fn(global, get = "pid", pure, volatile)]
    pub fn pid(p: &mut Process) -> INT {
        p.0.borrow().pid as INT
    }

    /// Whether it is still running.
    ///
    /// ```rhai
    /// let p = netns::add("r1").spawn("true");
    /// p.wait();
    /// print(p.alive);   // false
    /// ```
    #[rhai_fn(global, get = "alive", pure, volatile)]
    pub fn alive(p: &mut Process) -> bool {
        p.0.borrow_mut().alive()
    }

    /// Stop it (SIGTERM to its process group, SIGKILL after a second) and return
    /// its exit status (128 + signal number when a signal ended it).
    ///
    /// `kill PID`
    ///
    /// ```rhai
    /// let p = netns::add("r1").spawn("sleep 30");
    /// print(p.kill());   // 143
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn kill(ctx: NativeCallContext, p: &mut Process) -> RhaiResultOf<INT> {
        let status = p.0.borrow_mut().stop() as INT;
        let pid = p.0.borrow().pid;
        op(&ctx, |o| {
            o.ended(pid);
            Ok(status)
        })
    }

    /// Wait until it exits and return its exit status; with a number of seconds,
    /// fail with kind "timeout" if it is still running by then.
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// print(r1.spawn("sh -c 'exit 4'").wait());   // 4
    /// try { r1.spawn("sleep 5").wait(0.1); } catch (e) { print(e.kind); }   // timeout
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn wait(ctx: NativeCallContext, p: &mut Process) -> RhaiResultOf<INT> {
        wait_running_timers(&ctx, p, None)
    }

    #[rhai_fn(global, name = "wait", pure, volatile, return_raw)]
    pub fn wait_at_most(
        ctx: NativeCallContext,
        p: &mut Process,
        seconds: Seconds,
    ) -> RhaiResultOf<INT> {
        let limit = super::seconds("the time to wait", &seconds).map_err(|e| raise(&ctx, e))?;
        wait_running_timers(&ctx, p, Some(limit))
    }

    /// What it has written so far, and how it ended: `#{ stdout, stderr, status }`
    /// (`status` is `()` while it runs).
    ///
    /// ```rhai
    /// let p = netns::add("r1").spawn("echo hello");
    /// p.wait();
    /// print(p.output());   // #{"status": 0, "stderr": "", "stdout": "hello\n"}
    /// ```
    #[rhai_fn(global, pure, volatile)]
    pub fn output(p: &mut Process) -> Map {
        let mut s = p.0.borrow_mut();
        let status = s.status();
        let (out, err) = s.output();
        let mut map = Map::new();
        map.insert("stdout".into(), out.into());
        map.insert("stderr".into(), err.into());
        map.insert(
            "status".into(),
            status.map_or(Dynamic::UNIT, |c| Dynamic::from_int(c as INT)),
        );
        map
    }

    /// Text form: `Process(1234 in r1, running)`.
    #[rhai_fn(global, pure, volatile)]
    pub fn to_string(p: &mut Process) -> String {
        display(p)
    }

    /// Text form: `Process(1234 in r1, running)`.
    #[rhai_fn(global, pure, volatile)]
    pub fn to_debug(p: &mut Process) -> String {
        display(p)
    }
}

/// A number of seconds: an int or a float.
pub type Seconds = Dynamic;

fn display(p: &Process) -> String {
    let mut s = p.0.borrow_mut();
    let state = match s.status() {
        None => "running".to_string(),
        Some(c) => format!("exited {c}"),
    };
    format!("Process({} in {}, {state})", s.pid, s.netns)
}

/// Wait for the process (at most `limit`), running the calls scheduled
/// with `after`/`every` as they fall due, so faults can be injected while
/// spawned traffic runs.
fn wait_running_timers(
    ctx: &NativeCallContext,
    p: &Process,
    limit: Option<Duration>,
) -> RhaiResultOf<INT> {
    let deadline = limit.map(|l| Instant::now() + l);
    let session = Session::of(ctx);
    loop {
        session.timers.run_due(ctx)?;
        let now = Instant::now();
        let left = deadline.map(|d| d.saturating_duration_since(now));
        let next = session
            .timers
            .next_due()
            .map(|d| d.saturating_duration_since(now));
        let slice = match (left, next) {
            (Some(l), Some(n)) => Some(l.min(n)),
            (l, n) => l.or(n),
        };
        let waited = p.0.borrow_mut().wait(slice);
        match waited {
            Ok(status) => {
                let pid = p.0.borrow().pid;
                return op(ctx, |o| {
                    o.ended(pid);
                    Ok(status as INT)
                });
            }
            Err(e)
                if e.kind == Kind::Timeout
                    && !crate::interrupt::requested()
                    && deadline.is_none_or(|d| Instant::now() < d) => {}
            Err(e) => return Err(raise(ctx, e)),
        }
    }
}
