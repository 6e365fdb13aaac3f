//! A runtime with only the registry, for its unit tests.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate as pallet_registry;
use carechain_primitives::{OrgKind, Role};
use frame_support::{derive_impl, ord_parameter_types, parameter_types};
use frame_system::{EnsureRoot, EnsureSignedBy};
use sp_core::H256;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Registry: pallet_registry,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

parameter_types! {
	pub const MaxMembersPerOrg: u32 = 4;
	pub const MaxGuardians: u32 = 2;
	pub const MaxPatientRegistrationsPerBlock: u32 = 3;
	pub const MaxValidators: u32 = 4;
	pub const ValidatorSetDelay: u64 = 5;
	pub const MemberRateLimit: pallet_registry::RateLimit =
		pallet_registry::RateLimit { per_block: 3, burst: 6 };
	pub const PatientRateLimit: pallet_registry::RateLimit =
		pallet_registry::RateLimit { per_block: 1, burst: 2 };
}

ord_parameter_types! {
	/// Stands for the unanimous council, the only origin that may dispatch as Root.
	pub const RootDispatcher: u64 = 77;
}

impl pallet_registry::Config for Test {
	type GovernanceOrigin = EnsureRoot<u64>;
	type MaxMembersPerOrg = MaxMembersPerOrg;
	type MaxGuardians = MaxGuardians;
	type MaxPatientRegistrationsPerBlock = MaxPatientRegistrationsPerBlock;
	type MemberRateLimit = MemberRateLimit;
	type PatientRateLimit = PatientRateLimit;
	type RootOrigin = EnsureSignedBy<RootDispatcher, u64>;
	type RuntimeCall = RuntimeCall;
	type MaxValidators = MaxValidators;
	type ValidatorSetDelay = ValidatorSetDelay;
	type WeightInfo = ();
}

/// The founding hospital's admin (org 0).
pub const HOSPITAL_ADMIN: u64 = 1;
/// A practitioner of the founding hospital.
pub const DOCTOR: u64 = 2;
/// The founding payer's admin (org 1).
pub const PAYER_ADMIN: u64 = 10;
/// A registered patient.
pub const PATIENT: u64 = 100;
/// An account the chain has never seen.
pub const STRANGER: u64 = 999;

/// The founding hospital's licence: CMS's example NPI.
pub const HOSPITAL_NPI: pallet_registry::Licence = pallet_registry::Licence::Npi(*b"1234567893");
/// The founding payer's licence: GS1's example GLN.
pub const PAYER_GLN: pallet_registry::Licence = pallet_registry::Licence::Gln(*b"0614141000012");

/// A non-zero X25519 public key for tests.
pub const KEY: [u8; 32] = [9u8; 32];

/// The ed25519 consensus key pair of test validator `n`.
pub fn validator_pair(n: u8) -> sp_core::ed25519::Pair {
	sp_core::Pair::from_seed(&[n; 32])
}

/// Test validator `n`, run by `org`.
pub fn validator(n: u8, org: u32) -> pallet_registry::Validator {
	use sp_core::Pair as _;
	pallet_registry::Validator { key: validator_pair(n).public().0, org }
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = RuntimeGenesisConfig {
		system: Default::default(),
		registry: pallet_registry::GenesisConfig {
			organizations: vec![
				(
					OrgKind::Hospital,
					HOSPITAL_NPI,
					H256::repeat_byte(1),
					vec![(HOSPITAL_ADMIN, Role::Admin), (DOCTOR, Role::Practitioner)],
				),
				(OrgKind::Payer, PAYER_GLN, H256::repeat_byte(2), vec![(PAYER_ADMIN, Role::Admin)]),
			],
			patients: vec![(PATIENT, KEY)],
			validators: [validator(1, 0), validator(2, 1)].map(|v| (v.key, v.org)).to_vec(),
		},
	}
	.build_storage()
	.expect("the test genesis is valid");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test` on the test genesis, then checks the registry's invariants.
pub fn run_test(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Registry::do_try_state().expect("the registry's invariants hold after the test");
	});
}

/// Runs the registry's hook for each block up to `n`, as the executive does, checking the
/// invariants after each.
pub fn run_to(n: u64) {
	use frame_support::traits::Hooks;
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Registry::on_initialize(next);
		Registry::do_try_state().expect("the registry's invariants hold after each block");
	}
}
