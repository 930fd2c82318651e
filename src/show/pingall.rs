//! `pingall`: every namespace with an address pings every address of every
//! other namespace, natively and concurrently, without flooding the
//! machine-wide neighbour table: sources go one at a time and the entries
//! they created are flushed before the next.

use std::net::IpAddr;
use std::time::Duration;

use crate::netlink::LinkKind;
use crate::netlink::Netlink;
use crate::ns::Ns;
use crate::sys::ping;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    pub from: String,
    pub to: String,
    pub address: IpAddr,
    pub ok: bool,
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Only a chain (each namespace pings the next): n-1 pings for a quick
    /// check of a big lab.
    pub spanning: bool,
    pub timeout: Duration,
    /// Pings in flight at once.
    pub concurrency: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            spanning: false,
            timeout: Duration::from_secs(2),
            concurrency: 32,
        }
    }
}

fn is_reachable_kind(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !v4.is_loopback() && !v4.is_unspecified(),
        IpAddr::V6(v6) => {
            !v6.is_loopback() && !crate::cidr::is_link_local(*ip) && !v6.is_unspecified()
        }
    }
}

/// The namespaces (host first) with their pingable addresses; `only`
/// limits them to those names.
fn hosts(net: &Netlink, only: Option<&[String]>) -> Vec<(Ns, Vec<IpAddr>)> {
    let mut out = Vec::new();
    for ns in Ns::all().unwrap_or_default() {
        if only.is_some_and(|names| !names.iter().any(|n| n == ns.name())) {
            continue;
        }
        let links = net.links(&ns).unwrap_or_default();
        let addrs: Vec<IpAddr> = net
            .all_addrs(&ns)
            .unwrap_or_default()
            .into_iter()
            .filter(|(i, _)| {
                links
                    .iter()
                    .any(|l| l.index == *i && l.kind != LinkKind::Loopback)
            })
            .map(|(_, (ip, _))| ip)
            .filter(is_reachable_kind)
            .collect();
        if !addrs.is_empty() {
            out.push((ns, addrs));
        }
    }
    out
}

pub fn pingall(net: &Netlink, only: Option<&[String]>, opts: &Options) -> Vec<Pair> {
    let hosts = hosts(net, only);
    let mut results = Vec::new();
    for (i, (from, _)) in hosts.iter().enumerate() {
        let targets: Vec<(&Ns, IpAddr)> = if opts.spanning {
            hosts
                .get(i + 1)
                .map(|(ns, addrs)| vec![(ns, addrs[0])])
                .unwrap_or_default()
        } else {
            hosts
                .iter()
                .filter(|(ns, _)| ns != from)
                .flat_map(|(ns, addrs)| addrs.iter().map(move |a| (ns, *a)))
                .collect()
        };
        let Ok(file) = from.open() else { continue };
        let timing = ping::Timing {
            per_try: opts.timeout.min(Duration::from_secs(1)),
            deadline: opts.timeout,
            ttl: None,
        };
        let addrs: Vec<IpAddr> = targets.iter().map(|(_, a)| *a).collect();
        let oks = ping::ping_many(&file, &addrs, timing, opts.concurrency)
            .unwrap_or_else(|_| vec![false; addrs.len()]);
        for ((to, addr), ok) in targets.iter().zip(oks) {
            results.push(Pair {
                from: from.name().to_string(),
                to: to.name().to_string(),
                address: *addr,
                ok,
            });
        }
        // Keep the neighbour table small: what this source and its targets
        // learned goes before the next source starts.
        let _ = net.neigh_flush(from, None);
        let mut flushed: Vec<&Ns> = Vec::new();
        for (to, _) in &targets {
            if !flushed.contains(to) {
                let _ = net.neigh_flush(to, None);
                flushed.push(to);
            }
        }
    }
    results
}

/// Mininet's matrix: one line per source, `X` for a pair that dropped,
/// then the summary.
pub fn matrix(results: &[Pair]) -> String {
    let mut out = String::new();
    let mut sources: Vec<&str> = Vec::new();
    for r in results {
        if !sources.contains(&r.from.as_str()) {
            sources.push(&r.from);
        }
    }
    for s in sources {
        let mut line = format!("{s} ->");
        for r in results.iter().filter(|r| r.from == s) {
            if r.ok {
                line.push_str(&format!(" {}", r.to));
            } else {
                line.push_str(&format!(" X({} {})", r.to, r.address));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    let dropped = results.iter().filter(|r| !r.ok).count();
    out.push_str(&format!("dropped {dropped}/{}\n", results.len()));
    out
}
