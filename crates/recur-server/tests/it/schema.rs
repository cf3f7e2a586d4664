//! Checks JSON answers against the OpenAPI document's schemas (the subset utoipa writes:
//! `$ref`, `type` (also as a list with `null`), `properties`, `required`, `items`, `oneOf`,
//! `enum`), and that the document describes every route.

use serde_json::Value;

use crate::{Running, get, key, quiet, shop_workspace};

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or_default();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => true,
    }
}

/// Problems of `v` against `schema`, with JSON paths.
pub(crate) fn violations(doc: &Value, schema: &Value, v: &Value, at: &str) -> Vec<String> {
    let s = resolve(doc, schema);
    let mut out = Vec::new();
    if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
        if !one.iter().any(|o| violations(doc, o, v, at).is_empty()) {
            out.push(format!("{at}: matches none of oneOf"));
        }
        return out;
    }
    match s.get("type") {
        Some(Value::String(t)) if !type_ok(t, v) => {
            out.push(format!("{at}: expected {t}, got {v}"));
            return out;
        }
        Some(Value::Array(ts)) if !ts.iter().any(|t| t.as_str().is_some_and(|t| type_ok(t, v))) => {
            out.push(format!("{at}: expected one of {ts:?}, got {v}"));
            return out;
        }
        _ => {}
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array)
        && !v.is_null()
        && !e.contains(v)
    {
        out.push(format!("{at}: {v} is not one of {e:?}"));
    }
    if let (Some(props), Some(obj)) = (
        s.get("properties").and_then(Value::as_object),
        v.as_object(),
    ) {
        for r in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = r.as_str().unwrap_or_default();
            if !obj.contains_key(name) {
                out.push(format!("{at}: missing required `{name}`"));
            }
        }
        for (k, val) in obj {
            match props.get(k) {
                Some(p) => out.extend(violations(doc, p, val, &format!("{at}.{k}"))),
                None => out.push(format!("{at}: `{k}` is not in the schema")),
            }
        }
    }
    if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            out.extend(violations(doc, items, x, &format!("{at}[{i}]")));
        }
    }
    out
}

/// The schema of the answer `status` of `method path` in the document.
pub(crate) fn response_schema<'a>(
    doc: &'a Value,
    method: &str,
    path: &str,
    status: u16,
) -> &'a Value {
    let op = &doc["paths"][path][method];
    assert!(
        op.is_object(),
        "{method} {path} is not in the OpenAPI document"
    );
    let r = &op["responses"][status.to_string()];
    assert!(
        r.is_object(),
        "{method} {path} answers {status}, which the document does not list"
    );
    &r["content"]["application/json"]["schema"]
}

/// Asserts that an answer matches its documented schema.
pub(crate) fn conforms(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let schema = response_schema(doc, method, path, status);
    if schema.is_null() {
        return;
    }
    let v = violations(doc, schema, body, "$");
    assert!(
        v.is_empty(),
        "{method} {path} {status} breaks its schema: {v:#?}\n{body:#}"
    );
}

#[test]
fn every_route_answers_as_its_schema_says() {
    let dir = tempfile::tempdir().unwrap();
    let ws = shop_workspace(dir.path(), 7);
    let k = key(&ws, &[recur_engine::Scope::Admin]);
    let server = Running::start(vec![ws], quiet());
    let b = &server.base;
    let doc = get(b, "/v1/openapi.json", None).json;
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
    let customer = get(b, "/v1/customers?limit=1", Some(&k)).json[0]["customer_id"]
        .as_str()
        .expect("a customer")
        .to_owned();
    let product = get(
        b,
        &format!("/v1/customers/{customer}/recommendations?k=1"),
        Some(&k),
    )
    .json["items"][0]["product_id"]
        .as_str()
        .expect("a recommended product")
        .to_owned();
    let calls: Vec<(&str, String, &str)> = vec![
        ("get", "/health/live".into(), "/health/live"),
        ("get", "/health/ready".into(), "/health/ready"),
        ("get", "/v1/status".into(), "/v1/status"),
        ("get", "/v1/analytics".into(), "/v1/analytics"),
        ("get", "/v1/segments".into(), "/v1/segments"),
        ("get", "/v1/value".into(), "/v1/value"),
        ("get", "/v1/model".into(), "/v1/model"),
        ("get", "/v1/customers?limit=5".into(), "/v1/customers"),
        (
            "get",
            format!("/v1/customers/{customer}"),
            "/v1/customers/{id}",
        ),
        (
            "get",
            format!("/v1/customers/{customer}/recommendations?k=5"),
            "/v1/customers/{id}/recommendations",
        ),
        (
            "get",
            format!("/v1/customers/{customer}/messages"),
            "/v1/customers/{id}/messages",
        ),
        (
            "get",
            "/v1/customers/nobody-has-this-id".into(),
            "/v1/customers/{id}",
        ),
        (
            "get",
            "/v1/customers/nobody-has-this-id/recommendations".into(),
            "/v1/customers/{id}/recommendations",
        ),
        (
            "get",
            format!("/v1/products/{product}/similar?k=3"),
            "/v1/products/{id}/similar",
        ),
        (
            "get",
            "/v1/products/no-such-product/similar".into(),
            "/v1/products/{id}/similar",
        ),
        ("get", "/v1/campaigns".into(), "/v1/campaigns"),
        ("get", "/v1/campaigns/none".into(), "/v1/campaigns/{id}"),
        ("get", "/v1/search?q=coffee&k=3".into(), "/v1/search"),
        ("get", "/v1/search?q=%20".into(), "/v1/search"),
        (
            "get",
            "/v1/products/no-such-product/reviews".into(),
            "/v1/products/{id}/reviews",
        ),
    ];
    for (method, url, template) in calls {
        let a = get(b, &url, Some(&k));
        assert!(a.status < 500, "{url}: {}", a.text);
        conforms(&doc, method, template, a.status, &a.json);
    }
    // Every route the router has is described.
    let described: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for route in [
        "/v1/events",
        "/v1/customers",
        "/v1/customers/{id}",
        "/v1/customers/{id}/recommendations",
        "/v1/customers/{id}/messages",
        "/v1/products/{id}/similar",
        "/v1/products/{id}/reviews",
        "/v1/search",
        "/v1/status",
        "/v1/analytics",
        "/v1/segments",
        "/v1/value",
        "/v1/model",
        "/v1/campaigns",
        "/v1/campaigns/{id}",
        "/v1/campaigns/{id}/lift",
        "/v1/campaigns/{id}/generate",
        "/health/live",
        "/health/ready",
        "/metrics",
    ] {
        assert!(
            described.contains(&route),
            "{route} is not in the OpenAPI document"
        );
    }
}

#[test]
fn the_validator_catches_what_breaks_a_schema() {
    let doc = serde_json::json!({"components": {"schemas": {"X": {
        "type": "object", "required": ["a"],
        "properties": {"a": {"type": "integer"}, "b": {"type": ["string", "null"]}}}}}});
    let x = serde_json::json!({"$ref": "#/components/schemas/X"});
    assert!(violations(&doc, &x, &serde_json::json!({"a": 1, "b": null}), "$").is_empty());
    assert_eq!(
        violations(&doc, &x, &serde_json::json!({"b": "s"}), "$").len(),
        1
    );
    assert_eq!(
        violations(&doc, &x, &serde_json::json!({"a": "1"}), "$").len(),
        1
    );
    assert_eq!(
        violations(&doc, &x, &serde_json::json!({"a": 1, "c": 2}), "$").len(),
        1
    );
}
