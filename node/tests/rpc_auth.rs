//! Attacks on authenticated reads, against the node's real RPC server on a socket, in process,
//! over a dev chain with one record: Bob's Observation of Eve, whose genesis consent covers
//! Bob's hospital. Anonymous callers, a patient reading another patient, a member of an
//! organization without consent, expired, forged and altered tokens, challenges replayed or
//! signed for another account are each refused, over HTTP and WebSocket (header, query and
//! subprotocol); the patient, the grantee and members get what is theirs. Signed-out tokens,
//! their renewals and the sessions of an account the operator ended are refused on every
//! connection, also after a restart.

#![allow(clippy::arithmetic_side_effects)]

use carechain_node::{
	chain_spec::ChainSpec,
	client::Client,
	db::ChainDb,
	extrinsic::sign,
	pool::{Pool, PoolLimits},
	rpc::{
		auth::{
			self, Auth, AuthSettings, SessionGrant, FORBIDDEN, SESSION_EXPIRED, SESSION_REVOKED,
			SIGN_IN_BUSY, SIGN_IN_REFUSED, UNAUTHENTICATED,
		},
		disclosures::{DisclosureLog, NodeDisclosure},
		handlers::{Handlers, LocalNode},
		module_with_auth, start, RpcSettings,
	},
	service::Node,
	signatures::BatchVerifier,
	vault::{GetRequest, Vault, VaultRpc, VaultSettings},
};
use carechain_primitives::{FhirResourceType, Purpose, RecordId};
use carechain_runtime::{AccountId, Runtime, RuntimeCall};
use codec::{Decode, Encode};
use jsonrpsee::{
	core::{
		client::{ClientT, Error as ClientError, SubscriptionClientT},
		params::ArrayParams,
	},
	http_client::{HttpClient, HttpClientBuilder},
	rpc_params,
	server::ServerHandle,
	ws_client::{WsClient, WsClientBuilder},
};
use serde_json::Value as Json;
use sp_core::{Bytes, Pair, H256};
use sp_keyring::Ed25519Keyring;
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use zeroize::Zeroizing;

/// A node at block 1 (Bob's record of Eve) serving RPC on loopback with authentication.
struct Fixture {
	node: Arc<Node>,
	auth: Arc<Auth>,
	address: SocketAddr,
	record: RecordId,
	/// Bob's signed `create_record`, 0x-hex, and the block that holds it.
	extrinsic: (String, H256),
	spec: Arc<ChainSpec>,
	vault: Arc<Vault>,
	settings: AuthSettings,
	handle: ServerHandle,
	dir: tempfile::TempDir,
}

impl Fixture {
	/// Where the node keeps its revocations.
	fn revocations(&self) -> std::path::PathBuf {
		self.dir.path().join("rpc/revocations")
	}

	/// Stops the server and starts it again over the same files and token key, as a restart
	/// of the node does.
	async fn restart(&mut self) {
		self.handle.stop().unwrap();
		self.handle.clone().stopped().await;
		let (auth, handle, address) =
			serve(&self.node, &self.spec, &self.vault, self.dir.path(), self.settings.clone())
				.await;
		(self.auth, self.handle, self.address) = (auth, handle, address);
	}
}

/// The RPC server over `node`, with revocations and the disclosure log in `dir`.
async fn serve(
	node: &Arc<Node>,
	spec: &Arc<ChainSpec>,
	vault: &Arc<Vault>,
	dir: &std::path::Path,
	settings: AuthSettings,
) -> (Arc<Auth>, ServerHandle, SocketAddr) {
	let auth = Auth::open(node.clone(), key(1), settings, &dir.join("rpc/revocations")).unwrap();
	auth.spawn_operator_requests();
	// On loopback, as `main` wires it: Substrate's unsafe methods are served, to members.
	let local = LocalNode { operator_methods: true, ..Default::default() };
	let handlers = Handlers::new(node.clone(), spec.clone())
		.with_disclosures(Arc::new(DisclosureLog::open(&dir.join("rpc/disclosures")).unwrap()))
		.with_local_node(local);
	let module =
		module_with_auth(handlers, Some(VaultRpc(vault.clone())), Some(auth.clone())).unwrap();
	let settings = RpcSettings {
		auth: Some(auth.clone()),
		..RpcSettings::new("127.0.0.1:0".parse().unwrap(), 16 << 20)
	};
	let (handle, address) = start(&settings, module).await.unwrap();
	(auth, handle, address)
}

fn key(byte: u8) -> Zeroizing<[u8; 32]> {
	Zeroizing::new([byte; 32])
}

async fn fixture(settings: AuthSettings) -> Fixture {
	let dir = tempfile::tempdir().unwrap();
	let spec = Arc::new(ChainSpec::development());
	let client = Arc::new(
		Client::open(ChainDb::open(&dir.path().join("db")).unwrap(), &spec.genesis).unwrap(),
	);
	let genesis = client.genesis_hash();
	let call = RuntimeCall::Records(pallet_records::Call::create_record {
		patient: Ed25519Keyring::Eve.to_account_id(),
		resource_type: FhirResourceType::Observation,
		content: pallet_records::RecordContent {
			content_hash: BlakeTwo256::hash(b"rpc auth ciphertext"),
			size: 1024,
			locator: BlakeTwo256::hash(b"rpc auth ciphertext"),
			patient_key: [7u8; 80],
		},
	});
	let extrinsic = sign(&Ed25519Keyring::Bob.pair(), 0, call, genesis);
	let deadline = std::time::Instant::now() + Duration::from_secs(30);
	let built = client
		.build_block(1_700_000_000_000, [(H256::zero(), &extrinsic)], Default::default(), deadline)
		.unwrap();
	assert_eq!(built.block.extrinsics.len(), 2, "the record made it into the block");
	client.commit(&built.block, built.changes, &[]).unwrap();
	let extrinsic = (carechain_node::extrinsic::to_hex(&extrinsic), built.block.header.hash());
	let page = client
		.call(
			client.head().hash,
			"RecordsApi_records_by_patient",
			&(Ed25519Keyring::Eve.to_account_id(), 0u32, 10u32).encode(),
		)
		.unwrap();
	let page = Vec::<(RecordId, pallet_records::Record<Runtime>)>::decode(&mut &page[..]).unwrap();
	let record = page[0].0;

	let verifier = carechain_gpu::Verifier::new(carechain_gpu::Mode::Cpu).unwrap();
	let node = Node::new(
		client,
		Arc::new(Pool::new(PoolLimits::default())),
		Arc::new(BatchVerifier::new(verifier)),
	);
	let store = Arc::new(carechain_vault::LocalStore::open(dir.path().join("vault")).unwrap());
	let vault = Vault::new(node.clone(), store, VaultSettings::default()).unwrap();
	let (auth, handle, address) = serve(&node, &spec, &vault, dir.path(), settings.clone()).await;
	Fixture { node, auth, address, record, extrinsic, spec, vault, settings, handle, dir }
}

/// How a client carries its token.
#[derive(Clone, Copy, Debug)]
enum Transport {
	Http,
	WsHeader,
	WsQuery,
}

const TRANSPORTS: [Transport; 3] = [Transport::Http, Transport::WsHeader, Transport::WsQuery];

/// A client of either kind.
enum Rpc {
	Http(Box<HttpClient>),
	Ws(WsClient),
}

impl Rpc {
	async fn call(&self, method: &str, params: ArrayParams) -> Result<Json, ClientError> {
		match self {
			Rpc::Http(c) => c.request(method, params).await,
			Rpc::Ws(c) => c.request(method, params).await,
		}
	}
}

fn bearer(token: &str) -> http::HeaderMap {
	let mut headers = http::HeaderMap::new();
	headers.insert(http::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
	headers
}

async fn connect(address: SocketAddr, transport: Transport, token: Option<&str>) -> Rpc {
	let headers = token.map(bearer).unwrap_or_default();
	match transport {
		Transport::Http => Rpc::Http(Box::new(
			HttpClientBuilder::default()
				.set_headers(headers)
				.build(format!("http://{address}"))
				.unwrap(),
		)),
		Transport::WsHeader => Rpc::Ws(
			WsClientBuilder::default()
				.set_headers(headers)
				.build(format!("ws://{address}"))
				.await
				.unwrap(),
		),
		Transport::WsQuery => {
			let query = token.map(|t| format!("/?token={t}")).unwrap_or_default();
			Rpc::Ws(
				WsClientBuilder::default().build(format!("ws://{address}{query}")).await.unwrap(),
			)
		}
	}
}

async fn sign_in(address: SocketAddr, who: Ed25519Keyring) -> SessionGrant {
	let client = HttpClientBuilder::default().build(format!("http://{address}")).unwrap();
	auth::sign_in(&client, &who.pair()).await.unwrap()
}

/// The code and message of a refusal.
fn refusal(result: Result<Json, ClientError>) -> (i32, String) {
	match result {
		Err(ClientError::Call(e)) => (e.code(), e.message().to_owned()),
		other => panic!("expected a JSON-RPC error, got {other:?}"),
	}
}

fn eve() -> AccountId {
	Ed25519Keyring::Eve.to_account_id()
}

/// Every patient-linked method about Eve, as `caller` would call it for itself.
fn patient_linked_calls(caller: &AccountId, record: RecordId) -> Vec<(&'static str, ArrayParams)> {
	let get = GetRequest {
		accessor: caller.clone(),
		record,
		purpose: Purpose::Treatment,
		challenge: H256::zero(),
		reader_key: None,
		signature: Bytes(vec![0; 64]),
	};
	vec![
		("records_byPatient", rpc_params![eve(), 0, 10]),
		("consent_check", rpc_params![eve(), caller, record, Purpose::Treatment]),
		("consent_accountingOfDisclosures", rpc_params![eve(), 0]),
		("consent_nodeDisclosures", rpc_params![eve(), 0]),
		("vault_challenge", rpc_params![eve()]),
		("vault_get", rpc_params![get]),
	]
}

#[tokio::test]
async fn anonymous_callers_get_only_what_is_public_by_design() {
	let f = fixture(AuthSettings::default()).await;
	for transport in TRANSPORTS {
		let rpc = connect(f.address, transport, None).await;
		for (method, params) in [
			("system_health", rpc_params![]),
			("system_name", rpc_params![]),
			("rpc_methods", rpc_params![]),
			("state_getRuntimeVersion", rpc_params![]),
			("state_getMetadata", rpc_params![]),
			("chain_getHeader", rpc_params![]),
			("chain_getBlockHash", rpc_params![0]),
			("chain_getFinalizedHead", rpc_params![]),
			("state_call", rpc_params!["Core_version", "0x"]),
			("system_accountNextIndex", rpc_params![eve()]),
			("auth_challenge", rpc_params![eve()]),
		] {
			rpc.call(method, params)
				.await
				.unwrap_or_else(|e| panic!("{transport:?} {method}: {e}"));
		}
		for (method, params) in [
			("state_getStorage", rpc_params!["0x00"]),
			("state_getKeysPaged", rpc_params!["0x", 10]),
			("state_queryStorageAt", rpc_params![vec!["0x00"]]),
			("state_getReadProof", rpc_params![vec!["0x00"]]),
			("state_call", rpc_params!["RecordsApi_records_by_patient", "0x"]),
			("chain_getBlock", rpc_params![]),
			("author_pendingExtrinsics", rpc_params![]),
			("consensus_validators", rpc_params![]),
			("consensus_commit", rpc_params![1]),
			("vault_escrowKey", rpc_params![]),
		]
		.into_iter()
		.chain(patient_linked_calls(&eve(), f.record))
		{
			let (code, message) = refusal(rpc.call(method, params).await);
			assert_eq!(code, UNAUTHENTICATED, "{transport:?} {method}: {message}");
			assert!(message.contains("auth_signIn") && message.contains("Bearer"), "{message}");
		}
	}
	// Whoever holds a transaction's signed bytes learns its outcome, and only that.
	let rpc = connect(f.address, Transport::Http, None).await;
	let (extrinsic, block) = &f.extrinsic;
	let outcome = rpc.call("author_extrinsicOutcome", rpc_params![extrinsic, block]).await.unwrap();
	assert_eq!((outcome["blockNumber"].as_u64(), outcome["index"].as_u64()), (Some(1), Some(1)));
	let events: Bytes = serde_json::from_value(outcome["events"].clone()).unwrap();
	let events = Vec::<frame_system::EventRecord<carechain_runtime::RuntimeEvent, H256>>::decode(
		&mut &events[..],
	)
	.unwrap();
	assert!(events.iter().all(|e| e.phase == frame_system::Phase::ApplyExtrinsic(1)));
	assert!(events.iter().any(|e| matches!(
		e.event,
		carechain_runtime::RuntimeEvent::Records(pallet_records::Event::RecordCreated { .. })
	)));
	let other = format!("{extrinsic}00");
	let none = rpc.call("author_extrinsicOutcome", rpc_params![other, block]).await.unwrap();
	assert!(none.is_null());
	// Headers stream to anyone.
	let Rpc::Ws(ws) = connect(f.address, Transport::WsHeader, None).await else { unreachable!() };
	let mut heads = ws
		.subscribe::<Json, _>("chain_subscribeNewHeads", rpc_params![], "chain_unsubscribeNewHeads")
		.await
		.unwrap();
	let head = heads.next().await.unwrap().unwrap();
	assert_eq!(head["number"], "0x1");
	// Raw state is refused even through a subscription.
	let storage = ws
		.subscribe::<Json, _>(
			"state_subscribeStorage",
			rpc_params![vec!["0x00"]],
			"state_unsubscribeStorage",
		)
		.await;
	assert!(matches!(storage, Err(ClientError::Call(e)) if e.code() == UNAUTHENTICATED));
}

#[tokio::test]
async fn every_patient_linked_method_refuses_other_patients_and_members_without_consent() {
	let f = fixture(AuthSettings::default()).await;
	// Ferdie is another patient; Dave's pharmacy and Charlie's insurer have no consent of Eve's.
	for who in [Ed25519Keyring::Ferdie, Ed25519Keyring::Dave, Ed25519Keyring::Charlie] {
		let grant = sign_in(f.address, who).await;
		for transport in TRANSPORTS {
			let rpc = connect(f.address, transport, Some(&grant.token)).await;
			for (method, params) in patient_linked_calls(&who.to_account_id(), f.record) {
				let (code, message) = refusal(rpc.call(method, params).await);
				// The vault refuses an unsigned get itself (6001: no challenge of its own).
				let expected = if method == "vault_get" { 6001 } else { FORBIDDEN };
				assert_eq!(code, expected, "{who:?} {transport:?} {method}: {message}");
			}
			// Asking about Eve's own access, or Bob's, is refused as well.
			for accessor in [eve(), Ed25519Keyring::Bob.to_account_id()] {
				let params = rpc_params![eve(), accessor, f.record, Purpose::Treatment];
				let (code, _) = refusal(rpc.call("consent_check", params).await);
				assert_eq!(code, FORBIDDEN, "{who:?} {transport:?}");
			}
		}
	}
	// The vault's own rule refuses a signed get by a member without consent.
	let dave = Ed25519Keyring::Dave;
	let grant = sign_in(f.address, dave).await;
	let rpc = connect(f.address, Transport::Http, Some(&grant.token)).await;
	let challenge: Json =
		rpc.call("vault_challenge", rpc_params![dave.to_account_id()]).await.unwrap();
	let challenge: H256 = serde_json::from_value(challenge["challenge"].clone()).unwrap();
	let message = carechain_vault::access::get_message(&challenge.0, &f.record, Purpose::Treatment);
	let get = GetRequest {
		accessor: dave.to_account_id(),
		record: f.record,
		purpose: Purpose::Treatment,
		challenge,
		reader_key: None,
		signature: Bytes(dave.pair().sign(&message).0.to_vec()),
	};
	let (code, message) = refusal(rpc.call("vault_get", rpc_params![get]).await);
	assert_eq!(code, 6022, "{message}");
	// A vault subscription in Eve's name, by Dave's session, is refused before anything else.
	let Rpc::Ws(ws) = connect(f.address, Transport::WsQuery, Some(&grant.token)).await else {
		unreachable!()
	};
	let request = serde_json::json!({
		"subscriber": eve(), "patient": eve(), "challenge": H256::zero(), "signature": "0x00",
	});
	let subscribed = ws
		.subscribe::<Json, _>(
			"vault_subscribeDisclosures",
			rpc_params![request],
			"vault_unsubscribeDisclosures",
		)
		.await;
	assert!(matches!(subscribed, Err(ClientError::Call(e)) if e.code() == FORBIDDEN));
}

#[tokio::test]
async fn the_patient_and_the_grantee_get_what_is_theirs_and_the_grantee_s_reads_are_accounted() {
	let f = fixture(AuthSettings::default()).await;
	let eve_session = sign_in(f.address, Ed25519Keyring::Eve).await;
	let bob = Ed25519Keyring::Bob.to_account_id();
	let bob_session = sign_in(f.address, Ed25519Keyring::Bob).await;
	for transport in TRANSPORTS {
		let patient = connect(f.address, transport, Some(&eve_session.token)).await;
		for method in ["consent_accountingOfDisclosures", "consent_nodeDisclosures"] {
			patient.call(method, rpc_params![eve(), 0]).await.unwrap();
		}
		let page: Bytes = serde_json::from_value(
			patient.call("records_byPatient", rpc_params![eve(), 0, 10]).await.unwrap(),
		)
		.unwrap();
		assert_eq!(
			Vec::<(RecordId, pallet_records::Record<Runtime>)>::decode(&mut &page[..])
				.unwrap()
				.len(),
			1
		);
		// The patient may ask about anyone's access, Bob's included.
		let decision = patient
			.call("consent_check", rpc_params![eve(), &bob, f.record, Purpose::Treatment])
			.await
			.unwrap();
		assert!(decision.get("Allowed").is_some(), "{decision}");

		let grantee = connect(f.address, transport, Some(&bob_session.token)).await;
		let page: Bytes = serde_json::from_value(
			grantee.call("records_byPatient", rpc_params![eve(), 0, 10]).await.unwrap(),
		)
		.unwrap();
		let page =
			Vec::<(RecordId, pallet_records::Record<Runtime>)>::decode(&mut &page[..]).unwrap();
		assert_eq!(page.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![f.record]);
		let decision = grantee
			.call("consent_check", rpc_params![eve(), &bob, f.record, Purpose::Treatment])
			.await
			.unwrap();
		assert!(decision.get("Allowed").is_some(), "{decision}");
		// Research is not among the purposes Eve consented to: refused, without the reason.
		let (code, _) = refusal(
			grantee
				.call("consent_check", rpc_params![eve(), &bob, f.record, Purpose::Research])
				.await,
		);
		assert_eq!(code, FORBIDDEN);
		// A page past the end holds nothing Bob may read.
		let (code, _) = refusal(grantee.call("records_byPatient", rpc_params![eve(), 5, 10]).await);
		assert_eq!(code, FORBIDDEN);
		// The accounting is the patient's.
		let (code, _) =
			refusal(grantee.call("consent_accountingOfDisclosures", rpc_params![eve(), 0]).await);
		assert_eq!(code, FORBIDDEN);
	}
	// Each of Bob's listings is in the node's accounting, which Eve reads.
	let patient = connect(f.address, Transport::Http, Some(&eve_session.token)).await;
	let entries: Vec<NodeDisclosure> = serde_json::from_value(
		patient.call("consent_nodeDisclosures", rpc_params![eve(), 0]).await.unwrap(),
	)
	.unwrap();
	assert_eq!(
		entries.len(),
		TRANSPORTS.len(),
		"one entry per answered listing by Bob: {entries:?}"
	);
	assert!(entries.iter().all(|e| e.accessor == bob && e.records == vec![f.record]));
}

#[tokio::test]
async fn members_read_raw_state_and_patients_do_not() {
	let f = fixture(AuthSettings::default()).await;
	let member = sign_in(f.address, Ed25519Keyring::Dave).await;
	let patient = sign_in(f.address, Ed25519Keyring::Eve).await;
	let key = format!(
		"0x{}{}",
		hex::encode(sp_io::hashing::twox_128(b"System")),
		hex::encode(sp_io::hashing::twox_128(b"Number"))
	);
	for transport in TRANSPORTS {
		let rpc = connect(f.address, transport, Some(&member.token)).await;
		rpc.call("state_getStorage", rpc_params![&key]).await.unwrap();
		rpc.call("chain_getBlock", rpc_params![]).await.unwrap();
		// Admitted: the runtime, not authentication, refuses the empty input.
		let (code, _) = refusal(
			rpc.call("state_call", rpc_params!["RecordsApi_records_by_patient", "0x"]).await,
		);
		assert_eq!(code, 4002);
		let rpc = connect(f.address, transport, Some(&patient.token)).await;
		let (code, message) = refusal(rpc.call("state_getStorage", rpc_params![&key]).await);
		assert_eq!(code, FORBIDDEN, "{message}");
		assert!(message.contains("not a member"), "{message}");
		let (code, _) = refusal(rpc.call("chain_getBlock", rpc_params![]).await);
		assert_eq!(code, FORBIDDEN);
	}
	// A WebSocket connection signed out is anonymous again, whatever its handshake carried.
	let rpc = connect(f.address, Transport::WsHeader, Some(&member.token)).await;
	rpc.call("chain_getBlock", rpc_params![]).await.unwrap();
	rpc.call("auth_signOut", rpc_params![]).await.unwrap();
	let (code, _) = refusal(rpc.call("chain_getBlock", rpc_params![]).await);
	assert_eq!(code, UNAUTHENTICATED);
	assert!(rpc.call("auth_session", rpc_params![]).await.unwrap().is_null());
}

/// The storage methods of issue 20 read raw state, so they answer members only, exactly as
/// `state_getStorage`: `state_queryStorage` over Eve's record would show when Bob wrote it and
/// what, `system_dryRun` of Bob's record call whether it would pass, and the hash and size of
/// a record's entry whether Eve has one. An anonymous caller and a patient are refused each;
/// a member gets each. The fee queries read no state and answer anyone.
#[tokio::test]
async fn storage_queries_and_dry_runs_refuse_anonymous_callers_and_patients() {
	let f = fixture(AuthSettings::default()).await;
	let member = sign_in(f.address, Ed25519Keyring::Dave).await;
	let patient = sign_in(f.address, Ed25519Keyring::Ferdie).await;
	let genesis = f.node.client.genesis_hash();
	let (extrinsic, _) = &f.extrinsic;
	// A key of the records pallet that block 1 wrote: an entry about Eve's record.
	let dave = connect(f.address, Transport::Http, Some(&member.token)).await;
	let prefix = format!("0x{}", hex::encode(sp_io::hashing::twox_128(b"Records")));
	let keys = dave.call("state_getKeysPaged", rpc_params![&prefix, 100]).await.unwrap();
	let mut record_key = None;
	for key in keys.as_array().unwrap() {
		let before = dave.call("state_getStorage", rpc_params![key, genesis]).await.unwrap();
		if before.is_null() {
			record_key = key.as_str().map(str::to_owned);
			break;
		}
	}
	let record_key = record_key.expect("block 1 wrote the records pallet's state");
	let raw_reads = || {
		vec![
			("state_getStorageHash", rpc_params![&record_key]),
			("state_getStorageHashAt", rpc_params![&record_key, genesis]),
			("state_getStorageSize", rpc_params![&record_key]),
			("state_queryStorage", rpc_params![vec![&record_key], genesis]),
			("state_queryStorageAt", rpc_params![vec![&record_key]]),
			("system_dryRun", rpc_params![extrinsic, genesis]),
			("author_removeExtrinsic", rpc_params![vec![serde_json::json!({ "hash": genesis })]]),
			("author_hasKey", rpc_params!["0x00", "cons"]),
		]
	};
	for transport in TRANSPORTS {
		for (token, expected) in [(None, UNAUTHENTICATED), (Some(&patient.token), FORBIDDEN)] {
			let rpc = connect(f.address, transport, token.map(String::as_str)).await;
			for (method, params) in raw_reads() {
				let (code, message) = refusal(rpc.call(method, params).await);
				assert_eq!(code, expected, "{transport:?} {method}: {message}");
			}
			// What a wallet asks before signing reads no state: anyone gets it.
			let info = rpc.call("payment_queryInfo", rpc_params![extrinsic]).await.unwrap();
			assert_eq!(info["partialFee"], "0");
			rpc.call("payment_queryFeeDetails", rpc_params![extrinsic]).await.unwrap();
			let input =
				format!("{extrinsic}{}", hex::encode(((extrinsic.len() / 2 - 1) as u32).encode()));
			rpc.call("state_call", rpc_params!["TransactionPaymentApi_query_info", input])
				.await
				.unwrap();
			rpc.call("chain_getBlockHash", rpc_params![vec![0, 1]]).await.unwrap();
			rpc.call("system_syncState", rpc_params![]).await.unwrap();
		}
		let rpc = connect(f.address, transport, Some(&member.token)).await;
		for (method, params) in raw_reads() {
			rpc.call(method, params)
				.await
				.unwrap_or_else(|e| panic!("{transport:?} {method}: {e}"));
		}
		let sets =
			rpc.call("state_queryStorage", rpc_params![vec![&record_key], genesis]).await.unwrap();
		// Absent at genesis, written at block 1.
		assert_eq!(sets.as_array().unwrap().len(), 2, "{sets}");
	}
}

#[tokio::test]
async fn expired_forged_altered_and_foreign_tokens_are_refused() {
	let f =
		fixture(AuthSettings { session_ttl: Duration::from_secs(2), ..Default::default() }).await;
	let grant = sign_in(f.address, Ed25519Keyring::Dave).await;
	assert!(grant.expires_in_ms <= 2_000);
	// The same session under another node's secret.
	let other = Auth::new(f.node.clone(), key(2), AuthSettings::default());
	let other_token = {
		let dave = Ed25519Keyring::Dave.to_account_id();
		let challenge =
			auth::AuthApiServer::challenge(&auth::AuthRpc(other.clone()), dave.clone()).unwrap();
		let message = auth::sign_in_message(&challenge.genesis_hash, &challenge.challenge, &dave);
		let signature =
			sp_runtime::MultiSignature::from(Ed25519Keyring::Dave.pair().sign(&message));
		other.sign_in(dave, challenge.challenge, &signature.encode()).unwrap().token
	};
	let mut altered = hex::decode(&grant.token).unwrap();
	altered[1] ^= 1; // another account
	let altered = hex::encode(altered);
	let mut extended = hex::decode(&grant.token).unwrap();
	extended[55] = 0xff; // a later expiry
	let extended = hex::encode(extended);
	for transport in TRANSPORTS {
		for (token, what) in [
			(&other_token, "another node's"),
			(&altered, "altered"),
			(&extended, "extended"),
			(&"00".to_owned(), "malformed"),
		] {
			let rpc = connect(f.address, transport, Some(token)).await;
			let (code, message) = refusal(rpc.call("chain_getBlock", rpc_params![]).await);
			assert_eq!(code, UNAUTHENTICATED, "{transport:?} {what}: {message}");
			assert!(message.contains("not valid on this node"), "{message}");
			// Public methods still answer.
			rpc.call("system_health", rpc_params![]).await.unwrap();
		}
	}
	// The real token works, then expires, over every transport; renewal of an expired one fails.
	let live = connect(f.address, Transport::WsHeader, Some(&grant.token)).await;
	live.call("chain_getBlock", rpc_params![]).await.unwrap();
	tokio::time::sleep(Duration::from_millis(2_100)).await;
	for transport in TRANSPORTS {
		let rpc = connect(f.address, transport, Some(&grant.token)).await;
		let (code, message) = refusal(rpc.call("chain_getBlock", rpc_params![]).await);
		assert_eq!(code, SESSION_EXPIRED, "{transport:?}: {message}");
		assert!(message.contains("auth_renew"), "{message}");
	}
	// A connection opened before the expiry loses its session too.
	let (code, _) = refusal(live.call("chain_getBlock", rpc_params![]).await);
	assert_eq!(code, SESSION_EXPIRED);
	let (code, _) = refusal(live.call("auth_renew", rpc_params![&grant.token]).await);
	assert_eq!(code, SESSION_EXPIRED);
}

#[tokio::test]
async fn a_challenge_serves_one_sign_in_of_its_own_account() {
	let f = fixture(AuthSettings::default()).await;
	let client = HttpClientBuilder::default().build(format!("http://{}", f.address)).unwrap();
	let (eve, ferdie) = (Ed25519Keyring::Eve, Ed25519Keyring::Ferdie);
	let challenge: auth::SignInChallenge =
		client.request("auth_challenge", rpc_params![eve.to_account_id()]).await.unwrap();
	assert_eq!(challenge.genesis_hash, f.node.client.genesis_hash());
	let signed = |who: Ed25519Keyring, genesis: &H256| {
		let message = auth::sign_in_message(genesis, &challenge.challenge, &who.to_account_id());
		Bytes(who.pair().sign(&message).0.to_vec())
	};
	let sign_in = |who: Ed25519Keyring, signature: Bytes| {
		let client = &client;
		let challenge = challenge.challenge;
		async move {
			client
				.request::<Json, _>(
					"auth_signIn",
					rpc_params![who.to_account_id(), challenge, signature],
				)
				.await
		}
	};
	// Eve's challenge, replayed by Ferdie with his own signature.
	let (code, message) = refusal(sign_in(ferdie, signed(ferdie, &challenge.genesis_hash)).await);
	assert_eq!(code, SIGN_IN_REFUSED, "{message}");
	assert!(message.contains("unknown challenge"), "{message}");
	// Eve's signature for another chain, or Ferdie's signature in Eve's name.
	for signature in [signed(eve, &H256::repeat_byte(9)), signed(ferdie, &challenge.genesis_hash)] {
		let (code, message) = refusal(sign_in(eve, signature).await);
		assert_eq!(code, SIGN_IN_REFUSED, "{message}");
		assert!(message.contains("does not verify"), "{message}");
	}
	// Neither refusal used the challenge up; it serves Eve once.
	let grant: SessionGrant =
		serde_json::from_value(sign_in(eve, signed(eve, &challenge.genesis_hash)).await.unwrap())
			.unwrap();
	assert_eq!(grant.account, eve.to_account_id());
	let (code, message) = refusal(sign_in(eve, signed(eve, &challenge.genesis_hash)).await);
	assert_eq!(code, SIGN_IN_REFUSED, "{message}");
	assert!(message.contains("already used"), "{message}");
	// An account the chain does not know does not sign in.
	let stranger = sp_core::ed25519::Pair::from_seed(&[42; 32]);
	let (code, message) = match auth::sign_in(&client, &stranger).await {
		Err(ClientError::Call(e)) => (e.code(), e.message().to_owned()),
		other => panic!("{other:?}"),
	};
	assert_eq!(code, FORBIDDEN, "{message}");
	assert!(message.contains("register_patient"), "{message}");
	// An sr25519 account signs in too, and a wallet extension's <Bytes>-wrapped signature works.
	let charlie = sp_keyring::Sr25519Keyring::Charlie;
	let challenge: auth::SignInChallenge =
		client.request("auth_challenge", rpc_params![charlie.to_account_id()]).await.unwrap();
	let message = auth::sign_in_message(
		&challenge.genesis_hash,
		&challenge.challenge,
		&charlie.to_account_id(),
	);
	let wrapped = [b"<Bytes>".as_slice(), &message, b"</Bytes>"].concat();
	let signature = Bytes(charlie.pair().sign(&wrapped).0.to_vec());
	let grant: SessionGrant = client
		.request(
			"auth_signIn",
			rpc_params![charlie.to_account_id(), challenge.challenge, signature],
		)
		.await
		.unwrap();
	assert_eq!(grant.account, charlie.to_account_id());
}

#[tokio::test]
async fn a_websocket_connection_renews_its_session_in_place_and_sessions_end() {
	let f = fixture(AuthSettings {
		session_ttl: Duration::from_secs(2),
		max_session_age: Duration::from_secs(4),
		..Default::default()
	})
	.await;
	let grant = sign_in(f.address, Ed25519Keyring::Alice).await;
	let Rpc::Ws(ws) = connect(f.address, Transport::WsQuery, Some(&grant.token)).await else {
		unreachable!()
	};
	let session: Json = ws.request("auth_session", rpc_params![]).await.unwrap();
	assert_eq!(session["expiresAt"], grant.expires_at);
	tokio::time::sleep(Duration::from_millis(1_000)).await;
	let renewed: SessionGrant = ws.request("auth_renew", rpc_params![&grant.token]).await.unwrap();
	assert!(renewed.expires_at > grant.expires_at);
	let session: Json = ws.request("auth_session", rpc_params![]).await.unwrap();
	assert_eq!(session["expiresAt"], renewed.expires_at, "the connection took the renewed session");
	tokio::time::sleep(Duration::from_millis(1_500)).await;
	// Past the first token's expiry, the connection still reads.
	ws.request::<Json, _>("chain_getBlock", rpc_params![]).await.unwrap();
	// A storage subscription lasts as long as the session, not longer.
	let mut storage = ws
		.subscribe::<Json, _>(
			"state_subscribeStorage",
			rpc_params![vec!["0x00"]],
			"state_unsubscribeStorage",
		)
		.await
		.unwrap();
	storage.next().await.unwrap().unwrap();
	// Sessions end at the longest age: renewals stop extending, then are refused.
	let renewed: SessionGrant =
		ws.request("auth_renew", rpc_params![&renewed.token]).await.unwrap();
	assert_eq!(renewed.expires_at, renewed.renewable_until);
	tokio::time::sleep(Duration::from_millis(renewed.expires_in_ms + 100)).await;
	let (code, _) = refusal(ws.request("chain_getBlock", rpc_params![]).await);
	assert_eq!(code, SESSION_EXPIRED);
	let ended = tokio::time::timeout(Duration::from_secs(2), storage.next()).await;
	assert!(matches!(ended, Ok(None | Some(Err(_)))), "the subscription ended: {ended:?}");
	let _ = f.auth;
}

#[tokio::test]
async fn a_subprotocol_token_is_selected_in_the_handshake_answer() {
	// Also by a node that does not check tokens: a client that always sends one connects.
	for enforce in [true, false] {
		let f = fixture(AuthSettings { enforce, ..Default::default() }).await;
		let grant = sign_in(f.address, Ed25519Keyring::Alice).await;
		handshake_selects_the_token(f.address, &grant.token).await;
	}
}

async fn handshake_selects_the_token(address: SocketAddr, token: &str) {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
	let protocol = format!("carechain.token.{token}");
	let request = format!(
		"GET / HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n"
	);
	stream.write_all(request.as_bytes()).await.unwrap();
	let mut answer = vec![0u8; 4096];
	let n = stream.read(&mut answer).await.unwrap();
	let answer = String::from_utf8_lossy(&answer[..n]).to_lowercase();
	assert!(answer.starts_with("http/1.1 101"), "{answer}");
	assert!(answer.contains(&format!("sec-websocket-protocol: {protocol}")), "{answer}");
}

#[tokio::test]
async fn with_authentication_off_every_method_answers_everyone() {
	let f = fixture(AuthSettings { enforce: false, ..Default::default() }).await;
	for transport in TRANSPORTS {
		let rpc = connect(f.address, transport, None).await;
		rpc.call("records_byPatient", rpc_params![eve(), 0, 10]).await.unwrap();
		rpc.call("chain_getBlock", rpc_params![]).await.unwrap();
		rpc.call("consent_accountingOfDisclosures", rpc_params![eve(), 0]).await.unwrap();
		// Sign-in still works, so clients need not know.
		let session: Json = rpc.call("auth_session", rpc_params![]).await.unwrap();
		assert!(session.is_null());
	}
	sign_in(f.address, Ed25519Keyring::Eve).await;
}

/// Signs in as `who` and renews at once: two tokens of one sign-in.
async fn sign_in_and_renew(
	address: SocketAddr,
	who: Ed25519Keyring,
) -> (SessionGrant, SessionGrant) {
	let first = sign_in(address, who).await;
	let client = HttpClientBuilder::default().build(format!("http://{address}")).unwrap();
	let renewed: SessionGrant =
		client.request("auth_renew", rpc_params![&first.token]).await.unwrap();
	assert_ne!(renewed.token, first.token);
	(first, renewed)
}

/// Whether a call with `token` is refused as a revoked session over every transport.
async fn assert_revoked(address: SocketAddr, token: &str, what: &str) {
	for transport in TRANSPORTS {
		let rpc = connect(address, transport, Some(token)).await;
		let (code, message) = refusal(rpc.call("chain_getBlock", rpc_params![]).await);
		assert_eq!(code, SESSION_REVOKED, "{what} over {transport:?}: {message}");
		assert!(message.contains("sign in again"), "{message}");
		// Public methods still answer it.
		rpc.call("system_health", rpc_params![]).await.unwrap();
	}
	let client = HttpClientBuilder::default().build(format!("http://{address}")).unwrap();
	let (code, message) = refusal(client.request("auth_renew", rpc_params![token]).await);
	assert_eq!(code, SESSION_REVOKED, "renewing {what}: {message}");
}

async fn assert_live(address: SocketAddr, token: &str, what: &str) {
	for transport in TRANSPORTS {
		let rpc = connect(address, transport, Some(token)).await;
		let answer = rpc.call("chain_getBlock", rpc_params![]).await;
		assert!(answer.is_ok(), "{what} over {transport:?}: {answer:?}");
	}
}

#[tokio::test]
async fn a_signed_out_token_is_refused_on_every_connection_with_every_token_of_its_sign_in() {
	let f = fixture(AuthSettings::default()).await;
	// Dave signs in, renews at once (a token renewed before the sign-out), and signs in a
	// second time elsewhere; each token is in use on its own WebSocket connection.
	let (first, renewed) = sign_in_and_renew(f.address, Ed25519Keyring::Dave).await;
	let elsewhere = sign_in(f.address, Ed25519Keyring::Dave).await;
	let on_first = connect(f.address, Transport::WsHeader, Some(&first.token)).await;
	let on_renewed = connect(f.address, Transport::WsQuery, Some(&renewed.token)).await;
	// A connection that took its session in place, by renewing on it.
	let in_place = connect(f.address, Transport::WsHeader, None).await;
	let adopted: SessionGrant = serde_json::from_value(
		in_place.call("auth_renew", rpc_params![&first.token]).await.unwrap(),
	)
	.unwrap();
	for rpc in [&on_first, &on_renewed, &in_place] {
		rpc.call("chain_getBlock", rpc_params![]).await.unwrap();
	}
	// A stolen copy of the first token is signed out, over HTTP, by whoever holds it.
	let anonymous = connect(f.address, Transport::Http, None).await;
	let ended = anonymous.call("auth_signOut", rpc_params![&first.token]).await.unwrap();
	assert_eq!(ended, Json::Bool(true));
	// Every token of that sign-in is refused, on every connection, old and new; renewing any
	// of them too.
	for rpc in [&on_first, &on_renewed, &in_place] {
		let (code, message) = refusal(rpc.call("chain_getBlock", rpc_params![]).await);
		assert_eq!(code, SESSION_REVOKED, "{message}");
	}
	for (token, what) in [
		(&first.token, "the signed-out token"),
		(&renewed.token, "its renewal"),
		(&adopted.token, "its renewal in place"),
	] {
		assert_revoked(f.address, token, what).await;
	}
	// The other sign-in of the same account is untouched.
	assert_live(f.address, &elsewhere.token, "another sign-in").await;
	// Signing out twice is harmless; a forged token ends nothing.
	anonymous.call("auth_signOut", rpc_params![&renewed.token]).await.unwrap();
	let mut forged = hex::decode(&elsewhere.token).unwrap();
	forged[40] ^= 1;
	let (code, _) = refusal(anonymous.call("auth_signOut", rpc_params![hex::encode(forged)]).await);
	assert_eq!(code, UNAUTHENTICATED);
	assert_live(f.address, &elsewhere.token, "another sign-in").await;
	// Over HTTP, a call signs out its own bearer session when it names none.
	let http = connect(f.address, Transport::Http, Some(&elsewhere.token)).await;
	assert_eq!(http.call("auth_signOut", rpc_params![]).await.unwrap(), Json::Bool(true));
	assert_revoked(f.address, &elsewhere.token, "a bearer session signed out").await;
	assert_eq!(anonymous.call("auth_signOut", rpc_params![]).await.unwrap(), Json::Bool(false));
}

#[tokio::test]
async fn signing_out_everywhere_ends_only_the_callers_own_sessions_until_now() {
	let f = fixture(AuthSettings::default()).await;
	// Dave on two devices, Eve on one.
	let phone = sign_in(f.address, Ed25519Keyring::Dave).await;
	let laptop = sign_in(f.address, Ed25519Keyring::Dave).await;
	let eves = sign_in(f.address, Ed25519Keyring::Eve).await;
	let on_laptop = connect(f.address, Transport::WsHeader, Some(&laptop.token)).await;
	on_laptop.call("chain_getBlock", rpc_params![]).await.unwrap();
	// Eve cannot end Dave's sessions: the method ends the caller's own account only.
	let eve = connect(f.address, Transport::Http, Some(&eves.token)).await;
	assert_eq!(eve.call("auth_signOutEverywhere", rpc_params![]).await.unwrap(), Json::Bool(true));
	assert_revoked(f.address, &eves.token, "Eve's own session").await;
	assert_live(f.address, &phone.token, "Dave's phone after Eve's call").await;
	// Nor can an anonymous caller, nor a token passed as a parameter.
	let anonymous = connect(f.address, Transport::Http, None).await;
	let ended = anonymous.call("auth_signOutEverywhere", rpc_params![]).await.unwrap();
	assert_eq!(ended, Json::Bool(false));
	// A token passed as a parameter is ignored: the call's own session, none here, is meant.
	let ended = anonymous.call("auth_signOutEverywhere", rpc_params![&phone.token]).await.unwrap();
	assert_eq!(ended, Json::Bool(false));
	assert_live(f.address, &phone.token, "Dave's phone after an anonymous call").await;
	// Dave, from his phone, ends both devices' sessions, the open WebSocket's included.
	let on_phone = connect(f.address, Transport::Http, Some(&phone.token)).await;
	let ended = on_phone.call("auth_signOutEverywhere", rpc_params![]).await.unwrap();
	assert_eq!(ended, Json::Bool(true));
	let (code, message) = refusal(on_laptop.call("chain_getBlock", rpc_params![]).await);
	assert_eq!(code, SESSION_REVOKED, "{message}");
	assert_revoked(f.address, &phone.token, "the phone").await;
	assert_revoked(f.address, &laptop.token, "the laptop").await;
	// A sign-in after that is a new session and lives.
	let again = sign_in(f.address, Ed25519Keyring::Dave).await;
	assert_live(f.address, &again.token, "a sign-in after signing out everywhere").await;
}

#[tokio::test]
async fn signing_out_an_expired_token_ends_the_renewal_that_outlived_it() {
	let f =
		fixture(AuthSettings { session_ttl: Duration::from_secs(2), ..Default::default() }).await;
	let first = sign_in(f.address, Ed25519Keyring::Eve).await;
	tokio::time::sleep(Duration::from_millis(1_200)).await;
	let client = HttpClientBuilder::default().build(format!("http://{}", f.address)).unwrap();
	let renewed: SessionGrant =
		client.request("auth_renew", rpc_params![&first.token]).await.unwrap();
	tokio::time::sleep(Duration::from_millis(1_000)).await;
	// The first token has expired; its renewal lives; signing out the first ends both.
	let rpc = connect(f.address, Transport::Http, Some(&first.token)).await;
	let (code, _) = refusal(rpc.call("records_byPatient", rpc_params![eve(), 0, 10]).await);
	assert_eq!(code, SESSION_EXPIRED);
	let rpc = connect(f.address, Transport::Http, Some(&renewed.token)).await;
	rpc.call("records_byPatient", rpc_params![eve(), 0, 10]).await.unwrap();
	let ended: Json = client.request("auth_signOut", rpc_params![&first.token]).await.unwrap();
	assert_eq!(ended, Json::Bool(true));
	let (code, message) = refusal(rpc.call("records_byPatient", rpc_params![eve(), 0, 10]).await);
	assert_eq!(code, SESSION_REVOKED, "{message}");
	let (code, _) = refusal(client.request("auth_renew", rpc_params![&renewed.token]).await);
	assert_eq!(code, SESSION_REVOKED);
}

#[tokio::test]
async fn the_operator_ends_every_session_of_an_account_and_a_restart_keeps_every_revocation() {
	let mut f = fixture(AuthSettings::default()).await;
	let (daves, daves_renewed) = sign_in_and_renew(f.address, Ed25519Keyring::Dave).await;
	let daves_other = sign_in(f.address, Ed25519Keyring::Dave).await;
	let (alices, alices_renewed) = sign_in_and_renew(f.address, Ed25519Keyring::Alice).await;
	let alices_other = sign_in(f.address, Ed25519Keyring::Alice).await;
	let eves = sign_in(f.address, Ed25519Keyring::Eve).await;
	let on_daves = connect(f.address, Transport::WsHeader, Some(&daves_other.token)).await;
	on_daves.call("chain_getBlock", rpc_params![]).await.unwrap();
	// Alice signs one sign-in out; the operator ends every session of Dave, as
	// `carechain auth revoke-account` asks: the running node takes it within a second.
	let client = HttpClientBuilder::default().build(format!("http://{}", f.address)).unwrap();
	let _: Json = client.request("auth_signOut", rpc_params![&alices.token]).await.unwrap();
	let request =
		auth::request_account_end(&f.revocations(), &Ed25519Keyring::Dave.to_account_id()).unwrap();
	for _ in 0..50 {
		if !request.exists() {
			break;
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	assert!(!request.exists(), "the node took the operator's request");
	let (code, message) = refusal(on_daves.call("chain_getBlock", rpc_params![]).await);
	assert_eq!(code, SESSION_REVOKED, "{message}");
	assert!(message.contains("operator"), "{message}");
	for _ in 0..2 {
		for (token, what) in [
			(&daves.token, "Dave's first"),
			(&daves_renewed.token, "Dave's renewal"),
			(&daves_other.token, "Dave's second"),
			(&alices.token, "Alice's signed-out"),
			(&alices_renewed.token, "Alice's signed-out renewal"),
		] {
			assert_revoked(f.address, token, what).await;
		}
		assert_live(f.address, &alices_other.token, "Alice's other sign-in").await;
		let rpc = connect(f.address, Transport::WsQuery, Some(&eves.token)).await;
		rpc.call("records_byPatient", rpc_params![eve(), 0, 10]).await.unwrap();
		// The tokens survive a restart, and so does every revocation.
		f.restart().await;
	}
	// A token renewed after the restart is still of a live sign-in; Dave signs in again.
	let client = HttpClientBuilder::default().build(format!("http://{}", f.address)).unwrap();
	let renewed: SessionGrant =
		client.request("auth_renew", rpc_params![&alices_other.token]).await.unwrap();
	assert_live(f.address, &renewed.token, "a renewal after the restart").await;
	let dave_again = sign_in(f.address, Ed25519Keyring::Dave).await;
	assert_live(f.address, &dave_again.token, "Dave's sign-in after the revocation").await;
}

#[tokio::test]
async fn a_flood_of_sign_ins_and_sign_outs_keeps_the_revocations_bounded() {
	let mut f = fixture(AuthSettings::default()).await;
	let client = HttpClientBuilder::default().build(format!("http://{}", f.address)).unwrap();
	let mut ended = Vec::new();
	// As many as the challenges allow each account in their lifetime (64), from two accounts.
	for who in [Ed25519Keyring::Eve, Ed25519Keyring::Ferdie] {
		for _ in 0..64 {
			let grant = auth::sign_in(&client, &who.pair()).await.unwrap();
			let _: Json = client.request("auth_signOut", rpc_params![&grant.token]).await.unwrap();
			ended.push(grant.token);
		}
		let refused = auth::sign_in(&client, &who.pair()).await;
		match refused {
			Err(ClientError::Call(e)) => assert_eq!(e.code(), SIGN_IN_BUSY, "{}", e.message()),
			other => panic!("the 65th sign-in within a challenge's life: {other:?}"),
		}
	}
	// A bit per sign-in: the file is a snapshot and the records since, nowhere near a token
	// each.
	let bytes = std::fs::metadata(f.revocations()).unwrap().len();
	assert!(bytes < 8 << 10, "{bytes} bytes for 128 sign-outs");
	f.restart().await;
	for token in ended.iter().step_by(13) {
		assert_revoked(f.address, token, "a flooded sign-out, after a restart").await;
	}
	let bytes = std::fs::metadata(f.revocations()).unwrap().len();
	assert!(bytes < 2 << 10, "{bytes} bytes after the restart's snapshot");
}

#[tokio::test]
async fn a_grantee_hammering_records_by_patient_is_refused_once_its_share_of_the_log_is_full() {
	let f = fixture(AuthSettings::default()).await;
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("disclosures");
	let limits = carechain_node::rpc::disclosures::DisclosureLimits {
		max_bytes_per_accessor: 350,
		..Default::default()
	};
	let handlers = Handlers::new(f.node.clone(), f.spec.clone())
		.with_disclosures(Arc::new(DisclosureLog::open_with(&path, limits.clone()).unwrap()));
	let auth = Auth::new(f.node.clone(), key(1), AuthSettings::default());
	let module = module_with_auth(handlers, None, Some(auth.clone())).unwrap();
	let settings = RpcSettings {
		auth: Some(auth),
		..RpcSettings::new("127.0.0.1:0".parse().unwrap(), 16 << 20)
	};
	let (_handle, address) = start(&settings, module).await.unwrap();
	// Bob's hospital holds Eve's consent: Bob lists her records until his share is full.
	let bob = sign_in(address, Ed25519Keyring::Bob).await;
	let rpc = connect(address, Transport::WsHeader, Some(&bob.token)).await;
	let mut answered = 0;
	let mut refused = None;
	for _ in 0..50 {
		match rpc.call("records_byPatient", rpc_params![eve(), 0, 10]).await {
			Ok(_) => answered += 1,
			Err(e) => refused = Some(refusal(Err(e))),
		}
	}
	let (code, message) = refused.expect("the share filled");
	assert_eq!(code, carechain_node::rpc::disclosures::ACCESSOR_SHARE_FULL, "{message}");
	assert!(message.contains("--disclosure-log-max-bytes-per-accessor"), "{message}");
	assert_eq!(answered, 3, "three entries of 110 bytes fit in 350");
	let files: u64 =
		std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
	assert!(files <= limits.max_bytes_per_accessor, "{files} bytes on disk");
	// Every answered read is accounted, and survives reopening the log.
	let eve_session = sign_in(address, Ed25519Keyring::Eve).await;
	let rpc = connect(address, Transport::WsHeader, Some(&eve_session.token)).await;
	let entries = rpc.call("consent_nodeDisclosures", rpc_params![eve(), 0]).await.unwrap();
	assert_eq!(entries.as_array().unwrap().len(), answered);
	let reopened = DisclosureLog::open_with(&path, limits).unwrap();
	assert_eq!(reopened.of_patient(&eve(), 0).unwrap().len(), answered);
}
