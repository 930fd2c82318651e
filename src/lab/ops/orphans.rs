//! What goes with a link or namespace the script removes: the lab's
//! records of settings on the links that die with it (addresses,
//! neighbour and forwarding entries, qdiscs, bridge VLANs, link settings,
//! the sysctls of those links) and of routes out of them. They leave the
//! ledger with their parent, so that teardown does not report them later
//! as "already gone". Worked out before the removal: the kernel frees a
//! deleted namespace (and the far ends of its veths) in its own time.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::Op;
use crate::lab::Object;
use crate::netlink::RouteInfo;
use crate::ns::Ns;

/// A link about to die: its namespace's name, its index and its name.
type Dying = (String, u32, String);

impl Op<'_> {
    /// The records that go when link `index` of namespace `ns` goes (with
    /// `index` None: when namespace `ns` goes, which takes its links and
    /// the far ends of the lab's veths out of it).
    pub(super) fn orphans_of(&self, ns: &str, index: Option<u32>) -> Vec<Object> {
        let dying = self.dying_with(ns, index);
        let namespaces: BTreeSet<&str> = dying.iter().map(|(n, _, _)| n.as_str()).collect();
        if namespaces.is_empty() {
            return Vec::new();
        }
        // The settings recorded in those namespaces: the only candidates.
        let mut settings = Vec::new();
        self.lab.each(|o| {
            if o.setting_ns().is_some_and(|(n, _)| namespaces.contains(n)) {
                settings.push(o.clone());
            }
        });
        let mut out = Vec::new();
        for space in namespaces {
            let here: Vec<&Dying> = dying.iter().filter(|(n, _, _)| n == space).collect();
            let mine: Vec<&Object> = settings
                .iter()
                .filter(|o| o.setting_ns().is_some_and(|(n, _)| n == space))
                .collect();
            let routes = self.routes_out_of(space, &here, &mine);
            for o in mine {
                if on_dying_link(o, &here) || routes.iter().any(|r| r.same(o)) {
                    out.push(o.clone());
                }
            }
        }
        out
    }

    /// The links that die with the removal, by what the lab recorded.
    fn dying_with(&self, ns: &str, index: Option<u32>) -> Vec<Dying> {
        let mut places: Vec<(String, u32)> =
            index.map(|i| (ns.to_string(), i)).into_iter().collect();
        self.lab.each(|o| {
            let Object::Link {
                ns: at,
                index: i,
                peer: Some(p),
                ..
            } = o
            else {
                return;
            };
            let goes = |n: &str, idx: u32| n == ns && index.is_none_or(|want| want == idx);
            if goes(at, *i) {
                places.push((p.ns.clone(), p.index));
            }
            if goes(&p.ns, p.index) {
                places.push((at.clone(), *i));
            }
        });
        places
            .into_iter()
            .filter(|(n, _)| index.is_some() || n != ns)
            .filter_map(|(n, i)| {
                let name = self.net.link_by_index(&Ns::named(&n), i).ok()?.name;
                Some((n, i, name))
            })
            .collect()
    }

    /// The recorded routes among `settings` (of namespace `space`) whose
    /// every path leaves by one of the `dying` links (the kernel drops them
    /// with it).
    fn routes_out_of(&self, space: &str, dying: &[&Dying], settings: &[&Object]) -> Vec<Object> {
        let ns = Ns::named(space);
        let dies = |dev: u32| dying.iter().any(|(_, i, _)| *i == dev);
        let mut out = Vec::new();
        let mut tables: std::collections::HashMap<u32, Vec<RouteInfo>> = Default::default();
        for o in settings {
            let Object::Route {
                ns: at,
                dst,
                gateway,
                kind,
                metric,
                table,
                ..
            } = o
            else {
                continue;
            };
            if at != space {
                continue;
            }
            let table = table.unwrap_or(254);
            let now = tables
                .entry(table)
                .or_insert_with(|| self.net.routes_in(&ns, table).unwrap_or_default());
            let goes = now.iter().any(|r| {
                same_route(r, dst, gateway, kind, *metric)
                    && if r.nexthops.is_empty() {
                        r.dev.is_some_and(dies)
                    } else {
                        r.nexthops.iter().all(|h| dies(h.dev))
                    }
            });
            if goes {
                out.push((*o).clone());
            }
        }
        out
    }
}

/// Whether `o` is a setting on one of the `dying` links.
fn on_dying_link(o: &Object, dying: &[&Dying]) -> bool {
    match o {
        Object::Addr { index, .. }
        | Object::Neigh { index, .. }
        | Object::Fdb { index, .. }
        | Object::Qdisc { index, .. }
        | Object::PortVlan { index, .. }
        | Object::Was { index, .. } => dying.iter().any(|(_, i, _)| i == index),
        Object::Sysctl { key, .. } => {
            link_of_sysctl(key).is_some_and(|link| dying.iter().any(|(_, _, name)| name == link))
        }
        _ => false,
    }
}

/// The link a per-link sysctl is of (`net.ipv4.conf.eth0.forwarding`:
/// eth0); None for a namespace's own (`net.ipv4.ip_forward`, `conf.all`).
fn link_of_sysctl(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("net.")?;
    let (_family, rest) = rest.split_once('.')?;
    let rest = rest
        .strip_prefix("conf.")
        .or_else(|| rest.strip_prefix("neigh."))?;
    let (link, _) = rest.rsplit_once('.')?;
    (!matches!(link, "all" | "default")).then_some(link)
}

/// Whether `r` is the recorded route (as `ip route del` matches one:
/// destination, kind, and the gateway and metric when given).
fn same_route(r: &RouteInfo, dst: &str, gateway: &str, kind: &str, metric: Option<u32>) -> bool {
    let dst_same = match dst {
        "default" => r.dst.is_none(),
        d => crate::cidr::parse(d)
            .is_ok_and(|(ip, len)| r.dst == Some((crate::cidr::network_of(ip, len), len))),
    };
    let gateway_same = match gateway.parse::<IpAddr>() {
        Ok(g) => r.gateway == Some(g) || r.nexthops.iter().any(|h| h.gateway == Some(g)),
        Err(_) => true,
    };
    dst_same && gateway_same && r.kind == kind && metric.is_none_or(|m| r.metric == Some(m))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sysctls_of_one_link() {
        let of = super::link_of_sysctl;
        assert_eq!(of("net.ipv4.conf.eth0.forwarding"), Some("eth0"));
        assert_eq!(of("net.ipv6.conf.veth1.2.disable_ipv6"), Some("veth1.2"));
        assert_eq!(of("net.ipv4.neigh.h0.gc_stale_time"), Some("h0"));
        assert_eq!(of("net.ipv4.conf.all.forwarding"), None);
        assert_eq!(of("net.ipv6.conf.default.accept_dad"), None);
        assert_eq!(of("net.ipv4.ip_forward"), None);
    }
}
