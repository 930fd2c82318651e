//! More link kinds in the `link` module: macvlan. (Dummy and VLAN links
//! wait for a kernel that has them: the test machines' kernel lacks both.)

use rhai::{Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, check_options, ns_arg};
use super::{LinkHandle, Net, func, record};
use crate::netlink::{LinkInfo, macvlan_mode};
use crate::ns::Ns;

fn created(ctx: &NativeCallContext, ns: &Ns, info: &LinkInfo, kind: &str, command: String) {
    record::change(ctx, || command);
    record::created(record::link_object(ns, info.index, &info.name, kind));
}

fn target(opts: &Map, default: Ns) -> crate::error::Result<Ns> {
    opts.get("netns")
        .map_or(Ok(default), |v| ns_arg("option `netns`", v))
}

fn netns_clause(parent: &Ns, target: &Ns) -> String {
    if parent == target {
        String::new()
    } else {
        format!(" netns {}", record::netns_arg(target))
    }
}

pub fn register(m: &mut Module, net: &Net) {
    let macvlan_doc = r#"
Create a macvlan link on `parent` in `mode` ("bridge", "private",
"vepa", "passthru" or "source"), named `#{ name }` or the first free
macvlanN, in the parent's namespace or, with `#{ netns }`, directly in
another one (the usual way to give a namespace its own MAC on a NIC).

`ip link add link PARENT name NAME [netns NS] type macvlan mode MODE`

```rhai
let r1 = netns::add("r1");
let uplink = link::add_veth("uplink", "uplink-peer");
let mv = link::add_macvlan(uplink, "bridge", #{ netns: r1, name: "eth0" });
print(mv.kind);         // macvlan
print(mv.netns.name);   // r1
```"#;
    for with_opts in [false, true] {
        let n = net.clone();
        let params: &[&str] = if with_opts {
            &["parent: Link", "mode: &str", "options: Map", "Link"]
        } else {
            &["parent: Link", "mode: &str", "Link"]
        };
        let f = move |ctx: NativeCallContext<'_>,
                      parent: LinkHandle,
                      mode: &str,
                      opts: Map|
              -> Res<LinkHandle> {
            check_options("create a macvlan link", &opts, &["name", "netns"]).or_raise(&ctx)?;
            parent.check().or_raise(&ctx)?;
            let m = macvlan_mode(mode).or_raise(&ctx)?;
            let pns = parent.ns();
            let p = n.link_by_index(&pns, parent.index()).or_raise(&ctx)?;
            let ns = target(&opts, pns.clone()).or_raise(&ctx)?;
            let name = match opts.get("name") {
                Some(v) => v.to_string(),
                None => {
                    let taken: Vec<String> = n
                        .links(&ns)
                        .or_raise(&ctx)?
                        .into_iter()
                        .map(|l| l.name)
                        .collect();
                    (0..)
                        .map(|i| format!("macvlan{i}"))
                        .find(|c| !taken.contains(c))
                        .unwrap_or_default()
                }
            };
            let info = n.add_macvlan(&pns, p.index, &name, m, &ns).or_raise(&ctx)?;
            let command = format!(
                "ip {}link add link {} name {name}{} type macvlan mode {mode}",
                record::ip_n(&pns),
                p.name,
                netns_clause(&pns, &ns)
            );
            created(&ctx, &ns, &info, "macvlan", command);
            Ok(LinkHandle::new(ns, info.index))
        };
        if with_opts {
            func("add_macvlan", params, macvlan_doc).set_into_module(m, f);
        } else {
            func("add_macvlan", params, macvlan_doc).set_into_module(
                m,
                move |ctx: NativeCallContext<'_>, parent: LinkHandle, mode: &str| {
                    f(ctx, parent, mode, Map::new())
                },
            );
        }
    }
}
