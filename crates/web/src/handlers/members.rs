//! `/{tenant}/settings/members`: who belongs to the organisation, with
//! which role (owner only). New people get a one-time password, shown once,
//! that they must change at first sign-in.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::{redirect_with_flash, require, with_status};
use crate::layout::{Flash, Layout};
use crate::password::hash_password;
use crate::state::AppState;
use almanac_db::audit::{self, NewEvent};
use almanac_db::members::{self, Member};
use almanac_db::users::{self, NewUser};
use almanac_db::{Tx, Visit, feed_tokens, sessions};
use almanac_domain::{DisplayName, Email, FieldErrors, Role, TenantId, UserId};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

const ADMINISTER: &str = "manage the organisation's members";

#[derive(Template, WebTemplate)]
#[template(path = "settings/members.html")]
pub struct MembersPage {
    layout: Layout,
    slug: String,
    me: UserId,
    members: Vec<MemberRow>,
    roles: Vec<(String, String, bool)>,
    email: String,
    display_name: String,
    errors: FieldErrors,
    /// (email, password) of a member just created: shown on this page only.
    one_time: Option<(String, String)>,
}

pub struct MemberRow {
    member: Member,
    since: String,
    roles: Vec<(String, String, bool)>,
}

fn role_options(selected: Option<Role>) -> Vec<(String, String, bool)> {
    Role::ALL
        .into_iter()
        .map(|r| {
            (
                r.as_str().to_owned(),
                r.label().to_owned(),
                Some(r) == selected,
            )
        })
        .collect()
}

fn page(ctx: &Ctx, visit: &Visit, list: Vec<Member>) -> Result<MembersPage, AppError> {
    let tenant = visit.tenant()?;
    let zone = crate::handlers::viewer_zone(visit);
    Ok(MembersPage {
        layout: Layout::signed_in(ctx, visit, "Members", "settings"),
        slug: tenant.slug.clone(),
        me: visit.user.id,
        members: list
            .into_iter()
            .map(|m| MemberRow {
                since: almanac_domain::time::local_date(m.since, zone),
                roles: role_options(Some(m.role)),
                member: m,
            })
            .collect(),
        roles: role_options(Some(Role::Viewer)),
        email: String::new(),
        display_name: String::new(),
        errors: FieldErrors::new(),
        one_time: None,
    })
}

/// The member `user` of the visitor's tenant, for a change by an owner, with
/// the tenant's owners locked and counted (so two concurrent changes cannot
/// both leave the tenant without an owner).
async fn member_for_change(
    tx: &mut Tx,
    visit: &Visit,
    user: UserId,
) -> Result<(TenantId, Member, i64), AppError> {
    let tenant = visit.tenant()?;
    require(tenant, Role::can_administer, ADMINISTER)?;
    let owners = members::lock_owner_count(tx, tenant.id).await?;
    let member = members::get(tx, tenant.id, user)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((tenant.id, member, owners))
}

async fn owner_list(tx: &mut Tx, visit: &Visit) -> Result<Vec<Member>, AppError> {
    let tenant = visit.tenant()?;
    require(tenant, Role::can_administer, ADMINISTER)?;
    Ok(members::list(tx, tenant.id).await?)
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<MembersPage, AppError> {
    let (visit, list) = ctx
        .enter(&state, Some(&slug), |tx, visit| {
            Box::pin(owner_list(tx, visit))
        })
        .await?;
    page(&ctx, &visit, list)
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
}

/// A readable one-time password: 4 groups of 4 from an alphabet without
/// look-alike characters (~82 bits).
fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY3479";
    let mut rng = rand::rngs::OsRng;
    (0..4)
        .map(|_| {
            (0..4)
                .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

enum Added {
    Invalid(FieldErrors),
    Existing(String),
    New(String),
}

pub async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Form(form): Form<AddForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    let email = errors.check("email", Email::parse(&form.email));
    let role = errors.check("role", form.role.parse::<Role>());
    let name = if form.display_name.trim().is_empty() {
        email.as_ref().map(DisplayName::from_email)
    } else {
        errors.check("display_name", DisplayName::parse(&form.display_name))
    };
    let password = one_time_password();
    let password_hash = hash_password(password.clone()).await?;
    let (visit, (outcome, list)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let list = owner_list(tx, visit).await?;
                let tenant = visit.tenant()?;
                let (Some(email), Some(role), Some(name), true) =
                    (email, role, name, errors.is_empty())
                else {
                    return Ok((Added::Invalid(errors), list));
                };
                if list.iter().any(|m| m.email == email.as_str()) {
                    let mut errors = FieldErrors::new();
                    errors.add(
                        "email",
                        "this person is already a member; change their role in the list",
                    );
                    return Ok((Added::Invalid(errors), list));
                }
                let (user, outcome) = match users::find_by_email(tx, &email).await? {
                    Some(user) => (user, Added::Existing(email.to_string())),
                    None => {
                        let user = users::create(
                            tx,
                            NewUser {
                                id: UserId::new(),
                                email: &email,
                                display_name: &name,
                                password_hash: &password_hash,
                                must_change_password: true,
                            },
                        )
                        .await?;
                        (user, Added::New(email.to_string()))
                    }
                };
                members::upsert(tx, tenant.id, user, role).await?;
                audit::record(
                    tx,
                    NewEvent::by(visit, "member.added", "membership", user)
                        .after(json!({"email": email.as_str(), "role": role.as_str()})),
                )
                .await?;
                let list = members::list(tx, tenant.id).await?;
                Ok((outcome, list))
            })
        })
        .await?;
    match outcome {
        Added::Invalid(errors) => {
            let mut page = page(&ctx, &visit, list)?;
            page.email = form.email;
            page.display_name = form.display_name;
            page.roles = role_options(form.role.parse().ok());
            page.errors = errors;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, page))
        }
        Added::Existing(email) => Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/settings/members"),
            &Flash::success(format!(
                "{email} already had an account and is now a member. They sign in with their existing password."
            )),
        )),
        Added::New(email) => {
            let mut page = page(&ctx, &visit, list)?;
            page.layout.flash = Some(Flash::success(format!("{email} was added.")));
            page.one_time = Some((email, password));
            Ok(page.into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, user)): Path<(String, Uuid)>,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    let role: Role = form
        .role
        .parse()
        .map_err(|_| AppError::BadRequest("Choose one of the listed roles.".to_owned()))?;
    let user = UserId(user);
    let (_, message) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, member, owners) = member_for_change(tx, visit, user).await?;
                if member.role == role {
                    return Ok(Flash::info(format!(
                        "{} already is {}.",
                        member.display_name,
                        role.label()
                    )));
                }
                if member.role == Role::Owner && owners <= 1 {
                    return Ok(Flash::error(
                        "The organisation needs at least one owner: make someone else owner first.",
                    ));
                }
                members::upsert(tx, tenant, user, role).await?;
                audit::record(
                    tx,
                    NewEvent::by(visit, "member.role_changed", "membership", user)
                        .before(json!({"email": member.email, "role": member.role.as_str()}))
                        .after(json!({"email": member.email, "role": role.as_str()})),
                )
                .await?;
                Ok(Flash::success(format!(
                    "{} is now {}.",
                    member.display_name,
                    role.label()
                )))
            })
        })
        .await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/{slug}/settings/members"),
        &message,
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/member_remove.html")]
pub struct RemovePage {
    layout: Layout,
    slug: String,
    member: Member,
    is_self: bool,
}

pub async fn confirm_remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, user)): Path<(String, Uuid)>,
) -> Result<RemovePage, AppError> {
    let (visit, member) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_administer, ADMINISTER)?;
                members::get(tx, tenant.id, UserId(user))
                    .await?
                    .ok_or(AppError::NotFound)
            })
        })
        .await?;
    Ok(RemovePage {
        layout: Layout::signed_in(&ctx, &visit, "Remove member", "settings"),
        slug,
        is_self: member.user_id == visit.user.id,
        member,
    })
}

pub async fn remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, user)): Path<(String, Uuid)>,
) -> Result<Response, AppError> {
    let user = UserId(user);
    let (_, message) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, member, owners) = member_for_change(tx, visit, user).await?;
                if member.role == Role::Owner && owners <= 1 {
                    return Ok(Flash::error(
                        "The last owner cannot be removed: make someone else owner first.",
                    ));
                }
                members::remove(tx, tenant, user).await?;
                // Their sessions end now, wherever they are signed in.
                let ended = sessions::delete_for_user(tx, user, None).await?;
                // ... and their calendar feeds of this organisation stop.
                let feeds = feed_tokens::revoke_for_member(tx, tenant, user).await?;
                audit::record(
                    tx,
                    NewEvent::by(visit, "member.removed", "membership", user)
                        .before(json!({"email": member.email, "role": member.role.as_str()}))
                        .after(json!({"sessions_ended": ended, "feed_tokens_revoked": feeds})),
                )
                .await?;
                Ok(Flash::success(format!(
                    "{} was removed from the organisation.",
                    member.display_name
                )))
            })
        })
        .await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/{slug}/settings/members"),
        &message,
    ))
}

#[cfg(test)]
mod tests {
    use super::one_time_password;

    #[test]
    fn one_time_passwords_are_long_and_distinct() {
        let a = one_time_password();
        assert_eq!(a.len(), 19);
        assert!(a.chars().count() >= almanac_domain::NewPassword::MIN_CHARS);
        assert_ne!(a, one_time_password());
    }
}
