//! Files for the lab: `lab::file` in the lab's own directory, and
//! `ns.etc_file` in /etc/netns/NS (which `ip netns exec`, and netscript's
//! own programs, see as /etc in that namespace). Each is recorded before
//! it is written, with the directories made for it; teardown removes
//! them. A file that was there before the lab is never overwritten.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::Op;
use super::record::q;
use crate::error::{Error, Kind, Result};
use crate::lab::Object;
use crate::ns::Ns;

/// A file's name: one plain path component.
fn check_name(name: &str, action: &str) -> Result<()> {
    let plain = !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name.contains(['/', '\0']);
    if plain {
        return Ok(());
    }
    Err(Error::invalid(
        action,
        "a file's name is one plain name (no '/', not '.' or '..')",
    )
    .about(name))
}

impl Op<'_> {
    /// Write `text` to file `name` in the lab's own directory; its path.
    pub fn lab_file(&self, name: &str, text: &str) -> Result<String> {
        let action = format!("write lab file {name:?}");
        check_name(name, &action)?;
        self.write_file(&self.lab.files_dir().join(name), text, &action)
    }

    /// Write `text` to /etc/netns/NS/`name`; its path.
    pub fn etc_file(&self, ns: &Ns, name: &str, text: &str) -> Result<String> {
        let action = format!("write /etc/netns/{}/{name}", ns.name());
        check_name(name, &action)?;
        if matches!(ns, Ns::Host) {
            return Err(Error::invalid(
                &action,
                "the namespace netscript runs in has /etc itself, not /etc/netns",
            ));
        }
        if crate::sys::world::current().is_some() && !private_etc_netns() {
            return Err(Error::new(
                Kind::Unsupported,
                &action,
                "this sandbox could not have an /etc/netns of its own, and the machine's is out of bounds",
            )
            .with_help("overlayfs in a user namespace needs Linux 5.11 or later"));
        }
        let path = Path::new("/etc/netns").join(ns.name()).join(name);
        self.write_file(&path, text, &action)
    }

    fn write_file(&self, path: &Path, text: &str, action: &str) -> Result<String> {
        let shown = path.display().to_string();
        let ours = self
            .lab
            .any(|o| matches!(o, Object::File { path: p, .. } if *p == shown));
        if !ours && std::fs::symlink_metadata(path).is_ok() {
            return Err(Error::new(
                Kind::Exists,
                action,
                "the file is there already, and not the lab's",
            )
            .with_help("netscript does not overwrite files it did not write: remove it first"));
        }
        let dirs = missing_dirs(path);
        let record = Object::File {
            path: shown.clone(),
            dirs: dirs.iter().map(|d| d.display().to_string()).collect(),
        };
        let intents = if ours { vec![] } else { vec![record.clone()] };
        self.ahead(&intents, || write(path, &dirs, text, !ours))
            .map_err(|e| Error {
                action: action.to_string(),
                ..e
            })?;
        if !ours {
            self.confirm(vec![record])?;
        }
        self.change(|| {
            let end = closing_word(text);
            format!(
                "cat > {} << '{end}'\n{}{end}",
                q(&shown),
                with_newline(text)
            )
        });
        Ok(shown)
    }
}

/// Whether /etc/netns is a world's own (a mount of its, not the root
/// file system's directory).
fn private_etc_netns() -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata("/etc/netns"), std::fs::metadata("/")) {
        (Ok(etc), Ok(root)) => etc.dev() != root.dev(),
        _ => false,
    }
}

/// A word that closes a here-document of `text`: EOF, unless a line of
/// the text is EOF (which would end it early and run the rest as
/// commands when the trace is pasted).
fn closing_word(text: &str) -> String {
    (0..)
        .map(|n| {
            if n == 0 {
                "EOF".to_string()
            } else {
                format!("EOF{n}")
            }
        })
        .find(|w| !text.lines().any(|l| l == w))
        .unwrap_or_default()
}

fn with_newline(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}

/// The directories above `path` that do not exist yet, outermost first.
fn missing_dirs(path: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = path
        .ancestors()
        .skip(1)
        .take_while(|d| !d.as_os_str().is_empty() && std::fs::symlink_metadata(d).is_err())
        .map(Path::to_path_buf)
        .collect();
    out.reverse();
    out
}

/// Write the file (a new one unless the lab's own), with the directories
/// it needs; on failure nothing of what this call made is left (and
/// nothing another run made between our check and our create goes).
fn write(path: &Path, dirs: &[PathBuf], text: &str, new: bool) -> Result<()> {
    let io = |e: std::io::Error| Error::from_io("write", &e);
    let mut made_dirs: Vec<&PathBuf> = Vec::new();
    let mut made_file = false;
    let written = (|| {
        for d in dirs {
            std::fs::create_dir(d).map_err(io)?;
            made_dirs.push(d);
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .create_new(new)
            .truncate(true)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(io)?;
        made_file = new;
        file.write_all(text.as_bytes()).map_err(io)
    })();
    if written.is_err() {
        if made_file {
            let _ = std::fs::remove_file(path);
        }
        for d in made_dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
    written
}
