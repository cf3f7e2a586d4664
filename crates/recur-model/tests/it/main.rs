//! Integration tests of the behaviour model: learning, determinism, persistence, baselines,
//! protocols and loaders.

use std::sync::atomic::{AtomicBool, Ordering};

use recur_model::{
    Config, EpochReport, Exclude, ItemKnn, ItemKnnConfig, MetricSums, PersonalPopularity,
    Popularity, Recommender, Sequence, StopReason, TifuConfig, TifuKnn, TrainConfig, TrainObserver,
    TransformerRecommender, Validation, leave_one_out, load_history_future, load_user_item_pairs,
    next_basket, recommend, score_histories, top_k, train,
};

/// Customers who follow one of three planted paths through ten items.
fn planted(customers: usize) -> Vec<Sequence> {
    let paths = [
        vec![1, 2, 3, 4, 5],
        vec![6, 7, 8, 9, 10],
        vec![3, 8, 1, 6, 2],
    ];
    (0..customers)
        .map(|c| Sequence::from_items(format!("c{c}"), paths[c % 3].clone()))
        .collect()
}

fn tiny_config(items: usize) -> Config {
    let mut cfg = Config::small(items);
    cfg.hidden = 16;
    cfg.ffn = 32;
    cfg.layers = 1;
    cfg.dropout = 0.0;
    cfg.max_len = 8;
    cfg.time_features = false;
    cfg.repeat_aware = false;
    cfg.time_head = false;
    cfg
}

fn tiny_train(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 8,
        warmup_steps: 5,
        learning_rate: 1e-2,
        patience: epochs,
        negatives: 0,
        ..TrainConfig::default()
    }
}

fn validation_of(seqs: &[Sequence]) -> Validation {
    Validation {
        inputs: seqs.iter().take(3).map(|s| s.prefix(3)).collect(),
        targets: seqs.iter().take(3).map(|s| vec![s.items[3]]).collect(),
    }
}

#[test]
fn a_tiny_model_learns_a_planted_pattern() -> anyhow::Result<()> {
    let seqs = planted(30);
    let t = train(
        &tiny_config(10),
        &tiny_train(60),
        &seqs,
        &validation_of(&seqs),
        None,
        None,
        &mut (),
        &AtomicBool::new(false),
    )?;
    let last = t.report.epochs.last().unwrap();
    assert!(last.loss < 0.05, "loss {}", last.loss);
    let rec = TransformerRecommender::new(t.model);
    for (prefix, want) in [(vec![1, 2, 3], 4), (vec![6, 7], 8), (vec![3, 8, 1, 6], 2)] {
        let top = recommend(
            &rec,
            &Sequence::from_items("x", prefix.clone()),
            1,
            Exclude::Nothing,
        )?;
        assert_eq!(top[0].0, want, "after {prefix:?}");
    }
    Ok(())
}

#[test]
fn the_same_seed_gives_the_same_model_and_another_seed_does_not() -> anyhow::Result<()> {
    let seqs = planted(24);
    let mut cfg = tiny_config(10);
    cfg.dropout = 0.2;
    let run = |seed: u64| -> anyhow::Result<Vec<Vec<f32>>> {
        let tc = TrainConfig {
            seed,
            ..tiny_train(3)
        };
        let t = train(
            &cfg,
            &tc,
            &seqs,
            &validation_of(&seqs),
            None,
            None,
            &mut (),
            &AtomicBool::new(false),
        )?;
        let h: Vec<&Sequence> = seqs.iter().take(3).collect();
        Ok(score_histories(&t.model, &h)?)
    };
    assert_eq!(run(7)?, run(7)?);
    assert_ne!(run(7)?, run(8)?);
    Ok(())
}

#[test]
fn save_and_load_give_identical_scores() -> anyhow::Result<()> {
    let seqs = planted(12);
    let mut cfg = tiny_config(10);
    cfg.repeat_aware = true;
    cfg.time_features = true;
    let t = train(
        &cfg,
        &tiny_train(2),
        &seqs,
        &validation_of(&seqs),
        None,
        None,
        &mut (),
        &AtomicBool::new(false),
    )?;
    let mut vocab = recur_model::ItemVocab::new();
    for i in 1..=10 {
        vocab.intern(&format!("sku-{i}"));
    }
    let dir = tempfile::tempdir()?;
    recur_model::save(dir.path(), &t, &vocab)?;
    let loaded = recur_model::load(dir.path())?;
    assert_eq!(loaded.vocab.get("sku-7"), Some(7));
    assert_eq!(loaded.model.config(), t.model.config());
    assert_eq!(loaded.report.as_ref().map(|r| r.epochs.len()), Some(2));
    let h: Vec<&Sequence> = seqs.iter().collect();
    assert_eq!(
        score_histories(&t.model, &h)?,
        score_histories(&loaded.model, &h)?
    );
    Ok(())
}

#[test]
fn a_missing_model_folder_says_to_train_first() {
    let dir = tempfile::tempdir().unwrap();
    let err = recur_model::load(dir.path()).err().unwrap().to_string();
    assert!(err.contains("recur train"), "{err}");
}

struct StopAfter<'a> {
    epoch: usize,
    stop: &'a AtomicBool,
}

impl TrainObserver for StopAfter<'_> {
    fn on_epoch(&mut self, r: &EpochReport) {
        if r.epoch == self.epoch {
            self.stop.store(true, Ordering::Relaxed);
        }
    }
}

#[test]
fn an_interrupted_run_resumes_to_the_same_model() -> anyhow::Result<()> {
    let seqs = planted(24);
    let mut cfg = tiny_config(10);
    cfg.dropout = 0.1;
    let tc = tiny_train(4);
    let val = validation_of(&seqs);
    let h: Vec<&Sequence> = seqs.iter().take(3).collect();
    let straight = train(
        &cfg,
        &tc,
        &seqs,
        &val,
        None,
        None,
        &mut (),
        &AtomicBool::new(false),
    )?;

    let dir = tempfile::tempdir()?;
    let stop = AtomicBool::new(false);
    let mut obs = StopAfter {
        epoch: 2,
        stop: &stop,
    };
    let first = train(
        &cfg,
        &tc,
        &seqs,
        &val,
        None,
        Some(dir.path()),
        &mut obs,
        &stop,
    )?;
    assert_eq!(first.report.stopped, StopReason::Interrupted);
    assert_eq!(first.report.epochs.len(), 2);
    let resumed = train(
        &cfg,
        &tc,
        &seqs,
        &val,
        None,
        Some(dir.path()),
        &mut (),
        &AtomicBool::new(false),
    )?;
    assert_eq!(resumed.report.epochs.len(), 4);
    let figures = |r: &[EpochReport]| -> Vec<(usize, f64, f64)> {
        r.iter().map(|e| (e.epoch, e.loss, e.ndcg)).collect()
    };
    assert_eq!(
        figures(&resumed.report.epochs),
        figures(&straight.report.epochs)
    );
    assert_eq!(
        score_histories(&straight.model, &h)?,
        score_histories(&resumed.model, &h)?
    );
    Ok(())
}

#[test]
fn sampled_softmax_with_repeats_and_time_head_trains() -> anyhow::Result<()> {
    // Customers who rebuy item 1 every 10 days and sometimes add another item.
    let day = 86_400;
    let seqs: Vec<Sequence> = (0..20)
        .map(|c| {
            let mut s = Sequence {
                customer: format!("c{c}").into(),
                ..Sequence::default()
            };
            for k in 0..8u32 {
                s.items.push(1);
                s.events.push(1);
                s.baskets.push(k);
                s.times.push(i64::from(k) * 10 * day);
                s.items.push(2 + (k + c) % 30);
                s.events.push(1);
                s.baskets.push(k);
                s.times.push(i64::from(k) * 10 * day);
            }
            s
        })
        .collect();
    let mut cfg = tiny_config(40);
    cfg.repeat_aware = true;
    cfg.time_features = true;
    cfg.time_head = true;
    let tc = TrainConfig {
        negatives: 16,
        ..tiny_train(15)
    };
    let val = Validation {
        inputs: seqs.iter().take(5).map(|s| s.prefix(14)).collect(),
        targets: vec![vec![1]; 5],
    };
    let t = train(
        &cfg,
        &tc,
        &seqs,
        &val,
        None,
        None,
        &mut (),
        &AtomicBool::new(false),
    )?;
    assert!(t.report.epochs.iter().all(|e| e.time_loss.is_some()));
    let rec = TransformerRecommender::new(t.model.clone());
    let top = recommend(&rec, &seqs[0].prefix(14), 3, Exclude::Nothing)?;
    assert_eq!(
        top[0].0, 1,
        "the item bought in every basket comes first: {top:?}"
    );
    let p = recur_model::next_purchase(&t.model, &[&seqs[0]])?;
    let p = p[0].expect("time head");
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    // Gaps are 10 days: the 7-14 day class is the most likely.
    let best = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
    assert_eq!(best, 1, "{p:?}");
    Ok(())
}

#[test]
fn baselines_rank_what_they_should() -> anyhow::Result<()> {
    let train_seqs = vec![
        Sequence::from_items("a", vec![1, 2, 3]),
        Sequence::from_items("b", vec![1, 2, 4]),
        Sequence::from_items("c", vec![5, 1, 2]),
        Sequence::from_items("d", vec![6, 6, 6, 7]),
    ];
    let n = 7;
    let pop = Popularity::fit(&train_seqs, n);
    assert_eq!(
        top_k(&pop.score_batch(&[&train_seqs[0]])?[0], 2),
        vec![1, 2]
    );
    let knn = ItemKnn::fit(&train_seqs, n, ItemKnnConfig::default());
    let after_one = Sequence::from_items("x", vec![1]);
    assert_eq!(recommend(&knn, &after_one, 1, Exclude::Seen)?[0].0, 2);
    let ppop = PersonalPopularity::fit(&train_seqs, n);
    assert_eq!(
        recommend(&ppop, &train_seqs[3], 1, Exclude::Nothing)?[0].0,
        6
    );
    let tifu = TifuKnn::fit(
        &train_seqs,
        n,
        TifuConfig {
            neighbours: 2,
            ..TifuConfig::default()
        },
    );
    let top = recommend(
        &tifu,
        &Sequence::from_items("y", vec![1, 2]),
        3,
        Exclude::Seen,
    )?;
    assert!(
        top.iter().any(|&(i, _)| i == 3 || i == 4 || i == 5),
        "{top:?}"
    );
    Ok(())
}

#[test]
fn loaders_read_the_public_formats_and_report_bad_lines() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let beauty = dir.path().join("Beauty.txt");
    std::fs::write(&beauty, "1 10\n1 11\n1 12\n2 11\n2 13\n2 10\n2 12\n")?;
    let data = load_user_item_pairs(&beauty)?;
    assert_eq!(data.sequences.len(), 2);
    assert_eq!(data.vocab.len(), 4);
    let split = leave_one_out(&data);
    assert_eq!(split.test.inputs[1].items.len(), 3);
    assert_eq!(
        split.validation.targets[0],
        vec![data.vocab.get("11").unwrap()]
    );
    std::fs::write(&beauty, "1 10\n1 11 12\n")?;
    let err = load_user_item_pairs(&beauty).err().unwrap().to_string();
    assert!(err.contains(":2:"), "{err}");

    let h = dir.path().join("tafeng_history.json");
    let f = dir.path().join("tafeng_future.json");
    std::fs::write(
        &h,
        r#"{"1": [[-1], [0, 1], [1, 2], [-1]], "2": [[-1], [3], [-1]], "3": [[-1], [4], [-1]]}"#,
    )?;
    std::fs::write(&f, r#"{"1": [[-1], [1, 5], [-1]], "2": [[-1], [3], [-1]]}"#)?;
    let b = load_history_future(&h, &f)?;
    assert_eq!(b.history.len(), 2, "user 3 has no future basket");
    let split = next_basket(&b);
    assert_eq!(
        split.validation.inputs.len(),
        1,
        "only user 1 has two baskets"
    );
    assert_eq!(split.validation.targets[0].len(), 2);
    Ok(())
}

#[test]
fn metric_sums_average() {
    let mut m = MetricSums::default();
    m.add(&[3, 1], &[1], 10);
    m.add(&[2], &[9], 10);
    assert!((m.hit_rate() - 0.5).abs() < 1e-12);
    assert!((m.ndcg() - 0.5 / 3f64.log2()).abs() < 1e-12);
}

mod properties {
    use proptest::prelude::*;
    use recur_model::{hit_at_k, ndcg_at_k, recall_at_k, top_k};

    proptest! {
        #[test]
        fn metrics_stay_in_range_and_agree(scores in prop::collection::vec(-5.0f32..5.0, 1..60), rel in prop::collection::vec(0u32..60, 1..5), k in 1usize..15) {
            let ranked = top_k(&scores, k);
            prop_assert!(ranked.len() <= k);
            prop_assert!(ranked.windows(2).all(|w| scores[w[0] as usize] >= scores[w[1] as usize]));
            let n = ndcg_at_k(&ranked, &rel, k);
            let h = hit_at_k(&ranked, &rel, k);
            let r = recall_at_k(&ranked, &rel, k);
            prop_assert!((0.0..=1.0).contains(&n) && (0.0..=1.0).contains(&r));
            // A hit exactly when something relevant was found.
            prop_assert_eq!(h > 0.0, n > 0.0);
            prop_assert_eq!(h > 0.0, r > 0.0);
        }

        #[test]
        fn top_k_returns_the_k_largest(scores in prop::collection::vec(-100.0f32..100.0, 1..200), k in 1usize..20) {
            let got = top_k(&scores, k);
            let mut sorted = scores.clone();
            sorted.sort_by(|a, b| b.total_cmp(a));
            let want: Vec<f32> = sorted.into_iter().take(k).collect();
            let have: Vec<f32> = got.iter().map(|&i| scores[i as usize]).collect();
            prop_assert_eq!(have, want);
        }
    }
}

#[test]
fn last_orders_hold_out_the_final_order_and_drop_later_browsing() {
    use recur_model::{EventKind, SequenceData, last_orders};
    let p = EventKind::Purchase as u8;
    let v = EventKind::View as u8;
    // Orders: {1,2} (basket 0), {3} (basket 2), then a view of 4 and the last order {4,5}.
    let s = Sequence {
        customer: "c".into(),
        items: vec![1, 2, 9, 3, 4, 4, 5],
        events: vec![p, p, v, p, v, p, p],
        times: vec![0, 0, 10, 20, 30, 40, 40],
        baskets: vec![0, 0, 1, 2, 3, 4, 4],
        searches: Vec::new(),
    };
    let data = SequenceData {
        vocab: recur_model::ItemVocab::from_ids((1..=9).map(|i| i.to_string()).collect()),
        sequences: vec![s],
    };
    let split = last_orders(&data);
    assert_eq!(split.test.targets, vec![vec![4, 5]]);
    // The test input ends with order {3}: the view of 4 just before the last order is left out.
    assert_eq!(split.test.inputs[0].items, vec![1, 2, 9, 3]);
    assert_eq!(split.validation.targets, vec![vec![3]]);
    assert_eq!(split.validation.inputs[0].items, vec![1, 2]);
    assert_eq!(split.train[0].items, vec![1, 2, 9]);
}

#[test]
fn item_text_is_fused_saved_and_loaded() -> anyhow::Result<()> {
    use recur_model::{SuiteOptions, leave_one_out, run_suite};
    let seqs = planted(30);
    let mut vocab = recur_model::ItemVocab::new();
    for i in 1..=10 {
        vocab.intern(&format!("sku-{i}"));
    }
    let data = recur_model::SequenceData {
        vocab: vocab.clone(),
        sequences: seqs,
    };
    let split = leave_one_out(&data);
    // Three-dimensional "text" vectors: items on one path share a direction.
    let text: Vec<Vec<f32>> = (1..=10)
        .map(|i| vec![(i % 3) as f32, 1.0, (i / 5) as f32])
        .collect();
    let options = SuiteOptions {
        k: 10,
        exclude: Exclude::Nothing,
        threads: 1,
        baselines: false,
        transformer: Some((tiny_config(10), tiny_train(3))),
        checkpoint: None,
        item_text: Some(text),
    };
    let (report, trained) = run_suite(&split, 10, &options, &mut (), &AtomicBool::new(false))?;
    assert_eq!(
        report.transformer_config.as_ref().map(|c| c.text_dim),
        Some(3)
    );
    let trained = trained.unwrap();
    assert_eq!(trained.model.config().text_dim, 3);
    let dir = tempfile::tempdir()?;
    recur_model::save(dir.path(), &trained, &vocab)?;
    assert!(dir.path().join("item_text.safetensors").exists());
    let loaded = recur_model::load(dir.path())?;
    let h: Vec<&Sequence> = split.test.inputs.iter().collect();
    assert_eq!(
        score_histories(&trained.model, &h)?,
        score_histories(&loaded.model, &h)?
    );
    let bad = SuiteOptions {
        item_text: Some(vec![vec![1.0]; 9]),
        ..options
    };
    assert!(run_suite(&split, 10, &bad, &mut (), &AtomicBool::new(false)).is_err());
    Ok(())
}
