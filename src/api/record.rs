//! What script calls tell the lab: objects created (for the ledger) and
//! operations done (for `--trace`, as iproute2 commands).

use rhai::NativeCallContext;

use crate::lab::{self, Object, Place};
use crate::ns::Ns;
use crate::sys::netns_fs;

/// "bridge-lab.rhai:12": where in the script the current call is.
fn at(ctx: &NativeCallContext) -> String {
    let source = ctx.call_source().unwrap_or("<script>");
    let name = std::path::Path::new(source)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(source);
    match ctx.call_position().line() {
        Some(line) => format!("{name}:{line}"),
        None => name.to_string(),
    }
}

/// Trace a change, as the command that does the same.
pub fn change(ctx: &NativeCallContext, command: impl FnOnce() -> String) {
    let lab = lab::current();
    if lab.tracing() {
        lab.trace(&at(ctx), &command(), true);
    }
}

/// Trace an operation that changes nothing (shown as a comment).
pub fn look(ctx: &NativeCallContext, command: impl FnOnce() -> String) {
    let lab = lab::current();
    if lab.tracing() {
        lab.trace(&at(ctx), &command(), false);
    }
}

/// `ip` options selecting a namespace: "" for host, "-n r1 " otherwise.
pub fn ip_n(ns: &Ns) -> String {
    match ns {
        Ns::Host => String::new(),
        Ns::Named(n) => format!("-n {n} "),
    }
}

/// How a command names a namespace as a target: its name, or `$$` (the
/// shell's own namespace) for the one netscript started in.
pub fn netns_arg(ns: &Ns) -> String {
    match ns {
        Ns::Host => "$$".into(),
        Ns::Named(n) => n.clone(),
    }
}

/// `ip netns exec NS ` for named namespaces, nothing for host.
pub fn exec_prefix(ns: &Ns) -> String {
    match ns {
        Ns::Host => String::new(),
        Ns::Named(n) => format!("ip netns exec {n} "),
    }
}

pub fn ns_id(ns: &Ns) -> Option<netns_fs::NsId> {
    ns.id()
}

pub fn created(object: Object) {
    lab::current().created(object);
}

/// A link this run created, recorded where it is now.
pub fn link_object(ns: &Ns, index: u32, name: &str, kind: &str) -> Object {
    Object::Link {
        ns: ns.name().to_string(),
        ns_id: ns_id(ns),
        index,
        name: name.to_string(),
        kind: kind.to_string(),
        peer: None,
    }
}

/// Where link `index` of namespace `ns` is, as a ledger records it.
pub fn place(ns: &Ns, index: u32) -> Place {
    Place {
        ns: ns.name().to_string(),
        ns_id: ns_id(ns),
        index,
    }
}

/// A veth this run created, with where its other end is.
pub fn veth_object(ns: &Ns, index: u32, name: &str, other_end: Option<Place>) -> Object {
    let mut o = link_object(ns, index, name, "veth");
    if let Object::Link { peer, .. } = &mut o {
        *peer = other_end;
    }
    o
}
