//! Row-level security, the append-only audit trail, and tenant scoping that
//! survives request cancellation.

use crate::helpers::{app_options, prepare_database, spawn_app, tenant_id};
use almanac_db::Db;
use almanac_domain::TenantId;
use reqwest::StatusCode;
use sqlx::{Connection, PgConnection, PgPool};
use std::time::Duration;

#[sqlx::test(migrations = false)]
async fn a_query_without_where_sees_only_the_tenant_in_scope(owner: PgPool) {
    prepare_database(&owner).await;
    let acme = tenant_id(&owner, "acme").await;
    let globex = tenant_id(&owner, "globex").await;
    let mut conn = PgConnection::connect_with(&app_options(&owner))
        .await
        .expect("serving role");

    let mut tx = conn.begin().await.expect("begin");
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(acme.to_string())
        .execute(&mut *tx)
        .await
        .expect("scope");
    let tenants: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT tenant_id FROM memberships")
        .fetch_all(&mut *tx)
        .await
        .expect("rows");
    assert_eq!(tenants.len(), 5);
    assert!(tenants.iter().all(|t| *t == acme), "no globex rows");
    let audit: Vec<Option<uuid::Uuid>> = sqlx::query_scalar("SELECT tenant_id FROM audit_events")
        .fetch_all(&mut *tx)
        .await
        .expect("rows");
    assert!(!audit.is_empty() && audit.iter().all(|t| *t == Some(acme)));
    let visible: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM tenants")
        .fetch_all(&mut *tx)
        .await
        .expect("rows");
    assert_eq!(visible, vec![acme]);
    // Writing into another tenant is refused by the policy's check.
    let err = sqlx::query("UPDATE memberships SET role = 'viewer' WHERE tenant_id = $1")
        .bind(globex)
        .execute(&mut *tx)
        .await
        .expect("runs");
    assert_eq!(
        err.rows_affected(),
        0,
        "globex rows are invisible to UPDATE"
    );
    let insert = sqlx::query(
        "INSERT INTO audit_events (id, tenant_id, actor_label, action, entity_type, entity_id)
         VALUES (gen_random_uuid(), $1, 'x', 'x', 'x', 'x')",
    )
    .bind(globex)
    .execute(&mut *tx)
    .await;
    assert!(insert.is_err(), "insert into another tenant refused");
    tx.rollback().await.expect("rollback");

    // Without any scope, nothing at all.
    let none: i64 = sqlx::query_scalar("SELECT count(*) FROM memberships")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    assert_eq!(none, 0);
    let none: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    assert_eq!(none, 0);
}

#[sqlx::test(migrations = false)]
async fn audit_events_refuse_update_and_delete(owner: PgPool) {
    prepare_database(&owner).await;
    let acme = tenant_id(&owner, "acme").await;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(&owner)
        .await
        .expect("count");
    assert!(before > 0);
    // Even the owner (a superuser here, which bypasses RLS) is stopped by the trigger.
    for statement in [
        "UPDATE audit_events SET action = 'forged'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ] {
        let err = sqlx::query(statement)
            .execute(&owner)
            .await
            .expect_err(statement);
        assert!(
            err.to_string().contains("append-only"),
            "{statement}: {err}"
        );
    }
    // The serving role lacks the privileges in the first place.
    let mut conn = PgConnection::connect_with(&app_options(&owner))
        .await
        .expect("serving role");
    for statement in [
        "UPDATE audit_events SET action = 'forged'",
        "DELETE FROM audit_events",
    ] {
        let mut tx = conn.begin().await.expect("begin");
        sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
            .bind(acme.to_string())
            .execute(&mut *tx)
            .await
            .expect("scope");
        let err = sqlx::query(statement)
            .execute(&mut *tx)
            .await
            .expect_err(statement);
        assert!(
            err.to_string().contains("permission denied"),
            "{statement}: {err}"
        );
    }
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(&owner)
        .await
        .expect("count");
    assert_eq!(before, after);
}

/// Checks the pool after a storm of cancelled work: no server connection
/// of the serving role is idle in a transaction, and every pooled
/// connection starts with no tenant in scope.
async fn assert_pool_is_clean(owner: &PgPool, db: &Db) {
    // Let spawned units of work finish (they are never cancelled).
    for _ in 0..100 {
        if db.pool().num_idle() == db.pool().size() as usize {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let role = crate::helpers::serving_role().name;
    let database = owner
        .connect_options()
        .get_database()
        .expect("db")
        .to_owned();
    let stuck: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
          WHERE usename = $1 AND datname = $2 AND state LIKE 'idle in transaction%'",
    )
    .bind(&role)
    .bind(&database)
    .fetch_one(owner)
    .await
    .expect("activity");
    assert_eq!(stuck, 0, "no connection left idle in a transaction");

    // Hold every pooled connection at once, so each one is checked.
    let mut held = Vec::new();
    for _ in 0..db.pool().size() {
        held.push(db.pool().acquire().await.expect("acquire"));
    }
    assert!(!held.is_empty());
    for conn in &mut held {
        let scope: Option<String> =
            sqlx::query_scalar("SELECT nullif(current_setting('app.tenant_id', true), '')")
                .fetch_one(&mut **conn)
                .await
                .expect("setting");
        assert_eq!(scope, None, "a pooled connection carries a stale tenant");
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM memberships")
            .fetch_one(&mut **conn)
            .await
            .expect("count");
        assert_eq!(rows, 0, "a query outside a scope sees tenant rows");
    }
}

#[sqlx::test(migrations = false)]
async fn cancelled_units_of_work_never_leak_a_tenant(owner: PgPool) {
    prepare_database(&owner).await;
    let acme = TenantId(tenant_id(&owner, "acme").await);
    let globex = TenantId(tenant_id(&owner, "globex").await);
    let db = Db::connect_lazy(app_options(&owner), 4);
    let mut tasks = Vec::new();
    for i in 0..300u64 {
        let db = db.clone();
        let tenant = if i % 2 == 0 { acme } else { globex };
        // Cancel at every stage: before BEGIN, during it, mid-work, at COMMIT.
        let deadline = Duration::from_micros((i * 37) % 4000);
        tasks.push(tokio::spawn(async move {
            let work = db.in_tenant(tenant, None, |tx| {
                Box::pin(async move {
                    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM memberships")
                        .fetch_one(&mut **tx)
                        .await?;
                    sqlx::query("SELECT pg_sleep(0.001)")
                        .execute(&mut **tx)
                        .await?;
                    Ok::<_, almanac_db::DbError>(n)
                })
            });
            (tenant, tokio::time::timeout(deadline, work).await)
        }));
    }
    let mut finished = 0;
    for t in tasks {
        let (tenant, outcome) = t.await.expect("task");
        if let Ok(result) = outcome {
            let n = result.expect("work succeeded");
            assert_eq!(
                n,
                if tenant == acme { 5 } else { 1 },
                "each unit sees only its tenant"
            );
            finished += 1;
        }
    }
    assert!(finished < 300, "some units were cancelled");
    assert_pool_is_clean(&owner, &db).await;
}

#[sqlx::test(migrations = false)]
async fn dropped_http_requests_never_leak_a_tenant(owner: PgPool) {
    let app = spawn_app(owner).await;
    let acme = app.signed_in("exec@acme.test").await;
    let globex = app.signed_in("rm@globex.test").await;
    let mut tasks = Vec::new();
    for i in 0..200u64 {
        let (client, path) = if i % 2 == 0 {
            (acme.client.clone(), "/acme/")
        } else {
            (globex.client.clone(), "/globex/")
        };
        let url = app.url(path);
        let timeout = Duration::from_micros(200 + (i * 53) % 6000);
        tasks.push(tokio::spawn(async move {
            client.get(url).timeout(timeout).send().await.is_ok()
        }));
    }
    for t in tasks {
        let _completed = t.await.expect("task");
    }
    assert_pool_is_clean(&app.owner, &app.state.db).await;
    // And the pages still show the right tenant to the right person.
    let (status, html) = acme.get_text("/acme/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Acme Financial") && !html.contains("Globex"));
    let (_, html) = globex.get_text("/globex/").await;
    assert!(html.contains("Greta Release") && !html.contains("Acme Financial"));
}

#[sqlx::test(migrations = false)]
async fn migrations_are_reversible(owner: PgPool) {
    prepare_database(&owner).await;
    almanac_db::migrate::MIGRATOR
        .undo(&owner, 0)
        .await
        .expect("down");
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_one(&owner)
    .await
    .expect("count");
    assert_eq!(tables, 0, "down migrations remove everything");
    prepare_database(&owner).await;
}
