//! Mininet's CLI habits at the netscript prompt: `pingall`, `net`,
//! `nodes`, `help`, `exit`, `h1 ping h2`, `h1 ip addr`. Each runs as the
//! netscript code that does the same, which is shown first, so the habit
//! teaches the netscript way. Only lines that are not netscript already
//! (a bare word that is no variable, or text that does not compile) are
//! taken as habits.

use super::session::{Session, namespaces};
use crate::ns::Ns;

/// What a line meant, if it was a habit.
pub enum Habit {
    /// Run this netscript code instead (not saved by `:save`).
    Run(String),
    /// Say this, and run nothing.
    Hint(String),
    /// Leave the REPL.
    Quit,
    /// `help`: the overview.
    Help,
}

/// The habit `line` is, if it is one.
pub fn of(line: &str, session: &Session) -> Option<Habit> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let defined = |w: &str| session.scope.contains(w);
    match words.as_slice() {
        [word] if !defined(word) => match *word {
            "pingall" => Some(Habit::Run("pingall()".into())),
            "net" | "dump" | "links" | "intfs" => Some(Habit::Run("show()".into())),
            "nodes" => Some(Habit::Run("netns::list()".into())),
            "help" | "?" => Some(Habit::Help),
            "exit" | "quit" => Some(Habit::Quit),
            _ => None,
        },
        [first, rest @ ..] if !rest.is_empty() && session.compiles(line).is_err() => {
            let node = |w: &str| namespaces().into_iter().find(|n| n == w);
            match (*first, rest) {
                ("xterm" | "gterm", [ns, ..]) if node(ns).is_some() => Some(Habit::Hint(format!(
                    "netscript: netns::get({ns:?}).shell() opens a shell in {ns} here; \
                     from another terminal: netscript enter WORLD -- ip netns exec {ns} bash"
                ))),
                (ns, ["ping", .., target]) if node(ns).is_some() => {
                    let address = node(target)
                        .map_or(Some(target.to_string()), |t| address_of(&session.net, &t));
                    Some(match address {
                        Some(a) => Habit::Run(format!("netns::get({ns:?}).ping({a:?})")),
                        None => Habit::Hint(format!("{target} has no address to ping")),
                    })
                }
                (ns, command) if node(ns).is_some() => Some(Habit::Run(format!(
                    "netns::get({ns:?}).run({:?})",
                    command.join(" ")
                ))),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The address a Mininet user means by a host's name: its first global
/// address, IPv4 first.
fn address_of(net: &crate::netlink::Netlink, ns: &str) -> Option<String> {
    let mut addrs: Vec<std::net::IpAddr> = net
        .all_addrs(&Ns::named(ns))
        .ok()?
        .into_iter()
        .map(|(_, (ip, _))| ip)
        .filter(|ip| !ip.is_loopback() && !crate::cidr::is_link_local(*ip))
        .collect();
    addrs.sort_by_key(|ip| ip.is_ipv6());
    addrs.first().map(ToString::to_string)
}
