//! Reading GGUF files: metadata access with errors that name the file and key.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{Content, Value};

use crate::error::{Error, Result};

/// Where a GGUF file's bytes are read from: the file, or memory.
pub(crate) trait Source: Read + Seek + Send {}

impl<T: Read + Seek + Send> Source for T {}

/// An opened GGUF file: its header (metadata and tensor index) and a reader for the tensors.
pub(crate) struct GgufFile {
    pub(crate) path: PathBuf,
    pub(crate) content: Content,
    pub(crate) reader: BufReader<Box<dyn Source>>,
}

impl GgufFile {
    pub(crate) fn open(path: &Path) -> Result<GgufFile> {
        let file = File::open(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                Error::ModelNotFound {
                    path: path.to_owned(),
                    hint: "run scripts/setup-models for the default model, or set llm.model in recur.toml / RECUR_LLM_MODEL / --model to a GGUF file".into(),
                }
            } else {
                Error::Io { path: path.to_owned(), source }
            }
        })?;
        GgufFile::read(path, Box::new(file))
    }

    /// A GGUF file already in memory; `label` names it in messages.
    pub(crate) fn from_bytes(label: &Path, bytes: Vec<u8>) -> Result<GgufFile> {
        GgufFile::read(label, Box::new(Cursor::new(bytes)))
    }

    fn read(path: &Path, source: Box<dyn Source>) -> Result<GgufFile> {
        let mut reader = BufReader::new(source);
        let content = Content::read(&mut reader).map_err(|e| Error::BadModel {
            path: path.to_owned(),
            reason: format!("not a readable GGUF file ({e})"),
        })?;
        Ok(GgufFile {
            path: path.to_owned(),
            content,
            reader,
        })
    }

    pub(crate) fn metadata(&self) -> Metadata<'_> {
        Metadata {
            path: &self.path,
            map: &self.content.metadata,
        }
    }
}

/// Typed access to GGUF metadata.
#[derive(Clone, Copy)]
pub(crate) struct Metadata<'a> {
    pub(crate) path: &'a Path,
    pub(crate) map: &'a HashMap<String, Value>,
}

impl<'a> Metadata<'a> {
    fn bad(&self, key: &str, what: &str) -> Error {
        Error::BadModel {
            path: self.path.to_owned(),
            reason: format!("metadata `{key}` {what}"),
        }
    }

    fn get(&self, key: &str) -> Result<&'a Value> {
        self.map.get(key).ok_or_else(|| self.bad(key, "is missing"))
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub(crate) fn str(&self, key: &str) -> Result<&'a str> {
        self.get(key)?
            .to_string()
            .map(String::as_str)
            .map_err(|_| self.bad(key, "is not a string"))
    }

    pub(crate) fn opt_str(&self, key: &str) -> Option<&'a str> {
        self.map
            .get(key)
            .and_then(|v| v.to_string().ok())
            .map(String::as_str)
    }

    pub(crate) fn u32(&self, key: &str) -> Result<u32> {
        let v = self.get(key)?;
        as_u64(v)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| self.bad(key, "is not an unsigned integer"))
    }

    pub(crate) fn opt_u32(&self, key: &str) -> Option<u32> {
        self.map
            .get(key)
            .and_then(as_u64)
            .and_then(|n| u32::try_from(n).ok())
    }

    pub(crate) fn f32(&self, key: &str) -> Result<f32> {
        match self.get(key)? {
            Value::F32(x) => Ok(*x),
            Value::F64(x) => Ok(*x as f32),
            _ => Err(self.bad(key, "is not a number")),
        }
    }

    pub(crate) fn opt_f32(&self, key: &str) -> Option<f32> {
        self.map
            .contains_key(key)
            .then(|| self.f32(key).ok())
            .flatten()
    }

    pub(crate) fn opt_bool(&self, key: &str) -> Option<bool> {
        self.map.get(key).and_then(|v| v.to_bool().ok())
    }

    fn array(&self, key: &str) -> Result<&'a Vec<Value>> {
        self.get(key)?
            .to_vec()
            .map_err(|_| self.bad(key, "is not an array"))
    }

    pub(crate) fn strings(&self, key: &str) -> Result<Vec<&'a str>> {
        let arr = self.array(key)?;
        arr.iter()
            .map(|v| {
                v.to_string()
                    .map(String::as_str)
                    .map_err(|_| self.bad(key, "has a non-string element"))
            })
            .collect()
    }

    pub(crate) fn ints(&self, key: &str) -> Result<Vec<i64>> {
        let arr = self.array(key)?;
        arr.iter()
            .map(|v| match v {
                Value::I8(x) => Ok(i64::from(*x)),
                Value::I16(x) => Ok(i64::from(*x)),
                Value::I32(x) => Ok(i64::from(*x)),
                Value::I64(x) => Ok(*x),
                other => as_u64(other)
                    .and_then(|n| i64::try_from(n).ok())
                    .ok_or_else(|| self.bad(key, "has a non-integer element")),
            })
            .collect()
    }

    pub(crate) fn floats(&self, key: &str) -> Result<Vec<f32>> {
        let arr = self.array(key)?;
        arr.iter()
            .map(|v| match v {
                Value::F32(x) => Ok(*x),
                Value::F64(x) => Ok(*x as f32),
                _ => Err(self.bad(key, "has a non-number element")),
            })
            .collect()
    }
}

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::U8(x) => Some(u64::from(*x)),
        Value::U16(x) => Some(u64::from(*x)),
        Value::U32(x) => Some(u64::from(*x)),
        Value::U64(x) => Some(*x),
        Value::I8(x) => u64::try_from(*x).ok(),
        Value::I16(x) => u64::try_from(*x).ok(),
        Value::I32(x) => u64::try_from(*x).ok(),
        Value::I64(x) => u64::try_from(*x).ok(),
        _ => None,
    }
}
