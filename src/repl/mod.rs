//! The interactive REPL: `netscript` on a terminal.

mod commands;
mod complete;
mod habits;
mod helper;
mod highlight;
mod session;
mod show;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::rc::Rc;

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor};

use habits::Habit;
use helper::ReplHelper;
use session::{Outcome, Session};

use crate::exit::Exit;
use crate::netlink::Netlink;

/// Run the REPL until `:quit`, Ctrl-D or `exit()`; the exit status.
pub fn run(net: Rc<Netlink>, api: Rc<crate::api::Session>) -> Exit {
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .max_history_size(5000)
        .map(|b| b.build())
        .unwrap_or_default();
    let mut editor: Editor<ReplHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            crate::say!("netscript: cannot start the REPL: {e}");
            return Exit::Failed;
        }
    };
    editor.set_helper(Some(ReplHelper::new(net.clone(), colour)));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    crate::interrupt::install();
    let entries = crate::docs::entries();
    let mut session = Session::new(net, api);
    let prompt = match crate::sys::world::current() {
        Some(world) => format!("netscript ({world})> "),
        None => "netscript> ".to_string(),
    };
    crate::out!(
        "netscript {} — :help for help, Ctrl-D to leave",
        env!("CARGO_PKG_VERSION")
    );
    let status = loop {
        match editor.readline(&prompt) {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(line.trim_end());
                if let Some(status) = handle(&line, &mut session, &entries) {
                    break status;
                }
                if let Some(h) = editor.helper_mut() {
                    h.refresh(&session.scope, &session.imported);
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break Exit::Ok,
            Err(e) => break crate::exit::fail(e),
        }
    };
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(path);
    }
    status
}

/// One line typed at the prompt: a `:command`, a Mininet habit, or
/// netscript. Some(status) when the REPL is to end.
fn handle(line: &str, session: &mut Session, entries: &[crate::docs::Entry]) -> Option<Exit> {
    if line.trim_start().starts_with(':') {
        return match commands::run(line, session, entries) {
            commands::Next::Continue => None,
            commands::Next::Quit(code) => Some(Exit::script(code)),
        };
    }
    if let Some(habit) = habits::of(line, session) {
        return match habit {
            Habit::Run(code) => {
                crate::say!("(netscript: {code})");
                outcome(session.eval_unsaved(&code), session)
            }
            Habit::Hint(text) => {
                crate::out!("{text}");
                None
            }
            Habit::Help => {
                crate::out!("{}", commands::overview(entries));
                None
            }
            Habit::Quit => Some(Exit::Ok),
        };
    }
    if crate::diag::unclosed(line).is_some() {
        crate::out!("(unfinished input dropped)");
        return None;
    }
    let result = session.eval(line);
    outcome(result, session)
}

/// Print what an input gave: its value, or its error.
fn outcome(result: Outcome, session: &Session) -> Option<Exit> {
    match result {
        Outcome::Value(v) => {
            let text = show::show(&session.net, &v)
                .or_else(|| (!v.is_unit()).then(|| session.debug_text(&v)));
            if let Some(text) = text {
                crate::out!("{text}");
            }
            None
        }
        Outcome::Failed(report) => {
            crate::say_part!("{}", crate::diag::for_stderr(&report));
            None
        }
        Outcome::Exit(code) => Some(Exit::script(code)),
    }
}

/// `$XDG_STATE_HOME/netscript/history`, else `~/.local/state/netscript/history`.
fn history_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("netscript").join("history"))
}
