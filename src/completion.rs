//! Shell completion: the script a shell loads (`netscript completions
//! bash`) asks netscript itself what fits at each TAB, so that `down`,
//! `show`, `graph` and `pingall` offer the labs that are up, `--in` and
//! `enter` the worlds, and a script's place its files (clap_complete's
//! dynamic engine).

use std::ffi::OsStr;

use clap_complete::engine::{CompletionCandidate, PathCompleter, ValueCompleter};
use clap_complete::env::{EnvCompleter, Shells};

/// The variable that makes a netscript process answer a completion
/// request instead of running (set by the script the shell loaded).
const VAR: &str = "_NETSCRIPT_COMPLETE";

/// Answer a completion request about `cli` (the command line's
/// definition) and exit, if this process is one.
pub fn answer_if_asked(cli: fn() -> clap::Command) {
    clap_complete::CompleteEnv::with_factory(cli)
        .var(VAR)
        .completer("netscript")
        .complete();
}

/// The script that teaches `shell` to complete netscript's command line.
pub fn registration(shell: clap_complete::Shell) -> std::io::Result<Vec<u8>> {
    let name = shell.to_string();
    let shells = Shells::builtins();
    let completer: &dyn EnvCompleter = shells
        .completer(&name)
        .ok_or_else(|| std::io::Error::other(format!("no completion for {name}")))?;
    let mut out = Vec::new();
    completer.write_registration(VAR, "netscript", "netscript", "netscript", &mut out)?;
    Ok(out)
}

/// The labs that are up here (their ledgers' names).
pub fn labs() -> Vec<CompletionCandidate> {
    crate::lab::ledger_names()
        .into_iter()
        .map(|n| CompletionCandidate::new(n).help(Some("lab".into())))
        .collect()
}

/// The worlds this user has made.
pub fn worlds() -> Vec<CompletionCandidate> {
    crate::sys::world_registry::names()
        .into_iter()
        .map(|(n, _)| CompletionCandidate::new(n).help(Some("world".into())))
        .collect()
}

/// What `down` takes: a lab, a world, or a script whose lab it is.
pub fn down_args(current: &OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    let mut out: Vec<CompletionCandidate> = labs()
        .into_iter()
        .chain(worlds())
        .filter(|c| c.get_value().to_string_lossy().starts_with(typed.as_ref()))
        .collect();
    out.extend(scripts(current));
    out
}

/// Rhai scripts and directories (to go on into).
pub fn scripts(current: &OsStr) -> Vec<CompletionCandidate> {
    PathCompleter::any()
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "rhai"))
        .complete(current)
        .into_iter()
        .filter(|c| c.get_value() != ".")
        .collect()
}
