//! What keeps network namespaces alive besides their names under
//! /run/netns: processes in them, descriptors open on them, and mounts of
//! them elsewhere. Teardown asks before it unmounts a lab's namespaces, so
//! that it neither waits for what will not go nor leaves what stays.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::os::unix::fs::MetadataExt;

use super::netns_fs::{NETNS_DIR, NsId, id_of, id_of_path, list, path};
use crate::error::Result;

/// Network namespaces that processes other than this one hold open (a
/// descriptor: `exec 9< /run/netns/NS`, a container runtime's). Each
/// descriptor is only read as a link, never followed (a file open on a
/// hung NFS or FUSE mount would hang a stat, and teardown with it): one
/// opened as /proc/PID/ns/net reads `net:[INODE]`; one opened through a
/// namespace's mount reads that mount's path, whose identity is known.
fn held_open(points: &HashMap<String, NsId>) -> Vec<NsId> {
    let Some(nsfs) = std::fs::metadata("/proc/self/ns/net").ok().map(|m| m.dev()) else {
        return Vec::new();
    };
    let me = std::process::id().to_string();
    let mut held = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let pid = entry.file_name();
        if pid
            .to_str()
            .is_none_or(|p| !p.bytes().all(|b| b.is_ascii_digit()) || p == me)
        {
            continue;
        }
        for fd in std::fs::read_dir(entry.path().join("fd"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let Some(target) = target.to_str() else {
                continue;
            };
            if let Some(ino) = target
                .strip_prefix("net:[")
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse().ok())
            {
                held.push((nsfs, ino));
            } else if let Some(id) = points.get(target) {
                held.push(*id);
            }
        }
    }
    held
}

/// Every network namespace mounted in this mount namespace, by where
/// (those under /run/netns too), with its identity.
fn mount_points() -> HashMap<String, NsId> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    text.lines()
        .filter(|l| {
            l.split(" - ")
                .nth(1)
                .is_some_and(|t| t.starts_with("nsfs "))
        })
        .filter_map(|l| l.split(' ').nth(4))
        .map(unescape_mount_path)
        .filter_map(|at| Some((at.clone(), id_of_path(&at)?)))
        .collect()
}

/// Those mounted elsewhere than /run/netns (a runtime's own directory,
/// `mount --bind`): the names under /run/netns are counted by name.
fn mounted_elsewhere(points: &HashMap<String, NsId>) -> Vec<NsId> {
    points
        .iter()
        .filter(|(at, _)| {
            std::path::Path::new(at).parent() != Some(std::path::Path::new(NETNS_DIR))
        })
        .map(|(_, id)| *id)
        .collect()
}

/// A mount point as /proc/self/mountinfo writes it (space, tab, newline
/// and backslash as octal escapes).
fn unescape_mount_path(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 4], 8)
        {
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What keeps namespaces alive besides their names: every name under
/// /run/netns by identity, and the identities processes live in. Taken once
/// before deleting many namespaces, so no deletion rescans /run/netns and
/// /proc (which made tearing down N namespaces cost N² lookups).
pub struct Holders {
    names: HashMap<NsId, Vec<String>>,
    occupied: HashSet<NsId>,
}

impl Holders {
    /// Names, processes, descriptors and mounts: for a teardown, once.
    pub fn scan() -> Holders {
        let mut holders = Holders::scan_processes();
        let points = mount_points();
        holders.occupied.extend(held_open(&points));
        holders.occupied.extend(mounted_elsewhere(&points));
        holders
    }

    /// Names and processes only: for one namespace a script deletes (a
    /// loop of deletions would read every descriptor of the machine each
    /// time; a namespace held by one only makes that call wait longer for
    /// its veths).
    pub fn scan_processes() -> Holders {
        let mut names: HashMap<NsId, Vec<String>> = HashMap::new();
        for name in list().unwrap_or_default() {
            if let Some(id) = id_of_path(&path(&name).to_string_lossy()) {
                names.entry(id).or_default().push(name);
            }
        }
        let occupied: HashSet<NsId> = process_namespaces().map(|(_, id)| id).collect();
        Holders { names, occupied }
    }

    /// Whether namespace `ns` stays alive when the names `going` are
    /// removed: processes live in it, or another name under /run/netns
    /// holds it.
    pub fn keep_alive(&self, ns: &File, going: &[&str]) -> bool {
        let Ok(id) = id_of(ns) else { return false };
        let other_name = self
            .names
            .get(&id)
            .is_some_and(|names| names.iter().any(|n| !going.contains(&n.as_str())));
        other_name || self.occupied.contains(&id)
    }
}

/// Every process and the identity of the network namespace it is in.
pub fn process_namespaces() -> impl Iterator<Item = (u32, NsId)> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((pid, id_of_path(&format!("/proc/{pid}/ns/net"))?))
        })
}

/// Processes whose network namespace is `ns`, like `ip netns pids NAME`.
pub fn pids_in(ns: &File) -> Result<Vec<u32>> {
    let id = id_of(ns)?;
    let mut pids: Vec<u32> = process_namespaces()
        .filter(|(_, of)| *of == id)
        .map(|(pid, _)| pid)
        .collect();
    pids.sort_unstable();
    Ok(pids)
}
