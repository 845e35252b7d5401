//! The calendar's "Schedule here": `/{tenant}/releases/schedule?environment=…&date=…`
//! lists the deployments without planned times of releases still in play
//! (to that environment when given), each leading to its pick page looking
//! for slots from that day on.

use super::can_plan;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::layout::Layout;
use crate::state::AppState;
use almanac_db::deployments::{self as deployment_db, UNSCHEDULED_LIMIT, Unscheduled};
use almanac_db::environments::{self, EnvironmentOption};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize, Default)]
pub struct UnscheduledQuery {
    #[serde(default)]
    environment: String,
    /// `YYYY-MM-DD`, the day chosen on the calendar.
    #[serde(default)]
    date: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "scheduling/unscheduled.html")]
pub struct UnscheduledPage {
    layout: Layout,
    slug: String,
    can_plan: bool,
    rows: Vec<Unscheduled>,
    truncated: bool,
    environments: Vec<(String, String, bool)>,
    /// The valid chosen day (`YYYY-MM-DD`), or "".
    date: String,
    /// The pick page's query string suffix (`?date=…`), or "".
    pick_query: String,
    filtered: bool,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(query): Query<UnscheduledQuery>,
) -> Result<UnscheduledPage, AppError> {
    let environment = Uuid::parse_str(query.environment.trim()).ok();
    let (visit, (rows, envs)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?.id;
                let rows = deployment_db::unscheduled(tx, tenant, environment).await?;
                let envs = environments::options(tx, tenant).await?;
                Ok((rows, envs))
            })
        })
        .await?;
    let date = NaiveDate::parse_from_str(query.date.trim(), "%Y-%m-%d")
        .map(|d| d.to_string())
        .unwrap_or_default();
    let chosen = environment.map(|e| e.to_string()).unwrap_or_default();
    Ok(UnscheduledPage {
        layout: Layout::signed_in(&ctx, &visit, "Schedule a deployment", "releases"),
        slug,
        can_plan: can_plan(&visit),
        truncated: i64::try_from(rows.len()).unwrap_or(i64::MAX) >= UNSCHEDULED_LIMIT,
        rows,
        environments: std::iter::once((
            String::new(),
            "All environments".to_owned(),
            chosen.is_empty(),
        ))
        .chain(envs.into_iter().map(|e: EnvironmentOption| {
            let id = e.id.to_string();
            let on = id == chosen;
            (id, e.name, on)
        }))
        .collect(),
        pick_query: if date.is_empty() {
            String::new()
        } else {
            format!("?date={date}")
        },
        date,
        filtered: environment.is_some(),
    })
}
