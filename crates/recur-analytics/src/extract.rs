//! Reading typed columns out of query results.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::arrow::record_batch::RecordBatch;

use crate::error::{Error, Result};

fn column(
    batches: &[RecordBatch],
    name: &str,
    ty: &DataType,
) -> Result<Vec<std::sync::Arc<dyn Array>>> {
    batches
        .iter()
        .map(|b| {
            let col = b
                .column_by_name(name)
                .ok_or_else(|| Error::Internal(format!("query result lacks column `{name}`")))?;
            cast(col, ty).map_err(|e| Error::Internal(format!("column `{name}`: {e}")))
        })
        .collect()
}

pub(crate) fn f64s(batches: &[RecordBatch], name: &str) -> Result<Vec<Option<f64>>> {
    Ok(column(batches, name, &DataType::Float64)?
        .iter()
        .flat_map(|a| {
            let a = a.as_primitive::<Float64Type>();
            (0..a.len()).map(move |i| (!a.is_null(i)).then(|| a.value(i)))
        })
        .collect())
}

pub(crate) fn i64s(batches: &[RecordBatch], name: &str) -> Result<Vec<Option<i64>>> {
    Ok(column(batches, name, &DataType::Int64)?
        .iter()
        .flat_map(|a| {
            let a = a.as_primitive::<Int64Type>();
            (0..a.len()).map(move |i| (!a.is_null(i)).then(|| a.value(i)))
        })
        .collect())
}

pub(crate) fn strings(batches: &[RecordBatch], name: &str) -> Result<Vec<Option<String>>> {
    Ok(column(batches, name, &DataType::Utf8)?
        .iter()
        .flat_map(|a| {
            let a = a.as_string::<i32>();
            (0..a.len()).map(move |i| (!a.is_null(i)).then(|| a.value(i).to_owned()))
        })
        .collect())
}

pub(crate) fn one_f64(batches: &[RecordBatch], name: &str) -> Result<f64> {
    Ok(f64s(batches, name)?
        .first()
        .copied()
        .flatten()
        .unwrap_or(0.0))
}

pub(crate) fn one_i64(batches: &[RecordBatch], name: &str) -> Result<i64> {
    Ok(i64s(batches, name)?.first().copied().flatten().unwrap_or(0))
}
