//! ICMP echo from a raw socket opened inside a namespace: `ping -c 1`
//! without the `ping` binary.

use std::fs::File;
use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::icmp;
use crate::error::{Error, Result};
use crate::sys::netns_fs;

/// How long one echo waits for its answer, how long retries go on, and
/// the TTL (hop limit) echoes leave with (None: the namespace's default).
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub per_try: Duration,
    pub deadline: Duration,
    pub ttl: Option<u8>,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            per_try: Duration::from_secs(1),
            deadline: Duration::from_secs(3),
            ttl: None,
        }
    }
}

/// Send echo requests to `dst` from inside namespace `ns`; true as soon as
/// one is answered. Each echo waits `per_try` for its reply; new echoes go
/// out until `deadline` has passed.
pub fn ping(ns: &File, dst: IpAddr, timing: Timing) -> Result<bool> {
    let mut answers = ping_each(ns, &[dst], timing, 1)?;
    answers.pop().unwrap_or(Ok(false))
}

/// What `ping -c COUNT -i INTERVAL` reports: echoes sent and answered,
/// and the round-trip time of each answer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    pub sent: u32,
    /// Round-trip times of the echoes answered, in the order sent.
    pub rtts: Vec<Duration>,
}

/// Send `count` echoes to `dst` from inside `ns`, one every `interval`,
/// and wait up to `wait` after the last for the answers. A duplicated
/// answer counts once; an echo the kernel refuses to send is unanswered.
pub fn stats(
    ns: &File,
    dst: IpAddr,
    count: u32,
    interval: Duration,
    wait: Duration,
) -> Result<Stats> {
    let sock = netns_fs::run_in(ns, || icmp::open_socket(dst.is_ipv6(), None))??;
    let id = icmp::new_id();
    let start = Instant::now();
    // Per echo: when it left (None: refused by the kernel), its answer.
    let mut sent_at: Vec<Option<Instant>> = Vec::new();
    let mut answer: Vec<Option<Duration>> = Vec::new();
    let end = start + interval * count.saturating_sub(1) + wait;
    while !crate::interrupt::requested() {
        let now = Instant::now();
        let all_sent = sent_at.len() as u32 == count;
        let waiting = sent_at
            .iter()
            .zip(&answer)
            .any(|(sent, answered)| sent.is_some() && answered.is_none());
        if (all_sent && !waiting) || now >= end {
            break;
        }
        let next_send = start + interval * sent_at.len() as u32;
        if !all_sent && now >= next_send {
            let seq = sent_at.len() as u16;
            // Timed from before the send, as ping(8) does: a qdisc's delay
            // starts inside the send, so it never shows as less.
            let leaving = Instant::now();
            match icmp::send_echo(&sock, dst, id, seq) {
                Ok(()) => sent_at.push(Some(leaving)),
                // A link-local address needs an interface: a mistake, said.
                Err(errno @ (libc::EINVAL | libc::EAFNOSUPPORT))
                    if crate::cidr::is_link_local(dst) =>
                {
                    return Err(Error::errno(format!("send an ICMP echo to {dst}"), errno)
                        .with_help(
                            "a link-local (fe80::) address needs an interface: ping a global address instead",
                        ));
                }
                // No route, or one that drops it: this echo is lost.
                Err(_) => sent_at.push(None),
            }
            answer.push(None);
            continue;
        }
        let until = if all_sent { end } else { next_send };
        for (source, seq) in wait_replies(&[&sock], id, until)? {
            let i = usize::from(seq);
            if source == dst
                && let (Some(Some(at)), Some(slot @ None)) = (sent_at.get(i), answer.get_mut(i))
            {
                *slot = Some(at.elapsed());
            }
        }
    }
    Ok(Stats {
        sent: sent_at.len() as u32,
        rtts: answer.into_iter().flatten().collect(),
    })
}

/// `ping` to many addresses at once from one namespace, over one socket per
/// address family: at most `in_flight` addresses are being pinged at any
/// moment (each until it answers or its `deadline` passes). One answer per
/// address, in order; an address the kernel refuses to send to (a
/// prohibit route, a firewall) counts as unanswered.
pub fn ping_many(
    ns: &File,
    dsts: &[IpAddr],
    timing: Timing,
    in_flight: usize,
) -> Result<Vec<bool>> {
    Ok(ping_each(ns, dsts, timing, in_flight)?
        .into_iter()
        .map(|a| a.unwrap_or(false))
        .collect())
}

/// `ping_many` with the error for each address the kernel refused to send
/// to.
fn ping_each(
    ns: &File,
    dsts: &[IpAddr],
    timing: Timing,
    in_flight: usize,
) -> Result<Vec<Result<bool>>> {
    let want_v4 = dsts.iter().any(|d| d.is_ipv4());
    let want_v6 = dsts.iter().any(|d| d.is_ipv6());
    let (v4, v6) = netns_fs::run_in(ns, || -> Result<_> {
        Ok((
            want_v4
                .then(|| icmp::open_socket(false, timing.ttl))
                .transpose()?,
            want_v6
                .then(|| icmp::open_socket(true, timing.ttl))
                .transpose()?,
        ))
    })??;
    let id = icmp::new_id();
    let mut pinging = Pinging::new(dsts, timing, in_flight.max(1));
    let mut refused: Vec<Option<Error>> = dsts.iter().map(|_| None).collect();
    while !pinging.done() && !crate::interrupt::requested() {
        for (i, dst, seq) in pinging.due() {
            let sock = if dst.is_ipv6() { &v6 } else { &v4 };
            let Some(sock) = sock else { continue };
            match icmp::send_echo(sock, dst, id, seq) {
                Ok(()) => {}
                // A link-local address needs an interface: a mistake, said.
                Err(errno @ (libc::EINVAL | libc::EAFNOSUPPORT))
                    if crate::cidr::is_link_local(dst) =>
                {
                    refused[i] = Some(
                        Error::errno(format!("send an ICMP echo to {dst}"), errno).with_help(
                            "a link-local (fe80::) address needs an interface: ping a global address instead",
                        ),
                    );
                    pinging.settle(i, false);
                }
                // No route, or a route or firewall that drops it (blackhole:
                // EINVAL, prohibit: EACCES, netfilter: EPERM): unanswered.
                Err(
                    libc::ENETUNREACH
                    | libc::EHOSTUNREACH
                    | libc::EINVAL
                    | libc::EAFNOSUPPORT
                    | libc::EPERM
                    | libc::EACCES,
                ) => pinging.settle(i, false),
                // No buffer space or the like: the next try resends.
                Err(_) => {}
            }
        }
        let socks: Vec<&OwnedFd> = [&v4, &v6].into_iter().flatten().collect();
        for (source, _) in wait_replies(&socks, id, pinging.next_event())? {
            pinging.answered(source);
        }
    }
    Ok(pinging
        .results()
        .into_iter()
        .zip(refused)
        .map(|(ok, refused)| refused.map_or(Ok(ok), Err))
        .collect())
}

/// The state of a `ping_many`: which addresses are being pinged, when
/// their next echo is due, and which have answered.
struct Pinging<'a> {
    dsts: &'a [IpAddr],
    timing: Timing,
    in_flight: usize,
    /// Per address: None while pending, then its answer.
    answer: Vec<Option<bool>>,
    /// Per address being pinged: when it started and its next echo is due.
    active: Vec<(usize, Instant, Instant)>,
    next_to_start: usize,
    seq: u16,
}

impl<'a> Pinging<'a> {
    fn new(dsts: &'a [IpAddr], timing: Timing, in_flight: usize) -> Self {
        Pinging {
            dsts,
            timing,
            in_flight,
            answer: vec![None; dsts.len()],
            active: Vec::new(),
            next_to_start: 0,
            seq: 0,
        }
    }

    fn done(&self) -> bool {
        self.answer.iter().all(Option::is_some)
    }

    /// The echoes to send now: new addresses up to `in_flight`, and those
    /// whose last echo went unanswered for `per_try`. Addresses past their
    /// deadline are settled as unanswered.
    fn due(&mut self) -> Vec<(usize, IpAddr, u16)> {
        let now = Instant::now();
        let (deadline, per_try) = (self.timing.deadline, self.timing.per_try);
        let expired: Vec<usize> = self
            .active
            .iter()
            .filter(|(_, started, _)| now >= *started + deadline)
            .map(|(i, _, _)| *i)
            .collect();
        for i in expired {
            self.settle(i, false);
        }
        while self.active.len() < self.in_flight && self.next_to_start < self.dsts.len() {
            let i = self.next_to_start;
            self.next_to_start += 1;
            if self.answer[i].is_none() {
                self.active.push((i, now, now));
            }
        }
        let mut out = Vec::new();
        for (i, _, next) in &mut self.active {
            if *next <= now {
                *next = now + per_try;
                self.seq = self.seq.wrapping_add(1);
                out.push((*i, self.dsts[*i], self.seq));
            }
        }
        out
    }

    /// When the next echo is due or an address reaches its deadline.
    fn next_event(&self) -> Instant {
        self.active
            .iter()
            .map(|(_, started, next)| (*next).min(*started + self.timing.deadline))
            .min()
            .unwrap_or_else(Instant::now)
    }

    fn settle(&mut self, i: usize, ok: bool) {
        self.answer[i].get_or_insert(ok);
        self.active.retain(|(j, _, _)| *j != i);
    }

    /// A reply came from `source`: every active address equal to it is done.
    fn answered(&mut self, source: IpAddr) {
        let hits: Vec<usize> = self
            .active
            .iter()
            .filter(|(i, _, _)| self.dsts[*i] == source)
            .map(|(i, _, _)| *i)
            .collect();
        for i in hits {
            self.settle(i, true);
        }
    }

    fn results(self) -> Vec<bool> {
        self.answer.into_iter().map(|a| a == Some(true)).collect()
    }
}

/// Wait until `until` (at most 100 ms, to notice Ctrl-C) for echo replies
/// carrying `id` on any of `socks`; the addresses they came from, with
/// their sequence numbers.
fn wait_replies(socks: &[&OwnedFd], id: u16, until: Instant) -> Result<Vec<(IpAddr, u16)>> {
    let left = until.saturating_duration_since(Instant::now());
    let ms = left.as_millis().clamp(1, 100) as i32;
    let mut fds: Vec<PollFd> = socks
        .iter()
        .map(|s| PollFd::new(s.as_fd(), PollFlags::POLLIN))
        .collect();
    match poll(
        &mut fds,
        PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
    ) {
        Ok(0) | Err(nix::errno::Errno::EINTR) => return Ok(Vec::new()),
        Ok(_) => {}
        Err(e) => return Err(Error::errno("wait for an ICMP reply", e as i32)),
    }
    let mut buf = [0u8; 1500];
    let mut sources = Vec::new();
    for sock in socks {
        loop {
            let (n, from) = match nix::sys::socket::recvfrom::<nix::sys::socket::SockaddrStorage>(
                sock.as_raw_fd(),
                &mut buf,
            ) {
                Ok(r) => r,
                Err(nix::errno::Errno::EAGAIN) => break,
                Err(e) => return Err(Error::errno("receive an ICMP reply", e as i32)),
            };
            let source = from.and_then(|s| {
                s.as_sockaddr_in()
                    .map(|a| IpAddr::V4(a.ip()))
                    .or_else(|| s.as_sockaddr_in6().map(|a| IpAddr::V6(a.ip())))
            });
            if let Some(source) = source
                && let Some(seq) = our_reply(&buf[..n], source.is_ipv6(), id)
            {
                sources.push((source, seq));
            }
        }
    }
    Ok(sources)
}

/// The sequence number of an echo reply carrying `id`; None for any
/// other packet.
fn our_reply(packet: &[u8], v6: bool, id: u16) -> Option<u16> {
    let icmp = if v6 {
        packet
    } else {
        let header_len = usize::from(packet.first().map_or(0, |b| b & 0x0f)) * 4;
        packet.get(header_len..).unwrap_or(&[])
    };
    let reply_type = if v6 { 129 } else { 0 };
    (icmp.len() >= 8 && icmp[0] == reply_type && icmp[1] == 0 && icmp[4..6] == id.to_be_bytes())
        .then(|| u16::from_be_bytes([icmp[6], icmp[7]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_matched_by_type_and_id() {
        let mut v4 = vec![0x45u8; 20];
        v4.extend_from_slice(&[0, 0, 0, 0, 0x12, 0x34, 0, 1]);
        assert_eq!(our_reply(&v4, false, 0x1234), Some(1));
        assert_eq!(our_reply(&v4, false, 0x1235), None);
        assert_eq!(
            our_reply(&[129, 0, 0, 0, 0x12, 0x34, 0, 7], true, 0x1234),
            Some(7)
        );
        assert_eq!(
            our_reply(&[128, 0, 0, 0, 0x12, 0x34, 0, 1], true, 0x1234),
            None
        );
    }
}
