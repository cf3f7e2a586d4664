//! The dashboard and the API page: static files compiled into the binary (works offline),
//! charts by the Chart.js build the HTML report uses.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("../assets/index.html");
const DOCS: &str = include_str!("../assets/docs.html");
const APP_JS: &str = include_str!("../assets/app.js");
const DOCS_JS: &str = include_str!("../assets/docs.js");
const APP_CSS: &str = include_str!("../assets/app.css");
const CHART_JS: &str = recur_engine::CHART_JS;
const MATRIX_JS: &str = recur_engine::CHART_MATRIX_JS;

/// Pages may load only their own scripts and styles and call their own origin.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

fn page(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// The dashboard.
pub(crate) async fn index() -> Response {
    page(INDEX, "text/html; charset=utf-8")
}

/// The browsable API page.
pub(crate) async fn api_page() -> Response {
    page(DOCS, "text/html; charset=utf-8")
}

/// The OpenAPI document.
pub(crate) async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::document(),
    )
        .into_response()
}

/// Scripts and styles.
pub(crate) async fn asset(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "docs.js" => (DOCS_JS, "text/javascript; charset=utf-8"),
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "chart.js" => (CHART_JS, "text/javascript; charset=utf-8"),
        "chart-matrix.js" => (MATRIX_JS, "text/javascript; charset=utf-8"),
        _ => {
            return crate::error::ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such asset",
            )
            .into_response();
        }
    };
    page(body, kind)
}
