// Accounts and keys: ed25519 and sr25519 signing accounts from a seed, a mnemonic or a Substrate
// secret URI (`//Alice`, `<mnemonic>//hospital//1///password`, and for sr25519 soft junctions
// `/1`), SS58 addresses, and the X25519 encryption keys that record data keys are wrapped to.
//
// Mnemonics follow substrate-bip39 (the seed is PBKDF2 over the BIP-39 *entropy*); hard
// derivation follows sp-core's ed25519 (`blake2_256(("Ed25519HDKD", seed, chain_code))`) and
// schnorrkel's sr25519 (`@scure/sr25519`'s HDKD, hard and soft), so an account here has the
// same address as in `carechain key inspect` and polkadot.js's Keyring.

import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { Blake2256, compact, fromBufferToBase58, getSs58AddressInfo } from '@polkadot-api/substrate-bindings';
import { base58 } from '@scure/base';
import { entropyToMnemonic, generateMnemonic as bip39Generate, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import * as sr25519 from '@scure/sr25519';
import { concat, fromHex, isHex, toBytes, toHex, utf8 } from './bytes.js';
import { deriveKeyPair } from './hpke.js';

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

/** The signature schemes an Account signs with, as `MultiSignature` names them in lower case. */
export const SCHEMES = Object.freeze(['ed25519', 'sr25519']);

/**
 * The SS58 address of a 32-byte public key.
 * @param {string|Uint8Array} publicKey 0x-hex or bytes
 * @param {number} [prefix] the network's SS58 prefix, 0..16383 (default 42)
 * @returns {string}
 */
export function encodeAddress(publicKey, prefix = SS58_PREFIX) {
  const key = toBytes(publicKey, 'public key');
  if (key.length !== 32) throw new KeyError(`a public key has 32 bytes, got ${key.length}`);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 16383) throw new KeyError(`SS58 prefix ${prefix} is outside 0..16383`);
  return fromBufferToBase58(prefix)(key);
}

/**
 * The 32-byte public key of an SS58 address; throws a KeyError on a bad checksum or length.
 * @param {string} address
 * @returns {Uint8Array}
 */
export function decodeAddress(address) {
  if (typeof address !== 'string') throw new KeyError('an address must be a string');
  try {
    base58.decode(address);
  } catch {
    throw new KeyError(`${address} is not an SS58 address: it is not base58`);
  }
  const info = getSs58AddressInfo(address);
  if (!info.isValid) throw new KeyError(`${address} is not a valid SS58 address: check for a typing error (the checksum or length is wrong)`);
  if (info.publicKey.length !== 32) {
    throw new KeyError(`${address} is not an SS58 address of a 32-byte account (it holds ${info.publicKey.length} bytes)`);
  }
  return Uint8Array.from(info.publicKey);
}


/**
 * The 32 account bytes of an address, hex, bytes or account object.
 * @param {string|Uint8Array|{ publicKey: Uint8Array }} value
 * @param {string} [what] what the value is, for error messages
 * @returns {Uint8Array}
 */
export function accountBytes(value, what = 'account') {
  if (value && typeof value === 'object' && value.publicKey instanceof Uint8Array) return value.publicKey;
  if (typeof value === 'string' && !isHex(value)) return decodeAddress(value);
  const bytes = toBytes(value, what);
  if (bytes.length !== 32) throw new KeyError(`${what} must have 32 bytes, got ${bytes.length}`);
  return bytes;
}

/**
 * A 12-word mnemonic from fresh randomness.
 * @returns {string}
 */
export function generateMnemonic() {
  return bip39Generate(wordlist, 128);
}

/**
 * The 32-byte mini secret of a mnemonic, as substrate-bip39 derives it: the ed25519 seed, and
 * the sr25519 seed that schnorrkel expands.
 * @param {string} mnemonic
 * @param {string} [password]
 * @returns {Uint8Array}
 */
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
    encoded = concat(compact.enc(bytes.length), bytes);
  }
  if (encoded.length > 32) return Blake2256(encoded);
  const code = new Uint8Array(32);
  code.set(encoded);
  return code;
}

const ED25519_HDKD = concat(compact.enc(11), utf8('Ed25519HDKD'));

/**
 * A secret URI in parts: `[phrase | 0xseed][//hard | /soft ...][///password]`, where a missing
 * phrase is the dev phrase. Returns `{ miniSecret, junctions: [{ hard, code }] }`.
 */
function parseUri(uri) {
  if (typeof uri !== 'string') throw new KeyError('a secret URI is a string such as "//Alice" or "<mnemonic>//hard/soft///password"');
  const match = /^([^/]*?)((?:\/\/?[^/]+)*)(?:\/\/\/(.*))?$/.exec(uri.trim());
  if (!match) throw new KeyError('a secret URI looks like "<mnemonic>//hard/soft///password"');
  const [, phrase, path, password] = match;
  let miniSecret;
  if (isHex(phrase)) {
    if (password !== undefined) throw new KeyError('a password applies to a mnemonic, not to a hex seed');
    miniSecret = fromHex(phrase, 'seed');
    if (miniSecret.length !== 32) throw new KeyError(`a hex seed has 32 bytes, got ${miniSecret.length}`);
  } else {
    miniSecret = mnemonicToMiniSecret(phrase === '' ? DEV_PHRASE : phrase, password ?? '');
  }
  const junctions = [...path.matchAll(/(\/\/?)([^/]+)/g)].map(([, slashes, junction]) => ({
    hard: slashes === '//',
    name: junction,
    code: chainCode(junction),
  }));
  return { miniSecret, junctions };
}

/**
 * The ed25519 seed of a secret URI: `[phrase | 0xseed][//hard...][///password]`.
 * @param {string} uri
 * @returns {Uint8Array}
 */
export function seedFromUri(uri) {
  const { miniSecret, junctions } = parseUri(uri);
  let seed = miniSecret;
  for (const { hard, name, code } of junctions) {
    if (!hard) throw new KeyError(`ed25519 has no soft derivation: use //${name}, not /${name} (or an sr25519 account)`);
    const next = Blake2256(concat(ED25519_HDKD, seed, code));
    seed.fill(0);
    seed = next;
  }
  return seed;
}

/**
 * The 64-byte sr25519 secret key of a secret URI, as schnorrkel and polkadot.js derive it:
 * the mini secret expanded (Ed25519 mode), then each hard (`//`) or soft (`/`) junction.
 * @param {string} uri
 * @returns {Uint8Array}
 */
export function sr25519SecretFromUri(uri) {
  const { miniSecret, junctions } = parseUri(uri);
  let secret = sr25519.secretFromSeed(miniSecret);
  miniSecret.fill(0);
  for (const { hard, code } of junctions) {
    // The soft derivation's nonce needs no randomness: the derived public key is the same
    // either way, and signing draws fresh randomness of its own.
    const next = hard ? sr25519.HDKD.secretHard(secret, code) : sr25519.HDKD.secretSoft(secret, code, new Uint8Array(32));
    secret.fill(0);
    secret = next;
  }
  return secret;
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

function scheme(type) {
  if (!SCHEMES.includes(type)) throw new KeyError(`an account signs with ${SCHEMES.join(' or ')}, not ${type}`);
  return type;
}

/**
 * A signing account: ed25519 (the default) or sr25519, the two schemes of the runtime's
 * `MultiSignature` that every Substrate wallet uses. The secret (an ed25519 seed, or an sr25519
 * secret key) is held privately, never printed or serialized, and overwritten by `forget()`.
 */
export class Account {
  #secret;
  #prefix;

  /**
   * @param {string|Uint8Array} secret an ed25519 seed (32 bytes), or for sr25519 a 32-byte
   *   mini secret (a seed) or a 64-byte secret key
   * @param {{ type?: 'ed25519'|'sr25519', prefix?: number }} [options] the scheme (default
   *   ed25519) and the SS58 prefix of `address` (default 42)
   */
  constructor(secret, { type = 'ed25519', prefix = SS58_PREFIX } = {}) {
    const bytes = toBytes(secret, 'secret');
    /** @type {'ed25519'|'sr25519'} */
    this.type = scheme(type);
    if (type === 'ed25519') {
      if (bytes.length !== 32) throw new KeyError(`an ed25519 seed has 32 bytes, got ${bytes.length}`);
      this.#secret = Uint8Array.from(bytes);
      this.publicKey = ed25519.getPublicKey(this.#secret);
    } else {
      if (bytes.length !== 32 && bytes.length !== 64) {
        throw new KeyError(`an sr25519 seed has 32 bytes and a secret key 64, got ${bytes.length}`);
      }
      this.#secret = bytes.length === 32 ? sr25519.secretFromSeed(bytes) : Uint8Array.from(bytes);
      this.publicKey = sr25519.getPublicKey(this.#secret);
    }
    this.address = encodeAddress(this.publicKey, prefix);
    this.#prefix = prefix;
  }

  /**
   * The account of a secret URI: `//Alice`, a mnemonic, `<mnemonic>//path///password`,
   * `0x<seed>`; sr25519 accounts also take soft junctions (`//Alice/1`).
   * @param {string} uri
   * @param {{ type?: 'ed25519'|'sr25519', prefix?: number }} [options]
   * @returns {Account}
   */
  static fromUri(uri, options = {}) {
    const secret = scheme(options.type ?? 'ed25519') === 'sr25519' ? sr25519SecretFromUri(uri) : seedFromUri(uri);
    const account = new Account(secret, options);
    secret.fill(0);
    return account;
  }

  /**
   * The account of a 12- or 24-word mnemonic.
   * @param {string} mnemonic
   * @param {{ password?: string, type?: 'ed25519'|'sr25519', prefix?: number }} [options]
   * @returns {Account}
   */
  static fromMnemonic(mnemonic, { password = '', ...options } = {}) {
    const seed = mnemonicToMiniSecret(mnemonic, password);
    const account = new Account(seed, options);
    seed.fill(0);
    return account;
  }

  /**
   * A fresh account and its mnemonic, which the wallet must show the user once to back up.
   * @param {{ type?: 'ed25519'|'sr25519', prefix?: number }} [options]
   * @returns {{ mnemonic: string, account: Account }}
   */
  static generate(options = {}) {
    const mnemonic = entropyToMnemonic(randomBytes(16), wordlist);
    return { mnemonic, account: Account.fromMnemonic(mnemonic, options) };
  }

  /**
   * The account this one's secret derives along hard junctions, in the same scheme and SS58
   * prefix: `Account.fromUri('//Alice').deriveHard('trial', '7')` is
   * `Account.fromUri('//Alice//trial//7')`. Hard derivation cannot be followed from the public
   * key, so nobody without this account's secret can link the two.
   * @param {...string} junctions
   * @returns {Account}
   */
  deriveHard(...junctions) {
    if (junctions.length === 0) throw new KeyError('deriveHard needs at least one junction');
    let secret = Uint8Array.from(this.#secret);
    for (const junction of junctions) {
      if (typeof junction !== 'string' || junction === '' || junction.includes('/')) {
        throw new KeyError(`a junction is a non-empty string without "/", got ${JSON.stringify(junction)}`);
      }
      const code = chainCode(junction);
      const next = this.type === 'sr25519' ? sr25519.HDKD.secretHard(secret, code) : Blake2256(concat(ED25519_HDKD, secret, code));
      secret.fill(0);
      secret = next;
    }
    const account = new Account(secret, { type: this.type, prefix: this.#prefix });
    secret.fill(0);
    return account;
  }

  /**
   * The 64-byte signature of `message` in the account's scheme.
   * @param {string|Uint8Array} message
   * @returns {Uint8Array}
   */
  sign(message) {
    const bytes = toBytes(message, 'message');
    return this.type === 'sr25519' ? sr25519.sign(this.#secret, bytes) : ed25519.sign(bytes, this.#secret);
  }

  /**
   * Whether `signature` is this account's over `message` (ed25519: ZIP-215, as sp-core verifies).
   * @param {string|Uint8Array} message
   * @param {string|Uint8Array} signature
   * @returns {boolean}
   */
  verify(message, signature) {
    const sig = toBytes(signature, 'signature');
    const bytes = toBytes(message, 'message');
    if (this.type === 'sr25519') return sig.length === 64 && sr25519.verify(bytes, sig, this.publicKey);
    return ed25519.verify(sig, bytes, this.publicKey, { zip215: true });
  }

  /**
   * The account's X25519 encryption key, derived from its secret: the key a patient registers
   * on chain (`registry.registerPatient`) and unwraps record keys with.
   * @returns {EncryptionKey}
   */
  encryptionKey() {
    const material = concat(ENCRYPTION_KEY_CONTEXT, this.#secret);
    const key = EncryptionKey.derive(material);
    material.fill(0);
    return key;
  }

  /** Overwrites the secret; the account can no longer sign. */
  forget() {
    this.#secret.fill(0);
  }

  toJSON() {
    return { type: this.type, address: this.address, publicKey: toHex(this.publicKey) };
  }

  toString() {
    return this.address;
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `Account { ${this.type} ${this.address}, secret: <secret> }`;
  }
}
