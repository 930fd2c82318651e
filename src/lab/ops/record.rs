//! How records and traces name things: namespaces as `ip` options, links
//! as ledger objects.

use std::borrow::Cow;

use crate::lab::{Object, Place};
use crate::netlink::LinkKind;
use crate::ns::Ns;

/// A name as a shell word: quoted when it holds anything a shell would
/// act on (a namespace may be called `x;reboot`), so that a trace pasted
/// into a shell runs what netscript did and nothing else.
pub fn q(word: &str) -> Cow<'_, str> {
    shlex::try_quote(word).unwrap_or(Cow::Borrowed(word))
}

/// `ip` options selecting a namespace: "" for host, "-n r1 " otherwise.
pub fn ip_n(ns: &Ns) -> String {
    match ns {
        Ns::Host => String::new(),
        Ns::Named(n) => format!("-n {} ", q(n)),
    }
}

/// How a command names a namespace as a target: its name, or `$$` (the
/// shell's own namespace) for the one netscript started in.
pub fn netns_arg(ns: &Ns) -> String {
    match ns {
        Ns::Host => "$$".into(),
        Ns::Named(n) => q(n).into_owned(),
    }
}

/// `ip netns exec NS ` for named namespaces, nothing for host.
pub fn exec_prefix(ns: &Ns) -> String {
    match ns {
        Ns::Host => String::new(),
        Ns::Named(n) => format!("ip netns exec {} ", q(n)),
    }
}

impl Object {
    /// A link this run created, recorded where it is now.
    pub fn link(ns: &Ns, index: u32, name: &str, kind: LinkKind) -> Object {
        Object::Link {
            ns: ns.name().to_string(),
            ns_id: ns.id(),
            index,
            name: name.to_string(),
            kind,
            peer: None,
        }
    }

    /// A veth this run created, with where its other end is.
    pub fn veth(ns: &Ns, index: u32, name: &str, other_end: Option<Place>) -> Object {
        let mut o = Object::link(ns, index, name, LinkKind::Veth);
        if let Object::Link { peer, .. } = &mut o {
            *peer = other_end;
        }
        o
    }
}

impl Place {
    /// Where link `index` of namespace `ns` is, as a ledger records it.
    pub fn of(ns: &Ns, index: u32) -> Place {
        Place {
            ns: ns.name().to_string(),
            ns_id: ns.id(),
            index,
        }
    }
}
