//! Ctrl-C (or SIGTERM, SIGHUP, ...) while a script or a REPL command runs: a flag set by
//! the signal handler, polled by the script engine and by calls that wait
//! (ping, exec, process waits), so the run stops cleanly: a script rolls
//! its lab back, the REPL returns to its prompt.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Catch SIGINT, SIGTERM, SIGHUP (a closed terminal), SIGQUIT, SIGUSR1,
/// SIGUSR2 and SIGALRM from now on instead of dying of them: the running
/// script stops at its next step (and rolls its lab back). SIGPIPE is
/// ignored: a closed stdout is seen by `print` (see `stdout_closed`).
pub fn install() {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
    let action = SigAction::new(
        SigHandler::Handler(on_sigint),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    let signals = [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGALRM,
    ];
    for signal in signals {
        let _ = unsafe { sigaction(signal, &action) };
    }
    let ignore = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
    // SAFETY: setting a disposition; programs started later get the
    // default back (the standard library resets SIGPIPE for them).
    let _ = unsafe { sigaction(Signal::SIGPIPE, &ignore) };
}

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Nobody reads the script's output any more (`netscript lab.rhai | head
/// -1`): the script stops like on Ctrl-C, its lab rolls back, and the run
/// ends with 141, as a program killed by SIGPIPE would.
pub fn stdout_closed() {
    STDOUT_CLOSED.store(true, Ordering::SeqCst);
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Whether the script's stdout was closed under it.
pub fn stdout_is_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::SeqCst)
}

/// Whether Ctrl-C was pressed since the last `clear`.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
}
