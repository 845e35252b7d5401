//! The binary's library side: the embedded PostgreSQL default, the demo
//! data and the admin commands.

use crate::helpers::prepare_database;
use almanac::admin::{UserSpec, create_tenant, upsert_user};
use almanac::embedded::Embedded;
use sqlx::{Connection, PgConnection, PgPool};
use std::path::PathBuf;

fn scratch_dir(name: &str) -> PathBuf {
    // Under /tmp: reachable by the postgres user when the tests run as root.
    let dir = PathBuf::from(format!(
        "/tmp/almanac-test-{name}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[tokio::test]
async fn embedded_cluster_initialises_serves_a_socket_and_stops() {
    // A long path: the socket must move to a short directory (sun_path limit).
    let dir = scratch_dir(&"long".repeat(20));
    let mut db = Embedded::locate(&dir).expect("PostgreSQL binaries");
    db.start().await.expect("first start initialises");
    assert!(dir.join("postgres/PG_VERSION").exists());
    let role = almanac_db::migrate::ServingRole {
        name: almanac::embedded::APP_ROLE.to_owned(),
        password: None,
    };
    let owner = almanac_db::pool::connect_owner(db.owner_options())
        .await
        .expect("owner");
    almanac_db::migrate::run(&owner, &role)
        .await
        .expect("migrate");
    owner.close().await;
    let mut app = PgConnection::connect_with(&db.app_options())
        .await
        .expect("serving role over the socket");
    let (superuser, bypass): (bool, bool) =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut app)
            .await
            .expect("role");
    assert!(
        !superuser && !bypass,
        "the embedded serving role is bound by RLS"
    );
    let tcp: Option<String> =
        sqlx::query_scalar("SELECT nullif(current_setting('listen_addresses'), '')")
            .fetch_one(&mut app)
            .await
            .expect("setting");
    assert_eq!(tcp, None, "no TCP listener");
    app.close().await.expect("close");
    db.stop().await;
    assert!(
        PgConnection::connect_with(&db.app_options()).await.is_err(),
        "stopped"
    );

    // Second start: already initialised, just starts.
    let mut again = Embedded::locate(&dir).expect("locate");
    let started = std::time::Instant::now();
    again.start().await.expect("restart");
    assert!(started.elapsed().as_secs() < 10);
    let mut app = PgConnection::connect_with(&again.app_options())
        .await
        .expect("serving role");
    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'tenants'")
            .fetch_one(&mut app)
            .await
            .expect("count");
    assert_eq!(tables, 1, "data kept across restarts");
    app.close().await.expect("close");
    again.stop().await;
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[sqlx::test(migrations = false)]
async fn demo_data_is_idempotent(owner: PgPool) {
    prepare_database(&owner).await;
    let count = |sql: &'static str| {
        let owner = owner.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&owner)
                .await
                .expect(sql)
        }
    };
    let audit_before = count("SELECT count(*) FROM audit_events").await;
    almanac::demo::load(&owner).await.expect("second run");
    assert_eq!(count("SELECT count(*) FROM tenants").await, 2);
    assert_eq!(count("SELECT count(*) FROM users").await, 6);
    assert_eq!(count("SELECT count(*) FROM memberships").await, 6);
    assert_eq!(
        count("SELECT count(*) FROM audit_events").await,
        audit_before,
        "nothing changed, nothing audited"
    );
}

#[sqlx::test(migrations = false)]
async fn admin_commands_create_tenants_and_users(owner: PgPool) {
    prepare_database(&owner).await;
    create_tenant(&owner, "initech", "Initech", "America/Chicago", "cli")
        .await
        .expect("tenant");
    let err = create_tenant(&owner, "initech", "Again", "UTC", "cli")
        .await
        .expect_err("duplicate");
    assert!(err.to_string().contains("already exists"));
    let err = create_tenant(&owner, "login", "Reserved", "UTC", "cli")
        .await
        .expect_err("reserved slug");
    assert!(err.to_string().contains("reserved"));
    let err = create_tenant(&owner, "ok-slug", "Zone", "Mars/Base", "cli")
        .await
        .expect_err("bad zone");
    assert!(err.to_string().contains("IANA"));

    let spec = |password: &'static str| UserSpec {
        email: "Boss@Initech.test",
        display_name: None,
        password,
        tenant: "initech",
        role: "owner",
        must_change_password: false,
        actor_label: "cli",
    };
    let err = upsert_user(&owner, spec("short"))
        .await
        .expect_err("policy");
    assert!(err.to_string().contains("12 characters"));
    upsert_user(&owner, spec("a long enough password"))
        .await
        .expect("user");
    let (email, role): (String, String) = sqlx::query_as(
        "SELECT u.email, m.role FROM users u JOIN memberships m ON m.user_id = u.id
          JOIN tenants t ON t.id = m.tenant_id WHERE t.slug = 'initech'",
    )
    .fetch_one(&owner)
    .await
    .expect("member");
    assert_eq!(
        (email.as_str(), role.as_str()),
        ("boss@initech.test", "owner")
    );
    let mut bad = spec("a long enough password");
    bad.tenant = "nope";
    assert!(upsert_user(&owner, bad).await.is_err());
}
