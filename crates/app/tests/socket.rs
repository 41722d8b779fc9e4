//! The portal on a real TCP socket, as a browser or robot meets it.

mod common;

use common::TestApp;

async fn serves_over_tcp(app: TestApp) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    let timeouts = udrul::serve::Timeouts::of(&udrul::config::Config::default());
    let server = tokio::spawn(async move {
        udrul::serve::serve(listener, router, timeouts, std::future::pending())
            .await
            .unwrap()
    });
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    // Security headers on a page.
    let login = client.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    let csp = login.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(login.headers()["x-content-type-options"], "nosniff");
    assert_eq!(login.headers()["x-frame-options"], "DENY");
    assert_eq!(login.headers()["cross-origin-opener-policy"], "same-origin");
    assert_eq!(login.headers()["referrer-policy"], "same-origin");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'self'"));
    // Plain http (tests, demo): no HSTS, which would lock browsers out.
    assert!(!login.headers().contains_key("strict-transport-security"));
    assert!(login.headers().contains_key("x-request-id"));
    let html = login.text().await.unwrap();
    let csrf = common::csrf_in(&html).unwrap();

    let res = client
        .post(format!("{base}/login"))
        .header("origin", &base)
        .form(&[
            ("username", "a-user"),
            ("password", common::PASSWORD),
            ("next", "/"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let set_cookie: Vec<_> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(set_cookie.iter().any(|c| c.starts_with("udrul_session=")
        && c.contains("HttpOnly")
        && c.contains("SameSite=Lax")));
    let home = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("Aalborg"));

    // The API on the same socket.
    let tok: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&serde_json::json!({"username": "b-user", "password": common::PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tok["token"].as_str().unwrap();
    let me = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    server.abort();
}

each_backend!(real_socket, serves_over_tcp);

// --- connection timeouts (issue 11) -------------------------------------------

use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Generous: these check "eventually closed", not timing.
const CLOSED_WITHIN: Duration = Duration::from_secs(15);

/// The app with short timeouts on a real socket: its address.
async fn short_timeouts(app: &TestApp) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let config = udrul::config::Config {
        header_timeout: Duration::from_millis(700),
        idle_timeout: Duration::from_millis(1500),
        body_timeout: Duration::from_millis(700),
        body_deadline: Duration::from_millis(2500),
        ..udrul::config::Config::default()
    };
    let timeouts = udrul::serve::Timeouts::of(&config);
    let router = app.instance(config).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        udrul::serve::serve(listener, router, timeouts, std::future::pending())
            .await
            .unwrap()
    });
    (addr, server)
}

/// Reads until the server closes; what it sent. Panics if it stays open.
async fn until_closed(s: &mut TcpStream) -> String {
    let mut all = Vec::new();
    let read = tokio::time::timeout(CLOSED_WITHIN, async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "still open after {CLOSED_WITHIN:?}");
    String::from_utf8_lossy(&all).into_owned()
}

async fn slow_and_stuck_connections_are_closed(app: TestApp) {
    let (addr, server) = short_timeouts(&app).await;

    // Half a header, then nothing.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .unwrap();
    let got = until_closed(&mut s).await;
    assert!(!got.contains("200 OK"), "{got}");

    // A header trickled byte by byte, each pause under the idle timeout,
    // still ends at the header timeout.
    let mut s = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let trickle = async {
        for b in b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
            if s.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let _ = tokio::time::timeout(CLOSED_WITHIN, trickle).await;
    let got = until_closed(&mut s).await;
    assert!(!got.contains("200 OK"), "{got}");
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "{:?}",
        started.elapsed()
    );

    // A header with a Content-Length and no body: 408, and closed.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"POST /login HTTP/1.1\r\nHost: localhost\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n",
    )
    .await
    .unwrap();
    let got = until_closed(&mut s).await;
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");

    // A body that trickles in forever meets the body deadline.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"POST /login HTTP/1.1\r\nHost: localhost\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n",
    )
    .await
    .unwrap();
    let (mut rd, mut wr) = s.into_split();
    let writer = tokio::spawn(async move {
        for _ in 0..200 {
            if wr.write_all(b"a").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut got = Vec::new();
    let _ = tokio::time::timeout(CLOSED_WITHIN, rd.read_to_end(&mut got)).await;
    let got = String::from_utf8_lossy(&got).into_owned();
    // 408, or closed before it could be read (a reset discards it).
    assert!(got.is_empty() || got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(!writer.is_finished(), "the trickle ran its course unclosed");
    writer.abort();

    // A connection that never speaks.
    let mut s = TcpStream::connect(addr).await.unwrap();
    assert_eq!(until_closed(&mut s).await, "");

    // A kept-alive connection after an answer: served, then closed when idle.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let got = until_closed(&mut s).await;
    assert!(got.starts_with("HTTP/1.1 200 OK"), "{got}");

    // Requests that take their time within the limits are served: a body in
    // two pieces with a pause, then a second request on the same connection.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.write_all(b"\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(900)).await;
    s.write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let got = until_closed(&mut s).await;
    assert_eq!(got.matches("HTTP/1.1 200 OK").count(), 2, "{got}");

    // And the client's address reaches the audit log from the socket.
    let client = reqwest::Client::new();
    let res = client
        .post(format!("http://{addr}/api/v1/auth/token"))
        .header("x-forwarded-for", "203.0.113.66")
        .json(&serde_json::json!({"username": "a-user", "password": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let log = app
        .store
        .search_audit(&udrul_core::store::AuditFilter {
            person: Some(app.fx.a_user.id),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    let after = log[0].after.clone().unwrap_or_default();
    assert!(after.contains("\"client\":\"127.0.0.1\""), "{after}");
    assert!(!after.contains("203.0.113.66"), "{after}");
    server.abort();
}
each_backend!(connection_timeouts, slow_and_stuck_connections_are_closed);
