//! Presentation helpers shared by pages: record history.

use almanac_db::audit::Event;
use serde_json::Value;

/// One entry of a record's history panel (`templates/partials/history.html`).
pub struct HistoryRow {
    /// Local time with zone, e.g. `2026-11-26 19:08 EST`.
    pub at: String,
    pub actor: String,
    /// Readable action, e.g. `product updated`.
    pub action: String,
    /// (field, before, after) for every field that changed.
    pub changes: Vec<(String, String, String)>,
}

/// Turns audit events into history rows, showing times in `zone`.
#[must_use]
pub fn history_rows(events: Vec<Event>, zone: &str) -> Vec<HistoryRow> {
    events
        .into_iter()
        .map(|e| HistoryRow {
            at: almanac_domain::time::local_datetime(e.at, zone),
            actor: e.actor_label,
            action: e.action.replace(['.', '_'], " "),
            changes: changes(e.before.as_ref(), e.after.as_ref()),
        })
        .collect()
}

/// Field-by-field differences between two JSON snapshots.
#[must_use]
pub fn changes(before: Option<&Value>, after: Option<&Value>) -> Vec<(String, String, String)> {
    let empty = serde_json::Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| {
            (
                k.replace('_', " "),
                b.get(k).map(show).unwrap_or_default(),
                a.get(k).map(show).unwrap_or_default(),
            )
        })
        .collect()
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::String(s) if s.is_empty() => "—".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_list_only_what_differs() {
        let before = json!({"name": "Pay", "colour": "#112233", "archived": false});
        let after =
            json!({"name": "Payments", "colour": "#112233", "archived": true, "owner": null});
        assert_eq!(
            changes(Some(&before), Some(&after)),
            vec![
                ("archived".into(), "false".into(), "true".into()),
                ("name".into(), "Pay".into(), "Payments".into()),
                ("owner".into(), String::new(), "—".into()),
            ]
        );
        assert_eq!(
            changes(None, Some(&json!({"tags": ["a", "b"]})))[0].2,
            "a, b"
        );
    }
}
