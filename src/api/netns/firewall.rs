//! The firewall of a namespace: `ns.masquerade`, `ns.publish`,
//! `ns.allow`, `ns.deny`, `ns.forward_policy`, `ns.input_policy`, `ns.nft`,
//! `ns.firewall()`, `ns.firewall_del`. Every rule goes in the lab's own
//! nftables table in that namespace, which teardown deletes.

use rhai::plugin::*;
use rhai::{Array, Dynamic, INT, Map};

use crate::api::Netns;
use crate::api::convert::{RhaiResultOf, check_options, int_option, option};
use crate::api::session::op;
use crate::error::{Error, Result};
use crate::lab::ops::{Match, Publish};

#[export_module]
pub mod netns_firewall {
    use super::*;

    /// Source NAT: packets that leave this namespace (by link `oif`, from
    /// the prefix `src`; both optional) take the address of the link they
    /// leave by, as a home router does for its LAN. Returns the id of the
    /// rule, for `firewall_del`. Rules go in the lab's own nftables table
    /// (`inet netscript_LAB`), made on first use and deleted with the lab.
    ///
    /// `ip netns exec NS nft add rule inet netscript_LAB postrouting [ip saddr SRC] [oifname OIF] counter masquerade`
    ///
    /// ```rhai
    /// let gw = netns::add("gw");
    /// let id = gw.masquerade(#{ src: "10.0.0.0/24", oif: "up0" });
    /// print(gw.firewall().rules.map(|r| r.rule));   // ["ip saddr 10.0.0.0/24 oifname \"up0\" counter masquerade"]
    /// gw.firewall_del(id);
    /// print(gw.firewall().rules);   // []
    /// ```
    #[rhai_fn(global, name = "masquerade", pure, volatile, return_raw)]
    pub fn masquerade_with(
        ctx: NativeCallContext,
        ns: &mut Netns,
        options: Map,
    ) -> RhaiResultOf<INT> {
        op(&ctx, |op| {
            check_options("masquerade", &options, &["src", "oif"])?;
            let m = Match {
                from: prefix(&options, "src")?,
                oif: text(&options, "oif")?,
                ..Match::default()
            };
            Ok(op.masquerade(&ns.ns, &m)? as INT)
        })
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn masquerade(ctx: NativeCallContext, ns: &mut Netns) -> RhaiResultOf<INT> {
        masquerade_with(ctx, ns, Map::new())
    }

    /// Publish a port (destination NAT): connections to `port` of one of
    /// this namespace's addresses go to `to` ("ADDR:PORT", or "ADDR" for the
    /// same port; "[v6]:PORT"), for `proto` "tcp" (the default), "udp" or
    /// "sctp", and with `iif` only those coming in by that link. It works
    /// for clients outside, for programs in this namespace (by `localhost`
    /// too, in a namespace the lab made: it turns route_localnet on there),
    /// and for hosts on `to`'s own subnet (hairpin: they are masqueraded, so
    /// the answers come back through this namespace), and lets the
    /// connections through whatever the forward policy. Connections passing through to other
    /// addresses are left alone. Returns the id of its rules.
    ///
    /// `ip netns exec NS nft add rule inet netscript_LAB prerouting [iifname IIF] fib daddr type local tcp dport PORT dnat ip to TO` (and the same in output, a forward accept, a hairpin masquerade)
    ///
    /// ```rhai
    /// let gw = netns::add("gw");
    /// let id = gw.publish(#{ port: 8080, to: "10.0.0.2:80" });
    /// print(gw.firewall().rules.filter(|r| r.id == id).map(|r| r.chain));   // ["prerouting", "output", "postrouting", "forward"]
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn publish(ctx: NativeCallContext, ns: &mut Netns, options: Map) -> RhaiResultOf<INT> {
        op(&ctx, |op| {
            check_options("publish a port", &options, &["port", "to", "proto", "iif"])?;
            let port = port(&options)?.ok_or_else(|| {
                Error::invalid("publish a port", "option `port` is missing")
                    .with_help("give one: #{ port: 8080, to: \"10.0.0.2:80\" }")
            })?;
            let target = text(&options, "to")?
                .ok_or_else(|| Error::invalid("publish a port", "option `to` is missing"))?;
            let (to, to_port) = target_of(&target, port).map_err(|e| e.at_option("to"))?;
            let proto = text(&options, "proto")?.unwrap_or_else(|| "tcp".into());
            if !["tcp", "udp", "sctp"].contains(&proto.as_str()) {
                let e = Error::invalid(
                    "publish a port",
                    format!("{proto:?} has no ports: tcp, udp or sctp"),
                );
                return Err(e.at_option("proto"));
            }
            let p = Publish {
                port,
                to,
                to_port,
                proto,
                iif: text(&options, "iif")?,
            };
            Ok(op.publish(&ns.ns, &p)? as INT)
        })
    }

    /// Let through what `options` match: `from` and `to` (prefixes or
    /// addresses), `proto` ("tcp", "udp", "sctp", "icmp", "icmpv6"), `port`
    /// (with tcp, udp or sctp), `iif` and `oif` (the links packets come in
    /// and go out by), in `chain`
    /// "forward" (the default: what the namespace routes) or "input" (what
    /// it receives). Rules apply in the order added, before the policy.
    /// Returns the rule's id; `firewall().rules` shows its counters.
    ///
    /// `ip netns exec NS nft add rule inet netscript_LAB forward ... counter accept`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// r1.allow(#{ from: "10.0.0.0/24", proto: "tcp", port: 22 });
    /// r1.forward_policy("drop");
    /// print(r1.firewall().rules.map(|r| r.rule));   // ["ip saddr 10.0.0.0/24 tcp dport 22 counter accept", "ct state established,related counter accept"]
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn allow(ctx: NativeCallContext, ns: &mut Netns, options: Map) -> RhaiResultOf<INT> {
        op(&ctx, |op| {
            let (chain, m) = filter_of(&options)?;
            Ok(op.filter(&ns.ns, &chain, &m, "accept")? as INT)
        })
    }

    /// Drop what `options` match (as `allow` reads them); the rule's id.
    ///
    /// `ip netns exec NS nft add rule inet netscript_LAB forward ... counter drop`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let id = r1.deny(#{ to: "10.9.0.0/16", chain: "input" });
    /// print(r1.firewall().rules[0].chain);   // input
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn deny(ctx: NativeCallContext, ns: &mut Netns, options: Map) -> RhaiResultOf<INT> {
        op(&ctx, |op| {
            let (chain, m) = filter_of(&options)?;
            Ok(op.filter(&ns.ns, &chain, &m, "drop")? as INT)
        })
    }

    /// What this namespace does with packets it routes that no rule took:
    /// "accept" (the default) or "drop". With "drop", replies to what was
    /// let through still pass (a stateful firewall).
    ///
    /// `ip netns exec NS nft chain inet netscript_LAB forward '{ policy drop; }'`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// r1.forward_policy("drop");
    /// print(r1.firewall().text.contains("policy drop"));   // true
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn forward_policy(
        ctx: NativeCallContext,
        ns: &mut Netns,
        policy: &str,
    ) -> RhaiResultOf<()> {
        op(&ctx, |op| op.policy(&ns.ns, "forward", policy_of(policy)?))
    }

    /// What this namespace does with packets for itself that no rule took:
    /// "accept" (the default) or "drop" (replies to its own traffic pass).
    ///
    /// `ip netns exec NS nft chain inet netscript_LAB input '{ policy drop; }'`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// r1.input_policy("drop");
    /// print(r1.ping("127.0.0.1", #{ timeout: 0.2 }));   // false
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn input_policy(ctx: NativeCallContext, ns: &mut Netns, policy: &str) -> RhaiResultOf<()> {
        op(&ctx, |op| op.policy(&ns.ns, "input", policy_of(policy)?))
    }

    /// Load nft text into the lab's table in this namespace, in one
    /// transaction: what goes inside `table inet netscript_LAB { ... }` —
    /// rules for its chains (prerouting, output, postrouting, forward,
    /// input), chains and sets of its own. Text that would reach outside the
    /// table is refused; nft's own errors come back with its pointer.
    ///
    /// `ip netns exec NS nft 'table inet netscript_LAB { TEXT }'`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// r1.nft("chain input { tcp dport 23 counter reject; }");
    /// print(r1.firewall().rules[0].rule);   // tcp dport 23 counter reject
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn nft(ctx: NativeCallContext, ns: &mut Netns, text: &str) -> RhaiResultOf<()> {
        op(&ctx, |op| op.nft_text(&ns.ns, text))
    }

    /// The lab's rules in this namespace: `#{ text, rules }`, `text` as
    /// `nft -a list table` prints it (with handles; "" when the lab has none
    /// here), `rules` one `#{ chain, id, handle, rule, packets, bytes }` per
    /// rule of its chains (`id` as the call that made it returned; `nft`
    /// text has none unless it writes one in a `netscript N` comment), with
    /// the counters that show what matched.
    ///
    /// `ip netns exec NS nft -a list table inet netscript_LAB`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// r1.deny(#{ proto: "icmp", chain: "input" });
    /// print(r1.ping("127.0.0.1", #{ timeout: 0.2 }));   // false
    /// print(r1.firewall().rules[0].packets > 0);        // true
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn firewall(ctx: NativeCallContext, ns: &mut Netns) -> RhaiResultOf<Map> {
        let (text, rules) = op(&ctx, |op| {
            let text = op.nft_list(&ns.ns)?;
            Ok((text.clone(), crate::lab::ops::parse_listing(&text)))
        })?;
        let count = |n: u64| Dynamic::from(INT::try_from(n).unwrap_or(INT::MAX));
        let rules: Array = rules
            .into_iter()
            .map(|r| {
                let id = r.id.map_or(Dynamic::UNIT, count);
                Dynamic::from_map(Map::from_iter([
                    ("chain".into(), r.chain.into()),
                    ("id".into(), id),
                    ("handle".into(), count(r.handle)),
                    ("rule".into(), r.rule.into()),
                    ("packets".into(), count(r.packets)),
                    ("bytes".into(), count(r.bytes)),
                ]))
            })
            .collect();
        Ok(Map::from_iter([
            ("text".into(), text.into()),
            ("rules".into(), rules.into()),
        ]))
    }

    /// Delete the rules one call made, by the id it returned. Fails with kind
    /// "not_found" if the lab has no rule with that id here.
    ///
    /// `ip netns exec NS nft delete rule inet netscript_LAB CHAIN handle N`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let id = r1.deny(#{ proto: "udp", port: 53 });
    /// r1.firewall_del(id);
    /// print(r1.firewall().rules.len());   // 0
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn firewall_del(ctx: NativeCallContext, ns: &mut Netns, id: INT) -> RhaiResultOf<()> {
        op(&ctx, |op| {
            op.firewall_del(&ns.ns, u64::try_from(id).unwrap_or(0))
        })
    }
}

/// A text option, if given.
fn text(opts: &Map, key: &str) -> Result<Option<String>> {
    option(opts, key, |v| {
        v.clone().into_string().map_err(|t| {
            Error::invalid(
                format!("use a {t} as option `{key}`"),
                format!("`{key}` is a string"),
            )
        })
    })
}

/// A prefix option ("10.0.0.0/24", or an address for its host prefix),
/// with its host bits cleared as nft wants it.
fn prefix(opts: &Map, key: &str) -> Result<Option<crate::cidr::Cidr>> {
    option(opts, key, |v| {
        let (ip, len) = crate::cidr::parse(&v.to_string())?;
        let net = ipnet::IpNet::new(ip, len)
            .map_err(|e| Error::invalid(format!("use {v} as a prefix"), e.to_string()))?;
        Ok((net.trunc().addr(), len))
    })
}

/// A port option: 1 to 65535.
fn port(opts: &Map) -> Result<Option<u16>> {
    Ok(int_option(opts, "port", 1..=65535)?.map(|n| n as u16))
}

/// "ADDR:PORT", "[V6]:PORT" or "ADDR" (then `port`).
fn target_of(text: &str, port: u16) -> Result<(std::net::IpAddr, u16)> {
    let bad = || {
        Error::invalid(format!("publish to {text:?}"), "not ADDR:PORT or ADDR")
            .with_help("write it like \"10.0.0.2:80\", \"10.0.0.2\" or \"[2001:db8::2]:80\"")
    };
    if let Ok(ip) = text.parse() {
        return Ok((ip, port));
    }
    let addr: std::net::SocketAddr = text.parse().map_err(|_| bad())?;
    if addr.port() == 0 {
        return Err(bad());
    }
    Ok((addr.ip(), addr.port()))
}

fn policy_of(policy: &str) -> Result<&'static str> {
    match policy {
        "accept" => Ok("accept"),
        "drop" => Ok("drop"),
        other => Err(Error::invalid(
            format!("use {other:?} as a policy"),
            "a policy is \"accept\" or \"drop\"",
        )
        .about(other)),
    }
}

/// `#{ from, to, proto, port, iif, oif, chain }` of `allow` and `deny`.
fn filter_of(opts: &Map) -> Result<(String, Match)> {
    check_options(
        "make a firewall rule",
        opts,
        &["from", "to", "proto", "port", "iif", "oif", "chain"],
    )?;
    let chain = text(opts, "chain")?.unwrap_or_else(|| "forward".into());
    if chain != "forward" && chain != "input" {
        let e = Error::invalid(
            "make a firewall rule",
            format!("{chain:?} is not a chain here: forward or input"),
        );
        return Err(e.at_option("chain"));
    }
    let m = Match {
        from: prefix(opts, "from")?,
        to: prefix(opts, "to")?,
        proto: text(opts, "proto")?,
        port: port(opts)?,
        iif: text(opts, "iif")?,
        oif: text(opts, "oif")?,
    };
    Ok((chain, m))
}
