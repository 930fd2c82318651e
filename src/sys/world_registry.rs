//! The worlds directory: /run/netscript/worlds for root,
//! $XDG_RUNTIME_DIR/netscript/worlds for a plain user. One record per
//! world names its keeper (pid and start time, so a reused pid is never
//! taken for it); a lock file per name makes two runs asking for the same
//! new world share it.

use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::pidfd::start_time;
use super::world::{Keeper, keeper};
use crate::error::{Error, Kind, Result};

/// What the worlds directory says about one world.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    pid: u32,
    /// The keeper's start time (field 22 of /proc/PID/stat), which tells
    /// it from a later process given the same PID.
    start: u64,
    created: u64,
}

/// Where this user's worlds are recorded.
pub fn dir() -> PathBuf {
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from(crate::lab::STATE_DIR).join("worlds");
    }
    let uid = nix::unistd::geteuid().as_raw();
    match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(d) if std::fs::metadata(&d).is_ok_and(|m| m.is_dir() && m.uid() == uid) => {
            d.join("netscript").join("worlds")
        }
        _ => PathBuf::from(format!("/tmp/netscript-{uid}")).join("worlds"),
    }
}

/// A world's name is a short plain word: it names a file, and people type
/// it.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        return Ok(());
    }
    Err(Error::invalid(
        format!("use world name {name:?}"),
        "a world's name is 1 to 64 letters, digits, '.', '_' and '-', not starting with '.' or '-'",
    )
    .with_help("for example --sandbox=lab1"))
}

/// The worlds directory, made private to its user if missing; refused if
/// it is a symlink or someone else's (it says which processes to join).
fn ready_dir() -> Result<PathBuf> {
    let dir = dir();
    let action = format!("use the worlds directory {}", dir.display());
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(&dir)
        .map_err(|e| Error::from_io(&action, &e))?;
    let uid = nix::unistd::geteuid().as_raw();
    for d in [dir.as_path(), dir.parent().unwrap_or(&dir)] {
        let m = std::fs::symlink_metadata(d).map_err(|e| Error::from_io(&action, &e))?;
        if !m.is_dir() || m.uid() != uid {
            return Err(Error::new(
                Kind::Permission,
                action,
                format!("{} is not a directory of this user's", d.display()),
            )
            .with_help("remove it, or set XDG_RUNTIME_DIR to a directory of your own"));
        }
    }
    Ok(dir)
}

/// Whether `dir` is this user's own directory (not a symlink, not
/// someone else's: a record there names a process to signal).
fn owned(dir: &std::path::Path) -> bool {
    let uid = nix::unistd::geteuid().as_raw();
    std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir() && m.uid() == uid)
}

fn record_path(name: &str) -> PathBuf {
    dir().join(format!("{name}.json"))
}

/// The keeper of world `name` if it is alive; a record whose keeper is
/// gone is removed.
pub fn find(name: &str) -> Result<Option<Keeper>> {
    check_name(name)?;
    if !owned(&dir()) {
        return Ok(None);
    }
    let path = record_path(name);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let Ok(record) = serde_json::from_str::<Record>(&text) else {
        // Kept: its keeper may live on, and only the record says which
        // process it is.
        return Err(Error::invalid(
            format!("find world \"{name}\""),
            format!("its record {} is damaged", path.display()),
        )
        .with_help(format!(
            "its keeper shows as \"netscript world {name}\" in ps: kill it, then remove the record"
        )));
    };
    match keeper(record.pid, record.start) {
        Some(k) => Ok(Some(k)),
        None => {
            let _ = std::fs::remove_file(&path);
            Ok(None)
        }
    }
}

/// World `name`, made (persistent) if it does not exist yet; whether it
/// was made now. Two runs asking at once get the same world.
pub fn open_or_make(name: &str) -> Result<(Keeper, bool)> {
    check_name(name)?;
    let dir = ready_dir()?;
    let action = format!("make world \"{name}\"");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(dir.join(format!("{name}.lock")))
        .map_err(|e| Error::from_io(&action, &e))?;
    nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| Error::errno(&action, e as i32))
        .and_then(|_locked| {
            if let Some(k) = find(name)? {
                return Ok((k, false));
            }
            let k = super::world_make::make(name, true)?;
            let Some(start) = start_time(k.pid) else {
                k.kill();
                return Err(Error::new(Kind::Os, &action, "its keeper is gone"));
            };
            let record = Record {
                pid: k.pid,
                start,
                created: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
            };
            let tmp = dir.join(format!(".{name}.json.new"));
            let written = serde_json::to_string(&record)
                .map_err(std::io::Error::other)
                .and_then(|text| std::fs::write(&tmp, text))
                .and_then(|()| std::fs::rename(&tmp, record_path(name)));
            if let Err(e) = written {
                k.kill();
                let _ = std::fs::remove_file(&tmp);
                return Err(Error::from_io(&action, &e));
            }
            k.commit()?;
            Ok((k, true))
        })
}

/// The names of this user's worlds, sorted: those alive, and those
/// whose record is damaged (with why).
pub fn names() -> Vec<(String, Result<()>)> {
    let mut out: Vec<String> = std::fs::read_dir(dir())
        .map(|d| {
            d.flatten()
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.strip_suffix(".json").map(str::to_string)
                })
                .filter(|n| check_name(n).is_ok())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.into_iter()
        .filter_map(|n| match find(&n) {
            Ok(Some(_)) => Some((n, Ok(()))),
            Ok(None) => None,
            Err(e) => Some((n, Err(e))),
        })
        .collect()
}

/// When world `name` was made (Unix time), if it is recorded.
pub fn created(name: &str) -> Option<u64> {
    let text = std::fs::read_to_string(record_path(name)).ok()?;
    serde_json::from_str::<Record>(&text)
        .ok()
        .map(|r| r.created)
}

/// Remove world `name`: its keeper is killed, and with it every process
/// and namespace in the world. False if there was no such world.
pub fn remove(name: &str) -> Result<bool> {
    let Some(k) = find(name)? else {
        return Ok(false);
    };
    k.kill();
    // The lock file stays: another run may hold it (unlinking it would
    // give the next maker a lock of its own).
    let _ = std::fs::remove_file(record_path(name));
    Ok(true)
}
