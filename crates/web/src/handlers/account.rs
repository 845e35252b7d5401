//! A person's own pages: their organisations, profile (with their calendar
//! feeds, see [`crate::handlers::feed::tokens`]) and password.

use crate::auth::{Ctx, token_hash};
use crate::error::AppError;
use crate::handlers::{redirect_with_flash, with_status, zone_options};
use crate::layout::{Flash, Layout};
use crate::password::{hash_password, verify_password};
use crate::state::AppState;
use almanac_db::audit::{self, NewEvent};
use almanac_db::feed_tokens::{self, FeedToken};
use almanac_db::users::Profile;
use almanac_db::{Tx, Visit, sessions, users};
use almanac_domain::time::local_datetime;
use almanac_domain::{DisplayName, Email, FieldErrors, NewPassword, TimeZone};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Template, WebTemplate)]
#[template(path = "account/home.html")]
pub struct HomePage {
    layout: Layout,
}

/// `/`: the person's organisations; straight to the only one.
pub async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let visit = ctx.visit(&state, None).await?;
    if let [(slug, _)] = visit.memberships.as_slice() {
        return Ok(Redirect::to(&format!("/{slug}/")).into_response());
    }
    Ok(HomePage {
        layout: Layout::signed_in(&ctx, &visit, "Your organisations", "home"),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "account/profile.html")]
pub struct ProfilePage {
    layout: Layout,
    email: String,
    display_name: String,
    zones: Vec<(String, String, bool)>,
    version: i32,
    errors: FieldErrors,
    stale: bool,
    /// "Calendar feeds": one section per organisation of the person.
    feeds: Vec<FeedSection>,
    /// A feed token just created: shown on this page only.
    new_feed: Option<NewFeed>,
}

/// The feeds of one organisation, with the form that adds one.
pub struct FeedSection {
    slug: String,
    name: String,
    tokens: Vec<FeedRow>,
    /// The label typed into a refused form, and why it was refused.
    label: String,
    error: String,
}

pub struct FeedRow {
    id: Uuid,
    label: String,
    created: String,
    last_used: String,
}

/// A refused "new feed" form of one organisation: input and message.
pub struct FeedForm {
    pub slug: String,
    pub label: String,
    pub error: String,
}

/// A token just created: its address, shown once.
pub struct NewFeed {
    tenant_name: String,
    label: String,
    url: String,
    /// The same address as `webcal://`, which opens the calendar app.
    webcal: String,
}

impl NewFeed {
    #[must_use]
    pub fn new(tenant_name: String, label: String, url: String) -> Self {
        let webcal = match url.split_once("://") {
            Some((_, rest)) => format!("webcal://{rest}"),
            None => url.clone(),
        };
        Self {
            tenant_name,
            label,
            url,
            webcal,
        }
    }
}

impl ProfilePage {
    /// The profile page showing `profile` and the person's feed `tokens`.
    pub(crate) fn new(
        ctx: &Ctx,
        visit: &Visit,
        profile: Profile,
        tokens: Vec<FeedToken>,
        new_feed: Option<NewFeed>,
        feed_form: Option<FeedForm>,
    ) -> Self {
        let zone = crate::handlers::viewer_zone(visit).to_owned();
        let when = |at: DateTime<Utc>| local_datetime(at, &zone);
        let feeds = visit
            .memberships
            .iter()
            .map(|(slug, name)| {
                let form = feed_form.as_ref().filter(|f| &f.slug == slug);
                FeedSection {
                    slug: slug.clone(),
                    name: name.clone(),
                    tokens: tokens
                        .iter()
                        .filter(|t| &t.tenant_slug == slug)
                        .map(|t| FeedRow {
                            id: t.id,
                            label: t.label.clone(),
                            created: when(t.created_at),
                            last_used: t.last_used_at.map_or_else(|| "never".to_owned(), when),
                        })
                        .collect(),
                    label: form.map(|f| f.label.clone()).unwrap_or_default(),
                    error: form.map(|f| f.error.clone()).unwrap_or_default(),
                }
            })
            .collect();
        Self {
            layout: Layout::signed_in(ctx, visit, "Your profile", "profile"),
            email: profile.email,
            display_name: profile.display_name,
            zones: zone_options(
                profile.time_zone.as_deref().unwrap_or(""),
                Some("Use my organisation's time zone"),
            ),
            version: profile.version,
            errors: FieldErrors::new(),
            stale: false,
            feeds,
            new_feed,
        }
    }
}

pub async fn profile(State(state): State<AppState>, ctx: Ctx) -> Result<ProfilePage, AppError> {
    let (visit, (profile, tokens)) = ctx
        .enter(&state, None, |tx, visit| {
            let id = visit.user.id;
            Box::pin(async move {
                let profile = users::profile(tx, id).await?;
                Ok((profile, feed_tokens::list_own(tx, id).await?))
            })
        })
        .await?;
    Ok(ProfilePage::new(&ctx, &visit, profile, tokens, None, None))
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    version: i32,
}

/// Why a profile form was not saved, with what the page shows again.
struct Refused {
    errors: FieldErrors,
    stale: bool,
    current: Profile,
    tokens: Vec<FeedToken>,
}

/// A refused save, with the person's feed tokens for the page.
async fn refused(
    tx: &mut Tx,
    visit: &Visit,
    errors: FieldErrors,
    stale: bool,
    current: Profile,
) -> Result<Result<(), Refused>, AppError> {
    let tokens = feed_tokens::list_own(tx, visit.user.id).await?;
    Ok(Err(Refused {
        errors,
        stale,
        current,
        tokens,
    }))
}

pub async fn save_profile(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<ProfileForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    let name = errors.check("display_name", DisplayName::parse(&form.display_name));
    let zone = if form.time_zone.is_empty() {
        Some(None)
    } else {
        errors
            .check("time_zone", TimeZone::parse(&form.time_zone))
            .map(Some)
    };
    let (visit, outcome) = ctx
        .enter(&state, None, move |tx, visit| {
            Box::pin(async move {
                let before = users::profile(tx, visit.user.id).await?;
                let (Some(name), Some(zone), true) = (name, zone, errors.is_empty()) else {
                    return refused(tx, visit, errors, false, before).await;
                };
                match users::update_profile(
                    tx,
                    visit.user.id,
                    &name,
                    zone.map(TimeZone::name),
                    form.version,
                )
                .await
                {
                    Err(almanac_db::DbError::StaleVersion) => {
                        return refused(tx, visit, FieldErrors::new(), true, before).await;
                    }
                    other => other?,
                }
                let event = NewEvent::by(visit, "profile.updated", "user", visit.user.id)
                    .before(json!({
                        "display_name": before.display_name,
                        "time_zone": before.time_zone,
                    }))
                    .after(json!({
                        "display_name": name.as_str(),
                        "time_zone": zone.map(TimeZone::name),
                    }));
                audit::record(tx, event).await?;
                Ok(Ok(()))
            })
        })
        .await?;
    match outcome {
        Ok(()) => Ok(redirect_with_flash(
            &state,
            "/profile",
            &Flash::success("Your profile was saved."),
        )),
        Err(refused) => {
            // Stale: the current record's version, with the person's input kept.
            let status = if refused.stale {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let mut page =
                ProfilePage::new(&ctx, &visit, refused.current, refused.tokens, None, None);
            if !refused.stale {
                page.version = form.version;
            }
            page.display_name = form.display_name;
            page.zones = zone_options(&form.time_zone, Some("Use my organisation's time zone"));
            page.errors = refused.errors;
            page.stale = refused.stale;
            Ok(with_status(status, page))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "account/password.html")]
pub struct PasswordPage {
    layout: Layout,
    forced: bool,
    errors: FieldErrors,
}

pub async fn password_form(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<PasswordPage, AppError> {
    let visit = ctx
        .enter_with(&state, None, true, |_, _| Box::pin(async { Ok(()) }))
        .await?
        .0;
    Ok(PasswordPage {
        forced: visit.user.must_change_password,
        layout: Layout::signed_in(&ctx, &visit, "Change your password", "profile"),
        errors: FieldErrors::new(),
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let (visit, hash) = ctx
        .enter_with(&state, None, true, |tx, visit| {
            let id = visit.user.id;
            Box::pin(async move { Ok(users::password_hash(tx, id).await?) })
        })
        .await?;
    let mut errors = FieldErrors::new();
    let email = Email::parse(&visit.user.email).ok();
    let new = errors.check("new", NewPassword::parse(&form.new, email.as_ref()));
    if form.new != form.confirm {
        errors.add("confirm", "the two new passwords differ");
    }
    if form.current == form.new && !form.new.is_empty() {
        errors.add("new", "choose a password different from the current one");
    }
    if !verify_password(form.current.clone(), Some(hash)).await {
        errors.add("current", "this is not your current password");
    }
    let Some(new) = new.filter(|_| errors.is_empty()) else {
        return Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            PasswordPage {
                forced: visit.user.must_change_password,
                layout: Layout::signed_in(&ctx, &visit, "Change your password", "profile"),
                errors,
            },
        ));
    };
    let new_hash = hash_password(new.expose().to_owned()).await?;
    let keep = ctx.session.as_deref().map(token_hash);
    ctx.enter_with(&state, None, true, move |tx, visit| {
        Box::pin(async move {
            users::set_password(tx, visit.user.id, &new_hash, false).await?;
            // Other browsers signed in as this person are signed out.
            sessions::delete_for_user(tx, visit.user.id, keep.as_deref()).await?;
            audit::record(
                tx,
                NewEvent::by(visit, "password.changed", "user", visit.user.id),
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(redirect_with_flash(
        &state,
        "/",
        &Flash::success("Your password was changed. Other sessions were signed out."),
    ))
}
