//! The binary's library side: the embedded PostgreSQL default, the demo
//! data and the admin commands.

use crate::helpers::{audit_count, prepare_database, spawn_app, tenant_id};
use almanac::admin::{UserSpec, create_tenant, upsert_user};
use almanac::embedded::Embedded;
use almanac_db::scope::in_tenant_on;
use almanac_domain::TenantId;
use almanac_domain::window::{ExemptType, Window, WindowKind};
use reqwest::StatusCode;
use sqlx::{Connection, PgConnection, PgPool};
use std::collections::BTreeMap;
use std::path::PathBuf;
use uuid::Uuid;

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

/// One count on the owner pool (a superuser: RLS does not apply).
async fn count(owner: &PgPool, sql: &str, slug: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(slug)
        .fetch_one(owner)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// What the demo made, table by table, for both tenants.
async fn portfolio_counts(owner: &PgPool) -> BTreeMap<String, i64> {
    let tables = [
        "product_lines",
        "products",
        "environments",
        "windows",
        "window_environments",
        "window_exceptions",
        "release_templates",
        "template_milestones",
        "template_checklist_items",
        "release_trains",
        "releases",
        "deployments",
        "milestones",
        "checklist_items",
        "review_policies",
        "reviews",
        "votes",
        "outbox",
    ];
    let mut out = BTreeMap::new();
    for slug in ["acme", "globex"] {
        for table in tables {
            let sql = format!(
                "SELECT count(*) FROM {table} x JOIN tenants t ON t.id = x.tenant_id \
                  WHERE t.slug = $1"
            );
            out.insert(format!("{slug}.{table}"), count(owner, &sql, slug).await);
        }
    }
    out.insert(
        "users".to_owned(),
        count(owner, "SELECT count(*) FROM users WHERE $1 <> ''", "-").await,
    );
    out.insert(
        "audit_events".to_owned(),
        count(
            owner,
            "SELECT count(*) FROM audit_events WHERE $1 <> ''",
            "-",
        )
        .await,
    );
    out
}

async fn release_ids(owner: &PgPool) -> Vec<Uuid> {
    sqlx::query_scalar("SELECT id FROM releases ORDER BY id")
        .fetch_all(owner)
        .await
        .expect("releases")
}

async fn windows_of(owner: &PgPool, slug: &str) -> Vec<Window> {
    let tenant = TenantId(tenant_id(owner, slug).await);
    in_tenant_on(owner.clone(), tenant, None, move |tx| {
        Box::pin(async move {
            let filter = almanac_db::windows::Filter::default();
            almanac_db::windows::list(tx, tenant, &filter).await
        })
    })
    .await
    .expect("windows")
}

fn named<'a>(windows: &'a [Window], prefix: &str) -> Vec<&'a Window> {
    windows
        .iter()
        .filter(|w| w.name.as_str().starts_with(prefix))
        .collect()
}

/// Environment names of a window's scope, in environment order.
async fn scope_names(owner: &PgPool, window: &Window) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT e.name FROM window_environments we
           JOIN environments e ON e.tenant_id = we.tenant_id AND e.id = we.environment_id
          WHERE we.window_id = $1 ORDER BY e.position",
    )
    .bind(window.id.0)
    .fetch_all(owner)
    .await
    .expect("scope")
}

#[sqlx::test(migrations = false)]
async fn demo_builds_acme_portfolio(owner: PgPool) {
    prepare_database(&owner).await;
    almanac::demo::load(&owner).await.expect("demo");
    let acme = |sql: &'static str| {
        let owner = owner.clone();
        async move { count(&owner, sql, "acme").await }
    };
    assert_eq!(
        acme("SELECT count(*) FROM product_lines x JOIN tenants t ON t.id = x.tenant_id WHERE t.slug = $1").await,
        3
    );
    assert_eq!(
        acme("SELECT count(*) FROM products x JOIN tenants t ON t.id = x.tenant_id WHERE t.slug = $1 AND x.product_line_id IS NOT NULL AND x.owner_id IS NOT NULL").await,
        12,
        "12 products, each in a line and owned"
    );
    let environments: Vec<(String, bool, bool, bool)> = sqlx::query_as(
        "SELECT e.name, e.shared, e.requires_window, e.is_production FROM environments e
           JOIN tenants t ON t.id = e.tenant_id WHERE t.slug = 'acme' ORDER BY e.position",
    )
    .fetch_all(&owner)
    .await
    .expect("environments");
    assert_eq!(
        environments,
        vec![
            ("dev".to_owned(), true, false, false),
            ("qa".to_owned(), true, false, false),
            ("staging".to_owned(), false, false, false),
            ("production".to_owned(), false, true, true),
        ]
    );

    let windows = windows_of(&owner, "acme").await;
    let weekly = named(&windows, "Weekly production window");
    assert_eq!(weekly.len(), 1);
    let weekly = weekly[0];
    assert_eq!(weekly.kind, WindowKind::Release);
    assert_eq!(
        weekly.schedule.describe(),
        "Every Tuesday and Thursday, 22:00–02:00 America/New_York"
    );
    assert_eq!(weekly.capacity, Some(3));
    assert_eq!(scope_names(&owner, weekly).await, ["production"]);
    assert_eq!(weekly.cancelled.len(), 1, "Thanksgiving is cancelled");
    assert!(weekly.cancelled[0].reason.contains("Thanksgiving"));
    let major = named(&windows, "Major release window");
    assert_eq!(major.len(), 1);
    assert_eq!(
        major[0].schedule.describe(),
        "Every other Saturday, 06:00–12:00 America/New_York"
    );
    assert_eq!(major[0].capacity, Some(2));
    let year_end = named(&windows, "Year-end freeze");
    assert!(
        (1..=2).contains(&year_end.len()),
        "the coming one, maybe the last"
    );
    for freeze in &year_end {
        assert_eq!(freeze.kind, WindowKind::Freeze);
        assert_eq!(freeze.exempt_types, [ExemptType::Emergency]);
        assert_eq!(
            scope_names(&owner, freeze).await,
            ["qa", "staging", "production"]
        );
        let text = freeze.schedule.describe();
        assert!(
            text.contains("-12-15 00:00") && text.contains("-01-05 23:59"),
            "{text}"
        );
    }
    let black_friday = named(&windows, "Black Friday freeze");
    assert!(
        (1..=2).contains(&black_friday.len()),
        "this year's, maybe last year's"
    );
    for freeze in &black_friday {
        assert_eq!(
            freeze.exempt_types,
            [ExemptType::Hotfix, ExemptType::Emergency]
        );
        assert_eq!(scope_names(&owner, freeze).await, ["production"]);
    }
    // A one-off freeze blocks a release planned before it was announced,
    // unless that release is planned into the year-end freeze instead.
    let failover = named(&windows, "Data centre failover test");
    assert!(failover.len() <= 1);
    for freeze in &failover {
        assert_eq!(freeze.kind, WindowKind::Freeze);
        assert_eq!(freeze.exempt_types, [ExemptType::Emergency]);
        assert_eq!(scope_names(&owner, freeze).await, ["production"]);
    }
    assert_eq!(
        windows.len(),
        2 + year_end.len() + black_friday.len() + failover.len()
    );

    let releases = acme(
        "SELECT count(*) FROM releases x JOIN tenants t ON t.id = x.tenant_id WHERE t.slug = $1",
    )
    .await;
    assert!((125..=140).contains(&releases), "{releases} releases");
    let statuses: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT r.status FROM releases r JOIN tenants t ON t.id = r.tenant_id
          WHERE t.slug = 'acme' ORDER BY 1",
    )
    .fetch_all(&owner)
    .await
    .expect("statuses");
    assert_eq!(
        statuses,
        [
            "approved",
            "cancelled",
            "in_progress",
            "planned",
            "rejected",
            "released",
            "rolled_back",
            "scheduled"
        ]
    );
    let products = acme("SELECT count(DISTINCT x.product_id) FROM releases x JOIN tenants t ON t.id = x.tenant_id WHERE t.slug = $1").await;
    assert_eq!(products, 12, "every product has releases");
    // Every release: qa, staging and production deployments, the
    // template's 6 milestones and 8 steps.
    let odd = acme(
        "SELECT count(*) FROM releases x JOIN tenants t ON t.id = x.tenant_id
          WHERE t.slug = $1 AND x.template_id IS NOT NULL AND (
                (SELECT count(*) FROM deployments d WHERE d.release_id = x.id) <> 3
             OR (SELECT count(*) FROM milestones m WHERE m.release_id = x.id) <> 6
             OR (SELECT count(*) FROM checklist_items c WHERE c.release_id = x.id) <> 8)",
    )
    .await;
    assert_eq!(
        odd, 0,
        "every release has 3 deployments, 6 milestones, 8 steps"
    );
    let overdue = acme(
        "SELECT count(*) FROM milestones x JOIN tenants t ON t.id = x.tenant_id
          WHERE t.slug = $1 AND x.due_at < now() AND x.done_at IS NULL",
    )
    .await;
    assert!(overdue > 0, "some milestones are overdue");
    let done = acme(
        "SELECT count(*) FROM checklist_items x JOIN tenants t ON t.id = x.tenant_id
          WHERE t.slug = $1 AND x.done_at IS NOT NULL AND x.done_by IS NOT NULL",
    )
    .await;
    assert!(done > 300, "past runbooks are ticked ({done})");
    let past_actuals = acme(
        "SELECT count(*) FROM deployments x JOIN tenants t ON t.id = x.tenant_id
          WHERE t.slug = $1 AND x.actual_end IS NOT NULL AND x.result IS NOT NULL",
    )
    .await;
    assert!(past_actuals > 100, "past deployments ran ({past_actuals})");
    let rolled_back = acme(
        "SELECT count(*) FROM deployments x JOIN tenants t ON t.id = x.tenant_id
          WHERE t.slug = $1 AND x.result IN ('failed', 'rolled_back')",
    )
    .await;
    assert_eq!(rolled_back, 5);
    let late = acme(
        "SELECT count(*) FROM releases x JOIN tenants t ON t.id = x.tenant_id
           JOIN deployments d ON d.release_id = x.id
           JOIN environments e ON e.id = d.environment_id AND e.is_production
          WHERE t.slug = $1 AND x.status = 'released'
            AND d.actual_start > x.baseline_go_live + interval '1 day'",
    )
    .await;
    assert!(late > 0, "some releases went out late");
    let history = acme(
        "SELECT count(*) FROM releases x JOIN tenants t ON t.id = x.tenant_id
           JOIN deployments d ON d.release_id = x.id
           JOIN environments e ON e.id = d.environment_id AND e.is_production
          WHERE t.slug = $1 AND x.status IN ('released', 'rolled_back')
            AND d.actual_start < now() - interval '11 months'",
    )
    .await;
    assert!(history > 0, "the history covers a year");
    let early = acme(
        "SELECT count(*) FROM releases x JOIN tenants t ON t.id = x.tenant_id
           JOIN deployments d ON d.release_id = x.id
           JOIN environments e ON e.id = d.environment_id AND e.is_production
          WHERE t.slug = $1 AND x.status = 'released'
            AND d.actual_start < x.baseline_go_live - interval '1 day'",
    )
    .await;
    assert!(early > 0, "a few went out early");
    // Each rollback was fixed by a hotfix of its product one to five days later.
    let unfixed = acme(
        "SELECT count(*) FROM releases x JOIN tenants t ON t.id = x.tenant_id
           JOIN deployments d ON d.release_id = x.id
           JOIN environments e ON e.id = d.environment_id AND e.is_production
          WHERE t.slug = $1 AND x.status = 'rolled_back'
            AND NOT EXISTS (
                SELECT 1 FROM releases h
                  JOIN deployments hd ON hd.release_id = h.id AND hd.environment_id = e.id
                 WHERE h.product_id = x.product_id AND h.type = 'hotfix'
                   AND h.status = 'released' AND hd.actual_start IS NOT NULL
                   AND hd.planned_start BETWEEN d.planned_start + interval '1 day'
                                            AND d.planned_start + interval '5 days 1 hour')",
    )
    .await;
    assert_eq!(unfixed, 0, "every rollback has its hotfix");
    let milestones_late = acme(
        "SELECT count(*) FROM milestones x JOIN tenants t ON t.id = x.tenant_id
          WHERE t.slug = $1 AND x.done_at > x.due_at + interval '1 day'",
    )
    .await;
    assert!(milestones_late > 0, "some milestones were done late");
    // Ahead: one approved release whose go-live night passed (late), one
    // planned inside a freeze (blocked), one with a milestone overdue.
    let missed = acme(
        "SELECT count(*) FROM releases x JOIN tenants t ON t.id = x.tenant_id
           JOIN deployments d ON d.release_id = x.id
           JOIN environments e ON e.id = d.environment_id AND e.is_production
          WHERE t.slug = $1 AND x.status = 'approved'
            AND d.planned_start < now() AND d.actual_start IS NULL",
    )
    .await;
    assert_eq!(missed, 1, "one late");
    let blocked = acme(
        "SELECT count(*) FROM releases x JOIN tenants t ON t.id = x.tenant_id
           JOIN deployments d ON d.release_id = x.id
           JOIN environments e ON e.id = d.environment_id AND e.is_production
          WHERE t.slug = $1 AND x.status = 'scheduled' AND d.override_reason IS NULL
            AND d.planned_start BETWEEN now() AND now() + interval '8 weeks'
            AND EXISTS (
                SELECT 1 FROM windows w
                  JOIN window_environments we ON we.window_id = w.id
                 WHERE w.tenant_id = x.tenant_id AND w.kind = 'freeze'
                   AND we.environment_id = e.id AND NOT x.type = ANY (w.exempt_types)
                   AND w.starts_at < d.planned_end AND w.ends_at > d.planned_start)",
    )
    .await;
    assert_eq!(blocked, 1, "one blocked by a freeze");
    let at_risk = acme(
        "SELECT count(*) FROM releases x JOIN tenants t ON t.id = x.tenant_id
           JOIN deployments d ON d.release_id = x.id
           JOIN environments e ON e.id = d.environment_id AND e.is_production
          WHERE t.slug = $1 AND x.status IN ('scheduled', 'approved')
            AND d.planned_start BETWEEN now() AND now() + interval '8 weeks'
            AND EXISTS (SELECT 1 FROM milestones m WHERE m.release_id = x.id
                           AND m.due_at < now() AND m.done_at IS NULL)",
    )
    .await;
    assert!(at_risk >= 1, "one at risk");
    let no_baseline = acme(
        "SELECT count(*) FROM releases x JOIN tenants t ON t.id = x.tenant_id
          WHERE t.slug = $1 AND (x.baseline_go_live IS NULL) <> (x.status = 'planned')",
    )
    .await;
    assert_eq!(
        no_baseline, 0,
        "baselines exactly on releases once scheduled"
    );

    let train: Vec<(String, i64, i64, f64)> = sqlx::query_as(
        "SELECT tr.name, count(r.id), count(DISTINCT r.product_id),
                extract(epoch FROM max(d.planned_start) - min(d.planned_start))::float8
           FROM release_trains tr JOIN tenants t ON t.id = tr.tenant_id
           JOIN releases r ON r.release_train_id = tr.id
           JOIN deployments d ON d.release_id = r.id
           JOIN environments e ON e.id = d.environment_id AND e.is_production
          WHERE t.slug = 'acme' GROUP BY tr.name",
    )
    .fetch_all(&owner)
    .await
    .expect("train");
    assert_eq!(train.len(), 1);
    let (name, releases, products, spread) = &train[0];
    assert_eq!(name, "Spring digital launch");
    assert_eq!((*releases, *products), (3, 3));
    assert!(*spread < 4.0 * 3600.0, "the train goes live on one night");

    let (milestones, steps): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM template_milestones m WHERE m.template_id = x.id),
                (SELECT count(*) FROM template_checklist_items c WHERE c.template_id = x.id)
           FROM release_templates x JOIN tenants t ON t.id = x.tenant_id
          WHERE t.slug = 'acme' AND x.name = 'Standard release'",
    )
    .fetch_one(&owner)
    .await
    .expect("template");
    assert_eq!((milestones, steps), (6, 8));
    assert_eq!(audit_count(&owner, "demo.portfolio_loaded").await, 2);
}

#[sqlx::test(migrations = false)]
async fn demo_builds_a_smaller_globex_portfolio(owner: PgPool) {
    prepare_database(&owner).await;
    almanac::demo::load(&owner).await.expect("demo");
    let globex = |sql: &'static str| {
        let owner = owner.clone();
        async move { count(&owner, sql, "globex").await }
    };
    assert_eq!(
        globex("SELECT count(*) FROM product_lines x JOIN tenants t ON t.id = x.tenant_id WHERE t.slug = $1").await,
        1
    );
    assert_eq!(
        globex(
            "SELECT count(*) FROM products x JOIN tenants t ON t.id = x.tenant_id WHERE t.slug = $1"
        )
        .await,
        3
    );
    let environments: Vec<(String, bool, bool)> = sqlx::query_as(
        "SELECT e.name, e.requires_window, e.is_production FROM environments e
           JOIN tenants t ON t.id = e.tenant_id WHERE t.slug = 'globex' ORDER BY e.position",
    )
    .fetch_all(&owner)
    .await
    .expect("environments");
    assert_eq!(
        environments,
        vec![
            ("test".to_owned(), false, false),
            ("production".to_owned(), true, true)
        ]
    );
    let windows = windows_of(&owner, "globex").await;
    let weekly = named(&windows, "Weekly production window");
    assert_eq!(weekly.len(), 1);
    assert_eq!(
        weekly[0].schedule.describe(),
        "Every Wednesday, 21:00–23:00 Europe/Berlin"
    );
    assert!(!named(&windows, "Year-end freeze").is_empty());
    let releases = globex(
        "SELECT count(*) FROM releases x JOIN tenants t ON t.id = x.tenant_id WHERE t.slug = $1",
    )
    .await;
    assert!((8..=12).contains(&releases), "{releases} releases");
    let odd = globex(
        "SELECT count(*) FROM releases x JOIN tenants t ON t.id = x.tenant_id
          WHERE t.slug = $1 AND (SELECT count(*) FROM deployments d WHERE d.release_id = x.id) <> 2",
    )
    .await;
    assert_eq!(odd, 0, "test and production deployments");
    let foreign = globex(
        "SELECT count(*) FROM releases x JOIN tenants t ON t.id = x.tenant_id
           JOIN users u ON u.id = x.owner_id WHERE t.slug = $1 AND u.email NOT LIKE '%@globex.test'",
    )
    .await;
    assert_eq!(foreign, 0, "owned by globex's own member");
}

#[sqlx::test(migrations = false)]
async fn demo_data_is_idempotent(owner: PgPool) {
    prepare_database(&owner).await;
    almanac::demo::load(&owner).await.expect("first run");
    let before = portfolio_counts(&owner).await;
    let ids = release_ids(&owner).await;
    let outcome = almanac::demo::load(&owner).await.expect("second run");
    assert_eq!(outcome, [("acme", None), ("globex", None)], "left alone");
    assert_eq!(
        count(&owner, "SELECT count(*) FROM tenants WHERE $1 <> ''", "-").await,
        2
    );
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM memberships WHERE $1 <> ''",
            "-"
        )
        .await,
        6
    );
    assert_eq!(
        portfolio_counts(&owner).await,
        before,
        "nothing changed, nothing audited"
    );
    assert_eq!(release_ids(&owner).await, ids);

    // What people change stays: the demo does not rebuild a portfolio in use.
    sqlx::query("UPDATE products SET name = 'Payments Hub' WHERE key = 'PAY'")
        .execute(&owner)
        .await
        .expect("rename");
    almanac::demo::load(&owner).await.expect("third run");
    let name: String = sqlx::query_scalar("SELECT name FROM products WHERE key = 'PAY'")
        .fetch_one(&owner)
        .await
        .expect("product");
    assert_eq!(name, "Payments Hub");
}

#[sqlx::test(migrations = false)]
async fn demo_reset_rebuilds_the_portfolios(owner: PgPool) {
    prepare_database(&owner).await;
    almanac::demo::load(&owner).await.expect("demo");
    let before = portfolio_counts(&owner).await;
    let ids = release_ids(&owner).await;
    // Someone's change, and a record the demo never had: both go.
    sqlx::query("UPDATE products SET name = 'Payments Hub' WHERE key = 'PAY'")
        .execute(&owner)
        .await
        .expect("rename");
    // Someone's preset and an event waiting for delivery: both go too.
    sqlx::query(
        "INSERT INTO review_policies (tenant_id, id, name, policy)
         SELECT id, gen_random_uuid(), 'Weekend CAB', '{\"stages\": []}' FROM tenants
          WHERE slug = 'acme'",
    )
    .execute(&owner)
    .await
    .expect("preset");
    sqlx::query(
        "INSERT INTO outbox (tenant_id, id, topic, payload)
         SELECT id, gen_random_uuid(), 'review.opened', '{}' FROM tenants WHERE slug = 'acme'",
    )
    .execute(&owner)
    .await
    .expect("outbox");
    let outcome = almanac::demo::reset(&owner).await.expect("reset");
    assert_eq!(outcome.len(), 2);
    assert!(outcome.iter().all(|(_, built)| built.is_some()));
    let mut after = portfolio_counts(&owner).await;
    let audited = after.remove("audit_events").expect("audit") - before["audit_events"];
    let mut before = before;
    before.remove("audit_events");
    assert_eq!(after, before, "the same portfolio again");
    assert_eq!(audited, 2, "one event per tenant");
    assert_eq!(audit_count(&owner, "demo.portfolio_reset").await, 2);
    let new_ids = release_ids(&owner).await;
    assert_eq!(new_ids.len(), ids.len());
    assert!(new_ids.iter().all(|id| !ids.contains(id)), "new records");
    let name: String = sqlx::query_scalar("SELECT name FROM products WHERE key = 'PAY'")
        .fetch_one(&owner)
        .await
        .expect("product");
    assert_eq!(name, "Payments");
}

/// One count about acme (`$1` is its slug).
async fn acme_count(owner: &PgPool, sql: &str) -> i64 {
    count(owner, sql, "acme").await
}

/// Releases and reviews of the tenant `$1`, for [`acme_count`].
const ROUNDS: &str = "FROM reviews v JOIN tenants t ON t.id = v.tenant_id
     JOIN releases r ON r.tenant_id = v.tenant_id AND r.id = v.release_id
    WHERE t.slug = $1";

#[sqlx::test(migrations = false)]
async fn demo_builds_acme_go_no_go_reviews(owner: PgPool) {
    prepare_database(&owner).await;
    almanac::demo::load(&owner).await.expect("demo");
    let presets: Vec<(String, String, i32)> = sqlx::query_as(
        "SELECT t.slug, p.name, jsonb_array_length(p.policy -> 'stages')
           FROM review_policies p JOIN tenants t ON t.id = p.tenant_id ORDER BY 1, 2",
    )
    .fetch_all(&owner)
    .await
    .expect("presets");
    let presets: Vec<(&str, &str, i32)> = presets
        .iter()
        .map(|(t, n, s)| (t.as_str(), n.as_str(), *s))
        .collect();
    assert_eq!(
        presets,
        [
            ("acme", "Emergency change", 1),
            ("acme", "Standard CAB", 2),
            ("globex", "Change approval", 1)
        ]
    );
    let q = |tail: &str| format!("SELECT count(*) {ROUNDS} {tail}");
    let closed = acme_count(&owner, &q("AND v.closed_at IS NOT NULL")).await;
    assert!(closed > 40, "past releases were decided ({closed})");
    assert_eq!(
        acme_count(&owner, &q("AND v.decision <> v.computed_decision")).await,
        1,
        "one closed against the votes"
    );
    assert_eq!(
        acme_count(
            &owner,
            &q("AND v.decision <> v.computed_decision AND btrim(v.override_reason) <> ''")
        )
        .await,
        1,
        "with its reason"
    );
    assert_eq!(
        acme_count(
            &owner,
            &q("AND v.decision = 'go'
                AND r.status NOT IN ('approved', 'in_progress', 'released', 'rolled_back')")
        )
        .await,
        0,
        "a go approved the release (and it went on)"
    );
    let no_go = acme_count(&owner, &q("AND v.decision = 'no_go'")).await;
    assert!((2..=6).contains(&no_go), "a few no-go ({no_go})");
    assert_eq!(
        acme_count(
            &owner,
            &q("AND v.decision = 'no_go' AND r.status <> 'rejected'
                AND NOT EXISTS (SELECT 1 FROM reviews l
                                 WHERE l.release_id = v.release_id AND l.round > v.round)")
        )
        .await,
        0,
        "a no-go rejected the release (unless a later round followed its reschedule)"
    );
    assert_eq!(
        acme_count(
            &owner,
            &q("AND v.decision = 'no_go'
                AND NOT EXISTS (SELECT 1 FROM votes n WHERE n.review_id = v.id
                                   AND n.choice = 'no_go' AND btrim(n.comment) <> '')")
        )
        .await,
        0,
        "every no-go has a no-go vote saying why"
    );
    let undecided = acme_count(
        &owner,
        "SELECT count(*) FROM releases r JOIN tenants t ON t.id = r.tenant_id
          WHERE t.slug = $1 AND (
                (r.status IN ('approved', 'in_progress', 'released', 'rolled_back')
                 AND NOT EXISTS (SELECT 1 FROM reviews v WHERE v.release_id = r.id
                                    AND v.decision = 'go'))
             OR (r.status = 'rejected'
                 AND NOT EXISTS (SELECT 1 FROM reviews v WHERE v.release_id = r.id
                                    AND v.decision = 'no_go')))",
    )
    .await;
    assert_eq!(undecided, 0, "every decided status has its review");
    assert_eq!(
        acme_count(
            &owner,
            &q("AND EXISTS (SELECT 1 FROM votes n WHERE n.review_id = v.id
                  AND (n.cast_at <= v.opened_at OR n.cast_at > coalesce(v.closed_at, now())))")
        )
        .await,
        0,
        "votes cast while the round was open"
    );
    let open = acme_count(&owner, &q("AND v.closed_at IS NULL")).await;
    assert!((3..=4).contains(&open), "{open} open rounds");
    assert_eq!(
        acme_count(
            &owner,
            &q("AND v.closed_at IS NULL
                AND (r.status <> 'scheduled' OR v.meeting_at <= now() OR v.kind <> 'go_no_go'
                     OR v.opened_by <> (SELECT id FROM users WHERE email = 'rm@acme.test'))")
        )
        .await,
        0,
        "open go/no-go rounds on scheduled releases, opened by rm, meeting ahead"
    );
    assert!(
        acme_count(
            &owner,
            &q("AND v.closed_at IS NULL AND v.policy_name = 'Standard CAB'
                AND EXISTS (SELECT 1 FROM votes n JOIN users u ON u.id = n.voter_id
                             WHERE n.review_id = v.id AND u.email = 'cab@acme.test'
                               AND n.choice = 'go')")
        )
        .await
            >= 1,
        "the CAB said go on an open two-stage round"
    );
}

#[sqlx::test(migrations = false)]
async fn demo_reviews_wait_for_the_cab_on_the_board(owner: PgPool) {
    let app = spawn_app(owner).await;
    almanac::demo::load(&app.owner).await.expect("demo");
    let cab = app.signed_in("cab@acme.test").await;
    let (status, mine) = cab.get_text("/acme/board?mine=1").await;
    assert_eq!(status, StatusCode::OK);
    let cards = mine.matches("class=\"card board-card").count();
    assert!(cards >= 1, "open rounds wait for cab ({cards})");
    assert!(mine.contains("Your vote is wanted."));
    let (status, dashboard) = cab.get_text("/acme/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(dashboard.contains("Waiting for your vote"));
    let (_, board) = cab.get_text("/acme/board").await;
    assert!(board.contains("Standard CAB") && board.contains("Your vote:"));
    // Decided rounds show on the release page, the overridden one with its reason.
    let (release, round): (Uuid, i32) =
        sqlx::query_as("SELECT release_id, round FROM reviews WHERE decision <> computed_decision")
            .fetch_one(&app.owner)
            .await
            .expect("the overridden round");
    let (status, html) = cab
        .get_text(&format!("/acme/releases/{release}/reviews/{round}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Override reason:") && html.contains("load test report"));
}

#[sqlx::test(migrations = false)]
async fn demo_pages_answer(owner: PgPool) {
    let app = spawn_app(owner).await;
    almanac::demo::load(&app.owner).await.expect("demo");
    let b = app.signed_in("rm@acme.test").await;
    let release: Uuid = sqlx::query_scalar(
        "SELECT r.id FROM releases r JOIN tenants t ON t.id = r.tenant_id
          WHERE t.slug = 'acme' AND r.status = 'in_progress'",
    )
    .fetch_one(&app.owner)
    .await
    .expect("release");
    let window: Uuid = sqlx::query_scalar(
        "SELECT w.id FROM windows w JOIN tenants t ON t.id = w.tenant_id
          WHERE t.slug = 'acme' AND w.name = 'Weekly production window'",
    )
    .fetch_one(&app.owner)
    .await
    .expect("window");
    let pages = [
        "/acme/products".to_owned(),
        "/acme/products/PAY".to_owned(),
        "/acme/releases".to_owned(),
        format!("/acme/releases/{release}"),
        "/acme/windows".to_owned(),
        format!("/acme/windows/{window}"),
        "/acme/environments".to_owned(),
        "/acme/settings/templates".to_owned(),
    ];
    for page in &pages {
        let (status, html) = b.get_text(page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(!html.is_empty(), "{page}");
    }
    let (_, html) = b.get_text("/acme/windows").await;
    assert!(html.contains("Every Tuesday and Thursday, 22:00–02:00 America/New_York"));
    let (_, html) = b.get_text(&format!("/acme/releases/{release}")).await;
    assert!(html.contains("CARD"), "the emergency release in progress");
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
