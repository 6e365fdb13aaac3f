//! A runtime with the registry, consent, records, telehealth, balances and wellness pallets,
//! for the wellness pallet's unit tests: visits and immunizations reach it as they do on the
//! chain, from the telehealth and records pallets. Dispensing counts are set by the tests.

// Test set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate as pallet_wellness;
use carechain_primitives::{OrgKind, Role};
use core::cell::RefCell;
use frame_support::{derive_impl, parameter_types, PalletId};
use frame_system::EnsureRoot;
use sp_core::H256;
use sp_runtime::{
	testing::{TestSignature, UintAuthorityId},
	BuildStorage,
};
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Timestamp: pallet_timestamp,
		Balances: pallet_balances,
		Registry: pallet_registry,
		Consent: pallet_consent,
		Records: pallet_records,
		Telehealth: pallet_telehealth,
		Wellness: pallet_wellness,
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
	pub const MemberRateLimit: pallet_registry::RateLimit =
		pallet_registry::RateLimit { burst: 1_000, per_block: 100 };
	pub const PatientRateLimit: pallet_registry::RateLimit =
		pallet_registry::RateLimit { burst: 100, per_block: 10 };
	pub const WellnessPalletId: PalletId = PalletId(*b"cc/wellp");
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

impl pallet_consent::Config for Test {
	type Registry = Registry;
	type Records = Records;
	type Time = Timestamp;
	type BreakGlassPeriod = frame_support::traits::ConstU64<DAY>;
	type MaxGrantsPerPatient = frame_support::traits::ConstU32<4>;
	type MaxScopeItems = frame_support::traits::ConstU32<4>;
	type MaxWrappedKeys = frame_support::traits::ConstU32<4>;
	type MaxEndedConsentsPerPatient = frame_support::traits::ConstU32<4>;
	type MaxBreakGlassPerPractitioner = frame_support::traits::ConstU32<4>;
	type MaxBreakGlassPerOrganization = frame_support::traits::ConstU32<16>;
	type MaxBreakGlassPerPatientPerOrganization = frame_support::traits::ConstU32<4>;
	type BreakGlassRateWindow = frame_support::traits::ConstU64<DAY>;
	type WeightInfo = ();
}

impl pallet_records::Config for Test {
	type CareEvents = Wellness;
	type Registry = Registry;
	type Access = Consent;
	type Time = Timestamp;
	type MaxRecordsPerPatient = frame_support::traits::ConstU32<16>;
	type MaxVersions = frame_support::traits::ConstU32<3>;
	type ReservedForPatient = frame_support::traits::ConstU32<2>;
	type MaxConsentsPerPatient = frame_support::traits::ConstU32<4>;
	type MaxRecordsPerOrganization = frame_support::traits::ConstU32<12>;
	type MaxWritesPerEmergency = frame_support::traits::ConstU32<4>;
	type WeightInfo = ();
}

impl pallet_telehealth::Config for Test {
	type Records = Records;
	type MaxPrescriptionsPerEncounter = frame_support::traits::ConstU32<2>;
	type CareEvents = Wellness;
	type Registry = Registry;
	type Time = Timestamp;
	type Signature = TestSignature;
	type Signer = UintAuthorityId;
	type MaxAppointmentDuration = MaxAppointmentDuration;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TelehealthHelper;
}

/// Sets the clock and signs for the telehealth pallet's benchmarks (not run here).
#[cfg(feature = "runtime-benchmarks")]
pub struct TelehealthHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_telehealth::BenchmarkHelper<u64, TestSignature> for TelehealthHelper {
	fn set_time(now: u64) {
		Timestamp::set_timestamp(now);
	}

	fn countersign(payload: &[u8]) -> (u64, TestSignature) {
		(7_777, TestSignature(7_777, payload.to_vec()))
	}
}

thread_local! {
	static DISPENSED: RefCell<BTreeMap<(u32, u32), u32>> = const { RefCell::new(BTreeMap::new()) };
}

/// Dispensing counts the tests set: how many units each pharmacy dispensed each day.
pub struct MockDispensing;

impl MockDispensing {
	/// Records that `org` dispensed one more unit today.
	pub fn dispense(org: u32) {
		let today = u32::try_from(Timestamp::get() / DAY).expect("a day");
		DISPENSED.with(|d| *d.borrow_mut().entry((org, today)).or_default() += 1);
	}
}

impl carechain_primitives::wellness::DispensingCounts for MockDispensing {
	fn dispensed_on(org: u32, day: u32) -> u32 {
		DISPENSED.with(|d| d.borrow().get(&(org, day)).copied().unwrap_or(0))
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn set_dispensed_for_benchmark(org: u32, day: u32, count: u32) {
		DISPENSED.with(|d| d.borrow_mut().insert((org, day), count));
	}
}

impl pallet_wellness::Config for Test {
	type Registry = Registry;
	type Currency = Balances;
	type Dispensing = MockDispensing;
	type Time = Timestamp;
	type PalletId = WellnessPalletId;
	type MaxRules = frame_support::traits::ConstU32<4>;
	type MaxProgramsPerPatient = frame_support::traits::ConstU32<2>;
	type MaxOpenPrograms = frame_support::traits::ConstU32<6>;
	type MaxOpenProgramsPerSponsor = frame_support::traits::ConstU32<4>;
	type MaxProgramDuration = frame_support::traits::ConstU64<{ 400 * DAY }>;
	type SettlementAccount = Settlement;
	type MaxDaysSupply = frame_support::traits::ConstU32<90>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = WellnessHelper;
}

/// Each organization's settlement account: 1,000 plus its id.
pub struct Settlement;

impl sp_runtime::traits::Convert<u32, u64> for Settlement {
	fn convert(org: u32) -> u64 {
		1_000 + u64::from(org)
	}
}

/// Sets the clock for the wellness benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct WellnessHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_wellness::BenchmarkHelper for WellnessHelper {
	fn set_time(now: u64) {
		Timestamp::set_timestamp(now);
	}
}

pub const HOUR: u64 = 60 * 60 * 1000;
pub const DAY: u64 = 24 * HOUR;
/// When the tests start, in milliseconds since the Unix epoch: midnight of day 19,675.
pub const START: u64 = 19_675 * DAY;

/// Org 0: St. Mary's hospital.
pub const MARYS_ADMIN: u64 = 1;
pub const MARYS_DOCTOR: u64 = 2;
/// Org 1: a payer, the programs' sponsor.
pub const PAYER: u32 = 1;
pub const PAYER_ADMIN: u64 = 10;
pub const PAYER_CLERK: u64 = 11;
/// Org 2: another payer.
pub const OTHER_PAYER_ADMIN: u64 = 20;
/// Org 3: a pharmacy.
pub const PHARMACY: u32 = 3;
pub const PHARMACIST: u64 = 30;
/// Org 4: another pharmacy.
pub const OTHER_PHARMACY: u32 = 4;
pub const OTHER_PHARMACIST: u64 = 40;
pub const PATIENT: u64 = 100;
pub const GUARDIAN: u64 = 101;
pub const OTHER_PATIENT: u64 = 102;
pub const STRANGER: u64 = 999;

/// What the payer and each patient start with.
pub const FUNDS: u64 = 1_000_000;
pub const PATIENT_FUNDS: u64 = 1_000;

/// A test chain whose `execute_with` checks the wellness pallet's invariants after the test.
pub struct TestExt(pub sp_io::TestExternalities);

impl TestExt {
	/// Runs `test`, then checks `try_state`.
	pub fn execute_with<R>(&mut self, test: impl FnOnce() -> R) -> R {
		self.0.execute_with(|| {
			let result = test();
			Wellness::do_try_state().expect("the wellness pallet's invariants hold");
			result
		})
	}
}

pub fn new_test_ext() -> TestExt {
	DISPENSED.with(|d| d.borrow_mut().clear());
	let org = |kind, n: u8, members: Vec<(u64, Role)>| {
		(kind, pallet_registry::Licence::gln([b'0' + n; 12]), H256::repeat_byte(n), members)
	};
	let storage = RuntimeGenesisConfig {
		system: Default::default(),
		balances: pallet_balances::GenesisConfig {
			balances: vec![
				(PAYER_ADMIN, FUNDS),
				(OTHER_PAYER_ADMIN, FUNDS),
				(PATIENT, PATIENT_FUNDS),
				(GUARDIAN, PATIENT_FUNDS),
				(OTHER_PATIENT, PATIENT_FUNDS),
			],
			..Default::default()
		},
		registry: pallet_registry::GenesisConfig {
			organizations: vec![
				org(
					OrgKind::Hospital,
					1,
					vec![(MARYS_ADMIN, Role::Admin), (MARYS_DOCTOR, Role::Practitioner)],
				),
				org(
					OrgKind::Payer,
					2,
					vec![(PAYER_ADMIN, Role::Admin), (PAYER_CLERK, Role::Staff)],
				),
				org(OrgKind::Payer, 3, vec![(OTHER_PAYER_ADMIN, Role::Admin)]),
				org(OrgKind::Pharmacy, 4, vec![(PHARMACIST, Role::Staff)]),
				org(OrgKind::Pharmacy, 5, vec![(OTHER_PHARMACIST, Role::Staff)]),
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
		frame_support::assert_ok!(Registry::add_guardian(RuntimeOrigin::signed(PATIENT), GUARDIAN));
	});
	TestExt(ext)
}
