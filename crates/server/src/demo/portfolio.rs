//! Writes a demo portfolio through the db modules, in the caller's tenant
//! transaction: product lines and products, environments, windows and
//! freezes, the release template, the train, the planned releases with
//! their deployments, milestones and checklists, and the go/no-go presets
//! and review rounds with their votes.

use super::calendar::Calendar;
use super::catalog::{self, Spec, TEMPLATE_MILESTONES, TEMPLATE_STEPS};
use super::plan::{PlannedRelease, plan};
use super::rounds;
use almanac_db::releases::ReleaseDraft;
use almanac_db::reviews::{self, PastClosing, PastReview, PastVote};
use almanac_db::{
    checklists, deployments, environments, members, milestones, products, releases, templates,
    trains, windows,
};
use almanac_domain::environment::{EnvironmentDraft, EnvironmentName};
use almanac_domain::milestone::{MilestoneName, StepTitle};
use almanac_domain::product::{Colour, Description, ProductDraft, ProductKey, ProductLineName};
use almanac_domain::release::{Notes, ReleaseStatus, ReleaseTitle, TrainName, Version};
use almanac_domain::template::{Offset, TemplateDescription, TemplateMilestone, TemplateName};
use almanac_domain::window::{
    Scope, WindowDraft, WindowId, WindowKind, WindowName, WindowSchedule,
};
use almanac_domain::{TenantId, TimeZone, UserId};
use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;
use std::collections::HashMap;
use std::fmt::Display;
use uuid::Uuid;

/// What a build made (the audit event's `after`).
#[derive(Debug, Clone, Default)]
pub struct Built {
    pub product_lines: usize,
    pub products: usize,
    pub environments: usize,
    pub windows: usize,
    pub releases: usize,
    pub presets: usize,
    pub reviews: usize,
}

impl Built {
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "product_lines": self.product_lines,
            "products": self.products,
            "environments": self.environments,
            "windows": self.windows,
            "releases": self.releases,
            "presets": self.presets,
            "reviews": self.reviews,
        })
    }
}

/// A static demo value through its domain parser.
fn parsed<T, E: Display>(value: Result<T, E>, what: &str) -> Result<T> {
    value.map_err(|e| anyhow!("demo {what}: {e}"))
}

/// Whether the tenant has no planning records yet (products, environments,
/// windows, templates, trains, review presets): only then is a portfolio
/// built, so re-running the demo never overwrites what people changed.
pub async fn untouched(conn: &mut PgConnection, tenant: TenantId) -> Result<bool> {
    let all_windows = windows::Filter {
        archived: true,
        ..windows::Filter::default()
    };
    Ok(products::list(conn, tenant, true).await?.is_empty()
        && environments::list(conn, tenant).await?.is_empty()
        && windows::list(conn, tenant, &all_windows).await?.is_empty()
        && templates::list(conn, tenant).await?.is_empty()
        && trains::list(conn, tenant).await?.is_empty()
        && reviews::presets(conn, tenant).await?.is_empty())
}

/// Deletes the tenant's planning records: review rounds (with their
/// votes), presets and outbox events, releases (with their deployments,
/// milestones and checklists), windows, trains, templates, products and
/// lines, environments. Returns how many releases went.
pub async fn clear(conn: &mut PgConnection, tenant: TenantId) -> Result<u64> {
    reviews::delete_all(conn, tenant).await?;
    let gone = releases::delete_all(conn, tenant).await?;
    windows::delete_all(conn, tenant).await?;
    trains::delete_all(conn, tenant).await?;
    templates::delete_all(conn, tenant).await?;
    products::delete_all(conn, tenant).await?;
    environments::delete_all(conn, tenant).await?;
    Ok(gone)
}

/// Builds the portfolio of `spec` with dates relative to `now` in `zone`.
pub async fn build(
    conn: &mut PgConnection,
    tenant: TenantId,
    spec: &'static Spec,
    zone: TimeZone,
    now: DateTime<Utc>,
) -> Result<Built> {
    let calendar = Calendar::new(spec, zone, now)?;
    let planned = plan(spec, &calendar)?;
    let people: HashMap<String, UserId> = members::list(conn, tenant)
        .await?
        .into_iter()
        .map(|m| (m.email, m.user_id))
        .collect();
    let member = |email: &str| {
        people
            .get(email)
            .copied()
            .ok_or_else(|| anyhow!("{email} is not a member of {}", spec.slug))
    };
    let mut built = Built::default();
    let product_ids = write_products(conn, tenant, spec, &member, &mut built).await?;
    let environment_ids = write_environments(conn, tenant, spec).await?;
    built.environments = environment_ids.len();
    built.windows = write_windows(
        conn,
        tenant,
        spec,
        &calendar,
        &environment_ids,
        member(spec.release_owner)?,
    )
    .await?;
    let template = write_template(conn, tenant).await?;
    let train = match &spec.train {
        Some(t) => {
            let id = Uuid::now_v7();
            let name = parsed(TrainName::parse(t.name), "train name")?;
            let description = parsed(Notes::parse(t.description), "train description")?;
            trains::create(conn, tenant, id, &name, &description).await?;
            Some(id)
        }
        None => None,
    };
    let ids = Ids {
        products: product_ids,
        environments: environment_ids,
        template,
        train,
    };
    let mut created = Vec::with_capacity(planned.len());
    for release in &planned {
        let id = write_release(conn, tenant, spec, zone, &ids, release, &member)
            .await
            .with_context(|| format!("{} {}", release.product.key, release.version))?;
        created.push((id, release.created));
    }
    releases::backdate(conn, tenant, &created).await?;
    built.releases = created.len();
    let release_ids: Vec<Uuid> = created.iter().map(|(id, _)| *id).collect();
    (built.presets, built.reviews) =
        write_reviews(conn, tenant, spec, &calendar, &planned, &release_ids).await?;
    Ok(built)
}

/// The go/no-go presets, and the review rounds of the releases (`ids` in
/// the order of `planned`) with their votes; returns how many of each.
async fn write_reviews(
    conn: &mut PgConnection,
    tenant: TenantId,
    spec: &Spec,
    calendar: &Calendar,
    planned: &[PlannedRelease],
    ids: &[Uuid],
) -> Result<(usize, usize)> {
    let members = reviews::voters(conn, tenant).await?;
    let plan = rounds::plan(spec, calendar, planned, &members)?;
    for p in &plan.presets {
        let id = Uuid::now_v7();
        if !reviews::create_preset(conn, tenant, id, p.name, p.description, &p.policy).await? {
            return Err(anyhow!("preset {} exists", p.name));
        }
    }
    let Some(chair) = plan.chair else {
        return Ok((plan.presets.len(), 0));
    };
    let review_ids: Vec<Uuid> = plan.reviews.iter().map(|_| Uuid::now_v7()).collect();
    let rows = plan
        .reviews
        .iter()
        .zip(&review_ids)
        .map(|(r, id)| {
            let preset = &plan.presets[r.preset];
            Ok(PastReview {
                id: *id,
                release: *ids.get(r.release).ok_or_else(|| anyhow!("no release"))?,
                round: r.round,
                kind: r.kind,
                meeting_at: Some(r.meeting_at),
                policy_name: preset.name,
                policy: &preset.policy,
                opened_by: chair,
                opened_at: r.opened_at,
                closing: r.closing.as_ref().map(|c| PastClosing {
                    decision: c.decision,
                    computed: c.computed,
                    reason: c.reason,
                    by: chair,
                    at: c.at,
                }),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let votes: Vec<PastVote> = plan
        .reviews
        .iter()
        .zip(&review_ids)
        .flat_map(|(r, id)| {
            r.votes.iter().map(|v| PastVote {
                review: *id,
                voter: v.voter,
                choice: v.choice,
                comment: v.comment,
                cast_at: v.cast_at,
            })
        })
        .collect();
    reviews::insert_past(conn, tenant, &rows, &votes).await?;
    Ok((plan.presets.len(), rows.len()))
}

async fn write_products(
    conn: &mut PgConnection,
    tenant: TenantId,
    spec: &Spec,
    member: &impl Fn(&str) -> Result<UserId>,
    built: &mut Built,
) -> Result<HashMap<&'static str, Uuid>> {
    let mut ids = HashMap::new();
    for line in spec.lines {
        let name = parsed(ProductLineName::parse(line.name), "line name")?;
        let line_id = products::create_line(conn, tenant, &name)
            .await?
            .ok_or_else(|| anyhow!("product line {} exists", line.name))?;
        built.product_lines += 1;
        for p in line.products {
            let draft = ProductDraft {
                name: parsed(almanac_domain::product::ProductName::parse(p.name), "name")?,
                description: parsed(Description::parse(p.description), "description")?,
                owner: Some(member(p.owner)?),
                colour: parsed(Colour::parse(p.colour), "colour")?,
                product_line: Some(line_id),
            };
            let key = parsed(ProductKey::parse(p.key), "key")?;
            let id = products::create(conn, tenant, &key, &draft)
                .await?
                .ok_or_else(|| anyhow!("product {} exists", p.key))?;
            ids.insert(p.key, id);
            built.products += 1;
        }
    }
    Ok(ids)
}

async fn write_environments(
    conn: &mut PgConnection,
    tenant: TenantId,
    spec: &Spec,
) -> Result<Vec<Uuid>> {
    let mut ids = Vec::new();
    for env in spec.environments {
        let draft = EnvironmentDraft {
            name: parsed(EnvironmentName::parse(env.name), "environment")?,
            shared: env.shared,
            requires_window: env.requires_window,
            is_production: env.is_production,
        };
        match environments::create(conn, tenant, &draft).await? {
            environments::Saved::Done { id, .. } => ids.push(id),
            environments::Saved::NameTaken => {
                return Err(anyhow!("environment {} exists", env.name));
            }
        }
    }
    Ok(ids)
}

/// The windows and freezes; returns how many.
async fn write_windows(
    conn: &mut PgConnection,
    tenant: TenantId,
    spec: &Spec,
    calendar: &Calendar,
    environment_ids: &[Uuid],
    canceller: UserId,
) -> Result<usize> {
    let scope = |names: &[&str]| -> Result<Scope> {
        let ids = names
            .iter()
            .map(|n| {
                spec.environments
                    .iter()
                    .position(|e| e.name == *n)
                    .map(|i| environment_ids[i])
                    .ok_or_else(|| anyhow!("no environment {n}"))
            })
            .collect::<Result<Vec<Uuid>>>()?;
        Ok(Scope::Only(ids))
    };
    let mut drafts = Vec::new();
    let recurring = [
        (Some(&spec.weekly), Some(&calendar.weekly)),
        (spec.major.as_ref(), calendar.major.as_ref()),
    ];
    for (window, recurrence) in recurring {
        let (Some(window), Some(recurrence)) = (window, recurrence) else {
            continue;
        };
        drafts.push(WindowDraft {
            kind: WindowKind::Release,
            name: parsed(WindowName::parse(window.name), "window name")?,
            reason: window.reason.to_owned(),
            environments: scope(window.environments)?,
            products: Scope::All,
            exempt_types: Vec::new(),
            schedule: WindowSchedule::Recurring(recurrence.clone()),
            capacity: window.capacity,
        });
    }
    for freeze in &calendar.freezes {
        drafts.push(WindowDraft {
            kind: WindowKind::Freeze,
            name: parsed(WindowName::parse(&freeze.name), "freeze name")?,
            reason: freeze.reason.to_owned(),
            environments: scope(freeze.environments)?,
            products: Scope::All,
            exempt_types: freeze.exempt.clone(),
            schedule: WindowSchedule::OneOff {
                start: freeze.start,
                end: freeze.end,
                zone: calendar.zone,
            },
            capacity: None,
        });
    }
    let mut weekly = None;
    for draft in &drafts {
        let id = WindowId::new();
        windows::create(conn, tenant, id, draft).await?;
        weekly.get_or_insert(id);
    }
    if let (Some(id), Some((date, reason))) = (weekly, calendar.cancelled) {
        windows::cancel_occurrence(conn, tenant, id, date, reason, canceller).await?;
    }
    Ok(drafts.len())
}

async fn write_template(conn: &mut PgConnection, tenant: TenantId) -> Result<Uuid> {
    let milestones = TEMPLATE_MILESTONES
        .iter()
        .map(|(name, offset)| {
            Ok(TemplateMilestone {
                name: parsed(MilestoneName::parse(name), "milestone")?,
                offset: parsed(Offset::parse(offset), "offset")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let steps = TEMPLATE_STEPS
        .iter()
        .map(|s| parsed(StepTitle::parse(s), "step"))
        .collect::<Result<Vec<_>>>()?;
    let draft = templates::Draft {
        name: parsed(TemplateName::parse(catalog::TEMPLATE_NAME), "template")?,
        description: parsed(
            TemplateDescription::parse(catalog::TEMPLATE_DESCRIPTION),
            "template description",
        )?,
        milestones,
        steps,
    };
    Ok(templates::create(conn, tenant, &draft).await?)
}

/// The ids a release refers to.
struct Ids {
    products: HashMap<&'static str, Uuid>,
    environments: Vec<Uuid>,
    template: Uuid,
    train: Option<Uuid>,
}

/// One release: the record, its deployments, its status, the template's
/// milestones (with owners, done ones marked) and checklist (ticked steps).
async fn write_release(
    conn: &mut PgConnection,
    tenant: TenantId,
    spec: &Spec,
    zone: TimeZone,
    ids: &Ids,
    r: &PlannedRelease,
    member: &impl Fn(&str) -> Result<UserId>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let owner = member(r.owner)?;
    let draft = ReleaseDraft {
        product: *ids
            .products
            .get(r.product.key)
            .ok_or_else(|| anyhow!("no product {}", r.product.key))?,
        version: parsed(Version::parse(&r.version), "version")?,
        title: parsed(ReleaseTitle::parse(&r.title), "title")?,
        release_type: r.release_type,
        risk: r.risk,
        owner: Some(owner),
        train: ids.train.filter(|_| r.in_train),
        notes: parsed(Notes::parse(r.notes), "notes")?,
    };
    if !releases::create(conn, tenant, id, &draft, Some(ids.template)).await? {
        return Err(anyhow!("the version exists"));
    }
    for (e, times) in &r.deployments {
        deployments::add(
            conn,
            tenant,
            Uuid::now_v7(),
            id,
            ids.environments[*e],
            times,
        )
        .await?;
    }
    if r.status != ReleaseStatus::Planned {
        releases::set_status(conn, tenant, id, 1, r.status, r.baseline).await?;
    }
    templates::apply(conn, tenant, id, ids.template, Some(r.go_live), zone.name()).await?;
    for m in milestones::list(conn, tenant, id).await? {
        let i = TEMPLATE_MILESTONES
            .iter()
            .position(|(name, _)| *name == m.name)
            .ok_or_else(|| anyhow!("unexpected milestone {}", m.name))?;
        let owner = match spec.milestone_owners.iter().find(|(n, _)| *n == m.name) {
            Some((_, email)) => member(email)?,
            None => owner,
        };
        let input = milestones::MilestoneInput {
            name: parsed(MilestoneName::parse(&m.name), "milestone")?,
            due_at: r.milestone_dues.get(i).copied().unwrap_or(m.due_at),
            owner: Some(owner),
        };
        milestones::edit(conn, tenant, id, m.id, &input, m.revision).await?;
        if let Some(at) = r.milestones_done.get(i).copied().flatten() {
            milestones::set_done(conn, tenant, id, m.id, Some(at)).await?;
        }
    }
    let steps = checklists::list(conn, tenant, id).await?;
    for (step, done) in steps.iter().zip(&r.steps_done) {
        if let Some(at) = done {
            checklists::set_done(conn, tenant, id, step.id, Some((owner, *at))).await?;
        }
    }
    Ok(id)
}
