//! Review intelligence: what customers' reviews say they like and dislike.
//!
//! - **Sentiment** ([`train`], [`SentimentModel`]): a classifier of review polarity for
//!   Chinese and English (negative/positive, and neutral where three-star reviews allow),
//!   trained on the shop's own reviews (stars give the labels) or on a labelled file. Hashed
//!   word unigrams and bigrams (Chinese segmented by jieba) and character n-grams, tf-idf,
//!   L2-regularised logistic regression fitted by argmin's L-BFGS; the penalty, class
//!   weighting and decision threshold chosen by macro-F1 on held-out training reviews,
//!   probabilities calibrated by a temperature. Saved as `config.json` and `weights.bin`.
//! - **Aspects and pain points** ([`analyze`]): per product and category the phrases reviews
//!   talk about (found in the data), the share of negative mentions, the trend by month and
//!   verbatim quotes with their review keys; products whose negative share is well above the
//!   rest of their category are held back.
//! - **Summaries** ([`template_summary`], [`validate_bullet`]): bullets of the top aspects
//!   with cited quotes, and the check that a bullet's words occur in the reviews it cites.
//! - **Evaluation** ([`evaluate`]): a labelled file, duplicates removed, a seeded 80/20 split,
//!   the model beside majority-class and lexicon baselines and, given a sentence embedder
//!   ([`evaluate_with_embedder`]), a logistic-regression head on sentence embeddings
//!   ([`train_dense`]: the same fit and selection protocol on dense vectors).
//!
//! ```
//! use recur_reviews::{Example, Polarity, TrainOptions, train};
//!
//! let mut examples = Vec::new();
//! for i in 0..30 {
//!     examples.push(Example { text: format!("great soap, lovely smell {i}"), label: Polarity::Positive });
//!     examples.push(Example { text: format!("awful soap, it broke {i}"), label: Polarity::Negative });
//! }
//! let opts = TrainOptions { lambdas: vec![1e-3], ..TrainOptions::default() };
//! let model = train(&examples, &opts).unwrap();
//! assert_eq!(model.predict("lovely smell").label, Polarity::Positive);
//! assert_eq!(model.predict("it broke").label, Polarity::Negative);
//! ```

mod aspects;
mod datasets;
mod dense;
mod embedding_head;
mod error;
mod evaluate;
mod features;
mod lexicon;
mod logreg;
mod metrics;
mod model;
mod rng;
mod summary;
mod terms;
mod text;
mod train;

pub use aspects::{
    Analysis, AnalyzeOptions, AspectReport, CategoryReport, HeldBack, HoldBackRule, MonthShare,
    ProductReport, Quote, Review, analyze, held_back,
};
pub use datasets::{Dataset, DatasetFormat, LabelledReview, read_dataset};
pub use dense::{DenseHead, DenseOptions, train_dense};
pub use embedding_head::{DEFAULT_EMBEDDING_LIMIT, EmbeddingHeadRun, TextEmbedder};
pub use error::{Error, Result};
pub use evaluate::{BaselineScore, EvalOptions, Evaluation, evaluate, evaluate_with_embedder};
pub use features::FeatureSettings;
pub use model::{CONFIG_FILE, ModelConfig, Polarity, Prediction, SentimentModel, WEIGHTS_FILE};
pub use summary::{
    Bullet, QUOTE_CHARS, SourceQuote, content_words, mostly_chinese_texts, summary_quotes,
    template_summary, validate_bullet,
};
pub use text::{clean, normalise};
pub use train::{Example, MIN_EXAMPLES, TrainOptions, train};
