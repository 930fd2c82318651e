//! ICMP echoes from a raw socket: the socket, the echo request, and the
//! identifier that tells our answers from others'.

use std::net::{IpAddr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use nix::sys::socket::{setsockopt, sockopt};

use crate::error::{Error, Result};

/// An identifier for a run of echoes: this process's, varied per run.
pub fn new_id() -> u16 {
    (std::process::id() as u16) ^ next_sequence()
}

fn next_sequence() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static COUNTER: AtomicU16 = AtomicU16::new(0x5a5a);
    COUNTER.fetch_add(0x1f1f, Ordering::Relaxed)
}

/// A raw ICMP (ICMPv6) socket, non-blocking; echoes leave it with `ttl`
/// when given.
pub fn open_socket(v6: bool, ttl: Option<u8>) -> Result<OwnedFd> {
    let (family, proto) = if v6 {
        (libc::AF_INET6, libc::IPPROTO_ICMPV6)
    } else {
        (libc::AF_INET, libc::IPPROTO_ICMP)
    };
    // SAFETY: plain socket(2) call; the returned descriptor is owned below.
    let fd = unsafe {
        libc::socket(
            family,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            proto,
        )
    };
    if fd < 0 {
        let errno = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        return Err(Error::errno("open an ICMP socket", errno)
            .with_help("ping needs root or CAP_NET_RAW, or try --sandbox"));
    }
    // SAFETY: fd is a fresh descriptor nobody else owns.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    if let Some(ttl) = ttl {
        let set = if v6 {
            setsockopt(&sock, sockopt::Ipv6Ttl, &i32::from(ttl))
        } else {
            setsockopt(&sock, sockopt::Ipv4Ttl, &i32::from(ttl))
        };
        set.map_err(|e| Error::errno(format!("set the TTL of echoes to {ttl}"), e as i32))?;
    }
    Ok(sock)
}

/// Send one echo request to `dst`: 64 bytes, `id` and `seq` in its header.
pub fn send_echo(sock: &OwnedFd, dst: IpAddr, id: u16, seq: u16) -> std::result::Result<(), i32> {
    let mut packet = [0u8; 64];
    packet[0] = if dst.is_ipv6() { 128 } else { 8 };
    packet[4..6].copy_from_slice(&id.to_be_bytes());
    packet[6..8].copy_from_slice(&seq.to_be_bytes());
    for (i, b) in packet[8..].iter_mut().enumerate() {
        *b = i as u8;
    }
    if dst.is_ipv4() {
        let sum = checksum(&packet);
        packet[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    let addr = match dst {
        IpAddr::V4(v4) => {
            nix::sys::socket::SockaddrStorage::from(SocketAddr::V4(SocketAddrV4::new(v4, 0)))
        }
        IpAddr::V6(v6) => {
            nix::sys::socket::SockaddrStorage::from(SocketAddr::V6(SocketAddrV6::new(v6, 0, 0, 0)))
        }
    };
    nix::sys::socket::sendto(
        sock.as_raw_fd(),
        &packet,
        &addr,
        nix::sys::socket::MsgFlags::empty(),
    )
    .map(|_| ())
    .map_err(|e| e as i32)
}

/// The Internet checksum (RFC 1071).
fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_rfc1071_example() {
        // The worked example of RFC 1071 section 3: sum 0xddf2, checksum 0x220d.
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
    }
}
