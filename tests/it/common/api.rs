//! Helpers for API tests: a Rhai prelude of assertions, and readers for
//! `ip -j` output.

use serde_json::Value;

use super::{Sandbox, script_ok};

/// Assertion helpers every script starts with. `fails(|| ...)` runs the
/// closure, requires it to throw, and returns the caught error map.
pub const PRELUDE: &str = r#"
fn expect(cond, what) { if !cond { throw what; } }
fn expect_eq(a, b, what) { if a != b { throw `${what}: expected ${b}, got ${a}`; } }
fn fails(f) { try { f.call(); } catch (e) { return e; } throw "expected an error, got none"; }
"#;

pub fn with_prelude(code: &str) -> String {
    format!("{PRELUDE}{code}")
}

/// Run a script that must succeed; its stdout.
#[track_caller]
pub fn ok(code: &str) -> String {
    script_ok(&with_prelude(code))
}

/// Run a script that must succeed, then `oracle` shell lines in the same
/// sandbox: (the sandbox, to read the oracle's files; the script's stdout;
/// the oracle's output).
#[track_caller]
pub fn ok_then(code: &str, oracle: &str) -> (Sandbox, String, String) {
    let sb = Sandbox::new();
    let (run, oracle_out) = sb.script_then(&with_prelude(code), oracle);
    run.success();
    let stdout = run.stdout.clone();
    (sb, stdout, oracle_out)
}

pub fn items(v: &Value) -> &Vec<Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a JSON array: {v}"))
}

/// The `ifname`s of `ip -j link` output, in its order.
pub fn ifnames(v: &Value) -> Vec<String> {
    items(v)
        .iter()
        .map(|l| l["ifname"].as_str().unwrap().to_string())
        .collect()
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub fn link_named<'a>(v: &'a Value, name: &str) -> &'a Value {
    items(v)
        .iter()
        .find(|l| l["ifname"] == name)
        .unwrap_or_else(|| panic!("no link {name} in {v}"))
}

pub fn has_flag(link: &Value, flag: &str) -> bool {
    link["flags"]
        .as_array()
        .unwrap_or_else(|| panic!("no flags: {link}"))
        .iter()
        .any(|f| f == flag)
}

/// Names from `ip netns list` ("r1 (id: 0)" -> "r1"), in its order.
pub fn netns_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect()
}

/// "local/prefixlen" for each address of one `ip -j addr` link, in order.
pub fn cidrs(link: &Value) -> Vec<String> {
    items(&link["addr_info"])
        .iter()
        .map(|a| format!("{}/{}", a["local"].as_str().unwrap(), a["prefixlen"]))
        .collect()
}

/// Script lines starting with `prefix`, the prefix removed.
pub fn tagged(stdout: &str, prefix: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .map(String::from)
        .collect()
}
