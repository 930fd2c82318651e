//! `netscript ls` and `netscript down`: labs (as their ledgers say) and
//! worlds (with everything in them), as lines or as one JSON document.

use serde_json::{Value, json};

use crate::exit::Exit;
use crate::lifecycle::report::{self, Verbosity};
use crate::sys::privileges::CAP_NET_ADMIN;

/// `netscript ls [--json]`
pub fn ls(as_json: bool, v: Verbosity) -> Exit {
    if as_json {
        let mut doc = crate::lifecycle::ls_json();
        doc["worlds"] = Value::Array(crate::world::ls_json());
        crate::out!("{doc:#}");
        return Exit::Ok;
    }
    if crate::lifecycle::ls(v) + crate::world::ls(v) == 0 && v != Verbosity::Quiet {
        crate::out!("no labs are up");
    }
    Exit::Ok
}

/// `netscript down NAME... | --all [--json]`: worlds go with everything
/// in them, labs as their ledgers say.
pub fn down(names: &[String], all: bool, as_json: bool, v: Verbosity) -> Exit {
    let mut status = Exit::Ok;
    let mut results = Vec::new();
    let mut labs = Vec::new();
    if all {
        labs = crate::lab::ledger_names();
        if labs.is_empty() && !as_json && v != Verbosity::Quiet {
            crate::out!("no labs are up");
        }
    }
    let say = if as_json { Verbosity::Quiet } else { v };
    for name in names {
        match crate::world::down(name, say) {
            Some(world) => {
                if world != Exit::Ok {
                    status = world;
                }
                let ok = world == Exit::Ok;
                results.push(json!({ "name": name, "kind": "world", "ok": ok }));
            }
            None => labs.push(name.clone()),
        }
    }
    if !labs.is_empty() {
        if !crate::sys::privileges::capability(CAP_NET_ADMIN) {
            crate::say!(
                "netscript: removing a lab needs root or CAP_NET_ADMIN, and this process has neither"
            );
            crate::say!("  help: run it as root (sudo netscript down ...); nothing was touched");
            if as_json {
                let why = "removing a lab needs root or CAP_NET_ADMIN";
                results.extend(labs.iter().map(|l| report::json_failed(l, why)));
                crate::out!("{:#}", json!({ "removed": results }));
            }
            return Exit::Failed;
        }
        let (labs_status, done) = crate::lifecycle::down(&labs, say, as_json);
        if labs_status != Exit::Ok {
            status = labs_status;
        }
        results.extend(done);
    }
    if all && !as_json && v != Verbosity::Quiet {
        let worlds = crate::sys::world_registry::names().len();
        if worlds > 0 {
            let stay = if worlds == 1 {
                "1 world stays".to_string()
            } else {
                format!("{worlds} worlds stay")
            };
            crate::out!("({stay}: netscript down NAME removes one, netscript ls lists them)");
        }
    }
    if as_json {
        crate::out!("{:#}", json!({ "removed": results }));
    }
    status
}
