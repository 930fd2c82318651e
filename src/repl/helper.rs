//! The rustyline helper: completion, colouring, and the validator that
//! asks for more lines while a construct is left open.

use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

use rhai::{Dynamic, Scope};
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

use super::complete::{self, Knowledge};
use crate::api::{LinkHandle, NetnsHandle};
use crate::netlink::Netlink;
use crate::ns::Ns;

/// What the REPL knows for completion; refreshed after every input.
pub struct ReplHelper {
    net: Rc<Netlink>,
    modules: Vec<String>,
    functions: HashMap<String, Vec<String>>,
    members: HashMap<&'static str, Vec<String>>,
    handles: Vec<(String, Dynamic)>,
    pub colour: bool,
}

impl ReplHelper {
    pub fn new(net: Rc<Netlink>, colour: bool) -> Self {
        let mut functions: HashMap<String, Vec<String>> = HashMap::new();
        let mut members: HashMap<&'static str, Vec<String>> = HashMap::new();
        for e in crate::docs::entries() {
            for usage in e.usage.lines() {
                let name: String = usage
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || "_:.".contains(*c))
                    .collect();
                let is_call = usage[name.len()..].starts_with('(');
                if let Some((module, f)) = name.split_once("::") {
                    functions
                        .entry(module.to_string())
                        .or_default()
                        .push(f.to_string());
                } else if let Some((_, m)) = name.split_once('.') {
                    let Some(ty) = crate::docs::HANDLES.iter().find(|t| **t == e.section) else {
                        continue;
                    };
                    members.entry(ty).or_default().push(if is_call {
                        format!("{m}(")
                    } else {
                        m.to_string()
                    });
                }
            }
        }
        let modules = functions.keys().cloned().collect();
        ReplHelper {
            net,
            modules,
            functions,
            members,
            handles: Vec::new(),
            colour,
        }
    }

    /// Learn the session's variables after an input ran.
    pub fn refresh(&mut self, scope: &Scope, imported: &[String]) {
        self.handles = scope
            .iter()
            .map(|(name, _, value)| (name.to_string(), value))
            .collect();
        for alias in imported {
            if !self.modules.contains(alias) {
                self.modules.push(alias.clone());
            }
        }
    }

    fn ns_of(&self, var: &str) -> Option<Ns> {
        let value = self.handles.iter().find(|(n, _)| n == var)?.1.clone();
        if let Some(h) = value.clone().try_cast::<NetnsHandle>() {
            return Some(h.ns);
        }
        value.try_cast::<LinkHandle>().map(|l| l.ns())
    }
}

impl Knowledge for ReplHelper {
    fn modules(&self) -> Vec<String> {
        self.modules.clone()
    }

    fn module_functions(&self, module: &str) -> Vec<String> {
        self.functions.get(module).cloned().unwrap_or_default()
    }

    fn variables(&self) -> Vec<(String, Option<&'static str>)> {
        self.handles
            .iter()
            .map(|(name, v)| {
                let ty = if v.is::<NetnsHandle>() {
                    Some("Netns")
                } else if v.is::<LinkHandle>() {
                    Some("Link")
                } else if v.is::<crate::api::Process>() {
                    Some("Process")
                } else {
                    None
                };
                (name.clone(), ty)
            })
            .collect()
    }

    fn members(&self, ty: &str) -> Vec<String> {
        self.members.get(ty).cloned().unwrap_or_default()
    }

    fn namespaces(&self) -> Vec<String> {
        crate::sys::netns_fs::list().unwrap_or_default()
    }

    fn links(&self, var: Option<&str>) -> Vec<String> {
        let ns = match var {
            Some(v) => match self.ns_of(v) {
                Some(ns) => ns,
                None => return Vec::new(),
            },
            None => Ns::Host,
        };
        self.net
            .links(&ns)
            .map(|ls| ls.into_iter().map(|l| l.name).collect())
            .unwrap_or_default()
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, found) = complete::complete(line, pos, self);
        Ok((
            start,
            found
                .into_iter()
                .map(|c| Pair {
                    display: c.clone(),
                    replacement: c,
                })
                .collect(),
        ))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.colour {
            Cow::Owned(super::highlight::colour(line))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.colour
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        // A blank line ends the input even if it is unfinished (the loop
        // then drops it); so does a command.
        if input.trim_start().starts_with(':') || input.ends_with('\n') {
            return Ok(ValidationResult::Valid(None));
        }
        if crate::diag::unclosed(input).is_some() {
            return Ok(ValidationResult::Incomplete);
        }
        Ok(ValidationResult::Valid(None))
    }
}

impl Helper for ReplHelper {}
