//! `POST /api/v1/sync/push` and `GET /api/v1/sync/pull`: changes up (validated, scoped,
//! stored once, merged) and down (in commit order, within the read scope).

use super::ApiJson;
use crate::auth::AuthDevice;
use crate::db::PushMode;
use crate::db::{Held, StoredChange};
use crate::error::ApiError;
use crate::scope::Scope;
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use serde::Serialize;
use tally_sync::protocol::{
    PullQuery, PushRequest, PushResponse, PushResult, SeqRanges, DEFAULT_PULL_LIMIT,
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
        return Err(ApiError::OutOfScope(format!(
            "none of the {n} changes is within your assignment ({})",
            auth.units.join(", ")
        )));
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

/// A [`PullResponse`] whose changes are the stored JSON: the same bytes on the wire.
#[derive(Serialize)]
pub struct PullAnswer {
    pub changes: Vec<StoredChange>,
    pub cursor: String,
    pub more: bool,
    pub server_time_ms: u64,
}

pub async fn pull(
    State(state): State<AppState>,
    auth: AuthDevice,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<PullAnswer>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = q
        .limit
        .unwrap_or(DEFAULT_PULL_LIMIT)
        .clamp(1, MAX_PULL_LIMIT);
    let tree = state.db.unit_tree().await?;
    let scope = Scope::of(auth.role, &auth.units, &tree);
    let filter = match q.unit.as_deref().filter(|u| !u.is_empty()) {
        Some(unit) => scope.narrowed(unit, &tree).ok_or_else(|| {
            ApiError::OutOfScope(format!("org unit {unit:?} is outside your assignment"))
        })?,
        None => scope.read_filter(),
    };
    let skip =
        SeqRanges::parse(q.skip.as_deref().unwrap_or_default()).map_err(ApiError::BadRequest)?;
    let cursor = q.cursor.unwrap_or_default();
    let held = Held::of(auth.device, skip);
    let page = state.db.pull(filter, &cursor, limit, held).await?;
    tracing::debug!(device = %auth.device, n = page.changes.len(), more = page.more, "pull");
    Ok(Json(PullAnswer {
        changes: page.changes,
        cursor: page.cursor,
        more: page.more,
        server_time_ms: state.now_ms(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use tally_core::{Change, ChangeId, DeviceId, FieldEdit, Hlc, RowId, Table};
    use tally_sync::protocol::{PullResponse, Pulled};

    #[test]
    fn a_pull_answer_is_the_protocol_pull_response_byte_for_byte() {
        let mut fields = BTreeMap::new();
        fields.insert("note".to_string(), FieldEdit::new("入户 \"ok\"".into()));
        let change = Change {
            id: ChangeId(uuid::Uuid::from_u128(1)),
            table: Table::Visit,
            row: RowId(uuid::Uuid::from_u128(2)),
            unit: "150622101001".into(),
            fields,
            hlc: Hlc::new(1_700_000_000_000, 3),
            device: DeviceId(uuid::Uuid::from_u128(4)),
            author: "巴特尔".into(),
            correction: false,
        };
        let body = serde_json::to_string(&change).unwrap();
        let ours = PullAnswer {
            changes: vec![StoredChange::new(17, body).unwrap()],
            cursor: "17".into(),
            more: true,
            server_time_ms: 9,
        };
        let theirs = PullResponse {
            changes: vec![Pulled { seq: 17, change }],
            cursor: "17".into(),
            more: true,
            server_time_ms: 9,
        };
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&theirs).unwrap()
        );
    }
}
