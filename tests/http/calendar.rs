//! The calendar views on the demo portfolio: a known release on its day in
//! the viewer's zone (and moved when the zone changes) in the month, week,
//! quarter and day views; filters; the freeze band and production-frozen
//! days; "+N more" on a busy day; the conflicts panel and "only conflicts";
//! tenancy; and the fixed number of statements a view costs.

use crate::helpers::{TestApp, spawn_app, tenant_id};
use almanac_db::calendar::{self, Filter};
use almanac_db::scope::in_tenant_on;
use almanac_db::{DbError, deployments, releases};
use almanac_domain::TenantId;
use almanac_domain::release::{
    DeploymentTimes, Notes, Period, ReleaseTitle, ReleaseType, Risk, Version,
};
use chrono::Datelike as _;
use reqwest::StatusCode;
use sqlx::types::chrono::{DateTime, Utc};
use sqlx::{Connection, PgPool};
use uuid::Uuid;

fn minutes(n: i64) -> std::time::Duration {
    std::time::Duration::from_secs(u64::try_from(n).expect("positive") * 60)
}

async fn demo_app(owner: PgPool) -> TestApp {
    let app = spawn_app(owner).await;
    almanac::demo::load(&app.owner).await.expect("demo");
    app
}

/// A demo release whose production deployment starts at 22:00 New York
/// time (the weekly window), with its day and time there and in UTC.
#[derive(Debug, Clone)]
struct Known {
    release: Uuid,
    product: Uuid,
    line: Uuid,
    label: String,
    ny_date: String,
    utc_date: String,
    utc_time: String,
}

async fn known_release(owner: &PgPool) -> Known {
    let row: (Uuid, Uuid, Uuid, String, String, String, String) = sqlx::query_as(
        "SELECT r.id, p.id, p.product_line_id, p.key || ' ' || r.version,
                (d.planned_start AT TIME ZONE 'America/New_York')::date::text,
                (d.planned_start AT TIME ZONE 'UTC')::date::text,
                to_char(d.planned_start AT TIME ZONE 'UTC', 'HH24:MI')
           FROM releases r
           JOIN tenants t ON t.id = r.tenant_id
           JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
           JOIN deployments d ON d.tenant_id = r.tenant_id AND d.release_id = r.id
           JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
          WHERE t.slug = 'acme' AND e.is_production AND r.status = 'scheduled'
            AND p.product_line_id IS NOT NULL
            AND to_char(d.planned_start AT TIME ZONE 'America/New_York', 'HH24:MI') = '22:00'
          ORDER BY d.planned_start LIMIT 1",
    )
    .fetch_one(owner)
    .await
    .expect("a scheduled demo release going live at 22:00");
    Known {
        release: row.0,
        product: row.1,
        line: row.2,
        label: row.3,
        ny_date: row.4,
        utc_date: row.5,
        utc_time: row.6,
    }
}

async fn environment_id(owner: &PgPool, name: &str) -> Uuid {
    sqlx::query_scalar(
        "SELECT e.id FROM environments e JOIN tenants t ON t.id = e.tenant_id
          WHERE t.slug = 'acme' AND e.name = $1",
    )
    .bind(name)
    .fetch_one(owner)
    .await
    .expect("environment")
}

/// (id, key) of an acme product other than `not`, in another line than `line`.
async fn other_product(owner: &PgPool, line: Uuid) -> (Uuid, String) {
    sqlx::query_as(
        "SELECT p.id, p.key FROM products p JOIN tenants t ON t.id = p.tenant_id
          WHERE t.slug = 'acme' AND p.product_line_id <> $1 ORDER BY p.key LIMIT 1",
    )
    .bind(line)
    .fetch_one(owner)
    .await
    .expect("product of another line")
}

async fn set_zone(owner: &PgPool, email: &str, zone: Option<&str>) {
    sqlx::query("UPDATE users SET time_zone = $2 WHERE email = $1")
        .bind(email)
        .bind(zone)
        .execute(owner)
        .await
        .expect("zone");
}

/// Adds a release of product `key` with one deployment to `environment`
/// at `start` for `minutes`, through the db layer.
async fn add_release(
    owner: &PgPool,
    key: &str,
    version: &str,
    environment: &str,
    start: DateTime<Utc>,
    minutes: i64,
) -> Uuid {
    let tenant = TenantId(tenant_id(owner, "acme").await);
    let product: Uuid =
        sqlx::query_scalar("SELECT id FROM products WHERE tenant_id = $1 AND key = $2")
            .bind(tenant.0)
            .bind(key)
            .fetch_one(owner)
            .await
            .expect("product");
    let environment = environment_id(owner, environment).await;
    let id = Uuid::now_v7();
    let draft = releases::ReleaseDraft {
        product,
        version: Version::parse(version).expect("version"),
        title: ReleaseTitle::parse("").expect("title"),
        release_type: ReleaseType::Minor,
        risk: Risk::Low,
        owner: None,
        train: None,
        notes: Notes::parse("").expect("notes"),
    };
    let times = DeploymentTimes {
        planned: Some(Period {
            start,
            end: start + self::minutes(minutes),
        }),
        actual_start: None,
        actual_end: None,
        result: None,
    };
    in_tenant_on(owner.clone(), tenant, None, move |tx| {
        Box::pin(async move {
            assert!(releases::create(tx, tenant, id, &draft, None).await?);
            assert!(deployments::add(tx, tenant, Uuid::now_v7(), id, environment, &times).await?);
            Ok::<_, DbError>(())
        })
    })
    .await
    .expect("release added");
    id
}

/// The HTML of one month cell (`id="d-…"`, its chips).
fn month_cell<'a>(html: &'a str, date: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"d-{date}\""))
        .unwrap_or_else(|| panic!("no month cell for {date}"));
    let end = html[start..].find("</ul>").expect("cell end") + start;
    &html[start..end]
}

/// The HTML of one week column (`id="w-…"`).
fn week_column<'a>(html: &'a str, date: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"w-{date}\""))
        .unwrap_or_else(|| panic!("no week column for {date}"));
    let rest = &html[start + 10..];
    let end = rest
        .find("id=\"w-")
        .or_else(|| rest.find("</section>"))
        .expect("column end");
    &rest[..end]
}

async fn html_of(b: &crate::helpers::Browser, path: &str) -> String {
    let (status, html) = b.get_text(path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    html
}

fn deployment_chip(release: Uuid) -> String {
    format!("cal-deployment\" href=\"/acme/releases/{release}\"")
}

#[sqlx::test(migrations = false)]
async fn each_view_shows_a_release_on_its_day_in_the_viewers_zone(owner: PgPool) {
    let app = demo_app(owner).await;
    let k = known_release(&app.owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let only = format!("&product={}", k.product);

    // The tenant's zone (rm has none of their own): New York.
    let (status, html) = b
        .get_text(&format!("/acme/calendar?date={}{only}", k.ny_date))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Times in America/New_York"));
    let cell = month_cell(&html, &k.ny_date);
    assert!(cell.contains(&deployment_chip(k.release)), "{cell}");
    assert!(cell.contains(&k.label) && cell.contains("22:00") && cell.contains("production"));
    assert!(cell.contains("Scheduled"), "the status word");
    assert!(
        html.contains("Weekly production window"),
        "the release window is shown"
    );
    assert!(html.contains("href=\"/profile#feeds\""), "Subscribe link");

    let (_, html) = b
        .get_text(&format!(
            "/acme/calendar?view=week&date={}{only}",
            k.ny_date
        ))
        .await;
    let column = week_column(&html, &k.ny_date);
    assert!(
        column.contains(&k.label) && column.contains("22:00–"),
        "{column}"
    );
    assert!(column.contains(&format!("/acme/releases/{}", k.release)));

    let (_, html) = b
        .get_text(&format!("/acme/calendar?view=quarter&date={}", k.ny_date))
        .await;
    assert!(html.contains("<svg class=\"gantt\""));
    assert!(html.contains(&format!("href=\"/acme/releases/{}\"", k.release)));
    assert!(
        html.contains(&format!("go-live {} 22:00 E", k.ny_date)),
        "the go-live in New York time"
    );

    let (_, html) = b
        .get_text(&format!("/acme/calendar?view=day&date={}", k.ny_date))
        .await;
    let list = &html[html.find("id=\"day-list\"").expect("day list")..];
    assert!(list.contains(&format!("/acme/releases/{}", k.release)));

    // In the viewer's own zone (UTC), the 22:00 New York go-live is the
    // next morning.
    set_zone(&app.owner, "rm@acme.test", Some("UTC")).await;
    let (_, html) = b
        .get_text(&format!("/acme/calendar?date={}{only}", k.utc_date))
        .await;
    assert!(html.contains("Times in UTC"));
    assert_ne!(k.ny_date, k.utc_date);
    assert!(month_cell(&html, &k.utc_date).contains(&deployment_chip(k.release)));
    assert!(!month_cell(&html, &k.ny_date).contains(&deployment_chip(k.release)));
    let (_, html) = b
        .get_text(&format!(
            "/acme/calendar?view=week&date={}{only}",
            k.utc_date
        ))
        .await;
    let column = week_column(&html, &k.utc_date);
    assert!(column.contains(&format!("{}–", k.utc_time)), "{column}");
    let (_, html) = b
        .get_text(&format!("/acme/calendar?view=quarter&date={}", k.utc_date))
        .await;
    assert!(html.contains(&format!("go-live {} {} UTC", k.utc_date, k.utc_time)));

    // Release managers may schedule from a day; a viewer sees the
    // calendar without that; another tenant's member gets a 404.
    let schedule = format!("href=\"/acme/releases/schedule?date={}\"", k.utc_date);
    let html = html_of(&b, &format!("/acme/calendar?date={}", k.utc_date)).await;
    assert!(html.contains(&schedule));
    let exec = app.signed_in("exec@acme.test").await;
    let viewer = html_of(&exec, &format!("/acme/calendar?date={}{only}", k.ny_date)).await;
    assert!(month_cell(&viewer, &k.ny_date).contains(&deployment_chip(k.release)));
    assert!(!viewer.contains("/acme/releases/schedule"));
    assert_eq!(
        exec.get("/acme/calendar?view=quarter").await.status(),
        StatusCode::OK
    );
    let globex = app.signed_in("rm@globex.test").await;
    assert_eq!(
        globex.get("/acme/calendar").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.get("/globex/calendar").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        globex.get("/globex/calendar?view=week").await.status(),
        StatusCode::OK
    );
}

#[sqlx::test(migrations = false)]
async fn filters_narrow_what_is_shown(owner: PgPool) {
    let app = demo_app(owner).await;
    let k = known_release(&app.owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let month = format!("/acme/calendar?view=month&date={}", k.ny_date);

    // Environment: qa only — no production deployments, no windows that
    // do not cover qa (the weekly window covers production only).
    let qa = environment_id(&app.owner, "qa").await;
    let (_, html) = b.get_text(&format!("{month}&environment={qa}")).await;
    assert!(!html.contains("<span class=\"cal-detail\">production</span>"));
    assert!(html.contains("<span class=\"cal-detail\">qa</span>"));
    assert!(!html.contains("cal-chip cal-window"));
    assert!(html.contains(&format!("<option value=\"{qa}\" selected>")));

    // Status: released only — the scheduled release is gone.
    let (_, html) = b.get_text(&format!("{month}&status=released")).await;
    assert!(!html.contains(&deployment_chip(k.release)));
    let (_, html) = b
        .get_text(&format!("{month}&status=scheduled&product={}", k.product))
        .await;
    assert!(html.contains(&deployment_chip(k.release)));

    // Product line and product: nothing of a product of another line.
    let (other, other_key) = other_product(&app.owner, k.line).await;
    let (_, html) = b.get_text(&format!("{month}&line={}", k.line)).await;
    assert!(
        !html.contains(&format!("<strong>{other_key} ")),
        "{other_key}"
    );
    let (_, html) = b.get_text(&format!("{month}&product={other}")).await;
    assert!(!html.contains(&deployment_chip(k.release)));
    assert!(
        html.contains(&format!("<strong>{other_key} ")) || html.contains("Nothing in this period")
    );

    // Filters survive navigation.
    let (_, html) = b.get_text(&format!("{month}&product={other}")).await;
    let next = html.find("rel=\"next\"").expect("next link");
    let link = &html[html[..next].rfind("href=").expect("href")..next];
    assert!(link.contains(&format!("product={other}")), "{link}");

    // Nonsense values are ignored rather than refused.
    let (status, _) = b
        .get_text("/acme/calendar?view=nope&date=yesterday&product=x&status=y")
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[sqlx::test(migrations = false)]
async fn freezes_are_bands_and_mark_production_days(owner: PgPool) {
    let app = demo_app(owner).await;
    let b = app.signed_in("exec@acme.test").await;
    // The latest year-end freeze: Dec 15 – Jan 5, New York time.
    let (name, first, before): (String, String, String) = sqlx::query_as(
        "SELECT w.name, (w.starts_at AT TIME ZONE 'America/New_York')::date::text,
                ((w.starts_at AT TIME ZONE 'America/New_York')::date - 5)::text
           FROM windows w JOIN tenants t ON t.id = w.tenant_id
          WHERE t.slug = 'acme' AND w.name LIKE 'Year-end freeze%'
          ORDER BY w.starts_at DESC LIMIT 1",
    )
    .fetch_one(&app.owner)
    .await
    .expect("year-end freeze");
    let (_, html) = b.get_text(&format!("/acme/calendar?date={first}")).await;
    assert!(html.contains("cal-band cal-freeze"));
    assert!(
        html.contains(&format!("<strong>Freeze</strong> {name}")),
        "{name}"
    );
    assert!(html.contains(&format!("id=\"frozen-{first}\">Production frozen")));
    assert!(!html.contains(&format!("id=\"frozen-{before}\"")));
    assert!(html.contains("cal-bg mc-c"), "day backgrounds");
    assert!(html.contains(" frozen hatch\""), "frozen days are hatched");

    let (_, html) = b
        .get_text(&format!("/acme/calendar?view=week&date={first}"))
        .await;
    assert!(html.contains(&format!("id=\"frozen-{first}\">Production frozen")));
    assert!(html.contains("wk-shade cal-freeze"));

    let (_, html) = b
        .get_text(&format!("/acme/calendar?view=quarter&date={first}"))
        .await;
    assert!(html.contains(&format!("Freeze: {name}")));
    assert!(html.contains("fill=\"url(#cal-hatch)\""));
    assert!(!html.contains("style="), "the CSP forbids inline styles");
}

#[sqlx::test(migrations = false)]
async fn busy_days_show_more_and_the_day_lists_everything(owner: PgPool) {
    let app = demo_app(owner).await;
    // A Monday (no window nights) long after the demo's releases: six qa
    // deployments.
    let (date, nine): (String, DateTime<Utc>) = sqlx::query_as(
        "SELECT d::text, (d + time '09:00') AT TIME ZONE 'America/New_York'
           FROM (SELECT day + (8 - extract(isodow FROM day)::int) % 7 AS d
                   FROM (SELECT (now() AT TIME ZONE 'America/New_York')::date + 400 AS day) x) y",
    )
    .fetch_one(&app.owner)
    .await
    .expect("date");
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT p.key FROM products p JOIN tenants t ON t.id = p.tenant_id
          WHERE t.slug = 'acme' ORDER BY p.key LIMIT 6",
    )
    .fetch_all(&app.owner)
    .await
    .expect("keys");
    for (i, key) in keys.iter().enumerate() {
        let start = nine + minutes(60 * i64::try_from(i).expect("small"));
        add_release(&app.owner, key, "77.0.0", "qa", start, 30).await;
    }
    let b = app.signed_in("rm@acme.test").await;
    let (_, html) = b.get_text(&format!("/acme/calendar?date={date}")).await;
    let cell = month_cell(&html, &date);
    assert_eq!(cell.matches("class=\"cal-chip cal-").count(), 3, "{cell}");
    assert!(cell.contains("+3 more"), "{cell}");
    let more = format!("view=day&date={date}");
    assert!(
        cell.replace("&#38;", "&")
            .replace("&amp;", "&")
            .contains(&more),
        "{cell}"
    );

    let (_, html) = b
        .get_text(&format!("/acme/calendar?view=day&date={date}"))
        .await;
    for key in &keys {
        assert!(html.contains(&format!("{key} 77.0.0")), "{key}");
    }
    let (_, html) = b
        .get_text(&format!("/acme/calendar?view=week&date={date}"))
        .await;
    let column = week_column(&html, &date);
    assert_eq!(column.matches(" 77.0.0</strong>").count(), 6);
    assert!(column.contains("09:00–09:30"));
}

#[sqlx::test(migrations = false)]
async fn conflicts_are_flagged_and_explained(owner: PgPool) {
    let app = demo_app(owner).await;
    let k = known_release(&app.owner).await;
    // A minor release to production in the middle of the Black Friday freeze.
    let (freeze_name, noon, date): (String, DateTime<Utc>, String) = sqlx::query_as(
        "SELECT w.name, w.starts_at + interval '1 day 12 hours',
                ((w.starts_at + interval '1 day 12 hours') AT TIME ZONE 'America/New_York')::date::text
           FROM windows w JOIN tenants t ON t.id = w.tenant_id
          WHERE t.slug = 'acme' AND w.name LIKE 'Black Friday freeze%'
          ORDER BY w.starts_at DESC LIMIT 1",
    )
    .fetch_one(&app.owner)
    .await
    .expect("black friday");
    let key = k.label.split(' ').next().expect("key").to_owned();
    let frozen = add_release(&app.owner, &key, "66.0.0", "production", noon, 60).await;

    let b = app.signed_in("rm@acme.test").await;
    let (_, html) = b.get_text(&format!("/acme/calendar?date={date}")).await;
    let cell = month_cell(&html, &date);
    assert!(cell.contains(&deployment_chip(frozen)), "{cell}");
    assert!(
        cell.contains("badge badge-red cal-flag\">Blocked"),
        "{cell}"
    );
    let panel = &html[html.find("id=\"conflicts\"").expect("panel")..];
    assert!(panel.contains("Blocking"));
    assert!(panel.contains(&format!(
        "href=\"/acme/releases/{frozen}\">{key} 66.0.0</a>"
    )));
    assert!(panel.contains(&freeze_name), "the reason names the freeze");
    assert!(panel.contains("Freeze:"));

    // Only conflicts: the conflicting release stays, the clean one goes.
    let (_, html) = b
        .get_text(&format!("/acme/calendar?date={date}&conflicts=true"))
        .await;
    assert!(html.contains(&deployment_chip(frozen)));
    assert!(html.contains("id=\"f-conflicts\" name=\"conflicts\" value=\"true\" checked"));
    let chips = html.matches("class=\"cal-chip cal-deployment").count();
    let flagged = html.matches("cal-flag\">").count();
    assert!(
        chips > 0 && chips <= flagged,
        "{chips} chips, {flagged} flags"
    );

    // The week and quarter views flag it too.
    let (_, html) = b
        .get_text(&format!("/acme/calendar?view=week&date={date}"))
        .await;
    assert!(week_column(&html, &date).contains("Blocked"));
    let (_, html) = b
        .get_text(&format!("/acme/calendar?view=quarter&date={date}"))
        .await;
    assert!(html.contains("g-flag g-badge-red"));
    assert!(html.contains(&format!("href=\"/acme/releases/{frozen}\"")));

    // An overlap on staging (not shared) names the other release.
    let (staging_start, staging_date): (DateTime<Utc>, String) = sqlx::query_as(
        "SELECT d.planned_start, (d.planned_start AT TIME ZONE 'America/New_York')::date::text
           FROM deployments d JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
          WHERE d.release_id = $1 AND e.name = 'staging'",
    )
    .bind(k.release)
    .fetch_one(&app.owner)
    .await
    .expect("staging deployment");
    let other_key: String = sqlx::query_scalar(
        "SELECT p.key FROM products p JOIN tenants t ON t.id = p.tenant_id
          WHERE t.slug = 'acme' AND p.id <> $1 ORDER BY p.key LIMIT 1",
    )
    .bind(k.product)
    .fetch_one(&app.owner)
    .await
    .expect("other product");
    let clash = add_release(
        &app.owner,
        &other_key,
        "55.0.0",
        "staging",
        staging_start,
        30,
    )
    .await;
    let (_, html) = b
        .get_text(&format!("/acme/calendar?view=day&date={staging_date}"))
        .await;
    let panel = &html[html.find("id=\"conflicts\"").expect("panel")..];
    assert!(panel.contains(&format!("/acme/releases/{clash}")));
    assert!(panel.contains("Overlap:"));
    assert!(
        panel.contains(&k.label),
        "the overlap names the other release"
    );
}

/// Statements executed on this connection so far (every sqlx query is a
/// prepared statement; PostgreSQL counts each execution's plan).
async fn executions(conn: &mut sqlx::PgConnection) -> i64 {
    sqlx::query_scalar(
        "SELECT coalesce(sum(generic_plans + custom_plans), 0)::int8 FROM pg_prepared_statements",
    )
    .fetch_one(conn)
    .await
    .expect("count")
}

async fn statements_of_month(owner: &PgPool, tenant: TenantId) -> (i64, usize) {
    let (from, to): (DateTime<Utc>, DateTime<Utc>) = sqlx::query_as(
        "SELECT date_trunc('month', now()) - interval '7 days',
                date_trunc('month', now()) + interval '35 days'",
    )
    .fetch_one(owner)
    .await
    .expect("range");
    // A fresh connection: no cached statements to evict (and forget) meanwhile.
    let mut conn = sqlx::PgConnection::connect_with(&owner.connect_options())
        .await
        .expect("connection");
    let before = executions(&mut conn).await;
    let after_probe = executions(&mut conn).await;
    let cal = calendar::load(&mut conn, tenant, from, to, &Filter::default())
        .await
        .expect("load");
    let after = executions(&mut conn).await;
    // Each probe counts itself once: subtract the second probe's share.
    (
        after - after_probe - (after_probe - before),
        cal.deployments.len(),
    )
}

#[sqlx::test(migrations = false)]
async fn a_view_costs_a_fixed_number_of_statements(owner: PgPool) {
    let app = demo_app(owner).await;
    let tenant = TenantId(tenant_id(&app.owner, "acme").await);
    let (statements, rows) = statements_of_month(&app.owner, tenant).await;
    assert!(rows > 10, "the demo month has deployments ({rows})");
    assert_eq!(
        statements, 7,
        "deployments, milestones, environments, products, 3 × windows"
    );
    // Forty more releases in the same month: the same statements.
    let start: DateTime<Utc> =
        sqlx::query_scalar("SELECT date_trunc('month', now()) + interval '3 days'")
            .fetch_one(&app.owner)
            .await
            .expect("start");
    let keys: Vec<String> =
        sqlx::query_scalar("SELECT p.key FROM products p WHERE p.tenant_id = $1 ORDER BY p.key")
            .bind(tenant.0)
            .fetch_all(&app.owner)
            .await
            .expect("keys");
    for i in 0..40 {
        let key = &keys[i % keys.len()];
        let at = start + minutes(300 * i64::try_from(i).expect("small"));
        add_release(&app.owner, key, &format!("88.{i}.0"), "qa", at, 45).await;
    }
    let (again, more) = statements_of_month(&app.owner, tenant).await;
    assert_eq!(more, rows + 40);
    assert_eq!(again, statements);
}

async fn plan_version(owner: &PgPool, slug: &str) -> i64 {
    sqlx::query_scalar("SELECT plan_version FROM tenants WHERE slug = $1")
        .bind(slug)
        .fetch_one(owner)
        .await
        .expect("plan version")
}

/// Renames the known release as the owner, in one transaction; with
/// `triggers` off (`session_replication_role = replica`) the plan version
/// does not move, as when rows are bulk-loaded behind the app's back.
async fn rename(owner: &PgPool, release: Uuid, version: &str, triggers: bool) {
    let mut tx = owner.begin().await.expect("begin");
    if !triggers {
        sqlx::query("SET LOCAL session_replication_role = replica")
            .execute(&mut *tx)
            .await
            .expect("replica");
    }
    sqlx::query("UPDATE releases SET version = $2 WHERE id = $1")
        .bind(release)
        .bind(version)
        .execute(&mut *tx)
        .await
        .expect("rename");
    tx.commit().await.expect("commit");
}

#[sqlx::test(migrations = false)]
async fn a_computed_view_is_kept_until_the_plan_changes(owner: PgPool) {
    let app = demo_app(owner).await;
    let k = known_release(&app.owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let month = format!("/acme/calendar?date={}", k.ny_date);
    let quarter = format!("/acme/calendar?view=quarter&date={}", k.ny_date);
    let (_, html) = b.get_text(&month).await;
    assert!(html.contains(&k.label));
    let (_, html) = b.get_text(&quarter).await;
    assert!(html.contains(&k.label));

    // A change the plan version does not see: the computed views are kept.
    let version = plan_version(&app.owner, "acme").await;
    rename(&app.owner, k.release, "77.7.7", false).await;
    assert_eq!(plan_version(&app.owner, "acme").await, version);
    let (_, html) = b.get_text(&month).await;
    assert!(html.contains(&k.label), "served as computed");
    assert!(!html.contains("77.7.7"));

    // Any committed change to the plan moves the version: recomputed.
    rename(&app.owner, k.release, "88.8.8", true).await;
    assert_eq!(plan_version(&app.owner, "acme").await, version + 1);
    for path in [&month, &quarter] {
        let (_, html) = b.get_text(path).await;
        assert!(html.contains("88.8.8"), "{path} shows the change");
        assert!(!html.contains(&k.label), "{path}");
    }

    // Another viewer's zone or another filter is another view.
    let (_, html) = b.get_text(&format!("{month}&product={}", k.product)).await;
    assert!(html.contains("88.8.8"));
}

#[sqlx::test(migrations = false)]
async fn a_kept_view_is_drawn_for_each_viewer_and_each_date_it_covers(owner: PgPool) {
    let app = demo_app(owner).await;
    let k = known_release(&app.owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    let exec = app.signed_in("exec@acme.test").await;
    let day: chrono::NaiveDate = k.ny_date.parse().expect("a date");
    let first = day.with_day(1).expect("first of the month");
    let month = |date: chrono::NaiveDate| format!("/acme/calendar?view=month&date={date}");
    let (_, html) = rm.get_text(&month(first)).await;
    assert!(
        html.contains("Schedule a deployment on"),
        "release managers may schedule"
    );
    assert!(html.contains(&k.label));
    assert!(html.contains(&format!(r#"name="date" value="{first}""#)));

    // The same month, kept: a viewer gets it without the planning links.
    rename(&app.owner, k.release, "66.6.6", false).await;
    let (_, html) = exec.get_text(&month(first)).await;
    assert!(html.contains(&k.label), "the kept view");
    assert!(!html.contains("66.6.6"));
    assert!(
        !html.contains("Schedule a deployment on"),
        "viewers may not schedule"
    );

    // Another date of that month: the kept view, navigated from that date.
    let last = first + chrono::Months::new(1) - chrono::Days::new(1);
    let (_, html) = rm.get_text(&month(last)).await;
    assert!(html.contains(&k.label), "the kept view");
    assert!(html.contains("Schedule a deployment on"));
    assert!(html.contains(&format!(r#"name="date" value="{last}""#)));
    assert!(
        html.contains(&format!("/acme/calendar?view=week&#38;date={last}")),
        "the week tab opens the week of the date asked for"
    );
}

#[sqlx::test(migrations = false)]
async fn every_planning_change_moves_its_tenants_plan_version_once(owner: PgPool) {
    let app = demo_app(owner).await;
    let acme = plan_version(&app.owner, "acme").await;
    let globex = plan_version(&app.owner, "globex").await;
    // One transaction touching many rows of several tables: one step.
    let mut tx = app.owner.begin().await.expect("begin");
    for sql in [
        "UPDATE releases SET notes = notes || '.' WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'acme')",
        "UPDATE milestones SET name = name WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'acme')",
        "UPDATE windows SET reason = reason WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'acme')",
    ] {
        sqlx::query(sql).execute(&mut *tx).await.expect("update");
    }
    assert_eq!(
        plan_version(&app.owner, "acme").await,
        acme,
        "invisible before the commit"
    );
    tx.commit().await.expect("commit");
    assert_eq!(plan_version(&app.owner, "acme").await, acme + 1);
    assert_eq!(
        plan_version(&app.owner, "globex").await,
        globex,
        "not globex"
    );

    // Each planning table, inserts, updates and deletes alike.
    let mut expected = acme + 1;
    for sql in [
        "DELETE FROM milestones WHERE id = (SELECT m.id FROM milestones m JOIN tenants t ON t.id = m.tenant_id WHERE t.slug = 'acme' LIMIT 1)",
        "UPDATE deployments SET planned_end = planned_end WHERE id = (SELECT d.id FROM deployments d JOIN tenants t ON t.id = d.tenant_id WHERE t.slug = 'acme' AND d.planned_end IS NOT NULL LIMIT 1)",
        "UPDATE environments SET name = name WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'acme')",
        "UPDATE products SET colour = colour WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'acme')",
        "UPDATE product_lines SET name = name WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'acme')",
        "DELETE FROM window_exceptions WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'acme')",
        "UPDATE window_environments SET environment_id = environment_id WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'acme')",
    ] {
        sqlx::query(sql).execute(&app.owner).await.expect(sql);
        expected += 1;
        assert_eq!(plan_version(&app.owner, "acme").await, expected, "{sql}");
    }
}
