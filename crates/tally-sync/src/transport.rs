//! How the sync client reaches the server: a small request/response interface, the
//! real HTTP one (reqwest with rustls, gzip both ways), and retries with backoff.

use crate::server_url::ServerUrlError;
use std::io::Write;
use std::time::Duration;
use tally_protocol::{ErrorBody, PROTOCOL_HEADER, PROTOCOL_VERSION, SERVER_TIME_HEADER};

/// An HTTP method the protocol uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// One request to the server.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub method: Method,
    /// Path and query, e.g. `/api/v1/sync/pull?cursor=12`.
    pub path: String,
    pub token: Option<String>,
    /// JSON body (uncompressed; the transport compresses it).
    pub body: Option<Vec<u8>>,
}

/// The server's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// `X-Tally-Server-Time-Ms`, if present.
    pub server_time_ms: Option<u64>,
    /// Bytes on the wire (compressed), for the benchmarks.
    pub wire_bytes: usize,
}

impl Response {
    /// The error body, if the answer is one.
    pub fn error(&self) -> Option<ErrorBody> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The server's clock in an answer's headers (`X-Tally-Server-Time-Ms`), if present.
pub fn server_time(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers
        .get(SERVER_TIME_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// The request never got an answer (connection refused, reset, timed out, a server
/// whose certificate is not trusted).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

/// How an untrusted certificate's failure begins.
const UNTRUSTED: &str = "the server's certificate is not trusted";

impl TransportError {
    /// The server's TLS certificate did not check out (`detail`: why).
    pub fn untrusted(detail: &str) -> TransportError {
        TransportError(format!(
            "{UNTRUSTED} ({detail}); if the server uses a private CA or a self-signed certificate, set {CA_FILE} to that certificate"
        ))
    }

    /// Whether the server's certificate was the trouble (retrying will not help).
    pub fn is_untrusted(&self) -> bool {
        self.0.starts_with(UNTRUSTED)
    }
}

/// Sends requests. The simulation tests implement it over the server's router with a
/// network that drops, duplicates and cuts.
pub trait Transport {
    fn send(&mut self, req: &Request) -> Result<Response, TransportError>;
}

/// The real transport: HTTP(S) to a base URL.
pub struct HttpTransport {
    base: String,
    client: reqwest::blocking::Client,
}

/// The environment variable naming a PEM file of certificates to trust besides the
/// system's: a server whose certificate a private CA signed, or a self-signed one.
pub const CA_FILE: &str = "TALLY_CA_FILE";

impl HttpTransport {
    /// A transport to `base_url`, if the client may use it (`server_url::check_here`:
    /// plain HTTP only to this machine or a private network), trusting the system's
    /// roots and the certificates in [`CA_FILE`] if it is set.
    pub fn new(base_url: &str) -> Result<HttpTransport, ServerUrlError> {
        let extra = match std::env::var_os(CA_FILE) {
            Some(path) => Some(std::fs::read(&path).map_err(|e| ServerUrlError::CaFile {
                path: path.to_string_lossy().into_owned(),
                var: CA_FILE,
                why: e.to_string(),
            })?),
            None => None,
        };
        Self::with_roots(base_url, extra.as_deref())
    }

    /// [`HttpTransport::new`] trusting the certificates of `pem` (a PEM bundle) as well.
    pub fn with_roots(base_url: &str, pem: Option<&[u8]>) -> Result<HttpTransport, ServerUrlError> {
        let base = crate::server_url::check_here(base_url)?;
        // No automatic decompression (reqwest's gzip feature is off): responses are
        // decompressed here, so the bytes on the wire can be counted and bounded.
        let mut builder = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120));
        if let Some(pem) = pem {
            let bad = |why: String| ServerUrlError::CaFile {
                path: std::env::var(CA_FILE).unwrap_or_default(),
                var: CA_FILE,
                why,
            };
            let certs =
                reqwest::Certificate::from_pem_bundle(pem).map_err(|e| bad(e.to_string()))?;
            if certs.is_empty() {
                return Err(bad("no certificate in it (PEM, BEGIN CERTIFICATE)".into()));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder
            .build()
            .map_err(|e| ServerUrlError::Client(e.to_string()))?;
        Ok(HttpTransport { base, client })
    }
}

/// An answer (as sent, and once decompressed) larger than this is refused: the
/// server's pull pages are at most 4 MiB, so this is a hostile or broken server.
pub const MAX_ANSWER_BYTES: u64 = 64 << 20;

/// Read at most [`MAX_ANSWER_BYTES`] from `from`, or fail naming what was too big.
fn read_bounded(from: impl std::io::Read, what: &str) -> Result<Vec<u8>, TransportError> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut from.take(MAX_ANSWER_BYTES + 1), &mut out)
        .map_err(|e| TransportError(format!("{what}: {e}")))?;
    if out.len() as u64 > MAX_ANSWER_BYTES {
        return Err(TransportError(format!(
            "{what}: more than {} MiB, refused",
            MAX_ANSWER_BYTES >> 20
        )));
    }
    Ok(out)
}

/// Bodies larger than this are sent gzip-compressed.
const GZIP_ABOVE: usize = 1024;

impl Transport for HttpTransport {
    fn send(&mut self, req: &Request) -> Result<Response, TransportError> {
        let url = format!("{}{}", self.base, req.path);
        let mut builder = match req.method {
            Method::Get => self.client.get(&url),
            Method::Post => self.client.post(&url),
        }
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .header("accept-encoding", "gzip");
        if let Some(t) = &req.token {
            builder = builder.bearer_auth(t);
        }
        let mut sent = 0;
        if let Some(body) = &req.body {
            builder = builder.header("content-type", "application/json");
            if body.len() > GZIP_ABOVE {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(2));
                enc.write_all(body)
                    .map_err(|e| TransportError(e.to_string()))?;
                let gz = enc.finish().map_err(|e| TransportError(e.to_string()))?;
                sent = gz.len();
                builder = builder.header("content-encoding", "gzip").body(gz);
            } else {
                sent = body.len();
                builder = builder.body(body.clone());
            }
        }
        let resp = builder.send().map_err(|e| describe(&e))?;
        let status = resp.status().as_u16();
        let server_time_ms = server_time(resp.headers());
        let gzipped = resp
            .headers()
            .get("content-encoding")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
        let raw = read_bounded(resp, "the server's answer")?;
        let wire_bytes = sent + raw.len();
        let body = if gzipped {
            read_bounded(
                flate2::read::GzDecoder::new(&raw[..]),
                "the server's gzip answer",
            )?
        } else {
            raw
        };
        Ok(Response {
            status,
            body,
            server_time_ms,
            wire_bytes,
        })
    }
}

fn describe(e: &reqwest::Error) -> TransportError {
    let mut chain = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        chain.push_str(": ");
        chain.push_str(&inner.to_string());
        src = inner.source();
    }
    if chain.contains("certificate") || chain.contains("Certificate") {
        let detail = chain.rsplit(": ").next().unwrap_or(&chain);
        TransportError::untrusted(detail)
    } else if e.is_connect() {
        TransportError("connection refused or no network".into())
    } else if e.is_timeout() {
        TransportError("the server did not answer in time".into())
    } else {
        TransportError(chain)
    }
}

/// How often and how patiently a request is retried.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub attempts: u32,
    pub first: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            attempts: 5,
            first: Duration::from_millis(250),
            max: Duration::from_secs(8),
        }
    }
}

impl Backoff {
    /// The wait before retry number `n` (1-based): doubling, capped.
    pub fn delay(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
        self.first.saturating_mul(factor).min(self.max)
    }
}

/// Whether an answer is worth retrying: the server or a proxy failed.
pub fn retryable(status: u16) -> bool {
    matches!(status, 500..=599 | 408)
}

/// Send with retries: transport errors and 5xx are retried with backoff; everything
/// else is returned as it came. `sleep` is injected so tests do not wait.
pub fn send_with_retry(
    transport: &mut dyn Transport,
    req: &Request,
    backoff: &Backoff,
    sleep: &mut dyn FnMut(Duration),
) -> Result<Response, TransportError> {
    let mut last = None;
    for attempt in 1..=backoff.attempts.max(1) {
        if attempt > 1 {
            sleep(backoff.delay(attempt - 1));
        }
        match transport.send(req) {
            Ok(resp) if retryable(resp.status) => {
                tracing::warn!(status = resp.status, attempt, path = %req.path, "server error, retrying");
                last = Some(Ok(resp));
            }
            Ok(resp) => return Ok(resp),
            Err(e) if e.is_untrusted() => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, attempt, path = %req.path, "request failed, retrying");
                last = Some(Err(e));
            }
        }
    }
    last.unwrap_or_else(|| Err(TransportError("no attempt made".into())))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Script(Vec<Result<u16, &'static str>>, usize);

    impl Transport for Script {
        fn send(&mut self, _: &Request) -> Result<Response, TransportError> {
            let r = self.0[self.1.min(self.0.len() - 1)];
            self.1 += 1;
            r.map(|status| Response {
                status,
                body: vec![],
                server_time_ms: None,
                wire_bytes: 0,
            })
            .map_err(|e| TransportError(e.into()))
        }
    }

    fn req() -> Request {
        Request {
            method: Method::Get,
            path: "/x".into(),
            token: None,
            body: None,
        }
    }

    #[test]
    fn retries_transport_errors_and_5xx_then_succeeds() {
        let mut t = Script(vec![Err("reset"), Ok(503), Ok(200)], 0);
        let mut waits = Vec::new();
        let r =
            send_with_retry(&mut t, &req(), &Backoff::default(), &mut |d| waits.push(d)).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(
            waits,
            [Duration::from_millis(250), Duration::from_millis(500)]
        );
    }

    #[test]
    fn does_not_retry_client_errors_and_gives_up_after_the_last_attempt() {
        let mut t = Script(vec![Ok(403)], 0);
        assert_eq!(
            send_with_retry(&mut t, &req(), &Backoff::default(), &mut |_| {})
                .unwrap()
                .status,
            403
        );
        assert_eq!(t.1, 1);
        let mut t = Script(vec![Err("down")], 0);
        let b = Backoff {
            attempts: 3,
            ..Backoff::default()
        };
        assert!(send_with_retry(&mut t, &req(), &b, &mut |_| {}).is_err());
        assert_eq!(t.1, 3);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = Backoff::default();
        assert_eq!(b.delay(1), Duration::from_millis(250));
        assert_eq!(b.delay(3), Duration::from_secs(1));
        assert_eq!(b.delay(30), Duration::from_secs(8));
    }

    #[test]
    fn a_server_address_without_a_scheme_is_refused() {
        assert!(HttpTransport::new("127.0.0.1:8080").is_err());
        assert!(HttpTransport::new("http://127.0.0.1:8080/").is_ok());
    }

    #[test]
    fn an_answer_is_read_up_to_its_bound() {
        let exact = vec![7u8; MAX_ANSWER_BYTES as usize];
        assert_eq!(read_bounded(&exact[..], "x").unwrap().len(), exact.len());
        let over = std::io::Read::take(std::io::repeat(0), MAX_ANSWER_BYTES + 1);
        let e = read_bounded(over, "the server's gzip answer").unwrap_err();
        assert!(e.0.contains("gzip answer") && e.0.contains("64 MiB"), "{e}");
        // A gzip bomb: 65 MiB of zeros in well under a megabyte stops at the bound.
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..65 {
            enc.write_all(&zeros).unwrap();
        }
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < 1 << 20);
        assert!(read_bounded(flate2::read::GzDecoder::new(&bomb[..]), "gzip").is_err());
    }
}
