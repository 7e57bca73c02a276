//! Who is asking: passwords (Argon2id), device tokens (32 random bytes, kept only as a
//! SHA-256 hash), the slow-down of repeated wrong passwords (state in the database, so
//! it holds across server processes), enrolment, and the extractor that turns
//! `Authorization: Bearer TOKEN` into the device and user behind it.

use crate::db::{NewDevice, UserRecord};
use crate::error::ApiError;
use crate::limits;
use crate::push::Author;
use crate::AppState;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use tally_core::DeviceId;
use tally_protocol::{EnrollRequest, EnrollResponse, PasswordRequest, Role, MAX_DEVICE_NAME_CHARS};

/// How often a device's `last_seen` is written (not on every request).
const TOUCH_EVERY_MS: u64 = 60 * 1000;

/// How long a login waits for a password check to be free before it is told to retry.
const PASSWORD_CHECK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// An Argon2id hash (PHC string) of a password, with a fresh salt. Slow: call it off the
/// async threads.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches a PHC hash. Slow: call it off the async threads.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that answering takes as
/// long as for a real user.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password("no such user").unwrap_or_default())
}

/// A new bearer token: 32 random bytes, base64url without padding.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the server stores of a token: its SHA-256, in hex.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The device and user behind a valid bearer token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthDevice {
    pub device: DeviceId,
    pub user: String,
    pub role: Role,
    pub units: Vec<String>,
}

impl AuthDevice {
    /// The author of the changes this device pushes.
    pub fn author(&self) -> Author {
        Author {
            device: self.device,
            user: self.user.clone(),
            role: self.role,
            units: self.units.clone(),
        }
    }
}

impl FromRequestParts<AppState> for AuthDevice {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::NoToken)?;
        let found = state
            .db
            .device_by_token(&token_hash(token))
            .await?
            .ok_or(ApiError::UnknownToken)?;
        if found.revoked {
            return Err(ApiError::DeviceRevoked);
        }
        if found.disabled {
            return Err(ApiError::AccountDisabled(found.user));
        }
        let now = state.now_ms();
        if found
            .last_seen_ms
            .is_none_or(|t| now.saturating_sub(t) >= TOUCH_EVERY_MS)
        {
            if let Err(e) = state.db.touch_device(found.device, now).await {
                tracing::warn!(error = %e, device = %found.device, "could not note last seen");
            }
        }
        Ok(AuthDevice {
            device: found.device,
            user: found.user,
            role: found.role,
            units: found.units,
        })
    }
}

/// Check a user's password (limited per account and source, see [`crate::limits`]) and
/// enrol a device. `peer` is the address the request came from, if the server knows it.
pub async fn enroll(
    state: &AppState,
    req: EnrollRequest,
    peer: Option<IpAddr>,
) -> Result<EnrollResponse, ApiError> {
    let user_name = req.user.trim().to_string();
    let device_name = req.device_name.trim().to_string();
    if user_name.is_empty() {
        return Err(ApiError::EmptyUser);
    }
    let n = user_name.chars().count();
    if n > tally_core::schema::MAX_AUTHOR_CHARS {
        return Err(ApiError::UserTooLong(n));
    }
    let n = device_name.chars().count();
    if n == 0 || n > MAX_DEVICE_NAME_CHARS {
        return Err(ApiError::DeviceNameLength(n));
    }
    let user = verified_user(state, &user_name, req.password, peer).await?;
    let now = state.now_ms();
    // A device keeps the id its changes already carry; enrolling again gives it a new
    // token (the old one stops working) and binds it to this user.
    let device = req
        .device_id
        .unwrap_or_else(|| DeviceId(uuid::Uuid::now_v7()));
    if device.0.is_nil() || device == state.db.server_device().await? {
        return Err(ApiError::DeviceIdRefused(device));
    }
    let token = new_token();
    let stored = state
        .db
        .add_device(NewDevice {
            id: device,
            user_id: user.id,
            name: device_name.clone(),
            token_hash: token_hash(&token),
            created_ms: now,
        })
        .await?;
    if !stored {
        return Err(ApiError::DeviceTaken(device));
    }
    tracing::info!(user = ?user.name, %device, name = ?device_name, "device enrolled");
    Ok(EnrollResponse {
        device_id: device,
        token,
        user: user.name,
        role: user.role,
        units: user.units,
        server_time_ms: now,
    })
}

/// The device's user changes their own password: the new one long enough, the current
/// one checked as at enrolment (failures counted the same way). Their devices stay
/// enrolled.
pub async fn change_password(
    state: &AppState,
    auth: &AuthDevice,
    req: PasswordRequest,
    peer: Option<IpAddr>,
) -> Result<(), ApiError> {
    let chars = req.new.chars().count();
    if chars < crate::admin::MIN_PASSWORD_CHARS {
        return Err(ApiError::PasswordTooShort(chars));
    }
    let user = verified_user(state, &auth.user, req.current, peer)
        .await
        .map_err(|e| match e {
            ApiError::BadCredentials => ApiError::WrongPassword,
            e => e,
        })?;
    let new = req.new;
    let hash = tokio::task::spawn_blocking(move || hash_password(&new))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    state.db.set_password(&user.name, &hash, None).await?;
    tracing::info!(user = ?user.name, device = %auth.device, "password changed");
    Ok(())
}

/// The account `user_name` once `password` is checked against it: failures counted per
/// account and source (`crate::limits`), the check itself off the async threads and
/// bounded in number, a disabled account refused.
async fn verified_user(
    state: &AppState,
    user_name: &str,
    password: String,
    peer: Option<IpAddr>,
) -> Result<UserRecord, ApiError> {
    let now = state.now_ms();
    let source = limits::source_key(peer);
    if let Err(wait_ms) = state
        .db
        .begin_login_attempt(user_name, &source, now)
        .await?
    {
        let retry_after_s = wait_ms.div_ceil(1000).max(1);
        // `?`: a user name is logged escaped (a newline in it cannot forge a log line).
        tracing::warn!(user = ?user_name, source, retry_after_s, "enrolment refused: too many failures");
        return Err(ApiError::TooManyAttempts { retry_after_s });
    }
    let user = state.db.user_by_name(user_name).await?;
    let hash = user
        .as_ref()
        .map_or_else(|| dummy_hash().to_string(), |u| u.password_hash.clone());
    let permit = tokio::time::timeout(
        PASSWORD_CHECK_WAIT,
        Arc::clone(&state.password_checks).acquire_owned(),
    )
    .await
    .map_err(|_| ApiError::Busy {
        retry_after_s: PASSWORD_CHECK_WAIT.as_secs().max(1),
    })?
    .map_err(ApiError::internal)?;
    let ok = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        verify_password(&password, &hash)
    })
    .await
    .map_err(ApiError::internal)?;
    let user = match user {
        Some(u) if ok => u,
        _ => {
            // The attempt stays counted.
            tracing::info!(user = ?user_name, source, "enrolment refused: bad credentials");
            return Err(ApiError::BadCredentials);
        }
    };
    if user.disabled {
        return Err(ApiError::UserDisabled(user.name));
    }
    state.db.login_succeeded(user_name, &source).await?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horsf", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
