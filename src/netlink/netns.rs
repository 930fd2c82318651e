//! Namespaces: the `ip netns` verbs that need netlink.

use std::os::fd::AsRawFd;

use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::nsid::{NsidAttribute, NsidMessage};

use super::LinkKind;
use super::Netlink;
use super::request::{self, GET};
use crate::error::{Error, Result};
use crate::ns::Ns;
use crate::sys::netns_fs::{self, NsId};

impl Netlink {
    /// `ip netns add NAME; ip -n NAME link set lo up` (lo is brought up
    /// as the namespace is made, see conn.rs). `record` is told the
    /// namespace's identity before it is named (see `netns_fs::create`).
    pub fn add_netns(
        &self,
        name: &str,
        ipv6: bool,
        record: impl FnOnce(NsId) -> Result<()>,
    ) -> Result<()> {
        self.create_with_conn(name, ipv6, record)
    }

    /// `ip netns del NAME`. The other ends of its veths are noted, and the
    /// next call that could see them waits until the kernel has freed them.
    pub fn del_netns(&self, name: &str) -> Result<()> {
        netns_fs::validate_name(name)?;
        let holders = crate::sys::netns_holders::Holders::scan_processes();
        let ns = Ns::Named(name.to_string());
        let mut dying = Vec::new();
        // A namespace that processes live in (an attached container's) or
        // that has another name goes on after its name is removed: its
        // links stay, so nothing is waited for.
        let lives_on = ns
            .open()
            .map(|f| holders.keep_alive(&f, &[name]))
            .unwrap_or(false);
        if !lives_on && let Ok(links) = self.dump_links(&ns) {
            for l in links
                .iter()
                .filter(|l| l.kind == LinkKind::Veth && l.link_netnsid.is_some())
            {
                if let Ok(Some(peer)) = self.peer_of(&ns, l) {
                    dying.push(peer);
                }
            }
        }
        self.forget(&ns);
        netns_fs::delete(name)?;
        self.dying.borrow_mut().extend(dying);
        Ok(())
    }

    /// `ip -all netns delete`, for the namespaces named: every name is
    /// unmounted at once so the kernel frees them in one batch, and the
    /// veths in the namespaces that stay whose peers were in them are
    /// waited for by the next `wait_dying`. One result per name, in order.
    ///
    /// Unlike `del_netns`, nothing is asked of the dying namespaces, so
    /// deleting N namespaces does not open N connections. `crossing`, when
    /// the caller knows them, are the veths outside `names` with their other
    /// end inside one: (where, index, which of `names`). Without it they are
    /// found from the other side, one link dump per surviving namespace.
    pub fn del_netns_many(
        &self,
        names: &[&str],
        holders: &crate::sys::netns_holders::Holders,
        crossing: Option<&[(Ns, u32, Ns)]>,
    ) -> Vec<Result<()>> {
        let dying: Vec<(Ns, std::fs::File)> = names
            .iter()
            .filter(|name| netns_fs::validate_name(name).is_ok())
            .map(|name| Ns::Named(name.to_string()))
            .filter_map(|ns| ns.open().ok().map(|f| (ns, f)))
            .filter(|(_, f)| !holders.keep_alive(f, names))
            .collect();
        let into = match crossing {
            Some(known) => {
                let going: std::collections::HashSet<&Ns> =
                    dying.iter().map(|(ns, _)| ns).collect();
                known
                    .iter()
                    .filter(|(_, _, into)| going.contains(into))
                    .cloned()
                    .collect()
            }
            None => self.links_into(&dying),
        };
        drop(dying); // our descriptors must not keep them alive
        // Listen before anything goes, so no removal is missed and the wait
        // need not look at the links first.
        let mut watched: std::collections::HashMap<&Ns, std::collections::HashSet<u32>> =
            std::collections::HashMap::new();
        for (ns, index, _) in &into {
            watched.entry(ns).or_default().insert(*index);
        }
        for (ns, indices) in watched {
            self.watch(ns, indices);
        }
        let valid: Vec<Ns> = names
            .iter()
            .filter(|name| netns_fs::validate_name(name).is_ok())
            .map(|name| Ns::Named(name.to_string()))
            .collect();
        self.forget_all(&valid);
        let results: Vec<Result<()>> = names
            .iter()
            .map(|name| {
                netns_fs::validate_name(name)?;
                netns_fs::delete(name)
            })
            .collect();
        // Only the peers of namespaces whose name really went will go.
        let gone: std::collections::HashSet<&str> = names
            .iter()
            .zip(&results)
            .filter(|(_, r)| r.is_ok())
            .map(|(name, _)| *name)
            .collect();
        let deleted = |ns: &Ns| gone.contains(ns.name());
        self.dying.borrow_mut().extend(
            into.into_iter()
                .filter(|(_, _, into)| deleted(into))
                .map(|(ns, index, _)| (ns, index)),
        );
        results
    }

    /// The veths in namespaces other than `dying` whose peers are in one
    /// of `dying`: where each is, and which of `dying` its peer is in.
    fn links_into(&self, dying: &[(Ns, std::fs::File)]) -> Vec<(Ns, u32, Ns)> {
        let mut found = Vec::new();
        if dying.is_empty() {
            return found;
        }
        let names: std::collections::HashSet<&Ns> = dying.iter().map(|(ns, _)| ns).collect();
        for ns in Ns::all().unwrap_or_default() {
            if names.contains(&ns) {
                continue;
            }
            let Ok(links) = self.dump_links(&ns) else {
                continue;
            };
            let crossing: Vec<_> = links
                .iter()
                .filter(|l| l.kind == LinkKind::Veth && l.link_netnsid.is_some())
                .collect();
            if crossing.is_empty() {
                continue;
            }
            let ids: std::collections::HashMap<i32, &Ns> = dying
                .iter()
                .filter_map(|(d, file)| Some((self.nsid_of_file(&ns, d, file).ok().flatten()?, d)))
                .collect();
            for l in crossing {
                if let Some(into) = l.link_netnsid.and_then(|id| ids.get(&id)) {
                    found.push((ns.clone(), l.index, (*into).clone()));
                }
            }
        }
        found
    }

    /// The named namespace that `from` knows by `nsid` (IFLA_LINK_NETNSID).
    /// Ids found are cached, so finding the peers of many veths costs one
    /// query per namespace, not one per namespace per veth.
    pub(super) fn ns_with_nsid(&self, from: &Ns, nsid: i32) -> Result<Option<Ns>> {
        let cached = self.nsids.borrow().get(&(from.clone(), nsid)).cloned();
        if let Some((target, ident)) = cached {
            if target.id() == Some(ident) {
                return Ok(Some(target));
            }
            self.nsids.borrow_mut().remove(&(from.clone(), nsid));
        }
        let known: Vec<Ns> = self
            .nsids
            .borrow()
            .iter()
            .filter(|((f, _), _)| f == from)
            .map(|(_, (t, _))| t.clone())
            .collect();
        let unknown = |c: &Ns| c != from && !known.contains(c);
        // Where the last peers were found first: the veths of a big lab's
        // hosts mostly end in one namespace (a fabric, a switch), which
        // this finds with one question instead of one per namespace.
        let homes = self.peer_homes.borrow().clone();
        for home in homes.iter().filter(|h| unknown(h)) {
            if self.learn_nsid(from, home)? == Some(nsid) {
                self.found_peer_home(home);
                return Ok(Some(home.clone()));
            }
        }
        // Then the host: most veths end there, and it needs no listing.
        if unknown(&Ns::Host) && self.learn_nsid(from, &Ns::Host)? == Some(nsid) {
            return Ok(Some(Ns::Host));
        }
        for candidate in Ns::all()?.into_iter().skip(1).filter(|c| unknown(c)) {
            if self.learn_nsid(from, &candidate)? == Some(nsid) {
                self.found_peer_home(&candidate);
                return Ok(Some(candidate));
            }
        }
        Ok(None)
    }

    /// Remember that a peer was found in `home` (the last few such).
    fn found_peer_home(&self, home: &Ns) {
        let mut homes = self.peer_homes.borrow_mut();
        homes.retain(|h| h != home);
        homes.insert(0, home.clone());
        homes.truncate(4);
    }

    /// Ask `from` for its id of `candidate`, and cache the answer.
    fn learn_nsid(&self, from: &Ns, candidate: &Ns) -> Result<Option<i32>> {
        let Ok(file) = candidate.open() else {
            return Ok(None);
        };
        let ident = netns_fs::id_of(&file)?;
        let id = self.nsid_of(from, candidate)?;
        if let Some(id) = id {
            self.nsids
                .borrow_mut()
                .insert((from.clone(), id), (candidate.clone(), ident));
        }
        Ok(id)
    }

    /// Cache that `from` knows `target` by `nsid`.
    pub(super) fn remember_nsid(&self, from: &Ns, nsid: i32, target: &Ns) {
        if let Some(ident) = target.id() {
            self.nsids
                .borrow_mut()
                .insert((from.clone(), nsid), (target.clone(), ident));
        }
    }

    /// The id namespace `target` has inside namespace `from` (what
    /// IFLA_LINK_NETNSID refers to), if one was assigned.
    pub fn nsid_of(&self, from: &Ns, target: &Ns) -> Result<Option<i32>> {
        self.nsid_of_file(from, target, &target.open()?)
    }

    /// `nsid_of`, for a namespace already open as `file`.
    fn nsid_of_file(&self, from: &Ns, target: &Ns, file: &std::fs::File) -> Result<Option<i32>> {
        let handle = self.handle(from)?;
        let mut msg = NsidMessage::default();
        msg.attributes
            .push(NsidAttribute::Fd(file.as_raw_fd() as u32));
        let replies = self
            .block_on(request::send(&handle, M::GetNsId(msg), GET))
            .map_err(|e| {
                Error::errno(
                    format!("look up the id of namespace \"{}\"", target.name()),
                    e,
                )
                .in_netns(from.name())
            })?;
        for reply in replies {
            if let M::NewNsId(m) = reply {
                for attr in m.attributes {
                    if let NsidAttribute::Id(id) = attr {
                        return Ok((id >= 0).then_some(id));
                    }
                }
            }
        }
        Ok(None)
    }
}
