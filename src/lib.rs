//! netscript: scriptable Linux network labs. Rhai scripts get namespaces,
//! veth pairs, bridges, addresses, routes, commands and pings, all done
//! through netlink.

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
