//! Facts other pallets tell the wellness pallet as they happen ([`CareEvents`]), and what the
//! provenance pallet answers about dispensing ([`DispensingCounts`]). Facts are pushed, never
//! claimed: no wellness call names the visit or record that earned points.

use crate::{FhirResourceType, Moment, OrgId};
use sp_runtime::Weight;

/// Facts of care the wellness pallet rewards, pushed by the pallets that record them. Each
/// returns the weight it used, at most its `max_*` bound, which the caller charges up front
/// and refunds down to what was used.
pub trait CareEvents<AccountId> {
	/// A telehealth encounter of `patient` that started at `started_at` was attested by both
	/// sides.
	fn encounter_attested(patient: &AccountId, started_at: Moment) -> Weight;
	/// `patient` did not attend an appointment booked to start at `start`.
	fn no_show(patient: &AccountId, start: Moment) -> Weight;
	/// A record of `resource_type` about `patient` was written at `at`, by a practitioner of
	/// `author_org` (`None`: by the patient or a guardian).
	fn record_created(
		patient: &AccountId,
		resource_type: FhirResourceType,
		author_org: Option<OrgId>,
		at: Moment,
	) -> Weight;
	/// The most `encounter_attested` or `no_show` uses.
	fn max_encounter_weight() -> Weight;
	/// The most `record_created` uses for a record of `resource_type`.
	fn max_record_weight(resource_type: FhirResourceType) -> Weight;
}

/// Nobody listens.
impl<AccountId> CareEvents<AccountId> for () {
	fn encounter_attested(_: &AccountId, _: Moment) -> Weight {
		Weight::zero()
	}
	fn no_show(_: &AccountId, _: Moment) -> Weight {
		Weight::zero()
	}
	fn record_created(_: &AccountId, _: FhirResourceType, _: Option<OrgId>, _: Moment) -> Weight {
		Weight::zero()
	}
	fn max_encounter_weight() -> Weight {
		Weight::zero()
	}
	fn max_record_weight(_: FhirResourceType) -> Weight {
		Weight::zero()
	}
}

/// What the provenance pallet answers about dispensing, without naming a unit or a patient.
pub trait DispensingCounts {
	/// How many units pharmacy `org` dispensed on `day` (days since the Unix epoch, UTC).
	fn dispensed_on(org: OrgId, day: u32) -> u32;
	/// Records that `org` dispensed `count` units on `day`, for benchmarks.
	#[cfg(feature = "runtime-benchmarks")]
	fn set_dispensed_for_benchmark(org: OrgId, day: u32, count: u32);
}

/// No dispensing.
impl DispensingCounts for () {
	fn dispensed_on(_: OrgId, _: u32) -> u32 {
		0
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn set_dispensed_for_benchmark(_: OrgId, _: u32, _: u32) {}
}
