//! The life of a lab around a run: refuse to run over a lab that is up
//! (or replace it), roll back on failure, `--rm`, `netscript down` and
//! `netscript ls`.

mod down;
mod ls;
pub mod report;

use std::rc::Rc;

use crate::exit::Exit;
use crate::lab::{self, Lab, LabLock, Teardown};
use crate::netlink::Netlink;

use down::damaged;
pub use down::down;
use ls::count_objects;
pub use ls::{json as ls_json, ls, when};
use report::Verbosity;

/// How a run treats its lab.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub lab: Option<String>,
    pub rm: bool,
    pub replace: bool,
    /// Wait for another run of the same lab to end instead of failing.
    pub wait: bool,
    pub keep_on_error: bool,
    pub trace: bool,
    /// -q (errors only, no progress line) or -v (every object).
    pub verbosity: Verbosity,
    /// `--machine NAME` and `--machines FILE`, for a lab across machines
    /// (read by the runner; see `crate::machines`).
    pub machine: Option<String>,
    pub machines: Option<std::path::PathBuf>,
}

/// How the script ended.
pub enum Ending {
    Success,
    Failure,
}

/// The lab a script run records into, after taking its lock (one run per
/// lab name) and checking no lab of that name is up (or removing it with
/// --replace). A lab that cannot be recorded is not built.
pub fn begin(net: &Netlink, name: &str, script: &str, policy: &Policy) -> Result<Rc<Lab>, Exit> {
    if let Err(e) = lab::check_name(name) {
        crate::say!("netscript: {e}");
        if let Some(help) = &e.help {
            crate::say!("  help: {help}");
        }
        return Err(Exit::Usage);
    }
    let lock = match LabLock::take(name, policy.wait, lab::Role::Build) {
        Ok(lock) => lock,
        Err(_) if crate::interrupt::requested() => return Err(Exit::Interrupted),
        Err(e) => return Err(crate::exit::fail_with(&e)),
    };
    match lab::load(name) {
        Ok(Some(existing)) if policy.replace => {
            let _turn = lab::shared::turn(&existing.objects, &existing.pending);
            let done = lab::teardown_ledger(net, &existing);
            report(
                &format!("replaced lab \"{name}\":"),
                &done,
                policy.verbosity,
            );
            // Built over what is left, the lab would collide with it or
            // lose it from every ledger: the old lab must be all gone.
            if !existing.damaged.is_empty() {
                damaged(&existing, done.failed.is_empty());
                return Err(Exit::Failed);
            }
            if !done.failed.is_empty() {
                crate::say!(
                    "netscript: lab \"{name}\" is not all gone, so it is not replaced; its ledger is \
                     kept: run netscript down {name} once the cause is fixed"
                );
                return Err(Exit::Failed);
            }
            let _ = std::fs::remove_file(lab::ledger_path(name));
        }
        Ok(Some(existing)) if !existing.is_empty() || !existing.damaged.is_empty() => {
            let what = if existing.is_empty() {
                "a damaged ledger".to_string()
            } else {
                count_objects(existing.len())
            };
            crate::say!(
                "netscript: lab \"{name}\" is already up ({what}, made by {} at {})",
                if existing.script.is_empty() {
                    "a script"
                } else {
                    &existing.script
                },
                when(existing.created)
            );
            crate::say!("  help: remove it with `netscript down {name}`, or run with --replace");
            return Err(Exit::Failed);
        }
        Ok(_) => {
            let _ = std::fs::remove_file(lab::ledger_path(name));
        }
        Err(e) => {
            return Err(crate::exit::fail(e));
        }
    }
    Ok(Rc::new(Lab::recorded(name, script, policy.trace, lock)))
}

/// After the script: keep the lab, tear it down (--rm), or roll it back.
pub fn end(net: &Netlink, lab: &Lab, ending: Ending, policy: &Policy) {
    let objects = lab.objects();
    match ending {
        Ending::Failure if policy.keep_on_error && !policy.rm => {
            crate::sys::spawn::stop_all();
            lab.finish();
            let kept = lab.objects().len();
            if kept > 0 && policy.verbosity != Verbosity::Quiet {
                crate::say!(
                    "kept lab \"{}\" ({}) for inspection; remove it with: netscript down {}",
                    lab.name,
                    count_objects(kept),
                    lab.name
                );
            }
        }
        Ending::Failure => {
            let _turn = lab::shared::turn(&objects, &lab.pending());
            let done = lab::teardown_settling(net, &lab.name, &objects, &lab.pending());
            report(
                &format!("rolled back lab \"{}\":", lab.name),
                &done,
                policy.verbosity,
            );
            settled(lab, &done);
        }
        Ending::Success if policy.rm => {
            let _turn = lab::shared::turn(&objects, &lab.pending());
            let done = lab::teardown_settling(net, &lab.name, &objects, &lab.pending());
            if !done.skipped.is_empty() || !done.failed.is_empty() {
                report(
                    &format!("tore down lab \"{}\":", lab.name),
                    &done,
                    policy.verbosity,
                );
            }
            settled(lab, &done);
        }
        Ending::Success => {
            crate::sys::spawn::stop_all();
            lab.finish();
        }
    }
    crate::sys::spawn::stop_all();
}

/// After a rollback or `--rm`: the ledger goes, unless something could not
/// be removed (then it stays, for `down` to try again).
fn settled(lab: &Lab, done: &Teardown) {
    if done.failed.is_empty() {
        lab.discard();
    } else {
        crate::say!(
            "netscript: lab \"{}\" is not all gone; its ledger is kept: run netscript down {} \
             once the cause is fixed",
            lab.name,
            lab.name
        );
    }
}

/// What a rollback, --rm or --replace removed, on stderr (the script's
/// own output is on stdout).
fn report(title: &str, done: &Teardown, v: Verbosity) {
    if done.removed.is_empty() && done.skipped.is_empty() && done.failed.is_empty() {
        return;
    }
    let head = format!("{title} {} removed", done.removed.len());
    report::print(&mut std::io::stderr(), &head, done, v);
}
