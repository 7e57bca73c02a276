//! Sync on a USB stick (sneakernet), for a device that has no network at all: the
//! device writes a **bundle** (its pending changes and its pull cursor), the server
//! imports it exactly as a push and writes **receipts** (one result per change, and
//! optionally the changes the device should receive), which the device imports.
//!
//! Both files are gzip-compressed JSON envelopes, `{"format", "version", "mac",
//! "payload"}`, sealed with HMAC-SHA256 under a key both ends have and nobody else:
//! the SHA-256 of the device's token (the device holds the token, the server holds
//! exactly this hash). A file changed on the way, cut short, of the other kind, or
//! sealed for another device is refused whole: nothing of it is applied.

use crate::{PullResponse, PushResult};
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use tally_core::{Change, ChangeId, DeviceId, Explain};

/// A file's kind, in its `format` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Device → server: [`BundlePayload`].
    Bundle,
    /// Server → device: [`ReceiptsPayload`].
    Receipts,
}

impl Kind {
    pub fn format(self) -> &'static str {
        match self {
            Kind::Bundle => "tally-bundle",
            Kind::Receipts => "tally-receipts",
        }
    }

    /// The kind written as `format`, if any.
    fn named(format: &str) -> Option<Kind> {
        [Kind::Bundle, Kind::Receipts]
            .into_iter()
            .find(|k| k.format() == format)
    }

    fn en_with_article(self) -> &'static str {
        match self {
            Kind::Bundle => "a bundle",
            Kind::Receipts => "a receipts file",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            Kind::Bundle => "同步包",
            Kind::Receipts => "回执文件",
        }
    }

    fn en(self) -> &'static str {
        match self {
            Kind::Bundle => "bundle",
            Kind::Receipts => "receipts file",
        }
    }
}

/// The version of the file format this crate writes and reads.
pub const BUNDLE_VERSION: u32 = 1;

/// The most bytes a bundle or receipts file may hold once decompressed.
pub const MAX_BUNDLE_BYTES: u64 = 256 << 20;

/// The key that seals a device's files: SHA-256 of its token.
pub type BundleKey = [u8; 32];

/// The key of the device holding `token`.
pub fn key_of_token(token: &str) -> BundleKey {
    Sha256::digest(token.as_bytes()).into()
}

/// The key from the token hash the server keeps (64 hex digits), if it is one.
pub fn key_of_token_hash(hex: &str) -> Option<BundleKey> {
    from_hex32(hex)
}

/// 32 bytes from 64 hex digits.
fn from_hex32(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(key)
}

/// A digest of a change's content (SHA-256 of its JSON, in hex): the server returns it
/// with each receipt, and the device records a receipt only for the content it still
/// holds under that id.
pub fn change_digest(change: &Change) -> String {
    let json = serde_json::to_vec(change).unwrap_or_default();
    Sha256::digest(&json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Device → server: what the device has not had accepted yet, and where its pulls
/// stand. `C` is how a change is held: its stored JSON when the device writes the
/// file, a [`Change`] when the server reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BundlePayload<C = Change> {
    /// A fresh id for each export, echoed in the receipts.
    pub bundle_id: String,
    pub device_id: DeviceId,
    /// The account the device is logged in as (for people reading the file; the server
    /// goes by the device's account).
    pub user: String,
    pub created_ms: u64,
    /// The device's pull cursor: the receipts can carry what came after it.
    pub cursor: String,
    /// The pending changes, oldest first.
    pub changes: Vec<C>,
}

/// Server → device: the push's answer for the bundle, and optionally a pull page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceiptsPayload<P = Box<RawValue>> {
    pub bundle_id: String,
    pub device_id: DeviceId,
    pub server_time_ms: u64,
    /// One per change of the bundle, in its order (as a push answers).
    pub results: Vec<PushResult>,
    /// The content digest ([`change_digest`]) of each accepted change as stored.
    pub digests: BTreeMap<ChangeId, String>,
    /// The cursor the pull below started from (the bundle's).
    pub pulled_after: String,
    /// The changes for the device after that cursor (a [`PullResponse`] whose `more`
    /// says whether the file had to stop short), if asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull: Option<P>,
}

/// A pull page as it goes into a receipts file.
pub type ReceiptsPull = PullResponse<Box<RawValue>>;

/// Why a bundle or receipts file is refused (whole).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("the file is not a Tally {what}, or it is incomplete (copied only in part?): {detail}", what = .expected.en())]
    Unreadable { expected: Kind, detail: String },
    #[error("this is {}, not a {}", Kind::named(.found).map_or("another kind of file", |k| k.en_with_article()), .expected.en())]
    WrongKind { expected: Kind, found: String },
    #[error("the file was written by a newer version of Tally (format {0}); update Tally")]
    TooNew(u32),
    #[error("the file is larger than {} MiB once unpacked", MAX_BUNDLE_BYTES >> 20)]
    TooLarge,
    #[error("the file's seal does not match: it was changed after it was written, or it was written before the device last logged in; nothing of it was used, export it again")]
    Tampered,
    #[error("the file belongs to device {found}, not to {expected}")]
    OtherDevice { expected: DeviceId, found: DeviceId },
}

impl Explain for BundleError {
    fn code(&self) -> &'static str {
        match self {
            BundleError::Unreadable { .. } => "bundle_unreadable",
            BundleError::WrongKind { .. } => "bundle_wrong_kind",
            BundleError::TooNew(_) => "bundle_too_new",
            BundleError::TooLarge => "bundle_too_large",
            BundleError::Tampered => "bundle_tampered",
            BundleError::OtherDevice { .. } => "bundle_other_device",
        }
    }

    fn zh(&self) -> String {
        match self {
            BundleError::Unreadable { expected, .. } => format!(
                "文件不是 Tally 的{}，或者不完整（可能没有拷完），整份拒收",
                expected.zh()
            ),
            BundleError::WrongKind { expected, found } => format!(
                "这是{}，不是{}",
                Kind::named(found).map_or("其他文件", Kind::zh),
                expected.zh()
            ),
            BundleError::TooNew(_) => "文件由更新版本的 Tally 写成，请先更新 Tally".into(),
            BundleError::TooLarge => {
                format!("文件解开后超过 {} MB，拒收", MAX_BUNDLE_BYTES >> 20)
            }
            BundleError::Tampered => "文件校验不符：导出后被改动过，或是本设备重新登录之前导出的。整份拒收，什么也没有改变，请重新导出".into(),
            BundleError::OtherDevice { found, .. } => {
                format!("文件属于另一台设备（{found}），不是本设备的，整份拒收")
            }
        }
    }
}

/// The envelope around a payload.
#[derive(Serialize, Deserialize)]
struct Envelope<P> {
    format: String,
    version: u32,
    /// HMAC-SHA256 (hex) of the format, a zero byte, and the payload's JSON as written.
    mac: String,
    payload: P,
}

fn mac_of(key: &BundleKey, kind: Kind, payload: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(kind.format().as_bytes());
    mac.update(&[0]);
    mac.update(payload.as_bytes());
    mac
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seal `payload` as a file of `kind` for the device whose key is `key`: the bytes to
/// write (gzip).
pub fn seal(kind: Kind, payload: &impl Serialize, key: &BundleKey) -> Vec<u8> {
    let json = serde_json::to_string(payload).expect("payloads serialise");
    let mac = hex(&mac_of(key, kind, &json).finalize().into_bytes());
    let envelope = Envelope {
        format: kind.format().to_string(),
        version: BUNDLE_VERSION,
        mac,
        payload: RawValue::from_string(json).expect("serde_json wrote JSON"),
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    serde_json::to_writer(&mut gz, &envelope).expect("writing to memory");
    gz.flush().expect("writing to memory");
    gz.finish().expect("writing to memory")
}

/// Write a sealed file to `path` whole or not at all (a temporary file beside it, renamed
/// into place): a stick pulled out mid-write leaves no half file under the name.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".part");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Whether `file` is a receipts file for `device` (its seal is not checked here).
pub fn is_receipts_for(file: &[u8], device: DeviceId) -> bool {
    Sealed::read(file, Kind::Receipts)
        .and_then(|s| s.peek::<Addressed>())
        .is_ok_and(|a| a.device_id == device)
}

/// A file read and checked for its kind, not yet for its seal.
pub struct Sealed {
    kind: Kind,
    mac: String,
    payload: Box<RawValue>,
}

impl Sealed {
    /// Read the bytes of a file that should be of `kind`: unpacked (bounded), its
    /// envelope parsed, its kind and version checked.
    pub fn read(bytes: &[u8], kind: Kind) -> Result<Sealed, BundleError> {
        let unreadable = |detail: String| BundleError::Unreadable {
            expected: kind,
            detail,
        };
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_BUNDLE_BYTES + 1)
            .read_to_end(&mut json)
            .map_err(|e| unreadable(e.to_string()))?;
        if json.len() as u64 > MAX_BUNDLE_BYTES {
            return Err(BundleError::TooLarge);
        }
        let envelope: Envelope<Box<RawValue>> =
            serde_json::from_slice(&json).map_err(|e| unreadable(e.to_string()))?;
        if envelope.format != kind.format() {
            return Err(BundleError::WrongKind {
                expected: kind,
                found: envelope.format,
            });
        }
        if envelope.version > BUNDLE_VERSION {
            return Err(BundleError::TooNew(envelope.version));
        }
        Ok(Sealed {
            kind,
            mac: envelope.mac,
            payload: envelope.payload,
        })
    }

    /// The payload read without checking the seal: only to find out whose key checks
    /// it (nothing of it may be acted on before [`Sealed::open`]).
    pub fn peek<T: DeserializeOwned>(&self) -> Result<T, BundleError> {
        serde_json::from_str(self.payload.get()).map_err(|e| BundleError::Unreadable {
            expected: self.kind,
            detail: e.to_string(),
        })
    }

    /// The payload, once its seal checks under `key`.
    pub fn open<T: DeserializeOwned>(&self, key: &BundleKey) -> Result<T, BundleError> {
        let mac = mac_of(key, self.kind, self.payload.get());
        let given = from_hex32(&self.mac).ok_or(BundleError::Tampered)?;
        mac.verify_slice(&given)
            .map_err(|_| BundleError::Tampered)?;
        self.peek()
    }
}

/// Just the device a payload names (read before its seal is checked).
#[derive(Deserialize)]
pub struct Addressed {
    pub device_id: DeviceId,
}

#[cfg(test)]
mod tests;
