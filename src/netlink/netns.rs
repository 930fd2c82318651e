//! Namespaces: the `ip netns` verbs that need netlink.

use std::os::fd::AsRawFd;

use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::nsid::{NsidAttribute, NsidMessage};

use super::Netlink;
use super::request::{self, GET};
use crate::error::{Error, Result};
use crate::ns::Ns;
use crate::sys::netns_fs;

/// Loopback is always index 1 in a fresh namespace.
const LOOPBACK_INDEX: u32 = 1;

impl Netlink {
    /// `ip netns add NAME; ip -n NAME link set lo up`
    pub fn add_netns(&self, name: &str) -> Result<()> {
        self.create_with_conn(name)?;
        let ns = Ns::Named(name.to_string());
        if let Err(e) = self.set_up(&ns, LOOPBACK_INDEX, true) {
            let _ = self.del_netns(name);
            return Err(e);
        }
        Ok(())
    }

    /// `ip netns del NAME`. Veths with an end elsewhere are deleted first,
    /// so their other ends are gone when this returns instead of whenever
    /// the kernel frees the namespace.
    pub fn del_netns(&self, name: &str) -> Result<()> {
        netns_fs::validate_name(name)?;
        let ns = Ns::Named(name.to_string());
        let mut dying = Vec::new();
        // A namespace that processes live in (an attached container's) or
        // that has another name goes on after its name is removed: its
        // links stay, so nothing is waited for.
        let lives_on = ns
            .open()
            .map(|f| netns_fs::lives_on_without(&f, name))
            .unwrap_or(false);
        if !lives_on && let Ok(links) = self.dump_links(&ns) {
            for l in links
                .iter()
                .filter(|l| l.kind == "veth" && l.link_netnsid.is_some())
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

    /// Wait (at most a few seconds) until the veth ends that lived on in
    /// other namespaces after their peer's namespace was deleted are gone.
    /// The kernel frees deleted namespaces in batches, so deleting many
    /// and waiting once is fast.
    pub fn wait_dying(&self) {
        if self.dying.borrow().is_empty() {
            return;
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let pending: Vec<(Ns, u32)> = self.dying.borrow().clone();
            let alive: Vec<(Ns, u32)> = pending
                .into_iter()
                .filter(|(ns, index)| self.link_by_index(ns, *index).is_ok())
                .collect();
            let done = alive.is_empty();
            *self.dying.borrow_mut() = alive;
            if done || std::time::Instant::now() > deadline {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// The named namespace that `from` knows by `nsid` (IFLA_LINK_NETNSID).
    /// Ids found are cached, so finding the peers of many veths costs one
    /// query per namespace, not one per namespace per veth.
    pub(super) fn ns_with_nsid(&self, from: &Ns, nsid: i32) -> Result<Option<Ns>> {
        let cached = self.nsids.borrow().get(&(from.clone(), nsid)).cloned();
        if let Some((target, ident)) = cached {
            if target
                .open()
                .and_then(|f| netns_fs::id_of(&f))
                .is_ok_and(|id| id == ident)
            {
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
        for candidate in Ns::all()? {
            if &candidate == from || known.contains(&candidate) {
                continue;
            }
            let Ok(file) = candidate.open() else { continue };
            let ident = netns_fs::id_of(&file)?;
            if let Some(id) = self.nsid_of(from, &candidate)? {
                self.nsids
                    .borrow_mut()
                    .insert((from.clone(), id), (candidate.clone(), ident));
                if id == nsid {
                    return Ok(Some(candidate));
                }
            }
        }
        Ok(None)
    }

    /// The id namespace `target` has inside namespace `from` (what
    /// IFLA_LINK_NETNSID refers to), if one was assigned.
    pub fn nsid_of(&self, from: &Ns, target: &Ns) -> Result<Option<i32>> {
        let file = target.open()?;
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
