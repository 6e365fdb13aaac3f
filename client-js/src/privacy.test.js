// Issue 18's privacy scan: a full journey with planted clinical facts against a real
// `carechain --dev` node, then `carechain privacy-scan` over its base path (every state entry,
// block, kept event and file) finds none of them, no patient-to-drug link, and no link of the
// patient to the clinical trial they take part in.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Account, Carechain, allocationList, encodeSgtin, generateCodeKey, randomBlinding, subjectIdentity, toHex, today, unitEpc } from './index.js';
import { connectWhenUp, startDevNode } from './testing/dev-node.js';

let node;
let chain;
const bob = Account.fromUri('//Bob'); // practitioner, St. Alice General Hospital (org 0)
const charlie = Account.fromUri('//Charlie'); // admin, Charlie Health Insurance (org 1, payer)
const dave = Account.fromUri('//Dave'); // admin, Dave's Pharmacy (org 2)
const one = Account.fromUri('//One'); // admin, One Pharmaceuticals (org 3, manufacturer)
const grace = Account.fromUri('//Grace'); // practitioner, Grace Clinical Research (org 5, sponsor)

// What the journey plants: a marker in every plaintext a user writes, and codes that must only
// ever reach the chain as keyed tags.
const MARKER = `PHI-marker-${randomBytes(6).toString('hex')}`;
const DIAGNOSES = ['E1165', 'F322']; // type 2 diabetes with hyperglycemia; major depression
const PROCEDURES = ['99214', '70553']; // office visit; MRI of the brain (prior authorization)
const MEMBER_ID = `${MARKER}-member-7781`;
const JUSTIFICATION = `${MARKER} found unresponsive after an overdose`;

/** A GTIN-14 of `base` (13 digits: indicator, One Pharmaceuticals' prefix 0312345, item) with its check digit. */
function gtin(base) {
  const sum = [...base].reverse().reduce((acc, d, i) => acc + Number(d) * (i % 2 === 0 ? 3 : 1), 0);
  return base + String((10 - (sum % 10)) % 10);
}
const ANTIRETROVIRAL = gtin('0031234555501');

before(async () => {
  node = await startDevNode();
  chain = await connectWhenUp(() => Carechain.connect(node.url), node);
});

after(async () => {
  await chain?.close();
  node?.stop();
});

/** `carechain privacy-scan` over the node's base path: its exit status and report. */
function scan(args) {
  const run = spawnSync(node.binary, ['privacy-scan', '--base-path', node.basePath, ...args], { encoding: 'utf8' });
  if (run.error) throw run.error;
  return { status: run.status, report: `${run.stdout}${run.stderr}` };
}

test('a full journey leaves no clinical fact and no patient-to-drug link in state, blocks, events or files', { timeout: 600_000 }, async (t) => {
  const patient = Account.generate().account;
  await chain.registry.registerPatient(patient);
  const week = Date.now() + 7 * 86_400_000;
  await chain.consent.grant(patient, { grantee: { type: 'Organization', value: 0 }, purposes: ['Treatment', 'Payment'], expiresAt: week });
  await chain.consent.grant(patient, { grantee: { type: 'Organization', value: 2 }, purposes: ['Treatment'], expiresAt: week });

  // Records whose plaintext carries the marker and the codes, sealed in the vault.
  const observation = await chain.vault.writeRecord(bob, {
    patient: patient.address,
    resource: {
      resourceType: 'Condition',
      subject: { reference: 'Patient/p1' },
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.65' }], text: `${MARKER} diabetes, F32.2` },
    },
  });
  const prescription = await chain.vault.writeRecord(bob, {
    patient: patient.address,
    resource: {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/p1' },
      medicationCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/ndc', code: ANTIRETROVIRAL }], text: `${MARKER} antiretroviral` },
    },
  });

  // A break-glass with a free-text justification (committed with a salt, never stored).
  await chain.consent.breakGlass(bob, { patient: patient.address, reason: 'Unconscious', justification: JUSTIFICATION });

  // A policy with a fee schedule, covered diagnoses and a prior authorization, all as tags.
  const codeKey = generateCodeKey();
  const day = today();
  const policy = await chain.claims.publishPolicy(charlie, {
    procedures: [[PROCEDURES[0], 120n], [PROCEDURES[1], 900n]],
    diagnosisPrefixes: ['E11', 'F32'],
    priorAuthorization: [PROCEDURES[1]],
    deductible: 50n,
    coinsurance: 20,
    outOfPocketMax: 2_000n,
    reviewThreshold: 50_000n,
    maxDailyLinesPerProvider: 10,
    validFrom: day - 30,
    validUntil: day + 365,
  }, { codeKey });
  await chain.claims.fundPolicy(charlie, policy.policyId, 100_000);
  await chain.claims.enroll(charlie, policy.policyId, patient.address, MEMBER_ID);
  await chain.claims.authorizeProcedure(charlie, { policyId: policy.policyId, patient: patient.address, procedure: PROCEDURES[1], codeKey, from: day - 1, until: day + 30 });
  const claim = await chain.claims.submitClaim(bob, {
    policyId: policy.policyId,
    patient: patient.address,
    serviceDate: day,
    codeKey,
    diagnoses: [DIAGNOSES[0]],
    lines: [{ procedure: PROCEDURES[0], units: 1, charged: 150 }, { procedure: PROCEDURES[1], units: 1, charged: 1_200 }],
    records: [observation.recordId],
  });
  assert.equal(claim.status, 'Adjudicated', 'the tagged claim is still adjudicated on chain');
  assert.ok(claim.payerPaid > 0n);

  // The patient's antiretroviral, dispensed against the prescription.
  await chain.provenance.registerProduct(one, ANTIRETROVIRAL, 'Antiretroviral, 30 tablets');
  await chain.provenance.commission(one, { gtin: ANTIRETROVIRAL, lot: 'LOTP1', expiry: today() + 365, serials: ['SN7001'] });
  await chain.provenance.ship(one, unitEpc(ANTIRETROVIRAL, 'SN7001'), 2);
  await chain.provenance.receive(dave, unitEpc(ANTIRETROVIRAL, 'SN7001'));
  const sgtin = { gtin: ANTIRETROVIRAL, serial: 'SN7001' };
  await chain.provenance.dispense(dave, sgtin, { patient: patient.address, prescription: prescription.recordId, dataKey: randomBlinding() });

  // The patient joins a trial of an HIV treatment: screened at the hospital, enrolled from the
  // subject account the wallet derived, a case-report form captured.
  const trialDigits = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const { study } = await chain.trials.registerStudy(grace, {
    registryId: `NCT${trialDigits}`,
    phase: 'Phase3',
    arms: ['antiretroviral A', 'antiretroviral B'],
    targetEnrolment: 2,
    protocol: `${MARKER} protocol`,
    consentForm: `${MARKER} consent`,
    primaryOutcomes: ['viral load below 50 copies/mL at 48 weeks'],
    analysisPlan: 'SAP',
    allocationRoot: allocationList(2, 2).root,
  });
  await chain.trials.activateSite(grace, study, 0, 'IRB approval');
  const subject = subjectIdentity(patient, study);
  await chain.trials.screen(bob, study, subject, { patient: patient.address, nullifierKey: randomBytes(32) });
  await chain.trials.enrol(subject, { site: 0, version: 1 });
  await chain.trials.captureForm(bob, study, subject.pseudonym, `${MARKER} visit 1 CRF`);

  await chain.close();
  chain = undefined;
  await node.halt();

  const account = `hex:${toHex(patient.publicKey)}`;
  const unit = `hex:${toHex(encodeSgtin(sgtin))}`;
  const needles = [MARKER, MEMBER_ID, JUSTIFICATION, 'E11.65', 'F32.2', ...DIAGNOSES, ...PROCEDURES]
    .flatMap((needle) => ['--needle', needle]);
  // The trial: nothing holds the patient's account with the subject's pseudonym, the subject
  // account or the study's registry number.
  const trial = [`${account}=hex:${subject.pseudonym}`, `${account}=hex:${toHex(subject.account.publicKey)}`, `${account}=${trialDigits}`];
  const links = [`${account}=${unit}`, `${account}=${ANTIRETROVIRAL}`, `hex:${prescription.recordId}=${unit}`, ...trial]
    .flatMap((link) => ['--link', link]);
  const clean = scan([...needles, ...links]);
  assert.equal(clean.status, 0, `the scan found planted facts:\n${clean.report}`);
  assert.match(clean.report, /\| hits \| 0 \|/);
  assert.match(clean.report, /\| files \| [1-9]/, 'the scan read the database files');
  for (const line of clean.report.trim().split('\n')) t.diagnostic(line);

  // The scan is not blind: the patient's account is in the registry and beside their records.
  const seen = scan(['--needle', account, '--link', `${account}=hex:${prescription.recordId}`]);
  assert.equal(seen.status, 2, seen.report);
  // Nor is it blind to the trial: the pseudonym is in state beside the subject key.
  const subjectSeen = scan(['--link', `hex:${subject.pseudonym}=hex:${subject.key}`]);
  assert.equal(subjectSeen.status, 2, subjectSeen.report);
  assert.match(seen.report, /hit: hex:0x[0-9a-f]+ in state key/);
  assert.match(seen.report, new RegExp(`hit: hex:0x[0-9a-f]+ with hex:${prescription.recordId} in`));
});
