//! Authenticated reads on the real `carechain` binary started with `--rpc-external` (RPC on
//! every interface, reached here on loopback), where authentication is on by default: an
//! unauthenticated caller, a patient reading another patient, and a member of an organization
//! without consent are each refused by every patient-linked method, over HTTP and WebSocket;
//! the patient and the grantee read; anonymous callers still get health, versions, metadata and
//! headers; `carechain vault audit` signs in as a member; a plain `--dev` node stays open;
//! sign-outs and `carechain auth revoke-account` hold on every connection and across restarts.

#![allow(clippy::arithmetic_side_effects)]

use carechain_e2e::{carechain, create_record, hex_of, node_binary, sign, DevNode};
use carechain_node::rpc::auth::{self, FORBIDDEN, SESSION_REVOKED, UNAUTHENTICATED};
use carechain_primitives::{Purpose, RecordId};
use carechain_runtime::{AccountId, Runtime};
use codec::Decode;
use jsonrpsee::{
	core::{
		client::{ClientT, Error as ClientError, SubscriptionClientT},
		params::ArrayParams,
	},
	http_client::HttpClientBuilder,
	rpc_params,
	ws_client::WsClientBuilder,
};
use serde_json::Value as Json;
use sp_core::{Bytes, H256};
use sp_keyring::Ed25519Keyring;
use std::time::Duration;

/// Calls `method` over HTTP and over WebSocket with `token` (none: anonymous) and returns both
/// answers.
async fn both(
	port: u16,
	token: Option<&str>,
	method: &str,
	params: ArrayParams,
) -> [Result<Json, ClientError>; 2] {
	let mut headers = http::HeaderMap::new();
	if let Some(token) = token {
		headers.insert(http::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
	}
	let http = HttpClientBuilder::default()
		.set_headers(headers)
		.build(format!("http://127.0.0.1:{port}"))
		.unwrap();
	// The WebSocket carries it as a browser would: in the URL.
	let query = token.map(|t| format!("/?token={t}")).unwrap_or_default();
	let ws =
		WsClientBuilder::default().build(format!("ws://127.0.0.1:{port}{query}")).await.unwrap();
	[http.request(method, params.clone()).await, ws.request(method, params).await]
}

fn code(answer: &Result<Json, ClientError>) -> Option<i32> {
	match answer {
		Err(ClientError::Call(e)) => Some(e.code()),
		_ => None,
	}
}

async fn sign_in(port: u16, who: Ed25519Keyring) -> String {
	let client = HttpClientBuilder::default().build(format!("http://127.0.0.1:{port}")).unwrap();
	auth::sign_in(&client, &who.pair()).await.unwrap().token
}

fn eve() -> AccountId {
	Ed25519Keyring::Eve.to_account_id()
}

/// Every patient-linked method about Eve, called by `caller` about itself where it names one.
fn patient_linked(caller: &AccountId, record: RecordId) -> Vec<(&'static str, ArrayParams)> {
	vec![
		("records_byPatient", rpc_params![eve(), 0, 10]),
		("consent_check", rpc_params![eve(), caller, record, Purpose::Treatment]),
		("consent_accountingOfDisclosures", rpc_params![eve(), 0]),
		("consent_nodeDisclosures", rpc_params![eve(), 0]),
		("vault_challenge", rpc_params![eve()]),
	]
}

#[tokio::test]
async fn an_external_node_authenticates_every_patient_linked_read() {
	let dir = tempfile::tempdir().unwrap();
	let node = DevNode::start_with(dir.path(), &["--rpc-external"], &[]);
	let client = node.connect().await;
	let port = node.rpc_port;
	assert!(node.log().contains("authenticated (--rpc-auth on)"), "{}", node.log());

	// Bob writes a record of Eve's (signed transactions need no session).
	let genesis: H256 = client.request("chain_getBlockHash", rpc_params![0]).await.unwrap();
	let extrinsic = sign(&Ed25519Keyring::Bob.pair(), 0, create_record(1), genesis);
	let mut watch = client
		.subscribe::<Json, _>(
			"author_submitAndWatchExtrinsic",
			rpc_params![hex_of(&extrinsic)],
			"author_unwatchExtrinsic",
		)
		.await
		.unwrap();
	loop {
		let status = tokio::time::timeout(Duration::from_secs(60), watch.next())
			.await
			.expect("finalized within a minute")
			.unwrap()
			.unwrap();
		if status.get("finalized").is_some() {
			break;
		}
	}
	let eve_token = sign_in(port, Ed25519Keyring::Eve).await;
	let page: Bytes = serde_json::from_value(
		both(port, Some(&eve_token), "records_byPatient", rpc_params![eve(), 0, 10]).await[0]
			.as_ref()
			.unwrap()
			.clone(),
	)
	.unwrap();
	let page = Vec::<(RecordId, pallet_records::Record<Runtime>)>::decode(&mut &page[..]).unwrap();
	let record = page[0].0;

	// Anonymous callers get what is public by design, nothing else.
	for (method, params) in [
		("system_health", rpc_params![]),
		("state_getRuntimeVersion", rpc_params![]),
		("state_getMetadata", rpc_params![]),
		("chain_getHeader", rpc_params![]),
	] {
		for answer in both(port, None, method, params).await {
			assert!(answer.is_ok(), "{method}: {answer:?}");
		}
	}
	for (method, params) in
		[("state_getStorage", rpc_params!["0x00"]), ("chain_getBlock", rpc_params![])]
			.into_iter()
			.chain(patient_linked(&eve(), record))
	{
		for answer in both(port, None, method, params.clone()).await {
			assert_eq!(code(&answer), Some(UNAUTHENTICATED), "anonymous {method}: {answer:?}");
		}
	}

	// Another patient, and members of organizations without Eve's consent.
	for who in [Ed25519Keyring::Ferdie, Ed25519Keyring::Dave, Ed25519Keyring::Charlie] {
		let token = sign_in(port, who).await;
		for (method, params) in patient_linked(&who.to_account_id(), record) {
			for answer in both(port, Some(&token), method, params.clone()).await {
				assert_eq!(code(&answer), Some(FORBIDDEN), "{who:?} {method}: {answer:?}");
			}
		}
	}

	// The patient and the grantee (Bob's hospital holds Eve's consent) read.
	let bob_token = sign_in(port, Ed25519Keyring::Bob).await;
	let bob = Ed25519Keyring::Bob.to_account_id();
	for answer in both(port, Some(&bob_token), "records_byPatient", rpc_params![eve(), 0, 10]).await
	{
		assert!(answer.is_ok(), "{answer:?}");
	}
	let check = rpc_params![eve(), &bob, record, Purpose::Treatment];
	for answer in both(port, Some(&bob_token), "consent_check", check).await {
		assert!(answer.unwrap().get("Allowed").is_some());
	}
	for method in ["consent_accountingOfDisclosures", "consent_nodeDisclosures"] {
		for answer in both(port, Some(&eve_token), method, rpc_params![eve(), 0]).await {
			assert!(answer.is_ok(), "{method}: {answer:?}");
		}
	}
	let [entries, _] =
		both(port, Some(&eve_token), "consent_nodeDisclosures", rpc_params![eve(), 0]).await;
	assert_eq!(entries.unwrap().as_array().unwrap().len(), 2, "Bob's two listings are accounted");

	// The vault audit reads raw state: it signs in as a member.
	let audit = |extra: &[&str]| {
		std::process::Command::new(node_binary())
			.args(["vault", "audit", "--gpu", "cpu", "--chain", "dev"])
			.args(["--rpc-url", &format!("ws://127.0.0.1:{port}")])
			.arg("--base-path")
			.arg(dir.path())
			.args(extra)
			.output()
			.unwrap()
	};
	let refused = audit(&[]);
	assert!(!refused.status.success());
	let stderr = String::from_utf8_lossy(&refused.stderr);
	assert!(stderr.contains("needs a session"), "{stderr}");
	// Signed in, it reads the chain: Bob's record, whose blob nobody uploaded (exit 2).
	let signed_in = audit(&["--sign-in-as", "//Alice"]);
	let stdout = String::from_utf8_lossy(&signed_in.stdout);
	let stderr = String::from_utf8_lossy(&signed_in.stderr);
	assert_eq!(signed_in.status.code(), Some(2), "{stdout}{stderr}");
	assert!(stdout.contains("1 record versions") && stdout.contains("missing: 1"), "{stdout}");
}

#[tokio::test]
async fn a_dev_node_on_loopback_stays_open() {
	let dir = tempfile::tempdir().unwrap();
	let node = DevNode::start(dir.path());
	node.connect().await;
	for answer in both(node.rpc_port, None, "records_byPatient", rpc_params![eve(), 0, 10]).await {
		assert!(answer.is_ok(), "{answer:?}");
	}
	for answer in both(node.rpc_port, None, "chain_getBlock", rpc_params![]).await {
		assert!(answer.is_ok(), "{answer:?}");
	}
}

#[tokio::test]
async fn sign_outs_and_the_operators_revocations_hold_across_restarts_of_the_node() {
	let dir = tempfile::tempdir().unwrap();
	let mut node = DevNode::start_with(dir.path(), &["--rpc-external"], &[]);
	node.connect().await;
	let port = node.rpc_port;
	let signed_out = sign_in(port, Ed25519Keyring::Dave).await;
	let daves = sign_in(port, Ed25519Keyring::Dave).await;
	let alices = sign_in(port, Ed25519Keyring::Alice).await;
	let http = HttpClientBuilder::default().build(format!("http://127.0.0.1:{port}")).unwrap();
	let ended: bool = http.request("auth_signOut", rpc_params![&signed_out]).await.unwrap();
	assert!(ended);
	// The operator ends Alice's sessions while the node runs: it takes the request at once.
	let alice = Ed25519Keyring::Alice.to_account_id().to_string();
	let said = carechain(&["auth", "revoke-account", "--chain", "dev", &alice], dir.path());
	assert!(said.contains("ended"), "{said}");
	let refused = |port, token: String| async move {
		for answer in both(port, Some(&token), "chain_getBlock", rpc_params![]).await {
			assert_eq!(code(&answer), Some(SESSION_REVOKED), "{answer:?}");
		}
	};
	refused(port, signed_out.clone()).await;
	refused(port, alices.clone()).await;
	for answer in both(port, Some(&daves), "chain_getBlock", rpc_params![]).await {
		assert!(answer.is_ok(), "Dave's other sign-in: {answer:?}");
	}
	// A restart keeps the tokens and every revocation.
	node.terminate();
	let mut node = DevNode::start_with(dir.path(), &["--rpc-external"], &[]);
	node.connect().await;
	let port = node.rpc_port;
	refused(port, signed_out.clone()).await;
	refused(port, alices.clone()).await;
	for answer in both(port, Some(&daves), "chain_getBlock", rpc_params![]).await {
		assert!(answer.is_ok(), "Dave's other sign-in after the restart: {answer:?}");
	}
	// A revocation asked while the node is down holds from its next start.
	node.terminate();
	let dave = Ed25519Keyring::Dave.to_account_id().to_string();
	let said = carechain(&["auth", "revoke-account", "--chain", "dev", &dave], dir.path());
	assert!(said.contains("next start"), "{said}");
	let node = DevNode::start_with(dir.path(), &["--rpc-external"], &[]);
	node.connect().await;
	refused(node.rpc_port, daves).await;
}
