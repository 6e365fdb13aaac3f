//! A runtime with the registry, the clock and a scripted record index, for the consent
//! pallet's unit tests.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate as pallet_consent;
use carechain_primitives::{
	FhirResourceType, OrgId, OrgKind, RecordId, RecordLookup, RecordSubject, Role,
};
use core::cell::RefCell;
use frame_support::{derive_impl, parameter_types, traits::Time};
use frame_system::EnsureRoot;
use sp_core::H256;
use sp_runtime::BuildStorage;
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Timestamp: pallet_timestamp,
		Registry: pallet_registry,
		Consent: pallet_consent,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

#[derive_impl(pallet_timestamp::config_preludes::TestDefaultConfig)]
impl pallet_timestamp::Config for Test {}

parameter_types! {
	pub const MaxMembersPerOrg: u32 = 16;
	pub const MaxGuardians: u32 = 2;
	pub const MaxPatientRegistrationsPerBlock: u32 = 10;
	pub const BreakGlassPeriod: u64 = DAY;
	pub const MaxBreakGlassPerPractitioner: u32 = 2;
	pub const MaxBreakGlassPerOrganization: u32 = 5;
	pub const MaxBreakGlassPerPatientPerOrganization: u32 = 3;
	pub const BreakGlassRateWindow: u64 = 7 * DAY;
	pub const MaxGrantsPerPatient: u32 = 3;
	pub const MaxScopeItems: u32 = 2;
	pub const MaxWrappedKeys: u32 = 2;
	pub const MaxEndedConsentsPerPatient: u32 = 2;
	pub const MemberRateLimit: pallet_registry::RateLimit =
		pallet_registry::RateLimit { burst: 1_000, per_block: 100 };
	pub const PatientRateLimit: pallet_registry::RateLimit =
		pallet_registry::RateLimit { burst: 100, per_block: 10 };
}

impl pallet_registry::Config for Test {
	type GovernanceOrigin = EnsureRoot<u64>;
	type MaxMembersPerOrg = MaxMembersPerOrg;
	type MaxGuardians = MaxGuardians;
	type MaxPatientRegistrationsPerBlock = MaxPatientRegistrationsPerBlock;
	type MaxValidators = frame_support::traits::ConstU32<4>;
	type ValidatorSetDelay = frame_support::traits::ConstU64<5>;
	type MemberRateLimit = MemberRateLimit;
	type PatientRateLimit = PatientRateLimit;
	type RootOrigin = EnsureRoot<u64>;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = ();
}

impl pallet_consent::Config for Test {
	type Registry = Registry;
	type Records = ScriptedRecords;
	type Time = Timestamp;
	type BreakGlassPeriod = BreakGlassPeriod;
	type MaxBreakGlassPerPractitioner = MaxBreakGlassPerPractitioner;
	type MaxBreakGlassPerOrganization = MaxBreakGlassPerOrganization;
	type MaxBreakGlassPerPatientPerOrganization = MaxBreakGlassPerPatientPerOrganization;
	type BreakGlassRateWindow = BreakGlassRateWindow;
	type MaxGrantsPerPatient = MaxGrantsPerPatient;
	type MaxScopeItems = MaxScopeItems;
	type MaxWrappedKeys = MaxWrappedKeys;
	type MaxEndedConsentsPerPatient = MaxEndedConsentsPerPatient;
	type WeightInfo = ();
}

thread_local! {
	static RECORDS: RefCell<BTreeMap<RecordId, RecordSubject<u64>>> = const { RefCell::new(BTreeMap::new()) };
}

/// A record index the tests fill by hand.
pub struct ScriptedRecords;

impl ScriptedRecords {
	/// Adds a record of `patient`, authored by `author_org`.
	pub fn add(
		id: RecordId,
		patient: u64,
		resource_type: FhirResourceType,
		author_org: Option<OrgId>,
	) {
		RECORDS.with(|r| {
			r.borrow_mut().insert(
				id,
				RecordSubject {
					patient,
					resource_type,
					author_org,
					erased: false,
					current: true,
					created_at: START,
					emergency: None,
				},
			)
		});
	}

	/// Adds a record of `patient`, authored by `author_org` under break-glass session
	/// `emergency`.
	pub fn add_under_session(
		id: RecordId,
		patient: u64,
		resource_type: FhirResourceType,
		author_org: OrgId,
		emergency: u64,
	) {
		Self::add(id, patient, resource_type, Some(author_org));
		RECORDS.with(|r| {
			if let Some(subject) = r.borrow_mut().get_mut(&id) {
				subject.emergency = Some(emergency);
			}
		});
	}

	/// Marks a record erased.
	pub fn erase(id: RecordId) {
		RECORDS.with(|r| {
			if let Some(subject) = r.borrow_mut().get_mut(&id) {
				subject.erased = true;
			}
		});
	}
}

impl RecordLookup<u64> for ScriptedRecords {
	fn record_subject(record: &RecordId) -> Option<RecordSubject<u64>> {
		RECORDS.with(|r| r.borrow().get(record).cloned())
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn create_for_benchmark(patient: &u64, resource_type: FhirResourceType, seed: u32) -> RecordId {
		let id = H256::from_low_u64_be(seed.into());
		Self::add(id, *patient, resource_type, None);
		id
	}
}

pub const DAY: u64 = 24 * 60 * 60 * 1000;
/// When the tests start, in milliseconds since the Unix epoch.
pub const START: u64 = 1_700_000_000_000;

/// Org 0, a hospital.
pub const HOSPITAL_ADMIN: u64 = 1;
pub const DOCTOR: u64 = 2;
/// Org 1, another hospital.
pub const OTHER_DOCTOR: u64 = 3;
pub const OTHER_ADMIN: u64 = 5;
pub const THIRD_DOCTOR: u64 = 6;
/// Org 2, a payer.
pub const PAYER_CLERK: u64 = 4;
pub const PAYER_ADMIN: u64 = 7;
/// Org 3, a clinic, suspended in some tests.
pub const CLINIC_DOCTOR: u64 = 8;
pub const PATIENT: u64 = 100;
pub const GUARDIAN: u64 = 101;
pub const OTHER_PATIENT: u64 = 102;
pub const STRANGER: u64 = 999;

/// A lab result of `PATIENT`, written by org 1.
pub const LAB: RecordId = H256::repeat_byte(0xa1);
/// An allergy record of `PATIENT`, written by org 1.
pub const ALLERGY: RecordId = H256::repeat_byte(0xa2);
/// A record of `OTHER_PATIENT`.
pub const OTHERS: RecordId = H256::repeat_byte(0xb1);

pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = RuntimeGenesisConfig {
		system: Default::default(),
		registry: pallet_registry::GenesisConfig {
			organizations: vec![
				(
					OrgKind::Hospital,
					pallet_registry::Licence::gln([b'1'; 12]),
					H256::repeat_byte(1),
					vec![(HOSPITAL_ADMIN, Role::Admin), (DOCTOR, Role::Practitioner)],
				),
				(
					OrgKind::Hospital,
					pallet_registry::Licence::gln([b'2'; 12]),
					H256::repeat_byte(2),
					vec![
						(OTHER_DOCTOR, Role::Practitioner),
						(OTHER_ADMIN, Role::Admin),
						(THIRD_DOCTOR, Role::Practitioner),
					],
				),
				(
					OrgKind::Payer,
					pallet_registry::Licence::gln([b'3'; 12]),
					H256::repeat_byte(3),
					vec![(PAYER_CLERK, Role::Staff), (PAYER_ADMIN, Role::Admin)],
				),
				(
					OrgKind::Clinic,
					pallet_registry::Licence::gln([b'4'; 12]),
					H256::repeat_byte(4),
					vec![(CLINIC_DOCTOR, Role::Practitioner)],
				),
			],
			patients: vec![(PATIENT, [1u8; 32]), (GUARDIAN, [2u8; 32]), (OTHER_PATIENT, [3u8; 32])],
			validators: Vec::new(),
		},
		consent: Default::default(),
	}
	.build_storage()
	.expect("the test genesis is valid");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		Timestamp::set_timestamp(START);
		RECORDS.with(|r| r.borrow_mut().clear());
		ScriptedRecords::add(LAB, PATIENT, FhirResourceType::Observation, Some(1));
		ScriptedRecords::add(ALLERGY, PATIENT, FhirResourceType::AllergyIntolerance, Some(1));
		ScriptedRecords::add(OTHERS, OTHER_PATIENT, FhirResourceType::Observation, Some(1));
		pallet_registry::Pallet::<Test>::add_guardian(RuntimeOrigin::signed(PATIENT), GUARDIAN)
			.expect("guardian is registered");
	});
	ext
}

/// Runs `test` in a fresh [`new_test_ext`], then checks the pallet's invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Consent::do_try_state().expect("the consent pallet's invariants hold");
	});
}

/// Moves the clock to `now` (never backwards, as the chain's clock) and checks the invariants,
/// as a block boundary would.
pub fn set_time(now: u64) {
	assert!(now >= Timestamp::now(), "the clock never goes back");
	Consent::do_try_state().expect("the consent pallet's invariants hold");
	System::set_block_number(System::block_number() + 1);
	Timestamp::set_timestamp(now);
}
