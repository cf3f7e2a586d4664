//! What every command shares: the workspace folder and quiet flag from the parsed command
//! line, settings layered as defaults < `recur.toml` < `RECUR_*` environment < flags, and the
//! one way to print a JSON document.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use recur_engine::prelude::{Error, Settings, Workspace};
use recur_engine::{KEYS, SETTINGS_FILE};
use serde::Serialize;

use crate::cli::Cli;

/// Built once from the parsed command line and handed to every command.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// The `--workspace` folder (default `.`).
    pub(crate) workspace: PathBuf,
    /// `--quiet`: no progress bars.
    pub(crate) quiet: bool,
    /// `--device`, applied over recur.toml and the environment.
    pub(crate) device: Option<String>,
}

impl Context {
    pub(crate) fn new(cli: &Cli) -> Context {
        Context {
            workspace: cli.workspace.clone(),
            quiet: cli.quiet,
            device: cli.device.clone(),
        }
    }

    /// Whether progress output is hidden: `--quiet`, or `json` (stdout is a document).
    pub(crate) fn quiet_or(&self, json: bool) -> bool {
        self.quiet || json
    }

    /// `path` resolved against the workspace folder unless it is absolute.
    pub(crate) fn in_workspace(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_owned()
        } else {
            self.workspace.join(path)
        }
    }

    /// Settings layered as defaults < recur.toml < RECUR_* environment (flags are applied by
    /// callers); fails without a workspace.
    pub(crate) fn settings(&self) -> Result<Settings> {
        let path = self.workspace.join(SETTINGS_FILE);
        if !path.exists() {
            return Err(Error::NoWorkspace(self.workspace.clone()).into());
        }
        let mut s = Settings::from_file(&path)?;
        apply_environment(&mut s)?;
        self.apply_global_flags(&mut s)?;
        Ok(s)
    }

    /// Like [`Context::settings`], but without a workspace the defaults (with the
    /// environment) apply.
    pub(crate) fn settings_or_defaults(&self) -> Result<Settings> {
        if self.workspace.join(SETTINGS_FILE).exists() {
            return self.settings();
        }
        let mut s = Settings::default();
        apply_environment(&mut s)?;
        self.apply_global_flags(&mut s)?;
        Ok(s)
    }

    /// The flags every command takes that override a setting (`--device`).
    fn apply_global_flags(&self, s: &mut Settings) -> Result<()> {
        if let Some(d) = &self.device {
            s.set("device", d).context("from --device")?;
        }
        Ok(())
    }

    /// The workspace with its settings, overridden by the `flags` that were given
    /// (`(setting key, value)`).
    pub(crate) fn open_workspace(&self, flags: &[(&str, Option<String>)]) -> Result<Workspace> {
        let mut s = self.settings()?;
        for (key, value) in flags {
            if let Some(v) = value {
                s.set(key, v)?;
            }
        }
        Ok(Workspace::open_with(&self.workspace, s)?)
    }
}

/// Applies the RECUR_* environment variables that are set.
fn apply_environment(s: &mut Settings) -> Result<()> {
    for (key, env, _) in KEYS {
        if let Ok(v) = std::env::var(env) {
            s.set(key, &v)
                .with_context(|| format!("from environment variable {env}"))?;
        }
    }
    Ok(())
}

/// Prints `value` to stdout as one pretty-printed JSON document.
pub(crate) fn print_json(value: &impl Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
