//! The record vault end to end, on the real `carechain --dev` binary, once with the local
//! store and once with an S3 bucket (moto): a hospital writes an encrypted FHIR Observation;
//! a second hospital is denied without consent, reads exactly the original JSON with a
//! Treatment consent, and is denied after revocation; after erasure nothing is recoverable;
//! no planted PHI string is anywhere in the chain database, the vault or the bucket; bad
//! requests are refused with clear errors; `carechain vault audit` finds a planted corrupted
//! blob.

#![allow(clippy::arithmetic_side_effects)]

use carechain_e2e::{node_binary, sign, DevNode};
use carechain_node::vault::{ChallengeGrant, GetRequest, GetResponse, PutReceipt, PutRequest};
use carechain_primitives::{AccessBasis, FhirResourceType, OrgKind, Purpose, RecordId};
use carechain_runtime::{AccountId, RuntimeCall, RuntimeEvent};
use carechain_vault::{access, envelope, testing::MotoServer, BlobStore, S3Store, SecretKey};
use codec::{Decode, Encode};
use jsonrpsee::{
	core::client::{ClientT, Error as RpcClientError, SubscriptionClientT},
	rpc_params,
	ws_client::WsClient,
};
use serde_json::Value as Json;
use sp_core::{ed25519, sr25519, Bytes, Pair, H256};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{MultiSignature, MultiSigner};
use std::{
	path::Path,
	time::{Duration, Instant, SystemTime},
};

/// Strings that must never appear outside the patient's and readers' wallets.
const PHI: [&str; 3] = ["Jane Q. Doe-PHI-7731", "MRN-PHI-5521", "glucose-phi-note"];

fn observation() -> String {
	format!(
		r#"{{"resourceType":"Observation","id":"obs-1","status":"final","code":{{"coding":[{{"system":"http://loinc.org","code":"2339-0","display":"Glucose"}}],"text":"{}"}},"subject":{{"reference":"Patient/p1","display":"{}"}},"identifier":[{{"value":"{}"}}],"valueQuantity":{{"value":6.3,"unit":"mmol/L"}}}}"#,
		PHI[2], PHI[0], PHI[1]
	)
}

struct Chain {
	client: WsClient,
	genesis: H256,
}

impl Chain {
	async fn nonce(&self, who: &AccountId) -> u32 {
		self.client.request("system_accountNextIndex", rpc_params![who]).await.unwrap()
	}

	/// Submits `call` signed by `signer` with `nonce` and waits for its block; panics, with the
	/// dispatch error, if the call failed.
	async fn submit_at<P: Pair>(
		&self,
		signer: &P,
		nonce: u32,
		call: RuntimeCall,
	) -> Vec<RuntimeEvent>
	where
		P::Public: Into<MultiSigner>,
		P::Signature: Into<MultiSignature>,
	{
		let (events, failure) = self.dispatch(signer, nonce, call.clone()).await;
		if let Some(dispatch_error) = failure {
			panic!("{call:?} failed: {dispatch_error:?}");
		}
		events
	}

	/// Submits `call` and waits for its block: its events, and its dispatch error if it failed.
	async fn dispatch<P: Pair>(
		&self,
		signer: &P,
		nonce: u32,
		call: RuntimeCall,
	) -> (Vec<RuntimeEvent>, Option<sp_runtime::DispatchError>)
	where
		P::Public: Into<MultiSigner>,
		P::Signature: Into<MultiSignature>,
	{
		let extrinsic = sign(signer, nonce, call.clone(), self.genesis);
		let mut watch = self
			.client
			.subscribe::<Json, _>(
				"author_submitAndWatchExtrinsic",
				rpc_params![carechain_e2e::hex_of(&extrinsic)],
				"author_unwatchExtrinsic",
			)
			.await
			.unwrap_or_else(|e| panic!("the pool refused {call:?}: {e}"));
		let block = loop {
			let status = tokio::time::timeout(Duration::from_secs(30), watch.next())
				.await
				.expect("a status within 30 s")
				.expect("the subscription stays open")
				.unwrap();
			if let Some(hash) = status.get("finalized") {
				break serde_json::from_value::<H256>(hash.clone()).unwrap();
			}
		};
		let events = self.events(block).await;
		let failure = events.iter().find_map(|event| match event {
			RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
				dispatch_error, ..
			}) => Some(*dispatch_error),
			_ => None,
		});
		(events, failure)
	}

	/// Whether `call` by `signer` fails in its block with exactly `expected`.
	async fn refuses(
		&self,
		signer: &ed25519::Pair,
		call: RuntimeCall,
		expected: impl Into<sp_runtime::DispatchError>,
	) -> bool {
		let nonce = self.nonce(&signer.public().into()).await;
		let failure = self.dispatch(signer, nonce, call).await.1;
		match (failure, expected.into()) {
			(
				Some(sp_runtime::DispatchError::Module(got)),
				sp_runtime::DispatchError::Module(want),
			) => (got.index, got.error) == (want.index, want.error),
			(got, want) => panic!("expected {want:?}, got {got:?}"),
		}
	}

	async fn submit<P: Pair>(&self, signer: &P, call: RuntimeCall) -> Vec<RuntimeEvent>
	where
		P::Public: Into<MultiSigner>,
		P::Signature: Into<MultiSignature>,
	{
		let who = signer.public().into();
		let who = sp_runtime::traits::IdentifyAccount::into_account(who);
		let nonce = self.nonce(&who).await;
		self.submit_at(signer, nonce, call).await
	}

	/// Puts `reader`'s read of `record_id` for `purpose` on chain (`records.log_access`).
	async fn log_access(&self, reader: &ed25519::Pair, record_id: RecordId, purpose: Purpose) {
		let call = RuntimeCall::Records(pallet_records::Call::log_access { record_id, purpose });
		self.submit(reader, call).await;
	}

	/// The patient (`patient`, signing for herself) grants organization `org` Treatment access
	/// to `record` for an hour, with `wrapped_keys`; the consent's id.
	async fn grant_treatment(
		&self,
		patient: &ed25519::Pair,
		org: u32,
		record: RecordId,
		wrapped_keys: Vec<(RecordId, pallet_consent::WrappedKey)>,
	) -> u64 {
		let events = self
			.submit(
				patient,
				RuntimeCall::Consent(pallet_consent::Call::grant {
					patient: patient.public().into(),
					grantee: pallet_consent::Grantee::Organization(org),
					scope: pallet_consent::ConsentScope::Records(vec![record]),
					purposes: vec![Purpose::Treatment],
					expires_at: now_ms() + 3_600_000,
					wrapped_keys,
				}),
			)
			.await;
		events
			.iter()
			.find_map(|e| match e {
				RuntimeEvent::Consent(pallet_consent::Event::ConsentGranted {
					consent_id, ..
				}) => Some(*consent_id),
				_ => None,
			})
			.expect("ConsentGranted")
	}

	async fn events(&self, block: H256) -> Vec<RuntimeEvent> {
		let key = carechain_node::client::events_key();
		let bytes: Option<Bytes> =
			self.client.request("state_getStorage", rpc_params![Bytes(key), block]).await.unwrap();
		let records = Vec::<frame_system::EventRecord<RuntimeEvent, H256>>::decode(
			&mut &bytes.map(|b| b.0).unwrap_or_default()[..],
		)
		.unwrap();
		records.into_iter().map(|r| r.event).collect()
	}

	async fn records_of(
		&self,
		patient: &AccountId,
	) -> Vec<(RecordId, pallet_records::Record<carechain_runtime::Runtime>)> {
		let bytes: Bytes = self
			.client
			.request("records_byPatient", rpc_params![patient, 0, 100, Option::<H256>::None])
			.await
			.unwrap();
		Decode::decode(&mut &bytes[..]).unwrap()
	}

	async fn challenge(&self, who: &AccountId) -> ChallengeGrant {
		self.client.request("vault_challenge", rpc_params![who]).await.unwrap()
	}

	async fn get_request(
		&self,
		reader: &ed25519::Pair,
		record: RecordId,
		purpose: Purpose,
	) -> GetRequest {
		let accessor: AccountId = reader.public().into();
		let challenge = self.challenge(&accessor).await.challenge;
		let signature = reader.sign(&access::get_message(&challenge.0, &record, purpose));
		GetRequest {
			accessor,
			record,
			purpose,
			challenge,
			reader_key: None,
			signature: Bytes(signature.0.to_vec()),
		}
	}

	/// A read asking for the data key wrapped to `reader_key` (an emergency read).
	async fn get_request_for_key(
		&self,
		reader: &ed25519::Pair,
		record: RecordId,
		purpose: Purpose,
		reader_key: &envelope::PublicKey,
	) -> GetRequest {
		let accessor: AccountId = reader.public().into();
		let challenge = self.challenge(&accessor).await.challenge;
		let message = access::get_message_for_key(&challenge.0, &record, purpose, &reader_key.0);
		GetRequest {
			accessor,
			record,
			purpose,
			challenge,
			reader_key: Some(H256(reader_key.0)),
			signature: Bytes(reader.sign(&message).0.to_vec()),
		}
	}

	async fn get(&self, request: &GetRequest) -> Result<GetResponse, (i32, String)> {
		self.client.request("vault_get", rpc_params![request]).await.map_err(error_code)
	}

	async fn put_request(
		&self,
		uploader: &ed25519::Pair,
		record: Option<RecordId>,
		ciphertext: &[u8],
		keys: Vec<(AccountId, Bytes)>,
	) -> PutRequest {
		let who: AccountId = uploader.public().into();
		let challenge = self.challenge(&who).await.challenge;
		let hash = carechain_vault::content_hash(ciphertext);
		let signature = uploader.sign(&access::put_message(&challenge.0, &hash));
		PutRequest {
			uploader: who,
			record,
			ciphertext: Bytes(ciphertext.to_vec()),
			keys,
			emergency_key: None,
			challenge,
			signature: Bytes(signature.0.to_vec()),
		}
	}

	async fn put(&self, request: &PutRequest) -> Result<PutReceipt, (i32, String)> {
		self.client.request("vault_put", rpc_params![request]).await.map_err(error_code)
	}
}

fn error_code(error: RpcClientError) -> (i32, String) {
	match error {
		// A refused transaction says why in `data`, after Substrate's title in `message`.
		RpcClientError::Call(e) => match e.data() {
			Some(data) => (e.code(), format!("{}: {}", e.message(), data.get())),
			None => (e.code(), e.message().to_owned()),
		},
		other => panic!("expected a JSON-RPC error, got {other:?}"),
	}
}

fn now_ms() -> u64 {
	SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as u64
}

/// Every file under `dir`, with its bytes.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
	let mut files = Vec::new();
	let mut stack = vec![dir.to_owned()];
	while let Some(dir) = stack.pop() {
		for entry in std::fs::read_dir(&dir).unwrap().flatten() {
			let path = entry.path();
			if path.is_dir() {
				stack.push(path);
			} else if let Ok(bytes) = std::fs::read(&path) {
				files.push((path, bytes));
			}
		}
	}
	files
}

fn assert_no_phi(what: &str, name: &str, bytes: &[u8]) {
	for phi in PHI {
		assert!(
			!bytes.windows(phi.len()).any(|w| w == phi.as_bytes()),
			"{what} {name} holds the plaintext {phi:?}"
		);
	}
}

enum Backend {
	Local,
	S3(MotoServer),
}

async fn scenario(backend: Backend) {
	let dir = tempfile::tempdir().unwrap();
	let (args, env): (Vec<String>, Vec<(&str, &str)>) = match &backend {
		Backend::Local => (vec![], vec![]),
		Backend::S3(moto) => (
			vec![
				"--vault-s3-endpoint".into(),
				moto.endpoint.clone(),
				"--vault-s3-bucket".into(),
				moto.bucket.clone(),
			],
			vec![("AWS_ACCESS_KEY_ID", "carechain-test"), ("AWS_SECRET_ACCESS_KEY", "secret")],
		),
	};
	let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
	args.extend(["--vault-max-blob-bytes", "65536"]);
	let mut node = DevNode::start_with(dir.path(), &args, &env);
	let client = node.connect().await;
	let genesis = client.request("chain_getBlockHash", rpc_params![0]).await.unwrap();
	let chain = Chain { client, genesis };
	let vault_dir = dir.path().join("chains/dev/vault");

	let doctor = Ed25519Keyring::Bob.pair(); // practitioner of St. Alice General Hospital
	let colleague = Ed25519Keyring::Alice.pair(); // its admin
	let patient = Ed25519Keyring::Eve.pair();
	let eve: AccountId = patient.public().into();
	let other_hospital = ed25519::Pair::from_string("//Second Hospital", None).unwrap();
	let other: AccountId = other_hospital.public().into();

	// Governance admits a second hospital (the council is Sr25519 Alice alone).
	let admit = RuntimeCall::Registry(pallet_registry::Call::admit_organization {
		kind: OrgKind::Hospital,
		licence: pallet_registry::Licence::npi(*b"155555555"),
		documents_hash: H256::repeat_byte(0x55),
		admin: other.clone(),
	});
	let length_bound = admit.encoded_size() as u32;
	let events = chain
		.submit(
			&Sr25519Keyring::Alice.pair(),
			RuntimeCall::Council(pallet_collective::Call::propose {
				threshold: 1,
				proposal: Box::new(admit),
				length_bound,
			}),
		)
		.await;
	let second_org = events
		.iter()
		.find_map(|e| match e {
			RuntimeEvent::Registry(pallet_registry::Event::OrganizationAdmitted {
				org, ..
			}) => Some(*org),
			_ => None,
		})
		.expect("the motion admitted the hospital");

	// Wallet keys: the patient registers the X25519 key her wallet holds.
	let patient_x25519 = SecretKey::derive(b"eve wallet seed");
	let reader_x25519 = SecretKey::derive(b"second hospital key");
	let colleague_x25519 = SecretKey::derive(b"alice hospital key");
	chain
		.submit(
			&patient,
			RuntimeCall::Registry(pallet_registry::Call::rotate_encryption_key {
				encryption_key: patient_x25519.public_key().0,
			}),
		)
		.await;

	// The doctor writes an encrypted Observation, wrapped to the patient, with a key for a
	// colleague deposited in the vault; the blob goes up while the record waits in the pool.
	let json = observation();
	let (resource_type, sealed, data_key) = carechain_vault::seal_fhir(json.as_bytes()).unwrap();
	assert_eq!(resource_type, FhirResourceType::Observation);
	let hash = H256(sealed.content_hash);
	let create = RuntimeCall::Records(pallet_records::Call::create_record {
		patient: eve.clone(),
		resource_type,
		content: pallet_records::RecordContent {
			content_hash: hash,
			size: sealed.ciphertext.len() as u64,
			locator: hash,
			patient_key: envelope::wrap_key(&data_key, &patient_x25519.public_key())
				.unwrap()
				.try_into()
				.unwrap(),
		},
	});
	let doctor_id: AccountId = doctor.public().into();
	let nonce = chain.nonce(&doctor_id).await;
	// Nonce + 1 waits in the pool until nonce is used, so the upload meets a pending record.
	let waiting = sign(&doctor, nonce + 1, create, chain.genesis);
	let _: H256 = chain
		.client
		.request("author_submitExtrinsic", rpc_params![carechain_e2e::hex_of(&waiting)])
		.await
		.unwrap();
	let colleague_key = envelope::wrap_key(&data_key, &colleague_x25519.public_key()).unwrap();
	// A clerk of the hospital, who will leave it, gets a deposited key too.
	let clerk = ed25519::Pair::from_string("//St Alice Clerk", None).unwrap();
	let clerk_id: AccountId = clerk.public().into();
	let clerk_x25519 = SecretKey::derive(b"clerk key");
	chain
		.submit(
			&colleague,
			RuntimeCall::Registry(pallet_registry::Call::add_member {
				who: clerk_id.clone(),
				role: carechain_primitives::Role::Staff,
			}),
		)
		.await;
	let clerk_key = envelope::wrap_key(&data_key, &clerk_x25519.public_key()).unwrap();
	let escrow: carechain_node::vault::EscrowKey =
		chain.client.request("vault_escrowKey", rpc_params![]).await.unwrap();
	let escrow = envelope::PublicKey(escrow.public_key.0);
	let mut put = chain
		.put_request(
			&doctor,
			None,
			&sealed.ciphertext,
			vec![
				(colleague.public().into(), Bytes(colleague_key)),
				(clerk_id.clone(), Bytes(clerk_key)),
			],
		)
		.await;
	// An emergency copy of the data key, wrapped to the vault's escrow key.
	put.emergency_key = Some(Bytes(envelope::wrap_key(&data_key, &escrow).unwrap()));
	let receipt = chain.put(&put).await.expect("the upload matches the pending record");
	assert_eq!(receipt.content_hash, hash);
	assert_eq!(receipt.keys, 2);
	assert_eq!(chain.put(&put).await.unwrap_err().0, 6003, "a replayed upload is refused");
	chain
		.submit_at(
			&doctor,
			nonce,
			RuntimeCall::System(frame_system::Call::remark { remark: vec![] }),
		)
		.await;
	let deadline = Instant::now() + Duration::from_secs(30);
	let (record_id, record) = loop {
		if let Some(found) =
			chain.records_of(&eve).await.into_iter().find(|(_, r)| r.content_hash == hash)
		{
			break found;
		}
		assert!(Instant::now() < deadline, "the record never reached a block");
		tokio::time::sleep(Duration::from_millis(200)).await;
	};

	// Bad uploads: no record, wrong record, too large, keys for outsiders, bad signatures.
	let (stray, _) = carechain_vault::seal(b"{\"resourceType\":\"Basic\"}");
	let request = chain.put_request(&doctor, None, &stray.ciphertext, vec![]).await;
	let (code, message) = chain.put(&request).await.unwrap_err();
	assert_eq!(code, 6011, "{message}");
	assert!(message.contains("no record or pending record"), "{message}");
	let request = chain.put_request(&doctor, Some(record_id), &stray.ciphertext, vec![]).await;
	assert_eq!(chain.put(&request).await.unwrap_err().0, 6012);
	let mut tampered = sealed.ciphertext.clone();
	tampered[50] ^= 1;
	let request = chain.put_request(&doctor, Some(record_id), &tampered, vec![]).await;
	assert_eq!(chain.put(&request).await.unwrap_err().0, 6012, "tampered ciphertext is refused");
	let request = chain.put_request(&doctor, None, &vec![1u8; 70_000], vec![]).await;
	let (code, message) = chain.put(&request).await.unwrap_err();
	assert_eq!(code, 6010, "{message}");
	let request = chain
		.put_request(
			&doctor,
			Some(record_id),
			&sealed.ciphertext,
			vec![(other.clone(), Bytes(vec![0; 80]))],
		)
		.await;
	assert_eq!(chain.put(&request).await.unwrap_err().0, 6014, "no keys for other hospitals");
	let mut forged = chain.put_request(&doctor, Some(record_id), &sealed.ciphertext, vec![]).await;
	forged.signature = Bytes(other_hospital.sign(b"something else").0.to_vec());
	assert_eq!(chain.put(&forged).await.unwrap_err().0, 6005);

	// The stored blob is exactly the ciphertext, wherever it is kept.
	let blob_file = vault_dir.join("blobs").join(&hex::encode(hash)[..2]).join(hex::encode(hash));
	let s3 = match &backend {
		Backend::Local => {
			assert_eq!(std::fs::read(&blob_file).unwrap(), sealed.ciphertext);
			None
		}
		Backend::S3(moto) => {
			assert!(!blob_file.exists(), "with S3 nothing is kept on local disk");
			let store = S3Store::new(&moto.settings()).unwrap();
			assert_eq!(store.get(&hash.0).await.unwrap().unwrap(), sealed.ciphertext);
			Some(store)
		}
	};

	// An attacker registers as a patient and tries to anchor Eve's blob as her own record (to
	// erase it and have every vault delete Eve's blob): refused, the blob stays.
	let mallory = ed25519::Pair::from_string("//Mallory", None).unwrap();
	let mallory_id: AccountId = mallory.public().into();
	chain
		.submit(
			&mallory,
			RuntimeCall::Registry(pallet_registry::Call::register_patient {
				encryption_key: [7; 32],
				guardians: Default::default(),
			}),
		)
		.await;
	let steal = RuntimeCall::Records(pallet_records::Call::create_record {
		patient: mallory_id.clone(),
		resource_type: FhirResourceType::Observation,
		content: pallet_records::RecordContent {
			content_hash: hash,
			size: sealed.ciphertext.len() as u64,
			locator: hash,
			patient_key: [1; 80],
		},
	});
	type RecordsError = pallet_records::Error<carechain_runtime::Runtime>;
	assert!(chain.refuses(&mallory, steal, RecordsError::ContentHashInUse).await);
	// Nor may she write into Eve's records: she is no practitioner, Eve granted her nothing.
	let into_eve = RuntimeCall::Records(pallet_records::Call::create_record {
		patient: eve.clone(),
		resource_type: FhirResourceType::Observation,
		content: pallet_records::RecordContent {
			content_hash: H256::repeat_byte(0x66),
			size: 10,
			locator: H256::repeat_byte(0x66),
			patient_key: [1; 80],
		},
	});
	assert!(chain.refuses(&mallory, into_eve, RecordsError::NotAuthorized).await);
	// Nor may she upload Eve's blob behind a transaction of hers that could never land (to
	// replace its emergency copy, or to be noted as an uploader): a live record anchors it.
	let parked = sign(
		&mallory,
		chain.nonce(&mallory_id).await + 5,
		RuntimeCall::Records(pallet_records::Call::create_record {
			patient: mallory_id.clone(),
			resource_type: FhirResourceType::Observation,
			content: pallet_records::RecordContent {
				content_hash: hash,
				size: sealed.ciphertext.len() as u64,
				locator: hash,
				patient_key: [1; 80],
			},
		}),
		chain.genesis,
	);
	let _: H256 = chain
		.client
		.request("author_submitExtrinsic", rpc_params![carechain_e2e::hex_of(&parked)])
		.await
		.unwrap();
	let mut squat = chain.put_request(&mallory, None, &sealed.ciphertext, vec![]).await;
	squat.emergency_key = Some(Bytes(vec![9; 80]));
	let (code, message) = chain.put(&squat).await.unwrap_err();
	assert_eq!(code, 6013, "{message}");
	// The author may upload again, but not swap the emergency copy: only the patient may.
	let mut swap = chain.put_request(&doctor, Some(record_id), &sealed.ciphertext, vec![]).await;
	swap.emergency_key = Some(Bytes(envelope::wrap_key(&data_key, &escrow).unwrap()));
	assert_eq!(chain.put(&swap).await.unwrap_err().0, 6014, "the emergency copy stays");
	if let Backend::Local = backend {
		assert_eq!(std::fs::read(&blob_file).unwrap(), sealed.ciphertext, "the blob stays");
	}

	// The second hospital has no consent: denied, and says why.
	let request = chain.get_request(&other_hospital, record_id, Purpose::Treatment).await;
	let (code, message) = chain.get(&request).await.unwrap_err();
	assert_eq!(code, 6022, "{message}");
	assert!(message.contains("no consent"), "{message}");

	// The patient's wallet unwraps her key and grants Treatment to the second hospital.
	let key = envelope::unwrap_key(&record.patient_key.unwrap(), &patient_x25519).unwrap();
	let for_reader =
		envelope::wrap_key(&key, &reader_x25519.public_key()).unwrap().try_into().unwrap();
	let consent_id =
		chain.grant_treatment(&patient, second_org, record_id, vec![(record_id, for_reader)]).await;

	// Allowed now, but the read must be on chain first; then the same request succeeds once.
	let request = chain.get_request(&other_hospital, record_id, Purpose::Treatment).await;
	let (code, message) = chain.get(&request).await.unwrap_err();
	assert_eq!(code, 6023, "{message}");
	assert!(message.contains("log_access"), "{message}");
	chain.log_access(&other_hospital, record_id, Purpose::Treatment).await;
	let response = chain.get(&request).await.expect("consented, audited read");
	assert_eq!(response.basis, AccessBasis::Consent(consent_id));
	assert_eq!(response.content_hash, hash);
	let wrapped = response.wrapped_key.clone().expect("the consent's key");
	let key = envelope::unwrap_key(&wrapped, &reader_x25519).unwrap();
	let plaintext = envelope::open(&response.ciphertext, &key).unwrap();
	assert_eq!(plaintext.as_slice(), json.as_bytes(), "exactly the original JSON");
	// Wrong keys and altered ciphertext do not open.
	assert!(envelope::unwrap_key(&wrapped, &colleague_x25519).is_err());
	let mut altered = response.ciphertext.0.clone();
	altered[60] ^= 0x80;
	assert_eq!(envelope::open(&altered, &key).unwrap_err(), envelope::EnvelopeError::Tampered);
	// A replay, and a second read on the same audit entry, are refused.
	assert_eq!(chain.get(&request).await.unwrap_err().0, 6003);
	let again = chain.get_request(&other_hospital, record_id, Purpose::Treatment).await;
	assert_eq!(chain.get(&again).await.unwrap_err().0, 6023, "one audit entry, one read");
	let wrong_purpose = chain.get_request(&other_hospital, record_id, Purpose::Research).await;
	let (code, message) = chain.get(&wrong_purpose).await.unwrap_err();
	assert_eq!(code, 6022, "{message}");
	assert!(message.contains("purpose"), "{message}");

	// The author's colleague reads with the key deposited for her.
	chain.log_access(&colleague, record_id, Purpose::Treatment).await;
	let request = chain.get_request(&colleague, record_id, Purpose::Treatment).await;
	// The entry is in a block before this challenge: it cannot be claimed by it.
	assert_eq!(chain.get(&request).await.unwrap_err().0, 6023);
	let request = chain.get_request(&colleague, record_id, Purpose::Treatment).await;
	chain.log_access(&colleague, record_id, Purpose::Treatment).await;
	let response = chain.get(&request).await.unwrap();
	assert_eq!(response.basis, AccessBasis::AuthorOrganization);
	let key = envelope::unwrap_key(&response.wrapped_key.unwrap(), &colleague_x25519).unwrap();
	assert_eq!(envelope::open(&response.ciphertext, &key).unwrap().as_slice(), json.as_bytes());

	// Revoked: denied again.
	chain.submit(&patient, RuntimeCall::Consent(pallet_consent::Call::revoke { consent_id })).await;
	let request = chain.get_request(&other_hospital, record_id, Purpose::Treatment).await;
	assert_eq!(chain.get(&request).await.unwrap_err().0, 6022);

	// The clerk leaves for the second hospital, which the patient lets read the record (with no
	// key: the patient wraps one for whom she chooses). The key deposited for him while he
	// worked at the author's hospital no longer serves him.
	chain
		.submit(
			&colleague,
			RuntimeCall::Registry(pallet_registry::Call::remove_member { who: clerk_id.clone() }),
		)
		.await;
	chain
		.submit(
			&other_hospital,
			RuntimeCall::Registry(pallet_registry::Call::add_member {
				who: clerk_id.clone(),
				role: carechain_primitives::Role::Practitioner,
			}),
		)
		.await;
	let keyless_consent = chain.grant_treatment(&patient, second_org, record_id, vec![]).await;
	let request = chain.get_request(&clerk, record_id, Purpose::Treatment).await;
	chain.log_access(&clerk, record_id, Purpose::Treatment).await;
	let response = chain.get(&request).await.expect("a consented read");
	assert_eq!(response.basis, AccessBasis::Consent(keyless_consent));
	assert_eq!(response.wrapped_key, None, "a former member's deposited key is not served");
	chain
		.submit(
			&patient,
			RuntimeCall::Consent(pallet_consent::Call::revoke { consent_id: keyless_consent }),
		)
		.await;

	// An emergency: a practitioner of the second hospital breaks the glass. The chain carries
	// no key for him; the vault wraps its escrow copy to the key he names, for a read that is
	// open, audited and flagged, and never after the patient disputes it.
	let er_doctor = ed25519::Pair::from_string("//Second Hospital ER", None).unwrap();
	let er_x25519 = SecretKey::derive(b"second hospital er key");
	chain
		.submit(
			&other_hospital,
			RuntimeCall::Registry(pallet_registry::Call::add_member {
				who: er_doctor.public().into(),
				role: carechain_primitives::Role::Practitioner,
			}),
		)
		.await;
	// The patient's wallet follows her disclosures; nobody else may.
	let follow = |subscriber: ed25519::Pair| {
		let chain = &chain;
		let eve = eve.clone();
		async move {
			let who: AccountId = subscriber.public().into();
			let challenge = chain.challenge(&who).await.challenge;
			let message = access::disclosures_message(&challenge.0, &eve);
			let request = carechain_node::vault::DisclosuresRequest {
				subscriber: who,
				patient: eve,
				from_index: None,
				challenge,
				signature: Bytes(subscriber.sign(&message).0.to_vec()),
			};
			chain
				.client
				.subscribe::<carechain_node::vault::Disclosure, _>(
					"vault_subscribeDisclosures",
					rpc_params![request],
					"vault_unsubscribeDisclosures",
				)
				.await
		}
	};
	let refused = follow(other_hospital).await.map(|_| ()).unwrap_err();
	assert_eq!(error_code(refused).0, 6016, "only the patient follows her disclosures");
	let mut disclosures = follow(patient).await.expect("the patient follows");
	let events = chain
		.submit(
			&er_doctor,
			RuntimeCall::Consent(pallet_consent::Call::break_glass {
				patient: eve.clone(),
				reason: pallet_consent::EmergencyReason::Unconscious,
				justification_hash: H256::repeat_byte(0x42),
			}),
		)
		.await;
	let emergency_id = events
		.iter()
		.find_map(|e| match e {
			RuntimeEvent::Consent(pallet_consent::Event::BreakGlassOpened {
				emergency_id, ..
			}) => Some(*emergency_id),
			_ => None,
		})
		.expect("BreakGlassOpened");
	let keyless = chain.get_request(&er_doctor, record_id, Purpose::Treatment).await;
	let keyed = chain
		.get_request_for_key(&er_doctor, record_id, Purpose::Treatment, &er_x25519.public_key())
		.await;
	chain.log_access(&er_doctor, record_id, Purpose::Treatment).await;
	let (code, message) = chain.get(&keyless).await.unwrap_err();
	assert_eq!(code, 6015, "an emergency read names the key to wrap to: {message}");
	// The wallet hears of the emergency and of the read as soon as they are final.
	let er_id: AccountId = er_doctor.public().into();
	let mut pushed = Vec::new();
	while pushed.len() < 2 {
		let disclosure = tokio::time::timeout(Duration::from_secs(30), disclosures.next())
			.await
			.expect("a disclosure within 30 s")
			.expect("the subscription stays open")
			.unwrap();
		if disclosure.accessor == er_id {
			pushed.push((disclosure.action, disclosure.break_glass));
		}
	}
	assert_eq!(
		pushed,
		vec![
			(carechain_primitives::AuditAction::BreakGlass, true),
			(carechain_primitives::AuditAction::Read, true)
		]
	);
	let response = chain.get(&keyed).await.expect("an open, audited emergency read");
	assert_eq!(response.basis, AccessBasis::BreakGlass(emergency_id));
	let key = envelope::unwrap_key(&response.wrapped_key.unwrap(), &er_x25519).unwrap();
	assert_eq!(envelope::open(&response.ciphertext, &key).unwrap().as_slice(), json.as_bytes());
	// A request whose reader key was swapped after signing is refused.
	let mut swapped = chain
		.get_request_for_key(&er_doctor, record_id, Purpose::Treatment, &er_x25519.public_key())
		.await;
	swapped.reader_key = Some(H256(colleague_x25519.public_key().0));
	assert_eq!(chain.get(&swapped).await.unwrap_err().0, 6005);
	// Disputed by the patient: the session closes, and so does the vault.
	chain
		.submit(&patient, RuntimeCall::Consent(pallet_consent::Call::dispute { emergency_id }))
		.await;
	let after = chain
		.get_request_for_key(&er_doctor, record_id, Purpose::Treatment, &er_x25519.public_key())
		.await;
	assert_eq!(chain.get(&after).await.unwrap_err().0, 6022, "no emergency key after a dispute");

	// The bulk audit finds nothing wrong, then a planted corruption.
	let audit = |extra: &[&str]| {
		let rpc_url = format!("ws://127.0.0.1:{}", node.rpc_port);
		let mut command = std::process::Command::new(node_binary());
		command.args(["vault", "audit", "--gpu", "cpu", "--rpc-url", &rpc_url]).args(extra);
		command.envs(env.iter().copied());
		match &backend {
			Backend::Local => command.arg("--base-path").arg(dir.path()),
			Backend::S3(moto) => command
				.args(["--vault-s3-endpoint", &moto.endpoint])
				.args(["--vault-s3-bucket", &moto.bucket]),
		};
		command.output().unwrap()
	};
	let clean = audit(&[]);
	let text = String::from_utf8_lossy(&clean.stdout).into_owned();
	assert!(clean.status.success(), "{text}{}", String::from_utf8_lossy(&clean.stderr));
	assert!(text.contains("intact: 1") && text.contains("Clean."), "{text}");
	if let Backend::Local = backend {
		let mut bytes = std::fs::read(&blob_file).unwrap();
		bytes[70] ^= 4;
		std::fs::write(&blob_file, &bytes).unwrap();
		let report = dir.path().join("audit.json");
		let found = audit(&["--json", report.to_str().unwrap()]);
		let text = String::from_utf8_lossy(&found.stdout).into_owned();
		assert_eq!(found.status.code(), Some(2), "{text}");
		assert!(text.contains(&format!("corrupted 0x{}", hex::encode(hash))), "{text}");
		let json: Json = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
		assert_eq!(json["corrupted"][0], Json::from(format!("0x{}", hex::encode(hash))));
		// A read of a corrupted copy is refused, not served.
		let request = chain.get_request(&patient, record_id, Purpose::Treatment).await;
		chain.log_access(&patient, record_id, Purpose::Treatment).await;
		assert_eq!(chain.get(&request).await.unwrap_err().0, 6030);
		// The author uploads the good copy again, which repairs it.
		let repair = chain.put_request(&doctor, Some(record_id), &sealed.ciphertext, vec![]).await;
		chain.put(&repair).await.unwrap();
		assert_eq!(std::fs::read(&blob_file).unwrap(), sealed.ciphertext);
	}

	// No plaintext anywhere while the record lives.
	for (path, bytes) in files_under(dir.path()) {
		assert_no_phi("file", &path.display().to_string(), &bytes);
	}
	if let Some(store) = &s3 {
		let objects = store.everything().await.unwrap();
		assert_eq!(
			objects.len(),
			5,
			"the blob, the colleague's and the clerk's keys, the escrow copy, the uploader's note"
		);
		for (name, bytes) in objects {
			assert_no_phi("S3 object", &name, &bytes);
		}
	}

	// Erasure: the blob and its keys go from the vault; the tombstone stays.
	chain
		.submit(&patient, RuntimeCall::Records(pallet_records::Call::erase_record { record_id }))
		.await;
	let deadline = Instant::now() + Duration::from_secs(20);
	loop {
		let gone = match &s3 {
			None => !blob_file.exists() && !vault_dir.join("keys").join(hex::encode(hash)).exists(),
			Some(store) => store.everything().await.unwrap().is_empty(),
		};
		if gone {
			break;
		}
		assert!(Instant::now() < deadline, "the vault kept the erased blob; log:\n{}", node.log());
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
	if let Backend::S3(moto) = &backend {
		assert!(moto.object_names().is_empty(), "the bucket is empty");
	}
	let tombstone = chain.records_of(&eve).await.into_iter().find(|(id, _)| *id == record_id);
	let (_, tombstone) = tombstone.expect("the tombstone remains");
	assert_eq!(tombstone.status, pallet_records::RecordStatus::Erased);
	assert_eq!(tombstone.content_hash, hash);
	assert!(tombstone.locator.is_none() && tombstone.patient_key.is_none());
	let request = chain.get_request(&patient, record_id, Purpose::Treatment).await;
	let (code, message) = chain.get(&request).await.unwrap_err();
	assert_eq!(code, 6021, "{message}");
	let late = chain.put_request(&doctor, Some(record_id), &sealed.ciphertext, vec![]).await;
	assert_eq!(chain.put(&late).await.unwrap_err().0, 6021, "an erased record takes no upload");
	let orphan_free = audit(&[]);
	assert!(orphan_free.status.success(), "{}", String::from_utf8_lossy(&orphan_free.stdout));

	// Nothing is recoverable: no blob holds the ciphertext, no file holds the plaintext.
	let status = node.terminate();
	assert!(status.success(), "{}", node.log());
	for (path, bytes) in files_under(dir.path()) {
		assert_no_phi("file", &path.display().to_string(), &bytes);
		assert!(
			!bytes.windows(64).any(|w| w == &sealed.ciphertext[..64]),
			"{} still holds the ciphertext",
			path.display()
		);
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn vault_end_to_end_on_local_disk() {
	scenario(Backend::Local).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn vault_end_to_end_on_s3() {
	scenario(Backend::S3(MotoServer::start("carechain-e2e"))).await;
}

#[test]
fn srkeys_sign_extrinsics_too() {
	// The council motion above is signed with sr25519; check the generic signer's account.
	let pair = sr25519::Pair::from_string("//Alice", None).unwrap();
	let call = RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
	let extrinsic = sign(&pair, 0, call, H256::zero());
	let sp_runtime::generic::Preamble::Signed(sp_runtime::MultiAddress::Id(who), ..) =
		extrinsic.preamble
	else {
		panic!("signed");
	};
	assert_eq!(who, Sr25519Keyring::Alice.to_account_id());
}
