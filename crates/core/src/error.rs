//! The core's one error type. Every message is written for the person who has to fix
//! the input: it names the file, line and field where known, and says what to do.

use std::fmt;

/// Where in an input a problem sits: `file:line: field`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub file: String,
    /// 1-based line number (the header is line 1); 0 when not line-bound.
    pub line: usize,
    pub field: String,
}

impl Located {
    pub fn new(file: &str, line: usize, field: &str) -> Self {
        Located { file: file.to_string(), line, field: field.to_string() }
    }
}

/// Errors of the pure core. `Invalid` is bad input (exit code 2 / HTTP 422);
/// `Conflict` is a legal or state rule that forbids the action (HTTP 409).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    #[error("{}", render(.at, .message))]
    Invalid { message: String, at: Option<Located> },
    #[error("{0}")]
    Conflict(String),
}

fn render(at: &Option<Located>, message: &str) -> String {
    match at {
        None => message.to_string(),
        Some(l) => {
            let mut s = l.file.clone();
            if l.line > 0 {
                s.push_str(&format!(":{}", l.line));
            }
            s.push_str(": ");
            if !l.field.is_empty() {
                s.push_str(&l.field);
                s.push_str(": ");
            }
            s.push_str(message);
            s
        }
    }
}

impl CoreError {
    pub fn invalid(message: impl fmt::Display) -> Self {
        CoreError::Invalid { message: message.to_string(), at: None }
    }
    pub fn conflict(message: impl fmt::Display) -> Self {
        CoreError::Conflict(message.to_string())
    }
    /// Attach a location (keeps an existing, more precise one).
    pub fn at(self, loc: Located) -> Self {
        match self {
            CoreError::Invalid { message, at: None } => CoreError::Invalid { message, at: Some(loc) },
            other => other,
        }
    }
}
