//! The query string of the releases list and of its export: parsed into
//! [`Params`] (invalid values dropped), turned into the database filter,
//! and written back into links that keep the filters.
//!
//! `from` / `to` (on the go-live) and `shipped_from` / `shipped_to` (on the
//! actual go-live) are local days in the viewer's zone, both ends included.

use almanac_db::releases::{Filter, MAX_IDS, Order, Sort};
use almanac_domain::TimeZone;
use almanac_domain::release::{ReleaseStatus, ReleaseType, Risk};
use almanac_domain::time::local_to_utc;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::HashSet;
use uuid::Uuid;

/// The query string of the list and of its export; every field optional.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    product: String,
    #[serde(default)]
    line: String,
    #[serde(default)]
    status: String,
    #[serde(default, rename = "type")]
    release_type: String,
    #[serde(default)]
    risk: String,
    #[serde(default)]
    train: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    shipped_from: String,
    #[serde(default)]
    shipped_to: String,
    #[serde(default)]
    ids: String,
    #[serde(default)]
    health: String,
    #[serde(default)]
    decided_from: String,
    #[serde(default)]
    decided_to: String,
    #[serde(default)]
    failed: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
    #[serde(default)]
    page: String,
}

/// The sort orders by their URL names (the default has none).
const SORTS: [(Sort, &str); 6] = [
    (Sort::GoLive, "go_live"),
    (Sort::Product, "product"),
    (Sort::Version, "version"),
    (Sort::Status, "status"),
    (Sort::Risk, "risk"),
    (Sort::Created, "created"),
];

fn sort_name(sort: Sort) -> Option<&'static str> {
    SORTS.iter().find(|(s, _)| *s == sort).map(|(_, n)| *n)
}

/// The valid parameters of a list URL.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub(super) product: Option<Uuid>,
    pub(super) line: Option<Uuid>,
    pub(super) status: Option<ReleaseStatus>,
    pub(super) release_type: Option<ReleaseType>,
    pub(super) risk: Option<Risk>,
    pub(super) train: Option<Uuid>,
    pub(super) q: Option<String>,
    pub(super) from: Option<NaiveDate>,
    pub(super) to: Option<NaiveDate>,
    pub(super) shipped_from: Option<NaiveDate>,
    pub(super) shipped_to: Option<NaiveDate>,
    pub(super) ids: Option<Vec<Uuid>>,
    /// Health (the dashboard's drill-down): the open releases of the
    /// dashboard's horizon with that health.
    pub(super) health: Option<String>,
    /// A go/no-go round closed on these days (the organisation's).
    pub(super) decided_from: Option<NaiveDate>,
    pub(super) decided_to: Option<NaiveDate>,
    /// Only change failures among the releases shipped in the shipped
    /// period (rolled back, or followed by a hotfix within 7 days).
    pub(super) failed: bool,
    /// `None`: upcoming first (the default order).
    pub(super) sort: Option<Sort>,
    pub(super) descending: bool,
    /// 1-based.
    pub(super) page: i64,
}

impl ListQuery {
    /// The valid parameters; values that name nothing are dropped.
    pub fn params(&self) -> Params {
        let sort = SORTS
            .iter()
            .find(|(_, name)| *name == self.sort.trim())
            .map(|(s, _)| *s);
        Params {
            product: uuid(&self.product),
            line: uuid(&self.line),
            status: self.status.parse().ok(),
            release_type: self.release_type.parse().ok(),
            risk: self.risk.parse().ok(),
            train: uuid(&self.train),
            q: text(&self.q, 200),
            from: day(&self.from),
            to: day(&self.to),
            shipped_from: day(&self.shipped_from),
            shipped_to: day(&self.shipped_to),
            ids: ids(&self.ids),
            health: text(&self.health, 40),
            decided_from: day(&self.decided_from),
            decided_to: day(&self.decided_to),
            failed: self.failed.trim() == "1",
            sort,
            descending: sort.is_some() && self.dir.trim() == "desc",
            page: self
                .page
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|p| *p >= 1)
                .unwrap_or(1),
        }
    }
}

fn uuid(s: &str) -> Option<Uuid> {
    Uuid::parse_str(s.trim()).ok()
}

/// Trimmed, non-empty, at most `max` characters.
fn text(s: &str, max: usize) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s.chars().count() <= max).then(|| s.to_owned())
}

/// A `YYYY-MM-DD` day of years 1–9999.
fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (1..=9999).contains(&d.year()))
}

/// The releases an `ids` link names: comma-separated release ids, the
/// first [`MAX_IDS`] distinct ones. Entries that are not ids (`none`, the
/// dashboard's empty set) name no release, and a link that names none
/// lists none: an exact set is never widened to every release.
fn ids(s: &str) -> Option<Vec<Uuid>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut seen = HashSet::new();
    Some(
        s.split(',')
            .filter_map(|part| Uuid::parse_str(part.trim()).ok())
            .filter(|id| seen.insert(*id))
            .take(MAX_IDS)
            .collect(),
    )
}

/// The instant local `day` starts in `tz` (after the gap on the rare days
/// whose midnight the clocks skip).
fn day_start(day: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    local_to_utc(day.and_time(NaiveTime::MIN), tz)
        .or_else(|| local_to_utc(day.and_hms_opt(1, 0, 0)?, tz))
}

/// `[first, last]` local days in `tz` as a half-open period of instants.
fn period(
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
    tz: Tz,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    (
        first.and_then(|d| day_start(d, tz)),
        last.and_then(|d| d.succ_opt())
            .and_then(|d| day_start(d, tz)),
    )
}

impl Params {
    /// The filter, with go-live days read in the viewer's `zone` and
    /// shipped days in the organisation's `tenant_zone` (the dashboard's
    /// periods are the organisation's, so its links list the releases it
    /// counted whatever the viewer's zone).
    pub fn filter(&self, zone: &str, tenant_zone: &str) -> Filter {
        let tz = TimeZone::parse(zone).unwrap_or(TimeZone::UTC).tz();
        let tenant_tz = TimeZone::parse(tenant_zone).unwrap_or(TimeZone::UTC).tz();
        let (go_live_from, go_live_before) = period(self.from, self.to, tz);
        let (shipped_from, shipped_before) = period(self.shipped_from, self.shipped_to, tenant_tz);
        let (decided_from, decided_before) = period(self.decided_from, self.decided_to, tenant_tz);
        Filter {
            product: self.product,
            line: self.line,
            status: self.status,
            release_type: self.release_type,
            risk: self.risk,
            train: self.train,
            text: self.q.clone(),
            go_live_from,
            go_live_before,
            shipped_from,
            shipped_before,
            ids: self.ids.clone(),
            decided_from,
            decided_before,
        }
    }

    /// The filter for a list or its export: [`Params::filter`] narrowed by
    /// the dashboard's drill-downs the database cannot compute (health,
    /// change failures), as the dashboard counts them.
    pub(super) async fn drill_down(
        &self,
        tx: &mut almanac_db::Tx,
        app: &crate::state::AppState,
        visit: &almanac_db::Visit,
    ) -> Result<Filter, crate::error::AppError> {
        let t = visit.tenant()?;
        let mut filter = self.filter(crate::handlers::viewer_zone(visit), &t.time_zone);
        crate::handlers::dashboard::health::narrow(
            tx,
            app,
            visit,
            self.health.as_deref(),
            &mut filter.ids,
        )
        .await?;
        if self.failed {
            crate::handlers::dashboard::narrow_failures(
                tx,
                t.id,
                (filter.shipped_from, filter.shipped_before),
                &mut filter.ids,
            )
            .await?;
        }
        Ok(filter)
    }

    pub fn order(&self) -> Order {
        Order {
            sort: self.sort.unwrap_or_default(),
            descending: self.descending,
        }
    }

    /// The filters as query pairs, in a fixed order.
    pub(super) fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        let id = |v: Option<Uuid>| v.map(|u| u.to_string());
        let date = |v: Option<NaiveDate>| v.map(|d| d.format("%Y-%m-%d").to_string());
        [
            ("product", id(self.product)),
            ("line", id(self.line)),
            ("status", self.status.map(|s| s.as_str().to_owned())),
            ("type", self.release_type.map(|t| t.as_str().to_owned())),
            ("risk", self.risk.map(|r| r.as_str().to_owned())),
            ("train", id(self.train)),
            ("q", self.q.clone()),
            ("from", date(self.from)),
            ("to", date(self.to)),
            ("shipped_from", date(self.shipped_from)),
            ("shipped_to", date(self.shipped_to)),
            (
                "ids",
                self.ids.as_ref().map(|ids| {
                    if ids.is_empty() {
                        "none".to_owned()
                    } else {
                        ids.iter()
                            .map(Uuid::to_string)
                            .collect::<Vec<_>>()
                            .join(",")
                    }
                }),
            ),
            ("health", self.health.clone()),
            ("decided_from", date(self.decided_from)),
            ("decided_to", date(self.decided_to)),
            ("failed", self.failed.then(|| "1".to_owned())),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
    }

    /// Some filter is set.
    pub(super) fn filtered(&self) -> bool {
        !self.filter_pairs().is_empty()
    }

    /// `sort` and `dir` as query pairs (none for the default order).
    pub(super) fn order_pairs(sort: Option<Sort>, descending: bool) -> Vec<(&'static str, String)> {
        sort.and_then(sort_name)
            .map(|name| {
                vec![
                    ("sort", name.to_owned()),
                    ("dir", if descending { "desc" } else { "asc" }.to_owned()),
                ]
            })
            .unwrap_or_default()
    }

    /// `path` with the filters, `sort`/`dir` and `page` (1 is left out).
    pub(super) fn href(
        &self,
        path: &str,
        sort: Option<Sort>,
        descending: bool,
        page: i64,
    ) -> String {
        let mut pairs = self.filter_pairs();
        pairs.extend(Self::order_pairs(sort, descending));
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        with_query(path, &pairs)
    }

    /// The link of a column header: ascending first, then the other way.
    pub(super) fn header(&self, slug: &str, column: Sort) -> SortLink {
        let current = self.sort == Some(column);
        let aria = match self.sort {
            Some(_) if current && self.descending => "descending",
            Some(_) if current => "ascending",
            None if column == Sort::GoLive => "other",
            _ => "",
        };
        SortLink {
            href: self.href(
                &format!("/{slug}/releases"),
                Some(column),
                current && !self.descending,
                1,
            ),
            aria,
            arrow: match aria {
                "ascending" => "▲",
                "descending" => "▼",
                _ => "",
            },
        }
    }
}

fn with_query(path: &str, pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        return path.to_owned();
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{query}")
}

/// A sortable column header.
pub struct SortLink {
    pub(super) href: String,
    /// The `aria-sort` value, "" for none.
    pub(super) aria: &'static str,
    pub(super) arrow: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> ListQuery {
        let text = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        serde_urlencoded::from_str(&text).unwrap_or_default()
    }

    #[test]
    fn invalid_values_are_dropped_and_valid_ones_kept_in_order() {
        let id = Uuid::now_v7();
        let p = query(&[
            ("status", "shipped"),
            ("risk", "high"),
            ("product", "nope"),
            ("train", &id.to_string()),
            ("from", "2026-02-30"),
            ("to", "2026-03-01"),
            ("q", "  pay  "),
            ("sort", "colour"),
            ("dir", "desc"),
            ("page", "-3"),
            ("health", "at_risk"),
            ("decided_from", "2026-01-01"),
            ("decided_to", "2026-13-01"),
            ("failed", "yes"),
        ])
        .params();
        assert!(!p.failed, "failed is 1 or nothing");
        assert_eq!(p.status, None);
        assert_eq!(p.product, None);
        assert_eq!(p.from, None);
        assert_eq!(p.sort, None);
        assert!(!p.descending, "a direction without a sort is dropped");
        assert_eq!(p.page, 1);
        assert_eq!(
            p.href("/acme/releases", p.sort, p.descending, 2),
            format!(
                "/acme/releases?risk=high&train={id}&q=pay&to=2026-03-01&health=at_risk&decided_from=2026-01-01&page=2"
            )
        );
    }

    #[test]
    fn decided_days_are_the_organisations_and_failed_is_kept() {
        let p = query(&[
            ("decided_from", "2026-03-01"),
            ("decided_to", "2026-03-31"),
            ("failed", "1"),
        ])
        .params();
        assert!(p.failed);
        let f = p.filter("UTC", "America/New_York");
        // Local midnights in New York (EST, then EDT from 8 March).
        assert_eq!(
            f.decided_from.map(|d| d.to_rfc3339()),
            Some("2026-03-01T05:00:00+00:00".to_owned())
        );
        assert_eq!(
            f.decided_before.map(|d| d.to_rfc3339()),
            Some("2026-04-01T04:00:00+00:00".to_owned())
        );
        assert_eq!(
            p.href("/acme/releases", None, false, 1),
            "/acme/releases?decided_from=2026-03-01&decided_to=2026-03-31&failed=1"
        );
    }

    #[test]
    fn ids_name_at_most_five_hundred_releases_and_never_widen_the_list() {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        assert_eq!(ids(&format!(" {a}, {b},{a},")), Some(vec![a, b]));
        assert_eq!(ids(" "), None, "no ids parameter");
        assert_eq!(ids(&format!("{a},x")), Some(vec![a]));
        assert_eq!(ids("none"), Some(vec![]), "the empty set");
        let many: Vec<Uuid> = (0..=MAX_IDS).map(|_| Uuid::now_v7()).collect();
        let text = many
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(ids(&text), Some(many[..MAX_IDS].to_vec()));
        let p = query(&[("ids", "none")]).params();
        assert_eq!(
            p.href("/acme/releases", None, false, 1),
            "/acme/releases?ids=none"
        );
        assert_eq!(p.filter("UTC", "UTC").ids, Some(vec![]));
    }

    #[test]
    fn local_days_become_half_open_periods_in_the_zone() {
        let p = query(&[
            ("from", "2026-11-01"),
            ("to", "2026-11-01"),
            ("shipped_to", "2026-03-07"),
        ])
        .params();
        let f = p.filter("America/New_York", "America/New_York");
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .ok()
        };
        // 1 November 2026 is 25 hours long in New York (clocks go back).
        assert_eq!(f.go_live_from, at("2026-11-01T04:00:00Z"));
        assert_eq!(f.go_live_before, at("2026-11-02T05:00:00Z"));
        assert_eq!(f.shipped_from, None);
        assert_eq!(f.shipped_before, at("2026-03-08T05:00:00Z"));
        let f = p.filter("not/a-zone", "not/a-zone");
        assert_eq!(f.go_live_from, at("2026-11-01T00:00:00Z"), "UTC otherwise");
    }

    #[test]
    fn headers_toggle_the_direction_and_say_how_the_list_is_sorted() {
        let p = query(&[("sort", "risk"), ("dir", "asc"), ("page", "3")]).params();
        let risk = p.header("acme", Sort::Risk);
        assert_eq!(risk.aria, "ascending");
        assert_eq!(risk.href, "/acme/releases?sort=risk&dir=desc");
        let version = p.header("acme", Sort::Version);
        assert_eq!(version.aria, "");
        assert_eq!(version.href, "/acme/releases?sort=version&dir=asc");
        let p = query(&[("sort", "risk"), ("dir", "desc")]).params();
        assert_eq!(p.header("acme", Sort::Risk).aria, "descending");
        assert_eq!(
            p.header("acme", Sort::Risk).href,
            "/acme/releases?sort=risk&dir=asc"
        );
        let p = query(&[]).params();
        assert_eq!(p.header("acme", Sort::GoLive).aria, "other");
        assert_eq!(
            p.header("acme", Sort::GoLive).href,
            "/acme/releases?sort=go_live&dir=asc"
        );
    }
}
