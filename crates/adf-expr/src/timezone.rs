//! Windows time zones, as `convertFromUtc`, `convertToUtc` and `convertTimeZone` name them
//! (`Pacific Standard Time`, `W. Europe Standard Time`, ...), without a time zone database.
//!
//! ADF runs on .NET, whose zone ids on Windows are the registry's. Each zone here is its base
//! UTC offset and, where it observes daylight saving time, the Windows-style rule: the month,
//! the week of the month (5 = last) and the weekday of both transitions, at a local time (the
//! start in standard time, the end in daylight time), one hour of saving. The table holds the
//! rules in force today and applies them to every year, with two historical rule sets that
//! matter for real data: the United States' and Canada's rule before 2007 (first Sunday of
//! April to last Sunday of October), and nothing else. Zones whose rules do not fit this form
//! (Chile, Paraguay, Morocco, Egypt, Israel, Lord Howe, Greenland, ...) are left out: they fail
//! with "not supported by the emulator" rather than giving a wrong time.
//!
//! Like .NET's `TimeZoneInfo.ConvertTimeToUtc`, a local time in the hour skipped at the start
//! of daylight time is an error, and one in the repeated hour at its end is taken as standard
//! time.

use time::{Date, Duration, Month, PrimitiveDateTime, Time, Weekday};

/// One transition: `month`, `week` of the month (1..=4, 5 = the last), `weekday`, at
/// `hour:minute` local time.
#[derive(Debug, Clone, Copy)]
struct Transition {
    month: u8,
    week: u8,
    weekday: Weekday,
    hour: u8,
    minute: u8,
}

/// Daylight time from `start` (local standard time) to `end` (local daylight time), one hour.
#[derive(Debug, Clone, Copy)]
struct Rule {
    start: Transition,
    end: Transition,
}

const fn at(month: u8, week: u8, weekday: Weekday, hour: u8, minute: u8) -> Transition {
    Transition {
        month,
        week,
        weekday,
        hour,
        minute,
    }
}

const SUN: Weekday = Weekday::Sunday;

/// United States and Canada since 2007: second Sunday of March to first Sunday of November.
const US: Rule = Rule {
    start: at(3, 2, SUN, 2, 0),
    end: at(11, 1, SUN, 2, 0),
};
/// United States and Canada before 2007: first Sunday of April to last Sunday of October.
const US_1987: Rule = Rule {
    start: at(4, 1, SUN, 2, 0),
    end: at(10, 5, SUN, 2, 0),
};

/// The European Union's rule (last Sunday of March to last Sunday of October, both at 01:00
/// UTC), in the local times of a zone `base_hours` east of UTC.
const fn eu(base_hours: u8) -> Rule {
    Rule {
        start: at(3, 5, SUN, 1 + base_hours, 0),
        end: at(10, 5, SUN, 2 + base_hours, 0),
    }
}
const EU_UTC_MINUS_1: Rule = Rule {
    start: at(3, 5, SUN, 0, 0),
    end: at(10, 5, SUN, 1, 0),
};
/// South-eastern Australia: first Sunday of October to first Sunday of April.
const AUS: Rule = Rule {
    start: at(10, 1, SUN, 2, 0),
    end: at(4, 1, SUN, 3, 0),
};
/// New Zealand: last Sunday of September to first Sunday of April.
const NZ: Rule = Rule {
    start: at(9, 5, SUN, 2, 0),
    end: at(4, 1, SUN, 3, 0),
};
const CHATHAM: Rule = Rule {
    start: at(9, 5, SUN, 2, 45),
    end: at(4, 1, SUN, 3, 45),
};
const CUBA: Rule = Rule {
    start: at(3, 2, SUN, 0, 0),
    end: at(11, 1, SUN, 1, 0),
};
const LEBANON: Rule = Rule {
    start: at(3, 5, SUN, 0, 0),
    end: at(10, 5, SUN, 0, 0),
};
const MOLDOVA: Rule = Rule {
    start: at(3, 5, SUN, 2, 0),
    end: at(10, 5, SUN, 3, 0),
};

/// How a zone keeps daylight time.
#[derive(Debug, Clone, Copy)]
enum Dst {
    None,
    Always(Rule),
    /// The US/Canada rules: `US_1987` before 2007, `US` since.
    UnitedStates,
}

/// A Windows time zone: its id, its base offset in minutes east of UTC, its daylight rule.
struct Zone {
    id: &'static str,
    base_minutes: i32,
    dst: Dst,
}

const fn zone(id: &'static str, base_minutes: i32, dst: Dst) -> Zone {
    Zone {
        id,
        base_minutes,
        dst,
    }
}

const N: Dst = Dst::None;
const USA: Dst = Dst::UnitedStates;

/// The Windows zones the emulator knows (ids as .NET's `TimeZoneInfo.FindSystemTimeZoneById`
/// takes them on Windows; matched ignoring case).
static ZONES: &[Zone] = &[
    zone("Dateline Standard Time", -12 * 60, N),
    zone("UTC-11", -11 * 60, N),
    zone("Aleutian Standard Time", -10 * 60, USA),
    zone("Hawaiian Standard Time", -10 * 60, N),
    zone("Marquesas Standard Time", -9 * 60 - 30, N),
    zone("Alaskan Standard Time", -9 * 60, USA),
    zone("UTC-09", -9 * 60, N),
    zone("Pacific Standard Time (Mexico)", -8 * 60, USA),
    zone("UTC-08", -8 * 60, N),
    zone("Pacific Standard Time", -8 * 60, USA),
    zone("US Mountain Standard Time", -7 * 60, N),
    zone("Mountain Standard Time (Mexico)", -7 * 60, N),
    zone("Mountain Standard Time", -7 * 60, USA),
    zone("Yukon Standard Time", -7 * 60, N),
    zone("Central America Standard Time", -6 * 60, N),
    zone("Central Standard Time", -6 * 60, USA),
    zone("Central Standard Time (Mexico)", -6 * 60, N),
    zone("Canada Central Standard Time", -6 * 60, N),
    zone("SA Pacific Standard Time", -5 * 60, N),
    zone("Eastern Standard Time (Mexico)", -5 * 60, N),
    zone("Eastern Standard Time", -5 * 60, USA),
    zone("Haiti Standard Time", -5 * 60, USA),
    zone("Cuba Standard Time", -5 * 60, Dst::Always(CUBA)),
    zone("US Eastern Standard Time", -5 * 60, USA),
    zone("Turks And Caicos Standard Time", -5 * 60, USA),
    zone("Atlantic Standard Time", -4 * 60, USA),
    zone("Venezuela Standard Time", -4 * 60, N),
    zone("Central Brazilian Standard Time", -4 * 60, N),
    zone("SA Western Standard Time", -4 * 60, N),
    zone("Newfoundland Standard Time", -3 * 60 - 30, USA),
    zone("Tocantins Standard Time", -3 * 60, N),
    zone("E. South America Standard Time", -3 * 60, N),
    zone("SA Eastern Standard Time", -3 * 60, N),
    zone("Argentina Standard Time", -3 * 60, N),
    zone("Montevideo Standard Time", -3 * 60, N),
    zone("Magallanes Standard Time", -3 * 60, N),
    zone("Saint Pierre Standard Time", -3 * 60, USA),
    zone("Bahia Standard Time", -3 * 60, N),
    zone("UTC-02", -2 * 60, N),
    zone("Azores Standard Time", -60, Dst::Always(EU_UTC_MINUS_1)),
    zone("Cape Verde Standard Time", -60, N),
    zone("UTC", 0, N),
    zone("Coordinated Universal Time", 0, N),
    zone("GMT Standard Time", 0, Dst::Always(eu(0))),
    zone("Greenwich Standard Time", 0, N),
    zone("Sao Tome Standard Time", 0, N),
    zone("W. Europe Standard Time", 60, Dst::Always(eu(1))),
    zone("Central Europe Standard Time", 60, Dst::Always(eu(1))),
    zone("Romance Standard Time", 60, Dst::Always(eu(1))),
    zone("Central European Standard Time", 60, Dst::Always(eu(1))),
    zone("W. Central Africa Standard Time", 60, N),
    zone("GTB Standard Time", 120, Dst::Always(eu(2))),
    zone("Middle East Standard Time", 120, Dst::Always(LEBANON)),
    zone("E. Europe Standard Time", 120, Dst::Always(MOLDOVA)),
    zone("South Africa Standard Time", 120, N),
    zone("FLE Standard Time", 120, Dst::Always(eu(2))),
    zone("South Sudan Standard Time", 120, N),
    zone("Kaliningrad Standard Time", 120, N),
    zone("Sudan Standard Time", 120, N),
    zone("Libya Standard Time", 120, N),
    zone("Namibia Standard Time", 120, N),
    zone("Jordan Standard Time", 180, N),
    zone("Syria Standard Time", 180, N),
    zone("Arabic Standard Time", 180, N),
    zone("Turkey Standard Time", 180, N),
    zone("Arab Standard Time", 180, N),
    zone("Belarus Standard Time", 180, N),
    zone("Russian Standard Time", 180, N),
    zone("E. Africa Standard Time", 180, N),
    zone("Volgograd Standard Time", 180, N),
    zone("Iran Standard Time", 210, N),
    zone("Arabian Standard Time", 240, N),
    zone("Astrakhan Standard Time", 240, N),
    zone("Azerbaijan Standard Time", 240, N),
    zone("Russia Time Zone 3", 240, N),
    zone("Mauritius Standard Time", 240, N),
    zone("Saratov Standard Time", 240, N),
    zone("Georgian Standard Time", 240, N),
    zone("Caucasus Standard Time", 240, N),
    zone("Afghanistan Standard Time", 270, N),
    zone("West Asia Standard Time", 300, N),
    zone("Ekaterinburg Standard Time", 300, N),
    zone("Pakistan Standard Time", 300, N),
    zone("Qyzylorda Standard Time", 300, N),
    zone("India Standard Time", 330, N),
    zone("Sri Lanka Standard Time", 330, N),
    zone("Nepal Standard Time", 345, N),
    zone("Central Asia Standard Time", 360, N),
    zone("Bangladesh Standard Time", 360, N),
    zone("Omsk Standard Time", 360, N),
    zone("Myanmar Standard Time", 390, N),
    zone("SE Asia Standard Time", 420, N),
    zone("Altai Standard Time", 420, N),
    zone("W. Mongolia Standard Time", 420, N),
    zone("North Asia Standard Time", 420, N),
    zone("N. Central Asia Standard Time", 420, N),
    zone("Tomsk Standard Time", 420, N),
    zone("China Standard Time", 480, N),
    zone("North Asia East Standard Time", 480, N),
    zone("Singapore Standard Time", 480, N),
    zone("W. Australia Standard Time", 480, N),
    zone("Taipei Standard Time", 480, N),
    zone("Ulaanbaatar Standard Time", 480, N),
    zone("Aus Central W. Standard Time", 525, N),
    zone("Transbaikal Standard Time", 540, N),
    zone("Tokyo Standard Time", 540, N),
    zone("North Korea Standard Time", 540, N),
    zone("Korea Standard Time", 540, N),
    zone("Yakutsk Standard Time", 540, N),
    zone("Cen. Australia Standard Time", 570, Dst::Always(AUS)),
    zone("AUS Central Standard Time", 570, N),
    zone("E. Australia Standard Time", 600, N),
    zone("AUS Eastern Standard Time", 600, Dst::Always(AUS)),
    zone("West Pacific Standard Time", 600, N),
    zone("Tasmania Standard Time", 600, Dst::Always(AUS)),
    zone("Vladivostok Standard Time", 600, N),
    zone("Bougainville Standard Time", 660, N),
    zone("Russia Time Zone 10", 660, N),
    zone("Magadan Standard Time", 660, N),
    zone("Norfolk Standard Time", 660, Dst::Always(AUS)),
    zone("Sakhalin Standard Time", 660, N),
    zone("Central Pacific Standard Time", 660, N),
    zone("Russia Time Zone 11", 720, N),
    zone("New Zealand Standard Time", 720, Dst::Always(NZ)),
    zone("UTC+12", 720, N),
    zone("Fiji Standard Time", 720, N),
    zone("Kamchatka Standard Time", 720, N),
    zone("Chatham Islands Standard Time", 765, Dst::Always(CHATHAM)),
    zone("UTC+13", 780, N),
    zone("Tonga Standard Time", 780, N),
    zone("Samoa Standard Time", 780, N),
    zone("Line Islands Standard Time", 840, N),
];

/// Windows zones that exist but whose rules this table does not model.
static UNMODELLED: &[&str] = &[
    "Easter Island Standard Time",
    "Paraguay Standard Time",
    "Pacific SA Standard Time",
    "Greenland Standard Time",
    "Mid-Atlantic Standard Time",
    "Morocco Standard Time",
    "Egypt Standard Time",
    "West Bank Standard Time",
    "Israel Standard Time",
    "Lord Howe Standard Time",
];

/// Why a zone name cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ZoneError {
    /// Not a Windows time zone id.
    Unknown,
    /// A real Windows zone whose rules the emulator does not model.
    NotModelled,
}

/// A known zone, found by its Windows id ignoring case.
#[derive(Clone, Copy)]
pub(crate) struct TimeZone(&'static Zone);

impl std::fmt::Debug for TimeZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.id)
    }
}

/// The zone called `name` (a Windows id, ignoring case and surrounding spaces).
pub(crate) fn find(name: &str) -> Result<TimeZone, ZoneError> {
    let name = name.trim();
    if let Some(zone) = ZONES.iter().find(|zone| zone.id.eq_ignore_ascii_case(name)) {
        return Ok(TimeZone(zone));
    }
    if UNMODELLED.iter().any(|id| id.eq_ignore_ascii_case(name)) {
        return Err(ZoneError::NotModelled);
    }
    Err(ZoneError::Unknown)
}

/// The known zone id closest to a misspelt one, for hints.
pub(crate) fn suggest(name: &str) -> Option<&'static str> {
    crate::value::closest(name, ZONES.iter().map(|zone| zone.id))
}

fn nth_weekday(year: i32, transition: Transition) -> Option<PrimitiveDateTime> {
    let month = Month::try_from(transition.month).ok()?;
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let offset = (7 + transition.weekday.number_days_from_monday()
        - first.weekday().number_days_from_monday())
        % 7;
    let mut day = 1 + offset + 7 * (transition.week.clamp(1, 5) - 1);
    let days_in_month = time::util::days_in_month(month, year);
    while day > days_in_month {
        day -= 7;
    }
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(transition.hour, transition.minute, 0).ok()?;
    Some(PrimitiveDateTime::new(date, time))
}

impl TimeZone {
    fn base(self) -> Duration {
        Duration::minutes(i64::from(self.0.base_minutes))
    }

    fn rule(self, year: i32) -> Option<Rule> {
        match self.0.dst {
            Dst::None => None,
            Dst::Always(rule) => Some(rule),
            Dst::UnitedStates if year < 2007 => Some(US_1987),
            Dst::UnitedStates => Some(US),
        }
    }

    /// Daylight time's start and end that year, in local standard time (the end moved back
    /// by the hour of saving), and whether the period wraps the new year (southern zones).
    fn period(self, year: i32) -> Option<(PrimitiveDateTime, PrimitiveDateTime, bool)> {
        let rule = self.rule(year)?;
        let start = nth_weekday(year, rule.start)?;
        let end = nth_weekday(year, rule.end)? - Duration::HOUR;
        Some((start, end, rule.start.month > rule.end.month))
    }

    fn in_daylight(self, standard: PrimitiveDateTime) -> bool {
        match self.period(standard.year()) {
            None => false,
            Some((start, end, false)) => standard >= start && standard < end,
            Some((start, end, true)) => standard >= start || standard < end,
        }
    }

    /// The local time of a UTC time in this zone.
    pub(crate) fn local_time(self, utc: PrimitiveDateTime) -> Option<PrimitiveDateTime> {
        let standard = utc.checked_add(self.base())?;
        if self.in_daylight(standard) {
            standard.checked_add(Duration::HOUR)
        } else {
            Some(standard)
        }
    }

    /// The UTC time of a local time in this zone; `Err` when the local time does not exist
    /// (the hour skipped when daylight time starts). A repeated local time is standard time.
    pub(crate) fn utc_time(self, local: PrimitiveDateTime) -> Result<PrimitiveDateTime, ()> {
        let daylight = match self.period(local.year()) {
            None => false,
            Some((start, end, wraps)) => {
                if local >= start && local < start + Duration::HOUR {
                    return Err(());
                }
                // `end` is the end in standard time: the daylight wall clock runs to end + 1h,
                // and its last hour repeats in standard time, which wins.
                let after_gap = local >= start + Duration::HOUR;
                let before_repeat = local < end;
                if wraps {
                    after_gap || before_repeat
                } else {
                    after_gap && before_repeat
                }
            }
        };
        let offset = if daylight {
            self.base() + Duration::HOUR
        } else {
            self.base()
        };
        local.checked_sub(offset).ok_or(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn utc_to(zone: &str, utc: PrimitiveDateTime) -> PrimitiveDateTime {
        find(zone).unwrap().local_time(utc).unwrap()
    }

    #[test]
    fn united_states_rules_before_and_after_2007() {
        // 2018: DST from 11 March 10:00 UTC to 4 November 09:00 UTC in Pacific time.
        assert_eq!(
            utc_to("Pacific Standard Time", datetime!(2018-01-01 08:00)),
            datetime!(2018-01-01 00:00)
        );
        assert_eq!(
            utc_to("Pacific Standard Time", datetime!(2018-03-11 09:59)),
            datetime!(2018-03-11 01:59)
        );
        assert_eq!(
            utc_to("Pacific Standard Time", datetime!(2018-03-11 10:00)),
            datetime!(2018-03-11 03:00)
        );
        assert_eq!(
            utc_to("Pacific Standard Time", datetime!(2018-11-04 08:59)),
            datetime!(2018-11-04 01:59)
        );
        assert_eq!(
            utc_to("Pacific Standard Time", datetime!(2018-11-04 09:00)),
            datetime!(2018-11-04 01:00)
        );
        // 2006: DST started on 2 April.
        assert_eq!(
            utc_to("Eastern Standard Time", datetime!(2006-03-20 12:00)),
            datetime!(2006-03-20 07:00)
        );
        assert_eq!(
            utc_to("Eastern Standard Time", datetime!(2006-04-10 12:00)),
            datetime!(2006-04-10 08:00)
        );
    }

    #[test]
    fn european_and_southern_rules() {
        let zone = "W. Europe Standard Time";
        assert_eq!(
            utc_to(zone, datetime!(2023-11-24 12:11)),
            datetime!(2023-11-24 13:11)
        );
        assert_eq!(
            utc_to(zone, datetime!(2024-03-31 00:59)),
            datetime!(2024-03-31 01:59)
        );
        assert_eq!(
            utc_to(zone, datetime!(2024-03-31 01:00)),
            datetime!(2024-03-31 03:00)
        );
        assert_eq!(
            utc_to("GMT Standard Time", datetime!(2024-07-01 12:00)),
            datetime!(2024-07-01 13:00)
        );
        // Sydney: daylight time in January, not in July.
        assert_eq!(
            utc_to("AUS Eastern Standard Time", datetime!(2024-01-15 00:00)),
            datetime!(2024-01-15 11:00)
        );
        assert_eq!(
            utc_to("AUS Eastern Standard Time", datetime!(2024-07-15 00:00)),
            datetime!(2024-07-15 10:00)
        );
        assert_eq!(
            utc_to("India Standard Time", datetime!(2024-07-15 00:00)),
            datetime!(2024-07-15 05:30)
        );
    }

    #[test]
    fn local_to_utc_gaps_and_repeats() {
        let pacific = find("pacific standard time").unwrap();
        assert_eq!(
            pacific.utc_time(datetime!(2018-01-01 00:00)),
            Ok(datetime!(2018-01-01 08:00))
        );
        assert_eq!(pacific.utc_time(datetime!(2018-03-11 02:30)), Err(()));
        assert_eq!(
            pacific.utc_time(datetime!(2018-03-11 03:00)),
            Ok(datetime!(2018-03-11 10:00))
        );
        // 01:30 on 4 November happens twice; .NET takes standard time.
        assert_eq!(
            pacific.utc_time(datetime!(2018-11-04 01:30)),
            Ok(datetime!(2018-11-04 09:30))
        );
        assert_eq!(
            pacific.utc_time(datetime!(2018-11-04 00:30)),
            Ok(datetime!(2018-11-04 07:30))
        );
        let sydney = find("AUS Eastern Standard Time").unwrap();
        assert_eq!(
            sydney.utc_time(datetime!(2024-01-15 11:00)),
            Ok(datetime!(2024-01-15 00:00))
        );
    }

    #[test]
    fn unknown_and_unmodelled_zones() {
        assert_eq!(find("Mars Standard Time").unwrap_err(), ZoneError::Unknown);
        assert_eq!(
            find("Israel Standard Time").unwrap_err(),
            ZoneError::NotModelled
        );
        assert_eq!(
            suggest("Pacific Standrd Time"),
            Some("Pacific Standard Time")
        );
    }
}
