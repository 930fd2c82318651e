//! One run per lab name: a run holds an exclusive `flock` on
//! /run/netscript/LAB.lock for its whole life (the kernel lets go of it
//! when the process ends, even by SIGKILL), with what holds it written
//! inside (its pid and start time, and whether it builds or takes down)
//! for the message another run gives and for `down` to stop a builder.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

use super::STATE_DIR;
use crate::error::{Error, Kind, Result};

/// What a lock is held for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A run that builds the lab (`down` may stop it).
    Build,
    /// `netscript down` taking the lab down (left to finish).
    Down,
}

/// The process that holds a lab's lock, as its lock file says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub start: u64,
    pub role: Role,
}

impl Holder {
    /// Stop a builder (SIGTERM: it rolls back and ends) if it is still
    /// the process that took the lock: never a later one given its PID.
    pub fn stop(&self) -> bool {
        crate::sys::pidfd::Held::of(self.pid, self.start).is_some_and(|p| p.signal(libc::SIGTERM))
    }
}

/// The lock of one lab, held until dropped.
#[derive(Debug)]
pub struct LabLock {
    file: File,
    path: PathBuf,
}

fn lock_path(name: &str) -> PathBuf {
    PathBuf::from(STATE_DIR).join(format!("{name}.lock"))
}

/// /run/netscript, made if missing; refused if it is not a directory of
/// its own (a symlink could send the ledgers anywhere).
pub fn state_dir() -> Result<()> {
    let action = format!("use {STATE_DIR}");
    match std::fs::symlink_metadata(STATE_DIR) {
        Ok(m) if m.file_type().is_dir() => Ok(()),
        Ok(_) => Err(Error::invalid(action, "it is not a directory")
            .with_help("netscript keeps its ledgers there: remove what is in its place")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(STATE_DIR).map_err(|e| unusable(&action, &e))
        }
        Err(e) => Err(unusable(&action, &e)),
    }
}

pub(super) fn unusable(action: &str, e: &std::io::Error) -> Error {
    Error::from_io(action, e).with_help(format!(
        "netscript records every lab it builds under {STATE_DIR}, so that it can be \
         removed: make it writable, or run in a sandbox (netscript --sandbox)"
    ))
}

impl LabLock {
    /// Take the lock of lab `name`, or fail at once saying which run
    /// holds it; with `wait`, wait for that run to end (a signal stops
    /// the wait).
    pub fn take(name: &str, wait: bool, role: Role) -> Result<LabLock> {
        state_dir()?;
        let path = lock_path(name);
        let action = format!("lock lab \"{name}\"");
        let mut said = false;
        loop {
            let mut file = open(&path, true).map_err(|e| unusable(&action, &e))?;
            if !lock(&file, true).map_err(|e| unusable(&action, &e))? {
                // A holder that has just taken the lock writes itself in
                // a moment later: wait for it a little, to name it.
                let mut holder = holder_in(&mut file);
                for _ in 0..20 {
                    if holder.is_some() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    holder = holder_in(&mut file);
                }
                let who = match holder {
                    Some(h) if h.role == Role::Down => format!("netscript down (pid {})", h.pid),
                    Some(h) => format!("another netscript run (pid {})", h.pid),
                    None => "another netscript run".to_string(),
                };
                if wait && !crate::interrupt::requested() {
                    if !said {
                        let run = match holder {
                            Some(h) if h.role == Role::Build => format!("run {}", h.pid),
                            _ => who.clone(),
                        };
                        crate::say!("netscript: waiting for {run} of lab \"{name}\" to end");
                        said = true;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    continue;
                }
                let doing = if who.starts_with("netscript down") {
                    "taking it down"
                } else {
                    "building it"
                };
                return Err(
                    Error::new(Kind::Busy, action, format!("{who} is {doing}")).with_help(format!(
                        "wait for it with --wait, run this one with --lab NAME, or stop it: \
                     netscript down {name}"
                    )),
                );
            }
            // The last holder may have removed the file between our open
            // and our lock: then lock the one that is there now.
            let same = std::fs::symlink_metadata(&path)
                .is_ok_and(|m| m.ino() == file.metadata().map_or(0, |f| f.ino()));
            if !same {
                continue;
            }
            let me = std::process::id();
            let start = crate::sys::pidfd::start_time(me).unwrap_or_default();
            let role = match role {
                Role::Build => "build",
                Role::Down => "down",
            };
            let _ = file.set_len(0);
            let _ = file.write_all(format!("{me} {start} {role}\n").as_bytes());
            return Ok(LabLock { file, path });
        }
    }

    /// What holds lab `name`'s lock now, if something does and has
    /// written itself in.
    pub fn holder(name: &str) -> Option<Holder> {
        let mut file = open(&lock_path(name), false).ok()?;
        match lock(&file, false) {
            Ok(false) => holder_in(&mut file),
            _ => None,
        }
    }
}

impl Drop for LabLock {
    fn drop(&mut self) {
        // Removed while still held: a run waiting on this file sees that
        // it is gone and locks the next one.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.flush();
    }
}

/// A lock file: never through a symlink, and only a regular file (not a
/// FIFO or device someone put in its place).
fn open(path: &PathBuf, create: bool) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.file_type().is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok(file)
}

/// `flock` without waiting: whether it was taken (exclusive, or shared
/// when only looking).
fn lock(file: &File, exclusive: bool) -> std::io::Result<bool> {
    let how = if exclusive {
        libc::LOCK_EX
    } else {
        libc::LOCK_SH
    };
    // SAFETY: flock on a file descriptor this File owns.
    if unsafe { libc::flock(file.as_raw_fd(), how | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

/// "PID START ROLE", as `take` writes it; nothing for a file not written
/// yet (or by an older netscript: a bare pid, without the start time that
/// makes signalling it safe).
fn holder_in(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    let _ = file.rewind();
    let _ = file.read_to_string(&mut text);
    let mut words = text.split_whitespace();
    let pid: u32 = words.next()?.parse().ok().filter(|p| *p > 1)?;
    let start: u64 = words.next()?.parse().ok()?;
    let role = match words.next()? {
        "build" => Role::Build,
        "down" => Role::Down,
        _ => return None,
    };
    Some(Holder { pid, start, role })
}
