//! Products and product lines: the key (`PAY`, fixed once created), the
//! name, description and colour of a product, and the name of a product line.

use std::fmt;

/// A product's short key (`PAY`, `MOB2`): 2–10 upper-case letters or digits.
/// Input is trimmed and upper-cased; the key never changes once created.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProductKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductKeyError {
    #[error("enter a key such as PAY")]
    Empty,
    #[error("a key has 2 to 10 letters or digits")]
    Length,
    #[error("use only letters A–Z and digits 0–9 (no spaces or punctuation)")]
    Charset,
}

impl ProductKey {
    pub fn parse(input: &str) -> Result<Self, ProductKeyError> {
        let s = input.trim().to_ascii_uppercase();
        if s.is_empty() {
            return Err(ProductKeyError::Empty);
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return Err(ProductKeyError::Charset);
        }
        if !(2..=10).contains(&s.len()) {
            return Err(ProductKeyError::Length);
        }
        Ok(Self(s))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProductKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A required, trimmed text of 1..=`max` characters.
fn bounded_name(input: &str, max: usize) -> Result<String, NameError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(NameError::Empty);
    }
    if s.chars().count() > max {
        return Err(NameError::TooLong(max));
    }
    Ok(s.to_owned())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("enter a name")]
    Empty,
    #[error("a name has at most {0} characters")]
    TooLong(usize),
}

/// A product's name: 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductName(String);

impl ProductName {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        bounded_name(input, 100).map(Self)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A product line's name (`Digital channels`): 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductLineName(String);

impl ProductLineName {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        bounded_name(input, 100).map(Self)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A product's free-text description: at most 2000 characters (may be empty).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a description has at most {} characters", Description::MAX)]
pub struct DescriptionError;

impl Description {
    pub const MAX: usize = 2000;

    pub fn parse(input: &str) -> Result<Self, DescriptionError> {
        let s = input.trim();
        if s.chars().count() > Self::MAX {
            return Err(DescriptionError);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A product's colour, `#rrggbb` in lower case. Shown as a thin edge next to
/// the product's key, never as a fill behind text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Colour(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("enter a colour as # and six hex digits, like #2457c5")]
pub struct ColourError;

/// The colours the product form offers: each has at least 3:1 contrast on
/// white (WCAG non-text contrast), so a thin edge stays visible. `name` is
/// shown in the form and names the CSS class `colour-{name}`.
pub const PALETTE: [(&str, &str); 10] = [
    ("#2457c5", "blue"),
    ("#0f766e", "teal"),
    ("#1d6b34", "green"),
    ("#4d7c0f", "olive"),
    ("#b45309", "orange"),
    ("#b3261e", "red"),
    ("#be185d", "pink"),
    ("#7e22ce", "purple"),
    ("#4338ca", "indigo"),
    ("#475569", "slate"),
];

/// The form value of the "custom colour" choice.
pub const CUSTOM_COLOUR: &str = "custom";

impl Colour {
    /// `#2457C5`, `2457c5` and `#25c` (shorthand) all give `#2457c5`-style values.
    pub fn parse(input: &str) -> Result<Self, ColourError> {
        let s = input.trim();
        let hex = s.strip_prefix('#').unwrap_or(s).to_ascii_lowercase();
        if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ColourError);
        }
        match hex.len() {
            6 => Ok(Self(format!("#{hex}"))),
            3 => Ok(Self(hex.chars().fold(String::from("#"), |mut acc, c| {
                acc.push(c);
                acc.push(c);
                acc
            }))),
            _ => Err(ColourError),
        }
    }

    /// The colour a product form asks for: a palette choice, or the custom
    /// field when the choice is [`CUSTOM_COLOUR`] (or when nothing was chosen
    /// but a custom value was typed).
    pub fn choose(choice: &str, custom: &str) -> Result<Self, ColourError> {
        match choice.trim() {
            "" if custom.trim().is_empty() => Ok(Self::default()),
            "" | CUSTOM_COLOUR => Self::parse(custom),
            palette => Self::parse(palette),
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The palette name of this colour, if it is one of [`PALETTE`].
    #[must_use]
    pub fn palette_name(&self) -> Option<&'static str> {
        PALETTE
            .iter()
            .find(|(hex, _)| *hex == self.0)
            .map(|(_, name)| *name)
    }
}

impl Default for Colour {
    fn default() -> Self {
        Self(PALETTE[0].0.to_owned())
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a product is, as its form sets it (the key is set once, apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDraft {
    pub name: ProductName,
    pub description: Description,
    pub owner: Option<crate::UserId>,
    pub colour: Colour,
    pub product_line: Option<uuid::Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_keys_are_trimmed_upper_cased_and_bounded() {
        let table: [(&str, Result<&str, ProductKeyError>); 11] = [
            ("PAY", Ok("PAY")),
            ("  pay ", Ok("PAY")),
            ("mob2", Ok("MOB2")),
            ("AB", Ok("AB")),
            ("ABCDEFGHIJ", Ok("ABCDEFGHIJ")),
            ("", Err(ProductKeyError::Empty)),
            ("   ", Err(ProductKeyError::Empty)),
            ("A", Err(ProductKeyError::Length)),
            ("ABCDEFGHIJK", Err(ProductKeyError::Length)),
            ("PA Y", Err(ProductKeyError::Charset)),
            ("PÄY", Err(ProductKeyError::Charset)),
        ];
        for (input, expected) in table {
            assert_eq!(
                ProductKey::parse(input).map(|k| k.to_string()),
                expected.map(str::to_owned),
                "{input:?}"
            );
        }
        assert_eq!(
            ProductKey::parse("web-1"),
            Err(ProductKeyError::Charset),
            "punctuation"
        );
    }

    #[test]
    fn names_and_descriptions_are_bounded() {
        let long = "x".repeat(101);
        let table: [(&str, Result<&str, NameError>); 4] = [
            ("Payments", Ok("Payments")),
            ("  Mobile App  ", Ok("Mobile App")),
            ("   ", Err(NameError::Empty)),
            (&long, Err(NameError::TooLong(100))),
        ];
        for (input, expected) in table {
            assert_eq!(
                ProductName::parse(input).map(|n| n.as_str().to_owned()),
                expected.clone().map(str::to_owned)
            );
            assert_eq!(
                ProductLineName::parse(input).map(|n| n.as_str().to_owned()),
                expected.map(str::to_owned)
            );
        }
        assert_eq!(ProductName::parse(&"é".repeat(100)).map(|_| ()), Ok(()));
        assert_eq!(Description::parse("").map(|d| d.as_str().len()), Ok(0));
        assert!(Description::parse(&"d".repeat(2000)).is_ok());
        assert_eq!(Description::parse(&"d".repeat(2001)), Err(DescriptionError));
    }

    #[test]
    fn colours_are_normalised_hex() {
        let table: [(&str, Option<&str>); 9] = [
            ("#2457c5", Some("#2457c5")),
            ("#2457C5", Some("#2457c5")),
            (" 2457c5 ", Some("#2457c5")),
            ("#25c", Some("#2255cc")),
            ("#2457c", None),
            ("#2457c5f", None),
            ("#gggggg", None),
            ("blue", None),
            ("", None),
        ];
        for (input, expected) in table {
            assert_eq!(
                Colour::parse(input).ok().map(|c| c.to_string()),
                expected.map(str::to_owned),
                "{input:?}"
            );
        }
    }

    #[test]
    fn a_colour_is_chosen_from_the_palette_or_typed() {
        // (choice, custom, result)
        let table: [(&str, &str, Option<&str>); 6] = [
            ("#0f766e", "#ffffff", Some("#0f766e")),
            (CUSTOM_COLOUR, "#ABCDEF", Some("#abcdef")),
            (CUSTOM_COLOUR, "nope", None),
            ("", "", Some(PALETTE[0].0)),
            ("", "#123456", Some("#123456")),
            ("not-a-colour", "", None),
        ];
        for (choice, custom, expected) in table {
            assert_eq!(
                Colour::choose(choice, custom).ok().map(|c| c.to_string()),
                expected.map(str::to_owned),
                "{choice:?} {custom:?}"
            );
        }
    }

    #[test]
    fn the_palette_is_distinct_valid_and_named() {
        for (hex, name) in PALETTE {
            let c = Colour::parse(hex).expect("palette colours are valid");
            assert_eq!(c.as_str(), hex, "palette colours are normalised");
            assert_eq!(c.palette_name(), Some(name));
        }
        let mut names: Vec<&str> = PALETTE.iter().map(|(_, n)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), PALETTE.len());
        assert_eq!(
            Colour::parse("#123456").expect("valid").palette_name(),
            None
        );
    }

    /// WCAG relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")) / 255.0;
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    #[test]
    fn palette_colours_contrast_with_white() {
        for (hex, name) in PALETTE {
            let contrast = 1.05 / (luminance(hex) + 0.05);
            assert!(contrast >= 3.0, "{name} {hex}: {contrast:.2}");
        }
    }
}
