//! A runtime with the registry and provenance pallets, for the provenance pallet's unit tests
//! and the supply-chain scenario.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate as pallet_provenance;
use carechain_primitives::{OrgKind, Role};
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use sp_core::H256;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Timestamp: pallet_timestamp,
		Registry: pallet_registry,
		Provenance: pallet_provenance,
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
}

impl pallet_registry::Config for Test {
	type GovernanceOrigin = EnsureRoot<u64>;
	type MaxMembersPerOrg = ConstU32<8>;
	type MaxGuardians = ConstU32<2>;
	type MaxPatientRegistrationsPerBlock = ConstU32<10>;
	type MaxValidators = frame_support::traits::ConstU32<4>;
	type ValidatorSetDelay = frame_support::traits::ConstU64<5>;
	type MemberRateLimit = MemberRateLimit;
	type PatientRateLimit = PatientRateLimit;
	type RootOrigin = EnsureRoot<u64>;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = ();
}

impl pallet_provenance::Config for Test {
	type Registry = Registry;
	type GovernanceOrigin = EnsureRoot<u64>;
	type Time = Timestamp;
	type MaxCommissionBatch = ConstU32<1000>;
	type MaxChildren = ConstU32<1000>;
	type MaxContents = ConstU32<1010>;
	type MaxHistory = ConstU32<16>;
	type MaxVerificationLog = ConstU32<4>;
	type MaxCompanyPrefixes = ConstU32<4>;
	type MaxFillsPerPrescription = ConstU32<2>;
	type WeightInfo = ();
}

pub const DAY: u64 = 24 * 60 * 60 * 1000;
/// When the tests start, in milliseconds since the Unix epoch (day 19,675).
pub const START: u64 = 1_700_000_000_000;
/// The day the tests start.
pub const TODAY: u32 = (START / DAY) as u32;

/// Org 0: the manufacturer.
pub const MAKER: u64 = 1;
pub const MAKER_ORG: u32 = 0;
/// Org 1: a wholesale distributor.
pub const WHOLESALER: u64 = 10;
pub const WHOLESALER_ORG: u32 = 1;
/// Org 2: a pharmacy.
pub const PHARMACIST: u64 = 20;
pub const PHARMACY_ORG: u32 = 2;
/// Org 3: another pharmacy.
pub const OTHER_PHARMACIST: u64 = 30;
pub const OTHER_PHARMACY_ORG: u32 = 3;
/// Org 4: the regulator.
pub const INSPECTOR: u64 = 40;
pub const REGULATOR_ORG: u32 = 4;
/// The regulator's admin.
pub const CHIEF_INSPECTOR: u64 = 41;
/// Org 5: a hospital.
pub const DOCTOR: u64 = 50;
pub const HOSPITAL_ORG: u32 = 5;
/// Org 6: another manufacturer.
pub const OTHER_MAKER: u64 = 60;
pub const OTHER_MAKER_ORG: u32 = 6;
/// Org 7: a manufacturer with no GS1 company prefix on record.
pub const UNLICENSED_MAKER: u64 = 70;
pub const UNLICENSED_MAKER_ORG: u32 = 7;
/// The manufacturer's GS1 company prefix: `03` + FDA labeler code 0777.
pub const MAKER_PREFIX: &str = "030777";
/// The other manufacturer's GS1 company prefix.
pub const OTHER_MAKER_PREFIX: &str = "0312345";
/// A patient, with an account whose encoding no other value in the tests shares, so that a
/// search of the chain's bytes for it finds only the patient.
pub const PATIENT: u64 = 0x7a71_e47a_cc0f_f1ce;

/// Runs `test` on the test genesis, then checks the pallet's invariants.
pub fn run_test(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Provenance::do_try_state().expect("the provenance invariants hold after the test");
	});
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let org = |kind, seed: u8, who| {
		let licence = pallet_registry::Licence::gln([b'0' + seed; 12]);
		(kind, licence, H256::repeat_byte(seed), vec![(who, Role::Staff)])
	};
	let storage = RuntimeGenesisConfig {
		system: Default::default(),
		registry: pallet_registry::GenesisConfig {
			organizations: vec![
				org(OrgKind::Manufacturer, 1, MAKER),
				org(OrgKind::Distributor, 2, WHOLESALER),
				org(OrgKind::Pharmacy, 3, PHARMACIST),
				org(OrgKind::Pharmacy, 4, OTHER_PHARMACIST),
				(
					OrgKind::Regulator,
					pallet_registry::Licence::gln([b'5'; 12]),
					H256::repeat_byte(5),
					vec![(INSPECTOR, Role::Staff), (CHIEF_INSPECTOR, Role::Admin)],
				),
				(
					OrgKind::Hospital,
					pallet_registry::Licence::gln([b'6'; 12]),
					H256::repeat_byte(6),
					vec![(DOCTOR, Role::Practitioner)],
				),
				org(OrgKind::Manufacturer, 7, OTHER_MAKER),
				org(OrgKind::Manufacturer, 8, UNLICENSED_MAKER),
			],
			patients: vec![(PATIENT, [1u8; 32])],
			validators: Vec::new(),
		},
		provenance: pallet_provenance::GenesisConfig {
			company_prefixes: vec![
				(MAKER_ORG, vec![MAKER_PREFIX.into()]),
				(OTHER_MAKER_ORG, vec![OTHER_MAKER_PREFIX.into()]),
			],
			..Default::default()
		},
	}
	.build_storage()
	.expect("the test genesis is valid");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		Timestamp::set_timestamp(START);
	});
	ext
}
