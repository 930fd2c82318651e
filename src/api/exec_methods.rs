//! Commands in a namespace: `ns.exec`, `ns.run`, `ns.shell`.

use rhai::{Array, Dynamic, Map, Module, NativeCallContext};

use super::convert::{OrRaise, Res, check_options, seconds};
use super::{NetnsHandle, method, record};
use crate::error::{Error, Result};
use crate::ns::Ns;
use crate::sys::command::{self, Options, Target};
use crate::sys::exec;

const EXEC_DOC: &str = r#"
Run a command inside this namespace and wait for it, with the environment
`ip netns exec` gives: /sys shows this namespace's links, and files in
/etc/netns/NAME/ replace those in /etc (e.g. `hosts`, `resolv.conf`).
`cmd` is a string, split into words like a shell line (quotes work, no
shell runs), or an array of words. Returns `#{ status, stdout, stderr }`;
a program that does not exist is an error of kind "not_found".

Options: `env` (a map of variables to add), `cwd` (a directory), `stdin`
(text fed to the command), `timeout` (seconds; the command is killed and
the call fails with kind "timeout").

`ip netns exec NS CMD...`

```rhai
let r1 = netns::add("r1");
let out = r1.exec("ip -br link");
print(out.status);                     // 0
print(out.stdout.starts_with("lo"));   // true
print(r1.exec(["sh", "-c", "exit 3"]).status);                          // 3
print(r1.exec("sh -c 'echo $GREETING'", #{ env: #{ GREETING: "hi" } }).stdout == "hi\n");   // true
print(r1.exec("cat", #{ stdin: "piped" }).stdout);                      // piped
print(r1.exec("ls /sys/class/net").stdout.contains("lo"));              // true
```"#;

const RUN_DOC: &str = r#"
Run a command inside this namespace with its output shown as it comes
(for recipes that show what they do). A non-zero exit status is an error
whose message has the command, the status and the end of its stderr.
Takes the same options as `exec`.

`ip netns exec NS CMD...` in a `set -e` script

```rhai
let r1 = netns::add("r1");
r1.run("echo hello from r1");   // hello from r1
try { r1.run("ls /nonexistent"); } catch (e) { print(e.message.contains("status 2")); }   // true
```"#;

const SHELL_DOC: &str = r#"
An interactive shell (`$SHELL`, else /bin/sh) inside this namespace on
your terminal, like `ip netns exec NS bash`; returns its exit status when
you leave it. `$NETSCRIPT_NETNS` holds the namespace's name. Ctrl-C goes
to the shell meanwhile. Without a terminal the shell reads stdin.

`ip netns exec NS $SHELL`

```rhai
let r1 = netns::add("r1");
let status = r1.shell();   // on a terminal: a prompt inside r1 until you type `exit`
print(status);             // 0 (what the shell exited with)
```"#;

pub fn register(m: &mut Module) {
    method("exec", &["ns: &mut Netns", "cmd: String", "Map"], EXEC_DOC).set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, cmd: Dynamic| -> Res<Map> {
            exec_with(&ctx, ns, cmd, Map::new())
        },
    );
    method(
        "exec",
        &["ns: &mut Netns", "cmd: String", "options: Map", "Map"],
        EXEC_DOC,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, cmd: Dynamic, opts: Map| -> Res<Map> {
            exec_with(&ctx, ns, cmd, opts)
        },
    );
    method("run", &["ns: &mut Netns", "cmd: String"], RUN_DOC).set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, cmd: Dynamic| -> Res<()> {
            run_with(&ctx, ns, cmd, Map::new())
        },
    );
    method(
        "run",
        &["ns: &mut Netns", "cmd: String", "options: Map"],
        RUN_DOC,
    )
    .set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle, cmd: Dynamic, opts: Map| -> Res<()> {
            run_with(&ctx, ns, cmd, opts)
        },
    );
    method("shell", &["ns: &mut Netns", "int"], SHELL_DOC).set_into_module(
        m,
        |ctx: NativeCallContext<'_>, ns: &mut NetnsHandle| -> Res<rhai::INT> {
            let target = target(ns).or_raise(&ctx)?;
            record::look(&ctx, || format!("{}$SHELL", record::exec_prefix(&ns.ns)));
            let status = exec::shell(&target);
            crate::lab::ops::host_settings_may_change(&ns.ns);
            Ok(status.or_raise(&ctx)? as rhai::INT)
        },
    );
}

fn exec_with(ctx: &NativeCallContext, ns: &NetnsHandle, cmd: Dynamic, opts: Map) -> Res<Map> {
    let argv = words(cmd).or_raise(ctx)?;
    let opts = options(&opts).or_raise(ctx)?;
    let target = target(ns).or_raise(ctx)?;
    record::look(ctx, || {
        format!("{}{}", record::exec_prefix(&ns.ns), command::display(&argv))
    });
    let out = exec::exec(&target, &argv, &opts);
    crate::lab::ops::host_settings_may_change(&ns.ns);
    let out = out.or_raise(ctx)?;
    let mut map = Map::new();
    map.insert("status".into(), Dynamic::from_int(out.status as rhai::INT));
    map.insert("stdout".into(), out.stdout.into());
    map.insert("stderr".into(), out.stderr.into());
    Ok(map)
}

fn run_with(ctx: &NativeCallContext, ns: &NetnsHandle, cmd: Dynamic, opts: Map) -> Res<()> {
    let argv = words(cmd).or_raise(ctx)?;
    let opts = options(&opts).or_raise(ctx)?;
    let target = target(ns).or_raise(ctx)?;
    record::look(ctx, || {
        format!("{}{}", record::exec_prefix(&ns.ns), command::display(&argv))
    });
    let done = exec::run(&target, &argv, &opts);
    crate::lab::ops::host_settings_may_change(&ns.ns);
    done.or_raise(ctx)
}

/// Where a program runs. A program in the host may change its settings,
/// which new namespaces copy (see `host_settings_may_change`, said again
/// when the program has ended).
pub fn target(ns: &NetnsHandle) -> Result<Target> {
    let file = ns.ns.open()?;
    crate::lab::ops::host_settings_may_change(&ns.ns);
    let name = match &ns.ns {
        Ns::Host => None,
        Ns::Named(n) => Some(n.clone()),
    };
    Ok(Target { file, name })
}

/// A command as a shell-like line or an array of words (the first
/// argument of exec, run and spawn, which errors point at).
pub fn words(cmd: Dynamic) -> Result<Vec<String>> {
    let argv = argv_of(cmd).map_err(|e| e.at_arg(0))?;
    if argv.is_empty() {
        return Err(Error::invalid("run a command", "the command is empty")
            .with_help("give a program and its arguments, e.g. \"ip addr\" or [\"ip\", \"addr\"]")
            .at_arg(0));
    }
    Ok(argv)
}

fn argv_of(cmd: Dynamic) -> Result<Vec<String>> {
    if cmd.is_string() {
        return command::split(&cmd.to_string());
    }
    if let Some(items) = cmd.clone().try_cast::<Array>() {
        return Ok(items.into_iter().map(|w| w.to_string()).collect());
    }
    Err(Error::invalid(
        format!("run {}", cmd.type_name()),
        "a command is a string or an array of words",
    )
    .with_help("write \"ip addr\" or [\"ip\", \"addr\"]"))
}

/// The options map of exec and run.
pub fn options(map: &Map) -> Result<Options> {
    options_with(map, &[])
}

/// The options map, also accepting `extra` keys (checked by the caller).
pub fn options_with(map: &Map, extra: &[&str]) -> Result<Options> {
    let mut known = vec!["env", "cwd", "stdin", "timeout"];
    known.extend_from_slice(extra);
    check_options("run a command", map, &known)?;
    let mut opts = Options::default();
    if let Some(env) = map.get("env") {
        let env = env.read_lock::<Map>().ok_or_else(|| {
            Error::invalid("use option `env`", "`env` is a map of names to values")
                .with_help("write e.g. #{ env: #{ LANG: \"C\" } }")
        })?;
        opts.env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    }
    if let Some(cwd) = map.get("cwd") {
        opts.cwd = Some(cwd.to_string());
    }
    if let Some(stdin) = map.get("stdin") {
        opts.stdin = Some(stdin.to_string());
    }
    if let Some(t) = map.get("timeout") {
        opts.timeout = Some(seconds("option `timeout`", t)?);
    }
    Ok(opts)
}
