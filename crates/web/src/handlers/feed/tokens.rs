//! The profile page's "Calendar feeds" section: a person creates a feed
//! token for one of their organisations (shown once, with the feed address
//! and how to subscribe), lists their tokens, and revokes one after
//! confirming. Every member may have feeds (viewers too: a feed only reads).
//! Each change is audited in the token's organisation.

use crate::auth::{Ctx, new_token, token_hash};
use crate::error::AppError;
use crate::handlers::account::{FeedForm, NewFeed, ProfilePage};
use crate::handlers::feed::origin;
use crate::handlers::{redirect_with_flash, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use almanac_db::audit::{self, NewEvent};
use almanac_db::feed_tokens::{self, FeedToken};
use almanac_db::{Visit, users};
use almanac_domain::ical::{FeedLabel, MAX_TOKENS};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    label: String,
}

/// The visit as the profile page shows it (no tenant selected).
fn without_tenant(visit: &Visit) -> Visit {
    let mut v = visit.clone();
    v.tenant = None;
    v
}

/// `POST /profile/feeds`: a new token for `tenant`, shown once on the page
/// this answers with (200), or the form again with its error (422).
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<CreateForm>,
) -> Result<Response, AppError> {
    let label = FeedLabel::parse(&form.label).map_err(|e| e.to_string());
    let token = new_token();
    let hash = token_hash(&token);
    let (visit, (outcome, profile, tokens)) = ctx
        .enter(&state, Some(&form.tenant), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?.id;
                let outcome = match label {
                    Err(message) => Err(message),
                    Ok(_) if feed_tokens::count_live(tx, tenant, visit.user.id).await? >= MAX_TOKENS => {
                        Err(format!(
                            "You already have {MAX_TOKENS} feeds for this organisation: revoke one first."
                        ))
                    }
                    Ok(label) => {
                        let id = feed_tokens::create(tx, tenant, visit.user.id, &hash, &label).await?;
                        audit::record(
                            tx,
                            NewEvent::by(visit, "feed_token.created", "feed_token", id)
                                .after(json!({"label": label.as_str()})),
                        )
                        .await?;
                        Ok(label)
                    }
                };
                let profile = users::profile(tx, visit.user.id).await?;
                let tokens = feed_tokens::list_own(tx, visit.user.id).await?;
                Ok((outcome, profile, tokens))
            })
        })
        .await?;
    let tenant_name = visit.tenant()?.name.clone();
    let slug = visit.tenant()?.slug.clone();
    let page = |new_feed, feed_form| {
        ProfilePage::new(
            &ctx,
            &without_tenant(&visit),
            profile,
            tokens,
            new_feed,
            feed_form,
        )
    };
    Ok(match outcome {
        Ok(label) => {
            let url = format!(
                "{}/{slug}/calendar.ics?token={token}",
                origin(&headers, state.config.secure_cookies)
            );
            page(
                Some(NewFeed::new(tenant_name, label.as_str().to_owned(), url)),
                None,
            )
            .into_response()
        }
        Err(error) => with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            page(
                None,
                Some(FeedForm {
                    slug,
                    label: form.label,
                    error,
                }),
            ),
        ),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "account/feed_revoke.html")]
pub struct RevokePage {
    layout: Layout,
    slug: String,
    tenant_name: String,
    token: FeedToken,
}

/// The person's live token `id` in the tenant they act in, or 404.
async fn own_token(
    tx: &mut almanac_db::Tx,
    visit: &Visit,
    id: Uuid,
) -> Result<FeedToken, AppError> {
    let tenant = visit.tenant()?.id;
    feed_tokens::get_own(tx, tenant, visit.user.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn confirm_revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, Uuid)>,
) -> Result<RevokePage, AppError> {
    let (visit, token) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(own_token(tx, visit, id))
        })
        .await?;
    Ok(RevokePage {
        tenant_name: visit.tenant()?.name.clone(),
        layout: Layout::signed_in(
            &ctx,
            &without_tenant(&visit),
            "Revoke calendar feed",
            "profile",
        ),
        slug,
        token,
    })
}

pub async fn revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, Uuid)>,
) -> Result<Response, AppError> {
    let (_, label) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let token = own_token(tx, visit, id).await?;
                feed_tokens::revoke(tx, visit.tenant()?.id, visit.user.id, id).await?;
                audit::record(
                    tx,
                    NewEvent::by(visit, "feed_token.revoked", "feed_token", id)
                        .before(json!({"label": token.label})),
                )
                .await?;
                Ok(token.label)
            })
        })
        .await?;
    Ok(redirect_with_flash(
        &state,
        "/profile#feeds",
        &Flash::success(format!(
            "The feed “{label}” was revoked: calendars subscribed to it stop updating."
        )),
    ))
}
