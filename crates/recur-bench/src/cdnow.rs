//! The CDNOW reference: the published fits on the 1/10th sample, the calibration/holdout
//! evaluation, and the timing benchmark on the full master file.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use recur_clv::{
    BgNbd, CustomerSummary, FitReport, GammaGamma, HoldoutEvaluation, ParetoNbd, Scorer, TimeUnit,
    Transaction, Valuation, cumulative_tracking, evaluate_holdout, frequency_spend_correlation,
    summarize,
};
use serde::Serialize;

use recur_engine::{Error, Result};

/// One model's fit beside the published values.
#[derive(Debug, Clone, Serialize)]
pub struct ModelCheck {
    /// Fitted parameters by name.
    pub params: BTreeMap<&'static str, f64>,
    /// Standard errors by name.
    pub std_errors: BTreeMap<&'static str, f64>,
    /// Maximised log-likelihood (not reported for Gamma-Gamma in the paper).
    pub log_likelihood: f64,
    /// Published values by name (`log_likelihood` included where published).
    pub published: BTreeMap<&'static str, f64>,
    /// |fitted - published| / |published| by name.
    pub relative_error: BTreeMap<&'static str, f64>,
    /// Whether every published value is matched within 1 %.
    pub within_1pct: bool,
    /// Customers the model was fitted on.
    pub customers: usize,
}

/// How the summary built from raw transactions compares with the published summary file.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryCheck {
    /// Customers in the raw-transaction summary.
    pub customers_from_transactions: usize,
    /// Customers in `cdnow_customers_summary.csv`.
    pub customers_in_summary_file: usize,
    /// Customers whose frequency agrees exactly.
    pub frequency_equal: usize,
    /// Largest |difference| in recency (weeks).
    pub max_recency_diff: f64,
    /// Largest |difference| in T (weeks).
    pub max_t_diff: f64,
    /// BG/NBD fitted on the summary file, for comparison with the fit on raw transactions.
    pub bgnbd_on_summary_file: BTreeMap<&'static str, f64>,
}

/// Customers with a given number of calibration repeat purchases: actual vs expected count.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationFrequency {
    /// Repeat purchases in calibration ("7+" for the last bucket).
    pub repeat_purchases: String,
    /// Customers observed.
    pub actual: f64,
    /// Customers expected by BG/NBD (sum of P(X(T_i) = x) over customers).
    pub bgnbd: f64,
}

/// One week of the cumulative repeat-purchase tracking, both models side by side.
#[derive(Debug, Clone, Serialize)]
pub struct TrackingWeek {
    /// Week since 1997-01-01 (1-based).
    pub week: u32,
    /// Whether the week lies in the holdout period.
    pub holdout: bool,
    /// Actual cumulative repeat purchases.
    pub actual: f64,
    /// BG/NBD prediction.
    pub bgnbd: f64,
    /// Pareto/NBD prediction.
    pub pareto_nbd: f64,
}

/// Calibration/holdout accuracy of the two purchase models.
#[derive(Debug, Clone, Serialize)]
pub struct CdnowHoldout {
    /// BG/NBD.
    pub bgnbd: HoldoutEvaluation,
    /// Pareto/NBD.
    pub pareto_nbd: HoldoutEvaluation,
}

/// The CDNOW reference evaluation (39-week calibration, weeks).
#[derive(Debug, Clone, Serialize)]
pub struct CdnowEvaluation {
    /// BG/NBD.
    pub bgnbd: ModelCheck,
    /// Pareto/NBD.
    pub pareto_nbd: ModelCheck,
    /// Gamma-Gamma.
    pub gamma_gamma: ModelCheck,
    /// Correlation of frequency and mean spend among repeat buyers (model assumes ~0).
    pub frequency_spend_correlation: f64,
    /// Raw transactions vs the published summary.
    pub summary_check: SummaryCheck,
    /// How well the calibration frequencies are reproduced.
    pub calibration_frequency: Vec<CalibrationFrequency>,
    /// Holdout (weeks 40-78) accuracy.
    pub holdout: CdnowHoldout,
    /// Weekly cumulative repeat purchases, weeks 1-78.
    pub tracking: Vec<TrackingWeek>,
}

fn day_number(yyyymmdd: &str) -> Option<i64> {
    NaiveDate::parse_from_str(yyyymmdd, "%Y%m%d")
        .ok()
        .map(|d| d.signed_duration_since(NaiveDate::default()).num_days())
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|error| Error::ReadInput {
        path: path.to_owned(),
        error,
    })
}

fn bad_line(path: &Path, line: usize, message: String, hint: &'static str) -> Error {
    Error::BadInput {
        path: path.to_owned(),
        line,
        message,
        hint,
    }
}

const SAMPLE_HINT: &str =
    "expected the CDNOW sample format: customer id, id in the sample, YYYYMMDD, CDs, dollars";
const MASTER_HINT: &str = "expected the CDNOW master format: customer id, YYYYMMDD, CDs, dollars";
const SUMMARY_HINT: &str = "expected columns id,frequency,recency,T with numbers";

/// Reads `CDNOW_sample.txt` (5 columns; customers are numbered by the second column).
fn read_sample(path: &Path) -> Result<Vec<Transaction>> {
    let text = read(path)?;
    let mut tx = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        let bad = |what: String| bad_line(path, i + 1, what, SAMPLE_HINT);
        if f.len() != 5 {
            return Err(bad(format!("{} fields instead of 5", f.len())));
        }
        let day = day_number(f[2]).ok_or_else(|| bad(format!("bad date `{}`", f[2])))?;
        let amount: f64 = f[4]
            .parse()
            .map_err(|_| bad(format!("bad amount `{}`", f[4])))?;
        let id: u64 = f[1]
            .parse()
            .map_err(|_| bad(format!("bad customer number `{}`", f[1])))?;
        tx.push(Transaction {
            customer_id: id.to_string().into(),
            day,
            amount,
        });
    }
    Ok(tx)
}

fn check(fit: &FitReport, published: &[(&'static str, f64)]) -> ModelCheck {
    let params: BTreeMap<&'static str, f64> = fit
        .names
        .iter()
        .copied()
        .zip(fit.params.iter().copied())
        .collect();
    let std_errors = fit
        .names
        .iter()
        .copied()
        .zip(fit.std_errors.iter().copied())
        .collect();
    let mut relative_error = BTreeMap::new();
    let mut published_map = BTreeMap::new();
    for (name, value) in published {
        let got = if *name == "log_likelihood" {
            fit.log_likelihood
        } else {
            params.get(name).copied().unwrap_or(f64::NAN)
        };
        published_map.insert(*name, *value);
        relative_error.insert(*name, ((got - value) / value).abs());
    }
    ModelCheck {
        within_1pct: relative_error.values().all(|e| *e <= 0.01),
        params,
        std_errors,
        log_likelihood: fit.log_likelihood,
        published: published_map,
        relative_error,
        customers: fit.customers,
    }
}

fn summary_check(file: &Path, data: &[CustomerSummary]) -> Result<SummaryCheck> {
    let text = read(file)?;
    let mut published: Vec<CustomerSummary> = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |k: usize| {
            f.get(k)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| {
                    bad_line(
                        file,
                        i + 1,
                        format!("column {} is not a number", k + 1),
                        SUMMARY_HINT,
                    )
                })
        };
        published.push(CustomerSummary {
            customer_id: f
                .first()
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
                .into(),
            frequency: num(1)?,
            recency: num(2)?,
            t: num(3)?,
            monetary: 0.0,
            holdout_frequency: 0.0,
            holdout_spend: 0.0,
        });
    }
    let by_id: BTreeMap<&str, &CustomerSummary> =
        data.iter().map(|c| (c.customer_id.as_str(), c)).collect();
    let (mut equal, mut max_r, mut max_t) = (0, 0.0f64, 0.0f64);
    for p in &published {
        if let Some(c) = by_id.get(p.customer_id.as_str()) {
            equal += usize::from(c.frequency == p.frequency);
            max_r = max_r.max((c.recency - p.recency).abs());
            max_t = max_t.max((c.t - p.t).abs());
        }
    }
    let (_, bg_file) = BgNbd::fit(&published)?;
    Ok(SummaryCheck {
        customers_from_transactions: data.len(),
        customers_in_summary_file: published.len(),
        frequency_equal: equal,
        max_recency_diff: max_r,
        max_t_diff: max_t,
        bgnbd_on_summary_file: bg_file
            .names
            .iter()
            .copied()
            .zip(bg_file.params.iter().copied())
            .chain([("log_likelihood", bg_file.log_likelihood)])
            .collect(),
    })
}

/// Actual vs BG/NBD-expected number of customers with 0, 1, ..., 7+ calibration repeat
/// purchases (each customer's own T).
fn calibration_frequency(bg: &BgNbd, data: &[CustomerSummary]) -> Vec<CalibrationFrequency> {
    const CAP: u32 = 7;
    let mut actual = [0.0; CAP as usize + 1];
    let mut expected = [0.0; CAP as usize + 1];
    for c in data {
        actual[(c.frequency as u32).min(CAP) as usize] += 1.0;
        let mut below = 0.0;
        for n in 0..CAP {
            let p = bg.probability_of_purchases(n, c.t);
            expected[n as usize] += p;
            below += p;
        }
        expected[CAP as usize] += (1.0 - below).max(0.0);
    }
    (0..=CAP)
        .map(|n| CalibrationFrequency {
            repeat_purchases: if n == CAP {
                format!("{n}+")
            } else {
                n.to_string()
            },
            actual: actual[n as usize],
            bgnbd: expected[n as usize],
        })
        .collect()
}

/// Reproduces the published CDNOW fits from `dir/CDNOW_sample.txt` (raw transactions),
/// compares the summary built from them with `dir/cdnow_customers_summary.csv`, and
/// evaluates both purchase models on the 39-week holdout.
pub fn evaluate_cdnow(dir: &Path) -> Result<CdnowEvaluation> {
    let tx = read_sample(&dir.join("CDNOW_sample.txt"))?;
    let start = day_number("19970101").unwrap_or(0);
    let calibration_end = start + 39 * 7 - 1; // 1997-09-30: T = 38.86 weeks for a 1 January buyer
    let observation_end = day_number("19980630").unwrap_or(0);
    let data = summarize(&tx, calibration_end, observation_end, TimeUnit::Weeks);

    let (bg_model, bg) = BgNbd::fit(&data)?;
    let (pn_model, pn) = ParetoNbd::fit(&data)?;
    let (_, gg) = GammaGamma::fit(&data)?;
    let summary_check = summary_check(&dir.join("cdnow_customers_summary.csv"), &data)?;

    let holdout_weeks = (observation_end - calibration_end) as f64 / 7.0;
    let holdout = CdnowHoldout {
        bgnbd: evaluate_holdout(&bg_model, &data, holdout_weeks, 7),
        pareto_nbd: evaluate_holdout(&pn_model, &data, holdout_weeks, 7),
    };
    let track = |m: &dyn recur_clv::CountModel| {
        cumulative_tracking(
            m,
            &tx,
            start,
            calibration_end,
            observation_end,
            TimeUnit::Weeks,
        )
    };
    let bg_track = track(&bg_model);
    let pn_track = track(&pn_model);
    let tracking = bg_track
        .iter()
        .zip(&pn_track)
        .map(|(b, p)| TrackingWeek {
            week: b.period,
            holdout: b.holdout,
            actual: b.actual,
            bgnbd: b.predicted,
            pareto_nbd: p.predicted,
        })
        .collect();

    Ok(CdnowEvaluation {
        bgnbd: check(
            &bg,
            &[
                ("r", 0.243),
                ("alpha", 4.414),
                ("a", 0.793),
                ("b", 2.426),
                ("log_likelihood", -9582.4),
            ],
        ),
        pareto_nbd: check(
            &pn,
            &[
                ("r", 0.55),
                ("alpha", 10.58),
                ("s", 0.61),
                ("beta", 11.67),
                ("log_likelihood", -9595.0),
            ],
        ),
        gamma_gamma: check(&gg, &[("p", 6.25), ("q", 3.74), ("gamma", 15.44)]),
        frequency_spend_correlation: frequency_spend_correlation(&data),
        summary_check,
        calibration_frequency: calibration_frequency(&bg_model, &data),
        holdout,
        tracking,
    })
}

/// Timing of one fit.
#[derive(Debug, Clone, Serialize)]
pub struct FitTiming {
    /// Parameters by name.
    pub params: BTreeMap<&'static str, f64>,
    /// Log-likelihood.
    pub log_likelihood: f64,
    /// Optimiser iterations.
    pub iterations: u64,
    /// Likelihood passes over the data.
    pub evaluations: u64,
    /// Median wall seconds over the runs.
    pub median_seconds: f64,
}

/// Fit and scoring times on the full CDNOW master file.
#[derive(Debug, Clone, Serialize)]
pub struct CdnowBench {
    /// Customers.
    pub customers: usize,
    /// Runs per fit.
    pub runs: usize,
    /// BG/NBD.
    pub bgnbd: FitTiming,
    /// Pareto/NBD.
    pub pareto_nbd: FitTiming,
    /// Gamma-Gamma.
    pub gamma_gamma: FitTiming,
    /// Median seconds to score every customer (P(alive), 90-day expectation, spend, CLV).
    pub score_median_seconds: f64,
    /// Synthetic customers scored (P(alive), 90-day expectation, spend, 12-month CLV).
    pub synthetic_customers: usize,
    /// Seconds to generate and score them, in slices of a million.
    pub synthetic_seconds: f64,
    /// Throughput of that run.
    pub synthetic_customers_per_second: f64,
}

/// SplitMix64: a seeded, dependency-free generator for resampling.
fn splitmix64(state: u64) -> u64 {
    let mut z = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Builds the summary of `CDNOW_master.txt` (weeks, whole period 1997-01-01..1998-06-30 as
/// calibration), optionally writes it as CSV (`customer_id,frequency,recency,T,monetary_value`)
/// for the peer benchmark, times each fit and the scoring `runs` times, and times scoring
/// `synthetic_customers` customers resampled from the file.
pub fn bench_cdnow_master(
    master: &Path,
    runs: usize,
    write_summary: Option<&Path>,
    synthetic_customers: usize,
) -> Result<CdnowBench> {
    let text = read(master)?;
    let mut tx = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 4 || f[0].parse::<u64>().is_err() {
            continue; // the header
        }
        let bad = |what: String| bad_line(master, i + 1, what, MASTER_HINT);
        let day = day_number(f[1]).ok_or_else(|| bad(format!("bad date `{}`", f[1])))?;
        let amount: f64 = f[3]
            .parse()
            .map_err(|_| bad(format!("bad amount `{}`", f[3])))?;
        tx.push(Transaction {
            customer_id: f[0].into(),
            day,
            amount,
        });
    }
    let end = day_number("19980630").unwrap_or(0);
    let data = summarize(&tx, end, end, TimeUnit::Weeks);
    if let Some(path) = write_summary {
        let mut out = String::from("customer_id,frequency,recency,T,monetary_value\n");
        for c in &data {
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                c.customer_id, c.frequency, c.recency, c.t, c.monetary
            ));
        }
        std::fs::write(path, out).map_err(|error| Error::Io {
            path: path.to_owned(),
            action: "write",
            error,
        })?;
    }
    let runs = runs.max(1);
    let time = |f: &dyn Fn() -> Result<FitReport>| -> Result<FitTiming> {
        let mut secs = Vec::new();
        let mut last = None;
        for _ in 0..runs {
            let t0 = std::time::Instant::now();
            let r = f()?;
            secs.push(t0.elapsed().as_secs_f64());
            last = Some(r);
        }
        let r = last.ok_or_else(|| Error::BadSetting {
            key: "runs".into(),
            value: "0".into(),
            hint: "use 1 or more".into(),
        })?;
        Ok(FitTiming {
            params: r
                .names
                .iter()
                .copied()
                .zip(r.params.iter().copied())
                .collect(),
            log_likelihood: r.log_likelihood,
            iterations: r.iterations,
            evaluations: r.evaluations,
            median_seconds: median(secs),
        })
    };
    let bgnbd = time(&|| Ok(BgNbd::fit(&data)?.1))?;
    let pareto_nbd = time(&|| Ok(ParetoNbd::fit(&data)?.1))?;
    let gamma_gamma = time(&|| Ok(GammaGamma::fit(&data)?.1))?;
    let scorer = Scorer {
        bgnbd: BgNbd::fit(&data)?.0,
        gamma_gamma: GammaGamma::fit(&data)?.0,
        valuation: Valuation::default(),
    };
    let mut secs = Vec::new();
    for _ in 0..runs {
        let t0 = std::time::Instant::now();
        std::hint::black_box(scorer.score_all(&data));
        secs.push(t0.elapsed().as_secs_f64());
    }
    // Synthetic customers: resampled (seeded) from the master file's summaries, scored in
    // slices of a million so memory stays flat.
    let t0 = std::time::Instant::now();
    let mut rng = 0x5eed_u64;
    let mut left = synthetic_customers;
    let mut slice: Vec<CustomerSummary> = Vec::new();
    let mut checksum = 0.0;
    while left > 0 {
        let n = left.min(1_000_000);
        slice.clear();
        slice.extend((0..n).map(|_| {
            rng = splitmix64(rng);
            data[(rng % data.len() as u64) as usize].clone()
        }));
        checksum += scorer.score_all(&slice).iter().map(|v| v.clv).sum::<f64>();
        left -= n;
    }
    let synthetic_seconds = t0.elapsed().as_secs_f64();
    std::hint::black_box(checksum);
    Ok(CdnowBench {
        customers: data.len(),
        runs,
        bgnbd,
        pareto_nbd,
        gamma_gamma,
        score_median_seconds: median(secs),
        synthetic_customers,
        synthetic_seconds,
        synthetic_customers_per_second: synthetic_customers as f64 / synthetic_seconds.max(1e-9),
    })
}
