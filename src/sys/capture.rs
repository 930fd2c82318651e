//! A capture socket: AF_PACKET, opened inside a link's namespace and bound
//! to that link, with an optional BPF filter attached before it is bound
//! (so no packet that does not match is ever queued).

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};

/// One packet as the socket saw it.
#[derive(Clone, Debug)]
pub struct Frame {
    /// When it was received (Unix time).
    pub time: Duration,
    /// Its bytes, from the Ethernet header on.
    pub data: Vec<u8>,
    /// Its length on the wire (more than `data` if it was cut).
    pub length: usize,
    /// Sent by the link (not received).
    pub outgoing: bool,
}

/// `SIOCGSTAMPNS` (asm-generic/sockios.h), which the libc crate lacks.
const SIOCGSTAMPNS: libc::c_ulong = 0x8907;

/// The most of each packet kept: a jumbo frame's worth.
const SNAPLEN: usize = 65535;

pub struct Tap {
    fd: OwnedFd,
    /// The link's namespace and index, to tell when it is gone (the
    /// socket then just stops receiving).
    ns: File,
    index: u32,
}

impl Tap {
    /// A socket on link `index` of namespace `ns`, seeing every packet it
    /// sends and receives that passes `filter` (all, if empty).
    pub fn open(ns: &File, index: u32, filter: &[libc::sock_filter]) -> Result<Tap> {
        let action = "open a capture socket";
        let fd = crate::sys::netns_fs::run_in(ns, || {
            // Protocol 0: nothing arrives until the socket is bound.
            // SAFETY: socket(2) with constant arguments.
            let fd =
                unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // SAFETY: a new descriptor nobody else owns.
            Ok(unsafe { OwnedFd::from_raw_fd(fd) })
        })?
        .map_err(|e| Error::from_io(action, &e).or_help("capturing needs root or CAP_NET_RAW"))?;
        if !filter.is_empty() {
            let prog = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr() as *mut libc::sock_filter,
            };
            // SAFETY: SO_ATTACH_FILTER copies the program we point to.
            let rc = unsafe {
                libc::setsockopt(
                    fd.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_ATTACH_FILTER,
                    (&prog as *const libc::sock_fprog).cast(),
                    std::mem::size_of::<libc::sock_fprog>() as u32,
                )
            };
            if rc != 0 {
                return Err(Error::from_io(
                    "attach the capture filter",
                    &std::io::Error::last_os_error(),
                ));
            }
        }
        // Time every packet as it arrives (else the kernel starts only at
        // the first SIOCGSTAMPNS, and the first packet gets the time of
        // asking).
        let on: libc::c_int = 1;
        // SAFETY: SO_TIMESTAMPNS takes an int flag.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_TIMESTAMPNS,
                (&on as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as u32,
            )
        };
        // SAFETY: an all-zero sockaddr_ll is valid; we fill what bind reads.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        addr.sll_ifindex = index as i32;
        // SAFETY: bind(2) with the address above and its size.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        if rc != 0 {
            return Err(Error::from_io(action, &std::io::Error::last_os_error()));
        }
        ethernet_only(&fd)?;
        Ok(Tap {
            fd,
            ns: ns.try_clone().map_err(|e| Error::from_io(action, &e))?,
            index,
        })
    }

    /// When the kernel received the packet read last (the same clock for
    /// every link, so packets of several links can be put in order).
    fn stamp(&self) -> Duration {
        // SAFETY: an all-zero timespec is valid; SIOCGSTAMPNS fills it.
        let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
        // SAFETY: the ioctl writes one timespec into ours.
        let rc = unsafe { libc::ioctl(self.fd.as_raw_fd(), SIOCGSTAMPNS as _, &mut ts) };
        if rc == 0 {
            Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
        } else {
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
        }
    }

    /// Whether the link is still there.
    pub fn alive(&self) -> bool {
        let index = self.index;
        crate::sys::netns_fs::run_in(&self.ns, move || {
            let mut name = [0 as libc::c_char; libc::IF_NAMESIZE];
            // SAFETY: if_indextoname writes at most IF_NAMESIZE bytes.
            !unsafe { libc::if_indextoname(index, name.as_mut_ptr()) }.is_null()
        })
        .unwrap_or(false)
    }

    /// The packet waiting on the socket, if any (never waits).
    pub fn read(&self) -> Option<Frame> {
        let mut buf = vec![0u8; SNAPLEN];
        // SAFETY: an all-zero sockaddr_ll is valid for recvfrom to fill.
        let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_ll>() as u32;
        // SAFETY: recvfrom(2) into our buffer and address; MSG_TRUNC makes
        // it return the packet's whole length.
        let n = unsafe {
            libc::recvfrom(
                self.fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_TRUNC | libc::MSG_DONTWAIT,
                (&mut from as *mut libc::sockaddr_ll).cast(),
                &mut len,
            )
        };
        if n < 0 {
            return None;
        }
        let length = n as usize;
        buf.truncate(length.min(SNAPLEN));
        Some(Frame {
            time: self.stamp(),
            data: buf,
            length,
            outgoing: from.sll_pkttype == libc::PACKET_OUTGOING,
        })
    }
}

/// Wait until one of `taps` has a packet, at most `timeout`.
pub fn wait_any(taps: &[&Tap], timeout: Duration) {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let ms = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
    let mut fds: Vec<PollFd> = taps
        .iter()
        .map(|t| PollFd::new(t.fd.as_fd(), PollFlags::POLLIN))
        .collect();
    let _ = poll(&mut fds, PollTimeout::from(ms));
}

/// Captures are written and filtered as Ethernet frames: a link that
/// carries none (tun, WireGuard, GRE) is refused rather than misread.
fn ethernet_only(fd: &OwnedFd) -> Result<()> {
    // SAFETY: an all-zero sockaddr_ll is valid for getsockname to fill.
    let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_ll>() as u32;
    // SAFETY: getsockname(2) into our address and its size.
    let rc = unsafe {
        libc::getsockname(
            fd.as_raw_fd(),
            (&mut addr as *mut libc::sockaddr_ll).cast(),
            &mut len,
        )
    };
    if rc != 0 || matches!(addr.sll_hatype, libc::ARPHRD_ETHER | libc::ARPHRD_LOOPBACK) {
        return Ok(());
    }
    Err(Error::new(
        crate::error::Kind::Unsupported,
        "open a capture socket",
        format!(
            "the link carries no Ethernet frames (hardware type {}), and captures are Ethernet",
            addr.sll_hatype
        ),
    )
    .with_help("capture on an Ethernet link the packets cross (a veth, a bridge)"))
}
