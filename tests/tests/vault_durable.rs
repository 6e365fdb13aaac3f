//! A blob the vault acknowledged survives a crash: the patient submits the records that will
//! anchor her blobs and uploads each blob while its record waits in the pool (`vault_put`
//! without a record), and the dev node is killed with SIGKILL the moment the last receipt
//! arrives. After a restart every blob is on disk, whole.

#![allow(clippy::arithmetic_side_effects)]

use carechain_e2e::{hex_of, sign, DevNode};
use carechain_node::vault::{ChallengeGrant, PutReceipt, PutRequest};
use carechain_primitives::FhirResourceType;
use carechain_runtime::{AccountId, RuntimeCall};
use carechain_vault::access;
use jsonrpsee::{core::client::ClientT, rpc_params};
use sp_core::{Bytes, Pair, H256};
use sp_keyring::Ed25519Keyring;
use std::path::{Path, PathBuf};

/// The files under `dir` named `name`.
fn find(dir: &Path, name: &str) -> Vec<PathBuf> {
	let mut found = Vec::new();
	let mut stack = vec![dir.to_owned()];
	while let Some(dir) = stack.pop() {
		for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
			let path = entry.path();
			if path.is_dir() {
				stack.push(path);
			} else if path.file_name().is_some_and(|n| n == name) {
				found.push(path);
			}
		}
	}
	found
}

#[tokio::test(flavor = "multi_thread")]
async fn an_acknowledged_blob_survives_kill_9() {
	let dir = tempfile::tempdir().unwrap();
	let mut node = DevNode::start(dir.path());
	let client = node.connect().await;
	let patient = Ed25519Keyring::Eve.pair();
	let eve: AccountId = patient.public().into();

	let genesis: H256 = client.request("chain_getBlockHash", rpc_params![0]).await.unwrap();
	let mut nonce: u32 =
		client.request("system_accountNextIndex", rpc_params![&eve]).await.unwrap();
	let mut blobs = Vec::new();
	for i in 0..5u8 {
		// Sealed bytes of a record Eve is about to anchor.
		let (sealed, _key) = carechain_vault::envelope::seal(
			format!(
				r#"{{"resourceType":"Observation","id":"o{i}","status":"final","code":{{"text":"x"}}}}"#
			)
			.as_bytes(),
		);
		let hash = H256(sealed.content_hash);
		let record = RuntimeCall::Records(pallet_records::Call::create_record {
			patient: eve.clone(),
			resource_type: FhirResourceType::Observation,
			content: pallet_records::RecordContent {
				content_hash: hash,
				size: sealed.ciphertext.len() as u64,
				locator: hash,
				patient_key: [7u8; 80],
			},
		});
		let _: H256 = client
			.request(
				"author_submitExtrinsic",
				rpc_params![hex_of(&sign(&patient, nonce, record, genesis))],
			)
			.await
			.unwrap();
		nonce += 1;
		let grant: ChallengeGrant =
			client.request("vault_challenge", rpc_params![&eve]).await.unwrap();
		let challenge = grant.challenge;
		let receipt: PutReceipt = client
			.request(
				"vault_put",
				rpc_params![PutRequest {
					uploader: eve.clone(),
					record: None,
					ciphertext: Bytes(sealed.ciphertext.clone()),
					keys: vec![],
					emergency_key: None,
					challenge,
					signature: Bytes(
						patient.sign(&access::put_message(&challenge.0, &hash.0)).0.to_vec()
					),
				}],
			)
			.await
			.unwrap_or_else(|e| panic!("the vault refused Eve's upload: {e}"));
		assert_eq!(receipt.content_hash, hash);
		blobs.push((hash, sealed.ciphertext));
	}
	// The instant the last receipt is in.
	node.kill();
	drop(client);

	let node = DevNode::start(dir.path());
	let _client = node.connect().await;
	for (hash, ciphertext) in blobs {
		let name = hex::encode(hash.0);
		let copies = find(dir.path(), &name);
		assert_eq!(copies.len(), 1, "blob {name} acknowledged before the crash: {copies:?}");
		assert_eq!(std::fs::read(&copies[0]).unwrap(), ciphertext, "blob {name} is whole");
	}
}
