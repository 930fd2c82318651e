//! Settings of the machine that more than one lab that is up changed (the
//! host's ip_forward, a host link's MTU): the first lab's record of what
//! the setting was is the one that counts (a later lab records that value,
//! not the first lab's), and a lab that goes while another that changed
//! the same setting is still up leaves it as it is: the last to go puts it
//! back.

use std::os::unix::fs::OpenOptionsExt;

use super::{Object, STATE_DIR};

/// Whether two records are of one setting: a sysctl key, or one kind of
/// setting of one link, in one namespace (by identity).
pub fn same_setting(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (
            Object::Sysctl {
                ns_id: x, key: k, ..
            },
            Object::Sysctl {
                ns_id: y, key: l, ..
            },
        ) => x.is_some() && x == y && k == l,
        (
            Object::Was {
                ns_id: x,
                index: i,
                before: p,
                ..
            },
            Object::Was {
                ns_id: y,
                index: j,
                before: q,
                ..
            },
        ) => {
            x.is_some()
                && x == y
                && i == j
                && std::mem::discriminant(p) == std::mem::discriminant(q)
        }
        _ => false,
    }
}

/// The settings other labs that are up (all but `this`) recorded, with
/// their lab's name, oldest first.
pub fn of_other_labs(this: &str) -> Vec<(String, Object)> {
    super::all()
        .into_iter()
        .filter(|l| l.name != this)
        .flat_map(|l| {
            let name = l.name.clone();
            l.objects
                .into_iter()
                .chain(l.pending)
                .filter(|o| matches!(o, Object::Sysctl { .. } | Object::Was { .. }))
                .map(move |o| (name.clone(), o))
        })
        .collect()
}

/// Give `record` (a sysctl's or a link setting's) what the setting was
/// before the first change another lab that is up made of it, if one did.
pub fn take_first_before(this: &str, record: &mut Object) {
    let others = of_other_labs(this);
    match (first_record(&others, record).map(|(_, o)| o), record) {
        (Some(Object::Sysctl { before: first, .. }), Object::Sysctl { before, .. }) => {
            *before = first.clone();
        }
        (Some(Object::Was { before: first, .. }), Object::Was { before, .. }) => {
            *before = first.clone();
        }
        _ => {}
    }
}

/// The first record another lab that is up made of `setting`.
pub fn first_record<'a>(
    others: &'a [(String, Object)],
    setting: &Object,
) -> Option<&'a (String, Object)> {
    others.iter().find(|(_, o)| same_setting(o, setting))
}

/// Held from reading the other labs' records until this lab's ledger is
/// gone: two labs that go at once would each see the other still up, and
/// both leave the setting changed.
pub struct Turn(#[allow(dead_code)] Option<std::fs::File>);

/// Wait for the turn to undo shared settings, if `objects` or `pending`
/// has any (other teardowns go on side by side). Without /run/netscript
/// there is no other lab to share with.
pub fn turn(objects: &[Object], pending: &[Object]) -> Turn {
    if !objects
        .iter()
        .chain(pending)
        .any(|o| matches!(o, Object::Sysctl { .. } | Object::Was { .. }))
    {
        return Turn(None);
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(format!("{STATE_DIR}/.shared-settings.lock"));
    let Ok(file) = file else {
        return Turn(None);
    };
    use std::os::fd::AsRawFd;
    // Asked again every 20 ms, never blocked on: Ctrl-C, or a holder that
    // does not let go within a minute (a `down` stopped with Ctrl-Z), and
    // this teardown goes on without its turn rather than hang.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        // SAFETY: flock on a descriptor this File owns.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Turn(Some(file));
        }
        if crate::interrupt::requested() || std::time::Instant::now() >= deadline {
            return Turn(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
