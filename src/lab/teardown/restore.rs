//! The settings a lab changed on what outlives it, undone newest first;
//! a link's old name that a lab link holds waits for the end.

use super::plan::Plan;
use super::settings::{Skip, gone, undo_setting};
use super::{Teardown, note, same_ns};
use crate::lab::Object;
use crate::netlink::Netlink;
use crate::ns::Ns;

/// Settings the lab made on things that outlive it, undone one by one.
/// A link's old name that a link of the lab's holds now cannot be given
/// back until that link is gone: that restore, and the older ones that
/// fail after it (they know the link by the name it had then), wait for
/// the end of the teardown. Those are returned.
pub(super) fn undo_settings<'a>(
    net: &Netlink,
    plan: &Plan<'a>,
    others: &[(String, Object)],
    done: &mut Teardown,
) -> Vec<&'a Object> {
    let mut later = Vec::new();
    for o in &plan.settings {
        if later.is_empty() && name_taken(net, o) {
            later.push(*o);
            continue;
        }
        let result = undo(net, others, o);
        if result.is_err() && !later.is_empty() {
            later.push(*o);
            continue;
        }
        note(done, o, result);
    }
    later
}

pub(super) fn undo(net: &Netlink, others: &[(String, Object)], o: &Object) -> Result<(), Skip> {
    let Some((ns, ns_id)) = o.setting_ns() else {
        return Ok(());
    };
    if let Some((other, _)) = crate::lab::shared::first_record(others, o) {
        return Err(gone(&format!(
            "left as it is: lab \"{other}\", which is up, changed it too and puts it back"
        )));
    }
    if same_ns(ns, ns_id) {
        undo_setting(net, &Ns::named(ns), o)
    } else {
        Err(gone("its namespace is gone"))
    }
}

/// Whether `o` gives a link back a name another link has now.
fn name_taken(net: &Netlink, o: &Object) -> bool {
    let Object::Was {
        ns,
        index,
        before: crate::lab::Before::Name(name),
        ..
    } = o
    else {
        return false;
    };
    net.link_by_name(&Ns::named(ns), name)
        .is_ok_and(|holder| holder.index != *index)
}
