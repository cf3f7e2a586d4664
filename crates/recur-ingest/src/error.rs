use std::path::PathBuf;

use recur_core::Table;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Import and storage errors. Row-level problems are not errors: they are quarantined and
/// counted. These errors stop an import; the workspace is left exactly as it was.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("could not {action} `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The mapping file is not valid TOML or has unknown keys.
    #[error("mapping `{path}` is invalid: {message}")]
    Mapping {
        /// Mapping file.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// No preset of that name for the table.
    #[error("no preset `{name}` for table `{table}`; presets: {known}")]
    UnknownPreset {
        /// Requested preset.
        name: String,
        /// Target table.
        table: Table,
        /// Known presets.
        known: String,
    },
    /// A mapping names a field the table does not have.
    #[error("`{field}` is not a field of table `{table}`; fields: {known}")]
    UnknownField {
        /// Target table.
        table: Table,
        /// Unknown name.
        field: String,
        /// Known fields.
        known: String,
    },
    /// A mapping option has a bad value.
    #[error("mapping option `{option}` = `{value}` is invalid: {hint}")]
    BadOption {
        /// Option name.
        option: &'static str,
        /// Given value.
        value: String,
        /// What to do.
        hint: &'static str,
    },
    /// The format could not be told from the file name.
    #[error(
        "cannot tell the format of `{0}` from its name; pass --format csv|jsonl|parquet|whitespace"
    )]
    UnknownFormat(PathBuf),
    /// Required columns are missing from the source.
    #[error(
        "`{path}` lacks {missing} needed for table `{table}`.\n  Columns found: {found}\n  Hint: map them in a mapping file, e.g.\n    [columns]\n{example}"
    )]
    MissingColumns {
        /// Source file.
        path: PathBuf,
        /// Target table.
        table: Table,
        /// Description of the missing columns.
        missing: String,
        /// Columns present in the file.
        found: String,
        /// Example mapping lines.
        example: String,
    },
    /// The source has no bytes at all.
    #[error(
        "`{0}` is empty (0 bytes): there is no header and no data to import; check that the export finished writing"
    )]
    EmptyFile(PathBuf),
    /// The source is UTF-16 encoded.
    #[error(
        "`{0}` is UTF-16 encoded (byte-order mark found); re-export it as UTF-8, e.g. `iconv -f UTF-16 -t UTF-8`"
    )]
    Utf16(PathBuf),
    /// The source is structurally unreadable (truncated gzip, corrupt Parquet, ...).
    #[error("`{path}` is unreadable after line {line}: {message}; nothing was imported")]
    Corrupt {
        /// Source file.
        path: PathBuf,
        /// Last line read successfully.
        line: u64,
        /// What went wrong.
        message: String,
    },
    /// A time zone name is unknown.
    #[error("unknown time zone `{0}`; use an IANA name such as `Europe/London` or `UTC`")]
    TimeZone(String),
    /// Another process holds the workspace lock.
    #[error(
        "another recur process is writing to this workspace (lock `{0}` is held); wait for it to finish and retry"
    )]
    Locked(PathBuf),
    /// The folder is not a recur workspace.
    #[error("`{0}` is not a recur workspace (no data/manifest.json); run `recur init` first")]
    NotAWorkspace(PathBuf),
    /// The manifest is damaged.
    #[error(
        "workspace manifest `{path}` is damaged: {message}; restore it from backup or re-import into a new workspace"
    )]
    BadManifest {
        /// Manifest path.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// Writing the stored files failed (a full disk, a read-only folder...).
    #[error(
        "could not write the workspace's data files: {0}; free disk space (or fix the folder's permissions) and run it again; nothing was changed"
    )]
    Write(#[source] std::io::Error),
    /// No import with that id.
    #[error(
        "no import `{id}` in this workspace (imports: {known}); `recur import list` shows them"
    )]
    NoSuchImport {
        /// The id asked for.
        id: String,
        /// The ids there are.
        known: String,
    },
    /// An internal error: a bug in recur.
    #[error("internal error (a bug in recur, please report it with the command you ran): {0}")]
    Internal(String),
}

/// Whether an I/O error means the disk or folder cannot take the files (full, read-only, over
/// quota): the user's to mend. Other I/O errors inside the Parquet and Arrow writers and
/// readers stay internal.
fn out_of_room(io: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        io.kind(),
        ErrorKind::StorageFull | ErrorKind::ReadOnlyFilesystem | ErrorKind::QuotaExceeded
    )
}

impl From<arrow::error::ArrowError> for Error {
    fn from(e: arrow::error::ArrowError) -> Self {
        match e {
            arrow::error::ArrowError::IoError(_, io) if out_of_room(&io) => Error::Write(io),
            e => Error::Internal(format!("arrow: {e}")),
        }
    }
}

impl From<parquet::errors::ParquetError> for Error {
    fn from(e: parquet::errors::ParquetError) -> Self {
        match e {
            parquet::errors::ParquetError::External(inner) => {
                match inner.downcast::<std::io::Error>() {
                    Ok(io) if out_of_room(&io) => Error::Write(*io),
                    Ok(io) => Error::Internal(format!("parquet: {io}")),
                    Err(other) => Error::Internal(format!("parquet: {other}")),
                }
            }
            e => Error::Internal(format!("parquet: {e}")),
        }
    }
}

impl Error {
    /// Whether the error is caused by input or usage (as opposed to a bug).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, Error::Internal(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_while_writing_parquet_is_the_users_to_mend() {
        let full = std::io::Error::from_raw_os_error(28); // ENOSPC
        let e = Error::from(parquet::errors::ParquetError::from(full));
        assert!(matches!(e, Error::Write(_)), "{e:?}");
        assert!(e.is_user_error());
        assert!(e.to_string().contains("free disk space"), "{e}");
        let full = std::io::Error::from_raw_os_error(28);
        let e = Error::from(arrow::error::ArrowError::from(full));
        assert!(matches!(e, Error::Write(_)) && e.is_user_error(), "{e:?}");
        let bug = Error::from(parquet::errors::ParquetError::General("x".into()));
        assert!(!bug.is_user_error());
        // A failed read of a stored file is not a full disk.
        let eof = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        let e = Error::from(parquet::errors::ParquetError::from(eof));
        assert!(!e.is_user_error(), "{e:?}");
    }
}
