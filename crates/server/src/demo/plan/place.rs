//! Where each release goes live: regular releases spread evenly over the
//! window nights of the past year and the months ahead, the train on one
//! night, the emergency in progress right now, the blocked release on its
//! frozen night; then the past releases that were rolled back (each with
//! the hotfix that followed it) or cancelled.

use super::{Fate, Kind, QUIET_HOURS, Slotted, minutes, regular_type};
use crate::demo::calendar::{Calendar, FUTURE_DAYS, PAST_DAYS};
use crate::demo::catalog::{ProductSpec, Spec};
use almanac_domain::recurrence::Occurrence;
use almanac_domain::release::{DeploymentResult, ReleaseType};
use anyhow::{Result, anyhow};
use chrono::{Duration, DurationRound};

/// A hotfix goes live at most this long after the rollback it fixes.
/// (An hour more for a change of daylight saving time in between.)
const HOTFIX_WITHIN_HOURS: i64 = 5 * 24 + 1;

/// How many `length`-minute deployments fit one after the other in `o`,
/// within the window's capacity.
fn room(o: &Occurrence, length: i64, capacity: Option<u32>) -> usize {
    let fit = usize::try_from((o.end - o.start).num_minutes() / length.max(1)).unwrap_or(0);
    capacity.map_or(fit, |c| fit.min(c as usize))
}

/// Places every release on a window occurrence, in go-live order.
pub(super) fn place(spec: &Spec, calendar: &Calendar) -> Result<Vec<Slotted>> {
    let now = calendar.now;
    let from = now - Duration::days(PAST_DAYS);
    let to = now + Duration::days(FUTURE_DAYS);
    let production = [*spec
        .production()
        .ok_or_else(|| anyhow!("{}: no production environment", spec.slug))?];
    let stages = spec.stages();
    // A night is usable when it is not happening right now, no freeze of
    // production is within a day of it, and no freeze of the stages is in
    // the days before it (qa goes a week ahead).
    let usable = |o: &Occurrence| {
        (o.start - now).num_hours().abs() >= QUIET_HOURS
            && !calendar.frozen_for(
                &production,
                o.start - Duration::days(1),
                o.end + Duration::days(1),
            )
            && !calendar.frozen_for(&stages, o.start - Duration::days(10), o.start)
    };
    let mut nights: Vec<Occurrence> = calendar
        .weekly_nights(from, to)
        .into_iter()
        .filter(usable)
        .collect();
    let days: Vec<Occurrence> = calendar
        .major_days(from, to)
        .into_iter()
        .filter(usable)
        .collect();
    let slotted = |k, kind, product, release_type, night: Occurrence| Slotted {
        k,
        kind,
        product,
        release_type,
        night,
        major_window: false,
        slot: 0,
        go_live: night.start,
        minutes: spec.production_minutes,
        fate: None,
        follows: None,
    };
    let mut placed = Vec::new();
    if let Some(train) = &spec.train {
        let i = nights
            .iter()
            .position(|o| o.start >= now + Duration::days(train.days_ahead))
            .ok_or_else(|| anyhow!("no window night for the train"))?;
        let night = nights.remove(i);
        let count = i32::try_from(train.products.len())?;
        let step = (night.end - night.start) / count.max(1);
        for (slot, key) in train.products.iter().enumerate() {
            placed.push(Slotted {
                slot,
                go_live: night.start + step * i32::try_from(slot)?,
                minutes: step.num_minutes(),
                ..slotted(
                    spec.releases + slot,
                    Kind::Train,
                    product(spec, key)?,
                    ReleaseType::Minor,
                    night,
                )
            });
        }
    }
    if nights.is_empty() {
        return Err(anyhow!("no window nights to plan releases on"));
    }
    let products: Vec<&'static ProductSpec> = spec.products().collect();
    let length = spec.production_minutes;
    let weekly_room = |o: &Occurrence| room(o, length, spec.weekly.capacity);
    let major_room = |o: &Occurrence| room(o, length, spec.major.as_ref().and_then(|m| m.capacity));
    // The past and the future get releases in proportion to their length,
    // spread evenly over the nights of each (freezes leave fewer nights).
    let past_nights = nights.iter().filter(|o| o.start < now).count();
    let past_share =
        usize::try_from(i64::try_from(spec.releases)? * PAST_DAYS / (PAST_DAYS + FUTURE_DAYS))?;
    let future_share = spec.releases - past_share;
    let mut on_night = vec![0usize; nights.len()];
    let mut on_day = vec![0usize; days.len()];
    for k in 0..spec.releases {
        let release_type = regular_type(k);
        let product = products[(k * 5) % products.len()];
        let ideal = if k < past_share {
            k * past_nights / past_share.max(1)
        } else {
            past_nights + (k - past_share) * (nights.len() - past_nights) / future_share.max(1)
        }
        .min(nights.len() - 1);
        let target = nights[ideal].start;
        let saturday = (release_type == ReleaseType::Major)
            .then(|| {
                (0..days.len())
                    .filter(|&d| {
                        on_day[d] < major_room(&days[d])
                            && (days[d].start - target).num_days().abs() <= 10
                    })
                    .min_by_key(|&d| ((days[d].start - target).num_minutes().abs(), d))
            })
            .flatten();
        let (night, slot) = if let Some(d) = saturday {
            on_day[d] += 1;
            (days[d], on_day[d] - 1)
        } else {
            let i = (ideal..nights.len())
                .chain((0..ideal).rev())
                .find(|&i| on_night[i] < weekly_room(&nights[i]))
                .ok_or_else(|| anyhow!("more releases than window room"))?;
            on_night[i] += 1;
            (nights[i], on_night[i] - 1)
        };
        placed.push(Slotted {
            major_window: saturday.is_some(),
            slot,
            go_live: night.start + minutes(length * i64::try_from(slot)?),
            ..slotted(k, Kind::Regular, product, release_type, night)
        });
    }
    if let Some(key) = spec.in_progress {
        let go_live = now.duration_trunc(Duration::hours(1))? - Duration::hours(1);
        let night = Occurrence {
            start: go_live,
            end: go_live + Duration::hours(2),
            date: calendar.local_date(go_live),
            cancelled: false,
        };
        placed.push(Slotted {
            minutes: 120,
            ..slotted(
                spec.releases + 10,
                Kind::InProgress,
                product(spec, key)?,
                ReleaseType::Emergency,
                night,
            )
        });
    }
    if let (Some(key), Some(night)) = (spec.blocked, calendar.blocked) {
        placed.push(slotted(
            spec.releases + 30,
            Kind::Blocked,
            product(spec, key)?,
            ReleaseType::Minor,
            night,
        ));
    }
    placed.sort_by_key(|s| (s.go_live, s.k));
    mark_specials(spec, calendar, &nights, &mut placed)?;
    placed.sort_by_key(|s| (s.go_live, s.k));
    Ok(placed)
}

fn product(spec: &Spec, key: &str) -> Result<&'static ProductSpec> {
    spec.product(key).ok_or_else(|| anyhow!("no product {key}"))
}

/// Marks the past releases that were rolled back or cancelled, spread
/// evenly over the past year (every other one a rollback, the second of
/// them a failed deployment). With `hotfix_after_rollback`, a rollback is
/// a release whose next window night (one to five days later, and past)
/// has room for the hotfix of its product that followed it, placed there.
fn mark_specials(
    spec: &Spec,
    calendar: &Calendar,
    nights: &[Occurrence],
    placed: &mut Vec<Slotted>,
) -> Result<()> {
    let now = calendar.now;
    let length = spec.production_minutes;
    let past: Vec<usize> = (0..placed.len())
        .filter(|&i| placed[i].kind == Kind::Regular && placed[i].go_live < now)
        .collect();
    let specials = spec.rolled_back + spec.cancelled;
    let (mut rolled_back, mut cancelled) = (0, 0);
    for j in 0..specials {
        let rollback =
            (j % 2 == 0 && rolled_back < spec.rolled_back) || cancelled == spec.cancelled;
        let ideal = (j + 1) * past.len() / (specials + 1);
        let hotfix_slot = |i: usize, placed: &[Slotted]| -> Option<(Occurrence, usize)> {
            let after = placed[i].go_live;
            let night = nights
                .iter()
                .find(|o| o.start >= after + Duration::hours(20))?;
            let slot = placed
                .iter()
                .filter(|s| s.night.start == night.start)
                .count();
            let go_live = night.start + minutes(length * i64::try_from(slot).ok()?);
            let fits = slot < room(night, length, spec.weekly.capacity)
                && (go_live - after).num_minutes() <= HOTFIX_WITHIN_HOURS * 60
                && go_live + minutes(length) + Duration::hours(QUIET_HOURS) <= now;
            fits.then_some((*night, slot))
        };
        // The nearest free past release after the ideal place (else before
        // it) that can take this fate.
        let found = (ideal..past.len())
            .chain((0..ideal).rev())
            .map(|p| past[p])
            .filter(|&i| placed[i].fate.is_none())
            .find_map(|i| {
                if rollback && spec.hotfix_after_rollback {
                    hotfix_slot(i, placed).map(|h| (i, Some(h)))
                } else {
                    Some((i, None))
                }
            });
        let Some((i, hotfix)) = found else {
            continue;
        };
        placed[i].fate = Some(if rollback {
            rolled_back += 1;
            Fate::RolledBack(if rolled_back == 2 {
                DeploymentResult::Failed
            } else {
                DeploymentResult::RolledBack
            })
        } else {
            cancelled += 1;
            Fate::Cancelled
        });
        if let Some((night, slot)) = hotfix {
            let fixed = placed[i];
            placed.push(Slotted {
                k: spec.releases + 20 + j,
                kind: Kind::Hotfix,
                product: fixed.product,
                release_type: ReleaseType::Hotfix,
                night,
                major_window: false,
                slot,
                go_live: night.start + minutes(length * i64::try_from(slot)?),
                minutes: length,
                fate: None,
                follows: Some(fixed.go_live),
            });
        }
    }
    Ok(())
}
