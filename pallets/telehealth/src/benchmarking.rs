//! Benchmarks of the telehealth pallet's calls (frame-benchmarking v2). `attest_encounter`
//! verifies the countersignature itself (no batch verdict), its worst case.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use super::*;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{Get, Time},
	BoundedVec,
};
use frame_system::RawOrigin;

const HOUR: Moment = 60 * 60 * 1000;

fn jurisdiction() -> Jurisdiction {
	Jurisdiction(*b"US-CA\0")
}

/// A regulator's officer and a licensed practitioner of a care provider.
fn licensed<T: Config>() -> (T::AccountId, T::AccountId) {
	let officer: T::AccountId = account("officer", 0, 0);
	T::Registry::register_for_benchmark(&officer, Some((OrgKind::Regulator, Role::Practitioner)));
	let doctor: T::AccountId = account("doctor", 0, 0);
	T::Registry::register_for_benchmark(&doctor, Some((OrgKind::Hospital, Role::Practitioner)));
	let expires_at = T::Time::now() + 365 * 24 * HOUR;
	Pallet::<T>::issue_licence(
		RawOrigin::Signed(officer.clone()).into(),
		doctor.clone(),
		jurisdiction(),
		expires_at,
	)
	.expect("issues");
	(officer, doctor)
}

/// An appointment of `patient` with the doctor, an hour from now for half an hour, booked if
/// `book` is set.
fn appointment<T: Config>(
	doctor: &T::AccountId,
	patient: &T::AccountId,
	book: bool,
) -> AppointmentId {
	T::Registry::register_for_benchmark(patient, None);
	let id = NextAppointmentId::<T>::get();
	let start = T::Time::now() + HOUR;
	Pallet::<T>::propose_appointment(
		RawOrigin::Signed(doctor.clone()).into(),
		patient.clone(),
		jurisdiction(),
		start,
		start + HOUR / 2,
		Modality::Video,
	)
	.expect("proposes");
	if book {
		Pallet::<T>::book(RawOrigin::Signed(patient.clone()).into(), id).expect("books");
	}
	id
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn issue_licence() {
		T::BenchmarkHelper::set_time(1_700_000_000_000);
		let officer: T::AccountId = account("officer", 0, 0);
		T::Registry::register_for_benchmark(
			&officer,
			Some((OrgKind::Regulator, Role::Practitioner)),
		);
		let doctor: T::AccountId = account("doctor", 0, 0);
		T::Registry::register_for_benchmark(&doctor, Some((OrgKind::Hospital, Role::Practitioner)));
		T::Registry::whitelist_signer_for_benchmark(&officer);
		#[extrinsic_call]
		_(RawOrigin::Signed(officer), doctor.clone(), jurisdiction(), 1_800_000_000_000);
		assert!(Licences::<T>::contains_key(&doctor, jurisdiction()));
	}

	#[benchmark]
	fn revoke_licence() {
		T::BenchmarkHelper::set_time(1_700_000_000_000);
		let (officer, doctor) = licensed::<T>();
		T::Registry::whitelist_signer_for_benchmark(&officer);
		#[extrinsic_call]
		_(RawOrigin::Signed(officer), doctor.clone(), jurisdiction());
		assert!(!Pallet::<T>::licensed(&doctor, jurisdiction(), 1_700_000_000_000));
	}

	#[benchmark]
	fn propose_appointment() {
		T::BenchmarkHelper::set_time(1_700_000_000_000);
		let (_, doctor) = licensed::<T>();
		let patient: T::AccountId = account("patient", 0, 0);
		T::Registry::register_for_benchmark(&patient, None);
		let start = T::Time::now() + HOUR;
		T::Registry::whitelist_signer_for_benchmark(&doctor);
		#[extrinsic_call]
		_(RawOrigin::Signed(doctor), patient, jurisdiction(), start, start + HOUR, Modality::Video);
		assert!(Appointments::<T>::contains_key(0));
	}

	#[benchmark]
	fn book() {
		T::BenchmarkHelper::set_time(1_700_000_000_000);
		let (_, doctor) = licensed::<T>();
		let patient: T::AccountId = account("patient", 0, 0);
		let id = appointment::<T>(&doctor, &patient, false);
		T::Registry::whitelist_signer_for_benchmark(&patient);
		#[extrinsic_call]
		_(RawOrigin::Signed(patient), id);
		assert_eq!(Appointments::<T>::get(id).map(|a| a.status), Some(AppointmentStatus::Booked));
	}

	#[benchmark]
	fn cancel() {
		T::BenchmarkHelper::set_time(1_700_000_000_000);
		let (_, doctor) = licensed::<T>();
		let patient: T::AccountId = account("patient", 0, 0);
		let id = appointment::<T>(&doctor, &patient, true);
		T::Registry::whitelist_signer_for_benchmark(&patient);
		#[extrinsic_call]
		_(RawOrigin::Signed(patient), id);
		assert_eq!(
			Appointments::<T>::get(id).map(|a| a.status),
			Some(AppointmentStatus::Cancelled)
		);
	}

	#[benchmark]
	fn attest_encounter() {
		T::BenchmarkHelper::set_time(1_700_000_000_000);
		let (_, doctor) = licensed::<T>();
		let start = T::Time::now() + HOUR;
		let encounter = Encounter {
			started_at: start,
			ended_at: start + HOUR / 2,
			note_hash: H256::repeat_byte(7),
		};
		let payload = attestation_payload(0, &encounter, Modality::Video);
		let (patient, signature) = T::BenchmarkHelper::countersign(&payload);
		let id = appointment::<T>(&doctor, &patient, true);
		T::BenchmarkHelper::set_time(start + HOUR);
		T::Registry::whitelist_signer_for_benchmark(&doctor);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(doctor),
			id,
			patient,
			Modality::Video,
			encounter.started_at,
			encounter.ended_at,
			encounter.note_hash,
			signature,
		);
		assert_eq!(
			Appointments::<T>::get(id).map(|a| a.status),
			Some(AppointmentStatus::Fulfilled)
		);
	}

	#[benchmark]
	fn mark_no_show() {
		T::BenchmarkHelper::set_time(1_700_000_000_000);
		let (_, doctor) = licensed::<T>();
		let patient: T::AccountId = account("patient", 0, 0);
		let id = appointment::<T>(&doctor, &patient, true);
		T::BenchmarkHelper::set_time(1_700_000_000_000 + 2 * HOUR);
		T::Registry::whitelist_signer_for_benchmark(&doctor);
		#[extrinsic_call]
		_(RawOrigin::Signed(doctor), id);
		assert_eq!(Appointments::<T>::get(id).map(|a| a.status), Some(AppointmentStatus::NoShow));
	}

	/// The encounter already lists all but one of its prescriptions.
	#[benchmark]
	fn link_prescription() {
		T::BenchmarkHelper::set_time(1_700_000_000_000);
		let doctor: T::AccountId = account("doctor", 0, 0);
		T::Registry::register_for_benchmark(&doctor, Some((OrgKind::Hospital, Role::Practitioner)));
		let org = T::Registry::active_membership(&doctor).expect("a member").org;
		let patient: T::AccountId = account("patient", 0, 0);
		T::Registry::register_for_benchmark(&patient, None);
		let id = <Pallet<T> as EncounterLookup<T::AccountId>>::attested_for_benchmark(
			&patient,
			&doctor,
			org,
			T::Time::now() - HOUR / 6,
		);
		let record =
			T::Records::create_for_benchmark(&patient, FhirResourceType::MedicationRequest, 0);
		T::Records::set_author_org_for_benchmark(&record, org);
		let others: alloc::vec::Vec<RecordId> = (1..T::MaxPrescriptionsPerEncounter::get())
			.map(|i| RecordId::from_low_u64_be(u64::from(i)))
			.collect();
		EncounterPrescriptions::<T>::insert(id, BoundedVec::truncate_from(others.clone()));
		for other in others {
			PrescriptionEncounters::<T>::insert(other, id);
		}
		T::Registry::whitelist_signer_for_benchmark(&doctor);
		#[extrinsic_call]
		_(RawOrigin::Signed(doctor), id, record);
		assert_eq!(PrescriptionEncounters::<T>::get(record), Some(id));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext().0, crate::mock::Test);
}
