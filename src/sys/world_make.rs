//! Making a world: a process forks, unshares a user, network, mount and
//! PID namespace (the user namespace first, so it owns the others), has
//! its user mapped by the parent, and forks the keeper: PID 1 of the new
//! PID namespace, which mounts the world's own /run, /proc and /sys and
//! then only reaps orphans until it is killed.
//!
//! Root's worlds map every user id to itself, so programs that change
//! user (tcpdump, FRR) work as on the machine; a plain user's map only
//! that user, as root. Either way the world's root holds capabilities
//! over the world's namespaces only: that is the boundary.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;

use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};
use nix::unistd::{ForkResult, Pid, fork};

use super::world::Keeper;
use crate::error::{Error, Result};

/// The steps of making a world, as a failure names them.
const STEPS: &[&str] = &[
    "fork the world's maker",
    "create the world's namespaces",
    "make the world's mounts private",
    "mount the world's /run",
    "create the world's /run/netns",
    "mount the world's /proc",
    "bring the world's lo up",
];

/// Make a world. A throwaway one (`persist` false) dies with this process
/// (its keeper and the process between them get SIGKILL when their
/// parent goes, even by SIGKILL); a persistent one lives, once
/// committed (`Keeper::commit`), until its keeper is killed. Not
/// committed, it ends when this process does.
pub fn make(name: &str, persist: bool) -> Result<Keeper> {
    let action = "make a sandbox";
    let pipe = || nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC);
    let (up_r, up_w) = pipe().map_err(|e| Error::errno(action, e as i32))?;
    let (down_r, down_w) = pipe().map_err(|e| Error::errno(action, e as i32))?;
    let parent = nix::unistd::getpid();
    // SAFETY: netscript is single-threaded here (worlds are made before
    // any thread starts), so the child may do anything.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            drop((up_r, down_w));
            let code = between(name, persist, parent, up_w, down_r);
            // SAFETY: leaving the forked child without running the
            // parent's exit handlers.
            unsafe { libc::_exit(code) }
        }
        Ok(ForkResult::Parent { child }) => {
            drop((up_w, down_r));
            let mut down = std::fs::File::from(down_w);
            let (pid, fd) = match settle(child, up_r, &mut down) {
                Ok(made) => made,
                Err(e) => {
                    // The makers wait on this pipe: closing it ends a keeper
                    // that waits for its commit; the process between goes.
                    drop(down);
                    let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL);
                    let _ = nix::sys::wait::waitpid(child, None);
                    return Err(e);
                }
            };
            if persist {
                let _ = nix::sys::wait::waitpid(child, None);
            }
            let keeper = Keeper {
                pid,
                fd,
                between: (!persist).then_some(child.as_raw()),
                commit: Some(down),
            };
            if !persist {
                keeper.commit()?;
            }
            Ok(keeper)
        }
        Err(e) => Err(Error::errno(STEPS[0], e as i32)),
    }
}

/// A message from the makers to the parent: a tag and two numbers.
fn send(to: &OwnedFd, tag: u8, a: u32, b: u32) {
    let mut frame = [0u8; 9];
    frame[0] = tag;
    frame[1..5].copy_from_slice(&a.to_le_bytes());
    frame[5..9].copy_from_slice(&b.to_le_bytes());
    let _ = std::fs::File::from(to.try_clone().expect("dup a pipe")).write_all(&frame);
}

fn fail(to: &OwnedFd, step: usize, e: nix::errno::Errno) -> i32 {
    send(to, b'E', e as u32, step as u32);
    1
}

/// The parent's side: map the user, then wait for the keeper's pid and
/// for it to be ready.
fn settle(child: Pid, up: OwnedFd, down: &mut std::fs::File) -> Result<(u32, super::pidfd::Pidfd)> {
    let mut up = std::fs::File::from(up);
    let mut read = || -> Result<(u8, u32, u32)> {
        let mut frame = [0u8; 9];
        up.read_exact(&mut frame)
            .map_err(|_| Error::new(crate::error::Kind::Os, "make a sandbox", "its maker died"))?;
        let num = |at: usize| u32::from_le_bytes(frame[at..at + 4].try_into().unwrap());
        match frame[0] {
            b'E' => Err(step_error(num(5) as usize, num(1) as i32)),
            tag => Ok((tag, num(1), num(5))),
        }
    };
    read()?; // unshared
    map_user(child)?;
    down.write_all(b"M")
        .map_err(|e| Error::from_io("make a sandbox", &e))?;
    let (mut pid, mut ready) = (None, false);
    while pid.is_none() || !ready {
        match read()? {
            (b'P', p, _) => pid = Some(p),
            _ => ready = true,
        }
    }
    let pid = pid.unwrap_or_default();
    let fd = super::pidfd::Pidfd::open(pid).ok_or_else(|| {
        Error::new(
            crate::error::Kind::Os,
            "make a sandbox",
            "its keeper is gone",
        )
    })?;
    Ok((pid, fd))
}

fn step_error(step: usize, errno: i32) -> Error {
    let e = Error::errno(STEPS.get(step).copied().unwrap_or("make a sandbox"), errno);
    if step == 1 && !nix::unistd::geteuid().is_root() {
        return e.with_help(
            "this kernel does not let plain users create user namespaces \
             (see user.max_user_namespaces, kernel.unprivileged_userns_clone, \
             kernel.apparmor_restrict_unprivileged_userns); run as root instead",
        );
    }
    e
}

/// Write the child's user and group maps: every id to itself for root,
/// else this user as the world's root.
fn map_user(child: Pid) -> Result<()> {
    let (uid, gid) = (nix::unistd::getuid(), nix::unistd::getgid());
    let write = |file: &str, text: &str| {
        std::fs::write(format!("/proc/{child}/{file}"), text)
            .map_err(|e| Error::from_io(format!("write the sandbox's {file}"), &e))
    };
    // Every id to itself where this process may map them all (root on
    // the machine); else only its own user, as the world's root (a plain
    // user, or root of a world making one inside it). A gid map of one's
    // own group may only be written once setgroups is off.
    let root = nix::unistd::geteuid().is_root();
    if !(root && write("uid_map", "0 0 4294967295").is_ok()) {
        write("uid_map", &format!("0 {uid} 1"))?;
    }
    if !(root && write("gid_map", "0 0 4294967295").is_ok()) {
        write("setgroups", "deny")?;
        write("gid_map", &format!("0 {gid} 1"))?;
    }
    Ok(())
}

/// The process between the parent and the keeper: it unshares, waits
/// to be mapped, forks the keeper and says its pid.
fn between(name: &str, persist: bool, parent: Pid, up: OwnedFd, down: OwnedFd) -> i32 {
    if !persist && !die_with_parent(parent) {
        return 1;
    }
    // Out of the terminal's process group: Ctrl-C is for the run inside,
    // and would otherwise end this process, and with it a throwaway world.
    let _ = nix::unistd::setsid();
    let flags = CloneFlags::CLONE_NEWUSER
        | CloneFlags::CLONE_NEWNET
        | CloneFlags::CLONE_NEWNS
        | CloneFlags::CLONE_NEWPID;
    if let Err(e) = unshare(flags) {
        return fail(&up, 1, e);
    }
    send(&up, b'U', 0, 0);
    let mut down = std::fs::File::from(down);
    let mut mapped = [0u8; 1];
    if down.read_exact(&mut mapped).is_err() {
        return 1;
    }
    // SAFETY: this process is single-threaded.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => keeper(name, persist, up, down),
        Ok(ForkResult::Parent { child }) => {
            send(&up, b'P', child.as_raw() as u32, 0);
            drop(up);
            if !persist {
                let _ = nix::sys::wait::waitpid(child, None);
            }
            0
        }
        Err(e) => fail(&up, 0, e),
    }
}

/// SIGKILL when the parent goes; false if it went already.
fn die_with_parent(parent: Pid) -> bool {
    // SAFETY: prctl with PR_SET_PDEATHSIG takes one integer argument.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
    nix::unistd::getppid() == parent
}

/// PID 1 of the world: its mounts, then reaping until killed.
fn keeper(name: &str, persist: bool, up: OwnedFd, mut commit: std::fs::File) -> ! {
    if !persist {
        // Its parent is outside the PID namespace (getppid says 0), and
        // waits for this process, so it was alive at the fork.
        // SAFETY: as in die_with_parent.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
    }
    let _ = nix::unistd::setsid();
    if let Err((step, e)) = mounts() {
        fail(&up, step, e);
        // SAFETY: leaving the forked child.
        unsafe { libc::_exit(1) }
    }
    let _ = crate::sys::sysctl::lab_defaults_here(true);
    if let Err(e) = crate::sys::loopback::up_here() {
        let errno = nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO));
        fail(&up, 6, errno);
        // SAFETY: leaving the forked child.
        unsafe { libc::_exit(1) }
    }
    // SAFETY: PR_SET_NAME reads a NUL-terminated name of at most 16 bytes.
    unsafe { libc::prctl(libc::PR_SET_NAME, c"netscript-world".as_ptr(), 0, 0, 0) };
    retitle(&format!("netscript world {name}"));
    let _ = std::env::set_current_dir("/");
    send(&up, b'R', 0, 0);
    drop(up);
    // The world stays only once its maker has recorded it: a maker killed
    // before that would leave a world nobody knows of.
    let mut committed = [0u8; 1];
    if commit.read_exact(&mut committed).is_err() {
        // SAFETY: leaving the forked child.
        unsafe { libc::_exit(1) }
    }
    drop(commit);
    quiet_fds();
    reap_forever()
}

fn mounts() -> std::result::Result<(), (usize, nix::errno::Errno)> {
    let none = None::<&str>;
    mount(none, "/", none, MsFlags::MS_REC | MsFlags::MS_PRIVATE, none).map_err(|e| (2, e))?;
    let plain = MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
    mount(
        Some("tmpfs"),
        "/run",
        Some("tmpfs"),
        plain,
        Some("mode=0755"),
    )
    .map_err(|e| (3, e))?;
    std::fs::create_dir_all(crate::sys::netns_fs::NETNS_DIR).map_err(|e| {
        (
            4,
            nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)),
        )
    })?;
    let flags = plain | MsFlags::MS_NOEXEC;
    mount(Some("proc"), "/proc", Some("proc"), flags, none).map_err(|e| (5, e))?;
    // Best effort, as `ip netns exec` does it: a /sys that shows the
    // world's links.
    let _ = mount(Some("sysfs"), "/sys", Some("sysfs"), flags, none);
    private_etc_netns();
    Ok(())
}

/// The world's own /etc/netns (`ns.etc_file`), so that its files never
/// reach the machine's /etc: a tmpfs over the machine's if it has one,
/// else an overlay over /etc whose changes live in the world's /run.
/// Best effort: where neither can be mounted, `ns.etc_file` refuses.
fn private_etc_netns() {
    let plain = MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
    if std::path::Path::new("/etc/netns").is_dir() {
        let _ = mount(
            Some("tmpfs"),
            "/etc/netns",
            Some("tmpfs"),
            plain,
            Some("mode=0755"),
        );
        return;
    }
    let (upper, work) = ("/run/.etc/upper", "/run/.etc/work");
    if std::fs::create_dir_all(upper).is_err() || std::fs::create_dir_all(work).is_err() {
        return;
    }
    let options = format!("lowerdir=/etc,upperdir={upper},workdir={work}");
    if mount(
        Some("overlay"),
        "/etc",
        Some("overlay"),
        MsFlags::empty(),
        Some(options.as_str()),
    )
    .is_ok()
    {
        let _ = std::fs::create_dir("/etc/netns");
    }
}

/// What `ps` shows for the keeper: not the command line of the run that
/// made it, which would look like a script still running. The title is
/// written over that command line, as setproctitle(3) does.
fn retitle(title: &str) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return;
    };
    let Some(close) = stat.rfind(')') else {
        return;
    };
    // Fields 48 and 49 of /proc/PID/stat: where the arguments are.
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    let (Some(Ok(start)), Some(Ok(end))) = (
        fields.get(45).map(|f| f.parse::<usize>()),
        fields.get(46).map(|f| f.parse::<usize>()),
    ) else {
        return;
    };
    if end <= start + 1 {
        return;
    }
    let room = end - start - 1;
    let bytes = &title.as_bytes()[..title.len().min(room)];
    // SAFETY: [start, end) is this process's own argument area, mapped
    // and writable (it is on the initial stack); nothing reads it after.
    unsafe {
        let at = start as *mut u8;
        std::ptr::write_bytes(at, 0, room);
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), at, bytes.len());
    }
}

/// No descriptor of the maker's stays open in the keeper (a pipe would
/// keep `netscript ... | cat` from ending): 0, 1 and 2 are /dev/null.
fn quiet_fds() {
    // SAFETY: close_range(2) closes descriptors this process owns; then
    // /dev/null is opened three times, as 0, 1 and 2.
    unsafe {
        libc::syscall(libc::SYS_close_range, 0u32, u32::MAX, 0u32);
        for _ in 0..3 {
            libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        }
    }
}

/// Reap every orphan the world hands to its PID 1, for ever: SIGCHLD is
/// waited for, never handled (PID 1 of a namespace ignores every signal
/// it has no handler for; only SIGKILL from outside ends it).
fn reap_forever() -> ! {
    use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    let mut set = SigSet::empty();
    set.add(Signal::SIGCHLD);
    let _ = sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None);
    loop {
        while let Ok(status) = waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            if status == WaitStatus::StillAlive {
                break;
            }
        }
        let _ = set.wait();
    }
}
