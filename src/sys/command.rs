//! A command that starts inside a network namespace with the environment
//! `ip netns exec` gives it: the namespace, a private mount namespace with
//! /sys showing that namespace's links, and /etc/netns/NAME/* bind-mounted
//! over /etc/*.

use std::ffi::CString;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use crate::error::{Error, Kind, Result};

/// Where a command runs: an open namespace, and its name (None for the
/// namespace netscript started in, where nothing is remounted).
pub struct Target {
    pub file: File,
    pub name: Option<String>,
}

impl Target {
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or("host")
    }
}

/// Per-call settings: extra environment, working directory, text for
/// stdin, and a time limit.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub env: Vec<(String, String)>,
    pub cwd: Option<String>,
    pub stdin: Option<String>,
    pub timeout: Option<Duration>,
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

/// A command as a shell would need it typed: `sh -c 'echo hi'`.
pub fn display(argv: &[String]) -> String {
    shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "))
}

/// Paths prepared before fork: the child may not allocate.
struct Mounts {
    sysfs_name: CString,
    sys_flags: libc::c_ulong,
    binds: Vec<(CString, CString)>,
}

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap_or_default()
}

fn prepare_mounts(name: &str) -> Mounts {
    let mut binds = Vec::new();
    if let Ok(entries) = std::fs::read_dir(format!("/etc/netns/{name}")) {
        for e in entries.flatten() {
            let file = e.file_name();
            let Some(file) = file.to_str() else { continue };
            if file == "." || file == ".." {
                continue;
            }
            binds.push((
                cstr(&format!("/etc/netns/{name}/{file}")),
                cstr(&format!("/etc/{file}")),
            ));
        }
    }
    let read_only = nix::sys::statvfs::statvfs("/sys")
        .map(|s| s.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY))
        .unwrap_or(false);
    Mounts {
        sysfs_name: cstr(name),
        sys_flags: if read_only { libc::MS_RDONLY } else { 0 },
        binds,
    }
}

/// A `Command` for `argv` that enters `target` between fork and exec.
pub fn build(target: &Target, argv: &[String], opts: &Options) -> Result<Command> {
    crate::sys::privileges::unconfined("run a command")?;
    let Some((program, args)) = argv.split_first() else {
        return Err(
            Error::invalid("run a command", "the command is empty").with_help(
                "give a program and its arguments, e.g. \"ip addr\" or [\"ip\", \"addr\"]",
            ),
        );
    };
    if let Some(word) = argv.iter().find(|w| w.contains('\0')) {
        return Err(Error::invalid(
            format!("run \"{program}\""),
            format!("the word {word:?} contains a NUL byte"),
        ));
    }
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, v) in &opts.env {
        cmd.env(k, v);
    }
    if let Some(dir) = &opts.cwd {
        cmd.current_dir(dir);
    }
    let fd = target.file.as_raw_fd();
    let mounts = target.name.as_deref().map(prepare_mounts);
    // SAFETY: only async-signal-safe system calls run between fork and
    // exec; every path was allocated before the fork. A program the lab
    // starts ends with netscript, even one killed by SIGKILL, so none
    // keeps a lab namespace alive after it (a detached spawn opts out).
    // Until exec the child has netscript's signal handlers (those of
    // interrupt.rs), which would take that SIGTERM, or a Ctrl-C, as a
    // request to roll back (and the program would run on): the default
    // actions come back first. (The parent-death signal follows the thread
    // that forks: programs are started from the main thread.) The signal is asked
    // for after the fork: a netscript that died in between is seen as a
    // new parent, and the program is not started.
    let netscript = std::process::id() as libc::pid_t;
    unsafe {
        cmd.pre_exec(move || {
            for signal in [
                libc::SIGINT,
                libc::SIGTERM,
                libc::SIGHUP,
                libc::SIGQUIT,
                libc::SIGUSR1,
                libc::SIGUSR2,
                libc::SIGALRM,
            ] {
                libc::signal(signal, libc::SIG_DFL);
            }
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0);
            if libc::getppid() != netscript {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            enter(fd, mounts.as_ref())
        });
    }
    Ok(cmd)
}

fn check(rc: libc::c_int) -> std::io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// In the child: join the network namespace, then (for a named one) make a
/// private mount namespace with a fresh /sys and the /etc/netns binds.
fn enter(fd: libc::c_int, mounts: Option<&Mounts>) -> std::io::Result<()> {
    // SAFETY: plain system calls on valid, NUL-terminated paths.
    unsafe {
        check(libc::setns(fd, libc::CLONE_NEWNET))?;
        let Some(m) = mounts else { return Ok(()) };
        check(libc::unshare(libc::CLONE_NEWNS))?;
        let root = c"/";
        let sys = c"/sys";
        check(libc::mount(
            std::ptr::null(),
            root.as_ptr(),
            std::ptr::null(),
            libc::MS_SLAVE | libc::MS_REC,
            std::ptr::null(),
        ))?;
        libc::umount2(sys.as_ptr(), libc::MNT_DETACH);
        check(libc::mount(
            m.sysfs_name.as_ptr(),
            sys.as_ptr(),
            c"sysfs".as_ptr(),
            m.sys_flags,
            std::ptr::null(),
        ))?;
        for (src, dst) in &m.binds {
            // Like ip netns exec: a missing /etc target is skipped.
            libc::mount(
                src.as_ptr(),
                dst.as_ptr(),
                c"none".as_ptr(),
                libc::MS_BIND,
                std::ptr::null(),
            );
        }
    }
    Ok(())
}

/// Feed `opts.stdin` (if any) to a started child from a thread, so a
/// child that writes before it reads cannot deadlock us.
pub fn feed_stdin(child: &mut std::process::Child, opts: &Options) {
    if let (Some(text), Some(mut pipe)) = (opts.stdin.clone(), child.stdin.take()) {
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = pipe.write_all(text.as_bytes());
        });
    }
}

/// The error for a command that could not be started.
pub fn spawn_error(program: &str, target: &Target, e: &std::io::Error) -> Error {
    let action = format!("run \"{program}\"");
    let err = if e.kind() == std::io::ErrorKind::NotFound {
        Error::new(
            Kind::NotFound,
            action,
            format!("no such program '{program}'"),
        )
        .with_help("is it installed and on PATH? or give its full path")
    } else if e.kind() == std::io::ErrorKind::PermissionDenied {
        Error::from_io(action, e).with_help(format!(
            "is '{program}' an executable file? (chmod +x, or run it through its interpreter)"
        ))
    } else {
        Error::from_io(action, e)
    };
    err.in_netns(target.label())
}
