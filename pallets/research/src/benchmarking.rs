//! Benchmarks of the research pallet's calls (frame-benchmarking v2), each at its worst case:
//! a release of `MaxRecordsPerRelease` records, each of another patient.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{Get, Time};
use frame_system::RawOrigin;

fn hash(i: u8) -> H256 {
	H256::repeat_byte(i)
}

/// A practitioner of a fresh research sponsor, and the sponsor.
fn scientist<T: Config>() -> (T::AccountId, OrgId) {
	let who: T::AccountId = account("scientist", 0, 0);
	T::Registry::register_for_benchmark(&who, Some((OrgKind::ResearchSponsor, Role::Practitioner)));
	let org = T::Registry::active_membership(&who).expect("just registered").org;
	(who, org)
}

fn request<T: Config>(who: &T::AccountId) -> RequestId {
	let id = NextRequestId::<T>::get();
	let expires_at = T::Time::now() + T::MaxRequestDuration::get();
	Pallet::<T>::request_access(
		RawOrigin::Signed(who.clone()).into(),
		DataSet::LimitedDataSet,
		hash(1),
		hash(2),
		expires_at,
	)
	.expect("opens");
	id
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn request_access() {
		let (who, _) = scientist::<T>();
		let expires_at = T::Time::now() + T::MaxRequestDuration::get();
		T::Registry::whitelist_signer_for_benchmark(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), DataSet::DeIdentified, hash(1), hash(2), expires_at);
		assert!(Requests::<T>::contains_key(0));
	}

	#[benchmark]
	fn close_request() {
		let (who, _) = scientist::<T>();
		let id = request::<T>(&who);
		T::Registry::whitelist_signer_for_benchmark(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id);
		assert!(Requests::<T>::get(id).is_some_and(|r| r.closed));
	}

	/// `n` records, each of another patient who consented to research by the sponsor.
	#[benchmark]
	fn release(n: Linear<1, { T::MaxRecordsPerRelease::get() }>) {
		let (who, org) = scientist::<T>();
		let id = request::<T>(&who);
		let records: Vec<RecordId> = (0..n)
			.map(|i| {
				let patient: T::AccountId = account("patient", i, 0);
				T::Registry::register_for_benchmark(&patient, None);
				T::BenchmarkHelper::grant_research(&patient, org);
				T::Records::create_for_benchmark(
					&patient,
					carechain_primitives::FhirResourceType::Observation,
					i,
				)
			})
			.collect();
		T::Registry::whitelist_signer_for_benchmark(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id, records);
		assert_eq!(Requests::<T>::get(id).map(|r| r.releases), Some(n));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext().0, crate::mock::Test);
}
