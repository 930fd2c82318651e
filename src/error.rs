//! The one error type every layer returns: what was attempted, on what, in
//! which namespace, and why it failed. `api` turns it into a script error,
//! `diag` renders it.

use std::fmt;

/// The error classes a script can match on (`e.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Exists,
    NotFound,
    Permission,
    Invalid,
    Busy,
    Timeout,
    /// What this kernel lacks: a link kind, a qdisc, a bridge feature.
    Unsupported,
    Os,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Exists => "exists",
            Kind::NotFound => "not_found",
            Kind::Permission => "permission",
            Kind::Invalid => "invalid",
            Kind::Busy => "busy",
            Kind::Timeout => "timeout",
            Kind::Unsupported => "unsupported",
            Kind::Os => "os",
        }
    }

    /// Classify an errno the way a user thinks about it.
    pub fn from_errno(errno: i32) -> Kind {
        match errno {
            libc::EEXIST | libc::ENOTEMPTY => Kind::Exists,
            libc::ENOENT | libc::ENODEV | libc::ESRCH | libc::ENXIO => Kind::NotFound,
            libc::EPERM | libc::EACCES => Kind::Permission,
            libc::EINVAL | libc::ERANGE | libc::EAFNOSUPPORT | libc::EOPNOTSUPP => Kind::Invalid,
            libc::EBUSY => Kind::Busy,
            libc::ETIMEDOUT => Kind::Timeout,
            _ => Kind::Os,
        }
    }
}

/// A failed operation, with enough context to say what went wrong without
/// the script in front of you.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    /// What was being done, as a verb phrase: "create namespace \"r1\"".
    pub action: String,
    /// The namespace the operation ran in, when it ran in one.
    pub netns: Option<String>,
    /// Why it failed: "it already exists".
    pub reason: String,
    pub errno: Option<i32>,
    /// How to fix it, when we know.
    pub help: Option<String>,
    /// What in the call was at fault, so the report can underline it.
    /// (Boxed: it is rare, and errors travel in every `Result`.)
    pub subject: Option<Box<Subject>>,
}

/// The part of a script call an error is about: reports underline it
/// instead of the whole call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// The call's argument at this index (0-based; a method's receiver
    /// does not count).
    Arg(usize),
    /// The entry with this key in the call's options map.
    Option(String),
    /// Whichever argument is written as exactly this value (a string
    /// literal's contents, or a number). Lower layers know the value they
    /// refused, not where it came from.
    Value(String),
}

impl Error {
    pub fn new(kind: Kind, action: impl Into<String>, reason: impl Into<String>) -> Self {
        Error {
            kind,
            action: action.into(),
            netns: None,
            reason: reason.into(),
            errno: None,
            help: None,
            subject: None,
        }
    }

    /// An error from the kernel: the reason and kind come from the errno.
    pub fn errno(action: impl Into<String>, errno: i32) -> Self {
        let mut e = Error::new(Kind::from_errno(errno), action, errno_reason(errno));
        e.errno = Some(errno);
        if e.kind == Kind::Permission {
            e.help = Some("needs root or CAP_NET_ADMIN, or try --sandbox".into());
        }
        if errno == libc::EMFILE {
            use nix::sys::resource::{Resource, getrlimit};
            let limit = getrlimit(Resource::RLIMIT_NOFILE)
                .map(|(soft, _)| format!(" (now {soft})"))
                .unwrap_or_default();
            e.help = Some(format!(
                "netscript keeps a file open per namespace; raise this process's limit of open \
                 files{limit}: `ulimit -n` (its hard limit as root: `ulimit -Hn`), or \
                 LimitNOFILE= for a service"
            ));
        }
        if errno == libc::ENFILE {
            e.help = Some(
                "the machine's table of open files is full: raise it (sysctl fs.file-max)".into(),
            );
        }
        e
    }

    pub fn from_io(action: impl Into<String>, err: &std::io::Error) -> Self {
        match err.raw_os_error() {
            Some(n) => Error::errno(action, n),
            None => Error::new(Kind::Os, action, err.to_string()),
        }
    }

    pub fn invalid(action: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::new(Kind::Invalid, action, reason)
    }

    pub fn not_found(action: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::new(Kind::NotFound, action, reason)
    }

    pub fn in_netns(mut self, netns: &str) -> Self {
        if self.netns.is_none() {
            self.netns = Some(netns.to_string());
        }
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Replace the help only if none was set by a more specific layer.
    pub fn or_help(mut self, help: impl Into<String>) -> Self {
        if self.help.is_none() {
            self.help = Some(help.into());
        }
        self
    }

    /// The fault lies in the call's argument `index`.
    pub fn at_arg(mut self, index: usize) -> Self {
        self.subject = Some(Box::new(Subject::Arg(index)));
        self
    }

    /// If the kernel (or a check) called the request invalid, argument
    /// `index` was the culprit; other failures are not its fault.
    pub fn invalid_arg(self, index: usize) -> Self {
        if self.kind == Kind::Invalid && self.subject.is_none() {
            self.at_arg(index)
        } else {
            self
        }
    }

    /// The fault lies in the option `key` of the call's options map.
    pub fn at_option(mut self, key: &str) -> Self {
        self.subject = Some(Box::new(Subject::Option(key.to_string())));
        self
    }

    /// The fault lies in the value `text`, wherever the call wrote it;
    /// kept only if nothing more precise is known.
    pub fn about(mut self, text: impl Into<String>) -> Self {
        if self.subject.is_none() {
            self.subject = Some(Box::new(Subject::Value(text.into())));
        }
        self
    }

    /// The one-line message a script sees as `e.message`.
    pub fn message(&self) -> String {
        match &self.netns {
            Some(ns) => format!(
                "cannot {} in namespace \"{}\": {}",
                self.action, ns, self.reason
            ),
            None => format!("cannot {}: {}", self.action, self.reason),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}

/// Lower-case reason with the symbolic errno name, e.g. "file exists (EEXIST)".
pub fn errno_reason(errno: i32) -> String {
    let e = nix::errno::Errno::from_raw(errno);
    let text = e.desc();
    let mut text = text.to_string();
    // "File exists" -> "file exists", but "I/O error" stays as it is.
    if text.chars().nth(1).is_some_and(char::is_lowercase) {
        text.replace_range(0..1, &text[0..1].to_lowercase());
    }
    format!("{text} ({e:?})")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_maps_to_kind_and_reason() {
        let e = Error::errno("create namespace \"r1\"", libc::EEXIST).in_netns("host");
        assert_eq!(e.kind, Kind::Exists);
        assert_eq!(
            e.message(),
            "cannot create namespace \"r1\" in namespace \"host\": file exists (EEXIST)"
        );
        assert_eq!(Error::errno("x", libc::EPERM).kind.as_str(), "permission");
        assert!(
            Error::errno("x", libc::EPERM)
                .help
                .unwrap()
                .contains("--sandbox")
        );
    }
}
