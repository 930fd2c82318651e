//! `netscript down`: remove exactly what ledgers list, never under a run
//! that is still building (it is stopped first, and rolls back).

use serde_json::{Value, json};

use super::ls::count_objects;
use super::report::{self, Verbosity};
use crate::exit::Exit;
use crate::lab::{self, LabLock, Role};
use crate::netlink::Netlink;

/// `netscript down LAB|FILE...`: the exit status, and with `json` what
/// each lab's teardown did (printed by the caller, with the worlds').
pub fn down(labs: &[String], v: Verbosity, json: bool) -> (Exit, Vec<Value>) {
    let net = match Netlink::new() {
        Ok(n) => n,
        Err(e) => {
            let why = e.to_string();
            let results = labs.iter().map(|l| report::json_failed(l, &why)).collect();
            return (crate::exit::fail(e), results);
        }
    };
    let mut status = Exit::Ok;
    let mut results = Vec::new();
    let v = if json { Verbosity::Quiet } else { v };
    for arg in labs {
        let name = lab::name_from_arg(arg);
        let (one, result) = down_one(&net, &name, v);
        if one != Exit::Ok {
            status = one;
        }
        results.push(result);
    }
    (status, results)
}

fn down_one(net: &Netlink, name: &str, v: Verbosity) -> (Exit, Value) {
    let failed = |status: Exit, why: String| (status, report::json_failed(name, &why));
    // Never under a running builder: it is stopped first (and rolls back
    // what it made), and no other run starts meanwhile.
    let (_lock, stopped) = match stop_and_lock(name) {
        Ok(locked) => locked,
        Err(e) => return failed(crate::exit::fail_with(&e), e.to_string()),
    };
    let ledger = match lab::load(name) {
        Ok(Some(ledger)) => ledger,
        Ok(None) if stopped => {
            if v != Verbosity::Quiet {
                crate::out!("lab \"{name}\": its run rolled it back");
            }
            return (
                Exit::Ok,
                json!({ "name": name, "kind": "lab", "ok": true, "rolled_back_by_its_run": true }),
            );
        }
        Ok(None) => {
            crate::say!("netscript: no lab named \"{name}\" is up (netscript ls lists them)");
            return failed(Exit::Failed, "no such lab is up".into());
        }
        Err(e) => return failed(crate::exit::fail(&e), e.to_string()),
    };
    let _turn = lab::shared::turn(&ledger.objects, &ledger.pending);
    let done = lab::teardown_ledger(net, &ledger);
    let mut status = Exit::Ok;
    if !ledger.damaged.is_empty() {
        status = damaged(&ledger, done.failed.is_empty());
    }
    let head = format!(
        "lab \"{name}\": removed {}",
        count_objects(done.removed.len())
    );
    report::print(&mut std::io::stdout(), &head, &done, v);
    if done.failed.is_empty() {
        let _ = std::fs::remove_file(lab::ledger_path(name));
    } else {
        // Kept: another `down` tries again (what went is then skipped as
        // gone).
        crate::say!(
            "netscript: lab \"{name}\" is not all gone; its ledger is kept: \
             run netscript down {name} again once the cause is fixed"
        );
        status = Exit::Failed;
    }
    let mut value = report::json(name, &done);
    value["kind"] = json!("lab");
    value["damaged_ledger_lines"] = json!(ledger.damaged.len());
    if status != Exit::Ok {
        value["ok"] = json!(false);
    }
    (status, value)
}

/// Report what could not be read of a ledger and keep it for a look: what
/// it does list was removed, but something it lost may still be up. Moved
/// aside as LAB.json.damaged when `done` (all it identifies is gone), else
/// left in place for the next `down` to try again (and report again).
pub(super) fn damaged(ledger: &lab::Ledger, done: bool) -> Exit {
    let path = lab::ledger_path(&ledger.name);
    let kept = if done {
        let aside = path.with_extension("json.damaged");
        let _ = std::fs::rename(&path, &aside);
        aside
    } else {
        path
    };
    for d in &ledger.damaged {
        crate::say!("  warning: ledger of lab \"{}\", {d}", ledger.name);
    }
    crate::say!(
        "netscript: the ledger of lab \"{}\" is damaged: what it could not say was left alone",
        ledger.name
    );
    crate::say!(
        "  help: it is kept as {}; look for what the lab made that is still up (netscript show)",
        kept.display()
    );
    Exit::Failed
}

/// How long `down` waits for a run it stopped to roll back and end.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Take the lock of lab `name`, stopping (SIGTERM) the run that holds it;
/// whether there was one.
fn stop_and_lock(name: &str) -> crate::error::Result<(LabLock, bool)> {
    let start = std::time::Instant::now();
    let mut stopped = None;
    loop {
        match LabLock::take(name, false, Role::Down) {
            Ok(lock) => return Ok((lock, stopped.is_some())),
            Err(e) if e.kind != crate::error::Kind::Busy => return Err(e),
            Err(e) => {
                // Another down is left to finish (its lab is then gone);
                // a builder is stopped, once.
                if let Some(h) = LabLock::holder(name)
                    && h.role == Role::Build
                    && stopped != Some(h.pid)
                {
                    crate::say!(
                        "netscript: lab \"{name}\" is being built by pid {}: stopping it (it rolls back what it made)",
                        h.pid
                    );
                    h.stop();
                    stopped = Some(h.pid);
                }
                if start.elapsed() > STOP_WAIT {
                    let help = match stopped {
                        Some(pid) => format!(
                            "it did not stop within {} s; stop it with kill -9 {pid}, then run netscript down {name} again",
                            STOP_WAIT.as_secs()
                        ),
                        None => format!("try again once it has ended: netscript down {name}"),
                    };
                    return Err(e.with_help(help));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }
}
