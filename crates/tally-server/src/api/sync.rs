//! `POST /api/v1/sync/push` and `GET /api/v1/sync/pull`: changes up (validated, scoped,
//! stored once, merged) and down (in commit order, within the read scope).

use super::ApiJson;
use crate::auth::AuthDevice;
use crate::db::PushMode;
use crate::db::{Held, PageSize};
use crate::error::ApiError;
use crate::scope::Scope;
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use serde_json::value::RawValue;
use tally_protocol::{
    PullQuery, PullResponse, PushRequest, PushResponse, PushResult, SeqRanges, DEFAULT_PULL_LIMIT,
    MAX_PULL_LIMIT, MAX_PUSH_CHANGES,
};

pub async fn push(
    State(state): State<AppState>,
    auth: AuthDevice,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    let n = req.changes.len();
    if n > MAX_PUSH_CHANGES {
        return Err(ApiError::BatchTooLarge(n));
    }
    let now = state.now_ms();
    let pushed = state
        .db
        .push(req.changes, auth.author(), now, PushMode::PerChange)
        .await?;
    if pushed.all_out_of_scope {
        tracing::warn!(device = %auth.device, user = %auth.user, n, "push out of scope");
        return Err(ApiError::NothingInScope {
            n,
            units: auth.units.clone(),
        });
    }
    let accepted = pushed
        .results
        .iter()
        .filter(|r| matches!(r, PushResult::Accepted { .. }))
        .count();
    tracing::info!(
        device = %auth.device,
        user = %auth.user,
        n,
        accepted,
        rejected = n - accepted,
        "push"
    );
    Ok(Json(PushResponse {
        results: pushed.results,
        server_time_ms: now,
    }))
}

pub async fn pull(
    State(state): State<AppState>,
    auth: AuthDevice,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<PullResponse<Box<RawValue>>>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = q
        .limit
        .unwrap_or(DEFAULT_PULL_LIMIT)
        .clamp(1, MAX_PULL_LIMIT);
    let tree = state.db.unit_tree().await?;
    let scope = Scope::of(auth.role, &auth.units, &tree);
    let filter = match q.unit.as_deref().filter(|u| !u.is_empty()) {
        Some(unit) => scope
            .narrowed(unit, &tree)
            .ok_or_else(|| ApiError::UnitOutOfScope(unit.into()))?,
        None => scope.read_filter(),
    };
    let skip =
        SeqRanges::parse(q.skip.as_deref().unwrap_or_default()).map_err(ApiError::BadRequest)?;
    let cursor = q.cursor.unwrap_or_default();
    let held = Held::of(auth.device, skip);
    let page = state
        .db
        .pull(filter, &cursor, PageSize::of(limit), held)
        .await?;
    tracing::debug!(device = %auth.device, n = page.changes.len(), more = page.more, "pull");
    Ok(Json(PullResponse {
        changes: page.changes,
        cursor: page.cursor,
        more: page.more,
        server_time_ms: state.now_ms(),
    }))
}
