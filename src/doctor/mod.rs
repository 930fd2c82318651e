//! `netscript doctor`: what this machine lets netscript do, checked for
//! real (not guessed from uid), with what to do about what fails. It
//! makes nothing on the machine: the kernel is probed in a throwaway
//! sandbox (`probe`), the rest is read. A plain user learns what works
//! for them (`--sandbox`), not only what root could do.

pub mod probe;

use std::process::{Command, Stdio};

use serde_json::json;

use crate::exit::Exit;
use crate::sys::privileges::{CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN, capability};
use probe::{OPTIONAL, Probed};

/// ok: there and working; no: absent, and labs that do not use it run;
/// fail: what labs need, broken.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    No,
    Fail,
}

struct Check {
    what: String,
    status: Status,
    detail: String,
    fix: String,
}

impl Check {
    fn new(what: &str, status: Status, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Check {
            what: what.to_string(),
            status,
            detail: detail.into(),
            fix: fix.into(),
        }
    }
}

pub fn run(as_json: bool) -> Exit {
    let root = capability(CAP_NET_ADMIN) && capability(CAP_SYS_ADMIN);
    let sandbox = probe_in_sandbox();
    // Where no sandbox can be made, root can still probe in a namespace
    // of its own.
    let probed = sandbox.as_ref().ok();
    let unshared = if probed.is_none() && root {
        probe_unshared().ok()
    } else {
        None
    };
    let probed = probed.or(unshared.as_ref());
    let kernel_ok = probed.is_some_and(|p| p.needed.iter().all(|(_, f)| f.is_none()));
    let here = root && kernel_ok;
    let in_sandbox = sandbox.is_ok() && kernel_ok;

    let mut checks = capabilities(in_sandbox);
    let userns = std::fs::read_to_string("/proc/sys/user/max_user_namespaces").unwrap_or_default();
    checks.push(Check::new(
        "sandboxes (--sandbox: user, network, mount and PID namespaces)",
        if sandbox.is_ok() {
            Status::Ok
        } else if root {
            Status::No
        } else {
            Status::Fail
        },
        match &sandbox {
            Ok(_) => "made and removed one".to_string(),
            Err(e) => format!("{e} (max_user_namespaces = {})", userns.trim()),
        },
        "allow user namespaces (sysctl -w user.max_user_namespaces=10000; on Ubuntu \
         kernel.apparmor_restrict_unprivileged_userns=0), outside a chroot",
    ));
    let place = if sandbox.is_ok() {
        "a throwaway sandbox"
    } else {
        "a throwaway namespace"
    };
    for (what, failure) in probed.map(|p| p.needed.as_slice()).unwrap_or_default() {
        checks.push(Check::new(
            what,
            if failure.is_none() {
                Status::Ok
            } else {
                Status::Fail
            },
            failure
                .clone()
                .unwrap_or_else(|| format!("created and removed in {place}")),
            "a kernel with network namespaces, veth and bridge (modprobe veth bridge)",
        ));
    }
    checks.push(run_netns());
    if let Some(p) = probed {
        for ((what, config), failure) in OPTIONAL.iter().zip(&p.optional) {
            checks.push(match failure {
                None => Check::new(what, Status::Ok, "this kernel has it", ""),
                Some(reason) => {
                    Check::new(what, Status::No, reason.clone(), format!("needs {config}"))
                }
            });
        }
    }
    for (what, there, package) in probe::tools() {
        checks.push(if there {
            Check::new(what, Status::Ok, "installed", "")
        } else {
            Check::new(
                what,
                Status::No,
                "not installed",
                format!("needs the {package} package"),
            )
        });
    }
    let verdict = match (here, in_sandbox) {
        (true, true) => "this machine can run labs: on its network (as root) and in sandboxes",
        (true, false) => "this machine can run labs on its network (as root); not in sandboxes",
        (false, true) => {
            "this machine can run labs in a sandbox: netscript --sandbox lab.rhai (on its own \
             network they need root: sudo netscript lab.rhai)"
        }
        (false, false) => "this machine cannot run labs: see what failed above",
    };
    if as_json {
        print_json(&checks, here, in_sandbox);
    } else {
        print_text(&checks, verdict);
    }
    if here || in_sandbox {
        Exit::Ok
    } else {
        Exit::Failed
    }
}

/// What this process may do on the machine's own network. Without root,
/// a lab in a sandbox needs none of it: said so, not failed.
fn capabilities(in_sandbox: bool) -> Vec<Check> {
    let missing = if in_sandbox { Status::No } else { Status::Fail };
    let fix = if in_sandbox {
        "labs on this machine's own network need root (sudo netscript lab.rhai); \
         in a sandbox they need none of it: netscript --sandbox lab.rhai"
    } else {
        "run as root (sudo netscript ...)"
    };
    [
        (CAP_NET_ADMIN, "CAP_NET_ADMIN (links, addresses, routes)"),
        (CAP_SYS_ADMIN, "CAP_SYS_ADMIN (named namespaces)"),
        (CAP_NET_RAW, "CAP_NET_RAW (ping)"),
    ]
    .into_iter()
    .map(|(cap, what)| {
        if capability(cap) {
            Check::new(what, Status::Ok, "", "")
        } else {
            Check::new(what, missing, "this process does not have it", fix)
        }
    })
    .collect()
}

/// /run/netns as iproute2 leaves it (read, not changed).
fn run_netns() -> Check {
    let shared = std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.split_whitespace().nth(4) == Some("/run/netns"))
        .map(|l| l.contains("shared:"));
    Check::new(
        "/run/netns",
        if shared == Some(false) {
            Status::No
        } else {
            Status::Ok
        },
        match shared {
            Some(true) => "a shared mount, as iproute2 makes it",
            Some(false) => {
                "mounted but not shared: namespaces may not show in other mount namespaces"
            }
            None => "not mounted yet (the first netns::add prepares it)",
        },
        "mount --make-shared /run/netns",
    )
}

fn print_text(checks: &[Check], verdict: &str) {
    let mut said = "";
    for c in checks {
        let mark = match c.status {
            Status::Ok => "ok  ",
            Status::No => "no  ",
            Status::Fail => "FAIL",
        };
        let detail = if c.detail.is_empty() {
            String::new()
        } else {
            format!(" — {}", c.detail)
        };
        crate::out!("{mark} {}{detail}", c.what);
        // The same advice for several checks in a row is given once, after
        // the last of them.
        let next_same = checks
            .iter()
            .skip_while(|n| !std::ptr::eq(*n, c))
            .nth(1)
            .is_some_and(|n| n.status != Status::Ok && n.fix == c.fix);
        if c.status != Status::Ok && !c.fix.is_empty() && !next_same && c.fix != said {
            let word = if c.status == Status::Fail {
                "fix: "
            } else {
                ""
            };
            crate::out!("     {word}{}", c.fix);
            said = &c.fix;
        }
    }
    crate::out!("{verdict}");
}

fn print_json(checks: &[Check], here: bool, in_sandbox: bool) {
    let checks: Vec<_> = checks
        .iter()
        .map(|c| {
            let status = match c.status {
                Status::Ok => "ok",
                Status::No => "no",
                Status::Fail => "fail",
            };
            json!({ "what": c.what, "status": status, "detail": c.detail, "fix": c.fix })
        })
        .collect();
    let doc = json!({
        "can_run_labs": here || in_sandbox,
        "on_this_machine": here,
        "in_a_sandbox": in_sandbox,
        "checks": checks,
    });
    crate::out!("{doc:#}");
}

/// The probes, run by `netscript --sandbox doctor --probe-here`: the
/// error is why no sandbox could be made.
fn probe_in_sandbox() -> Result<Probed, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.args(["--sandbox", "doctor", "--probe-here"]);
    collect(cmd)
}

/// The probes in a private network and mount namespace with its own /run
/// (for root where no sandbox can be made).
fn probe_unshared() -> Result<Probed, String> {
    use nix::mount::{MsFlags, mount};
    use nix::sched::{CloneFlags, unshare};
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.args(["doctor", "--probe-here"]);
    // SAFETY: only system calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            unshare(CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWNS)?;
            let private = MsFlags::MS_REC | MsFlags::MS_PRIVATE;
            mount(None::<&str>, "/", None::<&str>, private, None::<&str>)?;
            mount(
                Some("tmpfs"),
                "/run",
                Some("tmpfs"),
                MsFlags::empty(),
                None::<&str>,
            )?;
            Ok(())
        });
    }
    collect(cmd)
}

fn collect(mut cmd: Command) -> Result<Probed, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or("it failed");
        return Err(first.trim_start_matches("netscript: ").to_string());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("its probe said nothing readable: {e}"))
}
