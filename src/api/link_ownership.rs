//! Deleting and moving links, which can cut a machine off: a link the lab
//! did not make (the machine's own eth0, a container's interface) is only
//! deleted or moved when the script says `#{ force: true }`.

use rhai::{Dynamic, Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, bool_option, check_options, ns_arg};
use super::link_methods::name_of;
use super::{LinkHandle, Net, method, record};
use crate::error::{Error, Kind, Result};
use crate::lab::Object;
use crate::ns::Ns;
use crate::sys::netns_fs::NsId;

const DEL_DOC: &str = r#"
Delete the link (for a veth, both ends go). A link netscript did not
create (one that was there before, like the machine's eth0) is refused
unless the options say `#{ force: true }`. Links a netscript lab made,
and every link inside a namespace one made, need no force.

`ip link del dev X`

```rhai
let l = link::add_veth("a", "b");
l.del();
print(link::list().len());   // 1 (lo)
```"#;

const NETNS_DOC: &str = r#"
Move the link into another namespace (a Netns or a name). The handle
follows it. Moving costs the kernel ~20 ms; creating the end in place with
`link::add_veth(.., #{ netns })` is faster. As with `del`, moving a link
netscript did not create needs `#{ force: true }`.

`ip link set dev X netns NS`

```rhai
let r1 = netns::add("r1");
let l = link::add_veth("veth1.1", "veth1.2");
l.set_netns(r1);
print(l.netns.name);   // r1
l.set_netns("host");
print(l.netns.name);   // host
```"#;

pub fn register(m: &mut Module, net: &Net) {
    let n = net.clone();
    method("del", &["l: &mut Link"], DEL_DOC).set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle| -> Res<()> {
            delete(&n, &ctx, l, &Map::new())
        },
    );
    let n = net.clone();
    method("del", &["l: &mut Link", "options: Map"], DEL_DOC).set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle, opts: Map| -> Res<()> {
            delete(&n, &ctx, l, &opts)
        },
    );
    let n = net.clone();
    method(
        "set_netns",
        &["l: &mut Link", "ns: Netns|String"],
        NETNS_DOC,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, l: &mut LinkHandle, target: Dynamic| -> Res<()> {
            move_to(&n, &ctx, l, &target, &Map::new())
        },
    );
    let n = net.clone();
    method(
        "set_netns",
        &["l: &mut Link", "ns: Netns|String", "options: Map"],
        NETNS_DOC,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>,
              l: &mut LinkHandle,
              target: Dynamic,
              opts: Map|
              -> Res<()> { move_to(&n, &ctx, l, &target, &opts) },
    );
}

fn delete(n: &Net, ctx: &NativeCallContext, l: &LinkHandle, opts: &Map) -> Res<()> {
    l.check().or_raise(ctx)?;
    let name = name_of(n, l);
    allowed(n, l, opts, &format!("delete link \"{name}\"")).or_raise(ctx)?;
    n.del_link(&l.ns(), l.index()).or_raise(ctx)?;
    record::change(ctx, || {
        format!("ip {}link del dev {name}", record::ip_n(&l.ns()))
    });
    // A veth goes whole: its record goes whichever end was deleted.
    let (ns, index) = (l.ns(), l.index());
    crate::lab::current()
        .removed(|o| o.is_link_at(ns.name(), index) || o.has_peer_at(ns.name(), index));
    Ok(())
}

fn move_to(
    n: &Net,
    ctx: &NativeCallContext,
    l: &mut LinkHandle,
    target: &Dynamic,
    opts: &Map,
) -> Res<()> {
    l.check().or_raise(ctx)?;
    let target = ns_arg("the target namespace", target)
        .map_err(|e| e.at_arg(0))
        .or_raise(ctx)?;
    let action = format!("move link \"{}\"", name_of(n, l));
    allowed(n, l, opts, &action).or_raise(ctx)?;
    let from = l.ns();
    let moved = n.set_netns(&from, l.index(), &target).or_raise(ctx)?;
    record::change(ctx, || {
        format!(
            "ip {}link set dev {} netns {}",
            record::ip_n(&from),
            moved.name,
            record::netns_arg(&target)
        )
    });
    crate::lab::current().link_moved(
        from.name(),
        l.index(),
        &record::place(&target, moved.index),
        &moved.name,
    );
    l.relocate(target, moved.index);
    Ok(())
}

/// `#{ force }`: whether to change a link netscript did not make.
pub(super) fn forced(opts: &Map) -> Result<bool> {
    Ok(bool_option(opts, "force")?.unwrap_or(false))
}

/// Refuse to delete or move a link (or change a bridge) netscript did not
/// make, unless forced.
pub(super) fn guard(n: &Net, l: &LinkHandle, force: bool, action: &str) -> Result<()> {
    if force || made_by_netscript(n, l)? {
        return Ok(());
    }
    Err(
        Error::new(Kind::Permission, action, "netscript did not create it")
            .in_netns(l.ns().name())
            .with_help(
                "it was there before this run (the machine's own, or another tool's); \
             to change it anyway, pass #{ force: true }",
            ),
    )
}

fn allowed(n: &Net, l: &LinkHandle, opts: &Map, action: &str) -> Result<()> {
    check_options(action, opts, &["force"])?;
    guard(n, l, forced(opts)?, action)
}

/// A link this run or another netscript lab still up recorded, a veth
/// whose other end one of them recorded, or any link inside a namespace
/// one of them created. Records match by namespace name and identity (a
/// name can be reused, and "host" is wherever a run started). A link
/// that is gone is an error (not found), not a refusal.
fn made_by_netscript(n: &Net, l: &LinkHandle) -> Result<bool> {
    let this_run = crate::lab::current().objects();
    let mut others: Option<Vec<Object>> = None;
    let mut ours = |ns: &Ns, index: u32| {
        let Some(id) = ns.id() else {
            return false;
        };
        if this_run.iter().any(|o| records(o, ns, id, index)) {
            return true;
        }
        others
            .get_or_insert_with(|| {
                crate::lab::all()
                    .into_iter()
                    .flat_map(|l| l.objects)
                    .collect()
            })
            .iter()
            .any(|o| records(o, ns, id, index))
    };
    let ns = l.ns();
    if ours(&ns, l.index()) {
        return Ok(true);
    }
    let info = n.link_by_index(&ns, l.index())?;
    Ok(matches!(n.peer_of(&ns, &info), Ok(Some((peer_ns, peer))) if ours(&peer_ns, peer)))
}

/// Whether `o` is namespace `ns` (identity `id`) or link `index` in it.
fn records(o: &Object, ns: &Ns, id: NsId, index: u32) -> bool {
    match o {
        Object::Netns { name, id: made } => name == ns.name() && *made == id,
        Object::Link {
            ns: name,
            ns_id: Some(made),
            index: i,
            ..
        } => name == ns.name() && *made == id && *i == index,
        _ => false,
    }
}
