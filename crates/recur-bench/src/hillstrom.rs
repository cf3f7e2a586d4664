//! The Hillstrom e-mail experiment: randomised effects and uplift targeting.

use std::path::Path;

use recur_campaign::HillstromReport;
use recur_engine::Result;

/// Bootstrap replicates behind the targeting intervals.
const REPLICATES: usize = 500;

/// Reproduces the randomised effects of the Hillstrom e-mail experiment (95 % intervals) and
/// compares uplift targeting of the top 30 % with random targeting on a stratified held-out
/// 30 %. Deterministic for a seed.
pub fn evaluate_hillstrom(path: &Path, seed: u64) -> Result<HillstromReport> {
    Ok(recur_campaign::evaluate_hillstrom(
        path, 0.95, REPLICATES, seed,
    )?)
}
