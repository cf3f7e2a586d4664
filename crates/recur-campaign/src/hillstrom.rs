//! The Hillstrom e-mail experiment (MineThatData, 2008): 64,000 customers randomised to a
//! men's e-mail, a women's e-mail or no e-mail, with visits, conversions and spend in the
//! following two weeks. Reproduces the randomised effects and evaluates uplift targeting
//! on a stratified held-out 30 %.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::stats::{Effect, Rng, mean_difference};
use crate::uplift::{
    Features, QiniPoint, TargetingComparison, UpliftConfig, UpliftModel, compare_targeting, qini,
};

const HINT: &str = "expected the Hillstrom CSV: recency,history_segment,history,mens,womens,zip_code,newbie,channel,segment,visit,conversion,spend";

/// Which e-mail a customer was randomised to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Arm {
    Control,
    Mens,
    Womens,
}

/// The experiment as columns.
struct Data {
    features: Features,
    arm: Vec<Arm>,
    visit: Vec<f64>,
    conversion: Vec<f64>,
    spend: Vec<f64>,
}

const FEATURES: [&str; 12] = [
    "recency",
    "history_segment",
    "history",
    "mens",
    "womens",
    "zip_urban",
    "zip_suburban",
    "zip_rural",
    "newbie",
    "channel_phone",
    "channel_web",
    "channel_multichannel",
];

fn read(path: &Path) -> Result<Data> {
    let mut rdr = csv::Reader::from_path(path).map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(source) => Error::Io {
            path: path.to_owned(),
            source,
        },
        other => Error::BadRow {
            path: path.to_owned(),
            line: 1,
            message: format!("{other:?}"),
            hint: HINT,
        },
    })?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::BadRow {
            path: path.to_owned(),
            line: 1,
            message: e.to_string(),
            hint: HINT,
        })?
        .iter()
        .map(str::to_owned)
        .collect();
    let col = |name: &str| -> Result<usize> {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::BadRow {
                path: path.to_owned(),
                line: 1,
                message: format!("missing column `{name}` (found: {})", header.join(", ")),
                hint: HINT,
            })
    };
    let names = [
        "recency",
        "history_segment",
        "history",
        "mens",
        "womens",
        "zip_code",
        "newbie",
        "channel",
        "segment",
        "visit",
        "conversion",
        "spend",
    ];
    let idx: Vec<usize> = names.iter().map(|n| col(n)).collect::<Result<_>>()?;
    let mut d = Data {
        features: Features {
            names: FEATURES.iter().map(|s| (*s).to_owned()).collect(),
            columns: vec![Vec::new(); FEATURES.len()],
        },
        arm: Vec::new(),
        visit: Vec::new(),
        conversion: Vec::new(),
        spend: Vec::new(),
    };
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let bad = |message: String| Error::BadRow {
            path: path.to_owned(),
            line,
            message,
            hint: HINT,
        };
        let rec = rec.map_err(|e| bad(e.to_string()))?;
        let field = |k: usize| rec.get(idx[k]).unwrap_or("").trim();
        let num = |k: usize| -> Result<f64> {
            field(k)
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(format!("`{}` = `{}` is not a number", names[k], field(k))))
        };
        let flag = |k: usize| -> Result<f64> {
            let v = num(k)?;
            if v == 0.0 || v == 1.0 {
                Ok(v)
            } else {
                Err(bad(format!("`{}` = `{v}` must be 0 or 1", names[k])))
            }
        };
        let history_segment = field(1)
            .split(')')
            .next()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .ok_or_else(|| {
                bad(format!(
                    "history_segment `{}` has no leading number",
                    field(1)
                ))
            })?;
        let zip = field(5);
        let channel = field(7);
        let arm = match field(8) {
            "No E-Mail" => Arm::Control,
            "Mens E-Mail" => Arm::Mens,
            "Womens E-Mail" => Arm::Womens,
            other => {
                return Err(bad(format!(
                    "segment `{other}` is not one of `No E-Mail`, `Mens E-Mail`, `Womens E-Mail`"
                )));
            }
        };
        let values = [
            num(0)?,
            history_segment,
            num(2)?,
            flag(3)?,
            flag(4)?,
            f64::from(u8::from(zip == "Urban")),
            f64::from(u8::from(zip == "Surburban" || zip == "Suburban")),
            f64::from(u8::from(zip == "Rural")),
            flag(6)?,
            f64::from(u8::from(channel == "Phone")),
            f64::from(u8::from(channel == "Web")),
            f64::from(u8::from(channel == "Multichannel")),
        ];
        for (c, v) in d.features.columns.iter_mut().zip(values) {
            c.push(v);
        }
        d.arm.push(arm);
        d.visit.push(flag(9)?);
        d.conversion.push(flag(10)?);
        d.spend.push(num(11)?);
    }
    if d.arm.is_empty() {
        return Err(Error::Insufficient {
            what: "the Hillstrom effects".into(),
            reason: format!("`{}` has no data rows", path.display()),
        });
    }
    Ok(d)
}

/// Uplift targeting of one arm, evaluated on the held-out customers.
#[derive(Debug, Clone, Serialize)]
pub struct Targeting {
    /// The model.
    pub model: &'static str,
    /// Outcome the model was trained on.
    pub trained_on: &'static str,
    /// Customers (arm + control) used for training.
    pub train_customers: usize,
    /// Held-out customers (arm + control) the comparison is made on.
    pub test_customers: usize,
    /// Qini coefficient for visits on the held-out set (0 = random).
    pub qini: f64,
    /// Qini coefficient for conversions, same ranking.
    pub qini_conversion: f64,
    /// Qini curve for visits (11 points).
    pub qini_curve: Vec<QiniPoint>,
    /// Share of held-out customers targeted.
    pub top_share: f64,
    /// Incremental visits: top share by predicted uplift vs a random share.
    pub visits: TargetingComparison,
    /// Incremental conversions: top share by predicted uplift vs a random share.
    pub conversions: TargetingComparison,
    /// Incremental spend (dollars).
    pub spend: TargetingComparison,
}

/// One e-mail arm against the no-e-mail control.
#[derive(Debug, Clone, Serialize)]
pub struct ArmReport {
    /// Effect on the visit rate.
    pub visit: Effect,
    /// Effect on the conversion rate.
    pub conversion: Effect,
    /// Effect on spend per customer (dollars).
    pub spend: Effect,
    /// Uplift targeting on the held-out customers.
    pub targeting: Targeting,
}

/// The Hillstrom evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct HillstromReport {
    /// Customers in the file.
    pub customers: usize,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Seed of the split, the models and the bootstrap.
    pub seed: u64,
    /// Bootstrap replicates behind the targeting intervals.
    pub bootstrap_replicates: usize,
    /// Men's e-mail vs no e-mail.
    pub mens: ArmReport,
    /// Women's e-mail vs no e-mail.
    pub womens: ArmReport,
}

/// Stratified split: within each (arm, visit, conversion) stratum, a seeded shuffle puts
/// round(`test_share` × n) customers in the test set.
fn split(d: &Data, test_share: f64, seed: u64) -> Vec<bool> {
    let mut strata: BTreeMap<(Arm, u8, u8), Vec<usize>> = BTreeMap::new();
    for i in 0..d.arm.len() {
        strata
            .entry((d.arm[i], d.visit[i] as u8, d.conversion[i] as u8))
            .or_default()
            .push(i);
    }
    let mut rng = Rng::new(seed);
    let mut test = vec![false; d.arm.len()];
    for members in strata.values_mut() {
        rng.shuffle(members);
        let k = (test_share * members.len() as f64).round() as usize;
        for &i in &members[..k] {
            test[i] = true;
        }
    }
    test
}

fn arm_report(
    d: &Data,
    arm: Arm,
    test: &[bool],
    confidence: f64,
    replicates: usize,
    seed: u64,
) -> Result<ArmReport> {
    let pick = |y: &[f64], a: Arm| -> Vec<f64> {
        (0..y.len())
            .filter(|&i| d.arm[i] == a)
            .map(|i| y[i])
            .collect()
    };
    let effect = |y: &[f64], what: &str| {
        mean_difference(&pick(y, arm), &pick(y, Arm::Control), confidence).ok_or_else(|| {
            Error::Insufficient {
                what: format!("the {what} effect"),
                reason: "each group needs at least two customers".into(),
            }
        })
    };
    let rows = |want_test: bool| -> Vec<usize> {
        (0..d.arm.len())
            .filter(|&i| (d.arm[i] == arm || d.arm[i] == Arm::Control) && test[i] == want_test)
            .collect()
    };
    let (train, held) = (rows(false), rows(true));
    let treated = |idx: &[usize]| -> Vec<bool> { idx.iter().map(|&i| d.arm[i] == arm).collect() };
    let outcome = |y: &[f64], idx: &[usize]| -> Vec<f64> { idx.iter().map(|&i| y[i]).collect() };
    let model = UpliftModel::fit(
        &d.features.select(&train),
        &treated(&train),
        &outcome(&d.visit, &train),
        &UpliftConfig {
            seed,
            ..UpliftConfig::default()
        },
    )?;
    let scores = model.predict(&d.features.select(&held));
    let t_held = treated(&held);
    let (visit, conversion, spend) = (
        outcome(&d.visit, &held),
        outcome(&d.conversion, &held),
        outcome(&d.spend, &held),
    );
    let q_visit = qini(&scores, &t_held, &visit, 10);
    let q_conv = qini(&scores, &t_held, &conversion, 10);
    let top_share = 0.3;
    let cmp = compare_targeting(
        &scores,
        &t_held,
        &[&visit, &conversion, &spend],
        top_share,
        replicates,
        confidence,
        seed ^ 0xb007,
    );
    Ok(ArmReport {
        visit: effect(&d.visit, "visit")?,
        conversion: effect(&d.conversion, "conversion")?,
        spend: effect(&d.spend, "spend")?,
        targeting: Targeting {
            model: "T-learner: two forust gradient-boosted log-loss classifiers (100 rounds, depth 3, rate 0.05)",
            trained_on: "visit",
            train_customers: train.len(),
            test_customers: held.len(),
            qini: q_visit.coefficient,
            qini_conversion: q_conv.coefficient,
            qini_curve: q_visit.curve,
            top_share,
            visits: cmp[0],
            conversions: cmp[1],
            spend: cmp[2],
        },
    })
}

/// Reproduces the randomised effects of each e-mail (difference in means, normal-approximation
/// intervals at `confidence`) and evaluates uplift targeting of the top 30 % on a stratified
/// held-out 30 % (bootstrap intervals from `replicates` resamples). Deterministic for a seed.
pub fn evaluate_hillstrom(
    path: &Path,
    confidence: f64,
    replicates: usize,
    seed: u64,
) -> Result<HillstromReport> {
    let d = read(path)?;
    let test = split(&d, 0.3, seed);
    Ok(HillstromReport {
        customers: d.arm.len(),
        confidence,
        seed,
        bootstrap_replicates: replicates,
        mens: arm_report(&d, Arm::Mens, &test, confidence, replicates, seed)?,
        womens: arm_report(&d, Arm::Womens, &test, confidence, replicates, seed)?,
    })
}
