//! Attacks on the new spec's reads, against the node's real RPC server with authentication, on
//! a dev chain at genesis: whatever `state_getStorage`, `chain_getBlock` and `state_call`
//! refuse a caller (anonymous, a patient), `chainHead_v1_storage`, `chainHead_v1_body`,
//! `chainHead_v1_call` and `chainHead_v1_continue` refuse with the same code and message, and a
//! member gets the same values from both; `archive_v1_*` likewise. Another connection cannot
//! read through someone else's follow subscription.

#![allow(clippy::arithmetic_side_effects)]

use carechain_node::{
	chain_spec::ChainSpec,
	client::Client,
	db::ChainDb,
	pool::{Pool, PoolLimits},
	rpc::{
		auth::{self, Auth, AuthSettings, FORBIDDEN, UNAUTHENTICATED},
		handlers::Handlers,
		module_with_auth, start, RpcSettings,
	},
	service::Node,
	signatures::BatchVerifier,
};
use jsonrpsee::{
	core::client::{
		ClientT, Error as ClientError, Subscription, SubscriptionClientT, SubscriptionKind,
	},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use serde_json::{json, Value as Json};
use sp_keyring::Ed25519Keyring;
use std::{net::SocketAddr, sync::Arc, time::Duration};

async fn serve(dir: &std::path::Path) -> (SocketAddr, jsonrpsee::server::ServerHandle) {
	let spec = Arc::new(ChainSpec::development());
	let client =
		Arc::new(Client::open(ChainDb::open(&dir.join("db")).unwrap(), &spec.genesis).unwrap());
	let verifier = carechain_gpu::Verifier::new(carechain_gpu::Mode::Cpu).unwrap();
	let node = Node::new(
		client,
		Arc::new(Pool::new(PoolLimits::default())),
		Arc::new(BatchVerifier::new(verifier)),
	);
	let key = zeroize::Zeroizing::new([1u8; 32]);
	let auth = Auth::open(node.clone(), key, AuthSettings::default(), &dir.join("rpc/revocations"))
		.unwrap();
	let module = module_with_auth(Handlers::new(node, spec), None, Some(auth.clone())).unwrap();
	let settings = RpcSettings {
		auth: Some(auth),
		..RpcSettings::new("127.0.0.1:0".parse().unwrap(), 16 << 20)
	};
	let (handle, address) = start(&settings, module).await.unwrap();
	(address, handle)
}

async fn connect(address: SocketAddr, who: Option<Ed25519Keyring>) -> WsClient {
	let mut headers = http::HeaderMap::new();
	if let Some(who) = who {
		let http = jsonrpsee::http_client::HttpClientBuilder::default()
			.build(format!("http://{address}"))
			.unwrap();
		let grant = auth::sign_in(&http, &who.pair()).await.unwrap();
		let bearer = format!("Bearer {}", grant.token);
		headers.insert(http::header::AUTHORIZATION, bearer.parse().unwrap());
	}
	WsClientBuilder::default().set_headers(headers).build(format!("ws://{address}")).await.unwrap()
}

/// Follows the head: the subscription, its id and the finalized head it reported.
async fn follow(rpc: &WsClient) -> (Subscription<Json>, Json, Json) {
	let mut sub: Subscription<Json> = rpc
		.subscribe("chainHead_v1_follow", rpc_params![true], "chainHead_v1_unfollow")
		.await
		.expect("following is public");
	let SubscriptionKind::Subscription(id) = sub.kind().clone() else { panic!("a subscription") };
	let initialized = next(&mut sub).await;
	let head = initialized["finalizedBlockHashes"][0].clone();
	(sub, serde_json::to_value(id).unwrap(), head)
}

async fn next(sub: &mut Subscription<Json>) -> Json {
	let event = tokio::time::timeout(Duration::from_secs(10), sub.next()).await;
	event.expect("an event within 10 s").expect("open").unwrap()
}

/// The refusal of a call, or None when it was answered.
fn refusal<T: std::fmt::Debug>(result: &Result<T, ClientError>) -> Option<(i32, String)> {
	match result {
		Ok(_) => None,
		Err(ClientError::Call(e)) => Some((e.code(), e.message().to_owned())),
		Err(other) => panic!("expected an answer or a JSON-RPC error, got {other:?}"),
	}
}

/// The items of a storage operation, up to its end (continuing each page).
async fn items(rpc: &WsClient, sub: &mut Subscription<Json>, id: &Json, op: &str) -> Vec<Json> {
	let mut items = Vec::new();
	loop {
		let event = next(sub).await;
		assert_eq!(event["operationId"], op, "{event}");
		match event["event"].as_str().unwrap() {
			"operationStorageItems" => items.extend(event["items"].as_array().unwrap().clone()),
			"operationWaitingForContinue" => {
				let _: Json =
					rpc.request("chainHead_v1_continue", rpc_params![id, op]).await.unwrap();
			}
			"operationStorageDone" => return items,
			other => panic!("unexpected {other}: {event}"),
		}
	}
}

/// The refusal of the new-spec call `new` (by `new_method`), with its method named as its
/// legacy twin's: refusals name the method refused, and are otherwise the same.
fn as_twin<T: std::fmt::Debug>(
	new: &Result<T, ClientError>,
	new_method: &str,
	legacy_method: &str,
) -> Option<(i32, String)> {
	refusal(new).map(|(code, message)| (code, message.replace(new_method, legacy_method)))
}

fn system_number() -> String {
	format!(
		"0x{}{}",
		hex::encode(sp_io::hashing::twox_128(b"System")),
		hex::encode(sp_io::hashing::twox_128(b"Number"))
	)
}

#[tokio::test]
async fn chain_head_reads_are_refused_exactly_as_their_legacy_twins_are() {
	let dir = tempfile::tempdir().unwrap();
	let (address, _handle) = serve(dir.path()).await;
	let account = format!("0x{}", hex::encode(sp_io::hashing::twox_128(b"System")));
	let cases = [
		(None, Some(UNAUTHENTICATED)),
		(Some(Ed25519Keyring::Eve), Some(FORBIDDEN)),
		(Some(Ed25519Keyring::Dave), None),
	];
	for (who, refused) in cases {
		let rpc = connect(address, who).await;
		let (mut sub, id, head) = follow(&rpc).await;

		// One key, as a value.
		let key = system_number();
		let legacy: Result<Json, _> =
			rpc.request("state_getStorage", rpc_params![&key, &head]).await;
		let query = json!([{ "key": key, "type": "value" }]);
		let new: Result<Json, _> =
			rpc.request("chainHead_v1_storage", rpc_params![&id, &head, query, None::<()>]).await;
		assert_eq!(refusal(&legacy).map(|r| r.0), refused, "{who:?}: {legacy:?}");
		let twin = as_twin(&new, "chainHead_v1_storage", "state_getStorage");
		assert_eq!(twin, refusal(&legacy), "{who:?}: the same refusal");
		if refused.is_none() {
			let op = new.unwrap()["operationId"].as_str().unwrap().to_owned();
			let got = items(&rpc, &mut sub, &id, &op).await;
			let value = legacy.unwrap();
			let expected = match value.is_null() {
				true => json!([]),
				false => json!([{ "key": key, "value": value }]),
			};
			assert_eq!(Json::from(got), expected, "the same value");
		}

		// A prefix, paged: refused at once, and continue is for members too.
		let query = json!([{ "key": account, "type": "descendantsValues" }]);
		let new: Result<Json, _> =
			rpc.request("chainHead_v1_storage", rpc_params![&id, &head, query]).await;
		let keys: Result<Json, _> =
			rpc.request("state_getKeysPaged", rpc_params![&account, 1000, None::<()>, &head]).await;
		let twin = as_twin(&new, "chainHead_v1_storage", "state_getKeysPaged");
		assert_eq!(twin, refusal(&keys), "{who:?}");
		let continued: Result<Json, _> =
			rpc.request("chainHead_v1_continue", rpc_params![&id, "1"]).await;
		assert_eq!(refusal(&continued).map(|r| r.0), refused, "{who:?}");
		if refused.is_none() {
			let op = new.unwrap()["operationId"].as_str().unwrap().to_owned();
			let got: Vec<Json> = items(&rpc, &mut sub, &id, &op)
				.await
				.into_iter()
				.map(|i| i["key"].clone())
				.collect();
			assert_eq!(Json::from(got), keys.unwrap(), "the same keys");
		}

		// Bodies as blocks, runtime calls as state_call.
		let legacy: Result<Json, _> = rpc.request("chain_getBlock", rpc_params![&head]).await;
		let new: Result<Json, _> = rpc.request("chainHead_v1_body", rpc_params![&id, &head]).await;
		assert_eq!(
			as_twin(&new, "chainHead_v1_body", "chain_getBlock"),
			refusal(&legacy),
			"{who:?}"
		);
		if let Ok(started) = new {
			let op = started["operationId"].clone();
			let done = next(&mut sub).await;
			assert_eq!(
				(done["event"].as_str(), &done["operationId"]),
				(Some("operationBodyDone"), &op)
			);
		}
		let call = "RecordsApi_records_by_patient";
		let legacy: Result<Json, _> = rpc.request("state_call", rpc_params![call, "0x"]).await;
		let new: Result<Json, _> =
			rpc.request("chainHead_v1_call", rpc_params![&id, &head, call, "0x"]).await;
		match refused {
			Some(_) => {
				let twin = as_twin(&new, "chainHead_v1_call", "state_call");
				assert_eq!(twin, refusal(&legacy), "{who:?}")
			}
			None => {
				assert_eq!(refusal(&legacy).map(|r| r.0), Some(4002), "the runtime refuses 0x");
				let done = next(&mut sub).await;
				assert_eq!(done["event"], "operationError", "{done}");
			}
		}

		// Public to all: the runtime identity and the metadata, by either method.
		let code = "0x3a636f6465";
		let legacy: Json = rpc.request("state_getStorage", rpc_params![code, &head]).await.unwrap();
		let query = json!([{ "key": code, "type": "value" }]);
		let started: Json =
			rpc.request("chainHead_v1_storage", rpc_params![&id, &head, query]).await.unwrap();
		let op = started["operationId"].as_str().unwrap().to_owned();
		let got = items(&rpc, &mut sub, &id, &op).await;
		assert_eq!(Json::from(got), json!([{ "key": code, "value": legacy }]), "{who:?}");
		let started: Json = rpc
			.request(
				"chainHead_v1_call",
				rpc_params![&id, &head, "Metadata_metadata_versions", "0x"],
			)
			.await
			.unwrap();
		assert_eq!(next(&mut sub).await["operationId"], started["operationId"]);
	}
}

#[tokio::test]
async fn archive_reads_are_refused_exactly_as_their_legacy_twins_are() {
	let dir = tempfile::tempdir().unwrap();
	let (address, _handle) = serve(dir.path()).await;
	let cases = [
		(None, Some(UNAUTHENTICATED)),
		(Some(Ed25519Keyring::Eve), Some(FORBIDDEN)),
		(Some(Ed25519Keyring::Dave), None),
	];
	for (who, refused) in cases {
		let rpc = connect(address, who).await;
		let head: Json = rpc.request("archive_v1_hashByHeight", rpc_params![0]).await.unwrap();
		let head = head[0].clone();
		assert!(head.is_string(), "{who:?}: heights are public");
		let header: Json = rpc.request("archive_v1_header", rpc_params![&head]).await.unwrap();
		assert!(header.is_string(), "{who:?}: headers are public");
		let subscribe = |method: &'static str, params| {
			let rpc = &rpc;
			async move {
				let unsubscribe = match method {
					"archive_v1_storage" => "archive_v1_stopStorage",
					_ => "archive_v1_stopStorageDiff",
				};
				rpc.subscribe::<Json, _>(method, params, unsubscribe).await
			}
		};

		// A raw key, as state_getStorage.
		let key = system_number();
		let legacy: Result<Json, _> =
			rpc.request("state_getStorage", rpc_params![&key, &head]).await;
		assert_eq!(refusal(&legacy).map(|r| r.0), refused, "{who:?}: {legacy:?}");
		let query = json!([{ "key": key, "type": "value" }]);
		let new = subscribe("archive_v1_storage", rpc_params![&head, query, None::<()>]).await;
		let twin = as_twin(&new, "archive_v1_storage", "state_getStorage");
		assert_eq!(twin, refusal(&legacy), "{who:?}: the same refusal");
		if let Ok(mut sub) = new {
			// At genesis the number is not stored: then nothing but the end.
			let value = legacy.unwrap();
			if !value.is_null() {
				let event = next(&mut sub).await;
				assert_eq!(event, json!({ "event": "storage", "key": key, "value": value }));
			}
			assert_eq!(next(&mut sub).await, json!({ "event": "storageDone" }));
		}
		// What a block changed is raw state too; bodies are blocks; runtime calls state_call.
		let diff = subscribe("archive_v1_storageDiff", rpc_params![&head]).await;
		assert_eq!(refusal(&diff).map(|r| r.0), refused, "{who:?}");
		let legacy: Result<Json, _> = rpc.request("chain_getBlock", rpc_params![&head]).await;
		let new: Result<Json, _> = rpc.request("archive_v1_body", rpc_params![&head]).await;
		assert_eq!(as_twin(&new, "archive_v1_body", "chain_getBlock"), refusal(&legacy), "{who:?}");
		let call = "RecordsApi_records_by_patient";
		let legacy: Result<Json, _> = rpc.request("state_call", rpc_params![call, "0x"]).await;
		let new: Result<Json, _> =
			rpc.request("archive_v1_call", rpc_params![&head, call, "0x"]).await;
		match refused {
			Some(_) => {
				assert_eq!(as_twin(&new, "archive_v1_call", "state_call"), refusal(&legacy))
			}
			None => assert_eq!(new.unwrap()["success"], false, "the runtime refuses 0x"),
		}

		// Public to all: the runtime identity and version, by either method.
		let code = "0x3a636f6465";
		let legacy: Json = rpc.request("state_getStorage", rpc_params![code, &head]).await.unwrap();
		let query = json!([{ "key": code, "type": "value" }]);
		let mut sub =
			subscribe("archive_v1_storage", rpc_params![&head, query, None::<()>]).await.unwrap();
		assert_eq!(
			next(&mut sub).await,
			json!({ "event": "storage", "key": code, "value": legacy })
		);
		let version: Json =
			rpc.request("archive_v1_call", rpc_params![&head, "Core_version", "0x"]).await.unwrap();
		assert_eq!(version["success"], true, "{who:?}: {version}");
	}
}

#[tokio::test]
async fn another_connection_cannot_use_a_follow_subscription_it_does_not_hold() {
	let dir = tempfile::tempdir().unwrap();
	let (address, _handle) = serve(dir.path()).await;
	let owner = connect(address, Some(Ed25519Keyring::Dave)).await;
	let (_sub, id, head) = follow(&owner).await;
	let intruder = connect(address, Some(Ed25519Keyring::Charlie)).await;
	let header: Json =
		intruder.request("chainHead_v1_header", rpc_params![&id, &head]).await.unwrap();
	assert!(header.is_null(), "unknown to another connection");
	let query = json!([{ "key": "0x3a636f6465", "type": "value" }]);
	let storage: Json =
		intruder.request("chainHead_v1_storage", rpc_params![&id, &head, query]).await.unwrap();
	assert_eq!(storage, json!({ "result": "limitReached" }));
	let header: Json = owner.request("chainHead_v1_header", rpc_params![&id, &head]).await.unwrap();
	assert!(header.is_string(), "the owner reads it");
}
