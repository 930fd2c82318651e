//! Worlds: sandboxes, throwaway or with a name that outlives the run
//! that made them.
//!
//! A world is a user, network, mount and PID namespace kept alive by one
//! small process, its keeper, which is PID 1 inside it (`world_make.rs`).
//! Other runs find the keeper through a record in the worlds directory
//! (`world_registry.rs`) and join its namespaces (`world_join.rs`).
//! Removing a world is killing its keeper: the kernel then ends every
//! process in it and frees its namespaces and everything in them.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// The keeper of a live world, held by a pidfd (so a reused PID is never
/// signalled or joined by mistake).
#[derive(Debug)]
pub struct Keeper {
    pub pid: u32,
    pub(super) fd: OwnedFd,
    /// For a throwaway world, the process between this one and the
    /// keeper (a child of this process), reaped once the world is gone.
    pub(super) between: Option<i32>,
    /// Until committed, the keeper of a new world waits on this pipe, and
    /// ends if it closes (its maker died before recording it).
    pub(super) commit: Option<std::fs::File>,
}

static CURRENT: OnceLock<String> = OnceLock::new();

/// The world this process runs in ("sandbox" for a throwaway one), once
/// it has joined one.
pub fn current() -> Option<&'static str> {
    CURRENT.get().map(String::as_str)
}

pub(super) fn set_current(name: &str) {
    let _ = CURRENT.set(name.to_string());
}

impl Keeper {
    /// Let a new world's keeper go on for good.
    pub fn commit(&self) -> Result<()> {
        use std::io::Write;
        let Some(pipe) = &self.commit else {
            return Ok(());
        };
        // A keeper that died first closed the pipe: that is an error here,
        // not a SIGPIPE that would end netscript.
        use nix::sys::signal::{SigHandler, Signal, signal};
        // SAFETY: setting and restoring a disposition, single-threaded.
        let before = unsafe { signal(Signal::SIGPIPE, SigHandler::SigIgn) };
        let written = (&*pipe)
            .write_all(b"C")
            .map_err(|e| Error::from_io("make a sandbox", &e));
        if let Ok(h) = before {
            // SAFETY: as above.
            let _ = unsafe { signal(Signal::SIGPIPE, h) };
        }
        written
    }

    /// Kill the keeper (and so the world) and wait until it has exited.
    pub fn kill(&self) {
        // SAFETY: pidfd_send_signal(2) with our pidfd, SIGKILL, no info.
        unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.fd.as_raw_fd(),
                libc::SIGKILL,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        let mut fds = [nix::poll::PollFd::new(
            self.fd.as_fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        for _ in 0..100 {
            if nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(100u16)).unwrap_or(0) > 0 {
                break;
            }
        }
        if let Some(pid) = self.between {
            let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
        }
    }
}

/// A pidfd on process `pid` if it still is the process that started at
/// `start`.
pub(super) fn keeper(pid: u32, start: u64) -> Option<Keeper> {
    let fd = pidfd_open(pid)?;
    // Only a keeper: a record naming any other process is not obeyed.
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    if comm.trim_end() != "netscript-world" {
        return None;
    }
    (start_time(pid)? == start).then_some(Keeper {
        pid,
        fd,
        between: None,
        commit: None,
    })
}

pub(super) fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open(2) takes a pid and flags and returns a new fd.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    // SAFETY: the descriptor was just opened and nobody else owns it.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Field 22 of /proc/PID/stat: when the process started, in clock ticks
/// since boot.
pub(super) fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}
