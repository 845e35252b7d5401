//! Almanac's domain: the words of DESIGN.md as types, and the rules that
//! govern them. No I/O, no async, no SQL, no HTTP: everything here is pure and
//! unit-tested. Values are parsed once at the edge (`Email::parse`,
//! `TenantSlug::parse`, ...) and trusted afterwards.

pub mod account;
pub mod conflict;
pub mod environment;
pub mod ical;
pub mod ids;
pub mod milestone;
pub mod portfolio;
pub mod product;
pub mod recurrence;
pub mod release;
pub mod review;
pub mod role;
pub mod template;
pub mod tenant;
pub mod time;
pub mod validation;
pub mod window;

pub use account::{DisplayName, Email, NewPassword};
pub use ids::{TenantId, UserId};
pub use role::Role;
pub use tenant::{FiscalYearStart, TenantName, TenantSlug, TimeZone, WeekStart};
pub use validation::FieldErrors;
