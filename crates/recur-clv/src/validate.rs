//! Identifiability checks: degenerate data gets a clear error instead of NaN estimates.

use crate::error::{Error, Result};
use crate::summary::CustomerSummary;

/// Checks that count models (BG/NBD, Pareto/NBD) can be fitted to `data`.
pub(crate) fn check_counts(data: &[CustomerSummary]) -> Result<()> {
    for c in data {
        c.validate()?;
    }
    if data.len() < 2 {
        return Err(Error::NotIdentifiable {
            reason: format!(
                "{} customer(s); four parameters describe the spread between customers",
                data.len()
            ),
            hint: "fit on a whole customer base (hundreds of customers or more)",
        });
    }
    if data.iter().all(|c| c.t == 0.0) {
        return Err(Error::NotIdentifiable {
            reason: "every customer's observation period is zero-length (T = 0)".into(),
            hint: "end the calibration period after the customers' first purchases",
        });
    }
    if data.iter().all(|c| c.frequency == 0.0) {
        return Err(Error::NotIdentifiable {
            reason: "every customer bought only once (no repeat purchases), so purchase rates and dropout cannot be told apart".into(),
            hint: "use a longer calibration period or include customers with repeat purchases",
        });
    }
    Ok(())
}

/// Checks that the Gamma-Gamma spend model can be fitted: repeat buyers with positive spend.
pub(crate) fn check_spend(data: &[&CustomerSummary]) -> Result<()> {
    for c in data {
        c.validate()?;
    }
    if data.len() < 2 {
        return Err(Error::NotIdentifiable {
            reason: format!(
                "{} repeat customer(s) with spend; the spend model needs several",
                data.len()
            ),
            hint: "fit on a customer base with repeat purchases",
        });
    }
    if let Some(c) = data.iter().find(|c| c.monetary <= 0.0) {
        return Err(Error::BadSummary {
            customer: c.customer_id.to_string(),
            reason: format!(
                "mean repeat spend {} must be positive for the Gamma-Gamma model",
                c.monetary
            ),
        });
    }
    let first = data[0].monetary;
    if data.iter().all(|c| (c.monetary - first).abs() < 1e-12) {
        return Err(Error::NotIdentifiable {
            reason: "every customer has the same mean spend, so its spread across customers is undefined".into(),
            hint: "check that amounts were imported (not a constant price)",
        });
    }
    Ok(())
}
