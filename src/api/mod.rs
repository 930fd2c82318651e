//! The script surface: the only code that knows Rhai's functions. Script
//! modules live in `script/` (one file per module name), the methods of
//! the handles in `link/`, `netns/` and `process_handle.rs`. Every function
//! is a plugin function: its doc comment (summary, `ip` equivalent,
//! example), parameters and body sit together; it converts its arguments
//! and calls one operation of `crate::lab::ops` through its session.

mod caught;
mod convert;
mod handles;
mod link;
mod netns;
mod process_handle;
mod resolver;
mod script;
mod session;
mod timers;

pub use convert::error_value;
pub use handles::{
    Link, LinkHandle, LinkOrName, Netns, NetnsHandle, NetnsOrName, PARAM_TYPES, Process,
};
pub use resolver::{Resolver, STDLIB, stdlib_source_of};
pub use session::Session;

use std::rc::Rc;

use rhai::plugin::*;
use rhai::{Dynamic, Engine, Module};

/// Names of the script modules, in the order the reference lists them.
pub const MODULES: &[&str] = &["netns", "link", "bridge", "addr", "container", "lab"];

/// An engine with the whole netscript API registered, every call reaching
/// `session` through its context.
pub fn engine(session: Rc<Session>, script_dir: Option<std::path::PathBuf>) -> Engine {
    let mut engine = Engine::new();
    limits(&mut engine);
    engine.set_default_tag(Dynamic::from(session));
    engine.register_type_with_name::<Netns>("Netns");
    engine.register_type_with_name::<Link>("Link");
    engine.register_type_with_name::<Process>("Process");
    engine.register_type_with_name::<timers::Timer>("Timer");
    engine.register_type_with_name::<link::capture::Capture>("Capture");
    engine.register_static_module(
        "netns",
        exported_module!(script::netns::netns_module).into(),
    );
    engine.register_static_module("link", script::link::module().into());
    engine.register_static_module(
        "bridge",
        exported_module!(script::bridge::bridge_module).into(),
    );
    engine.register_static_module("addr", exported_module!(script::addr::addr_module).into());
    engine.register_static_module(
        "container",
        exported_module!(script::container::container_module).into(),
    );
    engine.register_static_module("lab", exported_module!(script::lab::lab_module).into());
    let mut methods = Module::new();
    netns::register(&mut methods);
    link::register(&mut methods);
    methods.combine_flatten(exported_module!(process_handle::process_methods));
    methods.combine_flatten(exported_module!(script::control::script_control));
    engine.register_global_module(methods.into());
    engine.set_module_resolver(Resolver::new(script_dir));
    // Fault injection for the test of internal errors; never documented.
    if std::env::var_os("NETSCRIPT_TEST_PANIC").is_some() {
        engine.register_fn("test_panic", || panic!("a deliberate panic for a test"));
    }
    engine.on_print(print_line);
    caught::complete_on_read(&mut engine);
    engine
}

/// `print` to stdout. A closed stdout (`netscript lab.rhai | head -1`)
/// stops the script, which rolls its lab back, and the run ends quietly
/// with 141, as other Unix tools do (see `interrupt::stdout_closed`).
pub(crate) fn print_line(text: &str) {
    use std::io::Write;
    if crate::interrupt::stdout_is_closed() {
        return;
    }
    let written = crate::progress::suspend(|| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}").and_then(|_| out.flush())
    });
    if written.is_err() {
        crate::interrupt::stdout_closed();
    }
}

/// Every function's signature, as error reports suggest them: a plugin
/// function's `-> Result<T, Box<EvalAltResult>>` is `-> T` (nothing for
/// `()`, as Rhai writes its own), integers are `int`, and a parameter that
/// takes several kinds of value says which (`PARAM_TYPES`).
pub fn signatures(engine: &Engine) -> Vec<String> {
    engine
        .gen_fn_signatures(false)
        .into_iter()
        .map(|s| {
            let mut s = s.replace(": i64", ": int").replace(": f64", ": float");
            for (name, shown, _) in PARAM_TYPES {
                s = s.replace(&format!(": {name}"), &format!(": {shown}"));
            }
            s
        })
        .map(|s| match s.split_once(" -> Result<") {
            Some((head, ret)) => match ret.strip_suffix(", Box<EvalAltResult>>") {
                Some("()") => head.to_string(),
                Some(t) => format!("{head} -> {t}"),
                None => s,
            },
            None => s,
        })
        .collect()
}

/// How deep script functions may call each other (recursion included).
pub const MAX_CALL_LEVELS: usize = 64;

/// The longest string a script may make (256 MiB): more than any
/// program's output a lab reads, less than the memory of a small machine.
const MAX_STRING: usize = 256 << 20;

/// An engine that only compiles, with the same limits as the real one
/// (for `netscript check`).
pub fn parser() -> Engine {
    let mut engine = Engine::new_raw();
    limits(&mut engine);
    engine
}

fn limits(engine: &mut Engine) {
    engine.set_max_expr_depths(256, 256);
    // Rhai's default is 8 in a debug build and 64 in a release one: the
    // same script must behave the same in both.
    engine.set_max_call_levels(MAX_CALL_LEVELS);
    // Generous, but short of exhausting memory: past them a script gets an
    // error (and its lab a rollback) instead of netscript being killed.
    engine.set_max_string_size(MAX_STRING);
    engine.set_max_array_size(10_000_000);
    engine.set_max_map_size(1_000_000);
    // `spawn` is reserved by Rhai for a future feature; netscript's API
    // uses it as a method name (`ns.spawn(cmd)`), so it is read as a name.
    #[allow(deprecated)]
    engine.on_parse_token(|token, _, _| match token {
        rhai::Token::Reserved(word) if word.as_str() == "spawn" => rhai::Token::Identifier(word),
        other => other,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The engine `netscript docs` lists has no backend: every function is
    /// there, and calling one says it only lists them (nothing was opened).
    #[test]
    fn a_listing_engine_has_no_backend() {
        let engine = engine(Session::listing(), None);
        assert!(
            signatures(&engine)
                .iter()
                .any(|s| s.starts_with("netns::add("))
        );
        let err = engine.run("netns::add(\"r1\");").unwrap_err();
        assert!(err.to_string().contains("no netlink backend"), "{err}");
    }
}
