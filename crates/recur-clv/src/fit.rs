//! Maximum likelihood in log-parameter space: Newton's method with the analytic Hessian where
//! the model has one (BG/NBD, Gamma-Gamma), L-BFGS (argmin) where it does not (Pareto/NBD), and
//! standard errors from the Hessian of the log-likelihood.

use std::cell::{Cell, RefCell};

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use serde::Serialize;

use crate::error::{Error, Result};

/// Total log-likelihood at log-parameters; fills the gradient (w.r.t. log-parameters) if asked.
pub(crate) type LogLik<'a> = dyn Fn(&[f64], Option<&mut [f64]>) -> f64 + Sync + 'a;

/// Total log-likelihood at log-parameters; fills the gradient and the Hessian (row-major,
/// k x k) w.r.t. the log-parameters.
pub(crate) type LogLikHess<'a> = dyn Fn(&[f64], &mut [f64], &mut [f64]) -> f64 + 'a;

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
    /// Likelihood passes over the data (optimiser and standard errors).
    pub evaluations: u64,
    /// Parameters the data do not identify, whose standard errors are not given (NaN): those
    /// that reached the search bound (for Pareto/NBD, s and beta together mean one dropout rate
    /// s/beta for everyone) and, for BG/NBD, a and b when the fit finds (almost) no dropout.
    pub at_bound: Vec<&'static str>,
}

/// A point with its cost and gradient.
type Evaluated = (Vec<f64>, f64, Vec<f64>);

/// The negative mean log-likelihood. The line search asks for the cost and then the gradient
/// at each trial point; both come from one pass over the data and the last point is cached.
struct Problem<'a> {
    f: &'a LogLik<'a>,
    n: f64,
    last: RefCell<Option<Evaluated>>,
    evaluations: &'a Cell<u64>,
}

impl Problem<'_> {
    fn eval(&self, p: &[f64]) -> (f64, Vec<f64>) {
        if let Some((q, v, g)) = &*self.last.borrow()
            && q == p
        {
            return (*v, g.clone());
        }
        let mut g = vec![0.0; p.len()];
        self.evaluations.set(self.evaluations.get() + 1);
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

/// The bounded parametrisation: theta = phi while |phi| <= b - 1, then
/// theta = ±(b - exp(-(|phi| - b + 1))), which approaches ±b with a continuous first derivative.
/// Returns theta and d theta / d phi.
fn squash(phi: f64, b: f64) -> (f64, f64) {
    let knee = b - 1.0;
    if phi.abs() <= knee {
        (phi, 1.0)
    } else {
        let e = (-(phi.abs() - knee)).exp();
        (phi.signum() * (b - e), e)
    }
}

/// Inverse of [`squash`] for |theta| < b.
fn unsquash(theta: f64, b: f64) -> f64 {
    let knee = b - 1.0;
    if theta.abs() <= knee {
        theta
    } else {
        let t = theta.abs().min(b - 1e-6);
        theta.signum() * (knee - (b - t).ln())
    }
}

/// Maximises `f` from `start` (log-parameters). With `bound = Some(b)` every log-parameter
/// is kept inside (-b, b) (unchanged within b - 1, see [`squash`]); estimates that end
/// within 0.5 of the bound are reported in [`FitReport::at_bound`].
pub(crate) fn maximise(
    names: &[&'static str],
    start: Vec<f64>,
    customers: usize,
    max_iters: u64,
    bound: Option<f64>,
    f: &LogLik<'_>,
) -> Result<FitReport> {
    let to_theta = |phi: &[f64]| -> Vec<f64> {
        match bound {
            Some(b) => phi.iter().map(|v| squash(*v, b).0).collect(),
            None => phi.to_vec(),
        }
    };
    let start: Vec<f64> = match bound {
        Some(b) => start.iter().map(|t| unsquash(*t, b)).collect(),
        None => start,
    };
    let bounded = |phi: &[f64], grad: Option<&mut [f64]>| -> f64 {
        let theta = to_theta(phi);
        match grad {
            Some(g) => {
                let v = f(&theta, Some(&mut *g));
                if let Some(b) = bound {
                    for (gk, p) in g.iter_mut().zip(phi) {
                        *gk *= squash(*p, b).1;
                    }
                }
                v
            }
            None => f(&theta, None),
        }
    };
    let evaluations = Cell::new(0);
    let problem = Problem {
        f: &bounded,
        n: customers.max(1) as f64,
        last: RefCell::new(None),
        evaluations: &evaluations,
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
    let best = to_theta(
        state
            .get_best_param()
            .ok_or_else(|| Error::NoConvergence("no parameters found".into()))?,
    );
    let at_bound: Vec<&'static str> = match bound {
        Some(b) => names
            .iter()
            .zip(&best)
            .filter(|(_, t)| t.abs() > b - 0.5)
            .map(|(n, _)| *n)
            .collect(),
        None => Vec::new(),
    };
    let iterations = state.get_iter();
    let ll = f(&best, None);
    if !ll.is_finite() || best.iter().any(|v| !v.is_finite() || v.abs() > 30.0) {
        return Err(Error::NoConvergence(format!(
            "the likelihood ran off to a boundary (log-parameters {best:?})"
        )));
    }
    let params: Vec<f64> = best.iter().map(|v| v.exp()).collect();
    let mut std_errors = std_errors(&best, f).unwrap_or_else(|| vec![f64::NAN; best.len()]);
    for (se, name) in std_errors.iter_mut().zip(names) {
        if at_bound.contains(name) {
            *se = f64::NAN;
        }
    }
    Ok(FitReport {
        names: names.to_vec(),
        params,
        std_errors,
        log_likelihood: ll,
        customers,
        iterations,
        // The optimiser's passes, the final value, and two gradients per parameter.
        evaluations: evaluations.get() + 1 + 2 * best.len() as u64,
        at_bound,
    })
}

/// Maximises `f` from `start` (log-parameters) by Newton's method with Levenberg-Marquardt
/// damping: each step solves (-H + lambda I) d = g, the damping grows when a step would lower
/// the likelihood (or -H is not positive definite) and shrinks after each accepted step, so far
/// from the optimum it moves along the gradient and near it converges quadratically. Steps are
/// at most 3 in each log-parameter. Standard errors come from the Hessian at the optimum, with
/// no further passes over the data.
pub(crate) fn maximise_newton(
    names: &[&'static str],
    start: Vec<f64>,
    customers: usize,
    max_iters: u64,
    f: &LogLikHess<'_>,
) -> Result<FitReport> {
    let k = start.len();
    let n = customers.max(1) as f64;
    let mut passes = 0u64;
    let mut eval = |theta: &[f64]| {
        let (mut g, mut h) = (vec![0.0; k], vec![0.0; k * k]);
        passes += 1;
        let v = f(theta, &mut g, &mut h);
        let ok = v.is_finite() && g.iter().chain(&h).all(|d| d.is_finite());
        (if ok { v } else { f64::NEG_INFINITY }, g, h)
    };
    let mut theta = start;
    let (mut value, mut grad, mut hess) = eval(&theta);
    if value == f64::NEG_INFINITY {
        return Err(Error::NoConvergence(format!(
            "the likelihood is not finite at the start (log-parameters {theta:?})"
        )));
    }
    let mut lambda = 0.0;
    // Accepted steps, and steps tried (a damping that grows tries again from the same point).
    let (mut iterations, mut attempts) = (0, 0);
    while attempts < max_iters {
        // Mean gradient: the same tolerance as the L-BFGS fits.
        if grad.iter().all(|g| (g / n).abs() < 1e-9) {
            break;
        }
        attempts += 1;
        // -H / n + lambda I, and the mean gradient.
        let mut m: Vec<f64> = hess.iter().map(|h| -h / n).collect();
        let scale = (0..k).map(|i| m[i * k + i].abs()).fold(1e-12, f64::max);
        for i in 0..k {
            m[i * k + i] += lambda * scale;
        }
        let rhs: Vec<f64> = grad.iter().map(|g| g / n).collect();
        let Some(mut step) = cholesky_solve(&m, &rhs) else {
            lambda = if lambda == 0.0 { 1e-6 } else { lambda * 10.0 };
            if lambda > 1e12 {
                break;
            }
            continue;
        };
        let longest = step.iter().fold(0.0f64, |a, d| a.max(d.abs()));
        if longest > 3.0 {
            step.iter_mut().for_each(|d| *d *= 3.0 / longest);
        }
        let trial: Vec<f64> = theta.iter().zip(&step).map(|(t, d)| t + d).collect();
        let (v, g, h) = eval(&trial);
        if v >= value {
            let gain = v - value;
            iterations += 1;
            (theta, value, grad, hess) = (trial, v, g, h);
            lambda = if lambda < 1e-9 { 0.0 } else { lambda / 10.0 };
            // Converged to working precision: the step no longer changes the likelihood.
            if gain <= 1e-15 * value.abs() && longest < 1e-8 {
                break;
            }
        } else {
            lambda = if lambda == 0.0 { 1e-4 } else { lambda * 10.0 };
            if lambda > 1e12 {
                // No step along any mix of Newton and gradient directions raises the
                // likelihood: it is at its maximum to working precision.
                break;
            }
        }
    }
    if theta.iter().any(|v| !v.is_finite() || v.abs() > 30.0) {
        return Err(Error::NoConvergence(format!(
            "the likelihood ran off to a boundary (log-parameters {theta:?})"
        )));
    }
    let std_errors = std_errors_from(&theta, &hess).unwrap_or_else(|| vec![f64::NAN; k]);
    Ok(FitReport {
        names: names.to_vec(),
        params: theta.iter().map(|v| v.exp()).collect(),
        std_errors,
        log_likelihood: value,
        customers,
        iterations,
        evaluations: passes,
        at_bound: Vec::new(),
    })
}

/// Solves `m x = b` for a symmetric positive definite `m` (row-major) by Cholesky; `None` when
/// `m` is not positive definite.
fn cholesky_solve(m: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    let k = b.len();
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = (0..j).map(|c| l[i * k + c] * l[j * k + c]).sum();
            if i == j {
                let d = m[i * k + i] - s;
                if d <= 0.0 || !d.is_finite() {
                    return None;
                }
                l[i * k + i] = d.sqrt();
            } else {
                l[i * k + j] = (m[i * k + j] - s) / l[j * k + j];
            }
        }
    }
    let mut y = vec![0.0; k];
    for i in 0..k {
        y[i] = (b[i] - (0..i).map(|c| l[i * k + c] * y[c]).sum::<f64>()) / l[i * k + i];
    }
    let mut x = vec![0.0; k];
    for i in (0..k).rev() {
        x[i] = (y[i] - (i + 1..k).map(|c| l[c * k + i] * x[c]).sum::<f64>()) / l[i * k + i];
    }
    Some(x)
}

/// Standard errors of the parameters from the Hessian (row-major) of the log-likelihood in log
/// space, mapped back by the delta method.
fn std_errors_from(theta: &[f64], hess: &[f64]) -> Option<Vec<f64>> {
    let k = theta.len();
    let info: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| -(hess[i * k + j] + hess[j * k + i]) / 2.0)
                .collect()
        })
        .collect();
    covariance_to_errors(theta, &invert(info)?)
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
    covariance_to_errors(theta, &invert(info)?)
}

/// The delta method: standard errors of exp(theta) from the covariance of theta.
fn covariance_to_errors(theta: &[f64], cov: &[Vec<f64>]) -> Option<Vec<f64>> {
    Some(
        (0..theta.len())
            // A variance that is not positive means the likelihood is flat or curved the
            // wrong way there: no standard error can be given.
            .map(|i| {
                if cov[i][i] > 0.0 && cov[i][i].is_finite() {
                    theta[i].exp() * cov[i][i].sqrt()
                } else {
                    f64::NAN
                }
            })
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

/// Asserts that an analytic Hessian matches central differences of the analytic gradient at
/// `theta` (tests only).
#[cfg(test)]
pub(crate) fn assert_hessian_matches(
    theta: &[f64],
    f: impl Fn(&[f64], &mut [f64], &mut [f64]) -> f64,
) {
    let k = theta.len();
    let (mut g, mut h) = (vec![0.0; k], vec![0.0; k * k]);
    f(theta, &mut g, &mut h);
    let mut scratch = vec![0.0; k * k];
    for j in 0..k {
        let d = 1e-6 * theta[j].abs().max(1.0);
        let (mut p, mut m) = (theta.to_vec(), theta.to_vec());
        p[j] += d;
        m[j] -= d;
        let (mut gp, mut gm) = (vec![0.0; k], vec![0.0; k]);
        f(&p, &mut gp, &mut scratch);
        f(&m, &mut gm, &mut scratch);
        for i in 0..k {
            let num = (gp[i] - gm[i]) / (2.0 * d);
            assert!(
                (h[i * k + j] - num).abs() < 1e-5 * num.abs().max(1.0),
                "H[{i}][{j}] = {} vs {num}",
                h[i * k + j]
            );
        }
    }
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
    fn bounded_parametrisation_is_smooth_and_invertible() {
        for phi in [
            -30.0, -6.5, -6.0, -1.0, 0.0, 2.0, 5.99, 6.0, 6.01, 9.0, 40.0,
        ] {
            let (t, d) = squash(phi, 7.0);
            assert!(t.abs() < 7.0 && d > 0.0 && d <= 1.0, "{phi}: {t} {d}");
            if phi.abs() < 20.0 {
                assert!((unsquash(t, 7.0) - phi).abs() < 1e-9, "{phi}");
            }
            let h = 1e-6;
            let num = (squash(phi + h, 7.0).0 - squash(phi - h, 7.0).0) / (2.0 * h);
            assert!((num - d).abs() < 1e-5, "{phi}: {num} vs {d}");
        }
    }

    #[test]
    fn newton_finds_the_maximum_of_a_known_function() {
        // l(t) = -(t0 - 1)^2 - 2 (t1 + 0.5)^2 - (t0 - 1)^4 - t0 t1 / 2, maximised by Newton from 0.
        let f = |t: &[f64], g: &mut [f64], h: &mut [f64]| {
            let (u, v) = (t[0] - 1.0, t[1] + 0.5);
            g[0] = -2.0 * u - 4.0 * u.powi(3) - t[1] / 2.0;
            g[1] = -4.0 * v - t[0] / 2.0;
            h[0] = -2.0 - 12.0 * u * u;
            h[1] = -0.5;
            h[2] = -0.5;
            h[3] = -4.0;
            -u * u - 2.0 * v * v - u.powi(4) - t[0] * t[1] / 2.0
        };
        let rep = maximise_newton(&["a", "b"], vec![0.0, 0.0], 1, 100, &f).unwrap();
        let t: Vec<f64> = rep.params.iter().map(|p| p.ln()).collect();
        let (mut g, mut h) = (vec![0.0; 2], vec![0.0; 4]);
        f(&t, &mut g, &mut h);
        assert!(g.iter().all(|d| d.abs() < 1e-9), "{g:?}");
        assert!(rep.iterations < 20, "{}", rep.iterations);
        assert!(rep.std_errors.iter().all(|s| s.is_finite() && *s > 0.0));
    }

    #[test]
    fn cholesky_solves_and_rejects_indefinite_matrices() {
        let x = cholesky_solve(&[4.0, 2.0, 2.0, 3.0], &[2.0, 1.0]).unwrap();
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12, "{x:?}");
        assert!(cholesky_solve(&[1.0, 2.0, 2.0, 1.0], &[1.0, 1.0]).is_none());
    }

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
