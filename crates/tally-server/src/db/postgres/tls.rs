//! TLS to PostgreSQL (rustls). The database URL asks for it as libpq does:
//! `sslmode=require` (or `verify-ca` / `verify-full`) encrypts the connection, and the
//! server's certificate is always checked, against `sslrootcert=PATH` (a PEM file of
//! the certificates to trust: a private CA, or a self-signed server's own certificate)
//! or else the system's trusted roots. (libpq's `require` alone does not check the
//! certificate; here nobody in the middle can read the data either way.) Without
//! `sslmode`, or with `disable` / `prefer`, the connection is plain, as before.

use crate::error::DbError;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::sync::Arc;
use tokio_postgres::config::SslMode;
use tokio_postgres::Config;
use tokio_postgres_rustls::MakeRustlsConnect;

/// A database URL read: the driver's configuration and, when TLS is asked for, the
/// connector that checks the server's certificate.
pub(super) struct Target {
    pub config: Config,
    pub tls: Option<MakeRustlsConnect>,
}

/// Read `url`, taking out the options the driver does not know (`sslrootcert`,
/// `sslmode=verify-ca|verify-full`).
pub(super) fn target(url: &str) -> Result<Target, DbError> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut root_file = None;
    let mut wants_tls = false;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslrootcert", path)) => root_file = Some(path.to_string()),
            Some(("sslmode", "verify-ca" | "verify-full")) => {
                wants_tls = true;
                kept.push("sslmode=require".to_string());
            }
            _ => kept.push(pair.to_string()),
        }
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let config: Config = url.parse()?;
    wants_tls |= config.get_ssl_mode() == SslMode::Require;
    if !wants_tls {
        return match root_file {
            Some(_) => Err(DbError::Tls(
                "sslrootcert is given without sslmode=require".into(),
            )),
            None => Ok(Target { config, tls: None }),
        };
    }
    let roots = match root_file {
        Some(path) => roots_from(&path)?,
        None => system_roots()?,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DbError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Target {
        config,
        tls: Some(MakeRustlsConnect::new(client)),
    })
}

/// The certificates of a PEM file, to trust.
fn roots_from(path: &str) -> Result<rustls::RootCertStore, DbError> {
    let failed = |e: &dyn std::fmt::Display| DbError::Tls(format!("sslrootcert {path}: {e}"));
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| failed(&e))? {
        roots
            .add(cert.map_err(|e| failed(&e))?)
            .map_err(|e| failed(&e))?;
    }
    if roots.is_empty() {
        return Err(failed(
            &"no certificate in the file (PEM, BEGIN CERTIFICATE)",
        ));
    }
    Ok(roots)
}

/// The system's trusted roots.
fn system_roots() -> Result<rustls::RootCertStore, DbError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(DbError::Tls(
            "no trusted root certificates on this system: give sslrootcert=PATH".into(),
        ));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_urls_stay_plain_and_tls_options_are_understood() {
        let plain = target("postgres://tally@127.0.0.1:5432/db").unwrap();
        assert!(plain.tls.is_none());
        let prefer = target("postgres://tally@127.0.0.1/db?sslmode=prefer").unwrap();
        assert!(prefer.tls.is_none());
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("ca.pem");
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
        std::fs::write(&pem, cert.cert.pem()).unwrap();
        for mode in ["require", "verify-ca", "verify-full"] {
            let url = format!(
                "postgres://tally@127.0.0.1/db?sslmode={mode}&sslrootcert={}&application_name=t",
                pem.display()
            );
            let t = target(&url).unwrap_or_else(|e| panic!("{mode}: {e}"));
            assert!(t.tls.is_some(), "{mode}");
            assert_eq!(t.config.get_ssl_mode(), SslMode::Require, "{mode}");
            assert_eq!(t.config.get_application_name(), Some("t"));
        }
    }

    #[test]
    fn a_bad_tls_option_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate").unwrap();
        for (url, says) in [
            (
                format!(
                    "postgres://t@h/db?sslmode=require&sslrootcert={}",
                    empty.display()
                ),
                "no certificate in the file",
            ),
            (
                "postgres://t@h/db?sslmode=require&sslrootcert=/no/such.pem".to_string(),
                "/no/such.pem",
            ),
            (
                "postgres://t@h/db?sslrootcert=/ca.pem".to_string(),
                "without sslmode=require",
            ),
        ] {
            let e = target(&url)
                .err()
                .unwrap_or_else(|| panic!("{url} accepted"));
            assert!(e.to_string().contains(says), "{url}: {e}");
        }
    }
}
