//! The GS1 EPCIS 2.0 REST query interface (the standard's OpenAPI binding) over the chain's
//! provenance: every unit's and container's history as EPCIS events, queried by EPC, by lot,
//! by product, by time, by event type, business step, disposition and place. An item shipped
//! or received inside a container moved as its container's event, as EPCIS records it: its own
//! events are its commissioning, packing and what it did loose.
//!
//! - **Where**: under `/epcis` on the FHIR interface's port (`--fhir-port`; 9955 with `--dev`).
//! - **What**: `GET /epcis/events` with the simple event query's parameters (pipe-delimited
//!   lists), and the named forms `GET /epcis/eventTypes/{type}/events`, `/epcs/{epc}/events`,
//!   `/bizSteps/{step}/events`, `/dispositions/{disposition}/events`,
//!   `/readPoints/{id}/events`, `/bizLocations/{id}/events`; `GET /epcis/events/{eventID}`;
//!   the collections `/epcis/eventTypes` and `/epcis`. Answers are EPCIS query documents
//!   (`SimpleEventQuery`), paged with `perPage` and a `Link: <…>; rel="next"` header;
//!   errors are RFC 7807 problems with the standard's exception types. Capture is refused:
//!   events enter the chain as signed provenance calls (`carechain provenance import`).
//! - **Who**: active members of active organizations, with a session token from RPC's sign-in
//!   as `Authorization: Bearer <token>`, as for FHIR.
//!
//! The events are built by `carechain_interop::epcis::export` (pure mappings, with CBV 2.0
//! event hashes as eventIDs); this module reads the chain (`Handlers::epcis_supply`), filters
//! and pages.

mod query;

use crate::{
	fhir_rest::Answer,
	rpc::handlers::{Handlers, Items, Supply, TooManyItems, MAX_SCANNED_ITEMS},
};
use carechain_interop::epcis::{export, CONTEXT};
use http::{Method, StatusCode};
use jsonrpsee::{types::ErrorObjectOwned, Extensions};
use query::Query;
use serde_json::{json, Value as Json};

/// The JSON content type of EPCIS answers.
const EPCIS_JSON: &str = "application/json; charset=utf-8";
/// The content type of errors (RFC 7807).
const PROBLEM_JSON: &str = "application/problem+json; charset=utf-8";

/// The event types the chain's events are.
const EVENT_TYPES: &[&str] = &["ObjectEvent", "AggregationEvent"];

/// An EPCIS exception as an RFC 7807 problem.
pub fn problem(status: StatusCode, exception: &str, detail: impl Into<String>) -> Answer {
	let body = json!({
		"type": format!("epcisException:{exception}"),
		"title": exception,
		"status": status.as_u16(),
		"detail": detail.into(),
	});
	Answer::with(status, body, PROBLEM_JSON)
}

/// An RPC handler's refusal or failure as an EPCIS exception.
pub fn from_rpc(error: &ErrorObjectOwned) -> Answer {
	let fhir = Answer::from_rpc(error);
	let exception = match fhir.status {
		StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => "SecurityException",
		_ => "ImplementationException",
	};
	problem(fhir.status, exception, error.message().to_owned())
}

fn ok(body: Json) -> Answer {
	let mut answer = Answer::with(StatusCode::OK, body, EPCIS_JSON);
	answer.headers.push(("GS1-EPCIS-Version", "2.0.0".into()));
	answer.headers.push(("GS1-CBV-Version", "2.0.0".into()));
	answer
}

fn collection(members: &[&str]) -> Answer {
	ok(json!({ "@context": CONTEXT, "type": "Collection", "member": members }))
}

/// Answers `method path?query` for the caller in `ext` (None: no valid session, with the
/// refusal); `base` is the interface's URL (`http://host:port/epcis`) for links.
pub fn answer(
	handlers: &Handlers,
	caller: Result<Extensions, ErrorObjectOwned>,
	method: &Method,
	path: &str,
	query: Option<&str>,
	base: &str,
) -> Answer {
	let segments: Vec<String> = path
		.trim_start_matches("/epcis")
		.split('/')
		.filter(|s| !s.is_empty())
		.map(percent_decode)
		.collect();
	let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
	if method != Method::GET && method != Method::HEAD {
		return problem(
			StatusCode::METHOD_NOT_ALLOWED,
			"ImplementationException",
			format!("{method} is not served: events enter the chain as signed provenance calls (`carechain provenance import FILE`, or client-js's `epcis.importCalls`), not by capture"),
		);
	}
	match segments[..] {
		[] => {
			return collection(&[
				"events",
				"eventTypes",
				"epcs",
				"bizSteps",
				"dispositions",
				"readPoints",
				"bizLocations",
			])
		}
		["eventTypes"] => return collection(EVENT_TYPES),
		_ => {}
	}
	let ext = match caller {
		Ok(ext) => ext,
		Err(e) => {
			let mut answer = from_rpc(&e);
			answer.body["detail"] = Json::from(format!(
				"{} (EPCIS: send the token as `Authorization: Bearer <token>`)",
				answer.body["detail"].as_str().unwrap_or_default()
			));
			return answer;
		}
	};
	let mut query = match Query::parse(query.unwrap_or_default()) {
		Ok(query) => query,
		Err(answer) => return answer,
	};
	let named = |name: &str, value: &str, query: &mut Query| query.add(name, value);
	let added = match segments[..] {
		["events"] => Ok(()),
		["events", id] => named("EQ_eventID", id, &mut query),
		["eventTypes", kind, "events"] => named("eventType", kind, &mut query),
		["epcs", epc, "events"] => named("MATCH_anyEPC", epc, &mut query),
		["bizSteps", step, "events"] => named("EQ_bizStep", step, &mut query),
		["dispositions", disposition, "events"] => named("EQ_disposition", disposition, &mut query),
		["readPoints", id, "events"] => named("EQ_readPoint", id, &mut query),
		["bizLocations", id, "events"] => named("EQ_bizLocation", id, &mut query),
		_ => {
			return problem(
				StatusCode::NOT_FOUND,
				"NoSuchResourceException",
				format!("{path} is not served: query /epcis/events, or the named forms /epcis/<eventTypes|epcs|bizSteps|dispositions|readPoints|bizLocations>/<value>/events"),
			)
		}
	};
	if let Err(answer) = added {
		return answer;
	}
	let single = matches!(segments[..], ["events", _]);
	// The link to the next page repeats the path as the client sent it (still encoded).
	let url = format!("{base}{}", path.strip_prefix("/epcis").unwrap_or(path));
	events(handlers, &ext, query, single, &url)
}

/// Runs a query; `single` for `/events/{eventID}` (not found is 404). `url` is the request's
/// own URL without its query, for the link to the next page.
fn events(handlers: &Handlers, ext: &Extensions, query: Query, single: bool, url: &str) -> Answer {
	let filter = match query.filter() {
		Ok(filter) => filter,
		Err(answer) => return answer,
	};
	let items = match filter.named_items() {
		Some(epcs) => Items::Named(epcs),
		None => Items::All,
	};
	let Supply { traced, glns, now } = match handlers.epcis_supply(ext, items) {
		Ok(Ok(supply)) => supply,
		Ok(Err(TooManyItems)) => {
			return problem(
				StatusCode::PAYLOAD_TOO_LARGE,
				"QueryTooLargeException",
				format!("the chain holds more than {MAX_SCANNED_ITEMS} units and containers, more than a query that names none reads: name them with MATCH_epc (SGTINs or SSCCs)"),
			)
		}
		Err(e) => return from_rpc(&e),
	};
	let directory = |org| glns.get(&org).copied();
	fn lot_of(item: &crate::rpc::handlers::Traced) -> Option<export::LotOf<'_>> {
		item.lot.as_ref().map(|(lot, expiry)| export::LotOf { lot, expiry: *expiry })
	}
	// Matching events as (time, item, entry); each is exported and hashed only when it is
	// answered, or when the query asks for eventIDs.
	let mut found: Vec<(u64, usize, usize)> = vec![];
	for (i, item) in traced.iter().enumerate() {
		let inside = export::moved_with_container(&item.events);
		let lot = item.lot.as_ref().map(|(l, _)| &l[..]);
		for (e, (event, inside)) in item.events.iter().zip(inside).enumerate() {
			if inside || !filter.keeps(&item.epc, lot, event) {
				continue;
			}
			// A place is the acting organization as the export names it: built only when
			// the query asks for places.
			if filter.asks_places() {
				let place = export::location(event.org, &directory);
				let shipped = matches!(event.kind, pallet_provenance::EventKind::Shipped { .. });
				let biz_location = (!shipped).then_some(place.as_str());
				if !filter.keeps_place(Some(&place), biz_location) {
					continue;
				}
			}
			if filter.asks_event_ids() {
				let json = export::event(&item.epc, event, lot_of(item), &directory);
				if !filter.keeps_id(json["eventID"].as_str().unwrap_or_default()) {
					continue;
				}
			}
			found.push((event.at, i, e));
		}
	}
	// In time order, each item's entries in its history's order.
	found.sort_by_key(|(at, _, _)| *at);
	if filter.descending {
		found.reverse();
	}
	if single && found.is_empty() {
		return problem(
			StatusCode::NOT_FOUND,
			"NoSuchResourceException",
			"no event of the chain has this eventID (or you may not read it)",
		);
	}
	if let Some(most) = filter.max_event_count {
		if found.len() > most {
			return problem(
				StatusCode::PAYLOAD_TOO_LARGE,
				"QueryTooLargeException",
				format!(
					"{} events match, more than maxEventCount={most}: narrow the query",
					found.len()
				),
			);
		}
	}
	if let Some(limit) = filter.event_count_limit {
		found.truncate(limit);
	}
	let total = found.len();
	let page: Vec<Json> = found
		.into_iter()
		.skip(filter.offset)
		.take(filter.per_page)
		.map(|(_, i, e)| {
			let item = &traced[i];
			export::event(&item.epc, &item.events[e], lot_of(item), &directory)
		})
		.collect();
	let next = filter.offset.saturating_add(filter.per_page);
	let mut answer = ok(export::query_document(page, now));
	if next < total {
		let link = format!("<{url}?{}>; rel=\"next\"", filter.query_with_token(next));
		answer.headers.push(("Link", link));
	}
	answer
}

/// Undoes percent-encoding in a path segment (eventIDs and URIs carry `/`, `:` and `;`).
fn percent_decode(segment: &str) -> String {
	form_urlencoded::parse(format!("x={}", segment.replace('+', "%2B")).as_bytes())
		.next()
		.map(|(_, v)| v.into_owned())
		.unwrap_or_default()
}

#[cfg(test)]
mod tests;
