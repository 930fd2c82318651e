//! Kernel interfaces that are not rtnetlink: namespace files under
//! /run/netns, threads that enter a namespace, ICMP echo, child processes,
//! and the sandbox.

pub mod command;
pub mod exec;
pub mod netns_fs;
pub mod ping;
pub mod sandbox;
pub mod spawn;
pub mod sysctl;
