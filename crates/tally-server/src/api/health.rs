//! `GET /api/v1/health`: no auth, no protocol header; tells a client the server is up,
//! which protocol it speaks, and its clock.

use crate::AppState;
use axum::extract::State;
use axum::Json;
use tally_protocol::{HealthResponse, PROTOCOL_VERSION};

pub async fn health(State(state): State<AppState>) -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".into(),
        protocol: PROTOCOL_VERSION,
        server_time_ms: state.now_ms(),
    })
}
