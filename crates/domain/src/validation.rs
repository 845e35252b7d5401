//! Field-level validation messages, collected so a form can show every
//! problem at once next to the field it belongs to.

use std::collections::BTreeMap;

/// Messages per form field name. Empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `message` for `field` (the first message per field wins).
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }

    /// Parses `input` with `parse`, recording the error under `field`.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for `field`, or "" when it is valid (templates test emptiness).
    #[must_use]
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map_or("", String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_message_per_field_wins() {
        let mut e = FieldErrors::new();
        e.add("email", "is required");
        e.add("email", "looks wrong");
        assert_eq!(e.get("email"), "is required");
        assert_eq!(e.get("name"), "");
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn check_records_parse_errors() {
        let mut e = FieldErrors::new();
        let ok: Option<u8> = e.check("n", "7".parse::<u8>());
        let bad: Option<u8> = e.check("m", "x".parse::<u8>());
        assert_eq!(ok, Some(7));
        assert_eq!(bad, None);
        assert!(!e.get("m").is_empty());
    }
}
