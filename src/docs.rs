//! The reference documentation, generated from the doc comments every
//! script function is registered with (`netscript docs`).

use std::collections::BTreeMap;

use serde_json::Value;

/// One documented entry: a module function, a method or a property.
#[derive(Clone, Debug)]
pub struct Entry {
    /// "netns", "link", "bridge", "Netns", "Link" or a stdlib module.
    pub section: String,
    /// How a script writes it: `netns::add(name)`, `ns.link(name)`, `l.mtu`.
    pub usage: String,
    /// Markdown, without comment markers.
    pub doc: String,
}

impl Entry {
    /// The ```rhai examples in the doc.
    pub fn examples(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut current: Option<String> = None;
        for line in self.doc.lines() {
            match (&mut current, line.trim_start()) {
                (None, "```rhai") => current = Some(String::new()),
                (Some(code), "```") => {
                    out.push(std::mem::take(code));
                    current = None;
                }
                (Some(code), _) => {
                    code.push_str(line);
                    code.push('\n');
                }
                _ => {}
            }
        }
        out
    }
}

/// Types scripts hold handles of; their methods get sections of their own.
pub const HANDLES: &[&str] = &["Netns", "Link", "Process"];

/// Every documented entry, sections in reference order.
pub fn entries() -> Vec<Entry> {
    let engine = crate::api::engine(crate::api::Session::listing(), None);
    let json: Value =
        serde_json::from_str(&engine.gen_fn_metadata_to_json(false).expect("metadata"))
            .expect("metadata is JSON");
    let mut out = Vec::new();
    for module in crate::api::MODULES {
        let functions = json["modules"][module]["functions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        out.extend(dedup(functions.iter().map(|f| entry(module, f))));
    }
    let globals = json["functions"].as_array().cloned().unwrap_or_default();
    let mut by_type: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for f in &globals {
        let params = f["params"].as_array().cloned().unwrap_or_default();
        let first = params
            .first()
            .and_then(|p| p["type"].as_str())
            .unwrap_or("");
        let ty = first.trim_start_matches("&mut ").trim();
        if HANDLES.contains(&ty) {
            by_type
                .entry(ty.to_string())
                .or_default()
                .push(entry(ty, f));
        } else {
            by_type
                .entry("script".into())
                .or_default()
                .push(entry("script", f));
        }
    }
    for ty in ["Netns", "Link", "Process", "script"] {
        let entries = dedup(by_type.remove(ty).unwrap_or_default());
        // Script control lists what is documented (and its overloads).
        out.extend(
            entries
                .into_iter()
                .filter(|e| ty != "script" || !e.doc.is_empty()),
        );
    }
    for (name, code) in crate::api::STDLIB {
        out.extend(stdlib_entries(name, code));
    }
    out
}

/// One entry per documentation: overloads documented alike share one, and
/// an overload without comments (the plain form of a function with
/// options) joins its documented sibling of the same name.
fn dedup(entries: impl IntoIterator<Item = Entry>) -> Vec<Entry> {
    let mut all: Vec<Entry> = entries.into_iter().collect();
    all.sort_by(|a, b| a.usage.cmp(&b.usage));
    let mut seen: Vec<Entry> = Vec::new();
    let mut undocumented: Vec<Entry> = Vec::new();
    for e in all {
        if e.doc.is_empty() {
            undocumented.push(e);
            continue;
        }
        match seen.iter_mut().find(|s| s.doc == e.doc) {
            Some(s) => add_usage(s, &e.usage),
            None => seen.push(e),
        }
    }
    for e in undocumented {
        match seen
            .iter_mut()
            .find(|s| name_of(&s.usage) == name_of(&e.usage))
        {
            // A catch-all that only refuses what a typed form of as many
            // parameters does not take (`exit(code: any)` beside
            // `exit(code: int)`) is not a way to call it.
            Some(s) if e.usage.ends_with(": any)") && s.usage.contains(&*arity_twin(&e.usage)) => {}
            Some(s) => add_usage(s, &e.usage),
            None => seen.push(e),
        }
    }
    seen.sort_by(|a, b| a.usage.cmp(&b.usage));
    seen
}

/// The start of a typed sibling's usage: `exit(code: ` of `exit(code: any)`.
fn arity_twin(usage: &str) -> String {
    usage.trim_end_matches("any)").to_string()
}

/// Add a way of writing an entry, the ways kept in order.
fn add_usage(entry: &mut Entry, usage: &str) {
    let mut all: Vec<&str> = entry.usage.split('\n').collect();
    if !all.contains(&usage) {
        all.push(usage);
        all.sort();
        entry.usage = all.join("\n");
    }
}

/// `l.del` of `l.del(options: map)`.
fn name_of(usage: &str) -> &str {
    let first = usage.split('\n').next().unwrap_or(usage);
    first.split(['(', ' ']).next().unwrap_or(first)
}

fn entry(section: &str, f: &Value) -> Entry {
    let name = f["name"].as_str().unwrap_or_default();
    let params: Vec<String> = f["params"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let n = p["name"].as_str().unwrap_or("_");
            match p["type"].as_str() {
                Some(t) => format!("{n}: {}", script_type(t)),
                None => n.to_string(),
            }
        })
        .collect();
    let ret = f["returnType"]
        .as_str()
        .map(script_type)
        .filter(|r| !r.is_empty() && *r != "()");
    let arrow = ret.map(|r| format!(" -> {r}")).unwrap_or_default();
    let receiver = match section {
        "Netns" => "ns",
        "Process" => "p",
        _ => "l",
    };
    let usage = if let Some(prop) = name.strip_prefix("get$") {
        format!("{receiver}.{prop}{arrow}")
    } else if section == "script" {
        format!("{name}({}){arrow}", params.join(", "))
    } else if HANDLES.contains(&section) {
        if name.chars().all(|c| !c.is_alphanumeric()) {
            format!("a {name} b{arrow}")
        } else {
            format!("{receiver}.{name}({}){arrow}", params[1..].join(", "))
        }
    } else {
        format!("{section}::{name}({}){arrow}", params.join(", "))
    };
    let doc = f["docComments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c.as_str())
        .flat_map(|c| c.lines().map(str::to_string).collect::<Vec<_>>())
        .map(|l| {
            l.strip_prefix("///")
                .map(|s| s.strip_prefix(' ').unwrap_or(s).to_string())
                .unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n");
    Entry {
        section: section.to_string(),
        usage,
        doc,
    }
}

/// Functions of a stdlib module, documented by their `///` comments.
fn stdlib_entries(module: &str, code: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut doc: Vec<&str> = Vec::new();
    for line in code.lines() {
        let t = line.trim_start();
        if let Some(d) = t.strip_prefix("///") {
            doc.push(d.strip_prefix(' ').unwrap_or(d));
        } else if let Some(sig) = t.strip_prefix("fn ") {
            let sig = sig.split('{').next().unwrap_or(sig).trim();
            out.push(Entry {
                section: module.to_string(),
                usage: format!("{module}::{sig}"),
                doc: doc.join("\n"),
            });
            doc.clear();
        } else {
            doc.clear();
        }
    }
    out
}

/// The whole reference as Markdown (docs/reference.md).
pub fn reference() -> String {
    let mut md = String::from(
        "# netscript reference\n\n\
         Generated by `netscript docs` from the documentation each function is\n\
         registered with; a test fails when this file is stale or an example fails.\n\
         Every example runs as it is in a fresh sandbox (`netscript --sandbox`).\n",
    );
    let mut section = String::new();
    for e in entries() {
        if e.section != section {
            section = e.section.clone();
            let title = match section.as_str() {
                "Netns" => "Netns handle (`ns`)".to_string(),
                "Link" => "Link handle (`l`)".to_string(),
                "Process" => "Process handle (`p`, from `ns.spawn`)".to_string(),
                "script" => "script control".to_string(),
                s if crate::api::STDLIB.iter().any(|(n, _)| *n == s) => {
                    format!("stdlib `{s}` (`import \"{s}\" as {s};`)")
                }
                s => format!("module `{s}`"),
            };
            md.push_str(&format!("\n## {title}\n"));
        }
        let usage = e
            .usage
            .lines()
            .map(|u| format!("`{u}`"))
            .collect::<Vec<_>>()
            .join("<br>");
        md.push_str(&format!("\n### {usage}\n\n{}\n", e.doc.trim()));
    }
    md
}

/// Rust type names as a script writer knows them. A plugin function's
/// result comes as Rhai's `Result<T, Box<EvalAltResult>>`: it is `T`.
fn script_type(t: &str) -> String {
    let t = t.trim();
    if let Some(inner) = t
        .strip_prefix("Result<")
        .and_then(|r| r.strip_suffix(", Box<EvalAltResult>>"))
    {
        return script_type(inner);
    }
    let t = t.trim_start_matches('&').trim_start_matches("mut ").trim();
    match t {
        "str" | "String" | "ImmutableString" => "string",
        "i64" | "INT" => "int",
        "f64" | "FLOAT" => "float",
        "Seconds" => "float",
        "CommandLine" => "string",
        "Delay" => "any",
        "Array" => "array",
        "Map" => "map",
        "Dynamic" => "any",
        "NetnsOrName" => "Netns | string",
        "LinkOrName" => "Link | string",
        other => other,
    }
    .to_string()
}

/// Rhai definition stubs (`.d.rhai`) of the whole API, for editors.
/// A parameter that takes several kinds of value is `?` there, as Rhai
/// writes any value.
pub fn definitions() -> String {
    let engine = crate::api::engine(crate::api::Session::listing(), None);
    let mut text = engine
        .definitions()
        .include_standard_packages(false)
        .single_file();
    for (name, ..) in crate::api::PARAM_TYPES {
        text = text.replace(&format!(": {name}"), ": ?");
    }
    text
}
