//! Benchmarks of the consent pallet's calls (frame-benchmarking v2).

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use super::*;
use carechain_primitives::{FhirResourceType, OrgKind, Role};
use frame_benchmarking::v2::*;
use frame_support::traits::{Get, Time};
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

fn far_future<T: Config>() -> Moment {
	T::Time::now().saturating_add(1_000_000_000)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// `g` consents exist already, the scope lists `s` records, and `k` keys are wrapped.
	#[benchmark]
	fn grant(
		g: Linear<0, { T::MaxGrantsPerPatient::get() - 1 }>,
		s: Linear<1, { T::MaxScopeItems::get() }>,
		k: Linear<0, { T::MaxWrappedKeys::get() }>,
	) {
		let patient = patient::<T>();
		let n = s.max(k);
		let records: Vec<RecordId> = (0..n)
			.map(|i| T::Records::create_for_benchmark(&patient, FhirResourceType::Observation, i))
			.collect();
		for i in 0..g {
			let other = practitioner::<T>(i.saturating_add(1));
			<Pallet<T> as AccessPolicy<T::AccountId>>::grant_for_benchmark(
				&patient,
				&other,
				&records[0],
			);
		}
		let grantee = practitioner::<T>(0);
		let keys = records
			.iter()
			.take(k as usize)
			.map(|r| (*r, alloc::vec![2u8; T::MaxWrappedKeyLen::get() as usize]))
			.collect();
		#[extrinsic_call]
		_(
			RawOrigin::Signed(patient.clone()),
			patient.clone(),
			Grantee::Practitioner(grantee),
			ConsentScope::Records(records),
			alloc::vec![Purpose::Treatment],
			far_future::<T>(),
			keys,
		);
		assert_eq!(PatientConsents::<T>::get(&patient).len() as u32, g + 1);
	}

	#[benchmark]
	fn revoke(k: Linear<0, { T::MaxWrappedKeys::get() }>) -> Result<(), BenchmarkError> {
		let patient = patient::<T>();
		let records: Vec<RecordId> = (0..k.max(1))
			.map(|i| T::Records::create_for_benchmark(&patient, FhirResourceType::Observation, i))
			.collect();
		let keys = records
			.iter()
			.take(k as usize)
			.map(|r| (*r, alloc::vec![2u8; T::MaxWrappedKeyLen::get() as usize]))
			.collect();
		let consent_id = NextConsentId::<T>::get();
		Pallet::<T>::grant(
			RawOrigin::Signed(patient.clone()).into(),
			patient.clone(),
			Grantee::Practitioner(practitioner::<T>(0)),
			ConsentScope::AllRecords,
			alloc::vec![Purpose::Treatment],
			far_future::<T>(),
			keys,
		)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(patient), consent_id);
		assert!(Consents::<T>::get(consent_id).is_none());
		Ok(())
	}

	#[benchmark]
	fn break_glass() {
		let patient = patient::<T>();
		let doctor = practitioner::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(doctor.clone()), patient.clone(), EmergencyReason::Other, H256::zero());
		assert!(EmergencyAccess::<T>::contains_key(&patient, &doctor));
	}

	#[benchmark]
	fn dispute() -> Result<(), BenchmarkError> {
		let patient = patient::<T>();
		let doctor = practitioner::<T>(0);
		Pallet::<T>::break_glass(
			RawOrigin::Signed(doctor).into(),
			patient.clone(),
			EmergencyReason::Other,
			H256::zero(),
		)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(patient), 0);
		assert!(Emergencies::<T>::get(0).is_some_and(|e| e.disputed));
		Ok(())
	}

	/// One consent visited and removed by the expiry sweep.
	#[benchmark]
	fn sweep_expired_item() {
		let patient = patient::<T>();
		let record = T::Records::create_for_benchmark(&patient, FhirResourceType::Observation, 0);
		<Pallet<T> as AccessPolicy<T::AccountId>>::grant_for_benchmark(
			&patient,
			&practitioner::<T>(0),
			&record,
		);
		Consents::<T>::mutate(0, |c| {
			if let Some(c) = c {
				c.expires_at = 0;
			}
		});
		ExpirySweepCursor::<T>::put(0);
		let limit = T::WeightInfo::sweep_expired_item()
			.saturating_add(T::DbWeight::get().reads_writes(2, 1));
		#[block]
		{
			Pallet::<T>::sweep_expired(limit);
		}
		assert!(Consents::<T>::get(0).is_none());
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
