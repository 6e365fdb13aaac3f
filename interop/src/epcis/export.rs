//! Chain events as EPCIS 2.0 events and documents.

use super::{hash, ids, time, Gln, CONTEXT, ORGANIZATION_URN};
use carechain_primitives::OrgId;
use pallet_provenance::{Day, Epc, EventKind, SupplyEvent};
use serde_json::{json, Map, Value as Json};

/// How an organization is named: by its GLN, when its licence is one.
pub type Directory<'a> = &'a dyn Fn(OrgId) -> Option<Gln>;

/// An organization as a party (`source`, `destination`): `…/417/<GLN>`.
pub fn party(org: OrgId, directory: Directory) -> String {
	directory(org).map_or_else(|| format!("{ORGANIZATION_URN}{org}"), |gln| ids::party_uri(&gln))
}

/// An organization as a place (`readPoint`, `bizLocation`): `…/414/<GLN>`.
pub fn location(org: OrgId, directory: Directory) -> String {
	directory(org).map_or_else(|| format!("{ORGANIZATION_URN}{org}"), |gln| ids::location_uri(&gln))
}

/// An item as EPCIS names it.
pub fn epc_uri(epc: &Epc) -> String {
	match epc {
		Epc::Unit(sgtin) => ids::sgtin_uri(&sgtin.gtin, &sgtin.serial),
		Epc::Container(sscc) => ids::sscc_uri(sscc),
	}
}

/// The lot and expiry of a unit, which its commissioning event carries as instance/lot master
/// data (`ilmd`).
#[derive(Clone, Copy, Debug)]
pub struct LotOf<'a> {
	/// The lot number.
	pub lot: &'a [u8],
	/// The expiry date.
	pub expiry: Day,
}

/// One entry of `epc`'s history as an EPCIS 2.0 event, with its eventID (CBV 2.0's event
/// hash). `lot` is the unit's lot, written on its commissioning event.
pub fn event(epc: &Epc, entry: &SupplyEvent, lot: Option<LotOf>, directory: Directory) -> Json {
	let (event_type, action, biz_step, disposition) = entry.kind.epcis();
	let at = time::format_millis(i64::try_from(entry.at).unwrap_or(i64::MAX));
	let mut event = Map::new();
	event.insert("type".into(), event_type.into());
	event.insert("eventTime".into(), at.clone().into());
	event.insert("recordTime".into(), at.into());
	event.insert("eventTimeZoneOffset".into(), "+00:00".into());
	match &entry.kind {
		EventKind::Packed { parent } | EventKind::Unpacked { parent } => {
			event.insert("parentID".into(), ids::sscc_uri(parent).into());
			event.insert("childEPCs".into(), json!([epc_uri(epc)]));
		}
		_ => {
			event.insert("epcList".into(), json!([epc_uri(epc)]));
		}
	}
	event.insert("action".into(), action.into());
	event.insert("bizStep".into(), biz_step.into());
	event.insert("disposition".into(), disposition.into());
	let here = location(entry.org, directory);
	event.insert("readPoint".into(), json!({ "id": here }));
	// Goods on their way are at no business location.
	if !matches!(entry.kind, EventKind::Shipped { .. }) {
		event.insert("bizLocation".into(), json!({ "id": here }));
	}
	let owning = |party: String, role: &str| json!([{ "type": "owning_party", role: party }]);
	match entry.kind {
		EventKind::Shipped { to } => {
			event.insert("sourceList".into(), owning(party(entry.org, directory), "source"));
			event.insert("destinationList".into(), owning(party(to, directory), "destination"));
		}
		EventKind::Received { from } => {
			event.insert("sourceList".into(), owning(party(from, directory), "source"));
			let to = party(entry.org, directory);
			event.insert("destinationList".into(), owning(to, "destination"));
		}
		_ => {}
	}
	if let (EventKind::Commissioned, Some(lot)) = (&entry.kind, lot) {
		event.insert(
			"ilmd".into(),
			json!({
				"cbvmda:lotNumber": String::from_utf8_lossy(lot.lot),
				"cbvmda:itemExpirationDate": time::format_day(lot.expiry),
			}),
		);
	}
	let id = hash::event_id(&event, &standard_prefixes(), hash::Profile::Cbv2);
	let mut with_id = Map::new();
	with_id.insert("eventID".into(), id.into());
	with_id.extend(event);
	Json::Object(with_id)
}

/// Which entries of an item's history (oldest first) are movements it made inside a
/// container: shipped or received while packed. EPCIS records those as the container's
/// events, the item's whereabouts following from its packing (`parentID`), so an export
/// leaves them out of the item's events; the container's own history has them.
pub fn moved_with_container(history: &[SupplyEvent]) -> Vec<bool> {
	let mut packed = false;
	history
		.iter()
		.map(|entry| match entry.kind {
			EventKind::Packed { .. } => {
				packed = true;
				false
			}
			EventKind::Unpacked { .. } => {
				packed = false;
				false
			}
			EventKind::Shipped { .. } | EventKind::Received { .. } => packed,
			_ => false,
		})
		.collect()
}

fn standard_prefixes() -> std::collections::BTreeMap<String, String> {
	hash::prefixes(&Json::Null)
}

/// An EPCIS 2.0 document of `events`, created at `now` (milliseconds since the Unix epoch).
pub fn document(events: Vec<Json>, now: u64) -> Json {
	json!({
		"@context": [CONTEXT],
		"type": "EPCISDocument",
		"schemaVersion": "2.0",
		"creationDate": time::format_millis(i64::try_from(now).unwrap_or(i64::MAX)),
		"epcisBody": { "eventList": events },
	})
}

/// The answer of a query: an EPCIS 2.0 query document of `events` (`SimpleEventQuery`).
pub fn query_document(events: Vec<Json>, now: u64) -> Json {
	json!({
		"@context": [CONTEXT],
		"type": "EPCISQueryDocument",
		"schemaVersion": "2.0",
		"creationDate": time::format_millis(i64::try_from(now).unwrap_or(i64::MAX)),
		"epcisBody": {
			"queryResults": {
				"queryName": "SimpleEventQuery",
				"resultsBody": { "eventList": events },
			},
		},
	})
}
