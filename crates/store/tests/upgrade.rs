//! Upgrading keeps what was accepted: a SQLite database made by the first
//! schema (before roles were widened, which rebuilds `users`) opens with
//! today's code with its users, sessions and references intact.

use sha2::{Digest, Sha384};
use sqlx::Connection;

#[tokio::test]
async fn a_version_1_database_upgrades_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let url = udrul_store::default_sqlite_url(dir.path()).unwrap();
    let first = include_str!("../migrations/sqlite/0001_init.sql");
    {
        let mut c = sqlx::SqliteConnection::connect(&format!("{url}?mode=rwc"))
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(first))
            .execute(&mut c)
            .await
            .unwrap();
        // What sqlx records for an applied migration.
        sqlx::raw_sql(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
             installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, \
             checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)",
        )
        .execute(&mut c)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (1, 'init', TRUE, $1, 1)",
        )
        .bind(Sha384::digest(first.as_bytes()).to_vec())
        .execute(&mut c)
        .await
        .unwrap();
        sqlx::raw_sql(
            "INSERT INTO members (code, name, region, network) VALUES ('101', 'København', 'H', 'S');
             INSERT INTO users (username, display_name, email, password_hash, role, member_id, active, created_at)
               VALUES ('old', 'Old User', 'old@test.invalid', 'h', 'member_user', 1, TRUE, '2026-01-01T00:00:00.000000Z');
             INSERT INTO credentials VALUES ('session', x'01', 1, '2026-01-01T00:00:00.000000Z',
               '2026-01-01T00:00:00.000000Z', '2099-01-01T00:00:00.000000Z');",
        )
        .execute(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
    }

    let store = udrul_store::connect(&url).await.unwrap();
    let old = store.user_by_username("old").await.unwrap().unwrap();
    assert_eq!(old.user.display_name, "Old User");
    assert_eq!(old.user.role, udrul_core::AccessRole::MemberUser);
    let (_, user) = store
        .get_credential("session", &[1])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.id, old.user.id);
    // The new roles are accepted, and the foreign keys are on again.
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&mut c)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    c.close().await.unwrap();
    let auditor = store
        .create_user(
            &udrul_core::Actor::system(),
            udrul_core::store::NewUser {
                username: "aud".into(),
                display_name: "Aud".into(),
                email: String::new(),
                password_hash: "h".into(),
                role: udrul_core::AccessRole::Auditor,
                member_id: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(auditor.role, udrul_core::AccessRole::Auditor);
    // A credential of an unknown user is refused: foreign keys hold.
    let now = chrono::Utc::now();
    let orphan = udrul_core::Credential {
        user_id: udrul_core::UserId(999),
        created_at: now,
        last_seen_at: now,
        expires_at: now,
    };
    assert!(
        store
            .create_credential("session", &[2], orphan)
            .await
            .is_err()
    );
}
