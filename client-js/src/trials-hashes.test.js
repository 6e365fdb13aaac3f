// The trial hashes a wallet, a site and a sponsor compute, against the values pallet-trials
// computes for the same inputs (its `hashes_match_the_wallet_sdk` test asserts the same hex),
// and the allocation list's shape.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Account, TrialError, allocationDepth, allocationList, allocationReveal, enrolmentNullifier, pseudonym, registryId, subjectIdentity, subjectKey } from './index.js';

const alice = Account.fromUri('//Alice');
const bob = Account.fromUri('//Bob');

test('pseudonym, subject key and nullifier hash as the chain does', () => {
  const name = pseudonym(7, alice.address, new Uint8Array(32).fill(1));
  assert.equal(name, '0xf4b1f15d268a01abdfe45eb6a816c8c4f0ce19773a23f5d13548dd1929c373f1');
  assert.equal(subjectKey(7, name, bob.address), '0x85d61cb47b0d62f7e18313b465a7822e0b89c83bbf19a5ed77fc6b90937c2b9d');
  assert.equal(enrolmentNullifier(new Uint8Array(32).fill(0x4e), 7, alice), '0x89679b5b6a5f403e37c9bc2fc509e03b5d7686e804514ea662ed7997adc5dfe5');
  // Another nullifier key, study or patient gives another nullifier.
  const base = enrolmentNullifier(new Uint8Array(32).fill(0x4e), 7, alice);
  assert.notEqual(enrolmentNullifier(new Uint8Array(32).fill(0x4f), 7, alice), base);
  assert.notEqual(enrolmentNullifier(new Uint8Array(32).fill(0x4e), 8, alice), base);
  assert.notEqual(enrolmentNullifier(new Uint8Array(32).fill(0x4e), 7, bob), base);
});

test('a reveal proves its slot of the committed list, as the chain verifies it', () => {
  const salt = (slot) => `0x${(0xa0 + slot).toString(16).repeat(32)}`;
  const list = { depth: 2, entries: [0, 1, 1, 0].map((arm, slot) => ({ slot, arm, salt: salt(slot) })) };
  assert.deepEqual(allocationReveal(list, 2), {
    arm: 1,
    salt: salt(2),
    proof: ['0x168ad2c53e73f70d782177fde8fdf85205f350e31b5d8a03fba88ec6ae906c73', '0x4d717713846c4cd675c8e22bebc1867ef3682c33565a0f302dcf3a9c8acf5c8b'],
  });
  assert.throws(() => allocationReveal(list, 4), TrialError);
});

test('an allocation list fills every slot in balanced blocks of varied size, with fresh salts', () => {
  for (const [target, arms] of [[1, 1], [4, 2], [5, 2], [9, 3], [100, 4]]) {
    const list = allocationList(target, arms);
    assert.equal(list.depth, allocationDepth(target));
    assert.equal(list.entries.length, 2 ** list.depth);
    assert.ok(2 ** list.depth >= target);
    assert.equal(list.blocks.reduce((a, b) => a + b, 0), list.entries.length);
    let start = 0;
    for (const size of list.blocks) {
      const block = list.entries.slice(start, start + size).map((e) => e.arm);
      start += size;
      if (size % arms !== 0) continue; // the last block, cut short by the tree's width
      assert.ok([1, 2, 3].includes(size / arms), `a block of ${size} slots`);
      for (let arm = 0; arm < arms; arm++) assert.equal(block.filter((a) => a === arm).length, size / arms, 'each arm equally often');
    }
    assert.equal(new Set(list.entries.map((e) => e.salt)).size, list.entries.length);
  }
  assert.throws(() => allocationList(0, 2), TrialError);
  assert.throws(() => allocationList(4, 0), TrialError);
  assert.throws(() => allocationList(4, 257), TrialError);
});

test('a subject account is the patient\'s hard derivation, unlinkable and repeatable', () => {
  const patient = Account.fromUri('//Eve');
  const salt = new Uint8Array(32).fill(9);
  const identity = subjectIdentity(patient, 3, salt);
  assert.equal(identity.account.address, Account.fromUri(`//Eve//carechain//trial//3//${identity.salt}`).address);
  assert.equal(identity.key, subjectKey(3, identity.pseudonym, identity.account));
  assert.notEqual(subjectIdentity(patient, 4, salt).account.address, identity.account.address, 'another study, another account');
  assert.notEqual(subjectIdentity(patient, 3).account.address, identity.account.address, 'a fresh salt, another account');
  const sr = Account.fromUri('//Eve', { type: 'sr25519' });
  assert.equal(subjectIdentity(sr, 3, salt).account.type, 'sr25519');
  assert.throws(() => patient.deriveHard('a/b'), /junction/);
  assert.throws(() => patient.deriveHard(), /at least one/);
});

test('registry ids are NCT or ISRCTN and eight digits', () => {
  assert.deepEqual(registryId('NCT01234567'), { type: 'Nct', value: '0x3031323334353637' });
  assert.deepEqual(registryId('ISRCTN12345678'), { type: 'Isrctn', value: '0x3132333435363738' });
  for (const bad of ['NCT1234567', 'NCT0123456789', 'nct01234567', 'EUCT01234567', 42]) {
    assert.throws(() => registryId(bad), TrialError, String(bad));
  }
});
