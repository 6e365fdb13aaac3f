//! The EPCIS 2.0 event hash (CBV 2.0, section 8.9, "Event Hash ID"): an event's eventID
//! computed from its content, so that two systems that capture the same event name it alike.
//!
//! The pre-hash string concatenates the event's fields in a fixed order, without separators:
//! a leaf as `name=value`, a container as its name followed by its children; lists sorted.
//! Values are canonicalised first: times in UTC with milliseconds, CBV words and URNs as
//! `https://ref.gs1.org/cbv/…` URIs, EPC URNs and Digital Link URIs as constrained canonical
//! Digital Link URIs, numbers without redundant zeros. The eventID is
//! `ni:///sha-256;<hex of SHA-256 of the UTF-8 pre-hash>?ver=CBV2.0`.
//!
//! [`Profile::Legacy2020`] is the December 2020 draft of the algorithm, which the examples of
//! the EPCIS 2.0 standard were hashed with (CBV URNs and EPC URNs kept as written, a list's
//! value before its type): the node writes [`Profile::Cbv2`]; the draft is here so that the
//! standard's example eventIDs can be checked.

use super::{ids, time};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// Which rules an event hash follows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Profile {
	/// CBV 2.0 as published.
	Cbv2,
	/// The December 2020 draft the EPCIS 2.0 examples were hashed with.
	Legacy2020,
}

const CBV: &str = "https://ref.gs1.org/cbv/";
const GS1_VOCABULARY: &str = "https://gs1.org/voc/";

/// The JSON-LD prefixes every EPCIS document has from the standard's context.
const STANDARD_PREFIXES: &[(&str, &str)] = &[
	("gs1", GS1_VOCABULARY),
	("cbv", CBV),
	("epcis", "https://ref.gs1.org/epcis/"),
	("cbvmda", "urn:epcglobal:cbv:mda:"),
];

/// CBV's URN forms and their web URIs.
const URN_TO_WEB: &[(&str, &str)] = &[
	("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"),
	("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
	("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
	("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
	("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"),
];

/// Fields left out of the hash.
const EXCLUDED: &[&str] = &[
	"eventID",
	"recordTime",
	"type",
	"errorDeclaration",
	"@context",
	"comment",
	"rdfs:comment",
	"#text",
];

const SENSOR_METADATA_ORDER: &[&str] = &[
	"time",
	"startTime",
	"endTime",
	"deviceID",
	"deviceMetadata",
	"rawData",
	"dataProcessingMethod",
	"bizRules",
];

const SENSOR_REPORT_ORDER: &[&str] = &[
	"type",
	"exception",
	"deviceID",
	"deviceMetadata",
	"rawData",
	"dataProcessingMethod",
	"time",
	"microorganism",
	"chemicalSubstance",
	"value",
	"component",
	"stringValue",
	"booleanValue",
	"hexBinaryValue",
	"uriValue",
	"minValue",
	"maxValue",
	"meanValue",
	"sDev",
	"percRank",
	"percValue",
	"uom",
	"coordinateReferenceSystem",
];

const TIME_FIELDS: &[&str] = &["eventTime", "time", "startTime", "endTime"];

/// A CBV vocabulary whose bare words (`shipping`) stand for URIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vocabulary {
	/// Business steps (`shipping`).
	BizStep,
	/// Dispositions (`in_transit`).
	Disposition,
	/// Business transaction types (`po`).
	BizTransactionType,
	/// Source and destination types (`owning_party`).
	SourceDestinationType,
	/// Sensor components.
	Component,
	/// Sensor measurement and exception types.
	SensorType,
}

impl Vocabulary {
	/// The prefix of a bare word of the vocabulary under `profile`, if it has one.
	fn prefix(self, profile: Profile) -> Option<&'static str> {
		match (self, profile) {
			(Vocabulary::BizStep, Profile::Cbv2) => Some("https://ref.gs1.org/cbv/BizStep-"),
			(Vocabulary::BizStep, Profile::Legacy2020) => Some("urn:epcglobal:cbv:bizstep:"),
			(Vocabulary::Disposition, Profile::Cbv2) => Some("https://ref.gs1.org/cbv/Disp-"),
			(Vocabulary::Disposition, Profile::Legacy2020) => Some("urn:epcglobal:cbv:disp:"),
			(Vocabulary::BizTransactionType, Profile::Cbv2) => Some("https://ref.gs1.org/cbv/BTT-"),
			(Vocabulary::BizTransactionType, Profile::Legacy2020) => Some("urn:epcglobal:cbv:btt:"),
			(Vocabulary::SourceDestinationType, Profile::Cbv2) => {
				Some("https://ref.gs1.org/cbv/SDT-")
			}
			(Vocabulary::SourceDestinationType, Profile::Legacy2020) => {
				Some("urn:epcglobal:cbv:sdt:")
			}
			(Vocabulary::Component, Profile::Cbv2) => Some("https://ref.gs1.org/cbv/Comp-"),
			(Vocabulary::SensorType, Profile::Cbv2) => Some(GS1_VOCABULARY),
			(Vocabulary::Component | Vocabulary::SensorType, Profile::Legacy2020) => None,
		}
	}

	/// The bare word of a value of the vocabulary written as a word, its CBV URN, its web URI
	/// or a `cbv:` CURIE (`urn:epcglobal:cbv:bizstep:shipping` is `shipping`).
	pub fn bare(self, value: &str) -> &str {
		let web = self.prefix(Profile::Cbv2);
		let urn = self.prefix(Profile::Legacy2020);
		let curie = web.and_then(|w| w.strip_prefix(CBV)).map(|local| format!("cbv:{local}"));
		let bare = [web, urn, curie.as_deref()]
			.into_iter()
			.flatten()
			.find_map(|prefix| value.strip_prefix(prefix));
		bare.unwrap_or(value)
	}
}

/// The JSON-LD prefixes in force for a document: the standard's and those its `@context`
/// declares.
pub fn prefixes(document: &Json) -> BTreeMap<String, String> {
	let mut prefixes: BTreeMap<String, String> =
		STANDARD_PREFIXES.iter().map(|(p, ns)| ((*p).to_owned(), (*ns).to_owned())).collect();
	for context in as_list(document.get("@context")) {
		if let Json::Object(map) = context {
			for (prefix, namespace) in map {
				if let Json::String(namespace) = namespace {
					prefixes.insert(prefix.clone(), namespace.clone());
				}
			}
		}
	}
	prefixes
}

fn as_list(value: Option<&Json>) -> Vec<&Json> {
	match value {
		None | Some(Json::Null) => vec![],
		Some(Json::Array(items)) => items.iter().collect(),
		Some(other) => vec![other],
	}
}

/// A decimal number written without redundant zeros (`12.50` is `12.5`, `1E2` is `100`);
/// text that is not a number is kept.
fn canonical_number(text: &str) -> String {
	let (negative, unsigned) = match text.as_bytes().first() {
		Some(b'-') => (true, &text[1..]),
		Some(b'+') => (false, &text[1..]),
		_ => (false, text),
	};
	let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
		Some(at) => (&unsigned[..at], Some(&unsigned[at.saturating_add(1)..])),
		None => (unsigned, None),
	};
	let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
	let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
	let exponent = match exponent {
		None => 0i64,
		Some(e) => {
			let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
			if digits.is_empty() || digits.len() > 4 || !all_digits(digits) {
				return text.to_owned();
			}
			e.parse().unwrap_or(0)
		}
	};
	if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
		return text.to_owned();
	}
	// value = digits × 10^scale
	let mut digits: String = format!("{whole}{fraction}").trim_start_matches('0').to_owned();
	let mut scale = exponent.saturating_sub(fraction.len() as i64);
	while digits.ends_with('0') {
		digits.pop();
		scale = scale.saturating_add(1);
	}
	if digits.is_empty() {
		return "0".to_owned();
	}
	let sign = if negative { "-" } else { "" };
	if scale >= 0 {
		return format!("{sign}{digits}{}", "0".repeat(scale as usize));
	}
	let point = (digits.len() as i64).saturating_add(scale);
	if point > 0 {
		let (int, frac) = digits.split_at(point as usize);
		format!("{sign}{int}.{frac}")
	} else {
		format!("{sign}0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
	}
}

struct Canon<'a> {
	profile: Profile,
	prefixes: &'a BTreeMap<String, String>,
}

impl Canon<'_> {
	fn legacy(&self) -> bool {
		self.profile == Profile::Legacy2020
	}

	fn scalar(value: &Json) -> String {
		match value {
			Json::Bool(b) => b.to_string(),
			Json::Number(n) => canonical_number(&n.to_string()),
			Json::String(s) => s.clone(),
			Json::Null => String::new(),
			other => other.to_string(),
		}
	}

	/// The canonical form of one leaf value.
	fn value(&self, value: &Json, vocabulary: Option<Vocabulary>, is_time: bool) -> String {
		let text = Self::scalar(value);
		let mut text = text.trim().to_owned();
		if text.is_empty() {
			return text;
		}
		if is_time {
			return time::canonical(&text);
		}
		match vocabulary {
			Some(vocabulary) if !text.contains(':') && !text.contains('/') => {
				if let Some(prefix) = vocabulary.prefix(self.profile) {
					text = format!("{prefix}{text}");
				}
			}
			_ if !self.legacy()
				&& text.contains(':')
				&& !["http:", "https:", "urn:"].iter().any(|s| text.starts_with(s)) =>
			{
				if let Some((prefix, local)) = text.split_once(':') {
					if let Some(namespace) = self.prefixes.get(prefix) {
						text = format!("{namespace}{local}");
					}
				}
			}
			_ => {}
		}
		if !self.legacy() {
			if let Some((urn, web)) = URN_TO_WEB.iter().find(|(urn, _)| text.starts_with(urn)) {
				text = format!("{web}{}", &text[urn.len()..]);
			}
		}
		let text = canonical_number(&text);
		match self.legacy() {
			true => text,
			false => ids::canonical_identifier(&text),
		}
	}

	/// The name of an extension or ILMD field: `{namespace}local` for a prefixed name.
	fn key(&self, key: &str) -> String {
		if key.contains(':') && !["http:", "https:", "urn:"].iter().any(|s| key.starts_with(s)) {
			if let Some((prefix, local)) = key.split_once(':') {
				if let Some(namespace) = self.prefixes.get(prefix) {
					return match self.legacy() {
						true => format!("{namespace}{local}"),
						false => format!("{{{namespace}}}{local}"),
					};
				}
			}
		}
		key.to_owned()
	}

	/// `name[=value]` and its children, sorted; a JSON array is repeated siblings.
	fn generic(&self, name: &str, value: &Json) -> String {
		match value {
			Json::Object(members) => {
				let mut children = self.generic_members(members);
				children.sort();
				format!("{name}{}", children.concat())
			}
			value => kv(name, &self.value(value, None, false)),
		}
	}

	fn generic_members(&self, members: &Map<String, Json>) -> Vec<String> {
		let mut out = vec![];
		for (key, value) in members {
			if EXCLUDED.contains(&key.as_str()) && key != "type" {
				continue;
			}
			for item in as_list(Some(value)) {
				let part = self.generic(&self.key(key), item);
				if !part.is_empty() {
					out.push(part);
				}
			}
		}
		out
	}

	/// The extension fields (prefixed names) of an object, sorted.
	fn extensions(&self, members: &Map<String, Json>) -> String {
		let mut parts: Vec<String> = members
			.iter()
			.filter(|(key, _)| key.contains(':'))
			.flat_map(|(key, value)| {
				as_list(Some(value)).into_iter().map(move |item| self.generic(&self.key(key), item))
			})
			.filter(|part| !part.is_empty())
			.collect();
		parts.sort();
		parts.concat()
	}

	/// `bizTransactionList`, `sourceList` or `destinationList`.
	fn pairs(&self, event: &Map<String, Json>, list: &str, id: &str) -> String {
		let vocabulary = match list {
			"bizTransactionList" => Vocabulary::BizTransactionType,
			_ => Vocabulary::SourceDestinationType,
		};
		let mut items: Vec<String> = as_list(event.get(list))
			.into_iter()
			.map(|element| {
				let kind = element
					.get("type")
					.map(|t| kv("type", &self.value(t, Some(vocabulary), false)))
					.unwrap_or_default();
				let value = element
					.get(id)
					.map(|v| kv(id, &self.value(v, None, false)))
					.unwrap_or_default();
				match self.legacy() {
					true => value + &kind,
					false => kind + &value,
				}
			})
			.filter(|item| !item.is_empty())
			.collect();
		items.sort();
		if items.is_empty() {
			return String::new();
		}
		format!("{list}{}", items.concat())
	}

	fn sensor_element(&self, element: &Json) -> String {
		let mut out = "sensorElement".to_owned();
		if let Some(Json::Object(metadata)) = element.get("sensorMetadata") {
			let mut part: String = SENSOR_METADATA_ORDER
				.iter()
				.filter_map(|f| {
					let value = metadata.get(*f)?;
					Some(kv(f, &self.value(value, None, TIME_FIELDS.contains(f))))
				})
				.collect();
			part.push_str(&self.extensions(metadata));
			if !part.is_empty() {
				out.push_str("sensorMetadata");
				out.push_str(&part);
			}
		}
		let mut reports: Vec<String> = as_list(element.get("sensorReport"))
			.into_iter()
			.filter_map(|report| {
				let Json::Object(report) = report else { return None };
				let mut part: String = SENSOR_REPORT_ORDER
					.iter()
					.filter_map(|f| {
						let value = report.get(*f)?;
						let vocabulary = match *f {
							"type" | "exception" => Some(Vocabulary::SensorType),
							"component" => Some(Vocabulary::Component),
							_ => None,
						};
						Some(kv(f, &self.value(value, vocabulary, TIME_FIELDS.contains(f))))
					})
					.collect();
				part.push_str(&self.extensions(report));
				(!part.is_empty()).then(|| format!("sensorReport{part}"))
			})
			.collect();
		reports.sort();
		out.push_str(&reports.concat());
		if let Json::Object(element) = element {
			out.push_str(&self.extensions(element));
		}
		out
	}
}

fn kv(name: &str, value: &str) -> String {
	match value.is_empty() {
		true => String::new(),
		false => format!("{name}={value}"),
	}
}

const EPC_LISTS: &[&str] = &["epcList", "inputEPCList", "childEPCs", "outputEPCList"];

/// The pre-hash string of an event, under the document's JSON-LD `prefixes`.
pub fn pre_hash(
	event: &Map<String, Json>,
	prefixes: &BTreeMap<String, String>,
	profile: Profile,
) -> String {
	let canon = Canon { profile, prefixes };
	let legacy = canon.legacy();
	let mut used: Vec<&str> = vec!["type"];
	let mut parts: Vec<String> =
		vec![format!("eventType={}", event.get("type").map(Canon::scalar).unwrap_or_default())];
	let value = |field: &str, vocabulary: Option<Vocabulary>| {
		let is_time = TIME_FIELDS.contains(&field);
		event.get(field).map(|v| kv(field, &canon.value(v, vocabulary, is_time)))
	};
	for field in ["eventTime", "eventTimeZoneOffset"] {
		if let Some(part) = value(field, None) {
			used.push(field);
			parts.push(part);
		}
	}
	if !legacy && event.contains_key("certificationInfo") {
		used.push("certificationInfo");
		let mut infos: Vec<String> = as_list(event.get("certificationInfo"))
			.into_iter()
			.map(|c| kv("certificationInfo", &canon.value(c, None, false)))
			.collect();
		infos.sort();
		parts.push(infos.concat());
	}
	if let Some(part) = value("parentID", None) {
		used.push("parentID");
		parts.push(part);
	}
	for list in [
		"epcList",
		"inputEPCList",
		"childEPCs",
		"quantityList",
		"childQuantityList",
		"inputQuantityList",
		"outputEPCList",
		"outputQuantityList",
	] {
		let Some(items) = event.get(list) else { continue };
		used.push(list);
		let mut elements: Vec<String> = as_list(Some(items))
			.into_iter()
			.map(|item| match EPC_LISTS.contains(&list) {
				true => kv("epc", &canon.value(item, None, false)),
				false => {
					let field =
						|name: &str| item.get(name).map(|v| kv(name, &canon.value(v, None, false)));
					format!(
						"quantityElement{}{}{}",
						field("epcClass").unwrap_or_default(),
						field("quantity").unwrap_or_default(),
						field("uom").unwrap_or_default()
					)
				}
			})
			.filter(|e| !e.is_empty())
			.collect();
		elements.sort();
		if !elements.is_empty() {
			parts.push(format!("{list}{}", elements.concat()));
		}
	}
	for (field, vocabulary) in [
		("action", None),
		("transformationID", None),
		("bizStep", Some(Vocabulary::BizStep)),
		("disposition", Some(Vocabulary::Disposition)),
	] {
		if let Some(part) = value(field, vocabulary) {
			used.push(field);
			parts.push(part);
		}
	}
	if !legacy {
		if let Some(disposition) = event.get("persistentDisposition") {
			used.push("persistentDisposition");
			let part: String = ["set", "unset"]
				.iter()
				.map(|k| {
					let mut words: Vec<String> = as_list(disposition.get(*k))
						.into_iter()
						.map(|w| kv(k, &canon.value(w, Some(Vocabulary::Disposition), false)))
						.collect();
					words.sort();
					words.concat()
				})
				.collect();
			if !part.is_empty() {
				parts.push(format!("persistentDisposition{part}"));
			}
		}
	}
	for field in ["readPoint", "bizLocation"] {
		let Some(place) = event.get(field) else { continue };
		used.push(field);
		let mut part =
			place.get("id").map(|id| kv("id", &canon.value(id, None, false))).unwrap_or_default();
		if let (false, Json::Object(members)) = (legacy, place) {
			part.push_str(&canon.extensions(members));
		}
		if !part.is_empty() {
			parts.push(format!("{field}{part}"));
		}
	}
	let why = [
		canon.pairs(event, "bizTransactionList", "bizTransaction"),
		canon.pairs(event, "sourceList", "source"),
		canon.pairs(event, "destinationList", "destination"),
	];
	used.extend(["bizTransactionList", "sourceList", "destinationList"]);
	let mut tail: Vec<String> = vec![];
	match legacy {
		true => parts.extend(why),
		false => tail.extend(why.into_iter().filter(|p| !p.is_empty())),
	}
	if let Some(elements) = event.get("sensorElementList") {
		used.push("sensorElementList");
		let mut elements: Vec<String> =
			as_list(Some(elements)).into_iter().map(|e| canon.sensor_element(e)).collect();
		elements.sort();
		if !elements.is_empty() {
			parts.push(format!("sensorElementList{}", elements.concat()));
		}
	}
	if let Some(ilmd) = event.get("ilmd") {
		used.push("ilmd");
		let part = canon.generic("ilmd", ilmd);
		if !part.is_empty() {
			tail.push(part);
		}
	}
	for (key, value) in event {
		if used.contains(&key.as_str()) || EXCLUDED.contains(&key.as_str()) {
			continue;
		}
		for item in as_list(Some(value)) {
			let part = canon.generic(&canon.key(key), item);
			if !part.is_empty() {
				tail.push(part);
			}
		}
	}
	tail.sort();
	parts.extend(tail);
	parts.concat()
}

/// The eventID of an event: `ni:///sha-256;<hex>?ver=CBV2.0`.
pub fn event_id(
	event: &Map<String, Json>,
	prefixes: &BTreeMap<String, String>,
	profile: Profile,
) -> String {
	use sha2::Digest as _;
	let digest = sha2::Sha256::digest(pre_hash(event, prefixes, profile).as_bytes());
	format!("ni:///sha-256;{}?ver=CBV2.0", hex::encode(digest))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn numbers_lose_only_redundant_zeros() {
		for (text, canonical) in [
			("200", "200"),
			("12.50", "12.5"),
			("1E2", "100"),
			("1.5e-3", "0.0015"),
			("-0.0", "0"),
			("+7", "7"),
			(".5", "0.5"),
			("007", "7"),
			("2017", "2017"),
			("12a", "12a"),
			("1e", "1e"),
			("", ""),
			("-", "-"),
			("1e99999", "1e99999"),
		] {
			assert_eq!(canonical_number(text), canonical, "{text}");
		}
	}
}
