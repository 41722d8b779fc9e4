//! Import throughput for `docs/benchmarks.md`: a 10,000-row people file,
//! read, previewed and applied through the pages, on each backend. Ignored
//! by default (it prints figures, it asserts nothing about speed); run in
//! release mode:
//!
//! ```sh
//! UDRUL_TEST_PG_URL=postgres://… cargo nextest run --release -p udrul \
//!     --test perf_import --run-ignored only --no-capture
//! ```

mod common;

use std::time::Instant;

use axum::http::StatusCode;
use common::TestApp;

const ROWS: usize = 10_000;

fn csv(rows: usize) -> String {
    let mut out = String::from("Bruger-UUID;Navn;E-mail;Stilling;Afdeling\r\n");
    for i in 0..rows {
        out.push_str(&format!(
            "{:08x}-1111-4222-8333-{:012x};Medarbejder {i} Ærø;m{i}@kommune.example;Konsulent;Enhed {}\r\n",
            i,
            i * 7919,
            i % 40
        ));
    }
    out
}

fn rate(rows: usize, secs: f64) -> String {
    format!("{:>8.0} rows/s ({:.2} s)", rows as f64 / secs, secs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run in release with --run-ignored only"]
async fn import_10000_rows() {
    let file = csv(ROWS);
    let t = Instant::now();
    let table = udrul::import::read_table(file.as_bytes()).unwrap();
    let rows = udrul_core::import::people_rows(&table).unwrap().0;
    assert_eq!(rows.len(), ROWS);
    eprintln!(
        "read + check CSV:         {}",
        rate(ROWS, t.elapsed().as_secs_f64())
    );
    for app in TestApp::all().await {
        let m = app.fx.members[0].id;
        let mut b = app.login("a-admin").await;
        b.get(&format!("/members/{m}/import")).await;
        for run in ["first (10,000 new)", "again (no change)"] {
            let t = Instant::now();
            let res = b
                .post_multipart(
                    &format!("/members/{m}/import"),
                    &[("kind", "people")],
                    Some(("file", "perf.csv", file.as_bytes())),
                )
                .await;
            assert_eq!(res.status, StatusCode::SEE_OTHER);
            let upload = t.elapsed().as_secs_f64();
            let id = res.location();
            let t = Instant::now();
            let preview = b.get(&id).await;
            assert_eq!(preview.status, StatusCode::OK);
            let shown = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let res = b.post(&format!("{id}/apply"), &[]).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER);
            let apply = t.elapsed().as_secs_f64();
            eprintln!(
                "{:<8} {run:<20} upload {} | preview {} | apply {} | all {}",
                app.backend,
                rate(ROWS, upload),
                rate(ROWS, shown),
                rate(ROWS, apply),
                rate(ROWS, upload + shown + apply)
            );
            b.get(&format!("/members/{m}/import")).await;
        }
        assert_eq!(app.store.list_people(m).await.unwrap().len(), ROWS);
    }
}
