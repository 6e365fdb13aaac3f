//! A runtime with the trials pallet and a small registry kept in a thread-local table, for the
//! trials pallet's unit tests and benchmark tests.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate as pallet_trials;
use carechain_primitives::{Membership, MembershipProvider, Moment, OrgId, OrgKind, Role};
use core::cell::RefCell;
use frame_support::{derive_impl, parameter_types};
use sp_runtime::BuildStorage;
use std::collections::{BTreeMap, BTreeSet};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Timestamp: pallet_timestamp,
		Trials: pallet_trials,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

#[derive_impl(pallet_timestamp::config_preludes::TestDefaultConfig)]
impl pallet_timestamp::Config for Test {}

pub const DAY: Moment = 24 * 60 * 60 * 1000;
/// When the tests start, in milliseconds since the Unix epoch.
pub const START: Moment = 1_700_000_000_000;

parameter_types! {
	pub const MaxArms: u32 = 3;
	pub const MaxOutcomes: u32 = 3;
	pub const MaxProtocolVersions: u32 = 3;
	pub const MaxSites: u32 = 2;
	pub const MaxAllocationDepth: u32 = 3;
	pub const MaxCapturesPerSubject: u32 = 3;
	pub const MaxAdverseEventsPerSubject: u32 = 2;
	pub const SeriousAdverseEventDeadline: Moment = 7 * DAY;
	pub const AdverseEventDeadline: Moment = 30 * DAY;
	pub const ResultsDeadline: Moment = 365 * DAY;
}

impl pallet_trials::Config for Test {
	type Membership = MockRegistry;
	type Records = MockRegistry;
	type Time = Timestamp;
	type MaxArms = MaxArms;
	type MaxOutcomes = MaxOutcomes;
	type MaxProtocolVersions = MaxProtocolVersions;
	type MaxSites = MaxSites;
	type MaxAllocationDepth = MaxAllocationDepth;
	type MaxCapturesPerSubject = MaxCapturesPerSubject;
	type MaxAdverseEventsPerSubject = MaxAdverseEventsPerSubject;
	type SeriousAdverseEventDeadline = SeriousAdverseEventDeadline;
	type AdverseEventDeadline = AdverseEventDeadline;
	type ResultsDeadline = ResultsDeadline;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockClock;
}

/// Sets the mock chain's clock for benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockClock;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_trials::BenchmarkHelper for MockClock {
	fn set_time(now: Moment) {
		Timestamp::set_timestamp(now);
	}
}

/// The consortium as the tests see it: organizations with their kind and whether they are
/// active, members with their organization and role, and registered patients.
#[derive(Default)]
pub struct Consortium {
	organizations: BTreeMap<OrgId, (OrgKind, bool)>,
	members: BTreeMap<u64, (OrgId, Role)>,
	patients: BTreeSet<u64>,
	/// The record index: each record's id and patient.
	records: BTreeMap<sp_core::H256, u64>,
}

thread_local! {
	static CONSORTIUM: RefCell<Consortium> = RefCell::new(Consortium::default());
}

/// A `MembershipProvider` over the thread's [`Consortium`].
pub struct MockRegistry;

impl MockRegistry {
	/// Admits an organization under `org`.
	pub fn admit(org: OrgId, kind: OrgKind) {
		CONSORTIUM.with(|c| c.borrow_mut().organizations.insert(org, (kind, true)));
	}

	/// Adds `who` to `org` with `role`.
	pub fn add_member(org: OrgId, who: u64, role: Role) {
		CONSORTIUM.with(|c| c.borrow_mut().members.insert(who, (org, role)));
	}

	/// Removes `who` from its organization.
	pub fn remove_member(who: u64) {
		CONSORTIUM.with(|c| c.borrow_mut().members.remove(&who));
	}

	/// Suspends (or reinstates) an organization.
	pub fn set_active(org: OrgId, active: bool) {
		CONSORTIUM.with(|c| {
			if let Some(entry) = c.borrow_mut().organizations.get_mut(&org) {
				entry.1 = active;
			}
		});
	}

	/// Registers `who` as a patient.
	pub fn register_patient(who: u64) {
		CONSORTIUM.with(|c| c.borrow_mut().patients.insert(who));
	}

	/// Indexes a record of `patient` under `id`, as the records pallet would.
	pub fn index_record(id: sp_core::H256, patient: u64) {
		CONSORTIUM.with(|c| c.borrow_mut().records.insert(id, patient));
	}

	fn reset() {
		CONSORTIUM.with(|c| *c.borrow_mut() = Consortium::default());
	}
}

impl carechain_primitives::RecordLookup<u64> for MockRegistry {
	fn record_subject(
		record: &carechain_primitives::RecordId,
	) -> Option<carechain_primitives::RecordSubject<u64>> {
		let patient = CONSORTIUM.with(|c| c.borrow().records.get(record).copied())?;
		Some(carechain_primitives::RecordSubject {
			patient,
			resource_type: carechain_primitives::FhirResourceType::Observation,
			author_org: None,
			erased: false,
			current: true,
			created_at: 0,
			emergency: None,
		})
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn create_for_benchmark(
		patient: &u64,
		_resource_type: carechain_primitives::FhirResourceType,
		seed: u32,
	) -> carechain_primitives::RecordId {
		let id = sp_core::H256::from_low_u64_be(u64::from(seed) + 1);
		MockRegistry::index_record(id, *patient);
		id
	}
}

impl MembershipProvider<u64> for MockRegistry {
	fn active_membership(who: &u64) -> Option<Membership> {
		CONSORTIUM.with(|c| {
			let c = c.borrow();
			let (org, role) = *c.members.get(who)?;
			let (kind, active) = *c.organizations.get(&org)?;
			active.then_some(Membership { org, kind, role })
		})
	}

	fn active_organization_kind(org: OrgId) -> Option<OrgKind> {
		CONSORTIUM.with(|c| {
			let (kind, active) = *c.borrow().organizations.get(&org)?;
			active.then_some(kind)
		})
	}

	fn is_patient(who: &u64) -> bool {
		CONSORTIUM.with(|c| c.borrow().patients.contains(who))
	}

	fn is_patient_or_guardian(patient: &u64, who: &u64) -> bool {
		patient == who && Self::is_patient(who)
	}

	fn is_guardian(_patient: &u64, _who: &u64) -> bool {
		false
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(who: &u64, org: Option<(OrgKind, Role)>) {
		Self::register_patient(*who);
		if let Some((kind, role)) = org {
			let id = CONSORTIUM.with(|c| c.borrow().organizations.len() as OrgId + 100);
			Self::admit(id, kind);
			Self::add_member(id, *who, role);
		}
	}

	/// The mock's memberships are not in storage: nothing to leave out of the counts.
	#[cfg(feature = "runtime-benchmarks")]
	fn whitelist_signer_for_benchmark(_who: &u64) {}
}

/// Org 0: the sponsor, Acme Pharma.
pub const SPONSOR: OrgId = 0;
pub const SPONSOR_ADMIN: u64 = 1;
pub const SPONSOR_SCIENTIST: u64 = 2;
pub const SPONSOR_CLERK: u64 = 3;
/// Org 1: another sponsor.
pub const RIVAL: OrgId = 1;
pub const RIVAL_SCIENTIST: u64 = 10;
/// Org 2: St. Mary's hospital, a site.
pub const MARYS: OrgId = 2;
pub const MARYS_DOCTOR: u64 = 20;
pub const MARYS_CLERK: u64 = 21;
/// Org 3: City clinic, a second site.
pub const CITY: OrgId = 3;
pub const CITY_DOCTOR: u64 = 30;
/// Org 4: a payer, not a care provider.
pub const PAYER: OrgId = 4;
pub const PAYER_CLERK: u64 = 40;
/// Org 5: County hospital, never a site.
pub const COUNTY: OrgId = 5;
// Patients' accounts are distinctive bytes ("patient1", …), so that a scan of state and events
// cannot find them by chance.
pub const PATIENT: u64 = u64::from_le_bytes(*b"patient1");
pub const OTHER_PATIENT: u64 = u64::from_le_bytes(*b"patient2");
pub const THIRD_PATIENT: u64 = u64::from_le_bytes(*b"patient3");
pub const STRANGER: u64 = u64::from_le_bytes(*b"stranger");

pub fn new_test_ext() -> sp_io::TestExternalities {
	MockRegistry::reset();
	for (org, kind) in [
		(SPONSOR, OrgKind::ResearchSponsor),
		(RIVAL, OrgKind::ResearchSponsor),
		(MARYS, OrgKind::Hospital),
		(CITY, OrgKind::Clinic),
		(PAYER, OrgKind::Payer),
		(COUNTY, OrgKind::Hospital),
	] {
		MockRegistry::admit(org, kind);
	}
	for (org, who, role) in [
		(SPONSOR, SPONSOR_ADMIN, Role::Admin),
		(SPONSOR, SPONSOR_SCIENTIST, Role::Practitioner),
		(SPONSOR, SPONSOR_CLERK, Role::Staff),
		(RIVAL, RIVAL_SCIENTIST, Role::Practitioner),
		(MARYS, MARYS_DOCTOR, Role::Practitioner),
		(MARYS, MARYS_CLERK, Role::Staff),
		(CITY, CITY_DOCTOR, Role::Practitioner),
		(PAYER, PAYER_CLERK, Role::Practitioner),
	] {
		MockRegistry::add_member(org, who, role);
	}
	for patient in [PATIENT, OTHER_PATIENT, THIRD_PATIENT] {
		MockRegistry::register_patient(patient);
	}
	let storage =
		RuntimeGenesisConfig::default().build_storage().expect("the test genesis is valid");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		Timestamp::set_timestamp(START);
	});
	ext
}

/// Runs `test` on a fresh chain, then checks the pallet's invariants.
pub fn run<R>(test: impl FnOnce() -> R) -> R {
	new_test_ext().execute_with(|| {
		let result = test();
		Trials::do_try_state().expect("the trials pallet's invariants hold");
		result
	})
}

/// Moves the clock on by `ms`.
pub fn advance(ms: Moment) {
	Timestamp::set_timestamp(pallet_timestamp::Now::<Test>::get() + ms);
}
