//! Worlds on the command line: where a command runs (`--sandbox`,
//! `--sandbox=NAME`, `--in NAME`), `enter`, and the worlds that `ls` and
//! `down` see.

use std::io::IsTerminal;
use std::os::unix::process::CommandExt;

use serde_json::{Value, json};

use crate::error::Error;
use crate::exit::Exit;
use crate::lifecycle::report::Verbosity;
use crate::sys::world::{self, Keeper};
use crate::sys::world_join::{Joined, join};
use crate::sys::world_registry as registry;

/// Where a command was asked to run.
pub struct Place<'a> {
    /// `--sandbox` (Some("")) or `--sandbox=NAME`.
    pub sandbox: Option<&'a str>,
    /// `--in NAME`, or `enter NAME`.
    pub inside: Option<&'a str>,
}

/// Move this process into the world the command names, if any. `None`:
/// go on here (inside the world, or on the machine). `Some(status)`: this
/// process stayed outside and the command ran inside with that status.
pub fn go(place: &Place) -> Option<Exit> {
    let (keeper, name, throwaway) = match (place.sandbox, place.inside) {
        (None, None) => return None,
        (Some(_), Some(_)) => {
            crate::say!("netscript: --sandbox and --in cannot be used together");
            crate::say!(
                "  help: --sandbox=NAME makes the world NAME if needed, --in NAME only enters it"
            );
            return Some(Exit::Usage);
        }
        (Some(""), None) => match crate::sys::world_make::make("sandbox", false) {
            Ok(k) => (k, "sandbox", true),
            Err(e) => return Some(crate::exit::fail_with(&e)),
        },
        (Some(name), None) => match registry::open_or_make(name) {
            Ok((k, made)) => {
                if made {
                    // One write: runs started side by side share stderr.
                    let said = format!(
                        "netscript: made world \"{name}\" (it stays: netscript enter {name}, \
                         netscript --in {name} show, netscript down {name})\n"
                    );
                    let _ = std::io::Write::write_all(&mut std::io::stderr(), said.as_bytes());
                }
                (k, name, false)
            }
            Err(e) => return Some(crate::exit::fail_with(&e)),
        },
        (None, Some(name)) => match existing(name) {
            Ok(k) => (k, name, false),
            Err(e) => return Some(crate::exit::fail_with(&e)),
        },
    };
    match join(&keeper, name) {
        Ok(Joined::Inside) => None,
        Ok(Joined::Outside(status)) => {
            if throwaway {
                keeper.kill();
            }
            Some(status)
        }
        Err(e) => {
            if throwaway {
                keeper.kill();
            }
            Some(crate::exit::fail_with(&e))
        }
    }
}

/// The keeper of world `name`, which must exist.
fn existing(name: &str) -> crate::error::Result<Keeper> {
    let inside = world::current().is_some() || std::env::var_os("NETSCRIPT_WORLD").is_some();
    registry::find(name)?.ok_or_else(|| {
        let help = if inside {
            "this shell is inside a world already; worlds are reached from the machine".to_string()
        } else {
            format!("make it with netscript --sandbox={name} FILE; netscript ls lists the worlds")
        };
        Error::not_found(format!("enter world \"{name}\""), "there is no such world")
            .with_help(help)
    })
}

/// `netscript enter NAME [-- COMMAND...]`, once inside: a shell, or the
/// command, in place of this process.
pub fn enter(name: &str, command: &[String]) -> Exit {
    let (program, args): (String, &[String]) = match command.split_first() {
        Some((p, rest)) => (p.clone(), rest),
        None => {
            if std::io::stderr().is_terminal() {
                crate::say!(
                    "netscript: in world \"{name}\" (ip netns list shows its namespaces); \
                     exit or Ctrl-D leaves it"
                );
            }
            let shell = std::env::var("SHELL")
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "/bin/sh".into());
            (shell, &[])
        }
    };
    let err = std::process::Command::new(&program).args(args).exec();
    crate::say!("netscript: cannot run {program} in world \"{name}\": {err}");
    Exit::script(if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    })
}

/// The worlds `ls` lists after the machine's labs: each with the labs
/// inside it (asked of a `netscript --in NAME ls` run inside).
pub fn ls(v: Verbosity) -> usize {
    let names = registry::names();
    // `ls -q` is the names of the labs here, one per line, for scripts.
    if v == Verbosity::Quiet {
        return names.len();
    }
    for (name, state) in &names {
        if let Err(e) = state {
            crate::out!(
                "world {name}  ({}; netscript down {name} says more)",
                e.reason
            );
            continue;
        }
        let when = registry::created(name).map_or(String::new(), |t| {
            format!(" (made {})", crate::lifecycle::when(t))
        });
        crate::out!("world {name}{when}");
        let flag = (v == Verbosity::Verbose).then_some("-v");
        match ls_inside(name, flag.as_slice()) {
            Ok(out) => {
                for line in out.lines() {
                    crate::out!("  {line}");
                }
            }
            Err(e) => crate::out!("  (cannot look inside: {e})"),
        }
    }
    names.len()
}

/// The worlds as data, each with its labs (`ls --json` run inside).
pub fn ls_json() -> Vec<Value> {
    registry::names()
        .into_iter()
        .map(|(name, state)| {
            let mut world = json!({ "name": name, "created": registry::created(&name) });
            match state.map_err(|e| e.to_string()).and_then(|()| {
                let out = ls_inside(&name, &["--json"]).map_err(|e| e.to_string())?;
                serde_json::from_str::<Value>(&out).map_err(|e| e.to_string())
            }) {
                Ok(inside) => world["labs"] = inside["labs"].clone(),
                Err(e) => world["error"] = json!(e),
            }
            world
        })
        .collect()
}

/// What `netscript ls FLAGS --in NAME` prints.
fn ls_inside(name: &str, flags: &[&str]) -> std::io::Result<String> {
    let exe = std::env::current_exe().unwrap_or_else(|_| "netscript".into());
    let mut args = vec!["ls"];
    args.extend(flags);
    args.extend(["--in", name]);
    let out = std::process::Command::new(&exe)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .output()?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `down NAME` for a world: it goes, with everything in it. False if
/// NAME is no world.
pub fn down(name: &str, v: Verbosity) -> Option<Exit> {
    if registry::check_name(name).is_err() {
        return None;
    }
    let started = std::time::Instant::now();
    match registry::remove(name) {
        Ok(true) if v == Verbosity::Quiet => Some(Exit::Ok),
        Ok(true) => {
            crate::out!(
                "world \"{name}\": removed with everything in it ({} ms)",
                started.elapsed().as_millis()
            );
            if crate::lab::ledger_path(name).exists() {
                crate::out!(
                    "  (a lab named \"{name}\" is up on this machine too: netscript down {name} again removes it)"
                );
            }
            Some(Exit::Ok)
        }
        Ok(false) => None,
        Err(e) => Some(crate::exit::fail_with(&e)),
    }
}
