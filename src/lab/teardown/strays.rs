//! Programs in the lab's own namespaces that no ledger line lists: what a
//! program the lab ran left behind (a daemon that forked, the children of
//! a shell killed with netscript). Each would keep its namespace alive,
//! unnamed and out of sight, after teardown: they are stopped first, like
//! `ip netns pids NS | xargs kill`, in namespaces the lab made only (not
//! in a container's it named).

use std::collections::HashMap;

use super::{Teardown, current_id, stop_process};
use crate::lab::{Object, process_start};
use crate::sys::netns_fs::{self, NsId};

pub(super) fn stop_strays(namespaces: &[&Object], done: &mut Teardown) {
    let made: HashMap<NsId, &str> = namespaces
        .iter()
        .filter_map(|o| match o {
            Object::Netns { name, id } if current_id(name) == Some(*id) => {
                Some((*id, name.as_str()))
            }
            _ => None,
        })
        .collect();
    if made.is_empty() {
        return;
    }
    let me = std::process::id();
    let strays: Vec<(u32, &str)> = netns_fs::process_namespaces()
        .filter(|(pid, _)| *pid != me)
        .filter_map(|(pid, id)| Some((pid, *made.get(&id)?)))
        .collect();
    for (pid, ns) in strays {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if let Some(start) = process_start(pid)
            && stop_process(pid, start)
        {
            done.removed
                .push(format!("process {pid} ({}) (in {ns})", comm.trim()));
        }
    }
}
