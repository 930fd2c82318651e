//! Processes held by a pidfd: a descriptor that names one process, never a
//! later one that reuses its PID, so checking which process it is and then
//! signalling it cannot hit another. Also waiting for a process to exit,
//! woken by the kernel at the moment it exits instead of checking on it
//! every few milliseconds.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// A process held by a pidfd.
#[derive(Debug)]
pub struct Pidfd {
    pub pid: u32,
    fd: OwnedFd,
}

impl Pidfd {
    /// Process `pid`, if it exists, is not a zombie, and is the one that
    /// started at `start` (clock ticks since boot, as /proc/PID/stat says).
    /// The pidfd is opened before the checks, so what passed them is the
    /// process the pidfd holds.
    pub fn of(pid: u32, start: u64) -> Option<Pidfd> {
        let held = Pidfd::open(pid)?;
        (start_time(pid) == Some(start) && !held.is_zombie()).then_some(held)
    }

    /// Process `pid`, if it exists (a zombie too).
    pub fn open(pid: u32) -> Option<Pidfd> {
        // SAFETY: pidfd_open(2) takes a pid and flags and returns a new fd.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
        // SAFETY: the descriptor was just opened and nobody else owns it.
        (fd >= 0).then(|| Pidfd {
            pid,
            fd: unsafe { OwnedFd::from_raw_fd(fd as i32) },
        })
    }

    /// Whether it has exited (and not been reaped yet) or is exiting.
    pub fn is_zombie(&self) -> bool {
        zombie(self.pid)
    }

    /// Send `signal` to this process (and to no other).
    pub fn signal(&self, signal: i32) -> bool {
        // SAFETY: pidfd_send_signal(2) with our pidfd, a signal, no info.
        let r = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.fd.as_raw_fd(),
                signal,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        r == 0
    }

    /// Wait until it has exited, at most `timeout`; true if it has.
    pub fn wait(&self, timeout: Duration) -> bool {
        poll_exit(self.fd.as_fd(), timeout)
    }
}

/// A process to stop, known by pid and start time: held by a pidfd where
/// the kernel has them, else (before Linux 5.3, or a seccomp profile that
/// forbids pidfd_open) checked by its start time before each signal, as
/// netscript did before pidfds (a PID reused in between is then possible).
#[derive(Debug)]
pub struct Held {
    pub pid: u32,
    start: u64,
    fd: Option<Pidfd>,
}

impl Held {
    /// Process `pid`, if it is still the one that started at `start` and
    /// has not exited.
    pub fn of(pid: u32, start: u64) -> Option<Held> {
        if pidfds_work() {
            return Pidfd::of(pid, start).map(|fd| Held {
                pid,
                start,
                fd: Some(fd),
            });
        }
        (start_time(pid) == Some(start) && !zombie(pid)).then_some(Held {
            pid,
            start,
            fd: None,
        })
    }

    /// Its process group, while it has not exited.
    pub fn group(&self) -> Option<u32> {
        stat_field(self.pid, 2)?.parse().ok()
    }

    /// Send `signal` to this process (and, with a pidfd, to no other).
    pub fn signal(&self, signal: i32) -> bool {
        match &self.fd {
            Some(fd) => fd.signal(signal),
            None => {
                start_time(self.pid) == Some(self.start)
                    // SAFETY: kill(2) with a pid and a signal number.
                    && unsafe { libc::kill(self.pid as libc::pid_t, signal) } == 0
            }
        }
    }

    /// Wait until it has exited, at most `timeout`; true if it has.
    pub fn wait(&self, timeout: Duration) -> bool {
        match &self.fd {
            Some(fd) => fd.wait(timeout),
            None => {
                let deadline = Instant::now() + timeout;
                loop {
                    if start_time(self.pid) != Some(self.start) || zombie(self.pid) {
                        return true;
                    }
                    if Instant::now() >= deadline {
                        return false;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
    }
}

/// Whether this kernel and its seccomp profile give pidfds (asked once).
fn pidfds_work() -> bool {
    static WORK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WORK.get_or_init(|| Pidfd::open(std::process::id()).is_some())
}

fn zombie(pid: u32) -> bool {
    stat_field(pid, 0).is_none_or(|s| s == "Z" || s == "X")
}

impl AsRawFd for Pidfd {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
    }
}

/// The start time of process `pid` (field 22 of /proc/PID/stat), which
/// tells a process from a later one that reuses its PID.
pub fn start_time(pid: u32) -> Option<u64> {
    stat_field(pid, 19)?.parse().ok()
}

/// Field `n` of /proc/PID/stat, counted after the command name (so 0 is
/// the state, 2 the process group, 19 the start time).
pub fn stat_field(pid: u32, n: usize) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(n).map(str::to_string)
}

/// Wait until process `pid` has exited (a zombie counts), at most
/// `timeout`. True if it exited or does not exist; false on timeout.
/// Callers that must notice Ctrl-C pass short timeouts and check between.
pub fn wait_exit(pid: u32, timeout: Duration) -> bool {
    // SAFETY: pidfd_open(2) takes a pid and flags and returns a new fd.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        if std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH) {
            return true;
        }
        // No pidfds here (before Linux 5.3, or forbidden): the caller asks
        // again after a short pause rather than spinning.
        std::thread::sleep(timeout.min(Duration::from_millis(10)));
        return false;
    }
    // SAFETY: the descriptor was just opened and nobody else owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    poll_exit(fd.as_fd(), timeout)
}

fn poll_exit(fd: std::os::fd::BorrowedFd, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let ms = i32::try_from(left.as_millis().max(1)).unwrap_or(i32::MAX);
        let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
        match poll(
            &mut fds,
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
        ) {
            Ok(n) if n > 0 => return true,
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(_) => return false,
        }
    }
}
