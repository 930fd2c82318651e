//! Waiting for links to go away, on the kernel's own link events rather
//! than by polling: the veth ends that outlive their peer's namespace for
//! as long as the kernel takes to free it.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use std::os::fd::{AsFd, AsRawFd};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload};
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::sys::Socket;
use rtnetlink::sys::protocols::NETLINK_ROUTE;

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
    /// and waiting once is fast.
    pub fn wait_dying(&self) {
        let pending = std::mem::take(&mut *self.dying.borrow_mut());
        let mut by_ns: HashMap<Ns, HashSet<u32>> = HashMap::new();
        for (ns, index) in pending {
            by_ns.entry(ns).or_default().insert(index);
        }
        let deadline = Instant::now() + PATIENCE;
        for (ns, indices) in by_ns {
            self.wait_gone(&ns, indices, deadline);
        }
        // Sockets watched for links that turned out not to be waited for.
        self.watching.borrow_mut().clear();
    }

    /// Listen to the link events of `ns` from now on, for the next
    /// `wait_dying`: then links that go before it are not missed, and it
    /// need not look at the links first.
    pub(super) fn watch(&self, ns: &Ns) {
        if self.watching.borrow().contains_key(ns) {
            return;
        }
        let Ok(file) = ns.open() else { return };
        if let Ok(Ok(socket)) = netns_fs::run_in(&file, subscribe) {
            self.watching.borrow_mut().insert(ns.clone(), socket);
        }
    }

    /// Wait for the removal events of `indices` in `ns`: on the socket
    /// `watch` opened before they could go, or on a new one, after seeing
    /// which are still there.
    fn wait_gone(&self, ns: &Ns, mut indices: HashSet<u32>, deadline: Instant) {
        let watched = self.watching.borrow_mut().remove(ns);
        let socket = match watched {
            Some(socket) => socket,
            None => {
                let Ok(file) = ns.open() else { return };
                let Ok(Ok(socket)) = netns_fs::run_in(&file, subscribe) else {
                    return;
                };
                self.retain_present(ns, &mut indices);
                socket
            }
        };
        let mut buf = vec![0u8; 1 << 16];
        while !indices.is_empty() && Instant::now() < deadline {
            match next_removals(&socket, &mut buf) {
                Some(gone) => indices.retain(|i| !gone.contains(i)),
                // Nothing heard for a while, or events were lost (ENOBUFS,
                // when many links go at once): look instead.
                None => self.retain_present(ns, &mut indices),
            }
        }
    }

    fn retain_present(&self, ns: &Ns, indices: &mut HashSet<u32>) {
        match self.dump_links(ns) {
            Ok(links) => {
                let present: HashSet<u32> = links.iter().map(|l| l.index).collect();
                indices.retain(|i| present.contains(i));
            }
            Err(_) => indices.clear(),
        }
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
/// after a quiet spell or a receive error.
fn next_removals(socket: &Socket, buf: &mut [u8]) -> Option<Vec<u32>> {
    let mut fds = [PollFd::new(socket.as_fd(), PollFlags::POLLIN)];
    let quiet = PollTimeout::try_from(QUIET.as_millis() as i32).unwrap_or(PollTimeout::NONE);
    if poll(&mut fds, quiet).ok()? == 0 {
        return None;
    }
    let len = socket.recv(&mut &mut buf[..], 0).ok()?;
    let mut gone = Vec::new();
    let mut at = 0;
    while at < len {
        // Unreadable: look at the links instead of trusting the rest.
        let msg = NetlinkMessage::<M>::deserialize(&buf[at..len]).ok()?;
        let size = msg.header.length as usize;
        // A port leaving a bridge is announced as an AF_BRIDGE DELLINK; only
        // the link's own removal counts.
        if let NetlinkPayload::InnerMessage(M::DelLink(link)) = msg.payload
            && link.header.interface_family == AddressFamily::Unspec
        {
            gone.push(link.header.index);
        }
        if size == 0 {
            break;
        }
        at += (size + 3) & !3;
    }
    Some(gone)
}

#[cfg(test)]
mod tests {
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
