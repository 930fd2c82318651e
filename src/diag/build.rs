//! Turning Rhai errors into reports: which source, which span, what help.

use std::cell::RefCell;
use std::collections::HashMap;

use miette::{LabeledSpan, NamedSource};
use rhai::{Dynamic, EvalAltResult, Map, ParseError, Position};

use super::report::Report;
use super::signature::{mismatched_argument, readable_signature, takes_receiver};
use super::span::{byte_offset, call_span, subject_span, token_span};
use crate::error::Subject;

/// The texts errors may point into: the script itself, stdlib modules, and
/// module files read on demand.
pub struct Sources {
    main_name: String,
    main_text: String,
    cache: RefCell<HashMap<String, String>>,
}

impl Sources {
    pub fn new(main_name: &str, main_text: &str) -> Self {
        Sources {
            main_name: main_name.into(),
            main_text: main_text.into(),
            cache: RefCell::default(),
        }
    }

    pub fn main_name(&self) -> &str {
        &self.main_name
    }

    fn text(&self, name: &str) -> Option<String> {
        if name.is_empty() || name == self.main_name {
            return Some(self.main_text.clone());
        }
        if let Some(code) = crate::api::stdlib_source_of(name) {
            return Some(code.to_string());
        }
        if let Some(t) = self.cache.borrow().get(name) {
            return Some(t.clone());
        }
        // A file module's source is its import path ("helpers"), which
        // resolves next to the script, with or without ".rhai".
        let dir = std::path::Path::new(&self.main_name)
            .parent()
            .unwrap_or(std::path::Path::new(""));
        let candidates = [name.to_string(), format!("{name}.rhai")];
        let text = candidates
            .iter()
            .flat_map(|c| [std::path::PathBuf::from(c), dir.join(c)])
            .find_map(|p| std::fs::read_to_string(p).ok())?;
        self.cache.borrow_mut().insert(name.into(), text.clone());
        Some(text)
    }

    fn display_name(&self, name: &str) -> String {
        if name.is_empty() {
            self.main_name.clone()
        } else {
            name.to_string()
        }
    }
}

/// Where one frame of an error points: a source, a position, a label.
struct Frame {
    source: String,
    pos: Position,
    label: String,
    /// Syntax errors underline one token; run-time errors the whole call,
    /// or the part of it the error is about.
    token_only: bool,
    subject: Option<Subject>,
}

/// Replace a `#!` first line by a blank comment of the same length, so
/// the compiler accepts it and every offset stays where it was. (Reports
/// still show the original text.)
pub fn blank_shebang(text: &str) -> String {
    if !text.starts_with("#!") {
        return text.to_string();
    }
    let end = text.find('\n').unwrap_or(text.len());
    format!("//{}{}", " ".repeat(end.saturating_sub(2)), &text[end..])
}

/// A report for an error raised while running a script. `signatures` are
/// the registered function signatures, used to suggest the right call.
pub fn from_eval(err: &EvalAltResult, sources: &Sources, signatures: &[String]) -> Report {
    let mut callers = Vec::new();
    let mut source = sources.main_name().to_string();
    let mut leaf = err;
    loop {
        match leaf {
            EvalAltResult::ErrorInFunctionCall(name, fn_source, inner, pos) => {
                callers.push(Frame {
                    source: source.clone(),
                    pos: *pos,
                    label: format!("in this call to `{name}`"),
                    token_only: false,
                    subject: None,
                });
                if !fn_source.is_empty() {
                    source = fn_source.clone();
                }
                leaf = inner;
            }
            EvalAltResult::ErrorInModule(path, inner, pos) => {
                callers.push(Frame {
                    source: source.clone(),
                    pos: *pos,
                    label: format!("while importing \"{path}\""),
                    token_only: false,
                    subject: None,
                });
                source = module_source_name(path, &source);
                leaf = inner;
            }
            _ => break,
        }
    }

    let (message, code, help, mut label) = describe(leaf, signatures);
    // The call as written: `x.f(a)` (its receiver outside the
    // parentheses) or `f(x, a)`, and the name called.
    let pos = leaf.position();
    let (method, called) = sources
        .text(&source)
        .and_then(|text| {
            let at = byte_offset(&text, pos.line()?, pos.position().unwrap_or(1))?;
            let method = text[..at].trim_end().ends_with('.');
            let name: String = text[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            Some((method, name))
        })
        .unwrap_or_default();
    let mut subject = subject_of(leaf);
    // Argument indexes of methods leave the receiver out; called as a
    // plain function, the receiver is the first argument in the text.
    if let Some(Subject::Arg(i)) = subject
        && !method
        && takes_receiver(&called, signatures)
    {
        subject = Some(Subject::Arg(i + 1));
    }
    if let EvalAltResult::ErrorFunctionNotFound(sig, _) = leaf
        && let Some((index, expected)) = mismatched_argument(sig, signatures)
    {
        // Here the index counts the receiver, which a method call writes
        // outside the parentheses.
        let index = if method {
            index.checked_sub(1)
        } else {
            Some(index)
        };
        if let Some(index) = index {
            subject = Some(Subject::Arg(index));
            label = format!("expected {expected} here");
        }
    }
    let mut report = Report {
        message,
        code,
        help,
        source: None,
        labels: Vec::new(),
        related: Vec::new(),
        advice: false,
    };
    let here = Frame {
        source: source.clone(),
        pos: leaf.position(),
        label,
        token_only: false,
        subject,
    };
    attach(&mut report, sources, &here, true);
    for frame in callers.iter().rev() {
        if frame.source == here.source {
            attach(&mut report, sources, frame, false);
        } else {
            let mut caller = Report {
                message: format!("called from {}", sources.display_name(&frame.source)),
                code: "netscript::call_site".into(),
                help: None,
                source: None,
                labels: Vec::new(),
                related: Vec::new(),
                advice: true,
            };
            attach(&mut caller, sources, frame, true);
            report.related.push(caller);
        }
    }
    report
}

/// A report for a script that does not compile.
pub fn from_parse(err: &ParseError, sources: &Sources) -> Report {
    let mut text = err.0.to_string();
    if let Some(first) = text.get(0..1) {
        text.replace_range(0..1, &first.to_lowercase());
    }
    let mut report = Report {
        message: format!("syntax error: {text}"),
        code: "netscript::syntax".into(),
        help: parse_help(&err.0),
        source: None,
        labels: Vec::new(),
        related: Vec::new(),
        advice: false,
    };
    let frame = Frame {
        source: sources.main_name().to_string(),
        pos: err.1,
        label: "here".into(),
        token_only: true,
        subject: None,
    };
    attach(&mut report, sources, &frame, true);
    if let Some(text) = sources.text(sources.main_name())
        && at_end(&text, err.1)
    {
        // The input ended early: point at what was left open instead of
        // at the empty end of the file.
        report.labels.clear();
        match super::span::unclosed(&text) {
            Some((at, c)) => {
                let label = format!("this `{c}` is never closed");
                report
                    .labels
                    .push(LabeledSpan::new_primary_with_span(Some(label), (at, 1)));
                let close = match c {
                    '{' => '}',
                    '(' => ')',
                    '[' => ']',
                    quote => quote,
                };
                report.help = Some(format!("add the missing `{close}`"));
                report.message =
                    format!("syntax error: the script ends before this `{c}` is closed");
            }
            None => {
                let end = text.trim_end().len();
                let last = text[..end].chars().next_back().map_or(0, char::len_utf8);
                let label = Some("the script ends here".to_string());
                report.labels.push(LabeledSpan::new_primary_with_span(
                    label,
                    (end - last, last),
                ));
            }
        }
        if report.source.is_none() {
            report.source = Some(NamedSource::new(sources.main_name(), text).with_language("rust"));
        }
    }
    report
}

fn attach(report: &mut Report, sources: &Sources, frame: &Frame, primary: bool) {
    let Some(text) = sources.text(&frame.source) else {
        return;
    };
    let (Some(line), Some(col)) = (frame.pos.line(), frame.pos.position().or(Some(1))) else {
        return;
    };
    let Some(offset) = byte_offset(&text, line, col) else {
        return;
    };
    let (start, len) = if frame.token_only {
        token_span(&text, offset)
    } else {
        let call = call_span(&text, offset);
        frame
            .subject
            .as_ref()
            .and_then(|s| subject_span(&text, call, s))
            .unwrap_or(call)
    };
    let span = if primary {
        LabeledSpan::new_primary_with_span(Some(frame.label.clone()), (start, len))
    } else {
        LabeledSpan::new_with_span(Some(frame.label.clone()), (start, len))
    };
    if report.source.is_none() {
        report.source =
            Some(NamedSource::new(sources.display_name(&frame.source), text).with_language("rust"));
    }
    report.labels.push(span);
}

fn module_source_name(path: &str, importer: &str) -> String {
    if crate::api::STDLIB.iter().any(|(n, _)| *n == path) {
        return format!("<stdlib>/{path}.rhai");
    }
    let base = std::path::Path::new(importer)
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let file = if path.ends_with(".rhai") {
        path.to_string()
    } else {
        format!("{path}.rhai")
    };
    base.join(file).to_string_lossy().into_owned()
}

/// What a netscript error says it is about (see `api::convert::error_value`).
fn subject_of(err: &EvalAltResult) -> Option<Subject> {
    let EvalAltResult::ErrorRuntime(value, _) = err else {
        return None;
    };
    let map = value.read_lock::<Map>()?;
    if let Some(i) = map.get("arg").and_then(|v| v.as_int().ok()) {
        return usize::try_from(i).ok().map(Subject::Arg);
    }
    let text = |k: &str| map.get(k).and_then(|v| v.clone().into_string().ok());
    text("option")
        .map(Subject::Option)
        .or_else(|| text("value").map(Subject::Value))
}

/// (message, code, help, label) for the innermost error.
fn describe(
    err: &EvalAltResult,
    signatures: &[String],
) -> (String, String, Option<String>, String) {
    use EvalAltResult as E;
    match err {
        E::ErrorRuntime(value, _) => match value.read_lock::<Map>() {
            Some(map) if map.contains_key("message") && map.contains_key("kind") => {
                let get = |k: &str| map.get(k).filter(|v| !v.is_unit()).map(Dynamic::to_string);
                let kind = get("kind").unwrap_or_else(|| "os".into());
                let label = match kind.as_str() {
                    "exists" => "already exists",
                    "not_found" => "not found",
                    "permission" => "not permitted",
                    "invalid" => "invalid argument",
                    "busy" => "busy",
                    "timeout" => "timed out",
                    _ => "failed here",
                };
                (get("message").unwrap_or_default(), format!("netscript::{kind}"), get("help"), label.into())
            }
            _ => (
                format!("uncaught exception: {value}"),
                "netscript::throw".into(),
                Some("catch it with `try { … } catch (e) { … }`".into()),
                "thrown here".into(),
            ),
        },
        E::ErrorFunctionNotFound(sig, _) => {
            let name = sig.split([' ', '(']).next().unwrap_or(sig).trim();
            let short = name.rsplit("::").next().unwrap_or(name);
            let mut matches: Vec<&String> = signatures
                .iter()
                .filter(|s| {
                    let fn_name = s.split('(').next().unwrap_or("");
                    fn_name == name || fn_name.rsplit("::").next() == Some(short) && !name.contains("::")
                })
                .collect();
            matches.sort_by_key(|s| (s.len(), s.as_str()));
            let help = if matches.is_empty() {
                Some(match super::suggest::function(name, signatures) {
                    Some(near) => format!("no function is called `{name}`: did you mean `{near}`?"),
                    None => format!("no function is called `{name}`; `netscript docs` lists them all"),
                })
            } else {
                let list = matches.iter().map(|s| format!("  {s}")).collect::<Vec<_>>().join("\n");
                Some(format!("the arguments do not match; `{short}` takes:\n{list}"))
            };
            (format!("no function matches the call {}", readable_signature(sig)), "netscript::call".into(), help, "no such function for these arguments".into())
        }
        E::ErrorVariableNotFound(name, _) => {
            let help = if crate::api::MODULES.contains(&name.as_str()) {
                Some(format!("`{name}` is a module: call its functions as `{name}::name(...)`"))
            } else {
                Some(format!("declare it first with `let {name} = ...`"))
            };
            (format!("variable `{name}` is not defined"), "netscript::variable".into(), help, "not defined".into())
        }
        E::ErrorPropertyNotFound(prop, _) => (
            format!("no property `{prop}` here"),
            "netscript::property".into(),
            Some("Link has name, index, kind, mtu, mac, netns, is_up, state, master, peer; Netns has name".into()),
            "unknown property".into(),
        ),
        E::ErrorMismatchDataType(expected, actual, _) => (
            format!("wrong type: expected {expected}, got {actual}"),
            "netscript::type".into(),
            None,
            format!("this is {actual}"),
        ),
        E::ErrorDataTooLarge(what, _) => (
            format!("{} too large", what.to_lowercase()),
            "netscript::too_large".into(),
            Some(
                "netscript stops a string at 256 MiB, an array at 10 million items and a map \
                 at 1 million, before they exhaust memory"
                    .into(),
            ),
            "too large here".into(),
        ),
        E::ErrorStackOverflow(_) => (
            format!(
                "functions call each other more than {} deep",
                crate::api::MAX_CALL_LEVELS
            ),
            "netscript::too_deep".into(),
            Some("a function that calls itself needs a case where it stops".into()),
            "one call too deep".into(),
        ),
        E::ErrorTerminated(..) => ("interrupted".into(), "netscript::interrupted".into(), None, "stopped here".into()),
        other => {
            (strip_position(&other.to_string()), "netscript::script".into(), None, "here".into())
        }
    }
}

fn parse_help(err: &rhai::ParseErrorType) -> Option<String> {
    use rhai::ParseErrorType as P;
    match err {
        P::MissingToken(token, _) => Some(format!("add the missing `{token}`")),
        P::UnknownOperator(op) => Some(format!("`{op}` is not a Rhai operator")),
        P::Reserved(word) => Some(format!("`{word}` is a reserved word; pick another name")),
        _ => None,
    }
}

/// Rhai's messages end in " (line L, position C)"; the report shows that.
fn strip_position(text: &str) -> String {
    match text.rfind(" (line ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text.to_string(),
    }
}

fn at_end(text: &str, pos: Position) -> bool {
    match (pos.line(), pos.position()) {
        (Some(line), col) => {
            byte_offset(text, line, col.unwrap_or(1)).is_none_or(|o| text[o..].trim().is_empty())
        }
        _ => true,
    }
}
