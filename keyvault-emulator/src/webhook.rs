//! `--events-webhook URL`: every batch of new events is POSTed to a URL on
//! the loopback as Event Grid delivers them (a JSON array, header
//! `aeg-event-type: Notification`), so users can test their handlers.

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use serde_json::Value;

use crate::state::EventLog;

/// Where the webhook posts: a loopback address and a path.
#[derive(Clone, Debug)]
pub struct Target {
    addr: std::net::SocketAddr,
    authority: String,
    path: String,
}

/// Checks a webhook URL: `http://` to a loopback address (`127.0.0.1`,
/// `[::1]` or `localhost`) only, so events (key names, versions) never
/// leave the machine.
pub fn parse(url: &str) -> Result<Target, String> {
    let u = url::Url::parse(url).map_err(|e| format!("--events-webhook {url:?}: {e}"))?;
    let refuse = || {
        format!(
            "--events-webhook {url:?}: only http:// to a loopback address (127.0.0.1, [::1], localhost) is allowed"
        )
    };
    if u.scheme() != "http" {
        return Err(refuse());
    }
    let port = u.port_or_known_default().ok_or_else(refuse)?;
    let ip: std::net::IpAddr = match u.host() {
        Some(url::Host::Ipv4(a)) => a.into(),
        Some(url::Host::Ipv6(a)) => a.into(),
        Some(url::Host::Domain("localhost")) => std::net::Ipv4Addr::LOCALHOST.into(),
        _ => return Err(refuse()),
    };
    if !ip.is_loopback() {
        return Err(refuse());
    }
    let mut path = u.path().to_owned();
    if let Some(q) = u.query() {
        path = format!("{path}?{q}");
    }
    Ok(Target {
        addr: (ip, port).into(),
        authority: format!("{}:{port}", u.host_str().unwrap_or("localhost")),
        path,
    })
}

/// Sends every batch `log` records to `target`, one POST a batch, in order,
/// each within 5 seconds (a failure is logged and the batch dropped).
pub fn spawn(target: Target, log: &EventLog) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<Value>>();
    log.set_sink(tx);
    tokio::spawn(async move {
        while let Some(batch) = rx.recv().await {
            let sent =
                tokio::time::timeout(std::time::Duration::from_secs(5), post(&target, &batch))
                    .await;
            match sent {
                Ok(Ok(status)) if (200..300).contains(&status) => {}
                Ok(Ok(status)) => tracing::warn!(status, "the events webhook refused a batch"),
                Ok(Err(e)) => tracing::warn!(error = %e, "the events webhook failed"),
                Err(_) => tracing::warn!("the events webhook timed out"),
            }
        }
    });
}

async fn post(target: &Target, batch: &[Value]) -> Result<u16, String> {
    let body = serde_json::to_vec(batch).map_err(|e| e.to_string())?;
    let stream = tokio::net::TcpStream::connect(target.addr)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let req = hyper::Request::post(&target.path)
        .header(hyper::header::HOST, &target.authority)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header("aeg-event-type", "Notification")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    Ok(resp.status().as_u16())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_loopback_http_urls_are_taken() {
        assert!(super::parse("http://127.0.0.1:9000/events").is_ok());
        assert!(super::parse("http://localhost:9000/").is_ok());
        assert!(super::parse("http://[::1]:9000/x?y=1").is_ok());
        for bad in [
            "https://127.0.0.1/",
            "http://10.0.0.1/",
            "http://example.com/",
            "nonsense",
        ] {
            assert!(super::parse(bad).is_err(), "{bad}");
        }
    }
}
