//! A private network and mount namespace for this very process, entered
//! without forking: for the fuzzer, which runs scripts in-process.
//! `--sandbox` makes a world instead (`world_make.rs`), which also has a
//! user and a PID namespace of its own.

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
    let _ = crate::sys::sysctl::lab_defaults_here(true);
    let _ = mount(
        Some("sysfs"),
        "/sys",
        Some("sysfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    );
    Ok(())
}
