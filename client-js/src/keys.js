// Accounts and keys: ed25519 signing accounts from a seed, a mnemonic or a Substrate secret URI
// (`//Alice`, `<mnemonic>//hospital//1///password`), SS58 addresses, and the X25519 encryption
// keys that record data keys are wrapped to.
//
// Mnemonics follow substrate-bip39 (the seed is PBKDF2 over the BIP-39 *entropy*), and hard
// derivation follows sp-core's ed25519 (`blake2_256(("Ed25519HDKD", seed, chain_code))`), so an
// account here has the same address as in `carechain key inspect` and polkadot.js.

import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { base58 } from '@scure/base';
import { entropyToMnemonic, generateMnemonic as bip39Generate, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { concat, equalBytes, fromHex, isHex, toBytes, toHex, utf8 } from './bytes.js';
import { blake2_256 } from './hashing.js';
import { deriveKeyPair } from './hpke.js';
import { encodeCompact } from './scale.js';

/** The development mnemonic whose `//Alice`, `//Bob`... are the dev chain's accounts. */
export const DEV_PHRASE = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';
/** The SS58 prefix of Carechain addresses (`system_properties.ss58Format`). */
export const SS58_PREFIX = 42;

/** A key, address or secret URI was malformed. */
export class KeyError extends Error {
  constructor(message) {
    super(message);
    this.name = 'KeyError';
  }
}

const SS58PRE = utf8('SS58PRE');

/** The SS58 address of a 32-byte public key. */
export function encodeAddress(publicKey, prefix = SS58_PREFIX) {
  const key = toBytes(publicKey, 'public key');
  if (key.length !== 32) throw new KeyError(`a public key has 32 bytes, got ${key.length}`);
  if (prefix < 0 || prefix > 63) throw new KeyError(`SS58 prefix ${prefix} is outside 0..63`);
  const body = concat(Uint8Array.of(prefix), key);
  const checksum = blake2b(concat(SS58PRE, body), { dkLen: 64 }).subarray(0, 2);
  return base58.encode(concat(body, checksum));
}

/** The 32-byte public key of an SS58 address; throws on a bad checksum or length. */
export function decodeAddress(address) {
  if (typeof address !== 'string') throw new KeyError('an address must be a string');
  let bytes;
  try {
    bytes = base58.decode(address);
  } catch {
    throw new KeyError(`${address} is not an SS58 address: it is not base58`);
  }
  if (bytes.length !== 35 || bytes[0] > 63) {
    throw new KeyError(`${address} is not an SS58 address of a 32-byte account`);
  }
  const checksum = blake2b(concat(SS58PRE, bytes.subarray(0, 33)), { dkLen: 64 }).subarray(0, 2);
  if (!equalBytes(checksum, bytes.subarray(33))) {
    throw new KeyError(`${address} has a bad SS58 checksum: check for a typing error`);
  }
  return bytes.slice(1, 33);
}

/** The 32 account bytes of an address, hex, bytes or account object. */
export function accountBytes(value, what = 'account') {
  if (value && typeof value === 'object' && value.publicKey instanceof Uint8Array) return value.publicKey;
  if (typeof value === 'string' && !isHex(value)) return decodeAddress(value);
  const bytes = toBytes(value, what);
  if (bytes.length !== 32) throw new KeyError(`${what} must have 32 bytes, got ${bytes.length}`);
  return bytes;
}

/** A 12-word mnemonic from fresh randomness. */
export function generateMnemonic() {
  return bip39Generate(wordlist, 128);
}

/** The 32-byte mini secret of a mnemonic, as substrate-bip39 derives it. */
export function mnemonicToMiniSecret(mnemonic, password = '') {
  const normalized = mnemonic.trim().split(/\s+/).join(' ');
  if (!validateMnemonic(normalized, wordlist)) {
    throw new KeyError('the mnemonic is not a valid BIP-39 English phrase (a word or the checksum is wrong)');
  }
  const entropy = mnemonicToEntropy(normalized, wordlist);
  const seed = pbkdf2(sha512, entropy, utf8(`mnemonic${password}`), { c: 2048, dkLen: 64 });
  const mini = seed.slice(0, 32);
  seed.fill(0);
  return mini;
}

function chainCode(junction) {
  let encoded;
  if (/^\d+$/.test(junction) && BigInt(junction) < 1n << 64n) {
    encoded = new Uint8Array(8);
    let n = BigInt(junction);
    for (let i = 0; i < 8; i++, n >>= 8n) encoded[i] = Number(n & 0xffn);
  } else {
    const bytes = utf8(junction);
    encoded = concat(encodeCompact(bytes.length), bytes);
  }
  if (encoded.length > 32) return blake2_256(encoded);
  const code = new Uint8Array(32);
  code.set(encoded);
  return code;
}

const HDKD = concat(encodeCompact(11), utf8('Ed25519HDKD'));

/** The seed of a secret URI: `[phrase | 0xseed][//hard...][///password]`. */
export function seedFromUri(uri) {
  const match = /^([^/]*?)((?:\/\/?[^/]+)*)(?:\/\/\/(.*))?$/.exec(uri.trim());
  if (!match) throw new KeyError('a secret URI looks like "<mnemonic>//hard//path///password"');
  const [, phrase, path, password] = match;
  let seed;
  if (isHex(phrase)) {
    if (password !== undefined) throw new KeyError('a password applies to a mnemonic, not to a hex seed');
    seed = fromHex(phrase, 'seed');
    if (seed.length !== 32) throw new KeyError(`a hex seed has 32 bytes, got ${seed.length}`);
  } else {
    seed = mnemonicToMiniSecret(phrase === '' ? DEV_PHRASE : phrase, password ?? '');
  }
  for (const [, slashes, junction] of path.matchAll(/(\/\/?)([^/]+)/g)) {
    if (slashes === '/') throw new KeyError(`ed25519 has no soft derivation: use //${junction}, not /${junction}`);
    const next = blake2_256(concat(HDKD, seed, chainCode(junction)));
    seed.fill(0);
    seed = next;
  }
  return seed;
}

/** An X25519 key pair to which record data keys are wrapped. The secret is never printed. */
export class EncryptionKey {
  #secret;

  constructor(secretKey) {
    const bytes = toBytes(secretKey, 'X25519 secret key');
    if (bytes.length !== 32) throw new KeyError('an X25519 secret key has 32 bytes');
    this.#secret = Uint8Array.from(bytes);
    this.publicKey = x25519.getPublicKey(this.#secret);
  }

  /** The key that HPKE's DeriveKeyPair derives from `material` (as Rust's `SecretKey::derive`). */
  static derive(material) {
    const { secretKey } = deriveKeyPair(toBytes(material, 'key material'));
    const key = new EncryptionKey(secretKey);
    secretKey.fill(0);
    return key;
  }

  /** A fresh random key. */
  static generate() {
    return EncryptionKey.derive(randomBytes(32));
  }

  /** The secret bytes, for unwrapping keys; callers must not keep or log them. */
  exposeSecret() {
    return this.#secret;
  }

  /** Overwrites the secret; the key is unusable afterwards. */
  forget() {
    this.#secret.fill(0);
  }

  toJSON() {
    return { publicKey: toHex(this.publicKey) };
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `EncryptionKey { publicKey: ${toHex(this.publicKey)}, secret: <secret> }`;
  }
}

const ENCRYPTION_KEY_CONTEXT = utf8('carechain/x25519/v1');

/**
 * An ed25519 signing account. The seed is held privately, never printed or serialized, and
 * overwritten by `forget()`.
 */
export class Account {
  #seed;

  constructor(seed, prefix = SS58_PREFIX) {
    const bytes = toBytes(seed, 'seed');
    if (bytes.length !== 32) throw new KeyError(`an ed25519 seed has 32 bytes, got ${bytes.length}`);
    this.#seed = Uint8Array.from(bytes);
    this.type = 'ed25519';
    this.publicKey = ed25519.getPublicKey(this.#seed);
    this.address = encodeAddress(this.publicKey, prefix);
  }

  /** The account of a secret URI: `//Alice`, a mnemonic, `<mnemonic>//path///password`, `0x<seed>`. */
  static fromUri(uri, prefix) {
    const seed = seedFromUri(uri);
    const account = new Account(seed, prefix);
    seed.fill(0);
    return account;
  }

  /** The account of a 12- or 24-word mnemonic (and optional password). */
  static fromMnemonic(mnemonic, password = '', prefix) {
    const seed = mnemonicToMiniSecret(mnemonic, password);
    const account = new Account(seed, prefix);
    seed.fill(0);
    return account;
  }

  /** A fresh account and its mnemonic, which the wallet must show the user once to back up. */
  static generate(prefix) {
    const mnemonic = entropyToMnemonic(randomBytes(16), wordlist);
    return { mnemonic, account: Account.fromMnemonic(mnemonic, '', prefix) };
  }

  /** The 64-byte ed25519 signature of `message`. */
  sign(message) {
    return ed25519.sign(toBytes(message, 'message'), this.#seed);
  }

  /** Whether `signature` is this account's over `message` (ZIP-215, as sp-core verifies). */
  verify(message, signature) {
    return ed25519.verify(toBytes(signature, 'signature'), toBytes(message, 'message'), this.publicKey, { zip215: true });
  }

  /**
   * The account's X25519 encryption key, derived from its seed: the key a patient registers
   * on chain (`registry.registerPatient`) and unwraps record keys with.
   */
  encryptionKey() {
    const material = concat(ENCRYPTION_KEY_CONTEXT, this.#seed);
    const key = EncryptionKey.derive(material);
    material.fill(0);
    return key;
  }

  /** Overwrites the seed; the account can no longer sign. */
  forget() {
    this.#seed.fill(0);
  }

  toJSON() {
    return { type: this.type, address: this.address, publicKey: toHex(this.publicKey) };
  }

  toString() {
    return this.address;
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `Account { ${this.type} ${this.address}, seed: <secret> }`;
  }
}
