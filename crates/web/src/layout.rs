//! What `templates/base.html` reads: the signed-in person, the tenant, the
//! navigation section, the CSRF token, the flash message, and the time zone.

use crate::auth::Ctx;
use almanac_db::Visit;

pub struct NavUser {
    pub display_name: String,
    pub email: String,
}

pub struct NavTenant {
    pub slug: String,
    pub name: String,
}

/// A one-shot message shown after a change ("Settings saved").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// `success`, `error` or `info`.
    pub kind: &'static str,
    pub message: String,
}

impl Flash {
    #[must_use]
    pub fn success(message: impl Into<String>) -> Self {
        Self {
            kind: "success",
            message: message.into(),
        }
    }

    #[must_use]
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            kind: "error",
            message: message.into(),
        }
    }

    #[must_use]
    pub fn info(message: impl Into<String>) -> Self {
        Self {
            kind: "info",
            message: message.into(),
        }
    }
}

pub struct Layout {
    pub title: String,
    pub user: Option<NavUser>,
    pub tenant: Option<NavTenant>,
    pub tenants: Vec<NavTenant>,
    pub section: &'static str,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub zone: String,
    pub is_owner: bool,
}

impl Layout {
    /// The layout of a page for a signed-in visitor. Times are shown in the
    /// person's zone, else the tenant's, else UTC.
    #[must_use]
    pub fn signed_in(
        ctx: &Ctx,
        visit: &Visit,
        title: impl Into<String>,
        section: &'static str,
    ) -> Self {
        let zone = crate::handlers::viewer_zone(visit).to_owned();
        Self {
            title: title.into(),
            user: Some(NavUser {
                display_name: visit.user.display_name.clone(),
                email: visit.user.email.clone(),
            }),
            tenant: visit.tenant.as_ref().map(|t| NavTenant {
                slug: t.slug.clone(),
                name: t.name.clone(),
            }),
            tenants: visit
                .memberships
                .iter()
                .map(|(slug, name)| NavTenant {
                    slug: slug.clone(),
                    name: name.clone(),
                })
                .collect(),
            section,
            csrf: ctx.csrf.clone(),
            flash: ctx.flash.clone(),
            zone,
            is_owner: visit
                .tenant
                .as_ref()
                .is_some_and(|t| t.role.can_administer()),
        }
    }

    /// The layout of a page nobody is signed in to (sign-in, errors).
    #[must_use]
    pub fn anonymous(title: impl Into<String>, csrf: String, flash: Option<Flash>) -> Self {
        Self {
            title: title.into(),
            user: None,
            tenant: None,
            tenants: Vec::new(),
            section: "",
            csrf,
            flash,
            zone: String::new(),
            is_owner: false,
        }
    }
}
