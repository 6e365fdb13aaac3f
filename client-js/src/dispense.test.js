import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from './bytes.js';
import { encodeAddress } from './keys.js';
import { dispenseCommitment, encodeSgtin, fillNullifier, randomBlinding, verifyDispenseOpening } from './dispense.js';

// The vectors of `commitment_and_nullifier_match_the_client_js_vectors` in
// pallets/provenance/src/tests.rs.
const patient = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const sgtin = { gtin: '00312345678906', serial: 'SN0001' };
const prescription = `0x${'aa'.repeat(32)}`;
const blinding = new Uint8Array(32).fill(0x42);

test('commitments and nullifiers are the bytes the pallet computes', () => {
  assert.equal(toHex(encodeSgtin(sgtin)), `0x${Buffer.from('00312345678906').toString('hex')}18${Buffer.from('SN0001').toString('hex')}`);
  assert.equal(
    dispenseCommitment({ patient, prescription, sgtin, blinding }),
    '0x61c9fa187abe58a679ba919cad2c475b5701f3572beba349926c2fbd00d7c964',
  );
  assert.equal(
    dispenseCommitment({ patient: encodeAddress(patient), prescription: null, sgtin, blinding }),
    '0x25b7943e71056e3f01d804d4a1cfaf47202a9ad01ea0c20dd568715ac9167ff9',
  );
  assert.equal(
    fillNullifier(new Uint8Array(32).fill(7), prescription, 3),
    '0xc41d1bd66f36a61219f694a4b2b7322bf4d47c0252af90b1f36a81196643c5e2',
  );
});

test('an opening with the wrong patient, prescription, blinding or unit fails', () => {
  const fresh = randomBlinding();
  const opening = { patient, prescription, blinding: fresh };
  const commitment = dispenseCommitment({ ...opening, sgtin });
  assert.ok(verifyDispenseOpening(commitment, sgtin, opening));
  const other = Uint8Array.from(patient).reverse();
  const flipped = Uint8Array.from(fresh);
  flipped[0] ^= 1;
  for (const forged of [
    { ...opening, patient: other },
    { ...opening, prescription: `0x${'bb'.repeat(32)}` },
    { ...opening, prescription: null },
    { ...opening, blinding: flipped },
  ]) {
    assert.equal(verifyDispenseOpening(commitment, sgtin, forged), false);
  }
  assert.equal(verifyDispenseOpening(commitment, { ...sgtin, serial: 'SN0002' }, opening), false);
});

test('fills of one prescription are unlinkable and bounded inputs are checked', () => {
  const key = new Uint8Array(32).fill(9);
  assert.notEqual(fillNullifier(key, prescription, 0), fillNullifier(key, prescription, 1));
  assert.throws(() => fillNullifier(key.subarray(1), prescription, 0), /data key must have 32 bytes/);
  assert.throws(() => fillNullifier(key, prescription, -1), /u32/);
  assert.throws(() => dispenseCommitment({ patient, sgtin: { gtin: '123', serial: 'A' }, blinding }), /gtin must have 14 bytes/);
  assert.throws(() => dispenseCommitment({ patient, sgtin, blinding: new Uint8Array(31) }), /blinding must have 32 bytes/);
});
