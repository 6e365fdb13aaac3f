//! Benchmarks of the consent pallet's calls (frame-benchmarking v2), each over its worst case:
//! full consent lists, consents carrying `MaxWrappedKeys` keys, full rate-limit logs.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use super::*;
use carechain_primitives::{FhirResourceType, OrgKind, Role};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{Get, Time},
	BoundedVec,
};
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

fn org_of<T: Config>(who: &T::AccountId) -> OrgId {
	T::Registry::active_membership(who).expect("benchmark practitioners are members").org
}

/// Fills the (patient, `org`) log of recent openings up to `spare` short of
/// `MaxBreakGlassPerPatientPerOrganization` with stored undisputed sessions of other
/// practitioners of `org`, opened now (their ids are taken from `NextEmergencyId`).
fn full_patient_log<T: Config>(patient: &T::AccountId, org: OrgId, spare: u32) {
	let now = T::Time::now();
	let count = T::MaxBreakGlassPerPatientPerOrganization::get().saturating_sub(spare);
	let mut openings = Vec::new();
	for i in 0..count {
		let emergency_id = NextEmergencyId::<T>::get();
		NextEmergencyId::<T>::put(emergency_id + 1);
		Emergencies::<T>::insert(
			emergency_id,
			Emergency {
				patient: patient.clone(),
				accessor: account("colleague", i, 0),
				org,
				reason: EmergencyReason::Other,
				justification_hash: H256::zero(),
				opened_at: now,
				expires_at: now.saturating_add(T::BreakGlassPeriod::get()),
				disputed: false,
			},
		);
		openings.push((emergency_id, now));
	}
	RecentBreakGlassByPatientAndOrganization::<T>::insert(
		patient,
		org,
		BoundedVec::truncate_from(openings),
	);
}

fn far_future<T: Config>() -> Moment {
	T::Time::now().saturating_add(1_000_000_000)
}

/// A wrapped key (every one has the same length).
const KEY: WrappedKey = [2u8; carechain_primitives::WRAPPED_KEY_LEN];

/// `MaxScopeItems` record ids that no record has: the largest scope to decode.
fn unrelated_records<T: Config>() -> BoundedVec<RecordId, T::MaxScopeItems> {
	(0..T::MaxScopeItems::get())
		.map(|i| H256::from_low_u64_be(u64::from(i) | 1 << 40))
		.collect::<Vec<_>>()
		.try_into()
		.expect("exactly the bound")
}

/// Stores a consent of `patient` for `grantee` with `MaxWrappedKeys` keys (of records that
/// need not exist: removal never looks them up), expiring at `expires_at`.
fn consent_with_all_keys<T: Config>(
	patient: &T::AccountId,
	grantee: &T::AccountId,
	expires_at: Moment,
) -> ConsentId {
	let keys = (0..T::MaxWrappedKeys::get())
		.map(|i| (H256::from_low_u64_be(u64::from(i) | 1 << 41), KEY))
		.collect();
	Pallet::<T>::insert_consent_for_benchmark(
		Consent {
			patient: patient.clone(),
			granted_by: patient.clone(),
			grantee: Grantee::Practitioner(grantee.clone()),
			grantee_org: org_of::<T>(grantee),
			scope: ConsentScope::AllRecords,
			purposes: alloc::vec![Purpose::Treatment].try_into().expect("one purpose"),
			granted_at: 0,
			expires_at,
		},
		keys,
	)
}

/// Stores `g` consents of `patient` naming `accessor` for treatment, each with the largest
/// scope, which covers neither `record` nor any new record: a decision reads them all.
fn consents_that_all_fail<T: Config>(patient: &T::AccountId, accessor: &T::AccountId, g: u32) {
	for _ in 0..g {
		Pallet::<T>::insert_consent_for_benchmark(
			Consent {
				patient: patient.clone(),
				granted_by: patient.clone(),
				grantee: Grantee::Practitioner(accessor.clone()),
				grantee_org: org_of::<T>(accessor),
				scope: ConsentScope::Records(unrelated_records::<T>()),
				purposes: alloc::vec![Purpose::Treatment].try_into().expect("one purpose"),
				granted_at: 0,
				expires_at: Moment::MAX,
			},
			Vec::new(),
		);
	}
}

/// Stores a closed break-glass session of `accessor` for `patient`, which a decision reads.
fn closed_emergency<T: Config>(patient: &T::AccountId, accessor: &T::AccountId) {
	let id = NextEmergencyId::<T>::get();
	NextEmergencyId::<T>::put(id + 1);
	Emergencies::<T>::insert(
		id,
		Emergency {
			patient: patient.clone(),
			accessor: accessor.clone(),
			org: org_of::<T>(accessor),
			reason: EmergencyReason::Other,
			justification_hash: H256::zero(),
			opened_at: 0,
			expires_at: T::Time::now(),
			disputed: false,
		},
	);
	EmergencyAccess::<T>::insert(patient, accessor, id);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// `g` unexpired consents exist already, `e` expired ones with `MaxWrappedKeys` keys each
	/// (at most one is cleared), the scope lists `s` records, and `k` keys are wrapped.
	#[benchmark]
	fn grant(
		g: Linear<0, { T::MaxGrantsPerPatient::get() - 1 }>,
		s: Linear<1, { T::MaxScopeItems::get() }>,
		k: Linear<0, { T::MaxWrappedKeys::get() }>,
		e: Linear<0, 1>,
	) {
		let patient = patient::<T>();
		let n = s.max(k);
		let records: Vec<RecordId> = (0..n)
			.map(|i| T::Records::create_for_benchmark(&patient, FhirResourceType::Observation, i))
			.collect();
		if e == 1 {
			consent_with_all_keys::<T>(&patient, &practitioner::<T>(1), 0);
			Pallet::<T>::fill_ended_for_benchmark(&patient);
		}
		for i in 0..g {
			let other = practitioner::<T>(i.saturating_add(2));
			<Pallet<T> as AccessPolicy<T::AccountId>>::grant_for_benchmark(
				&patient,
				&other,
				&records[0],
			);
		}
		let grantee = practitioner::<T>(0);
		let keys = records.iter().take(k as usize).map(|r| (*r, KEY)).collect();
		T::Registry::whitelist_signer_for_benchmark(&patient);
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

	/// The revoked consent carries `k` keys and its patient's list is full.
	#[benchmark]
	fn revoke(k: Linear<0, { T::MaxWrappedKeys::get() }>) -> Result<(), BenchmarkError> {
		let patient = patient::<T>();
		let records: Vec<RecordId> = (0..k.max(1))
			.map(|i| T::Records::create_for_benchmark(&patient, FhirResourceType::Observation, i))
			.collect();
		let keys = records.iter().take(k as usize).map(|r| (*r, KEY)).collect();
		// The patient's list is full, so removing the consent from it reads the most.
		for i in 1..T::MaxGrantsPerPatient::get() {
			<Pallet<T> as AccessPolicy<T::AccountId>>::grant_for_benchmark(
				&patient,
				&practitioner::<T>(i),
				&records[0],
			);
		}
		Pallet::<T>::fill_ended_for_benchmark(&patient);
		let consent_id = NextConsentId::<T>::get();
		Pallet::<T>::grant(
			RawOrigin::Signed(patient.clone()).into(),
			patient.clone(),
			Grantee::Practitioner(practitioner::<T>(0)),
			ConsentScope::AllRecords,
			alloc::vec![Purpose::Treatment],
			far_future::<T>(),
			keys,
		)
		.map_err(|e| e.error)?;
		T::Registry::whitelist_signer_for_benchmark(&patient);
		#[extrinsic_call]
		_(RawOrigin::Signed(patient), consent_id);
		assert!(Consents::<T>::get(consent_id).is_none());
		Ok(())
	}

	/// A closed earlier session of the pair, and the practitioner's, the organization's and the
	/// (patient, organization) rate-limit logs each one short of full.
	#[benchmark]
	fn break_glass() {
		let patient = patient::<T>();
		let doctor = practitioner::<T>(0);
		closed_emergency::<T>(&patient, &doctor);
		let org = org_of::<T>(&doctor);
		let now = T::Time::now();
		let recent = |n: u32| alloc::vec![now; n.saturating_sub(1) as usize];
		RecentBreakGlassByPractitioner::<T>::insert(
			&doctor,
			BoundedVec::truncate_from(recent(T::MaxBreakGlassPerPractitioner::get())),
		);
		RecentBreakGlassByOrganization::<T>::insert(
			org,
			BoundedVec::truncate_from(recent(T::MaxBreakGlassPerOrganization::get())),
		);
		full_patient_log::<T>(&patient, org, 1);
		T::Registry::whitelist_signer_for_benchmark(&doctor);
		#[extrinsic_call]
		_(RawOrigin::Signed(doctor.clone()), patient.clone(), EmergencyReason::Other, H256::zero());
		assert!(Emergencies::<T>::get(NextEmergencyId::<T>::get() - 1)
			.is_some_and(|e| e.accessor == doctor && e.patient == patient));
	}

	/// The disputed session is the newest in a full (patient, organization) log, so freeing its
	/// slot scans the whole log.
	#[benchmark]
	fn dispute() -> Result<(), BenchmarkError> {
		let patient = patient::<T>();
		let doctor = practitioner::<T>(0);
		let org = org_of::<T>(&doctor);
		full_patient_log::<T>(&patient, org, 1);
		let emergency_id = NextEmergencyId::<T>::get();
		Pallet::<T>::break_glass(
			RawOrigin::Signed(doctor.clone()).into(),
			patient.clone(),
			EmergencyReason::Other,
			H256::zero(),
		)?;
		T::Registry::whitelist_signer_for_benchmark(&patient);
		#[extrinsic_call]
		_(RawOrigin::Signed(patient.clone()), emergency_id);
		assert!(Emergencies::<T>::get(emergency_id).is_some_and(|e| e.disputed));
		assert!(DisputeBlocks::<T>::contains_key(&patient, &doctor));
		assert!(!RecentBreakGlassByPatientAndOrganization::<T>::get(&patient, org)
			.iter()
			.any(|(id, _)| *id == emergency_id));
		Ok(())
	}

	#[benchmark]
	fn lift_dispute_block() -> Result<(), BenchmarkError> {
		let patient = patient::<T>();
		let doctor = practitioner::<T>(0);
		Pallet::<T>::break_glass(
			RawOrigin::Signed(doctor.clone()).into(),
			patient.clone(),
			EmergencyReason::Other,
			H256::zero(),
		)?;
		Pallet::<T>::dispute(RawOrigin::Signed(patient.clone()).into(), 0)?;
		T::Registry::whitelist_signer_for_benchmark(&patient);
		#[extrinsic_call]
		_(RawOrigin::Signed(patient.clone()), patient.clone(), doctor.clone());
		assert!(!DisputeBlocks::<T>::contains_key(&patient, &doctor));
		Ok(())
	}

	/// One consent visited and removed by the expiry sweep: it carries `MaxWrappedKeys` keys
	/// and its patient's list is full.
	#[benchmark]
	fn sweep_expired_item() {
		let patient = patient::<T>();
		let expired = consent_with_all_keys::<T>(&patient, &practitioner::<T>(0), 0);
		let record = T::Records::create_for_benchmark(&patient, FhirResourceType::Observation, 0);
		for i in 1..T::MaxGrantsPerPatient::get() {
			<Pallet<T> as AccessPolicy<T::AccountId>>::grant_for_benchmark(
				&patient,
				&practitioner::<T>(i),
				&record,
			);
		}
		Pallet::<T>::fill_ended_for_benchmark(&patient);
		ExpirySweepCursor::<T>::put(expired);
		let limit = T::WeightInfo::sweep_expired_item()
			.saturating_add(T::DbWeight::get().reads_writes(2, 1));
		#[block]
		{
			Pallet::<T>::sweep_expired(limit);
		}
		assert!(Consents::<T>::get(expired).is_none());
		assert!(EndedConsents::<T>::contains_key(expired));
		assert_eq!(GrantedKeys::<T>::iter_prefix(expired).count(), 0);
	}

	/// One consent visited by the expiry sweep and kept: unexpired, with the largest scope.
	#[benchmark]
	fn sweep_expired_visit() {
		let patient = patient::<T>();
		let doctor = practitioner::<T>(0);
		consents_that_all_fail::<T>(&patient, &doctor, 1);
		let kept = NextConsentId::<T>::get() - 1;
		ExpirySweepCursor::<T>::put(kept);
		let limit = T::WeightInfo::sweep_expired_item()
			.saturating_add(T::DbWeight::get().reads_writes(2, 1));
		#[block]
		{
			Pallet::<T>::sweep_expired(limit);
		}
		assert!(Consents::<T>::get(kept).is_some());
		assert_eq!(ExpirySweepCursor::<T>::get(), kept + 1);
	}

	/// A read decision over `g` consents that all name the accessor and all fail, and a closed
	/// break-glass session: what [`CheckAccessWeight`] charges at `g = MaxGrantsPerPatient`.
	#[benchmark]
	fn check_access(g: Linear<0, { T::MaxGrantsPerPatient::get() }>) {
		let patient = patient::<T>();
		let doctor = practitioner::<T>(0);
		let record = T::Records::create_for_benchmark(&patient, FhirResourceType::Observation, 0);
		consents_that_all_fail::<T>(&patient, &doctor, g);
		closed_emergency::<T>(&patient, &doctor);
		let decision;
		#[block]
		{
			decision = <Pallet<T> as AccessPolicy<T::AccountId>>::check_access(
				&patient,
				&doctor,
				&record,
				Purpose::Treatment,
				T::Time::now(),
			);
		}
		assert!(!decision.is_allowed());
	}

	/// A write decision over `g` consents that all name the author and all fail, and a closed
	/// break-glass session: what [`CheckWriteWeight`] charges at `g = MaxGrantsPerPatient`.
	#[benchmark]
	fn check_write(g: Linear<0, { T::MaxGrantsPerPatient::get() }>) {
		let patient = patient::<T>();
		let doctor = practitioner::<T>(0);
		consents_that_all_fail::<T>(&patient, &doctor, g);
		closed_emergency::<T>(&patient, &doctor);
		let decision;
		#[block]
		{
			decision = <Pallet<T> as AccessPolicy<T::AccountId>>::check_write(
				&patient,
				&doctor,
				FhirResourceType::Observation,
				T::Time::now(),
			);
		}
		assert!(!decision.is_allowed());
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
