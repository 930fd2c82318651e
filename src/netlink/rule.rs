//! Policy routing rules: the `ip rule` verbs. A rule sends the packets it
//! selects (by source, destination, incoming or outgoing link, firewall
//! mark) to a routing table.

use std::net::IpAddr;

use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::rule::{RuleAction, RuleAttribute, RuleMessage};

use super::Netlink;
use super::request::{self, CHANGE, CREATE, DUMP};
use super::types::Cidr;
use crate::error::{Error, Kind, Result};
use crate::ns::Ns;

/// A rule to add or delete, or one read back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleSpec {
    pub v6: bool,
    pub priority: Option<u32>,
    pub from: Option<Cidr>,
    pub to: Option<Cidr>,
    pub iif: Option<String>,
    pub oif: Option<String>,
    pub fwmark: Option<u32>,
    pub table: u32,
}

impl RuleSpec {
    /// What follows `ip rule add`: "from 10.0.0.0/24 lookup 10 priority 100".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = self.from {
            parts.push(format!("from {}", crate::cidr::format(c)));
        }
        if let Some(c) = self.to {
            parts.push(format!("to {}", crate::cidr::format(c)));
        }
        for (word, name) in [("iif", &self.iif), ("oif", &self.oif)] {
            if let Some(n) = name {
                // Quoted as a shell word: the text goes into `--trace`.
                parts.push(format!(
                    "{word} {}",
                    shlex::try_quote(n).unwrap_or_default()
                ));
            }
        }
        if let Some(m) = self.fwmark {
            parts.push(format!("fwmark {m:#x}"));
        }
        parts.push(format!("lookup {}", self.table));
        if let Some(p) = self.priority {
            parts.push(format!("priority {p}"));
        }
        parts.join(" ")
    }
}

impl Netlink {
    /// `ip [-6] -n NS rule add SELECTORS lookup TABLE [priority P]`
    pub fn rule_add(&self, ns: &Ns, rule: &RuleSpec) -> Result<()> {
        self.rule_request(ns, rule, true)
    }

    /// `ip [-6] -n NS rule del SELECTORS lookup TABLE [priority P]`
    pub fn rule_del(&self, ns: &Ns, rule: &RuleSpec) -> Result<()> {
        self.rule_request(ns, rule, false)
    }

    fn rule_request(&self, ns: &Ns, rule: &RuleSpec, add: bool) -> Result<()> {
        let handle = self.handle(ns)?;
        let (msg, flags, verb) = if add {
            (M::NewRule(rule_message(rule)), CREATE, "add")
        } else {
            (M::DelRule(rule_message(rule)), CHANGE, "delete")
        };
        self.block_on(request::send(&handle, msg, flags))
            .map(|_| ())
            .map_err(|errno| {
                let e = Error::errno(format!("{verb} rule {}", rule.describe()), errno)
                    .in_netns(ns.name());
                match errno {
                    libc::ENOENT if !add => Error {
                        kind: Kind::NotFound,
                        reason: "there is no such rule".into(),
                        ..e
                    },
                    libc::EEXIST => Error {
                        reason: "the same rule is there already".into(),
                        ..e
                    },
                    _ => e,
                }
            })
    }

    /// `ip -n NS rule show; ip -n NS -6 rule show`: the rules that look up a
    /// table, in the order the kernel tries them.
    pub fn rules(&self, ns: &Ns) -> Result<Vec<RuleSpec>> {
        let handle = self.handle(ns)?;
        let mut out = Vec::new();
        for family in [AddressFamily::Inet, AddressFamily::Inet6] {
            let mut msg = RuleMessage::default();
            msg.header.family = family;
            let replies = self
                .block_on(request::send(&handle, M::GetRule(msg), DUMP))
                .map_err(|e| Error::errno("list rules", e).in_netns(ns.name()))?;
            out.extend(replies.into_iter().filter_map(parse_rule));
        }
        Ok(out)
    }
}

fn rule_message(rule: &RuleSpec) -> RuleMessage {
    let mut msg = RuleMessage::default();
    msg.header.family = if rule.v6 {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    msg.header.action = RuleAction::ToTable;
    // Tables past 255 are named by the attribute alone.
    msg.header.table = u8::try_from(rule.table).unwrap_or(0);
    msg.attributes.push(RuleAttribute::Table(rule.table));
    if let Some(p) = rule.priority {
        msg.attributes.push(RuleAttribute::Priority(p));
    }
    if let Some((ip, len)) = rule.from {
        msg.header.src_len = len;
        msg.attributes.push(RuleAttribute::Source(ip));
    }
    if let Some((ip, len)) = rule.to {
        msg.header.dst_len = len;
        msg.attributes.push(RuleAttribute::Destination(ip));
    }
    if let Some(name) = &rule.iif {
        msg.attributes.push(RuleAttribute::Iifname(name.clone()));
    }
    if let Some(name) = &rule.oif {
        msg.attributes.push(RuleAttribute::Oifname(name.clone()));
    }
    if let Some(mark) = rule.fwmark {
        msg.attributes.push(RuleAttribute::FwMark(mark));
        msg.attributes.push(RuleAttribute::FwMask(u32::MAX));
    }
    msg
}

fn parse_rule(msg: M) -> Option<RuleSpec> {
    let M::NewRule(m) = msg else { return None };
    if m.header.action != RuleAction::ToTable {
        return None;
    }
    let mut rule = RuleSpec {
        v6: m.header.family == AddressFamily::Inet6,
        table: u32::from(m.header.table),
        ..RuleSpec::default()
    };
    let prefix = |ip: IpAddr, len: u8| Some((ip, len));
    for attr in m.attributes {
        match attr {
            RuleAttribute::Table(t) => rule.table = t,
            RuleAttribute::Priority(p) => rule.priority = Some(p),
            RuleAttribute::Source(ip) => rule.from = prefix(ip, m.header.src_len),
            RuleAttribute::Destination(ip) => rule.to = prefix(ip, m.header.dst_len),
            RuleAttribute::Iifname(n) => rule.iif = Some(n),
            RuleAttribute::Oifname(n) => rule.oif = Some(n),
            RuleAttribute::FwMark(mark) => rule.fwmark = Some(mark),
            _ => {}
        }
    }
    Some(rule)
}
