//! Creating links: veth pairs, bridges and the other kinds. Each is traced
//! as the `ip link add` that does the same and recorded where it was made.

use super::{Op, ip_n, netns_arg, q};
use crate::error::{Kind, Result};
use crate::lab::{Object, Place};
use crate::netlink::{BridgeOptions, LinkInfo, LinkKind, Vxlan};
use crate::ns::Ns;

/// A VLAN link to make: tag `id` on link `parent` of `parent_ns`.
pub struct VlanSpec<'a> {
    pub parent_ns: &'a Ns,
    pub parent: u32,
    pub id: u16,
    /// 802.1ad (a service VLAN) instead of 802.1Q.
    pub qinq: bool,
}

impl Op<'_> {
    /// `ip link add NAME [netns NS] type veth peer name PEER [netns PEER_NS]`.
    /// Both ends named alike in one namespace: the peer's name is the one
    /// to change.
    pub fn add_veth(&self, ns: &Ns, name: &str, peer_ns: &Ns, peer: &str) -> Result<LinkInfo> {
        // Written ahead by an end outside the lab's namespaces if it has
        // one. A pair inside them goes with them whatever happens; one
        // crossing out goes with them too, but only once the kernel has
        // freed the namespace, so `down` must know it to wait for it, even
        // if the run was killed before its record (which names the other
        // end when that is the end outside: see `Object::fulfils`).
        let outside = if self.outlives(ns) {
            Some((ns, name, peer_ns))
        } else if self.outlives(peer_ns) {
            Some((peer_ns, peer, ns))
        } else {
            None
        };
        let intent = outside
            .filter(|(at, called, _)| self.free(at, called))
            .map(|(at, called, other)| Object::veth(at, 0, called, Some(Place::of(other, 0))));
        let made = self.ahead(intent.as_slice(), || {
            self.net.add_veth(ns, name, peer_ns, peer)
        });
        let info = made.map_err(|e| {
            if name != peer {
                e
            } else if ns == peer_ns {
                e.invalid_arg(1)
            } else if e.kind == Kind::Exists {
                // Same name at both ends: say which one is taken.
                let taken = if self.net.has_link(ns, name) { 0 } else { 1 };
                e.at_arg(taken)
            } else {
                e
            }
        })?;
        self.change(|| {
            let (name, peer) = (q(name), q(peer));
            match (ns, peer_ns) {
                (a, b) if a == b => {
                    format!("ip {}link add {name} type veth peer name {peer}", ip_n(a))
                }
                (Ns::Host, b) => format!(
                    "ip link add {name} type veth peer name {peer} netns {}",
                    netns_arg(b)
                ),
                (a, Ns::Host) => format!(
                    "ip link add {peer} type veth peer name {name} netns {}",
                    netns_arg(a)
                ),
                (a, b) => format!(
                    "ip {}link add {name} type veth peer name {peer} netns {}",
                    ip_n(a),
                    netns_arg(b)
                ),
            }
        });
        let peer_at = info.link.map(|index| Place::of(peer_ns, index));
        self.lab
            .created(Object::veth(ns, info.index, name, peer_at))?;
        Ok(info)
    }

    /// `ip link add name NAME type bridge [OPTIONS]`.
    pub fn add_bridge(&self, ns: &Ns, name: &str, o: &BridgeOptions) -> Result<LinkInfo> {
        let intent = self.link_intent(ns, name, LinkKind::Bridge);
        let info = self.ahead(intent.as_slice(), || self.net.add_bridge(ns, name, o))?;
        let command = || {
            let name = q(name);
            format!(
                "ip {}link add name {name} type bridge{}",
                ip_n(ns),
                bridge_options(o)
            )
        };
        self.made(ns, &info, LinkKind::Bridge, command)?;
        Ok(info)
    }

    /// `ip link set dev BR type bridge OPTIONS` (a bridge netscript did not
    /// make only when forced). The options are read once it may be changed.
    pub fn set_bridge(
        &self,
        ns: &Ns,
        index: u32,
        force: bool,
        options: impl FnOnce() -> Result<BridgeOptions>,
    ) -> Result<()> {
        self.guard(ns, index, force, "set bridge options")?;
        let o = &options()?;
        self.net.set_bridge(ns, index, o)?;
        self.change(|| {
            let name = self.net.link_by_index(ns, index).map(|l| l.name);
            let name = q(&name.unwrap_or_default()).into_owned();
            format!(
                "ip {}link set dev {name} type bridge{}",
                ip_n(ns),
                bridge_options(o)
            )
        });
        Ok(())
    }

    /// `ip [-n NS] link add NAME type dummy`.
    pub fn add_dummy(&self, ns: &Ns, name: &str) -> Result<LinkInfo> {
        let intent = self.link_intent(ns, name, LinkKind::Dummy);
        let info = self.ahead(intent.as_slice(), || self.net.add_dummy(ns, name))?;
        self.made(ns, &info, LinkKind::Dummy, || {
            format!("ip {}link add {} type dummy", ip_n(ns), q(name))
        })?;
        Ok(info)
    }

    /// `ip [-n NS] link add NAME type vrf table TABLE`.
    pub fn add_vrf(&self, ns: &Ns, name: &str, table: u32) -> Result<LinkInfo> {
        let intent = self.link_intent(ns, name, LinkKind::Vrf);
        let info = self.ahead(intent.as_slice(), || self.net.add_vrf(ns, name, table))?;
        let command = || format!("ip {}link add {} type vrf table {table}", ip_n(ns), q(name));
        self.made(ns, &info, LinkKind::Vrf, command)?;
        Ok(info)
    }

    /// `ip link add link PARENT name NAME [netns NS] type vlan id ID
    /// [protocol 802.1ad]`, in `ns`, named PARENT.ID unless `name` is given.
    pub fn add_vlan(&self, v: &VlanSpec, name: Option<&str>, ns: &Ns) -> Result<LinkInfo> {
        let (pns, id) = (v.parent_ns, v.id);
        let p = self.net.link_by_index(pns, v.parent)?;
        let named = name.is_some();
        let name = name.map_or_else(|| format!("{}.{id}", p.name), str::to_string);
        let intent = self.link_intent(ns, &name, LinkKind::Vlan);
        let info = self
            .ahead(intent.as_slice(), || {
                self.net.add_vlan(pns, p.index, &name, id, v.qinq, ns)
            })
            .map_err(|e| {
                if named {
                    e
                } else {
                    e.or_help(format!(
                        "the name {name:?} comes from the parent's; give one with #{{ name: \"...\" }}"
                    ))
                }
            })?;
        self.made(ns, &info, LinkKind::Vlan, || {
            let protocol = if v.qinq { " protocol 802.1ad" } else { "" };
            let to = netns_clause(pns, ns);
            let (name, parent) = (q(&name), q(&p.name));
            format!(
                "ip {}link add link {parent} name {name}{to} type vlan id {id}{protocol}",
                ip_n(pns)
            )
        })?;
        Ok(info)
    }

    /// `ip link add link PARENT name NAME [netns NS] type macvlan mode MODE`
    /// on link `parent` of `pns`, in `ns`; named the first free macvlanN
    /// there unless `name` is given.
    pub fn add_macvlan(
        &self,
        (pns, parent): (&Ns, u32),
        mode: &str,
        name: Option<&str>,
        ns: &Ns,
    ) -> Result<LinkInfo> {
        let m = crate::netlink::macvlan_mode(mode)?;
        let p = self.net.link_by_index(pns, parent)?;
        let name = match name {
            Some(n) => n.to_string(),
            None => {
                let taken: Vec<String> = self.net.links(ns)?.into_iter().map(|l| l.name).collect();
                (0..)
                    .map(|i| format!("macvlan{i}"))
                    .find(|c| !taken.contains(c))
                    .unwrap_or_default()
            }
        };
        let intent = self.link_intent(ns, &name, LinkKind::Macvlan);
        let info = self.ahead(intent.as_slice(), || {
            self.net.add_macvlan(pns, p.index, &name, m, ns)
        })?;
        self.made(ns, &info, LinkKind::Macvlan, || {
            let to = netns_clause(pns, ns);
            let (name, p) = (q(&name), q(&p.name));
            format!(
                "ip {}link add link {p} name {name}{to} type macvlan mode {mode}",
                ip_n(pns)
            )
        })?;
        Ok(info)
    }

    /// `ip link add NAME [netns NS] type vxlan id ID [local L] [remote R |
    /// group G] [dev D] dstport PORT`; its socket lives in `underlay`.
    pub fn add_vxlan(
        &self,
        underlay: &Ns,
        ns: &Ns,
        name: &str,
        vx: &Vxlan,
        dev: Option<&str>,
    ) -> Result<LinkInfo> {
        let intent = self.link_intent(ns, name, LinkKind::Vxlan);
        let info = self.ahead(intent.as_slice(), || {
            self.net.add_vxlan(underlay, ns, name, vx)
        })?;
        self.made(ns, &info, LinkKind::Vxlan, || {
            let to = netns_clause(underlay, ns);
            let name = q(name);
            let mut command = format!(
                "ip {}link add {name}{to} type vxlan id {}",
                ip_n(underlay),
                vx.id
            );
            if let Some(l) = vx.local {
                command.push_str(&format!(" local {l}"));
            }
            match vx.far() {
                Some(r) if r.is_multicast() => command.push_str(&format!(" group {r}")),
                Some(r) => command.push_str(&format!(" remote {r}")),
                None => {}
            }
            if let Some(d) = dev {
                command.push_str(&format!(" dev {}", q(d)));
            }
            command.push_str(&format!(" dstport {}", vx.port));
            command + vx.tune.words().as_str()
        })?;
        Ok(info)
    }

    /// What making link `name` in `ns` writes ahead, if it would outlive
    /// the lab's namespaces (its index is known once it is made).
    fn link_intent(&self, ns: &Ns, name: &str, kind: LinkKind) -> Option<Object> {
        (self.outlives(ns) && self.free(ns, name)).then(|| Object::link(ns, 0, name, kind))
    }

    /// Whether no link is called `name` in `ns`. A name that is taken gets
    /// no intent (the create fails with EEXIST): a run killed before its
    /// cancel must not leave an intent that names someone else's link.
    fn free(&self, ns: &Ns, name: &str) -> bool {
        !self.net.has_link(ns, name)
    }

    /// A link this run made: traced, and recorded where it is.
    fn made(
        &self,
        ns: &Ns,
        info: &LinkInfo,
        kind: LinkKind,
        command: impl FnOnce() -> String,
    ) -> Result<()> {
        self.change(command);
        self.lab
            .created(Object::link(ns, info.index, &info.name, kind))
    }
}

/// ` netns NS` when a link is made in another namespace than its parent's.
fn netns_clause(parent: &Ns, target: &Ns) -> String {
    if parent == target {
        String::new()
    } else {
        format!(" netns {}", netns_arg(target))
    }
}

/// The options as `ip link ... type bridge` writes them (" stp_state 1 ...").
fn bridge_options(o: &BridgeOptions) -> String {
    let bit = |b: bool| if b { 1 } else { 0 };
    let mut text = String::new();
    if let Some(stp) = o.stp {
        text.push_str(&format!(" stp_state {}", bit(stp)));
    }
    if let Some(cs) = o.ageing_cs {
        text.push_str(&format!(" ageing_time {cs}"));
    }
    for (name, value) in [
        ("vlan_filtering", o.vlan_filtering),
        ("mcast_snooping", o.mcast_snooping),
        ("mcast_querier", o.mcast_querier),
    ] {
        if let Some(v) = value {
            text.push_str(&format!(" {name} {}", bit(v)));
        }
    }
    text
}
