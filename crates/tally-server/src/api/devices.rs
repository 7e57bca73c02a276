//! `POST /api/v1/devices`: enrol a device with a user name and password.

use super::ApiJson;
use crate::error::ApiError;
use crate::{auth, AppState};
use axum::extract::{ConnectInfo, State};
use axum::http::Extensions;
use axum::Json;
use std::net::SocketAddr;
use tally_protocol::{EnrollRequest, EnrollResponse};

pub async fn enroll(
    State(state): State<AppState>,
    extensions: Extensions,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    // The peer's address, when the server was started with it (`tally-server serve`).
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    auth::enroll(&state, req, peer).await.map(Json)
}
