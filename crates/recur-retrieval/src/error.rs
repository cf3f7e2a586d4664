//! Errors of the retrieval crate.

use std::path::PathBuf;

/// What went wrong in the index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file of the index failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A stored file of the index is not what this version wrote.
    #[error(
        "{path}: the index file is damaged ({reason}); remove the folder and import the knowledge again"
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Another process is writing the index.
    #[error(
        "the knowledge index at {path} is being updated by another process; wait for it to finish and try again"
    )]
    Busy {
        /// The index folder.
        path: PathBuf,
    },
    /// Two passages of one import share an id.
    #[error("passage id `{id}` appears twice in source `{source_name}`; ids must be unique")]
    DuplicateId {
        /// The id.
        id: String,
        /// The source.
        source_name: String,
    },
    /// The embedder failed or returned vectors of the wrong shape.
    #[error("embedding passages failed: {0}")]
    Embed(String),
    /// An error inside the full-text engine.
    #[error("full-text index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// Result with the crate's error.
pub type Result<T> = std::result::Result<T, Error>;
