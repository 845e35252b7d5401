//! Almanac's PostgreSQL layer.
//!
//! The serving pool logs in as a role that owns nothing and cannot bypass
//! row-level security. Tenant data is only reached through [`Db::enter`] or
//! [`Db::in_tenant`], which run the work in a spawned task inside a
//! transaction whose first statement sets `app.tenant_id` (see [`scope`]).
//! One module per aggregate holds its queries; they take `&mut PgConnection`
//! (a transaction derefs to one) and return domain types.

pub mod audit;
pub mod calendar;
pub mod checklists;
pub mod deployments;
pub mod environments;
pub mod error;
pub mod feed;
pub mod feed_tokens;
pub mod login_attempts;
pub mod members;
pub mod migrate;
pub mod milestones;
pub mod pool;
pub mod portfolio;
pub mod products;
pub mod releases;
pub mod reviews;
pub mod scope;
pub mod sessions;
pub mod templates;
pub mod tenants;
pub mod trains;
pub mod users;
pub mod windows;

pub use error::DbError;
pub use pool::Db;
pub use scope::{TenantContext, Tx, Visit, VisitUser};
