//! `exit(code)`: end the script with an exit status. Rhai's own `exit`
//! stops the script but its value does not reach the runner, so this one
//! records the status first.

use std::cell::Cell;

use rhai::{Dynamic, EvalAltResult, Module, NativeCallContext};

use super::method;

thread_local! {
    static EXIT_STATUS: Cell<Option<i32>> = const { Cell::new(None) };
}

/// The status given to `exit` by the script that just ran, if it called it.
pub fn take_exit_status() -> Option<i32> {
    EXIT_STATUS.with(|s| s.take())
}

pub fn register(m: &mut Module) {
    let doc = r#"
Stop the script now with exit status `code` (0 when omitted); the rest of
the script does not run.

```rhai
let r1 = netns::add("r1");
if !r1.ping("127.0.0.1") { exit(1); }
print("reachable");   // reachable
exit(0);
print("not printed");
```"#;
    method("exit", &["code: int"], doc).set_into_module(
        m,
        |ctx: NativeCallContext<'_>, code: rhai::INT| -> Result<(), Box<EvalAltResult>> {
            stop(&ctx, (code & 0xff) as i32)
        },
    );
    method("exit", &[], doc).set_into_module(
        m,
        |ctx: NativeCallContext<'_>| -> Result<(), Box<EvalAltResult>> { stop(&ctx, 0) },
    );
}

fn stop(ctx: &NativeCallContext, status: i32) -> Result<(), Box<EvalAltResult>> {
    EXIT_STATUS.with(|s| s.set(Some(status)));
    Err(EvalAltResult::Exit(Dynamic::from_int(status as rhai::INT), ctx.call_position()).into())
}
