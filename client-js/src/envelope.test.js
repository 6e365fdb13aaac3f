// The envelope format against the Rust vault's known answers, and its failure modes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromHex, toHex, utf8 } from './bytes.js';
import { EncryptionKey } from './keys.js';
import {
  EnvelopeError, OVERHEAD, contentHash, open, seal, sealFhir, unwrapKey, validateFhir, wrapKey,
} from './envelope.js';

const vector = JSON.parse(
  readFileSync(new URL('../../vault/tests/vectors/envelope-v1.json', import.meta.url), 'utf8'),
);
const hex = (s) => fromHex(`0x${s}`);

test('reproduces the Rust known-answer vectors byte for byte', () => {
  const sealed = seal(hex(vector.dataKey), vector.plaintext, hex(vector.nonce));
  assert.equal(toHex(sealed.ciphertext), `0x${vector.ciphertext}`);
  assert.equal(toHex(sealed.contentHash), `0x${vector.contentHash}`);

  const recipient = EncryptionKey.derive(utf8(vector.recipientSeed));
  assert.equal(toHex(recipient.exposeSecret()), `0x${vector.recipientSecret}`);
  assert.equal(toHex(recipient.publicKey), `0x${vector.recipientPublic}`);

  // The Rust vector's ephemeral key material is the bytes 1, 2, ..., 32.
  const ikm = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
  const wrapped = wrapKey(hex(vector.dataKey), recipient.publicKey, ikm);
  assert.equal(toHex(wrapped), `0x${vector.wrappedKey}`);
  assert.equal(toHex(unwrapKey(hex(vector.wrappedKey), recipient)), `0x${vector.dataKey}`);
  assert.equal(new TextDecoder().decode(open(hex(vector.ciphertext), hex(vector.dataKey))), vector.plaintext);
});

test('a sealed payload opens with its key only and every altered bit is caught', () => {
  const sealed = sealFhir({ resourceType: 'Observation', status: 'final', code: { text: 'glucose' } });
  const { ciphertext, dataKey, plaintext } = sealed;
  assert.equal(sealed.resourceType, 'Observation');
  assert.equal(ciphertext.length, OVERHEAD + plaintext.length);
  assert.deepEqual(sealed.contentHash, contentHash(ciphertext));
  assert.ok(!Buffer.from(ciphertext).includes('glucose'), 'no plaintext in the ciphertext');
  assert.throws(() => open(ciphertext, new Uint8Array(32)), { name: 'EnvelopeError', reason: 'tampered' });
  for (let byte = 0; byte < ciphertext.length; byte++) {
    const altered = ciphertext.slice();
    altered[byte] ^= 0x10;
    const reason = byte < 4 ? 'unknown-format' : 'tampered';
    assert.throws(() => open(altered, dataKey), (e) => e instanceof EnvelopeError && e.reason === reason, `byte ${byte}`);
  }
  assert.throws(() => open(ciphertext.subarray(0, OVERHEAD - 1), dataKey), { reason: 'too-short' });
});

test('a wrapped key opens for its recipient only', () => {
  const patient = EncryptionKey.generate();
  const stranger = EncryptionKey.generate();
  const dataKey = new Uint8Array(32).fill(3);
  const wrapped = wrapKey(dataKey, patient.publicKey);
  assert.equal(wrapped.length, 80);
  assert.deepEqual(unwrapKey(wrapped, patient), dataKey);
  assert.throws(() => unwrapKey(wrapped, stranger), { reason: 'unwrap-failed' });
  const altered = wrapped.slice();
  altered[40] ^= 1;
  assert.throws(() => unwrapKey(altered, patient), { reason: 'unwrap-failed' });
  assert.throws(() => unwrapKey(wrapped.subarray(0, 79), patient), { reason: 'wrapped-key-length' });
  assert.throws(() => wrapKey(dataKey, new Uint8Array(32)), { reason: 'bad-public-key' });
  assert.notDeepEqual(wrapKey(dataKey, patient.publicKey), wrapped, 'each wrap uses a fresh ephemeral key');
});

test('FHIR validation names what is wrong', () => {
  assert.equal(validateFhir('{"resourceType":"Patient","id":"p-1","active":true}'), 'Patient');
  const cases = [
    ['[1]', /a resource must be a JSON object/],
    ['{"name":"x"}', /resourceType is missing/],
    ['not json', /it is not JSON/],
    ['{"resourceType":"Patient","id":"bad id!"}', /Patient.id is "bad id!": not a valid FHIR id/],
    ['{"resourceType":"Patient","name":null}', /Patient.name is empty or null/],
    ['{"resourceType":"Patient","name":[]}', /Patient.name is empty or null/],
    ['{"resourceType":"Patient","gender":""}', /Patient.gender is empty or null/],
    ['{"resourceType":"Patient","bad-name":1}', /Patient.bad-name: R4 defines no such element here/],
    ['{"resourceType":"Patient","gender":"robot"}', /Patient.gender is "robot": not a code of its required value set/],
    ['{"resourceType":"Patient","birthDate":"2021-02-30"}', /Patient.birthDate is "2021-02-30": not a valid FHIR date/],
  ];
  for (const [json, message] of cases) assert.throws(() => validateFhir(json), { reason: 'not-fhir', message });
  const flag = '{"resourceType":"Flag","status":"active","code":{"text":"x"},"subject":{"reference":"Patient/1"}}';
  assert.throws(() => validateFhir(flag, ['Patient', 'Observation']), /Flag is not one of Patient, Observation/);
});

test('an encryption key never prints its secret', () => {
  const key = EncryptionKey.derive(utf8('wallet'));
  assert.doesNotMatch(JSON.stringify(key), new RegExp(toHex(key.exposeSecret()).slice(2)));
  key.forget();
  assert.ok(key.exposeSecret().every((b) => b === 0));
});
