//! The release form: its choices (products, members, trains, environments,
//! templates), the input as typed, its parsing into a `ReleaseDraft` with
//! the planned deployments, and the page that shows it.

use super::{label, options, word_options};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::layout::Layout;
use almanac_db::deployments::{self as deployment_db, EnvironmentOption};
use almanac_db::members::{self, Member};
use almanac_db::releases::{self, ProductOption, Release, ReleaseDraft};
use almanac_db::{Tx, Visit, templates, trains};
use almanac_domain::release::{
    Notes, Period, ReleaseTitle, ReleaseType, Risk, TimesError, Version,
};
use almanac_domain::time::parse_local_input;
use almanac_domain::{FieldErrors, TenantId, UserId};
use askama::Template;
use askama_web::WebTemplate;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The choices of the release form's selects.
pub struct Choices {
    pub(super) products: Vec<ProductOption>,
    pub(super) environments: Vec<EnvironmentOption>,
    pub(super) members: Vec<Member>,
    pub(super) trains: Vec<(Uuid, String)>,
    pub(super) templates: Vec<(Uuid, String)>,
}

/// Loads the choices; environments and templates only for a new release.
pub(super) async fn choices(tx: &mut Tx, tenant: TenantId, new: bool) -> Result<Choices, AppError> {
    let products = releases::product_options(tx, tenant).await?;
    let members = members::list(tx, tenant).await?;
    let trains = trains::options(tx, tenant).await?;
    let (environments, templates) = if new {
        (
            deployment_db::environment_options(tx, tenant).await?,
            templates::options(tx, tenant).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(Choices {
        products,
        environments,
        members,
        trains,
        templates,
    })
}

/// The release form as typed, kept as-is to re-render it.
#[derive(Debug, Clone, Default)]
pub struct ReleaseForm {
    pub(super) product: String,
    pub(super) version: String,
    pub(super) title: String,
    pub(super) release_type: String,
    pub(super) risk: String,
    pub(super) owner: String,
    pub(super) train: String,
    pub(super) template: String,
    pub(super) notes: String,
    pub(super) revision: i32,
    /// Environments ticked (ids as posted), with their planned start / end.
    pub(super) envs: HashSet<String>,
    pub(super) starts: HashMap<String, String>,
    pub(super) ends: HashMap<String, String>,
}

/// A valid form.
pub(super) struct Parsed {
    pub(super) draft: ReleaseDraft,
    pub(super) template: Option<Uuid>,
    /// (environment, planned period) of each environment passed through.
    pub(super) plan: Vec<(Uuid, Option<Period>)>,
    /// The production environment's planned start, if given.
    pub(super) go_live: Option<DateTime<Utc>>,
}

impl ReleaseForm {
    /// Reads the posted pairs (`env` repeats; `start_<env>` / `end_<env>`).
    pub(super) fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "product" => f.product = v,
                "version" => f.version = v,
                "title" => f.title = v,
                "type" => f.release_type = v,
                "risk" => f.risk = v,
                "owner" => f.owner = v,
                "train" => f.train = v,
                "template" => f.template = v,
                "notes" => f.notes = v,
                "revision" => f.revision = v.trim().parse().unwrap_or(0),
                "env" => {
                    f.envs.insert(v);
                }
                _ => {
                    if let Some(env) = k.strip_prefix("start_") {
                        f.starts.insert(env.to_owned(), v);
                    } else if let Some(env) = k.strip_prefix("end_") {
                        f.ends.insert(env.to_owned(), v);
                    }
                }
            }
        }
        f
    }

    /// A new release: minor, medium risk, owned by the visitor, passing
    /// through every active environment.
    pub(super) fn blank(me: UserId, choices: &Choices) -> Self {
        Self {
            release_type: ReleaseType::Minor.as_str().to_owned(),
            risk: Risk::Medium.as_str().to_owned(),
            owner: me.to_string(),
            envs: choices
                .environments
                .iter()
                .map(|e| e.id.to_string())
                .collect(),
            ..Self::default()
        }
    }

    /// The stored release.
    pub(super) fn of(r: &Release) -> Self {
        Self {
            product: r.product_id.to_string(),
            version: r.version.clone(),
            title: r.title.clone(),
            release_type: r.release_type.as_str().to_owned(),
            risk: r.risk.as_str().to_owned(),
            owner: r.owner_id.map(|o| o.to_string()).unwrap_or_default(),
            train: r.train_id.map(|t| t.to_string()).unwrap_or_default(),
            notes: r.notes.clone(),
            revision: r.revision,
            ..Self::default()
        }
    }

    pub(super) fn parse(
        &self,
        choices: &Choices,
        zone: &str,
        new: bool,
    ) -> Result<Parsed, FieldErrors> {
        let mut e = FieldErrors::new();
        let product = Uuid::parse_str(self.product.trim())
            .ok()
            .filter(|id| choices.products.iter().any(|p| p.id == *id));
        if product.is_none() {
            e.add("product", "choose one of the listed products");
        }
        let version = e.check("version", Version::parse(&self.version));
        let title = e.check("title", ReleaseTitle::parse(&self.title));
        let release_type = e.check("type", self.release_type.parse::<ReleaseType>());
        let risk = e.check("risk", self.risk.parse::<Risk>());
        let notes = e.check("notes", Notes::parse(&self.notes));
        let owner = chosen(
            &self.owner,
            choices.members.iter().map(|m| m.user_id.0),
            &mut e,
            "owner",
            "choose one of the members",
        );
        let train = chosen(
            &self.train,
            choices.trains.iter().map(|t| t.0),
            &mut e,
            "train",
            "choose one of the listed trains",
        );
        let template = if new {
            chosen(
                &self.template,
                choices.templates.iter().map(|t| t.0),
                &mut e,
                "template",
                "choose one of the listed templates",
            )
        } else {
            None
        };
        let mut plan = Vec::new();
        let mut go_live = None;
        if new {
            if self
                .envs
                .iter()
                .any(|v| !choices.environments.iter().any(|c| c.id.to_string() == *v))
            {
                e.add("environments", "choose among the listed environments");
            }
            for env in choices
                .environments
                .iter()
                .filter(|c| self.envs.contains(&c.id.to_string()))
            {
                let key = env.id.to_string();
                let start =
                    local_time(self.starts.get(&key), zone, &format!("start_{key}"), &mut e);
                let end = local_time(self.ends.get(&key), zone, &format!("end_{key}"), &mut e);
                match Period::optional(start.ok().flatten(), end.ok().flatten()) {
                    Ok(period) if start.is_ok() && end.is_ok() => {
                        if env.is_production {
                            go_live = period.map(|p| p.start);
                        }
                        plan.push((env.id, period));
                    }
                    Ok(_) => {}
                    Err(err) => {
                        let field = match err {
                            TimesError::PlannedStartMissing => format!("start_{key}"),
                            _ => format!("end_{key}"),
                        };
                        e.add(&field, format!("{}: {err}", env.name));
                    }
                }
            }
        }
        match (product, version, title, release_type, risk, notes) {
            (
                Some(product),
                Some(version),
                Some(title),
                Some(release_type),
                Some(risk),
                Some(notes),
            ) if e.is_empty() => Ok(Parsed {
                draft: ReleaseDraft {
                    product,
                    version,
                    title,
                    release_type,
                    risk,
                    owner: owner.map(UserId),
                    train,
                    notes,
                },
                template,
                plan,
                go_live,
            }),
            _ => Err(e),
        }
    }
}

/// An optional choice among `ids`: "" is none; anything else must be listed.
fn chosen(
    raw: &str,
    mut ids: impl Iterator<Item = Uuid>,
    e: &mut FieldErrors,
    field: &str,
    message: &str,
) -> Option<Uuid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match Uuid::parse_str(raw).ok().filter(|id| ids.any(|x| x == *id)) {
        Some(id) => Some(id),
        None => {
            e.add(field, message);
            None
        }
    }
}

/// A datetime-local input in the viewer's zone: blank is none.
fn local_time(
    raw: Option<&String>,
    zone: &str,
    field: &str,
    e: &mut FieldErrors,
) -> Result<Option<DateTime<Utc>>, ()> {
    match raw.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse_local_input(s, zone)
            .map(Some)
            .map_err(|err| e.add(field, err.to_string())),
    }
}

/// The release as the audit trail records it.
pub(super) fn snapshot(r: &Release) -> Value {
    json!({
        "product": r.product_key,
        "version": r.version,
        "title": r.title,
        "type": r.release_type.as_str(),
        "risk": r.risk.as_str(),
        "owner": r.owner_name,
        "train": r.train_name,
        "notes": r.notes,
    })
}

/// An environment row of the new-release form.
pub struct EnvRow {
    id: String,
    name: String,
    is_production: bool,
    selected: bool,
    start: String,
    end: String,
    start_error: String,
    end_error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "releases/form.html")]
pub struct FormPage {
    pub(super) layout: Layout,
    pub(super) slug: String,
    /// None for a new release.
    pub(super) release_id: Option<String>,
    pub(super) form: ReleaseForm,
    pub(super) products: Vec<(String, String, bool)>,
    pub(super) types: Vec<(String, String, bool)>,
    pub(super) risks: Vec<(String, String, bool)>,
    pub(super) owners: Vec<(String, String, bool)>,
    pub(super) trains: Vec<(String, String, bool)>,
    pub(super) templates: Vec<(String, String, bool)>,
    pub(super) env_rows: Vec<EnvRow>,
    pub(super) errors: FieldErrors,
    /// The stored release, shown above the form after a stale edit.
    pub(super) current: Option<Release>,
}

impl FormPage {
    pub(super) fn new(
        ctx: &Ctx,
        visit: &Visit,
        slug: &str,
        release: Option<&Release>,
        form: ReleaseForm,
        choices: Choices,
        errors: FieldErrors,
    ) -> Self {
        let title = match release {
            Some(r) => format!("Edit {}", label(r)),
            None => "New release".to_owned(),
        };
        let mut products: Vec<(String, String)> = choices
            .products
            .iter()
            .map(|p| (p.id.to_string(), format!("{} · {}", p.key, p.name)))
            .collect();
        // An archived product stays selectable for its own releases.
        if let Some(r) = release.filter(|r| !choices.products.iter().any(|p| p.id == r.product_id))
        {
            products.push((
                r.product_id.to_string(),
                format!("{} · {} (archived)", r.product_key, r.product_name),
            ));
        }
        Self {
            layout: Layout::signed_in(ctx, visit, title, "releases"),
            slug: slug.to_owned(),
            release_id: release.map(|r| r.id.to_string()),
            products: options(products, &form.product, Some("Choose a product")),
            types: word_options(
                ReleaseType::ALL,
                ReleaseType::as_str,
                ReleaseType::label,
                &form.release_type,
                None,
            ),
            risks: word_options(Risk::ALL, Risk::as_str, Risk::label, &form.risk, None),
            owners: options(
                choices
                    .members
                    .iter()
                    .map(|m| (m.user_id.to_string(), m.display_name.clone())),
                &form.owner,
                Some("No owner"),
            ),
            trains: options(
                choices
                    .trains
                    .iter()
                    .map(|(id, n)| (id.to_string(), n.clone())),
                &form.train,
                Some("No train"),
            ),
            templates: options(
                choices
                    .templates
                    .iter()
                    .map(|(id, n)| (id.to_string(), n.clone())),
                &form.template,
                Some("No template"),
            ),
            env_rows: choices
                .environments
                .iter()
                .map(|e| {
                    let id = e.id.to_string();
                    EnvRow {
                        name: e.name.clone(),
                        is_production: e.is_production,
                        selected: form.envs.contains(&id),
                        start: form.starts.get(&id).cloned().unwrap_or_default(),
                        end: form.ends.get(&id).cloned().unwrap_or_default(),
                        start_error: errors.get(&format!("start_{id}")).to_owned(),
                        end_error: errors.get(&format!("end_{id}")).to_owned(),
                        id,
                    }
                })
                .collect(),
            form,
            errors,
            current: None,
        }
    }
}

pub(super) fn version_taken(choices: &Choices, draft: &ReleaseDraft) -> FieldErrors {
    let key = choices
        .products
        .iter()
        .find(|p| p.id == draft.product)
        .map_or("This product", |p| p.key.as_str());
    let mut e = FieldErrors::new();
    e.add(
        "version",
        format!(
            "{key} already has a release {}; choose another version",
            draft.version
        ),
    );
    e
}
