//! Seeing the lab from a script: `lab::snapshot()`, `pingall()`,
//! `wait_until(check, seconds)`.

use rhai::{Array, Dynamic, FnPtr, Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, check_options, raise, seconds};
use super::{Net, func, method};
use crate::error::{Error, Kind};
use crate::show::pingall;

fn to_dynamic(v: serde_json::Value) -> Dynamic {
    use serde_json::Value as V;
    match v {
        V::Null => Dynamic::UNIT,
        V::Bool(b) => b.into(),
        V::Number(n) => n.as_i64().map_or_else(
            || Dynamic::from_float(n.as_f64().unwrap_or(0.0)),
            Dynamic::from_int,
        ),
        V::String(s) => s.into(),
        V::Array(items) => Dynamic::from_array(items.into_iter().map(to_dynamic).collect()),
        V::Object(map) => {
            let mut m = Map::new();
            for (k, v) in map {
                m.insert(k.into(), to_dynamic(v));
            }
            Dynamic::from_map(m)
        }
    }
}

pub fn module(net: &Net) -> Module {
    let mut m = Module::new();
    let n = net.clone();
    func(
        "snapshot",
        &["Map"],
        r#"
The live topology, read from the kernel, as `netscript show --json`
gives it: `#{ namespaces: [#{ name, links: [#{ name, index, kind, up,
state, mtu, mac, addresses, master, peer: #{ netns, link } }], routes }] }`.

`netscript show --json`

```rhai
let r1 = netns::add("r1");
link::add_veth("eth0", "veth1", #{ netns: r1 });
let snap = lab::snapshot();
let host = snap.namespaces.filter(|ns| ns.name == "host")[0];
print(host.links.filter(|l| l.name == "veth1")[0].peer);   // #{"link": "eth0", "netns": "r1"}
```"#,
    )
    .set_into_module(&mut m, move || -> Map {
        let snap = crate::show::snapshot(&n, None);
        to_dynamic(snap.to_json())
            .try_cast::<Map>()
            .unwrap_or_default()
    });
    let n = net.clone();
    func(
        "pingall",
        &["Map"],
        "The global `pingall()`, by its module name (for modules that define their own `pingall`).\n\n```rhai\nprint(lab::pingall().sent);   // 0\n```",
    )
    .set_into_module(&mut m, move |ctx: NativeCallContext<'_>| -> Res<Map> { run_pingall(&ctx, &n, Map::new()) });
    m
}

pub fn register(m: &mut Module, net: &Net) {
    let doc = r#"
Every namespace with an address pings every address of every other
namespace (natively, many at once, flushing the neighbour entries it made
as it goes so big labs do not overflow the machine's table). Returns
`#{ sent, dropped, pairs: [#{ from, to, address, ok }] }`. Options:
`pairs: "spanning"` (each namespace pings only the next: a cheap check of
a big lab), `timeout` (seconds per ping, default 1).

`netscript pingall`

```rhai
let a = netns::add("a");
let b = netns::add("b");
let e = link::add_veth("eth0", "eth0", #{ netns: a, peer_netns: b });
e.addr_add("10.0.0.1/24");
e.peer.addr_add("10.0.0.2/24");
e.up();
e.peer.up();
let r = pingall();
print(`${r.dropped}/${r.sent}`);   // 0/2
```"#;
    let n = net.clone();
    func("pingall", &["Map"], doc)
        .in_global_namespace()
        .set_into_module(m, move |ctx: NativeCallContext<'_>| -> Res<Map> {
            run_pingall(&ctx, &n, Map::new())
        });
    let n = net.clone();
    func("pingall", &["options: Map", "Map"], doc)
        .in_global_namespace()
        .set_into_module(
            m,
            move |ctx: NativeCallContext<'_>, opts: Map| -> Res<Map> {
                run_pingall(&ctx, &n, opts)
            },
        );

    method(
        "wait_until",
        &["check: FnPtr", "seconds: float", "bool"],
        r#"
Call `check` until it returns true or `seconds` have passed; whether it
did. For "wait until reachable" in recipes, instead of sleeping. Calls
scheduled with `after` and `every` run while it waits.

```rhai
let r1 = netns::add("r1");
let p = r1.spawn(["busybox", "nc", "-l", "-p", "8080"]);
print(wait_until(|| r1.listening().len() > 0, 5));   // true
print(wait_until(|| false, 0.1));                     // false
```"#,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, check: FnPtr, secs: Dynamic| -> Res<bool> {
            let limit = seconds("the time to wait", &secs).or_raise(&ctx)?;
            let start = std::time::Instant::now();
            loop {
                let ok: Dynamic = check.call_within_context(&ctx, ())?;
                if ok.as_bool().unwrap_or(false) {
                    return Ok(true);
                }
                if start.elapsed() >= limit {
                    return Ok(false);
                }
                if crate::interrupt::requested() {
                    return Err(raise(
                        &ctx,
                        Error::new(Kind::Timeout, "wait", "interrupted"),
                    ));
                }
                // Scheduled calls run while waiting.
                super::timers::wait(
                    &ctx,
                    std::time::Instant::now() + std::time::Duration::from_millis(20),
                )?;
            }
        },
    );
}

fn run_pingall(ctx: &NativeCallContext, net: &Net, opts: Map) -> Res<Map> {
    check_options("ping all", &opts, &["pairs", "timeout"]).or_raise(ctx)?;
    let mut o = pingall::Options::default();
    if let Some(p) = opts.get("pairs") {
        match p.to_string().as_str() {
            "spanning" => o.spanning = true,
            "all" => {}
            other => {
                let e = Error::invalid(
                    format!("ping {other:?} pairs"),
                    "pairs is \"all\" or \"spanning\"",
                );
                return Err(raise(ctx, e));
            }
        }
    }
    if let Some(t) = opts.get("timeout") {
        o.timeout = seconds("option `timeout`", t).or_raise(ctx)?;
    }
    let results = pingall::pingall(net, None, &o);
    let dropped = results.iter().filter(|r| !r.ok).count();
    let pairs: Array = results
        .iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert("from".into(), r.from.clone().into());
            m.insert("to".into(), r.to.clone().into());
            m.insert("address".into(), r.address.to_string().into());
            m.insert("ok".into(), r.ok.into());
            Dynamic::from_map(m)
        })
        .collect();
    let mut out = Map::new();
    out.insert("sent".into(), Dynamic::from_int(results.len() as rhai::INT));
    out.insert("dropped".into(), Dynamic::from_int(dropped as rhai::INT));
    out.insert("pairs".into(), pairs.into());
    Ok(out)
}
