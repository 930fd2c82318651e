//! Routes and neighbour entries of a namespace. One added in a namespace
//! the lab did not make is recorded on its own (written ahead), so that
//! teardown removes it.

use std::net::IpAddr;

use super::{Op, ip_n, q};
use crate::error::{Error, Kind, Result};
use crate::lab::Object;
use crate::netlink::{LinkInfo, RouteSpec, RuleSpec};
use crate::ns::Ns;

impl Op<'_> {
    /// `ip route add ROUTE [dev DEV]`; `dev` names the route's link.
    pub fn route_add(&self, ns: &Ns, route: &RouteSpec, dev: Option<&str>) -> Result<()> {
        let record = self.outlives(ns).then(|| Object::Route {
            ns: ns.name().to_string(),
            ns_id: ns.id(),
            dst: route.dst_text(),
            gateway: route.gateway.map_or(String::new(), |g| g.to_string()),
            kind: route.kind.name().into(),
            metric: route.metric,
            table: route.table,
            proto: route.proto,
        });
        self.ahead(record.as_slice(), || self.net.route_add(ns, route))?;
        self.change(|| route_command("add", ns, route, dev));
        self.confirm(record.into_iter().collect())
    }

    /// `ip route del ROUTE [dev DEV]`.
    /// Given the gateway of any path of a multipath route, the route goes
    /// whole, for IPv4 and IPv6 alike (the kernel would match only the
    /// first path of an IPv4 one, and remove only that path of an IPv6 one).
    /// One the lab did not add, outside the namespaces a lab made, needs
    /// `force` (the machine's default route, say: no rollback puts it back).
    pub fn route_del(
        &self,
        ns: &Ns,
        route: &RouteSpec,
        dev: Option<&str>,
        force: bool,
    ) -> Result<()> {
        let multipath = self.one_of_its_paths(ns, route);
        let whole = multipath.is_some();
        // The record of this route, and not of another to the same place:
        // by gateway (none for a multipath route) and metric when given. A
        // record kept too many is only tried again (and found gone).
        let dst = route.dst_text();
        let via = if whole {
            String::new()
        } else {
            route.gateway.map_or(String::new(), |g| g.to_string())
        };
        let ours = |o: &Object| {
            matches!(o, Object::Route { ns: n, dst: d, kind, table, gateway, metric, .. }
                if n == ns.name() && *d == dst && kind == route.kind.name() && *table == route.table
                    && (route.metric.is_none() || *metric == route.metric)
                    && *gateway == via)
        };
        // A route out of a link a lab made (the kernel's own for its
        // address, too) is the lab's: the kernel matches it by that link.
        let action = format!("delete route {}", route.describe());
        self.guard_setting(ns, route.dev, ours, force, &action)?;
        if let Some(metric) = multipath {
            // By that route's metric: another multipath route to the same
            // place (at another metric) stays.
            let whole = RouteSpec {
                gateway: None,
                dev: None,
                metric: route.metric.or(metric),
                ..route.clone()
            };
            self.net.route_del(ns, &whole)?;
        } else {
            self.net.route_del(ns, route)?;
        }
        self.change(|| route_command("del", ns, route, dev));
        self.lab.removed(ours);
        Ok(())
    }

    /// `ip neigh add IP lladdr MAC dev DEV` (`mac` as the script wrote it).
    pub fn neigh_add(
        &self,
        ns: &Ns,
        dev: &LinkInfo,
        ip: IpAddr,
        mac: ([u8; 6], &str),
    ) -> Result<()> {
        let record = self.outlives(ns).then(|| neigh_record(ns, dev, ip, false));
        self.ahead(record.as_slice(), || {
            self.net.neigh_add(ns, dev.index, ip, mac.0)
        })?;
        self.change(|| {
            let (text, name) = (q(&mac.1.to_lowercase()).into_owned(), q(&dev.name));
            format!("ip {}neigh add {ip} lladdr {text} dev {name}", ip_n(ns))
        });
        self.confirm(record.into_iter().collect())
    }

    /// Trace a neighbour entry made (with its MAC) or taken away (None) by
    /// a call that keeps it only for a while (`pingall` with static
    /// neighbours): no record, as it is gone again when the call returns.
    pub fn trace_neigh(&self, ns: &Ns, index: u32, ip: IpAddr, mac: Option<[u8; 6]>) {
        self.change(|| {
            let name = self.link_name(ns, index);
            let dev = q(&name);
            match mac {
                Some(mac) => {
                    let text = crate::mac::format(&mac).to_lowercase();
                    format!("ip {}neigh add {ip} lladdr {text} dev {dev}", ip_n(ns))
                }
                None => format!("ip {}neigh del {ip} dev {dev}", ip_n(ns)),
            }
        });
    }

    /// `ip neigh del IP dev DEV`.
    pub fn neigh_del(&self, ns: &Ns, dev: &LinkInfo, ip: IpAddr) -> Result<()> {
        self.net.neigh_del(ns, dev.index, ip)?;
        self.change(|| format!("ip {}neigh del {ip} dev {}", ip_n(ns), q(&dev.name)));
        let text = ip.to_string();
        self.lab.removed(|o| {
            matches!(o, Object::Neigh { ns: n, index, ip, proxy: false, .. }
                if n == ns.name() && *index == dev.index && *ip == text)
        });
        Ok(())
    }
}

impl Op<'_> {
    /// `ip neigh add|del proxy IP dev DEV`: the namespace answers ARP and
    /// neighbour solicitations for `ip` on `dev` (given forwarding, and for
    /// IPv6 the proxy_ndp sysctl). Recorded in a namespace the lab did not
    /// make.
    pub fn proxy(&self, ns: &Ns, dev: &LinkInfo, ip: IpAddr, add: bool) -> Result<()> {
        let verb = if add { "add" } else { "del" };
        // The kernel takes a second add of one entry without a word: said
        // here, so that the lab never records (and removes) another's.
        if add && self.net.proxies(ns)?.contains(&(ip, dev.index)) {
            let e = Error::new(
                Kind::Exists,
                format!("add proxy entry {ip}"),
                format!("{ip} is already proxied on \"{}\"", dev.name),
            );
            return Err(e.in_netns(ns.name()).with_help(
                "it is there already; remove it first with proxy_del to make it the lab's",
            ));
        }
        let record = (add && self.outlives(ns)).then(|| neigh_record(ns, dev, ip, true));
        self.ahead(record.as_slice(), || self.net.proxy(ns, dev.index, ip, add))?;
        self.change(|| {
            format!(
                "ip {}neigh {verb} proxy {ip} dev {}",
                ip_n(ns),
                q(&dev.name)
            )
        });
        if !add {
            let text = ip.to_string();
            self.lab.removed(|o| {
                matches!(o, Object::Neigh { ns: n, index, ip, proxy: true, .. }
                    if n == ns.name() && *index == dev.index && *ip == text)
            });
        }
        self.confirm(record.into_iter().collect())
    }

    /// `ip neigh flush all` (`dev DEV`): forget the learned entries.
    pub fn neigh_flush(&self, ns: &Ns, dev: Option<&LinkInfo>) -> Result<usize> {
        let n = self.net.neigh_flush(ns, dev.map(|d| d.index))?;
        self.change(|| match dev {
            Some(d) => format!("ip {}neigh flush dev {}", ip_n(ns), q(&d.name)),
            None => format!("ip {}neigh flush all", ip_n(ns)),
        });
        Ok(n)
    }

    /// `ip [-6] rule add SELECTORS lookup TABLE [priority P]`; recorded
    /// (written ahead) in a namespace the lab did not make.
    ///
    /// A rule given no priority is recorded with the one the kernel chose
    /// (read back), so that teardown removes that rule and not another with
    /// the same selectors.
    pub fn rule_add(&self, ns: &Ns, rule: &RuleSpec) -> Result<()> {
        let outlives = self.outlives(ns);
        let alike = |r: &RuleSpec| {
            RuleSpec {
                priority: None,
                ..r.clone()
            } == *rule
        };
        let before: Vec<Option<u32>> = if outlives && rule.priority.is_none() {
            self.net
                .rules(ns)?
                .iter()
                .filter(|r| alike(r))
                .map(|r| r.priority)
                .collect()
        } else {
            Vec::new()
        };
        let intent = outlives.then(|| rule_record(ns, rule));
        self.ahead(intent.as_slice(), || self.net.rule_add(ns, rule))?;
        self.change(|| rule_command("add", ns, rule));
        if !outlives {
            return Ok(());
        }
        let mut made = rule.clone();
        if rule.priority.is_none() {
            made.priority = self
                .net
                .rules(ns)?
                .iter()
                .filter(|r| alike(r))
                .map(|r| r.priority)
                .find(|p| !before.contains(p))
                .flatten();
        }
        // This record confirms the intent, which had no priority yet.
        self.confirm(vec![rule_record(ns, &made)])
    }

    /// `ip [-6] rule del SELECTORS lookup TABLE [priority P]`.
    /// One the lab did not add, outside the namespaces a lab made, needs
    /// `force` (the kernel's own `lookup main`, say).
    pub fn rule_del(&self, ns: &Ns, rule: &RuleSpec, force: bool) -> Result<()> {
        let gone = rule_record(ns, rule);
        let action = format!("delete rule \"{}\"", rule.describe());
        self.guard_setting(ns, None, |o| same_rule(o, &gone), force, &action)?;
        self.net.rule_del(ns, rule)?;
        self.change(|| rule_command("del", ns, rule));
        self.lab.removed(|o| same_rule(o, &gone));
        Ok(())
    }

    /// When `route` names a multipath route of its table by the gateway of
    /// one of its paths: the metric of that multipath route to `route`'s destination that has
    /// `route`'s gateway on one of its paths (and its metric, if given).
    fn one_of_its_paths(&self, ns: &Ns, route: &RouteSpec) -> Option<Option<u32>> {
        let gw = route.gateway?;
        let all = self.net.routes_in(ns, route.table.unwrap_or(254)).ok()?;
        all.into_iter()
            .find(|r| {
                r.dst == route.dst
                    && r.nexthops.iter().any(|h| h.gateway == Some(gw))
                    && (route.metric.is_none() || r.metric == route.metric)
            })
            .map(|r| r.metric)
    }
}

fn route_command(verb: &str, ns: &Ns, route: &RouteSpec, dev: Option<&str>) -> String {
    let mut text = format!("ip {}route {verb} {}", ip_n(ns), route.describe());
    if let Some(d) = dev {
        text.push_str(&format!(" dev {}", q(d)));
    }
    text
}

fn rule_command(verb: &str, ns: &Ns, rule: &RuleSpec) -> String {
    let six = if rule.v6 { "-6 " } else { "" };
    format!("ip {six}{}rule {verb} {}", ip_n(ns), rule.describe())
}

/// How the ledger keeps a rule.
fn rule_record(ns: &Ns, rule: &RuleSpec) -> Object {
    Object::Rule {
        ns: ns.name().to_string(),
        ns_id: ns.id(),
        v6: rule.v6,
        priority: rule.priority,
        from: rule.from.map(crate::cidr::format),
        to: rule.to.map(crate::cidr::format),
        iif: rule.iif.clone(),
        oif: rule.oif.clone(),
        fwmark: rule.fwmark,
        table: rule.table,
    }
}

/// Whether record `o` is of the rule the script deleted: a deletion that
/// names no priority matches a record of any priority (the kernel deleted
/// the first such rule).
fn same_rule(o: &Object, gone: &Object) -> bool {
    match (o, gone) {
        (
            Object::Rule {
                priority: Some(_), ..
            },
            Object::Rule { priority: None, .. },
        ) => {
            let mut without = o.clone();
            if let Object::Rule { priority, .. } = &mut without {
                *priority = None;
            }
            without == *gone
        }
        _ => o == gone,
    }
}

fn neigh_record(ns: &Ns, dev: &LinkInfo, ip: IpAddr, proxy: bool) -> Object {
    Object::Neigh {
        ns: ns.name().to_string(),
        ns_id: ns.id(),
        index: dev.index,
        link: dev.name.clone(),
        ip: ip.to_string(),
        proxy,
    }
}
