//! What goes how: the ledger's objects sorted into the phases of a
//! teardown, before anything is touched. Pure apart from asking whether a
//! namespace name still refers to the namespace recorded (`Current`).

use std::collections::HashSet;

use crate::lab::{Object, Place};
use crate::netlink::LinkKind;
use crate::ns::Ns;
use crate::sys::netns_fs::NsId;

/// Whether namespace `name` still is the one recorded as `id` (None: a
/// ledger that recorded no identity, taken as the same).
pub trait Current {
    fn same_ns(&self, name: &str, id: Option<NsId>) -> bool;
}

/// The machine as it is now.
pub struct Now;

impl Current for Now {
    fn same_ns(&self, name: &str, id: Option<NsId>) -> bool {
        id.is_none() || Ns::named(name).id() == id
    }
}

/// The objects of a lab, each in the phase that removes it, newest first
/// within a phase.
#[derive(Debug, Default)]
pub struct Plan<'a> {
    /// Processes, stopped first.
    pub processes: Vec<&'a Object>,
    /// Addresses, routes, neighbours, qdiscs and bridge VLANs the lab put
    /// on things that outlive it, and their settings it changed: undone one
    /// by one.
    pub settings: Vec<&'a Object>,
    /// Links inside the lab's own namespaces: they go with them.
    pub with_namespace: Vec<&'a Object>,
    /// Veths outside whose other end is in one of the lab's namespaces:
    /// they go with that namespace, all in one batch of the kernel's,
    /// instead of a removal of their own (~20 ms each).
    pub with_peer: Vec<(&'a str, &'a Object)>,
    /// Bridges in namespaces that stay (the host, say): removed right
    /// after the namespaces are unmounted, while the kernel is freeing
    /// them (the two overlap, and the bridge has fewer ports left to drop
    /// one by one).
    pub bridges: Vec<&'a Object>,
    /// Every other link outside the lab's namespaces, removed on its own
    /// before the namespaces go (links in attached namespaces too: those
    /// live on, so their links go while they have a name).
    pub alone: Vec<&'a Object>,
    /// The lab's namespaces and attached names, unmounted in one batch.
    pub namespaces: Vec<&'a Object>,
    /// Files the lab wrote, removed last.
    pub files: Vec<&'a Object>,
    /// Veths with one end in a namespace that goes and the other in one
    /// that stays: (where the staying end is, its index, the namespace
    /// that goes). None for a ledger that does not say where a veth's
    /// other end is (written before it did).
    pub crossing: Option<Vec<(Ns, u32, Ns)>>,
}

impl<'a> Plan<'a> {
    pub fn of(objects: &'a [Object], now: &impl Current) -> Plan<'a> {
        let lab = Namespaces::of(objects);
        let mut plan = Plan {
            crossing: veths_crossing(objects, &lab, now),
            ..Plan::default()
        };
        for o in objects.iter().rev() {
            match o {
                Object::Process { .. } => plan.processes.push(o),
                Object::Addr { ns, ns_id, .. }
                | Object::Route { ns, ns_id, .. }
                | Object::Neigh { ns, ns_id, .. }
                | Object::Fdb { ns, ns_id, .. }
                | Object::NftTable { ns, ns_id, .. }
                | Object::Sysctl { ns, ns_id, .. }
                | Object::Qdisc { ns, ns_id, .. }
                | Object::PortVlan { ns, ns_id, .. }
                | Object::Rule { ns, ns_id, .. }
                | Object::Was { ns, ns_id, .. } => {
                    if !lab.holds(ns, *ns_id) {
                        plan.settings.push(o);
                    }
                }
                Object::Link {
                    ns, ns_id, kind, ..
                } => {
                    if lab.holds(ns, *ns_id) {
                        plan.with_namespace.push(o);
                    } else if let Some(p) = goes_with_peer(o, &lab, now) {
                        plan.with_peer.push((p.ns.as_str(), o));
                    } else if *kind == LinkKind::Bridge && !lab.attached.contains(ns.as_str()) {
                        plan.bridges.push(o);
                    } else {
                        plan.alone.push(o);
                    }
                }
                Object::Netns { .. } | Object::Attached { .. } => plan.namespaces.push(o),
                Object::File { .. } => plan.files.push(o),
            }
        }
        plan
    }
}

/// The namespaces a lab made (by name and identity) and the names it gave
/// to others' (`netns::attach`).
struct Namespaces<'a> {
    made: HashSet<(&'a str, NsId)>,
    attached: HashSet<&'a str>,
}

impl<'a> Namespaces<'a> {
    fn of(objects: &'a [Object]) -> Namespaces<'a> {
        let mut lab = Namespaces {
            made: HashSet::new(),
            attached: HashSet::new(),
        };
        for o in objects {
            match o {
                Object::Netns { name, id } => {
                    lab.made.insert((name.as_str(), *id));
                }
                Object::Attached { name, .. } => {
                    lab.attached.insert(name.as_str());
                }
                _ => {}
            }
        }
        lab
    }

    /// Whether namespace `ns` (identity `id`) is one the lab made.
    fn holds(&self, ns: &str, id: Option<NsId>) -> bool {
        id.is_some_and(|id| self.made.contains(&(ns, id)))
    }
}

/// Where the other end of a lab veth outside the lab's namespaces is, when
/// that is inside one of them: the veth goes with that namespace. (Not one
/// in an attached namespace: links there go first, while it has a name.)
fn goes_with_peer<'a>(o: &'a Object, lab: &Namespaces, now: &impl Current) -> Option<&'a Place> {
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
    let crosses = *kind == LinkKind::Veth && !lab.holds(ns, *ns_id) && lab.holds(&p.ns, p.ns_id);
    (crosses && now.same_ns(ns, *ns_id) && !lab.attached.contains(ns.as_str())).then_some(p)
}

/// See `Plan::crossing`.
fn veths_crossing(
    objects: &[Object],
    lab: &Namespaces,
    now: &impl Current,
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
        let inside = lab.holds(ns, *ns_id);
        let Some(p) = peer else {
            if inside {
                return None;
            }
            continue;
        };
        if inside && !lab.holds(&p.ns, p.ns_id) && now.same_ns(&p.ns, p.ns_id) {
            crossing.push((Ns::named(&p.ns), p.index, Ns::named(ns)));
        } else if goes_with_peer(o, lab, now).is_some() {
            crossing.push((Ns::named(ns), *index, Ns::named(&p.ns)));
        }
    }
    Some(crossing)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every namespace is still the one recorded.
    struct Unchanged;

    impl Current for Unchanged {
        fn same_ns(&self, _: &str, _: Option<NsId>) -> bool {
            true
        }
    }

    const R1: NsId = (4, 10);
    const HOST: NsId = (4, 1);

    fn link(
        ns: &str,
        id: NsId,
        index: u32,
        kind: LinkKind,
        peer: Option<(&str, NsId, u32)>,
    ) -> Object {
        Object::Link {
            ns: ns.into(),
            ns_id: Some(id),
            index,
            name: format!("l{index}"),
            kind,
            peer: peer.map(|(ns, id, index)| Place {
                ns: ns.into(),
                ns_id: Some(id),
                index,
            }),
        }
    }

    /// The classic lab: a bridge in the host, a namespace with a veth whose
    /// other end is a port in the host, a veth made in the host with its
    /// peer in the namespace, a route in the host and a process.
    fn classic() -> Vec<Object> {
        vec![
            Object::Netns {
                name: "r1".into(),
                id: R1,
            },
            link("host", HOST, 3, LinkKind::Bridge, None),
            link("r1", R1, 2, LinkKind::Veth, Some(("host", HOST, 4))),
            link("host", HOST, 5, LinkKind::Veth, Some(("r1", R1, 3))),
            link("host", HOST, 7, LinkKind::Veth, Some(("host", HOST, 6))),
            Object::Route {
                ns: "host".into(),
                ns_id: Some(HOST),
                dst: "10.9.0.0/16".into(),
                gateway: String::new(),
                kind: "blackhole".into(),
                metric: None,
                table: None,
                proto: None,
            },
            Object::Process {
                pid: 9,
                start: 1,
                netns: "r1".into(),
                session: None,
            },
        ]
    }

    fn indexes(objects: &[&Object]) -> Vec<u32> {
        objects
            .iter()
            .filter_map(|o| match o {
                Object::Link { index, .. } => Some(*index),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn each_object_has_its_phase() {
        let objects = classic();
        let plan = Plan::of(&objects, &Unchanged);
        assert_eq!(plan.processes.len(), 1);
        assert_eq!(plan.settings.len(), 1);
        assert_eq!(indexes(&plan.with_namespace), [2]);
        assert_eq!(plan.with_peer.len(), 1);
        assert_eq!(plan.with_peer[0].0, "r1");
        assert_eq!(indexes(&plan.bridges), [3]);
        assert_eq!(indexes(&plan.alone), [7]);
        assert_eq!(plan.namespaces.len(), 1);
        // Both crossing veths are watched: the port's end in the host, and
        // the host-made end with its peer in r1.
        assert_eq!(
            plan.crossing,
            Some(vec![
                (Ns::Host, 4, Ns::named("r1")),
                (Ns::Host, 5, Ns::named("r1")),
            ])
        );
    }

    #[test]
    fn a_ledger_without_peers_has_no_crossing_list() {
        let mut objects = classic();
        if let Object::Link { peer, .. } = &mut objects[2] {
            *peer = None;
        }
        assert_eq!(Plan::of(&objects, &Unchanged).crossing, None);
    }

    #[test]
    fn settings_inside_the_lab_go_with_it() {
        let mut objects = classic();
        objects.push(Object::Addr {
            ns: "r1".into(),
            ns_id: Some(R1),
            index: 2,
            link: "eth0".into(),
            cidr: "10.0.0.1/24".into(),
        });
        assert_eq!(Plan::of(&objects, &Unchanged).settings.len(), 1);
    }

    #[test]
    fn links_in_attached_namespaces_go_alone_first() {
        let objects = vec![
            Object::Attached {
                name: "ctr".into(),
                id: (4, 20),
            },
            link("ctr", (4, 20), 5, LinkKind::Bridge, None),
        ];
        let plan = Plan::of(&objects, &Unchanged);
        assert_eq!(indexes(&plan.alone), [5]);
        assert!(plan.bridges.is_empty());
    }
}
