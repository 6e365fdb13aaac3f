//! Benchmarks of the registry's calls (frame-benchmarking v2).

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use super::*;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_core::H256;

#[benchmarks]
mod benchmarks {
	use super::*;

	fn admitted<T: Config>(admin: &T::AccountId) -> OrgId {
		let origin = T::GovernanceOrigin::try_successful_origin().expect("governance origin");
		let org = NextOrgId::<T>::get();
		Pallet::<T>::admit_organization(
			origin,
			OrgKind::Hospital,
			Licence::for_benchmark(org),
			H256::zero(),
			admin.clone(),
		)
		.expect("fresh admin");
		org
	}

	#[benchmark]
	fn admit_organization() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let admin: T::AccountId = account("admin", 0, 0);
		let licence = Licence::for_benchmark(NextOrgId::<T>::get());
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, OrgKind::Hospital, licence, H256::zero(), admin.clone());
		assert_eq!(OrganizationByLicence::<T>::get(licence), NextOrgId::<T>::get().checked_sub(1));
		assert!(Members::<T>::contains_key(&admin));
		Ok(())
	}

	/// A set of `v` validators of which `org` runs one and `other` the rest: suspending or
	/// removing `org` filters, sorts and announces the other `v - 1`.
	fn validators_with_one_of<T: Config>(org: OrgId, other: OrgId, v: u32) {
		let (mut set, _, _) = validators(other, v);
		if let Some(last) = set.last_mut() {
			last.org = org;
		}
		Validators::<T>::put(BoundedVec::truncate_from(set));
	}

	#[benchmark]
	fn suspend_organization(
		v: Linear<2, { T::MaxValidators::get() }>,
	) -> Result<(), BenchmarkError> {
		let org = admitted::<T>(&account("admin", 0, 0));
		let other = admitted::<T>(&account("admin", 1, 0));
		validators_with_one_of::<T>(org, other, v);
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, org);
		let scheduled = ScheduledValidatorSet::<T>::get().expect("announced");
		assert_eq!(scheduled.validators.len() as u32, v - 1);
		Ok(())
	}

	#[benchmark]
	fn reinstate_organization() -> Result<(), BenchmarkError> {
		let org = admitted::<T>(&account("admin", 0, 0));
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		Pallet::<T>::suspend_organization(origin.clone(), org)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, org);
		Ok(())
	}

	#[benchmark]
	fn remove_organization(
		m: Linear<1, { T::MaxMembersPerOrg::get() }>,
		v: Linear<2, { T::MaxValidators::get() }>,
	) -> Result<(), BenchmarkError> {
		let admin: T::AccountId = account("admin", 0, 0);
		let org = admitted::<T>(&admin);
		let other = admitted::<T>(&account("admin", 1, 0));
		validators_with_one_of::<T>(org, other, v);
		for i in 1..m {
			Pallet::<T>::add_member(
				RawOrigin::Signed(admin.clone()).into(),
				account("member", i, 0),
				Role::Staff,
			)?;
		}
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, org);
		assert!(!Members::<T>::contains_key(&admin));
		assert!(ScheduledValidatorSet::<T>::get().is_some());
		Ok(())
	}

	#[benchmark]
	fn add_member() {
		let admin: T::AccountId = account("admin", 0, 0);
		admitted::<T>(&admin);
		let who: T::AccountId = account("member", 1, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), who.clone(), Role::Practitioner);
		assert!(Members::<T>::contains_key(&who));
	}

	#[benchmark]
	fn remove_member() -> Result<(), BenchmarkError> {
		let admin: T::AccountId = account("admin", 0, 0);
		admitted::<T>(&admin);
		let who: T::AccountId = account("member", 1, 0);
		Pallet::<T>::add_member(RawOrigin::Signed(admin.clone()).into(), who.clone(), Role::Staff)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), who.clone());
		assert!(!Members::<T>::contains_key(&who));
		Ok(())
	}

	/// `g` distinct guardians, each an organization member and not a patient (so each costs
	/// both lookups): the pairwise duplicate check is quadratic in `g`, and the benchmark
	/// covers it up to the bound the call checks first.
	#[benchmark]
	fn register_patient(g: Linear<0, { T::MaxGuardians::get() }>) {
		let licence = Licence::for_benchmark(NextOrgId::<T>::get());
		let org = Pallet::<T>::insert_organization(OrgKind::Hospital, licence, H256::zero())
			.expect("organization ids remain");
		let guardians: Vec<T::AccountId> = (0..g)
			.map(|i| {
				let guardian = account("guardian", i, 0);
				Pallet::<T>::insert_member(org, &guardian, Role::Staff)
					.expect("room for guardians");
				guardian
			})
			.collect();
		let patient: T::AccountId = account("patient", 0, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(patient.clone()), [1u8; 32], guardians);
		assert!(Patients::<T>::contains_key(&patient));
	}

	#[benchmark]
	fn add_guardian() {
		let patient: T::AccountId = account("patient", 0, 0);
		let guardian: T::AccountId = account("guardian", 0, 0);
		Pallet::<T>::insert_patient(&patient, [1u8; 32], Default::default());
		Pallet::<T>::insert_patient(&guardian, [1u8; 32], Default::default());
		#[extrinsic_call]
		_(RawOrigin::Signed(patient.clone()), guardian.clone());
		assert!(Pallet::<T>::is_guardian(&patient, &guardian));
	}

	#[benchmark]
	fn remove_guardian() -> Result<(), BenchmarkError> {
		let patient: T::AccountId = account("patient", 0, 0);
		let guardian: T::AccountId = account("guardian", 0, 0);
		Pallet::<T>::insert_patient(&patient, [1u8; 32], Default::default());
		Pallet::<T>::insert_patient(&guardian, [1u8; 32], Default::default());
		Pallet::<T>::add_guardian(RawOrigin::Signed(patient.clone()).into(), guardian.clone())?;
		#[extrinsic_call]
		_(RawOrigin::Signed(patient.clone()), guardian.clone());
		assert!(!Pallet::<T>::is_guardian(&patient, &guardian));
		Ok(())
	}

	#[benchmark]
	fn rotate_encryption_key() {
		let patient: T::AccountId = account("patient", 0, 0);
		Pallet::<T>::insert_patient(&patient, [1u8; 32], Default::default());
		#[extrinsic_call]
		_(RawOrigin::Signed(patient.clone()), [2u8; 32]);
		assert_eq!(Pallet::<T>::encryption_key(&patient), Some([2u8; 32]));
	}

	/// A set of `v` validators run by `org`, and a key with its proof for `org`.
	fn validators(
		org: OrgId,
		v: u32,
	) -> (Vec<Validator>, ValidatorKey, sp_core::ed25519::Signature) {
		use sp_core::Pair as _;
		let set = (0..v)
			.map(|i| {
				let mut key = [0u8; 32];
				key[..4].copy_from_slice(&i.to_le_bytes());
				Validator { key, org }
			})
			.collect();
		let pair = sp_core::ed25519::Pair::from_seed(&[7u8; 32]);
		let key = pair.public().0;
		(set, key, pair.sign(&validator_proof_payload(org, &key)))
	}

	#[benchmark]
	fn add_validator(v: Linear<1, { T::MaxValidators::get() - 1 }>) -> Result<(), BenchmarkError> {
		let org = admitted::<T>(&account("admin", 0, 0));
		let (set, key, proof) = validators(org, v);
		Validators::<T>::put(BoundedVec::truncate_from(set));
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, org, key, proof);
		let scheduled = ScheduledValidatorSet::<T>::get().expect("announced");
		assert_eq!(scheduled.validators.len() as u32, v + 1);
		Ok(())
	}

	#[benchmark]
	fn remove_validator(v: Linear<2, { T::MaxValidators::get() }>) -> Result<(), BenchmarkError> {
		let org = admitted::<T>(&account("admin", 0, 0));
		let (set, _, _) = validators(org, v);
		let last = set[set.len() - 1].key;
		Validators::<T>::put(BoundedVec::truncate_from(set));
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, last);
		let scheduled = ScheduledValidatorSet::<T>::get().expect("announced");
		assert_eq!(scheduled.validators.len() as u32, v - 1);
		Ok(())
	}

	#[benchmark]
	fn dispatch_as_root() -> Result<(), BenchmarkError> {
		let origin =
			T::RootOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let call: <T as Config>::RuntimeCall =
			frame_system::Call::<T>::remark { remark: Vec::new() }.into();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, alloc::boxed::Box::new(call));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
