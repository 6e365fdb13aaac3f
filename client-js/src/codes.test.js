// Code tags against the vector pallet-claims' tests check (`code_tags_match_the_shared_vector`),
// code key wrapping, and the claim attachment.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utf8 } from './bytes.js';
import {
  CodeError, claimAttachment, codeTag, codeTags, diagnosisTags, generateCodeKey, tagRules, unwrapCodeKey, wrapCodeKey,
} from './codes.js';
import { validateFhir } from './envelope.js';
import { EncryptionKey } from './keys.js';

// The key is the bytes 0, 1, ..., 31; the same vector is in pallets/claims/src/tests.rs.
const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const VECTOR = {
  procedure99213: '0x135ae4ec5ce8ac38b9fdf2b448153c819d6e766b87132344d882c62b52867e5e',
  prefixE11: '0xf08820a3d3c7d581332f9745ca1cb73bdfa6922ededaed2e860a7d3284e5f53f',
  diagnosisE119: [
    '0xf08820a3d3c7d581332f9745ca1cb73bdfa6922ededaed2e860a7d3284e5f53f',
    '0x5bf07a6d2b3c85269784a66e7181ef138d86f003893d8606f0690a7a1977b5ad',
    '0xfd82361784fe1a5e857031de212cc5012acf6fbc787f735ad2e4e8b08a40a16d',
    '0xb67d2d46de917962e361fe3cda7230ed502a8c70c1257f99456bae92c4792429',
    '0x67a8e1b5198f980f13f51d4e550562b1de6cbbb0c96878330cc12e62495937ca',
  ],
};

test('tags match the Rust pallet byte for byte', () => {
  assert.equal(codeTag(KEY, 'Procedure', '99213'), VECTOR.procedure99213);
  assert.equal(codeTag(KEY, 'Diagnosis', 'E11'), VECTOR.prefixE11);
  assert.deepEqual(diagnosisTags(KEY, 'E119'), VECTOR.diagnosisE119);
  assert.deepEqual(codeTags(KEY, 'Diagnosis', 'E119'), VECTOR.diagnosisE119);
  assert.deepEqual(codeTags(KEY, 'Procedure', '99213'), [VECTOR.procedure99213]);
});

test('kinds, keys and padding keep tags apart', () => {
  assert.notEqual(codeTag(KEY, 'Procedure', 'E11'), codeTag(KEY, 'Diagnosis', 'E11'));
  assert.notEqual(codeTag(generateCodeKey(), 'Procedure', '99213'), VECTOR.procedure99213);
  const short = diagnosisTags(KEY, 'E11');
  assert.equal(new Set(short).size, 5);
  const longer = diagnosisTags(KEY, 'E110');
  assert.equal(longer[0], short[0]);
  assert.ok(longer.slice(1).every((tag) => !short.includes(tag)));
});

test('refuses what is not a code or a key, with a reason', () => {
  for (const [call, reason] of [
    [() => codeTag(KEY, 'Procedure', '9921-'), 'code'],
    [() => codeTag(KEY, 'Procedure', 'e11'), 'code'],
    [() => diagnosisTags(KEY, 'E1'), 'code'],
    [() => diagnosisTags(KEY, 'E11900000'), 'code'],
    [() => codeTag(KEY, 'Drug', '99213'), 'kind'],
    [() => codeTag(KEY.subarray(1), 'Procedure', '99213'), 'key-length'],
  ]) {
    assert.throws(call, (e) => e instanceof CodeError && e.reason === reason);
  }
});

test('tags a policy\'s rules and leaves its other terms alone', () => {
  const tagged = tagRules(KEY, { procedures: [['99213', 100]], diagnosisPrefixes: ['E11'], priorAuthorization: ['99213'], deductible: 50n });
  assert.deepEqual(tagged, {
    procedures: [[VECTOR.procedure99213, 100n]],
    diagnosisPrefixes: [VECTOR.prefixE11],
    priorAuthorization: [VECTOR.procedure99213],
    deductible: 50n,
  });
});

test('a code key wrapped to a provider opens only for it, for that policy, epoch and organization', () => {
  const provider = EncryptionKey.derive(utf8('provider organization'));
  const other = EncryptionKey.derive(utf8('another organization'));
  const where = { policyId: 3, epoch: 1, org: 0 };
  const codeKey = generateCodeKey();
  const wrapped = wrapCodeKey(codeKey, provider.publicKey, where);
  assert.equal(wrapped.length, 80);
  assert.deepEqual(unwrapCodeKey(wrapped, provider, where), codeKey);
  const refused = (e) => e instanceof CodeError && e.reason === 'unwrap-failed';
  assert.throws(() => unwrapCodeKey(wrapped, other, where), refused);
  assert.throws(() => unwrapCodeKey(wrapped, provider, { ...where, epoch: 2 }), refused);
  assert.throws(() => unwrapCodeKey(wrapped, provider, { ...where, policyId: 4 }), refused);
  assert.throws(() => unwrapCodeKey(wrapped, provider, { ...where, org: 1 }), refused);
  assert.throws(() => unwrapCodeKey(wrapped.subarray(1), provider, where), (e) => e.reason === 'wrapped-key-length');
  assert.throws(() => wrapCodeKey(codeKey, new Uint8Array(32), where), (e) => e.reason === 'bad-public-key');
});

test('the attachment is a FHIR Claim with the plaintext codes', () => {
  const attachment = claimAttachment({ policyId: 0, serviceDate: 19_675, diagnoses: ['E119', 'I10'], lines: [{ procedure: '99213', units: 1, charged: 150n }] });
  assert.equal(validateFhir(attachment), 'Claim');
  assert.equal(attachment.diagnosis[0].diagnosisCodeableConcept.coding[0].code, 'E119');
  assert.equal(attachment.item[0].productOrService.coding[0].code, '99213');
  assert.equal(attachment.item[0].servicedDate, '2023-11-14');
  assert.throws(() => claimAttachment({ policyId: 0, serviceDate: 1, diagnoses: ['E11.9'], lines: [] }), CodeError);
});
