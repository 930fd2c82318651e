//! Container namespaces: `netns::attach`, `netns::identify` live in the
//! netns module; this is the `container` module and the inspection
//! methods of a `Netns` (`pids`, `listening`, `fetch`).

use rhai::{Array, Dynamic, Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, check_options, seconds};
use super::{NetnsHandle, func, method};
use crate::sys::{container, http, netns_fs, sockets};

pub fn module() -> Module {
    let mut m = Module::new();
    func(
        "pid",
        &["name: &str", "int"],
        r#"
The PID of a running container, asked of the container engine on the
machine (Docker, then Podman). Fails with kind "not_found" when no engine
is installed, no container has that name, or it is not running.

`docker inspect --format '{{.State.Pid}}' NAME`

```rhai
try { container::pid("no-such-container"); } catch (e) { print(e.kind); }   // not_found
```"#,
    )
    .set_into_module(
        &mut m,
        |ctx: NativeCallContext<'_>, name: &str| -> Res<rhai::INT> {
            Ok(container::pid(name).or_raise(&ctx)? as rhai::INT)
        },
    );
    m
}

pub fn register_methods(m: &mut Module) {
    method(
        "pids",
        &["ns: &mut Netns", "Array"],
        r#"
The PIDs of the processes living in this namespace, like
`ip netns pids NS`.

```rhai
let r1 = netns::add("r1");
let p = r1.spawn("sleep 10");
print(r1.pids() == [p.pid]);   // true
```"#,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle| -> Res<Array> {
            let file = ns.ns.open().or_raise(&ctx)?;
            let pids = netns_fs::pids_in(&file).or_raise(&ctx)?;
            Ok(pids
                .into_iter()
                .map(|p| Dynamic::from_int(p as rhai::INT))
                .collect())
        },
    );

    method(
        "listening",
        &["ns: &mut Netns", "Array"],
        r#"
The TCP sockets listening in this namespace, each
`#{ proto, addr, port }` ("tcp" or "tcp6"), in port order.

`ip netns exec NS ss -tln`

```rhai
let r1 = netns::add("r1");
let server = r1.spawn("busybox nc -l -p 8080");
let l = [];
for i in 0..200 { l = r1.listening(); if l.len() > 0 { break; } }
print(l);   // [#{"addr": "0.0.0.0", "port": 8080, "proto": "tcp"}]
```"#,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle| -> Res<Array> {
            let file = ns.ns.open().or_raise(&ctx)?;
            let found = sockets::listening(&file).or_raise(&ctx)?;
            Ok(found
                .into_iter()
                .map(|l| {
                    let mut map = Map::new();
                    map.insert("proto".into(), l.proto.into());
                    map.insert("addr".into(), l.addr.to_string().into());
                    map.insert("port".into(), Dynamic::from_int(l.port as rhai::INT));
                    Dynamic::from_map(map)
                })
                .collect())
        },
    );

    let fetch_doc = r#"
An HTTP GET of a plain `http://` URL, from a socket inside this namespace
(so `localhost` is the namespace's own). Returns `#{ status, headers, body }`.
Hosts are IP addresses or `localhost`; `#{ timeout: seconds }` (default 5).

`ip netns exec NS curl -s URL`

```rhai
let r1 = netns::add("r1");
try { r1.fetch("http://localhost:9/", #{ timeout: 1 }); } catch (e) { print(e.message.contains("refused")); }   // true
```"#;
    method("fetch", &["ns: &mut Netns", "url: &str", "Map"], fetch_doc).set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, url: &str| -> Res<Map> {
            fetch(&ctx, ns, url, Map::new())
        },
    );
    method(
        "fetch",
        &["ns: &mut Netns", "url: &str", "options: Map", "Map"],
        fetch_doc,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, url: &str, opts: Map| -> Res<Map> {
            fetch(&ctx, ns, url, opts)
        },
    );
}

fn fetch(ctx: &NativeCallContext, ns: &NetnsHandle, url: &str, opts: Map) -> Res<Map> {
    check_options("fetch a URL", &opts, &["timeout"]).or_raise(ctx)?;
    let timeout = match opts.get("timeout") {
        Some(t) => seconds("option `timeout`", t).or_raise(ctx)?,
        None => std::time::Duration::from_secs(5),
    };
    let file = ns.ns.open().or_raise(ctx)?;
    // A malformed URL is the argument's fault; a failed fetch is not.
    let r = http::get(&file, url, timeout)
        .map_err(|e| e.in_netns(ns.ns.name()).invalid_arg(0))
        .or_raise(ctx)?;
    let mut headers = Map::new();
    for (k, v) in r.headers {
        headers.insert(k.into(), v.into());
    }
    let mut map = Map::new();
    map.insert("status".into(), Dynamic::from_int(r.status as rhai::INT));
    map.insert("headers".into(), headers.into());
    map.insert("body".into(), r.body.into());
    Ok(map)
}
