//! The FHIR interface answered without a socket, as a member, a stranger and an anonymous
//! caller; the journey with a real FHIR client runs in client-js's `fhir.test.js`.

use super::*;
use crate::rpc::auth::{AuthApiServer as _, AuthRpc, AuthSettings};
use carechain_interop::fhir as map;
use codec::Encode;
use sp_core::Pair as _;
use sp_keyring::Ed25519Keyring;
use std::net::SocketAddr;

const BASE: &str = "http://127.0.0.1:9955/fhir";

fn interface() -> (Arc<FhirRest>, Arc<Auth>, tempfile::TempDir) {
	interface_with_key([7; 32])
}

fn interface_with_key(key: [u8; 32]) -> (Arc<FhirRest>, Arc<Auth>, tempfile::TempDir) {
	let (node, spec, dir) = crate::rpc::tests::dev_node();
	// RPC's own checks are off, as on a --dev node: the FHIR interface asks for a session anyway.
	let settings = AuthSettings { enforce: false, ..Default::default() };
	let auth = Auth::new(node.clone(), zeroize::Zeroizing::new(key), settings);
	(FhirRest::new(Handlers::new(node, spec), auth.clone(), 8), auth, dir)
}

/// A session token of `who` on `auth`'s node.
pub(crate) fn token(auth: &Arc<Auth>, who: Ed25519Keyring) -> String {
	let account = who.to_account_id();
	let challenge = AuthRpc(auth.clone()).challenge(account.clone()).unwrap();
	let message = auth::sign_in_message(&challenge.genesis_hash, &challenge.challenge, &account);
	let signature = sp_runtime::MultiSignature::from(who.pair().sign(&message));
	auth.sign_in(account, challenge.challenge, &signature.encode()).unwrap().token
}

fn get(rest: &FhirRest, path_and_query: &str, token: Option<&str>) -> Answer {
	let (path, query) = match path_and_query.split_once('?') {
		Some((path, query)) => (path, Some(query)),
		None => (path_and_query, None),
	};
	rest.answer(&Method::GET, path, query, token, BASE)
}

fn diagnostics(answer: &Answer) -> &str {
	assert_eq!(answer.body["resourceType"], "OperationOutcome", "{:#}", answer.body);
	carechain_fhir::validate_value(&answer.body).expect("an OperationOutcome R4 accepts");
	answer.body["issue"][0]["diagnostics"].as_str().unwrap()
}

#[test]
fn metadata_is_public_and_a_capability_statement_r4_accepts() {
	let (rest, _, _dir) = interface();
	let answer = get(&rest, "/fhir/metadata", None);
	assert_eq!(answer.status, StatusCode::OK);
	assert_eq!(
		carechain_fhir::validate_value(&answer.body).unwrap(),
		carechain_primitives::FhirResourceType::Other
	);
	let served: Vec<&str> = answer.body["rest"][0]["resource"]
		.as_array()
		.unwrap()
		.iter()
		.map(|r| r["type"].as_str().unwrap())
		.collect();
	assert_eq!(
		served,
		[
			"Consent",
			"AuditEvent",
			"DocumentReference",
			"Provenance",
			"Claim",
			"ClaimResponse",
			"ResearchStudy",
			"ResearchSubject",
			"Appointment",
			"Encounter"
		]
	);
}

#[test]
fn every_read_and_search_needs_a_valid_session() {
	let (rest, _, _dir) = interface();
	let patient = map::account_id(&Ed25519Keyring::Eve.to_account_id());
	for path in [
		format!("/fhir/Consent?patient={patient}"),
		format!("/fhir/AuditEvent?patient={patient}"),
		format!("/fhir/DocumentReference?patient={patient}"),
		"/fhir/Consent/0".to_owned(),
	] {
		let anonymous = get(&rest, &path, None);
		assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
		assert!(diagnostics(&anonymous).contains("Authorization: Bearer"), "{path}");
		let forged = get(&rest, &path, Some("not-a-token"));
		assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{path}");
	}
	// A token of another node (another key) is refused here.
	let (_other, other_auth, _other_dir) = interface_with_key([8; 32]);
	let foreign = token(&other_auth, Ed25519Keyring::Bob);
	let answer = get(&rest, &format!("/fhir/Consent?patient={patient}"), Some(&foreign));
	assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[test]
fn a_stranger_may_not_read_a_patients_consents_or_audit_trail() {
	let (rest, auth, _dir) = interface();
	let bob = token(&auth, Ed25519Keyring::Bob);
	let eve = map::account_id(&Ed25519Keyring::Eve.to_account_id());
	for path in [format!("/fhir/Consent?patient={eve}"), format!("/fhir/AuditEvent?patient={eve}")]
	{
		let answer = get(&rest, &path, Some(&bob));
		assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}: {:#}", answer.body);
		diagnostics(&answer);
	}
	// Records: a stranger sees none, as an empty searchset that does not say how many there are.
	let records = get(
		&rest,
		&format!("/fhir/DocumentReference?patient=Patient/{eve}&type=Observation"),
		Some(&bob),
	);
	assert_eq!(records.status, StatusCode::OK, "{:#}", records.body);
	assert!(records.body.get("total").is_none() && records.body.get("entry").is_none());
	// Its self link is the same search: the filters stay.
	assert!(records.body["link"][0]["url"].as_str().unwrap().contains("type=Observation"));
	carechain_fhir::validate_value(&records.body).expect("a searchset R4 accepts");
	// A read by id does not say whose it is.
	let unknown = get(&rest, &format!("/fhir/DocumentReference/{}", "ab".repeat(32)), Some(&bob));
	assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[test]
fn bad_requests_say_what_was_wrong() {
	let (rest, auth, _dir) = interface();
	let bob = token(&auth, Ed25519Keyring::Bob);
	let eve = map::account_id(&Ed25519Keyring::Eve.to_account_id());
	let cases = [
		("/fhir/Consent", StatusCode::BAD_REQUEST, "needs patient="),
		("/fhir/Consent?patient=nobody", StatusCode::BAD_REQUEST, "is not a Patient reference"),
		(
			&*format!("/fhir/Consent?patient={eve}&patient={eve}"),
			StatusCode::BAD_REQUEST,
			"given 2 times",
		),
		(
			&*format!("/fhir/Consent?patient={eve}&colour=red"),
			StatusCode::BAD_REQUEST,
			"\"colour\"",
		),
		(
			&*format!("/fhir/Consent?patient={eve}&status=maybe"),
			StatusCode::BAD_REQUEST,
			"active or inactive",
		),
		(
			&*format!("/fhir/AuditEvent?patient={eve}&date=yesterday"),
			StatusCode::BAD_REQUEST,
			"not a FHIR search date",
		),
		(
			&*format!("/fhir/AuditEvent?patient={eve}&_count=many"),
			StatusCode::BAD_REQUEST,
			"not a whole number",
		),
		(&*format!("/fhir/Patient?patient={eve}"), StatusCode::NOT_FOUND, "is not served here"),
		("/fhir/Consent/abc", StatusCode::NOT_FOUND, "consent ids are numbers"),
		("/fhir/Consent/0/_history", StatusCode::NOT_FOUND, "is not served"),
		("/fhir/AuditEvent/xyz", StatusCode::NOT_FOUND, "<patient>-<index>"),
		("/fhir/DocumentReference/12", StatusCode::NOT_FOUND, "64 hex digits"),
		("/other", StatusCode::NOT_FOUND, "under /fhir/"),
		("/fhir/Claim", StatusCode::BAD_REQUEST, "needs patient=, provider= or insurer="),
		("/fhir/Claim/claim-7", StatusCode::NOT_FOUND, "is not known"),
		("/fhir/ClaimResponse/x", StatusCode::NOT_FOUND, "claim-<number>"),
		("/fhir/ResearchStudy/carechain-study-3", StatusCode::NOT_FOUND, "is not known"),
		("/fhir/ResearchStudy/3", StatusCode::NOT_FOUND, "carechain-study-<number>"),
		(
			"/fhir/ResearchSubject?study=ResearchStudy/carechain-study-3",
			StatusCode::BAD_REQUEST,
			"needs study=",
		),
		("/fhir/Appointment/carechain-appointment-9", StatusCode::NOT_FOUND, "is not known"),
		(
			"/fhir/Encounter/carechain-appointment-9",
			StatusCode::NOT_FOUND,
			"carechain-encounter-<number>",
		),
	];
	for (path, status, says) in cases {
		let answer = get(&rest, path, Some(&bob));
		assert_eq!(answer.status, status, "{path}: {:#}", answer.body);
		assert!(diagnostics(&answer).contains(says), "{path}: {}", diagnostics(&answer));
	}
	let many: String = (0..40).map(|i| format!("a{i}=1&")).collect();
	let answer = get(&rest, &format!("/fhir/Consent?{many}"), Some(&bob));
	assert_eq!(answer.status, StatusCode::BAD_REQUEST);
	let post = rest.answer(&Method::POST, "/fhir/Consent", None, Some(&bob), BASE);
	assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
	assert!(diagnostics(&post).contains("read-only"));
}

#[test]
fn search_dates_cover_their_precision() {
	use search::DateParam;
	let day = DateParam::parse("date", "2026-12-05").unwrap();
	let start = 1_796_428_800_000; // 2026-12-05T00:00:00Z
	assert!(day.matches(start) && day.matches(start + 86_399_999));
	assert!(!day.matches(start - 1) && !day.matches(start + 86_400_000));
	let ge = DateParam::parse("date", "ge2026-12").unwrap();
	assert!(ge.matches(start) && !ge.matches(start - 5 * 86_400_000));
	let lt = DateParam::parse("date", "lt2026").unwrap();
	assert!(!lt.matches(start) && lt.matches(1_767_225_599_999));
	let instant = DateParam::parse("date", "2026-12-05T01:00:00+01:00").unwrap();
	assert!(instant.matches(start) && !instant.matches(start + 1_000));
	let utc = DateParam::parse("date", "le2026-12-05T00:00:00Z").unwrap();
	assert!(utc.matches(start) && !utc.matches(start + 1_000));
	for bad in ["", "26", "2026-13", "2026-12-05T25:00:00Z", "xx2026", "2026/12/05"] {
		assert!(DateParam::parse("date", bad).is_err(), "{bad}");
	}
}

/// Talks raw HTTP/1.1 to a served interface: one request, the whole answer (the server closes
/// after answering, `Connection: close`).
async fn exchange(address: SocketAddr, request: &str) -> String {
	use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
	let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
	stream.write_all(request.as_bytes()).await.unwrap();
	let mut answer = Vec::new();
	let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
	String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_speaks_fhir_json_over_http_and_bounds_idle_and_crowding_connections() {
	use tokio::io::AsyncReadExt as _;
	let (rest, auth, _dir) = interface();
	let settings = FhirSettings {
		max_connections_per_ip: 2,
		header_timeout: Duration::from_secs(4),
		..FhirSettings::new(SocketAddr::from(([127, 0, 0, 1], 0)))
	};
	let address = serve(&settings, rest).await.unwrap();

	let metadata =
		exchange(address, "GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			.await;
	assert!(metadata.starts_with("HTTP/1.1 200"), "{metadata}");
	assert!(metadata.contains("content-type: application/fhir+json"), "{metadata}");
	assert!(metadata.contains("access-control-allow-origin: *"));
	assert!(metadata.contains("\"CapabilityStatement\""));

	let preflight =
		exchange(address, "OPTIONS /fhir/Consent HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			.await;
	assert!(preflight.starts_with("HTTP/1.1 204"), "{preflight}");
	assert!(preflight.contains("access-control-allow-headers: authorization"), "{preflight}");

	// The bearer scheme is case-insensitive; the token is checked all the same.
	let bob = token(&auth, Ed25519Keyring::Bob);
	let eve = map::account_id(&Ed25519Keyring::Eve.to_account_id());
	let search = format!(
		"GET /fhir/DocumentReference?patient={eve} HTTP/1.1\r\nHost: x\r\nAuthorization: bEaReR {bob}\r\nConnection: close\r\n\r\n"
	);
	assert!(exchange(address, &search).await.starts_with("HTTP/1.1 200"));
	let forged = search.replace(&bob, "forged");
	assert!(exchange(address, &forged).await.starts_with("HTTP/1.1 401"));

	// A connection that never sends its headers is closed after the header timeout.
	let mut idle = tokio::net::TcpStream::connect(address).await.unwrap();
	let mut buffer = [0u8; 64];
	let closed = tokio::time::timeout(Duration::from_secs(15), idle.read(&mut buffer)).await;
	assert!(closed.is_ok(), "an idle connection is not kept past the header timeout");

	// Past the per-address share, a connection is closed at once, while two others idle.
	let _first = tokio::net::TcpStream::connect(address).await.unwrap();
	let _second = tokio::net::TcpStream::connect(address).await.unwrap();
	tokio::time::sleep(Duration::from_millis(50)).await;
	let mut third = tokio::net::TcpStream::connect(address).await.unwrap();
	// Refused at once, well before the others' header timeout would free their slots.
	let read = tokio::time::timeout(Duration::from_millis(2_500), third.read(&mut buffer)).await;
	assert!(
		matches!(read, Ok(Ok(0)) | Ok(Err(_))),
		"the third connection from one address is refused: {read:?}"
	);
}
