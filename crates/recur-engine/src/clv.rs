//! Customer-value use cases: the CDNOW reference evaluation and fits on a workspace.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use recur_clv::{
    BgNbd, CustomerSummary, FitReport, GammaGamma, ParetoNbd, TimeUnit, Transaction,
    frequency_spend_correlation, summarize,
};
use serde::Serialize;

use crate::error::{Error, Result};

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
}

fn day_number(yyyymmdd: &str) -> Option<i64> {
    NaiveDate::parse_from_str(yyyymmdd, "%Y%m%d")
        .ok()
        .map(|d| d.signed_duration_since(NaiveDate::default()).num_days())
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        action: "read",
        source,
    })
}

fn bad_line(path: &Path, line: usize, what: &str) -> Error {
    Error::BadSetting {
        key: format!("{}:{line}", path.display()),
        value: what.to_owned(),
        hint: "expected the CDNOW sample format: customer, id in sample, YYYYMMDD, CDs, dollars"
            .into(),
    }
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

/// Reproduces the published CDNOW fits from `dir/CDNOW_sample.txt` (raw transactions) and
/// compares the summary built from them with `dir/cdnow_customers_summary.csv`.
pub fn evaluate_cdnow(dir: &Path) -> Result<CdnowEvaluation> {
    let sample = dir.join("CDNOW_sample.txt");
    let text = read(&sample)?;
    let mut tx = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        if f.len() != 5 {
            return Err(bad_line(&sample, i + 1, line));
        }
        let day = day_number(f[2]).ok_or_else(|| bad_line(&sample, i + 1, f[2]))?;
        let amount: f64 = f[4].parse().map_err(|_| bad_line(&sample, i + 1, f[4]))?;
        let id: u64 = f[1].parse().map_err(|_| bad_line(&sample, i + 1, f[1]))?;
        tx.push(Transaction {
            customer_id: id.to_string(),
            day,
            amount,
        });
    }
    let start = day_number("19970101").unwrap_or(0);
    let calibration_end = start + 39 * 7 - 1; // 1997-09-30: T = 38.86 weeks for a 1 January buyer
    let observation_end = day_number("19980630").unwrap_or(0);
    let data = summarize(&tx, calibration_end, observation_end, TimeUnit::Weeks);

    let (_, bg) = BgNbd::fit(&data)?;
    let (_, pn) = ParetoNbd::fit(&data)?;
    let (_, gg) = GammaGamma::fit(&data)?;

    // The published summary file.
    let file = dir.join("cdnow_customers_summary.csv");
    let text = read(&file)?;
    let mut published: Vec<CustomerSummary> = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |k: usize| {
            f.get(k)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| bad_line(&file, i + 1, line))
        };
        published.push(CustomerSummary {
            customer_id: f.first().map(|s| s.trim().to_owned()).unwrap_or_default(),
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
    let summary_check = SummaryCheck {
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
    };
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
    })
}

/// One customer's value estimates.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerValue {
    /// Customer id.
    pub customer_id: String,
    /// Repeat purchase days so far.
    pub repeat_purchases: f64,
    /// Weeks since the last purchase.
    pub weeks_since_last_purchase: f64,
    /// Probability the customer is still active (BG/NBD).
    pub p_alive: f64,
    /// Expected purchase days in the next 90 days.
    pub expected_purchases_90d: f64,
    /// Expected spend per purchase (Gamma-Gamma).
    pub expected_spend: f64,
    /// 12-month value at 100 % margin, 1 % monthly discount.
    pub clv_12m: f64,
    /// Value that disappears if the customer has in fact churned: spend-weighted value of
    /// their historical purchase pace times (1 - P(alive)).
    pub value_at_risk: f64,
}

/// Customer-value models fitted on a workspace's orders.
#[derive(Debug, Clone, Serialize)]
pub struct WorkspaceValue {
    /// BG/NBD fit (weeks).
    pub bgnbd: FitReport,
    /// Gamma-Gamma fit.
    pub gamma_gamma: FitReport,
    /// Every customer, by customer id.
    pub customers: Vec<CustomerValue>,
}

/// Fits BG/NBD and Gamma-Gamma on every completed order of known customers (calibration = all
/// data up to the last order) and scores each customer.
pub fn customer_value(ws: &crate::Workspace) -> Result<WorkspaceValue> {
    let rows = ws.session()?.daily_purchases()?;
    let end = rows.iter().map(|r| r.1).max().unwrap_or(0);
    let tx: Vec<Transaction> = rows
        .into_iter()
        .map(|(customer_id, day, amount)| Transaction {
            customer_id,
            day,
            amount,
        })
        .collect();
    let data = summarize(&tx, end, end, TimeUnit::Weeks);
    let (bg, bg_report) = BgNbd::fit(&data)?;
    let (gg, gg_report) = GammaGamma::fit(&data)?;
    let weeks_90d = 90.0 / 7.0;
    let customers = data
        .iter()
        .map(|c| {
            let p_alive = bg.p_alive(c.frequency, c.recency, c.t);
            let expected_spend = gg.expected_spend(c.frequency, c.monetary);
            let clv_12m = recur_clv::clv(&bg, &gg, c, 12, 1.0, 0.01);
            // Purchases per week while active, from the customer's own history.
            let pace = if c.t > 0.0 {
                (c.frequency + 1.0) / c.t.max(1.0)
            } else {
                0.0
            };
            CustomerValue {
                customer_id: c.customer_id.clone(),
                repeat_purchases: c.frequency,
                weeks_since_last_purchase: c.t - c.recency,
                p_alive,
                expected_purchases_90d: bg.expected_purchases(
                    weeks_90d,
                    c.frequency,
                    c.recency,
                    c.t,
                ),
                expected_spend,
                clv_12m,
                value_at_risk: pace * 52.0 * expected_spend * (1.0 - p_alive),
            }
        })
        .collect();
    Ok(WorkspaceValue {
        bgnbd: bg_report,
        gamma_gamma: gg_report,
        customers,
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
    /// Median seconds to score every customer (P(alive), 39-week expectation, expected spend).
    pub score_median_seconds: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Builds the summary of `CDNOW_master.txt` (weeks, whole period 1997-01-01..1998-06-30 as
/// calibration), optionally writes it as CSV (`customer_id,frequency,recency,T,monetary_value`)
/// for the peer benchmark, and times each fit `runs` times.
pub fn bench_cdnow_master(
    master: &Path,
    runs: usize,
    write_summary: Option<&Path>,
) -> Result<CdnowBench> {
    let text = read(master)?;
    let mut tx = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 4 || f[0].parse::<u64>().is_err() {
            continue; // the header
        }
        let day = day_number(f[1]).ok_or_else(|| bad_line(master, i + 1, f[1]))?;
        let amount: f64 = f[3].parse().map_err(|_| bad_line(master, i + 1, f[3]))?;
        tx.push(Transaction {
            customer_id: f[0].to_owned(),
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
        std::fs::write(path, out).map_err(|source| Error::Io {
            path: path.to_owned(),
            action: "write",
            source,
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
            median_seconds: median(secs),
        })
    };
    let bgnbd = time(&|| Ok(BgNbd::fit(&data)?.1))?;
    let pareto_nbd = time(&|| Ok(ParetoNbd::fit(&data)?.1))?;
    let gamma_gamma = time(&|| Ok(GammaGamma::fit(&data)?.1))?;
    let (bg, _) = BgNbd::fit(&data)?;
    let (gg, _) = GammaGamma::fit(&data)?;
    let mut secs = Vec::new();
    for _ in 0..runs {
        let t0 = std::time::Instant::now();
        let mut acc = 0.0;
        for c in &data {
            acc += bg.p_alive(c.frequency, c.recency, c.t)
                + bg.expected_purchases(39.0, c.frequency, c.recency, c.t)
                + gg.expected_spend(c.frequency, c.monetary);
        }
        secs.push(t0.elapsed().as_secs_f64());
        std::hint::black_box(acc);
    }
    Ok(CdnowBench {
        customers: data.len(),
        runs,
        bgnbd,
        pareto_nbd,
        gamma_gamma,
        score_median_seconds: median(secs),
    })
}
