//! Compares the transformer with the baselines on a `user item` file (e.g. Amazon Beauty):
//! `cargo run --release -p recur-model --example sequences -- PATH [EPOCHS] [MAX_SECONDS]`.

use std::sync::atomic::AtomicBool;

use recur_model::{
    EpochReport, Exclude, SuiteOptions, TrainConfig, TrainObserver, config_for, leave_one_out,
    load_user_item_pairs, run_suite,
};

struct Print;

impl TrainObserver for Print {
    fn on_epoch(&mut self, r: &EpochReport) {
        eprintln!(
            "epoch {:>3}  loss {:.4}  val ndcg@10 {:.4}  hr@10 {:.4}  {:>6.0}s{}",
            r.epoch,
            r.loss,
            r.ndcg,
            r.hit_rate,
            r.elapsed_seconds,
            if r.best { "  *" } else { "" }
        );
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .ok_or_else(|| anyhow::anyhow!("usage: sequences PATH [EPOCHS] [MAX_SECONDS]"))?;
    let epochs: usize = args.get(2).map_or(Ok(200), |s| s.parse())?;
    let max_seconds: Option<f64> = args.get(3).map(|s| s.parse()).transpose()?;
    let data = load_user_item_pairs(path.as_ref())?;
    let split = leave_one_out(&data);
    let cfg = config_for(data.vocab.len(), &split.train);
    let tc = TrainConfig {
        epochs,
        max_seconds,
        exclude: Exclude::Seen,
        learning_rate: std::env::var("LR").map_or(Ok(1e-3), |s| s.parse())?,
        negatives: std::env::var("NEG").map_or(Ok(2048), |s| s.parse())?,
        batch_size: std::env::var("BATCH").map_or(Ok(128), |s| s.parse())?,
        ..TrainConfig::default()
    };
    let options = SuiteOptions {
        k: 10,
        exclude: Exclude::Seen,
        threads: 2,
        baselines: std::env::var_os("NO_BASELINES").is_none(),
        transformer: Some((cfg, tc)),
        checkpoint: None,
        item_text: None,
    };
    let (report, _) = run_suite(
        &split,
        data.vocab.len(),
        &options,
        &mut Print,
        &AtomicBool::new(false),
    )?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
