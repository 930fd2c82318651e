//! The `bridge` module: Linux bridges.

use rhai::{Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, check_options, ns_arg};
use super::{LinkHandle, Net, func, record};
use crate::ns::Ns;

const ADD_DOC: &str = r#"
Create a bridge. Like `ip`, it starts down: call `.up()` on it. With
`#{ netns: ns }` it is created in that namespace.

`ip link add name NAME type bridge`

```rhai
let br = bridge::add("br0");
print(br.kind);    // bridge
print(br.is_up);   // false
br.up();
let r1 = netns::add("r1");
let br1 = bridge::add("br1", #{ netns: r1 });
print(br1.netns.name);   // r1
```"#;

fn created(ctx: &NativeCallContext, ns: &Ns, info: &crate::netlink::LinkInfo) {
    record::change(ctx, || {
        format!(
            "ip {}link add name {} type bridge",
            record::ip_n(ns),
            info.name
        )
    });
    record::created(record::link_object(ns, info.index, &info.name, "bridge"));
}

pub fn module(net: &Net) -> Module {
    let mut m = Module::new();

    let n = net.clone();
    func("add", &["name: &str", "Link"], ADD_DOC).set_into_module(
        &mut m,
        move |ctx: NativeCallContext<'_>, name: &str| -> Res<LinkHandle> {
            let info = n.add_bridge(&Ns::Host, name).or_raise(&ctx)?;
            created(&ctx, &Ns::Host, &info);
            Ok(LinkHandle::new(Ns::Host, info.index))
        },
    );

    let n = net.clone();
    func("add", &["name: &str", "options: Map", "Link"], ADD_DOC).set_into_module(
        &mut m,
        move |ctx: NativeCallContext<'_>, name: &str, opts: Map| -> Res<LinkHandle> {
            check_options("create a bridge", &opts, &["netns"]).or_raise(&ctx)?;
            let ns = opts
                .get("netns")
                .map_or(Ok(Ns::Host), |v| ns_arg("option `netns`", v))
                .or_raise(&ctx)?;
            let info = n.add_bridge(&ns, name).or_raise(&ctx)?;
            created(&ctx, &ns, &info);
            Ok(LinkHandle::new(ns, info.index))
        },
    );

    m
}
