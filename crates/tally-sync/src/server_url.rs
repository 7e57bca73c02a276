//! Which server addresses the client talks to. Passwords and device tokens cross the
//! network, so plain `http://` is for this machine and private networks only (a township
//! office's LAN); anything else needs `https://`, unless whoever runs the client sets
//! `TALLY_ALLOW_PLAIN_HTTP=1` (a test rig, a reverse proxy the admin trusts).

use std::net::{IpAddr, ToSocketAddrs};
use tally_core::Explain;

/// The environment variable that allows plain HTTP to any address.
pub const ALLOW_PLAIN_HTTP: &str = "TALLY_ALLOW_PLAIN_HTTP";

/// Why a server address is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ServerUrlError {
    #[error("server address must start with http:// or https://, got {0:?}")]
    Scheme(String),
    #[error("server address {0:?} has no host")]
    NoHost(String),
    #[error(
        "{host} is not on this machine or a private network: use https:// (passwords and \
         tokens would cross the network unencrypted), or set TALLY_ALLOW_PLAIN_HTTP=1"
    )]
    PlainHttp { host: String },
    #[error("cannot use the certificates to trust in {path} ({var}): {why}")]
    CaFile {
        path: String,
        var: &'static str,
        why: String,
    },
    #[error("cannot start the HTTP client: {0}")]
    Client(String),
}

impl Explain for ServerUrlError {
    fn code(&self) -> &'static str {
        match self {
            ServerUrlError::Scheme(_) | ServerUrlError::NoHost(_) => "bad_server_url",
            ServerUrlError::PlainHttp { .. } => "plain_http_refused",
            ServerUrlError::CaFile { .. } => "bad_ca_file",
            ServerUrlError::Client(_) => "internal",
        }
    }

    fn zh(&self) -> String {
        match self {
            ServerUrlError::Scheme(got) => {
                format!("服务器地址应以 http:// 或 https:// 开头（填的是 {got}）")
            }
            ServerUrlError::NoHost(got) => format!("服务器地址里没有主机名或 IP（填的是 {got}）"),
            ServerUrlError::PlainHttp { host } => format!(
                "{host} 不是本机或内网地址：请用 https:// 开头的地址（http:// 不加密，密码会在网上明文传送）"
            ),
            ServerUrlError::CaFile { path, var, .. } => {
                format!("无法使用 {var} 指定的证书文件 {path}（应为 PEM 格式的证书）")
            }
            ServerUrlError::Client(_) => "无法启动网络连接组件，请重新打开 Tally".into(),
        }
    }

    fn field(&self) -> Option<&str> {
        Some("server")
    }
}

/// The address without a trailing slash, if the client may use it. `allow_plain` lets
/// plain HTTP go anywhere; `resolve` gives a host name's addresses (none if it cannot
/// be resolved now: then nothing can be sent to it either, and it is let through).
pub fn check(
    url: &str,
    allow_plain: bool,
    resolve: &dyn Fn(&str) -> Vec<IpAddr>,
) -> Result<String, ServerUrlError> {
    let base = url.trim().trim_end_matches('/').to_string();
    let (plain, rest) = if let Some(rest) = base.strip_prefix("http://") {
        (true, rest)
    } else if let Some(rest) = base.strip_prefix("https://") {
        (false, rest)
    } else {
        return Err(ServerUrlError::Scheme(url.to_string()));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    if host.is_empty() {
        return Err(ServerUrlError::NoHost(url.to_string()));
    }
    if !plain || allow_plain {
        return Ok(base);
    }
    let local = match host.parse::<IpAddr>() {
        Ok(ip) => is_local(ip),
        Err(_) if host.eq_ignore_ascii_case("localhost") => true,
        Err(_) => resolve(host).iter().all(|ip| is_local(*ip)),
    };
    if local {
        Ok(base)
    } else {
        Err(ServerUrlError::PlainHttp {
            host: host.to_string(),
        })
    }
}

/// [`check`] as the client runs it: the environment's permission, the system resolver.
pub fn check_here(url: &str) -> Result<String, ServerUrlError> {
    let allow = std::env::var(ALLOW_PLAIN_HTTP).is_ok_and(|v| v == "1");
    check(url, allow, &|host| {
        (host, 80)
            .to_socket_addrs()
            .map(|addrs| addrs.map(|a| a.ip()).collect())
            .unwrap_or_default()
    })
}

/// This machine, a private network (RFC 1918, carrier-grade NAT, link-local, IPv6
/// unique-local and link-local).
fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => is_local(IpAddr::V4(v4)),
            None => {
                let first = a.segments()[0];
                a.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(host: &str) -> Vec<IpAddr> {
        match host {
            "office.lan" => vec!["192.168.1.20".parse().unwrap()],
            "tally.example.cn" => vec!["203.0.113.7".parse().unwrap()],
            "mixed.example.cn" => vec!["10.0.0.1".parse().unwrap(), "203.0.113.8".parse().unwrap()],
            _ => vec![],
        }
    }

    #[test]
    fn plain_http_only_to_this_machine_and_private_networks() {
        let ok = [
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("http://localhost:8080", "http://localhost:8080"),
            ("http://[::1]:8080", "http://[::1]:8080"),
            ("http://10.1.2.3", "http://10.1.2.3"),
            ("http://172.16.0.9:80", "http://172.16.0.9:80"),
            ("http://192.168.3.4:8080/", "http://192.168.3.4:8080"),
            ("http://100.64.1.1", "http://100.64.1.1"),
            ("http://169.254.0.5", "http://169.254.0.5"),
            ("http://[fd00::5]:8080", "http://[fd00::5]:8080"),
            ("http://office.lan:8080", "http://office.lan:8080"),
            ("http://offline.example:8080", "http://offline.example:8080"),
            ("https://tally.example.cn", "https://tally.example.cn"),
            ("  https://203.0.113.7/ ", "https://203.0.113.7"),
        ];
        for (url, want) in ok {
            assert_eq!(check(url, false, &resolver).as_deref(), Ok(want), "{url}");
        }
        let refused = [
            (
                "http://203.0.113.7:8080",
                "plain_http_refused",
                "203.0.113.7",
            ),
            (
                "http://tally.example.cn",
                "plain_http_refused",
                "tally.example.cn",
            ),
            (
                "http://mixed.example.cn",
                "plain_http_refused",
                "mixed.example.cn",
            ),
            (
                "http://[2001:db8::1]:8080",
                "plain_http_refused",
                "2001:db8::1",
            ),
            ("http://172.32.0.1", "plain_http_refused", "172.32.0.1"),
            ("127.0.0.1:8080", "bad_server_url", "127.0.0.1:8080"),
            ("ftp://10.0.0.1", "bad_server_url", "ftp://10.0.0.1"),
            ("http://", "bad_server_url", "http://"),
            ("http://:8080", "bad_server_url", "http://:8080"),
        ];
        for (url, code, names) in refused {
            let e = check(url, false, &resolver).unwrap_err();
            assert_eq!(e.code(), code, "{url}");
            assert!(
                e.zh().contains(names) && e.to_string().contains(names),
                "{url}: {e}"
            );
        }
        assert_eq!(
            check("http://203.0.113.7:8080", true, &resolver).as_deref(),
            Ok("http://203.0.113.7:8080"),
            "allowed by whoever runs the client"
        );
    }
}
