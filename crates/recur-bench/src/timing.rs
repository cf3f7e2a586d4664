//! The behaviour model's time-to-next-purchase head against BG/NBD on a workspace: both fitted
//! on the orders and events up to a calibration end only, both asked for the probability that
//! each customer buys within the horizon after it, checked against the orders that followed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use recur_clv::{BgNbd, FitReport, ProbabilityScores, TimeUnit, Transaction, score_probabilities};
use recur_engine::prelude::Day;
use recur_engine::{
    Error, RecsOptions, Result, Workspace, transformer_settings, workspace_sequences,
};
use recur_model::{
    EventKind, Exclude, NEXT_PURCHASE_DAYS, Sequence, SequenceData, SuiteOptions, TIME_CLASSES,
    TrainObserver, TrainingReport, last_orders, next_purchase, run_suite,
};
use serde::Serialize;

const DAY_SECONDS: i64 = 86_400;
/// Width assumed for the head's open last class ("a year or more") when a window reaches into it.
const OPEN_CLASS_DAYS: f64 = 365.0;

/// What `recur eval timing` compares.
#[derive(Debug, Clone)]
pub struct TimingOptions {
    /// Last calibration day (inclusive); `None`: the last purchase day minus the horizon.
    pub calibration_end: Option<Day>,
    /// Days after the calibration end in which a purchase counts.
    pub horizon_days: u32,
}

/// The time head's training on the calibration data.
#[derive(Debug, Clone, Serialize)]
pub struct TimingTraining {
    /// Events (purchase lines, views, cart additions) up to the calibration end.
    pub events: usize,
    /// Products among them (the model's vocabulary).
    pub items: usize,
    /// Customers with any event up to the calibration end.
    pub customers: usize,
    /// What the transformer's training did.
    pub report: TrainingReport,
}

/// `recur eval timing`: the time head and BG/NBD on the same customers.
#[derive(Debug, Clone, Serialize)]
pub struct TimingEvaluation {
    /// Workspace folder.
    pub workspace: PathBuf,
    /// Last calibration day (inclusive).
    pub calibration_end: String,
    /// Horizon in days.
    pub horizon_days: u32,
    /// Last day of the horizon (the outcome window is the days after the calibration end up to
    /// and including this one).
    pub horizon_end: String,
    /// Last purchase day in the workspace.
    pub last_purchase_day: String,
    /// Customers scored: every customer with a purchase on or before the calibration end.
    pub customers: usize,
    /// Of them, those who bought within the horizon.
    pub buyers: usize,
    /// buyers / customers.
    pub base_rate: f64,
    /// The head's P(next purchase within the horizon of the customer's last event), the figure
    /// `recur recommend`, the demo, the report and the API show.
    pub time_head: ProbabilityScores,
    /// The head's distribution conditioned on no purchase between the last event and the
    /// calibration end: P(gap in (e, e + horizon] | gap > e), e = days from the last event to
    /// the end of the calibration day (linear within the head's classes).
    pub time_head_since_cut: ProbabilityScores,
    /// BG/NBD's P(at least one purchase within the horizon | x, t_x, T), fitted on the same
    /// calibration orders (weeks).
    pub bgnbd: ProbabilityScores,
    /// The BG/NBD fit.
    pub bgnbd_fit: FitReport,
    /// The transformer's training.
    pub training: TimingTraining,
    /// Seconds for the whole evaluation.
    pub seconds: f64,
}

/// The calibration part of `data`: events before `cut` (unix seconds), over a vocabulary built
/// from those events only; customers without any are left out.
fn before(data: &SequenceData, cut: i64) -> SequenceData {
    let mut out = SequenceData::default();
    for s in &data.sequences {
        let n = s.times.iter().take_while(|&&t| t < cut).count();
        if n == 0 {
            continue;
        }
        let mut seq = s.prefix(n);
        for ix in &mut seq.items {
            *ix = out.vocab.intern(data.vocab.id(*ix).unwrap_or_default());
        }
        out.sequences.push(seq);
    }
    out
}

/// P(gap < `days`) under the head's class probabilities, linear within each class (the open
/// last class taken as [`OPEN_CLASS_DAYS`] wide).
fn cdf(p: &[f32; TIME_CLASSES], days: f64) -> f64 {
    let mut lower = 0.0;
    let mut total = 0.0;
    for (c, &pc) in p.iter().enumerate() {
        let upper = NEXT_PURCHASE_DAYS
            .get(c)
            .copied()
            .unwrap_or(lower + OPEN_CLASS_DAYS);
        let share = ((days - lower) / (upper - lower)).clamp(0.0, 1.0);
        total += f64::from(pc) * share;
        lower = upper;
    }
    total.clamp(0.0, 1.0)
}

/// Trains the behaviour model and fits BG/NBD on the workspace's data up to the calibration
/// end, and scores both models' probability of a purchase within the horizon after it.
pub fn evaluate_timing(
    dir: &Path,
    options: &TimingOptions,
    recs: &RecsOptions,
    observer: &mut dyn TrainObserver,
    stop: &AtomicBool,
) -> Result<TimingEvaluation> {
    let started = std::time::Instant::now();
    let ws = Workspace::open(dir)?;
    let daily = ws.session()?.daily_purchases()?;
    let last_day = daily.iter().map(|r| r.1).max().ok_or_else(|| {
        Error::Model(recur_model::Error::NotEnoughData(
            "the workspace has no completed orders of known customers; import orders first".into(),
        ))
    })?;
    let horizon = i64::from(options.horizon_days);
    let cut = options.calibration_end.map_or(last_day - horizon, |d| d.0);
    let bad = |key: &str, value: String, hint: String| Error::BadSetting {
        key: key.into(),
        value,
        hint,
    };
    if horizon == 0 {
        return Err(bad(
            "horizon-days",
            "0".into(),
            "choose a horizon of at least one day".into(),
        ));
    }
    if cut + horizon > last_day {
        return Err(bad(
            "calibration-end",
            Day(cut).to_string(),
            format!(
                "the last purchase is on {}, so a {}-day horizon after the calibration end needs it on or before {}",
                Day(last_day),
                horizon,
                Day(last_day - horizon)
            ),
        ));
    }

    // BG/NBD on the calibration orders; the holdout count in (cut, cut + horizon] is the label.
    let tx: Vec<Transaction> = daily
        .into_iter()
        .map(|(customer_id, day, amount)| Transaction {
            customer_id: customer_id.into(),
            day,
            amount,
        })
        .collect();
    let summaries = recur_clv::summarize(&tx, cut, cut + horizon, TimeUnit::Weeks);
    let (bg, bgnbd_fit) = BgNbd::fit(&summaries)?;

    // The behaviour model on the events up to the end of the calibration day.
    let all = workspace_sequences(&ws)?;
    let cal = before(&all, Day(cut + 1).start_timestamp());
    drop(all);
    let split = last_orders(&cal);
    let n = cal.vocab.len();
    let suite = SuiteOptions {
        k: 10,
        exclude: Exclude::Nothing,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        baselines: false,
        transformer: Some(transformer_settings(
            n,
            &split.train,
            recs,
            Exclude::Nothing,
        )),
        checkpoint: None,
        item_text: None,
    };
    let (report, trained) = run_suite(&split, n, &suite, observer, stop)?;
    let (Some(trained), Some(training)) = (trained, report.transformer) else {
        return Err(Error::Model(recur_model::Error::NotEnoughData(
            "the transformer did not train".into(),
        )));
    };
    if !trained.model.config().time_head {
        return Err(Error::Model(recur_model::Error::NotEnoughData(
            "the workspace's events have no times, so the model has no time head".into(),
        )));
    }

    // Customers with a purchase up to the cut and a calibration history (the same for both).
    let buyers_before: HashSet<&str> = cal
        .sequences
        .iter()
        .filter(|s| s.events.contains(&(EventKind::Purchase as u8)))
        .map(|s| s.customer.as_str())
        .collect();
    let scored: Vec<_> = summaries
        .iter()
        .filter(|c| buyers_before.contains(c.customer_id.as_str()))
        .collect();
    let index: HashMap<&str, &Sequence> = cal
        .sequences
        .iter()
        .map(|s| (s.customer.as_str(), s))
        .collect();
    let histories: Vec<&Sequence> = scored
        .iter()
        .map(|c| index[c.customer_id.as_str()])
        .collect();
    let classes = next_purchase(&trained.model, &histories)?;
    let end = Day(cut + 1).start_timestamp();
    let h = horizon as f64;
    let (mut head, mut since_cut) = (Vec::new(), Vec::new());
    for (hist, p) in histories.iter().zip(&classes) {
        let p = p.as_ref().ok_or_else(|| {
            Error::Model(recur_model::Error::NotEnoughData(
                "the time head gave no prediction for a history".into(),
            ))
        })?;
        head.push(cdf(p, h));
        let e = (end - hist.times.last().copied().unwrap_or(end)) as f64 / DAY_SECONDS as f64;
        let survive = 1.0 - cdf(p, e);
        since_cut.push(if survive > 1e-12 {
            ((cdf(p, e + h) - cdf(p, e)) / survive).clamp(0.0, 1.0)
        } else {
            0.0
        });
    }
    let bgnbd: Vec<f64> = scored
        .iter()
        .map(|c| {
            bg.probability_of_any_purchase(h / TimeUnit::Weeks.days(), c.frequency, c.recency, c.t)
        })
        .collect();
    let labels: Vec<bool> = scored.iter().map(|c| c.holdout_frequency > 0.0).collect();
    let buyers = labels.iter().filter(|&&l| l).count();
    Ok(TimingEvaluation {
        workspace: dir.to_owned(),
        calibration_end: Day(cut).to_string(),
        horizon_days: options.horizon_days,
        horizon_end: Day(cut + horizon).to_string(),
        last_purchase_day: Day(last_day).to_string(),
        customers: scored.len(),
        buyers,
        base_rate: buyers as f64 / scored.len().max(1) as f64,
        time_head: score_probabilities(&head, &labels),
        time_head_since_cut: score_probabilities(&since_cut, &labels),
        bgnbd: score_probabilities(&bgnbd, &labels),
        bgnbd_fit,
        training: TimingTraining {
            events: cal.events(),
            items: n,
            customers: cal.sequences.len(),
            report: training,
        },
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_distribution_is_read_linearly_within_classes() {
        let mut p = [0f32; TIME_CLASSES];
        p[0] = 0.5; // [0, 7)
        p[4] = 0.5; // [60, 90)
        assert!((cdf(&p, 90.0) - 1.0).abs() < 1e-9);
        assert!((cdf(&p, 7.0) - 0.5).abs() < 1e-9);
        assert!((cdf(&p, 75.0) - 0.75).abs() < 1e-9);
        assert_eq!(cdf(&p, 0.0), 0.0);
        let mut late = [0f32; TIME_CLASSES];
        late[TIME_CLASSES - 1] = 1.0;
        assert!((cdf(&late, 365.0 + OPEN_CLASS_DAYS / 2.0) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn calibration_data_stops_at_the_cut_with_its_own_vocabulary() {
        let mut data = SequenceData::default();
        let (a, b, c) = (
            data.vocab.intern("a"),
            data.vocab.intern("b"),
            data.vocab.intern("c"),
        );
        data.sequences.push(Sequence {
            customer: "early".into(),
            items: vec![b, c],
            events: vec![1, 1],
            times: vec![10, 30],
            baskets: vec![0, 1],
            searches: Vec::new(),
        });
        data.sequences.push(Sequence {
            customer: "late".into(),
            items: vec![a],
            events: vec![1],
            times: vec![40],
            baskets: vec![0],
            searches: Vec::new(),
        });
        let cal = before(&data, 20);
        assert_eq!(cal.sequences.len(), 1);
        assert_eq!(cal.sequences[0].customer.as_str(), "early");
        assert_eq!(cal.sequences[0].len(), 1);
        assert_eq!(cal.vocab.ids(), ["b".to_owned()]);
    }
}
