//! Running a program inside a namespace, like `ip netns exec NS CMD`.

use std::fs::File;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};

use nix::sched::{CloneFlags, setns};

use crate::error::{Error, Kind, Result};

/// What a finished command left: exit status (128 + signal when killed),
/// and its output as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `argv` to completion with its network namespace set to `ns`,
/// capturing stdout and stderr.
pub fn exec(ns: &File, ns_name: &str, argv: &[String]) -> Result<Output> {
    let Some((program, args)) = argv.split_first() else {
        return Err(
            Error::invalid("run a command", "the command is empty").with_help(
                "give a program and its arguments, e.g. \"ip addr\" or [\"ip\", \"addr\"]",
            ),
        );
    };
    let fd = ns.as_raw_fd();
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setns(2) is async-signal-safe; `fd` stays open until spawn returns.
    unsafe {
        cmd.pre_exec(move || {
            setns(BorrowedFd::borrow_raw(fd), CloneFlags::CLONE_NEWNET)
                .map_err(std::io::Error::from)
        });
    }
    let out = cmd.output().map_err(|e| {
        let action = format!("run \"{program}\"");
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::new(
                Kind::NotFound,
                action,
                format!("no such program '{program}'"),
            )
            .with_help("is it installed and on PATH? or give its full path")
            .in_netns(ns_name)
        } else if e.kind() == std::io::ErrorKind::PermissionDenied {
            Error::from_io(action, &e)
                .with_help(format!("is '{program}' an executable file? (chmod +x, or run it through its interpreter)"))
                .in_netns(ns_name)
        } else if e.kind() == std::io::ErrorKind::InvalidInput {
            Error::invalid(action, "a word of the command contains a NUL byte").in_netns(ns_name)
        } else {
            Error::from_io(action, &e).in_netns(ns_name)
        }
    })?;
    let status = out
        .status
        .code()
        .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0));
    Ok(Output {
        status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Split a command line into words like a shell would (quotes, escapes),
/// without running a shell.
pub fn split(line: &str) -> Result<Vec<String>> {
    shlex::split(line).ok_or_else(|| {
        Error::invalid(
            format!("split the command {line:?}"),
            "it has an unclosed quote or a trailing backslash",
        )
        .with_help("close the quote, or pass the words as an array")
    })
}
