//! Non-seekable sources (`--file /dev/stdin`, a named pipe) are copied into the store before
//! an import reads them twice (hash, then rows).

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::store::Store;

/// A copy of a non-seekable source (a pipe) in the store, removed when dropped.
pub(crate) struct Spool {
    pub(crate) path: PathBuf,
    pub(crate) meta: std::fs::Metadata,
}

impl Spool {
    pub(crate) fn copy(store: &Store, from: &Path) -> Result<Spool> {
        // Under `.staging`, which the next import sweeps if this one is killed.
        let dir = store.root().join(".staging");
        let path = dir.join(format!("spool-{}", std::process::id()));
        let io = |action: &'static str, path: &Path| {
            let path = path.to_owned();
            move |source| Error::Io {
                path,
                action,
                source,
            }
        };
        std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
        let mut input = File::open(from).map_err(io("read", from))?;
        let mut out =
            File::create(&path).map_err(io("write a spool copy of the input to", &path))?;
        std::io::copy(&mut input, &mut out).map_err(io("copy the input into", &path))?;
        let meta = out.metadata().map_err(io("read", &path))?;
        Ok(Spool { path, meta })
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
