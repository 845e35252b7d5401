//! The product form (new and edit): its input, the choices it offers
//! (members as owners, product lines, colours), parsing into a
//! [`ProductDraft`], and the audit snapshot of a product.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::layout::Layout;
use almanac_db::members::{self, Member};
use almanac_db::products::{self, Product, ProductLine};
use almanac_db::{Tx, Visit};
use almanac_domain::product::{
    CUSTOM_COLOUR, Colour, Description, PALETTE, ProductDraft, ProductKey, ProductName,
};
use almanac_domain::{FieldErrors, TenantId, UserId};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;
use serde_json::{Value, json};

/// What the product form posts. Every field defaults to empty so a missing
/// field becomes a message, not a 400.
#[derive(Debug, Deserialize, Clone, Default)]
pub struct ProductForm {
    /// Read on the new-product form only: a key is fixed once created.
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A member's user id, or empty for no owner.
    #[serde(default)]
    pub owner: String,
    /// A palette colour, or [`CUSTOM_COLOUR`].
    #[serde(default)]
    pub colour: String,
    #[serde(default)]
    pub custom_colour: String,
    /// A product line id, or empty for none.
    #[serde(default)]
    pub product_line: String,
    #[serde(default)]
    pub revision: i32,
}

/// What the form lets people choose from, loaded in the request's
/// transaction (also to check that a posted choice is one of them).
pub struct Choices {
    pub members: Vec<Member>,
    pub lines: Vec<ProductLine>,
}

impl Choices {
    pub async fn load(tx: &mut Tx, tenant: TenantId) -> Result<Self, AppError> {
        Ok(Self {
            members: members::list(tx, tenant).await?,
            lines: products::lines(tx, tenant).await?,
        })
    }

    fn owner_name(&self, owner: Option<UserId>) -> Option<&str> {
        let owner = owner?;
        self.members
            .iter()
            .find(|m| m.user_id == owner)
            .map(|m| m.display_name.as_str())
    }

    fn line_name(&self, line: Option<uuid::Uuid>) -> Option<&str> {
        let line = line?;
        self.lines
            .iter()
            .find(|l| l.id == line)
            .map(|l| l.name.as_str())
    }
}

impl ProductForm {
    /// The form filled with a stored product.
    pub fn from_product(p: &Product) -> Self {
        let colour = Colour::parse(&p.colour).unwrap_or_default();
        let in_palette = colour.palette_name().is_some();
        Self {
            key: p.key.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            owner: p.owner_id.map(|o| o.to_string()).unwrap_or_default(),
            colour: if in_palette {
                colour.to_string()
            } else {
                CUSTOM_COLOUR.to_owned()
            },
            custom_colour: if in_palette {
                String::new()
            } else {
                colour.to_string()
            },
            product_line: p.product_line_id.map(|l| l.to_string()).unwrap_or_default(),
            revision: p.revision,
        }
    }

    /// The key of the new-product form.
    pub fn parse_key(&self, errors: &mut FieldErrors) -> Option<ProductKey> {
        errors.check("key", ProductKey::parse(&self.key))
    }

    /// The product's fields, with every problem recorded in `errors`.
    pub fn parse(&self, choices: &Choices, errors: &mut FieldErrors) -> Option<ProductDraft> {
        let name = errors.check("name", ProductName::parse(&self.name));
        let description = errors.check("description", Description::parse(&self.description));
        let colour = errors.check("colour", Colour::choose(&self.colour, &self.custom_colour));
        let owner = match self.owner.trim() {
            "" => Some(None),
            id => {
                let found = choices
                    .members
                    .iter()
                    .find(|m| m.user_id.to_string() == id)
                    .map(|m| Some(m.user_id));
                if found.is_none() {
                    errors.add("owner", "choose one of the organisation's members");
                }
                found
            }
        };
        let product_line = match self.product_line.trim() {
            "" => Some(None),
            id => {
                let found = choices
                    .lines
                    .iter()
                    .find(|l| l.id.to_string() == id)
                    .map(|l| Some(l.id));
                if found.is_none() {
                    errors.add("product_line", "choose one of the product lines");
                }
                found
            }
        };
        Some(ProductDraft {
            name: name?,
            description: description?,
            owner: owner?,
            colour: colour?,
            product_line: product_line?,
        })
    }
}

/// A product as the audit trail records it (names, not ids, so the history
/// panel reads well).
pub fn snapshot(key: &str, draft: &ProductDraft, choices: &Choices, archived: bool) -> Value {
    json!({
        "key": key,
        "name": draft.name.as_str(),
        "description": draft.description.as_str(),
        "owner": choices.owner_name(draft.owner),
        "colour": draft.colour.as_str(),
        "product_line": choices.line_name(draft.product_line),
        "archived": archived,
    })
}

/// [`snapshot`] of a stored product.
pub fn stored_snapshot(p: &Product) -> Value {
    json!({
        "key": p.key,
        "name": p.name,
        "description": p.description,
        "owner": p.owner_name,
        "colour": p.colour,
        "product_line": p.product_line_name,
        "archived": p.archived,
    })
}

/// One colour of the palette as a radio button.
pub struct ColourOption {
    pub value: &'static str,
    pub name: &'static str,
    pub checked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "products/form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub slug: String,
    /// The product's key when editing (it cannot change); `None` when new.
    pub fixed_key: Option<String>,
    pub form: ProductForm,
    pub owners: Vec<(String, String, bool)>,
    pub lines: Vec<(String, String, bool)>,
    pub colours: Vec<ColourOption>,
    pub custom_checked: bool,
    pub errors: FieldErrors,
    /// The stored product, shown above the form after a stale edit.
    pub current: Option<Product>,
}

impl FormPage {
    pub fn new(
        ctx: &Ctx,
        visit: &Visit,
        fixed_key: Option<String>,
        form: ProductForm,
        choices: &Choices,
        errors: FieldErrors,
    ) -> Result<Self, AppError> {
        let tenant = visit.tenant()?;
        let title = fixed_key
            .as_ref()
            .map_or_else(|| "New product".to_owned(), |k| format!("Edit {k}"));
        let chosen = form.colour.trim().to_ascii_lowercase();
        let custom_checked =
            chosen == CUSTOM_COLOUR || (chosen.is_empty() && !form.custom_colour.trim().is_empty());
        let mut owners = vec![(String::new(), "No owner".to_owned(), form.owner.is_empty())];
        owners.extend(choices.members.iter().map(|m| {
            let id = m.user_id.to_string();
            let selected = id == form.owner;
            (id, format!("{} ({})", m.display_name, m.email), selected)
        }));
        let mut lines = vec![(
            String::new(),
            "No product line".to_owned(),
            form.product_line.is_empty(),
        )];
        lines.extend(choices.lines.iter().map(|l| {
            let id = l.id.to_string();
            let selected = id == form.product_line;
            (id, l.name.clone(), selected)
        }));
        let nothing_chosen = chosen.is_empty() && !custom_checked;
        let colours = PALETTE
            .iter()
            .enumerate()
            .map(|(i, (value, name))| ColourOption {
                value,
                name,
                checked: *value == chosen || (nothing_chosen && i == 0),
            })
            .collect();
        Ok(Self {
            layout: Layout::signed_in(ctx, visit, title, "products"),
            slug: tenant.slug.clone(),
            fixed_key,
            form,
            owners,
            lines,
            colours,
            custom_checked,
            errors,
            current: None,
        })
    }
}
