//! `/{tenant}/releases`: the releases list that the dashboard links into.
//! It has filters (all optional; invalid values are ignored, and the valid
//! ones are kept on every link: [`super::query`]), sort orders by column,
//! pages of [`PAGE_SIZE`] with the exact total, and a link to the same list
//! as CSV ([`super::export`]).

use super::query::{ListQuery, Params, SortLink};
use super::{ListRow, can_plan, options, when, word_options};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::dashboard::health::HORIZON;
use crate::handlers::viewer_zone;
use crate::layout::Layout;
use crate::state::AppState;
use almanac_db::Visit;
use almanac_db::releases::{self, FilterProduct, ListedRelease, Sort};
use almanac_domain::release::{ReleaseStatus, ReleaseType, Risk};
use almanac_domain::time::local_date;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use chrono::NaiveDate;
use uuid::Uuid;

/// Releases on one page.
pub const PAGE_SIZE: i64 = 50;

/// `20,000`
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The last page of `total` releases (1 when there are none).
fn last_page(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}

pub struct Headers {
    product: SortLink,
    version: SortLink,
    status: SortLink,
    risk: SortLink,
    go_live: SortLink,
    created: SortLink,
}

/// "Showing 51–100 of 843" and the links around it.
pub struct Pager {
    first: String,
    last: String,
    total: String,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "releases/list.html")]
pub struct ListPage {
    layout: Layout,
    slug: String,
    can_plan: bool,
    rows: Vec<ListRow>,
    products: Vec<(String, String, bool)>,
    lines: Vec<(String, String, bool)>,
    statuses: Vec<(String, String, bool)>,
    types: Vec<(String, String, bool)>,
    risks: Vec<(String, String, bool)>,
    /// Health (open releases of the dashboard's horizon).
    healths: Vec<(String, String, bool)>,
    trains: Vec<(String, String, bool)>,
    q: String,
    from: String,
    to: String,
    shipped_from: String,
    decided_from: String,
    decided_to: String,
    failed: bool,
    shipped_to: String,
    /// (name, value) the filter form carries without a control of its own.
    hidden: Vec<(&'static str, String)>,
    /// How many releases an `ids` link names, and the list without it.
    chosen: Option<(String, String)>,
    filtered: bool,
    upcoming_first: bool,
    headers: Headers,
    pager: Pager,
    export_href: String,
}

/// What one list request reads.
pub struct Found {
    total: i64,
    page: i64,
    rows: Vec<ListedRelease>,
    products: Vec<FilterProduct>,
    trains: Vec<(Uuid, String)>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let params = query.params();
    let p = params.clone();
    let app = state.clone();
    let (visit, found) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            let app = app.clone();
            Box::pin(async move {
                let tenant = visit.tenant()?.id;
                let filter = p.drill_down(tx, &app, visit).await?;
                let total = releases::count(tx, tenant, &filter).await?;
                let page = p.page.min(last_page(total));
                let rows = if total > 0 {
                    let offset = (page - 1) * PAGE_SIZE;
                    releases::list(tx, tenant, &filter, p.order(), offset, PAGE_SIZE).await?
                } else {
                    Vec::new()
                };
                let products = releases::filter_products(tx, tenant).await?;
                let trains = almanac_db::trains::options(tx, tenant).await?;
                Ok(Found {
                    total,
                    page,
                    rows,
                    products,
                    trains,
                })
            })
        })
        .await?;
    Ok(ListPage::new(&ctx, &visit, slug, &params, found))
}

impl ListPage {
    fn new(ctx: &Ctx, visit: &Visit, slug: String, p: &Params, found: Found) -> Self {
        let zone = viewer_zone(visit);
        let Found {
            total,
            page,
            rows,
            products,
            trains,
        } = found;
        let path = format!("/{slug}/releases");
        let shown = i64::try_from(rows.len()).unwrap_or(0);
        let first = (page - 1) * PAGE_SIZE + 1;
        let selected = |v: Option<String>| v.unwrap_or_default();
        let mut lines: Vec<(Uuid, String)> = products
            .iter()
            .filter_map(|p| Some((p.line_id?, p.line_name.clone()?)))
            .collect();
        lines.sort_by_key(|(id, name)| (name.to_lowercase(), *id));
        lines.dedup_by_key(|l| l.0);
        let mut hidden = Params::order_pairs(p.sort, p.descending);
        hidden.extend(
            p.filter_pairs()
                .into_iter()
                .filter(|(k, _)| matches!(*k, "ids")),
        );
        Self {
            layout: Layout::signed_in(ctx, visit, "Releases", "releases"),
            can_plan: can_plan(visit),
            rows: rows
                .into_iter()
                .map(|r| ListRow {
                    go_live: when(r.go_live, zone),
                    created: local_date(r.created_at, zone),
                    r,
                })
                .collect(),
            products: options(
                products
                    .iter()
                    .map(|p| (p.id.to_string(), format!("{} · {}", p.key, p.name))),
                &selected(p.product.map(|u| u.to_string())),
                Some("All products"),
            ),
            lines: options(
                lines.into_iter().map(|(id, name)| (id.to_string(), name)),
                &selected(p.line.map(|u| u.to_string())),
                Some("All product lines"),
            ),
            statuses: word_options(
                ReleaseStatus::ALL,
                ReleaseStatus::as_str,
                ReleaseStatus::label,
                p.status.map_or("", ReleaseStatus::as_str),
                Some("All statuses"),
            ),
            types: word_options(
                ReleaseType::ALL,
                ReleaseType::as_str,
                ReleaseType::label,
                p.release_type.map_or("", ReleaseType::as_str),
                Some("All types"),
            ),
            healths: {
                let mut healths = word_options(
                    &almanac_domain::portfolio::Health::ALL,
                    almanac_domain::portfolio::Health::as_str,
                    almanac_domain::portfolio::Health::label,
                    p.health.as_deref().unwrap_or(""),
                    Some("Any health"),
                );
                let selected = p.health.as_deref() == Some(HORIZON);
                healths.push((
                    HORIZON.to_owned(),
                    "Any, on the dashboard".to_owned(),
                    selected,
                ));
                healths
            },
            risks: word_options(
                Risk::ALL,
                Risk::as_str,
                Risk::label,
                p.risk.map_or("", Risk::as_str),
                Some("All risks"),
            ),
            trains: options(
                trains.into_iter().map(|(id, name)| (id.to_string(), name)),
                &selected(p.train.map(|u| u.to_string())),
                Some("All trains"),
            ),
            q: p.q.clone().unwrap_or_default(),
            from: date_value(p.from),
            to: date_value(p.to),
            shipped_from: date_value(p.shipped_from),
            shipped_to: date_value(p.shipped_to),
            decided_from: date_value(p.decided_from),
            decided_to: date_value(p.decided_to),
            failed: p.failed,
            hidden,
            chosen: p.ids.as_ref().map(|ids| {
                let without = Params {
                    ids: None,
                    ..p.clone()
                };
                (
                    grouped(i64::try_from(ids.len()).unwrap_or(0)),
                    without.href(&path, p.sort, p.descending, 1),
                )
            }),
            filtered: p.filtered(),
            upcoming_first: p.sort.is_none(),
            headers: Headers {
                product: p.header(&slug, Sort::Product),
                version: p.header(&slug, Sort::Version),
                status: p.header(&slug, Sort::Status),
                risk: p.header(&slug, Sort::Risk),
                go_live: p.header(&slug, Sort::GoLive),
                created: p.header(&slug, Sort::Created),
            },
            pager: Pager {
                first: grouped(if shown > 0 { first } else { 0 }),
                last: grouped(first - 1 + shown),
                total: grouped(total),
                prev: (page > 1).then(|| p.href(&path, p.sort, p.descending, page - 1)),
                next: (first - 1 + shown < total)
                    .then(|| p.href(&path, p.sort, p.descending, page + 1)),
            },
            export_href: p.href(&format!("/{slug}/releases.csv"), p.sort, p.descending, 1),
            slug,
        }
    }
}

fn date_value(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(843), "843");
        assert_eq!(grouped(20_000), "20,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(last_page(0), 1);
        assert_eq!(last_page(50), 1);
        assert_eq!(last_page(51), 2);
    }
}
