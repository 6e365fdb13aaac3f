// HPKE (RFC 9180), base mode, single shot, for the one suite Carechain uses:
// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305. The Rust vault uses the `hpke`
// crate with the same suite; the two agree byte for byte (src/envelope.test.js).

import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { concat, utf8 } from './bytes.js';

const KEM_SUITE = concat(utf8('KEM'), Uint8Array.of(0x00, 0x20));
const HPKE_SUITE = concat(utf8('HPKE'), Uint8Array.of(0x00, 0x20, 0x00, 0x01, 0x00, 0x03));
const VERSION = utf8('HPKE-v1');
const EMPTY = new Uint8Array(0);

/** An X25519 key was unusable: a low-order public key gives an all-zero shared secret. */
export class HpkeError extends Error {
  constructor(message) {
    super(message);
    this.name = 'HpkeError';
  }
}

function labeledExtract(suite, salt, label, ikm) {
  return extract(sha256, concat(VERSION, suite, utf8(label), ikm), salt);
}

function labeledExpand(suite, prk, label, info, length) {
  const labeled = concat(Uint8Array.of(length >> 8, length & 0xff), VERSION, suite, utf8(label), info);
  return expand(sha256, prk, labeled, length);
}

/** HPKE's DeriveKeyPair for X25519: the secret and public key derived from `ikm`. */
export function deriveKeyPair(ikm) {
  const prk = labeledExtract(KEM_SUITE, EMPTY, 'dkp_prk', ikm);
  const secretKey = labeledExpand(KEM_SUITE, prk, 'sk', EMPTY, 32);
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

function dh(secretKey, publicKey) {
  let shared = null;
  try {
    shared = x25519.getSharedSecret(secretKey, publicKey);
  } catch {
    // noble refuses some low-order points itself; the all-zero check catches the rest.
  }
  if (!shared || shared.every((b) => b === 0)) {
    throw new HpkeError('the X25519 public key is not usable (a low-order point)');
  }
  return shared;
}

function sharedSecret(dhResult, enc, recipientPublic) {
  const prk = labeledExtract(KEM_SUITE, EMPTY, 'eae_prk', dhResult);
  return labeledExpand(KEM_SUITE, prk, 'shared_secret', concat(enc, recipientPublic), 32);
}

function keySchedule(shared, info) {
  const context = concat(
    Uint8Array.of(0),
    labeledExtract(HPKE_SUITE, EMPTY, 'psk_id_hash', EMPTY),
    labeledExtract(HPKE_SUITE, EMPTY, 'info_hash', info),
  );
  const secret = labeledExtract(HPKE_SUITE, shared, 'secret', EMPTY);
  return {
    key: labeledExpand(HPKE_SUITE, secret, 'key', context, 32),
    nonce: labeledExpand(HPKE_SUITE, secret, 'base_nonce', context, 12),
  };
}

/**
 * Seals `plaintext` to `recipientPublic`: returns `{ enc, ciphertext }`. `ephemeralIkm` fixes
 * the ephemeral key for known-answer tests only; leave it out otherwise.
 */
export function seal(recipientPublic, info, plaintext, aad = EMPTY, ephemeralIkm = randomBytes(32)) {
  const ephemeral = deriveKeyPair(ephemeralIkm);
  const shared = sharedSecret(dh(ephemeral.secretKey, recipientPublic), ephemeral.publicKey, recipientPublic);
  const { key, nonce } = keySchedule(shared, info);
  ephemeral.secretKey.fill(0);
  return { enc: ephemeral.publicKey, ciphertext: chacha20poly1305(key, nonce, aad).encrypt(plaintext) };
}

/** Opens what `seal` sealed to the public key of `recipientSecret`; throws if it does not open. */
export function open(recipientSecret, enc, info, ciphertext, aad = EMPTY) {
  const recipientPublic = x25519.getPublicKey(recipientSecret);
  const shared = sharedSecret(dh(recipientSecret, enc), enc, recipientPublic);
  const { key, nonce } = keySchedule(shared, info);
  return chacha20poly1305(key, nonce, aad).decrypt(ciphertext);
}
