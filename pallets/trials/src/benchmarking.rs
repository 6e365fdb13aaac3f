//! Benchmarks of the trials pallet's calls (frame-benchmarking v2), each at the worst case its
//! bounds allow: studies with `MaxArms` arms and `MaxOutcomes` outcomes in each list, proofs of
//! the full depth, late adverse events, results that switch every outcome.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use super::*;
use frame_benchmarking::v2::*;
use frame_support::{traits::Get, BoundedVec};
use frame_system::RawOrigin;
use sp_core::H256;

type OriginFor<T> = <T as frame_system::Config>::RuntimeOrigin;

fn signed<T: Config>(who: &T::AccountId) -> OriginFor<T> {
	RawOrigin::Signed(who.clone()).into()
}

fn hash(i: u32) -> H256 {
	H256::from_low_u64_be(u64::from(i) + 1)
}

/// A member of a fresh organization of `kind`.
fn member<T: Config>(name: &'static str, kind: OrgKind, role: Role) -> (T::AccountId, OrgId) {
	let who: T::AccountId = account(name, 0, 0);
	T::Membership::register_for_benchmark(&who, Some((kind, role)));
	let org = T::Membership::active_membership(&who).expect("just registered").org;
	(who, org)
}

fn patient<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("patient", i, 0);
	T::Membership::register_for_benchmark(&who, None);
	who
}

fn arms<T: Config>(n: u32) -> BoundedVec<Arm, T::MaxArms> {
	(0..n)
		.map(|i| Arm { index: i as ArmIndex, description_hash: hash(1000 + i) })
		.collect::<Vec<_>>()
		.try_into()
		.expect("within MaxArms")
}

/// `n` distinct outcome hashes from `first`.
fn outcomes<T: Config>(first: u32, n: u32) -> BoundedVec<H256, T::MaxOutcomes> {
	(first..first + n).map(hash).collect::<Vec<_>>().try_into().expect("within MaxOutcomes")
}

/// The root of a tree of depth `depth` whose slot 0 holds arm 0 with salt `hash(7)`, and the
/// proof of that slot: a path of siblings, the rest of the tree unknown.
fn allocation_path(depth: u32) -> (H256, Vec<H256>) {
	let proof: Vec<H256> = (0..depth).map(|i| hash(5000 + i)).collect();
	let root = proof
		.iter()
		.fold(allocation_leaf(0, 0, &hash(7)), |node, sibling| allocation_node(&node, sibling));
	(root, proof)
}

/// A study of the sponsor with `MaxArms` arms and full outcome lists, enrolling
/// `2^depth` subjects, whose allocation slot 0 is [`allocation_path`]`(depth)`.
fn study<T: Config>(sponsor: &T::AccountId, depth: u32) -> StudyId {
	let study = NextStudyId::<T>::get();
	let most = T::MaxOutcomes::get();
	Pallet::<T>::register_study(
		signed::<T>(sponsor),
		RegistryId::Nct(*b"00000001"),
		Phase::Phase3,
		arms::<T>(T::MaxArms::get()),
		1u32 << depth,
		hash(1),
		hash(2),
		outcomes::<T>(100, most),
		outcomes::<T>(200, most),
		hash(3),
		allocation_path(depth).0,
	)
	.expect("registers");
	study
}

fn sponsor<T: Config>() -> T::AccountId {
	member::<T>("sponsor", OrgKind::ResearchSponsor, Role::Practitioner).0
}

/// A site of the study, active, and its practitioner.
fn site<T: Config>(sponsor: &T::AccountId, study: StudyId) -> (T::AccountId, OrgId) {
	let (doctor, site) = member::<T>("doctor", OrgKind::Hospital, Role::Practitioner);
	Pallet::<T>::activate_site(signed::<T>(sponsor), study, site, hash(4)).expect("activates");
	(doctor, site)
}

/// Patient `i`'s pseudonym, screened at the doctor's site, and the subject account (registered
/// nowhere) the patient acts from for it.
fn screened<T: Config>(doctor: &T::AccountId, study: StudyId, i: u32) -> (T::AccountId, Pseudonym) {
	let patient = patient::<T>(i);
	let who: T::AccountId = account("subject", i, 0);
	let pseudonym = pseudonym(study, &patient, &[7; 32]);
	let key = subject_key(study, &pseudonym, &who);
	let nullifier = enrolment_nullifier(&[0x4E; 32], study, &patient);
	Pallet::<T>::screen(signed::<T>(doctor), study, pseudonym, key, nullifier, true)
		.expect("screens");
	(who, pseudonym)
}

/// Patient `i`, enrolled on the current version at the doctor's site.
fn enrolled<T: Config>(
	doctor: &T::AccountId,
	site: OrgId,
	study: StudyId,
	i: u32,
) -> (T::AccountId, Pseudonym) {
	let (who, pseudonym) = screened::<T>(doctor, study, i);
	let version = Studies::<T>::get(study).expect("registered").version;
	Pallet::<T>::enrol(signed::<T>(&who), study, pseudonym, site, version).expect("enrols");
	(who, pseudonym)
}

/// A subject randomised to slot 0 of a depth-1 study.
fn randomised<T: Config>(
	sponsor: &T::AccountId,
	doctor: &T::AccountId,
	site: OrgId,
	study: StudyId,
) -> (T::AccountId, Pseudonym) {
	let (who, pseudonym) = enrolled::<T>(doctor, site, study, 0);
	let proof = allocation_path(1).1.try_into().expect("within MaxAllocationDepth");
	Pallet::<T>::randomise(signed::<T>(sponsor), study, pseudonym, 0, hash(7), proof)
		.expect("randomises");
	(who, pseudonym)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// `a` arms and `o` outcomes, primary first.
	#[benchmark]
	fn register_study(
		a: Linear<1, { T::MaxArms::get() }>,
		o: Linear<1, { 2 * T::MaxOutcomes::get() }>,
	) {
		let sponsor = sponsor::<T>();
		let primary = o.min(T::MaxOutcomes::get());
		let (root, _) = allocation_path(T::MaxAllocationDepth::get());
		T::Membership::whitelist_signer_for_benchmark(&sponsor);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(sponsor),
			RegistryId::Nct(*b"00000001"),
			Phase::Phase3,
			arms::<T>(a),
			1u32 << T::MaxAllocationDepth::get(),
			hash(1),
			hash(2),
			outcomes::<T>(100, primary),
			outcomes::<T>(200, o - primary),
			hash(3),
			root,
		);
		assert!(Studies::<T>::contains_key(0));
	}

	#[benchmark]
	fn amend_protocol() {
		let sponsor = sponsor::<T>();
		let study = study::<T>(&sponsor, 1);
		T::Membership::whitelist_signer_for_benchmark(&sponsor);
		#[extrinsic_call]
		_(RawOrigin::Signed(sponsor), study, hash(21), hash(22), true);
		assert_eq!(Studies::<T>::get(study).map(|s| s.min_consent_version), Some(2));
	}

	#[benchmark]
	fn activate_site() {
		let sponsor = sponsor::<T>();
		let study = study::<T>(&sponsor, 1);
		let (_, site) = member::<T>("doctor", OrgKind::Hospital, Role::Practitioner);
		T::Membership::whitelist_signer_for_benchmark(&sponsor);
		#[extrinsic_call]
		_(RawOrigin::Signed(sponsor), study, site, hash(4));
		assert!(Sites::<T>::get(study, site).is_some_and(|s| s.active));
	}

	#[benchmark]
	fn deactivate_site() {
		let sponsor = sponsor::<T>();
		let study = study::<T>(&sponsor, 1);
		let (_, site) = site::<T>(&sponsor, study);
		T::Membership::whitelist_signer_for_benchmark(&sponsor);
		#[extrinsic_call]
		_(RawOrigin::Signed(sponsor), study, site);
		assert!(Sites::<T>::get(study, site).is_some_and(|s| !s.active));
	}

	#[benchmark]
	fn screen() {
		let sponsor = sponsor::<T>();
		let study = study::<T>(&sponsor, 1);
		let (doctor, _) = site::<T>(&sponsor, study);
		let patient = patient::<T>(0);
		let who: T::AccountId = account("subject", 0, 0);
		let pseudonym = pseudonym(study, &patient, &[7; 32]);
		let key = subject_key(study, &pseudonym, &who);
		let nullifier = enrolment_nullifier(&[0x4E; 32], study, &patient);
		T::Membership::whitelist_signer_for_benchmark(&doctor);
		#[extrinsic_call]
		_(RawOrigin::Signed(doctor), study, pseudonym, key, nullifier, true);
		assert!(Subjects::<T>::contains_key(study, pseudonym));
	}

	#[benchmark]
	fn enrol() {
		let sponsor = sponsor::<T>();
		let study = study::<T>(&sponsor, 1);
		let (doctor, site) = site::<T>(&sponsor, study);
		let (who, pseudonym) = screened::<T>(&doctor, study, 0);
		T::Membership::whitelist_signer_for_benchmark(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), study, pseudonym, site, 1);
		assert_eq!(Subjects::<T>::get(study, pseudonym).map(|s| s.consents), Some(1));
	}

	#[benchmark]
	fn reconsent() {
		let sponsor = sponsor::<T>();
		let study = study::<T>(&sponsor, 1);
		let (doctor, site) = site::<T>(&sponsor, study);
		let (who, pseudonym) = enrolled::<T>(&doctor, site, study, 0);
		Pallet::<T>::amend_protocol(signed::<T>(&sponsor), study, hash(21), hash(22), true)
			.expect("amends");
		T::Membership::whitelist_signer_for_benchmark(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), study, pseudonym, 2);
		assert_eq!(Subjects::<T>::get(study, pseudonym).map(|s| s.consent_version), Some(2));
	}

	/// A proof of `d` siblings: a study enrolling `2^d`.
	#[benchmark]
	fn randomise(d: Linear<0, { T::MaxAllocationDepth::get() }>) {
		let sponsor = sponsor::<T>();
		let study = study::<T>(&sponsor, d);
		let (doctor, site) = site::<T>(&sponsor, study);
		let (_, pseudonym) = enrolled::<T>(&doctor, site, study, 0);
		let proof: BoundedVec<H256, T::MaxAllocationDepth> =
			allocation_path(d).1.try_into().expect("within MaxAllocationDepth");
		T::Membership::whitelist_signer_for_benchmark(&sponsor);
		#[extrinsic_call]
		_(RawOrigin::Signed(sponsor), study, pseudonym, 0, hash(7), proof);
		assert_eq!(Subjects::<T>::get(study, pseudonym).and_then(|s| s.arm), Some(0));
	}

	#[benchmark]
	fn capture_data() {
		let sponsor = sponsor::<T>();
		let study = study::<T>(&sponsor, 1);
		let (doctor, site) = site::<T>(&sponsor, study);
		let (_, pseudonym) = randomised::<T>(&sponsor, &doctor, site, study);
		T::Membership::whitelist_signer_for_benchmark(&doctor);
		#[extrinsic_call]
		_(RawOrigin::Signed(doctor), study, pseudonym, hash(50));
		assert_eq!(Studies::<T>::get(study).map(|s| s.captures), Some(1));
	}

	/// After allocation: the arm's counter.
	#[benchmark]
	fn withdraw() {
		let sponsor = sponsor::<T>();
		let study = study::<T>(&sponsor, 1);
		let (doctor, site) = site::<T>(&sponsor, study);
		let (who, pseudonym) = randomised::<T>(&sponsor, &doctor, site, study);
		T::Membership::whitelist_signer_for_benchmark(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), study, pseudonym);
		assert_eq!(
			Subjects::<T>::get(study, pseudonym).map(|s| s.status),
			Some(SubjectStatus::Withdrawn)
		);
	}

	#[benchmark]
	fn mark_lost_to_follow_up() {
		let sponsor = sponsor::<T>();
		let study = study::<T>(&sponsor, 1);
		let (doctor, site) = site::<T>(&sponsor, study);
		let (_, pseudonym) = randomised::<T>(&sponsor, &doctor, site, study);
		T::Membership::whitelist_signer_for_benchmark(&doctor);
		#[extrinsic_call]
		_(RawOrigin::Signed(doctor), study, pseudonym);
		assert_eq!(
			Subjects::<T>::get(study, pseudonym).map(|s| s.status),
			Some(SubjectStatus::LostToFollowUp)
		);
	}

	#[benchmark]
	fn complete() {
		let sponsor = sponsor::<T>();
		let study = study::<T>(&sponsor, 1);
		let (doctor, site) = site::<T>(&sponsor, study);
		let (_, pseudonym) = randomised::<T>(&sponsor, &doctor, site, study);
		T::Membership::whitelist_signer_for_benchmark(&doctor);
		#[extrinsic_call]
		_(RawOrigin::Signed(doctor), study, pseudonym);
		assert_eq!(
			Subjects::<T>::get(study, pseudonym).map(|s| s.status),
			Some(SubjectStatus::Completed)
		);
	}

	/// A serious adverse event reported late: both events.
	#[benchmark]
	fn report_adverse_event() {
		let sponsor = sponsor::<T>();
		let study = study::<T>(&sponsor, 1);
		let (doctor, site) = site::<T>(&sponsor, study);
		T::BenchmarkHelper::set_time(1_000);
		let (_, pseudonym) = randomised::<T>(&sponsor, &doctor, site, study);
		T::BenchmarkHelper::set_time(1_001 + T::SeriousAdverseEventDeadline::get());
		T::Membership::whitelist_signer_for_benchmark(&doctor);
		#[extrinsic_call]
		_(RawOrigin::Signed(doctor), study, pseudonym, Seriousness::Serious, 1_000, hash(60));
		assert!(AdverseEvents::<T>::get(study, 0).is_some_and(|e| e.late));
	}

	/// `MaxArms` arms to count as analysed.
	#[benchmark]
	fn lock_database() {
		let sponsor = sponsor::<T>();
		let study = study::<T>(&sponsor, 1);
		T::Membership::whitelist_signer_for_benchmark(&sponsor);
		#[extrinsic_call]
		_(RawOrigin::Signed(sponsor), study, hash(9));
		assert!(Studies::<T>::get(study).is_some_and(|s| s.lock.is_some()));
	}

	/// `o` reported outcomes, none registered: every comparison misses.
	#[benchmark]
	fn report_results(o: Linear<0, { 2 * T::MaxOutcomes::get() }>) {
		let sponsor = sponsor::<T>();
		let study = study::<T>(&sponsor, 1);
		Pallet::<T>::lock_database(signed::<T>(&sponsor), study, hash(9)).expect("locks");
		let primary = o.min(T::MaxOutcomes::get());
		T::Membership::whitelist_signer_for_benchmark(&sponsor);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(sponsor),
			study,
			hash(70),
			outcomes::<T>(300, primary),
			outcomes::<T>(400, o - primary),
		);
		assert!(Results::<T>::get(study).is_some_and(|r| r.comparison.switched()));
	}

	#[benchmark]
	fn flag_overdue() {
		let sponsor = sponsor::<T>();
		let study = study::<T>(&sponsor, 1);
		let (doctor, site) = site::<T>(&sponsor, study);
		T::BenchmarkHelper::set_time(1_000);
		let (_, pseudonym) = randomised::<T>(&sponsor, &doctor, site, study);
		Pallet::<T>::complete(signed::<T>(&doctor), study, pseudonym).expect("completes");
		T::BenchmarkHelper::set_time(1_001 + T::ResultsDeadline::get());
		let anyone = patient::<T>(9);
		T::Membership::whitelist_signer_for_benchmark(&anyone);
		#[extrinsic_call]
		_(RawOrigin::Signed(anyone), study);
		assert!(Studies::<T>::get(study).is_some_and(|s| s.results_overdue.is_some()));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
