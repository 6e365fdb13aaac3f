//! The proleptic Gregorian calendar as day counts from 1970-01-01, which FHIR search dates and
//! instants and EPCIS times are converted through.

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
#[allow(clippy::arithmetic_side_effects)] // |year| below 2^50: no overflow
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
	let year = if month <= 2 { year - 1 } else { year };
	let era = year.div_euclid(400);
	let year_of_era = year - era * 400;
	let month_index = (month + 9) % 12;
	let day_of_year = (153 * month_index + 2) / 5 + day - 1;
	let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
	era * 146_097 + day_of_era - 719_468
}

/// The date of a day counted from 1970-01-01 (Hinnant's `civil_from_days`).
#[allow(clippy::arithmetic_side_effects)] // |days| < 2^37 (milliseconds in an i64): no overflow
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
	let z = days + 719_468;
	let era = z.div_euclid(146_097);
	let day_of_era = z - era * 146_097;
	let year_of_era =
		(day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
	let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	let month_index = (5 * day_of_year + 2) / 153;
	let day = day_of_year - (153 * month_index + 2) / 5 + 1;
	let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
	let year = year_of_era + era * 400 + i64::from(month <= 2);
	(year, month, day)
}

/// An instant in milliseconds since the Unix epoch, as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
#[allow(clippy::arithmetic_side_effects)] // divisions by constants and i64 days
pub fn format_millis(ms: i64) -> String {
	let days = ms.div_euclid(86_400_000);
	let of_day = ms.rem_euclid(86_400_000);
	let (year, month, day) = civil_from_days(days);
	let (hour, minute) = (of_day / 3_600_000, of_day / 60_000 % 60);
	let (second, milli) = (of_day / 1_000 % 60, of_day % 1_000);
	format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z")
}
