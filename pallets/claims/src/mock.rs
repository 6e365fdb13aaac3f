//! A runtime with the registry, consent, records, balances and claims pallets, for the claims
//! pallet's unit tests and the claims scenario.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate as pallet_claims;
use carechain_primitives::{OrgKind, Role};
use frame_support::{derive_impl, parameter_types, PalletId};
use frame_system::EnsureRoot;
use sp_core::H256;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Timestamp: pallet_timestamp,
		Balances: pallet_balances,
		Registry: pallet_registry,
		Consent: pallet_consent,
		Records: pallet_records,
		Claims: pallet_claims,
		Telehealth: pallet_telehealth,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_timestamp::config_preludes::TestDefaultConfig)]
impl pallet_timestamp::Config for Test {}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
}

parameter_types! {
	pub const MaxMembersPerOrg: u32 = 8;
	pub const MaxGuardians: u32 = 2;
	pub const MaxPatientRegistrationsPerBlock: u32 = 10;
	pub const BreakGlassPeriod: u64 = DAY;
	pub const MaxGrantsPerPatient: u32 = 4;
	pub const MaxScopeItems: u32 = 4;
	pub const MaxWrappedKeys: u32 = 4;
	pub const MaxRecordsPerPatient: u32 = 16;
	pub const MaxVersions: u32 = 3;
	pub const ReservedForPatient: u32 = 2;
	pub const MaxBreakGlassPerPractitioner: u32 = 4;
	pub const MaxBreakGlassPerOrganization: u32 = 16;
	pub const MaxBreakGlassPerPatientPerOrganization: u32 = 4;
	pub const BreakGlassRateWindow: u64 = DAY;
	pub const MemberRateLimit: pallet_registry::RateLimit =
		pallet_registry::RateLimit { burst: 1_000, per_block: 100 };
	pub const PatientRateLimit: pallet_registry::RateLimit =
		pallet_registry::RateLimit { burst: 100, per_block: 10 };
	pub const ClaimsPalletId: PalletId = PalletId(*b"cc/claim");
	pub const TimelyFilingDays: u32 = 90;
	pub const MaxRecordDelayDays: u32 = 30;
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
	type MaxRecordsPerOrganization = frame_support::traits::ConstU32<12>;
	type MaxWritesPerEmergency = frame_support::traits::ConstU32<4>;
	type WeightInfo = ();
}

parameter_types! {
	pub const MaxAppointmentDuration: u64 = 2 * 60 * 60 * 1000;
}

impl pallet_telehealth::Config for Test {
	type Records = Records;
	type MaxPrescriptionsPerEncounter = frame_support::traits::ConstU32<2>;
	type CareEvents = ();
	type Registry = Registry;
	type Time = Timestamp;
	type Signature = sp_runtime::testing::TestSignature;
	type Signer = sp_runtime::testing::UintAuthorityId;
	type MaxAppointmentDuration = MaxAppointmentDuration;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TelehealthHelper;
}

/// Sets the clock and signs for the telehealth pallet's benchmarks (not run here).
#[cfg(feature = "runtime-benchmarks")]
pub struct TelehealthHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_telehealth::BenchmarkHelper<u64, sp_runtime::testing::TestSignature>
	for TelehealthHelper
{
	fn set_time(now: u64) {
		Timestamp::set_timestamp(now);
	}

	fn countersign(payload: &[u8]) -> (u64, sp_runtime::testing::TestSignature) {
		(7_777, sp_runtime::testing::TestSignature(7_777, payload.to_vec()))
	}
}

impl pallet_claims::Config for Test {
	type Registry = Registry;
	type Access = Consent;
	type Records = Records;
	type Encounters = Telehealth;
	type GovernanceOrigin = EnsureRoot<u64>;
	type Currency = Balances;
	type Time = Timestamp;
	type PalletId = ClaimsPalletId;
	type MaxProcedures = frame_support::traits::ConstU32<8>;
	type MaxCodeList = frame_support::traits::ConstU32<4>;
	type MaxLines = frame_support::traits::ConstU32<6>;
	type MaxCodeKeyHolders = frame_support::traits::ConstU32<2>;
	type MaxSupportingRecords = frame_support::traits::ConstU32<4>;
	type MaxPatientConsents = MaxGrantsPerPatient;
	type TimelyFilingDays = TimelyFilingDays;
	type MaxRecordDelayDays = MaxRecordDelayDays;
	type WeightInfo = ();
}

pub const DAY: u64 = 24 * 60 * 60 * 1000;
/// When the tests start, in milliseconds since the Unix epoch (day 19,675).
pub const START: u64 = 1_700_000_000_000;

/// Org 0: St. Mary's hospital.
pub const MARYS_ADMIN: u64 = 1;
pub const MARYS_DOCTOR: u64 = 2;
pub const MARYS_CLERK: u64 = 3;
/// Org 1: City hospital.
pub const CITY_DOCTOR: u64 = 10;
pub const CITY_ADMIN: u64 = 11;
/// Org 2: a payer, with claims staff, two admins and a medical director.
pub const PAYER_CLERK: u64 = 20;
pub const PAYER_ADMIN: u64 = 21;
pub const PAYER_SECOND_ADMIN: u64 = 22;
pub const PAYER_MEDICAL_DIRECTOR: u64 = 23;
/// The payer's organization id.
pub const PAYER: u32 = 2;
/// Org 3: another payer.
pub const OTHER_PAYER: u64 = 30;
/// Org 4: North hospital, a third care provider.
pub const NORTH_ADMIN: u64 = 40;
pub const NORTH: u32 = 4;
pub const PATIENT: u64 = 100;
pub const OTHER_PATIENT: u64 = 102;
pub const STRANGER: u64 = 999;
/// The accounts governance registers for St. Mary's and the payer to be paid out to.
pub const MARYS_PAYOUT: u64 = 500;
pub const PAYER_PAYOUT: u64 = 520;

/// St. Mary's organization id.
pub const MARYS: u32 = 0;
/// The payer's starting balance.
pub const PAYER_FUNDS: u64 = 1_000_000;

/// A test chain whose `execute_with` checks the claims pallet's invariants after the test,
/// and that each policy's escrow account holds exactly its ledger's `funded - paid - withdrawn`
/// (no test transfers into an escrow account directly).
pub struct TestExt(sp_io::TestExternalities);

impl TestExt {
	/// Runs `test`, then checks the invariants.
	pub fn execute_with<R>(&mut self, test: impl FnOnce() -> R) -> R {
		self.0.execute_with(|| {
			let result = test();
			check_invariants();
			result
		})
	}

	/// Runs `test`, then checks `try_state` alone: for a test that sends money to an escrow
	/// account directly, which the ledger never counts.
	pub fn execute_without_escrow_equality<R>(&mut self, test: impl FnOnce() -> R) -> R {
		self.0.execute_with(|| {
			let result = test();
			Claims::do_try_state().expect("the claims pallet's invariants hold");
			result
		})
	}
}

/// Checks the claims pallet's `try_state` and that every escrow account's balance is its
/// ledger's.
pub fn check_invariants() {
	use frame_support::traits::fungible::Inspect;
	Claims::do_try_state().expect("the claims pallet's invariants hold");
	for policy in pallet_claims::Policies::<Test>::iter_keys() {
		let ledger = pallet_claims::Escrows::<Test>::get(policy);
		assert_eq!(
			Balances::balance(&Claims::escrow_account(policy)),
			ledger.funded - ledger.paid - ledger.withdrawn,
			"policy {policy}'s escrow is funded - paid - withdrawn"
		);
	}
}

pub fn new_test_ext() -> TestExt {
	let storage = RuntimeGenesisConfig {
		system: Default::default(),
		balances: pallet_balances::GenesisConfig {
			balances: vec![(PAYER_CLERK, PAYER_FUNDS), (OTHER_PAYER, PAYER_FUNDS)],
			..Default::default()
		},
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
					vec![(CITY_DOCTOR, Role::Practitioner), (CITY_ADMIN, Role::Admin)],
				),
				(
					OrgKind::Payer,
					pallet_registry::Licence::gln([b'3'; 12]),
					H256::repeat_byte(3),
					vec![
						(PAYER_CLERK, Role::Staff),
						(PAYER_ADMIN, Role::Admin),
						(PAYER_SECOND_ADMIN, Role::Admin),
						(PAYER_MEDICAL_DIRECTOR, Role::Practitioner),
					],
				),
				(
					OrgKind::Payer,
					pallet_registry::Licence::gln([b'4'; 12]),
					H256::repeat_byte(4),
					vec![(OTHER_PAYER, Role::Admin)],
				),
				(
					OrgKind::Hospital,
					pallet_registry::Licence::gln([b'5'; 12]),
					H256::repeat_byte(5),
					vec![(NORTH_ADMIN, Role::Admin)],
				),
			],
			// St. Mary's doctor is also a patient, to try billing for their own care.
			patients: vec![
				(PATIENT, [1u8; 32]),
				(OTHER_PATIENT, [3u8; 32]),
				(MARYS_DOCTOR, [2u8; 32]),
			],
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
	});
	TestExt(ext)
}
