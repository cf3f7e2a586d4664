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
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(
                std::thread::available_parallelism()
                    .map_or(2, |n| n.get())
                    .min(8),
            )
            .build()
            .map_err(|e| Error::Internal(format!("starting the query runtime: {e}")))?;
        let config = SessionConfig::new().with_information_schema(false);
        let ctx = SessionContext::new_with_config(config);
        let session = Session { ctx, rt };
        for table in Table::ALL {
            session.register(table, &files.of(table), personal)?;
        }
        for view in VIEWS {
            session.sql(view)?;
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
        self.rt.block_on(async {
            let df = self.ctx.sql(sql).await?;
            Ok(df.collect().await?)
        })
    }
}
