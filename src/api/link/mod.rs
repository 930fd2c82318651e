//! Methods and properties of a `Link` handle, by what they touch: its
//! kernel state (`props`, `info`), its state changes (`state`), its addresses
//! (`addr`), where it sits (`place`: bridge, namespace, deletion), the
//! bridge it is (`bridge`), its egress queue (`qdisc`, `netem`).

mod addr;
mod bridge;
pub mod capture;
mod fdb;
mod info;
mod netem;
mod place;
mod props;
mod qdisc;
mod state;

use super::convert::RhaiResultOf;
use rhai::Module;
use rhai::plugin::*;

use super::session;
use crate::error::Result;
use crate::ns::Ns;

/// Register every `Link` method into the global module `m`.
pub(super) fn register(m: &mut Module) {
    m.combine_flatten(exported_module!(props::link_props));
    m.combine_flatten(exported_module!(state::link_state));
    m.combine_flatten(exported_module!(addr::link_addr));
    m.combine_flatten(exported_module!(place::link_place));
    m.combine_flatten(exported_module!(bridge::link_bridge));
    m.combine_flatten(exported_module!(fdb::link_fdb));
    m.combine_flatten(exported_module!(info::link_info));
    m.combine_flatten(exported_module!(qdisc::link_qdisc));
    m.combine_flatten(exported_module!(netem::link_netem));
    m.combine_flatten(exported_module!(capture::link_capture));
}

/// Where a live link is: its namespace and index, or not_found when its
/// namespace went away.
fn at(l: &super::Link) -> Result<(Ns, u32)> {
    l.check()?;
    Ok((l.ns(), l.index()))
}

/// Run one operation on the link of `l`.
fn on<T>(
    ctx: &NativeCallContext,
    l: &super::Link,
    f: impl FnOnce(&crate::lab::ops::Op, &Ns, u32) -> Result<T>,
) -> RhaiResultOf<T> {
    session::op(ctx, |op| {
        let (ns, index) = at(l)?;
        f(op, &ns, index)
    })
}
