//! How netscript ends: one exit status for every command, and the one
//! place a failure outside a script is printed.

use std::fmt;

/// The exit status of a netscript command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: it worked.
    Ok,
    /// 1: the script, or what the command did, failed.
    Failed,
    /// 2: a usage or compile error; nothing ran.
    Usage,
    /// 70 (EX_SOFTWARE): a bug in netscript; the lab was rolled back.
    Internal,
    /// 130: stopped by SIGINT (or another signal); the lab was rolled back.
    Interrupted,
    /// 141: its stdout was closed (like a program killed by SIGPIPE); the
    /// lab was rolled back.
    StdoutClosed,
    /// What a script asked for with `exit(code)`.
    Status(u8),
}

impl Exit {
    pub fn code(self) -> i32 {
        match self {
            Exit::Ok => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Internal => 70,
            Exit::Interrupted => 130,
            Exit::StdoutClosed => 141,
            Exit::Status(code) => i32::from(code),
        }
    }

    /// The status a script gave to `exit` (taken modulo 256, like a shell).
    pub fn script(code: i32) -> Exit {
        Exit::Status((code & 0xff) as u8)
    }
}

/// Print why a command could not do its work ("netscript: ..." and the
/// error's help), and fail.
pub fn fail(e: impl fmt::Display) -> Exit {
    crate::say!("netscript: {e}");
    Exit::Failed
}

/// The same for an error that carries help.
pub fn fail_with(e: &crate::error::Error) -> Exit {
    crate::say!("netscript: {e}");
    if let Some(h) = &e.help {
        crate::say!("  help: {h}");
    }
    Exit::Failed
}
