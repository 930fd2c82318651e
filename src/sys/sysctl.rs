//! Network sysctls of one namespace, read and written through
//! /proc/sys/net from a thread inside it (`ip netns exec NS sysctl`).

use std::fs::File;
use std::io::Write;

use crate::error::{Error, Result};
use crate::sys::netns_fs;

/// "net.ipv4.ip_forward" -> "/proc/sys/net/ipv4/ip_forward". Only `net.`
/// keys are per-namespace; anything else would change the whole machine.
pub fn path_of(key: &str) -> Result<String> {
    checked_path(key).map_err(|e| e.about(key))
}

fn checked_path(key: &str) -> Result<String> {
    let action = format!("use sysctl {key:?}");
    if !key.starts_with("net.") {
        return Err(
            Error::invalid(action, "only net.* sysctls belong to a network namespace")
                .with_help("other sysctls are machine-wide; netscript does not change them"),
        );
    }
    // Interface names may contain dots; sysctl(8) writes those as '/'.
    // Every component must stay a plain name, so the path cannot leave
    // /proc/sys/net.
    let mut parts = Vec::new();
    for part in key.split('.') {
        let part = part.replace('/', ".");
        if part.is_empty() || part == "." || part == ".." || part.contains('\0') {
            return Err(Error::invalid(action, "not a sysctl name"));
        }
        parts.push(part);
    }
    let path = parts.join("/");
    Ok(format!("/proc/sys/{path}"))
}

fn not_found(key: &str, e: &std::io::Error, action: String) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::not_found(action, format!("no sysctl {key:?} in this namespace"))
            .about(key)
            .with_help("check the name with `sysctl -a | grep KEY`; some net.* keys exist only in the host namespace")
    } else {
        Error::from_io(action, e)
    }
}

/// Settings a fresh lab namespace gets, applied to the calling thread's
/// namespace: no duplicate address detection for IPv6, so link-local
/// addresses (which a router uses for neighbour discovery) work the moment
/// a link is up instead of ~2 s later; without `ipv6`, no IPv6 at all
/// (`IPV6_OFF`; a kernel without IPv6 already is). Made here, on the
/// thread that made the namespace, rather than later from another one:
/// the kernel's disable_ipv6 handler does not wait for the lock that
/// namespace making holds, it restarts the write until it gets it, so a
/// second thread writing it while namespaces are made spins.
///
/// /proc/sys/net is opened once: the kernel finds the "net" entry of the
/// calling namespace by walking one entry per namespace on the machine, so
/// every full path costs time in proportion to the number of namespaces.
pub fn lab_defaults_here(ipv6: bool) -> std::io::Result<()> {
    use nix::fcntl::{OFlag, openat};
    use nix::sys::stat::Mode;
    let net = match crate::sys::fresh_proc::open_sys_net() {
        Ok(net) => net,
        // Without it, IPv6 could not be turned off: said, not skipped.
        Err(e) if !ipv6 => return Err(e),
        Err(_) => return Ok(()),
    };
    let write = |key: &str, value: &str| -> std::io::Result<()> {
        let key = key.trim_start_matches("net.").replace('.', "/");
        let fd = openat(
            &net,
            key.as_str(),
            OFlag::O_WRONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        File::from(fd).write_all(value.as_bytes())
    };
    for (key, value) in LAB_DEFAULTS {
        let _ = write(key, value);
    }
    if !ipv6 {
        for (key, value) in IPV6_OFF {
            match write(key, value) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                done => done?,
            }
        }
    }
    Ok(())
}

/// What `ipv6: false` sets inside a namespace.
pub const IPV6_OFF: &[(&str, &str)] = &[
    ("net.ipv6.conf.all.disable_ipv6", "1"),
    ("net.ipv6.conf.default.disable_ipv6", "1"),
];

/// The sysctls `lab_defaults_here` sets, as `sysctl` names them.
pub const LAB_DEFAULTS: &[(&str, &str)] = &[
    ("net.ipv6.conf.all.accept_dad", "0"),
    ("net.ipv6.conf.default.accept_dad", "0"),
];

/// `lab_defaults_here` as the command that does the same in namespace
/// `ns` (for `--trace`): `-e`, as a kernel without IPv6 has no such keys.
pub fn lab_defaults_command(ns: &str) -> String {
    let settings: Vec<String> = LAB_DEFAULTS
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!("ip netns exec {ns} sysctl -q -e -w {}", settings.join(" "))
}

pub fn read(ns: &File, key: &str) -> Result<String> {
    let path = path_of(key)?;
    let action = format!("read sysctl {key}");
    netns_fs::run_in(ns, || std::fs::read_to_string(&path))?
        .map(|v| v.trim_end().to_string())
        .map_err(|e| not_found(key, &e, action))
}

pub fn write(ns: &File, key: &str, value: &str) -> Result<()> {
    write_many(ns, &[(key, value)])
}

/// Set several sysctls of namespace `ns`, in order, from one thread inside
/// it; stops at the first that fails.
pub fn write_many(ns: &File, settings: &[(&str, &str)]) -> Result<()> {
    let paths = settings
        .iter()
        .map(|(key, _)| path_of(key))
        .collect::<Result<Vec<_>>>()?;
    netns_fs::run_in(ns, || {
        for ((key, value), path) in settings.iter().zip(&paths) {
            std::fs::write(path, value).map_err(|e| {
                let e = not_found(key, &e, format!("set sysctl {key} = {value}"));
                if e.kind == crate::error::Kind::Invalid {
                    e.about(*value)
                } else {
                    e
                }
            })?;
        }
        Ok(())
    })?
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_network_keys() {
        assert_eq!(
            super::path_of("net.ipv4.ip_forward").unwrap(),
            "/proc/sys/net/ipv4/ip_forward"
        );
        assert!(super::path_of("kernel.hostname").is_err());
        assert_eq!(
            super::path_of("net.ipv4.conf.veth1/1.forwarding").unwrap(),
            "/proc/sys/net/ipv4/conf/veth1.1/forwarding"
        );
        assert!(super::path_of("net..x").is_err());
        assert!(super::path_of("net.//.kernel.hostname").is_err());
        assert!(super::path_of("net./.x").is_err());
        assert!(super::path_of("net.ipv4.").is_err());
    }
}
