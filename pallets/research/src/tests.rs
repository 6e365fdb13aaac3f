//! Unit tests of the research pallet: each call's success and named errors, and the ways
//! around its checks (another sponsor, a clerk, a revoked, expired or narrower consent, a
//! treatment relationship, an erased record, a replay, a closed or expired request).

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate::{mock::*, DataSet, Error, Event, Releases, RequestId, Requests};
use carechain_primitives::{
	AccessPolicy, AuditAction, FhirResourceType, MembershipProvider, Purpose, RecordId,
};
use frame_support::{assert_noop, assert_ok};
use pallet_consent::{ConsentScope, Grantee};
use sp_core::H256;

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn h(n: u8) -> H256 {
	H256::repeat_byte(n)
}

fn open(who: u64) -> RequestId {
	let id = crate::NextRequestId::<Test>::get();
	assert_ok!(Research::request_access(
		signed(who),
		DataSet::LimitedDataSet,
		h(1),
		h(2),
		Timestamp::get() + 30 * DAY
	));
	id
}

/// A record of `patient` written by St. Mary's doctor, with the patient's Treatment consent.
fn record(patient: u64, resource_type: FhirResourceType, seed: u8) -> RecordId {
	let now = Timestamp::get();
	if !Consent::check_write(&patient, &MARYS_DOCTOR, resource_type, now).is_allowed() {
		grant(patient, Grantee::Organization(MARYS), ConsentScope::AllRecords, Purpose::Treatment);
	}
	let index = pallet_records::PatientRecordCount::<Test>::get(patient);
	assert_ok!(Records::create_record(
		signed(MARYS_DOCTOR),
		patient,
		resource_type,
		pallet_records::RecordContent {
			content_hash: h(seed),
			size: 100,
			locator: h(seed),
			patient_key: [seed; 80],
		}
	));
	pallet_records::Pallet::<Test>::record_id(&patient, index)
}

fn grant(
	patient: u64,
	grantee: Grantee<u64>,
	scope: pallet_consent::ScopeOf,
	purpose: Purpose,
) -> u64 {
	let id = pallet_consent::NextConsentId::<Test>::get();
	assert_ok!(Consent::grant(
		signed(patient),
		patient,
		grantee,
		scope,
		vec![purpose],
		START + 365 * DAY,
		vec![]
	));
	id
}

fn research_consent(patient: u64) -> u64 {
	grant(patient, Grantee::Organization(SPONSOR), ConsentScope::AllRecords, Purpose::Research)
}

fn disclosures(patient: u64) -> Vec<(u64, Option<RecordId>, Option<Purpose>, AuditAction)> {
	Consent::accounting_of_disclosures(&patient, 0)
		.into_iter()
		.map(|e| (e.accessor, e.record, e.purpose, e.action))
		.collect()
}

#[test]
fn only_an_admin_or_practitioner_of_an_active_sponsor_opens_a_request() {
	new_test_ext().execute_with(|| {
		let request = |who, expiry| {
			Research::request_access(signed(who), DataSet::DeIdentified, h(1), h(2), expiry)
		};
		let month = START + 30 * DAY;
		assert_noop!(request(MARYS_DOCTOR, month), Error::<Test>::NotResearchSponsor);
		assert_noop!(request(PATIENT, month), Error::<Test>::NotResearchSponsor);
		assert_noop!(request(STRANGER, month), Error::<Test>::NotResearchSponsor);
		assert_noop!(request(SPONSOR_CLERK, month), Error::<Test>::NotSponsorStaff);
		assert_noop!(request(SPONSOR_SCIENTIST, START), Error::<Test>::ExpiryInPast);
		assert_noop!(request(SPONSOR_SCIENTIST, START + 366 * DAY), Error::<Test>::ExpiryTooFar);
		assert_noop!(
			Research::request_access(
				signed(SPONSOR_SCIENTIST),
				DataSet::DeIdentified,
				H256::zero(),
				h(2),
				month
			),
			Error::<Test>::ZeroHash
		);
		assert_noop!(
			Research::request_access(
				signed(SPONSOR_SCIENTIST),
				DataSet::DeIdentified,
				h(1),
				H256::zero(),
				month
			),
			Error::<Test>::ZeroHash
		);
		assert_ok!(request(SPONSOR_ADMIN, month));
		assert_ok!(request(SPONSOR_SCIENTIST, START + 365 * DAY));
		System::assert_last_event(
			Event::AccessRequested {
				request: 1,
				sponsor: SPONSOR,
				data_set: DataSet::DeIdentified,
				expires_at: START + 365 * DAY,
			}
			.into(),
		);
		// A suspended sponsor opens nothing.
		assert_ok!(Registry::suspend_organization(RuntimeOrigin::root(), SPONSOR));
		assert_noop!(request(SPONSOR_SCIENTIST, month), Error::<Test>::NotResearchSponsor);
	});
}

#[test]
fn records_are_released_on_the_patients_research_consent_and_audited() {
	new_test_ext().execute_with(|| {
		let request = open(SPONSOR_SCIENTIST);
		let lab = record(PATIENT, FhirResourceType::Observation, 1);
		let other = record(OTHER_PATIENT, FhirResourceType::Observation, 2);
		// Without the patients' research consent, nothing is released: the hospital's
		// treatment consent does not reach the sponsor, nor does authorship reach research.
		assert_noop!(
			Research::release(signed(SPONSOR_SCIENTIST), request, vec![lab]),
			Error::<Test>::NoResearchConsent
		);
		let consent = research_consent(PATIENT);
		// All or nothing: one record without consent refuses the release.
		assert_noop!(
			Research::release(signed(SPONSOR_SCIENTIST), request, vec![lab, other]),
			Error::<Test>::NoResearchConsent
		);
		assert_ok!(Research::release(signed(SPONSOR_SCIENTIST), request, vec![lab]));
		System::assert_last_event(Event::RecordsReleased { request, records: 1 }.into());
		assert_eq!(Releases::<Test>::get(request, lab), Some(START));
		assert_eq!(Requests::<Test>::get(request).map(|r| r.releases), Some(1));
		// The patient sees the research use: who, which record, why, on which consent.
		let log = Consent::accounting_of_disclosures(&PATIENT, 0);
		let last = log.last().expect("an entry");
		assert_eq!(
			(last.accessor, last.record, last.purpose, last.action),
			(SPONSOR_SCIENTIST, Some(lab), Some(Purpose::Research), AuditAction::Disclose)
		);
		assert_eq!(last.basis, Some(carechain_primitives::AccessBasis::Consent(consent)));
		assert!(!disclosures(OTHER_PATIENT).iter().any(|e| e.2 == Some(Purpose::Research)));
		// No replay of a release under the same request.
		assert_noop!(
			Research::release(signed(SPONSOR_SCIENTIST), request, vec![lab]),
			Error::<Test>::AlreadyReleased
		);
	});
}

#[test]
fn another_sponsor_a_clerk_or_a_stranger_releases_nothing() {
	new_test_ext().execute_with(|| {
		let request = open(SPONSOR_SCIENTIST);
		let lab = record(PATIENT, FhirResourceType::Observation, 1);
		research_consent(PATIENT);
		let release = |who| Research::release(signed(who), request, vec![lab]);
		assert_noop!(release(RIVAL_SCIENTIST), Error::<Test>::NotRequestSponsor);
		assert_noop!(release(SPONSOR_CLERK), Error::<Test>::NotSponsorStaff);
		assert_noop!(release(MARYS_DOCTOR), Error::<Test>::NotResearchSponsor);
		assert_noop!(release(PATIENT), Error::<Test>::NotResearchSponsor);
		assert_noop!(release(STRANGER), Error::<Test>::NotResearchSponsor);
		// The rival's own request cannot reach a consent given to the sponsor.
		assert_eq!(Registry::active_membership(&RIVAL_SCIENTIST).map(|m| m.org), Some(RIVAL));
		let rivals = open(RIVAL_SCIENTIST);
		assert_noop!(
			Research::release(signed(RIVAL_SCIENTIST), rivals, vec![lab]),
			Error::<Test>::NoResearchConsent
		);
		assert_noop!(
			Research::close_request(signed(RIVAL_SCIENTIST), request),
			Error::<Test>::NotRequestSponsor
		);
		assert_noop!(
			Research::release(signed(SPONSOR_SCIENTIST), 7, vec![lab]),
			Error::<Test>::UnknownRequest
		);
	});
}

#[test]
fn opting_out_narrow_or_expired_consent_and_erasure_stop_releases() {
	new_test_ext().execute_with(|| {
		let request = open(SPONSOR_SCIENTIST);
		let lab = record(PATIENT, FhirResourceType::Observation, 1);
		let diagnosis = record(PATIENT, FhirResourceType::Condition, 2);
		// A consent to observations only does not cover a diagnosis.
		let consent = grant(
			PATIENT,
			Grantee::Organization(SPONSOR),
			ConsentScope::ResourceTypes(vec![FhirResourceType::Observation]),
			Purpose::Research,
		);
		assert_noop!(
			Research::release(signed(SPONSOR_SCIENTIST), request, vec![diagnosis]),
			Error::<Test>::NoResearchConsent
		);
		// A consent for treatment to the sponsor is not one for research.
		grant(
			OTHER_PATIENT,
			Grantee::Organization(SPONSOR),
			ConsentScope::AllRecords,
			Purpose::Treatment,
		);
		let other = record(OTHER_PATIENT, FhirResourceType::Observation, 3);
		assert_noop!(
			Research::release(signed(SPONSOR_SCIENTIST), request, vec![other]),
			Error::<Test>::NoResearchConsent
		);
		// The patient opts out: nothing more is released.
		assert_ok!(Consent::revoke(signed(PATIENT), consent));
		assert_noop!(
			Research::release(signed(SPONSOR_SCIENTIST), request, vec![lab]),
			Error::<Test>::NoResearchConsent
		);
		// An erased record is never released, whatever the consent.
		research_consent(PATIENT);
		assert_ok!(Records::erase_record(signed(PATIENT), lab));
		assert_noop!(
			Research::release(signed(SPONSOR_SCIENTIST), request, vec![lab]),
			Error::<Test>::RecordErased
		);
		assert_noop!(
			Research::release(signed(SPONSOR_SCIENTIST), request, vec![h(0x77)]),
			Error::<Test>::UnknownRecord
		);
		// An expired consent releases nothing either.
		Timestamp::set_timestamp(START + 366 * DAY);
		let fresh = open(SPONSOR_SCIENTIST);
		assert_noop!(
			Research::release(signed(SPONSOR_SCIENTIST), fresh, vec![diagnosis]),
			Error::<Test>::NoResearchConsent
		);
	});
}

#[test]
fn a_closed_or_expired_request_releases_nothing() {
	new_test_ext().execute_with(|| {
		let request = open(SPONSOR_SCIENTIST);
		let lab = record(PATIENT, FhirResourceType::Observation, 1);
		research_consent(PATIENT);
		assert_ok!(Research::close_request(signed(SPONSOR_ADMIN), request));
		System::assert_last_event(Event::RequestClosed { request }.into());
		assert_noop!(
			Research::close_request(signed(SPONSOR_ADMIN), request),
			Error::<Test>::RequestClosed
		);
		assert_noop!(
			Research::release(signed(SPONSOR_SCIENTIST), request, vec![lab]),
			Error::<Test>::RequestClosed
		);
		let expiring = open(SPONSOR_SCIENTIST);
		Timestamp::set_timestamp(START + 30 * DAY);
		assert_noop!(
			Research::release(signed(SPONSOR_SCIENTIST), expiring, vec![lab]),
			Error::<Test>::RequestExpired
		);
	});
}

#[test]
fn a_release_names_one_to_the_most_records_each_once() {
	new_test_ext().execute_with(|| {
		let request = open(SPONSOR_SCIENTIST);
		research_consent(PATIENT);
		let records: Vec<_> =
			(1..=4).map(|i| record(PATIENT, FhirResourceType::Observation, i)).collect();
		let release =
			|records: Vec<RecordId>| Research::release(signed(SPONSOR_SCIENTIST), request, records);
		assert_noop!(release(vec![]), Error::<Test>::NoRecords);
		assert_noop!(release(records.clone()), Error::<Test>::TooManyRecords);
		assert_noop!(release(vec![records[0], records[0]]), Error::<Test>::DuplicateRecord);
		assert_ok!(release(records[..3].to_vec()));
		assert_eq!(Research::released(request).len(), 3);
		// Each release is in the patient's log once.
		let research =
			disclosures(PATIENT).into_iter().filter(|e| e.2 == Some(Purpose::Research)).count();
		assert_eq!(research, 3);
	});
}

#[test]
fn events_name_no_patient() {
	new_test_ext().execute_with(|| {
		let request = open(SPONSOR_SCIENTIST);
		let lab = record(PATIENT, FhirResourceType::Observation, 1);
		research_consent(PATIENT);
		System::reset_events();
		assert_ok!(Research::release(signed(SPONSOR_SCIENTIST), request, vec![lab]));
		for record in System::events() {
			if let RuntimeEvent::Research(event) = record.event {
				let bytes = codec::Encode::encode(&event);
				let patient = codec::Encode::encode(&PATIENT);
				assert!(!bytes.windows(patient.len()).any(|w| w == patient.as_slice()));
				assert!(!bytes.windows(32).any(|w| w == lab.as_bytes()));
			}
		}
	});
}

#[test]
fn try_state_finds_a_wrong_release_count() {
	new_test_ext().execute_with(|| {
		let request = open(SPONSOR_SCIENTIST);
		let lab = record(PATIENT, FhirResourceType::Observation, 1);
		research_consent(PATIENT);
		assert_ok!(Research::release(signed(SPONSOR_SCIENTIST), request, vec![lab]));
		Requests::<Test>::mutate(request, |r| r.as_mut().expect("open").releases = 2);
		assert!(Research::do_try_state().is_err());
		Requests::<Test>::mutate(request, |r| r.as_mut().expect("open").releases = 1);
		Releases::<Test>::insert(request, lab, START + 31 * DAY);
		assert!(Research::do_try_state().is_err());
		Releases::<Test>::insert(request, lab, START);
	});
}
