//! Names and places of labs: a lab's name (the file name of its ledger),
//! its ledger, its own directory, the name a command line or a script
//! gives.

use std::path::PathBuf;

use super::STATE_DIR;
use crate::error::{Error, Result};

pub fn ledger_path(name: &str) -> PathBuf {
    PathBuf::from(STATE_DIR).join(format!("{name}.json"))
}

/// Lab names follow file-name rules (they name the ledger).
pub fn check_name(name: &str) -> Result<()> {
    let reason = if name.len() > 200 {
        "a lab name is at most 200 bytes"
    } else if name.is_empty()
        || name.starts_with('.')
        || name.contains('/')
        || name.chars().any(char::is_control)
    {
        "a lab name is a plain file name"
    } else {
        return Ok(());
    };
    Err(
        Error::invalid(format!("use {name:?} as a lab name"), reason)
            .with_help("give --lab a name like bridge-lab"),
    )
}

/// Lab `name`'s own directory, beside its ledger (`lab::file`).
pub fn files_dir(name: &str) -> PathBuf {
    PathBuf::from(STATE_DIR).join(format!("{name}.files"))
}

/// Whether `dir` is a lab's own directory (/run/netscript/LAB.files),
/// which teardown removes with all in it.
pub fn is_files_dir(dir: &str) -> bool {
    let path = std::path::Path::new(dir);
    path.parent() == Some(std::path::Path::new(STATE_DIR))
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".files") && !n.starts_with('.'))
}

/// A lab named on the command line: a lab name, or a script file (its stem).
pub fn name_from_arg(arg: &str) -> String {
    if arg.ends_with(".rhai") || arg.contains('/') {
        name_for(std::path::Path::new(arg))
    } else {
        arg.to_string()
    }
}

/// The lab name for a script: its file stem ("bridge-lab" for
/// scripts/bridge-lab.rhai).
pub fn name_for(script: &std::path::Path) -> String {
    script
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("lab")
        .to_string()
}
