//! Unit tests of the claims pallet and the claims scenario: a policy published and funded, a
//! claim adjudicated to the hand-computed amounts, a duplicate denied, an appeal resolved, and
//! a claim without consent rejected; then the attacks on escrow, appeals, bounds and provider
//! relationships, each refused. Every test ends with the pallet's `try_state` (see
//! `mock::TestExt`).

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate::{
	code_tag, diagnosis_tags, mock::*, Accumulator, Accumulators, ClaimStatus, ClaimedServices,
	Claims as ClaimStore, CodeKey, CodeKind, CodeTag, CoverageTerms, Day, DenialReason,
	DiagnosisTags, Error, EscrowLedger, Escrows, Event, LineOutcome, NextClaimId, NextPolicyId,
	PendReason, Policies, PolicyId, ServiceLine, TermsOf,
};
use carechain_primitives::{
	AccessPolicy, AuditAction, Decision, FhirResourceType, MembershipProvider, Purpose, RecordId,
};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	traits::fungible::{Inspect, Mutate},
};
use pallet_consent::{ConsentScope, Grantee};
use sp_core::H256;
use sp_runtime::{DispatchResult, Percent};

/// The policy's first day (2023-08-07), 100 days before the tests start.
const FIRST_DAY: Day = 19_575;
/// The day of service, in the first plan year: the day the tests start (2023-11-14), on which
/// the patient is enrolled and the supporting records are written.
const SERVICE_DAY: Day = 19_675;
/// What the payer moves into escrow.
const ESCROW: u64 = 100_000;

/// The payer's code key of the test policies' epoch 0, which it shares with the providers.
const KEY: CodeKey = [0x5e; 32];

/// What each claim's sealed attachment hashes to.
const ATTACHMENT: H256 = H256::repeat_byte(0xa7);

/// A procedure code's tag under `KEY`.
fn tag(code: &str) -> CodeTag {
	code_tag(&KEY, CodeKind::Procedure, code.as_bytes()).expect("a valid code")
}

/// A covered diagnosis prefix's tag under `KEY`.
fn prefix(code: &str) -> CodeTag {
	code_tag(&KEY, CodeKind::Diagnosis, code.as_bytes()).expect("a valid code")
}

/// A principal diagnosis's tags under `KEY`.
fn dx(code: &str) -> DiagnosisTags {
	diagnosis_tags(&KEY, code.as_bytes()).expect("an ICD-10-CM code")
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// Office visit 99213 at 100, metabolic panel 80053 at 50, brain MRI 70553 at 1,000 with prior
/// authorization; diabetes (E11) and hypertension (I10); deductible 50, coinsurance 20%,
/// out-of-pocket maximum 500.
fn terms() -> TermsOf<u64> {
	CoverageTerms {
		procedures: vec![(tag("99213"), 100), (tag("80053"), 50), (tag("70553"), 1_000)],
		diagnosis_prefixes: vec![prefix("E11"), prefix("I10")],
		prior_authorization: vec![tag("70553")],
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

/// A record of `patient` written by `author`; a practitioner first gets the patient's Treatment
/// consent for their organization, as writing requires.
fn create_record(patient: u64, author: u64, seed: u8) -> RecordId {
	let now = Timestamp::get();
	if let Decision::Denied(_) =
		Consent::check_write(&patient, &author, FhirResourceType::Procedure, now)
	{
		let org = Registry::active_membership(&author).expect("a member").org;
		assert_ok!(Consent::grant(
			signed(patient),
			patient,
			Grantee::Organization(org),
			ConsentScope::AllRecords,
			vec![Purpose::Treatment],
			START + 365 * DAY,
			vec![],
		));
	}
	let index = pallet_records::PatientRecordCount::<Test>::get(patient);
	assert_ok!(Records::create_record(
		signed(author),
		patient,
		FhirResourceType::Procedure,
		pallet_records::RecordContent {
			content_hash: H256::repeat_byte(seed),
			size: 100,
			locator: H256::repeat_byte(seed),
			patient_key: [seed; 80],
		}
	));
	let id = pallet_records::Pallet::<Test>::record_id(&patient, index);
	assert!(pallet_records::Records::<Test>::contains_key(id), "just created");
	id
}

/// Moves the clock to noon of `day`, and St. Mary's doctor writes a record of the patient's
/// care that day: each record supports the services of one day.
fn record_on(day: Day, seed: u8) -> RecordId {
	Timestamp::set_timestamp(u64::from(day) * DAY + DAY / 2);
	create_record(PATIENT, MARYS_DOCTOR, seed)
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
	ServiceLine { procedure: tag(procedure), units, charged, telehealth: None }
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
		0,
		dx(diagnosis),
		lines,
		records,
		ATTACHMENT,
	)
}

fn submit(policy: PolicyId, lines: Vec<ServiceLine<u64>>, record: RecordId) -> DispatchResult {
	submit_on(policy, SERVICE_DAY, "E119", lines, vec![record])
}

fn outcomes(claim: u64) -> Vec<LineOutcome> {
	ClaimStore::<Test>::get(claim).expect("stored").lines.iter().map(|l| l.outcome).collect()
}

fn provider_balance() -> u64 {
	Balances::balance(&Claims::settlement_account(MARYS))
}

fn escrow(policy: PolicyId) -> u64 {
	Balances::balance(&Claims::escrow_account(policy))
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
		let tags: Vec<_> = stored.terms.procedures.iter().map(|(tag, _)| *tag).collect();
		let mut sorted = vec![tag("70553"), tag("80053"), tag("99213")];
		sorted.sort();
		assert_eq!(tags, sorted);
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
				with(|t| t.procedures.push((tag("99213"), 90)))
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
					t.procedures = (0..9).map(|i| (tag(&format!("9920{i}")), 10)).collect()
				})
			),
			Error::<Test>::TooManyProcedures
		);
		assert_noop!(
			Claims::publish_policy(
				signed(PAYER_CLERK),
				with(|t| t.prior_authorization = vec![tag("A"); 5])
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
				tag("70553"),
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
				tag("70553"),
				SERVICE_DAY,
				SERVICE_DAY - 1
			),
			Error::<Test>::BadPeriod
		);
		assert_ok!(Claims::authorize_procedure(
			signed(PAYER_CLERK),
			policy,
			PATIENT,
			tag("70553"),
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
fn rules_deny_uncovered_diagnoses_and_claims_outside_the_policy_are_refused() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		let visit = || vec![line("99213", 1, 100)];
		assert_ok!(submit_on(policy, SERVICE_DAY, "J45", visit(), vec![record]));
		assert_eq!(outcomes(0), vec![LineOutcome::Denied(DenialReason::DiagnosisNotCovered)]);
		assert_ok!(submit_on(policy, SERVICE_DAY, "I10", visit(), vec![record]));
		assert_eq!(outcomes(1), vec![LineOutcome::Allowed]);
		assert_eq!(provider_balance(), 40);
		// The day after the policy's last day, once it has come: refused before the records
		// are looked at.
		Timestamp::set_timestamp(u64::from(FIRST_DAY + 730) * DAY);
		assert_noop!(
			submit_on(policy, FIRST_DAY + 730, "I10", visit(), vec![record]),
			Error::<Test>::ServiceOutsidePolicyPeriod
		);
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
		let next_year = record_on(FIRST_DAY + 365, 2);
		assert_ok!(submit_on(
			policy,
			FIRST_DAY + 365,
			"E11",
			vec![line("99213", 1, 100)],
			vec![next_year]
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
				0,
				dx("E11"),
				visit(),
				vec![record],
				ATTACHMENT,
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
		// A principal diagnosis that repeats a tag, e.g. a covered prefix's in every slot.
		let mut repeated = dx("E119");
		repeated[4] = repeated[0];
		assert_noop!(
			Claims::submit_claim(
				signed(MARYS_DOCTOR),
				policy,
				PATIENT,
				SERVICE_DAY,
				0,
				repeated,
				visit(),
				vec![record],
				ATTACHMENT
			),
			Error::<Test>::InvalidDiagnosisTags
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
			0,
			dx("E11"),
			vec![line("99213", 1, 100)],
			vec![other],
			ATTACHMENT,
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
fn payer_admins_withdraw_unused_escrow_into_the_payers_settlement_account() {
	new_test_ext().execute_with(|| {
		let policy = publish(terms());
		assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, 500));
		assert_noop!(
			Claims::withdraw_escrow(signed(PAYER_ADMIN), policy, 501),
			Error::<Test>::InsufficientEscrow
		);
		assert_noop!(
			Claims::withdraw_escrow(signed(PAYER_ADMIN), policy, 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			Claims::withdraw_escrow(signed(PAYER_ADMIN), 7, 100),
			Error::<Test>::UnknownPolicy
		);
		assert_ok!(Claims::withdraw_escrow(signed(PAYER_ADMIN), policy, 200));
		let settlement = Claims::settlement_account(PAYER);
		System::assert_last_event(
			Event::EscrowWithdrawn {
				policy_id: policy,
				payer: PAYER,
				by: PAYER_ADMIN,
				to: settlement,
				amount: 200,
			}
			.into(),
		);
		assert_eq!(Claims::escrow_balance(policy), 300);
		assert_eq!(escrow(policy), 300);
		assert_eq!(
			Escrows::<Test>::get(policy),
			EscrowLedger { funded: 500, paid: 0, withdrawn: 200 }
		);
		// The money is the organization's, not the admin's.
		assert_eq!(Balances::balance(&settlement), 200);
		assert_eq!(Balances::balance(&PAYER_ADMIN), 0);
		assert_eq!(Balances::balance(&PAYER_CLERK), PAYER_FUNDS - 500);

		// An admin collects it from the settlement account into the payer's payout account, as
		// providers collect payments.
		assert_noop!(
			Claims::collect_payments(signed(PAYER_CLERK), 200),
			Error::<Test>::NotOrganizationAdmin
		);
		assert_ok!(Claims::set_payout_account(RuntimeOrigin::root(), PAYER, PAYER_PAYOUT));
		assert_ok!(Claims::collect_payments(signed(PAYER_ADMIN), 200));
		System::assert_last_event(
			Event::PaymentsCollected { org: PAYER, by: PAYER_ADMIN, to: PAYER_PAYOUT, amount: 200 }
				.into(),
		);
		assert_eq!(Balances::balance(&PAYER_PAYOUT), 200);
		assert_eq!(Balances::balance(&PAYER_ADMIN), 0);
	});
}

/// Hole 5: any member of the payer withdrew escrow to their own account.
#[test]
fn only_the_payers_current_admins_withdraw_escrow() {
	new_test_ext().execute_with(|| {
		let policy = publish(terms());
		assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, 500));
		let untouched = || {
			assert_eq!(escrow(policy), 500);
			assert_eq!(Claims::escrow_balance(policy), 500);
		};
		// Claims staff and the medical director belong to the payer but are not admins.
		assert_noop!(
			Claims::withdraw_escrow(signed(PAYER_CLERK), policy, 100),
			Error::<Test>::NotPayerAdmin
		);
		assert_noop!(
			Claims::withdraw_escrow(signed(PAYER_MEDICAL_DIRECTOR), policy, 100),
			Error::<Test>::NotPayerAdmin
		);
		// An admin of another payer.
		assert_noop!(
			Claims::withdraw_escrow(signed(OTHER_PAYER), policy, 100),
			Error::<Test>::NotPolicyPayer
		);
		// An admin of a provider, and an outsider.
		assert_noop!(
			Claims::withdraw_escrow(signed(MARYS_ADMIN), policy, 100),
			Error::<Test>::NotPayer
		);
		assert_noop!(
			Claims::withdraw_escrow(signed(STRANGER), policy, 100),
			Error::<Test>::NotPayer
		);
		// A former admin, removed from the payer.
		assert_ok!(Registry::remove_member(signed(PAYER_ADMIN), PAYER_SECOND_ADMIN));
		assert_noop!(
			Claims::withdraw_escrow(signed(PAYER_SECOND_ADMIN), policy, 100),
			Error::<Test>::NotPayer
		);
		untouched();
		assert_eq!(Balances::balance(&PAYER_SECOND_ADMIN), 0);
		assert_eq!(Balances::balance(&Claims::settlement_account(PAYER)), 0);

		// The remaining admin's withdrawal lands in the payer's settlement account only.
		assert_ok!(Claims::withdraw_escrow(signed(PAYER_ADMIN), policy, 100));
		assert_eq!(Balances::balance(&Claims::settlement_account(PAYER)), 100);
		assert_eq!(Balances::balance(&PAYER_ADMIN), 0);
		assert_eq!(escrow(policy), 400);
	});
}

/// Money sent to an escrow account outside `fund_policy` is not the policy's: the ledger, not
/// the account's balance, says what the escrow pays and what may be withdrawn.
#[test]
fn the_escrow_pays_only_what_its_ledger_holds() {
	new_test_ext().execute_without_escrow_equality(|| {
		let (policy, record) = setup();
		assert_ok!(<Balances as Mutate<u64>>::transfer(
			&OTHER_PAYER,
			&Claims::escrow_account(policy),
			1_000,
			frame_support::traits::tokens::Preservation::Expendable,
		));
		assert_eq!(escrow(policy), ESCROW + 1_000);
		assert_eq!(Claims::escrow_balance(policy), ESCROW);
		assert_noop!(
			Claims::withdraw_escrow(signed(PAYER_ADMIN), policy, ESCROW + 1),
			Error::<Test>::InsufficientEscrow
		);
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		assert_eq!(
			Escrows::<Test>::get(policy),
			EscrowLedger { funded: ESCROW, paid: 40, withdrawn: 0 }
		);
		assert_ok!(Claims::withdraw_escrow(signed(PAYER_ADMIN), policy, ESCROW - 40));
		assert_eq!(Claims::escrow_balance(policy), 0);
		assert_eq!(escrow(policy), 1_000);
	});
}

#[test]
fn provider_admins_collect_claim_payments() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		assert_ok!(Claims::set_payout_account(RuntimeOrigin::root(), MARYS, MARYS_PAYOUT));
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
			Event::PaymentsCollected { org: MARYS, by: MARYS_ADMIN, to: MARYS_PAYOUT, amount: 40 }
				.into(),
		);
		assert_eq!(provider_balance(), 0);
		assert_eq!(Balances::balance(&MARYS_PAYOUT), 40);
		assert_eq!(Balances::balance(&MARYS_ADMIN), 0);
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

/// A policy whose claims above 100 wait for review, funded, with the patient enrolled and a
/// record of St. Mary's about the patient.
fn reviewed_setup() -> (PolicyId, RecordId) {
	let policy = publish(CoverageTerms { review_threshold: 100, ..terms() });
	assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, ESCROW));
	assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, PATIENT, H256::zero()));
	(policy, create_record(PATIENT, MARYS_DOCTOR, 1))
}

fn service_holder(day: Day, procedure: &str) -> Option<u64> {
	ClaimedServices::<Test>::get(Claims::service_key(&PATIENT, MARYS, day, &tag(procedure)))
}

/// Hole 8: a rejected claim's services are resubmitted and paid, then the rejected line is
/// appealed, overturned and paid again.
#[test]
fn a_rejected_claims_lines_cannot_be_appealed_into_a_second_payment() {
	new_test_ext().execute_with(|| {
		let (policy, record) = reviewed_setup();
		// 150 is above the review threshold: the claim waits, and the payer rejects it.
		assert_ok!(submit(policy, vec![line("99213", 1, 150)], record));
		assert_ok!(Claims::review_claim(signed(PAYER_CLERK), 0, false));
		assert_eq!(outcomes(0), vec![LineOutcome::Denied(DenialReason::RejectedOnReview)]);
		// The corrected claim is paid: 100 allowed, 60 the patient's, 40 the payer's.
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		assert_eq!(outcomes(1), vec![LineOutcome::Allowed]);
		assert_eq!(provider_balance(), 40);
		assert_eq!(escrow(policy), ESCROW - 40);

		// The attack: appeal the rejected line to have the service paid a second time.
		assert_noop!(
			Claims::appeal_line(signed(MARYS_ADMIN), 0, 0, H256::repeat_byte(7)),
			Error::<Test>::ClaimNotAppealable
		);
		assert_noop!(
			Claims::resolve_appeal(signed(PAYER_CLERK), 0, 0, Some(150)),
			Error::<Test>::ClaimNotAppealable
		);
		assert_eq!(provider_balance(), 40);
		assert_eq!(escrow(policy), ESCROW - 40);
		assert_eq!(service_holder(SERVICE_DAY, "99213"), Some(1));
	});
}

/// Hole 8, the payer's side: overturning a line checks and records the service.
#[test]
fn overturning_an_appeal_never_pays_a_service_held_by_another_line() {
	new_test_ext().execute_with(|| {
		let (policy, record) = reviewed_setup();
		// Claim 0 holds the visit while it waits; claim 1 bills it again and is denied.
		assert_ok!(submit(policy, vec![line("99213", 1, 150)], record));
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		assert_eq!(outcomes(1), vec![LineOutcome::Denied(DenialReason::Duplicate)]);
		assert_ok!(Claims::appeal_line(signed(MARYS_ADMIN), 1, 0, H256::repeat_byte(1)));
		// The payer approves claim 0: the visit is paid once (100 allowed, 40 the payer's).
		assert_ok!(Claims::review_claim(signed(PAYER_CLERK), 0, true));
		assert_eq!(provider_balance(), 40);
		assert_noop!(
			Claims::resolve_appeal(signed(PAYER_CLERK), 1, 0, Some(100)),
			Error::<Test>::ServiceAlreadyClaimed
		);
		assert_eq!(escrow(policy), ESCROW - 40);
		assert_ok!(Claims::resolve_appeal(signed(PAYER_CLERK), 1, 0, None));

		// Two lines of one claim: the second is a duplicate of the first, paid.
		let day = SERVICE_DAY + 1;
		let record = record_on(day, 2);
		assert_ok!(submit_on(
			policy,
			day,
			"E11",
			vec![line("80053", 1, 50), line("80053", 1, 50)],
			vec![record]
		));
		assert_eq!(outcomes(2)[1], LineOutcome::Denied(DenialReason::Duplicate));
		let paid = provider_balance();
		assert_ok!(Claims::appeal_line(signed(MARYS_ADMIN), 2, 1, H256::repeat_byte(2)));
		assert_noop!(
			Claims::resolve_appeal(signed(PAYER_CLERK), 2, 1, Some(50)),
			Error::<Test>::ServiceAlreadyClaimed
		);
		assert_eq!(provider_balance(), paid);

		// A duplicate whose holder was rejected may be overturned, and then holds the service.
		let day = SERVICE_DAY + 2;
		let record = record_on(day, 3);
		assert_ok!(submit_on(policy, day, "E11", vec![line("99213", 1, 150)], vec![record]));
		assert_ok!(submit_on(policy, day, "E11", vec![line("99213", 1, 100)], vec![record]));
		assert_eq!(outcomes(4), vec![LineOutcome::Denied(DenialReason::Duplicate)]);
		assert_ok!(Claims::appeal_line(signed(MARYS_ADMIN), 4, 0, H256::repeat_byte(3)));
		assert_ok!(Claims::review_claim(signed(PAYER_CLERK), 3, false));
		assert_eq!(service_holder(day, "99213"), None);
		assert_ok!(Claims::resolve_appeal(signed(PAYER_CLERK), 4, 0, Some(100)));
		assert_eq!(service_holder(day, "99213"), Some(4));
		assert_ok!(submit_on(policy, day, "E11", vec![line("99213", 1, 100)], vec![record]));
		assert_eq!(outcomes(5), vec![LineOutcome::Denied(DenialReason::Duplicate)]);
	});
}

#[test]
fn rejecting_a_claim_closes_its_open_appeals() {
	new_test_ext().execute_with(|| {
		let (policy, record) = reviewed_setup();
		assert_ok!(submit(policy, vec![line("99213", 1, 150), line("99499", 1, 300)], record));
		assert_eq!(
			ClaimStore::<Test>::get(0).map(|c| c.status),
			Some(ClaimStatus::Pended(PendReason::AboveReviewThreshold))
		);
		// A denied line of a waiting claim may be appealed.
		assert_ok!(Claims::appeal_line(signed(MARYS_DOCTOR), 0, 1, H256::repeat_byte(5)));
		assert_ok!(Claims::review_claim(signed(PAYER_CLERK), 0, false));
		System::assert_has_event(
			Event::AppealResolved {
				claim_id: 0,
				line: 1,
				overturned: false,
				payer_paid: 0,
				patient_share: 0,
			}
			.into(),
		);
		System::assert_last_event(Event::ClaimRejected { claim_id: 0 }.into());
		assert_eq!(
			outcomes(0),
			vec![
				LineOutcome::Denied(DenialReason::RejectedOnReview),
				LineOutcome::Denied(DenialReason::NotCovered)
			]
		);
		assert_noop!(
			Claims::resolve_appeal(signed(PAYER_CLERK), 0, 1, Some(300)),
			Error::<Test>::ClaimNotAppealable
		);
		assert_noop!(
			Claims::appeal_line(signed(MARYS_DOCTOR), 0, 0, H256::zero()),
			Error::<Test>::ClaimNotAppealable
		);
		assert_eq!(escrow(policy), ESCROW);
	});
}

/// Hole 9: lists were looped over (codes checked, fee schedules sorted) before they were
/// bounded.
#[test]
fn every_list_is_bounded_before_it_is_looped_over() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		// Past the bound, with zero units that a loop would report first.
		assert_noop!(
			submit(policy, vec![line("99213", 0, 100); 7], record),
			Error::<Test>::TooManyLines
		);
		assert_noop!(
			Claims::publish_policy(
				signed(PAYER_CLERK),
				CoverageTerms { procedures: (0..9).map(|_| (tag("X"), 0)).collect(), ..terms() }
			),
			Error::<Test>::TooManyProcedures
		);
		assert_noop!(
			Claims::publish_policy(
				signed(PAYER_CLERK),
				CoverageTerms { diagnosis_prefixes: vec![prefix("E11"); 5], ..terms() }
			),
			Error::<Test>::TooManyCodes
		);
		// At the bounds: 6 lines, 4 records.
		assert_ok!(submit_on(
			policy,
			SERVICE_DAY,
			"E11",
			vec![line("99213", 1, 100); 6],
			vec![record; 4]
		));
		assert_eq!(ClaimStore::<Test>::get(0).map(|c| c.lines.len()), Some(6));
	});
}

/// Hole 9: `submit_claim` was charged for lines and records only, and for one consent read per
/// record.
#[test]
fn submit_claim_is_charged_for_every_list_it_loops_over() {
	use crate::WeightInfo;
	new_test_ext().execute_with(|| {
		let weight = |lines: usize, records: usize| {
			crate::Call::<Test>::submit_claim {
				policy_id: 0,
				patient: PATIENT,
				service_date: SERVICE_DAY,
				code_key_epoch: 0,
				diagnosis: dx("E11"),
				lines: vec![line("99213", 1, 100); lines],
				records: vec![H256::zero(); records],
				attachment: ATTACHMENT,
			}
			.get_dispatch_info()
			.call_weight
		};
		assert_eq!(weight(3, 4), <() as WeightInfo>::submit_claim(3, 4));
		let base = weight(1, 1).ref_time();
		// The principal diagnosis is a fixed number of tags, matched against a bounded list.
		assert!(weight(2, 1).ref_time() > base);
		assert!(weight(1, 2).ref_time() > base);
		// Past the bounds the caller is charged for what they sent.
		assert!(weight(1, 1000).ref_time() > weight(1, 4).ref_time());
	});
}

/// A practitioner who is also a patient billed their own care, disclosing their own records
/// as the patient.
#[test]
fn practitioners_do_not_bill_their_own_care() {
	new_test_ext().execute_with(|| {
		let policy = publish(terms());
		assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, ESCROW));
		assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, MARYS_DOCTOR, H256::zero()));
		let own = create_record(MARYS_DOCTOR, MARYS_DOCTOR, 1);
		assert_noop!(
			Claims::submit_claim(
				signed(MARYS_DOCTOR),
				policy,
				MARYS_DOCTOR,
				SERVICE_DAY,
				0,
				dx("E11"),
				vec![line("99213", 1, 100)],
				vec![own],
				ATTACHMENT
			),
			Error::<Test>::ClaimForSelf
		);
		assert_eq!(escrow(policy), ESCROW);
		assert_eq!(NextClaimId::<Test>::get(), 0);
	});
}

/// A practitioner who is a patient's guardian billed the ward's care, disclosing the ward's
/// records as guardian, with no provider relationship.
#[test]
fn guardians_do_not_bill_their_wards_care() {
	new_test_ext().execute_with(|| {
		let policy = publish(terms());
		assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, ESCROW));
		assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, OTHER_PATIENT, H256::zero()));
		assert_ok!(Registry::add_guardian(signed(OTHER_PATIENT), MARYS_DOCTOR));
		let reported = create_record(OTHER_PATIENT, OTHER_PATIENT, 1);
		let written = create_record(OTHER_PATIENT, MARYS_DOCTOR, 2);
		for record in [reported, written] {
			assert_noop!(
				Claims::submit_claim(
					signed(MARYS_DOCTOR),
					policy,
					OTHER_PATIENT,
					SERVICE_DAY,
					0,
					dx("E11"),
					vec![line("99213", 1, 100)],
					vec![record],
					ATTACHMENT
				),
				Error::<Test>::NoProviderRelationship
			);
		}
		assert_eq!(escrow(policy), ESCROW);
	});
}

/// Services were billed, and paid, for days still to come.
#[test]
fn services_are_billed_once_rendered() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		let today = Claims::day_of(START);
		let visit = || vec![line("99213", 1, 100)];
		assert_noop!(
			submit_on(policy, today + 1, "E11", visit(), vec![record]),
			Error::<Test>::ServiceDateInFuture
		);
		assert_ok!(submit_on(policy, today, "E11", visit(), vec![record]));
		assert_eq!(outcomes(0), vec![LineOutcome::Allowed]);
	});
}

/// A claim without an eligible line was pended for unusual volume, with nothing to decide.
#[test]
fn a_claim_without_an_eligible_line_is_not_pended() {
	new_test_ext().execute_with(|| {
		let policy = publish(CoverageTerms { max_daily_lines_per_provider: 1, ..terms() });
		assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, ESCROW));
		assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, PATIENT, H256::zero()));
		let record = create_record(PATIENT, MARYS_DOCTOR, 1);
		assert_ok!(submit(policy, vec![line("99213", 1, 100), line("80053", 1, 50)], record));
		System::assert_last_event(
			Event::ClaimPended { claim_id: 0, reason: PendReason::UnusualVolume }.into(),
		);
		assert_ok!(submit(policy, vec![line("99499", 1, 100)], record));
		assert_eq!(ClaimStore::<Test>::get(1).map(|c| c.status), Some(ClaimStatus::Adjudicated));
	});
}

#[test]
fn former_members_lose_their_organizations_calls() {
	new_test_ext().execute_with(|| {
		let (policy, record) = reviewed_setup();
		assert_ok!(submit(policy, vec![line("99213", 1, 150), line("99499", 1, 300)], record));
		assert_ok!(Registry::remove_member(signed(PAYER_ADMIN), PAYER_CLERK));
		assert_ok!(Registry::remove_member(signed(MARYS_ADMIN), MARYS_CLERK));
		assert_noop!(Claims::review_claim(signed(PAYER_CLERK), 0, true), Error::<Test>::NotPayer);
		assert_noop!(
			Claims::enroll(signed(PAYER_CLERK), policy, OTHER_PATIENT, H256::zero()),
			Error::<Test>::NotPayer
		);
		assert_noop!(
			Claims::appeal_line(signed(MARYS_CLERK), 0, 1, H256::zero()),
			Error::<Test>::NotClaimProvider
		);
		assert_ok!(Claims::appeal_line(signed(MARYS_ADMIN), 0, 1, H256::zero()));
		assert_noop!(
			Claims::resolve_appeal(signed(PAYER_CLERK), 0, 1, Some(300)),
			Error::<Test>::NotPayer
		);
		// Another payer's members decide nothing about this payer's claims.
		assert_noop!(
			Claims::resolve_appeal(signed(OTHER_PAYER), 0, 1, Some(300)),
			Error::<Test>::NotPolicyPayer
		);
		assert_noop!(
			Claims::authorize_procedure(
				signed(OTHER_PAYER),
				policy,
				PATIENT,
				tag("70553"),
				SERVICE_DAY,
				SERVICE_DAY
			),
			Error::<Test>::NotPolicyPayer
		);
		assert_eq!(escrow(policy), ESCROW);
	});
}

/// Charges and units at their limits saturate and can never pay more than the escrow holds.
#[test]
fn huge_amounts_cannot_pay_more_than_the_escrow_holds() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		assert_ok!(submit(policy, vec![line("99213", u32::MAX, u64::MAX)], record));
		System::assert_last_event(
			Event::ClaimPended { claim_id: 0, reason: PendReason::AboveReviewThreshold }.into(),
		);
		assert_noop!(
			Claims::review_claim(signed(PAYER_CLERK), 0, true),
			Error::<Test>::InsufficientEscrow
		);
		assert_eq!(escrow(policy), ESCROW);
	});
}

/// Rewrites every stored claim as storage versions 0 and 1 encoded it.
fn store_claims_as_version_1() {
	use crate::migrations::v2::{V1AdjudicatedLine, V1Claim, V1ServiceLine};
	for (id, claim) in ClaimStore::<Test>::iter().collect::<Vec<_>>() {
		let old = V1Claim::<u64, u64> {
			policy: claim.policy,
			patient: claim.patient,
			provider: claim.provider,
			practitioner: claim.practitioner,
			service_date: claim.service_date,
			code_key_epoch: claim.code_key_epoch,
			diagnosis: claim.diagnosis,
			lines: claim
				.lines
				.iter()
				.map(|l| V1AdjudicatedLine {
					billed: V1ServiceLine {
						procedure: l.billed.procedure,
						units: l.billed.units,
						charged: l.billed.charged,
					},
					outcome: l.outcome,
					scheduled: l.scheduled,
					allowed: l.allowed,
					payer_paid: l.payer_paid,
					patient_share: l.patient_share,
					appeal: l.appeal,
				})
				.collect(),
			records: claim.records.to_vec(),
			attachment: claim.attachment,
			status: claim.status,
			submitted_at: claim.submitted_at,
		};
		frame_support::storage::unhashed::put(&ClaimStore::<Test>::hashed_key_for(id), &old);
	}
}

#[test]
fn migration_to_v1_starts_each_ledger_at_its_escrow_balance() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		assert_ok!(submit(policy, vec![line("99213", 1, 100), line("99499", 1, 300)], record));
		assert_ok!(Claims::appeal_line(signed(MARYS_ADMIN), 0, 1, H256::zero()));
		assert_ok!(Claims::resolve_appeal(signed(PAYER_CLERK), 0, 1, Some(200)));
		assert_ok!(Claims::withdraw_escrow(signed(PAYER_ADMIN), policy, 1_000));
		assert_eq!(provider_balance(), 200);
		// Version 0 kept no ledgers, and its overturned lines held no service.
		Escrows::<Test>::remove(policy);
		let overturned = Claims::service_key(&PATIENT, MARYS, SERVICE_DAY, &tag("99499"));
		ClaimedServices::<Test>::remove(overturned);
		StorageVersion::new(0).put::<Claims>();
		// Version 0 stored claims as version 1 did: lines without `telehealth`.
		store_claims_as_version_1();

		crate::migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(Claims::on_chain_storage_version(), 1);
		crate::migrations::v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(Claims::on_chain_storage_version(), 2);
		assert_eq!(ClaimStore::<Test>::get(0).map(|c| c.lines.len()), Some(2));
		// Paid: 40 and 160. Withdrawals before the ledger are folded into `funded`.
		assert_eq!(
			Escrows::<Test>::get(policy),
			EscrowLedger { funded: ESCROW - 1_000, paid: 200, withdrawn: 0 }
		);
		assert_eq!(Claims::escrow_balance(policy), escrow(policy));
		assert_eq!(ClaimedServices::<Test>::get(overturned), Some(0));
	});
}

/// A suspended payer cannot review, answer appeals or suspend its policies, yet its escrow kept
/// paying claims by the rules.
#[test]
fn a_suspended_payers_escrow_pays_nothing_by_the_rules() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		assert_ok!(Registry::suspend_organization(RuntimeOrigin::root(), PAYER));
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		assert_eq!(outcomes(0), vec![LineOutcome::Denied(DenialReason::PolicyInactive)]);
		assert_eq!(escrow(policy), ESCROW);
		// Once reinstated, the denied line held nothing: the claim is billed again and paid.
		assert_ok!(Registry::reinstate_organization(RuntimeOrigin::root(), PAYER));
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		assert_eq!(outcomes(1), vec![LineOutcome::Allowed]);
	});
}

/// A policy that began 100 days before the tests start (`FIRST_DAY`), funded, with the patient
/// enrolled on its first day; the clock then stands at the start of the tests (`SERVICE_DAY`).
fn enrolled_since_first_day() -> PolicyId {
	enrolled_since_first_day_in(terms())
}

/// As `enrolled_since_first_day`, in a policy of `terms`.
fn enrolled_since_first_day_in(terms: TermsOf<u64>) -> PolicyId {
	Timestamp::set_timestamp(u64::from(FIRST_DAY) * DAY + DAY / 2);
	let policy = publish(terms);
	assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, ESCROW));
	assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, PATIENT, H256::zero()));
	Timestamp::set_timestamp(START);
	policy
}

/// Finding 2: a practitioner with a Payment relationship billed one covered visit for every day
/// since the policy's first day, each claim below the review threshold and citing the same
/// record, and each was paid from escrow at once. Now the record supports one day: the days
/// past the filing limit, the days more than `MaxRecordDelayDays` before it was written, and
/// every day after the first one it supported are refused.
#[test]
fn backdating_claims_day_after_day_on_one_record_is_paid_once() {
	new_test_ext().execute_with(|| {
		let policy = enrolled_since_first_day();
		let record = create_record(PATIENT, MARYS_DOCTOR, 1);
		let today = Claims::day_of(START);
		let written = today;
		let mut paid_days = Vec::new();
		for day in FIRST_DAY..=today {
			let result = submit_on(policy, day, "E11", vec![line("99213", 1, 100)], vec![record]);
			let expected = if day < today - TimelyFilingDays::get() {
				Err(Error::<Test>::FilingWindowClosed)
			} else if written - day > MaxRecordDelayDays::get() {
				Err(Error::<Test>::RecordTooLate)
			} else if paid_days.is_empty() {
				Ok(())
			} else {
				Err(Error::<Test>::RecordSupportsAnotherDay)
			};
			match expected {
				Ok(()) => {
					assert_ok!(result);
					paid_days.push(day);
				}
				Err(error) => assert_eq!(result, Err(error.into()), "day {day}"),
			}
		}
		// One visit, on the earliest day the record can document: 40 from escrow.
		assert_eq!(paid_days, vec![written - MaxRecordDelayDays::get()]);
		assert_eq!(NextClaimId::<Test>::get(), 1);
		assert_eq!(provider_balance(), 40);
		assert_eq!(escrow(policy), ESCROW - 40);
		assert_eq!(
			crate::RecordServiceDays::<Test>::get(record),
			Some(written - MaxRecordDelayDays::get())
		);
	});
}

/// Finding 2: a claim backdated before the patient's enrollment, past the timely-filing limit
/// or outside the policy's period is refused, whatever its records; at each bound it is paid.
#[test]
fn claims_backdated_before_enrollment_or_outside_the_window_are_refused() {
	new_test_ext().execute_with(|| {
		let visit = || vec![line("99213", 1, 100)];
		// Enrolled today: yesterday's care was not covered by this policy.
		let (policy, record) = setup();
		assert_noop!(
			submit_on(policy, SERVICE_DAY - 1, "E11", visit(), vec![record]),
			Error::<Test>::ServiceBeforeEnrollment
		);
		assert_ok!(submit_on(policy, SERVICE_DAY, "E11", visit(), vec![record]));

		// Enrolled on the policy's first day: the filing limit is 90 days back.
		let policy = enrolled_since_first_day();
		let limit = SERVICE_DAY - TimelyFilingDays::get();
		let at_limit = record_on(limit, 2);
		Timestamp::set_timestamp(START);
		assert_noop!(
			submit_on(policy, limit - 1, "E11", visit(), vec![at_limit]),
			Error::<Test>::FilingWindowClosed
		);
		assert_ok!(submit_on(policy, limit, "E11", visit(), vec![at_limit]));
		assert_eq!(outcomes(1), vec![LineOutcome::Allowed]);

		// A policy that starts tomorrow: today's care is outside its period, though the
		// patient was enrolled today.
		let starts_tomorrow = publish(CoverageTerms { valid_from: SERVICE_DAY + 1, ..terms() });
		assert_ok!(Claims::enroll(signed(PAYER_CLERK), starts_tomorrow, PATIENT, H256::zero()));
		Timestamp::set_timestamp(START + DAY);
		assert_noop!(
			submit_on(starts_tomorrow, SERVICE_DAY, "E11", visit(), vec![record]),
			Error::<Test>::ServiceOutsidePolicyPeriod
		);
	});
}

/// Finding 2: a record written before the day of service, or long after it, or no longer
/// current, does not support the claim.
#[test]
fn records_written_before_the_service_or_long_after_it_do_not_support_it() {
	new_test_ext().execute_with(|| {
		let policy = enrolled_since_first_day();
		let visit = || vec![line("99213", 1, 100)];
		let today = SERVICE_DAY;
		// Written 20 days ago, cited for care 10 days ago.
		let earlier = record_on(today - 20, 1);
		Timestamp::set_timestamp(START);
		assert_noop!(
			submit_on(policy, today - 10, "E11", visit(), vec![earlier]),
			Error::<Test>::RecordBeforeService
		);
		// Written today, cited for care 31 days ago; at 30 days it is accepted.
		let recent = create_record(PATIENT, MARYS_DOCTOR, 2);
		let bound = MaxRecordDelayDays::get();
		assert_noop!(
			submit_on(policy, today - bound - 1, "E11", visit(), vec![recent]),
			Error::<Test>::RecordTooLate
		);
		// One good record does not carry a bad one.
		assert_noop!(
			submit_on(policy, today - 10, "E11", visit(), vec![recent, earlier]),
			Error::<Test>::RecordBeforeService
		);
		assert_ok!(submit_on(policy, today - bound, "E11", visit(), vec![recent]));
		// A record marked entered in error supports nothing.
		let mistaken = create_record(PATIENT, MARYS_DOCTOR, 3);
		assert_ok!(Records::mark_entered_in_error(signed(MARYS_DOCTOR), mistaken));
		assert_noop!(
			submit_on(policy, today, "E11", visit(), vec![mistaken]),
			Error::<Test>::RecordNotCurrent
		);
	});
}

/// Finding 2: the first claim citing a record fixes the day it supports; another claim, of
/// this provider or another, cannot cite it for a second day, even after the first claim was
/// rejected; further services of the same day can.
#[test]
fn a_record_supports_the_services_of_one_day_only() {
	new_test_ext().execute_with(|| {
		let policy =
			enrolled_since_first_day_in(CoverageTerms { review_threshold: 100, ..terms() });
		let record = create_record(PATIENT, MARYS_DOCTOR, 1);
		let yesterday = SERVICE_DAY - 1;
		// The first claim waits for review and is rejected: the record keeps its day.
		assert_ok!(submit_on(policy, yesterday, "E11", vec![line("99213", 1, 150)], vec![record]));
		assert_ok!(Claims::review_claim(signed(PAYER_CLERK), 0, false));
		assert_noop!(
			submit_on(policy, SERVICE_DAY, "E11", vec![line("99213", 1, 100)], vec![record]),
			Error::<Test>::RecordSupportsAnotherDay
		);
		// The corrected claim for that day is paid.
		assert_ok!(submit_on(policy, yesterday, "E11", vec![line("99213", 1, 100)], vec![record]));
		assert_noop!(
			submit_on(policy, SERVICE_DAY, "E11", vec![line("99213", 1, 100)], vec![record]),
			Error::<Test>::RecordSupportsAnotherDay
		);
		// City hospital, with the patient's Payment consent, cannot use it for another day
		// either.
		assert_ok!(Consent::grant(
			signed(PATIENT),
			PATIENT,
			Grantee::Organization(1),
			ConsentScope::AllRecords,
			vec![Purpose::Payment],
			START + 365 * DAY,
			vec![],
		));
		assert_noop!(
			Claims::submit_claim(
				signed(CITY_DOCTOR),
				policy,
				PATIENT,
				SERVICE_DAY,
				0,
				dx("E11"),
				vec![line("99213", 1, 100)],
				vec![record],
				ATTACHMENT
			),
			Error::<Test>::RecordSupportsAnotherDay
		);
		// More care of the same day is billed on it.
		assert_ok!(submit_on(policy, yesterday, "E11", vec![line("80053", 1, 50)], vec![record]));
		assert_eq!(provider_balance(), 80);
		assert_eq!(crate::RecordServiceDays::<Test>::get(record), Some(yesterday));
	});
}

/// Finding 8: any admin of an organization collected its settlement money into their own
/// account. Now nothing is collected before governance registers a payout account, and then
/// it goes there, never to the signing admin.
#[test]
fn admins_collect_payments_only_into_the_registered_payout_account() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		assert_eq!(provider_balance(), 40);
		assert_noop!(
			Claims::collect_payments(signed(MARYS_ADMIN), 40),
			Error::<Test>::NoPayoutAccount
		);

		assert_ok!(Claims::set_payout_account(RuntimeOrigin::root(), MARYS, MARYS_PAYOUT));
		assert_ok!(Claims::collect_payments(signed(MARYS_ADMIN), 30));
		assert_eq!(Balances::balance(&MARYS_ADMIN), 0);
		assert_eq!(Balances::balance(&MARYS_PAYOUT), 30);
		// Governance moves the payout elsewhere (say the old one's keys leaked): the next
		// collection follows it.
		assert_ok!(Claims::set_payout_account(RuntimeOrigin::root(), MARYS, STRANGER + 1));
		assert_ok!(Claims::collect_payments(signed(MARYS_ADMIN), 10));
		assert_eq!(Balances::balance(&(STRANGER + 1)), 10);
		assert_eq!(Balances::balance(&MARYS_ADMIN), 0);
		assert_eq!(provider_balance(), 0);
	});
}

/// Finding 8: the organization's admins, or anyone else signed, cannot register the payout
/// account: only governance can.
#[test]
fn only_governance_registers_payout_accounts() {
	new_test_ext().execute_with(|| {
		for who in [MARYS_ADMIN, PAYER_ADMIN, MARYS_DOCTOR, STRANGER] {
			assert_noop!(
				Claims::set_payout_account(signed(who), MARYS, who),
				sp_runtime::DispatchError::BadOrigin
			);
		}
		assert_noop!(
			Claims::set_payout_account(RuntimeOrigin::root(), 99, MARYS_PAYOUT),
			Error::<Test>::UnknownOrganization
		);
		assert_ok!(Claims::set_payout_account(RuntimeOrigin::root(), MARYS, MARYS_PAYOUT));
		System::assert_last_event(
			Event::PayoutAccountSet { org: MARYS, account: MARYS_PAYOUT }.into(),
		);
		assert_eq!(crate::PayoutAccounts::<Test>::get(MARYS), Some(MARYS_PAYOUT));
	});
}

/// `try_state` finds a record bound to a day that no claim citing it was for.
#[test]
fn try_state_checks_each_records_day_of_service() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		crate::RecordServiceDays::<Test>::insert(record, SERVICE_DAY - 1);
		assert!(Claims::do_try_state().is_err());
		crate::RecordServiceDays::<Test>::insert(H256::repeat_byte(7), SERVICE_DAY);
		crate::RecordServiceDays::<Test>::insert(record, SERVICE_DAY);
		assert!(Claims::do_try_state().is_err());
		crate::RecordServiceDays::<Test>::remove(H256::repeat_byte(7));
		assert_ok!(Claims::do_try_state());
	});
}

// Issue 18: no clinical code in plaintext on chain.

/// A second and a third code key, of later epochs or other policies.
const KEY_2: CodeKey = [0x71; 32];
const KEY_3: CodeKey = [0x93; 32];

fn tag_in(key: &CodeKey, code: &str) -> CodeTag {
	code_tag(key, CodeKind::Procedure, code.as_bytes()).expect("a valid code")
}

/// `terms()`'s code lists tagged under `key`.
fn rules_in(key: &CodeKey) -> crate::CodeRulesOf<u64> {
	crate::CodeRules {
		procedures: vec![
			(tag_in(key, "99213"), 100),
			(tag_in(key, "80053"), 50),
			(tag_in(key, "70553"), 1_000),
		],
		diagnosis_prefixes: ["E11", "I10"]
			.iter()
			.map(|p| code_tag(key, CodeKind::Diagnosis, p.as_bytes()).expect("valid"))
			.collect(),
		prior_authorization: vec![tag_in(key, "70553")],
	}
}

/// Submits a claim of St. Mary's doctor for `PATIENT` tagged under `key` as epoch `epoch`.
fn submit_tagged(
	policy: PolicyId,
	day: Day,
	epoch: u32,
	key: &CodeKey,
	diagnosis: &str,
	lines: &[(&str, u32, u64)],
	record: RecordId,
) -> DispatchResult {
	Claims::submit_claim(
		signed(MARYS_DOCTOR),
		policy,
		PATIENT,
		day,
		epoch,
		diagnosis_tags(key, diagnosis.as_bytes()).expect("an ICD-10-CM code"),
		lines
			.iter()
			.map(|(code, units, charged)| ServiceLine {
				procedure: tag_in(key, code),
				units: *units,
				charged: *charged,
				telehealth: None,
			})
			.collect(),
		vec![record],
		ATTACHMENT,
	)
}

/// The vector client-js's `codes.test.js` checks too: both must give these tags.
#[test]
fn code_tags_match_the_shared_vector() {
	let key: CodeKey = core::array::from_fn(|i| i as u8);
	let hex = |tag: CodeTag| format!("{tag:x}");
	let procedure = code_tag(&key, CodeKind::Procedure, b"99213").expect("valid");
	assert_eq!(hex(procedure), "135ae4ec5ce8ac38b9fdf2b448153c819d6e766b87132344d882c62b52867e5e");
	let covered = code_tag(&key, CodeKind::Diagnosis, b"E11").expect("valid");
	assert_eq!(hex(covered), "f08820a3d3c7d581332f9745ca1cb73bdfa6922ededaed2e860a7d3284e5f53f");
	let diagnosis = diagnosis_tags(&key, b"E119").expect("valid");
	assert_eq!(
		diagnosis.map(hex),
		[
			"f08820a3d3c7d581332f9745ca1cb73bdfa6922ededaed2e860a7d3284e5f53f",
			"5bf07a6d2b3c85269784a66e7181ef138d86f003893d8606f0690a7a1977b5ad",
			"fd82361784fe1a5e857031de212cc5012acf6fbc787f735ad2e4e8b08a40a16d",
			"b67d2d46de917962e361fe3cda7230ed502a8c70c1257f99456bae92c4792429",
			"67a8e1b5198f980f13f51d4e550562b1de6cbbb0c96878330cc12e62495937ca",
		]
		.map(String::from)
	);
	// Codes that are not ICD-10-CM or CPT shaped are refused before they are tagged.
	assert_eq!(code_tag(&key, CodeKind::Procedure, b"9921-"), None);
	assert_eq!(code_tag(&key, CodeKind::Procedure, b""), None);
	assert_eq!(diagnosis_tags(&key, b"E1"), None);
	assert_eq!(diagnosis_tags(&key, b"E11900000"), None);
	assert_eq!(diagnosis_tags(&key, b"e119"), None);
}

/// Kind and length are in the tagged message: a procedure's tag is never a diagnosis's, and a
/// short code's padding never equals a longer code's prefix.
#[test]
fn kinds_and_padding_never_collide() {
	assert_ne!(
		code_tag(&KEY, CodeKind::Procedure, b"E11"),
		code_tag(&KEY, CodeKind::Diagnosis, b"E11")
	);
	let short = dx("E11");
	assert_eq!(short[0], prefix("E11"));
	let fourth = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	for c in fourth {
		let longer = dx(&format!("E11{}", *c as char));
		assert_eq!(longer[0], short[0]);
		assert!(longer[1..].iter().all(|tag| !short.contains(tag)), "E11{}", *c as char);
	}
	// The claim pays for a procedure authorized under the diagnosis kind of the same text
	// nothing more: the authorization is not found.
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		let wrong_kind = code_tag(&KEY, CodeKind::Diagnosis, b"70553").expect("valid");
		assert_ok!(Claims::authorize_procedure(
			signed(PAYER_CLERK),
			policy,
			PATIENT,
			wrong_kind,
			SERVICE_DAY,
			SERVICE_DAY
		));
		assert_ok!(submit(policy, vec![line("70553", 1, 1_000)], record));
		assert_eq!(outcomes(0), vec![LineOutcome::Denied(DenialReason::PriorAuthorizationMissing)]);
	});
}

/// The plaintext codes of a whole claims journey (policy, prior authorization, claim,
/// appeal) appear nowhere in state or events, nor does the prior authorization's procedure
/// in its event.
#[test]
fn no_plaintext_code_reaches_state_or_events() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		assert_ok!(Claims::authorize_procedure(
			signed(PAYER_CLERK),
			policy,
			PATIENT,
			tag("70553"),
			SERVICE_DAY,
			SERVICE_DAY
		));
		System::assert_last_event(
			Event::PriorAuthorizationGranted { policy_id: policy, authorization_id: 0 }.into(),
		);
		assert_ok!(submit_on(
			policy,
			SERVICE_DAY,
			"E119",
			vec![line("99213", 1, 150), line("70553", 1, 1_000), line("99499", 1, 40)],
			vec![record]
		));
		assert_ok!(Claims::appeal_line(signed(MARYS_ADMIN), 0, 2, H256::repeat_byte(3)));
		assert_eq!(
			outcomes(0),
			vec![
				LineOutcome::Reduced,
				LineOutcome::Allowed,
				LineOutcome::UnderAppeal(DenialReason::NotCovered)
			]
		);
		let claim = ClaimStore::<Test>::get(0).expect("stored");
		assert_eq!(
			(claim.attachment, claim.code_key_epoch, claim.diagnosis),
			(ATTACHMENT, 0, dx("E119"))
		);

		let mut state = Vec::new();
		let mut key = Vec::new();
		while let Some(next) = sp_io::storage::next_key(&key) {
			state.extend(sp_io::storage::get(&next).expect("a value").iter());
			state.extend(&next);
			key = next;
		}
		let events: Vec<u8> = System::events()
			.iter()
			.flat_map(|record| codec::Encode::encode(&record.event))
			.collect();
		for code in ["99213", "70553", "99499", "E119", "E11"] {
			for (what, bytes) in [("state", &state), ("events", &events)] {
				assert!(
					!bytes.windows(code.len()).any(|w| w == code.as_bytes()),
					"{code} in plaintext in {what}"
				);
			}
		}
	});
}

/// All 5-digit CPT-like codes and all 3-character ICD-10 categories, as a validator would try
/// them.
fn code_space() -> Vec<(CodeKind, String)> {
	let cpt = (0..100_000u32).map(|n| (CodeKind::Procedure, format!("{n:05}")));
	let icd = (b'A'..=b'Z')
		.flat_map(|letter| (0..100u32).map(move |n| format!("{}{n:02}", letter as char)))
		.map(|code| (CodeKind::Diagnosis, code));
	cpt.chain(icd).collect()
}

/// A validator holds the chain's state but no code key: hashing every candidate code, unkeyed
/// or under every 32-byte value the chain shows, finds none of a claim's tags; the payer, with
/// its key, finds the claim's codes by the same search.
#[test]
fn a_validator_cannot_map_a_claims_tags_back_to_codes_by_trying_the_code_space() {
	use std::collections::{BTreeMap, HashSet};
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		assert_ok!(submit_on(
			policy,
			SERVICE_DAY,
			"E119",
			vec![line("99213", 1, 150), line("80053", 1, 50)],
			vec![record]
		));
		assert_ok!(Claims::share_code_key(signed(PAYER_CLERK), policy, 0, MARYS, [0x42; 80]));
		let claim = ClaimStore::<Test>::get(0).expect("stored");
		let stored = Policies::<Test>::get(policy).expect("stored");
		let mut seen: HashSet<CodeTag> = claim.diagnosis.iter().copied().collect();
		seen.extend(claim.lines.iter().map(|line| line.billed.procedure));
		seen.extend(stored.terms.procedures.iter().map(|(tag, _)| *tag));
		seen.extend(stored.terms.diagnosis_prefixes.iter().copied());
		assert_eq!(seen.len(), 5 + 2 + 3 + 2 - 1 - 2, "E11 and both procedures appear twice");

		// Keys the validator knows: none, zero, and every 32-byte value in the claim or policy.
		let mut keys: Vec<Option<[u8; 32]>> = vec![None, Some([0; 32])];
		keys.extend([claim.attachment, H256::repeat_byte(9)].map(|h| Some(h.0)));
		keys.extend(seen.iter().map(|tag| Some(tag.0)));
		keys.push(Some(<[u8; 32]>::try_from(&[0x42u8; 80][..32]).expect("32 bytes")));
		let hash = |key: &Option<[u8; 32]>, message: &[u8]| {
			let mut params = blake2b_simd::Params::new();
			params.hash_length(32);
			if let Some(key) = key {
				params.key(key);
			}
			CodeTag::from_slice(params.hash(message).as_bytes())
		};
		let space = code_space();
		assert_eq!(space.len(), 100_000 + 2_600);
		for key in &keys {
			for (kind, code) in &space {
				let mut framed = crate::CODE_TAG_DOMAIN.to_vec();
				framed.extend([*kind as u8, code.len() as u8]);
				framed.extend(code.as_bytes());
				for message in [code.as_bytes(), &framed[..]] {
					assert!(!seen.contains(&hash(key, message)), "{code} found under {key:?}");
				}
			}
		}

		// The payer, with the key, reads the claim back: the procedures from the CPT space, the
		// diagnosis's category from the ICD space and then its fourth character.
		let found: BTreeMap<CodeTag, String> = space
			.iter()
			.map(|(kind, code)| {
				(code_tag(&KEY, *kind, code.as_bytes()).expect("valid"), code.clone())
			})
			.filter(|(tag, _)| seen.contains(tag))
			.collect();
		let procedures: Vec<_> =
			claim.lines.iter().map(|line| found.get(&line.billed.procedure).cloned()).collect();
		assert_eq!(procedures, vec![Some("99213".to_string()), Some("80053".to_string())]);
		let category = found.get(&claim.diagnosis[0]).cloned().expect("the category is found");
		assert_eq!(category, "E11");
		let full = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			.iter()
			.map(|c| format!("{category}{}", *c as char))
			.find(|code| {
				diagnosis_tags(&KEY, code.as_bytes())
					.is_some_and(|tags| tags[1] == claim.diagnosis[1])
			});
		assert_eq!(full.as_deref(), Some("E119"));
	});
}

/// A claim tagged under another policy's key matches none of this policy's rules: every line
/// is denied and nothing is paid.
#[test]
fn a_claim_tagged_under_another_key_is_denied() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		assert_ok!(submit_tagged(
			policy,
			SERVICE_DAY,
			0,
			&KEY_2,
			"E119",
			&[("99213", 1, 100)],
			record
		));
		assert_eq!(outcomes(0), vec![LineOutcome::Denied(DenialReason::DiagnosisNotCovered)]);
		// With every diagnosis covered, the procedure is not found in the fee schedule.
		let open =
			enrolled_since_first_day_in(CoverageTerms { diagnosis_prefixes: vec![], ..terms() });
		assert_ok!(Claims::submit_claim(
			signed(MARYS_DOCTOR),
			open,
			PATIENT,
			SERVICE_DAY,
			0,
			diagnosis_tags(&KEY_2, b"E119").expect("valid"),
			vec![ServiceLine {
				procedure: tag_in(&KEY_2, "80053"),
				units: 1,
				charged: 50,
				telehealth: None,
			}],
			vec![record],
			ATTACHMENT,
		));
		assert_eq!(outcomes(1), vec![LineOutcome::Denied(DenialReason::NotCovered)]);
		assert_eq!(provider_balance(), 0);
	});
}

/// A rotation applies from the next day: earlier days stay billable under the previous key
/// (once), later days only under the new one, and a second rotation retires the oldest key.
#[test]
fn code_key_rotation_keeps_each_day_on_one_key() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		let visit = [("99213", 1, 100)];
		assert_noop!(
			Claims::rotate_code_key(signed(OTHER_PAYER), policy, rules_in(&KEY_2)),
			Error::<Test>::NotPolicyPayer
		);
		assert_noop!(
			Claims::rotate_code_key(signed(MARYS_ADMIN), policy, rules_in(&KEY_2)),
			Error::<Test>::NotPayer
		);
		let mut dearer = rules_in(&KEY_2);
		dearer.procedures[0].1 = 101;
		assert_noop!(
			Claims::rotate_code_key(signed(PAYER_CLERK), policy, dearer),
			Error::<Test>::RotationChangesRules
		);
		let mut narrower = rules_in(&KEY_2);
		narrower.diagnosis_prefixes.pop();
		assert_noop!(
			Claims::rotate_code_key(signed(PAYER_CLERK), policy, narrower),
			Error::<Test>::RotationChangesRules
		);
		assert_ok!(Claims::share_code_key(signed(PAYER_CLERK), policy, 0, MARYS, [1; 80]));
		assert_ok!(Claims::rotate_code_key(signed(PAYER_CLERK), policy, rules_in(&KEY_2)));
		System::assert_last_event(
			Event::CodeKeyRotated { policy_id: policy, epoch: 1, first_day: SERVICE_DAY + 1 }
				.into(),
		);
		assert_noop!(
			Claims::rotate_code_key(signed(PAYER_CLERK), policy, rules_in(&KEY_3)),
			Error::<Test>::CodeKeyRotationPending
		);

		// Today is still the old key's.
		assert_noop!(
			submit_tagged(policy, SERVICE_DAY, 1, &KEY_2, "E119", &visit, record),
			Error::<Test>::ServiceBeforeCodeKeyEpoch
		);
		assert_noop!(
			submit_tagged(policy, SERVICE_DAY, 2, &KEY_3, "E119", &visit, record),
			Error::<Test>::UnknownCodeKeyEpoch
		);
		assert_ok!(submit_tagged(policy, SERVICE_DAY, 0, &KEY, "E119", &visit, record));
		assert_eq!(outcomes(0), vec![LineOutcome::Allowed]);

		// Tomorrow is the new key's; the same service of today is still paid once.
		let tomorrow = record_on(SERVICE_DAY + 1, 7);
		assert_noop!(
			submit_tagged(policy, SERVICE_DAY + 1, 0, &KEY, "E119", &visit, tomorrow),
			Error::<Test>::CodeKeyEpochSuperseded
		);
		assert_ok!(submit_tagged(policy, SERVICE_DAY + 1, 1, &KEY_2, "E119", &visit, tomorrow));
		assert_eq!(outcomes(1), vec![LineOutcome::Allowed]);
		assert_ok!(submit_tagged(policy, SERVICE_DAY, 0, &KEY, "E119", &visit, record));
		assert_eq!(outcomes(2), vec![LineOutcome::Denied(DenialReason::Duplicate)]);
		assert_noop!(
			submit_tagged(policy, SERVICE_DAY, 1, &KEY_2, "E119", &visit, record),
			Error::<Test>::ServiceBeforeCodeKeyEpoch
		);

		// A second rotation retires epoch 0: its days and its wrapped keys are gone.
		assert_ok!(Claims::rotate_code_key(signed(PAYER_CLERK), policy, rules_in(&KEY_3)));
		assert!(crate::WrappedCodeKeys::<Test>::get(policy, 0).is_empty());
		assert_eq!(crate::PreviousCodes::<Test>::get(policy).map(|p| p.epoch), Some(1));
		let again = record_on(SERVICE_DAY + 1, 8);
		assert_noop!(
			submit_tagged(policy, SERVICE_DAY, 0, &KEY, "E119", &[("80053", 1, 50)], again),
			Error::<Test>::CodeKeyEpochRetired
		);
		// Yesterday's new service is still billable under epoch 1 until epoch 2 begins.
		assert_ok!(submit_tagged(
			policy,
			SERVICE_DAY + 1,
			1,
			&KEY_2,
			"E119",
			&[("80053", 1, 50)],
			tomorrow
		));
		assert_eq!(outcomes(3), vec![LineOutcome::Allowed]);
	});
}

/// A pended claim is settled at the fee fixed when it was submitted, even after a rotation
/// retired the code lists it was tagged under.
#[test]
fn a_pended_claim_is_settled_after_its_key_is_retired() {
	new_test_ext().execute_with(|| {
		let policy =
			enrolled_since_first_day_in(CoverageTerms { review_threshold: 120, ..terms() });
		let record = create_record(PATIENT, MARYS_DOCTOR, 1);
		assert_ok!(submit(policy, vec![line("99213", 1, 150)], record));
		assert_eq!(
			ClaimStore::<Test>::get(0).map(|c| (c.status, c.lines[0].scheduled)),
			Some((ClaimStatus::Pended(PendReason::AboveReviewThreshold), 100))
		);
		assert_ok!(Claims::rotate_code_key(signed(PAYER_CLERK), policy, rules_in(&KEY_2)));
		Timestamp::set_timestamp(START + DAY);
		assert_ok!(Claims::rotate_code_key(signed(PAYER_CLERK), policy, rules_in(&KEY_3)));
		assert_ok!(Claims::review_claim(signed(PAYER_CLERK), 0, true));
		assert_eq!(outcomes(0), vec![LineOutcome::Reduced]);
		assert_eq!(provider_balance(), 40);
	});
}

/// Only the policy's payer stores or replaces wrapped code keys, only for care providers, only
/// for live epochs, and at most `MaxCodeKeyHolders` per epoch.
#[test]
fn only_the_payer_shares_code_keys_with_care_providers() {
	new_test_ext().execute_with(|| {
		let (policy, _) = setup();
		let share = |who: u64, epoch: u32, org: u32, byte: u8| {
			Claims::share_code_key(signed(who), policy, epoch, org, [byte; 80])
		};
		assert_ok!(share(PAYER_CLERK, 0, MARYS, 1));
		System::assert_last_event(
			Event::CodeKeyShared { policy_id: policy, epoch: 0, org: MARYS }.into(),
		);
		// A provider, even the holder, cannot store or replace a wrapped key; nor can another
		// payer, or anyone for an organization that does not bill claims.
		assert_noop!(share(MARYS_ADMIN, 0, MARYS, 2), Error::<Test>::NotPayer);
		assert_noop!(share(CITY_DOCTOR, 0, MARYS, 2), Error::<Test>::NotPayer);
		assert_noop!(share(CITY_DOCTOR, 0, 1, 2), Error::<Test>::NotPayer);
		assert_noop!(share(OTHER_PAYER, 0, MARYS, 2), Error::<Test>::NotPolicyPayer);
		assert_noop!(share(STRANGER, 0, MARYS, 2), Error::<Test>::NotPayer);
		assert_noop!(share(PAYER_CLERK, 0, PAYER, 2), Error::<Test>::NotCareProvider);
		assert_noop!(share(PAYER_CLERK, 0, 99, 2), Error::<Test>::NotCareProvider);
		assert_noop!(share(PAYER_CLERK, 1, MARYS, 2), Error::<Test>::UnknownCodeKeyEpoch);
		assert_noop!(
			Claims::share_code_key(signed(PAYER_CLERK), 9, 0, MARYS, [2; 80]),
			Error::<Test>::UnknownPolicy
		);
		let held = crate::WrappedCodeKeys::<Test>::get(policy, 0);
		assert_eq!(held.get(&MARYS), Some(&[1; 80]));

		// At the bound (2): a third organization is refused, a holder's key replaced.
		assert_ok!(share(PAYER_ADMIN, 0, 1, 3));
		assert_noop!(share(PAYER_CLERK, 0, NORTH, 4), Error::<Test>::TooManyCodeKeyHolders);
		assert_ok!(share(PAYER_CLERK, 0, MARYS, 5));
		assert_eq!(crate::WrappedCodeKeys::<Test>::get(policy, 0).get(&MARYS), Some(&[5; 80]));

		// After a rotation both epochs are live; after another, the oldest is retired.
		assert_ok!(Claims::rotate_code_key(signed(PAYER_CLERK), policy, rules_in(&KEY_2)));
		assert_ok!(share(PAYER_CLERK, 1, NORTH, 6));
		assert_ok!(share(PAYER_CLERK, 0, MARYS, 7));
		Timestamp::set_timestamp(START + DAY);
		assert_ok!(Claims::rotate_code_key(signed(PAYER_CLERK), policy, rules_in(&KEY_3)));
		assert_noop!(share(PAYER_CLERK, 0, MARYS, 8), Error::<Test>::CodeKeyEpochRetired);
		assert_eq!(crate::WrappedCodeKeys::<Test>::get(policy, 1).get(&NORTH), Some(&[6; 80]));
	});
}

/// try_state catches a wrapped key of a retired epoch and a claim of an epoch never had.
#[test]
fn try_state_checks_code_keys() {
	new_test_ext().execute_with(|| {
		let (policy, record) = setup();
		assert_ok!(submit(policy, vec![line("99213", 1, 100)], record));
		assert_ok!(Claims::do_try_state());
		crate::WrappedCodeKeys::<Test>::mutate(policy, 5, |holders| {
			holders.try_insert(MARYS, [1; 80]).expect("room")
		});
		assert!(Claims::do_try_state().is_err());
		crate::WrappedCodeKeys::<Test>::remove(policy, 5);
		crate::WrappedCodeKeys::<Test>::mutate(policy, 0, |holders| {
			holders.try_insert(PAYER, [1; 80]).expect("room")
		});
		assert!(Claims::do_try_state().is_err());
		crate::WrappedCodeKeys::<Test>::remove(policy, 0);
		ClaimStore::<Test>::mutate(0, |claim| {
			if let Some(claim) = claim {
				claim.code_key_epoch = 1;
			}
		});
		assert!(Claims::do_try_state().is_err());
		ClaimStore::<Test>::mutate(0, |claim| {
			if let Some(claim) = claim {
				claim.code_key_epoch = 0;
			}
		});
	});
}

// Telehealth lines: paid only against an encounter both sides attested, with the claim's
// patient, practitioner, organization, day and modality, a licence for the patient's
// jurisdiction, and at least the minutes billed.

mod telehealth {
	use super::*;
	use crate::{BilledEncounters, TelehealthModifier, TelehealthPlace, TelehealthService};
	use pallet_telehealth::{attestation_payload, Encounter, Jurisdiction, Modality};
	use sp_runtime::testing::TestSignature;

	const MINUTE: u64 = 60_000;

	fn california() -> Jurisdiction {
		Jurisdiction::parse("US-CA").expect("a code")
	}

	fn licence(doctor: u64, admin: u64, expires_at: u64) {
		assert_ok!(Telehealth::issue_licence(signed(admin), doctor, california(), expires_at));
	}

	/// A booked appointment of `patient` with `doctor` starting 5 minutes from now and lasting
	/// an hour at most.
	fn booked(doctor: u64, patient: u64, modality: Modality) -> (u32, u64) {
		let id = pallet_telehealth::NextAppointmentId::<Test>::get();
		let start = Timestamp::get() + 5 * MINUTE;
		assert_ok!(Telehealth::propose_appointment(
			signed(doctor),
			patient,
			california(),
			start,
			start + 60 * MINUTE,
			modality,
		));
		assert_ok!(Telehealth::book(signed(patient), id));
		(id, start)
	}

	/// The doctor records an encounter of `minutes` of a booked appointment, countersigned by
	/// `signer` (the patient, unless forging).
	fn attest(
		doctor: u64,
		patient: u64,
		id: u32,
		start: u64,
		minutes: u64,
		signer: u64,
	) -> DispatchResult {
		let modality = pallet_telehealth::Appointments::<Test>::get(id).expect("stored").modality;
		let encounter = Encounter {
			started_at: start,
			ended_at: start + minutes * MINUTE,
			note_hash: H256::repeat_byte(0x0e),
		};
		if Timestamp::get() < encounter.ended_at {
			Timestamp::set_timestamp(encounter.ended_at);
		}
		Telehealth::attest_encounter(
			signed(doctor),
			id,
			patient,
			modality,
			encounter.started_at,
			encounter.ended_at,
			encounter.note_hash,
			TestSignature(signer, attestation_payload(id, &encounter, modality)),
		)
		.map(|_| ())
		.map_err(|e| e.error)
	}

	/// A 30-minute video visit of the patient with St. Mary's doctor today, attested.
	fn video_visit() -> u32 {
		licence(MARYS_DOCTOR, MARYS_ADMIN, START + 365 * DAY);
		let (id, start) = booked(MARYS_DOCTOR, PATIENT, Modality::Video);
		assert_ok!(attest(MARYS_DOCTOR, PATIENT, id, start, 30, PATIENT));
		id
	}

	fn visit_line(
		appointment: u32,
		modifier: TelehealthModifier,
		minutes: u32,
	) -> ServiceLine<u64> {
		ServiceLine {
			telehealth: Some(TelehealthService {
				appointment,
				place: TelehealthPlace::Home,
				modifier,
				jurisdiction: california(),
				minutes,
			}),
			..line("99213", 1, 100)
		}
	}

	#[test]
	fn a_telehealth_line_with_an_attested_encounter_is_paid() {
		new_test_ext().execute_with(|| {
			let (policy, record) = setup();
			let visit = video_visit();
			assert_ok!(submit(
				policy,
				vec![visit_line(visit, TelehealthModifier::AudioVideo, 30)],
				record
			));
			assert_eq!(outcomes(0), vec![LineOutcome::Allowed]);
			assert_eq!(
				ClaimStore::<Test>::get(0).map(|c| c.status),
				Some(ClaimStatus::Adjudicated)
			);
			// Deductible 50, then 20% of the other 50: the payer pays 40.
			assert_eq!(provider_balance(), 40);
			assert_eq!(BilledEncounters::<Test>::get(visit), Some(0));
		});
	}

	#[test]
	fn a_line_naming_no_attested_encounter_is_denied() {
		new_test_ext().execute_with(|| {
			let (policy, record) = setup();
			licence(MARYS_DOCTOR, MARYS_ADMIN, START + 365 * DAY);
			// Booked, never attested; a forged countersignature is refused at attestation.
			let (booked_only, start) = booked(MARYS_DOCTOR, PATIENT, Modality::Video);
			Timestamp::set_timestamp(start + 30 * MINUTE);
			assert_noop!(
				attest(MARYS_DOCTOR, PATIENT, booked_only, start, 30, MARYS_DOCTOR),
				pallet_telehealth::Error::<Test>::BadCountersignature
			);
			let lines = vec![
				visit_line(booked_only, TelehealthModifier::AudioVideo, 30),
				ServiceLine {
					procedure: tag("80053"),
					..visit_line(999, TelehealthModifier::AudioVideo, 30)
				},
			];
			assert_ok!(submit(policy, lines, record));
			assert_eq!(
				outcomes(0),
				vec![LineOutcome::Denied(DenialReason::EncounterNotAttested); 2]
			);
			assert_eq!(provider_balance(), 0);
			assert_eq!(BilledEncounters::<Test>::iter().count(), 0);
		});
	}

	#[test]
	fn an_encounter_with_other_facts_than_the_claim_is_denied() {
		new_test_ext().execute_with(|| {
			let (policy, record) = setup();
			// A video visit billed as audio only.
			let video = video_visit();
			// An audio visit of another patient, and one with City's doctor.
			let (other, start) = booked(MARYS_DOCTOR, OTHER_PATIENT, Modality::AudioOnly);
			assert_ok!(attest(MARYS_DOCTOR, OTHER_PATIENT, other, start, 30, OTHER_PATIENT));
			assert_ok!(Telehealth::issue_licence(
				signed(CITY_ADMIN),
				CITY_DOCTOR,
				california(),
				START + 365 * DAY
			));
			let (city, start) = booked(CITY_DOCTOR, PATIENT, Modality::AudioOnly);
			assert_ok!(attest(CITY_DOCTOR, PATIENT, city, start, 30, PATIENT));
			let lines = vec![
				visit_line(video, TelehealthModifier::AudioOnly, 30),
				ServiceLine {
					procedure: tag("80053"),
					..visit_line(other, TelehealthModifier::AudioOnly, 30)
				},
			];
			assert_ok!(submit(policy, lines, record));
			assert_eq!(
				outcomes(0),
				vec![LineOutcome::Denied(DenialReason::EncounterNotAttested); 2]
			);
			// St. Mary's doctor billing City's doctor's visit with the patient.
			assert_ok!(submit(
				policy,
				vec![visit_line(city, TelehealthModifier::AudioOnly, 30)],
				record
			));
			assert_eq!(outcomes(1), vec![LineOutcome::Denied(DenialReason::EncounterNotAttested)]);
		});
	}

	#[test]
	fn an_encounter_on_another_day_is_denied() {
		new_test_ext().execute_with(|| {
			let (policy, _) = setup();
			licence(MARYS_DOCTOR, MARYS_ADMIN, START + 365 * DAY);
			Timestamp::set_timestamp(u64::from(SERVICE_DAY + 1) * DAY + DAY / 2);
			let (tomorrow, start) = booked(MARYS_DOCTOR, PATIENT, Modality::Video);
			assert_ok!(attest(MARYS_DOCTOR, PATIENT, tomorrow, start, 30, PATIENT));
			let record = create_record(PATIENT, MARYS_DOCTOR, 3);
			assert_ok!(submit(
				policy,
				vec![visit_line(tomorrow, TelehealthModifier::AudioVideo, 30)],
				record
			));
			assert_eq!(outcomes(0), vec![LineOutcome::Denied(DenialReason::EncounterNotAttested)]);
			// Billed on its own day, it is paid.
			let record = create_record(PATIENT, MARYS_DOCTOR, 4);
			assert_ok!(submit_on(
				policy,
				SERVICE_DAY + 1,
				"E119",
				vec![visit_line(tomorrow, TelehealthModifier::AudioVideo, 30)],
				vec![record],
			));
			assert_eq!(outcomes(1), vec![LineOutcome::Allowed]);
		});
	}

	#[test]
	fn a_wrong_jurisdiction_or_a_revoked_or_expired_licence_is_not_paid() {
		new_test_ext().execute_with(|| {
			let (policy, record) = setup();
			let visit = video_visit();
			// The line says the patient was in New York: the doctor holds no licence there.
			let mut new_york = visit_line(visit, TelehealthModifier::AudioVideo, 30);
			if let Some(t) = new_york.telehealth.as_mut() {
				t.jurisdiction = Jurisdiction::parse("US-NY").expect("a code");
			}
			// The board revoked the licence after the visit (for fraud, say).
			let revoked = {
				let (id, start) = booked(MARYS_DOCTOR, PATIENT, Modality::Video);
				assert_ok!(attest(MARYS_DOCTOR, PATIENT, id, start, 30, PATIENT));
				id
			};
			assert_ok!(submit(policy, vec![new_york], record));
			assert_eq!(
				outcomes(0),
				vec![LineOutcome::Denied(DenialReason::NotLicensedInJurisdiction)]
			);
			assert_ok!(Telehealth::revoke_licence(signed(MARYS_ADMIN), MARYS_DOCTOR, california()));
			assert_ok!(submit(
				policy,
				vec![ServiceLine {
					procedure: tag("80053"),
					..visit_line(revoked, TelehealthModifier::AudioVideo, 30)
				}],
				record
			));
			assert_eq!(
				outcomes(1),
				vec![LineOutcome::Denied(DenialReason::NotLicensedInJurisdiction)]
			);

			// A licence that expired before the visit: the encounter cannot even be attested.
			assert_ok!(Telehealth::issue_licence(
				signed(CITY_ADMIN),
				CITY_DOCTOR,
				california(),
				Timestamp::get() + 10 * MINUTE
			));
			let (late, start) = booked(CITY_DOCTOR, PATIENT, Modality::Video);
			Timestamp::set_timestamp(start + 45 * MINUTE);
			assert_noop!(
				attest(CITY_DOCTOR, PATIENT, late, start + 15 * MINUTE, 30, PATIENT),
				pallet_telehealth::Error::<Test>::NotLicensed
			);
		});
	}

	#[test]
	fn minutes_beyond_the_attested_duration_are_not_paid() {
		new_test_ext().execute_with(|| {
			let (policy, record) = setup();
			let visit = video_visit();
			assert_noop!(
				submit(policy, vec![visit_line(visit, TelehealthModifier::AudioVideo, 0)], record),
				Error::<Test>::ZeroMinutes
			);
			assert_ok!(submit(
				policy,
				vec![visit_line(visit, TelehealthModifier::AudioVideo, 31)],
				record
			));
			assert_eq!(outcomes(0), vec![LineOutcome::Denied(DenialReason::DurationNotSupported)]);
			// A denied line holds nothing: the encounter is billed again, honestly.
			assert_eq!(BilledEncounters::<Test>::get(visit), None);
			assert_ok!(submit(
				policy,
				vec![ServiceLine {
					procedure: tag("80053"),
					..visit_line(visit, TelehealthModifier::AudioVideo, 30)
				}],
				record
			));
			assert_eq!(outcomes(1), vec![LineOutcome::Reduced]);
		});
	}

	#[test]
	fn an_encounter_is_billed_by_one_line_until_the_payer_rejects_it() {
		new_test_ext().execute_with(|| {
			let policy = publish(CoverageTerms { review_threshold: 120, ..terms() });
			assert_ok!(Claims::fund_policy(signed(PAYER_CLERK), policy, ESCROW));
			assert_ok!(Claims::enroll(signed(PAYER_CLERK), policy, PATIENT, H256::zero()));
			let record = create_record(PATIENT, MARYS_DOCTOR, 1);
			grant(PATIENT, vec![Purpose::Payment]);
			let visit = video_visit();
			// Two lines of one claim billing the same visit: the second is a duplicate.
			let twice = vec![
				visit_line(visit, TelehealthModifier::AudioVideo, 30),
				ServiceLine {
					procedure: tag("80053"),
					..visit_line(visit, TelehealthModifier::AudioVideo, 30)
				},
			];
			assert_ok!(submit(policy, twice, record));
			assert_eq!(
				outcomes(0),
				vec![LineOutcome::Allowed, LineOutcome::Denied(DenialReason::Duplicate)]
			);
			// Another claim with a procedure whose service no line holds: still a duplicate.
			assert_ok!(submit(
				policy,
				vec![ServiceLine {
					procedure: tag("80053"),
					..visit_line(visit, TelehealthModifier::AudioVideo, 30)
				}],
				record
			));
			assert_eq!(outcomes(1), vec![LineOutcome::Denied(DenialReason::Duplicate)]);
			assert_eq!(BilledEncounters::<Test>::get(visit), Some(0));

			// A pended claim's encounter is freed when the payer rejects it.
			let (second, start) = booked(MARYS_DOCTOR, PATIENT, Modality::Video);
			assert_ok!(attest(MARYS_DOCTOR, PATIENT, second, start, 30, PATIENT));
			let costly = ServiceLine {
				charged: 150,
				..visit_line(second, TelehealthModifier::AudioVideo, 30)
			};
			let claim = NextClaimId::<Test>::get();
			assert_ok!(Claims::submit_claim(
				signed(MARYS_DOCTOR),
				policy,
				PATIENT,
				SERVICE_DAY,
				0,
				dx("E119"),
				vec![ServiceLine { procedure: tag("80053"), ..costly.clone() }],
				vec![record],
				ATTACHMENT,
			));
			assert!(matches!(
				ClaimStore::<Test>::get(claim).map(|c| c.status),
				Some(ClaimStatus::Pended(_))
			));
			assert_eq!(BilledEncounters::<Test>::get(second), Some(claim));
			assert_ok!(Claims::review_claim(signed(PAYER_CLERK), claim, false));
			assert_eq!(BilledEncounters::<Test>::get(second), None);
		});
	}

	#[test]
	fn an_appeal_cannot_pay_an_encounter_another_line_was_paid_for() {
		new_test_ext().execute_with(|| {
			let (policy, record) = setup();
			let visit = video_visit();
			// Denied for too many minutes, appealed; then billed honestly and paid.
			assert_ok!(submit(
				policy,
				vec![visit_line(visit, TelehealthModifier::AudioVideo, 45)],
				record
			));
			assert_ok!(Claims::appeal_line(signed(MARYS_DOCTOR), 0, 0, H256::repeat_byte(1)));
			assert_ok!(submit(
				policy,
				vec![ServiceLine {
					procedure: tag("80053"),
					..visit_line(visit, TelehealthModifier::AudioVideo, 30)
				}],
				record
			));
			assert_noop!(
				Claims::resolve_appeal(signed(PAYER_CLERK), 0, 0, Some(100)),
				Error::<Test>::EncounterAlreadyBilled
			);
		});
	}
}
