//! `/{tenant}/releases/trains`: release trains (named groups of releases
//! of several products that ship together): the list, one train with its
//! releases across products, and forms to create, rename and delete.

use super::{ListRow, can_plan, id_of, require_plan, when};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::{redirect_with_flash, viewer_zone, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use crate::view::{HistoryRow, history_rows};
use almanac_db::audit::{self, NewEvent};
use almanac_db::releases::{self, Filter, Order};
use almanac_db::trains::{self, Train};
use almanac_db::{DbError, Visit};
use almanac_domain::FieldErrors;
use almanac_domain::release::{Notes, TrainName};
use almanac_domain::time::local_date;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

const ENTITY: &str = "release_train";

/// At most this many releases are shown on a train's page.
const TRAIN_ROWS: i64 = 300;

fn snapshot(name: &str, description: &str) -> Value {
    json!({"name": name, "description": description})
}

// ------------------------------------------------------------------ list

#[derive(Template, WebTemplate)]
#[template(path = "releases/trains/list.html")]
pub struct ListPage {
    layout: Layout,
    slug: String,
    can_plan: bool,
    trains: Vec<Train>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<ListPage, AppError> {
    let (visit, trains) = ctx
        .enter(&state, Some(&slug), |tx, visit| {
            Box::pin(async move { Ok(trains::list(tx, visit.tenant()?.id).await?) })
        })
        .await?;
    Ok(ListPage {
        layout: Layout::signed_in(&ctx, &visit, "Release trains", "releases"),
        slug,
        can_plan: can_plan(&visit),
        trains,
    })
}

// ------------------------------------------------------------------ one train

#[derive(Template, WebTemplate)]
#[template(path = "releases/trains/show.html")]
pub struct ShowPage {
    layout: Layout,
    slug: String,
    can_plan: bool,
    t: Train,
    rows: Vec<ListRow>,
    history: Vec<HistoryRow>,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<ShowPage, AppError> {
    let id = id_of(&id)?;
    let (visit, (t, rows, history)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?.id;
                let t = trains::get(tx, tenant, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let filter = Filter {
                    train: Some(id),
                    ..Filter::default()
                };
                let order = Order::default();
                let rows = releases::list(tx, tenant, &filter, order, 0, TRAIN_ROWS).await?;
                let history = audit::history(tx, tenant, ENTITY, &id.to_string(), 100).await?;
                Ok((t, rows, history))
            })
        })
        .await?;
    let zone = viewer_zone(&visit);
    Ok(ShowPage {
        layout: Layout::signed_in(&ctx, &visit, format!("Train {}", t.name), "releases"),
        slug,
        can_plan: can_plan(&visit),
        rows: rows
            .into_iter()
            .map(|r| ListRow {
                go_live: when(r.go_live, zone),
                created: local_date(r.created_at, zone),
                r,
            })
            .collect(),
        history: history_rows(history, zone),
        t,
    })
}

// ------------------------------------------------------------------ form

#[derive(Deserialize, Clone, Default)]
pub struct TrainForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    revision: i32,
}

impl TrainForm {
    fn parse(&self) -> Result<(TrainName, Notes), FieldErrors> {
        let mut e = FieldErrors::new();
        let name = e.check("name", TrainName::parse(&self.name));
        let description = e.check("description", Notes::parse(&self.description));
        match (name, description) {
            (Some(n), Some(d)) => Ok((n, d)),
            _ => Err(e),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "releases/trains/form.html")]
pub struct FormPage {
    layout: Layout,
    slug: String,
    /// None for a new train.
    train_id: Option<String>,
    form: TrainForm,
    errors: FieldErrors,
    /// The stored train, shown above the form after a stale edit.
    current: Option<Train>,
}

impl FormPage {
    fn new(ctx: &Ctx, visit: &Visit, slug: &str, train: Option<&Train>, form: TrainForm) -> Self {
        let title = train.map_or_else(
            || "New release train".to_owned(),
            |t| format!("Edit train {}", t.name),
        );
        Self {
            layout: Layout::signed_in(ctx, visit, title, "releases"),
            slug: slug.to_owned(),
            train_id: train.map(|t| t.id.to_string()),
            form,
            errors: FieldErrors::new(),
            current: None,
        }
    }
}

fn name_taken(name: &TrainName) -> FieldErrors {
    let mut e = FieldErrors::new();
    e.add(
        "name",
        format!("a train named {} already exists", name.as_str()),
    );
    e
}

pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<FormPage, AppError> {
    let (visit, _) = ctx
        .enter(&state, Some(&slug), |_, visit| {
            Box::pin(async move { require_plan(visit) })
        })
        .await?;
    Ok(FormPage::new(
        &ctx,
        &visit,
        &slug,
        None,
        TrainForm::default(),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Form(form): Form<TrainForm>,
) -> Result<Response, AppError> {
    let parsed = form.parse();
    let (visit, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = require_plan(visit)?;
                let (name, description) = match parsed {
                    Ok(p) => p,
                    Err(e) => return Ok(Err(e)),
                };
                let id = Uuid::now_v7();
                if !trains::create(tx, tenant, id, &name, &description).await? {
                    return Ok(Err(name_taken(&name)));
                }
                audit::record(
                    tx,
                    NewEvent::by(visit, "train.created", ENTITY, id)
                        .after(snapshot(name.as_str(), description.as_str())),
                )
                .await?;
                Ok(Ok((id, name.as_str().to_owned())))
            })
        })
        .await?;
    match outcome {
        Ok((id, name)) => Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/releases/trains/{id}"),
            &Flash::success(format!("Release train {name} created.")),
        )),
        Err(errors) => {
            let mut page = FormPage::new(&ctx, &visit, &slug, None, form);
            page.errors = errors;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<FormPage, AppError> {
    let id = id_of(&id)?;
    let (visit, t) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = require_plan(visit)?;
                trains::get(tx, tenant, id).await?.ok_or(AppError::NotFound)
            })
        })
        .await?;
    let form = TrainForm {
        name: t.name.clone(),
        description: t.description.clone(),
        revision: t.revision,
    };
    Ok(FormPage::new(&ctx, &visit, &slug, Some(&t), form))
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<TrainForm>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let parsed = form.parse();
    let revision = form.revision;
    let (visit, (t, outcome)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = require_plan(visit)?;
                let before = trains::get(tx, tenant, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let (name, description) = match parsed {
                    Ok(p) => p,
                    Err(e) => return Ok((before, Err((e, false)))),
                };
                match trains::update(tx, tenant, id, &name, &description, revision).await {
                    Ok(true) => {}
                    Ok(false) => return Ok((before, Err((name_taken(&name), false)))),
                    Err(DbError::StaleVersion) => {
                        return Ok((before, Err((FieldErrors::new(), true))));
                    }
                    Err(e) => return Err(e.into()),
                }
                audit::record(
                    tx,
                    NewEvent::by(visit, "train.updated", ENTITY, id)
                        .before(snapshot(&before.name, &before.description))
                        .after(snapshot(name.as_str(), description.as_str())),
                )
                .await?;
                Ok((before, Ok(name.as_str().to_owned())))
            })
        })
        .await?;
    match outcome {
        Ok(name) => Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/releases/trains/{id}"),
            &Flash::success(format!("Release train {name} saved.")),
        )),
        Err((errors, stale)) => {
            let mut form = form;
            if stale {
                form.revision = t.revision;
            }
            let mut page = FormPage::new(&ctx, &visit, &slug, Some(&t), form);
            page.errors = errors;
            if stale {
                page.layout.flash = Some(Flash::error(
                    "Someone else changed this train while you were editing. Your input is kept \
                     below; the current values are shown above it. Save again to apply yours.",
                ));
                page.current = Some(t);
                return Ok(with_status(StatusCode::CONFLICT, page));
            }
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}

// ------------------------------------------------------------------ delete

#[derive(Template, WebTemplate)]
#[template(path = "releases/trains/delete.html")]
pub struct DeletePage {
    layout: Layout,
    slug: String,
    t: Train,
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<DeletePage, AppError> {
    let id = id_of(&id)?;
    let (visit, t) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = require_plan(visit)?;
                trains::get(tx, tenant, id).await?.ok_or(AppError::NotFound)
            })
        })
        .await?;
    Ok(DeletePage {
        layout: Layout::signed_in(&ctx, &visit, format!("Delete train {}", t.name), "releases"),
        slug,
        t,
    })
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<super::edit::RevisionForm>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let (visit, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = require_plan(visit)?;
                let t = trains::get(tx, tenant, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                match trains::delete(tx, tenant, id, form.revision).await {
                    Err(DbError::StaleVersion) => return Ok(Err(t)),
                    other => other?,
                }
                audit::record(
                    tx,
                    NewEvent::by(visit, "train.deleted", ENTITY, id)
                        .before(snapshot(&t.name, &t.description)),
                )
                .await?;
                Ok(Ok(t.name))
            })
        })
        .await?;
    match outcome {
        Ok(name) => Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/releases/trains"),
            &Flash::success(format!(
                "Release train {name} deleted; its releases stay, without a train."
            )),
        )),
        Err(t) => {
            let mut page = DeletePage {
                layout: Layout::signed_in(
                    &ctx,
                    &visit,
                    format!("Delete train {}", t.name),
                    "releases",
                ),
                slug,
                t,
            };
            page.layout.flash = Some(Flash::error(
                "Someone else changed this train since you opened it; nothing was deleted. \
                 Check it below and confirm again.",
            ));
            Ok(with_status(StatusCode::CONFLICT, page))
        }
    }
}
