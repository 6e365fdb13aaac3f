// Telehealth claims and wellness rewards through @carechain/client against a real
// `carechain --dev` node: an attested video visit billed as a telehealth line is paid and a
// line billing more minutes than attested is not; a patient earns points for the visit, an
// immunization and a refill the pharmacy dispensed, and redeems them; the FHIR views of the
// appointment and its encounter validate; a pharmacy cannot report a fill it did not dispense.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Account, Carechain, DispatchError, countersign, generateCodeKey, hashText, randomBlinding, telehealthService, today, unitEpc } from './index.js';
import { connectWhenUp, startDevNode } from './testing/dev-node.js';

let node;
let chain;
const alice = Account.fromUri('//Alice'); // admin, St. Alice General Hospital (org 0)
const bob = Account.fromUri('//Bob'); // practitioner there
const charlie = Account.fromUri('//Charlie'); // admin, Charlie Health Insurance (org 1, payer)
const dave = Account.fromUri('//Dave'); // admin, Dave's Pharmacy (org 2)
const one = Account.fromUri('//One'); // admin, One Pharmaceuticals (org 3, manufacturer)

before(async () => {
  node = await startDevNode();
  chain = await connectWhenUp(() => Carechain.connect(node.url), node);
});

after(async () => {
  await chain?.close();
  node?.stop();
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const refusedBy = (pallet, error) => (e) => e instanceof DispatchError && e.pallet === pallet && e.error === error;

/** A GTIN-14 under One's GS1 company prefix 0614141, with its check digit. */
function gtin(item) {
  const body = `00614141${String(item).padStart(5, '0')}`;
  const sum = [...body].reverse().reduce((acc, d, i) => acc + Number(d) * (i % 2 === 0 ? 3 : 1), 0);
  return `${body}${(10 - (sum % 10)) % 10}`;
}

/** A registered patient who consents to St. Alice's treating them. */
async function newPatient() {
  const { account: patient } = Account.generate();
  await chain.registry.registerPatient(patient);
  await chain.consent.grant(patient, { grantee: { type: 'Organization', value: 0 }, purposes: ['Treatment', 'Payment'], expiresAt: Date.now() + 86_400_000 });
  return patient;
}

let licensed = false;

/** A video visit of `patient` with Bob, countersigned by the patient: `{ appointment, minutes, start }`. */
async function attestedVisit(patient, lengthMs = 2_000) {
  if (!licensed) {
    await chain.telehealth.issueLicence(alice, bob.address, 'US-CA', Date.now() + 86_400_000);
    licensed = true;
  }
  const start = Date.now() + 5_000;
  const { appointment } = await chain.telehealth.proposeAppointment(bob, { patient: patient.address, jurisdiction: 'US-CA', start, end: start + 30 * 60_000, modality: 'Video' });
  await chain.telehealth.book(patient, appointment);
  const wait = start + lengthMs + 500 - Date.now();
  if (wait > 0) await sleep(wait);
  const facts = { patient: patient.address, modality: 'Video', startedAt: start, endedAt: start + lengthMs, noteHash: hashText(`visit ${appointment}`) };
  const { minutes } = await chain.telehealth.attestEncounter(bob, appointment, facts, countersign(patient, appointment, facts));
  return { appointment, minutes, start };
}

test('a telehealth line names its place of service and modifier in billing terms', () => {
  const line = telehealthService({ appointment: 3, placeOfService: '10', modifier: '95', jurisdiction: 'US-CA', minutes: 20 });
  assert.deepEqual({ ...line, jurisdiction: [...line.jurisdiction] }, { appointment: 3, place: 'Home', modifier: 'AudioVideo', jurisdiction: [85, 83, 45, 67, 65, 0], minutes: 20 });
  assert.equal(telehealthService(undefined), null);
  assert.throws(() => telehealthService({ appointment: 3, placeOfService: '11', modifier: '95', jurisdiction: 'US-CA', minutes: 20 }), /place of service 11/);
  assert.throws(() => telehealthService({ appointment: 3, placeOfService: '02', modifier: 'GT', jurisdiction: 'US-CA', minutes: 20 }), /modifier GT/);
});

test('an attested video visit billed as a telehealth line is paid; more minutes than attested are not', async () => {
  const patient = await newPatient();
  const day = today();
  const codeKey = generateCodeKey();
  const hospitalKey = bob.encryptionKey();
  const policy = await chain.claims.publishPolicy(charlie, {
    procedures: [['99213', 100n], ['99214', 150n]],
    diagnosisPrefixes: [],
    priorAuthorization: [],
    deductible: 0n,
    coinsurance: 20,
    outOfPocketMax: 500n,
    reviewThreshold: 5000n,
    maxDailyLinesPerProvider: 10,
    validFrom: day - 30,
    validUntil: day + 365,
  }, { codeKey });
  await chain.claims.shareCodeKey(charlie, { policyId: policy.policyId, epoch: 0, org: 0, codeKey, orgPublicKey: hospitalKey.publicKey });
  await chain.claims.fundPolicy(charlie, policy.policyId, 10_000);
  await chain.claims.enroll(charlie, policy.policyId, patient.address, 'member 0077');

  // A visit of just over a minute, attested by both sides.
  const visit = await attestedVisit(patient, 61_000);
  assert.equal(visit.minutes, 1);
  const note = await chain.vault.writeRecord(bob, { patient: patient.address, resource: { resourceType: 'Procedure', status: 'completed', subject: { reference: 'Patient/p1' }, code: { text: 'video visit' } } });
  const line = (procedure, { minutes = 1, modifier = '95' } = {}) => ({ procedure, units: 1, charged: 100, telehealth: { appointment: visit.appointment, placeOfService: '10', modifier, jurisdiction: 'US-CA', minutes } });
  const base = { policyId: policy.policyId, patient: patient.address, serviceDate: day, codeKey, diagnoses: ['J069'], records: [note.recordId] };
  // Two minutes billed for one attested: not paid.
  const padded = await chain.claims.submitClaim(bob, { ...base, lines: [line('99214', { minutes: 2 })] });
  assert.equal(padded.payerPaid, 0n);
  assert.deepEqual(padded.claim.lines[0].outcome, { type: 'Denied', value: 'DurationNotSupported' });
  const more = { ...base, attachment: padded.attachment };
  // Billed as audio only (93), the video visit is not the encounter billed.
  const audio = await chain.claims.submitClaim(bob, { ...more, lines: [line('99214', { modifier: '93' })] });
  assert.deepEqual(audio.claim.lines[0].outcome, { type: 'Denied', value: 'EncounterNotAttested' });
  await assert.rejects(chain.claims.submitClaim(bob, { ...more, lines: [line('99214', { minutes: 0 })] }), refusedBy('Claims', 'ZeroMinutes'));
  // Billed as it happened, it is paid: 80 of 100 after 20 % coinsurance.
  const ok = await chain.claims.submitClaim(bob, { ...more, lines: [line('99213')] });
  assert.equal(ok.status, 'Adjudicated');
  assert.equal(ok.payerPaid, 80n);
  // Billing that visit again, under another code, is a duplicate.
  const again = await chain.claims.submitClaim(bob, { ...more, lines: [line('99214')] });
  assert.deepEqual(again.claim.lines[0].outcome, { type: 'Denied', value: 'Duplicate' });

  // The prescription Bob issued in the visit is linked to it; another patient's is refused.
  const rx = await chain.vault.writeRecord(bob, {
    patient: patient.address,
    resource: { resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' }, medicationCodeableConcept: { text: 'amoxicillin 500 mg' } },
  });
  await chain.telehealth.linkPrescription(bob, visit.appointment, rx.recordId);
  await assert.rejects(chain.telehealth.linkPrescription(bob, visit.appointment, rx.recordId), refusedBy('Telehealth', 'AlreadyLinked'));
  await assert.rejects(chain.telehealth.linkPrescription(bob, visit.appointment, note.recordId), refusedBy('Telehealth', 'NotPrescription'));
  assert.deepEqual((await chain.telehealth.view(visit.appointment)).prescriptions, [rx.recordId]);

  // The appointment and its encounter as FHIR R4, which the node checked before answering.
  const fhirAppointment = await chain.telehealth.fhirAppointment(visit.appointment);
  assert.equal(fhirAppointment.resourceType, 'Appointment');
  assert.equal(fhirAppointment.status, 'fulfilled');
  assert.equal(fhirAppointment.participant[0].actor.identifier.value, patient.address);
  const encounter = await chain.telehealth.fhirEncounter(visit.appointment);
  assert.equal(encounter.class.code, 'VR');
  assert.equal(encounter.length.value, 1);
  assert.equal(encounter.appointment[0].reference, `Appointment/${fhirAppointment.id}`);
  assert.equal((await chain.telehealth.view(visit.appointment)).encounter.minutes, 1);
  assert.equal(await chain.telehealth.fhirEncounter(999_999), null);
});

test('a wellness journey: enrol, attend, get immunized, refill, earn to the cap, redeem', async () => {
  const patient = await newPatient();
  const now = Date.now();
  const rule = (trigger, points, capPerPeriod, periodDays = 30) => ({ trigger, points, capPerPeriod, periodDays, expiresAt: now + 86_400_000 });
  const { program } = await chain.wellness.createProgram(charlie, {
    terms: 'Stay well 2027: terms and conditions',
    pointValue: 3,
    startsAt: now,
    endsAt: now + 30 * 86_400_000,
    rules: [rule('AttendedVisit', 10, 10), rule('Immunization', 15, 15), rule({ Refill: { minPdc: 80 } }, 5, 10)],
  });
  await chain.wellness.fund(charlie, program, 10_000);
  await assert.rejects(chain.wellness.enrol(Account.fromUri('//Eve'), program, patient.address), refusedBy('Wellness', 'NotPatientOrGuardian'));
  await chain.wellness.enrol(patient, program);

  // Two attested visits: the first earns 10, the second hits the month's cap.
  await attestedVisit(patient);
  assert.equal((await chain.wellness.enrolment(program, patient.address)).points, 10);
  await attestedVisit(patient);
  assert.equal((await chain.wellness.enrolment(program, patient.address)).points, 10);

  // An immunization Bob records earns 15; nothing names it in the wellness state.
  await chain.vault.writeRecord(bob, {
    patient: patient.address,
    resource: { resourceType: 'Immunization', status: 'completed', vaccineCode: { text: 'influenza' }, patient: { reference: 'Patient/p1' }, occurrenceDateTime: '2026-12-05' },
  });
  assert.equal((await chain.wellness.enrolment(program, patient.address)).points, 25);

  // Dave cannot report a fill he did not dispense; after dispensing one unit, one report.
  await assert.rejects(chain.wellness.reportFill(dave, program, patient.address, 30), refusedBy('Wellness', 'NoMatchingDispense'));
  const product = gtin(4242);
  await chain.provenance.registerProduct(one, product, 'Atorvastatin 20 mg, 30 tablets');
  await chain.provenance.commission(one, { gtin: product, lot: 'W1', expiry: today() + 365, serials: ['W0001'] });
  await chain.provenance.ship(one, unitEpc(product, 'W0001'), 2);
  await chain.provenance.receive(dave, unitEpc(product, 'W0001'));
  await chain.provenance.dispense(dave, { gtin: product, serial: 'W0001' }, { patient: patient.address, prescription: randomBlinding(), dataKey: randomBlinding() });
  const reported = await chain.wellness.reportFill(dave, program, patient.address, 30);
  assert.doesNotMatch(Carechain.json(reported.events), new RegExp(`${product}|W0001`));
  await assert.rejects(chain.wellness.reportFill(dave, program, patient.address, 30), refusedBy('Wellness', 'NoMatchingDispense'));
  const enrolment = await chain.wellness.enrolment(program, patient.address);
  assert.equal(enrolment.points, 30);
  assert.equal(enrolment.adherence.coveredDays, 30);

  // The sponsor sees totals per rule.
  const view = await chain.wellness.program(program);
  assert.deepEqual(view.rules.map((r) => [r.trigger.kind, r.awards, r.awardedPoints]), [['attendedVisit', 1, 10], ['immunization', 1, 15], ['refill', 1, 5]]);
  assert.equal(view.ledger.outstandingPoints, 30);

  // Redeemed at 3 a point; more than earned is refused.
  await assert.rejects(chain.wellness.redeem(patient, program, 31), refusedBy('Wellness', 'NotEnoughPoints'));
  const { paid } = await chain.wellness.redeem(patient, program, 30);
  assert.equal(paid, 90n);
  assert.equal((await chain.wellness.program(program)).ledger.redeemed, '90');
  // Leaving is final: enrolling again (which would reset the caps) is refused.
  await chain.wellness.leave(patient, program);
  assert.equal((await chain.wellness.enrolment(program, patient.address)).left, true);
  await assert.rejects(chain.wellness.enrol(patient, program), refusedBy('Wellness', 'AlreadyEnrolled'));
});
