//! The reference evaluation on a labelled file: identical texts removed (so none falls on both
//! sides), a seeded 80/20 split, the model trained on the 80 % (its penalty chosen on a split
//! of those alone), scored on the 20 % beside a majority-class and a lexicon baseline; speed of
//! training, of classification on one core, and of the aspect analysis over every review.
//! Given a sentence embedder, a logistic-regression head on the embeddings of the training
//! reviews joins the baselines ([`evaluate_with_embedder`]).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use serde::Serialize;

use crate::aspects::{AnalyzeOptions, Review, analyze};
use crate::datasets::{DatasetFormat, read_dataset};
use crate::embedding_head::{DEFAULT_EMBEDDING_LIMIT, EmbeddingHeadRun, TextEmbedder, run_head};
use crate::error::{Error, Result};
use crate::lexicon::{EN_NEGATIVE, EN_POSITIVE, ZH_NEGATIVE, ZH_POSITIVE, words};
use crate::metrics::{accuracy, macro_f1};
use crate::model::Polarity;
use crate::rng::Rng;
use crate::text::{Token, mostly_chinese, normalise, tokens};
use crate::train::{Example, TrainOptions, train};

/// Settings of an evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalOptions {
    /// Seed of the 80/20 split.
    pub seed: u64,
    /// Share of the reviews held out for the test.
    pub test_share: f64,
    /// Training settings.
    pub train: TrainOptions,
    /// Also time the aspect analysis over every review.
    pub aspects: bool,
    /// Most training reviews the embedding head is trained on (a seeded sample beyond).
    pub embedding_limit: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            test_share: 0.2,
            train: TrainOptions::default(),
            aspects: true,
            embedding_limit: DEFAULT_EMBEDDING_LIMIT,
        }
    }
}

/// A baseline's scores on the test split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineScore {
    /// `majority`, `lexicon` or `embedding_head`.
    pub name: String,
    /// Accuracy.
    pub accuracy: f64,
    /// Macro-F1.
    pub macro_f1: f64,
    /// Seconds to train (the embedding head: embedding its training reviews and the fit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub train_seconds: Option<f64>,
    /// Test reviews classified per second from raw text (the embedding head: embedding
    /// included, on every core the embedder uses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviews_per_second: Option<f64>,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// File.
    pub dataset: PathBuf,
    /// Layout.
    pub format: DatasetFormat,
    /// Labelled reviews read (before duplicates were removed).
    pub reviews: usize,
    /// Rows left out (three stars, no text).
    pub left_out: usize,
    /// Reviews removed because an identical text (after normalisation) came earlier.
    pub duplicates_removed: usize,
    /// Reviews per class after duplicates were removed.
    pub class_balance: BTreeMap<Polarity, usize>,
    /// Training reviews (80 %).
    pub train_reviews: usize,
    /// Test reviews (20 %).
    pub test_reviews: usize,
    /// The model's accuracy on the test split.
    pub accuracy: f64,
    /// The model's macro-F1 on the test split.
    pub macro_f1: f64,
    /// Seconds to train (features, penalty choice, final fit).
    pub train_seconds: f64,
    /// Test reviews classified per second on one core (from raw text).
    pub reviews_per_second: f64,
    /// The L2 penalty chosen on the validation split.
    pub lambda: f64,
    /// Whether classes were weighted equally.
    pub balanced: bool,
    /// The calibration temperature.
    pub temperature: f32,
    /// Majority-class and lexicon baselines on the same test split (and the embedding head,
    /// when an embedder was given).
    pub baselines: Vec<BaselineScore>,
    /// How the embedding head was trained and timed, when an embedder was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedding_head: Option<EmbeddingHeadRun>,
    /// Reviews the aspect analysis read (every review after duplicates were removed).
    pub aspects_reviews: usize,
    /// Seconds of the aspect analysis (with the model's clause polarity).
    pub aspects_seconds: Option<f64>,
    /// Aspects found shop-wide by that analysis.
    pub aspects_found: usize,
}

/// The lexicon baseline: positive words minus negative words (jieba words for Chinese);
/// a tie is the majority class.
pub(crate) fn lexicon_label(text: &str, majority: Polarity) -> Polarity {
    type Words = HashSet<&'static str>;
    static LISTS: OnceLock<[Words; 4]> = OnceLock::new();
    let [en_pos, en_neg, zh_pos, zh_neg] = LISTS.get_or_init(|| {
        [EN_POSITIVE, EN_NEGATIVE, ZH_POSITIVE, ZH_NEGATIVE].map(|l| words(l).collect())
    });
    let norm = normalise(text);
    let (pos, neg) = if mostly_chinese(&norm) {
        (zh_pos, zh_neg)
    } else {
        (en_pos, en_neg)
    };
    let mut score = 0i32;
    tokens(&norm, |t| {
        if let Token::Han(w) | Token::Word(w) = t {
            if pos.contains(w) {
                score += 1;
            } else if neg.contains(w) {
                score -= 1;
            }
        }
    });
    match score.cmp(&0) {
        std::cmp::Ordering::Greater => Polarity::Positive,
        std::cmp::Ordering::Less => Polarity::Negative,
        std::cmp::Ordering::Equal => majority,
    }
}

/// Evaluates the classifier on a labelled file.
pub fn evaluate(path: &Path, format: DatasetFormat, opts: &EvalOptions) -> Result<Evaluation> {
    evaluate_with_embedder(path, format, opts, None)
}

/// [`evaluate`], and with an embedder, a logistic-regression head on its sentence embeddings
/// of up to `opts.embedding_limit` training reviews (sampled with the seed), trained with the
/// same choice of penalty, weighting and threshold and scored on the same test split.
pub fn evaluate_with_embedder(
    path: &Path,
    format: DatasetFormat,
    opts: &EvalOptions,
    embedder: Option<&dyn TextEmbedder>,
) -> Result<Evaluation> {
    if opts.embedding_limit < crate::train::MIN_EXAMPLES {
        return Err(Error::BadOption {
            name: "embedding_limit",
            value: opts.embedding_limit.to_string(),
            hint: "give at least 10 training reviews for the embedding head",
        });
    }
    if !(0.05..=0.5).contains(&opts.test_share) {
        return Err(Error::BadOption {
            name: "test_share",
            value: opts.test_share.to_string(),
            hint: "give a share between 0.05 and 0.5",
        });
    }
    let data = read_dataset(path, format)?;
    let read = data.reviews.len();
    let mut seen = HashSet::new();
    let reviews: Vec<_> = data
        .reviews
        .into_iter()
        .filter(|r| seen.insert(normalise(&r.text)))
        .collect();
    let duplicates_removed = read - reviews.len();
    let mut class_balance = BTreeMap::new();
    for r in &reviews {
        *class_balance.entry(r.label).or_insert(0) += 1;
    }
    let mut order: Vec<usize> = (0..reviews.len()).collect();
    Rng::new(opts.seed).shuffle(&mut order);
    let n_test = (reviews.len() as f64 * opts.test_share).round() as usize;
    let (test_ids, train_ids) = order.split_at(n_test);
    let train_set: Vec<Example> = train_ids
        .iter()
        .map(|&i| Example {
            text: reviews[i].text.clone(),
            label: reviews[i].label,
        })
        .collect();
    if test_ids.is_empty() {
        return Err(Error::NotEnoughData(format!(
            "`{}` has {} distinct labelled reviews, too few to hold out a test split",
            path.display(),
            reviews.len()
        )));
    }
    let started = Instant::now();
    let model = train(&train_set, &opts.train)?;
    let train_seconds = started.elapsed().as_secs_f64();
    let classes = &model.config().classes;
    let class_of = |p: Polarity| classes.iter().position(|&c| c == p).unwrap_or(0);
    let truth: Vec<usize> = test_ids
        .iter()
        .map(|&i| class_of(reviews[i].label))
        .collect();

    let started = Instant::now();
    let mut predicted = Vec::with_capacity(test_ids.len());
    let mut passes = 0;
    while passes == 0 || started.elapsed().as_secs_f64() < 1.0 {
        predicted.clear();
        predicted.extend(
            test_ids
                .iter()
                .map(|&i| class_of(model.predict(&reviews[i].text).label)),
        );
        passes += 1;
    }
    let reviews_per_second = (passes * test_ids.len()) as f64 / started.elapsed().as_secs_f64();

    let majority = *classes
        .iter()
        .max_by_key(|&&c| {
            (
                train_set.iter().filter(|e| e.label == c).count(),
                std::cmp::Reverse(c),
            )
        })
        .unwrap_or(&Polarity::Positive);
    let k = classes.len();
    let score = |name: &str, pred: Vec<usize>| BaselineScore {
        name: name.to_owned(),
        accuracy: accuracy(&truth, &pred),
        macro_f1: macro_f1(&truth, &pred, k),
        train_seconds: None,
        reviews_per_second: None,
    };
    let mut baselines = vec![
        score("majority", vec![class_of(majority); truth.len()]),
        score(
            "lexicon",
            test_ids
                .iter()
                .map(|&i| class_of(lexicon_label(&reviews[i].text, majority)))
                .collect(),
        ),
    ];
    let mut embedding_head = None;
    if let Some(e) = embedder {
        let train_reviews: Vec<_> = train_ids.iter().map(|&i| &reviews[i]).collect();
        let test_reviews: Vec<_> = test_ids.iter().map(|&i| &reviews[i]).collect();
        let out = run_head(
            e,
            &train_reviews,
            &test_reviews,
            opts.embedding_limit,
            opts.seed,
        )?;
        let pred: Vec<usize> = out.predicted.iter().map(|&p| class_of(p)).collect();
        let run = out.run;
        baselines.push(BaselineScore {
            train_seconds: Some(run.embed_seconds + run.fit_seconds),
            reviews_per_second: Some(run.test_reviews as f64 / run.test_seconds.max(1e-9)),
            ..score("embedding_head", pred)
        });
        embedding_head = Some(run);
    }

    let (aspects_seconds, aspects_found) = if opts.aspects {
        let all: Vec<Review> = reviews
            .iter()
            .map(|r| Review {
                key: r.key.clone(),
                product_id: r.group.clone(),
                category: None,
                month: None,
                stars: None,
                text: r.text.clone(),
            })
            .collect();
        let started = Instant::now();
        let a = analyze(&all, Some(&model), &AnalyzeOptions::default());
        (Some(started.elapsed().as_secs_f64()), a.aspects_found)
    } else {
        (None, 0)
    };
    let cfg = model.config();
    Ok(Evaluation {
        dataset: path.to_owned(),
        format,
        reviews: read,
        left_out: data.left_out,
        duplicates_removed,
        class_balance,
        train_reviews: train_set.len(),
        test_reviews: truth.len(),
        accuracy: accuracy(&truth, &predicted),
        macro_f1: macro_f1(&truth, &predicted, k),
        train_seconds,
        reviews_per_second,
        lambda: cfg.lambda,
        balanced: cfg.balanced,
        temperature: cfg.temperature,
        baselines,
        embedding_head,
        aspects_reviews: if opts.aspects { reviews.len() } else { 0 },
        aspects_seconds,
        aspects_found,
    })
}
