//! `/{tenant}/products`: the portfolio's products grouped by product line,
//! each with its next release; one product's page with its release history
//! and audit history; forms to create, edit, archive and delete products.
//! Keys in URLs are read in any case; pages link the upper-case form.
//! Product lines live in [`lines`], the product form in [`form`].

mod form;
mod lines;

use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::{redirect_with_flash, require, viewer_zone, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use crate::view::{HistoryRow, history_rows};
use almanac_db::audit::{self, NewEvent};
use almanac_db::products::{self, HistoricRelease, ListedProduct, Product, ProductLine, Removal};
use almanac_db::{DbError, Tx, Visit};
use almanac_domain::product::ProductKey;
use almanac_domain::time::local_datetime;
use almanac_domain::{FieldErrors, Role, TenantId};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use form::{Choices, FormPage, ProductForm, snapshot, stored_snapshot};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

const PLAN: &str = "change products";
const KEY_TAKEN: &str = "a product with this key exists";

/// The routes of this area; merged by `router::build_app`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/products", get(list))
        .route("/{tenant}/products/new", get(new).post(create))
        .route(
            "/{tenant}/products/lines/new",
            get(lines::new).post(lines::create),
        )
        .route(
            "/{tenant}/products/lines/{id}/edit",
            get(lines::edit).post(lines::save),
        )
        .route(
            "/{tenant}/products/lines/{id}/delete",
            get(lines::confirm_delete).post(lines::delete),
        )
        .route("/{tenant}/products/{key}", get(show))
        .route("/{tenant}/products/{key}/edit", get(edit).post(save))
        .route(
            "/{tenant}/products/{key}/delete",
            get(confirm_delete).post(delete),
        )
        .route("/{tenant}/products/{key}/archive", post(archive))
        .route("/{tenant}/products/{key}/unarchive", post(unarchive))
}

/// The key of a URL, in any case; a key that cannot exist is a missing page.
fn key_of(raw: &str) -> Result<ProductKey, AppError> {
    ProductKey::parse(raw).map_err(|_| AppError::NotFound)
}

async fn product_by_key(
    tx: &mut Tx,
    tenant: TenantId,
    key: &ProductKey,
) -> Result<Product, AppError> {
    products::get_by_key(tx, tenant, key)
        .await?
        .ok_or(AppError::NotFound)
}

// ------------------------------------------------------------------ list

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    archived: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "products/list.html")]
pub struct ListPage {
    layout: Layout,
    slug: String,
    can_plan: bool,
    show_archived: bool,
    groups: Vec<Group>,
    product_count: usize,
}

/// A product line (or the unassigned products) on the products page.
pub struct Group {
    line: Option<ProductLine>,
    products: Vec<Row>,
}

pub struct Row {
    key: String,
    name: String,
    colour: String,
    archived: bool,
    owner: Option<String>,
    /// (release id, version, go-live in the viewer's zone).
    next: Option<(Uuid, String, String)>,
}

fn group(lines: Vec<ProductLine>, listed: Vec<ListedProduct>, zone: &str) -> Vec<Group> {
    let mut by_line: HashMap<Option<Uuid>, Vec<Row>> = HashMap::new();
    for p in listed {
        let next = match (p.next_release_id, p.next_version, p.next_go_live) {
            (Some(id), Some(version), Some(at)) => Some((id, version, local_datetime(at, zone))),
            _ => None,
        };
        by_line.entry(p.product_line_id).or_default().push(Row {
            key: p.key,
            name: p.name,
            colour: p.colour,
            archived: p.archived,
            owner: p.owner_name,
            next,
        });
    }
    let mut groups: Vec<Group> = lines
        .into_iter()
        .map(|line| Group {
            products: by_line.remove(&Some(line.id)).unwrap_or_default(),
            line: Some(line),
        })
        .collect();
    if let Some(unassigned) = by_line.remove(&None) {
        groups.push(Group {
            line: None,
            products: unassigned,
        });
    }
    groups
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let show_archived = query.archived;
    let (visit, (lines, listed)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?.id;
                let lines = products::lines(tx, tenant).await?;
                let listed = products::list(tx, tenant, show_archived).await?;
                Ok((lines, listed))
            })
        })
        .await?;
    let tenant = visit.tenant()?;
    let product_count = listed.len();
    Ok(ListPage {
        layout: Layout::signed_in(&ctx, &visit, "Products", "products"),
        slug: tenant.slug.clone(),
        can_plan: tenant.role.can_plan(),
        show_archived,
        groups: group(lines, listed, viewer_zone(&visit)),
        product_count,
    })
}

// ------------------------------------------------------------------ show

#[derive(Template, WebTemplate)]
#[template(path = "products/show.html")]
pub struct ShowPage {
    layout: Layout,
    slug: String,
    can_plan: bool,
    product: Product,
    created: String,
    updated: String,
    releases: Vec<ReleaseRow>,
    history: Vec<HistoryRow>,
}

pub struct ReleaseRow {
    id: Uuid,
    version: String,
    title: String,
    release_type: String,
    status: String,
    status_class: &'static str,
    go_live: String,
    actual_go_live: String,
}

/// The words and badge colour of a release status (colour is never alone:
/// the word is always shown).
fn status_badge(status: &str) -> (String, &'static str) {
    let class = match status {
        "approved" | "released" => "badge-green",
        "rejected" | "rolled_back" => "badge-red",
        "scheduled" | "in_progress" => "badge-blue",
        _ => "badge-grey",
    };
    (status.replace('_', " "), class)
}

fn release_row(r: HistoricRelease, zone: &str) -> ReleaseRow {
    let (status, status_class) = status_badge(&r.status);
    ReleaseRow {
        id: r.id,
        version: r.version,
        title: r.title,
        release_type: r.release_type,
        status,
        status_class,
        go_live: r
            .go_live
            .map(|t| local_datetime(t, zone))
            .unwrap_or_default(),
        actual_go_live: r
            .actual_go_live
            .map(|t| local_datetime(t, zone))
            .unwrap_or_default(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let key = key_of(&raw)?;
    if key.as_str() != raw {
        return Ok(Redirect::permanent(&format!("/{slug}/products/{key}")).into_response());
    }
    let (visit, (product, releases, events)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?.id;
                let product = product_by_key(tx, tenant, &key).await?;
                let releases = products::release_history(tx, tenant, product.id).await?;
                let events =
                    audit::history(tx, tenant, "product", &product.id.to_string(), 50).await?;
                Ok((product, releases, events))
            })
        })
        .await?;
    let tenant = visit.tenant()?;
    let zone = viewer_zone(&visit);
    Ok(ShowPage {
        layout: Layout::signed_in(
            &ctx,
            &visit,
            format!("{} · {}", product.key, product.name),
            "products",
        ),
        slug: tenant.slug.clone(),
        can_plan: tenant.role.can_plan(),
        created: local_datetime(product.created_at, zone),
        updated: local_datetime(product.updated_at, zone),
        releases: releases.into_iter().map(|r| release_row(r, zone)).collect(),
        history: history_rows(events, zone),
        product,
    }
    .into_response())
}

// ------------------------------------------------------------ new/create

pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<FormPage, AppError> {
    let (visit, choices) = ctx
        .enter(&state, Some(&slug), |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                Choices::load(tx, tenant.id).await
            })
        })
        .await?;
    FormPage::new(
        &ctx,
        &visit,
        None,
        ProductForm::default(),
        &choices,
        FieldErrors::new(),
    )
}

/// Why a product form was not saved.
struct Rejected {
    choices: Choices,
    errors: FieldErrors,
    /// The stored product when the edit was stale.
    stale: Option<Product>,
}

impl Rejected {
    fn invalid(choices: Choices, errors: FieldErrors) -> Self {
        Self {
            choices,
            errors,
            stale: None,
        }
    }
}

/// The form again: 422 with the messages, or 409 with the stored product
/// above the kept input.
fn rejected_page(
    ctx: &Ctx,
    visit: &Visit,
    fixed_key: Option<String>,
    mut form: ProductForm,
    rejected: Rejected,
) -> Result<Response, AppError> {
    let status = if rejected.stale.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    if let Some(current) = &rejected.stale {
        form.revision = current.revision;
    }
    let mut page = FormPage::new(
        ctx,
        visit,
        fixed_key,
        form,
        &rejected.choices,
        rejected.errors,
    )?;
    if rejected.stale.is_some() {
        page.layout.flash = Some(Flash::error(
            "Someone else changed this product while you were editing. Your input is kept \
             below; the current values are shown above it. Save again to apply yours.",
        ));
    }
    page.current = rejected.stale;
    Ok(with_status(status, page))
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Form(form): Form<ProductForm>,
) -> Result<Response, AppError> {
    let input = form.clone();
    let (visit, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let choices = Choices::load(tx, tenant.id).await?;
                let mut errors = FieldErrors::new();
                let key = input.parse_key(&mut errors);
                if let Some(key) = &key {
                    // Checked up front so it is reported with the other
                    // problems; the insert below still guards against a race.
                    if products::key_taken(tx, tenant.id, key).await? {
                        errors.add("key", KEY_TAKEN);
                    }
                }
                let draft = input.parse(&choices, &mut errors);
                let (Some(key), Some(draft), true) = (key, draft, errors.is_empty()) else {
                    return Ok(Err(Rejected::invalid(choices, errors)));
                };
                let Some(id) = products::create(tx, tenant.id, &key, &draft).await? else {
                    errors.add("key", KEY_TAKEN);
                    return Ok(Err(Rejected::invalid(choices, errors)));
                };
                let event = NewEvent::by(visit, "product.created", "product", id).after(snapshot(
                    key.as_str(),
                    &draft,
                    &choices,
                    false,
                ));
                audit::record(tx, event).await?;
                Ok(Ok(key))
            })
        })
        .await?;
    match outcome {
        Ok(key) => Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/products/{key}"),
            &Flash::success(format!("Product {key} created.")),
        )),
        Err(rejected) => rejected_page(&ctx, &visit, None, form, rejected),
    }
}

// ------------------------------------------------------------- edit/save

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
) -> Result<FormPage, AppError> {
    let key = key_of(&raw)?;
    let (visit, (product, choices)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let product = product_by_key(tx, tenant.id, &key).await?;
                Ok((product, Choices::load(tx, tenant.id).await?))
            })
        })
        .await?;
    FormPage::new(
        &ctx,
        &visit,
        Some(product.key.clone()),
        ProductForm::from_product(&product),
        &choices,
        FieldErrors::new(),
    )
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
    Form(form): Form<ProductForm>,
) -> Result<Response, AppError> {
    let key = key_of(&raw)?;
    let fixed_key = key.to_string();
    // The key is fixed once created: a posted key is ignored.
    let input = form.clone();
    let (visit, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let product = product_by_key(tx, tenant.id, &key).await?;
                let choices = Choices::load(tx, tenant.id).await?;
                let mut errors = FieldErrors::new();
                let Some(draft) = input.parse(&choices, &mut errors) else {
                    return Ok(Err(Rejected::invalid(choices, errors)));
                };
                match products::update(tx, tenant.id, product.id, &draft, input.revision).await {
                    Err(DbError::StaleVersion) => {
                        return Ok(Err(Rejected {
                            choices,
                            errors,
                            stale: Some(product),
                        }));
                    }
                    other => other?,
                }
                let event = NewEvent::by(visit, "product.updated", "product", product.id)
                    .before(stored_snapshot(&product))
                    .after(snapshot(&product.key, &draft, &choices, product.archived));
                audit::record(tx, event).await?;
                Ok(Ok(product.key))
            })
        })
        .await?;
    match outcome {
        Ok(key) => Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/products/{key}"),
            &Flash::success(format!("Product {key} saved.")),
        )),
        Err(rejected) => rejected_page(&ctx, &visit, Some(fixed_key), form, rejected),
    }
}

// -------------------------------------------------------- archive/delete

async fn set_archived(
    state: AppState,
    ctx: Ctx,
    slug: String,
    raw: &str,
    archived: bool,
) -> Result<Response, AppError> {
    let key = key_of(raw)?;
    let to = format!("/{slug}/products/{key}");
    let (_, flash) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let product = product_by_key(tx, tenant.id, &key).await?;
                let word = if archived { "archived" } else { "restored" };
                if !products::set_archived(tx, tenant.id, product.id, archived).await? {
                    return Ok(Flash::info(format!("{} already is {word}.", product.key)));
                }
                let action = if archived {
                    "product.archived"
                } else {
                    "product.unarchived"
                };
                let event = NewEvent::by(visit, action, "product", product.id)
                    .before(stored_snapshot(&product))
                    .after(stored_snapshot(&Product {
                        archived,
                        ..product.clone()
                    }));
                audit::record(tx, event).await?;
                Ok(Flash::success(format!("Product {} {word}.", product.key)))
            })
        })
        .await?;
    Ok(redirect_with_flash(&state, &to, &flash))
}

pub async fn archive(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
) -> Result<Response, AppError> {
    set_archived(state, ctx, slug, &raw, true).await
}

pub async fn unarchive(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
) -> Result<Response, AppError> {
    set_archived(state, ctx, slug, &raw, false).await
}

#[derive(Template, WebTemplate)]
#[template(path = "products/delete.html")]
pub struct DeletePage {
    layout: Layout,
    slug: String,
    product: Product,
    /// Releases (or windows) refer to it: deleting archives it instead.
    in_use: bool,
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
) -> Result<DeletePage, AppError> {
    let key = key_of(&raw)?;
    let (visit, (product, in_use)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let product = product_by_key(tx, tenant.id, &key).await?;
                let in_use = products::in_use(tx, tenant.id, product.id).await?;
                Ok((product, in_use))
            })
        })
        .await?;
    Ok(DeletePage {
        layout: Layout::signed_in(&ctx, &visit, format!("Delete {}", product.key), "products"),
        slug,
        product,
        in_use,
    })
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let key = key_of(&raw)?;
    let product_page = format!("/{slug}/products/{key}");
    let (_, (removal, flash)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let product = product_by_key(tx, tenant.id, &key).await?;
                let removal = products::delete(tx, tenant.id, product.id).await?;
                let (event, flash) = match removal {
                    Removal::Deleted => (
                        NewEvent::by(visit, "product.deleted", "product", product.id)
                            .before(stored_snapshot(&product)),
                        Flash::success(format!("Product {} deleted.", product.key)),
                    ),
                    Removal::Archived => (
                        NewEvent::by(visit, "product.archived", "product", product.id)
                            .before(stored_snapshot(&product))
                            .after(stored_snapshot(&Product {
                                archived: true,
                                ..product.clone()
                            })),
                        Flash::info(format!(
                            "Product {} has releases (or a window names it), so it was archived \
                             instead of deleted.",
                            product.key
                        )),
                    ),
                };
                audit::record(tx, event).await?;
                Ok((removal, flash))
            })
        })
        .await?;
    let to = match removal {
        Removal::Deleted => format!("/{slug}/products"),
        Removal::Archived => product_page,
    };
    Ok(redirect_with_flash(&state, &to, &flash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_badges_pair_a_word_with_a_colour() {
        let table = [
            ("planned", "planned", "badge-grey"),
            ("scheduled", "scheduled", "badge-blue"),
            ("approved", "approved", "badge-green"),
            ("rejected", "rejected", "badge-red"),
            ("in_progress", "in progress", "badge-blue"),
            ("released", "released", "badge-green"),
            ("rolled_back", "rolled back", "badge-red"),
            ("cancelled", "cancelled", "badge-grey"),
        ];
        for (status, word, class) in table {
            assert_eq!(status_badge(status), (word.to_owned(), class), "{status}");
        }
    }
}
