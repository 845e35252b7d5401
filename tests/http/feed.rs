//! iCalendar feeds: the feed of the demo portfolio parses (with the `ical`
//! crate, an independent parser) and its recurring windows round-trip
//! (RRULE + EXDATE + TZID + VTIMEZONE expand, with the `rrule` crate, to
//! the domain's occurrences); filters; tokens created on the profile page
//! (shown once, stored hashed, CSRF-protected) and revoked; 404 for
//! revoked, unknown and other tenants' tokens and for removed members;
//! viewers have feeds too.

use crate::helpers::{Browser, TestApp, audit_count, location, spawn_app, tenant_id, user_id};
use almanac_db::scope::in_tenant_on;
use almanac_db::windows;
use almanac_domain::TenantId;
use almanac_domain::window::Window;
use chrono::{DateTime, Duration, Utc};
use ical::parser::ical::component::{IcalCalendar, IcalEvent};
use reqwest::StatusCode;
use sqlx::PgPool;

/// Creates a feed for `tenant` on the profile page; returns the page and
/// the feed's path and query (`/acme/calendar.ics?token=...`).
async fn create_feed(b: &Browser, tenant: &str, label: &str) -> (String, String) {
    let r = b
        .post(
            "/profile",
            "/profile/feeds",
            &[("tenant", tenant), ("label", label)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "feed created");
    let html = r.text().await.expect("page");
    let marker = "id=\"feed-url\" type=\"text\" readonly value=\"";
    let start = html.find(marker).expect("the new feed's address") + marker.len();
    let url = &html[start..start + html[start..].find('"').expect("quote")];
    let url = url.replace("&#x3d;", "=").replace("&amp;", "&");
    let path = url[url.find(&format!("/{tenant}/")).expect("path")..].to_owned();
    (html, path)
}

/// A feed fetched as a calendar client would (no cookies).
async fn fetch(app: &TestApp, path: &str) -> reqwest::Response {
    let response = app.browser().get(path).await;
    assert!(
        response.headers().get("set-cookie").is_none(),
        "calendar clients get no cookies"
    );
    response
}

fn parse(text: &str) -> IcalCalendar {
    let mut parser = ical::IcalParser::new(text.as_bytes());
    let calendar = parser.next().expect("one calendar").expect("it parses");
    assert!(parser.next().is_none(), "exactly one calendar");
    calendar
}

fn prop<'a>(e: &'a IcalEvent, name: &str) -> Option<&'a str> {
    e.properties
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.as_deref())
}

fn props<'a>(e: &'a IcalEvent, name: &str) -> Vec<&'a ical::property::Property> {
    e.properties.iter().filter(|p| p.name == name).collect()
}

fn param<'a>(p: &'a ical::property::Property, name: &str) -> Option<&'a str> {
    p.params
        .as_ref()?
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.first())
        .map(String::as_str)
}

/// The property as an RFC 5545 line (for the rrule crate).
fn line(p: &ical::property::Property) -> String {
    let params: String = p
        .params
        .iter()
        .flatten()
        .map(|(k, v)| format!(";{k}={}", v.join(",")))
        .collect();
    format!("{}{params}:{}", p.name, p.value.as_deref().unwrap_or(""))
}

fn summaries(calendar: &IcalCalendar) -> Vec<String> {
    calendar
        .events
        .iter()
        .filter_map(|e| prop(e, "SUMMARY").map(str::to_owned))
        .collect()
}

/// The tenant's windows as the domain sees them (owner pool).
async fn demo_windows(owner: &PgPool, tenant: TenantId) -> Vec<Window> {
    in_tenant_on(owner.clone(), tenant, None, move |tx| {
        Box::pin(async move { windows::list(tx, tenant, &windows::Filter::default()).await })
    })
    .await
    .expect("windows")
}

#[sqlx::test(migrations = false)]
async fn the_feed_parses_and_round_trips_recurring_windows(owner: PgPool) {
    let app = spawn_app(owner).await;
    almanac::demo::load(&app.owner).await.expect("demo");
    let acme = TenantId(tenant_id(&app.owner, "acme").await);
    // Cancel the weekly window's occurrence three weeks ahead.
    let weekly = demo_windows(&app.owner, acme)
        .await
        .into_iter()
        .find(|w| w.name.as_str() == "Weekly production window")
        .expect("the weekly window");
    let now = Utc::now();
    let cancelled = weekly
        .occurrences_between(now + Duration::days(21), now + Duration::days(28))
        .into_iter()
        .find(|o| !o.cancelled)
        .expect("an occurrence that week");
    let id = weekly.id;
    let rm = user_id(&app.owner, "rm@acme.test").await;
    in_tenant_on(app.owner.clone(), acme, None, move |tx| {
        Box::pin(async move {
            windows::cancel_occurrence(tx, acme, id, cancelled.date, "test", rm.into()).await
        })
    })
    .await
    .expect("cancelled");
    let weekly = demo_windows(&app.owner, acme)
        .await
        .into_iter()
        .find(|w| w.id == id)
        .expect("weekly");

    let b = app.signed_in("rm@acme.test").await;
    let (_, path) = create_feed(&b, "acme", "Outlook").await;
    let r = fetch(&app, &path).await;
    assert_eq!(r.status(), StatusCode::OK);
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "text/calendar; charset=utf-8");
    assert!(header("cache-control").contains("private"));
    let text = r.text().await.expect("body");
    assert!(text.lines().all(|l| l.len() <= 75), "lines are folded");
    let calendar = parse(&text);

    // The weekly window: one VEVENT with RRULE, EXDATE and TZID.
    let uid = format!("window-{id}@almanac");
    let masters: Vec<&IcalEvent> = calendar
        .events
        .iter()
        .filter(|e| prop(e, "UID") == Some(uid.as_str()) && prop(e, "RECURRENCE-ID").is_none())
        .collect();
    assert_eq!(masters.len(), 1, "one event for the series, not copies");
    let master = masters[0];
    assert_eq!(prop(master, "RRULE"), Some("FREQ=WEEKLY;BYDAY=TU,TH"));
    assert_eq!(
        prop(master, "SEQUENCE"),
        Some(weekly.revision.to_string().as_str())
    );
    assert!(prop(master, "DTSTAMP").is_some());
    let dtstart = props(master, "DTSTART")[0];
    assert_eq!(param(dtstart, "TZID"), Some("America/New_York"));
    assert_eq!(
        param(props(master, "DTEND")[0], "TZID"),
        Some("America/New_York")
    );
    let exdates = props(master, "EXDATE");
    let expected_exdate = format!("{}T220000", cancelled.date.format("%Y%m%d"));
    assert!(
        exdates
            .iter()
            .any(|p| p.value.as_deref() == Some(expected_exdate.as_str())
                && param(p, "TZID") == Some("America/New_York")),
        "the cancelled occurrence is an EXDATE"
    );
    assert!(
        calendar.timezones.iter().any(|z| z
            .properties
            .iter()
            .any(|p| p.name == "TZID" && p.value.as_deref() == Some("America/New_York"))
            && !z.transitions.is_empty()),
        "a VTIMEZONE for the zone"
    );

    // Expanding the parsed rule gives the domain's next occurrences.
    let mut rule_text = vec![line(dtstart), line(props(master, "RRULE")[0])];
    rule_text.extend(exdates.iter().map(|p| line(p)));
    let set: rrule::RRuleSet = rule_text.join("\n").parse().expect("the rule parses");
    let after = now.with_timezone(&rrule::Tz::UTC);
    let from_feed: Vec<DateTime<Utc>> = set
        .after(after)
        .all(12)
        .dates
        .into_iter()
        .map(|d| d.with_timezone(&Utc))
        .collect();
    let from_domain: Vec<DateTime<Utc>> = weekly
        .occurrences_between(now, now + Duration::days(60))
        .into_iter()
        .filter(|o| !o.cancelled && o.start > now)
        .map(|o| o.start)
        .take(12)
        .collect();
    assert_eq!(from_feed, from_domain);
    assert!(!from_feed.contains(&cancelled.start));

    // Freezes, go-lives and milestones are there too.
    let names = summaries(&calendar);
    assert!(names.iter().any(|s| s.starts_with("Freeze: ")), "{names:?}");
    let freeze = calendar
        .events
        .iter()
        .find(|e| prop(e, "SUMMARY").is_some_and(|s| s.starts_with("Freeze: ")))
        .expect("a freeze");
    assert_eq!(prop(freeze, "CATEGORIES"), Some("Freeze"));
    let go_live = calendar
        .events
        .iter()
        .find(|e| prop(e, "SUMMARY").is_some_and(|s| s.ends_with(" go-live")))
        .expect("a go-live");
    assert!(
        prop(go_live, "UID").is_some_and(|u| u.starts_with("release-") && u.ends_with("@almanac"))
    );
    assert!(prop(go_live, "URL").is_some_and(|u| u.contains("/acme/releases/")));
    assert!(prop(go_live, "DESCRIPTION").is_some_and(|d| d.starts_with("Status: ")));
    assert!(
        calendar
            .events
            .iter()
            .any(|e| prop(e, "UID").is_some_and(|u| u.starts_with("milestone-"))),
        "milestones"
    );
    // Bounded: nothing older than 90 days (releases are at their start).
    let oldest = (now - Duration::days(91))
        .format("%Y%m%dT%H%M%SZ")
        .to_string();
    for e in &calendar.events {
        if prop(e, "UID").is_some_and(|u| u.starts_with("milestone-")) {
            assert!(prop(e, "DTSTART").expect("start") > oldest.as_str());
        }
    }
    // Stable: the same events (by UID) in a second fetch.
    let again = parse(&fetch(&app, &path).await.text().await.expect("body"));
    let uids = |c: &IcalCalendar| {
        let mut v: Vec<String> = c
            .events
            .iter()
            .filter_map(|e| prop(e, "UID").map(str::to_owned))
            .collect();
        v.sort();
        v
    };
    assert_eq!(uids(&calendar), uids(&again));
}

#[sqlx::test(migrations = false)]
async fn the_calendar_filters_narrow_the_feed(owner: PgPool) {
    let app = spawn_app(owner).await;
    almanac::demo::load(&app.owner).await.expect("demo");
    let b = app.signed_in("rm@acme.test").await;
    let (_, path) = create_feed(&b, "acme", "Filters").await;
    let get = |extra: &str| {
        let path = format!("{path}{extra}");
        let app = &app;
        async move {
            let r = fetch(app, &path).await;
            let status = r.status();
            (status, r.text().await.expect("body"))
        }
    };
    let (status, all) = get("").await;
    assert_eq!(status, StatusCode::OK);
    let all = summaries(&parse(&all));
    assert!(all.iter().any(|s| s.starts_with("PAY ")) && all.iter().any(|s| s.starts_with("MOB ")));

    let (_, pay) = get("&product=PAY").await;
    let pay = summaries(&parse(&pay));
    let releases: Vec<&String> = pay
        .iter()
        .filter(|s| !s.starts_with("Freeze: ") && !s.starts_with("Release window: "))
        .collect();
    assert!(!releases.is_empty());
    assert!(
        releases.iter().all(|s| s.starts_with("PAY ")),
        "{releases:?}"
    );

    let (_, staging) = get("&environment=staging").await;
    let staging = parse(&staging);
    let deployments: Vec<String> = staging
        .events
        .iter()
        .filter(|e| {
            prop(e, "UID")
                .is_some_and(|u| u.starts_with("deployment-") || u.starts_with("release-"))
        })
        .filter_map(|e| prop(e, "SUMMARY").map(str::to_owned))
        .collect();
    assert!(!deployments.is_empty());
    assert!(
        deployments.iter().all(|s| s.contains(" on staging")),
        "{deployments:?}"
    );
    // The weekly production window does not cover staging.
    assert!(
        !summaries(&staging)
            .iter()
            .any(|s| s == "Release window: Weekly production window")
    );

    let (_, released) = get("&status=released").await;
    let released = parse(&released);
    for e in &released.events {
        if prop(e, "UID").is_some_and(|u| u.starts_with("release-")) {
            assert!(prop(e, "DESCRIPTION").is_some_and(|d| d.starts_with("Status: Released")));
        }
    }

    let (_, line) = get("&line=Payments").await;
    let line = summaries(&parse(&line));
    assert!(line.iter().any(|s| s.starts_with("PAY ")));
    assert!(
        !line.iter().any(|s| s.starts_with("MOB ")),
        "Mobile is a Digital Channels product"
    );

    for bad in [
        "&product=NOPE",
        "&status=shipped",
        "&environment=moon",
        "&line=Nothing",
    ] {
        assert_eq!(get(bad).await.0, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[sqlx::test(migrations = false)]
async fn revoked_unknown_and_foreign_tokens_answer_404(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let (_, path) = create_feed(&b, "acme", "Phone").await;
    assert_eq!(fetch(&app, &path).await.status(), StatusCode::OK);
    let token = path.split("token=").nth(1).expect("token").to_owned();

    // Unknown, missing, and another tenant's URL with acme's token.
    assert_eq!(
        fetch(&app, "/acme/calendar.ics?token=nope").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fetch(&app, "/acme/calendar.ics").await.status(),
        StatusCode::NOT_FOUND
    );
    let foreign = format!("/globex/calendar.ics?token={token}");
    assert_eq!(fetch(&app, &foreign).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        fetch(&app, &format!("/nowhere/calendar.ics?token={token}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // A globex member's token does not open acme either.
    let g = app.signed_in("rm@globex.test").await;
    let (_, globex) = create_feed(&g, "globex", "Globex").await;
    assert_eq!(fetch(&app, &globex).await.status(), StatusCode::OK);
    let globex_token = globex.split("token=").nth(1).expect("token");
    let r = fetch(&app, &format!("/acme/calendar.ics?token={globex_token}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Revoking asks first, then the feed is gone.
    let (_, profile) = b.get_text("/profile").await;
    let marker = "href=\"/profile/feeds/acme/";
    let start = profile.find(marker).expect("a revoke link") + "href=\"".len();
    let revoke = &profile[start..start + profile[start..].find('"').expect("quote")];
    let (status, confirm) = b.get_text(revoke).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Revoke the feed “Phone”"));
    // Someone else cannot see or revoke it.
    let other = app.signed_in("owner@acme.test").await;
    assert_eq!(other.get(revoke).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        other.post("/profile", revoke, &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(fetch(&app, &path).await.status(), StatusCode::OK);
    // Without the CSRF token: refused.
    assert_eq!(
        b.post_raw(revoke, &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    let r = b.post(revoke, revoke, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/profile#feeds");
    assert_eq!(fetch(&app, &path).await.status(), StatusCode::NOT_FOUND);
    let (_, profile) = b.get_text("/profile").await;
    assert!(profile.contains("The feed “Phone” was revoked"));
    assert!(!profile.contains(marker), "no longer listed");
    assert_eq!(
        b.get(revoke).await.status(),
        StatusCode::NOT_FOUND,
        "revoked once"
    );
    assert_eq!(audit_count(&app.owner, "feed_token.created").await, 2);
    assert_eq!(audit_count(&app.owner, "feed_token.revoked").await, 1);
}

#[sqlx::test(migrations = false)]
async fn tokens_are_shown_once_stored_hashed_and_checked(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("qa@acme.test").await;
    let (status, profile) = b.get_text("/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert!(profile.contains("id=\"feeds\"") && profile.contains("Calendar feeds"));
    assert!(profile.contains("No feeds for Acme Financial yet"));

    // Invalid labels: 422, the input kept, nothing saved.
    let long = "x".repeat(61);
    for (label, message) in [
        ("  ", "name the feed"),
        (long.as_str(), "at most 60 characters"),
    ] {
        let r = b
            .post(
                "/profile",
                "/profile/feeds",
                &[("tenant", "acme"), ("label", label)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.expect("page");
        assert!(html.contains(message), "{message}");
    }
    // Not a member of globex: 404. Without CSRF: 403.
    let r = b
        .post(
            "/profile",
            "/profile/feeds",
            &[("tenant", "globex"), ("label", "Sneaky")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = b
        .post_raw(
            "/profile/feeds",
            &[("tenant", "acme"), ("label", "No token")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM feed_tokens")
            .fetch_one(&app.owner)
            .await
            .expect("count")
    };
    assert_eq!(count().await, 0, "nothing saved");

    let (html, path) = create_feed(&b, "acme", "Work laptop").await;
    let token = path.split("token=").nth(1).expect("token").to_owned();
    assert!(html.contains("shown only once"));
    assert!(html.contains("webcal://"));
    for client in ["Outlook", "Google Calendar", "Apple Calendar"] {
        assert!(
            html.contains(&format!("<h4>{client}</h4>")),
            "{client} instructions"
        );
    }
    // Stored as its SHA-256 only.
    let (label, hashed): (String, bool) = sqlx::query_as(
        "SELECT label, token_hash = sha256(convert_to($1, 'UTF8')) FROM feed_tokens",
    )
    .bind(&token)
    .fetch_one(&app.owner)
    .await
    .expect("row");
    assert!(hashed, "the SHA-256 of the token");
    assert_eq!(label, "Work laptop");
    // Listed afterwards, never shown again.
    let (_, profile) = b.get_text("/profile").await;
    assert!(profile.contains("Work laptop") && profile.contains("never"));
    assert!(!profile.contains(&token));
    // Using it notes when.
    assert_eq!(fetch(&app, &path).await.status(), StatusCode::OK);
    let (_, profile) = b.get_text("/profile").await;
    assert!(!profile.contains(">never<"), "last used is shown");
    // Ten at most per organisation.
    for n in 2..=10 {
        create_feed(&b, "acme", &format!("Feed {n}")).await;
    }
    let r = b
        .post(
            "/profile",
            "/profile/feeds",
            &[("tenant", "acme"), ("label", "Eleventh")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("page").contains("revoke one first"));
    assert_eq!(count().await, 10);
}

#[sqlx::test(migrations = false)]
async fn viewers_have_feeds_until_they_are_removed(owner: PgPool) {
    let app = spawn_app(owner).await;
    let exec = app.signed_in("exec@acme.test").await;
    let (_, path) = create_feed(&exec, "acme", "Board pack").await;
    let r = fetch(&app, &path).await;
    assert_eq!(r.status(), StatusCode::OK, "a viewer's feed works");
    assert!(
        r.text()
            .await
            .expect("body")
            .starts_with("BEGIN:VCALENDAR\r\n")
    );

    // The owner removes the viewer: the feed stops at once.
    let admin = app.signed_in("owner@acme.test").await;
    let exec_id = user_id(&app.owner, "exec@acme.test").await;
    let page = format!("/acme/settings/members/{exec_id}/remove");
    assert_eq!(
        admin.post(&page, &page, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(fetch(&app, &path).await.status(), StatusCode::NOT_FOUND);
    let revoked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM feed_tokens WHERE user_id = $1 AND revoked_at IS NOT NULL",
    )
    .bind(exec_id)
    .fetch_one(&app.owner)
    .await
    .expect("count");
    assert_eq!(revoked, 1, "removal revoked the token");

    // Added again, the old feed stays dead (revoked, not just unmatched).
    let r = admin
        .post(
            "/acme/settings/members",
            "/acme/settings/members",
            &[
                ("email", "exec@acme.test"),
                ("display_name", ""),
                ("role", "viewer"),
            ],
        )
        .await;
    assert!(r.status().is_success() || r.status().is_redirection());
    assert_eq!(fetch(&app, &path).await.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = false)]
async fn a_member_of_two_organisations_has_a_feed_for_each(owner: PgPool) {
    let app = spawn_app(owner).await;
    // rm@globex.test joins acme as a viewer.
    let admin = app.signed_in("owner@acme.test").await;
    admin
        .post(
            "/acme/settings/members",
            "/acme/settings/members",
            &[
                ("email", "rm@globex.test"),
                ("display_name", ""),
                ("role", "viewer"),
            ],
        )
        .await;
    let b = app.signed_in("rm@globex.test").await;
    let (_, profile) = b.get_text("/profile").await;
    assert!(profile.contains("feed-label-acme") && profile.contains("feed-label-globex"));
    let (_, acme) = create_feed(&b, "acme", "Acme").await;
    let (_, globex) = create_feed(&b, "globex", "Globex").await;
    assert_eq!(fetch(&app, &acme).await.status(), StatusCode::OK);
    assert_eq!(fetch(&app, &globex).await.status(), StatusCode::OK);
    let acme_token = acme.split("token=").nth(1).expect("token");
    let r = fetch(&app, &format!("/globex/calendar.ics?token={acme_token}")).await;
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "a token opens its own tenant only"
    );
    let text = fetch(&app, &globex).await.text().await.expect("body");
    assert!(text.contains("X-WR-TIMEZONE:Europe/Berlin"));
    let (_, profile) = b.get_text("/profile").await;
    assert_eq!(profile.matches("Revoke…").count(), 2);
}

#[sqlx::test(migrations = false)]
async fn a_kept_feed_follows_the_plan_and_never_outlives_its_token(owner: PgPool) {
    let app = spawn_app(owner).await;
    almanac::demo::load(&app.owner).await.expect("demo");
    let b = app.signed_in("rm@acme.test").await;
    let (_, path) = create_feed(&b, "acme", "Laptop").await;
    let first = fetch(&app, &path).await.text().await.expect("feed");
    let again = fetch(&app, &path).await.text().await.expect("feed");
    assert_eq!(first, again, "the same plan, the same feed");
    // A go-live in the feed's period, renamed: the feed shows the new name.
    let release: uuid::Uuid = sqlx::query_scalar(
        "SELECT r.id FROM releases r JOIN tenants t ON t.id = r.tenant_id
           JOIN deployments d ON d.tenant_id = r.tenant_id AND d.release_id = r.id
           JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
          WHERE t.slug = 'acme' AND e.is_production AND d.planned_start > now()
          ORDER BY d.planned_start LIMIT 1",
    )
    .fetch_one(&app.owner)
    .await
    .expect("upcoming release");
    sqlx::query("UPDATE releases SET version = '66.6.6' WHERE id = $1")
        .bind(release)
        .execute(&app.owner)
        .await
        .expect("rename");
    let changed = fetch(&app, &path).await.text().await.expect("feed");
    assert!(!first.contains("66.6.6"));
    assert!(changed.contains("66.6.6"), "recomputed after the change");
    // Revoking the token closes the kept feed too.
    let token = path.split("token=").nth(1).expect("token").to_owned();
    sqlx::query("UPDATE feed_tokens SET revoked_at = now() WHERE token_hash = sha256(convert_to($1, 'UTF8'))")
        .bind(&token)
        .execute(&app.owner)
        .await
        .expect("revoke");
    assert_eq!(fetch(&app, &path).await.status(), StatusCode::NOT_FOUND);
}
