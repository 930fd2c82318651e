//! Arbitrary scripts against the real engine and the real kernel, inside a
//! sandbox (a private network + mount namespace entered once, as root).
//!
//! A crash is a panic anywhere in netscript (running the script, or
//! rendering its error report), or a lab that is not gone after its teardown: every input's objects must be removed, whatever the
//! script did before it failed.
//!
//! The process is confined (`netscript::sys::privileges::confine`): it
//! starts no programs and attaches no other process's namespace, however a
//! script gets to those calls. Scripts that would wait (sleep, ping,
//! timers) are skipped to keep runs fast (see `DENIED`); everything else,
//! including stdlib topologies, runs.

#![no_main]

use std::cell::OnceCell;
use std::rc::Rc;

use libfuzzer_sys::fuzz_target;
use netscript::diag;
use netscript::lab::{self, Lab};
use netscript::netlink::Netlink;
use netscript::ns::Ns;

/// Words of calls that wait (sleep, wait, wait_until, ping, pingall,
/// unreachable, fetch, timers, the `check` stdlib), would fail at once in
/// a confined process (exec, run, spawn, shell, container, attach), or
/// could name any of those indirectly (`Fn("name")`; `eval` is off).
const DENIED: &[&str] = &[
    "exec",
    "run",
    "spawn",
    "shell",
    "container",
    "sleep",
    "wait",
    "ping",
    "unreachable",
    "fetch",
    "after",
    "every",
    "attach",
    "listening",
    "check",
    "Fn",
];

fn allowed(text: &str) -> bool {
    if DENIED.iter().any(|w| text.contains(w)) {
        return false;
    }
    text.match_indices("import").all(|(at, _)| {
        text[at + "import".len()..]
            .trim_start()
            .starts_with("\"topo\" as")
    })
}

thread_local! {
    static NET: OnceCell<Rc<Netlink>> = const { OnceCell::new() };
}

fn net() -> Rc<Netlink> {
    NET.with(|cell| {
        cell.get_or_init(|| {
            netscript::sys::sandbox::enter().expect("the fuzzer runs as root, to enter a sandbox");
            netscript::sys::privileges::confine();
            let net = Rc::new(Netlink::new().expect("netlink"));
            // Never dropped: at exit, thread-locals (tokio's among them) go
            // in no set order, and the connections need tokio to close.
            std::mem::forget(net.clone());
            net
        })
        .clone()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if !allowed(text) {
        return;
    }
    let net = net();
    let run = Rc::new(Lab::unrecorded(false));
    let session = netscript::api::Session::new(net.clone(), run.clone());
    let mut engine = netscript::api::engine(session, None);
    engine.disable_symbol("eval");
    engine.set_max_operations(20_000);
    engine.set_max_call_levels(32);
    engine.set_max_string_size(10_000);
    engine.set_max_array_size(1_000);
    engine.set_max_map_size(1_000);
    // Errors are rendered as the product renders them: spans computed from
    // arbitrary text are fuzzed too.
    let sources = diag::Sources::new("fuzz.rhai", text);
    match engine.compile(text) {
        Err(e) => {
            let _ = diag::render(&diag::from_parse(&e, &sources), false, 100);
        }
        Ok(ast) => {
            if let Err(e) = engine.run_ast(&ast) {
                let signatures = netscript::api::signatures(&engine);
                let _ = diag::render(&diag::from_eval(&e, &sources, &signatures), false, 100);
            }
        }
    }
    lab::teardown_settling(&net, &run.name, &run.objects(), &run.pending());

    // Nothing may be left: no namespace, no link but lo.
    let names = netscript::sys::netns_fs::list().expect("list /run/netns");
    assert!(names.is_empty(), "left namespaces {names:?} after:\n{text}");
    let links: Vec<String> = net
        .links(&Ns::Host)
        .expect("list links")
        .into_iter()
        .map(|l| l.name)
        .filter(|n| n != "lo")
        .collect();
    assert!(links.is_empty(), "left links {links:?} after:\n{text}");
});
