//! Programs in a namespace: `ns.exec`, `ns.run`, `ns.shell`, `ns.spawn`.

use rhai::plugin::*;
use rhai::{Array, Dynamic, INT, Map};

use crate::api::convert::{RhaiResultOf, check_options, seconds};
use crate::api::session::op;
use crate::api::{Netns, Process};
use crate::error::{Error, Result};
use crate::sys::command::{self, Options};

/// A command: a shell-like line or an array of words.
pub type CommandLine = Dynamic;

#[export_module]
pub mod netns_programs {
    use super::*;

    /// Run a command inside this namespace and wait for it, with the environment
    /// `ip netns exec` gives: /sys shows this namespace's links, and files in
    /// /etc/netns/NAME/ replace those in /etc (e.g. `hosts`, `resolv.conf`).
    /// `cmd` is a string, split into words like a shell line (quotes work, no
    /// shell runs), or an array of words. Returns `#{ status, stdout, stderr }`;
    /// a program that does not exist is an error of kind "not_found". It
    /// returns when the command exits, even if something it started in the
    /// background (`daemon &`) still holds its output (what that writes later
    /// is not collected); such a program is stopped when the lab goes.
    ///
    /// Options: `env` (a map of variables to add), `cwd` (a directory), `stdin`
    /// (text fed to the command), `timeout` (seconds; the command is killed and
    /// the call fails with kind "timeout").
    ///
    /// `ip netns exec NS CMD...`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let out = r1.exec("ip -br link");
    /// print(out.status);                     // 0
    /// print(out.stdout.starts_with("lo"));   // true
    /// print(r1.exec(["sh", "-c", "exit 3"]).status);                          // 3
    /// print(r1.exec("sh -c 'echo $GREETING'", #{ env: #{ GREETING: "hi" } }).stdout == "hi\n");   // true
    /// print(r1.exec("cat", #{ stdin: "piped" }).stdout);                      // piped
    /// print(r1.exec("ls /sys/class/net").stdout.contains("lo"));              // true
    /// ```
    #[rhai_fn(global, name = "exec", pure, volatile, return_raw)]
    pub fn exec_with(
        ctx: NativeCallContext,
        ns: &mut Netns,
        cmd: CommandLine,
        options: Map,
    ) -> RhaiResultOf<Map> {
        let out = op(&ctx, |op| {
            let argv = words(cmd)?;
            op.exec(&ns.ns, &argv, &options_with(&options, &[])?)
        })?;
        let mut map = Map::new();
        map.insert("status".into(), Dynamic::from_int(out.status as INT));
        map.insert("stdout".into(), out.stdout.into());
        map.insert("stderr".into(), out.stderr.into());
        Ok(map)
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn exec(ctx: NativeCallContext, ns: &mut Netns, cmd: CommandLine) -> RhaiResultOf<Map> {
        exec_with(ctx, ns, cmd, Map::new())
    }

    /// Run a command inside this namespace with its output shown as it comes
    /// (for recipes that show what they do). A non-zero exit status is an error
    /// whose message has the command, the status and the end of its stderr.
    /// Takes the same options as `exec`.
    ///
    /// `ip netns exec NS CMD...` in a `set -e` script
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// r1.run("echo hello from r1");   // hello from r1
    /// try { r1.run("ls /nonexistent"); } catch (e) { print(e.message.contains("status 2")); }   // true
    /// ```
    #[rhai_fn(global, name = "run", pure, volatile, return_raw)]
    pub fn run_with(
        ctx: NativeCallContext,
        ns: &mut Netns,
        cmd: CommandLine,
        options: Map,
    ) -> RhaiResultOf<()> {
        op(&ctx, |op| {
            let argv = words(cmd)?;
            op.run(&ns.ns, &argv, &options_with(&options, &[])?)
        })
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn run(ctx: NativeCallContext, ns: &mut Netns, cmd: CommandLine) -> RhaiResultOf<()> {
        run_with(ctx, ns, cmd, Map::new())
    }

    /// An interactive shell (`$SHELL`, else /bin/sh) inside this namespace on
    /// your terminal, like `ip netns exec NS bash`; returns its exit status when
    /// you leave it. `$NETSCRIPT_NETNS` holds the namespace's name. Ctrl-C goes
    /// to the shell meanwhile. Without a terminal the shell reads stdin.
    ///
    /// `ip netns exec NS $SHELL`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let status = r1.shell();   // on a terminal: a prompt inside r1 until you type `exit`
    /// print(status);             // 0 (what the shell exited with)
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn shell(ctx: NativeCallContext, ns: &mut Netns) -> RhaiResultOf<INT> {
        Ok(op(&ctx, |op| op.shell(&ns.ns))? as INT)
    }

    /// Start a command in the background inside this namespace (a server, a
    /// traffic generator) and return a `Process`. Its output is collected (see
    /// `p.output()`). It is stopped before its namespace is deleted and when
    /// netscript exits — unless started with `#{ detach: true }`. Takes the
    /// options of `exec` (`env`, `cwd`, `stdin`) plus `detach`.
    ///
    /// `ip netns exec NS CMD &`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let p = r1.spawn("sleep 30");
    /// print(p.alive);          // true
    /// p.kill();
    /// print(p.alive);          // false
    /// let q = r1.spawn(["sh", "-c", "echo ready; exit 3"]);
    /// print(q.wait());         // 3
    /// print(q.output().stdout == "ready\n");  // true
    /// ```
    #[rhai_fn(global, name = "spawn", pure, volatile, return_raw)]
    pub fn spawn_with(
        ctx: NativeCallContext,
        ns: &mut Netns,
        cmd: CommandLine,
        options: Map,
    ) -> RhaiResultOf<Process> {
        op(&ctx, |op| {
            let argv = words(cmd)?;
            let detach = options
                .get("detach")
                .is_some_and(|d| d.as_bool().unwrap_or(false));
            if options.contains_key("timeout") {
                return Err(Error::invalid(
                    "spawn a command",
                    "a spawned process has no `timeout`",
                )
                .with_help("wait for it with p.wait(seconds), or stop it with p.kill()")
                .at_option("timeout"));
            }
            let mut rest = options.clone();
            rest.remove("detach");
            let parsed = options_with(&rest, &["detach"])?;
            Ok(Process(op.spawn(&ns.ns, &argv, &parsed, detach)?))
        })
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn spawn(
        ctx: NativeCallContext,
        ns: &mut Netns,
        cmd: CommandLine,
    ) -> RhaiResultOf<Process> {
        spawn_with(ctx, ns, cmd, Map::new())
    }
}

/// A command as a shell-like line or an array of words (the first
/// argument of exec, run and spawn, which errors point at).
fn words(cmd: Dynamic) -> Result<Vec<String>> {
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

/// The options map, also accepting `extra` keys (checked by the caller).
fn options_with(map: &Map, extra: &[&str]) -> Result<Options> {
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
