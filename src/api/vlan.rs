//! VLANs: 802.1Q (and 802.1ad) VLAN links in the `link` module.

use rhai::{Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, check_options, option};
use super::link_kinds::{created, netns_clause, target};
use super::{LinkHandle, Net, func, record};
use crate::error::{Error, Result};

const ADD_VLAN_DOC: &str = r#"
Create an 802.1Q VLAN link on `parent` (any Ethernet link: a veth end, a
bridge, a bridge port) with VLAN id `id` (0 to 4094): frames sent on it
leave `parent` tagged with `id`, and tagged frames arriving on `parent`
come out of it untagged. Named `#{ name }`, or PARENT.ID like `ip`
writes it (which must fit in 15 bytes); created in the parent's namespace
or, with `#{ netns }`, directly in another one. `#{ protocol: "802.1ad" }`
makes a service VLAN (Q-in-Q); the default is "802.1q".

`ip link add link PARENT name PARENT.ID [netns NS] type vlan id ID [protocol 802.1ad]`

```rhai
// needs a kernel with 802.1Q VLANs (CONFIG_VLAN_8021Q)
let trunk = link::add_veth("trunk", "trunk-peer");
let v10 = link::add_vlan(trunk, 10);
print(v10.name);   // trunk.10
print(v10.kind);   // vlan
let r1 = netns::add("r1");
let v20 = link::add_vlan(trunk, 20, #{ name: "eth20", netns: r1 });
print(v20.netns.name);   // r1
```"#;

/// A VLAN id: 0 to 4094 (4095 is reserved).
pub fn vlan_id(id: rhai::INT) -> Result<u16> {
    u16::try_from(id)
        .ok()
        .filter(|v| *v <= 4094)
        .ok_or_else(|| {
            Error::invalid(
                format!("use {id} as a VLAN id"),
                "a VLAN id is from 0 to 4094",
            )
            .with_help("802.1Q ids are 12 bits; 4095 is reserved")
            .at_arg(1)
        })
}

/// `protocol` of `#{ protocol }`: true for 802.1ad.
fn qinq(opts: &Map) -> Result<bool> {
    Ok(option(opts, "protocol", |v| {
        match v.to_string().to_ascii_lowercase().as_str() {
            "802.1q" => Ok(false),
            "802.1ad" => Ok(true),
            other => Err(Error::invalid(
                format!("use {other:?} as a VLAN protocol"),
                "not a VLAN protocol",
            )
            .with_help("the protocols are \"802.1q\" (the default) and \"802.1ad\"")),
        }
    })?
    .unwrap_or(false))
}

fn add_vlan(
    n: &Net,
    ctx: &NativeCallContext,
    parent: &LinkHandle,
    id: rhai::INT,
    opts: &Map,
) -> Res<LinkHandle> {
    check_options("create a vlan link", opts, &["name", "netns", "protocol"]).or_raise(ctx)?;
    parent.check().or_raise(ctx)?;
    let id = vlan_id(id).or_raise(ctx)?;
    let qinq = qinq(opts).or_raise(ctx)?;
    let pns = parent.ns();
    let p = n.link_by_index(&pns, parent.index()).or_raise(ctx)?;
    let ns = target(opts, pns.clone()).or_raise(ctx)?;
    let name = match opts.get("name") {
        Some(v) => v.to_string(),
        None => format!("{}.{id}", p.name),
    };
    let info = n
        .add_vlan(&pns, p.index, &name, id, qinq, &ns)
        .map_err(|e| {
            if opts.contains_key("name") {
                e
            } else {
                e.or_help(format!(
                    "the name {name:?} comes from the parent's; give one with #{{ name: \"...\" }}"
                ))
            }
        })
        .or_raise(ctx)?;
    let command = format!(
        "ip {}link add link {} name {name}{} type vlan id {id}{}",
        record::ip_n(&pns),
        p.name,
        netns_clause(&pns, &ns),
        if qinq { " protocol 802.1ad" } else { "" }
    );
    created(ctx, &ns, &info, "vlan", command);
    Ok(LinkHandle::new(ns, info.index))
}

pub fn register(m: &mut Module, net: &Net) {
    let n = net.clone();
    func(
        "add_vlan",
        &["parent: Link", "id: i64", "Link"],
        ADD_VLAN_DOC,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, parent: LinkHandle, id: rhai::INT| {
            add_vlan(&n, &ctx, &parent, id, &Map::new())
        },
    );
    let n = net.clone();
    func(
        "add_vlan",
        &["parent: Link", "id: i64", "options: Map", "Link"],
        ADD_VLAN_DOC,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, parent: LinkHandle, id: rhai::INT, opts: Map| {
            add_vlan(&n, &ctx, &parent, id, &opts)
        },
    );
}
