//! The releases list as the dashboard links into it, on the demo
//! portfolio: every filter narrows to what an independent query finds,
//! sort orders and directions, pages and their numbers, links that keep
//! the filters, the CSV export (same rows as the list, ISO times in the
//! tenant's zone, formulas neutralised), tenancy, and the fixed number of
//! statements a page costs.

use crate::helpers::{Browser, TestApp, location, spawn_app, tenant_id};
use almanac_db::releases::{self, Filter, Order, Sort};
use almanac_domain::TenantId;
use almanac_domain::release::{ReleaseStatus, Risk};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use sqlx::{Connection, PgPool};
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

const HEADER: [&str; 15] = [
    "product_key",
    "product_name",
    "product_line",
    "version",
    "title",
    "type",
    "status",
    "risk",
    "owner",
    "train",
    "go_live",
    "actual_go_live",
    "baseline_go_live",
    "slip_days",
    "created_at",
];

const NEW_YORK: &str = "America/New_York";

async fn demo_app(owner: PgPool) -> TestApp {
    let app = spawn_app(owner).await;
    almanac::demo::load(&app.owner).await.expect("demo");
    app
}

/// `&#38;` (askama's escape) or `&amp;` in an attribute back to `&`.
fn unescape(href: &str) -> String {
    href.replace("&#38;", "&").replace("&amp;", "&")
}

/// The value of the first `attr="…"` after `marker` in `html`.
fn attr_after(html: &str, marker: &str, attr: &str) -> Option<String> {
    let at = html.find(marker)?;
    let rest = &html[at..];
    let start = rest.find(&format!("{attr}=\""))? + attr.len() + 2;
    let end = rest[start..].find('"')? + start;
    Some(unescape(&rest[start..end]))
}

/// The release ids of a list page's rows, in order.
fn row_ids(html: &str) -> Vec<Uuid> {
    let marker = "<td><a href=\"/";
    html.match_indices(marker)
        .filter_map(|(i, _)| {
            let rest = &html[i + marker.len()..];
            let rest = &rest[rest.find("/releases/")? + "/releases/".len()..];
            Uuid::parse_str(rest.get(..36)?).ok()
        })
        .collect()
}

/// (first, last, total) of "Showing 51–100 of 843".
fn showing(html: &str) -> (i64, i64, i64) {
    let at = html.find("Showing ").expect("a Showing line") + "Showing ".len();
    let text: String = html[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || " –,of".contains(*c))
        .collect();
    let numbers: Vec<i64> = text
        .replace(',', "")
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("number"))
        .collect();
    assert_eq!(numbers.len(), 3, "{text}");
    (numbers[0], numbers[1], numbers[2])
}

/// Every release the list shows at `path`, following its "Next" links,
/// and the total it states (0 with the empty state).
async fn listed(b: &Browser, path: &str) -> (Vec<Uuid>, i64) {
    let (status, html) = b.get_text(path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    if html.contains("No releases match these filters") {
        return (Vec::new(), 0);
    }
    let (_, _, total) = showing(&html);
    let mut ids = row_ids(&html);
    let mut html = html;
    while let Some(next) = attr_after(&html, "rel=\"next\"", "href") {
        assert!(ids.len() < 1_000, "{path}: still a next page at {next}");
        let (status, page) = b.get_text(&next).await;
        assert_eq!(status, StatusCode::OK, "{next}");
        ids.extend(row_ids(&page));
        html = page;
    }
    assert_eq!(i64::try_from(ids.len()).expect("small"), total, "{path}");
    (ids, total)
}

/// The acme releases for which `predicate` holds, over `r` (releases),
/// `p` (products) and `g` (the production deployment: `planned_start`,
/// `actual_start`).
async fn expected(owner: &PgPool, predicate: &str) -> BTreeSet<Uuid> {
    let tenant = tenant_id(owner, "acme").await;
    sqlx::query_scalar::<_, Uuid>(&format!(
        "SELECT r.id
           FROM releases r
           JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
           LEFT JOIN LATERAL (
                SELECT d.planned_start, d.actual_start
                  FROM deployments d
                  JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
                 WHERE d.tenant_id = r.tenant_id AND d.release_id = r.id AND e.is_production
                 ORDER BY e.archived LIMIT 1) g ON true
          WHERE r.tenant_id = $1 AND ({predicate})"
    ))
    .bind(tenant)
    .fetch_all(owner)
    .await
    .expect("expected releases")
    .into_iter()
    .collect()
}

async fn scalar<T>(owner: &PgPool, sql: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
{
    sqlx::query_scalar(sql)
        .fetch_one(owner)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The demo release nearest to now whose go-live is late in the New York
/// evening, on the next day in UTC: (id, its New York day).
async fn late_evening_release(owner: &PgPool) -> (Uuid, NaiveDate) {
    sqlx::query_as(
        "SELECT r.id, (d.planned_start AT TIME ZONE 'America/New_York')::date
           FROM releases r
           JOIN tenants t ON t.id = r.tenant_id
           JOIN deployments d ON d.tenant_id = r.tenant_id AND d.release_id = r.id
           JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
          WHERE t.slug = 'acme' AND e.is_production
            AND (d.planned_start AT TIME ZONE 'America/New_York')::date
                <> (d.planned_start AT TIME ZONE 'UTC')::date
          ORDER BY abs(extract(epoch FROM d.planned_start - now())) LIMIT 1",
    )
    .fetch_one(owner)
    .await
    .expect("a go-live late in the New York evening")
}

/// (go-live, actual go-live, baseline, created) of a release.
type Times = (
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

/// The CSV at `path`: its response headers and its rows by column name.
async fn csv_of(
    b: &Browser,
    path: &str,
) -> (reqwest::header::HeaderMap, Vec<HashMap<String, String>>) {
    let r = b.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let headers = r.headers().clone();
    let text = r.text().await.expect("body");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header row")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, HEADER, "{path}");
    let rows = reader
        .records()
        .map(|r| {
            let r = r.expect("a record as wide as the header");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect();
    (headers, rows)
}

/// `PAY 2.4.0` of each release id (owner pool).
async fn labels(owner: &PgPool) -> HashMap<Uuid, String> {
    sqlx::query_as::<_, (Uuid, String)>(
        "SELECT r.id, p.key || ' ' || r.version
           FROM releases r JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id",
    )
    .fetch_all(owner)
    .await
    .expect("labels")
    .into_iter()
    .collect()
}

fn label(row: &HashMap<String, String>) -> String {
    format!("{} {}", row["product_key"], row["version"])
}

fn instant(cell: &str) -> Option<DateTime<Utc>> {
    (!cell.is_empty()).then(|| {
        DateTime::parse_from_rfc3339(cell)
            .unwrap_or_else(|e| panic!("{cell}: {e}"))
            .with_timezone(&Utc)
    })
}

/// `2.10.0` after `2.9.0`: runs of digits zero-padded so they compare as
/// numbers, the runs between them as they are (byte order).
fn version_key(v: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = v;
    while let Some(c) = rest.chars().next() {
        let digit = c.is_ascii_digit();
        let end = rest
            .find(|x: char| x.is_ascii_digit() != digit)
            .unwrap_or(rest.len());
        let run = &rest[..end];
        parts.push(if digit {
            format!("{run:0>40}")
        } else {
            run.to_owned()
        });
        rest = &rest[end..];
    }
    parts
}

/// The order `sort` promises between two exported rows (ties by product
/// key, then version: numbers as numbers, by go-live byte order).
fn compare(
    sort: &str,
    descending: bool,
    a: &HashMap<String, String>,
    b: &HashMap<String, String>,
) -> Ordering {
    let flip = |o: Ordering| if descending { o.reverse() } else { o };
    let status = |r: &HashMap<String, String>| {
        ReleaseStatus::ALL
            .iter()
            .position(|s| s.as_str() == r["status"])
            .expect("status")
    };
    let risk = |r: &HashMap<String, String>| {
        Risk::ALL
            .iter()
            .position(|s| s.as_str() == r["risk"])
            .expect("risk")
    };
    let primary = match sort {
        "product" => flip(a["product_key"].cmp(&b["product_key"])),
        "version" => flip(version_key(&a["version"]).cmp(&version_key(&b["version"]))),
        "status" => flip(status(a).cmp(&status(b))),
        "risk" => flip(risk(a).cmp(&risk(b))),
        "created" => flip(instant(&a["created_at"]).cmp(&instant(&b["created_at"]))),
        "go_live" => match (instant(&a["go_live"]), instant(&b["go_live"])) {
            (Some(x), Some(y)) => flip(x.cmp(&y)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
        other => panic!("no sort {other}"),
    };
    let version = if sort == "go_live" {
        a["version"].as_bytes().cmp(b["version"].as_bytes())
    } else {
        version_key(&a["version"]).cmp(&version_key(&b["version"]))
    };
    primary
        .then_with(|| a["product_key"].cmp(&b["product_key"]))
        .then(version)
}

/// Creates a release with `title` and no go-live through the page.
async fn unscheduled_release(app: &TestApp, b: &Browser, version: &str, title: &str) -> Uuid {
    let tenant = tenant_id(&app.owner, "acme").await;
    let product: Uuid =
        sqlx::query_scalar("SELECT id FROM products WHERE tenant_id = $1 AND key = 'PAY'")
            .bind(tenant)
            .fetch_one(&app.owner)
            .await
            .expect("PAY");
    let prod: Uuid = sqlx::query_scalar(
        "SELECT id FROM environments WHERE tenant_id = $1 AND is_production AND NOT archived",
    )
    .bind(tenant)
    .fetch_one(&app.owner)
    .await
    .expect("production");
    let (product, prod) = (product.to_string(), prod.to_string());
    let form = [
        ("product", product.as_str()),
        ("version", version),
        ("title", title),
        ("type", "minor"),
        ("risk", "low"),
        ("owner", ""),
        ("train", ""),
        ("template", ""),
        ("notes", ""),
        ("env", prod.as_str()),
    ];
    let r = b
        .post("/acme/releases/new", "/acme/releases/new", &form)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "release created");
    let to = location(&r);
    Uuid::parse_str(to.rsplit('/').next().unwrap_or_default())
        .unwrap_or_else(|_| panic!("redirect to the release, got {to}"))
}

#[sqlx::test(migrations = false)]
async fn each_filter_narrows_to_the_releases_it_names(owner: PgPool) {
    let app = demo_app(owner).await;
    let o = &app.owner;
    let b = app.signed_in("rm@acme.test").await;
    let all = expected(o, "true").await;
    let (ids, total) = listed(&b, "/acme/releases").await;
    assert_eq!(ids.iter().copied().collect::<BTreeSet<_>>(), all);
    assert_eq!(total, i64::try_from(all.len()).expect("small"));

    let pay: Uuid = scalar(o, "SELECT p.id FROM products p JOIN tenants t ON t.id = p.tenant_id WHERE t.slug = 'acme' AND p.key = 'PAY'").await;
    let line: Uuid = scalar(o, "SELECT l.id FROM product_lines l JOIN tenants t ON t.id = l.tenant_id WHERE t.slug = 'acme' ORDER BY l.name LIMIT 1").await;
    let train: Uuid = scalar(o, "SELECT r.release_train_id FROM releases r JOIN tenants t ON t.id = r.tenant_id WHERE t.slug = 'acme' AND r.release_train_id IS NOT NULL LIMIT 1").await;
    let (late, late_day) = late_evening_release(o).await;
    let shipped_from: NaiveDate = scalar(o, "SELECT (min(d.actual_start) AT TIME ZONE 'America/New_York')::date + 20 FROM deployments d JOIN environments e ON e.id = d.environment_id JOIN tenants t ON t.id = d.tenant_id WHERE t.slug = 'acme' AND e.is_production").await;
    let shipped_to = shipped_from + Duration::days(45);
    let some: Vec<Uuid> = all.iter().copied().step_by(9).take(6).collect();
    let globex: Uuid = scalar(o, "SELECT r.id FROM releases r JOIN tenants t ON t.id = r.tenant_id WHERE t.slug = 'globex' LIMIT 1").await;
    let some_ids = some
        .iter()
        .chain([&globex])
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let local = |column: &str| format!("(g.{column} AT TIME ZONE '{NEW_YORK}')::date");
    let cases: Vec<(String, String)> = vec![
        (format!("product={pay}"), format!("r.product_id = '{pay}'")),
        (
            format!("line={line}"),
            format!("p.product_line_id = '{line}'"),
        ),
        ("status=scheduled".into(), "r.status = 'scheduled'".into()),
        ("type=hotfix".into(), "r.type = 'hotfix'".into()),
        ("risk=high".into(), "r.risk = 'high'".into()),
        (
            format!("train={train}"),
            format!("r.release_train_id = '{train}'"),
        ),
        (
            "q=FIX".into(),
            "r.version ILIKE '%fix%' OR r.title ILIKE '%fix%'".into(),
        ),
        (
            format!("from={late_day}&to={late_day}"),
            format!("{} = '{late_day}'", local("planned_start")),
        ),
        (
            format!("from={}", late_day + Duration::days(1)),
            format!("{} > '{late_day}'", local("planned_start")),
        ),
        (
            format!("to={late_day}"),
            format!("{} <= '{late_day}'", local("planned_start")),
        ),
        (
            format!("shipped_from={shipped_from}&shipped_to={shipped_to}"),
            format!(
                "{} BETWEEN '{shipped_from}' AND '{shipped_to}'",
                local("actual_start")
            ),
        ),
        (
            format!("ids={some_ids}"),
            format!(
                "r.id IN ({})",
                some.iter()
                    .map(|id| format!("'{id}'"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ),
        (
            format!("risk=high&line={line}&sort=version&dir=desc"),
            format!("r.risk = 'high' AND p.product_line_id = '{line}'"),
        ),
    ];
    for (query, predicate) in cases {
        let want = expected(o, &predicate).await;
        assert!(
            !want.is_empty() && want.len() < all.len(),
            "{query} should narrow the demo ({} of {})",
            want.len(),
            all.len()
        );
        let (ids, total) = listed(&b, &format!("/acme/releases?{query}")).await;
        assert_eq!(
            ids.iter().copied().collect::<BTreeSet<_>>(),
            want,
            "{query}"
        );
        assert_eq!(total, i64::try_from(want.len()).expect("small"), "{query}");
    }

    // The day is the viewer's: the 22:00 New York go-live is on the next
    // day in UTC and is listed on its New York day.
    let (ids, _) = listed(&b, &format!("/acme/releases?from={late_day}&to={late_day}")).await;
    assert!(ids.contains(&late));
    // A viewer in Tokyo reads the same URL as Tokyo days.
    sqlx::query("UPDATE users SET time_zone = 'Asia/Tokyo' WHERE email = 'exec@acme.test'")
        .execute(o)
        .await
        .expect("zone");
    let exec = app.signed_in("exec@acme.test").await;
    let (ids, _) = listed(
        &exec,
        &format!("/acme/releases?from={late_day}&to={late_day}"),
    )
    .await;
    assert!(!ids.contains(&late), "on the next day in Tokyo");
    assert_eq!(
        ids.into_iter().collect::<BTreeSet<_>>(),
        expected(
            o,
            &format!("(g.planned_start AT TIME ZONE 'Asia/Tokyo')::date = '{late_day}'")
        )
        .await
    );

    // Values that name nothing are ignored (and dropped from the links).
    let (status, html) = b
        .get_text("/acme/releases?status=shipped&product=PAY&from=2026-02-30&sort=colour&page=x")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(showing(&html).2, i64::try_from(all.len()).expect("small"));
    let next = attr_after(&html, "rel=\"next\"", "href").expect("a next page");
    assert_eq!(next, "/acme/releases?page=2");

    // An exact set is never widened: the dashboard's empty set lists
    // nothing, entries that are not ids name no release.
    let (_, html) = b.get_text("/acme/releases?ids=none").await;
    assert!(html.contains("No releases match these filters"));
    assert!(html.contains("(0 named)"));
    let one = some[0];
    let (ids, total) = listed(&b, &format!("/acme/releases?ids={one},nope")).await;
    assert_eq!((ids, total), (vec![one], 1));
}

#[sqlx::test(migrations = false)]
async fn sort_orders_and_directions_hold_on_the_list_and_the_export(owner: PgPool) {
    let app = demo_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let unscheduled = unscheduled_release(&app, &b, "2.10.0-rc1", "Not yet scheduled").await;
    let labels = labels(&app.owner).await;
    let total = expected(&app.owner, "true").await.len();
    for sort in ["go_live", "product", "version", "status", "risk", "created"] {
        for dir in ["asc", "desc"] {
            let query = format!("sort={sort}&dir={dir}");
            let (_, rows) = csv_of(&b, &format!("/acme/releases.csv?{query}")).await;
            assert_eq!(rows.len(), total, "{query}");
            for pair in rows.windows(2) {
                assert_eq!(
                    compare(sort, dir == "desc", &pair[0], &pair[1]),
                    Ordering::Less,
                    "{query}: {} before {}",
                    label(&pair[0]),
                    label(&pair[1])
                );
            }
            // The list's pages in the same order.
            let (ids, _) = listed(&b, &format!("/acme/releases?{query}")).await;
            let listed: Vec<&String> = ids.iter().map(|id| &labels[id]).collect();
            let exported: Vec<String> = rows.iter().map(label).collect();
            assert_eq!(listed, exported.iter().collect::<Vec<_>>(), "{query}");
            if sort == "go_live" {
                assert_eq!(ids.last(), Some(&unscheduled), "{query}: unscheduled last");
            }
        }
    }

    // KYC 2.10.0 after KYC 2.9.0: numbers compare as numbers.
    let (_, rows) = csv_of(&b, "/acme/releases.csv?sort=version&product=").await;
    let at = |v: &str| rows.iter().position(|r| r["version"] == v);
    if let (Some(nine), Some(ten)) = (at("2.9.0"), at("2.10.0")) {
        assert!(nine < ten, "2.9.0 before 2.10.0");
    }

    // The default: upcoming soonest first, then unscheduled, then past
    // most recent first.
    let (_, rows) = csv_of(&b, "/acme/releases.csv").await;
    let yesterday = Utc::now() - Duration::days(1);
    let groups: Vec<(u8, Option<DateTime<Utc>>)> = rows
        .iter()
        .map(|r| match instant(&r["go_live"]) {
            Some(t) if t >= yesterday => (0, Some(t)),
            None => (1, None),
            Some(t) => (2, Some(t)),
        })
        .collect();
    assert!(
        groups.windows(2).all(|w| w[0].0 <= w[1].0),
        "upcoming, unscheduled, past"
    );
    assert!(groups.iter().any(|g| g.0 == 0) && groups.iter().any(|g| g.0 == 2));
    for w in groups.windows(2) {
        match (w[0], w[1]) {
            ((0, Some(a)), (0, Some(b))) => assert!(a <= b, "upcoming soonest first"),
            ((2, Some(a)), (2, Some(b))) => assert!(a >= b, "past most recent first"),
            _ => {}
        }
    }
    let (ids, _) = listed(&b, "/acme/releases").await;
    assert_eq!(
        ids.iter().map(|id| labels[id].clone()).collect::<Vec<_>>(),
        rows.iter().map(label).collect::<Vec<_>>()
    );
}

#[sqlx::test(migrations = false)]
async fn pages_say_what_they_show_and_links_keep_the_filters(owner: PgPool) {
    let app = demo_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let total = expected(&app.owner, "true").await.len();
    assert!(total > 50, "the demo fills more than a page ({total})");
    let total = i64::try_from(total).expect("small");
    let last = (total + 49) / 50;

    let (_, first) = b.get_text("/acme/releases?sort=product&dir=desc").await;
    assert_eq!(showing(&first), (1, 50, total));
    assert_eq!(row_ids(&first).len(), 50);
    assert!(!first.contains("rel=\"prev\""));
    let next = attr_after(&first, "rel=\"next\"", "href").expect("next");
    assert_eq!(next, "/acme/releases?sort=product&dir=desc&page=2");
    let (_, second) = b.get_text(&next).await;
    assert_eq!(showing(&second), (51, 100.min(total), total));
    assert_eq!(
        attr_after(&second, "rel=\"prev\"", "href").as_deref(),
        Some("/acme/releases?sort=product&dir=desc")
    );
    let mut seen: BTreeSet<Uuid> = row_ids(&first).into_iter().collect();
    for page in 2..=last {
        let (_, html) = b
            .get_text(&format!("/acme/releases?sort=product&dir=desc&page={page}"))
            .await;
        let shown = showing(&html);
        assert_eq!(shown, ((page - 1) * 50 + 1, (page * 50).min(total), total));
        assert_eq!(html.contains("rel=\"next\""), page < last, "page {page}");
        seen.extend(row_ids(&html));
    }
    assert_eq!(
        seen.len(),
        usize::try_from(total).expect("small"),
        "pages do not overlap"
    );
    // Past the last page: the last page.
    let (_, far) = b
        .get_text("/acme/releases?sort=product&dir=desc&page=99")
        .await;
    assert_eq!(showing(&far), ((last - 1) * 50 + 1, total, total));

    // Filters, sort and the health drill-down stay on every link.
    let (_, html) = b
        .get_text("/acme/releases?risk=high&health=at_risk&sort=risk&dir=desc&status=")
        .await;
    let kept = "risk=high&health=at_risk";
    let risk_header = attr_after(&html, "aria-sort=\"descending\"", "href").expect("sorted header");
    assert_eq!(
        risk_header,
        format!("/acme/releases?{kept}&sort=risk&dir=asc")
    );
    let product_header = attr_after(
        &html,
        "href=\"/acme/releases?risk=high&#38;health=at_risk&#38;sort=product",
        "href",
    )
    .expect("product header");
    assert_eq!(
        product_header,
        format!("/acme/releases?{kept}&sort=product&dir=asc")
    );
    assert_eq!(
        html.matches("aria-sort=").count(),
        1,
        "only the sorted column"
    );
    assert!(html.contains(&format!(
        "href=\"/acme/releases.csv?{}&#38;sort=risk&#38;dir=desc\">Export CSV</a>",
        kept.replace('&', "&#38;")
    )));
    assert!(
        html.contains("<option value=\"at_risk\" selected>At risk</option>"),
        "the health filter is kept in its select"
    );
    assert!(html.contains("<input type=\"hidden\" name=\"sort\" value=\"risk\">"));
    assert!(html.contains("<input type=\"hidden\" name=\"dir\" value=\"desc\">"));
    // The default order says so on its go-live column.
    let (_, html) = b.get_text("/acme/releases").await;
    assert!(html.contains("aria-sort=\"other\""));
    assert!(html.contains("upcoming and unscheduled releases first"));
}

#[sqlx::test(migrations = false)]
async fn the_export_has_the_lists_rows_with_zone_offsets(owner: PgPool) {
    let app = demo_app(owner).await;
    let o = &app.owner;
    let b = app.signed_in("rm@acme.test").await;
    let (late, late_day) = late_evening_release(o).await;
    let labels = labels(o).await;
    let pay: Uuid = scalar(o, "SELECT p.id FROM products p JOIN tenants t ON t.id = p.tenant_id WHERE t.slug = 'acme' AND p.key = 'PAY'").await;
    for query in [
        String::new(),
        "risk=high".to_owned(),
        format!("product={pay}&sort=created&dir=desc"),
        format!("to={late_day}"),
        "status=released&shipped_from=2020-01-01&shipped_to=2099-12-31".to_owned(),
        "q=nothing-matches-this".to_owned(),
    ] {
        let (_, total) = listed(&b, &format!("/acme/releases?{query}")).await;
        let (_, rows) = csv_of(&b, &format!("/acme/releases.csv?{query}")).await;
        assert_eq!(i64::try_from(rows.len()).expect("small"), total, "{query}");
    }

    let (h, rows) = csv_of(&b, "/acme/releases.csv").await;
    assert_eq!(h["content-type"], "text/csv; charset=utf-8");
    assert_eq!(h["cache-control"], "no-store");
    let today = Utc::now()
        .with_timezone(&chrono_tz::America::New_York)
        .format("%Y-%m-%d");
    assert_eq!(
        h["content-disposition"],
        format!("attachment; filename=\"acme-releases-{today}.csv\"").as_str()
    );
    // Times carry New York's offset and name the same instants.
    let (planned, actual, baseline, created): Times = sqlx::query_as(
        "SELECT d.planned_start, d.actual_start, r.baseline_go_live, r.created_at
           FROM releases r
           JOIN deployments d ON d.tenant_id = r.tenant_id AND d.release_id = r.id
           JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
          WHERE r.id = $1 AND e.is_production",
    )
    .bind(late)
    .fetch_one(o)
    .await
    .expect("late release");
    let row = rows
        .iter()
        .find(|r| label(r) == labels[&late])
        .expect("exported");
    let ny = |t: DateTime<Utc>| {
        t.with_timezone(&chrono_tz::America::New_York)
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    };
    let go_live = planned.expect("go-live");
    assert_eq!(row["go_live"], ny(go_live));
    assert!(row["go_live"].starts_with(&late_day.to_string()));
    assert!(row["go_live"].ends_with("-05:00") || row["go_live"].ends_with("-04:00"));
    assert_eq!(row["actual_go_live"], actual.map(ny).unwrap_or_default());
    assert_eq!(
        row["baseline_go_live"],
        baseline.map(ny).unwrap_or_default()
    );
    assert_eq!(row["created_at"], ny(created));
    for r in &rows {
        for column in [
            "go_live",
            "actual_go_live",
            "baseline_go_live",
            "created_at",
        ] {
            let cell = &r[column];
            assert!(
                cell.is_empty() || cell.ends_with("-05:00") || cell.ends_with("-04:00"),
                "{column}: {cell}"
            );
        }
    }
    // Slip: actual go-live − baseline, in days.
    let shipped = rows
        .iter()
        .find(|r| !r["actual_go_live"].is_empty() && !r["baseline_go_live"].is_empty())
        .expect("a shipped release with a baseline");
    let days = (instant(&shipped["actual_go_live"]).expect("actual")
        - instant(&shipped["baseline_go_live"]).expect("baseline"))
    .num_seconds() as f64
        / 86_400.0;
    let exported: f64 = shipped["slip_days"].parse().expect("a number");
    assert!((exported - days).abs() <= 0.005, "{exported} vs {days}");

    // The tenant's zone, whoever exports: a viewer in Tokyo gets the same file.
    sqlx::query("UPDATE users SET time_zone = 'Asia/Tokyo' WHERE email = 'exec@acme.test'")
        .execute(o)
        .await
        .expect("zone");
    let exec = app.signed_in("exec@acme.test").await;
    let (_, theirs) = csv_of(&exec, "/acme/releases.csv").await;
    assert_eq!(theirs, rows);
}

#[sqlx::test(migrations = false)]
async fn formulas_in_titles_are_exported_as_text(owner: PgPool) {
    let app = demo_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    unscheduled_release(&app, &b, "9.9.9", "=SUM(1)").await;
    unscheduled_release(&app, &b, "9.9.10", "Totals, \"quoted\" and\tmore").await;
    let (_, html) = b.get_text("/acme/releases?q=SUM").await;
    assert!(
        html.contains("<td>=SUM(1)</td>"),
        "shown as typed on the page"
    );
    let (_, rows) = csv_of(&b, "/acme/releases.csv?q=SUM").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["title"], "'=SUM(1)");
    assert_eq!(rows[0]["go_live"], "", "not scheduled");
    let (_, rows) = csv_of(&b, "/acme/releases.csv?q=quoted").await;
    assert_eq!(rows[0]["title"], "Totals, \"quoted\" and\tmore");
}

#[sqlx::test(migrations = false)]
async fn another_tenants_releases_never_appear(owner: PgPool) {
    let app = demo_app(owner).await;
    let o = &app.owner;
    let globex_ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT r.id FROM releases r JOIN tenants t ON t.id = r.tenant_id WHERE t.slug = 'globex'",
    )
    .fetch_all(o)
    .await
    .expect("globex releases");
    assert!(!globex_ids.is_empty());
    let globex_keys: BTreeSet<String> = sqlx::query_scalar(
        "SELECT p.key FROM products p JOIN tenants t ON t.id = p.tenant_id WHERE t.slug = 'globex'",
    )
    .fetch_all(o)
    .await
    .expect("globex keys")
    .into_iter()
    .collect();

    let greta = app.signed_in("rm@globex.test").await;
    let (ids, total) = listed(&greta, "/globex/releases").await;
    assert_eq!(
        ids.into_iter().collect::<BTreeSet<_>>(),
        globex_ids.iter().copied().collect()
    );
    assert_eq!(total, i64::try_from(globex_ids.len()).expect("small"));
    let (_, rows) = csv_of(&greta, "/globex/releases.csv?sort=product").await;
    assert_eq!(rows.len(), globex_ids.len());
    assert!(rows.iter().all(|r| globex_keys.contains(&r["product_key"])));
    assert!(
        rows.iter().all(|r| r["go_live"].is_empty()
            || r["go_live"].ends_with("+01:00")
            || r["go_live"].ends_with("+02:00")),
        "Berlin's offsets"
    );
    for path in ["/acme/releases", "/acme/releases.csv"] {
        assert_eq!(
            greta.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }

    // Globex's ids in acme's list name nothing there.
    let rami = app.signed_in("rm@acme.test").await;
    let ids = globex_ids
        .iter()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let (listed_ids, total) = listed(&rami, &format!("/acme/releases?ids={ids}")).await;
    assert!(listed_ids.is_empty() && total == 0);
    let (_, rows) = csv_of(&rami, &format!("/acme/releases.csv?ids={ids}")).await;
    assert!(rows.is_empty());
    let (_, rows) = csv_of(&rami, "/acme/releases.csv").await;
    assert!(
        rows.iter()
            .all(|r| !globex_keys.contains(&r["product_key"]))
    );
}

#[sqlx::test(migrations = false)]
async fn viewers_can_export_and_strangers_cannot(owner: PgPool) {
    let app = demo_app(owner).await;
    let exec = app.signed_in("exec@acme.test").await;
    let (_, html) = exec.get_text("/acme/releases").await;
    assert!(html.contains(">Export CSV</a>") && !html.contains("New release"));
    let (_, rows) = csv_of(&exec, "/acme/releases.csv?risk=low").await;
    assert_eq!(
        rows.len(),
        expected(&app.owner, "r.risk = 'low'").await.len()
    );
    let r = app.browser().get("/acme/releases.csv").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/login"));
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

/// Statements of counting and reading one page in `order`.
async fn statements_of_page(owner: &PgPool, tenant: TenantId, order: Order, page: i64) -> i64 {
    let mut conn = sqlx::PgConnection::connect_with(&owner.connect_options())
        .await
        .expect("connection");
    let before = executions(&mut conn).await;
    let after_probe = executions(&mut conn).await;
    let filter = Filter::default();
    releases::count(&mut conn, tenant, &filter)
        .await
        .expect("count");
    let rows = releases::list(&mut conn, tenant, &filter, order, (page - 1) * 50, 50)
        .await
        .expect("list");
    assert!(!rows.is_empty());
    let after = executions(&mut conn).await;
    after - after_probe - (after_probe - before)
}

#[sqlx::test(migrations = false)]
async fn a_page_costs_a_fixed_number_of_statements(owner: PgPool) {
    let app = demo_app(owner).await;
    let tenant = TenantId(tenant_id(&app.owner, "acme").await);
    let b = app.signed_in("rm@acme.test").await;
    let orders = [
        Order::default(),
        Order {
            sort: Sort::GoLive,
            descending: true,
        },
        Order {
            sort: Sort::Version,
            descending: false,
        },
    ];
    let mut before = Vec::new();
    for order in orders {
        for page in [1, 2] {
            let n = statements_of_page(&app.owner, tenant, order, page).await;
            assert!((2..=4).contains(&n), "{order:?} page {page}: {n}");
            before.push(n);
        }
    }
    // Forty more releases: the same statements.
    for i in 0..40 {
        unscheduled_release(&app, &b, &format!("77.{i}.0"), "More").await;
    }
    let mut after = Vec::new();
    for order in orders {
        for page in [1, 2] {
            after.push(statements_of_page(&app.owner, tenant, order, page).await);
        }
    }
    assert_eq!(before, after);
}

#[sqlx::test(migrations = false)]
async fn a_large_export_says_what_the_list_says(owner: PgPool) {
    let app = demo_app(owner).await;
    let tenant = tenant_id(&app.owner, "acme").await;
    // 1,050 more releases, every other one shipped: exports past a
    // thousand rows read every production deployment at once.
    sqlx::query(
        "WITH product AS (
             INSERT INTO products (tenant_id, id, key, name) VALUES ($1, gen_random_uuid(), 'BULK', 'Bulk')
             RETURNING id
         ), made AS (
             INSERT INTO releases (tenant_id, id, product_id, version, title, type)
             SELECT $1, gen_random_uuid(), product.id, '1.0.' || g, 'Bulk ' || g, 'patch'
               FROM product, generate_series(1, 1050) g
             RETURNING id, version
         )
         INSERT INTO deployments (tenant_id, id, release_id, environment_id,
                                  planned_start, planned_end, actual_start)
         SELECT $1, gen_random_uuid(), made.id, e.id,
                now() + (split_part(made.version, '.', 3)::int - 525) * interval '7 hours',
                now() + (split_part(made.version, '.', 3)::int - 525) * interval '7 hours' + interval '1 hour',
                CASE WHEN split_part(made.version, '.', 3)::int % 2 = 0
                     THEN now() + (split_part(made.version, '.', 3)::int - 525) * interval '7 hours' END
           FROM made, environments e
          WHERE e.tenant_id = $1 AND e.is_production AND NOT e.archived",
    )
    .bind(tenant)
    .execute(&app.owner)
    .await
    .expect("bulk releases");
    let b = app.signed_in("rm@acme.test").await;
    let total = expected(&app.owner, "true").await.len();
    assert!(total > 1_000);
    let demo_ids: Vec<String> = sqlx::query_scalar::<_, Uuid>(
        "SELECT r.id FROM releases r JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
          WHERE r.tenant_id = $1 AND p.key <> 'BULK'",
    )
    .bind(tenant)
    .fetch_all(&app.owner)
    .await
    .expect("demo ids")
    .iter()
    .map(Uuid::to_string)
    .collect();
    assert!(demo_ids.len() <= 500);
    let demo_ids = demo_ids.join(",");
    for query in ["", "sort=go_live&dir=desc", "sort=version"] {
        let (_, all) = csv_of(&b, &format!("/acme/releases.csv?{query}")).await;
        assert_eq!(all.len(), total, "{query}");
        // The demo's releases, exported alone (looked up one by one), are
        // the same rows in the same order.
        let (_, demo) = csv_of(&b, &format!("/acme/releases.csv?{query}&ids={demo_ids}")).await;
        let demo_only: Vec<&HashMap<String, String>> =
            all.iter().filter(|r| r["product_key"] != "BULK").collect();
        assert_eq!(demo.iter().collect::<Vec<_>>(), demo_only, "{query}");
        let shipped = all
            .iter()
            .filter(|r| r["product_key"] == "BULK" && !r["actual_go_live"].is_empty())
            .count();
        assert_eq!(shipped, 525, "{query}");
    }
    // Deep pages of the list agree with the export too: page 20 still reads
    // go-lives in index order, page 21 sorts.
    let (_, all) = csv_of(&b, "/acme/releases.csv").await;
    let labels = labels(&app.owner).await;
    for page in [20, 21] {
        let (_, html) = b.get_text(&format!("/acme/releases?page={page}")).await;
        let shown: Vec<String> = row_ids(&html).iter().map(|id| labels[id].clone()).collect();
        let want: Vec<String> = all
            .iter()
            .skip((page - 1) * 50)
            .take(50)
            .map(label)
            .collect();
        assert_eq!(shown, want, "page {page}");
    }
}
