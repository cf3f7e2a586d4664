//! Command-line definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// recur: who buys again, when, and what to do about it.
#[derive(Debug, Parser)]
#[command(name = "recur", version, about, long_about = None, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    /// Workspace folder (holds recur.toml).
    #[arg(
        long,
        short = 'w',
        global = true,
        env = "RECUR_WORKSPACE",
        default_value = "."
    )]
    pub(crate) workspace: PathBuf,
    /// Hide progress bars.
    #[arg(long, short = 'q', global = true)]
    pub(crate) quiet: bool,
    /// Where the language, embedding and behaviour models compute: cpu, cuda or cuda:N
    /// (CUDA needs a build with `--features cuda`). Overrides `device` in recur.toml and
    /// RECUR_DEVICE.
    #[arg(long, global = true, value_name = "cpu|cuda[:N]")]
    pub(crate) device: Option<String>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

pub(crate) const EXIT_CODES: &str = "Exit codes: 0 success; 1 the input, settings or workspace need fixing (the message says what to do); 2 the command line is wrong; 3 internal error (a bug: please report it).";

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a workspace: recur.toml and a data folder.
    Init {
        /// Folder to create (default: the --workspace folder).
        dir: Option<PathBuf>,
    },
    /// Import a file into a table, with full row accounting.
    Import(ImportArgs),
    /// Repurchase rate, cohort retention, inter-purchase times and RFM segments.
    Analyze(AnalyzeArgs),
    /// Run the whole pipeline on the embedded synthetic shop (or Online Retail) and write a report.
    Demo(DemoArgs),
    /// List the built-in column-mapping presets.
    Presets,
    /// Customer value: BG/NBD, Pareto/NBD and Gamma-Gamma.
    #[command(subcommand)]
    Clv(ClvCommand),
    /// Campaigns: measured lift against a randomised holdout, uplift targeting.
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// The language model: generate, chat, perplexity, speed (local GGUF or an endpoint).
    #[command(subcommand)]
    Llm(LlmCommand),
    /// Sentence embeddings of texts (one unit-length vector per text).
    Embed(EmbedArgs),
    /// Train the behaviour model (transformer) on the workspace, compare it with the baselines
    /// on each customer's last order, and save it with the model to use.
    Train(TrainArgs),
    /// Products a customer is most likely to want next.
    Recommend(RecommendArgs),
    /// Products for a free-text query (catalog titles, descriptions and categories by BM25 and,
    /// with the embedding model, by meaning), the query's intent (category, price range,
    /// attributes), re-ranked for a customer by the behaviour model.
    Search(SearchArgs),
    /// Offline evaluations.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Speed measurements.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Serve the HTTP API, live events and the dashboard (keys: `recur keys create`).
    Serve(ServeArgs),
    /// API keys for `recur serve`: create (shown once), list, revoke.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The assistant's knowledge: FAQs, policy documents and the catalog.
    #[command(subcommand)]
    Kb(KbCommand),
    /// The customer-service assistant: a terminal chat, or one question with --question.
    Assist(AssistArgs),
    /// Customers' personal data: erase customers from every store, clear the personal
    /// fields of inactive ones.
    #[command(subcommand)]
    Customers(CustomersCommand),
    /// Your own read-only SQL (DataFusion) over the workspace's tables and views.
    Sql(SqlArgs),
    /// Review intelligence: the sentiment model (Chinese and English) trained on the reviews'
    /// stars, then aspects, pain points and held-back products per product and category.
    #[command(subcommand)]
    Reviews(ReviewsCommand),
}

#[derive(Debug, Args)]
#[command(
    after_help = "Tables and views: orders, catalog, events, reviews, customers (no e-mail, name, phone or address without --personal), sales, customer_orders, rfm, customer_value.\nExample: recur sql \"SELECT segment, count(*) AS customers FROM rfm GROUP BY segment\" --json"
)]
pub(crate) struct SqlArgs {
    /// One SELECT (or WITH ... SELECT, EXPLAIN); nothing that writes.
    pub(crate) query: String,
    /// Print the rows as a JSON array of objects.
    #[arg(long, conflicts_with = "csv")]
    pub(crate) json: bool,
    /// Print the rows as CSV (cells safe for spreadsheets).
    #[arg(long)]
    pub(crate) csv: bool,
    /// Include the customers' personal columns (e-mail, name, phone, address).
    #[arg(long)]
    pub(crate) personal: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CustomersCommand {
    /// Erase customers from every store of the workspace: stored rows (orders, events,
    /// reviews, customers), quarantined lines, the send ledger (made anonymous, the customer
    /// kept suppressed), event logs, exports and analysis files; reports naming them are
    /// removed. Safe to repeat; an audit line without personal data is kept.
    Erase {
        /// Customer ids.
        #[arg(required_unless_present = "from")]
        ids: Vec<String>,
        /// A file of customer ids, one per line (or a CSV whose first column holds them).
        #[arg(long, value_name = "FILE")]
        from: Option<PathBuf>,
        /// Print what was removed as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Clear the personal fields (e-mail, name, phone, address) of customers with no order,
    /// event, review or sign-up for `customers.retention_days` days; their orders stay.
    Retain {
        /// Days without activity (overrides `customers.retention_days`).
        #[arg(long)]
        days: Option<u32>,
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum KbCommand {
    /// Add a knowledge file (FAQ as JSON, JSON lines, CSV or Markdown; a policy as Markdown);
    /// importing a changed file again replaces its passages.
    Import {
        /// The file.
        file: Option<PathBuf>,
        /// Read it as `faq` or `policy` (default: from the extension and content).
        #[arg(long)]
        kind: Option<String>,
        /// Index the workspace's imported catalog (one passage per product) instead of a file.
        #[arg(long, conflicts_with = "file")]
        catalog: bool,
        /// Words only: do not embed the passages.
        #[arg(long)]
        no_embed: bool,
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// The imported knowledge sources.
    List {
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Remove a source's passages.
    Remove {
        /// The source's name, as `recur kb list` shows it.
        source: String,
    },
    /// The passages that best match a query (what the assistant would read).
    Search {
        /// The query.
        query: String,
        /// How many passages.
        #[arg(long, default_value_t = 5)]
        k: usize,
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
}

/// `recur assist`.
#[derive(Debug, Args)]
pub(crate) struct AssistArgs {
    /// Answer this one question and exit (without it: a chat on the terminal).
    #[arg(long)]
    pub(crate) question: Option<String>,
    /// The signed-in customer (the order tool reads only this customer's orders).
    #[arg(long)]
    pub(crate) customer: Option<String>,
    /// auto, model or quote [default: assist.style].
    #[arg(long)]
    pub(crate) style: Option<String>,
    /// Never load the language model (answers quote passages).
    #[arg(long)]
    pub(crate) no_llm: bool,
    /// Print each answer as one JSON document (keys answer, citations, escalate, reason,
    /// language).
    #[arg(long)]
    pub(crate) json: bool,
}

/// `recur eval assist`.
#[derive(Debug, Args)]
pub(crate) struct EvalAssistArgs {
    /// FAQ file to answer from (with --questions).
    #[arg(long, requires = "questions")]
    pub(crate) faq: Option<PathBuf>,
    /// JSON lines of {"faq_index": N or null, "question": ...}.
    #[arg(long, requires = "faq")]
    pub(crate) questions: Option<PathBuf>,
    /// JSON lines of {"flow", "subflow", "message"} to route (with --guidelines).
    #[arg(long, requires = "guidelines")]
    pub(crate) intents: Option<PathBuf>,
    /// Agent guidelines: flows with subflows (ABCD's guidelines.json layout).
    #[arg(long, requires = "intents")]
    pub(crate) guidelines: Option<PathBuf>,
    /// A JDDC folder (chat_0.1per.txt, dev_question.txt, dev_answer.txt): answer the dev
    /// questions from the chat log; character BLEU-4 against the human replies, beside plain
    /// BM25.
    #[arg(long)]
    pub(crate) jddc: Option<PathBuf>,
    /// auto, model or quote [default: assist.style].
    #[arg(long)]
    pub(crate) style: Option<String>,
    /// Never load the language model (answers quote passages).
    #[arg(long)]
    pub(crate) no_llm: bool,
    /// Words only: no sentence embeddings.
    #[arg(long)]
    pub(crate) no_embed: bool,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `recur serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080; `serve.addr` in recur.toml).
    #[arg(long, value_name = "IP:PORT")]
    pub(crate) addr: Option<String>,
    /// Also serve this workspace (repeatable); each key opens only its own workspace.
    #[arg(long, value_name = "DIR")]
    pub(crate) also: Vec<PathBuf>,
    /// Browser origins allowed to call the API, comma-separated (CORS).
    #[arg(long, value_name = "ORIGINS")]
    pub(crate) cors_origins: Option<String>,
    /// Requests per second one key may make.
    #[arg(long)]
    pub(crate) rate_limit: Option<u32>,
    /// No access log lines on stderr.
    #[arg(long)]
    pub(crate) no_access_log: bool,
    /// Search and the assistant by words only: no embedding model is loaded.
    #[arg(long)]
    pub(crate) no_embed: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Make a key; it is printed once (only its hash is stored).
    Create {
        /// What the key may do: read, write-events, campaigns, personal, admin (repeatable).
        #[arg(long, required = true)]
        scope: Vec<String>,
        /// What the key is for.
        #[arg(long)]
        label: Option<String>,
        /// Print the key as a JSON document.
        #[arg(long)]
        json: bool,
    },
    /// The workspace's keys (ids, scopes; never the keys).
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a key.
    Revoke {
        /// The key's id (`recur keys list`).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Latency of one customer's top-10 recommendation with the default transformer
    /// (percentiles). Set CANDLE_NUM_THREADS=1 to measure one core.
    Recommend {
        /// Items in the catalogue.
        #[arg(long, default_value_t = 12_000)]
        items: usize,
        /// Events in each customer's history.
        #[arg(long, default_value_t = 200)]
        history: usize,
        /// Calls to time.
        #[arg(long, default_value_t = 1000)]
        runs: usize,
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Fuzz recur's parsers with seeded, mutated inputs and count panics (each panicking input
    /// is saved under --out/crashes/TARGET/ to become a regression test).
    Fuzz {
        /// Parsers to fuzz: csv, whitespace, jsonl, parquet, mapping, spec, redemptions,
        /// json-schema, gguf, tokenizer, or all.
        #[arg(long, default_value = "all", value_delimiter = ',')]
        target: Vec<String>,
        /// Inputs per parser.
        #[arg(long, default_value_t = 100_000)]
        inputs: u64,
        /// Seed of the mutations.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Worker threads [default: the machine's cores].
        #[arg(long)]
        threads: Option<usize>,
        /// Folder for scratch files and crashing inputs [default: a temporary folder].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
}

/// Training settings shared by `train` and `eval recs`.
#[derive(Debug, Args)]
pub(crate) struct TrainingArgs {
    /// Most epochs.
    #[arg(long, default_value_t = 200)]
    pub(crate) epochs: usize,
    /// Training time budget in seconds (no epoch starts that would end after it).
    #[arg(long, default_value_t = 1140.0)]
    pub(crate) max_seconds: f64,
    /// Seed of initialisation, batching and dropout.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Width of the transformer [default: 64].
    #[arg(long)]
    pub(crate) hidden: Option<usize>,
    /// Peak learning rate [default: 0.003].
    #[arg(long)]
    pub(crate) learning_rate: Option<f64>,
    /// Dropout [default: 0.5 for short histories (under 20 events on average), else 0.2].
    #[arg(long)]
    pub(crate) dropout: Option<f32>,
    /// Uniform negatives per batch for sampled softmax; 0 = full softmax [default: 2048].
    #[arg(long)]
    pub(crate) negatives: Option<usize>,
    /// Ignore customers' searches (by default the transformer reads each search as a token of
    /// its own when the data has searches).
    #[arg(long)]
    pub(crate) no_searches: bool,
}

#[derive(Debug, Args)]
pub(crate) struct TrainArgs {
    #[command(flatten)]
    pub(crate) training: TrainingArgs,
    /// Fuse sentence embeddings of product titles into the item embeddings (embed.* settings;
    /// helps items with few purchases).
    #[arg(long)]
    pub(crate) item_text: bool,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RecommendArgs {
    /// Customer id.
    #[arg(long)]
    pub(crate) customer: String,
    /// Products to list.
    #[arg(long, short = 'k', default_value_t = 10)]
    pub(crate) k: usize,
    /// Leave out products the customer already bought or viewed.
    #[arg(long)]
    pub(crate) exclude_seen: bool,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `recur search`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example: recur search \"decaf coffee beans under 20\" --customer C00042 --json"
)]
pub(crate) struct SearchArgs {
    /// The query, as a shopper types it (English or Chinese; \"under 20\", \"between 10 and
    /// 20\", \"cheap\", \"20元以下\" set a price range).
    pub(crate) query: String,
    /// Re-rank for this customer with the behaviour model (`recur train` first).
    #[arg(long)]
    pub(crate) customer: Option<String>,
    /// Products to list.
    #[arg(long, short = 'k', default_value_t = 10)]
    pub(crate) k: usize,
    /// Search by words only (do not load the embedding model).
    #[arg(long)]
    pub(crate) no_embed: bool,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `recur eval search`.
#[derive(Debug, Args)]
pub(crate) struct EvalSearchArgs {
    /// Words only (do not load the embedding model): measures bm25 and its personalised
    /// re-ranking.
    #[arg(long)]
    pub(crate) no_embed: bool,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `recur eval timing`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example (UCI Online Retail): recur -w retail eval timing --calibration-end 2011-09-09 --json"
)]
pub(crate) struct EvalTimingArgs {
    /// Last calibration day, YYYY-MM-DD: the model, its products and BG/NBD see only orders and
    /// events up to the end of it [default: the last purchase day minus the horizon].
    #[arg(long)]
    pub(crate) calibration_end: Option<recur_engine::prelude::Day>,
    /// Days after the calibration end in which a purchase counts.
    #[arg(long, default_value_t = 90)]
    pub(crate) horizon_days: u32,
    #[command(flatten)]
    pub(crate) training: TrainingArgs,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum RecsFormatArg {
    /// `user item` per line, chronological (Amazon Beauty): leave-one-out, full ranking.
    Beauty,
    /// Ta-Feng history/future JSON (folder or history file): next basket.
    Tafeng,
    /// A recur workspace folder: last order per customer.
    Workspace,
}

#[derive(Debug, Subcommand)]
pub(crate) enum EvalCommand {
    /// Recommendation quality: the transformer and every baseline side by side (NDCG@10,
    /// HR@10, Recall@10, training seconds).
    Recs {
        /// Dataset file or folder.
        #[arg(long)]
        dataset: PathBuf,
        /// Its layout.
        #[arg(long, value_enum)]
        format: RecsFormatArg,
        #[command(flatten)]
        training: TrainingArgs,
        /// Baselines only (no transformer).
        #[arg(long)]
        baselines_only: bool,
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Campaign copy quality: per language and format the share of drafts the language model
    /// wrote that passed validation first time, after one retry, or went out as the template;
    /// violations by kind; distinct-2; seconds per draft. Reads the audit `campaign generate`
    /// wrote, or drafts a fresh sample (nothing is queued or sent) and writes the audit anew
    /// to `campaign/<ID>/copy-audit.jsonl`.
    Copy(EvalCopyArgs),
    /// The customer-service assistant: retrieval Recall@1/@5 on differently worded FAQ
    /// questions, groundedness, escalation precision and recall, latency; or intent routing
    /// accuracy on agent guidelines.
    Assist(EvalAssistArgs),
    /// Review sentiment on a labelled file: accuracy and macro-F1 beside majority-class and
    /// lexicon baselines (identical texts removed, seeded 80/20 split), training seconds,
    /// reviews classified per second on one core, and the aspect analysis's time; with
    /// --embedding-head, a logistic-regression head on sentence embeddings beside them.
    Reviews(EvalReviewsArgs),
    /// Product search on the workspace: for each search followed by a purchase of the same
    /// customer within 14 days, Recall@10 and NDCG@10 of the purchased products for bm25,
    /// embeddings, hybrid and hybrid_personalised (history before the search only).
    Search(EvalSearchArgs),
    /// The behaviour model's time-to-next-purchase head against BG/NBD: both fitted on the data
    /// up to a calibration end, each customer's P(purchase within the horizon after it) scored
    /// against the orders that followed (AUC, Brier score, log loss, calibration by decile).
    Timing(EvalTimingArgs),
}

/// `recur eval copy`.
#[derive(Debug, Args)]
pub(crate) struct EvalCopyArgs {
    /// Campaign id recorded by `recur campaign plan`.
    #[arg(long)]
    pub(crate) campaign: String,
    /// Draft this many of the campaign's treated customers again (seeded sample) instead of
    /// reading the audit of the last `campaign generate`.
    #[arg(long)]
    pub(crate) sample: Option<usize>,
    /// Seed of the sample.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// GGUF model file to draft the sample with [default: llm.model]; implies --sample 100
    /// when --sample is not given.
    #[arg(long)]
    pub(crate) model: Option<PathBuf>,
    /// Shop name used in messages (empty: none).
    #[arg(long, default_value = "")]
    pub(crate) shop: String,
    /// Currency code or symbol for prices.
    #[arg(long, default_value = "USD")]
    pub(crate) currency: String,
    /// Languages the model drafts the sample in (en, zh-CN; comma-separated)
    /// [default: llm.draft_languages].
    #[arg(long, value_delimiter = ',')]
    pub(crate) languages: Vec<String>,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Which model and backend to use (over recur.toml and RECUR_* settings).
#[derive(Debug, Args)]
pub(crate) struct ModelArgs {
    /// GGUF model file [default: llm.model, models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf].
    #[arg(long)]
    pub(crate) model: Option<PathBuf>,
    /// Weight format after loading: as-shipped or q8_0 [default: llm.weights].
    #[arg(long)]
    pub(crate) weights: Option<String>,
    /// OpenAI-compatible base URL (e.g. http://localhost:11434/v1) instead of the local model.
    #[arg(long)]
    pub(crate) endpoint: Option<String>,
    /// Model name at the endpoint.
    #[arg(long)]
    pub(crate) endpoint_model: Option<String>,
}

/// Sampling flags shared by generate and chat.
#[derive(Debug, Args)]
pub(crate) struct SamplingArgs {
    /// Seed of the random choices (same seed, same answer).
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Most tokens to generate.
    #[arg(long, default_value_t = 256)]
    pub(crate) max_tokens: usize,
    /// Temperature; 0 = greedy.
    #[arg(long, default_value_t = 0.7)]
    pub(crate) temperature: f64,
    /// Nucleus sampling threshold (1 = off).
    #[arg(long, default_value_t = 0.9)]
    pub(crate) top_p: f64,
    /// Keep only the k most likely tokens (0 = off).
    #[arg(long, default_value_t = 40)]
    pub(crate) top_k: usize,
    /// Repetition penalty over the last 64 tokens (1 = off).
    #[arg(long, default_value_t = 1.1)]
    pub(crate) repeat_penalty: f32,
    /// Stop when this text appears (repeatable).
    #[arg(long)]
    pub(crate) stop: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LlmCommand {
    /// Answer one prompt (rendered with the model's chat template) and print the answer as it
    /// is written.
    Generate {
        /// The user's prompt.
        #[arg(long)]
        prompt: String,
        /// A system prompt.
        #[arg(long)]
        system: Option<String>,
        /// Continue the prompt as raw text (no chat template).
        #[arg(long)]
        raw: bool,
        /// Constrain the answer to JSON matching this JSON schema file.
        #[arg(long)]
        json_schema: Option<PathBuf>,
        /// Number of answers (answer i uses seed + i).
        #[arg(long, default_value_t = 1)]
        n: usize,
        /// Print one JSON document with the answers and timings instead of streaming.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        sampling: SamplingArgs,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Chat in the terminal: one line per turn; /reset forgets the conversation, /quit ends.
    Chat {
        /// A system prompt.
        #[arg(long)]
        system: Option<String>,
        #[command(flatten)]
        sampling: SamplingArgs,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Perplexity of a text file under the local model.
    Perplexity {
        /// UTF-8 text file.
        #[arg(long)]
        file: PathBuf,
        /// Context window in tokens (the text is scored in windows of this size).
        #[arg(long, default_value_t = 512)]
        window: usize,
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Prompt-processing and generation speed of the local model (tokens/s, like llama-bench).
    Bench {
        /// Prompt length in tokens.
        #[arg(long, default_value_t = 128)]
        prompt_tokens: usize,
        /// Tokens to generate.
        #[arg(long, default_value_t = 64)]
        gen_tokens: usize,
        /// Runs (medians are reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        #[command(flatten)]
        model: ModelArgs,
    },
}

#[derive(Debug, Args)]
pub(crate) struct EmbedArgs {
    /// Texts to embed.
    pub(crate) texts: Vec<String>,
    /// Also embed each line of this file.
    #[arg(long)]
    pub(crate) file: Option<PathBuf>,
    /// Print JSON (one vector per text) instead of a summary.
    #[arg(long)]
    pub(crate) json: bool,
    /// Print load time and throughput (texts per second) to stderr.
    #[arg(long)]
    pub(crate) timing: bool,
    /// Embedding model folder [default: embed.model, models/all-MiniLM-L6-v2].
    #[arg(long)]
    pub(crate) model: Option<PathBuf>,
    /// OpenAI-compatible base URL instead of the local model.
    #[arg(long)]
    pub(crate) endpoint: Option<String>,
    /// Model name at the endpoint.
    #[arg(long)]
    pub(crate) endpoint_model: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CampaignCommand {
    /// Plan a campaign from a TOML definition on the workspace's customers and record its
    /// randomised holdout in the send ledger (WORKSPACE/campaign/ledger.sqlite).
    Plan {
        /// The campaign definition (see `recur_campaign::CampaignSpec`).
        #[arg(long)]
        spec: PathBuf,
        /// Gross margin (share of revenue) for expected incremental profit.
        #[arg(long, default_value_t = 0.4)]
        margin: f64,
        /// Plan as of this day (YYYY-MM-DD; the goal window starts then) instead of today:
        /// for back-testing on historical orders.
        #[arg(long)]
        as_of: Option<String>,
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Import the shop's coupon redemptions (CSV with code, order_id, discount and optionally
    /// redeemed_at): lift reports then use the discount actually granted.
    Redemptions {
        /// The redemption export.
        #[arg(long)]
        file: PathBuf,
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Write the messages of a planned campaign (grounded in the workspace's orders and
    /// catalog, validated), queue them in the send ledger and export Braze/Klaviyo/JSONL files.
    Generate {
        /// Campaign id recorded by `recur campaign plan`.
        #[arg(long)]
        campaign: String,
        /// Shop name used in messages (empty: the messages name no shop).
        #[arg(long, default_value = "")]
        shop: String,
        /// Currency code or symbol for prices.
        #[arg(long, default_value = "USD")]
        currency: String,
        /// Draft this many messages with the language model (llm.* settings; validated, template
        /// when a draft breaks a rule); the rest use the template.
        #[arg(long, default_value_t = 0)]
        llm_drafts: usize,
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Approve a campaign's messages as they are now in the send ledger (recorded with who,
    /// when, and their count and fingerprint); the API sends only approved campaigns, and
    /// writing the messages again makes the approval outdated.
    Approve {
        /// Campaign id recorded by `recur campaign plan`.
        #[arg(long)]
        campaign: String,
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Send a campaign's queued messages from its send ledger, exactly once per customer:
    /// safe to interrupt and run again.
    Send(SendArgs),
    /// Measure a campaign's lift: --campaign ID compares the treated with the recorded holdout
    /// on the workspace's orders in the goal window; --hillstrom evaluates the Hillstrom
    /// e-mail experiment (randomised effects, uplift vs random targeting on a held-out 30 %).
    Evaluate(EvaluateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// Campaign id (for the demo: demo-winback-2).
    #[arg(long)]
    pub(crate) campaign: String,
    /// Folder with the campaign's ledger.sqlite [default: WORKSPACE/campaign].
    #[arg(long)]
    pub(crate) dir: Option<PathBuf>,
    /// SMTP server as HOST:PORT.
    #[arg(long, conflicts_with = "webhook", required_unless_present_any = ["webhook", "dry_run"])]
    pub(crate) smtp: Option<String>,
    /// SMTP security: plain (a local relay), starttls (usually port 587) or tls (465).
    #[arg(long, value_enum, default_value = "plain")]
    pub(crate) smtp_security: SmtpSecurityArg,
    /// SMTP login user (the password comes from RECUR_SMTP_PASSWORD).
    #[arg(long, env = "RECUR_SMTP_USER")]
    pub(crate) smtp_user: Option<String>,
    /// SMTP password.
    #[arg(
        long,
        env = "RECUR_SMTP_PASSWORD",
        hide_env_values = true,
        requires = "smtp_user"
    )]
    pub(crate) smtp_password: Option<String>,
    /// Put the campaign's failed messages back in the queue first (same Message-IDs, so
    /// receivers can de-duplicate).
    #[arg(long)]
    pub(crate) retry_failed: bool,
    /// How long one message may keep failing with retryable errors (connection, timeout,
    /// HTTP 408/429/5xx, SMTP 4xx) before the run pauses and leaves the rest queued [default: 10].
    #[arg(long, value_name = "MINUTES")]
    pub(crate) retry_minutes: Option<u64>,
    /// Messages delivered at once, each over its own connection (a run killed mid-way re-sends
    /// at most this many, with the same Message-IDs).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) connections: u16,
    /// Send even outside the campaign's send_window.
    #[arg(long)]
    pub(crate) ignore_send_window: bool,
    /// Sender address for SMTP.
    #[arg(long, default_value = "recur <campaigns@localhost>")]
    pub(crate) from: String,
    /// Webhook URL (http://...); messages are POSTed as JSON, signed with HMAC-SHA256.
    #[arg(long)]
    pub(crate) webhook: Option<String>,
    /// HMAC secret for the webhook signature.
    #[arg(long, env = "RECUR_WEBHOOK_SECRET", hide_env_values = true)]
    pub(crate) webhook_secret: Option<String>,
    /// Only count what would be sent.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct EvaluateArgs {
    /// A campaign recorded by `recur campaign plan`.
    #[arg(
        long,
        required_unless_present = "hillstrom",
        conflicts_with = "hillstrom"
    )]
    pub(crate) campaign: Option<String>,
    /// Profit margin for incremental profit (share of revenue).
    #[arg(long, default_value_t = 0.4)]
    pub(crate) margin: f64,
    /// The Hillstrom MineThatData CSV.
    #[arg(long)]
    pub(crate) hillstrom: Option<PathBuf>,
    /// Seed of the split, the uplift models and the bootstrap.
    #[arg(long, default_value_t = 7)]
    pub(crate) seed: u64,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum SmtpSecurityArg {
    Plain,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum TableArg {
    Orders,
    Catalog,
    Events,
    Reviews,
    Customers,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    Csv,
    Jsonl,
    Parquet,
    Whitespace,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct ImportArgs {
    /// `list` or `remove ID` instead of importing a file.
    #[command(subcommand)]
    pub(crate) action: Option<ImportAction>,
    /// Target table.
    #[arg(required = true)]
    pub(crate) table: Option<TableArg>,
    /// Source file (CSV, JSON lines or Parquet; gzip is read directly).
    #[arg(long, required = true)]
    pub(crate) file: Option<PathBuf>,
    /// Source format (default: from the mapping, then the file name).
    #[arg(long, value_enum)]
    pub(crate) format: Option<FormatArg>,
    /// Column mapping file (TOML).
    #[arg(long, conflicts_with = "preset")]
    pub(crate) mapping: Option<PathBuf>,
    /// Built-in mapping (see `recur presets`).
    #[arg(long)]
    pub(crate) preset: Option<String>,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `recur import list|remove`.
#[derive(Debug, Subcommand)]
pub(crate) enum ImportAction {
    /// The workspace's imports with their row accounting (and the removed ones).
    List {
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Undo an import: its stored rows, its quarantine file and its accounting, atomically.
    Remove {
        /// The import's id, as `recur import list` shows it (`i0003`).
        id: String,
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum OutputFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("summary_mode").args(["summary", "summaries"])))]
pub(crate) struct AnalyzeArgs {
    /// Output format; csv writes one file per table into --out.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: OutputFormat,
    /// Shorthand for --format json.
    #[arg(long)]
    pub(crate) json: bool,
    /// Folder for --format csv (default: WORKSPACE/analytics).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Show one customer's profile instead.
    #[arg(long)]
    pub(crate) customer: Option<String>,
    /// Show one product's review pain points instead: its negative share, each aspect's
    /// negative share and three quotes with their review ids, whether it is held back.
    #[arg(long, conflicts_with = "customer")]
    pub(crate) product: Option<String>,
    /// With --product: also a summary of its reviews, bullets the language model writes from
    /// their quotes (llm.* settings), each citing the reviews it rests on and kept only when
    /// its words occur in them; the template of the top aspects when no bullet passes or no
    /// model is available. Each bullet says which wrote it. The summary is saved in the
    /// workspace (reviews/summaries/) for the HTML report and `recur serve`.
    #[arg(long, requires = "product")]
    pub(crate) summary: bool,
    /// Write and save the review summaries of the N most-reviewed products (as --summary does
    /// for one). A product whose saved summary rests on its present review count is skipped,
    /// so a run that was stopped resumes where it was.
    #[arg(long, value_name = "N", conflicts_with_all = ["product", "customer"])]
    pub(crate) summaries: Option<usize>,
    /// With --summary or --summaries: never load the language model (the template summary).
    #[arg(long, requires = "summary_mode")]
    pub(crate) no_llm: bool,
    /// With --summary or --summaries: seed of the model's sampling (same seed, same summary).
    #[arg(long, requires = "summary_mode", default_value_t = 0)]
    pub(crate) seed: u64,
    /// N of the repurchase rate in days (overrides recur.toml and RECUR_REPURCHASE_DAYS).
    #[arg(long)]
    pub(crate) repurchase_days: Option<u32>,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Workspace folder for the demo (created; reused if it holds an earlier demo).
    #[arg(long, default_value = "recur-demo")]
    pub(crate) dir: PathBuf,
    /// Run on the UCI Online Retail file instead of the synthetic shop.
    #[arg(long)]
    pub(crate) online_retail: Option<PathBuf>,
    /// Seed of the synthetic shop.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Customers in the synthetic shop.
    #[arg(long, default_value_t = 5000)]
    pub(crate) customers: usize,
    /// Campaign messages drafted by the local language model (models/smollm2, from
    /// scripts/setup-models); the rest use the validated template. 0 turns it off.
    #[arg(long, default_value_t = 8)]
    pub(crate) llm_drafts: usize,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
    /// Then serve the demo workspace (dashboard and API) and print its address and a key.
    #[arg(long)]
    pub(crate) serve: bool,
    /// Address for --serve.
    #[arg(long, default_value = "127.0.0.1:8080", requires = "serve")]
    pub(crate) addr: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ClvCommand {
    /// Fit BG/NBD and Gamma-Gamma on the workspace's orders (weeks) and print the estimates.
    Fit {
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Score every customer: P(alive), expected purchases in 90 days, expected spend, 12-month CLV.
    Predict {
        /// Print every customer as one JSON document.
        #[arg(long)]
        json: bool,
        /// Customers to list (highest CLV first) in the table.
        #[arg(long, default_value_t = 20)]
        top: usize,
    },
    /// Time the fits and scoring on the full CDNOW master file (23,570 customers).
    Bench {
        /// Path to CDNOW_master.txt.
        #[arg(long)]
        cdnow_master: PathBuf,
        /// Runs per fit (the median is reported).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Also write the summary as CSV, for the peer benchmark.
        #[arg(long)]
        write_summary: Option<PathBuf>,
        /// Synthetic customers (resampled from the file) to score for the throughput figure.
        #[arg(long, default_value_t = 10_000_000)]
        synthetic_customers: usize,
    },
    /// Calibration/holdout evaluation: on the workspace (fit on all but the last
    /// --holdout-days, predict those days), or with --cdnow the published CDNOW reference.
    Evaluate {
        /// Folder with CDNOW_sample.txt and cdnow_customers_summary.csv: reproduce the
        /// published fits (39-week calibration, weeks) and evaluate weeks 40-78.
        #[arg(long)]
        cdnow: Option<PathBuf>,
        /// Days at the end of the workspace's orders held out for the evaluation.
        #[arg(long, default_value_t = 90, conflicts_with = "cdnow")]
        holdout_days: u32,
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
}

/// `recur reviews`.
#[derive(Debug, Subcommand)]
pub(crate) enum ReviewsCommand {
    /// Train the review sentiment model on the imported reviews' stars (1-2 negative, 4-5
    /// positive, 3 neutral when there are at least 20) or on a labelled file; saved under
    /// models/reviews.
    Train(ReviewsTrainArgs),
    /// Per product and category: negative share, aspects with their negative share, monthly
    /// trend and quotes (review row keys); products whose negative share is well above the
    /// rest of their category are held back.
    Analyze(ReviewsAnalyzeArgs),
}

/// `recur reviews train`.
#[derive(Debug, Args)]
pub(crate) struct ReviewsTrainArgs {
    /// Train on this labelled file instead of the workspace's reviews.
    #[arg(long, requires = "format")]
    pub(crate) labelled: Option<PathBuf>,
    /// Layout of --labelled.
    #[arg(long, value_enum)]
    pub(crate) format: Option<ReviewFormatArg>,
    /// Seed of the held-out folds that choose the penalty.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `recur reviews analyze`.
#[derive(Debug, Args)]
pub(crate) struct ReviewsAnalyzeArgs {
    /// Only this product.
    #[arg(long)]
    pub(crate) product: Option<String>,
    /// Fewest reviews of a product (and of the rest of its category) to hold it back
    /// (overrides `reviews.min_reviews`, default 10).
    #[arg(long)]
    pub(crate) min_reviews: Option<usize>,
    /// How far its negative share must exceed the rest of its category's, 0.2: 20 points
    /// (overrides `reviews.hold_back_margin`, default 0.2).
    #[arg(long)]
    pub(crate) margin: Option<f64>,
    /// Most aspects per product and category.
    #[arg(long, default_value_t = 8)]
    pub(crate) aspects: usize,
    /// Products shown in the table (the JSON has all).
    #[arg(long, default_value_t = 20)]
    pub(crate) top: usize,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The layout of a labelled review file.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ReviewFormatArg {
    /// CSV `cat,label,review`; label 1 positive, 0 negative.
    OnlineShopping,
    /// JSON lines with `overall` stars, `summary`, `reviewText`, `asin` (3 stars left out).
    AmazonReviews,
}

/// `recur eval reviews`.
#[derive(Debug, Args)]
pub(crate) struct EvalReviewsArgs {
    /// Labelled file.
    #[arg(long)]
    pub(crate) dataset: PathBuf,
    /// Its layout.
    #[arg(long, value_enum)]
    pub(crate) format: ReviewFormatArg,
    /// Seed of the 80/20 split and of the held-out folds.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Skip timing the aspect analysis over every review.
    #[arg(long)]
    pub(crate) no_aspects: bool,
    /// Also train a logistic-regression head on sentence embeddings (the configured
    /// embedder, MiniLM by default; English-only) on the same split, as baseline
    /// `embedding_head`.
    #[arg(long)]
    pub(crate) embedding_head: bool,
    /// Most training reviews the embedding head embeds (a seeded sample beyond).
    #[arg(long, default_value_t = 20_000, requires = "embedding_head")]
    pub(crate) embedding_limit: usize,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
}
