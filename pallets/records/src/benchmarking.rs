//! Benchmarks of the records pallet's calls (frame-benchmarking v2).

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use super::*;
use carechain_primitives::{OrgKind, Role};
use frame_benchmarking::v2::*;
use frame_support::traits::Get;
use frame_system::RawOrigin;
use sp_core::H256;

fn patient<T: Config>() -> T::AccountId {
	let patient: T::AccountId = account("patient", 0, 0);
	T::Registry::register_for_benchmark(&patient, None);
	patient
}

fn practitioner<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("practitioner", i, 0);
	T::Registry::register_for_benchmark(&who, Some((OrgKind::Hospital, Role::Practitioner)));
	who
}

/// A record's content (every field has a fixed size).
fn content(seed: u64) -> RecordContent {
	let content_hash = H256::from_low_u64_be(seed);
	RecordContent {
		content_hash,
		size: 1 << 20,
		locator: content_hash,
		patient_key: [b'k'; carechain_primitives::WRAPPED_KEY_LEN],
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// The author's consent is the last of the patient's `g` consents: the write check scans
	/// them all.
	#[benchmark]
	fn create_record(g: Linear<1, { T::MaxConsentsPerPatient::get() }>) {
		let patient = patient::<T>();
		let anchor = <Pallet<T> as RecordLookup<T::AccountId>>::create_for_benchmark(
			&patient,
			FhirResourceType::Observation,
			u32::MAX,
		);
		for i in 1..g {
			T::Access::grant_for_benchmark(&patient, &practitioner::<T>(i), &anchor);
		}
		let doctor = practitioner::<T>(0);
		T::Access::grant_for_benchmark(&patient, &doctor, &anchor);
		T::Registry::whitelist_signer_for_benchmark(&doctor);
		#[extrinsic_call]
		_(RawOrigin::Signed(doctor), patient.clone(), FhirResourceType::Observation, content(1));
		assert_eq!(PatientRecordCount::<T>::get(&patient), 2);
	}

	/// A practitioner of the author's organization amends; its consent is the last of the
	/// patient's `g` consents.
	#[benchmark]
	fn amend_record(
		g: Linear<1, { T::MaxConsentsPerPatient::get() }>,
	) -> Result<(), BenchmarkError> {
		let patient = patient::<T>();
		let doctor = practitioner::<T>(0);
		let anchor = <Pallet<T> as RecordLookup<T::AccountId>>::create_for_benchmark(
			&patient,
			FhirResourceType::Observation,
			u32::MAX,
		);
		for i in 1..g {
			T::Access::grant_for_benchmark(&patient, &practitioner::<T>(i), &anchor);
		}
		T::Access::grant_for_benchmark(&patient, &doctor, &anchor);
		let index = PatientRecordCount::<T>::get(&patient);
		let record = Pallet::<T>::record_id(&patient, index);
		Pallet::<T>::create_record(
			RawOrigin::Signed(doctor.clone()).into(),
			patient.clone(),
			FhirResourceType::Observation,
			content(1),
		)?;
		T::Registry::whitelist_signer_for_benchmark(&doctor);
		#[extrinsic_call]
		_(RawOrigin::Signed(doctor), record, content(2));
		assert_eq!(Records::<T>::get(record).map(|r| r.status), Some(RecordStatus::Amended));
		Ok(())
	}

	#[benchmark]
	fn mark_entered_in_error() {
		let patient = patient::<T>();
		let record = <Pallet<T> as RecordLookup<T::AccountId>>::create_for_benchmark(
			&patient,
			FhirResourceType::Observation,
			0,
		);
		T::Registry::whitelist_signer_for_benchmark(&patient);
		#[extrinsic_call]
		_(RawOrigin::Signed(patient), record);
		assert_eq!(Records::<T>::get(record).map(|r| r.status), Some(RecordStatus::EnteredInError));
	}

	/// `v` versions are shredded, naming the first (the walk forward is included); `k` keys
	/// wrapped for grantees are destroyed, spread over the versions (at most one per consent
	/// and version, so `k` is bounded by versions times consents).
	#[benchmark]
	fn erase_record(
		v: Linear<1, { T::MaxVersions::get() }>,
		k: Linear<0, { T::MaxConsentsPerPatient::get() }>,
	) -> Result<(), BenchmarkError> {
		let patient = patient::<T>();
		let first = <Pallet<T> as RecordLookup<T::AccountId>>::create_for_benchmark(
			&patient,
			FhirResourceType::Observation,
			0,
		);
		let mut record = first;
		let mut versions = alloc::vec![first];
		for i in 1..v {
			let index = PatientRecordCount::<T>::get(&patient);
			let next = Pallet::<T>::record_id(&patient, index);
			Pallet::<T>::amend_record(
				RawOrigin::Signed(patient.clone()).into(),
				record,
				content(i.into()),
			)?;
			record = next;
			versions.push(next);
		}
		for i in 0..k {
			let version = versions[i as usize % versions.len()];
			T::Access::grant_for_benchmark(&patient, &practitioner::<T>(i), &version);
		}
		T::Registry::whitelist_signer_for_benchmark(&patient);
		#[extrinsic_call]
		_(RawOrigin::Signed(patient), first);
		assert_eq!(Records::<T>::get(record).map(|r| r.status), Some(RecordStatus::Erased));
		Ok(())
	}

	/// The accessor's consent is the last of the patient's `g` consents.
	#[benchmark]
	fn log_access(g: Linear<1, { T::MaxConsentsPerPatient::get() }>) {
		let patient = patient::<T>();
		let record = <Pallet<T> as RecordLookup<T::AccountId>>::create_for_benchmark(
			&patient,
			FhirResourceType::Observation,
			0,
		);
		for i in 1..g {
			T::Access::grant_for_benchmark(&patient, &practitioner::<T>(i), &record);
		}
		let reader = practitioner::<T>(0);
		T::Access::grant_for_benchmark(&patient, &reader, &record);
		T::Registry::whitelist_signer_for_benchmark(&reader);
		#[extrinsic_call]
		_(RawOrigin::Signed(reader), record, Purpose::Treatment);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
