//! The OpenAPI 3.1 document, generated from the handlers and types.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::api::{assist, campaigns, customers, events, insights, reviews, search, sends};
use crate::ops;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A key from `recur keys create --scope ...` (also accepted as `X-API-Key`)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
        );
        // Every route behind a key can answer these; they are documented once here.
        let common = [
            ("401", "No key, or a key no workspace here knows"),
            ("403", "The key lacks the scope this route needs"),
            (
                "429",
                "The key made too many requests; retry after `Retry-After` seconds",
            ),
            ("400", "The request is malformed (JSON, query)"),
            ("413", "The body is larger than `serve.max_body_bytes`"),
            ("415", "The body is not `application/json`"),
            ("422", "A value is invalid; the message names it"),
        ];
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                if op.security.is_none() {
                    continue;
                }
                for (code, description) in common {
                    op.responses
                        .responses
                        .entry(code.to_owned())
                        .or_insert_with(|| {
                            ResponseBuilder::new()
                                .description(description)
                                .content(
                                    "application/json",
                                    Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                                )
                                .into()
                        });
                }
            }
        }
    }
}

/// The API's description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "recur",
        description = "Repurchase and retention engine: customers' value and recommendations, live events, campaigns with randomised holdouts. Every /v1 route but this document needs a key (`Authorization: Bearer KEY`); errors share one shape (`ErrorBody`) with a stable code and the request id.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        ops::live, ops::ready, ops::metrics,
        events::post_events,
        customers::list, customers::get_customer, customers::recommendations, customers::messages,
        insights::status, insights::analytics, insights::segments, insights::value, insights::model,
        insights::similar, search::search, reviews::product_reviews,
        campaigns::list, campaigns::detail, campaigns::lift, campaigns::plan, campaigns::generate,
        sends::approve, sends::send, sends::sends,
        assist::ask,
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&Security),
    tags(
        (name = "events", description = "Live events from the shop's site"),
        (name = "customers", description = "Profiles, value, recommendations, messages"),
        (name = "products", description = "Similar products, product search, review pain points"),
        (name = "shop", description = "Analytics, segments, value, the behaviour model"),
        (name = "campaigns", description = "Plans, messages, approval, sending, measured lift"),
        (name = "assistant", description = "Customer-service answers from the shop's knowledge"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub(crate) struct ApiDoc;

/// The document as JSON.
pub(crate) fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".into())
}
