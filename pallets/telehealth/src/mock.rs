//! A runtime with the registry and telehealth pallets, for the telehealth pallet's unit tests.

// Test set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate as pallet_telehealth;
use carechain_primitives::{FhirResourceType, OrgKind, RecordLookup, RecordSubject, Role};
use frame_support::{derive_impl, parameter_types};
use frame_system::EnsureRoot;
use sp_core::H256;
use sp_runtime::{
	testing::{TestSignature, UintAuthorityId},
	BuildStorage,
};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Timestamp: pallet_timestamp,
		Registry: pallet_registry,
		Telehealth: pallet_telehealth,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

#[derive_impl(pallet_timestamp::config_preludes::TestDefaultConfig)]
impl pallet_timestamp::Config for Test {}

parameter_types! {
	pub const MemberRateLimit: pallet_registry::RateLimit =
		pallet_registry::RateLimit { burst: 1_000, per_block: 100 };
	pub const PatientRateLimit: pallet_registry::RateLimit =
		pallet_registry::RateLimit { burst: 100, per_block: 10 };
	pub const MaxAppointmentDuration: u64 = 2 * HOUR;
}

impl pallet_registry::Config for Test {
	type GovernanceOrigin = EnsureRoot<u64>;
	type MaxMembersPerOrg = frame_support::traits::ConstU32<8>;
	type MaxGuardians = frame_support::traits::ConstU32<2>;
	type MaxPatientRegistrationsPerBlock = frame_support::traits::ConstU32<10>;
	type MaxValidators = frame_support::traits::ConstU32<4>;
	type ValidatorSetDelay = frame_support::traits::ConstU64<5>;
	type MemberRateLimit = MemberRateLimit;
	type PatientRateLimit = PatientRateLimit;
	type RootOrigin = EnsureRoot<u64>;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = ();
}

impl pallet_telehealth::Config for Test {
	type Records = MockRecords;
	type MaxPrescriptionsPerEncounter = frame_support::traits::ConstU32<2>;
	type CareEvents = ();
	type Registry = Registry;
	type Time = Timestamp;
	type Signature = TestSignature;
	type Signer = UintAuthorityId;
	type MaxAppointmentDuration = MaxAppointmentDuration;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockHelper;
}

thread_local! {
	static RECORDS: core::cell::RefCell<std::collections::BTreeMap<H256, RecordSubject<u64>>> =
		const { core::cell::RefCell::new(std::collections::BTreeMap::new()) };
}

/// A record index the tests fill: what the records pallet would answer.
pub struct MockRecords;

impl MockRecords {
	/// Records `subject` under `id`.
	pub fn insert(id: H256, subject: RecordSubject<u64>) {
		RECORDS.with(|r| r.borrow_mut().insert(id, subject));
	}

	/// What the index holds under `id`.
	pub fn subject(id: H256) -> RecordSubject<u64> {
		RECORDS.with(|r| r.borrow().get(&id).cloned()).expect("inserted")
	}
}

impl RecordLookup<u64> for MockRecords {
	fn record_subject(record: &H256) -> Option<RecordSubject<u64>> {
		RECORDS.with(|r| r.borrow().get(record).cloned())
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn create_for_benchmark(patient: &u64, resource_type: FhirResourceType, seed: u32) -> H256 {
		let id = H256::from_low_u64_be(seed.into());
		Self::insert(
			id,
			RecordSubject {
				patient: *patient,
				resource_type,
				author_org: None,
				erased: false,
				current: true,
				created_at: Timestamp::get(),
				emergency: None,
			},
		);
		id
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn set_author_org_for_benchmark(record: &H256, org: u32) {
		RECORDS.with(|r| {
			if let Some(s) = r.borrow_mut().get_mut(record) {
				s.author_org = Some(org);
			}
		});
	}
}

/// Sets the clock and signs for the benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64, TestSignature> for MockHelper {
	fn set_time(now: u64) {
		Timestamp::set_timestamp(now);
	}

	fn countersign(payload: &[u8]) -> (u64, TestSignature) {
		(7_777, TestSignature(7_777, payload.to_vec()))
	}
}

pub const HOUR: u64 = 60 * 60 * 1000;
pub const DAY: u64 = 24 * HOUR;
/// When the tests start, in milliseconds since the Unix epoch.
pub const START: u64 = 1_700_000_000_000;

/// Org 0: St. Mary's hospital.
pub const MARYS: u32 = 0;
pub const MARYS_ADMIN: u64 = 1;
pub const MARYS_DOCTOR: u64 = 2;
pub const MARYS_CLERK: u64 = 3;
/// Org 1: City clinic.
pub const CITY_ADMIN: u64 = 10;
pub const CITY_DOCTOR: u64 = 11;
/// Org 2: the state medical board, a regulator.
pub const BOARD: u32 = 2;
pub const BOARD_OFFICER: u64 = 20;
/// Org 3: a payer.
pub const PAYER_ADMIN: u64 = 30;
pub const PATIENT: u64 = 100;
pub const GUARDIAN: u64 = 101;
pub const OTHER_PATIENT: u64 = 102;
pub const STRANGER: u64 = 999;

/// A test chain whose `execute_with` checks the telehealth pallet's invariants after the test.
pub struct TestExt(pub sp_io::TestExternalities);

impl TestExt {
	/// Runs `test`, then checks `try_state`.
	pub fn execute_with<R>(&mut self, test: impl FnOnce() -> R) -> R {
		self.0.execute_with(|| {
			let result = test();
			Telehealth::do_try_state().expect("the telehealth pallet's invariants hold");
			result
		})
	}
}

pub fn new_test_ext() -> TestExt {
	RECORDS.with(|r| r.borrow_mut().clear());
	let org = |kind, n: u8, members: Vec<(u64, Role)>| {
		(kind, pallet_registry::Licence::gln([b'0' + n; 12]), H256::repeat_byte(n), members)
	};
	let storage = RuntimeGenesisConfig {
		system: Default::default(),
		registry: pallet_registry::GenesisConfig {
			organizations: vec![
				org(
					OrgKind::Hospital,
					1,
					vec![
						(MARYS_ADMIN, Role::Admin),
						(MARYS_DOCTOR, Role::Practitioner),
						(MARYS_CLERK, Role::Staff),
					],
				),
				org(
					OrgKind::Clinic,
					2,
					vec![(CITY_ADMIN, Role::Admin), (CITY_DOCTOR, Role::Practitioner)],
				),
				org(OrgKind::Regulator, 3, vec![(BOARD_OFFICER, Role::Practitioner)]),
				org(OrgKind::Payer, 4, vec![(PAYER_ADMIN, Role::Admin)]),
			],
			patients: vec![(PATIENT, [1u8; 32]), (GUARDIAN, [2u8; 32]), (OTHER_PATIENT, [3u8; 32])],
			validators: Vec::new(),
		},
	}
	.build_storage()
	.expect("the test genesis is valid");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		Timestamp::set_timestamp(START);
		frame_support::assert_ok!(Registry::add_guardian(RuntimeOrigin::signed(PATIENT), GUARDIAN));
	});
	TestExt(ext)
}
