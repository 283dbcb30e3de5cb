//! What the benchmark binaries share: SigV4-signed requests to the local server written as
//! raw HTTP/1.1 bytes (so the client adds as little as possible to what is measured), a
//! minimal keep-alive HTTP/1.1 exchange over real sockets, latency statistics, and this
//! process's CPU time, and (`seed`) a team's generated sessions. `infra/bench/run` drives the
//! binaries; none of this is a test.

pub mod seed;

use std::io::{Read, Write};
use std::time::{Duration, SystemTime};

use serde_json::json;
use sessions_core::paths::{WHOAMI_PATH, session_path};
use sessions_core::{SessionId, Summary, Timestamp, Title, UpsertBody, WorkspaceId};
use sessions_function::auth::{LOCAL_KEYS, LocalKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The region every benchmark signs for (the local server accepts any).
pub const REGION: &str = "us-east-1";

/// Alice, the local server's first documented identity: every benchmark writes as her, so
/// the CLI, `ddb-update` and `aws dynamodb update-item` may overwrite the same row.
pub fn alice() -> &'static LocalKey {
    &LOCAL_KEYS[0]
}

/// `host:port` of an `http://host:port[/]` endpoint.
pub fn authority(endpoint: &str) -> Result<String, String> {
    let rest = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("{endpoint}: only http:// endpoints (the local server)"))?;
    Ok(rest.trim_end_matches('/').to_owned())
}

/// A complete signed `PUT` of one session (an upsert, observed now), as bytes on the wire.
pub fn upsert_request(
    authority: &str,
    workspace: &WorkspaceId,
    session_id: &SessionId,
    title: &str,
) -> Vec<u8> {
    let body = serde_json::to_vec(&UpsertBody {
        title: Title::parse(title).expect("a valid title"),
        summary: Summary::parse("Benchmark session: one upsert through the API.")
            .expect("a valid summary"),
        finished_at: None,
        observed_at: Timestamp::now(),
        facts: Default::default(),
    })
    .expect("an upsert body serializes");
    signed_request(
        "PUT",
        authority,
        &session_path(workspace, session_id),
        &[("content-type", "application/json")],
        &body,
    )
}

/// A complete signed `GET /v1/whoami`: answered by the function without DynamoDB.
pub fn whoami_request(authority: &str) -> Vec<u8> {
    signed_request("GET", authority, WHOAMI_PATH, &[], &[])
}

/// A plain unsigned `GET /` (for the hello-world server).
pub fn hello_request(authority: &str) -> Vec<u8> {
    format!("GET / HTTP/1.1\r\nhost: {authority}\r\ncontent-length: 0\r\n\r\n").into_bytes()
}

/// Signs like any SigV4 client (service `execute-api`, Alice's key, now) and writes the
/// request out.
fn signed_request(
    method: &str,
    authority: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let key = alice();
    let url = format!("http://{authority}{path}");
    let mut signed_headers: Vec<(&str, &str)> = headers.to_vec();
    signed_headers.push(("host", authority));
    let request = sessions_aws::Request {
        method,
        url: &url,
        headers: &signed_headers,
        body,
    };
    let credentials = sessions_aws::static_credentials(key.access_key_id, key.secret_access_key);
    let signature = sessions_aws::sign_request(&credentials, REGION, SystemTime::now(), &request)
        .expect("sign");
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for (name, value) in &signed_headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    for (name, value) in &signature {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// An answer: status and body.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Where the head of a response ends, its status, and its `content-length`.
fn parse_head(buf: &[u8]) -> Option<Result<(usize, u16, usize), String>> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok());
    let Some(status) = status else {
        return Some(Err(format!("not an HTTP response: {head:?}")));
    };
    let length = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok());
    match length {
        Some(length) => Some(Ok((end, status, length))),
        None => Some(Err(format!(
            "response without content-length (HTTP {status})"
        ))),
    }
}

/// One keep-alive HTTP/1.1 connection over a tokio socket: request, then its whole answer.
pub struct Connection {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
}

impl Connection {
    pub async fn open(authority: &str) -> std::io::Result<Connection> {
        let stream = tokio::net::TcpStream::connect(authority).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            buf: Vec::with_capacity(8192),
        })
    }

    pub async fn exchange(&mut self, request: &[u8]) -> Result<Answer, String> {
        self.stream
            .write_all(request)
            .await
            .map_err(|e| format!("write: {e}"))?;
        self.buf.clear();
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(head) = parse_head(&self.buf) {
                let (end, status, length) = head?;
                while self.buf.len() < end + length {
                    let n = self
                        .stream
                        .read(&mut chunk)
                        .await
                        .map_err(|e| format!("read: {e}"))?;
                    if n == 0 {
                        return Err("connection closed mid-body".into());
                    }
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                return Ok(Answer {
                    status,
                    body: self.buf[end..end + length].to_vec(),
                });
            }
            let n = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("connection closed before an answer".into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The same exchange on a blocking socket (the init benchmark polls without a runtime).
pub fn exchange_blocking(
    stream: &mut std::net::TcpStream,
    request: &[u8],
) -> Result<Answer, String> {
    stream
        .write_all(request)
        .map_err(|e| format!("write: {e}"))?;
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(head) = parse_head(&buf) {
            let (end, status, length) = head?;
            while buf.len() < end + length {
                let n = stream.read(&mut chunk).map_err(|e| format!("read: {e}"))?;
                if n == 0 {
                    return Err("connection closed mid-body".into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(Answer {
                status,
                body: buf[end..end + length].to_vec(),
            });
        }
        let n = stream.read(&mut chunk).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("connection closed before an answer".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Latency summary of one series, in milliseconds (nearest-rank percentiles).
pub fn summary(latencies: &[Duration]) -> serde_json::Value {
    let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let mean = if ms.is_empty() {
        0.0
    } else {
        ms.iter().sum::<f64>() / ms.len() as f64
    };
    json!({
        "count": ms.len(),
        "p50_ms": percentile(&ms, 50.0),
        "p90_ms": percentile(&ms, 90.0),
        "p99_ms": percentile(&ms, 99.0),
        "max_ms": ms.last().copied().unwrap_or(0.0),
        "mean_ms": mean,
    })
}

/// The nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// User + system CPU seconds this process has used so far (from /proc/self/stat).
pub fn self_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // SAFETY: sysconf only reads a constant of the system.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / per_second.max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
    }

    #[test]
    fn heads_are_parsed() {
        let r = b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(parse_head(r).unwrap().unwrap(), (43, 201, 2));
        assert!(parse_head(b"HTTP/1.1 200 OK\r\n").is_none());
    }
}
