//! A runtime with the registry, consent, records and research pallets, for the research
//! pallet's unit tests.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate as pallet_research;
use carechain_primitives::{OrgKind, Role};
use frame_support::{derive_impl, parameter_types, weights::Weight};
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
		Research: pallet_research,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

#[derive_impl(pallet_timestamp::config_preludes::TestDefaultConfig)]
impl pallet_timestamp::Config for Test {}

parameter_types! {
	pub const MaxGrantsPerPatient: u32 = 4;
	pub const MemberRateLimit: pallet_registry::RateLimit =
		pallet_registry::RateLimit { burst: 1_000, per_block: 100 };
	pub const PatientRateLimit: pallet_registry::RateLimit =
		pallet_registry::RateLimit { burst: 100, per_block: 10 };
	pub const MaxRequestDuration: u64 = 365 * DAY;
	pub const CheckAccessWeight: Weight = Weight::from_parts(1_000, 0);
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
	type MaxGrantsPerPatient = MaxGrantsPerPatient;
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
	type CareEvents = ();
	type Registry = Registry;
	type Access = Consent;
	type Time = Timestamp;
	type MaxRecordsPerPatient = frame_support::traits::ConstU32<16>;
	type MaxVersions = frame_support::traits::ConstU32<3>;
	type ReservedForPatient = frame_support::traits::ConstU32<2>;
	type MaxConsentsPerPatient = MaxGrantsPerPatient;
	type MaxRecordsPerOrganization = frame_support::traits::ConstU32<12>;
	type MaxWritesPerEmergency = frame_support::traits::ConstU32<4>;
	type WeightInfo = ();
}

impl pallet_research::Config for Test {
	type Registry = Registry;
	type Access = Consent;
	type Records = Records;
	type Time = Timestamp;
	type MaxRequestDuration = MaxRequestDuration;
	type MaxRecordsPerRelease = frame_support::traits::ConstU32<3>;
	type CheckAccessWeight = CheckAccessWeight;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ResearchConsents;
}

/// Stores research consents for the benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct ResearchConsents;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for ResearchConsents {
	fn grant_research(patient: &u64, org: carechain_primitives::OrgId) {
		pallet_consent::Pallet::<Test>::insert_consent_for_benchmark(
			pallet_consent::Consent {
				patient: *patient,
				granted_by: *patient,
				grantee: pallet_consent::Grantee::Organization(org),
				grantee_org: org,
				scope: pallet_consent::ConsentScope::AllRecords,
				purposes: vec![carechain_primitives::Purpose::Research]
					.try_into()
					.expect("one purpose"),
				granted_at: 0,
				expires_at: u64::MAX,
			},
			Vec::new(),
		);
	}
}

pub const DAY: u64 = 24 * 60 * 60 * 1000;
/// When the tests start, in milliseconds since the Unix epoch.
pub const START: u64 = 1_700_000_000_000;

/// Org 0: St. Mary's hospital.
pub const MARYS: u32 = 0;
pub const MARYS_DOCTOR: u64 = 2;
/// Org 1: a research sponsor, with a practitioner, an admin and a clerk.
pub const SPONSOR: u32 = 1;
pub const SPONSOR_SCIENTIST: u64 = 10;
pub const SPONSOR_ADMIN: u64 = 11;
pub const SPONSOR_CLERK: u64 = 12;
/// Org 2: another research sponsor.
pub const RIVAL: u32 = 2;
pub const RIVAL_SCIENTIST: u64 = 20;
pub const PATIENT: u64 = 100;
pub const OTHER_PATIENT: u64 = 102;
pub const STRANGER: u64 = 999;

/// A test chain whose `execute_with` checks the research pallet's invariants after the test.
pub struct TestExt(pub sp_io::TestExternalities);

impl TestExt {
	/// Runs `test`, then checks `try_state`.
	pub fn execute_with<R>(&mut self, test: impl FnOnce() -> R) -> R {
		self.0.execute_with(|| {
			let result = test();
			Research::do_try_state().expect("the research pallet's invariants hold");
			result
		})
	}
}

pub fn new_test_ext() -> TestExt {
	let org = |kind, n: u8, members: Vec<(u64, Role)>| {
		(kind, pallet_registry::Licence::gln([b'0' + n; 12]), H256::repeat_byte(n), members)
	};
	let storage = RuntimeGenesisConfig {
		system: Default::default(),
		registry: pallet_registry::GenesisConfig {
			organizations: vec![
				org(OrgKind::Hospital, 1, vec![(MARYS_DOCTOR, Role::Practitioner)]),
				org(
					OrgKind::ResearchSponsor,
					2,
					vec![
						(SPONSOR_SCIENTIST, Role::Practitioner),
						(SPONSOR_ADMIN, Role::Admin),
						(SPONSOR_CLERK, Role::Staff),
					],
				),
				org(OrgKind::ResearchSponsor, 3, vec![(RIVAL_SCIENTIST, Role::Practitioner)]),
			],
			patients: vec![(PATIENT, [1u8; 32]), (OTHER_PATIENT, [3u8; 32])],
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
