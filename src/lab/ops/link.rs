//! Operations on one link: state, name, MTU, addresses, bridge ports,
//! deletion and moves. A link the lab did not make (the machine's eth0, a
//! container's interface) is deleted or moved only when forced; its state,
//! name, MTU and bridge are recorded as they were before a change (written
//! ahead), and teardown puts them back.

use super::{Op, ip_n, netns_arg, q};
use crate::cidr::{self, Cidr};
use crate::error::{Error, Kind, Result};
use crate::lab::{Before, Object, Place, shared};
use crate::netlink::LinkInfo;
use crate::ns::Ns;
use crate::sys::netns_fs::NsId;

impl Op<'_> {
    /// The link's current name, for traces ("#INDEX" if it is gone).
    pub fn link_name(&self, ns: &Ns, index: u32) -> String {
        self.net
            .link_by_index(ns, index)
            .map_or(format!("#{index}"), |i| i.name)
    }

    /// `ip link set dev X up|down`. Bringing a link up returns once the
    /// kernel has applied it, also on the other end of a veth (which may
    /// be a bridge port), so the next call sees it forwarding.
    pub fn set_up(&self, ns: &Ns, index: u32, up: bool) -> Result<()> {
        let was = self.was(ns, index, None, |l| {
            (l.up != up).then_some(Before::Up(l.up))
        });
        self.ahead(was.as_slice(), || self.net.set_up(ns, index, up))?;
        self.confirm(was.into_iter().collect())?;
        let state = if up { "up" } else { "down" };
        self.change(|| {
            let name = self.link_name(ns, index);
            format!("ip {}link set dev {} {state}", ip_n(ns), q(&name))
        });
        // Reading the link back flushes its pending carrier events; then
        // the same for the other end of a veth. Without carrier the other
        // end is down, and nothing changed there.
        if up
            && let Ok(me) = self.net.link_by_index(ns, index)
            && me.carrier
            && let Ok(Some((peer_ns, peer))) = self.net.peer_of(ns, &me)
        {
            self.net.settle(&peer_ns, peer);
        }
        Ok(())
    }

    /// `ip link set dev X name NAME`; its record (and that of a veth whose
    /// other end it is) follows.
    pub fn rename(&self, ns: &Ns, index: u32, name: &str) -> Result<()> {
        let old = self.link_name(ns, index);
        let was = self.was(ns, index, Some(name), |l| {
            (l.name != name).then(|| Before::Name(l.name.clone()))
        });
        self.ahead(was.as_slice(), || self.net.rename(ns, index, name))?;
        self.confirm(was.into_iter().collect())?;
        self.change(|| format!("ip {}link set dev {} name {}", ip_n(ns), q(&old), q(name)));
        self.lab
            .link_moved(ns.name(), index, &Place::of(ns, index), name)?;
        Ok(())
    }

    /// `ip link set dev X address MAC`.
    pub fn set_mac(&self, ns: &Ns, index: u32, mac: [u8; 6]) -> Result<()> {
        let text = crate::mac::format(&mac);
        let was = self.was(ns, index, None, |l| {
            (l.mac != text).then(|| Before::Mac(l.mac.clone()))
        });
        self.ahead(was.as_slice(), || self.net.set_mac(ns, index, mac))
            .map_err(|e| e.invalid_arg(0))?;
        self.confirm(was.into_iter().collect())?;
        self.change(|| {
            let name = self.link_name(ns, index);
            format!("ip {}link set dev {} address {text}", ip_n(ns), q(&name))
        });
        Ok(())
    }

    /// `ip link set dev X alias TEXT`.
    pub fn set_alias(&self, ns: &Ns, index: u32, alias: &str) -> Result<()> {
        let was = self.was(ns, index, None, |l| {
            (l.alias != alias).then(|| Before::Alias(l.alias.clone()))
        });
        self.ahead(was.as_slice(), || self.net.set_alias(ns, index, alias))
            .map_err(|e| e.invalid_arg(0))?;
        self.confirm(was.into_iter().collect())?;
        self.change(|| {
            let name = self.link_name(ns, index);
            format!(
                "ip {}link set dev {} alias {}",
                ip_n(ns),
                q(&name),
                q(alias)
            )
        });
        Ok(())
    }

    /// `ip link set dev X txqueuelen N`.
    pub fn set_txqlen(&self, ns: &Ns, index: u32, len: u32) -> Result<()> {
        let was = self.was(ns, index, None, |l| {
            (l.txqlen != len).then_some(Before::Txqlen(l.txqlen))
        });
        self.ahead(was.as_slice(), || self.net.set_txqlen(ns, index, len))
            .map_err(|e| e.invalid_arg(0))?;
        self.confirm(was.into_iter().collect())?;
        self.change(|| {
            let name = self.link_name(ns, index);
            format!("ip {}link set dev {} txqueuelen {len}", ip_n(ns), q(&name))
        });
        Ok(())
    }

    /// `ip link set dev X mtu N`.
    pub fn set_mtu(&self, ns: &Ns, index: u32, mtu: u32) -> Result<()> {
        let was = self.was(ns, index, None, |l| {
            (l.mtu != mtu).then_some(Before::Mtu(l.mtu))
        });
        self.ahead(was.as_slice(), || self.net.set_mtu(ns, index, mtu))
            .map_err(|e| e.invalid_arg(0))?;
        self.confirm(was.into_iter().collect())?;
        self.change(|| {
            let name = self.link_name(ns, index);
            format!("ip {}link set dev {} mtu {mtu}", ip_n(ns), q(&name))
        });
        Ok(())
    }

    /// `ip addr add CIDR dev X` (IPv6 without DAD). An address on a link
    /// the lab did not make, outside its namespaces, is recorded on its
    /// own so that teardown removes it.
    pub fn addr_add(&self, ns: &Ns, index: u32, c: Cidr) -> Result<()> {
        let record =
            (!self.lab.made_link(ns.name(), index) && self.outlives(ns)).then(|| Object::Addr {
                ns: ns.name().to_string(),
                ns_id: ns.id(),
                index,
                link: self.link_name(ns, index),
                cidr: cidr::format(c),
            });
        // An address the link had before must never be taken for the
        // lab's: an intent written for it, then a kill before the cancel,
        // would make teardown remove it.
        if record.is_some()
            && let Some(e) = self.net.addr_taken(ns, index, c)?
        {
            return Err(e);
        }
        self.ahead(record.as_slice(), || self.net.addr_add(ns, index, c))?;
        // The link's name is looked up only for a trace or the ledger: a
        // round trip per address otherwise.
        let nodad = if c.0.is_ipv6() { " nodad" } else { "" };
        self.change(|| {
            let (cidr, name) = (cidr::format(c), self.link_name(ns, index));
            format!("ip {}addr add {cidr} dev {}{nodad}", ip_n(ns), q(&name))
        });
        self.confirm(record.into_iter().collect())
    }

    /// `ip addr del CIDR dev X`; one the lab did not add, on a link no lab
    /// made, outside the lab's namespaces, needs `force`.
    pub fn addr_del(&self, ns: &Ns, index: u32, c: Cidr, force: bool) -> Result<()> {
        let text = cidr::format(c);
        let ours = |o: &Object| {
            matches!(o, Object::Addr { ns: n, index: i, cidr, .. }
                if n == ns.name() && *i == index && *cidr == text)
        };
        let action = format!("delete address {text} from {}", self.link_name(ns, index));
        self.guard_setting(ns, Some(index), ours, force, &action)
            .map_err(|e| e.at_arg(0))?;
        self.net.addr_del(ns, index, c).map_err(|e| match e.kind {
            Kind::NotFound | Kind::Invalid => e.at_arg(0),
            _ => e,
        })?;
        self.change(|| {
            let name = self.link_name(ns, index);
            format!("ip {}addr del {text} dev {}", ip_n(ns), q(&name))
        });
        self.lab.removed(ours);
        Ok(())
    }

    /// `ip link set dev X master BRIDGE`: a port forwards when this returns.
    pub fn set_master(&self, ns: &Ns, index: u32, bridge: u32) -> Result<()> {
        let was = self.was(ns, index, None, |l| {
            (l.master != Some(bridge)).then(|| self.master_was(ns, l.master))
        });
        self.ahead(was.as_slice(), || {
            self.net.set_master(ns, index, Some(bridge))
        })
        .map_err(|e| e.invalid_arg(0))?;
        self.confirm(was.into_iter().collect())?;
        self.change(|| {
            let br = self.net.link_by_index(ns, bridge).map(|b| b.name);
            let name = self.link_name(ns, index);
            let br = br.unwrap_or_default();
            format!("ip {}link set dev {} master {}", ip_n(ns), q(&name), q(&br))
        });
        // A port that has carrier may start forwarding, and so give the
        // bridge carrier: flush both. A port without it changed nothing.
        if self
            .net
            .link_by_index(ns, index)
            .is_ok_and(|port| port.carrier)
        {
            self.net.settle(ns, bridge);
        }
        Ok(())
    }

    /// What a link's bridge was: by index and name, so that teardown puts
    /// the link back on that bridge and no other.
    fn master_was(&self, ns: &Ns, master: Option<u32>) -> Before {
        match master.map(|m| self.net.link_by_index(ns, m)) {
            Some(Ok(b)) => Before::Bridge {
                index: b.index,
                name: b.name,
            },
            _ => Before::Master(master),
        }
    }

    /// `ip link set dev X nomaster`.
    pub fn nomaster(&self, ns: &Ns, index: u32) -> Result<()> {
        let was = self.was(ns, index, None, |l| {
            l.master.map(|m| self.master_was(ns, Some(m)))
        });
        self.ahead(was.as_slice(), || self.net.set_master(ns, index, None))?;
        self.confirm(was.into_iter().collect())?;
        self.change(|| {
            let name = self.link_name(ns, index);
            format!("ip {}link set dev {} nomaster", ip_n(ns), q(&name))
        });
        Ok(())
    }

    /// `ip link del dev X`: a veth goes whole, and its record goes
    /// whichever end was deleted.
    pub fn del_link(&self, ns: &Ns, index: u32, force: bool) -> Result<()> {
        let name = self.link_name(ns, index);
        self.guard(ns, index, force, &format!("delete link \"{name}\""))?;
        let orphans = self.orphans_of(ns.name(), Some(index));
        self.net.del_link(ns, index)?;
        self.change(|| format!("ip {}link del dev {}", ip_n(ns), q(&name)));
        self.lab
            .removed(|o| o.is_link_at(ns.name(), index) || o.has_peer_at(ns.name(), index));
        self.lab.removed(|o| orphans.iter().any(|x| x.same(o)));
        Ok(())
    }

    /// `ip link set dev X netns NS`: the link as it is in `target` now.
    pub fn move_link(&self, from: &Ns, index: u32, target: &Ns, force: bool) -> Result<LinkInfo> {
        let action = format!("move link \"{}\"", self.link_name(from, index));
        self.guard(from, index, force, &action)?;
        // A link of the lab's that goes where it outlives the lab is
        // written ahead there, as if made there: a run killed between the
        // move and the new record leaves an intent `down` settles.
        let intent = self
            .outlives(target)
            .then(|| self.lab.record_of_link(from.name(), index));
        // Only when its name is free there: a move that fails with EEXIST,
        // killed before its cancel, must not leave an intent naming
        // another's link of that name.
        let intent: Vec<Object> = intent
            .flatten()
            .filter(|o| matches!(o, Object::Link { name, .. } if !self.net.has_link(target, name)))
            .map(|mut o| {
                if let Object::Link {
                    ns, ns_id, index, ..
                } = &mut o
                {
                    (*ns, *ns_id, *index) = (target.name().to_string(), target.id(), 0);
                }
                o
            })
            .into_iter()
            .collect();
        let moved = self.ahead(&intent, || self.net.set_netns(from, index, target))?;
        self.change(|| {
            let (name, to) = (q(&moved.name), netns_arg(target));
            format!("ip {}link set dev {name} netns {to}", ip_n(from))
        });
        let to = Place::of(target, moved.index);
        self.lab.link_moved(from.name(), index, &to, &moved.name)?;
        Ok(moved)
    }

    /// The record of a setting of link `index` about to change, if the
    /// link outlives the lab (one it did not make, outside its namespaces)
    /// and `change` says the setting is not already as asked (what it is
    /// now). `renamed` is the name it will have.
    fn was(
        &self,
        ns: &Ns,
        index: u32,
        renamed: Option<&str>,
        change: impl FnOnce(&LinkInfo) -> Option<Before>,
    ) -> Option<Object> {
        if self.lab.made_link(ns.name(), index) || !self.outlives(ns) {
            return None;
        }
        let info = self.net.link_by_index(ns, index).ok()?;
        let before = change(&info)?;
        let mut record = Object::Was {
            ns: ns.name().to_string(),
            ns_id: ns.id(),
            index,
            link: renamed.unwrap_or(&info.name).to_string(),
            before,
        };
        // Changed by another lab that is up: what it was before that (the
        // other labs' ledgers are read at this run's first change of it).
        if self.lab.any(|o| shared::same_setting(o, &record)) {
            return Some(record);
        }
        shared::take_first_before(&self.lab.name, &mut record);
        Some(record)
    }

    /// Refuse to delete or move a link (or change a bridge) netscript did
    /// not make, unless forced.
    pub fn guard(&self, ns: &Ns, index: u32, force: bool, action: &str) -> Result<()> {
        if force || self.made_by_netscript(ns, index)? {
            return Ok(());
        }
        Err(
            Error::new(Kind::Permission, action, "netscript did not create it")
                .in_netns(ns.name())
                .with_help(
                    "it was there before this run (the machine's own, or another tool's); \
                 to change it anyway, pass #{ force: true }",
                ),
        )
    }

    /// Deleting a setting (an address, a route, a rule) the lab did not
    /// make, in a namespace no lab made, is a change no rollback undoes:
    /// it needs `force`. `index` is the link it is on, if any (a link a lab
    /// made is the lab's, and so are its addresses).
    pub fn guard_setting(
        &self,
        ns: &Ns,
        index: Option<u32>,
        recorded: impl Fn(&Object) -> bool,
        force: bool,
        action: &str,
    ) -> Result<()> {
        if force || !self.outlives(ns) || self.lab.any(recorded) {
            return Ok(());
        }
        let made = match index {
            Some(i) => self.made_by_netscript(ns, i)?,
            None => ns.id().is_some() && self.netns_made_by_netscript(ns.name()),
        };
        if made {
            return Ok(());
        }
        Err(
            Error::new(Kind::Permission, action, "netscript did not make it")
                .in_netns(ns.name())
                .with_help(
                    "it was there before this run (the machine's own, or another tool's), and \
                 no rollback puts it back; to delete it anyway, pass #{ force: true }",
                ),
        )
    }

    /// A link this run or another netscript lab still up recorded, a veth
    /// whose other end one of them recorded, or any link inside a
    /// namespace one of them created. Records match by namespace name and
    /// identity (a name can be reused, and "host" is wherever a run
    /// started). A link that is gone is an error (not found), not a
    /// refusal.
    fn made_by_netscript(&self, ns: &Ns, index: u32) -> Result<bool> {
        let this_run = self.lab.objects();
        let mut others: Option<Vec<Object>> = None;
        let mut ours = |ns: &Ns, index: u32| {
            let Some(id) = ns.id() else {
                return false;
            };
            if this_run.iter().any(|o| records(o, ns, id, index)) {
                return true;
            }
            others
                .get_or_insert_with(|| {
                    crate::lab::all()
                        .into_iter()
                        .flat_map(|l| l.objects)
                        .collect()
                })
                .iter()
                .any(|o| records(o, ns, id, index))
        };
        if ours(ns, index) {
            return Ok(true);
        }
        let info = self.net.link_by_index(ns, index)?;
        Ok(matches!(self.net.peer_of(ns, &info), Ok(Some((peer_ns, peer))) if ours(&peer_ns, peer)))
    }
}

/// Whether `o` is namespace `ns` (identity `id`) or link `index` in it.
fn records(o: &Object, ns: &Ns, id: NsId, index: u32) -> bool {
    match o {
        Object::Netns { name, id: made } => name == ns.name() && *made == id,
        Object::Link {
            ns: name,
            ns_id: Some(made),
            index: i,
            ..
        } => name == ns.name() && *made == id && *i == index,
        _ => false,
    }
}
