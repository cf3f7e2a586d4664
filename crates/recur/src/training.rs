//! What `recur train` and `recur eval recs` share: the training flags as engine options, and
//! a progress bar over training steps with the loss and the validation metrics.

use indicatif::ProgressBar;
use recur_engine::RecsOptions;
use recur_engine::model::{EpochReport, TrainObserver};

use crate::cli::TrainingArgs;

/// The training flags as the engine's options.
pub(crate) fn options(
    t: &TrainingArgs,
    baselines_only: bool,
    device: recur_engine::llm::ComputeDevice,
) -> RecsOptions {
    RecsOptions {
        seed: t.seed,
        epochs: t.epochs,
        max_seconds: Some(t.max_seconds),
        baselines_only,
        hidden: t.hidden,
        learning_rate: t.learning_rate,
        dropout: t.dropout,
        negatives: t.negatives,
        device,
        searches: !t.no_searches,
    }
}

/// A progress bar over training steps with the loss and the validation metrics.
pub(crate) struct TrainBar {
    bar: ProgressBar,
    quiet: bool,
}

impl TrainBar {
    pub(crate) fn new(quiet: bool) -> Self {
        let bar = crate::progress::styled_bar(
            quiet,
            "{spinner} epoch {prefix} [{bar:30}] {pos}/{len} {msg} ({eta})",
        );
        Self { bar, quiet }
    }

    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl TrainObserver for TrainBar {
    fn on_start(&mut self, _epochs: usize, steps_per_epoch: usize) {
        self.bar.set_length(steps_per_epoch as u64);
    }

    fn on_step(&mut self, epoch: usize, step: usize, loss: f32) {
        self.bar.set_prefix(epoch.to_string());
        self.bar.set_position(step as u64 + 1);
        if step.is_multiple_of(10) {
            self.bar.set_message(format!("loss {loss:.3}"));
        }
    }

    fn on_epoch(&mut self, r: &EpochReport) {
        if !self.quiet {
            self.bar.println(format!(
                "epoch {:>3}  loss {:.4}  validation NDCG@10 {:.4}  HR@10 {:.4}  {:>5.0} s{}",
                r.epoch,
                r.loss,
                r.ndcg,
                r.hit_rate,
                r.elapsed_seconds,
                if r.best { "  (best)" } else { "" }
            ));
        }
        self.bar.set_position(0);
    }
}
