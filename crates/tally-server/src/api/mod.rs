//! The HTTP edge of protocol v1: routes, the protocol handshake (426 before anything is
//! touched), the server-time header on every answer, the body limit (after gzip
//! decompression), gzip both ways, request tracing, and the JSON body extractor that
//! turns serde errors into stable codes naming the field.

mod account;
mod bundles;
mod conflicts;
mod devices;
mod health;
mod sync;

use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde_json::error::Category;
use tally_protocol::{
    paths, MAX_BODY_BYTES, PROTOCOL_HEADER, PROTOCOL_VERSION, SERVER_TIME_HEADER,
};
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::TraceLayer;

/// The whole HTTP application over `state`.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route(paths::DEVICES, post(devices::enroll))
        .route(paths::PUSH, post(sync::push))
        .route(paths::PULL, get(sync::pull))
        .route(paths::CONFLICTS, get(conflicts::list))
        .route(paths::BUNDLES, post(bundles::forward))
        .route(paths::PASSWORD, post(account::password))
        .route_layer(middleware::from_fn(require_protocol));
    Router::new()
        .route(paths::HEALTH, get(health::health))
        .merge(api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Level 2: on pull pages (JSON of similar changes) nearly the default level's
        // size at a fraction of its time; level 1 is faster still but ~50 % bigger.
        // Answers under 1 KiB (health, an empty page) go as they are: a gzip stream's
        // set-up costs more than the bytes it would save.
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Precise(2))
                .compress_when(
                    SizeAbove::new(1024)
                        .and(NotForContentType::GRPC)
                        .and(NotForContentType::IMAGES),
                ),
        )
        .layer(RequestDecompressionLayer::new())
        .layer(middleware::from_fn_with_state(state.clone(), stamp))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The client's protocol version from `X-Tally-Protocol`, if it sent a number.
fn client_protocol(req: &Request) -> Option<u32> {
    req.headers()
        .get(PROTOCOL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse().ok())
}

/// 426 for a request without a protocol version we speak; nothing else runs.
async fn require_protocol(req: Request, next: Next) -> Response {
    match client_protocol(&req) {
        Some(v) if v >= PROTOCOL_VERSION => next.run(req).await,
        _ => ApiError::ClientOutdated(PROTOCOL_VERSION).into_response(),
    }
}

/// Every answer: the server's clock and protocol version in headers, and errors from
/// the layers below (unsupported body encodings) in the JSON error shape.
async fn stamp(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let is_json = res
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if res.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE && !is_json {
        res = ApiError::UnsupportedEncoding.into_response();
    }
    let headers = res.headers_mut();
    if let Ok(name) = HeaderName::from_bytes(SERVER_TIME_HEADER.as_bytes()) {
        headers.insert(name, HeaderValue::from(state.now_ms()));
    }
    if let Ok(name) = HeaderName::from_bytes(PROTOCOL_HEADER.as_bytes()) {
        headers.insert(name, HeaderValue::from(PROTOCOL_VERSION));
    }
    res
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// A request body whose errors are [`ApiError`]s: 413 `too_large`, 422 `bad_request`.
pub struct ApiBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(ApiBytes)
            .map_err(|rej| {
                if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::TooLarge
                } else {
                    ApiError::BadRequest(format!(
                        "could not read the request body: {}",
                        rej.body_text()
                    ))
                }
            })
    }
}

/// A JSON body whose errors are [`ApiError`]s: 413 `too_large`, 400 `bad_json` for
/// text that is not JSON, 422 `bad_request` with the path of the wrong field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let ApiBytes(bytes) = ApiBytes::from_request(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parse a JSON body, naming the field at fault. Good bodies are read directly; only a
/// bad one is read again, tracking the path, to say where it is wrong.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            Category::Data if path != "." => ApiError::BadRequest(format!("{path}: {inner}")),
            Category::Data => ApiError::BadRequest(inner.to_string()),
            Category::Syntax | Category::Eof | Category::Io => ApiError::BadJson(inner.to_string()),
        }
    })?;
    de.end().map_err(|e| ApiError::BadJson(e.to_string()))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_core::Explain;
    use tally_protocol::{codes, PushRequest};

    #[test]
    fn json_errors_get_stable_codes_and_name_the_field() {
        let e = parse_json::<PushRequest>(b"{\"changes\": [").unwrap_err();
        assert_eq!(e.code(), codes::BAD_JSON);
        let e = parse_json::<PushRequest>(b"{\"changes\": []} x").unwrap_err();
        assert_eq!(e.code(), codes::BAD_JSON, "{e}");
        let e = parse_json::<PushRequest>(b"{\"changes\": 3}").unwrap_err();
        assert_eq!(e.code(), codes::BAD_REQUEST);
        assert!(e.to_string().starts_with("changes:"), "{e}");
        let e = parse_json::<PushRequest>(b"{\"changes\": [{\"table\": \"barn\"}]}").unwrap_err();
        assert!(e.to_string().starts_with("changes[0].table:"), "{e}");
    }
}
