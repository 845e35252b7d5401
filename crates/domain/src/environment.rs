//! Environments: deployment targets in a fixed order (dev, qa, staging,
//! production). Owns the environment's name and the reordering rule.

use std::str::FromStr;

/// An environment's name (`staging`): 1–60 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvironmentNameError {
    #[error("enter a name")]
    Empty,
    #[error("a name has at most 60 characters")]
    TooLong,
}

impl EnvironmentName {
    pub fn parse(input: &str) -> Result<Self, EnvironmentNameError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(EnvironmentNameError::Empty);
        }
        if s.chars().count() > 60 {
            return Err(EnvironmentNameError::TooLong);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an environment is, as a form sets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentDraft {
    pub name: EnvironmentName,
    /// May host several deployments at once.
    pub shared: bool,
    /// Deployments must fall inside a release window of this environment.
    pub requires_window: bool,
    /// The tenant's production environment (at most one).
    pub is_production: bool,
}

/// Which way to move an environment in the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("move up or down")]
pub struct UnknownDirection;

impl FromStr for Direction {
    type Err = UnknownDirection;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "up" => Ok(Self::Up),
            "down" => Ok(Self::Down),
            _ => Err(UnknownDirection),
        }
    }
}

impl Direction {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
        }
    }
}

/// The order after moving `item` one place in `direction`: `None` when it is
/// not in `order` or already first (up) / last (down).
#[must_use]
pub fn reorder<T: PartialEq + Clone>(
    order: &[T],
    item: &T,
    direction: Direction,
) -> Option<Vec<T>> {
    let at = order.iter().position(|x| x == item)?;
    let other = match direction {
        Direction::Up => at.checked_sub(1)?,
        Direction::Down => Some(at + 1).filter(|i| *i < order.len())?,
    };
    let mut moved = order.to_vec();
    moved.swap(at, other);
    Some(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        let long = "e".repeat(61);
        let table: [(&str, Result<&str, EnvironmentNameError>); 5] = [
            ("production", Ok("production")),
            ("  qa ", Ok("qa")),
            (&"é".repeat(60), Ok(&"é".repeat(60))),
            ("", Err(EnvironmentNameError::Empty)),
            (&long, Err(EnvironmentNameError::TooLong)),
        ];
        for (input, expected) in table {
            assert_eq!(
                EnvironmentName::parse(input).map(|n| n.as_str().to_owned()),
                expected.map(str::to_owned),
                "{input:?}"
            );
        }
    }

    #[test]
    fn directions_parse() {
        assert_eq!("up".parse(), Ok(Direction::Up));
        assert_eq!(" down".parse(), Ok(Direction::Down));
        assert_eq!("left".parse::<Direction>(), Err(UnknownDirection));
        assert_eq!(Direction::Down.as_str(), "down");
    }

    #[test]
    fn reordering_swaps_with_the_neighbour() {
        let order = ["dev", "qa", "staging", "prod"];
        // (item, direction, expected)
        let table: [(&str, Direction, Option<[&str; 4]>); 6] = [
            ("qa", Direction::Up, Some(["qa", "dev", "staging", "prod"])),
            (
                "qa",
                Direction::Down,
                Some(["dev", "staging", "qa", "prod"]),
            ),
            ("dev", Direction::Up, None),
            ("prod", Direction::Down, None),
            (
                "prod",
                Direction::Up,
                Some(["dev", "qa", "prod", "staging"]),
            ),
            ("uat", Direction::Up, None),
        ];
        for (item, direction, expected) in table {
            assert_eq!(
                reorder(&order, &item, direction),
                expected.map(|e| e.to_vec()),
                "{item} {direction:?}"
            );
        }
        assert_eq!(reorder(&["only"], &"only", Direction::Down), None);
    }
}
