//! Undoing a lab: exactly the objects its ledger lists, newest first, in
//! phases planned before anything is touched (`plan`): processes, then
//! addresses and routes on other links, then links that go on their own,
//! then namespaces (all unmounted in one batch, their links and the veths
//! into them going with them), then the bridges outside them — skipping
//! (with a warning) whatever is already gone or is no longer the object
//! the lab made.

mod pending;
mod plan;
mod restore;
mod settings;
mod strays;

use std::collections::HashSet;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use plan::{Current, Now, Plan};

use super::{Ledger, Object};
use crate::netlink::{LinkKind, Netlink};
use crate::ns::Ns;
use crate::sys::netns_fs::{self, NsId};
use crate::sys::pidfd::Held;
use settings::{Skip, gone, undo_setting};

/// What a teardown did.
#[derive(Debug, Default)]
pub struct Teardown {
    pub removed: Vec<String>,
    /// What had gone already, or is no longer what the lab made.
    pub skipped: Vec<String>,
    /// What could not be removed: it is still there.
    pub failed: Vec<String>,
    /// Programs the lab started that had ended on their own (nothing to
    /// do; said with -v).
    pub ended: Vec<String>,
}

fn current_id(ns: &str) -> Option<NsId> {
    Ns::named(ns).id()
}

/// Whether `ns` (by name) is still the namespace recorded as `id`.
fn same_ns(ns: &str, id: Option<NsId>) -> bool {
    Now.same_ns(ns, id)
}

/// Remove what a ledger lists, once what its run was making when it
/// ended is settled with the kernel (`pending`).
pub fn teardown_ledger(net: &Netlink, ledger: &Ledger) -> Teardown {
    teardown_settling(net, &ledger.name, &ledger.objects, &ledger.pending)
}

/// Remove `objects`, once the intents among `pending` are settled with
/// the kernel (a rollback's own, or a killed run's).
pub fn teardown_settling(
    net: &Netlink,
    lab: &str,
    objects: &[Object],
    pending: &[Object],
) -> Teardown {
    let mut done = Teardown::default();
    let mut objects = objects.to_vec();
    objects.extend(pending::settle(net, pending, &mut done));
    let rest = teardown(net, lab, &objects);
    done.removed.extend(rest.removed);
    done.skipped.extend(rest.skipped);
    done.failed.extend(rest.failed);
    done.ended.extend(rest.ended);
    done
}

/// Remove what `objects` lists, phase by phase (see `Plan`).
pub fn teardown(net: &Netlink, lab: &str, objects: &[Object]) -> Teardown {
    let plan = Plan::of(objects, &Now);
    // Settings of the machine that other labs that are up changed too.
    let others = if plan
        .settings
        .iter()
        .any(|o| matches!(o, Object::Sysctl { .. } | Object::Was { .. }))
    {
        super::shared::of_other_labs(lab)
    } else {
        Vec::new()
    };
    let mut done = Teardown::default();
    stop_processes(&plan, &mut done);
    strays::stop_group_leftovers(&plan.processes, &mut done);
    strays::stop_strays(&plan.namespaces, &mut done);
    let later = restore::undo_settings(net, &plan, &others, &mut done);
    remove_alone(net, &plan, &mut done);
    let gone = unmount_namespaces(net, &plan, objects, &mut done);
    let going = remove_crossing(net, &plan, &gone, &mut done);
    for o in &plan.bridges {
        note(&mut done, o, remove_link(net, o));
    }
    after_the_kernel(net, &plan, &gone, going, &mut done);
    for o in later {
        note(&mut done, o, restore::undo(net, &others, o));
    }
    for o in &plan.files {
        note(&mut done, o, remove_file(o));
    }
    // Then the directories made for them, innermost first: one of them is
    // the lab's own, which other files are in.
    for o in plan.files.iter().rev() {
        remove_dirs(o);
    }
    done
}

/// Remove a file the lab wrote (its directories go after all files).
fn remove_file(o: &Object) -> Result<(), Skip> {
    let Object::File { path, .. } = o else {
        return Ok(());
    };
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(gone("it is already gone")),
        Err(e) => Err(Skip::Failed(e.to_string())),
    }
}

/// Remove the directories made for a file the lab wrote, if empty (the
/// lab's own directory with all in it: sockets and pid files its programs
/// left are the lab's too).
fn remove_dirs(o: &Object) {
    let Object::File { dirs, .. } = o else {
        return;
    };
    for dir in dirs.iter().rev() {
        if crate::lab::is_files_dir(dir) {
            let _ = std::fs::remove_dir_all(dir);
        } else {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// What the unmounting left: the names that went, and the namespaces
/// among them that something else keeps alive (they live on, and so do
/// the veths into them).
struct Gone<'a> {
    names: HashSet<&'a str>,
    lives_on: HashSet<&'a str>,
}

fn stop_processes(plan: &Plan, done: &mut Teardown) {
    for o in &plan.processes {
        if let Object::Process { pid, start, .. } = o {
            if stop_process(*pid, *start) {
                done.removed.push(o.describe());
            } else {
                done.ended.push(o.describe());
            }
        }
    }
}

/// Links that go on their own, before the namespaces; bridges that stay
/// until after them stop snooping multicast now (see `stop_snooping`).
fn remove_alone(net: &Netlink, plan: &Plan, done: &mut Teardown) {
    for o in &plan.bridges {
        if let Object::Link {
            ns, ns_id, index, ..
        } = o
            && same_ns(ns, *ns_id)
            && net
                .link_by_index(&Ns::named(ns), *index)
                .is_ok_and(|info| info.kind == LinkKind::Bridge)
        {
            let _ = net.stop_snooping(&Ns::named(ns), *index);
        }
    }
    for o in &plan.alone {
        note(done, o, remove_link(net, o));
    }
}

/// Unmount the lab's namespaces in one batch (processes spawned in them
/// end first, so they do not count as keeping one alive); the links in
/// them went with them.
fn unmount_namespaces<'a>(
    net: &Netlink,
    plan: &Plan<'a>,
    objects: &[Object],
    done: &mut Teardown,
) -> Gone<'a> {
    for o in objects {
        if let Object::Netns { name, id } | Object::Attached { name, id } = o
            && current_id(name) == Some(*id)
        {
            crate::sys::spawn::stop_in(name);
        }
    }
    let holders = crate::sys::netns_holders::Holders::scan();
    let mut verdicts: Vec<(&Object, Option<Result<(), Skip>>)> = Vec::new();
    let mut doomed = Vec::new();
    for o in &plan.namespaces {
        let (Object::Netns { name, id } | Object::Attached { name, id }) = o else {
            continue;
        };
        let verdict = match current_id(name) {
            // Recorded, then killed before its namespace was mounted: the
            // empty entry goes, so the name is free again.
            None if netns_fs::is_stale(name) => Some(netns_fs::delete(name).map_err(Skip::from)),
            None => Some(Err(gone("it is already gone"))),
            Some(now) if now != *id => Some(Err(gone(
                "the namespace of that name now is not the one this lab made",
            ))),
            Some(_) => {
                doomed.push(name.as_str());
                None
            }
        };
        verdicts.push((o, verdict));
    }
    let lives_on = plan
        .with_peer
        .iter()
        .map(|(ns, _)| *ns)
        .chain(plan.with_namespace.iter().filter_map(|o| match o {
            Object::Link { ns, .. } => Some(ns.as_str()),
            _ => None,
        }))
        .filter(|ns| {
            Ns::named(ns)
                .open()
                .is_ok_and(|f| holders.keep_alive(&f, &doomed))
        })
        .collect();
    let mut deleted = net
        .del_netns_many(&doomed, &holders, plan.crossing.as_deref())
        .into_iter();
    let mut names = HashSet::new();
    for (o, verdict) in verdicts {
        let result = verdict.unwrap_or_else(|| {
            deleted
                .next()
                .expect("one result per namespace")
                .map_err(Skip::from)
        });
        let gone = result.is_ok();
        note(done, o, result);
        if gone && let Object::Netns { name, .. } | Object::Attached { name, .. } = o {
            for link in plan.with_namespace.iter().filter(|l| l.lives_in(name)) {
                done.removed.push(link.describe());
            }
            names.insert(name.as_str());
        }
    }
    Gone { names, lives_on }
}

/// A veth whose other end's namespace stayed is removed on its own; the
/// others went with it (checked once the kernel is done).
fn remove_crossing<'a>(
    net: &Netlink,
    plan: &Plan<'a>,
    gone: &Gone,
    done: &mut Teardown,
) -> Vec<&'a Object> {
    let mut going = Vec::new();
    for (peer_ns, o) in &plan.with_peer {
        if gone.names.contains(peer_ns) && !gone.lives_on.contains(peer_ns) {
            going.push(*o);
        } else {
            note(done, o, remove_link(net, o));
        }
    }
    going
}

/// Once the kernel has removed what went with the namespaces: a veth in
/// one whose other end outside did not go with it (its namespace lives on,
/// held by a program, a descriptor or a mount, or another tool moved it
/// away) is removed by that other end, the lab's too; a veth outside whose
/// other end had left is removed on its own.
fn after_the_kernel(
    net: &Netlink,
    plan: &Plan,
    gone: &Gone,
    going: Vec<&Object>,
    done: &mut Teardown,
) {
    let stayed = net.wait_dying();
    // Oldest first, as they were made.
    for o in plan.with_namespace.iter().rev() {
        if let Object::Link {
            ns, peer: Some(p), ..
        } = o
            && (gone.lives_on.contains(ns.as_str())
                || stayed.contains(&(Ns::named(&p.ns), p.index)))
        {
            let what = o.describe();
            done.removed.retain(|d| *d != what);
            note(done, o, remove_end(net, p));
        }
    }
    for o in going {
        if let Object::Link { ns, index, .. } = o
            && stayed.contains(&(Ns::named(ns), *index))
        {
            note(done, o, remove_link(net, o));
        } else {
            done.removed.push(o.describe());
        }
    }
}

/// Delete the end of a lab veth at `p` (which takes the other end with
/// it), if a veth is still there in that same namespace.
fn remove_end(net: &Netlink, p: &super::object::Place) -> Result<(), Skip> {
    if !same_ns(&p.ns, p.ns_id) {
        return Err(gone("the namespace of its other end is gone"));
    }
    match net.link_by_index(&Ns::named(&p.ns), p.index) {
        Ok(info) if info.kind == LinkKind::Veth => {
            net.del_link(&Ns::named(&p.ns), p.index).map_err(Skip::from)
        }
        Ok(_) => Err(gone("another kind of link has its other end's place now")),
        Err(e) if e.kind == crate::error::Kind::NotFound => {
            Err(gone("its other end is already gone"))
        }
        Err(e) => Err(Skip::from(e)),
    }
}

/// Delete a recorded link outside the lab's namespaces if it is still the
/// one recorded.
fn remove_link(net: &Netlink, o: &Object) -> Result<(), Skip> {
    let Object::Link {
        ns,
        ns_id,
        index,
        kind,
        ..
    } = o
    else {
        return Ok(());
    };
    if !same_ns(ns, *ns_id) {
        return Err(gone("its namespace is gone"));
    }
    match net.link_by_index(&Ns::named(ns), *index) {
        Ok(info) if info.kind == *kind => net.del_link(&Ns::named(ns), *index).map_err(Skip::from),
        Ok(_) => Err(gone("another kind of link has its place now")),
        Err(e) if e.kind == crate::error::Kind::NotFound => Err(gone("it is already gone")),
        Err(e) => Err(Skip::from(e)),
    }
}

fn note(done: &mut Teardown, o: &Object, result: Result<(), Skip>) {
    match result {
        Ok(()) => done.removed.push(o.describe()),
        Err(Skip::Gone(why)) => done
            .skipped
            .push(format!("{}: {why}; skipped", o.describe())),
        Err(Skip::Failed(why)) => done.failed.push(format!("{}: {why}", o.describe())),
    }
}

/// Stop a recorded process if it is still the same one. Whether it was
/// running.
fn stop_process(pid: u32, start: u64) -> bool {
    match Held::of(pid, start) {
        Some(p) => {
            stop(&p);
            true
        }
        None => false,
    }
}

/// SIGTERM to a process held by its pidfd, and to the process group it
/// leads (spawned processes lead their own), SIGKILL after a second; then
/// wait until it has exited: until then it still holds its namespace,
/// which would look kept alive to the teardown that follows. The pidfd
/// makes sure that a process that ended meanwhile is not mistaken for a
/// later one with its PID.
fn stop(p: &Held) {
    // Never netscript's own group, nor what pid 1 leads (every process).
    let own = nix::unistd::getpgrp().as_raw() as u32;
    let group = (p.pid > 1 && p.pid != own && p.group() == Some(p.pid))
        .then(|| Pid::from_raw(-(p.pid as i32)));
    let send = |signal: Signal| {
        p.signal(signal as i32);
        if let Some(g) = group {
            let _ = kill(g, signal);
        }
    };
    send(Signal::SIGTERM);
    if !p.wait(Duration::from_secs(1)) {
        send(Signal::SIGKILL);
        p.wait(Duration::from_secs(1));
    }
}
