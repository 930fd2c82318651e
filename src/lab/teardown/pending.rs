//! What a run was making when it ended: intents its ledger wrote ahead of
//! a kernel call and never confirmed or cancelled. Each is settled with
//! the kernel before teardown: a link that is there under the name and
//! kind it was to have is the lab's; a setting that was made is undone; what
//! was not made is forgotten.

use super::{Skip, Teardown, note, same_ns, undo_setting};
use crate::lab::Object;
use crate::netlink::Netlink;
use crate::ns::Ns;

/// Undo the settings among `pending` that were made (newest first, as
/// they are the newest of the lab's), and return the links that were made
/// as records teardown removes.
pub(super) fn settle(net: &Netlink, pending: &[Object], done: &mut Teardown) -> Vec<Object> {
    let mut links = Vec::new();
    for intent in pending.iter().rev() {
        match intent {
            Object::Link {
                ns,
                ns_id,
                name,
                kind,
                ..
            } => {
                if !same_ns(ns, *ns_id) {
                    continue;
                }
                if let Ok(info) = net.link_by_name(&Ns::named(ns), name)
                    && info.kind == *kind
                {
                    let mut made = intent.clone();
                    if let Object::Link { index, peer, .. } = &mut made {
                        *index = info.index;
                        match (peer.as_mut(), info.link) {
                            (Some(p), Some(at)) => p.index = at,
                            _ => *peer = None,
                        }
                    }
                    links.push(made);
                }
            }
            // Written, or about to be: a file the lab was writing is its.
            file @ Object::File { .. } => {
                match super::remove_file(file) {
                    Err(Skip::Gone(_)) => {}
                    result => note(done, file, result),
                }
                super::remove_dirs(file);
            }
            setting => {
                let Some((ns, ns_id)) = setting.setting_ns() else {
                    continue;
                };
                if !same_ns(ns, ns_id) {
                    continue;
                }
                // Not there: never made. Anything else is what any undo
                // failure is (down then keeps the ledger).
                match undo_setting(net, &Ns::named(ns), setting) {
                    Err(Skip::Gone(_)) => {}
                    result => note(done, setting, result),
                }
            }
        }
    }
    links.reverse();
    links
}
