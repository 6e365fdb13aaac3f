// Dispensing without a public link to the patient, byte for byte as `pallet-provenance` does it:
// - commitment: blake2b-256("carechain/dispense/v1" ‖ patient account (32) ‖ prescription
//   record id (32, zeros for none) ‖ SCALE(sgtin) ‖ blinding (32)); SCALE(sgtin) is the 14
//   GTIN digits, the serial's compact length and its characters.
// - fill nullifier: blake2b-256("carechain/dispense/fill/v1" ‖ prescription data key (32) ‖
//   prescription record id (32) ‖ fill as u32 little endian).
// The pharmacy keeps the opening `{ patient, prescription, blinding }` off chain and shows it to
// the patient, a regulator or an auditor, who checks it with `verifyDispenseOpening`: the
// opening never needs to reach a node. `pallets/provenance/src/tests.rs` pins the same vectors.

import { randomBytes } from '@noble/hashes/utils.js';
import { compact } from '@polkadot-api/substrate-bindings';
import { concat, equalBytes, toBytes, toHex, utf8 } from './bytes.js';
import { blake2_256 } from './hashing.js';
import { accountBytes } from './keys.js';

const COMMITMENT_DOMAIN = utf8('carechain/dispense/v1');
const NULLIFIER_DOMAIN = utf8('carechain/dispense/fill/v1');

function exactly(value, length, what) {
  const bytes = toBytes(value, what);
  if (bytes.length !== length) throw new TypeError(`${what} must have ${length} bytes, got ${bytes.length}`);
  return bytes;
}

/** 32 fresh random bytes to blind a dispense commitment. Keep them with the opening. */
export function randomBlinding() {
  return randomBytes(32);
}

/** The SCALE encoding of a unit's identifier `{ gtin, serial }` (strings or bytes). */
export function encodeSgtin({ gtin, serial }) {
  const gtinBytes = exactly(gtin, 14, 'gtin');
  const serialBytes = toBytes(serial, 'serial');
  return concat(gtinBytes, compact.enc(serialBytes.length), serialBytes);
}

/**
 * The commitment to dispensing `sgtin` to `patient` (an address, 32 bytes or an account)
 * against `prescription` (a record id, or null when the unit fills none), blinded by
 * `blinding` (32 bytes from `randomBlinding`). Returns 0x-hex, as `dispense` takes it.
 */
export function dispenseCommitment({ patient, prescription = null, sgtin, blinding }) {
  const record = prescription === null ? new Uint8Array(32) : exactly(prescription, 32, 'prescription');
  return toHex(blake2_256(concat(
    COMMITMENT_DOMAIN,
    accountBytes(patient, 'patient'),
    record,
    encodeSgtin(sgtin),
    exactly(blinding, 32, 'blinding'),
  )));
}

/**
 * Whether `opening` (`{ patient, prescription, blinding }`) opens `commitment`, the one stored
 * for `sgtin`: false for the wrong patient, prescription, blinding or unit.
 */
export function verifyDispenseOpening(commitment, sgtin, opening) {
  return equalBytes(toBytes(dispenseCommitment({ ...opening, sgtin }), 'commitment'), toBytes(commitment, 'commitment'));
}

/**
 * The nullifier of fill `fill` (from 0, below the chain's `MaxFillsPerPrescription`) of the
 * prescription `prescription` (its record id), keyed with the prescription's vault data key
 * (`dataKey`, 32 bytes, unwrapped from the consent's wrapped key): every pharmacy the patient
 * gave the prescription computes the same one, and no one else can. Returns 0x-hex.
 */
export function fillNullifier(dataKey, prescription, fill) {
  if (!Number.isInteger(fill) || fill < 0 || fill > 0xffffffff) {
    throw new TypeError(`a fill is a u32, got ${fill}`);
  }
  const index = new Uint8Array(4);
  new DataView(index.buffer).setUint32(0, fill, true);
  return toHex(blake2_256(concat(
    NULLIFIER_DOMAIN,
    exactly(dataKey, 32, 'data key'),
    exactly(prescription, 32, 'prescription'),
    index,
  )));
}
