//! What this process may do to the network: its effective capabilities,
//! and, for a plain user's `--sandbox`, a user namespace in which it is
//! root over a private network only.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Kind, Result};

static CONFINED: AtomicBool = AtomicBool::new(false);

/// From now on this process starts no programs and names no other
/// process's namespace, whatever a script asks: for running scripts no one
/// wrote (the fuzzer), inside a sandbox.
pub fn confine() {
    CONFINED.store(true, Ordering::SeqCst);
}

/// Fail `action` if the process is confined.
pub fn unconfined(action: &str) -> Result<()> {
    if CONFINED.load(Ordering::SeqCst) {
        return Err(Error::new(
            Kind::Permission,
            action,
            "this process is confined: it starts no programs and attaches no namespaces",
        ));
    }
    Ok(())
}

pub const CAP_NET_ADMIN: u32 = 12;
pub const CAP_NET_RAW: u32 = 13;
pub const CAP_SYS_ADMIN: u32 = 21;

/// Whether capability `bit` is in this process's effective set (checked
/// for real, not guessed from the uid).
pub fn capability(bit: u32) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << bit) != 0)
}

/// Become root of a new user namespace, mapped to this process's own
/// user and group: namespaces made from here on are owned by it, so a
/// plain user can build a lab in them and nothing else.
pub fn enter_user_namespace() -> Result<()> {
    use nix::sched::{CloneFlags, unshare};
    let (uid, gid) = (nix::unistd::getuid(), nix::unistd::getgid());
    unshare(CloneFlags::CLONE_NEWUSER).map_err(|e| {
        Error::errno("create a user namespace for the sandbox", e as i32).with_help(
            "this kernel does not let plain users create user namespaces \
             (see user.max_user_namespaces, kernel.unprivileged_userns_clone, \
             kernel.apparmor_restrict_unprivileged_userns); run as root instead",
        )
    })?;
    let write = |file: &str, text: String| {
        std::fs::write(format!("/proc/self/{file}"), text)
            .map_err(|e| Error::from_io(format!("write /proc/self/{file} for the sandbox"), &e))
    };
    // A user namespace's gid map may only be written once setgroups is off.
    write("setgroups", "deny".into())?;
    write("uid_map", format!("0 {uid} 1"))?;
    write("gid_map", format!("0 {gid} 1"))
}
