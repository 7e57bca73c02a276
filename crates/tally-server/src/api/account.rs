//! `POST /api/v1/account/password`: the device's user changes their own password.

use super::ApiJson;
use crate::auth::{self, AuthDevice};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, StatusCode};
use std::net::SocketAddr;
use tally_protocol::PasswordRequest;

pub async fn password(
    State(state): State<AppState>,
    extensions: Extensions,
    device: AuthDevice,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    auth::change_password(&state, &device, req, peer).await?;
    Ok(StatusCode::NO_CONTENT)
}
