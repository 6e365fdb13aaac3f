//! The attack of issue 17 ("Anyone can block vault reads") on the real `carechain --dev`
//! binary: while a patient holds a vault challenge, another caller floods `vault_challenge`
//! over several connections, for random accounts and for the patient's own, with more requests
//! than the vault ever held challenges (100,000). The patient's read with her challenge, and
//! one with a fresh challenge, still succeed.

#![allow(clippy::arithmetic_side_effects)]

use carechain_e2e::{hex_of, sign, DevNode};
use carechain_node::vault::{ChallengeGrant, GetRequest, GetResponse, PutReceipt, PutRequest};
use carechain_primitives::{AccessBasis, Purpose, RecordId};
use carechain_runtime::{AccountId, RuntimeCall};
use carechain_vault::{access, envelope, SecretKey};
use codec::Decode;
use jsonrpsee::{
	core::{
		client::{ClientT, SubscriptionClientT},
		params::BatchRequestBuilder,
	},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use serde_json::Value as Json;
use sp_core::{ed25519, Bytes, Pair, H256};
use sp_keyring::Ed25519Keyring;
use std::time::Duration;

/// More than the 100,000 challenges the vault used to keep in one queue.
const FLOOD: usize = 120_000;
const FLOOD_CONNECTIONS: usize = 4;
const BATCH: usize = 500;

/// Submits `call` signed by `signer` and waits until its block is finalized.
async fn submit(client: &WsClient, genesis: H256, signer: &ed25519::Pair, call: RuntimeCall) {
	let who: AccountId = signer.public().into();
	let nonce: u32 = client.request("system_accountNextIndex", rpc_params![who]).await.unwrap();
	let extrinsic = sign(signer, nonce, call.clone(), genesis);
	let mut watch = client
		.subscribe::<Json, _>(
			"author_submitAndWatchExtrinsic",
			rpc_params![hex_of(&extrinsic)],
			"author_unwatchExtrinsic",
		)
		.await
		.unwrap_or_else(|e| panic!("the pool refused {call:?}: {e}"));
	loop {
		let status = tokio::time::timeout(Duration::from_secs(120), watch.next())
			.await
			.expect("a status within 120 s")
			.expect("the subscription stays open")
			.unwrap();
		if status.get("finalized").is_some() {
			return;
		}
	}
}

async fn challenge(client: &WsClient, who: &AccountId) -> H256 {
	let grant: ChallengeGrant = client.request("vault_challenge", rpc_params![who]).await.unwrap();
	grant.challenge
}

fn get_request(reader: &ed25519::Pair, record: RecordId, challenge: H256) -> GetRequest {
	let purpose = Purpose::Treatment;
	let signature = reader.sign(&access::get_message(&challenge.0, &record, purpose));
	GetRequest {
		accessor: reader.public().into(),
		record,
		purpose,
		challenge,
		reader_key: None,
		signature: Bytes(signature.0.to_vec()),
	}
}

/// Asks for `count` challenges in batches, for random accounts and every tenth for `target`.
async fn flood(url: String, target: AccountId, count: usize, task: usize) -> usize {
	let client = WsClientBuilder::default()
		.request_timeout(Duration::from_secs(300))
		.build(&url)
		.await
		.unwrap();
	let mut granted = 0;
	let mut sent = 0;
	while sent < count {
		let mut batch = BatchRequestBuilder::new();
		for i in 0..BATCH {
			let account = if i % 10 == 0 {
				target.clone()
			} else {
				let mut account = [0xab; 32];
				account[..8].copy_from_slice(&(task as u64).to_le_bytes());
				account[8..16].copy_from_slice(&((sent + i) as u64).to_le_bytes());
				AccountId::from(account)
			};
			batch.insert("vault_challenge", rpc_params![account]).unwrap();
		}
		sent += BATCH;
		let answers = client.batch_request::<ChallengeGrant>(batch).await.unwrap();
		granted += answers.iter().filter(|a| a.is_ok()).count();
	}
	granted
}

#[tokio::test]
async fn a_flood_of_vault_challenges_does_not_block_a_patients_read() {
	let dir = tempfile::tempdir().unwrap();
	let node = DevNode::start(dir.path());
	let client = node.connect().await;
	let genesis: H256 = client.request("chain_getBlockHash", rpc_params![0]).await.unwrap();
	let doctor = Ed25519Keyring::Bob.pair(); // practitioner of St. Alice General Hospital
	let patient = Ed25519Keyring::Eve.pair();
	let eve: AccountId = patient.public().into();

	// The doctor writes a record of Eve's and uploads its blob.
	let eve_x25519 = SecretKey::derive(b"eve flood wallet");
	submit(
		&client,
		genesis,
		&patient,
		RuntimeCall::Registry(pallet_registry::Call::rotate_encryption_key {
			encryption_key: eve_x25519.public_key().0,
		}),
	)
	.await;
	let (resource_type, sealed, data_key) =
		carechain_vault::seal_fhir(br#"{"resourceType":"Observation","status":"final","code":{"text":"glucose"},"subject":{"reference":"Patient/p1"}}"#).unwrap();
	let hash = H256(sealed.content_hash);
	submit(
		&client,
		genesis,
		&doctor,
		RuntimeCall::Records(pallet_records::Call::create_record {
			patient: eve.clone(),
			resource_type,
			content: pallet_records::RecordContent {
				content_hash: hash,
				size: sealed.ciphertext.len() as u64,
				locator: hash,
				patient_key: envelope::wrap_key(&data_key, &eve_x25519.public_key())
					.unwrap()
					.try_into()
					.unwrap(),
			},
		}),
	)
	.await;
	let records: Bytes = client
		.request("records_byPatient", rpc_params![&eve, 0, 10, Option::<H256>::None])
		.await
		.unwrap();
	let records = Vec::<(RecordId, pallet_records::Record<carechain_runtime::Runtime>)>::decode(
		&mut &records[..],
	)
	.unwrap();
	let record = records.iter().find(|(_, r)| r.content_hash == hash).expect("the record").0;
	let doctor_id: AccountId = doctor.public().into();
	let upload = challenge(&client, &doctor_id).await;
	let receipt: PutReceipt = client
		.request(
			"vault_put",
			rpc_params![PutRequest {
				uploader: doctor_id,
				record: Some(record),
				ciphertext: Bytes(sealed.ciphertext.clone()),
				keys: vec![],
				emergency_key: None,
				challenge: upload,
				signature: Bytes(doctor.sign(&access::put_message(&upload.0, &hash.0)).0.to_vec()),
			}],
		)
		.await
		.unwrap();
	assert_eq!(receipt.content_hash, hash);

	// Eve takes a challenge; the flood starts; she logs her read on chain meanwhile.
	let held = challenge(&client, &eve).await;
	let url = format!("ws://127.0.0.1:{}", node.rpc_port);
	let floods: Vec<_> = (0..FLOOD_CONNECTIONS)
		.map(|task| tokio::spawn(flood(url.clone(), eve.clone(), FLOOD / FLOOD_CONNECTIONS, task)))
		.collect();
	submit(
		&client,
		genesis,
		&patient,
		RuntimeCall::Records(pallet_records::Call::log_access {
			record_id: record,
			purpose: Purpose::Treatment,
		}),
	)
	.await;
	let mut granted = 0;
	for flood in floods {
		granted += flood.await.unwrap();
	}
	assert!(granted >= FLOOD, "the flood got {granted} challenges, fewer than {FLOOD}");

	// Her challenge outlived the flood.
	let read: GetResponse = client
		.request("vault_get", rpc_params![get_request(&patient, record, held)])
		.await
		.unwrap_or_else(|e| panic!("Eve's read failed after the flood: {e}"));
	assert_eq!(read.basis, AccessBasis::Patient);
	assert_eq!(read.ciphertext.0, sealed.ciphertext);

	// A fresh challenge during a second flood serves a second read.
	let floods: Vec<_> = (0..FLOOD_CONNECTIONS)
		.map(|task| tokio::spawn(flood(url.clone(), eve.clone(), 5 * BATCH, task + 100)))
		.collect();
	let fresh = challenge(&client, &eve).await;
	submit(
		&client,
		genesis,
		&patient,
		RuntimeCall::Records(pallet_records::Call::log_access {
			record_id: record,
			purpose: Purpose::Treatment,
		}),
	)
	.await;
	let read: GetResponse = client
		.request("vault_get", rpc_params![get_request(&patient, record, fresh)])
		.await
		.unwrap_or_else(|e| panic!("Eve's second read failed during a flood: {e}"));
	assert_eq!(read.basis, AccessBasis::Patient);
	for flood in floods {
		flood.await.unwrap();
	}
}
