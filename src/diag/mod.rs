//! Diagnostics: script errors as miette reports pointing into the source.
//! The only code that renders.

mod build;
pub mod internal;
mod report;
pub mod signature;
mod span;
pub mod suggest;

pub use build::{Sources, blank_shebang, from_eval, from_parse};
pub use report::{Report, for_stderr, render};
pub use span::{byte_offset, call_span, token_span, unclosed};
