//! Errors of the command line itself, and how an error becomes an exit code and a message.
//!
//! Exit codes: 1 when the user can fix it (a [`UsageError`] raised here, or an engine error
//! the engine classifies as the user's), 3 otherwise (a bug: please report it).

use std::fmt;
use std::path::Path;

/// A mistake in the command line's input (a flag, a path the user gave) that the user can fix.
/// The message says what went wrong, where, and what to do.
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A [`UsageError`] with `message`, as an `anyhow::Error`.
pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// Fails with a [`UsageError`] unless `path` (given with `flag`) is an existing file.
pub(crate) fn require_file(path: &Path, flag: &str) -> anyhow::Result<()> {
    if path.is_file() {
        return Ok(());
    }
    let what = if path.is_dir() {
        "is a folder, not a file"
    } else {
        "does not exist"
    };
    Err(usage(format!(
        "{flag} `{}` {what}; check the path (a relative path starts at the current folder)",
        path.display()
    )))
}

/// Fails with a [`UsageError`] unless `path` (given with `flag`) is an existing folder.
pub(crate) fn require_dir(path: &Path, flag: &str) -> anyhow::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    let what = if path.exists() {
        "is a file, not a folder"
    } else {
        "does not exist"
    };
    Err(usage(format!(
        "{flag} `{}` {what}; check the path (a relative path starts at the current folder)",
        path.display()
    )))
}

/// Fails with a [`UsageError`] when `dir` (given with `flag`), or a folder above it, exists as
/// something other than a folder, so that the folder cannot be created there.
pub(crate) fn require_creatable_dir(dir: &Path, flag: &str) -> anyhow::Result<()> {
    for p in dir.ancestors().filter(|p| !p.as_os_str().is_empty()) {
        if p.exists() && !p.is_dir() {
            let message = if p == dir {
                format!(
                    "{flag} `{}` is a file, not a folder; choose another folder",
                    dir.display()
                )
            } else {
                format!(
                    "cannot create the folder `{}` ({flag}): `{}` is a file, not a folder; choose another folder",
                    dir.display(),
                    p.display()
                )
            };
            return Err(usage(message));
        }
    }
    Ok(())
}

/// Whether `err` is the user's to fix (exit 1) rather than a bug (exit 3).
pub(crate) fn is_user_error(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|c| c.downcast_ref::<UsageError>().is_some())
        || err
            .downcast_ref::<recur_engine::Error>()
            .is_some_and(recur_engine::Error::is_user_error)
        || err
            .downcast_ref::<recur_server::Error>()
            .is_some_and(recur_server::Error::is_user_error)
}

/// `err` and its causes joined with `: `, each cause once: a cause whose text the previous
/// message already contains (an OS error quoted by the error that wraps it) is left out.
pub(crate) fn message(err: &anyhow::Error) -> String {
    let mut out = String::new();
    let mut previous = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !previous.is_empty() && previous.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
        previous = text;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(std::io::Error);

    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "could not read `x`: {}", self.0)
        }
    }

    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn each_cause_is_printed_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let err = anyhow::Error::new(Wrapper(io)).context("importing");
        assert_eq!(message(&err), "importing: could not read `x`: No such file");
    }

    #[test]
    fn usage_errors_are_the_users_even_under_context() {
        let err = usage("bad flag").context("while doing it");
        assert!(is_user_error(&err));
        assert!(!is_user_error(&anyhow::anyhow!("a bug")));
    }
}
