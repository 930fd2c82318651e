//! Between netscript values and Rhai values: errors as catchable maps,
//! arguments that accept a handle or a name.

use rhai::{Dynamic, EvalAltResult, Map, NativeCallContext};

use crate::error::{Error, Subject};

/// The value a script catches: `#{ kind, message, errno, help }`, plus
/// `option`, `arg` or `value` when the culprit is known.
pub fn error_value(e: &Error) -> Dynamic {
    let mut map = Map::new();
    map.insert("kind".into(), e.kind.as_str().into());
    map.insert("message".into(), e.message().into());
    map.insert(
        "errno".into(),
        e.errno
            .map_or(Dynamic::UNIT, |n| Dynamic::from_int(n as rhai::INT)),
    );
    map.insert(
        "help".into(),
        e.help.clone().map_or(Dynamic::UNIT, Dynamic::from),
    );
    // Only when known, so reports can underline the culprit; `e.option`
    // also tells a script which option it got wrong.
    match e.subject.as_deref() {
        Some(Subject::Arg(i)) => {
            map.insert("arg".into(), Dynamic::from_int(*i as rhai::INT));
        }
        Some(Subject::Option(key)) => {
            map.insert("option".into(), key.as_str().into());
        }
        Some(Subject::Value(text)) => {
            map.insert("value".into(), text.as_str().into());
        }
        None => {}
    }
    map.into()
}

/// Raise `e` at the position of the current call.
pub fn raise(ctx: &NativeCallContext, e: Error) -> Box<EvalAltResult> {
    // A call that gave up because of Ctrl-C or a signal (a wait, a
    // program run) stops the script as an interrupt, which no `catch`
    // takes and which is reported as one (not as a timeout).
    if crate::interrupt::requested() && e.reason == "interrupted" {
        return EvalAltResult::ErrorTerminated(Dynamic::UNIT, ctx.call_position()).into();
    }
    EvalAltResult::ErrorRuntime(error_value(&e), ctx.call_position()).into()
}

/// What a script function returns. Named as Rhai's own (private) alias,
/// which its metadata and `--definitions` unwrap to `T`.
pub type RhaiResultOf<T> = Result<T, Box<EvalAltResult>>;

/// Attach the call position to any netscript result.
pub trait OrRaise<T> {
    fn or_raise(self, ctx: &NativeCallContext) -> RhaiResultOf<T>;
}

impl<T> OrRaise<T> for crate::error::Result<T> {
    fn or_raise(self, ctx: &NativeCallContext) -> RhaiResultOf<T> {
        self.map_err(|e| raise(ctx, e))
    }
}

/// A process ID argument: a positive number.
pub fn pid(n: rhai::INT) -> crate::error::Result<u32> {
    u32::try_from(n)
        .ok()
        .filter(|p| (1..=i32::MAX as u32).contains(p))
        .ok_or_else(|| {
            Error::invalid(format!("use {n} as a PID"), "a PID is a positive number")
                .about(n.to_string())
        })
}

/// A namespace given as a `Netns` handle or as a name.
pub fn ns_arg(what: &str, value: &Dynamic) -> crate::error::Result<crate::ns::Ns> {
    if let Some(h) = value.clone().try_cast::<super::NetnsHandle>() {
        return Ok(h.ns);
    }
    if let Ok(name) = value.clone().into_immutable_string() {
        let ns = crate::ns::Ns::named(&name);
        ns.open()?;
        return Ok(ns);
    }
    Err(Error::invalid(
        format!("use {} as {what}", value.type_name()),
        format!("{what} must be a Netns or a namespace name"),
    ))
}

/// Option `key` of `opts` read by `parse`, or None when absent; its
/// errors point at the option's entry in the call.
pub fn option<T>(
    opts: &Map,
    key: &str,
    parse: impl FnOnce(&Dynamic) -> crate::error::Result<T>,
) -> crate::error::Result<Option<T>> {
    opts.get(key)
        .map(|v| parse(v).map_err(|e| e.at_option(key)))
        .transpose()
}

/// An integer option in `range`.
pub fn int_option(
    opts: &Map,
    key: &str,
    range: std::ops::RangeInclusive<i64>,
) -> crate::error::Result<Option<i64>> {
    option(opts, key, |v| match v.as_int() {
        Ok(n) if range.contains(&n) => Ok(n),
        Ok(n) => Err(Error::invalid(
            format!("use {n} as option `{key}`"),
            format!("`{key}` must be from {} to {}", range.start(), range.end()),
        )),
        Err(t) => Err(Error::invalid(
            format!("use a {t} as option `{key}`"),
            format!("`{key}` must be an integer"),
        )),
    })
}

/// A true-or-false option, if given.
pub fn bool_option(opts: &Map, key: &str) -> crate::error::Result<Option<bool>> {
    option(opts, key, |v| {
        v.as_bool().map_err(|t| {
            Error::invalid(
                format!("use a {t} as option `{key}`"),
                format!("`{key}` is true or false"),
            )
        })
    })
}

/// The link `dev` (a Link or a link name) names in namespace `ns`.
pub fn link_in(
    net: &crate::netlink::Netlink,
    ns: &crate::ns::Ns,
    dev: &Dynamic,
) -> crate::error::Result<crate::netlink::LinkInfo> {
    if let Some(l) = dev.clone().try_cast::<super::LinkHandle>() {
        l.check()?;
        if l.ns() != *ns {
            return Err(Error::invalid(
                "use a link of another namespace",
                format!(
                    "the link is in namespace \"{}\", not \"{}\"",
                    l.ns().name(),
                    ns.name()
                ),
            ));
        }
        return net.link_by_index(ns, l.index());
    }
    if let Ok(name) = dev.clone().into_immutable_string() {
        return net.link_by_name(ns, &name);
    }
    Err(Error::invalid(
        format!("use a {} as a link", dev.type_name()),
        "the link must be a Link or a link name",
    ))
}

/// A VLAN id: 0 to 4094 (4095 is reserved).
pub fn vlan_id(id: rhai::INT) -> crate::error::Result<u16> {
    u16::try_from(id)
        .ok()
        .filter(|v| *v <= 4094)
        .ok_or_else(|| {
            Error::invalid(
                format!("use {id} as a VLAN id"),
                "a VLAN id is from 0 to 4094",
            )
            .with_help("802.1Q ids are 12 bits; 4095 is reserved")
            .at_arg(1)
        })
}

/// `#{ force }`: whether to change a link netscript did not make.
pub fn forced(opts: &Map) -> crate::error::Result<bool> {
    Ok(bool_option(opts, "force")?.unwrap_or(false))
}

/// Check an options map against the keys a function knows.
/// `#{ force: true }`, the only option of a call that changes what netscript
/// did not make.
pub fn force_option(action: &str, opts: &Map) -> crate::error::Result<bool> {
    check_options(action, opts, &["force"])?;
    Ok(bool_option(opts, "force")?.unwrap_or(false))
}

/// Take `force` out of a call's options (the rest are checked by the
/// call's own rules).
pub fn take_force(opts: &mut Map) -> crate::error::Result<bool> {
    let force = bool_option(opts, "force")?.unwrap_or(false);
    opts.remove("force");
    Ok(force)
}

pub fn check_options(action: &str, opts: &Map, known: &[&str]) -> crate::error::Result<()> {
    for key in opts.keys() {
        if !known.contains(&key.as_str()) {
            let list = known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Error::invalid(action, format!("unknown option `{key}`"))
                .with_help(format!("the options are {list}"))
                .at_option(key));
        }
    }
    Ok(())
}

/// A duration given as a number of seconds (int or float), 0 < s <= 1 hour.
pub fn seconds(what: &str, value: &Dynamic) -> crate::error::Result<std::time::Duration> {
    let secs = value
        .as_float()
        .ok()
        .or_else(|| value.as_int().ok().map(|i| i as f64));
    match secs {
        Some(s) if s > 0.0 && s <= 3600.0 => Ok(std::time::Duration::from_secs_f64(s)),
        _ => Err(Error::invalid(
            format!("use {value:?} as {what}"),
            format!("{what} is a number of seconds, above 0 and at most 3600"),
        )
        .with_help("write e.g. #{ timeout: 0.5 }")
        .about(value.to_string())),
    }
}
