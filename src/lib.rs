//! netscript: scriptable Linux network labs. Rhai scripts get namespaces,
//! veth pairs, bridges, addresses, routes, commands and pings, all done
//! through netlink.

/// `eprintln!` that never panics: a closed or hung-up stderr (a terminal
/// gone with its ssh session: EIO) must not stop a rollback half-way.
#[macro_export]
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

/// `eprint!` that never panics (see `say!`).
#[macro_export]
macro_rules! say_part {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($t)*);
    }};
}

/// `println!` that never panics: output to a pipe its reader closed
/// (`netscript ls | head -1`) or to a terminal that hung up is dropped.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// `print!` that never panics (see `out!`).
#[macro_export]
macro_rules! out_part {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

pub mod api;
pub mod capture;
pub mod cidr;
pub mod cli;
pub mod completion;
pub mod diag;
pub mod docs;
pub mod doctor;
pub mod error;
pub mod exit;
pub mod interrupt;
pub mod lab;
pub mod labs_command;
pub mod lifecycle;
pub mod mac;
pub mod machines;
pub mod manpages;
pub mod netlink;
pub mod ns;
pub mod progress;
pub mod repl;
pub mod runner;
pub mod show;
pub mod sys;
pub mod units;
pub mod world;
