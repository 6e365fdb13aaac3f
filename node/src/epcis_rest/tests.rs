//! The EPCIS interface answered without a socket, over a chain where a manufacturer
//! commissioned, packed and shipped units and a distributor received them; as a member, a
//! patient and an anonymous caller. client-js's `epcis.test.js` validates what a real node
//! serves against the EPCIS 2.0 JSON schema.

use crate::{
	chain_spec::ChainSpec,
	client::Client,
	db::ChainDb,
	fhir_rest::{tests::token, Answer, FhirRest},
	rpc::{
		auth::{Auth, AuthSettings},
		handlers::Handlers,
		tests::{commit_block, node_over},
	},
};
use carechain_interop::epcis::hash;
use carechain_runtime::RuntimeCall;
use http::{Method, StatusCode};
use pallet_provenance::{Call, Epc, Sgtin};
use serde_json::Value as Json;
use sp_core::H256;
use sp_keyring::Ed25519Keyring;
use std::sync::Arc;

const BASE: &str = "http://127.0.0.1:9955/fhir";
const GTIN: [u8; 14] = *b"10614141073464";
const CASE: [u8; 18] = *b"106141412345678908";
/// One Pharmaceuticals and Two Distribution of the development chain.
const MANUFACTURER_GLN: &str = "0614141000005";
const DISTRIBUTOR: u32 = 4;

fn unit(serial: &str) -> Epc {
	Epc::Unit(Sgtin { gtin: GTIN, serial: serial.as_bytes().to_vec().try_into().unwrap() })
}

/// The dev chain after block 1 (One registers a product, commissions units 1 to 3 of lot L7,
/// packs 1 and 2 into a case and ships it to Two) and block 2 (Two receives the case).
fn interface() -> (Arc<FhirRest>, Arc<Auth>, tempfile::TempDir) {
	let dir = tempfile::tempdir().unwrap();
	let spec = Arc::new(ChainSpec::development());
	let client = Arc::new(Client::open(ChainDb::open(dir.path()).unwrap(), &spec.genesis).unwrap());
	let serial = |s: &str| s.as_bytes().to_vec().try_into().unwrap();
	let one = [
		Call::register_product { gtin: GTIN, description_hash: H256::repeat_byte(1) },
		Call::commission {
			gtin: GTIN,
			lot: serial("L7"),
			expiry: 20_849,
			serials: vec![serial("1"), serial("2"), serial("3")],
		},
		Call::aggregate { parent: CASE, children: vec![unit("1"), unit("2")] },
		Call::ship { epc: Epc::Container(CASE), to: DISTRIBUTOR },
	];
	let blocks = [
		(
			1_780_000_000_000u64,
			one.into_iter().map(|c| (Ed25519Keyring::One, c)).collect::<Vec<_>>(),
		),
		(
			1_780_000_006_000,
			vec![(Ed25519Keyring::Two, Call::receive { epc: Epc::Container(CASE) })],
		),
	];
	let mut nonces = std::collections::HashMap::new();
	for (now, calls) in blocks {
		let extrinsics: Vec<_> = calls
			.into_iter()
			.map(|(who, call)| {
				let nonce = nonces.entry(who).or_insert(0u32);
				let signed = crate::extrinsic::sign(
					&who.pair(),
					*nonce,
					RuntimeCall::Provenance(call),
					client.genesis_hash(),
				);
				*nonce += 1;
				signed
			})
			.collect();
		commit_block(&client, now, &extrinsics);
	}
	let node = node_over(client);
	let settings = AuthSettings { enforce: false, ..Default::default() };
	let auth = Auth::new(node.clone(), zeroize::Zeroizing::new([7; 32]), settings);
	(FhirRest::new(Handlers::new(node, spec), auth.clone(), 8), auth, dir)
}

fn get(rest: &FhirRest, path_and_query: &str, token: Option<&str>) -> Answer {
	let (path, query) = match path_and_query.split_once('?') {
		Some((path, query)) => (path, Some(query)),
		None => (path_and_query, None),
	};
	rest.answer(&Method::GET, path, query, token, BASE)
}

fn events(answer: &Answer) -> Vec<Json> {
	assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
	assert_eq!(answer.body["type"], "EPCISQueryDocument");
	answer.body["epcisBody"]["queryResults"]["resultsBody"]["eventList"].as_array().unwrap().clone()
}

/// Each event as (type, bizStep, the item it lists).
fn summary(events: &[Json]) -> Vec<(String, String, String)> {
	events
		.iter()
		.map(|e| {
			let item = e["epcList"].get(0).or_else(|| e["childEPCs"].get(0)).unwrap();
			let text = |v: &Json| v.as_str().unwrap().to_owned();
			(
				text(&e["type"]),
				text(&e["bizStep"]),
				text(item).rsplit('/').next().unwrap().to_owned(),
			)
		})
		.collect()
}

fn problem(answer: &Answer, status: StatusCode, exception: &str) -> String {
	assert_eq!(answer.status, status, "{:#}", answer.body);
	assert_eq!(answer.content_type, super::PROBLEM_JSON);
	assert_eq!(answer.body["type"], format!("epcisException:{exception}"), "{:#}", answer.body);
	answer.body["detail"].as_str().unwrap().to_owned()
}

#[test]
fn members_read_the_supply_chain_and_no_one_else_does() {
	let (rest, auth, _dir) = interface();
	let detail =
		problem(&get(&rest, "/epcis/events", None), StatusCode::UNAUTHORIZED, "SecurityException");
	assert!(detail.contains("Authorization: Bearer"), "{detail}");
	problem(
		&get(&rest, "/epcis/events", Some("forged")),
		StatusCode::UNAUTHORIZED,
		"SecurityException",
	);
	// A patient is no member of the supply chain.
	let eve = token(&auth, Ed25519Keyring::Eve);
	problem(&get(&rest, "/epcis/events", Some(&eve)), StatusCode::FORBIDDEN, "SecurityException");
	let path = format!("/epcis/epcs/{}/events", "urn:epc:id:sgtin:0614141.107346.1");
	problem(&get(&rest, &path, Some(&eve)), StatusCode::FORBIDDEN, "SecurityException");
	// The discovery collections are public.
	let types = get(&rest, "/epcis/eventTypes", None);
	assert_eq!(types.body["member"], serde_json::json!(["ObjectEvent", "AggregationEvent"]));
	// Capture is refused: events enter as signed calls.
	let posted = rest.answer(&Method::POST, "/epcis/events", None, Some(&eve), BASE);
	let detail = problem(&posted, StatusCode::METHOD_NOT_ALLOWED, "ImplementationException");
	assert!(detail.contains("carechain provenance import"), "{detail}");
}

#[test]
fn every_event_is_there_with_its_hash_in_time_order() {
	let (rest, auth, _dir) = interface();
	let two = token(&auth, Ed25519Keyring::Two);
	let all = events(&get(&rest, "/epcis/events", Some(&two)));
	let mut summary = summary(&all);
	let received = summary.split_off(6);
	summary.sort();
	// Block 1: three commissionings, two packings, the case shipped (the units in it move as
	// its event); block 2: the case received.
	let objects = |step: &str, items: &[&str]| {
		items
			.iter()
			.map(|i| ("ObjectEvent".to_owned(), step.to_owned(), (*i).to_owned()))
			.collect::<Vec<_>>()
	};
	let mut expected = [
		objects("commissioning", &["1", "2", "3"]),
		vec![
			("AggregationEvent".into(), "packing".into(), "1".into()),
			("AggregationEvent".into(), "packing".into(), "2".into()),
		],
		objects("shipping", &["106141412345678908"]),
	]
	.concat();
	expected.sort();
	assert_eq!(summary, expected);
	let mut received = received;
	received.sort();
	assert_eq!(received, objects("receiving", &["106141412345678908"]));
	let prefixes = hash::prefixes(&Json::Null);
	for event in &all {
		let id = event["eventID"].as_str().unwrap();
		assert_eq!(hash::event_id(event.as_object().unwrap(), &prefixes, hash::Profile::Cbv2), id);
	}
	// The manufacturer is named by its GLN, in Digital Link form.
	let commissioning = all.iter().find(|e| e["bizStep"] == "commissioning").unwrap();
	assert_eq!(
		commissioning["readPoint"]["id"],
		format!("https://id.gs1.org/414/{MANUFACTURER_GLN}")
	);
	assert_eq!(commissioning["ilmd"]["cbvmda:lotNumber"], "L7");
	// Within a block, each item's entries keep their order: a unit's commissioning before its
	// packing.
	let position = |step: &str, item: &str| {
		all.iter()
			.position(|e| {
				e["bizStep"] == step
					&& (e.get("epcList").or(e.get("childEPCs")).unwrap()[0]
						.as_str()
						.unwrap()
						.ends_with(item))
			})
			.unwrap()
	};
	assert!(position("commissioning", "/21/1") < position("packing", "/21/1"));
	// One event by its id; an unknown id is 404.
	let id = all[4]["eventID"].as_str().unwrap();
	let encoded: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
	let one = events(&get(&rest, &format!("/epcis/events/{encoded}"), Some(&two)));
	assert_eq!(one, vec![all[4].clone()]);
	let unknown =
		form_urlencoded::byte_serialize(b"ni:///sha-256;00?ver=CBV2.0").collect::<String>();
	problem(
		&get(&rest, &format!("/epcis/events/{unknown}"), Some(&two)),
		StatusCode::NOT_FOUND,
		"NoSuchResourceException",
	);
}

#[test]
fn queries_by_epc_lot_product_type_step_place_and_time() {
	let (rest, auth, _dir) = interface();
	let one = token(&auth, Ed25519Keyring::One);
	let query = |q: &str| summary(&events(&get(&rest, &format!("/epcis/events?{q}"), Some(&one))));
	let steps = |q: &str| {
		query(q).into_iter().map(|(_, step, item)| format!("{step} {item}")).collect::<Vec<_>>()
	};
	// By unit, as a URN or a Digital Link URI, and by the named form.
	let unit_one = ["commissioning 1", "packing 1"];
	assert_eq!(steps("MATCH_epc=urn:epc:id:sgtin:0614141.107346.1"), unit_one);
	assert_eq!(
		steps("MATCH_epc=https%3A%2F%2Fid.gs1.org%2F01%2F10614141073464%2F21%2F1"),
		unit_one
	);
	let named =
		events(&get(&rest, "/epcis/epcs/urn:epc:id:sgtin:0614141.107346.1/events", Some(&one)));
	assert_eq!(summary(&named).len(), 2);
	// The case: its own events by MATCH_epc; with what was packed into it by MATCH_anyEPC.
	assert_eq!(
		steps("MATCH_epc=urn:epc:id:sscc:0614141.1234567890"),
		["shipping 106141412345678908", "receiving 106141412345678908"]
	);
	// One call packed both: events of one block are in no order between items.
	let mut packed = steps("MATCH_parentID=urn:epc:id:sscc:0614141.1234567890");
	packed.sort();
	assert_eq!(packed, ["packing 1", "packing 2"]);
	assert_eq!(query("MATCH_anyEPC=urn:epc:id:sscc:0614141.1234567890").len(), 4);
	// By lot and by product: every unit's events.
	assert_eq!(query("MATCH_epc=urn:epc:class:lgtin:0614141.107346.L7").len(), 5);
	assert_eq!(query("MATCH_epc=urn:epc:class:lgtin:0614141.107346.L8").len(), 0);
	assert_eq!(query("MATCH_epc=urn:epc:idpat:sgtin:0614141.107346.*").len(), 5);
	// By type, step (word or CBV URI) and disposition.
	assert_eq!(query("eventType=AggregationEvent").len(), 2);
	assert_eq!(query("eventType=AggregationEvent|ObjectEvent").len(), 7);
	assert_eq!(query("EQ_bizStep=https%3A%2F%2Fref.gs1.org%2Fcbv%2FBizStep-receiving").len(), 1);
	assert_eq!(query("EQ_disposition=in_transit&EQ_action=OBSERVE").len(), 1);
	// By place: the manufacturer's site, or the distributor's.
	assert_eq!(
		query(&format!("EQ_readPoint=https%3A%2F%2Fid.gs1.org%2F414%2F{MANUFACTURER_GLN}")).len(),
		6
	);
	assert_eq!(query("EQ_bizLocation=urn:epc:id:sgln:0800000.00002.0").len(), 1);
	// By time: block 2's receipts only; none before block 1.
	assert_eq!(query("GE_eventTime=2026-05-28T20:26:43Z").len(), 1);
	assert_eq!(query("LT_eventTime=2026-05-28T20:26:40Z").len(), 0);
	assert_eq!(
		query("GE_eventTime=2026-05-28T22:26:40%2B02:00&LT_eventTime=2026-05-28T20:26:41Z").len(),
		6
	);
	// Newest first.
	assert_eq!(query("orderDirection=DESC")[0].1, "receiving");
}

#[test]
fn pages_follow_the_next_link_to_the_end() {
	let (rest, auth, _dir) = interface();
	let two = token(&auth, Ed25519Keyring::Two);
	let (pages, links) = follow(&rest, "/epcis/events?perPage=2&eventType=ObjectEvent", &two);
	assert!(
		links.iter().all(|l| l.contains("eventType=ObjectEvent")),
		"the filter is kept: {links:?}"
	);
	let seen: Vec<String> =
		pages.iter().flat_map(events).map(|e| e["eventID"].as_str().unwrap().to_owned()).collect();
	assert_eq!(seen.len(), 5);
	let unique: std::collections::BTreeSet<_> = seen.iter().collect();
	assert_eq!(unique.len(), 5, "no event twice across pages");
	// A named form's link repeats its path, not its parameter.
	let (pages, links) = follow(&rest, "/epcis/eventTypes/ObjectEvent/events?perPage=2", &two);
	assert_eq!(pages.len(), 3);
	assert!(links.iter().all(|l| !l.contains("eventType=")), "{links:?}");
}

/// Every page of a query and the links followed, each link to the same path.
fn follow(rest: &FhirRest, first: &str, token: &str) -> (Vec<Answer>, Vec<String>) {
	let mut path = first.to_owned();
	let (mut pages, mut links) = (vec![], vec![]);
	loop {
		let answer = get(rest, &path, Some(token));
		assert_eq!(answer.status, StatusCode::OK, "{path}: {:#}", answer.body);
		assert!(events(&answer).len() <= 2);
		let link = answer.headers.iter().find(|(name, _)| *name == "Link").map(|(_, l)| l.clone());
		pages.push(answer);
		let Some(link) = link else { return (pages, links) };
		let url = link.strip_prefix('<').and_then(|l| l.split_once(">; rel=\"next\"")).unwrap().0;
		let (here, _) = first.split_once('?').unwrap();
		assert!(url.starts_with(&format!("http://127.0.0.1:9955{here}?")), "{url}");
		path = url.trim_start_matches("http://127.0.0.1:9955").to_owned();
		links.push(url.to_owned());
	}
}

#[test]
fn bad_queries_say_which_parameter_and_why() {
	let (rest, auth, _dir) = interface();
	let two = token(&auth, Ed25519Keyring::Two);
	for (query, says) in [
		("EQ_quantity=5", "EQ_quantity is not supported"),
		("GE_eventTime=yesterday", "GE_eventTime"),
		("perPage=0", "perPage"),
		("perPage=100000", "perPage"),
		("eventType=Robot", "Robot"),
		("nextPageToken=abc", "nextPageToken"),
		("MATCH_epc=a&MATCH_epc=b", "more than once"),
		("MATCH_epc=a||b", "none empty"),
		("orderDirection=UP", "ASC or DESC"),
	] {
		let answer = get(&rest, &format!("/epcis/events?{query}"), Some(&two));
		let detail = problem(&answer, StatusCode::BAD_REQUEST, "QueryParameterException");
		assert!(detail.contains(says), "{query}: {detail}");
	}
	let answer = get(&rest, "/epcis/events?maxEventCount=3", Some(&two));
	let detail = problem(&answer, StatusCode::PAYLOAD_TOO_LARGE, "QueryTooLargeException");
	assert!(detail.contains("more than maxEventCount=3"), "{detail}");
	let many = (0..101)
		.map(|i| format!("urn:epc:id:sgtin:0614141.107346.{i}"))
		.collect::<Vec<_>>()
		.join("|");
	let answer = get(&rest, &format!("/epcis/events?MATCH_epc={many}"), Some(&two));
	problem(&answer, StatusCode::BAD_REQUEST, "QueryParameterException");
	let answer =
		get(&rest, "/epcis/eventTypes/ObjectEvent/events?eventType=AggregationEvent", Some(&two));
	problem(&answer, StatusCode::BAD_REQUEST, "QueryParameterException");
	let answer = get(&rest, "/epcis/nowhere", Some(&two));
	problem(&answer, StatusCode::NOT_FOUND, "NoSuchResourceException");
	// eventCountLimit truncates instead.
	assert_eq!(events(&get(&rest, "/epcis/events?eventCountLimit=3", Some(&two))).len(), 3);
}
