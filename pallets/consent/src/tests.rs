//! Unit tests of the consent pallet: one success and at least one failure per call, and the
//! access decisions.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate::{
	mock::*, AuditLength, AuditTrail, ConsentEnding, ConsentScope, Consents, DisputeBlocks,
	Emergencies, EndedConsents, Error, Event, GrantedKeys, Grantee, NextEmergencyId,
	PatientConsents, PatientEndedConsents, RecordKeyHolders, DISPUTE_AUDIT_ACTION,
	LIFT_DISPUTE_BLOCK_AUDIT_ACTION,
};
use carechain_primitives::{
	AccessBasis, AccessPolicy, AuditAction, Decision, DenialReason, FhirResourceType, Purpose, Role,
};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	traits::{Hooks, Time},
	weights::Weight,
};
use sp_core::H256;
use sp_runtime::BuildStorage;

use crate::EmergencyReason::Unconscious;
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
	build_and_execute(|| {
		let audit_before = AuditLength::<Test>::get(PATIENT);
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Organization(0),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + DAY,
			vec![(LAB, [3; 80])],
		));
		System::assert_last_event(
			Event::ConsentGranted {
				consent_id: 0,
				patient: PATIENT,
				grantee: Grantee::Organization(0),
				grantee_org: 0,
				expires_at: START + DAY,
			}
			.into(),
		);
		assert_eq!(decide(DOCTOR, LAB, Treatment), Decision::Allowed(AccessBasis::Consent(0)));
		assert_eq!(GrantedKeys::<Test>::get(0, LAB), Some([3; 80]));
		assert!(RecordKeyHolders::<Test>::contains_key(LAB, 0));
		assert_eq!(AuditLength::<Test>::get(PATIENT), audit_before + 1);
		let entry = Consent::accounting_of_disclosures(&PATIENT, 0).pop().expect("audited");
		assert_eq!(entry.action, AuditAction::Grant);
		assert_eq!(entry.basis, Some(AccessBasis::Patient));
	});
}

#[test]
fn guardian_grants_for_the_patient_but_not_for_others() {
	build_and_execute(|| {
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
	build_and_execute(|| {
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
				vec![(ALLERGY, [1; 80])]
			),
			Error::<Test>::KeyOutsideScope
		);
		assert_noop!(
			grant(
				org.clone(),
				all(),
				vec![Treatment],
				START + DAY,
				vec![(LAB, [1; 80]), (LAB, [2; 80])]
			),
			Error::<Test>::DuplicateWrappedKey
		);
		assert_noop!(
			grant(
				org,
				all(),
				vec![Treatment],
				START + DAY,
				vec![(LAB, [1; 80]), (ALLERGY, [2; 80]), (OTHERS, [3; 80])]
			),
			Error::<Test>::TooManyWrappedKeys
		);
	});
}

#[test]
fn duplicate_and_excess_grants_are_refused() {
	build_and_execute(|| {
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
fn a_grant_clears_one_expired_consent_and_on_idle_the_rest() {
	build_and_execute(|| {
		for org in 0..3 {
			grant_org(org, ConsentScope::AllRecords, vec![Treatment]);
		}
		set_time(START + 31 * DAY);
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Organization(2),
			ConsentScope::AllRecords,
			vec![Payment],
			START + 40 * DAY,
			vec![],
		));
		// One expired consent is cleared, enough to make room and a bounded cost.
		assert_eq!(PatientConsents::<Test>::get(PATIENT).into_inner(), vec![1, 2, 3]);
		assert!(Consents::<Test>::get(0).is_none());
		System::assert_has_event(Event::ConsentExpired { consent_id: 0, patient: PATIENT }.into());
		Consent::on_idle(2, Weight::MAX);
		assert_eq!(PatientConsents::<Test>::get(PATIENT).into_inner(), vec![3]);
	});
}

#[test]
fn on_idle_sweeps_expired_consents() {
	build_and_execute(|| {
		grant_org(0, ConsentScope::AllRecords, vec![Treatment]);
		grant_org(1, ConsentScope::AllRecords, vec![Treatment]);
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Organization(2),
			ConsentScope::AllRecords,
			vec![Payment],
			START + 90 * DAY,
			vec![(LAB, [1; 80])],
		));
		set_time(START + 31 * DAY);
		assert_eq!(Consent::on_idle(2, Weight::zero()), Weight::zero());
		assert_eq!(PatientConsents::<Test>::get(PATIENT).len(), 3, "no weight, no sweep");
		Consent::on_idle(2, Weight::MAX);
		System::assert_has_event(Event::ConsentExpired { consent_id: 0, patient: PATIENT }.into());
		assert_eq!(PatientConsents::<Test>::get(PATIENT).into_inner(), vec![2]);
		assert!(GrantedKeys::<Test>::contains_key(2, LAB), "unexpired consent keeps its keys");
	});
}

#[test]
fn ended_consents_stay_in_the_patients_history_without_their_keys() {
	build_and_execute(|| {
		let revoked = grant_org(0, ConsentScope::AllRecords, vec![Treatment]);
		let expiring = grant_org(1, ConsentScope::AllRecords, vec![Payment]);
		let kept = Consents::<Test>::get(revoked).unwrap();
		set_time(START + DAY);
		assert_ok!(Consent::revoke(RuntimeOrigin::signed(PATIENT), revoked));
		let ended = EndedConsents::<Test>::get(revoked).expect("a revoked consent is kept");
		assert_eq!(ended.consent, kept);
		assert_eq!((ended.ended_at, ended.ending), (START + DAY, ConsentEnding::Revoked));
		// Ended is ended: it allows nothing, and cannot be revoked or ended again.
		assert_eq!(decide(DOCTOR, LAB, Treatment), Decision::Denied(DenialReason::NoConsent));
		assert_noop!(
			Consent::revoke(RuntimeOrigin::signed(PATIENT), revoked),
			Error::<Test>::UnknownConsent
		);
		set_time(START + 31 * DAY);
		Consent::on_idle(2, Weight::MAX);
		let expired = EndedConsents::<Test>::get(expiring).expect("an expired consent is kept");
		assert_eq!(expired.ending, ConsentEnding::Expired);
		assert_eq!(
			PatientEndedConsents::<Test>::get(PATIENT).into_inner(),
			vec![revoked, expiring]
		);
		assert!(PatientEndedConsents::<Test>::get(OTHER_PATIENT).is_empty());
	});
}

#[test]
fn the_history_of_ended_consents_is_bounded_oldest_first() {
	build_and_execute(|| {
		// The mock keeps two ended consents per patient.
		let ids: Vec<u64> =
			(0..3).map(|org| grant_org(org, ConsentScope::AllRecords, vec![Treatment])).collect();
		for id in &ids {
			assert_ok!(Consent::revoke(RuntimeOrigin::signed(PATIENT), *id));
		}
		assert_eq!(PatientEndedConsents::<Test>::get(PATIENT).into_inner(), vec![ids[1], ids[2]]);
		assert!(!EndedConsents::<Test>::contains_key(ids[0]), "the oldest made room");
		assert_eq!(EndedConsents::<Test>::iter().count(), 2);
	});
}

#[test]
fn revoke_is_immediate_and_destroys_keys() {
	build_and_execute(|| {
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Organization(0),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + DAY,
			vec![(LAB, [1; 80])],
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
	build_and_execute(|| {
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
		set_time(START + 30 * DAY);
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
	build_and_execute(|| {
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
fn break_glass_works_for_every_reason_and_no_event_carries_one() {
	use crate::EmergencyReason::*;
	build_and_execute(|| {
		let openings = [
			(DOCTOR, PATIENT, Unconscious),
			(DOCTOR, OTHER_PATIENT, UnableToConsent),
			(OTHER_DOCTOR, PATIENT, LifeThreatening),
			(CLINIC_DOCTOR, PATIENT, Other),
		];
		for (emergency_id, (doctor, patient, reason)) in (0u64..).zip(openings) {
			let justification = H256::repeat_byte(emergency_id as u8 + 1);
			assert_ok!(Consent::break_glass(
				RuntimeOrigin::signed(doctor),
				patient,
				reason,
				justification
			));
			let session = Emergencies::<Test>::get(emergency_id).expect("opened");
			assert_eq!((session.reason, session.justification_hash), (reason, justification));
			let Some(RuntimeEvent::Consent(Event::BreakGlassOpened { emergency_id: id, .. })) =
				System::events().pop().map(|e| e.event)
			else {
				panic!("BreakGlassOpened is the last event");
			};
			assert_eq!(id, emergency_id);
			// Neither the reason nor the justification's hash is in any event's bytes.
			for record in System::events() {
				let bytes = codec::Encode::encode(&record.event);
				assert!(!bytes.windows(32).any(|w| w == justification.as_bytes()));
			}
		}
		// By type, not only by the events seen: no event of this pallet can carry a reason,
		// a justification or any byte string a user fills.
		for field in carechain_primitives::privacy::variant_fields::<Event<Test>>() {
			assert!(!field.type_path.ends_with("EmergencyReason"), "{field:?}");
			assert!(!["reason", "justification_hash"].contains(&&*field.field), "{field:?}");
			assert!(!field.type_path.contains("BoundedVec"), "{field:?}");
		}
	});
}

#[test]
fn break_glass_is_time_limited_flagged_and_disputable() {
	build_and_execute(|| {
		let justification = H256::repeat_byte(5);
		assert_ok!(Consent::break_glass(
			RuntimeOrigin::signed(DOCTOR),
			PATIENT,
			Unconscious,
			justification
		));
		System::assert_last_event(
			Event::BreakGlassOpened {
				emergency_id: 0,
				patient: PATIENT,
				accessor: DOCTOR,
				org: 0,
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
				Unconscious,
				justification
			),
			Error::<Test>::BreakGlassAlreadyOpen
		);

		assert_noop!(
			Consent::dispute(RuntimeOrigin::signed(DOCTOR), 0),
			Error::<Test>::NotPatientOrGuardian
		);
		assert_ok!(Consent::dispute(RuntimeOrigin::signed(PATIENT), 0));
		System::assert_has_event(
			Event::BreakGlassDisputed {
				emergency_id: 0,
				patient: PATIENT,
				accessor: DOCTOR,
				disputed_by: PATIENT,
			}
			.into(),
		);
		System::assert_last_event(
			Event::BreakGlassBlocked { patient: PATIENT, accessor: DOCTOR, emergency_id: 0 }.into(),
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
	build_and_execute(|| {
		assert_ok!(Consent::break_glass(
			RuntimeOrigin::signed(DOCTOR),
			PATIENT,
			Unconscious,
			H256::zero()
		));
		set_time(START + DAY);
		assert_eq!(decide(DOCTOR, LAB, Treatment), Decision::Denied(DenialReason::NoConsent));
		// Once expired, a new session may be opened.
		assert_ok!(Consent::break_glass(
			RuntimeOrigin::signed(DOCTOR),
			PATIENT,
			Unconscious,
			H256::zero()
		));
	});
}

#[test]
fn only_care_providers_break_the_glass() {
	build_and_execute(|| {
		assert_noop!(
			Consent::break_glass(
				RuntimeOrigin::signed(PAYER_CLERK),
				PATIENT,
				Unconscious,
				H256::zero()
			),
			Error::<Test>::NotCareProvider
		);
		assert_noop!(
			Consent::break_glass(
				RuntimeOrigin::signed(HOSPITAL_ADMIN),
				PATIENT,
				Unconscious,
				H256::zero()
			),
			Error::<Test>::NotCareProvider
		);
		assert_noop!(
			Consent::break_glass(
				RuntimeOrigin::signed(DOCTOR),
				STRANGER,
				Unconscious,
				H256::zero()
			),
			Error::<Test>::PatientNotRegistered
		);
	});
}

#[test]
fn erasure_forgets_granted_keys() {
	build_and_execute(|| {
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Organization(0),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + DAY,
			vec![(LAB, [1; 80]), (ALLERGY, [2; 80])],
		));
		Consent::forget_record_keys(&LAB);
		assert!(!GrantedKeys::<Test>::contains_key(0, LAB));
		assert!(GrantedKeys::<Test>::contains_key(0, ALLERGY));
		assert!(!RecordKeyHolders::<Test>::contains_key(LAB, 0));
	});
}

#[test]
fn accounting_of_disclosures_starts_at_since() {
	build_and_execute(|| {
		grant_org(0, ConsentScope::AllRecords, vec![Treatment]);
		set_time(START + 10);
		grant_org(1, ConsentScope::AllRecords, vec![Research]);
		set_time(START + 20);
		assert_ok!(Consent::revoke(RuntimeOrigin::signed(PATIENT), 0));
		let all = Consent::accounting_of_disclosures(&PATIENT, 0);
		let since = Consent::accounting_of_disclosures(&PATIENT, START + 10);
		assert_eq!(since.len(), 2);
		assert_eq!(&all[all.len() - 2..], &since[..]);
		assert_eq!(since[1].action, AuditAction::Revoke);
		assert!(Consent::accounting_of_disclosures(&PATIENT, START + 21).is_empty());
	});
}

fn grant_as(
	who: u64,
	grantee: Grantee<u64>,
	scope: crate::ScopeOf,
	purposes: Vec<Purpose>,
	expires_at: u64,
) -> frame_support::dispatch::DispatchResultWithPostInfo {
	Consent::grant(
		RuntimeOrigin::signed(who),
		PATIENT,
		grantee,
		scope,
		purposes,
		expires_at,
		vec![],
	)
}

fn write(author: u64, resource_type: FhirResourceType) -> Decision {
	Consent::check_write(&PATIENT, &author, resource_type, Timestamp::now())
}

fn open_glass(who: u64, patient: u64) -> frame_support::dispatch::DispatchResult {
	Consent::break_glass(RuntimeOrigin::signed(who), patient, Unconscious, H256::zero())
}

/// `who` leaves their organization (removed by `admin`) and joins `new_admin`'s with `role`.
fn move_member(who: u64, admin: u64, new_admin: Option<(u64, Role)>) {
	assert_ok!(pallet_registry::Pallet::<Test>::remove_member(RuntimeOrigin::signed(admin), who));
	if let Some((new_admin, role)) = new_admin {
		assert_ok!(pallet_registry::Pallet::<Test>::add_member(
			RuntimeOrigin::signed(new_admin),
			who,
			role
		));
	}
}

// --- check_write -------------------------------------------------------------------------

#[test]
fn the_patient_and_a_guardian_may_write() {
	build_and_execute(|| {
		assert_eq!(
			write(PATIENT, FhirResourceType::Observation),
			Decision::Allowed(AccessBasis::Patient)
		);
		assert_eq!(
			write(GUARDIAN, FhirResourceType::Observation),
			Decision::Allowed(AccessBasis::Guardian)
		);
		assert_eq!(
			Consent::check_write(&PATIENT, &OTHER_PATIENT, FhirResourceType::Observation, START),
			Decision::Denied(DenialReason::AccessorNotActive),
			"another patient is nobody to this patient"
		);
	});
}

#[test]
fn writing_needs_an_active_care_practitioner() {
	build_and_execute(|| {
		grant_org(2, ConsentScope::AllRecords, vec![Treatment]);
		grant_org(0, ConsentScope::AllRecords, vec![Treatment]);
		for (who, why) in [
			(STRANGER, "no membership"),
			(PAYER_CLERK, "a payer's member, even with a treatment consent to the payer"),
			(HOSPITAL_ADMIN, "an admin, not a practitioner, of a consented hospital"),
		] {
			assert_eq!(
				write(who, FhirResourceType::Observation),
				Decision::Denied(DenialReason::AccessorNotActive),
				"{why}"
			);
		}
		assert_eq!(
			write(DOCTOR, FhirResourceType::Observation),
			Decision::Allowed(AccessBasis::Consent(1))
		);
	});
}

#[test]
fn writing_without_a_consent_is_refused_with_the_most_specific_reason() {
	build_and_execute(|| {
		let obs = FhirResourceType::Observation;
		// Authorship of the patient's records gives no right to write (org 1 wrote LAB).
		assert_eq!(write(OTHER_DOCTOR, obs), Decision::Denied(DenialReason::NoConsent));
		assert_eq!(write(DOCTOR, obs), Decision::Denied(DenialReason::NoConsent));

		grant_org(0, ConsentScope::AllRecords, vec![Payment]);
		assert_eq!(write(DOCTOR, obs), Decision::Denied(DenialReason::PurposeNotPermitted));
		grant_org(
			0,
			ConsentScope::ResourceTypes(vec![FhirResourceType::Condition]),
			vec![Treatment],
		);
		assert_eq!(
			write(DOCTOR, obs),
			Decision::Denied(DenialReason::OutOfScope),
			"out of scope is more specific than a purpose mismatch, whatever the order"
		);
		assert_eq!(
			write(DOCTOR, FhirResourceType::Condition),
			Decision::Allowed(AccessBasis::Consent(1))
		);
		assert_eq!(
			write(OTHER_DOCTOR, FhirResourceType::Condition),
			Decision::Denied(DenialReason::NoConsent),
			"another organization"
		);
	});
}

#[test]
fn a_record_list_scope_covers_no_new_record() {
	build_and_execute(|| {
		grant_org(0, ConsentScope::Records(vec![LAB]), vec![Treatment]);
		assert_eq!(
			write(DOCTOR, FhirResourceType::Observation),
			Decision::Denied(DenialReason::OutOfScope)
		);
		assert_eq!(decide(DOCTOR, LAB, Treatment), Decision::Allowed(AccessBasis::Consent(0)));
	});
}

#[test]
fn writing_stops_when_the_consent_expires_or_is_revoked() {
	build_and_execute(|| {
		let id = grant_org(0, ConsentScope::AllRecords, vec![Treatment]);
		assert!(write(DOCTOR, FhirResourceType::Observation).is_allowed());
		set_time(START + 30 * DAY);
		assert_eq!(
			write(DOCTOR, FhirResourceType::Observation),
			Decision::Denied(DenialReason::ConsentExpired)
		);
		let id2 = crate::NextConsentId::<Test>::get();
		assert_ok!(grant_as(
			PATIENT,
			Grantee::Organization(0),
			ConsentScope::AllRecords,
			vec![Treatment, Payment],
			START + 40 * DAY
		));
		assert!(write(DOCTOR, FhirResourceType::Observation).is_allowed());
		assert_ok!(Consent::revoke(RuntimeOrigin::signed(PATIENT), id2));
		assert_eq!(
			write(DOCTOR, FhirResourceType::Observation),
			Decision::Denied(DenialReason::NoConsent),
			"the grant cleared the expired consent {id}"
		);
	});
}

#[test]
fn a_former_member_may_not_write() {
	build_and_execute(|| {
		grant_org(0, ConsentScope::AllRecords, vec![Treatment]);
		assert!(write(DOCTOR, FhirResourceType::Observation).is_allowed());
		move_member(DOCTOR, HOSPITAL_ADMIN, None);
		assert_eq!(
			write(DOCTOR, FhirResourceType::Observation),
			Decision::Denied(DenialReason::AccessorNotActive)
		);
	});
}

#[test]
fn writing_through_break_glass_needs_an_open_session_of_the_current_organization() {
	build_and_execute(|| {
		assert_ok!(open_glass(DOCTOR, PATIENT));
		assert_eq!(
			write(DOCTOR, FhirResourceType::Condition),
			Decision::Allowed(AccessBasis::BreakGlass(0))
		);
		assert_eq!(
			write(OTHER_DOCTOR, FhirResourceType::Condition),
			Decision::Denied(DenialReason::NoConsent),
			"another practitioner's session"
		);
		move_member(DOCTOR, HOSPITAL_ADMIN, Some((OTHER_ADMIN, Role::Practitioner)));
		assert_eq!(
			write(DOCTOR, FhirResourceType::Condition),
			Decision::Denied(DenialReason::NoConsent),
			"a session opened through the old organization"
		);
		assert_eq!(
			decide(DOCTOR, ALLERGY, Treatment),
			Decision::Allowed(AccessBasis::AuthorOrganization)
		);
	});
}

#[test]
fn writing_through_break_glass_ends_with_expiry_or_dispute() {
	build_and_execute(|| {
		assert_ok!(open_glass(DOCTOR, PATIENT));
		assert_ok!(open_glass(OTHER_DOCTOR, PATIENT));
		assert_ok!(Consent::dispute(RuntimeOrigin::signed(PATIENT), 1));
		assert_eq!(
			write(OTHER_DOCTOR, FhirResourceType::Condition),
			Decision::Denied(DenialReason::NoConsent)
		);
		set_time(START + DAY);
		assert_eq!(
			write(DOCTOR, FhirResourceType::Condition),
			Decision::Denied(DenialReason::NoConsent)
		);
	});
}

// --- hole 11: a consent follows the organization -------------------------------------------

#[test]
fn a_practitioner_grant_is_bound_to_their_organization() {
	build_and_execute(|| {
		assert_ok!(grant_as(
			PATIENT,
			Grantee::Practitioner(DOCTOR),
			ConsentScope::AllRecords,
			vec![Treatment, Payment],
			START + DAY
		));
		assert_eq!(Consents::<Test>::get(0).map(|c| c.grantee_org), Some(0));
		System::assert_has_event(
			Event::ConsentGranted {
				consent_id: 0,
				patient: PATIENT,
				grantee: Grantee::Practitioner(DOCTOR),
				grantee_org: 0,
				expires_at: START + DAY,
			}
			.into(),
		);
	});
}

/// The attack: a physician granted personally moves to an insurer and reads the records for
/// payment there; or moves to another hospital and writes there.
#[test]
fn a_practitioner_who_moves_to_an_insurer_loses_the_grant() {
	build_and_execute(|| {
		assert_ok!(grant_as(
			PATIENT,
			Grantee::Practitioner(DOCTOR),
			ConsentScope::AllRecords,
			vec![Treatment, Payment],
			START + DAY
		));
		assert_eq!(decide(DOCTOR, ALLERGY, Payment), Decision::Allowed(AccessBasis::Consent(0)));
		move_member(DOCTOR, HOSPITAL_ADMIN, Some((PAYER_ADMIN, Role::Staff)));
		assert_eq!(decide(DOCTOR, ALLERGY, Payment), Decision::Denied(DenialReason::NoConsent));
		assert_eq!(decide(DOCTOR, LAB, Treatment), Decision::Denied(DenialReason::NoConsent));
	});
}

#[test]
fn a_practitioner_who_moves_to_another_hospital_loses_the_grant() {
	build_and_execute(|| {
		assert_ok!(grant_as(
			PATIENT,
			Grantee::Practitioner(DOCTOR),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + DAY
		));
		ScriptedRecords::add(H256::repeat_byte(0xc1), PATIENT, FhirResourceType::Condition, None);
		assert!(decide(DOCTOR, H256::repeat_byte(0xc1), Treatment).is_allowed());
		assert!(write(DOCTOR, FhirResourceType::Condition).is_allowed());
		move_member(DOCTOR, HOSPITAL_ADMIN, Some((OTHER_ADMIN, Role::Practitioner)));
		assert_eq!(
			decide(DOCTOR, H256::repeat_byte(0xc1), Treatment),
			Decision::Denied(DenialReason::NoConsent)
		);
		assert_eq!(
			write(DOCTOR, FhirResourceType::Condition),
			Decision::Denied(DenialReason::NoConsent)
		);
	});
}

#[test]
fn a_removed_practitioner_loses_the_grant() {
	build_and_execute(|| {
		assert_ok!(grant_as(
			PATIENT,
			Grantee::Practitioner(DOCTOR),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + DAY
		));
		move_member(DOCTOR, HOSPITAL_ADMIN, None);
		assert_eq!(
			decide(DOCTOR, ALLERGY, Treatment),
			Decision::Denied(DenialReason::AccessorNotActive)
		);
		assert_eq!(
			write(DOCTOR, FhirResourceType::Condition),
			Decision::Denied(DenialReason::AccessorNotActive)
		);
	});
}

#[test]
fn a_fresh_grant_follows_a_practitioner_to_the_new_organization() {
	build_and_execute(|| {
		assert_ok!(grant_as(
			PATIENT,
			Grantee::Practitioner(DOCTOR),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + DAY
		));
		move_member(DOCTOR, HOSPITAL_ADMIN, Some((OTHER_ADMIN, Role::Practitioner)));
		// The same grantee, scope and purposes bound to another organization is a new grant.
		assert_ok!(grant_as(
			PATIENT,
			Grantee::Practitioner(DOCTOR),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + DAY
		));
		assert_eq!(Consents::<Test>::get(1).map(|c| c.grantee_org), Some(1));
		assert_eq!(
			write(DOCTOR, FhirResourceType::Condition),
			Decision::Allowed(AccessBasis::Consent(1))
		);
	});
}

#[test]
fn consents_of_a_suspended_organization_allow_nothing() {
	build_and_execute(|| {
		assert_ok!(grant_as(
			PATIENT,
			Grantee::Organization(3),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + DAY
		));
		assert!(write(CLINIC_DOCTOR, FhirResourceType::Condition).is_allowed());
		assert_ok!(pallet_registry::Pallet::<Test>::suspend_organization(RuntimeOrigin::root(), 3));
		assert_eq!(
			write(CLINIC_DOCTOR, FhirResourceType::Condition),
			Decision::Denied(DenialReason::AccessorNotActive)
		);
		assert_eq!(
			decide(CLINIC_DOCTOR, ALLERGY, Treatment),
			Decision::Denied(DenialReason::AccessorNotActive)
		);
		for grantee in [Grantee::Organization(3), Grantee::Practitioner(CLINIC_DOCTOR)] {
			assert_noop!(
				grant_as(PATIENT, grantee, ConsentScope::AllRecords, vec![Payment], START + DAY),
				Error::<Test>::GranteeNotActive
			);
		}
		assert_noop!(open_glass(CLINIC_DOCTOR, PATIENT), Error::<Test>::NotCareProvider);
	});
}

// --- hole 6: break-glass limits ------------------------------------------------------------

/// The attack: disputed, the practitioner reopens at once (the dispute set `expires_at = now`,
/// which passed the reopen guard), or after the session would have ended.
#[test]
fn a_disputed_practitioner_may_not_reopen_until_the_block_is_lifted() {
	build_and_execute(|| {
		assert_ok!(open_glass(DOCTOR, PATIENT));
		assert_ok!(Consent::dispute(RuntimeOrigin::signed(PATIENT), 0));
		assert_eq!(DisputeBlocks::<Test>::get(PATIENT, DOCTOR), Some(0));
		assert_noop!(open_glass(DOCTOR, PATIENT), Error::<Test>::BlockedByDispute);
		set_time(START + 2 * DAY);
		assert_noop!(open_glass(DOCTOR, PATIENT), Error::<Test>::BlockedByDispute);
		// Other pairs are not blocked.
		assert_ok!(open_glass(OTHER_DOCTOR, PATIENT));
		assert_ok!(open_glass(DOCTOR, OTHER_PATIENT));

		for (who, error) in [
			(DOCTOR, Error::<Test>::NotPatientOrGuardian),
			(OTHER_PATIENT, Error::<Test>::NotPatientOrGuardian),
			(HOSPITAL_ADMIN, Error::<Test>::NotPatientOrGuardian),
		] {
			assert_noop!(
				Consent::lift_dispute_block(RuntimeOrigin::signed(who), PATIENT, DOCTOR),
				error
			);
		}
		let audit_before = AuditLength::<Test>::get(PATIENT);
		assert_ok!(Consent::lift_dispute_block(RuntimeOrigin::signed(GUARDIAN), PATIENT, DOCTOR));
		System::assert_last_event(
			Event::DisputeBlockLifted {
				patient: PATIENT,
				accessor: DOCTOR,
				emergency_id: 0,
				lifted_by: GUARDIAN,
			}
			.into(),
		);
		assert_eq!(AuditLength::<Test>::get(PATIENT), audit_before + 1);
		let entry = AuditTrail::<Test>::get(PATIENT, audit_before).expect("audited");
		assert_eq!(
			(entry.accessor, entry.action, entry.basis),
			(GUARDIAN, LIFT_DISPUTE_BLOCK_AUDIT_ACTION, Some(AccessBasis::Guardian))
		);
		assert_noop!(
			Consent::lift_dispute_block(RuntimeOrigin::signed(PATIENT), PATIENT, DOCTOR),
			Error::<Test>::NotBlocked
		);
		// DOCTOR's two openings in the window are spent; once the first leaves it, reopening
		// works again.
		assert_noop!(open_glass(DOCTOR, PATIENT), Error::<Test>::PractitionerBreakGlassLimit);
		set_time(START + 7 * DAY);
		assert_ok!(open_glass(DOCTOR, PATIENT));
	});
}

#[test]
fn a_disputed_session_allows_nothing() {
	build_and_execute(|| {
		assert_ok!(open_glass(DOCTOR, PATIENT));
		assert_ok!(Consent::dispute(RuntimeOrigin::signed(GUARDIAN), 0));
		assert_eq!(
			Emergencies::<Test>::get(0).map(|e| (e.disputed, e.expires_at)),
			Some((true, START))
		);
		assert_eq!(decide(DOCTOR, LAB, Treatment), Decision::Denied(DenialReason::NoConsent));
		assert_eq!(
			write(DOCTOR, FhirResourceType::Condition),
			Decision::Denied(DenialReason::NoConsent)
		);
	});
}

#[test]
fn a_dispute_is_audited() {
	build_and_execute(|| {
		assert_ok!(open_glass(DOCTOR, PATIENT));
		set_time(START + 10);
		let before = AuditLength::<Test>::get(PATIENT);
		assert_ok!(Consent::dispute(RuntimeOrigin::signed(GUARDIAN), 0));
		assert_eq!(AuditLength::<Test>::get(PATIENT), before + 1);
		let entry = AuditTrail::<Test>::get(PATIENT, before).expect("the dispute is audited");
		assert_eq!(entry.accessor, GUARDIAN);
		assert_eq!(entry.action, DISPUTE_AUDIT_ACTION);
		assert_eq!(entry.purpose, Some(Treatment));
		assert_eq!(entry.basis, Some(AccessBasis::Guardian));
		assert_eq!(entry.timestamp, START + 10);
	});
}

#[test]
fn only_the_patient_or_a_guardian_disputes() {
	build_and_execute(|| {
		assert_ok!(open_glass(DOCTOR, PATIENT));
		for who in [DOCTOR, OTHER_DOCTOR, HOSPITAL_ADMIN, OTHER_PATIENT, STRANGER] {
			assert_noop!(
				Consent::dispute(RuntimeOrigin::signed(who), 0),
				Error::<Test>::NotPatientOrGuardian
			);
		}
		assert!(!DisputeBlocks::<Test>::contains_key(PATIENT, DOCTOR));
	});
}

#[test]
fn a_practitioner_breaks_the_glass_at_most_the_limit_per_window() {
	build_and_execute(|| {
		// MaxBreakGlassPerPractitioner = 2 within a 7-day window.
		assert_ok!(open_glass(DOCTOR, PATIENT));
		set_time(START + DAY);
		assert_ok!(open_glass(DOCTOR, OTHER_PATIENT));
		assert_noop!(open_glass(DOCTOR, GUARDIAN), Error::<Test>::PractitionerBreakGlassLimit);
		// Reopening for the same patient after expiry counts too.
		set_time(START + 3 * DAY);
		assert_noop!(open_glass(DOCTOR, PATIENT), Error::<Test>::PractitionerBreakGlassLimit);
		// One opening leaves the window at START + 7 days.
		set_time(START + 7 * DAY - 1);
		assert_noop!(open_glass(DOCTOR, GUARDIAN), Error::<Test>::PractitionerBreakGlassLimit);
		set_time(START + 7 * DAY);
		assert_ok!(open_glass(DOCTOR, GUARDIAN));
		assert_noop!(open_glass(DOCTOR, PATIENT), Error::<Test>::PractitionerBreakGlassLimit);
	});
}

/// `n` new practitioners of org 0 (the hospital of `DOCTOR`), hired by its admin.
fn hire_practitioners(n: u64) -> Vec<u64> {
	(0..n)
		.map(|i| {
			let who = 200 + i;
			assert_ok!(pallet_registry::Pallet::<Test>::add_member(
				RuntimeOrigin::signed(HOSPITAL_ADMIN),
				who,
				Role::Practitioner
			));
			who
		})
		.collect()
}

/// The sessions counted against `org`'s limit for `patient`.
fn counted_for(patient: u64, org: u32) -> Vec<u64> {
	crate::RecentBreakGlassByPatientAndOrganization::<Test>::get(patient, org)
		.into_iter()
		.map(|(id, _)| id)
		.collect()
}

#[test]
fn one_organization_breaks_the_glass_for_a_patient_at_most_the_limit_per_window() {
	build_and_execute(|| {
		// MaxBreakGlassPerPatientPerOrganization = 3 within a 7-day window.
		let staff = hire_practitioners(3);
		assert_ok!(open_glass(DOCTOR, PATIENT));
		assert_ok!(open_glass(staff[0], PATIENT));
		assert_ok!(open_glass(staff[1], PATIENT));
		assert_eq!(counted_for(PATIENT, 0), vec![0, 1, 2]);
		set_time(START + DAY);
		assert_noop!(open_glass(staff[2], PATIENT), Error::<Test>::PatientBreakGlassLimit);
		// The same practitioner may still break the glass for another patient.
		assert_ok!(open_glass(staff[2], OTHER_PATIENT));
		// The three openings leave the window at START + 7 days.
		set_time(START + 7 * DAY - 1);
		assert_noop!(open_glass(staff[2], PATIENT), Error::<Test>::PatientBreakGlassLimit);
		set_time(START + 7 * DAY);
		assert_ok!(open_glass(staff[2], PATIENT));
		assert_eq!(counted_for(PATIENT, 0), vec![4]);
	});
}

#[test]
fn ten_practitioners_of_one_hospital_cannot_lock_another_hospitals_doctor_out_of_a_patient() {
	build_and_execute(|| {
		// A malicious admin of org 0 hires ten practitioners who each break the glass for the
		// victim; only MaxBreakGlassPerPatientPerOrganization = 3 of them get through.
		let staff = hire_practitioners(10);
		for (i, who) in staff.iter().enumerate() {
			if i < 3 {
				assert_ok!(open_glass(*who, PATIENT));
			} else {
				assert_noop!(open_glass(*who, PATIENT), Error::<Test>::PatientBreakGlassLimit);
			}
		}
		// The genuine emergency doctors of org 1 and of the clinic (org 3) still get in, up to
		// their own organization's limit.
		assert_ok!(open_glass(OTHER_DOCTOR, PATIENT));
		assert_ok!(open_glass(THIRD_DOCTOR, PATIENT));
		assert_ok!(open_glass(CLINIC_DOCTOR, PATIENT));
		System::assert_last_event(
			Event::BreakGlassOpened {
				emergency_id: 5,
				patient: PATIENT,
				accessor: CLINIC_DOCTOR,
				org: 3,
				expires_at: START + DAY,
			}
			.into(),
		);
		assert_eq!(counted_for(PATIENT, 0), vec![0, 1, 2]);
		assert_eq!(counted_for(PATIENT, 1), vec![3, 4]);
		assert_eq!(counted_for(PATIENT, 3), vec![5]);
	});
}

#[test]
fn one_organizations_practitioners_together_break_the_glass_at_most_the_organization_limit() {
	build_and_execute(|| {
		// MaxBreakGlassPerOrganization = 5 within a 7-day window, over all practitioners of
		// org 0 and all patients; each practitioner stays under their own limit of 2 and each
		// patient under org 0's limit of 3.
		let staff = hire_practitioners(3);
		assert_ok!(open_glass(DOCTOR, PATIENT));
		assert_ok!(open_glass(DOCTOR, OTHER_PATIENT));
		set_time(START + DAY);
		assert_ok!(open_glass(staff[0], PATIENT));
		assert_ok!(open_glass(staff[0], OTHER_PATIENT));
		assert_ok!(open_glass(staff[1], PATIENT));
		// At the bound: practitioners under their own limit, for a patient org 0 never touched,
		// are refused.
		assert_noop!(open_glass(staff[1], GUARDIAN), Error::<Test>::OrganizationBreakGlassLimit);
		assert_noop!(open_glass(staff[2], GUARDIAN), Error::<Test>::OrganizationBreakGlassLimit);
		// Another organization is not limited by org 0's openings.
		assert_ok!(open_glass(OTHER_DOCTOR, GUARDIAN));
		// A dispute does not give the organization its slot back.
		assert_ok!(Consent::dispute(RuntimeOrigin::signed(PATIENT), 0));
		assert_noop!(open_glass(staff[1], GUARDIAN), Error::<Test>::OrganizationBreakGlassLimit);
		// The first two openings leave the window at START + 7 days, the next two a day later.
		set_time(START + 7 * DAY - 1);
		assert_noop!(open_glass(staff[2], GUARDIAN), Error::<Test>::OrganizationBreakGlassLimit);
		set_time(START + 7 * DAY);
		assert_ok!(open_glass(staff[1], GUARDIAN));
		assert_ok!(open_glass(staff[2], GUARDIAN));
		assert_noop!(
			open_glass(staff[2], OTHER_PATIENT),
			Error::<Test>::OrganizationBreakGlassLimit
		);
		assert_eq!(crate::RecentBreakGlassByOrganization::<Test>::get(0).len(), 5);
	});
}

#[test]
fn a_disputed_session_frees_its_slot_for_the_patient() {
	build_and_execute(|| {
		let staff = hire_practitioners(4);
		assert_ok!(open_glass(DOCTOR, PATIENT));
		assert_ok!(open_glass(staff[0], PATIENT));
		assert_ok!(open_glass(staff[1], PATIENT));
		// At the bound.
		assert_noop!(open_glass(staff[2], PATIENT), Error::<Test>::PatientBreakGlassLimit);
		set_time(START + 10);
		// The patient disputes staff[0]'s session: its slot is freed for a colleague.
		assert_ok!(Consent::dispute(RuntimeOrigin::signed(PATIENT), 1));
		assert_eq!(counted_for(PATIENT, 0), vec![0, 2]);
		assert_ok!(open_glass(staff[2], PATIENT));
		assert_eq!(counted_for(PATIENT, 0), vec![0, 2, 3]);
		// At the bound again, and the disputed practitioner stays blocked.
		set_time(START + 20);
		assert_noop!(open_glass(staff[3], PATIENT), Error::<Test>::PatientBreakGlassLimit);
		assert_noop!(open_glass(staff[0], PATIENT), Error::<Test>::BlockedByDispute);
		// A guardian's dispute of an expired session frees its slot as well.
		set_time(START + 2 * DAY);
		assert_ok!(Consent::dispute(RuntimeOrigin::signed(GUARDIAN), 0));
		assert_eq!(counted_for(PATIENT, 0), vec![2, 3]);
		// Disputing every counted session leaves no entry behind.
		assert_ok!(Consent::dispute(RuntimeOrigin::signed(PATIENT), 2));
		assert_ok!(Consent::dispute(RuntimeOrigin::signed(PATIENT), 3));
		assert!(!crate::RecentBreakGlassByPatientAndOrganization::<Test>::contains_key(PATIENT, 0));
	});
}

#[test]
fn a_record_written_under_a_disputed_session_gives_its_organization_no_rights() {
	build_and_execute(|| {
		let note = H256::repeat_byte(0xc1);
		assert_ok!(open_glass(DOCTOR, PATIENT));
		ScriptedRecords::add_under_session(note, PATIENT, FhirResourceType::Observation, 0, 0);
		assert_eq!(
			decide(HOSPITAL_ADMIN, note, Payment),
			Decision::Allowed(AccessBasis::AuthorOrganization)
		);
		assert_ok!(Consent::dispute(RuntimeOrigin::signed(PATIENT), 0));
		for purpose in [Treatment, Payment, Operations] {
			assert!(
				!matches!(decide(HOSPITAL_ADMIN, note, purpose), Decision::Allowed(_)),
				"{purpose:?} after the dispute"
			);
		}
		// Records the organization wrote outside the session keep their rights.
		assert_eq!(
			decide(OTHER_DOCTOR, LAB, Treatment),
			Decision::Allowed(AccessBasis::AuthorOrganization)
		);
	});
}

#[test]
fn the_mock_configuration_passes_the_integrity_test() {
	new_test_ext().execute_with(|| {
		<crate::Pallet<Test> as Hooks<u64>>::integrity_test();
	});
}

#[test]
fn emergency_ids_overflow_with_their_own_error() {
	build_and_execute(|| {
		NextEmergencyId::<Test>::put(u64::MAX);
		assert_noop!(open_glass(DOCTOR, PATIENT), Error::<Test>::EmergencyIdOverflow);
	});
}

// --- hole 9: bounded work ------------------------------------------------------------------

#[test]
fn a_grant_is_charged_its_worst_case_and_refunded_to_its_actual_cost() {
	build_and_execute(|| {
		use crate::WeightInfo;
		let call = crate::Call::<Test>::grant {
			patient: PATIENT,
			grantee: Grantee::Organization(0),
			scope: ConsentScope::ResourceTypes(vec![FhirResourceType::Observation]),
			purposes: vec![Treatment],
			expires_at: START + DAY,
			wrapped_keys: vec![(LAB, [1; 80])],
		};
		let charged = call.get_dispatch_info().call_weight;
		assert_eq!(charged, <() as WeightInfo>::grant(MaxGrantsPerPatient::get() - 1, 1, 1, 1));
		let post = Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Organization(0),
			ConsentScope::ResourceTypes(vec![FhirResourceType::Observation]),
			vec![Treatment],
			START + DAY,
			vec![(LAB, [1; 80])],
		)
		.expect("granted");
		assert_eq!(post.actual_weight, Some(<() as WeightInfo>::grant(0, 1, 1, 0)));
		assert!(post.actual_weight.is_some_and(|w| w.all_lte(charged)));
	});
}

#[test]
fn purposes_are_bounded_before_they_are_compared() {
	build_and_execute(|| {
		assert_noop!(
			grant_as(
				PATIENT,
				Grantee::Organization(0),
				ConsentScope::AllRecords,
				vec![Treatment; 100_000],
				START + DAY
			),
			Error::<Test>::DuplicatePurpose
		);
		assert_noop!(
			grant_as(
				PATIENT,
				Grantee::Organization(0),
				ConsentScope::AllRecords,
				vec![Treatment, Payment, Operations, Research, PublicHealth, Treatment],
				START + DAY
			),
			Error::<Test>::DuplicatePurpose
		);
	});
}

#[test]
fn the_access_checks_expose_their_worst_case_weight() {
	use crate::{CheckAccessWeight, CheckWriteWeight, WeightInfo};
	use frame_support::traits::Get;
	assert_eq!(
		CheckAccessWeight::<Test>::get(),
		<() as WeightInfo>::check_access(MaxGrantsPerPatient::get())
	);
	assert_eq!(
		CheckWriteWeight::<Test>::get(),
		<() as WeightInfo>::check_write(MaxGrantsPerPatient::get())
	);
	assert!(CheckAccessWeight::<Test>::get().any_gt(<() as WeightInfo>::check_access(0)));
}

// --- audit of the other paths --------------------------------------------------------------

#[test]
fn a_scope_may_not_repeat_an_item() {
	build_and_execute(|| {
		assert_noop!(
			grant_as(
				PATIENT,
				Grantee::Organization(0),
				ConsentScope::ResourceTypes(vec![FhirResourceType::Condition; 2]),
				vec![Treatment],
				START + DAY
			),
			Error::<Test>::DuplicateScopeItem
		);
		assert_noop!(
			grant_as(
				PATIENT,
				Grantee::Organization(0),
				ConsentScope::Records(vec![LAB, LAB]),
				vec![Treatment],
				START + DAY
			),
			Error::<Test>::DuplicateScopeItem
		);
	});
}

/// The attack: the same grant again with its lists reordered slips past the duplicate check
/// and fills the patient's consent list.
#[test]
fn a_reordered_duplicate_grant_is_refused() {
	build_and_execute(|| {
		let types = |a, b| ConsentScope::ResourceTypes(vec![a, b]);
		use FhirResourceType::{AllergyIntolerance as Allergy, Condition};
		assert_ok!(grant_as(
			PATIENT,
			Grantee::Organization(0),
			types(Allergy, Condition),
			vec![Treatment, Payment],
			START + DAY
		));
		assert_noop!(
			grant_as(
				PATIENT,
				Grantee::Organization(0),
				types(Condition, Allergy),
				vec![Payment, Treatment],
				START + 2 * DAY
			),
			Error::<Test>::DuplicateGrant
		);
		assert_noop!(
			grant_as(
				GUARDIAN,
				Grantee::Organization(0),
				types(Allergy, Condition),
				vec![Payment, Treatment],
				START + 2 * DAY
			),
			Error::<Test>::DuplicateGrant
		);
	});
}

#[test]
fn keys_may_be_deposited_only_for_the_patients_own_records() {
	build_and_execute(|| {
		assert_noop!(
			Consent::grant(
				RuntimeOrigin::signed(PATIENT),
				PATIENT,
				Grantee::Organization(0),
				ConsentScope::AllRecords,
				vec![Treatment],
				START + DAY,
				vec![(OTHERS, [1; 80])],
			),
			Error::<Test>::RecordNotOfPatient
		);
		assert_noop!(
			Consent::grant(
				RuntimeOrigin::signed(GUARDIAN),
				OTHER_PATIENT,
				Grantee::Organization(0),
				ConsentScope::AllRecords,
				vec![Treatment],
				START + DAY,
				vec![(OTHERS, [1; 80])],
			),
			Error::<Test>::NotPatientOrGuardian
		);
		ScriptedRecords::erase(LAB);
		assert_noop!(
			Consent::grant(
				RuntimeOrigin::signed(PATIENT),
				PATIENT,
				Grantee::Organization(0),
				ConsentScope::AllRecords,
				vec![Treatment],
				START + DAY,
				vec![(LAB, [1; 80])],
			),
			Error::<Test>::RecordErased
		);
	});
}

#[test]
fn strangers_may_neither_grant_nor_revoke() {
	build_and_execute(|| {
		for who in [DOCTOR, HOSPITAL_ADMIN, OTHER_PATIENT, STRANGER] {
			assert_noop!(
				grant_as(
					who,
					Grantee::Organization(0),
					ConsentScope::AllRecords,
					vec![Treatment],
					START + DAY
				),
				Error::<Test>::NotPatientOrGuardian
			);
		}
		let id = grant_org(0, ConsentScope::AllRecords, vec![Treatment]);
		for who in [DOCTOR, HOSPITAL_ADMIN, OTHER_PATIENT, STRANGER] {
			assert_noop!(
				Consent::revoke(RuntimeOrigin::signed(who), id),
				Error::<Test>::NotPatientOrGuardian
			);
		}
		// A guardian who was removed may not act any more.
		assert_ok!(pallet_registry::Pallet::<Test>::remove_guardian(
			RuntimeOrigin::signed(PATIENT),
			GUARDIAN
		));
		assert_noop!(
			Consent::revoke(RuntimeOrigin::signed(GUARDIAN), id),
			Error::<Test>::NotPatientOrGuardian
		);
	});
}

// --- genesis and invariants ----------------------------------------------------------------

#[test]
fn genesis_consents_are_granted_by_their_patients_and_audited() {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("system genesis");
	pallet_registry::GenesisConfig::<Test> {
		organizations: vec![(
			carechain_primitives::OrgKind::Hospital,
			pallet_registry::Licence::gln([b'1'; 12]),
			H256::repeat_byte(1),
			vec![(DOCTOR, Role::Practitioner)],
		)],
		patients: vec![(PATIENT, [1u8; 32])],
		validators: Vec::new(),
	}
	.assimilate_storage(&mut storage)
	.expect("registry genesis");
	crate::GenesisConfig::<Test> {
		consents: vec![(
			PATIENT,
			Grantee::Organization(0),
			ConsentScope::AllRecords,
			vec![Treatment, Payment, Operations],
			u64::MAX,
		)],
	}
	.assimilate_storage(&mut storage)
	.expect("consent genesis");
	sp_io::TestExternalities::new(storage).execute_with(|| {
		let consent = Consents::<Test>::get(0).expect("granted at genesis");
		assert_eq!((consent.granted_by, consent.grantee_org), (PATIENT, 0));
		assert_eq!(PatientConsents::<Test>::get(PATIENT).into_inner(), vec![0]);
		assert_eq!(AuditLength::<Test>::get(PATIENT), 1);
		System::set_block_number(1);
		Timestamp::set_timestamp(START);
		assert_eq!(
			Consent::check_write(&PATIENT, &DOCTOR, FhirResourceType::Condition, START),
			Decision::Allowed(AccessBasis::Consent(0))
		);
		Consent::do_try_state().expect("invariants hold");
	});
}

#[test]
#[should_panic(expected = "genesis consent")]
fn an_invalid_genesis_consent_is_refused() {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("system genesis");
	crate::GenesisConfig::<Test> {
		consents: vec![(
			PATIENT,
			Grantee::Organization(0),
			ConsentScope::AllRecords,
			vec![Treatment],
			1,
		)],
	}
	.assimilate_storage(&mut storage)
	.expect("panics before");
}

#[test]
fn try_state_finds_broken_invariants() {
	let broken = |corrupt: fn()| {
		new_test_ext().execute_with(|| {
			assert_ok!(Consent::grant(
				RuntimeOrigin::signed(PATIENT),
				PATIENT,
				Grantee::Organization(0),
				ConsentScope::AllRecords,
				vec![Treatment],
				START + DAY,
				vec![(LAB, [1; 80])],
			));
			assert_ok!(open_glass(DOCTOR, PATIENT));
			assert_ok!(Consent::dispute(RuntimeOrigin::signed(PATIENT), 0));
			assert_ok!(Consent::do_try_state());
			corrupt();
			assert!(Consent::do_try_state().is_err());
		})
	};
	broken(|| PatientConsents::<Test>::remove(PATIENT));
	broken(|| Consents::<Test>::remove(0));
	broken(|| RecordKeyHolders::<Test>::remove(LAB, 0));
	broken(|| GrantedKeys::<Test>::remove(0, LAB));
	broken(|| AuditTrail::<Test>::remove(PATIENT, 0));
	broken(|| AuditLength::<Test>::mutate(PATIENT, |l| *l += 1));
	broken(|| AuditLength::<Test>::mutate(PATIENT, |l| *l -= 1));
	broken(|| {
		// Reordered: the first entry now claims a later time than the second.
		AuditTrail::<Test>::mutate(PATIENT, 0, |e| {
			if let Some(e) = e {
				e.timestamp = START + 1;
			}
		})
	});
	broken(|| crate::EmergencyAccess::<Test>::insert(OTHER_PATIENT, DOCTOR, 0));
	broken(|| DisputeBlocks::<Test>::insert(PATIENT, OTHER_DOCTOR, 0));
	broken(|| {
		Emergencies::<Test>::mutate(0, |e| {
			if let Some(e) = e {
				e.disputed = false;
			}
		})
	});
	broken(|| {
		// The disputed session counted again against org 0's limit for the patient.
		crate::RecentBreakGlassByPatientAndOrganization::<Test>::insert(
			PATIENT,
			0,
			frame_support::BoundedVec::truncate_from(vec![(0, START)]),
		)
	});
	broken(|| {
		// An opening counted for an organization that did not open it.
		Emergencies::<Test>::mutate(0, |e| {
			if let Some(e) = e {
				e.disputed = false;
			}
		});
		DisputeBlocks::<Test>::remove(PATIENT, DOCTOR);
		crate::RecentBreakGlassByPatientAndOrganization::<Test>::insert(
			PATIENT,
			1,
			frame_support::BoundedVec::truncate_from(vec![(0, START)]),
		)
	});
	broken(|| {
		crate::RecentBreakGlassByOrganization::<Test>::insert(
			0,
			frame_support::BoundedVec::truncate_from(vec![START + 1, START]),
		)
	});
}

/// The attack: a practitioner with an older session that the patient disputes keeps using a
/// newer one opened before the dispute.
#[test]
fn a_dispute_of_an_older_session_also_stops_a_newer_one() {
	build_and_execute(|| {
		assert_ok!(open_glass(DOCTOR, PATIENT));
		set_time(START + DAY);
		assert_ok!(open_glass(DOCTOR, PATIENT));
		assert_eq!(decide(DOCTOR, LAB, Treatment), Decision::Allowed(AccessBasis::BreakGlass(1)));
		assert_ok!(Consent::dispute(RuntimeOrigin::signed(PATIENT), 0));
		assert_eq!(decide(DOCTOR, LAB, Treatment), Decision::Denied(DenialReason::NoConsent));
		assert_eq!(
			write(DOCTOR, FhirResourceType::Condition),
			Decision::Denied(DenialReason::NoConsent)
		);
	});
}

#[test]
fn a_revocation_is_refunded_to_the_keys_it_destroyed() {
	build_and_execute(|| {
		use crate::WeightInfo;
		let id = grant_org(0, ConsentScope::AllRecords, vec![Treatment]);
		let post = Consent::revoke(RuntimeOrigin::signed(PATIENT), id).expect("revoked");
		assert_eq!(post.actual_weight, Some(<() as WeightInfo>::revoke(0)));
	});
}

#[test]
fn the_sweep_charges_a_removal_its_worst_case_and_a_kept_consent_a_visit() {
	build_and_execute(|| {
		use crate::WeightInfo;
		use frame_support::traits::Get;
		grant_org(0, ConsentScope::AllRecords, vec![Treatment]);
		assert_ok!(grant_as(
			PATIENT,
			Grantee::Organization(1),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + 90 * DAY
		));
		let base: Weight = <<Test as frame_system::Config>::DbWeight as Get<
			frame_support::weights::RuntimeDbWeight,
		>>::get()
		.reads_writes(2, 1);
		set_time(START + 31 * DAY);
		assert_eq!(
			Consent::on_idle(2, Weight::MAX),
			base + <() as WeightInfo>::sweep_expired_item()
				+ <() as WeightInfo>::sweep_expired_visit()
		);
		assert_eq!(PatientConsents::<Test>::get(PATIENT).into_inner(), vec![1]);
		// Too little room for a removal's worst case: nothing is visited.
		let tight = base + <() as WeightInfo>::sweep_expired_item() - Weight::from_parts(1, 0);
		assert_eq!(Consent::on_idle(3, tight), base);
	});
}
