//! Unit tests of the records pallet, the consent scenario of the whole access model, and the
//! check that no plaintext reaches chain state.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate::{
	mock::*, Error, Event, PatientRecordCount, RecordContent, RecordStatus, Records as RecordStore,
};
use carechain_primitives::{AccessBasis, AuditAction, FhirResourceType, Purpose, RecordId};
use frame_support::{assert_noop, assert_ok};
use pallet_consent::{ConsentScope, EmergencyReason, Grantee};
use sp_core::H256;
use sp_io::hashing::blake2_256;

use FhirResourceType::*;
use Purpose::*;

fn content(seed: u8) -> RecordContent {
	RecordContent {
		content_hash: H256::repeat_byte(seed),
		size: 1234,
		locator: H256::repeat_byte(seed),
		patient_key: [seed; 80],
	}
}

fn create(author: u64, seed: u8) -> RecordId {
	let index = PatientRecordCount::<Test>::get(PATIENT);
	let id = Records::record_id(&PATIENT, index);
	assert_ok!(Records::create_record(
		RuntimeOrigin::signed(author),
		PATIENT,
		Observation,
		content(seed)
	));
	id
}

fn amend(who: u64, record: RecordId, seed: u8) -> RecordId {
	let index = PatientRecordCount::<Test>::get(PATIENT);
	let id = Records::record_id(&PATIENT, index);
	assert_ok!(Records::amend_record(RuntimeOrigin::signed(who), record, content(seed)));
	id
}

/// The patient lets organization `org` read and write its records for treatment; the
/// consent's id.
fn allow_treatment(org: u32) -> u64 {
	let id = pallet_consent::NextConsentId::<Test>::get();
	assert_ok!(Consent::grant(
		RuntimeOrigin::signed(PATIENT),
		PATIENT,
		Grantee::Organization(org),
		ConsentScope::AllRecords,
		vec![Treatment],
		START + 365 * DAY,
		vec![],
	));
	id
}

fn last_audit() -> pallet_consent::AuditEntry<Test> {
	Consent::accounting_of_disclosures(&PATIENT, 0).pop().expect("an audit entry")
}

#[test]
fn practitioner_creates_a_record() {
	run(|| {
		let consent = allow_treatment(0);
		let id = create(MARYS_DOCTOR, 1);
		System::assert_last_event(
			Event::RecordCreated {
				record_id: id,
				patient: PATIENT,
				author: MARYS_DOCTOR,
				resource_type: Observation,
			}
			.into(),
		);
		let record = RecordStore::<Test>::get(id).expect("stored");
		assert_eq!(record.author_org, Some(0));
		assert_eq!(record.version, 1);
		assert_eq!(record.status, RecordStatus::Active);
		assert_eq!(record.created_at_ms, START);
		assert_eq!(record.locator, Some(H256::repeat_byte(1)));
		let audit = last_audit();
		assert_eq!(
			(audit.action, audit.record, audit.accessor, audit.basis),
			(AuditAction::Create, Some(id), MARYS_DOCTOR, Some(AccessBasis::Consent(consent)))
		);
	});
}

#[test]
fn patients_and_guardians_self_report() {
	run(|| {
		let own = create(PATIENT, 1);
		assert_eq!(RecordStore::<Test>::get(own).and_then(|r| r.author_org), None);
		let guarded = create(GUARDIAN, 2);
		assert_eq!(RecordStore::<Test>::get(guarded).map(|r| r.author), Some(GUARDIAN));
		assert_eq!(last_audit().basis, Some(AccessBasis::Guardian));
	});
}

#[test]
fn create_rejects_bad_input() {
	run(|| {
		let create = |who, patient, content| {
			Records::create_record(RuntimeOrigin::signed(who), patient, Observation, content)
		};
		assert_noop!(
			create(MARYS_DOCTOR, STRANGER, content(1)),
			Error::<Test>::PatientNotRegistered
		);
		allow_treatment(0);
		assert_noop!(create(MARYS_CLERK, PATIENT, content(1)), Error::<Test>::NotAuthorized);
		assert_noop!(create(PAYER_CLERK, PATIENT, content(1)), Error::<Test>::NotAuthorized);
		assert_noop!(create(STRANGER, PATIENT, content(1)), Error::<Test>::NotAuthorized);
		assert_noop!(create(OTHER_PATIENT, PATIENT, content(1)), Error::<Test>::NotAuthorized);
		let no_payload = RecordContent { size: 0, ..content(1) };
		assert_noop!(create(MARYS_DOCTOR, PATIENT, no_payload), Error::<Test>::EmptyPayload);
	});
}

#[test]
fn nobody_but_the_patient_exhausts_the_record_space() {
	run(|| {
		allow_treatment(0);
		allow_treatment(1);
		let write = |who, seed| {
			Records::create_record(RuntimeOrigin::signed(who), PATIENT, Observation, content(seed))
		};
		// One organization writes at most MaxRecordsPerOrganization (3) of the patient's records.
		create(MARYS_DOCTOR, 0);
		create(MARYS_DOCTOR, 1);
		create(MARYS_DOCTOR, 2);
		assert_noop!(write(MARYS_DOCTOR, 3), Error::<Test>::OrganizationQuotaReached);
		let first = Records::records_of(&PATIENT, 0, 1)[0].0;
		assert_noop!(
			Records::amend_record(RuntimeOrigin::signed(MARYS_DOCTOR), first, content(3)),
			Error::<Test>::OrganizationQuotaReached
		);
		// Others fill MaxRecordsPerPatient (6) - ReservedForPatient (2) slots between them.
		create(CITY_DOCTOR, 3);
		assert_noop!(write(CITY_DOCTOR, 4), Error::<Test>::PatientSlotsReserved);
		// The reserved slots stay the patient's and the guardian's.
		create(PATIENT, 4);
		create(GUARDIAN, 5);
		assert_noop!(write(PATIENT, 9), Error::<Test>::TooManyRecords);
	});
}

#[test]
fn writing_needs_a_relationship_the_patient_granted() {
	run(|| {
		let write = |who, resource_type, seed| {
			Records::create_record(
				RuntimeOrigin::signed(who),
				PATIENT,
				resource_type,
				content(seed),
			)
		};
		// Being a practitioner of an active hospital is not enough.
		assert_noop!(write(MARYS_DOCTOR, Observation, 1), Error::<Test>::NoConsent);
		// A consent for another purpose, another resource type, or another organization.
		let grant = |grantee, scope, purposes: Vec<Purpose>, expires_at| {
			assert_ok!(Consent::grant(
				RuntimeOrigin::signed(PATIENT),
				PATIENT,
				grantee,
				scope,
				purposes,
				expires_at,
				vec![],
			));
		};
		grant(Grantee::Organization(0), ConsentScope::AllRecords, vec![Payment], START + DAY);
		assert_noop!(write(MARYS_DOCTOR, Observation, 1), Error::<Test>::PurposeNotPermitted);
		grant(
			Grantee::Organization(0),
			ConsentScope::ResourceTypes(vec![Condition]),
			vec![Treatment],
			START + DAY,
		);
		assert_noop!(write(MARYS_DOCTOR, Observation, 1), Error::<Test>::OutOfScope);
		assert_ok!(write(MARYS_DOCTOR, Condition, 1));
		grant(Grantee::Organization(1), ConsentScope::AllRecords, vec![Treatment], START + DAY);
		assert_ok!(write(CITY_DOCTOR, Observation, 2));
		// The clerk of a consented organization is no practitioner.
		assert_noop!(write(MARYS_CLERK, Condition, 3), Error::<Test>::NotAuthorized);

		// Expired, then revoked: refused again, amendments included.
		Timestamp::set_timestamp(START + DAY);
		assert_noop!(write(MARYS_DOCTOR, Condition, 3), Error::<Test>::ConsentExpired);
		let condition = Records::records_of(&PATIENT, 0, 1)[0].0;
		assert_noop!(
			Records::amend_record(RuntimeOrigin::signed(MARYS_DOCTOR), condition, content(3)),
			Error::<Test>::ConsentExpired
		);
		Timestamp::set_timestamp(START);
		let city = pallet_consent::NextConsentId::<Test>::get() - 1;
		assert_ok!(Consent::revoke(RuntimeOrigin::signed(PATIENT), city));
		assert_noop!(write(CITY_DOCTOR, Observation, 3), Error::<Test>::NoConsent);

		// An open break-glass session lets its practitioner write, and says so in the audit log.
		assert_ok!(Consent::break_glass(
			RuntimeOrigin::signed(CITY_DOCTOR),
			PATIENT,
			EmergencyReason::Unconscious,
			H256::repeat_byte(9)
		));
		assert_ok!(write(CITY_DOCTOR, Observation, 3));
		let audit = last_audit();
		assert_eq!((audit.action, audit.break_glass), (AuditAction::Create, true));
		// A session writes at most MaxWritesPerEmergency (1) records.
		assert_noop!(write(CITY_DOCTOR, Observation, 4), Error::<Test>::EmergencyWriteLimit);
	});
}

#[test]
fn a_disputed_emergency_leaves_its_author_no_rights_to_what_it_wrote() {
	run(|| {
		assert_ok!(Consent::break_glass(
			RuntimeOrigin::signed(CITY_DOCTOR),
			PATIENT,
			EmergencyReason::Unconscious,
			H256::repeat_byte(9)
		));
		let record = create(CITY_DOCTOR, 1);
		assert_eq!(RecordStore::<Test>::get(record).and_then(|r| r.emergency), Some(0));
		// While undisputed, the author's organization may bill for the emergency care.
		assert_ok!(Records::log_access(RuntimeOrigin::signed(CITY_DOCTOR), record, Payment));
		assert_ok!(Consent::dispute(RuntimeOrigin::signed(PATIENT), 0));
		for purpose in [Treatment, Payment, Operations] {
			assert_noop!(
				Records::log_access(RuntimeOrigin::signed(CITY_DOCTOR), record, purpose),
				Error::<Test>::NoConsent
			);
		}
		// The patient still reads it.
		assert_ok!(Records::log_access(RuntimeOrigin::signed(PATIENT), record, Treatment));
	});
}

#[test]
fn a_content_hash_anchors_one_live_record() {
	run(|| {
		// The victim's record, and an attacker who registered themselves as a patient.
		let victim = create(PATIENT, 1);
		let stolen = content(1);
		assert_noop!(
			Records::create_record(
				RuntimeOrigin::signed(OTHER_PATIENT),
				OTHER_PATIENT,
				Observation,
				stolen.clone()
			),
			Error::<Test>::ContentHashInUse
		);
		let own = RecordContent { content_hash: H256::repeat_byte(2), ..content(2) };
		assert_ok!(Records::create_record(
			RuntimeOrigin::signed(OTHER_PATIENT),
			OTHER_PATIENT,
			Observation,
			own
		));
		let attacker = Records::records_of(&OTHER_PATIENT, 0, 1)[0].0;
		assert_noop!(
			Records::amend_record(RuntimeOrigin::signed(OTHER_PATIENT), attacker, stolen.clone()),
			Error::<Test>::ContentHashInUse
		);
		// Nor can the victim anchor the same blob twice.
		assert_noop!(
			Records::amend_record(RuntimeOrigin::signed(PATIENT), victim, stolen.clone()),
			Error::<Test>::ContentHashInUse
		);
		assert_eq!(crate::ContentIndex::<Test>::get(H256::repeat_byte(1)), Some(victim));

		// The attacker's erasure frees only their own hash; the victim's stays anchored.
		assert_ok!(Records::erase_record(RuntimeOrigin::signed(OTHER_PATIENT), attacker));
		assert_eq!(crate::ContentIndex::<Test>::get(H256::repeat_byte(1)), Some(victim));
		assert_eq!(crate::ContentIndex::<Test>::get(H256::repeat_byte(2)), None);
		// Once the victim erases, the hash anchors nothing.
		assert_ok!(Records::erase_record(RuntimeOrigin::signed(PATIENT), victim));
		assert_eq!(crate::ContentIndex::<Test>::get(H256::repeat_byte(1)), None);
	});
}

#[test]
fn erasing_any_version_shreds_the_whole_chain() {
	run(|| {
		allow_treatment(0);
		let v1 = create(MARYS_DOCTOR, 1);
		let v2 = amend(MARYS_DOCTOR, v1, 2);
		let v3 = amend(PATIENT, v2, 3);
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Organization(1),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + DAY,
			vec![(v3, [7; 80]), (v2, [8; 80])],
		));
		let consent = pallet_consent::NextConsentId::<Test>::get() - 1;
		// Naming the oldest version.
		assert_ok!(Records::erase_record(RuntimeOrigin::signed(PATIENT), v1));
		for (id, seed) in [(v1, 1), (v2, 2), (v3, 3)] {
			let tombstone = RecordStore::<Test>::get(id).expect("tombstone stays");
			assert_eq!(tombstone.status, RecordStatus::Erased);
			assert!(tombstone.locator.is_none() && tombstone.patient_key.is_none());
			assert_eq!(tombstone.content_hash, H256::repeat_byte(seed));
			assert_eq!(crate::ContentIndex::<Test>::get(H256::repeat_byte(seed)), None);
			System::assert_has_event(
				Event::RecordErased { record_id: id, patient: PATIENT }.into(),
			);
		}
		assert!(!pallet_consent::GrantedKeys::<Test>::contains_key(consent, v3));
		assert!(!pallet_consent::GrantedKeys::<Test>::contains_key(consent, v2));
		assert_noop!(
			Records::erase_record(RuntimeOrigin::signed(PATIENT), v3),
			Error::<Test>::RecordErased
		);
	});
}

#[test]
fn amend_links_versions_and_checks_who() {
	run(|| {
		allow_treatment(0);
		let v1 = create(MARYS_DOCTOR, 1);
		assert_noop!(
			Records::amend_record(RuntimeOrigin::signed(CITY_DOCTOR), v1, content(2)),
			Error::<Test>::NotAuthorOrPatient
		);
		assert_noop!(
			Records::amend_record(RuntimeOrigin::signed(MARYS_DOCTOR), H256::zero(), content(2)),
			Error::<Test>::UnknownRecord
		);
		let v2 = amend(MARYS_DOCTOR, v1, 2);
		System::assert_last_event(
			Event::RecordAmended { record_id: v1, new_record_id: v2, version: 2 }.into(),
		);
		assert_eq!(RecordStore::<Test>::get(v1).map(|r| r.status), Some(RecordStatus::Amended));
		assert_noop!(
			Records::amend_record(RuntimeOrigin::signed(MARYS_DOCTOR), v1, content(3)),
			Error::<Test>::RecordNotCurrent
		);
		let v3 = amend(PATIENT, v2, 3);
		assert_eq!(RecordStore::<Test>::get(v3).and_then(|r| r.author_org), None);
		assert_noop!(
			Records::amend_record(RuntimeOrigin::signed(PATIENT), v3, content(4)),
			Error::<Test>::TooManyVersions
		);
		let history: Vec<_> =
			Records::history(v3).into_iter().map(|(id, r)| (id, r.version)).collect();
		assert_eq!(history, vec![(v3, 3), (v2, 2), (v1, 1)]);
	});
}

#[test]
fn mark_entered_in_error() {
	run(|| {
		allow_treatment(0);
		let id = create(MARYS_DOCTOR, 1);
		assert_noop!(
			Records::mark_entered_in_error(RuntimeOrigin::signed(CITY_DOCTOR), id),
			Error::<Test>::NotAuthorOrPatient
		);
		assert_ok!(Records::mark_entered_in_error(RuntimeOrigin::signed(MARYS_DOCTOR), id));
		System::assert_last_event(Event::RecordMarkedEnteredInError { record_id: id }.into());
		assert_eq!(
			RecordStore::<Test>::get(id).map(|r| r.status),
			Some(RecordStatus::EnteredInError)
		);
		assert_noop!(
			Records::mark_entered_in_error(RuntimeOrigin::signed(MARYS_DOCTOR), id),
			Error::<Test>::RecordNotCurrent
		);
	});
}

#[test]
fn erasure_shreds_every_version_and_grantee_key() {
	run(|| {
		allow_treatment(0);
		let v1 = create(MARYS_DOCTOR, 1);
		let v2 = amend(MARYS_DOCTOR, v1, 2);
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Organization(1),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + DAY,
			vec![(v2, [7; 80])],
		));
		assert_noop!(
			Records::erase_record(RuntimeOrigin::signed(MARYS_DOCTOR), v2),
			Error::<Test>::NotPatientOrGuardian
		);
		assert_ok!(Records::erase_record(RuntimeOrigin::signed(GUARDIAN), v2));
		System::assert_has_event(Event::RecordErased { record_id: v1, patient: PATIENT }.into());
		for id in [v1, v2] {
			let tombstone = RecordStore::<Test>::get(id).expect("tombstone stays");
			assert_eq!(tombstone.status, RecordStatus::Erased);
			assert!(tombstone.locator.is_none() && tombstone.patient_key.is_none());
		}
		assert!(!pallet_consent::GrantedKeys::<Test>::contains_key(1, v2));
		assert_noop!(
			Records::erase_record(RuntimeOrigin::signed(PATIENT), v2),
			Error::<Test>::RecordErased
		);
		assert_noop!(
			Records::amend_record(RuntimeOrigin::signed(PATIENT), v2, content(3)),
			Error::<Test>::RecordErased
		);
	});
}

#[test]
fn log_access_needs_an_allowing_decision() {
	run(|| {
		allow_treatment(0);
		let id = create(MARYS_DOCTOR, 1);
		assert_noop!(
			Records::log_access(RuntimeOrigin::signed(STRANGER), id, Treatment),
			Error::<Test>::AccessorNotActive
		);
		assert_noop!(
			Records::log_access(RuntimeOrigin::signed(MARYS_DOCTOR), H256::zero(), Treatment),
			Error::<Test>::UnknownRecord
		);
		assert_ok!(Records::log_access(RuntimeOrigin::signed(MARYS_DOCTOR), id, Treatment));
		System::assert_last_event(
			Event::AccessLogged {
				record_id: id,
				accessor: MARYS_DOCTOR,
				purpose: Treatment,
				basis: AccessBasis::AuthorOrganization,
			}
			.into(),
		);
	});
}

#[test]
fn records_of_a_patient_are_paged() {
	run(|| {
		let ids: Vec<_> = (0..5).map(|seed| create(PATIENT, seed)).collect();
		let page = |start, limit| -> Vec<RecordId> {
			Records::records_of(&PATIENT, start, limit).into_iter().map(|(id, _)| id).collect()
		};
		assert_eq!(page(0, 2), ids[..2].to_vec());
		assert_eq!(page(2, 10), ids[2..].to_vec());
		assert!(page(5, 10).is_empty());
		assert!(Records::records_of(&OTHER_PATIENT, 0, 10).is_empty());
	});
}

/// The acceptance scenario: creation, refusal, consent, revocation, break-glass, expiry,
/// accounting of disclosures and erasure, in order.
#[test]
fn consent_scenario() {
	run(|| {
		allow_treatment(0);
		let record = create(MARYS_DOCTOR, 1);
		let read = |who| Records::log_access(RuntimeOrigin::signed(who), record, Treatment);

		assert_noop!(read(CITY_DOCTOR), Error::<Test>::NoConsent);

		Timestamp::set_timestamp(START + 1_000);
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Organization(1),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + 1_000 + 30 * DAY,
			vec![],
		));
		assert_ok!(read(CITY_DOCTOR));
		System::assert_last_event(
			Event::AccessLogged {
				record_id: record,
				accessor: CITY_DOCTOR,
				purpose: Treatment,
				basis: AccessBasis::Consent(1),
			}
			.into(),
		);

		Timestamp::set_timestamp(START + 2_000);
		assert_ok!(Consent::revoke(RuntimeOrigin::signed(PATIENT), 1));
		assert_noop!(read(CITY_DOCTOR), Error::<Test>::NoConsent);

		Timestamp::set_timestamp(START + 3_000);
		assert_ok!(Consent::break_glass(
			RuntimeOrigin::signed(CITY_DOCTOR),
			PATIENT,
			EmergencyReason::Unconscious,
			H256::repeat_byte(9)
		));
		assert_ok!(read(CITY_DOCTOR));
		let flagged = last_audit();
		assert_eq!(flagged.basis, Some(AccessBasis::BreakGlass(0)));
		assert!(flagged.break_glass, "break-glass reads are flagged");

		// A second consent that then expires.
		Timestamp::set_timestamp(START + 4_000);
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(PATIENT),
			PATIENT,
			Grantee::Organization(1),
			ConsentScope::AllRecords,
			vec![Treatment],
			START + 5_000 + DAY,
			vec![],
		));
		Timestamp::set_timestamp(START + 10_000 + DAY);
		assert_noop!(read(CITY_DOCTOR), Error::<Test>::ConsentExpired);

		let disclosures: Vec<_> = Consent::accounting_of_disclosures(&PATIENT, START + 1)
			.into_iter()
			.map(|e| (e.accessor, e.action, e.basis, e.timestamp))
			.collect();
		assert_eq!(
			disclosures,
			vec![
				(PATIENT, AuditAction::Grant, Some(AccessBasis::Patient), START + 1_000),
				(CITY_DOCTOR, AuditAction::Read, Some(AccessBasis::Consent(1)), START + 1_000),
				(PATIENT, AuditAction::Revoke, Some(AccessBasis::Patient), START + 2_000),
				(
					CITY_DOCTOR,
					AuditAction::BreakGlass,
					Some(AccessBasis::BreakGlass(0)),
					START + 3_000
				),
				(CITY_DOCTOR, AuditAction::Read, Some(AccessBasis::BreakGlass(0)), START + 3_000),
				(PATIENT, AuditAction::Grant, Some(AccessBasis::Patient), START + 4_000),
			]
		);

		assert_ok!(Records::erase_record(RuntimeOrigin::signed(PATIENT), record));
		for who in [CITY_DOCTOR, MARYS_DOCTOR, PATIENT, GUARDIAN] {
			assert_noop!(read(who), Error::<Test>::RecordErased);
		}
		let tombstone = RecordStore::<Test>::get(record).expect("tombstone");
		assert_eq!(tombstone.content_hash, H256::repeat_byte(1));
		assert!(tombstone.locator.is_none() && tombstone.patient_key.is_none());
	});
}

#[test]
fn a_locator_that_is_not_the_content_address_is_refused() {
	run(|| {
		allow_treatment(0);
		let refused = [
			// At the bound: 32 bytes of text, a PHI-like note, another blob's address, zero.
			H256(*b"HIV+ Jane Doe 1984-03-07 F20.9!!"),
			H256(*b"cas:0101010101010101010101010101"),
			H256::repeat_byte(2),
			H256::zero(),
		];
		for locator in refused {
			let content = RecordContent { locator, ..content(1) };
			assert_noop!(
				Records::create_record(
					RuntimeOrigin::signed(MARYS_DOCTOR),
					PATIENT,
					Observation,
					content.clone()
				),
				Error::<Test>::LocatorNotContentAddress
			);
		}
		let record = create(MARYS_DOCTOR, 1);
		assert_noop!(
			Records::amend_record(
				RuntimeOrigin::signed(MARYS_DOCTOR),
				record,
				RecordContent { locator: H256(*b"see note: schizophrenia, F20.9.."), ..content(2) }
			),
			Error::<Test>::LocatorNotContentAddress
		);
	});
}

/// A record's content as calls took it before locators were content addresses: any bytes.
#[derive(codec::Encode)]
struct FreeTextContent {
	content_hash: H256,
	size: u64,
	locator: Vec<u8>,
	patient_key: Vec<u8>,
}

#[test]
fn a_locator_of_another_length_or_free_text_never_reaches_dispatch() {
	use codec::{DecodeAll, Encode};
	use frame_support::traits::UnfilteredDispatchable;
	run(|| {
		allow_treatment(0);
		let hash = H256::repeat_byte(1);
		let texts = [
			vec![],
			vec![0x01; 31],
			vec![0x01; 33],
			format!("cas:0x{}", hex(hash.as_bytes())).into_bytes(),
			b"s3://bucket/Jane-Doe-HIV-positive-1984-03-07.pdf".to_vec(),
			vec![b'x'; 4096],
		];
		for locator in texts {
			let call = (
				0u8, // create_record
				PATIENT,
				Observation,
				FreeTextContent {
					content_hash: hash,
					size: 1234,
					locator,
					patient_key: vec![1; 48],
				},
			)
				.encode();
			// Past the bound: a call with free text where the 32 bytes go does not decode, or
			// decodes to a locator that is not the content address.
			if let Ok(call) = crate::Call::<Test>::decode_all(&mut &call[..]) {
				let result = call.dispatch_bypass_filter(RuntimeOrigin::signed(MARYS_DOCTOR));
				assert_eq!(
					result.map_err(|e| e.error),
					Err(Error::<Test>::LocatorNotContentAddress.into())
				);
			}
		}
		assert_eq!(PatientRecordCount::<Test>::get(PATIENT), 0);
	});
}

#[test]
fn no_event_carries_a_locator() {
	run(|| {
		allow_treatment(0);
		let v1 = create(MARYS_DOCTOR, 1);
		let v2 = amend(MARYS_DOCTOR, v1, 2);
		let other = create(PATIENT, 3);
		assert_ok!(Records::log_access(RuntimeOrigin::signed(MARYS_DOCTOR), v2, Treatment));
		assert_ok!(Records::mark_entered_in_error(RuntimeOrigin::signed(PATIENT), other));
		assert_ok!(Records::erase_record(RuntimeOrigin::signed(PATIENT), v2));
		let events = System::events();
		assert!(events.len() >= 7, "the journey's events were kept");
		for record in events {
			let bytes = codec::Encode::encode(&record.event);
			for seed in [1u8, 2, 3] {
				let locator = H256::repeat_byte(seed);
				assert!(!contains(&bytes, locator.as_bytes()), "{:?}", record.event);
				assert!(!contains(&bytes, hex(locator.as_bytes()).as_bytes()));
			}
		}
		// By type: no event of the records or consent pallet has a field for one.
		let fields = carechain_primitives::privacy::variant_fields::<crate::Event<Test>>()
			.into_iter()
			.chain(carechain_primitives::privacy::variant_fields::<pallet_consent::Event<Test>>());
		for field in fields {
			assert!(!["locator", "content_hash", "patient_key"].contains(&&*field.field));
		}
	});
}

#[test]
fn try_state_finds_a_locator_that_is_not_the_content_address() {
	new_test_ext().execute_with(|| {
		let record = create(PATIENT, 1);
		RecordStore::<Test>::mutate(record, |r| {
			r.as_mut().expect("created").locator = Some(H256::repeat_byte(9))
		});
		assert!(Records::do_try_state().is_err());
		RecordStore::<Test>::mutate(record, |r| r.as_mut().expect("created").locator = None);
		assert!(Records::do_try_state().is_err());
	});
	new_test_ext().execute_with(|| {
		let record = create(PATIENT, 1);
		assert_ok!(Records::erase_record(RuntimeOrigin::signed(PATIENT), record));
		RecordStore::<Test>::mutate(record, |r| {
			r.as_mut().expect("kept").locator = Some(H256::repeat_byte(1))
		});
		assert!(Records::do_try_state().is_err());
	});
}

/// A record's id names its patient and position, nothing else: the same content at another
/// position, or for another patient, gets another id; an erased position is never reused; and
/// a record slipped into the map at no position, or a position whose record is gone, is found.
#[test]
fn ids_name_positions_and_try_state_finds_a_record_at_none() {
	new_test_ext().execute_with(|| {
		let first = create(PATIENT, 1);
		assert_eq!(first, Records::record_id(&PATIENT, 0));
		assert_ok!(Records::erase_record(RuntimeOrigin::signed(PATIENT), first));
		// The erased blob's content again: a fresh position and id; the tombstone stays.
		let again = create(PATIENT, 1);
		assert_eq!(again, Records::record_id(&PATIENT, 1));
		assert_ne!(again, first);
		assert_eq!(RecordStore::<Test>::get(first).map(|r| r.status), Some(RecordStatus::Erased));
		assert_ne!(Records::record_id(&OTHER_PATIENT, 0), first);
		assert_ok!(Records::do_try_state());

		// A stray record under an id no position names (as a faulty migration might leave).
		let stray = H256::repeat_byte(0xee);
		let mut copy = RecordStore::<Test>::get(again).expect("created");
		copy.content_hash = stray;
		copy.locator = Some(stray);
		RecordStore::<Test>::insert(stray, copy);
		crate::ContentIndex::<Test>::insert(stray, stray);
		assert!(Records::do_try_state().is_err());
	});
	new_test_ext().execute_with(|| {
		let record = create(PATIENT, 1);
		crate::ContentIndex::<Test>::remove(H256::repeat_byte(1));
		RecordStore::<Test>::remove(record);
		assert!(Records::do_try_state().is_err(), "a position names no record");
	});
}

/// Seals `plaintext` the way a wallet would before anchoring: the chain only ever sees the
/// ciphertext's hash and locator. (A keystream from blake2b stands in for XChaCha20 here; what
/// matters is that the plaintext never leaves the wallet.)
fn seal(plaintext: &[u8], key: &[u8; 32]) -> Vec<u8> {
	plaintext
		.chunks(32)
		.enumerate()
		.flat_map(|(i, chunk)| {
			let pad = blake2_256(&[&key[..], &(i as u64).to_le_bytes()].concat());
			chunk.iter().zip(pad).map(|(b, p)| b ^ p).collect::<Vec<_>>()
		})
		.collect()
}

#[test]
fn no_plaintext_reaches_chain_state() {
	const MARKER: &[u8] = b"PHI-MARKER-Jane-Doe-1984-03-07";
	run(|| {
		allow_treatment(0);
		for (seed, resource_type) in [(1u8, Observation), (2, Condition), (3, MedicationRequest)] {
			let fhir = [
				&br#"{"resourceType":"Patient","name":""#[..],
				MARKER,
				&br#"","note":"diagnosis follows"}"#[..],
			]
			.concat();
			let ciphertext = seal(&fhir, &[seed; 32]);
			let hash = H256(blake2_256(&ciphertext));
			assert_ok!(Records::create_record(
				RuntimeOrigin::signed(MARYS_DOCTOR),
				PATIENT,
				resource_type,
				RecordContent {
					content_hash: hash,
					size: ciphertext.len() as u64,
					locator: hash,
					patient_key: seal(&[seed; 80], &[0xee; 32]).try_into().expect("80 bytes"),
				},
			));
		}
		let record = Records::records_of(&PATIENT, 0, 1)[0].0;
		assert_ok!(Records::log_access(RuntimeOrigin::signed(MARYS_DOCTOR), record, Treatment));

		let mut key = Vec::new();
		let mut entries = 0;
		while let Some(next) = sp_io::storage::next_key(&key) {
			let value = sp_io::storage::get(&next).expect("a key has a value");
			assert!(!contains(&next, MARKER) && !contains(&value, MARKER), "plaintext in state");
			entries += 1;
			key = next;
		}
		assert!(entries > 20, "the whole state was scanned ({entries} entries)");
	});
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
	haystack.windows(needle.len()).any(|w| w == needle)
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn writes_and_reads_are_charged_the_consent_bound_and_refunded_to_the_patients_consents() {
	use frame_support::dispatch::GetDispatchInfo;
	run(|| {
		allow_treatment(0);
		let call = crate::Call::<Test>::create_record {
			patient: PATIENT,
			resource_type: Observation,
			content: content(1),
		};
		let charged = call.get_dispatch_info().call_weight;
		assert_eq!(charged, <() as crate::WeightInfo>::create_record(MaxGrantsPerPatient::get()));
		let post = Records::create_record(
			RuntimeOrigin::signed(MARYS_DOCTOR),
			PATIENT,
			Observation,
			content(1),
		)
		.expect("consented");
		// The patient holds one consent: the scan of one is what the write cost.
		assert_eq!(post.actual_weight, Some(<() as crate::WeightInfo>::create_record(1)));
		let record = Records::records_of(&PATIENT, 0, 1)[0].0;
		let post = Records::log_access(RuntimeOrigin::signed(MARYS_DOCTOR), record, Treatment)
			.expect("authored");
		assert_eq!(post.actual_weight, Some(<() as crate::WeightInfo>::log_access(1)));
	});
}
