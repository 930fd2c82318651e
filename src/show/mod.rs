//! Seeing a lab: its live topology (`netscript show`, `lab::snapshot()`)
//! and reachability across it (`pingall`).

pub mod command;
pub mod graph;
mod graph_svg;
mod group;
mod layout;
mod merge;
pub mod pingall;
mod snapshot;

pub use snapshot::{LinkView, NetnsView, RouteView, Snapshot, snapshot, snapshot_without_qdiscs};
