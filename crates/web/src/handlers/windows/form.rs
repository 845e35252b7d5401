//! The window form: `/{tenant}/windows/new` and `/{tenant}/windows/{id}/edit`.
//! One page for release windows and freezes, one-off or recurring; every
//! preset's fields are on it (no JavaScript needed) and the domain reads
//! the chosen one.

use super::{Choices, PLAN, choices, load, view, window_id};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::{redirect_with_flash, require, viewer_zone, with_status, zone_options};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use almanac_db::audit::{self, NewEvent};
use almanac_db::windows::{self, Choice};
use almanac_db::{DbError, Tx, Visit};
use almanac_domain::recurrence::{WEEKDAYS, weekday_code};
use almanac_domain::tenant::{MONTH_NAMES, WEEKDAY_NAMES};
use almanac_domain::window::{ExemptType, FormContext, Window, WindowDraft, WindowForm, WindowId};
use almanac_domain::{FieldErrors, Role, TimeZone};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};

/// A checkbox of a list.
pub struct Check {
    value: String,
    label: String,
    checked: bool,
}

/// The stored window, shown above the form after a stale edit.
pub struct CurrentView {
    name: String,
    kind_label: &'static str,
    schedule: String,
    environments: String,
    products: String,
    limits: String,
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "windows/form.html")]
pub struct FormPage {
    layout: Layout,
    action: String,
    cancel_href: String,
    editing: bool,
    form: WindowForm,
    revision: i32,
    errors: FieldErrors,
    viewer_zone: String,
    environments: Vec<Check>,
    products: Vec<Check>,
    exempt_types: Vec<Check>,
    days: Vec<Check>,
    nths: Vec<(String, String, bool)>,
    nth_weekdays: Vec<(String, String, bool)>,
    months: Vec<(String, String, bool)>,
    zones: Vec<(String, String, bool)>,
    current: Option<CurrentView>,
}

/// Checkboxes for the active choices, plus archived ones still chosen.
fn checks(choices: &[Choice], chosen: &[String]) -> Vec<Check> {
    choices
        .iter()
        .map(|c| (c, chosen.contains(&c.id.to_string())))
        .filter(|(c, checked)| !c.archived || *checked)
        .map(|(c, checked)| Check {
            value: c.id.to_string(),
            label: if c.archived {
                format!("{} (archived)", c.label)
            } else {
                c.label.clone()
            },
            checked,
        })
        .collect()
}

fn select(
    items: impl IntoIterator<Item = (String, String)>,
    selected: &str,
) -> Vec<(String, String, bool)> {
    items
        .into_iter()
        .map(|(value, label)| {
            let chosen = value == selected;
            (value, label, chosen)
        })
        .collect()
}

/// What the page needs to know about the record being edited.
struct Editing<'a> {
    id: WindowId,
    revision: i32,
    /// The stored window after a stale edit.
    current: Option<&'a Window>,
}

fn page(
    ctx: &Ctx,
    visit: &Visit,
    form: WindowForm,
    errors: FieldErrors,
    choices: &Choices,
    editing: Option<Editing<'_>>,
) -> Result<FormPage, AppError> {
    let slug = visit.tenant()?.slug.clone();
    let viewer = viewer_zone(visit).to_owned();
    let title = if editing.is_some() {
        format!(
            "Edit {}",
            if form.name.trim().is_empty() {
                "window"
            } else {
                form.name.trim()
            }
        )
    } else {
        "New window or freeze".to_owned()
    };
    let (action, cancel_href) = match &editing {
        Some(e) => (
            format!("/{slug}/windows/{}/edit", e.id),
            format!("/{slug}/windows/{}", e.id),
        ),
        None => (format!("/{slug}/windows/new"), format!("/{slug}/windows")),
    };
    let current = editing
        .as_ref()
        .and_then(|e| e.current)
        .map(|w| CurrentView {
            name: w.name.as_str().to_owned(),
            kind_label: w.kind.label(),
            schedule: view::schedule_text(&w.schedule, &viewer),
            environments: view::scope_text(
                &w.environments,
                &choices.environments,
                "All environments",
            ),
            products: view::scope_text(&w.products, &choices.products, "All products"),
            limits: view::limits_text(&w.draft()),
            reason: w.reason.clone(),
        });
    Ok(FormPage {
        layout: Layout::signed_in(ctx, visit, title, "windows"),
        action,
        cancel_href,
        editing: editing.is_some(),
        revision: editing.as_ref().map_or(0, |e| e.revision),
        environments: checks(&choices.environments, &form.environments),
        products: checks(&choices.products, &form.products),
        exempt_types: ExemptType::ALL
            .into_iter()
            .map(|t| Check {
                value: t.as_str().to_owned(),
                label: t.label().to_owned(),
                checked: form.exempt_types.iter().any(|x| x == t.as_str()),
            })
            .collect(),
        days: WEEKDAYS
            .into_iter()
            .zip(WEEKDAY_NAMES)
            .map(|(d, name)| Check {
                value: weekday_code(d).to_owned(),
                label: name.to_owned(),
                checked: form.days.iter().any(|x| x == weekday_code(d)),
            })
            .collect(),
        nths: select(
            [
                ("1", "first"),
                ("2", "second"),
                ("3", "third"),
                ("4", "fourth"),
                ("-1", "last"),
            ]
            .map(|(v, l)| (v.to_owned(), l.to_owned())),
            &form.nth,
        ),
        nth_weekdays: select(
            WEEKDAYS
                .into_iter()
                .zip(WEEKDAY_NAMES)
                .map(|(d, n)| (weekday_code(d).to_owned(), n.to_owned())),
            &form.nth_weekday,
        ),
        months: select(
            MONTH_NAMES
                .iter()
                .enumerate()
                .map(|(i, n)| ((i + 1).to_string(), (*n).to_owned())),
            &form.year_month,
        ),
        zones: zone_options(&form.time_zone, None),
        viewer_zone: viewer,
        form,
        errors,
        current,
    })
}

/// Today in the viewer's zone (the default series start).
fn today(visit: &Visit) -> NaiveDate {
    let zone = TimeZone::parse(viewer_zone(visit)).unwrap_or(TimeZone::UTC);
    Utc::now().with_timezone(&zone.tz()).date_naive()
}

fn parse(form: &WindowForm, visit: &Visit, choices: &Choices) -> Result<WindowDraft, FieldErrors> {
    let ids = |c: &[Choice]| c.iter().map(|c| c.id).collect::<Vec<_>>();
    let environments = ids(&choices.environments);
    let products = ids(&choices.products);
    form.parse(&FormContext {
        viewer_zone: TimeZone::parse(viewer_zone(visit)).unwrap_or(TimeZone::UTC),
        environments: &environments,
        products: &products,
    })
}

async fn plan_choices(tx: &mut Tx, visit: &Visit) -> Result<Choices, AppError> {
    require(visit.tenant()?, Role::can_plan, PLAN)?;
    choices(tx, visit).await
}

pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<FormPage, AppError> {
    let (visit, choices) = ctx
        .enter(&state, Some(&slug), |tx, visit| {
            Box::pin(plan_choices(tx, visit))
        })
        .await?;
    let tenant_zone = visit.tenant()?.time_zone.clone();
    let form = WindowForm::new_window(today(&visit), &tenant_zone);
    page(&ctx, &visit, form, FieldErrors::new(), &choices, None)
}

enum Saved {
    Done(WindowId, String),
    Invalid(FieldErrors, Choices),
    /// Someone saved the window meanwhile: the stored one.
    Stale(Box<Window>, Choices),
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = WindowForm::from_pairs(&pairs);
    let input = form.clone();
    let (visit, saved) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let choices = plan_choices(tx, visit).await?;
                let draft = match parse(&input, visit, &choices) {
                    Ok(draft) => draft,
                    Err(errors) => return Ok(Saved::Invalid(errors, choices)),
                };
                let id = WindowId::new();
                windows::create(tx, visit.tenant()?.id, id, &draft).await?;
                let after = view::snapshot(&draft, &choices.environments, &choices.products);
                audit::record(
                    tx,
                    NewEvent::by(visit, "window.created", "window", id).after(after),
                )
                .await?;
                Ok(Saved::Done(id, draft.name.as_str().to_owned()))
            })
        })
        .await?;
    respond(&state, &ctx, &visit, form, saved, None)
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<FormPage, AppError> {
    let id = window_id(&id)?;
    let (visit, (window, choices)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let choices = plan_choices(tx, visit).await?;
                Ok((load(tx, visit, id).await?, choices))
            })
        })
        .await?;
    let form = WindowForm::of(&window, viewer_zone(&visit), today(&visit));
    let editing = Editing {
        id,
        revision: window.revision,
        current: None,
    };
    page(
        &ctx,
        &visit,
        form,
        FieldErrors::new(),
        &choices,
        Some(editing),
    )
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = window_id(&id)?;
    let form = WindowForm::from_pairs(&pairs);
    let revision: i32 = pairs
        .iter()
        .find(|(k, _)| k == "revision")
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let input = form.clone();
    let (visit, saved) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let choices = plan_choices(tx, visit).await?;
                let window = load(tx, visit, id).await?;
                let draft = match parse(&input, visit, &choices) {
                    Ok(draft) => draft,
                    Err(errors) => return Ok(Saved::Invalid(errors, choices)),
                };
                match windows::update(tx, visit.tenant()?.id, id, &draft, revision).await {
                    Err(DbError::StaleVersion) => {
                        return Ok(Saved::Stale(Box::new(window), choices));
                    }
                    other => other?,
                }
                let before =
                    view::snapshot(&window.draft(), &choices.environments, &choices.products);
                let after = view::snapshot(&draft, &choices.environments, &choices.products);
                audit::record(
                    tx,
                    NewEvent::by(visit, "window.updated", "window", id)
                        .before(before)
                        .after(after),
                )
                .await?;
                Ok(Saved::Done(id, draft.name.as_str().to_owned()))
            })
        })
        .await?;
    respond(&state, &ctx, &visit, form, saved, Some((id, revision)))
}

/// Redirects after a save, or re-renders the form keeping the input: 422
/// for invalid input, 409 (with the stored window) for a stale edit.
fn respond(
    state: &AppState,
    ctx: &Ctx,
    visit: &Visit,
    form: WindowForm,
    saved: Saved,
    editing: Option<(WindowId, i32)>,
) -> Result<Response, AppError> {
    let slug = &visit.tenant()?.slug;
    match saved {
        Saved::Done(id, name) => {
            let verb = if editing.is_some() {
                "saved"
            } else {
                "created"
            };
            Ok(redirect_with_flash(
                state,
                &format!("/{slug}/windows/{id}"),
                &Flash::success(format!("“{name}” was {verb}.")),
            ))
        }
        Saved::Invalid(errors, choices) => {
            let editing = editing.map(|(id, revision)| Editing {
                id,
                revision,
                current: None,
            });
            let page = page(ctx, visit, form, errors, &choices, editing)?;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, page))
        }
        Saved::Stale(window, choices) => {
            let editing = Editing {
                id: window.id,
                revision: window.revision,
                current: Some(&window),
            };
            let mut page = page(
                ctx,
                visit,
                form,
                FieldErrors::new(),
                &choices,
                Some(editing),
            )?;
            page.layout.flash = Some(Flash::error(
                "Someone else changed this window while you were editing. Your input is kept \
                 below; the current window is shown above it. Save again to apply yours.",
            ));
            Ok((StatusCode::CONFLICT, page).into_response())
        }
    }
}
