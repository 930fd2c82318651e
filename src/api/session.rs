//! The state one run (or one REPL) shares with every script function: the
//! netlink backend, the lab its changes are recorded in, the calls
//! scheduled with `after`/`every`, and the status `exit` asked for. It
//! travels with the engine as its default tag, so every function reaches
//! it through its call context: nothing captures it, no thread-local
//! holds it.

use std::cell::Cell;
use std::rc::Rc;

use rhai::NativeCallContext;

use super::convert::{OrRaise, RhaiResultOf};
use super::timers::Timers;
use crate::error::{Error, Kind, Result};
use crate::lab::Lab;
use crate::lab::ops::{At, Op};
use crate::netlink::Netlink;

pub struct Session {
    /// None for an engine whose functions are listed, never called
    /// (`netscript docs`, `--definitions`): it opens nothing.
    net: Option<Rc<Netlink>>,
    pub lab: Rc<Lab>,
    pub(super) timers: Timers,
    exit: Cell<Option<i32>>,
    /// This machine, and the others of a lab that spans machines.
    pub machines: crate::machines::Machines,
}

impl Session {
    pub fn new(net: Rc<Netlink>, lab: Rc<Lab>) -> Rc<Session> {
        Session::on(net, lab, crate::machines::Machines::here())
    }

    /// A session of a run on one of several machines (`--machines`).
    pub fn on(net: Rc<Netlink>, lab: Rc<Lab>, machines: crate::machines::Machines) -> Rc<Session> {
        Rc::new(Session {
            net: Some(net),
            lab,
            timers: Timers::default(),
            exit: Cell::new(None),
            machines,
        })
    }

    /// A session for an engine that only lists its functions.
    pub fn listing() -> Rc<Session> {
        Rc::new(Session {
            net: None,
            lab: Rc::new(Lab::unrecorded(false)),
            timers: Timers::default(),
            exit: Cell::new(None),
            machines: crate::machines::Machines::default(),
        })
    }

    /// The session of the engine making this call.
    pub fn of(ctx: &NativeCallContext) -> Rc<Session> {
        ctx.tag()
            .and_then(|tag| tag.read_lock::<Rc<Session>>().map(|s| s.clone()))
            .expect("every engine carries its session as its tag")
    }

    /// The backend; an error in an engine that only lists functions.
    pub fn net(&self) -> Result<&Rc<Netlink>> {
        self.net.as_ref().ok_or_else(|| {
            Error::new(
                Kind::Os,
                "call a netscript function",
                "this engine only lists the functions (it has no netlink backend)",
            )
        })
    }

    /// The status given to `exit` by the script that just ran, if any.
    pub fn take_exit_status(&self) -> Option<i32> {
        self.exit.take()
    }

    pub(super) fn set_exit_status(&self, status: i32) {
        self.exit.set(Some(status));
    }
}

/// Where in the script the current call is.
pub(super) fn at<'a>(ctx: &'a NativeCallContext) -> At<'a> {
    At {
        source: ctx.call_source(),
        line: ctx.call_position().line(),
    }
}

/// Run one operation for the current call; its error is raised at the
/// call's position.
pub(super) fn op<T>(ctx: &NativeCallContext, f: impl FnOnce(&Op) -> Result<T>) -> RhaiResultOf<T> {
    let session = Session::of(ctx);
    let op = Op {
        net: session.net().or_raise(ctx)?,
        lab: &session.lab,
        at: at(ctx),
    };
    f(&op).or_raise(ctx)
}

/// A read of kernel state for the current call.
pub(super) fn read<T>(
    ctx: &NativeCallContext,
    f: impl FnOnce(&Netlink) -> Result<T>,
) -> RhaiResultOf<T> {
    let session = Session::of(ctx);
    f(session.net().or_raise(ctx)?).or_raise(ctx)
}
