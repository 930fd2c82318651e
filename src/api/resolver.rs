//! `import` resolution: the stdlib shipped inside the binary, then files
//! relative to the importing script. A file that imports itself, directly
//! or around a circle, is an error naming the circle (not a stack
//! overflow that aborts netscript before the lab is rolled back).

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use rhai::module_resolvers::FileModuleResolver;
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};

type SharedModule = Shared<Module>;

/// Modules written in Rhai and compiled into the binary: (name, source).
pub const STDLIB: &[(&str, &str)] = &[
    ("topo", include_str!("../../stdlib/topo.rhai")),
    ("check", include_str!("../../stdlib/check.rhai")),
    ("traffic", include_str!("../../stdlib/traffic.rhai")),
    ("frr", include_str!("../../stdlib/frr.rhai")),
];

pub struct Resolver {
    files: FileModuleResolver,
    /// Stdlib modules already evaluated: importing twice runs them once.
    stdlib: RefCell<std::collections::HashMap<String, SharedModule>>,
    /// The files being imported, outermost first.
    importing: RefCell<Vec<PathBuf>>,
}

/// How deep imports may nest: well past any real lab's, well short of the
/// stack's end.
const MAX_IMPORT_DEPTH: usize = 32;

impl Resolver {
    pub fn new(script_dir: Option<PathBuf>) -> Self {
        let files = match script_dir {
            Some(dir) => FileModuleResolver::new_with_path(dir),
            None => FileModuleResolver::new(),
        };
        Resolver {
            files,
            stdlib: Default::default(),
            importing: Default::default(),
        }
    }
}

impl ModuleResolver for Resolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<SharedModule, Box<EvalAltResult>> {
        if let Some(module) = self.stdlib.borrow().get(path) {
            return Ok(module.clone());
        }
        if let Some((name, code)) = STDLIB.iter().find(|(name, _)| *name == path) {
            let mut ast = engine
                .compile(*code)
                .map_err(|e| EvalAltResult::ErrorInModule(path.into(), Box::new(e.into()), pos))?;
            ast.set_source(format!("<stdlib>/{name}.rhai"));
            let module = Module::eval_ast_as_new(Scope::new(), &ast, engine)
                .map_err(|e| EvalAltResult::ErrorInModule(path.into(), e, pos))?;
            let module: SharedModule = module.into();
            self.stdlib
                .borrow_mut()
                .insert(path.to_string(), module.clone());
            return Ok(module);
        }
        let file = self.files.get_file_path(path, source.map(Path::new));
        let file = std::fs::canonicalize(&file).unwrap_or(file);
        // The script itself is where the chain starts.
        let mut seeded = false;
        if self.importing.borrow().is_empty()
            && let Some(main) = source.and_then(|s| std::fs::canonicalize(s).ok())
        {
            self.importing.borrow_mut().push(main);
            seeded = true;
        }
        let chain = self.importing.borrow().clone();
        let circle = chain.iter().position(|f| *f == file);
        if circle.is_some() || chain.len() > MAX_IMPORT_DEPTH {
            let names: Vec<String> = chain[circle.unwrap_or(0)..]
                .iter()
                .chain([&file])
                .map(|f| {
                    f.file_name()
                        .map_or_else(|| f.display().to_string(), |n| n.to_string_lossy().into())
                })
                .collect();
            let why = match circle {
                Some(at) if at + 1 == chain.len() => "imports itself",
                Some(_) => "imports what imports it",
                None => "nests imports too deep",
            };
            let e = crate::error::Error::invalid(
                format!("import {path:?}"),
                format!("it {why} ({})", names.join(" → ")),
            )
            .with_help("a module cannot import the script or module that imports it");
            if seeded {
                self.importing.borrow_mut().clear();
            }
            return Err(EvalAltResult::ErrorRuntime(super::convert::error_value(&e), pos).into());
        }
        self.importing.borrow_mut().push(file);
        let module = self.files.resolve(engine, source, path, pos);
        self.importing.borrow_mut().pop();
        if seeded {
            self.importing.borrow_mut().clear();
        }
        module
    }
}

/// The source of a stdlib module named by an AST source like "<stdlib>/lab.rhai".
pub fn stdlib_source_of(source: &str) -> Option<&'static str> {
    let name = source.strip_prefix("<stdlib>/")?.strip_suffix(".rhai")?;
    STDLIB
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, code)| *code)
}
