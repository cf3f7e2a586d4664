//! Users' own SQL over a workspace (`recur sql`).

use recur_analytics::QueryResult;

use crate::error::Result;
use crate::workspace::Workspace;

/// The tables and views a query can read, for help texts and errors.
pub const QUERY_TABLES: &str = "orders, catalog, events, reviews, customers (without e-mail, name, phone and address unless personal data is asked for), sales, customer_orders, rfm, customer_value";

/// Runs one read-only SQL statement over the workspace: the stored tables (`customers`
/// without its personal columns unless `personal`), the base views `sales` and
/// `customer_orders`, `rfm` (scores and segment per customer) and `customer_value` (BG/NBD
/// and Gamma-Gamma per customer, fitted when the query names it). A mistake in the query is a
/// user error that points at its position.
pub fn query_workspace(ws: &Workspace, sql: &str, personal: bool) -> Result<QueryResult> {
    let session = ws.session_with(personal)?;
    session.register_rfm_view()?;
    if sql.to_ascii_lowercase().contains("customer_value") {
        let value = crate::clv::customer_value(ws)?;
        let c = &value.customers;
        let col = |f: fn(&crate::clv::CustomerValue) -> f64| c.iter().map(f).collect::<Vec<f64>>();
        session.register_customer_table(
            "customer_value",
            c.iter().map(|v| v.customer_id.to_string()).collect(),
            vec![
                ("repeat_purchases", col(|v| v.repeat_purchases)),
                (
                    "weeks_since_last_purchase",
                    col(|v| v.weeks_since_last_purchase),
                ),
                ("p_alive", col(|v| v.p_alive)),
                ("expected_purchases_90d", col(|v| v.expected_purchases_90d)),
                ("expected_spend", col(|v| v.expected_spend)),
                ("clv_12m", col(|v| v.clv_12m)),
                ("value_at_risk", col(|v| v.value_at_risk)),
            ],
        )?;
    }
    session.query(sql).map_err(|e| match e {
        recur_analytics::Error::Query {
            mut message,
            line,
            column,
        } if !personal && hides_personal_column(&message) => {
            message.push_str(
                "\n  The customers' e-mail, name, phone and address are left out unless you pass --personal.",
            );
            recur_analytics::Error::Query {
                message,
                line,
                column,
            }
            .into()
        }
        e => e.into(),
    })
}

/// Whether an engine message is about a personal column the query cannot see.
fn hides_personal_column(message: &str) -> bool {
    recur_core::Table::Customers
        .fields()
        .iter()
        .filter(|f| f.pii)
        .any(|f| {
            message.contains(&format!("field named {}", f.name))
                || message.contains(&format!("field named \"{}\"", f.name))
        })
}
