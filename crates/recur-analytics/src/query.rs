//! Users' own SQL over the workspace: read-only, with the `rfm` view and tables the engine
//! registers (customer value), answered as typed cells; mistakes point at the query position.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Float64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::datasource::MemTable;
use datafusion::execution::context::SQLOptions;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::rfm::rfm_sql;
use crate::session::Session;

/// One cell of a query's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    /// No value.
    Null,
    /// true / false.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
    /// Text, and every other type as displayed (dates, timestamps, decimals).
    Text(String),
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Null => Ok(()),
            Cell::Bool(b) => write!(f, "{b}"),
            Cell::Int(i) => write!(f, "{i}"),
            Cell::Float(x) => write!(f, "{x}"),
            Cell::Text(s) => f.write_str(s),
        }
    }
}

/// A query's answer: column names and rows of cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryResult {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

impl Session {
    /// Registers the `rfm` view (recency, frequency, monetary, scores and segment per
    /// customer, as of the last order), when orders are stored.
    pub fn register_rfm_view(&self) -> Result<()> {
        let Ok(as_of) = self.as_of_epoch() else {
            return Ok(());
        };
        self.sql(&format!("CREATE VIEW rfm AS {}", rfm_sql(as_of)))?;
        Ok(())
    }

    /// Registers `name` as a table of one row per customer: `customer_id` and the numeric
    /// `columns` (each as long as `ids`).
    pub fn register_customer_table(
        &self,
        name: &str,
        ids: Vec<String>,
        columns: Vec<(&str, Vec<f64>)>,
    ) -> Result<()> {
        let mut fields = vec![Field::new("customer_id", DataType::Utf8, false)];
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(StringArray::from(ids))];
        for (col, values) in columns {
            fields.push(Field::new(col, DataType::Float64, false));
            arrays.push(Arc::new(Float64Array::from(values)));
        }
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), arrays)
            .map_err(|e| Error::Internal(format!("table `{name}`: {e}")))?;
        let table = MemTable::try_new(schema, vec![vec![batch]])?;
        self.ctx.register_table(name, Arc::new(table))?;
        Ok(())
    }

    /// Runs a user's query: one read-only statement (SELECT, WITH, EXPLAIN; no DDL, no
    /// writes, no settings). A mistake is [`Error::Query`] with the engine's message and, when
    /// it names one, the line and column.
    pub fn query(&self, sql: &str) -> Result<QueryResult> {
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        let (columns, batches) = self
            .rt
            .block_on(async {
                let df = self.ctx.sql_with_options(sql, options).await?;
                // Names from the plan, so an empty answer keeps its header.
                let columns: Vec<String> = df
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect();
                Ok::<_, datafusion::error::DataFusionError>((columns, df.collect().await?))
            })
            .map_err(|e| match Error::from(e) {
                oom @ Error::OutOfMemory { .. } => self.with_limit(oom),
                Error::Engine(e) => query_error(sql, &e.to_string()),
                other => other,
            })?;
        let columns = unique_names(columns);
        let mut rows = Vec::new();
        for b in &batches {
            let cols: Vec<Vec<Cell>> = b.columns().iter().map(cells).collect::<Result<_>>()?;
            for r in 0..b.num_rows() {
                rows.push(cols.iter().map(|c| c[r].clone()).collect());
            }
        }
        Ok(QueryResult { columns, rows })
    }
}

/// Column names made unique (`customer_id`, `customer_id_2`), so that a JSON object per row
/// keeps every column of a join.
fn unique_names(names: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names
        .into_iter()
        .map(|name| {
            let mut candidate = name.clone();
            let mut k = 2;
            while !seen.insert(candidate.clone()) {
                candidate = format!("{name}_{k}");
                k += 1;
            }
            candidate
        })
        .collect()
}

/// The cells of one column.
fn cells(col: &ArrayRef) -> Result<Vec<Cell>> {
    use datafusion::arrow::array::{BooleanArray, Int64Array};
    Ok(match col.data_type() {
        DataType::Boolean => typed(col, &DataType::Boolean, |a: &BooleanArray, r| {
            Cell::Bool(a.value(r))
        })?,
        t if t.is_integer() => typed(col, &DataType::Int64, |a: &Int64Array, r| {
            Cell::Int(a.value(r))
        })?,
        t if t.is_floating() => typed(col, &DataType::Float64, |a: &Float64Array, r| {
            Cell::Float(a.value(r))
        })?,
        // An untyped NULL column has no validity buffer: every row is null.
        DataType::Null => vec![Cell::Null; col.len()],
        _ => {
            let f = ArrayFormatter::try_new(col.as_ref(), &FormatOptions::default())
                .map_err(|e| Error::Internal(e.to_string()))?;
            (0..col.len())
                .map(|r| match col.is_valid(r) {
                    true => Cell::Text(f.value(r).to_string()),
                    false => Cell::Null,
                })
                .collect()
        }
    })
}

/// The column cast to `to`, read as `A`, each valid row made a cell by `cell`.
fn typed<A: Array + 'static>(
    col: &ArrayRef,
    to: &DataType,
    cell: impl Fn(&A, usize) -> Cell,
) -> Result<Vec<Cell>> {
    let cast = cast(col, to).map_err(|e| Error::Internal(e.to_string()))?;
    let a = cast
        .as_any()
        .downcast_ref::<A>()
        .ok_or_else(|| Error::Internal(format!("column read as {to}")))?;
    Ok((0..a.len())
        .map(|r| {
            if a.is_valid(r) {
                cell(a, r)
            } else {
                Cell::Null
            }
        })
        .collect())
}

/// The engine's message, and where in the query it points (`Line: L, Column: C`), shown
/// under the query line with a caret.
fn query_error(sql: &str, message: &str) -> Error {
    let mut message = message
        .trim_start_matches("SQL error: ")
        .trim_start_matches("Error during planning: ")
        .to_owned();
    if let Some(inner) = message
        .strip_prefix("ParserError(\"")
        .and_then(|m| m.strip_suffix("\")"))
    {
        message = inner.to_owned();
    }
    if message.contains("not supported: ") {
        message
            .push_str(" (recur sql runs one read-only query: SELECT, WITH ... SELECT or EXPLAIN)");
    }
    let at = position(&message);
    let pointer = at.and_then(|(line, column)| {
        let text = sql.lines().nth(line.checked_sub(1)?)?;
        Some(format!(
            "\n  {text}\n  {}^",
            " ".repeat(column.saturating_sub(1).min(text.chars().count()))
        ))
    });
    Error::Query {
        message: format!("{message}{}", pointer.unwrap_or_default()),
        line: at.map(|a| a.0),
        column: at.map(|a| a.1),
    }
}

/// `Line: 1, Column: 8` in a message.
fn position(message: &str) -> Option<(usize, usize)> {
    let rest = &message[message.find("Line: ")? + 6..];
    let (line, rest) = rest.split_once(", Column: ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_read_from_the_message() {
        assert_eq!(
            position(
                "sql parser error: Expected: end of statement, found: FROMM at Line: 1, Column: 10"
            ),
            Some((1, 10))
        );
        assert_eq!(position("Schema error: No field named x."), None);
        assert_eq!(
            unique_names(vec!["a".into(), "a".into(), "a_2".into()]),
            ["a", "a_2", "a_2_2"]
        );
        let e = query_error("SELECT a\nFROMM t", "Expected X at Line: 2, Column: 1").to_string();
        assert!(e.contains("\n  FROMM t\n  ^"), "{e}");
    }
}
