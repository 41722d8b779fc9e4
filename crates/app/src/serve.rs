//! Serving the router on a TCP listener, with connection timeouts.
//!
//! `axum::serve` sets none (issue 11: an unfinished header, a body that
//! never came and an idle socket each stayed open over 75 s), so connections
//! are served here with hyper's HTTP/1 connection directly, one task each,
//! watched by a timer:
//!
//! - **header**: once the first byte of a request has arrived, its whole
//!   header must arrive within `header_timeout`;
//! - **idle**: a connection with no request in progress that neither sends
//!   nor reads anything for `idle_timeout` is closed (a keep-alive
//!   connection between requests, a connection that never speaks, and a
//!   client that stops reading its answer);
//! - **body**: the router's `RequestBodyTimeoutLayer` and
//!   `RequestBodyDeadlineLayer` (`server::router`).
//!
//! hyper's own `header_read_timeout` runs from the moment it waits for a
//! request, so it would close keep-alive connections after the header
//! timeout; it is kept only as a backstop at header + idle. Each request
//! gets the peer's address as axum's `ConnectInfo` (for `client`).
//! Shutdown stops accepting, lets every connection finish its request and
//! close, and waits for them.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// How long a connection may take at each stage.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header: Duration,
    pub idle: Duration,
}

impl Timeouts {
    pub fn of(config: &crate::config::Config) -> Timeouts {
        Timeouts {
            header: config.header_timeout,
            idle: config.idle_timeout,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then waits for the
/// open connections to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    timeouts: Timeouts,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, go on.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let stop = stop_rx.clone();
        tokio::spawn(connection(stream, peer, app, timeouts, stop));
    }
    drop(listener);
    drop(stop_rx);
    // Tell every connection, then wait until each has dropped its receiver.
    let _ = stop_tx.send(());
    stop_tx.closed().await;
    Ok(())
}

/// What the watchdog knows of one connection.
struct Activity {
    /// Requests whose answer is not finished.
    in_flight: usize,
    /// When the first byte of a request not yet handed to the router came.
    head_since: Option<Instant>,
    /// The last byte read or written, or the last answer finished.
    last: Instant,
}

type Shared = Arc<Mutex<Activity>>;

fn lock(a: &Shared) -> std::sync::MutexGuard<'_, Activity> {
    a.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    t: Timeouts,
    mut stop: tokio::sync::watch::Receiver<()>,
) {
    let activity: Shared = Arc::new(Mutex::new(Activity {
        in_flight: 0,
        head_since: None,
        last: Instant::now(),
    }));
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let per_request = activity.clone();
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            {
                let mut a = lock(&per_request);
                a.in_flight += 1;
                a.head_since = None;
            }
            let done = InFlight(per_request.clone());
            let app = app.clone();
            async move {
                let res = app.oneshot(req.map(axum::body::Body::new)).await;
                drop(done);
                res
            }
        });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(t.header + t.idle);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        let wait = next_check(&activity, t);
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = tokio::time::sleep(wait) => {
                if let Some(why) = overdue(&activity, t) {
                    tracing::debug!(%peer, why, "closing a connection");
                    return; // dropping the connection closes the socket
                }
            }
            changed = stop.changed(), if !stopping => {
                let _ = changed;
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Why the connection should close now, if it should.
fn overdue(a: &Shared, t: Timeouts) -> Option<&'static str> {
    let a = lock(a);
    if a.in_flight > 0 {
        return None;
    }
    let now = Instant::now();
    match a.head_since {
        Some(since) if now.duration_since(since) >= t.header => Some("header timeout"),
        _ if now.duration_since(a.last) >= t.idle => Some("idle timeout"),
        _ => None,
    }
}

/// How long until `overdue` could next say yes (at most a second, so that
/// a new first byte is noticed in time).
fn next_check(a: &Shared, t: Timeouts) -> Duration {
    let a = lock(a);
    let now = Instant::now();
    let until = |since: Instant, limit: Duration| (since + limit).saturating_duration_since(now);
    let mut wait = until(a.last, t.idle);
    if let Some(since) = a.head_since {
        wait = wait.min(until(since, t.header));
    }
    wait.min(t.header).min(Duration::from_secs(1)) + Duration::from_millis(5)
}

/// Marks a request finished when its answer's future is done or dropped.
struct InFlight(Shared);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut a = lock(&self.0);
        a.in_flight = a.in_flight.saturating_sub(1);
        a.last = Instant::now();
    }
}

/// The socket, noting when bytes pass.
struct Watched {
    inner: TcpStream,
    activity: Shared,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let res = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            let mut a = lock(&self.activity);
            let now = Instant::now();
            a.last = now;
            if a.in_flight == 0 && a.head_since.is_none() {
                a.head_since = Some(now);
            }
        }
        res
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let res = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(res, std::task::Poll::Ready(Ok(n)) if n > 0) {
            lock(&self.activity).last = Instant::now();
        }
        res
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let res = std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(res, std::task::Poll::Ready(Ok(n)) if n > 0) {
            lock(&self.activity).last = Instant::now();
        }
        res
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
