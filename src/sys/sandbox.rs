//! `--sandbox`: a private network and mount namespace for this process, so
//! a lab cannot touch the machine and vanishes when netscript exits.

use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};

use crate::error::{Error, Result};
use crate::sys::privileges;

/// Move this process into a fresh network + mount namespace with its own
/// empty /run (so its own /run/netns) and a /sys that shows its links.
/// Must run before any other thread is started.
/// A plain user gets there through a user namespace of its own.
pub fn enter() -> Result<()> {
    let action = "enter the sandbox";
    if !privileges::capability(privileges::CAP_SYS_ADMIN) {
        privileges::enter_user_namespace()?;
    }
    unshare(CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWNS).map_err(|e| {
        Error::errno(action, e as i32).or_help("--sandbox needs root (CAP_SYS_ADMIN)")
    })?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|e| Error::errno(action, e as i32))?;
    mount(
        Some("tmpfs"),
        "/run",
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=0755"),
    )
    .map_err(|e| Error::errno("mount a private /run in the sandbox", e as i32))?;
    std::fs::create_dir_all(crate::sys::netns_fs::NETNS_DIR)
        .map_err(|e| Error::from_io("create /run/netns in the sandbox", &e))?;
    crate::sys::sysctl::lab_defaults_here();
    adopt_orphans();
    let _ = mount(
        Some("sysfs"),
        "/sys",
        Some("sysfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    );
    Ok(())
}

/// Make this process the reaper of its orphaned descendants, so processes
/// a script started (and that outlived their parents) can be found again
/// and stopped when the sandbox ends.
pub fn adopt_orphans() {
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes one integer argument.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
}

/// Stop every process this process started, directly or through orphaned
/// descendants it adopted: a sandbox leaves nothing running.
pub fn stop_descendants() {
    use nix::sys::signal::{Signal, kill};
    use nix::sys::wait::{WaitPidFlag, waitpid};
    use nix::unistd::Pid;
    for _ in 0..100 {
        let children = children();
        if children.is_empty() {
            return;
        }
        for pid in &children {
            let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
        }
        for pid in &children {
            let _ = waitpid(Pid::from_raw(*pid), Some(WaitPidFlag::empty()));
        }
    }
}

/// Pids of this process's children, from /proc/self/task/*/children.
fn children() -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            );
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}
