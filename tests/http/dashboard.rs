//! The executive dashboard over HTTP: a hand-computed fixture's health and
//! metrics, every role, the links behind the figures, the metrics export,
//! and tenant isolation.

use crate::helpers::{
    TestApp, app_options, prepare_database, serve_state, spawn_app, tenant_id, user_id, web_config,
};
use almanac_web::AppState;
use reqwest::StatusCode;
use sqlx::PgPool;
use uuid::Uuid;

/// acme gets one product line ("Fixture line") with products ZQA and ZQB, a
/// production environment, and releases at times relative to now:
///
/// | release | product | type | status | created | baseline | actual go-live |
/// |---|---|---|---|---|---|---|
/// | 1.0 | ZQA | minor | released | −40 d | −10 d | −10 d + 2 h (on time) |
/// | 1.1 | ZQA | minor | released | −30 d | −20 d | −17 d (3 days late) |
/// | 2.0 | ZQB | minor | rolled_back | −20 d | −5 d | −5 d (on time, failed) |
/// | 2.0.1 | ZQB | hotfix | released | −4 d | — | −4 d |
/// | 1.2 | ZQA | minor | scheduled | −10 d | −1 d | planned −1 d: late |
/// | 2.1 | ZQB | minor | scheduled | −10 d | +30 h | planned +30 h, no review: at risk |
///
/// Last 30 days: 4 shipped; 3 with a baseline, 2 on time (67%); slip
/// (2 h + 3 d + 0) / 3 = +1.0 d; 1 change failure of 4 (25%); lead times
/// 30, 13, 15 and 0 days → median 14.0 d; 4 production deployments over
/// 30/7 weeks → 0.9 a week.
async fn fixture(app: &TestApp) -> Vec<Uuid> {
    let tenant = tenant_id(&app.owner, "acme").await;
    let q = |sql: &'static str| sqlx::query(sql);
    let line = Uuid::now_v7();
    q("INSERT INTO product_lines (tenant_id, id, name) VALUES ($1, $2, 'Fixture line')")
        .bind(tenant)
        .bind(line)
        .execute(&app.owner)
        .await
        .expect("line");
    let mut products = Vec::new();
    for key in ["ZQA", "ZQB"] {
        let id = Uuid::now_v7();
        q(
            "INSERT INTO products (tenant_id, id, key, name, colour, product_line_id)
           VALUES ($1, $2, $3, $3 || ' product', '#1d6b34', $4)",
        )
        .bind(tenant)
        .bind(id)
        .bind(key)
        .bind(line)
        .execute(&app.owner)
        .await
        .expect("product");
        products.push(id);
    }
    let prod: Uuid = sqlx::query_scalar(
        "INSERT INTO environments (tenant_id, id, name, position, is_production)
         VALUES ($1, $2, 'fixture-production', 30, true) RETURNING id",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .fetch_one(&app.owner)
    .await
    .expect("production");
    let rows: [FixtureRow; 6] = [
        (
            0,
            "1.0",
            "minor",
            "released",
            -40 * 24,
            Some(-10 * 24),
            -10 * 24,
            Some(-10 * 24 + 2),
        ),
        (
            0,
            "1.1",
            "minor",
            "released",
            -30 * 24,
            Some(-20 * 24),
            -20 * 24,
            Some(-17 * 24),
        ),
        (
            1,
            "2.0",
            "minor",
            "rolled_back",
            -20 * 24,
            Some(-5 * 24),
            -5 * 24,
            Some(-5 * 24),
        ),
        (
            1,
            "2.0.1",
            "hotfix",
            "released",
            -4 * 24,
            None,
            -4 * 24,
            Some(-4 * 24),
        ),
        (
            0,
            "1.2",
            "minor",
            "scheduled",
            -10 * 24,
            Some(-24),
            -24,
            None,
        ),
        (1, "2.1", "minor", "scheduled", -10 * 24, Some(30), 30, None),
    ];
    let mut ids = Vec::new();
    for (product, version, kind, status, created, baseline, planned, actual) in rows {
        let id = Uuid::now_v7();
        q("INSERT INTO releases (tenant_id, id, product_id, version, title, type, status,
                                 baseline_go_live, created_at)
           VALUES ($1, $2, $3, $4, 'Fixture ' || $4, $5, $6,
                   now() + make_interval(hours => $7::int), now() + make_interval(hours => $8::int))")
        .bind(tenant)
        .bind(id)
        .bind(products[product])
        .bind(version)
        .bind(kind)
        .bind(status)
        .bind(baseline.map(|b| i32::try_from(b).expect("hours")))
        .bind(i32::try_from(created).expect("hours"))
        .execute(&app.owner)
        .await
        .expect("release");
        q(
            "INSERT INTO deployments (tenant_id, id, release_id, environment_id, planned_start,
                                    planned_end, actual_start, actual_end)
           VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5::int),
                   now() + make_interval(hours => $5::int + 2),
                   now() + make_interval(hours => $6::int),
                   now() + make_interval(hours => $6::int + 1))",
        )
        .bind(tenant)
        .bind(Uuid::now_v7())
        .bind(id)
        .bind(prod)
        .bind(i32::try_from(planned).expect("hours"))
        .bind(actual.map(|a| i32::try_from(a).expect("hours")))
        .execute(&app.owner)
        .await
        .expect("deployment");
        ids.push(id);
    }
    ids
}

/// (product, version, type, status, created, baseline, planned, actual),
/// times in hours from now.
type FixtureRow = (
    usize,
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<i64>,
    i64,
    Option<i64>,
);

fn tile(html: &str, number: &str, label: &str) -> bool {
    html.contains(&format!(
        "<span class=\"tile-number\">{number}</span> <span class=\"tile-label\">{label}"
    ))
}

#[sqlx::test(migrations = false)]
async fn the_dashboard_shows_the_fixtures_health_and_metrics(owner: PgPool) {
    let app = spawn_app(owner).await;
    let ids = fixture(&app).await;
    let exec = app.signed_in("exec@acme.test").await;
    let (status, html) = exec.get_text("/acme/?period=30d").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Release metrics: Last 30 days"));
    assert!(tile(&html, "4", "releases shipped"), "{html}");
    assert!(tile(&html, "67%", "on time (2 of 3)"));
    assert!(tile(&html, "+1.0 d", "average slip"));
    assert!(tile(&html, "25%", "change failure rate (1)"));
    assert!(tile(&html, "14.0 d", "median lead time"));
    assert!(tile(&html, "0.9", "production deployments a week (4)"));
    // Health: 1.2 is late, 2.1 at risk (no decision within 48 hours).
    assert!(tile(&html, "1", "Late"));
    assert!(tile(&html, "1", "At risk"));
    assert!(html.contains("Planned go-live has passed; not released yet"));
    assert!(html.contains("No go decision and go-live within 48 hours"));
    assert!(html.contains("Fixture line"));
    // The change failure links to exactly the rolled-back release.
    let failures = tile_href(&html, "change failure rate");
    assert!(failures.contains("failed=1"), "{failures}");
    let (_, listed) = exec.get_text(&failures).await;
    assert!(listed.contains(&format!("/acme/releases/{}\"", ids[2])));
    assert_eq!(list_total(&exec, &failures).await, 1);
    // The shipped tile lists the four releases that went live.
    assert_eq!(
        list_total(&exec, &tile_href(&html, "releases shipped")).await,
        4
    );
    // The next 14 days list 2.1's go-live.
    assert!(html.contains("Go-live: <a href=\"/acme/releases/"));
    // Charts with their text alternatives.
    for title in [
        "Releases per week by outcome",
        "On-time rate by month",
        "Health matrix: products by week of go-live",
    ] {
        assert!(html.contains(title), "{title}");
    }
    assert!(html.contains("<desc id=\"weekly-desc\">"));
}

#[sqlx::test(migrations = false)]
async fn an_empty_period_says_so_and_divides_by_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    let (status, html) = rm.get_text("/acme/?period=30d").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No releases went live in this period."));
    assert!(tile(&html, "0", "releases shipped"));
    assert!(tile(&html, "—", "on time (0 of 0)"));
    // A fiscal quarter and an unknown period (the default).
    let (status, html) = rm.get_text("/acme/?period=fy2020q1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("FY2020 Q1"));
    let (status, html) = rm.get_text("/acme/?period=bogus").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Last 90 days"));
}

#[sqlx::test(migrations = false)]
async fn every_role_sees_the_dashboard_and_no_other_tenants_data(owner: PgPool) {
    let app = spawn_app(owner).await;
    fixture(&app).await;
    for email in [
        "owner@acme.test",
        "rm@acme.test",
        "cab@acme.test",
        "exec@acme.test",
    ] {
        let b = app.signed_in(email).await;
        let (status, html) = b.get_text("/acme/").await;
        assert_eq!(status, StatusCode::OK, "{email}");
        assert!(html.contains("ZQA"), "{email}");
    }
    let globex = app.signed_in("rm@globex.test").await;
    let (status, html) = globex.get_text("/globex/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("ZQA") && !html.contains("Fixture line"));
    assert!(tile(&html, "0", "releases shipped"));
    assert_eq!(
        globex.get("/acme/").await.status(),
        StatusCode::NOT_FOUND,
        "not a member of acme"
    );
}

#[sqlx::test(migrations = false)]
async fn the_metrics_export_is_a_csv_of_every_scope(owner: PgPool) {
    let app = spawn_app(owner).await;
    fixture(&app).await;
    let exec = app.signed_in("exec@acme.test").await;
    let r = exec.get("/acme/metrics.csv?period=30d").await;
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(disposition.starts_with("attachment; filename=\"acme-metrics-30d-"));
    let body = r.text().await.expect("body");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[0], "scope");
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let names: Vec<&str> = rows.iter().map(|r| &r[col("name")]).collect();
    assert_eq!(
        names,
        [
            "Acme Financial",
            "Fixture line",
            "ZQA · ZQA product",
            "ZQB · ZQB product"
        ]
    );
    let org = &rows[0];
    assert_eq!(&org[col("shipped")], "4");
    assert_eq!(&org[col("on_time_rate")], "0.6667");
    assert_eq!(&org[col("change_failures")], "1");
    assert_eq!(&org[col("median_lead_time_days")], "14.0000");
    let start = &org[col("period_start")];
    assert!(
        start.ends_with("-05:00") || start.ends_with("-04:00"),
        "an ISO-8601 instant in New York: {start}"
    );
    let zqb = &rows[3];
    assert_eq!(&zqb[col("shipped")], "2");
    assert_eq!(&zqb[col("change_failure_rate")], "0.5000");
    // Another tenant's export has none of it.
    let globex = app.signed_in("rm@globex.test").await;
    let body = globex
        .get("/globex/metrics.csv")
        .await
        .text()
        .await
        .expect("body");
    assert!(!body.contains("ZQA") && !body.contains("Fixture"));
}

#[sqlx::test(migrations = false)]
async fn the_release_list_filters_by_health_as_the_dashboard_counts_it(owner: PgPool) {
    let app = spawn_app(owner).await;
    let ids = fixture(&app).await;
    let exec = app.signed_in("exec@acme.test").await;
    let (status, late) = exec.get_text("/acme/releases?health=late").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        late.contains(&format!("/acme/releases/{}", ids[4])),
        "1.2 is late"
    );
    assert!(!late.contains(&format!("/acme/releases/{}", ids[5])));
    let (_, at_risk) = exec.get_text("/acme/releases?health=at_risk").await;
    assert!(
        at_risk.contains(&format!("/acme/releases/{}", ids[5])),
        "2.1 is at risk"
    );
    assert!(!at_risk.contains(&format!("/acme/releases/{}", ids[4])));
    let (_, blocked) = exec.get_text("/acme/releases?health=blocked").await;
    assert!(!blocked.contains("/acme/releases/0"), "none blocked");
    let r = exec.get("/acme/releases.csv?health=late").await;
    let body = r.text().await.expect("csv");
    assert_eq!(body.lines().count(), 2, "the header and 1.2: {body}");
}

/// An app whose pool holds one connection, so the statements the server
/// executes can be counted on it.
async fn one_connection_app(owner: PgPool) -> TestApp {
    prepare_database(&owner).await;
    let db = almanac_db::Db::connect_lazy(app_options(&owner), 1);
    serve_state(owner, AppState::new(db, web_config())).await
}

/// Statements the app's one connection has executed so far (every sqlx
/// query is a prepared statement; PostgreSQL counts each execution's plan).
async fn server_executions(app: &TestApp) -> i64 {
    let mut conn = app.state.db.pool().acquire().await.expect("the connection");
    sqlx::query_scalar(
        "SELECT coalesce(sum(generic_plans + custom_plans), 0)::int8 FROM pg_prepared_statements",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("count")
}

/// Waits, when the minute is about to turn, until it has: the plan cache
/// keeps the health horizon per minute, and a measurement must not see the
/// minute's recomputation (more statements) in the middle of a sequence.
async fn within_one_minute() {
    use chrono::Timelike;
    let second = chrono::Utc::now().second();
    if second >= 50 {
        tokio::time::sleep(std::time::Duration::from_millis(
            u64::from(61 - second) * 1000,
        ))
        .await;
    }
}

/// Statements of one dashboard request (the probe's own execution taken off).
async fn statements_of_dashboard(app: &TestApp, b: &crate::helpers::Browser) -> i64 {
    let before = server_executions(app).await;
    let (status, html) = b.get_text("/acme/?period=365d").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Release metrics"));
    server_executions(app).await - before - 1
}

/// Adds `products` products to a new line, each with past releases shipped
/// to production (some late), open releases with milestones in the health
/// horizon, and production deployments.
async fn grow_portfolio(app: &TestApp, key: &str, products: i32) {
    let tenant = tenant_id(&app.owner, "acme").await;
    sqlx::raw_sql(&format!(
        "BEGIN;
         WITH line AS (
             INSERT INTO product_lines (tenant_id, id, name)
             VALUES ('{tenant}', gen_random_uuid(), 'Line {key}') RETURNING id
         )
         INSERT INTO products (tenant_id, id, key, name, colour, product_line_id)
         SELECT '{tenant}', gen_random_uuid(), '{key}' || g, 'Grown {key}' || g, '#1d6b34', line.id
           FROM generate_series(1, {products}) g, line;
         CREATE TEMP TABLE grown ON COMMIT DROP AS
         SELECT gen_random_uuid() AS id, p.id AS product_id, n,
                now() + make_interval(days => n * 9 - 120) AS go_live
           FROM products p, generate_series(1, 20) n
          WHERE p.tenant_id = '{tenant}' AND p.key LIKE '{key}%';
         INSERT INTO releases (tenant_id, id, product_id, version, title, type, status,
                               baseline_go_live, created_at)
         SELECT '{tenant}', id, product_id, n || '.0', 'Grown ' || n, 'minor',
                CASE WHEN go_live < now() THEN 'released' ELSE 'scheduled' END,
                go_live - make_interval(days => n % 3), go_live - interval '40 days'
           FROM grown;
         INSERT INTO deployments (tenant_id, id, release_id, environment_id, planned_start,
                                  planned_end, actual_start, actual_end)
         SELECT '{tenant}', gen_random_uuid(), g.id, e.id, g.go_live, g.go_live + interval '2 hours',
                CASE WHEN g.go_live < now() THEN g.go_live END,
                CASE WHEN g.go_live < now() THEN g.go_live + interval '1 hour' END
           FROM grown g,
                (SELECT id FROM environments WHERE tenant_id = '{tenant}' AND is_production
                  ORDER BY position LIMIT 1) e;
         INSERT INTO milestones (tenant_id, id, release_id, name, due_at)
         SELECT '{tenant}', gen_random_uuid(), id, 'Code freeze', go_live - interval '10 days'
           FROM grown WHERE go_live > now();
         COMMIT;"
    ))
    .execute(&app.owner)
    .await
    .expect("grown portfolio");
}

#[sqlx::test(migrations = false)]
async fn the_dashboard_costs_a_fixed_number_of_statements(owner: PgPool) {
    let app = one_connection_app(owner).await;
    let exec = app
        .session_for(user_id(&app.owner, "exec@acme.test").await)
        .await;
    let rm = app
        .session_for(user_id(&app.owner, "rm@acme.test").await)
        .await;
    grow_portfolio(&app, "SM", 2).await;
    // First request after a plan change (the health horizon's blocking
    // conflicts are computed) and the next (kept per plan version).
    within_one_minute().await;
    let first = statements_of_dashboard(&app, &exec).await;
    let kept = statements_of_dashboard(&app, &exec).await;
    let release_manager = statements_of_dashboard(&app, &rm).await;
    assert!(
        kept < first,
        "the kept plan saves statements: {kept} vs {first}"
    );
    assert!(first <= 24, "a small number of statements: {first}");
    grow_portfolio(&app, "GR", 40).await;
    let products: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM products p JOIN tenants t ON t.id = p.tenant_id WHERE t.slug = 'acme'",
    )
    .fetch_one(&app.owner)
    .await
    .expect("products");
    assert_eq!(products, 42);
    within_one_minute().await;
    let (_, html) = exec.get_text("/acme/?period=365d").await;
    assert!(html.contains("Line GR") && html.contains("GR40"));
    // The grown portfolio: same statements, cold and kept.
    assert_eq!(statements_of_dashboard(&app, &exec).await, kept);
    within_one_minute().await;
    sqlx::query("UPDATE products SET name = name || ' (renamed)' WHERE key = 'GR1'")
        .execute(&app.owner)
        .await
        .expect("a plan change");
    assert_eq!(statements_of_dashboard(&app, &exec).await, first);
    assert_eq!(statements_of_dashboard(&app, &rm).await, release_manager);
}

#[sqlx::test(migrations = false)]
async fn kept_figures_follow_every_change(owner: PgPool) {
    let app = spawn_app(owner).await;
    let ids = fixture(&app).await;
    let exec = app.signed_in("exec@acme.test").await;
    let (_, html) = exec.get_text("/acme/?period=30d").await;
    assert!(tile(&html, "1", "At risk") && tile(&html, "1", "Late"));
    assert!(tile(&html, "4", "releases shipped"));
    // A go decision on 2.1 (rounds are not part of the plan: no new plan
    // version) is read on the next request.
    sqlx::query(
        "INSERT INTO reviews (tenant_id, id, release_id, round, kind, policy_name, policy,
                              decision, computed_decision, closed_at)
         SELECT tenant_id, gen_random_uuid(), id, 1, 'go_no_go', 'Fixture', '{}'::jsonb,
                'go', 'go', now()
           FROM releases WHERE id = $1",
    )
    .bind(ids[5])
    .execute(&app.owner)
    .await
    .expect("closed round");
    let (_, html) = exec.get_text("/acme/?period=30d").await;
    assert!(tile(&html, "0", "At risk"), "the decision counts at once");
    // The go/no-go tile lists the releases decided in the period.
    let decided = tile_href(&html, "go / no-go / overridden");
    assert!(decided.contains("decided_from="), "{decided}");
    let (_, listed) = exec.get_text(&decided).await;
    assert!(listed.contains(&format!("/acme/releases/{}\"", ids[5])));
    assert_eq!(list_total(&exec, &decided).await, 1);
    assert!(!html.contains("No go decision and go-live within 48 hours"));
    // 1.2 ships (a plan change): no longer late, and one more shipped.
    sqlx::query(
        "UPDATE deployments SET actual_start = now() - interval '1 hour',
                                actual_end = now() - interval '30 minutes'
          WHERE release_id = $1",
    )
    .bind(ids[4])
    .execute(&app.owner)
    .await
    .expect("deployed");
    sqlx::query("UPDATE releases SET status = 'released' WHERE id = $1")
        .bind(ids[4])
        .execute(&app.owner)
        .await
        .expect("released");
    let (_, html) = exec.get_text("/acme/?period=30d").await;
    assert!(tile(&html, "0", "Late"), "the shipped release is not late");
    assert!(tile(&html, "5", "releases shipped"));
}

/// The "of N" of a release list page.
async fn list_total(b: &crate::helpers::Browser, path: &str) -> i64 {
    let (status, html) = b.get_text(path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    if html.contains("No releases match these filters") {
        return 0;
    }
    let at = html
        .find("pager-summary\">Showing ")
        .expect("the pager summary");
    let rest = &html[at..];
    let of = rest.find(" of ").expect("of") + 4;
    rest[of..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("a total")
}

/// Where the tile labelled `label` links (the `&` unescaped).
fn tile_href(html: &str, label: &str) -> String {
    let end = html
        .find(&format!("<span class=\"tile-label\">{label}"))
        .expect(label);
    let start = html[..end].rfind("<a href=\"").expect("the tile's link") + 9;
    let href = &html[start..];
    href[..href.find('"').expect("end of href")].replace("&#38;", "&")
}

/// The number on the health tile `label`.
fn tile_count(html: &str, label: &str) -> i64 {
    let end = html
        .find(&format!("</span> <span class=\"tile-label\">{label}"))
        .expect(label);
    let start = html[..end].rfind('>').expect("tile number") + 1;
    html[start..end].parse().expect("a count")
}

#[sqlx::test(migrations = false)]
async fn the_health_links_name_every_release_behind_them(owner: PgPool) {
    let app = spawn_app(owner).await;
    let ids = fixture(&app).await;
    // 80 products with 7 open releases each in the horizon: more than an
    // `ids` link may name (500).
    grow_portfolio(&app, "GR", 80).await;
    let exec = app.signed_in("exec@acme.test").await;
    let (_, html) = exec.get_text("/acme/").await;
    let line = |name: &'static str| {
        let owner = app.owner.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>("SELECT id FROM product_lines WHERE name = $1")
                .bind(name)
                .fetch_one(&owner)
                .await
                .expect("line")
        }
    };
    let grown = format!(
        "/acme/releases?line={}&health=horizon",
        line("Line GR").await
    );
    let fixture_line = format!(
        "/acme/releases?line={}&health=horizon",
        line("Fixture line").await
    );
    // askama writes `&` as `&#38;`.
    assert!(html.contains(&grown.replace('&', "&#38;")), "{grown}");
    assert!(html.contains(&fixture_line.replace('&', "&#38;")));
    let grown_total = list_total(&exec, &grown).await;
    assert!(grown_total > 500, "{grown_total}");
    let mut tiles = 0;
    for (health, label) in [
        ("on_track", "On track"),
        ("at_risk", "At risk"),
        ("late", "Late"),
        ("blocked", "Blocked"),
    ] {
        let href = format!("/acme/releases?health={health}");
        assert!(html.contains(&format!("<a href=\"{href}\">")), "{href}");
        let count = tile_count(&html, label);
        assert_eq!(list_total(&exec, &href).await, count, "{label}");
        tiles += count;
    }
    // Every assessed release is in one of the two lines, each once.
    assert_eq!(grown_total + list_total(&exec, &fixture_line).await, tiles);
    assert_eq!(list_total(&exec, &fixture_line).await, 2, "1.2 and 2.1");
    // A product's link: its open releases only (1.2, not the shipped ones).
    let zqa: Uuid = sqlx::query_scalar("SELECT id FROM products WHERE key = 'ZQA'")
        .fetch_one(&app.owner)
        .await
        .expect("ZQA");
    let product = format!("/acme/releases?product={zqa}&health=horizon");
    assert!(html.contains(&product.replace('&', "&#38;")));
    let (_, listed) = exec.get_text(&product).await;
    assert!(listed.contains(&format!("/acme/releases/{}\"", ids[4])));
    assert_eq!(list_total(&exec, &product).await, 1);
}
