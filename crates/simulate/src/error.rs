//! The crate's one error type. Invalid input names the file, the line and the key, and for
//! a number out of range the allowed range, so a user can fix the file without reading code.

use std::fmt;

/// Everything that can go wrong in the simulator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// A policy or parameter file (or another input) is invalid.
    #[error("{}", render(.file, *.line, .key, .message))]
    Invalid { file: String, line: usize, key: String, message: String },
    /// The core refused an input (passed through from `spreiding-core`).
    #[error("{0}")]
    Core(String),
}

fn render(file: &str, line: usize, key: &str, message: &str) -> String {
    let mut s = String::new();
    if !file.is_empty() {
        s.push_str(file);
        if line > 0 {
            s.push_str(&format!(":{line}"));
        }
        s.push_str(": ");
    }
    if !key.is_empty() {
        s.push_str(key);
        s.push_str(": ");
    }
    s.push_str(message);
    s
}

impl SimError {
    pub fn invalid(file: &str, line: usize, key: &str, message: impl fmt::Display) -> Self {
        SimError::Invalid { file: file.to_string(), line, key: key.to_string(), message: message.to_string() }
    }
    /// An argument error that belongs to no file.
    pub fn argument(message: impl fmt::Display) -> Self {
        SimError::invalid("", 0, "", message)
    }
}

impl From<spreiding_core::CoreError> for SimError {
    fn from(e: spreiding_core::CoreError) -> Self {
        SimError::Core(e.to_string())
    }
}

/// 1-based line of byte offset `pos` in `text`.
pub(crate) fn line_at(text: &str, pos: usize) -> usize {
    text[..pos.min(text.len())].matches('\n').count() + 1
}

/// Turn a toml parse error into a line-numbered [`SimError`].
pub(crate) fn from_toml(file: &str, text: &str, e: &toml::de::Error, hint: &str) -> SimError {
    let line = e.span().map(|s| line_at(text, s.start)).unwrap_or(0);
    SimError::invalid(file, line, "", format!("{}; {hint}", e.message().trim()))
}
