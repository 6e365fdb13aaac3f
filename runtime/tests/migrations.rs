//! The runtime's storage migrations run when a node with a new spec version meets a chain of
//! an older one, once, and never on a chain that started at the current versions.

use carechain_runtime::{genesis, Claims, Executive, Header, Provenance, Runtime, System, VERSION};
use codec::Encode;
use frame_support::{
	storage::{storage_prefix, unhashed},
	traits::{GetStorageVersion, StorageVersion},
	Blake2_128Concat, StorageHasher,
};
use sp_core::H256;
use sp_runtime::{traits::Header as _, BuildStorage};

/// The key of version 0's fill count of a prescription record (a map the pallet no longer
/// declares).
fn prescription_fills_key(record: H256) -> Vec<u8> {
	let mut key = storage_prefix(b"Provenance", b"PrescriptionFills").to_vec();
	key.extend(Blake2_128Concat::hash(&record.encode()));
	key
}

/// Starts block `number` as a node does: `on_runtime_upgrade` runs first when the stored
/// `LastRuntimeUpgrade` is older than the runtime's version.
fn start_block(number: u32) {
	let parent = System::block_hash(number.saturating_sub(1));
	let header = Header::new(number, H256::zero(), H256::zero(), parent, Default::default());
	Executive::initialize_block(&header);
}

/// A chain of spec version 1, before claims and provenance had version 1 of their storage.
fn chain_of_spec_1() -> sp_io::TestExternalities {
	let storage = genesis::development().build_storage().expect("the dev genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		let mut old = VERSION;
		old.spec_version = 1;
		frame_system::LastRuntimeUpgrade::<Runtime>::put(
			frame_system::LastRuntimeUpgradeInfo::from(old),
		);
		StorageVersion::new(0).put::<Claims>();
		StorageVersion::new(0).put::<Provenance>();
	});
	ext
}

#[test]
fn a_chain_of_an_older_spec_is_migrated_by_its_first_block_once() {
	chain_of_spec_1().execute_with(|| {
		// Version 0 counted fills by the prescription's record id: a link from a patient's
		// record to a drug, in public state.
		let record = H256::repeat_byte(0x5a);
		unhashed::put(&prescription_fills_key(record), &3u32);

		start_block(1);

		assert_eq!(Claims::on_chain_storage_version(), 2);
		assert_eq!(Provenance::on_chain_storage_version(), 1);
		assert_eq!(unhashed::get::<u32>(&prescription_fills_key(record)), None);
		assert_eq!(
			frame_system::LastRuntimeUpgrade::<Runtime>::get().map(|v| v.spec_version.0),
			Some(VERSION.spec_version)
		);

		// An old-format entry appearing later (a replayed write, a stale node's state) is not
		// what the migration answers for: it ran once, and does not run again.
		unhashed::put(&prescription_fills_key(record), &3u32);
		start_block(2);
		assert_eq!(unhashed::get::<u32>(&prescription_fills_key(record)), Some(3));
	});
}

#[test]
fn a_chain_that_started_at_this_spec_runs_no_migration() {
	let storage = genesis::development().build_storage().expect("the dev genesis builds");
	sp_io::TestExternalities::new(storage).execute_with(|| {
		assert_eq!(Claims::on_chain_storage_version(), 2);
		assert_eq!(Provenance::on_chain_storage_version(), 1);
		// Were the provenance migration to run here, it would clear this.
		let record = H256::repeat_byte(0x77);
		unhashed::put(&prescription_fills_key(record), &1u32);
		start_block(1);
		assert_eq!(unhashed::get::<u32>(&prescription_fills_key(record)), Some(1));
	});
}

#[test]
fn a_pallet_already_at_version_1_is_not_migrated_again_by_a_spec_change() {
	chain_of_spec_1().execute_with(|| {
		// Provenance reached version 1 some other way; only claims is behind (and goes on to
		// version 2).
		StorageVersion::new(1).put::<Provenance>();
		let record = H256::repeat_byte(0x33);
		unhashed::put(&prescription_fills_key(record), &2u32);
		start_block(1);
		assert_eq!(Claims::on_chain_storage_version(), 2);
		assert_eq!(unhashed::get::<u32>(&prescription_fills_key(record)), Some(2));
	});
}

#[test]
fn claims_of_storage_version_1_gain_no_telehealth_and_keep_everything_else() {
	use pallet_claims::{
		migrations::v2::{V1AdjudicatedLine, V1Claim, V1ServiceLine},
		ClaimStatus, LineOutcome,
	};
	let storage = genesis::development().build_storage().expect("the dev genesis builds");
	sp_io::TestExternalities::new(storage).execute_with(|| {
		let mut old = VERSION;
		old.spec_version = 6;
		frame_system::LastRuntimeUpgrade::<Runtime>::put(
			frame_system::LastRuntimeUpgradeInfo::from(old),
		);
		StorageVersion::new(1).put::<Claims>();
		let patient = sp_runtime::AccountId32::new([7; 32]);
		let claim = V1Claim::<_, u128> {
			policy: 0,
			patient: patient.clone(),
			provider: 0,
			practitioner: patient.clone(),
			service_date: 20_000,
			code_key_epoch: 0,
			diagnosis: [H256::repeat_byte(1); 5],
			lines: vec![V1AdjudicatedLine {
				billed: V1ServiceLine { procedure: H256::repeat_byte(2), units: 3, charged: 300 },
				outcome: LineOutcome::Allowed,
				scheduled: 300,
				allowed: 300,
				payer_paid: 240,
				patient_share: 60,
				appeal: None,
			}],
			records: vec![H256::repeat_byte(3)],
			attachment: H256::repeat_byte(4),
			status: ClaimStatus::Adjudicated,
			submitted_at: 7,
		};
		unhashed::put(&pallet_claims::Claims::<Runtime>::hashed_key_for(9), &claim);

		start_block(1);

		assert_eq!(Claims::on_chain_storage_version(), 2);
		let migrated = pallet_claims::Claims::<Runtime>::get(9).expect("still decodes");
		assert_eq!(migrated.patient, patient);
		assert_eq!((migrated.service_date, migrated.submitted_at), (20_000, 7));
		let line = &migrated.lines[0];
		assert_eq!(line.billed.telehealth, None);
		assert_eq!((line.billed.units, line.billed.charged, line.payer_paid), (3, 300, 240));
		assert_eq!(migrated.records.to_vec(), vec![H256::repeat_byte(3)]);
	});
}
