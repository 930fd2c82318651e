//! Tab completion: what may come at the cursor, given what the session
//! knows (its variables and their types) and the live kernel state.

/// What completion can ask about.
pub trait Knowledge {
    /// Module names scripts can call with `name::`.
    fn modules(&self) -> Vec<String>;
    /// Function names of a module.
    fn module_functions(&self, module: &str) -> Vec<String>;
    /// Variables in the session with their handle type, if a handle.
    fn variables(&self) -> Vec<(String, Option<&'static str>)>;
    /// Methods (with a trailing "(") and properties of "Netns" or "Link".
    fn members(&self, ty: &str) -> Vec<String>;
    /// Named namespaces, live.
    fn namespaces(&self) -> Vec<String>;
    /// Link names in the namespace of variable `var` (a Netns or a Link),
    /// or in the host namespace for `None`. Live.
    fn links(&self, var: Option<&str>) -> Vec<String>;
}

const KEYWORDS: &[&str] = &[
    "let", "const", "fn", "if", "else", "for", "in", "while", "loop", "do", "until", "return",
    "break", "continue", "import", "as", "try", "catch", "throw", "true", "false", "print", "exit",
];

const COMMANDS: &[&str] = &[":help", ":load", ":save", ":quit"];

/// Functions whose first argument is a namespace name.
const TAKES_NETNS: &[&str] = &[
    "netns::get",
    "netns::del",
    "netns::ensure",
    "netns::exists",
    ".set_netns",
];

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// (start of the text to replace, candidates) for the cursor at `pos`.
pub fn complete(line: &str, pos: usize, k: &dyn Knowledge) -> (usize, Vec<String>) {
    let before = &line[..pos];
    if before.trim_start().starts_with(':') && !before.contains(' ') {
        let start = before.len() - before.trim_start().len();
        return (
            start,
            filter(COMMANDS.iter().map(|s| s.to_string()), &before[start..]),
        );
    }
    if let Some(quote) = open_quote(before) {
        return (
            quote + 1,
            in_string(&before[..quote], &before[quote + 1..], k),
        );
    }
    let word_start = before.len()
        - before
            .chars()
            .rev()
            .take_while(|c| is_word(*c))
            .map(char::len_utf8)
            .sum::<usize>();
    let word = &before[word_start..];
    let head = &before[..word_start];
    if let Some(module_part) = head.strip_suffix("::") {
        let module = trailing_word(module_part);
        return (
            word_start,
            filter(
                k.module_functions(module)
                    .into_iter()
                    .map(|f| format!("{f}(")),
                word,
            ),
        );
    }
    if let Some(receiver) = head.strip_suffix('.') {
        let var = trailing_word(receiver);
        let ty = k
            .variables()
            .into_iter()
            .find(|(n, _)| n == var)
            .and_then(|(_, t)| t);
        let members = match ty {
            Some(t) => k.members(t),
            None => {
                let mut all = k.members("Netns");
                all.extend(k.members("Link"));
                all.sort();
                all.dedup();
                all
            }
        };
        return (word_start, filter(members.into_iter(), word));
    }
    if word.is_empty() {
        return (pos, Vec::new());
    }
    let mut all: Vec<String> = k.variables().into_iter().map(|(n, _)| n).collect();
    all.extend(k.modules().into_iter().map(|m| format!("{m}::")));
    all.extend(KEYWORDS.iter().map(|s| s.to_string()));
    (word_start, filter(all.into_iter(), word))
}

/// Candidates inside a string literal whose call starts at `call`.
fn in_string(call: &str, typed: &str, k: &dyn Knowledge) -> Vec<String> {
    let call = call.trim_end();
    let Some(callee) = call.strip_suffix('(') else {
        return Vec::new();
    };
    let callee = callee.trim_end();
    let names = if TAKES_NETNS.iter().any(|f| callee.ends_with(f)) {
        let mut all = k.namespaces();
        if callee.ends_with(".set_netns") {
            all.push("host".into());
        }
        all
    } else if let Some(receiver) = callee.strip_suffix(".link") {
        k.links(Some(trailing_word(receiver)))
    } else if callee.ends_with("link::get") || callee.ends_with(".set_master") {
        k.links(None)
    } else {
        return Vec::new();
    };
    filter(names.into_iter().map(|n| format!("{n}\"")), typed)
}

/// The offset of the quote that opens an unterminated string in `text`.
fn open_quote(text: &str) -> Option<usize> {
    let mut open = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match (open, c) {
            (Some(_), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(_), '"') if !escaped => open = None,
            (None, '"') => open = Some(i),
            _ => {}
        }
        escaped = false;
    }
    open
}

fn trailing_word(text: &str) -> &str {
    let start = text.len()
        - text
            .chars()
            .rev()
            .take_while(|c| is_word(*c))
            .map(char::len_utf8)
            .sum::<usize>();
    &text[start..]
}

fn filter(all: impl Iterator<Item = String>, prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = all.filter(|c| c.starts_with(prefix)).collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake;

    impl Knowledge for Fake {
        fn modules(&self) -> Vec<String> {
            vec!["netns".into(), "link".into(), "bridge".into()]
        }
        fn module_functions(&self, module: &str) -> Vec<String> {
            match module {
                "netns" => vec!["add".into(), "del".into(), "ensure".into(), "get".into()],
                _ => vec!["add_veth".into(), "get".into()],
            }
        }
        fn variables(&self) -> Vec<(String, Option<&'static str>)> {
            vec![
                ("r1".into(), Some("Netns")),
                ("veth".into(), Some("Link")),
                ("n".into(), None),
            ]
        }
        fn members(&self, ty: &str) -> Vec<String> {
            match ty {
                "Netns" => vec![
                    "link(".into(),
                    "links(".into(),
                    "name".into(),
                    "ping(".into(),
                ],
                _ => vec!["name".into(), "peer".into(), "up(".into()],
            }
        }
        fn namespaces(&self) -> Vec<String> {
            vec!["r1".into(), "r2".into(), "lab".into()]
        }
        fn links(&self, var: Option<&str>) -> Vec<String> {
            match var {
                Some("r1") => vec!["lo".into(), "eth0".into()],
                _ => vec!["lo".into(), "br0".into()],
            }
        }
    }

    fn at_end(line: &str) -> (usize, Vec<String>) {
        complete(line, line.len(), &Fake)
    }

    #[test]
    fn module_functions() {
        assert_eq!(at_end("let r = netns::a"), (15, vec!["add(".to_string()]));
        assert_eq!(
            at_end("netns::"),
            (
                7,
                vec![
                    "add(".into(),
                    "del(".into(),
                    "ensure(".into(),
                    "get(".into()
                ]
            )
        );
    }

    #[test]
    fn members_of_known_handles() {
        assert_eq!(
            at_end("r1.li"),
            (3, vec!["link(".to_string(), "links(".to_string()])
        );
        assert_eq!(at_end("veth.p"), (5, vec!["peer".to_string()]));
        assert_eq!(at_end("n.na").1, vec!["name".to_string()]);
    }

    #[test]
    fn live_names_inside_strings() {
        assert_eq!(
            at_end("netns::get(\"r"),
            (12, vec!["r1\"".to_string(), "r2\"".to_string()])
        );
        assert_eq!(at_end("r1.link(\"e"), (9, vec!["eth0\"".to_string()]));
        assert_eq!(
            at_end("link::get(\""),
            (11, vec!["br0\"".to_string(), "lo\"".to_string()])
        );
        assert!(at_end("print(\"r").1.is_empty());
        assert_eq!(at_end("v.set_netns(\"h").1, vec!["host\"".to_string()]);
    }

    #[test]
    fn words_and_commands() {
        assert_eq!(at_end("ne").1, vec!["netns::".to_string()]);
        assert_eq!(at_end("r").1, vec!["r1".to_string(), "return".to_string()]);
        assert_eq!(at_end(":s").1, vec![":save".to_string()]);
        assert!(at_end("x = ").1.is_empty());
    }
}
