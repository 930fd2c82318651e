//! Errors the engine raises itself, as a script catches them. Rhai hands
//! `catch (e)` the ones it raises (no such function, index out of range,
//! type mismatch) as `#{ error: "ErrorFunctionNotFound", message, ... }`,
//! without netscript's `kind`, `errno` and `help`. Rhai has no hook at the
//! catch, so a script gets them the first time it reads the value: kind
//! `script`, the rest kept. What a script throws itself stays as thrown,
//! unless it copies that shape exactly (`error: "ErrorXxx"` and `message`).

use rhai::{Dynamic, Engine, EvalContext, Map};

pub fn complete_on_read(engine: &mut Engine) {
    #[allow(deprecated)] // "volatile", not deprecated: see on_var's docs
    engine.on_var(|name, _index, mut ctx: EvalContext| {
        let value = ctx.scope_mut().get_mut(name).filter(|v| v.is_map());
        if let Some(mut map) = value.and_then(|v| v.write_lock::<Map>()) {
            complete(&mut map);
        }
        Ok(None)
    });
}

fn complete(map: &mut Map) {
    let error = match map.get("error") {
        Some(e) if !map.contains_key("kind") && map.contains_key("message") => e.to_string(),
        _ => return,
    };
    // Rhai's variant names: "Error", then letters.
    let rest = error.strip_prefix("Error").unwrap_or_default();
    if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_alphabetic()) {
        return;
    }
    // The uncaught report's words: "no function matches the call
    // f(string, int)", not "f (&str | ImmutableString | String, i64)".
    if let Some(call) = map.get("function").filter(|_| rest == "FunctionNotFound") {
        let call = crate::diag::signature::readable_signature(&call.to_string());
        map.insert(
            "message".into(),
            format!("no function matches the call {call}").into(),
        );
    }
    map.insert("kind".into(), "script".into());
    map.insert("errno".into(), Dynamic::UNIT);
    map.insert("help".into(), Dynamic::UNIT);
}
