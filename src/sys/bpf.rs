//! Capture filters in tcpdump's language ("icmp", "tcp port 80 and host
//! 10.0.0.2"), compiled to a classic BPF program by libpcap, which is
//! loaded at run time (as tcpdump's own compiler: the same syntax and
//! the same meaning, and no build-time dependency). The program runs in
//! the kernel, on the capture socket: packets that do not match are never
//! copied to netscript.

use std::ffi::{CStr, CString, c_char, c_int, c_uint, c_void};

use libloading::{Library, Symbol};

use crate::error::{Error, Kind, Result};

/// libpcap's `struct bpf_program`.
#[repr(C)]
struct Program {
    len: c_uint,
    insns: *mut libc::sock_filter,
}

const DLT_EN10MB: c_int = 1;
const PCAP_NETMASK_UNKNOWN: u32 = 0xffff_ffff;

/// The filter `text` as a BPF program for an Ethernet capture socket.
pub fn compile(text: &str) -> Result<Vec<libc::sock_filter>> {
    let action = format!("compile the capture filter {text:?}");
    let expr = CString::new(text)
        .map_err(|_| Error::invalid(&action, "it contains a NUL byte").about(text))?;
    // SAFETY: loading a shared library runs its initialisers; libpcap's
    // are plain.
    let lib = unsafe { Library::new("libpcap.so.0.8") }
        .or_else(|_| unsafe { Library::new("libpcap.so.1") })
        .or_else(|_| unsafe { Library::new("libpcap.so") })
        .map_err(|_| {
            Error::new(Kind::Unsupported, &action, "libpcap is not installed").with_help(
                "install it (Debian: apt-get install libpcap0.8), or capture without a filter",
            )
        })?;
    type OpenDead = unsafe extern "C" fn(c_int, c_int) -> *mut c_void;
    type Compile =
        unsafe extern "C" fn(*mut c_void, *mut Program, *const c_char, c_int, u32) -> c_int;
    type GetErr = unsafe extern "C" fn(*mut c_void) -> *const c_char;
    type FreeCode = unsafe extern "C" fn(*mut Program);
    type Close = unsafe extern "C" fn(*mut c_void);
    // SAFETY: the symbols have these C signatures in every libpcap since
    // 1.0 (pcap/pcap.h).
    unsafe {
        let missing = |_| Error::new(Kind::Unsupported, &action, "this libpcap is too old");
        let open_dead: Symbol<OpenDead> = lib.get(b"pcap_open_dead\0").map_err(missing)?;
        let pcap_compile: Symbol<Compile> = lib.get(b"pcap_compile\0").map_err(missing)?;
        let geterr: Symbol<GetErr> = lib.get(b"pcap_geterr\0").map_err(missing)?;
        let freecode: Symbol<FreeCode> = lib.get(b"pcap_freecode\0").map_err(missing)?;
        let close: Symbol<Close> = lib.get(b"pcap_close\0").map_err(missing)?;
        let pcap = open_dead(DLT_EN10MB, 65535);
        if pcap.is_null() {
            return Err(Error::new(Kind::Os, &action, "libpcap could not start"));
        }
        let mut prog = Program {
            len: 0,
            insns: std::ptr::null_mut(),
        };
        let result = if pcap_compile(pcap, &mut prog, expr.as_ptr(), 1, PCAP_NETMASK_UNKNOWN) != 0 {
            let why = CStr::from_ptr(geterr(pcap)).to_string_lossy().into_owned();
            Err(Error::invalid(&action, why)
                .with_help("the syntax is tcpdump's: `man 7 pcap-filter`")
                .about(text))
        } else {
            let insns = std::slice::from_raw_parts(prog.insns, prog.len as usize).to_vec();
            freecode(&mut prog);
            Ok(insns)
        };
        close(pcap);
        result
    }
}
