//! What scripts say of the firewall, as nft rules in the lab's table:
//! masquerading, published ports, allow and deny, policies. Each call's
//! rules go in as one transaction, tagged with one id (`comment
//! "netscript N"`) by which the script reads and deletes them.

use std::net::IpAddr;

use super::{Op, exec_prefix, q};
use crate::cidr::Cidr;
use crate::error::{Error, Kind, Result};
use crate::sys::nft;

/// What a rule matches; every part optional.
#[derive(Clone, Debug, Default)]
pub struct Match {
    pub from: Option<Cidr>,
    pub to: Option<Cidr>,
    /// "tcp", "udp", "sctp", "icmp" or "icmpv6".
    pub proto: Option<String>,
    pub port: Option<u16>,
    /// The links packets come in by and go out by.
    pub iif: Option<String>,
    pub oif: Option<String>,
}

impl Match {
    /// The rule's match words, as nft takes them.
    pub fn words(&self) -> Result<String> {
        let bad = |why: String| Err(Error::invalid("make a firewall rule", why));
        let mut w = Vec::new();
        if let (Some(f), Some(t)) = (self.from, self.to)
            && f.0.is_ipv4() != t.0.is_ipv4()
        {
            return bad("`from` and `to` are of two address families".into());
        }
        for (name, c) in [("saddr", self.from), ("daddr", self.to)] {
            if let Some((ip, len)) = c {
                let family = if ip.is_ipv4() { "ip" } else { "ip6" };
                w.push(format!(
                    "{family} {name} {}",
                    crate::cidr::format((ip, len))
                ));
            }
        }
        for (name, link) in [("iifname", &self.iif), ("oifname", &self.oif)] {
            if let Some(l) = link {
                if l.is_empty()
                    || l.len() > 15
                    || !l
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b))
                {
                    return bad(format!("{l:?} is not a link name nft can match"));
                }
                w.push(format!("{name} \"{l}\""));
            }
        }
        match (self.proto.as_deref(), self.port) {
            (Some(p @ ("tcp" | "udp" | "sctp")), Some(port)) => w.push(format!("{p} dport {port}")),
            (Some(p @ ("tcp" | "udp" | "sctp" | "icmp" | "icmpv6")), None) => {
                w.push(format!("meta l4proto {p}"))
            }
            (Some(p), _) if !["tcp", "udp", "sctp", "icmp", "icmpv6"].contains(&p) => {
                return bad(format!(
                    "{p:?} is not a protocol here: tcp, udp, sctp, icmp or icmpv6"
                ));
            }
            (_, Some(_)) => return bad("a `port` needs `proto` tcp, udp or sctp".into()),
            _ => {}
        }
        Ok(w.join(" "))
    }
}

/// A published port: `port` of the namespace, DNATed to `to`.
#[derive(Clone, Debug)]
pub struct Publish {
    pub port: u16,
    pub to: IpAddr,
    pub to_port: u16,
    pub proto: String,
    pub iif: Option<String>,
}

/// One rule of the lab's table, as `nft -a list` prints it.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleLine {
    pub chain: String,
    pub handle: u64,
    /// The id of the call that made it (None for `ns.nft` text).
    pub id: Option<u64>,
    /// The rule, without its counter values, id and handle.
    pub rule: String,
    pub packets: u64,
    pub bytes: u64,
}

impl Op<'_> {
    /// `masquerade`: packets leaving (by `m.oif`, from `m.from`) take the
    /// address of the link they leave by.
    pub fn masquerade(&self, ns: &crate::ns::Ns, m: &Match) -> Result<u64> {
        let words = m.words()?;
        self.rules(
            ns,
            &[("postrouting", format!("{words} counter masquerade"))],
        )
    }

    /// A published port: connections to `port` of this namespace's own
    /// addresses go to `to`, whether they come from outside (prerouting),
    /// from the namespace itself (output), or from `to`'s own subnet
    /// (hairpin: masqueraded, so the answers come back the same way);
    /// forwarding lets them through whatever the forward policy.
    pub fn publish(&self, ns: &crate::ns::Ns, p: &Publish) -> Result<u64> {
        let (family, target) = match p.to {
            IpAddr::V4(a) => ("ip", format!("{a}:{}", p.to_port)),
            IpAddr::V6(a) => ("ip6", format!("[{a}]:{}", p.to_port)),
        };
        let host = if p.to.is_ipv4() { 32 } else { 128 };
        let inward = Match {
            iif: p.iif.clone(),
            ..Match::default()
        }
        .words()?;
        let to = Match {
            to: Some((p.to, host)),
            proto: Some(p.proto.clone()),
            port: Some(p.to_port),
            ..Match::default()
        };
        let local = format!(
            "fib daddr type local {} {} dport {}",
            family_match(family),
            p.proto,
            p.port
        );
        let dnat = format!("counter dnat {family} to {target}");
        // With `iif`, only what comes in by that link; otherwise also the
        // namespace's own connections, and hairpin ones.
        let forward = (
            "forward",
            format!("{} ct status dnat counter accept", to.words()?),
        );
        let mut rules = vec![("prerouting", format!("{inward} {local} {dnat}"))];
        if p.iif.is_some() {
            rules.push(forward);
            return self.rules(ns, &rules);
        }
        // `localhost`: 127.0.0.1 may leave by another link once DNATed
        // (route_localnet), with the address it leaves by. Only in a
        // namespace the lab made: the sysctl is not the lab's to change in
        // another. Elsewhere (and for ::1, which Linux never routes off the
        // loopback) local connections to loopback are left alone, not sent
        // where they cannot go.
        let localhost = p.to.is_ipv4() && !self.outlives(ns);
        let not_loopback = match (family, localhost) {
            (_, true) => "",
            ("ip", false) => "ip daddr != 127.0.0.0/8 ",
            _ => "ip6 daddr != ::1 ",
        };
        rules.push(("output", format!("{not_loopback}{local} {dnat}")));
        rules.push(forward);
        // The subnet `to` is on, as this namespace sees it.
        let subnet = self
            .net
            .all_addrs(ns)?
            .into_iter()
            .map(|(_, c)| c)
            .find_map(|(ip, len)| {
                let net = ipnet::IpNet::new(ip, len).ok()?.trunc();
                net.contains(&p.to).then_some((net.addr(), len))
            });
        if let Some(subnet) = subnet {
            let hairpin = Match {
                from: Some(subnet),
                ..to.clone()
            };
            rules.push((
                "postrouting",
                format!("{} ct status dnat counter masquerade", hairpin.words()?),
            ));
        }
        if localhost {
            let from_lo = Match {
                from: Some((IpAddr::from([127, 0, 0, 0]), 8)),
                ..to
            };
            rules.push((
                "postrouting",
                format!("{} ct status dnat counter masquerade", from_lo.words()?),
            ));
        }
        let id = self.rules(ns, &rules)?;
        if localhost {
            self.set_sysctls(ns, &[("net.ipv4.conf.all.route_localnet", "1")])?;
        }
        Ok(id)
    }

    /// `allow` or `deny` (`verdict` "accept" or "drop") in chain "forward"
    /// or "input".
    pub fn filter(&self, ns: &crate::ns::Ns, chain: &str, m: &Match, verdict: &str) -> Result<u64> {
        let words = m.words()?;
        self.rules(ns, &[(chain, format!("{words} counter {verdict}"))])
    }

    /// The policy of chain "forward" or "input": "accept" or "drop". With
    /// "drop", replies to what was let through still pass (a stateful
    /// firewall, as users mean it).
    pub fn policy(&self, ns: &crate::ns::Ns, chain: &str, policy: &str) -> Result<()> {
        if policy == "drop" {
            let replies = "ct state established,related counter accept";
            let have = self
                .firewall_rules(ns)?
                .iter()
                .any(|r| r.chain == chain && r.id.is_some() && r.rule == replies);
            if !have {
                self.rules(ns, &[(chain, replies.to_string())])?;
            }
        }
        self.nft_policy(ns, chain, policy)
    }

    /// The rules of the lab's table in `ns`.
    pub fn firewall_rules(&self, ns: &crate::ns::Ns) -> Result<Vec<RuleLine>> {
        Ok(parse_listing(&self.listing(ns)?))
    }

    /// Delete the rules one call made (by the id it returned).
    pub fn firewall_del(&self, ns: &crate::ns::Ns, id: u64) -> Result<()> {
        let table = self.table();
        let gone: Vec<String> = self
            .firewall_rules(ns)?
            .into_iter()
            .filter(|r| r.id == Some(id))
            .map(|r| format!("delete rule {table} {} handle {}", r.chain, r.handle))
            .collect();
        if gone.is_empty() {
            return Err(Error::new(
                Kind::NotFound,
                format!("delete firewall rule {id}"),
                "no rule of the lab has that id",
            )
            .in_netns(ns.name()));
        }
        nft::run(&ns.open()?, &gone.join("\n")).map_err(|e| e.in_netns(ns.name()))?;
        for c in &gone {
            self.change(|| format!("{}nft {}", exec_prefix(ns), q(c)));
        }
        Ok(())
    }

    /// Rules for chains of the lab's table in `ns`, one transaction, all
    /// tagged with a new id; the id.
    fn rules(&self, ns: &crate::ns::Ns, rules: &[(&str, String)]) -> Result<u64> {
        let id = self.lab.next_id();
        self.apply(ns, |table| {
            rules
                .iter()
                .map(|(chain, rule)| {
                    format!(
                        "add rule {table} {chain} {} comment \"netscript {id}\"",
                        rule.trim()
                    )
                })
                .collect()
        })?;
        Ok(id)
    }
}

/// `meta nfproto ipv4` for "ip": `fib` needs the family said in an inet
/// table.
fn family_match(family: &str) -> &'static str {
    if family == "ip" {
        "meta nfproto ipv4"
    } else {
        "meta nfproto ipv6"
    }
}

/// The rules of an `nft -a list table` text.
pub fn parse_listing(text: &str) -> Vec<RuleLine> {
    // The chain a line is in, and how deep in braces: rules are the lines
    // right inside a chain block (not its sets, counters, flowtables).
    let mut chain: Option<String> = None;
    let mut depth = 0usize;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        let opens = line.split(" # ").next().unwrap_or(line).ends_with('{');
        if line == "}" {
            depth = depth.saturating_sub(1);
            if depth < 2 {
                chain = None;
            }
            continue;
        }
        if opens {
            depth += 1;
            if depth == 2 {
                chain = line
                    .strip_prefix("chain ")
                    .and_then(|r| r.split_whitespace().next())
                    .map(str::to_string);
            }
            continue;
        }
        let Some(chain) = chain.as_ref().filter(|_| depth == 2) else {
            continue;
        };
        if line.starts_with("type ") || line.starts_with("policy ") {
            continue;
        }
        let Some((body, handle)) = line.rsplit_once(" # handle ") else {
            continue;
        };
        let Ok(handle) = handle.trim().parse() else {
            continue;
        };
        let mut rule = body.to_string();
        let mut id = None;
        if let Some((before, comment)) = rule.rsplit_once(" comment \"") {
            id = comment
                .strip_prefix("netscript ")
                .and_then(|n| n.strip_suffix('"'))
                .and_then(|n| n.parse().ok());
            if id.is_some() {
                rule = before.to_string();
            }
        }
        let (mut packets, mut bytes) = (0, 0);
        if let Some((before, after)) = rule.split_once("counter packets ") {
            let mut words = after.split_whitespace();
            packets = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
            bytes = words.nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
            let rest: Vec<&str> = after.split_whitespace().skip(3).collect();
            rule = format!("{before}counter {}", rest.join(" "))
                .trim()
                .to_string();
        }
        out.push(RuleLine {
            chain: chain.clone(),
            handle,
            id,
            rule,
            packets,
            bytes,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_reads_back_as_rules() {
        let text = "table inet netscript_t { # handle 5\n\tcomment \"netscript 1.2\"\n\tset s { # handle 8\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.1,\n\t\t\t     10.0.0.2 }\n\t}\n\tchain postrouting { # handle 3\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\tip saddr 10.0.0.0/24 oifname \"up0\" counter packets 3 bytes 252 masquerade comment \"netscript 1\" # handle 6\n\t}\n\tchain forward { # handle 4\n\t\ttcp dport 22 drop # handle 7\n\t}\n}\n";
        let rules = parse_listing(text);
        assert_eq!(
            rules,
            [
                RuleLine {
                    chain: "postrouting".into(),
                    handle: 6,
                    id: Some(1),
                    rule: "ip saddr 10.0.0.0/24 oifname \"up0\" counter masquerade".into(),
                    packets: 3,
                    bytes: 252,
                },
                RuleLine {
                    chain: "forward".into(),
                    handle: 7,
                    id: None,
                    rule: "tcp dport 22 drop".into(),
                    packets: 0,
                    bytes: 0,
                },
            ]
        );
    }

    #[test]
    fn matches_are_checked_and_worded() {
        let m = Match {
            from: Some(("10.0.0.0".parse().unwrap(), 24)),
            proto: Some("tcp".into()),
            port: Some(80),
            oif: Some("eth0".into()),
            ..Match::default()
        };
        assert_eq!(
            m.words().unwrap(),
            "ip saddr 10.0.0.0/24 oifname \"eth0\" tcp dport 80"
        );
        let quote = Match {
            iif: Some("a\"b".into()),
            ..Match::default()
        };
        assert!(quote.words().is_err());
        let port_alone = Match {
            port: Some(80),
            ..Match::default()
        };
        assert!(port_alone.words().is_err());
        let icmp = Match {
            proto: Some("gre".into()),
            ..Match::default()
        };
        assert!(icmp.words().is_err());
    }
}
