//! Worlds: sandboxes, throwaway or with a name that outlives the run
//! that made them.
//!
//! A world is a user, network, mount and PID namespace kept alive by one
//! small process, its keeper, which is PID 1 inside it (`world_make.rs`).
//! Other runs find the keeper through a record in the worlds directory
//! (`world_registry.rs`) and join its namespaces (`world_join.rs`).
//! Removing a world is killing its keeper: the kernel then ends every
//! process in it and frees its namespaces and everything in them.

use std::sync::OnceLock;

use super::pidfd::Pidfd;
use crate::error::{Error, Result};

/// The keeper of a live world, held by a pidfd (so a reused PID is never
/// signalled or joined by mistake).
#[derive(Debug)]
pub struct Keeper {
    pub pid: u32,
    pub(super) fd: Pidfd,
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
        self.fd.signal(libc::SIGKILL);
        self.fd.wait(std::time::Duration::from_secs(10));
        if let Some(pid) = self.between {
            let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
        }
    }
}

/// A pidfd on process `pid` if it still is the process that started at
/// `start`.
pub(super) fn keeper(pid: u32, start: u64) -> Option<Keeper> {
    let fd = Pidfd::open(pid)?;
    // Only a keeper: a record naming any other process is not obeyed.
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    if comm.trim_end() != "netscript-world" {
        return None;
    }
    (super::pidfd::start_time(pid)? == start).then_some(Keeper {
        pid,
        fd,
        between: None,
        commit: None,
    })
}
