//! The runtime gives the same verdicts on signatures with the node's batch verdicts as without
//! them, ed25519 and sr25519 alike: a valid block imports to the same state root either way,
//! and a block with one bad signature of either scheme is refused either way.

#![allow(clippy::arithmetic_side_effects)]

use carechain_node::{
	chain_spec::ChainSpec, client::Client, db::ChainDb, extrinsic::sign, signatures::BatchVerifier,
};
use carechain_primitives::{
	signatures::{PreVerifiedSignatures, Scheme},
	FhirResourceType,
};
use carechain_runtime::{RuntimeCall, UncheckedExtrinsic};
use codec::Encode;
use sp_core::crypto::Pair as _;
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use std::time::{Duration, Instant};

fn open() -> (Client, tempfile::TempDir) {
	let dir = tempfile::tempdir().unwrap();
	let db = ChainDb::open(dir.path()).unwrap();
	(Client::open(db, &ChainSpec::development().genesis).unwrap(), dir)
}

fn record(n: u32) -> RuntimeCall {
	RuntimeCall::Records(pallet_records::Call::create_record {
		patient: Ed25519Keyring::Eve.to_account_id(),
		resource_type: FhirResourceType::Observation,
		content: pallet_records::RecordContent {
			content_hash: BlakeTwo256::hash(&n.to_le_bytes()),
			size: 10,
			locator: BlakeTwo256::hash(&n.to_le_bytes()),
			// With the signed extensions' implicit data (genesis and era hashes, versions),
			// longer than 256 bytes: the signed payload is hashed.
			patient_key: [7u8; 80],
		},
	})
}

fn verifier() -> BatchVerifier {
	BatchVerifier::new(carechain_gpu::Verifier::new(carechain_gpu::Mode::Cpu).unwrap())
}

#[test]
fn verdicts_are_the_same_with_and_without_the_extension() {
	let (author, _a) = open();
	let genesis = author.genesis_hash();
	let doctor = Ed25519Keyring::Bob.pair();
	// Bob's sr25519 account is a practitioner of the same organization.
	let wallet = Sr25519Keyring::Bob.pair();
	let mut txs: Vec<UncheckedExtrinsic> =
		(0..3).map(|n| sign(&doctor, n, record(n), genesis)).collect();
	txs.extend((0..2).map(|n| sign(&wallet, n, record(10 + n), genesis)));

	let (verdicts, report) = verifier().verify(&author, 1, &txs);
	// Five verdicts, all valid; the report counts the ed25519 batch.
	assert_eq!((verdicts.len(), report.signatures), (5, 3));
	assert!(verdicts.iter().all(|v| v.valid));
	assert_eq!(verdicts.iter().filter(|v| v.scheme == Scheme::Sr25519).count(), 2);
	let candidates = txs.iter().map(|x| (BlakeTwo256::hash(&x.encode()), x));
	let far = Instant::now() + Duration::from_secs(60);
	let built = author.build_block(1_700_000_000_000, candidates, verdicts, far).unwrap();
	assert_eq!(built.block.extrinsics.len(), 6, "timestamp and five records");

	// Import with the batch verdicts and without: same state root, the header's.
	for with_verdicts in [true, false] {
		let (importer, _d) = open();
		let verdicts = if with_verdicts {
			verifier().verify(&importer, 1, &built.block.extrinsics).0
		} else {
			PreVerifiedSignatures::default()
		};
		let changes = importer.execute_block(&built.block, verdicts).unwrap();
		assert_eq!(changes.transaction_storage_root, built.block.header.state_root);
	}

	// One forged signature, of either scheme: refused with the verdicts and without.
	for (position, scheme) in [(2, Scheme::Ed25519), (5, Scheme::Sr25519)] {
		let mut forged = built.block.clone();
		if let sp_runtime::generic::Preamble::Signed(_, signature, _) =
			&mut forged.extrinsics[position].preamble
		{
			*signature = match scheme {
				Scheme::Ed25519 => {
					sp_runtime::MultiSignature::Ed25519(doctor.sign(b"another message"))
				}
				Scheme::Sr25519 => {
					sp_runtime::MultiSignature::Sr25519(wallet.sign(b"another message"))
				}
			}
			.into();
		}
		for with_verdicts in [true, false] {
			let (importer, _d) = open();
			let verdicts = if with_verdicts {
				let (verdicts, _) = verifier().verify(&importer, 1, &forged.extrinsics);
				assert_eq!(verdicts.len(), 5);
				assert_eq!(verdicts.iter().filter(|v| !v.valid).count(), 1, "{scheme:?}");
				verdicts
			} else {
				PreVerifiedSignatures::default()
			};
			let Err(error) = importer.execute_block(&forged, verdicts) else {
				panic!("a block with a forged {scheme:?} signature imported (verdicts: {with_verdicts})");
			};
			assert!(error.to_string().contains("Core_execute_block"), "{error}");
		}
	}
}

#[test]
fn a_verdict_for_another_message_is_not_used() {
	let (client, _d) = open();
	let genesis = client.genesis_hash();
	let doctor = Ed25519Keyring::Bob.pair();
	let tx = sign(&doctor, 0, record(9), genesis);
	let sp_runtime::generic::Preamble::Signed(_, signature, _) = &tx.preamble else {
		unreachable!()
	};
	let sp_runtime::MultiSignature::Ed25519(signature) = signature.0 else { unreachable!() };
	// An "invalid" verdict recorded for this signature on some other message must not make
	// the valid transaction fail: the lookup is by key, signature and exact message.
	let mut lying = PreVerifiedSignatures::default();
	lying.insert(Scheme::Ed25519, doctor.public().0, signature.0, b"not the payload", false);
	let candidates = [(BlakeTwo256::hash(&tx.encode()), &tx)];
	let far = Instant::now() + Duration::from_secs(60);
	let built = client.build_block(1_700_000_000_000, candidates, lying, far).unwrap();
	assert_eq!(built.block.extrinsics.len(), 2, "the runtime verified it itself and took it");
}

/// A telehealth encounter's patient countersignature is verified in the node's batch beside
/// the transaction signatures, and gives the same verdict as the runtime's own check: a good
/// one fulfils the appointment, a forged one leaves it booked, with the batch's verdicts and
/// without.
#[test]
fn an_encounters_countersignature_is_verified_in_the_batch() {
	use pallet_telehealth::{Call as Telehealth, Encounter, Modality};
	use sp_state_machine::Backend as _;
	const T0: u64 = 1_700_000_000_000;
	let (author, _a) = open();
	let genesis = author.genesis_hash();
	let alice = Ed25519Keyring::Alice.pair();
	let bob = Ed25519Keyring::Bob.pair();
	let eve = Ed25519Keyring::Eve.pair();
	let ca = pallet_telehealth::Jurisdiction::parse("US-CA").unwrap();
	let setup = [
		sign(
			&alice,
			0,
			Telehealth::issue_licence {
				practitioner: Ed25519Keyring::Bob.to_account_id(),
				jurisdiction: ca,
				expires_at: T0 + 86_400_000,
			}
			.into(),
			genesis,
		),
		sign(
			&bob,
			0,
			Telehealth::propose_appointment {
				patient: Ed25519Keyring::Eve.to_account_id(),
				jurisdiction: ca,
				start: T0 + 60_000,
				end: T0 + 1_860_000,
				modality: Modality::Video,
			}
			.into(),
			genesis,
		),
		sign(&eve, 0, Telehealth::book { appointment: 0 }.into(), genesis),
	];
	let far = Instant::now() + Duration::from_secs(60);
	let candidates = setup.iter().map(|x| (BlakeTwo256::hash(&x.encode()), x));
	let (verdicts, _) = verifier().verify(&author, 1, &setup);
	let first = author.build_block(T0, candidates, verdicts, far).unwrap();
	assert_eq!(first.block.extrinsics.len(), 4, "timestamp, licence, proposal, booking");
	author.commit(&first.block, first.changes, &[]).unwrap();

	let encounter = Encounter {
		started_at: T0 + 60_000,
		ended_at: T0 + 1_200_000,
		note_hash: [9u8; 32].into(),
	};
	let attest = |signature: sp_runtime::MultiSignature| {
		sign(
			&bob,
			1,
			Telehealth::attest_encounter {
				appointment: 0,
				patient: Ed25519Keyring::Eve.to_account_id(),
				modality: Modality::Video,
				started_at: encounter.started_at,
				ended_at: encounter.ended_at,
				note_hash: encounter.note_hash,
				patient_signature: signature.into(),
			}
			.into(),
			genesis,
		)
	};
	let payload = pallet_telehealth::attestation_payload(0, &encounter, Modality::Video);
	let good = attest(eve.sign(&payload).into());
	let forged = attest(eve.sign(b"another visit").into());
	let status = |client: &Client, hash| {
		let key = pallet_telehealth::Appointments::<carechain_runtime::Runtime>::hashed_key_for(0);
		let bytes = client.state_at(hash).unwrap().storage(&key).unwrap().unwrap();
		let appointment =
			<pallet_telehealth::Appointment<carechain_runtime::AccountId> as codec::Decode>::decode(&mut &bytes[..]).unwrap();
		appointment.status
	};
	for (tx, fulfilled) in [(&good, true), (&forged, false)] {
		// The batch holds two verdicts, the transaction's and the countersignature's.
		let (verdicts, report) = verifier().verify(&author, 2, [tx]);
		assert_eq!((verdicts.len(), report.signatures), (2, 2));
		assert_eq!(verdicts.iter().filter(|v| v.valid).count(), if fulfilled { 2 } else { 1 });
		let candidates = [(BlakeTwo256::hash(&tx.encode()), tx)];
		let built = author.build_block(T0 + 2_000_000, candidates, verdicts, far).unwrap();
		assert_eq!(built.block.extrinsics.len(), 2, "the attestation is in the block either way");
		for with_verdicts in [true, false] {
			let (importer, _d) = open();
			let (v, _) = verifier().verify(&importer, 1, &first.block.extrinsics);
			let changes = importer.execute_block(&first.block, v).unwrap();
			importer.commit(&first.block, changes, &[]).unwrap();
			let verdicts = if with_verdicts {
				verifier().verify(&importer, 2, &built.block.extrinsics).0
			} else {
				PreVerifiedSignatures::default()
			};
			let changes = importer.execute_block(&built.block, verdicts).unwrap();
			assert_eq!(changes.transaction_storage_root, built.block.header.state_root);
			importer.commit(&built.block, changes, &[]).unwrap();
			let expected = if fulfilled {
				pallet_telehealth::AppointmentStatus::Fulfilled
			} else {
				pallet_telehealth::AppointmentStatus::Booked
			};
			assert_eq!(
				status(&importer, built.block.header.hash()),
				expected,
				"verdicts: {with_verdicts}"
			);
		}
	}
}
