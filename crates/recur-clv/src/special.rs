//! Special functions: log-gamma and digamma (statrs), trigamma (which statrs lacks) and the
//! Gaussian hypergeometric function.

pub(crate) use statrs::function::gamma::{digamma, ln_gamma};

/// The trigamma function, d²/dx² ln Γ(x), for x > 0 (NaN otherwise): the recurrence
/// ψ₁(x) = ψ₁(x + 1) + 1/x² up to x >= 10, then the asymptotic series (error below 1e-13 there).
pub(crate) fn trigamma(mut x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    let mut acc = 0.0;
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let z = 1.0 / (x * x);
    // 1/x + 1/(2x²) + Σ B₂ₖ / x^(2k+1), Bernoulli numbers 1/6, -1/30, 1/42, -1/30, 5/66.
    let series =
        z * (1.0 / 6.0 + z * (-1.0 / 30.0 + z * (1.0 / 42.0 + z * (-1.0 / 30.0 + z * 5.0 / 66.0))));
    acc + 1.0 / x + z / 2.0 + series / x
}

/// ln of 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1, by its power series; NaN outside
/// that domain (callers turn a non-finite result into an error that names the fit), never a
/// panic: the parameters come from fits on users' data.
///
/// All terms are positive in this domain, so the series has no cancellation; terms are summed
/// relative to the running total until they stop contributing at double precision. Close to
/// z = 1 it needs many terms (about 40 / (1 - z)), which stays exact where the usual
/// transformations would move z outside the series' disc.
pub(crate) fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    if !(a > 0.0 && b > 0.0 && c > 0.0 && (0.0..1.0).contains(&z) && a.is_finite() && b.is_finite())
    {
        return f64::NAN;
    }
    if z == 0.0 {
        return 0.0;
    }
    let mut term = 1.0f64;
    let mut sum = 1.0f64;
    // Rescale occasionally to avoid overflow for large parameters.
    let mut log_scale = 0.0f64;
    for n in 0..5_000_000u64 {
        let nf = n as f64;
        term *= (a + nf) * (b + nf) / ((c + nf) * (nf + 1.0)) * z;
        sum += term;
        if sum > 1e250 {
            log_scale += sum.ln();
            term /= sum;
            sum = 1.0;
        }
        if term < sum * 1e-17 && nf > (a * b / c).abs() {
            break;
        }
    }
    log_scale + sum.ln()
}

/// ln of 2F1(a, b; a + 1; z) for a, b > 0 and 0 <= z < 1: the form in the Pareto/NBD
/// likelihood. Euler's transformation gives (1 - z)^(1 - b) 2F1(1, a + 1 - b; a + 1; z), whose
/// terms are positive (for a + 1 > b) and shrink at least geometrically with ratio z, so the
/// truncation error after n terms is bounded by term_n z / (1 - z). Terms stop at 2 x 10^5;
/// that only happens for z within about 10^-4 of 1, far from any interior optimum.
pub(crate) fn ln_hyp2f1_a_a1(a: f64, b: f64, z: f64) -> f64 {
    if z == 0.0 {
        return 0.0;
    }
    let c2 = a + 1.0 - b;
    if c2 <= 0.0 {
        return ln_hyp2f1(a, b, a + 1.0, z);
    }
    let mut term = 1.0f64;
    let mut sum = 1.0f64;
    for n in 0..200_000u32 {
        let nf = f64::from(n);
        term *= (c2 + nf) / (a + 1.0 + nf) * z;
        sum += term;
        if term * z / (1.0 - z) < sum * 1e-16 {
            break;
        }
    }
    (1.0 - b) * (1.0 - z).ln() + sum.ln()
}

/// ln 2F1(a, b; a + 1; z) with its partial derivatives (d/da, d/db, d/dz), for a, b > 0,
/// a + 1 > b and 0 <= z < 1 (always the case in the Pareto/NBD likelihood).
///
/// The Euler-transformed series of [`ln_hyp2f1_a_a1`] is differentiated term by term: with
/// t_n = prod_{k<n} (c2 + k) / (a + 1 + k) z and c2 = a + 1 - b, d ln t_n / da accumulates
/// 1/(c2+k) - 1/(a+1+k), d ln t_n / db accumulates -1/(c2+k), and d ln t_n / dz = n / z.
pub(crate) fn ln_hyp2f1_a_a1_grad(a: f64, b: f64, z: f64) -> (f64, [f64; 3]) {
    let c2 = a + 1.0 - b;
    if !(a > 0.0 && b > 0.0 && c2 > 0.0 && (0.0..1.0).contains(&z)) {
        return (f64::NAN, [f64::NAN; 3]);
    }
    let l1z = (-z).ln_1p();
    if z == 0.0 {
        // 2F1 = 1 + a b / (a + 1) z + ...: only the z-derivative survives.
        return (0.0, [0.0, 0.0, a * b / (a + 1.0)]);
    }
    let (mut term, mut sum) = (1.0f64, 1.0f64);
    let (mut da_n, mut db_n) = (0.0f64, 0.0f64);
    let (mut s_a, mut s_b, mut s_n) = (0.0f64, 0.0f64, 0.0f64);
    for n in 0..200_000u32 {
        let nf = f64::from(n);
        da_n += 1.0 / (c2 + nf) - 1.0 / (a + 1.0 + nf);
        db_n -= 1.0 / (c2 + nf);
        term *= (c2 + nf) / (a + 1.0 + nf) * z;
        sum += term;
        s_a += term * da_n;
        s_b += term * db_n;
        s_n += term * (nf + 1.0);
        // The n-weighted tail is bounded by term (n + 1) z / (1 - z)^2.
        if term * z / (1.0 - z) < sum * 1e-16
            && term * (nf + 2.0) * z / ((1.0 - z) * (1.0 - z)) < s_n.max(1e-300) * 1e-13
        {
            break;
        }
    }
    let value = (1.0 - b) * l1z + sum.ln();
    (
        value,
        [
            s_a / sum,
            -l1z + s_b / sum,
            -(1.0 - b) / (1.0 - z) + s_n / (sum * z),
        ],
    )
}

/// ln(exp(x) + exp(y)).
pub(crate) fn log_add(x: f64, y: f64) -> f64 {
    let (hi, lo) = if x > y { (x, y) } else { (y, x) };
    if lo == f64::NEG_INFINITY {
        hi
    } else {
        hi + (lo - hi).exp().ln_1p()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigamma_matches_known_values_and_the_derivative_of_digamma() {
        // ψ₁(1) = π²/6, ψ₁(1/2) = π²/2.
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-13);
        assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-12);
        for x in [0.01, 0.3, 2.5, 5.99, 6.0, 17.0, 1e4] {
            let h = 1e-5 * x;
            let num = (digamma(x + h) - digamma(x - h)) / (2.0 * h);
            assert!(
                (trigamma(x) - num).abs() < 1e-6 * num.abs(),
                "{x}: {} vs {num}",
                trigamma(x)
            );
        }
        assert!(trigamma(0.0).is_nan() && trigamma(-1.0).is_nan() && trigamma(f64::NAN).is_nan());
    }

    #[test]
    fn outside_the_domain_is_nan_not_a_panic() {
        // a + b - 1 <= 0: what a BG/NBD fit with a -> 0 and b < 1 asks for a new customer.
        assert!(ln_hyp2f1(0.5, 0.4, 0.0, 0.3).is_nan());
        assert!(ln_hyp2f1(0.5, 0.4, -0.5, 0.3).is_nan());
        assert!(ln_hyp2f1(0.5, 0.4, 1.5, 1.0).is_nan());
        assert!(ln_hyp2f1(f64::NAN, 0.4, 1.5, 0.3).is_nan());
        assert!(ln_hyp2f1_a_a1_grad(0.5, 3.0, 0.3).0.is_nan());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn inside_the_domain_is_finite(
            a in 1e-4f64..1e3, b in 1e-4f64..1e3, c in 1e-3f64..1e3, z in 0.0f64..0.999
        ) {
            proptest::prop_assert!(ln_hyp2f1(a, b, c, z).is_finite());
        }
    }

    #[test]
    fn hyp2f1_closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z
        for z in [0.1, 0.5, 0.9, 0.999] {
            let want = (-(1.0f64 - z).ln() / z).ln();
            assert!(
                (ln_hyp2f1(1.0, 1.0, 2.0, z) - want).abs() < 1e-12,
                "z = {z}"
            );
        }
        // 2F1(a, b; b; z) = (1 - z)^-a, also for large a near z = 1.
        for (a, z) in [(0.5, 0.3), (7.5, 0.99), (120.0, 0.9)] {
            let want = -a * (1.0f64 - z).ln();
            let got = ln_hyp2f1(a, 2.0, 2.0, z);
            assert!(
                (got - want).abs() < 1e-9 * want.abs().max(1.0),
                "a = {a}, z = {z}: {got} vs {want}"
            );
        }
        assert_eq!(ln_hyp2f1(3.0, 4.0, 5.0, 0.0), 0.0);
    }

    #[test]
    fn euler_form_matches_the_plain_series() {
        for (a, b, z) in [
            (1.2, 1.6, 0.3),
            (5.0, 2.5, 0.9),
            (0.8, 1.1, 0.99),
            (30.0, 1.6, 0.999),
        ] {
            let plain = ln_hyp2f1(a, b, a + 1.0, z);
            let euler = ln_hyp2f1_a_a1(a, b, z);
            assert!(
                (plain - euler).abs() < 1e-9 * plain.abs().max(1.0),
                "{a} {b} {z}: {plain} vs {euler}"
            );
        }
    }

    #[test]
    fn hypergeometric_derivatives_match_finite_differences() {
        for (a, b, z) in [
            (1.2, 1.6, 0.3),
            (5.0, 2.5, 0.9),
            (0.8, 1.1, 0.99),
            (30.0, 1.6, 0.999),
            (2.0, 0.3, 1e-4),
        ] {
            let (v, g) = ln_hyp2f1_a_a1_grad(a, b, z);
            assert!((v - ln_hyp2f1_a_a1(a, b, z)).abs() < 1e-12 * v.abs().max(1.0));
            let h = 1e-6;
            let num = [
                (ln_hyp2f1_a_a1(a + h, b, z) - ln_hyp2f1_a_a1(a - h, b, z)) / (2.0 * h),
                (ln_hyp2f1_a_a1(a, b + h, z) - ln_hyp2f1_a_a1(a, b - h, z)) / (2.0 * h),
                (ln_hyp2f1_a_a1(a, b, z + h * (1.0 - z)) - ln_hyp2f1_a_a1(a, b, z - h * (1.0 - z)))
                    / (2.0 * h * (1.0 - z)),
            ];
            for k in 0..3 {
                assert!(
                    (g[k] - num[k]).abs() < 1e-6 * num[k].abs().max(1.0),
                    "{a} {b} {z} k={k}: {} vs {}",
                    g[k],
                    num[k]
                );
            }
        }
    }

    #[test]
    fn log_add_is_stable() {
        assert!((log_add(1000.0, 1000.0) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert_eq!(log_add(-5.0, f64::NEG_INFINITY), -5.0);
    }
}
