//! Maximum likelihood in log-parameter space: L-BFGS (argmin) and standard errors from the
//! Hessian of the log-likelihood.

use std::cell::RefCell;

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use serde::Serialize;

use crate::error::{Error, Result};

/// Total log-likelihood at log-parameters; fills the gradient (w.r.t. log-parameters) if asked.
pub(crate) type LogLik<'a> = dyn Fn(&[f64], Option<&mut [f64]>) -> f64 + Sync + 'a;

/// A fitted model's estimates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitReport {
    /// Parameter names, in order.
    pub names: Vec<&'static str>,
    /// Estimates.
    pub params: Vec<f64>,
    /// Standard errors (delta method from the observed information in log space).
    pub std_errors: Vec<f64>,
    /// Maximised log-likelihood.
    pub log_likelihood: f64,
    /// Customers used.
    pub customers: usize,
    /// Optimiser iterations.
    pub iterations: u64,
}

/// A point with its cost and gradient.
type Evaluated = (Vec<f64>, f64, Vec<f64>);

/// The negative mean log-likelihood. The line search asks for the cost and then the gradient
/// at each trial point; both come from one pass over the data and the last point is cached.
struct Problem<'a> {
    f: &'a LogLik<'a>,
    n: f64,
    last: RefCell<Option<Evaluated>>,
}

impl Problem<'_> {
    fn eval(&self, p: &[f64]) -> (f64, Vec<f64>) {
        if let Some((q, v, g)) = &*self.last.borrow()
            && q == p
        {
            return (*v, g.clone());
        }
        let mut g = vec![0.0; p.len()];
        let v = -(self.f)(p, Some(&mut g)) / self.n;
        let v = if v.is_finite() { v } else { f64::MAX };
        let g: Vec<f64> = g.iter().map(|d| -d / self.n).collect();
        *self.last.borrow_mut() = Some((p.to_vec(), v, g.clone()));
        (v, g)
    }
}

impl CostFunction for Problem<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, p: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        Ok(self.eval(p).0)
    }
}

impl Gradient for Problem<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, p: &Vec<f64>) -> std::result::Result<Vec<f64>, argmin::core::Error> {
        Ok(self.eval(p).1)
    }
}

/// Maximises `f` from `start` (log-parameters).
pub(crate) fn maximise(
    names: &[&'static str],
    start: Vec<f64>,
    customers: usize,
    max_iters: u64,
    f: &LogLik<'_>,
) -> Result<FitReport> {
    let problem = Problem {
        f,
        n: customers.max(1) as f64,
        last: RefCell::new(None),
    };
    let fail = |e: argmin::core::Error| Error::NoConvergence(e.to_string());
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(1e-9)
        .map_err(fail)?
        .with_tolerance_cost(1e-13)
        .map_err(fail)?;
    let res = Executor::new(problem, solver)
        .configure(|s| s.param(start).max_iters(max_iters))
        .run()
        .map_err(fail)?;
    let state = res.state();
    let best = state
        .get_best_param()
        .cloned()
        .ok_or_else(|| Error::NoConvergence("no parameters found".into()))?;
    let iterations = state.get_iter();
    let ll = f(&best, None);
    if !ll.is_finite() || best.iter().any(|v| !v.is_finite() || v.abs() > 30.0) {
        return Err(Error::NoConvergence(format!(
            "the likelihood ran off to a boundary (log-parameters {best:?})"
        )));
    }
    let params: Vec<f64> = best.iter().map(|v| v.exp()).collect();
    let std_errors = std_errors(&best, f).unwrap_or_else(|| vec![f64::NAN; best.len()]);
    Ok(FitReport {
        names: names.to_vec(),
        params,
        std_errors,
        log_likelihood: ll,
        customers,
        iterations,
    })
}

/// Standard errors of the parameters: the inverse of the negative Hessian of the log-likelihood
/// in log space (central differences of the gradient), mapped back by the delta method.
fn std_errors(theta: &[f64], f: &LogLik<'_>) -> Option<Vec<f64>> {
    let k = theta.len();
    let h = 1e-5;
    let mut hess = vec![vec![0.0; k]; k];
    for j in 0..k {
        let mut plus = theta.to_vec();
        let mut minus = theta.to_vec();
        plus[j] += h;
        minus[j] -= h;
        let (mut gp, mut gm) = (vec![0.0; k], vec![0.0; k]);
        f(&plus, Some(&mut gp));
        f(&minus, Some(&mut gm));
        for i in 0..k {
            hess[i][j] = (gp[i] - gm[i]) / (2.0 * h);
        }
    }
    let info: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..k).map(|j| -(hess[i][j] + hess[j][i]) / 2.0).collect())
        .collect();
    let cov = invert(info)?;
    Some(
        (0..k)
            .map(|i| theta[i].exp() * cov[i][i].max(0.0).sqrt())
            .collect(),
    )
}

/// Gauss-Jordan inverse with partial pivoting; `None` when singular.
pub(crate) fn invert(mut a: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut inv: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for c in 0..n {
        let p = (c..n).max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs()))?;
        if a[p][c].abs() < 1e-300 {
            return None;
        }
        a.swap(c, p);
        inv.swap(c, p);
        let d = a[c][c];
        for j in 0..n {
            a[c][j] /= d;
            inv[c][j] /= d;
        }
        for r in 0..n {
            if r != c {
                let m = a[r][c];
                for j in 0..n {
                    a[r][j] -= m * a[c][j];
                    inv[r][j] -= m * inv[c][j];
                }
            }
        }
    }
    Some(inv)
}

/// Central-difference gradient of `f` (tests check the analytic gradients against it).
#[cfg(test)]
pub(crate) fn numeric_gradient(theta: &[f64], f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    (0..theta.len())
        .map(|j| {
            let h = 1e-6 * theta[j].abs().max(1.0);
            let mut p = theta.to_vec();
            let mut m = theta.to_vec();
            p[j] += h;
            m[j] -= h;
            (f(&p) - f(&m)) / (2.0 * h)
        })
        .collect()
}

/// Asserts that an analytic gradient matches central differences at `theta` (tests only).
#[cfg(test)]
pub(crate) fn assert_gradient_matches(
    theta: &[f64],
    f: impl Fn(&[f64], Option<&mut [f64]>) -> f64,
) {
    let mut g = vec![0.0; theta.len()];
    f(theta, Some(&mut g));
    let num = numeric_gradient(theta, |t| f(t, None));
    for k in 0..theta.len() {
        assert!(
            (g[k] - num[k]).abs() < 1e-5 * num[k].abs().max(1.0),
            "k={k}: {} vs {}",
            g[k],
            num[k]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_a_known_matrix() {
        let inv = invert(vec![vec![4.0, 7.0], vec![2.0, 6.0]]).unwrap();
        let want = [[0.6, -0.7], [-0.2, 0.4]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((inv[i][j] - want[i][j]).abs() < 1e-12);
            }
        }
        assert!(invert(vec![vec![1.0, 2.0], vec![2.0, 4.0]]).is_none());
    }
}
