//! The logistic regression every classifier here shares: L2-regularised multinomial logistic
//! regression over sparse rows fitted by argmin's L-BFGS (gradients summed over four fixed
//! chunks of rows on scoped threads), and the protocol that chooses its penalty, the class
//! weighting (for unbalanced data) and, for two classes, the decision threshold by macro-F1 on
//! held-out rows of the training set only: five stratified seeded folds up to 20,000 rows, else
//! one validation split; the temperature fitted on the held-out logits. With folds, a final
//! fit on every training row follows; with one split, the model fitted on the rest is kept.
//! The hashed n-gram model ([`crate::train`]) and the dense head on sentence embeddings
//! ([`crate::dense`]) differ only in how they build rows.

use std::cell::RefCell;

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;

use crate::error::{Error, Result};
use crate::features::weigh;
use crate::metrics::{accuracy, macro_f1};
use crate::rng::Rng;

/// Sparse rows of features (tf-idf weights, or every coordinate of a dense vector).
pub(crate) struct Rows {
    start: Vec<usize>,
    index: Vec<u32>,
    value: Vec<f32>,
}

impl Rows {
    /// Unit-length tf-idf rows of raw term counts.
    pub(crate) fn new(raw: &[&Vec<(u32, u32)>], idf: &[f32]) -> Rows {
        let mut rows = Rows {
            start: vec![0],
            index: Vec::new(),
            value: Vec::new(),
        };
        for r in raw {
            for (j, v) in weigh(r, idf) {
                rows.index.push(j);
                rows.value.push(v);
            }
            rows.start.push(rows.index.len());
        }
        rows
    }

    /// Dense rows: every coordinate of each vector, standardised by `(x - mean) * scale`.
    pub(crate) fn dense(vectors: &[&[f32]], mean: &[f32], scale: &[f32]) -> Rows {
        let d = mean.len();
        let mut rows = Rows {
            start: Vec::with_capacity(vectors.len() + 1),
            index: Vec::with_capacity(vectors.len() * d),
            value: Vec::with_capacity(vectors.len() * d),
        };
        rows.start.push(0);
        for v in vectors {
            for (j, ((&x, &m), &s)) in v.iter().zip(mean).zip(scale).enumerate() {
                rows.index.push(j as u32);
                rows.value.push((x - m) * s);
            }
            rows.start.push(rows.index.len());
        }
        rows
    }

    fn len(&self) -> usize {
        self.start.len() - 1
    }

    fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.start[i], self.start[i + 1]);
        (&self.index[a..b], &self.value[a..b])
    }
}

/// Logits of a row under flat parameters `p` (weights per non-reference class, then biases).
pub(crate) fn logits(
    p: &[f64],
    d: usize,
    k: usize,
    (idx, val): (&[u32], &[f32]),
    z: &mut [f64; 3],
) {
    z[0] = 0.0;
    for c in 1..k {
        let w = &p[(c - 1) * d..c * d];
        let mut acc = p[(k - 1) * d + c - 1];
        for (&j, &v) in idx.iter().zip(val) {
            acc += w[j as usize] * f64::from(v);
        }
        z[c] = acc;
    }
}

pub(crate) fn softmax(z: &[f64; 3], k: usize) -> ([f64; 3], f64) {
    let m = z[..k].iter().fold(f64::MIN, |a, &b| a.max(b));
    let mut p = [0.0; 3];
    let mut s = 0.0;
    for c in 0..k {
        p[c] = (z[c] - m).exp();
        s += p[c];
    }
    for v in &mut p[..k] {
        *v /= s;
    }
    (p, m + s.ln())
}

/// Parameters, objective value, gradient.
type Evaluated = (Vec<f64>, f64, Vec<f64>);

struct Objective<'a> {
    rows: &'a Rows,
    labels: &'a [usize],
    weights: &'a [f64],
    d: usize,
    k: usize,
    lambda: f64,
    /// The last point evaluated, with its value and gradient (argmin asks for both apart).
    last: RefCell<Option<Evaluated>>,
}

impl Objective<'_> {
    fn eval(&self, p: &[f64]) -> (f64, Vec<f64>) {
        if let Some((q, v, g)) = &*self.last.borrow()
            && q.as_slice() == p
        {
            return (*v, g.clone());
        }
        let (d, k) = (self.d, self.k);
        let total: f64 = self.weights.iter().sum();
        // Rows in a fixed number of chunks on scoped threads, partial sums added in chunk
        // order: the same result on any machine.
        let n = self.rows.len();
        let chunks = if n < 8192 { 1 } else { CHUNKS };
        let chunk = n.div_ceil(chunks).max(1);
        let parts: Vec<(f64, Vec<f64>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..n)
                .step_by(chunk)
                .map(|from| {
                    let to = (from + chunk).min(n);
                    let (rows, labels, weights) = (self.rows, self.labels, self.weights);
                    scope.spawn(move || partial(rows, labels, weights, (d, k), p, from..to, total))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let mut parts = parts.into_iter();
        let (mut loss, mut g) = parts.next().unwrap_or_else(|| (0.0, vec![0.0; p.len()]));
        for (l, pg) in parts {
            loss += l;
            for (a, b) in g.iter_mut().zip(&pg) {
                *a += b;
            }
        }
        let wd = (k - 1) * d;
        let mut sq = 0.0;
        for (gj, pj) in g[..wd].iter_mut().zip(&p[..wd]) {
            sq += pj * pj;
            *gj += self.lambda * pj;
        }
        loss += 0.5 * self.lambda * sq;
        *self.last.borrow_mut() = Some((p.to_vec(), loss, g.clone()));
        (loss, g)
    }
}

/// Weighted log-loss and its gradient over rows `range` (no penalty).
fn partial(
    rows: &Rows,
    labels: &[usize],
    weights: &[f64],
    (d, k): (usize, usize),
    p: &[f64],
    range: std::ops::Range<usize>,
    total: f64,
) -> (f64, Vec<f64>) {
    {
        let mut g = vec![0.0; p.len()];
        let mut loss = 0.0;
        let mut z = [0.0; 3];
        for i in range {
            let row = rows.row(i);
            logits(p, d, k, row, &mut z);
            let (prob, lse) = softmax(&z, k);
            let y = labels[i];
            let wi = weights[i] / total;
            loss += wi * (lse - z[y]);
            for c in 1..k {
                let r = wi * (prob[c] - f64::from(u8::from(y == c)));
                g[(k - 1) * d + c - 1] += r;
                let gc = &mut g[(c - 1) * d..c * d];
                for (&j, &v) in row.0.iter().zip(row.1) {
                    gc[j as usize] += r * f64::from(v);
                }
            }
        }
        (loss, g)
    }
}

/// Chunks of rows a gradient is summed in (one thread each).
const CHUNKS: usize = 4;

impl CostFunction for Objective<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, p: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        Ok(self.eval(p).0)
    }
}

impl Gradient for Objective<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, p: &Vec<f64>) -> std::result::Result<Vec<f64>, argmin::core::Error> {
        Ok(self.eval(p).1)
    }
}

struct Fit<'a> {
    rows: &'a Rows,
    labels: &'a [usize],
    weights: &'a [f64],
    d: usize,
    k: usize,
}

impl Fit<'_> {
    fn run(&self, lambda: f64, start: Vec<f64>, iterations: u64) -> Result<Vec<f64>> {
        let problem = Objective {
            rows: self.rows,
            labels: self.labels,
            weights: self.weights,
            d: self.d,
            k: self.k,
            lambda,
            last: RefCell::new(None),
        };
        let fail = |e: argmin::core::Error| Error::Internal(format!("L-BFGS: {e}"));
        let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
            .with_tolerance_grad(1e-7)
            .map_err(fail)?
            .with_tolerance_cost(1e-10)
            .map_err(fail)?;
        let res = Executor::new(problem, solver)
            .configure(|s| s.param(start).max_iters(iterations))
            .run()
            .map_err(fail)?;
        res.state()
            .get_best_param()
            .cloned()
            .ok_or_else(|| Error::Internal("L-BFGS returned no parameters".into()))
    }
}

/// Predicted classes and logits of every row.
fn predict_rows(p: &[f64], d: usize, k: usize, rows: &Rows) -> (Vec<usize>, Vec<[f64; 3]>) {
    let mut z = [0.0; 3];
    let mut classes = Vec::with_capacity(rows.len());
    let mut all = Vec::with_capacity(rows.len());
    for i in 0..rows.len() {
        logits(p, d, k, rows.row(i), &mut z);
        let best = (0..k).fold(0, |b, c| if z[c] > z[b] { c } else { b });
        classes.push(best);
        all.push(z);
    }
    (classes, all)
}

/// The temperature that minimises the validation log-loss (golden-section search on log T).
fn fit_temperature(logits: &[[f64; 3]], labels: &[usize], k: usize) -> f64 {
    let nll = |log_t: f64| -> f64 {
        let t = log_t.exp();
        logits
            .iter()
            .zip(labels)
            .map(|(z, &y)| {
                let s = [z[0] / t, z[1] / t, z[2] / t];
                let (_, lse) = softmax(&s, k);
                lse - s[y]
            })
            .sum()
    };
    let (mut a, mut b) = ((0.05f64).ln(), (20.0f64).ln());
    let r = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..60 {
        let c = b - r * (b - a);
        let e = a + r * (b - a);
        if nll(c) < nll(e) {
            b = e;
        } else {
            a = c;
        }
    }
    ((a + b) / 2.0).exp()
}

/// Reviews up to which the penalty is chosen by five-fold cross-validation.
const CV_LIMIT: usize = 20_000;

/// For two classes, the threshold on the calibrated probability of the second class (0.05 to
/// 0.95) with the best macro-F1, then accuracy, then nearest 0.5; for three, 0.5 (argmax).
/// Returns (threshold, macro-F1, accuracy).
fn choose_threshold(logits: &[[f64; 3]], labels: &[usize], k: usize, t: f64) -> (f64, f64, f64) {
    let probs: Vec<[f64; 3]> = logits
        .iter()
        .map(|z| softmax(&[z[0] / t, z[1] / t, z[2] / t], k).0)
        .collect();
    let argmax: Vec<usize> = probs
        .iter()
        .map(|p| (0..k).fold(0, |b, c| if p[c] > p[b] { c } else { b }))
        .collect();
    if k != 2 {
        return (0.5, macro_f1(labels, &argmax, k), accuracy(labels, &argmax));
    }
    let mut best: (f64, f64, f64) = (0.5, f64::MIN, f64::MIN);
    for step in 5..=95 {
        let th = f64::from(step) / 100.0;
        let pred: Vec<usize> = probs.iter().map(|p| usize::from(p[1] >= th)).collect();
        let (f1, acc) = (macro_f1(labels, &pred, k), accuracy(labels, &pred));
        let better = (f1, acc) > (best.1, best.2)
            || ((f1, acc) == (best.1, best.2) && (th - 0.5).abs() < (best.0 - 0.5).abs());
        if better {
            best = (th, f1, acc);
        }
    }
    best
}

/// The settings of [`select_and_fit`].
pub(crate) struct Protocol<'a> {
    /// Seed of the held-out folds.
    pub(crate) seed: u64,
    /// Share held out when there are too many rows for folds.
    pub(crate) validation_share: f64,
    /// L2 penalties tried, largest first (each fit starts from the previous one).
    pub(crate) lambdas: &'a [f64],
    /// Most L-BFGS iterations per fit.
    pub(crate) max_iterations: u64,
}

/// What [`select_and_fit`] chose, with the final parameters and the row builder's state of
/// the rows they were fitted on.
pub(crate) struct Chosen<S> {
    /// Weights per non-reference class (`d` each), then one bias per non-reference class.
    pub(crate) params: Vec<f64>,
    /// What the builder returned with the final fit's rows (idf, or mean and scale).
    pub(crate) state: S,
    /// The L2 penalty chosen.
    pub(crate) lambda: f64,
    /// Whether classes were weighted equally.
    pub(crate) balanced: bool,
    /// The calibration temperature.
    pub(crate) temperature: f64,
    /// For two classes, the threshold on the calibrated probability of the second class.
    pub(crate) threshold: f64,
    /// Held-out macro-F1 of the chosen setting.
    pub(crate) macro_f1: f64,
    /// Held-out accuracy of the chosen setting.
    pub(crate) accuracy: f64,
}

/// Chooses the penalty, the class weighting, the temperature and the threshold on held-out
/// rows, then fits the final model. `labels` are class indices below `k` (2 or 3); `build`
/// makes the rows (of `d` features) of the row ids to fit and of those to predict, and a
/// state learnt from the former (called with no ids to predict for the final fit).
pub(crate) fn select_and_fit<S: Clone>(
    labels: &[usize],
    k: usize,
    d: usize,
    opts: &Protocol<'_>,
    mut build: impl FnMut(&[usize], &[usize]) -> (Rows, Rows, S),
) -> Result<Chosen<S>> {
    let n = labels.len();
    if opts.lambdas.is_empty() || !(2..=3).contains(&k) {
        return Err(Error::Internal(format!(
            "{} penalties and {k} classes given to the fit",
            opts.lambdas.len()
        )));
    }
    // Held-out folds, stratified and seeded: five folds for up to `CV_LIMIT` rows (every row
    // is predicted once by a model that did not see it), else one validation split.
    let mut rng = Rng::new(opts.seed);
    let folds = if n <= CV_LIMIT {
        5
    } else {
        (1.0 / opts.validation_share).round() as usize
    };
    let mut fold_of = vec![0usize; n];
    for c in 0..k {
        let mut ids: Vec<usize> = (0..n).filter(|&i| labels[i] == c).collect();
        rng.shuffle(&mut ids);
        for (m, &i) in ids.iter().enumerate() {
            fold_of[i] = m % folds;
        }
    }
    let rounds = if n <= CV_LIMIT { folds } else { 1 };
    let balanced_weights = |ls: &[usize]| -> Vec<f64> {
        let mut count = [0usize; 3];
        for &y in ls {
            count[y] += 1;
        }
        ls.iter()
            .map(|&y| ls.len() as f64 / (k as f64 * count[y].max(1) as f64))
            .collect()
    };
    let smallest = (0..k)
        .map(|c| labels.iter().filter(|&&y| y == c).count())
        .min()
        .unwrap_or(0);
    let unbalanced = (smallest as f64) < 0.3 * n as f64 / k as f64;
    let weightings: &[bool] = if unbalanced { &[false, true] } else { &[false] };
    let nl = opts.lambdas.len();
    // Held-out logits per (weighting, lambda), and the labels they belong to.
    let mut held: Vec<Vec<[f64; 3]>> = vec![Vec::new(); weightings.len() * nl];
    let mut held_labels = Vec::new();
    // The parameters of each setting from the last round: where the final fit starts.
    let mut last_params: Vec<Vec<f64>> = vec![Vec::new(); weightings.len() * nl];
    let mut last_state = None;
    for f in 0..rounds {
        let fit_ids: Vec<usize> = (0..n).filter(|&i| fold_of[i] != f).collect();
        let val_ids: Vec<usize> = (0..n).filter(|&i| fold_of[i] == f).collect();
        let (fit_rows, val_rows, state) = build(&fit_ids, &val_ids);
        let fit_labels: Vec<usize> = fit_ids.iter().map(|&i| labels[i]).collect();
        held_labels.extend(val_ids.iter().map(|&i| labels[i]));
        last_state = Some(state);
        for (wi, &balanced) in weightings.iter().enumerate() {
            let w = if balanced {
                balanced_weights(&fit_labels)
            } else {
                vec![1.0; fit_labels.len()]
            };
            let fit = Fit {
                rows: &fit_rows,
                labels: &fit_labels,
                weights: &w,
                d,
                k,
            };
            let mut start = vec![0.0; (k - 1) * (d + 1)];
            for (li, &lambda) in opts.lambdas.iter().enumerate() {
                let p = fit.run(lambda, start, opts.max_iterations)?;
                held[wi * nl + li].extend(predict_rows(&p, d, k, &val_rows).1);
                last_params[wi * nl + li].clone_from(&p);
                start = p;
            }
        }
    }
    // The best setting by held-out macro-F1 (then accuracy), with its temperature and, for
    // two classes, the threshold on the positive probability that scores best.
    let mut best: Option<(f64, f64, usize, f64, f64)> = None;
    for (s, logits) in held.iter().enumerate() {
        let temperature = fit_temperature(logits, &held_labels, k);
        let (threshold, f1, acc) = choose_threshold(logits, &held_labels, k, temperature);
        if best.as_ref().is_none_or(|b| (f1, acc) > (b.0, b.1)) {
            best = Some((f1, acc, s, temperature, threshold));
        }
    }
    let (Some((f1, acc, setting, temperature, threshold)), Some(last_state)) = (best, last_state)
    else {
        return Err(Error::Internal("no penalty was tried".into()));
    };
    let (balanced, lambda) = (weightings[setting / nl], opts.lambdas[setting % nl]);

    // Final fit on every training row, from the chosen fold model; with one validation split
    // (many rows) the model fitted on the rest is kept as it is.
    let start = std::mem::take(&mut last_params[setting]);
    let (params, state) = if rounds == 1 {
        (start, last_state)
    } else {
        let all: Vec<usize> = (0..n).collect();
        let (rows, _, state) = build(&all, &[]);
        let w = if balanced {
            balanced_weights(labels)
        } else {
            vec![1.0; n]
        };
        let fit = Fit {
            rows: &rows,
            labels,
            weights: &w,
            d,
            k,
        };
        (fit.run(lambda, start, opts.max_iterations)?, state)
    };
    Ok(Chosen {
        params,
        state,
        lambda,
        balanced,
        temperature,
        threshold,
        macro_f1: f1,
        accuracy: acc,
    })
}
