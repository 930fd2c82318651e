//! Joining a world: this process enters the keeper's user, mount, network
//! and PID namespaces in one `setns` on its pidfd, then forks, since only
//! a child lands in the PID namespace. The child does the work inside;
//! this process waits for it, passes on the signals other processes send
//! (a terminal's Ctrl-C reaches the child by itself), and ends with its
//! status.

use std::os::fd::AsRawFd;

use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::unistd::{ForkResult, Pid, fork};

use super::world::Keeper;
use crate::error::{Error, Result};
use crate::exit::Exit;

/// Which side of the fork this process is on.
pub enum Joined {
    /// In the world: go on with the work.
    Inside,
    /// Still outside: the child inside ended with this status.
    Outside(Exit),
}

/// Join the world of `keeper`, called `name`. Must run before any thread
/// starts.
pub fn join(keeper: &Keeper, name: &str) -> Result<Joined> {
    let cwd = std::env::current_dir().ok();
    let flags = libc::CLONE_NEWUSER | libc::CLONE_NEWNS | libc::CLONE_NEWNET | libc::CLONE_NEWPID;
    // SAFETY: setns(2) on a pidfd we own, with namespace flags.
    if unsafe { libc::setns(keeper.fd.as_raw_fd(), flags) } != 0 {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        return Err(Error::errno(format!("enter world \"{name}\""), errno)
            .with_help("a world can be entered by the user who made it (and by root)"));
    }
    let mut signals = SigSet::empty();
    for s in [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGCHLD,
        Signal::SIGTTOU,
    ] {
        signals.add(s);
    }
    let mut old = SigSet::empty();
    let _ = sigprocmask(SigmaskHow::SIG_BLOCK, Some(&signals), Some(&mut old));
    let terminal = foreground_terminal();
    // SAFETY: single-threaded (see above).
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            // If this process is killed, the run inside ends as on a
            // closed terminal (a script rolls back, a shell exits).
            // SAFETY: prctl with PR_SET_PDEATHSIG takes one integer.
            unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGHUP, 0, 0, 0) };
            if terminal {
                let _ = nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0));
                let _ = nix::unistd::tcsetpgrp(std::io::stdin(), nix::unistd::getpgrp());
            }
            let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old), None);
            // Entering a mount namespace moves to its root: back to where
            // the user was, which the world sees too (only /run, /proc and
            // /sys are its own).
            if let Some(dir) = cwd {
                let _ = std::env::set_current_dir(dir);
            }
            super::world::set_current(name);
            // SAFETY: single-threaded, nothing reads the environment now.
            unsafe { std::env::set_var("NETSCRIPT_WORLD", name) };
            Ok(Joined::Inside)
        }
        Ok(ForkResult::Parent { child }) => {
            if terminal {
                let _ = nix::unistd::setpgid(child, child);
                let _ = nix::unistd::tcsetpgrp(std::io::stdin(), child);
            }
            Ok(Joined::Outside(wait(child, &signals, terminal)))
        }
        Err(e) => Err(Error::errno(format!("enter world \"{name}\""), e as i32)),
    }
}

/// Whether this process is in the foreground of the terminal on stdin.
/// The child inside then gets a process group of its own, in front: one
/// the world can see (a shell inside sets and restores the terminal's
/// process group, and cannot name one outside its PID namespace).
/// Not when this process's own group is outside its PID namespace (it
/// shows as 0): the terminal could not be given back to it.
fn foreground_terminal() -> bool {
    let stdin = std::io::stdin();
    let ours = nix::unistd::getpgrp();
    ours.as_raw() > 0
        && nix::unistd::isatty(&stdin).unwrap_or(false)
        && nix::unistd::tcgetpgrp(&stdin).is_ok_and(|g| g == ours)
}

/// Wait for the child inside; pass on what other processes signal, and
/// stop and go on with it (Ctrl-Z, fg) when it has the terminal.
fn wait(child: Pid, signals: &SigSet, terminal: bool) -> Exit {
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    let ours = nix::unistd::getpgrp();
    let front = |group: Pid| {
        if terminal {
            let _ = nix::unistd::tcsetpgrp(std::io::stdin(), group);
        }
    };
    loop {
        // SAFETY: an all-zero siginfo_t is valid; sigwaitinfo fills it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: the set is a valid sigset_t, info is ours.
        let signo = unsafe { libc::sigwaitinfo(signals.as_ref(), &mut info) };
        if signo == libc::SIGCHLD || signo < 0 {
            match waitpid(child, Some(WaitPidFlag::WNOHANG | WaitPidFlag::WUNTRACED)) {
                Ok(WaitStatus::Exited(_, code)) => {
                    front(ours);
                    return Exit::script(code);
                }
                Ok(WaitStatus::Signaled(_, sig, _)) => {
                    front(ours);
                    return Exit::script(128 + sig as i32);
                }
                Ok(WaitStatus::Stopped(..)) if terminal => {
                    // Stop too, so the shell sees its job stopped; on `fg`
                    // the child gets the terminal back and goes on.
                    front(ours);
                    let _ = nix::sys::signal::kill(nix::unistd::getpid(), Signal::SIGSTOP);
                    front(child);
                    let _ = nix::sys::signal::killpg(child, Signal::SIGCONT);
                }
                Ok(_) => {}
                Err(_) => return Exit::Failed,
            }
        } else if signo != libc::SIGTTOU && info.si_code <= 0 {
            // Sent by a process (kill, a supervisor), not by the terminal,
            // which signals the child too.
            // SAFETY: kill(2) on our own child.
            unsafe { libc::kill(child.as_raw(), signo) };
        }
    }
}
