//! `/{tenant}/products/lines/...`: product lines, the groups of the
//! products page. Deleting a line leaves its products unassigned.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::{redirect_with_flash, require, viewer_zone, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use crate::view::{HistoryRow, history_rows};
use almanac_db::audit::{self, NewEvent};
use almanac_db::products::{self, ProductLine};
use almanac_db::{DbError, Tx, Visit};
use almanac_domain::product::ProductLineName;
use almanac_domain::{FieldErrors, Role, TenantId};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

const PLAN: &str = "change product lines";
const NAME_TAKEN: &str = "a product line with this name exists";

#[derive(Deserialize, Clone, Default)]
pub struct LineForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    revision: i32,
}

#[derive(Template, WebTemplate)]
#[template(path = "products/line_form.html")]
pub struct LineFormPage {
    layout: Layout,
    slug: String,
    /// The line being edited; `None` on the new-line form.
    line: Option<ProductLine>,
    form: LineForm,
    errors: FieldErrors,
    /// The stored line, shown above the form after a stale edit.
    current: Option<ProductLine>,
    history: Vec<HistoryRow>,
}

fn form_page(
    ctx: &Ctx,
    visit: &Visit,
    line: Option<ProductLine>,
    form: LineForm,
    errors: FieldErrors,
) -> Result<LineFormPage, AppError> {
    let title = line.as_ref().map_or_else(
        || "New product line".to_owned(),
        |l| format!("Edit {}", l.name),
    );
    Ok(LineFormPage {
        layout: Layout::signed_in(ctx, visit, title, "products"),
        slug: visit.tenant()?.slug.clone(),
        line,
        form,
        errors,
        current: None,
        history: Vec::new(),
    })
}

fn line_id(raw: &str) -> Result<Uuid, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

async fn line_of(tx: &mut Tx, tenant: TenantId, id: Uuid) -> Result<ProductLine, AppError> {
    products::line(tx, tenant, id)
        .await?
        .ok_or(AppError::NotFound)
}

fn list_url(slug: &str) -> String {
    format!("/{slug}/products")
}

pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<LineFormPage, AppError> {
    let visit = ctx.visit(&state, Some(&slug)).await?;
    require(visit.tenant()?, Role::can_plan, PLAN)?;
    form_page(&ctx, &visit, None, LineForm::default(), FieldErrors::new())
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Form(form): Form<LineForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", ProductLineName::parse(&form.name));
    let (visit, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let Some(name) = name else {
                    return Ok(Err(errors));
                };
                let Some(id) = products::create_line(tx, tenant.id, &name).await? else {
                    errors.add("name", NAME_TAKEN);
                    return Ok(Err(errors));
                };
                let event = NewEvent::by(visit, "product_line.created", "product_line", id)
                    .after(json!({"name": name.as_str()}));
                audit::record(tx, event).await?;
                Ok(Ok(name))
            })
        })
        .await?;
    match outcome {
        Ok(name) => Ok(redirect_with_flash(
            &state,
            &list_url(&slug),
            &Flash::success(format!("Product line {} created.", name.as_str())),
        )),
        Err(errors) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&ctx, &visit, None, form, errors)?,
        )),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
) -> Result<LineFormPage, AppError> {
    let id = line_id(&raw)?;
    let (visit, (line, events)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let line = line_of(tx, tenant.id, id).await?;
                let events =
                    audit::history(tx, tenant.id, "product_line", &id.to_string(), 50).await?;
                Ok((line, events))
            })
        })
        .await?;
    let form = LineForm {
        name: line.name.clone(),
        revision: line.revision,
    };
    let mut page = form_page(&ctx, &visit, Some(line), form, FieldErrors::new())?;
    page.history = history_rows(events, viewer_zone(&visit));
    Ok(page)
}

enum Refused {
    Invalid(FieldErrors),
    Stale,
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
    Form(form): Form<LineForm>,
) -> Result<Response, AppError> {
    let id = line_id(&raw)?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", ProductLineName::parse(&form.name));
    let revision = form.revision;
    let (visit, (line, outcome)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let line = line_of(tx, tenant.id, id).await?;
                let Some(name) = name else {
                    return Ok((line, Err(Refused::Invalid(errors))));
                };
                match products::rename_line(tx, tenant.id, id, &name, revision).await {
                    Ok(true) => {}
                    Ok(false) => {
                        errors.add("name", NAME_TAKEN);
                        return Ok((line, Err(Refused::Invalid(errors))));
                    }
                    Err(DbError::StaleVersion) => return Ok((line, Err(Refused::Stale))),
                    Err(e) => return Err(e.into()),
                }
                let event = NewEvent::by(visit, "product_line.renamed", "product_line", id)
                    .before(json!({"name": line.name}))
                    .after(json!({"name": name.as_str()}));
                audit::record(tx, event).await?;
                Ok((line, Ok(name)))
            })
        })
        .await?;
    match outcome {
        Ok(name) => Ok(redirect_with_flash(
            &state,
            &list_url(&slug),
            &Flash::success(format!("Product line {} saved.", name.as_str())),
        )),
        Err(Refused::Invalid(errors)) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&ctx, &visit, Some(line), form, errors)?,
        )),
        Err(Refused::Stale) => {
            let form = LineForm {
                revision: line.revision,
                ..form
            };
            let mut page = form_page(&ctx, &visit, Some(line.clone()), form, FieldErrors::new())?;
            page.current = Some(line);
            page.layout.flash = Some(Flash::error(
                "Someone else changed this product line while you were editing. Your input is \
                 kept below; the current name is shown above it. Save again to apply yours.",
            ));
            Ok(with_status(StatusCode::CONFLICT, page))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "products/line_delete.html")]
pub struct DeletePage {
    layout: Layout,
    slug: String,
    line: ProductLine,
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
) -> Result<DeletePage, AppError> {
    let id = line_id(&raw)?;
    let (visit, line) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                line_of(tx, tenant.id, id).await
            })
        })
        .await?;
    Ok(DeletePage {
        layout: Layout::signed_in(&ctx, &visit, format!("Delete {}", line.name), "products"),
        slug,
        line,
    })
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = line_id(&raw)?;
    let (_, flash) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let line = line_of(tx, tenant.id, id).await?;
                products::delete_line(tx, tenant.id, id).await?;
                let event = NewEvent::by(visit, "product_line.deleted", "product_line", id)
                    .before(json!({"name": line.name, "products": line.product_count}));
                audit::record(tx, event).await?;
                Ok(Flash::success(match line.product_count {
                    0 => format!("Product line {} deleted.", line.name),
                    1 => format!(
                        "Product line {} deleted; its product is now unassigned.",
                        line.name
                    ),
                    n => format!(
                        "Product line {} deleted; its {n} products are now unassigned.",
                        line.name
                    ),
                }))
            })
        })
        .await?;
    Ok(redirect_with_flash(&state, &list_url(&slug), &flash))
}
