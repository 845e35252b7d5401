//! Roles within a tenant and what each may do (DESIGN.md "Who uses it").

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A member's role in one tenant, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    ReleaseManager,
    Approver,
    Viewer,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("choose one of: owner, release_manager, approver, viewer")]
pub struct UnknownRole;

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Owner,
        Role::ReleaseManager,
        Role::Approver,
        Role::Viewer,
    ];

    /// The stored and URL form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::ReleaseManager => "release_manager",
            Role::Approver => "approver",
            Role::Viewer => "viewer",
        }
    }

    /// The words shown on pages.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::ReleaseManager => "Release manager",
            Role::Approver => "Approver",
            Role::Viewer => "Viewer",
        }
    }

    /// Members, roles, tokens and tenant settings.
    #[must_use]
    pub fn can_administer(self) -> bool {
        self == Role::Owner
    }

    /// Products, environments, windows, releases, reviews (the planning records).
    #[must_use]
    pub fn can_plan(self) -> bool {
        matches!(self, Role::Owner | Role::ReleaseManager)
    }

    /// Casting a vote on a review the member is asked to vote on.
    #[must_use]
    pub fn can_vote(self) -> bool {
        !matches!(self, Role::Viewer)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or(UnknownRole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!("admin".parse::<Role>(), Err(UnknownRole));
    }

    #[test]
    fn permissions_follow_the_design_table() {
        // (role, administer, plan, vote)
        let table = [
            (Role::Owner, true, true, true),
            (Role::ReleaseManager, false, true, true),
            (Role::Approver, false, false, true),
            (Role::Viewer, false, false, false),
        ];
        for (role, admin, plan, vote) in table {
            assert_eq!(role.can_administer(), admin, "{role} administer");
            assert_eq!(role.can_plan(), plan, "{role} plan");
            assert_eq!(role.can_vote(), vote, "{role} vote");
        }
    }
}
