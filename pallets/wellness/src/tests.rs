//! Unit tests of the wellness pallet: a journey (enrol, attend an attested visit, refill on
//! time, get immunized, earn, hit the caps, redeem), a no-show forfeiting the deposit, points
//! expiring when a program ends; then each call's named errors and the attacks on escrow,
//! fill reports and facts. Every test ends with the pallet's `try_state` (`mock::TestExt`).

// Test set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate::{
	mock::*, Adherence, Error, Event, Ledgers, Members, PatientPrograms, PeriodPoints, ProgramId,
	ProgramStatus, Programs, Rule, RuleTotal, RuleTotals, Trigger,
};
use carechain_primitives::FhirResourceType;
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::Inspect, fungible::Mutate, Hooks},
	weights::Weight,
};
use pallet_telehealth::{attestation_payload, Encounter, Jurisdiction, Modality};
use sp_core::H256;
use sp_runtime::{testing::TestSignature, traits::Convert, DispatchResult, Percent};

const MINUTE: u64 = 60_000;
/// What a point is worth, and the attendance deposit.
const POINT: u64 = 2;
const DEPOSIT: u64 = 50;
/// How long the test programs run.
const LENGTH: u64 = 180 * DAY;

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// Visits earn 10 (20 a month at most), refills at 80 % adherence or better 5 (10 a month),
/// immunizations 15 (15 a year).
fn rules() -> Vec<Rule> {
	let rule = |trigger, points, cap_per_period, period_days| Rule {
		trigger,
		points,
		cap_per_period,
		period_days,
		expires_at: START + 365 * DAY,
	};
	vec![
		rule(Trigger::AttendedVisit, 10, 20, 30),
		rule(Trigger::Refill { min_pdc: Percent::from_percent(80) }, 5, 10, 30),
		rule(Trigger::Immunization, 15, 15, 365),
	]
}

fn create(deposit: u64) -> ProgramId {
	let id = crate::NextProgramId::<Test>::get();
	assert_ok!(Wellness::create_program(
		signed(PAYER_ADMIN),
		H256::repeat_byte(7),
		POINT,
		deposit,
		START,
		START + LENGTH,
		rules(),
	));
	id
}

/// A funded program with a deposit, the patient enrolled.
fn setup() -> ProgramId {
	let program = create(DEPOSIT);
	assert_ok!(Wellness::fund(signed(PAYER_ADMIN), program, 10_000));
	assert_ok!(Wellness::enrol(signed(PATIENT), program, PATIENT));
	program
}

fn california() -> Jurisdiction {
	Jurisdiction::parse("US-CA").expect("a code")
}

/// A booked video appointment of the patient with St. Mary's doctor, starting 5 minutes from
/// now: (id, start).
fn booked(patient: u64) -> (u32, u64) {
	if pallet_telehealth::Licences::<Test>::get(MARYS_DOCTOR, california()).is_none() {
		assert_ok!(Telehealth::issue_licence(
			signed(MARYS_ADMIN),
			MARYS_DOCTOR,
			california(),
			START + 400 * DAY
		));
	}
	let id = pallet_telehealth::NextAppointmentId::<Test>::get();
	let start = Timestamp::get() + 5 * MINUTE;
	assert_ok!(Telehealth::propose_appointment(
		signed(MARYS_DOCTOR),
		patient,
		california(),
		start,
		start + 30 * MINUTE,
		Modality::Video,
	));
	assert_ok!(Telehealth::book(signed(patient), id));
	(id, start)
}

/// A 30-minute video visit of `patient`, attested by both sides.
fn visit(patient: u64) {
	let (id, start) = booked(patient);
	let encounter = Encounter {
		started_at: start,
		ended_at: start + 30 * MINUTE,
		note_hash: H256::repeat_byte(0x0e),
	};
	Timestamp::set_timestamp(encounter.ended_at);
	assert_ok!(Telehealth::attest_encounter(
		signed(MARYS_DOCTOR),
		id,
		patient,
		Modality::Video,
		encounter.started_at,
		encounter.ended_at,
		encounter.note_hash,
		TestSignature(patient, attestation_payload(id, &encounter, Modality::Video)),
	));
}

/// A record of `resource_type` about the patient written by `author`.
fn record(author: u64, resource_type: FhirResourceType, seed: u8) {
	if author == MARYS_DOCTOR && pallet_consent::Consents::<Test>::iter().next().is_none() {
		assert_ok!(Consent::grant(
			signed(PATIENT),
			PATIENT,
			pallet_consent::Grantee::Organization(0),
			pallet_consent::ConsentScope::AllRecords,
			vec![carechain_primitives::Purpose::Treatment],
			START + 400 * DAY,
			vec![],
		));
	}
	assert_ok!(Records::create_record(
		signed(author),
		PATIENT,
		resource_type,
		pallet_records::RecordContent {
			content_hash: H256::repeat_byte(seed),
			size: 100,
			locator: H256::repeat_byte(seed),
			patient_key: [seed; 80],
		}
	));
}

/// The pharmacy dispenses a unit to the patient and reports the fill of `days` days.
fn fill(program: ProgramId, days: u32) -> DispatchResult {
	MockDispensing::dispense(PHARMACY);
	Wellness::report_fill(signed(PHARMACIST), program, PATIENT, days)
		.map(|_| ())
		.map_err(|e| e.error)
}

fn points(program: ProgramId, patient: u64) -> u64 {
	Members::<Test>::get(program, patient).map_or(0, |m| m.points)
}

fn go_to_day(day: u64) {
	Timestamp::set_timestamp(START + day * DAY + HOUR);
}

#[test]
fn a_wellness_journey_earns_up_to_the_caps_and_redeems() {
	new_test_ext().execute_with(|| {
		let program = setup();
		assert_eq!(Balances::balance(&PATIENT), PATIENT_FUNDS - DEPOSIT);

		// Attended visits: 10 each, 20 a month.
		visit(PATIENT);
		assert_eq!(points(program, PATIENT), 10);
		visit(PATIENT);
		visit(PATIENT);
		assert_eq!(points(program, PATIENT), 20, "the month's cap holds");

		// Refills on time: the first, then one 10 days later, earn; the third hits the cap.
		assert_ok!(fill(program, 30));
		assert_eq!(points(program, PATIENT), 25);
		go_to_day(10);
		assert_ok!(fill(program, 30));
		assert_eq!(points(program, PATIENT), 30);
		go_to_day(20);
		assert_ok!(fill(program, 30));
		assert_eq!(points(program, PATIENT), 30, "the refill rule's cap holds");
		assert_eq!(
			Members::<Test>::get(program, PATIENT).map(|m| m.adherence),
			Some(Adherence {
				first_fill: Some(19_675),
				covered_until: 19_675 + 90,
				covered_days: 90
			})
		);

		// A new month: visits earn again.
		go_to_day(31);
		visit(PATIENT);
		assert_eq!(points(program, PATIENT), 40);

		// An immunization by a care provider earns; one the patient reports does not.
		record(PATIENT, FhirResourceType::Immunization, 1);
		assert_eq!(points(program, PATIENT), 40);
		record(MARYS_DOCTOR, FhirResourceType::Observation, 2);
		assert_eq!(points(program, PATIENT), 40);
		record(MARYS_DOCTOR, FhirResourceType::Immunization, 3);
		assert_eq!(points(program, PATIENT), 55);

		// A refill after the supply ran out for long: adherence 90 / 130 days < 80 %.
		go_to_day(150);
		assert_ok!(fill(program, 30));
		assert_eq!(points(program, PATIENT), 55);

		// Redeem: paid at 2 a point from the escrow.
		let before = Balances::balance(&PATIENT);
		assert_ok!(Wellness::redeem(signed(PATIENT), program, PATIENT, 40));
		assert_eq!(Balances::balance(&PATIENT), before + 80);
		assert_eq!(points(program, PATIENT), 15);
		let ledger = Ledgers::<Test>::get(program);
		assert_eq!((ledger.funded, ledger.redeemed, ledger.outstanding), (10_000, 80, 15));

		// The sponsor sees totals per rule, and nothing of which visit or drug.
		assert_eq!(RuleTotals::<Test>::get(program, 0), RuleTotal { awards: 3, points: 30 });
		assert_eq!(RuleTotals::<Test>::get(program, 1), RuleTotal { awards: 2, points: 10 });
		assert_eq!(RuleTotals::<Test>::get(program, 2), RuleTotal { awards: 1, points: 15 });
	});
}

#[test]
fn a_no_show_forfeits_the_deposit_to_the_program() {
	new_test_ext().execute_with(|| {
		let program = setup();
		let (id, _) = booked(PATIENT);
		Timestamp::set_timestamp(Timestamp::get() + HOUR);
		assert_ok!(Telehealth::mark_no_show(signed(MARYS_DOCTOR), id));
		System::assert_has_event(
			Event::DepositForfeited { program, patient: PATIENT, amount: DEPOSIT }.into(),
		);
		let ledger = Ledgers::<Test>::get(program);
		assert_eq!((ledger.deposits, ledger.forfeited), (0, DEPOSIT));
		assert_eq!(ledger.available(), 10_000 + DEPOSIT);
		// Leaving returns nothing: the deposit is gone.
		assert_ok!(Wellness::leave(signed(PATIENT), program, PATIENT));
		assert_eq!(Balances::balance(&PATIENT), PATIENT_FUNDS - DEPOSIT);
	});
}

#[test]
fn an_appointment_booked_before_enrolling_forfeits_nothing() {
	new_test_ext().execute_with(|| {
		let program = create(DEPOSIT);
		assert_ok!(Wellness::fund(signed(PAYER_ADMIN), program, 10_000));
		// Booked and started before the patient enrolled.
		let (id, start) = booked(PATIENT);
		Timestamp::set_timestamp(start + 10 * MINUTE);
		assert_ok!(Wellness::enrol(signed(PATIENT), program, PATIENT));
		Timestamp::set_timestamp(start + HOUR);
		assert_ok!(Telehealth::mark_no_show(signed(MARYS_DOCTOR), id));
		assert_eq!(Members::<Test>::get(program, PATIENT).map(|m| m.deposit), Some(DEPOSIT));
	});
}

#[test]
fn points_expire_when_the_program_ends_and_deposits_come_back() {
	new_test_ext().execute_with(|| {
		let program = setup();
		assert_ok!(Wellness::enrol(signed(OTHER_PATIENT), program, OTHER_PATIENT));
		visit(PATIENT);
		assert_eq!(points(program, PATIENT), 10);
		// Past the end: nothing earns, nothing is enrolled.
		Timestamp::set_timestamp(START + LENGTH);
		MockDispensing::dispense(PHARMACY);
		assert_noop!(
			Wellness::report_fill(signed(PHARMACIST), program, PATIENT, 30),
			Error::<Test>::ProgramEnded
		);
		assert_noop!(
			Wellness::enrol(signed(GUARDIAN), program, GUARDIAN),
			Error::<Test>::ProgramEnded
		);

		// A block with no room closes nothing; then one member per block.
		assert_eq!(Wellness::on_idle(2, Weight::zero()), Weight::zero());
		let one = <() as crate::WeightInfo>::close_step(1);
		Wellness::on_idle(2, one);
		assert_eq!(Programs::<Test>::get(program).map(|p| p.status), Some(ProgramStatus::Closing));
		assert_eq!(Members::<Test>::iter_prefix(program).count(), 1);
		Wellness::on_idle(3, one);
		assert_eq!(Programs::<Test>::get(program).map(|p| p.status), Some(ProgramStatus::Closed));
		System::assert_has_event(Event::ProgramClosed { program, expired_points: 10 }.into());

		// Deposits came back; the points expired and are no longer owed.
		assert_eq!(Balances::balance(&PATIENT), PATIENT_FUNDS);
		assert_eq!(Balances::balance(&OTHER_PATIENT), PATIENT_FUNDS);
		assert_eq!(PatientPrograms::<Test>::get(PATIENT).len(), 0);
		assert_eq!(PeriodPoints::<Test>::iter().count(), 0);
		assert_noop!(
			Wellness::redeem(signed(PATIENT), program, PATIENT, 10),
			Error::<Test>::NotEnrolled
		);
		let ledger = Ledgers::<Test>::get(program);
		assert_eq!((ledger.outstanding, ledger.expired), (0, 10));
		// The payer takes back everything, into its settlement account.
		assert_ok!(Wellness::withdraw(signed(PAYER_ADMIN), program, 10_000));
		assert_eq!(Balances::balance(&Settlement::convert(PAYER)), 10_000);
	});
}

#[test]
fn facts_from_before_enrolment_or_outside_a_rule_earn_nothing() {
	new_test_ext().execute_with(|| {
		let program = create(0);
		assert_ok!(Wellness::fund(signed(PAYER_ADMIN), program, 10_000));
		// A visit that started before the patient enrolled, attested after.
		let (id, start) = booked(PATIENT);
		Timestamp::set_timestamp(start + 30 * MINUTE);
		assert_ok!(Wellness::enrol(signed(PATIENT), program, PATIENT));
		let encounter = Encounter {
			started_at: start,
			ended_at: start + 20 * MINUTE,
			note_hash: H256::repeat_byte(1),
		};
		assert_ok!(Telehealth::attest_encounter(
			signed(MARYS_DOCTOR),
			id,
			PATIENT,
			Modality::Video,
			encounter.started_at,
			encounter.ended_at,
			encounter.note_hash,
			TestSignature(PATIENT, attestation_payload(id, &encounter, Modality::Video)),
		));
		assert_eq!(points(program, PATIENT), 0);
		// Another patient's visit earns the patient nothing.
		assert_ok!(Wellness::enrol(signed(OTHER_PATIENT), program, OTHER_PATIENT));
		visit(OTHER_PATIENT);
		assert_eq!((points(program, PATIENT), points(program, OTHER_PATIENT)), (0, 10));
	});
}

#[test]
fn an_expired_rule_earns_nothing() {
	new_test_ext().execute_with(|| {
		let program = crate::NextProgramId::<Test>::get();
		let mut rules = rules();
		rules[0].expires_at = START + DAY;
		assert_ok!(Wellness::create_program(
			signed(PAYER_ADMIN),
			H256::zero(),
			POINT,
			0,
			START,
			START + LENGTH,
			rules
		));
		assert_ok!(Wellness::fund(signed(PAYER_ADMIN), program, 10_000));
		assert_ok!(Wellness::enrol(signed(PATIENT), program, PATIENT));
		go_to_day(2);
		visit(PATIENT);
		assert_eq!(points(program, PATIENT), 0);
	});
}

#[test]
fn points_are_awarded_only_while_the_escrow_can_pay_them() {
	new_test_ext().execute_with(|| {
		let program = create(0);
		assert_ok!(Wellness::fund(signed(PAYER_ADMIN), program, 25));
		assert_ok!(Wellness::enrol(signed(PATIENT), program, PATIENT));
		visit(PATIENT);
		assert_eq!(points(program, PATIENT), 10, "worth 20 of 25");
		visit(PATIENT);
		assert_eq!(points(program, PATIENT), 10, "another 10 would be worth 40");
		System::assert_has_event(Event::Unfunded { program, rule: 0 }.into());
		// The payer cannot take back what the outstanding points are worth.
		assert_noop!(
			Wellness::withdraw(signed(PAYER_ADMIN), program, 6),
			Error::<Test>::InsufficientEscrow
		);
		assert_ok!(Wellness::withdraw(signed(PAYER_ADMIN), program, 5));
		// Money sent to the escrow account directly is never counted.
		assert_ok!(Balances::transfer(
			&OTHER_PAYER_ADMIN,
			&Wellness::escrow_account(program),
			1_000,
			frame_support::traits::tokens::Preservation::Preserve
		));
		assert_noop!(
			Wellness::withdraw(signed(PAYER_ADMIN), program, 1),
			Error::<Test>::InsufficientEscrow
		);
		assert_ok!(Wellness::redeem(signed(PATIENT), program, PATIENT, 10));
	});
}

#[test]
fn fill_reports_are_bounded_by_the_pharmacys_dispensing() {
	new_test_ext().execute_with(|| {
		let program = setup();
		// No dispense today: no report.
		assert_noop!(
			Wellness::report_fill(signed(PHARMACIST), program, PATIENT, 30),
			Error::<Test>::NoMatchingDispense
		);
		// Another pharmacy's dispensing does not count for this one.
		MockDispensing::dispense(OTHER_PHARMACY);
		assert_noop!(
			Wellness::report_fill(signed(PHARMACIST), program, PATIENT, 30),
			Error::<Test>::NoMatchingDispense
		);
		// One dispense, one report.
		MockDispensing::dispense(PHARMACY);
		assert_ok!(Wellness::report_fill(signed(PHARMACIST), program, PATIENT, 30));
		assert_noop!(
			Wellness::report_fill(signed(PHARMACIST), program, PATIENT, 30),
			Error::<Test>::NoMatchingDispense
		);
		// Named errors.
		MockDispensing::dispense(PHARMACY);
		assert_noop!(
			Wellness::report_fill(signed(MARYS_DOCTOR), program, PATIENT, 30),
			Error::<Test>::NotPharmacy
		);
		for days in [0, 91] {
			assert_noop!(
				Wellness::report_fill(signed(PHARMACIST), program, PATIENT, days),
				Error::<Test>::BadDaysSupply
			);
		}
		assert_noop!(
			Wellness::report_fill(signed(PHARMACIST), program, OTHER_PATIENT, 30),
			Error::<Test>::NotEnrolled
		);
		assert_noop!(
			Wellness::report_fill(signed(PHARMACIST), 9, PATIENT, 30),
			Error::<Test>::UnknownProgram
		);
	});
}

#[test]
fn create_program_checks_the_sponsor_and_the_rules() {
	new_test_ext().execute_with(|| {
		let create_with = |who, point_value, starts_at, ends_at, rules| {
			Wellness::create_program(
				signed(who),
				H256::zero(),
				point_value,
				0,
				starts_at,
				ends_at,
				rules,
			)
		};
		let end = START + LENGTH;
		for who in [PAYER_CLERK, MARYS_ADMIN, PHARMACIST, PATIENT] {
			assert_noop!(create_with(who, 1, START, end, rules()), Error::<Test>::NotPayerAdmin);
		}
		assert_noop!(create_with(PAYER_ADMIN, 1, START, end, vec![]), Error::<Test>::BadRuleCount);
		let five = [rules(), rules()].concat()[..5].to_vec();
		assert_noop!(create_with(PAYER_ADMIN, 1, START, end, five), Error::<Test>::BadRuleCount);
		for broken in [
			Rule { points: 0, ..rules()[0] },
			Rule { cap_per_period: 9, ..rules()[0] },
			Rule { period_days: 0, ..rules()[0] },
			Rule { expires_at: START, ..rules()[0] },
		] {
			assert_noop!(
				create_with(PAYER_ADMIN, 1, START, end, vec![broken]),
				Error::<Test>::BadRule
			);
		}
		assert_noop!(create_with(PAYER_ADMIN, 1, end, START, rules()), Error::<Test>::BadTimes);
		assert_noop!(
			create_with(PAYER_ADMIN, 1, START - 2 * DAY, START - DAY, rules()),
			Error::<Test>::BadTimes
		);
		assert_noop!(
			create_with(PAYER_ADMIN, 0, START, end, rules()),
			Error::<Test>::ZeroPointValue
		);
		assert_noop!(
			create_with(PAYER_ADMIN, 1, START, START + 401 * DAY, rules()),
			Error::<Test>::BadTimes
		);
		for _ in 0..4 {
			assert_ok!(create_with(PAYER_ADMIN, 1, START, end, rules()));
		}
		// Four per sponsor: one payer cannot fill the chain's six for the others.
		assert_noop!(
			create_with(PAYER_ADMIN, 1, START, end, rules()),
			Error::<Test>::TooManyOpenPrograms
		);
		System::assert_has_event(Event::ProgramCreated { program: 3, sponsor: PAYER }.into());
		assert_ok!(create_with(OTHER_PAYER_ADMIN, 1, START, end, rules()));
		assert_ok!(create_with(OTHER_PAYER_ADMIN, 1, START, end, rules()));
		assert_noop!(
			create_with(OTHER_PAYER_ADMIN, 1, START, end, rules()),
			Error::<Test>::TooManyOpenPrograms
		);
	});
}

#[test]
fn only_the_sponsors_admins_move_a_programs_money() {
	new_test_ext().execute_with(|| {
		let program = setup();
		for who in [OTHER_PAYER_ADMIN, PAYER_CLERK, PATIENT, STRANGER] {
			assert_noop!(Wellness::fund(signed(who), program, 10), Error::<Test>::NotSponsor);
			assert_noop!(Wellness::withdraw(signed(who), program, 10), Error::<Test>::NotSponsor);
		}
		assert_noop!(Wellness::fund(signed(PAYER_ADMIN), program, 0), Error::<Test>::ZeroAmount);
		assert_noop!(Wellness::fund(signed(PAYER_ADMIN), 9, 10), Error::<Test>::UnknownProgram);
		assert_noop!(
			Wellness::withdraw(signed(PAYER_ADMIN), program, 0),
			Error::<Test>::ZeroAmount
		);
		// Members' deposits are not the program's to withdraw.
		assert_noop!(
			Wellness::withdraw(signed(PAYER_ADMIN), program, 10_001),
			Error::<Test>::InsufficientEscrow
		);
		// Paid into the payer's settlement account, never the signer's own.
		let admin_before = Balances::balance(&PAYER_ADMIN);
		assert_ok!(Wellness::withdraw(signed(PAYER_ADMIN), program, 10_000));
		assert_eq!(Balances::balance(&Settlement::convert(PAYER)), 10_000);
		assert_eq!(Balances::balance(&PAYER_ADMIN), admin_before);
	});
}

#[test]
fn patients_and_guardians_enrol_leave_and_redeem_for_themselves_only() {
	new_test_ext().execute_with(|| {
		let program = setup();
		assert_noop!(
			Wellness::enrol(signed(PATIENT), program, PATIENT),
			Error::<Test>::AlreadyEnrolled
		);
		assert_noop!(
			Wellness::enrol(signed(PATIENT), program, OTHER_PATIENT),
			Error::<Test>::NotPatientOrGuardian
		);
		assert_noop!(
			Wellness::enrol(signed(STRANGER), program, STRANGER),
			Error::<Test>::NotPatient
		);
		assert_noop!(
			Wellness::enrol(signed(OTHER_PATIENT), 9, OTHER_PATIENT),
			Error::<Test>::UnknownProgram
		);
		// A patient who cannot pay the deposit is not enrolled.
		assert_ok!(Balances::transfer(
			&OTHER_PATIENT,
			&STRANGER,
			PATIENT_FUNDS - 10,
			frame_support::traits::tokens::Preservation::Expendable
		));
		assert_noop!(
			Wellness::enrol(signed(OTHER_PATIENT), program, OTHER_PATIENT),
			Error::<Test>::DepositFailed
		);

		visit(PATIENT);
		for who in [OTHER_PATIENT, MARYS_DOCTOR, PAYER_ADMIN] {
			assert_noop!(
				Wellness::redeem(signed(who), program, PATIENT, 10),
				Error::<Test>::NotPatientOrGuardian
			);
			assert_noop!(
				Wellness::leave(signed(who), program, PATIENT),
				Error::<Test>::NotPatientOrGuardian
			);
		}
		assert_noop!(
			Wellness::redeem(signed(PATIENT), program, PATIENT, 11),
			Error::<Test>::NotEnoughPoints
		);
		assert_noop!(
			Wellness::redeem(signed(PATIENT), program, PATIENT, 0),
			Error::<Test>::ZeroAmount
		);
		// The guardian redeems for the patient: the patient is paid.
		let before = Balances::balance(&PATIENT);
		assert_ok!(Wellness::redeem(signed(GUARDIAN), program, PATIENT, 10));
		assert_eq!(Balances::balance(&PATIENT), before + 20);
		// Leaving keeps the deposit until the program ends; a second leave finds nothing.
		assert_ok!(Wellness::leave(signed(GUARDIAN), program, PATIENT));
		assert_eq!(Balances::balance(&PATIENT), before + 20);
		assert_noop!(
			Wellness::leave(signed(PATIENT), program, PATIENT),
			Error::<Test>::NotEnrolled
		);
		Timestamp::set_timestamp(START + LENGTH);
		Wellness::on_idle(2, Weight::MAX);
		assert_eq!(Balances::balance(&PATIENT), before + 20 + DEPOSIT);
		assert!(PatientPrograms::<Test>::get(PATIENT).is_empty());
	});
}

#[test]
fn a_patient_is_in_at_most_max_programs() {
	new_test_ext().execute_with(|| {
		let programs = [create(0), create(0), create(0)];
		assert_ok!(Wellness::enrol(signed(PATIENT), programs[0], PATIENT));
		assert_ok!(Wellness::enrol(signed(PATIENT), programs[1], PATIENT));
		assert_noop!(
			Wellness::enrol(signed(PATIENT), programs[2], PATIENT),
			Error::<Test>::TooManyPrograms
		);
		// A program left keeps its place until it ends.
		assert_ok!(Wellness::leave(signed(PATIENT), programs[0], PATIENT));
		assert_noop!(
			Wellness::enrol(signed(PATIENT), programs[2], PATIENT),
			Error::<Test>::TooManyPrograms
		);
	});
}

#[test]
fn adherence_counts_days_covered_as_pdc_does() {
	let mut a = Adherence::default();
	assert_eq!(a.pdc(10), Percent::one());
	a.fill(10, 30);
	assert_eq!(a.pdc(10), Percent::one());
	// On time at day 40: 30 of 30 days covered.
	assert_eq!(a.pdc(40), Percent::one());
	// Early at day 30: the overlap is shifted forward, not double counted.
	a.fill(30, 30);
	assert_eq!((a.covered_until, a.covered_days), (70, 60));
	assert_eq!(a.pdc(70), Percent::one());
	// Late at day 100: 60 of 90 days.
	assert_eq!(a.pdc(100), Percent::from_rational(60u32, 90u32));
}

#[test]
fn try_state_catches_unbacked_points() {
	new_test_ext().0.execute_with(|| {
		let program = setup();
		visit(PATIENT);
		assert_ok!(Wellness::do_try_state());
		Members::<Test>::mutate(program, PATIENT, |m| {
			if let Some(m) = m {
				m.points += 1;
			}
		});
		assert!(Wellness::do_try_state().is_err());
	});
}

#[test]
fn leaving_is_final_and_resets_nothing() {
	new_test_ext().execute_with(|| {
		let program = setup();
		visit(PATIENT);
		assert_ok!(fill(program, 30));
		assert_eq!(points(program, PATIENT), 15);
		// A visit booked, missed, then the patient leaves before the practitioner marks it.
		let (missed, _) = booked(PATIENT);
		assert_ok!(Wellness::leave(signed(PATIENT), program, PATIENT));
		assert_eq!(Ledgers::<Test>::get(program).expired, 15, "unredeemed points are forfeited");
		// Enrolling again (to reset the caps, the adherence or the deposit) is refused.
		assert_noop!(
			Wellness::enrol(signed(PATIENT), program, PATIENT),
			Error::<Test>::AlreadyEnrolled
		);
		// The no-show still forfeits the deposit held.
		Timestamp::set_timestamp(Timestamp::get() + HOUR);
		assert_ok!(Telehealth::mark_no_show(signed(MARYS_DOCTOR), missed));
		assert_eq!(Ledgers::<Test>::get(program).forfeited, DEPOSIT);
		// A left member earns nothing, is reported no fill and redeems nothing.
		visit(PATIENT);
		assert_eq!(points(program, PATIENT), 0);
		MockDispensing::dispense(PHARMACY);
		assert_noop!(
			Wellness::report_fill(signed(PHARMACIST), program, PATIENT, 30),
			Error::<Test>::NotEnrolled
		);
		assert_noop!(
			Wellness::redeem(signed(PATIENT), program, PATIENT, 1),
			Error::<Test>::NotEnrolled
		);
		assert_eq!(PeriodPoints::<Test>::iter().count(), 2, "its counters stay");
	});
}
