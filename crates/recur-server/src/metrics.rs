//! Prometheus metrics: request latency by route, events ingested, live queue depth.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RouteLabels {
    pub(crate) method: String,
    pub(crate) route: String,
    pub(crate) status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ShopLabels {
    pub(crate) shop: String,
}

fn latency_histogram() -> Histogram {
    // 50 µs .. ~3 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 17))
}

/// The server's metrics and their registry.
pub(crate) struct Metrics {
    registry: Registry,
    pub(crate) latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pub(crate) events: Family<ShopLabels, Counter>,
    pub(crate) duplicates: Family<ShopLabels, Counter>,
    pub(crate) queue: Family<ShopLabels, Gauge>,
    pub(crate) compactions: Family<ShopLabels, Counter>,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("recur");
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by method, route template and status",
            latency.clone(),
        );
        let events = Family::<ShopLabels, Counter>::default();
        registry.register(
            "events_ingested",
            "Live events accepted (durable) per workspace",
            events.clone(),
        );
        let duplicates = Family::<ShopLabels, Counter>::default();
        registry.register(
            "events_duplicate",
            "Live events not written again because their idempotency key was seen",
            duplicates.clone(),
        );
        let queue = Family::<ShopLabels, Gauge>::default();
        registry.register(
            "live_queue_depth",
            "Live events logged but not yet in the served snapshot",
            queue.clone(),
        );
        let compactions = Family::<ShopLabels, Counter>::default();
        registry.register(
            "compactions",
            "Times live events were folded into the stored tables",
            compactions.clone(),
        );
        Metrics {
            registry,
            latency,
            events,
            duplicates,
            queue,
            compactions,
        }
    }

    /// The text exposition format.
    pub(crate) fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
