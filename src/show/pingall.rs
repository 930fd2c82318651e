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
    /// No ARP or neighbour discovery: each source and its targets get
    /// permanent entries for each other before its pings, removed after,
    /// in these namespaces only (those a lab made: a run killed before it
    /// removes them leaves nothing in the host's, a container's or
    /// another program's namespace, which ARP serves as usual). None: off,
    /// the default; a lab that tests ARP itself must see it fail.
    pub static_in: Option<Vec<String>>,
    /// Addresses of namespaces on other machines of a lab across
    /// machines, each with its name there ("b:h2"): every source here
    /// pings them too (`netscript pingall --merge`).
    pub remote: Vec<(String, IpAddr)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            spanning: false,
            timeout: Duration::from_secs(2),
            concurrency: 32,
            static_in: None,
            remote: Vec::new(),
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

/// A pingable address of a namespace, with what a neighbour entry for it
/// (or one made from it) needs.
#[derive(Clone, Copy)]
struct Addr {
    ip: IpAddr,
    len: u8,
    index: u32,
    mac: Option<[u8; 6]>,
}

/// The namespaces (host first) with their pingable addresses; `only`
/// limits them to those names.
fn hosts(net: &Netlink, only: Option<&[String]>) -> Vec<(Ns, Vec<Addr>)> {
    let mut out = Vec::new();
    for ns in Ns::all().unwrap_or_default() {
        if only.is_some_and(|names| !names.iter().any(|n| n == ns.name())) {
            continue;
        }
        let links = net.links(&ns).unwrap_or_default();
        let addrs: Vec<Addr> = net
            .all_addrs(&ns)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(index, (ip, len))| {
                let link = links
                    .iter()
                    .find(|l| l.index == index && l.kind != LinkKind::Loopback)?;
                let mac = crate::mac::parse(&link.mac).ok();
                Some(Addr {
                    ip,
                    len,
                    index,
                    mac,
                })
            })
            .filter(|a| is_reachable_kind(&a.ip))
            .collect();
        if !addrs.is_empty() {
            out.push((ns, addrs));
        }
    }
    out
}

/// A temporary neighbour entry made (with its MAC) or taken away again
/// (None), for `--trace`: namespace, link index, address.
pub type NeighChange<'a> = &'a dyn Fn(&Ns, u32, IpAddr, Option<[u8; 6]>);

pub fn pingall(
    net: &Netlink,
    only: Option<&[String]>,
    opts: &Options,
    changed: NeighChange,
) -> Vec<Pair> {
    let hosts = hosts(net, only);
    let made: Option<std::collections::HashSet<&str>> = opts
        .static_in
        .as_ref()
        .map(|names| names.iter().map(String::as_str).collect());
    // Another machine's address that is one of this machine's is pinged
    // as this machine's.
    let local: std::collections::HashSet<IpAddr> = hosts
        .iter()
        .flat_map(|(_, addrs)| addrs.iter().map(|a| a.ip))
        .collect();
    let elsewhere: Vec<(String, IpAddr)> = opts
        .remote
        .iter()
        .filter(|(_, ip)| !local.contains(ip))
        .cloned()
        .collect();
    let mut results = Vec::new();
    for (i, (from, _)) in hosts.iter().enumerate() {
        let targets: Vec<(&Ns, Addr)> = if opts.spanning {
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
        let remote: &[(String, IpAddr)] = if opts.spanning { &[] } else { &elsewhere };
        let addrs: Vec<IpAddr> = targets
            .iter()
            .map(|(_, a)| a.ip)
            .chain(remote.iter().map(|(_, ip)| *ip))
            .collect();
        let added = match &made {
            Some(made) => static_entries(net, made, (from, &hosts[i].1), &targets, changed),
            None => Vec::new(),
        };
        let oks = ping::ping_many(&file, &addrs, timing, opts.concurrency)
            .unwrap_or_else(|_| vec![false; addrs.len()]);
        for (ns, index, ip) in added {
            if net.neigh_del(ns, index, ip).is_ok() {
                changed(ns, index, ip, None);
            }
        }
        for ((to, addr), ok) in targets.iter().zip(oks.iter().copied()) {
            results.push(Pair {
                from: from.name().to_string(),
                to: to.name().to_string(),
                address: addr.ip,
                ok,
            });
        }
        for ((name, ip), ok) in remote.iter().zip(oks.iter().skip(targets.len())) {
            results.push(Pair {
                from: from.name().to_string(),
                to: name.clone(),
                address: *ip,
                ok: *ok,
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

/// Permanent entries between `from` and each target on a subnet they
/// share, both ways, in the namespaces of `made` only; those added
/// (entries already there are left, and not removed afterwards).
fn static_entries<'a>(
    net: &Netlink,
    made: &std::collections::HashSet<&str>,
    (from, own): (&'a Ns, &[Addr]),
    targets: &[(&'a Ns, Addr)],
    changed: NeighChange,
) -> Vec<(&'a Ns, u32, IpAddr)> {
    let mut added = Vec::new();
    let mut add = |ns: &'a Ns, index: u32, ip: IpAddr, mac: Option<[u8; 6]>| {
        if let Some(mac) = mac
            && *ns != Ns::Host
            && made.contains(ns.name())
            && net.neigh_add(ns, index, ip, mac).is_ok()
        {
            changed(ns, index, ip, Some(mac));
            added.push((ns, index, ip));
        }
    };
    for (to, t) in targets {
        let same = |a: &&Addr| {
            a.ip.is_ipv4() == t.ip.is_ipv4()
                && a.len == t.len
                && crate::cidr::network_of(a.ip, a.len) == crate::cidr::network_of(t.ip, t.len)
        };
        if let Some(a) = own.iter().find(same) {
            add(from, a.index, t.ip, t.mac);
            add(to, t.index, a.ip, a.mac);
        }
    }
    added
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
