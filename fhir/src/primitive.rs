//! R4's primitive types: the JSON type each is written as, and the format the specification
//! gives it (<https://hl7.org/fhir/R4/datatypes.html#primitive>). The model keeps these as
//! strings and numbers without checking them, so they are checked here.

use crate::FhirError;
use serde_json::Value;

/// A primitive type of R4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Type {
	Boolean,
	Integer,
	UnsignedInt,
	PositiveInt,
	Decimal,
	String,
	Markdown,
	Code,
	Id,
	Uri,
	Oid,
	Uuid,
	Base64Binary,
	Date,
	DateTime,
	Instant,
	Time,
	Xhtml,
}

impl Type {
	/// The primitive type an element definition's type code names; `None` for a complex type.
	/// `System.String` is FHIRPath's type for element ids and `Extension.url`, and for a
	/// resource's `id` (whose R4 type is `id`); the caller tells which by `resource_id`.
	pub(crate) fn of(code: &str, path: &str, resource_id: bool) -> Option<Self> {
		Some(match code {
			"boolean" | "http://hl7.org/fhirpath/System.Boolean" => Self::Boolean,
			"integer" | "http://hl7.org/fhirpath/System.Integer" => Self::Integer,
			"unsignedInt" => Self::UnsignedInt,
			"positiveInt" => Self::PositiveInt,
			"decimal" | "http://hl7.org/fhirpath/System.Decimal" => Self::Decimal,
			"string" => Self::String,
			"markdown" => Self::Markdown,
			"code" => Self::Code,
			"id" => Self::Id,
			"uri" | "url" | "canonical" => Self::Uri,
			"oid" => Self::Oid,
			"uuid" => Self::Uuid,
			"base64Binary" => Self::Base64Binary,
			"date" | "http://hl7.org/fhirpath/System.Date" => Self::Date,
			"dateTime" | "http://hl7.org/fhirpath/System.DateTime" => Self::DateTime,
			"instant" => Self::Instant,
			"time" | "http://hl7.org/fhirpath/System.Time" => Self::Time,
			"xhtml" => Self::Xhtml,
			"http://hl7.org/fhirpath/System.String" if resource_id => Self::Id,
			"http://hl7.org/fhirpath/System.String" if path == "Extension.url" => Self::Uri,
			"http://hl7.org/fhirpath/System.String" => Self::String,
			_ => return None,
		})
	}

	fn name(self) -> &'static str {
		match self {
			Self::Boolean => "boolean",
			Self::Integer => "integer",
			Self::UnsignedInt => "unsignedInt",
			Self::PositiveInt => "positiveInt",
			Self::Decimal => "decimal",
			Self::String => "string",
			Self::Markdown => "markdown",
			Self::Code => "code",
			Self::Id => "id",
			Self::Uri => "uri",
			Self::Oid => "oid",
			Self::Uuid => "uuid",
			Self::Base64Binary => "base64Binary",
			Self::Date => "date",
			Self::DateTime => "dateTime",
			Self::Instant => "instant",
			Self::Time => "time",
			Self::Xhtml => "xhtml",
		}
	}

	/// Checks one value of this type at `path`.
	pub(crate) fn check(self, value: &Value, path: &str) -> Result<(), FhirError> {
		let wrong = |expected: &str| {
			Err(FhirError::WrongType { path: path.into(), expected: expected.into() })
		};
		let text = match (self, value) {
			(_, Value::Null) => return Err(FhirError::Empty(path.into())),
			(Self::Boolean, Value::Bool(_)) => return Ok(()),
			(Self::Boolean, _) => return wrong("a JSON boolean (true or false)"),
			(Self::Decimal, Value::Number(_)) => return Ok(()),
			(Self::Decimal, _) => return wrong("a JSON number (a FHIR decimal)"),
			(Self::Integer | Self::UnsignedInt | Self::PositiveInt, Value::Number(n)) => {
				let (low, kind) = match self {
					Self::Integer => (i64::from(i32::MIN), "an integer"),
					Self::UnsignedInt => (0, "an integer from 0"),
					_ => (1, "an integer from 1"),
				};
				return match n.as_i64() {
					Some(n) if (low..=i64::from(i32::MAX)).contains(&n) => Ok(()),
					_ => wrong(&format!(
						"{kind} to 2147483647 written as a JSON number (a FHIR {})",
						self.name()
					)),
				};
			}
			(Self::Integer | Self::UnsignedInt | Self::PositiveInt, _) => {
				return wrong(&format!("a JSON number (a FHIR {})", self.name()))
			}
			(_, Value::String(text)) => text.as_str(),
			(_, _) => return wrong(&format!("a JSON string (a FHIR {})", self.name())),
		};
		if text.is_empty() {
			return Err(FhirError::Empty(path.into()));
		}
		let (valid, expected) = match self {
			Self::String | Self::Markdown => (true, ""),
			Self::Code => (is_code(text), "no leading, trailing or doubled whitespace"),
			Self::Id => (is_id(text), "1 to 64 of A-Z, a-z, 0-9, '-' and '.'"),
			Self::Uri => (!text.chars().any(char::is_whitespace), "no whitespace"),
			Self::Oid => (is_oid(text), "urn:oid: then a dotted OID such as 2.16.840.1"),
			Self::Uuid => (is_uuid(text), "urn:uuid: then a lowercase RFC 4122 UUID"),
			Self::Base64Binary => (is_base64(text), "base64"),
			Self::Date => (is_date(text), "YYYY, YYYY-MM or YYYY-MM-DD, a real date"),
			Self::DateTime => (
				is_date_time(text),
				"YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss(.sss) with Z or ±hh:mm",
			),
			Self::Instant => (is_instant(text), "YYYY-MM-DDThh:mm:ss(.sss) with Z or ±hh:mm"),
			Self::Time => (is_time(text), "hh:mm:ss(.sss)"),
			Self::Xhtml => (
				text.trim_start().starts_with("<div") && text.trim_end().ends_with("</div>"),
				"an XHTML <div> element",
			),
			Self::Boolean
			| Self::Decimal
			| Self::Integer
			| Self::UnsignedInt
			| Self::PositiveInt => unreachable!("answered above"),
		};
		if valid {
			return Ok(());
		}
		Err(FhirError::BadFormat {
			path: path.into(),
			value: text.chars().take(64).collect(),
			type_name: self.name(),
			expected,
		})
	}
}

/// `[^\s]+(\s[^\s]+)*`
fn is_code(text: &str) -> bool {
	fhir::validate::is_valid_code(text) && !text.contains("  ")
}

/// `[A-Za-z0-9\-\.]{1,64}`
fn is_id(text: &str) -> bool {
	fhir::validate::is_valid_id(text)
}

/// `urn:oid:[0-2](\.(0|[1-9][0-9]*))+`
fn is_oid(text: &str) -> bool {
	let Some(rest) = text.strip_prefix("urn:oid:") else { return false };
	let mut arcs = rest.split('.');
	let first_ok = arcs.next().is_some_and(|a| matches!(a, "0" | "1" | "2"));
	let rest: Vec<&str> = arcs.collect();
	let rest_ok = rest.iter().all(|arc| {
		!arc.is_empty()
			&& arc.bytes().all(|b| b.is_ascii_digit())
			&& (*arc == "0" || !arc.starts_with('0'))
	});
	first_ok && rest_ok && !rest.is_empty()
}

/// `urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
fn is_uuid(text: &str) -> bool {
	let Some(rest) = text.strip_prefix("urn:uuid:") else { return false };
	let groups: Vec<&str> = rest.split('-').collect();
	groups.len() == 5
		&& groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| {
			g.len() == n && g.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
		})
}

/// Base64 (RFC 4648), whitespace allowed between quanta.
fn is_base64(text: &str) -> bool {
	let bytes: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
	if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
		return false;
	}
	let padding = bytes.iter().rev().take_while(|&&b| b == b'=').count();
	padding <= 2
		&& bytes[..bytes.len().saturating_sub(padding)]
			.iter()
			.all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

/// Parses exactly `n` ASCII digits.
fn digits(text: &str, n: usize) -> Option<u32> {
	(text.len() == n && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())?
}

fn days_in(year: u32, month: u32) -> u32 {
	match month {
		2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
			29
		}
		2 => 28,
		4 | 6 | 9 | 11 => 30,
		_ => 31,
	}
}

/// Whether `text` is a FHIR `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, years 0001 to 9999, a
/// day the month has.
pub fn is_date(text: &str) -> bool {
	let mut parts = text.split('-');
	let Some(year) = parts.next().and_then(|y| digits(y, 4)).filter(|&y| y >= 1) else {
		return false;
	};
	let Some(month) = parts.next() else { return true };
	let Some(month) = digits(month, 2).filter(|m| (1..=12).contains(m)) else { return false };
	let Some(day) = parts.next() else { return true };
	let valid_day = digits(day, 2).is_some_and(|d| d >= 1 && d <= days_in(year, month));
	valid_day && parts.next().is_none()
}

/// `hh:mm:ss` with an optional fraction; a leap second `60` as R4 allows.
fn is_time(text: &str) -> bool {
	let (clock, fraction) = match text.split_once('.') {
		Some((clock, fraction)) => (clock, Some(fraction)),
		None => (text, None),
	};
	if fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
		return false;
	}
	let parts: Vec<&str> = clock.split(':').collect();
	let [h, m, s] = parts[..] else { return false };
	digits(h, 2).is_some_and(|h| h <= 23)
		&& digits(m, 2).is_some_and(|m| m <= 59)
		&& digits(s, 2).is_some_and(|s| s <= 60)
}

/// `Z`, or `+hh:mm` / `-hh:mm` up to 14:00.
fn is_zone(text: &str) -> bool {
	if text == "Z" {
		return true;
	}
	let Some(offset) = text.strip_prefix('+').or_else(|| text.strip_prefix('-')) else {
		return false;
	};
	let Some((h, m)) = offset.split_once(':') else { return false };
	match (digits(h, 2), digits(m, 2)) {
		(Some(14), Some(0)) => true,
		(Some(h), Some(m)) => h <= 13 && m <= 59,
		_ => false,
	}
}

/// A full date, `T`, a time and a zone.
fn is_instant(text: &str) -> bool {
	let Some((date, rest)) = text.split_once('T') else { return false };
	if date.len() != 10 || !is_date(date) {
		return false;
	}
	let zone_at = rest.find(['Z', '+', '-']).unwrap_or(rest.len());
	let (time, zone) = rest.split_at(zone_at);
	is_time(time) && is_zone(zone)
}

/// A date of any precision, or an instant (a time needs a zone).
fn is_date_time(text: &str) -> bool {
	if text.contains('T') {
		is_instant(text)
	} else {
		is_date(text)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn dates_are_real_days() {
		for good in ["2024", "2024-02", "2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31"] {
			assert!(is_date(good), "{good}");
		}
		for bad in [
			"",
			"24",
			"2024-2",
			"2024-13",
			"2024-00",
			"2023-02-29",
			"1900-02-29",
			"2024-04-31",
			"0000",
			"2024-01-01T00:00:00Z",
			"+2024",
			"2024-01-1",
			"2024-01-01-",
		] {
			assert!(!is_date(bad), "{bad}");
		}
	}

	#[test]
	fn date_times_need_a_zone_with_a_time() {
		for good in ["2024", "2024-03-05", "2024-03-05T10:00:00Z", "2024-03-05T10:00:00.123+14:00"]
		{
			assert!(is_date_time(good), "{good}");
		}
		for bad in [
			"2024-03-05T10:00:00",
			"2024-03-05T10:00Z",
			"2024-03-05T24:00:00Z",
			"2024-03-05T10:00:00+14:01",
			"2024-03-05T10:00:00.Z",
			"2024-03-05 10:00:00Z",
			"yesterday",
		] {
			assert!(!is_date_time(bad), "{bad}");
		}
		assert!(!is_instant("2024-03-05"), "an instant is to the second");
		assert!(!is_instant("2024-03T10:00:00Z"));
	}

	#[test]
	fn identifiers_follow_their_patterns() {
		assert!(is_oid("urn:oid:2.16.840.1.113883"));
		for bad in ["2.16.840", "urn:oid:3.1", "urn:oid:1", "urn:oid:1.02", "urn:oid:1..2"] {
			assert!(!is_oid(bad), "{bad}");
		}
		assert!(is_uuid("urn:uuid:c757873d-ec9a-4326-a141-556f43239520"));
		assert!(!is_uuid("urn:uuid:C757873D-EC9A-4326-A141-556F43239520"));
		assert!(!is_uuid("c757873d-ec9a-4326-a141-556f43239520"));
		assert!(is_base64("aGVsbG8="));
		assert!(!is_base64("aGVsbG8"));
		assert!(!is_base64("a=GV"));
		assert!(is_code("final") && is_code("a b") && !is_code(" a") && !is_code("a  b"));
		assert!(is_time("23:59:60.5") && !is_time("23:59") && !is_time("24:00:00"));
	}
}
