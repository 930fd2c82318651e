//! The integration tests, one crate (one link step): a module per area.
//! Every test builds its labs in its own private network + mount namespace
//! (common::Sandbox) or on a VM (common::vm).

mod common;

mod ansible;
mod api_links;
mod api_net;
mod api_netns;
mod bad_input;
mod bridge_lab;
mod capture;
mod cli;
mod concurrency;
mod containers;
mod conventions;
mod docker;
mod docs;
mod errors;
mod exec;
mod faults;
mod fdb;
mod files;
mod firewall;
mod forged;
mod frr;
mod graph;
mod hostile_state;
mod isolation;
mod kernel_vm;
mod layout;
mod lifecycle;
mod limits;
mod machines;
mod neigh;
mod nexthop;
mod probe;
mod progress;
mod races;
mod recipes;
mod repl;
mod repl_habits;
mod safety;
mod show;
mod spawn;
mod stdlib;
mod teardown;
mod worlds;
