//! One REPL session: a persistent scope, the functions defined so far, the
//! modules imported so far, and every input as one growing "file" so that
//! errors (also inside functions typed earlier) point at the right line.

use std::rc::Rc;

use rhai::{AST, Dynamic, Engine, EvalAltResult, Position, Scope};

use crate::diag::{self, Report, Sources};
use crate::netlink::Netlink;

pub const SOURCE: &str = "<repl>";

pub struct Session {
    api: Rc<crate::api::Session>,
    pub net: Rc<Netlink>,
    pub engine: Engine,
    pub scope: Scope<'static>,
    functions: AST,
    /// Every input so far, each starting on the line after the previous.
    text: String,
    /// The inputs that ran without error, for `:save`.
    pub accepted: Vec<String>,
    /// Aliases of modules imported so far.
    pub imported: Vec<String>,
}

/// How one input ended.
pub enum Outcome {
    Value(Dynamic),
    Failed(Box<Report>),
    /// The script called `exit(code)`.
    Exit(i32),
}

impl Session {
    pub fn new(net: Rc<Netlink>, api: Rc<crate::api::Session>) -> Self {
        let mut engine = crate::api::engine(api.clone(), std::env::current_dir().ok());
        engine.on_progress(|_| crate::interrupt::requested().then_some(Dynamic::UNIT));
        let mut scope = Scope::new();
        scope.push_constant("ARGS", rhai::Array::new());
        Session {
            api,
            net,
            engine,
            scope,
            functions: AST::empty(),
            text: String::new(),
            accepted: Vec::new(),
            imported: Vec::new(),
        }
    }

    /// Run one input in the session; `:save` keeps it if it built
    /// something.
    pub fn eval(&mut self, input: &str) -> Outcome {
        self.eval_as(input, true)
    }

    /// Run code the REPL wrote (a Mininet habit's translation): never
    /// saved.
    pub fn eval_unsaved(&mut self, input: &str) -> Outcome {
        self.eval_as(input, false)
    }

    fn eval_as(&mut self, input: &str, save: bool) -> Outcome {
        let first_line = self.text.lines().count();
        self.text.push_str(input);
        if !self.text.ends_with('\n') {
            self.text.push('\n');
        }
        let sources = Sources::new(SOURCE, &self.text);
        let padded = format!("{}{input}", "\n".repeat(first_line));
        let ast = match self.engine.compile_with_scope(&self.scope, &padded) {
            Ok(ast) => ast,
            Err(e) => return Outcome::Failed(Box::new(diag::from_parse(&e, &sources))),
        };
        let mut merged = self.functions.merge(&ast);
        merged.set_source(SOURCE);
        crate::interrupt::clear();
        self.api.take_exit_status();
        let (engine, scope) = (&self.engine, &mut self.scope);
        let result =
            diag::internal::catch(|| engine.eval_ast_with_scope::<Dynamic>(scope, &merged));
        let interrupted = crate::interrupt::requested();
        crate::interrupt::clear();
        merged.clear_statements();
        self.functions = merged;
        if let Some(code) = self.api.take_exit_status() {
            return Outcome::Exit(code);
        }
        let result = match result {
            Ok(result) => result,
            Err(report) => return Outcome::Failed(report),
        };
        match result {
            Ok(value) => {
                self.keep_imports(input);
                if save && !interrupted && builds(input) {
                    self.accepted.push(input.to_string());
                }
                Outcome::Value(value)
            }
            Err(e) => {
                let signatures = crate::api::signatures(&self.engine);
                let mut report = diag::from_eval(&e, &sources, &signatures);
                if let EvalAltResult::ErrorVariableNotFound(name, _) = &*e {
                    report.help = self.unknown_variable(name).or(report.help);
                }
                Outcome::Failed(Box::new(report))
            }
        }
    }

    /// `import "m" as m;` lasts only for the input it is in; register the
    /// module with the engine so later inputs can call `m::f` too.
    fn keep_imports(&mut self, input: &str) {
        for (path, alias) in imports(input) {
            let resolved =
                self.engine
                    .module_resolver()
                    .resolve(&self.engine, None, &path, Position::NONE);
            if let Ok(module) = resolved {
                self.engine.register_static_module(alias.as_str(), module);
                if !self.imported.contains(&alias) {
                    self.imported.push(alias);
                }
            }
        }
    }

    /// The accepted inputs as a script that runs on its own.
    pub fn recipe(&self) -> String {
        let mut out =
            String::from("#!/usr/bin/env netscript\n// Saved from a netscript REPL session.\n\n");
        for input in &self.accepted {
            let trimmed = input.trim_end();
            out.push_str(trimmed);
            if !trimmed.ends_with(';') && !trimmed.ends_with('}') {
                out.push(';');
            }
            out.push('\n');
        }
        out
    }

    /// How the engine writes `value` (`to_debug`): with script type names
    /// (`Link`, `Process`), never Rust's.
    pub fn debug_text(&self, value: &Dynamic) -> String {
        let mut scope = Scope::new();
        scope.push("value", value.clone());
        self.engine
            .eval_with_scope::<String>(&mut scope, "value.to_debug()")
            .unwrap_or_else(|_| value.type_name().rsplit("::").next().unwrap_or("?").into())
    }

    /// Help for a name that is no variable: a namespace of that name, or
    /// the nearest variable.
    fn unknown_variable(&self, name: &str) -> Option<String> {
        if namespaces().iter().any(|n| n == name) {
            return Some(format!(
                "`{name}` is a namespace, not a variable: netns::get({name:?}) \
                 (or let {name} = netns::get({name:?}))"
            ));
        }
        let names: Vec<String> = self.scope.iter().map(|(n, ..)| n.to_string()).collect();
        crate::diag::suggest::nearest(name, names.iter().map(String::as_str))
            .map(|near| format!("did you mean `{near}`?"))
    }

    /// Whether `text` compiles (for checking a saved recipe).
    pub fn compiles(&self, text: &str) -> Result<(), Box<EvalAltResult>> {
        self.engine
            .compile(crate::diag::blank_shebang(text))
            .map(|_| ())
            .map_err(Into::into)
    }
}

/// The namespaces a Mininet user may name: those under /run/netns, and
/// "host".
pub fn namespaces() -> Vec<String> {
    let mut names = crate::sys::netns_fs::list().unwrap_or_default();
    names.push("host".into());
    names
}

/// Whether an input that ran belongs in a saved recipe: not one that only
/// looks (a variable, `print`, `show()`, `pingall()`, a listing), and not
/// an interactive `shell()`.
fn builds(input: &str) -> bool {
    let text = input.trim().trim_end_matches(';').trim();
    let looks = [
        "print(",
        "debug(",
        "show(",
        "pingall(",
        "lab::snapshot(",
        "netns::list(",
        "link::list(",
    ];
    let path = !text.is_empty()
        && text
            .split('.')
            .all(|part| part.chars().all(|c| c.is_alphanumeric() || c == '_') && !part.is_empty());
    !(path || looks.iter().any(|l| text.starts_with(l)) || text.contains("shell("))
}

/// The `import "PATH" as ALIAS` statements in `input`.
fn imports(input: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = input;
    while let Some(at) = rest.find("import") {
        rest = &rest[at + "import".len()..];
        let after = rest.trim_start();
        let Some(after) = after.strip_prefix('"') else {
            continue;
        };
        let Some(end) = after.find('"') else { break };
        let path = &after[..end];
        let tail = after[end + 1..].trim_start();
        if let Some(tail) = tail.strip_prefix("as") {
            let alias: String = tail
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !alias.is_empty() {
                out.push((path.to_string(), alias));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_imports() {
        assert_eq!(
            super::imports("import \"lab\" as lab; import \"./x/y\" as y2;"),
            vec![("lab".into(), "lab".into()), ("./x/y".into(), "y2".into())]
        );
        assert!(super::imports("let important = 1;").is_empty());
    }

    #[test]
    fn saves_what_builds() {
        for kept in [
            "let r1 = netns::add(\"r1\")",
            "v.up()",
            "r1.sysctl(\"a\", \"1\");",
        ] {
            assert!(super::builds(kept), "{kept}");
        }
        for dropped in [
            "v",
            "r1.name",
            "print(1)",
            "show()",
            "pingall();",
            "r1.shell()",
        ] {
            assert!(!super::builds(dropped), "{dropped}");
        }
    }
}
