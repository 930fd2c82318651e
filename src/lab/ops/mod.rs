//! The operations scripts ask for, between the script surface and netlink.
//! Each one makes its netlink calls, writes its `--trace` line and applies
//! the ledger's rules, so a script function only converts its arguments
//! and calls one operation. Nothing here knows Rhai, so the ledger rules
//! can be tested as plain Rust (today the integration tests cover them).

mod bridge_vlan;
mod create;
mod fdb;
mod file;
mod firewall;
mod firewall_rules;
mod link;
mod netns;
mod orphans;
mod program;
mod qdisc;
mod record;
mod route;
mod route_spec;
mod static_fdb;
mod static_neigh;

pub use bridge_vlan::BridgePort;
pub use create::VlanSpec;
pub use firewall::table_of;
pub use firewall_rules::{Match, Publish, RuleLine, parse_listing};
pub use netns::{Echoes, ping_target};
pub use qdisc::RootQdisc;
pub use record::ip_n;
pub use route_spec::RouteArgs;

// For the operations in the files beside this one.
pub(super) use netns::host_settings_may_change;
pub(super) use record::{exec_prefix, netns_arg, q};

use std::fmt;

use crate::error::Result;
use crate::lab::{Lab, Object};
use crate::netlink::Netlink;
use crate::ns::Ns;

/// Where in the script a call is, for `--trace`: "bridge-lab.rhai:12".
#[derive(Clone, Copy, Debug, Default)]
pub struct At<'a> {
    /// The script's path or name as the engine knows it.
    pub source: Option<&'a str>,
    pub line: Option<usize>,
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let source = self.source.unwrap_or("<script>");
        let name = std::path::Path::new(source)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(source);
        match self.line {
            Some(line) => write!(f, "{name}:{line}"),
            None => f.write_str(name),
        }
    }
}

/// One call's view of its session: the backend, the lab its changes are
/// recorded in, and where in the script it was made.
pub struct Op<'a> {
    pub net: &'a Netlink,
    pub lab: &'a Lab,
    pub at: At<'a>,
}

impl Op<'_> {
    /// Trace a change, as the command that does the same.
    pub fn change(&self, command: impl FnOnce() -> String) {
        if self.lab.tracing() {
            self.lab.trace(&self.at.to_string(), &command(), true);
        }
    }

    /// Write-ahead: make `intents` with `call`, each in the ledger before
    /// the call and cancelled if it fails (the caller records what
    /// was made). Only what would outlive the lab's namespaces is written
    /// ahead (`outlives`): what is in them goes with them whatever happens.
    fn ahead<T>(&self, intents: &[Object], call: impl FnOnce() -> Result<T>) -> Result<T> {
        for intent in intents {
            self.lab.intend(intent)?;
        }
        call().inspect_err(|_| {
            for intent in intents {
                self.lab.cancel(intent);
            }
        })
    }

    /// Record what a call made after it was written ahead.
    fn confirm(&self, records: Vec<Object>) -> Result<()> {
        records.into_iter().try_for_each(|r| self.lab.created(r))
    }

    /// Whether something made in `ns` would outlive the lab's namespaces.
    fn outlives(&self, ns: &Ns) -> bool {
        !self.lab.owns_netns(ns.name())
    }

    /// Trace an operation that changes nothing (shown as a comment).
    pub fn look(&self, command: impl FnOnce() -> String) {
        if self.lab.tracing() {
            self.lab.trace(&self.at.to_string(), &command(), false);
        }
    }
}
