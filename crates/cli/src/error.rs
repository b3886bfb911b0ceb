//! The CLI's one error type and the one place that maps failures to exit codes.

use std::process::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: a file, a field, an argument. Exit code 2.
    #[error("{0}")]
    Input(String),
    /// A rule of the law or the cycle forbids it. Exit code 3.
    #[error("{0}")]
    Refused(String),
    /// Reading or writing a file failed. Exit code 1.
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// Anything else (database, server). Exit code 1.
    #[error("{0}")]
    Other(String),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Input(_) => ExitCode::from(2),
            CliError::Refused(_) => ExitCode::from(3),
            CliError::Io { .. } | CliError::Other(_) => ExitCode::from(1),
        }
    }
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        CliError::Io { path: path.as_ref().display().to_string(), source }
    }
}

impl From<spreiding_core::CoreError> for CliError {
    fn from(e: spreiding_core::CoreError) -> Self {
        match e {
            spreiding_core::CoreError::Invalid { .. } => CliError::Input(e.to_string()),
            spreiding_core::CoreError::Conflict(m) => CliError::Refused(m),
        }
    }
}

pub type Result<T, E = CliError> = std::result::Result<T, E>;
