//! Undoing a lab: exactly the objects its ledger lists, in reverse order —
//! processes, then addresses and routes on other links, then links, then
//! namespaces (all unmounted in one batch), then the bridges outside them —
//! skipping (with a warning) whatever is already gone or is no longer the
//! object the lab made.

use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::{Object, Place, process_start, stat_field};
use crate::netlink::LinkKind;
use crate::netlink::{Netlink, RouteSpec};
use crate::ns::Ns;
use crate::sys::netns_fs::{self, NsId};

/// What a teardown did.
#[derive(Debug, Default)]
pub struct Teardown {
    pub removed: Vec<String>,
    pub skipped: Vec<String>,
}

fn current_id(ns: &str) -> Option<NsId> {
    Ns::named(ns).id()
}

/// Whether `ns` (by name) is still the namespace recorded as `id`.
fn same_ns(ns: &str, id: Option<NsId>) -> bool {
    id.is_none() || current_id(ns) == id
}

pub fn teardown(net: &Netlink, objects: &[Object]) -> Teardown {
    let mut done = Teardown::default();
    let dying_namespaces: std::collections::HashSet<(&str, NsId)> = objects
        .iter()
        .filter_map(|o| match o {
            Object::Netns { name, id } => Some((name.as_str(), *id)),
            _ => None,
        })
        .collect();
    let in_lab_ns =
        |ns: &str, id: Option<NsId>| id.is_some_and(|id| dying_namespaces.contains(&(ns, id)));

    for o in objects.iter().rev() {
        if let Object::Process { pid, start, .. } = o {
            if stop_process(*pid, *start) {
                done.removed.push(o.describe());
            } else {
                done.skipped
                    .push(format!("{} had already exited", o.describe()));
            }
        }
    }
    // Settings the lab made on things that outlive it: undone one by one.
    for o in objects.iter().rev() {
        let (Object::Addr { ns, ns_id, .. }
        | Object::Route { ns, ns_id, .. }
        | Object::Neigh { ns, ns_id, .. }
        | Object::Qdisc { ns, ns_id, .. }
        | Object::PortVlan { ns, ns_id, .. }) = o
        else {
            continue;
        };
        if in_lab_ns(ns, *ns_id) {
            continue;
        }
        let result = if same_ns(ns, *ns_id) {
            undo_setting(net, &Ns::named(ns), o)
        } else {
            Err("its namespace is gone".to_string())
        };
        note(&mut done, o, result);
    }
    // Links inside the lab's own namespaces go with them. Bridges in
    // namespaces that stay (the host, say) go right after the namespaces
    // are unmounted, while the kernel is freeing them: the two overlap, and
    // the bridge has fewer ports left to drop one by one (measured faster
    // than either order alone). Attached names are removed too, but their
    // namespaces live on, so links there go first, like any other.
    let attached: Vec<&str> = objects
        .iter()
        .filter_map(|o| match o {
            Object::Attached { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let crossing = veths_crossing(objects, &in_lab_ns, &attached);
    let mut with_namespace: Vec<(String, String)> = Vec::new();
    let mut with_peer: Vec<(&str, &Object)> = Vec::new();
    let mut bridges = Vec::new();
    for o in objects.iter().rev() {
        let Object::Link {
            ns, ns_id, kind, ..
        } = o
        else {
            continue;
        };
        if in_lab_ns(ns, *ns_id) {
            with_namespace.push((ns.clone(), o.describe()));
        } else if let Some(p) = goes_with_peer(o, &in_lab_ns, &attached) {
            // Goes with its other end's namespace, all in one batch of the
            // kernel's, instead of a removal of its own (~20 ms each).
            with_peer.push((p.ns.as_str(), o));
        } else if *kind == LinkKind::Bridge && !attached.contains(&ns.as_str()) {
            if let Object::Link { index, .. } = o
                && same_ns(ns, *ns_id)
                && net
                    .link_by_index(&Ns::named(ns), *index)
                    .is_ok_and(|info| info.kind == LinkKind::Bridge)
            {
                let _ = net.stop_snooping(&Ns::named(ns), *index);
            }
            bridges.push(o);
        } else {
            note(&mut done, o, remove_link(net, o));
        }
    }
    // Processes spawned in the lab's namespaces end first, so they do not
    // count as keeping a namespace alive.
    for o in objects {
        if let Object::Netns { name, id } | Object::Attached { name, id } = o
            && current_id(name) == Some(*id)
        {
            crate::sys::spawn::stop_in(name);
        }
    }
    let holders = netns_fs::Holders::scan();
    let mut verdicts: Vec<(&Object, Option<Result<(), String>>)> = Vec::new();
    let mut doomed = Vec::new();
    for o in objects.iter().rev() {
        let (Object::Netns { name, id } | Object::Attached { name, id }) = o else {
            continue;
        };
        let verdict = match current_id(name) {
            None => Some(Err("it is already gone".to_string())),
            Some(now) if now != *id => Some(Err(
                "the namespace of that name now is not the one this lab made".to_string(),
            )),
            Some(_) => {
                doomed.push(name.as_str());
                None
            }
        };
        verdicts.push((o, verdict));
    }
    // A namespace something else holds lives on without its name, and so
    // do the veths into it.
    let lives_on: std::collections::HashSet<&str> = with_peer
        .iter()
        .map(|(ns, _)| *ns)
        .filter(|ns| {
            Ns::named(ns)
                .open()
                .is_ok_and(|f| holders.keep_alive(&f, &doomed))
        })
        .collect();
    let mut deleted = net
        .del_netns_many(&doomed, &holders, crossing.as_deref())
        .into_iter();
    let mut gone_names = std::collections::HashSet::new();
    for (o, verdict) in verdicts {
        let result = verdict.unwrap_or_else(|| {
            deleted
                .next()
                .expect("one result per namespace")
                .map_err(|e| e.reason)
        });
        let gone = result.is_ok();
        note(&mut done, o, result);
        if gone && let Object::Netns { name, .. } | Object::Attached { name, .. } = o {
            for (_, what) in with_namespace.iter().filter(|(ns, _)| ns == name) {
                done.removed.push(what.clone());
            }
            gone_names.insert(name.as_str());
        }
    }
    // A veth whose other end's namespace stayed is removed on its own.
    let mut going = Vec::new();
    for (peer_ns, o) in with_peer {
        if gone_names.contains(peer_ns) && !lives_on.contains(peer_ns) {
            going.push(o);
        } else {
            note(&mut done, o, remove_link(net, o));
        }
    }
    for o in bridges {
        note(&mut done, o, remove_link(net, o));
    }
    let stayed = net.wait_dying();
    // A link in a namespace that went whose other end did not go with it
    // had left that namespace (moved by another tool): it lives on.
    for o in objects {
        if let Object::Link {
            ns,
            ns_id,
            peer: Some(p),
            ..
        } = o
            && in_lab_ns(ns, *ns_id)
            && stayed.contains(&(Ns::named(&p.ns), p.index))
        {
            let what = o.describe();
            done.removed.retain(|d| *d != what);
            done.skipped.push(format!(
                "{what}: its other end (#{} in {}) did not go with the namespace; skipped",
                p.index, p.ns
            ));
        }
    }
    // And a veth outside whose other end had left: removed on its own.
    for o in going {
        if let Object::Link { ns, index, .. } = o
            && stayed.contains(&(Ns::named(ns), *index))
        {
            note(&mut done, o, remove_link(net, o));
        } else {
            done.removed.push(o.describe());
        }
    }
    done
}

/// Where the other end of a lab veth outside the lab's namespaces is, when
/// that is inside one of them: the veth goes with that namespace. (Not one
/// in an attached namespace: links there go first, while it has a name.)
fn goes_with_peer<'a>(
    o: &'a Object,
    in_lab_ns: &impl Fn(&str, Option<NsId>) -> bool,
    attached: &[&str],
) -> Option<&'a Place> {
    let Object::Link {
        ns,
        ns_id,
        kind,
        peer: Some(p),
        ..
    } = o
    else {
        return None;
    };
    let crosses = *kind == LinkKind::Veth && !in_lab_ns(ns, *ns_id) && in_lab_ns(&p.ns, p.ns_id);
    (crosses && same_ns(ns, *ns_id) && !attached.contains(&ns.as_str())).then_some(p)
}

/// The veths of the lab with one end in a namespace that goes and the
/// other in one that stays: (where the staying end is, its index, the
/// namespace that goes). None if the ledger does not say where the other
/// end of one of them is (a ledger from before it did): then the links of
/// every staying namespace are looked through instead.
fn veths_crossing(
    objects: &[Object],
    in_lab_ns: &impl Fn(&str, Option<NsId>) -> bool,
    attached: &[&str],
) -> Option<Vec<(Ns, u32, Ns)>> {
    let mut crossing = Vec::new();
    for o in objects {
        let Object::Link {
            ns,
            ns_id,
            index,
            kind,
            peer,
            ..
        } = o
        else {
            continue;
        };
        if *kind != LinkKind::Veth {
            continue;
        }
        let inside = in_lab_ns(ns, *ns_id);
        let Some(p) = peer else {
            if inside {
                return None;
            }
            continue;
        };
        if inside && !in_lab_ns(&p.ns, p.ns_id) && same_ns(&p.ns, p.ns_id) {
            crossing.push((Ns::named(&p.ns), p.index, Ns::named(ns)));
        } else if goes_with_peer(o, in_lab_ns, attached).is_some() {
            crossing.push((Ns::named(ns), *index, Ns::named(&p.ns)));
        }
    }
    Some(crossing)
}

/// Take off an address, route, neighbour entry, qdisc or bridge VLAN the
/// lab added in `ns` (or put back a bridge VLAN it took away).
fn undo_setting(net: &Netlink, ns: &Ns, o: &Object) -> Result<(), String> {
    let done = match o {
        Object::Addr { index, cidr, .. } => {
            crate::cidr::parse(cidr).and_then(|c| net.addr_del(ns, *index, c))
        }
        Object::Route {
            dst,
            gateway,
            kind,
            metric,
            table,
            ..
        } => RouteSpec::from_text(dst, gateway, kind, *metric, *table)
            .and_then(|r| net.route_del(ns, &r)),
        Object::Neigh { index, ip, .. } => match ip.parse() {
            Ok(ip) => net.neigh_del(ns, *index, ip),
            Err(_) => return Err(format!("{ip:?} is not an address")),
        },
        Object::Qdisc { index, .. } => net.clear_qdisc(ns, *index),
        Object::PortVlan {
            index,
            link,
            bridge,
            vid,
            on_bridge,
            added,
            pvid,
            untagged,
            ..
        } => {
            // Only on the same link, still on the same bridge.
            let same = net.link_by_index(ns, *index).is_ok_and(|l| {
                l.name == *link
                    && if *on_bridge {
                        *index == *bridge
                    } else {
                        l.master == Some(*bridge)
                    }
            });
            if !same {
                return Err("it is no longer a port of the bridge it was on".into());
            }
            let v = crate::netlink::PortVlan {
                port: *index,
                vid: *vid,
                pvid: *pvid,
                untagged: *untagged,
            };
            net.bridge_vlan(ns, &v, *on_bridge, !*added)
        }
        _ => Ok(()),
    };
    done.map_err(|e| e.reason)
}

/// Delete a recorded link outside the lab's namespaces if it is still the
/// one recorded.
fn remove_link(net: &Netlink, o: &Object) -> Result<(), String> {
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
        return Err("its namespace is gone".to_string());
    }
    match net.link_by_index(&Ns::named(ns), *index) {
        Ok(info) if info.kind == *kind => {
            net.del_link(&Ns::named(ns), *index).map_err(|e| e.reason)
        }
        Ok(_) => Err("another kind of link has its place now".to_string()),
        Err(_) => Err("it is already gone".to_string()),
    }
}

fn note(done: &mut Teardown, o: &Object, result: Result<(), String>) {
    match result {
        Ok(()) => done.removed.push(o.describe()),
        Err(why) => done
            .skipped
            .push(format!("{}: {why}; skipped", o.describe())),
    }
}

/// Stop a recorded process if it is still the same one: SIGTERM to its
/// process group (spawned processes lead their own), SIGKILL after a
/// second. Whether it was running.
fn stop_process(pid: u32, start: u64) -> bool {
    let running = || process_start(pid) == Some(start) && !is_zombie(pid);
    if !running() {
        return false;
    }
    let target = if process_group(pid) == Some(pid) {
        Pid::from_raw(-(pid as i32))
    } else {
        Pid::from_raw(pid as i32)
    };
    let _ = kill(target, Signal::SIGTERM);
    crate::sys::pidfd::wait_exit(pid, Duration::from_secs(1));
    if running() {
        let _ = kill(target, Signal::SIGKILL);
    }
    true
}

fn is_zombie(pid: u32) -> bool {
    stat_field(pid, 0).is_some_and(|s| s == "Z" || s == "X")
}

fn process_group(pid: u32) -> Option<u32> {
    stat_field(pid, 2)?.parse().ok()
}
