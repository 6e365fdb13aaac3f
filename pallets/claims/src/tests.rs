//! Unit tests of the claims pallet and the claims scenario: a policy published and funded, a
//! claim adjudicated to the hand-computed amounts, a duplicate denied, an appeal resolved, and
//! a claim without consent rejected.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate::{
	mock::*, Accumulator, Accumulators, ClaimStatus, Claims as ClaimStore, Code, CoverageTerms,
	Day, DenialReason, Error, Event, LineOutcome, NextClaimId, NextPolicyId, PendReason, Policies,
	PolicyId, ServiceLine, TermsOf,
};
use carechain_primitives::{AuditAction, FhirResourceType, Purpose, RecordId};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};
use pallet_consent::{ConsentScope, Grantee};
use sp_core::H256;
use sp_runtime::{DispatchResult, Percent};

/// The policy's first day (2022-01-08).
const FIRST_DAY: Day = 19_000;
/// The day of service, in the first plan year.
const SERVICE_DAY: Day = 19_100;
/// What the payer moves into escrow.
const ESCROW: u64 = 100_000;

fn code(s: &str) -> Code {
	s.as_bytes().to_vec().try_into().expect("a short code")
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// Office visit 99213 at 100, metabolic panel 80053 at 50, brain MRI 70553 at 1,000 with prior
/// authorization; diabetes (E11) and hypertension (I10); deductible 50, coinsurance 20%,
/// out-of-pocket maximum 500.
fn terms() -> TermsOf<u64> {
	CoverageTerms {
		procedures: vec![(code("99213"), 100), (code("80053"), 50), (code("70553"), 1_000)],
		diagnosis_prefixes: vec![code("E11"), code("I10")],
		prior_authorization: vec![code("70553")],
		deductible: 50,
		coinsurance: Percent::from_percent(20),
		out_of_pocket_max: 500,
		review_threshold: 5_000,
		max_daily_lines_per_provider: 10,
		valid_from: FIRST_DAY,
		valid_until: FIRST_DAY + 729,
	}
}

fn publish(terms: TermsOf<u64>) -> PolicyId {
	let id = NextPolicyId::<Test>::get();
	assert_ok!(Claims::publish_policy(signed(PAYER_CLERK), terms));
	id
}

fn create_record(patient: u64, author: u64, seed: u8) -> RecordId {
	let index = pallet_records::PatientRecordCount::<Test>::get(patient);
	assert_ok!(Records::create_record(
		signed(author),
		patient,
		FhirResourceType::Procedure,
		pallet_records::RecordContent {
			content_hash: H256::repeat_byte(seed),
			size: 100,
			locator: vec![seed; 8],
			patient_key: vec![seed; 32],
		}
	));
	pallet_records::PatientRecords::<Test>::get(patient, index).expect("just created")
}

fn grant(patient: u64, purposes: Vec<Purpose>) {
	assert_ok!(Consent::grant(
		signed(patient),
		patient,
		Grantee::Organization(MARYS),
		ConsentScope::AllRecords,
		purposes,
		START + 365 * DAY,
		vec![],
	));
}

/// A funded policy with the patient enrolled, a record of City hospital about the patient, and
/// the patient's Payment consent for St. Mary's.
fn setup() -> (PolicyId, RecordId) {
	let policy = publish(terms());
	assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, ESCROW));
	assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, PATIENT, H256::repeat_byte(9)));
	let record = create_record(PATIENT, CITY_DOCTOR, 1);
	grant(PATIENT, vec![Purpose::Treatment, Purpose::Payment]);
	(policy, record)
}

fn line(procedure: &str, units: u32, charged: u64) -> ServiceLine<u64> {
	ServiceLine { procedure: code(procedure), units, charged }
}

fn submit_on(
	policy: PolicyId,
	day: Day,
	diagnosis: &str,
	lines: Vec<ServiceLine<u64>>,
	records: Vec<RecordId>,
) -> DispatchResult {
	Claims::submit_claim(
		signed(MARYS_DOCTOR),
		policy,
		PATIENT,
		day,
		vec![code(diagnosis)],
		lines,
		records,
	)
}

fn submit(policy: PolicyId, lines: Vec<ServiceLine<u64>>, record: RecordId) -> DispatchResult {
	submit_on(policy, SERVICE_DAY, "E119", lines, vec![record])
}

fn outcomes(claim: u64) -> Vec<LineOutcome> {
	ClaimStore::<Test>::get(claim).expect("stored").lines.iter().map(|l| l.outcome).collect()
}

fn provider_balance() -> u64 {
	Balances::balance(&Claims::provider_account(MARYS))
}

#[test]
fn claims_scenario_matches_hand_computation() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		let escrow = Claims::escrow_account(policy);
		assert_eq!(Balances::balance(&escrow), ESCROW);
		assert_eq!(Balances::balance(&PAYER_CLERK), PAYER_FUNDS - ESCROW);

		// A covered line, a line above the allowed amount, and an uncovered line.
		assert_ok!(submit(
			policy,
			vec![line("99213", 1, 100), line("80053", 1, 80), line("99499", 1, 300)],
			record
		));
		// 99213: allowed 100; deductible 50; 20% of the other 50 is 10: patient 60, payer 40.
		// 80053: charged 80, allowed 50; deductible met; 20% is 10: patient 10, payer 40.
		// 99499: not in the fee schedule.
		let claim = ClaimStore::<Test>::get(0).expect("stored");
		assert_eq!(claim.status, ClaimStatus::Adjudicated);
		let amounts: Vec<_> = claim
			.lines
			.iter()
			.map(|l| (l.outcome, l.allowed, l.patient_share, l.payer_paid))
			.collect();
		assert_eq!(
			amounts,
			vec![
				(LineOutcome::Allowed, 100, 60, 40),
				(LineOutcome::Reduced, 50, 10, 40),
				(LineOutcome::Denied(DenialReason::NotCovered), 0, 0, 0),
			]
		);
		System::assert_last_event(
			Event::ClaimAdjudicated { claim_id: 0, payer_paid: 80, patient_share: 70 }.into(),
		);
		assert_eq!(provider_balance(), 80);
		assert_eq!(Balances::balance(&escrow), ESCROW - 80);
		assert_eq!(
			Accumulators::<Test>::get((policy, PATIENT, 0)),
			Accumulator { deductible_met: 50, out_of_pocket: 70 }
		);
		let audit = Consent::accounting_of_disclosures(&PATIENT, 0).pop().expect("audited");
		assert_eq!(
			(audit.action, audit.record, audit.purpose, audit.accessor),
			(AuditAction::Disclose, Some(record), Some(Purpose::Payment), MARYS_DOCTOR)
		);

		// The same office visit again, the same day: a duplicate, not paid.
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		assert_eq!(outcomes(1), vec![LineOutcome::Denied(DenialReason::Duplicate)]);
		System::assert_last_event(
			Event::ClaimAdjudicated { claim_id: 1, payer_paid: 0, patient_share: 0 }.into(),
		);
		assert_eq!(provider_balance(), 80);

		// The provider appeals the uncovered line; the payer overturns it at 200: the
		// deductible is met, so the patient pays 20% (40) and the payer 160.
		assert_ok!(Claims::appeal_line(signed(MARYS_ADMIN), 0, 2, H256::repeat_byte(7)));
		assert_eq!(outcomes(0)[2], LineOutcome::UnderAppeal(DenialReason::NotCovered));
		assert_ok!(Claims::resolve_appeal(signed(PAYER_CLERK), 0, 2, Some(200)));
		System::assert_last_event(
			Event::AppealResolved {
				claim_id: 0,
				line: 2,
				overturned: true,
				payer_paid: 160,
				patient_share: 40,
			}
			.into(),
		);
		assert_eq!(outcomes(0)[2], LineOutcome::Reduced);
		assert_eq!(provider_balance(), 240);
		assert_eq!(Balances::balance(&escrow), ESCROW - 240);
		assert_eq!(
			Accumulators::<Test>::get((policy, PATIENT, 0)),
			Accumulator { deductible_met: 50, out_of_pocket: 110 }
		);
		assert_noop!(
			Claims::appeal_line(signed(MARYS_ADMIN), 0, 2, H256::repeat_byte(7)),
			Error::<Test>::AlreadyAppealed
		);
	});
}

#[test]
fn claims_without_payment_consent_are_rejected() {
	new_test_ext().execute_with(|| {
		let policy = publish(terms());
		assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, ESCROW));
		assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, PATIENT, H256::repeat_byte(9)));
		let record = create_record(PATIENT, CITY_DOCTOR, 1);
		let lines = || vec![line("99213", 1, 100)];

		assert_noop!(submit(policy, lines(), record), Error::<Test>::NoConsent);
		grant(PATIENT, vec![Purpose::Treatment]);
		assert_noop!(submit(policy, lines(), record), Error::<Test>::PurposeNotPermitted);
		assert_noop!(
			submit(policy, lines(), H256::repeat_byte(0xee)),
			Error::<Test>::UnknownRecord
		);
		// A record of another patient is not evidence for this one.
		let other = create_record(OTHER_PATIENT, CITY_DOCTOR, 2);
		assert_noop!(submit(policy, lines(), other), Error::<Test>::UnknownRecord);

		// The provider's own records need no consent (HIPAA's payment exception).
		let own = create_record(PATIENT, MARYS_DOCTOR, 3);
		assert_ok!(submit(policy, lines(), own));
		assert_eq!(NextClaimId::<Test>::get(), 1);
	});
}

#[test]
fn publish_policy_checks_the_rules() {
	new_test_ext().execute_with(|| {
		let policy = publish(terms());
		let stored = Policies::<Test>::get(policy).expect("stored");
		assert_eq!(stored.payer, 2);
		assert!(stored.active);
		let codes: Vec<_> = stored.terms.procedures.iter().map(|(c, _)| c.to_vec()).collect();
		assert_eq!(codes, vec![b"70553".to_vec(), b"80053".to_vec(), b"99213".to_vec()]);
		System::assert_last_event(
			Event::PolicyPublished { policy_id: 0, payer: 2, escrow: Claims::escrow_account(0) }
				.into(),
		);

		let with = |edit: fn(&mut TermsOf<u64>)| {
			let mut t = terms();
			edit(&mut t);
			t
		};
		assert_noop!(
			Claims::publish_policy(signed(MARYS_DOCTOR), terms()),
			Error::<Test>::NotPayer
		);
		assert_noop!(
			Claims::publish_policy(signed(PAYER_CLERK), with(|t| t.procedures.clear())),
			Error::<Test>::NoProcedures
		);
		assert_noop!(
			Claims::publish_policy(
				signed(PAYER_CLERK),
				with(|t| t.diagnosis_prefixes.push(code("e11")))
			),
			Error::<Test>::InvalidCode
		);
		assert_noop!(
			Claims::publish_policy(
				signed(PAYER_CLERK),
				with(|t| t.procedures.push((code("99213"), 90)))
			),
			Error::<Test>::DuplicateProcedure
		);
		assert_noop!(
			Claims::publish_policy(signed(PAYER_CLERK), with(|t| t.procedures[0].1 = 0)),
			Error::<Test>::ZeroAllowedAmount
		);
		assert_noop!(
			Claims::publish_policy(
				signed(PAYER_CLERK),
				with(|t| {
					t.procedures = (0..9).map(|i| (code(&format!("9920{i}")), 10)).collect()
				})
			),
			Error::<Test>::TooManyProcedures
		);
		assert_noop!(
			Claims::publish_policy(
				signed(PAYER_CLERK),
				with(|t| t.prior_authorization = vec![code("A"); 5])
			),
			Error::<Test>::TooManyCodes
		);
		assert_noop!(
			Claims::publish_policy(signed(PAYER_CLERK), with(|t| t.out_of_pocket_max = 10)),
			Error::<Test>::OutOfPocketBelowDeductible
		);
		assert_noop!(
			Claims::publish_policy(signed(PAYER_CLERK), with(|t| t.valid_until = FIRST_DAY - 1)),
			Error::<Test>::BadPeriod
		);
	});
}

#[test]
fn payers_suspend_and_resume_their_policies() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		assert_ok!(Claims::set_policy_active(signed(PAYER_CLERK), policy, false));
		System::assert_last_event(
			Event::PolicyStatusChanged { policy_id: policy, active: false }.into(),
		);
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		assert_eq!(outcomes(0), vec![LineOutcome::Denied(DenialReason::PolicyInactive)]);

		assert_noop!(
			Claims::set_policy_active(signed(OTHER_PAYER), policy, true),
			Error::<Test>::NotPolicyPayer
		);
		assert_noop!(
			Claims::set_policy_active(signed(PAYER_CLERK), 7, true),
			Error::<Test>::UnknownPolicy
		);
		assert_ok!(Claims::set_policy_active(signed(PAYER_CLERK), policy, true));
		// The denied line did not hold the service: the corrected claim is paid.
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		assert_eq!(outcomes(1), vec![LineOutcome::Allowed]);
	});
}

#[test]
fn fund_policy_moves_money_into_escrow() {
	new_test_ext().execute_with(|| {
		let policy = publish(terms());
		assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, 500));
		System::assert_last_event(
			Event::PolicyFunded { policy_id: policy, from: PAYER_CLERK, amount: 500 }.into(),
		);
		assert_eq!(Claims::escrow_balance(policy), 500);
		assert_noop!(
			Claims::fund_policy(signed(PAYER_CLERK), policy, 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			Claims::fund_policy(signed(PAYER_CLERK), policy, PAYER_FUNDS),
			Error::<Test>::InsufficientFunds
		);
		assert_noop!(
			Claims::fund_policy(signed(OTHER_PAYER), policy, 10),
			Error::<Test>::NotPolicyPayer
		);
	});
}

#[test]
fn enroll_registers_patients_by_member_id_hash() {
	new_test_ext().execute_with(|| {
		let policy = publish(terms());
		assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, PATIENT, H256::repeat_byte(9)));
		System::assert_last_event(
			Event::PatientEnrolled { policy_id: policy, patient: PATIENT }.into(),
		);
		assert_eq!(
			crate::Enrollments::<Test>::get(policy, PATIENT).map(|e| e.member_id_hash),
			Some(H256::repeat_byte(9))
		);
		assert_noop!(
			Claims::enroll(signed(PAYER_CLERK), policy, PATIENT, H256::zero()),
			Error::<Test>::AlreadyEnrolled
		);
		assert_noop!(
			Claims::enroll(signed(PAYER_CLERK), policy, STRANGER, H256::zero()),
			Error::<Test>::PatientNotRegistered
		);
		assert_noop!(
			Claims::enroll(signed(MARYS_DOCTOR), policy, OTHER_PATIENT, H256::zero()),
			Error::<Test>::NotPayer
		);
	});
}

#[test]
fn prior_authorization_gates_its_procedures() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		let mri = || vec![line("70553", 1, 1_000)];
		assert_ok!(submit(policy, mri(), record));
		assert_eq!(outcomes(0), vec![LineOutcome::Denied(DenialReason::PriorAuthorizationMissing)]);

		assert_noop!(
			Claims::authorize_procedure(
				signed(PAYER_CLERK),
				policy,
				OTHER_PATIENT,
				code("70553"),
				SERVICE_DAY,
				SERVICE_DAY
			),
			Error::<Test>::NotEnrolled
		);
		assert_noop!(
			Claims::authorize_procedure(
				signed(PAYER_CLERK),
				policy,
				PATIENT,
				code("70553"),
				SERVICE_DAY,
				SERVICE_DAY - 1
			),
			Error::<Test>::BadPeriod
		);
		assert_noop!(
			Claims::authorize_procedure(
				signed(PAYER_CLERK),
				policy,
				PATIENT,
				code("70.53"),
				SERVICE_DAY,
				SERVICE_DAY
			),
			Error::<Test>::InvalidCode
		);
		assert_ok!(Claims::authorize_procedure(
			signed(PAYER_CLERK),
			policy,
			PATIENT,
			code("70553"),
			SERVICE_DAY,
			SERVICE_DAY + 30
		));
		assert_ok!(submit(policy, mri(), record));
		// 1,000 allowed: deductible 50, 20% of 950 = 190: patient 240, payer 760.
		let paid = &ClaimStore::<Test>::get(1).expect("stored").lines[0];
		assert_eq!(
			(paid.outcome, paid.patient_share, paid.payer_paid),
			(LineOutcome::Allowed, 240, 760)
		);
	});
}

#[test]
fn rules_deny_uncovered_diagnoses_and_days_outside_the_policy() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		let visit = || vec![line("99213", 1, 100)];
		assert_ok!(submit_on(policy, SERVICE_DAY, "J45", visit(), vec![record]));
		assert_eq!(outcomes(0), vec![LineOutcome::Denied(DenialReason::DiagnosisNotCovered)]);
		assert_ok!(submit_on(policy, FIRST_DAY + 730, "I10", visit(), vec![record]));
		assert_eq!(outcomes(1), vec![LineOutcome::Denied(DenialReason::PolicyInactive)]);
		assert_ok!(submit_on(policy, SERVICE_DAY, "I10", visit(), vec![record]));
		assert_eq!(outcomes(2), vec![LineOutcome::Allowed]);
		assert_eq!(provider_balance(), 40);
	});
}

#[test]
fn out_of_pocket_maximum_caps_the_patients_share() {
	new_test_ext().execute_with(|| {
		let policy = publish(CoverageTerms { out_of_pocket_max: 60, ..terms() });
		assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, ESCROW));
		assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, PATIENT, H256::zero()));
		let record = create_record(PATIENT, MARYS_DOCTOR, 1);
		assert_ok!(submit(policy, vec![line("99213", 1, 100), line("80053", 1, 50)], record));
		let shares: Vec<_> = ClaimStore::<Test>::get(0)
			.expect("stored")
			.lines
			.iter()
			.map(|l| (l.patient_share, l.payer_paid))
			.collect();
		assert_eq!(shares, vec![(60, 40), (0, 50)]);
		// A new plan year starts over.
		assert_ok!(submit_on(
			policy,
			FIRST_DAY + 365,
			"E11",
			vec![line("99213", 1, 100)],
			vec![record]
		));
		let next = &ClaimStore::<Test>::get(1).expect("stored").lines[0];
		assert_eq!((next.patient_share, next.payer_paid), (60, 40));
	});
}

#[test]
fn submit_claim_rejects_bad_claims_with_named_errors() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		let visit = || vec![line("99213", 1, 100)];
		let claim = |who: u64, policy: PolicyId, patient: u64| {
			Claims::submit_claim(
				signed(who),
				policy,
				patient,
				SERVICE_DAY,
				vec![code("E11")],
				visit(),
				vec![record],
			)
		};
		assert_noop!(claim(MARYS_CLERK, policy, PATIENT), Error::<Test>::NotProviderPractitioner);
		assert_noop!(claim(PAYER_CLERK, policy, PATIENT), Error::<Test>::NotProviderPractitioner);
		assert_noop!(claim(MARYS_DOCTOR, 9, PATIENT), Error::<Test>::UnknownPolicy);
		assert_noop!(claim(MARYS_DOCTOR, policy, OTHER_PATIENT), Error::<Test>::NotEnrolled);
		assert_noop!(submit(policy, vec![], record), Error::<Test>::NoLines);
		assert_noop!(
			submit(policy, vec![line("99213", 1, 1); 7], record),
			Error::<Test>::TooManyLines
		);
		assert_noop!(submit(policy, vec![line("99213", 0, 100)], record), Error::<Test>::ZeroUnits);
		assert_noop!(submit(policy, vec![line("99213", 1, 0)], record), Error::<Test>::ZeroCharge);
		assert_noop!(
			submit(policy, vec![line("9921-", 1, 10)], record),
			Error::<Test>::InvalidCode
		);
		assert_noop!(
			submit_on(policy, SERVICE_DAY, "e11", visit(), vec![record]),
			Error::<Test>::InvalidCode
		);
		assert_noop!(
			Claims::submit_claim(
				signed(MARYS_DOCTOR),
				policy,
				PATIENT,
				SERVICE_DAY,
				vec![],
				visit(),
				vec![record]
			),
			Error::<Test>::NoDiagnoses
		);
		assert_noop!(
			Claims::submit_claim(
				signed(MARYS_DOCTOR),
				policy,
				PATIENT,
				SERVICE_DAY,
				vec![code("E11"); 5],
				visit(),
				vec![record]
			),
			Error::<Test>::TooManyDiagnoses
		);
		assert_noop!(
			submit_on(policy, SERVICE_DAY, "E11", visit(), vec![]),
			Error::<Test>::NoSupportingRecords
		);
		assert_noop!(
			submit_on(policy, SERVICE_DAY, "E11", visit(), vec![record; 5]),
			Error::<Test>::TooManyRecords
		);
	});
}

#[test]
fn expensive_claims_wait_for_review() {
	new_test_ext().execute_with(|| {
		let policy = publish(CoverageTerms { review_threshold: 120, ..terms() });
		assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, ESCROW));
		assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, PATIENT, H256::zero()));
		let record = create_record(PATIENT, MARYS_DOCTOR, 1);
		let lines = || vec![line("99213", 1, 100), line("80053", 1, 80)];
		assert_ok!(submit(policy, lines(), record));
		System::assert_last_event(
			Event::ClaimPended { claim_id: 0, reason: PendReason::AboveReviewThreshold }.into(),
		);
		assert_eq!(outcomes(0), vec![LineOutcome::Pending, LineOutcome::Pending]);
		assert_eq!(provider_balance(), 0);
		// A pended service is held: the same service again is a duplicate.
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		assert_eq!(outcomes(1), vec![LineOutcome::Denied(DenialReason::Duplicate)]);

		assert_noop!(
			Claims::review_claim(signed(OTHER_PAYER), 0, true),
			Error::<Test>::NotPolicyPayer
		);
		assert_noop!(Claims::review_claim(signed(PAYER_CLERK), 1, true), Error::<Test>::NotPended);
		assert_noop!(
			Claims::review_claim(signed(PAYER_CLERK), 5, true),
			Error::<Test>::UnknownClaim
		);
		assert_ok!(Claims::review_claim(signed(PAYER_CLERK), 0, true));
		System::assert_last_event(
			Event::ClaimAdjudicated { claim_id: 0, payer_paid: 80, patient_share: 70 }.into(),
		);
		assert_eq!(outcomes(0), vec![LineOutcome::Allowed, LineOutcome::Reduced]);
		assert_eq!(provider_balance(), 80);
		assert_noop!(Claims::review_claim(signed(PAYER_CLERK), 0, true), Error::<Test>::NotPended);
	});
}

#[test]
fn rejected_claims_free_their_services() {
	new_test_ext().execute_with(|| {
		let policy = publish(CoverageTerms { review_threshold: 50, ..terms() });
		assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, ESCROW));
		assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, PATIENT, H256::zero()));
		let record = create_record(PATIENT, MARYS_DOCTOR, 1);
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		assert_ok!(Claims::review_claim(signed(PAYER_CLERK), 0, false));
		System::assert_last_event(Event::ClaimRejected { claim_id: 0 }.into());
		assert_eq!(ClaimStore::<Test>::get(0).map(|c| c.status), Some(ClaimStatus::Rejected));
		assert_eq!(outcomes(0), vec![LineOutcome::Denied(DenialReason::RejectedOnReview)]);
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		assert_eq!(outcomes(1), vec![LineOutcome::Pending]);
	});
}

#[test]
fn unusual_daily_volume_is_flagged() {
	new_test_ext().execute_with(|| {
		let policy = publish(CoverageTerms { max_daily_lines_per_provider: 2, ..terms() });
		assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, ESCROW));
		assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, PATIENT, H256::zero()));
		assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, OTHER_PATIENT, H256::zero()));
		let record = create_record(PATIENT, MARYS_DOCTOR, 1);
		let other = create_record(OTHER_PATIENT, MARYS_DOCTOR, 2);
		assert_ok!(submit(policy, vec![line("99213", 1, 100), line("80053", 1, 50)], record));
		assert_eq!(ClaimStore::<Test>::get(0).map(|c| c.status), Some(ClaimStatus::Adjudicated));
		assert_ok!(Claims::submit_claim(
			signed(MARYS_DOCTOR),
			policy,
			OTHER_PATIENT,
			SERVICE_DAY,
			vec![code("E11")],
			vec![line("99213", 1, 100)],
			vec![other],
		));
		System::assert_last_event(
			Event::ClaimPended { claim_id: 1, reason: PendReason::UnusualVolume }.into(),
		);
	});
}

#[test]
fn an_empty_escrow_pends_claims_until_funded() {
	new_test_ext().execute_with(|| {
		let policy = publish(terms());
		assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, PATIENT, H256::zero()));
		let record = create_record(PATIENT, MARYS_DOCTOR, 1);
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		System::assert_last_event(
			Event::ClaimPended { claim_id: 0, reason: PendReason::EscrowShort }.into(),
		);
		assert_eq!(Accumulators::<Test>::get((policy, PATIENT, 0)), Accumulator::default());
		assert_noop!(
			Claims::review_claim(signed(PAYER_CLERK), 0, true),
			Error::<Test>::InsufficientEscrow
		);
		assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, 40));
		assert_ok!(Claims::review_claim(signed(PAYER_CLERK), 0, true));
		assert_eq!(provider_balance(), 40);
		assert_eq!(Claims::escrow_balance(policy), 0);
	});
}

#[test]
fn appeals_are_made_once_by_the_provider_and_decided_by_the_payer() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		assert_ok!(submit(policy, vec![line("99213", 1, 100), line("99499", 1, 300)], record));
		assert_noop!(
			Claims::appeal_line(signed(CITY_DOCTOR), 0, 1, H256::zero()),
			Error::<Test>::NotClaimProvider
		);
		assert_noop!(
			Claims::appeal_line(signed(MARYS_DOCTOR), 0, 0, H256::zero()),
			Error::<Test>::LineNotDenied
		);
		assert_noop!(
			Claims::appeal_line(signed(MARYS_DOCTOR), 0, 2, H256::zero()),
			Error::<Test>::UnknownLine
		);
		assert_noop!(
			Claims::appeal_line(signed(MARYS_DOCTOR), 3, 0, H256::zero()),
			Error::<Test>::UnknownClaim
		);
		assert_noop!(
			Claims::resolve_appeal(signed(PAYER_CLERK), 0, 1, None),
			Error::<Test>::NotUnderAppeal
		);
		assert_ok!(Claims::appeal_line(signed(MARYS_DOCTOR), 0, 1, H256::repeat_byte(3)));
		System::assert_last_event(
			Event::LineAppealed { claim_id: 0, line: 1, justification: H256::repeat_byte(3) }
				.into(),
		);
		assert_noop!(
			Claims::resolve_appeal(signed(OTHER_PAYER), 0, 1, None),
			Error::<Test>::NotPolicyPayer
		);
		assert_noop!(
			Claims::resolve_appeal(signed(PAYER_CLERK), 0, 1, Some(301)),
			Error::<Test>::BadAllowedAmount
		);
		assert_noop!(
			Claims::resolve_appeal(signed(PAYER_CLERK), 0, 1, Some(0)),
			Error::<Test>::BadAllowedAmount
		);
		assert_ok!(Claims::resolve_appeal(signed(PAYER_CLERK), 0, 1, None));
		System::assert_last_event(
			Event::AppealResolved {
				claim_id: 0,
				line: 1,
				overturned: false,
				payer_paid: 0,
				patient_share: 0,
			}
			.into(),
		);
		assert_eq!(outcomes(0)[1], LineOutcome::Denied(DenialReason::NotCovered));
		assert_noop!(
			Claims::appeal_line(signed(MARYS_DOCTOR), 0, 1, H256::zero()),
			Error::<Test>::AlreadyAppealed
		);
	});
}

#[test]
fn payers_withdraw_unused_escrow() {
	new_test_ext().execute_with(|| {
		let policy = publish(terms());
		assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, 500));
		assert_noop!(
			Claims::withdraw_escrow(signed(PAYER_CLERK), policy, 501),
			Error::<Test>::InsufficientEscrow
		);
		assert_noop!(
			Claims::withdraw_escrow(signed(PAYER_CLERK), policy, 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			Claims::withdraw_escrow(signed(OTHER_PAYER), policy, 100),
			Error::<Test>::NotPolicyPayer
		);
		assert_ok!(Claims::withdraw_escrow(signed(PAYER_CLERK), policy, 200));
		System::assert_last_event(
			Event::EscrowWithdrawn { policy_id: policy, to: PAYER_CLERK, amount: 200 }.into(),
		);
		assert_eq!(Claims::escrow_balance(policy), 300);
		assert_eq!(Balances::balance(&PAYER_CLERK), PAYER_FUNDS - 300);
	});
}

#[test]
fn provider_admins_collect_claim_payments() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		assert_eq!(provider_balance(), 40);
		assert_noop!(
			Claims::collect_payments(signed(MARYS_DOCTOR), 40),
			Error::<Test>::NotOrganizationAdmin
		);
		assert_noop!(
			Claims::collect_payments(signed(MARYS_ADMIN), 41),
			Error::<Test>::InsufficientFunds
		);
		assert_noop!(Claims::collect_payments(signed(MARYS_ADMIN), 0), Error::<Test>::ZeroAmount);
		assert_ok!(Claims::collect_payments(signed(MARYS_ADMIN), 40));
		System::assert_last_event(
			Event::PaymentsCollected { provider: MARYS, to: MARYS_ADMIN, amount: 40 }.into(),
		);
		assert_eq!(provider_balance(), 0);
		assert_eq!(Balances::balance(&MARYS_ADMIN), 40);
	});
}

#[test]
fn approving_a_claim_does_not_pay_an_overturned_appeal_again() {
	new_test_ext().execute_with(|| {
		let policy = publish(CoverageTerms { review_threshold: 50, ..terms() });
		assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, ESCROW));
		assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, PATIENT, H256::zero()));
		let record = create_record(PATIENT, MARYS_DOCTOR, 1);
		assert_ok!(submit(policy, vec![line("99213", 1, 100), line("99499", 1, 300)], record));
		assert_eq!(
			outcomes(0),
			vec![LineOutcome::Pending, LineOutcome::Denied(DenialReason::NotCovered)]
		);
		// The uncovered line is overturned at 200 while the claim waits: deductible 50 and
		// 20% of 150 leave the patient 80 and the payer 120.
		assert_ok!(Claims::appeal_line(signed(MARYS_DOCTOR), 0, 1, H256::zero()));
		assert_ok!(Claims::resolve_appeal(signed(PAYER_CLERK), 0, 1, Some(200)));
		assert_eq!(provider_balance(), 120);
		// Approval pays the visit alone: 100 allowed, all coinsurance, 20 patient, 80 payer.
		assert_ok!(Claims::review_claim(signed(PAYER_CLERK), 0, true));
		System::assert_last_event(
			Event::ClaimAdjudicated { claim_id: 0, payer_paid: 80, patient_share: 20 }.into(),
		);
		assert_eq!(provider_balance(), 200);
		assert_eq!(Claims::escrow_balance(policy), ESCROW - 200);
	});
}
