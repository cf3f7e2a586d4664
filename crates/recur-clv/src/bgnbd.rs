//! BG/NBD (Fader, Hardie & Lee 2005): Poisson purchasing with Gamma(r, alpha) rates while
//! alive, and a Beta(a, b) probability of dropping out after each purchase.

use serde::Serialize;

use crate::error::Result;
use crate::fit::{FitReport, maximise_newton};
use crate::grouped::Grouped;
use crate::special::{digamma, ln_gamma, ln_hyp2f1, log_add, trigamma};
use crate::summary::CustomerSummary;
use crate::validate::check_counts;

/// BG/NBD parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BgNbd {
    /// Shape of the purchase-rate Gamma.
    pub r: f64,
    /// Scale of the purchase-rate Gamma.
    pub alpha: f64,
    /// Beta dropout parameter a.
    pub a: f64,
    /// Beta dropout parameter b.
    pub b: f64,
}

/// Log-likelihood of one customer.
pub(crate) fn ll_one(p: &BgNbd, x: f64, tx: f64, t: f64) -> f64 {
    let BgNbd { r, alpha, a, b } = *p;
    let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
    let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
    let a3 = -(r + x) * (alpha + t).ln();
    if x > 0.0 {
        let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + tx).ln();
        a1 + a2 + log_add(a3, a4)
    } else {
        a1 + a2 + a3
    }
}

/// Per distinct x: the terms of the log-likelihood and its derivatives that depend only on x.
struct XTerms {
    /// ln Γ(r+x) - ln Γ(r) + r ln α + ln B(a, b+x) - ln B(a, b).
    c: f64,
    /// ln a - ln(b+x-1) (x > 0).
    la4: f64,
    /// ∂c/∂r, ∂c/∂a, ∂c/∂b.
    dr: f64,
    da: f64,
    db: f64,
    /// ∂²c/∂r², ∂²c/∂a² (= ∂²c/∂a∂b), ∂²c/∂b².
    drr: f64,
    daa: f64,
    dbb: f64,
}

/// Total log-likelihood at log-parameters, with the gradient w.r.t. the log-parameters (the
/// fit uses [`total_ll_hessian`]; tests check one against the other).
#[cfg(test)]
pub(crate) fn total_ll(data: &Grouped, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
    match grad {
        Some(g) => pass(data, theta, (true, false), g, &mut []),
        None => pass(data, theta, (false, false), &mut [], &mut []),
    }
}

/// Total log-likelihood at log-parameters, with the gradient and the Hessian (row-major 4 x 4)
/// w.r.t. the log-parameters.
pub(crate) fn total_ll_hessian(
    data: &Grouped,
    theta: &[f64],
    grad: &mut [f64],
    hess: &mut [f64],
) -> f64 {
    pass(data, theta, (true, true), grad, hess)
}

/// One pass over the groups. Each customer's likelihood is c(x) + ln(e^A3 + e^A4) (just
/// c(x) + A3 for x = 0); with w3, w4 the two terms' shares, the gradient of the log-sum is
/// w3 ∇A3 + w4 ∇A4 and its Hessian w3 ∇²A3 + w4 ∇²A4 + w3 w4 (∇A3 - ∇A4)(∇A3 - ∇A4)ᵀ.
/// `want` says which of the gradient and the Hessian to compute.
fn pass(
    data: &Grouped,
    theta: &[f64],
    want: (bool, bool),
    grad: &mut [f64],
    hess: &mut [f64],
) -> f64 {
    let p = BgNbd {
        r: theta[0].exp(),
        alpha: theta[1].exp(),
        a: theta[2].exp(),
        b: theta[3].exp(),
    };
    let BgNbd { r, alpha, a, b } = p;
    let (wg, wh) = (want.0 || want.1, want.1);
    let psi: fn(f64) -> f64 = if wg { digamma } else { |_| 0.0 };
    let psi1: fn(f64) -> f64 = if wh { trigamma } else { |_| 0.0 };
    let ln_alpha = alpha.ln();
    let xt: Vec<XTerms> = data
        .xs
        .iter()
        .map(|&x| XTerms {
            c: ln_gamma(r + x) - ln_gamma(r) + r * ln_alpha + ln_gamma(a + b) + ln_gamma(b + x)
                - ln_gamma(b)
                - ln_gamma(a + b + x),
            la4: if x > 0.0 {
                a.ln() - (b + x - 1.0).ln()
            } else {
                0.0
            },
            dr: psi(r + x) - psi(r) + if wg { ln_alpha } else { 0.0 },
            da: psi(a + b) - psi(a + b + x),
            db: psi(a + b) + psi(b + x) - psi(b) - psi(a + b + x),
            drr: psi1(r + x) - psi1(r),
            daa: psi1(a + b) - psi1(a + b + x),
            dbb: psi1(a + b) + psi1(b + x) - psi1(b) - psi1(a + b + x),
        })
        .collect();
    // ln(alpha + t) and 1 / (alpha + t) per distinct time.
    let ln_at = data.map_times(|t| (alpha + t).ln());
    let inv_at = data.map_times(|t| 1.0 / (alpha + t));
    // Gradient (4) and the upper triangle of the Hessian (10: rr rα ra rb αα αa αb aa ab bb),
    // in the natural parameters. A few flops per group: threads pay off only for large bases.
    let (sum, acc) = data.sum::<14>(64 * 1024, |range| {
        let mut sum = 0.0;
        let mut g = [0.0; 14];
        for i in range {
            let k = data.xi[i] as usize;
            let x = data.xs[k];
            let w = data.w[i];
            let xk = &xt[k];
            let (ti, txi) = (data.ti[i] as usize, data.txi[i] as usize);
            let a3 = -(r + x) * ln_at[ti];
            // w4: the share of A4; zero when x = 0 (no A4 term).
            let (l, w4) = if x > 0.0 {
                let a4 = xk.la4 - (r + x) * ln_at[txi];
                // l = ln(e^a3 + e^a4).
                let d = a4 - a3;
                if d <= 0.0 {
                    let e = d.exp();
                    (a3 + e.ln_1p(), e / (1.0 + e))
                } else {
                    let e = (-d).exp();
                    (a4 + e.ln_1p(), 1.0 / (1.0 + e))
                }
            } else {
                (a3, 0.0)
            };
            sum += w * (xk.c + l);
            if !wg {
                continue;
            }
            let w3 = 1.0 - w4;
            let (it, itx) = (inv_at[ti], inv_at[txi]);
            let b1 = if x > 0.0 { 1.0 / (b + x - 1.0) } else { 0.0 };
            g[0] += w * (xk.dr - w3 * ln_at[ti] - w4 * ln_at[txi]);
            g[1] += w * (r / alpha - (r + x) * (w3 * it + w4 * itx));
            g[2] += w * (xk.da + w4 / a);
            g[3] += w * (xk.db - w4 * b1);
            if wh {
                // ∇A3 - ∇A4, scaled by sqrt(w3 w4) through q below.
                let dd = [ln_at[txi] - ln_at[ti], (r + x) * (itx - it), -1.0 / a, b1];
                let q = w * w3 * w4;
                g[4] += w * xk.drr + q * dd[0] * dd[0];
                g[5] += w * (1.0 / alpha - w3 * it - w4 * itx) + q * dd[0] * dd[1];
                g[6] += q * dd[0] * dd[2];
                g[7] += q * dd[0] * dd[3];
                g[8] += w * (-r / (alpha * alpha) + (r + x) * (w3 * it * it + w4 * itx * itx))
                    + q * dd[1] * dd[1];
                g[9] += q * dd[1] * dd[2];
                g[10] += q * dd[1] * dd[3];
                g[11] += w * (xk.daa - w4 / (a * a)) + q * dd[2] * dd[2];
                g[12] += w * xk.daa + q * dd[2] * dd[3];
                g[13] += w * (xk.dbb + w4 * b1 * b1) + q * dd[3] * dd[3];
            }
        }
        (sum, g)
    });
    let scale = [r, alpha, a, b];
    if wg {
        for k in 0..4 {
            grad[k] = acc[k] * scale[k];
        }
    }
    if wh {
        // Log-parameters: ∂²l/∂θj∂θk = pj pk ∂²l/∂pj∂pk + [j = k] pk ∂l/∂pk.
        let mut u = 4;
        for j in 0..4 {
            for k in j..4 {
                let mut v = scale[j] * scale[k] * acc[u];
                if j == k {
                    v += scale[k] * acc[k];
                }
                hess[j * 4 + k] = v;
                hess[k * 4 + j] = v;
                u += 1;
            }
        }
    }
    sum
}

impl BgNbd {
    /// Parameter names in the order of [`FitReport::params`].
    pub const NAMES: [&'static str; 4] = ["r", "alpha", "a", "b"];

    /// A mean dropout probability per purchase, a / (a + b), below which a and b are reported
    /// as not identified (the data show no dropout).
    pub const NO_DROPOUT: f64 = 1e-3;

    /// The mean probability of dropping out after a purchase, a / (a + b).
    pub fn mean_dropout(&self) -> f64 {
        self.a / (self.a + self.b)
    }

    /// Fits by maximum likelihood.
    pub fn fit(data: &[CustomerSummary]) -> Result<(BgNbd, FitReport)> {
        check_counts(data)?;
        let grouped = Grouped::new(data);
        let f =
            |theta: &[f64], g: &mut [f64], h: &mut [f64]| total_ll_hessian(&grouped, theta, g, h);
        let mut rep = maximise_newton(&Self::NAMES, vec![0.0; 4], data.len(), 1000, &f)?;
        // The dropout probability after each purchase is Beta(a, b) with mean a / (a + b).
        // When the fit drives that mean to (almost) nothing, a and b are not identified one
        // from the other: the model is the NBD without dropout (r, alpha), and their standard
        // errors mean nothing.
        let (a, b) = (rep.params[2], rep.params[3]);
        if a / (a + b) < Self::NO_DROPOUT {
            for (k, name) in Self::NAMES.iter().enumerate().skip(2) {
                if !rep.at_bound.contains(name) {
                    rep.at_bound.push(name);
                }
                rep.std_errors[k] = f64::NAN;
            }
        }
        let p = BgNbd {
            r: rep.params[0],
            alpha: rep.params[1],
            a: rep.params[2],
            b: rep.params[3],
        };
        Ok((p, rep))
    }

    /// Log-likelihood of one customer.
    pub fn log_likelihood(&self, x: f64, tx: f64, t: f64) -> f64 {
        ll_one(self, x, tx, t)
    }

    /// Probability that the customer is still alive at T.
    pub fn p_alive(&self, x: f64, tx: f64, t: f64) -> f64 {
        if x == 0.0 {
            return 1.0;
        }
        let ln_ratio = (self.a / (self.b + x - 1.0)).ln()
            + (self.r + x) * ((self.alpha + t) / (self.alpha + tx)).ln();
        1.0 / (1.0 + ln_ratio.exp())
    }

    /// Expected purchases in the next `horizon` time units, given the customer's history.
    pub fn expected_purchases(&self, horizon: f64, x: f64, tx: f64, t: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        if horizon <= 0.0 {
            return 0.0;
        }
        let z = horizon / (alpha + t + horizon);
        let ln_f = ln_hyp2f1(r + x, b + x, a + b + x - 1.0, z);
        let inner = 1.0 - ((r + x) * ((alpha + t) / (alpha + t + horizon)).ln() + ln_f).exp();
        let front = (a + b + x - 1.0) / (a - 1.0);
        let denom = if x > 0.0 {
            1.0 + (a / (b + x - 1.0)) * ((alpha + t) / (alpha + tx)).powf(r + x)
        } else {
            1.0
        };
        front * inner / denom
    }

    /// Probability that a new customer makes exactly `n` repeat purchases in their first `t`
    /// time units (Fader, Hardie & Lee 2005, eq. 8).
    pub fn probability_of_purchases(&self, n: u32, t: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let x = f64::from(n);
        let ln_beta = |p: f64, q: f64| ln_gamma(p) + ln_gamma(q) - ln_gamma(p + q);
        let ln_p = (alpha / (alpha + t)).ln();
        let ln_q = if t > 0.0 {
            (t / (alpha + t)).ln()
        } else {
            f64::NEG_INFINITY
        };
        // ln of the NBD(r, alpha) probability of j purchases in t.
        let nbd = |j: f64| {
            let jq = if j == 0.0 { 0.0 } else { j * ln_q };
            ln_gamma(r + j) - ln_gamma(r) - ln_gamma(j + 1.0) + r * ln_p + jq
        };
        let first = (ln_beta(a, b + x) - ln_beta(a, b) + nbd(x)).exp();
        if n == 0 {
            return first;
        }
        // P(NBD >= n), summed directly from whichever side avoids cancellation.
        let mean = r * t / alpha;
        let tail = if x <= mean {
            1.0 - (0..n).map(|j| nbd(f64::from(j)).exp()).sum::<f64>()
        } else {
            let mut sum = 0.0;
            let mut j = x;
            loop {
                let term = nbd(j).exp();
                sum += term;
                j += 1.0;
                if term < sum * 1e-17 || j > x + 1e7 {
                    break;
                }
            }
            sum
        };
        first + (ln_beta(a + 1.0, b + x - 1.0) - ln_beta(a, b)).exp() * tail.max(0.0)
    }

    /// Expected purchases of a new customer in their first `t` time units.
    pub fn expected_purchases_new(&self, t: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let z = t / (alpha + t);
        let ln_f = ln_hyp2f1(r, b, a + b - 1.0, z);
        (a + b - 1.0) / (a - 1.0) * (1.0 - (r * (alpha / (alpha + t)).ln() + ln_f).exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::{assert_gradient_matches, assert_hessian_matches};

    #[test]
    fn gradient_matches_finite_differences() {
        let data = vec![
            CustomerSummary::of(0.0, 0.0, 30.0),
            CustomerSummary::of(3.0, 20.0, 38.0),
            CustomerSummary::of(1.0, 2.0, 10.0),
            CustomerSummary::of(12.0, 36.0, 37.0),
        ];
        for theta in [
            [0.0, 0.0, 0.0, 0.0],
            [-1.4, 1.5, -0.2, 0.9],
            [0.7, -0.5, 1.1, -0.3],
        ] {
            let grouped = Grouped::new(&data);
            assert_gradient_matches(&theta, |t, g| total_ll(&grouped, t, g));
            assert_hessian_matches(&theta, |t, g, h| total_ll_hessian(&grouped, t, g, h));
            // The grouped total equals the sum of per-customer likelihoods.
            let p = BgNbd {
                r: theta[0].exp(),
                alpha: theta[1].exp(),
                a: theta[2].exp(),
                b: theta[3].exp(),
            };
            let direct: f64 = data
                .iter()
                .map(|c| p.log_likelihood(c.frequency, c.recency, c.t))
                .sum();
            assert!((total_ll(&grouped, &theta, None) - direct).abs() < 1e-9);
        }
    }

    #[test]
    fn predictions_match_hand_computed_values() {
        // Published CDNOW estimates.
        let p = BgNbd {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        // x = 0: always alive by the model's assumption.
        assert_eq!(p.p_alive(0.0, 0.0, 38.86), 1.0);
        // P(alive) = 1 / (1 + a/(b+x-1) * ((alpha+T)/(alpha+tx))^(r+x)) for x=2, tx=30.43, T=38.86:
        let ratio = (0.793 / (2.426 + 1.0)) * ((4.414f64 + 38.86) / (4.414 + 30.43)).powf(2.243);
        assert!((p.p_alive(2.0, 30.43, 38.86) - 1.0 / (1.0 + ratio)).abs() < 1e-12);
        // E[X(t)] for a new customer: the paper's 52-week figure is about 0.41... and it grows with t.
        let e39 = p.expected_purchases_new(39.0);
        let e78 = p.expected_purchases_new(78.0);
        assert!(e39 > 0.0 && e78 > e39, "{e39} {e78}");
        // The purchase-count distribution sums to one and its mean is E[X(t)].
        let probs: Vec<f64> = (0..400)
            .map(|n| p.probability_of_purchases(n, 39.0))
            .collect();
        let total: f64 = probs.iter().sum();
        let mean: f64 = probs.iter().enumerate().map(|(n, q)| n as f64 * q).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        assert!((mean - e39).abs() < 1e-6, "{mean} vs {e39}");
        // P(X(t) = 0) by hand: B(a, b)/B(a, b) (alpha/(alpha+t))^r.
        let p0 = (4.414f64 / (4.414 + 39.0)).powf(0.243);
        assert!((p.probability_of_purchases(0, 39.0) - p0).abs() < 1e-12);
        // Conditional expectation is zero for a zero horizon and positive otherwise.
        assert_eq!(p.expected_purchases(0.0, 2.0, 30.43, 38.86), 0.0);
        assert!(p.expected_purchases(39.0, 2.0, 30.43, 38.86) > 0.0);
    }
}
