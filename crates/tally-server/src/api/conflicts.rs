//! `GET /api/v1/conflicts`: the open conflicts in the caller's read scope, for leaders,
//! inspectors and admins to review.

use crate::auth::AuthDevice;
use crate::error::ApiError;
use crate::scope::Scope;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use tally_protocol::ConflictsResponse;

pub async fn list(
    State(state): State<AppState>,
    auth: AuthDevice,
) -> Result<Json<ConflictsResponse>, ApiError> {
    if !auth.role.may_review_conflicts() {
        return Err(ApiError::ReviewForbidden);
    }
    let tree = state.db.unit_tree().await?;
    let units = Scope::of(auth.role, &auth.units, &tree).read_filter().units;
    let conflicts = state.db.conflicts(units).await?;
    Ok(Json(ConflictsResponse { conflicts }))
}
