//! Account values: email, display name, and the password policy.

use serde::Serialize;
use std::fmt;

/// A normalised (trimmed, lower-case) email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("enter an email address")]
    Empty,
    #[error("enter an email address like name@example.com")]
    Malformed,
    #[error("an email address has at most 254 characters")]
    TooLong,
}

impl Email {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(EmailError::Malformed);
        };
        let domain_ok = !domain.is_empty()
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain.contains('.')
            || domain == "localhost";
        if local.is_empty()
            || !domain_ok
            || s.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
        {
            return Err(EmailError::Malformed);
        }
        Ok(Self(s))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name shown for a person: 1–100 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisplayNameError {
    #[error("enter a name")]
    Empty,
    #[error("a name has at most 100 characters")]
    TooLong,
}

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, DisplayNameError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(DisplayNameError::Empty);
        }
        if s.chars().count() > 100 {
            return Err(DisplayNameError::TooLong);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A default display name from an email's local part (`jane.doe@x` → `jane.doe`).
    #[must_use]
    pub fn from_email(email: &Email) -> Self {
        let local = email.as_str().split('@').next().unwrap_or_default();
        Self(local.chars().take(100).collect())
    }
}

/// A password that meets the policy (NIST SP 800-63B: length over
/// composition rules): 12–256 characters, not the email address itself.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("use at least 12 characters")]
    TooShort,
    #[error("use at most 256 characters")]
    TooLong,
    #[error("do not use your email address as your password")]
    SameAsEmail,
}

impl NewPassword {
    pub const MIN_CHARS: usize = 12;

    pub fn parse(input: &str, email: Option<&Email>) -> Result<Self, PasswordError> {
        let n = input.chars().count();
        if n < Self::MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if n > 256 {
            return Err(PasswordError::TooLong);
        }
        if email.is_some_and(|e| e.as_str().eq_ignore_ascii_case(input.trim())) {
            return Err(PasswordError::SameAsEmail);
        }
        Ok(Self(input.to_owned()))
    }

    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        let cases: [(&str, Result<&str, EmailError>); 8] = [
            ("  Jane.Doe@Example.COM ", Ok("jane.doe@example.com")),
            ("rm@acme.test", Ok("rm@acme.test")),
            ("", Err(EmailError::Empty)),
            ("   ", Err(EmailError::Empty)),
            ("no-at-sign", Err(EmailError::Malformed)),
            ("@example.com", Err(EmailError::Malformed)),
            ("a@nodot", Err(EmailError::Malformed)),
            ("a b@example.com", Err(EmailError::Malformed)),
        ];
        for (input, want) in cases {
            assert_eq!(
                Email::parse(input).as_ref().map(Email::as_str),
                want.as_ref().map(|s| *s),
                "{input:?}"
            );
        }
        assert_eq!(
            Email::parse(&format!("{}@example.com", "a".repeat(250))),
            Err(EmailError::TooLong)
        );
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ada ").map(|n| n.0), Ok("Ada".into()));
        assert_eq!(DisplayName::parse(" "), Err(DisplayNameError::Empty));
        assert_eq!(
            DisplayName::parse(&"x".repeat(101)),
            Err(DisplayNameError::TooLong)
        );
        let email = Email::parse("jane.doe@example.com").expect("valid");
        assert_eq!(DisplayName::from_email(&email).as_str(), "jane.doe");
    }

    #[test]
    fn password_policy() {
        let email = Email::parse("someone@example.com").expect("valid");
        assert_eq!(
            NewPassword::parse("short", None),
            Err(PasswordError::TooShort)
        );
        assert!(NewPassword::parse("almanac-demo", None).is_ok());
        assert_eq!(
            NewPassword::parse("someone@example.com", Some(&email)),
            Err(PasswordError::SameAsEmail)
        );
        assert_eq!(
            NewPassword::parse(&"p".repeat(257), None),
            Err(PasswordError::TooLong)
        );
        // Length counts characters, not bytes.
        assert_eq!(
            NewPassword::parse("ééééééééééé", None),
            Err(PasswordError::TooShort)
        );
        assert!(!format!("{:?}", NewPassword::parse("a-long-secret-1", None)).contains("secret"));
    }
}
