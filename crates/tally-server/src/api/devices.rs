//! `POST /api/v1/devices`: enrol a device with a user name and password.

use super::ApiJson;
use crate::error::ApiError;
use crate::{auth, AppState};
use axum::extract::State;
use axum::Json;
use tally_protocol::{EnrollRequest, EnrollResponse};

pub async fn enroll(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    auth::enroll(&state, req).await.map(Json)
}
