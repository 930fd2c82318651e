//! Waiting for links to go away, on the kernel's own link events rather
//! than by polling: the veth ends that outlive their peer's namespace for
//! as long as the kernel takes to free it.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use std::os::fd::{AsFd, AsRawFd};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use rtnetlink::sys::Socket;
use rtnetlink::sys::protocols::NETLINK_ROUTE;

use super::LinkKind;
use super::Netlink;
use crate::ns::Ns;
use crate::sys::netns_fs;

/// How long a teardown waits for the kernel to free deleted namespaces.
const PATIENCE: Duration = Duration::from_secs(10);
/// How long without an event before looking whether the links are gone.
const QUIET: Duration = Duration::from_millis(200);

impl Netlink {
    /// Wait until the veth ends that lived on in other namespaces after
    /// their peer's namespace was deleted are gone (at most 10 s in all).
    /// The kernel frees deleted namespaces in batches, so deleting many
    /// and waiting once is fast. Returns the links that did not go: their
    /// other end had been moved out of the namespace that went, or the
    /// patience ran out.
    pub fn wait_dying(&self) -> Vec<(Ns, u32)> {
        let pending = std::mem::take(&mut *self.dying.borrow_mut());
        let mut by_ns: HashMap<Ns, HashSet<u32>> = HashMap::new();
        for (ns, index) in pending {
            by_ns.entry(ns).or_default().insert(index);
        }
        let deadline = Instant::now() + PATIENCE;
        let mut stayed = Vec::new();
        for (ns, indices) in by_ns {
            let left = self.wait_gone(&ns, indices, deadline);
            stayed.extend(left.into_iter().map(|index| (ns.clone(), index)));
        }
        // Sockets watched for links that turned out not to be waited for.
        self.watching.borrow_mut().clear();
        stayed
    }

    /// Listen to the link events of `ns` from now on, for links `indices`
    /// about to go: the next `wait_dying` then misses none of their
    /// removals, and need not look at the links first.
    pub(super) fn watch(&self, ns: &Ns, indices: HashSet<u32>) {
        if let Some((_, known)) = self.watching.borrow_mut().get_mut(ns) {
            known.extend(indices);
            return;
        }
        let Ok(file) = ns.open() else { return };
        if let Ok(Ok(socket)) = netns_fs::run_in(&file, subscribe) {
            self.watching
                .borrow_mut()
                .insert(ns.clone(), (socket, indices));
        }
    }

    /// Wait for the removal events of `indices` in `ns`: on the socket
    /// `watch` opened before they could go, or on a new one (or for links
    /// not watched from the start), after seeing which are still there.
    /// Returns the links that stayed.
    fn wait_gone(&self, ns: &Ns, mut indices: HashSet<u32>, deadline: Instant) -> Vec<u32> {
        let mut stayed = Vec::new();
        let watched = self.watching.borrow_mut().remove(ns);
        let socket = match watched {
            Some((socket, known)) => {
                if !indices.is_subset(&known) {
                    stayed.extend(self.retain_going(ns, &mut indices));
                }
                socket
            }
            None => {
                let Ok(file) = ns.open() else {
                    return stayed;
                };
                let Ok(Ok(socket)) = netns_fs::run_in(&file, subscribe) else {
                    return stayed;
                };
                stayed.extend(self.retain_going(ns, &mut indices));
                socket
            }
        };
        let mut buf = vec![0u8; 1 << 16];
        while !indices.is_empty() && Instant::now() < deadline {
            match next_removals(&socket, &mut buf) {
                Some(gone) => indices.retain(|i| !gone.contains(i)),
                // Nothing heard for a while, or events were lost (ENOBUFS,
                // when many links go at once): look instead.
                None => stayed.extend(self.retain_going(ns, &mut indices)),
            }
        }
        stayed.extend(indices);
        stayed
    }

    /// Keep the links still there, but for a veth whose other end is in a
    /// namespace that lives on under a name (or in the host): that one was
    /// moved out of the dying namespace, and will not go. Returns those.
    fn retain_going(&self, ns: &Ns, indices: &mut HashSet<u32>) -> Vec<u32> {
        let mut staying = Vec::new();
        match self.dump_links(ns) {
            Ok(links) => {
                let present: HashMap<u32, Option<i32>> = links
                    .iter()
                    .filter(|l| indices.contains(&l.index))
                    .map(|l| (l.index, l.link_netnsid.filter(|_| l.kind == LinkKind::Veth)))
                    .collect();
                let living = if present.values().any(Option::is_some) {
                    self.ids_of_living(ns)
                } else {
                    HashSet::new()
                };
                indices.retain(|i| match present.get(i) {
                    None => false,
                    Some(Some(peer_ns)) if living.contains(peer_ns) => {
                        staying.push(*i);
                        false
                    }
                    Some(_) => true,
                });
            }
            Err(_) => indices.clear(),
        }
        staying
    }

    /// The ids that namespace `from` has for the namespaces that have a
    /// name (and the host).
    fn ids_of_living(&self, from: &Ns) -> HashSet<i32> {
        Ns::all()
            .unwrap_or_default()
            .iter()
            .filter(|other| *other != from)
            .filter_map(|other| self.nsid_of(from, other).ok().flatten())
            .collect()
    }
}

/// A netlink socket of the calling thread's namespace that receives link
/// events.
fn subscribe() -> std::io::Result<Socket> {
    let mut socket = Socket::new(NETLINK_ROUTE)?;
    socket.bind_auto()?;
    // Room for the burst of events when many links go at once (FORCE: past
    // rmem_max, as root may; a lost event only costs a look at the links).
    let size: libc::c_int = 4 << 20;
    // SAFETY: setsockopt(2) on a socket we own, with a c_int option value.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    socket.add_membership(libc::RTNLGRP_LINK)?;
    Ok(socket)
}

/// The indices of the links removed in the next batch of events, or None
/// after a quiet spell or a receive error. Only the headers are read: a
/// burst of thousands of events is mostly about other things.
fn next_removals(socket: &Socket, buf: &mut [u8]) -> Option<Vec<u32>> {
    let mut fds = [PollFd::new(socket.as_fd(), PollFlags::POLLIN)];
    let quiet = PollTimeout::try_from(QUIET.as_millis() as i32).unwrap_or(PollTimeout::NONE);
    if poll(&mut fds, quiet).ok()? == 0 {
        return None;
    }
    let Ok(len) = socket.recv(&mut &mut buf[..], 0) else {
        // Events were lost (ENOBUFS). The kernel queues no more until the
        // socket is empty: empty it, so what follows the look is heard.
        while socket.recv(&mut &mut buf[..], libc::MSG_DONTWAIT).is_ok() {}
        return None;
    };
    removals_in(&buf[..len])
}

/// RTM_DELLINK of the link itself (family AF_UNSPEC: a port leaving a
/// bridge is announced as an AF_BRIDGE DELLINK too): the index, from the
/// ifinfomsg after each nlmsghdr. None for a batch that does not parse.
fn removals_in(batch: &[u8]) -> Option<Vec<u32>> {
    const NLMSG_HDRLEN: usize = 16;
    let mut gone = Vec::new();
    let mut at = 0;
    while at + NLMSG_HDRLEN <= batch.len() {
        let word = |o: usize| -> Option<u32> {
            Some(u32::from_ne_bytes(
                batch.get(at + o..at + o + 4)?.try_into().ok()?,
            ))
        };
        let size = word(0)? as usize;
        let kind = u16::from_ne_bytes(batch.get(at + 4..at + 6)?.try_into().ok()?);
        if size < NLMSG_HDRLEN || at + size > batch.len() {
            return None;
        }
        // struct ifinfomsg { u8 family; u8 pad; u16 type; i32 index; ... }
        if kind == libc::RTM_DELLINK && size >= NLMSG_HDRLEN + 8 && batch[at + NLMSG_HDRLEN] == 0 {
            gone.push(word(NLMSG_HDRLEN + 4)?);
        }
        at += (size + 3) & !3;
    }
    Some(gone)
}

#[cfg(test)]
mod tests {
    /// The headers read by hand agree with netlink-packet-route's encoding:
    /// only a link's own removal counts.
    #[test]
    fn only_a_links_own_removal_is_read_from_a_batch() {
        use rtnetlink::packet_core::NetlinkMessage;
        use rtnetlink::packet_route::link::LinkMessage;
        use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage as M};
        let message = |family, index, del: bool| {
            let mut link = LinkMessage::default();
            link.header.interface_family = family;
            link.header.index = index;
            let inner = if del {
                M::DelLink(link)
            } else {
                M::NewLink(link)
            };
            let mut msg = NetlinkMessage::from(inner);
            msg.finalize();
            let mut bytes = vec![0u8; msg.buffer_len()];
            msg.serialize(&mut bytes);
            bytes
        };
        let mut batch = message(AddressFamily::Unspec, 7, true);
        batch.extend(message(AddressFamily::Bridge, 8, true));
        batch.extend(message(AddressFamily::Unspec, 9, false));
        batch.extend(message(AddressFamily::Unspec, 10, true));
        assert_eq!(removals_in(&batch), Some(vec![7, 10]));
        assert_eq!(removals_in(&batch[..batch.len() - 3]), None, "cut short");
    }

    use super::*;
    use std::io::Write;
    use std::process::{Command, Stdio};

    fn ip_batch(commands: &str) {
        let mut ip = Command::new("ip")
            .args(["-batch", "-"])
            .stdin(Stdio::piped())
            .spawn()
            .expect("ip");
        ip.stdin
            .take()
            .unwrap()
            .write_all(commands.as_bytes())
            .unwrap();
        assert!(ip.wait().unwrap().success());
    }

    /// Events lost to a full socket (the kernel flags ENOBUFS) make the
    /// wait look at the links instead of trusting what it read; the socket
    /// then reports removals again. Runs on a thread in a network namespace
    /// of its own (as root), where `ip` makes the events.
    #[test]
    fn lost_events_make_the_wait_look_instead() {
        std::thread::spawn(|| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
                .expect("a private network namespace (run the tests as root)");
            let socket = subscribe().unwrap();
            let room = |size: libc::c_int| {
                // SAFETY: setsockopt(2) on a socket we own, with a c_int value.
                unsafe {
                    libc::setsockopt(
                        socket.as_raw_fd(),
                        libc::SOL_SOCKET,
                        libc::SO_RCVBUFFORCE,
                        (&size as *const libc::c_int).cast(),
                        std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                    )
                }
            };
            room(1);
            let adds: String = (0..100)
                .map(|i| format!("link add a{i} type veth peer name b{i}\n"))
                .collect();
            ip_batch(&adds);
            let mut buf = vec![0u8; 1 << 16];
            assert_eq!(next_removals(&socket, &mut buf), None, "the overflow");
            // Drain what did fit; with room again, a removal is heard.
            while next_removals(&socket, &mut buf).is_some() {}
            room(1 << 20);
            let out = Command::new("ip")
                .args(["-o", "link", "show", "a7"])
                .output()
                .unwrap();
            let index: u32 = String::from_utf8_lossy(&out.stdout)
                .split(':')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            ip_batch("link del a7\n");
            let mut heard = Vec::new();
            while let Some(gone) = next_removals(&socket, &mut buf) {
                heard.extend(gone);
                if heard.contains(&index) {
                    break;
                }
            }
            assert!(heard.contains(&index), "heard {heard:?}, not {index}");
        })
        .join()
        .unwrap();
    }
}
