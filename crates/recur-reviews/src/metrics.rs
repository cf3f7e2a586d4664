//! Accuracy and macro-F1 of predicted classes.

/// Share of predictions equal to the truth (0 for none).
pub(crate) fn accuracy(truth: &[usize], predicted: &[usize]) -> f64 {
    if truth.is_empty() {
        return 0.0;
    }
    let right = truth.iter().zip(predicted).filter(|(a, b)| a == b).count();
    right as f64 / truth.len() as f64
}

/// The mean over the classes present in the truth of each class's F1.
pub(crate) fn macro_f1(truth: &[usize], predicted: &[usize], classes: usize) -> f64 {
    let mut f1s = Vec::new();
    for c in 0..classes {
        let tp = truth
            .iter()
            .zip(predicted)
            .filter(|&(&t, &p)| t == c && p == c)
            .count() as f64;
        let actual = truth.iter().filter(|&&t| t == c).count() as f64;
        let guessed = predicted.iter().filter(|&&p| p == c).count() as f64;
        if actual == 0.0 {
            continue;
        }
        let f1 = if tp == 0.0 {
            0.0
        } else {
            2.0 * tp / (actual + guessed)
        };
        f1s.push(f1);
    }
    if f1s.is_empty() {
        0.0
    } else {
        f1s.iter().sum::<f64>() / f1s.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores() {
        let t = [0, 0, 1, 1];
        assert_eq!(accuracy(&t, &[0, 0, 1, 1]), 1.0);
        assert_eq!(macro_f1(&t, &[0, 0, 1, 1], 2), 1.0);
        // All majority: F1 of class 0 is 2/3, class 1 is 0.
        assert!((macro_f1(&t, &[0, 0, 0, 0], 2) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(accuracy(&[], &[]), 0.0);
    }
}
