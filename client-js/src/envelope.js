// Envelope encryption of records, byte for byte as the Rust vault (`carechain-vault`) does it:
// - sealed payload: "CCV1" ‖ nonce (24) ‖ XChaCha20-Poly1305(data key, nonce, payload, aad "CCV1")
// - wrapped key: HPKE base mode to an X25519 key, info "carechain/vault/data-key/v1":
//   encapsulated key (32) ‖ ChaCha20-Poly1305 ciphertext of the data key (48)
// - blob id: blake2b-256 of the sealed payload, the record's on-chain `content_hash`.
// `vault/tests/vectors/envelope-v1.json` pins the format; src/envelope.test.js checks it here.

import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { concat, equalBytes, fromUtf8, toBytes, utf8 } from './bytes.js';
import { FhirError, validateResource } from './fhir.js';
import { blake2_256 } from './hashing.js';
import { HpkeError, open as hpkeOpen, seal as hpkeSeal } from './hpke.js';

export const FORMAT = utf8('CCV1');
export const NONCE_LEN = 24;
export const TAG_LEN = 16;
export const OVERHEAD = FORMAT.length + NONCE_LEN + TAG_LEN;
export const WRAPPED_KEY_LEN = 32 + 32 + TAG_LEN;
const WRAP_INFO = utf8('carechain/vault/data-key/v1');

/** Sealing, opening, wrapping or unwrapping failed; `reason` is a stable code. */
export class EnvelopeError extends Error {
  constructor(reason, message, options = undefined) {
    super(message, options);
    this.name = 'EnvelopeError';
    this.reason = reason;
  }
}

/** blake2b-256 of a sealed payload: the blob id and the record's `contentHash`. */
export function contentHash(ciphertext) {
  return blake2_256(ciphertext);
}

/** A fresh random 256-bit data key. Overwrite it with `key.fill(0)` when done. */
export function generateDataKey() {
  return randomBytes(32);
}

/**
 * Seals `plaintext` (bytes or a string) under `dataKey`; `nonce` is random unless given (for
 * known-answer tests only). Returns `{ ciphertext, contentHash }`.
 */
export function seal(dataKey, plaintext, nonce = randomBytes(NONCE_LEN)) {
  if (dataKey.length !== 32) throw new EnvelopeError('key-length', 'a data key has 32 bytes');
  const body = xchacha20poly1305(dataKey, nonce, FORMAT).encrypt(toBytes(plaintext, 'payload'));
  const ciphertext = concat(FORMAT, nonce, body);
  return { ciphertext, contentHash: contentHash(ciphertext) };
}

/** Opens a sealed payload; throws EnvelopeError if the key is wrong or a bit was altered. */
export function open(ciphertext, dataKey) {
  const bytes = toBytes(ciphertext, 'ciphertext');
  if (bytes.length < OVERHEAD) {
    throw new EnvelopeError('too-short', `sealed payload of ${bytes.length} bytes is shorter than the ${OVERHEAD}-byte minimum`);
  }
  if (!equalBytes(bytes.subarray(0, 4), FORMAT)) {
    throw new EnvelopeError('unknown-format', 'sealed payload does not start with "CCV1": not a Carechain vault payload');
  }
  try {
    return xchacha20poly1305(dataKey, bytes.subarray(4, 4 + NONCE_LEN), FORMAT).decrypt(bytes.subarray(4 + NONCE_LEN));
  } catch {
    throw new EnvelopeError('tampered', 'sealed payload failed authentication: the data key is wrong or the ciphertext was altered');
  }
}

/** `dataKey` wrapped to an X25519 public key (80 bytes). `ephemeralIkm` only for known-answer tests. */
export function wrapKey(dataKey, recipientPublic, ephemeralIkm) {
  try {
    const { enc, ciphertext } = hpkeSeal(toBytes(recipientPublic, 'recipient key'), WRAP_INFO, dataKey, undefined, ephemeralIkm);
    return concat(enc, ciphertext);
  } catch (e) {
    if (e instanceof HpkeError) throw new EnvelopeError('bad-public-key', 'recipient public key is not a usable X25519 key');
    throw e;
  }
}

/** The data key of a wrapped key, with an EncryptionKey (or its 32 secret bytes). */
export function unwrapKey(wrapped, secret) {
  const bytes = toBytes(wrapped, 'wrapped key');
  if (bytes.length !== WRAPPED_KEY_LEN) {
    throw new EnvelopeError('wrapped-key-length', `wrapped key of ${bytes.length} bytes: expected ${WRAPPED_KEY_LEN}`);
  }
  const secretKey = typeof secret?.exposeSecret === 'function' ? secret.exposeSecret() : toBytes(secret);
  try {
    return hpkeOpen(secretKey, bytes.subarray(0, 32), WRAP_INFO, bytes.subarray(32));
  } catch {
    throw new EnvelopeError('unwrap-failed', 'wrapped key does not open with this secret key: it was wrapped to another key or altered');
  }
}

/**
 * Checks `json` (a string, bytes or an object) as a FHIR R4 resource, as the Rust vault does
 * (`./fhir.js`); returns its resourceType. `resourceTypes`, when given, are the types the chain
 * indexes.
 */
export function validateFhir(json, resourceTypes = undefined) {
  // An object is checked as the JSON it seals to (what JSON.stringify writes: no NaN, no
  // prototype properties, toJSON applied), so that what is checked is what is sealed.
  let resource = json === undefined ? json : JSON.parse(JSON.stringify(json) ?? 'null');
  if (typeof json === 'string' || json instanceof Uint8Array) {
    try {
      resource = JSON.parse(typeof json === 'string' ? json : fromUtf8(json));
    } catch (e) {
      throw new EnvelopeError('not-fhir', `payload is not FHIR R4 JSON: it is not JSON (${e.message})`);
    }
  }
  let type;
  try {
    type = validateResource(resource);
  } catch (e) {
    if (e instanceof FhirError) throw new EnvelopeError('not-fhir', `payload is not FHIR R4 JSON: ${e.message}`, { cause: e });
    throw e;
  }
  if (resourceTypes && !resourceTypes.includes(type)) {
    throw new EnvelopeError('not-fhir', `payload is not FHIR R4 JSON this chain indexes: resourceType ${type} is not one of ${resourceTypes.join(', ')}`);
  }
  return type;
}

/**
 * Validates a FHIR resource and seals its JSON under a fresh data key:
 * `{ resourceType, plaintext, ciphertext, contentHash, dataKey }`.
 */
export function sealFhir(json, resourceTypes = undefined) {
  const resourceType = validateFhir(json, resourceTypes);
  const plaintext = typeof json === 'string' || json instanceof Uint8Array ? toBytes(json) : utf8(JSON.stringify(json));
  const dataKey = generateDataKey();
  return { resourceType, plaintext, dataKey, ...seal(dataKey, plaintext) };
}
