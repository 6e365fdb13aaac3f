//! A runtime with the registry, the consent pallet and the records pallet, for the records
//! pallet's unit tests and the consent scenario.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate as pallet_records;
use carechain_primitives::{OrgKind, Role};
use frame_support::{derive_impl, parameter_types};
use frame_system::EnsureRoot;
use sp_core::H256;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Timestamp: pallet_timestamp,
		Registry: pallet_registry,
		Consent: pallet_consent,
		Records: pallet_records,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

#[derive_impl(pallet_timestamp::config_preludes::TestDefaultConfig)]
impl pallet_timestamp::Config for Test {}

parameter_types! {
	pub const MaxMembersPerOrg: u32 = 8;
	pub const MaxGuardians: u32 = 2;
	pub const MaxPatientRegistrationsPerBlock: u32 = 10;
	pub const BreakGlassPeriod: u64 = DAY;
	pub const MaxGrantsPerPatient: u32 = 4;
	pub const MaxScopeItems: u32 = 4;
	pub const MaxWrappedKeys: u32 = 4;
	pub const MaxRecordsPerPatient: u32 = 6;
	pub const MaxVersions: u32 = 3;
	pub const ReservedForPatient: u32 = 2;
	pub const MaxRecordsPerOrganization: u32 = 3;
	pub const MaxWritesPerEmergency: u32 = 1;
	pub const MaxBreakGlassPerPractitioner: u32 = 4;
	pub const MaxBreakGlassPerOrganization: u32 = 16;
	pub const MaxBreakGlassPerPatientPerOrganization: u32 = 4;
	pub const BreakGlassRateWindow: u64 = DAY;
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
	type Records = Records;
	type Time = Timestamp;
	type BreakGlassPeriod = BreakGlassPeriod;
	type MaxGrantsPerPatient = MaxGrantsPerPatient;
	type MaxScopeItems = MaxScopeItems;
	type MaxWrappedKeys = MaxWrappedKeys;
	type MaxEndedConsentsPerPatient = frame_support::traits::ConstU32<4>;
	type MaxBreakGlassPerPractitioner = MaxBreakGlassPerPractitioner;
	type MaxBreakGlassPerOrganization = MaxBreakGlassPerOrganization;
	type MaxBreakGlassPerPatientPerOrganization = MaxBreakGlassPerPatientPerOrganization;
	type BreakGlassRateWindow = BreakGlassRateWindow;
	type WeightInfo = ();
}

impl pallet_records::Config for Test {
	type CareEvents = ();
	type Registry = Registry;
	type Access = Consent;
	type Time = Timestamp;
	type MaxRecordsPerPatient = MaxRecordsPerPatient;
	type MaxVersions = MaxVersions;
	type ReservedForPatient = ReservedForPatient;
	type MaxConsentsPerPatient = MaxGrantsPerPatient;
	type MaxRecordsPerOrganization = MaxRecordsPerOrganization;
	type MaxWritesPerEmergency = MaxWritesPerEmergency;
	type WeightInfo = ();
}

pub const DAY: u64 = 24 * 60 * 60 * 1000;
/// When the tests start, in milliseconds since the Unix epoch.
pub const START: u64 = 1_700_000_000_000;

/// Org 0: St. Mary's hospital.
pub const MARYS_ADMIN: u64 = 1;
pub const MARYS_DOCTOR: u64 = 2;
pub const MARYS_CLERK: u64 = 3;
/// Org 1: City hospital.
pub const CITY_DOCTOR: u64 = 10;
/// Org 2: a payer.
pub const PAYER_CLERK: u64 = 20;
pub const PATIENT: u64 = 100;
pub const GUARDIAN: u64 = 101;
pub const OTHER_PATIENT: u64 = 102;
pub const STRANGER: u64 = 999;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = RuntimeGenesisConfig {
		system: Default::default(),
		registry: pallet_registry::GenesisConfig {
			organizations: vec![
				(
					OrgKind::Hospital,
					pallet_registry::Licence::gln([b'1'; 12]),
					H256::repeat_byte(1),
					vec![
						(MARYS_ADMIN, Role::Admin),
						(MARYS_DOCTOR, Role::Practitioner),
						(MARYS_CLERK, Role::Staff),
					],
				),
				(
					OrgKind::Hospital,
					pallet_registry::Licence::gln([b'2'; 12]),
					H256::repeat_byte(2),
					vec![(CITY_DOCTOR, Role::Practitioner)],
				),
				(
					OrgKind::Payer,
					pallet_registry::Licence::gln([b'3'; 12]),
					H256::repeat_byte(3),
					vec![(PAYER_CLERK, Role::Practitioner)],
				),
			],
			patients: vec![(PATIENT, [1u8; 32]), (GUARDIAN, [2u8; 32]), (OTHER_PATIENT, [3u8; 32])],
			validators: Vec::new(),
		},
		..Default::default()
	}
	.build_storage()
	.expect("the test genesis is valid");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		Timestamp::set_timestamp(START);
		pallet_registry::Pallet::<Test>::add_guardian(RuntimeOrigin::signed(PATIENT), GUARDIAN)
			.expect("guardian is registered");
	});
	ext
}

/// Runs `test` on a fresh chain, then checks every pallet's invariants.
pub fn run<R>(test: impl FnOnce() -> R) -> R {
	new_test_ext().execute_with(|| {
		let result = test();
		Records::do_try_state().expect("the records pallet's invariants hold");
		result
	})
}
