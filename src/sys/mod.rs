//! Kernel interfaces that are not rtnetlink: namespace files under
//! /run/netns, threads that enter a namespace, ICMP echo, child processes,
//! privileges and the sandbox.

pub mod bpf;
pub mod capture;
pub mod command;
pub mod container;
pub mod exec;
pub mod fresh_proc;
pub mod http;
mod icmp;
pub mod loopback;
pub mod netns_fs;
pub mod netns_holders;
pub mod netns_spare;
pub mod nft;
pub mod pidfd;
pub mod ping;
pub mod privileges;
pub mod probe;
pub mod sandbox;
pub mod sockets;
pub mod spawn;
pub mod sysctl;
pub mod world;
pub mod world_join;
pub mod world_make;
pub mod world_registry;
