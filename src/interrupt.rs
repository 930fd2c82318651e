//! Ctrl-C (or SIGTERM) while a script or a REPL command runs: a flag set by
//! the signal handler, polled by the script engine and by calls that wait
//! (ping, exec, process waits), so the run stops cleanly: a script rolls
//! its lab back, the REPL returns to its prompt.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Catch SIGINT and SIGTERM from now on instead of dying of them: the
/// running script stops at its next step (and rolls its lab back).
pub fn install() {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
    let action = SigAction::new(
        SigHandler::Handler(on_sigint),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        let _ = unsafe { sigaction(signal, &action) };
    }
}

/// Whether Ctrl-C was pressed since the last `clear`.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
}
