use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors of recur's use cases.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Import or storage failed.
    #[error(transparent)]
    Ingest(#[from] recur_ingest::Error),
    /// An analysis failed.
    #[error(transparent)]
    Analytics(#[from] recur_analytics::Error),
    /// The synthetic shop could not be written.
    #[error(transparent)]
    Synth(#[from] recur_synth::Error),
    /// A customer-value model could not be fitted.
    #[error(transparent)]
    Clv(#[from] recur_clv::Error),
    /// A campaign computation failed.
    #[error(transparent)]
    Campaign(#[from] recur_campaign::Error),
    /// The language runtime failed.
    #[error(transparent)]
    Llm(#[from] recur_llm::Error),
    /// The behaviour model failed.
    #[error(transparent)]
    Model(#[from] recur_model::Error),
    /// The assistant failed.
    #[error(transparent)]
    Assist(#[from] recur_assist::Error),
    /// Review sentiment training, its model file or a labelled file failed.
    #[error(transparent)]
    Reviews(#[from] recur_reviews::Error),
    /// Reviews were analysed before a sentiment model was trained.
    #[error(
        "no review sentiment model in this workspace (`{0}` is missing); run `recur reviews train` first"
    )]
    NoReviewModel(PathBuf),
    /// The workspace has no reviews to learn from or analyse.
    #[error(
        "this workspace has no reviews with text; import them first with `recur import reviews --file FILE` (columns product_id, rating, review_text, reviewed_at)"
    )]
    NoReviews,
    /// The knowledge index failed.
    #[error(transparent)]
    Retrieval(#[from] recur_retrieval::Error),
    /// Product search found nothing to search: no catalog and no titled order lines.
    #[error(
        "this workspace has no products to search (no catalog, and no order lines with `product_title`); import one with `recur import catalog --file FILE` (columns product_id, title, description, category, price)"
    )]
    NoProducts,
    /// The search evaluation found no search followed by a purchase of the same customer.
    #[error(
        "no search of a known customer is followed by a purchase within {0} days in this workspace; import events with `search_text` (or run `recur demo`) first"
    )]
    NoSearches(i64),
    /// `recur.toml` is invalid.
    #[error("settings file `{path}` is invalid: {message}")]
    Config {
        /// File.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// A setting has a bad value.
    #[error("setting `{key}` = `{value}` is invalid: {hint}")]
    BadSetting {
        /// Key.
        key: String,
        /// Value.
        value: String,
        /// What to do.
        hint: String,
    },
    /// A reference data file has a malformed line.
    #[error("{path}:{line}: {message}; {hint}")]
    BadInput {
        /// File.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
        /// What to do.
        hint: &'static str,
    },
    /// No workspace here.
    #[error(
        "no recur workspace at `{0}` (no recur.toml); run `recur init {0}` or pass --workspace DIR"
    )]
    NoWorkspace(PathBuf),
    /// The target folder of `recur demo` holds something else.
    #[error("`{0}` exists and is not a recur demo workspace; choose another folder with --dir")]
    DemoDirTaken(PathBuf),
    /// A workspace folder is a regular file (or lies under one).
    #[error(
        "`{path}` is a file, not a folder; choose a folder (new or existing) for the workspace"
    )]
    NotAFolder {
        /// The file in the way.
        path: PathBuf,
    },
    /// No campaign ledger in the campaign folder: nothing was planned there yet.
    #[error(
        "no campaign ledger at `{path}`: no campaign was planned here; plan one first with `recur campaign plan --spec FILE` (or run `recur demo`)"
    )]
    NoLedger {
        /// The ledger file that is missing.
        path: PathBuf,
    },
    /// The ledger has no campaign with this id.
    #[error(
        "no such campaign `{campaign}` in `{ledger}`; plan it first with `recur campaign plan --spec FILE`"
    )]
    NoSuchCampaign {
        /// The campaign id asked for.
        campaign: String,
        /// The ledger searched.
        ledger: PathBuf,
    },
    /// `recur eval copy` found no audit to read.
    #[error(
        "campaign `{campaign}` has no copy audit yet; run `recur campaign generate --campaign {campaign} --llm-drafts N` first, or draft a sample now with `recur eval copy --campaign {campaign} --sample N`"
    )]
    NoCopyAudit {
        /// The campaign.
        campaign: String,
    },
    /// A campaign with no messages was to be approved.
    #[error(
        "campaign `{campaign}` has no messages to approve; write them first with `recur campaign generate --campaign {campaign}`"
    )]
    NothingToApprove {
        /// The campaign.
        campaign: String,
    },
    /// A campaign was to be sent where an approval is required, and it has none.
    #[error(
        "campaign `{campaign}` is not approved; review its messages and approve them first (`recur campaign approve --campaign {campaign}` or POST /v1/campaigns/{campaign}/approve)"
    )]
    NotApproved {
        /// The campaign.
        campaign: String,
    },
    /// The messages changed after they were approved (written again, a customer erased).
    #[error(
        "the messages of campaign `{campaign}` changed since they were approved ({approved} approved, {now} now): review them and approve again (`recur campaign approve --campaign {campaign}` or POST /v1/campaigns/{campaign}/approve)"
    )]
    ApprovalOutdated {
        /// The campaign.
        campaign: String,
        /// Messages approved.
        approved: usize,
        /// Messages now.
        now: usize,
    },
    /// A posted event is invalid.
    #[error("event field `{field}` {message}")]
    BadEvent {
        /// The field.
        field: String,
        /// What is wrong and what to send instead.
        message: String,
    },
    /// Another process writes this workspace's live event log.
    #[error(
        "another recur process (a running `recur serve`) holds the live event log `{0}`; stop it or serve the workspace from that process"
    )]
    LiveLogBusy(PathBuf),
    /// Recommendations were asked for before a model was trained.
    #[error("no behaviour model is trained in this workspace; run `recur train` first")]
    NoModel,
    /// A file the user named (such as a campaign definition) could not be read.
    #[error("could not read `{path}`: {error}; check the path and that the file is readable")]
    ReadInput {
        /// File.
        path: PathBuf,
        /// OS error (part of the message, not repeated as a source).
        error: std::io::Error,
    },
    /// A file could not be read or written.
    #[error("could not {action} `{path}`: {error}")]
    Io {
        /// File.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// OS error (part of the message, not repeated as a source).
        error: std::io::Error,
    },
}

impl Error {
    /// Whether the error is the user's to fix (input, settings, usage) rather than a bug.
    pub fn is_user_error(&self) -> bool {
        match self {
            Error::Ingest(e) => e.is_user_error(),
            Error::Analytics(e) => !matches!(
                e,
                recur_analytics::Error::Engine(_) | recur_analytics::Error::Internal(_)
            ),
            Error::Synth(_) | Error::Io { .. } => false,
            Error::Clv(_) => true,
            Error::Campaign(e) => e.is_user_error(),
            Error::Llm(e) => e.is_user_error(),
            Error::Model(e) => e.is_user_error(),
            Error::Assist(e) => e.is_user_error(),
            Error::Reviews(e) => e.is_user_error(),
            Error::Retrieval(e) => matches!(e, recur_retrieval::Error::Busy { .. }),
            Error::Config { .. }
            | Error::BadSetting { .. }
            | Error::BadInput { .. }
            | Error::NoWorkspace(_)
            | Error::DemoDirTaken(_)
            | Error::NotAFolder { .. }
            | Error::NoLedger { .. }
            | Error::NoSuchCampaign { .. }
            | Error::NoCopyAudit { .. }
            | Error::NothingToApprove { .. }
            | Error::NotApproved { .. }
            | Error::ApprovalOutdated { .. }
            | Error::BadEvent { .. }
            | Error::LiveLogBusy(_)
            | Error::NoModel
            | Error::NoReviewModel(_)
            | Error::NoReviews
            | Error::NoProducts
            | Error::NoSearches(_)
            | Error::ReadInput { .. } => true,
        }
    }
}
