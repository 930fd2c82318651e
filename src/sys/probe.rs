//! One ICMP echo and everything that came back for it, as ping(8) and
//! traceroute show it: the reply's TTL and round trip, or the ICMP error
//! a router sent instead (which one, from whom), or nothing.

use std::fs::File;
use std::io::IoSliceMut;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
};

use super::icmp;
use super::ping::Timing;
use crate::error::{Error, Result};
use crate::sys::netns_fs;

/// What came back for a probe.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// "reply"; an error: "net_unreachable", "host_unreachable",
    /// "protocol_unreachable", "port_unreachable", "prohibited",
    /// "frag_needed", "unreachable", "ttl_exceeded", "parameter_problem";
    /// or "lost" when nothing came back in time.
    pub what: &'static str,
    /// Who answered; None when nothing did, or when the sending
    /// namespace's own routes refused the echo.
    pub from: Option<IpAddr>,
    /// The TTL (hop limit) the answer arrived with.
    pub ttl: Option<u8>,
    pub rtt: Option<Duration>,
    /// The ICMP type and code of an error.
    pub icmp: Option<(u8, u8)>,
}

impl Answer {
    fn nothing(what: &'static str) -> Answer {
        Answer {
            what,
            from: None,
            ttl: None,
            rtt: None,
            icmp: None,
        }
    }
}

/// Send echoes to `dst` from inside `ns` (again every `per_try`, until
/// `deadline`) and return the first answer: a reply or an ICMP error
/// about one of them.
pub fn probe(ns: &File, dst: IpAddr, timing: Timing) -> Result<Answer> {
    let v6 = dst.is_ipv6();
    let sock = netns_fs::run_in(ns, || icmp::open_socket(v6, timing.ttl))??;
    if v6 {
        setsockopt(&sock, sockopt::Ipv6RecvHopLimit, &true)
            .map_err(|e| Error::errno("ask for the hop limit of answers", e as i32))?;
    }
    let id = icmp::new_id();
    let start = Instant::now();
    let mut sent: Vec<Instant> = Vec::new();
    let mut next_send = start;
    while !crate::interrupt::requested() {
        let now = Instant::now();
        if now >= start + timing.deadline {
            break;
        }
        if now >= next_send {
            if let Err(errno) = icmp::send_echo(&sock, dst, id, sent.len() as u16) {
                return refused(dst, errno);
            }
            sent.push(now);
            next_send = now + timing.per_try;
        }
        let until = next_send.min(start + timing.deadline);
        if let Some((mut answer, seq)) = receive(&sock, dst, id, until)?
            && let Some(at) = sent.get(usize::from(seq))
        {
            answer.rtt = Some(at.elapsed());
            return Ok(answer);
        }
    }
    Ok(Answer::nothing("lost"))
}

/// An echo the sending namespace would not send: its own routes' verdict.
fn refused(dst: IpAddr, errno: i32) -> Result<Answer> {
    Ok(Answer::nothing(match errno {
        libc::ENETUNREACH => "net_unreachable",
        libc::EHOSTUNREACH => "host_unreachable",
        libc::EACCES | libc::EPERM => "prohibited",
        // A blackhole route drops it without a word.
        libc::EINVAL if !crate::cidr::is_link_local(dst) => "lost",
        _ => {
            return Err(Error::errno(format!("send an ICMP echo to {dst}"), errno).with_help(
                "a link-local (fe80::) address needs an interface: probe a global address instead",
            ));
        }
    }))
}

/// Wait until `until` (at most 100 ms at a time, to notice Ctrl-C) for an
/// answer to one of our echoes, and return it with the echo's sequence.
fn receive(sock: &OwnedFd, dst: IpAddr, id: u16, until: Instant) -> Result<Option<(Answer, u16)>> {
    let left = until.saturating_duration_since(Instant::now());
    let ms = left.as_millis().clamp(1, 100) as i32;
    let mut fds = [PollFd::new(sock.as_fd(), PollFlags::POLLIN)];
    match poll(
        &mut fds,
        PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
    ) {
        Ok(0) | Err(nix::errno::Errno::EINTR) => return Ok(None),
        Ok(_) => {}
        Err(e) => return Err(Error::errno("wait for an ICMP answer", e as i32)),
    }
    let mut buf = [0u8; 1500];
    let mut space = nix::cmsg_space!(libc::c_int);
    // Other programs' ICMP is read and passed over, until `until`.
    while Instant::now() < until {
        let mut iov = [IoSliceMut::new(&mut buf)];
        let msg = match recvmsg::<SockaddrStorage>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            MsgFlags::empty(),
        ) {
            Ok(m) => m,
            Err(nix::errno::Errno::EAGAIN) => return Ok(None),
            Err(e) => return Err(Error::errno("receive an ICMP answer", e as i32)),
        };
        let from = msg.address.and_then(|s| {
            s.as_sockaddr_in()
                .map(|a| IpAddr::V4(a.ip()))
                .or_else(|| s.as_sockaddr_in6().map(|a| IpAddr::V6(a.ip())))
        });
        let hop_limit = msg.cmsgs().ok().and_then(|mut c| {
            c.find_map(|m| match m {
                ControlMessageOwned::Ipv6HopLimit(h) => u8::try_from(h).ok(),
                _ => None,
            })
        });
        let n = msg.bytes;
        let Some(found) = parse(&buf[..n], dst, id) else {
            continue;
        };
        let (what, seq, icmp, v4_ttl) = found;
        let Some(from) = from else { continue };
        // A reply comes from the address pinged; an error from anywhere.
        if what == "reply" && from != dst {
            continue;
        }
        let answer = Answer {
            what,
            from: Some(from),
            ttl: v4_ttl.or(hop_limit),
            rtt: None,
            icmp,
        };
        return Ok(Some((answer, seq)));
    }
    Ok(None)
}

/// What `packet` (an IPv4 packet with its header, or an ICMPv6 message)
/// says about our echoes to `dst` carrying `id`: the answer's name, the
/// echo's sequence, the ICMP type and code of an error, and for IPv4 the
/// TTL it arrived with.
type Found = (&'static str, u16, Option<(u8, u8)>, Option<u8>);

fn parse(packet: &[u8], dst: IpAddr, id: u16) -> Option<Found> {
    let (icmp, ttl) = match dst {
        IpAddr::V4(_) => {
            let header = usize::from(packet.first()? & 0x0f) * 4;
            (packet.get(header..)?, Some(*packet.get(8)?))
        }
        IpAddr::V6(_) => (packet, None),
    };
    let (kind, code) = (*icmp.first()?, *icmp.get(1)?);
    let ours = |echo: &[u8], request: u8| {
        (echo.len() >= 8 && echo[0] == request && echo[4..6] == id.to_be_bytes())
            .then(|| u16::from_be_bytes([echo[6], echo[7]]))
    };
    let reply = if dst.is_ipv4() { 0 } else { 129 };
    if kind == reply {
        return ours(icmp, reply).map(|seq| ("reply", seq, None, ttl));
    }
    let what = error_name(dst.is_ipv6(), kind, code)?;
    // The error quotes the start of our echo: its IP header, then the
    // first 8 bytes of the ICMP message.
    let quoted = icmp.get(8..)?;
    let echo = match dst {
        IpAddr::V4(d) => {
            let header = usize::from(quoted.first()? & 0x0f) * 4;
            let to = Ipv4Addr::from(<[u8; 4]>::try_from(quoted.get(16..20)?).ok()?);
            if quoted.get(9) != Some(&1) || to != d {
                return None;
            }
            quoted.get(header..)?
        }
        IpAddr::V6(d) => {
            let to = Ipv6Addr::from(<[u8; 16]>::try_from(quoted.get(24..40)?).ok()?);
            if quoted.get(6) != Some(&58) || to != d {
                return None;
            }
            quoted.get(40..)?
        }
    };
    let request = if dst.is_ipv4() { 8 } else { 128 };
    ours(echo, request).map(|seq| (what, seq, Some((kind, code)), ttl))
}

/// The name of an ICMP (ICMPv6) error; None for what is not one.
fn error_name(v6: bool, kind: u8, code: u8) -> Option<&'static str> {
    Some(match (v6, kind, code) {
        (false, 3, 0) | (true, 1, 0) => "net_unreachable",
        (false, 3, 1) | (true, 1, 3) => "host_unreachable",
        (false, 3, 2) => "protocol_unreachable",
        (false, 3, 3) | (true, 1, 4) => "port_unreachable",
        (false, 3, 4) | (true, 2, _) => "frag_needed",
        (false, 3, 9 | 10 | 13) | (true, 1, 1 | 5 | 6) => "prohibited",
        (false, 3, _) | (true, 1, _) => "unreachable",
        (false, 11, _) | (true, 3, _) => "ttl_exceeded",
        (false, 12, _) | (true, 4, _) => "parameter_problem",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4 ICMP error as a router sends it: its own header (TTL 63),
    /// type and code, then our echo's header and first 8 bytes.
    fn v4_error(kind: u8, code: u8, to: [u8; 4], id: u16, seq: u16) -> Vec<u8> {
        let mut p = vec![
            0x45, 0, 0, 56, 0, 0, 0, 0, 63, 1, 0, 0, 10, 0, 1, 254, 10, 0, 1, 1,
        ];
        p.extend_from_slice(&[kind, code, 0, 0, 0, 0, 0, 0]);
        let mut inner = vec![0x45, 0, 0, 84, 0, 0, 0, 0, 1, 1, 0, 0, 10, 0, 1, 1];
        inner.extend_from_slice(&to);
        p.extend_from_slice(&inner);
        p.extend_from_slice(&[8, 0, 0, 0]);
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&seq.to_be_bytes());
        p
    }

    #[test]
    fn errors_about_our_echoes_are_named_and_matched() {
        let dst = IpAddr::from([10, 9, 0, 1]);
        let p = v4_error(3, 0, [10, 9, 0, 1], 0x1234, 2);
        assert_eq!(
            parse(&p, dst, 0x1234),
            Some(("net_unreachable", 2, Some((3, 0)), Some(63)))
        );
        let p = v4_error(11, 0, [10, 9, 0, 1], 0x1234, 0);
        assert_eq!(parse(&p, dst, 0x1234).map(|f| f.0), Some("ttl_exceeded"));
        // Another program's echo, or an echo to another address: not ours.
        assert_eq!(parse(&p, dst, 0x4321), None);
        let p = v4_error(3, 1, [10, 9, 0, 2], 0x1234, 0);
        assert_eq!(parse(&p, dst, 0x1234), None);
        // A redirect is not an answer.
        let p = v4_error(5, 0, [10, 9, 0, 1], 0x1234, 0);
        assert_eq!(parse(&p, dst, 0x1234), None);
    }

    #[test]
    fn replies_carry_the_ttl_they_arrived_with() {
        let dst = IpAddr::from([10, 9, 0, 1]);
        let mut p = vec![
            0x45, 0, 0, 28, 0, 0, 0, 0, 61, 1, 0, 0, 10, 9, 0, 1, 10, 0, 1, 1,
        ];
        p.extend_from_slice(&[0, 0, 0, 0, 0x12, 0x34, 0, 5]);
        assert_eq!(parse(&p, dst, 0x1234), Some(("reply", 5, None, Some(61))));
        let v6 = IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
        let reply = [129, 0, 0, 0, 0x12, 0x34, 0, 1];
        assert_eq!(parse(&reply, v6, 0x1234), Some(("reply", 1, None, None)));
        assert_eq!(error_name(true, 1, 0), Some("net_unreachable"));
        assert_eq!(error_name(true, 3, 0), Some("ttl_exceeded"));
        assert_eq!(error_name(false, 3, 13), Some("prohibited"));
    }
}
