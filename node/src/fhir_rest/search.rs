//! Reads and searches: parameters, filters, paging, and the `searchset` Bundle.

use super::Answer;
use crate::rpc::handlers::{ConsentEntry, Handlers, RecordEntry};
use carechain_interop::{calendar::days_from_civil, fhir as map};
use carechain_runtime::AccountId;
use jsonrpsee::{types::ErrorObjectOwned, Extensions};
use serde_json::{json, Value as Json};

/// Entries per page when the client does not say.
pub const DEFAULT_COUNT: usize = 20;
/// The most entries per page.
pub const MAX_COUNT: usize = 100;
/// The most parameters one request may give.
const MAX_PARAMS: usize = 32;

/// A request's search parameters, in order.
#[derive(Debug, Default)]
pub struct Query {
	params: Vec<(String, String)>,
}

impl Query {
	/// Parses a URL query (`a=1&b=2`, percent-encoded).
	pub fn parse(query: &str) -> Result<Self, String> {
		let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
			.map(|(k, v)| (k.into_owned(), v.into_owned()))
			.filter(|(k, _)| k != "_format" && k != "_pretty")
			.collect();
		if params.len() > MAX_PARAMS {
			return Err(format!("{} search parameters: give at most {MAX_PARAMS}", params.len()));
		}
		Ok(Self { params })
	}

	/// Whether no parameter was given.
	pub fn is_empty(&self) -> bool {
		self.params.is_empty()
	}

	/// Every value of `name`, removed from the query.
	fn take(&mut self, name: &str) -> Vec<String> {
		let (taken, kept) =
			std::mem::take(&mut self.params).into_iter().partition(|(k, _)| k == name);
		self.params = kept;
		taken.into_iter().map(|(_, v)| v).collect()
	}

	/// The one value of `name`, if given; twice is an error.
	fn one(&mut self, name: &str) -> Result<Option<String>, Answer> {
		let mut values = self.take(name);
		match values.len() {
			0 => Ok(None),
			1 => Ok(values.pop()),
			_ => Err(Answer::bad_request(format!(
				"{name} is given {} times: give it once",
				values.len()
			))),
		}
	}

	/// Refuses what is left: parameters this server does not support.
	fn finish(self, kind: &str, supported: &[&str]) -> Result<(), Answer> {
		match self.params.first() {
			None => Ok(()),
			Some((name, _)) => Err(Answer::bad_request(format!(
				"{kind} does not support the search parameter {name:?} (nor modifiers or chains): it supports {}, _count and _offset",
				supported.join(", ")
			))),
		}
	}
}

/// Where a page starts, how long it is, and the search it is a page of (its parameters but
/// `_count` and `_offset`, encoded), for the links to other pages.
struct Page {
	offset: usize,
	count: usize,
	query: String,
}

fn page(query: &mut Query) -> Result<Page, Answer> {
	let number = |name: &str, value: Option<String>, default: usize| match value {
		None => Ok(default),
		Some(v) => v
			.parse::<usize>()
			.map_err(|_| Answer::bad_request(format!("{name}={v:?} is not a whole number"))),
	};
	let count = number("_count", query.one("_count")?, DEFAULT_COUNT)?.min(MAX_COUNT);
	let offset = number("_offset", query.one("_offset")?, 0)?;
	let mut encoded = form_urlencoded::Serializer::new(String::new());
	for (name, value) in &query.params {
		encoded.append_pair(name, value);
	}
	Ok(Page { offset, count, query: encoded.finish() })
}

/// A date parameter: its comparator and the span of milliseconds its value covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateParam {
	prefix: Prefix,
	/// The first millisecond the value covers.
	from: u64,
	/// The first millisecond after it.
	until: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prefix {
	Eq,
	Ne,
	Gt,
	Lt,
	Ge,
	Le,
}

impl DateParam {
	/// Parses `[prefix]YYYY[-MM[-DD[Thh:mm[:ss[.sss]][Z|±hh:mm]]]]`, as FHIR's search dates.
	pub fn parse(name: &str, value: &str) -> Result<Self, Answer> {
		let bad = || {
			Answer::bad_request(format!(
				"{name}={value:?} is not a FHIR search date: [eq|ne|gt|lt|ge|le]YYYY[-MM[-DD[Thh:mm:ss[Z|±hh:mm]]]]"
			))
		};
		let (prefix, text) = match value.get(..2) {
			Some("eq") => (Prefix::Eq, &value[2..]),
			Some("ne") => (Prefix::Ne, &value[2..]),
			Some("gt") => (Prefix::Gt, &value[2..]),
			Some("lt") => (Prefix::Lt, &value[2..]),
			Some("ge") => (Prefix::Ge, &value[2..]),
			Some("le") => (Prefix::Le, &value[2..]),
			_ => (Prefix::Eq, value),
		};
		let (from, until) = span(text).ok_or_else(bad)?;
		Ok(Self { prefix, from, until })
	}

	/// The earliest instant that can match, for `eq`, `ge` and `gt`.
	pub fn lower_bound(&self) -> Option<u64> {
		match self.prefix {
			Prefix::Eq | Prefix::Ge => Some(self.from),
			Prefix::Gt => Some(self.until),
			Prefix::Ne | Prefix::Le | Prefix::Lt => None,
		}
	}

	/// Whether an instant matches.
	pub fn matches(&self, at: u64) -> bool {
		self.overlaps(at, at.saturating_add(1))
	}

	/// Whether a span `[start, end)` matches, as FHIR compares ranges: `eq` the span lies in the
	/// value's, `ge`/`gt` it reaches its start/end, `le`/`lt` it starts before its end/start.
	pub fn overlaps(&self, start: u64, end: u64) -> bool {
		match self.prefix {
			Prefix::Eq => start >= self.from && end <= self.until,
			Prefix::Ne => !(start >= self.from && end <= self.until),
			Prefix::Ge => end > self.from,
			Prefix::Gt => end > self.until,
			Prefix::Le => start < self.until,
			Prefix::Lt => start < self.from,
		}
	}
}

/// The milliseconds a search date covers: a year, a month, a day, or a second (to the
/// millisecond when given), in UTC unless a zone is given.
fn span(text: &str) -> Option<(u64, u64)> {
	const DAY: i64 = 86_400_000;
	let number = |s: &str, n: usize| -> Option<i64> {
		(s.len() == n && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
	};
	let (date, time) = match text.split_once('T') {
		Some((date, time)) => (date, Some(time)),
		None => (text, None),
	};
	// The date part is a FHIR date (a real day, when it names one), as the validator checks it.
	if !carechain_fhir::is_date(date) {
		return None;
	}
	let mut parts = date.split('-');
	let year = number(parts.next()?, 4)?;
	let month = match parts.next() {
		Some(m) => Some(number(m, 2)?),
		None => None,
	};
	let day = match parts.next() {
		Some(d) => Some(number(d, 2)?),
		None => None,
	};
	let clamp = |ms: i64| u64::try_from(ms.max(0)).ok();
	let (from, until) = match (month, day, time) {
		(None, _, _) => (days_from_civil(year, 1, 1) * DAY, days_from_civil(year + 1, 1, 1) * DAY),
		(Some(m), None, _) => {
			let next = if m == 12 { (year + 1, 1) } else { (year, m + 1) };
			(days_from_civil(year, m, 1) * DAY, days_from_civil(next.0, next.1, 1) * DAY)
		}
		(Some(m), Some(d), None) => {
			let start = days_from_civil(year, m, d) * DAY;
			(start, start + DAY)
		}
		(Some(_), Some(_), Some(_)) => {
			let at = humantime::parse_rfc3339_weak(text)
				.ok()
				.or_else(|| humantime::parse_rfc3339_weak(&format!("{text}:00")).ok());
			let at = match at {
				Some(at) => at,
				None => chrono_with_zone(text)?,
			};
			let ms = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
			let ms = i64::try_from(ms).ok()?;
			let width = if text.contains('.') { 1 } else { 1_000 };
			(ms, ms + width)
		}
	};
	Some((clamp(from)?, clamp(until)?))
}

/// An instant with a zone (`Z` or `±hh:mm`), which `humantime` reads only in UTC.
fn chrono_with_zone(text: &str) -> Option<std::time::SystemTime> {
	if let Some(utc) = text.strip_suffix('Z') {
		return humantime::parse_rfc3339_weak(utc).ok();
	}
	let sign_at = text.rfind(['+', '-']).filter(|&i| i > 10)?;
	let (local, zone) = text.split_at(sign_at);
	let local = humantime::parse_rfc3339_weak(local).ok()?;
	let (hours, minutes) = zone[1..].split_once(':')?;
	let offset = std::time::Duration::from_secs(
		hours
			.parse::<u64>()
			.ok()?
			.checked_mul(3_600)?
			.checked_add(minutes.parse::<u64>().ok()?.checked_mul(60)?)?,
	);
	// A local time east of UTC is earlier in UTC.
	if zone.starts_with('+') {
		local.checked_sub(offset)
	} else {
		local.checked_add(offset)
	}
}

/// A token parameter: `[system]|code` or `code`.
fn token_matches(param: &str, coding: &Json) -> bool {
	let system = coding["system"].as_str().unwrap_or_default();
	let code = coding["code"].as_str().unwrap_or_default();
	match param.split_once('|') {
		Some(("", c)) => c == code,
		Some((s, "")) => s == system,
		Some((s, c)) => s == system && c == code,
		None => param == code,
	}
}

/// The id a reference parameter names: `Type/id`, a URL ending in it, or a bare id.
fn reference_id<'a>(param: &'a str, kind: &str) -> Option<&'a str> {
	let marker = format!("{kind}/");
	match param.rfind(&marker) {
		Some(at) => Some(&param[at + marker.len()..]),
		None if !param.contains('/') => Some(param),
		None => None,
	}
}

/// Whether a reference (`{"reference": …, "identifier": …}`) is the one `param` names.
fn reference_matches(param: &str, reference: &Json) -> bool {
	let target = reference["reference"].as_str().unwrap_or_default();
	let identifier = reference["identifier"]["value"].as_str();
	target == param
		|| param.ends_with(&format!("/{target}"))
		|| target.rsplit('/').next() == Some(param)
		|| identifier == Some(param)
}

/// The patient a `patient` (or `subject`) parameter names.
fn patient_param(query: &mut Query, kind: &str) -> Result<AccountId, Answer> {
	let Some(value) = query.one("patient")? else {
		return Err(Answer::bad_request(format!(
			"a {kind} search needs patient=<Patient id>: the patient's account (SS58), as Patient/<id> or <id>"
		)));
	};
	reference_id(&value, "Patient")
		.and_then(map::parse_account)
		.ok_or_else(|| Answer::bad_request(format!("patient={value:?} is not a Patient reference: give Patient/<SS58 account> or <SS58 account>")))
}

/// The reads and searches of one request, as its caller.
pub struct Reads<'a> {
	pub handlers: &'a Handlers,
	pub ext: &'a Extensions,
	pub base: &'a str,
}

/// A read by id the caller may not make: answered as an unknown id, so that ids (some of
/// which anyone can compute) tell nothing of who is a patient or what exists.
fn forbidden_read(kind: &str, id: &str, error: &ErrorObjectOwned) -> Answer {
	if error.code() == crate::rpc::auth::FORBIDDEN {
		return not_yours(kind, id);
	}
	Answer::from_rpc(error)
}

fn not_yours(kind: &str, id: &str) -> Answer {
	Answer::not_found(format!("{kind}/{id} is not known, or not this session's to read"))
}

impl Reads<'_> {
	/// `GET /fhir/<kind>?…`
	pub fn search(&self, kind: &str, mut query: Query) -> Result<Answer, Answer> {
		let page = page(&mut query)?;
		match kind {
			"Consent" => self.search_consents(query, page),
			"AuditEvent" => self.search_audit_events(query, page),
			"DocumentReference" | "Provenance" => self.search_records(kind, query, page),
			"Claim" | "ClaimResponse" => self.search_claims(kind, query, page),
			"ResearchSubject" => self.search_research_subjects(query, page),
			_ => Err(unsupported(kind)),
		}
	}

	/// `GET /fhir/<kind>/<id>`
	pub fn read(&self, kind: &str, id: &str) -> Result<Answer, Answer> {
		let now = crate::rpc::auth::now_ms();
		match kind {
			"Consent" => {
				let consent_id: u64 = id.parse().map_err(|_| {
					Answer::not_found(format!("Consent/{id}: consent ids are numbers"))
				})?;
				let entry = self
					.handlers
					.fhir_consent(self.ext, consent_id)
					.map_err(|e| forbidden_read(kind, id, &e))?;
				entry
					.map(|entry| Answer::ok(consent_resource(&entry, now)))
					.ok_or_else(|| not_yours(kind, id))
			}
			"AuditEvent" => {
				let (patient, index) = map::parse_audit_event_id(id).ok_or_else(|| {
					Answer::not_found(format!("AuditEvent/{id}: ids are <patient>-<index>"))
				})?;
				let entry = self
					.handlers
					.fhir_audit_entry(self.ext, &patient, index)
					.map_err(|e| forbidden_read(kind, id, &e))?;
				entry
					.map(|entry| Answer::ok(map::audit_event(index, &entry)))
					.ok_or_else(|| not_yours(kind, id))
			}
			"DocumentReference" | "Provenance" => {
				let record = map::parse_record(id).ok_or_else(|| {
					Answer::not_found(format!("{kind}/{id}: record ids are 64 hex digits"))
				})?;
				let entry = self
					.handlers
					.fhir_record(self.ext, record)
					.map_err(|e| forbidden_read(kind, id, &e))?;
				let (record, info) =
					entry.ok_or_else(|| Answer::not_found(format!("{kind}/{id} is not known")))?;
				Ok(Answer::ok(record_resource(kind, &record, &info)))
			}
			"Claim" | "ClaimResponse" => {
				let claim = map::claims::parse_claim_id(id).ok_or_else(|| {
					Answer::not_found(format!("{kind}/{id}: claim ids are claim-<number>"))
				})?;
				let entry = self
					.handlers
					.fhir_claim(self.ext, claim)
					.map_err(|e| forbidden_read(kind, id, &e))?;
				let entry =
					entry.ok_or_else(|| Answer::not_found(format!("{kind}/{id} is not known")))?;
				Ok(Answer::ok(claim_resource(kind, &entry)))
			}
			"ResearchStudy" => {
				let study = map::trials::parse_study_id(id).ok_or_else(|| {
					Answer::not_found(format!(
						"ResearchStudy/{id}: study ids are carechain-study-<number>"
					))
				})?;
				self.handlers
					.fhir_member_only(self.ext, "fhir ResearchStudy")
					.map_err(|e| Answer::from_rpc(&e))?;
				let study =
					crate::rpc::trials::TrialsRpcServer::research_study(self.handlers, study, None)
						.map_err(|e| Answer::from_rpc(&e))?;
				study
					.map(Answer::ok)
					.ok_or_else(|| Answer::not_found(format!("ResearchStudy/{id} is not known")))
			}
			"Appointment" | "Encounter" => {
				let appointment =
					map::telehealth::parse_appointment_id(kind, id).ok_or_else(|| {
						Answer::not_found(format!(
							"{kind}/{id}: ids are carechain-{}-<number>",
							kind.to_lowercase()
						))
					})?;
				let info = self
					.handlers
					.fhir_appointment(self.ext, appointment)
					.map_err(|e| forbidden_read(kind, id, &e))?;
				let info =
					info.ok_or_else(|| Answer::not_found(format!("{kind}/{id} is not known")))?;
				let resource = match kind {
					"Encounter" => map::telehealth::encounter(appointment, &info),
					_ => Some(map::telehealth::appointment(appointment, &info)),
				};
				resource.map(Answer::ok).ok_or_else(|| {
					Answer::not_found(format!(
						"{kind}/{id}: the visit was not attested by both sides (yet)"
					))
				})
			}
			_ => Err(unsupported(kind)),
		}
	}

	fn search_consents(&self, mut query: Query, page: Page) -> Result<Answer, Answer> {
		let patient = patient_param(&mut query, "Consent")?;
		let status = query.one("status")?;
		if let Some(s) = &status {
			if !["active", "inactive"].contains(&s.as_str()) {
				return Err(Answer::bad_request(format!(
					"status={s:?}: the chain's consents are active or inactive"
				)));
			}
		}
		let actors = query.take("actor");
		let purposes = query.take("purpose");
		let periods = query
			.take("period")
			.iter()
			.map(|v| DateParam::parse("period", v))
			.collect::<Result<Vec<_>, _>>()?;
		query.finish("Consent", &["patient", "status", "actor", "purpose", "period"])?;
		let now = crate::rpc::auth::now_ms();
		let consents =
			self.handlers.fhir_consents(self.ext, &patient).map_err(|e| Answer::from_rpc(&e))?;
		let matching: Vec<Json> = consents
			.iter()
			.filter(|(_, consent, ended)| {
				let end = ended.map_or(consent.expires_at, |(at, _)| at.min(consent.expires_at));
				periods.iter().all(|d| d.overlaps(consent.granted_at, end))
			})
			.map(|entry| consent_resource(entry, now))
			.filter(|c| status.as_ref().is_none_or(|s| c["status"] == s.as_str()))
			.filter(|c| {
				actors.iter().all(|a| {
					c["provision"]["actor"].as_array().is_some_and(|list| {
						list.iter().any(|actor| reference_matches(a, &actor["reference"]))
					})
				})
			})
			.filter(|c| {
				purposes.iter().all(|p| {
					c["provision"]["purpose"]
						.as_array()
						.is_some_and(|list| list.iter().any(|coding| token_matches(p, coding)))
				})
			})
			.collect();
		Ok(Answer::ok(self.bundle("Consent", &matching, &page)))
	}

	fn search_audit_events(&self, mut query: Query, page: Page) -> Result<Answer, Answer> {
		let patient = patient_param(&mut query, "AuditEvent")?;
		let dates = query
			.take("date")
			.iter()
			.map(|v| DateParam::parse("date", v))
			.collect::<Result<Vec<_>, _>>()?;
		let agents = query.take("agent");
		let entities = query.take("entity");
		let types = query.take("type");
		let subtypes = query.take("subtype");
		query.finish("AuditEvent", &["patient", "date", "agent", "entity", "type", "subtype"])?;
		// Entries before every date's lower bound need not be read at all.
		let since = dates.iter().filter_map(DateParam::lower_bound).max().unwrap_or(0);
		let trail = self
			.handlers
			.fhir_audit_trail(self.ext, &patient, since)
			.map_err(|e| Answer::from_rpc(&e))?;
		let matching: Vec<Json> = trail
			.iter()
			.filter(|(_, entry)| dates.iter().all(|d| d.matches(entry.timestamp)))
			.map(|(i, entry)| map::audit_event(*i, entry))
			.filter(|e| {
				agents.iter().all(|a| {
					e["agent"].as_array().is_some_and(|list| {
						list.iter().any(|agent| reference_matches(a, &agent["who"]))
					})
				})
			})
			.filter(|e| {
				entities.iter().all(|x| {
					e["entity"].as_array().is_some_and(|list| {
						list.iter().any(|entity| reference_matches(x, &entity["what"]))
					})
				})
			})
			.filter(|e| {
				types.iter().all(|t| {
					token_matches(t, &e["type"])
						|| e["subtype"]
							.as_array()
							.is_some_and(|list| list.iter().any(|s| token_matches(t, s)))
				})
			})
			.filter(|e| {
				subtypes.iter().all(|t| {
					e["subtype"]
						.as_array()
						.is_some_and(|list| list.iter().any(|s| token_matches(t, s)))
				})
			})
			.collect();
		Ok(Answer::ok(self.bundle("AuditEvent", &matching, &page)))
	}

	fn search_records(&self, kind: &str, mut query: Query, page: Page) -> Result<Answer, Answer> {
		let patient = patient_param(&mut query, kind)?;
		let types = query.take("type");
		let dates = query
			.take("date")
			.iter()
			.map(|v| DateParam::parse("date", v))
			.collect::<Result<Vec<_>, _>>()?;
		let authors = query.take("author");
		let statuses = query.take("status");
		let targets = if kind == "Provenance" { query.take("target") } else { Vec::new() };
		let supported: &[&str] = match kind {
			"Provenance" => &["patient", "target", "date", "author", "type", "status"],
			_ => &["patient", "type", "date", "author", "status"],
		};
		query.finish(kind, supported)?;
		let keep = |(id, record): &RecordEntry| {
			let doc = map::document_reference(id, record);
			types.iter().all(|t| {
				doc["type"]["coding"]
					.as_array()
					.is_some_and(|list| list.iter().any(|c| token_matches(t, c)))
			}) && dates.iter().all(|d| d.matches(record.created_at_ms))
				&& authors.iter().all(|a| {
					doc["author"]
						.as_array()
						.is_some_and(|list| list.iter().any(|r| reference_matches(a, r)))
				}) && statuses.iter().all(|s| doc["status"] == s.as_str())
				&& targets.iter().all(|t| {
					reference_id(t, "DocumentReference").and_then(map::parse_record) == Some(*id)
				})
		};
		let found = self
			.handlers
			.fhir_records(self.ext, &patient, &keep, page.offset, page.count)
			.map_err(|e| Answer::from_rpc(&e))?;
		let resources: Vec<Json> =
			found.entries.iter().map(|(id, record)| record_resource(kind, id, record)).collect();
		Ok(Answer::ok(self.paged_bundle(kind, resources, found.total, found.next, &page)))
	}

	fn search_claims(&self, kind: &str, mut query: Query, page: Page) -> Result<Answer, Answer> {
		let patient = match query.one("patient")? {
			None => None,
			Some(value) => Some(
				reference_id(&value, "Patient").and_then(map::parse_account).ok_or_else(|| {
					Answer::bad_request(format!(
						"patient={value:?} is not a Patient reference: give Patient/<SS58 account>"
					))
				})?,
			),
		};
		let providers = query.take(if kind == "Claim" { "provider" } else { "requestor" });
		let insurers = query.take("insurer");
		let statuses = query.take("status");
		let outcomes = if kind == "ClaimResponse" { query.take("outcome") } else { Vec::new() };
		let supported: &[&str] = match kind {
			"Claim" => &["patient", "provider", "insurer", "status"],
			_ => &["patient", "requestor", "insurer", "status", "outcome"],
		};
		query.finish(kind, supported)?;
		if patient.is_none() && providers.is_empty() && insurers.is_empty() {
			return Err(Answer::bad_request(format!(
				"a {kind} search needs patient=, {}= or insurer=",
				if kind == "Claim" { "provider" } else { "requestor" }
			)));
		}
		let keep = |entry: &crate::rpc::handlers::ClaimEntry| {
			patient.as_ref().is_none_or(|p| entry.1.patient == *p)
		};
		let entries =
			self.handlers.fhir_claims(self.ext, &keep).map_err(|e| Answer::from_rpc(&e))?;
		let provider_field = if kind == "Claim" { "provider" } else { "requestor" };
		let matching: Vec<Json> = entries
			.iter()
			.map(|entry| claim_resource(kind, entry))
			.filter(|c| providers.iter().all(|p| reference_matches(p, &c[provider_field])))
			.filter(|c| insurers.iter().all(|i| reference_matches(i, &c["insurer"])))
			.filter(|c| statuses.iter().all(|s| c["status"] == s.as_str()))
			.filter(|c| outcomes.iter().all(|o| c["outcome"] == o.as_str()))
			.collect();
		Ok(Answer::ok(self.bundle(kind, &matching, &page)))
	}

	fn search_research_subjects(&self, mut query: Query, page: Page) -> Result<Answer, Answer> {
		let (Some(study), Some(identifier)) = (query.one("study")?, query.one("identifier")?)
		else {
			return Err(Answer::bad_request(
				"a ResearchSubject search needs study=ResearchStudy/carechain-study-<n> and identifier=<pseudonym, 0x and 64 hex digits>",
			));
		};
		query.finish("ResearchSubject", &["study", "identifier"])?;
		let study_id = reference_id(&study, "ResearchStudy")
			.and_then(map::trials::parse_study_id)
			.ok_or_else(|| {
				Answer::bad_request(format!("study={study:?} is not a ResearchStudy reference"))
			})?;
		let pseudonym =
			identifier.rsplit('|').next().and_then(map::parse_record).ok_or_else(|| {
				Answer::bad_request(format!(
					"identifier={identifier:?} is not a pseudonym (0x and 64 hex digits)"
				))
			})?;
		self.handlers
			.fhir_member_only(self.ext, "fhir ResearchSubject")
			.map_err(|e| Answer::from_rpc(&e))?;
		let subject = crate::rpc::trials::TrialsRpcServer::research_subject(
			self.handlers,
			study_id,
			pseudonym,
			None,
		)
		.map_err(|e| Answer::from_rpc(&e))?;
		let matching: Vec<Json> = subject.into_iter().collect();
		Ok(Answer::ok(self.bundle("ResearchSubject", &matching, &page)))
	}

	/// A searchset Bundle of the page of `matching` that `page` names.
	fn bundle(&self, kind: &str, matching: &[Json], page: &Page) -> Json {
		let resources = matching.iter().skip(page.offset).take(page.count).cloned().collect();
		let next = page.offset.saturating_add(page.count);
		let next = (next < matching.len() && page.count > 0).then_some(next);
		self.paged_bundle(kind, resources, Some(matching.len()), next, page)
	}

	/// A searchset Bundle of `resources`, the page `page` names, with the total when known and
	/// links to itself, the next page (from `next`) and, where pages are positions in a list of
	/// matches, the previous one: each link the same search with another `_offset`.
	fn paged_bundle(
		&self,
		kind: &str,
		resources: Vec<Json>,
		total: Option<usize>,
		next: Option<usize>,
		page: &Page,
	) -> Json {
		let url = |offset: usize| {
			let separator = if page.query.is_empty() { "" } else { "&" };
			format!(
				"{}/{kind}?{}{separator}_count={}&_offset={offset}",
				self.base, page.query, page.count
			)
		};
		let mut links = vec![json!({ "relation": "self", "url": url(page.offset) })];
		if let Some(next) = next {
			links.push(json!({ "relation": "next", "url": url(next) }));
		}
		if total.is_some() && page.offset > 0 && page.count > 0 {
			links.push(
				json!({ "relation": "previous", "url": url(page.offset.saturating_sub(page.count)) }),
			);
		}
		let entries: Vec<Json> = resources
			.into_iter()
			.map(|resource| {
				json!({
					"fullUrl": format!("{}/{kind}/{}", self.base, resource["id"].as_str().unwrap_or_default()),
					"resource": resource,
					"search": { "mode": "match" },
				})
			})
			.collect();
		let mut bundle = json!({ "resourceType": "Bundle", "type": "searchset", "link": links });
		if let Some(total) = total {
			bundle["total"] = Json::from(total);
		}
		if !entries.is_empty() {
			bundle["entry"] = Json::from(entries);
		}
		bundle
	}
}

fn unsupported(kind: &str) -> Answer {
	Answer::not_found(format!(
		"{kind} is not served here: this interface serves Consent, AuditEvent, DocumentReference, Provenance, Claim, ClaimResponse, ResearchStudy, ResearchSubject, Appointment and Encounter (see /fhir/metadata)"
	))
}

fn claim_resource(kind: &str, (id, claim, policy): &crate::rpc::handlers::ClaimEntry) -> Json {
	match kind {
		"ClaimResponse" => map::claims::claim_response(*id, claim, policy.as_ref()),
		_ => map::claims::claim(*id, claim, policy.as_ref()),
	}
}

fn consent_resource((id, consent, ended): &ConsentEntry, now: u64) -> Json {
	map::consent(*id, consent, ended.map(|(at, _)| at), now)
}

fn record_resource(
	kind: &str,
	id: &carechain_primitives::RecordId,
	record: &pallet_records::Record<carechain_runtime::Runtime>,
) -> Json {
	match kind {
		"Provenance" => map::provenance(id, record),
		_ => map::document_reference(id, record),
	}
}
