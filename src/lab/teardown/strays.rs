//! Programs in the lab's own namespaces that no ledger line lists: what a
//! program the lab ran left behind (a daemon that forked, the children of
//! a shell killed with netscript). Each would keep its namespace alive,
//! unnamed and out of sight, after teardown: they are stopped first, like
//! `ip netns pids NS | xargs kill`, in namespaces the lab made only (not
//! in a container's it named).

use std::collections::HashMap;

use super::{Teardown, current_id, stop};
use crate::lab::Object;
use crate::sys::netns_fs::{self, NsId};
use crate::sys::pidfd::{Held, start_time};

pub(super) fn stop_strays(namespaces: &[&Object], done: &mut Teardown) {
    let mut made: HashMap<NsId, &str> = namespaces
        .iter()
        .filter_map(|o| match o {
            Object::Netns { name, id } if current_id(name) == Some(*id) => {
                Some((*id, name.as_str()))
            }
            _ => None,
        })
        .collect();
    // Never the namespace netscript runs in, nor the machine's (pid 1's):
    // a ledger could only name them by damage or forgery.
    for pid in [std::process::id(), 1] {
        if let Some(id) = netns_fs::net_of(pid) {
            made.remove(&id);
        }
    }
    if made.is_empty() {
        return;
    }
    let me = std::process::id();
    let strays: Vec<(u32, NsId)> = crate::sys::netns_holders::process_namespaces()
        .filter(|(pid, id)| *pid != me && made.contains_key(id))
        .collect();
    for (pid, id) in strays {
        // Held by a pidfd, then checked again: a stray that ended since the
        // scan, and a later process given its PID, is left alone.
        let Some(p) = start_time(pid).and_then(|start| Held::of(pid, start)) else {
            continue;
        };
        if netns_fs::net_of(pid) != Some(id) {
            continue;
        }
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        stop(&p);
        done.removed.push(format!(
            "process {pid} ({}) (in {})",
            comm.trim(),
            made[&id]
        ));
    }
}

/// What the lab's recorded programs started and left in their process
/// groups (`sh -c 'daemon &'` in the host, its shell gone): every process
/// of such a group that started no earlier than the program that leads
/// it, wherever it is. A process is its group's only after it has joined
/// it, and a group's number is the leader's PID, so a process that started
/// before the leader is no member of the lab's group.
pub(super) fn stop_group_leftovers(processes: &[&Object], done: &mut Teardown) {
    let leaders: HashMap<u32, u64> = processes
        .iter()
        .filter_map(|o| match o {
            Object::Process { pid, start, .. } if *pid > 1 => Some((*pid, *start)),
            _ => None,
        })
        .collect();
    if leaders.is_empty() {
        return;
    }
    let me = std::process::id();
    let own_group = nix::unistd::getpgrp().as_raw() as u32;
    let members: Vec<(u32, u64, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me && *pid > 1)
        .filter_map(|pid| {
            let group: u32 = crate::sys::pidfd::stat_field(pid, 2)?.parse().ok()?;
            let start = start_time(pid)?;
            let leader_start = *leaders.get(&group)?;
            (group != own_group && start >= leader_start).then_some((pid, start, group))
        })
        .collect();
    for (pid, start, group) in members {
        let Some(p) = Held::of(pid, start) else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        stop(&p);
        done.removed.push(format!(
            "process {pid} ({}) (of the group of {group})",
            comm.trim()
        ));
    }
}
