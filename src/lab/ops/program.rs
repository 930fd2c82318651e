//! Programs run in a namespace: waited for (`exec`, `run`, `shell`) or in
//! the background (`spawn`, recorded so that the lab stops it). A program
//! in the host may change its settings, which new namespaces copy: the
//! namespace made ahead is not used after one (said before it starts and
//! after it ends).

use super::{Op, exec_prefix, host_settings_may_change};
use crate::error::Result;
use crate::lab::Object;
use crate::ns::Ns;
use crate::sys::command::{self, Options, Target};
use crate::sys::exec::{self, Output};
use crate::sys::spawn::{self, Process};

impl Op<'_> {
    /// `ip netns exec NS CMD...`, waited for, its output collected.
    pub fn exec(&self, ns: &Ns, argv: &[String], opts: &Options) -> Result<Output> {
        let target = self.program_target(ns, argv)?;
        let out =
            self.recorded_while_running(ns, |started| exec::exec(&target, argv, opts, started));
        host_settings_may_change(ns);
        out
    }

    /// The same with its output shown; a non-zero status is an error.
    pub fn run(&self, ns: &Ns, argv: &[String], opts: &Options) -> Result<()> {
        let target = self.program_target(ns, argv)?;
        let done =
            self.recorded_while_running(ns, |started| exec::run(&target, argv, opts, started));
        host_settings_may_change(ns);
        done
    }

    /// A program waited for in a namespace the lab did not make is in the
    /// ledger while it runs: it dies with netscript (a parent-death
    /// signal), but one that ignores that signal would outlive a kill -9,
    /// and no teardown looks for strays outside the lab's namespaces. In
    /// the lab's own namespaces strays are found without a record.
    fn recorded_while_running<T>(
        &self,
        ns: &Ns,
        call: impl FnOnce(exec::Started) -> Result<T>,
    ) -> Result<T> {
        if matches!(ns, Ns::Named(n) if self.lab.owns_netns(n)) {
            return call(&|_| Ok(()));
        }
        let recorded = std::cell::Cell::new(None);
        let result = call(&|pid| {
            if self.record_process(ns, pid, false)? {
                recorded.set(Some(pid));
            }
            Ok(())
        });
        if let Some(pid) = recorded.get() {
            self.ended(pid);
        }
        result
    }

    /// `ip netns exec NS $SHELL` on the terminal: its exit status.
    pub fn shell(&self, ns: &Ns) -> Result<i32> {
        let target = target(ns)?;
        self.look(|| format!("{}$SHELL", exec_prefix(ns)));
        let status = exec::shell(&target);
        host_settings_may_change(ns);
        status
    }

    /// `ip netns exec NS CMD &`: recorded, so that the lab stops it.
    pub fn spawn(&self, ns: &Ns, argv: &[String], opts: &Options, detach: bool) -> Result<Process> {
        let target = target(ns)?;
        let process = spawn::spawn(&target, argv, opts, detach)?;
        let pid = process.borrow().pid;
        self.look(|| format!("{}{} &", exec_prefix(ns), command::display(argv)));
        // It leads its own group (see `spawn::spawn`).
        self.record_process(ns, pid, true)?;
        Ok(process)
    }

    /// Record program `pid` in `ns` (by its start time; with its session
    /// when it leads its own process group); whether it was still there.
    fn record_process(&self, ns: &Ns, pid: u32, leads_group: bool) -> Result<bool> {
        let Some(start) = crate::lab::process_start(pid) else {
            return Ok(false);
        };
        let session = leads_group
            .then(|| crate::sys::pidfd::stat_field(pid, 3)?.parse().ok())
            .flatten();
        self.lab.created(Object::Process {
            pid,
            start,
            netns: ns.name().to_string(),
            session,
        })?;
        Ok(true)
    }

    /// A spawned program has ended and been reaped (the script stopped or
    /// waited for it): the lab has nothing of it left to stop.
    pub fn ended(&self, pid: u32) {
        self.lab
            .removed(|o| matches!(o, Object::Process { pid: p, .. } if *p == pid));
    }

    fn program_target(&self, ns: &Ns, argv: &[String]) -> Result<Target> {
        let target = target(ns)?;
        self.look(|| format!("{}{}", exec_prefix(ns), command::display(argv)));
        Ok(target)
    }
}

/// Where a program runs.
fn target(ns: &Ns) -> Result<Target> {
    let file = ns.open()?;
    host_settings_may_change(ns);
    let name = match ns {
        Ns::Host => None,
        Ns::Named(n) => Some(n.clone()),
    };
    Ok(Target { file, name })
}
