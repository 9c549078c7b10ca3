//! Started schedule triggers fire on the emulator's clock.
//!
//! Each tick compares every started `ScheduleTrigger` with the clock and fires the occurrences
//! of its recurrence (`frequency` Minute, Hour, Day, Week or Month, `interval`, `startTime`,
//! `endTime`, UTC) that fell in (last tick, now]. Like ADF, a trigger does not backfill the
//! occurrences before it was started (or before the emulator started): at first sight of a
//! started trigger only the last tick's span is considered. Advanced schedules
//! (`recurrence.schedule`: hours, minutes, week days, month days) are not supported: such a
//! trigger never fires, and the emulator logs why once.

use crate::state::EmulatorState;
use adf_core::Kind;
use serde_json::Value;
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

/// At most this many occurrences fire per trigger per tick (a clock jump cannot flood).
const MAX_FIRES_PER_TICK: usize = 100;

/// What the scheduler remembers between ticks: per trigger (and etag), the last time it looked.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    last: HashMap<String, OffsetDateTime>,
}

/// A recurrence, parsed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Recurrence {
    unit: Unit,
    interval: i64,
    start: OffsetDateTime,
    end: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    Seconds(i64),
    Months,
}

fn parse_time(text: &str) -> Option<OffsetDateTime> {
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(at);
    }
    // ADF accepts a time without an offset (`2017-12-08T00:00:00`), meaning UTC.
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(text.trim_end_matches('Z'), &format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

impl Recurrence {
    /// From a trigger's `typeProperties.recurrence`; `Err` says why it cannot fire.
    pub fn parse(recurrence: &Value) -> Result<Recurrence, String> {
        if recurrence
            .get("schedule")
            .is_some_and(|s| s.as_object().is_some_and(|o| !o.is_empty()))
        {
            return Err(
                "advanced schedules (recurrence.schedule) are not supported by the emulator".into(),
            );
        }
        let frequency = recurrence
            .get("frequency")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let unit = match frequency.to_ascii_lowercase().as_str() {
            "minute" => Unit::Seconds(60),
            "hour" => Unit::Seconds(3600),
            "day" => Unit::Seconds(86_400),
            "week" => Unit::Seconds(7 * 86_400),
            "month" => Unit::Months,
            other => {
                return Err(format!(
                    "frequency '{other}' is not supported by the emulator"
                ));
            }
        };
        let interval = recurrence
            .get("interval")
            .and_then(Value::as_i64)
            .unwrap_or(1)
            .max(1);
        let start = recurrence
            .get("startTime")
            .and_then(Value::as_str)
            .and_then(parse_time)
            .ok_or("recurrence.startTime is missing or not a date-time")?;
        let time_zone = recurrence
            .get("timeZone")
            .and_then(Value::as_str)
            .unwrap_or("UTC");
        if !time_zone.eq_ignore_ascii_case("UTC") {
            return Err(format!(
                "time zone '{time_zone}' is not supported by the emulator (UTC only)"
            ));
        }
        let end = recurrence
            .get("endTime")
            .and_then(Value::as_str)
            .and_then(parse_time);
        Ok(Recurrence {
            unit,
            interval,
            start,
            end,
        })
    }

    /// The first occurrence strictly after `after`, if any (none past `endTime`).
    pub fn next_after(&self, after: OffsetDateTime) -> Option<OffsetDateTime> {
        let next = if after < self.start {
            self.start
        } else {
            match self.unit {
                Unit::Seconds(unit) => {
                    let period = unit.saturating_mul(self.interval);
                    let elapsed = (after - self.start).whole_seconds();
                    let k = elapsed / period + 1;
                    self.start + Duration::seconds(k.saturating_mul(period))
                }
                Unit::Months => {
                    let months_between = (i64::from(after.year()) - i64::from(self.start.year()))
                        * 12
                        + i64::from(u8::from(after.month()))
                        - i64::from(u8::from(self.start.month()));
                    let mut k = (months_between / self.interval).max(0);
                    loop {
                        let candidate = add_months(self.start, k * self.interval)?;
                        if candidate > after {
                            break candidate;
                        }
                        k += 1;
                    }
                }
            }
        };
        match self.end {
            Some(end) if next > end => None,
            _ => Some(next),
        }
    }
}

/// `at` plus `months`, the day clamped to the month's length.
fn add_months(at: OffsetDateTime, months: i64) -> Option<OffsetDateTime> {
    let total = i64::from(at.year()) * 12 + i64::from(u8::from(at.month())) - 1 + months;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = time::Month::try_from(u8::try_from(total.rem_euclid(12) + 1).ok()?).ok()?;
    let day = at.day().min(time::util::days_in_month(month, year));
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    Some(at.replace_date(date))
}

/// One scheduler pass: fires what is due. Returns the trigger run ids it created.
pub(crate) fn tick(state: &EmulatorState, memory: &mut Memory) -> Vec<String> {
    let now = state.config().clock.now();
    let triggers = match state.with_store(|_, store| store.all_entities(Kind::Trigger)) {
        Ok(triggers) => triggers,
        Err(error) => {
            tracing::warn!("scheduler: cannot list triggers: {error}");
            return Vec::new();
        }
    };
    let tick = Duration::try_from(state.config().scheduler_tick).unwrap_or(Duration::ZERO);
    let mut fired = Vec::new();
    let mut seen = HashMap::new();
    for (scope, row) in triggers {
        if row.body.get("type").and_then(Value::as_str) != Some("ScheduleTrigger")
            || row.body.get("runtimeState").and_then(Value::as_str) != Some("Started")
        {
            continue;
        }
        let key = format!(
            "{}/{}/{}/{}/{}",
            scope.subscription, scope.group, scope.factory, row.name, row.etag
        );
        let last = memory.last.get(&key).copied();
        seen.insert(key, now);
        let recurrence = row
            .body
            .pointer("/typeProperties/recurrence")
            .cloned()
            .unwrap_or(Value::Null);
        let recurrence = match Recurrence::parse(&recurrence) {
            Ok(recurrence) => recurrence,
            Err(reason) => {
                if last.is_none() {
                    tracing::warn!("trigger {} will not fire: {reason}", row.name);
                }
                continue;
            }
        };
        // First sight (just started, or the emulator just started): no backfill, except the
        // span of one tick, which covers a start between two ticks.
        let mut last = last.unwrap_or(now - tick);
        for _ in 0..MAX_FIRES_PER_TICK {
            let Some(next) = recurrence.next_after(last) else {
                break;
            };
            if next > now {
                break;
            }
            match state.fire_trigger_at(
                &scope.subscription,
                &scope.group,
                &scope.factory,
                &row.name,
                next,
            ) {
                Ok(Some(id)) => fired.push(id),
                Ok(None) => {}
                Err(error) => tracing::warn!("trigger {} failed to fire: {error}", row.name),
            }
            last = next;
        }
    }
    memory.last = seen;
    if !fired.is_empty() {
        state.wake_engine();
    }
    fired
}

/// Ticks until `shutdown` turns true.
pub(crate) async fn scheduler_loop(
    state: EmulatorState,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut memory = Memory::default();
    loop {
        tick(&state, &mut memory);
        tokio::select! {
            _ = tokio::time::sleep(state.config().scheduler_tick) => {}
            _ = shutdown.changed() => break,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    #[test]
    fn minute_recurrences() {
        let r = Recurrence::parse(
            &json!({"frequency": "Minute", "interval": 15, "startTime": "2026-01-01T00:00:00Z"}),
        )
        .unwrap();
        assert_eq!(
            r.next_after(datetime!(2025-12-31 00:00 UTC)),
            Some(datetime!(2026-01-01 00:00 UTC))
        );
        assert_eq!(
            r.next_after(datetime!(2026-01-01 00:00 UTC)),
            Some(datetime!(2026-01-01 00:15 UTC))
        );
        assert_eq!(
            r.next_after(datetime!(2026-01-01 00:29:59 UTC)),
            Some(datetime!(2026-01-01 00:30 UTC))
        );
    }

    #[test]
    fn month_recurrences_clamp_the_day() {
        let r = Recurrence::parse(
            &json!({"frequency": "Month", "interval": 1, "startTime": "2026-01-31T06:00:00"}),
        )
        .unwrap();
        assert_eq!(
            r.next_after(datetime!(2026-01-31 06:00 UTC)),
            Some(datetime!(2026-02-28 06:00 UTC))
        );
        assert_eq!(
            r.next_after(datetime!(2026-03-01 00:00 UTC)),
            Some(datetime!(2026-03-31 06:00 UTC))
        );
    }

    #[test]
    fn end_time_and_unsupported_forms() {
        let r = Recurrence::parse(&json!({"frequency": "Day", "startTime": "2026-01-01T00:00:00Z", "endTime": "2026-01-02T12:00:00Z"})).unwrap();
        assert_eq!(
            r.next_after(datetime!(2026-01-01 00:00 UTC)),
            Some(datetime!(2026-01-02 00:00 UTC))
        );
        assert_eq!(r.next_after(datetime!(2026-01-02 00:00 UTC)), None);
        assert!(Recurrence::parse(&json!({"frequency": "Hour", "startTime": "x"})).is_err());
        assert!(
            Recurrence::parse(&json!({"frequency": "Year", "startTime": "2026-01-01T00:00:00Z"}))
                .is_err()
        );
        assert!(Recurrence::parse(&json!({"frequency": "Day", "startTime": "2026-01-01T00:00:00Z", "schedule": {"hours": [1]}})).is_err());
        assert!(Recurrence::parse(&json!({"frequency": "Day", "startTime": "2026-01-01T00:00:00Z", "timeZone": "Pacific Standard Time"})).is_err());
    }
}
