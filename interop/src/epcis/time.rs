//! EPCIS times: `2005-04-03T20:33:31.116000-06:00` as CBV 2.0's event hash writes it, in UTC
//! with milliseconds (`2005-04-04T02:33:31.116Z`).

pub use crate::calendar::format_millis;
use crate::calendar::{civil_from_days, days_from_civil};

fn number(text: &str) -> Option<i64> {
	(!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())?
}

/// Milliseconds since the Unix epoch of an EPCIS time with a zone
/// (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`), its fraction rounded half up to the
/// millisecond; `None` for anything else.
#[allow(clippy::arithmetic_side_effects)] // every field is at most a few digits long
pub fn parse_millis(text: &str) -> Option<i64> {
	let text = text.trim();
	let (date, rest) = text.split_once('T')?;
	let [year, month, day] = <[&str; 3]>::try_from(date.split('-').collect::<Vec<_>>()).ok()?;
	let (clock, zone) = match rest.strip_suffix('Z') {
		Some(clock) => (clock, 0),
		None => {
			let at = rest.rfind(['+', '-'])?;
			let (clock, zone) = rest.split_at(at);
			let sign = if zone.starts_with('-') { -1 } else { 1 };
			let (hours, minutes) = zone.get(1..)?.split_once(':')?;
			if hours.len() != 2 || minutes.len() != 2 {
				return None;
			}
			(clock, sign * (number(hours)? * 60 + number(minutes)?))
		}
	};
	let (clock, fraction) = match clock.split_once('.') {
		Some((clock, fraction)) if !fraction.is_empty() => (clock, Some(fraction)),
		Some(_) => return None,
		None => (clock, None),
	};
	let [hour, minute, second] =
		<[&str; 3]>::try_from(clock.split(':').collect::<Vec<_>>()).ok()?;
	let fields = [year, month, day, hour, minute, second];
	if year.len() != 4 || fields[1..].iter().any(|f| f.len() != 2) {
		return None;
	}
	let millis = match fraction {
		None => 0,
		Some(fraction) => {
			if !fraction.bytes().all(|b| b.is_ascii_digit()) {
				return None;
			}
			let padded = format!("{fraction:0<4}");
			let first_four: i64 = padded.get(..4)?.parse().ok()?;
			(first_four + 5) / 10
		}
	};
	let (y, m, d) = (number(year)?, number(month)?, number(day)?);
	let days = days_from_civil(y, m, d);
	let (h, min, s) = (number(hour)?, number(minute)?, number(second)?);
	if civil_from_days(days) != (y, m, d) || h > 23 || min > 59 || s > 59 {
		return None;
	}
	let seconds = days * 86_400 + h * 3_600 + min * 60 + s;
	Some(seconds * 1_000 + millis - zone * 60_000)
}

/// CBV 2.0's form of a time for the event hash: UTC with milliseconds; text that is not an
/// EPCIS time with a zone is kept as written.
pub fn canonical(text: &str) -> String {
	parse_millis(text).map_or_else(|| text.to_owned(), format_millis)
}

/// A calendar day counted from 1970-01-01 as `YYYY-MM-DD` (a GS1 expiry date).
pub fn format_day(day: u32) -> String {
	let (year, month, day) = civil_from_days(i64::from(day));
	format!("{year:04}-{month:02}-{day:02}")
}

/// The day counted from 1970-01-01 of a `YYYY-MM-DD` date that exists in the calendar.
#[allow(clippy::arithmetic_side_effects)] // at most four digits each
pub fn parse_day(text: &str) -> Option<u32> {
	let [year, month, day] = <[&str; 3]>::try_from(text.split('-').collect::<Vec<_>>()).ok()?;
	if year.len() != 4 || month.len() != 2 || day.len() != 2 {
		return None;
	}
	let (y, m, d) = (number(year)?, number(month)?, number(day)?);
	let days = days_from_civil(y, m, d);
	(civil_from_days(days) == (y, m, d)).then(|| u32::try_from(days).ok())?
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn times_are_written_in_utc_with_milliseconds() {
		assert_eq!(canonical("2005-04-03T20:33:31.116000-06:00"), "2005-04-04T02:33:31.116Z");
		assert_eq!(canonical("2013-06-08T14:58:56.591Z"), "2013-06-08T14:58:56.591Z");
		assert_eq!(canonical("2020-01-01T00:00:00+01:00"), "2019-12-31T23:00:00.000Z");
		// Half up at the fourth decimal, carrying into the seconds.
		assert_eq!(canonical("2020-01-01T00:00:00.9995Z"), "2020-01-01T00:00:01.000Z");
		assert_eq!(canonical("2020-01-01T00:00:00.9994Z"), "2020-01-01T00:00:00.999Z");
		assert_eq!(canonical("2024-02-29T12:00:00Z"), "2024-02-29T12:00:00.000Z");
		// Not a zoned time: kept.
		let kept = [
			"2020-01-01T00:00:00",
			"yesterday",
			"2020-01-01T00:00:00.Z",
			"2021-02-29T00:00:00Z",
			"",
		];
		for kept in kept {
			assert_eq!(canonical(kept), kept);
		}
	}

	#[test]
	fn days_round_trip_and_impossible_dates_are_refused() {
		assert_eq!(format_day(0), "1970-01-01");
		assert_eq!(parse_day("2027-01-31"), Some(20_849));
		assert_eq!(format_day(20_849), "2027-01-31");
		for bad in ["2027-02-30", "2027-13-01", "27-01-01", "2027-1-01", "1969-12-31", "x"] {
			assert_eq!(parse_day(bad), None, "{bad}");
		}
		assert_eq!(format_millis(0), "1970-01-01T00:00:00.000Z");
		assert_eq!(parse_millis("1970-01-01T00:00:00.000Z"), Some(0));
	}
}
