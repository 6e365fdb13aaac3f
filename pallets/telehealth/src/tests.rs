//! Unit tests of the telehealth pallet: each call's success and named errors, and the ways
//! around its checks (another organization's admin, a clerk, an expired, revoked or
//! wrong-jurisdiction licence, a forged, missing, replayed or altered countersignature, a
//! stranger acting for the patient, times out of order).

// Test set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate::{
	attestation_payload, mock::*, AppointmentId, AppointmentStatus, Appointments, Encounter, Error,
	Event, Jurisdiction, Licences, Modality,
};
use frame_support::{assert_noop, assert_ok};
use sp_core::H256;
use sp_runtime::testing::TestSignature;

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn ca() -> Jurisdiction {
	Jurisdiction::parse("US-CA").expect("a code")
}

fn ny() -> Jurisdiction {
	Jurisdiction::parse("US-NY").expect("a code")
}

fn licence(doctor: u64, jurisdiction: Jurisdiction) {
	assert_ok!(Telehealth::issue_licence(
		signed(BOARD_OFFICER),
		doctor,
		jurisdiction,
		START + 365 * DAY
	));
}

/// A video appointment of the patient with St. Mary's doctor in California, an hour from now
/// for half an hour, booked.
fn booked() -> AppointmentId {
	licence(MARYS_DOCTOR, ca());
	let id = crate::NextAppointmentId::<Test>::get();
	assert_ok!(Telehealth::propose_appointment(
		signed(MARYS_DOCTOR),
		PATIENT,
		ca(),
		START + HOUR,
		START + HOUR + HOUR / 2,
		Modality::Video
	));
	assert_ok!(Telehealth::book(signed(PATIENT), id));
	id
}

fn encounter() -> Encounter {
	Encounter {
		started_at: START + HOUR,
		ended_at: START + HOUR + 25 * 60_000,
		note_hash: H256::repeat_byte(7),
	}
}

fn countersigned(
	signer: u64,
	id: AppointmentId,
	e: &Encounter,
	modality: Modality,
) -> TestSignature {
	TestSignature(signer, attestation_payload(id, e, modality))
}

fn attest(
	id: AppointmentId,
	e: Encounter,
	signature: TestSignature,
) -> frame_support::dispatch::DispatchResult {
	Telehealth::attest_encounter(
		signed(MARYS_DOCTOR),
		id,
		PATIENT,
		Modality::Video,
		e.started_at,
		e.ended_at,
		e.note_hash,
		signature,
	)
	.map(|_| ())
	.map_err(|e| e.error)
}

#[test]
fn jurisdictions_are_iso_3166_2_codes() {
	for good in ["US-CA", "DE-BY", "FR-75", "GB-ENG", "US-1"] {
		assert!(Jurisdiction::parse(good).is_some(), "{good}");
	}
	for bad in ["", "US", "us-ca", "USCA", "US-", "US-CAL9", "U1-CA", "US_CA", "US-ca", "US-CALIF"]
	{
		assert!(Jurisdiction::parse(bad).is_none(), "{bad}");
	}
	assert!(!Jurisdiction(*b"US-C\0A").is_valid(), "bytes after the padding");
}

#[test]
fn regulators_and_the_practitioners_own_admin_issue_licences() {
	new_test_ext().execute_with(|| {
		let issue = |who, doctor| Telehealth::issue_licence(signed(who), doctor, ca(), START + DAY);
		assert_ok!(issue(MARYS_ADMIN, MARYS_DOCTOR));
		assert_eq!(Licences::<Test>::get(MARYS_DOCTOR, ca()).map(|l| l.issuer), Some(MARYS));
		assert_ok!(issue(BOARD_OFFICER, MARYS_DOCTOR));
		System::assert_last_event(
			Event::LicenceIssued {
				practitioner: MARYS_DOCTOR,
				jurisdiction: ca(),
				issuer: BOARD,
				expires_at: START + DAY,
			}
			.into(),
		);
		// The hospital's admin cannot replace the board's licence (nor undo its revocation).
		assert_noop!(issue(MARYS_ADMIN, MARYS_DOCTOR), Error::<Test>::RegulatorsDecision);
		assert_ok!(Telehealth::revoke_licence(signed(BOARD_OFFICER), MARYS_DOCTOR, ca()));
		assert_noop!(issue(MARYS_ADMIN, MARYS_DOCTOR), Error::<Test>::RegulatorsDecision);
		assert_ok!(issue(BOARD_OFFICER, MARYS_DOCTOR));
		// A licence the hospital revoked itself is not the hospital's to restore either.
		assert_ok!(issue(CITY_ADMIN, CITY_DOCTOR));
		assert_ok!(Telehealth::revoke_licence(signed(CITY_ADMIN), CITY_DOCTOR, ca()));
		assert_noop!(issue(CITY_ADMIN, CITY_DOCTOR), Error::<Test>::RegulatorsDecision);
		// Another organization's admin, a clerk, a payer, a stranger and the doctor themself
		// issue nothing.
		assert_noop!(issue(CITY_ADMIN, MARYS_DOCTOR), Error::<Test>::NotLicenceIssuer);
		assert_noop!(issue(MARYS_CLERK, MARYS_DOCTOR), Error::<Test>::NotLicenceIssuer);
		assert_noop!(issue(PAYER_ADMIN, MARYS_DOCTOR), Error::<Test>::NotLicenceIssuer);
		assert_noop!(issue(STRANGER, MARYS_DOCTOR), Error::<Test>::NotLicenceIssuer);
		assert_noop!(issue(MARYS_DOCTOR, MARYS_DOCTOR), Error::<Test>::NotLicenceIssuer);
		// Only practitioners of care providers hold licences.
		assert_noop!(issue(BOARD_OFFICER, MARYS_CLERK), Error::<Test>::NotPractitioner);
		assert_noop!(issue(BOARD_OFFICER, PATIENT), Error::<Test>::NotPractitioner);
		assert_noop!(
			Telehealth::issue_licence(signed(BOARD_OFFICER), MARYS_DOCTOR, ca(), START),
			Error::<Test>::ExpiryInPast
		);
		assert_noop!(
			Telehealth::issue_licence(
				signed(BOARD_OFFICER),
				MARYS_DOCTOR,
				Jurisdiction(*b"us-ca\0"),
				START + DAY
			),
			Error::<Test>::BadJurisdiction
		);
	});
}

#[test]
fn the_issuer_or_a_regulator_revokes_a_licence() {
	new_test_ext().execute_with(|| {
		assert_ok!(Telehealth::issue_licence(signed(MARYS_ADMIN), MARYS_DOCTOR, ca(), START + DAY));
		assert_noop!(
			Telehealth::revoke_licence(signed(CITY_ADMIN), MARYS_DOCTOR, ca()),
			Error::<Test>::NotLicenceIssuer
		);
		assert_noop!(
			Telehealth::revoke_licence(signed(MARYS_DOCTOR), MARYS_DOCTOR, ca()),
			Error::<Test>::NotLicenceIssuer
		);
		assert_noop!(
			Telehealth::revoke_licence(signed(BOARD_OFFICER), MARYS_DOCTOR, ny()),
			Error::<Test>::UnknownLicence
		);
		assert_ok!(Telehealth::revoke_licence(signed(BOARD_OFFICER), MARYS_DOCTOR, ca()));
		assert!(!Telehealth::licensed(&MARYS_DOCTOR, ca(), START));
		assert_noop!(
			Telehealth::revoke_licence(signed(MARYS_ADMIN), MARYS_DOCTOR, ca()),
			Error::<Test>::AlreadyRevoked
		);
	});
}

#[test]
fn appointments_need_a_licence_for_the_jurisdiction_at_their_start() {
	new_test_ext().execute_with(|| {
		let propose = |who, jurisdiction, start: u64| {
			Telehealth::propose_appointment(
				signed(who),
				PATIENT,
				jurisdiction,
				start,
				start + HOUR,
				Modality::Video,
			)
		};
		assert_noop!(propose(MARYS_DOCTOR, ca(), START + HOUR), Error::<Test>::NotLicensed);
		assert_ok!(Telehealth::issue_licence(
			signed(BOARD_OFFICER),
			MARYS_DOCTOR,
			ca(),
			START + DAY
		));
		// The wrong jurisdiction, or a start after the licence ends.
		assert_noop!(propose(MARYS_DOCTOR, ny(), START + HOUR), Error::<Test>::NotLicensed);
		assert_noop!(propose(MARYS_DOCTOR, ca(), START + DAY), Error::<Test>::NotLicensed);
		assert_ok!(propose(MARYS_DOCTOR, ca(), START + HOUR));
		System::assert_last_event(
			Event::AppointmentProposed { appointment: 0, org: MARYS, modality: Modality::Video }
				.into(),
		);
		// Not a practitioner; not a patient; times in the past, reversed or too long.
		assert_noop!(propose(MARYS_CLERK, ca(), START + HOUR), Error::<Test>::NotPractitioner);
		assert_noop!(propose(BOARD_OFFICER, ca(), START + HOUR), Error::<Test>::NotPractitioner);
		assert_noop!(
			Telehealth::propose_appointment(
				signed(MARYS_DOCTOR),
				STRANGER,
				ca(),
				START + HOUR,
				START + 2 * HOUR,
				Modality::Video
			),
			Error::<Test>::NotPatient
		);
		assert_noop!(propose(MARYS_DOCTOR, ca(), START), Error::<Test>::BadTimes);
		assert_noop!(
			Telehealth::propose_appointment(
				signed(MARYS_DOCTOR),
				PATIENT,
				ca(),
				START + 2 * HOUR,
				START + HOUR,
				Modality::Video
			),
			Error::<Test>::BadTimes
		);
		assert_noop!(
			Telehealth::propose_appointment(
				signed(MARYS_DOCTOR),
				PATIENT,
				ca(),
				START + HOUR,
				START + 4 * HOUR,
				Modality::Video
			),
			Error::<Test>::BadTimes
		);
	});
}

#[test]
fn only_the_patient_or_a_guardian_books_and_either_side_cancels() {
	new_test_ext().execute_with(|| {
		licence(MARYS_DOCTOR, ca());
		for _ in 0..3 {
			assert_ok!(Telehealth::propose_appointment(
				signed(MARYS_DOCTOR),
				PATIENT,
				ca(),
				START + HOUR,
				START + 2 * HOUR,
				Modality::AudioOnly
			));
		}
		assert_noop!(
			Telehealth::book(signed(OTHER_PATIENT), 0),
			Error::<Test>::NotPatientOrGuardian
		);
		assert_noop!(
			Telehealth::book(signed(MARYS_DOCTOR), 0),
			Error::<Test>::NotPatientOrGuardian
		);
		assert_ok!(Telehealth::book(signed(GUARDIAN), 0));
		assert_noop!(Telehealth::book(signed(PATIENT), 0), Error::<Test>::WrongStatus);
		assert_noop!(Telehealth::book(signed(PATIENT), 9), Error::<Test>::UnknownAppointment);
		assert_noop!(Telehealth::cancel(signed(CITY_DOCTOR), 0), Error::<Test>::NotParty);
		assert_noop!(Telehealth::cancel(signed(OTHER_PATIENT), 0), Error::<Test>::NotParty);
		assert_ok!(Telehealth::cancel(signed(MARYS_DOCTOR), 0));
		assert_ok!(Telehealth::cancel(signed(PATIENT), 1));
		assert_noop!(Telehealth::cancel(signed(PATIENT), 1), Error::<Test>::WrongStatus);
		// A proposal whose start has passed cannot be booked.
		Timestamp::set_timestamp(START + HOUR);
		assert_noop!(Telehealth::book(signed(PATIENT), 2), Error::<Test>::BadTimes);
	});
}

#[test]
fn an_encounter_needs_the_patients_signature_over_exactly_its_facts() {
	new_test_ext().execute_with(|| {
		let id = booked();
		Timestamp::set_timestamp(START + 2 * HOUR);
		let e = encounter();
		// Missing (another's), forged (altered facts) and replayed (another appointment's)
		// countersignatures are refused.
		assert_noop!(
			attest(id, e, countersigned(OTHER_PATIENT, id, &e, Modality::Video)),
			Error::<Test>::BadCountersignature
		);
		assert_noop!(
			attest(id, e, countersigned(MARYS_DOCTOR, id, &e, Modality::Video)),
			Error::<Test>::BadCountersignature
		);
		let longer = Encounter { ended_at: e.ended_at + 30 * 60_000, ..e };
		assert_noop!(
			attest(id, longer, countersigned(PATIENT, id, &e, Modality::Video)),
			Error::<Test>::BadCountersignature
		);
		assert_noop!(
			attest(id, e, countersigned(PATIENT, id, &e, Modality::AudioOnly)),
			Error::<Test>::BadCountersignature
		);
		assert_noop!(
			attest(id, e, countersigned(PATIENT, id + 1, &e, Modality::Video)),
			Error::<Test>::BadCountersignature
		);
		let other_note = Encounter { note_hash: H256::repeat_byte(8), ..e };
		assert_noop!(
			attest(id, other_note, countersigned(PATIENT, id, &e, Modality::Video)),
			Error::<Test>::BadCountersignature
		);
		// Only the appointment's practitioner submits it.
		assert_noop!(
			Telehealth::attest_encounter(
				signed(CITY_DOCTOR),
				id,
				PATIENT,
				Modality::Video,
				e.started_at,
				e.ended_at,
				e.note_hash,
				countersigned(PATIENT, id, &e, Modality::Video)
			),
			Error::<Test>::NotAppointmentPractitioner
		);
		// Naming another patient (whose signature it is) does not pass either.
		assert_noop!(
			Telehealth::attest_encounter(
				signed(MARYS_DOCTOR),
				id,
				OTHER_PATIENT,
				Modality::Video,
				e.started_at,
				e.ended_at,
				e.note_hash,
				countersigned(OTHER_PATIENT, id, &e, Modality::Video)
			),
			Error::<Test>::WrongAppointmentFacts
		);
		assert_ok!(attest(id, e, countersigned(PATIENT, id, &e, Modality::Video)));
		System::assert_last_event(
			Event::EncounterAttested {
				appointment: id,
				org: MARYS,
				modality: Modality::Video,
				minutes: 25,
			}
			.into(),
		);
		let stored = Appointments::<Test>::get(id).expect("kept");
		assert_eq!((stored.status, stored.encounter), (AppointmentStatus::Fulfilled, Some(e)));
		// Once only.
		assert_noop!(
			attest(id, e, countersigned(PATIENT, id, &e, Modality::Video)),
			Error::<Test>::WrongStatus
		);
	});
}

#[test]
fn an_encounter_keeps_to_its_times_and_the_licence() {
	new_test_ext().execute_with(|| {
		let id = booked();
		let e = encounter();
		let sig = |e: &Encounter| countersigned(PATIENT, id, e, Modality::Video);
		// Not ended yet.
		assert_noop!(attest(id, e, sig(&e)), Error::<Test>::BadEncounterTimes);
		Timestamp::set_timestamp(START + 3 * DAY);
		for bad in [
			Encounter { ended_at: e.started_at, ..e },
			Encounter { ended_at: e.started_at + 3 * HOUR, ..e },
			Encounter { started_at: START + 2 * DAY, ended_at: START + 2 * DAY + HOUR, ..e },
			Encounter { ended_at: START + 4 * DAY, ..e },
		] {
			assert_noop!(attest(id, bad, sig(&bad)), Error::<Test>::BadEncounterTimes);
		}
		let zero = Encounter { note_hash: H256::zero(), ..e };
		assert_noop!(attest(id, zero, sig(&zero)), Error::<Test>::ZeroHash);
		// A licence revoked before the visit voids it.
		assert_ok!(Telehealth::revoke_licence(signed(BOARD_OFFICER), MARYS_DOCTOR, ca()));
		assert_noop!(attest(id, e, sig(&e)), Error::<Test>::NotLicensed);
	});
}

#[test]
fn a_booked_appointment_past_its_end_is_a_no_show() {
	new_test_ext().execute_with(|| {
		let id = booked();
		assert_noop!(Telehealth::mark_no_show(signed(MARYS_DOCTOR), id), Error::<Test>::NotEnded);
		Timestamp::set_timestamp(START + 2 * HOUR);
		assert_noop!(
			Telehealth::mark_no_show(signed(CITY_DOCTOR), id),
			Error::<Test>::NotAppointmentPractitioner
		);
		assert_noop!(
			Telehealth::mark_no_show(signed(PATIENT), id),
			Error::<Test>::NotAppointmentPractitioner
		);
		assert_ok!(Telehealth::mark_no_show(signed(MARYS_DOCTOR), id));
		assert_eq!(
			Appointments::<Test>::get(id).map(|a| a.status),
			Some(AppointmentStatus::NoShow)
		);
		// A no-show is not attested afterwards.
		let e = encounter();
		assert_noop!(
			attest(id, e, countersigned(PATIENT, id, &e, Modality::Video)),
			Error::<Test>::WrongStatus
		);
	});
}

#[test]
fn events_name_no_patient() {
	new_test_ext().execute_with(|| {
		let id = booked();
		Timestamp::set_timestamp(START + 2 * HOUR);
		let e = encounter();
		assert_ok!(attest(id, e, countersigned(PATIENT, id, &e, Modality::Video)));
		let patient = codec::Encode::encode(&PATIENT);
		for record in System::events() {
			if let RuntimeEvent::Telehealth(event) = record.event {
				let bytes = codec::Encode::encode(&event);
				assert!(
					!bytes.windows(patient.len()).any(|w| w == patient.as_slice()),
					"{event:?}"
				);
				assert!(!bytes.windows(32).any(|w| w == e.note_hash.as_bytes()), "{event:?}");
			}
		}
	});
}

#[test]
fn try_state_finds_an_encounter_on_an_unfulfilled_appointment() {
	new_test_ext().execute_with(|| {
		let id = booked();
		Appointments::<Test>::mutate(id, |a| {
			a.as_mut().expect("kept").encounter = Some(encounter())
		});
		assert!(Telehealth::do_try_state().is_err());
		Appointments::<Test>::mutate(id, |a| a.as_mut().expect("kept").encounter = None);
	});
}

/// The bytes client-js's `attestationPayload` gives for the same facts (its
/// `telehealth.test.js` asserts the same hex): a wallet countersigns exactly what the chain checks.
#[test]
fn the_attestation_payload_matches_the_wallet_sdk() {
	let encounter = Encounter {
		started_at: 1_700_000_060_000,
		ended_at: 1_700_001_200_000,
		note_hash: H256::repeat_byte(9),
	};
	let payload = attestation_payload(7, &encounter, Modality::AudioOnly);
	let expected = "63617265636861696e2f74656c656865616c74682f656e636f756e7465722f7631070000006052e6cf8b01000080b7f7cf8b010000010909090909090909090909090909090909090909090909090909090909090909";
	let hex: String = payload.iter().map(|b| format!("{b:02x}")).collect();
	assert_eq!(hex, expected);
}

/// A fulfilled video visit of the patient with St. Mary's doctor: (id, the encounter).
fn fulfilled() -> (AppointmentId, Encounter) {
	let id = booked();
	let e = encounter();
	Timestamp::set_timestamp(e.ended_at);
	assert_ok!(attest(id, e, countersigned(PATIENT, id, &e, Modality::Video)));
	(id, e)
}

/// A record in the mock index: a `resource_type` of `patient` by `org` at `at`.
fn record(
	seed: u8,
	patient: u64,
	resource_type: carechain_primitives::FhirResourceType,
	org: Option<u32>,
	at: u64,
) -> H256 {
	let id = H256::repeat_byte(seed);
	MockRecords::insert(
		id,
		carechain_primitives::RecordSubject {
			patient,
			resource_type,
			author_org: org,
			erased: false,
			current: true,
			created_at: at,
			emergency: None,
		},
	);
	id
}

#[test]
fn a_prescription_is_linked_once_to_the_encounter_it_was_issued_in() {
	use carechain_primitives::FhirResourceType::{MedicationRequest, Observation};
	new_test_ext().execute_with(|| {
		let open = booked();
		let (id, e) = fulfilled();
		let during = e.started_at + 60_000;
		let rx = record(1, PATIENT, MedicationRequest, Some(MARYS), during);
		// Only the appointment's practitioner, once it is fulfilled.
		assert_noop!(
			Telehealth::link_prescription(signed(CITY_DOCTOR), id, rx),
			Error::<Test>::NotAppointmentPractitioner
		);
		assert_noop!(
			Telehealth::link_prescription(signed(MARYS_DOCTOR), open, rx),
			Error::<Test>::WrongStatus
		);
		// The record must be a current prescription of this patient by this organization,
		// written from the visit's start to a day after its end.
		let cases = [
			(H256::repeat_byte(9), Error::<Test>::UnknownRecord),
			(record(2, PATIENT, Observation, Some(MARYS), during), Error::<Test>::NotPrescription),
			(
				record(3, OTHER_PATIENT, MedicationRequest, Some(MARYS), during),
				Error::<Test>::PrescriptionNotOfEncounter,
			),
			(
				record(4, PATIENT, MedicationRequest, Some(1), during),
				Error::<Test>::PrescriptionNotOfEncounter,
			),
			(
				record(5, PATIENT, MedicationRequest, None, during),
				Error::<Test>::PrescriptionNotOfEncounter,
			),
			(
				record(6, PATIENT, MedicationRequest, Some(MARYS), e.started_at - 1),
				Error::<Test>::PrescriptionOutsideEncounter,
			),
			(
				record(7, PATIENT, MedicationRequest, Some(MARYS), e.ended_at + DAY + 1),
				Error::<Test>::PrescriptionOutsideEncounter,
			),
		];
		for (bad, error) in cases {
			assert_noop!(Telehealth::link_prescription(signed(MARYS_DOCTOR), id, bad), error);
		}
		let amended = record(8, PATIENT, MedicationRequest, Some(MARYS), during);
		MockRecords::insert(
			amended,
			carechain_primitives::RecordSubject {
				current: false,
				..crate::mock::MockRecords::subject(amended)
			},
		);
		assert_noop!(
			Telehealth::link_prescription(signed(MARYS_DOCTOR), id, amended),
			Error::<Test>::PrescriptionNotCurrent
		);

		assert_ok!(Telehealth::link_prescription(signed(MARYS_DOCTOR), id, rx));
		System::assert_last_event(Event::PrescriptionLinked { appointment: id }.into());
		assert_eq!(crate::PrescriptionEncounters::<Test>::get(rx), Some(id));
		assert_noop!(
			Telehealth::link_prescription(signed(MARYS_DOCTOR), id, rx),
			Error::<Test>::AlreadyLinked
		);
		// Two at most per encounter in the mock.
		let second = record(10, PATIENT, MedicationRequest, Some(MARYS), during);
		assert_ok!(Telehealth::link_prescription(signed(MARYS_DOCTOR), id, second));
		let third = record(11, PATIENT, MedicationRequest, Some(MARYS), during);
		assert_noop!(
			Telehealth::link_prescription(signed(MARYS_DOCTOR), id, third),
			Error::<Test>::TooManyPrescriptions
		);
		assert_eq!(crate::EncounterPrescriptions::<Test>::get(id).to_vec(), vec![rx, second]);
	});
}

#[test]
fn appointments_are_proposed_at_most_a_year_ahead() {
	new_test_ext().execute_with(|| {
		assert_ok!(Telehealth::issue_licence(signed(BOARD_OFFICER), MARYS_DOCTOR, ca(), u64::MAX));
		let propose = |start: u64| {
			Telehealth::propose_appointment(
				signed(MARYS_DOCTOR),
				PATIENT,
				ca(),
				start,
				start.saturating_add(HOUR),
				Modality::Video,
			)
		};
		// Far-future times (past year 9999 even) are refused: views write them as dates.
		assert_noop!(propose(u64::MAX - HOUR), Error::<Test>::BadTimes);
		assert_noop!(propose(START + crate::MAX_LEAD_TIME + 1), Error::<Test>::BadTimes);
		assert_ok!(propose(START + crate::MAX_LEAD_TIME));
	});
}
