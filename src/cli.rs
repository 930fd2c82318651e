//! Command-line definitions.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use clap_complete::engine::{ArgValueCandidates, ArgValueCompleter};

use crate::completion;

/// Scriptable Linux network labs: namespaces, veth pairs, bridges,
/// addresses and routes from Rhai scripts, through netlink.
#[derive(Debug, Parser)]
#[command(
    name = "netscript",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  netscript --sandbox scripts/bridge-lab.rhai   run a lab in a throwaway sandbox\n  netscript --sandbox=demo lab.rhai             run it in world \"demo\", which stays\n  netscript enter demo                          a shell in it (or --in demo show, down demo)\n  sudo netscript lab.rhai eth0                  run a lab on this machine, ARGS = [\"eth0\"]\n  echo 'print(netns::list())' | netscript       run a script from stdin\n  netscript check lab.rhai                      compile only, report syntax errors\n\nExit status: 0 ok, 1 the script failed, 2 usage or compile error, 70 a bug in netscript (the lab was rolled back)."
)]
pub struct Cli {
    /// Run inside a sandbox: private network, mount, PID and user
    /// namespaces (own /run, /run/netns, /proc and /sys) that cannot reach
    /// the machine's network. `--sandbox` alone is throwaway: all of it
    /// vanishes at exit. `--sandbox=NAME` makes (or reuses) the world NAME,
    /// which stays: `netscript enter NAME`, `--in NAME show`, `down NAME`.
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = ""
    )]
    pub sandbox: Option<String>,

    /// Run inside the world NAME, made earlier with --sandbox=NAME (a
    /// script, the REPL, or show, graph, pingall, ls, down).
    #[arg(long = "in", global = true, value_name = "NAME", add = ArgValueCandidates::new(completion::worlds))]
    pub inside: Option<String>,

    /// Name of the lab this run records what it creates under (default:
    /// the script's file stem). `netscript down NAME` removes it.
    #[arg(long, value_name = "NAME")]
    pub lab: Option<String>,

    /// Tear the lab down when the script ends, whether it succeeded or not.
    #[arg(long)]
    pub rm: bool,

    /// If the lab is already up, tear it down first.
    #[arg(long)]
    pub replace: bool,

    /// This machine's name in a lab across machines (default: the
    /// hostname): `lab::machine()`.
    #[arg(long, value_name = "NAME")]
    pub machine: Option<String>,

    /// The machines of a lab across machines, with their underlay
    /// addresses: a JSON object (`{"a": "192.0.2.1", ...}`) or what
    /// `ansible-inventory --list` prints: `lab::machines()`.
    #[arg(long, value_name = "FILE")]
    pub machines: Option<PathBuf>,

    /// If another run is building the same lab, wait for it to end instead
    /// of failing at once.
    #[arg(long)]
    pub wait: bool,

    /// On failure keep what the run created (for inspection) instead of
    /// rolling it back.
    #[arg(long)]
    pub keep_on_error: bool,

    /// Print every change as the iproute2 command that does the same, with
    /// the script line it comes from (to stderr; paste it into a shell).
    #[arg(long)]
    pub trace: bool,

    /// Quiet: errors only. No progress line while a long build runs (it
    /// shows only on a terminal, after a second), no list of what a
    /// teardown removed; `ls -q` prints just the labs' names.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Verbose: every object a teardown removes or `ls` lists (a big lab's
    /// are otherwise counted by kind), and every change a run makes as the
    /// iproute2 command that does the same (as --trace).
    #[arg(short, long, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// The script to run ("-" reads it from stdin). Without one, the script
    /// is read from stdin when stdin is not a terminal.
    #[arg(add = ArgValueCompleter::new(completion::scripts))]
    pub file: Option<PathBuf>,

    /// Arguments for the script, available to it as the array ARGS.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile scripts without running them; report syntax errors.
    Check {
        #[arg(required = true, add = ArgValueCompleter::new(completion::scripts))]
        files: Vec<PathBuf>,
    },
    /// Print the reference documentation of every script function (Markdown),
    /// or with --definitions the Rhai definition stubs for editors (.d.rhai).
    Docs {
        #[arg(long)]
        definitions: bool,
    },
    /// Print a shell completion script: `netscript completions bash > /etc/bash_completion.d/netscript`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff): `netscript man | man -l -`, or
    /// `netscript man down` for netscript-down(1); with --dir, write every
    /// page into DIR (netscript.1 and one per subcommand).
    Man {
        #[arg(value_name = "PAGE")]
        page: Option<String>,
        #[arg(long, value_name = "DIR", conflicts_with = "page")]
        dir: Option<PathBuf>,
    },
    /// Check what this machine lets netscript do, and say what to fix
    /// (exit status 1 when it cannot run labs).
    Doctor {
        /// One JSON document (schema in docs/operate.md).
        #[arg(long)]
        json: bool,
        /// (Internal: the kernel probes, run inside the doctor's sandbox.)
        #[arg(long, hide = true)]
        probe_here: bool,
    },
    /// Remove exactly what a lab's ledger lists (by lab name or script
    /// file), or a world with everything in it.
    Down {
        #[arg(required_unless_present = "all", value_name = "LAB|FILE", add = ArgValueCompleter::new(completion::down_args))]
        labs: Vec<String>,
        /// Every lab that is up here (what the ledgers list, and nothing
        /// else; worlds stay).
        #[arg(long, conflicts_with = "labs")]
        all: bool,
        /// One JSON document: what each teardown removed, skipped, failed
        /// (schema in docs/lifecycle.md).
        #[arg(long)]
        json: bool,
    },
    /// List the labs that are up, with what they created, and the worlds.
    Ls {
        /// One JSON document (schema in docs/lifecycle.md).
        #[arg(long)]
        json: bool,
    },
    /// The live topology: namespaces, links, veth pairs, bridge ports,
    /// addresses, routes (of one lab, or of the whole machine).
    Show {
        #[arg(value_name = "LAB", add = ArgValueCandidates::new(completion::labs))]
        lab: Option<String>,
        /// One JSON document (schema in docs/show.md).
        #[arg(long)]
        json: bool,
    },
    /// The topology as a picture: namespaces as boxes, bridges as nodes,
    /// veth pairs as labelled edges.
    Graph {
        #[arg(value_name = "LAB", add = ArgValueCandidates::new(completion::labs))]
        lab: Option<String>,
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
        /// Draw every namespace, even past 32 alike hosts on one bridge
        /// (which are otherwise one node, "h1 … h1000 ×1000").
        #[arg(long)]
        expand: bool,
        /// One picture of a lab across machines, from each machine's
        /// `netscript show --json` (a file per machine, named for it:
        /// a.json, b.json); tunnels between machines drawn as edges.
        #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with = "lab")]
        merge: Vec<PathBuf>,
    },
    /// Open a shell inside a world (or run one command there, after --):
    /// `ip`, `ip netns exec h1 ...`, `tcpdump`, `ping` work as usual.
    Enter {
        #[arg(value_name = "WORLD", add = ArgValueCandidates::new(completion::worlds))]
        world: String,
        /// The command to run instead of a shell.
        #[arg(last = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// Capture packets on lab links: one line each, or pcapng with -w
    /// (`-w - | wireshark -k -i -`). Links as NS/LINK, several at once;
    /// then a filter in tcpdump's syntax.
    Capture {
        #[arg(required = true, value_name = "NS/LINK... [FILTER]")]
        args: Vec<String>,
        /// Write pcapng to FILE ("-": stdout) instead of lines.
        #[arg(short = 'w', value_name = "FILE")]
        write: Option<String>,
        /// A JSON object per packet, one per line (JSON Lines; schema in
        /// docs/operate.md), instead of tcpdump's lines.
        #[arg(long, conflicts_with = "write")]
        json: bool,
        /// Stop after COUNT packets.
        #[arg(short = 'c', value_name = "COUNT")]
        count: Option<usize>,
        /// Stop after S seconds.
        #[arg(long, value_name = "S")]
        seconds: Option<f64>,
    },
    /// Every namespace with an address pings every address of every other
    /// one; exit status 1 if anything dropped.
    Pingall {
        #[arg(value_name = "LAB", add = ArgValueCandidates::new(completion::labs))]
        lab: Option<String>,
        #[arg(long)]
        json: bool,
        /// Only a chain of pings (each namespace to the next): a cheap
        /// check of a big lab.
        #[arg(long)]
        spanning: bool,
        /// No ARP or neighbour discovery: each source and its targets get
        /// permanent neighbour entries for each other while it pings,
        /// removed after (only in namespaces a lab made). For big labs; a
        /// lab that tests ARP itself must not use it.
        #[arg(long)]
        static_neighbours: bool,
        /// A lab across machines: also ping the addresses of the other
        /// machines' namespaces, from their `netscript show --json` (a file
        /// per machine, named for it: a.json, b.json).
        #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with = "spanning")]
        merge: Vec<PathBuf>,
    },
}

/// Output formats of `netscript graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Svg,
}

/// `netscript --in lab ls` means the `ls` subcommand in world `lab`; clap
/// reads a subcommand only before any other argument (so that a script's
/// own arguments, like `lab.rhai ls`, stay arguments), so leading
/// `--sandbox[=NAME]`, `--in NAME`, `-q` and `-v` options are moved after
/// a subcommand name.
pub fn normalize(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let names: Vec<String> = <Cli as clap::CommandFactory>::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let mut leading = 0;
    while let Some(arg) = args.get(1 + leading).and_then(|a| a.to_str()) {
        let flag = matches!(arg, "-q" | "--quiet" | "-v" | "--verbose");
        if flag || arg == "--sandbox" || arg.starts_with("--sandbox=") || arg.starts_with("--in=") {
            leading += 1;
        } else if arg == "--in" && args.len() > 2 + leading {
            leading += 2;
        } else {
            break;
        }
    }
    match args.get(1 + leading).and_then(|a| a.to_str()) {
        Some(word) if leading > 0 && names.iter().any(|n| n == word) => {
            let mut out = vec![args[0].clone(), args[1 + leading].clone()];
            out.extend(args[1..1 + leading].iter().cloned());
            out.extend(args[2 + leading..].iter().cloned());
            out
        }
        _ => args,
    }
}

#[cfg(test)]
mod tests {
    fn norm(args: &[&str]) -> Vec<String> {
        super::normalize(args.iter().map(|a| a.into()).collect())
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn sandbox_before_a_subcommand_moves_after_it() {
        assert_eq!(
            norm(&["netscript", "--sandbox", "ls"]),
            ["netscript", "ls", "--sandbox"]
        );
        assert_eq!(
            norm(&["netscript", "--sandbox", "down", "x"]),
            ["netscript", "down", "--sandbox", "x"]
        );
        assert_eq!(
            norm(&["netscript", "--sandbox", "lab.rhai", "ls"]),
            ["netscript", "--sandbox", "lab.rhai", "ls"]
        );
        assert_eq!(
            norm(&["netscript", "--in", "w", "--sandbox=x", "show", "lab"]),
            ["netscript", "show", "--in", "w", "--sandbox=x", "lab"]
        );
        assert_eq!(
            norm(&["netscript", "--in", "show"]),
            ["netscript", "--in", "show"]
        );
        assert_eq!(
            norm(&["netscript", "lab.rhai", "ls"]),
            ["netscript", "lab.rhai", "ls"]
        );
        assert_eq!(
            norm(&["netscript", "-q", "--in", "w", "down", "x"]),
            ["netscript", "down", "-q", "--in", "w", "x"]
        );
        assert_eq!(
            norm(&["netscript", "-v", "lab.rhai"]),
            ["netscript", "-v", "lab.rhai"]
        );
    }
}
