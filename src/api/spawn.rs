//! Background processes: `ns.spawn(cmd)` and the `Process` handle.

use rhai::{Dynamic, Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, seconds};
use super::exec_methods::{options_with, target, words};
use super::{NetnsHandle, getter, method, record};
use crate::sys::spawn::{self, Process};

/// A process started with `ns.spawn`.
#[derive(Clone)]
pub struct ProcessHandle(pub Process);

const SPAWN_DOC: &str = r#"
Start a command in the background inside this namespace (a server, a
traffic generator) and return a `Process`. Its output is collected (see
`p.output()`). It is stopped before its namespace is deleted and when
netscript exits — unless started with `#{ detach: true }`. Takes the
options of `exec` (`env`, `cwd`, `stdin`) plus `detach`.

`ip netns exec NS CMD &`

```rhai
let r1 = netns::add("r1");
let p = r1.spawn("sleep 30");
print(p.alive);          // true
p.kill();
print(p.alive);          // false
let q = r1.spawn(["sh", "-c", "echo ready; exit 3"]);
print(q.wait());         // 3
print(q.output().stdout == "ready\n");  // true
```"#;

pub fn register(m: &mut Module) {
    method(
        "spawn",
        &["ns: &mut Netns", "cmd: String", "Process"],
        SPAWN_DOC,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, cmd: Dynamic| -> Res<ProcessHandle> {
            start(&ctx, ns, cmd, Map::new())
        },
    );
    method(
        "spawn",
        &["ns: &mut Netns", "cmd: String", "options: Map", "Process"],
        SPAWN_DOC,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>,
         ns: &mut NetnsHandle,
         cmd: Dynamic,
         opts: Map|
         -> Res<ProcessHandle> { start(&ctx, ns, cmd, opts) },
    );

    getter(
        "pid",
        &["p: &mut Process", "int"],
        r#"
The process id (as the machine's `ps` shows it).

```rhai
let p = netns::add("r1").spawn("sleep 5");
print(p.pid > 1);   // true
```"#,
    )
    .set_into_module(m, |p: &mut ProcessHandle| p.0.borrow().pid as rhai::INT);

    getter(
        "alive",
        &["p: &mut Process", "bool"],
        r#"
Whether it is still running.

```rhai
let p = netns::add("r1").spawn("true");
p.wait();
print(p.alive);   // false
```"#,
    )
    .set_into_module(m, |p: &mut ProcessHandle| p.0.borrow_mut().alive());

    method(
        "kill",
        &["p: &mut Process", "int"],
        r#"
Stop it (SIGTERM to its process group, SIGKILL after a second) and return
its exit status (128 + signal number when a signal ended it).

`kill PID`

```rhai
let p = netns::add("r1").spawn("sleep 30");
print(p.kill());   // 143
```"#,
    )
    .set_into_module(m, |p: &mut ProcessHandle| {
        p.0.borrow_mut().stop() as rhai::INT
    });

    let wait_doc = r#"
Wait until it exits and return its exit status; with a number of seconds,
fail with kind "timeout" if it is still running by then.

```rhai
let r1 = netns::add("r1");
print(r1.spawn("sh -c 'exit 4'").wait());   // 4
try { r1.spawn("sleep 5").wait(0.1); } catch (e) { print(e.kind); }   // timeout
```"#;
    method("wait", &["p: &mut Process", "int"], wait_doc).set_into_module(
        m,
        |ctx: NativeCallContext<'_>, p: &mut ProcessHandle| -> Res<rhai::INT> {
            wait_running_timers(&ctx, p, None)
        },
    );
    method(
        "wait",
        &["p: &mut Process", "seconds: float", "int"],
        wait_doc,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, p: &mut ProcessHandle, secs: Dynamic| -> Res<rhai::INT> {
            let limit = seconds("the time to wait", &secs).or_raise(&ctx)?;
            wait_running_timers(&ctx, p, Some(limit))
        },
    );

    method(
        "output",
        &["p: &mut Process", "Map"],
        r#"
What it has written so far, and how it ended: `#{ stdout, stderr, status }`
(`status` is `()` while it runs).

```rhai
let p = netns::add("r1").spawn("echo hello");
p.wait();
print(p.output());   // #{"status": 0, "stderr": "", "stdout": "hello\n"}
```"#,
    )
    .set_into_module(m, |p: &mut ProcessHandle| -> Map {
        let mut s = p.0.borrow_mut();
        let status = s.status();
        let (out, err) = s.output();
        let mut map = Map::new();
        map.insert("stdout".into(), out.into());
        map.insert("stderr".into(), err.into());
        map.insert(
            "status".into(),
            status.map_or(Dynamic::UNIT, |c| Dynamic::from_int(c as rhai::INT)),
        );
        map
    });

    for name in ["to_string", "to_debug"] {
        method(
            name,
            &["p: &mut Process", "String"],
            "Text form: `Process(1234 in r1, running)`.",
        )
        .set_into_module(m, |p: &mut ProcessHandle| {
            let mut s = p.0.borrow_mut();
            let state = match s.status() {
                None => "running".to_string(),
                Some(c) => format!("exited {c}"),
            };
            format!("Process({} in {}, {state})", s.pid, s.netns)
        });
    }
}

fn start(ctx: &NativeCallContext, ns: &NetnsHandle, cmd: Dynamic, opts: Map) -> Res<ProcessHandle> {
    let argv = words(cmd).or_raise(ctx)?;
    let detach = opts
        .get("detach")
        .is_some_and(|d| d.as_bool().unwrap_or(false));
    if opts.contains_key("timeout") {
        let e =
            crate::error::Error::invalid("spawn a command", "a spawned process has no `timeout`")
                .with_help("wait for it with p.wait(seconds), or stop it with p.kill()")
                .at_option("timeout");
        return Err(super::convert::raise(ctx, e));
    }
    let mut rest = opts.clone();
    rest.remove("detach");
    let parsed = options_with(&rest, &["detach"]).or_raise(ctx)?;
    let target = target(ns).or_raise(ctx)?;
    let process = spawn::spawn(&target, &argv, &parsed, detach).or_raise(ctx)?;
    let pid = process.borrow().pid;
    record::look(ctx, || {
        format!(
            "{}{} &",
            record::exec_prefix(&ns.ns),
            crate::sys::command::display(&argv)
        )
    });
    if let Some(start) = crate::lab::process_start(pid) {
        record::created(
            ctx,
            crate::lab::Object::Process {
                pid,
                start,
                netns: ns.ns.name().to_string(),
            },
        );
    }
    Ok(ProcessHandle(process))
}

/// Wait for the process (at most `limit`), running the calls scheduled
/// with `after`/`every` as they fall due, so faults can be injected while
/// spawned traffic runs.
fn wait_running_timers(
    ctx: &NativeCallContext,
    p: &ProcessHandle,
    limit: Option<std::time::Duration>,
) -> Res<rhai::INT> {
    let deadline = limit.map(|l| std::time::Instant::now() + l);
    loop {
        super::timers::run_due(ctx)?;
        let now = std::time::Instant::now();
        let left = deadline.map(|d| d.saturating_duration_since(now));
        let next = super::timers::next_due(ctx).map(|d| d.saturating_duration_since(now));
        let slice = match (left, next) {
            (Some(l), Some(n)) => Some(l.min(n)),
            (l, n) => l.or(n),
        };
        match p.0.borrow_mut().wait(slice) {
            Ok(status) => return Ok(status as rhai::INT),
            Err(e)
                if e.kind == crate::error::Kind::Timeout
                    && !crate::interrupt::requested()
                    && deadline.is_none_or(|d| std::time::Instant::now() < d) => {}
            Err(e) => return Err(super::convert::raise(ctx, e)),
        }
    }
}
