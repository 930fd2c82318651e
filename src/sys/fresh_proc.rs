//! A procfs instance of the calling thread's own, attached nowhere, for
//! setting the sysctls of many new namespaces (the namespace maker's).
//!
//! Why: the kernel finds /proc/sys/net by comparing the name with the
//! "net" entry of every namespace looked up through the same procfs
//! instance (they share one parent and one name), and keeps those entries
//! for as long as their namespaces live. Setting a new namespace's
//! defaults through the machine's /proc therefore costs one comparison per
//! namespace already made: at 4,000 namespaces, more than making one.
//! Through an instance that has seen only the last few, it costs a few.
//!
//! The instance is made with fsopen/fsmount: a mount that is in no mount
//! namespace's tree, seen by no other program, gone when its descriptor
//! is closed. Nothing is copied or mounted anywhere (a copied mount table
//! would hold other namespaces' files, and with them the namespaces). It
//! is made anew every [`EVERY`] namespaces. Where it cannot be made (a
//! kernel before 5.2, no right to mount), the machine's /proc is used:
//! slower, the same.

use std::cell::RefCell;
use std::ffi::CStr;
use std::fs::File;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};

/// Namespaces set through one instance before the next is made.
pub const EVERY: usize = 64;

thread_local! {
    /// This thread's instance, and how many namespaces it has served.
    static PROC: RefCell<Option<(OwnedFd, usize)>> = const { RefCell::new(None) };
}

/// Use an instance of this thread's own from now on (if one can be made).
pub fn use_here() {
    if let Some(fd) = make() {
        PROC.with(|p| *p.borrow_mut() = Some((fd, 0)));
    }
}

/// Whether this thread sets sysctls through an instance of its own.
pub fn in_use() -> bool {
    PROC.with(|p| p.borrow().is_some())
}

/// Count one namespace; every `EVERY`, a new instance (the old one stays
/// if none can be made).
pub fn renew_now_and_then() {
    PROC.with(|p| {
        let mut p = p.borrow_mut();
        if let Some((fd, served)) = p.as_mut() {
            *served += 1;
            if served.is_multiple_of(EVERY)
                && let Some(new) = make()
            {
                *fd = new;
            }
        }
    });
}

/// /proc/sys/net of the calling thread's namespace: through this thread's
/// instance if it has one, else the machine's /proc.
pub fn open_sys_net() -> std::io::Result<File> {
    use nix::fcntl::{OFlag, openat};
    use nix::sys::stat::Mode;
    PROC.with(|p| match p.borrow().as_ref() {
        Some((fd, _)) => openat(
            fd.as_fd(),
            "sys/net",
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map(File::from)
        .map_err(std::io::Error::from),
        None => File::open("/proc/sys/net"),
    })
}

/// A new procfs instance, as a detached mount's descriptor.
fn make() -> Option<OwnedFd> {
    const FSOPEN_CLOEXEC: libc::c_uint = 1;
    const FSCONFIG_CMD_CREATE: libc::c_uint = 6;
    const FSMOUNT_CLOEXEC: libc::c_uint = 1;
    const MOUNT_ATTR_NOSUID_NODEV_NOEXEC: libc::c_uint = 0x2 | 0x4 | 0x8;
    let name: &CStr = c"proc";
    // SAFETY: fsopen(2) with a NUL-terminated name; the result is checked.
    let fs = unsafe { libc::syscall(libc::SYS_fsopen, name.as_ptr(), FSOPEN_CLOEXEC) };
    if fs < 0 {
        return None;
    }
    // SAFETY: a fresh descriptor nobody else owns.
    let fs = unsafe { OwnedFd::from_raw_fd(fs as i32) };
    let null = std::ptr::null::<libc::c_char>();
    // SAFETY: fsconfig(2) on the context just opened, no key or value.
    let created = unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            std::os::fd::AsRawFd::as_raw_fd(&fs),
            FSCONFIG_CMD_CREATE,
            null,
            null,
            0,
        )
    };
    if created < 0 {
        return None;
    }
    // SAFETY: fsmount(2) of that context; the result is checked.
    let mnt = unsafe {
        libc::syscall(
            libc::SYS_fsmount,
            std::os::fd::AsRawFd::as_raw_fd(&fs),
            FSMOUNT_CLOEXEC,
            MOUNT_ATTR_NOSUID_NODEV_NOEXEC,
        )
    };
    // SAFETY: a fresh descriptor nobody else owns.
    (mnt >= 0).then(|| unsafe { OwnedFd::from_raw_fd(mnt as i32) })
}
