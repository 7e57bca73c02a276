//! Serving the router on a TCP listener, with the limits a server on the open network
//! needs: a request's headers must arrive within [`HEADER_TIMEOUT`], a connection on
//! which nothing moves for [`IDLE_TIMEOUT`] while no request of it is being answered is
//! closed (a half-sent header or body cannot hold it forever), a whole request gets [`REQUEST_TIMEOUT`], and at most
//! `max_connections` are open at once: when a new one arrives at the cap, the one
//! that has been quiet longest is closed for it, so a flood of idle connections cannot
//! keep health checks and syncs out. Optionally HTTPS (rustls), and every handler
//! learns the peer's address (`ConnectInfo`).

use axum::extract::connect_info::ConnectInfo;
use axum::response::IntoResponse;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt;

/// A request's headers must be in within this.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Nothing read or written for this long, no request being answered: closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// A whole request (reading its body, answering it).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Open connections at most, by default (well below a default 1 024 open files).
pub const MAX_CONNECTIONS: u16 = 512;

/// How the server listens.
#[derive(Clone)]
pub struct Options {
    pub max_connections: usize,
    pub idle_timeout: Duration,
    pub header_timeout: Duration,
    /// A whole request, body and answer: then 408 (`timed_out`).
    pub request_timeout: Duration,
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_connections: usize::from(MAX_CONNECTIONS),
            idle_timeout: IDLE_TIMEOUT,
            header_timeout: HEADER_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
            tls: None,
        }
    }
}

/// Why HTTPS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path} holds no certificate (PEM, BEGIN CERTIFICATE)")]
    NoCertificate { path: String },
    #[error("the certificate and key do not go together: {0}")]
    Config(String),
}

/// A rustls server configuration from PEM files: the certificate chain and its key.
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let read = |path: &Path, e: &dyn std::fmt::Display| TlsError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| read(cert, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| read(cert, &e))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: cert.display().to_string(),
        });
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| read(key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// One open connection: when bytes last moved, and how to close it.
struct Conn {
    last_active_ms: Arc<AtomicU64>,
    close: Arc<Notify>,
}

/// The open connections, to pick the quietest when the cap is reached.
#[derive(Default)]
struct Conns {
    next: u64,
    open: HashMap<u64, Conn>,
}

/// Serve `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    options: Options,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let conns = Arc::new(Mutex::new(Conns::default()));
    let started = Instant::now();
    let acceptor = options.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of files or similar: wait a moment instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let now_ms = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let last_active_ms = Arc::new(AtomicU64::new(now_ms()));
        let busy = Arc::new(AtomicUsize::new(0));
        let close = Arc::new(Notify::new());
        let id = {
            let mut c = conns.lock().unwrap_or_else(|e| e.into_inner());
            if c.open.len() >= options.max_connections {
                let quietest = c
                    .open
                    .iter()
                    .min_by_key(|(_, conn)| conn.last_active_ms.load(Ordering::Relaxed))
                    .map(|(id, _)| *id);
                if let Some(quiet) = quietest.and_then(|id| c.open.remove(&id)) {
                    quiet.close.notify_one();
                    tracing::info!("connection cap reached: closed the quietest");
                }
            }
            c.next += 1;
            let id = c.next;
            c.open.insert(
                id,
                Conn {
                    last_active_ms: last_active_ms.clone(),
                    close: close.clone(),
                },
            );
            id
        };
        let app = app.clone();
        let conns = conns.clone();
        let acceptor = acceptor.clone();
        let options = options.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let watched = Watched {
                inner: stream,
                last_active_ms,
                busy: busy.clone(),
                started,
                idle: options.idle_timeout,
                sleep: None,
            };
            let served = async {
                match acceptor {
                    Some(tls) => {
                        let tls_stream =
                            tokio::time::timeout(options.header_timeout, tls.accept(watched)).await;
                        match tls_stream {
                            Ok(Ok(s)) => serve_one(s, app, peer, busy, &options).await,
                            Ok(Err(e)) => {
                                tracing::debug!(%peer, error = %e, "TLS handshake failed")
                            }
                            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                        }
                    }
                    None => serve_one(watched, app, peer, busy, &options).await,
                }
            };
            tokio::select! {
                _ = served => {}
                _ = close.notified() => {}
            }
            conns
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .open
                .remove(&id);
        });
    }
}

/// Counts a request being answered while it lives.
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn new(n: &Arc<AtomicUsize>) -> Busy {
        n.fetch_add(1, Ordering::Relaxed);
        Busy(n.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn serve_one<S>(
    stream: S,
    app: Router,
    peer: SocketAddr,
    busy: Arc<AtomicUsize>,
    options: &Options,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let limit = options.request_timeout;
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let answering = Busy::new(&busy);
        let app = app.clone();
        async move {
            let answer = tokio::time::timeout(limit, app.oneshot(req.map(axum::body::Body::new)))
                .await
                .unwrap_or_else(|_| {
                    let secs = limit.as_secs_f64().ceil() as u64;
                    Ok(crate::ApiError::TimedOut(secs).into_response())
                });
            drop(answering);
            answer
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout);
    if let Err(e) = builder
        .serve_connection_with_upgrades(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// A stream that notes when bytes last moved, and fails a read that has waited longer
/// than `idle` with nothing moving while no request is being answered.
struct Watched<S> {
    inner: S,
    last_active_ms: Arc<AtomicU64>,
    busy: Arc<AtomicUsize>,
    started: Instant,
    idle: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> Watched<S> {
    fn moved(&mut self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_active_ms.store(ms, Ordering::Relaxed);
        self.sleep = None;
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.moved();
                }
                self.sleep = None;
                Poll::Ready(r)
            }
            Poll::Pending if self.busy.load(Ordering::Relaxed) > 0 => {
                self.sleep = None;
                Poll::Pending
            }
            Poll::Pending => {
                let idle = self.idle;
                let sleep = self
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        self.sleep = None;
                        Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "nothing arrived on the connection",
                        )))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.moved();
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.moved();
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
