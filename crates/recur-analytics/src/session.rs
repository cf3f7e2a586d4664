//! The DataFusion session: stored files registered as tables, plus the base SQL views.

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::{SessionConfig, SessionContext};
use recur_core::Table;

use crate::error::{Error, Result};

/// Base relations every analysis builds on. `sales` are completed lines of known customers;
/// `customer_orders` has one row per order of a known customer with its gross revenue. Both are
/// materialised in memory once per session, since every metric reads them.
const VIEWS: &[&str] = &[
    "CREATE VIEW product_categories AS
       SELECT product_id, category FROM (
         SELECT product_id, COALESCE(category, 'uncategorized') AS category,
                ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY import_id DESC, source_line DESC) AS rn
         FROM catalog) WHERE rn = 1",
    "CREATE TABLE sales AS
       SELECT o.order_id, o.customer_id, o.ordered_at, o.product_id, o.quantity, o.amount,
              COALESCE(pc.category, 'uncategorized') AS category
       FROM orders o LEFT JOIN product_categories pc ON o.product_id = pc.product_id
       WHERE o.status = 'completed' AND o.customer_id IS NOT NULL",
    "CREATE TABLE customer_orders AS
       SELECT customer_id, order_id, MIN(ordered_at) AS ordered_at, CAST(SUM(CAST(amount AS DECIMAL(20, 6))) AS DOUBLE) AS revenue
       FROM sales GROUP BY customer_id, order_id",
];

/// Stored files of each table, as listed by the workspace manifest.
#[derive(Debug, Clone, Default)]
pub struct TableFiles {
    files: Vec<(Table, Vec<PathBuf>)>,
}

impl TableFiles {
    /// An empty set.
    pub fn new() -> TableFiles {
        TableFiles::default()
    }

    /// Adds the files of one table.
    pub fn with(mut self, table: Table, files: Vec<PathBuf>) -> TableFiles {
        self.files.push((table, files));
        self
    }

    fn of(&self, table: Table) -> Vec<PathBuf> {
        self.files
            .iter()
            .filter(|(t, _)| *t == table)
            .flat_map(|(_, f)| f.iter().cloned())
            .collect()
    }
}

/// A DataFusion session over a workspace's tables. Calls block on an internal runtime.
pub struct Session {
    pub(crate) ctx: SessionContext,
    pub(crate) rt: tokio::runtime::Runtime,
    /// The memory pool's size in bytes.
    limit: usize,
}

/// Stored Parquet bytes are expanded about this much when held in memory as Arrow batches.
const IN_MEMORY_EXPANSION: u64 = 10;

/// The memory a session may use when the settings give none: half of the machine's memory (or
/// of the process's cgroup limit, when lower), at least 256 MB; 4 GB where neither is known.
pub fn default_memory_limit() -> usize {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let total = read("/proc/meminfo").and_then(|t| {
        t.lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    });
    let cgroup = read("/sys/fs/cgroup/memory.max")
        .or_else(|| read("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
        .and_then(|t| t.trim().parse::<u64>().ok());
    let machine = match (total, cgroup) {
        (Some(t), Some(c)) => t.min(c),
        (Some(t), None) => t,
        (None, Some(c)) => c,
        (None, None) => 8 << 30,
    };
    usize::try_from(machine / 2)
        .unwrap_or(usize::MAX)
        .max(256 << 20)
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Session {
    /// Registers every table (empty when it has no files) and the base views.
    pub fn open(files: &TableFiles) -> Result<Session> {
        Self::open_with(files, true)
    }

    /// [`Session::open`] where the `customers` table has no personal columns (e-mail, name,
    /// phone, address) unless `personal`: what users' own queries see by default.
    pub fn open_with(files: &TableFiles, personal: bool) -> Result<Session> {
        Self::open_bounded(files, personal, default_memory_limit())
    }

    /// [`Session::open_with`] using at most `limit` bytes for query work: sorts, joins and
    /// aggregations spill to the temporary folder beyond it, the base relations are kept as
    /// views instead of in memory when the stored orders would not fit in half of it, and a
    /// query that cannot run within it fails with [`Error::OutOfMemory`].
    pub fn open_bounded(files: &TableFiles, personal: bool, limit: usize) -> Result<Session> {
        use datafusion::execution::memory_pool::FairSpillPool;
        use datafusion::execution::runtime_env::RuntimeEnvBuilder;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(
                std::thread::available_parallelism()
                    .map_or(2, |n| n.get())
                    .min(8),
            )
            .build()
            .map_err(|e| Error::Internal(format!("starting the query runtime: {e}")))?;
        // The pool never goes below 64 MB (DataFusion's operators need some room); the choice
        // of keeping the base relations in memory follows the limit as given.
        let pool = limit.max(64 << 20);
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(FairSpillPool::new(pool)))
            .build_arc()?;
        let config = SessionConfig::new().with_information_schema(false);
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        let session = Session {
            ctx,
            rt,
            limit: pool,
        };
        for table in Table::ALL {
            session.register(table, &files.of(table), personal)?;
        }
        let stored: u64 = files
            .of(Table::Orders)
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        let in_memory = stored.saturating_mul(IN_MEMORY_EXPANSION) <= limit as u64 / 2;
        for view in VIEWS {
            if in_memory {
                session.sql(view)?;
            } else {
                session.sql(&view.replacen("CREATE TABLE", "CREATE VIEW", 1))?;
            }
        }
        Ok(session)
    }

    fn register(&self, table: Table, files: &[PathBuf], personal: bool) -> Result<()> {
        let full = table.arrow_schema();
        let schema = if personal {
            full
        } else {
            let keep: Vec<_> = full
                .fields()
                .iter()
                .filter(|f| table.field(f.name()).is_none_or(|spec| !spec.pii))
                .cloned()
                .collect();
            Arc::new(datafusion::arrow::datatypes::Schema::new(keep))
        };
        if files.is_empty() {
            let mem = MemTable::try_new(schema, vec![vec![]])?;
            self.ctx.register_table(table.name(), Arc::new(mem))?;
            return Ok(());
        }
        let urls = files
            .iter()
            .map(|p| {
                let abs = std::path::absolute(p)
                    .map_err(|e| Error::Internal(format!("{}: {e}", p.display())))?;
                ListingTableUrl::parse(abs.to_string_lossy()).map_err(Error::from)
            })
            .collect::<Result<Vec<_>>>()?;
        let options =
            ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .with_schema(schema);
        let listing = ListingTable::try_new(config)?;
        self.ctx.register_table(table.name(), Arc::new(listing))?;
        Ok(())
    }

    /// Runs SQL and collects the result.
    pub fn sql(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        self.rt
            .block_on(async {
                let df = self.ctx.sql(sql).await?;
                Ok(df.collect().await?)
            })
            .map_err(|e| self.with_limit(e))
    }

    /// The memory limit in an [`Error::OutOfMemory`].
    pub(crate) fn with_limit(&self, e: Error) -> Error {
        match e {
            Error::OutOfMemory { message, .. } => Error::OutOfMemory {
                limit_mb: self.limit >> 20,
                message,
            },
            e => e,
        }
    }
}
