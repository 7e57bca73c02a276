//! `POST /api/v1/bundles`: a leader's (or admin's) logged-in device carries another
//! device's sneakernet bundle to the server, e.g. at the township office for a cadre
//! whose village has no network. The bundle is imported exactly as at the server's
//! command line, as the bundle's own device and account; the answer is its receipts.

use super::ApiBytes;
use crate::auth::AuthDevice;
use crate::bundle::{import, Forwarder, ImportError};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct BundleQuery {
    /// Put the changes the bundle's device should receive into the receipts.
    #[serde(default)]
    with_changes: bool,
}

pub async fn forward(
    State(state): State<AppState>,
    auth: AuthDevice,
    query: Result<Query<BundleQuery>, QueryRejection>,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    if !auth.role.may_forward_bundles() {
        return Err(ImportError::ForwardForbidden(auth.role).into());
    }
    let by = Forwarder {
        role: auth.role,
        units: auth.units.clone(),
    };
    let done = import(&state.db, &body, state.now_ms(), q.with_changes, Some(&by)).await?;
    tracing::info!(by = %auth.user, device = %done.device, user = %done.user,
                   accepted = done.accepted, rejected = done.rejected, "bundle forwarded");
    Ok(([(CONTENT_TYPE, "application/octet-stream")], done.receipts).into_response())
}
