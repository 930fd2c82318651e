//! The REPL's own commands: `:help`, `:show`, `:graph`, `:pingall`,
//! `:load`, `:save`, `:quit`.

use super::session::{Outcome, Session};
use crate::docs::Entry;

/// What the loop should do after a command.
pub enum Next {
    Continue,
    Quit(i32),
}

pub fn run(line: &str, session: &mut Session, entries: &[Entry]) -> Next {
    let line = line.trim();
    let (cmd, arg) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(c, a)| (c, a.trim()));
    match cmd {
        ":help" | ":h" => {
            crate::out!(
                "{}",
                if arg.is_empty() {
                    overview(entries)
                } else {
                    help(arg, entries)
                }
            );
        }
        ":load" | ":l" if !arg.is_empty() => match std::fs::read_to_string(arg) {
            Ok(text) => match session.eval(&crate::diag::blank_shebang(&text)) {
                Outcome::Value(_) => crate::out!("loaded {arg}"),
                Outcome::Failed(report) => crate::say_part!("{}", crate::diag::for_stderr(&report)),
                Outcome::Exit(code) => return Next::Quit(code),
            },
            Err(e) => crate::say!("cannot read {arg}: {e}"),
        },
        ":save" | ":s" if !arg.is_empty() => {
            let recipe = session.recipe();
            match std::fs::write(arg, &recipe) {
                Ok(()) => {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = std::fs::set_permissions(arg, std::fs::Permissions::from_mode(0o755));
                    crate::out!(
                        "saved {} inputs to {arg} (run it with: netscript {arg})",
                        session.accepted.len()
                    );
                    if let Err(e) = session.compiles(&recipe) {
                        crate::say!("warning: the saved script does not compile as a whole: {e}");
                    }
                }
                Err(e) => crate::say!("cannot write {arg}: {e}"),
            }
        }
        ":show" => {
            crate::show::command::show((!arg.is_empty()).then_some(arg), false);
        }
        ":pingall" => {
            let how = crate::show::command::PingallHow {
                json: false,
                spanning: false,
                static_neighbours: false,
            };
            crate::show::command::pingall((!arg.is_empty()).then_some(arg), &[], how);
        }
        ":graph" => {
            use clap::ValueEnum;
            match crate::cli::GraphFormat::from_str(if arg.is_empty() { "dot" } else { arg }, true)
            {
                Ok(format) => {
                    crate::show::command::graph(None, &[], format, false);
                }
                Err(_) => crate::say!("usage: :graph [dot|mermaid|svg]"),
            }
        }
        ":quit" | ":q" | ":exit" => return Next::Quit(0),
        ":load" | ":l" | ":save" | ":s" => crate::say!("usage: {cmd} FILE"),
        _ => {
            let near = crate::diag::suggest::nearest(cmd, COMMANDS.iter().copied())
                .map_or(String::new(), |c| format!("did you mean {c}? "));
            crate::say!(
                "unknown command {cmd}; {near}the commands are :help [NAME], :show [LAB], \
                 :graph [FORMAT], :pingall [LAB], :load FILE, :save FILE, :quit"
            );
        }
    }
    Next::Continue
}

const COMMANDS: &[&str] = &[
    ":help", ":show", ":graph", ":pingall", ":load", ":save", ":quit",
];

fn first_line(doc: &str) -> &str {
    doc.trim().lines().next().unwrap_or("")
}

pub fn overview(entries: &[Entry]) -> String {
    let mut out = String::from("netscript: build network labs from Rhai. Modules and handles:\n");
    let mut section = String::new();
    let mut names: Vec<String> = Vec::new();
    let flush = |out: &mut String, section: &str, names: &mut Vec<String>| {
        if !names.is_empty() {
            let title = match section {
                "Netns" => "Netns (ns.…)".to_string(),
                "Process" => "Process (p.…)".to_string(),
                "Link" => "Link (l.…)".to_string(),
                "script" => "script".to_string(),
                s => format!("{s}::"),
            };
            names.dedup();
            let mut line = format!("  {title:<14}");
            for name in names.drain(..) {
                if line.len() + name.len() > 88 {
                    out.push_str(line.trim_end());
                    out.push('\n');
                    line = " ".repeat(17);
                }
                line.push_str(&format!(" {name} "));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    };
    for e in entries {
        if e.section != section {
            flush(&mut out, &section, &mut names);
            section = e.section.clone();
        }
        for usage in e.usage.lines() {
            let name: String = usage
                .chars()
                .take_while(|c| c.is_alphanumeric() || "_:.".contains(*c))
                .collect();
            let short = name.rsplit(['.', ':']).next().unwrap_or(&name).to_string();
            if !short.is_empty()
                && !usage.starts_with("a ")
                && !["to_string", "to_debug"].contains(&short.as_str())
            {
                names.push(short);
            }
        }
    }
    flush(&mut out, &section, &mut names);
    out.push_str("\nCommands: :help NAME (one function, e.g. :help netns::add or :help ping), :show [LAB], :graph [dot|mermaid|svg], :pingall [LAB], :load FILE, :save FILE, :quit\n");
    out.push_str("Mininet habits work too: pingall, net, nodes, h1 ping h2, h1 ip addr (each shows the netscript it runs).\n");
    out.push_str("Keys: Tab completes, Ctrl-R searches history, Ctrl-C cancels the line or a running call, Ctrl-D exits.");
    out
}

fn help(name: &str, entries: &[Entry]) -> String {
    let name = name.trim_end_matches("()").trim_end_matches('(');
    let matches_name = |usage: &str| {
        let head: String = usage
            .chars()
            .take_while(|c| c.is_alphanumeric() || "_:.".contains(*c))
            .collect();
        head == name
            || head.rsplit(['.', ':']).next() == Some(name)
            || head.split("::").next() == Some(name)
    };
    let found: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.usage.lines().any(matches_name))
        .collect();
    if found.is_empty() {
        return format!("no function or method called `{name}`; :help lists them all");
    }
    if found.len() > 1
        && found
            .iter()
            .all(|e| e.usage.starts_with(&format!("{name}::")))
    {
        return found
            .iter()
            .map(|e| {
                format!(
                    "{:<44} {}",
                    e.usage.lines().next().unwrap_or(""),
                    first_line(&e.doc)
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
    }
    found
        .iter()
        .map(|e| format!("{}\n\n{}\n", e.usage, e.doc.trim()))
        .collect::<Vec<_>>()
        .join("\n")
}
