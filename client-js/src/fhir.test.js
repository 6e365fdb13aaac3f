// The node's FHIR R4 REST interface, read by a real FHIR client from npm (fhir-kit-client)
// against a real `carechain --dev` node: a patient's Consents (one revoked, served inactive),
// AuditEvents paged through, DocumentReferences pointing to the vault; a grantee sees the
// records its consent covers and the patient then finds that read in the node's accounting;
// no token, a stranger's token and a revoked grantee are refused or see nothing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'fhir-kit-client';
import { Account, Carechain, generateCodeKey, today } from './index.js';
import { connectWhenUp, startDevNode } from './testing/dev-node.js';

let node;
let chain;
const bob = Account.fromUri('//Bob'); // practitioner, St. Alice General Hospital (org 0)
const charlie = Account.fromUri('//Charlie'); // admin, Charlie Health Insurance (org 1, payer)
const dave = Account.fromUri('//Dave'); // admin, Dave's Pharmacy (org 2)

before(async () => {
  node = await startDevNode();
  chain = await connectWhenUp(() => Carechain.connect(node.url), node);
});

after(async () => {
  await chain?.close();
  node?.stop();
});

/** A FHIR client signed in as `who` (a bearer token from the node's sign-in), or anonymous. */
async function fhirAs(who) {
  if (!who) return new Client({ baseUrl: node.fhirUrl });
  const signed = await Carechain.connect(node.url, { signIn: who });
  const token = signed.session.grant.token;
  await signed.close();
  return new Client({ baseUrl: node.fhirUrl, bearerToken: token });
}

/** Every resource of a search, following `next` links. */
async function everything(client, resourceType, searchParams) {
  let bundle = await client.search({ resourceType, searchParams });
  const resources = (bundle.entry ?? []).map((e) => e.resource);
  const pages = [bundle];
  for (;;) {
    const next = client.nextPage({ bundle });
    if (!next) break;
    bundle = await next;
    pages.push(bundle);
    resources.push(...(bundle.entry ?? []).map((e) => e.resource));
  }
  return { resources, pages, total: pages[0].total };
}

async function status(promise) {
  try {
    await promise;
    return 200;
  } catch (e) {
    if (!e.response) throw e;
    return e.response.status;
  }
}

test('a FHIR client reads consents, the accounting of disclosures and the record index, and is refused without a token', { timeout: 300_000 }, async () => {
  const patient = Account.generate().account;
  await chain.registry.registerPatient(patient);
  const week = Date.now() + 7 * 86_400_000;
  const hospital = await chain.consent.grant(patient, { grantee: { type: 'Organization', value: 0 }, purposes: ['Treatment'], expiresAt: week });
  const pharmacy = await chain.consent.grant(patient, { grantee: { type: 'Organization', value: 2 }, purposes: ['Treatment', 'Payment'], expiresAt: week });
  await chain.consent.revoke(patient, pharmacy.consentId);
  const written = [];
  for (const text of ['first', 'second', 'third']) {
    written.push(await chain.vault.writeRecord(bob, {
      patient: patient.address,
      resource: { resourceType: 'Observation', status: 'final', code: { text }, subject: { reference: 'Patient/p' } },
    }));
  }

  // Without a token: refused, as OperationOutcomes say.
  const anonymous = await fhirAs(null);
  const metadata = await anonymous.capabilityStatement();
  assert.equal(metadata.fhirVersion, '4.0.1');
  assert.deepEqual(metadata.rest[0].resource.map((r) => r.type), ['Consent', 'AuditEvent', 'DocumentReference', 'Provenance', 'Claim', 'ClaimResponse', 'ResearchStudy', 'ResearchSubject', 'Appointment', 'Encounter']);
  assert.equal(await status(anonymous.search({ resourceType: 'Consent', searchParams: { patient: patient.address } })), 401);
  assert.equal(await status(new Client({ baseUrl: node.fhirUrl, bearerToken: 'forged' }).search({ resourceType: 'AuditEvent', searchParams: { patient: patient.address } })), 401);

  // The patient: both consents, the revoked one inactive.
  const own = await fhirAs(patient);
  const consents = await everything(own, 'Consent', { patient: `Patient/${patient.address}` });
  assert.equal(consents.total, 2);
  const byId = Object.fromEntries(consents.resources.map((c) => [c.id, c]));
  assert.equal(byId[String(hospital.consentId)].status, 'active');
  assert.equal(byId[String(pharmacy.consentId)].status, 'inactive');
  assert.deepEqual(byId[String(pharmacy.consentId)].provision.purpose.map((p) => p.code), ['TREAT', 'HPAYMT']);
  const active = await own.search({ resourceType: 'Consent', searchParams: { patient: patient.address, status: 'active', actor: 'Organization/org-0' } });
  assert.equal(active.total, 1);
  const read = await own.read({ resourceType: 'Consent', id: String(pharmacy.consentId) });
  assert.equal(read.status, 'inactive');

  // The record index, two to a page: three versions, content in the vault, never the payload.
  const documents = await everything(own, 'DocumentReference', { patient: patient.address, _count: '2' });
  assert.equal(documents.total, 3);
  assert.equal(documents.pages.length, 2, 'three records two to a page');
  for (const doc of documents.resources) {
    assert.match(doc.content[0].attachment.url, /^urn:carechain:vault:0x[0-9a-f]{64}$/);
    assert.equal(doc.content[0].attachment.data, undefined);
    assert.equal(doc.type.coding[0].code, 'Observation');
    assert.equal(doc.author[0].identifier.value, bob.address);
  }
  const ids = documents.resources.map((d) => d.id).sort();
  assert.deepEqual(ids, written.map((w) => w.recordId.slice(2)).sort());

  // Bob, whose hospital the patient consented to, reads the index; the patient sees that read.
  const clinician = await fhirAs(bob);
  const seen = await everything(clinician, 'DocumentReference', { patient: patient.address });
  assert.equal(seen.resources.length, 3);
  assert.equal(seen.total, undefined, 'a grantee is not told how many records there are');
  const provenance = await clinician.read({ resourceType: 'Provenance', id: ids[0] });
  assert.equal(provenance.agent[0].who.identifier.value, bob.address);
  const accounted = await chain.rpc.request('consent_nodeDisclosures', [patient.address, 0]);
  const fhirReads = accounted.filter((d) => d.method === 'fhir' && d.accessor === bob.address);
  assert.ok(fhirReads.length >= 2, JSON.stringify(accounted));
  // Bob may not read the patient's consents or accounting.
  assert.equal(await status(clinician.search({ resourceType: 'Consent', searchParams: { patient: patient.address } })), 403);
  assert.equal(await status(clinician.search({ resourceType: 'AuditEvent', searchParams: { patient: patient.address } })), 403);

  // Dave's pharmacy's consent was revoked: it sees no record, and cannot read one by id.
  const revoked = await fhirAs(dave);
  const none = await revoked.search({ resourceType: 'DocumentReference', searchParams: { patient: patient.address } });
  assert.equal(none.entry, undefined);
  // Refused as unknown: an id tells nothing of what exists.
  assert.equal(await status(revoked.read({ resourceType: 'DocumentReference', id: ids[0] })), 404);
  assert.equal(await status(revoked.read({ resourceType: 'DocumentReference', id: 'ab'.repeat(32) })), 404);

  // The accounting of disclosures, a page at a time: grants, the revocation, the writes.
  const events = await everything(own, 'AuditEvent', { patient: patient.address, _count: '2' });
  assert.ok(events.total >= 6, `${events.total} audit events`);
  assert.equal(events.resources.length, events.total);
  const actions = events.resources.map((e) => e.subtype[0].code);
  for (const action of ['grant', 'revoke', 'create']) assert.ok(actions.includes(action), `${action} in ${actions}`);
  const creates = await everything(own, 'AuditEvent', { patient: patient.address, type: 'create', agent: `Practitioner/${bob.address}`, _count: '1' });
  assert.equal(creates.total, 3);
  assert.equal(creates.resources.length, 3, 'the next links keep the filters');
  assert.ok(creates.resources.every((e) => e.subtype[0].code === 'create'));
  const since = await own.search({ resourceType: 'AuditEvent', searchParams: { patient: patient.address, date: `ge${new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}` } });
  assert.equal(since.total, 0, 'nothing happens tomorrow');
});

test('claims are served to the patient, the provider and the payer, with code tags and never codes', { timeout: 300_000 }, async () => {
  const patient = Account.generate().account;
  await chain.registry.registerPatient(patient);
  const day = today();
  const codeKey = generateCodeKey();
  const policy = await chain.claims.publishPolicy(charlie, {
    procedures: [['99213', 100n]],
    diagnosisPrefixes: ['E11'],
    priorAuthorization: [],
    deductible: 50n,
    coinsurance: 20,
    outOfPocketMax: 500n,
    reviewThreshold: 5000n,
    maxDailyLinesPerProvider: 10,
    validFrom: day - 30,
    validUntil: day + 365,
  }, { codeKey });
  await chain.claims.shareCodeKey(charlie, { policyId: policy.policyId, epoch: 0, org: 0, codeKey, orgPublicKey: bob.encryptionKey().publicKey });
  await chain.claims.fundPolicy(charlie, policy.policyId, 10_000);
  await chain.claims.enroll(charlie, policy.policyId, patient.address, 'member 0077');
  await chain.consent.grant(patient, { grantee: { type: 'Organization', value: 0 }, purposes: ['Treatment'], expiresAt: Date.now() + 86_400_000 });
  const visit = await chain.vault.writeRecord(bob, {
    patient: patient.address,
    resource: { resourceType: 'Procedure', status: 'completed', subject: { reference: 'Patient/p1' }, code: { text: 'office visit' } },
  });
  const submitted = await chain.claims.submitClaim(bob, {
    policyId: policy.policyId, patient: patient.address, serviceDate: day, codeKey,
    diagnoses: ['E119'], lines: [{ procedure: '99213', units: 1, charged: 150 }], records: [visit.recordId],
  });
  const id = `claim-${submitted.claimId}`;

  const own = await fhirAs(patient);
  const response = await own.read({ resourceType: 'ClaimResponse', id });
  assert.equal(response.outcome, 'complete');
  const benefit = response.item[0].adjudication.find((a) => a.category.coding[0].code === 'benefit');
  assert.equal(benefit.amount.value, 40);
  const claim = await own.read({ resourceType: 'Claim', id });
  assert.doesNotMatch(JSON.stringify(claim), /99213|E119/, 'tags only: the codes are in the sealed attachment');
  assert.equal(claim.insurer.reference, 'Organization/org-1');
  const mine = await own.search({ resourceType: 'Claim', searchParams: { patient: patient.address } });
  assert.equal(mine.total, 1);

  // The payer finds it among its own; the provider reads it.
  const payer = await fhirAs(charlie);
  const payable = await everything(payer, 'ClaimResponse', { insurer: 'Organization/org-1', outcome: 'complete' });
  assert.ok(payable.resources.some((r) => r.id === id));
  assert.equal((await (await fhirAs(bob)).read({ resourceType: 'Claim', id })).id, id);

  // A pharmacy that is neither provider nor payer sees nothing of it.
  const stranger = await fhirAs(dave);
  assert.equal(await status(stranger.read({ resourceType: 'Claim', id })), 404);
  assert.equal(await status(stranger.read({ resourceType: 'ClaimResponse', id })), 404);
  const none = await stranger.search({ resourceType: 'Claim', searchParams: { patient: patient.address } });
  assert.equal(none.total, 0);
  assert.equal(await status(own.search({ resourceType: 'Claim', searchParams: {} })), 400);
});
