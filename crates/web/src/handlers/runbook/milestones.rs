//! Milestone routes of a release: add, edit, mark done / undo, delete,
//! shift the undone ones when go-live moves, place them from the template.

use super::{id_of, input_time, named, release_for_change, release_url};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::{redirect_with_flash, viewer_zone, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use almanac_db::audit::{self, NewEvent};
use almanac_db::members::{self, Member};
use almanac_db::milestones::{self, Milestone, MilestoneInput, ReleaseRef};
use almanac_db::{DbError, Visit, templates};
use almanac_domain::milestone::{MilestoneName, shift_words, shifted};
use almanac_domain::time::{local_datetime, parse_local_input};
use almanac_domain::{FieldErrors, UserId};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

const ANCHOR: &str = "milestones";

#[derive(Deserialize, Clone, Default)]
pub struct MilestoneForm {
    #[serde(default)]
    name: String,
    /// `datetime-local` in the viewer's zone.
    #[serde(default)]
    due: String,
    /// A member's user id, or "" for none.
    #[serde(default)]
    owner: String,
    #[serde(default)]
    revision: i32,
}

impl MilestoneForm {
    fn of(m: &Milestone, zone: &str) -> Self {
        Self {
            name: m.name.clone(),
            due: input_time(m.due_at, zone),
            owner: m.owner_id.map(|o| o.to_string()).unwrap_or_default(),
            revision: m.revision,
        }
    }

    fn parse(&self, zone: &str, people: &[Member]) -> Result<MilestoneInput, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = e.check("name", MilestoneName::parse(&self.name));
        let due_at = e.check("due", parse_local_input(&self.due, zone));
        let owner = if self.owner.trim().is_empty() {
            Some(None)
        } else {
            let member = Uuid::parse_str(self.owner.trim())
                .ok()
                .filter(|id| people.iter().any(|p| p.user_id.0 == *id));
            if member.is_none() {
                e.add("owner", "choose one of the organisation's members");
            }
            member.map(|id| Some(UserId(id)))
        };
        match (name, due_at, owner) {
            (Some(name), Some(due_at), Some(owner)) => Ok(MilestoneInput {
                name,
                due_at,
                owner,
            }),
            _ => Err(e),
        }
    }
}

/// A milestone's fields as the audit trail records them (times in the
/// tenant's zone, owners by name).
fn snapshot(name: &str, due: DateTime<Utc>, owner: Option<&str>, zone: &str) -> Value {
    json!({"name": name, "due": local_datetime(due, zone), "owner": owner})
}

fn owner_name(people: &[Member], owner: Option<UserId>) -> Option<String> {
    owner.and_then(|o| {
        people
            .iter()
            .find(|p| p.user_id == o)
            .map(|p| p.display_name.clone())
    })
}

fn tenant_zone(visit: &Visit) -> String {
    visit
        .tenant
        .as_ref()
        .map_or_else(|| "UTC".to_owned(), |t| t.time_zone.clone())
}

/// The stored milestone, shown above the form after a stale edit.
pub struct CurrentMilestone {
    name: String,
    due: String,
    owner: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "releases/runbook_milestone_form.html")]
pub struct FormPage {
    layout: Layout,
    slug: String,
    release_id: Uuid,
    release_label: String,
    action: String,
    is_new: bool,
    form: MilestoneForm,
    owners: Vec<(String, String, bool)>,
    errors: FieldErrors,
    /// Says which zone the datetime-local input is read in.
    due_hint: String,
    current: Option<CurrentMilestone>,
}

fn form_page(
    ctx: &Ctx,
    visit: &Visit,
    release: &ReleaseRef,
    milestone: Option<Uuid>,
    form: MilestoneForm,
    people: &[Member],
    errors: FieldErrors,
) -> Result<FormPage, AppError> {
    let slug = visit.tenant()?.slug.clone();
    let base = format!("/{slug}/releases/{}/milestones", release.id);
    let (title, action) = match milestone {
        None => (format!("Add a milestone to {}", release.label), base),
        Some(id) => (
            format!("Edit milestone of {}", release.label),
            format!("{base}/{id}/edit"),
        ),
    };
    let mut owners = vec![(String::new(), "No owner".to_owned(), form.owner.is_empty())];
    owners.extend(people.iter().map(|p| {
        let id = p.user_id.to_string();
        let selected = id == form.owner;
        (id, p.display_name.clone(), selected)
    }));
    Ok(FormPage {
        layout: Layout::signed_in(ctx, visit, title, "releases"),
        release_id: release.id,
        release_label: release.label.clone(),
        action,
        is_new: milestone.is_none(),
        owners,
        errors,
        due_hint: format!("Date and time in your time zone, {}.", viewer_zone(visit)),
        current: None,
        form,
        slug,
    })
}

pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<FormPage, AppError> {
    let id = id_of(&id)?;
    let (visit, (release, people)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, release) = release_for_change(tx, visit, id).await?;
                Ok((release, members::list(tx, tenant).await?))
            })
        })
        .await?;
    form_page(
        &ctx,
        &visit,
        &release,
        None,
        MilestoneForm::default(),
        &people,
        FieldErrors::new(),
    )
}

pub async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<MilestoneForm>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let input = form.clone();
    let (visit, (release, people, outcome)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, release) = release_for_change(tx, visit, id).await?;
                let people = members::list(tx, tenant).await?;
                let parsed = match input.parse(viewer_zone(visit), &people) {
                    Ok(p) => p,
                    Err(errors) => return Ok((release, people, Err(errors))),
                };
                milestones::add(tx, tenant, id, &parsed).await?;
                let after = snapshot(
                    parsed.name.as_str(),
                    parsed.due_at,
                    owner_name(&people, parsed.owner).as_deref(),
                    &tenant_zone(visit),
                );
                audit::record(
                    tx,
                    NewEvent::by(visit, "milestone.added", "release", id).after(after),
                )
                .await?;
                Ok((release, people, Ok(parsed.name)))
            })
        })
        .await?;
    match outcome {
        Ok(name) => Ok(redirect_with_flash(
            &state,
            &release_url(&slug, id, ANCHOR),
            &Flash::success(format!("Milestone “{name}” added.")),
        )),
        Err(errors) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&ctx, &visit, &release, None, form, &people, errors)?,
        )),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, milestone)): Path<(String, String, String)>,
) -> Result<FormPage, AppError> {
    let (id, milestone) = (id_of(&id)?, id_of(&milestone)?);
    let (visit, (release, people, current)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, release) = release_for_change(tx, visit, id).await?;
                let current = milestones::get(tx, tenant, id, milestone)
                    .await?
                    .ok_or(AppError::NotFound)?;
                Ok((release, members::list(tx, tenant).await?, current))
            })
        })
        .await?;
    let form = MilestoneForm::of(&current, viewer_zone(&visit));
    form_page(
        &ctx,
        &visit,
        &release,
        Some(milestone),
        form,
        &people,
        FieldErrors::new(),
    )
}

enum Updated {
    Saved(String),
    Invalid(FieldErrors),
    Stale(Milestone),
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, milestone)): Path<(String, String, String)>,
    Form(form): Form<MilestoneForm>,
) -> Result<Response, AppError> {
    let (id, milestone) = (id_of(&id)?, id_of(&milestone)?);
    let input = form.clone();
    let (visit, (release, people, outcome)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, release) = release_for_change(tx, visit, id).await?;
                let current = milestones::get(tx, tenant, id, milestone)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let people = members::list(tx, tenant).await?;
                let parsed = match input.parse(viewer_zone(visit), &people) {
                    Ok(p) => p,
                    Err(errors) => return Ok((release, people, Updated::Invalid(errors))),
                };
                match milestones::edit(tx, tenant, id, milestone, &parsed, input.revision).await {
                    Err(DbError::StaleVersion) => {
                        return Ok((release, people, Updated::Stale(current)));
                    }
                    other => other?,
                }
                let zone = tenant_zone(visit);
                let before = snapshot(
                    &current.name,
                    current.due_at,
                    current.owner_name.as_deref(),
                    &zone,
                );
                let after = snapshot(
                    parsed.name.as_str(),
                    parsed.due_at,
                    owner_name(&people, parsed.owner).as_deref(),
                    &zone,
                );
                audit::record(
                    tx,
                    NewEvent::by(visit, "milestone.updated", "release", id)
                        .before(before)
                        .after(named("milestone", parsed.name.as_str(), after)),
                )
                .await?;
                Ok((release, people, Updated::Saved(parsed.name.to_string())))
            })
        })
        .await?;
    match outcome {
        Updated::Saved(name) => Ok(redirect_with_flash(
            &state,
            &release_url(&slug, id, ANCHOR),
            &Flash::success(format!("Milestone “{name}” saved.")),
        )),
        Updated::Invalid(errors) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(
                &ctx,
                &visit,
                &release,
                Some(milestone),
                form,
                &people,
                errors,
            )?,
        )),
        Updated::Stale(current) => {
            let zone = viewer_zone(&visit).to_owned();
            let mut page = form_page(
                &ctx,
                &visit,
                &release,
                Some(milestone),
                form,
                &people,
                FieldErrors::new(),
            )?;
            page.form.revision = current.revision;
            page.current = Some(CurrentMilestone {
                due: local_datetime(current.due_at, &zone),
                owner: current.owner_name.clone().unwrap_or_default(),
                name: current.name,
            });
            page.layout.flash = Some(Flash::error(
                "Someone else changed this milestone while you were editing. Your input is kept \
                 below; the current milestone is shown above it. Save again to apply yours.",
            ));
            Ok(with_status(StatusCode::CONFLICT, page))
        }
    }
}

/// Marks the milestone done now (`true`) or not done (`false`).
async fn set_done(
    state: AppState,
    ctx: Ctx,
    (slug, id, milestone): (String, String, String),
    done: bool,
) -> Result<Response, AppError> {
    let (id, milestone) = (id_of(&id)?, id_of(&milestone)?);
    let (_, flash) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, _) = release_for_change(tx, visit, id).await?;
                let current = milestones::get(tx, tenant, id, milestone)
                    .await?
                    .ok_or(AppError::NotFound)?;
                if current.done_at.is_some() == done {
                    return Ok(Flash::info(format!(
                        "Milestone “{}” already is {}.",
                        current.name,
                        if done { "done" } else { "not done" }
                    )));
                }
                let now = Utc::now();
                if !milestones::set_done(tx, tenant, id, milestone, done.then_some(now)).await? {
                    return Ok(Flash::info(format!(
                        "Milestone “{}” was just changed by someone else.",
                        current.name
                    )));
                }
                let zone = tenant_zone(visit);
                let when = |at: Option<DateTime<Utc>>| at.map(|t| local_datetime(t, &zone));
                let (action, before, after) = if done {
                    (
                        "milestone.done",
                        json!({"done": "no"}),
                        json!({"done": "yes", "done at": when(Some(now))}),
                    )
                } else {
                    (
                        "milestone.reopened",
                        json!({"done": "yes", "done at": when(current.done_at)}),
                        json!({"done": "no", "done at": null}),
                    )
                };
                audit::record(
                    tx,
                    NewEvent::by(visit, action, "release", id)
                        .before(before)
                        .after(named("milestone", &current.name, after)),
                )
                .await?;
                Ok(Flash::success(if done {
                    format!("Milestone “{}” marked done.", current.name)
                } else {
                    format!("Milestone “{}” is no longer done.", current.name)
                }))
            })
        })
        .await?;
    Ok(redirect_with_flash(
        &state,
        &release_url(&slug, id, ANCHOR),
        &flash,
    ))
}

pub async fn done(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(path): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    set_done(state, ctx, path, true).await
}

pub async fn undo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(path): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    set_done(state, ctx, path, false).await
}

#[derive(Template, WebTemplate)]
#[template(path = "releases/runbook_milestone_delete.html")]
pub struct DeletePage {
    layout: Layout,
    slug: String,
    release_id: Uuid,
    release_label: String,
    milestone_id: Uuid,
    name: String,
    due: String,
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, milestone)): Path<(String, String, String)>,
) -> Result<DeletePage, AppError> {
    let (id, milestone) = (id_of(&id)?, id_of(&milestone)?);
    let (visit, (release, current)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, release) = release_for_change(tx, visit, id).await?;
                let current = milestones::get(tx, tenant, id, milestone)
                    .await?
                    .ok_or(AppError::NotFound)?;
                Ok((release, current))
            })
        })
        .await?;
    Ok(DeletePage {
        layout: Layout::signed_in(&ctx, &visit, "Delete milestone", "releases"),
        release_id: id,
        release_label: release.label,
        milestone_id: milestone,
        due: local_datetime(current.due_at, viewer_zone(&visit)),
        name: current.name,
        slug,
    })
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, milestone)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let (id, milestone) = (id_of(&id)?, id_of(&milestone)?);
    let (_, name) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, _) = release_for_change(tx, visit, id).await?;
                let current = milestones::get(tx, tenant, id, milestone)
                    .await?
                    .ok_or(AppError::NotFound)?;
                milestones::delete(tx, tenant, id, milestone).await?;
                let before = snapshot(
                    &current.name,
                    current.due_at,
                    current.owner_name.as_deref(),
                    &tenant_zone(visit),
                );
                audit::record(
                    tx,
                    NewEvent::by(visit, "milestone.deleted", "release", id).before(before),
                )
                .await?;
                Ok(current.name)
            })
        })
        .await?;
    Ok(redirect_with_flash(
        &state,
        &release_url(&slug, id, ANCHOR),
        &Flash::success(format!("Milestone “{name}” deleted.")),
    ))
}

// ----------------------------------------------------------------- shift

#[derive(Deserialize)]
pub struct ShiftParams {
    #[serde(default)]
    by: String,
}

/// Go-live moves are bounded by the release's own sanity: ten years.
const MAX_SHIFT_SECONDS: i64 = 10 * 366 * 24 * 3600;

fn parse_shift(by: &str) -> Result<Duration, AppError> {
    by.trim()
        .parse::<i64>()
        .ok()
        .filter(|s| *s != 0 && s.abs() <= MAX_SHIFT_SECONDS)
        .map(Duration::seconds)
        .ok_or_else(|| {
            AppError::BadRequest(
                "The shift must be a non-zero number of seconds (by=172800 for two days)."
                    .to_owned(),
            )
        })
}

pub struct ShiftRow {
    name: String,
    before: String,
    after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "releases/runbook_shift.html")]
pub struct ShiftPage {
    layout: Layout,
    slug: String,
    release_id: Uuid,
    release_label: String,
    by: i64,
    by_words: String,
    rows: Vec<ShiftRow>,
}

/// "Go-live moved by +2 days 3 hours. Shift the N milestones that are not
/// done yet by the same amount?"
pub async fn confirm_shift(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Query(params): Query<ShiftParams>,
) -> Result<ShiftPage, AppError> {
    let id = id_of(&id)?;
    let by = parse_shift(&params.by)?;
    let (visit, (release, pending)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, release) = release_for_change(tx, visit, id).await?;
                let all = milestones::list(tx, tenant, id).await?;
                let pending: Vec<Milestone> =
                    all.into_iter().filter(|m| m.done_at.is_none()).collect();
                Ok((release, pending))
            })
        })
        .await?;
    let zone = viewer_zone(&visit);
    Ok(ShiftPage {
        layout: Layout::signed_in(&ctx, &visit, "Shift milestones", "releases"),
        release_id: id,
        release_label: release.label,
        by: by.num_seconds(),
        by_words: shift_words(by),
        rows: pending
            .into_iter()
            .map(|m| ShiftRow {
                before: local_datetime(m.due_at, zone),
                after: local_datetime(shifted(m.due_at, by), zone),
                name: m.name,
            })
            .collect(),
        slug,
    })
}

pub async fn shift(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(params): Form<ShiftParams>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let by = parse_shift(&params.by)?;
    let (_, moved) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, _) = release_for_change(tx, visit, id).await?;
                let moved = milestones::shift_pending(tx, tenant, id, by).await?;
                if moved.is_empty() {
                    return Ok(0);
                }
                let zone = tenant_zone(visit);
                let lines = |at: fn(&milestones::Shifted) -> DateTime<Utc>| -> Vec<String> {
                    moved
                        .iter()
                        .map(|m| format!("{}: {}", m.name, local_datetime(at(m), &zone)))
                        .collect()
                };
                audit::record(
                    tx,
                    NewEvent::by(visit, "milestones.shifted", "release", id)
                        .before(json!({"milestones": lines(|m| m.before)}))
                        .after(json!({"milestones": lines(|m| m.after), "shifted by": shift_words(by)})),
                )
                .await?;
                Ok(moved.len())
            })
        })
        .await?;
    let flash = match moved {
        0 => Flash::info("No milestone was waiting to be done: nothing was shifted."),
        1 => Flash::success(format!("Shifted 1 milestone by {}.", shift_words(by))),
        n => Flash::success(format!("Shifted {n} milestones by {}.", shift_words(by))),
    };
    Ok(redirect_with_flash(
        &state,
        &release_url(&slug, id, ANCHOR),
        &flash,
    ))
}

// ----------------------------------------------------------------- place

/// Places the milestones of the release's template relative to its go-live
/// (for releases that got their go-live after being made from a template).
pub async fn place(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let (_, flash) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, release) = release_for_change(tx, visit, id).await?;
                let (Some((template, template_name)), Some(go_live)) =
                    (release.template, release.go_live)
                else {
                    return Ok(Flash::error(
                        "Milestones are placed from a template once the release has a production go-live.",
                    ));
                };
                if !milestones::list(tx, tenant, id).await?.is_empty() {
                    return Ok(Flash::error(
                        "This release already has milestones: add or edit them one by one.",
                    ));
                }
                let zone = tenant_zone(visit);
                let placed =
                    templates::place_milestones(tx, tenant, id, template, go_live, &zone).await?;
                let lines: Vec<String> = placed
                    .iter()
                    .map(|(name, due)| format!("{name}: {}", local_datetime(*due, &zone)))
                    .collect();
                audit::record(
                    tx,
                    NewEvent::by(visit, "milestones.placed", "release", id)
                        .after(json!({"template": template_name, "milestones": lines})),
                )
                .await?;
                Ok(Flash::success(match placed.len() {
                    1 => format!("Placed 1 milestone from template “{template_name}”."),
                    n => format!("Placed {n} milestones from template “{template_name}”."),
                }))
            })
        })
        .await?;
    Ok(redirect_with_flash(
        &state,
        &release_url(&slug, id, ANCHOR),
        &flash,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use almanac_domain::Role;

    fn member(name: &str) -> Member {
        Member {
            user_id: UserId::new(),
            email: format!("{name}@acme.test"),
            display_name: name.to_owned(),
            role: Role::ReleaseManager,
            must_change_password: false,
            since: Utc::now(),
        }
    }

    #[test]
    fn milestone_forms_parse_in_the_viewers_zone() {
        let people = [member("rami")];
        let form = MilestoneForm {
            name: " Code freeze ".to_owned(),
            due: "2026-03-24T17:00".to_owned(),
            owner: people[0].user_id.to_string(),
            revision: 1,
        };
        let input = form.parse("Europe/Berlin", &people).expect("valid");
        assert_eq!(input.name.as_str(), "Code freeze");
        assert_eq!(input.due_at.to_rfc3339(), "2026-03-24T16:00:00+00:00");
        assert_eq!(input.owner, Some(people[0].user_id));
    }

    #[test]
    fn milestone_forms_report_each_field() {
        let form = MilestoneForm {
            name: String::new(),
            due: "2026-03-29T02:30".to_owned(),
            owner: Uuid::nil().to_string(),
            revision: 1,
        };
        let errors = form.parse("Europe/Berlin", &[]).expect_err("invalid");
        assert_eq!(errors.len(), 3);
        assert!(errors.get("due").contains("does not exist"));
        assert!(errors.get("owner").contains("members"));
    }

    #[test]
    fn shifts_are_bounded_non_zero_seconds() {
        assert_eq!(parse_shift("183600").ok(), Some(Duration::seconds(183_600)));
        assert_eq!(parse_shift("-86400").ok(), Some(Duration::days(-1)));
        assert!(parse_shift("0").is_err());
        assert!(parse_shift("two days").is_err());
        assert!(parse_shift(&(MAX_SHIFT_SECONDS + 1).to_string()).is_err());
    }
}
