//! The runbook of a release: its milestones (a timeline of dated
//! checkpoints) and its go-live checklist. The release page includes
//! `templates/releases/runbook.html` with a [`Runbook`] from [`load`]; every
//! change posts to a route under `/{tenant}/releases/{id}/milestones/…` or
//! `…/checklist/…` and comes back to the release page with a flash.
//!
//! Changes are audited against the release (entity `release`), so the
//! release page's history panel tells the whole story; each event names
//! the milestone or step it touched.

mod checklist;
mod milestones;

use crate::error::AppError;
use crate::handlers::require;
use crate::state::AppState;
use almanac_db::members;
use almanac_db::milestones::{self as milestone_db, ReleaseRef};
use almanac_db::{Tx, Visit, checklists};
use almanac_domain::milestone::MilestoneStatus;
use almanac_domain::time::{local_datetime, to_local_input};
use almanac_domain::{Role, TenantId};
use axum::Router;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

const PLAN: &str = "change milestones and checklists";

/// The routes of this area; merged by `router::build_app`.
pub fn routes() -> Router<AppState> {
    let m = "/{tenant}/releases/{id}/milestones";
    let c = "/{tenant}/releases/{id}/checklist";
    Router::new()
        .route(m, post(milestones::add))
        .route(&format!("{m}/new"), get(milestones::new))
        .route(
            &format!("{m}/shift"),
            get(milestones::confirm_shift).post(milestones::shift),
        )
        .route(&format!("{m}/place"), post(milestones::place))
        .route(
            &format!("{m}/{{milestone}}/edit"),
            get(milestones::edit).post(milestones::update),
        )
        .route(&format!("{m}/{{milestone}}/done"), post(milestones::done))
        .route(&format!("{m}/{{milestone}}/undo"), post(milestones::undo))
        .route(
            &format!("{m}/{{milestone}}/delete"),
            get(milestones::confirm_delete).post(milestones::delete),
        )
        .route(c, post(checklist::add))
        .route(&format!("{c}/new"), get(checklist::new))
        .route(
            &format!("{c}/{{item}}/edit"),
            get(checklist::edit).post(checklist::update),
        )
        .route(&format!("{c}/{{item}}/tick"), post(checklist::tick))
        .route(&format!("{c}/{{item}}/untick"), post(checklist::untick))
        .route(&format!("{c}/{{item}}/up"), post(checklist::up))
        .route(&format!("{c}/{{item}}/down"), post(checklist::down))
        .route(
            &format!("{c}/{{item}}/delete"),
            get(checklist::confirm_delete).post(checklist::delete),
        )
}

/// A milestone ready for display.
pub struct MilestoneRow {
    pub id: Uuid,
    pub name: String,
    /// `2026-03-24 17:00 EDT` in the viewer's zone.
    pub due: String,
    /// `done`, `overdue`, `due soon`, `due`.
    pub status: &'static str,
    /// `badge-green`, `badge-red`, `badge-amber`, `badge-grey`.
    pub badge: &'static str,
    pub done: bool,
    /// When it was marked done (viewer's zone), or "".
    pub done_at: String,
    /// The owner's name, or "".
    pub owner: String,
}

/// A checklist step ready for display.
pub struct StepRow {
    pub id: Uuid,
    /// 1, 2, 3 … in runbook order.
    pub number: usize,
    pub title: String,
    pub notes: String,
    pub done: bool,
    /// Who ticked it, or "".
    pub done_by: String,
    /// When it was ticked (viewer's zone), or "".
    pub done_at: String,
    pub first: bool,
    pub last: bool,
}

/// Everything the runbook part of the release page shows.
pub struct Runbook {
    pub milestones: Vec<MilestoneRow>,
    pub checklist: Vec<StepRow>,
    pub milestones_done: usize,
    pub milestones_total: usize,
    pub checklist_done: usize,
    pub checklist_total: usize,
    /// The zone every time is shown in.
    pub zone: String,
    /// (user id, name) of the tenant's members, for the owner select.
    pub members: Vec<(String, String)>,
    /// The template whose milestones can be placed (go-live is known, the
    /// release was made from a template, and it has no milestones yet).
    pub template_to_place: Option<String>,
}

impl Runbook {
    /// "milestones done 3/6"
    #[must_use]
    pub fn milestones_summary(&self) -> String {
        format!(
            "milestones done {}/{}",
            self.milestones_done, self.milestones_total
        )
    }

    /// "checklist 2/8"
    #[must_use]
    pub fn checklist_summary(&self) -> String {
        format!("checklist {}/{}", self.checklist_done, self.checklist_total)
    }
}

/// The runbook of `release` with times in `zone` (the viewer's). Four
/// queries whatever the size: the release's facts, milestones, steps, members.
pub async fn load(
    tx: &mut Tx,
    tenant: TenantId,
    release: Uuid,
    zone: &str,
) -> Result<Runbook, AppError> {
    let facts = milestone_db::release(tx, tenant, release)
        .await?
        .ok_or(AppError::NotFound)?;
    let stored = milestone_db::list(tx, tenant, release).await?;
    let steps = checklists::list(tx, tenant, release).await?;
    let people = members::list(tx, tenant).await?;
    let now = Utc::now();
    let milestones: Vec<MilestoneRow> = stored
        .into_iter()
        .map(|m| {
            let status = MilestoneStatus::at(m.due_at, m.done_at, now);
            MilestoneRow {
                id: m.id,
                due: local_datetime(m.due_at, zone),
                status: status.label(),
                badge: status.badge(),
                done: status.is_done(),
                done_at: shown(m.done_at, zone),
                owner: m.owner_name.unwrap_or_default(),
                name: m.name,
            }
        })
        .collect();
    let count = steps.len();
    let checklist: Vec<StepRow> = steps
        .into_iter()
        .enumerate()
        .map(|(i, s)| StepRow {
            id: s.id,
            number: i + 1,
            done: s.done_at.is_some(),
            done_at: shown(s.done_at, zone),
            done_by: s.done_by_name.unwrap_or_default(),
            first: i == 0,
            last: i + 1 == count,
            title: s.title,
            notes: s.notes,
        })
        .collect();
    Ok(Runbook {
        milestones_done: milestones.iter().filter(|m| m.done).count(),
        milestones_total: milestones.len(),
        checklist_done: checklist.iter().filter(|s| s.done).count(),
        checklist_total: checklist.len(),
        template_to_place: placeable(&facts, milestones.is_empty()),
        milestones,
        checklist,
        zone: zone.to_owned(),
        members: people
            .into_iter()
            .map(|p| (p.user_id.to_string(), p.display_name))
            .collect(),
    })
}

/// The template name to offer "Place milestones from template" with.
fn placeable(release: &ReleaseRef, no_milestones: bool) -> Option<String> {
    match (&release.template, release.go_live, no_milestones) {
        (Some((_, name)), Some(_), true) => Some(name.clone()),
        _ => None,
    }
}

fn shown(at: Option<DateTime<Utc>>, zone: &str) -> String {
    at.map(|t| local_datetime(t, zone)).unwrap_or_default()
}

/// The release page, where every runbook change returns.
fn release_url(slug: &str, release: Uuid, anchor: &str) -> String {
    format!("/{slug}/releases/{release}#{anchor}")
}

/// The release `id` for a change by a planner: 403 for other roles, 404
/// when the release is not the tenant's.
async fn release_for_change(
    tx: &mut Tx,
    visit: &Visit,
    id: Uuid,
) -> Result<(TenantId, ReleaseRef), AppError> {
    let tenant = visit.tenant()?;
    require(tenant, Role::can_plan, PLAN)?;
    let release = milestone_db::release(tx, tenant.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((tenant.id, release))
}

/// An audit snapshot naming its subject: `after` gets `subject` (e.g.
/// `"milestone": "Code freeze"`) so the history panel says which one
/// changed even when its name did not.
fn named(subject: &str, name: &str, mut after: Value) -> Value {
    if let Some(map) = after.as_object_mut() {
        map.insert(subject.to_owned(), json!(name));
    }
    after
}

/// A record id from the URL: anything but a UUID names nothing (404).
pub(crate) fn id_of(s: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(s).map_err(|_| AppError::NotFound)
}

/// A `<input type="datetime-local">` value in `zone`.
fn input_time(at: DateTime<Utc>, zone: &str) -> String {
    to_local_input(at, zone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Layout;
    use askama::Template;

    /// What the release page hands to `releases/runbook.html`.
    #[derive(Template)]
    #[template(source = "{% include \"releases/runbook.html\" %}", ext = "html")]
    struct Including {
        runbook: Runbook,
        layout: Layout,
        can_plan: bool,
        slug: String,
        release_id: String,
    }

    fn runbook() -> Runbook {
        Runbook {
            milestones: vec![
                MilestoneRow {
                    id: Uuid::nil(),
                    name: "Code freeze".to_owned(),
                    due: "2026-03-24 17:00 CET".to_owned(),
                    status: "overdue",
                    badge: "badge-red",
                    done: false,
                    done_at: String::new(),
                    owner: "Rami Release".to_owned(),
                },
                MilestoneRow {
                    id: Uuid::max(),
                    name: "QA sign-off".to_owned(),
                    due: "2026-03-27 12:00 CET".to_owned(),
                    status: "done",
                    badge: "badge-green",
                    done: true,
                    done_at: "2026-03-26 09:12 CET".to_owned(),
                    owner: String::new(),
                },
            ],
            checklist: vec![StepRow {
                id: Uuid::nil(),
                number: 1,
                title: "Back up the ledger".to_owned(),
                notes: "Snapshot <db>".to_owned(),
                done: true,
                done_by: "Quinn QA".to_owned(),
                done_at: "2026-03-31 09:58 CEST".to_owned(),
                first: true,
                last: true,
            }],
            milestones_done: 1,
            milestones_total: 2,
            checklist_done: 1,
            checklist_total: 1,
            zone: "Europe/Berlin".to_owned(),
            members: vec![("u1".to_owned(), "Rami Release".to_owned())],
            template_to_place: None,
        }
    }

    fn render(can_plan: bool) -> String {
        Including {
            runbook: runbook(),
            layout: Layout::anonymous("Release", "tok".to_owned(), None),
            can_plan,
            slug: "acme".to_owned(),
            release_id: "r1".to_owned(),
        }
        .render()
        .expect("renders")
    }

    #[test]
    fn the_runbook_renders_status_words_and_controls_for_planners() {
        let html = render(true);
        assert!(html.contains("milestones done 1/2"));
        assert!(html.contains("checklist 1/1"));
        assert!(html.contains("overdue") && html.contains("badge-red"));
        assert!(html.contains("Quinn QA") && html.contains("2026-03-31 09:58 CEST"));
        assert!(html.contains("Snapshot &#60;db&#62;") || html.contains("Snapshot &lt;db&gt;"));
        assert!(
            html.contains("/acme/releases/r1/milestones/00000000-0000-0000-0000-000000000000/done")
        );
        assert!(
            html.contains(
                "/acme/releases/r1/checklist/00000000-0000-0000-0000-000000000000/untick"
            )
        );
        assert!(html.contains("name=\"_csrf\" value=\"tok\""));
    }

    #[test]
    fn readers_get_no_controls() {
        let html = render(false);
        assert!(html.contains("Code freeze") && html.contains("Back up the ledger"));
        assert!(!html.contains("<form"), "no forms for viewers");
    }

    #[test]
    fn summaries_count_done_items() {
        let r = runbook();
        assert_eq!(r.milestones_summary(), "milestones done 1/2");
        assert_eq!(r.checklist_summary(), "checklist 1/1");
    }
}
