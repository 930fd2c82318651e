//! Named network namespaces, kept exactly as iproute2 keeps them: an empty
//! file under /run/netns with the namespace bind-mounted on it, and
//! /run/netns itself a shared mount so every mount namespace sees them.

use std::fs::{File, OpenOptions};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::{CloneFlags, setns, unshare};

use crate::error::{Error, Kind, Result};

pub const NETNS_DIR: &str = "/run/netns";
const NSFS_MAGIC: i64 = 0x6e73_6673;

/// Identity of a namespace: the (device, inode) pair of its nsfs file.
pub type NsId = (u64, u64);

pub fn path(name: &str) -> PathBuf {
    PathBuf::from(NETNS_DIR).join(name)
}

/// The rules `ip netns add` applies to a name, plus "host", which netscript
/// uses for the namespace it started in.
pub fn validate_name(name: &str) -> Result<()> {
    validate_name_of(name).map_err(|e| e.about(name))
}

fn validate_name_of(name: &str) -> Result<()> {
    let action = format!("use \"{name}\" as a namespace name");
    if name.is_empty() {
        return Err(Error::invalid(action, "the name is empty"));
    }
    if name.starts_with('.') || name.contains('/') || name.contains('\0') {
        return Err(Error::invalid(
            action,
            "a name cannot contain '/' or NUL, or start with '.'",
        ));
    }
    if name.len() >= 255 {
        return Err(Error::invalid(action, "the name is longer than 254 bytes"));
    }
    if name == "host" {
        return Err(
            Error::invalid(action, "\"host\" names the namespace netscript started in")
                .with_help("pick another name; netns::host() is the starting namespace"),
        );
    }
    Ok(())
}

/// Whether /run/netns has an entry of that name (usable or stale), as
/// `ip netns list` would show it.
pub fn exists(name: &str) -> bool {
    validate_name(name).is_ok() && std::fs::symlink_metadata(path(name)).is_ok()
}

/// Names in /run/netns, in directory order: the order `ip netns list` prints.
pub fn list() -> Result<Vec<String>> {
    let entries = match std::fs::read_dir(NETNS_DIR) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::from_io("list namespaces in /run/netns", &e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::from_io("list namespaces in /run/netns", &e))?;
        if let Some(name) = entry.file_name().to_str() {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

/// Open a named namespace, checking that the file really holds one (a
/// leftover empty file from a failed `ip netns add` does not).
pub fn open(name: &str) -> Result<File> {
    open_checked(name).map_err(|e| e.about(name))
}

fn open_checked(name: &str) -> Result<File> {
    validate_name(name)?;
    let action = format!("open namespace \"{name}\"");
    let file = File::open(path(name)).map_err(|e| match e.raw_os_error() {
        Some(libc::ENOENT) if exists(name) => Error::invalid(
            action.clone(),
            format!("{} is a dangling link", path(name).display()),
        )
        .with_help(format!(
            "a stale entry: remove it with netns::del(\"{name}\")"
        )),
        Some(libc::ENOENT) => Error::not_found(action.clone(), "no such namespace")
            .with_help("create it with netns::add, or list them with netns::list()"),
        _ => Error::from_io(action.clone(), &e),
    })?;
    let fs = nix::sys::statfs::fstatfs(file.as_fd())
        .map_err(|e| Error::errno(action.clone(), e as i32))?;
    if fs.filesystem_type().0 as i64 != NSFS_MAGIC {
        return Err(Error::invalid(
            action,
            format!("{} is not a mounted namespace", path(name).display()),
        )
        .with_help(format!(
            "a stale file: remove it with netns::del(\"{name}\")"
        )));
    }
    Ok(file)
}

/// The identity of namespace `name` with one stat(2) of its entry (which
/// sees the namespace mounted there), or None when the entry is missing or
/// holds no namespace. Cheap enough to check before every request.
pub fn id_of_name(name: &str) -> Option<NsId> {
    validate_name(name).ok()?;
    let id = id_of_path(&path(name).to_string_lossy())?;
    (Some(id.0) == nsfs_device()).then_some(id)
}

/// The device of the nsfs file system, which every namespace file is on.
fn nsfs_device() -> Option<u64> {
    static DEVICE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    if let Some(dev) = DEVICE.get() {
        return Some(*dev);
    }
    let (dev, _) = id_of_path("/proc/self/ns/net")?;
    Some(*DEVICE.get_or_init(|| dev))
}

pub fn id_of(file: &File) -> Result<NsId> {
    let meta = file
        .metadata()
        .map_err(|e| Error::from_io("inspect a namespace", &e))?;
    Ok((meta.dev(), meta.ino()))
}

/// The namespace of the calling thread.
pub fn current() -> Result<File> {
    File::open("/proc/thread-self/ns/net")
        .map_err(|e| Error::from_io("open the current namespace", &e))
}

/// Run `f` on a short-lived thread that has entered namespace `ns`.
pub fn run_in<T: Send>(ns: &File, f: impl FnOnce() -> T + Send) -> Result<T> {
    std::thread::scope(|s| {
        s.spawn(|| {
            setns(ns.as_fd(), CloneFlags::CLONE_NEWNET)
                .map_err(|e| Error::errno("enter a network namespace", e as i32))?;
            Ok(f())
        })
        .join()
        .expect("namespace thread panicked")
    })
}

/// Create namespace `name` like `ip netns add`: the namespace `spare`
/// gives if it gives one (made ahead, with what was made inside it: see
/// netns_spare), else one made on a short-lived thread that runs `f`
/// inside it. `record` is told its identity before it gets its name, so a
/// run killed at any point has recorded every namespace it named; if
/// `record` fails, nothing is named. Returns the namespace file and what
/// was made inside.
pub fn create<T: Send>(
    name: &str,
    spare: impl FnOnce() -> Option<(File, T)>,
    f: impl FnOnce() -> T + Send,
    record: impl FnOnce(NsId) -> Result<()>,
) -> Result<(File, T)> {
    validate_name(name)?;
    let action = format!("create namespace \"{name}\"");
    prepare_dir().map_err(|e| Error {
        action: action.clone(),
        ..e
    })?;
    let (ns, made) = match spare() {
        Some(spare) => spare,
        None => unnamed(&action, f)?,
    };
    record(id_of(&ns)?)?;
    let source = format!("/proc/self/fd/{}", ns.as_raw_fd());
    Ok((name_it(name, &action, &source)?, made))
}

/// Mount the namespace file `source` on a new entry `name` and open it;
/// on failure, no entry is left.
fn name_it(name: &str, action: &str, source: &str) -> Result<File> {
    let target = new_entry(name, action)?;
    let mounted = mount(
        Some(source),
        &target,
        Some("none"),
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| Error::errno(action, e as i32));
    match mounted.and_then(|()| open(name)) {
        Ok(file) => Ok(file),
        Err(e) => {
            let _ = umount2(&target, MntFlags::MNT_DETACH | MntFlags::UMOUNT_NOFOLLOW);
            let _ = std::fs::remove_file(&target);
            Err(e)
        }
    }
}

/// A new namespace with no name yet, made on a short-lived thread that
/// runs `f` inside it.
fn unnamed<T: Send>(action: &str, f: impl FnOnce() -> T + Send) -> Result<(File, T)> {
    std::thread::scope(|s| {
        s.spawn(|| -> Result<(File, T)> {
            unshare(CloneFlags::CLONE_NEWNET).map_err(|e| {
                let err = Error::errno(action, e as i32);
                if e == nix::errno::Errno::ENOSPC {
                    err.with_help(
                        "the kernel's limit on network namespaces is reached \
                         (sysctl user.max_net_namespaces; while it makes \
                         namespaces, netscript holds one more, made ahead)",
                    )
                } else {
                    err
                }
            })?;
            let ns = current()?;
            Ok((ns, f()))
        })
        .join()
        .expect("namespace thread panicked")
    })
}

/// Whether `/run/netns/NAME` is a stale entry: a file with no namespace
/// mounted on it (left by a creation that was killed half-way).
pub fn is_stale(name: &str) -> bool {
    validate_name(name).is_ok()
        && std::fs::symlink_metadata(path(name)).is_ok_and(|m| m.file_type().is_file())
        && id_of_path(&path(name).to_string_lossy())
            .is_none_or(|(dev, _)| Some(dev) != nsfs_device())
}

/// The empty file a namespace is mounted on; fails if the name is taken.
fn new_entry(name: &str, action: &str) -> Result<PathBuf> {
    let action = action.to_string();
    let target = path(name);
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o000)
        .open(&target)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::EEXIST) if open(name).is_err() => Error::errno(action.clone(), libc::EEXIST)
                .with_help(format!(
                    "it is a stale entry, not a namespace: remove it with netns::del(\"{name}\")"
                )),
            Some(libc::EEXIST) => Error::errno(action.clone(), libc::EEXIST).with_help(format!(
                "use netns::ensure(\"{name}\") to reuse it, or delete it first"
            )),
            _ => Error::from_io(action.clone(), &e),
        })
        .map_err(|e| e.about(name))?;
    Ok(target)
}

/// Name the network namespace of process `pid`, like `ip netns attach`:
/// a bind mount, which keeps the namespace usable even if the process
/// exits (a symlink to /proc/PID/ns/net would dangle).
pub fn attach(name: &str, pid: u32) -> Result<File> {
    validate_name(name)?;
    let action = format!("attach the namespace of process {pid} as \"{name}\"");
    crate::sys::privileges::unconfined(&action)?;
    let source = format!("/proc/{pid}/ns/net");
    if std::fs::symlink_metadata(&source).is_err() {
        let help = if crate::sys::world::current().is_some() {
            "a sandbox sees only its own processes: it cannot reach a namespace outside it \
             (docs/safety.md); run the lab on the machine to attach one"
        } else {
            "check the PID, e.g. with container::pid(NAME) or `pidof`"
        };
        return Err(
            Error::not_found(action, format!("there is no process {pid}"))
                .with_help(help)
                .about(pid.to_string()),
        );
    }
    prepare_dir().map_err(|e| Error {
        action: action.clone(),
        ..e
    })?;
    name_it(name, &action, &source)
}

pub(super) fn id_of_path(path: &str) -> Option<NsId> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// The network namespace process `pid` is in.
pub fn net_of(pid: u32) -> Option<NsId> {
    id_of_path(&format!("/proc/{pid}/ns/net"))
}

/// The name under /run/netns of the network namespace process `pid` is
/// in, like `ip netns identify PID`.
pub fn identify(pid: u32) -> Result<Option<String>> {
    let Some(id) = id_of_path(&format!("/proc/{pid}/ns/net")) else {
        return Err(Error::not_found(
            format!("identify the namespace of process {pid}"),
            format!("there is no process {pid}"),
        ));
    };
    Ok(list()?
        .into_iter()
        .find(|name| id_of_path(&path(name).to_string_lossy()) == Some(id)))
}

/// Remove a named namespace like `ip netns del`: unmount and unlink. The
/// kernel frees it once nothing else holds it.
pub fn delete(name: &str) -> Result<()> {
    validate_name(name)?;
    let action = format!("delete namespace \"{name}\"");
    let target = path(name);
    let meta = std::fs::symlink_metadata(&target)
        .map_err(|_| Error::not_found(action.clone(), "no such namespace").about(name))?;
    // Never follow a link: unmounting its target could detach anything.
    if meta.file_type().is_file() {
        let _ = umount2(&target, MntFlags::MNT_DETACH | MntFlags::UMOUNT_NOFOLLOW);
    }
    std::fs::remove_file(&target).map_err(|e| Error::from_io(action, &e))
}

static DIR_READY: AtomicBool = AtomicBool::new(false);

/// Make /run/netns exist and be a shared mount, as iproute2 does, so
/// namespaces mounted there are visible from every mount namespace.
fn prepare_dir() -> Result<()> {
    if DIR_READY.load(Ordering::Relaxed) {
        return Ok(());
    }
    let action = "prepare /run/netns";
    // A symlink there would send every namespace's mount elsewhere.
    if std::fs::symlink_metadata(NETNS_DIR).is_ok_and(|m| !m.file_type().is_dir()) {
        return Err(
            Error::invalid(action, format!("{NETNS_DIR} is not a directory")).with_help(
                "namespaces are mounted there: remove what is in its place (a symlink?)",
            ),
        );
    }
    match std::fs::create_dir_all(NETNS_DIR) {
        Ok(()) => {}
        Err(e) => return Err(Error::from_io(action, &e)),
    }
    let shared = || {
        mount(
            None::<&str>,
            NETNS_DIR,
            Some("none"),
            MsFlags::MS_SHARED | MsFlags::MS_REC,
            None::<&str>,
        )
    };
    if let Err(err) = shared() {
        if err != nix::errno::Errno::EINVAL {
            return Err(Error::errno(action, err as i32));
        }
        mount(
            Some(NETNS_DIR),
            NETNS_DIR,
            Some("none"),
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
        .map_err(|e| Error::errno(action, e as i32))?;
        shared().map_err(|e| Error::errno(action, e as i32))?;
    }
    DIR_READY.store(true, Ordering::Relaxed);
    Ok(())
}

/// Whether an error means the namespace is missing, for callers that treat
/// a missing namespace as a normal answer.
pub fn is_missing(e: &Error) -> bool {
    e.kind == Kind::NotFound
}
