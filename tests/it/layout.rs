//! The shape of the code, as src/README.md describes it: no file imports
//! another that imports it back (directly or around a circle), no file
//! over 450 lines, src/api within its budget, rtnetlink only in
//! src/netlink, no session state in thread-locals. Read from the `use`
//! lines and `crate::`/`super::` paths of every file under src/ (test
//! modules left out: a test may reach anywhere).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

struct Source {
    path: PathBuf,
    /// The file's text without comments and without its test module.
    code: String,
    lines: usize,
}

fn sources() -> BTreeMap<Module, Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let rel = path.strip_prefix(&root).unwrap().to_str().unwrap();
            if !rel.ends_with(".rs") || rel == "main.rs" {
                continue;
            }
            let mut module: Module = rel
                .trim_end_matches(".rs")
                .split('/')
                .map(str::to_string)
                .collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            out.insert(
                module,
                Source {
                    lines: text.lines().count(),
                    code: code_of(&text),
                    path,
                },
            );
        }
    }
    out
}

/// The text without `//` comments and without a trailing test module.
fn code_of(text: &str) -> String {
    let mut code = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let line = match line.find("//") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        };
        code.push_str(line);
        code.push('\n');
    }
    code
}

/// The paths a `use` tree names: `a::{b, c::{d, self}}` -> a::b, a::c::d, a::c.
fn use_paths(prefix: &[String], tree: &str) -> Vec<Vec<String>> {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_string())
            .collect();
        let inner = &tree[open + 1..tree.rfind('}').unwrap()];
        let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&inner[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&inner[start..]);
        let base = [prefix, &head[..]].concat();
        return parts
            .into_iter()
            .filter(|p| !p.trim().is_empty())
            .flat_map(|p| use_paths(&base, p))
            .collect();
    }
    let name = tree.split(" as ").next().unwrap().trim();
    let mut path = prefix.to_vec();
    path.extend(
        name.split("::")
            .filter(|s| !s.is_empty() && *s != "self")
            .map(str::to_string),
    );
    vec![path]
}

/// An absolute module path for `path` as written in `module` (`indented`:
/// inside an inline module of the file, where `super` is the file itself).
fn absolute(
    module: &Module,
    path: &[String],
    indented: bool,
    all: &BTreeMap<Module, Source>,
) -> Option<Module> {
    let first = path.first()?.as_str();
    let mut base = match first {
        "crate" => Vec::new(),
        "self" => module.clone(),
        "super" if indented => module.clone(),
        "super" => module[..module.len().saturating_sub(1)].to_vec(),
        child if all.contains_key(&[&module[..], &[child.to_string()]].concat()) => {
            return Some([&module[..], path].concat());
        }
        _ => return None,
    };
    let mut rest = &path[1..];
    while rest.first().is_some_and(|s| s == "super") {
        base.pop();
        rest = &rest[1..];
    }
    Some([&base[..], rest].concat())
}

/// The `use` declarations: (public, inside an inline module, the tree).
fn uses(code: &str) -> Vec<(bool, bool, String)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in code.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let public = trimmed.starts_with("pub");
        let decl = if public {
            trimmed
                .find(") use ")
                .map(|i| i + 2)
                .or_else(|| trimmed.starts_with("pub use ").then_some(4))
        } else {
            trimmed.starts_with("use ").then_some(0)
        };
        if let Some(at) = decl {
            let start = offset + (line.len() - trimmed.len()) + at + "use ".len();
            let end = start + code[start..].find(';').unwrap_or(code.len() - start);
            let indented = line.starts_with(' ');
            out.push((public, indented, code[start..end].to_string()));
        }
        offset += line.len();
    }
    out
}

/// Paths written inline: `crate::sys::spawn::stop_in(...)`, `super::x::y`.
fn inline_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for start in ["crate::", "super::"] {
        for (i, _) in code.match_indices(start) {
            let prev = code[..i].chars().next_back();
            if prev.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = code[i..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            out.push(
                path.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            );
        }
    }
    out
}

/// Which files each file imports from, a re-export (`pub use`) followed to
/// the file that defines the item.
fn imports(all: &BTreeMap<Module, Source>) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut aliases: HashMap<(Module, String), Module> = HashMap::new();
    for (module, src) in all {
        for (public, indented, tree) in uses(&src.code) {
            if !public {
                continue;
            }
            for path in use_paths(&[], &tree) {
                if let (Some(abs), Some(name)) =
                    (absolute(module, &path, indented, all), path.last())
                {
                    aliases.insert((module.clone(), name.clone()), abs);
                }
            }
        }
    }
    let resolve = |mut path: Module| -> Option<Module> {
        for _ in 0..10 {
            let file = (0..=path.len())
                .rev()
                .map(|k| path[..k].to_vec())
                .find(|m| all.contains_key(m))?;
            match path.get(file.len()) {
                Some(item) if aliases.contains_key(&(file.clone(), item.clone())) => {
                    let target = &aliases[&(file.clone(), item.clone())];
                    path = [&target[..], &path[file.len() + 1..]].concat();
                }
                _ => return Some(file),
            }
        }
        None
    };
    let mut edges = BTreeMap::new();
    for (module, src) in all {
        let mut paths = Vec::new();
        for (public, indented, tree) in uses(&src.code) {
            if public {
                continue;
            }
            for path in use_paths(&[], &tree) {
                paths.extend(absolute(module, &path, indented, all));
            }
        }
        for path in inline_paths(&src.code) {
            paths.extend(absolute(module, &path, false, all));
        }
        let targets: BTreeSet<Module> = paths
            .into_iter()
            .filter_map(&resolve)
            .filter(|t| t != module)
            .collect();
        edges.insert(module.clone(), targets);
    }
    edges
}

/// The groups of files that import each other around a circle.
fn circles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    // Two files are in one circle when each reaches the other.
    let reach = |from: &Module| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(m) = todo.pop() {
            for t in edges.get(&m).into_iter().flatten() {
                if seen.insert(t.clone()) {
                    todo.push(t.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&Module, BTreeSet<Module>> =
        edges.keys().map(|m| (m, reach(m))).collect();
    let mut groups: Vec<Vec<Module>> = Vec::new();
    for m in edges.keys() {
        if !reached[m].contains(m) || groups.iter().any(|g| g.contains(m)) {
            continue;
        }
        let group = edges
            .keys()
            .filter(|o| reached[m].contains(*o) && reached[*o].contains(m))
            .cloned()
            .collect();
        groups.push(group);
    }
    groups
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "lib".into()
    } else {
        m.join("/")
    }
}

#[test]
fn no_file_imports_around_a_circle() {
    let all = sources();
    let found: Vec<String> = circles(&imports(&all))
        .iter()
        .map(|g| g.iter().map(name).collect::<Vec<_>>().join(" -> "))
        .collect();
    assert!(found.is_empty(), "files that import each other: {found:#?}");
}

#[test]
fn the_checker_sees_a_circle() {
    // Two files that name each other, as the checker reads them.
    let mut all = BTreeMap::new();
    for (m, code) in [
        ("a", "use crate::b::f;\npub fn g() {}\n"),
        ("b", "pub fn f() { crate::a::g() }\n"),
        ("c", "use super::a;\n"),
    ] {
        let src = Source {
            path: PathBuf::from(m),
            code: code.into(),
            lines: 1,
        };
        all.insert(vec![m.to_string()], src);
    }
    let groups = circles(&imports(&all));
    assert_eq!(
        groups,
        vec![vec![vec!["a".to_string()], vec!["b".to_string()]]]
    );
}

#[test]
fn files_are_small_and_the_script_surface_is_within_budget() {
    let all = sources();
    let long: Vec<String> = all
        .values()
        .filter(|s| s.lines > 450)
        .map(|s| format!("{} ({} lines)", s.path.display(), s.lines))
        .collect();
    assert!(long.is_empty(), "files over 450 lines: {long:?}");
    // The redesign's budget: 4.5k lines for the surface of v1 (127
    // functions, 5.9k lines before); as the surface grows, 36 lines a
    // function on average, doc comments and examples included.
    let api: Vec<&Source> = all
        .iter()
        .filter(|(m, _)| m.first().is_some_and(|f| f == "api"))
        .map(|(_, s)| s)
        .collect();
    let lines: usize = api.iter().map(|s| s.lines).sum();
    let functions: usize = api
        .iter()
        .map(|s| s.code.matches("#[rhai_fn").count())
        .sum();
    let budget = 4500.max(36 * functions);
    assert!(
        lines <= budget,
        "src/api has {lines} lines for {functions} functions (budget {budget})"
    );
}

#[test]
fn each_layer_keeps_to_itself() {
    for (module, src) in sources() {
        let top = module.first().map_or("", String::as_str);
        if top != "netlink" {
            for word in ["rtnetlink", "netlink_packet"] {
                assert!(
                    !src.code.contains(word),
                    "{} names {word}: only src/netlink knows it",
                    src.path.display()
                );
            }
        }
        if matches!(top, "api" | "lab") {
            assert!(
                !src.code.contains("thread_local!"),
                "{} keeps state in a thread-local: it belongs in the session",
                src.path.display()
            );
        }
    }
}
