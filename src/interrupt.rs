//! Ctrl-C while the REPL runs a command: a flag set by the SIGINT handler,
//! polled by the script engine and by calls that wait (ping), so a long
//! call returns to the prompt instead of killing the session.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Catch SIGINT from now on instead of dying of it.
pub fn install() {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
    let action = SigAction::new(
        SigHandler::Handler(on_sigint),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    let _ = unsafe { sigaction(Signal::SIGINT, &action) };
}

/// Whether Ctrl-C was pressed since the last `clear`.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
}
