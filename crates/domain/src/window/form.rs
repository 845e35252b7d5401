//! The window form: every field as typed, parsed into a [`WindowDraft`] or
//! into messages per field. The page posts every preset's fields at once
//! (it works without JavaScript); the chosen preset decides which are read.

use super::{ExemptType, Scope, Window, WindowDraft, WindowKind, WindowName, WindowSchedule};
use crate::recurrence::{
    Ends, Preset, PresetError, RRule, Recurrence, RecurrenceError, SeriesEnd, weekday_code,
    weekday_from_code,
};
use crate::tenant::TimeZone;
use crate::time::{parse_local_input, to_local_input};
use crate::validation::FieldErrors;
use chrono::{NaiveDate, NaiveTime, Weekday};
use uuid::Uuid;

/// The longest reason accepted.
pub const MAX_REASON: usize = 2000;

/// The window form as typed (field names are the form's input names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowForm {
    pub kind: String,
    pub name: String,
    pub reason: String,
    pub all_environments: bool,
    pub environments: Vec<String>,
    pub all_products: bool,
    pub products: Vec<String>,
    pub exempt_types: Vec<String>,
    /// `one_off` or `recurring`.
    pub schedule: String,
    /// One-off start and end, `datetime-local` in the viewer's zone.
    pub starts_at: String,
    pub ends_at: String,
    /// `daily`, `weekly`, `every_n_weeks`, `monthly_nth`, `yearly` or `advanced`.
    pub preset: String,
    /// Weekday codes (`TU`) for the weekly presets.
    pub days: Vec<String>,
    /// Every N weeks.
    pub interval: String,
    /// Monthly: `1`–`4` or `-1`, and a weekday code.
    pub nth: String,
    pub nth_weekday: String,
    /// Yearly: month 1–12 and day.
    pub year_month: String,
    pub year_day: String,
    /// Advanced: the RRULE text.
    pub rrule: String,
    pub series_start: String,
    pub local_start: String,
    pub local_end: String,
    pub time_zone: String,
    /// `never`, `on` (until) or `after` (count).
    pub ends: String,
    pub until: String,
    pub count: String,
    pub capacity: String,
}

/// What parsing needs besides the form.
#[derive(Debug, Clone, Copy)]
pub struct FormContext<'a> {
    /// The zone one-off start and end are typed in.
    pub viewer_zone: TimeZone,
    /// Environments and products that may be chosen.
    pub environments: &'a [Uuid],
    pub products: &'a [Uuid],
}

impl WindowForm {
    /// A new window's form: a weekly release window in `zone`, starting `today`.
    #[must_use]
    pub fn new_window(today: NaiveDate, zone: &str) -> Self {
        Self {
            kind: WindowKind::Release.as_str().to_owned(),
            all_environments: true,
            all_products: true,
            schedule: "recurring".to_owned(),
            preset: "weekly".to_owned(),
            days: vec!["TU".to_owned(), "TH".to_owned()],
            interval: "2".to_owned(),
            nth: "2".to_owned(),
            nth_weekday: "TU".to_owned(),
            year_month: "12".to_owned(),
            year_day: "15".to_owned(),
            series_start: today.format("%Y-%m-%d").to_string(),
            local_start: "22:00".to_owned(),
            local_end: "02:00".to_owned(),
            time_zone: zone.to_owned(),
            ends: "never".to_owned(),
            ..Self::default()
        }
    }

    /// The form of a stored window; one-off times in `viewer_zone`.
    #[must_use]
    pub fn of(window: &Window, viewer_zone: &str, today: NaiveDate) -> Self {
        let ids = |scope: &Scope| scope.ids().iter().map(Uuid::to_string).collect();
        let mut form = Self {
            kind: window.kind.as_str().to_owned(),
            name: window.name.as_str().to_owned(),
            reason: window.reason.clone(),
            all_environments: window.environments.is_all(),
            environments: ids(&window.environments),
            all_products: window.products.is_all(),
            products: ids(&window.products),
            exempt_types: window
                .exempt_types
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            capacity: window.capacity.map(|c| c.to_string()).unwrap_or_default(),
            ..Self::new_window(today, window.schedule.zone().name())
        };
        match &window.schedule {
            WindowSchedule::OneOff { start, end, .. } => {
                form.schedule = "one_off".to_owned();
                form.starts_at = to_local_input(*start, viewer_zone);
                form.ends_at = to_local_input(*end, viewer_zone);
            }
            WindowSchedule::Recurring(r) => form.fill_recurrence(r),
        }
        form
    }

    fn fill_recurrence(&mut self, r: &Recurrence) {
        self.schedule = "recurring".to_owned();
        self.rrule = r.rule().to_string();
        self.series_start = r.series_start().format("%Y-%m-%d").to_string();
        self.local_start = r.local_start().format("%H:%M").to_string();
        self.local_end = r.local_end().format("%H:%M").to_string();
        let Some((preset, ends)) = Preset::of(r.rule()) else {
            self.preset = "advanced".to_owned();
            return;
        };
        let codes = |days: &[Weekday]| days.iter().map(|d| weekday_code(*d).to_owned()).collect();
        match preset {
            Preset::Daily => self.preset = "daily".to_owned(),
            Preset::Weekly { days } => {
                self.preset = "weekly".to_owned();
                self.days = codes(&days);
            }
            Preset::EveryNWeeks { interval, days } => {
                self.preset = "every_n_weeks".to_owned();
                self.interval = interval.to_string();
                self.days = codes(&days);
            }
            Preset::MonthlyNth { nth, weekday } => {
                self.preset = "monthly_nth".to_owned();
                self.nth = nth.to_string();
                self.nth_weekday = weekday_code(weekday).to_owned();
            }
            Preset::Yearly { month, day } => {
                self.preset = "yearly".to_owned();
                self.year_month = month.to_string();
                self.year_day = day.to_string();
            }
        }
        match ends {
            Ends::Never => self.ends = "never".to_owned(),
            Ends::OnDate(date) => {
                self.ends = "on".to_owned();
                self.until = date.format("%Y-%m-%d").to_string();
            }
            Ends::After(n) => {
                self.ends = "after".to_owned();
                self.count = n.to_string();
            }
        }
    }

    /// Reads a posted form (repeated names for the checkbox lists).
    #[must_use]
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = Self::default();
        for (key, value) in pairs {
            let v = value.clone();
            match key.as_str() {
                "kind" => f.kind = v,
                "name" => f.name = v,
                "reason" => f.reason = v,
                "all_environments" => f.all_environments = v == "true",
                "environments" => f.environments.push(v),
                "all_products" => f.all_products = v == "true",
                "products" => f.products.push(v),
                "exempt_types" => f.exempt_types.push(v),
                "schedule" => f.schedule = v,
                "starts_at" => f.starts_at = v,
                "ends_at" => f.ends_at = v,
                "preset" => f.preset = v,
                "days" => f.days.push(v),
                "interval" => f.interval = v,
                "nth" => f.nth = v,
                "nth_weekday" => f.nth_weekday = v,
                "year_month" => f.year_month = v,
                "year_day" => f.year_day = v,
                "rrule" => f.rrule = v,
                "series_start" => f.series_start = v,
                "local_start" => f.local_start = v,
                "local_end" => f.local_end = v,
                "time_zone" => f.time_zone = v,
                "ends" => f.ends = v,
                "until" => f.until = v,
                "count" => f.count = v,
                "capacity" => f.capacity = v,
                _ => {}
            }
        }
        f
    }

    /// The window this form describes, or a message per wrong field.
    pub fn parse(&self, ctx: &FormContext<'_>) -> Result<WindowDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let kind = e.check("kind", self.kind.parse::<WindowKind>());
        let name = e.check("name", WindowName::parse(&self.name));
        let reason = self.reason.trim().to_owned();
        if reason.chars().count() > MAX_REASON {
            e.add(
                "reason",
                format!("a reason has at most {MAX_REASON} characters"),
            );
        }
        let environments = scope(
            &mut e,
            "environments",
            self.all_environments,
            &self.environments,
            ctx.environments,
            "environment",
        );
        let products = scope(
            &mut e,
            "products",
            self.all_products,
            &self.products,
            ctx.products,
            "product",
        );
        let mut exempt_types = Vec::new();
        for t in &self.exempt_types {
            if let Some(t) = e.check("exempt_types", t.parse::<ExemptType>()) {
                exempt_types.push(t);
            }
        }
        exempt_types.sort();
        exempt_types.dedup();
        let capacity = match self.capacity.trim() {
            "" => None,
            text => match text.parse::<u32>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    e.add(
                        "capacity",
                        "enter a whole number of at least 1, or leave it empty for no limit",
                    );
                    None
                }
            },
        };
        match kind {
            Some(WindowKind::Release) if !exempt_types.is_empty() => e.add(
                "exempt_types",
                "only a freeze exempts release types: untick them for a release window",
            ),
            Some(WindowKind::Freeze) if capacity.is_some() => {
                e.add("capacity", "a freeze has no capacity: leave it empty")
            }
            _ => {}
        }
        let schedule = match self.schedule.as_str() {
            "one_off" => self.one_off(&mut e, ctx.viewer_zone),
            "recurring" => self.recurring(&mut e),
            _ => {
                e.add("schedule", "choose one-off or recurring");
                None
            }
        };
        match (kind, name, environments, products, schedule) {
            (Some(kind), Some(name), Some(environments), Some(products), Some(schedule))
                if e.is_empty() =>
            {
                Ok(WindowDraft {
                    kind,
                    name,
                    reason,
                    environments,
                    products,
                    exempt_types,
                    schedule,
                    capacity,
                })
            }
            _ => Err(e),
        }
    }

    fn one_off(&self, e: &mut FieldErrors, zone: TimeZone) -> Option<WindowSchedule> {
        let start = e.check("starts_at", parse_local_input(&self.starts_at, zone.name()));
        let end = e.check("ends_at", parse_local_input(&self.ends_at, zone.name()));
        let (start, end) = (start?, end?);
        if end <= start {
            e.add("ends_at", "the end must be after the start");
            return None;
        }
        Some(WindowSchedule::OneOff { start, end, zone })
    }

    fn recurring(&self, e: &mut FieldErrors) -> Option<WindowSchedule> {
        let zone = e.check("time_zone", TimeZone::parse(&self.time_zone));
        let series_start = parse_date(e, "series_start", &self.series_start);
        let local_start = parse_time(e, "local_start", &self.local_start);
        let local_end = parse_time(e, "local_end", &self.local_end);
        let ends = self.ends(e);
        // The rule is read even when the zone or end is wrong, so that every
        // problem shows at once.
        let rule = self.rule(
            e,
            zone.unwrap_or(TimeZone::UTC),
            ends.unwrap_or(Ends::Never),
        );
        let (zone, _, rule) = (zone?, ends?, rule?);
        let recurrence = Recurrence::new(rule, series_start?, local_start?, local_end?, zone);
        match recurrence {
            Ok(r) => Some(WindowSchedule::Recurring(r)),
            Err(err) => {
                let field = match err {
                    RecurrenceError::SameTimes => "local_end",
                    RecurrenceError::SeriesStart => "series_start",
                    RecurrenceError::EndsBeforeStart | RecurrenceError::NeverOccurs
                        if self.ends == "on" =>
                    {
                        "until"
                    }
                    RecurrenceError::EndsBeforeStart | RecurrenceError::NeverOccurs => {
                        self.rule_field()
                    }
                };
                e.add(field, err.to_string());
                None
            }
        }
    }

    /// The field a problem with the whole rule is shown at.
    fn rule_field(&self) -> &'static str {
        match self.preset.as_str() {
            "advanced" => "rrule",
            "yearly" => "year_day",
            "monthly_nth" => "nth",
            "weekly" | "every_n_weeks" => "days",
            _ => "preset",
        }
    }

    fn ends(&self, e: &mut FieldErrors) -> Option<Ends> {
        match self.ends.as_str() {
            "" | "never" => Some(Ends::Never),
            "on" => parse_date(e, "until", &self.until).map(Ends::OnDate),
            "after" => match self.count.trim().parse::<u32>() {
                Ok(n) => Some(Ends::After(n)),
                Err(_) => {
                    e.add("count", "enter how many times, e.g. 10");
                    None
                }
            },
            _ => {
                e.add("ends", "choose never, on a date or after a number of times");
                None
            }
        }
    }

    fn rule(&self, e: &mut FieldErrors, zone: TimeZone, ends: Ends) -> Option<RRule> {
        let days = || -> Option<Vec<Weekday>> {
            self.days
                .iter()
                .map(|d| weekday_from_code(d))
                .collect::<Option<Vec<_>>>()
        };
        let preset = match self.preset.as_str() {
            "daily" => Preset::Daily,
            "weekly" => Preset::Weekly {
                days: days().unwrap_or_default(),
            },
            "every_n_weeks" => match self.interval.trim().parse::<u16>() {
                Ok(interval) => Preset::EveryNWeeks {
                    interval,
                    days: days().unwrap_or_default(),
                },
                Err(_) => {
                    e.add("interval", PresetError::Interval.to_string());
                    return None;
                }
            },
            "monthly_nth" => {
                let Some(weekday) = weekday_from_code(&self.nth_weekday) else {
                    e.add("nth_weekday", "choose a day of the week");
                    return None;
                };
                Preset::MonthlyNth {
                    nth: self.nth.trim().parse().unwrap_or(0),
                    weekday,
                }
            }
            "yearly" => Preset::Yearly {
                month: self.year_month.trim().parse().unwrap_or(0),
                day: self.year_day.trim().parse().unwrap_or(0),
            },
            "advanced" => return self.advanced(e, zone, ends),
            _ => {
                e.add("preset", "choose how the window repeats");
                return None;
            }
        };
        match preset.rule(ends) {
            Ok(rule) => Some(rule),
            Err(err) => {
                let field = match err {
                    PresetError::NoDays => "days",
                    PresetError::Interval => "interval",
                    PresetError::Nth => "nth",
                    PresetError::Day => "year_day",
                    PresetError::Count => "count",
                };
                e.add(field, err.to_string());
                None
            }
        }
    }

    fn advanced(&self, e: &mut FieldErrors, zone: TimeZone, ends: Ends) -> Option<RRule> {
        let mut rule = e.check("rrule", RRule::parse(&self.rrule, zone))?;
        if ends != Ends::Never {
            if rule.end != SeriesEnd::Never {
                e.add(
                    "ends",
                    "the RRULE already says when it ends (COUNT or UNTIL): choose “never” here",
                );
                return None;
            }
            match ends.series_end() {
                Ok(end) => rule.end = end,
                Err(err) => {
                    e.add("count", err.to_string());
                    return None;
                }
            }
        }
        Some(rule)
    }
}

fn parse_date(e: &mut FieldErrors, field: &str, input: &str) -> Option<NaiveDate> {
    let parsed = NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d");
    if parsed.is_err() {
        e.add(field, "enter a date like 2026-12-15");
    }
    parsed.ok()
}

fn parse_time(e: &mut FieldErrors, field: &str, input: &str) -> Option<NaiveTime> {
    let s = input.trim();
    let parsed =
        NaiveTime::parse_from_str(s, "%H:%M").or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"));
    if parsed.is_err() {
        e.add(field, "enter a time like 22:00");
    }
    parsed.ok()
}

/// All, or the chosen ids (each one of `known`, at least one).
fn scope(
    e: &mut FieldErrors,
    field: &str,
    all: bool,
    chosen: &[String],
    known: &[Uuid],
    word: &str,
) -> Option<Scope> {
    if all {
        return Some(Scope::All);
    }
    let mut ids = Vec::new();
    for text in chosen {
        match Uuid::parse_str(text.trim()) {
            Ok(id) if known.contains(&id) => ids.push(id),
            _ => {
                e.add(field, format!("choose {word}s from the list"));
                return None;
            }
        }
    }
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        e.add(
            field,
            format!("choose at least one {word}, or tick “All {word}s”"),
        );
        return None;
    }
    Some(Scope::Only(ids))
}

#[cfg(test)]
mod tests;
