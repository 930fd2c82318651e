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

/// What the lab's spawned programs started and left in their process
/// groups (`sh -c 'daemon &'` in the host, the shell gone): the processes
/// of such a group, in the session the program had, that started no
/// earlier than it. Only while the program's PID is free: a group's
/// number is its leader's PID, which the kernel gives no other process
/// while the group has members; a PID reused by another process means
/// the lab's group is gone (and that process's group is not the lab's).
pub(super) fn stop_group_leftovers(processes: &[&Object], done: &mut Teardown) {
    let leaders: HashMap<u32, (u64, u32)> = processes
        .iter()
        .filter_map(|o| match o {
            Object::Process {
                pid,
                start,
                session: Some(session),
                ..
            } if *pid > 1 && start_time(*pid).is_none() => Some((*pid, (*start, *session))),
            _ => None,
        })
        .collect();
    if leaders.is_empty() {
        return;
    }
    let me = std::process::id();
    let own_group = nix::unistd::getpgrp().as_raw() as u32;
    let field =
        |pid: u32, n: usize| -> Option<u32> { crate::sys::pidfd::stat_field(pid, n)?.parse().ok() };
    let members: Vec<(u32, u64, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me && *pid > 1)
        .filter_map(|pid| {
            let group = field(pid, 2)?;
            let (leader_start, session) = *leaders.get(&group)?;
            let start = start_time(pid)?;
            (group != own_group && field(pid, 3)? == session && start >= leader_start)
                .then_some((pid, start, group))
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
