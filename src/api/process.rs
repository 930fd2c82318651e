//! `exit(code)`: end the script with an exit status. Rhai's own `exit`
//! stops the script but its value does not reach the runner, so this one
//! records the status first.

use rhai::{Dynamic, EvalAltResult, Module, NativeCallContext};

use super::method;

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
    super::session::Session::of(ctx).set_exit_status(status);
    Err(EvalAltResult::Exit(Dynamic::from_int(status as rhai::INT), ctx.call_position()).into())
}
