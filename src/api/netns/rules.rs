//! `ns.rule_add`, `ns.rule_del`, `ns.rules()`: `ip rule` as methods.

use rhai::plugin::*;
use rhai::{Array, Dynamic, Map};

use crate::api::Netns;
use crate::api::convert::{RhaiResultOf, check_options, option, take_force};
use crate::api::session::{self, op};
use crate::error::{Error, Result};
use crate::netlink::RuleSpec;

#[export_module]
pub mod netns_rules {
    use super::*;

    /// Add a policy routing rule: packets it selects look up routing table
    /// `table` instead of main. Selectors (at least one): `from` and `to`
    /// (prefixes, or addresses for a single host), `iif` and `oif` (link
    /// names), `fwmark` (a firewall mark). `priority` orders the rules
    /// (lower first; the kernel picks one if not given). An IPv6 rule is
    /// one with IPv6 prefixes, or `ipv6: true`. In a namespace the lab did
    /// not make, the rule goes with the lab.
    ///
    /// `ip [-6] -n NS rule add [from P] [to P] [iif L] [oif L] [fwmark M] lookup TABLE [priority N]`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// r1.rule_add(#{ from: "10.1.0.0/24", table: 10, priority: 100 });
    /// r1.rule_add(#{ fwmark: 7, table: 20, priority: 200 });
    /// print(r1.rules().filter(|r| r.table == 10));   // [#{"from": "10.1.0.0/24", "priority": 100, "table": 10}]
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn rule_add(ctx: NativeCallContext, ns: &mut Netns, options: Map) -> RhaiResultOf<()> {
        op(&ctx, |op| op.rule_add(&ns.ns, &spec(&options)?))
    }

    /// Delete a rule, given as `rule_add` took it. Fails with kind "not_found"
    /// if there is no such rule. A rule no lab added, outside the namespaces a
    /// lab made (the machine's own), is refused with kind "permission" unless
    /// `#{ force: true }`: no rollback puts it back.
    ///
    /// `ip [-6] -n NS rule del SELECTORS lookup TABLE [priority N]`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// r1.rule_add(#{ iif: "lo", table: 10 });
    /// r1.rule_del(#{ iif: "lo", table: 10 });
    /// print(r1.rules().filter(|r| r.table == 10));   // []
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn rule_del(ctx: NativeCallContext, ns: &mut Netns, options: Map) -> RhaiResultOf<()> {
        op(&ctx, |op| {
            let mut options = options.clone();
            let force = take_force(&mut options)?;
            op.rule_del(&ns.ns, &spec(&options)?, force)
        })
    }

    /// The rules, IPv4 then IPv6, in the order the kernel tries them (the
    /// kernel's own three included: `local` 255 at 0, `main` 254 at 32766,
    /// `default` 253 at 32767), each `#{ priority, table }` and the selectors
    /// it has (`from`, `to`, `iif`, `oif`, `fwmark`); IPv6 ones have `ipv6: true`.
    ///
    /// `ip -n NS rule show; ip -n NS -6 rule show`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// print(r1.rules().filter(|r| !("ipv6" in r)).map(|r| r.table));   // [255, 254, 253]
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn rules(ctx: NativeCallContext, ns: &mut Netns) -> RhaiResultOf<Array> {
        let rules = session::read(&ctx, |net| net.rules(&ns.ns))?;
        Ok(rules.into_iter().map(rule_map).collect())
    }
}

fn rule_map(r: RuleSpec) -> Dynamic {
    let mut m = Map::new();
    // The kernel leaves out a priority of 0 (the `local` rule's).
    m.insert("priority".into(), i64::from(r.priority.unwrap_or(0)).into());
    m.insert("table".into(), i64::from(r.table).into());
    if let Some(c) = r.from {
        m.insert("from".into(), crate::cidr::format(c).into());
    }
    if let Some(c) = r.to {
        m.insert("to".into(), crate::cidr::format(c).into());
    }
    if let Some(n) = r.iif {
        m.insert("iif".into(), n.into());
    }
    if let Some(n) = r.oif {
        m.insert("oif".into(), n.into());
    }
    if let Some(mark) = r.fwmark {
        m.insert("fwmark".into(), i64::from(mark).into());
    }
    if r.v6 {
        m.insert("ipv6".into(), true.into());
    }
    Dynamic::from_map(m)
}

/// A rule from `#{ from, to, iif, oif, fwmark, table, priority, ipv6 }`.
fn spec(opts: &Map) -> Result<RuleSpec> {
    let action = "make a rule";
    check_options(
        action,
        opts,
        &[
            "from", "to", "iif", "oif", "fwmark", "table", "priority", "ipv6",
        ],
    )?;
    let prefix = |key: &str| {
        opts.get(key)
            .map(|p| crate::cidr::parse(&p.to_string()).map_err(|e| e.at_option(key)))
            .transpose()
    };
    let (from, to) = (prefix("from")?, prefix("to")?);
    let name = |key: &str| opts.get(key).map(|n| n.to_string());
    let number = |key: &str, what: &str, min: u32| {
        option(opts, key, |v| {
            v.as_int()
                .ok()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n >= min)
                .ok_or_else(|| {
                    Error::invalid(
                        format!("use {v} as a rule's {key}"),
                        format!("{what} is an integer from {min} to 4294967295"),
                    )
                })
        })
    };
    let table = number("table", "a table", 1)?.ok_or_else(|| {
        Error::invalid(
            action,
            "a rule needs `table`: the routing table it sends packets to",
        )
        .with_help("like #{ from: \"10.1.0.0/24\", table: 10 }")
    })?;
    let rule = RuleSpec {
        v6: match (from, to) {
            (Some((a, _)), Some((b, _))) if a.is_ipv6() != b.is_ipv6() => {
                return Err(
                    Error::invalid(action, "`from` and `to` are of different IP versions")
                        .at_option("to"),
                );
            }
            (Some((ip, _)), _) | (None, Some((ip, _))) => ip.is_ipv6(),
            (None, None) => crate::api::convert::bool_option(opts, "ipv6")?.unwrap_or(false),
        },
        priority: number("priority", "a priority", 0)?,
        from,
        to,
        iif: name("iif"),
        oif: name("oif"),
        fwmark: number("fwmark", "a mark", 0)?,
        table,
    };
    if rule.from.is_none()
        && rule.to.is_none()
        && rule.iif.is_none()
        && rule.oif.is_none()
        && rule.fwmark.is_none()
    {
        return Err(
            Error::invalid(action, "a rule needs a selector: which packets it is for")
                .with_help("give `from`, `to`, `iif`, `oif` or `fwmark`"),
        );
    }
    Ok(rule)
}
