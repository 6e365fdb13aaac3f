//! Unit tests of the consent pallet: one success and at least one failure per call, and the
//! access decisions.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate::{
	mock::*, AuditLength, ConsentScope, Consents, Error, Event, GrantedKeys, Grantee,
	PatientConsents, RecordKeyHolders,
};
use carechain_primitives::{
	AccessBasis, AccessPolicy, AuditAction, Decision, DenialReason, FhirResourceType, Purpose,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{Hooks, Time},
	weights::Weight,
};
use sp_core::H256;

use crate::EmergencyReason::PatientUnconscious;
use Purpose::*;

fn grant_org(org: u32, scope: crate::ScopeOf, purposes: Vec<Purpose>) -> u64 {
	let id = crate::NextConsentId::<Test>::get();
	assert_ok!(Consent::grant(
		RuntimeOrigin::signed(PATIENT),
		PATIENT,
		Grantee::Organization(org),
		scope,
		purposes,
		START + 30 * DAY,
		vec![],
	));
	id
}

fn decide(accessor: u64, record: H256, purpose: Purpose) -> Decision {
	Consent::decide(&PATIENT, &accessor, &record, purpose, Timestamp::now())
}

#[test]
fn patient_grants_an_organization() {
	new_test_ext().execute_with(|| {
		let audit_before = AuditLength::<Test>::get(PATIENT);
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Organization(0),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + DAY,
			vec![(LAB, vec![1, 2, 3])],
		));
		System::assert_last_event(
			Event::ConsentGranted {
				consent_id: 0,
				patient: PATIENT,
				grantee: Grantee::Organization(0),
				expires_at: START + DAY,
			}
			.into(),
		);
		assert_eq!(decide(DOCTOR, LAB, Treatment), Decision::Allowed(AccessBasis::Consent(0)));
		assert_eq!(GrantedKeys::<Test>::get(0, LAB).map(|k| k.into_inner()), Some(vec![1, 2, 3]));
		assert!(RecordKeyHolders::<Test>::contains_key(LAB, 0));
		assert_eq!(AuditLength::<Test>::get(PATIENT), audit_before + 1);
		let entry = Consent::accounting_of_disclosures(&PATIENT, 0).pop().expect("audited");
		assert_eq!(entry.action, AuditAction::Grant);
		assert_eq!(entry.basis, Some(AccessBasis::Patient));
	});
}

#[test]
fn guardian_grants_for_the_patient_but_not_for_others() {
	new_test_ext().execute_with(|| {
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(GUARDIAN),
			PATIENT,
			Grantee::Practitioner(OTHER_DOCTOR),
			ConsentScope::ResourceTypes(vec![FhirResourceType::AllergyIntolerance]),
			vec![Treatment],
			START + DAY,
			vec![],
		));
		assert_eq!(
			Consents::<Test>::get(0).map(|c| c.granted_by),
			Some(GUARDIAN),
			"the guardian is recorded as the grantor"
		);
		assert_noop!(
			Consent::grant(
				RuntimeOrigin::signed(GUARDIAN),
				OTHER_PATIENT,
				Grantee::Organization(0),
				ConsentScope::AllRecords,
				vec![Treatment],
				START + DAY,
				vec![],
			),
			Error::<Test>::NotPatientOrGuardian
		);
	});
}

#[test]
fn grant_rejects_bad_input() {
	new_test_ext().execute_with(|| {
		let grant = |grantee, scope, purposes, expires_at, keys| {
			Consent::grant(
				RuntimeOrigin::signed(PATIENT),
				PATIENT,
				grantee,
				scope,
				purposes,
				expires_at,
				keys,
			)
		};
		let org = Grantee::Organization(0);
		let all = || ConsentScope::AllRecords;
		assert_noop!(
			grant(Grantee::Organization(9), all(), vec![Treatment], START + DAY, vec![]),
			Error::<Test>::GranteeNotActive
		);
		assert_noop!(
			grant(Grantee::Practitioner(STRANGER), all(), vec![Treatment], START + DAY, vec![]),
			Error::<Test>::GranteeNotActive
		);
		assert_noop!(
			grant(org.clone(), all(), vec![Treatment], START, vec![]),
			Error::<Test>::ExpiryInPast
		);
		assert_noop!(
			grant(org.clone(), all(), vec![], START + DAY, vec![]),
			Error::<Test>::NoPurpose
		);
		assert_noop!(
			grant(org.clone(), all(), vec![Research, Research], START + DAY, vec![]),
			Error::<Test>::DuplicatePurpose
		);
		assert_noop!(
			grant(org.clone(), ConsentScope::Records(vec![]), vec![Treatment], START + DAY, vec![]),
			Error::<Test>::EmptyScope
		);
		assert_noop!(
			grant(
				org.clone(),
				ConsentScope::Records(vec![LAB, ALLERGY, LAB]),
				vec![Treatment],
				START + DAY,
				vec![]
			),
			Error::<Test>::TooManyScopeItems
		);
		assert_noop!(
			grant(
				org.clone(),
				ConsentScope::Records(vec![H256::repeat_byte(7)]),
				vec![Treatment],
				START + DAY,
				vec![]
			),
			Error::<Test>::UnknownRecord
		);
		assert_noop!(
			grant(
				org.clone(),
				ConsentScope::Records(vec![OTHERS]),
				vec![Treatment],
				START + DAY,
				vec![]
			),
			Error::<Test>::RecordNotOfPatient
		);
		assert_noop!(
			grant(
				org.clone(),
				ConsentScope::Records(vec![LAB]),
				vec![Treatment],
				START + DAY,
				vec![(ALLERGY, vec![1])]
			),
			Error::<Test>::KeyOutsideScope
		);
		assert_noop!(
			grant(org.clone(), all(), vec![Treatment], START + DAY, vec![(LAB, vec![0; 9])]),
			Error::<Test>::BadWrappedKey
		);
		assert_noop!(
			grant(org.clone(), all(), vec![Treatment], START + DAY, vec![(LAB, vec![])]),
			Error::<Test>::BadWrappedKey
		);
		assert_noop!(
			grant(
				org.clone(),
				all(),
				vec![Treatment],
				START + DAY,
				vec![(LAB, vec![1]), (LAB, vec![2])]
			),
			Error::<Test>::DuplicateWrappedKey
		);
		assert_noop!(
			grant(
				org,
				all(),
				vec![Treatment],
				START + DAY,
				vec![(LAB, vec![1]), (ALLERGY, vec![2]), (OTHERS, vec![3])]
			),
			Error::<Test>::TooManyWrappedKeys
		);
	});
}

#[test]
fn duplicate_and_excess_grants_are_refused() {
	new_test_ext().execute_with(|| {
		grant_org(0, ConsentScope::AllRecords, vec![Treatment]);
		assert_noop!(
			Consent::grant(
				RuntimeOrigin::signed(PATIENT),
				PATIENT,
				Grantee::Organization(0),
				ConsentScope::AllRecords,
				vec![Treatment],
				START + 2 * DAY,
				vec![],
			),
			Error::<Test>::DuplicateGrant
		);
		grant_org(0, ConsentScope::AllRecords, vec![Payment]);
		grant_org(1, ConsentScope::AllRecords, vec![Treatment]);
		assert_noop!(
			Consent::grant(
				RuntimeOrigin::signed(PATIENT),
				PATIENT,
				Grantee::Organization(2),
				ConsentScope::AllRecords,
				vec![Payment],
				START + DAY,
				vec![],
			),
			Error::<Test>::TooManyGrants
		);
	});
}

#[test]
fn expired_grants_make_room_lazily() {
	new_test_ext().execute_with(|| {
		for org in 0..3 {
			grant_org(org, ConsentScope::AllRecords, vec![Treatment]);
		}
		Timestamp::set_timestamp(START + 31 * DAY);
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Organization(2),
			ConsentScope::AllRecords,
			vec![Payment],
			START + 40 * DAY,
			vec![],
		));
		assert_eq!(PatientConsents::<Test>::get(PATIENT).into_inner(), vec![3]);
		assert!(Consents::<Test>::get(0).is_none());
	});
}

#[test]
fn on_idle_sweeps_expired_consents() {
	new_test_ext().execute_with(|| {
		grant_org(0, ConsentScope::AllRecords, vec![Treatment]);
		grant_org(1, ConsentScope::AllRecords, vec![Treatment]);
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Organization(2),
			ConsentScope::AllRecords,
			vec![Payment],
			START + 90 * DAY,
			vec![(LAB, vec![1])],
		));
		Timestamp::set_timestamp(START + 31 * DAY);
		assert_eq!(Consent::on_idle(2, Weight::zero()), Weight::zero());
		assert_eq!(PatientConsents::<Test>::get(PATIENT).len(), 3, "no weight, no sweep");
		Consent::on_idle(2, Weight::MAX);
		System::assert_has_event(Event::ConsentExpired { consent_id: 0, patient: PATIENT }.into());
		assert_eq!(PatientConsents::<Test>::get(PATIENT).into_inner(), vec![2]);
		assert!(GrantedKeys::<Test>::contains_key(2, LAB), "unexpired consent keeps its keys");
	});
}

#[test]
fn revoke_is_immediate_and_destroys_keys() {
	new_test_ext().execute_with(|| {
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Organization(0),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + DAY,
			vec![(LAB, vec![1])],
		));
		assert!(decide(DOCTOR, LAB, Treatment).is_allowed());
		assert_noop!(
			Consent::revoke(RuntimeOrigin::signed(OTHER_PATIENT), 0),
			Error::<Test>::NotPatientOrGuardian
		);
		assert_ok!(Consent::revoke(RuntimeOrigin::signed(GUARDIAN), 0));
		System::assert_last_event(Event::ConsentRevoked { consent_id: 0, patient: PATIENT }.into());
		assert_eq!(decide(DOCTOR, LAB, Treatment), Decision::Denied(DenialReason::NoConsent));
		assert!(!GrantedKeys::<Test>::contains_key(0, LAB));
		assert!(!RecordKeyHolders::<Test>::contains_key(LAB, 0));
		assert_noop!(
			Consent::revoke(RuntimeOrigin::signed(PATIENT), 0),
			Error::<Test>::UnknownConsent
		);
	});
}

#[test]
fn decisions_name_their_reason() {
	new_test_ext().execute_with(|| {
		assert_eq!(decide(PATIENT, LAB, Research), Decision::Allowed(AccessBasis::Patient));
		assert_eq!(decide(GUARDIAN, LAB, Research), Decision::Allowed(AccessBasis::Guardian));
		assert_eq!(
			decide(OTHER_DOCTOR, LAB, Treatment),
			Decision::Allowed(AccessBasis::AuthorOrganization)
		);
		assert_eq!(
			decide(OTHER_DOCTOR, LAB, Research),
			Decision::Denied(DenialReason::NoConsent),
			"authorship covers treatment, payment and operations only"
		);
		assert_eq!(
			decide(STRANGER, LAB, Treatment),
			Decision::Denied(DenialReason::AccessorNotActive)
		);
		assert_eq!(
			decide(DOCTOR, H256::repeat_byte(7), Treatment),
			Decision::Denied(DenialReason::UnknownRecord)
		);
		assert_eq!(
			decide(DOCTOR, OTHERS, Treatment),
			Decision::Denied(DenialReason::RecordNotOfPatient)
		);

		grant_org(
			0,
			ConsentScope::ResourceTypes(vec![FhirResourceType::AllergyIntolerance]),
			vec![Treatment],
		);
		assert_eq!(decide(DOCTOR, ALLERGY, Treatment), Decision::Allowed(AccessBasis::Consent(0)));
		assert_eq!(decide(DOCTOR, LAB, Treatment), Decision::Denied(DenialReason::OutOfScope));
		assert_eq!(
			decide(DOCTOR, ALLERGY, Research),
			Decision::Denied(DenialReason::PurposeNotPermitted)
		);
		Timestamp::set_timestamp(START + 30 * DAY);
		assert_eq!(
			decide(DOCTOR, ALLERGY, Treatment),
			Decision::Denied(DenialReason::ConsentExpired)
		);

		ScriptedRecords::erase(ALLERGY);
		assert_eq!(
			decide(PATIENT, ALLERGY, Treatment),
			Decision::Denied(DenialReason::RecordErased)
		);
	});
}

#[test]
fn a_practitioner_grant_covers_only_that_practitioner() {
	new_test_ext().execute_with(|| {
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Practitioner(DOCTOR),
			ConsentScope::Records(vec![LAB]),
			vec![Treatment],
			START + DAY,
			vec![],
		));
		assert_eq!(decide(DOCTOR, LAB, Treatment), Decision::Allowed(AccessBasis::Consent(0)));
		assert_eq!(
			decide(HOSPITAL_ADMIN, LAB, Treatment),
			Decision::Denied(DenialReason::NoConsent)
		);
		assert_eq!(decide(DOCTOR, ALLERGY, Treatment), Decision::Denied(DenialReason::OutOfScope));
	});
}

#[test]
fn break_glass_is_time_limited_flagged_and_disputable() {
	new_test_ext().execute_with(|| {
		let justification = H256::repeat_byte(5);
		assert_ok!(Consent::break_glass(
			RuntimeOrigin::signed(DOCTOR),
			PATIENT,
			PatientUnconscious,
			justification
		));
		System::assert_last_event(
			Event::BreakGlassOpened {
				emergency_id: 0,
				patient: PATIENT,
				accessor: DOCTOR,
				org: 0,
				reason: PatientUnconscious,
				expires_at: START + DAY,
			}
			.into(),
		);
		assert_eq!(decide(DOCTOR, LAB, Treatment), Decision::Allowed(AccessBasis::BreakGlass(0)));
		assert_eq!(
			decide(DOCTOR, LAB, Research),
			Decision::Denied(DenialReason::PurposeNotPermitted)
		);
		let entry = Consent::accounting_of_disclosures(&PATIENT, 0).pop().expect("audited");
		assert_eq!(entry.action, AuditAction::BreakGlass);
		assert!(entry.break_glass);
		assert_noop!(
			Consent::break_glass(
				RuntimeOrigin::signed(DOCTOR),
				PATIENT,
				PatientUnconscious,
				justification
			),
			Error::<Test>::BreakGlassAlreadyOpen
		);

		assert_noop!(
			Consent::dispute(RuntimeOrigin::signed(DOCTOR), 0),
			Error::<Test>::NotPatientOrGuardian
		);
		assert_ok!(Consent::dispute(RuntimeOrigin::signed(PATIENT), 0));
		System::assert_last_event(
			Event::BreakGlassDisputed { emergency_id: 0, patient: PATIENT }.into(),
		);
		assert_eq!(decide(DOCTOR, LAB, Treatment), Decision::Denied(DenialReason::NoConsent));
		assert_noop!(
			Consent::dispute(RuntimeOrigin::signed(PATIENT), 0),
			Error::<Test>::AlreadyDisputed
		);
		assert_noop!(
			Consent::dispute(RuntimeOrigin::signed(PATIENT), 9),
			Error::<Test>::UnknownEmergency
		);
	});
}

#[test]
fn break_glass_expires() {
	new_test_ext().execute_with(|| {
		assert_ok!(Consent::break_glass(
			RuntimeOrigin::signed(DOCTOR),
			PATIENT,
			PatientUnconscious,
			H256::zero()
		));
		Timestamp::set_timestamp(START + DAY);
		assert_eq!(decide(DOCTOR, LAB, Treatment), Decision::Denied(DenialReason::NoConsent));
		// Once expired, a new session may be opened.
		assert_ok!(Consent::break_glass(
			RuntimeOrigin::signed(DOCTOR),
			PATIENT,
			PatientUnconscious,
			H256::zero()
		));
	});
}

#[test]
fn only_care_providers_break_the_glass() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Consent::break_glass(
				RuntimeOrigin::signed(PAYER_CLERK),
				PATIENT,
				PatientUnconscious,
				H256::zero()
			),
			Error::<Test>::NotCareProvider
		);
		assert_noop!(
			Consent::break_glass(
				RuntimeOrigin::signed(HOSPITAL_ADMIN),
				PATIENT,
				PatientUnconscious,
				H256::zero()
			),
			Error::<Test>::NotCareProvider
		);
		assert_noop!(
			Consent::break_glass(
				RuntimeOrigin::signed(DOCTOR),
				STRANGER,
				PatientUnconscious,
				H256::zero()
			),
			Error::<Test>::PatientNotRegistered
		);
	});
}

#[test]
fn erasure_forgets_granted_keys() {
	new_test_ext().execute_with(|| {
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Organization(0),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + DAY,
			vec![(LAB, vec![1]), (ALLERGY, vec![2])],
		));
		Consent::forget_record_keys(&LAB);
		assert!(!GrantedKeys::<Test>::contains_key(0, LAB));
		assert!(GrantedKeys::<Test>::contains_key(0, ALLERGY));
		assert!(!RecordKeyHolders::<Test>::contains_key(LAB, 0));
	});
}

#[test]
fn accounting_of_disclosures_starts_at_since() {
	new_test_ext().execute_with(|| {
		grant_org(0, ConsentScope::AllRecords, vec![Treatment]);
		Timestamp::set_timestamp(START + 10);
		grant_org(1, ConsentScope::AllRecords, vec![Research]);
		Timestamp::set_timestamp(START + 20);
		assert_ok!(Consent::revoke(RuntimeOrigin::signed(PATIENT), 0));
		let all = Consent::accounting_of_disclosures(&PATIENT, 0);
		let since = Consent::accounting_of_disclosures(&PATIENT, START + 10);
		assert_eq!(since.len(), 2);
		assert_eq!(&all[all.len() - 2..], &since[..]);
		assert_eq!(since[1].action, AuditAction::Revoke);
		assert!(Consent::accounting_of_disclosures(&PATIENT, START + 21).is_empty());
	});
}
