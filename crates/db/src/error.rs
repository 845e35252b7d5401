//! The database layer's error. Web maps each variant to a response.

/// What can go wrong below the web layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// No valid session for this request.
    #[error("not signed in")]
    Unauthenticated,
    /// The record does not exist or belongs to a tenant the visitor is not in.
    #[error("not found")]
    NotFound,
    /// The visitor signed in with a one-time password and must set their own.
    #[error("password change required")]
    PasswordChangeRequired,
    /// The record changed since the form was loaded (optimistic locking).
    #[error("the record was changed by someone else")]
    StaleVersion,
    /// The spawned unit of work panicked or was aborted.
    #[error("database task failed: {0}")]
    Task(String),
    /// Configuration problem (e.g. the serving role can bypass RLS).
    #[error("{0}")]
    Config(String),
}

impl DbError {
    /// True when the error is a unique-constraint violation on `constraint`.
    #[must_use]
    pub fn is_unique_violation(&self, constraint: &str) -> bool {
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => {
                e.is_unique_violation() && e.constraint() == Some(constraint)
            }
            _ => false,
        }
    }
}
