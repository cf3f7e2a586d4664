//! Settings: defaults < `recur.toml` < `RECUR_*` environment < command-line flags.
//!
//! This crate reads only the file layer; the binary applies the environment and flags through
//! [`Settings::set`], so every layer goes through the same validation.

use std::path::{Path, PathBuf};

use recur_core::ComputeDevice;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The settings file name.
pub const SETTINGS_FILE: &str = "recur.toml";

/// Typed, validated settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where imported tables live, relative to the workspace.
    pub data_dir: PathBuf,
    /// Analytics settings.
    pub analytics: AnalyticsSettings,
    /// Language model settings.
    pub llm: LlmSettings,
    /// Sentence-embedding settings.
    pub embed: EmbedSettings,
    /// Where the language model, the embeddings and the behaviour model compute: `cpu`
    /// (default) or `cuda`/`cuda:N` (builds with the `cuda` feature).
    pub device: ComputeDevice,
    /// `recur serve` settings.
    pub serve: ServeSettings,
    /// Customer-service assistant settings.
    pub assist: AssistSettings,
    /// Personal data of customers: how long it is kept.
    pub customers: CustomerSettings,
    /// Where `recur serve` delivers approved campaigns (`POST /v1/campaigns/{id}/send`).
    pub delivery: DeliverySettings,
    /// What reviews change: products held back from campaigns and recommendations.
    pub reviews: ReviewSettings,
}

/// What reviews change. A product is held back when at least `min_reviews` reviews judge it
/// and its negative share is at least `hold_back_margin` above the rest of its category's
/// (the rest of the shop's when the rest of the category has fewer than `min_reviews`).
/// Reviews are judged by the review model when one is trained (`recur reviews train`), else
/// by their stars (1-2 negative).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReviewSettings {
    /// Keep held-back products out of campaign messages and recommendations.
    pub hold_back: bool,
    /// How far (a share, 0.2: 20 points) a product's negative share must exceed the rest of
    /// its category's.
    pub hold_back_margin: f64,
    /// Fewest reviews of a product (and of the rest of its category) to judge it.
    pub min_reviews: u32,
}

impl Default for ReviewSettings {
    fn default() -> Self {
        ReviewSettings {
            hold_back: true,
            hold_back_margin: 0.2,
            min_reviews: 10,
        }
    }
}

/// Where the server delivers campaigns: a signed webhook or an SMTP server, set by the shop
/// (a request never names the target). Secrets come from the environment:
/// `RECUR_WEBHOOK_SECRET`, `RECUR_SMTP_PASSWORD`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    /// Webhook URL (http:// or https://) messages are POSTed to, signed with HMAC-SHA256;
    /// empty: none.
    pub webhook: String,
    /// SMTP server as HOST:PORT (used when no webhook is set); empty: none.
    pub smtp: String,
    /// Sender address for SMTP.
    pub smtp_from: String,
    /// SMTP security: `plain` (a local relay), `starttls` or `tls`.
    pub smtp_security: String,
    /// SMTP login user (its password comes from `RECUR_SMTP_PASSWORD`); empty: no login.
    pub smtp_user: String,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            webhook: String::new(),
            smtp: String::new(),
            smtp_from: "recur <campaigns@localhost>".into(),
            smtp_security: "plain".into(),
            smtp_user: String::new(),
        }
    }
}

/// Personal data of customers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CustomerSettings {
    /// `recur customers retain` clears the personal fields (e-mail, name, phone, address) of
    /// customers with no order, event, review or sign-up in this many days; 0: keep them.
    pub retention_days: u32,
}

/// Customer-service assistant settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AssistSettings {
    /// `auto` (quote a confidently matched FAQ entry, let the model answer otherwise), `model`
    /// (always the model, validated, the quote as fallback) or `quote` (never the model).
    pub style: String,
    /// Below this retrieval confidence (0-1) a question goes to a person.
    pub min_confidence: f64,
    /// At or above this confidence an FAQ entry is quoted as is (style `auto`).
    pub quote_confidence: f64,
    /// Passages given to the model.
    pub passages: u32,
    /// Weight of the BM25 ranking beside the embedding ranking when a question is embedded
    /// (0 to 10; the embedding ranking weighs 1).
    pub bm25_weight: f64,
    /// Added to a passage's cosine per share of the question's words it holds, when a
    /// question is embedded (0 to 1; settles near-ties by the customer's words).
    pub word_weight: f64,
}

impl Default for AssistSettings {
    fn default() -> Self {
        AssistSettings {
            style: "auto".into(),
            min_confidence: 0.5,
            quote_confidence: 0.6,
            passages: 3,
            bm25_weight: 0.0,
            word_weight: 0.1,
        }
    }
}

/// `recur serve` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeSettings {
    /// Address to listen on.
    pub addr: String,
    /// Browser origins allowed to call the API (CORS), comma-separated; empty: none.
    pub cors_origins: String,
    /// Requests per second one API key may make (bursts of twice as many).
    pub rate_limit: u32,
    /// Largest request body, in bytes.
    pub max_body_bytes: u32,
    /// Live events are folded into the stored tables at most this often, in seconds.
    pub compact_seconds: u32,
    /// One JSON line per request on stderr.
    pub access_log: bool,
}

impl Default for ServeSettings {
    fn default() -> Self {
        ServeSettings {
            addr: "127.0.0.1:8080".into(),
            cors_origins: String::new(),
            rate_limit: 10_000,
            max_body_bytes: 4 * 1024 * 1024,
            compact_seconds: 60,
            access_log: true,
        }
    }
}

/// Language model settings: a local GGUF file (default) or an OpenAI-compatible endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmSettings {
    /// GGUF file; relative paths are resolved against the workspace, the default against the
    /// models folder (`RECUR_MODELS_DIR`, `./models`, or the checkout's `models/`).
    pub model: PathBuf,
    /// `q8_0` (default: re-quantise 4/5-bit weights at load; candle has SIMD kernels for Q8_0
    /// only) or `as-shipped`.
    pub weights: String,
    /// Base URL of an OpenAI-compatible endpoint (e.g. `http://localhost:11434/v1`); empty: local.
    pub endpoint: String,
    /// Model name at the endpoint.
    pub endpoint_model: String,
    /// Name of the environment variable that holds the endpoint's API key.
    pub api_key_env: String,
    /// Limit for one endpoint request, in seconds.
    pub timeout_seconds: u32,
    /// Languages the model drafts campaign copy in, comma-separated (`en`, `zh-CN`); messages
    /// in other languages use the template. Default `en`: SmolLM2-135M's Chinese passes the
    /// checks but reads as nonsense (BENCHMARKS.md); add `zh-CN` for a model that writes it.
    pub draft_languages: String,
}

impl LlmSettings {
    /// The languages of [`draft_languages`](Self::draft_languages).
    pub fn draft_languages(&self) -> Vec<recur_campaign::Language> {
        self.draft_languages
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| recur_campaign::Language::of_locale(Some(t)))
            .collect()
    }
}

/// Sentence-embedding settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbedSettings {
    /// Folder with config.json, model.safetensors and tokenizer.json (resolved like `llm.model`).
    pub model: PathBuf,
    /// Base URL of an OpenAI-compatible endpoint; empty: local.
    pub endpoint: String,
    /// Model name at the endpoint.
    pub endpoint_model: String,
}

/// The default GGUF model, relative to the models folder.
pub const DEFAULT_LLM: &str = "smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
/// The default embedding model folder, relative to the models folder.
pub const DEFAULT_EMBED: &str = "all-MiniLM-L6-v2";

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings {
            model: PathBuf::from("models").join(DEFAULT_LLM),
            weights: "q8_0".into(),
            endpoint: String::new(),
            endpoint_model: String::new(),
            api_key_env: "OPENAI_API_KEY".into(),
            timeout_seconds: 120,
            draft_languages: "en".into(),
        }
    }
}

impl Default for EmbedSettings {
    fn default() -> Self {
        EmbedSettings {
            model: PathBuf::from("models").join(DEFAULT_EMBED),
            endpoint: String::new(),
            endpoint_model: String::new(),
        }
    }
}

/// Analytics settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticsSettings {
    /// N of the repurchase rate (days).
    pub repurchase_days: u32,
    /// Width of inter-purchase histogram bins (days).
    pub histogram_bin_days: u32,
    /// Memory analytics queries may use, in MB; beyond it they spill to disk. 0: half of the
    /// machine's memory (or of the process's cgroup limit).
    pub memory_limit_mb: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("data"),
            analytics: AnalyticsSettings::default(),
            llm: LlmSettings::default(),
            embed: EmbedSettings::default(),
            device: ComputeDevice::Cpu,
            serve: ServeSettings::default(),
            assist: AssistSettings::default(),
            customers: CustomerSettings::default(),
            delivery: DeliverySettings::default(),
            reviews: ReviewSettings::default(),
        }
    }
}

impl Default for AnalyticsSettings {
    fn default() -> Self {
        AnalyticsSettings {
            repurchase_days: 90,
            histogram_bin_days: 14,
            memory_limit_mb: 0,
        }
    }
}

/// Every settings key, its environment variable and its meaning (documented in the README).
pub const KEYS: &[(&str, &str, &str)] = &[
    (
        "data_dir",
        "RECUR_DATA_DIR",
        "folder of imported tables, relative to the workspace",
    ),
    (
        "analytics.repurchase_days",
        "RECUR_REPURCHASE_DAYS",
        "N of the repurchase rate, in days",
    ),
    (
        "analytics.histogram_bin_days",
        "RECUR_HISTOGRAM_BIN_DAYS",
        "width of inter-purchase histogram bins, in days",
    ),
    (
        "analytics.memory_limit_mb",
        "RECUR_MEMORY_LIMIT_MB",
        "memory analytics queries may use, in MB, spilling to disk beyond it (0: half of the machine's)",
    ),
    (
        "device",
        "RECUR_DEVICE",
        "cpu, cuda or cuda:N: where the language, embedding and behaviour models compute",
    ),
    ("llm.model", "RECUR_LLM_MODEL", "GGUF language model file"),
    (
        "llm.weights",
        "RECUR_LLM_WEIGHTS",
        "as-shipped or q8_0 (re-quantise 4/5-bit weights at load)",
    ),
    (
        "llm.endpoint",
        "RECUR_LLM_ENDPOINT",
        "OpenAI-compatible base URL (empty: the local model)",
    ),
    (
        "llm.endpoint_model",
        "RECUR_LLM_ENDPOINT_MODEL",
        "model name at the endpoint",
    ),
    (
        "llm.api_key_env",
        "RECUR_LLM_API_KEY_ENV",
        "environment variable holding the endpoint's API key",
    ),
    (
        "llm.timeout_seconds",
        "RECUR_LLM_TIMEOUT_SECONDS",
        "limit for one endpoint request, in seconds",
    ),
    (
        "llm.draft_languages",
        "RECUR_LLM_DRAFT_LANGUAGES",
        "languages the model drafts campaign copy in (en, zh-CN; comma-separated)",
    ),
    (
        "embed.model",
        "RECUR_EMBED_MODEL",
        "sentence-embedding model folder",
    ),
    (
        "embed.endpoint",
        "RECUR_EMBED_ENDPOINT",
        "OpenAI-compatible base URL for embeddings (empty: local)",
    ),
    (
        "embed.endpoint_model",
        "RECUR_EMBED_ENDPOINT_MODEL",
        "embedding model name at the endpoint",
    ),
    (
        "serve.addr",
        "RECUR_SERVE_ADDR",
        "address `recur serve` listens on",
    ),
    (
        "serve.cors_origins",
        "RECUR_SERVE_CORS_ORIGINS",
        "browser origins allowed to call the API, comma-separated",
    ),
    (
        "serve.rate_limit",
        "RECUR_SERVE_RATE_LIMIT",
        "requests per second one API key may make",
    ),
    (
        "serve.max_body_bytes",
        "RECUR_SERVE_MAX_BODY_BYTES",
        "largest request body the server accepts, in bytes",
    ),
    (
        "serve.compact_seconds",
        "RECUR_SERVE_COMPACT_SECONDS",
        "how often live events are folded into the stored tables, in seconds",
    ),
    (
        "serve.access_log",
        "RECUR_SERVE_ACCESS_LOG",
        "true/false: one JSON line per request on stderr",
    ),
    (
        "assist.style",
        "RECUR_ASSIST_STYLE",
        "auto, model or quote: how the assistant writes answers",
    ),
    (
        "assist.min_confidence",
        "RECUR_ASSIST_MIN_CONFIDENCE",
        "below this retrieval confidence (0-1) the assistant hands over to a person",
    ),
    (
        "assist.quote_confidence",
        "RECUR_ASSIST_QUOTE_CONFIDENCE",
        "at or above this confidence an FAQ answer is quoted as is (style auto)",
    ),
    (
        "assist.passages",
        "RECUR_ASSIST_PASSAGES",
        "passages the assistant's model answers from",
    ),
    (
        "assist.bm25_weight",
        "RECUR_ASSIST_BM25_WEIGHT",
        "weight (0-10) of word matches beside meaning matches when a question is embedded",
    ),
    (
        "assist.word_weight",
        "RECUR_ASSIST_WORD_WEIGHT",
        "added (0-1) to a passage's cosine per share of the question's words it holds",
    ),
    (
        "customers.retention_days",
        "RECUR_CUSTOMERS_RETENTION_DAYS",
        "days without activity after which `customers retain` clears personal fields (0: never)",
    ),
    (
        "delivery.webhook",
        "RECUR_DELIVERY_WEBHOOK",
        "webhook URL `recur serve` delivers approved campaigns to (secret: RECUR_WEBHOOK_SECRET)",
    ),
    (
        "delivery.smtp",
        "RECUR_DELIVERY_SMTP",
        "SMTP server HOST:PORT `recur serve` delivers approved campaigns to",
    ),
    (
        "delivery.smtp_from",
        "RECUR_DELIVERY_SMTP_FROM",
        "sender address of campaign e-mails sent by `recur serve`",
    ),
    (
        "delivery.smtp_security",
        "RECUR_DELIVERY_SMTP_SECURITY",
        "plain, starttls or tls",
    ),
    (
        "delivery.smtp_user",
        "RECUR_DELIVERY_SMTP_USER",
        "SMTP login user (password: RECUR_SMTP_PASSWORD)",
    ),
    (
        "reviews.hold_back",
        "RECUR_REVIEWS_HOLD_BACK",
        "true/false: keep badly reviewed products out of campaign messages and recommendations",
    ),
    (
        "reviews.hold_back_margin",
        "RECUR_REVIEWS_HOLD_BACK_MARGIN",
        "how far (0-1) a product's negative review share must exceed its category's to hold it back",
    ),
    (
        "reviews.min_reviews",
        "RECUR_REVIEWS_MIN_REVIEWS",
        "fewest reviews of a product (and of the rest of its category) to hold it back",
    ),
];

/// A whole number from `lo` to `hi` for `key`.
fn whole(key: &str, value: &str, lo: u32, hi: u32) -> Result<u32> {
    match value.trim().parse::<u32>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(Error::BadSetting {
            key: key.to_owned(),
            value: value.to_owned(),
            hint: format!("expected a whole number from {lo} to {hi}"),
        }),
    }
}

/// `true` or `false` (also `1`/`0`, `yes`/`no`) for `key`.
fn boolean(key: &str, value: &str) -> Result<bool> {
    match value.trim() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(Error::BadSetting {
            key: key.to_owned(),
            value: value.to_owned(),
            hint: "expected true or false".into(),
        }),
    }
}

/// A number from `lo` to `hi` for `key`.
fn number(key: &str, value: &str, lo: f64, hi: f64) -> Result<f64> {
    match value.trim().parse::<f64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(Error::BadSetting {
            key: key.to_owned(),
            value: value.to_owned(),
            hint: format!("expected a number from {lo} to {hi}"),
        }),
    }
}

impl Settings {
    /// Reads `recur.toml` over the defaults.
    pub fn from_file(path: &Path) -> Result<Settings> {
        let text = std::fs::read_to_string(path).map_err(|error| Error::Io {
            path: path.to_owned(),
            action: "read",
            error,
        })?;
        toml::from_str(&text).map_err(|e| Error::Config {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    /// Sets one key from text (an environment variable or a flag).
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let days = |v: &str| -> Result<u32> {
            match v.trim().parse::<u32>() {
                Ok(n) if (1..=3650).contains(&n) => Ok(n),
                _ => Err(Error::BadSetting {
                    key: key.to_owned(),
                    value: v.to_owned(),
                    hint: "expected whole days from 1 to 3650".into(),
                }),
            }
        };
        match key {
            "data_dir" => self.data_dir = PathBuf::from(value),
            "device" => {
                self.device = value
                    .parse()
                    .map_err(|e: recur_core::Error| Error::BadSetting {
                        key: key.to_owned(),
                        value: value.to_owned(),
                        hint: e.to_string(),
                    })?;
            }
            "analytics.repurchase_days" => self.analytics.repurchase_days = days(value)?,
            "analytics.histogram_bin_days" => self.analytics.histogram_bin_days = days(value)?,
            "analytics.memory_limit_mb" => {
                self.analytics.memory_limit_mb =
                    value.trim().parse().map_err(|_| Error::BadSetting {
                        key: key.to_owned(),
                        value: value.to_owned(),
                        hint: "expected whole megabytes, such as 2048 (0: half of the machine's memory)".into(),
                    })?;
            }
            "llm.model" => self.llm.model = PathBuf::from(value),
            "llm.weights" => {
                value
                    .parse::<recur_llm::WeightFormat>()
                    .map_err(|hint| Error::BadSetting {
                        key: key.to_owned(),
                        value: value.to_owned(),
                        hint,
                    })?;
                self.llm.weights = value.to_owned();
            }
            "llm.endpoint" => self.llm.endpoint = value.trim().to_owned(),
            "llm.endpoint_model" => self.llm.endpoint_model = value.to_owned(),
            "llm.api_key_env" => self.llm.api_key_env = value.to_owned(),
            "llm.timeout_seconds" => {
                self.llm.timeout_seconds = match value.trim().parse::<u32>() {
                    Ok(n) if (1..=3600).contains(&n) => n,
                    _ => {
                        return Err(Error::BadSetting {
                            key: key.to_owned(),
                            value: value.to_owned(),
                            hint: "expected whole seconds from 1 to 3600".into(),
                        });
                    }
                }
            }
            "llm.draft_languages" => {
                let ok = value.split(',').map(str::trim).all(|t| {
                    t.is_empty()
                        || t.eq_ignore_ascii_case("en")
                        || t.to_ascii_lowercase().starts_with("en-")
                        || t.to_ascii_lowercase().starts_with("zh")
                });
                if !ok {
                    return Err(Error::BadSetting {
                        key: key.to_owned(),
                        value: value.to_owned(),
                        hint: "expected language tags en and zh-CN, comma-separated (empty: none)"
                            .into(),
                    });
                }
                self.llm.draft_languages = value.trim().to_owned();
            }
            "embed.model" => self.embed.model = PathBuf::from(value),
            "embed.endpoint" => self.embed.endpoint = value.trim().to_owned(),
            "embed.endpoint_model" => self.embed.endpoint_model = value.to_owned(),
            "serve.addr" => {
                value
                    .trim()
                    .parse::<std::net::SocketAddr>()
                    .map_err(|e| Error::BadSetting {
                        key: key.to_owned(),
                        value: value.to_owned(),
                        hint: format!("{e}; expected IP:PORT such as 127.0.0.1:8080"),
                    })?;
                self.serve.addr = value.trim().to_owned();
            }
            "serve.cors_origins" => self.serve.cors_origins = value.trim().to_owned(),
            "serve.rate_limit" => self.serve.rate_limit = whole(key, value, 1, 10_000_000)?,
            "serve.max_body_bytes" => {
                self.serve.max_body_bytes = whole(key, value, 1024, 1 << 30)?;
            }
            "serve.compact_seconds" => {
                self.serve.compact_seconds = whole(key, value, 1, 86_400)?;
            }
            "serve.access_log" => self.serve.access_log = boolean(key, value)?,
            "reviews.hold_back" => self.reviews.hold_back = boolean(key, value)?,
            "reviews.hold_back_margin" => {
                self.reviews.hold_back_margin = number(key, value, 0.0, 1.0)?;
            }
            "reviews.min_reviews" => self.reviews.min_reviews = whole(key, value, 1, 1_000_000)?,
            "assist.style" => {
                if !matches!(value.trim(), "auto" | "model" | "quote") {
                    return Err(Error::BadSetting {
                        key: key.to_owned(),
                        value: value.to_owned(),
                        hint: "expected auto, model or quote".into(),
                    });
                }
                self.assist.style = value.trim().to_owned();
            }
            "assist.min_confidence" => {
                self.assist.min_confidence = number(key, value, 0.0, 1.0)?;
            }
            "assist.quote_confidence" => {
                self.assist.quote_confidence = number(key, value, 0.0, 1.0)?;
            }
            "assist.passages" => self.assist.passages = whole(key, value, 1, 20)?,
            "assist.bm25_weight" => self.assist.bm25_weight = number(key, value, 0.0, 10.0)?,
            "assist.word_weight" => self.assist.word_weight = number(key, value, 0.0, 1.0)?,
            "customers.retention_days" => {
                self.customers.retention_days = whole(key, value, 0, 36_500)?;
            }
            "delivery.webhook" => {
                let v = value.trim();
                if !(v.is_empty() || v.starts_with("http://") || v.starts_with("https://")) {
                    return Err(Error::BadSetting {
                        key: key.to_owned(),
                        value: value.to_owned(),
                        hint: "expected an http:// or https:// URL (empty: none)".into(),
                    });
                }
                self.delivery.webhook = v.to_owned();
            }
            "delivery.smtp" => {
                let v = value.trim();
                let ok = v.is_empty()
                    || v.rsplit_once(':')
                        .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
                if !ok {
                    return Err(Error::BadSetting {
                        key: key.to_owned(),
                        value: value.to_owned(),
                        hint: "expected HOST:PORT, for example localhost:1025 (empty: none)".into(),
                    });
                }
                self.delivery.smtp = v.to_owned();
            }
            "delivery.smtp_from" => self.delivery.smtp_from = value.trim().to_owned(),
            "delivery.smtp_security" => {
                if !matches!(value.trim(), "plain" | "starttls" | "tls") {
                    return Err(Error::BadSetting {
                        key: key.to_owned(),
                        value: value.to_owned(),
                        hint: "expected plain, starttls or tls".into(),
                    });
                }
                self.delivery.smtp_security = value.trim().to_owned();
            }
            "delivery.smtp_user" => self.delivery.smtp_user = value.trim().to_owned(),
            _ => {
                return Err(Error::BadSetting {
                    key: key.to_owned(),
                    value: value.to_owned(),
                    hint: format!(
                        "unknown key; known keys: {}",
                        KEYS.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
                    ),
                });
            }
        }
        Ok(())
    }

    /// The commented settings file `recur init` writes.
    pub fn template() -> String {
        let d = Settings::default();
        format!(
            "# recur workspace settings.\n\
             # Precedence: built-in defaults < this file < RECUR_* environment variables < command-line flags.\n\n\
             # Folder of imported tables (Parquet + manifest.json), relative to this file.\n\
             data_dir = \"{}\"\n\n\
             [analytics]\n\
             # Repurchase rate: share of customers who buy again within this many days of their first order.\n\
             repurchase_days = {}\n\
             # Width of the inter-purchase time histogram bins, in days.\n\
             histogram_bin_days = {}\n\
             # Memory analytics queries may use, in MB; beyond it they spill to the temporary folder\n\
             # (0: half of the machine's memory).\n\
             memory_limit_mb = {}\n\n\
             [llm]\n\
             # Local GGUF model (scripts/setup-models fetches the default into models/).\n\
             model = \"{}\"\n\
             # q8_0 re-quantises 4/5-bit weights at load (2-3x faster generation on CPU), or as-shipped.\n\
             weights = \"{}\"\n\
             # An OpenAI-compatible endpoint instead (Ollama, vLLM, llama.cpp server, hosted APIs):\n\
             # endpoint = \"http://localhost:11434/v1\"\n\
             # endpoint_model = \"qwen2.5:7b\"\n\
             # api_key_env = \"OPENAI_API_KEY\"\n\
             # Languages the model drafts campaign copy in (others use the template).\n\
             draft_languages = \"{}\"\n\n\
             [embed]\n\
             # Sentence-embedding model folder (config.json, model.safetensors, tokenizer.json).\n\
             model = \"{}\"\n\n\
             [serve]\n\
             # `recur serve`: address, browser origins allowed (CORS, comma-separated), requests per\n\
             # second per API key, largest request body, how often live events are folded into the\n\
             # stored tables (seconds), one JSON line per request on stderr.\n\
             addr = \"{}\"\n\
             cors_origins = \"\"\n\
             rate_limit = {}\n\
             max_body_bytes = {}\n\
             compact_seconds = {}\n\
             access_log = true\n\n\
             [assist]\n\
             # The customer-service assistant: auto quotes a confidently matched FAQ answer and lets the\n\
             # model answer otherwise (model: always the model, quote: never); below min_confidence a\n\
             # question goes to a person; the model answers from this many passages; bm25_weight weighs\n\
             # word matches beside meaning matches (embeddings) by rank; word_weight adds to a passage's\n\
             # cosine the share of the question's words it holds, times this weight.\n\
             style = \"{}\"\n\
             min_confidence = {:?}\n\
             quote_confidence = {:?}\n\
             passages = {}\n\
             bm25_weight = {:?}\n\
             word_weight = {:?}\n\n\
             [customers]\n\
             # `recur customers retain` clears the personal fields (e-mail, name, phone, address) of\n\
             # customers inactive this many days (0: never; `recur customers erase` removes one now).\n\
             retention_days = {}\n\n\
             [delivery]\n\
             # Where `recur serve` delivers approved campaigns (POST /v1/campaigns/ID/send): a webhook\n\
             # (signed with RECUR_WEBHOOK_SECRET) or else an SMTP server (password: RECUR_SMTP_PASSWORD).\n\
             # Empty: the server does not send. `recur campaign send` takes its target as flags.\n\
             webhook = \"\"\n\
             smtp = \"\"\n\
             smtp_from = \"{}\"\n\
             smtp_security = \"{}\"\n\
             smtp_user = \"\"\n\n\
             [reviews]\n\
             # Products whose share of negative reviews is at least hold_back_margin above the rest of\n\
             # their category's (the shop's when the category has too few other reviews), with at least\n\
             # min_reviews reviews, are kept out of campaign messages and recommendations (hold_back =\n\
             # false: not). Reviews are judged by the review model (`recur reviews train`), else by stars.\n\
             hold_back = {}\n\
             hold_back_margin = {:?}\n\
             min_reviews = {}\n",
            d.data_dir.display(),
            d.analytics.repurchase_days,
            d.analytics.histogram_bin_days,
            d.analytics.memory_limit_mb,
            d.llm.model.display(),
            d.llm.weights,
            d.llm.draft_languages,
            d.embed.model.display(),
            d.serve.addr,
            d.serve.rate_limit,
            d.serve.max_body_bytes,
            d.serve.compact_seconds,
            d.assist.style,
            d.assist.min_confidence,
            d.assist.quote_confidence,
            d.assist.passages,
            d.assist.bm25_weight,
            d.assist.word_weight,
            d.customers.retention_days,
            d.delivery.smtp_from,
            d.delivery.smtp_security,
            d.reviews.hold_back,
            d.reviews.hold_back_margin,
            d.reviews.min_reviews,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses_to_defaults() {
        let s: Settings = toml::from_str(&Settings::template()).unwrap();
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn set_validates() {
        let mut s = Settings::default();
        s.set("analytics.repurchase_days", "30").unwrap();
        assert_eq!(s.analytics.repurchase_days, 30);
        assert!(s.set("analytics.repurchase_days", "0").is_err());
        let e = s.set("analytics.nope", "1").unwrap_err().to_string();
        assert!(e.contains("known keys"), "{e}");
        assert!(toml::from_str::<Settings>("[analytics]\nrepurchase_day = 3").is_err());
        s.set("device", "cuda:1").unwrap();
        assert_eq!(s.device, ComputeDevice::Cuda(1));
        let e = s.set("device", "tpu").unwrap_err().to_string();
        assert!(e.contains("cuda:N"), "{e}");
        let t: Settings = toml::from_str("device = \"cuda\"").unwrap();
        assert_eq!(t.device, ComputeDevice::Cuda(0));
    }
}
