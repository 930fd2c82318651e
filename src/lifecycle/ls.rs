//! `netscript ls`: the labs that are up, as lines or as JSON.

use serde_json::{Value, json};

use super::report::{self, Verbosity};
use crate::lab;

/// `netscript ls`: the labs on this machine (or in this world); how many.
/// A lab of many objects is summed up by kind (-v lists them all); -q
/// prints just the names.
pub fn ls(v: Verbosity) -> usize {
    let labs = lab::all();
    let unreadable = lab::unreadable();
    let count = labs.len() + unreadable.len();
    for (name, e) in &unreadable {
        if v == Verbosity::Quiet {
            crate::out!("{name}");
            continue;
        }
        crate::out!(
            "{name}  (its ledger cannot be read: {}; netscript down {name} says more)",
            e.reason
        );
    }
    for l in labs {
        if v == Verbosity::Quiet {
            crate::out!("{}", l.name);
            continue;
        }
        let script = if l.script.is_empty() {
            String::new()
        } else {
            format!(", from {}", l.script)
        };
        crate::out!(
            "{}  (created {}{script}, {})",
            l.name,
            when(l.created),
            count_objects(l.len())
        );
        let mut lines: Vec<String> = l.objects.iter().map(|o| o.describe()).collect();
        lines.extend(
            l.pending
                .iter()
                .map(|o| format!("{} (being made when its run ended)", o.describe())),
        );
        if v == Verbosity::Verbose || lines.len() <= report::LIST_UP_TO {
            for line in &lines {
                crate::out!("  - {line}");
            }
        } else {
            crate::out!("  {} (ls -v lists them)", report::by_kind(&lines));
        }
        if !l.damaged.is_empty() {
            let n = l.damaged.len();
            crate::out!(
                "  ({n} damaged ledger lines: netscript down {} reports them)",
                l.name
            );
        }
    }
    count
}

/// The labs as data (schema in docs/lifecycle.md).
pub fn json() -> Value {
    let mut labs: Vec<Value> = lab::all()
        .into_iter()
        .map(|l| {
            let objects: Vec<String> = l.objects.iter().map(|o| o.describe()).collect();
            let pending: Vec<String> = l.pending.iter().map(|o| o.describe()).collect();
            json!({
                "name": l.name,
                "script": l.script,
                "created": l.created,
                "pid": l.pid,
                "objects": objects,
                "pending": pending,
                "damaged_ledger_lines": l.damaged.len(),
            })
        })
        .collect();
    labs.extend(
        lab::unreadable()
            .into_iter()
            .map(|(name, e)| json!({ "name": name, "error": e.to_string() })),
    );
    labs.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    json!({ "labs": labs })
}

/// A Unix time as "2026-11-27 21:05:09 UTC".
pub fn when(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// "1 object", "2 objects".
pub(super) fn count_objects(n: usize) -> String {
    if n == 1 {
        "1 object".into()
    } else {
        format!("{n} objects")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::when(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::when(1_795_813_509), "2026-11-27 21:05:09 UTC");
        assert_eq!(super::when(951_782_400), "2000-02-29 00:00:00 UTC");
    }
}
