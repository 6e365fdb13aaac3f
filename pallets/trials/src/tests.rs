//! Unit tests of the trials pallet: each call's success and named errors, the attacks on its
//! checks, the trial journey checked against the CONSORT counts, the allocation proofs, the
//! absence of patient accounts from state and events, and `try_state`.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate::{
	mock::*, AdverseEvents, ArmFlow, ArmIndex, Captures, ConsentHistory, ConsortFlows, Error,
	Event, NextStudyId, OutcomeComparison, Phase, ProtocolVersions, Pseudonym, RegistryId, Results,
	Seriousness, Sites, StudyId, SubjectStatus, Subjects,
};
use carechain_primitives::OrgId;
use codec::{Decode, Encode};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use sp_core::H256;

use Seriousness::*;

const NCT: RegistryId = RegistryId::Nct(*b"01234567");

fn h(n: u8) -> H256 {
	H256::repeat_byte(n)
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn outcomes(list: Vec<H256>) -> BoundedVec<H256, MaxOutcomes> {
	list.try_into().expect("within MaxOutcomes")
}

fn arms(n: u8) -> BoundedVec<crate::Arm, MaxArms> {
	(0..n)
		.map(|index| crate::Arm { index, description_hash: h(0x40 + index) })
		.collect::<Vec<_>>()
		.try_into()
		.expect("within MaxArms")
}

/// The allocation list of a study enrolling `target`: slot `i` gets arm 1, 0, 0, 1, … and salt
/// `0xA0 + i`.
fn allocation(target: u32) -> Vec<(ArmIndex, H256)> {
	let slots = 1u32 << crate::allocation_depth(target);
	(0..slots).map(|i| ([1, 0, 0, 1][i as usize % 4], h(0xA0 + i as u8))).collect()
}

fn leaves(target: u32) -> Vec<H256> {
	allocation(target)
		.iter()
		.enumerate()
		.map(|(slot, (arm, salt))| crate::allocation_leaf(slot as u32, *arm, salt))
		.collect()
}

fn root(target: u32) -> H256 {
	crate::allocation_root(&leaves(target), crate::allocation_depth(target))
}

/// The allocation list's entry for `slot` with its proof.
fn reveal(target: u32, slot: u32) -> (ArmIndex, H256, BoundedVec<H256, MaxAllocationDepth>) {
	let (arm, salt) = allocation(target)[slot as usize];
	let proof = crate::allocation_proof(&leaves(target), crate::allocation_depth(target), slot);
	(arm, salt, proof.try_into().expect("within MaxAllocationDepth"))
}

fn register_with(target: u32, registry_id: RegistryId) -> StudyId {
	let study = NextStudyId::<Test>::get();
	assert_ok!(Trials::register_study(
		signed(SPONSOR_SCIENTIST),
		registry_id,
		Phase::Phase3,
		arms(2),
		target,
		h(1),
		h(2),
		outcomes(vec![h(11)]),
		outcomes(vec![h(12), h(13)]),
		h(3),
		root(target),
	));
	study
}

/// A study enrolling 4 subjects, with St. Mary's active as a site.
fn open_study() -> StudyId {
	let study = register_with(4, NCT);
	assert_ok!(Trials::activate_site(signed(SPONSOR_SCIENTIST), study, MARYS, h(5)));
	study
}

fn pseudonym_of(study: StudyId, patient: u64) -> Pseudonym {
	crate::pseudonym(study, &patient, &[patient as u8; 32])
}

/// The account `patient` acts from as a subject of `study`: a wallet derives one per study,
/// registered nowhere.
fn subject_account(study: StudyId, patient: u64) -> u64 {
	patient ^ (0xA5 << 56) ^ (u64::from(study) + 1) << 40
}

fn key_of(study: StudyId, patient: u64) -> H256 {
	crate::subject_key(study, &pseudonym_of(study, patient), &subject_account(study, patient))
}

/// The nullifier key the sponsor gives the study's sites.
const NULLIFIER_KEY: [u8; 32] = [0x4E; 32];

fn nullifier_of(study: StudyId, patient: u64) -> H256 {
	crate::enrolment_nullifier(&NULLIFIER_KEY, study, &patient)
}

fn screened(study: StudyId, patient: u64) -> Pseudonym {
	let pseudonym = pseudonym_of(study, patient);
	assert_ok!(Trials::screen(
		signed(MARYS_DOCTOR),
		study,
		pseudonym,
		key_of(study, patient),
		nullifier_of(study, patient),
		true
	));
	pseudonym
}

fn current_version(study: StudyId) -> u32 {
	crate::Studies::<Test>::get(study).expect("registered").version
}

fn enrolled(study: StudyId, patient: u64) -> Pseudonym {
	let pseudonym = screened(study, patient);
	assert_ok!(Trials::enrol(
		signed(subject_account(study, patient)),
		study,
		pseudonym,
		MARYS,
		current_version(study)
	));
	pseudonym
}

fn randomise(study: StudyId, pseudonym: Pseudonym) -> ArmIndex {
	let info = crate::Studies::<Test>::get(study).expect("registered");
	let slot = Subjects::<Test>::get(study, pseudonym).and_then(|s| s.slot).expect("enrolled");
	let (arm, salt, proof) = reveal(info.target_enrolment, slot);
	assert_ok!(Trials::randomise(signed(SPONSOR_SCIENTIST), study, pseudonym, arm, salt, proof));
	arm
}

fn randomised(study: StudyId, patient: u64) -> (Pseudonym, ArmIndex) {
	let pseudonym = enrolled(study, patient);
	(pseudonym, randomise(study, pseudonym))
}

fn status(study: StudyId, pseudonym: Pseudonym) -> SubjectStatus {
	Subjects::<Test>::get(study, pseudonym).expect("a subject").status
}

fn flow(study: StudyId) -> crate::ConsortFlow<Test> {
	ConsortFlows::<Test>::get(study).expect("a flow")
}

fn arm_flow(allocated: u32, lost: u32, withdrawn: u32, completed: u32, analysed: u32) -> ArmFlow {
	ArmFlow { allocated, lost, withdrawn, completed, analysed }
}

// Registration.

#[test]
fn a_sponsor_registers_a_study_as_protocol_version_1() {
	run(|| {
		let study = register_with(4, NCT);
		System::assert_last_event(
			Event::StudyRegistered { study, sponsor: SPONSOR, registry_id: NCT }.into(),
		);
		let info = crate::Studies::<Test>::get(study).expect("stored");
		assert_eq!((info.sponsor, info.version, info.min_consent_version), (SPONSOR, 1, 1));
		assert_eq!(info.primary_outcomes.to_vec(), vec![h(11)]);
		assert_eq!(info.allocation_root, root(4));
		assert_eq!(info.registered_at, START);
		let v1 = ProtocolVersions::<Test>::get(study, 1).expect("version 1");
		assert_eq!(
			(v1.protocol_hash, v1.consent_form_hash, v1.reconsent_required),
			(h(1), h(2), false)
		);
		assert_eq!(flow(study).arms.to_vec(), vec![ArmFlow::default(); 2]);
		assert_eq!(crate::StudyByRegistryId::<Test>::get(NCT), Some(study));
		assert_eq!(NextStudyId::<Test>::get(), study + 1);
		// An admin may register too, under another identifier.
		assert_ok!(Trials::register_study(
			signed(SPONSOR_ADMIN),
			RegistryId::Isrctn(*b"12345678"),
			Phase::NotApplicable,
			arms(1),
			1,
			h(1),
			h(2),
			outcomes(vec![h(11)]),
			outcomes(vec![]),
			h(3),
			root(1),
		));
	});
}

fn register_as(who: u64, registry_id: RegistryId) -> frame_support::dispatch::DispatchResult {
	Trials::register_study(
		signed(who),
		registry_id,
		Phase::Phase2,
		arms(2),
		4,
		h(1),
		h(2),
		outcomes(vec![h(11)]),
		outcomes(vec![h(12)]),
		h(3),
		root(4),
	)
}

#[test]
fn only_an_admin_or_practitioner_of_an_active_sponsor_registers() {
	run(|| {
		assert_noop!(register_as(MARYS_DOCTOR, NCT), Error::<Test>::NotResearchSponsor);
		assert_noop!(register_as(PAYER_CLERK, NCT), Error::<Test>::NotResearchSponsor);
		assert_noop!(register_as(STRANGER, NCT), Error::<Test>::NotResearchSponsor);
		assert_noop!(register_as(PATIENT, NCT), Error::<Test>::NotResearchSponsor);
		assert_noop!(register_as(SPONSOR_CLERK, NCT), Error::<Test>::NotSponsorStaff);
		MockRegistry::set_active(SPONSOR, false);
		assert_noop!(register_as(SPONSOR_SCIENTIST, NCT), Error::<Test>::NotResearchSponsor);
		MockRegistry::set_active(SPONSOR, true);
		MockRegistry::remove_member(SPONSOR_SCIENTIST);
		assert_noop!(register_as(SPONSOR_SCIENTIST, NCT), Error::<Test>::NotResearchSponsor);
	});
}

#[test]
fn a_registry_identifier_is_digits_and_registers_one_study() {
	run(|| {
		for bad in [*b"HIV+J.Do", *b"0123456 ", *b"\0\0\0\0\0\0\0\0", *b"0123456a"] {
			assert_noop!(
				register_as(SPONSOR_SCIENTIST, RegistryId::Nct(bad)),
				Error::<Test>::InvalidRegistryId
			);
			assert_noop!(
				register_as(SPONSOR_SCIENTIST, RegistryId::Isrctn(bad)),
				Error::<Test>::InvalidRegistryId
			);
		}
		assert_ok!(register_as(SPONSOR_SCIENTIST, NCT));
		assert_noop!(register_as(RIVAL_SCIENTIST, NCT), Error::<Test>::RegistryIdInUse);
		assert_eq!(NCT.to_ascii(), b"NCT01234567".to_vec());
		assert_eq!(RegistryId::Isrctn(*b"12345678").to_ascii(), b"ISRCTN12345678".to_vec());
	});
}

#[test]
fn a_registration_needs_a_sound_design() {
	run(|| {
		let register = |arms: BoundedVec<crate::Arm, MaxArms>,
		                target: u32,
		                primary: Vec<H256>,
		                secondary: Vec<H256>,
		                protocol: H256| {
			Trials::register_study(
				signed(SPONSOR_SCIENTIST),
				NCT,
				Phase::Phase1,
				arms,
				target,
				protocol,
				h(2),
				outcomes(primary),
				outcomes(secondary),
				h(3),
				root(target.clamp(1, 8)),
			)
		};
		assert_noop!(register(arms(0), 4, vec![h(11)], vec![], h(1)), Error::<Test>::NoArms);
		let mut swapped = arms(2);
		swapped[0].index = 1;
		swapped[1].index = 0;
		assert_noop!(
			register(swapped, 4, vec![h(11)], vec![], h(1)),
			Error::<Test>::ArmsNotInOrder
		);
		assert_noop!(
			register(arms(2), 4, vec![], vec![h(12)], h(1)),
			Error::<Test>::NoPrimaryOutcome
		);
		assert_noop!(
			register(arms(2), 4, vec![h(11), h(11)], vec![], h(1)),
			Error::<Test>::DuplicateOutcome
		);
		assert_noop!(
			register(arms(2), 4, vec![h(11)], vec![h(12), h(11)], h(1)),
			Error::<Test>::DuplicateOutcome
		);
		assert_noop!(
			register(arms(2), 0, vec![h(11)], vec![], h(1)),
			Error::<Test>::InvalidTargetEnrolment
		);
		// 2^MaxAllocationDepth = 8 subjects at most: at the bound, and past it.
		assert_noop!(
			register(arms(2), 9, vec![h(11)], vec![], h(1)),
			Error::<Test>::InvalidTargetEnrolment
		);
		assert_noop!(
			register(arms(2), 4, vec![h(11)], vec![], H256::zero()),
			Error::<Test>::ZeroHash
		);
		assert_noop!(
			register(arms(2), 4, vec![h(11), H256::zero()], vec![], h(1)),
			Error::<Test>::ZeroHash
		);
		let mut blank = arms(2);
		blank[1].description_hash = H256::zero();
		assert_noop!(register(blank, 4, vec![h(11)], vec![], h(1)), Error::<Test>::ZeroHash);
		// The bounds: MaxArms arms and MaxOutcomes outcomes per list, a target of 8.
		assert_ok!(register(
			arms(3),
			8,
			vec![h(11), h(12), h(13)],
			vec![h(14), h(15), h(16)],
			h(1)
		));
	});
}

#[test]
fn lists_past_their_bounds_do_not_decode_as_a_call() {
	run(|| {
		let call = RuntimeCall::Trials(crate::Call::register_study {
			registry_id: NCT,
			phase: Phase::Phase3,
			arms: arms(3),
			target_enrolment: 4,
			protocol_hash: h(1),
			consent_form_hash: h(2),
			primary_outcomes: outcomes(vec![h(11)]),
			secondary_outcomes: outcomes(vec![]),
			analysis_plan_hash: h(3),
			allocation_root: root(4),
		});
		let bytes = call.encode();
		assert!(RuntimeCall::decode(&mut &bytes[..]).is_ok());
		// The same call with a fourth arm: Vec and BoundedVec encode alike.
		let mut arm_list = arms(3).to_vec();
		arm_list.push(crate::Arm { index: 3, description_hash: h(0x43) });
		let head = &bytes[..2 + NCT.encoded_size() + Phase::Phase3.encoded_size()];
		let mut tampered = head.to_vec();
		arm_list.encode_to(&mut tampered);
		tampered.extend_from_slice(&bytes[head.len() + arms(3).encoded_size()..]);
		assert!(RuntimeCall::decode(&mut &tampered[..]).is_err());
	});
}

// Amendments.

#[test]
fn amendments_are_versions_and_reconsent_raises_the_minimum() {
	run(|| {
		let study = register_with(4, NCT);
		assert_ok!(Trials::amend_protocol(signed(SPONSOR_SCIENTIST), study, h(21), h(22), false));
		System::assert_last_event(
			Event::ProtocolAmended { study, version: 2, reconsent_required: false }.into(),
		);
		let info = crate::Studies::<Test>::get(study).expect("stored");
		assert_eq!((info.version, info.min_consent_version), (2, 1));
		advance(DAY);
		assert_ok!(Trials::amend_protocol(signed(SPONSOR_ADMIN), study, h(31), h(32), true));
		let info = crate::Studies::<Test>::get(study).expect("stored");
		assert_eq!((info.version, info.min_consent_version), (3, 3));
		let history = Trials::protocol_history(study);
		assert_eq!(
			history.iter().map(|v| (v.protocol_hash, v.reconsent_required)).collect::<Vec<_>>(),
			vec![(h(1), false), (h(21), false), (h(31), true)]
		);
		assert_eq!(history[2].at, START + DAY);
		// MaxProtocolVersions is 3: at the bound, the next amendment is refused.
		assert_noop!(
			Trials::amend_protocol(signed(SPONSOR_SCIENTIST), study, h(41), h(42), false),
			Error::<Test>::TooManyVersions
		);
	});
}

#[test]
fn only_the_studys_sponsor_amends() {
	run(|| {
		let study = register_with(4, NCT);
		let amend = |who| Trials::amend_protocol(signed(who), study, h(21), h(22), true);
		assert_noop!(amend(RIVAL_SCIENTIST), Error::<Test>::NotStudySponsor);
		assert_noop!(amend(SPONSOR_CLERK), Error::<Test>::NotSponsorStaff);
		assert_noop!(amend(MARYS_DOCTOR), Error::<Test>::NotResearchSponsor);
		assert_noop!(
			Trials::amend_protocol(signed(SPONSOR_SCIENTIST), 7, h(21), h(22), true),
			Error::<Test>::UnknownStudy
		);
		assert_noop!(
			Trials::amend_protocol(signed(SPONSOR_SCIENTIST), study, h(21), H256::zero(), true),
			Error::<Test>::ZeroHash
		);
		assert_ok!(Trials::lock_database(signed(SPONSOR_SCIENTIST), study, h(9)));
		assert_noop!(amend(SPONSOR_SCIENTIST), Error::<Test>::StudyLocked);
	});
}

// Sites.

#[test]
fn the_sponsor_activates_deactivates_and_reactivates_sites() {
	run(|| {
		let study = register_with(4, NCT);
		assert_ok!(Trials::activate_site(signed(SPONSOR_SCIENTIST), study, MARYS, h(5)));
		System::assert_last_event(
			Event::SiteActivated { study, site: MARYS, ethics_approval_hash: h(5) }.into(),
		);
		assert_ok!(Trials::deactivate_site(signed(SPONSOR_ADMIN), study, MARYS));
		System::assert_last_event(Event::SiteDeactivated { study, site: MARYS }.into());
		assert!(!Sites::<Test>::get(study, MARYS).expect("kept").active);
		assert_noop!(
			Trials::deactivate_site(signed(SPONSOR_ADMIN), study, MARYS),
			Error::<Test>::SiteNotActive
		);
		assert_ok!(Trials::activate_site(signed(SPONSOR_SCIENTIST), study, MARYS, h(6)));
		let site = Sites::<Test>::get(study, MARYS).expect("kept");
		assert_eq!((site.active, site.ethics_approval_hash), (true, h(6)));
		assert_eq!(crate::Studies::<Test>::get(study).map(|s| s.sites), Some(1));
	});
}

#[test]
fn sites_are_active_care_providers_within_the_bound() {
	run(|| {
		let study = register_with(4, NCT);
		let activate = |who, site: OrgId| Trials::activate_site(signed(who), study, site, h(5));
		assert_noop!(activate(SPONSOR_SCIENTIST, PAYER), Error::<Test>::NotCareProvider);
		assert_noop!(activate(SPONSOR_SCIENTIST, RIVAL), Error::<Test>::NotCareProvider);
		assert_noop!(activate(SPONSOR_SCIENTIST, 77), Error::<Test>::NotCareProvider);
		MockRegistry::set_active(COUNTY, false);
		assert_noop!(activate(SPONSOR_SCIENTIST, COUNTY), Error::<Test>::NotCareProvider);
		MockRegistry::set_active(COUNTY, true);
		assert_noop!(activate(RIVAL_SCIENTIST, MARYS), Error::<Test>::NotStudySponsor);
		assert_noop!(activate(MARYS_DOCTOR, MARYS), Error::<Test>::NotResearchSponsor);
		assert_noop!(
			Trials::activate_site(signed(SPONSOR_SCIENTIST), study, MARYS, H256::zero()),
			Error::<Test>::ZeroHash
		);
		assert_ok!(activate(SPONSOR_SCIENTIST, MARYS));
		assert_noop!(activate(SPONSOR_SCIENTIST, MARYS), Error::<Test>::SiteAlreadyActive);
		// MaxSites is 2: at the bound, a third is refused.
		assert_ok!(activate(SPONSOR_SCIENTIST, CITY));
		assert_noop!(activate(SPONSOR_SCIENTIST, COUNTY), Error::<Test>::TooManySites);
		assert_noop!(
			Trials::deactivate_site(signed(RIVAL_SCIENTIST), study, MARYS),
			Error::<Test>::NotStudySponsor
		);
		assert_noop!(
			Trials::deactivate_site(signed(SPONSOR_SCIENTIST), study, COUNTY),
			Error::<Test>::SiteNotActive
		);
		assert_ok!(Trials::lock_database(signed(SPONSOR_SCIENTIST), study, h(9)));
		assert_ok!(Trials::deactivate_site(signed(SPONSOR_SCIENTIST), study, CITY));
		assert_noop!(activate(SPONSOR_SCIENTIST, CITY), Error::<Test>::StudyLocked);
	});
}

// Screening.

#[test]
fn a_site_screens_subjects_eligible_or_not() {
	run(|| {
		let study = open_study();
		let pseudonym = screened(study, PATIENT);
		System::assert_last_event(
			Event::SubjectScreened { study, pseudonym, site: MARYS, eligible: true }.into(),
		);
		let subject = Subjects::<Test>::get(study, pseudonym).expect("stored");
		assert_eq!(
			(subject.status, subject.site, subject.consent_version),
			(SubjectStatus::Screened, MARYS, 0)
		);
		assert_eq!(subject.key, key_of(study, PATIENT));
		let other = pseudonym_of(study, OTHER_PATIENT);
		assert_ok!(Trials::screen(
			signed(MARYS_DOCTOR),
			study,
			other,
			key_of(study, OTHER_PATIENT),
			nullifier_of(study, OTHER_PATIENT),
			false
		));
		assert_eq!(status(study, other), SubjectStatus::ScreenFailed);
		let counts = flow(study);
		assert_eq!((counts.assessed, counts.excluded, counts.enrolled), (2, 1, 0));
	});
}

#[test]
fn only_a_practitioner_of_an_active_site_screens() {
	run(|| {
		let study = open_study();
		let pseudonym = pseudonym_of(study, PATIENT);
		let key = key_of(study, PATIENT);
		let nullifier = nullifier_of(study, PATIENT);
		let screen = |who| Trials::screen(signed(who), study, pseudonym, key, nullifier, true);
		assert_noop!(screen(MARYS_CLERK), Error::<Test>::NotSiteStaff);
		assert_noop!(screen(STRANGER), Error::<Test>::NotSiteStaff);
		assert_noop!(screen(SPONSOR_CLERK), Error::<Test>::NotSiteStaff);
		assert_noop!(screen(SPONSOR_SCIENTIST), Error::<Test>::SiteNotActive);
		assert_noop!(screen(CITY_DOCTOR), Error::<Test>::SiteNotActive);
		MockRegistry::set_active(MARYS, false);
		assert_noop!(screen(MARYS_DOCTOR), Error::<Test>::NotSiteStaff);
		MockRegistry::set_active(MARYS, true);
		assert_noop!(
			Trials::screen(signed(MARYS_DOCTOR), study, H256::zero(), key, nullifier, true),
			Error::<Test>::ZeroHash
		);
		assert_noop!(
			Trials::screen(signed(MARYS_DOCTOR), study, pseudonym, H256::zero(), nullifier, true),
			Error::<Test>::ZeroHash
		);
		assert_noop!(
			Trials::screen(signed(MARYS_DOCTOR), study, pseudonym, key, H256::zero(), true),
			Error::<Test>::ZeroHash
		);
		assert_noop!(
			Trials::screen(signed(MARYS_DOCTOR), 7, pseudonym, key, nullifier, true),
			Error::<Test>::UnknownStudy
		);
		assert_ok!(screen(MARYS_DOCTOR));
		assert_noop!(screen(MARYS_DOCTOR), Error::<Test>::SubjectExists);
		assert_ok!(Trials::deactivate_site(signed(SPONSOR_SCIENTIST), study, MARYS));
		let other = pseudonym_of(study, OTHER_PATIENT);
		assert_noop!(
			Trials::screen(signed(MARYS_DOCTOR), study, other, key, nullifier, true),
			Error::<Test>::SiteNotActive
		);
	});
}

// Enrolment.

#[test]
fn a_patient_consents_and_enrols_under_a_pseudonym() {
	run(|| {
		let study = open_study();
		let pseudonym = screened(study, PATIENT);
		advance(DAY);
		assert_ok!(Trials::enrol(
			signed(subject_account(study, PATIENT)),
			study,
			pseudonym,
			MARYS,
			1
		));
		System::assert_last_event(
			Event::SubjectEnrolled { study, pseudonym, site: MARYS, version: 1 }.into(),
		);
		let subject = Subjects::<Test>::get(study, pseudonym).expect("stored");
		assert_eq!(subject.status, SubjectStatus::Enrolled);
		assert_eq!((subject.consent_version, subject.consents), (1, 1));
		assert_eq!(subject.enrolled_at, Some(START + DAY));
		let consent = ConsentHistory::<Test>::get((study, pseudonym), 0).expect("recorded");
		assert_eq!(
			(consent.version, consent.consent_form_hash, consent.at),
			(1, h(2), START + DAY)
		);
		assert_eq!(flow(study).enrolled, 1);
	});
}

#[test]
fn another_patient_cannot_act_for_a_pseudonym() {
	run(|| {
		let study = open_study();
		let pseudonym = screened(study, PATIENT);
		// Someone who saw the screening tries to enrol under the patient's pseudonym first.
		assert_noop!(
			Trials::enrol(
				signed(subject_account(study, OTHER_PATIENT)),
				study,
				pseudonym,
				MARYS,
				1
			),
			Error::<Test>::NotSubject
		);
		assert_ok!(Trials::enrol(
			signed(subject_account(study, PATIENT)),
			study,
			pseudonym,
			MARYS,
			1
		));
		assert_ok!(Trials::amend_protocol(signed(SPONSOR_SCIENTIST), study, h(21), h(22), true));
		assert_noop!(
			Trials::reconsent(signed(subject_account(study, OTHER_PATIENT)), study, pseudonym, 2),
			Error::<Test>::NotSubject
		);
		assert_noop!(
			Trials::withdraw(signed(subject_account(study, OTHER_PATIENT)), study, pseudonym),
			Error::<Test>::NotSubject
		);
		// Nor may the site or the sponsor, whatever they know of the pseudonym.
		assert_noop!(
			Trials::withdraw(signed(subject_account(study, MARYS_DOCTOR)), study, pseudonym),
			Error::<Test>::NotSubject
		);
		assert_noop!(
			Trials::withdraw(signed(subject_account(study, SPONSOR_SCIENTIST)), study, pseudonym),
			Error::<Test>::NotSubject
		);
		// The same pseudonym in another study binds another key.
		assert_ne!(crate::subject_key(study + 1, &pseudonym, &PATIENT), key_of(study, PATIENT));
	});
}

#[test]
fn enrolment_follows_screening_at_an_active_site_and_the_current_version() {
	run(|| {
		let study = open_study();
		assert_ok!(Trials::activate_site(signed(SPONSOR_SCIENTIST), study, CITY, h(5)));
		let pseudonym = screened(study, PATIENT);
		let enrol = |who, site, version| {
			Trials::enrol(signed(subject_account(study, who)), study, pseudonym, site, version)
		};
		assert_noop!(enrol(STRANGER, MARYS, 1), Error::<Test>::NotSubject);
		// The patient's own account is not the subject account either.
		assert_noop!(
			Trials::enrol(signed(PATIENT), study, pseudonym, MARYS, 1),
			Error::<Test>::NotSubject
		);
		assert_noop!(
			Trials::enrol(
				signed(subject_account(study, PATIENT)),
				study,
				pseudonym_of(study, OTHER_PATIENT),
				MARYS,
				1
			),
			Error::<Test>::UnknownSubject
		);
		assert_noop!(
			Trials::enrol(signed(subject_account(7, PATIENT)), 7, pseudonym, MARYS, 1),
			Error::<Test>::UnknownStudy
		);
		assert_noop!(enrol(PATIENT, CITY, 1), Error::<Test>::WrongSite);
		assert_noop!(enrol(PATIENT, MARYS, 2), Error::<Test>::NotCurrentVersion);
		assert_ok!(Trials::amend_protocol(signed(SPONSOR_SCIENTIST), study, h(21), h(22), false));
		assert_noop!(enrol(PATIENT, MARYS, 1), Error::<Test>::NotCurrentVersion);
		MockRegistry::set_active(MARYS, false);
		assert_noop!(enrol(PATIENT, MARYS, 2), Error::<Test>::SiteNotActive);
		MockRegistry::set_active(MARYS, true);
		assert_ok!(Trials::deactivate_site(signed(SPONSOR_SCIENTIST), study, MARYS));
		assert_noop!(enrol(PATIENT, MARYS, 2), Error::<Test>::SiteNotActive);
		assert_ok!(Trials::activate_site(signed(SPONSOR_SCIENTIST), study, MARYS, h(6)));
		assert_ok!(enrol(PATIENT, MARYS, 2));
		assert_noop!(enrol(PATIENT, MARYS, 2), Error::<Test>::AlreadyEnrolled);
		assert_eq!(Trials::consent_history(study, pseudonym)[0].consent_form_hash, h(22));

		let failed = pseudonym_of(study, OTHER_PATIENT);
		assert_ok!(Trials::screen(
			signed(MARYS_DOCTOR),
			study,
			failed,
			key_of(study, OTHER_PATIENT),
			nullifier_of(study, OTHER_PATIENT),
			false
		));
		assert_noop!(
			Trials::enrol(signed(subject_account(study, OTHER_PATIENT)), study, failed, MARYS, 2),
			Error::<Test>::NotEligible
		);
		let late = screened(study, THIRD_PATIENT);
		assert_ok!(Trials::lock_database(signed(SPONSOR_SCIENTIST), study, h(9)));
		assert_noop!(
			Trials::enrol(signed(subject_account(study, THIRD_PATIENT)), study, late, MARYS, 2),
			Error::<Test>::StudyLocked
		);
	});
}

#[test]
fn a_patient_enrols_in_a_study_once_whatever_the_pseudonym() {
	run(|| {
		let study = open_study();
		// The patient's wallet makes a second pseudonym and subject account, and the site
		// screens both before either enrols: the nullifier is the patient's, whatever the
		// pseudonym.
		let first = screened(study, PATIENT);
		let second = crate::pseudonym(study, &PATIENT, &[9; 32]);
		let second_account = subject_account(study, PATIENT) ^ 1;
		let key = crate::subject_key(study, &second, &second_account);
		let nullifier = nullifier_of(study, PATIENT);
		assert_ok!(Trials::screen(signed(MARYS_DOCTOR), study, second, key, nullifier, true));
		assert_ok!(Trials::enrol(signed(subject_account(study, PATIENT)), study, first, MARYS, 1));
		assert_noop!(
			Trials::enrol(signed(second_account), study, second, MARYS, 1),
			Error::<Test>::PatientAlreadyEnrolled
		);
		// Withdrawing does not open a way back in under the new pseudonym, to draw another arm.
		assert_ok!(Trials::withdraw(signed(subject_account(study, PATIENT)), study, first));
		assert_noop!(
			Trials::enrol(signed(second_account), study, second, MARYS, 1),
			Error::<Test>::PatientAlreadyEnrolled
		);
		// Nor does a third pseudonym screened after the enrolment.
		let third = crate::pseudonym(study, &PATIENT, &[10; 32]);
		let third_key = crate::subject_key(study, &third, &(second_account ^ 2));
		assert_noop!(
			Trials::screen(signed(MARYS_DOCTOR), study, third, third_key, nullifier, true),
			Error::<Test>::PatientAlreadyEnrolled
		);
		assert!(crate::EnrolledPatients::<Test>::contains_key(study, nullifier));
		// Another study is another matter.
		let other = register_with(4, RegistryId::Nct(*b"76543210"));
		assert_ok!(Trials::activate_site(signed(SPONSOR_SCIENTIST), other, MARYS, h(5)));
		enrolled(other, PATIENT);
	});
}

#[test]
fn no_enrolment_past_the_target() {
	run(|| {
		let study = register_with(2, NCT);
		assert_ok!(Trials::activate_site(signed(SPONSOR_SCIENTIST), study, MARYS, h(5)));
		enrolled(study, PATIENT);
		// A withdrawal does not free a place: the target counts everyone enrolled.
		assert_ok!(Trials::withdraw(
			signed(subject_account(study, PATIENT)),
			study,
			pseudonym_of(study, PATIENT)
		));
		enrolled(study, OTHER_PATIENT);
		let third = screened(study, THIRD_PATIENT);
		assert_noop!(
			Trials::enrol(signed(subject_account(study, THIRD_PATIENT)), study, third, MARYS, 1),
			Error::<Test>::TargetReached
		);
		assert_eq!(flow(study).enrolled, 2);
	});
}

// Re-consent.

#[test]
fn a_subject_consents_again_to_an_amended_protocol() {
	run(|| {
		let study = open_study();
		let pseudonym = enrolled(study, PATIENT);
		assert_ok!(Trials::amend_protocol(signed(SPONSOR_SCIENTIST), study, h(21), h(22), true));
		advance(DAY);
		assert_ok!(Trials::reconsent(signed(subject_account(study, PATIENT)), study, pseudonym, 2));
		System::assert_last_event(
			Event::SubjectReconsented { study, pseudonym, version: 2 }.into(),
		);
		let history = Trials::consent_history(study, pseudonym);
		assert_eq!(
			history.iter().map(|c| (c.version, c.consent_form_hash, c.at)).collect::<Vec<_>>(),
			vec![(1, h(2), START), (2, h(22), START + DAY)]
		);
		assert_noop!(
			Trials::reconsent(signed(subject_account(study, PATIENT)), study, pseudonym, 2),
			Error::<Test>::AlreadyConsented
		);
		assert_noop!(
			Trials::reconsent(signed(subject_account(study, PATIENT)), study, pseudonym, 1),
			Error::<Test>::NotCurrentVersion
		);
		assert_noop!(
			Trials::reconsent(signed(subject_account(study, PATIENT)), study, pseudonym, 3),
			Error::<Test>::NotCurrentVersion
		);
		let only_screened = screened(study, OTHER_PATIENT);
		assert_noop!(
			Trials::reconsent(
				signed(subject_account(study, OTHER_PATIENT)),
				study,
				only_screened,
				2
			),
			Error::<Test>::NotConsented
		);
		assert_ok!(Trials::withdraw(signed(subject_account(study, PATIENT)), study, pseudonym));
		assert_ok!(Trials::amend_protocol(signed(SPONSOR_SCIENTIST), study, h(31), h(32), true));
		assert_noop!(
			Trials::reconsent(signed(subject_account(study, PATIENT)), study, pseudonym, 3),
			Error::<Test>::SubjectWithdrawn
		);
	});
}

// Randomisation.

#[test]
fn randomisation_reveals_the_slot_each_subject_took_at_enrolment() {
	run(|| {
		let study = open_study();
		let first = enrolled(study, PATIENT);
		let second = enrolled(study, OTHER_PATIENT);
		assert_eq!(Subjects::<Test>::get(study, first).and_then(|s| s.slot), Some(0));
		assert_eq!(Subjects::<Test>::get(study, second).and_then(|s| s.slot), Some(1));
		// The sponsor, who knows the list, cannot give the second subject slot 0's arm.
		let (arm, salt, proof) = reveal(4, 0);
		assert_noop!(
			Trials::randomise(signed(SPONSOR_SCIENTIST), study, second, arm, salt, proof),
			Error::<Test>::InvalidAllocationProof
		);
		// Subjects are randomised in any order, each to its own slot's arm.
		let (arm, salt, proof) = reveal(4, 1);
		assert_ok!(Trials::randomise(signed(SPONSOR_SCIENTIST), study, second, arm, salt, proof));
		System::assert_last_event(
			Event::SubjectRandomised { study, pseudonym: second, slot: 1, arm: 0 }.into(),
		);
		assert_eq!(Subjects::<Test>::get(study, second).and_then(|s| s.arm), Some(0));
		assert_eq!(randomise(study, first), 1);
		assert_eq!(Subjects::<Test>::get(study, first).and_then(|s| s.arm), Some(1));
		assert_eq!(status(study, first), SubjectStatus::Randomised);
		assert_eq!(
			flow(study).arms.to_vec(),
			vec![arm_flow(1, 0, 0, 0, 0), arm_flow(1, 0, 0, 0, 0)]
		);
		assert_eq!(crate::Studies::<Test>::get(study).map(|s| s.randomised), Some(2));
	});
}

#[test]
fn a_wrong_reveal_is_refused() {
	run(|| {
		let study = open_study();
		let pseudonym = enrolled(study, PATIENT);
		let (arm, salt, proof) = reveal(4, 0);
		let randomise = |arm, salt, proof| {
			Trials::randomise(signed(SPONSOR_SCIENTIST), study, pseudonym, arm, salt, proof)
		};
		// The other arm, with the right salt and proof: the sponsor cannot pick the arm.
		assert_noop!(
			randomise(1 - arm, salt, proof.clone()),
			Error::<Test>::InvalidAllocationProof
		);
		assert_noop!(randomise(arm, h(0xEE), proof.clone()), Error::<Test>::InvalidAllocationProof);
		let mut bent = proof.clone();
		bent[0] = h(0xEE);
		assert_noop!(randomise(arm, salt, bent), Error::<Test>::InvalidAllocationProof);
		let short: BoundedVec<_, _> = proof[..1].to_vec().try_into().expect("shorter");
		assert_noop!(randomise(arm, salt, short), Error::<Test>::InvalidAllocationProof);
		// Slot 1's entry (arm 0) for the subject who took slot 0: no subject takes another's arm.
		let (other_arm, other_salt, other_proof) = reveal(4, 1);
		assert_noop!(
			randomise(other_arm, other_salt, other_proof),
			Error::<Test>::InvalidAllocationProof
		);
		assert_noop!(randomise(2, salt, proof.clone()), Error::<Test>::UnknownArm);
		assert_noop!(
			Trials::randomise(signed(RIVAL_SCIENTIST), study, pseudonym, arm, salt, proof.clone()),
			Error::<Test>::NotStudySponsor
		);
		assert_noop!(
			Trials::randomise(signed(MARYS_DOCTOR), study, pseudonym, arm, salt, proof.clone()),
			Error::<Test>::NotResearchSponsor
		);
		assert_ok!(randomise(arm, salt, proof.clone()));
		assert_noop!(randomise(arm, salt, proof), Error::<Test>::AlreadyRandomised);
	});
}

#[test]
fn no_randomisation_without_a_current_consent() {
	run(|| {
		let study = open_study();
		let (arm, salt, proof) = reveal(4, 0);
		let randomise = |pseudonym| {
			Trials::randomise(signed(SPONSOR_SCIENTIST), study, pseudonym, arm, salt, proof.clone())
		};
		let only_screened = screened(study, PATIENT);
		assert_noop!(randomise(only_screened), Error::<Test>::NotConsented);
		let failed = pseudonym_of(study, THIRD_PATIENT);
		assert_ok!(Trials::screen(
			signed(MARYS_DOCTOR),
			study,
			failed,
			key_of(study, THIRD_PATIENT),
			nullifier_of(study, THIRD_PATIENT),
			false
		));
		assert_noop!(randomise(failed), Error::<Test>::NotConsented);
		assert_noop!(randomise(h(0x77)), Error::<Test>::UnknownSubject);
		let pseudonym = enrolled(study, OTHER_PATIENT);
		assert_ok!(Trials::amend_protocol(signed(SPONSOR_SCIENTIST), study, h(21), h(22), true));
		assert_noop!(randomise(pseudonym), Error::<Test>::ReconsentRequired);
		assert_ok!(Trials::withdraw(
			signed(subject_account(study, OTHER_PATIENT)),
			study,
			pseudonym
		));
		assert_noop!(randomise(pseudonym), Error::<Test>::SubjectWithdrawn);
	});
}

#[test]
fn every_slot_of_a_tree_verifies_and_nothing_else_does() {
	for target in [1u32, 2, 3, 4, 5, 8] {
		let depth = crate::allocation_depth(target);
		assert!(1u32 << depth >= target && (depth == 0 || 1u32 << (depth - 1) < target));
		let list = allocation(target);
		let all = leaves(target);
		let root = crate::allocation_root(&all, depth);
		for (slot, (arm, salt)) in list.iter().enumerate() {
			let proof = crate::allocation_proof(&all, depth, slot as u32);
			assert_eq!(proof.len(), depth as usize);
			assert!(crate::verify_allocation(&root, depth, slot as u32, *arm, salt, &proof));
			assert!(!crate::verify_allocation(&root, depth, slot as u32, arm ^ 1, salt, &proof));
			assert!(!crate::verify_allocation(&root, depth + 1, slot as u32, *arm, salt, &proof));
			// A slot beyond the tree that shares the path is refused.
			let beyond = slot as u32 + (1 << depth);
			assert!(!crate::verify_allocation(&root, depth, beyond, *arm, salt, &proof));
		}
	}
	// An inner node is not a leaf: the domains differ.
	let a = crate::allocation_leaf(0, 0, &h(1));
	let b = crate::allocation_leaf(1, 1, &h(2));
	assert_ne!(crate::allocation_node(&a, &b), crate::allocation_leaf(0, 0, &h(1)));
}

// Data capture.

#[test]
fn a_site_captures_record_hashes() {
	run(|| {
		let study = open_study();
		let pseudonym = enrolled(study, PATIENT);
		// Baseline data before randomisation, and more after.
		assert_ok!(Trials::capture_data(signed(MARYS_DOCTOR), study, pseudonym, h(0x51)));
		System::assert_last_event(Event::DataCaptured { study, pseudonym, record: h(0x51) }.into());
		randomise(study, pseudonym);
		assert_ok!(Trials::capture_data(signed(MARYS_DOCTOR), study, pseudonym, h(0x52)));
		assert_eq!(Captures::<Test>::get((study, pseudonym), 1).map(|c| c.record), Some(h(0x52)));
		let info = crate::Studies::<Test>::get(study).expect("stored");
		let digest = crate::capture_digest(
			&crate::capture_digest(&H256::zero(), &pseudonym, &h(0x51)),
			&pseudonym,
			&h(0x52),
		);
		assert_eq!((info.captures, info.capture_digest), (2, digest));
		// MaxCapturesPerSubject is 3: at the bound, the next is refused.
		assert_ok!(Trials::capture_data(signed(MARYS_DOCTOR), study, pseudonym, h(0x53)));
		assert_noop!(
			Trials::capture_data(signed(MARYS_DOCTOR), study, pseudonym, h(0x54)),
			Error::<Test>::TooManyCaptures
		);
	});
}

#[test]
fn capture_is_refused_to_others_and_before_consent() {
	run(|| {
		let study = open_study();
		assert_ok!(Trials::activate_site(signed(SPONSOR_SCIENTIST), study, CITY, h(5)));
		let pseudonym = enrolled(study, PATIENT);
		let capture = |who, pseudonym| Trials::capture_data(signed(who), study, pseudonym, h(0x51));
		assert_noop!(capture(CITY_DOCTOR, pseudonym), Error::<Test>::NotSiteStaff);
		assert_noop!(capture(MARYS_CLERK, pseudonym), Error::<Test>::NotSiteStaff);
		assert_noop!(capture(SPONSOR_SCIENTIST, pseudonym), Error::<Test>::NotSiteStaff);
		assert_noop!(capture(PATIENT, pseudonym), Error::<Test>::NotSiteStaff);
		assert_noop!(capture(MARYS_DOCTOR, h(0x77)), Error::<Test>::UnknownSubject);
		assert_noop!(
			Trials::capture_data(signed(MARYS_DOCTOR), study, pseudonym, H256::zero()),
			Error::<Test>::ZeroHash
		);
		let only_screened = screened(study, OTHER_PATIENT);
		assert_noop!(capture(MARYS_DOCTOR, only_screened), Error::<Test>::NotConsented);
		// A deactivated site keeps following its subjects.
		assert_ok!(Trials::deactivate_site(signed(SPONSOR_SCIENTIST), study, MARYS));
		assert_ok!(capture(MARYS_DOCTOR, pseudonym));
		assert_ok!(Trials::lock_database(signed(SPONSOR_SCIENTIST), study, h(9)));
		assert_noop!(capture(MARYS_DOCTOR, pseudonym), Error::<Test>::StudyLocked);
	});
}

#[test]
fn no_capture_after_withdrawal() {
	run(|| {
		let study = open_study();
		let (pseudonym, _) = randomised(study, PATIENT);
		assert_ok!(Trials::capture_data(signed(MARYS_DOCTOR), study, pseudonym, h(0x51)));
		assert_ok!(Trials::withdraw(signed(subject_account(study, PATIENT)), study, pseudonym));
		assert_noop!(
			Trials::capture_data(signed(MARYS_DOCTOR), study, pseudonym, h(0x52)),
			Error::<Test>::SubjectWithdrawn
		);
	});
}

#[test]
fn no_capture_under_an_old_consent_when_reconsent_is_required() {
	run(|| {
		let study = open_study();
		let (pseudonym, _) = randomised(study, PATIENT);
		let capture = |record| Trials::capture_data(signed(MARYS_DOCTOR), study, pseudonym, record);
		// An amendment without re-consent leaves the old consent valid.
		assert_ok!(Trials::amend_protocol(signed(SPONSOR_SCIENTIST), study, h(21), h(22), false));
		assert_ok!(capture(h(0x51)));
		assert_ok!(Trials::amend_protocol(signed(SPONSOR_SCIENTIST), study, h(31), h(32), true));
		assert_noop!(capture(h(0x52)), Error::<Test>::ReconsentRequired);
		assert_ok!(Trials::reconsent(signed(subject_account(study, PATIENT)), study, pseudonym, 3));
		assert_ok!(capture(h(0x52)));
	});
}

// Withdrawal, loss to follow-up and completion.

#[test]
fn withdrawals_are_counted_before_and_after_allocation() {
	run(|| {
		let study = open_study();
		let before = enrolled(study, PATIENT);
		let (after, arm) = randomised(study, OTHER_PATIENT);
		assert_ok!(Trials::withdraw(signed(subject_account(study, PATIENT)), study, before));
		System::assert_last_event(Event::SubjectWithdrawn { study, pseudonym: before }.into());
		assert_ok!(Trials::withdraw(signed(subject_account(study, OTHER_PATIENT)), study, after));
		let counts = flow(study);
		assert_eq!(counts.withdrawn_before_allocation, 1);
		assert_eq!(counts.arms[arm as usize], arm_flow(1, 0, 1, 0, 0));
		assert_noop!(
			Trials::withdraw(signed(subject_account(study, PATIENT)), study, before),
			Error::<Test>::SubjectWithdrawn
		);
		let only_screened = screened(study, THIRD_PATIENT);
		assert_noop!(
			Trials::withdraw(signed(subject_account(study, THIRD_PATIENT)), study, only_screened),
			Error::<Test>::NotConsented
		);
		assert_noop!(
			Trials::withdraw(signed(subject_account(7, PATIENT)), 7, before),
			Error::<Test>::UnknownStudy
		);
	});
}

#[test]
fn a_patient_may_withdraw_after_the_lock() {
	run(|| {
		let study = open_study();
		let (pseudonym, arm) = randomised(study, PATIENT);
		assert_ok!(Trials::lock_database(signed(SPONSOR_SCIENTIST), study, h(9)));
		assert_ok!(Trials::withdraw(signed(subject_account(study, PATIENT)), study, pseudonym));
		assert_eq!(flow(study).arms[arm as usize], arm_flow(1, 0, 1, 0, 0));
	});
}

#[test]
fn a_site_marks_subjects_lost_or_completed() {
	run(|| {
		let study = open_study();
		let (lost, lost_arm) = randomised(study, PATIENT);
		let (done, done_arm) = randomised(study, OTHER_PATIENT);
		assert_ok!(Trials::mark_lost_to_follow_up(signed(MARYS_DOCTOR), study, lost));
		System::assert_last_event(Event::SubjectLostToFollowUp { study, pseudonym: lost }.into());
		advance(DAY);
		assert_ok!(Trials::complete(signed(MARYS_DOCTOR), study, done));
		System::assert_last_event(Event::SubjectCompleted { study, pseudonym: done }.into());
		assert_eq!(
			crate::Studies::<Test>::get(study).and_then(|s| s.last_completion),
			Some(START + DAY)
		);
		let counts = flow(study);
		assert_eq!(counts.arms[lost_arm as usize].lost, 1);
		assert_eq!(counts.arms[done_arm as usize].completed, 1);
		// Neither may change again, nor be withdrawn or have data captured.
		for pseudonym in [lost, done] {
			assert_noop!(
				Trials::complete(signed(MARYS_DOCTOR), study, pseudonym),
				Error::<Test>::SubjectNotParticipating
			);
			assert_noop!(
				Trials::mark_lost_to_follow_up(signed(MARYS_DOCTOR), study, pseudonym),
				Error::<Test>::SubjectNotParticipating
			);
			assert_noop!(
				Trials::capture_data(signed(MARYS_DOCTOR), study, pseudonym, h(0x51)),
				Error::<Test>::SubjectNotParticipating
			);
		}
		assert_noop!(
			Trials::withdraw(signed(subject_account(study, PATIENT)), study, lost),
			Error::<Test>::SubjectNotParticipating
		);
	});
}

#[test]
fn only_the_subjects_site_ends_follow_up_of_a_randomised_subject() {
	run(|| {
		let study = open_study();
		let pseudonym = enrolled(study, PATIENT);
		assert_noop!(
			Trials::complete(signed(MARYS_DOCTOR), study, pseudonym),
			Error::<Test>::NotRandomised
		);
		assert_noop!(
			Trials::mark_lost_to_follow_up(signed(MARYS_DOCTOR), study, pseudonym),
			Error::<Test>::NotRandomised
		);
		randomise(study, pseudonym);
		assert_noop!(
			Trials::complete(signed(CITY_DOCTOR), study, pseudonym),
			Error::<Test>::NotSiteStaff
		);
		assert_noop!(
			Trials::mark_lost_to_follow_up(signed(SPONSOR_SCIENTIST), study, pseudonym),
			Error::<Test>::NotSiteStaff
		);
		assert_ok!(Trials::withdraw(signed(subject_account(study, PATIENT)), study, pseudonym));
		assert_noop!(
			Trials::complete(signed(MARYS_DOCTOR), study, pseudonym),
			Error::<Test>::SubjectWithdrawn
		);
		let (other, _) = randomised(study, OTHER_PATIENT);
		assert_ok!(Trials::lock_database(signed(SPONSOR_SCIENTIST), study, h(9)));
		assert_noop!(
			Trials::complete(signed(MARYS_DOCTOR), study, other),
			Error::<Test>::StudyLocked
		);
		assert_noop!(
			Trials::mark_lost_to_follow_up(signed(MARYS_DOCTOR), study, other),
			Error::<Test>::StudyLocked
		);
	});
}

// Adverse events.

#[test]
fn adverse_events_on_time_are_not_flagged() {
	run(|| {
		let study = open_study();
		let (pseudonym, _) = randomised(study, PATIENT);
		advance(10 * DAY);
		let onset = START + 4 * DAY;
		assert_ok!(Trials::report_adverse_event(
			signed(MARYS_DOCTOR),
			study,
			pseudonym,
			NonSerious,
			onset,
			h(0x61)
		));
		System::assert_last_event(
			Event::AdverseEventReported {
				study,
				event: 0,
				pseudonym,
				seriousness: NonSerious,
				late: false,
			}
			.into(),
		);
		let onset = START + 8 * DAY;
		assert_ok!(Trials::report_adverse_event(
			signed(MARYS_DOCTOR),
			study,
			pseudonym,
			Serious,
			onset,
			h(0x62)
		));
		let event = AdverseEvents::<Test>::get(study, 1).expect("stored");
		assert_eq!(
			(event.due, event.late, event.reported_at),
			(onset + 7 * DAY, false, START + 10 * DAY)
		);
		assert_eq!(
			crate::Studies::<Test>::get(study).map(|s| (s.adverse_events, s.late_adverse_events)),
			Some((2, 0))
		);
		// MaxAdverseEventsPerSubject is 2: at the bound, the next is refused.
		assert_noop!(
			Trials::report_adverse_event(
				signed(MARYS_DOCTOR),
				study,
				pseudonym,
				Serious,
				onset,
				h(0x63)
			),
			Error::<Test>::TooManyAdverseEvents
		);
	});
}

#[test]
fn a_late_serious_adverse_event_is_accepted_and_flagged() {
	run(|| {
		let study = open_study();
		let (pseudonym, _) = randomised(study, PATIENT);
		advance(20 * DAY);
		let onset = START + DAY;
		assert_ok!(Trials::report_adverse_event(
			signed(MARYS_DOCTOR),
			study,
			pseudonym,
			Serious,
			onset,
			h(0x61)
		));
		System::assert_has_event(
			Event::AdverseEventReported {
				study,
				event: 0,
				pseudonym,
				seriousness: Serious,
				late: true,
			}
			.into(),
		);
		System::assert_last_event(
			Event::AdverseEventReportedLate { study, event: 0, due: onset + 7 * DAY }.into(),
		);
		assert!(AdverseEvents::<Test>::get(study, 0).expect("stored").late);
		assert_eq!(crate::Studies::<Test>::get(study).map(|s| s.late_adverse_events), Some(1));
		// The same delay is on time for an event that is not serious (30 days).
		let other = enrolled(study, OTHER_PATIENT);
		advance(DAY);
		assert_ok!(Trials::report_adverse_event(
			signed(MARYS_DOCTOR),
			study,
			other,
			NonSerious,
			START + 20 * DAY,
			h(0x62)
		));
		assert!(!AdverseEvents::<Test>::get(study, 1).expect("stored").late);
	});
}

#[test]
fn adverse_event_reports_are_checked() {
	run(|| {
		let study = open_study();
		let only_screened = screened(study, OTHER_PATIENT);
		advance(DAY);
		let pseudonym = enrolled(study, PATIENT);
		let now = START + DAY;
		let report = |who, pseudonym, onset, hash| {
			Trials::report_adverse_event(signed(who), study, pseudonym, Serious, onset, hash)
		};
		assert_noop!(
			report(MARYS_DOCTOR, pseudonym, now + 1, h(0x61)),
			Error::<Test>::OnsetInFuture
		);
		assert_noop!(
			report(MARYS_DOCTOR, pseudonym, now - 1, h(0x61)),
			Error::<Test>::OnsetBeforeEnrolment
		);
		assert_noop!(
			report(MARYS_DOCTOR, only_screened, now, h(0x61)),
			Error::<Test>::NotConsented
		);
		assert_noop!(report(CITY_DOCTOR, pseudonym, now, h(0x61)), Error::<Test>::NotSiteStaff);
		assert_noop!(report(PATIENT, pseudonym, now, h(0x61)), Error::<Test>::NotSiteStaff);
		assert_noop!(report(MARYS_DOCTOR, pseudonym, now, H256::zero()), Error::<Test>::ZeroHash);
		assert_noop!(report(MARYS_DOCTOR, h(0x77), now, h(0x61)), Error::<Test>::UnknownSubject);
		// Safety reporting goes on after withdrawal and after the lock.
		assert_ok!(Trials::withdraw(signed(subject_account(study, PATIENT)), study, pseudonym));
		assert_ok!(report(MARYS_DOCTOR, pseudonym, now, h(0x61)));
		assert_ok!(Trials::lock_database(signed(SPONSOR_SCIENTIST), study, h(9)));
		assert_ok!(report(MARYS_DOCTOR, pseudonym, now, h(0x62)));
	});
}

// Database lock and results.

#[test]
fn the_lock_freezes_the_data_and_counts_the_analysed() {
	run(|| {
		let study = open_study();
		let (done, arm) = randomised(study, PATIENT);
		assert_ok!(Trials::capture_data(signed(MARYS_DOCTOR), study, done, h(0x51)));
		assert_ok!(Trials::complete(signed(MARYS_DOCTOR), study, done));
		randomised(study, OTHER_PATIENT);
		let lock = |who, root| Trials::lock_database(signed(who), study, root);
		assert_noop!(lock(RIVAL_SCIENTIST, h(9)), Error::<Test>::NotStudySponsor);
		assert_noop!(lock(MARYS_DOCTOR, h(9)), Error::<Test>::NotResearchSponsor);
		assert_noop!(lock(SPONSOR_SCIENTIST, H256::zero()), Error::<Test>::ZeroHash);
		advance(DAY);
		assert_ok!(lock(SPONSOR_ADMIN, h(9)));
		let digest = crate::capture_digest(&H256::zero(), &done, &h(0x51));
		System::assert_last_event(
			Event::DatabaseLocked { study, data_root: h(9), capture_digest: digest }.into(),
		);
		let locked = crate::Studies::<Test>::get(study).and_then(|s| s.lock).expect("locked");
		assert_eq!(
			(locked.data_root, locked.capture_digest, locked.captures, locked.at),
			(h(9), digest, 1, START + DAY)
		);
		assert_eq!(flow(study).arms[arm as usize], arm_flow(1, 0, 0, 1, 1));
		assert_noop!(lock(SPONSOR_SCIENTIST, h(10)), Error::<Test>::StudyLocked);
		let pseudonym = pseudonym_of(study, THIRD_PATIENT);
		assert_noop!(
			Trials::screen(
				signed(MARYS_DOCTOR),
				study,
				pseudonym,
				key_of(study, THIRD_PATIENT),
				nullifier_of(study, THIRD_PATIENT),
				true
			),
			Error::<Test>::StudyLocked
		);
	});
}

#[test]
fn no_results_before_the_lock() {
	run(|| {
		let study = open_study();
		let (pseudonym, _) = randomised(study, PATIENT);
		assert_ok!(Trials::complete(signed(MARYS_DOCTOR), study, pseudonym));
		assert_noop!(
			Trials::report_results(
				signed(SPONSOR_SCIENTIST),
				study,
				h(0x71),
				outcomes(vec![h(11)]),
				outcomes(vec![h(12), h(13)])
			),
			Error::<Test>::NotLocked
		);
	});
}

#[test]
fn results_reporting_the_registered_outcomes_switch_nothing() {
	run(|| {
		let study = open_study();
		assert_ok!(Trials::lock_database(signed(SPONSOR_SCIENTIST), study, h(9)));
		// Order does not matter.
		assert_ok!(Trials::report_results(
			signed(SPONSOR_SCIENTIST),
			study,
			h(0x71),
			outcomes(vec![h(11)]),
			outcomes(vec![h(13), h(12)])
		));
		System::assert_last_event(
			Event::ResultsReported { study, results_hash: h(0x71), late: false }.into(),
		);
		let results = Results::<Test>::get(study).expect("stored");
		assert_eq!(results.comparison, OutcomeComparison::default());
		assert!(!System::events()
			.iter()
			.any(|r| matches!(r.event, RuntimeEvent::Trials(Event::OutcomeSwitched { .. }))));
	});
}

#[test]
fn a_switched_outcome_is_announced_and_kept() {
	run(|| {
		let study = open_study();
		assert_ok!(Trials::lock_database(signed(SPONSOR_SCIENTIST), study, h(9)));
		// The registered primary is demoted, a secondary promoted, a new outcome appears and
		// another secondary is dropped.
		assert_ok!(Trials::report_results(
			signed(SPONSOR_SCIENTIST),
			study,
			h(0x71),
			outcomes(vec![h(12)]),
			outcomes(vec![h(11), h(14)])
		));
		let comparison = OutcomeComparison {
			primary_added: 1,
			primary_omitted: 1,
			secondary_added: 2,
			secondary_omitted: 2,
		};
		System::assert_last_event(Event::OutcomeSwitched { study, comparison }.into());
		let results = Results::<Test>::get(study).expect("kept");
		assert_eq!(results.comparison, comparison);
		assert_eq!(results.primary_outcomes.to_vec(), vec![h(12)]);
		assert_noop!(
			Trials::report_results(
				signed(SPONSOR_SCIENTIST),
				study,
				h(0x72),
				outcomes(vec![h(11)]),
				outcomes(vec![h(12), h(13)])
			),
			Error::<Test>::ResultsAlreadyReported
		);
	});
}

#[test]
fn results_reports_are_checked() {
	run(|| {
		let study = open_study();
		assert_ok!(Trials::lock_database(signed(SPONSOR_SCIENTIST), study, h(9)));
		let report = |who, hash, primary: Vec<H256>| {
			Trials::report_results(signed(who), study, hash, outcomes(primary), outcomes(vec![]))
		};
		assert_noop!(report(RIVAL_SCIENTIST, h(0x71), vec![h(11)]), Error::<Test>::NotStudySponsor);
		assert_noop!(report(SPONSOR_CLERK, h(0x71), vec![h(11)]), Error::<Test>::NotSponsorStaff);
		assert_noop!(report(SPONSOR_SCIENTIST, H256::zero(), vec![h(11)]), Error::<Test>::ZeroHash);
		assert_noop!(
			report(SPONSOR_SCIENTIST, h(0x71), vec![H256::zero()]),
			Error::<Test>::ZeroHash
		);
		assert_noop!(
			report(SPONSOR_SCIENTIST, h(0x71), vec![h(11), h(11)]),
			Error::<Test>::DuplicateOutcome
		);
		assert_noop!(
			Trials::report_results(
				signed(SPONSOR_SCIENTIST),
				7,
				h(0x71),
				outcomes(vec![]),
				outcomes(vec![])
			),
			Error::<Test>::UnknownStudy
		);
		// Reporting no outcome at all omits every registered one.
		assert_ok!(report(SPONSOR_SCIENTIST, h(0x71), vec![]));
		let comparison = Results::<Test>::get(study).expect("kept").comparison;
		assert_eq!((comparison.primary_omitted, comparison.secondary_omitted), (1, 2));
	});
}

// Overdue results.

#[test]
fn results_overdue_after_the_last_completion_are_flagged_for_good() {
	run(|| {
		let study = open_study();
		assert_noop!(Trials::flag_overdue(signed(STRANGER), study), Error::<Test>::ResultsNotDue);
		let (pseudonym, _) = randomised(study, PATIENT);
		assert_ok!(Trials::complete(signed(MARYS_DOCTOR), study, pseudonym));
		advance(365 * DAY);
		assert_noop!(Trials::flag_overdue(signed(STRANGER), study), Error::<Test>::ResultsNotDue);
		advance(1);
		assert_ok!(Trials::flag_overdue(signed(STRANGER), study));
		let due = START + 365 * DAY;
		System::assert_last_event(Event::ResultsOverdue { study, due }.into());
		assert_noop!(Trials::flag_overdue(signed(PATIENT), study), Error::<Test>::AlreadyFlagged);
		assert_noop!(Trials::flag_overdue(signed(STRANGER), 7), Error::<Test>::UnknownStudy);
		assert_ok!(Trials::lock_database(signed(SPONSOR_SCIENTIST), study, h(9)));
		assert_ok!(Trials::report_results(
			signed(SPONSOR_SCIENTIST),
			study,
			h(0x71),
			outcomes(vec![h(11)]),
			outcomes(vec![h(12), h(13)])
		));
		System::assert_last_event(
			Event::ResultsReported { study, results_hash: h(0x71), late: true }.into(),
		);
		assert_eq!(crate::Studies::<Test>::get(study).and_then(|s| s.results_overdue), Some(due));
		assert_noop!(
			Trials::flag_overdue(signed(STRANGER), study),
			Error::<Test>::ResultsAlreadyReported
		);
	});
}

#[test]
fn without_completions_results_are_due_after_the_lock() {
	run(|| {
		let study = open_study();
		assert_ok!(Trials::lock_database(signed(SPONSOR_SCIENTIST), study, h(9)));
		advance(365 * DAY + 1);
		assert_ok!(Trials::flag_overdue(signed(STRANGER), study));
		// Late results are accepted, and marked late.
		assert_ok!(Trials::report_results(
			signed(SPONSOR_SCIENTIST),
			study,
			h(0x71),
			outcomes(vec![h(11)]),
			outcomes(vec![h(12), h(13)])
		));
		assert!(Results::<Test>::get(study).expect("kept").late);
	});
}

// The journey.

#[test]
fn the_trial_journey_matches_the_consort_counts() {
	run(|| {
		// Registration, two sites.
		let study = register_with(4, NCT);
		assert_ok!(Trials::activate_site(signed(SPONSOR_SCIENTIST), study, MARYS, h(5)));
		assert_ok!(Trials::activate_site(signed(SPONSOR_SCIENTIST), study, CITY, h(6)));
		// Screening: five assessed at St. Mary's, one excluded.
		MockRegistry::register_patient(STRANGER);
		let patients = [PATIENT, OTHER_PATIENT, THIRD_PATIENT, STRANGER];
		let pseudonyms: Vec<_> = patients.iter().map(|p| screened(study, *p)).collect();
		let excluded = h(0x99);
		assert_ok!(Trials::screen(signed(MARYS_DOCTOR), study, excluded, h(0x98), h(0x97), false));
		// Three enrol on version 1; the protocol is amended requiring re-consent; the fourth
		// enrols on version 2.
		for (patient, pseudonym) in patients.iter().zip(&pseudonyms).take(3) {
			assert_ok!(Trials::enrol(
				signed(subject_account(study, *patient)),
				study,
				*pseudonym,
				MARYS,
				1
			));
		}
		assert_ok!(Trials::amend_protocol(signed(SPONSOR_SCIENTIST), study, h(21), h(22), true));
		assert_ok!(Trials::enrol(
			signed(subject_account(study, STRANGER)),
			study,
			pseudonyms[3],
			MARYS,
			2
		));
		// Nobody on version 1 is randomised or captured until they consent again.
		let (arm, salt, proof) = reveal(4, 0);
		assert_noop!(
			Trials::randomise(signed(SPONSOR_SCIENTIST), study, pseudonyms[0], arm, salt, proof),
			Error::<Test>::ReconsentRequired
		);
		assert_noop!(
			Trials::capture_data(signed(MARYS_DOCTOR), study, pseudonyms[0], h(0x51)),
			Error::<Test>::ReconsentRequired
		);
		for (patient, pseudonym) in patients.iter().zip(&pseudonyms).take(3) {
			assert_ok!(Trials::reconsent(
				signed(subject_account(study, *patient)),
				study,
				*pseudonym,
				2
			));
		}
		// Randomisation in list order: arms 1, 0, 0, 1.
		let arms: Vec<_> = pseudonyms.iter().map(|p| randomise(study, *p)).collect();
		assert_eq!(arms, vec![1, 0, 0, 1]);
		// Data capture.
		for (i, pseudonym) in pseudonyms.iter().enumerate() {
			assert_ok!(Trials::capture_data(
				signed(MARYS_DOCTOR),
				study,
				*pseudonym,
				h(0x50 + i as u8)
			));
		}
		// A serious adverse event reported 10 days after onset: late.
		advance(10 * DAY);
		assert_ok!(Trials::report_adverse_event(
			signed(MARYS_DOCTOR),
			study,
			pseudonyms[1],
			Serious,
			START,
			h(0x61)
		));
		assert!(AdverseEvents::<Test>::get(study, 0).expect("stored").late);
		// One withdraws (arm 1), one is lost (arm 0), two complete (arms 0 and 1).
		assert_ok!(Trials::withdraw(signed(subject_account(study, PATIENT)), study, pseudonyms[0]));
		assert_noop!(
			Trials::capture_data(signed(MARYS_DOCTOR), study, pseudonyms[0], h(0x59)),
			Error::<Test>::SubjectWithdrawn
		);
		assert_ok!(Trials::mark_lost_to_follow_up(signed(MARYS_DOCTOR), study, pseudonyms[1]));
		assert_ok!(Trials::complete(signed(MARYS_DOCTOR), study, pseudonyms[2]));
		assert_ok!(Trials::complete(signed(MARYS_DOCTOR), study, pseudonyms[3]));
		// Lock, then results that switch the primary outcome.
		assert_ok!(Trials::lock_database(signed(SPONSOR_SCIENTIST), study, h(9)));
		assert_ok!(Trials::report_results(
			signed(SPONSOR_SCIENTIST),
			study,
			h(0x71),
			outcomes(vec![h(14)]),
			outcomes(vec![h(12), h(13)])
		));
		System::assert_last_event(
			Event::OutcomeSwitched {
				study,
				comparison: OutcomeComparison {
					primary_added: 1,
					primary_omitted: 1,
					..Default::default()
				},
			}
			.into(),
		);

		let counts = Trials::consort_flow(study).expect("a flow");
		assert_eq!((counts.assessed, counts.excluded, counts.enrolled), (5, 1, 4));
		assert_eq!(counts.withdrawn_before_allocation, 0);
		assert_eq!(
			counts.arms.to_vec(),
			vec![
				// Arm 0: one lost, one completed and analysed.
				arm_flow(2, 1, 0, 1, 1),
				// Arm 1: one withdrawn, one completed and analysed.
				arm_flow(2, 0, 1, 1, 1),
			]
		);
		let info = crate::Studies::<Test>::get(study).expect("stored");
		assert_eq!(
			(info.randomised, info.captures, info.adverse_events, info.late_adverse_events),
			(4, 4, 1, 1)
		);
		// Every subject's consent history says what they agreed to and when.
		assert_eq!(
			Trials::consent_history(study, pseudonyms[0])
				.iter()
				.map(|c| c.version)
				.collect::<Vec<_>>(),
			vec![1, 2]
		);
		assert_eq!(
			Trials::consent_history(study, pseudonyms[3])
				.iter()
				.map(|c| c.version)
				.collect::<Vec<_>>(),
			vec![2]
		);
		assert_no_patient_account(&patients);
	});
}

/// No key or value of the pallet's storage, and no event, holds a patient's account.
fn assert_no_patient_account(patients: &[u64]) {
	let prefix = sp_io::hashing::twox_128(b"Trials");
	let mut key = prefix.to_vec();
	let mut scanned = 0;
	while let Some(next) = sp_io::storage::next_key(&key) {
		if !next.starts_with(&prefix) {
			break;
		}
		let value = sp_io::storage::get(&next).expect("a value").to_vec();
		for patient in patients {
			let account = patient.encode();
			assert!(!contains(&next, &account), "a storage key holds a patient's account");
			assert!(!contains(&value, &account), "a stored value holds a patient's account");
		}
		scanned += 1;
		key = next;
	}
	assert!(scanned > 10, "the scan read the pallet's storage");
	for record in System::events() {
		if let RuntimeEvent::Trials(event) = record.event {
			for patient in patients {
				assert!(!contains(&event.encode(), &patient.encode()), "an event holds an account");
			}
		}
	}
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
	haystack.windows(needle.len()).any(|w| w == needle)
}

// Invariants.

#[test]
fn try_state_finds_a_corrupted_counter() {
	let corruptions: Vec<(&str, Box<dyn Fn(StudyId)>)> = vec![
		(
			"enrolled",
			Box::new(|study| {
				ConsortFlows::<Test>::mutate(study, |f| f.as_mut().expect("a flow").enrolled += 1)
			}),
		),
		(
			"allocated",
			Box::new(|study| {
				ConsortFlows::<Test>::mutate(study, |f| {
					f.as_mut().expect("a flow").arms[0].allocated += 1
				})
			}),
		),
		(
			"analysed",
			Box::new(|study| {
				ConsortFlows::<Test>::mutate(study, |f| {
					f.as_mut().expect("a flow").arms[1].analysed += 1
				})
			}),
		),
		(
			"withdrawn",
			Box::new(|study| {
				ConsortFlows::<Test>::mutate(study, |f| {
					f.as_mut().expect("a flow").withdrawn_before_allocation += 1
				})
			}),
		),
		(
			"captures",
			Box::new(|study| {
				crate::Studies::<Test>::mutate(study, |s| {
					s.as_mut().expect("a study").captures += 1
				})
			}),
		),
		(
			"enrolled patients",
			Box::new(|study| {
				crate::EnrolledPatients::<Test>::remove(study, nullifier_of(study, PATIENT))
			}),
		),
		(
			"slot",
			Box::new(|study| {
				let pseudonym = pseudonym_of(study, PATIENT);
				Subjects::<Test>::mutate(study, pseudonym, |s| {
					s.as_mut().expect("a subject").slot = Some(1)
				})
			}),
		),
		(
			"randomised",
			Box::new(|study| {
				crate::Studies::<Test>::mutate(study, |s| {
					s.as_mut().expect("a study").randomised += 1
				})
			}),
		),
		(
			"status",
			Box::new(|study| {
				let pseudonym = pseudonym_of(study, PATIENT);
				Subjects::<Test>::mutate(study, pseudonym, |s| {
					s.as_mut().expect("a subject").status = SubjectStatus::Completed
				})
			}),
		),
	];
	for (what, corrupt) in corruptions {
		new_test_ext().execute_with(|| {
			let study = open_study();
			let (pseudonym, _) = randomised(study, PATIENT);
			assert_ok!(Trials::capture_data(signed(MARYS_DOCTOR), study, pseudonym, h(0x51)));
			Trials::do_try_state().expect("sound before the corruption");
			corrupt(study);
			assert!(Trials::do_try_state().is_err(), "try_state misses a corrupted {what}");
		});
	}
}

#[test]
fn a_subject_key_binds_study_pseudonym_and_account() {
	let pseudonym = h(1);
	let key = crate::subject_key(0, &pseudonym, &PATIENT);
	assert_ne!(key, crate::subject_key(1, &pseudonym, &PATIENT));
	assert_ne!(key, crate::subject_key(0, &h(2), &PATIENT));
	assert_ne!(key, crate::subject_key(0, &pseudonym, &OTHER_PATIENT));
	assert_ne!(crate::pseudonym(0, &PATIENT, &[1; 32]), crate::pseudonym(0, &PATIENT, &[2; 32]));
}

/// The values client-js's `trials.js` computes for the same inputs (its `trials.test.js`
/// asserts the same hex): wallets, sites and sponsors hash exactly as the chain does.
#[test]
fn hashes_match_the_wallet_sdk() {
	use sp_runtime::AccountId32;
	let account = |hex: &str| AccountId32::new(hex_bytes(hex));
	let alice = account("88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee");
	let bob = account("d17c2d7823ebf260fd138f2d7e27d114c0145d968b5ff5006125f2414fadae69");
	let pseudonym = crate::pseudonym(7, &alice, &[1; 32]);
	assert_eq!(
		pseudonym,
		H256(hex_bytes("f4b1f15d268a01abdfe45eb6a816c8c4f0ce19773a23f5d13548dd1929c373f1"))
	);
	assert_eq!(
		crate::subject_key(7, &pseudonym, &bob),
		H256(hex_bytes("85d61cb47b0d62f7e18313b465a7822e0b89c83bbf19a5ed77fc6b90937c2b9d"))
	);
	assert_eq!(
		crate::enrolment_nullifier(&[0x4E; 32], 7, &alice),
		H256(hex_bytes("89679b5b6a5f403e37c9bc2fc509e03b5d7686e804514ea662ed7997adc5dfe5"))
	);
	// The list arms 0, 1, 1, 0 with salts 0xA0.., 0xA1..: client-js's reveal of slot 2.
	let leaves: Vec<H256> = [0u8, 1, 1, 0]
		.iter()
		.enumerate()
		.map(|(slot, arm)| crate::allocation_leaf(slot as u32, *arm, &h(0xA0 + slot as u8)))
		.collect();
	let root = crate::allocation_root(&leaves, 2);
	let proof = [
		H256(hex_bytes("168ad2c53e73f70d782177fde8fdf85205f350e31b5d8a03fba88ec6ae906c73")),
		H256(hex_bytes("4d717713846c4cd675c8e22bebc1867ef3682c33565a0f302dcf3a9c8acf5c8b")),
	];
	assert_eq!(crate::allocation_proof(&leaves, 2, 2), proof.to_vec());
	assert!(crate::verify_allocation(&root, 2, 2, 1, &h(0xA2), &proof));
}

fn hex_bytes(hex: &str) -> [u8; 32] {
	let mut bytes = [0u8; 32];
	for (i, byte) in bytes.iter_mut().enumerate() {
		*byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex");
	}
	bytes
}

/// A capture must not name a record of the records pallet: its index names the patient, and
/// the capture would tie the pseudonym to them.
#[test]
fn a_capture_of_a_record_id_that_names_its_patient_is_refused() {
	run(|| {
		let study = open_study();
		let pseudonym = enrolled(study, PATIENT);
		let record = h(0x61);
		MockRegistry::index_record(record, PATIENT);
		assert_noop!(
			Trials::capture_data(signed(MARYS_DOCTOR), study, pseudonym, record),
			Error::<Test>::RecordIdentifiesPatient
		);
		// Even another patient's record: any id the index knows links someone.
		MockRegistry::index_record(h(0x62), OTHER_PATIENT);
		assert_noop!(
			Trials::capture_data(signed(MARYS_DOCTOR), study, pseudonym, h(0x62)),
			Error::<Test>::RecordIdentifiesPatient
		);
		assert_ok!(Trials::capture_data(signed(MARYS_DOCTOR), study, pseudonym, h(0x63)));
	});
}

/// The transaction extension admits a subject account only where its call can succeed: for
/// `enrol` while screened, for `reconsent` and `withdraw` while taking part; never another
/// account, and never once the subject has left.
#[test]
fn a_subject_account_is_admitted_only_while_its_call_can_succeed() {
	run(|| {
		let study = open_study();
		let account = subject_account(study, PATIENT);
		let pseudonym = screened(study, PATIENT);
		let admitted =
			|who, enrolment| Trials::is_subject_account(&who, study, &pseudonym, enrolment);
		assert!(admitted(account, true));
		assert!(!admitted(account, false), "not taking part yet");
		assert!(!admitted(PATIENT, true), "the patient's own account is not the subject's");
		assert!(!Trials::is_subject_account(&account, study, &h(0x55), true), "another pseudonym");
		assert!(
			!Trials::is_subject_account(&account, study + 1, &pseudonym, true),
			"another study"
		);
		assert_ok!(Trials::enrol(signed(account), study, pseudonym, MARYS, 1));
		assert!(!admitted(account, true), "enrolled once");
		assert!(admitted(account, false));
		assert_ok!(Trials::withdraw(signed(account), study, pseudonym));
		assert!(!admitted(account, false) && !admitted(account, true), "withdrawn: nothing more");
		// A screen failure never admits its account.
		let failed = pseudonym_of(study, OTHER_PATIENT);
		assert_ok!(Trials::screen(
			signed(MARYS_DOCTOR),
			study,
			failed,
			key_of(study, OTHER_PATIENT),
			nullifier_of(study, OTHER_PATIENT),
			false
		));
		let other = subject_account(study, OTHER_PATIENT);
		assert!(!Trials::is_subject_account(&other, study, &failed, true));
	});
}
