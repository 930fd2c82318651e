//! What a teardown says: each object of a small lab (or with -v), a count
//! by kind for a big one ("601 objects: 300 namespaces, 300 veths, 1
//! bridge"); warnings and errors on stderr (-q keeps the errors only);
//! and the same as JSON for `down --json`.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Value, json};

use crate::lab::Teardown;

/// How much a command says besides its data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verbosity {
    /// Errors only.
    Quiet,
    #[default]
    Normal,
    /// Every object, and the programs that had ended on their own.
    Verbose,
}

impl Verbosity {
    pub fn from_flags(quiet: bool, verbose: bool) -> Verbosity {
        match (quiet, verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        }
    }
}

/// Up to this many objects are listed one by one; more are counted by
/// kind (all are listed with -v).
pub const LIST_UP_TO: usize = 12;

/// "300 namespaces, 300 veths, 1 bridge": the objects counted by kind,
/// the most first (a description's first word is its kind).
pub fn by_kind(descriptions: &[String]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for d in descriptions {
        *counts.entry(d.split(' ').next().unwrap_or(d)).or_default() += 1;
    }
    let mut counts: Vec<(&str, usize)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    counts
        .into_iter()
        .map(|(kind, n)| format!("{n} {}", plural(kind, n)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(kind: &str, n: usize) -> String {
    if n == 1 {
        kind.to_string()
    } else if kind.ends_with('s') || kind.ends_with('x') || kind.ends_with("sh") {
        format!("{kind}es")
    } else {
        format!("{kind}s")
    }
}

/// Print a teardown: `head` (e.g. `lab "x": removed 3 objects`), then the
/// objects one per line, or their count by kind after the head when there
/// are many; then what was skipped (warnings) and what could not be
/// removed (errors), on stderr.
pub fn print(out: &mut dyn Write, head: &str, done: &Teardown, v: Verbosity) {
    if v != Verbosity::Quiet {
        let listed = v == Verbosity::Verbose || done.removed.len() <= LIST_UP_TO;
        let _ = if listed || done.removed.is_empty() {
            writeln!(out, "{head}")
        } else {
            writeln!(out, "{head}: {}", by_kind(&done.removed))
        };
        if listed {
            for r in &done.removed {
                let _ = writeln!(out, "  - {r}");
            }
        }
        if v == Verbosity::Verbose {
            for e in &done.ended {
                let _ = writeln!(out, "  - {e} (it had ended)");
            }
        }
        for s in &done.skipped {
            crate::say!("  warning: {s}");
        }
    }
    for f in &done.failed {
        crate::say!("  error: could not remove {f}");
    }
}

/// A teardown as data: what went, what was skipped and why, what stayed.
pub fn json(name: &str, done: &Teardown) -> Value {
    json!({
        "name": name,
        "removed": done.removed,
        "skipped": done.skipped,
        "failed": done.failed,
        "ok": done.failed.is_empty(),
    })
}

/// A lab `down` could not remove at all, and why.
pub fn json_failed(name: &str, why: &str) -> Value {
    json!({ "name": name, "kind": "lab", "ok": false, "error": why })
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_by_kind() {
        let d = |s: &str| s.to_string();
        let all = [
            d("veth eth0 (in h1)"),
            d("namespace h1"),
            d("veth eth0 (in h2)"),
            d("namespace h2"),
            d("bridge br0 (in host)"),
            d("address 10.0.0.1/24 on lo (in host)"),
            d("address 10.0.0.2/24 on lo (in host)"),
            d("process 7 (in h1)"),
        ];
        assert_eq!(
            super::by_kind(&all),
            "2 addresses, 2 namespaces, 2 veths, 1 bridge, 1 process"
        );
    }
}
