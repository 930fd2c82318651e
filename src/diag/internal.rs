//! Internal errors: a panic inside netscript is a bug in netscript, not in
//! the script. It is caught where a script (or a REPL input) runs, so the
//! lab is still rolled back, and reported as one clear message asking for
//! a bug report instead of a Rust backtrace.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use super::report::Report;

/// What the last panic said and where, kept by the hook for the report.
static LAST: Mutex<Option<String>> = Mutex::new(None);
thread_local! {
    /// Whether this thread is inside `catch`: elsewhere (other threads,
    /// or outside a script), a panic is printed as usual.
    static CATCHING: Cell<bool> = const { Cell::new(false) };
}

/// Run `f`; if it panics, the report of the internal error instead.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, Box<Report>> {
    install_hook();
    if let Ok(mut last) = LAST.lock() {
        *last = None;
    }
    let outer = CATCHING.with(|c| c.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(outer));
    result.map_err(|_| {
        let what = LAST
            .lock()
            .ok()
            .and_then(|mut l| l.take())
            .unwrap_or_else(|| "a panic".into());
        Box::new(Report {
            message: format!("internal error: {what}"),
            code: "netscript::internal".into(),
            help: Some(
                "this is a bug in netscript, not in your script: please report it with the \
                 script and this message"
                    .into(),
            ),
            source: None,
            labels: Vec::new(),
            related: Vec::new(),
            advice: false,
        })
    })
}

/// Keep the panic's message and location instead of printing them: the
/// caller of `catch` reports it once the lab is rolled back.
fn install_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let at = info
                .location()
                .map(|l| format!(" (at {}:{})", l.file(), l.line()))
                .unwrap_or_default();
            if !CATCHING.with(Cell::get) {
                crate::say!("netscript: internal error: {message}{at}");
            } else if let Ok(mut last) = LAST.lock() {
                *last = Some(format!("{message}{at}"));
            }
        }));
    });
}
