//! The `netns` module: `ip netns` as functions.

use rhai::{Array, Dynamic, Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, bool_option, check_options};
use super::{Net, NetnsHandle, func, record};
use crate::lab::Object;
use crate::ns::Ns;
use crate::sys::{netns_fs, sysctl};

/// `netns::add`, recorded and traced.
fn add(n: &Net, ctx: &NativeCallContext, name: &str) -> Res<()> {
    n.add_netns(name).or_raise(ctx)?;
    record::change(ctx, || {
        format!("ip netns add {name} && ip -n {name} link set lo up")
    });
    if let Some(id) = Ns::Named(name.to_string()).id() {
        record::created(
            ctx,
            Object::Netns {
                name: name.to_string(),
                id,
            },
        );
    }
    Ok(())
}

/// `netns::del` and `ns.del()`: processes spawned there first, then the name.
pub fn delete(n: &Net, ctx: &NativeCallContext, name: &str) -> Res<()> {
    crate::sys::spawn::stop_in(name);
    n.del_netns(name).or_raise(ctx)?;
    record::change(ctx, || format!("ip netns del {name}"));
    record::lab(ctx).removed(|o| match o {
        Object::Netns { name: n, .. } | Object::Attached { name: n, .. } => n == name,
        Object::Process { netns, .. } => netns == name,
        Object::Link { ns, .. }
        | Object::Addr { ns, .. }
        | Object::Route { ns, .. }
        | Object::Neigh { ns, .. }
        | Object::Qdisc { ns, .. }
        | Object::PortVlan { ns, .. } => ns == name,
    });
    Ok(())
}

/// `netns::add(name, #{ ipv6 })`.
fn add_with(n: &Net, ctx: &NativeCallContext, name: &str, opts: Map) -> Res<NetnsHandle> {
    check_options("create a namespace", &opts, &["ipv6"]).or_raise(ctx)?;
    let ipv6 = bool_option(&opts, "ipv6").or_raise(ctx)?.unwrap_or(true);
    add(n, ctx, name)?;
    let ns = Ns::Named(name.into());
    if !ipv6 {
        // Nothing half-built: the namespace goes again.
        without_ipv6(ctx, &ns).inspect_err(|_| {
            let _ = delete(n, ctx, name);
        })?;
    }
    Ok(NetnsHandle { ns })
}

/// No IPv6 on any link of `ns`, lo and links made later included. A kernel
/// booted without IPv6 (no net.ipv6 sysctls at all) already is that.
fn without_ipv6(ctx: &NativeCallContext, ns: &Ns) -> Res<()> {
    let file = ns.open().or_raise(ctx)?;
    match sysctl::write_many(&file, IPV6_OFF) {
        Err(e) if e.kind == crate::error::Kind::NotFound => return Ok(()),
        done => done.map_err(|e| e.in_netns(ns.name())).or_raise(ctx)?,
    }
    for (key, value) in IPV6_OFF {
        record::change(ctx, || super::netns_methods::sysctl_command(ns, key, value));
    }
    Ok(())
}

const IPV6_OFF: &[(&str, &str)] = &[
    ("net.ipv6.conf.all.disable_ipv6", "1"),
    ("net.ipv6.conf.default.disable_ipv6", "1"),
];

const ADD_DOC: &str = r#"
Create a network namespace, visible to `ip netns list`, with its loopback up
and IPv6 duplicate address detection off (addresses, link-local ones too,
work at once). Fails with kind "exists" if the name is taken.

With `#{ ipv6: false }`, no link in it has IPv6, lo and links made later
included: no addresses, not even link-local ones, and so no multicast
reports or router solicitations. For IPv4-only labs; on a bridge shared
by hundreds of hosts, that IPv6 chatter is most of the kernel's work
while the lab comes up (docs/performance.md).

`ip netns add NAME && ip -n NAME link set lo up`
(`ipv6: false`: `ip netns exec NAME sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1`)

```rhai
let r1 = netns::add("r1");
print(r1.name);   // r1
let v4 = netns::add("v4", #{ ipv6: false });
print(v4.sysctl("net.ipv6.conf.default.disable_ipv6"));   // 1
```"#;

pub fn module(net: &Net) -> Module {
    let mut m = Module::new();

    let n = net.clone();
    func("add", &["name: &str", "Netns"], ADD_DOC).set_into_module(
        &mut m,
        move |ctx: NativeCallContext<'_>, name: &str| -> Res<NetnsHandle> {
            add_with(&n, &ctx, name, Map::new())
        },
    );

    let n = net.clone();
    func("add", &["name: &str", "options: Map", "Netns"], ADD_DOC).set_into_module(
        &mut m,
        move |ctx: NativeCallContext<'_>, name: &str, opts: Map| -> Res<NetnsHandle> {
            add_with(&n, &ctx, name, opts)
        },
    );

    let n = net.clone();
    func(
        "ensure",
        &["name: &str", "Netns"],
        r#"
Create a network namespace, or reuse it if it already exists.

`ip netns add NAME` unless `ip netns list` shows it

```rhai
let a = netns::ensure("r1");
let b = netns::ensure("r1");   // the same namespace, no error
print(netns::list());          // ["r1"]
```"#,
    )
    .set_into_module(
        &mut m,
        move |ctx: NativeCallContext<'_>, name: &str| -> Res<NetnsHandle> {
            if name == "host" {
                return Ok(NetnsHandle { ns: Ns::Host });
            }
            if !netns_fs::exists(name) {
                add(&n, &ctx, name)?;
            } else {
                netns_fs::open(name).or_raise(&ctx)?;
            }
            Ok(NetnsHandle {
                ns: Ns::Named(name.into()),
            })
        },
    );

    func(
        "get",
        &["name: &str", "Netns"],
        r#"
A handle on an existing namespace (also one made by `ip netns add`).
Fails with kind "not_found" if there is none.

`ip netns list | grep NAME`

```rhai
netns::add("r1");
let r1 = netns::get("r1");
print(r1.links().len());   // 1 (lo)
```"#,
    )
    .set_into_module(
        &mut m,
        |ctx: NativeCallContext<'_>, name: &str| -> Res<NetnsHandle> {
            if name == "host" {
                return Ok(NetnsHandle { ns: Ns::Host });
            }
            netns_fs::open(name).or_raise(&ctx)?;
            Ok(NetnsHandle {
                ns: Ns::Named(name.into()),
            })
        },
    );

    let n = net.clone();
    func(
        "del",
        &["name: &str"],
        r#"
Delete a namespace. Its links go with it, and so do the other ends of its
veth pairs: the kernel removes those in the background (in batches, so
deleting many namespaces is fast), and netscript waits for them before the
next call that could still see them, and before it exits.

`ip netns del NAME`

```rhai
let r1 = netns::add("r1");
link::add_veth("eth0", "veth1", #{ netns: r1 });
netns::del("r1");
print(netns::exists("r1"));   // false
print(link::list().len());    // 1 (only lo: veth1 went too)
```"#,
    )
    .set_into_module(
        &mut m,
        move |ctx: NativeCallContext<'_>, name: &str| -> Res<()> { delete(&n, &ctx, name) },
    );

    func(
        "exists",
        &["name: &str", "bool"],
        r#"
Whether a namespace of that name exists.

`ip netns list | grep -qx NAME`

```rhai
print(netns::exists("r1"));   // false
netns::add("r1");
print(netns::exists("r1"));   // true
```"#,
    )
    .set_into_module(&mut m, |name: &str| -> bool {
        name == "host" || netns_fs::exists(name)
    });

    func(
        "list",
        &["Array"],
        r#"
Names of all named namespaces, in the order `ip netns list` shows them.

`ip netns list`

```rhai
netns::add("r1");
netns::add("r2");
print(netns::list());   // ["r2", "r1"] (directory order, like ip)
```"#,
    )
    .set_into_module(&mut m, |ctx: NativeCallContext<'_>| -> Res<Array> {
        let names = netns_fs::list().or_raise(&ctx)?;
        Ok(names.into_iter().map(Dynamic::from).collect())
    });

    func(
        "host",
        &["Netns"],
        r#"
The namespace netscript was started in (inside `--sandbox`, the sandbox's).
Its name is "host".

plain `ip` without `-n`

```rhai
let h = netns::host();
print(h.name);                 // host
print(h.link("lo").is_up);     // true
```"#,
    )
    .set_into_module(&mut m, || NetnsHandle { ns: Ns::Host });

    func(
        "attach",
        &["name: &str", "pid: int", "Netns"],
        r#"
Give the network namespace of process `pid` (a container's) a name, like
`ip netns attach`: it shows in `ip netns list` and works with every
netscript call. It is a bind mount, so it stays valid (a symlink to
/proc/PID/ns/net, as the classic tutorial makes, dangles when the process
exits). `netns::del(name)` removes only the name: the process and its
links stay.

`ip netns attach NAME PID`

```rhai
// A stand-in container: a process in a network namespace of its own.
let server = netns::host().spawn(["unshare", "--net", "sh", "-c", "echo ready; exec sleep 30"]);
while !server.output().stdout.contains("ready") { }
let ctr = netns::attach("ctr", server.pid);
print(netns::identify(server.pid));   // ctr
print(ctr.pids() == [server.pid]);     // true
netns::del("ctr");
print(server.alive);                   // true
```"#,
    )
    .set_into_module(
        &mut m,
        |ctx: NativeCallContext<'_>, name: &str, pid: rhai::INT| -> Res<NetnsHandle> {
            let pid = super::convert::pid(pid).or_raise(&ctx)?;
            let file = netns_fs::attach(name, pid).or_raise(&ctx)?;
            record::change(&ctx, || format!("ip netns attach {name} {pid}"));
            if let Ok(id) = netns_fs::id_of(&file) {
                record::created(
                    &ctx,
                    Object::Attached {
                        name: name.to_string(),
                        id,
                    },
                );
            }
            Ok(NetnsHandle {
                ns: Ns::Named(name.into()),
            })
        },
    );

    func(
        "identify",
        &["pid: int", "Dynamic"],
        r#"
The name of the namespace process `pid` is in, or `()` when no name under
/run/netns refers to it.

`ip netns identify PID`

```rhai
let r1 = netns::add("r1");
let p = r1.spawn("sleep 10");
print(netns::identify(p.pid));   // r1
```"#,
    )
    .set_into_module(
        &mut m,
        |ctx: NativeCallContext<'_>, pid: rhai::INT| -> Res<Dynamic> {
            let pid = super::convert::pid(pid).or_raise(&ctx)?;
            Ok(netns_fs::identify(pid)
                .or_raise(&ctx)?
                .map_or(Dynamic::UNIT, Dynamic::from))
        },
    );

    m
}
