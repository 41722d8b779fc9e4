//! The benchmark baseline: a bare axum "hello" built with the same
//! dependencies and profile as the portal. `scripts/bench` runs it beside
//! the real pages so their figures can be read relative to it.

use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".into());
    let app = Router::new().route("/", get(|| async { "hello" }));
    let listener = tokio::net::TcpListener::bind(&bind).await.expect("bind");
    println!("hello on http://{}/", listener.local_addr().expect("addr"));
    axum::serve(listener, app).await.expect("serve");
}
