//! A query's answer as a table or CSV.

use recur_engine::QueryResult;

use super::grid;

/// The answer as a table, with the row count.
pub(crate) fn query_text(r: &QueryResult) -> String {
    let mut g = grid(&r.columns.iter().map(String::as_str).collect::<Vec<_>>());
    for row in &r.rows {
        g.add_row(row.iter().map(ToString::to_string).collect::<Vec<_>>());
    }
    format!("{g}\n{} row(s)\n", r.rows.len())
}

/// The answer as CSV, every cell safe to open in a spreadsheet.
pub(crate) fn query_csv(r: &QueryResult) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(
        r.columns
            .iter()
            .map(|c| recur_engine::spreadsheet_safe(c).into_owned()),
    )?;
    for row in &r.rows {
        w.write_record(
            row.iter()
                .map(|c| recur_engine::spreadsheet_safe(&c.to_string()).into_owned()),
        )?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
