//! The diagnostic type and how it is drawn.

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};

/// One error, with the source it points into. Frames in other files (a
/// call site in the script for an error inside a module) are `related`.
#[derive(Debug)]
pub struct Report {
    pub message: String,
    /// A stable code like `netscript::exists` or `netscript::syntax`.
    pub code: String,
    pub help: Option<String>,
    pub source: Option<NamedSource<String>>,
    pub labels: Vec<LabeledSpan>,
    pub related: Vec<Report>,
    /// Call sites are shown as advice under the error, not as errors.
    pub advice: bool,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        self.advice.then_some(miette::Severity::Advice)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
        }
    }
}

/// Draw a report as text: Unicode frames, colour only when asked for,
/// wrapped at `width` columns.
pub fn render(report: &Report, color: bool, width: usize) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_context_lines(1);
    let mut out = String::new();
    if handler.render_report(&mut out, report).is_err() {
        out = format!("error: {}\n", report.message);
    }
    out
}

/// Draw a report for stderr: colour only on a terminal without NO_COLOR,
/// as wide as the terminal says (`COLUMNS`), else 100 columns.
pub fn for_stderr(report: &Report) -> String {
    use std::io::IsTerminal;
    let tty = std::io::stderr().is_terminal();
    let color = tty && std::env::var_os("NO_COLOR").is_none();
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|_| tty)
        .unwrap_or(100);
    render(report, color, width)
}
