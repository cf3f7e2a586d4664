//! Progress bars on stderr (hidden when stderr is not a terminal or with --quiet).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use recur_engine::prelude::{DemoObserver, Progress};

pub(crate) struct Bar {
    bar: ProgressBar,
}

impl Bar {
    pub(crate) fn new(quiet: bool) -> Bar {
        let bar = ProgressBar::with_draw_target(
            Some(0),
            if quiet {
                ProgressDrawTarget::hidden()
            } else {
                ProgressDrawTarget::stderr()
            },
        );
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Bar { bar }
    }

    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn start(&self, total_bytes: u64) {
        self.bar.reset();
        self.bar.set_length(total_bytes);
        self.bar.set_message("importing");
    }

    fn advance(&self, bytes: u64) {
        self.bar.set_position(bytes);
    }
}

/// A bar on stderr with `template`, hidden when `quiet`.
pub(crate) fn styled_bar(quiet: bool, template: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(0),
        if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    bar.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// A bar counting items (messages sent), hidden when `quiet`.
pub(crate) fn count_bar(quiet: bool, message: &'static str) -> ProgressBar {
    let bar = styled_bar(
        quiet,
        "{spinner} {msg} [{bar:30}] {pos}/{len} ({per_sec}, {eta})",
    );
    bar.set_message(message);
    bar
}

pub(crate) struct Stages {
    pub(crate) bar: Bar,
    pub(crate) quiet: bool,
}

impl DemoObserver for Stages {
    fn stage(&self, name: &str) {
        self.bar.finish();
        if !self.quiet {
            eprintln!("• {name}");
        }
    }

    fn import_progress(&self) -> &dyn Progress {
        &self.bar
    }
}
