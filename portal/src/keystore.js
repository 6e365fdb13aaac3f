// The portal's key storage: a wallet's secret (mnemonic or secret URI) encrypted at rest in
// the browser with a password, and unlocked keys that lock themselves after inactivity.
//
// WebCrypto only: PBKDF2-SHA-256 (600,000 iterations, OWASP's figure for it) derives an
// AES-256-GCM key from the password and a random salt; the record's version, address and KDF
// parameters are the cipher's additional data, so a record edited in storage (another address,
// fewer iterations, another ciphertext) does not open. Nothing secret is ever stored in clear,
// and nothing secret leaves the browser.

/** Iterations of PBKDF2-SHA-256 for new records. */
export const ITERATIONS = 600_000;
/** The fewest iterations a stored record may claim: fewer is a downgrade, refused. */
export const MIN_ITERATIONS = 600_000;
/** The shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 10;
/** The storage key of the record. */
export const STORAGE_KEY = 'carechain.keystore.v1';
const VERSION = 1;

/** Why a key could not be stored or opened, in words a person can act on. */
export class KeystoreError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'KeystoreError';
    /** `weak-password`, `wrong-password`, `no-key`, `damaged`, `locked`, `insecure`. */
    this.code = code;
  }
}

const encoder = new TextEncoder();
const b64 = (bytes) => btoa(String.fromCharCode(...bytes));

/** Base64 from storage: anything else is a damaged record. */
function unb64(text) {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    throw new KeystoreError('damaged', 'the stored key is damaged: restore the account from its recovery phrase');
  }
}

/** The password as typed on any keyboard: the same characters give the same key. */
const normalized = (password) => password.normalize('NFKC');

async function deriveKey(password, salt, iterations) {
  if (!globalThis.crypto?.subtle) {
    throw new KeystoreError('insecure', 'this page is not served securely (https, or http on localhost), so the browser withholds its cryptography: open the portal over https');
  }
  const material = await crypto.subtle.importKey('raw', encoder.encode(normalized(password)), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** The bytes the cipher authenticates beside the secret: everything stored in clear. */
function additionalData(record) {
  return encoder.encode(JSON.stringify([record.version, record.address, record.kdf.iterations, record.kdf.salt, record.iv]));
}

/**
 * Encrypts `secret` (a mnemonic or secret URI) under `password` and stores it, with the
 * account's `address` in clear (to show whose key it is before unlocking).
 *
 * @param {{ getItem(k: string): string | null, setItem(k: string, v: string): void }} storage
 *   `localStorage`, or any store of strings
 * @param {{ secret: string, address: string, password: string, iterations?: number }} key
 */
export async function saveKey(storage, { secret, address, password, iterations = ITERATIONS }) {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw new KeystoreError('weak-password', `choose a password of at least ${MIN_PASSWORD_LENGTH} characters: it is all that protects the key on this device`);
  }
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const record = { version: VERSION, address, kdf: { name: 'PBKDF2-SHA-256', iterations, salt: b64(salt) }, iv: b64(iv) };
  const key = await deriveKey(password, salt, iterations);
  const plaintext = encoder.encode(secret);
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: additionalData(record) }, key, plaintext);
  plaintext.fill(0);
  storage.setItem(STORAGE_KEY, JSON.stringify({ ...record, ciphertext: b64(new Uint8Array(sealed)) }));
  return { address };
}

/** The stored account's address, without unlocking; null when no key is stored. */
export function storedAddress(storage) {
  const raw = storage.getItem(STORAGE_KEY);
  if (raw === null) return null;
  try {
    return JSON.parse(raw).address ?? null;
  } catch {
    return null;
  }
}

/**
 * Opens the stored key with `password`: `{ address, secret }`. Refuses a wrong password, and a
 * record that was altered or claims a weaker KDF than this portal writes.
 */
export async function openKey(storage, password) {
  const raw = storage.getItem(STORAGE_KEY);
  if (raw === null) throw new KeystoreError('no-key', 'no key is stored on this device: create an account or restore one from its recovery phrase');
  let record;
  try {
    record = JSON.parse(raw);
  } catch {
    throw new KeystoreError('damaged', 'the stored key is damaged: restore the account from its recovery phrase');
  }
  if (record.version !== VERSION || record.kdf?.name !== 'PBKDF2-SHA-256' || typeof record.ciphertext !== 'string') {
    throw new KeystoreError('damaged', 'the stored key is not one this portal wrote: restore the account from its recovery phrase');
  }
  if (!Number.isSafeInteger(record.kdf.iterations) || record.kdf.iterations < MIN_ITERATIONS || record.kdf.iterations > 10 * ITERATIONS) {
    throw new KeystoreError('damaged', 'the stored key claims a key derivation this portal does not accept (it may have been tampered with): restore the account from its recovery phrase');
  }
  const [salt, iv, ciphertext] = [record.kdf.salt, record.iv, record.ciphertext].map(unb64);
  const key = await deriveKey(password, salt, record.kdf.iterations);
  let opened;
  try {
    opened = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: additionalData(record) }, key, ciphertext);
  } catch {
    throw new KeystoreError('wrong-password', 'wrong password (or the stored key was altered): try again, or restore the account from its recovery phrase');
  }
  const bytes = new Uint8Array(opened);
  const secret = new TextDecoder().decode(bytes);
  bytes.fill(0);
  return { address: record.address, secret };
}

/** Removes the stored key (after the user confirmed they hold its recovery phrase). */
export function forgetKey(storage) {
  storage.removeItem(STORAGE_KEY);
}

/**
 * An unlocked key that locks itself after `idleMs` without `touch()`: its secret is dropped and
 * `onLock` is called. The portal touches it on every user action. Browsers slow timers in
 * background tabs and stop them while a computer sleeps, so the time of last use is also
 * checked whenever the secret is asked for (and by `check()`, which the page calls when it
 * becomes visible again).
 */
export class UnlockedKey {
  constructor({ address, secret }, { idleMs = 5 * 60_000, onLock = () => {}, now = () => Date.now() } = {}) {
    this.address = address;
    this.#secret = secret;
    this.#idleMs = idleMs;
    this.#onLock = onLock;
    this.#now = now;
    this.touch();
  }

  #secret;
  #idleMs;
  #onLock;
  #now;
  #timer;
  #lastUse = 0;

  /** Whether the key is still unlocked. */
  get unlocked() {
    return this.#secret !== null;
  }

  /** Locks the key if it was idle too long, whatever the timer did; returns whether it is open. */
  check() {
    if (this.#secret !== null && this.#now() - this.#lastUse >= this.#idleMs) this.lock();
    return this.unlocked;
  }

  /** The secret, for signing now; throws once locked. */
  secret() {
    if (!this.check()) throw new KeystoreError('locked', 'the key locked itself after inactivity: enter the password again');
    this.touch();
    return this.#secret;
  }

  /** Restarts the inactivity timer. */
  touch() {
    if (this.#secret === null) return;
    this.#lastUse = this.#now();
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.lock(), this.#idleMs);
  }

  /** Locks now. */
  lock() {
    if (this.#secret === null) return;
    clearTimeout(this.#timer);
    this.#secret = null;
    this.#onLock();
  }
}
