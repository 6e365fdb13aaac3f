//! EPCIS 2.0 documents as the chain's provenance calls.
//!
//! An ERP's document goes in as signed `provenance` calls of the organization that signs them.
//! What the chain records, it records from the call: the time is the block's, the place and the
//! acting party the signer's organization. So an event imports when everything it says is
//! either what the call records or consistent with it; otherwise it is refused, with the event
//! and the field named and the reason:
//!
//! | EPCIS event | call |
//! |---|---|
//! | `ObjectEvent` `ADD` `commissioning`, SGTINs, `ilmd` lot and expiry | `commission` per GTIN |
//! | `AggregationEvent` `ADD` `packing`, SSCC parent | `aggregate` |
//! | `AggregationEvent` `DELETE` `unpacking` (no children: all) | `disaggregate` |
//! | `ObjectEvent` `OBSERVE` `shipping`, an owning-party destination | `ship` per item |
//! | `ObjectEvent` `OBSERVE` `receiving` | `receive` per item |
//!
//! Not kept, and not refused: `eventID`, `eventTime`, `eventTimeZoneOffset` and `recordTime`
//! (the chain records the block's time). Read points, business locations and parties must be
//! the signer's organization where the signer acts (named by its GLN or
//! `urn:carechain:organization:<id>`).

use super::{hash::Vocabulary, ids::Gs1Key, time, Gln, ORGANIZATION_URN};
use carechain_primitives::OrgId;
use carechain_runtime::Runtime;
use pallet_provenance::{is_alphanumeric, Day, Epc, Lot, Serial, Sgtin};
use serde_json::{Map, Value as Json};
use sp_core::Get;
use std::{
	collections::{BTreeMap, BTreeSet},
	fmt,
};

/// A provenance call.
pub type Call = pallet_provenance::Call<Runtime>;

/// The organization registered under a GLN, if any.
pub type Resolver<'a> = &'a dyn Fn(Gln) -> Option<OrgId>;

/// The most events one document may carry.
pub const MAX_EVENTS: usize = 10_000;

/// The most items (EPCs) one event may list.
pub const MAX_ITEMS_PER_EVENT: usize = 10_000;

/// The most items (EPCs) one document may list in all.
pub const MAX_ITEMS: usize = 100_000;

/// Who sent an item now in transit: its owner, as the chain records it.
pub type Sender<'a> = &'a dyn Fn(&Epc) -> Option<OrgId>;

/// The calls that record one event.
#[derive(Debug)]
pub struct Planned {
	/// The event's place in the document, from 0.
	pub index: usize,
	/// Its eventID, if it has one.
	pub event_id: Option<String>,
	/// The calls, in order.
	pub calls: Vec<Call>,
}

/// Why an event cannot be recorded.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Refusal {
	/// The event's place in the document, from 0 (none: the document itself).
	pub index: Option<usize>,
	/// Its eventID, if it has one.
	pub event_id: Option<String>,
	/// The field, as a path in the event (`epcList[1]`, `ilmd.cbvmda:lotNumber`).
	pub field: String,
	/// What is wrong and what to do.
	pub reason: String,
}

impl fmt::Display for Refusal {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match (self.index, &self.event_id) {
			(None, _) => write!(f, "the document")?,
			(Some(i), Some(id)) => write!(f, "event {} ({id})", i.saturating_add(1))?,
			(Some(i), None) => write!(f, "event {}", i.saturating_add(1))?,
		}
		match self.field.is_empty() {
			true => write!(f, ": {}", self.reason),
			false => write!(f, ", {}: {}", self.field, self.reason),
		}
	}
}

/// Who imports: how parties resolve, and the signing organization when known (then places
/// and parties are checked against it).
#[derive(Clone, Copy)]
pub struct Importer<'a> {
	/// The organizations registered under GLNs.
	pub resolve: Resolver<'a>,
	/// The signer's organization.
	pub signer: Option<OrgId>,
	/// Who sent each item in transit, when known: a receipt's source must be its sender.
	pub sender: Option<Sender<'a>>,
}

/// What one event does on the chain.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Operation {
	Commission,
	Pack,
	Unpack,
	Ship,
	Receive,
}

impl Operation {
	/// The CBV words of the operation: business step and disposition.
	fn words(self) -> (&'static str, &'static str) {
		match self {
			Operation::Commission => ("commissioning", "active"),
			Operation::Pack => ("packing", "in_progress"),
			Operation::Unpack => ("unpacking", "in_progress"),
			Operation::Ship => ("shipping", "in_transit"),
			Operation::Receive => ("receiving", "in_progress"),
		}
	}
}

/// Fields every event may carry that the chain records its own way.
const NOT_KEPT: &[&str] =
	&["eventID", "eventTime", "eventTimeZoneOffset", "recordTime", "@context"];

/// Why the chain cannot take a field it does not read.
fn unrepresentable(field: &str) -> String {
	match field {
		"bizTransactionList" => "the chain keeps no business transactions (purchase orders, despatch advices): record them in the ERP and leave them out".into(),
		"quantityList" | "childQuantityList" | "inputQuantityList" | "outputQuantityList" => {
			"the chain tracks serialized units and SSCC containers, not quantities of a class".into()
		}
		"sensorElementList" => "the chain keeps no sensor data".into(),
		"persistentDisposition" => "the chain keeps one status per unit, set by its calls".into(),
		"certificationInfo" => "the chain keeps no certification references".into(),
		"errorDeclaration" => "an error declaration retracts an earlier event; the chain's history is never rewritten: record the event that undoes it (unpacking what was packed)".into(),
		field if field.contains(':') => "the chain keeps no extension fields: leave it out".into(),
		_ => "not a field the chain reads for this event".into(),
	}
}

/// Problems found in one event.
struct Faults(Vec<(String, String)>);

impl Faults {
	fn add(&mut self, field: impl Into<String>, reason: impl Into<String>) {
		self.0.push((field.into(), reason.into()));
	}
}

impl Importer<'_> {
	/// The calls that record a document's events, in order; or every refusal.
	pub fn plan(&self, document: &Json) -> Result<Vec<Planned>, Vec<Refusal>> {
		let whole = |reason: &str| {
			vec![Refusal {
				index: None,
				event_id: None,
				field: String::new(),
				reason: reason.into(),
			}]
		};
		let events = match document.get("type").and_then(Json::as_str) {
			Some("EPCISDocument") => document.pointer("/epcisBody/eventList"),
			Some("EPCISQueryDocument") => {
				document.pointer("/epcisBody/queryResults/resultsBody/eventList")
			}
			_ => return Err(whole("`type` is neither `EPCISDocument` nor `EPCISQueryDocument`")),
		};
		let Some(events) = events.and_then(Json::as_array) else {
			return Err(whole("it has no event list (`epcisBody.eventList`)"));
		};
		if events.len() > MAX_EVENTS {
			return Err(whole(&format!(
				"it has {} events, more than the {MAX_EVENTS} one import takes: split it",
				events.len()
			)));
		}
		let listed: usize = events
			.iter()
			.map(|e| {
				["epcList", "childEPCs"]
					.iter()
					.filter_map(|list| e.get(*list).and_then(Json::as_array).map(Vec::len))
					.sum::<usize>()
			})
			.sum();
		if listed > MAX_ITEMS {
			return Err(whole(&format!(
				"it lists {listed} items, more than the {MAX_ITEMS} one import takes: split it"
			)));
		}
		let mut planned = vec![];
		let mut refusals = vec![];
		let mut seen_ids = BTreeMap::new();
		for (index, event) in events.iter().enumerate() {
			let event_id = event.get("eventID").and_then(Json::as_str).map(str::to_owned);
			let mut faults = Faults(vec![]);
			if let Some(id) = &event_id {
				if let Some(first) = seen_ids.insert(id.clone(), index) {
					faults.add(
						"eventID",
						format!(
							"the same as event {}'s: an event is recorded once",
							first.saturating_add(1)
						),
					);
				}
			}
			let calls = match event {
				Json::Object(event) => self.event(event, &mut faults),
				_ => {
					faults.add("", "an event is a JSON object");
					vec![]
				}
			};
			match faults.0.is_empty() {
				true => planned.push(Planned { index, event_id, calls }),
				false => refusals.extend(faults.0.into_iter().map(|(field, reason)| Refusal {
					index: Some(index),
					event_id: event_id.clone(),
					field,
					reason,
				})),
			}
		}
		match refusals.is_empty() {
			true => Ok(planned),
			false => Err(refusals),
		}
	}

	fn event(&self, event: &Map<String, Json>, faults: &mut Faults) -> Vec<Call> {
		let text = |field: &str| event.get(field).and_then(Json::as_str);
		let event_type = text("type").unwrap_or_default();
		let action = text("action").unwrap_or_default();
		let biz_step = text("bizStep").map(|s| Vocabulary::BizStep.bare(s));
		let operation = match (event_type, action, biz_step) {
			("ObjectEvent", "ADD", Some("commissioning")) => Some(Operation::Commission),
			("ObjectEvent", "OBSERVE", Some("shipping")) => Some(Operation::Ship),
			("ObjectEvent", "OBSERVE", Some("receiving")) => Some(Operation::Receive),
			("AggregationEvent", "ADD", Some("packing") | None) => Some(Operation::Pack),
			("AggregationEvent", "DELETE", Some("unpacking") | None) => Some(Operation::Unpack),
			("ObjectEvent" | "AggregationEvent", _, _) => {
				faults.add(
					"bizStep",
					match biz_step {
						Some("dispensing") => "a pharmacy dispenses with `provenance.dispense`, which commits to the patient and the prescription; a document cannot carry that".to_owned(),
						Some("holding" | "inspecting") => "quarantines and checks are recorded with `provenance.mark_suspect`, `clear_suspect`, `declare_illegitimate` and `verify_product`".to_owned(),
						_ => format!(
							"the chain records {event_type}s of {}; this one is {action} {}",
							match event_type {
								"ObjectEvent" => "commissioning (ADD), shipping and receiving (OBSERVE)",
								_ => "packing (ADD) and unpacking (DELETE)",
							},
							biz_step.unwrap_or("without a business step"),
						),
					},
				);
				None
			}
			("", _, _) => {
				faults.add("type", "missing: an event says its type");
				None
			}
			(other, _, _) => {
				faults.add("type", format!("the chain records no {other}: it records ObjectEvents and AggregationEvents of units and SSCC containers"));
				None
			}
		};
		let Some(operation) = operation else { return vec![] };
		let (step, disposition) = operation.words();

		let mut allowed: Vec<&str> =
			[NOT_KEPT, &["type", "action", "bizStep", "disposition", "readPoint", "bizLocation"]]
				.concat();
		match operation {
			Operation::Commission => allowed.extend(["epcList", "ilmd"]),
			Operation::Ship | Operation::Receive => {
				allowed.extend(["epcList", "sourceList", "destinationList"])
			}
			Operation::Pack | Operation::Unpack => allowed.extend(["parentID", "childEPCs"]),
		}
		for field in event.keys().filter(|f| !allowed.contains(&f.as_str())) {
			faults.add(field.clone(), unrepresentable(field));
		}
		if let Some(time) = event.get("eventTime") {
			if time.as_str().and_then(time::parse_millis).is_none() {
				faults
					.add("eventTime", "not an EPCIS time with a zone (`2026-12-05T10:00:00.000Z`)");
			}
		}
		if let Some(given) = text("disposition") {
			let word = Vocabulary::Disposition.bare(given);
			if word != disposition {
				faults.add(
					"disposition",
					format!("`{given}`, but after {step} the chain records `{disposition}`"),
				);
			}
		}
		for field in ["readPoint", "bizLocation"] {
			if let Some(place) = event.get(field) {
				let id = place.get("id").and_then(Json::as_str);
				match id.map(|id| self.organization(id)) {
					None => faults.add(format!("{field}.id"), "missing"),
					Some(Err(reason)) => faults.add(format!("{field}.id"), reason),
					Some(Ok(org)) => self.check_signer(org, &format!("{field}.id"), faults),
				}
			}
		}
		match operation {
			Operation::Commission => self.commission(event, faults),
			Operation::Pack | Operation::Unpack => self.aggregation(event, operation, faults),
			Operation::Ship | Operation::Receive => self.movement(event, operation, faults),
		}
	}

	/// The organization a place or party names.
	fn organization(&self, id: &str) -> Result<OrgId, String> {
		if let Some(org) = id.strip_prefix(ORGANIZATION_URN) {
			return org.parse().map_err(|_| format!("`{id}` names no organization id"));
		}
		let gln = match super::ids::parse_key(id) {
			Some(Gs1Key::Location(gln, _) | Gs1Key::Party(gln)) => gln,
			_ => return Err(format!("`{id}` is neither a GLN (`https://id.gs1.org/414/…`, `…/417/…`, `urn:epc:id:sgln:…`, `urn:epc:id:pgln:…`) nor `{ORGANIZATION_URN}<id>`")),
		};
		(self.resolve)(gln).ok_or_else(|| {
			format!(
				"no organization of the consortium is registered under GLN {}",
				String::from_utf8_lossy(&gln)
			)
		})
	}

	fn check_signer(&self, org: OrgId, field: &str, faults: &mut Faults) {
		if let Some(signer) = self.signer {
			if org != signer {
				faults.add(field, format!("names organization {org}, but the signer acts for organization {signer}: the chain records the signer's organization"));
			}
		}
	}

	/// The items of an EPC list with their places in it, each checked; duplicates refused.
	fn items(
		&self,
		event: &Map<String, Json>,
		list: &str,
		faults: &mut Faults,
	) -> Vec<(usize, Epc)> {
		let mut items = vec![];
		let values = match event.get(list) {
			None => return items,
			Some(Json::Array(values)) => values,
			Some(_) => {
				faults.add(list, "not a list");
				return items;
			}
		};
		if values.len() > MAX_ITEMS_PER_EVENT {
			faults.add(
				list,
				format!(
					"{} items, more than the {MAX_ITEMS_PER_EVENT} one event may list: split it",
					values.len()
				),
			);
			return items;
		}
		let mut seen = BTreeSet::new();
		for (i, value) in values.iter().enumerate() {
			let field = format!("{list}[{i}]");
			let Some(id) = value.as_str() else {
				faults.add(field, "not a string");
				continue;
			};
			match item(id) {
				Err(reason) => faults.add(field, reason),
				Ok(epc) if !seen.insert(epc.clone()) => {
					faults.add(field, format!("`{id}` is listed twice"))
				}
				Ok(epc) => items.push((i, epc)),
			}
		}
		items
	}

	fn commission(&self, event: &Map<String, Json>, faults: &mut Faults) -> Vec<Call> {
		let items = self.items(event, "epcList", faults);
		match event.get("epcList") {
			None => faults.add("epcList", "missing: commissioning names the units it commissions"),
			Some(Json::Array(list)) if list.is_empty() => {
				faults.add("epcList", "empty: commissioning names the units it commissions")
			}
			_ => {}
		}
		let mut by_gtin: BTreeMap<[u8; 14], Vec<Serial>> = BTreeMap::new();
		for (i, epc) in items {
			match epc {
				Epc::Unit(sgtin) => by_gtin.entry(sgtin.gtin).or_default().push(sgtin.serial),
				Epc::Container(_) => faults.add(format!("epcList[{i}]"), "an SSCC: only units (SGTINs) are commissioned; a container comes into being when it is packed"),
			}
		}
		let ilmd = match event.get("ilmd") {
			Some(Json::Object(ilmd)) => ilmd.clone(),
			Some(_) => {
				faults.add("ilmd", "not an object");
				Map::new()
			}
			None => Map::new(),
		};
		let mut lot = None;
		let mut expiry = None;
		for (key, value) in &ilmd {
			let name =
				key.strip_prefix("cbvmda:").or_else(|| key.strip_prefix("urn:epcglobal:cbv:mda:"));
			let field = format!("ilmd.{key}");
			match (name, value.as_str()) {
				(Some("lotNumber"), Some(text)) => match Lot::try_from(text.as_bytes().to_vec()) {
					Ok(l) if is_alphanumeric(&l) => lot = Some(l),
					_ => faults.add(field, format!("`{text}` is not 1 to 20 letters and digits, as the chain's lot numbers are")),
				},
				(Some("itemExpirationDate"), Some(text)) => match time::parse_day(text) {
					Some(day) => expiry = Some(day),
					None => faults.add(field, format!("`{text}` is not a date (`YYYY-MM-DD`)")),
				},
				(Some("lotNumber" | "itemExpirationDate"), None) => faults.add(field, "not a string"),
				_ => faults.add(field, "the chain keeps a lot's number and expiry date only"),
			}
		}
		let (Some(lot), Some(expiry)) = (lot, expiry) else {
			if !ilmd.keys().any(|k| k.ends_with("lotNumber")) {
				faults.add(
					"ilmd.cbvmda:lotNumber",
					"missing: the chain commissions units into a lot",
				);
			}
			if !ilmd.keys().any(|k| k.ends_with("itemExpirationDate")) {
				faults.add(
					"ilmd.cbvmda:itemExpirationDate",
					"missing: the chain keeps each lot's expiry date",
				);
			}
			return vec![];
		};
		let batch = <<Runtime as pallet_provenance::Config>::MaxCommissionBatch as Get<u32>>::get()
			as usize;
		commission_calls(by_gtin, &lot, expiry, batch)
	}

	fn aggregation(
		&self,
		event: &Map<String, Json>,
		operation: Operation,
		faults: &mut Faults,
	) -> Vec<Call> {
		let parent = match event.get("parentID").and_then(Json::as_str) {
			None => {
				faults.add("parentID", "missing: the chain packs into an SSCC container");
				None
			}
			Some(id) => match item(id) {
				Ok(Epc::Container(sscc)) => Some(sscc),
				Ok(Epc::Unit(_)) => {
					faults.add(
						"parentID",
						format!("`{id}` is a unit: the chain packs into SSCC containers"),
					);
					None
				}
				Err(reason) => {
					faults.add("parentID", reason);
					None
				}
			},
		};
		let children: Vec<Epc> =
			self.items(event, "childEPCs", faults).into_iter().map(|(_, epc)| epc).collect();
		let most =
			<<Runtime as pallet_provenance::Config>::MaxChildren as Get<u32>>::get() as usize;
		if children.len() > most {
			faults.add(
				"childEPCs",
				format!("{} items, but a container holds at most {most}", children.len()),
			);
		}
		if operation == Operation::Pack && children.is_empty() {
			faults.add("childEPCs", "missing or empty: packing names what it packs");
		}
		match (parent, operation) {
			(Some(parent), Operation::Pack) => vec![Call::aggregate { parent, children }],
			(Some(parent), _) => vec![Call::disaggregate { parent, children }],
			(None, _) => vec![],
		}
	}

	fn movement(
		&self,
		event: &Map<String, Json>,
		operation: Operation,
		faults: &mut Faults,
	) -> Vec<Call> {
		let items: Vec<Epc> =
			self.items(event, "epcList", faults).into_iter().map(|(_, epc)| epc).collect();
		if event.get("epcList").and_then(Json::as_array).is_none_or(Vec::is_empty) {
			faults.add("epcList", "missing or empty: the event names the items that move");
		}
		let mut receiver = None;
		let mut others = vec![];
		for (list, role) in [("sourceList", "source"), ("destinationList", "destination")] {
			let Some(entries) = event.get(list) else { continue };
			let Some(entries) = entries.as_array() else {
				faults.add(list, "not a list");
				continue;
			};
			for (i, entry) in entries.iter().enumerate() {
				let field = format!("{list}[{i}]");
				let kind = entry
					.get("type")
					.and_then(Json::as_str)
					.map(|t| Vocabulary::SourceDestinationType.bare(t));
				if !matches!(kind, Some("owning_party" | "possessing_party" | "location")) {
					faults.add(
						format!("{field}.type"),
						"the chain reads owning_party, possessing_party and location",
					);
					continue;
				}
				let Some(id) = entry.get(role).and_then(Json::as_str) else {
					faults.add(format!("{field}.{role}"), "missing");
					continue;
				};
				let org = match self.organization(id) {
					Ok(org) => org,
					Err(reason) => {
						faults.add(format!("{field}.{role}"), reason);
						continue;
					}
				};
				// The signer's side of a movement is the signer's. A shipment's receiver is its
				// owning-party destination, and any other destination (a possessing party, a
				// location) must be that organization too: the chain records one receiver. A
				// receipt's source must be who sent the item, as the chain records it.
				let at = format!("{field}.{role}");
				match (operation, role) {
					(Operation::Ship, "destination") if kind == Some("owning_party") => {
						match receiver {
							Some(to) if to != org => faults.add(at, format!("organization {org}, but another owning party is organization {to}: the chain ships to one organization")),
							_ => receiver = Some(org),
						}
					}
					(Operation::Ship, "destination") => others.push((at, org)),
					(Operation::Ship, _) | (Operation::Receive, "destination") => {
						self.check_signer(org, &at, faults)
					}
					_ => {
						for epc in &items {
							let sent_by = self.sender.and_then(|sender| sender(epc));
							if let Some(sent_by) = sent_by.filter(|s| *s != org) {
								faults.add(at.clone(), format!("organization {org}, but the chain shows organization {sent_by} sent {}", super::export::epc_uri(epc)));
							}
						}
					}
				}
			}
		}
		match operation {
			Operation::Ship => {
				let Some(to) = receiver else {
					faults.add(
						"destinationList",
						"no owning-party destination: the chain ships to an organization",
					);
					return vec![];
				};
				for (at, org) in others.into_iter().filter(|(_, org)| *org != to) {
					faults.add(at, format!("organization {org}, but the shipment's owning party is organization {to}: the chain records one receiver"));
				}
				items.into_iter().map(|epc| Call::ship { epc, to }).collect()
			}
			_ => items.into_iter().map(|epc| Call::receive { epc }).collect(),
		}
	}
}

/// `commission` calls for units by GTIN, at most `batch` serials each.
fn commission_calls(
	by_gtin: BTreeMap<[u8; 14], Vec<Serial>>,
	lot: &Lot,
	expiry: Day,
	batch: usize,
) -> Vec<Call> {
	by_gtin
		.into_iter()
		.flat_map(|(gtin, serials)| {
			serials
				.chunks(batch.max(1))
				.map(|chunk| Call::commission {
					gtin,
					lot: lot.clone(),
					expiry,
					serials: chunk.to_vec(),
				})
				.collect::<Vec<_>>()
		})
		.collect()
}

/// The unit or container an EPC URN or Digital Link URI names, as the chain holds it.
pub fn item(id: &str) -> Result<Epc, String> {
	match super::ids::parse_key(id) {
		Some(Gs1Key::Sgtin(gtin, serial)) => {
			let serial = Serial::try_from(serial.as_bytes().to_vec())
				.ok()
				.filter(|s| is_alphanumeric(s))
				.ok_or_else(|| format!("the serial of `{id}` is not 1 to 20 letters and digits, as the chain's serials are"))?;
			Ok(Epc::Unit(Sgtin { gtin, serial }))
		}
		Some(Gs1Key::Sscc(sscc)) => Ok(Epc::Container(sscc)),
		Some(_) => Err(format!("`{id}` is neither a unit (SGTIN) nor a container (SSCC)")),
		None => Err(format!("`{id}` is not an SGTIN or SSCC (EPC URN or GS1 Digital Link URI) with a right check digit")),
	}
}

/// A call as a person reads it: `ship https://id.gs1.org/00/… to organization 4`.
pub fn describe(call: &Call) -> String {
	let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
	let epc = super::export::epc_uri;
	match call {
		Call::commission { gtin, lot, serials, .. } => {
			format!("commission {} units of {} lot {}", serials.len(), text(gtin), text(lot))
		}
		Call::aggregate { parent, children } => {
			format!("pack {} items into {}", children.len(), super::ids::sscc_uri(parent))
		}
		Call::disaggregate { parent, children } if children.is_empty() => {
			format!("unpack everything from {}", super::ids::sscc_uri(parent))
		}
		Call::disaggregate { parent, children } => {
			format!("unpack {} items from {}", children.len(), super::ids::sscc_uri(parent))
		}
		Call::ship { epc: item, to } => format!("ship {} to organization {to}", epc(item)),
		Call::receive { epc: item } => format!("receive {}", epc(item)),
		other => format!("{other:?}"),
	}
}
