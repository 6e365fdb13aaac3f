// Telehealth on the client: the facts a patient countersigns to attest an encounter, encoded
// exactly as pallet-telehealth's `attestation_payload` encodes them.

import { concat, toBytes, utf8 } from './bytes.js';

const ATTESTATION_DOMAIN = utf8('carechain/telehealth/encounter/v1');
const MODALITIES = ['Video', 'AudioOnly', 'Asynchronous'];

/** Telehealth input the chain would refuse, named before anything is signed. */
export class TelehealthError extends Error {
  constructor(message) {
    super(message);
    this.name = 'TelehealthError';
  }
}

function u32le(value, what) {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new TelehealthError(`${what} is a whole number below 2^32, got ${value}`);
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

function u64le(value, what) {
  const n = BigInt(value);
  if (n < 0n || n >= 1n << 64n) throw new TelehealthError(`${what} is a moment in ms below 2^64, got ${value}`);
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, n, true);
  return bytes;
}

/**
 * What the patient signs to attest an encounter of `appointment`: the domain, then the SCALE
 * encoding of (appointment, startedAt, endedAt, modality, noteHash).
 */
export function attestationPayload(appointment, { startedAt, endedAt, modality, noteHash }) {
  const index = MODALITIES.indexOf(modality);
  if (index < 0) throw new TelehealthError(`a modality is one of ${MODALITIES.join(', ')}, got ${JSON.stringify(modality)}`);
  const note = toBytes(noteHash, 'note hash');
  if (note.length !== 32) throw new TelehealthError(`a note hash has 32 bytes, got ${note.length}`);
  return concat(ATTESTATION_DOMAIN, u32le(appointment, 'an appointment id'), u64le(startedAt, 'startedAt'), u64le(endedAt, 'endedAt'), Uint8Array.of(index), note);
}

/** An ISO 3166-2 code (`US-CA`) as the chain's `Jurisdiction`: 6 bytes, zero-padded. */
export function jurisdiction(code) {
  if (typeof code !== 'string' || !/^[A-Z]{2}-[A-Z0-9]{1,3}$/.test(code)) {
    throw new TelehealthError(`a jurisdiction is an ISO 3166-2 code such as "US-CA", got ${JSON.stringify(code)}`);
  }
  const bytes = new Uint8Array(6);
  bytes.set(utf8(code));
  return bytes;
}

/**
 * The patient's countersignature over an encounter, as the call carries it: `{ type:
 * 'Ed25519' | 'Sr25519', value }` (the runtime's MultiSignature) from the patient's Account.
 */
export function countersign(patient, appointment, facts) {
  const signature = patient.sign(attestationPayload(appointment, facts));
  return { type: patient.type === 'sr25519' ? 'Sr25519' : 'Ed25519', value: signature };
}
