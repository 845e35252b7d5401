//! `/{tenant}/settings`: the organisation's settings (owner only).

use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::{redirect_with_flash, require, with_status, zone_options};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use crate::view::{HistoryRow, history_rows};
use almanac_db::audit::{self, Event, NewEvent};
use almanac_db::tenants::{self, Settings};
use almanac_db::{DbError, TenantContext, Tx, Visit};
use almanac_domain::tenant::{MONTH_NAMES, WEEKDAY_NAMES};
use almanac_domain::{FieldErrors, FiscalYearStart, Role, TenantName, TimeZone, WeekStart};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

const ADMINISTER: &str = "change the organisation's settings";

#[derive(Template, WebTemplate)]
#[template(path = "settings/show.html")]
pub struct SettingsPage {
    layout: Layout,
    slug: String,
    org_name: String,
    zones: Vec<(String, String, bool)>,
    weekdays: Vec<(String, String, bool)>,
    months: Vec<(String, String, bool)>,
    allow_self_approval: bool,
    version: i32,
    errors: FieldErrors,
    /// The stored settings, shown above the form after a stale edit.
    current: Option<SettingsForm>,
    history: Vec<HistoryRow>,
}

#[derive(Deserialize, Clone)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    week_start: String,
    #[serde(default)]
    fiscal_year_start: String,
    #[serde(default)]
    allow_self_approval: bool,
    #[serde(default)]
    version: i32,
}

impl SettingsForm {
    fn current(t: &TenantContext) -> Self {
        Self {
            name: t.name.clone(),
            time_zone: t.time_zone.clone(),
            week_start: t.week_start.to_string(),
            fiscal_year_start: t.fiscal_year_start.to_string(),
            allow_self_approval: t.allow_self_approval,
            version: t.version,
        }
    }

    fn saved(s: &Settings) -> Self {
        Self {
            name: s.name.as_str().to_owned(),
            time_zone: s.time_zone.name().to_owned(),
            week_start: s.week_start.iso().to_string(),
            fiscal_year_start: s.fiscal_year_start.month().to_string(),
            allow_self_approval: s.allow_self_approval,
            version: 0,
        }
    }

    /// The settings as recorded in the audit trail.
    fn snapshot(&self) -> serde_json::Value {
        json!({
            "name": self.name,
            "time_zone": self.time_zone,
            "week_start": self.week_start.parse::<i16>().ok(),
            "fiscal_year_start": self.fiscal_year_start.parse::<i16>().ok(),
            "allow_self_approval": self.allow_self_approval,
        })
    }

    fn parse(&self) -> Result<Settings, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = e.check("name", TenantName::parse(&self.name));
        let time_zone = e.check("time_zone", TimeZone::parse(&self.time_zone));
        let week_start = e.check("week_start", WeekStart::parse(&self.week_start));
        let fiscal = e.check(
            "fiscal_year_start",
            FiscalYearStart::parse(&self.fiscal_year_start),
        );
        match (name, time_zone, week_start, fiscal) {
            (Some(name), Some(time_zone), Some(week_start), Some(fiscal_year_start)) => {
                Ok(Settings {
                    name,
                    time_zone,
                    week_start,
                    fiscal_year_start,
                    allow_self_approval: self.allow_self_approval,
                })
            }
            _ => Err(e),
        }
    }
}

fn page(
    ctx: &Ctx,
    visit: &Visit,
    form: &SettingsForm,
    errors: FieldErrors,
    stale: bool,
    history: Vec<Event>,
) -> Result<SettingsPage, AppError> {
    let tenant = visit.tenant()?;
    let numbered = |names: &[&str], selected: &str| -> Vec<(String, String, bool)> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                (
                    (i + 1).to_string(),
                    (*n).to_owned(),
                    (i + 1).to_string() == selected,
                )
            })
            .collect()
    };
    Ok(SettingsPage {
        layout: Layout::signed_in(ctx, visit, "Organisation settings", "settings"),
        slug: tenant.slug.clone(),
        org_name: form.name.clone(),
        zones: zone_options(&form.time_zone, None),
        weekdays: numbered(&WEEKDAY_NAMES, &form.week_start),
        months: numbered(&MONTH_NAMES, &form.fiscal_year_start),
        allow_self_approval: form.allow_self_approval,
        version: if stale { tenant.version } else { form.version },
        errors,
        current: stale.then(|| SettingsForm::current(tenant)),
        history: history_rows(history, crate::handlers::viewer_zone(visit)),
    })
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<SettingsPage, AppError> {
    let (visit, history) = ctx
        .enter(&state, Some(&slug), |tx, visit| {
            Box::pin(owner_history(tx, visit))
        })
        .await?;
    let form = SettingsForm::current(visit.tenant()?);
    page(&ctx, &visit, &form, FieldErrors::new(), false, history)
}

/// The tenant's settings history, for owners only.
async fn owner_history(tx: &mut Tx, visit: &Visit) -> Result<Vec<Event>, AppError> {
    let tenant = visit.tenant()?;
    require(tenant, Role::can_administer, ADMINISTER)?;
    Ok(audit::history(tx, tenant.id, "tenant", &tenant.id.to_string(), 20).await?)
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let parsed = form.parse();
    let (_, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_administer, ADMINISTER)?;
                let settings = match parsed {
                    Ok(s) => s,
                    Err(errors) => return Ok(Err((errors, false))),
                };
                match tenants::update_settings(tx, tenant.id, &settings, form.version).await {
                    Err(DbError::StaleVersion) => return Ok(Err((FieldErrors::new(), true))),
                    other => other?,
                }
                let event = NewEvent::by(visit, "tenant.settings_changed", "tenant", tenant.id)
                    .before(SettingsForm::current(tenant).snapshot())
                    .after(SettingsForm::saved(&settings).snapshot());
                audit::record(tx, event).await?;
                Ok(Ok(()))
            })
        })
        .await?;
    match outcome {
        Ok(()) => Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/settings"),
            &Flash::success("Settings saved."),
        )),
        Err((errors, stale)) => {
            let status = if stale {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let (visit, history) = ctx
                .enter(&state, Some(&slug), |tx, visit| {
                    Box::pin(owner_history(tx, visit))
                })
                .await?;
            let mut page = page(&ctx, &visit, &form, errors, stale, history)?;
            if stale {
                page.layout.flash = Some(Flash::error(
                    "Someone else changed these settings while you were editing. \
                     Your input is kept below; the current values are shown above it. Save again to apply yours.",
                ));
            }
            Ok(with_status(status, page))
        }
    }
}
