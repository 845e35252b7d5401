//! `/{tenant}/releases.csv`: the releases list as CSV, with the list's
//! filters and sort ([`super::list`]), every matching release up to
//! [`EXPORT_LIMIT`] (then a note row says so). Times are ISO 8601 in the
//! tenant's zone, so every viewer's export of the same list agrees.

use super::query::ListQuery;
use crate::auth::Ctx;
use crate::csv_export::{self, CsvFile};
use crate::error::AppError;
use crate::state::AppState;
use almanac_db::releases::{self, ListedRelease};
use almanac_domain::TimeZone;
use almanac_domain::release::slip;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// At most this many releases are exported.
pub const EXPORT_LIMIT: i64 = 50_000;

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

pub async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let params = query.params();
    let app = state.clone();
    let (visit, mut rows) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            let app = app.clone();
            Box::pin(async move {
                let tenant = visit.tenant()?.id;
                // The viewer's days, as on the list the button is on.
                let filter = params.drill_down(tx, &app, visit).await?;
                // One more than exported tells whether there are more.
                let order = params.order();
                Ok(releases::list(tx, tenant, &filter, order, 0, EXPORT_LIMIT + 1).await?)
            })
        })
        .await?;
    let tenant = visit.tenant()?;
    let tz = TimeZone::parse(&tenant.time_zone)
        .unwrap_or(TimeZone::UTC)
        .tz();
    let limit = usize::try_from(EXPORT_LIMIT).unwrap_or(usize::MAX);
    let capped = rows.len() > limit;
    rows.truncate(limit);
    // Tens of thousands of rows: written off the async workers.
    let body = tokio::task::spawn_blocking(move || write(&rows, capped, tz))
        .await
        .map_err(|e| AppError::Internal(Box::new(e)))??;
    let today = Utc::now().with_timezone(&tz).format("%Y-%m-%d");
    Ok(csv_export::attachment(
        &format!("{}-releases-{today}.csv", tenant.slug),
        body,
    ))
}

/// `2026-11-24T22:00:00-05:00`: the instant on the wall clock of `tz`.
fn iso(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Actual go-live − baseline in days, to two decimals (`-0.50`).
fn slip_days(r: &ListedRelease) -> String {
    let Some(s) = slip(r.baseline_go_live, r.actual_go_live) else {
        return String::new();
    };
    let seconds = s.num_seconds();
    // Hundredths of a day, rounded half away from zero.
    let hundredths = (seconds.unsigned_abs() * 100 + 43_200) / 86_400;
    let sign = if seconds < 0 && hundredths > 0 {
        "-"
    } else {
        ""
    };
    format!("{sign}{}.{:02}", hundredths / 100, hundredths % 100)
}

/// The CSV file of `rows`; `capped` adds the note that more matched.
fn write(rows: &[ListedRelease], capped: bool, tz: Tz) -> Result<Vec<u8>, AppError> {
    let mut file = CsvFile::new(&HEADER)?;
    let at = |t: Option<DateTime<Utc>>| t.map(|t| iso(t, tz)).unwrap_or_default();
    for r in rows {
        file.row([
            r.product_key.as_str(),
            &r.product_name,
            r.product_line.as_deref().unwrap_or_default(),
            &r.version,
            &r.title,
            r.release_type.as_str(),
            r.status.as_str(),
            r.risk.as_str(),
            r.owner_name.as_deref().unwrap_or_default(),
            r.train_name.as_deref().unwrap_or_default(),
            &at(r.go_live),
            &at(r.actual_go_live),
            &at(r.baseline_go_live),
            &slip_days(r),
            &iso(r.created_at, tz),
        ])?;
    }
    if capped {
        file.note(&format!(
            "Only the first {EXPORT_LIMIT} matching releases are exported: narrow the filters to export the others."
        ))?;
    }
    file.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use almanac_domain::release::{ReleaseStatus, ReleaseType, Risk};
    use chrono::TimeZone as _;
    use uuid::Uuid;

    fn release(title: &str) -> ListedRelease {
        let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).single();
        ListedRelease {
            id: Uuid::now_v7(),
            product_id: Uuid::now_v7(),
            product_key: "PAY".to_owned(),
            product_name: "Payments, core".to_owned(),
            product_colour: "#2457c5".to_owned(),
            product_line: Some("Money".to_owned()),
            version: "2.4.0".to_owned(),
            title: title.to_owned(),
            release_type: ReleaseType::Minor,
            status: ReleaseStatus::Released,
            risk: Risk::High,
            owner_name: Some("Rami Release".to_owned()),
            train_id: None,
            train_name: None,
            go_live: at(25, 3),
            actual_go_live: at(24, 15),
            baseline_go_live: at(25, 3),
            created_at: at(1, 12).unwrap_or_default(),
        }
    }

    #[test]
    fn rows_carry_zone_offsets_slip_and_neutralised_text() -> Result<(), Box<dyn std::error::Error>>
    {
        let tz: Tz = "America/New_York".parse()?;
        let bytes = write(&[release("=SUM(1)")], false, tz)?;
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        assert_eq!(reader.headers()?, HEADER.to_vec());
        let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
        assert_eq!(rows.len(), 1);
        let row: Vec<&str> = rows[0].iter().collect();
        assert_eq!(
            row,
            [
                "PAY",
                "Payments, core",
                "Money",
                "2.4.0",
                "'=SUM(1)",
                "minor",
                "released",
                "high",
                "Rami Release",
                "",
                "2026-11-24T22:00:00-05:00",
                "2026-11-24T10:00:00-05:00",
                "2026-11-24T22:00:00-05:00",
                "-0.50",
                "2026-11-01T07:00:00-05:00",
            ]
        );
        Ok(())
    }

    #[test]
    fn a_capped_export_ends_with_a_note_row_as_wide_as_the_others()
    -> Result<(), Box<dyn std::error::Error>> {
        let bytes = write(&[release("a"), release("b")], true, chrono_tz::UTC)?;
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
        assert_eq!(rows.len(), 3);
        assert!(rows[2][0].starts_with("Only the first 50000 matching releases"));
        assert_eq!(rows[2].len(), HEADER.len());
        assert_eq!(&rows[0][10], "2026-11-25T03:00:00+00:00");
        Ok(())
    }

    #[test]
    fn slip_is_rounded_to_hundredths_of_a_day() {
        let mut r = release("x");
        let base = r.baseline_go_live.unwrap_or_default();
        for (minutes, days) in [
            (0, "0.00"),
            (-1, "0.00"),
            (7, "0.00"),
            (8, "0.01"),
            (-8, "-0.01"),
            (36 * 60, "1.50"),
            (-3 * 24 * 60, "-3.00"),
        ] {
            r.actual_go_live = Some(base + chrono::Duration::minutes(minutes));
            assert_eq!(slip_days(&r), days, "{minutes} minutes");
        }
        r.actual_go_live = None;
        assert_eq!(slip_days(&r), "");
    }
}
