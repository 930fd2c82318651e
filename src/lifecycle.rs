//! The life of a lab around a run: refuse to run over a lab that is up
//! (or replace it), roll back on failure, `--rm`, `netscript down` and
//! `netscript ls`.

use std::rc::Rc;

use crate::exit::Exit;
use crate::lab::{self, Lab, LabLock, Teardown};
use crate::netlink::Netlink;

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
    /// No progress line.
    pub quiet: bool,
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
        eprintln!("netscript: {e}");
        if let Some(help) = &e.help {
            eprintln!("  help: {help}");
        }
        return Err(Exit::Usage);
    }
    let lock = match LabLock::take(name, policy.wait) {
        Ok(lock) => lock,
        Err(_) if crate::interrupt::requested() => return Err(Exit::Interrupted),
        Err(e) => return Err(crate::exit::fail_with(&e)),
    };
    match lab::load(name) {
        Ok(Some(existing)) if !existing.is_empty() => {
            if policy.replace {
                let done = lab::teardown_ledger(net, &existing);
                report(&format!("replaced lab \"{name}\":"), &done);
                if !existing.damaged.is_empty() {
                    damaged(&existing);
                }
                let _ = std::fs::remove_file(lab::ledger_path(name));
            } else {
                eprintln!(
                    "netscript: lab \"{name}\" is already up ({}, made by {} at {})",
                    count_objects(existing.len()),
                    if existing.script.is_empty() {
                        "a script"
                    } else {
                        &existing.script
                    },
                    when(existing.created)
                );
                eprintln!("  help: remove it with `netscript down {name}`, or run with --replace");
                return Err(Exit::Failed);
            }
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
            if kept > 0 {
                eprintln!(
                    "kept lab \"{}\" ({}) for inspection; remove it with: netscript down {}",
                    lab.name,
                    count_objects(kept),
                    lab.name
                );
            }
        }
        Ending::Failure => {
            let done = lab::teardown(net, &objects);
            report(&format!("rolled back lab \"{}\":", lab.name), &done);
            settled(lab, &done);
        }
        Ending::Success if policy.rm => {
            let done = lab::teardown(net, &objects);
            if !done.skipped.is_empty() || !done.failed.is_empty() {
                report(&format!("tore down lab \"{}\":", lab.name), &done);
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
        eprintln!(
            "netscript: lab \"{}\" is not all gone; its ledger is kept: run netscript down {} \
             once the cause is fixed",
            lab.name, lab.name
        );
    }
}

fn report(title: &str, done: &Teardown) {
    if done.removed.is_empty() && done.skipped.is_empty() && done.failed.is_empty() {
        return;
    }
    eprintln!("{title} {} removed", done.removed.len());
    for r in &done.removed {
        eprintln!("  - {r}");
    }
    problems(done);
}

/// What a teardown skipped (warnings) and could not remove (errors).
fn problems(done: &Teardown) {
    for s in &done.skipped {
        eprintln!("  warning: {s}");
    }
    for f in &done.failed {
        eprintln!("  error: could not remove {f}");
    }
}

/// `netscript down LAB|FILE...`
pub fn down(labs: &[String]) -> Exit {
    let net = match Netlink::new() {
        Ok(n) => n,
        Err(e) => {
            return crate::exit::fail(e);
        }
    };
    let mut status = Exit::Ok;
    for arg in labs {
        let name = lab::name_from_arg(arg);
        // Never under a running builder: it is stopped first (and rolls
        // back what it made), and no other run starts meanwhile.
        let (_lock, stopped) = match stop_and_lock(&name) {
            Ok(locked) => locked,
            Err(e) => {
                status = crate::exit::fail_with(&e);
                continue;
            }
        };
        match lab::load(&name) {
            Ok(Some(ledger)) => {
                let done = lab::teardown_ledger(&net, &ledger);
                if !ledger.damaged.is_empty() {
                    status = damaged(&ledger);
                }
                println!(
                    "lab \"{name}\": removed {}",
                    count_objects(done.removed.len())
                );
                for r in &done.removed {
                    println!("  - {r}");
                }
                problems(&done);
                if done.failed.is_empty() {
                    let _ = std::fs::remove_file(lab::ledger_path(&name));
                } else {
                    // Kept: another `down` tries again (what went is then
                    // skipped as gone).
                    eprintln!(
                        "netscript: lab \"{name}\" is not all gone; its ledger is kept: \
                         run netscript down {name} again once the cause is fixed"
                    );
                    status = Exit::Failed;
                }
            }
            Ok(None) if stopped => println!("lab \"{name}\": its run rolled it back"),
            Ok(None) => {
                eprintln!("netscript: no lab named \"{name}\" is up (netscript ls lists them)");
                status = Exit::Failed;
            }
            Err(e) => {
                status = crate::exit::fail(e);
            }
        }
    }
    status
}

/// Report what could not be read of a ledger and keep it for a look: what
/// it does list was removed, but something it lost may still be up.
fn damaged(ledger: &lab::Ledger) -> Exit {
    let path = lab::ledger_path(&ledger.name);
    let kept = path.with_extension("json.damaged");
    let _ = std::fs::rename(&path, &kept);
    for d in &ledger.damaged {
        eprintln!("  warning: ledger of lab \"{}\", {d}", ledger.name);
    }
    eprintln!(
        "netscript: the ledger of lab \"{}\" is damaged: what it could not say was left alone",
        ledger.name
    );
    eprintln!(
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
        match LabLock::take(name, false) {
            Ok(lock) => return Ok((lock, stopped.is_some())),
            Err(e) if e.kind != crate::error::Kind::Busy => return Err(e),
            Err(e) => {
                let Some(pid) = LabLock::holder(name) else {
                    continue;
                };
                if stopped != Some(pid) {
                    eprintln!(
                        "netscript: lab \"{name}\" is being built by pid {pid}: stopping it (it rolls back what it made)"
                    );
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid as i32),
                        nix::sys::signal::Signal::SIGTERM,
                    );
                    stopped = Some(pid);
                }
                if start.elapsed() > STOP_WAIT {
                    return Err(e.with_help(format!(
                        "it did not stop within {} s; stop it with kill -9 {pid}, then run netscript down {name} again",
                        STOP_WAIT.as_secs()
                    )));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }
}

/// `netscript ls`: the labs on this machine (or in this world); how many.
pub fn ls() -> usize {
    let labs = lab::all();
    let unreadable = lab::unreadable();
    let count = labs.len() + unreadable.len();
    for (name, e) in &unreadable {
        println!(
            "{name}  (its ledger cannot be read: {}; netscript down {name} says more)",
            e.reason
        );
    }
    for l in labs {
        let script = if l.script.is_empty() {
            String::new()
        } else {
            format!(", from {}", l.script)
        };
        println!(
            "{}  (created {}{script}, {})",
            l.name,
            when(l.created),
            count_objects(l.len())
        );
        for o in &l.objects {
            println!("  - {}", o.describe());
        }
        for o in &l.pending {
            println!("  - {} (being made when its run ended)", o.describe());
        }
        if !l.damaged.is_empty() {
            let n = l.damaged.len();
            println!(
                "  ({n} damaged ledger lines: netscript down {} reports them)",
                l.name
            );
        }
    }
    count
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
fn count_objects(n: usize) -> String {
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
