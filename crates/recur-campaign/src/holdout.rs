//! Randomised holdout groups: stable per (campaign, customer), stratified by segment.

use std::collections::BTreeMap;

use xxhash_rust::xxh3::xxh3_64;

/// The random key of a customer in a campaign: a 64-bit hash of (campaign id, customer id).
/// It depends on nothing else, so re-planning the same campaign gives the same key.
pub fn holdout_key(campaign: &str, customer: &str) -> u64 {
    let mut buf = Vec::with_capacity(campaign.len() + customer.len() + 1);
    buf.extend_from_slice(campaign.as_bytes());
    buf.push(0);
    buf.extend_from_slice(customer.as_bytes());
    xxh3_64(&buf)
}

/// Assigns `share` of each stratum to the holdout: within a stratum, customers are ordered by
/// their [`holdout_key`] and the first round(share × n) are held out. The assignment is a
/// deterministic function of the campaign id and the audience, every stratum gets its exact
/// share, and adding one customer to a stratum changes at most one other customer's group.
/// Returns one flag per input customer (true = holdout).
pub fn assign_holdout(campaign: &str, audience: &[(&str, &str)], share: f64) -> Vec<bool> {
    let share = share.clamp(0.0, 1.0);
    let mut strata: BTreeMap<&str, Vec<(u64, usize)>> = BTreeMap::new();
    for (i, (customer, stratum)) in audience.iter().enumerate() {
        strata
            .entry(stratum)
            .or_default()
            .push((holdout_key(campaign, customer), i));
    }
    let mut out = vec![false; audience.len()];
    for members in strata.values_mut() {
        members.sort_unstable();
        let k = (share * members.len() as f64).round() as usize;
        for &(_, i) in &members[..k] {
            out[i] = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_stratified_and_campaign_specific() {
        let ids: Vec<String> = (0..1000).map(|i| format!("C{i:04}")).collect();
        let audience: Vec<(&str, &str)> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), if i % 4 == 0 { "At Risk" } else { "Loyal" }))
            .collect();
        let a = assign_holdout("winback-1", &audience, 0.1);
        // Same campaign, same audience in another order: same groups.
        let mut reversed = audience.clone();
        reversed.reverse();
        let b = assign_holdout("winback-1", &reversed, 0.1);
        let by_id: BTreeMap<&str, bool> = reversed.iter().map(|c| c.0).zip(b).collect();
        assert!(audience.iter().zip(&a).all(|(c, h)| by_id[c.0] == *h));
        // Exact share per stratum: 250 at risk → 25, 750 loyal → 75.
        let held = |seg: &str| {
            audience
                .iter()
                .zip(&a)
                .filter(|(c, h)| c.1 == seg && **h)
                .count()
        };
        assert_eq!((held("At Risk"), held("Loyal")), (25, 75));
        // Another campaign draws another holdout.
        let other = assign_holdout("winback-2", &audience, 0.1);
        assert_ne!(a, other);
        // Adding one customer moves at most one other customer.
        let mut bigger = audience.clone();
        bigger.push(("C9999", "Loyal"));
        let c = assign_holdout("winback-1", &bigger, 0.1);
        let changed = a.iter().zip(&c).filter(|(x, y)| x != y).count();
        assert!(changed <= 1, "{changed}");
    }
}
