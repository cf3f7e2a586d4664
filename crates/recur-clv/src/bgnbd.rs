//! BG/NBD (Fader, Hardie & Lee 2005): Poisson purchasing with Gamma(r, alpha) rates while
//! alive, and a Beta(a, b) probability of dropping out after each purchase.

use serde::Serialize;

use crate::error::Result;
use crate::fit::{FitReport, maximise};
use crate::special::{digamma, ln_gamma, ln_hyp2f1, log_add};
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

/// Log-likelihood of one customer and, if asked, its gradient w.r.t. (r, alpha, a, b).
pub(crate) fn ll_one(p: &BgNbd, x: f64, tx: f64, t: f64, grad: Option<&mut [f64; 4]>) -> f64 {
    let BgNbd { r, alpha, a, b } = *p;
    let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
    let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
    let a3 = -(r + x) * (alpha + t).ln();
    let (ll, w3, w4) = if x > 0.0 {
        let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + tx).ln();
        let l = log_add(a3, a4);
        (a1 + a2 + l, (a3 - l).exp(), (a4 - l).exp())
    } else {
        (a1 + a2 + a3, 1.0, 0.0)
    };
    if let Some(g) = grad {
        g[0] = digamma(r + x) - digamma(r) + alpha.ln()
            - w3 * (alpha + t).ln()
            - w4 * (alpha + tx).ln();
        g[1] = r / alpha - w3 * (r + x) / (alpha + t) - w4 * (r + x) / (alpha + tx);
        g[2] = digamma(a + b) - digamma(a + b + x) + w4 / a;
        g[3] = digamma(a + b) + digamma(b + x)
            - digamma(b)
            - digamma(a + b + x)
            - if x > 0.0 { w4 / (b + x - 1.0) } else { 0.0 };
    }
    ll
}

/// Total log-likelihood at log-parameters, with the gradient w.r.t. the log-parameters.
pub(crate) fn total_ll(data: &[CustomerSummary], theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let p = BgNbd {
        r: theta[0].exp(),
        alpha: theta[1].exp(),
        a: theta[2].exp(),
        b: theta[3].exp(),
    };
    let mut sum = 0.0;
    let mut g = [0.0; 4];
    let want = grad.is_some();
    let mut acc = [0.0; 4];
    for c in data {
        sum += ll_one(&p, c.frequency, c.recency, c.t, want.then_some(&mut g));
        if want {
            for k in 0..4 {
                acc[k] += g[k];
            }
        }
    }
    if let Some(out) = grad {
        let scale = [p.r, p.alpha, p.a, p.b];
        for k in 0..4 {
            out[k] = acc[k] * scale[k];
        }
    }
    sum
}

impl BgNbd {
    /// Parameter names in the order of [`FitReport::params`].
    pub const NAMES: [&'static str; 4] = ["r", "alpha", "a", "b"];

    /// Fits by maximum likelihood.
    pub fn fit(data: &[CustomerSummary]) -> Result<(BgNbd, FitReport)> {
        check_counts(data)?;
        let f = |theta: &[f64], g: Option<&mut [f64]>| total_ll(data, theta, g);
        let rep = maximise(&Self::NAMES, vec![0.0; 4], data.len(), 1000, &f)?;
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
        ll_one(self, x, tx, t, None)
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
    use crate::fit::assert_gradient_matches;

    fn cust(x: f64, tx: f64, t: f64) -> CustomerSummary {
        CustomerSummary {
            customer_id: "c".into(),
            frequency: x,
            recency: tx,
            t,
            monetary: 0.0,
            holdout_frequency: 0.0,
            holdout_spend: 0.0,
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let data = vec![
            cust(0.0, 0.0, 30.0),
            cust(3.0, 20.0, 38.0),
            cust(1.0, 2.0, 10.0),
            cust(12.0, 36.0, 37.0),
        ];
        for theta in [
            [0.0, 0.0, 0.0, 0.0],
            [-1.4, 1.5, -0.2, 0.9],
            [0.7, -0.5, 1.1, -0.3],
        ] {
            assert_gradient_matches(&theta, |t, g| total_ll(&data, t, g));
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
        // Conditional expectation is zero for a zero horizon and positive otherwise.
        assert_eq!(p.expected_purchases(0.0, 2.0, 30.43, 38.86), 0.0);
        assert!(p.expected_purchases(39.0, 2.0, 30.43, 38.86) > 0.0);
    }
}
