//! Reading a ledger back: its header, then each object added or removed,
//! replayed in order (an intent stays pending until the record of what
//! was made, or its cancel, follows). A line that cannot be read, or a record that does
//! not say which namespace it is in by identity, is reported as damage and
//! left out: `down` removes only what it can identify with certainty.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;

use super::{Change, Header, Ledger, Line, Object, STATE_DIR, ledger_path};
use crate::error::{Error, Result};

pub fn parse(name: &str, text: &str) -> Ledger {
    parse_bytes(name, text.as_bytes())
}

/// A ledger as bytes: a line that is not UTF-8 is one damaged line, not a
/// ledger that cannot be read at all.
pub fn parse_bytes(name: &str, bytes: &[u8]) -> Ledger {
    let mut damaged = Vec::new();
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let cut_tail = !bytes.is_empty() && !bytes.ends_with(b"\n");
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let count = lines.len();
    let mut records = lines.into_iter().enumerate();
    let mut first_record = None;
    let header = match records.next() {
        None => {
            damaged.push("line 1: the ledger is empty".to_string());
            Header::default()
        }
        Some((_, line)) => {
            let line = std::str::from_utf8(line).unwrap_or_default();
            if serde_json::from_str::<Line>(line).is_ok() {
                // The header is gone: this is the first record.
                damaged.push("line 1: a record where the header should be".to_string());
                first_record = Some((0, line.as_bytes()));
                Header::default()
            } else {
                serde_json::from_str(line).unwrap_or_else(|_| {
                    damaged.push("line 1: not a ledger header".to_string());
                    Header::default()
                })
            }
        }
    };
    let mut objects: Vec<Object> = Vec::new();
    let mut pending: Vec<Object> = Vec::new();
    for (i, line) in first_record.into_iter().chain(records) {
        let n = i + 1;
        let Ok(line) = std::str::from_utf8(line) else {
            damaged.push(format!("line {n}: not text (a byte that is not UTF-8)"));
            continue;
        };
        let Ok(Line { op, obj }) = serde_json::from_str::<Line>(line) else {
            damaged.push(if cut_tail && n == count {
                format!("line {n}: cut short (the file ends in the middle of a record)")
            } else {
                format!("line {n}: not a ledger record")
            });
            continue;
        };
        if let Some(why) = unidentified(&obj)
            .map(str::to_string)
            .or_else(|| out_of_bounds(name, &obj))
        {
            damaged.push(format!("line {n}: {} {why}", obj.describe()));
            continue;
        }
        match op {
            Change::Add => {
                pending.retain(|intent| !obj.fulfils(intent));
                objects.push(obj);
            }
            // The very record when it is there (a moved link's old record
            // is removed after its new one is written, both at one place
            // for a rename); else what is at its place.
            Change::Del => match objects.iter().position(|o| *o == obj) {
                Some(at) => {
                    objects.remove(at);
                }
                None => objects.retain(|o| !o.same(&obj)),
            },
            Change::Intent => pending.push(obj),
            Change::Cancel => pending.retain(|intent| *intent != obj),
        }
    }
    Ledger {
        name: name.to_string(),
        script: header.script,
        created: header.created,
        pid: header.pid,
        objects,
        pending,
        damaged,
    }
}

/// Why a record cannot be acted on with certainty, if it cannot: one that
/// does not name its namespace's identity could name anything of that name.
fn unidentified(o: &Object) -> Option<&'static str> {
    let no_identity = matches!(o, Object::Link { ns_id: None, .. })
        || o.setting_ns().is_some_and(|(_, id)| id.is_none());
    match o {
        _ if no_identity => Some("has no namespace identity (netscript always writes one)"),
        Object::Link { peer: Some(p), .. } if p.ns_id.is_none() => {
            Some("names its other end without its namespace identity")
        }
        _ => None,
    }
}

/// Why a record names something netscript never makes, if it does: a
/// record that could only come from damage or forgery is not acted on
/// (teardown would otherwise delete a file of the machine, sweep the
/// programs of the namespace netscript runs in, or drop another table).
fn out_of_bounds(lab: &str, o: &Object) -> Option<String> {
    match o {
        Object::Netns { name, .. } | Object::Attached { name, .. } => {
            crate::sys::netns_fs::validate_name(name)
                .err()
                .map(|_| "names a namespace netscript cannot make".to_string())
        }
        Object::Process { pid, .. } if *pid <= 1 => Some("names process 1 or none".into()),
        Object::File { path, dirs } => {
            let ok = file_in_bounds(lab, path) && dirs.iter().all(|d| dir_in_bounds(lab, path, d));
            (!ok).then(|| "is outside the lab's own directory and /etc/netns/NAMESPACE".to_string())
        }
        // A record without the run's mark is an older netscript's, whose
        // teardown deletes the table of the lab's name as it always did.
        Object::NftTable { table, .. } => (*table != crate::lab::ops::table_of(lab)).then(|| {
            format!(
                "is not this lab's table ({})",
                crate::lab::ops::table_of(lab)
            )
        }),
        _ => None,
    }
}

/// The lab's own directory of files, as `Lab::files_dir` names it.
fn files_dir(lab: &str) -> String {
    super::names::files_dir(lab).display().to_string()
}

/// A path netscript writes for lab `lab`: a plain name in its own
/// directory, or in /etc/netns/NS of a namespace name.
fn file_in_bounds(lab: &str, path: &str) -> bool {
    let p = std::path::Path::new(path);
    let (Some(dir), Some(file)) = (p.parent(), p.file_name().and_then(|f| f.to_str())) else {
        return false;
    };
    let plain = |s: &str| !s.is_empty() && s != "." && s != ".." && !s.contains('/');
    if !plain(file) || p.to_str() != Some(&format!("{}/{file}", dir.display())) {
        return false;
    }
    let dir = dir.to_str().unwrap_or_default();
    dir == files_dir(lab)
        || dir
            .strip_prefix("/etc/netns/")
            .is_some_and(|ns| plain(ns) && crate::sys::netns_fs::validate_name(ns).is_ok())
}

/// A directory made for `path`: one of those above it that netscript may
/// make (the lab's directory, /etc/netns, /etc/netns/NS).
fn dir_in_bounds(lab: &str, path: &str, dir: &str) -> bool {
    let parent = std::path::Path::new(path).parent().and_then(|d| d.to_str());
    (dir == files_dir(lab) || dir == "/etc/netns" || parent == Some(dir))
        && path.starts_with(&format!("{dir}/"))
}

/// Read a lab's ledger, replaying additions and removals.
pub fn load(name: &str) -> Result<Option<Ledger>> {
    let path = ledger_path(name);
    let action = format!("read the ledger of lab \"{name}\"");
    let text = match read_regular(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(
                Error::invalid(action, format!("{} is a symlink", path.display()))
                    .with_help("netscript writes its ledgers itself: remove what is in its place"),
            );
        }
        Err(e) => return Err(Error::from_io(action, &e)),
    };
    Ok(Some(parse_bytes(name, &text)))
}

/// The text of a regular file, never through a symlink and never waiting
/// on a FIFO (a ledger someone replaced with one would hang `down`).
fn read_regular(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.file_type().is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not a regular file",
        ));
    }
    let mut text = Vec::new();
    file.read_to_end(&mut text)?;
    Ok(text)
}

/// Every lab with a ledger that can be read, by name.
pub fn all() -> Vec<Ledger> {
    names()
        .into_iter()
        .filter_map(|n| load(&n).ok().flatten())
        .collect()
}

/// The labs whose ledger cannot be read at all, with why (`ls` says so
/// instead of leaving them out).
pub fn unreadable() -> Vec<(String, Error)> {
    names()
        .into_iter()
        .filter_map(|n| load(&n).err().map(|e| (n, e)))
        .collect()
}

/// The names of the ledgers under /run/netscript, sorted.
pub fn names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(STATE_DIR)
        .map(|d| {
            d.flatten()
                .filter_map(|e| {
                    e.file_name()
                        .to_str()?
                        .strip_suffix(".json")
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
