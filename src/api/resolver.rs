//! `import` resolution: the stdlib shipped inside the binary, then files
//! relative to the importing script.

use std::path::PathBuf;

use rhai::module_resolvers::FileModuleResolver;
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};

type SharedModule = Shared<Module>;

/// Modules written in Rhai and compiled into the binary: (name, source).
pub const STDLIB: &[(&str, &str)] = &[
    ("topo", include_str!("../../stdlib/topo.rhai")),
    ("check", include_str!("../../stdlib/check.rhai")),
];

pub struct Resolver {
    files: FileModuleResolver,
    /// Stdlib modules already evaluated: importing twice runs them once.
    stdlib: std::cell::RefCell<std::collections::HashMap<String, SharedModule>>,
}

impl Resolver {
    pub fn new(script_dir: Option<PathBuf>) -> Self {
        let files = match script_dir {
            Some(dir) => FileModuleResolver::new_with_path(dir),
            None => FileModuleResolver::new(),
        };
        Resolver {
            files,
            stdlib: Default::default(),
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
        self.files.resolve(engine, source, path, pos)
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
