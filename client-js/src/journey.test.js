// A patient's whole journey, a claim and a drug verification, through @carechain/client
// against a real `carechain --dev` node.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Account, Carechain, DispatchError, RpcError, commitText, generateCodeKey, hashText, randomBlinding, text, toHex, today, unitEpc } from './index.js';
import { compact } from '@polkadot-api/substrate-bindings';
import { fromHex } from './bytes.js';
import { event } from './pallets.js';
import { connectWhenUp, startDevNode } from './testing/dev-node.js';

let node;
let chain;
const bob = Account.fromUri('//Bob'); // practitioner, St. Alice General Hospital (org 0)
const charlie = Account.fromUri('//Charlie'); // admin, Charlie Health Insurance (org 1, payer)
const dave = Account.fromUri('//Dave'); // admin, Dave's Pharmacy (org 2)
const one = Account.fromUri('//One'); // admin, One Pharmaceuticals (org 3, manufacturer)

const OBSERVATION = {
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '2339-0', display: 'Glucose' }], text: 'glucose PHI-marker-7731' },
  valueQuantity: { value: 5.4, unit: 'mmol/L' },
};

before(async () => {
  node = await startDevNode();
  chain = await connectWhenUp(() => Carechain.connect(node.url), node);
});

after(async () => {
  await chain?.close();
  node?.stop();
});

test('a patient registers, receives a record, grants, is audited, revokes and erases', async () => {
  const { account: patient, mnemonic } = Account.generate();
  assert.equal(Account.fromMnemonic(mnemonic).address, patient.address);
  const patientKey = patient.encryptionKey();
  const daveKey = dave.encryptionKey();

  // Register: self-registration with the wallet's own X25519 key.
  await chain.registry.registerPatient(patient);
  const registered = await chain.registry.patient(patient.address);
  assert.equal(registered.encryptionKey, `0x${Buffer.from(patientKey.publicKey).toString('hex')}`);

  // Receive a record: the patient lets the hospital treat her (writing needs that), and the
  // hospital encrypts a FHIR Observation and writes it.
  await chain.consent.grant(patient, { grantee: { type: 'Organization', value: 0 }, purposes: ['Treatment'], expiresAt: Date.now() + 86_400_000 });
  const written = await chain.vault.writeRecord(bob, { patient: patient.address, resource: OBSERVATION });
  assert.equal(written.resourceType, 'Observation');
  assert.equal(written.receipt.locator, `cas:${written.contentHash}`);
  const [record] = await chain.records.byPatient(patient.address);
  assert.equal(record.recordId, written.recordId);
  assert.equal(record.locator, written.contentHash, 'the locator is the content address');
  assert.equal(record.author, bob.address);
  assert.doesNotMatch(Carechain.json(record), /PHI-marker/);

  // The patient reads it back with the key only their wallet holds.
  const own = await chain.vault.readRecord(patient, { recordId: written.recordId, purpose: 'Treatment', encryptionKey: patientKey });
  assert.deepEqual(own.resource, OBSERVATION);
  assert.equal(own.basis, 'Patient');

  // Another organization without consent is denied, on chain and in the vault.
  assert.deepEqual(await chain.consent.check(patient.address, dave.address, written.recordId, 'Treatment'), { type: 'Denied', value: 'NoConsent' });
  await assert.rejects(chain.records.logAccess(dave, written.recordId, 'Treatment'), (e) => e instanceof DispatchError && e.pallet === 'Records');
  const { challenge } = await chain.vault.challenge(dave.address);
  await assert.rejects(chain.vault.get(dave, { recordId: written.recordId, purpose: 'Treatment', challenge }), (e) => e instanceof RpcError && e.code === 6022);

  // Grant with key wrapping: Dave decrypts exactly the original JSON.
  const grant = await chain.consent.grant(patient, {
    grantee: { type: 'Practitioner', value: dave.address },
    purposes: ['Treatment'],
    expiresAt: Date.now() + 30 * 86_400_000,
    share: { encryptionKey: patientKey, recipient: daveKey.publicKey },
  });
  assert.equal(grant.wrappedKeys, 1);
  const read = await chain.vault.readRecord(dave, { recordId: written.recordId, purpose: 'Treatment', encryptionKey: daveKey });
  assert.equal(read.json, JSON.stringify(OBSERVATION));
  assert.deepEqual(read.basis, { type: 'Consent', value: Number(grant.consentId) });

  // The access is in the patient's accounting of disclosures.
  const disclosures = await chain.consent.accountingOfDisclosures(patient.address);
  const daveReads = disclosures.filter((e) => e.accessor === dave.address && e.action === 'Read');
  assert.equal(daveReads.length, 1);
  assert.equal(daveReads[0].record, written.recordId);
  assert.equal(daveReads[0].purpose, 'Treatment');
  assert.ok(disclosures.some((e) => e.action === 'Grant'));

  // Revoke: denied again.
  await chain.consent.revoke(patient, grant.consentId);
  assert.deepEqual(await chain.consent.check(patient.address, dave.address, written.recordId, 'Treatment'), { type: 'Denied', value: 'NoConsent' });
  await assert.rejects(chain.records.logAccess(dave, written.recordId, 'Treatment'), DispatchError);

  // Erase: a tombstone stays, the vault has nothing.
  await chain.records.erase(patient, written.recordId);
  const tombstone = await chain.records.get(written.recordId);
  assert.equal(tombstone.status, 'Erased');
  assert.equal(tombstone.locator, null);
  assert.equal(tombstone.patientKey, null);
  assert.equal(tombstone.contentHash, written.contentHash);
  const again = await chain.vault.challenge(patient.address);
  await assert.rejects(chain.vault.get(patient, { recordId: written.recordId, purpose: 'Treatment', challenge: again.challenge }), (e) => e instanceof RpcError && e.code === 6021);
});

test('a claim is adjudicated by the payer policy on chain, over tags of its codes', async () => {
  const patient = Account.generate().account;
  await chain.registry.registerPatient(patient);
  const day = today();
  // The payer draws the policy's code key and shares it with the hospital (org 0), wrapped to
  // the hospital's X25519 key; the chain sees tags and the wrapped key only.
  const payerCodeKey = generateCodeKey();
  const hospitalKey = bob.encryptionKey();
  const policy = await chain.claims.publishPolicy(charlie, {
    procedures: [['99213', 100n], ['80053', 50n]],
    diagnosisPrefixes: ['E11', 'I10'],
    priorAuthorization: [],
    deductible: 50n,
    coinsurance: 20,
    outOfPocketMax: 500n,
    reviewThreshold: 5000n,
    maxDailyLinesPerProvider: 10,
    validFrom: day - 30,
    validUntil: day + 365,
  }, { codeKey: payerCodeKey });
  await chain.claims.shareCodeKey(charlie, { policyId: policy.policyId, epoch: 0, org: 0, codeKey: payerCodeKey, orgPublicKey: hospitalKey.publicKey });
  const { codeKey } = await chain.claims.codeKey(policy.policyId, 0, hospitalKey);
  assert.deepEqual(codeKey, payerCodeKey);
  await chain.claims.fundPolicy(charlie, policy.policyId, 10_000);
  await chain.claims.enroll(charlie, policy.policyId, patient.address, 'member 0042');
  await chain.consent.grant(patient, { grantee: { type: 'Organization', value: 0 }, purposes: ['Treatment'], expiresAt: Date.now() + 86_400_000 });
  const visit = await chain.vault.writeRecord(bob, {
    patient: patient.address,
    resource: { resourceType: 'Procedure', status: 'completed', subject: { reference: 'Patient/p1' }, code: { text: 'office visit' } },
  });

  const officeVisit = {
    policyId: policy.policyId,
    patient: patient.address,
    serviceDate: day,
    codeKey,
    diagnoses: ['E119'],
    lines: [{ procedure: '99213', units: 1, charged: 150 }],
    records: [visit.recordId],
  };
  const claim = await chain.claims.submitClaim(bob, officeVisit);
  // The codes are in the sealed attachment only: not in the claim, its policy or its events.
  const onChain = Carechain.json([claim.claim, claim.events, await chain.claims.policy(policy.policyId)]);
  assert.doesNotMatch(onChain, /99213|80053|E119|I10/);
  assert.equal(claim.claim.attachment, claim.attachment);
  // Allowed 100; the deductible takes 50, coinsurance 20% of the other 50 is 10.
  assert.equal(claim.status, 'Adjudicated');
  assert.equal(claim.payerPaid, 40n);
  assert.equal(claim.patientShare, 60n);
  assert.equal(claim.claim.lines[0].allowed, 100n);

  // The same service again is a duplicate, denied line by line.
  const duplicate = await chain.claims.submitClaim(bob, { ...officeVisit, attachment: claim.attachment });
  assert.equal(duplicate.payerPaid, 0n);
  assert.equal(duplicate.claim.lines[0].outcome.type ?? duplicate.claim.lines[0].outcome, 'Denied');

  // A claim on an unknown policy fails with the pallet's error.
  await assert.rejects(
    chain.claims.submitClaim(bob, { policyId: 999, patient: patient.address, codeKey, epoch: 0, attachment: claim.attachment, diagnoses: ['E119'], lines: [{ procedure: '99213', units: 1, charged: 1 }], records: [visit.recordId] }),
    (e) => e instanceof DispatchError && e.pallet === 'Claims' && e.error === 'UnknownPolicy',
  );
});

test('a pharmacy verifies a drug and a counterfeit is caught', async () => {
  const gtin = '00312345678906';
  await chain.provenance.registerProduct(one, gtin, 'Metformin 500 mg, 60 tablets');
  await chain.provenance.commission(one, { gtin, lot: 'LOTA1', expiry: today() + 365, serials: ['SN0001', 'SN0002'] });
  await chain.provenance.ship(one, unitEpc(gtin, 'SN0001'), 2);
  await chain.provenance.receive(dave, unitEpc(gtin, 'SN0001'));

  const genuine = await chain.provenance.verifyProduct(dave, { gtin, serial: 'SN0001' });
  assert.equal(genuine.verification.type, 'Known');
  assert.equal(genuine.verification.value.owner, 2);
  assert.equal(genuine.verification.value.status, 'Active');
  assert.equal(text(genuine.verification.value.lot), 'LOTA1');
  assert.equal(genuine.verification.value.recalled, false);

  const fake = await chain.provenance.verifyProduct(dave, { gtin, serial: 'SN9999' });
  assert.equal(fake.verification.type, 'Unknown');
  const eve = Account.fromUri('//Eve');
  await assert.rejects(chain.provenance.dispense(dave, { gtin, serial: 'SN9999' }, { patient: eve.address }),
    (e) => e instanceof DispatchError && e.pallet === 'Provenance' && e.error === 'UnknownUnit');

  const history = await chain.provenance.history(unitEpc(gtin, 'SN0001'));
  assert.deepEqual(history.map((e) => e.kind.type ?? e.kind), ['Commissioned', 'Shipped', 'Received']);
  // Dispensed against Eve's prescription: the chain keeps a commitment and a spent fill, and
  // neither the block body nor the events hold Eve's account or the prescription's record id.
  const prescription = randomBlinding();
  const dataKey = randomBlinding();
  const sgtin = { gtin, serial: 'SN0001' };
  const dispensed = await chain.provenance.dispense(dave, sgtin, { patient: eve.address, prescription, dataKey });
  assert.equal(dispensed.counterfeitSign, null);
  assert.equal(dispensed.fill.index, 0);
  assert.equal((await chain.provenance.nextFill(dataKey, prescription)).index, 1);
  assert.equal(await chain.provenance.dispenseCommitment(sgtin), dispensed.commitment);
  assert.ok(await chain.provenance.verifyDispense(sgtin, dispensed.opening));
  assert.equal(await chain.provenance.verifyDispense(sgtin, { ...dispensed.opening, patient: dave.address }), false);
  const { block } = await chain.rpc.request('chain_getBlock', [dispensed.blockHash]);
  const events = await chain.rpc.request('state_getStorage', [toHex(chain.storageKey('System', 'Events')), dispensed.blockHash]);
  for (const secret of [toHex(eve.publicKey), toHex(prescription), toHex(dataKey)]) {
    assert.ok(!JSON.stringify(block).includes(secret.slice(2)), 'the block body holds a secret of the dispense');
    assert.ok(!events.includes(secret.slice(2)), 'the events hold a secret of the dispense');
  }
  assert.equal((await chain.provenance.verify(sgtin)).value.status, 'Dispensed');
  await assert.rejects(chain.provenance.registerProduct(one, '00312345678907', 'bad check digit'), (e) => e.error === 'InvalidGtin');
});

test('follows finalized events, reads over HTTP and explains refused transactions', async () => {
  const eve = Account.fromUri('//Eve');
  const seen = [];
  const subscription = await chain.subscribeEvents((block) => seen.push(...block.events));
  const created = await chain.records.create(bob, {
    patient: eve.address,
    resourceType: 'Observation',
    content: { contentHash: `0x${'ab'.repeat(32)}`, size: 10n, patientKey: `0x${'01'.repeat(80)}` },
  });
  // A locator is the blob's content address and nothing else: free text does not even encode,
  // and 32 bytes of anything else are refused.
  const phi = `0x${Buffer.from('HIV+ Jane Doe 1984-03-07 F20.9!!').toString('hex')}`;
  for (const locator of [phi, `0x${'cd'.repeat(32)}`]) {
    await assert.rejects(
      chain.records.create(bob, { patient: eve.address, resourceType: 'Observation', content: { contentHash: `0x${'cd'.repeat(31)}ce`, size: 10n, locator, patientKey: `0x${'01'.repeat(80)}` } }),
      (e) => e instanceof DispatchError && e.error === 'LocatorNotContentAddress',
    );
  }
  await assert.rejects(chain.records.create(bob, { patient: eve.address, resourceType: 'Observation', content: { contentHash: `0x${'cd'.repeat(32)}`, size: 10n, locator: 'cas:elsewhere', patientKey: `0x${'01'.repeat(80)}` } }));
  const deadline = Date.now() + 20_000;
  while (!seen.some((e) => e.name === 'RecordCreated' && e.data.recordId === created.recordId)) {
    assert.ok(Date.now() < deadline, 'the finalized block reached the events subscription');
    await new Promise((r) => setTimeout(r, 100));
  }
  await subscription.unsubscribe();

  const hospitalMembers = await chain.entries('Registry', 'OrgMembers', [0]);
  assert.ok(hospitalMembers.some(({ keys }) => keys[0] === 0 && keys[1] === bob.address), 'map keys read back from storage');

  const http = await Carechain.connect(node.httpUrl);
  assert.equal((await http.records.get(created.recordId)).author, bob.address);
  assert.equal(http.constant('Records', 'MaxVersions'), chain.constant('Records', 'MaxVersions'));
  await assert.rejects(http.records.erase(bob, created.recordId), /subscriptions need a ws:\/\//);
  await http.close();

  const stranger = Account.generate().account;
  await assert.rejects(
    chain.records.erase(stranger, created.recordId),
    (e) => e instanceof RpcError && e.code === 1010 && /register as a patient, or ask an organization's admin/.test(e.message),
  );
  await assert.rejects(chain.submit(bob, 'Records', 'no_such_call', {}), /has no call no_such_call/);
  await assert.rejects(chain.records.create(bob, { patient: eve.address, resourceType: 'Nonsense', content: {} }), /unknown variant "Nonsense"/);
});

test('a guardian acts for a minor: grants consent, sees and disputes an emergency access', async () => {
  const parent = Account.generate().account;
  const minor = Account.generate().account;
  await chain.registry.registerPatient(parent);
  // The minor's wallet is set up by the guardian; its key pair stays in the family's wallet.
  await chain.registry.registerPatient(minor, { guardians: [parent.address] });
  assert.deepEqual((await chain.registry.patient(minor.address)).guardians, [parent.address]);
  // The guardian lets the hospital treat the minor, which writing the record needs.
  await chain.consent.grant(parent, { patient: minor.address, grantee: { type: 'Organization', value: 0 }, purposes: ['Treatment'], expiresAt: Date.now() + 86_400_000 });

  const written = await chain.vault.writeRecord(bob, {
    patient: minor.address,
    resource: { resourceType: 'Immunization', status: 'completed', vaccineCode: { text: 'MMR' }, patient: { reference: 'Patient/minor' }, occurrenceDateTime: '2026-11-01' },
  });
  const grant = await chain.consent.grant(parent, {
    patient: minor.address,
    grantee: { type: 'Organization', value: 2 },
    purposes: ['Treatment'],
    expiresAt: new Date(Date.now() + 86_400_000),
  });
  assert.equal((await chain.consent.get(grant.consentId)).grantedBy, parent.address);
  assert.equal((await chain.consent.check(minor.address, dave.address, written.recordId, 'Treatment')).type, 'Allowed');

  // Break-glass by a hospital practitioner is allowed, audited and visible in the minor's accounting.
  const emergency = await chain.consent.breakGlass(bob, { patient: minor.address, reason: 'Unconscious', justification: 'ER admission, unresponsive' });
  const opened = event(emergency, 'Consent', 'BreakGlassOpened');
  assert.equal(opened.reason, undefined, 'the event carries no reason');
  const session = await chain.query('Consent', 'Emergencies', [emergency.emergencyId]);
  assert.equal(session.reason, 'Unconscious');
  // The justification is committed with a salt: guessing the phrase does not confirm it.
  assert.notEqual(session.justificationHash, hashText('ER admission, unresponsive'));
  assert.equal(session.justificationHash, commitText('ER admission, unresponsive', fromHex(emergency.justificationSalt)).hash);
  const disclosures = await chain.consent.accountingOfDisclosures(minor.address);
  assert.ok(disclosures.some((e) => e.action === 'BreakGlass' && e.breakGlass && e.accessor === bob.address));
  await chain.consent.dispute(parent, emergency.emergencyId);

  // The dispute closes the session and keeps the practitioner from breaking the glass again
  // for this patient, until the guardian lifts the block.
  const reopen = () => chain.consent.breakGlass(bob, { patient: minor.address, reason: 'LifeThreatening', justification: 'again' });
  await assert.rejects(reopen(), (e) => e instanceof DispatchError && e.pallet === 'Consent' && e.error === 'BlockedByDispute');
  await chain.consent.liftDisputeBlock(parent, { patient: minor.address, accessor: bob.address });
  const reopened = await reopen();
  assert.ok(reopened.emergencyId > emergency.emergencyId);
});

test("an sr25519 member's transaction carries MultiSignature::Sr25519 and is finalized", async () => {
  // Bob's sr25519 dev account is a practitioner of the hospital too, so it may sign.
  const bobSr = Account.fromUri('//Bob', { type: 'sr25519' });
  assert.notEqual(bobSr.address, bob.address);
  const extrinsic = fromHex(await chain.sign(bobSr, 'System', 'remark', { remark: '0x' }));
  chain.nonces.delete(bobSr.address);
  // compact length, 0x84 (signed v4), MultiAddress::Id (0) and the key, MultiSignature::Sr25519 (1).
  const start = compact.enc(compact.dec(extrinsic)).length;
  assert.equal(compact.dec(extrinsic), extrinsic.length - start, 'the length prefix');
  assert.equal(extrinsic[start], 0x84);
  assert.equal(extrinsic[start + 1], 0);
  assert.deepEqual(extrinsic.subarray(start + 2, start + 34), bobSr.publicKey);
  assert.equal(extrinsic[start + 34], 1, 'MultiSignature::Sr25519');
  const outcome = await chain.submit(bobSr, 'System', 'remark', { remark: '0x' });
  assert.ok(outcome.events.some((e) => e.pallet === 'System' && e.name === 'ExtrinsicSuccess'));
  assert.ok(outcome.blockNumber >= 1);
});
