//! Methods and properties of a `Netns` handle.

use rhai::{Array, Dynamic, Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, check_options};
use super::{LinkHandle, Net, NetnsHandle, getter, method, record};
use crate::error::Error;
use crate::sys::{ping, sysctl};

pub fn register(m: &mut Module, net: &Net) {
    getter(
        "name",
        &["ns: &mut Netns", "String"],
        r#"
The namespace's name; "host" for `netns::host()`.

```rhai
let r1 = netns::add("r1");
print(r1.name);   // r1
```"#,
    )
    .set_into_module(m, |ns: &mut NetnsHandle| -> String {
        ns.ns.name().to_string()
    });

    let n = net.clone();
    method(
        "link",
        &["ns: &mut Netns", "name: &str", "Link"],
        r#"
The link called `name` in this namespace. Fails with kind "not_found", and
names the namespaces where a link of that name does exist.

`ip -n NS link show NAME`

```rhai
let r1 = netns::add("r1");
let lo = r1.link("lo");
print(lo.kind);   // loopback
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, name: &str| -> Res<LinkHandle> {
            let info = n.link_by_name(&ns.ns, name).or_raise(&ctx)?;
            Ok(LinkHandle::new(ns.ns.clone(), info.index))
        },
    );

    let n = net.clone();
    method(
        "links",
        &["ns: &mut Netns", "Array"],
        r#"
Every link in this namespace, in index order.

`ip -n NS link show`

```rhai
let r1 = netns::add("r1");
link::add_veth("a", "b", #{ netns: r1, peer_netns: r1 });
for l in r1.links() { print(l.name); }   // lo, b, a
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle| -> Res<Array> {
            let links = n.links(&ns.ns).or_raise(&ctx)?;
            Ok(links
                .into_iter()
                .map(|l| Dynamic::from(LinkHandle::new(ns.ns.clone(), l.index)))
                .collect())
        },
    );

    let ping_doc = r#"
Whether `address` answers an ICMP echo sent from this namespace (IPv4 or
IPv6). Each echo waits 1 s for its reply; echoes are retried until 3 s have
passed. With `#{ timeout: seconds }` the retries stop after that long
instead (a quick negative check). An address with no route, or whose route
or firewall drops the echo (blackhole, unreachable, prohibit), is `false`
at once; only a mistake (a link-local address, which needs an interface)
is an error. Uses a raw socket inside the namespace; no `ping` binary
needed.

`ip netns exec NS ping -c 1 -W 1 ADDRESS`

```rhai
let r1 = netns::add("r1");
r1.link("lo").addr_add("10.9.9.9/32");
print(r1.ping("10.9.9.9"));                        // true
print(r1.ping("127.0.0.1"));                       // true
print(r1.ping("10.9.9.8", #{ timeout: 0.2 }));     // false
```"#;
    method(
        "ping",
        &["ns: &mut Netns", "address: &str", "bool"],
        ping_doc,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, address: &str| -> Res<bool> {
            ping_from(&ctx, ns, address, ping::Timing::default())
        },
    );
    method(
        "ping",
        &["ns: &mut Netns", "address: &str", "options: Map", "bool"],
        ping_doc,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, address: &str, opts: Map| -> Res<bool> {
            let timing = ping_timing("ping", &opts).or_raise(&ctx)?;
            ping_from(&ctx, ns, address, timing)
        },
    );

    let unreachable_doc = r#"
Ping every address in `addresses` from this namespace at once and return
the addresses that never answered: `[]` means every one did. The quick way
to check that a hub reaches all its hosts. One socket per address family;
up to 64 addresses are pinged at a time, each retried every second until it
answers or its `timeout` (default 3 s) runs out, so N silent addresses take
about N / 64 × timeout. An address the kernel refuses to send to (a
prohibit route, a firewall) counts as unanswered.

`for a in ADDRESSES; do ip netns exec NS ping -c 1 $a & done; wait`

```rhai
let r1 = netns::add("r1");
r1.link("lo").addr_add("10.9.9.9/32");
print(r1.unreachable(["10.9.9.9", "127.0.0.1"]));              // []
print(r1.unreachable(["10.9.9.9", "10.9.9.8"], #{ timeout: 0.2 }));  // ["10.9.9.8"]
```"#;
    method(
        "unreachable",
        &["ns: &mut Netns", "addresses: Array", "Array"],
        unreachable_doc,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, addresses: Array| -> Res<Array> {
            unreachable_from(&ctx, ns, &addresses, ping::Timing::default())
        },
    );
    method(
        "unreachable",
        &[
            "ns: &mut Netns",
            "addresses: Array",
            "options: Map",
            "Array",
        ],
        unreachable_doc,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>,
         ns: &mut NetnsHandle,
         addresses: Array,
         opts: Map|
         -> Res<Array> {
            let timing = ping_timing("ping a list of addresses", &opts).or_raise(&ctx)?;
            unreachable_from(&ctx, ns, &addresses, timing)
        },
    );

    let n = net.clone();
    method(
        "del",
        &["ns: &mut Netns"],
        r#"
Delete this namespace (see `netns::del`).

`ip netns del NS`

```rhai
let r1 = netns::add("r1");
r1.del();
print(netns::exists("r1"));   // false
```"#,
    )
    .set_into_module(
        m,
        move |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle| -> Res<()> {
            match &ns.ns {
                crate::ns::Ns::Host => Err(super::convert::raise(
                    &ctx,
                    Error::invalid(
                        "delete the host namespace",
                        "it is the namespace netscript runs in",
                    ),
                )),
                crate::ns::Ns::Named(name) => super::netns::delete(&n, &ctx, name),
            }
        },
    );

    let sysctl_doc = r#"
Read (`ns.sysctl(key)`) or set (`ns.sysctl(key, value)`) a network sysctl
of this namespace. Only `net.*` keys, which belong to the namespace; the
value is returned and given as a string (numbers are accepted too).

`ip netns exec NS sysctl [-w] KEY[=VALUE]`

```rhai
let r1 = netns::add("r1");
print(r1.sysctl("net.ipv4.ip_forward"));        // 0
r1.sysctl("net.ipv4.ip_forward", 1);
print(r1.sysctl("net.ipv4.ip_forward"));        // 1
```"#;
    method(
        "sysctl",
        &["ns: &mut Netns", "key: &str", "String"],
        sysctl_doc,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, key: &str| -> Res<String> {
            let file = ns.ns.open().or_raise(&ctx)?;
            sysctl::read(&file, key)
                .map_err(|e| e.in_netns(ns.ns.name()))
                .or_raise(&ctx)
        },
    );
    method(
        "sysctl",
        &["ns: &mut Netns", "key: &str", "value: Dynamic"],
        sysctl_doc,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, key: &str, value: Dynamic| -> Res<()> {
            let file = ns.ns.open().or_raise(&ctx)?;
            let value = if value.is_bool() {
                (value.as_bool().unwrap_or(false) as u8).to_string()
            } else {
                value.to_string()
            };
            super::host_settings_may_change(&ns.ns);
            let written = sysctl::write(&file, key, &value);
            super::host_settings_may_change(&ns.ns);
            written
                .map_err(|e| e.in_netns(ns.ns.name()))
                .or_raise(&ctx)?;
            record::change(&ctx, || sysctl_command(&ns.ns, key, &value));
            Ok(())
        },
    );

    method(
        "forwarding",
        &["ns: &mut Netns", "on: bool"],
        r#"
Turn IP forwarding on or off for IPv4 and IPv6 in this namespace: what a
router namespace needs.

`ip netns exec NS sysctl -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1`

```rhai
let router = netns::add("router");
router.forwarding(true);
print(router.sysctl("net.ipv4.ip_forward"));            // 1
print(router.sysctl("net.ipv6.conf.all.forwarding"));   // 1
```"#,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, on: bool| -> Res<()> {
            let file = ns.ns.open().or_raise(&ctx)?;
            let v = if on { "1" } else { "0" };
            super::host_settings_may_change(&ns.ns);
            for key in ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"] {
                let written = sysctl::write(&file, key, v);
                super::host_settings_may_change(&ns.ns);
                written
                    .map_err(|e| e.in_netns(ns.ns.name()))
                    .or_raise(&ctx)?;
                record::change(&ctx, || sysctl_command(&ns.ns, key, v));
            }
            Ok(())
        },
    );

    method(
        "to_string",
        &["ns: &mut Netns", "String"],
        "Text form: `Netns(\"r1\")`.",
    )
    .set_into_module(m, |ns: &mut NetnsHandle| {
        format!("Netns(\"{}\")", ns.ns.name())
    });
    method(
        "to_debug",
        &["ns: &mut Netns", "String"],
        "Debug form: `Netns(\"r1\")`.",
    )
    .set_into_module(m, |ns: &mut NetnsHandle| {
        format!("Netns(\"{}\")", ns.ns.name())
    });
    method(
        "==",
        &["a: Netns", "b: Netns", "bool"],
        "Whether two handles name the same namespace.",
    )
    .set_into_module(m, |a: NetnsHandle, b: NetnsHandle| a == b);
    method(
        "!=",
        &["a: Netns", "b: Netns", "bool"],
        "Whether two handles name different namespaces.",
    )
    .set_into_module(m, |a: NetnsHandle, b: NetnsHandle| a != b);
}

/// `#{ timeout }` of the ping methods.
fn ping_timing(action: &str, opts: &Map) -> crate::error::Result<ping::Timing> {
    check_options(action, opts, &["timeout"])?;
    let mut timing = ping::Timing::default();
    if let Some(t) = opts.get("timeout") {
        let secs = super::convert::seconds("option `timeout`", t)?;
        timing.deadline = secs;
        timing.per_try = timing.per_try.min(secs);
    }
    Ok(timing)
}

pub(super) fn ping_target(address: &str) -> crate::error::Result<std::net::IpAddr> {
    address.parse().map_err(|_| {
        Error::invalid(
            format!("ping {address:?}"),
            format!("{address:?} is not an IPv4 or IPv6 address"),
        )
        .with_help("give an address like 10.0.0.2 or 2001:db8::2, without a prefix length")
        .about(address)
    })
}

fn unreachable_from(
    ctx: &NativeCallContext,
    ns: &NetnsHandle,
    addresses: &Array,
    timing: ping::Timing,
) -> Res<Array> {
    let mut ips = Vec::new();
    for a in addresses {
        let text = a.clone().into_string().map_err(|t| {
            Error::invalid(
                "ping a list of addresses",
                format!("the list holds a {t}, not an address string"),
            )
            .with_help("give addresses as strings: [\"10.0.0.2\", \"10.0.0.3\"]")
        });
        ips.push(ping_target(&text.or_raise(ctx)?).or_raise(ctx)?);
    }
    let file = ns.ns.open().or_raise(ctx)?;
    record::look(ctx, || {
        format!(
            "for a in {}; do {}ping -c 1 $a & done; wait",
            addresses
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            record::exec_prefix(&ns.ns)
        )
    });
    let answers = ping::ping_many(&file, &ips, timing, 64)
        .map_err(|e| e.in_netns(ns.ns.name()))
        .or_raise(ctx)?;
    Ok(addresses
        .iter()
        .zip(answers)
        .filter(|(_, ok)| !ok)
        .map(|(a, _)| a.clone())
        .collect())
}

fn ping_from(
    ctx: &NativeCallContext,
    ns: &NetnsHandle,
    address: &str,
    timing: ping::Timing,
) -> Res<bool> {
    let ip = ping_target(address).or_raise(ctx)?;
    let file = ns.ns.open().or_raise(ctx)?;
    record::look(ctx, || {
        format!("{}ping -c 1 {address}", record::exec_prefix(&ns.ns))
    });
    ping::ping(&file, ip, timing)
        .map_err(|e| e.in_netns(ns.ns.name()))
        .or_raise(ctx)
}

/// A sysctl write as a shell command (no sysctl binary needed).
pub(super) fn sysctl_command(ns: &crate::ns::Ns, key: &str, value: &str) -> String {
    let path = sysctl::path_of(key).unwrap_or_default();
    format!("{}sh -c 'echo {value} > {path}'", record::exec_prefix(ns))
}
