// Telehealth through @carechain/client against a real `carechain --dev` node: a licence, an
// appointment, and an encounter the patient countersigns; a forged countersignature, a
// stranger's booking and an unlicensed practitioner are refused.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Account, Carechain, DispatchError, TelehealthError, attestationPayload, countersign, hashText, jurisdiction } from './index.js';
import { connectWhenUp, startDevNode } from './testing/dev-node.js';

let node;
let chain;
const alice = Account.fromUri('//Alice'); // admin, St. Alice General Hospital (org 0)
const bob = Account.fromUri('//Bob'); // practitioner there

before(async () => {
  node = await startDevNode();
  chain = await connectWhenUp(() => Carechain.connect(node.url), node);
});

after(async () => {
  await chain?.close();
  node?.stop();
});

const refusedBy = (error) => (e) => e instanceof DispatchError && e.pallet === 'Telehealth' && e.error === error;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('the attestation payload is the bytes pallet-telehealth checks, and bad input is named', () => {
  const payload = attestationPayload(7, { startedAt: 1_700_000_060_000, endedAt: 1_700_001_200_000, modality: 'AudioOnly', noteHash: `0x${'09'.repeat(32)}` });
  assert.equal(
    Buffer.from(payload).toString('hex'),
    '63617265636861696e2f74656c656865616c74682f656e636f756e7465722f7631070000006052e6cf8b01000080b7f7cf8b010000010909090909090909090909090909090909090909090909090909090909090909',
  );
  assert.throws(() => attestationPayload(7, { startedAt: 1, endedAt: 2, modality: 'Telepathy', noteHash: `0x${'09'.repeat(32)}` }), TelehealthError);
  assert.throws(() => attestationPayload(7, { startedAt: 1, endedAt: 2, modality: 'Video', noteHash: '0x09' }), TelehealthError);
  assert.deepEqual([...jurisdiction('US-CA')], [85, 83, 45, 67, 65, 0]);
  for (const bad of ['us-ca', 'USA-CA', 'US-CALIF', 'US']) assert.throws(() => jurisdiction(bad), TelehealthError, bad);
});

test('an encounter the patient countersigns is attested; forgeries and strangers are refused', async () => {
  const { account: patient } = Account.generate();
  await chain.registry.registerPatient(patient);
  const visitAt = (start) => ({ patient: patient.address, jurisdiction: 'US-CA', start, end: start + 30 * 60_000, modality: 'Video' });
  // Unlicensed, Bob may not propose; the hospital's admin licenses him.
  await assert.rejects(chain.telehealth.proposeAppointment(bob, visitAt(Date.now() + 60_000)), refusedBy('NotLicensed'));
  await chain.telehealth.issueLicence(alice, bob.address, 'US-CA', Date.now() + 86_400_000);
  const start = Date.now() + 6_000;
  const { appointment } = await chain.telehealth.proposeAppointment(bob, visitAt(start));
  await assert.rejects(chain.telehealth.book(Account.fromUri('//Eve'), appointment), refusedBy('NotPatientOrGuardian'));
  await chain.telehealth.book(patient, appointment);

  // The visit takes place; the patient's wallet countersigns what the practitioner records.
  const wait = start + 2_500 - Date.now();
  if (wait > 0) await sleep(wait);
  const facts = { patient: patient.address, modality: 'Video', startedAt: start, endedAt: start + 2_000, noteHash: hashText('visit note') };
  const forged = countersign(patient, appointment, { ...facts, endedAt: start + 1_000 });
  await assert.rejects(chain.telehealth.attestEncounter(bob, appointment, facts, forged), refusedBy('BadCountersignature'));
  const byBob = countersign(bob, appointment, facts);
  await assert.rejects(chain.telehealth.attestEncounter(bob, appointment, facts, byBob), refusedBy('BadCountersignature'));
  const { minutes } = await chain.telehealth.attestEncounter(bob, appointment, facts, countersign(patient, appointment, facts));
  assert.equal(minutes, 0);
  const stored = await chain.telehealth.appointment(appointment);
  assert.equal(stored.status, 'Fulfilled');
  assert.equal(stored.encounter.noteHash, facts.noteHash);
  await assert.rejects(chain.telehealth.attestEncounter(bob, appointment, facts, countersign(patient, appointment, facts)), refusedBy('WrongStatus'));
});
