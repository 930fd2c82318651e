//! Tracing and recording for the script functions not yet moved onto the
//! operations layer (`crate::lab::ops`): they reach the lab through the
//! call's session.

use rhai::NativeCallContext;

pub use crate::lab::ops::exec_prefix;

use super::session::{Session, at};
use crate::lab::{Lab, Object};

/// The lab this call's session records into.
pub fn lab(ctx: &NativeCallContext) -> std::rc::Rc<Lab> {
    Session::of(ctx).lab.clone()
}

/// Trace an operation that changes nothing (shown as a comment).
pub fn look(ctx: &NativeCallContext, command: impl FnOnce() -> String) {
    let lab = lab(ctx);
    if lab.tracing() {
        lab.trace(&at(ctx).to_string(), &command(), false);
    }
}

pub fn created(ctx: &NativeCallContext, object: Object) {
    lab(ctx).created(object);
}
