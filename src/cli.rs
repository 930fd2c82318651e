//! Command-line definitions.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Scriptable Linux network labs: namespaces, veth pairs, bridges,
/// addresses and routes from Rhai scripts, through netlink.
#[derive(Debug, Parser)]
#[command(
    name = "netscript",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  netscript --sandbox scripts/bridge-lab.rhai   run a lab in a throwaway sandbox\n  sudo netscript lab.rhai eth0                  run a lab on this machine, ARGS = [\"eth0\"]\n  echo 'print(netns::list())' | netscript        run a script from stdin\n  netscript check lab.rhai                      compile only, report syntax errors\n\nExit status: 0 ok, 1 the script failed, 2 usage or compile error."
)]
pub struct Cli {
    /// Run inside a fresh private network + mount namespace (own /run,
    /// /run/netns and /sys): nothing touches the machine, all vanishes at exit.
    #[arg(long, global = true)]
    pub sandbox: bool,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// The script to run ("-" reads it from stdin). Without one, the script
    /// is read from stdin when stdin is not a terminal.
    pub file: Option<PathBuf>,

    /// Arguments for the script, available to it as the array ARGS.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile scripts without running them; report syntax errors.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the reference documentation of every script function (Markdown).
    Docs,
}
