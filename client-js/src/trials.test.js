// A clinical trial from registration to results through @carechain/client against a real
// `carechain --dev` node: subjects act from accounts registered nowhere, and every rule the
// runtime enforces is tried from the wrong side.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Account, Carechain, DispatchError, RpcError, allocationList, allocationReveal, hashText, subjectIdentity, toHex } from './index.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { connectWhenUp, startDevNode } from './testing/dev-node.js';

let node;
let chain;
const grace = Account.fromUri('//Grace'); // practitioner, Grace Clinical Research (org 5, sponsor)
const bob = Account.fromUri('//Bob'); // practitioner, St. Alice General Hospital (org 0)
const HOSPITAL = 0;
const DAY_MS = 86_400_000;

before(async () => {
  node = await startDevNode();
  chain = await connectWhenUp(() => Carechain.connect(node.url), node);
});

after(async () => {
  await chain?.close();
  node?.stop();
});

const refusedBy = (pallet, error) => (e) => e instanceof DispatchError && e.pallet === pallet && e.error === error;
const hex = (account) => toHex(account.publicKey).slice(2);

/** Whether any extrinsic of the block at `hash` holds `account`'s public key. */
async function blockNames(hash, account) {
  const { block } = await chain.rpc.request('chain_getBlock', [hash]);
  return block.extrinsics.some((x) => x.includes(hex(account)));
}

test('a trial runs from registration to results, and its rules hold against each side', async () => {
  const list = allocationList(4, 2);
  const protocol = { protocol: 'protocol v1', consentForm: 'consent form v1' };
  const { study } = await chain.trials.registerStudy(grace, {
    registryId: 'NCT04000001',
    phase: 'Phase3',
    arms: ['drug A 10 mg', 'placebo'],
    targetEnrolment: 4,
    ...protocol,
    primaryOutcomes: ['HbA1c at 26 weeks'],
    secondaryOutcomes: ['weight at 26 weeks'],
    analysisPlan: 'SAP v1',
    allocationRoot: list.root,
  });
  await chain.trials.activateSite(grace, study, HOSPITAL, 'IRB approval 2026-114');
  const nullifierKey = randomBytes(32); // the sponsor gives it to its sites

  // Three patients; each wallet makes a pseudonym and a subject account for the study.
  const patients = [];
  for (let i = 0; i < 3; i++) {
    const { account } = Account.generate();
    await chain.registry.registerPatient(account);
    patients.push(account);
  }
  const subjects = patients.map((p) => subjectIdentity(p, study));
  for (const [i, s] of subjects.entries()) {
    assert.notEqual(s.account.address, patients[i].address);
    // The wallet derives the same subject account again from the patient's secret and salt.
    assert.equal(subjectIdentity(patients[i], study, s.salt).account.address, s.account.address);
    await chain.trials.screen(bob, study, s, { patient: patients[i].address, nullifierKey });
  }

  // Nobody but the subject account enrols: not the patient's own account (the pool admits a
  // patient, the call refuses her), not an account the chain never saw (the pool refuses it).
  const enrolAs = (account, s) => chain.trials.enrol({ ...s, account }, { site: HOSPITAL, version: 1 });
  await assert.rejects(enrolAs(patients[0], subjects[0]), refusedBy('Trials', 'NotSubject'));
  await assert.rejects(enrolAs(Account.generate().account, subjects[0]), (e) => e instanceof RpcError && e.code === 1010);
  // Nor does a subject account act for another subject, or sign anything but its own calls.
  await assert.rejects(enrolAs(subjects[1].account, subjects[0]), (e) => e instanceof RpcError && e.code === 1010);
  await assert.rejects(chain.registry.rotateEncryptionKey(subjects[0].account, toHex(randomBytes(32))), (e) => e instanceof RpcError && e.code === 1010);

  for (const s of subjects) {
    const outcome = await chain.trials.enrol(s, { site: HOSPITAL, version: 1 });
    // The block names the subject account and never the patient's.
    assert.equal(await blockNames(outcome.blockHash, s.account), true);
    for (const p of patients) assert.equal(await blockNames(outcome.blockHash, p), false, 'no patient account in the block');
  }
  // A patient enrols once: a second pseudonym of the same patient is refused at screening.
  const again = subjectIdentity(patients[0], study);
  await assert.rejects(chain.trials.screen(bob, study, again, { patient: patients[0].address, nullifierKey }), refusedBy('Trials', 'PatientAlreadyEnrolled'));

  // An amendment requiring re-consent stops randomisation and capture until the subject
  // consents to it.
  const { version } = await chain.trials.amendProtocol(grace, study, { protocol: 'protocol v2', consentForm: 'consent form v2', reconsentRequired: true });
  assert.equal(version, 2);
  const [first, second, third] = subjects;
  await assert.rejects(chain.trials.randomise(grace, study, first.pseudonym, list), refusedBy('Trials', 'ReconsentRequired'));
  await assert.rejects(chain.trials.captureData(bob, study, first.pseudonym, hashText('crf 1')), refusedBy('Trials', 'ReconsentRequired'));
  for (const s of subjects) await chain.trials.reconsent(s, 2);

  // Randomisation reveals each subject's slot of the committed list, and nothing else passes:
  // not another slot's entry, not the right arm with the wrong salt.
  const slotOf = async (s) => (await chain.trials.query('Subjects', [study, s.pseudonym])).slot;
  const wrong = allocationReveal(list, ((await slotOf(first)) + 1) % 4);
  await assert.rejects(chain.trials.submit(grace, 'randomise', { study, pseudonym: first.pseudonym, ...wrong }), refusedBy('Trials', 'InvalidAllocationProof'));
  const arms = [];
  for (const s of subjects) {
    const { arm, slot } = await chain.trials.randomise(grace, study, s.pseudonym, list);
    assert.equal(arm, list.entries[slot].arm);
    arms.push(arm);
  }

  // Capture, a withdrawal (nothing captured after it), a serious adverse event reported late.
  const crf = await chain.trials.captureForm(bob, study, first.pseudonym, { visit: 1, form: 'CRF-01' });
  assert.equal(crf.hash, hashText(Buffer.concat([Buffer.from(crf.salt.slice(2), 'hex'), Buffer.from(JSON.stringify({ visit: 1, form: 'CRF-01' }))])));
  await chain.trials.withdraw(second);
  await assert.rejects(chain.trials.captureData(bob, study, second.pseudonym, hashText('crf 2')), refusedBy('Trials', 'SubjectWithdrawn'));
  // An event before the subject enrolled is not the study's; one reported at once is on time
  // (the node's clock is real, so lateness itself is tested in pallet-trials' unit tests).
  const sae = (onset) => chain.trials.reportAdverseEvent(bob, study, third.pseudonym, { report: 'SAE report 1', seriousness: 'Serious', onset });
  await assert.rejects(sae(Date.now() - 2 * DAY_MS), refusedBy('Trials', 'OnsetBeforeEnrolment'));
  const { late } = await sae(Date.now() - 1000);
  assert.equal(late, false, 'a serious event reported within a day is on time');
  await chain.trials.complete(bob, study, first.pseudonym);
  await chain.trials.complete(bob, study, third.pseudonym);

  // No results before the lock; after it, a switched outcome is flagged for good.
  const results = { results: 'results v1', primaryOutcomes: ['weight at 26 weeks'], secondaryOutcomes: ['HbA1c at 26 weeks'] };
  await assert.rejects(chain.trials.reportResults(grace, study, results), refusedBy('Trials', 'NotLocked'));
  await chain.trials.lockDatabase(grace, study, hashText('database export'));
  await assert.rejects(chain.trials.captureData(bob, study, first.pseudonym, hashText('crf 3')), refusedBy('Trials', 'StudyLocked'));
  const { switched } = await chain.trials.reportResults(grace, study, results);
  assert.notEqual(switched, null, 'the primary outcome was demoted and a secondary promoted');

  // The views: CONSORT counts from the transitions, one consent document per subject, the
  // registration with its amendment and the results' comparison.
  const flow = await chain.trials.consortFlow(study);
  assert.equal(flow.assessed, 3);
  assert.equal(flow.enrolled, 3);
  assert.equal(flow.allocated, 3);
  const perArm = (field) => flow.arms.map((a) => a[field]);
  const count = (arm, who) => who.filter((i) => arms[i] === arm).length;
  assert.deepEqual(perArm('allocated'), [0, 1].map((arm) => count(arm, [0, 1, 2])));
  assert.deepEqual(perArm('withdrawn'), [0, 1].map((arm) => count(arm, [1])));
  assert.deepEqual(perArm('completed'), [0, 1].map((arm) => count(arm, [0, 2])));
  assert.deepEqual(perArm('analysed'), perArm('completed'));

  const history = await chain.trials.consentHistory(study, first.pseudonym);
  assert.equal(history.registryId, 'NCT04000001');
  assert.equal(history.status, 'completed');
  assert.deepEqual(history.consents.map((c) => [c.version, c.consentFormHash, c.protocolHash]), [
    [1, hashText('consent form v1'), hashText('protocol v1')],
    [2, hashText('consent form v2'), hashText('protocol v2')],
  ]);
  assert.equal(history.consentCurrent, true);
  const header = await chain.rpc.request('chain_getHeader', [history.block.hash]);
  assert.equal(history.block.stateRoot, header.stateRoot, 'the document names the state root that proves it');
  assert.doesNotMatch(JSON.stringify(history), new RegExp(patients.map(hex).join('|')));
  assert.equal(await chain.trials.consentHistory(study, hashText('nobody')), null);

  const registered = await chain.trials.study(study);
  assert.equal(registered.protocolHistory.length, 2);
  assert.equal(registered.protocolHistory[1].reconsentRequired, true);
  assert.equal(registered.adverseEvents, 1);
  assert.equal(registered.lateAdverseEvents, 0);
  assert.equal(registered.results.outcomesSwitched, true);
  assert.equal(registered.results.comparison.primaryAdded, 1);
  assert.equal(registered.results.comparison.primaryOmitted, 1);

  // The same as FHIR R4: a completed ResearchStudy, and ResearchSubjects named by pseudonym.
  const fhirStudy = await chain.trials.researchStudy(study);
  assert.equal(fhirStudy.resourceType, 'ResearchStudy');
  assert.equal(fhirStudy.status, 'completed');
  assert.deepEqual(fhirStudy.identifier[0], { system: 'https://clinicaltrials.gov', value: 'NCT04000001' });
  assert.ok(fhirStudy.period.end, 'the lock ends the period');
  const fhirSubjects = await Promise.all(subjects.map((s) => chain.trials.researchSubject(study, s.pseudonym)));
  assert.deepEqual(fhirSubjects.map((s) => s.status), ['off-study', 'withdrawn', 'off-study']);
  assert.equal(fhirSubjects[0].study.reference, `ResearchStudy/${fhirStudy.id}`);
  assert.equal(fhirSubjects[0].individual.identifier.value, first.pseudonym);
  assert.doesNotMatch(JSON.stringify(fhirSubjects), new RegExp(patients.map(hex).join('|')));
});

test('research access: only consented records are released, and the patient sees each release', async () => {
  const { request } = await chain.research.requestAccess(grace, {
    dataSet: 'LimitedDataSet',
    ethicsApproval: 'IRB approval 2026-207',
    dataUseAgreement: 'DUA Grace/Alice 2026',
    expiresAt: Date.now() + 30 * DAY_MS,
  });
  const SPONSOR = 5;
  const observation = { resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' }, valueQuantity: { value: 6.1, unit: '%' } };
  const patients = [];
  const records = [];
  for (let i = 0; i < 2; i++) {
    const { account } = Account.generate();
    await chain.registry.registerPatient(account);
    await chain.consent.grant(account, { grantee: { type: 'Organization', value: HOSPITAL }, purposes: ['Treatment'], expiresAt: Date.now() + DAY_MS });
    const { recordId } = await chain.vault.writeRecord(bob, { patient: account.address, resource: observation });
    patients.push(account);
    records.push(recordId);
  }
  // The first patient opts in; the second does not. A release of both is refused whole.
  const { consentId } = await chain.consent.grant(patients[0], { grantee: { type: 'Organization', value: SPONSOR }, purposes: ['Research'], expiresAt: Date.now() + DAY_MS });
  await assert.rejects(chain.research.release(grace, request, records), refusedBy('Research', 'NoResearchConsent'));
  // Another organization's staff cannot use the request; the hospital cannot release to research.
  await assert.rejects(chain.research.release(bob, request, [records[0]]), refusedBy('Research', 'NotResearchSponsor'));
  await chain.research.release(grace, request, [records[0]]);
  await assert.rejects(chain.research.release(grace, request, [records[0]]), refusedBy('Research', 'AlreadyReleased'));

  // The patient's accounting of disclosures holds the release: who, which record, for research.
  const log = await chain.consent.accountingOfDisclosures(patients[0].address);
  const release = log.find((e) => e.purpose === 'Research' && e.action === 'Disclose');
  assert.ok(release, 'the release is in the patient\'s accounting');
  assert.equal(release.accessor, grace.address);
  assert.equal(release.record, records[0]);
  const other = await chain.consent.accountingOfDisclosures(patients[1].address);
  assert.equal(other.some((e) => e.purpose === 'Research'), false);

  // Opting out stops the next release.
  const second = await chain.vault.writeRecord(bob, { patient: patients[0].address, resource: observation });
  await chain.consent.revoke(patients[0], consentId);
  await assert.rejects(chain.research.release(grace, request, [second.recordId]), refusedBy('Research', 'NoResearchConsent'));

  const info = await chain.research.request(request);
  assert.equal(info.releases, 1);
  assert.equal(info.sponsor, SPONSOR);
  const released = await chain.research.released(request);
  assert.deepEqual(released.map(([record]) => record), [records[0]]);
  await chain.research.closeRequest(grace, request);
  await assert.rejects(chain.research.release(grace, request, [records[1]]), refusedBy('Research', 'RequestClosed'));
});
