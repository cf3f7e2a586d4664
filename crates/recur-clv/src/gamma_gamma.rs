//! Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"): a customer's mean spend
//! per transaction varies around a Gamma(p, nu) transaction value whose scale nu is
//! Gamma(q, gamma) across customers.

use serde::Serialize;

use crate::error::Result;
use crate::fit::{FitReport, maximise_newton};
use crate::special::{digamma, ln_gamma, trigamma};
use crate::summary::CustomerSummary;
use crate::validate::check_spend;

/// Gamma-Gamma parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GammaGamma {
    /// Shape of the transaction-value Gamma.
    pub p: f64,
    /// Shape of the scale's Gamma.
    pub q: f64,
    /// Scale of the scale's Gamma.
    pub gamma: f64,
}

/// Log-likelihood of one repeat buyer's mean spend.
#[cfg(test)]
fn ll_one(g: &GammaGamma, x: f64, m: f64) -> f64 {
    let GammaGamma { p, q, gamma } = *g;
    let px = p * x;
    ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q)
        + q * gamma.ln()
        + (px - 1.0) * m.ln()
        + px * x.ln()
        - (px + q) * (gamma + m * x).ln()
}

/// Repeat buyers as columns: index of x among the distinct frequencies, ln m, m x.
struct Spend {
    xs: Vec<f64>,
    xi: Vec<u32>,
    ln_m: Vec<f64>,
    mx: Vec<f64>,
}

impl Spend {
    fn new(data: &[&CustomerSummary]) -> Spend {
        let mut xs: Vec<f64> = data.iter().map(|c| c.frequency).collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let index = |x: f64| xs.partition_point(|v| *v < x) as u32;
        Spend {
            xi: data.iter().map(|c| index(c.frequency)).collect(),
            ln_m: data.iter().map(|c| c.monetary.ln()).collect(),
            mx: data.iter().map(|c| c.monetary * c.frequency).collect(),
            xs,
        }
    }
}

/// A start for the fit from the moments of mean spend (log-parameters; all zeros when the
/// moments do not pin one down). Given the scale nu, a customer's mean of x transactions has
/// mean p/nu and variance p/(x nu²), so E[m] = p gamma/(q-1) and E[m² | x] = (p² + p/x) C with
/// C = gamma²/((q-1)(q-2)): regressing the mean square of each frequency on 1/x gives p² C
/// (intercept) and p C (slope), hence p, then q and gamma from E[m]. Only a start: the
/// likelihood decides the estimates.
fn moments_start(repeat: &[&CustomerSummary]) -> Vec<f64> {
    let fallback = vec![0.0; 3];
    let n = repeat.len() as f64;
    let mean = repeat.iter().map(|c| c.monetary).sum::<f64>() / n;
    // Weighted least squares of m² on u = 1/x, each customer one observation.
    let (mut su, mut sy, mut suu, mut suy) = (0.0, 0.0, 0.0, 0.0);
    for c in repeat {
        let (u, y) = (1.0 / c.frequency, c.monetary * c.monetary);
        su += u;
        sy += y;
        suu += u * u;
        suy += u * y;
    }
    let var_u = suu / n - (su / n).powi(2);
    if var_u.is_nan() || var_u <= 1e-12 {
        return fallback;
    }
    let slope = (suy / n - su / n * sy / n) / var_u;
    let intercept = sy / n - slope * su / n;
    let p = intercept / slope;
    let rho = intercept / (mean * mean);
    let q = (2.0 * rho - 1.0) / (rho - 1.0);
    let gamma = mean * (q - 1.0) / p;
    let start = [p, q, gamma];
    if slope > 0.0 && rho > 1.0 && start.iter().all(|v| v.is_finite() && *v > 1e-6 && *v < 1e6) {
        start.iter().map(|v| v.ln()).collect()
    } else {
        fallback
    }
}

/// Total log-likelihood at log-parameters with its gradient (the fit uses
/// [`total_ll_hessian`]; tests check one against the other).
#[cfg(test)]
fn total_ll(data: &Spend, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let (mut g, mut h) = ([0.0; 3], [0.0; 9]);
    let v = total_ll_hessian(data, theta, &mut g, &mut h);
    if let Some(out) = grad {
        out.copy_from_slice(&g);
    }
    v
}

/// Total log-likelihood at log-parameters with its gradient and Hessian (row-major 3 x 3)
/// w.r.t. the log-parameters; terms that depend only on x are computed once per distinct x.
fn total_ll_hessian(data: &Spend, theta: &[f64], grad: &mut [f64], hess: &mut [f64]) -> f64 {
    let g = GammaGamma {
        p: theta[0].exp(),
        q: theta[1].exp(),
        gamma: theta[2].exp(),
    };
    let GammaGamma { p, q, gamma } = g;
    let ln_gam = gamma.ln();
    // Per x: value term, d/dp and d/dq (without the ln m and ln(gamma + m x) parts), and
    // the second derivatives d²/dp², d²/dp dq, d²/dq².
    let per_x: Vec<[f64; 6]> = data
        .xs
        .iter()
        .map(|&x| {
            let px = p * x;
            let v = ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q) + q * ln_gam + px * x.ln();
            let dpq = digamma(px + q);
            let tpq = trigamma(px + q);
            [
                v,
                x * (dpq - digamma(px) + x.ln()),
                dpq - digamma(q) + ln_gam,
                x * x * (tpq - trigamma(px)),
                x * tpq,
                tpq - trigamma(q),
            ]
        })
        .collect();
    let (mut sum, mut acc) = (0.0, [0.0; 9]);
    for i in 0..data.xi.len() {
        let k = data.xi[i] as usize;
        let x = data.xs[k];
        let px = p * x;
        let inv = 1.0 / (gamma + data.mx[i]);
        let ln_gm = (gamma + data.mx[i]).ln();
        let t = &per_x[k];
        sum += t[0] + (px - 1.0) * data.ln_m[i] - (px + q) * ln_gm;
        acc[0] += t[1] + x * (data.ln_m[i] - ln_gm);
        acc[1] += t[2] - ln_gm;
        acc[2] += q / gamma - (px + q) * inv;
        // Upper triangle: pp, pq, pγ, qq, qγ, γγ.
        acc[3] += t[3];
        acc[4] += t[4];
        acc[5] -= x * inv;
        acc[6] += t[5];
        acc[7] += 1.0 / gamma - inv;
        acc[8] += (px + q) * inv * inv - q / (gamma * gamma);
    }
    let scale = [p, q, gamma];
    for k in 0..3 {
        grad[k] = acc[k] * scale[k];
    }
    // Log-parameters: ∂²l/∂θj∂θk = pj pk ∂²l/∂pj∂pk + [j = k] pk ∂l/∂pk.
    let mut u = 3;
    for j in 0..3 {
        for k in j..3 {
            let mut v = scale[j] * scale[k] * acc[u];
            if j == k {
                v += scale[k] * acc[k];
            }
            hess[j * 3 + k] = v;
            hess[k * 3 + j] = v;
            u += 1;
        }
    }
    sum
}

impl GammaGamma {
    /// Parameter names in the order of [`FitReport::params`].
    pub const NAMES: [&'static str; 3] = ["p", "q", "gamma"];

    /// Fits on the customers with repeat purchases (x > 0) and positive mean repeat spend;
    /// repeat buyers whose repeat purchases were all free carry no spend information.
    pub fn fit(data: &[CustomerSummary]) -> Result<(GammaGamma, FitReport)> {
        let repeat: Vec<&CustomerSummary> = data
            .iter()
            .filter(|c| c.frequency > 0.0 && c.monetary != 0.0)
            .collect();
        check_spend(&repeat)?;
        let spend = Spend::new(&repeat);
        let f = |theta: &[f64], g: &mut [f64], h: &mut [f64]| total_ll_hessian(&spend, theta, g, h);
        let rep = maximise_newton(&Self::NAMES, moments_start(&repeat), repeat.len(), 1000, &f)?;
        Ok((
            GammaGamma {
                p: rep.params[0],
                q: rep.params[1],
                gamma: rep.params[2],
            },
            rep,
        ))
    }

    /// Expected mean spend per transaction of a customer with `x` repeat purchases averaging
    /// `m` (the population mean for x = 0).
    pub fn expected_spend(&self, x: f64, m: f64) -> f64 {
        let GammaGamma { p, q, gamma } = *self;
        (gamma + m * x) * p / (p * x + q - 1.0)
    }
}

/// Pearson correlation of frequency and mean spend among repeat buyers: the Gamma-Gamma model
/// assumes they are independent (|rho| should be small).
pub fn frequency_spend_correlation(data: &[CustomerSummary]) -> f64 {
    let rep: Vec<(f64, f64)> = data
        .iter()
        .filter(|c| c.frequency > 0.0)
        .map(|c| (c.frequency, c.monetary))
        .collect();
    let n = rep.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mx, my) = (
        rep.iter().map(|v| v.0).sum::<f64>() / n,
        rep.iter().map(|v| v.1).sum::<f64>() / n,
    );
    let cov: f64 = rep.iter().map(|v| (v.0 - mx) * (v.1 - my)).sum();
    let vx: f64 = rep.iter().map(|v| (v.0 - mx).powi(2)).sum();
    let vy: f64 = rep.iter().map(|v| (v.1 - my).powi(2)).sum();
    if vx == 0.0 || vy == 0.0 {
        0.0
    } else {
        cov / (vx * vy).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::{assert_gradient_matches, assert_hessian_matches};

    fn cust(x: f64, m: f64) -> CustomerSummary {
        CustomerSummary {
            customer_id: "c".into(),
            frequency: x,
            recency: 1.0,
            t: 2.0,
            monetary: m,
            holdout_frequency: 0.0,
            holdout_spend: 0.0,
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let data = [cust(1.0, 20.0), cust(4.0, 35.5), cust(10.0, 12.0)];
        let refs: Vec<&CustomerSummary> = data.iter().collect();
        for theta in [[0.0, 0.0, 0.0], [1.8, 1.3, 2.7], [-0.5, 2.0, 0.3]] {
            let spend = Spend::new(&refs);
            assert_gradient_matches(&theta, |t, g| total_ll(&spend, t, g));
            assert_hessian_matches(&theta, |t, g, h| total_ll_hessian(&spend, t, g, h));
            let g = GammaGamma {
                p: theta[0].exp(),
                q: theta[1].exp(),
                gamma: theta[2].exp(),
            };
            let direct: f64 = data
                .iter()
                .map(|c| ll_one(&g, c.frequency, c.monetary))
                .sum();
            assert!((total_ll(&spend, &theta, None) - direct).abs() < 1e-9);
        }
    }

    #[test]
    fn expected_spend_by_hand() {
        // (gamma + m x) p / (p x + q - 1) with the published CDNOW values, x = 2, m = 30:
        let g = GammaGamma {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        };
        let want = (15.44 + 60.0) * 6.25 / (12.5 + 2.74);
        assert!((g.expected_spend(2.0, 30.0) - want).abs() < 1e-12);
    }

    #[test]
    fn degenerate_spend_is_an_error() {
        let same = [cust(1.0, 10.0), cust(2.0, 10.0)];
        let e = GammaGamma::fit(&same).unwrap_err().to_string();
        assert!(
            e.starts_with("model not identifiable: every customer has the same mean spend"),
            "{e}"
        );
        let one = [cust(1.0, 10.0), cust(0.0, 0.0)];
        assert!(
            GammaGamma::fit(&one)
                .unwrap_err()
                .to_string()
                .contains("1 repeat customer(s)")
        );
    }
}
