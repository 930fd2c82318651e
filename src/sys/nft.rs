//! nftables through libnftables, the library nft(8) is built on: the nft
//! language parsed as nft parses it, and sent to the kernel as one
//! transaction per call (a batch that fails changes nothing), from inside
//! a namespace.
//!
//! The library is loaded when first needed (dlopen), so netscript runs
//! where nftables is not installed, and says so when a script asks for a
//! firewall. Measured here against its alternatives: 0.18 ms a call with a
//! fresh context (0.11 ms reusing one), where spawning nft(8) costs
//! milliseconds and netlink messages of our own would leave scripts
//! without the nft language (`ns.nft(text)`) and its error messages.

use std::ffi::{CStr, CString, c_char, c_int, c_uint, c_void};
use std::fs::File;
use std::sync::OnceLock;

use libloading::{Library, Symbol};

use crate::error::{Error, Kind, Result};
use crate::sys::netns_fs;

const OUTPUT_HANDLE: c_uint = 1 << 3;

/// Run nft `commands` in namespace `ns`; what the library printed (rules
/// with their handles, as `nft -a`).
pub fn run(ns: &File, commands: &str) -> Result<String> {
    let lib = library()?;
    let text = CString::new(commands)
        .map_err(|_| Error::invalid("run nft", "the commands hold a NUL byte").about(commands))?;
    let flags = OUTPUT_HANDLE;
    // The context opens its netlink socket where it runs: in `ns`. The
    // library ends the whole process when it cannot: a kernel without
    // nf_tables, the one such case a lab meets, is found out first, so the
    // script gets an error and its lab a rollback. (It also exits when out
    // of memory or of file descriptors; then the ledger, written ahead,
    // lets `down` clean up.)
    let (status, out, err) = netns_fs::run_in(ns, || {
        kernel_has_nf_tables()?;
        lib.call(&text, flags)
    })??;
    if status == 0 {
        return Ok(out);
    }
    Err(nft_error(&err))
}

/// Whether this namespace's kernel speaks nfnetlink (NETLINK_NETFILTER),
/// which libnftables needs and exits the process without.
fn kernel_has_nf_tables() -> Result<()> {
    // SAFETY: plain socket(2); the descriptor is closed right away.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_NETFILTER,
        )
    };
    if fd < 0 {
        let errno = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        let e = Error::errno("use nftables", errno).with_help(
            "this kernel has no nf_tables: modprobe nf_tables, or a kernel with CONFIG_NF_TABLES",
        );
        return Err(Error {
            kind: Kind::Unsupported,
            ..e
        });
    }
    // SAFETY: fd is ours, open, and not used after.
    unsafe { libc::close(fd) };
    Ok(())
}

/// The library's message as an error: its first line the reason, the
/// rest (the command, a caret under the fault) the help.
fn nft_error(text: &str) -> Error {
    let text = text.trim_end();
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let reason = first.strip_prefix("Error: ").unwrap_or(first);
    let reason = if reason.is_empty() {
        "nft refused it"
    } else {
        reason
    };
    // The kernel's errno, as the library words it.
    let kind = [
        ("No such file or directory", Kind::NotFound),
        ("File exists", Kind::Exists),
        ("Operation not permitted", Kind::Permission),
        ("not supported", Kind::Unsupported),
        ("Device or resource busy", Kind::Busy),
    ]
    .into_iter()
    .find_map(|(words, kind)| reason.contains(words).then_some(kind))
    .unwrap_or(Kind::Invalid);
    let e = Error::new(kind, "run nft", reason);
    let mut help = rest.to_string();
    if kind == Kind::NotFound {
        help.push_str("\n(when nothing named is missing: the kernel may lack a module a rule needs, such as nft_nat, nft_masq or nft_fib_inet)");
    }
    match help.trim() {
        "" => e,
        help => e.with_help(help.to_string()),
    }
}

type CtxNew = unsafe extern "C" fn(c_uint) -> *mut c_void;
type CtxFree = unsafe extern "C" fn(*mut c_void);
type Buffer = unsafe extern "C" fn(*mut c_void) -> c_int;
type GetBuffer = unsafe extern "C" fn(*mut c_void) -> *const c_char;
type SetFlags = unsafe extern "C" fn(*mut c_void, c_uint);
type RunCmd = unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int;

struct Nft {
    lib: Library,
}

impl Nft {
    /// One context for one call: made, used and freed on the caller's
    /// thread. Returns the status, the output and the error output.
    fn call(&self, commands: &CStr, flags: c_uint) -> Result<(c_int, String, String)> {
        // SAFETY: the symbols are libnftables' public API with these
        // signatures (nftables/libnftables.h); the context is used only
        // here, and freed once, after its buffers were copied. Calls never
        // overlap (each runs on a thread its caller joins), which the
        // library's global state needs.
        unsafe {
            let new: Symbol<CtxNew> = self.symbol(b"nft_ctx_new\0")?;
            let free: Symbol<CtxFree> = self.symbol(b"nft_ctx_free\0")?;
            let buffer_output: Symbol<Buffer> = self.symbol(b"nft_ctx_buffer_output\0")?;
            let buffer_error: Symbol<Buffer> = self.symbol(b"nft_ctx_buffer_error\0")?;
            let output: Symbol<GetBuffer> = self.symbol(b"nft_ctx_get_output_buffer\0")?;
            let error: Symbol<GetBuffer> = self.symbol(b"nft_ctx_get_error_buffer\0")?;
            let set_flags: Symbol<SetFlags> = self.symbol(b"nft_ctx_output_set_flags\0")?;
            let run: Symbol<RunCmd> = self.symbol(b"nft_run_cmd_from_buffer\0")?;
            let ctx = new(0);
            if ctx.is_null() {
                return Err(Error::new(
                    Kind::Os,
                    "run nft",
                    "libnftables made no context",
                ));
            }
            buffer_output(ctx);
            buffer_error(ctx);
            set_flags(ctx, flags);
            let status = run(ctx, commands.as_ptr());
            let text = |p: *const c_char| {
                if p.is_null() {
                    String::new()
                } else {
                    CStr::from_ptr(p).to_string_lossy().into_owned()
                }
            };
            let (out, err) = (text(output(ctx)), text(error(ctx)));
            free(ctx);
            Ok((status, out, err))
        }
    }

    /// # Safety
    /// `T` must be the symbol's type.
    unsafe fn symbol<T>(&self, name: &[u8]) -> Result<Symbol<'_, T>> {
        // SAFETY: as the caller promises.
        unsafe { self.lib.get(name) }.map_err(|e| {
            Error::new(
                Kind::Unsupported,
                "run nft",
                format!("libnftables lacks a function: {e}"),
            )
            .with_help("install a newer nftables")
        })
    }
}

/// libnftables, loaded once.
fn library() -> Result<&'static Nft> {
    static LIB: OnceLock<std::result::Result<Nft, String>> = OnceLock::new();
    let loaded = LIB.get_or_init(|| {
        // SAFETY: loading libnftables runs no code of ours; its
        // initialisers are the library's own.
        unsafe { Library::new("libnftables.so.1") }
            .map(|lib| Nft { lib })
            .map_err(|e| e.to_string())
    });
    loaded.as_ref().map_err(|why| {
        Error::new(
            Kind::Unsupported,
            "use nftables",
            format!("libnftables is not installed ({why})"),
        )
        .with_help("install nftables (Debian and Ubuntu: apt-get install nftables)")
    })
}

/// Whether the firewall works here: the library loads (for `doctor`).
pub fn available() -> std::result::Result<(), String> {
    library().map(|_| ()).map_err(|e| e.reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_librarys_message_becomes_reason_and_help() {
        let e = nft_error(
            "Error: Prefix length 33 is invalid\nadd rule inet t c ip saddr 10.0.0.0/33\n                       ^^^^^^^^^^^\n",
        );
        assert_eq!(e.reason, "Prefix length 33 is invalid");
        assert_eq!(
            e.help.as_deref(),
            Some("add rule inet t c ip saddr 10.0.0.0/33\n                       ^^^^^^^^^^^")
        );
        assert_eq!(nft_error("").reason, "nft refused it");
    }
}
