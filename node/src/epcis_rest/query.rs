//! The simple event query's parameters, as the REST binding writes them in the URL.

use super::problem;
use crate::fhir_rest::Answer;
use carechain_interop::epcis::{hash::Vocabulary, ids, import, time};
use http::StatusCode;
use pallet_provenance::{Epc, EventKind, SupplyEvent};

/// The most parameters one request may give.
const MAX_PARAMS: usize = 32;
/// The most values one list parameter may give.
const MAX_VALUES: usize = 100;
/// Events per page when the client does not say.
pub const DEFAULT_PER_PAGE: usize = 30;
/// The most events per page.
pub const MAX_PER_PAGE: usize = 500;

/// The parameters this repository answers.
const SUPPORTED: &[&str] = &[
	"eventType",
	"GE_eventTime",
	"LT_eventTime",
	"GE_recordTime",
	"LT_recordTime",
	"EQ_action",
	"EQ_bizStep",
	"EQ_disposition",
	"EQ_readPoint",
	"EQ_bizLocation",
	"MATCH_epc",
	"MATCH_parentID",
	"MATCH_anyEPC",
	"EQ_eventID",
	"orderBy",
	"orderDirection",
	"eventCountLimit",
	"maxEventCount",
	"perPage",
	"nextPageToken",
];

fn bad(message: impl Into<String>) -> Answer {
	problem(StatusCode::BAD_REQUEST, "QueryParameterException", message)
}

/// A request's parameters, in order, and how many of them (at the end) its path gave.
#[derive(Clone, Debug, Default)]
pub struct Query {
	params: Vec<(String, String)>,
	from_path: usize,
}

impl Query {
	/// Parses a URL query (`a=1&b=2`, percent-encoded).
	pub fn parse(query: &str) -> Result<Self, Answer> {
		let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
			.map(|(k, v)| (k.into_owned(), v.into_owned()))
			.collect();
		if params.len() > MAX_PARAMS {
			return Err(bad(format!(
				"{} query parameters: give at most {MAX_PARAMS}",
				params.len()
			)));
		}
		if let Some((name, _)) = params.iter().find(|(name, _)| !SUPPORTED.contains(&name.as_str()))
		{
			return Err(bad(format!(
				"{name} is not supported by this repository: it answers {}",
				SUPPORTED.join(", ")
			)));
		}
		Ok(Self { params, from_path: 0 })
	}

	/// Adds the parameter a named form (`/epcs/{epc}/events`) stands for; given twice it is
	/// refused.
	pub fn add(&mut self, name: &str, value: &str) -> Result<(), Answer> {
		if self.params.iter().any(|(n, _)| n == name) {
			return Err(bad(format!(
				"{name} is given by the path already: leave it out of the query"
			)));
		}
		self.params.push((name.to_owned(), value.to_owned()));
		self.from_path = self.from_path.saturating_add(1);
		Ok(())
	}

	/// The one value of `name`, if given; twice is an error.
	fn one(&self, name: &str) -> Result<Option<&str>, Answer> {
		let mut values = self.params.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str());
		let first = values.next();
		match values.next() {
			None => Ok(first),
			Some(_) => Err(bad(format!(
				"{name} is given more than once: give it once, with values separated by |"
			))),
		}
	}

	/// The values of a list parameter (`a|b`).
	fn list(&self, name: &str) -> Result<Option<Vec<String>>, Answer> {
		let Some(value) = self.one(name)? else { return Ok(None) };
		let values: Vec<String> =
			value.splitn(MAX_VALUES.saturating_add(1), '|').map(str::to_owned).collect();
		if values.len() > MAX_VALUES || values.iter().any(String::is_empty) {
			return Err(bad(format!(
				"{name} takes 1 to {MAX_VALUES} values separated by |, none empty"
			)));
		}
		Ok(Some(values))
	}

	fn time(&self, name: &str) -> Result<Option<u64>, Answer> {
		let Some(value) = self.one(name)? else { return Ok(None) };
		let ms = time::parse_millis(value).ok_or_else(|| {
			bad(format!("{name}={value:?} is not a time with a zone (2026-12-05T10:00:00Z)"))
		})?;
		Ok(Some(u64::try_from(ms).unwrap_or(0)))
	}

	fn number(&self, name: &str) -> Result<Option<usize>, Answer> {
		let Some(value) = self.one(name)? else { return Ok(None) };
		value.parse().map(Some).map_err(|_| bad(format!("{name}={value:?} is not a whole number")))
	}

	/// The filter and page the parameters describe.
	pub fn filter(self) -> Result<Filter, Answer> {
		let words = |name: &str, vocabulary: Vocabulary| -> Result<Option<Vec<String>>, Answer> {
			Ok(self
				.list(name)?
				.map(|values| values.iter().map(|v| vocabulary.bare(v).to_owned()).collect()))
		};
		let places = |name: &str| -> Result<Option<Vec<String>>, Answer> {
			Ok(self
				.list(name)?
				.map(|values| values.iter().map(|v| ids::canonical_identifier(v)).collect()))
		};
		let matchers = |name: &str| -> Result<Option<Vec<Matcher>>, Answer> {
			self.list(name)?
				.map(|values| values.iter().map(|v| Matcher::parse(name, v)).collect())
				.transpose()
		};
		let descending = match self.one("orderDirection")? {
			None | Some("ASC") => false,
			Some("DESC") => true,
			Some(other) => return Err(bad(format!("orderDirection={other:?}: ASC or DESC"))),
		};
		match self.one("orderBy")? {
			None | Some("eventTime" | "recordTime") => {}
			Some(other) => return Err(bad(format!("orderBy={other:?}: this repository orders by eventTime or recordTime (the same here: events are recorded when they happen)"))),
		}
		if let Some(types) = self.list("eventType")? {
			if let Some(unknown) = types.iter().find(|t| {
				!super::EVENT_TYPES.contains(&t.as_str()) && !KNOWN_TYPES.contains(&t.as_str())
			}) {
				return Err(bad(format!("eventType={unknown:?} is not an EPCIS 2.0 event type")));
			}
		}
		let per_page = self.number("perPage")?.unwrap_or(DEFAULT_PER_PAGE);
		if per_page == 0 || per_page > MAX_PER_PAGE {
			return Err(bad(format!("perPage={per_page}: give 1 to {MAX_PER_PAGE}")));
		}
		let offset = match self.one("nextPageToken")? {
			None => 0,
			Some(token) => token.parse().map_err(|_| {
				bad(format!("nextPageToken={token:?} is not a token this repository gave"))
			})?,
		};
		let times = (self.time("GE_eventTime")?, self.time("LT_eventTime")?);
		let record_times = (self.time("GE_recordTime")?, self.time("LT_recordTime")?);
		Ok(Filter {
			event_types: self.list("eventType")?,
			from: times.0.max(record_times.0),
			until: match (times.1, record_times.1) {
				(Some(a), Some(b)) => Some(a.min(b)),
				(a, b) => a.or(b),
			},
			actions: self.list("EQ_action")?,
			biz_steps: words("EQ_bizStep", Vocabulary::BizStep)?,
			dispositions: words("EQ_disposition", Vocabulary::Disposition)?,
			read_points: places("EQ_readPoint")?,
			biz_locations: places("EQ_bizLocation")?,
			epc: matchers("MATCH_epc")?,
			parent: matchers("MATCH_parentID")?,
			any_epc: matchers("MATCH_anyEPC")?,
			event_ids: self.list("EQ_eventID")?,
			descending,
			event_count_limit: self.number("eventCountLimit")?,
			max_event_count: self.number("maxEventCount")?,
			per_page,
			offset,
			params: {
				let given = self.params.len().saturating_sub(self.from_path);
				self.params.into_iter().take(given).collect()
			},
		})
	}
}

/// The EPCIS 2.0 event types this chain has none of.
const KNOWN_TYPES: &[&str] = &["TransactionEvent", "TransformationEvent", "AssociationEvent"];

/// A `MATCH_` value: one item, every unit of a product, or every unit of a lot.
#[derive(Clone, Debug)]
pub enum Matcher {
	/// One unit or container.
	Item(Epc),
	/// An identifier of something the chain does not hold: matches nothing.
	Nothing,
	/// Every unit of a product: `…/01/<GTIN>` (`urn:epc:idpat:sgtin:CP.IR.*`).
	Product([u8; 14]),
	/// Every unit of a lot: `…/01/<GTIN>/10/<lot>` (`urn:epc:class:lgtin:CP.IR.LOT`).
	Lot([u8; 14], String),
}

impl Matcher {
	fn parse(name: &str, value: &str) -> Result<Self, Answer> {
		let canonical = ids::canonical_identifier(value);
		if let Some(ids::Gs1Key::Lgtin(gtin, lot)) = ids::parse_key(&canonical) {
			return Ok(Matcher::Lot(gtin, lot));
		}
		let gtin = canonical
			.strip_prefix(ids::DIGITAL_LINK)
			.and_then(|rest| rest.strip_prefix("/01/"))
			.and_then(|gtin| <[u8; 14]>::try_from(gtin.as_bytes()).ok())
			.filter(|gtin| carechain_primitives::has_gs1_check_digit(gtin));
		if let Some(gtin) = gtin {
			return Ok(Matcher::Product(gtin));
		}
		if canonical.starts_with("urn:epc:idpat:") {
			return Err(bad(format!(
				"{name}={value:?}: this repository matches whole-product patterns (…:CP.IR.*) only"
			)));
		}
		// Anything that is not a unit or container the chain could hold matches nothing.
		Ok(import::item(&canonical).map_or(Matcher::Nothing, Matcher::Item))
	}

	fn matches(&self, epc: &Epc, lot: Option<&[u8]>) -> bool {
		match (self, epc) {
			(Matcher::Item(item), epc) => item == epc,
			(Matcher::Nothing, _) => false,
			(Matcher::Product(gtin), Epc::Unit(unit)) => unit.gtin == *gtin,
			(Matcher::Lot(gtin, wanted), Epc::Unit(unit)) => {
				unit.gtin == *gtin && lot == Some(wanted.as_bytes())
			}
			_ => false,
		}
	}
}

/// What a query keeps, and the page it answers.
#[derive(Debug)]
pub struct Filter {
	event_types: Option<Vec<String>>,
	from: Option<u64>,
	until: Option<u64>,
	actions: Option<Vec<String>>,
	biz_steps: Option<Vec<String>>,
	dispositions: Option<Vec<String>>,
	read_points: Option<Vec<String>>,
	biz_locations: Option<Vec<String>>,
	epc: Option<Vec<Matcher>>,
	parent: Option<Vec<Matcher>>,
	any_epc: Option<Vec<Matcher>>,
	event_ids: Option<Vec<String>>,
	/// Newest first.
	pub descending: bool,
	/// Keep at most this many events.
	pub event_count_limit: Option<usize>,
	/// Refuse the query when more events match.
	pub max_event_count: Option<usize>,
	/// Events per page.
	pub per_page: usize,
	/// Where the page starts.
	pub offset: usize,
	params: Vec<(String, String)>,
}

impl Filter {
	/// The items to read when the query names them one by one, so that every event it can
	/// keep is in their histories: `MATCH_epc` of SGTINs and SSCCs (an event lists an item in
	/// that item's history), or `MATCH_anyEPC` of SGTINs (a unit is never a parent). `None`:
	/// read all.
	pub fn named_items(&self) -> Option<Vec<Epc>> {
		// Identifiers of nothing the chain holds match nothing: they need no read.
		let exact = |matchers: &Vec<Matcher>| -> Option<Vec<Epc>> {
			matchers
				.iter()
				.filter(|m| !matches!(m, Matcher::Nothing))
				.map(|m| match m {
					Matcher::Item(epc) => Some(epc.clone()),
					_ => None,
				})
				.collect()
		};
		match (&self.epc, &self.any_epc, &self.parent) {
			(Some(epc), _, None) => exact(epc),
			(None, Some(any), None) => {
				exact(any).filter(|items| items.iter().all(|e| matches!(e, Epc::Unit(_))))
			}
			_ => None,
		}
	}

	/// Whether an entry of `epc`'s history (a unit of `lot`) answers the query, by all but its
	/// eventID and places.
	pub fn keeps(&self, epc: &Epc, lot: Option<&[u8]>, event: &SupplyEvent) -> bool {
		let (event_type, action, step, disposition) = event.kind.epcis();
		let within = |set: &Option<Vec<String>>, value: &str| {
			set.as_ref().is_none_or(|set| set.iter().any(|v| v == value))
		};
		let parent = match event.kind {
			EventKind::Packed { parent } | EventKind::Unpacked { parent } => {
				Some(Epc::Container(parent))
			}
			_ => None,
		};
		let listed = |matchers: &Option<Vec<Matcher>>| {
			matchers.as_ref().is_none_or(|ms| ms.iter().any(|m| m.matches(epc, lot)))
		};
		let as_parent = |m: &Matcher| parent.as_ref().is_some_and(|p| m.matches(p, None));
		within(&self.event_types, event_type)
			&& within(&self.actions, action)
			&& within(&self.biz_steps, step)
			&& within(&self.dispositions, disposition)
			&& self.from.is_none_or(|from| event.at >= from)
			&& self.until.is_none_or(|until| event.at < until)
			&& listed(&self.epc)
			&& self.parent.as_ref().is_none_or(|ms| ms.iter().any(as_parent))
			&& self
				.any_epc
				.as_ref()
				.is_none_or(|ms| ms.iter().any(|m| m.matches(epc, lot) || as_parent(m)))
	}

	/// Whether the query names eventIDs (then each event is hashed to be kept).
	pub fn asks_event_ids(&self) -> bool {
		self.event_ids.is_some()
	}

	/// Whether an event with this eventID answers the query (`EQ_eventID`).
	pub fn keeps_id(&self, id: &str) -> bool {
		self.event_ids.as_ref().is_none_or(|ids| ids.iter().any(|v| v == id))
	}

	/// Whether the query names read points or business locations.
	pub fn asks_places(&self) -> bool {
		self.read_points.is_some() || self.biz_locations.is_some()
	}

	/// Whether the query keeps an event with this read point and business location.
	pub fn keeps_place(&self, read_point: Option<&str>, biz_location: Option<&str>) -> bool {
		let within = |set: &Option<Vec<String>>, value: Option<&str>| {
			set.as_ref().is_none_or(|set| value.is_some_and(|v| set.iter().any(|s| s == v)))
		};
		within(&self.read_points, read_point) && within(&self.biz_locations, biz_location)
	}

	/// The query's parameters with `nextPageToken` set to `offset`, URL-encoded.
	pub fn query_with_token(&self, offset: usize) -> String {
		let mut encoded = form_urlencoded::Serializer::new(String::new());
		for (name, value) in self.params.iter().filter(|(n, _)| n != "nextPageToken") {
			encoded.append_pair(name, value);
		}
		encoded.append_pair("nextPageToken", &offset.to_string());
		encoded.finish()
	}
}
